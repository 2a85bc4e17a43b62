/*
 * router: crm-route's decision for each ticket; see router.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "opt.h"
#include "desk.h"
#include "filter.h"
#include "jw.h"
#include "norm.h"
#include "rec.h"
#include "review.h"
#include "route.h"
#include "router.h"
#include "router_int.h"
#include "rules.h"
#include "store.h"
#include "strmap.h"
#include "suggest.h"

#define BOT CRM_ROUTER_BOT

static const char *const pnames[] = { "", "P1", "P2", "P3", "P4" };

/* ==== Options ==== */

int
crm_router_opts_init(
    struct crm_router_opts *o, enum crm_router_verb verb, struct crm_err *e)
{
	memset(o, 0, sizeof(*o));
	o->verb = verb;
	o->default_queue = "general";
	o->senior_queue = "senior";
	o->sla[1] = 3600;
	o->sla[2] = 4 * 3600;
	o->sla[3] = 24 * 3600;
	o->sla[4] = 72 * 3600;
	o->now = crm_clock_now();
	o->time_field = verb == CRM_ROUTER_UPDATE || verb == CRM_ROUTER_CLOSE
			    ? "time"
			    : "created";
	o->warn = 1800;
	crm_notify_opts_init(&o->notify);
	o->id_field = "id";
	o->customer_field = "customer_id";
	o->text_field = "text";
	o->intent_field = "intent";
	o->sentiment_field = "sentiment";
	o->reply_conf = 0.8;
	o->escalate_conf = 0.9;
	o->burst_n = 3;
	o->burst_window = 300;
	o->short_chars = 200;
	o->vip = "vip";
	if ((o->urgency = crm_urgency_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

void
crm_router_opts_release(struct crm_router_opts *o)
{
	crm_urgency_free(o->urgency);
	o->urgency = NULL;
}

int
crm_router_opt_sla(
    struct crm_router_opts *o, const char *arg, struct crm_err *e)
{
	const char *p = arg, *end, *eq;
	int pr;

	while (*p != '\0') {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL ||
		    (pr = crm_route_priority(p, (size_t)(eq - p))) == 0 ||
		    crm_route_duration(
			eq + 1, (size_t)(end - eq - 1), &o->sla[pr]) == -1)
			return crm_err_set(e, EX_USAGE,
			    "bad --sla '%s': want P1=1h,P2=4h,... with "
			    "durations such as 90s, 30m, 4h, 2d",
			    arg);
		p = *end ? end + 1 : end;
	}
	return 0;
}

int
crm_router_opt_urgency(
    struct crm_router_opts *o, const char *arg, struct crm_err *e)
{
	const char *p = arg, *end, *eq;
	char num[32];
	double v;

	while (*p != '\0') {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || (size_t)(end - eq) >= sizeof(num))
			return crm_err_set(e, EX_USAGE,
			    "bad --urgency '%s': want INTENT=POINTS,...", arg);
		memcpy(num, eq + 1, (size_t)(end - eq - 1));
		num[end - eq - 1] = '\0';
		if (crm_parse_double(num, 0, 100, &v) == -1)
			return crm_err_set(e, EX_USAGE,
			    "bad --urgency '%s': points from 0 to 100", arg);
		if (crm_urgency_set(o->urgency, p, (size_t)(eq - p), v) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		p = *end ? end + 1 : end;
	}
	return 0;
}

int
crm_router_opt_burst(
    struct crm_router_opts *o, const char *arg, struct crm_err *e)
{
	const char *slash = strchr(arg, '/');
	char num[16];

	if (slash == NULL || slash == arg ||
	    (size_t)(slash - arg) >= sizeof(num))
		goto bad;
	memcpy(num, arg, (size_t)(slash - arg));
	num[slash - arg] = '\0';
	if (crm_parse_long(num, 2, 1000, &o->burst_n) == -1 ||
	    crm_route_duration(
		slash + 1, strlen(slash + 1), &o->burst_window) == -1)
		goto bad;
	return 0;
bad:
	return crm_err_set(e, EX_USAGE,
	    "bad --burst '%s': want N/DURATION, N from 2 to 1000, such as 3/5m",
	    arg);
}

int
crm_router_opt_queue(const char *opt, const char *name, struct crm_err *e)
{
	if (!crm_route_name_ok(name, strlen(name)) || strcmp(name, BOT) == 0)
		return crm_err_set(e, EX_USAGE,
		    "bad %s '%s': want letters, digits, '_', '-' or '.' "
		    "(and not '" BOT "')",
		    opt, name);
	return 0;
}

/* ==== Setting up ==== */

/* e as a failure with no position (the setup's, not a record's). */
static int
plain(struct crm_err *e, int code)
{
	e->file = NULL;
	e->line = 0;
	e->field[0] = '\0';
	if (e->code == 0 || code != 0)
		e->code = code ? code : EX_SOFTWARE;
	if (e->msg[0] == '\0' || code == EX_SOFTWARE)
		snprintf(e->msg, sizeof(e->msg), "out of memory");
	return -1;
}

static int
nomem(struct crm_err *e)
{
	return plain(e, EX_SOFTWARE);
}

static char *
score_field(const char *name)
{
	size_t len = strlen(name);
	char *p = malloc(len + 7);

	if (p == NULL)
		return NULL;
	memcpy(p, name, len);
	memcpy(p + len, "_score", 7);
	return p;
}

/* The settings of every rule, and each condition compiled alone. */
static int
read_rules(struct crm_router *r, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	const struct crm_rulefile *rf;
	struct rule *nr;
	size_t i, j;

	if ((r->files = calloc(o->nrules + 1, sizeof(*r->files))) == NULL ||
	    (r->sets = calloc(
		 o->nrules + o->nrulesets + 1, sizeof(*r->sets))) == NULL)
		return nomem(e);
	if ((r->alone = crm_rules_new(e)) == NULL)
		return nomem(e);
	for (i = 0; i < o->nrules; i++) {
		crm_err_clear(e); /* no position left from the file before */
		if (crm_rulefile_read(&r->files[i], o->rules[i], "->", 1, e) ==
		    -1)
			return -1;
		r->sets[r->nsets++] = &r->files[i];
	}
	for (i = 0; i < o->nrulesets; i++)
		r->sets[r->nsets++] = &o->rulesets[i];
	for (i = 0; i < r->nsets; i++) {
		rf = r->sets[i];
		for (j = 0; j < rf->n; j++) {
			nr = crm_reallocarray(
			    r->rule, r->nrule + 1, sizeof(*nr));
			if (nr == NULL)
				return nomem(e);
			r->rule = nr;
			nr += r->nrule;
			nr->file = rf->path;
			nr->line = rf->rule[j].line;
			e->file = rf->path;
			e->line = rf->rule[j].line;
			if (crm_route_set_parse(
				&nr->set, rf->rule[j].right, e) == -1)
				return -1;
			r->nrule++;
			if (nr->set.queue != NULL &&
			    strcmp(nr->set.queue, BOT) == 0)
				return crm_err_set(e, EX_DATAERR,
				    "queue " BOT " is the knowledge base's: "
				    "a rule cannot send a ticket there");
			if (crm_rules_add(r->alone, rf->rule[j].left, rf->path,
				rf->rule[j].line, e) == -1)
				return -1;
		}
	}
	crm_err_clear(e);
	return 0;
}

/*
 * What is evaluated for each ticket: for the first match, one CASE over
 * all conditions, which SQLite stops at the first true one; for all
 * matches, each condition as a CASE of its own.  Either way a condition
 * is true as a WHERE clause would take it.
 */
static int
compile_rules(struct crm_router *r, struct crm_err *e)
{
	const struct crm_rulefile *rf;
	struct crm_buf *b = &r->buf;
	int all = r->o->all, bad = 0;
	size_t i, j, k = 0;

	if (r->nrule == 0)
		return 0;
	if ((r->eval = crm_rules_new(e)) == NULL)
		return plain(e, 0);
	crm_buf_reset(b);
	if (!all)
		bad |= crm_buf_adds(b, "CASE");
	for (i = 0; i < r->nsets; i++) {
		rf = r->sets[i];
		for (j = 0; j < rf->n; j++, k++) {
			if (all)
				crm_buf_reset(b);
			bad |= crm_buf_addf(b, "%sWHEN (\n%s\n) THEN %zu",
			    all ? "CASE " : " ", rf->rule[j].left, k + 1);
			if (!all)
				continue;
			bad |= crm_buf_adds(b, " ELSE 0 END");
			if (bad)
				return nomem(e);
			if (crm_rules_add(r->eval, b->p, rf->path,
				rf->rule[j].line, e) == -1)
				return -1;
		}
	}
	if (all)
		return 0;
	if (bad || crm_buf_adds(b, " ELSE 0 END") == -1)
		return nomem(e);
	if (crm_rules_add(r->eval, b->p, r->rule[0].file, r->rule[0].line, e) ==
	    -1)
		return -1;
	return 0;
}

static int
add_queue(void *arg, const char *name)
{
	return crm_strmap_put(arg, name, strlen(name)) < 0 ? -1 : 0;
}

/*
 * The queues rules may send tickets to: --queues and, with a store, the
 * skills of its agents.  When neither names any, every queue is taken.
 */
static int
known_queues(struct crm_router *r, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	const char *p = o->queues, *end, *q;
	size_t i;

	if ((r->queues = crm_strmap_new()) == NULL)
		return nomem(e);
	while (p != NULL && *p != '\0') {
		end = p + strcspn(p, ",");
		if (!crm_route_name_ok(p, (size_t)(end - p)))
			return crm_err_set(e, EX_USAGE,
			    "bad --queues '%s': names of "
			    "letters, digits, '_', '-', "
			    "'.'",
			    o->queues);
		if (crm_strmap_put(r->queues, p, (size_t)(end - p)) < 0)
			return nomem(e);
		p = *end ? end + 1 : end;
	}
	if (r->desk != NULL &&
	    crm_desk_skills(r->desk, add_queue, r->queues, e) == -1)
		return plain(e, 0);
	if (crm_strmap_count(r->queues) == 0) {
		crm_strmap_free(r->queues);
		r->queues = NULL;
		return 0;
	}
	for (i = 0; i < r->nrule; i++) {
		q = r->rule[i].set.queue;
		if (q == NULL || strcmp(q, o->default_queue) == 0 ||
		    strcmp(q, o->senior_queue) == 0 ||
		    crm_strmap_get(r->queues, q, strlen(q)) >= 0)
			continue;
		e->file = r->rule[i].file;
		e->line = r->rule[i].line;
		return crm_err_set(e, EX_DATAERR,
		    "unknown queue '%s': not in %s", q,
		    r->desk == NULL	? "--queues"
		    : o->queues == NULL ? "the skills of the store's agents"
					: "--queues, nor a skill of the "
					  "store's agents");
	}
	return 0;
}

static int
open_store(struct crm_router *r, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;

	if ((r->st = crm_store_open(o->db, (int)o->busy_ms, e)) == NULL)
		return plain(e, 0);
	if ((r->desk = crm_desk_open(r->st, o->by, e)) == NULL ||
	    (r->audit = crm_audit_open(r->st, "crm-route",
		 o->verb == CRM_ROUTER_ROUTE ? "routing" : "lifecycle", 0,
		 e)) == NULL ||
	    (r->cust = crm_rec_new()) == NULL)
		return plain(e, 0);
	crm_desk_clock(r->desk, r->cal, o->sla);
	return crm_router_life_open(r, e);
}

struct crm_router *
crm_router_new(const struct crm_router_opts *o, struct crm_err *e)
{
	struct crm_router *r;

	crm_err_clear(e);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		nomem(e);
		return NULL;
	}
	r->o = o;
	crm_buf_init(&r->buf);
	crm_buf_init(&r->json);
	crm_buf_init(&r->out);
	crm_buf_init(&r->agent);
	if (crm_router_answer_open(r, e) == -1) {
		plain(e, 0);
		goto fail;
	}
	if ((r->intent_score = score_field(o->intent_field)) == NULL ||
	    (r->sentiment_score = score_field(o->sentiment_field)) == NULL) {
		nomem(e);
		goto fail;
	}
	crm_buf_init(&r->hold);
	crm_err_clear(&r->idle_err);
	if (o->verb == CRM_ROUTER_ROUTE && read_rules(r, e) == -1)
		goto fail;
	if (o->calendar != NULL &&
	    (r->cal = crm_cal_read(o->calendar, e)) == NULL)
		goto fail;
	if (o->db != NULL && open_store(r, e) == -1)
		goto fail;
	r->n.store = r->desk != NULL;
	if (o->verb != CRM_ROUTER_ROUTE)
		return r;
	if (compile_rules(r, e) == -1 || known_queues(r, e) == -1)
		goto fail;
	if (o->kb != NULL && (r->kb = crm_kb_read(o->kb, e)) == NULL)
		goto fail;
	if (o->review != NULL && ((r->review = crm_review_new(o->review, r->st,
				       o->as_of, o->by, e)) == NULL ||
				     (r->dec = crm_rec_new()) == NULL)) {
		if (r->review != NULL)
			nomem(e);
		goto fail;
	}
	if ((r->burst = crm_burst_new(
		 (int)o->burst_n, (double)o->burst_window)) == NULL ||
	    (r->sub = crm_rec_new()) == NULL ||
	    (r->matched = calloc(r->nrule + 1, sizeof(size_t))) == NULL ||
	    (r->routes = calloc(r->nrule + 1, sizeof(struct route))) == NULL) {
		nomem(e);
		goto fail;
	}
	return r;
fail:
	crm_router_free(r);
	return NULL;
}

void
crm_router_free(struct crm_router *r)
{
	struct crm_err e;
	size_t i;

	if (r == NULL)
		return;
	crm_err_clear(&e);
	if (r->audit != NULL)
		crm_audit_close(r->audit, &e);
	for (i = 0; i < r->nrule; i++)
		crm_route_set_release(&r->rule[i].set);
	free(r->rule);
	for (i = 0; r->files != NULL && i < r->o->nrules; i++)
		crm_rulefile_release(&r->files[i]);
	free(r->files);
	free(r->sets);
	crm_rules_free(r->alone);
	crm_rules_free(r->eval);
	crm_strmap_free(r->queues);
	crm_kb_free(r->kb);
	crm_router_answer_close(r);
	crm_review_free(r->review);
	crm_rec_free(r->dec);
	crm_burst_free(r->burst);
	crm_router_life_close(r);
	crm_desk_close(r->desk);
	crm_cal_free(r->cal);
	crm_store_close(r->st);
	crm_rec_free(r->cust);
	crm_rec_free(r->sub);
	for (i = 0; i < r->nnopt; i++)
		free(r->nopt[i]);
	free(r->nopt);
	free(r->matched);
	free(r->routes);
	crm_buf_release(&r->buf);
	crm_buf_release(&r->json);
	crm_buf_release(&r->out);
	crm_buf_release(&r->agent);
	free(r->intent_score);
	free(r->sentiment_score);
	free(r);
}

/* ==== Fields ==== */

/* Field name of r (which may be NULL) as text; see crm_rec_text. */
static const char *
text_of(const struct crm_rec *r, const char *name, size_t *len)
{
	return r != NULL ? crm_rec_text(r, name, len) : NULL;
}

/* The ticket's field, else the customer's. */
static const char *
fact(const struct crm_router *r, const struct crm_rec *rec, const char *name,
    size_t *len)
{
	const char *v = text_of(rec, name, len);

	return v != NULL ? v : text_of(r->cust, name, len);
}

/* The number in a field; NAN when missing or not a number. */
static double
number(const struct crm_router *r, const struct crm_rec *rec, const char *name)
{
	const char *v;
	size_t len;
	long long iv;
	double d;

	if ((v = fact(r, rec, name, &len)) == NULL)
		return NAN;
	switch (crm_rules_number(v, len, &iv, &d)) {
	case 1:
		return (double)iv;
	case 2:
		return isfinite(d) ? d : NAN;
	default:
		return NAN;
	}
}

/*
 * What the review rules read beside the ticket: the decision, and the
 * fields the router writes.
 */
static const char *const review_own[] = { "priority", "queue", "answer",
	"confidence", "escalated", "sla_due", "assignee", "reply", "parent_id",
	CRM_REVIEW_FIELD };

static int
check_review(struct crm_router *r, const struct crm_rec *rec, struct crm_err *e)
{
	if (r->review == NULL)
		return 0;
	return crm_review_check(r->review, rec, review_own,
	    sizeof(review_own) / sizeof(review_own[0]), e);
}

/* Whether rec or the store can give every name the rules use. */
static int
check_names(struct crm_router *r, const struct crm_rec *rec, struct crm_err *e)
{
	size_t i, n = r->alone ? crm_rules_nnames(r->alone) : 0, u;
	const char *name;
	char hint[256];

	for (i = 0; i < n; i++) {
		name = crm_rules_name(r->alone, i);
		if (crm_rec_find(rec, name, strlen(name)) >= 0 ||
		    (r->desk != NULL && crm_desk_customer_field(r->desk, name)))
			continue;
		u = crm_rules_name_user(r->alone, i);
		crm_err_field(e, name, strlen(name));
		return crm_err_set(e, EX_DATAERR,
		    "no such field, which rule %s:%lu needs%s%s",
		    crm_rules_file(r->alone, u), crm_rules_line(r->alone, u),
		    r->desk != NULL ? " (nor a customer field of the store)"
				    : "",
		    crm_suggest_field_hint(hint, sizeof(hint), name, rec));
	}
	return check_review(r, rec, e);
}

int
crm_router_check_header(
    struct crm_router *r, const struct crm_rec *hdr, struct crm_err *e)
{
	if (r->o->verb != CRM_ROUTER_ROUTE)
		return 0;
	return check_names(r, hdr, e);
}

static const char *const appended[] = { "priority", "queue", "sla_due",
	"assignee", "reply", "parent_id" };

int
crm_router_out_header(
    struct crm_router *r, struct crm_rec *hdr, struct crm_err *e)
{
	size_t i, n = r->o->all ? 6 : 5;
	int bad = 0;

