/*
 * route: the parts of ticket routing that need no store: the settings a
 * routing rule gives, durations and due times, the default priority
 * score, escalation by bursts of messages, and the knowledge base of
 * answers by intent and language.  crm-route(1) documents every number
 * here; the store's side (agents, tickets) is in desk.h.
 */
#ifndef CRM_ROUTE_H
#define CRM_ROUTE_H

#include <stddef.h>

#include "err.h"
#include "rec.h"

/* ==== Settings of a rule ==== */

/*
 * What a rule says, "priority=P2, queue=billing, skill=billing, sla=2h,
 * reply=no": priority 1 to 4 (0 when not given), queue and skill (NULL
 * when not given; owned), sla in seconds (-1 when not given), and whether
 * the knowledge base may answer.
 */
struct crm_route_set {
	int priority;
	char *queue;
	char *skill;
	long sla;
	int no_reply;
};

/*
 * Parse settings text s into set (which it initializes): comma-separated
 * key=value pairs, keys priority, queue, skill, sla and reply (value no).
 * A queue or skill is a word of letters, digits, '_', '-' and '.'.
 * Returns 0, or -1 with e filled (EX_DATAERR naming what is wrong;
 * EX_SOFTWARE when out of memory); set holds nothing to free then.
 */
int crm_route_set_parse(
    struct crm_route_set *set, const char *s, struct crm_err *e);
void crm_route_set_release(struct crm_route_set *set);

/* A name crm_route_set_parse accepts for a queue or a skill (len bytes). */
int crm_route_name_ok(const char *s, size_t len);

/*
 * A duration: a whole number followed by s, m, h or d ("90s", "30m",
 * "4h", "2d"), up to a year, into *secs.  0, or -1 when s is not one.
 */
int crm_route_duration(const char *s, size_t len, long *secs);

/* "P1" to "P4" into 1 to 4; 0 for anything else. */
int crm_route_priority(const char *s, size_t len);

/*
 * The time t (seconds since the epoch, UTC) as YYYY-MM-DDTHH:MM:SSZ; ""
 * when t is not in the years 1 to 9999 (NaN, crm_cal_add's HUGE_VAL).
 */
void crm_route_iso(double t, char buf[32]);

/* ==== Default priority ==== */

/*
 * The urgency points of an intent, 0 to 100: a built-in table for the
 * intents of crm-intent's built-in model (crm-route(1)), changed or
 * extended by crm_urgency_set.  Owned by its user.
 */
struct crm_urgency;

struct crm_urgency *crm_urgency_new(void);
void crm_urgency_free(struct crm_urgency *u);

/* Set the points of intent[0..len); 0, or -1 when out of memory. */
int crm_urgency_set(
    struct crm_urgency *u, const char *intent, size_t len, double points);

/* The points of intent[0..len) (NULL: no intent). */
double crm_urgency_get(
    const struct crm_urgency *u, const char *intent, size_t len);

/* What the priority score is made of; NAN for a value not known. */
struct crm_route_facts {
	double urgency;	  /* points of the intent */
	int negative;	  /* the sentiment is negative */
	double sentiment; /* the sentiment's score; NAN counts as 1 */
	int vip;	  /* the customer's tier is the VIP tier */
	double value;	  /* lifetime value */
	double waited;	  /* seconds since the ticket was written */
};

/* The parts of the score and their sum, clamped to [0, 100]. */
struct crm_route_score {
	double urgency, sentiment, value, waiting, total;
};

void crm_route_score(
    const struct crm_route_facts *f, struct crm_route_score *s);

/* The priority of a score: >= 60 P1, >= 40 P2, >= 20 P3, else P4. */
int crm_route_score_priority(double score);

/* ==== Bursts ==== */

/*
 * Escalation by bursts: a short message whose customer's previous n - 1
 * short messages, in input order, were all written at most window
 * seconds before it.  Holds n - 1 times per customer seen (about 40 bytes
 * and the id each), for as long as it lives.
 */
struct crm_burst;

struct crm_burst *crm_burst_new(int n, double window);
void crm_burst_free(struct crm_burst *b);

/*
 * Remember a short message of customer id[0..len) written at t; returns
 * 1 when it makes a burst, 0 when not, -1 when out of memory.
 */
int crm_burst_add(struct crm_burst *b, const char *id, size_t len, double t);

/* ==== Knowledge base ==== */

/*
 * Answers by intent and language ("zh", "en", or "" for any), read from a
 * CSV, TSV or JSONL file with the fields intent, answer and, optionally,
 * lang, id (the answer's name in the audit log, each once; FILE:LINE
 * when not given) and when (a condition: an SQL expression as the routing rules
 * are, over the ticket, the facts of its order and its customer).  Each
 * answer is a template (answer.h).  Owned by its user.
 */
struct crm_kb;
struct crm_rules;
struct crm_tmpl;

/*
 * Read path; NULL with e filled (the reader's codes, EX_DATAERR with
 * the line and field for a bad language, template or condition).
 */
struct crm_kb *crm_kb_read(const char *path, struct crm_err *e);
void crm_kb_free(struct crm_kb *kb);

/* The number of answers. */
size_t crm_kb_count(const struct crm_kb *kb);

/*
 * The answer to intent[0..len) for a message in lang ("zh" or "en"), by
 * its index: the first, in the file's order, in that language whose
 * condition holds (holds(arg, k) for condition k of crm_kb_when, 1 when
 * it does; holds NULL: every condition does), else the first for any
 * language whose condition holds; -1 when there is none.
 */
long crm_kb_pick(const struct crm_kb *kb, const char *intent, size_t len,
    const char *lang, int (*holds)(void *, long), void *arg);

/* The text of crm_kb_pick's answer with no condition checked, or NULL. */
const char *crm_kb_answer(const struct crm_kb *kb, const char *intent,
    size_t len, const char *lang, size_t *alen);

/* Answer i's template and id. */
const struct crm_tmpl *crm_kb_tmpl(const struct crm_kb *kb, size_t i);
const char *crm_kb_id(const struct crm_kb *kb, size_t i);

/*
 * The conditions of the answers (NULL when none has one), whether one of
 * them reads a fact of the order (crm_order_fact), and whether an
 * answer has a slot.
 */
struct crm_rules *crm_kb_when(const struct crm_kb *kb);
int crm_kb_when_order(const struct crm_kb *kb);
int crm_kb_slots(const struct crm_kb *kb);

/* "zh" when text holds a CJK ideograph, else "en". */
const char *crm_route_lang(const char *text, size_t len);

/* The number of code points of UTF-8 text. */
size_t crm_route_chars(const char *text, size_t len);

#endif
