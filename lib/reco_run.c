/*
 * reco_run: crm-recommend's pipeline (see reco_run.h): the records and
 * events in, the model fitted, kept, loaded and asked, the decisions
 * logged, eval's figures out.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "audit.h"
#include "cli.h"
#include "opt.h"
#include "events.h"
#include "jw.h"
#include "model.h"
#include "norm.h"
#include "reco_run.h"

struct crm_reco_run {
	const struct crm_reco_run_opts *o;
	struct crm_store *st;
	struct crm_reco *m;
	long version;
	struct crm_audit *audit;
	struct crm_reco_data *data;
	struct crm_reco_hit *hits;
	struct crm_buf json;
	struct crm_buf why;
	struct crm_buf text;	      /* eval's figures as text */
	int summarized;		      /* the read summary was noted */
	unsigned long long popular;   /* records given the popular items */
	unsigned long long noitem;    /* fit, eval: records without an item */
	unsigned long long events;    /* fit, eval: the store's events read */
	unsigned long long other;     /* of those, not of an --event-types */
	struct crm_model_input in;    /* fit: what it learned from */
	enum crm_by by;		      /* o->by, resolved */
	struct crm_person_of *person; /* by person: customer to person */
	/* models as arms: each slot's model (r->m the default, or NULL) */
	struct crm_armmodel *am;
	struct crm_reco **amm;
	char *dflt_label;	  /* the default's reco_model */
	const char *arm, *mlabel; /* the record's */
};

void
crm_reco_run_opts_init(struct crm_reco_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->verb = CRM_RECO_RECOMMEND;
	o->model = "recommend";
	o->id_field = "customer_id";
	o->item_field = "item";
	o->time_field = "time";
	o->top = 10;
	o->frac = 0.2;
	crm_reco_params_init(&o->rp);
}