	if (r->o->verb == CRM_ROUTER_AGENTS)
		bad = crm_rec_put(hdr, "load", "", 0, CRM_STRING);
	for (i = 0; r->o->verb == CRM_ROUTER_ROUTE && i < n; i++)
		bad |= crm_rec_put(hdr, appended[i], "", 0, CRM_STRING);
	if (r->review != NULL)
		bad |= crm_rec_put(hdr, CRM_REVIEW_FIELD, "", 0, CRM_STRING);
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ==== Routing ==== */

/*
 * Evaluate the rules for rec: the index of the first matching rule plus
 * one (0: none), or with --all-matches the matching rules in r->matched.
 * Returns the number of matches, or -1 with e filled (CRM_ROUTER_FATAL
 * when a rule went over a limit of the rules).
 */
static long
match(struct crm_router *r, struct crm_rec *rec, struct crm_err *e)
{
	struct crm_rules_src src[2];
	const char *v;
	size_t i, len, n = 0;
	enum crm_type t;
	int rc, rc2;

	if (r->eval == NULL)
		return 0;
	src[0].rec = rec;
	src[0].untyped = r->fmt == CRM_FMT_CSV || r->fmt == CRM_FMT_TSV;
	src[1].rec = r->cust;
	src[1].untyped = 0;
	if ((rc = crm_rules_eval(r->eval, src, r->cust ? 2 : 1, e)) < 0) {
		/* name the rule that failed, not the CASE around it */
		if ((rc2 = crm_rules_eval(r->alone, src, r->cust ? 2 : 1, e)) ==
		    0)
			crm_err_set(e, EX_DATAERR, "the rules failed");
		else
			rc = rc2;
		return rc == CRM_RULES_LIMIT ? CRM_ROUTER_FATAL : -1;
	}
	for (i = 0; i < crm_rules_count(r->eval); i++) {
		v = crm_rules_value(r->eval, i, &len, &t);
		if (v == NULL || t != CRM_NUMBER || (len == 1 && v[0] == '0'))
			continue;
		r->matched[n++] = r->o->all ? i
					    : (size_t)strtoul(v, NULL, 10) - 1;
	}
	return (long)n;
}

/*
 * The facts of the priority score, and the ticket's time (NAN when it
 * has none).
 */
static double
facts(const struct crm_router *r, const struct crm_rec *rec,
    struct crm_route_facts *fa)
{
	const struct crm_router_opts *o = r->o;
	const char *v, *why;
	size_t len;
	double t = NAN;

