/*
 * router: crm-route's whole decision behind one entry point.  For each
 * ticket: the routing rules (the first that matches, or with
 * --all-matches every one), the facts of the priority score from the
 * ticket and the store's customer, escalation (negative sentiment, VIP,
 * bursts), the settled priority, queue and due time, the knowledge base's
 * answer (its slots filled from the message's entities and the
 * customer's order and facts), the split into subtasks, and, with a store, the agent and the
 * audit log's reasons, and the review rules (review.h) that hold an
 * answer back for a person.  The verbs `agents' (load agents) and `close'
 * (close tickets) and the hand-over of waiting tickets at the end are
 * here too.
 *
 * Tables: the router owns none.  Agents and tickets are lib/desk's
 * (agents, agent_skills, tickets), the customer's facts are read through
 * lib/desk, and the decisions go to lib/audit's decisions table.
 *
 * Nothing here exits or prints: every failure comes back in a struct
 * crm_err (EX_USAGE for a bad option value, which the caller reports with
 * its synopsis).
 */
#ifndef CRM_ROUTER_H
#define CRM_ROUTER_H

#include <stddef.h>

#include "clusters.h"
#include "err.h"
#include "notify.h"
#include "rec.h"
#include "route.h"
#include "rules.h"

enum crm_router_verb {
	CRM_ROUTER_ROUTE,
	CRM_ROUTER_AGENTS,
	CRM_ROUTER_CLOSE,
	CRM_ROUTER_UPDATE,
	CRM_ROUTER_SWEEP,
	CRM_ROUTER_STATS
};

/* The knowledge base's queue: a rule cannot name it. */
#define CRM_ROUTER_BOT "bot"

/* Returned by crm_router_record for a failure that is not the record's. */
#define CRM_ROUTER_FATAL (-2)

struct crm_router_opts {
	enum crm_router_verb verb;
	const char *db; /* the store, or NULL */
	long busy_ms;
	const char *const *rules; /* rules files, "SQL expression -> settings" */
	size_t nrules;
	const struct crm_rulefile *rulesets; /* rules already read, after the */
	size_t nrulesets;		     /* files' (borrowed) */
	int all;			     /* --all-matches */
	const char *kb;			     /* knowledge base file, or NULL */
	const char *queues;		     /* --queues list, or NULL */
	const char *default_queue, *senior_queue;
	long sla[5]; /* seconds, by priority 1 to 4 */
	double now;
	const char *time_field, *id_field, *customer_field, *text_field;
	const char *intent_field, *sentiment_field;
	double reply_conf, escalate_conf;
	long burst_n, burst_window; /* n messages in window seconds */
	long short_chars;
	const char *vip;
	int no_escalate;
	const char *review; /* review rules file, or NULL */
	int act_on_review;  /* answer a reviewed ticket anyway */
	const char *as_of;  /* review: the features' day (NULL: last) */
	enum crm_by by;	    /* the customer facts: the customer's own or
			       its person's (clusters.h); AUTO: person
			       when the store has clusters */
	struct crm_urgency *urgency; /* owned: crm_router_opts_release */
	const char *calendar;	     /* business hours file, or NULL */
	long warn;		     /* sweep: the SLA warning window, s */
	struct crm_notify_opts notify;
	const char *since, *until; /* stats: the tickets made in */
	int json;		   /* stats: as JSON */
};

/*
 * The defaults of crm-route(1) (now: the reference time of clock.h); 0, or -1 with e filled
 * when out of memory.  crm_router_opts_release frees the urgency table.
 */
int crm_router_opts_init(
    struct crm_router_opts *o, enum crm_router_verb verb, struct crm_err *e);
void crm_router_opts_release(struct crm_router_opts *o);

/*
 * The values of --sla ("P1=1h,P2=4h,..."), --urgency ("INTENT=POINTS,..."),
 * --burst ("N/DURATION") into o, and whether name may be a queue
 * (--default-queue, --senior-queue).  0, or -1 with e filled (EX_USAGE
 * naming the option and what it wants; EX_SOFTWARE when out of memory).
 */
int crm_router_opt_sla(
    struct crm_router_opts *o, const char *arg, struct crm_err *e);
int crm_router_opt_urgency(
    struct crm_router_opts *o, const char *arg, struct crm_err *e);
int crm_router_opt_burst(
    struct crm_router_opts *o, const char *arg, struct crm_err *e);
int crm_router_opt_queue(const char *opt, const char *name, struct crm_err *e);

struct crm_router;

