/*
 * test_desk_stats: the help desk's figures from a store of nine
 * tickets whose every figure was worked out by hand: a knowledge-base
 * answer, a reopened ticket, a pending pause past its due time (neither
 * met nor breached), a breach escalated by the sweep while pending
 * after a customer's reply (not a response), a ticket split into
 * billing and logistics subtasks (its first response a subtask's reply,
 * earlier than its own; breached by a subtask's escalation though
 * solved in time), an open ticket past due, one closed straight from
 * open without a due time, one without an event and one assigned at
 * noon; around them a ticket of the day before, one made at until and
 * a reply after until, which do not count.  Then the same store up to
 * noon from the first ticket on (an event at until not yet), an empty
 * window (nan, null), the lines as printed, and a bound that is not a
 * time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "desk_stats.h"
#include "tap.h"

static char dir[] = "/tmp/test_desk_stats.XXXXXX";
static char path[256];

#define D1 "2026-03-02T"
#define D0 "2026-03-01T"

/* ticket_id, parent_id, queue, sla_due, status, created */
#define TICKET(id, parent, queue, due, status, created)                     \
	"INSERT INTO tickets(ticket_id, parent_id, customer_id, priority,"  \
	" queue, sla_due, status, routed, created, updated) VALUES ('" id   \
	"', " parent ", 'c-" id "', 'normal', " queue ", " due ", '" status \
	"', '" created "', '" created "', '" created "');"

/* time, ticket_id, event, from_state, state, actor, reason */
#define EVENT(time, id, event, from, state, actor, reason)                     \
	"INSERT INTO ticket_events(time, ticket_id, event, from_state, state," \
	" actor, reason) VALUES ('" time "', '" id "', '" event "', " from     \
	", '" state "', '" actor "', " reason ");"

