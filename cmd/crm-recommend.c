/*
 * crm-recommend: the next items for each customer, and the items bought
 * with an item; fit and evaluate the model, from records or from the
 * store's events.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "filter.h"
#include "metrics.h"
#include "model.h"
#include "norm.h"
#include "rec.h"
#include "recommend.h"
#include "store.h"

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

enum verb { V_RECOMMEND, V_FIT, V_EVAL }; /* in order of verbs */

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

/* An event type of --event-types and its weight. */
struct evtype {
	const char *type;
	double weight;
};

struct opts {
	enum verb verb;
	const char *db;
	long busy_ms;
	const char *model;
	const char *model_file;
	long model_version;
	const char *id_field;
	const char *item_field;
	const char *weight_field;
	const char *time_field;
	struct evtype *types; /* --event-types, or NULL: all, weight 1 */
	size_t ntypes;
	int typed_weights; /* some type was given a weight */
	long top;
	double frac;
	int item_mode;
	int from_store;
	int json;
	int quiet;
	const char *fit_opt;  /* a fit option given, for the usage check */
	const char *eval_opt; /* an eval-only option given */
	struct crm_reco_params rp;
	struct crm_filter_opts fo;
};

struct run {
	struct opts *o;
	struct crm_store *st;
	struct crm_reco *m;
	long version;
	struct crm_audit *audit;
	struct crm_reco_data *data;
	struct crm_reco_hit *hits;
	struct crm_buf json;
	struct crm_progress prog;
	unsigned long long popular; /* records given the popular items */
	unsigned long long noitem;  /* fit, eval: records without an item */
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

/* Parse TYPE[:WEIGHT],... into o->types. */
static void
parse_types(struct opts *o, char *arg)
{
	char *p, *next, *colon;
	struct evtype *t;

	for (p = arg; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		t = crm_reallocarray(o->types, o->ntypes + 1, sizeof(*t));
		if (t == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
		o->types = t;
		t += o->ntypes++;
		t->type = p;
		t->weight = 1;
		if ((colon = strchr(p, ':')) != NULL) {
			*colon = '\0';
			t->weight = double_opt(
			    "--event-types weight", colon + 1, 1e-6, 1e6);
			o->typed_weights = 1;
		}
		if (*p == '\0')
			crm_usage_error(synopsis, "bad --event-types: an empty "
						  "type");
	}
}

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	int c, a;

	memset(o, 0, sizeof(*o));
	o->verb = verb;
	o->model = "recommend";
	o->id_field = "customer_id";
	o->item_field = "item";
	o->time_field = "time";
	o->top = 10;
	o->frac = 0.2;
	o->fo.max_errors = -1;
	crm_reco_params_init(&o->rp);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ALGO:
			if ((a = crm_reco_algo_parse(optarg)) < 0)
				crm_usage_error(synopsis,
				    "bad --algo '%s': want ease, knn or als",
				    optarg);
			o->rp.algo = (enum crm_reco_algo)a;
			o->fit_opt = "--algo";
			break;
		case OPT_ALPHA:
			o->rp.alpha = double_opt("--alpha", optarg, 0, 1e6);
			o->fit_opt = "--alpha";
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_DENSE_LIMIT:
			o->rp.dense_limit = (size_t)crm_opt_long(
			    synopsis, "--dense-limit", optarg, 0, 40000);
			o->fit_opt = "--dense-limit";
			break;
		case OPT_EVENT_TYPES:
			parse_types(o, optarg);
			o->fit_opt = "--event-types";
			break;
		case OPT_FACTORS:
			o->rp.factors = (size_t)crm_opt_long(
			    synopsis, "--factors", optarg, 1, 1000);
			o->fit_opt = "--factors";
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			o->id_field = optarg;
			break;
		case OPT_ITEM:
			o->item_mode = 1;
			break;
		case OPT_ITEM_FIELD:
			o->item_field = optarg;
			break;
		case OPT_ITERATIONS:
			o->rp.iterations = (size_t)crm_opt_long(
			    synopsis, "--iterations", optarg, 1, 1000);
			o->fit_opt = "--iterations";
			break;
		case OPT_JSON:
			o->json = 1;
			o->eval_opt = "--json";
			break;
		case OPT_LAMBDA:
			o->rp.lambda =
			    double_opt("--lambda", optarg, 1e-3, 1e9);
			o->fit_opt = "--lambda";
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
		case OPT_NEIGHBOURS:
			o->rp.neighbours = (size_t)crm_opt_long(
			    synopsis, "--neighbours", optarg, 1, 100000);
			o->fit_opt = "--neighbours";
			break;
		case OPT_REG:
			o->rp.reg = double_opt("--reg", optarg, 1e-6, 1e6);
			o->fit_opt = "--reg";
			break;
		case OPT_SEED:
			o->rp.seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			o->fit_opt = "--seed";
			break;
		case OPT_TEST_FRACTION:
			o->frac = double_opt("--test-fraction", optarg, 0, 1);
			o->eval_opt = "--test-fraction";
			break;
		case OPT_TIME_FIELD:
			o->time_field = optarg;
			o->eval_opt = "--time-field";
			break;
		case OPT_TOP:
			o->top =
			    crm_opt_long(synopsis, "--top", optarg, 1, 10000);
			break;
		case OPT_WEIGHT_FIELD:
			o->weight_field = optarg;
			o->fit_opt = "--weight-field";
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if (o->verb == V_RECOMMEND && o->fit_opt != NULL)
		crm_usage_error(synopsis, "%s is for fit and eval", o->fit_opt);
	if (o->verb != V_EVAL && o->eval_opt != NULL)
		crm_usage_error(synopsis, "%s is for eval", o->eval_opt);
	if (o->verb != V_RECOMMEND && o->item_mode)
		crm_usage_error(synopsis, "--item is for recommending");
	if (o->verb == V_FIT && o->db == NULL && o->model_file == NULL)
		crm_usage_error(synopsis, "fit needs --db or --model-file to "
					  "keep the model");
	if (o->from_store && o->db == NULL)
		crm_usage_error(synopsis, "--from-store needs --db");
	if (o->types != NULL && !o->from_store)
		crm_usage_error(synopsis, "--event-types needs --from-store");
	if (o->from_store && o->weight_field != NULL)
		crm_usage_error(synopsis, "with --from-store, weights come "
					  "from --event-types");
	if (o->model_version != 0 && (o->model_file != NULL || o->db == NULL))
		crm_usage_error(synopsis, "--model-version needs --db, and no "
					  "--model-file");
	if (o->verb != V_RECOMMEND)
		o->fo.no_output = 1;
}

/* ==== Fields ==== */

/*
 * The text of field name of r into *v and *len: 1, or 0 when it is null
 * or empty; -1 with e filled (EX_DATAERR) when r lacks it or it is not a
 * string or a number.
 */
static int
field_text(const struct crm_rec *r, const char *name, const char **v,
    size_t *len, struct crm_err *e)
{
	long i = crm_rec_find(r, name, strlen(name));
	enum crm_type t;

	crm_err_field(e, name, strlen(name));
	if (i < 0)
		return crm_err_set(e, EX_DATAERR, "no field '%s'", name);
	t = crm_rec_type(r, (size_t)i);
	if (t == CRM_NULL)
		return 0;
	if (t != CRM_STRING && t != CRM_NUMBER)
		return crm_err_set(
		    e, EX_DATAERR, "'%s' is not a string or a number", name);
	*v = crm_rec_value(r, (size_t)i, len);
	return *len > 0;
}

/* A CSV or TSV header must name every field that is read. */
static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	const struct opts *o = ((struct run *)arg)->o;
	const char *need[4];
	size_t i, n = 0;

