/*
 * test_router: unit tests of the routing decision (lib/router.c) without
 * a store: the first matching rule against the default score, escalation
 * (negative sentiment, VIP, bursts), the knowledge base's answer and its
 * confidence, and the split into subtasks with --all-matches.  Rules and
 * tickets are made here; the knowledge base is a temporary file.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "norm.h"
#include "rec.h"
#include "route.h"
#include "router.h"
#include "rules.h"
#include "tap.h"

#define NOW "2026-03-02T12:00:00Z"

/* Rules "condition -> settings" into f, as if read from file "mem". */
static void
ruleset(struct crm_rulefile *f, const char *const *lines)
{
	size_t i, n;

	for (n = 0; lines[n] != NULL; n += 2)
		;
	f->path = "mem";
	f->n = n / 2;
	f->rule = calloc(f->n, sizeof(*f->rule));
	for (i = 0; i < f->n; i++) {
		f->rule[i].left = strdup(lines[2 * i]);
		f->rule[i].right = strdup(lines[2 * i + 1]);
		f->rule[i].line = (unsigned long)i + 1;
	}
}

/* A ticket from name, value pairs; a value "#0.95" is a number. */
static struct crm_rec *
ticket(struct crm_rec *r, ...)
{
	const char *name, *val;
	va_list ap;

	crm_rec_clear(r);
	va_start(ap, r);
	while ((name = va_arg(ap, const char *)) != NULL) {
		val = va_arg(ap, const char *);
		if (val[0] == '#')
			crm_rec_add(r, name, strlen(name), val + 1,
			    strlen(val + 1), CRM_NUMBER);
		else
			crm_rec_add(r, name, strlen(name), val, strlen(val),
			    CRM_STRING);
	}
	va_end(ap);
	return r;
}

/* What the router emitted: copies of the records, in order. */
struct out {
	struct crm_rec *rec[8];
	size_t n;
};

static int
collect(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	struct out *o = arg;

	(void)e;
	if (o->n == 8)
		return -1;
	if (o->rec[o->n] == NULL)
		o->rec[o->n] = crm_rec_new();
	crm_rec_copy(o->rec[o->n++], r);
	return 0;
}

static void
out_free(struct out *o)
{
	size_t i;

	for (i = 0; i < 8; i++)
		crm_rec_free(o->rec[i]);
}

/* Field name of r as a NUL-terminated string, "(null)" when null. */
static const char *
get(const struct crm_rec *r, const char *name)
{
	static char v[8][256];
	static int k;
	const char *p;
	size_t len;

	if ((p = crm_rec_text(r, name, &len)) == NULL)
		return "(null)";
	k = (k + 1) % 8;
	snprintf(v[k], sizeof(v[k]), "%.*s", (int)len, p);
	return v[k];
}

/* Route t; "P,queue,sla_due" of the result (or "error: ..."). */
static const char *
route(struct crm_router *r, struct crm_rec *t, struct out *o)
{
	static char s[1100];
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	rc = crm_router_ticket(r, t, CRM_FMT_JSONL, collect, o, &e);
	if (rc < 0)
		snprintf(s, sizeof(s), "error: %s", e.msg);
	else if (rc == 1)
		snprintf(s, sizeof(s), "split");
	else
		snprintf(s, sizeof(s), "%s,%s,%s", get(t, "priority"),
		    get(t, "queue"), get(t, "sla_due"));
	return s;
}

static void
opts(struct crm_router_opts *o, struct crm_rulefile *rf)
{
	struct crm_err e;
	const char *why;

	crm_err_clear(&e);
	crm_router_opts_init(o, CRM_ROUTER_ROUTE, &e);
	crm_norm_seconds(NOW, strlen(NOW), &o->now, &why);
	/* the score's urgency: 45 + 2 for an hour's wait is P2, 15 + 2 P4 */
	crm_urgency_set(o->urgency, "other", 5, 45);
	crm_urgency_set(o->urgency, "chitchat", 8, 15);
	crm_urgency_set(o->urgency, "refund", 6, 15);
	o->rulesets = rf;
	o->nrulesets = rf != NULL;
}

