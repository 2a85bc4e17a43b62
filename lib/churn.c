/*
 * churn: the pipeline of churn.h.  Labels are read leniently (yes/no,
 * 1/0, true/false, JSON booleans, 1.0 and 0.0); the reasons are binclf's,
 * each field named with the record's value.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "activity.h"
#include "audit.h"
#include "churn.h"
#include "consent.h"
#include "jw.h"
#include "model.h"
#include "review.h"
#include "suggest.h"

/* Records scored in one XGBoost call, at most. */
#define CHURN_BATCH 1024

struct crm_churn {
	const struct crm_churn_opts *o; /* &opt */
	struct crm_churn_opts opt;	/* the caller's, defaults filled in */
	char f_prob[80], f_risk[80], f_reasons[80], f_model[80]; /* added */
	struct crm_tab *idtab; /* train, eval --cv: the records, for ids */
	const char **ids;
	struct crm_store *st;
	struct crm_binclf *m;	    /* score, eval: the model; train: fitted */
	struct crm_binclf_set *set; /* train, eval --cv: the records */
	struct crm_audit *audit;
	struct crm_consent *consent; /* score with an action and a store */
	struct crm_review *review;   /* score with review rules */
	double *prob;		     /* eval: per record */
	int *y;
	size_t n, cap;
	double *x; /* an encoded row */
	struct crm_contrib *why;
	struct crm_buf buf, json;
	/* score, gbt: records held for one XGBoost call (see hold) */
	struct crm_filter *f;
	struct crm_rec *held[CHURN_BATCH];
	double *hx, *hprob, *hphi; /* rows of hw values (phi: hw + 1) */
	size_t nheld, hw;
	long hslot[CHURN_BATCH]; /* with arms: each one's slot (-1: dflt) */
	const char *harm[CHURN_BATCH]; /* and arm */
	double *gx, *gprob, *gphi;     /* with arms: the rows of one model */
	int hfailed; /* a flush in the idle step failed: herr, herc */
	struct crm_err herr;
	struct crm_binmetrics *folds;
	struct crm_churn_result res;
	struct crm_model_input in; /* train: what it learned from */
	enum crm_by by;		   /* o->by, resolved: the store's facts */
	enum crm_by model_by;	   /* the features', the model's (o->by as
				      given, else by from the store, else
				      record: features read are the input's) */
	/* models as arms: c->m is the record's model, dflt the default */
	struct crm_armmodel *am;
	struct crm_binclf **amm; /* per slot */
	struct crm_binclf *dflt;
	const char *dflt_label;
	char *dflt_copy;	       /* dflt_label when made here */
	unsigned char *armof;	       /* eval: per record, its arm's index */
	const char *arm, *model_label; /* the record's */
	const char *model_name;	       /* its audit's: the file, or o->model */
	long model_version;
	long slot; /* the record's slot, -1: the default */
};

static void use_slot(struct crm_churn *c, long i);

