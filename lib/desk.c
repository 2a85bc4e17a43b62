/*
 * desk: agents, tickets and customer facts in the store; see desk.h and
 * the agents, agent_skills and tickets tables of crm-store(5).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "answer.h"
#include "clusters.h"
#include "desk.h"
#include "desk_int.h"
#include "model.h"
#include "strmap.h"

/*
 * The order of the customers who (the extra order_id of its events of
 * type order, else the key) whose key or order is ?2, or, when ?2 is
 * NULL, the one ordered last (its first event the latest), at the
 * reference time ?3 (Unix seconds) or before; times as instants, as
 * julianday() reads them.
 * Its facts (the columns of crm_order_facts, answer.h) from all its
 * events until then: the latest status, eta, item and amount given,
 * the time of the first event.
 */
#define ORDER_SQL(who)                                                   \
	"WITH ev AS (SELECT event_key AS k, time, item, amount,"         \
	" rowid AS r, julianday(time) AS t,"                             \
	" coalesce(CAST(json_extract(extra, '$.order_id') AS TEXT),"     \
	" event_key) AS o,"                                              \
	" json_extract(extra, '$.status') AS s,"                         \
	" json_extract(extra, '$.eta') AS eta FROM events"               \
	" WHERE " who " AND type = 'order'"                              \
	" AND json_valid(coalesce(extra, '{}'))"                         \
	" AND julianday(time) <= julianday(?3, 'unixepoch')),"           \
	" one AS (SELECT o FROM ev WHERE ?2 IS NULL OR k = ?2 OR o = ?2" \
	" GROUP BY o ORDER BY min(t) DESC, min(r) DESC LIMIT 1)"         \
	" SELECT o,"                                                     \
	" (SELECT s FROM ev WHERE ev.o = one.o AND s IS NOT NULL"        \
	" ORDER BY t DESC, r DESC LIMIT 1),"                             \
	" (SELECT eta FROM ev WHERE ev.o = one.o AND eta IS NOT NULL"    \
	" ORDER BY t DESC, r DESC LIMIT 1),"                             \
	" (SELECT time FROM ev WHERE ev.o = one.o"                       \
	" ORDER BY t, r LIMIT 1),"                                       \
	" (SELECT item FROM ev WHERE ev.o = one.o AND item IS NOT NULL"  \
	" ORDER BY t DESC, r DESC LIMIT 1),"                             \
	" (SELECT format('%.2f', amount) FROM ev WHERE ev.o = one.o"     \
	" AND amount IS NOT NULL ORDER BY t DESC, r DESC LIMIT 1)"       \
	" FROM one"

static const char *const sql[S_N] = {
	[S_AGENT_PUT] = "INSERT INTO agents(agent_id, name, skills, capacity, "
			"on_shift,"
			" updated) VALUES (?1, ?2, coalesce(?3, ''), "
			"coalesce(?4, 0),"
			" coalesce(?5, 1), ?6)"
			" ON CONFLICT(agent_id) DO UPDATE SET"
			" name = coalesce(?2, name), skills = coalesce(?3, "
			"skills),"
			" capacity = coalesce(?4, capacity),"
			" on_shift = coalesce(?5, on_shift), updated = ?6"
			" WHERE coalesce(?2, name) IS NOT name"
			" OR coalesce(?3, skills) IS NOT skills"
			" OR coalesce(?4, capacity) IS NOT capacity"
			" OR coalesce(?5, on_shift) IS NOT on_shift",
	[S_SKILLS_DEL] = "DELETE FROM agent_skills WHERE agent_id = ?1",
	[S_SKILL_ADD] = "INSERT OR IGNORE INTO agent_skills(skill, agent_id)"
			" VALUES (?1, ?2)",
	[S_SKILLS] = "SELECT DISTINCT skill FROM agent_skills ORDER BY skill",
	[S_PICK] = "SELECT a.agent_id FROM agent_skills s"
		   " JOIN agents a ON a.agent_id = s.agent_id"
		   " WHERE s.skill = ?1 AND a.on_shift = 1"
		   " AND a.load < a.capacity"
		   " ORDER BY CAST(a.load AS REAL) / a.capacity, a.load,"
		   " a.agent_id LIMIT 1",
	[S_PICK_ANY] = "SELECT agent_id FROM agents"
		       " WHERE on_shift = 1 AND load < capacity"
		       " ORDER BY CAST(load AS REAL) / capacity, load, agent_id"
		       " LIMIT 1",
	[S_AGENT_GET] = "SELECT load, capacity FROM agents WHERE agent_id = ?1",
	[S_HAS_SKILL] = "SELECT 1 FROM agent_skills"
			" WHERE skill = ?1 AND agent_id = ?2",
	[S_LOAD_UP] = "UPDATE agents SET load = load + 1"
		      " WHERE agent_id = ?1 AND load < capacity",
	[S_LOAD_DOWN] = "UPDATE agents SET load = load - 1"
			" WHERE agent_id = ?1 AND load > 0",
	[S_ROOM] = "SELECT 1 FROM agents WHERE on_shift = 1"
		   " AND load < capacity LIMIT 1",
	[S_CUSTOMER] = "SELECT name, email, phone, city, country, birth_date,"
		       " signup_date, extra FROM customers"
		       " WHERE customer_id = ?1",
	[S_EXTRA] = "SELECT key, value, type FROM json_each(?1)",
	[S_VALUE] = "SELECT sum(amount) FROM events WHERE customer_id = ?1",
	[S_CHURN] = "SELECT score FROM decisions WHERE record_key = ?1"
		    " AND tool = 'crm-churn' ORDER BY id DESC LIMIT 1",
	[S_TAGS] = "SELECT group_concat(tag, ',') FROM"
		   " (SELECT tag FROM tags WHERE customer_id = ?1"
		   " ORDER BY tag)",
	[S_ORDER] = ORDER_SQL("customer_id = ?1"),
};

