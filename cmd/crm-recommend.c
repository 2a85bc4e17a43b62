/*
 * crm-recommend: the next items for each customer, and the items bought
 * with an item; train and evaluate the model, from records or from the
 * store's events.  The pipeline is lib/reco_run.c; this is its options
 * and wiring.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "armmodel.h"
#include "cli.h"
#include "filter.h"
#include "reco_run.h"

static const char synopsis[] =
    "usage: crm-recommend [--by person|record] [--db FILE] [--from-store]\n"
    "                     [--item] [--model NAME] [--model-file FILE]\n"
    "                     [--model-version N] [--top N]\n"
    "                     [--experiment NAME --arm-model ARM=FILE|VERSION ...\n"
    "                     [--arms NAME=W,... [--holdout SHARE]]\n"
    "                     [--experiment-key FILE]]\n"
    "                     [common options] [file ...]\n"
    "       crm-recommend train [--algo ease|knn|als] [--by person|record]\n"
    "                     [--dense-limit N]\n"
    "                     [--event-types TYPE[:W],...] [--from-store]\n"
    "                     [algorithm options] [--weight-field FIELD]\n"
    "                     [common options] [file ...]\n"
    "       crm-recommend eval [--json] [--test-fraction P] [--time-field "
    "FIELD]\n"
    "                     [--top K] [train options] [common options] [file "
    "...]\n";

/* The options of train and eval, which the verb check names. */
enum {
	OPT_ALGO = CRM_OPT_OWN,
	OPT_ALPHA,
	OPT_DENSE_LIMIT,
	OPT_EVENT_TYPES,
	OPT_FACTORS,
	OPT_ITERATIONS,
	OPT_LAMBDA,
	OPT_NEIGHBOURS,
	OPT_REG,
	OPT_SEED,
	OPT_WEIGHT_FIELD,
	OPT_JSON, /* eval only from here */
	OPT_TEST_FRACTION,
	OPT_TIME_FIELD,
	OPT_BY,	       /* every verb's */
	OPT_ARM_MODEL, /* recommending's, with --experiment */
	OPT_HOLDOUT
};

