/*
 * crm-ingest: validate, normalize and load customer records (CSV, TSV or
 * JSONL) into the crmkit store, and pass the clean records on; merge:
 * fold stores written by shards into one (lib/merge.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "filter.h"
#include "load.h"
#include "merge.h"
#include "rec.h"
#include "schema.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-ingest [-q] [--batch N] [--busy-timeout MS] [--date-order "
    "dmy|mdy]\n"
    "                  [--db FILE] [--decimal-comma] [--infer-types]\n"
    "                  [--input-format csv|tsv|jsonl] [--key FIELD]\n"
    "                  [--kind KIND | --table NAME]\n"
    "                  [--map STORE_FIELD=INPUT_FIELD] [--max-errors N]\n"
    "                  [--output-format csv|tsv|jsonl] [--region CC]\n"
    "                  [--rejects FILE] [--type FIELD=TYPE] [--verbose]\n"
    "                  [file ...]\n"
    "       crm-ingest merge --db FILE [-q] [--busy-timeout MS] shard ...\n";

enum verb { V_LOAD, V_MERGE }; /* in order of verbs */

static const char *const verbs[] = { "merge", NULL };

enum { OPT_DATE_ORDER = CRM_OPT_OWN, OPT_MAP, OPT_TYPE, OPT_VERBOSE };

struct opts {
	struct crm_common c;
	long batch;
	const char *kind, *table, *key, *region;
	int decimal_comma, infer;
};

static struct opts opts = { .batch = 10000 };

static const struct crm_optdef options[] = {
	CRM_OPT_LONG("batch", "N", "records per store transaction (10000)",
	    &opts.batch, 1, 10000000),
	CRM_OPT("date-order", OPT_DATE_ORDER, "dmy|mdy",
	    "how to read NN/NN/YYYY dates (default: only\nwhen unambiguous)"),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store (default: $CRM_DB; none: only\nvalidate and "
	    "normalize; merge: the store merged into)"),
	CRM_OPT_FLAG("decimal-comma", 0,
	    "numbers have a decimal comma: 1.234,5 is\n1234.5",
	    &opts.decimal_comma),
	CRM_OPT_FLAG("infer-types", 0,
	    "a field whose first value is a number is a\nnumber field",
	    &opts.infer),
	CRM_OPT_STR("key", "FIELD",
	    "key field of a --table (default: a hash of\nthe whole record)",
	    &opts.key),
	CRM_OPT_STR("kind", "KIND", "customers (default), events or consent",
	    &opts.kind),
	CRM_OPT("map", OPT_MAP, "STORE=INPUT",
	    "read store field STORE from input field INPUT"),
	CRM_OPT_STR("region", "CC",
	    "phone region for numbers without a country\ncode (CN)",
	    &opts.region),
	CRM_OPT_STR("table", "NAME",
	    "load into the table NAME of your own\n(created if new)",
	    &opts.table),
	CRM_OPT("type", OPT_TYPE, "FIELD=TYPE",
	    "normalize FIELD as text, id, email, phone, date,\nnumber, "
	    "integer or raw"),
	CRM_OPT("verbose", OPT_VERBOSE, NULL, "SQLite's own log on stderr"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Validate and normalize records, load them into the store, and "
	"write\nthe clean records to standard output.  merge: fold the "
	"shard stores\ninto the store, each in one transaction, once.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records rejected, "
	"66\n"
	"nothing done from some input (not opened, header refused, every "
	"record\n"
	"rejected), 69 store schema too new, 70 internal error, 73 cannot "
	"create\n"
	"the store or rejects file, 74 I/O error, 75 store busy.  See crm-\n"
	"ingest(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

/* The state of one run over all inputs. */
struct run {
	struct opts *o;
	struct crm_schema *sc;
	struct crm_store *st;
	struct crm_loader *ld;
	struct crm_filter *f;
	unsigned long long inserted, updated, unchanged;
};

/* Split "A=B" in place; usage error when there is no '='. */
static char *
split_eq(char *arg, const char *opt)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0')
		crm_usage_error(
		    synopsis, "bad %s '%s': want NAME=VALUE", opt, arg);
	*eq = '\0';
	return eq + 1;
}

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;

	return crm_schema_check_header(run->sc, hdr, e);
}