static void
test_first_match(void)
{
	static const char *const rules[] = { "intent = 'refund'",
		"queue=billing, priority=P2", "intent IN ('refund', 'login')",
		"queue=accounts, priority=P1, sla=30m", NULL };
	struct crm_router_opts o;
	struct crm_rulefile rf;
	struct crm_router *r;
	struct crm_rec *t = crm_rec_new();
	struct crm_err e;
	struct out out = { { NULL }, 0 };

	ruleset(&rf, rules);
	opts(&o, &rf);
	r = crm_router_new(&o, &e);
	TAP_OK(r != NULL, "a router of two rules (%s)", e.msg);
	TAP_STR(route(r,
		    ticket(t, "id", "T1", "intent", "refund", "created",
			"2026-03-02T11:00:00Z", NULL),
		    &out),
	    "P2,billing,2026-03-02T15:00:00Z",
	    "both rules match a refund: the first decides, P2's 4h");
	TAP_STR(route(r,
		    ticket(t, "id", "T2", "intent", "login", "created",
			"2026-03-02T11:00:00Z", NULL),
		    &out),
	    "P1,accounts,2026-03-02T11:30:00Z",
	    "the second rule, its own sla=30m");
	TAP_STR(route(r,
		    ticket(t, "id", "T3", "intent", "other", "created",
			"2026-03-02T11:00:00Z", NULL),
		    &out),
	    "P2,general,2026-03-02T15:00:00Z",
	    "no rule: score 45 + 2 waiting is P2, the default queue");
	TAP_STR(
	    route(r, ticket(t, "id", "T4", "intent", "chitchat", NULL), &out),
	    "P4,general,2026-03-05T12:00:00Z",
	    "no rule, no time: 15 is P4, due now + 72h");
	TAP_STR(get(t, "assignee"), "(null)", "no store: no assignee");
	TAP_OK(crm_rec_find(t, "parent_id", 9) < 0, "no parent_id without "
						    "--all-matches");
	TAP_OK(out.n == 0, "nothing emitted: the ticket is written as it is");
	crm_router_free(r);

	o.sla[2] = 2 * 3600;
	o.default_queue = "triage";
	r = crm_router_new(&o, &e);
	TAP_STR(route(r,
		    ticket(t, "id", "T3", "intent", "other", "created",
			"2026-03-02T11:00:00Z", NULL),
		    &out),
	    "P2,triage,2026-03-02T13:00:00Z",
	    "--sla P2=2h and --default-queue");
	crm_router_free(r);
	crm_router_opts_release(&o);
	crm_rulefile_release(&rf);
	crm_rec_free(t);
	out_free(&out);
}

