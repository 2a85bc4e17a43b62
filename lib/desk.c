/*
 * desk: agents, tickets and customer facts in the store; see desk.h and
 * the agents, agent_skills and tickets tables of crm-store(5).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clusters.h"
#include "desk.h"
#include "model.h"
#include "strmap.h"

enum {
	S_AGENT_PUT,
	S_AGENT_LOAD,
	S_SKILLS_DEL,
	S_SKILL_ADD,
	S_SKILLS,
	S_TICKET_GET,
	S_PICK,
	S_LOAD_UP,
	S_LOAD_DOWN,
	S_TICKET_ADD,
	S_TICKET_GIVE,
	S_CLOSE,
	S_WAITING,
	S_ROOM,
	S_CUSTOMER,
	S_EXTRA,
	S_VALUE,
	S_CHURN,
	S_TAGS,
	S_N
};

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
	[S_AGENT_LOAD] = "SELECT load FROM agents WHERE agent_id = ?1",
	[S_SKILLS_DEL] = "DELETE FROM agent_skills WHERE agent_id = ?1",
	[S_SKILL_ADD] = "INSERT OR IGNORE INTO agent_skills(skill, agent_id)"
			" VALUES (?1, ?2)",
	[S_SKILLS] = "SELECT DISTINCT skill FROM agent_skills ORDER BY skill",
	[S_TICKET_GET] = "SELECT assignee FROM tickets WHERE ticket_id = ?1",
	[S_PICK] = "SELECT a.agent_id FROM agent_skills s"
		   " JOIN agents a ON a.agent_id = s.agent_id"
		   " WHERE s.skill = ?1 AND a.on_shift = 1"
		   " AND a.load < a.capacity"
		   " ORDER BY CAST(a.load AS REAL) / a.capacity, a.load,"
		   " a.agent_id LIMIT 1",
	[S_LOAD_UP] = "UPDATE agents SET load = load + 1"
		      " WHERE agent_id = ?1 AND load < capacity",
	[S_LOAD_DOWN] = "UPDATE agents SET load = load - 1"
			" WHERE agent_id = ?1 AND load > 0",
	[S_TICKET_ADD] = "INSERT INTO tickets(ticket_id, parent_id, "
			 "customer_id,"
			 " priority, queue, skill, sla_due, assignee, status, "
			 "routed)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_TICKET_GIVE] = "UPDATE tickets SET assignee = ?2, status = 'open'"
			  " WHERE ticket_id = ?1 AND status = 'waiting'",
	[S_CLOSE] = "UPDATE tickets SET status = 'closed', closed = ?2"
		    " WHERE ticket_id = ?1 AND status != 'closed'"
		    " RETURNING assignee",
	[S_WAITING] = "SELECT ticket_id, skill, customer_id FROM tickets"
		      " WHERE status = 'waiting'"
		      " ORDER BY priority, sla_due, ticket_id",
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
};

/* The customers columns crm_desk_customer gives, in order. */
static const char *const columns[] = { "name", "email", "phone", "city",
	"country", "birth_date", "signup_date" };
static const char *const computed[] = { "lifetime_value", "churn_risk",
	"tags" };

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

struct crm_desk {
	struct crm_store *s;
	sqlite3_stmt *st[S_N];
	struct crm_strmap *extra; /* the keys of customers' extra JSON */
	enum crm_by by;		  /* the facts' mode, resolved */
};

static int
fail(struct crm_desk *d, struct crm_err *e, const char *what)
{
	return crm_store_fail(d->s, e, what);
}

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
	if (crm_by_resolve(s, &d->by, e) == -1 || prepare(d, e) == -1) {
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
	crm_strmap_free(d->extra);
	free(d);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text64(st, i, p, len, SQLITE_STATIC, SQLITE_UTF8);
}

/* Step a statement that returns no row we need; 0 or -1. */
static int
run(struct crm_desk *d, sqlite3_stmt *st, struct crm_err *e, const char *what)
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
	sqlite3_stmt *st = d->st[S_AGENT_LOAD];
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

