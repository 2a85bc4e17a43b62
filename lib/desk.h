/*
 * desk: the help desk as the store keeps it: agents (skills, capacity,
 * current load, on shift), the tickets routed to them, and what the store
 * knows of a ticket's customer for the routing rules.
 *
 * Every write happens inside the caller's write transaction (a crm_batch
 * on the same store), which SQLite holds for one process at a time, so
 * that picking an agent and raising its load is one step for all the
 * processes that share the store: no agent is ever given more open
 * tickets than its capacity.  A struct crm_desk borrows the store and
 * owns its prepared statements.
 */
#ifndef CRM_DESK_H
#define CRM_DESK_H

#include <stddef.h>

#include "buf.h"
#include "calendar.h"
#include "clusters.h"
#include "erase.h"
#include "err.h"
#include "rec.h"
#include "store.h"
#include "strmap.h"
#include "ticket.h"

struct crm_desk;

/*
 * The desk of store s (borrowed).  The customer facts of
 * crm_desk_customer are the customer's own (by CRM_BY_RECORD) or its
 * person's (CRM_BY_PERSON, clusters.h); CRM_BY_AUTO is person when the
 * store has clusters.  NULL with e filled.
 */
struct crm_desk *crm_desk_open(
    struct crm_store *s, enum crm_by by, struct crm_err *e);
void crm_desk_close(struct crm_desk *d);

/* ==== Agents ==== */

/*
 * Add or change agent id: name (NULL: keep), skills (a list split at
 * commas, semicolons and white space), capacity (-1: keep) and on shift
 * (-1: keep).  The load is never changed here.  Inside a transaction; 0,
 * or -1 with e filled.
 */
int crm_desk_agent_put(struct crm_desk *d, const char *id, size_t idlen,
    const char *name, size_t nlen, const char *skills, size_t slen,
    long capacity, int on_shift, struct crm_err *e);

/* The current load of agent id; -1 with e filled. */
long crm_desk_agent_load(
    struct crm_desk *d, const char *id, size_t idlen, struct crm_err *e);

/*
 * Call fn(arg, skill) for every skill of an agent; stops at and returns
 * fn's -1.  0, or -1 with e filled.
 */
int crm_desk_skills(struct crm_desk *d, int (*fn)(void *, const char *),
    void *arg, struct crm_err *e);

/* ==== Tickets ==== */

/*
 * The SLA clock: the business calendar its hours are counted in (NULL:
 * every hour; borrowed) and the seconds by priority 1 to 4 (sla[1] to
 * sla[4]) a reopened ticket gets anew.
 */
void crm_desk_clock(
    struct crm_desk *d, const struct crm_cal *cal, const long sla[5]);

/* A failure of the store, not of the record (crm_desk_change). */
#define CRM_DESK_FATAL (-2)

struct crm_ticket {
	const char *id, *parent, *customer; /* parent, customer: NULL if none */
	size_t idlen, plen, clen;
	int priority;		   /* 1 to 4 */
	const char *queue, *skill; /* NULL for a parent */
	const char *sla_due;
	const char *created; /* the ticket's own time */
	const char *lang;    /* its language (zh, en), or NULL */
	const char *reason;  /* why it went where it went, for its event */
	int answered; /* the knowledge base answered it: nobody to assign */
};

/*
 * What a change did, for the audit log, the output and the customer's
 * notification.  Strings point into the desk until its next call.
 */
struct crm_desk_act {
	const char *ticket, *customer; /* customer NULL: none */
	int from, to;		       /* the states before and after */
	int prio_from, prio_to;	       /* 1 to 4 */
	const char *agent;	       /* its agent after, or NULL */
	const char *due;	       /* its sla_due after, or "" */
	const char *queue;	       /* its queue after, or NULL */
	int assigned;		       /* it was given an agent */
	int escalated;		       /* to the senior queue */
	/*
	 * What the customer sees: the ticket or, for a subtask, its
	 * parent; its visible states (ticket.h) before and after (-1
	 * before: it is new), and whether a subtask was done while the
	 * parent goes on (progress to tell).
	 */
	const char *top;
	int seen_from, seen_to, progress;
	int parent_from, parent_to; /* a parent's states when it changed,
				       else -1 */
	const char *lang;	    /* the top ticket's language, or NULL */
};

/*
 * Put ticket t in the store, new, and give it an agent: the on-shift
 * agent with skill t->skill whose load is the smallest share of its
 * capacity (then the smallest load, then the least id), whose load goes
 * up by one: then it is open.  When no such agent has room it waits in
 * its queue (new); answered by the knowledge base, it is solved.  A
 * parent (t->queue NULL) gets no agent: its state is its subtasks', put
 * right by crm_desk_settle once they are in.  A ticket the store holds
 * already keeps what it has (*again set, act not filled).  Inside a
 * transaction; 0, or -1 with e filled.
 */
int crm_desk_assign(struct crm_desk *d, const struct crm_ticket *t,
    struct crm_desk_act *act, int *again, struct crm_err *e);

/*
 * A parent's state, priority and due time from its subtasks', logged
 * when its state changes; act says what the customer sees.  0, or -1.
 */
