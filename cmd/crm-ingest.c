/*
 * crm-ingest: validate, normalize and load customer records (CSV, TSV or
 * JSONL) into the crmkit store, and pass the clean records on.
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
#include "rec.h"
#include "schema.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-ingest [-q] [--batch N] [--busy-timeout MS] [--date-order "
    "dmy|mdy]\n"
    "                  [--db FILE] [--input-format csv|tsv|jsonl] [--key "
    "FIELD]\n"
    "                  [--kind KIND] [--map STORE_FIELD=INPUT_FIELD]\n"
    "                  [--max-errors N] [--output-format csv|tsv|jsonl]\n"
    "                  [--region CC] [--rejects FILE] [--type FIELD=TYPE]\n"
    "                  [--verbose] [file ...]\n";

static const char help[] =
    "Validate and normalize records, load them into the store, and write\n"
    "the clean records to standard output.\n"
    "\n"
    "  --batch N              records per store transaction (10000)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --date-order dmy|mdy   how to read NN/NN/YYYY dates (default: only\n"
    "                         when unambiguous)\n"
    "  --db FILE              the store (default: $CRM_DB; none: only\n"
    "                         validate and normalize)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --key FIELD            key field of a generic kind (default: a hash\n"
    "                         of the whole record)\n"
    "  --kind KIND            customers (default), events, or a table name\n"
    "  --map STORE=INPUT      read store field STORE from input field INPUT\n"
    "  --max-errors N         stop after N rejected records (default: no "
    "limit)\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary line\n"
    "  --region CC            phone region for numbers without a country\n"
    "                         code (CN)\n"
    "  --rejects FILE         write rejected records there as CSV: file,\n"
    "                         line, field, reason, raw\n"
    "  --type FIELD=TYPE      normalize FIELD as text, id, email, phone, "
    "date,\n"
    "                         number or raw\n"
    "  --verbose              SQLite's own log on stderr\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-ingest and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 records rejected, 66 missing input,\n"
    "69 store schema too new, 70 internal error, 73 cannot create the store\n"
    "or rejects file, 74 I/O error, 75 store busy.  See crm-ingest(1).\n";

enum {
	OPT_BATCH = 256,
	OPT_BUSY,
	OPT_DATE_ORDER,
	OPT_DB,
	OPT_INPUT_FORMAT,
	OPT_KEY,
	OPT_KIND,
	OPT_MAP,
	OPT_MAX_ERRORS,
	OPT_OUTPUT_FORMAT,
	OPT_REGION,
	OPT_REJECTS,
	OPT_TYPE,
	OPT_VERBOSE,
	OPT_VERSION
};

static const struct option longopts[] = {
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "busy-timeout", required_argument, NULL, OPT_BUSY },
	{ "date-order", required_argument, NULL, OPT_DATE_ORDER },
	{ "db", required_argument, NULL, OPT_DB },
	{ "help", no_argument, NULL, 'h' },
	{ "input-format", required_argument, NULL, OPT_INPUT_FORMAT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
	{ "output-format", required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	long batch;
	long busy_ms;
	const char *db;
	enum crm_format in_fmt;
	enum crm_format out_fmt;
	long max_errors; /* -1: no limit */
	int quiet;
	const char *rejects;
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

static void
usage_check(int rc, struct crm_err *e)
{
	if (rc == -1) {
		if (e->code == EX_USAGE)
			crm_usage_error(synopsis, "%s", e->msg);
		crm_die(e->code, "%s", e->msg);
	}
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
	if (crm_schema_apply(run->sc, r, e) == -1)
		return -1;
	if (run->ld != NULL && crm_loader_add(run->ld, r, e) == -1)
		return CRM_FILTER_FATAL; /* the store failed, not the record */
	return 0;
}

static void
summary(struct run *run)
{
	unsigned long long read, written, rejected;

	if (run->o->quiet)
		return;
	crm_filter_counts(run->f, &read, &written, &rejected);
	if (run->ld != NULL)
		crm_warnx("read %llu, inserted %llu, updated %llu, unchanged "
			  "%llu, rejected %llu",
		    read, run->inserted, run->updated, run->unchanged,
		    rejected);
	else
		crm_warnx("read %llu, written %llu, rejected %llu", read,
		    written, rejected);
}

