/*
 * crm-dedupe: find the records of one customer across channels and give
 * them one cluster id, with no labelled examples needed; or link the
 * records against a second set, or against the clusters of the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clusters.h"
#include "dedupe.h"
#include "filter.h"
#include "norm.h"
#include "opt.h"
#include "rec.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-dedupe [--block RULE] [--db FILE] [--field FIELD[:TYPE]]\n"
    "                  [--id-field FIELD] [--ignore FIELD]\n"
    "                  [--incremental | --link FILE | --from-store]\n"
    "                  [--max-block N] [--max-cluster N] [--merge]\n"
    "                  [--prefer recent|frequent] [--region CC] [--seed N]\n"
    "                  [--threshold P] [--threads N] [--time-field FIELD]\n"
    "                  [--train-labels FILE] [-v] [common options] "
    "[file ...]\n";

enum {
	OPT_BLOCK = CRM_OPT_OWN,
	OPT_FIELD,
	OPT_FROM_STORE,
	OPT_ID_FIELD,
	OPT_IGNORE,
	OPT_INCREMENTAL,
	OPT_LINK,
	OPT_MAX_BLOCK,
	OPT_MAX_CLUSTER,
	OPT_MERGE,
	OPT_PREFER,
	OPT_REGION,
	OPT_SEED,
	OPT_THRESHOLD,
	OPT_THREADS,
	OPT_TIME_FIELD,
	OPT_TRAIN_LABELS,
};

static const struct crm_optdef options[] = {
	{ "block", OPT_BLOCK, "RULE",
	    "a blocking rule, e.g. surname:1+birth_date\n(FIELD, FIELD:N, "
	    "FIELD:-N, FIELD:soundex joined\nby +); repeat; default: from "
	    "the fields" },
	{ "db", CRM_OPT_DB, "FILE",
	    "the store: clusters, decisions, models ($CRM_DB)" },
	{ "field", OPT_FIELD, "FIELD[:TYPE]",
	    "compare FIELD (TYPE: name, text, address, id,\ncode, date, "
	    "number, email, phone, exact);\nrepeat; default: every field, "
	    "typed by its name" },
	{ "from-store", OPT_FROM_STORE, NULL, "dedupe the store's customers" },
	{ "id-field", OPT_ID_FIELD, "FIELD", "the record key (customer_id)" },
	{ "ignore", OPT_IGNORE, "FIELD", "do not compare FIELD" },
	{ "incremental", OPT_INCREMENTAL, NULL,
	    "match the records against the store's clusters\nwith the "
	    "store's newest model" },
	{ "link", OPT_LINK, "FILE",
	    "link the records to those of FILE: cluster_id is\nthe id of "
	    "the best match in FILE" },
	{ "max-block", OPT_MAX_BLOCK, "N",
	    "skip blocks of more records (1000)" },
	{ "max-cluster", OPT_MAX_CLUSTER, "N",
	    "never grow a cluster past N records (100)" },
	{ "merge", OPT_MERGE, NULL, "one golden record per cluster" },
	{ "prefer", OPT_PREFER, "RULE",
	    "--merge: recent (default) or frequent" },
	{ "region", OPT_REGION, "CC",
	    "country of phone numbers without one (CN)" },
	{ "seed", OPT_SEED, "N", "the random pairs that start EM (1)" },
	{ "threshold", OPT_THRESHOLD, "P",
	    "link pairs with probability >= P (0.5)" },
	{ "threads", OPT_THREADS, "N",
	    "compare on N threads (the processors)" },
	{ "time-field", OPT_TIME_FIELD, "FIELD",
	    "--merge: when a record was last updated" },
	{ "train-labels", OPT_TRAIN_LABELS, "FILE",
	    "learn from labelled pairs (id1, id2, match)\nwith an SVM "
	    "instead of EM" },
	{ "verbose", 'v', NULL,
	    "on stderr: the pairs of each blocking rule,\nthe weights of "
	    "each field and the share of\nmatches of each rule" },
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Find the records of one customer and append cluster_id (the id of\n"
	"the cluster's canonical record) and match_score (the best link\n"
	"probability that joined it).\n",
	"Exit status: 0 ok, 64 usage, 65 bad input, 66 missing input or "
	"model,\n70 internal error, 73 cannot create the rejects file, 74 "
	"I/O error,\n75 store busy.  See crm-dedupe(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

struct opts {
	struct crm_common c;
	struct crm_dedupe_opts d;
	int from_store;
};

/* ==== Options ==== */

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	struct crm_dedupe_opts *d = &o->d;
	struct crm_err e;
	const char *arg;
	int c;

	crm_common_init(&o->c);
	crm_dedupe_opts_init(d);
	o->from_store = 0;
	crm_err_clear(&e);
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_BLOCK:
			if (d->nblocks == CRM_LINK_MAXRULES)
				crm_usage_error(synopsis,
				    "more than %d blocking rules",
				    CRM_LINK_MAXRULES);
			d->block[d->nblocks++] = arg;
			break;
		case OPT_FIELD:
			/* argv's own string, cut at its colon */
			if (crm_dedupe_opt_field(d, (char *)arg, &e) == -1)
				crm_usage_error(synopsis, "%s", e.msg);
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			d->id_field = arg;
			break;
		case OPT_IGNORE:
			crm_opt_push(
			    (const char ***)&d->ignore, &d->nignore, arg);
			break;
		case OPT_INCREMENTAL:
			d->incremental = 1;
			break;
		case OPT_LINK:
			d->link = arg;
			break;
		case OPT_MAX_BLOCK:
			d->max_block = crm_opt_long(
			    synopsis, "--max-block", arg, 2, 100000000);
			break;
		case OPT_MAX_CLUSTER:
			d->max_cluster = crm_opt_long(
			    synopsis, "--max-cluster", arg, 2, 1L << 31);
			break;
		case OPT_MERGE:
			d->merge = 1;
			break;
		case OPT_PREFER:
			if (strcmp(arg, "recent") != 0 && strcmp(arg, "frequen"
								      "t") != 0)
				crm_usage_error(synopsis,
				    "bad --prefer '%s': want recent or "
				    "frequent",
				    arg);
			d->frequent = strcmp(arg, "frequent") == 0;
			break;
		case OPT_REGION:
			if (!crm_norm_region_known(arg))
				crm_usage_error(synopsis,
				    "bad --region '%s': want a country code "
				    "such as CN or US",
				    arg);
			d->region = arg;
			break;
		case OPT_SEED:
			d->seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", arg, 0, 4294967295L);
			break;
		case OPT_THRESHOLD:
			if (crm_parse_double(arg, 0, 1, &d->threshold) == -1 ||
			    d->threshold <= 0)
				crm_usage_error(synopsis,
				    "bad --threshold '%s': want above 0, at "
				    "most 1",
				    arg);
			break;
		case OPT_THREADS:
			d->threads = (int)crm_opt_long(
			    synopsis, "--threads", arg, 1, 16);
			break;
		case OPT_TIME_FIELD:
			d->time_field = arg;
			break;
		case OPT_TRAIN_LABELS:
			d->labels = arg;
			break;
		case 'v':
			d->verbose = 1;
			break;
		}
	}
	d->quiet = o->c.quiet;
	d->link_fmt = o->c.fo.in_fmt;
	if (d->incremental + (d->link != NULL) + o->from_store > 1)
		crm_usage_error(synopsis, "--incremental, --link and "
					  "--from-store go alone");
	if ((d->incremental || o->from_store) && o->c.db == NULL)
		crm_usage_error(synopsis, "%s needs --db",
		    d->incremental ? "--incremental" : "--from-store");
	if (crm_dedupe_opts_check(d, &e) == -1)
		crm_usage_error(synopsis, "%s", e.msg);
}

