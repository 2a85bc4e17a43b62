/*
 * activity: the customer features of activity.h, one SQL query per
 * customer over that customer's events (found through the index on
 * events(customer_id, time)), built from the expressions of the features
 * asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "activity.h"
#include "buf.h"
#include "clusters.h"

/*
 * Each feature is an aggregate over ev, the customer's events up to the
 * as-of day (?1, a Julian day): type, amount, event_key, category (the
 * event's extra "category", else its item) and age in days.  ?2 is the
 * customer's id.  Per person (--by person), ev is the events of every
 * record of the customer's person, who (id) those records, and the
 * tenure runs from their earliest signup; per record the query is the
 * customer's alone, as before persons.  The first eleven are
 * crm-churn's, in its order.
 */
static const struct feature {
	const char *name;
	const char *sql;
} catalogue[] = {
	{ "tenure_days", "(SELECT CAST(?1 - julianday(signup_date) AS INTEGER)"
			 " FROM customers WHERE customer_id = ?2)" },
	{ "days_since_last_event", "CAST(min(age) AS INTEGER)" },
	{ "days_since_last_order", "CAST(min(age) FILTER (WHERE type = "
				   "'order') AS INTEGER)" },
	{ "orders", "count(type) FILTER (WHERE type = 'order')" },
	{ "spend", "round(coalesce(sum(amount) FILTER (WHERE type = 'order'),"
		   " 0), 2)" },
	{ "events_30d", "count(type) FILTER (WHERE age < 30)" },
	{ "events_90d", "count(type) FILTER (WHERE age < 90)" },
	{ "activity_trend", "count(type) FILTER (WHERE age < 30) - count(type) "
			    "FILTER"
			    " (WHERE age >= 30 AND age < 90) / 2.0" },
	{ "logins_90d", "count(type) FILTER (WHERE type = 'login' AND"
			" age < 90)" },
	{ "complaints_90d", "count(type) FILTER (WHERE type = 'complaint' AND"
			    " age < 90)" },
	{ "negative_messages_90d", "count(type) FILTER (WHERE age < 90 AND "
				   "EXISTS (SELECT 1 FROM"
				   " decisions d WHERE d.record_key = "
				   "ev.event_key AND"
				   " d.model = 'sentiment' AND d.output = "
				   "'negative'))" },
	{ "recency", "CAST(min(age) FILTER (WHERE type = 'order') AS "
		     "INTEGER)" },
	{ "frequency", "count(type) FILTER (WHERE type = 'order')" },
	{ "monetary", "round(coalesce(sum(amount) FILTER (WHERE type ="
		      " 'order'), 0), 2)" },
	{ "avg_order_value", "round(avg(amount) FILTER (WHERE type = 'order'), "
			     "2)" },
	{ "days_since_login", "CAST(min(age) FILTER (WHERE type = 'login') AS "
			      "INTEGER)" },
	{ "logins_30d", "count(type) FILTER (WHERE type = 'login' AND"
			" age < 30)" },
	{ "orders_30d", "count(type) FILTER (WHERE type = 'order' AND"
			" age < 30)" },
	{ "events_prev_90d", "count(type) FILTER (WHERE age >= 30 AND"
			     " age < 120)" },
	{ "top_category_30d", "(SELECT category FROM ev WHERE age < 30 AND "
			      "category IS NOT NULL"
			      " GROUP BY category ORDER BY count(*) DESC, "
			      "category LIMIT 1)" },
	{ "top_category_prev", "(SELECT category FROM ev WHERE age >= 30 AND "
			       "age < 120 AND"
			       " category IS NOT NULL GROUP BY category ORDER "
			       "BY count(*) DESC,"
			       " category LIMIT 1)" },
	{ "category_overlap", "(SELECT CASE WHEN max(a) AND max(b) THEN "
			      "round(CAST(sum(a AND b)"
			      " AS REAL) / count(*), 4) END FROM (SELECT "
			      "max(age < 30) AS a,"
			      " max(age >= 30) AS b FROM ev WHERE category IS "
			      "NOT NULL AND"
			      " age < 120 GROUP BY category))" },
};

#define NFEATURES (sizeof(catalogue) / sizeof(catalogue[0]))

/* tenure_days per person: from the earliest signup of its records */
static const char person_tenure[] = "(SELECT CAST(?1 - "
				    "julianday(min(signup_date)) AS INTEGER)"
				    " FROM who JOIN customers ON customer_id = "
				    "who.id)";

