/*
 * consent: loading and checking the consent table (see consent.h).  Times
 * are compared as SQLite's julianday() reads them, so a date alone
 * ("2026-03-01", its midnight) and a date-time with or without a "Z",
 * both of which crm-ingest may store, order as the instants they are.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "clock.h"
#include "consent.h"
#include "merge.h"

struct crm_consent_load {
	struct crm_store *s;
	sqlite3_stmt *ins, *upd;
};

struct crm_consent {
	struct crm_store *s;
	sqlite3_stmt *rows;
	char as_of[21];
	double day; /* as_of as a Julian day number, as julianday() has it */
	struct crm_person_records *recs; /* by person, opened when needed */
	const char *purpose;		 /* of the record checked */
};

int
crm_consent_word(const char *v, size_t n)
{
	static const char *const yes[] = { "granted", "yes", "true", "1" };
	static const char *const no[] = { "withdrawn", "no", "false", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == n && strncasecmp(v, yes[i], n) == 0)
			return 1;
		if (strlen(no[i]) == n && strncasecmp(v, no[i], n) == 0)
			return 0;
	}
	return -1;
}

/* ==== Loading ==== */

struct crm_consent_load *
crm_consent_load_new(struct crm_store *s, struct crm_err *e)
{
	struct crm_consent_load *cl;
	sqlite3 *db = crm_store_db(s);

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	cl->s = s;
	/*
	 * Two statements, as lib/load.c has them, so that changes() tells
	 * inserted, updated and unchanged apart.  A record without a
	 * source keeps the one stored.
	 */
	if (sqlite3_prepare_v3(db,
		"INSERT INTO consent(customer_id, purpose, granted, time, "
		"source) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
		-1, SQLITE_PREPARE_PERSISTENT, &cl->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db,
		"UPDATE consent SET granted = ?3, "
		"source = coalesce(?5, source) "
		"WHERE customer_id = ?1 AND purpose = ?2 AND time = ?4 "
		"AND (granted IS NOT ?3 OR "
		"(?5 IS NOT NULL AND source IS NOT ?5))",
		-1, SQLITE_PREPARE_PERSISTENT, &cl->upd, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot prepare the consent");
		crm_consent_load_free(cl);
		return NULL;
	}
	return cl;
}

void
crm_consent_load_free(struct crm_consent_load *cl)
{
	if (cl == NULL)
		return;
	sqlite3_finalize(cl->ins);
	sqlite3_finalize(cl->upd);
	free(cl);
}

/* The granted field of r: 1, 0, or -1 with e filled. */
static int
granted_of(const struct crm_rec *r, struct crm_err *e)
{
	long i = crm_rec_find(r, "granted", 7);
	const char *v = "";
	size_t len = 0;
	int g = -1;

	if (i >= 0 && crm_rec_type(r, (size_t)i) == CRM_TRUE)
		return 1;
	if (i >= 0 && crm_rec_type(r, (size_t)i) == CRM_FALSE)
		return 0;
	if (i >= 0 && crm_rec_type(r, (size_t)i) != CRM_NULL) {
		v = crm_rec_value(r, (size_t)i, &len);
		g = crm_consent_word(v, len);
	}
	if (g >= 0)
		return g;
	crm_err_field(e, "granted", 7);
	return crm_err_set(e, EX_DATAERR, "want %s (got '%.*s')",
	    CRM_CONSENT_WORDS, (int)(len > 60 ? 60 : len), v);
}

int
crm_consent_load_put(struct crm_consent_load *cl, const struct crm_rec *r,
    enum crm_load_result *res, struct crm_err *e)
{
	static const char *const names[] = { "customer_id", "purpose", "time",
		"source" };
	static const int at[] = { 1, 2, 4, 5 };
	const char *v[4];
	size_t len[4], i;
	sqlite3_stmt *st;
	int g, k, rc;

	if ((g = granted_of(r, e)) == -1)
		return -1;
	for (i = 0; i < 4; i++)
		if ((v[i] = crm_rec_text(r, names[i], &len[i])) == NULL) {
			if (i == 3)
				continue;
			crm_err_field(e, names[i], strlen(names[i]));
			return crm_err_set(
			    e, EX_DATAERR, "required field is empty");
		}
	for (k = 0; k < 2; k++) {
		st = k == 0 ? cl->ins : cl->upd;
		for (i = 0; i < 4; i++)
			if (v[i] == NULL)
				sqlite3_bind_null(st, at[i]);
			else
				sqlite3_bind_text64(st, at[i], v[i], len[i],
				    SQLITE_STATIC, SQLITE_UTF8);
		sqlite3_bind_int(st, 3, g);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return crm_store_fail(cl->s, e, "cannot store consent");
		if (sqlite3_changes(crm_store_db(cl->s)) > 0) {
			*res = k == 0 ? CRM_LOAD_INSERTED : CRM_LOAD_UPDATED;
			return 0;
		}
	}
	*res = CRM_LOAD_UNCHANGED;
	return 0;
}

/* ==== Checking ==== */

/*
 * The reference time as julianday() reads it, so that a row at that very
 * time compares equal, not a rounding apart.  0, or -1.
 */
static int
as_of_day(struct crm_consent *c)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(c->s), "SELECT julianday(?1)", -1,
		&st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, c->as_of, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		c->day = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

struct crm_consent *
crm_consent_open(struct crm_store *s, struct crm_err *e)
{
	struct crm_consent *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	c->s = s;
	crm_clock_iso(c->as_of);
	/*
	 * The primary key (customer_id, purpose, time) finds the rows of
	 * one customer and purpose: a few, whose latest is picked here
	 * rather than by ORDER BY, which would sort them in a temporary
	 * b-tree on every lookup.  A purpose matches without regard to
	 * ASCII case: Marketing_Email is marketing_email.
	 */
	if (sqlite3_prepare_v3(crm_store_db(s),
		"SELECT julianday(time), granted FROM consent "
		"WHERE customer_id = ?1 AND purpose = ?2 COLLATE NOCASE",
		-1, SQLITE_PREPARE_PERSISTENT, &c->rows, NULL) != SQLITE_OK ||
	    as_of_day(c) == -1) {
		crm_store_fail(s, e, "cannot read the consent");
		sqlite3_finalize(c->rows);
		free(c);
		return NULL;
	}
	return c;
}

void
crm_consent_close(struct crm_consent *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->rows);
	crm_person_records_close(c->recs);
	free(c);
}

