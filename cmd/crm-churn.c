/*
 * crm-churn: the probability that each customer leaves, with the reasons,
 * a risk band and an optional action; train and evaluate the model, from
 * records or from the store's events.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "audit.h"
#include "binclf.h"
#include "buf.h"
#include "cli.h"
#include "activity.h"
#include "filter.h"
#include "metrics.h"
#include "model.h"
#include "norm.h"
#include "rec.h"
#include "store.h"
#include "tabular.h"

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

/* A field's type as asked for on the command line. */
struct typed {
	const char *field;
	enum crm_coltype type;
};

struct opts {
	enum verb verb;
	const char *db;
	long busy_ms;
	const char *model;
	const char *model_file;
	long model_version;
	const char *label_field;
	const char *id_field;
	const char *action;
	double action_threshold; /* < 0: none */
	double risk_low, risk_high;
	long reasons;
	long cv;
	int json;
	int quiet;
	int from_store;
	const char *as_of;
	struct crm_buf as_of_buf;
	struct typed *types;
	size_t ntypes;
	struct crm_binclf_params bp;
	struct crm_filter_opts fo;
};

struct run {
	struct opts *o;
	struct crm_store *st;
	struct crm_binclf *m;
	long version;
	struct crm_audit *audit;
	struct crm_rec **recs; /* train, eval --cv: the records */
	int *y;
	size_t n, cap;
	double *prob; /* eval: per record */
	double *x;    /* an encoded row */
	struct crm_contrib *why;
	struct crm_buf buf, json;
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
	struct typed *t;

	t = crm_reallocarray(o->types, o->ntypes + 1, sizeof(*t));
	if (t == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	o->types = t;
	t[o->ntypes].field = field;
	t[o->ntypes++].type = type;
}

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	const char *why;
	char *comma;
	int c;