/* The same facts of the customer's person (--by person, clusters.h). */
static const char *const person_sql[S_N] = {
	[S_VALUE] = "SELECT sum(amount) FROM events WHERE customer_id IN"
		    " (" CRM_PERSON_RECORDS("?1") ")",
	[S_CHURN] = "SELECT score FROM decisions WHERE record_key IN"
		    " (" CRM_PERSON_RECORDS("?1") ")"
						  " AND tool = 'crm-churn' "
						  "ORDER BY id DESC LIMIT 1",
	[S_TAGS] = "SELECT group_concat(tag, ',') FROM"
		   " (SELECT DISTINCT tag FROM tags WHERE customer_id IN"
		   " (" CRM_PERSON_RECORDS("?1") ") ORDER BY tag)",
	[S_ORDER] = ORDER_SQL("customer_id IN (" CRM_PERSON_RECORDS("?1") ")"),
};

/* The customers columns crm_desk_customer gives, in order. */
static const char *const columns[] = { "name", "email", "phone", "city",
	"country", "birth_date", "signup_date" };
static const char *const computed[] = { "lifetime_value", "churn_risk",
	"tags" };

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

int
crm_desk_fail(struct crm_desk *d, struct crm_err *e, const char *what)
{
	return crm_store_fail(d->s, e, what);
}

#define fail	  crm_desk_fail
#define bind_text crm_desk_bind
#define run	  crm_desk_run

/* Prepare the statements and find the extra keys; 0 or -1. */
static int
prepare(struct crm_desk *d, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(d->s);
	sqlite3_stmt *st;
	size_t i;
	int rc;

	for (i = 0; i < S_N; i++)
		if (sqlite3_prepare_v3(db,
			d->by == CRM_BY_PERSON && person_sql[i] != NULL
			    ? person_sql[i]
			    : sql[i],
			-1, SQLITE_PREPARE_PERSISTENT, &d->st[i],
			NULL) != SQLITE_OK)
			return fail(d, e, "cannot prepare the help desk");
	if (sqlite3_prepare_v2(db,
		"SELECT DISTINCT j.key FROM customers c, json_each(c.extra) j"
		" WHERE json_valid(c.extra)",
		-1, &st, NULL) != SQLITE_OK)
		return fail(d, e, "cannot read the customers");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);

		if (k != NULL && crm_strmap_put(d->extra, k,
				     (size_t)sqlite3_column_bytes(st, 0)) < 0) {
			sqlite3_finalize(st);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the customers");
}

struct crm_desk *
crm_desk_open(struct crm_store *s, enum crm_by by, struct crm_err *e)
{
	struct crm_desk *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->extra = crm_strmap_new()) == NULL) {
		free(d);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	d->s = s;
	d->by = by;
	d->sla[1] = 3600;
	d->sla[2] = 4 * 3600;
	d->sla[3] = 24 * 3600;
	d->sla[4] = 72 * 3600;
	if (crm_by_resolve(s, &d->by, e) == -1 || prepare(d, e) == -1 ||
	    crm_desk_tickets_open(d, e) == -1) {
		crm_desk_close(d);
		return NULL;
	}
	return d;
}

void
crm_desk_close(struct crm_desk *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < S_N; i++)
		sqlite3_finalize(d->st[i]);
	crm_desk_tickets_close(d);
	crm_strmap_free(d->extra);
	free(d);
}

void
crm_desk_bind(sqlite3_stmt *st, int i, const char *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text64(st, i, p, len, SQLITE_STATIC, SQLITE_UTF8);
}

/* Step a statement that returns no row we need; 0 or -1. */
int
crm_desk_run(
    struct crm_desk *d, sqlite3_stmt *st, struct crm_err *e, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(d, e, what);
}

