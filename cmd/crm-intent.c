/*
 * crm-intent: classify customer messages (intent, sentiment, or any text
 * model trained here), train and evaluate the models, and take human
 * corrections.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "filter.h"
#include "metrics.h"
#include "model.h"
#include "norm.h"
#include "rec.h"
#include "store.h"
#include "textclf.h"

static const char synopsis[] =
    "usage: crm-intent [--db FILE] [--explain N] [--field NAME]\n"
    "                  [--min-confidence P] [--model NAME] [--model-file "
    "FILE]\n"
    "                  [--top K] [common options] [file ...]\n"
    "       crm-intent train [--bits N] [--cost C] [--min-df N] [--seed N]\n"
    "                  [--with-labels] [common options] [file ...]\n"
    "       crm-intent eval [--json] [--min-confidence P] [common options]\n"
    "                  [file ...]\n"
    "       crm-intent label --db FILE [--source NAME] [common options]\n"
    "                  [file ...]\n";

static const char help[] =
    "Classify the text of each record and append the label and its score;\n"
    "train, evaluate, or add human labels with the verbs.\n"
    "\n"
    "  --bits N               train: 2^N feature hashes (22)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --cost C               train: the SVM's cost C (1)\n"
    "  --db FILE              the store: models, decisions and labels\n"
    "                         (default: $CRM_DB)\n"
    "  --explain N            append the N features that weighed most\n"
    "  --field NAME           name of the appended field (the model's name)\n"
    "  --id-field FIELD       record key for the audit log and labels (id)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --json                 eval: print the metrics as JSON\n"
    "  --label-field FIELD    train, eval, label: the label (the model's "
    "name)\n"
    "  --max-errors N         stop after more than N rejected records\n"
    "  --max-text N           reject texts longer than N bytes (100000)\n"
    "  --min-confidence P     label as out_of_scope when the best score is\n"
    "                         below P\n"
    "  --min-df N             train: drop features seen in fewer than N "
    "texts (1)\n"
    "  --model NAME           the model (intent); intent and sentiment are\n"
    "                         built in\n"
    "  --model-file FILE      read (write, to train) the model from FILE\n"
    "  --model-version N      use version N of the model in the store\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary line\n"
    "  --rejects FILE         write rejected records there as CSV\n"
    "  --seed N               train: seed of the solver's order (1)\n"
    "  --source NAME          label: who gave the labels (human)\n"
    "  --text-field FIELD     the text to classify (text)\n"
    "  --top K                append the K best labels with scores as JSON\n"
    "  --with-labels          train: add the store's human labels, which\n"
    "                         win over the input's for the same text\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-intent and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 records rejected, 66 missing input or\n"
    "model, 69 store schema too new, 70 internal error, 73 cannot create\n"
    "output, 74 I/O error, 75 store busy.  See crm-intent(1).\n";

enum verb { V_PREDICT, V_TRAIN, V_EVAL, V_LABEL }; /* in order of verbs */

static const char *const verbs[] = { "train", "eval", "label", NULL };

enum {
	OPT_BITS = 256,
	OPT_COST,
	OPT_DB,
	OPT_EXPLAIN,
	OPT_FIELD,
	OPT_ID_FIELD,
	OPT_JSON,
	OPT_LABEL_FIELD,
	OPT_MAX_TEXT,
	OPT_MIN_CONF,
	OPT_MIN_DF,
	OPT_MODEL,
	OPT_MODEL_FILE,
	OPT_MODEL_VERSION,
	OPT_SEED,
	OPT_SOURCE,
	OPT_TEXT_FIELD,
	OPT_TOP,
	OPT_WITH_LABELS
};

static const struct option longopts[] = {
	{ "bits", required_argument, NULL, OPT_BITS },
	{ "cost", required_argument, NULL, OPT_COST },
	{ "db", required_argument, NULL, OPT_DB },
	{ "explain", required_argument, NULL, OPT_EXPLAIN },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "label-field", required_argument, NULL, OPT_LABEL_FIELD },
	{ "max-text", required_argument, NULL, OPT_MAX_TEXT },
	{ "min-confidence", required_argument, NULL, OPT_MIN_CONF },
	{ "min-df", required_argument, NULL, OPT_MIN_DF },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "model-file", required_argument, NULL, OPT_MODEL_FILE },
	{ "model-version", required_argument, NULL, OPT_MODEL_VERSION },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "text-field", required_argument, NULL, OPT_TEXT_FIELD },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "with-labels", no_argument, NULL, OPT_WITH_LABELS },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

