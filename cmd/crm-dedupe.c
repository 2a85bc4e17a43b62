/*
 * crm-dedupe: find the records of one customer across channels and give
 * them one cluster id, with no labelled examples needed; or link the
 * records against a second set, or against the clusters of the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clusters.h"
#include "dedupe.h"
#include "filter.h"
#include "norm.h"
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

static const char help[] =
    "Find the records of one customer and append cluster_id (the id of\n"
    "the cluster's canonical record) and match_score (the best link\n"
    "probability that joined it).\n"
    "\n"
    "  --block RULE           a blocking rule, e.g. surname:1+birth_date\n"
    "                         (FIELD, FIELD:N, FIELD:-N, FIELD:soundex "
    "joined\n"
    "                         by +); repeat; default: from the fields\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --db FILE              the store: clusters, decisions, models "
    "($CRM_DB)\n"
    "  --field FIELD[:TYPE]   compare FIELD (TYPE: name, text, address, "
    "id,\n"
    "                         code, date, number, email, phone, exact);\n"
    "                         repeat; default: every field, typed by its "
    "name\n"
    "  --from-store           dedupe the store's customers\n"
    "  --id-field FIELD       the record key (customer_id)\n"
    "  --ignore FIELD         do not compare FIELD\n"
    "  --incremental          match the records against the store's "
    "clusters\n"
    "                         with the store's newest model\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --link FILE            link the records to those of FILE: cluster_id "
    "is\n"
    "                         the id of the best match in FILE\n"
    "  --max-block N          skip blocks of more records (1000)\n"
    "  --max-cluster N        never grow a cluster past N records (100)\n"
    "  --max-errors N         stop after N rejected records\n"
    "  --merge                one golden record per cluster\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  --prefer RULE          --merge: recent (default) or frequent\n"
    "  --region CC            country of phone numbers without one (CN)\n"
    "  --rejects FILE         write rejected records to FILE\n"
    "  --seed N               the random pairs that start EM (1)\n"
    "  --threshold P          link pairs with probability >= P (0.5)\n"
    "  --threads N            compare on N threads (the processors)\n"
    "  --time-field FIELD     --merge: when a record was last updated\n"
    "  --train-labels FILE    learn from labelled pairs (id1, id2, match)\n"
    "                         with an SVM instead of EM\n"
    "  -q, --quiet            no summary on stderr\n"
    "  -v, --verbose          pairs per rule, the model's weights\n"
    "  -h, --help             this help\n"
    "      --version          the version\n";

enum {
	OPT_BLOCK = 256,
	OPT_DB,
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

static const struct option longopts[] = {
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "db", required_argument, NULL, OPT_DB },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "from-store", no_argument, NULL, OPT_FROM_STORE },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "incremental", no_argument, NULL, OPT_INCREMENTAL },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "max-block", required_argument, NULL, OPT_MAX_BLOCK },
	{ "max-cluster", required_argument, NULL, OPT_MAX_CLUSTER },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "prefer", required_argument, NULL, OPT_PREFER },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "train-labels", required_argument, NULL, OPT_TRAIN_LABELS },
	{ "verbose", no_argument, NULL, 'v' },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct opts {
	struct crm_dedupe_opts d;
	struct crm_filter_opts fo;
	const char *db;
	long busy_ms;
	int from_store;
};

/* ==== Options ==== */

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	struct crm_dedupe_opts *d = &o->d;
	struct crm_err e;
	int c;

	memset(o, 0, sizeof(*o));
	crm_dedupe_opts_init(d);
	o->fo.max_errors = -1;
	crm_err_clear(&e);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hqv", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BLOCK:
			if (d->nblocks == CRM_LINK_MAXRULES)
				crm_usage_error(synopsis,
				    "more than %d blocking rules",
				    CRM_LINK_MAXRULES);
			d->block[d->nblocks++] = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_FIELD:
			if (crm_dedupe_opt_field(d, optarg, &e) == -1)
				crm_usage_error(synopsis, "%s", e.msg);
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			d->id_field = optarg;
			break;
		case OPT_IGNORE:
			crm_opt_push(
			    (const char ***)&d->ignore, &d->nignore, optarg);
			break;
		case OPT_INCREMENTAL:
			d->incremental = 1;
			break;
		case OPT_LINK:
			d->link = optarg;
			break;
		case OPT_MAX_BLOCK:
			d->max_block = crm_opt_long(
			    synopsis, "--max-block", optarg, 2, 100000000);
			break;
		case OPT_MAX_CLUSTER:
			d->max_cluster = crm_opt_long(
			    synopsis, "--max-cluster", optarg, 2, 1L << 31);
			break;
		case OPT_MERGE:
			d->merge = 1;
			break;
		case OPT_PREFER:
			if (strcmp(optarg, "recent") != 0 &&
			    strcmp(optarg, "frequent") != 0)
				crm_usage_error(synopsis,
				    "bad --prefer '%s': want recent or "
				    "frequent",
				    optarg);
			d->frequent = strcmp(optarg, "frequent") == 0;
			break;
		case OPT_REGION:
			if (!crm_norm_region_known(optarg))
				crm_usage_error(synopsis,
				    "bad --region '%s': want a country code "
				    "such as CN or US",
				    optarg);
			d->region = optarg;
			break;
		case OPT_SEED:
			d->seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		case OPT_THRESHOLD:
			if (crm_parse_double(optarg, 0, 1, &d->threshold) ==
				-1 ||
			    d->threshold <= 0)
				crm_usage_error(synopsis,
				    "bad --threshold '%s': want above 0, at "
				    "most 1",
				    optarg);
			break;
		case OPT_THREADS:
			d->threads = (int)crm_opt_long(
			    synopsis, "--threads", optarg, 1, 16);
			break;
		case OPT_TIME_FIELD:
			d->time_field = optarg;
			break;
		case OPT_TRAIN_LABELS:
			d->labels = optarg;
			break;
		case 'v':
			d->verbose = 1;
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &d->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	d->link_fmt = o->fo.in_fmt;
	if (d->incremental + (d->link != NULL) + o->from_store > 1)
		crm_usage_error(synopsis, "--incremental, --link and "
					  "--from-store go alone");
	if ((d->incremental || o->from_store) && o->db == NULL)
		crm_usage_error(synopsis, "%s needs --db",
		    d->incremental ? "--incremental" : "--from-store");
	if (crm_dedupe_opts_check(d, &e) == -1)
		crm_usage_error(synopsis, "%s", e.msg);
}

