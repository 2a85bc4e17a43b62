/*
 * segment: rule tags, RFM segments and k-means clusters of customer
 * records (see segment.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "activity.h"
#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "consent.h"
#include "filter.h"
#include "jw.h"
#include "kmeans.h"
#include "model.h"
#include "rfm.h"
#include "rules.h"
#include "segment.h"
#include "suggest.h"
#include "tagmodel.h"
#include "tags.h"

/* A tag and what gives it. */
struct tag {
	const char *name;
	const char *rule; /* "TAG: expression" of the first rule that gave it */
	const char *file; /* that rule's file */
	int on;
	long purpose; /* an action's purpose (index in purposes), or -1 */
	int off;      /* on, but left out: consent withdrawn */
};

static const char *const segments[] = { "Champions", "Loyal",
	"Potential loyalist", "New", "Promising", "Need attention",
	"About to sleep", "At risk", "Cannot lose them", "Hibernating",
	"Lost" };

#define NSEG (sizeof(segments) / sizeof(segments[0]))

/* A record's RFM scores and cluster, from the model. */
struct tagged {
	unsigned char score[3]; /* r, f, m; 0s: none */
	int cluster;		/* -1: none */
	double dist;		/* to its centre */
};

/* A purpose of the action rules, and the actions left out for it. */
struct purpose {
	char *name;
	unsigned long long suppressed;
};

struct crm_segment {
	const struct crm_segment_opts *o; /* &eff */
	struct crm_segment_opts eff; /* the caller's, with a model read: its
					fields */
	struct crm_tagmodel model;   /* fit or read */
	int apply_wanted;	     /* a model to read */
	int apply;		     /* a model read: applied as records come */
	long version;		     /* its version in the store; 0: a file */
	struct crm_model_input in;   /* fit: the records */
	size_t count[NSEG + 1];	     /* records by RFM segment, then none */
	struct crm_filter *f;	     /* crm_segment_bind's */
	struct crm_store *st;
	struct crm_activity *act;
	struct crm_tags *tagdb;
	struct crm_consent *consent; /* with a store and an action rule */
	struct purpose *purposes;
	size_t npurposes;
	struct crm_buf sup;	 /* the action_suppressed field */
	struct crm_audit *audit; /* every tag, segment and cluster given */
	struct crm_buf why;	 /* a decision's reasons */
	const char **rule_file;	 /* the rules file of each rule */
	struct crm_rulefile *files;
	struct crm_rules *rules;
	char **rule_text; /* per rule: "TAG: expression" */
	size_t *rule_tag; /* per rule: its tag */
	struct tag *tag;
	size_t ntag;
	const char **feat_names; /* rule names that are customer features */
	size_t nfeat;
	struct crm_rec *feat;
	int hold;      /* RFM or k-means: records are kept to the end */
	size_t failed; /* held records the rules failed on */
	struct crm_err act_err; /* why act could not be opened */
	struct crm_buf pack;	/* the held records, crm_rec_pack'ed */
	size_t *held;		/* where each starts in pack */
	struct crm_rec *out;	/* a held record, unpacked */
	unsigned char *untyped;
	double *rfm;	    /* 3 per held record; NAN: no value */
	double *km;	    /* d per held record; d for one applied */
	struct tagged *res; /* per held record */
	size_t n, cap;
	struct crm_buf buf;
	char **where; /* "rule FILE:LINE" of each field crm_filter_need'ed */
	size_t nwhere;
};

static const char *const rfm_names[] = { "r_score", "f_score", "m_score",
	"rfm_segment" };

static int
nomem(struct crm_err *e)
{
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

/* ==== Names ==== */

static int
has_name(const struct crm_rec *r, const char *name)
{
	return crm_rec_find(r, name, strlen(name)) >= 0;
}

/* Whether the segment itself appends a field of this name. */
static int
own_field(const struct crm_segment_opts *o, const char *name)
{
	size_t i;

	for (i = 0; o->rfm && i < 4; i++)
		if (strcmp(name, rfm_names[i]) == 0)
			return 1;
	return o->k > 0 &&
	       (strcmp(name, "cluster") == 0 || strcmp(name, "cluster_"
							     "distance") == 0);
}

static int
is_feature(const struct crm_segment *s, const char *name)
{
	return s->st != NULL && crm_activity_find(name, strlen(name)) >= 0;
}

int
crm_segment_check_header(
    struct crm_segment *s, const struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	size_t i, u;
	const char *name;
	char h[256];

	for (i = 0; s->rules != NULL && i < crm_rules_nnames(s->rules); i++) {
		name = crm_rules_name(s->rules, i);
		if (has_name(hdr, name) || own_field(o, name) ||
		    is_feature(s, name))
			continue;
		u = crm_rules_name_user(s->rules, i);
		return crm_err_set(e, EX_DATAERR,
		    "no field '%s', which the rule at %s:%lu reads%s%s", name,
		    crm_rules_file(s->rules, u), crm_rules_line(s->rules, u),
		    s->st ? "" : " (customer features need --db)",
		    crm_suggest_field_hint(h, sizeof(h), name, hdr));
	}
	for (i = 0; o->rfm && i < 3; i++) {
		name = o->rfm_fields[i];
		if (!has_name(hdr, name) && !is_feature(s, name)) {
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s' for --rfm%s%s", name,
			    s->st ? "" : " (or --db for the store's)",
			    crm_suggest_field_hint(h, sizeof(h), name, hdr));
		}
	}
	for (i = 0; o->k > 0 && i < o->nkm; i++) {
		name = o->km_fields[i];
		if (!has_name(hdr, name) && !is_feature(s, name)) {
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s' for --kmeans%s%s", name,
			    s->st ? "" : " (or --db for the store's)",
			    crm_suggest_field_hint(h, sizeof(h), name, hdr));
		}
	}
	if (s->tagdb != NULL && s->rules != NULL &&
	    !has_name(hdr, o->id_field)) {
		return crm_err_set(e, EX_DATAERR,
		    "no field '%s' to key the tags in the store (--id-field)%s",
		    o->id_field,
		    crm_suggest_field_hint(h, sizeof(h), o->id_field, hdr));
	}
	return 0;
}

/* The check of crm_segment_check_header for the store's records. */
static int
check_store(struct crm_segment *s, struct crm_err *e)
{
	const char *id = s->o->id_field;
	struct crm_rec *hdr = crm_rec_new();
	size_t i;
	int rc;

	if (hdr == NULL ||
	    crm_rec_add(hdr, id, strlen(id), "", 0, CRM_STRING) == -1)
		goto oom;
	for (i = 0; i < crm_activity_count(); i++)
		if (crm_rec_add(hdr, crm_activity_name(i),
			strlen(crm_activity_name(i)), "", 0, CRM_STRING) == -1)
			goto oom;
	rc = crm_segment_check_header(s, hdr, e);
	crm_rec_free(hdr);
	return rc;
oom:
	crm_rec_free(hdr);
	return nomem(e);
}