/* ==== Agents ==== */

static int
skill_sep(int c)
{
	return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' ||
	       c == '\r';
}

int
crm_desk_agent_put(struct crm_desk *d, const char *id, size_t idlen,
    const char *name, size_t nlen, const char *skills, size_t slen,
    long capacity, int on_shift, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_AGENT_PUT];
	char now[21];
	size_t i, j;

	crm_model_now(now);
	bind_text(st, 1, id, idlen);
	bind_text(st, 2, name, nlen);
	bind_text(st, 3, skills, slen);
	if (capacity >= 0)
		sqlite3_bind_int64(st, 4, capacity);
	if (on_shift >= 0)
		sqlite3_bind_int(st, 5, on_shift);
	bind_text(st, 6, now, strlen(now));
	if (run(d, st, e, "cannot store the agent") == -1)
		return -1;
	if (skills == NULL)
		return 0;
	bind_text(d->st[S_SKILLS_DEL], 1, id, idlen);
	if (run(d, d->st[S_SKILLS_DEL], e, "cannot store the agent") == -1)
		return -1;
	for (i = 0; i < slen; i = j) {
		while (i < slen && skill_sep((unsigned char)skills[i]))
			i++;
		for (j = i; j < slen && !skill_sep((unsigned char)skills[j]);
		     j++)
			;
		if (j == i)
			continue;
		bind_text(d->st[S_SKILL_ADD], 1, skills + i, j - i);
		bind_text(d->st[S_SKILL_ADD], 2, id, idlen);
		if (run(d, d->st[S_SKILL_ADD], e, "cannot store the agent") ==
		    -1)
			return -1;
	}
	return 0;
}

long
crm_desk_agent_load(
    struct crm_desk *d, const char *id, size_t idlen, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_AGENT_GET]; /* load, capacity */
	long load = 0;
	int rc;

	bind_text(st, 1, id, idlen);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		load = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(d, e, "cannot read the agent");
	return load;
}

int
crm_desk_skills(struct crm_desk *d, int (*fn)(void *, const char *), void *arg,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_SKILLS];
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       (r = fn(arg, (const char *)sqlite3_column_text(st, 0))) == 0)
		;
	sqlite3_reset(st);
	if (r == -1)
		return -1;
	return rc == SQLITE_DONE || rc == SQLITE_ROW
		   ? 0
		   : fail(d, e, "cannot read the skills");
}

/* ==== Picking agents ==== */

int
crm_desk_load_up(
    struct crm_desk *d, const char *id, size_t len, struct crm_err *e)
{
	bind_text(d->st[S_LOAD_UP], 1, id, len);
	if (run(d, d->st[S_LOAD_UP], e, "cannot raise the agent's load") == -1)
		return -1;
	return sqlite3_changes(crm_store_db(d->s)) == 1;
}

int
crm_desk_load_down(
    struct crm_desk *d, const char *id, size_t len, struct crm_err *e)
{
	bind_text(d->st[S_LOAD_DOWN], 1, id, len);
	return run(d, d->st[S_LOAD_DOWN], e, "cannot lower the agent's load");
}

int
crm_desk_pick(struct crm_desk *d, const char *skill, size_t len,
    struct crm_buf *out, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[skill != NULL ? S_PICK : S_PICK_ANY];
	int rc;

	crm_buf_reset(out);
	if (skill != NULL)
		bind_text(st, 1, skill, len);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW &&
	    crm_buf_add(out, sqlite3_column_text(st, 0),
		(size_t)sqlite3_column_bytes(st, 0)) == -1) {
		sqlite3_reset(st);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(d, e, "cannot pick an agent");
	if (out->len == 0)
		return 0;
	if ((rc = crm_desk_load_up(d, out->p, out->len, e)) == -1)
		return -1;
	/* the pick saw load < capacity in this same transaction */
	if (rc != 1)
		return crm_err_set(e, EX_SOFTWARE,
		    "agent %.*s has no room after all", (int)out->len, out->p);
	return 0;
}

int
crm_desk_any_room(struct crm_desk *d, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_ROOM];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the agents");
}

/* ==== Customers ==== */