struct crm_activity {
	struct crm_store *s;
	sqlite3_stmt *one;  /* the features of ?2 */
	sqlite3_stmt *keys; /* every customer, and o->extra */
	const char **name;  /* the features asked for */
	size_t n;
	const char *id_field, *extra;
	enum crm_by by; /* person or record */
	double day;	/* the as-of day, Julian */
	char as_of[16]; /* the same, YYYY-MM-DD */
	/* one record per person (o->one_per_person, by person) */
	int per_person;
	int (*rank)(const char *v, size_t len); /* o->extra_rank */
	int held;  /* keys' row is the next person's first, not yet read */
	int ended; /* keys came to its end after the person given last */
	struct crm_buf pid, member, x; /* the person's id, a record's id,
					  the extra value kept */
	int xtype;		       /* that value's SQLite type */
};

size_t
crm_activity_count(void)
{
	return NFEATURES;
}

const char *
crm_activity_name(size_t i)
{
	return catalogue[i].name;
}

long
crm_activity_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NFEATURES; i++)
		if (strlen(catalogue[i].name) == len &&
		    memcmp(catalogue[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

const char *
crm_activity_as_of(const struct crm_activity *f)
{
	return f->as_of;
}

enum crm_by
crm_activity_by(const struct crm_activity *f)
{
	return f->by;
}

/* Find the as-of day: o->as_of, or the day of the last event. */
static int
as_of_day(struct crm_activity *f, const char *as_of, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(f->s);
	sqlite3_stmt *st;
	const char *d;
	int rc;

	if (sqlite3_prepare_v2(db,
		"SELECT date(julianday(coalesce(?1, (SELECT max(substr(time, "
		"1, 10)) FROM events)))), julianday(coalesce(?1, (SELECT "
		"max(substr(time, 1, 10)) FROM events)))",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(f->s, e, "cannot compute features");
	sqlite3_bind_text(st, 1, as_of, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return crm_store_fail(f->s, e, "cannot compute features");
	}
	if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
		sqlite3_finalize(st);
		if (as_of != NULL)
			return crm_err_set(e, EX_USAGE, "bad day '%s'", as_of);
		return crm_err_set(e, EX_DATAERR,
		    "%s has no events to compute features from (--as-of "
		    "gives the day when it has none yet)",
		    crm_store_path(f->s));
	}
	d = (const char *)sqlite3_column_text(st, 0);
	snprintf(f->as_of, sizeof(f->as_of), "%s", d ? d : "");
	f->day = sqlite3_column_double(st, 1);
	sqlite3_finalize(st);
	return 0;
}

/* The query of the features asked for. */
static int
build(struct crm_buf *b, const struct crm_activity *f)
{
	size_t i;
	int bad = 0;

	/* per person, who is flattened into each query that reads it */
	if (f->by == CRM_BY_PERSON)
		bad |= crm_buf_adds(b, "WITH who(id) AS NOT MATERIALIZED "
				       "(" CRM_PERSON_RECORDS("?2") "),\n");
	else
		bad |= crm_buf_adds(b, "WITH ");
	bad |= crm_buf_addf(b,
	    "ev AS (SELECT type, amount, event_key, CASE WHEN "
	    "json_valid(extra) THEN coalesce(json_extract(extra, "
	    "'$.category'), item) ELSE item END AS category, ?1 - "
	    "julianday(substr(time, 1, 10)) AS age FROM %s AND "
	    "julianday(substr(time, 1, 10)) <= ?1)\n"
	    "SELECT ",
	    f->by == CRM_BY_PERSON ? "who JOIN events ON events.customer_id = "
				     "who.id WHERE 1"
				   : "events WHERE customer_id = ?2");
	for (i = 0; i < f->n; i++) {
		long k = crm_activity_find(f->name[i], strlen(f->name[i]));

		bad |= crm_buf_addf(b, "%s%s", i ? ",\n  " : "",
		    f->by == CRM_BY_PERSON &&
			    strcmp(catalogue[k].name, "tenure_days") == 0
			? person_tenure
			: catalogue[k].sql);
	}
	/* no feature: still an aggregate, one row for a customer of none */
	if (f->n == 0)
		bad |= crm_buf_adds(b, "count(*)");
	return bad | crm_buf_adds(b, "\nFROM ev");
}

/*
 * The query of the customers, in id order (columns id, extra); per
 * person, each with its person's id (a third column), one person's
 * records together.
 */
static int
build_keys(struct crm_buf *b, const struct crm_activity *f, int events_too)
{
	const char *rows = events_too ? "SELECT k.customer_id AS id, "
					"json_extract(c.extra, '$.' || "
					"json_quote(?1)) AS x FROM (SELECT "
					"customer_id FROM "
					"customers UNION SELECT customer_id "
					"FROM events) k LEFT "
					"JOIN customers c ON c.customer_id = "
					"k.customer_id"
				      : "SELECT customer_id AS id, "
					"json_extract(extra, '$.' || "
					"json_quote(?1)) AS x FROM customers";

	if (!f->per_person)
		return crm_buf_addf(b, "%s ORDER BY 1", rows);
	return crm_buf_addf(b,
	    "SELECT r.id, r.x, " CRM_PERSON_OF("r.id") " FROM (%s) r "
						       "ORDER BY 3, 1",
	    rows);
}

struct crm_activity *
crm_activity_open(
    struct crm_store *s, const struct crm_activity_opts *o, struct crm_err *e)
{
	struct crm_activity *f;
	struct crm_buf sql, keys;
	size_t i;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->name = calloc(o->names ? o->nnames + 1 : NFEATURES,
		 sizeof(*f->name))) == NULL) {
		free(f);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	f->s = s;
	crm_buf_init(&f->pid);
	crm_buf_init(&f->member);
	crm_buf_init(&f->x);
	f->id_field = o->id_field ? o->id_field : "customer_id";
	f->extra = o->extra;
	f->n = o->names ? o->nnames : NFEATURES;
	for (i = 0; i < f->n; i++) {
		f->name[i] = o->names ? o->names[i] : catalogue[i].name;
		if (crm_activity_find(f->name[i], strlen(f->name[i])) < 0) {
			crm_err_set(e, EX_USAGE, "no customer feature '%s'",
			    f->name[i]);
			goto fail;
		}
	}
	f->by = o->by;
	if (crm_by_resolve(s, &f->by, e) == -1 ||
	    as_of_day(f, o->as_of, e) == -1)
		goto fail;
	f->per_person = o->one_per_person && f->by == CRM_BY_PERSON;
	f->rank = o->extra_rank;
	crm_buf_init(&sql);
	crm_buf_init(&keys);
	if (build(&sql, f) == -1 || build_keys(&keys, f, o->events_too) == -1) {
		crm_buf_release(&sql);
		crm_buf_release(&keys);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	if (sqlite3_prepare_v2(crm_store_db(s), sql.p, (int)sql.len, &f->one,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s), keys.p, (int)keys.len, &f->keys,
		NULL) != SQLITE_OK) {
		crm_buf_release(&sql);
		crm_buf_release(&keys);
		crm_store_fail(s, e, "cannot compute features");
		goto fail;
	}
	crm_buf_release(&sql);
	crm_buf_release(&keys);
	sqlite3_bind_double(f->one, 1, f->day);
	sqlite3_bind_text(
	    f->keys, 1, o->extra ? o->extra : "", -1, SQLITE_TRANSIENT);
	return f;
fail:
	crm_activity_close(f);
	return NULL;
}

void
crm_activity_close(struct crm_activity *f)
{
	if (f == NULL)
		return;
	sqlite3_finalize(f->one);
	sqlite3_finalize(f->keys);
	crm_buf_release(&f->pid);
	crm_buf_release(&f->member);
	crm_buf_release(&f->x);
	free(f->name);
	free(f);
}

/* The field type of a value of SQLite type t. */
static enum crm_type
type_of(int t)
{
	return t == SQLITE_NULL				  ? CRM_NULL
	       : t == SQLITE_INTEGER || t == SQLITE_FLOAT ? CRM_NUMBER
							  : CRM_STRING;
}

/* Add column i of st to out as a field named name. */
static int
add_column(struct crm_rec *out, const char *name, sqlite3_stmt *st, int i)
{
	int t = sqlite3_column_type(st, i);
	const char *v = (const char *)sqlite3_column_text(st, i);
	size_t len = (size_t)sqlite3_column_bytes(st, i);

	return crm_rec_add(
	    out, name, strlen(name), v ? v : "", len, type_of(t));
}

/* Copy column i of st into b (emptied first); -1 when out of memory. */
static int
copy_column(struct crm_buf *b, sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	crm_buf_reset(b);
	return crm_buf_add(b, v ? v : "", (size_t)sqlite3_column_bytes(st, i));
}

/* Append the features of id to out. */
static int
features_of(struct crm_activity *f, const char *id, size_t len,
    struct crm_rec *out, struct crm_err *e)
{
	size_t i;
	int rc;

	sqlite3_bind_text64(f->one, 2, id, len, SQLITE_TRANSIENT, SQLITE_UTF8);
	if ((rc = sqlite3_step(f->one)) != SQLITE_ROW) {
		sqlite3_reset(f->one);
		return crm_store_fail(f->s, e, "cannot compute features");
	}
	for (i = 0; i < f->n; i++)
		if (add_column(out, f->name[i], f->one, (int)i) == -1) {
			sqlite3_reset(f->one);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	sqlite3_reset(f->one);
	return 0;
}

int
crm_activity_get(struct crm_activity *f, const char *id, size_t len,
    struct crm_rec *out, struct crm_err *e)
{
	crm_rec_clear(out);
	return features_of(f, id, len, out, e);
}

/* Step keys: 1 at a row, 0 at the end (reset), -1 with e filled. */
static int
step_keys(struct crm_activity *f, struct crm_err *e)
{
	int rc = sqlite3_step(f->keys);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(f->keys);
	if (rc == SQLITE_DONE)
		return 0;
	return crm_store_fail(f->s, e, "cannot read the customers");
}

/*
 * crm_activity_next per person: read the rows of the next person (keys
 * is in person id order), keeping its id, a record's id (any one gives
 * the person's features) and the extra value ranked lowest.
 */
static int
next_person(struct crm_activity *f, struct crm_rec *out, struct crm_err *e)
{
	int rc, r, best = 0, have = 0;

	if (f->ended) {
		f->ended = 0;
		return 0;
	}
	if (!f->held && (rc = step_keys(f, e)) != 1)
		return rc;
	f->held = 0;
	if (copy_column(&f->pid, f->keys, 2) == -1 ||
	    copy_column(&f->member, f->keys, 0) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (;;) {
		if (sqlite3_column_type(f->keys, 1) != SQLITE_NULL) {
			r = f->rank == NULL
				? 0
				: f->rank((const char *)sqlite3_column_text(
					      f->keys, 1),
				      (size_t)sqlite3_column_bytes(f->keys, 1));
			if (!have || r < best) {
				if (copy_column(&f->x, f->keys, 1) == -1)
					return crm_err_set(
					    e, EX_SOFTWARE, "out of memory");
				f->xtype = sqlite3_column_type(f->keys, 1);
				best = r;
				have = 1;
			}
		}
		if ((rc = step_keys(f, e)) == -1)
			return -1;
		if (rc == 0) {
			f->ended = 1;
			break;
		}
		if ((size_t)sqlite3_column_bytes(f->keys, 2) != f->pid.len ||
		    memcmp(sqlite3_column_text(f->keys, 2),
			f->pid.p ? f->pid.p : "", f->pid.len) != 0) {
			f->held = 1;
			break;
		}
	}
	if (crm_rec_add(out, f->id_field, strlen(f->id_field),
		f->pid.p ? f->pid.p : "", f->pid.len, CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (features_of(
		f, f->member.p ? f->member.p : "", f->member.len, out, e) == -1)
		return -1;
	if (have && f->extra != NULL &&
	    crm_rec_add(out, f->extra, strlen(f->extra), f->x.p ? f->x.p : "",
		f->x.len, type_of(f->xtype)) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 1;
}

int
crm_activity_next(
    struct crm_activity *f, struct crm_rec *out, struct crm_err *e)
{
	const char *id;
	size_t len;
	int rc;

	crm_rec_clear(out);
	if (f->per_person)
		return next_person(f, out, e);
	if ((rc = sqlite3_step(f->keys)) == SQLITE_DONE) {
		sqlite3_reset(f->keys);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(f->keys);
		return crm_store_fail(f->s, e, "cannot read the customers");
	}
	id = (const char *)sqlite3_column_text(f->keys, 0);
	len = (size_t)sqlite3_column_bytes(f->keys, 0);
	if (add_column(out, f->id_field, f->keys, 0) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (features_of(f, id ? id : "", len, out, e) == -1)
		return -1;
	if (f->extra != NULL &&
	    sqlite3_column_type(f->keys, 1) != SQLITE_NULL &&
	    add_column(out, f->extra, f->keys, 1) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 1;
}

/* ==== A record source over a snapshot ==== */

struct source {
	struct crm_store *snap;
	struct crm_activity *a;
	const char *extra; /* only customers that have it; or NULL */
	unsigned long n;
};

static int
source_next(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct source *s = arg;
	int rc;

	for (;;) {
		if ((rc = crm_activity_next(s->a, r, e)) != 1)
			return rc;
		if (s->extra == NULL ||
		    crm_rec_find(r, s->extra, strlen(s->extra)) >= 0)
			break;
	}
	crm_rec_set_line(r, ++s->n);
	return 1;
}

static void
source_close(void *arg)
{
	struct source *s = arg;

	crm_activity_close(s->a); /* its statements first */
	crm_store_close(s->snap);
	free(s);
}

int
crm_activity_source(struct crm_store *st, const struct crm_activity_opts *o,
    int need_extra, struct crm_source *src, struct crm_err *e)
{
	struct source *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if ((s->snap = crm_store_snapshot(st, e)) == NULL ||
	    (s->a = crm_activity_open(s->snap, o, e)) == NULL) {
		source_close(s);
		return -1;
	}
	s->extra = need_extra ? o->extra : NULL;
	memset(src, 0, sizeof(*src));
	src->name = "store";
	src->fmt = CRM_FMT_JSONL;
	src->next = source_next;
	src->close = source_close;
	src->arg = s;
	return 0;
}