int
crm_segment_out_header(
    struct crm_segment *s, struct crm_rec *hdr, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	size_t i;
	int bad = 0;

	/* the store's values that the input lacks come first */
	for (i = 0; o->rfm && i < 3; i++)
		if (!has_name(hdr, o->rfm_fields[i]))
			bad |= crm_rec_put(
			    hdr, o->rfm_fields[i], "", 0, CRM_STRING);
	for (i = 0; o->k > 0 && i < o->nkm; i++)
		if (!has_name(hdr, o->km_fields[i]))
			bad |= crm_rec_put(
			    hdr, o->km_fields[i], "", 0, CRM_STRING);
	for (i = 0; o->rfm && i < 4; i++)
		bad |= crm_rec_put(hdr, rfm_names[i], "", 0, CRM_STRING);
	if (o->k > 0) {
		bad |= crm_rec_put(hdr, "cluster", "", 0, CRM_STRING);
		bad |= crm_rec_put(hdr, "cluster_distance", "", 0, CRM_STRING);
	}
	if (s->rules != NULL)
		bad |= crm_rec_put(hdr, "tags", "", 0, CRM_STRING);
	if (s->npurposes > 0 && o->show_suppressed)
		bad |= crm_rec_put(hdr, "action_suppressed", "", 0, CRM_STRING);
	return bad ? nomem(e) : 0;
}

/* ==== Rules ==== */

/* The index of purpose name (len bytes) in s->purposes, added if new. */
static long
purpose_at(struct crm_segment *s, const char *name, size_t len)
{
	struct purpose *p;
	size_t i;

	for (i = 0; i < s->npurposes; i++)
		if (strlen(s->purposes[i].name) == len &&
		    memcmp(s->purposes[i].name, name, len) == 0)
			return (long)i;
	if ((p = crm_reallocarray(s->purposes, s->npurposes + 1, sizeof(*p))) ==
	    NULL)
		return -1;
	s->purposes = p;
	p[i].suppressed = 0;
	if ((p[i].name = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p[i].name, name, len);
	p[i].name[len] = '\0';
	s->npurposes++;
	return (long)i;
}

/*
 * The settings of a rule's left side, "TAG [purpose=NAME]", split in
 * place (crm_rule_settings): the tag's name stays in left, *purpose gets
 * the purpose's index or -1.  0, or -1 with e filled (EX_DATAERR for a
 * bad name or setting).
 */
static int
rule_settings(
    struct crm_segment *s, char *left, long *purpose, struct crm_err *e)
{
	struct crm_rule_setting set[4];
	size_t i, n;

	*purpose = -1;
	if (crm_rule_settings(left, set, 4, &n, e) == -1)
		return -1;
	if (!crm_rule_name_ok(left))
		return crm_err_set(e, EX_DATAERR,
		    "bad tag '%s': use " CRM_RULE_NAME_CHARS, left);
	for (i = 0; i < n; i++) {
		if (strcmp(set[i].key, "purpose") != 0)
			return crm_err_set(e, EX_DATAERR,
			    "unknown setting '%s' of tag '%s' (settings: "
			    "purpose=NAME)",
			    set[i].key, left);
		if (!crm_rule_name_ok(set[i].value))
			return crm_err_set(e, EX_DATAERR,
			    "bad purpose '%s': use " CRM_RULE_NAME_CHARS,
			    set[i].value);
		if ((*purpose = purpose_at(
			 s, set[i].value, strlen(set[i].value))) == -1)
			return nomem(e);
	}
	return 0;
}

/* Read and compile the rules files. */
static int
load_rules(struct crm_segment *s, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	struct crm_rulefile *rf;
	size_t i, j, t, nr = 0;

	if (o->nrules == 0)
		return 0;
	if ((s->files = calloc(o->nrules, sizeof(*s->files))) == NULL ||
	    (s->rules = crm_rules_new(e)) == NULL)
		return nomem(e);
	for (i = 0; i < o->nrules; i++) {
		rf = &s->files[i];
		if (crm_rulefile_read(rf, o->rules[i], ":", 0, e) == -1)
			return -1;
		nr += rf->n;
	}
	s->rule_text = calloc(nr + 1, sizeof(*s->rule_text));
	s->rule_tag = calloc(nr + 1, sizeof(*s->rule_tag));
	s->rule_file = calloc(nr + 1, sizeof(*s->rule_file));
	s->tag = calloc(nr + 1, sizeof(*s->tag));
	if (s->rule_text == NULL || s->rule_tag == NULL || s->tag == NULL ||
	    s->rule_file == NULL)
		return nomem(e);
	for (i = 0; i < o->nrules; i++) {
		rf = &s->files[i];
		for (j = 0; j < rf->n; j++) {
			const char *name = rf->rule[j].left;
			size_t r = crm_rules_count(s->rules);
			long purpose;

			e->file = rf->path;
			e->line = rf->rule[j].line;
			if (rule_settings(s, rf->rule[j].left, &purpose, e) ==
			    -1)
				return -1;
			if (crm_rules_add(s->rules, rf->rule[j].right, rf->path,
				rf->rule[j].line, e) == -1)
				return -1;
			crm_buf_reset(&s->buf);
			if (crm_buf_addf(&s->buf, "%s: %s", name,
				rf->rule[j].right) == -1 ||
			    (s->rule_text[r] = strdup(s->buf.p)) == NULL)
				return nomem(e);
			for (t = 0; t < s->ntag; t++)
				if (strcmp(s->tag[t].name, name) == 0)
					break;
			if (t == s->ntag) {
				s->tag[s->ntag].purpose = -1;
				s->tag[s->ntag++].name = name;
			}
			/* A purpose belongs to the tag, whichever rule gives it. */
			if (purpose >= 0 && s->tag[t].purpose >= 0 &&
			    s->tag[t].purpose != purpose)
				return crm_err_set(e, EX_DATAERR,
				    "tag '%s' has two purposes, %s and %s",
				    name, s->purposes[s->tag[t].purpose].name,
				    s->purposes[purpose].name);
			if (purpose >= 0)
				s->tag[t].purpose = purpose;
			s->rule_tag[r] = t;
			s->rule_file[r] = rf->path;
		}
	}
	return 0;
}

/* The rule names that are customer features, for the store lookup. */
static int
feature_names(struct crm_segment *s, struct crm_err *e)
{
	size_t i, n;

	if (s->rules == NULL || s->st == NULL)
		return 0;
	n = crm_rules_nnames(s->rules);
	if ((s->feat_names = calloc(n + 1, sizeof(*s->feat_names))) == NULL)
		return nomem(e);
	for (i = 0; i < n; i++)
		if (is_feature(s, crm_rules_name(s->rules, i)))
			s->feat_names[s->nfeat++] = crm_rules_name(s->rules, i);
	return 0;
}

/* The customer id of r, or NULL. */
static const char *
id_of(const struct crm_segment *s, const struct crm_rec *r, size_t *len)
{
	const char *f = s->o->id_field;
	long i = crm_rec_find(r, f, strlen(f));

	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return NULL;
	return crm_rec_value(r, (size_t)i, len);
}

/*
 * Fetch r's customer features into s->feat when one of names (n) is
 * not a field of r; else leave s->feat empty.
 */
static int
fetch_features(struct crm_segment *s, const struct crm_rec *r,
    const char *const *names, size_t n, struct crm_err *e)
{
	const char *id;
	size_t i, len;

	crm_rec_clear(s->feat);
	for (i = 0; i < n && has_name(r, names[i]); i++)
		;
	if (i == n)
		return 0;
	if (s->act == NULL) {
		crm_err_set(e, s->act_err.code, "%s", s->act_err.msg);
		return CRM_FILTER_FATAL;
	}
	if ((id = id_of(s, r, &len)) == NULL || len == 0) {
		crm_err_field(e, s->o->id_field, strlen(s->o->id_field));
		return crm_err_set(e, EX_DATAERR,
		    "no customer id for the features from the store");
	}
	return crm_activity_get(s->act, id, len, s->feat, e) == -1
		   ? CRM_FILTER_FATAL
		   : 0;
}

/*
 * Turn off the actions (tags with a purpose) given to r whose customer's
 * consent for the purpose is withdrawn, marking them off and counting
 * them.  0, -1 with e filled (no customer id: its consent cannot be
 * known), or CRM_FILTER_FATAL for a store error.
 */
static int
check_consent(struct crm_segment *s, const struct crm_rec *r, struct crm_err *e)
{
	const char *id = NULL, *purpose;
	size_t t, len = 0;
	int w;

	if (s->consent == NULL)
		return 0;
	for (t = 0; t < s->ntag; t++) {
		if (!s->tag[t].on || s->tag[t].purpose < 0)
			continue;
		if (id == NULL &&
		    ((id = id_of(s, r, &len)) == NULL || len == 0)) {
			crm_err_field(
			    e, s->o->id_field, strlen(s->o->id_field));
			return crm_err_set(e, EX_DATAERR,
			    "no customer id to check the consent for tag '%s'",
			    s->tag[t].name);
		}
		purpose = s->purposes[s->tag[t].purpose].name;
		if ((w = crm_consent_withdrawn(
			 s->consent, id, len, purpose, e)) == -1)
			return CRM_FILTER_FATAL;
		if (w) {
			s->tag[t].on = 0;
			s->tag[t].off = 1;
			s->purposes[s->tag[t].purpose].suppressed++;
		}
	}
	return 0;
}

/*
 * Log a decision of the run about customer id (NULL: the record has
 * none): model and its version in the store (0: none), output, score
 * (NAN: none) and the reasons in s->why.
 */
static int
log_decision(struct crm_segment *s, const char *id, size_t len,
    const char *model, long version, const char *out, double score,
    struct crm_err *e)
{
	crm_audit_set_model(s->audit, model, version);
	return crm_audit_add(s->audit, id, len, id, len, out, strlen(out),
	    score, s->why.p, s->why.len, e);
}

/* Log the tag given to customer id: model its rules file, reason its rule. */
static int
log_tag(struct crm_segment *s, const char *id, size_t len,
    const struct tag *tag, struct crm_err *e)
{
	struct crm_jw w;

	crm_buf_reset(&s->why);
	crm_jw_init(&w, &s->why);
	crm_jw_arr(&w);
	crm_jw_str(&w, tag->rule);
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1)
		return nomem(e);
	return log_decision(s, id, len, tag->file, 0, tag->name, NAN, e);
}

