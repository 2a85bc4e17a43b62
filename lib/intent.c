/*
 * intent: the pipeline behind crm-intent (see intent.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "audit.h"
#include "buf.h"
#include "filter.h"
#include "clock.h"
#include "entity.h"
#include "intent.h"
#include "jw.h"
#include "load.h"
#include "mask.h"
#include "metrics.h"
#include "model.h"
#include "norm.h"
#include "rec.h"
#include "schema.h"
#include "store.h"
#include "textclf.h"

/* The field of a kept message's channel, when the input has it. */
#define KEEP_CHANNEL "channel"

/* Human labels by text, sorted for lookup while training. */
struct label {
	char *text, *label;
	size_t tlen, llen;
	int used;
};

struct crm_intent {
	struct crm_intent_opts o; /* label_field and field filled in */
	struct crm_store *st;	  /* borrowed */
	struct crm_textclf *m;	  /* with arms: the record's model */
	/* models as arms: each slot's model, the default, the record's */
	struct crm_armmodel *am;
	struct crm_textclf **amm, *dflt;
	char *dflt_label;
	const char *arm, *mlabel;
	long version; /* of the model in the store; 0 for built-in or file */
	struct crm_model_input in; /* train: what it learned from */
	struct crm_buf label1;	   /* train: the first example's label */
	size_t examples;	   /* train: how many */
	int labels2;		   /* train: another label was seen */
	struct crm_audit *audit;
	struct crm_textclf_set *set;
	struct label *labels;
	size_t nlabels, labcap;
	struct crm_confusion conf;
	struct crm_confusion *armconf; /* eval with arms: per arm, in
					  crm_armmodel_arm's order */
	size_t narms;
	char **evnames; /* eval: model classes, out_of_scope, unknown labels */
	size_t *evlen;
	size_t nev;
	double *prob;
	struct crm_reason *reasons;
	struct crm_buf buf, json, why; /* scratch, top, explain */
	unsigned long empty; /* train: texts without words, left out */
	struct crm_intent_trained trained;
	/* keep_text: the message as an event, written through lib/load */
	struct crm_schema *evschema;
	struct crm_loader *loader;
	struct crm_mask *mask; /* the text's policy, or NULL */
	struct crm_rec *ev;    /* the record's event (ev_ready) */
	int ev_ready;	       /* ev holds the record's event */
	unsigned long long kept, no_customer;
	struct crm_entity *ent; /* entities: the recognizers */
	struct crm_buf ents;	/* entities: the record's, as JSON */
};

void
crm_intent_opts_init(struct crm_intent_opts *o)
{
	static const struct crm_textclf_params tp = CRM_TEXTCLF_PARAMS_DEFAULT;

	memset(o, 0, sizeof(*o));
	o->verb = CRM_INTENT_PREDICT;
	o->tool = "crm-intent";
	o->model = "intent";
	o->text_field = "text";
	o->id_field = "id";
	o->customer_field = "customer_id";
	o->time_field = "time";
	o->source = "human";
	o->max_text = 100000;
	o->min_conf = -1;
	o->tp = tp;
}

/* ==== Fields ==== */

/*
 * The string value of field name in r.  Returns 0, or -1 with e filled
 * (EX_DATAERR) when it is missing, not text, empty or too long.
 */
static int
get_text(const struct crm_intent *it, const struct crm_rec *r, const char *name,
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
	if (*len > (size_t)it->o.max_text)
		return crm_err_set(e, EX_DATAERR,
		    "%s is %zu bytes, more than --max-text %ld", name, *len,
		    it->o.max_text);
	return 0;
}

/* The customer a message is about (--customer-field), or NULL. */
static const char *
subject_of(const struct crm_intent *it, const struct crm_rec *r, size_t *len)
{
	long ci =
	    crm_rec_find(r, it->o.customer_field, strlen(it->o.customer_field));

	*len = 0;
	if (ci < 0 || crm_rec_type(r, (size_t)ci) == CRM_NULL)
		return NULL;
	return crm_rec_value(r, (size_t)ci, len);
}

/* The record key for the store, or NULL when the record has none. */
static const char *
get_key(const struct crm_intent *it, const struct crm_rec *r, size_t *len)
{
	long i = crm_rec_find(r, it->o.id_field, strlen(it->o.id_field));

	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return NULL;
	return crm_rec_value(r, (size_t)i, len);
}