/* ==== Tickets ==== */

/*
 * The agent with room and skill[0..len) into out (empty when none); then
 * its load goes up.  0 or -1.
 */
static int
pick(struct crm_desk *d, const char *skill, size_t len, struct crm_buf *out,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_PICK], *up = d->st[S_LOAD_UP];
	int rc;

	crm_buf_reset(out);
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
	bind_text(up, 1, out->p, out->len);
	if (run(d, up, e, "cannot raise the agent's load") == -1)
		return -1;
	/* the pick saw load < capacity in this same transaction */
	if (sqlite3_changes(crm_store_db(d->s)) != 1)
		return crm_err_set(e, EX_SOFTWARE,
		    "agent %.*s has no room after all", (int)out->len, out->p);
	return 0;
}

static const char *const priorities[] = { "P1", "P2", "P3", "P4" };

int
crm_desk_assign(struct crm_desk *d, const struct crm_ticket *t,
    struct crm_buf *assignee, int *again, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_TICKET_GET];
	const char *status;
	char now[21];
	int rc;

	crm_buf_reset(assignee);
	*again = 0;
	bind_text(st, 1, t->id, t->idlen);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*again = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
		    crm_buf_add(assignee, sqlite3_column_text(st, 0),
			(size_t)sqlite3_column_bytes(st, 0)) == -1)
			rc = SQLITE_NOMEM;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_NOMEM)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(d, e, "cannot read the tickets");
	if (*again)
		return 0;
	if (!t->answered &&
	    pick(d, t->skill, strlen(t->skill), assignee, e) == -1)
		return -1;
	status = t->answered	     ? "answered"
		 : assignee->len > 0 ? "open"
				     : "waiting";
	crm_model_now(now);
	st = d->st[S_TICKET_ADD];
	bind_text(st, 1, t->id, t->idlen);
	bind_text(st, 2, t->parent, t->plen);
	bind_text(st, 3, t->customer, t->clen);
	bind_text(st, 4, priorities[t->priority - 1], 2);
	bind_text(st, 5, t->queue, strlen(t->queue));
	bind_text(st, 6, t->skill, strlen(t->skill));
	bind_text(st, 7, t->sla_due, strlen(t->sla_due));
	bind_text(st, 8, assignee->len > 0 ? assignee->p : NULL, assignee->len);
	bind_text(st, 9, status, strlen(status));
	bind_text(st, 10, now, strlen(now));
	return run(d, st, e, "cannot store the ticket");
}

int
crm_desk_close_ticket(struct crm_desk *d, const char *id, size_t idlen,
    int *was, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_CLOSE];
	struct crm_buf agent;
	char now[21];
	int rc;

	*was = 0;
	crm_buf_init(&agent);
	crm_model_now(now);
	bind_text(st, 1, id, idlen);
	bind_text(st, 2, now, strlen(now));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*was = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL &&
		    crm_buf_add(&agent, sqlite3_column_text(st, 0),
			(size_t)sqlite3_column_bytes(st, 0)) == -1)
			rc = SQLITE_NOMEM;
		else
			rc = sqlite3_step(st); /* finish the statement */
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_NOMEM) {
		crm_buf_release(&agent);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (rc != SQLITE_DONE) {
		crm_buf_release(&agent);
		return fail(d, e, "cannot close the ticket");
	}
	if (agent.len > 0) {
		bind_text(d->st[S_LOAD_DOWN], 1, agent.p, agent.len);
		rc = run(
		    d, d->st[S_LOAD_DOWN], e, "cannot lower the agent's load");
	} else {
		rc = 0;
	}
	crm_buf_release(&agent);
	return rc;
}

/* Whether any agent on shift has room; 1, 0 or -1. */
static int
any_room(struct crm_desk *d, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_ROOM];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the agents");
}