/* Evaluate the rules for r, append its tags and keep them in the store. */
static int
tag_record(
    struct crm_segment *s, struct crm_rec *r, int untyped, struct crm_err *e)
{
	struct crm_rules_src src[2];
	const char *id = NULL;
	size_t i, t, len = 0;
	struct crm_jw w;
	int rc;

	if (s->rules == NULL)
		return 0;
	if ((rc = fetch_features(s, r, s->feat_names, s->nfeat, e)) < 0)
		return rc;
	src[0].rec = r;
	src[0].untyped = untyped;
	src[1].rec = s->feat;
	src[1].untyped = 0;
	if ((rc = crm_rules_eval(s->rules, src, 2, e)) < 0)
		return rc == CRM_RULES_LIMIT ? CRM_FILTER_FATAL : -1;
	for (t = 0; t < s->ntag; t++)
		s->tag[t].on = s->tag[t].off = 0;
	for (i = 0; i < crm_rules_count(s->rules); i++) {
		t = s->rule_tag[i];
		if (!s->tag[t].on && crm_rules_match(s->rules, i)) {
			s->tag[t].on = 1;
			s->tag[t].rule = s->rule_text[i];
			s->tag[t].file = s->rule_file[i];
		}
	}
	if ((rc = check_consent(s, r, e)) != 0)
		return rc;
	/* A JSON array, as every list crmkit writes (crm(7) CONVENTIONS). */
	crm_buf_reset(&s->buf);
	crm_jw_init(&w, &s->buf);
	crm_jw_arr(&w);
	for (t = 0; t < s->ntag; t++)
		if (s->tag[t].on)
			crm_jw_str(&w, s->tag[t].name);
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1)
		return nomem(e);
	if (s->tagdb != NULL) {
		if ((id = id_of(s, r, &len)) == NULL || len == 0) {
			crm_err_field(
			    e, s->o->id_field, strlen(s->o->id_field));
			return crm_err_set(e, EX_DATAERR,
			    "no customer id to keep the tags under");
		}
		for (t = 0; t < s->ntag; t++)
			if (crm_tags_put(s->tagdb, id, len, s->tag[t].name,
				s->tag[t].rule, s->tag[t].on, e) == -1 ||
			    (s->tag[t].on &&
				log_tag(s, id, len, &s->tag[t], e) == -1))
				return CRM_FILTER_FATAL;
	}
	if (crm_rec_put(r, "tags", s->buf.p, s->buf.len, CRM_JSON) == -1)
		return nomem(e);
	if (s->npurposes > 0 && s->o->show_suppressed) {
		crm_buf_reset(&s->sup);
		crm_jw_init(&w, &s->sup);
		crm_jw_arr(&w);
		for (t = 0; t < s->ntag; t++)
			if (s->tag[t].off)
				crm_jw_str(&w, s->tag[t].name);
		crm_jw_end(&w);
		if (crm_jw_done(&w) == -1 ||
		    crm_rec_put(r, "action_suppressed", s->sup.p, s->sup.len,
			CRM_JSON) == -1)
			return nomem(e);
	}
	return 0;
}

/* ==== Records ==== */

/*
 * The number in field name of r (or of feat) into *v: NAN when it is
 * missing, blank or null; -1 with e filled when it is not a number.
 */