struct opts {
	struct crm_reco_run_opts ro;
	struct crm_common c;
	long top;	      /* ro.top, as crm_getopt stores a long */
	const char *fit_opt;  /* a train option given, for the usage check */
	const char *eval_opt; /* an eval-only option given */
	struct crm_armmodel_opts ao; /* --experiment */
	const char **specs;	     /* --arm-model */
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT("algo", OPT_ALGO, "ease|knn|als",
	    "train: EASE (default), item-kNN or implicit ALS"),
	CRM_OPT("alpha", OPT_ALPHA, "A", "als: confidence 1 + A * weight (10)"),
	CRM_OPT("arm-model", OPT_ARM_MODEL, "ARM=FILE|VERSION",
	    "--experiment: recommend for ARM's customers with\nthe model in "
	    "FILE, or (--db) VERSION of the model\n(repeatable)"),
	CRM_OPT_STR("arms", "NAME=W,...",
	    "--experiment: its arms and weights, as\ncrm-experiment's (--db: "
	    "the stored ones)",
	    &opts.ao.arms),
	CRM_BY_OPT(OPT_BY),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: models, decisions, events ($CRM_DB)"),
	CRM_OPT("dense-limit", OPT_DENSE_LIMIT, "N",
	    "ease: most items for its N x N matrix, else knn\n(14000: 784 "
	    "MB)"),
	CRM_OPT("event-types", OPT_EVENT_TYPES, "LIST",
	    "--from-store: event types to learn from, each\nwith an optional "
	    "weight (order,view:0.2)"),
	CRM_OPT_STR("experiment", "NAME",
	    "recommend for each customer with the model of\nits arm of "
	    "experiment NAME",
	    &opts.ao.experiment),
	CRM_OPT_STR("experiment-key", "FILE",
	    "--experiment: the hash's key\n($CRM_EXPERIMENT_KEY)",
	    &opts.ao.key_file),
	CRM_OPT("factors", OPT_FACTORS, "F",
	    "als: factors per customer and item (64)"),
	CRM_OPT_FLAG("from-store", 0,
	    "train, eval: the store's events; else the store's\ncustomers "
	    "(items with --item)",
	    &opts.ro.from_store),
	CRM_OPT("holdout", OPT_HOLDOUT, "SHARE",
	    "--experiment: the share kept out, arm holdout\n(0)"),
	CRM_OPT_STR("id-field", "FIELD", "the customer id (customer_id)",
	    &opts.ro.id_field),
	CRM_OPT_FLAG("item", 0, "the items that go with each record's item",
	    &opts.ro.item_mode),
	CRM_OPT_STR(
	    "item-field", "FIELD", "the item id (item)", &opts.ro.item_field),
	CRM_OPT("iterations", OPT_ITERATIONS, "N", "als: sweeps (15)"),
	CRM_OPT("json", OPT_JSON, NULL, "eval: print the figures as JSON"),
	CRM_OPT("lambda", OPT_LAMBDA, "L", "ease: the L2 weight (500)"),
	CRM_OPT_STR("model", "NAME", "the model in the store (recommend)",
	    &opts.ro.model),
	CRM_OPT_STR("model-file", "FILE",
	    "read (write, to train) the model from FILE", &opts.ro.model_file),
	CRM_OPT_LONG("model-version", "N",
	    "use version N of the model in the store", &opts.ro.model_version,
	    1, 1L << 40),
	CRM_OPT("neighbours", OPT_NEIGHBOURS, "K",
	    "knn: similar items kept per item (100)"),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: the input's); eval:\nthe figures as "
	    "one record"),
	CRM_OPT("reg", OPT_REG, "R", "als: the L2 weight (0.1)"),
	CRM_OPT("seed", OPT_SEED, "N", "als: seed of the initial factors (1)"),
	CRM_OPT("test-fraction", OPT_TEST_FRACTION, "P",
	    "eval: each customer's latest share held out (0.2)"),
	CRM_OPT("time-field", OPT_TIME_FIELD, "FIELD",
	    "eval: the time of an interaction (time)"),
	CRM_OPT_LONG("top", "N", "items per record, or eval's cut-off K (10)",
	    &opts.top, 1, 10000),
	CRM_OPT("weight-field", OPT_WEIGHT_FIELD, "FIELD",
	    "train, eval: weight of an interaction (none: 1)"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Append the top items for each customer (or, with --item, the items\n"
	"that go with each record's item) learned from interactions; train or\n"
	"evaluate the model with the verbs.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records rejected "
	"or\n"
	"no interactions, 66 nothing done from some input (not opened, header\n"
	"refused, every record rejected), or no such model, 69 store schema "
	"too\n"
	"new, 70 internal error, 73 cannot create output, 74 I/O error, 75 "
	"store\n"
	"busy.  See crm-recommend(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

static const char *const verbs[] = { "train", "eval", NULL };

static size_t
size_opt(const char *opt, const char *arg, long min, long max)
{
	return (size_t)crm_opt_long(synopsis, opt, arg, min, max);
}

static void
usage(const char *msg)
{
	crm_usage_error(synopsis, "%s", msg);
}

/* Take c, a train or an eval-only option, and remember it for the checks. */
static void
fit_opt(struct opts *o, int c, char *arg)
{
	struct crm_reco_run_opts *r = &o->ro;
	struct crm_reco_params *p = &r->rp;
	struct crm_err e;
	int a;

	switch (c) {
	case OPT_ALGO:
		if ((a = crm_reco_algo_parse(arg)) < 0)
			crm_usage_error(synopsis,
			    "bad --algo '%s': want ease, knn or als", arg);
		p->algo = (enum crm_reco_algo)a;
		break;
	case OPT_ALPHA:
		p->alpha =
		    crm_opt_double(synopsis, "--alpha", arg, 0, 1e6, NULL);
		break;
	case OPT_DENSE_LIMIT:
		p->dense_limit = size_opt("--dense-limit", arg, 0, 40000);
		break;
	case OPT_EVENT_TYPES:
		crm_err_clear(&e);
		if (crm_reco_types_parse(r, arg, &e) == -1) {
			if (e.code == EX_USAGE)
				crm_usage_error(synopsis, "%s", e.msg);
			crm_die(e.code, "%s", e.msg);
		}
		break;
	case OPT_FACTORS:
		p->factors = size_opt("--factors", arg, 1, 1000);
		break;
	case OPT_ITERATIONS:
		p->iterations = size_opt("--iterations", arg, 1, 1000);
		break;
	case OPT_JSON:
		r->json = 1;
		break;
	case OPT_LAMBDA:
		p->lambda =
		    crm_opt_double(synopsis, "--lambda", arg, 1e-3, 1e9, NULL);
		break;
	case OPT_NEIGHBOURS:
		p->neighbours = size_opt("--neighbours", arg, 1, 100000);
		break;
	case OPT_REG:
		p->reg =
		    crm_opt_double(synopsis, "--reg", arg, 1e-6, 1e6, NULL);
		break;
	case OPT_SEED:
		p->seed = (unsigned long)crm_opt_long(
		    synopsis, "--seed", arg, 0, 4294967295L);
		break;
	case OPT_TEST_FRACTION:
		r->frac = crm_opt_double(
		    synopsis, "--test-fraction", arg, 0, 1, NULL);
		break;
	case OPT_TIME_FIELD:
		r->time_field = arg;
		break;
	case OPT_WEIGHT_FIELD:
		r->weight_field = arg;
		break;
	}
	if (c >= OPT_JSON)
		o->eval_opt = crm_opt_find(&cmd, c)->name;
	else
		o->fit_opt = crm_opt_find(&cmd, c)->name;
}

/* The options of --experiment, and ro.arms. */
static void
check_experiment(struct opts *o, enum crm_reco_verb verb)
{
	struct crm_armmodel_opts *ao = &o->ao;
	const char *why;

	if ((why = crm_armmodel_opt_check(ao)) != NULL)
		usage(why);
	if (ao->experiment == NULL)
		return;
	if (verb != CRM_RECO_RECOMMEND)
		usage("--experiment is for recommending");
	if (o->ro.item_mode)
		usage("--experiment picks each customer's model: not with "
		      "--item (an item has no customer)");
	ao->by = o->ro.by;
	ao->name = o->ro.model;
	ao->kind = "recommend";
	o->ro.arms = ao;
}

static void
parse_opts(int argc, char **argv, enum crm_reco_verb verb, struct opts *o)
{
	struct crm_reco_run_opts *r = &o->ro;
	const char *arg;
	int c;

	memset(o, 0, sizeof(*o));
	crm_reco_run_opts_init(r);
	crm_common_init(&o->c);
	r->verb = verb;
	o->top = (long)r->top;
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1)
		switch (c) {
		case OPT_ARM_MODEL:
		case OPT_HOLDOUT:
			crm_cli_arm_opt(
			    synopsis, &o->ao, &o->specs, c == OPT_HOLDOUT, arg);
			break;
		case OPT_BY:
			r->by = (enum crm_by)crm_parse_by(synopsis, arg);
			break;
		default:
			fit_opt(o, c, (char *)arg);
		}
	r->top = (size_t)o->top;
	r->db = o->c.db;
	r->quiet = o->c.quiet;
	if (verb == CRM_RECO_RECOMMEND && o->fit_opt != NULL)
		crm_usage_error(
		    synopsis, "--%s is for train and eval", o->fit_opt);
	if (verb != CRM_RECO_EVAL && o->eval_opt != NULL)
		crm_usage_error(synopsis, "--%s is for eval", o->eval_opt);
	if (verb != CRM_RECO_RECOMMEND && r->item_mode)
		usage("--item is for recommending");
	if (verb == CRM_RECO_FIT && r->db == NULL && r->model_file == NULL)
		usage("train needs --db or --model-file to keep the model");
	if (verb == CRM_RECO_FIT)
		crm_cli_check_output(
		    synopsis, &o->c, "--model-file", r->model_file, argc, argv);
	if (r->from_store && r->db == NULL)
		usage("--from-store needs --db");
	/* the store's clusters say which customer ids are one person's */
	if (r->by == CRM_BY_PERSON && r->db == NULL)
		usage("--by person needs --db");
	if (r->types != NULL && !r->from_store)
		usage("--event-types needs --from-store");
	if (r->from_store && r->weight_field != NULL)
		usage("with --from-store, weights come from --event-types");
	if (r->model_version != 0 && (r->model_file != NULL || r->db == NULL))
		usage("--model-version needs --db, and no --model-file");
	if (r->json && o->c.fo.out_fmt != CRM_FMT_AUTO)
		usage("--json or --output-format, not both");
	if (r->from_store && verb != CRM_RECO_RECOMMEND)
		o->c.fo.rejects = NULL; /* events are never rejected */
	if (verb != CRM_RECO_RECOMMEND)
		o->c.fo.no_output = 1;
	r->records = verb == CRM_RECO_EVAL && o->c.fo.out_fmt != CRM_FMT_AUTO;
	check_experiment(o, verb);
}

/* A fit step on the progress line; phase NULL: the fit is over. */
static void
fit_progress(void *arg, const char *phase, const char *unit,
    unsigned long long done, unsigned long long total)
{
	if (phase == NULL)
		crm_progress_end(arg);
	else
		crm_progress_step(arg, phase, unit, done, total);
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
	struct crm_reco_run *run;
	struct crm_filter *f;
	struct crm_store *st;
	struct crm_source src;
	struct crm_progress prog;
	struct opts *o = &opts;
	struct crm_err e;
	const char *text;
	size_t len;
	int rc;

	crm_cli_init("crm-recommend");
	parse_opts(argc, argv,
	    (enum crm_reco_verb)crm_cli_verb(
		&argc, argv, verbs, "recommending is the default", synopsis),
	    o);
	crm_cli_operands(&cmd, o->ro.from_store, &argc, &argv);
	crm_progress_init(&prog);
	o->ro.rp.progress.fn = fit_progress;
	o->ro.rp.progress.arg = o->ro.note_arg = &prog;
	o->ro.note = note;
	st = crm_cli_store(&o->c);
	crm_err_clear(&e);
	if ((run = crm_reco_run_new(&o->ro, st, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	f = crm_cli_filter(&o->c, crm_reco_run_ops(run), run, NULL);
	if (o->ro.from_store && o->ro.verb != CRM_RECO_RECOMMEND) {
		/* interactions straight from the events, then finish */
		if (crm_reco_run_events(run, st, &e) == -1)
			goto fail;
		rc = crm_filter_run_finish(f);
	} else if (o->ro.from_store &&
		   crm_reco_run_source(run, st, &src, &e) == -1)
		goto fail;
	else
		rc = crm_cli_run(f, o->ro.from_store ? &src : NULL, argc, argv);
	rc = crm_cli_closed(rc, crm_reco_run_close(run, &e), &e);
	crm_reco_run_summary(run, f);
	text = crm_reco_run_text(run, &len);
	fwrite(text, 1, len, stdout);
	rc = crm_cli_end(f, rc);
	crm_reco_run_free(run);
	crm_store_close(st);
	free(o->ro.types);
	free(o->specs);
	return rc;
fail:
	crm_filter_free(f);
	crm_reco_run_free(run);
	crm_store_close(st);
	crm_die(e.code, "%s", e.msg);
}