	memset(o, 0, sizeof(*o));
	o->model = "churn";
	o->label_field = "churn";
	o->id_field = "customer_id";
	o->action_threshold = -1;
	o->risk_low = 0.3;
	o->risk_high = 0.6;
	o->reasons = 3;
	o->bp.algo = CRM_ALGO_LR;
	o->bp.c = 1;
	o->bp.seed = 1;
	o->fo.max_errors = -1;
	o->verb = verb;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ACTION:
			o->action = optarg;
			break;
		case OPT_ACTION_THRESHOLD:
			o->action_threshold =
			    prob_opt("--action-threshold", optarg);
			break;
		case OPT_ALGO:
			if (strcmp(optarg, "lr") == 0)
				o->bp.algo = CRM_ALGO_LR;
			else if (strcmp(optarg, "svm") == 0)
				o->bp.algo = CRM_ALGO_SVM;
			else
				crm_usage_error(synopsis,
				    "bad --algo '%s': want lr or svm", optarg);
			break;
		case OPT_AS_OF:
			o->as_of = optarg;
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
			if (crm_parse_double(optarg, 1e-6, 1e6, &o->bp.c) == -1)
				crm_usage_error(synopsis,
				    "bad --cost '%s': want 1e-6 to 1e6",
				    optarg);
			break;
		case OPT_CV:
			o->cv = crm_opt_long(synopsis, "--cv", optarg, 2, 100);
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			o->id_field = optarg;
			break;
		case OPT_IGNORE:
			add_type(o, optarg, CRM_COL_IGNORE);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_LABEL_FIELD:
			o->label_field = optarg;
			break;
		case OPT_MODEL:
			o->model = optarg;
			break;
		case OPT_MODEL_FILE:
			o->model_file = optarg;
			break;
		case OPT_MODEL_VERSION:
			o->model_version = crm_opt_long(
			    synopsis, "--model-version", optarg, 1, 1L << 40);
			break;
		case OPT_NUMERIC:
			add_type(o, optarg, CRM_COL_NUMERIC);
			break;
		case OPT_REASONS:
			o->reasons =
			    crm_opt_long(synopsis, "--reasons", optarg, 0, 100);
			break;
		case OPT_RISK:
			if ((comma = strchr(optarg, ',')) == NULL)
				crm_usage_error(synopsis,
				    "bad --risk '%s': want LOW,HIGH", optarg);
			*comma = '\0';
			o->risk_low = prob_opt("--risk", optarg);
			o->risk_high = prob_opt("--risk", comma + 1);
			if (o->risk_low > o->risk_high)
				crm_usage_error(synopsis, "--risk: LOW above "
							  "HIGH");
			break;
		case OPT_SEED:
			o->bp.seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if ((o->action == NULL) != (o->action_threshold < 0))
		crm_usage_error(synopsis, "--action and --action-threshold go "
					  "together");
	if (o->verb == V_TRAIN && o->db == NULL && o->model_file == NULL)
		crm_usage_error(synopsis, "train needs --db or --model-file to "
					  "keep the model");
	if (o->from_store && o->db == NULL)
		crm_usage_error(synopsis, "--from-store needs --db");
	if (o->model_version != 0 && (o->model_file != NULL || o->db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (o->cv != 0 && o->verb != V_EVAL)
		crm_usage_error(synopsis, "--cv is for eval");
	if (o->verb != V_SCORE)
		o->fo.no_output = 1;
}

/* ==== Labels and records ==== */

/* 1 for yes, 0 for no, -1 for anything else. */
static int
parse_label(const char *s, size_t len)
{
	static const char *const yes[] = { "1", "yes", "true", "y", "t" };
	static const char *const no[] = { "0", "no", "false", "n", "f" };
	size_t i;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	char num[32], *end;
	double d;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
			return 1;
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
			return 0;
	}
	/* 1.0 and 0.0, as a JSON number may be written */
	if (len > 0 && len < sizeof(num)) {
		memcpy(num, s, len);
		num[len] = '\0';
		d = strtod(num, &end);
		if (*end == '\0' && (d == 0 || d == 1))
			return d == 1;
	}
	return -1;
}

/* The label of r; -1 with e filled when missing or not yes/no. */
static int
get_label(const struct run *run, const struct crm_rec *r, struct crm_err *e)
{
	const char *f = run->o->label_field, *v;
	long i = crm_rec_find(r, f, strlen(f));
	size_t len;
	int y;

	crm_err_field(e, f, strlen(f));
	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return crm_err_set(e, EX_DATAERR, "no label field '%s'", f);
	if (crm_rec_type(r, (size_t)i) == CRM_TRUE)
		return 1;
	if (crm_rec_type(r, (size_t)i) == CRM_FALSE)
		return 0;
	v = crm_rec_value(r, (size_t)i, &len);
	if ((y = parse_label(v, len)) == -1)
		return crm_err_set(e, EX_DATAERR,
		    "unknown label '%.*s' (want 1/0, yes/no or true/false)",
		    (int)(len > 40 ? 40 : len), v);
	return y;
}

/* Keep a copy of r with its label, for training or cross-validation. */
static int
keep_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	int y;