static int
number_of(const struct crm_rec *r, const struct crm_rec *feat, const char *name,
    double *v, struct crm_err *e)
{
	long i = crm_rec_find(r, name, strlen(name));
	long long iv;
	const char *p;
	size_t len;

	if (i < 0 && feat != NULL) {
		r = feat;
		i = crm_rec_find(r, name, strlen(name));
	}
	*v = NAN;
	if (i < 0)
		return 0;
	switch (crm_rec_type(r, (size_t)i)) {
	case CRM_NULL:
		return 0;
	case CRM_TRUE:
	case CRM_FALSE:
		*v = crm_rec_type(r, (size_t)i) == CRM_TRUE;
		return 0;
	default:
		break;
	}
	p = crm_rec_value(r, (size_t)i, &len);
	switch (crm_rules_number(p, len, &iv, v)) {
	case 0:
		return 0;
	case 1:
		*v = (double)iv;
		return 0;
	case 2:
		if (isfinite(*v))
			return 0;
		break;
	default:
		break;
	}
	crm_err_field(e, name, strlen(name));
	return crm_err_set(e, EX_DATAERR, "'%.*s' is not a number",
	    (int)(len > 40 ? 40 : len), p);
}

/* Room for one more held record (a fit keeps its values only). */
static int
grow(struct crm_segment *s, size_t d)
{
	size_t cap = s->cap ? 2 * s->cap : 1024;
	size_t *h;
	unsigned char *u;
	double *p;

	if (!s->o->fit) {
		if ((h = crm_reallocarray(s->held, cap, sizeof(*h))) == NULL)
			return -1;
		s->held = h;
		if ((u = crm_reallocarray(s->untyped, cap, 1)) == NULL)
			return -1;
		s->untyped = u;
	}
	if ((p = crm_reallocarray(s->rfm, cap, 3 * sizeof(*p))) == NULL)
		return -1;
	s->rfm = p;
	if ((p = crm_reallocarray(s->km, cap, (d ? d : 1) * sizeof(*p))) ==
	    NULL)
		return -1;
	s->km = p;
	s->cap = cap;
	return 0;
}

/*
 * The RFM values (3) and k-means values (d; log(1 + value) with --log)
 * of r into rfm and km, NAN where there is none; store values that r
 * lacks are appended to it.  0, or -1 with e filled (EX_DATAERR rejects
 * the record), CRM_FILTER_FATAL for a store error.
 */
static int
record_values(struct crm_segment *s, struct crm_rec *r, double rfm[3],
    double *km, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	size_t d = o->k > 0 ? o->nkm : 0, i, len;
	const char *v;
	int rc;

	crm_rec_clear(s->feat);
	if (s->st != NULL && o->rfm &&
	    (rc = fetch_features(s, r, o->rfm_fields, 3, e)) < 0)
		return rc;
	if (s->st != NULL && o->k > 0 && crm_rec_count(s->feat) == 0 &&
	    (rc = fetch_features(s, r, o->km_fields, d, e)) < 0)
		return rc;
	for (i = 0; o->rfm && i < 3; i++)
		if (number_of(r, s->feat, o->rfm_fields[i], &rfm[i], e) == -1)
			return -1;
	if (!o->rfm || isnan(rfm[0]) || isnan(rfm[1]) || isnan(rfm[2]))
		rfm[0] = rfm[1] = rfm[2] = NAN;
	for (i = 0; i < d; i++) {
		if (number_of(r, s->feat, o->km_fields[i], &km[i], e) == -1)
			return -1;
		if (o->log && km[i] <= -1) {
			crm_err_field(
			    e, o->km_fields[i], strlen(o->km_fields[i]));
			return crm_err_set(e, EX_DATAERR,
			    "%g has no log(1 + value) (--log)", km[i]);
		}
		if (o->log)
			km[i] = log1p(km[i]);
	}
	/* the store's values go on the record */
	for (i = 0; i < crm_rec_count(s->feat); i++) {
		const char *name = crm_rec_name(s->feat, i, &len);
		size_t j, use = 0;

		for (j = 0; o->rfm && j < 3; j++)
			use |= strcmp(name, o->rfm_fields[j]) == 0;
		for (j = 0; j < d; j++)
			use |= strcmp(name, o->km_fields[j]) == 0;
		if (!use || crm_rec_find(r, name, len) >= 0)
			continue;
		v = crm_rec_value(s->feat, i, &len);
		if (crm_rec_put(r, name, v, len, crm_rec_type(s->feat, i)) ==
		    -1)
			return nomem(e);
	}
	return 0;
}

/*
 * Keep r's values for the model fit at the end, and a copy of r to
 * write then (not with fit: it writes no record).
 */
static int
hold_record(
    struct crm_segment *s, struct crm_rec *r, int untyped, struct crm_err *e)
{
	size_t d = s->o->k > 0 ? s->o->nkm : 0;
	int rc;

	if (s->n == s->cap && grow(s, d) == -1)
		return nomem(e);
	if (s->o->fit)
		crm_model_input_add(&s->in, r);
	if ((rc = record_values(
		 s, r, s->rfm + 3 * s->n, s->km + s->n * d, e)) != 0)
		return rc;
	if (s->o->fit) {
		s->n++;
		return 0;
	}
	s->held[s->n] = s->pack.len;
	if (crm_rec_pack(r, &s->pack) == -1)
		return nomem(e);
	s->untyped[s->n++] = (unsigned char)(untyped != 0);
	return 0;
}

/* The model's RFM scores and cluster of values rfm and km into t. */
static void
apply_model(struct crm_segment *s, const double *rfm, const double *km,
    struct tagged *t)
{
	memset(t, 0, sizeof(*t));
	t->cluster = -1;
	if (s->model.rfm)
		crm_tagmodel_rfm(&s->model, rfm, t->score);
	if (s->model.k > 0)
		t->cluster = crm_tagmodel_cluster(&s->model, km, &t->dist);
}

/* Count a record written with RFM scores t in its segment. */
static void
count_segment(struct crm_segment *s, const struct tagged *t)
{
	const char *seg = crm_segment_rfm_of(t->score);
	size_t j = NSEG;

	for (j = 0; seg != NULL && j < NSEG; j++)
		if (strcmp(seg, segments[j]) == 0)
			break;
	s->count[seg != NULL ? j : NSEG]++;
}

static int put_rfm(const struct tagged *t, struct crm_rec *r);
static int put_cluster(const struct tagged *t, struct crm_rec *r);
static int log_held(struct crm_segment *s, const struct tagged *t,
    const struct crm_rec *r, struct crm_err *e);

/*
 * Reject a record whose k-means values km are too far from the model's
 * to measure, naming the field of the largest z-score.
 */
static int
too_far(const struct crm_segment *s, const double *km, struct crm_err *e)
{
	const struct crm_tagmodel *m = &s->model;
	double z, most = -1;
	size_t j, far = 0;

	for (j = 0; j < m->d; j++) {
		z = fabs((km[j] - m->mean[j]) / m->scale[j]);
		if (!(z <= most)) {
			most = z;
			far = j;
		}
	}
	crm_err_field(e, m->field[far], strlen(m->field[far]));
	return crm_err_set(e, EX_DATAERR,
	    "too far from the model's values to cluster (its distance is "
	    "not a finite number)");
}

