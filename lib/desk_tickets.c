/*
 * desk_tickets: the tickets table and its ticket_events, which the desk
 * module owns: routing a ticket in, changing its state, a parent's state
 * from its subtasks', and the sweep's steps; see desk.h, ticket.h and the
 * tickets and ticket_events tables of crm-store(5).
 *
 * A change reads the ticket's row whole, works on it in C, and writes it
 * back whole: every rule of ticket.h in one place, not spread over SQL
 * statements.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "calendar.h"
#include "desk_int.h"
#include "model.h"
#include "norm.h"
#include "route.h"

#define fail	  crm_desk_fail
#define bind_text crm_desk_bind
#define run	  crm_desk_run

/* The columns T_GET reads and T_PUT writes, in order after ticket_id. */
#define COLUMNS                                                             \
	"status, assignee, parent_id, customer_id, priority, queue, skill," \
	" sla_due, sla_left, updated, closed, first_response, solved,"      \
	" reopens, warned, escalated, lang"

/* Where a ticket's clock runs: the sweep's index tickets_due. */
#define RUNNING "status IN ('new', 'open', 'reopened') AND queue IS NOT NULL"

static const char *const sql[T_N] = {
	[T_GET] = "SELECT " COLUMNS " FROM tickets WHERE ticket_id = ?1",
	[T_PUT] = "UPDATE tickets SET status = ?2, assignee = ?3,"
		  " parent_id = ?4, customer_id = ?5, priority = ?6,"
		  " queue = ?7, skill = ?8, sla_due = ?9, sla_left = ?10,"
		  " updated = ?11, closed = ?12, first_response = ?13,"
		  " solved = ?14, reopens = ?15, warned = ?16,"
		  " escalated = ?17, lang = ?18 WHERE ticket_id = ?1",
	[T_ADD] = "INSERT INTO tickets(ticket_id, " COLUMNS ", routed, created)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		  " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
	[T_EVENT] = "INSERT INTO ticket_events(time, ticket_id, event,"
		    " from_state, state, actor, value, reason, note)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[T_DUP] = "SELECT 1 FROM ticket_events WHERE ticket_id = ?1"
		  " AND time = ?2 AND actor IS ?3 AND note IS ?4"
		  " AND (?5 IS NULL OR state IS ?5) AND event <> 'assigned'"
		  " LIMIT 1",
	[T_CHILDREN] = "SELECT status, priority, sla_due FROM tickets"
		       " WHERE parent_id = ?1",
	[T_IS_PARENT] = "SELECT 1 FROM tickets WHERE parent_id = ?1 LIMIT 1",
	/*
	 * Without statistics SQLite takes tickets_status for these (status
	 * IN ...), reading every running ticket's entry (0.24 s a list at
	 * 1,000,000 open tickets); tickets_due reads only the ones due.
	 */
	[T_BREACHED] = "SELECT ticket_id FROM tickets INDEXED BY tickets_due"
		       " WHERE " RUNNING " AND sla_due <= ?1"
		       " AND escalated IS NOT sla_due"
		       " ORDER BY sla_due, ticket_id",
	[T_WARN] = "SELECT ticket_id FROM tickets INDEXED BY tickets_due"
		   " WHERE " RUNNING " AND sla_due > ?1 AND sla_due <= ?2"
		   " AND warned IS NOT sla_due ORDER BY sla_due, ticket_id",
	[T_WAITING] = "SELECT ticket_id FROM tickets"
		      " WHERE status IN ('new', 'reopened') AND assignee IS "
		      "NULL"
		      " AND queue IS NOT NULL ORDER BY priority, sla_due,"
		      " ticket_id",
};

/* A text column: its bytes, and whether it is NULL. */
struct col {
	struct crm_buf b;
	int null;
};

/* A ticket's row as T_GET reads it. */
struct crm_tk {
	struct crm_buf id;
	int state, prio;
	struct col assignee, parent, customer, queue, skill, due, updated,
	    closed, first, solved, warned, escalated, lang;
	double left; /* NAN: NULL */
	long long reopens;
};

enum {
	C_STATUS,
	C_ASSIGNEE,
	C_PARENT,
	C_CUSTOMER,
	C_PRIO,
	C_QUEUE,
	C_SKILL,
	C_DUE,
	C_LEFT,
	C_UPDATED,
	C_CLOSED,
	C_FIRST,
	C_SOLVED,
	C_REOPENS,
	C_WARNED,
	C_ESCALATED,
	C_LANG
};

static struct col *
tk_col(struct crm_tk *t, int c)
{
	switch (c) {
	case C_ASSIGNEE:
		return &t->assignee;
	case C_PARENT:
		return &t->parent;
	case C_CUSTOMER:
		return &t->customer;
	case C_QUEUE:
		return &t->queue;
	case C_SKILL:
		return &t->skill;
	case C_DUE:
		return &t->due;
	case C_UPDATED:
		return &t->updated;
	case C_CLOSED:
		return &t->closed;
	case C_FIRST:
		return &t->first;
	case C_SOLVED:
		return &t->solved;
	case C_WARNED:
		return &t->warned;
	case C_ESCALATED:
		return &t->escalated;
	case C_LANG:
		return &t->lang;
	default:
		return NULL;
	}
}

