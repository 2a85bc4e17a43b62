/*
 * test_ticket: a ticket's states (lib/ticket.c): names both ways, every
 * cell of the table of changes in ticket.h (what is allowed, what needs
 * an agent, and each reason given), what the customer sees, the SLA
 * clock, the load, and a parent's state from its subtasks'.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "ticket.h"

enum {
	N = CRM_T_NEW,
	O = CRM_T_OPEN,
	P = CRM_T_PENDING,
	H = CRM_T_ONHOLD,
	S = CRM_T_SOLVED,
	C = CRM_T_CLOSED,
	R = CRM_T_REOPENED
};

/* ticket.h's table, by hand: y allowed, a with an agent, - refused. */
static const char *const table[CRM_T_N] = {
	/* to:  n o p h s c r */
	[N] = "-aaay--",
	[O] = "-yyyyy-",
	[P] = "-y-yyy-",
	[H] = "-yy-yy-",
	[S] = "-----yy",
	[C] = "-------",
	[R] = "-aaaya-",
};

/* The parent of the subtasks' states in kids (a list ended by -1). */
static int
parent(const int *kids)
{
	size_t n = 0;

	while (kids[n] >= 0)
		n++;
	return crm_tstate_parent(kids, n);
}

int
main(void)
{
	int from, to, want_with, want_without, i;
	char name[32];

	for (i = 0; i < CRM_T_N; i++) {
		const char *s = crm_tstate_name(i);

		TAP_OK(crm_tstate_parse(s, strlen(s)) == i, "%s both ways", s);
	}
	TAP_STR(crm_tstate_name(CRM_T_ONHOLD), "on-hold", "on-hold's name");
	TAP_STR(crm_tstate_name(-1), "", "no state: no name");
	TAP_OK(crm_tstate_parse("waiting", 7) == -1, "waiting is no state");
	TAP_OK(crm_tstate_parse("open ", 5) == -1, "nor is 'open '");
	TAP_OK(crm_tstate_parse("ope", 3) == -1, "nor a prefix");

	for (from = 0; from < CRM_T_N; from++)
		for (to = 0; to < CRM_T_N; to++) {
			char m = table[from][to];

			want_with = m != '-';
			want_without = m == 'y';
			snprintf(name, sizeof(name), "%s -> %s",
			    crm_tstate_name(from), crm_tstate_name(to));
			TAP_OK((crm_tstate_why_not(from, to, 1) == NULL) ==
				   want_with,
			    "%s with an agent: %s", name,
			    want_with ? "allowed" : "refused");
			TAP_OK((crm_tstate_why_not(from, to, 0) == NULL) ==
				   want_without,
			    "%s without one: %s", name,
			    want_without ? "allowed" : "refused");
		}
	TAP_STR(crm_tstate_why_not(C, C, 1), "it is closed already",
	    "a second close says why");
	TAP_STR(crm_tstate_why_not(N, C, 0),
	    "nobody has worked on it yet (solve it first)",
	    "closing a waiting ticket says why");
	TAP_STR(crm_tstate_why_not(N, O, 0), "it has no agent yet",
	    "open without an agent says why");
	TAP_STR(crm_tstate_why_not(P, P, 1), "it is in that state already",
	    "the same state says why");
	TAP_STR(crm_tstate_why_not(O, N, 1),
	    "a ticket is new only until it is taken", "back to new says why");
	TAP_STR(crm_tstate_why_not(O, R, 1), "only a solved ticket is reopened",
	    "reopening an open one says why");
	TAP_STR(crm_tstate_why_not(S, O, 1), "it is solved (reopen it first)",
	    "a solved one taken up says why");
	TAP_STR(crm_tstate_why_not(9, O, 1), "no such state", "a bad state");

	TAP_OK(crm_tstate_visible(N) == N && crm_tstate_visible(O) == O &&
		   crm_tstate_visible(H) == O && crm_tstate_visible(R) == O &&
		   crm_tstate_visible(P) == P && crm_tstate_visible(S) == S &&
		   crm_tstate_visible(C) == S,
	    "the customer sees new, open, pending, solved");
	TAP_OK(crm_tstate_clock(N) == 1 && crm_tstate_clock(O) == 1 &&
		   crm_tstate_clock(R) == 1 && crm_tstate_clock(P) == 0 &&
		   crm_tstate_clock(H) == 0 && crm_tstate_clock(S) == -1 &&
		   crm_tstate_clock(C) == -1,
	    "the clock runs, pauses, stops");
	TAP_OK(!crm_tstate_loads(N) && crm_tstate_loads(O) &&
		   crm_tstate_loads(P) && crm_tstate_loads(H) &&
		   crm_tstate_loads(R) && !crm_tstate_loads(S) &&
		   !crm_tstate_loads(C),
	    "the load counts open, pending, on-hold, reopened");

	TAP_OK(crm_tstate_parent(NULL, 0) == -1, "no subtasks: no parent");
	TAP_OK(parent((const int[]){ N, N, -1 }) == N, "all new: new");
	TAP_OK(parent((const int[]){ N, O, -1 }) == O, "one open: open");
	TAP_OK(parent((const int[]){ N, S, -1 }) == O, "one done, one new: "
						       "open (work has begun)");
	TAP_OK(parent((const int[]){ P, H, -1 }) == H, "on hold before "
						       "pending");
	TAP_OK(parent((const int[]){ P, C, -1 }) == O, "one done, one pending: "
						       "open");
	TAP_OK(parent((const int[]){ P, P, -1 }) == P, "all pending: pending");
	TAP_OK(parent((const int[]){ S, C, -1 }) == S, "solved and closed: "
						       "solved");
	TAP_OK(parent((const int[]){ C, C, -1 }) == C, "all closed: closed");
	TAP_OK(parent((const int[]){ R, O, S, -1 }) == R, "one reopened: "
							  "reopened");
	return tap_done();
}
