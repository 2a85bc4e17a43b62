/*
 * profile: a customer's 360-degree view, read from the store's
 * customer_360 view (see profile.h and crm-store(5)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "profile.h"
#include "rec.h"
#include "view360.h"

/* The output fields after the id and found, in each view's order. */
static const char *const customer_sections[] = { "customer", "cluster",
	"consent", "tags", "churn", "recommendations", "tickets", "messages",
	"decisions", NULL };
static const char *const person_sections[] = { "person", "records", "consent",
	"tags", "rfm", "kmeans", "churn", "recommendations", "tickets",
	"messages", "decisions", NULL };

#define CUSTOMER_MESSAGES  CRM_360_CUSTOMER_MESSAGES("v", "?2")
#define CUSTOMER_DECISIONS CRM_360_CUSTOMER_DECISIONS("v", "?3")
#define PERSON_MESSAGES	   CRM_360_PERSON_MESSAGES("v", "?2")
#define PERSON_DECISIONS   CRM_360_PERSON_DECISIONS("v", "?3")

/*
 * One statement a kind, so that an id's sections are one read.  The
 * sections come from the view as they are, but for the messages and
 * decisions, whose counts are options: these are the view's own
 * subqueries (view360.h) with the limit bound, and at the defaults they
 * answer as the view does (t113 and t117 check it).
 */
static const char customer_sql[] =
    "SELECT v.customer, v.cluster, v.consent, v.tags, v.churn,"
    " v.recommendations, v.tickets, " CUSTOMER_MESSAGES ", " CUSTOMER_DECISIONS
    " FROM customer_360 v WHERE v.customer_id = ?1";
static const char person_sql[] =
    "SELECT v.person, v.records, v.consent, v.tags, v.rfm, v.kmeans, v.churn,"
    " v.recommendations, v.tickets, " PERSON_MESSAGES ", " PERSON_DECISIONS
    " FROM person_360 v WHERE v.person_id = ?1";

/* What each kind of id reads. */
static const struct kind {
	const char *view; /* the 360-degree view */
	const char *key;  /* its id, the output's first field */
	const char *const *sections;
	const char *sql;
	const char *all; /* --all: every id */
	const char *what;
} kinds[] = {
	[CRM_PROFILE_CUSTOMER] = { "customer_360", "customer_id",
	    customer_sections, customer_sql,
	    "SELECT customer_id FROM customers ORDER BY customer_id",
	    "customers" },
	/* a person merged into another is no longer one of --all */
	[CRM_PROFILE_PERSON] = { "person_360", "person_id", person_sections,
	    person_sql,
	    "SELECT person_id FROM persons WHERE merged_into IS NULL"
	    " ORDER BY person_id",
	    "persons" },
};

struct crm_profile {
	struct crm_profile_opts o;
	const struct kind *k;
	struct crm_store *s;
	sqlite3_stmt *view; /* k->sql */
	sqlite3_stmt *all;  /* --all: every customer id */
	unsigned long long found, missing;
	unsigned long nall; /* --all: ids so far, as lines */
	struct crm_buf id;  /* a record's id, copied: the record is reused */
};

void
crm_profile_opts_init(struct crm_profile_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->by = CRM_PROFILE_CUSTOMER;
	o->decisions = CRM_PROFILE_DECISIONS;
	o->messages = CRM_PROFILE_MESSAGES;
}

/* Whether the store has the view (one from before schema 7 or 8 cannot). */
static int
has_view(struct crm_profile *p, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(p->s),
		"SELECT 1 FROM sqlite_master WHERE type = 'view' AND "
		"name = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(p->s, e, "cannot read the schema");
	sqlite3_bind_text(st, 1, p->k->view, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return crm_store_fail(p->s, e, "cannot read the schema");
	return crm_err_set(
	    e, EX_UNAVAILABLE, "the store has no view %s", p->k->view);
}

static int
view_fail(struct crm_profile *p, struct crm_err *e)
{
	char what[64];

	snprintf(what, sizeof(what), "cannot read the view %s", p->k->view);
	return crm_store_fail(p->s, e, what);
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
	p->k = &kinds[o->by];
	if (p->o.id_field == NULL)
		p->o.id_field = p->k->key;
	if (has_view(p, e) == -1)
		goto fail;
	if (sqlite3_prepare_v3(crm_store_db(s), p->k->sql, -1,
		SQLITE_PREPARE_PERSISTENT, &p->view, NULL) != SQLITE_OK) {
		view_fail(p, e);
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
	const char *const *sec = p->k->sections;
	const char *v;
	size_t i;
	int rc, bad = 0;

	crm_rec_clear(r);
	sqlite3_bind_text64(p->view, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(p->view, 2, p->o.messages);
	sqlite3_bind_int64(p->view, 3, p->o.decisions);
	rc = sqlite3_step(p->view);
	*found = rc == SQLITE_ROW;
	if (crm_rec_add(r, p->k->key, strlen(p->k->key), id, len, CRM_STRING) ==
		-1 ||
	    crm_rec_add(r, "found", 5, *found ? "true" : "false",
		*found ? 4 : 5, *found ? CRM_TRUE : CRM_FALSE) == -1)
		bad = 1;
	for (i = 0; sec[i] != NULL && !bad; i++) {
		v = *found ? (const char *)sqlite3_column_text(p->view, (int)i)
			   : NULL;
		if (v == NULL)
			bad = crm_rec_add(r, sec[i], strlen(sec[i]), "null", 4,
				  CRM_NULL) == -1;
		else
			bad = crm_rec_add(r, sec[i], strlen(sec[i]), v,
				  (size_t)sqlite3_column_bytes(p->view, (int)i),
				  CRM_JSON) == -1;
	}
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(p->view);
	sqlite3_reset(p->view);
	if (rc != SQLITE_DONE)
		return view_fail(p, e);
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
	struct crm_profile *p = arg;
	const char *const *sec = p->k->sections;
	size_t i;

	crm_rec_clear(hdr);
	if (crm_rec_add(hdr, p->k->key, strlen(p->k->key), "", 0, CRM_STRING) ==
		-1 ||
	    crm_rec_add(hdr, "found", 5, "", 0, CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; sec[i] != NULL; i++)
		if (crm_rec_add(
			hdr, sec[i], strlen(sec[i]), "", 0, CRM_STRING) == -1)
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
		return crm_err_set(e, EX_DATAERR, "no %s id",
		    p->o.by == CRM_PROFILE_PERSON ? "person" : "customer");
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
all_fail(struct crm_profile *p, struct crm_err *e)
{
	char what[64];

	snprintf(what, sizeof(what), "cannot read the %s", p->k->what);
	return crm_store_fail(p->s, e, what);
}

static int
all_next(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct crm_profile *p = arg;
	int rc;

	crm_rec_clear(r);
	if ((rc = sqlite3_step(p->all)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return all_fail(p, e);
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
	if (sqlite3_prepare_v2(
		crm_store_db(p->s), p->k->all, -1, &p->all, NULL) != SQLITE_OK)
		return all_fail(p, e);
	src->name = "store";
	src->fmt = CRM_FMT_JSONL;
	src->next = all_next;
	src->close = all_close;
	src->arg = p;
	return 0;
}