static struct crm_tk *
tk_new(void)
{
	struct crm_tk *t = calloc(1, sizeof(*t));
	int c;

	if (t == NULL)
		return NULL;
	crm_buf_init(&t->id);
	for (c = 0; c <= C_LANG; c++)
		if (tk_col(t, c) != NULL)
			crm_buf_init(&tk_col(t, c)->b);
	return t;
}

static void
tk_free(struct crm_tk *t)
{
	int c;

	if (t == NULL)
		return;
	crm_buf_release(&t->id);
	for (c = 0; c <= C_LANG; c++)
		if (tk_col(t, c) != NULL)
			crm_buf_release(&tk_col(t, c)->b);
	free(t);
}

/* b = p[0..len), NUL-terminated (not counted); 0 or -1. */
static int
id_set(struct crm_buf *b, const char *p, size_t len)
{
	crm_buf_reset(b);
	if (crm_buf_add(b, p, len) == -1 || crm_buf_addc(b, '\0') == -1)
		return -1;
	b->len--;
	return 0;
}

/* Set column c to p[0..len), or NULL when p is NULL; 0 or -1. */
static int
col_set(struct col *c, const char *p, size_t len)
{
	c->null = p == NULL;
	return id_set(&c->b, p != NULL ? p : "", p != NULL ? len : 0);
}

static int
col_sets(struct col *c, const char *s)
{
	return col_set(c, s, s != NULL ? strlen(s) : 0);
}

static const char *
col_str(const struct col *c)
{
	return c->null ? NULL : c->b.p;
}

static int
col_eq(const struct col *a, const struct col *b)
{
	if (a->null || b->null)
		return a->null && b->null;
	return a->b.len == b->b.len && memcmp(a->b.p, b->b.p, a->b.len) == 0;
}

static void
bind_col(sqlite3_stmt *st, int i, const struct col *c)
{
	bind_text(st, i, c->null ? NULL : c->b.p, c->b.len);
}

int
crm_desk_tickets_open(struct crm_desk *d, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(d->s);
	size_t i;

	crm_buf_init(&d->agent);
	crm_buf_init(&d->top);
	if ((d->tk = tk_new()) == NULL || (d->par = tk_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < T_N; i++)
		if (sqlite3_prepare_v3(db, sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, &d->tt[i],
			NULL) != SQLITE_OK)
			return fail(d, e, "cannot prepare the tickets");
	return 0;
}

void
crm_desk_tickets_close(struct crm_desk *d)
{
	size_t i;

	for (i = 0; i < T_N; i++)
		sqlite3_finalize(d->tt[i]);
	tk_free(d->tk);
	tk_free(d->par);
	crm_strmap_free(d->full);
	crm_buf_release(&d->agent);
	crm_buf_release(&d->top);
}

void
crm_desk_clock(struct crm_desk *d, const struct crm_cal *cal, const long sla[5])
{
	int i;

	d->cal = cal;
	for (i = 1; i <= 4; i++)
		d->sla[i] = sla[i];
}

/* ==== Rows ==== */

static const char *const pnames[] = { "", "P1", "P2", "P3", "P4" };

/* Read ticket id into t: 1, 0 when there is none, -1 with e filled. */
static int
get(struct crm_desk *d, const char *id, size_t len, struct crm_tk *t,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->tt[T_GET];
	int rc, c, bad = 0;

	bind_text(st, 1, id, len);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, C_STATUS);
		const char *p = (const char *)sqlite3_column_text(st, C_PRIO);

		t->state = crm_tstate_parse(
		    s ? s : "", (size_t)sqlite3_column_bytes(st, C_STATUS));
		t->prio = crm_route_priority(
		    p ? p : "", (size_t)sqlite3_column_bytes(st, C_PRIO));
		if (t->prio == 0)
			t->prio = 4;
		t->left = sqlite3_column_type(st, C_LEFT) == SQLITE_NULL
			      ? NAN
			      : sqlite3_column_double(st, C_LEFT);
		t->reopens = sqlite3_column_int64(st, C_REOPENS);
		crm_buf_reset(&t->id);
		bad |= id_set(&t->id, id, len);
		for (c = 0; c <= C_LANG; c++)
			if (tk_col(t, c) != NULL)
				bad |= col_set(tk_col(t, c),
				    sqlite3_column_type(st, c) == SQLITE_NULL
					? NULL
					: (const char *)sqlite3_column_text(
					      st, c),
				    (size_t)sqlite3_column_bytes(st, c));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(d, e, "cannot read the tickets");
	if (rc == SQLITE_ROW && t->state < 0)
		return crm_err_set(e, EX_DATAERR,
		    "ticket %.*s: the store's status is none "
		    "of " CRM_TSTATE_NAMES,
		    (int)len, id);
	return rc == SQLITE_ROW;
}