int
crm_desk_customer_field(struct crm_desk *d, const char *name)
{
	size_t i;

	for (i = 0; i < NCOLUMNS; i++)
		if (strcmp(name, columns[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(computed) / sizeof(computed[0]); i++)
		if (strcmp(name, computed[i]) == 0)
			return 1;
	return crm_strmap_get(d->extra, name, strlen(name)) >= 0;
}

/* Append column c of st to out as a field of its SQL type. */
static int
add_column(
    struct crm_rec *out, const char *name, size_t nlen, sqlite3_stmt *st, int c)
{
	const char *v = (const char *)sqlite3_column_text(st, c);
	size_t len = (size_t)sqlite3_column_bytes(st, c);

	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL:
		return crm_rec_add(out, name, nlen, "", 0, CRM_NULL);
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return crm_rec_add(out, name, nlen, v, len, CRM_NUMBER);
	default:
		return crm_rec_add(out, name, nlen, v, len, CRM_STRING);
	}
}

/* The extra JSON object of the customer row in st, as fields. */
static int
add_extra(struct crm_desk *d, struct crm_rec *out, sqlite3_stmt *row,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_EXTRA];
	const char *k, *v, *t;
	enum crm_type type;
	int rc;

	if (sqlite3_column_type(row, (int)NCOLUMNS) == SQLITE_NULL)
		return 0;
	bind_text(st, 1, (const char *)sqlite3_column_text(row, (int)NCOLUMNS),
	    (size_t)sqlite3_column_bytes(row, (int)NCOLUMNS));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		v = (const char *)sqlite3_column_text(st, 1);
		t = (const char *)sqlite3_column_text(st, 2);
		if (k == NULL || t == NULL)
			continue;
		type = strcmp(t, "null") == 0	   ? CRM_NULL
		       : strcmp(t, "true") == 0	   ? CRM_TRUE
		       : strcmp(t, "false") == 0   ? CRM_FALSE
		       : strcmp(t, "text") == 0	   ? CRM_STRING
		       : strcmp(t, "integer") == 0 ? CRM_NUMBER
		       : strcmp(t, "real") == 0	   ? CRM_NUMBER
						   : CRM_JSON;
		if (crm_rec_find(out, k, strlen(k)) >= 0)
			continue; /* a column's name: the column wins */
		if (crm_rec_add(out, k, strlen(k), v ? v : "",
			v ? (size_t)sqlite3_column_bytes(st, 1) : 0,
			type) == -1) {
			sqlite3_reset(st);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* extra that is not a JSON object: nothing from it */
	return 0;
}

/* Append the one value of statement s for id as field name. */
static int
add_one(struct crm_desk *d, struct crm_rec *out, int s, const char *name,
    const char *id, size_t idlen, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[s];
	int rc, bad = 0;

	bind_text(st, 1, id, idlen);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		bad = add_column(out, name, strlen(name), st, 0);
	else if (rc == SQLITE_DONE)
		bad = crm_rec_add(out, name, strlen(name), "", 0, CRM_NULL);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		   ? 0
		   : fail(d, e, "cannot read the customer");
}

int
crm_desk_customer(struct crm_desk *d, const char *id, size_t idlen,
    struct crm_rec *out, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_CUSTOMER];
	size_t i;
	int rc, known, bad = 0;

	crm_rec_clear(out);
	bind_text(st, 1, id, idlen);
	rc = sqlite3_step(st);
	known = rc == SQLITE_ROW;
	for (i = 0; i < NCOLUMNS && !bad; i++)
		bad = known ? add_column(out, columns[i], strlen(columns[i]),
				  st, (int)i)
			    : crm_rec_add(out, columns[i], strlen(columns[i]),
				  "", 0, CRM_NULL);
	if (!bad && known && add_extra(d, out, st, e) == -1)
		bad = 2;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (bad == 1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (bad)
		return -1;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(d, e, "cannot read the customer");
	if (add_one(d, out, S_VALUE, "lifetime_value", id, idlen, e) == -1 ||
	    add_one(d, out, S_CHURN, "churn_risk", id, idlen, e) == -1 ||
	    add_one(d, out, S_TAGS, "tags", id, idlen, e) == -1)
		return -1;
	return known;
}

int
crm_desk_order(struct crm_desk *d, const char *id, size_t idlen,
    const char *order, size_t olen, double until, struct crm_rec *out,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_ORDER];
	size_t i, n = CRM_ORDER_NFACTS;
	int rc, bad = 0;

	crm_rec_clear(out);
	bind_text(st, 1, id, idlen);
	bind_text(st, 2, order, olen);
	sqlite3_bind_double(st, 3, until);
	rc = sqlite3_step(st);
	for (i = 0; i < n && !bad; i++)
		bad = rc == SQLITE_ROW
			  ? add_column(out, crm_order_facts[i],
				strlen(crm_order_facts[i]), st, (int)i)
			  : crm_rec_add(out, crm_order_facts[i],
				strlen(crm_order_facts[i]), "", 0, CRM_NULL);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(d, e, "cannot read the customer's orders");
	return rc == SQLITE_ROW;
}

const struct crm_erase_step crm_desk_erase[] = {
	{ "ticket_events", "deleted",
	    "DELETE FROM ticket_events WHERE ticket_id IN"
	    " (SELECT ticket_id FROM tickets WHERE customer_id = ?1)" },
	{ "tickets", "deleted", "DELETE FROM tickets WHERE customer_id = ?1" },
	{ NULL, NULL, NULL },
};
