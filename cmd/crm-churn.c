/*
 * crm-churn: the probability that each customer leaves (or of any other
 * yes/no outcome, --target), with the reasons, a risk band and an
 * optional action; train and evaluate the model, from records or from
 * the store's events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "armmodel.h"
#include "buf.h"
#include "churn.h"
#include "cli.h"
#include "clock.h"
#include "filter.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-churn [--action NAME --action-threshold P]\n"
    "                 [--by person|record] [--db FILE]\n"
    "                 [--from-store [--as-of TIME]] [--model NAME]\n"
    "                 [--model-file FILE] [--reasons N] [--risk LOW,HIGH]\n"
    "                 [--review FILE [--act-on-review]] [--target NAME]\n"
    "                 [--experiment NAME --arm-model ARM=FILE|VERSION ...\n"
    "                 [--arms NAME=W,... [--holdout SHARE]]\n"
    "                 [--experiment-key FILE]]\n"
    "                 [common options] [file ...]\n"
    "       crm-churn train [--algo auto|gbt|lr|svm] [--by person|record]\n"
    "                 [--categorical FIELD]\n"
    "                 [--cost C] [--ignore FIELD] [--numeric FIELD] [--seed "
    "N]\n"
    "                 [--threads N] [common options] [file ...]\n"
    "       crm-churn eval [--cv K] [--json] [--experiment NAME ...]\n"
    "                 [common options] [file ...]\n";

enum verb { V_SCORE, V_TRAIN, V_EVAL }; /* in order of verbs */

static const char *const verbs[] = { "train", "eval", NULL };

enum {
	OPT_ACTION_THRESHOLD = CRM_OPT_OWN,
	OPT_ALGO,
	OPT_ARM_MODEL,
	OPT_HOLDOUT,
	OPT_BY,
	OPT_CATEGORICAL,
	OPT_COST,
	OPT_IGNORE,
	OPT_NUMERIC,
	OPT_RISK,
	OPT_TARGET,
};