/* Score, cluster and tag r by the model read. */
static int
apply_record(
    struct crm_segment *s, struct crm_rec *r, int untyped, struct crm_err *e)
{
	struct tagged t;
	double rfm[3];
	int rc;

	if ((rc = record_values(s, r, rfm, s->km, e)) != 0)
		return rc;
	apply_model(s, rfm, s->km, &t);
	if (t.cluster == -2)
		return too_far(s, s->km, e);
	if ((s->o->rfm && put_rfm(&t, r) == -1) ||
	    (s->o->k > 0 && put_cluster(&t, r) == -1))
		return nomem(e);
	if ((rc = tag_record(s, r, untyped, e)) != 0)
		return rc;
	/* after the tags: their transaction is open */
	if (s->audit != NULL && log_held(s, &t, r, e) == -1)
		return CRM_FILTER_FATAL;
	if (s->o->rfm)
		count_segment(s, &t);
	return 0;
}

int
crm_segment_add(struct crm_segment *s, struct crm_rec *r, int untyped,
    int *held, struct crm_err *e)
{
	*held = s->hold;
	if (s->hold)
		return hold_record(s, r, untyped, e);
	if (s->apply)
		return apply_record(s, r, untyped, e);
	return tag_record(s, r, untyped, e);
}

void
crm_segment_idle(void *arg)
{
	struct crm_segment *s = arg;

	/* the decisions go in the tags' batch */
	crm_tags_idle(s != NULL ? s->tagdb : NULL);
}

/* ==== RFM ==== */

const char *
crm_segment_rfm_of(const unsigned char score[3])
{
	if (score[0] == 0)
		return NULL;
	return crm_rfm_segment(score[0], crm_rfm_fm(score[1], score[2]));
}

/* Fit the RFM boundaries on the held records. */
static int
fit_rfm(struct crm_segment *s, struct crm_err *e)
{
	double *col;
	size_t i, j;
	int any = 1, rc;

	if (crm_tagmodel_set_rfm(&s->model, s->o->rfm_fields) == -1 ||
	    (col = crm_reallocarray(NULL, s->n + 1, sizeof(*col))) == NULL)
		return nomem(e);
	for (j = 0; j < 3; j++) {
		for (i = 0; i < s->n; i++)
			col[i] = s->rfm[3 * i + j];
		if ((rc = crm_rfm_bounds(col, s->n, s->model.bound[j])) == -1) {
			free(col);
			return nomem(e);
		}
		any &= rc;
	}
	free(col);
	/* a model scores records to come: it needs boundaries */
	if (!any && s->o->fit)
		return crm_err_set(e, EX_DATAERR,
		    "no record has a number in each of the --rfm fields "
		    "%s, %s and %s: no model",
		    s->o->rfm_fields[0], s->o->rfm_fields[1],
		    s->o->rfm_fields[2]);
	return 0;
}

/* Say how many records each RFM segment has, unless quiet. */
static void
say_segments(const struct crm_segment *s)
{
	size_t j, n = 0;

	for (j = 0; j <= NSEG; j++)
		n += s->count[j];
	if (s->o->quiet || n == 0)
		return;
	for (j = 0; j < NSEG; j++)
		crm_warnx("rfm: %-18s %7zu  %5.1f%%", segments[j], s->count[j],
		    n ? 100.0 * (double)s->count[j] / (double)n : 0.0);
	if (s->count[NSEG] > 0)
		crm_warnx("rfm: %-18s %7zu", "(no purchase)", s->count[NSEG]);
}

/* Append a record's RFM scores and segment to r. */
static int
put_rfm(const struct tagged *t, struct crm_rec *r)
{
	const char *seg = crm_segment_rfm_of(t->score);
	size_t j;
	char num;

	for (j = 0; j < 3; j++) {
		num = (char)('0' + t->score[j]);
		if (crm_rec_put(r, rfm_names[j], &num, seg ? 1 : 0,
			seg ? CRM_NUMBER : CRM_NULL) == -1)
			return -1;
	}
	return crm_rec_put(r, rfm_names[3], seg ? seg : "",
	    seg ? strlen(seg) : 0, seg ? CRM_STRING : CRM_NULL);
}

/* ==== k-means ==== */

/* crm_segment_renumber, with each old number's new one into to (k). */
static int
renumber(int *label, size_t n, size_t k, int *to)
{
	size_t *count = calloc(k, sizeof(*count)), *first, i, j;
	int *order = calloc(k, sizeof(*order));
	int rc = -1;

	first = calloc(k, sizeof(*first));
	if (count == NULL || order == NULL || first == NULL)
		goto out;
	for (i = 0; i < k; i++)
		first[i] = n;
	for (i = 0; i < n; i++) {
		if (count[label[i]]++ == 0)
			first[label[i]] = i;
	}
	for (i = 0; i < k; i++)
		order[i] = (int)i;
	for (i = 1; i < k; i++) /* insertion sort: k is small */
		for (j = i; j > 0; j--) {
			int a = order[j - 1], b = order[j];

			if (count[a] > count[b] ||
			    (count[a] == count[b] && first[a] < first[b]))
				break;
			order[j - 1] = b;
			order[j] = a;
		}
	for (i = 0; i < k; i++)
		to[order[i]] = (int)i;
	for (i = 0; i < n; i++)
		label[i] = to[label[i]];
	rc = 0;
out:
	free(count);
	free(first);
	free(order);
	return rc;
}

int
crm_segment_renumber(int *label, size_t n, size_t k)
{
	int *to = calloc(k, sizeof(*to)), rc;

	rc = to != NULL ? renumber(label, n, k, to) : -1;
	free(to);
	return rc;
}

/* With km->auto_k, the k of the best silhouette into p->k. */
static int
choose_k(const double *x, size_t n, size_t d,
    const struct crm_segment_kmeans *km, struct crm_kmeans_params *p,
    struct crm_kmeans_result *res, struct crm_err *e)
{
	long distinct = crm_kmeans_distinct(x, n, d);
	size_t kk, bestk = km->k;
	double best = -2, sil;
	char phase[48];

	if (distinct < 0)
		return nomem(e);
	if (distinct < 2) {
		return crm_err_set(e, EX_DATAERR,
		    "--auto-k needs 2 distinct points, the data has %ld",
		    distinct);
	}
	for (kk = 2; kk <= km->k && kk <= (size_t)distinct; kk++) {
		snprintf(phase, sizeof(phase), "k-means, k=%zu", kk);
		p->phase = phase;
		p->k = kk;
		if (crm_kmeans(x, n, d, p, res, e) == -1)
			return -1;
		sil = crm_kmeans_silhouette(
		    x, n, d, res->label, kk, CRM_SEGMENT_SAMPLE, km->seed);
		if (!km->quiet)
			crm_warnx("k-means: k=%zu inertia %.4f silhouette %.4f",
			    kk, res->inertia, sil);
		if (sil > best) {
			best = sil;
			bestk = kk;
		}
	}
	p->k = bestk;
	p->phase = "k-means";
	return 0;
}