#define OUT_OF_SCOPE "out_of_scope"

struct opts {
	enum verb verb;
	const char *db;
	long busy_ms;
	const char *model;
	const char *model_file;
	long model_version;
	const char *text_field;
	const char *label_field;
	const char *field;
	const char *id_field;
	const char *source;
	long top;
	long explain;
	long max_text;
	double min_conf; /* < 0: off */
	int json;
	int with_labels;
	int quiet;
	struct crm_textclf_params tp;
	struct crm_filter_opts fo;
};

/* Human labels by text, sorted for lookup while training. */
struct label {
	char *text, *label;
	size_t tlen, llen;
	int used;
};

struct run {
	struct opts *o;
	struct crm_store *st;
	struct crm_textclf *m;
	long version; /* of the model in the store; 0 for built-in or file */
	struct crm_audit *audit;
	struct crm_textclf_set *set;
	struct label *labels;
	size_t nlabels, labcap;
	struct crm_confusion conf;
	char **evnames; /* eval: model classes, out_of_scope, unknown labels */
	size_t *evlen;
	size_t nev;
	double *prob;
	struct crm_reason *reasons;
	struct crm_buf buf, json, why; /* scratch, --top, --explain */
	unsigned long empty; /* train: texts without words, left out */
};

/*
 * The built-in models, trained by make from testdata/intent and linked
 * in (cmd/crm-intent-models.S); the first build of crm-intent, which
 * trains them, has none: the symbols are weak.
 */
extern const unsigned char crm_builtin_intent[] __attribute__((weak));
extern const unsigned char crm_builtin_intent_end[] __attribute__((weak));
extern const unsigned char crm_builtin_sentiment[] __attribute__((weak));
extern const unsigned char crm_builtin_sentiment_end[] __attribute__((weak));

