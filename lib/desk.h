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
#include "clusters.h"
#include "erase.h"
#include "err.h"
#include "rec.h"
#include "store.h"

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

struct crm_ticket {
	const char *id, *parent, *customer; /* parent, customer: NULL if none */
	size_t idlen, plen, clen;
	int priority; /* 1 to 4 */
	const char *queue, *skill;
	const char *sla_due;
	int answered; /* the knowledge base answered it: nobody to assign */
};

/*
 * Put ticket t in the store and give it an agent: the on-shift agent with
 * skill t->skill whose load is the smallest share of its capacity (then
 * the smallest load, then the least id), whose load goes up by one.  When
 * no such agent has room the ticket waits in its queue.  A ticket the
 * store holds already keeps what it has (*again set).  The assignee's id,
 * or nothing when it waits, goes to assignee.  Inside a transaction; 0,
 * or -1 with e filled.
 */
int crm_desk_assign(struct crm_desk *d, const struct crm_ticket *t,
    struct crm_buf *assignee, int *again, struct crm_err *e);

/*
 * Close ticket id: *was is 1 when it was open, waiting or answered, 0
 * when it was closed already or unknown; its agent's load goes down by
 * one.  Inside a transaction; 0, or -1 with e filled.
 */
int crm_desk_close_ticket(struct crm_desk *d, const char *id, size_t idlen,
    int *was, struct crm_err *e);

/*
 * Give waiting tickets, best priority and earliest due first, to agents
 * that have room, as crm_desk_assign would; fn(arg, ticket, agent,
 * customer) is called for each (may be NULL; customer NULL when the
 * ticket has none).  Inside a transaction; the number assigned, or -1
 * with e filled.
 */
long crm_desk_drain(struct crm_desk *d,
    int (*fn)(void *, const char *, const char *, const char *), void *arg,
    struct crm_err *e);

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
 * Whether a customer field of this name may come from the store: one of
 * the fixed fields above, or a key of some customer's extra JSON (as it
 * was when the desk was opened).
 */
int crm_desk_customer_field(struct crm_desk *d, const char *name);

/* How a customer's tickets are erased (erase.h). */
extern const struct crm_erase_step crm_desk_erase[];

#endif