int
crm_segment_kmeans(double *x, size_t n, size_t d, struct crm_segment_kmeans *km,
    int *label, double *dist, struct crm_err *e)
{
	struct crm_kmeans_params p;
	struct crm_kmeans_result res;
	double *centers;
	size_t i, j;
	int rc = -1, *to;

	memset(&res, 0, sizeof(res));
	if ((centers = crm_reallocarray(NULL, km->k, d * sizeof(*centers))) ==
	    NULL)
		return nomem(e);
	if ((to = calloc(km->k, sizeof(*to))) == NULL) {
		free(centers);
		return nomem(e);
	}
	crm_standardize(x, n, d, km->mean, km->sd);
	crm_kmeans_defaults(&p, km->k);
	p.seed = km->seed;
	p.restarts = km->restarts;
	p.progress = km->progress;
	res.centers = centers;
	res.label = label;
	res.dist2 = dist;
	if (km->auto_k && choose_k(x, n, d, km, &p, &res, e) == -1)
		goto out;
	if (crm_kmeans(x, n, d, &p, &res, e) == -1)
		goto out;
	if (renumber(label, n, p.k, to) == -1) {
		nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++)
		dist[i] = sqrt(dist[i]);
	for (i = 0; km->centers != NULL && i < p.k; i++)
		for (j = 0; j < d; j++)
			km->centers[(size_t)to[i] * d + j] = centers[i * d + j];
	km->chosen = p.k;
	km->inertia = res.inertia;
	km->iterations = res.iterations;
	rc = 0;
out:
	free(centers);
	free(to);
	return rc;
}

/*
 * Fit the k-means model on the held records that have every value, and
 * say its figures unless quiet.
 */
static int
fit_kmeans(struct crm_segment *s, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	struct crm_segment_kmeans km;
	size_t d = o->nkm, n = 0, i, j;
	double *x = NULL, *dist = NULL;
	int *label = NULL, rc = -1;

	if ((x = crm_reallocarray(NULL, s->n + 1, d * sizeof(*x))) == NULL ||
	    (label = crm_reallocarray(NULL, s->n + 1, sizeof(*label))) ==
		NULL ||
	    (dist = crm_reallocarray(NULL, s->n + 1, sizeof(*dist))) == NULL ||
	    crm_tagmodel_set_kmeans(
		&s->model, (size_t)o->k, d, o->km_fields, o->log) == -1) {
		nomem(e);
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		const double *v = s->km + i * d;

		for (j = 0; j < d && !isnan(v[j]); j++)
			;
		if (j < d)
			continue;
		memcpy(x + n * d, v, d * sizeof(*x));
		n++;
	}
	if (n == 0) {
		crm_err_set(e, EX_DATAERR,
		    "no record has a number in every field of --fields");
		goto out;
	}
	memset(&km, 0, sizeof(km));
	km.k = (size_t)o->k;
	km.auto_k = o->auto_k;
	km.restarts = (int)o->restarts;
	km.seed = o->seed;
	km.quiet = o->quiet;
	km.progress = o->progress;
	km.centers = s->model.centre;
	km.mean = s->model.mean;
	km.sd = s->model.scale;
	if (crm_segment_kmeans(x, n, d, &km, label, dist, e) == -1)
		goto out;
	s->model.k = km.chosen;
	/* a model holds finite numbers only, so that it reads back */
	for (j = 0; j < d; j++)
		if (!isfinite(s->model.mean[j]) ||
		    !isfinite(s->model.scale[j])) {
			crm_err_set(e, EX_DATAERR,
			    "k-means: the values of field '%s' are too large "
			    "to "
			    "standardize (their mean or spread is not a finite "
			    "number)",
			    o->km_fields[j]);
			goto out;
		}
	if (!o->quiet)
		crm_warnx("k-means: %zu clusters of %zu records, inertia %.4f, "
			  "best of %ld runs (%d iteration%s)",
		    km.chosen, n, km.inertia, o->restarts, km.iterations,
		    km.iterations == 1 ? "" : "s");
	rc = 0;
out:
	free(x);
	free(label);
	free(dist);
	return rc;
}

/* Append a record's cluster fields to r. */
static int
put_cluster(const struct tagged *t, struct crm_rec *r)
{
	int ok = t->cluster >= 0, len = 0;
	char num[64] = "";

	if (ok)
		len = snprintf(num, sizeof(num), "%d", t->cluster);
	if (crm_rec_put(r, "cluster", num, (size_t)len,
		ok ? CRM_NUMBER : CRM_NULL) == -1)
		return -1;
	if (ok)
		len = snprintf(num, sizeof(num), "%.6f", t->dist);
	return crm_rec_put(r, "cluster_distance", num, (size_t)len,
	    ok ? CRM_NUMBER : CRM_NULL);
}

/* ==== The end ==== */

/* Log record r's RFM segment and cluster t, those it has. */
static int
log_held(struct crm_segment *s, const struct tagged *t, const struct crm_rec *r,
    struct crm_err *e)
{
	const char *seg = s->o->rfm ? crm_segment_rfm_of(t->score) : NULL;
	/* a model of the store applied: its row of models, else the step */
	int stored = s->apply && s->version > 0;
	const char *id;
	size_t len = 0;
	char num[32], tag[96];

	if ((id = id_of(s, r, &len)) != NULL && len == 0)
		id = NULL;
	crm_buf_reset(&s->why);
	if (seg != NULL) {
		static const char *const rfm[] = { "r", "f", "m" };
		struct crm_jw w;
		size_t j;

		crm_jw_init(&w, &s->why);
		crm_jw_obj(&w);
		for (j = 0; j < 3; j++) {
			crm_jw_key(&w, rfm[j]);
			crm_jw_int(&w, t->score[j]);
		}
		crm_jw_end(&w);
		if (crm_jw_done(&w) == -1)
			return nomem(e);
		if (log_decision(s, id, len, stored ? s->o->model : "rfm",
			stored ? s->version : 0, seg, NAN, e) == -1)
			return -1;
		snprintf(tag, sizeof(tag), "rfm:%s", seg);
		if (id != NULL && s->tagdb != NULL &&
		    crm_tags_one(s->tagdb, id, len, "rfm", tag, e) == -1)
			return -1;
	}
	if (s->o->k > 0 && t->cluster >= 0) {
		crm_buf_reset(&s->why);
		snprintf(num, sizeof(num), "%d", t->cluster);
		if (log_decision(s, id, len, stored ? s->o->model : "kmeans",
			stored ? s->version : 0, num, t->dist, e) == -1)
			return -1;
		snprintf(tag, sizeof(tag), "kmeans:%s", num);
		if (id != NULL && s->tagdb != NULL &&
		    crm_tags_one(s->tagdb, id, len, "kmeans", tag, e) == -1)
			return -1;
	}
	return 0;
}