static const char *const store_rows[] = {
	/* A: answered by the knowledge base at once */

	TICKET("A", "NULL", "'billing'", "'" D1 "17:00:00Z'", "solved",
	    D1 "09:00:00Z"),
	EVENT(D1 "09:00:00Z", "A", "state", "NULL", "new", "crm-route",
	    "'routed'"),
	EVENT(D1 "09:00:00Z", "A", "reply", "'new'", "solved", "bot",
	    "'knowledge base'"),
	/* B: solved in time, reopened, solved again */
	TICKET("B", "NULL", "'billing'", "'" D1 "12:00:00Z'", "solved",
	    D1 "08:00:00Z"),
	EVENT(D1 "08:00:00Z", "B", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "08:30:00Z", "B", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT(D1 "09:00:00Z", "B", "reply", "'open'", "open", "a1", "NULL"),
	EVENT(D1 "10:00:00Z", "B", "state", "'open'", "solved", "a1", "NULL"),
	EVENT(D1 "14:00:00Z", "B", "state", "'solved'", "reopened", "customer",
	    "NULL"),
	EVENT(D1 "15:00:00Z", "B", "state", "'reopened'", "open", "a1", "NULL"),
	EVENT(D1 "16:00:00Z", "B", "state", "'open'", "solved", "a1", "NULL"),
	/* C: waits on the customer past its due time: the clock is paused */
	TICKET("C", "NULL", "'billing'", "'" D1 "14:00:00Z'", "pending",
	    D1 "10:00:00Z"),
	EVENT(D1 "10:00:00Z", "C", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "10:00:00Z", "C", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT(D1 "11:00:00Z", "C", "reply", "'open'", "pending", "a2", "NULL"),
	EVENT(
	    D1 "12:00:00Z", "C", "note", "'pending'", "pending", "a2", "NULL"),
	/* D: the customer writes again, the sweep escalates, then pending */
	TICKET("D", "NULL", "'billing'", "'" D1 "10:00:00Z'", "pending",
	    D1 "06:00:00Z"),
	EVENT(D1 "06:00:00Z", "D", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "08:00:00Z", "D", "reply", "'new'", "new", "customer", "NULL"),
	EVENT(D1 "12:00:00Z", "D", "escalated", "'new'", "new", "crm-route",
	    "'SLA breached at " D1 "10:00:00Z'"),
	EVENT(D1 "13:"
		 "00:"
		 "00Z",
	    "D", "assigned", "'new'", "open", "crm-route", "NULL"),
	EVENT(D1 "14:00:00Z", "D", "reply", "'open'", "pending", "a5", "NULL"),
	/* P: split into billing (S1) and logistics (S2) */
	TICKET(
	    "P", "NULL", "NULL", "'" D1 "18:00:00Z'", "solved", D1 "07:00:00Z"),
	EVENT(D1 "07:00:00Z", "P", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(
	    D1 "08:00:00Z", "P", "state", "'new'", "open", "crm-route", "NULL"),
	EVENT(D1 "11:00:00Z", "P", "state", "'open'", "on-hold", "crm-route",
	    "NULL"),
	EVENT(D1 "13:00:00Z", "P", "state", "'on-hold'", "open", "crm-route",
	    "NULL"),
	EVENT(D1 "17:00:00Z", "P", "state", "'open'", "solved", "crm-route",
	    "NULL"),
	/* its own reply, later than S1's */
	EVENT(D1 "10:00:00Z", "P", "reply", "'open'", "open", "a3", "NULL"),
	TICKET("S1", "'P'", "'billing'", "'" D1 "15:00:00Z'", "solved",
	    D1 "07:00:00Z"),
	EVENT(
	    D1 "07:00:00Z", "S1", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "08:00:00Z", "S1", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT(D1 "09:30:00Z", "S1", "reply", "'open'", "open", "a3", "NULL"),
	EVENT(D1 "11:00:00Z", "S1", "state", "'open'", "solved", "a3", "NULL"),
	TICKET("S2", "'P'", "'logistics'", "'" D1 "15:00:00Z'", "solved",
	    D1 "07:00:00Z"),
	EVENT(
	    D1 "07:00:00Z", "S2", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "09:00:00Z", "S2", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT(D1 "10:00:00Z", "S2", "state", "'open'", "on-hold", "a4", "NULL"),
	EVENT(D1 "13:00:00Z", "S2", "state", "'on-hold'", "open", "a4", "NULL"),
	EVENT(D1 "16:00:00Z", "S2", "escalated", "'open'", "open", "crm-route",
	    "'SLA breached'"),
	EVENT(D1 "17:00:00Z", "S2", "state", "'open'", "solved", "a4", "NULL"),
	/* F: open past due; its reply comes after until */
	TICKET("F", "NULL", "'billing'", "'" D1 "09:00:00Z'", "open",
	    D1 "05:00:00Z"),
	EVENT(D1 "05:00:00Z", "F", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "05:30:00Z", "F", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT("2026-03-03T02:00:00Z", "F", "reply", "'open'", "solved", "a6",
	    "NULL"),
	/* G: no due time, closed straight from open */
	TICKET("G", "NULL", "'billing'", "NULL", "closed", D1 "12:00:00Z"),
	EVENT(D1 "12:00:00Z", "G", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "12:00:00Z", "G", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT(D1 "13:00:00Z", "G", "reply", "'open'", "open", "a7", "NULL"),
	EVENT(D1 "14:00:00Z", "G", "state", "'open'", "closed", "a7", "NULL"),
	/* K: assigned at until (noon), due the next day */
	TICKET("K", "NULL", "'billing'", "'2026-03-03T08:00:00Z'", "open",
	    D1 "11:00:00Z"),
	EVENT(D1 "11:00:00Z", "K", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D1 "12:00:00Z", "K", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	/* I: no event at all, past due at until */
	TICKET("I", "NULL", "'billing'", "'" D1 "21:00:00Z'", "new",
	    D1 "20:30:00Z"),
	/* H: the day before */
	TICKET("H", "NULL", "'billing'", "'" D0 "18:00:00Z'", "solved",
	    D0 "10:00:00Z"),
	EVENT(D0 "10:00:00Z", "H", "state", "NULL", "new", "crm-route", "NULL"),
	EVENT(D0 "11:00:00Z", "H", "assigned", "'new'", "open", "crm-route",
	    "NULL"),
	EVENT(D0 "12:00:00Z", "H", "reply", "'open'", "solved", "a8", "NULL"),
	/* J: made at until */
	TICKET("J", "NULL", "'billing'", "NULL", "new", "2026-03-03T00:00:00Z"),
	EVENT("2026-03-03T00:00:00Z", "J", "state", "NULL", "new", "crm-route",
	    "NULL"),
};

/* Hours as seconds. */
#define H(h) ((h)*3600.0)

/* Compare every field of got with want. */
static void
same(const struct crm_desk_stats *got, const struct crm_desk_stats *want,
    const char *what)
{
	int i;

#define N(f) TAP_OK(got->f == want->f, "%s: " #f " %llu", what, got->f)
#define R(f)                                        \
	TAP_OK((isnan(got->f) && isnan(want->f)) || \
		   fabs(got->f - want->f) < 1e-6,   \
	    "%s: " #f " %g (want %g)", what, got->f, want->f)
	N(tickets);
	N(split);
	N(by_bot);
	N(responded);
	N(solved);
	N(closed);
	N(reopened);
	N(sla_met);
	N(sla_breached);
	R(first_response_median);
	R(first_response_p90);
	R(resolution_median);
	R(resolution_p90);
	R(reopen_rate);
	for (i = 0; i < CRM_T_N; i++) {
		TAP_OK(got->now_in[i] == want->now_in[i], "%s: now in %s %llu",
		    what, crm_tstate_name(i), got->now_in[i]);
		TAP_OK((isnan(got->time_in[i]) && isnan(want->time_in[i])) ||
			   fabs(got->time_in[i] - want->time_in[i]) < 1e-6,
		    "%s: time in %s %g (want %g)", what, crm_tstate_name(i),
		    got->time_in[i], want->time_in[i]);
	}
#undef N
#undef R
}

/* The line (json or not) of st. */
static void
line(const struct crm_desk_stats *st, int json, const char *want,
    const char *what)
{
	struct crm_buf b;

	crm_buf_init(&b);
	TAP_OK(crm_desk_stats_format(st, json, &b) == 0, "%s: formatted", what);
	TAP_STR(b.p, want, "%s: the line", what);
	crm_buf_release(&b);
}

int
main(void)
{
	struct crm_store *s;
	struct crm_err e = { 0 };
	struct crm_desk_stats st, want;
	size_t i;

	if (mkdtemp(dir) == NULL) {
		TAP_OK(0, "mkdtemp");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	s = crm_store_open(path, 0, &e);
	TAP_OK(s != NULL, "store opened: %s", e.msg);
	if (s == NULL)
		goto out;
	for (i = 0; i < sizeof(store_rows) / sizeof(store_rows[0]); i++)
		if (sqlite3_exec(crm_store_db(s), store_rows[i], NULL, NULL,
			NULL) != SQLITE_OK)
			break;
	TAP_OK(i == sizeof(store_rows) / sizeof(store_rows[0]),
	    "rows inserted: %s", sqlite3_errmsg(crm_store_db(s)));

	/* The day of 2026-03-02: A B C D P F G I K. */
	TAP_OK(crm_desk_stats(
		   s, D1 "00:00:00Z", "2026-03-03T00:00:00Z", &st, &e) == 0,
	    "the day: %s", e.msg);
	memset(&want, 0, sizeof(want));
	want.tickets = 9;
	want.split = 1;
	want.by_bot = 1;
	want.responded = 6; /* A 0 h, B 1, C 1, D 8, P 2.5 (S1), G 1 */
	want.solved = 4;    /* A 0 h, B 2, P 10, G 2 (closed) */
	want.closed = 1;
	want.reopened = 1;
	want.sla_met = 2; /* A B */
	/* D, P (a subtask escalated), F I (running, past due) */
	want.sla_breached = 4;
	want.first_response_median = H(1);
	want.first_response_p90 = H(5.25); /* 2.5 + 0.5 (8 - 2.5) */
	want.resolution_median = H(2);
	want.resolution_p90 = H(7.6); /* 2 + 0.7 (10 - 2) */
	want.reopen_rate = 0.25;
	/* A 0 h, B 0.5, C 0, D 7, P 1, F 0.5, G 0, I 3.5, K 1 */
	want.time_in[CRM_T_NEW] = H(13.5 / 9);
	/* B 2.5, C 1, D 1, P 7, F 18.5, G 2, K 12 */
	want.time_in[CRM_T_OPEN] = H(44.0 / 7);
	want.time_in[CRM_T_PENDING] = H(11.5);	  /* C 13, D 10 */
	want.time_in[CRM_T_ONHOLD] = H(2);	  /* P */
	want.time_in[CRM_T_SOLVED] = H(34.0 / 3); /* A 15, B 12, P 7 */
	want.time_in[CRM_T_CLOSED] = H(10);	  /* G */
	want.time_in[CRM_T_REOPENED] = H(1);	  /* B */
	want.now_in[CRM_T_NEW] = 1;		  /* I */
	want.now_in[CRM_T_OPEN] = 2;		  /* F K */
	want.now_in[CRM_T_PENDING] = 2;		  /* C D */
	want.now_in[CRM_T_SOLVED] = 3;		  /* A B P */
	want.now_in[CRM_T_CLOSED] = 1;		  /* G */
	same(&st, &want, "the day");
	line(&st, 0,
	    "tickets=9 split=1 by_bot=1 responded=6 solved=4 closed=1 "
	    "reopened=1 reopen_rate=0.250 sla_met=2 sla_breached=4 "
	    "first_response_median_h=1.00 first_response_p90_h=5.25 "
	    "resolution_median_h=2.00 resolution_p90_h=7.60 hours_new=1.50 "
	    "hours_open=6.29 hours_pending=11.50 hours_on_hold=2.00 "
	    "hours_solved=11.33 now_new=1 now_open=2 now_pending=2 "
	    "now_on_hold=0 now_solved=3 now_closed=1 now_reopened=0\n",
	    "the day");
	line(&st, 1,
	    "{\"tickets\":9,\"split\":1,\"by_bot\":1,\"responded\":6,"
	    "\"solved\":4,\"closed\":1,\"reopened\":1,\"reopen_rate\":0.250,"
	    "\"sla_met\":2,\"sla_breached\":4,"
	    "\"first_response_median_h\":1.00,"
	    "\"first_response_p90_h\":5.25,\"resolution_median_h\":2.00,"
	    "\"resolution_p90_h\":7.60,\"hours_new\":1.50,"
	    "\"hours_open\":6.29,\"hours_pending\":11.50,"
	    "\"hours_on_hold\":2.00,\"hours_solved\":11.33,\"now_new\":1,"
	    "\"now_open\":2,\"now_pending\":2,\"now_on_hold\":0,"
	    "\"now_solved\":3,\"now_closed\":1,\"now_reopened\":0}\n",
	    "the day, json");

	/* The same day given as days; the same figures. */
	TAP_OK(crm_desk_stats(s, "2026-03-02", "2026-03-03", &want, &e) == 0,
	    "the day as days: %s", e.msg);
	same(&want, &st, "the day as days");

	/* From the first ticket to noon: H A B C D P F K, as they were. */
	TAP_OK(crm_desk_stats(s, NULL, D1 "12:00:00Z", &st, &e) == 0,
	    "to noon: %s", e.msg);
	memset(&want, 0, sizeof(want));
	want.tickets = 8;
	want.split = 1;
	want.by_bot = 1;
	want.responded = 5;    /* H 2 h, A 0, B 1, C 1, P 2.5 */
	want.solved = 3;       /* H 2 h, A 0, B 2 */
	want.sla_met = 3;      /* H A B; C, P and K in time */
	want.sla_breached = 2; /* D (new), F (open): running, past due */
	want.first_response_median = H(1);
	want.first_response_p90 = H(2.3); /* 2 + 0.6 (2.5 - 2) */
	want.resolution_median = H(2);
	want.resolution_p90 = H(2);
	want.reopen_rate = 0;
	/* H 1 h, A 0, B 0.5, C 0, D 6, P 1, F 0.5, K 1 (its 12:00 not yet) */
	want.time_in[CRM_T_NEW] = H(10.0 / 8);
	want.time_in[CRM_T_OPEN] = H(2.6);  /* H 1, B 1.5, C 1, P 3, F 6.5 */
	want.time_in[CRM_T_PENDING] = H(1); /* C */
	want.time_in[CRM_T_ONHOLD] = H(1);  /* P */
	want.time_in[CRM_T_SOLVED] = H(29.0 / 3); /* H 24, A 3, B 2 */
	want.time_in[CRM_T_CLOSED] = NAN;
	want.time_in[CRM_T_REOPENED] = NAN;
	want.now_in[CRM_T_NEW] = 2;	/* D K */
	want.now_in[CRM_T_OPEN] = 1;	/* F */
	want.now_in[CRM_T_PENDING] = 1; /* C */
	want.now_in[CRM_T_ONHOLD] = 1;	/* P */
	want.now_in[CRM_T_SOLVED] = 3;	/* H A B */
	same(&st, &want, "to noon");

	/* Nothing made in the window: no figure but counts of 0. */
	TAP_OK(crm_desk_stats(s, "2030-01-01", "2030-01-02", &st, &e) == 0,
	    "empty: %s", e.msg);
	line(&st, 0,
	    "tickets=0 split=0 by_bot=0 responded=0 solved=0 closed=0 "
	    "reopened=0 reopen_rate=nan sla_met=0 sla_breached=0 "
	    "first_response_median_h=nan first_response_p90_h=nan "
	    "resolution_median_h=nan resolution_p90_h=nan hours_new=nan "
	    "hours_open=nan hours_pending=nan hours_on_hold=nan "
	    "hours_solved=nan now_new=0 now_open=0 now_pending=0 "
	    "now_on_hold=0 now_solved=0 now_closed=0 now_reopened=0\n",
	    "empty");
	line(&st, 1,
	    "{\"tickets\":0,\"split\":0,\"by_bot\":0,\"responded\":0,"
	    "\"solved\":0,\"closed\":0,\"reopened\":0,\"reopen_rate\":null,"
	    "\"sla_met\":0,\"sla_breached\":0,"
	    "\"first_response_median_h\":null,"
	    "\"first_response_p90_h\":null,\"resolution_median_h\":null,"
	    "\"resolution_p90_h\":null,\"hours_new\":null,"
	    "\"hours_open\":null,\"hours_pending\":null,"
	    "\"hours_on_hold\":null,\"hours_solved\":null,\"now_new\":0,"
	    "\"now_open\":0,\"now_pending\":0,\"now_on_hold\":0,"
	    "\"now_solved\":0,\"now_closed\":0,\"now_reopened\":0}\n",
	    "empty, json");

	TAP_OK(crm_desk_stats(s, "last week", NULL, &st, &e) == -1 &&
		   e.code == EX_USAGE && strstr(e.msg, "since 'last week'"),
	    "a bound that is not a time: %s", e.msg);
	crm_store_close(s);
out:
	tap_rm_store(dir);
	return tap_done();
}
