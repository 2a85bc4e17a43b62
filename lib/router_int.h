/*
 * router_int: what the files of the router share (router.c: routing;
 * router_answer.c: the knowledge base's answer from the customer's
 * facts; router_life.c: the changes of a ticket's life).  Not for other
 * modules.
 */
#ifndef CRM_ROUTER_INT_H
#define CRM_ROUTER_INT_H

#include "answer.h"
#include "audit.h"
#include "buf.h"
#include "calendar.h"
#include "desk.h"
#include "notify.h"
#include "review.h"
#include "route.h"
#include "router.h"
#include "rules.h"
#include "store.h"
#include "strmap.h"

/* A rule of a rules file: its condition's text and its settings. */
struct rule {
	struct crm_route_set set;
	const char *file;
	unsigned long line;
};

/* Where one ticket (or subtask) goes. */
struct route {
	const struct rule *rule; /* the rule that decided, or NULL */
	int priority;
	const char *queue, *skill;
	double due;
	double t;	   /* the ticket's own time, NAN: none */
	const char *reply; /* the knowledge base's answer, or NULL */
	size_t rlen;
	long kb;	       /* the answer picked (crm_kb_pick), or -1 */
	size_t missing;	       /* its slot left empty, when unsent */
	const char *unsent;    /* why it was not sent, or NULL */
	const char *escalated; /* why, or NULL */
	struct crm_route_score score;
};

struct crm_router {
	const struct crm_router_opts *o;
	char **nopt; /* "rule FILE:LINE" of each field a rule needs */
	size_t nnopt;
	struct crm_filter *f;		      /* crm_router_bind's */
	char *intent_score, *sentiment_score; /* F_score */
	struct crm_rulefile *files;	      /* o->nrules of them */
	const struct crm_rulefile **sets;     /* every rules file, in order */
	size_t nsets;
	struct rule *rule;
	size_t nrule;
	struct crm_rules *alone;   /* each condition alone: names, blame */
	struct crm_rules *eval;	   /* what is evaluated for each ticket */
	struct crm_strmap *queues; /* the known queues; NULL: any */
	struct crm_kb *kb;
	struct crm_entities *ents; /* the ticket's entities */
	struct crm_rec *order;	   /* the facts of the order it asks about */
	int looked, found;	   /* order: looked up, found */
	struct crm_buf reply, why; /* the answer filled; why it was not */
	struct crm_burst *burst;
	struct crm_store *st;
	struct crm_desk *desk;
	struct crm_audit *audit;
	struct crm_review *review; /* --review */
	struct crm_rec *dec;	   /* the decision the review rules read */
	const char *reviewed;	   /* the ticket's review, or NULL */
	struct crm_rec *cust; /* the store's facts of the ticket's customer */
	struct crm_rec *sub;  /* a subtask being written */
	size_t *matched;      /* the rules that matched */
	struct route *routes; /* --all-matches: one per queue */
	struct crm_buf buf, json, out, agent; /* out: the audit's output */
	enum crm_format fmt;		      /* of the record being routed */
	struct crm_router_counts n;
	struct crm_cal *cal;	   /* --calendar */
	struct crm_notify *notify; /* with a store */
	struct held *held;	   /* update: the records, till finish */
	size_t nheld, capheld;
	struct crm_buf hold;	 /* their packed fields and raw text */
	struct crm_rec *rec;	 /* one of them back */
	struct crm_err idle_err; /* applying them while the input paused */
};

/* An update record held till the finish step: where it is in hold. */
struct held {
	double time;
	size_t seq;	    /* its place in the input */
	size_t off, rawoff; /* its packed record and raw text in hold */
	size_t rawlen;
	const char *file; /* its input's name (borrowed) */
};

/* The field of the message's entities (crm-intent --entities). */
#define CRM_ROUTER_ENTITIES "entities"

/* Open and close what the answers need (router_answer.c); 0 or -1. */
int crm_router_answer_open(struct crm_router *r, struct crm_err *e);
void crm_router_answer_close(struct crm_router *r);

/*
 * The knowledge base's answer to ticket rec, of intent[0..ilen) in
 * lang, routed as rt: rt->kb the answer picked (or -1), and rt->reply
 * its text with every slot filled, else rt->unsent why not (both valid
 * until the next ticket).  0, or -1 with e filled (EX_DATAERR: bad
 * entities, a condition failing on the ticket's values), or
 * CRM_ROUTER_FATAL (the store; a condition over a limit).
 */
int crm_router_answer(struct crm_router *r, const struct crm_rec *rec,
    const char *intent, size_t ilen, const char *lang, struct route *rt,
    struct crm_err *e);

/* Open and close what the life of tickets needs (router_life.c). */
int crm_router_life_open(struct crm_router *r, struct crm_err *e);
void crm_router_life_close(struct crm_router *r);

/*
 * The audit row and the customer's notification of what a change of
 * the desk did (act), at time when, by actor, for reason.  0, or -1.
 */
int crm_router_acted(struct crm_router *r, const struct crm_desk_act *act,
    double when, const char *actor, const char *reason, struct crm_err *e);

/* The customer's notification of act, at time when; 0, or -1. */
int crm_router_notify(struct crm_router *r, const struct crm_desk_act *act,
    double when, struct crm_err *e);

/* The update verbs' record and finish steps; the sweep's work. */
int crm_router_hold(
    struct crm_router *r, struct crm_rec *rec, struct crm_err *e);
int crm_router_apply(struct crm_router *r, struct crm_err *e);
int crm_router_sweep(struct crm_router *r, struct crm_err *e);
int crm_router_drain(struct crm_router *r, struct crm_err *e);

#endif