static void
test_escalation(void)
{
	static const char *const rules[] = { "intent = 'refund'",
		"queue=billing, priority=P3", NULL };
	static const char *const kb = "intent,answer\nrefund,In 5 days.\n";
	static char path[] = "/tmp/test_router.XXXXXX";
	struct crm_router_opts o;
	struct crm_rulefile rf;
	struct crm_router *r;
	struct crm_rec *t = crm_rec_new();
	struct crm_router_counts c;
	struct crm_err e;
	struct out out = { { NULL }, 0 };
	FILE *fp;

	fp = fdopen(mkstemp(path), "w");
	fputs(kb, fp);
	fclose(fp);
	ruleset(&rf, rules);
	opts(&o, &rf);
	o.kb = path;
	r = crm_router_new(&o, &e);
	TAP_OK(r != NULL, "a router with a knowledge base (%s)", e.msg);
	TAP_STR(route(r,
		    ticket(t, "id", "E1", "intent", "refund", "created",
			"2026-03-02T11:00:00Z", "sentiment", "negative",
			"sentiment_score", "#0.5", NULL),
		    &out),
	    "P3,billing,2026-03-03T11:00:00Z",
	    "negative at 0.5 < 0.9: the rule's P3 billing");
	TAP_STR(
	    route(r,
		ticket(t, "id", "E2", "intent", "refund", "created",
		    "2026-03-02T11:00:00Z", "sentiment", "negative",
		    "sentiment_score", "#0.95", "intent_score", "#0.99", NULL),
		&out),
	    "P2,senior,2026-03-02T15:00:00Z",
	    "negative at 0.95: one priority up, senior, P2's due time");
	TAP_STR(get(t, "reply"), "(null)",
	    "an escalated ticket gets no answer from the bot");
	TAP_STR(route(r,
		    ticket(t, "id", "E3", "intent", "refund", "created",
			"2026-03-02T11:00:00Z", "tier", "VIP", NULL),
		    &out),
	    "P2,senior,2026-03-02T15:00:00Z", "a VIP (any case): escalated");
	TAP_STR(route(r,
		    ticket(t, "id", "E4", "intent", "other", "created",
			"2026-03-02T11:00:00Z", "sentiment", "negative", NULL),
		    &out),
	    "P1,senior,2026-03-02T12:00:00Z",
	    "P1 (45 + 30 + 2) stays P1; no score counts as sure");
	TAP_STR(
	    route(r,
		ticket(t, "id", "B1", "customer_id", "C9", "intent", "chitchat",
		    "text", "hi", "created", "2026-03-02T11:00:00Z", NULL),
		&out),
	    "P4,general,2026-03-05T11:00:00Z", "a first short message");
	TAP_STR(
	    route(r,
		ticket(t, "id", "B2", "customer_id", "C9", "intent", "chitchat",
		    "text", "hello?", "created", "2026-03-02T11:02:00Z", NULL),
		&out),
	    "P4,general,2026-03-05T11:02:00Z", "a second");
	TAP_STR(
	    route(r,
		ticket(t, "id", "B3", "customer_id", "C9", "intent", "chitchat",
		    "text", "anyone?", "created", "2026-03-02T11:04:00Z", NULL),
		&out),
	    "P3,senior,2026-03-03T11:04:00Z",
	    "the third within 5 minutes is a burst: P4 to P3, senior");
	TAP_STR(
	    route(r,
		ticket(t, "id", "B4", "customer_id", "C8", "intent", "chitchat",
		    "text", "hi", "created", "2026-03-02T11:05:00Z", NULL),
		&out),
	    "P4,general,2026-03-05T11:05:00Z", "another customer's is not");
	crm_router_counts(r, &c);
	TAP_OK(c.escalated == 4 && c.answered == 0, "4 escalated, 0 answered");
	crm_router_free(r);

	o.no_escalate = 1;
	r = crm_router_new(&o, &e);
	TAP_STR(route(r,
		    ticket(t, "id", "E3", "intent", "refund", "created",
			"2026-03-02T11:00:00Z", "tier", "vip", NULL),
		    &out),
	    "P3,billing,2026-03-03T11:00:00Z", "--no-escalate: a VIP is not");
	crm_router_free(r);
	crm_router_opts_release(&o);
	crm_rulefile_release(&rf);
	crm_rec_free(t);
	out_free(&out);
	unlink(path);
}

static void
test_kb(void)
{
	static const char *const rules[] = { "intent = 'suggestion'",
		"queue=product, reply=no", NULL };
	static const char *const kb = "intent,answer\n"
				      "refund,In 5 days.\n"
				      "suggestion,Thanks!\n";
	static char path[] = "/tmp/test_router.XXXXXX";
	struct crm_router_opts o;
	struct crm_rulefile rf;
	struct crm_router *r;
	struct crm_rec *t = crm_rec_new();
	struct crm_router_counts c;
	struct crm_err e;
	struct out out = { { NULL }, 0 };
	FILE *fp;

	fp = fdopen(mkstemp(path), "w");
	fputs(kb, fp);
	fclose(fp);
	ruleset(&rf, rules);
	opts(&o, &rf);
	o.kb = path;
	r = crm_router_new(&o, &e);
	TAP_OK(r != NULL, "a router with a knowledge base (%s)", e.msg);
	TAP_STR(route(r,
		    ticket(t, "id", "K1", "intent", "refund", "intent_score",
			"#0.85", NULL),
		    &out),
	    "P4,bot,2026-03-05T12:00:00Z", "0.85 >= 0.8: the bot answers");
	TAP_STR(get(t, "reply"), "In 5 days.", "with the answer");
	TAP_STR(route(r,
		    ticket(t, "id", "K2", "intent", "refund", "intent_score",
			"#0.8", NULL),
		    &out),
	    "P4,bot,2026-03-05T12:00:00Z", "0.8 itself is enough");
	TAP_STR(route(r,
		    ticket(t, "id", "K3", "intent", "refund", "intent_score",
			"#0.79", NULL),
		    &out),
	    "P4,general,2026-03-05T12:00:00Z", "0.79: people answer");
	TAP_STR(get(t, "reply"), "(null)", "and no reply");
	TAP_STR(route(r, ticket(t, "id", "K4", "intent", "refund", NULL), &out),
	    "P4,general,2026-03-05T12:00:00Z", "no score: no answer");
	TAP_STR(route(r,
		    ticket(t, "id", "K5", "intent", "other", "intent_score",
			"#0.99", NULL),
		    &out),
	    "P2,general,2026-03-02T16:00:00Z",
	    "an intent the knowledge base has no answer to");
	TAP_STR(route(r,
		    ticket(t, "id", "K6", "intent", "suggestion",
			"intent_score", "#0.99", NULL),
		    &out),
	    "P4,product,2026-03-05T12:00:00Z", "a rule's reply=no");
	crm_router_counts(r, &c);
	TAP_OK(c.answered == 2, "2 answered (%llu)", c.answered);
	crm_router_free(r);

	o.reply_conf = 0.9;
	r = crm_router_new(&o, &e);
	TAP_STR(route(r,
		    ticket(t, "id", "K1", "intent", "refund", "intent_score",
			"#0.85", NULL),
		    &out),
	    "P4,general,2026-03-05T12:00:00Z",
	    "--reply-confidence 0.9: 0.85 is not enough");
	crm_router_free(r);
	crm_router_opts_release(&o);
	crm_rulefile_release(&rf);
	crm_rec_free(t);
	out_free(&out);
	unlink(path);
}