long
crm_desk_drain(struct crm_desk *d,
    int (*fn)(void *, const char *, const char *, const char *), void *arg,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_WAITING], *give = d->st[S_TICKET_GIVE];
	struct crm_strmap *ids = NULL, *skills = NULL, *custs = NULL;
	struct crm_buf agent;
	long *skill_of = NULL, *cust_of = NULL, n = 0;
	size_t i, cnt = 0, cap = 0;
	const char *id, *sk;
	size_t idlen, sklen;
	int rc;

	/*
	 * The waiting list is read whole before any of it changes: a
	 * statement that steps over rows being updated sees them or not.
	 */
	if ((rc = any_room(d, e)) <= 0)
		return rc;
	crm_buf_init(&agent);
	if ((ids = crm_strmap_new()) == NULL ||
	    (skills = crm_strmap_new()) == NULL ||
	    (custs = crm_strmap_new()) == NULL)
		goto nomem;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long k, s, c = -1;

		if (cnt == cap) {
			long *p, *q;

			cap = cap ? 2 * cap : 256;
			if ((p = crm_reallocarray(skill_of, cap, sizeof(*p))) ==
			    NULL)
				goto nomem;
			skill_of = p;
			if ((q = crm_reallocarray(cust_of, cap, sizeof(*q))) ==
			    NULL)
				goto nomem;
			cust_of = q;
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
		    (c = crm_strmap_put(custs,
			 (const char *)sqlite3_column_text(st, 2),
			 (size_t)sqlite3_column_bytes(st, 2))) < 0)
			goto nomem;
		k = crm_strmap_put(ids,
		    (const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
		s = crm_strmap_put(skills,
		    (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
		if (k < 0 || s < 0)
			goto nomem;
		cust_of[cnt] = c;
		skill_of[cnt++] = s;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fail(d, e, "cannot read the waiting tickets");
		goto fail;
	}
	for (i = 0; i < cnt; i++) {
		sk = crm_strmap_name(skills, (size_t)skill_of[i], &sklen);
		if (pick(d, sk, sklen, &agent, e) == -1)
			goto fail;
		if (agent.len == 0) {
			if ((rc = any_room(d, e)) < 0)
				goto fail;
			if (rc == 0)
				break;
			continue;
		}
		id = crm_strmap_name(ids, i, &idlen);
		bind_text(give, 1, id, idlen);
		bind_text(give, 2, agent.p, agent.len);
		if (run(d, give, e, "cannot assign the ticket") == -1)
			goto fail;
		/*
		 * Another process took the ticket while fn committed a
		 * batch: the agent gets its room back.
		 */
		if (sqlite3_changes(crm_store_db(d->s)) != 1) {
			bind_text(d->st[S_LOAD_DOWN], 1, agent.p, agent.len);
			if (run(d, d->st[S_LOAD_DOWN], e,
				"cannot lower the agent's load") == -1)
				goto fail;
			continue;
		}
		n++;
		if (fn != NULL && crm_buf_addc(&agent, '\0') == -1)
			goto nomem;
		if (fn != NULL &&
		    fn(arg, id, agent.p,
			cust_of[i] < 0 ? NULL
				       : crm_strmap_name(custs,
					     (size_t)cust_of[i], &sklen)) == -1)
			goto fail;
	}
	crm_strmap_free(ids);
	crm_strmap_free(skills);
	crm_strmap_free(custs);
	free(skill_of);
	free(cust_of);
	crm_buf_release(&agent);
	return n;
nomem:
	sqlite3_reset(st);
	crm_err_set(e, EX_SOFTWARE, "out of memory");
fail:
	crm_strmap_free(ids);
	crm_strmap_free(skills);
	crm_strmap_free(custs);
	free(skill_of);
	free(cust_of);
	crm_buf_release(&agent);
	return -1;
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

const struct crm_erase_step crm_desk_erase[] = {
	{ "tickets", "deleted", "DELETE FROM tickets WHERE customer_id = ?1" },
	{ NULL, NULL, NULL },
};