	v = fact(r, rec, o->intent_field, &len);
	fa->urgency = crm_urgency_get(o->urgency, v, len);
	v = fact(r, rec, o->sentiment_field, &len);
	fa->negative = v != NULL && len == 8 && memcmp(v, "negative", 8) == 0;
	fa->sentiment = number(r, rec, r->sentiment_score);
	v = fact(r, rec, "tier", &len);
	fa->vip = v != NULL && strlen(o->vip) == len &&
		  strncasecmp(v, o->vip, len) == 0;
	fa->value = number(r, rec, "lifetime_value");
	v = text_of(rec, o->time_field, &len);
	if (v != NULL && crm_norm_seconds(v, len, &t, &why) == -1)
		t = NAN;
	/*
	 * The waiting time runs to --as-of; without it the ticket is routed
	 * as at its own time, not the clock's, so that a run, or any shard
	 * of it, gives the same priority whenever it runs (crm(7), Scaling
	 * out).
	 */
	fa->waited = isnan(t) ? NAN : crm_clock_fixed() ? o->now - t : 0;
	return t;
}

/* Why the ticket is escalated, or NULL; keeps the bursts up to date. */
static const char *
escalation(struct crm_router *r, const struct crm_rec *rec,
    const struct crm_route_facts *fa, double t, struct crm_err *e, int *fail)
{
	const struct crm_router_opts *o = r->o;
	const char *id, *text;
	size_t len, tlen;
	int burst = 0;

	*fail = 0;
	if (o->no_escalate)
		return NULL;
	id = text_of(rec, o->customer_field, &len);
	text = text_of(rec, o->text_field, &tlen);
	if (id != NULL && !isnan(t) &&
	    (text == NULL ||
		crm_route_chars(text, tlen) <= (size_t)o->short_chars)) {
		if ((burst = crm_burst_add(r->burst, id, len, t)) == -1) {
			*fail = 1;
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			return NULL;
		}
	}
	if (fa->negative &&
	    (isnan(fa->sentiment) ? 1.0 : fa->sentiment) >= o->escalate_conf)
		return "negative sentiment";
	if (fa->vip)
		return "vip customer";
	if (burst)
		return "burst of messages";
	return NULL;
}

/* Settle where a ticket goes by rule (NULL: none) and the facts. */
static void
settle(const struct crm_router *r, struct route *rt, const struct rule *rule,
    double t)
{
	const struct crm_router_opts *o = r->o;

	rt->rule = rule;
	rt->t = t;
	rt->priority = rule != NULL && rule->set.priority > 0
			   ? rule->set.priority
			   : crm_route_score_priority(rt->score.total);
	rt->queue = rule != NULL && rule->set.queue != NULL ? rule->set.queue
							    : o->default_queue;
	rt->skill = rule != NULL && rule->set.skill != NULL ? rule->set.skill
							    : rt->queue;
	if (rt->escalated != NULL) {
		if (rt->priority > 1)
			rt->priority--;
		rt->queue = rt->skill = o->senior_queue;
	}
	rt->due = crm_cal_add(r->cal, isnan(t) ? o->now : t,
	    (double)(rule != NULL && rule->set.sla >= 0
			 ? rule->set.sla
			 : o->sla[rt->priority]));
}

/*
 * The knowledge base's answer to rec, when its intent is scored
 * --reply-confidence or more, into rt (crm_router_answer).  0, -1 or
 * CRM_ROUTER_FATAL with e filled.
 */
static int
answer(struct crm_router *r, const struct crm_rec *rec, struct route *rt,
    struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	const char *intent, *text;
	size_t ilen, tlen;
	double conf;

	if (r->kb == NULL ||
	    (intent = text_of(rec, o->intent_field, &ilen)) == NULL)
		return 0;
	conf = number(r, rec, r->intent_score);
	if (isnan(conf) || conf < o->reply_conf)
		return 0;
	text = text_of(rec, o->text_field, &tlen);
	return crm_router_answer(r, rec, intent, ilen,
	    text != NULL ? crm_route_lang(text, tlen) : "", rt, e);
}

/*
 * The answer picked for rt as the audit log keeps it: its id, the names
 * of its slots and the one left empty, never their values.
 */
static void
decision_answer(
    const struct crm_router *r, struct crm_jw *w, const struct route *rt)
{
	const struct crm_tmpl *t = crm_kb_tmpl(r->kb, (size_t)rt->kb);
	size_t i, n = crm_tmpl_nslots(t);

	crm_jw_key(w, "answer");
	crm_jw_obj(w);
	crm_jw_key(w, "id");
	crm_jw_str(w, crm_kb_id(r->kb, (size_t)rt->kb));
	crm_jw_key(w, "slots");
	crm_jw_arr(w);
	for (i = 0; i < n; i++)
		crm_jw_str(w, crm_tmpl_slot(t, i)->name);
	crm_jw_end(w);
	crm_jw_key(w, "missing");
	if (rt->unsent != NULL)
		crm_jw_str(w, crm_tmpl_slot(t, rt->missing)->name);
	else
		crm_jw_null(w);
	crm_jw_end(w);
}

/*
 * The audit log's output for rt (priority, queue, assignee) in r->out and
 * its reasons (rule, score, escalated, answered) in r->json; 0 or -1.
 */
static int
decision(struct crm_router *r, const struct route *rt)
{
	struct crm_jw w;
	int bad;

	crm_buf_reset(&r->out);
	crm_jw_init(&w, &r->out);
	crm_jw_obj(&w);
	crm_jw_key(&w, "priority");
	crm_jw_str(&w, pnames[rt->priority]);
	crm_jw_key(&w, "queue");
	crm_jw_str(&w, rt->reply ? BOT : rt->queue);
	crm_jw_key(&w, "assignee");
	if (r->agent.len > 0)
		crm_jw_strn(&w, r->agent.p, r->agent.len);
	else
		crm_jw_null(&w);
	crm_jw_end(&w);
	bad = crm_jw_done(&w);

	crm_buf_reset(&r->json);
	crm_jw_init(&w, &r->json);
	crm_jw_obj(&w);
	crm_jw_key(&w, "rule");
	if (rt->rule != NULL) {
		crm_buf_reset(&r->buf);
		if (crm_buf_addf(&r->buf, "%s:%lu", rt->rule->file,
			rt->rule->line) == -1)
			return -1;
		crm_jw_strn(&w, r->buf.p, r->buf.len);
	} else {
		crm_jw_null(&w);
	}
	crm_jw_key(&w, "score");
	crm_jw_obj(&w);
	crm_jw_key(&w, "urgency");
	crm_jw_num(&w, "%.2f", rt->score.urgency);
	crm_jw_key(&w, "sentiment");
	crm_jw_num(&w, "%.2f", rt->score.sentiment);
	crm_jw_key(&w, "value");
	crm_jw_num(&w, "%.2f", rt->score.value);
	crm_jw_key(&w, "waiting");
	crm_jw_num(&w, "%.2f", rt->score.waiting);
	crm_jw_key(&w, "total");
	crm_jw_num(&w, "%.2f", rt->score.total);
	crm_jw_end(&w);
	crm_jw_key(&w, "escalated");
	if (rt->escalated != NULL)
		crm_jw_str(&w, rt->escalated);
	else
		crm_jw_null(&w);
	crm_jw_key(&w, "answered");
	crm_jw_bool(&w, rt->reply != NULL);
	if (rt->kb >= 0)
		decision_answer(r, &w, rt);
	if (r->reviewed != NULL) {
		crm_jw_key(&w, "review");
		crm_jw_str(&w, r->reviewed);
	}
	crm_jw_end(&w);
	return bad | crm_jw_done(&w);
}

/* The needs_review field of rec: the ticket's review, or null. */
static int
put_review(const struct crm_router *r, struct crm_rec *rec)
{
	const char *v = r->reviewed;

	return crm_rec_put(rec, CRM_REVIEW_FIELD, v ? v : "", v ? strlen(v) : 0,
	    v ? CRM_STRING : CRM_NULL);
}

/*
 * The review rules over ticket rec routed as rt (settled): the
 * decision's fields (priority, queue, answer, confidence, escalated),
 * then the ticket's, then the customer's facts.  A match sets
 * r->reviewed and, unless --act-on-review, takes the answer back: the
 * ticket goes to its queue, to a person.  0, -1 or CRM_ROUTER_FATAL
 * with e filled.
 */
static int
review(struct crm_router *r, const struct crm_rec *rec, struct route *rt,
    struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	struct crm_rules_src src[2];
	const char *id;
	double conf;
	size_t len;
	int rc, bad = 0;

	r->reviewed = NULL;
	if (r->review == NULL)
		return 0;
	crm_rec_clear(r->dec);
	bad |= crm_rec_add(
	    r->dec, "priority", 8, pnames[rt->priority], 2, CRM_STRING);
	bad |= rt->reply != NULL
		   ? crm_rec_add(r->dec, "queue", 5, BOT, 3, CRM_STRING)
		   : crm_rec_add(r->dec, "queue", 5, rt->queue,
			 strlen(rt->queue), CRM_STRING);
	bad |= crm_rec_add(r->dec, "answer", 6, rt->reply ? rt->reply : "",
	    rt->rlen, rt->reply ? CRM_STRING : CRM_NULL);
	conf = number(r, rec, r->intent_score);
	bad |= isnan(conf)
		   ? crm_rec_add(r->dec, "confidence", 10, "", 0, CRM_NULL)
		   : crm_rec_add_num(r->dec, "confidence", "%.17g", conf);
	bad |= crm_rec_add(r->dec, "escalated", 9,
	    rt->escalated ? rt->escalated : "",
	    rt->escalated ? strlen(rt->escalated) : 0,
	    rt->escalated ? CRM_STRING : CRM_NULL);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	src[0].rec = r->dec;
	src[0].untyped = 0;
	src[1].rec = rec;
	src[1].untyped = r->fmt == CRM_FMT_CSV || r->fmt == CRM_FMT_TSV;
	id = text_of(rec, o->customer_field, &len);
	if ((rc = crm_review_eval(
		 r->review, src, 2, id, id ? len : 0, &r->reviewed, e)) < 0)
		return rc == CRM_RULES_LIMIT ? CRM_ROUTER_FATAL : -1;
	if (r->reviewed == NULL)
		return 0;
	r->n.reviewed++;
	if (rt->reply != NULL && !o->act_on_review) {
		rt->reply = NULL;
		rt->rlen = 0;
		r->n.answered--;
		r->n.held++;
	}
	return 0;
}

/*
 * Give the ticket in rec, routed as rt, to an agent (with a store) and
 * log the decision; append the routing fields to rec.
 */
/*
 * Why the ticket went where it went, for its first event: the rule, the
 * escalation, the knowledge base, or none of these.
 */
static const char *
route_reason(struct crm_router *r, const struct route *rt)
{
	crm_buf_reset(&r->buf);
	if (rt->reply != NULL)
		return "answered by the knowledge base";
	if (rt->queue == NULL)
		return "split into subtasks";
	if (rt->escalated != NULL)
		return rt->escalated;
	if (rt->rule == NULL && rt->unsent == NULL)
		return "no rule matched";
	if (rt->unsent != NULL &&
	    crm_buf_addf(&r->buf, "%s; ", rt->unsent) == -1)
		return NULL;
	if ((rt->rule == NULL ? crm_buf_adds(&r->buf, "no rule matched")
			      : crm_buf_addf(&r->buf, "rule %s:%lu",
				    rt->rule->file, rt->rule->line)) == -1 ||
	    crm_buf_addc(&r->buf, '\0') == -1)
		return NULL;
	return r->buf.p;
}

/*
 * Put ticket rec (id[0..idlen)), routed as rt, in the store under
 * parent (NULL: none), its agent into r->agent; the customer told of a
 * ticket that is not a subtask.  0, or CRM_ROUTER_FATAL with e filled.
 */
static int
store_ticket(struct crm_router *r, const struct crm_rec *rec,
    const struct route *rt, const char *id, size_t idlen, const char *parent,
    size_t plen, const char *due, int *again, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	struct crm_desk_act act;
	struct crm_ticket tk;
	const char *text;
	char created[32];
	size_t tlen;

	memset(&tk, 0, sizeof(tk));
	tk.id = id;
	tk.idlen = idlen;
	tk.parent = parent;
	tk.plen = plen;
	tk.customer = text_of(rec, o->customer_field, &tk.clen);
	tk.priority = rt->priority;
	tk.queue = rt->reply != NULL ? BOT : rt->queue;
	tk.skill = rt->reply != NULL ? BOT : rt->skill;
	tk.sla_due = due;
	crm_route_iso(isnan(rt->t) ? o->now : rt->t, created);
	tk.created = created;
	text = text_of(rec, o->text_field, &tlen);
	tk.lang = text != NULL ? crm_route_lang(text, tlen) : NULL;
	tk.answered = rt->reply != NULL;
	if ((tk.reason = route_reason(r, rt)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return CRM_ROUTER_FATAL;
	}
	if (crm_audit_begin(r->audit, e) == -1 ||
	    crm_desk_assign(r->desk, &tk, &act, again, e) == -1)
		return CRM_ROUTER_FATAL;
	crm_buf_reset(&r->agent);
	if (*again) {
		/* routed before: what the store has */
		if (act.agent != NULL &&
		    crm_buf_adds(&r->agent, act.agent) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			return CRM_ROUTER_FATAL;
		}
		return 0;
	}
	if (act.agent != NULL && crm_buf_adds(&r->agent, act.agent) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return CRM_ROUTER_FATAL;
	}
	if (rt->reply == NULL && rt->queue != NULL)
		r->agent.len > 0 ? r->n.assigned++ : r->n.waiting++;
	/* a subtask's customer hears of its parent, once they are all in */
	if (parent == NULL && rt->queue != NULL &&
	    crm_router_notify(r, &act, o->now, e) == -1)
		return CRM_ROUTER_FATAL;
	return 0;
}

static int
deliver(struct crm_router *r, struct crm_rec *rec, const struct route *rt,
    const char *parent, size_t plen, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	char due[32];
	const char *id, *sub;
	size_t idlen = 0, slen = 0;
	int rc, again, bad = 0;

	crm_route_iso(rt->due, due);
	crm_buf_reset(&r->agent);
	id = text_of(rec, o->id_field, &idlen);
	if (r->desk != NULL) {
		if (id == NULL) {
			crm_err_field(e, o->id_field, strlen(o->id_field));
			return crm_err_set(e, EX_DATAERR,
			    "no ticket id to keep the ticket under");
		}
		if ((rc = store_ticket(r, rec, rt, id, idlen, parent, plen, due,
			 &again, e)) != 0)
			return rc;
	}
	bad |=
	    crm_rec_put(rec, "priority", pnames[rt->priority], 2, CRM_STRING);
	bad |= rt->reply != NULL ? crm_rec_put(rec, "queue", BOT, 3, CRM_STRING)
				 : crm_rec_put(rec, "queue", rt->queue,
				       strlen(rt->queue), CRM_STRING);
	bad |= crm_rec_put(rec, "sla_due", due, strlen(due), CRM_STRING);
	bad |= crm_rec_put(rec, "assignee", r->agent.p ? r->agent.p : "",
	    r->agent.len, r->agent.len > 0 ? CRM_STRING : CRM_NULL);
	bad |= crm_rec_put(rec, "reply", rt->reply ? rt->reply : "", rt->rlen,
	    rt->reply ? CRM_STRING : CRM_NULL);
	if (o->all)
		bad |= crm_rec_put(rec, "parent_id", parent ? parent : "", plen,
		    parent ? CRM_STRING : CRM_NULL);
	if (r->review != NULL)
		bad |= put_review(r, rec);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (r->audit == NULL)
		return 0;
	id = text_of(rec, o->id_field, &idlen); /* rec moved as it grew */
	sub = text_of(rec, o->customer_field, &slen);
	if (decision(r, rt) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_audit_review(r->audit, r->reviewed);
	bad = crm_audit_add(r->audit, id, idlen, sub, slen, r->out.p,
	    r->out.len, rt->score.total, r->json.p, r->json.len, e);
	return bad == -1 ? CRM_ROUTER_FATAL : 0;
}

/*
 * --all-matches with rules for more than one queue: the ticket is written
 * as the parent (no queue of its own) and one subtask per queue, each
 * with the ticket's id and ".N".
 */
static int
split(struct crm_router *r, struct crm_rec *rec, size_t n,
    int (*emit)(void *, const struct crm_rec *, struct crm_err *), void *arg,
    struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	const struct route *rs = r->routes;
	struct crm_desk_act act;
	struct route top;
	const char *id;
	size_t i, idlen, best = 0, plen;
	char *parent;
	char due[32];
	long k;
	int rc, again = 1, bad = 0;

	if ((id = text_of(rec, o->id_field, &idlen)) == NULL) {
		crm_err_field(e, o->id_field, strlen(o->id_field));
		return crm_err_set(
		    e, EX_DATAERR, "no ticket id for the subtasks to point to");
	}
	if ((parent = malloc(idlen + 1)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	memcpy(parent, id, idlen);
	parent[plen = idlen] = '\0';
	for (i = 1; i < n; i++)
		if (rs[i].priority < rs[best].priority ||
		    (rs[i].priority == rs[best].priority &&
			rs[i].due < rs[best].due))
			best = i;
	crm_route_iso(rs[best].due, due);
	bad |= crm_rec_put(
	    rec, "priority", pnames[rs[best].priority], 2, CRM_STRING);
	bad |= crm_rec_put(rec, "queue", "", 0, CRM_NULL);
	bad |= crm_rec_put(rec, "sla_due", due, strlen(due), CRM_STRING);
	bad |= crm_rec_put(rec, "assignee", "", 0, CRM_NULL);
	bad |= crm_rec_put(rec, "reply", "", 0, CRM_NULL);
	bad |= crm_rec_put(rec, "parent_id", "", 0, CRM_NULL);
	if (r->review != NULL)
		bad |= put_review(r, rec);
	if (bad) {
		free(parent);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	/* the parent: no queue, its state its subtasks' */
	top = rs[best];
	top.queue = top.skill = NULL;
	top.rule = NULL;
	if (r->desk != NULL && (rc = store_ticket(r, rec, &top, parent, plen,
				    NULL, 0, due, &again, e)) != 0) {
		free(parent);
		return rc;
	}
	if (emit(arg, rec, e) == -1) {
		free(parent);
		return CRM_ROUTER_FATAL;
	}
	k = crm_rec_find(rec, o->id_field, strlen(o->id_field));
	for (i = 0; i < n; i++) {
		if (crm_rec_copy(r->sub, rec) == -1)
			goto nomem;
		crm_buf_reset(&r->buf);
		if (crm_buf_addf(&r->buf, "%s.%zu", parent, i + 1) == -1 ||
		    crm_rec_set(r->sub, (size_t)k, r->buf.p, r->buf.len,
			CRM_STRING) == -1)
			goto nomem;
		if ((rc = deliver(r, r->sub, &r->routes[i], parent, plen, e)) !=
		    0) {
			free(parent);
			return rc;
		}
		if (emit(arg, r->sub, e) == -1) {
			free(parent);
			return CRM_ROUTER_FATAL;
		}
	}
	r->n.split++;
	if (!again && (crm_desk_settle(r->desk, parent, plen, &act, e) == -1 ||
			  crm_router_notify(r, &act, o->now, e) == -1)) {
		free(parent);
		return CRM_ROUTER_FATAL;
	}
	free(parent);
	return 1;
nomem:
	free(parent);
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

int
crm_router_ticket(struct crm_router *r, struct crm_rec *rec,
    enum crm_format fmt,
    int (*emit)(void *, const struct crm_rec *, struct crm_err *), void *arg,
    struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	struct crm_route_facts fa;
	const struct rule *ru;
	struct route rt;
	const char *id, *q;
	size_t len, i, j, nq;
	long n;
	double t;
	int fail, rc;

	r->fmt = fmt;
	if (fmt == CRM_FMT_JSONL && check_names(r, rec, e) == -1)
		return -1;
	if (r->desk != NULL) {
		id = text_of(rec, o->customer_field, &len);
		if (id == NULL)
			crm_rec_clear(r->cust);
		else if (crm_desk_customer(r->desk, id, len, r->cust, e) == -1)
			return CRM_ROUTER_FATAL;
	}
	if ((n = match(r, rec, e)) < 0)
		return n == CRM_ROUTER_FATAL ? CRM_ROUTER_FATAL : -1;
	memset(&rt, 0, sizeof(rt));
	rt.kb = -1;
	t = facts(r, rec, &fa);
	crm_route_score(&fa, &rt.score);
	rt.escalated = escalation(r, rec, &fa, t, e, &fail);
	if (fail)
		return -1;
	if (rt.escalated != NULL)
		r->n.escalated++;
	/* one queue, or the knowledge base: the ticket as it is */
	for (i = 0, nq = 0; o->all && i < (size_t)n; i++) {
		ru = &r->rule[r->matched[i]];
		q = ru->set.queue ? ru->set.queue : o->default_queue;
		for (j = 0; j < nq; j++)
			if (strcmp(r->routes[j].queue, q) == 0)
				break;
		if (j < nq)
			continue;
		r->routes[nq] = rt;
		settle(r, &r->routes[nq++], ru, t);
	}
	for (i = 0; i < (size_t)n; i++)
		if (r->rule[r->matched[i]].set.no_reply)
			break;
	if (rt.escalated == NULL && i == (size_t)n &&
	    (rc = answer(r, rec, &rt, e)) != 0)
		return rc;
	if (rt.reply != NULL)
		r->n.answered++;
	settle(r, &rt, n > 0 ? &r->rule[r->matched[0]] : NULL, t);
	/* split or not, one review of the ticket, as its first route */
	if ((rc = review(r, rec, &rt, e)) != 0)
		return rc;
	if (nq > 1 && rt.reply == NULL && rt.escalated == NULL)
		return split(r, rec, nq, emit, arg, e);
	return deliver(r, rec, &rt, NULL, 0, e);
}

/* ==== Agents and closing ==== */

/* A whole number field of rec into *v (-1 when missing); 0 or -1. */
static int
agent_number(const struct crm_rec *rec, const char *name, long max, long *v,
    struct crm_err *e)
{
	const char *s;
	size_t len;
	long long iv;
	double d;

	*v = -1;
	if ((s = text_of(rec, name, &len)) == NULL)
		return 0;
	if (strcmp(name, "on_shift") == 0) {
		if ((len == 4 && strncasecmp(s, "true", 4) == 0) ||
		    (len == 3 && strncasecmp(s, "yes", 3) == 0)) {
			*v = 1;
			return 0;
		}
		if ((len == 5 && strncasecmp(s, "false", 5) == 0) ||
		    (len == 2 && strncasecmp(s, "no", 2) == 0)) {
			*v = 0;
			return 0;
		}
	}
	if (crm_rules_number(s, len, &iv, &d) != 1 || iv < 0 || iv > max) {
		crm_err_field(e, name, strlen(name));
		return crm_err_set(e, EX_DATAERR,
		    "'%.*s': want a whole number from 0 to %ld%s",
		    (int)(len > 40 ? 40 : len), s, max,
		    max == 1 ? " (or true, false, yes, no)" : "");
	}
	*v = (long)iv;
	return 0;
}

static int
agent_record(struct crm_router *r, struct crm_rec *rec, struct crm_err *e)
{
	const char *id, *name, *skills;
	size_t idlen, nlen = 0, slen = 0;
	long capacity, on_shift, load;
	char num[24];

	if ((id = text_of(rec, "agent_id", &idlen)) == NULL) {
		crm_err_field(e, "agent_id", 8);
		return crm_err_set(e, EX_DATAERR, "no agent id");
	}
	if (agent_number(rec, "capacity", 1000000, &capacity, e) == -1 ||
	    agent_number(rec, "on_shift", 1, &on_shift, e) == -1)
		return -1;
	name = text_of(rec, "name", &nlen);
	skills = text_of(rec, "skills", &slen);
	if (crm_audit_begin(r->audit, e) == -1 ||
	    crm_desk_agent_put(r->desk, id, idlen, name, nlen, skills, slen,
		capacity, (int)on_shift, e) == -1 ||
	    (load = crm_desk_agent_load(r->desk, id, idlen, e)) < 0)
		return CRM_ROUTER_FATAL;
	snprintf(num, sizeof(num), "%ld", load);
	if (crm_rec_put(rec, "load", num, strlen(num), CRM_NUMBER) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_router_record(struct crm_router *r, struct crm_rec *rec,
    enum crm_format fmt,
    int (*emit)(void *, const struct crm_rec *, struct crm_err *), void *arg,
    struct crm_err *e)
{
	switch (r->o->verb) {
	case CRM_ROUTER_AGENTS:
		return agent_record(r, rec, e);
	case CRM_ROUTER_CLOSE:
	case CRM_ROUTER_UPDATE:
		return crm_router_hold(r, rec, e);
	default:
		return crm_router_ticket(r, rec, fmt, emit, arg, e);
	}
}

void
crm_router_idle(struct crm_router *r)
{
	/* update, close: what came before the pause, in time order */
	if (r->nheld > 0 && r->idle_err.code == 0 &&
	    crm_router_apply(r, &r->idle_err) == -1 && r->idle_err.code == 0)
		r->idle_err.code = EX_SOFTWARE;
	crm_audit_idle(r->audit);
}

int
crm_router_finish(struct crm_router *r, struct crm_err *e)
{
	switch (r->o->verb) {
	case CRM_ROUTER_ROUTE:
		return 0;
	case CRM_ROUTER_CLOSE:
	case CRM_ROUTER_UPDATE:
		if (r->idle_err.code != 0) {
			*e = r->idle_err;
			return -1;
		}
		if (crm_router_apply(r, e) == -1)
			return -1;
		break;
	case CRM_ROUTER_SWEEP:
		return crm_router_sweep(r, e);
	default:
		break;
	}
	/* closed tickets and new agents make room for waiting tickets */
	return crm_router_drain(r, e);
}

int
crm_router_close(struct crm_router *r, struct crm_err *e)
{
	struct crm_audit *a = r->audit;
	int rc;

	r->audit = NULL;
	rc = crm_audit_close(a, e);
	if (r->notify != NULL && crm_notify_close(r->notify, e) == -1)
		rc = -1;
	return rc;
}

void
crm_router_counts(const struct crm_router *r, struct crm_router_counts *c)
{
	*c = r->n;
	c->slots = r->kb != NULL && crm_kb_slots(r->kb);
	if (r->notify != NULL)
		crm_notify_counts(r->notify, &c->notes);
}

/* ==== As a filter ==== */

static int
ops_check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_router_check_header(arg, hdr, e);
}

static int
ops_out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_router_out_header(arg, hdr, e);
}

static int
ops_emit(void *arg, const struct crm_rec *rec, struct crm_err *e)
{
	return crm_filter_emit(((struct crm_router *)arg)->f, rec, e);
}

static int
ops_record(void *arg, struct crm_rec *rec, int *drop, struct crm_err *e)
{
	struct crm_router *r = arg;
	int rc;

	rc = crm_router_record(r, rec, crm_filter_format(r->f), ops_emit, r, e);
	if (rc == CRM_ROUTER_FATAL)
		return CRM_FILTER_FATAL;
	if (rc == 1)
		*drop = 1;
	return rc < 0 ? -1 : 0;
}

static void
ops_idle(void *arg)
{
	crm_router_idle(arg);
}

static int
ops_finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	(void)f;
	return crm_router_finish(arg, e);
}

/*
 * The ticket fields an option renamed: a ticket may lack any of them (a
 * fact not known), but a name given on the command line that no input
 * has is a typo, found at the header.
 */
static int
ops_needs(void *arg, struct crm_filter *f)
{
	struct crm_router *r = arg;
	const struct crm_router_opts *o = r->o;
	size_t n = r->alone ? crm_rules_nnames(r->alone) : 0, u;
	const char *name;
	char **v, where[512];
	const struct {
		const char *name, *def, *opt;
	} fv[] = {
		{ o->time_field, "created", "--time-field" },
		{ o->id_field, "id", "--id-field" },
		{ o->customer_field, "customer_id", "--customer-field" },
		{ o->text_field, "text", "--text-field" },
		{ o->intent_field, "intent", "--intent-field" },
		{ o->sentiment_field, "sentiment", "--sentiment-field" },
	};
	size_t i;

	if (o->verb != CRM_ROUTER_ROUTE)
		return 0;
	for (i = 0; i < sizeof(fv) / sizeof(fv[0]); i++)
		if (strcmp(fv[i].name, fv[i].def) != 0 &&
		    crm_filter_need(f, fv[i].name, fv[i].opt, 0) == -1)
			return -1;
	/* Every field a rule reads that the store cannot give. */
	if ((v = crm_reallocarray(NULL, n ? n : 1, sizeof(*v))) == NULL)
		return -1;
	r->nopt = v;
	for (i = 0; i < n; i++) {
		name = crm_rules_name(r->alone, i);
		if (r->desk != NULL && crm_desk_customer_field(r->desk, name))
			continue;
		u = crm_rules_name_user(r->alone, i);
		snprintf(where, sizeof(where), "rule %s:%lu",
		    crm_rules_file(r->alone, u), crm_rules_line(r->alone, u));
		if ((r->nopt[r->nnopt] = strdup(where)) == NULL)
			return -1;
		if (crm_filter_need(
			f, name, r->nopt[r->nnopt++], CRM_NEED_EVERY) == -1)
			return -1;
	}
	return 0;
}

const struct crm_filter_ops *
crm_router_ops(void)
{
	static const struct crm_filter_ops ops = { ops_check_header,
		ops_out_header, ops_record, ops_idle, ops_finish, ops_needs };

	return &ops;
}

void
crm_router_bind(struct crm_router *r, struct crm_filter *f)
{
	r->f = f;
}