	if (o->verb == V_RECOMMEND) {
		need[n++] = o->item_mode ? o->item_field : o->id_field;
	} else {
		need[n++] = o->id_field;
		need[n++] = o->item_field;
		if (o->weight_field != NULL)
			need[n++] = o->weight_field;
		if (o->verb == V_EVAL)
			need[n++] = o->time_field;
	}
	for (i = 0; i < n; i++)
		if (crm_rec_find(hdr, need[i], strlen(need[i])) < 0) {
			crm_err_field(e, need[i], strlen(need[i]));
			return crm_err_set(
			    e, EX_DATAERR, "no field '%s'", need[i]);
		}
	return 0;
}

/* ==== Interactions ==== */

/* One interaction record into run->data. */
static int
add_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const struct opts *o = run->o;
	const char *cust, *item, *v, *why;
	size_t clen, ilen, vlen;
	double w = 1, t = 0;
	char num[64], *end;
	int rc;

	(void)drop;
	if ((rc = field_text(r, o->id_field, &cust, &clen, e)) <= 0)
		return rc == 0 ? crm_err_set(e, EX_DATAERR, "empty customer id")
			       : -1;
	if ((rc = field_text(r, o->item_field, &item, &ilen, e)) < 0)
		return -1;
	if (o->weight_field != NULL) {
		if (field_text(r, o->weight_field, &v, &vlen, e) <= 0)
			return crm_err_set(e, EX_DATAERR, "no weight");
		if (vlen >= sizeof(num))
			return crm_err_set(e, EX_DATAERR, "weight too long");
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		w = strtod(num, &end);
		if (end == num || *end != '\0' || !isfinite(w) || w < 0)
			return crm_err_set(e, EX_DATAERR,
			    "weight '%s' is not a number >= 0", num);
	}
	if (o->verb == V_EVAL) {
		if (field_text(r, o->time_field, &v, &vlen, e) <= 0)
			return crm_err_set(e, EX_DATAERR, "no time");
		if (crm_norm_seconds(v, vlen, &t, &why) == -1)
			return crm_err_set(e, EX_DATAERR, "time '%.*s': %s",
			    (int)(vlen > 40 ? 40 : vlen), v, why);
	}
	if (rc == 0 || w == 0) { /* a customer with nothing to learn from */
		run->noitem++;
		return 0;
	}
	if (crm_reco_data_add(run->data, cust, clen, item, ilen, w, t) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The weight of event type, or 0 when it is not one to learn from. */
static double
type_weight(const struct opts *o, const char *type)
{
	size_t i;

	if (o->types == NULL)
		return 1;
	for (i = 0; i < o->ntypes; i++)
		if (type != NULL && strcmp(o->types[i].type, type) == 0)
			return o->types[i].weight;
	return 0;
}

/* The store's events with an item, of the types asked for, into data. */
static int
store_events(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	sqlite3_stmt *st;
	const char *why;
	double w, t;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(run->st),
		"SELECT customer_id, item, type, time FROM events "
		"WHERE item IS NOT NULL AND item <> '' ORDER BY rowid",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(run->st, e, "cannot read events");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		const char *it = (const char *)sqlite3_column_text(st, 1);
		const char *ty = (const char *)sqlite3_column_text(st, 2);
		const char *tm = (const char *)sqlite3_column_text(st, 3);

		if ((w = type_weight(o, ty)) == 0)
			continue;
		if (crm_norm_seconds(tm, strlen(tm), &t, &why) == -1) {
			crm_err_set(e, EX_DATAERR, "%s: event time '%s': %s",
			    o->db, tm, why);
			sqlite3_finalize(st);
			return -1;
		}
		if (crm_reco_data_add(
			run->data, c, strlen(c), it, strlen(it), w, t) == -1) {
			sqlite3_finalize(st);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(run->st, e, "cannot read events");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* ==== Recommending ==== */

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	(void)arg;
	if (crm_rec_put(hdr, "reco_items", "", 0, CRM_STRING) == -1 ||
	    crm_rec_put(hdr, "reco_source", "", 0, CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The hits as a JSON array of {"item": id, "score": s} into run->json. */
static int
hits_json(struct run *run, size_t n)
{
	struct crm_buf *b = &run->json;
	const char *id;
	size_t i, len;
	int bad = 0;

	crm_buf_reset(b);
	bad |= crm_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		id = crm_reco_item_name(run->m, run->hits[i].item, &len);
		bad |= crm_buf_adds(b, i ? ",{\"item\":" : "{\"item\":");
		bad |= crm_json_quote(b, id, len);
		bad |= crm_buf_addf(b, ",\"score\":%.4f}", run->hits[i].score);
	}
	bad |= crm_buf_addc(b, ']');
	return bad ? -1 : 0;
}

static int
reco_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	const struct opts *o = run->o;
	const char *key, *source, *why;
	size_t klen, n;
	int rc, pop;
	long i;

	(void)drop;
	rc = field_text(
	    r, o->item_mode ? o->item_field : o->id_field, &key, &klen, e);
	if (rc <= 0)
		return rc == 0 ? crm_err_set(e, EX_DATAERR, "empty %s id",
				     o->item_mode ? "item" : "customer")
			       : -1;
	if (o->item_mode) {
		i = crm_reco_item(run->m, key, klen);
		n = crm_reco_for_item(
		    run->m, i, (size_t)o->top, run->hits, &pop);
	} else {
		i = crm_reco_customer(run->m, key, klen);
		n = crm_reco_for_customer(
		    run->m, i, (size_t)o->top, run->hits, &pop);
	}
	run->popular += pop;
	source = pop ? "popular" : "model";
	why = pop ? "{\"source\":\"popular\"}" : "{\"source\":\"model\"}";
	if (hits_json(run, n) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	/* log first: key points into r, which the fields below change */
	if (run->audit != NULL) {
		crm_err_field(e, "", 0);
		if (crm_audit_add(run->audit, key, klen, run->json.p,
			run->json.len, n > 0 ? run->hits[0].score : 0, why,
			strlen(why), e) == -1)
			return CRM_FILTER_FATAL;
	}
	if (crm_rec_put(
		r, "reco_items", run->json.p, run->json.len, CRM_JSON) == -1 ||
	    crm_rec_put(r, "reco_source", source, strlen(source), CRM_STRING) ==
		-1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The input is idle: make the decisions so far visible in the store. */
static void
idle(void *arg)
{
	crm_audit_idle(((struct run *)arg)->audit);
}

/*
 * The records to recommend for with --from-store: one JSONL record per
 * customer of the store (per item of its events with --item), in a
 * temporary file for the same loop as any input.
 */
static FILE *
store_records(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	const char *field = o->item_mode ? o->item_field : o->id_field;
	sqlite3_stmt *st = NULL;
	struct crm_buf b;
	FILE *fp;
	int rc, ok = 0;

	if ((fp = tmpfile()) == NULL) {
		crm_err_set(e, EX_CANTCREAT,
		    "cannot create a temporary file: %s", strerror(errno));
		return NULL;
	}
	crm_buf_init(&b);
	if (sqlite3_prepare_v2(crm_store_db(run->st),
		o->item_mode ? "SELECT DISTINCT item FROM events WHERE item "
			       "IS NOT NULL AND item <> '' ORDER BY item"
			     : "SELECT customer_id FROM customers ORDER BY "
			       "customer_id",
		-1, &st, NULL) != SQLITE_OK) {
		crm_store_fail(run->st, e, "cannot read the store");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		crm_buf_reset(&b);
		if (crm_buf_addc(&b, '{') == -1 ||
		    crm_json_quote(&b, field, strlen(field)) == -1 ||
		    crm_buf_addc(&b, ':') == -1 ||
		    crm_json_quote(&b, v, strlen(v)) == -1 ||
		    crm_buf_adds(&b, "}\n") == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (fwrite(b.p, 1, b.len, fp) != b.len) {
			crm_err_set(
			    e, EX_IOERR, "cannot write a temporary file");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		crm_store_fail(run->st, e, "cannot read the store");
	else if (fflush(fp) == EOF || fseek(fp, 0, SEEK_SET) == -1)
		crm_err_set(e, EX_IOERR, "cannot read a temporary file");
	else
		ok = 1;
out:
	sqlite3_finalize(st);
	crm_buf_release(&b);
	if (!ok) {
		fclose(fp);
		return NULL;
	}
	return fp;
}

static void
load_model(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_buf blob;
	struct crm_err e;
	int found;

	crm_err_clear(&e);
	crm_buf_init(&blob);
	if ((found = crm_model_find(run->st, o->model_file, o->model,
		 o->model_version, "recommend", &blob, &run->version, &e)) ==
	    -1)
		crm_die(e.code, "%s", e.msg);
	if (!found)
		crm_die(EX_NOINPUT,
		    "no model '%s'%s%s: fit one with 'crm-recommend fit'",
		    o->model, run->st ? " in " : "", run->st ? o->db : "");
	if ((run->m = crm_reco_load(&blob, &e)) == NULL)
		crm_die(e.code, "%s: %s",
		    o->model_file ? o->model_file : o->model, e.msg);
}

/* ==== Fitting and evaluation ==== */

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

/* Say so when EASE's matrix would have been too large. */
static void
note_fallback(const struct run *run, const struct crm_reco *m)
{
	size_t n = crm_reco_items(m);
	double bytes = 4.0 * (double)n * (double)n;
	char size[32];

	if (crm_reco_algo(m) == crm_reco_asked(m))
		return;
	if (bytes < 1e6)
		snprintf(size, sizeof(size), "%.0f bytes", bytes);
	else if (bytes < 1e9)
		snprintf(size, sizeof(size), "%.0f MB", bytes / 1e6);
	else
		snprintf(size, sizeof(size), "%.1f GB", bytes / 1e9);
	crm_warnx("%zu items: ease's %zu x %zu matrix of %s is past "
		  "--dense-limit %zu or the memory there is; fitted knn with "
		  "%zu neighbours instead",
	    n, n, n, size, run->o->rp.dense_limit, run->o->rp.neighbours);
}

/* What an algorithm was fitted with, as text for messages and JSON. */
static int
params_json(struct run *run, const struct crm_reco *m, struct crm_buf *b)
{
	const struct crm_reco_params *p = crm_reco_params(m);
	int bad = 0;

	bad |= crm_buf_addf(b, "{\"algo\":\"%s\",\"asked\":\"%s\"",
	    crm_reco_algo_name(crm_reco_algo(m)),
	    crm_reco_algo_name(crm_reco_asked(m)));
	switch (crm_reco_algo(m)) {
	case CRM_RECO_EASE:
		bad |= crm_buf_addf(b, ",\"lambda\":%g", p->lambda);
		break;
	case CRM_RECO_KNN:
		bad |= crm_buf_addf(b, ",\"neighbours\":%zu", p->neighbours);
		break;
	case CRM_RECO_ALS:
		bad |= crm_buf_addf(b,
		    ",\"factors\":%zu,\"iterations\":%zu,\"reg\":%g,"
		    "\"alpha\":%g,\"seed\":%lu",
		    p->factors, p->iterations, p->reg, p->alpha, p->seed);
		break;
	}
	bad |= crm_buf_addf(b, ",\"weighted\":%s,\"id_field\":",
	    run->o->weight_field != NULL || run->o->typed_weights ? "true"
								  : "false");
	bad |= crm_json_quote(b, run->o->id_field, strlen(run->o->id_field));
	bad |= crm_buf_adds(b, ",\"item_field\":");
	bad |=
	    crm_json_quote(b, run->o->item_field, strlen(run->o->item_field));
	bad |= crm_buf_addc(b, '}');
	return bad ? -1 : 0;
}

static int
fit_finish(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_buf params, metrics;
	const void *blob;
	size_t len;
	long version = 0;
	int rc = -1;

	if ((run->m = crm_reco_fit(run->data, &o->rp, e)) == NULL)
		return -1;
	crm_progress_end(&run->prog);
	note_fallback(run, run->m);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	if (params_json(run, run->m, &params) == -1 ||
	    crm_buf_addf(&metrics,
		"{\"interactions\":%zu,\"pairs\":%zu,\"customers\":%zu,"
		"\"items\":%zu}",
		crm_reco_data_count(run->data), crm_reco_pairs(run->m),
		crm_reco_customers(run->m), crm_reco_items(run->m)) == -1 ||
	    crm_reco_save(run->m, &blob, &len) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (o->model_file != NULL) {
		if (crm_model_write_file(o->model_file, blob, len, e) == -1)
			goto out;
	} else if (crm_model_put(run->st, o->model, "recommend", params.p,
		       metrics.p, blob, len, &version, e) == -1)
		goto out;
	if (!o->quiet) {
		if (version > 0)
			crm_warnx("fitted %s on %zu interactions of %zu "
				  "customers and %zu items: model '%s' version "
				  "%ld",
			    crm_reco_algo_name(crm_reco_algo(run->m)),
			    crm_reco_data_count(run->data),
			    crm_reco_customers(run->m), crm_reco_items(run->m),
			    o->model, version);
		else
			crm_warnx("fitted %s on %zu interactions of %zu "
				  "customers and %zu items: %s",
			    crm_reco_algo_name(crm_reco_algo(run->m)),
			    crm_reco_data_count(run->data),
			    crm_reco_customers(run->m), crm_reco_items(run->m),
			    o->model_file);
	}
	rc = 0;
out:
	crm_buf_release(&params);
	crm_buf_release(&metrics);
	return rc;
}

static int
eval_finish(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_rankmetrics r;
	struct crm_reco *m;

	if (crm_reco_eval(
		run->data, o->frac, (size_t)o->top, &o->rp, &r, &m, e) == -1)
		return -1;
	crm_progress_end(&run->prog);
	note_fallback(run, m);
	if (o->json)
		printf("{\"customers\":%zu,\"items\":%zu,\"k\":%zu,"
		       "\"precision\":%.4f,\"recall\":%.4f,\"ndcg\":%.4f,"
		       "\"hit_rate\":%.4f,\"coverage\":%.4f,\"algo\":\"%s\"}\n",
		    r.users, r.nitems, r.k, r.precision, r.recall, r.ndcg,
		    r.hit_rate, r.coverage,
		    crm_reco_algo_name(crm_reco_algo(m)));
	else
		printf("customers=%zu items=%zu k=%zu precision=%.4f "
		       "recall=%.4f ndcg=%.4f hit_rate=%.4f coverage=%.4f "
		       "algo=%s\n",
		    r.users, r.nitems, r.k, r.precision, r.recall, r.ndcg,
		    r.hit_rate, r.coverage,
		    crm_reco_algo_name(crm_reco_algo(m)));
	crm_rank_release(&r);
	crm_reco_free(m);
	return 0;
}

/* ==== Main ==== */

static void
cleanup(struct run *run)
{
	crm_reco_free(run->m);
	crm_reco_data_free(run->data);
	free(run->hits);
	free(run->o->types);
	crm_buf_release(&run->json);
	crm_store_close(run->st);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops reco_ops = { check_header,
		out_header, reco_record, idle };
	static const struct crm_filter_ops add_ops = { check_header, NULL,
		add_record, NULL };
	unsigned long long nread, nwritten, nrejected;
	struct crm_filter *f = NULL;
	enum verb verb;
	struct opts o;
	struct run run;
	struct crm_err e;
	FILE *sfp = NULL;
	int rc = 0;

	crm_cli_init("crm-recommend");
	verb = (enum verb)crm_cli_verb(&argc, argv, verbs);
	parse_opts(argc, argv, verb, &o);
	argc -= optind;
	argv += optind;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	crm_err_clear(&e);
	crm_buf_init(&run.json);
	crm_progress_init(&run.prog);
	o.rp.progress = fit_progress;
	o.rp.progress_arg = &run.prog;
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	if (o.db != NULL &&
	    (run.st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.verb == V_RECOMMEND) {
		load_model(&run);
		if ((run.hits = calloc((size_t)o.top, sizeof(*run.hits))) ==
		    NULL)
			crm_die(EX_SOFTWARE, "out of memory");
		if (run.st != NULL &&
		    (run.audit = crm_audit_open(run.st, "crm-recommend",
			 o.model, run.version, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
	} else if ((run.data = crm_reco_data_new(
			o.weight_field != NULL || o.typed_weights)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	if (o.from_store && o.verb != V_RECOMMEND) {
		/* interactions straight from the events, no records */
		if (store_events(&run, &e) == -1)
			crm_die(e.code, "%s", e.msg);
	} else {
		if (o.from_store) {
			if ((sfp = store_records(&run, &e)) == NULL)
				crm_die(e.code, "%s", e.msg);
			if (o.fo.in_fmt == CRM_FMT_AUTO)
				o.fo.in_fmt = CRM_FMT_JSONL;
		}
		if ((f = crm_filter_new(&o.fo,
			 o.verb == V_RECOMMEND ? &reco_ops : &add_ops, &run,
			 &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		rc = sfp != NULL ? crm_filter_run_file(f, sfp, "store")
				 : crm_filter_run(f, argc, argv);
	}
	if (crm_audit_close(run.audit, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	nread = nwritten = nrejected = 0;
	if (f != NULL)
		crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (!o.quiet && o.verb == V_RECOMMEND)
		crm_warnx("read %llu, recommended %llu (%llu popular), "
			  "rejected %llu",
		    nread, nwritten, run.popular, nrejected);
	else if (!o.quiet && f != NULL)
		crm_warnx("read %llu, without an item %llu, rejected %llu",
		    nread, run.noitem, nrejected);
	if (rc == 0 && o.verb != V_RECOMMEND && f != NULL &&
	    (crm_filter_status(f) != 0 || nrejected > 0)) {
		/* a model or figures from part of the data would mislead */
		crm_warnx("no %s: %s",
		    o.verb == V_FIT ? "model saved" : "figures",
		    nrejected > 0 ? "records were rejected"
				  : "an input could not be read");
	} else if (rc == 0 && o.verb == V_FIT) {
		if (fit_finish(&run, &e) == -1) {
			crm_progress_end(&run.prog);
			crm_report(&e);
			rc = e.code;
		}
	} else if (rc == 0 && o.verb == V_EVAL) {
		if (eval_finish(&run, &e) == -1) {
			crm_progress_end(&run.prog);
			crm_report(&e);
			rc = e.code;
		}
	}
	if (f != NULL) {
		rc = crm_filter_finish(f, rc);
		crm_filter_free(f);
	}
	if (sfp != NULL)
		fclose(sfp);
	cleanup(&run);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