int
crm_segment_finish(struct crm_segment *s,
    int (*emit)(void *arg, const struct crm_rec *r, struct crm_err *e),
    void *arg, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	struct crm_rec *r = s->out;
	size_t i, d = o->k > 0 ? o->nkm : 0;
	int rc;

	if (s->apply) {
		if (o->rfm)
			say_segments(s);
		return 0;
	}
	if (s->n == 0)
		return 0;
	if ((s->res = calloc(s->n, sizeof(*s->res))) == NULL)
		return nomem(e);
	/* fit, then apply to each record as a model read is */
	if (o->rfm && fit_rfm(s, e) == -1)
		return -1;
	for (i = 0; o->rfm && i < s->n; i++) {
		apply_model(s, s->rfm + 3 * i, NULL, &s->res[i]);
		count_segment(s, &s->res[i]);
	}
	if (o->rfm)
		say_segments(s);
	if (o->k > 0 && fit_kmeans(s, e) == -1)
		return -1;
	/* a fit writes no record: the model is all it keeps */
	if (o->fit)
		return 0;
	for (i = 0; i < s->n; i++) {
		if (o->k > 0)
			s->res[i].cluster = crm_tagmodel_cluster(
			    &s->model, s->km + i * d, &s->res[i].dist);
		else
			s->res[i].cluster = -1;
	}
	for (i = 0; i < s->n; i++) {
		if (crm_rec_unpack(r, s->pack.p + s->held[i]) == 0 ||
		    (o->rfm && put_rfm(&s->res[i], r) == -1) ||
		    (o->k > 0 && put_cluster(&s->res[i], r) == -1))
			return nomem(e);
		rc = tag_record(s, r, s->untyped[i], e);
		/* after the tags: their transaction is open */
		if (s->audit != NULL && log_held(s, &s->res[i], r, e) == -1)
			return -1;
		if (rc == CRM_FILTER_FATAL ||
		    (rc == -1 && e->code != EX_DATAERR))
			return -1;
		if (rc == -1) {
			/* rules that fail on a record: report, write it on */
			e->line = crm_rec_line(r);
			crm_report(e);
			crm_err_clear(e);
			s->failed++;
		}
		if (emit(arg, r, e) == -1)
			return -1;
	}
	return 0;
}

int
crm_segment_save(struct crm_segment *s, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	struct crm_buf blob;
	char where[160];
	int rc = -1;

	if (s->n == 0)
		return crm_err_set(e, EX_NOINPUT,
		    "no record to fit the model on: no model saved");
	crm_buf_init(&blob);
	if (crm_tagmodel_write(&s->model, &blob) == -1) {
		nomem(e);
		goto out;
	}
	if (o->model_file != NULL) {
		if (crm_model_write_file(o->model_file, blob.p, blob.len, e) ==
		    -1)
			goto out;
		snprintf(where, sizeof(where), "%s", o->model_file);
	} else {
		if (crm_model_put(s->st, o->model, "tag", NULL, NULL, blob.p,
			blob.len, &s->in, &s->version, e) == -1)
			goto out;
		snprintf(where, sizeof(where), "'%s' version %ld", o->model,
		    s->version);
	}
	if (!o->quiet)
		crm_warnx("fit model %s on %zu records", where, s->n);
	rc = 0;
out:
	crm_buf_release(&blob);
	return rc;
}

size_t
crm_segment_failed(const struct crm_segment *s)
{
	return s->failed;
}

int
crm_segment_source(
    struct crm_segment *s, struct crm_source *src, struct crm_err *e)
{
	struct crm_activity_opts ao;

	if (check_store(s, e) == -1) {
		char msg[sizeof(e->msg)];

		/* in the message, not e->file: the caller closes the store */
		memcpy(msg, e->msg, sizeof(msg));
		crm_err_set(e, e->code, "%s: %s", crm_store_path(s->st), msg);
		return -1;
	}
	memset(&ao, 0, sizeof(ao));
	ao.as_of = crm_activity_as_of(s->act);
	ao.id_field = s->o->id_field;
	ao.events_too = 1;
	ao.by = crm_activity_by(s->act);
	return crm_activity_source(s->st, &ao, 0, src, e);
}

/* ==== Open and close ==== */

/*
 * Read the model to apply, from o->model_file or the store's o->model,
 * and take its RFM and k-means fields for the caller's.
 */
static int
load_model(struct crm_segment *s, struct crm_err *e)
{
	struct crm_segment_opts *eff = &s->eff;
	struct crm_buf blob;
	long version = 0;
	int found;

	crm_buf_init(&blob);
	found = crm_model_find(s->st, eff->model_file, eff->model,
	    eff->model_version, "tag", &blob, &version, NULL, e);
	if (found == 0)
		crm_model_missing(s->st, eff->model, "tag", NULL,
		    "fit one with 'crm-tag fit'", e);
	if (found != 1) {
		crm_buf_release(&blob);
		return -1;
	}
	s->version = version;
	/* e->file outlives s: the caller's file name, none for the store */
	found =
	    crm_tagmodel_read(&s->model, blob.p, blob.len, eff->model_file, e);
	crm_buf_release(&blob);
	if (found == -1 && eff->model_file == NULL && e->line > 0) {
		char msg[sizeof(e->msg)];

		memcpy(msg, e->msg, sizeof(msg));
		crm_err_set(e, e->code, "model '%s' version %ld, line %lu: %s",
		    eff->model, version, e->line, msg);
		e->line = 0;
	}
	if (found == -1)
		return -1;
	s->apply = 1;
	eff->rfm = s->model.rfm;
	if (eff->rfm)
		memcpy(eff->rfm_fields, s->model.rfm_field,
		    sizeof(eff->rfm_fields));
	eff->k = (long)s->model.k;
	eff->auto_k = 0;
	eff->km_fields = (const char *const *)s->model.field;
	eff->nkm = s->model.d;
	eff->log = s->model.log;
	if (s->model.d > 0 && (s->km = crm_reallocarray(
				   NULL, s->model.d, sizeof(*s->km))) == NULL)
		return nomem(e);
	return 0;
}

