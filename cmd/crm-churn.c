/*
 * crm-churn: the probability that each customer leaves, with the reasons,
 * a risk band and an optional action; train and evaluate the model, from
 * records or from the store's events.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "churn.h"
#include "cli.h"
#include "filter.h"
#include "norm.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-churn [--action NAME --action-threshold P] [--db FILE]\n"
    "                 [--from-store [--as-of DATE]] [--model NAME]\n"
    "                 [--model-file FILE] [--reasons N] [--risk LOW,HIGH]\n"
    "                 [common options] [file ...]\n"
    "       crm-churn train [--algo lr|svm] [--categorical FIELD] [--cost C]\n"
    "                 [--ignore FIELD] [--numeric FIELD] [--seed N]\n"
    "                 [common options] [file ...]\n"
    "       crm-churn eval [--cv K] [--json] [common options] [file ...]\n";

static const char help[] =
    "Score each customer record with the probability of churn, a risk band\n"
    "and the reasons; train or evaluate the model with the verbs.\n"
    "\n"
    "  --action NAME          with --action-threshold: the action field\n"
    "  --action-threshold P   add action=NAME where churn_prob >= P\n"
    "  --algo lr|svm          train: logistic regression (lr) or RBF SVM\n"
    "  --as-of DATE           --from-store: the day features are computed "
    "for\n"
    "                         (the last event's day)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --categorical FIELD    train: treat FIELD as categorical\n"
    "  --cost C               train: the cost C (1)\n"
    "  --cv K                 eval: K-fold cross-validation (fold = row mod "
    "K)\n"
    "                         with the train options\n"
    "  --db FILE              the store: models, decisions, events "
    "($CRM_DB)\n"
    "  --from-store           records from the store's customers and "
    "events\n"
    "  --id-field FIELD       the customer key, not a feature (customer_id)\n"
    "  --ignore FIELD         train: not a feature\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --json                 eval: print the metrics as JSON\n"
    "  --label-field FIELD    train, eval: yes/no, 1/0 or true/false (churn)\n"
    "  --max-errors N         stop after more than N rejected records\n"
    "  --model NAME           the model in the store (churn)\n"
    "  --model-file FILE      read (write, to train) the model from FILE\n"
    "  --model-version N      use version N of the model in the store\n"
    "  --numeric FIELD        train: treat FIELD as numeric\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary line\n"
    "  --reasons N            reasons per customer (3)\n"
    "  --rejects FILE         write rejected records there as CSV\n"
    "  --risk LOW,HIGH        risk is high from HIGH, medium from LOW "
    "(0.3,0.6)\n"
    "  --seed N               train: seed of the solvers' order (1)\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-churn and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 records rejected or bad labels, 66\n"
    "missing input or model, 69 store schema too new, 70 internal error, 73\n"
    "cannot create output, 74 I/O error, 75 store busy.  See crm-churn(1).\n";

enum verb { V_SCORE, V_TRAIN, V_EVAL }; /* in order of verbs */

static const char *const verbs[] = { "train", "eval", NULL };

enum {
	OPT_ACTION = 256,
	OPT_ACTION_THRESHOLD,
	OPT_ALGO,
	OPT_AS_OF,
	OPT_CATEGORICAL,
	OPT_COST,
	OPT_CV,
	OPT_DB,
	OPT_FROM_STORE,
	OPT_ID_FIELD,
	OPT_IGNORE,
	OPT_JSON,
	OPT_LABEL_FIELD,
	OPT_MODEL,
	OPT_MODEL_FILE,
	OPT_MODEL_VERSION,
	OPT_NUMERIC,
	OPT_REASONS,
	OPT_RISK,
	OPT_SEED,
};