/* The output names are the input's, renamed as the schema says. */
static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;

	/* Values are empty, so this renames and changes nothing else. */
	if (crm_schema_apply(run->sc, hdr, e) == -1 && e->code != EX_DATAERR)
		return -1;
	return 0;
}

/* Normalize a record and hand it to the loader. */
static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;

	(void)drop;
	crm_schema_set_input(run->sc, crm_filter_input(run->f));
	if (crm_schema_apply(run->sc, r, e) == -1)
		return -1;
	if (run->ld != NULL && crm_loader_add(run->ld, r, e) == -1)
		return CRM_FILTER_FATAL; /* the store failed, not the record */
	return 0;
}

/*
 * The fields every record needs, as the input names them: a JSONL record
 * without one is rejected and counted, its first lack said once with the
 * near name.  A CSV/TSV header is checked by the schema (check_header).
 */
static int
needs(void *arg, struct crm_filter *f)
{
	struct run *run = arg;
	const char *name, *opt;
	size_t i;
	int k;

	for (i = 0; (k = crm_schema_need(run->sc, i, &name, &opt)) == 1; i++)
		if (crm_filter_need(
			f, name, opt, CRM_NEED_EVERY | CRM_NEED_RECORDS) == -1)
			return -1;
	return k;
}

static void
summary(struct run *run)
{
	if (run->ld != NULL) {
		crm_cli_count("inserted", run->inserted);
		crm_cli_count("updated", run->updated);
		crm_cli_count("unchanged", run->unchanged);
	}
	crm_cli_summary(run->f);
}

/* A number field whose column is TEXT: loaded, but said once. */
static void
warn_text_columns(struct run *run)
{
	const char *col;
	size_t i;

	for (i = 0; (col = crm_loader_text_column(run->ld, i)) != NULL; i++)
		crm_warnx("table '%s': column '%s' is TEXT, so its numbers are "
			  "stored as text (CAST(\"%s\" AS REAL) sorts them)",
		    crm_schema_kind(run->sc), col, col);
}

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o,
    struct crm_schema **sc)
{
	const char *arg;
	enum crm_date_order order = CRM_DATE_STRICT;
	struct crm_err e;
	const char **maps = NULL, **types = NULL;
	size_t nmaps = 0, ntypes = 0, i;
	int c;

	/* --map and --type are applied once the kind is known. */
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_DATE_ORDER:
			if (strcmp(arg, "dmy") == 0)
				order = CRM_DATE_DMY;
			else if (strcmp(arg, "mdy") == 0)
				order = CRM_DATE_MDY;
			else
				crm_usage_error(synopsis,
				    "bad --date-order '%s': want dmy or mdy",
				    arg);
			break;
		case OPT_MAP:
			crm_opt_push(&maps, &nmaps, arg);
			break;
		case OPT_TYPE:
			crm_opt_push(&types, &ntypes, arg);
			break;
		case OPT_VERBOSE:
			crm_store_log_to_stderr();
			break;
		}
	}
	crm_err_clear(&e);
	if (verb == V_MERGE) {
		if (o->kind != NULL || o->table != NULL || o->key != NULL ||
		    o->region != NULL || nmaps > 0 || ntypes > 0 ||
		    order != CRM_DATE_STRICT || o->infer || o->decimal_comma)
			crm_usage_error(synopsis, "--date-order, "
						  "--decimal-comma, "
						  "--infer-types, "
						  "--key, --kind, --map, "
						  "--region, --table and "
						  "--type "
						  "are for loading records, "
						  "not merge");
		if (o->c.db == NULL)
			crm_usage_error(synopsis, "merge needs --db FILE");
		free(maps);
		free(types);
		return;
	}
	if (o->kind != NULL && o->table != NULL)
		crm_usage_error(synopsis, "--kind and --table: a record is of "
					  "a kind or goes to a "
					  "table of your own, not both");
	if (o->table != NULL)
		*sc = crm_schema_new_table(o->table, &e);
	else
		*sc =
		    crm_schema_new(o->kind != NULL ? o->kind : "customers", &e);
	if (*sc == NULL)
		crm_cli_check(synopsis, -1, &e);
	for (i = 0; i < nmaps; i++) {
		char *m = (char *)maps[i], *from = split_eq(m, "--map");

		crm_cli_check(synopsis, crm_schema_map(*sc, m, from, &e), &e);
	}
	for (i = 0; i < ntypes; i++) {
		char *t = (char *)types[i], *type = split_eq(t, "--type");

		crm_cli_check(
		    synopsis, crm_schema_set_type(*sc, t, type, &e), &e);
	}
	if (o->key != NULL)
		crm_cli_check(
		    synopsis, crm_schema_set_key(*sc, o->key, &e), &e);
	if (o->region != NULL)
		crm_cli_check(
		    synopsis, crm_schema_set_region(*sc, o->region, &e), &e);
	crm_schema_set_date_order(*sc, order);
	crm_schema_set_infer(*sc, o->infer);
	crm_schema_set_decimal_comma(*sc, o->decimal_comma);
	free(maps);
	free(types);
}