static int
builtin(const char *name, const unsigned char **p, size_t *len)
{
	const unsigned char *b = NULL, *end = NULL;

	if (strcmp(name, "intent") == 0) {
		b = crm_builtin_intent;
		end = crm_builtin_intent_end;
	} else if (strcmp(name, "sentiment") == 0) {
		b = crm_builtin_sentiment;
		end = crm_builtin_sentiment_end;
	}
	if (b == NULL || end == NULL)
		return 0;
	*p = b;
	*len = (size_t)(end - b);
	return 1;
}

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	static const struct crm_textclf_params tp = CRM_TEXTCLF_PARAMS_DEFAULT;
	int c;

	memset(o, 0, sizeof(*o));
	o->model = "intent";
	o->text_field = "text";
	o->id_field = "id";
	o->source = "human";
	o->max_text = 100000;
	o->min_conf = -1;
	o->tp = tp;
	o->fo.max_errors = -1;
	o->verb = verb;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BITS:
			o->tp.text.bits = (int)crm_opt_long(
			    synopsis, "--bits", optarg, 12, 24);
			break;
		case OPT_COST:
			if (crm_parse_double(optarg, 1e-6, 1e6, &o->tp.c) == -1)
				crm_usage_error(synopsis,
				    "bad --cost '%s': want 1e-6 to 1e6",
				    optarg);
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_EXPLAIN:
			o->explain =
			    crm_opt_long(synopsis, "--explain", optarg, 1, 100);
			break;
		case OPT_FIELD:
			o->field = optarg;
			break;
		case OPT_ID_FIELD:
			o->id_field = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_LABEL_FIELD:
			o->label_field = optarg;
			break;
		case OPT_MAX_TEXT:
			o->max_text = crm_opt_long(
			    synopsis, "--max-text", optarg, 1, 1L << 30);
			break;
		case OPT_MIN_CONF:
			if (crm_parse_double(optarg, 0, 1, &o->min_conf) == -1)
				crm_usage_error(synopsis,
				    "bad --min-confidence '%s': want 0 to 1",
				    optarg);
			break;
		case OPT_MIN_DF:
			o->tp.min_df = (int)crm_opt_long(
			    synopsis, "--min-df", optarg, 1, 1000000);
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
		case OPT_SEED:
			o->tp.seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		case OPT_SOURCE:
			o->source = optarg;
			break;
		case OPT_TEXT_FIELD:
			o->text_field = optarg;
			break;
		case OPT_TOP:
			o->top =
			    crm_opt_long(synopsis, "--top", optarg, 1, 1000);
			break;
		case OPT_WITH_LABELS:
			o->with_labels = 1;
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if (*o->model == '\0')
		crm_usage_error(synopsis, "--model needs a name");
	if (o->label_field == NULL)
		o->label_field = o->model;
	if (o->field == NULL)
		o->field = o->model;
	if (o->verb == V_TRAIN && o->db == NULL && o->model_file == NULL)
		crm_usage_error(synopsis, "train needs --db or --model-file to "
					  "keep the model");
	if (o->verb == V_LABEL && o->db == NULL)
		crm_usage_error(synopsis, "label needs --db");
	if (o->with_labels && (o->verb != V_TRAIN || o->db == NULL))
		crm_usage_error(synopsis, "--with-labels is for train with "
					  "--db");
	if (o->model_version != 0 && (o->model_file != NULL || o->db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (o->verb != V_PREDICT)
		o->fo.no_output = 1;
}

/* ==== Fields ==== */

/*
 * The string value of field name in r.  Returns 0, or -1 with e filled
 * (EX_DATAERR) when it is missing, not text, empty or too long.
 */
static int
get_text(const struct run *run, const struct crm_rec *r, const char *name,
    const char **p, size_t *len, struct crm_err *e)
{
	long i = crm_rec_find(r, name, strlen(name));
	enum crm_type t;

	crm_err_field(e, name, strlen(name));
	if (i < 0)
		return crm_err_set(e, EX_DATAERR, "no field '%s'", name);
	t = crm_rec_type(r, (size_t)i);
	*p = crm_rec_value(r, (size_t)i, len);
	if (t == CRM_NULL || (t == CRM_STRING && *len == 0))
		return crm_err_set(e, EX_DATAERR, "empty %s", name);
	/* a number is text too: labels 0 and 1, a message "404" */
	if (t != CRM_STRING && t != CRM_NUMBER)
		return crm_err_set(
		    e, EX_DATAERR, "%s is not a string or a number", name);
	if (*len > (size_t)run->o->max_text)
		return crm_err_set(e, EX_DATAERR,
		    "%s is %zu bytes, more than --max-text %ld", name, *len,
		    run->o->max_text);
	return 0;
}

/* The record key for the store, or NULL when the record has none. */
static const char *
get_key(const struct run *run, const struct crm_rec *r, size_t *len)
{
	long i = crm_rec_find(r, run->o->id_field, strlen(run->o->id_field));

	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return NULL;
	return crm_rec_value(r, (size_t)i, len);
}

/* Set the field named by the output field and suffix. */
static int
put_suffixed(struct run *run, struct crm_rec *r, const char *suffix,
    const char *val, size_t len, enum crm_type type)
{
	crm_buf_reset(&run->buf);
	if (crm_buf_addf(&run->buf, "%s%s", run->o->field, suffix) == -1)
		return -1;
	return crm_rec_put(r, run->buf.p, val, len, type);
}

/* A model text error as a record error. */
static int
text_error(const char *why, const char *field, struct crm_err *e)
{
	crm_err_field(e, field, strlen(field));
	if (why == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_err_set(e, EX_DATAERR, "%s", why);
}

/* ==== Predict ==== */

/* The output names: the input's, then the fields this run appends. */
static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;
	if (crm_rec_put(hdr, run->o->field, "", 0, CRM_STRING) == -1 ||
	    put_suffixed(run, hdr, "_score", "", 0, CRM_STRING) == -1 ||
	    (run->o->top > 0 &&
		put_suffixed(run, hdr, "_top", "", 0, CRM_STRING) == -1) ||
	    (run->o->explain > 0 &&
		put_suffixed(run, hdr, "_reasons", "", 0, CRM_STRING) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The --top K labels as JSON, best first, into run->json. */
static int
top_json(struct run *run)
{
	size_t k = crm_textclf_classes(run->m), n, i, j, best, len;
	char *taken;
	const char *name;
	struct crm_buf *b = &run->json;
	int bad = 0;

	if ((taken = calloc(k, 1)) == NULL)
		return -1;
	n = (size_t)run->o->top < k ? (size_t)run->o->top : k;
	crm_buf_reset(b);
	bad |= crm_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		for (j = 0, best = k; j < k; j++)
			if (!taken[j] &&
			    (best == k || run->prob[j] > run->prob[best]))
				best = j;
		taken[best] = 1;
		name = crm_textclf_class(run->m, best, &len);
		bad |= crm_buf_adds(b, i ? ",{\"label\":" : "{\"label\":");
		bad |= crm_json_quote(b, name, len);
		bad |= crm_buf_addf(b, ",\"score\":%.4f}", run->prob[best]);
	}
	free(taken);
	bad |= crm_buf_addc(b, ']');
	return bad ? -1 : 0;
}

/* The reasons of class k for text as JSON into run->why. */
static int
reasons_json(struct run *run, const char *text, size_t len, size_t k,
    const char *field, struct crm_err *e)
{
	const char *why;
	long n, i;
	struct crm_buf *b = &run->why;
	int bad = 0;

	n = crm_textclf_explain(
	    run->m, text, len, k, run->reasons, (size_t)run->o->explain, &why);
	if (n == -1)
		return text_error(why, field, e);
	crm_buf_reset(b);
	bad |= crm_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		bad |= crm_buf_adds(b, i ? ",{\"feature\":" : "{\"feature\":");
		bad |= crm_json_quote(
		    b, run->reasons[i].name, strlen(run->reasons[i].name));
		bad |= crm_buf_addf(
		    b, ",\"weight\":%.4f}", run->reasons[i].weight);
	}
	bad |= crm_buf_addc(b, ']');
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* Classify one text: the label (maybe out_of_scope) and its score. */
static long
classify(struct run *run, const char *text, size_t len, const char **label,
    size_t *llen, struct crm_err *e)
{
	const char *why;
	long best;

	if ((best = crm_textclf_predict(run->m, text, len, run->prob, &why)) ==
	    -1)
		return text_error(why, run->o->text_field, e);
	if (run->o->min_conf >= 0 && run->prob[best] < run->o->min_conf) {
		*label = OUT_OF_SCOPE;
		*llen = strlen(OUT_OF_SCOPE);
	} else
		*label = crm_textclf_class(run->m, (size_t)best, llen);
	return best;
}

static int
predict_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const char *text, *label, *key;
	size_t len, llen, klen = 0;
	char score[32];
	long best;
	int n;

	(void)drop;
	if (get_text(run, r, run->o->text_field, &text, &len, e) == -1)
		return -1;
	if ((best = classify(run, text, len, &label, &llen, e)) == -1)
		return -1;
	/* text points into r: use it before r changes */
	if (run->o->explain > 0 && reasons_json(run, text, len, (size_t)best,
				       run->o->text_field, e) == -1)
		return -1;
	if (run->o->top > 0 && top_json(run) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	n = snprintf(score, sizeof(score), "%.4f", run->prob[best]);
	if (crm_rec_put(r, run->o->field, label, llen, CRM_STRING) == -1 ||
	    put_suffixed(run, r, "_score", score, (size_t)n, CRM_NUMBER) ==
		-1 ||
	    (run->o->top > 0 && put_suffixed(run, r, "_top", run->json.p,
				    run->json.len, CRM_JSON) == -1) ||
	    (run->o->explain > 0 && put_suffixed(run, r, "_reasons", run->why.p,
					run->why.len, CRM_JSON) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (run->audit != NULL) {
		key = get_key(run, r, &klen);
		crm_err_field(e, "", 0);
		if (crm_audit_add(run->audit, key, klen, label, llen,
			run->prob[best], run->o->explain ? run->why.p : NULL,
			run->why.len, e) == -1)
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

/* ==== Train ==== */

static int
label_cmp(const void *a, const void *b)
{
	const struct label *x = a, *y = b;

	return crm_bytes_cmp(x->text, x->tlen, y->text, y->tlen);
}

/* Keep one human label; a later one for the same text wins. */
static int
keep_label(
    void *arg, const char *text, size_t tlen, const char *label, size_t llen)
{
	struct run *run = arg;
	struct label *l;

	if (run->nlabels == run->labcap) {
		size_t c = run->labcap ? 2 * run->labcap : 64;

		if ((l = crm_reallocarray(run->labels, c, sizeof(*l))) == NULL)
			return -1;
		run->labels = l;
		run->labcap = c;
	}
	l = &run->labels[run->nlabels];
	memset(l, 0, sizeof(*l));
	if ((l->text = malloc(tlen + 1)) == NULL ||
	    (l->label = malloc(llen + 1)) == NULL) {
		free(l->text);
		return -1;
	}
	memcpy(l->text, text, tlen + 1);
	memcpy(l->label, label, llen + 1);
	l->tlen = tlen;
	l->llen = llen;
	run->nlabels++;
	return 0;
}

/* Load the human labels of the model's task, the newest for each text. */
static int
load_labels(struct run *run, struct crm_err *e)
{
	size_t i, j;

	if (crm_labels_each(run->st, run->o->model, keep_label, run, e) == -1) {
		if (e->code == 0)
			crm_err_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	if (run->nlabels == 0)
		return 0;
	/* the newest label of a text wins: sort by text, keep the last id */
	for (i = 0; i < run->nlabels; i++)
		run->labels[i].used = (int)i;
	qsort(run->labels, run->nlabels, sizeof(*run->labels), label_cmp);
	for (i = j = 0; i < run->nlabels; i++) {
		if (j > 0 &&
		    label_cmp(&run->labels[j - 1], &run->labels[i]) == 0) {
			struct label *keep = &run->labels[j - 1];

			if (run->labels[i].used > keep->used) {
				free(keep->text);
				free(keep->label);
				*keep = run->labels[i];
			} else {
				free(run->labels[i].text);
				free(run->labels[i].label);
			}
			continue;
		}
		run->labels[j++] = run->labels[i];
	}
	run->nlabels = j;
	for (i = 0; i < run->nlabels; i++)
		run->labels[i].used = 0;
	return 0;
}

static struct label *
find_label(struct run *run, const char *text, size_t len)
{
	struct label key;

	if (run->nlabels == 0)
		return NULL;
	key.text = (char *)(uintptr_t)text;
	key.tlen = len;
	return bsearch(&key, run->labels, run->nlabels, sizeof(key), label_cmp);
}

static int
add_example(struct run *run, const char *text, size_t len, const char *label,
    size_t llen, struct crm_err *e)
{
	const char *why;
	int rc;

	if ((rc = crm_textclf_set_add(
		 run->set, text, len, label, llen, &why)) == -1)
		return text_error(why, run->o->text_field, e);
	run->empty += rc == 0;
	return 0;
}

static int
train_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const char *text, *label;
	size_t len, llen;
	struct label *l;

	(void)drop;
	if (get_text(run, r, run->o->text_field, &text, &len, e) == -1 ||
	    get_text(run, r, run->o->label_field, &label, &llen, e) == -1)
		return -1;
	if ((l = find_label(run, text, len)) != NULL) {
		l->used = 1;
		label = l->label;
		llen = l->llen;
	}
	return add_example(run, text, len, label, llen, e);
}

/* The model's parameters and training figures as JSON; 0 or -1. */
static int
train_json(struct run *run, double secs, struct crm_buf *params,
    struct crm_buf *metrics)
{
	const struct crm_textclf_params *p = &run->o->tp;
	double cv = crm_textclf_cv_accuracy(run->m);
	const double *cal = crm_textclf_calibration(run->m);
	int bad = 0;

	bad |= crm_buf_addf(params,
	    "{\"bits\":%d,\"minn\":%d,\"maxn\":%d,\"cjk_n\":%d,"
	    "\"word_n\":%d,\"cost\":%g,\"min_df\":%d,\"seed\":%lu,"
	    "\"text_field\":",
	    p->text.bits, p->text.minn, p->text.maxn, p->text.cjk_n,
	    p->text.word_n, p->c, p->min_df, p->seed);
	bad |= crm_json_quote(
	    params, run->o->text_field, strlen(run->o->text_field));
	bad |= crm_buf_adds(params, ",\"label_field\":");
	bad |= crm_json_quote(
	    params, run->o->label_field, strlen(run->o->label_field));
	bad |= crm_buf_addf(params, ",\"with_labels\":%s}",
	    run->o->with_labels ? "true" : "false");
	bad |= crm_buf_addf(metrics,
	    "{\"texts\":%zu,\"classes\":%zu,\"features\":%zu,"
	    "\"score_curve\":[%.6g,%.6g,%.6g],\"train_seconds\":%.3f",
	    crm_textclf_set_size(run->set), crm_textclf_classes(run->m),
	    crm_textclf_features(run->m), cal[0], cal[1], cal[2], secs);
	if (cv >= 0)
		bad |= crm_buf_addf(metrics, ",\"cv_accuracy\":%.4f", cv);
	bad |= crm_buf_addc(metrics, '}');
	return bad ? -1 : 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* After the input: add unused human labels, train, keep the model. */
static int
train_finish(struct run *run, struct crm_err *e)
{
	struct crm_buf blob, params, metrics;
	double t0 = now_s(), cv;
	size_t i, added = 0;
	long version = 0;
	int rc = -1;

	for (i = 0; i < run->nlabels; i++) {
		struct label *l = &run->labels[i];

		if (l->used)
			continue;
		if (add_example(run, l->text, l->tlen, l->label, l->llen, e) ==
		    -1) {
			if (e->code != EX_DATAERR)
				return -1;
			crm_warnx("%s: label %zu of '%s' skipped: %s",
			    run->o->db, i + 1, run->o->model, e->msg);
			continue;
		}
		added++;
	}
	if ((run->m = crm_textclf_train(run->set, &run->o->tp, e)) == NULL)
		return -1;
	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	if (train_json(run, now_s() - t0, &params, &metrics) == -1 ||
	    crm_textclf_save(run->m, &blob) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (run->o->model_file != NULL) {
		if (crm_model_write_file(
			run->o->model_file, blob.p, blob.len, e) == -1)
			goto out;
	} else if (crm_model_put(run->st, run->o->model, "text", params.p,
		       metrics.p, blob.p, blob.len, &version, e) == -1)
		goto out;
	if (!run->o->quiet) {
		char where[64] = "";

		if (version > 0)
			snprintf(where, sizeof(where), " version %ld", version);
		crm_warnx("trained %s%s on %zu texts (%zu from human labels, "
			  "%lu without words left out), %zu classes, %zu "
			  "features",
		    run->o->model, where, crm_textclf_set_size(run->set), added,
		    run->empty, crm_textclf_classes(run->m),
		    crm_textclf_features(run->m));
		cv = crm_textclf_cv_accuracy(run->m);
		if (cv >= 0)
			crm_warnx("accuracy on held-out folds %.4f", cv);
	}
	rc = 0;
out:
	crm_buf_release(&blob);
	crm_buf_release(&params);
	crm_buf_release(&metrics);
	return rc;
}

/* ==== Eval ==== */

/* The index of label in the eval class list, added when new. */
static long
eval_class(struct run *run, const char *label, size_t len)
{
	size_t i;
	char **n;
	size_t *l;

	for (i = 0; i < run->nev; i++)
		if (run->evlen[i] == len &&
		    memcmp(run->evnames[i], label, len) == 0)
			return (long)i;
	if ((n = crm_reallocarray(run->evnames, run->nev + 1, sizeof(*n))) ==
	    NULL)
		return -1;
	run->evnames = n;
	if ((l = crm_reallocarray(run->evlen, run->nev + 1, sizeof(*l))) ==
	    NULL)
		return -1;
	run->evlen = l;
	if ((n[run->nev] = malloc(len + 1)) == NULL)
		return -1;
	memcpy(n[run->nev], label, len);
	n[run->nev][len] = '\0';
	l[run->nev] = len;
	if (crm_confusion_grow(&run->conf, run->nev + 1) == -1)
		return -1;
	return (long)run->nev++;
}

static int
eval_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const char *text, *truth, *label;
	size_t len, tlen, llen;
	long t, p;

	(void)drop;
	if (get_text(run, r, run->o->text_field, &text, &len, e) == -1 ||
	    get_text(run, r, run->o->label_field, &truth, &tlen, e) == -1)
		return -1;
	if (classify(run, text, len, &label, &llen, e) == -1)
		return -1;
	if ((t = eval_class(run, truth, tlen)) == -1 ||
	    (p = eval_class(run, label, llen)) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_confusion_add(&run->conf, (size_t)t, (size_t)p);
	return 0;
}

static void
print_kv(const char *key, const char *s, size_t len)
{
	printf(" %s=", key);
	fwrite(s, 1, len, stdout);
}

static void
eval_print(struct run *run)
{
	struct crm_confusion *c = &run->conf;
	struct crm_confused top[10];
	struct crm_buf b;
	double p, r, f;
	unsigned long sup;
	size_t i, n;
	int bad = 0;

	n = crm_confusion_top(c, top, 10);
	if (!run->o->json) {
		printf("n=%lu accuracy=%.4f macro_f1=%.4f classes=%zu\n", c->n,
		    crm_accuracy(c), crm_macro_f1(c), c->k);
		for (i = 0; i < c->k; i++) {
			crm_class_prf(c, i, &p, &r, &f, &sup);
			printf("class");
			print_kv("label", run->evnames[i], run->evlen[i]);
			printf(" precision=%.4f recall=%.4f f1=%.4f "
			       "support=%lu\n",
			    p, r, f, sup);
		}
		for (i = 0; i < n; i++) {
			printf("confused");
			print_kv("truth", run->evnames[top[i].truth],
			    run->evlen[top[i].truth]);
			print_kv("predicted", run->evnames[top[i].pred],
			    run->evlen[top[i].pred]);
			printf(" count=%lu\n", top[i].count);
		}
		return;
	}
	crm_buf_init(&b);
	bad |= crm_buf_addf(&b,
	    "{\"n\":%lu,\"accuracy\":%.4f,\"macro_f1\":%.4f,\"classes\":[",
	    c->n, crm_accuracy(c), crm_macro_f1(c));
	for (i = 0; i < c->k; i++) {
		crm_class_prf(c, i, &p, &r, &f, &sup);
		bad |= crm_buf_adds(&b, i ? ",{\"label\":" : "{\"label\":");
		bad |= crm_json_quote(&b, run->evnames[i], run->evlen[i]);
		bad |= crm_buf_addf(&b,
		    ",\"precision\":%.4f,\"recall\":%.4f,\"f1\":%.4f,"
		    "\"support\":%lu}",
		    p, r, f, sup);
	}
	bad |= crm_buf_adds(&b, "],\"confused\":[");
	for (i = 0; i < n; i++) {
		bad |= crm_buf_adds(&b, i ? ",{\"truth\":" : "{\"truth\":");
		bad |= crm_json_quote(
		    &b, run->evnames[top[i].truth], run->evlen[top[i].truth]);
		bad |= crm_buf_adds(&b, ",\"predicted\":");
		bad |= crm_json_quote(
		    &b, run->evnames[top[i].pred], run->evlen[top[i].pred]);
		bad |= crm_buf_addf(&b, ",\"count\":%lu}", top[i].count);
	}
	bad |= crm_buf_adds(&b, "]}\n");
	if (bad)
		crm_die(EX_SOFTWARE, "out of memory");
	fwrite(b.p, 1, b.len, stdout);
	crm_buf_release(&b);
}

/* ==== Label ==== */

static int
label_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const char *text, *label, *key;
	size_t len, llen, klen = 0;

	(void)drop;
	if (get_text(run, r, run->o->text_field, &text, &len, e) == -1 ||
	    get_text(run, r, run->o->label_field, &label, &llen, e) == -1)
		return -1;
	if (!crm_utf8_check(text, len, NULL))
		return text_error("invalid UTF-8", run->o->text_field, e);
	key = get_key(run, r, &klen);
	return crm_audit_label(
	    run->audit, key, klen, text, len, label, llen, run->o->source, e);
}

/* ==== Main ==== */

/* Find the model: a file, the store, or built in. */
static void
load_model(struct run *run)
{
	const struct opts *o = run->o;
	const unsigned char *p;
	struct crm_buf blob;
	struct crm_err e;
	size_t len;
	int found;

	crm_err_clear(&e);
	crm_buf_init(&blob);
	if ((found = crm_model_find(run->st, o->model_file, o->model,
		 o->model_version, "text", &blob, &run->version, &e)) == -1)
		crm_die(e.code, "%s", e.msg);
	if (!found && builtin(o->model, &p, &len)) {
		if (crm_buf_add(&blob, p, len) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		found = 1;
	}
	if (!found)
		crm_die(EX_NOINPUT,
		    "no model '%s'%s%s: train one with 'crm-intent train "
		    "--model %s'",
		    o->model, run->st ? " in " : "", run->st ? o->db : "",
		    o->model);
	if ((run->m = crm_textclf_load(blob.p, blob.len, &e)) == NULL)
		crm_die(e.code, "%s: %s",
		    o->model_file ? o->model_file : o->model, e.msg);
	crm_buf_release(&blob);
	if ((run->prob = calloc(
		 crm_textclf_classes(run->m), sizeof(*run->prob))) == NULL ||
	    (run->reasons = calloc(
		 (size_t)o->explain + 1, sizeof(*run->reasons))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
}

static void
summary(struct run *run, struct crm_filter *f)
{
	unsigned long long read, written, rejected;

	if (run->o->quiet)
		return;
	crm_filter_counts(f, &read, &written, &rejected);
	if (run->o->verb == V_PREDICT)
		crm_warnx("read %llu, written %llu, rejected %llu", read,
		    written, rejected);
	else
		crm_warnx("read %llu, rejected %llu", read, rejected);
}

static void
cleanup(struct run *run)
{
	size_t i;

	for (i = 0; i < run->nlabels; i++) {
		free(run->labels[i].text);
		free(run->labels[i].label);
	}
	free(run->labels);
	for (i = 0; i < run->nev; i++)
		free(run->evnames[i]);
	free(run->evnames);
	free(run->evlen);
	crm_confusion_release(&run->conf);
	crm_textclf_set_free(run->set);
	crm_textclf_free(run->m);
	free(run->prob);
	free(run->reasons);
	crm_buf_release(&run->buf);
	crm_buf_release(&run->json);
	crm_buf_release(&run->why);
	crm_store_close(run->st);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops predict_ops = { NULL, out_header,
		predict_record, idle };
	static const struct crm_filter_ops train_ops = { NULL, NULL,
		train_record, NULL };
	static const struct crm_filter_ops eval_ops = { NULL, NULL, eval_record,
		NULL };
	static const struct crm_filter_ops label_ops = { NULL, NULL,
		label_record, idle };
	const struct crm_filter_ops *ops;
	struct crm_filter *f;
	enum verb verb;
	struct opts o;
	struct run run;
	struct crm_err e;
	const char *why;
	size_t i;
	int rc;

	crm_cli_init("crm-intent");
	verb = (enum verb)crm_cli_verb(&argc, argv, verbs);
	parse_opts(argc, argv, verb, &o);
	argc -= optind;
	argv += optind;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	crm_err_clear(&e);
	crm_buf_init(&run.buf);
	crm_buf_init(&run.json);
	crm_buf_init(&run.why);
	if (o.db != NULL &&
	    (run.st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);

	switch (o.verb) {
	case V_PREDICT:
		load_model(&run);
		if (run.st != NULL &&
		    (run.audit = crm_audit_open(run.st, "crm-intent", o.model,
			 run.version, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		ops = &predict_ops;
		break;
	case V_TRAIN:
		if ((run.set = crm_textclf_set_new(&o.tp.text, &why)) == NULL)
			crm_die(why ? EX_USAGE : EX_SOFTWARE, "%s",
			    why ? why : "out of memory");
		if (o.with_labels && load_labels(&run, &e) == -1)
			crm_die(e.code, "%s", e.msg);
		ops = &train_ops;
		break;
	case V_EVAL:
		load_model(&run);
		if (crm_confusion_init(&run.conf, 0) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		for (i = 0; i < crm_textclf_classes(run.m); i++) {
			size_t len;
			const char *name = crm_textclf_class(run.m, i, &len);

			if (eval_class(&run, name, len) == -1)
				crm_die(EX_SOFTWARE, "out of memory");
		}
		ops = &eval_ops;
		break;
	case V_LABEL:
	default:
		if ((run.audit = crm_audit_open(
			 run.st, "crm-intent", o.model, 0, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		ops = &label_ops;
		break;
	}

	if ((f = crm_filter_new(&o.fo, ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = crm_filter_run(f, argc, argv);
	/* what was decided or labelled is kept, even after an error */
	if (crm_audit_close(run.audit, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	summary(&run, f);
	if (rc == 0 && o.verb == V_TRAIN) {
		unsigned long long nread, nwritten, nrejected;

		/* a model of part of the data must not become the default */
		crm_filter_counts(f, &nread, &nwritten, &nrejected);
		if (crm_filter_status(f) != 0 || nrejected > 0)
			crm_warnx("no model saved: %s",
			    nrejected > 0 ? "records were rejected"
					  : "an input could not be read");
		else if (train_finish(&run, &e) == -1) {
			crm_report(&e);
			rc = e.code;
		}
	}
	if (rc == 0 && o.verb == V_EVAL)
		eval_print(&run);
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	cleanup(&run);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