static void
test_split(void)
{
	static const char *const rules[] = { "intent = 'mixed'",
		"queue=alpha, priority=P3", "intent = 'mixed'",
		"queue=beta, priority=P2, sla=8h", "intent = 'mixed'",
		"queue=gamma, priority=P2, sla=1h",
		"intent IN ('mixed', 'one')", "queue=alpha, priority=P1",
		"intent = 'never'", "queue=delta", NULL };
	static const char *const want[][5] = {
		/* id, priority, queue, sla_due, parent_id */
		{ "T1", "P2", "(null)", "2026-03-02T12:00:00Z", "(null)" },
		{ "T1.1", "P3", "alpha", "2026-03-03T11:00:00Z", "T1" },
		{ "T1.2", "P2", "beta", "2026-03-02T19:00:00Z", "T1" },
		{ "T1.3", "P2", "gamma", "2026-03-02T12:00:00Z", "T1" },
	};
	struct crm_router_opts o;
	struct crm_rulefile rf;
	struct crm_router *r;
	struct crm_rec *t = crm_rec_new();
	struct crm_router_counts c;
	struct crm_err e;
	struct out out = { { NULL }, 0 };
	size_t i, j;
	int same;

	ruleset(&rf, rules);
	opts(&o, &rf);
	o.all = 1;
	r = crm_router_new(&o, &e);
	TAP_OK(r != NULL, "a router for every match (%s)", e.msg);
	TAP_STR(route(r,
		    ticket(t, "id", "T1", "intent", "mixed", "created",
			"2026-03-02T11:00:00Z", NULL),
		    &out),
	    "split", "four rules, three queues: split");
	TAP_OK(out.n == 4, "the parent and three subtasks (%zu)", out.n);
	for (i = 0; i < out.n && i < 4; i++) {
		static const char *const f[] = { "id", "priority", "queue",
			"sla_due", "parent_id" };

		for (j = 0, same = 1; j < 5; j++)
			if (strcmp(get(out.rec[i], f[j]), want[i][j]) != 0)
				same = 0;
		TAP_OK(same, "%s: %s %s %s, parent %s (got %s %s %s %s %s)",
		    want[i][0], want[i][1], want[i][2], want[i][3], want[i][4],
		    get(out.rec[i], "id"), get(out.rec[i], "priority"),
		    get(out.rec[i], "queue"), get(out.rec[i], "sla_due"),
		    get(out.rec[i], "parent_id"));
	}
	TAP_STR(get(out.rec[0], "intent"), "mixed",
	    "the parent keeps its "
	    "fields");
	TAP_STR(get(out.rec[3], "intent"), "mixed", "and so do the subtasks");
	out.n = 0;
	TAP_STR(route(r,
		    ticket(t, "id", "T2", "intent", "one", "created",
			"2026-03-02T11:00:00Z", NULL),
		    &out),
	    "P1,alpha,2026-03-02T12:00:00Z", "one queue: no split");
	TAP_STR(get(t, "parent_id"), "(null)", "with a null parent_id");
	TAP_OK(out.n == 0, "nothing emitted");
	TAP_STR(route(r,
		    ticket(t, "id", "T3", "intent", "mixed", "tier", "vip",
			"created", "2026-03-02T11:00:00Z", NULL),
		    &out),
	    "P2,senior,2026-03-02T15:00:00Z",
	    "escalated: no split, the first rule's P3 up to P2, senior");
	TAP_OK(crm_rec_find(t, "parent_id", 9) >= 0, "parent_id is written");
	TAP_STR(route(r, ticket(t, "intent", "mixed", NULL), &out),
	    "error: no ticket id for the subtasks to point to",
	    "a split needs the ticket's id");
	crm_router_counts(r, &c);
	TAP_OK(c.split == 1, "one split (%llu)", c.split);
	crm_router_free(r);
	crm_router_opts_release(&o);
	crm_rulefile_release(&rf);
	crm_rec_free(t);
	out_free(&out);
}