/*
 * A router for o (borrowed, with its strings, until crm_router_free):
 * the rules read and compiled, the store opened (o->db), the queues
 * known and the knowledge base read.  NULL with e filled: EX_DATAERR
 * with e->file and e->line for a bad rule, the store's codes, EX_USAGE
 * for a bad --queues, EX_SOFTWARE when out of memory.
 */
struct crm_router *crm_router_new(
    const struct crm_router_opts *o, struct crm_err *e);

/* Close the audit (if crm_router_finish did not), the store; free. */
void crm_router_free(struct crm_router *r);

/*
 * A CSV/TSV input's header: every field the rules use must be there or a
 * customer field of the store.  0, or -1 with e filled (EX_DATAERR).
 */
int crm_router_check_header(
    struct crm_router *r, const struct crm_rec *hdr, struct crm_err *e);

/* The output header: the input's names and the fields the verb adds. */
int crm_router_out_header(
    struct crm_router *r, struct crm_rec *hdr, struct crm_err *e);

/*
 * Route ticket rec, read in format fmt (CSV and TSV values are untyped
 * text; a JSONL record's names are checked as a header's would be).  It
 * gets priority, queue, sla_due, assignee, reply and, with --all-matches,
 * parent_id; returns 0, rec to be written.  With --all-matches, a ticket
 * that goes to more than one queue is split: the parent (no queue, the
 * best priority, the earliest due time of that priority) and then one
 * subtask per queue (id ".1", ".2"..., parent_id the ticket's) are
 * written through emit(arg, rec, e), and it returns 1 (rec dropped).
 * -1 with e filled: EX_DATAERR rejects the ticket; CRM_ROUTER_FATAL when
 * the run must end (the store, emit failing).
 */
int crm_router_ticket(struct crm_router *r, struct crm_rec *rec,
    enum crm_format fmt,
    int (*emit)(void *, const struct crm_rec *, struct crm_err *), void *arg,
    struct crm_err *e);

/*
 * One record of the verb: a ticket (crm_router_ticket), an agent (put in
 * the store, its load appended; 0) or a ticket to close (1: dropped).
 */
int crm_router_record(struct crm_router *r, struct crm_rec *rec,
    enum crm_format fmt,
    int (*emit)(void *, const struct crm_rec *, struct crm_err *), void *arg,
    struct crm_err *e);

/*
 * The input would block: apply the update records held so far (in time
 * order; a failure is kept for crm_router_finish), commit the audit and
 * the store's work.
 */
void crm_router_idle(struct crm_router *r);

/*
 * The end of the input (a filter's finish step): for `agents' and
 * `close', the waiting tickets go to the agents that now have room.  0,
 * or -1 with e filled.
 */
int crm_router_finish(struct crm_router *r, struct crm_err *e);

/*
 * The ops of a filter whose arg is a struct crm_router bound to the
 * filter f (crm_router_bind(), once f is made and before it runs): the
 * header steps, a record step that is crm_router_record() in f's input
 * format writing split tickets to f (CRM_ROUTER_FATAL ends the run), the
 * idle step and the finish step above.
 */
struct crm_filter;
struct crm_filter_ops;
const struct crm_filter_ops *crm_router_ops(void);
void crm_router_bind(struct crm_router *r, struct crm_filter *f);

/*
 * Commit what the audit holds and close it (crm_router_free does, with
 * no word of a failure, when this was not called).  0, or -1 with e
 * filled.
 */
int crm_router_close(struct crm_router *r, struct crm_err *e);

struct crm_router_counts {
	unsigned long long answered, escalated, assigned, waiting, split;
	unsigned long long reviewed, held; /* review rules: matched, and
					      answers not sent */
	unsigned long long unfilled;	   /* answers not sent: a slot empty */
	unsigned long long closed, drained;
	unsigned long long changed, again; /* update: applied, applied before */
	unsigned long long breached, raised, offered; /* sweep */
	struct crm_notify_counts notes;
	int store; /* a store was given */
	int slots; /* an answer of the knowledge base has a slot */
};

void crm_router_counts(const struct crm_router *r, struct crm_router_counts *c);

/*
 * The `stats' verb: the handling-time figures (desk_stats.h) of the
 * tickets of store o->db made from o->since (NULL: the first) to
 * o->until (NULL: the reference time), as a line or, with o->json, a
 * JSON object, into out.  0, or -1 with e filled (EX_USAGE for a bad
 * time, the store's codes).
 */
struct crm_buf;
int crm_router_stats(
    const struct crm_router_opts *o, struct crm_buf *out, struct crm_err *e);

#endif
