/*
 * ticket: a ticket's life as helpdesks keep it, with no store: its
 * states, which change is allowed from which state, what the customer
 * sees of a state, whether the SLA clock runs, and a parent ticket's
 * state from its subtasks'.  crm-route(1) and crm-store(5) say the same
 * in words; lib/desk.c keeps the states in the store.
 *
 *   new       nobody has it yet (waits in its queue)
 *   open      an agent has it
 *   pending   waiting on the customer
 *   on-hold   waiting on another team
 *   solved    answered (by an agent, or the knowledge base)
 *   closed    done for good: nothing changes it again
 *   reopened  the customer came back after it was solved
 */
#ifndef CRM_TICKET_H
#define CRM_TICKET_H

#include <stddef.h>

enum crm_tstate {
	CRM_T_NEW,
	CRM_T_OPEN,
	CRM_T_PENDING,
	CRM_T_ONHOLD,
	CRM_T_SOLVED,
	CRM_T_CLOSED,
	CRM_T_REOPENED,
	CRM_T_N
};

/* The state's name in the store ("on-hold"), or "" for none. */
const char *crm_tstate_name(int s);

/* The state named s[0..len), or -1. */
int crm_tstate_parse(const char *s, size_t len);

/* The names, for a message: "new, open, pending, ...". */
#define CRM_TSTATE_NAMES "new, open, pending, on-hold, solved, closed, reopened"

/*
 * Why a ticket in state from, with an agent (assigned) or not, may not go
 * to state to: a message, or NULL when the change is allowed.
 *
 *   from \ to   new open pending on-hold solved closed reopened
 *   new          -   a      a       a      y      -       -
 *   open         -   y      y       y      y      y       -
 *   pending      -   y      -       y      y      y       -
 *   on-hold      -   y      y       -      y      y       -
 *   solved       -   -      -       -      -      y       y
 *   closed       -   -      -       -      -      -       -
 *   reopened     -   a      a       a      y      c       -
 *
 * y: allowed; a: allowed once the ticket has an agent (it waits in its
 * queue until then); c: allowed once the ticket has an agent (a ticket
 * nobody has worked on is not closed: solve it); -: not allowed.  open to
 * open is a hand-over to another agent.
 */
const char *crm_tstate_why_not(int from, int to, int assigned);

/*
 * What the customer sees of a state: new, open (open, on-hold,
 * reopened: someone is on it), pending (we wait for you) or solved
 * (solved, closed).  A notification is written when this changes.
 */
int crm_tstate_visible(int s);

/*
 * The SLA clock in state s: 1 runs (new, open, reopened), 0 paused
 * (pending, on-hold), -1 stopped (solved, closed).
 */
int crm_tstate_clock(int s);

/*
 * Whether a ticket in state s counts in its agent's load: open,
 * pending, on-hold and reopened do; new (no agent), solved and closed
 * do not.
 */
int crm_tstate_loads(int s);

/*
 * A parent ticket's state from its n subtasks' states: closed when all
 * are closed; solved when all are solved or closed; else reopened if any
 * is; else open if any is open or any is done (work on it has begun);
 * else, of those not done, new if any is new, else on-hold if any is,
 * else pending.  -1 when n is 0.
 */
int crm_tstate_parent(const int *child, size_t n);

#endif