/* Set the field named by the output field and suffix. */
static int
put_suffixed(struct crm_intent *it, struct crm_rec *r, const char *suffix,
    const char *val, size_t len, enum crm_type type)
{
	crm_buf_reset(&it->buf);
	if (crm_buf_addf(&it->buf, "%s%s", it->o.field, suffix) == -1)
		return -1;
	return crm_rec_put(r, it->buf.p, val, len, type);
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

int
crm_intent_header(struct crm_intent *it, struct crm_rec *hdr, struct crm_err *e)
{
	if (crm_rec_put(hdr, it->o.field, "", 0, CRM_STRING) == -1 ||
	    put_suffixed(it, hdr, "_score", "", 0, CRM_STRING) == -1 ||
	    (it->o.top > 0 &&
		put_suffixed(it, hdr, "_top", "", 0, CRM_STRING) == -1) ||
	    (it->o.explain > 0 &&
		put_suffixed(it, hdr, "_reasons", "", 0, CRM_STRING) == -1) ||
	    (it->am != NULL &&
		(crm_rec_put(hdr, "arm", "", 0, CRM_STRING) == -1 ||
		    put_suffixed(it, hdr, "_model", "", 0, CRM_STRING) == -1)))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (it->ent != NULL &&
	    crm_rec_put(hdr, "entities", "", 0, CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The top K labels as JSON, best first, into it->json. */
static int
top_json(struct crm_intent *it)
{
	size_t k = crm_textclf_classes(it->m), n, i, j, best, len;
	char *taken;
	const char *name;
	struct crm_jw w;

	if ((taken = calloc(k, 1)) == NULL)
		return -1;
	n = (size_t)it->o.top < k ? (size_t)it->o.top : k;
	crm_buf_reset(&it->json);
	crm_jw_init(&w, &it->json);
	crm_jw_arr(&w);
	for (i = 0; i < n; i++) {
		for (j = 0, best = k; j < k; j++)
			if (!taken[j] &&
			    (best == k || it->prob[j] > it->prob[best]))
				best = j;
		taken[best] = 1;
		name = crm_textclf_class(it->m, best, &len);
		crm_jw_obj(&w);
		crm_jw_key(&w, "label");
		crm_jw_strn(&w, name, len);
		crm_jw_key(&w, "score");
		crm_jw_num(&w, "%.4f", it->prob[best]);
		crm_jw_end(&w);
	}
	free(taken);
	crm_jw_end(&w);
	return crm_jw_done(&w);
}

/* The reasons of class k for text as JSON into it->why. */
static int
reasons_json(struct crm_intent *it, const char *text, size_t len, size_t k,
    struct crm_err *e)
{
	const char *why;
	long n, i;
	struct crm_jw w;

	n = crm_textclf_explain(
	    it->m, text, len, k, it->reasons, (size_t)it->o.explain, &why);
	if (n == -1)
		return text_error(why, it->o.text_field, e);
	crm_buf_reset(&it->why);
	crm_jw_init(&w, &it->why);
	crm_jw_arr(&w);
	for (i = 0; i < n; i++) {
		crm_jw_obj(&w);
		crm_jw_key(&w, "feature");
		crm_jw_str(&w, it->reasons[i].name);
		crm_jw_key(&w, "contribution");
		crm_jw_num(&w, "%.4f", it->reasons[i].weight);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

long
crm_intent_classify(struct crm_intent *it, const char *text, size_t len,
    const char **label, size_t *llen, double *score, struct crm_err *e)
{
	const char *why;
	long best;

	if (it->m == NULL)
		return crm_err_set(e, EX_SOFTWARE, "no model to classify with");
	if ((best = crm_textclf_predict(it->m, text, len, it->prob, &why)) ==
	    -1)
		return text_error(why, it->o.text_field, e);
	if (it->prob[best] < crm_intent_min_conf(it)) {
		*label = CRM_INTENT_OUT_OF_SCOPE;
		*llen = strlen(CRM_INTENT_OUT_OF_SCOPE);
	} else
		*label = crm_textclf_class(it->m, (size_t)best, llen);
	if (score != NULL)
		*score = it->prob[best];
	return best;
}

double
crm_intent_min_conf(const struct crm_intent *it)
{
	if (it->m == NULL)
		return -1;
	return it->o.min_conf_auto ? crm_textclf_min_conf(it->m)
				   : it->o.min_conf;
}

/* With --min-confidence auto, model m (named name) must have its own. */
static int
check_auto(const struct crm_intent *it, const struct crm_textclf *m,
    const char *name, struct crm_err *e)
{
	if (!it->o.min_conf_auto || crm_textclf_min_conf(m) >= 0)
		return 0;
	return crm_err_set(e, EX_USAGE,
	    "--min-confidence auto: %s has no out-of-scope threshold (saved "
	    "by an older crm-intent, or trained on too few texts for held-out "
	    "folds): train it again, or give a number",
	    name);
}

/* Add field name to the event, with r's value of field from if any. */
static int
ev_copy(struct crm_intent *it, const char *name, const struct crm_rec *r,
    const char *from)
{
	long i = crm_rec_find(r, from, strlen(from));
	const char *v;
	size_t len;

	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return 0;
	v = crm_rec_value(r, (size_t)i, &len);
	return crm_rec_add(
	    it->ev, name, strlen(name), v, len, crm_rec_type(r, (size_t)i));
}

/* An event field's error as about the input's field it came from. */
static void
ev_field(const struct crm_intent *it, struct crm_err *e)
{
	const char *const map[][2] = { { "event_id", it->o.id_field },
		{ "customer_id", it->o.customer_field },
		{ "time", it->o.time_field }, { "text", it->o.text_field } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(e->field, map[i][0]) == 0) {
			crm_err_field(e, map[i][1], strlen(map[i][1]));
			return;
		}
}

/*
 * keep_text: make r's message (text[0..len), in r) the event it->ev,
 * normalized as crm-ingest --kind events would, before r changes.  No
 * event when the record names no customer.  0, or -1 with e filled
 * (EX_DATAERR: the record is rejected, its time or the policy's rule
 * for the text does not fit).
 */
static int
make_event(struct crm_intent *it, const struct crm_rec *r, const char *text,
    size_t len, struct crm_err *e)
{
	const char *tf = it->o.text_field, *v = text;
	size_t vlen = len, slen;
	char now[21];

	it->ev_ready = 0;
	crm_rec_clear(it->ev);
	if (subject_of(it, r, &slen) == NULL || slen == 0) {
		it->no_customer++;
		return 0;
	}
	if (it->mask != NULL && crm_mask_field(it->mask, tf, strlen(tf), text,
				    len, &v, &vlen, e) == -1)
		return -1;
	if (ev_copy(it, "event_id", r, it->o.id_field) == -1 ||
	    ev_copy(it, "customer_id", r, it->o.customer_field) == -1 ||
	    crm_rec_add(it->ev, "type", 4, "message", 7, CRM_STRING) == -1 ||
	    ev_copy(it, "channel", r, KEEP_CHANNEL) == -1 ||
	    (v != NULL &&
		crm_rec_add(it->ev, "text", 4, v, vlen, CRM_STRING) == -1) ||
	    ev_copy(it, "time", r, it->o.time_field) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (crm_rec_find(it->ev, "time", 4) < 0) {
		crm_clock_iso(now);
		if (crm_rec_add(
			it->ev, "time", 4, now, strlen(now), CRM_STRING) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (crm_schema_apply(it->evschema, it->ev, e) == -1) {
		ev_field(it, e);
		return -1;
	}
	it->ev_ready = 1;
	return 0;
}

/* keep_text: store the event in the decision's transaction. */
static int
put_event(struct crm_intent *it, struct crm_err *e)
{
	enum crm_load_result res;

	if (!it->ev_ready)
		return 0;
	if (crm_audit_begin(it->audit, e) == -1 ||
	    crm_loader_put(it->loader, it->ev, &res, e) == -1)
		return -1;
	it->kept++;
	return 0;
}

/*
 * With arms: the model of r's customer's arm into it->m (it->arm,
 * it->mlabel, the audit log's model).  0, -1 with e filled (no
 * customer), or CRM_FILTER_FATAL (libcrypto failed).
 */
static int
pick_model(struct crm_intent *it, const struct crm_rec *r, struct crm_err *e)
{
	const struct crm_armmodel_slot *sl;
	const char *sub;
	size_t slen;
	long i;

	if (it->am == NULL)
		return 0;
	if ((sub = subject_of(it, r, &slen)) == NULL || slen == 0) {
		crm_err_field(
		    e, it->o.customer_field, strlen(it->o.customer_field));
		return crm_err_set(
		    e, EX_DATAERR, "no customer to pick the arm's model");
	}
	if ((i = crm_armmodel_pick(it->am, sub, slen, &it->arm, e)) == -2)
		return CRM_FILTER_FATAL;
	if (i >= 0) {
		sl = crm_armmodel_slot(it->am, (size_t)i);
		it->m = it->amm[i];
		it->mlabel = sl->label;
		if (it->audit != NULL)
			crm_audit_set_model(it->audit,
			    sl->file != NULL ? sl->file : it->o.model,
			    sl->version);
	} else {
		it->m = it->dflt;
		it->mlabel = it->dflt_label;
		if (it->audit != NULL)
			crm_audit_set_model(it->audit,
			    it->o.model_file != NULL ? it->o.model_file
						     : it->o.model,
			    it->version);
	}
	return 0;
}

/*
 * Entities: those of text (in r) into it->ents, the relative dates
 * counted from the day of r's time field, else of the run's time.  0,
 * or -1 with e filled (EX_DATAERR: a time that is none).
 */
static int
find_entities(struct crm_intent *it, const struct crm_rec *r, const char *text,
    size_t len, struct crm_err *e)
{
	const char *tf = it->o.time_field, *t;
	long i = crm_rec_find(r, tf, strlen(tf));
	size_t tlen, n;

	if (i >= 0 && crm_rec_type(r, (size_t)i) != CRM_NULL) {
		t = crm_rec_value(r, (size_t)i, &tlen);
		if (crm_entity_day(it->ent, t, tlen, e) == -1) {
			crm_err_field(e, tf, strlen(tf));
			return -1;
		}
	} else {
		crm_entity_day_clock(it->ent);
	}
	if (crm_entity_find(it->ent, text, len, &it->ents, NULL, &n, e) == -1) {
		crm_err_field(e, it->o.text_field, strlen(it->o.text_field));
		return -1;
	}
	return 0;
}

static int
predict_record(struct crm_intent *it, struct crm_rec *r, struct crm_err *e)
{
	const char *text, *label, *key;
	size_t len, llen, klen = 0;
	char score[32];
	long best;
	int n;

	if (get_text(it, r, it->o.text_field, &text, &len, e) == -1)
		return -1;
	if ((n = pick_model(it, r, e)) != 0)
		return n;
	if ((best = crm_intent_classify(
		 it, text, len, &label, &llen, NULL, e)) == -1)
		return -1;
	/* text points into r: use it before r changes */
	if (it->loader != NULL && make_event(it, r, text, len, e) == -1)
		return -1;
	if (it->ent != NULL && find_entities(it, r, text, len, e) == -1)
		return -1;
	if (it->o.explain > 0 &&
	    reasons_json(it, text, len, (size_t)best, e) == -1)
		return -1;
	if (it->o.top > 0 && top_json(it) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	n = snprintf(score, sizeof(score), "%.4f", it->prob[best]);
	if (crm_rec_put(r, it->o.field, label, llen, CRM_STRING) == -1 ||
	    put_suffixed(it, r, "_score", score, (size_t)n, CRM_NUMBER) == -1 ||
	    (it->o.top > 0 && put_suffixed(it, r, "_top", it->json.p,
				  it->json.len, CRM_JSON) == -1) ||
	    (it->o.explain > 0 && put_suffixed(it, r, "_reasons", it->why.p,
				      it->why.len, CRM_JSON) == -1) ||
	    (it->am != NULL && (crm_rec_put(r, "arm", it->arm, strlen(it->arm),
				    CRM_STRING) == -1 ||
				   put_suffixed(it, r, "_model", it->mlabel,
				       strlen(it->mlabel), CRM_STRING) == -1)))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (it->ent != NULL && crm_rec_put(r, "entities", it->ents.p,
				   it->ents.len, CRM_JSON) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (it->audit != NULL) {
		size_t slen = 0;
		const char *sub = subject_of(it, r, &slen);

		key = get_key(it, r, &klen);
		crm_err_field(e, "", 0);
		if (put_event(it, e) == -1)
			return CRM_FILTER_FATAL;
		if (crm_audit_add(it->audit, key, klen, sub, slen, label, llen,
			it->prob[best], it->o.explain ? it->why.p : NULL,
			it->why.len, e) == -1)
			return CRM_FILTER_FATAL;
	}
	return 0;
}

void
crm_intent_idle(void *arg)
{
	crm_audit_idle(((struct crm_intent *)arg)->audit);
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
	struct crm_intent *it = arg;
	struct label *l;

	if (it->nlabels == it->labcap) {
		size_t c = it->labcap ? 2 * it->labcap : 64;

		if ((l = crm_reallocarray(it->labels, c, sizeof(*l))) == NULL)
			return -1;
		it->labels = l;
		it->labcap = c;
	}
	l = &it->labels[it->nlabels];
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
	it->nlabels++;
	return 0;
}

/* Load the human labels of the model's task, the newest for each text. */
static int
load_labels(struct crm_intent *it, struct crm_err *e)
{
	size_t i, j;

	if (crm_labels_each(it->st, it->o.model, keep_label, it, e) == -1) {
		if (e->code == 0)
			crm_err_set(e, EX_SOFTWARE, "out of memory");
		return -1;
	}
	if (it->nlabels == 0)
		return 0;
	/* the newest label of a text wins: sort by text, keep the last id */
	for (i = 0; i < it->nlabels; i++)
		it->labels[i].used = (int)i;
	qsort(it->labels, it->nlabels, sizeof(*it->labels), label_cmp);
	for (i = j = 0; i < it->nlabels; i++) {
		if (j > 0 &&
		    label_cmp(&it->labels[j - 1], &it->labels[i]) == 0) {
			struct label *keep = &it->labels[j - 1];

			if (it->labels[i].used > keep->used) {
				free(keep->text);
				free(keep->label);
				*keep = it->labels[i];
			} else {
				free(it->labels[i].text);
				free(it->labels[i].label);
			}
			continue;
		}
		it->labels[j++] = it->labels[i];
	}
	it->nlabels = j;
	for (i = 0; i < it->nlabels; i++)
		it->labels[i].used = 0;
	return 0;
}

static struct label *
find_label(struct crm_intent *it, const char *text, size_t len)
{
	struct label key;

	if (it->nlabels == 0)
		return NULL;
	key.text = (char *)(uintptr_t)text;
	key.tlen = len;
	return bsearch(&key, it->labels, it->nlabels, sizeof(key), label_cmp);
}

static int
add_example(struct crm_intent *it, const char *text, size_t len,
    const char *label, size_t llen, struct crm_err *e)
{
	const char *why;
	int rc;

	if (llen == strlen(CRM_INTENT_OUT_OF_SCOPE) &&
	    memcmp(label, CRM_INTENT_OUT_OF_SCOPE, llen) == 0)
		rc = crm_textclf_set_add_background(it->set, text, len, &why);
	else
		rc = crm_textclf_set_add(it->set, text, len, label, llen, &why);
	if (rc == -1)
		return text_error(why, it->o.text_field, e);
	it->empty += rc == 0;
	if (it->examples++ == 0) {
		if (crm_buf_add(&it->label1, label, llen) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	} else if (llen != it->label1.len ||
		   memcmp(label, it->label1.p, llen) != 0) {
		it->labels2 = 1;
	}
	return 0;
}

static int
train_record(struct crm_intent *it, struct crm_rec *r, struct crm_err *e)
{
	const char *text, *label;
	size_t len, llen;
	struct label *l;

	if (get_text(it, r, it->o.text_field, &text, &len, e) == -1 ||
	    get_text(it, r, it->o.label_field, &label, &llen, e) == -1)
		return -1;
	if ((l = find_label(it, text, len)) != NULL) {
		l->used = 1;
		label = l->label;
		llen = l->llen;
	}
	if (add_example(it, text, len, label, llen, e) == -1)
		return -1;
	crm_model_input_add(&it->in, r);
	return 0;
}

/* The out-of-scope threshold's figures into the training figures v. */
static void
oos_json(const struct crm_intent *it, struct crm_jw *v)
{
	const struct crm_textclf_oos *t = crm_textclf_oos(it->m);

	if (t->threshold < 0)
		return;
	crm_jw_key(v, "min_confidence");
	crm_jw_num(v, "%.4f", t->threshold);
	crm_jw_key(v, "oos_loss");
	crm_jw_num(v, "%g", it->o.tp.oos_loss);
	crm_jw_key(v, "cv_accuracy_at_min_confidence");
	crm_jw_num(v, "%.4f", t->acc_at);
	if (t->bg > 0) {
		crm_jw_key(v, "out_of_scope_texts");
		crm_jw_int(v, (long long)t->bg);
		crm_jw_key(v, "out_of_scope_caught");
		crm_jw_int(v, (long long)t->caught);
	}
}

/* The model's parameters and training figures as JSON; 0 or -1. */
static int
train_json(struct crm_intent *it, double secs, struct crm_buf *params,
    struct crm_buf *metrics)
{
	const struct crm_textclf_params *p = &it->o.tp;
	double cv = crm_textclf_cv_accuracy(it->m);
	const double *cal = crm_textclf_calibration(it->m);
	struct crm_jw w, v;
	int i;

	crm_jw_init(&w, params);
	crm_jw_obj(&w);
	crm_jw_key(&w, "bits");
	crm_jw_int(&w, p->text.bits);
	crm_jw_key(&w, "minn");
	crm_jw_int(&w, p->text.minn);
	crm_jw_key(&w, "maxn");
	crm_jw_int(&w, p->text.maxn);
	crm_jw_key(&w, "cjk_n");
	crm_jw_int(&w, p->text.cjk_n);
	crm_jw_key(&w, "word_n");
	crm_jw_int(&w, p->text.word_n);
	crm_jw_key(&w, "cjk_edges");
	crm_jw_bool(&w, p->text.cjk_edges);
	crm_jw_key(&w, "cost");
	crm_jw_num(&w, "%g", p->c);
	crm_jw_key(&w, "min_df");
	crm_jw_int(&w, p->min_df);
	crm_jw_key(&w, "unknown_share");
	crm_jw_num(&w, "%g", p->unknown_share);
	crm_jw_key(&w, "seed");
	crm_jw_int(&w, (long long)p->seed);
	crm_jw_key(&w, "text_field");
	crm_jw_str(&w, it->o.text_field);
	crm_jw_key(&w, "label_field");
	crm_jw_str(&w, it->o.label_field);
	crm_jw_key(&w, "with_labels");
	crm_jw_bool(&w, it->o.with_labels);
	crm_jw_end(&w);

	crm_jw_init(&v, metrics);
	crm_jw_obj(&v);
	crm_jw_key(&v, "texts");
	crm_jw_int(&v, (long long)crm_textclf_set_size(it->set));
	crm_jw_key(&v, "classes");
	crm_jw_int(&v, (long long)crm_textclf_classes(it->m));
	crm_jw_key(&v, "features");
	crm_jw_int(&v, (long long)crm_textclf_features(it->m));
	crm_jw_key(&v, "score_curve");
	crm_jw_arr(&v);
	for (i = 0; i < CRM_TEXTCLF_NCAL; i++)
		crm_jw_num(&v, "%.6g", cal[i]);
	crm_jw_end(&v);
	crm_jw_key(&v, "train_seconds");
	crm_jw_num(&v, "%.3f", secs);
	if (cv >= 0) {
		crm_jw_key(&v, "cv_accuracy");
		crm_jw_num(&v, "%.4f", cv);
	}
	oos_json(it, &v);
	crm_jw_end(&v);
	return crm_jw_done(&w) == -1 || crm_jw_done(&v) == -1 ? -1 : 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Tell the caller a human label was left out. */
static void
warn(struct crm_intent *it, size_t i, const struct crm_err *e)
{
	char msg[1280];

	if (it->o.warn == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s: label %zu of '%s' skipped: %s",
	    it->st ? crm_store_path(it->st) : "", i + 1, it->o.model, e->msg);
	it->o.warn(it->o.warn_arg, msg);
}

/* After the input: add unused human labels, train, keep the model. */
static int
train_finish(struct crm_intent *it, struct crm_err *e)
{
	struct crm_intent_trained *t = &it->trained;
	struct crm_buf blob, params, metrics;
	double t0 = now_s();
	size_t i, added = 0;
	long version = 0;
	int rc = -1;

	for (i = 0; i < it->nlabels; i++) {
		struct label *l = &it->labels[i];

		if (l->used)
			continue;
		if (add_example(it, l->text, l->tlen, l->label, l->llen, e) ==
		    -1) {
			if (e->code != EX_DATAERR)
				return -1;
			warn(it, i, e);
			crm_err_clear(e);
			continue;
		}
		added++;
	}
	/* nothing to learn from: nothing done, the store as it was */
	if (it->examples == 0)
		return crm_err_set(
		    e, EX_NOINPUT, "no model saved: no texts to learn from");
	if (!it->labels2)
		return crm_err_set(e, EX_NOINPUT,
		    "no model saved: the label has one value only ('%.*s' for "
		    "all %zu texts)",
		    (int)(it->label1.len > 40 ? 40 : it->label1.len),
		    it->label1.p, it->examples);
	if ((it->m = crm_textclf_train(it->set, &it->o.tp, e)) == NULL)
		return -1;
	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	/* with --as-of, no duration: a replayed day writes the same model */
	if (train_json(it, crm_clock_fixed() ? 0 : now_s() - t0, &params,
		&metrics) == -1 ||
	    crm_textclf_save(it->m, &blob) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (it->o.model_file != NULL) {
		if (crm_model_write_file(
			it->o.model_file, blob.p, blob.len, e) == -1)
			goto out;
	} else if (it->st == NULL) {
		crm_err_set(e, EX_USAGE,
		    "no store and no model file to keep "
		    "the model");
		goto out;
	} else if (crm_model_put(it->st, it->o.model, "text", params.p,
		       metrics.p, blob.p, blob.len, &it->in, &version, e) == -1)
		goto out;
	t->version = version;
	t->texts = crm_textclf_set_size(it->set);
	t->from_labels = added;
	t->empty = it->empty;
	t->classes = crm_textclf_classes(it->m);
	t->features = crm_textclf_features(it->m);
	t->cv_accuracy = crm_textclf_cv_accuracy(it->m);
	t->oos = *crm_textclf_oos(it->m);
	rc = 0;
out:
	crm_buf_release(&blob);
	crm_buf_release(&params);
	crm_buf_release(&metrics);
	return rc;
}

int
crm_intent_needs(const struct crm_intent *it, struct crm_filter *f)
{
	if (crm_filter_need(
		f, it->o.text_field, "--text-field", CRM_NEED_EVERY) == -1)
		return -1;
	if (it->o.verb != CRM_INTENT_PREDICT &&
	    crm_filter_need(
		f, it->o.label_field, "--label-field", CRM_NEED_EVERY) == -1)
		return -1;
	/* a record may lack its key; a key named on the command line that
	   no input has is a typo */
	if (strcmp(it->o.id_field, "id") != 0 &&
	    crm_filter_need(f, it->o.id_field, "--id-field", 0) == -1)
		return -1;
	if (strcmp(it->o.customer_field, "customer_id") != 0 &&
	    crm_filter_need(f, it->o.customer_field, "--customer-field", 0) ==
		-1)
		return -1;
	if ((it->o.keep_text || it->o.entities != NULL) &&
	    strcmp(it->o.time_field, "time") != 0 &&
	    crm_filter_need(f, it->o.time_field, "--time-field", 0) == -1)
		return -1;
	return 0;
}

void
crm_intent_trained(const struct crm_intent *it, struct crm_intent_trained *t)
{
	*t = it->trained;
}

size_t
crm_intent_trained_lines(const struct crm_intent *it, char lines[3][256])
{
	const struct crm_intent_trained *t = &it->trained;
	char where[64] = "", caught[96] = "";
	size_t n = 0;

	if (t->version > 0)
		snprintf(where, sizeof(where), " version %ld", t->version);
	snprintf(lines[n++], 256,
	    "trained %s%s on %zu texts (%zu from human labels, %lu without "
	    "words left out), %zu classes, %zu features",
	    it->o.model, where, t->texts, t->from_labels, t->empty, t->classes,
	    t->features);
	if (t->cv_accuracy >= 0)
		snprintf(lines[n++], 256, "accuracy on held-out folds %.4f",
		    t->cv_accuracy);
	if (t->oos.threshold >= 0) {
		if (t->oos.bg > 0)
			snprintf(caught, sizeof(caught),
			    ", %zu of %zu out_of_scope texts caught",
			    t->oos.caught, t->oos.bg);
		snprintf(lines[n++], 256,
		    "--min-confidence auto: %.4f (held-out in-scope accuracy "
		    "%.4f at it%s)",
		    t->oos.threshold, t->oos.acc_at, caught);
	}
	return n;
}

/* ==== Eval ==== */

/* The index of label in the eval class list, added when new. */
static long
eval_class(struct crm_intent *it, const char *label, size_t len)
{
	size_t i;
	char **n;
	size_t *l;

	for (i = 0; i < it->nev; i++)
		if (it->evlen[i] == len &&
		    memcmp(it->evnames[i], label, len) == 0)
			return (long)i;
	if ((n = crm_reallocarray(it->evnames, it->nev + 1, sizeof(*n))) ==
	    NULL)
		return -1;
	it->evnames = n;
	if ((l = crm_reallocarray(it->evlen, it->nev + 1, sizeof(*l))) == NULL)
		return -1;
	it->evlen = l;
	if ((n[it->nev] = malloc(len + 1)) == NULL)
		return -1;
	memcpy(n[it->nev], label, len);
	n[it->nev][len] = '\0';
	l[it->nev] = len;
	if (crm_confusion_grow(&it->conf, it->nev + 1) == -1) {
		free(n[it->nev]);
		return -1;
	}
	for (i = 0; i < it->narms; i++)
		if (crm_confusion_grow(&it->armconf[i], it->nev + 1) == -1) {
			free(n[it->nev]);
			return -1;
		}
	return (long)it->nev++;
}

static int
eval_record(struct crm_intent *it, struct crm_rec *r, struct crm_err *e)
{
	const char *text, *truth, *label;
	size_t len, tlen, llen;
	long t, p;
	int rc;

	if (get_text(it, r, it->o.text_field, &text, &len, e) == -1 ||
	    get_text(it, r, it->o.label_field, &truth, &tlen, e) == -1)
		return -1;
	if ((rc = pick_model(it, r, e)) != 0)
		return rc;
	if (crm_intent_classify(it, text, len, &label, &llen, NULL, e) == -1)
		return -1;
	if ((t = eval_class(it, truth, tlen)) == -1 ||
	    (p = eval_class(it, label, llen)) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_confusion_add(&it->conf, (size_t)t, (size_t)p);
	if (it->am != NULL)
		crm_confusion_add(
		    &it->armconf[crm_armmodel_arm_index(it->am, it->arm)],
		    (size_t)t, (size_t)p);
	return 0;
}

/*
 * Eval with arms: the figures of arm k (m->n 0: no records), as eval of
 * its model alone on its records gives them, and the model's label.
 * Its classes are its model's and the labels its records had or were
 * given.
 */
static const char *
arm_metrics(const struct crm_intent *it, size_t k, struct crm_intent_metrics *m)
{
	const struct crm_confusion *c = &it->armconf[k];
	long s = crm_armmodel_arm_slot(it->am, k);
	const struct crm_textclf *model = s < 0 ? it->dflt : it->amm[s];
	unsigned long sup, pred;
	size_t i, j, n, len;
	const char *name;
	double p, r, f;
	int in;

	m->n = c->n;
	m->accuracy = crm_accuracy(c);
	m->macro_f1 = crm_macro_f1(c);
	m->classes = 0;
	for (i = 0; i < c->k; i++) {
		crm_class_prf(c, i, &p, &r, &f, &sup);
		for (j = 0, pred = 0; j < c->k; j++)
			pred += c->m[j * c->cap + i];
		in = sup > 0 || pred > 0;
		n = crm_textclf_classes(model);
		for (j = 0; !in && j < n; j++) {
			name = crm_textclf_class(model, j, &len);
			in = len == it->evlen[i] &&
			     memcmp(name, it->evnames[i], len) == 0;
		}
		m->classes += in;
	}
	return s < 0 ? it->dflt_label
		     : crm_armmodel_slot(it->am, (size_t)s)->label;
}

void
crm_intent_metrics(const struct crm_intent *it, struct crm_intent_metrics *m)
{
	memset(m, 0, sizeof(*m));
	if (it->o.verb != CRM_INTENT_EVAL)
		return;
	m->n = it->conf.n;
	m->accuracy = crm_accuracy(&it->conf);
	m->macro_f1 = crm_macro_f1(&it->conf);
	m->classes = it->conf.k;
}

static int
add_kv(struct crm_buf *b, const char *key, const char *s, size_t len)
{
	return crm_buf_addf(b, " %s=", key) | crm_buf_add(b, s, len);
}

/* Eval with arms: "arms", the figures of each arm with records. */
static void
arms_json(const struct crm_intent *it, struct crm_jw *w)
{
	struct crm_intent_metrics m;
	const char *model;
	size_t k;

	crm_jw_key(w, "arms");
	crm_jw_arr(w);
	for (k = 0; k < it->narms; k++) {
		model = arm_metrics(it, k, &m);
		if (m.n == 0)
			continue;
		crm_jw_obj(w);
		crm_jw_key(w, "arm");
		crm_jw_str(w, crm_armmodel_arm(it->am, k));
		crm_jw_key(w, "model");
		crm_jw_str(w, model);
		crm_jw_key(w, "n");
		crm_jw_int(w, (long long)m.n);
		crm_jw_key(w, "accuracy");
		crm_jw_num(w, "%.4f", m.accuracy);
		crm_jw_key(w, "macro_f1");
		crm_jw_num(w, "%.4f", m.macro_f1);
		crm_jw_key(w, "classes");
		crm_jw_int(w, (long long)m.classes);
		crm_jw_end(w);
	}
	crm_jw_end(w);
}

/* The report as JSON, one document and a newline. */
static int
report_json(const struct crm_intent *it, struct crm_buf *b)
{
	const struct crm_confusion *c = &it->conf;
	struct crm_confused top[10];
	struct crm_jw w;
	double p, r, f;
	unsigned long sup;
	size_t i, n;

	n = crm_confusion_top(c, top, 10);
	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	crm_jw_key(&w, "n");
	crm_jw_int(&w, (long long)c->n);
	crm_jw_key(&w, "accuracy");
	crm_jw_num(&w, "%.4f", crm_accuracy(c));
	crm_jw_key(&w, "macro_f1");
	crm_jw_num(&w, "%.4f", crm_macro_f1(c));
	/* with arms, each arm's model has a threshold of its own */
	if (it->o.min_conf_auto && it->am == NULL) {
		crm_jw_key(&w, "min_confidence");
		crm_jw_num(&w, "%.4f", crm_intent_min_conf(it));
	}
	if (it->am != NULL)
		arms_json(it, &w);
	crm_jw_key(&w, "classes");
	crm_jw_arr(&w);
	for (i = 0; i < c->k; i++) {
		crm_class_prf(c, i, &p, &r, &f, &sup);
		crm_jw_obj(&w);
		crm_jw_key(&w, "label");
		crm_jw_strn(&w, it->evnames[i], it->evlen[i]);
		crm_jw_key(&w, "precision");
		crm_jw_num(&w, "%.4f", p);
		crm_jw_key(&w, "recall");
		crm_jw_num(&w, "%.4f", r);
		crm_jw_key(&w, "f1");
		crm_jw_num(&w, "%.4f", f);
		crm_jw_key(&w, "support");
		crm_jw_int(&w, (long long)sup);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	crm_jw_key(&w, "confused");
	crm_jw_arr(&w);
	for (i = 0; i < n; i++) {
		crm_jw_obj(&w);
		crm_jw_key(&w, "truth");
		crm_jw_strn(
		    &w, it->evnames[top[i].truth], it->evlen[top[i].truth]);
		crm_jw_key(&w, "predicted");
		crm_jw_strn(
		    &w, it->evnames[top[i].pred], it->evlen[top[i].pred]);
		crm_jw_key(&w, "count");
		crm_jw_int(&w, (long long)top[i].count);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1 || crm_buf_addc(b, '\n') == -1)
		return -1;
	return 0;
}

int
crm_intent_report(const struct crm_intent *it, int json, struct crm_buf *b)
{
	const struct crm_confusion *c = &it->conf;
	struct crm_confused top[10];
	double p, r, f;
	unsigned long sup;
	size_t i, n;
	int bad = 0;

	if (it->o.verb != CRM_INTENT_EVAL)
		return 0;
	if (json)
		return report_json(it, b);
	n = crm_confusion_top(c, top, 10);
	bad |= crm_buf_addf(b, "n=%lu accuracy=%.4f macro_f1=%.4f classes=%zu",
	    c->n, crm_accuracy(c), crm_macro_f1(c), c->k);
	if (it->o.min_conf_auto && it->am == NULL)
		bad |= crm_buf_addf(
		    b, " min_confidence=%.4f", crm_intent_min_conf(it));
	bad |= crm_buf_addc(b, '\n');
	for (i = 0; i < it->narms; i++) {
		struct crm_intent_metrics m;
		const char *model = arm_metrics(it, i, &m);

		if (m.n > 0)
			bad |= crm_buf_addf(b,
			    "arm=%s model=%s n=%lu accuracy=%.4f "
			    "macro_f1=%.4f classes=%zu\n",
			    crm_armmodel_arm(it->am, i), model, m.n, m.accuracy,
			    m.macro_f1, m.classes);
	}
	for (i = 0; i < c->k; i++) {
		crm_class_prf(c, i, &p, &r, &f, &sup);
		bad |= crm_buf_adds(b, "class");
		bad |= add_kv(b, "label", it->evnames[i], it->evlen[i]);
		bad |= crm_buf_addf(b,
		    " precision=%.4f recall=%.4f f1=%.4f support=%lu\n", p, r,
		    f, sup);
	}
	for (i = 0; i < n; i++) {
		bad |= crm_buf_adds(b, "confused");
		bad |= add_kv(b, "truth", it->evnames[top[i].truth],
		    it->evlen[top[i].truth]);
		bad |= add_kv(b, "predicted", it->evnames[top[i].pred],
		    it->evlen[top[i].pred]);
		bad |= crm_buf_addf(b, " count=%lu\n", top[i].count);
	}
	return bad ? -1 : 0;
}

/* The figures m appended to r. */
static int
metrics_fields(struct crm_rec *r, const struct crm_intent_metrics *m)
{
	return crm_rec_add_num(r, "n", "%.0f", (double)m->n) == -1 ||
		       crm_rec_add_num(r, "accuracy", "%.4f", m->accuracy) ==
			   -1 ||
		       crm_rec_add_num(r, "macro_f1", "%.4f", m->macro_f1) ==
			   -1 ||
		       crm_rec_add_num(
			   r, "classes", "%.0f", (double)m->classes) == -1
		   ? -1
		   : 0;
}

/* The arm and model fields of an eval record: null for all the arms. */
static int
arm_fields(struct crm_rec *r, const char *arm, const char *model)
{
	return crm_rec_add(r, "arm", 3, arm, arm ? strlen(arm) : 0,
		   arm ? CRM_STRING : CRM_NULL) == -1 ||
		       crm_rec_add(r, "model", 5, model,
			   model ? strlen(model) : 0,
			   model ? CRM_STRING : CRM_NULL) == -1
		   ? -1
		   : 0;
}

int
crm_intent_eval_record(
    const struct crm_intent *it, struct crm_rec *r, struct crm_err *e)
{
	struct crm_intent_metrics m;

	crm_intent_metrics(it, &m);
	crm_rec_clear(r);
	if ((it->am != NULL && arm_fields(r, NULL, NULL) == -1) ||
	    metrics_fields(r, &m) == -1 ||
	    (it->o.min_conf_auto && it->am == NULL &&
		crm_rec_add_num(r, "min_confidence", "%.4f",
		    crm_intent_min_conf(it)) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_intent_eval_records(
    const struct crm_intent *it, struct crm_filter *f, struct crm_err *e)
{
	struct crm_intent_metrics m;
	const char *model;
	struct crm_rec *r;
	size_t k;
	int rc = -1;

	if ((r = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (crm_intent_eval_record(it, r, e) == -1 ||
	    crm_filter_emit(f, r, e) == -1)
		goto out;
	for (k = 0; k < it->narms; k++) {
		model = arm_metrics(it, k, &m);
		if (m.n == 0)
			continue;
		crm_rec_clear(r);
		if (arm_fields(r, crm_armmodel_arm(it->am, k), model) == -1 ||
		    metrics_fields(r, &m) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (crm_filter_emit(f, r, e) == -1)
			goto out;
	}
	rc = 0;
out:
	crm_rec_free(r);
	return rc;
}

/* ==== Label ==== */

static int
label_record(struct crm_intent *it, struct crm_rec *r, struct crm_err *e)
{
	const char *text, *label, *key, *sub;
	size_t len, llen, klen = 0, slen = 0;

	if (get_text(it, r, it->o.text_field, &text, &len, e) == -1 ||
	    get_text(it, r, it->o.label_field, &label, &llen, e) == -1)
		return -1;
	if (!crm_utf8_check(text, len, NULL))
		return text_error("invalid UTF-8", it->o.text_field, e);
	sub = subject_of(it, r, &slen);
	key = get_key(it, r, &klen);
	return crm_audit_label(it->audit, key, klen, sub, slen, text, len,
	    label, llen, it->o.source, e);
}

/* ==== The run ==== */

/* Find the model: a file, the store, or built in. */
static int
load_model(struct crm_intent *it, struct crm_err *e)
{
	const struct crm_intent_opts *o = &it->o;
	struct crm_buf blob;
	int found, rc = -1;

	crm_buf_init(&blob);
	if ((found = crm_model_find(it->st, o->model_file, o->model,
		 o->model_version, "text", &blob, &it->version, NULL, e)) == -1)
		goto out;
	if (!found && o->builtin != NULL) {
		if (crm_buf_add(&blob, o->builtin, o->builtin_len) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		found = 1;
	}
	if (!found) {
		static const char *const builtin[] = { "intent", "sentiment",
			NULL };
		char hint[300];

		snprintf(hint, sizeof(hint),
		    "train one with 'crm-intent train --model %s'", o->model);
		crm_model_missing(it->st, o->model, "text", builtin, hint, e);
		goto out;
	}
	if ((it->m = crm_textclf_load(blob.p, blob.len, e)) == NULL) {
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		crm_err_set(e, e->code, "%s: %s",
		    o->model_file ? o->model_file : o->model, msg);
		goto out;
	}
	if (check_auto(
		it, it->m, o->model_file ? o->model_file : o->model, e) == -1)
		goto out;
	if ((it->prob = calloc(
		 crm_textclf_classes(it->m), sizeof(*it->prob))) == NULL ||
	    (it->reasons = calloc(
		 (size_t)o->explain + 1, sizeof(*it->reasons))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	rc = 0;
out:
	crm_buf_release(&blob);
	return rc;
}

/*
 * The arms' models (o->arms), it->m the default one; it->prob for the
 * widest.  0, or -1 with e filled.
 */
static int
load_arms(struct crm_intent *it, struct crm_err *e)
{
	const struct crm_intent_opts *o = &it->o;
	struct crm_armmodel_slot *sl;
	size_t i, w = crm_textclf_classes(it->m);
	double *p;

	it->dflt = it->m;
	if (o->model_file != NULL)
		it->dflt_label = strdup(o->model_file);
	else if (it->version > 0)
		it->dflt_label = crm_armmodel_label(o->model, it->version);
	else
		it->dflt_label = strdup(o->model); /* built in */
	if (it->dflt_label == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if ((it->am = crm_armmodel_new(o->arms, it->st, 1, e)) == NULL)
		return -1;
	if ((it->amm = calloc(
		 crm_armmodel_count(it->am) + 1, sizeof(*it->amm))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < crm_armmodel_count(it->am); i++) {
		sl = crm_armmodel_slot(it->am, i);
		if ((it->amm[i] = crm_textclf_load(
			 sl->blob.p, sl->blob.len, e)) == NULL) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			return crm_err_set(
			    e, e->code, "%s: %s", sl->label, msg);
		}
		if (check_auto(it, it->amm[i], sl->label, e) == -1)
			return -1;
		if (crm_textclf_classes(it->amm[i]) > w)
			w = crm_textclf_classes(it->amm[i]);
	}
	if ((p = crm_reallocarray(it->prob, w, sizeof(*p))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	it->prob = p;
	return 0;
}

/* keep_text: the events' schema and loader, the text's policy. */
static int
keep_open(struct crm_intent *it, struct crm_err *e)
{
	if (it->st == NULL)
		return crm_err_set(
		    e, EX_USAGE, "keeping the text needs a store");
	if ((it->evschema = crm_schema_new("events", e)) == NULL ||
	    (it->loader = crm_loader_new(it->st, it->evschema, e)) == NULL)
		return -1;
	if ((it->ev = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (it->o.mask != NULL &&
	    (it->mask = crm_mask_new(it->o.mask, e)) == NULL)
		return -1;
	return 0;
}

/*
 * Eval: the class list, the model's classes first (with arms, the
 * default's, then each arm's model's), and with arms a matrix per arm.
 * 0, or -1 when out of memory.
 */
static int
eval_arms_init(struct crm_intent *it)
{
	const struct crm_textclf *m;
	const char *name;
	size_t i, k, len, nslots = it->am ? crm_armmodel_count(it->am) : 0;

	if (it->am != NULL) {
		while (crm_armmodel_arm(it->am, it->narms) != NULL)
			it->narms++;
		if ((it->armconf = calloc(it->narms, sizeof(*it->armconf))) ==
		    NULL)
			return -1;
		for (k = 0; k < it->narms; k++)
			if (crm_confusion_init(&it->armconf[k], 0) == -1)
				return -1;
	}
	for (k = 0; k <= nslots; k++) {
		m = k == 0 ? it->m : it->amm[k - 1];
		for (i = 0; i < crm_textclf_classes(m); i++) {
			name = crm_textclf_class(m, i, &len);
			if (eval_class(it, name, len) == -1)
				return -1;
		}
	}
	return 0;
}

struct crm_intent *
crm_intent_new(
    const struct crm_intent_opts *o, struct crm_store *st, struct crm_err *e)
{
	struct crm_intent *it;
	const char *why;

	if ((it = calloc(1, sizeof(*it))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	it->o = *o;
	crm_model_input_init(&it->in);
	crm_buf_init(&it->label1);
	if (it->o.label_field == NULL)
		it->o.label_field = it->o.model;
	if (it->o.field == NULL)
		it->o.field = it->o.model;
	it->st = st;
	crm_buf_init(&it->buf);
	crm_buf_init(&it->json);
	crm_buf_init(&it->why);
	crm_buf_init(&it->ents);
	it->trained.cv_accuracy = -1;
	it->trained.oos.threshold = -1;
	switch (o->verb) {
	case CRM_INTENT_PREDICT:
		if (load_model(it, e) == -1 ||
		    (o->arms != NULL && load_arms(it, e) == -1))
			goto fail;
		if (st != NULL && (it->audit = crm_audit_open(st, o->tool,
				       o->model, it->version, e)) == NULL)
			goto fail;
		if (o->keep_text && keep_open(it, e) == -1)
			goto fail;
		if (o->entities != NULL &&
		    (it->ent = crm_entity_new(o->entities, e)) == NULL)
			goto fail;
		break;
	case CRM_INTENT_TRAIN:
		if ((it->set = crm_textclf_set_new(&o->tp.text, &why)) ==
		    NULL) {
			crm_err_set(e, why ? EX_USAGE : EX_SOFTWARE, "%s",
			    why ? why : "out of memory");
			goto fail;
		}
		if (o->with_labels && st != NULL && load_labels(it, e) == -1)
			goto fail;
		break;
	case CRM_INTENT_EVAL:
		if (load_model(it, e) == -1 ||
		    (o->arms != NULL && load_arms(it, e) == -1))
			goto fail;
		if (crm_confusion_init(&it->conf, 0) == -1 ||
		    eval_arms_init(it) == -1)
			goto oom;
		break;
	case CRM_INTENT_LABEL:
	default:
		if (st == NULL) {
			crm_err_set(e, EX_USAGE, "label needs a store");
			goto fail;
		}
		if ((it->audit = crm_audit_open(st, o->tool, o->model, 0, e)) ==
		    NULL)
			goto fail;
		break;
	}
	return it;
oom:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
fail:
	crm_intent_free(it);
	return NULL;
}

int
crm_intent_record(struct crm_intent *it, struct crm_rec *r, struct crm_err *e)
{
	switch (it->o.verb) {
	case CRM_INTENT_PREDICT:
		return predict_record(it, r, e);
	case CRM_INTENT_TRAIN:
		return train_record(it, r, e);
	case CRM_INTENT_EVAL:
		return eval_record(it, r, e);
	case CRM_INTENT_LABEL:
	default:
		return label_record(it, r, e);
	}
}

int
crm_intent_close(struct crm_intent *it, struct crm_err *e)
{
	struct crm_audit *a = it->audit;

	it->audit = NULL;
	return crm_audit_close(a, e);
}

int
crm_intent_finish(struct crm_intent *it, struct crm_err *e)
{
	if (it->o.verb == CRM_INTENT_TRAIN)
		return train_finish(it, e);
	return 0;
}

void
crm_intent_free(struct crm_intent *it)
{
	size_t i;

	if (it == NULL)
		return;
	crm_model_input_release(&it->in);
	crm_buf_release(&it->label1);
	if (it->audit != NULL) {
		struct crm_err e;

		crm_err_clear(&e);
		crm_audit_close(it->audit, &e);
	}
	for (i = 0; i < it->nlabels; i++) {
		free(it->labels[i].text);
		free(it->labels[i].label);
	}
	free(it->labels);
	for (i = 0; i < it->nev; i++)
		free(it->evnames[i]);
	free(it->evnames);
	free(it->evlen);
	crm_confusion_release(&it->conf);
	for (i = 0; it->armconf != NULL && i < it->narms; i++)
		crm_confusion_release(&it->armconf[i]);
	free(it->armconf);
	crm_textclf_set_free(it->set);
	if (it->am != NULL) {
		for (i = 0; it->amm != NULL && i < crm_armmodel_count(it->am);
		     i++)
			crm_textclf_free(it->amm[i]);
		it->m = it->dflt;
		crm_armmodel_free(it->am);
	}
	free(it->amm);
	free(it->dflt_label);
	crm_textclf_free(it->m);
	free(it->prob);
	free(it->reasons);
	crm_buf_release(&it->buf);
	crm_buf_release(&it->json);
	crm_buf_release(&it->why);
	crm_loader_free(it->loader);
	crm_schema_free(it->evschema);
	crm_mask_free(it->mask);
	crm_rec_free(it->ev);
	crm_entity_free(it->ent);
	crm_buf_release(&it->ents);
	free(it);
}

void
crm_intent_kept(const struct crm_intent *it, unsigned long long *kept,
    unsigned long long *no_customer)
{
	*kept = it->kept;
	*no_customer = it->no_customer;
}