/* Write t back; 0 or -1. */
static int
put(struct crm_desk *d, const struct crm_tk *t, struct crm_err *e)
{
	sqlite3_stmt *st = d->tt[T_PUT];
	const char *s = crm_tstate_name(t->state);

	bind_text(st, 1, t->id.p, t->id.len);
	bind_text(st, 2, s, strlen(s));
	bind_col(st, 3, &t->assignee);
	bind_col(st, 4, &t->parent);
	bind_col(st, 5, &t->customer);
	bind_text(st, 6, pnames[t->prio], 2);
	bind_col(st, 7, &t->queue);
	bind_col(st, 8, &t->skill);
	bind_col(st, 9, &t->due);
	if (!isnan(t->left))
		sqlite3_bind_double(st, 10, t->left);
	bind_col(st, 11, &t->updated);
	bind_col(st, 12, &t->closed);
	bind_col(st, 13, &t->first);
	bind_col(st, 14, &t->solved);
	sqlite3_bind_int64(st, 15, t->reopens);
	bind_col(st, 16, &t->warned);
	bind_col(st, 17, &t->escalated);
	bind_col(st, 18, &t->lang);
	return run(d, st, e, "cannot change the ticket");
}

/* An event of t at time when; value, reason, note may be NULL. */
static int
event(struct crm_desk *d, const struct crm_tk *t, const char *when,
    const char *what, int from, const char *actor, const char *value,
    const char *reason, const char *note, size_t nlen, struct crm_err *e)
{
	sqlite3_stmt *st = d->tt[T_EVENT];
	const char *fs = crm_tstate_name(from), *ts = crm_tstate_name(t->state);

	bind_text(st, 1, when, strlen(when));
	bind_text(st, 2, t->id.p, t->id.len);
	bind_text(st, 3, what, strlen(what));
	bind_text(st, 4, from >= 0 ? fs : NULL, strlen(fs));
	bind_text(st, 5, ts, strlen(ts));
	bind_text(st, 6, actor, actor ? strlen(actor) : 0);
	bind_text(st, 7, value, value ? strlen(value) : 0);
	bind_text(st, 8, reason, reason ? strlen(reason) : 0);
	bind_text(st, 9, note, nlen);
	return run(d, st, e, "cannot log the ticket's change");
}

/* Seconds of t's text time column c; NAN when none or not a time. */
static double
secs(const struct col *c)
{
	const char *why;
	double v;

	if (c->null || crm_norm_seconds(c->b.p, c->b.len, &v, &why) == -1)
		return NAN;
	return v;
}

static int
set_time(struct col *c, double t)
{
	char buf[32];

	/* a clock that never runs out (calendar.h): no due time */
	crm_route_iso(t, buf);
	return col_sets(c, buf[0] != '\0' ? buf : NULL);
}

/*
 * The SLA clock of t going from state from to t->state at now: paused,
 * the business time left is kept; running again, the due time is now
 * plus what was left (a breached one keeps its due time: one breach);
 * reopened, now plus its priority's SLA.  A ticket solved while paused
 * gets the due time it would have had, so that "solved in time" means
 * the same for both.
 */
static int
clock_move(struct crm_desk *d, struct crm_tk *t, int from, double now)
{
	int a = crm_tstate_clock(from), b = crm_tstate_clock(t->state);
	double due;

	if (a == 1 && b == 0) {
		due = secs(&t->due);
		t->left = isnan(due) ? NAN : crm_cal_between(d->cal, now, due);
		return 0;
	}
	if (a == 0 && b != 0 && !isnan(t->left)) {
		/* paused after its breach: the due time (and its breach,
		 * escalated once) stays as it was */
		if (t->left <= 0) {
			t->left = NAN;
			return 0;
		}
		due = crm_cal_add(d->cal, now, t->left);
		t->left = NAN;
		return set_time(&t->due, due);
	}
	if (a == -1 && b == 1) {
		t->left = NAN;
		return set_time(
		    &t->due, crm_cal_add(d->cal, now, (double)d->sla[t->prio]));
	}
	return 0;
}

static int fill(
    struct crm_desk *, const struct crm_tk *, int, int, struct crm_desk_act *);

/* ==== What the customer sees ==== */