static const struct option longopts[] = {
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "action-threshold", required_argument, NULL, OPT_ACTION_THRESHOLD },
	{ "algo", required_argument, NULL, OPT_ALGO },
	{ "as-of", required_argument, NULL, OPT_AS_OF },
	{ "categorical", required_argument, NULL, OPT_CATEGORICAL },
	{ "cost", required_argument, NULL, OPT_COST },
	{ "cv", required_argument, NULL, OPT_CV },
	{ "db", required_argument, NULL, OPT_DB },
	{ "from-store", no_argument, NULL, OPT_FROM_STORE },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "label-field", required_argument, NULL, OPT_LABEL_FIELD },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "model-file", required_argument, NULL, OPT_MODEL_FILE },
	{ "model-version", required_argument, NULL, OPT_MODEL_VERSION },
	{ "numeric", required_argument, NULL, OPT_NUMERIC },
	{ "reasons", required_argument, NULL, OPT_REASONS },
	{ "risk", required_argument, NULL, OPT_RISK },
	{ "seed", required_argument, NULL, OPT_SEED },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct opts {
	struct crm_churn_opts co;
	const char *db;
	long busy_ms;
	int json;
	int quiet;
	int from_store;
	const char *as_of;
	struct crm_buf as_of_buf;
	struct crm_churn_type *types;
	struct crm_filter_opts fo;
};