void
crm_churn_opts_init(struct crm_churn_opts *o)
{
	long n;

	memset(o, 0, sizeof(*o));
	o->target = "churn";
	o->id_field = "customer_id";
	o->action_threshold = -1;
	o->risk_low = 0.3;
	o->risk_high = 0.6;
	o->reasons = 3;
	o->bp.algo = CRM_ALGO_AUTO;
	o->bp.c = 1;
	o->bp.seed = 1;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	o->bp.threads = n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int
crm_churn_target_ok(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return i <= 64;
}

/* ==== Labels ==== */

/* 1 for yes, 0 for no, -1 for anything else. */
static int
parse_label(const char *s, size_t len)
{
	static const char *const yes[] = { "1", "yes", "true", "y", "t" };
	static const char *const no[] = { "0", "no", "false", "n", "f" };
	char num[32], *end;
	size_t i;
	double d;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
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
get_label(const struct crm_churn *c, const struct crm_rec *r, struct crm_err *e)
{
	const char *f = c->o->label_field, *v;
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
	struct crm_churn *c = arg;
	int y;

	(void)drop;
	if ((y = get_label(c, r, e)) == -1)
		return -1;
	if (crm_binclf_set_add(c->set, r, y) == -1 ||
	    crm_tab_add(c->idtab, r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_model_input_add(&c->in, r);
	return 0;
}

/* ==== Scoring ==== */

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_churn *c = arg;
	const struct crm_churn_opts *o = c->o;

	if (crm_rec_put(hdr, c->f_prob, "", 0, CRM_STRING) == -1 ||
	    crm_rec_put(hdr, c->f_risk, "", 0, CRM_STRING) == -1 ||
	    (o->reasons > 0 &&
		crm_rec_put(hdr, c->f_reasons, "", 0, CRM_STRING) == -1) ||
	    (o->action != NULL &&
		crm_rec_put(hdr, "action", "", 0, CRM_STRING) == -1) ||
	    (o->action != NULL && o->show_suppressed &&
		crm_rec_put(hdr, "action_suppressed", "", 0, CRM_STRING) ==
		    -1) ||
	    (o->review != NULL &&
		crm_rec_put(hdr, CRM_REVIEW_FIELD, "", 0, CRM_STRING) == -1) ||
	    (c->am != NULL &&
		(crm_rec_put(hdr, "arm", "", 0, CRM_STRING) == -1 ||
		    crm_rec_put(hdr, c->f_model, "", 0, CRM_STRING) == -1)))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* The customer id of r into *len, or NULL. */
static const char *
id_of(const struct crm_churn *c, const struct crm_rec *r, size_t *len)
{
	const char *f = c->o->id_field;
	long i = crm_rec_find(r, f, strlen(f));

	*len = 0;
	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return NULL;
	return crm_rec_value(r, (size_t)i, len);
}

/*
 * With consent to check, a record without a customer id is rejected (as
 * it is read, before any is held): its consent cannot be known.  0, or
 * -1 with e filled.
 */
static int
check_id(const struct crm_churn *c, const struct crm_rec *r, struct crm_err *e)
{
	const char *f = c->o->id_field;
	size_t len;

	if (c->consent == NULL || (id_of(c, r, &len) != NULL && len > 0))
		return 0;
	crm_err_field(e, f, strlen(f));
	return crm_err_set(e, EX_DATAERR,
	    "no customer id to check the consent for the action");
}

/*
 * Whether the action for r must be left out: its customer's consent for
 * the purpose is withdrawn.  1, 0, or CRM_FILTER_FATAL with e filled.
 */
static int
suppress(struct crm_churn *c, const struct crm_rec *r, struct crm_err *e)
{
	const char *id;
	size_t len;
	int w = 1; /* no id, which check_id rejected: never contact */

	if (c->consent == NULL)
		return 0;
	if ((id = id_of(c, r, &len)) != NULL && len > 0 &&
	    (w = crm_consent_withdrawn(c->consent, id, len,
		 c->o->purpose != NULL ? c->o->purpose : CRM_CHURN_PURPOSE,
		 e)) == -1)
		return CRM_FILTER_FATAL;
	c->res.suppressed += (unsigned long long)w;
	return w;
}

/*
 * The reasons for x as JSON into c->json: each field that raised the
 * score, named with its value in r ("Contract=Month-to-month").
 */
static int
reasons_json(struct crm_churn *c, const struct crm_rec *r, const double *x,
    const double *phi)
{
	const struct crm_tab *t = crm_binclf_tab(c->m);
	struct crm_buf *name = &c->buf;
	struct crm_jw w;
	size_t n, i, len;
	const char *col, *v;
	long k;
	int bad = 0;

	n = phi != NULL
		? crm_binclf_reasons_phi(
		      c->m, x, phi, c->why, (size_t)c->o->reasons)
		: crm_binclf_reasons(c->m, x, c->why, (size_t)c->o->reasons);
	crm_buf_reset(&c->json);
	crm_jw_init(&w, &c->json);
	crm_jw_arr(&w);
	for (i = 0; i < n; i++) {
		col = crm_tab_column_name(t, c->why[i].col);
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
		crm_jw_obj(&w);
		crm_jw_key(&w, "feature");
		crm_jw_strn(&w, name->p, name->len);
		crm_jw_key(&w, "contribution");
		crm_jw_num(&w, "%.4f", c->why[i].logodds);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	return bad || crm_jw_done(&w) == -1 ? -1 : 0;
}

/*
 * The review rules must read fields of hdr (or of the JSONL record hdr),
 * of the output, or facts of the store.
 */
static int
check_review(struct crm_churn *c, const struct crm_rec *hdr, struct crm_err *e)
{
	const char *own[6];

	if (c->review == NULL)
		return 0;
	own[0] = c->f_prob;
	own[1] = c->f_risk;
	own[2] = c->f_reasons;
	own[3] = "action";
	own[4] = "action_suppressed";
	own[5] = CRM_REVIEW_FIELD;
	return crm_review_check(c->review, hdr, own, 6, e);
}

/*
 * Check r, scored and written as it would be, against the review rules:
 * mark it and leave its action out (*act cleared) when one matches,
 * unless --act-on-review.  *name the rule's, or NULL.  0, -1 or
 * CRM_FILTER_FATAL with e filled.
 */
static int
review(struct crm_churn *c, struct crm_rec *r, int *act, const char **name,
    struct crm_err *e)
{
	struct crm_rules_src src;
	const char *id;
	size_t len;
	int rc;

	*name = NULL;
	if (c->review == NULL)
		return 0;
	src.rec = r;
	src.untyped = c->f != NULL &&
		      (crm_filter_format(c->f) == CRM_FMT_CSV ||
			  crm_filter_format(c->f) == CRM_FMT_TSV);
	id = id_of(c, r, &len);
	if ((rc = crm_review_eval(c->review, &src, 1, id, len, name, e)) < 0)
		return rc == CRM_RULES_LIMIT ? CRM_FILTER_FATAL : -1;
	if (*name == NULL)
		return crm_rec_put(r, CRM_REVIEW_FIELD, "", 0, CRM_NULL) == -1
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : 0;
	c->res.reviewed++;
	if (*act && !c->o->act_on_review) {
		*act = 0;
		c->res.held++;
		if (crm_rec_put(r, "action", "", 0, CRM_NULL) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	return crm_rec_put(
		   r, CRM_REVIEW_FIELD, *name, strlen(*name), CRM_STRING) == -1
		   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
		   : 0;
}

/* A CSV or TSV header must have every field model m (or none) reads. */
static int
check_model_header(
    const struct crm_binclf *m, const struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_tab *t;
	size_t i, first, n;
	const char *name;
	char hint[256];

	if (m == NULL)
		return 0;
	t = crm_binclf_tab(m);
	for (i = 0; i < crm_tab_columns(t); i++) {
		crm_tab_column_range(t, i, &first, &n);
		name = crm_tab_column_name(t, i);
		if (n > 0 && crm_rec_find(hdr, name, strlen(name)) < 0) {
			crm_err_field(e, name, strlen(name));
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s', which the model needs%s", name,
			    crm_suggest_field_hint(
				hint, sizeof(hint), name, hdr));
		}
	}
	return 0;
}

/* A CSV or TSV header must have every field the models read. */
static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_churn *c = arg;
	size_t i;

	if (check_model_header(c->am != NULL ? c->dflt : c->m, hdr, e) == -1)
		return -1;
	for (i = 0; c->am != NULL && i < crm_armmodel_count(c->am); i++)
		if (check_model_header(c->amm[i], hdr, e) == -1)
			return -1;
	return check_review(arg, hdr, e);
}

static const char *
risk_of(const struct crm_churn_opts *o, double p)
{
	return p >= o->risk_high ? "high" : p >= o->risk_low ? "medium" : "low";
}

/*
 * Add the score p of r (encoded as x; phi its gbt contributions, or NULL)
 * to r and the decision log.  0, or -1 / CRM_FILTER_FATAL with e filled.
 */
static int
score_put(struct crm_churn *c, struct crm_rec *r, const double *x, double p,
    const double *phi, struct crm_err *e)
{
	const struct crm_churn_opts *o = c->o;
	const char *risk, *key, *why;
	char prob[32];
	size_t klen = 0;
	int n, act, rc, off = 0;

	risk = risk_of(o, p);
	n = snprintf(prob, sizeof(prob), "%.6f", p);
	if (o->reasons > 0 && reasons_json(c, r, x, phi) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	act = o->action != NULL && p >= o->action_threshold;
	if (act && (off = suppress(c, r, e)) != 0) {
		if (off < 0)
			return off;
		act = 0;
	}
	if (crm_rec_put(r, c->f_prob, prob, (size_t)n, CRM_NUMBER) == -1 ||
	    crm_rec_put(r, c->f_risk, risk, strlen(risk), CRM_STRING) == -1 ||
	    (o->reasons > 0 && crm_rec_put(r, c->f_reasons, c->json.p,
				   c->json.len, CRM_JSON) == -1) ||
	    (o->action != NULL && crm_rec_put(r, "action", act ? o->action : "",
				      act ? strlen(o->action) : 0,
				      act ? CRM_STRING : CRM_NULL) == -1) ||
	    (o->action != NULL && o->show_suppressed &&
		crm_rec_put(r, "action_suppressed", off ? o->action : "",
		    off ? strlen(o->action) : 0,
		    off ? CRM_STRING : CRM_NULL) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (c->am != NULL &&
	    (crm_rec_put(r, "arm", c->arm, strlen(c->arm), CRM_STRING) == -1 ||
		crm_rec_put(r, c->f_model, c->model_label,
		    strlen(c->model_label), CRM_STRING) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if ((rc = review(c, r, &act, &why, e)) != 0)
		return rc;
	if (c->audit != NULL) {
		long i = crm_rec_find(r, o->id_field, strlen(o->id_field));

		key = i >= 0 ? crm_rec_value(r, (size_t)i, &klen) : NULL;
		crm_err_field(e, "", 0);
		crm_audit_review(c->audit, why);
		if (c->am != NULL)
			crm_audit_set_model(
			    c->audit, c->model_name, c->model_version);
		/* the record's key is its customer */
		if (crm_audit_add(c->audit, key, klen, key, klen, risk,
			strlen(risk), p, o->reasons > 0 ? c->json.p : NULL,
			c->json.len, e) == -1)
			return CRM_FILTER_FATAL;
	}
	return 0;
}

/*
 * With arms: the probabilities (and gbt's contributions) of the n held
 * records of slot s, in one XGBoost call for a gbt model: its rows packed
 * at its width, the figures put back at each record's place.  0, or -1.
 */
static int
score_slot(struct crm_churn *c, long s, size_t n)
{
	const struct crm_binclf *m = s >= 0 ? c->amm[s] : c->dflt;
	size_t i, k = 0, j, w, at[CHURN_BATCH];

	if (m == NULL)
		return 0;
	w = crm_tab_width(crm_binclf_tab(m));
	for (i = 0; i < n; i++) {
		if (c->hslot[i] != s)
			continue;
		if (crm_binclf_algo(m) != CRM_ALGO_GBT)
			c->hprob[i] = crm_binclf_prob(m, c->hx + i * c->hw);
		else {
			memcpy(c->gx + k * w, c->hx + i * c->hw,
			    w * sizeof(*c->gx));
			at[k++] = i;
		}
	}
	if (k == 0)
		return 0;
	if (crm_binclf_batch(m, c->gx, k, c->gprob,
		c->o->reasons > 0 ? c->gphi : NULL) == -1)
		return -1;
	for (j = 0; j < k; j++) {
		c->hprob[at[j]] = c->gprob[j];
		memcpy(c->hphi + at[j] * (c->hw + 1), c->gphi + j * (w + 1),
		    (w + 1) * sizeof(*c->gphi));
	}
	return 0;
}

/*
 * Score the held records in one XGBoost call (with arms, one per gbt
 * model) and write them in the order read.  0, or -1 / CRM_FILTER_FATAL with e filled.
 */
static int
flush_held(struct crm_churn *c, struct crm_err *e)
{
	size_t i, n = c->nheld, w = c->hw;
	long s;
	int rc;

	c->nheld = 0;
	if (n == 0)
		return 0;
	if (c->am == NULL) {
		if (crm_binclf_batch(c->m, c->hx, n, c->hprob,
			c->o->reasons > 0 ? c->hphi : NULL) == -1)
			return crm_err_set(e, EX_SOFTWARE, "scoring failed");
	} else
		for (s = -1; s < (long)crm_armmodel_count(c->am); s++)
			if (score_slot(c, s, n) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "scoring failed");
	for (i = 0; i < n; i++) {
		crm_err_clear(e);
		if (c->am != NULL) {
			use_slot(c, c->hslot[i]);
			c->arm = c->harm[i];
		}
		if ((rc = score_put(c, c->held[i], c->hx + i * w, c->hprob[i],
			 crm_binclf_algo(c->m) == CRM_ALGO_GBT
			     ? c->hphi + i * (w + 1)
			     : NULL,
			 e)) != 0)
			return rc;
		if (crm_filter_emit(c->f, c->held[i], e) == -1)
			return CRM_FILTER_FATAL;
	}
	return 0;
}

/* A flush in the idle step failed: its error, once. */
static int
held_failed(struct crm_churn *c, struct crm_err *e)
{
	c->hfailed = 0;
	*e = c->herr;
	return CRM_FILTER_FATAL;
}

/*
 * With arms: the model of r's arm into c->m (c->arm, c->model_label,
 * c->model_name, c->model_version).  0, -1 with e filled (no customer
 * id), or CRM_FILTER_FATAL (libcrypto failed).  An arm without a model,
 * when there is no default, was refused before.
 */
static int
pick_model(struct crm_churn *c, const struct crm_rec *r, struct crm_err *e)
{
	const char *id;
	size_t len;
	long i;

	if (c->am == NULL)
		return 0;
	if ((id = id_of(c, r, &len)) == NULL || len == 0) {
		crm_err_field(e, c->o->id_field, strlen(c->o->id_field));
		return crm_err_set(
		    e, EX_DATAERR, "no customer id to pick the arm's model");
	}
	if ((i = crm_armmodel_pick(c->am, id, len, &c->arm, e)) == -2)
		return CRM_FILTER_FATAL;
	use_slot(c, i);
	return 0;
}

/* The model of slot i (-1: the default) into c->m, its names (not c->arm:
   the default serves several arms). */
static void
use_slot(struct crm_churn *c, long i)
{
	const struct crm_armmodel_slot *sl;

	c->slot = i;
	if (i >= 0) {
		c->m = c->amm[i];
		sl = crm_armmodel_slot(c->am, (size_t)i);
		c->model_label = sl->label;
		c->model_name = sl->file != NULL ? sl->file : c->o->model;
		c->model_version = sl->version;
	} else {
		c->m = c->dflt;
		c->model_label = c->dflt_label;
		c->model_name = c->o->model_file != NULL ? c->o->model_file
							 : c->o->model;
		c->model_version = c->res.version;
	}
}

static int
score_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_churn *c = arg;
	size_t w;
	int rc;

	if (c->hfailed)
		return held_failed(c, e);
	if (check_id(c, r, e) == -1)
		return -1;
	if ((rc = pick_model(c, r, e)) != 0)
		return rc;
	/* a JSONL record has no header: its names are checked instead */
	if (c->review != NULL && c->f != NULL &&
	    crm_filter_format(c->f) == CRM_FMT_JSONL &&
	    check_review(c, r, e) == -1)
		return -1;
	if (c->hx == NULL) {
		if (crm_tab_encode(crm_binclf_tab(c->m), r, 1, c->x, e) == -1)
			return -1;
		return score_put(
		    c, r, c->x, crm_binclf_prob(c->m, c->x), NULL, e);
	}
	/* gbt: held, scored with the others in one call (a bad one now) */
	w = c->hw;
	if (crm_tab_encode(
		crm_binclf_tab(c->m), r, 1, c->hx + c->nheld * w, e) == -1)
		return -1;
	c->hslot[c->nheld] = c->slot;
	c->harm[c->nheld] = c->arm;
	if (crm_rec_copy(c->held[c->nheld], r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	c->nheld++;
	*drop = 1;
	return c->nheld == CHURN_BATCH ? flush_held(c, e) : 0;
}

/*
 * The input is idle: write the records held, and make the decisions so
 * far visible in the store.
 */
static void
idle(void *arg)
{
	struct crm_churn *c = arg;

	if (!c->hfailed && c->nheld > 0) {
		crm_err_clear(&c->herr);
		if (flush_held(c, &c->herr) != 0)
			c->hfailed = 1;
	}
	crm_audit_idle(c->audit);
}

/* ==== Evaluation ==== */

/* The figures of each arm with records (crm_churn_result's arm_fit). */
static int
eval_arms(struct crm_churn *c, struct crm_err *e)
{
	struct crm_churn_result *res = &c->res;
	double *p = NULL;
	int *y = NULL;
	const char *a;
	size_t i, k, n;
	long s;

	if ((p = calloc(c->n + 1, sizeof(*p))) == NULL ||
	    (y = calloc(c->n + 1, sizeof(*y))) == NULL) {
		free(p);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	for (k = 0; (a = crm_armmodel_arm(c->am, k)) != NULL; k++) {
		for (i = n = 0; i < c->n; i++)
			if (c->armof[i] == k) {
				p[n] = c->prob[i];
				y[n++] = c->y[i];
			}
		if (n == 0)
			continue;
		res->arm[res->narms] = a;
		s = crm_armmodel_arm_slot(c->am, k);
		res->arm_model[res->narms] =
		    s < 0 ? c->dflt_label
			  : crm_armmodel_slot(c->am, (size_t)s)->label;
		if (crm_binary_metrics(p, y, n, &res->arm_fit[res->narms]) ==
		    -1) {
			free(p);
			free(y);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
		res->narms++;
	}
	free(p);
	free(y);
	return 0;
}

static int
eval_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_churn *c = arg;
	int y, rc;

	(void)drop;
	if ((y = get_label(c, r, e)) == -1)
		return -1;
	if ((rc = pick_model(c, r, e)) != 0)
		return rc;
	if (crm_tab_encode(crm_binclf_tab(c->m), r, 1, c->x, e) == -1)
		return -1;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		double *p;
		int *py;

		if ((p = crm_reallocarray(c->prob, cap, sizeof(*p))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		c->prob = p;
		if ((py = crm_reallocarray(c->y, cap, sizeof(*py))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		c->y = py;
		if (c->am != NULL) {
			unsigned char *pa =
			    crm_reallocarray(c->armof, cap, sizeof(*pa));

			if (pa == NULL)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			c->armof = pa;
		}
		c->cap = cap;
	}
	if (c->am != NULL)
		c->armof[c->n] =
		    (unsigned char)crm_armmodel_arm_index(c->am, c->arm);
	c->prob[c->n] = crm_binclf_prob(c->m, c->x);
	c->y[c->n++] = y;
	return 0;
}

/* A metric for printing: four decimals, or nan. */
static const char *
fmt(char *buf, size_t n, double v)
{
	if (isnan(v))
		return "nan";
	snprintf(buf, n, "%.4f", v);
	return buf;
}

/* The reliability table as the value of a JSON key. */
static void
reliability_json(struct crm_jw *w, const struct crm_reliability_bin *rel)
{
	size_t i, k = CRM_CHURN_RELIABILITY_BINS;

	crm_jw_arr(w);
	for (i = 0; i < k; i++) {
		crm_jw_obj(w);
		crm_jw_key(w, "from");
		crm_jw_num(w, "%.1f", (double)i / (double)k);
		crm_jw_key(w, "to");
		crm_jw_num(w, "%.1f", (double)(i + 1) / (double)k);
		crm_jw_key(w, "n");
		crm_jw_int(w, (long long)rel[i].n);
		crm_jw_key(w, "mean_prob");
		crm_jw_num(w, "%.4f", rel[i].mean_prob);
		crm_jw_key(w, "rate");
		crm_jw_num(w, "%.4f", rel[i].rate);
		crm_jw_end(w);
	}
	crm_jw_end(w);
}

/*
 * One line of figures: with json a JSON object, whose first key is key
 * (when not NULL) with the value kv, and whose last is the reliability
 * table rel (when not NULL); else key=value pairs.
 */
static int
metrics_line(struct crm_buf *b, int json, const char *key, size_t kv,
    const struct crm_binmetrics *m, const struct crm_reliability_bin *rel)
{
	char a[32], p[32];
	struct crm_jw w;

	if (!json)
		return (key != NULL &&
			   crm_buf_addf(b, "%s=%zu ", key, kv) == -1) ||
			       crm_buf_addf(b,
				   "n=%zu positives=%zu auc=%s pr_auc=%s "
				   "log_loss=%.4f brier=%.4f lift10=%.2f\n",
				   m->n, m->pos, fmt(a, sizeof(a), m->auc),
				   fmt(p, sizeof(p), m->pr_auc), m->log_loss,
				   m->brier, m->lift10) == -1
			   ? -1
			   : 0;
	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	if (key != NULL) {
		crm_jw_key(&w, key);
		crm_jw_int(&w, (long long)kv);
	}
	crm_jw_key(&w, "n");
	crm_jw_int(&w, (long long)m->n);
	crm_jw_key(&w, "positives");
	crm_jw_int(&w, (long long)m->pos);
	crm_jw_key(&w, "auc");
	crm_jw_num(&w, "%.4f", m->auc);
	crm_jw_key(&w, "pr_auc");
	crm_jw_num(&w, "%.4f", m->pr_auc);
	crm_jw_key(&w, "log_loss");
	crm_jw_num(&w, "%.4f", m->log_loss);
	crm_jw_key(&w, "brier");
	crm_jw_num(&w, "%.4f", m->brier);
	crm_jw_key(&w, "lift10");
	crm_jw_num(&w, "%.2f", m->lift10);
	if (rel != NULL) {
		crm_jw_key(&w, "reliability");
		reliability_json(&w, rel);
	}
	crm_jw_end(&w);
	return crm_jw_done(&w) == -1 || crm_buf_addc(b, '\n') == -1 ? -1 : 0;
}

int
crm_churn_eval_text(const struct crm_churn *c, int json, struct crm_buf *b)
{
	const struct crm_churn_result *r = &c->res;
	size_t f;
	int bad = 0;

	for (f = 0; f < r->narms; f++)
		bad |= crm_buf_addf(b, "arm=%s model=%s ", r->arm[f],
			   r->arm_model[f]) == -1 ||
		       metrics_line(b, 0, NULL, 0, &r->arm_fit[f], NULL);
	if (r->narms > 0)
		return bad ? -1 : 0;
	for (f = 0; f < r->nfolds; f++)
		bad |= metrics_line(b, json, "fold", f + 1, &r->fold[f], NULL);
	bad |= metrics_line(b, json, r->nfolds > 0 ? "mean_of" : NULL,
	    r->nfolds, &r->fit, r->rel);
	return bad ? -1 : 0;
}

static int metrics_fields(struct crm_rec *r, const struct crm_binmetrics *m);

/* The record of one set of figures; fold NULL: none. */
static int
metrics_rec(struct crm_rec *r, const char *fold, enum crm_type ftype,
    const struct crm_binmetrics *m)
{
	crm_rec_clear(r);
	return (fold != NULL && crm_rec_add(r, "fold", 4, fold, strlen(fold),
				    ftype) == -1) ||
		       metrics_fields(r, m) == -1
		   ? -1
		   : 0;
}

/* The figures of m appended to r. */
static int
metrics_fields(struct crm_rec *r, const struct crm_binmetrics *m)
{
	return crm_rec_add_num(r, "n", "%.0f", (double)m->n) == -1 ||
		       crm_rec_add_num(
			   r, "positives", "%.0f", (double)m->pos) == -1 ||
		       crm_rec_add_num(r, "auc", "%.4f", m->auc) == -1 ||
		       crm_rec_add_num(r, "pr_auc", "%.4f", m->pr_auc) == -1 ||
		       crm_rec_add_num(r, "log_loss", "%.4f", m->log_loss) ==
			   -1 ||
		       crm_rec_add_num(r, "brier", "%.4f", m->brier) == -1 ||
		       crm_rec_add_num(r, "lift10", "%.2f", m->lift10) == -1
		   ? -1
		   : 0;
}

int
crm_churn_eval_records(
    const struct crm_churn *c, struct crm_filter *f, struct crm_err *e)
{
	const struct crm_churn_result *res = &c->res;
	struct crm_rec *r;
	char num[32];
	size_t i;
	int rc = -1;

	if ((r = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < res->narms; i++) {
		crm_rec_clear(r);
		if (crm_rec_add(r, "arm", 3, res->arm[i], strlen(res->arm[i]),
			CRM_STRING) == -1 ||
		    crm_rec_add(r, "model", 5, res->arm_model[i],
			strlen(res->arm_model[i]), CRM_STRING) == -1 ||
		    metrics_fields(r, &res->arm_fit[i]) == -1)
			goto nomem;
		if (crm_filter_emit(f, r, e) == -1)
			goto out;
	}
	if (res->narms > 0) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < res->nfolds; i++) {
		snprintf(num, sizeof(num), "%zu", i + 1);
		if (metrics_rec(r, num, CRM_NUMBER, &res->fold[i]) == -1)
			goto nomem;
		if (crm_filter_emit(f, r, e) == -1)
			goto out;
	}
	if (metrics_rec(r, res->nfolds > 0 ? "mean" : NULL, CRM_STRING,
		&res->fit) == -1)
		goto nomem;
	if (crm_filter_emit(f, r, e) == -1)
		goto out;
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	crm_rec_free(r);
	return rc;
}

/* K-fold cross-validation of the kept records; 0 or -1 with e. */
static int
cross_validate(struct crm_churn *c, struct crm_err *e)
{
	size_t k = (size_t)c->o->cv;

	if ((c->folds = calloc(k, sizeof(*c->folds))) == NULL ||
	    (c->prob = calloc(
		 crm_binclf_set_size(c->set) + 1, sizeof(*c->prob))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (crm_binclf_cv(c->set, k, &c->o->bp, c->folds, c->prob, e) == -1)
		return -1;
	crm_binclf_cv_mean(c->folds, k, &c->res.fit);
	c->res.nfolds = k;
	c->res.fold = c->folds;
	return 0;
}

/* ==== Training ==== */

/* Train on every kept record and keep the model; 0 or -1 with e. */
static int
train(struct crm_churn *c, struct crm_err *e)
{
	const struct crm_churn_opts *o = c->o;
	struct crm_buf blob, params, metrics;
	struct crm_binmetrics *m = &c->res.fit;
	const struct crm_tab *t;
	const int *y = crm_binclf_set_labels(c->set);
	size_t i, n = crm_binclf_set_size(c->set);
	double *prob = NULL;
	struct crm_jw w;
	int rc = -1, bad = 0;
	size_t pos = 0;

	/* nothing to learn from: nothing done, the store as it was */
	for (i = 0; i < n; i++)
		pos += y[i] == 1;
	if (n == 0)
		return crm_err_set(
		    e, EX_NOINPUT, "no model saved: no records to learn from");
	if (pos == 0 || pos == n)
		return crm_err_set(e, EX_NOINPUT,
		    "no model saved: the label has one value only (%s for all "
		    "%zu records)",
		    pos ? "yes" : "no", n);
	if ((c->m = crm_binclf_fit(c->set, 0, 0, &o->bp, e)) == NULL)
		return -1;
	t = crm_binclf_tab(c->m);
	c->res.algo = crm_binclf_algo_name(crm_binclf_algo(c->m));
	c->res.auto_chosen =
	    crm_binclf_auto(c->m, &c->res.auto_lr, &c->res.auto_gbt);
	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	if ((c->x = calloc(crm_tab_width(t), sizeof(*c->x))) == NULL ||
	    (prob = calloc(n, sizeof(*prob))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) { /* the rows it learned from */
		crm_tab_row(t, i, c->x);
		prob[i] = crm_binclf_prob(c->m, c->x);
	}
	if (crm_binary_metrics(prob, y, n, m) == -1)
		goto nomem;
	c->res.features = crm_tab_width(t);
	crm_jw_init(&w, &params);
	crm_jw_obj(&w);
	crm_jw_key(&w, "target");
	crm_jw_str(&w, o->target);
	crm_jw_key(&w, "algo");
	crm_jw_str(&w, c->res.algo);
	if (o->bp.algo == CRM_ALGO_AUTO) {
		crm_jw_key(&w, "chosen_by");
		crm_jw_str(&w, "auto");
	}
	crm_jw_key(&w, "cost");
	crm_jw_num(&w, "%g", o->bp.c);
	crm_jw_key(&w, "seed");
	crm_jw_int(&w, (long long)o->bp.seed);
	crm_jw_key(&w, "label_field");
	crm_jw_str(&w, o->label_field);
	crm_jw_key(&w, "id_field");
	crm_jw_str(&w, o->id_field);
	crm_jw_key(&w, "by");
	crm_jw_str(&w, crm_by_name(c->model_by));
	crm_jw_end(&w);
	bad |= crm_jw_done(&w);
	crm_jw_init(&w, &metrics);
	crm_jw_obj(&w);
	crm_jw_key(&w, "records");
	crm_jw_int(&w, (long long)m->n);
	crm_jw_key(&w, "positives");
	crm_jw_int(&w, (long long)m->pos);
	crm_jw_key(&w, "features");
	crm_jw_int(&w, (long long)crm_tab_width(t));
	crm_jw_key(&w, "train_auc");
	crm_jw_num(&w, "%.4f", m->auc);
	crm_jw_key(&w, "train_log_loss");
	crm_jw_num(&w, "%.4f", m->log_loss);
	if (c->res.auto_chosen == 1) {
		crm_jw_key(&w, "auto_cv_auc_lr");
		crm_jw_num(&w, "%.4f", c->res.auto_lr);
		crm_jw_key(&w, "auto_cv_auc_gbt");
		crm_jw_num(&w, "%.4f", c->res.auto_gbt);
	}
	crm_jw_end(&w);
	bad |= crm_jw_done(&w);
	if (bad || crm_binclf_save(c->m, &blob) == -1)
		goto nomem;
	if (o->model_file != NULL) {
		/* per record, the bare blob older crmkit reads as well */
		if (crm_model_write_params(o->model_file,
			c->model_by == CRM_BY_PERSON ? params.p : NULL, blob.p,
			blob.len, e) == -1)
			goto out;
	} else if (crm_model_put(c->st, o->model, "churn", params.p, metrics.p,
		       blob.p, blob.len, &c->in, &c->res.version, e) == -1)
		goto out;
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

/* ==== The run ==== */

/* The model of blob and params (what) into *m; 0, or -1 with e filled. */
static int
load_blob(struct crm_churn *c, const char *what, const struct crm_buf *blob,
    const struct crm_buf *params, struct crm_binclf **m, struct crm_err *e)
{
	char msg[sizeof(e->msg)];

	if (crm_model_check_by(what, params, c->model_by, e) == -1)
		return -1;
	if ((*m = crm_binclf_load(blob->p, blob->len, e)) == NULL) {
		memcpy(msg, e->msg, sizeof(msg));
		return crm_err_set(e, e->code, "%s: %s", what, msg);
	}
	return crm_binclf_threads(*m, c->o->bp.threads, e);
}

/*
 * The arms' models (o->arms), c->m the default one or NULL; then the
 * buffers for the widest.  0, or -1 with e filled.
 */
static int
load_arms(struct crm_churn *c, struct crm_err *e)
{
	const struct crm_churn_opts *o = c->o;
	struct crm_armmodel_slot *sl;
	size_t i, w = c->m != NULL ? crm_tab_width(crm_binclf_tab(c->m)) : 0;

	if (o->arms != NULL) {
		c->dflt = c->m;
		c->m = NULL;
		c->dflt_label = o->model_file;
		if (o->model_file == NULL &&
		    (c->dflt_label = c->dflt_copy = crm_armmodel_label(
			 o->model, c->res.version)) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if ((c->am = crm_armmodel_new(
			 o->arms, c->st, c->dflt != NULL, e)) == NULL)
			return -1;
		if ((c->amm = calloc(crm_armmodel_count(c->am) + 1,
			 sizeof(*c->amm))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		for (i = 0; i < crm_armmodel_count(c->am); i++) {
			sl = crm_armmodel_slot(c->am, i);
			if (load_blob(c, sl->label, &sl->blob, &sl->params,
				&c->amm[i], e) == -1)
				return -1;
			if (crm_tab_width(crm_binclf_tab(c->amm[i])) > w)
				w = crm_tab_width(crm_binclf_tab(c->amm[i]));
		}
	}
	if ((c->x = calloc(w + 1, sizeof(*c->x))) == NULL ||
	    (c->why = calloc((size_t)o->reasons + 1, sizeof(*c->why))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
load_model(struct crm_churn *c, struct crm_err *e)
{
	const struct crm_churn_opts *o = c->o;
	struct crm_buf blob, params;
	long version = 0;
	int found;

	crm_buf_init(&blob);
	crm_buf_init(&params);
	if ((found = crm_model_find(c->st, o->model_file, o->model,
		 o->model_version, "churn", &blob, &version, &params, e)) == -1)
		goto fail;
	if (!found && o->arms != NULL) {
		/* arms alone: no default model (crm_armmodel_new checks) */
		crm_buf_release(&blob);
		crm_buf_release(&params);
		return load_arms(c, e);
	}
	if (!found) {
		crm_model_missing(c->st, o->model, "churn", NULL,
		    "train one with 'crm-churn train'", e);
		goto fail;
	}
	c->res.version = version;
	if (load_blob(c, o->model_file ? o->model_file : o->model, &blob,
		&params, &c->m, e) == -1)
		goto fail;
	crm_buf_release(&blob);
	crm_buf_release(&params);
	return load_arms(c, e);
fail:
	crm_buf_release(&blob);
	crm_buf_release(&params);
	return -1;
}

struct crm_churn *
crm_churn_new(
    const struct crm_churn_opts *o, struct crm_store *s, struct crm_err *e)
{
	struct crm_churn *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	c->opt = *o;
	if (c->opt.target == NULL)
		c->opt.target = "churn";
	if (c->opt.model == NULL)
		c->opt.model = c->opt.target;
	if (c->opt.label_field == NULL)
		c->opt.label_field = c->opt.target;
	o = c->o = &c->opt;
	snprintf(c->f_prob, sizeof(c->f_prob), "%s_prob", o->target);
	snprintf(c->f_risk, sizeof(c->f_risk), "%s_risk", o->target);
	snprintf(c->f_reasons, sizeof(c->f_reasons), "%s_reasons", o->target);
	snprintf(c->f_model, sizeof(c->f_model), "%s_model", o->target);
	c->st = s;
	crm_model_input_init(&c->in);
	crm_buf_init(&c->buf);
	crm_buf_init(&c->json);
	c->by = o->by;
	if (crm_by_resolve(s, &c->by, e) == -1)
		goto fail;
	/*
	 * Features read from the input are what they are: the store's
	 * clusters make them per person only when they are the store's, or
	 * when --by says so.
	 */
	c->model_by = o->from_store || o->by != CRM_BY_AUTO ? c->by
							    : CRM_BY_RECORD;
	if (o->verb == CRM_CHURN_SCORE ||
	    (o->verb == CRM_CHURN_EVAL && o->cv == 0)) {
		if (load_model(c, e) == -1)
			goto fail;
	} else {
		if ((c->set = crm_binclf_set_new()) == NULL ||
		    (c->idtab = crm_tab_new()) == NULL ||
		    crm_binclf_set_type(
			c->set, o->label_field, CRM_COL_IGNORE) == -1 ||
		    crm_binclf_set_type(c->set, o->id_field, CRM_COL_IGNORE) ==
			-1 ||
		    crm_tab_set_type(
			c->idtab, o->label_field, CRM_COL_IGNORE) == -1 ||
		    crm_tab_set_type(c->idtab, o->id_field, CRM_COL_IGNORE) ==
			-1)
			goto nomem;
		for (i = 0; i < o->ntypes; i++)
			if (crm_binclf_set_type(c->set, o->types[i].field,
				o->types[i].type) == -1 ||
			    crm_tab_set_type(c->idtab, o->types[i].field,
				o->types[i].type) == -1)
				goto nomem;
	}
	if (o->verb == CRM_CHURN_SCORE && s != NULL &&
	    (c->audit = crm_audit_open(
		 s, "crm-churn", o->model, c->res.version, e)) == NULL)
		goto fail;
	if (o->verb == CRM_CHURN_SCORE && s != NULL && o->action != NULL) {
		if ((c->consent = crm_consent_open(s, e)) == NULL)
			goto fail;
		c->res.consent_checked = 1;
	}
	if (o->verb == CRM_CHURN_SCORE && o->review != NULL &&
	    (c->review = crm_review_new(o->review, s, o->as_of, c->by, e)) ==
		NULL)
		goto fail;
	return c;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
fail:
	crm_churn_free(c);
	return NULL;
}

/* The finish step of scoring: commit and close the decision log. */
static int
score_finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct crm_churn *c = arg;

	(void)f;
	if (c->hfailed) {
		held_failed(c, e);
		return -1;
	}
	if (flush_held(c, e) != 0)
		return -1;
	return crm_churn_finish(arg, e);
}

int
crm_churn_attach(struct crm_churn *c, struct crm_filter *f)
{
	size_t i, w = 0;
	int gbt = 0;

	if (c->o->verb != CRM_CHURN_SCORE || f == NULL)
		return 0;
	/* with arms: batches when a model is gbt, rows of the widest */
	for (i = 0; c->am != NULL && i <= crm_armmodel_count(c->am); i++) {
		const struct crm_binclf *m =
		    i < crm_armmodel_count(c->am) ? c->amm[i] : c->dflt;

		if (m == NULL)
			continue;
		gbt |= crm_binclf_algo(m) == CRM_ALGO_GBT;
		if (crm_tab_width(crm_binclf_tab(m)) > w)
			w = crm_tab_width(crm_binclf_tab(m));
	}
	if (c->am == NULL && c->m != NULL) {
		gbt = crm_binclf_algo(c->m) == CRM_ALGO_GBT;
		w = crm_tab_width(crm_binclf_tab(c->m));
	}
	if (!gbt)
		return 0;
	c->hw = w;
	c->f = f;
	for (i = 0; i < CHURN_BATCH; i++)
		if ((c->held[i] = crm_rec_new()) == NULL)
			return -1;
	if ((c->hprob = calloc(CHURN_BATCH, sizeof(*c->hprob))) == NULL ||
	    (c->hphi = calloc(CHURN_BATCH * (w + 1), sizeof(*c->hphi))) ==
		NULL ||
	    (c->hx = calloc(CHURN_BATCH * w, sizeof(*c->hx))) == NULL)
		return -1;
	if (c->am != NULL &&
	    ((c->gprob = calloc(CHURN_BATCH, sizeof(*c->gprob))) == NULL ||
		(c->gphi = calloc(CHURN_BATCH * (w + 1), sizeof(*c->gphi))) ==
		    NULL ||
		(c->gx = calloc(CHURN_BATCH * w, sizeof(*c->gx))) == NULL))
		return -1;
	return 0;
}

/* The fields the options name: the label, the key, the typed ones. */
static int
needs(void *arg, struct crm_filter *f)
{
	const struct crm_churn_opts *o = ((struct crm_churn *)arg)->o;
	static const char *const type_opt[] = { [CRM_COL_NUMERIC] = "--numeric",
		[CRM_COL_CATEGORICAL] = "--categorical",
		[CRM_COL_IGNORE] = "--ignore" };
	size_t i;

	if (o->verb != CRM_CHURN_SCORE &&
	    crm_filter_need(
		f, o->label_field, "--label-field", CRM_NEED_EVERY) == -1)
		return -1;
	/* the default key may be absent; one asked for may not */
	if (strcmp(o->id_field, "customer_id") != 0 &&
	    crm_filter_need(f, o->id_field, "--id-field", 0) == -1)
		return -1;
	for (i = 0; o->verb != CRM_CHURN_SCORE && i < o->ntypes; i++)
		if ((size_t)o->types[i].type <
			sizeof(type_opt) / sizeof(type_opt[0]) &&
		    type_opt[o->types[i].type] != NULL &&
		    crm_filter_need(f, o->types[i].field,
			type_opt[o->types[i].type], 0) == -1)
			return -1;
	return 0;
}

const struct crm_filter_ops *
crm_churn_ops(const struct crm_churn *c)
{
	static const struct crm_filter_ops score_ops = { check_header,
		out_header, score_record, idle, score_finish, needs };
	static const struct crm_filter_ops keep_ops = { NULL, NULL, keep_record,
		NULL, NULL, needs };
	static const struct crm_filter_ops eval_ops = { check_header, NULL,
		eval_record, NULL, NULL, needs };

	if (c->o->verb == CRM_CHURN_SCORE)
		return &score_ops;
	return c->set != NULL ? &keep_ops : &eval_ops;
}

/*
 * The fields of the records read that tabular.h takes for ids, left out
 * of every encoding made from the set (whatever the fold or algorithm)
 * and listed in the result.  0, or -1 (ENOMEM).
 */
static int
leave_out_ids(struct crm_churn *c)
{
	struct crm_tab *t = c->idtab;
	struct crm_err e;
	size_t i;

	crm_err_clear(&e);
	(void)crm_tab_fit(t, &e); /* training reports what is wrong */
	if ((c->ids = calloc(crm_tab_columns(t) + 1, sizeof(*c->ids))) == NULL)
		return -1;
	for (i = 0; i < crm_tab_columns(t); i++) {
		if (!crm_tab_is_id(t, i))
			continue;
		c->ids[c->res.nids++] = crm_tab_column_name(t, i);
		if (crm_binclf_set_type(c->set, crm_tab_column_name(t, i),
			CRM_COL_IGNORE) == -1)
			return -1;
	}
	c->res.ids = c->ids;
	return 0;
}

int
crm_churn_finish(struct crm_churn *c, struct crm_err *e)
{
	struct crm_audit *a = c->audit;

	switch (c->o->verb) {
	case CRM_CHURN_SCORE:
		c->audit = NULL;
		return crm_audit_close(a, e);
	case CRM_CHURN_TRAIN:
		if (leave_out_ids(c) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		return train(c, e);
	case CRM_CHURN_EVAL:
		if (c->set != NULL) {
			if (leave_out_ids(c) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			if (cross_validate(c, e) == -1)
				return -1;
			crm_reliability(c->prob, crm_binclf_set_labels(c->set),
			    crm_binclf_set_size(c->set),
			    CRM_CHURN_RELIABILITY_BINS, c->res.rel);
			return 0;
		}
		if (c->n == 0)
			return crm_err_set(
			    e, EX_DATAERR, "no records to evaluate");
		if (crm_binary_metrics(c->prob, c->y, c->n, &c->res.fit) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (c->am != NULL && eval_arms(c, e) == -1)
			return -1;
		crm_reliability(c->prob, c->y, c->n, CRM_CHURN_RELIABILITY_BINS,
		    c->res.rel);
		return 0;
	}
	return 0;
}

const struct crm_churn_result *
crm_churn_result(const struct crm_churn *c)
{
	return &c->res;
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

int
crm_churn_source(struct crm_churn *c, const char *as_of, struct crm_source *src,
    struct crm_err *e)
{
	const struct crm_churn_opts *o = c->o;
	struct crm_activity_opts fo;

	memset(&fo, 0, sizeof(fo));
	fo.as_of = as_of;
	fo.names = churn_features;
	fo.nnames = sizeof(churn_features) / sizeof(churn_features[0]);
	fo.id_field = o->id_field;
	fo.extra = o->label_field;
	fo.by = c->by;
	/*
	 * Train and eval per person learn from one record per person, not
	 * one per record of it (the same features twice).  Its label is the
	 * lowest of its records' (parse_label: no before yes): churned only
	 * when every labelled record of it churned, as a person who stays
	 * through one of them has not left; a label that is not one ranks
	 * lowest of all, so that the person is rejected naming it.
	 */
	fo.one_per_person = o->verb != CRM_CHURN_SCORE;
	fo.extra_rank = parse_label;
	c->res.persons = fo.one_per_person && c->by == CRM_BY_PERSON;
	return crm_activity_source(
	    c->st, &fo, o->verb != CRM_CHURN_SCORE, src, e);
}

void
crm_churn_free(struct crm_churn *c)
{
	struct crm_err e;

	if (c == NULL)
		return;
	crm_err_clear(&e);
	crm_audit_close(c->audit, &e); /* an error was reported or moot */
	crm_consent_close(c->consent);
	crm_review_free(c->review);
	crm_binclf_set_free(c->set);
	crm_tab_free(c->idtab);
	free(c->ids);
	crm_model_input_release(&c->in);
	for (size_t i = 0; c->amm != NULL && i < crm_armmodel_count(c->am); i++)
		crm_binclf_free(c->amm[i]);
	if (c->dflt != NULL || c->am != NULL)
		c->m = c->dflt; /* c->m was one of amm's */
	free(c->dflt_copy);
	free(c->amm);
	free(c->armof);
	crm_armmodel_free(c->am);
	crm_binclf_free(c->m);
	free(c->prob);
	free(c->y);
	free(c->x);
	free(c->why);
	free(c->folds);
	for (size_t i = 0; i < CHURN_BATCH; i++)
		crm_rec_free(c->held[i]);
	free(c->hx);
	free(c->hprob);
	free(c->hphi);
	free(c->gx);
	free(c->gprob);
	free(c->gphi);
	crm_buf_release(&c->buf);
	crm_buf_release(&c->json);
	free(c);
}
