/*
 * crm-recommend: the next items for each customer, and the items bought
 * with an item; fit and evaluate the model, from records or from the
 * store's events.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "filter.h"
#include "rec.h"
#include "reco_run.h"

static const char synopsis[] =
    "usage: crm-recommend [--db FILE] [--from-store] [--item] [--model NAME]\n"
    "                     [--model-file FILE] [--model-version N] [--top N]\n"
    "                     [common options] [file ...]\n"
    "       crm-recommend fit [--algo ease|knn|als] [--dense-limit N]\n"
    "                     [--event-types TYPE[:W],...] [--from-store]\n"
    "                     [algorithm options] [--weight-field FIELD]\n"
    "                     [common options] [file ...]\n"
    "       crm-recommend eval [--json] [--test-fraction P] [--time-field "
    "FIELD]\n"
    "                     [--top K] [fit options] [common options] [file "
    "...]\n";

static const char help[] =
    "Append the top items for each customer (or, with --item, the items\n"
    "that go with each item) learned from interactions; fit or evaluate\n"
    "the model with the verbs.\n"
    "\n"
    "  --algo ease|knn|als    fit: EASE (default), item-kNN or implicit ALS\n"
    "  --alpha A              als: confidence 1 + A * weight (10)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --db FILE              the store: models, decisions, events "
    "($CRM_DB)\n"
    "  --dense-limit N        ease: most items for its N x N matrix, else "
    "knn\n"
    "                         (14000: 784 MB)\n"
    "  --event-types LIST     --from-store: event types to learn from, each\n"
    "                         with an optional weight (order,view:0.2)\n"
    "  --factors F            als: factors per customer and item (64)\n"
    "  --from-store           fit, eval: the store's events; else the "
    "store's\n"
    "                         customers (items with --item)\n"
    "  --id-field FIELD       the customer id (customer_id)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --item                 the items that go with each record's item\n"
    "  --item-field FIELD     the item id (item)\n"
    "  --iterations N         als: sweeps (15)\n"
    "  --json                 eval: print the metrics as JSON\n"
    "  --lambda L             ease: the L2 weight (500)\n"
    "  --max-errors N         stop after more than N rejected records\n"
    "  --model NAME           the model in the store (recommend)\n"
    "  --model-file FILE      read (write, to fit) the model from FILE\n"
    "  --model-version N      use version N of the model in the store\n"
    "  --neighbours K         knn: similar items kept per item (100)\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary line\n"
    "  --reg R                als: the L2 weight (0.1)\n"
    "  --rejects FILE         write rejected records there as CSV\n"
    "  --seed N               als: seed of the initial factors (1)\n"
    "  --test-fraction P      eval: each customer's latest share held out "
    "(0.2)\n"
    "  --time-field FIELD     eval: the time of an interaction (time)\n"
    "  --top N                items per record, or eval's cut-off K (10)\n"
    "  --weight-field FIELD   fit, eval: weight of an interaction (none: "
    "1)\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-recommend and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 records rejected or no interactions,\n"
    "66 missing input or model, 69 store schema too new, 70 internal "
    "error,\n"
    "73 cannot create output, 74 I/O error, 75 store busy.  See\n"
    "crm-recommend(1).\n";

static const char *const verbs[] = { "fit", "eval", NULL };

enum {
	OPT_ALGO = 256,
	OPT_ALPHA,
	OPT_DB,
	OPT_DENSE_LIMIT,
	OPT_EVENT_TYPES,
	OPT_FACTORS,
	OPT_FROM_STORE,
	OPT_ID_FIELD,
	OPT_ITEM,
	OPT_ITEM_FIELD,
	OPT_ITERATIONS,
	OPT_JSON,
	OPT_LAMBDA,
	OPT_MODEL,
	OPT_MODEL_FILE,
	OPT_MODEL_VERSION,
	OPT_NEIGHBOURS,
	OPT_REG,
	OPT_SEED,
	OPT_TEST_FRACTION,
	OPT_TIME_FIELD,
	OPT_TOP,
	OPT_WEIGHT_FIELD
};

static const struct option longopts[] = {
	{ "algo", required_argument, NULL, OPT_ALGO },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "db", required_argument, NULL, OPT_DB },
	{ "dense-limit", required_argument, NULL, OPT_DENSE_LIMIT },
	{ "event-types", required_argument, NULL, OPT_EVENT_TYPES },
	{ "factors", required_argument, NULL, OPT_FACTORS },
	{ "from-store", no_argument, NULL, OPT_FROM_STORE },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "item", no_argument, NULL, OPT_ITEM },
	{ "item-field", required_argument, NULL, OPT_ITEM_FIELD },
	{ "iterations", required_argument, NULL, OPT_ITERATIONS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "lambda", required_argument, NULL, OPT_LAMBDA },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "model-file", required_argument, NULL, OPT_MODEL_FILE },
	{ "model-version", required_argument, NULL, OPT_MODEL_VERSION },
	{ "neighbours", required_argument, NULL, OPT_NEIGHBOURS },
	{ "reg", required_argument, NULL, OPT_REG },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "test-fraction", required_argument, NULL, OPT_TEST_FRACTION },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "weight-field", required_argument, NULL, OPT_WEIGHT_FIELD },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct opts {
	struct crm_reco_run_opts ro;
	long busy_ms;
	int from_store;
	const char *fit_opt;  /* a fit option given, for the usage check */
	const char *eval_opt; /* an eval-only option given */
	struct crm_filter_opts fo;
};