int
crm_consent_withdrawn(struct crm_consent *c, const char *id, size_t len,
    const char *purpose, struct crm_err *e)
{
	double t, latest = -1;
	int rc, w = 0;

	sqlite3_bind_text64(c->rows, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(c->rows, 2, purpose, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(c->rows)) == SQLITE_ROW) {
		/* A time julianday() cannot read is no time: NULL, skipped. */
		if (sqlite3_column_type(c->rows, 0) == SQLITE_NULL ||
		    (t = sqlite3_column_double(c->rows, 0)) > c->day ||
		    t < latest)
			continue;
		/* Of two at one instant, the withdrawal wins. */
		if (t > latest)
			w = 0;
		w |= sqlite3_column_int(c->rows, 1) == 0;
		latest = t;
	}
	sqlite3_reset(c->rows);
	if (rc != SQLITE_DONE)
		return crm_store_fail(c->s, e, "cannot read the consent");
	return w;
}

/* One record of a person (crm_person_records_each's fn). */
static int
record_withdrawn(void *arg, const char *rid, size_t rlen, struct crm_err *e)
{
	struct crm_consent *c = arg;

	return crm_consent_withdrawn(c, rid, rlen, c->purpose, e);
}

int
crm_consent_withdrawn_by(struct crm_consent *c, enum crm_by by, const char *id,
    size_t len, const char *purpose, struct crm_err *e)
{
	if (by != CRM_BY_PERSON)
		return crm_consent_withdrawn(c, id, len, purpose, e);
	if (c->recs == NULL &&
	    (c->recs = crm_person_records_open(c->s, e)) == NULL)
		return -1;
	c->purpose = purpose;
	return crm_person_records_each(
	    c->recs, id, len, record_withdrawn, c, e);
}

const char *
crm_consent_as_of(const struct crm_consent *c)
{
	return c->as_of;
}

const struct crm_erase_step crm_consent_erase[] = {
	{ "consent", "deleted",
	    "DELETE FROM consent WHERE customer_id = ?1 AND granted = 1" },
	{ "consent", "kept",
	    "UPDATE consent SET source = NULL WHERE customer_id = ?1" },
	{ NULL, NULL, NULL },
};

int
crm_consent_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	return crm_merge_copy(m, shard, mark,
	    "SELECT " CRM_CONSENT_ROW_KEY ", customer_id, purpose, granted, "
	    "time, source FROM consent ORDER BY 1",
	    "INSERT INTO consent(customer_id, purpose, granted, time, source) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET "
	    "granted = excluded.granted, "
	    "source = coalesce(excluded.source, source) "
	    "WHERE granted IS NOT excluded.granted OR "
	    "(excluded.source IS NOT NULL AND source IS NOT excluded.source)",
	    changed, e);
}