static double
prob_opt(const char *opt, const char *arg)
{
	double v;

	if (crm_parse_double(arg, 0, 1, &v) == -1)
		crm_usage_error(synopsis, "bad %s '%s': want 0 to 1", opt, arg);
	return v;
}

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

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	struct crm_churn_opts *co = &o->co;
	const char *why;
	char *comma;
	int c;

	memset(o, 0, sizeof(*o));
	crm_churn_opts_init(co);
	co->verb = verb == V_TRAIN  ? CRM_CHURN_TRAIN
		   : verb == V_EVAL ? CRM_CHURN_EVAL
				    : CRM_CHURN_SCORE;
	o->fo.max_errors = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ACTION:
			co->action = optarg;
			break;
		case OPT_ACTION_THRESHOLD:
			co->action_threshold =
			    prob_opt("--action-threshold", optarg);
			break;
		case OPT_ALGO:
			if (strcmp(optarg, "lr") == 0)
				co->bp.algo = CRM_ALGO_LR;
			else if (strcmp(optarg, "svm") == 0)
				co->bp.algo = CRM_ALGO_SVM;
			else
				crm_usage_error(synopsis,
				    "bad --algo '%s': want lr or svm", optarg);
			break;
		case OPT_AS_OF:
			if (strlen(optarg) != 10 ||
			    crm_norm_date(&o->as_of_buf, optarg, 10,
				CRM_DATE_STRICT, &why) == -1 ||
			    o->as_of_buf.len != 10)
				crm_usage_error(synopsis,
				    "bad --as-of '%s': want a day, YYYY-MM-DD",
				    optarg);
			o->as_of = o->as_of_buf.p;
			break;
		case OPT_CATEGORICAL:
			add_type(o, optarg, CRM_COL_CATEGORICAL);
			break;
		case OPT_COST:
			if (crm_parse_double(optarg, 1e-6, 1e6, &co->bp.c) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --cost '%s': want 1e-6 to 1e6",
				    optarg);
			break;
		case OPT_CV:
			co->cv = crm_opt_long(synopsis, "--cv", optarg, 2, 100);
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			co->id_field = optarg;
			break;
		case OPT_IGNORE:
			add_type(o, optarg, CRM_COL_IGNORE);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_LABEL_FIELD:
			co->label_field = optarg;
			break;
		case OPT_MODEL:
			co->model = optarg;
			break;
		case OPT_MODEL_FILE:
			co->model_file = optarg;
			break;
		case OPT_MODEL_VERSION:
			co->model_version = crm_opt_long(
			    synopsis, "--model-version", optarg, 1, 1L << 40);
			break;
		case OPT_NUMERIC:
			add_type(o, optarg, CRM_COL_NUMERIC);
			break;
		case OPT_REASONS:
			co->reasons =
			    crm_opt_long(synopsis, "--reasons", optarg, 0, 100);
			break;
		case OPT_RISK:
			if ((comma = strchr(optarg, ',')) == NULL)
				crm_usage_error(synopsis,
				    "bad --risk '%s': want LOW,HIGH", optarg);
			*comma = '\0';
			co->risk_low = prob_opt("--risk", optarg);
			co->risk_high = prob_opt("--risk", comma + 1);
			if (co->risk_low > co->risk_high)
				crm_usage_error(synopsis, "--risk: LOW above "
							  "HIGH");
			break;
		case OPT_SEED:
			co->bp.seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if ((co->action == NULL) != (co->action_threshold < 0))
		crm_usage_error(synopsis, "--action and --action-threshold go "
					  "together");
	if (verb == V_TRAIN && o->db == NULL && co->model_file == NULL)
		crm_usage_error(synopsis, "train needs --db or --model-file to "
					  "keep the model");
	if (o->from_store && o->db == NULL)
		crm_usage_error(synopsis, "--from-store needs --db");
	if (co->model_version != 0 && (co->model_file != NULL || o->db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (co->cv != 0 && verb != V_EVAL)
		crm_usage_error(synopsis, "--cv is for eval");
	if (verb != V_SCORE)
		o->fo.no_output = 1;
}

int
main(int argc, char **argv)
{
	const struct crm_churn_result *res;
	unsigned long long nread, nwritten, nrejected;
	struct crm_store *st = NULL;
	struct crm_churn *churn;
	struct crm_filter *f;
	struct crm_buf out;
	enum verb verb;
	struct opts o;
	struct crm_err e;
	FILE *sfp = NULL;
	int rc;

	crm_cli_init("crm-churn");
	verb = (enum verb)crm_cli_verb(&argc, argv, verbs);
	parse_opts(argc, argv, verb, &o);
	argc -= optind;
	argv += optind;
	crm_err_clear(&e);
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	if (o.db != NULL &&
	    (st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((churn = crm_churn_new(&o.co, st, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.from_store) {
		if ((sfp = crm_churn_store_records(churn, o.as_of, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		if (o.fo.in_fmt == CRM_FMT_AUTO)
			o.fo.in_fmt = CRM_FMT_JSONL;
	}
	if ((f = crm_filter_new(&o.fo, crm_churn_ops(churn), churn, &e)) ==
	    NULL)
		crm_die(e.code, "%s", e.msg);
	rc = sfp != NULL ? crm_filter_run_file(f, sfp, "store")
			 : crm_filter_run(f, argc, argv);
	if (verb == V_SCORE && rc == 0 && crm_churn_finish(churn, &e) == -1) {
		crm_report(&e);
		rc = e.code;
	}
	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (!o.quiet && verb == V_SCORE)
		crm_warnx("read %llu, scored %llu, rejected %llu", nread,
		    nwritten, nrejected);
	else if (!o.quiet)
		crm_warnx("read %llu, rejected %llu", nread, nrejected);
	res = crm_churn_result(churn);
	crm_buf_init(&out);
	if (rc == 0 && verb != V_SCORE &&
	    (crm_filter_status(f) != 0 || nrejected > 0)) {
		/* a model or figures from part of the data would mislead */
		crm_warnx("no %s: %s",
		    verb == V_TRAIN ? "model saved" : "figures",
		    nrejected > 0 ? "records were rejected"
				  : "an input could not be read");
	} else if (rc == 0 && verb != V_SCORE) {
		if (crm_churn_finish(churn, &e) == -1) {
			crm_report(&e);
			rc = e.code;
		} else if (verb == V_TRAIN && !o.quiet) {
			char where[64] = "";

			if (res->version > 0)
				snprintf(where, sizeof(where), " version %ld",
				    res->version);
			crm_warnx("trained %s%s on %zu records (%zu churned), "
				  "%zu features; on the training records "
				  "auc=%.4f",
			    o.co.model, where, res->fit.n, res->fit.pos,
			    res->features, res->fit.auc);
		} else if (verb == V_EVAL) {
			if (crm_churn_eval_text(churn, o.json, &out) == -1)
				crm_die(EX_SOFTWARE, "out of memory");
			fwrite(out.p, 1, out.len, stdout);
		}
	}
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	if (sfp != NULL)
		fclose(sfp);
	crm_churn_free(churn);
	crm_store_close(st);
	free(o.types);
	crm_buf_release(&o.as_of_buf);
	crm_buf_release(&out);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