static double
double_opt(const char *opt, const char *arg, double min, double max)
{
	double v;

	if (crm_parse_double(arg, min, max, &v) == -1)
		crm_usage_error(
		    synopsis, "bad %s '%s': want %g to %g", opt, arg, min, max);
	return v;
}

static void
parse_opts(int argc, char **argv, enum crm_reco_verb verb, struct opts *o)
{
	struct crm_err e;
	int c, a;

	crm_err_clear(&e);
	memset(o, 0, sizeof(*o));
	crm_reco_run_opts_init(&o->ro);
	o->ro.verb = verb;
	o->fo.max_errors = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ALGO:
			if ((a = crm_reco_algo_parse(optarg)) < 0)
				crm_usage_error(synopsis,
				    "bad --algo '%s': want ease, knn or als",
				    optarg);
			o->ro.rp.algo = (enum crm_reco_algo)a;
			o->fit_opt = "--algo";
			break;
		case OPT_ALPHA:
			o->ro.rp.alpha = double_opt("--alpha", optarg, 0, 1e6);
			o->fit_opt = "--alpha";
			break;
		case OPT_DB:
			o->ro.db = optarg;
			break;
		case OPT_DENSE_LIMIT:
			o->ro.rp.dense_limit = (size_t)crm_opt_long(
			    synopsis, "--dense-limit", optarg, 0, 40000);
			o->fit_opt = "--dense-limit";
			break;
		case OPT_EVENT_TYPES:
			if (crm_reco_types_parse(&o->ro, optarg, &e) == -1) {
				if (e.code == EX_USAGE)
					crm_usage_error(synopsis, "%s", e.msg);
				crm_die(e.code, "%s", e.msg);
			}
			o->fit_opt = "--event-types";
			break;
		case OPT_FACTORS:
			o->ro.rp.factors = (size_t)crm_opt_long(
			    synopsis, "--factors", optarg, 1, 1000);
			o->fit_opt = "--factors";
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			o->ro.id_field = optarg;
			break;
		case OPT_ITEM:
			o->ro.item_mode = 1;
			break;
		case OPT_ITEM_FIELD:
			o->ro.item_field = optarg;
			break;
		case OPT_ITERATIONS:
			o->ro.rp.iterations = (size_t)crm_opt_long(
			    synopsis, "--iterations", optarg, 1, 1000);
			o->fit_opt = "--iterations";
			break;
		case OPT_JSON:
			o->ro.json = 1;
			o->eval_opt = "--json";
			break;
		case OPT_LAMBDA:
			o->ro.rp.lambda =
			    double_opt("--lambda", optarg, 1e-3, 1e9);
			o->fit_opt = "--lambda";
			break;
		case OPT_MODEL:
			o->ro.model = optarg;
			break;
		case OPT_MODEL_FILE:
			o->ro.model_file = optarg;
			break;
		case OPT_MODEL_VERSION:
			o->ro.model_version = crm_opt_long(
			    synopsis, "--model-version", optarg, 1, 1L << 40);
			break;
		case OPT_NEIGHBOURS:
			o->ro.rp.neighbours = (size_t)crm_opt_long(
			    synopsis, "--neighbours", optarg, 1, 100000);
			o->fit_opt = "--neighbours";
			break;
		case OPT_REG:
			o->ro.rp.reg = double_opt("--reg", optarg, 1e-6, 1e6);
			o->fit_opt = "--reg";
			break;
		case OPT_SEED:
			o->ro.rp.seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			o->fit_opt = "--seed";
			break;
		case OPT_TEST_FRACTION:
			o->ro.frac =
			    double_opt("--test-fraction", optarg, 0, 1);
			o->eval_opt = "--test-fraction";
			break;
		case OPT_TIME_FIELD:
			o->ro.time_field = optarg;
			o->eval_opt = "--time-field";
			break;
		case OPT_TOP:
			o->ro.top = (size_t)crm_opt_long(
			    synopsis, "--top", optarg, 1, 10000);
			break;
		case OPT_WEIGHT_FIELD:
			o->ro.weight_field = optarg;
			o->fit_opt = "--weight-field";
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->ro.quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->ro.db = crm_db_path(o->ro.db);
	if (o->ro.verb == CRM_RECO_RECOMMEND && o->fit_opt != NULL)
		crm_usage_error(synopsis, "%s is for fit and eval", o->fit_opt);
	if (o->ro.verb != CRM_RECO_EVAL && o->eval_opt != NULL)
		crm_usage_error(synopsis, "%s is for eval", o->eval_opt);
	if (o->ro.verb != CRM_RECO_RECOMMEND && o->ro.item_mode)
		crm_usage_error(synopsis, "--item is for recommending");
	if (o->ro.verb == CRM_RECO_FIT && o->ro.db == NULL &&
	    o->ro.model_file == NULL)
		crm_usage_error(synopsis, "fit needs --db or --model-file to "
					  "keep the model");
	if (o->from_store && o->ro.db == NULL)
		crm_usage_error(synopsis, "--from-store needs --db");
	if (o->ro.types != NULL && !o->from_store)
		crm_usage_error(synopsis, "--event-types needs --from-store");
	if (o->from_store && o->ro.weight_field != NULL)
		crm_usage_error(synopsis, "with --from-store, weights come "
					  "from --event-types");
	if (o->ro.model_version != 0 &&
	    (o->ro.model_file != NULL || o->ro.db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (o->ro.verb != CRM_RECO_RECOMMEND)
		o->fo.no_output = 1;
}

/* ==== Main ==== */

/* A fit step on the terminal, when stderr is one. */
static void
fit_progress(void *arg, const char *what)
{
	struct crm_progress *p = arg;

	if (!p->on)
		return;
	fprintf(stderr, "\r%s: %s\033[K", crm_cli_name(), what);
	fflush(stderr);
	p->shown = 1;
}

static void
note(void *arg, const char *msg)
{
	crm_progress_end(arg);
	crm_warnx("%s", msg);
}

int
main(int argc, char **argv)
{
	unsigned long long nread = 0, nwritten = 0, nrejected = 0;
	struct crm_reco_run *run;
	struct crm_filter *f = NULL;
	struct crm_store *st = NULL;
	struct crm_progress prog;
	struct crm_buf out;
	struct opts o;
	struct crm_err e;
	FILE *sfp = NULL;
	int rc = 0;

	crm_cli_init("crm-recommend");
	parse_opts(argc, argv,
	    (enum crm_reco_verb)crm_cli_verb(&argc, argv, verbs), &o);
	argc -= optind;
	argv += optind;
	crm_err_clear(&e);
	crm_buf_init(&out);
	crm_progress_init(&prog);
	o.ro.rp.progress = fit_progress;
	o.ro.rp.progress_arg = o.ro.note_arg = &prog;
	o.ro.note = note;
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	if (o.ro.db != NULL &&
	    (st = crm_store_open(o.ro.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((run = crm_reco_run_new(&o.ro, st, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.from_store && o.ro.verb != CRM_RECO_RECOMMEND) {
		/* interactions straight from the events, no records */
		if (crm_reco_run_events(run, st, &e) == -1)
			crm_die(e.code, "%s", e.msg);
	} else {
		if (o.from_store) {
			if ((sfp = crm_reco_run_store_records(run, st, &e)) ==
			    NULL)
				crm_die(e.code, "%s", e.msg);
			if (o.fo.in_fmt == CRM_FMT_AUTO)
				o.fo.in_fmt = CRM_FMT_JSONL;
		}
		if ((f = crm_filter_new(
			 &o.fo, crm_reco_run_ops(run), run, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		rc = sfp != NULL ? crm_filter_run_file(f, sfp, "store")
				 : crm_filter_run(f, argc, argv);
		crm_filter_counts(f, &nread, &nwritten, &nrejected);
	}
	if (crm_reco_run_close(run, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	if (!o.ro.quiet && o.ro.verb == CRM_RECO_RECOMMEND)
		crm_warnx("read %llu, recommended %llu (%llu popular), "
			  "rejected %llu",
		    nread, nwritten, crm_reco_run_popular(run), nrejected);
	else if (!o.ro.quiet && f != NULL)
		crm_warnx("read %llu, without an item %llu, rejected %llu",
		    nread, crm_reco_run_noitem(run), nrejected);
	if (rc == 0 && o.ro.verb != CRM_RECO_RECOMMEND && f != NULL &&
	    (crm_filter_status(f) != 0 || nrejected > 0)) {
		/* a model or figures from part of the data would mislead */
		crm_warnx("no %s: %s",
		    o.ro.verb == CRM_RECO_FIT ? "model saved" : "figures",
		    nrejected > 0 ? "records were rejected"
				  : "an input could not be read");
	} else if (rc == 0 && crm_reco_run_finish(run, &out, &e) == -1) {
		crm_progress_end(&prog);
		crm_report(&e);
		rc = e.code;
	}
	crm_progress_end(&prog);
	if (out.len > 0)
		fwrite(out.p, 1, out.len, stdout);
	if (f != NULL) {
		rc = crm_filter_finish(f, rc);
		crm_filter_free(f);
	}
	if (sfp != NULL)
		fclose(sfp);
	crm_reco_run_free(run);
	crm_store_close(st);
	free(o.ro.types);
	crm_buf_release(&out);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