static void
test_setup(void)
{
	static const char *const bot[] = { "1", "queue=bot", NULL };
	static const char *const bad[] = { "intent =", "queue=a", NULL };
	static const char *const unknown[] = { "1", "queue=nowhere", NULL };
	struct crm_router_opts o;
	struct crm_rulefile rf;
	struct crm_err e;

	ruleset(&rf, bot);
	opts(&o, &rf);
	TAP_OK(crm_router_new(&o, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 1 && strstr(e.msg, "knowledge base") != NULL,
	    "no rule may send a ticket to the bot: %s", e.msg);
	crm_rulefile_release(&rf);
	ruleset(&rf, bad);
	TAP_OK(crm_router_new(&o, &e) == NULL && e.code == EX_DATAERR,
	    "a condition SQLite cannot compile: %s", e.msg);
	crm_rulefile_release(&rf);
	ruleset(&rf, unknown);
	o.queues = "alpha,beta";
	TAP_OK(crm_router_new(&o, &e) == NULL && e.code == EX_DATAERR &&
		   strstr(e.msg, "unknown queue 'nowhere'") != NULL,
	    "a queue not in --queues: %s", e.msg);
	o.queues = "al pha";
	TAP_OK(crm_router_new(&o, &e) == NULL && e.code == EX_USAGE,
	    "a bad --queues is a usage error: %s", e.msg);
	crm_rulefile_release(&rf);
	TAP_OK(crm_router_opt_sla(&o, "P1=15m,P4=5d", &e) == 0 &&
		   o.sla[1] == 900 && o.sla[4] == 432000 && o.sla[2] == 14400,
	    "--sla P1=15m,P4=5d");
	TAP_OK(crm_router_opt_sla(&o, "P5=1h", &e) == -1 && e.code == EX_USAGE,
	    "--sla P5: %s", e.msg);
	TAP_OK(crm_router_opt_burst(&o, "2/2m", &e) == 0 && o.burst_n == 2 &&
		   o.burst_window == 120,
	    "--burst 2/2m");
	TAP_OK(crm_router_opt_burst(&o, "1/2m", &e) == -1 && e.code == EX_USAGE,
	    "--burst 1/2m: %s", e.msg);
	TAP_OK(crm_router_opt_urgency(&o, "praise=1", &e) == 0 &&
		   crm_urgency_get(o.urgency, "praise", 6) == 1,
	    "--urgency praise=1");
	TAP_OK(crm_router_opt_urgency(&o, "praise=101", &e) == -1 &&
		   e.code == EX_USAGE,
	    "--urgency praise=101: %s", e.msg);
	TAP_OK(crm_router_opt_queue("--senior-queue", "bot", &e) == -1 &&
		   crm_router_opt_queue("--senior-queue", "vip-1.a", &e) == 0,
	    "a queue may not be the bot's");
	crm_router_opts_release(&o);
}

int
main(void)
{
	test_first_match();
	test_escalation();
	test_kb();
	test_split();
	test_setup();
	return tap_done();
}