/* ==== The filter ==== */

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_dedupe_check_header(arg, hdr, e);
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_dedupe_out_header(arg, hdr, e);
}

/* Hold every record with an id until all are read. */
static int
hold_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	*drop = 1;
	if (crm_dedupe_add(arg, r, e) == -1)
		return e->code == EX_DATAERR ? -1 : CRM_FILTER_FATAL;
	return 0;
}

static int
emit(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(arg, r, e);
}

/* --from-store: the store's customers through the filter. */
static int
run_store(struct crm_filter *f, struct crm_store *st, const char *id_field)
{
	struct crm_customers *cs;
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	if ((cs = crm_customers_open(st, id_field, 0, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = crm_filter_run_file(f, crm_customers_file(cs), "store");
	if (crm_customers_close(cs, &e) == -1)
		crm_die(e.code, "%s", e.msg);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		hold_record, NULL };
	unsigned long long nread, nwritten, nrejected;
	struct crm_dedupe_stats ds;
	struct crm_store *st = NULL;
	struct crm_dedupe *d;
	struct crm_filter *f;
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
	if (o.db != NULL &&
	    (st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	o.d.store = st;
	o.d.input_name = argc == 1 ? argv[0] : "input";
	if ((d = crm_dedupe_new(&o.d, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((f = crm_filter_new(&o.fo, &ops, d, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = o.from_store ? run_store(f, st, o.d.id_field)
			  : crm_filter_run(f, argc, argv);
	if (rc == 0 && crm_dedupe_run(d, emit, f, &e) == -1) {
		crm_dedupe_stats(d, &ds);
		if (e.code == EX_USAGE && e.field[0] == '-') /* an option */
			crm_usage_error(synopsis, "%s", e.msg);
		crm_report(&e);
		if (!ds.clustered) /* nothing written: no summary */
			exit(e.code);
		rc = e.code;
	}
	crm_dedupe_stats(d, &ds);
	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (!o.d.quiet)
		crm_warnx("read %llu, rejected %llu, %zu candidate pairs, "
			  "%llu links; %llu records in %llu clusters of two "
			  "or more%s",
		    nread, nrejected, ds.pairs, ds.links, ds.in_clusters,
		    ds.clusters, o.d.link != NULL ? " (linked)" : "");
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	crm_dedupe_free(d);
	crm_store_close(st);
	free((void *)o.d.ignore);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
