/*
 * desk_stats: the figures of desk_stats.h from the store.
 *
 * One query reads the tickets counted with their events before until,
 * in the order of the indexes (tickets by id, then ticket_events by
 * (ticket_id, time) and row id), so SQLite neither sorts nor buffers;
 * a ticket's rows come together and are folded here as they come: the
 * span from each event to the next goes to the state the first one left
 * the ticket in.  A parent's subtasks are looked up by the index on
 * tickets(parent_id), for their first reply and their breaches.
 *
 * Why the spans are not summed in SQL: on a store of 1,000,000 tickets
 * and 5,000,000 events (2 shared cores, CPU seconds), the figures with
 * lead() and a running count over a window partitioned by ticket and a
 * GROUP BY ticket after it took 24 s (SQLite copies every row of a
 * window into a temporary table, then sorts them all again for the
 * GROUP BY of the subquery); lead() alone, its rows handed out, 9 s;
 * plain aggregates that need no order (each event's time added for its
 * from_state and taken away for its state) 8 s, with unixepoch() run
 * once an aggregate, and wrong as soon as one from_state is.  The rows
 * in index order folded here, with the subtasks and the percentiles,
 * take 5 s.
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "clock.h"
#include "desk_stats.h"
#include "route.h"
#include "jw.h"
#include "norm.h"

/*
 * The tickets counted (?1 since or NULL, ?2 until) and their events
 * before until, a ticket's in time order (LEFT JOIN: a ticket without
 * an event has one row of NULLs).  Times as epoch seconds.
 */
static const char q_tickets[] =
    "SELECT t.ticket_id, unixepoch(t.created), unixepoch(t.sla_due),"
    " t.queue IS NULL, unixepoch(e.time), e.event, e.state, e.actor,"
    " e.reason FROM tickets t LEFT JOIN ticket_events e"
    " ON e.ticket_id = t.ticket_id AND e.time < ?2"
    " WHERE t.parent_id IS NULL AND (?1 IS NULL OR t.created >= ?1)"
    " AND t.created < ?2 ORDER BY t.ticket_id, e.time, e.id";

/*
 * The subtasks of parent ?1 made before until ?2, with their replies and
 * escalations before until (a row of NULLs for a subtask with none);
 * read, like q_tickets, in the order of the indexes, with no sort.
 */
static const char q_subtasks[] = "SELECT e.id, unixepoch(e.time), e.event, "
				 "e.actor, e.reason"
				 " FROM tickets s LEFT JOIN ticket_events e"
				 " ON e.ticket_id = s.ticket_id AND e.time < ?2"
				 " AND e.event IN ('reply', 'escalated')"
				 " WHERE s.parent_id = ?1 AND s.created < ?2";

/* Columns of q_tickets. */
enum {
	C_ID,
	C_CREATED,
	C_DUE,
	C_PARENT,
	C_AT,
	C_EVENT,
	C_STATE,
	C_ACTOR,
	C_REASON
};

/* One ticket while its rows are read. */
struct tk {
	sqlite3_int64 created, due, at; /* at: the last change of state */
	int has_due, parent;
	int state; /* after the rows so far */
	int replied, bot, solved, reopened, breach, split;
	int verdict; /* its done event said: 1 SLA met, 2 breached, 0 none */
	sqlite3_int64 reply_at, solved_at;
	int sub_replied, sub_bot; /* a parent's subtasks' first reply */
	sqlite3_int64 sub_reply_at;
	double in[CRM_T_N]; /* seconds in each state */
	unsigned char was[CRM_T_N];
};

/* Durations collected for their median and 90th percentile. */
struct vec {
	double *v;
	size_t n, cap;
};

struct run {
	sqlite3_stmt *tickets, *sub;
	sqlite3_int64 until;
	struct crm_desk_stats *st;
	struct vec response, resolution;
	double in_sum[CRM_T_N];
	unsigned long long in_n[CRM_T_N];
};