struct opts {
	struct crm_common c;
	struct crm_churn_opts co;
	long seed;    /* co.bp.seed's, as crm_getopt stores a long */
	long threads; /* co.bp.threads' */
	int json;
	int from_store;
	const char *as_of; /* the day of --as-of */
	char as_of_day[11];
	struct crm_churn_type *types;
	struct crm_progress prog;    /* of the training */
	struct crm_armmodel_opts ao; /* --experiment */
	const char **specs;	     /* --arm-model */
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT_STR("action", "NAME",
	    "with --action-threshold: the action field", &opts.co.action),
	CRM_OPT_FLAG("act-on-review", 0,
	    "write the action of a decision a review rule\nmatched (still "
	    "marked)",
	    &opts.co.act_on_review),
	CRM_OPT("action-threshold", OPT_ACTION_THRESHOLD, "P",
	    "add action=NAME where TARGET_prob >= P, unless\nthe customer's "
	    "consent for --purpose is\nwithdrawn (--db)"),
	CRM_OPT("algo", OPT_ALGO, "auto|gbt|lr|svm",
	    "train: gradient-boosted trees (gbt), logistic\nregression (lr), "
	    "RBF SVM, or auto: the better of\ngbt and lr by 5-fold "
	    "cross-validation (auto)"),
	CRM_OPT("arm-model", OPT_ARM_MODEL, "ARM=FILE|VERSION",
	    "--experiment: score ARM's records with the model\nin FILE, or "
	    "(--db) VERSION of the model\n(repeatable)"),
	CRM_OPT_STR("arms", "NAME=W,...",
	    "--experiment: its arms and weights, as\ncrm-experiment's (--db: "
	    "the stored ones)",
	    &opts.ao.arms),
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the time stamped on models and decisions:\nYYYY-MM-DD or an ISO "
	    "8601 time (the clock);\n--from-store: its day is the day "
	    "features are\ncomputed for (the last event's day)"),
	CRM_BY_OPT(OPT_BY),
	CRM_OPT("categorical", OPT_CATEGORICAL, "FIELD",
	    "train: treat FIELD as categorical"),
	CRM_OPT("cost", OPT_COST, "C", "train: the cost C (1)"),
	CRM_OPT_LONG("cv", "K",
	    "eval: K-fold cross-validation (fold = row mod K)\nwith the train "
	    "options",
	    &opts.co.cv, 2, 100),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: models, decisions, events ($CRM_DB)"),
	CRM_OPT_STR("experiment", "NAME",
	    "score (eval) each record by the model of its\narm of experiment "
	    "NAME",
	    &opts.ao.experiment),
	CRM_OPT_STR("experiment-key", "FILE",
	    "--experiment: the hash's key\n($CRM_EXPERIMENT_KEY)",
	    &opts.ao.key_file),
	CRM_OPT_FLAG("from-store", 0,
	    "records from the store's customers and events", &opts.from_store),
	CRM_OPT("holdout", OPT_HOLDOUT, "SHARE",
	    "--experiment: the share kept out, arm holdout\n(0)"),
	CRM_OPT_STR("id-field", "FIELD",
	    "the customer key, not a feature (customer_id)", &opts.co.id_field),
	CRM_OPT("ignore", OPT_IGNORE, "FIELD", "train: not a feature"),
	CRM_OPT_FLAG("json", 0, "eval: print the metrics as JSON", &opts.json),
	CRM_OPT_STR("label-field", "FIELD",
	    "train, eval: yes/no, 1/0 or true/false (the\ntarget)",
	    &opts.co.label_field),
	CRM_OPT_STR("model", "NAME", "the model in the store (the target)",
	    &opts.co.model),
	CRM_OPT_STR("model-file", "FILE",
	    "read (write, to train) the model from FILE", &opts.co.model_file),
	CRM_OPT_LONG("model-version", "N",
	    "use version N of the model in the store", &opts.co.model_version,
	    1, 1L << 40),
	CRM_OPT(
	    "numeric", OPT_NUMERIC, "FIELD", "train: treat FIELD as numeric"),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: the input's); eval:\nthe figures as "
	    "records (--cv: a fold field first)"),
	CRM_OPT_STR("purpose", "NAME",
	    "the consent the action needs (" CRM_CHURN_PURPOSE ")",
	    &opts.co.purpose),
	CRM_OPT_LONG("reasons", "N", "reasons per customer (3)",
	    &opts.co.reasons, 0, 100),
	CRM_OPT_STR("review", "FILE",
	    "review rules 'NAME: SQL expression': a match\nsets needs_review "
	    "and leaves the action out",
	    &opts.co.review),
	CRM_OPT("risk", OPT_RISK, "LOW,HIGH",
	    "risk is high from HIGH, medium from LOW (0.3,0.6)"),
	CRM_OPT_FLAG("show-suppressed", 0,
	    "name a withdrawn customer's action in\naction_suppressed",
	    &opts.co.show_suppressed),
	CRM_OPT_LONG("seed", "N", "train: seed of the solvers' order (1)",
	    &opts.seed, 0, 4294967295L),
	CRM_OPT("target", OPT_TARGET, "NAME",
	    "the yes/no outcome: fields NAME_prob, NAME_risk,\nNAME_reasons "
	    "(churn)"),
	CRM_OPT_LONG("threads", "N",
	    "gbt: train and score on N threads (the\nprocessors); the model "
	    "and "
	    "scores are the same",
	    &opts.threads, 1, 256),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Score each customer record with the probability of churn, a risk "
	"band\nand the reasons; train or evaluate the model with the verbs.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records rejected "
	"or\n"
	"a bad model, 66 nothing done from some input (not opened, header\n"
	"refused, every record rejected), or no such model, 69 store schema "
	"too\n"
	"new, 70 internal error, 73 cannot create output, 74 I/O error, 75 "
	"store\n"
	"busy.  See crm-churn(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