/* The states, priority and due time of parent t's subtasks into t. */
static int
roll(struct crm_desk *d, struct crm_tk *t, struct crm_err *e)
{
	sqlite3_stmt *st = d->tt[T_CHILDREN];
	int *kids = NULL, *p, rc, best = 0, bestall = 0;
	size_t n = 0, cap = 0;
	char due[32] = "", dueall[32] = "";

	bind_text(st, 1, t->id.p, t->id.len);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		const char *pr = (const char *)sqlite3_column_text(st, 1);
		const char *du = (const char *)sqlite3_column_text(st, 2);
		int k, prio;

		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			if ((p = crm_reallocarray(kids, cap, sizeof(*p))) ==
			    NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			kids = p;
		}
		k = crm_tstate_parse(
		    s ? s : "", (size_t)sqlite3_column_bytes(st, 0));
		prio = crm_route_priority(
		    pr ? pr : "", (size_t)sqlite3_column_bytes(st, 1));
		kids[n++] = k;
		if (prio > 0 && (bestall == 0 || prio < bestall))
			bestall = prio;
		if (du != NULL && (dueall[0] == '\0' || strcmp(du, dueall) < 0))
			snprintf(dueall, sizeof(dueall), "%s", du);
		if (crm_tstate_clock(k) < 0)
			continue;
		if (prio > 0 && (best == 0 || prio < best))
			best = prio;
		if (du != NULL && (due[0] == '\0' || strcmp(du, due) < 0))
			snprintf(due, sizeof(due), "%s", du);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_NOMEM) {
		free(kids);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (rc != SQLITE_DONE) {
		free(kids);
		return fail(d, e, "cannot read the subtasks");
	}
	if (n > 0) {
		t->state = crm_tstate_parent(kids, n);
		t->prio = best ? best : bestall ? bestall : t->prio;
		rc = col_sets(&t->due, due[0]	   ? due
				       : dueall[0] ? dueall
						   : NULL);
	}
	free(kids);
	return rc == -1 ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* act's "what the customer sees" for ticket t, seen before as from. */
static int
seen(struct crm_desk *d, const struct crm_tk *t, int from,
    struct crm_desk_act *act)
{
	crm_buf_reset(&d->top);
	if (crm_buf_add(&d->top, t->id.p, t->id.len) == -1 ||
	    crm_buf_addc(&d->top, '\0') == -1)
		return -1;
	act->top = d->top.p;
	act->seen_from = from < 0 ? -1 : crm_tstate_visible(from);
	act->seen_to = crm_tstate_visible(t->state);
	act->lang = col_str(&t->lang);
	return 0;
}

/*
 * Parent id of a subtask that went from state from to state to at when:
 * its state, priority and due again from its subtasks, an event when its
 * state changes, and what the customer sees in act.
 */
static int
settle(struct crm_desk *d, const char *id, size_t len, const char *when,
    const char *actor, int from, int to, struct crm_desk_act *act,
    struct crm_err *e)
{
	struct crm_tk *p = d->par;
	int was, rc;

	if ((rc = get(d, id, len, p, e)) <= 0)
		return rc == 0 ? crm_err_set(e, EX_DATAERR,
				     "its parent %.*s is not in the store",
				     (int)len, id)
			       : -1;
	was = p->state;
	if (roll(d, p, e) == -1)
		return -1;
	if (p->state != was &&
	    (col_sets(&p->updated, when) == -1 ||
		(p->state == CRM_T_SOLVED && col_sets(&p->solved, when) == -1) ||
		(p->state == CRM_T_CLOSED && col_sets(&p->closed, when) == -1)))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (p->state == CRM_T_REOPENED && was != CRM_T_REOPENED)
		p->reopens++;
	if (put(d, p, e) == -1)
		return -1;
	if (p->state != was && event(d, p, when, "state", was, actor, NULL,
				   "its subtasks", NULL, 0, e) == -1)
		return -1;
	if (seen(d, p, was, act) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	act->parent_from = p->state != was ? was : -1;
	act->parent_to = p->state != was ? p->state : -1;
	/* a subtask done while the others go on */
	act->progress = from >= 0 && crm_tstate_clock(from) >= 0 &&
			crm_tstate_clock(to) < 0 &&
			crm_tstate_clock(p->state) >= 0;
	return 0;
}

int
crm_desk_settle(struct crm_desk *d, const char *id, size_t len,
    struct crm_desk_act *act, struct crm_err *e)
{
	char now[21];
	int to;

	memset(act, 0, sizeof(*act));
	crm_model_now(now);
	if (settle(d, id, len, now, "crm-route", -1, -1, act, e) == -1)
		return -1;
	/* the parent itself is what the customer sees, made just now */
	to = d->par->state;
	if (fill(d, d->par, -1, d->par->prio, act) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	act->to = to;
	return 0;
}

/* act from ticket t, which went from state from (and priority pfrom). */
static int
fill(struct crm_desk *d, const struct crm_tk *t, int from, int pfrom,
    struct crm_desk_act *act)
{
	act->ticket = t->id.p;
	act->customer = col_str(&t->customer);
	act->from = from;
	act->to = t->state;
	act->prio_from = pfrom;
	act->prio_to = t->prio;
	act->agent = col_str(&t->assignee);
	act->due = t->due.null ? "" : t->due.b.p;
	act->queue = col_str(&t->queue);
	act->parent_from = act->parent_to = -1;
	return seen(d, t, from, act);
}

/* ==== Routing a ticket in ==== */

int
crm_desk_assign(struct crm_desk *d, const struct crm_ticket *t,
    struct crm_desk_act *act, int *again, struct crm_err *e)
{
	struct crm_tk *k = d->tk;
	sqlite3_stmt *st = d->tt[T_ADD];
	const char *s;
	char now[21];
	int rc, bad = 0;

	memset(act, 0, sizeof(*act));
	act->parent_from = act->parent_to = -1;
	*again = 0;
	if ((rc = get(d, t->id, t->idlen, k, e)) == -1)
		return -1;
	if (rc == 1) {
		*again = 1;
		return fill(d, k, k->state, k->prio, act) == -1
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : 0;
	}
	crm_model_now(now);
	crm_buf_reset(&d->agent);
	if (t->queue != NULL && !t->answered &&
	    crm_desk_pick(d, t->skill, strlen(t->skill), &d->agent, e) == -1)
		return -1;
	crm_buf_reset(&k->id);
	bad |= id_set(&k->id, t->id, t->idlen);
	k->state = CRM_T_NEW;
	k->prio = t->priority;
	k->left = NAN;
	k->reopens = 0;
	bad |= col_set(&k->assignee, NULL, 0);
	bad |= col_set(&k->parent, t->parent, t->plen);
	bad |= col_set(&k->customer, t->customer, t->clen);
	bad |= col_sets(&k->queue, t->queue);
	bad |= col_sets(&k->skill, t->skill);
	bad |= col_sets(&k->due, t->sla_due);
	bad |= col_sets(&k->updated, now);
	bad |= col_set(&k->closed, NULL, 0);
	bad |= col_set(&k->first, NULL, 0);
	bad |= col_set(&k->solved, NULL, 0);
	bad |= col_set(&k->warned, NULL, 0);
	bad |= col_set(&k->escalated, NULL, 0);
	bad |= col_sets(&k->lang, t->lang);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	s = crm_tstate_name(CRM_T_NEW);
	bind_text(st, 1, t->id, t->idlen);
	bind_text(st, 2, s, strlen(s));
	bind_col(st, 3, &k->assignee);
	bind_col(st, 4, &k->parent);
	bind_col(st, 5, &k->customer);
	bind_text(st, 6, pnames[k->prio], 2);
	bind_col(st, 7, &k->queue);
	bind_col(st, 8, &k->skill);
	bind_col(st, 9, &k->due);
	bind_col(st, 11, &k->updated);
	sqlite3_bind_int64(st, 15, 0);
	bind_col(st, 18, &k->lang);
	bind_text(st, 19, now, strlen(now));
	bind_text(st, 20, t->created ? t->created : now,
	    strlen(t->created ? t->created : now));
	if (run(d, st, e, "cannot store the ticket") == -1 ||
	    event(d, k, now, "state", -1, "crm-route", NULL, t->reason, NULL, 0,
		e) == -1)
		return -1;
	if (t->answered) {
		k->state = CRM_T_SOLVED;
		if (col_sets(&k->first, now) == -1 ||
		    col_sets(&k->solved, now) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (put(d, k, e) == -1 ||
		    event(d, k, now, "reply", CRM_T_NEW, "bot", NULL,
			"the knowledge base's answer", NULL, 0, e) == -1)
			return -1;
	} else if (d->agent.len > 0) {
		k->state = CRM_T_OPEN;
		if (col_set(&k->assignee, d->agent.p, d->agent.len) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		act->assigned = 1;
		if (put(d, k, e) == -1 ||
		    event(d, k, now, "assigned", CRM_T_NEW, "crm-route",
			col_str(&k->assignee),
			"an agent with the skill had room", NULL, 0, e) == -1)
			return -1;
	}
	if (fill(d, k, -1, k->prio, act) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (t->parent == NULL || t->queue == NULL)
		return 0;
	/* a subtask: the customer sees its parent */
	return settle(
	    d, t->parent, t->plen, now, "crm-route", -1, k->state, act, e);
}

/* ==== Changes ==== */

/*
 * For the event of t done (solved or closed) at now from a state not
 * done: whether it was done in time, "SLA met" or "SLA breached (due
 * T)", kept with the event so that the handling-time figures judge it
 * by the due time of that moment (a reopened ticket gets a new one).
 * NULL when it is not that event or t has no due time.
 */
static const char *
sla_verdict(
    const struct crm_tk *t, int from, double now, char *buf, size_t size)
{
	double due = secs(&t->due);

	if (crm_tstate_clock(from) < 0 || crm_tstate_clock(t->state) >= 0 ||
	    isnan(due))
		return NULL;
	if (now <= due)
		snprintf(buf, size, "SLA met");
	else
		snprintf(buf, size, "SLA breached (due %s)", t->due.b.p);
	return buf;
}

/* Whether ticket t has subtasks: 1, 0, -1. */
static int
is_parent(struct crm_desk *d, const struct crm_tk *t, struct crm_err *e)
{
	sqlite3_stmt *st = d->tt[T_IS_PARENT];
	int rc;

	bind_text(st, 1, t->id.p, t->id.len);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the subtasks");
}

/* Whether the store holds this change already: 1, 0, -1. */
static int
dup(struct crm_desk *d, const struct crm_desk_change *c, const char *when,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->tt[T_DUP];
	const char *s = c->to >= 0 ? crm_tstate_name(c->to) : NULL;
	int rc;

	bind_text(st, 1, c->id, c->idlen);
	bind_text(st, 2, when, strlen(when));
	bind_text(st, 3, c->actor, c->actor ? strlen(c->actor) : 0);
	bind_text(st, 4, c->note, c->nlen);
	bind_text(st, 5, s, s ? strlen(s) : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the events");
}

/* Whether agent id is in the store: 1, 0, -1. */
static int
agent_known(struct crm_desk *d, const char *id, size_t len, long *load,
    long *cap, struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_AGENT_GET];
	int rc;

	bind_text(st, 1, id, len);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*load = (long)sqlite3_column_int64(st, 0);
		*cap = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the agents");
}

/* A rejection of the change: EX_DATAERR naming field; -1. */
#define refuse(e, field, ...)                        \
	(crm_err_field((e), (field), strlen(field)), \
	    crm_err_set((e), EX_DATAERR, __VA_ARGS__))

/*
 * The agent the change leaves t with into want (t's own column): the one
 * asked for, else t's, else the actor when it is an agent and the state
 * needs one.
 */
static int
want_agent(struct crm_desk *d, const struct crm_desk_change *c,
    const struct crm_tk *t, int to, struct col *want, struct crm_err *e)
{
	long load, cap;
	int rc;

	if (c->assignee != NULL) {
		if ((rc = agent_known(
			 d, c->assignee, c->alen, &load, &cap, e)) == -1)
			return CRM_DESK_FATAL;
		if (rc == 0) {
			crm_err_field(e, "assignee", 8);
			return crm_err_set(e, EX_DATAERR,
			    "no agent %.*s in the store", (int)c->alen,
			    c->assignee);
		}
		return col_set(want, c->assignee, c->alen) == -1
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : 0;
	}
	if (!t->assignee.null) /* want is t's: it stays */
		return 0;
	if (c->actor == NULL || !crm_tstate_loads(to))
		return 0;
	/* a parent's agents are its subtasks': a note on it takes nobody */
	if ((rc = is_parent(d, t, e)) != 0)
		return rc == -1 ? CRM_DESK_FATAL : 0;
	if ((rc = agent_known(d, c->actor, strlen(c->actor), &load, &cap, e)) ==
	    -1)
		return CRM_DESK_FATAL;
	if (rc == 1 && col_sets(want, c->actor) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * The agents' loads as t goes from state from with agent a to state
 * t->state with agent t->assignee: one less for a, one more for the
 * new one, which must have room.  0, -1 (EX_DATAERR: no room), or
 * CRM_DESK_FATAL.
 */
static int
move_load(struct crm_desk *d, int from, const struct col *a,
    const struct crm_tk *t, struct crm_err *e)
{
	int was = crm_tstate_loads(from) && !a->null;
	int now = crm_tstate_loads(t->state) && !t->assignee.null;
	int same = col_eq(a, &t->assignee), rc;
	long load = 0, cap = 0;

	if (same && was == now)
		return 0;
	if (now) {
		if ((rc = crm_desk_load_up(
			 d, t->assignee.b.p, t->assignee.b.len, e)) == -1)
			return CRM_DESK_FATAL;
		if (rc == 0) {
			if (agent_known(d, t->assignee.b.p, t->assignee.b.len,
				&load, &cap, e) == -1)
				return CRM_DESK_FATAL;
			crm_err_field(e, "assignee", 8);
			return crm_err_set(e, EX_DATAERR,
			    "agent %s has no room (%ld tickets of %ld)",
			    t->assignee.b.p, load, cap);
		}
	}
	if (was && crm_desk_load_down(d, a->b.p, a->b.len, e) == -1)
		return CRM_DESK_FATAL;
	return 0;
}

int
crm_desk_change(struct crm_desk *d, const struct crm_desk_change *c,
    struct crm_desk_act *act, int *applied, struct crm_err *e)
{
	struct crm_tk *t = d->tk;
	struct col was_agent;
	char when[32], verdict[64];
	const char *why, *ts;
	int rc, from, pfrom, to;

	memset(act, 0, sizeof(*act));
	act->parent_from = act->parent_to = -1;
	*applied = 0;
	crm_route_iso(c->time, when);
	if ((rc = get(d, c->id, c->idlen, t, e)) == -1)
		return CRM_DESK_FATAL;
	if (rc == 0)
		return refuse(e, "id", "no ticket %.*s in the store",
		    (int)c->idlen, c->id);
	from = t->state;
	pfrom = t->prio;
	if (c->timed && (rc = dup(d, c, when, e)) != 0) {
		if (rc == -1)
			return CRM_DESK_FATAL;
		return fill(d, t, from, pfrom, act) == -1
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : 0;
	}
	if ((c->to >= 0 || c->assignee != NULL) &&
	    (rc = is_parent(d, t, e)) != 0)
		return rc == -1 ? CRM_DESK_FATAL
				: refuse(e, c->to >= 0 ? "state" : "assignee",
				      "ticket %s has subtasks: its state and "
				      "agents are theirs",
				      t->id.p);
	if (!t->updated.null && strcmp(when, t->updated.b.p) < 0)
		return refuse(e, "time",
		    "%s is before the ticket's last change (%s): a ticket's "
		    "changes apply in time order",
		    when, t->updated.b.p);
	if (from == CRM_T_CLOSED)
		return refuse(e, c->to >= 0 ? "state" : "id",
		    "ticket %s is closed already", t->id.p);
	to = c->to >= 0 ? c->to : from;
	/* an agent given to a waiting ticket takes it up */
	if (c->to < 0 && c->assignee != NULL && from == CRM_T_NEW)
		to = CRM_T_OPEN;
	crm_buf_init(&was_agent.b);
	if (col_set(&was_agent, col_str(&t->assignee), t->assignee.b.len) ==
	    -1) {
		crm_buf_release(&was_agent.b);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if ((rc = want_agent(d, c, t, to, &t->assignee, e)) != 0)
		goto out;
	/* reopened: back to its agent when it has room, else it waits */
	if (to == CRM_T_REOPENED && from != to && c->assignee == NULL &&
	    !t->assignee.null) {
		long load = 0, cap = 0;

		if ((rc = agent_known(d, t->assignee.b.p, t->assignee.b.len,
			 &load, &cap, e)) == -1) {
			rc = CRM_DESK_FATAL;
			goto out;
		}
		if (rc == 0 || load >= cap)
			col_set(&t->assignee, NULL, 0);
		rc = 0;
	}
	if (to != from || c->to >= 0) {
		why = to == from && !col_eq(&was_agent, &t->assignee) &&
			      crm_tstate_loads(to)
			  ? NULL
			  : crm_tstate_why_not(from, to, !t->assignee.null);
		if (why != NULL) {
			rc = refuse(e, "state", "cannot go from %s to %s: %s",
			    crm_tstate_name(from), crm_tstate_name(to), why);
			goto out;
		}
	}
	t->state = to;
	if ((rc = move_load(d, from, &was_agent, t, e)) != 0)
		goto out;
	rc = -1;
	if (clock_move(d, t, from, c->time) == -1 ||
	    col_sets(&t->updated, when) == -1 ||
	    (c->reply && t->first.null && col_sets(&t->first, when) == -1) ||
	    (to == CRM_T_SOLVED && from != to &&
		col_sets(&t->solved, when) == -1) ||
	    (to == CRM_T_CLOSED && col_sets(&t->closed, when) == -1)) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		rc = CRM_DESK_FATAL;
		goto out;
	}
	if (to == CRM_T_REOPENED && from != to)
		t->reopens++;
	rc = CRM_DESK_FATAL;
	if (put(d, t, e) == -1)
		goto out;
	/* the events, in the order they happened: reply, state, agent */
	t->state = from;
	if (c->reply && event(d, t, when, "reply", from, c->actor, NULL, NULL,
			    c->note, c->nlen, e) == -1)
		goto out;
	t->state = to;
	ts = c->reply ? NULL : c->note;
	if (to != from &&
	    event(d, t, when, "state", from, c->actor, col_str(&t->assignee),
		sla_verdict(t, from, c->time, verdict, sizeof(verdict)), ts,
		ts ? c->nlen : 0, e) == -1)
		goto out;
	if (!col_eq(&was_agent, &t->assignee) && !t->assignee.null &&
	    event(d, t, when, "assigned", to, c->actor, col_str(&t->assignee),
		NULL, NULL, 0, e) == -1)
		goto out;
	if (!c->reply && to == from && c->note != NULL &&
	    col_eq(&was_agent, &t->assignee) &&
	    event(d, t, when, "note", from, c->actor, NULL, NULL, c->note,
		c->nlen, e) == -1)
		goto out;
	act->assigned = !col_eq(&was_agent, &t->assignee);
	if (fill(d, t, from, pfrom, act) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	*applied = 1;
	rc = 0;
	if (!t->parent.null && (to != from || act->assigned))
		rc = settle(d, t->parent.b.p, t->parent.b.len, when,
			 c->actor ? c->actor : "crm-route", from, to, act,
			 e) == -1
			 ? CRM_DESK_FATAL
			 : 0;
out:
	crm_buf_release(&was_agent.b);
	return rc;
}

/* ==== Erasure ==== */

#define LOADS "status IN ('open', 'pending', 'on-hold', 'reopened')"

const struct crm_erase_step crm_desk_loads_erase[] = {
	{ "agents", "freed",
	    "UPDATE agents SET load = max(0, load - (SELECT count(*) FROM"
	    " tickets t WHERE t.assignee = agents.agent_id"
	    " AND t.customer_id = ?1 AND t." LOADS "))"
	    " WHERE agent_id IN (SELECT assignee FROM tickets"
	    " WHERE customer_id = ?1 AND " LOADS ")" },
	{ NULL, NULL, NULL },
};

/* ==== The sweep ==== */

int
crm_desk_list(struct crm_desk *d, enum crm_desk_list which, double now,
    double warn, struct crm_strmap **out, struct crm_err *e)
{
	struct crm_strmap *ids;
	sqlite3_stmt *st = d->tt[which == CRM_DESK_BREACHED ? T_BREACHED
				 : which == CRM_DESK_WARN   ? T_WARN
							    : T_WAITING];
	char a[32], b[32];
	int rc;

	crm_strmap_free(d->full);
	if ((*out = ids = crm_strmap_new()) == NULL ||
	    (d->full = crm_strmap_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_route_iso(now, a);
	crm_route_iso(now + warn, b);
	if (which != CRM_DESK_WAITING)
		bind_text(st, 1, a, strlen(a));
	if (which == CRM_DESK_WARN)
		bind_text(st, 2, b, strlen(b));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (crm_strmap_put(ids,
			(const char *)sqlite3_column_text(st, 0),
			(size_t)sqlite3_column_bytes(st, 0)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_NOMEM)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the tickets");
}

/* Whether agent a (a column) has skill; 1, 0, -1. */
static int
has_skill(struct crm_desk *d, const struct col *a, const char *skill,
    struct crm_err *e)
{
	sqlite3_stmt *st = d->st[S_HAS_SKILL];
	int rc;

	bind_text(st, 1, skill, strlen(skill));
	bind_col(st, 2, a);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : fail(d, e, "cannot read the skills");
}

/*
 * Give t an agent picked by skill (NULL: any) when one has room: a new
 * ticket is open then.  1 given, 0 none had room, -1.
 */
static int
give(struct crm_desk *d, struct crm_tk *t, const char *skill, size_t slen,
    const char *when, const char *reason, struct crm_err *e)
{
	int from = t->state;

	if (crm_desk_pick(d, skill, slen, &d->agent, e) == -1)
		return -1;
	if (d->agent.len == 0)
		return 0;
	if (col_set(&t->assignee, d->agent.p, d->agent.len) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (t->state == CRM_T_NEW)
		t->state = CRM_T_OPEN;
	if (event(d, t, when, "assigned", from, "crm-route",
		col_str(&t->assignee), reason, NULL, 0, e) == -1)
		return -1;
	return 1;
}

int
crm_desk_sweep_one(struct crm_desk *d, enum crm_desk_list which, const char *id,
    size_t len, double now, const char *senior, struct crm_desk_act *act,
    struct crm_err *e)
{
	struct crm_tk *t = d->tk;
	char when[32], reason[96];
	int rc, from, pfrom, running;
	double due;

	memset(act, 0, sizeof(*act));
	act->parent_from = act->parent_to = -1;
	crm_route_iso(now, when);
	if ((rc = get(d, id, len, t, e)) <= 0)
		return rc;
	from = t->state;
	pfrom = t->prio;
	running = crm_tstate_clock(t->state) == 1 && !t->queue.null &&
		  !t->due.null;
	due = secs(&t->due);
	/* what the list said may have changed since it was read */
	switch (which) {
	case CRM_DESK_BREACHED:
		if (!running || isnan(due) || due > now ||
		    col_eq(&t->escalated, &t->due))
			return 0;
		snprintf(
		    reason, sizeof(reason), "SLA breached at %s", t->due.b.p);
		if (col_sets(&t->escalated, t->due.b.p) == -1 ||
		    col_sets(&t->queue, senior) == -1 ||
		    col_sets(&t->skill, senior) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (event(d, t, when, "escalated", from, "crm-route", senior,
			reason, NULL, 0, e) == -1)
			return -1;
		act->escalated = 1;
		if (t->assignee.null) {
			if ((rc = give(d, t, senior, strlen(senior), when,
				 reason, e)) == -1)
				return -1;
			act->assigned = rc;
			break;
		}
		if ((rc = has_skill(d, &t->assignee, senior, e)) != 0) {
			if (rc == -1)
				return -1;
			break;
		}
		/* a senior agent with room takes it over */
		if (crm_desk_pick(d, senior, strlen(senior), &d->agent, e) ==
		    -1)
			return -1;
		if (d->agent.len > 0) {
			if (crm_desk_load_down(d, t->assignee.b.p,
				t->assignee.b.len, e) == -1 ||
			    col_set(&t->assignee, d->agent.p, d->agent.len) ==
				-1 ||
			    event(d, t, when, "assigned", from, "crm-route",
				col_str(&t->assignee), reason, NULL, 0,
				e) == -1)
				return -1;
			act->assigned = 1;
		}
		break;
	case CRM_DESK_WARN:
		if (!running || isnan(due) || due <= now ||
		    col_eq(&t->warned, &t->due))
			return 0;
		snprintf(reason, sizeof(reason), "SLA due at %s", t->due.b.p);
		if (col_sets(&t->warned, t->due.b.p) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (t->prio > 1) {
			t->prio--;
			if (event(d, t, when, "priority", from, "crm-route",
				pnames[t->prio], reason, NULL, 0, e) == -1)
				return -1;
		}
		if (t->assignee.null) {
			rc = give(d, t, t->skill.b.p, t->skill.b.len, when,
			    reason, e);
			if (rc == 0)
				rc = give(d, t, NULL, 0, when, reason, e);
			if (rc == -1)
				return -1;
			act->assigned = rc;
		}
		break;
	default:
		if (!t->assignee.null || t->queue.null ||
		    (t->state != CRM_T_NEW && t->state != CRM_T_REOPENED))
			return 0;
		/* a skill nobody had room for stays so in this list */
		if (d->full != NULL &&
		    crm_strmap_get(d->full, t->skill.b.p, t->skill.b.len) >= 0)
			return 0;
		if ((rc = give(d, t, t->skill.b.p, t->skill.b.len, when,
			 "an agent with the skill had room", e)) == -1)
			return -1;
		if (rc == 0) {
			if (d->full != NULL &&
			    crm_strmap_put(
				d->full, t->skill.b.p, t->skill.b.len) < 0)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			return 0;
		}
		act->assigned = 1;
	}
	if (col_sets(&t->updated, when) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (put(d, t, e) == -1)
		return -1;
	if (fill(d, t, from, pfrom, act) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (!t->parent.null && settle(d, t->parent.b.p, t->parent.b.len, when,
				   "crm-route", from, t->state, act, e) == -1)
		return -1;
	return 1;
}