static int
vec_add(struct vec *v, double x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 4096;
		double *p;

		if ((p = crm_reallocarray(v->v, cap, sizeof(*p))) == NULL)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

static int
cmp_seconds(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * The q-quantile of the n values v (sorted here), interpolated between
 * the two nearest ranks as R's type 7 and numpy's default do (so the
 * median of an even count is the mean of the middle two); NAN when n is
 * 0.  By hand: SQLite has no percentile() in the builds Debian ships
 * (3.40; the extension came in 3.47), and one in SQL is a sort and a
 * second pass over the rows anyway; the values here are one a ticket,
 * sorted once for both quantiles.
 */
static double
quantile(const double *v, size_t n, double q)
{
	double h, lo;
	size_t i;

	if (n == 0)
		return NAN;
	h = q * (double)(n - 1);
	lo = floor(h);
	i = (size_t)lo;
	return i + 1 < n ? v[i] + (h - lo) * (v[i + 1] - v[i]) : v[i];
}

static void
quantiles(struct vec *v, double *median, double *p90)
{
	if (v->n > 0) /* no array at all when empty */
		qsort(v->v, v->n, sizeof(*v->v), cmp_seconds);
	*median = quantile(v->v, v->n, 0.5);
	*p90 = quantile(v->v, v->n, 0.9);
}

/* The state in column c of the statement, or -1 when NULL or unknown. */
static int
col_state(sqlite3_stmt *q, int c)
{
	const unsigned char *s = sqlite3_column_text(q, c);

	return s == NULL ? -1
			 : crm_tstate_parse((const char *)s,
			       (size_t)sqlite3_column_bytes(q, c));
}

/* Whether column c holds the text s. */
static int
col_is(sqlite3_stmt *q, int c, const char *s)
{
	const unsigned char *v = sqlite3_column_text(q, c);

	return v != NULL && strcmp((const char *)v, s) == 0;
}

/* Whether columns c_event, c_actor of q are a reply (not the customer's). */
static int
col_reply(sqlite3_stmt *q, int c_event, int c_actor)
{
	return col_is(q, c_event, "reply") && !col_is(q, c_actor, "customer");
}

/* Whether columns c_event, c_reason of q are the sweep's breach. */
static int
col_breach(sqlite3_stmt *q, int c_event, int c_reason)
{
	const unsigned char *r = sqlite3_column_text(q, c_reason);

	return col_is(q, c_event, "escalated") && r != NULL &&
	       strncmp((const char *)r, "SLA breached", 12) == 0;
}

/* A ticket's first row: its columns, new until its first event. */
static void
tk_start(struct tk *t, sqlite3_stmt *q)
{
	memset(t, 0, sizeof(*t));
	t->created = t->at = sqlite3_column_int64(q, C_CREATED);
	t->has_due = sqlite3_column_type(q, C_DUE) != SQLITE_NULL;
	t->due = sqlite3_column_int64(q, C_DUE);
	t->parent = sqlite3_column_int(q, C_PARENT);
	t->state = CRM_T_NEW;
	t->was[CRM_T_NEW] = 1;
}

/* One event row of the ticket (its columns C_AT on). */
static void
tk_event(struct tk *t, sqlite3_stmt *q)
{
	sqlite3_int64 at = sqlite3_column_int64(q, C_AT);
	int s = col_state(q, C_STATE);

	if (!t->replied && col_reply(q, C_EVENT, C_ACTOR)) {
		t->replied = 1;
		t->reply_at = at;
		t->bot = col_is(q, C_ACTOR, "bot");
	}
	if (col_breach(q, C_EVENT, C_REASON))
		t->breach = 1;
	if (s == -1) /* no state (or one this build does not know): no change */
		return;
	t->in[t->state] += (double)(at - t->at);
	t->state = s;
	t->at = at;
	t->was[s] = 1;
	if ((s == CRM_T_SOLVED || s == CRM_T_CLOSED) && !t->solved) {
		const unsigned char *r = sqlite3_column_text(q, C_REASON);

		t->solved = 1;
		t->solved_at = at;
		/* judged when it was done (desk_tickets.c's sla_verdict) */
		if (r != NULL && strncmp((const char *)r, "SLA met", 7) == 0)
			t->verdict = 1;
		else if (r != NULL &&
			 strncmp((const char *)r, "SLA breached", 12) == 0)
			t->verdict = 2;
	}
	if (s == CRM_T_REOPENED)
		t->reopened = 1;
}

/*
 * A parent's subtasks (q_tickets' row is the parent's first): whether
 * it has any, their breaches and their first reply (the earliest, the
 * first written of those at the same second).  0, or -1.
 */
static int
tk_subtasks(struct run *r, struct tk *t)
{
	sqlite3_stmt *q = r->sub;
	sqlite3_int64 first = 0;
	int rc;

	if (sqlite3_bind_value(q, 1, sqlite3_column_value(r->tickets, C_ID)) !=
	    SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(q, 0),
			      at = sqlite3_column_int64(q, 1);

		t->split = 1;
		if (col_breach(q, 2, 4))
			t->breach = 1;
		if (col_reply(q, 2, 3) &&
		    (!t->sub_replied || at < t->sub_reply_at ||
			(at == t->sub_reply_at && id < first))) {
			t->sub_replied = 1;
			t->sub_reply_at = at;
			t->sub_bot = col_is(q, 3, "bot");
			first = id;
		}
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Count a ticket whose rows are all read: its last state lasts until
 * until; a subtask's reply is its first response when earlier than its
 * own (at the same second, its own).  0, or -1 when out of memory.
 */
static int
tk_finish(struct run *r, struct tk *t)
{
	struct crm_desk_stats *st = r->st;
	int s;

	t->in[t->state] += (double)(r->until - t->at);
	if (t->sub_replied && (!t->replied || t->sub_reply_at < t->reply_at)) {
		t->replied = 1;
		t->reply_at = t->sub_reply_at;
		t->bot = t->sub_bot;
	}
	st->tickets++;
	st->split += (unsigned long long)t->split;
	st->now_in[t->state]++;
	for (s = 0; s < CRM_T_N; s++)
		if (t->was[s]) {
			r->in_sum[s] += t->in[s];
			r->in_n[s]++;
		}
	if (t->replied) {
		st->responded++;
		st->by_bot += (unsigned long long)t->bot;
		if (vec_add(&r->response, (double)(t->reply_at - t->created)) ==
		    -1)
			return -1;
	}
	if (t->solved) {
		st->solved++;
		if (vec_add(&r->resolution,
			(double)(t->solved_at - t->created)) == -1)
			return -1;
	}
	st->closed += t->state == CRM_T_CLOSED;
	st->reopened += (unsigned long long)t->reopened;
	if (t->breach || t->verdict == 2)
		st->sla_breached++;
	else if (t->verdict == 1)
		st->sla_met++;
	else if (t->solved && t->has_due)
		t->solved_at <= t->due ? st->sla_met++ : st->sla_breached++;
	else if (!t->solved && t->has_due && t->due < r->until &&
		 crm_tstate_clock(t->state) == 1)
		st->sla_breached++;
	return 0;
}

/*
 * Fold the rows of q_tickets a ticket at a time (its rows come
 * together: they are ordered by its id).  0, -1 from SQLite, or -2
 * when out of memory.
 */
static int
read_tickets(struct run *r)
{
	sqlite3_stmt *q = r->tickets;
	struct crm_buf id;
	struct tk t;
	int rc, have = 0, bad = 0;

	crm_buf_init(&id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(q, C_ID);
		size_t n = (size_t)sqlite3_column_bytes(q, C_ID);

		if (!have || id.len != n || memcmp(id.p, p, n) != 0) {
			if (have && tk_finish(r, &t) == -1) {
				bad = -2;
				break;
			}
			crm_buf_reset(&id);
			if (crm_buf_add(&id, p, n) == -1) {
				bad = -2;
				break;
			}
			tk_start(&t, q);
			have = 1;
			if (t.parent && tk_subtasks(r, &t) == -1) {
				bad = -1;
				break;
			}
		}
		if (sqlite3_column_type(q, C_AT) != SQLITE_NULL)
			tk_event(&t, q);
	}
	if (bad == 0 && rc != SQLITE_DONE)
		bad = -1;
	if (bad == 0 && have && tk_finish(r, &t) == -1)
		bad = -2;
	crm_buf_release(&id);
	return bad;
}

/*
 * A bound as the store writes times, YYYY-MM-DDTHH:MM:SSZ, into iso
 * (to compare with its text) and as epoch seconds; 0, or -1 with e
 * filled.
 */
static int
bound(const char *what, const char *v, char iso[32], sqlite3_int64 *secs,
    struct crm_err *e)
{
	const char *why;
	double d;

	if (crm_norm_seconds(v, strlen(v), &d, &why) == -1)
		return crm_err_set(
		    e, EX_USAGE, "bad %s '%s': %s", what, v, why);
	crm_route_iso(d, iso); /* "" outside years 1 to 9999 */
	if (iso[0] == '\0')
		return crm_err_set(
		    e, EX_USAGE, "bad %s '%s': out of range", what, v);
	*secs = (sqlite3_int64)floor(d);
	return 0;
}

int
crm_desk_stats(struct crm_store *s, const char *since, const char *until,
    struct crm_desk_stats *st, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(s);
	struct run r;
	char now[21], from[32], to[32];
	sqlite3_int64 secs;
	int i, rc = -1;

	memset(&r, 0, sizeof(r));
	memset(st, 0, sizeof(*st));
	r.st = st;
	if (until == NULL) {
		crm_clock_iso(now);
		until = now;
	}
	if ((since != NULL && bound("--since", since, from, &secs, e) == -1) ||
	    bound("--until", until, to, &r.until, e) == -1)
		return -1;
	if (sqlite3_prepare_v2(db, q_tickets, -1, &r.tickets, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(db, q_subtasks, -1, &r.sub, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(r.tickets, 1, since != NULL ? from : NULL, -1,
		SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(r.tickets, 2, to, -1, SQLITE_STATIC) !=
		SQLITE_OK ||
	    sqlite3_bind_text(r.sub, 2, to, -1, SQLITE_STATIC) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read the tickets");
		goto out;
	}
	switch (read_tickets(&r)) {
	case -1:
		crm_store_fail(s, e, "cannot read the tickets");
		goto out;
	case -2:
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	quantiles(
	    &r.response, &st->first_response_median, &st->first_response_p90);
	quantiles(&r.resolution, &st->resolution_median, &st->resolution_p90);
	for (i = 0; i < CRM_T_N; i++)
		st->time_in[i] = r.in_n[i] ? r.in_sum[i] / (double)r.in_n[i]
					   : NAN;
	st->reopen_rate = st->solved ? (double)st->reopened / (double)st->solved
				     : NAN;
	rc = 0;
out:
	sqlite3_finalize(r.tickets);
	sqlite3_finalize(r.sub);
	free(r.response.v);
	free(r.resolution.v);
	return rc;
}

/* One figure of the line: a count, or a number printed with fmt. */
struct fig {
	const char *key;
	const char *fmt; /* NULL: the count n */
	unsigned long long n;
	double v;
};

#define COUNT(k, n)           \
	{                     \
		k, NULL, n, 0 \
	}
#define NUMBER(k, f, v)    \
	{                  \
		k, f, 0, v \
	}
#define HOURS(k, seconds) NUMBER(k, "%.2f", (seconds) / 3600.0)

int
crm_desk_stats_format(
    const struct crm_desk_stats *st, int json, struct crm_buf *out)
{
	const struct fig f[] = {
		COUNT("tickets", st->tickets),
		COUNT("split", st->split),
		COUNT("by_bot", st->by_bot),
		COUNT("responded", st->responded),
		COUNT("solved", st->solved),
		COUNT("closed", st->closed),
		COUNT("reopened", st->reopened),
		NUMBER("reopen_rate", "%.3f", st->reopen_rate),
		COUNT("sla_met", st->sla_met),
		COUNT("sla_breached", st->sla_breached),
		HOURS("first_response_median_h", st->first_response_median),
		HOURS("first_response_p90_h", st->first_response_p90),
		HOURS("resolution_median_h", st->resolution_median),
		HOURS("resolution_p90_h", st->resolution_p90),
		HOURS("hours_new", st->time_in[CRM_T_NEW]),
		HOURS("hours_open", st->time_in[CRM_T_OPEN]),
		HOURS("hours_pending", st->time_in[CRM_T_PENDING]),
		HOURS("hours_on_hold", st->time_in[CRM_T_ONHOLD]),
		HOURS("hours_solved", st->time_in[CRM_T_SOLVED]),
		COUNT("now_new", st->now_in[CRM_T_NEW]),
		COUNT("now_open", st->now_in[CRM_T_OPEN]),
		COUNT("now_pending", st->now_in[CRM_T_PENDING]),
		COUNT("now_on_hold", st->now_in[CRM_T_ONHOLD]),
		COUNT("now_solved", st->now_in[CRM_T_SOLVED]),
		COUNT("now_closed", st->now_in[CRM_T_CLOSED]),
		COUNT("now_reopened", st->now_in[CRM_T_REOPENED]),
	};
	size_t i, n = sizeof(f) / sizeof(f[0]);
	struct crm_jw w;
	int bad = 0;

	if (json) {
		crm_jw_init(&w, out);
		crm_jw_obj(&w);
		for (i = 0; i < n; i++) {
			crm_jw_key(&w, f[i].key);
			if (f[i].fmt == NULL)
				crm_jw_int(&w, (long long)f[i].n);
			else
				crm_jw_num(&w, f[i].fmt, f[i].v);
		}
		crm_jw_end(&w);
		return crm_jw_done(&w) == -1 || crm_buf_addc(out, '\n') == -1
			   ? -1
			   : 0;
	}
	for (i = 0; i < n; i++) {
		bad |= crm_buf_addf(out, "%s%s=", i ? " " : "", f[i].key);
		if (f[i].fmt == NULL)
			bad |= crm_buf_addf(out, "%llu", f[i].n);
		else if (isnan(f[i].v))
			bad |= crm_buf_adds(out, "nan");
		else {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			bad |= crm_buf_addf(out, f[i].fmt, f[i].v);
#pragma GCC diagnostic pop
		}
	}
	return bad || crm_buf_addc(out, '\n') == -1 ? -1 : 0;
}
