/*
 * profile: a customer's 360-degree view, read from the store's
 * customer_360 view (see profile.h and crm-store(5)).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "profile.h"
#include "rec.h"

/* The output fields after customer_id and found, in the view's order. */
static const char *const sections[] = {
	"customer",
	"cluster",
	"consent",
	"tags",
	"churn",
	"recommendations",
	"tickets",
	"messages",
	"decisions",
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/*
 * One statement, so that a customer's sections are one read.  The
 * sections come from customer_360 as they are, but for the messages and
 * decisions, whose counts are options: these are the view's own
 * subqueries (schema 7) with the limit bound, and at the defaults they
 * answer as the view does (t113 checks it).
 */
#define J(x)                                                                 \
	"CASE WHEN json_valid(" x ") AND substr(" x ", 1, 1) IN ('{', '[') " \
	"THEN json(" x ") ELSE " x " END"
#define J_OUTPUT  J("output")
#define J_REASONS J("reasons")
#define J_REVIEW  J("review")
static const char view_sql[] =
    "SELECT v.customer, v.cluster, v.consent, v.tags, v.churn,"
    " v.recommendations, v.tickets,"
    " (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "  'event_key', event_key, 'time', time, 'channel', channel,"
    "  'text', text, 'intent', intent, 'intent_score', intent_score,"
    "  'sentiment', sentiment, 'sentiment_score', sentiment_score) AS j"
    "  FROM customer_360_messages WHERE customer_id = v.customer_id"
    "  ORDER BY time DESC, event_key DESC LIMIT ?2)),"
    " (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "  'id', id, 'time', time, 'tool', tool, 'model', model,"
    "  'model_version', model_version, 'record_key', record_key,"
    "  'output', " J_OUTPUT ", 'score', score,"
    "  'reasons', " J_REASONS ", 'review', " J_REVIEW ") AS j"
    "  FROM customer_360_decisions WHERE customer_id = v.customer_id"
    "  ORDER BY id DESC LIMIT ?3))"
    " FROM customer_360 v WHERE v.customer_id = ?1";

struct crm_profile {
	struct crm_profile_opts o;
	struct crm_store *s;
	sqlite3_stmt *view; /* view_sql */
	sqlite3_stmt *all;  /* --all: every customer id */
	unsigned long long found, missing;
	unsigned long nall; /* --all: ids so far, as lines */
	struct crm_buf id;  /* a record's id, copied: the record is reused */
};

void
crm_profile_opts_init(struct crm_profile_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->id_field = "customer_id";
	o->decisions = CRM_PROFILE_DECISIONS;
	o->messages = CRM_PROFILE_MESSAGES;
}

/* Whether the store has the view (a store from before schema 7 cannot). */
static int
has_view(struct crm_profile *p, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(p->s),
		"SELECT 1 FROM sqlite_master WHERE type = 'view' AND "
		"name = 'customer_360'",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(p->s, e, "cannot read the schema");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return crm_store_fail(p->s, e, "cannot read the schema");
	return crm_err_set(
	    e, EX_UNAVAILABLE, "the store has no view customer_360");
}

struct crm_profile *
crm_profile_new(
    const struct crm_profile_opts *o, struct crm_store *s, struct crm_err *e)
{
	struct crm_profile *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	p->o = *o;
	p->s = s;
	if (has_view(p, e) == -1)
		goto fail;
	if (sqlite3_prepare_v3(crm_store_db(s), view_sql, -1,
		SQLITE_PREPARE_PERSISTENT, &p->view, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read the view customer_360");
		goto fail;
	}
	return p;
fail:
	free(p);
	return NULL;
}

void
crm_profile_free(struct crm_profile *p)
{
	if (p == NULL)
		return;
	sqlite3_finalize(p->view);
	sqlite3_finalize(p->all);
	crm_buf_release(&p->id);
	free(p);
}

void
crm_profile_counts(const struct crm_profile *p, unsigned long long *found,
    unsigned long long *missing)
{
	*found = p->found;
	*missing = p->missing;
}

int
crm_profile_get(struct crm_profile *p, const char *id, size_t len,
    struct crm_rec *r, int *found, struct crm_err *e)
{
	const char *v;
	size_t i;
	int rc, bad = 0;

	crm_rec_clear(r);
	sqlite3_bind_text64(p->view, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(p->view, 2, p->o.messages);
	sqlite3_bind_int64(p->view, 3, p->o.decisions);
	rc = sqlite3_step(p->view);
	*found = rc == SQLITE_ROW;
	if (crm_rec_add(r, "customer_id", 11, id, len, CRM_STRING) == -1 ||
	    crm_rec_add(r, "found", 5, *found ? "true" : "false",
		*found ? 4 : 5, *found ? CRM_TRUE : CRM_FALSE) == -1)
		bad = 1;
	for (i = 0; i < NSECTIONS && !bad; i++) {
		v = *found ? (const char *)sqlite3_column_text(p->view, (int)i)
			   : NULL;
		if (v == NULL)
			bad = crm_rec_add(r, sections[i], strlen(sections[i]),
				  "null", 4, CRM_NULL) == -1;
		else
			bad = crm_rec_add(r, sections[i], strlen(sections[i]),
				  v,
				  (size_t)sqlite3_column_bytes(p->view, (int)i),
				  CRM_JSON) == -1;
	}
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(p->view);
	sqlite3_reset(p->view);
	if (rc != SQLITE_DONE)
		return crm_store_fail(
		    p->s, e, "cannot read the view customer_360");
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (*found)
		p->found++;
	else
		p->missing++;
	return 0;
}

/* ==== The filter ==== */

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	size_t i;

	(void)arg;
	crm_rec_clear(hdr);
	if (crm_rec_add(hdr, "customer_id", 11, "", 0, CRM_STRING) == -1 ||
	    crm_rec_add(hdr, "found", 5, "", 0, CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < NSECTIONS; i++)
		if (crm_rec_add(hdr, sections[i], strlen(sections[i]), "", 0,
			CRM_STRING) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_profile *p = arg;
	const char *id;
	size_t len;
	int found, rc;

	*drop = 0;
	if ((id = crm_rec_text(r, p->o.id_field, &len)) == NULL) {
		crm_err_field(e, p->o.id_field, strlen(p->o.id_field));
		return crm_err_set(e, EX_DATAERR, "no customer id");
	}
	/* the id lives in r, which crm_profile_get() clears */
	crm_buf_reset(&p->id);
	if (crm_buf_add(&p->id, id, len) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	rc = crm_profile_get(p, p->id.p, len, r, &found, e);
	if (rc == 0 && !found && p->o.not_found != NULL)
		p->o.not_found(p->id.p, len);
	/* a store that fails is no fault of the record */
	return rc == 0 ? 0 : CRM_FILTER_FATAL;
}

static int
needs(void *arg, struct crm_filter *f)
{
	struct crm_profile *p = arg;

	return crm_filter_need(f, p->o.id_field, "--id-field", CRM_NEED_EVERY);
}

const struct crm_filter_ops *
crm_profile_ops(void)
{
	static const struct crm_filter_ops ops = { NULL, out_header, record,
		NULL, NULL, needs };

	return &ops;
}

/* ==== --all ==== */

static int
all_next(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct crm_profile *p = arg;
	int rc;

	crm_rec_clear(r);
	if ((rc = sqlite3_step(p->all)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return crm_store_fail(p->s, e, "cannot read the customers");
	if (crm_rec_add(r, p->o.id_field, strlen(p->o.id_field),
		(const char *)sqlite3_column_text(p->all, 0),
		(size_t)sqlite3_column_bytes(p->all, 0), CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_rec_set_line(r, ++p->nall);
	return 1;
}

static void
all_close(void *arg)
{
	struct crm_profile *p = arg;

	sqlite3_finalize(p->all);
	p->all = NULL;
}

int
crm_profile_source(
    struct crm_profile *p, struct crm_source *src, struct crm_err *e)
{
	if (sqlite3_prepare_v2(crm_store_db(p->s),
		"SELECT customer_id FROM customers ORDER BY customer_id", -1,
		&p->all, NULL) != SQLITE_OK)
		return crm_store_fail(p->s, e, "cannot read the customers");
	src->name = "store";
	src->fmt = CRM_FMT_JSONL;
	src->next = all_next;
	src->close = all_close;
	src->arg = p;
	return 0;
}