static void
parse_opts(int argc, char **argv, struct opts *o, struct crm_schema **sc)
{
	const char *kind = "customers", *key = NULL, *region = NULL;
	enum crm_date_order order = CRM_DATE_STRICT;
	struct crm_err e;
	char **maps, **types;
	int nmaps = 0, ntypes = 0, c, i;

	/* --map and --type are applied once the kind is known. */
	maps = calloc((size_t)argc, sizeof(*maps));
	types = calloc((size_t)argc, sizeof(*types));
	if (maps == NULL || types == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BATCH:
			if (crm_parse_long(optarg, 1, 10000000, &o->batch) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --batch '%s': want 1 to 10000000",
				    optarg);
			break;
		case OPT_BUSY:
			if (crm_parse_long(optarg, 1, 86400000, &o->busy_ms) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --busy-timeout '%s': want 1 to "
				    "86400000 ms",
				    optarg);
			break;
		case OPT_DATE_ORDER:
			if (strcmp(optarg, "dmy") == 0)
				order = CRM_DATE_DMY;
			else if (strcmp(optarg, "mdy") == 0)
				order = CRM_DATE_MDY;
			else
				crm_usage_error(synopsis,
				    "bad --date-order '%s': want dmy or mdy",
				    optarg);
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case 'h':
			printf("%s\n%s", synopsis, help);
			exit(crm_close_stdout());
		case OPT_INPUT_FORMAT:
			o->in_fmt = crm_parse_format(synopsis, optarg);
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_KIND:
			kind = optarg;
			break;
		case OPT_MAP:
			maps[nmaps++] = optarg;
			break;
		case OPT_MAX_ERRORS:
			if (crm_parse_long(
				optarg, 0, 1000000000, &o->max_errors) == -1)
				crm_usage_error(synopsis,
				    "bad --max-errors '%s': want a number >= 0",
				    optarg);
			break;
		case OPT_OUTPUT_FORMAT:
			o->out_fmt = crm_parse_format(synopsis, optarg);
			break;
		case 'q':
			o->quiet = 1;
			break;
		case OPT_REGION:
			region = optarg;
			break;
		case OPT_REJECTS:
			o->rejects = optarg;
			break;
		case OPT_TYPE:
			types[ntypes++] = optarg;
			break;
		case OPT_VERBOSE:
			crm_store_log_to_stderr();
			break;
		case OPT_VERSION:
			crm_print_version();
			exit(crm_close_stdout());
		default:
			crm_bad_option(synopsis, c, argv);
		}
	}
	crm_err_clear(&e);
	if ((*sc = crm_schema_new(kind, &e)) == NULL)
		usage_check(-1, &e);
	for (i = 0; i < nmaps; i++) {
		char *from = split_eq(maps[i], "--map");

		usage_check(crm_schema_map(*sc, maps[i], from, &e), &e);
	}
	for (i = 0; i < ntypes; i++) {
		char *type = split_eq(types[i], "--type");

		usage_check(crm_schema_set_type(*sc, types[i], type, &e), &e);
	}
	if (key != NULL)
		usage_check(crm_schema_set_key(*sc, key, &e), &e);
	if (region != NULL)
		usage_check(crm_schema_set_region(*sc, region, &e), &e);
	crm_schema_set_date_order(*sc, order);
	free(maps);
	free(types);
	o->db = crm_db_path(o->db);
}

int
main(int argc, char **argv)
{
	struct opts o = { 10000, 0, NULL, CRM_FMT_AUTO, CRM_FMT_AUTO, -1, 0,
		NULL };
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, NULL };
	struct crm_filter_opts fo;
	struct run run;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-ingest");
	memset(&run, 0, sizeof(run));
	parse_opts(argc, argv, &o, &run.sc);
	argc -= optind;
	argv += optind;
	run.o = &o;
	crm_err_clear(&e);
	fo.in_fmt = o.in_fmt;
	fo.out_fmt = o.out_fmt;
	fo.max_errors = o.max_errors;
	fo.rejects = o.rejects;
	fo.no_output = 0;
	if ((run.f = crm_filter_new(&fo, &ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.db != NULL) {
		if ((run.st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		if ((run.ld = crm_loader_new(run.st, run.sc, &e)) == NULL ||
		    crm_loader_start(run.ld, (size_t)o.batch, &e) == -1)
			crm_die(e.code, "%s", e.msg);
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
	rc = crm_filter_finish(run.f, rc);
	crm_filter_free(run.f);
	crm_loader_free(run.ld);
	crm_store_close(run.st);
	crm_schema_free(run.sc);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