/* Open the store and its customer features and tags table. */
static int
open_store(struct crm_segment *s, struct crm_err *e)
{
	const struct crm_segment_opts *o = s->o;
	struct crm_activity_opts ao;

	if ((s->st = crm_store_open(o->db, (int)o->busy_ms, e)) == NULL)
		return -1;
	if (s->apply_wanted && load_model(s, e) == -1)
		return -1;
	memset(&ao, 0, sizeof(ao));
	ao.as_of = o->as_of;
	ao.id_field = o->id_field;
	ao.events_too = 1;
	ao.by = o->by;
	if ((s->act = crm_activity_open(s->st, &ao, e)) == NULL) {
		if (e->code == EX_USAGE)
			return crm_err_set(e, EX_USAGE,
			    "bad --as-of '%s': want a day, YYYY-MM-DD",
			    o->as_of);
		/* a store without events: an error only if features are read */
		if (e->code != EX_DATAERR || o->from_store)
			return -1;
		s->act_err = *e;
		crm_err_clear(e);
	}
	/* a model says whose the store's features were: person or record */
	if (s->act != NULL && o->fit)
		s->model.by = crm_activity_by(s->act);
	if (s->act != NULL && s->apply && s->model.by != CRM_BY_AUTO &&
	    crm_activity_by(s->act) != s->model.by)
		return crm_err_set(e, EX_DATAERR,
		    "model '%s' was fit --by %s, this run is --by %s: run "
		    "with --by %s, or fit it again --by %s",
		    o->model_file != NULL ? o->model_file : o->model,
		    crm_by_name(s->model.by),
		    crm_by_name(crm_activity_by(s->act)),
		    crm_by_name(s->model.by),
		    crm_by_name(crm_activity_by(s->act)));
	/* rule tags, RFM segments and clusters, with their history */
	if (o->fit)
		return 0;
	if ((s->rules != NULL || o->rfm || o->k > 0) &&
	    (s->tagdb = crm_tags_open(s->st, e)) == NULL)
		return -1;
	if (s->npurposes > 0 &&
	    (s->consent = crm_consent_open(s->st, e)) == NULL)
		return -1;
	/* the decisions go in the tags' transactions */
	if ((s->rules != NULL || o->rfm || o->k > 0) &&
	    (s->audit = crm_audit_open_batch(s->st, crm_tags_batch(s->tagdb),
		 "crm-tag", "rules", 0, e)) == NULL)
		return -1;
	return 0;
}

struct crm_segment *
crm_segment_new(const struct crm_segment_opts *o, struct crm_err *e)
{
	struct crm_segment *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		nomem(e);
		return NULL;
	}
	s->eff = *o;
	s->o = &s->eff;
	crm_tagmodel_init(&s->model);
	crm_model_input_init(&s->in);
	s->apply_wanted = !o->fit && (o->model_file != NULL || o->model);
	s->hold = !s->apply_wanted && (o->rfm || o->k > 0);
	crm_buf_init(&s->buf);
	crm_buf_init(&s->pack);
	if ((s->feat = crm_rec_new()) == NULL ||
	    (s->out = crm_rec_new()) == NULL) {
		nomem(e);
		goto fail;
	}
	crm_buf_init(&s->sup);
	if (load_rules(s, e) == -1)
		goto fail;
	crm_err_clear(e);
	if (s->npurposes > 0 && o->db == NULL)
		crm_warnx("no --db: consent is not checked, action rules tag "
			  "every customer they match");
	if ((o->db == NULL && s->apply_wanted && load_model(s, e) == -1) ||
	    (o->db != NULL && open_store(s, e) == -1) ||
	    feature_names(s, e) == -1)
		goto fail;
	return s;
fail:
	crm_segment_close(s, NULL);
	return NULL;
}

int
crm_segment_close(struct crm_segment *s, struct crm_err *e)
{
	struct crm_err e2;
	size_t i;
	int rc = 0;

	if (s == NULL)
		return 0;
	for (i = 0; e != NULL && !s->o->quiet && i < s->npurposes; i++)
		if (s->purposes[i].suppressed > 0)
			crm_warnx("%llu action%s suppressed: consent for %s "
				  "withdrawn",
			    s->purposes[i].suppressed,
			    s->purposes[i].suppressed == 1 ? "" : "s",
			    s->purposes[i].name);
	crm_err_clear(&e2);
	/* the audit first: it may borrow the tags' batch */
	if (crm_audit_close(s->audit, e ? e : &e2) == -1)
		rc = -1;
	if (crm_tags_close(s->tagdb, e ? e : &e2) == -1)
		rc = -1;
	crm_buf_release(&s->why);
	free(s->rule_file);
	crm_buf_release(&s->pack);
	crm_rec_free(s->out);
	free(s->held);
	free(s->res);
	crm_tagmodel_release(&s->model);
	crm_model_input_release(&s->in);
	free(s->untyped);
	free(s->rfm);
	free(s->km);
	for (i = 0; s->rules != NULL && i < crm_rules_count(s->rules); i++)
		free(s->rule_text[i]);
	free(s->rule_text);
	for (i = 0; i < s->nwhere; i++)
		free(s->where[i]);
	free(s->where);
	free(s->rule_tag);
	free(s->tag);
	free(s->feat_names);
	crm_rules_free(s->rules);
	for (i = 0; s->files != NULL && i < s->o->nrules; i++)
		crm_rulefile_release(&s->files[i]);
	free(s->files);
	crm_rec_free(s->feat);
	crm_buf_release(&s->buf);
	crm_activity_close(s->act);
	crm_consent_close(s->consent);
	for (i = 0; i < s->npurposes; i++)
		free(s->purposes[i].name);
	free(s->purposes);
	crm_buf_release(&s->sup);
	crm_store_close(s->st);
	free(s);
	return rc;
}

/* ==== As a filter ==== */

static int
ops_check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_segment_check_header(arg, hdr, e);
}

/*
 * JSONL has no header: a field a rule reads that the first record lacks
 * (and that is no customer feature of the store) is said once as a
 * likely typo.  Later records may lack it: a rule on a missing field is
 * false, as for a null.
 */
static int
ops_needs(void *arg, struct crm_filter *f)
{
	struct crm_segment *s = arg;
	size_t n = s->rules != NULL ? crm_rules_nnames(s->rules) : 0, i, u;
	const char *name;
	char where[512];

	if (n == 0)
		return 0;
	if ((s->where = calloc(n, sizeof(*s->where))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		name = crm_rules_name(s->rules, i);
		if (own_field(s->o, name) || is_feature(s, name))
			continue;
		u = crm_rules_name_user(s->rules, i);
		snprintf(where, sizeof(where), "rule %s:%lu%s",
		    crm_rules_file(s->rules, u), crm_rules_line(s->rules, u),
		    s->st == NULL && crm_activity_find(name, strlen(name)) >= 0
			? ", a customer feature of the store: give --db"
			: "");
		if ((s->where[s->nwhere] = strdup(where)) == NULL)
			return -1;
		if (crm_filter_need(f, name, s->where[s->nwhere++], 0) == -1)
			return -1;
	}
	return 0;
}

static int
ops_out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_segment_out_header(arg, hdr, e);
}

static int
ops_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_segment *s = arg;
	enum crm_format fmt = crm_filter_format(s->f);

	return crm_segment_add(
	    s, r, fmt == CRM_FMT_CSV || fmt == CRM_FMT_TSV, drop, e);
}

static void
ops_idle(void *arg)
{
	crm_segment_idle(arg);
}

static int
ops_emit(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(arg, r, e);
}

static int
ops_finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	return crm_segment_finish(arg, ops_emit, f, e);
}

const struct crm_filter_ops *
crm_segment_ops(void)
{
	static const struct crm_filter_ops ops = { ops_check_header,
		ops_out_header, ops_record, ops_idle, ops_finish, ops_needs };

	return &ops;
}

void
crm_segment_bind(struct crm_segment *s, struct crm_filter *f)
{
	s->f = f;
}