int crm_desk_settle(struct crm_desk *d, const char *id, size_t len,
    struct crm_desk_act *act, struct crm_err *e);

/* A change asked of a ticket (crm-route update, close). */
struct crm_desk_change {
	const char *id;
	size_t idlen;
	int to;		      /* the state wanted, or -1: none */
	const char *assignee; /* the agent wanted, or NULL */
	size_t alen;
	int reply;	   /* an agent's reply to the customer */
	const char *actor; /* who, or NULL */
	const char *note;  /* NULL: none */
	size_t nlen;
	double time; /* when */
	int timed;   /* the record said when (else: the run's time) */
};

/*
 * Apply change c as ticket.h allows it: the state (an agent given, or
 * the actor when it is an agent, for a state that needs one; a solved
 * ticket reopened keeps its agent when that agent has room), the agents'
 * loads, the SLA clock (paused in pending and on-hold: the business
 * time left kept in sla_left; a reopened ticket's due anew from its
 * priority), the parent's state, and an event for each.  *applied is 0
 * when the record said when (c->timed) and the store has this very
 * change already (same ticket, time, actor, note and state): an export
 * loaded again does nothing again.  Inside a transaction;
 * 0, -1 with e filled (EX_DATAERR: not allowed, e->field names the
 * field), or CRM_DESK_FATAL.
 */
int crm_desk_change(struct crm_desk *d, const struct crm_desk_change *c,
    struct crm_desk_act *act, int *applied, struct crm_err *e);

/* ==== The sweep ==== */

enum crm_desk_list { CRM_DESK_BREACHED, CRM_DESK_WARN, CRM_DESK_WAITING };

/*
 * The ids of the tickets, into *ids (new; the caller frees it), in the order they
 * are to be seen to: BREACHED, SLA clock running and due at or before
 * now, not escalated for that due time; WARN, due after now and at most
 * warn seconds after it, not raised for that due time; WAITING, new or
 * reopened with no agent.  The list is read whole before any of it
 * changes.  0, or -1 with e filled.
 */
int crm_desk_list(struct crm_desk *d, enum crm_desk_list which, double now,
    double warn, struct crm_strmap **ids, struct crm_err *e);

/*
 * One ticket of a list, when it still is what the list says (1; 0 when
 * another process saw to it first, or, for a waiting one, no agent has
 * room): BREACHED goes to the senior queue senior, to an agent of that
 * skill with room when its own has not the skill, to any agent with
 * room when it has none; WARN is raised one priority and, with no agent,
 * offered to an agent of its skill with room, else to any with room;
 * WAITING is given to an agent of its skill with room.  Each change is
 * an event with reason.  Inside a transaction; -1 with e filled.
 */
int crm_desk_sweep_one(struct crm_desk *d, enum crm_desk_list which,
    const char *id, size_t len, double now, const char *senior,
    struct crm_desk_act *act, struct crm_err *e);

/* Whether any agent on shift has room: 1, 0, or -1 with e filled. */
int crm_desk_any_room(struct crm_desk *d, struct crm_err *e);

/* ==== Customers ==== */

/*
 * What the store knows of customer id, into out (cleared first): the
 * customers columns and the keys of its extra JSON as fields of their
 * own, then lifetime_value (the sum of its events' amounts), churn_risk
 * (crm-churn's latest probability) and tags (its tags, comma-separated,
 * sorted), each null when unknown; per person, those three are of every
 * record of the customer's person (the latest probability of any, each
 * tag once).  Returns 1 when the store knows the
 * customer, 0 when not, -1 with e filled.
 */
int crm_desk_customer(struct crm_desk *d, const char *id, size_t idlen,
    struct crm_rec *out, struct crm_err *e);

/*
 * The customer's order (its person's, per person), into out (cleared
 * first): of the events of type order whose time is until (Unix
 * seconds, the reference time) or before, the order (the extra
 * order_id, else the key) whose key or order is order[0..olen), or
 * (order NULL) the one ordered last (by its first event's time, then
 * as stored), as the fields order_id, order_status and eta (the latest
 * extra status and eta of its events), order_date (the time of its
 * first event), order_item and order_amount (the latest given, two
 * decimals), each null when unknown.  1 when there is such an order, 0
 * when not (out's fields all null), -1 with e filled.
 */
int crm_desk_order(struct crm_desk *d, const char *id, size_t idlen,
    const char *order, size_t olen, double until, struct crm_rec *out,
    struct crm_err *e);

/*
 * Whether a customer field of this name may come from the store: one of
 * the fixed fields above, or a key of some customer's extra JSON (as it
 * was when the desk was opened).
 */
int crm_desk_customer_field(struct crm_desk *d, const char *name);

/* How a customer's tickets are erased (erase.h). */
extern const struct crm_erase_step crm_desk_erase[];

/*
 * Before that, their agents' loads: one less for each of the customer's
 * tickets that counts in one (ticket.h), so that an agent's load stays
 * its tickets (lib/desk_tickets.c).
 */
extern const struct crm_erase_step crm_desk_loads_erase[];

#endif