/* ==== The filter ==== */

struct run {
	struct crm_dedupe *d;
	int early; /* the finish step failed before any output */
};

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_dedupe_check_header(((struct run *)arg)->d, hdr, e);
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_dedupe_out_header(((struct run *)arg)->d, hdr, e);
}

/* Hold every record with an id until all are read. */
static int
hold_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	*drop = 1;
	if (crm_dedupe_add(((struct run *)arg)->d, r, e) == -1)
		return e->code == EX_DATAERR ? -1 : CRM_FILTER_FATAL;
	return 0;
}

static int
emit(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(arg, r, e);
}

/* Link or cluster what was held, and write it. */
static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct run *run = arg;
	struct crm_dedupe_stats ds;

	if (crm_dedupe_run(run->d, emit, f, e) == 0)
		return 0;
	crm_dedupe_stats(run->d, &ds);
	if (e->code == EX_USAGE && e->field[0] == '-') /* an option's */
		crm_usage_error(synopsis, "%s", e->msg);
	run->early = !ds.clustered;
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		hold_record, NULL, finish };
	unsigned long long nread, nwritten, nrejected;
	struct crm_dedupe_stats ds;
	struct crm_store *st = NULL;
	struct crm_source src;
	struct crm_filter *f;
	struct run run = { NULL, 0 };
	struct crm_err e;
	struct opts o;
	int rc;

	crm_cli_init("crm-dedupe");
	parse_opts(argc, argv, &o);
	argc -= optind;
	argv += optind;
	crm_err_clear(&e);
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	if (o.c.db != NULL &&
	    (st = crm_store_open(o.c.db, (int)o.c.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	o.d.store = st;
	o.d.input_name = argc == 1 ? argv[0] : "input";
	if ((run.d = crm_dedupe_new(&o.d, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((f = crm_filter_new(&o.c.fo, &ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (!o.from_store)
		rc = crm_filter_run(f, argc, argv);
	else if (crm_customers_source(st, o.d.id_field, &src, &e) == -1)
		crm_die(e.code, "%s", e.msg);
	else
		rc = crm_filter_run_source(f, &src);
	if (run.early) /* reported; as nothing was done, no summary */
		exit(rc);
	crm_dedupe_stats(run.d, &ds);
	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (!o.c.quiet)
		crm_warnx("read %llu, rejected %llu, %zu candidate pairs, "
			  "%llu links; %llu records in %llu clusters of two "
			  "or more%s",
		    nread, nrejected, ds.pairs, ds.links, ds.in_clusters,
		    ds.clusters, o.d.link != NULL ? " (linked)" : "");
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	crm_dedupe_free(run.d);
	crm_store_close(st);
	free((void *)o.d.ignore);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