static void
add_type(struct opts *o, const char *field, enum crm_coltype type)
{
	struct crm_churn_type *t;

	t = crm_reallocarray(o->types, o->co.ntypes + 1, sizeof(*t));
	if (t == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	o->types = t;
	t[o->co.ntypes].field = field;
	t[o->co.ntypes++].type = type;
	o->co.types = t;
}

/* The options of --experiment, and co.arms. */
static void
check_experiment(struct opts *o, enum verb verb)
{
	struct crm_armmodel_opts *ao = &o->ao;
	const char *msg;

	if ((msg = crm_armmodel_opt_check(ao)) != NULL)
		crm_usage_error(synopsis, "%s", msg);
	if (ao->experiment == NULL)
		return;
	if (verb == V_TRAIN || o->co.cv != 0)
		crm_usage_error(synopsis, "--experiment is for scoring and "
					  "eval without --cv");
	if (o->json)
		crm_usage_error(synopsis, "--experiment: --output-format "
					  "jsonl, not --json");
	ao->by = o->co.by;
	ao->name = o->co.model;
	ao->kind = "churn";
	o->co.arms = ao;
}

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	struct crm_churn_opts *co = &o->co;
	const char *arg;
	char *comma;
	int c;

	memset(o, 0, sizeof(*o));
	crm_common_init(&o->c);
	crm_churn_opts_init(co);
	o->seed = (long)co->bp.seed;
	o->threads = (long)co->bp.threads;
	co->verb = verb == V_TRAIN  ? CRM_CHURN_TRAIN
		   : verb == V_EVAL ? CRM_CHURN_EVAL
				    : CRM_CHURN_SCORE;
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_ACTION_THRESHOLD:
			co->action_threshold = crm_opt_double(
			    synopsis, "--action-threshold", arg, 0, 1, NULL);
			break;
		case OPT_ALGO:
			if (strcmp(arg, "lr") == 0)
				co->bp.algo = CRM_ALGO_LR;
			else if (strcmp(arg, "svm") == 0)
				co->bp.algo = CRM_ALGO_SVM;
			else if (strcmp(arg, "gbt") == 0)
				co->bp.algo = CRM_ALGO_GBT;
			else if (strcmp(arg, "auto") == 0)
				co->bp.algo = CRM_ALGO_AUTO;
			else
				crm_usage_error(synopsis,
				    "bad --algo '%s': want auto, gbt, lr or "
				    "svm",
				    arg);
			break;
		case OPT_ARM_MODEL:
		case OPT_HOLDOUT:
			crm_cli_arm_opt(
			    synopsis, &o->ao, &o->specs, c == OPT_HOLDOUT, arg);
			break;
		case OPT_BY:
			co->by = (enum crm_by)crm_parse_by(synopsis, arg);
			break;
		case OPT_CATEGORICAL:
			add_type(o, arg, CRM_COL_CATEGORICAL);
			break;
		case OPT_COST:
			co->bp.c = crm_opt_double(
			    synopsis, "--cost", arg, 1e-6, 1e6, "1e-6 to 1e6");
			break;
		case OPT_IGNORE:
			add_type(o, arg, CRM_COL_IGNORE);
			break;
		case OPT_NUMERIC:
			add_type(o, arg, CRM_COL_NUMERIC);
			break;
		case OPT_RISK:
			if ((comma = strchr(arg, ',')) == NULL)
				crm_usage_error(synopsis,
				    "bad --risk '%s': want LOW,HIGH", arg);
			*comma = '\0';
			co->risk_low =
			    crm_opt_double(synopsis, "--risk", arg, 0, 1, NULL);
			co->risk_high = crm_opt_double(
			    synopsis, "--risk", comma + 1, 0, 1, NULL);
			if (co->risk_low > co->risk_high)
				crm_usage_error(synopsis, "--risk: LOW above "
							  "HIGH");
			break;
		case OPT_TARGET:
			if (!crm_churn_target_ok(arg))
				crm_usage_error(synopsis,
				    "bad --target '%s': want a name of "
				    "letters, digits and _, not starting "
				    "with a digit, 64 at most",
				    arg);
			co->target = arg;
			break;
		}
	}
	co->bp.seed = (unsigned long)o->seed;
	co->bp.threads = (int)o->threads;
	if (co->model == NULL)
		co->model = co->target;
	if (co->label_field == NULL)
		co->label_field = co->target;
	if (o->c.as_of != NULL) {
		crm_clock_day(o->as_of_day);
		o->as_of = o->as_of_day;
	}
	if ((co->action == NULL) != (co->action_threshold < 0))
		crm_usage_error(synopsis, "--action and --action-threshold go "
					  "together");
	if ((co->purpose != NULL || co->show_suppressed) && co->action == NULL)
		crm_usage_error(synopsis, "--purpose and --show-suppressed are "
					  "for --action");
	if (co->act_on_review && co->review == NULL)
		crm_usage_error(synopsis, "--act-on-review is for --review");
	if (co->review != NULL && verb != V_SCORE)
		crm_usage_error(synopsis, "--review is for scoring");
	if (co->purpose != NULL && *co->purpose == '\0')
		crm_usage_error(synopsis, "empty --purpose");
	if (verb == V_TRAIN && o->c.db == NULL && co->model_file == NULL)
		crm_usage_error(synopsis, "train needs --db or --model-file to "
					  "keep the model");
	if (verb == V_TRAIN)
		crm_cli_check_output(synopsis, &o->c, "--model-file",
		    co->model_file, argc, argv);
	if (o->from_store && o->c.db == NULL)
		crm_usage_error(synopsis, "--from-store needs --db");
	if (co->model_version != 0 &&
	    (co->model_file != NULL || o->c.db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (co->cv != 0 && verb != V_EVAL)
		crm_usage_error(synopsis, "--cv is for eval");
	if (o->json && o->c.fo.out_fmt != CRM_FMT_AUTO)
		crm_usage_error(synopsis, "--json or --output-format, not "
					  "both");
	check_experiment(o, verb);
	if (verb != V_SCORE)
		o->c.fo.no_output = 1;
}

/* After the input of train and eval: the model, or the figures. */
static int
finish(struct opts *o, enum verb verb, struct crm_churn *churn,
    struct crm_filter *f)
{
	const struct crm_churn_result *res = crm_churn_result(churn);
	struct crm_buf out;
	struct crm_err e;
	char where[64] = "";
	size_t i;
	int rc;

	crm_err_clear(&e);
	rc = crm_churn_finish(churn, &e);
	crm_progress_end(&o->prog);
	for (i = 0; i < res->nids; i++)
		crm_warnx("field '%s' has a different value in every record "
			  "(an id?): left out; --categorical %s keeps it",
		    res->ids[i], res->ids[i]);
	if (rc == -1)
		goto fail;
	if (verb == V_TRAIN) {
		if (res->version > 0)
			snprintf(
			    where, sizeof(where), " version %ld", res->version);
		if (!o->c.quiet && res->auto_chosen == 1)
			crm_warnx("auto: gbt %.3f vs lr %.3f AUC (%d-fold), "
				  "chose %s",
			    res->auto_gbt, res->auto_lr, CRM_AUTO_FOLDS,
			    res->algo);
		else if (!o->c.quiet && res->auto_chosen == 2)
			crm_warnx("auto: too few records to compare gbt and lr "
				  "by %d-fold cross-validation, chose lr",
			    CRM_AUTO_FOLDS);
		if (!o->c.quiet)
			crm_warnx("trained %s%s on %zu %s (%zu %s), "
				  "%zu features; on the training records "
				  "auc=%.4f",
			    o->co.model, where, res->fit.n,
			    res->persons ? "persons" : "records", res->fit.pos,
			    strcmp(o->co.target, "churn") == 0 ? "churned"
							       : "yes",
			    res->features, res->fit.auc);
	} else if (o->c.fo.out_fmt != CRM_FMT_AUTO) {
		if (crm_churn_eval_records(churn, f, &e) == -1)
			goto fail;
	} else {
		crm_buf_init(&out);
		if (crm_churn_eval_text(churn, o->json, &out) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		fwrite(out.p, 1, out.len, stdout);
		crm_buf_release(&out);
	}
	return 0;
fail:
	crm_report(&e);
	return e.code;
}

int
main(int argc, char **argv)
{
	struct crm_store *st;
	struct crm_churn *churn;
	const char *why;
	struct crm_source src, *in;
	struct crm_filter *f;
	enum verb verb;
	struct opts *o = &opts;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-churn");
	verb = (enum verb)crm_cli_verb(
	    &argc, argv, verbs, "scoring is the default", synopsis);
	parse_opts(argc, argv, verb, o);
	crm_cli_operands(&cmd, o->from_store, &argc, &argv);
	crm_progress_init(&o->prog);
	o->co.bp.progress = crm_progress_cb(&o->prog);
	st = crm_cli_store(&o->c);
	crm_err_clear(&e);
	o->co.as_of = o->as_of;
	o->co.from_store = o->from_store;
	if ((churn = crm_churn_new(&o->co, st, &e)) == NULL)
		crm_cli_fail(synopsis, &e);
	if (o->from_store &&
	    crm_churn_source(churn, o->as_of, &src, &e) == -1) {
		crm_churn_free(churn);
		crm_store_close(st);
		crm_die(e.code, "%s", e.msg);
	}
	in = o->from_store ? &src : NULL;
	f = crm_cli_filter(&o->c, crm_churn_ops(churn), churn, in);
	if (crm_churn_attach(churn, f) == -1)
		crm_die(EX_SOFTWARE, "out of memory");
	if (verb == V_SCORE && o->co.action != NULL && st == NULL)
		crm_warnx("no --db: consent is not checked, the action goes to "
			  "every customer over the threshold");
	rc = crm_cli_run(f, in, argc, argv);
	if (verb == V_SCORE && !o->c.quiet &&
	    crm_churn_result(churn)->suppressed > 0)
		crm_warnx("%llu action%s suppressed: consent for %s withdrawn",
		    crm_churn_result(churn)->suppressed,
		    crm_churn_result(churn)->suppressed == 1 ? "" : "s",
		    o->co.purpose != NULL ? o->co.purpose : CRM_CHURN_PURPOSE);
	if (verb == V_SCORE && o->co.review != NULL) {
		crm_cli_count(
		    "needs review", crm_churn_result(churn)->reviewed);
		if (o->co.action != NULL && !o->co.act_on_review)
			crm_cli_count(
			    "actions held", crm_churn_result(churn)->held);
	}
	crm_cli_summary(f);
	why = verb != V_SCORE ? crm_filter_partial(f) : NULL;
	if (rc == 0 && why != NULL)
		crm_warnx("no %s: %s",
		    verb == V_TRAIN ? "model saved" : "figures", why);
	else if (rc == 0 && verb != V_SCORE)
		rc = finish(o, verb, churn, f);
	rc = crm_cli_end(f, rc);
	crm_churn_free(churn);
	crm_store_close(st);
	free(o->types);
	free(o->specs);
	return rc;
}