int
crm_reco_types_parse(struct crm_reco_run_opts *o, char *arg, struct crm_err *e)
{
	char *p, *next, *colon;
	struct crm_reco_evtype *t;
	double w;

	for (p = arg; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		t = realloc(o->types, (o->ntypes + 1) * sizeof(*t));
		if (t == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		o->types = t;
		t += o->ntypes++;
		t->type = p;
		t->weight = 1;
		if ((colon = strchr(p, ':')) != NULL) {
			*colon = '\0';
			if (crm_parse_double(colon + 1, 1e-6, 1e6, &w) == -1)
				return crm_err_set(e, EX_USAGE,
				    "bad --event-types weight '%s': want %g "
				    "to %g",
				    colon + 1, 1e-6, 1e6);
			t->weight = w;
			o->typed_weights = 1;
		}
		if (*p == '\0')
			return crm_err_set(
			    e, EX_USAGE, "bad --event-types: an empty type");
	}
	return 0;
}

static void note(const struct crm_reco_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(const struct crm_reco_run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (r->o->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->o->note(r->o->note_arg, msg);
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

/*
 * The fields read, named by their options: each must be in a CSV or TSV
 * header, and in every JSONL record.
 */
static int
needs(void *arg, struct crm_filter *f)
{
	const struct crm_reco_run_opts *o = ((struct crm_reco_run *)arg)->o;
	int rc = 0;

	if (o->verb == CRM_RECO_RECOMMEND)
		return crm_filter_need(f,
		    o->item_mode ? o->item_field : o->id_field,
		    o->item_mode ? "--item-field" : "--id-field",
		    CRM_NEED_EVERY);
	rc |= crm_filter_need(f, o->id_field, "--id-field", CRM_NEED_EVERY);
	rc |= crm_filter_need(f, o->item_field, "--item-field", CRM_NEED_EVERY);
	if (o->weight_field != NULL)
		rc |= crm_filter_need(
		    f, o->weight_field, "--weight-field", CRM_NEED_EVERY);
	if (o->verb == CRM_RECO_EVAL)
		rc |= crm_filter_need(
		    f, o->time_field, "--time-field", CRM_NEED_EVERY);
	return rc != 0 ? -1 : 0;
}

/* ==== Interactions ==== */

/* One interaction record into r->data. */
static int
add_record(void *arg, struct crm_rec *rec, int *drop, struct crm_err *e)
{
	struct crm_reco_run *r = arg;
	const struct crm_reco_run_opts *o = r->o;
	const char *cust, *item, *v, *why;
	size_t clen, ilen, vlen;
	double w = 1, t = 0;
	char num[64], *end;
	int rc;

	(void)drop;
	if ((rc = field_text(rec, o->id_field, &cust, &clen, e)) <= 0)
		return rc == 0 ? crm_err_set(e, EX_DATAERR, "empty customer id")
			       : -1;
	if (r->person != NULL &&
	    crm_person_of(r->person, cust, clen, &cust, &clen, e) == -1)
		return CRM_FILTER_FATAL;
	if ((rc = field_text(rec, o->item_field, &item, &ilen, e)) < 0)
		return -1;
	if (o->weight_field != NULL) {
		if (field_text(rec, o->weight_field, &v, &vlen, e) <= 0)
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
	if (o->verb == CRM_RECO_EVAL) {
		if (field_text(rec, o->time_field, &v, &vlen, e) <= 0)
			return crm_err_set(e, EX_DATAERR, "no time");
		if (crm_norm_seconds(v, vlen, &t, &why) == -1)
			return crm_err_set(e, EX_DATAERR, "time '%.*s': %s",
			    (int)(vlen > 40 ? 40 : vlen), v, why);
	}
	crm_model_input_add(&r->in, rec);
	if (rc == 0 || w == 0) { /* a customer with nothing to learn from */
		r->noitem++;
		return 0;
	}
	if (crm_reco_data_add(r->data, cust, clen, item, ilen, w, t) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The weight of event type, or 0 when it is not one to learn from. */
static double
type_weight(const struct crm_reco_run_opts *o, const char *type)
{
	size_t i;

	if (o->types == NULL)
		return 1;
	for (i = 0; i < o->ntypes; i++)
		if (type != NULL && strcmp(o->types[i].type, type) == 0)
			return o->types[i].weight;
	return 0;
}

/* One event of the store into r->data. */
static int
add_event(void *arg, const struct crm_event *ev, struct crm_err *e)
{
	static const char *const names[] = { "customer_id", "time", "type",
		"item" };
	const char *values[] = { ev->customer_id, ev->time, ev->type,
		ev->item };
	struct crm_reco_run *r = arg;
	const char *why;
	double w, t;

	crm_model_input_add_strs(&r->in, 4, names, values);
	r->events++;
	if ((w = type_weight(r->o, ev->type)) == 0) {
		r->other++;
		return 0;
	}
	if (crm_norm_seconds(ev->time, strlen(ev->time), &t, &why) == -1)
		return crm_err_set(e, EX_DATAERR, "%s: event time '%s': %s",
		    r->o->db != NULL ? r->o->db : crm_store_path(r->st),
		    ev->time, why);
	if (crm_reco_data_add(r->data, ev->customer_id, strlen(ev->customer_id),
		ev->item, strlen(ev->item), w, t) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_reco_run_events(
    struct crm_reco_run *r, struct crm_store *st, struct crm_err *e)
{
	struct crm_store *snap;
	int rc;

	if ((snap = crm_store_snapshot(st, e)) == NULL)
		return -1;
	rc = crm_events_with_item(snap, r->by, add_event, r, e);
	crm_store_close(snap);
	return rc;
}

/* ==== Recommending ==== */

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_reco_run *r = arg;

	if (crm_rec_put(hdr, "reco_items", "", 0, CRM_STRING) == -1 ||
	    crm_rec_put(hdr, "reco_source", "", 0, CRM_STRING) == -1 ||
	    (r->am != NULL &&
		(crm_rec_put(hdr, "reco_arm", "", 0, CRM_STRING) == -1 ||
		    crm_rec_put(hdr, "reco_model", "", 0, CRM_STRING) == -1)))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * The hits of model m as a JSON array of {"item": id, "score": s} into
 * r->json, and the reasons, {"source": source}, into r->why.
 */
static int
hits_json(struct crm_reco_run *r, const struct crm_reco *m, size_t n,
    const char *source)
{
	struct crm_jw w, y;
	const char *id;
	size_t i, len;

	crm_buf_reset(&r->json);
	crm_jw_init(&w, &r->json);
	crm_jw_arr(&w);
	for (i = 0; i < n; i++) {
		id = crm_reco_item_name(m, r->hits[i].item, &len);
		crm_jw_obj(&w);
		crm_jw_key(&w, "item");
		crm_jw_strn(&w, id, len);
		crm_jw_key(&w, "score");
		crm_jw_num(&w, "%.4f", r->hits[i].score);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	crm_buf_reset(&r->why);
	crm_jw_init(&y, &r->why);
	crm_jw_obj(&y);
	crm_jw_key(&y, "source");
	crm_jw_str(&y, source);
	crm_jw_end(&y);
	return crm_jw_done(&w) == -1 || crm_jw_done(&y) == -1 ? -1 : 0;
}

/*
 * The model for customer key: with arms, its arm's (r->arm, r->mlabel,
 * the audit's model), else r->m.  NULL with e filled: libcrypto failed.
 */
static struct crm_reco *
pick_model(
    struct crm_reco_run *r, const char *key, size_t klen, struct crm_err *e)
{
	const struct crm_armmodel_slot *sl;
	const struct crm_reco_run_opts *o = r->o;
	long i;

	if (r->am == NULL)
		return r->m;
	if ((i = crm_armmodel_pick(r->am, key, klen, &r->arm, e)) == -2)
		return NULL;
	if (i < 0) {
		/* an arm without a model of its own: the default serves it */
		r->mlabel = r->dflt_label;
		if (r->audit != NULL)
			crm_audit_set_model(r->audit,
			    o->model_file != NULL ? o->model_file : o->model,
			    r->version);
		return r->m;
	}
	sl = crm_armmodel_slot(r->am, (size_t)i);
	r->mlabel = sl->label;
	if (r->audit != NULL)
		crm_audit_set_model(r->audit,
		    sl->file != NULL ? sl->file : o->model, sl->version);
	return r->amm[i];
}

static int
reco_record(void *arg, struct crm_rec *rec, int *drop, struct crm_err *e)
{
	struct crm_reco_run *r = arg;
	const struct crm_reco_run_opts *o = r->o;
	const char *key, *source, *pid;
	struct crm_reco *m = r->m;
	size_t klen, n, plen;
	int rc, pop;
	long i;

	(void)drop;
	rc = field_text(
	    rec, o->item_mode ? o->item_field : o->id_field, &key, &klen, e);
	if (rc <= 0)
		return rc == 0 ? crm_err_set(e, EX_DATAERR, "empty %s id",
				     o->item_mode ? "item" : "customer")
			       : -1;
	if (o->item_mode) {
		i = crm_reco_item(m, key, klen);
		n = crm_reco_for_item(m, i, o->top, r->hits, &pop);
	} else {
		if ((m = pick_model(r, key, klen, e)) == NULL)
			return CRM_FILTER_FATAL;
		/* by person: its items, none of which it is given again */
		pid = key;
		plen = klen;
		if (r->person != NULL &&
		    crm_person_of(r->person, key, klen, &pid, &plen, e) == -1)
			return CRM_FILTER_FATAL;
		i = crm_reco_customer(m, pid, plen);
		n = crm_reco_for_customer(m, i, o->top, r->hits, &pop);
	}
	r->popular += pop;
	source = pop ? "popular" : "model";
	if (hits_json(r, m, n, source) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	/* log first: key points into rec, which the fields below change */
	if (r->audit != NULL) {
		crm_err_field(e, "", 0);
		/* a customer's list is about the customer; an item's none */
		if (crm_audit_add(r->audit, key, klen,
			o->item_mode ? NULL : key, klen, r->json.p, r->json.len,
			n > 0 ? r->hits[0].score : 0, r->why.p, r->why.len,
			e) == -1)
			return CRM_FILTER_FATAL;
	}
	if (crm_rec_put(rec, "reco_items", r->json.p, r->json.len, CRM_JSON) ==
		-1 ||
	    crm_rec_put(
		rec, "reco_source", source, strlen(source), CRM_STRING) == -1 ||
	    (r->am != NULL && (crm_rec_put(rec, "reco_arm", r->arm,
				   strlen(r->arm), CRM_STRING) == -1 ||
				  crm_rec_put(rec, "reco_model", r->mlabel,
				      strlen(r->mlabel), CRM_STRING) == -1)))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The input is idle: make the decisions so far visible in the store. */
static void
idle(void *arg)
{
	crm_audit_idle(((struct crm_reco_run *)arg)->audit);
}

int
crm_reco_run_source(struct crm_reco_run *r, struct crm_store *st,
    struct crm_source *src, struct crm_err *e)
{
	const struct crm_reco_run_opts *o = r->o;
	struct crm_store *snap;

	if ((snap = crm_store_snapshot(st, e)) == NULL)
		return -1;
	return crm_ids_source(snap,
	    o->item_mode ? CRM_IDS_ITEMS : CRM_IDS_CUSTOMERS,
	    o->item_mode ? o->item_field : o->id_field, src, e);
}

/* ==== The run ==== */

/*
 * The model what (a file, or a name) of params from blob, which it takes
 * over, when trained --by as this run is; NULL with e filled.
 */
static struct crm_reco *
load_blob(const struct crm_reco_run *r, const char *what, struct crm_buf *blob,
    const struct crm_buf *params, struct crm_err *e)
{
	struct crm_reco *m;
	char msg[sizeof(e->msg)];

	if (crm_model_check_by(what, params, r->by, e) == -1) {
		crm_buf_release(blob);
		return NULL;
	}
	if ((m = crm_reco_load(blob, e)) == NULL) {
		memcpy(msg, e->msg, sizeof(msg));
		crm_err_set(e, e->code, "%s: %s", what, msg);
	}
	return m;
}

/*
 * Models as arms: each arm's model (o->arms); r->m, the default one, is
 * NULL when there is none.  0, or -1 with e filled.
 */
static int
load_arms(struct crm_reco_run *r, struct crm_err *e)
{
	const struct crm_reco_run_opts *o = r->o;
	struct crm_armmodel_slot *sl;
	size_t i;

	if (r->m != NULL && (r->dflt_label = o->model_file != NULL
						 ? strdup(o->model_file)
						 : crm_armmodel_label(o->model,
						       r->version)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if ((r->am = crm_armmodel_new(o->arms, r->st, r->m != NULL, e)) == NULL)
		return -1;
	if ((r->amm = calloc(crm_armmodel_count(r->am) + 1, sizeof(*r->amm))) ==
	    NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < crm_armmodel_count(r->am); i++) {
		sl = crm_armmodel_slot(r->am, i);
		if ((r->amm[i] = load_blob(
			 r, sl->label, &sl->blob, &sl->params, e)) == NULL)
			return -1;
	}
	return 0;
}

static int
load_model(struct crm_reco_run *r, struct crm_err *e)
{
	const struct crm_reco_run_opts *o = r->o;
	struct crm_buf blob, params;
	int found;

	crm_buf_init(&blob);
	crm_buf_init(&params);
	found = crm_model_find(r->st, o->model_file, o->model, o->model_version,
	    "recommend", &blob, &r->version, &params, e);
	if (found == 1 &&
	    (r->m = load_blob(r, o->model_file ? o->model_file : o->model,
		 &blob, &params, e)) == NULL)
		found = -1;
	crm_buf_release(&params);
	crm_buf_release(&blob);
	if (found == -1)
		return -1;
	/* with arms, every arm may have a model of its own */
	if (o->arms != NULL)
		return load_arms(r, e);
	if (!found)
		return crm_model_missing(r->st, o->model, "recommend", NULL,
		    "train one with 'crm-recommend train'", e);
	return 0;
}

struct crm_reco_run *
crm_reco_run_new(
    const struct crm_reco_run_opts *o, struct crm_store *st, struct crm_err *e)
{
	struct crm_reco_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	r->o = o;
	r->st = st;
	crm_model_input_init(&r->in);
	crm_buf_init(&r->json);
	crm_buf_init(&r->why);
	crm_buf_init(&r->text);
	r->by = o->by;
	if (crm_by_resolve(st, &r->by, e) == -1 ||
	    (r->by == CRM_BY_PERSON && st != NULL &&
		(r->person = crm_person_of_open(st, e)) == NULL))
		goto fail;
	if (o->verb == CRM_RECO_RECOMMEND) {
		if (load_model(r, e) == -1)
			goto fail;
		if ((r->hits = calloc(o->top, sizeof(*r->hits))) == NULL) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto fail;
		}
		if (st != NULL &&
		    (r->audit = crm_audit_open(
			 st, "crm-recommend", o->model, r->version, e)) == NULL)
			goto fail;
	} else if ((r->data = crm_reco_data_new(
			o->weight_field != NULL || o->typed_weights)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	return r;
fail:
	crm_reco_run_free(r);
	return NULL;
}

/*
 * Say so when EASE's matrix would have been too large, or OpenBLAS's
 * work buffer.
 */
static void
note_fallback(const struct crm_reco_run *r, const struct crm_reco *m)
{
	size_t n = crm_reco_items(m);
	double bytes = 4.0 * (double)n * (double)n;
	char size[32];

	if (crm_reco_algo(m) == crm_reco_asked(m))
		return;
	if (*crm_reco_fallback_why(m) != '\0') {
		note(r, "%zu items: %s; fitted knn with %zu neighbours instead",
		    n, crm_reco_fallback_why(m), r->o->rp.neighbours);
		return;
	}
	if (bytes < 1e6)
		snprintf(size, sizeof(size), "%.0f bytes", bytes);
	else if (bytes < 1e9)
		snprintf(size, sizeof(size), "%.0f MB", bytes / 1e6);
	else
		snprintf(size, sizeof(size), "%.1f GB", bytes / 1e9);
	note(r,
	    "%zu items: ease's %zu x %zu matrix of %s is past "
	    "--dense-limit %zu or the memory there is; fitted knn with "
	    "%zu neighbours instead",
	    n, n, n, size, r->o->rp.dense_limit, r->o->rp.neighbours);
}

/* What an algorithm was fitted with, as JSON for the models table. */
static int
params_json(struct crm_reco_run *r, const struct crm_reco *m, struct crm_buf *b)
{
	const struct crm_reco_params *p = crm_reco_params(m);
	const struct crm_reco_run_opts *o = r->o;
	struct crm_jw w;

	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	crm_jw_key(&w, "algo");
	crm_jw_str(&w, crm_reco_algo_name(crm_reco_algo(m)));
	crm_jw_key(&w, "asked");
	crm_jw_str(&w, crm_reco_algo_name(crm_reco_asked(m)));
	switch (crm_reco_algo(m)) {
	case CRM_RECO_EASE:
		crm_jw_key(&w, "lambda");
		crm_jw_num(&w, "%g", p->lambda);
		break;
	case CRM_RECO_KNN:
		crm_jw_key(&w, "neighbours");
		crm_jw_int(&w, (long long)p->neighbours);
		break;
	case CRM_RECO_ALS:
		crm_jw_key(&w, "factors");
		crm_jw_int(&w, (long long)p->factors);
		crm_jw_key(&w, "iterations");
		crm_jw_int(&w, (long long)p->iterations);
		crm_jw_key(&w, "reg");
		crm_jw_num(&w, "%g", p->reg);
		crm_jw_key(&w, "alpha");
		crm_jw_num(&w, "%g", p->alpha);
		crm_jw_key(&w, "seed");
		crm_jw_int(&w, (long long)p->seed);
		break;
	}
	crm_jw_key(&w, "weighted");
	crm_jw_bool(&w, o->weight_field != NULL || o->typed_weights);
	crm_jw_key(&w, "id_field");
	crm_jw_str(&w, o->id_field);
	crm_jw_key(&w, "item_field");
	crm_jw_str(&w, o->item_field);
	crm_jw_key(&w, "by");
	crm_jw_str(&w, crm_by_name(r->by));
	crm_jw_end(&w);
	return crm_jw_done(&w);
}

/* What a model was fitted on, as JSON for the models table. */
static int
metrics_json(struct crm_reco_run *r, struct crm_buf *b)
{
	struct crm_jw w;

	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	crm_jw_key(&w, "interactions");
	crm_jw_int(&w, (long long)crm_reco_data_count(r->data));
	crm_jw_key(&w, "pairs");
	crm_jw_int(&w, (long long)crm_reco_pairs(r->m));
	crm_jw_key(&w, "customers");
	crm_jw_int(&w, (long long)crm_reco_customers(r->m));
	crm_jw_key(&w, "items");
	crm_jw_int(&w, (long long)crm_reco_items(r->m));
	crm_jw_end(&w);
	return crm_jw_done(&w);
}

/* The fit is over: the progress line can go. */
static void
fit_over(const struct crm_reco_run *r)
{
	crm_progress_tell(&r->o->rp.progress, NULL, NULL, 0, 0);
}

static int
fit_finish(struct crm_reco_run *r, struct crm_err *e)
{
	const struct crm_reco_run_opts *o = r->o;
	struct crm_buf params, metrics;
	const void *blob;
	size_t len;
	long version = 0;
	int rc = -1;

	r->m = crm_reco_fit(r->data, &o->rp, e);
	fit_over(r);
	if (r->m == NULL)
		return -1;
	note_fallback(r, r->m);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	if (params_json(r, r->m, &params) == -1 ||
	    metrics_json(r, &metrics) == -1 ||
	    crm_reco_save(r->m, &blob, &len) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (o->model_file != NULL) {
		/* per record, the bare blob older crmkit reads as well */
		if (crm_model_write_params(o->model_file,
			r->by == CRM_BY_PERSON ? params.p : NULL, blob, len,
			e) == -1)
			goto out;
	} else if (crm_model_put(r->st, o->model, "recommend", params.p,
		       metrics.p, blob, len, &r->in, &version, e) == -1)
		goto out;
	/* per person, the model's customers are persons */
	if (!o->quiet && version > 0)
		note(r,
		    "fitted %s on %zu interactions of %zu %s and %zu "
		    "items: model '%s' version %ld",
		    crm_reco_algo_name(crm_reco_algo(r->m)),
		    crm_reco_data_count(r->data), crm_reco_customers(r->m),
		    r->by == CRM_BY_PERSON ? "persons" : "customers",
		    crm_reco_items(r->m), o->model, version);
	else if (!o->quiet)
		note(r,
		    "fitted %s on %zu interactions of %zu %s and %zu "
		    "items: %s",
		    crm_reco_algo_name(crm_reco_algo(r->m)),
		    crm_reco_data_count(r->data), crm_reco_customers(r->m),
		    r->by == CRM_BY_PERSON ? "persons" : "customers",
		    crm_reco_items(r->m), o->model_file);
	rc = 0;
out:
	crm_buf_release(&params);
	crm_buf_release(&metrics);
	return rc;
}

/* Eval's figures as one JSON object into b. */
static int
eval_json(const struct crm_rankmetrics *k, const char *algo, struct crm_buf *b)
{
	struct crm_jw w;

	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	crm_jw_key(&w, "customers");
	crm_jw_int(&w, (long long)k->users);
	crm_jw_key(&w, "items");
	crm_jw_int(&w, (long long)k->nitems);
	crm_jw_key(&w, "k");
	crm_jw_int(&w, (long long)k->k);
	crm_jw_key(&w, "precision");
	crm_jw_num(&w, "%.4f", k->precision);
	crm_jw_key(&w, "recall");
	crm_jw_num(&w, "%.4f", k->recall);
	crm_jw_key(&w, "ndcg");
	crm_jw_num(&w, "%.4f", k->ndcg);
	crm_jw_key(&w, "hit_rate");
	crm_jw_num(&w, "%.4f", k->hit_rate);
	crm_jw_key(&w, "coverage");
	crm_jw_num(&w, "%.4f", k->coverage);
	crm_jw_key(&w, "algo");
	crm_jw_str(&w, algo);
	crm_jw_end(&w);
	return crm_jw_done(&w) == -1 || crm_buf_addc(b, '\n') == -1 ? -1 : 0;
}

/* Eval's figures as one record (no folds, no fold field), through f. */
static int
eval_record(const struct crm_rankmetrics *k, const char *algo,
    struct crm_filter *f, struct crm_err *e)
{
	struct crm_rec *rec;
	int bad, rc;

	if ((rec = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	bad = crm_rec_add_num(rec, "customers", "%.0f", (double)k->users) ==
		  -1 ||
	      crm_rec_add_num(rec, "items", "%.0f", (double)k->nitems) == -1 ||
	      crm_rec_add_num(rec, "k", "%.0f", (double)k->k) == -1 ||
	      crm_rec_add_num(rec, "precision", "%.4f", k->precision) == -1 ||
	      crm_rec_add_num(rec, "recall", "%.4f", k->recall) == -1 ||
	      crm_rec_add_num(rec, "ndcg", "%.4f", k->ndcg) == -1 ||
	      crm_rec_add_num(rec, "hit_rate", "%.4f", k->hit_rate) == -1 ||
	      crm_rec_add_num(rec, "coverage", "%.4f", k->coverage) == -1 ||
	      crm_rec_add(rec, "algo", 4, algo, strlen(algo), CRM_STRING) == -1;
	rc = bad ? crm_err_set(e, EX_SOFTWARE, "out of memory")
		 : crm_filter_emit(f, rec, e);
	crm_rec_free(rec);
	return rc;
}

static int
eval_finish(struct crm_reco_run *r, struct crm_filter *f, struct crm_err *e)
{
	const struct crm_reco_run_opts *o = r->o;
	struct crm_rankmetrics k;
	struct crm_reco *m;
	const char *algo;
	int rc;

	rc = crm_reco_eval(r->data, o->frac, o->top, &o->rp, &k, &m, e);
	fit_over(r);
	if (rc == -1)
		return -1;
	note_fallback(r, m);
	algo = crm_reco_algo_name(crm_reco_algo(m));
	if (o->records && f != NULL)
		rc = eval_record(&k, algo, f, e);
	else if (o->json)
		rc = eval_json(&k, algo, &r->text) == -1
			 ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			 : 0;
	else if (crm_buf_addf(&r->text,
		     "customers=%zu items=%zu k=%zu precision=%.4f "
		     "recall=%.4f ndcg=%.4f hit_rate=%.4f coverage=%.4f "
		     "algo=%s\n",
		     k.users, k.nitems, k.k, k.precision, k.recall, k.ndcg,
		     k.hit_rate, k.coverage, algo) == -1)
		rc = crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_rank_release(&k);
	crm_reco_free(m);
	return rc;
}

void
crm_reco_run_summary(struct crm_reco_run *r, struct crm_filter *f)
{
	if (r->summarized || f == NULL)
		return;
	r->summarized = 1;
	if (r->o->verb == CRM_RECO_RECOMMEND) {
		crm_cli_count("popular", r->popular);
		crm_cli_summary(f);
	} else if (!r->o->from_store) {
		crm_cli_count("without an item", r->noitem);
		crm_cli_summary(f);
	} else {
		/* the events were read from the store, not by the loop */
		crm_filter_add_read(f, r->events);
		crm_cli_unused(r->other);
		if (r->o->types != NULL)
			crm_cli_count("other types", r->other);
		crm_cli_summary(f);
	}
}

int
crm_reco_run_finish(
    struct crm_reco_run *r, struct crm_filter *f, struct crm_err *e)
{
	const char *why;

	if (r->o->verb == CRM_RECO_RECOMMEND)
		return 0;
	if (f != NULL) {
		crm_reco_run_summary(r, f);
		if ((why = crm_filter_partial(f)) != NULL) {
			note(r, "no %s: %s",
			    r->o->verb == CRM_RECO_FIT ? "model saved"
						       : "figures",
			    why);
			return 0;
		}
	}
	return r->o->verb == CRM_RECO_FIT ? fit_finish(r, e)
					  : eval_finish(r, f, e);
}

static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	return crm_reco_run_finish(arg, f, e);
}

static const struct crm_filter_ops reco_ops = { NULL, out_header, reco_record,
	idle, NULL, needs };
static const struct crm_filter_ops add_ops = { NULL, NULL, add_record, NULL,
	finish, needs };

const struct crm_filter_ops *
crm_reco_run_ops(const struct crm_reco_run *r)
{
	return r->o->verb == CRM_RECO_RECOMMEND ? &reco_ops : &add_ops;
}

const char *
crm_reco_run_text(const struct crm_reco_run *r, size_t *len)
{
	*len = r->text.len;
	return r->text.len > 0 ? r->text.p : "";
}

unsigned long long
crm_reco_run_popular(const struct crm_reco_run *r)
{
	return r->popular;
}

unsigned long long
crm_reco_run_noitem(const struct crm_reco_run *r)
{
	return r->noitem;
}

int
crm_reco_run_close(struct crm_reco_run *r, struct crm_err *e)
{
	struct crm_audit *a = r->audit;

	r->audit = NULL;
	return crm_audit_close(a, e);
}

void
crm_reco_run_free(struct crm_reco_run *r)
{
	if (r == NULL)
		return;
	crm_audit_close(r->audit, &(struct crm_err){ 0 });
	for (size_t i = 0; r->amm != NULL && i < crm_armmodel_count(r->am); i++)
		crm_reco_free(r->amm[i]);
	free(r->amm);
	crm_armmodel_free(r->am);
	free(r->dflt_label);
	crm_reco_free(r->m);
	crm_reco_data_free(r->data);
	crm_model_input_release(&r->in);
	crm_person_of_close(r->person);
	free(r->hits);
	crm_buf_release(&r->json);
	crm_buf_release(&r->why);
	crm_buf_release(&r->text);
	free(r);
}