	(void)drop;
	if ((y = get_label(run, r, e)) == -1)
		return -1;
	if (run->n == run->cap) {
		size_t cap = run->cap ? 2 * run->cap : 1024;
		struct crm_rec **p;
		int *py;

		if ((p = crm_reallocarray(run->recs, cap, sizeof(*p))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		run->recs = p;
		if ((py = crm_reallocarray(run->y, cap, sizeof(*py))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		run->y = py;
		run->cap = cap;
	}
	if ((run->recs[run->n] = crm_rec_new()) == NULL ||
	    crm_rec_copy(run->recs[run->n], r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	run->y[run->n++] = y;
	return 0;
}

/* ==== Training ==== */

/*
 * Train on the kept records whose index i has i % folds != fold (all of
 * them when folds is 0).  NULL with e filled.
 */
static struct crm_binclf *
train_on(struct run *run, size_t folds, size_t fold, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_binclf *m;
	struct crm_tab *t;
	int *y = NULL;
	size_t i, n = 0;

	if ((t = crm_tab_new()) == NULL ||
	    (y = calloc(run->n + 1, sizeof(*y))) == NULL) {
		crm_tab_free(t);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (crm_tab_set_type(t, o->label_field, CRM_COL_IGNORE) == -1 ||
	    crm_tab_set_type(t, o->id_field, CRM_COL_IGNORE) == -1)
		goto nomem;
	for (i = 0; i < o->ntypes; i++)
		if (crm_tab_set_type(t, o->types[i].field, o->types[i].type) ==
		    -1)
			goto nomem;
	for (i = 0; i < run->n; i++) {
		if (folds > 0 && i % folds == fold)
			continue;
		if (crm_tab_add(t, run->recs[i]) == -1)
			goto nomem;
		y[n++] = run->y[i];
	}
	if (crm_tab_fit(t, e) == -1) {
		crm_tab_free(t);
		free(y);
		return NULL;
	}
	m = crm_binclf_train(t, y, n, &o->bp, e); /* takes t */
	free(y);
	return m;
nomem:
	crm_tab_free(t);
	free(y);
	crm_err_set(e, EX_SOFTWARE, "out of memory");
	return NULL;
}

/* ==== Scoring ==== */

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;

	if (crm_rec_put(hdr, "churn_prob", "", 0, CRM_STRING) == -1 ||
	    crm_rec_put(hdr, "churn_risk", "", 0, CRM_STRING) == -1 ||
	    (run->o->reasons > 0 &&
		crm_rec_put(hdr, "churn_reasons", "", 0, CRM_STRING) == -1) ||
	    (run->o->action != NULL &&
		crm_rec_put(hdr, "action", "", 0, CRM_STRING) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * The reasons for x as JSON into run->json: each field that raised the
 * score, named with its value in r ("Contract=Month-to-month").
 */
static int
reasons_json(struct run *run, const struct crm_rec *r, const double *x)
{
	const struct crm_tab *t = crm_binclf_tab(run->m);
	struct crm_buf *b = &run->json, *name = &run->buf;
	size_t n, i, len;
	const char *col, *v;
	long k;
	int bad = 0;

	n = crm_binclf_reasons(run->m, x, run->why, (size_t)run->o->reasons);
	crm_buf_reset(b);
	bad |= crm_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		col = crm_tab_column_name(t, run->why[i].col);
		k = crm_rec_find(r, col, strlen(col));
		crm_buf_reset(name);
		if (k < 0 || crm_rec_type(r, (size_t)k) == CRM_NULL)
			bad |= crm_buf_addf(name, "%s missing", col);
		else if (crm_rec_type(r, (size_t)k) == CRM_TRUE ||
			 crm_rec_type(r, (size_t)k) == CRM_FALSE)
			bad |= crm_buf_addf(name, "%s=%s", col,
			    crm_rec_type(r, (size_t)k) == CRM_TRUE ? "true"
								   : "false");
		else {
			v = crm_rec_value(r, (size_t)k, &len);
			bad |= crm_buf_addf(name, "%s=%.*s", col,
			    (int)(len > 60 ? 60 : len), v);
		}
		bad |= crm_buf_adds(b, i ? ",{\"feature\":" : "{\"feature\":");
		bad |= crm_json_quote(b, name->p, name->len);
		bad |= crm_buf_addf(
		    b, ",\"contribution\":%.4f}", run->why[i].logodds);
	}
	bad |= crm_buf_addc(b, ']');
	return bad ? -1 : 0;
}

/* A CSV or TSV header must have every field the model reads. */
static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_tab *t = crm_binclf_tab(((struct run *)arg)->m);
	size_t i, first, n;
	const char *name;

	for (i = 0; i < crm_tab_columns(t); i++) {
		crm_tab_column_range(t, i, &first, &n);
		name = crm_tab_column_name(t, i);
		if (n > 0 && crm_rec_find(hdr, name, strlen(name)) < 0) {
			crm_err_field(e, name, strlen(name));
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s', which the model needs", name);
		}
	}
	return 0;
}

static const char *
risk_of(const struct opts *o, double p)
{
	return p >= o->risk_high ? "high" : p >= o->risk_low ? "medium" : "low";
}

static int
score_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const struct opts *o = run->o;
	const char *risk, *key;
	char prob[32];
	size_t klen = 0;
	double p;
	int n;

	(void)drop;
	if (crm_tab_encode(crm_binclf_tab(run->m), r, 1, run->x, e) == -1)
		return -1;
	p = crm_binclf_prob(run->m, run->x);
	risk = risk_of(o, p);
	n = snprintf(prob, sizeof(prob), "%.6f", p);
	if (o->reasons > 0 && reasons_json(run, r, run->x) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (crm_rec_put(r, "churn_prob", prob, (size_t)n, CRM_NUMBER) == -1 ||
	    crm_rec_put(r, "churn_risk", risk, strlen(risk), CRM_STRING) ==
		-1 ||
	    (o->reasons > 0 && crm_rec_put(r, "churn_reasons", run->json.p,
				   run->json.len, CRM_JSON) == -1) ||
	    (o->action != NULL &&
		crm_rec_put(r, "action",
		    p >= o->action_threshold ? o->action : "",
		    p >= o->action_threshold ? strlen(o->action) : 0,
		    p >= o->action_threshold ? CRM_STRING : CRM_NULL) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (run->audit != NULL) {
		long i = crm_rec_find(r, o->id_field, strlen(o->id_field));

		key = i >= 0 ? crm_rec_value(r, (size_t)i, &klen) : NULL;
		crm_err_field(e, "", 0);
		if (crm_audit_add(run->audit, key, klen, risk, strlen(risk), p,
			o->reasons > 0 ? run->json.p : NULL, run->json.len,
			e) == -1)
			return CRM_FILTER_FATAL;
	}
	return 0;
}

/* The input is idle: make the decisions so far visible in the store. */
static void
idle(void *arg)
{
	crm_audit_idle(((struct run *)arg)->audit);
}

/* ==== Evaluation ==== */

static int
eval_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	int y;

	(void)drop;
	if ((y = get_label(run, r, e)) == -1)
		return -1;
	if (crm_tab_encode(crm_binclf_tab(run->m), r, 1, run->x, e) == -1)
		return -1;
	if (run->n == run->cap) {
		size_t cap = run->cap ? 2 * run->cap : 1024;
		double *p;
		int *py;

		if ((p = crm_reallocarray(run->prob, cap, sizeof(*p))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		run->prob = p;
		if ((py = crm_reallocarray(run->y, cap, sizeof(*py))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		run->y = py;
		run->cap = cap;
	}
	run->prob[run->n] = crm_binclf_prob(run->m, run->x);
	run->y[run->n++] = y;
	return 0;
}

/* A metric for printing: four decimals, or nan (null in JSON). */
static const char *
fmt(char *buf, size_t n, double v, int json)
{
	if (isnan(v))
		return json ? "null" : "nan";
	snprintf(buf, n, "%.4f", v);
	return buf;
}

static void
print_metrics(
    const struct opts *o, const char *prefix, const struct crm_binmetrics *m)
{
	char a[32], p[32];

	if (o->json)
		printf("{%s\"n\":%zu,\"positives\":%zu,\"auc\":%s,"
		       "\"pr_auc\":%s,\"log_loss\":%.4f,\"brier\":%.4f,"
		       "\"lift10\":%.2f}\n",
		    prefix, m->n, m->pos, fmt(a, sizeof(a), m->auc, 1),
		    fmt(p, sizeof(p), m->pr_auc, 1), m->log_loss, m->brier,
		    m->lift10);
	else
		printf("%sn=%zu positives=%zu auc=%s pr_auc=%s "
		       "log_loss=%.4f brier=%.4f lift10=%.2f\n",
		    prefix, m->n, m->pos, fmt(a, sizeof(a), m->auc, 0),
		    fmt(p, sizeof(p), m->pr_auc, 0), m->log_loss, m->brier,
		    m->lift10);
}

/*
 * K-fold cross-validation over the kept records: every fold is trained
 * and scored before anything is printed; the means leave out a fold
 * whose AUC is undefined (one class only).  0 or -1 with e.
 */
static int
cross_validate(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	size_t k = (size_t)o->cv, f, i, n, nauc = 0, nap = 0;
	struct crm_binmetrics *fm, sum;
	double *prob;
	int *y, rc = -1;
	char prefix[64];

	if (run->n < k)
		return crm_err_set(e, EX_DATAERR,
		    "%zu records are too few for %zu folds", run->n, k);
	prob = calloc(run->n, sizeof(*prob));
	y = calloc(run->n, sizeof(*y));
	fm = calloc(k, sizeof(*fm));
	if (prob == NULL || y == NULL || fm == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (f = 0; f < k; f++) {
		struct crm_binclf *model = train_on(run, k, f, e);
		double *x;

		if (model == NULL) {
			char msg[sizeof(e->msg)];

			memcpy(msg, e->msg, sizeof(msg));
			crm_err_set(e, e->code, "fold %zu: %s", f + 1, msg);
			goto out;
		}
		x = realloc(run->x,
		    crm_tab_width(crm_binclf_tab(model)) * sizeof(*run->x));
		if (x == NULL) {
			crm_binclf_free(model);
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		run->x = x;
		for (i = f, n = 0; i < run->n; i += k) {
			if (crm_tab_encode(crm_binclf_tab(model), run->recs[i],
				0, run->x, e) == -1) {
				e->line = crm_rec_line(run->recs[i]);
				crm_binclf_free(model);
				goto out;
			}
			prob[n] = crm_binclf_prob(model, run->x);
			y[n++] = run->y[i];
		}
		crm_binclf_free(model);
		if (crm_binary_metrics(prob, y, n, &fm[f]) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	memset(&sum, 0, sizeof(sum));
	for (f = 0; f < k; f++) {
		snprintf(prefix, sizeof(prefix),
		    o->json ? "\"fold\":%zu," : "fold=%zu ", f + 1);
		print_metrics(o, prefix, &fm[f]);
		sum.n += fm[f].n;
		sum.pos += fm[f].pos;
		if (!isnan(fm[f].auc)) {
			sum.auc += fm[f].auc;
			nauc++;
		}
		if (!isnan(fm[f].pr_auc)) {
			sum.pr_auc += fm[f].pr_auc;
			nap++;
		}
		sum.log_loss += fm[f].log_loss / (double)k;
		sum.brier += fm[f].brier / (double)k;
		sum.lift10 += fm[f].lift10 / (double)k;
	}
	sum.auc = nauc ? sum.auc / (double)nauc : NAN;
	sum.pr_auc = nap ? sum.pr_auc / (double)nap : NAN;
	snprintf(prefix, sizeof(prefix),
	    o->json ? "\"mean_of\":%zu," : "mean_of=%zu ", k);
	print_metrics(o, prefix, &sum);
	rc = 0;
out:
	free(prob);
	free(y);
	free(fm);
	return rc;
}

/* ==== Features from the store ==== */

/* The features crm-churn learns from (see crm-tag(1) for all of them). */
static const char *const churn_features[] = {
	"tenure_days",
	"days_since_last_event",
	"days_since_last_order",
	"orders",
	"spend",
	"events_30d",
	"events_90d",
	"activity_trend",
	"logins_90d",
	"complaints_90d",
	"negative_messages_90d",
};

/*
 * The store's customers, their features and their label (from the
 * customer's extra JSON) as JSONL in a temporary file, for the same loop
 * as any input; training leaves out unlabelled customers.
 */
static FILE *
store_records(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_activity_opts fo;

	memset(&fo, 0, sizeof(fo));
	fo.as_of = o->as_of;
	fo.names = churn_features;
	fo.nnames = sizeof(churn_features) / sizeof(churn_features[0]);
	fo.id_field = o->id_field;
	fo.extra = o->label_field;
	return crm_activity_dump(run->st, &fo, o->verb != V_SCORE, e);
}

/* ==== Models ==== */

static void
load_model(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_buf blob;
	struct crm_err e;
	const struct crm_tab *t;
	int found;

	crm_err_clear(&e);
	crm_buf_init(&blob);
	if ((found = crm_model_find(run->st, o->model_file, o->model,
		 o->model_version, "churn", &blob, &run->version, &e)) == -1)
		crm_die(e.code, "%s", e.msg);
	if (!found)
		crm_die(EX_NOINPUT,
		    "no model '%s'%s%s: train one with 'crm-churn train'",
		    o->model, run->st ? " in " : "", run->st ? o->db : "");
	if ((run->m = crm_binclf_load(blob.p, blob.len, &e)) == NULL)
		crm_die(e.code, "%s: %s",
		    o->model_file ? o->model_file : o->model, e.msg);
	crm_buf_release(&blob);
	t = crm_binclf_tab(run->m);
	if ((run->x = calloc(crm_tab_width(t), sizeof(*run->x))) == NULL ||
	    (run->why = calloc((size_t)o->reasons + 1, sizeof(*run->why))) ==
		NULL)
		crm_die(EX_SOFTWARE, "out of memory");
}

/* Train on every kept record and keep the model; 0 or -1 with e. */
static int
train_finish(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_buf blob, params, metrics;
	struct crm_binmetrics m;
	const struct crm_tab *t;
	double *prob = NULL;
	long version = 0;
	size_t i;
	int rc = -1, bad = 0;

	if ((run->m = train_on(run, 0, 0, e)) == NULL)
		return -1;
	t = crm_binclf_tab(run->m);
	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	if ((run->x = calloc(crm_tab_width(t), sizeof(*run->x))) == NULL ||
	    (prob = calloc(run->n, sizeof(*prob))) == NULL)
		goto nomem;
	for (i = 0; i < run->n; i++) { /* the rows it learned from */
		crm_tab_row(t, i, run->x);
		prob[i] = crm_binclf_prob(run->m, run->x);
	}
	if (crm_binary_metrics(prob, run->y, run->n, &m) == -1)
		goto nomem;
	bad |= crm_buf_addf(&params,
	    "{\"algo\":\"%s\",\"cost\":%g,\"seed\":%lu,\"label_field\":",
	    o->bp.algo == CRM_ALGO_LR ? "lr" : "svm", o->bp.c, o->bp.seed);
	bad |= crm_json_quote(&params, o->label_field, strlen(o->label_field));
	bad |= crm_buf_adds(&params, ",\"id_field\":");
	bad |= crm_json_quote(&params, o->id_field, strlen(o->id_field));
	bad |= crm_buf_addc(&params, '}');
	bad |= crm_buf_addf(&metrics,
	    "{\"records\":%zu,\"positives\":%zu,\"features\":%zu,"
	    "\"train_auc\":%.4f,\"train_log_loss\":%.4f}",
	    m.n, m.pos, crm_tab_width(t), m.auc, m.log_loss);
	if (bad || crm_binclf_save(run->m, &blob) == -1)
		goto nomem;
	if (o->model_file != NULL) {
		if (crm_model_write_file(o->model_file, blob.p, blob.len, e) ==
		    -1)
			goto out;
	} else if (crm_model_put(run->st, o->model, "churn", params.p,
		       metrics.p, blob.p, blob.len, &version, e) == -1)
		goto out;
	if (!o->quiet) {
		char where[64] = "";

		if (version > 0)
			snprintf(where, sizeof(where), " version %ld", version);
		crm_warnx("trained %s%s on %zu records (%zu churned), %zu "
			  "features; on the training records auc=%.4f",
		    o->model, where, m.n, m.pos, crm_tab_width(t), m.auc);
	}
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(prob);
	crm_buf_release(&blob);
	crm_buf_release(&params);
	crm_buf_release(&metrics);
	return rc;
}

/* ==== Main ==== */

static void
cleanup(struct run *run)
{
	size_t i;

	for (i = 0; run->recs != NULL && i < run->n; i++)
		crm_rec_free(run->recs[i]);
	free(run->recs);
	free(run->y);
	free(run->prob);
	free(run->x);
	free(run->why);
	crm_binclf_free(run->m);
	free(run->o->types);
	crm_buf_release(&run->o->as_of_buf);
	crm_buf_release(&run->buf);
	crm_buf_release(&run->json);
	crm_store_close(run->st);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops score_ops = { check_header,
		out_header, score_record, idle };
	static const struct crm_filter_ops keep_ops = { NULL, NULL, keep_record,
		NULL };
	static const struct crm_filter_ops eval_ops = { check_header, NULL,
		eval_record, NULL };
	const struct crm_filter_ops *ops;
	unsigned long long nread, nwritten, nrejected;
	struct crm_filter *f;
	struct crm_binmetrics m;
	enum verb verb;
	struct opts o;
	struct run run;
	struct crm_err e;
	FILE *sfp = NULL;
	int rc;

	crm_cli_init("crm-churn");
	verb = (enum verb)crm_cli_verb(&argc, argv, verbs);
	parse_opts(argc, argv, verb, &o);
	argc -= optind;
	argv += optind;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	crm_err_clear(&e);
	crm_buf_init(&run.buf);
	crm_buf_init(&run.json);
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	if (o.db != NULL &&
	    (run.st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.verb == V_SCORE || (o.verb == V_EVAL && o.cv == 0))
		load_model(&run);
	if (o.verb == V_SCORE && run.st != NULL &&
	    (run.audit = crm_audit_open(
		 run.st, "crm-churn", o.model, run.version, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	ops = o.verb == V_SCORE		      ? &score_ops
	      : o.verb == V_EVAL && o.cv == 0 ? &eval_ops
					      : &keep_ops;
	if (o.from_store) {
		if ((sfp = store_records(&run, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		if (o.fo.in_fmt == CRM_FMT_AUTO)
			o.fo.in_fmt = CRM_FMT_JSONL;
	}
	if ((f = crm_filter_new(&o.fo, ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = sfp != NULL ? crm_filter_run_file(f, sfp, "store")
			 : crm_filter_run(f, argc, argv);
	if (crm_audit_close(run.audit, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (!o.quiet && o.verb == V_SCORE)
		crm_warnx("read %llu, scored %llu, rejected %llu", nread,
		    nwritten, nrejected);
	else if (!o.quiet)
		crm_warnx("read %llu, rejected %llu", nread, nrejected);
	if (rc == 0 && o.verb != V_SCORE &&
	    (crm_filter_status(f) != 0 || nrejected > 0)) {
		/* a model or figures from part of the data would mislead */
		crm_warnx("no %s: %s",
		    o.verb == V_TRAIN ? "model saved" : "figures",
		    nrejected > 0 ? "records were rejected"
				  : "an input could not be read");
	} else if (rc == 0 && o.verb == V_TRAIN) {
		if (train_finish(&run, &e) == -1) {
			crm_report(&e);
			rc = e.code;
		}
	} else if (rc == 0 && o.verb == V_EVAL && o.cv > 0) {
		if (cross_validate(&run, &e) == -1) {
			crm_report(&e);
			rc = e.code;
		}
	} else if (rc == 0 && o.verb == V_EVAL && run.n == 0) {
		crm_warnx("no records to evaluate");
		rc = EX_DATAERR;
	} else if (rc == 0 && o.verb == V_EVAL) {
		if (crm_binary_metrics(run.prob, run.y, run.n, &m) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		print_metrics(&o, "", &m);
	}
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	if (sfp != NULL)
		fclose(sfp);
	cleanup(&run);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