/* merge: each shard in turn, in a transaction of its own. */
static int
run_merge(struct opts *o, int argc, char **argv)
{
	struct crm_merge_counts n;
	struct crm_store *st;
	struct crm_err e;
	int i, rc = 0;

	if (argc == 0)
		crm_usage_error(synopsis, "merge needs the shard stores to "
					  "merge");
	st = crm_cli_store(&o->c);
	for (i = 0; i < argc; i++) {
		memset(&n, 0, sizeof(n));
		crm_err_clear(&e);
		if (crm_merge_shard(st, argv[i], (int)o->c.busy_ms, &n, &e) ==
		    -1) {
			if (e.code == EX_USAGE)
				crm_usage_error(synopsis, "%s", e.msg);
			crm_warnx("%s", e.msg);
			if (rc == 0)
				rc = e.code;
			continue;
		}
		if (!o->c.quiet)
			crm_warnx("%s: %lld table%s merged, %lld unchanged; "
				  "%lld row%s written",
			    argv[i], n.tables, n.tables == 1 ? "" : "s",
			    n.unchanged, n.rows, n.rows == 1 ? "" : "s");
	}
	crm_store_close(st);
	return crm_close_stdout() ? EX_IOERR : rc;
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, NULL, NULL, needs };
	struct opts *o = &opts;
	struct run run;
	struct crm_err e;
	enum verb verb;
	int rc;

	crm_cli_init("crm-ingest");
	verb = (enum verb)crm_cli_verb(
	    &argc, argv, verbs, "loading records is the default", synopsis);
	crm_common_init(&o->c);
	memset(&run, 0, sizeof(run));
	parse_opts(argc, argv, verb, o, &run.sc);
	crm_cli_operands(&cmd, 0, &argc, &argv);
	if (verb == V_MERGE)
		return run_merge(o, argc, argv);
	run.o = o;
	run.f = crm_cli_filter(&o->c, &ops, &run, NULL);
	crm_err_clear(&e);
	if ((run.st = crm_cli_store(&o->c)) != NULL) {
		if ((run.ld = crm_loader_new(run.st, run.sc, &e)) == NULL ||
		    crm_loader_start(run.ld, (size_t)o->batch, &e) == -1)
			crm_die(e.code, "%s", e.msg);
		warn_text_columns(&run);
	}

	rc = crm_filter_run(run.f, argc, argv);
	/* Whatever was read and accepted is stored, even after an error. */
	if (run.ld != NULL) {
		/* A store error that ended the run was reported already. */
		if (crm_loader_finish(run.ld, &e) == -1 &&
		    (rc == 0 || rc == EX_DATAERR)) {
			crm_report(&e);
			rc = e.code;
		}
		crm_loader_counts(
		    run.ld, &run.inserted, &run.updated, &run.unchanged);
	}
	summary(&run);
	rc = crm_cli_end(run.f, rc);
	crm_loader_free(run.ld);
	crm_store_close(run.st);
	crm_schema_free(run.sc);
	return rc;
}
