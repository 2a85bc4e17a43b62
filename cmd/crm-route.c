/*
 * crm-route: give each ticket a priority, a queue, a due time by its SLA
 * and an agent, or an answer from the knowledge base; rules written as
 * SQL expressions say what goes where.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "calendar.h"
#include "cli.h"
#include "clock.h"
#include "filter.h"
#include "opt.h"
#include "rec.h"
#include "route.h"
#include "router.h"

static const char synopsis[] =
    "usage: crm-route [-q] [--rules FILE] [--all-matches] [--kb FILE]\n"
    "                 [--by person|record] [--db FILE] [--queues LIST]\n"
    "                 [--sla LIST] [--as-of TIME]\n"
    "                 [--urgency LIST] [--no-escalate]\n"
    "                 [--review FILE [--act-on-review]] [--calendar FILE]\n"
    "                 [notification options] [common options] [file ...]\n"
    "       crm-route agents --db FILE [common options] [file ...]\n"
    "       crm-route update|close --db FILE [--calendar FILE]\n"
    "                 [notification options] [common options] [file ...]\n"
    "       crm-route sweep --db FILE [--as-of TIME] [--warn DURATION]\n"
    "                 [--calendar FILE] [notification options] [common "
    "options]\n"
    "       crm-route stats --db FILE [--since TIME] [--until TIME] "
    "[--json]\n"
    "  Notification options: [--notify FILE] [--notify-purpose WORD]\n"
    "                 [--quiet-hours HH:MM-HH:MM] [--tz ZONE]\n";

/* in the order of verbs[] */
enum verb { V_ROUTE, V_AGENTS, V_CLOSE, V_UPDATE, V_SWEEP, V_STATS };
static const char *const verbs[] = { "agents", "close", "update", "sweep",
	"stats", NULL };

enum {
	OPT_BURST = CRM_OPT_OWN,
	OPT_BY,
	OPT_CALENDAR,
	OPT_DEFAULT_QUEUE,
	OPT_ESCALATE_CONF,
	OPT_NOW,
	OPT_QUIET_HOURS,
	OPT_REPLY_CONF,
	OPT_RULES,
	OPT_SENIOR_QUEUE,
	OPT_SLA,
	OPT_TZ,
	OPT_URGENCY,
	OPT_WARN
};

struct opts {
	struct crm_router_opts r;
	const char **rules; /* --rules files */
	char as_of_day[11]; /* --as-of's day, for --review's features */
	struct crm_common c;
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT_FLAG("act-on-review", 0,
	    "answer a ticket a review rule matched (still\nmarked)",
	    &opts.r.act_on_review),
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the time to route at, stamped on tickets and\nagents: YYYY-MM-DD "
	    "or "
	    "an ISO 8601 time (the\nclock)"),
	CRM_OPT_FLAG("all-matches", 0,
	    "every matching rule: one subtask per queue", &opts.r.all),
	CRM_OPT("burst", OPT_BURST, "N/DURATION",
	    "escalate the Nth short message of a customer\nwithin DURATION "
	    "(3/5m)"),
	CRM_BY_OPT(OPT_BY),
	CRM_OPT("calendar", OPT_CALENDAR, "FILE",
	    "business hours the SLA clock counts (every\nhour)"),
	CRM_OPT_STR("customer-field", "F", "the customer's id (customer_id)",
	    &opts.r.customer_field),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: customers, agents, tickets, audit\n($CRM_DB)"),
	CRM_OPT("default-queue", OPT_DEFAULT_QUEUE, "NAME",
	    "the queue when no rule gives one (general)"),
	CRM_OPT("escalate-confidence", OPT_ESCALATE_CONF, "P",
	    "escalate negative sentiment scored P or more\n(0.9)"),
	CRM_OPT_STR("id-field", "F", "the ticket's id (id)", &opts.r.id_field),
	CRM_OPT_STR("intent-field", "F",
	    "the intent, and F_score its score (intent)", &opts.r.intent_field),
	CRM_OPT_STR(
	    "kb", "FILE", "answers: intent, answer, lang (zh, en)", &opts.r.kb),
	CRM_OPT_FLAG("json", 0, "stats: the figures as JSON", &opts.r.json),
	CRM_OPT_FLAG("no-escalate", 0, "no escalation", &opts.r.no_escalate),
	CRM_OPT_STR("notify", "FILE",
	    "append the customer's notifications to FILE\n(JSONL)",
	    &opts.r.notify.out),
	CRM_OPT_STR("notify-purpose", "WORD",
	    "the consent notifications need\n(ticket_updates)",
	    &opts.r.notify.purpose),
	CRM_OPT("now", OPT_NOW, "TIME", NULL), /* the old name of --as-of */
	CRM_OPT("quiet-hours", OPT_QUIET_HOURS, "HH:MM-HH:MM",
	    "no notification sent then, in the customer's\ntime zone"),
	CRM_OPT_STR("queues", "LIST",
	    "the queues rules may name (with --db: the\nagents' skills too)",
	    &opts.r.queues),
	CRM_OPT("reply-confidence", OPT_REPLY_CONF, "P",
	    "answer from the knowledge base when the intent\nis scored P or "
	    "more (0.8)"),
	CRM_OPT_STR("review", "FILE",
	    "review rules 'NAME: SQL expression': a match\nsets needs_review "
	    "and sends no answer",
	    &opts.r.review),
	CRM_OPT("rules", OPT_RULES, "FILE",
	    "routing rules: 'SQL expression -> settings'"),
	CRM_OPT("senior-queue", OPT_SENIOR_QUEUE, "NAME",
	    "the queue of escalated tickets (senior)"),
	CRM_OPT_STR("sentiment-field", "F",
	    "the sentiment, and F_score its score\n(sentiment)",
	    &opts.r.sentiment_field),
	CRM_OPT_STR("since", "TIME", "stats: the tickets made from TIME",
	    &opts.r.since),
	CRM_OPT_LONG("short", "N",
	    "a short message has at most N characters (200)",
	    &opts.r.short_chars, 0, 1000000),
	CRM_OPT("sla", OPT_SLA, "LIST",
	    "due times by priority\n(P1=1h,P2=4h,P3=24h,P4=72h)"),
	CRM_OPT_STR(
	    "text-field", "F", "the message (text)", &opts.r.text_field),
	CRM_OPT_STR("time-field", "F",
	    "when the ticket was written (created), or the\nchange made "
	    "(time)",
	    &opts.r.time_field),
	CRM_OPT(
	    "tz", OPT_TZ, "ZONE", "the time zone of customers with none (UTC)"),
	CRM_OPT_STR("until", "TIME",
	    "stats: the tickets made before TIME (--as-of)", &opts.r.until),
	CRM_OPT(
	    "urgency", OPT_URGENCY, "LIST", "points of intents: INTENT=N,..."),
	CRM_OPT_STR(
	    "vip", "TIER", "the tier of VIP customers (vip)", &opts.r.vip),
	CRM_OPT("warn", OPT_WARN, "DURATION",
	    "sweep: raise tickets due within DURATION (30m)"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Give each ticket a priority, queue, SLA due time and agent, or an\n"
	"answer from the knowledge base; `agents' loads the agents, `update'\n"
	"and `close' change tickets' states, `sweep' escalates tickets near\n"
	"or past their SLA and hands waiting ones to agents with room, "
	"`stats'\nprints the handling-time figures.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records rejected "
	"or\n"
	"bad rules, 66 nothing done from some input (not opened, header "
	"refused,\n"
	"every record rejected), 69 store schema too new, 70 internal error, "
	"73\n"
	"cannot create output, 74 I/O error, 75 store busy.  See "
	"crm-route(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

/* ==== Options ==== */

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	struct crm_router_opts *ro = &o->r;
	struct crm_err e;
	const char *why, *arg;
	int c;

	memset(o, 0, sizeof(*o));
	crm_err_clear(&e);
	crm_common_init(&o->c);
	crm_cli_check(synopsis,
	    crm_router_opts_init(ro, (enum crm_router_verb)verb, &e), &e);
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_BY:
			ro->by = (enum crm_by)crm_parse_by(synopsis, arg);
			break;
		case OPT_CALENDAR:
			ro->calendar = arg;
			break;
		case OPT_QUIET_HOURS:
			if (crm_quiet_parse(arg, &ro->notify.quiet_from,
				&ro->notify.quiet_to) == -1)
				crm_usage_error(synopsis,
				    "bad --quiet-hours '%s': want HH:MM-HH:MM, "
				    "such as 21:00-08:00",
				    arg);
			break;
		case OPT_TZ:
			if (!crm_tz_ok(arg))
				crm_usage_error(synopsis,
				    "bad --tz '%s': not a time zone of the tz "
				    "database (such as Asia/Shanghai)",
				    arg);
			ro->notify.tz = arg;
			break;
		case OPT_WARN:
			if (crm_route_duration(arg, strlen(arg), &ro->warn) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --warn '%s': want a duration such as "
				    "90s, 30m, 4h, 2d",
				    arg);
			break;
		case OPT_BURST:
			crm_cli_check(
			    synopsis, crm_router_opt_burst(ro, arg, &e), &e);
			break;
		case OPT_DEFAULT_QUEUE:
			crm_cli_check(synopsis,
			    crm_router_opt_queue("--default-queue", arg, &e),
			    &e);
			ro->default_queue = arg;
			break;
		case OPT_ESCALATE_CONF:
			ro->escalate_conf = crm_opt_double(synopsis,
			    "--escalate-confidence", arg, 0, 1,
			    "a number from 0 to 1");
			break;
		case OPT_NOW:
			if (crm_clock_set(arg, &why) == -1)
				crm_usage_error(synopsis,
				    "bad --now '%s': %s; %s", arg, why,
				    CRM_CLOCK_WANT);
			break;
		case OPT_REPLY_CONF:
			ro->reply_conf = crm_opt_double(synopsis,
			    "--reply-confidence", arg, 0, 1,
			    "a number from 0 to 1");
			break;
		case OPT_RULES:
			crm_opt_push(&o->rules, &ro->nrules, arg);
			break;
		case OPT_SENIOR_QUEUE:
			crm_cli_check(synopsis,
			    crm_router_opt_queue("--senior-queue", arg, &e),
			    &e);
			ro->senior_queue = arg;
			break;
		case OPT_SLA:
			crm_cli_check(
			    synopsis, crm_router_opt_sla(ro, arg, &e), &e);
			break;
		case OPT_URGENCY:
			crm_cli_check(
			    synopsis, crm_router_opt_urgency(ro, arg, &e), &e);
			break;
		}
	}
	ro->now = crm_clock_now();
	ro->rules = o->rules;
	ro->db = o->c.db;
	ro->busy_ms = o->c.busy_ms;
	if (verb != V_ROUTE && ro->db == NULL)
		crm_usage_error(synopsis, "%s needs --db", verbs[verb - 1]);
	/* without a store there are no customer facts to read per person */
	if (ro->by != CRM_BY_AUTO && ro->db == NULL)
		crm_usage_error(synopsis, "--by needs --db");
	if (verb != V_ROUTE &&
	    (ro->nrules > 0 || ro->kb != NULL || ro->all || ro->review != NULL))
		crm_usage_error(synopsis, "--rules, --kb, --all-matches and "
					  "--review are for routing");
	if (verb != V_STATS &&
	    (ro->json || ro->since != NULL || ro->until != NULL))
		crm_usage_error(synopsis, "--json, --since and --until are for "
					  "stats");
	if (verb != V_SWEEP && ro->warn != 1800)
		crm_usage_error(synopsis, "--warn is for sweep");
	if (ro->act_on_review && ro->review == NULL)
		crm_usage_error(synopsis, "--act-on-review is for --review");
	if (o->c.as_of != NULL) {
		crm_clock_day(o->as_of_day);
		ro->as_of = o->as_of_day;
	}
}

/* ==== The filter ==== */

/* The notifications made: sent now, deferred, suppressed. */
static void
notes(const struct crm_router_counts *c)
{
	crm_cli_count("notifications", c->notes.queued);
	crm_cli_count("deferred", c->notes.deferred);
	crm_cli_count("suppressed", c->notes.suppressed);
}

static void
summary(const struct crm_filter *f, const struct crm_router *r, enum verb verb)
{
	const struct opts *o = &opts;
	struct crm_router_counts c;

	crm_router_counts(r, &c);
	switch (verb) {
	case V_AGENTS:
		crm_cli_count("waiting tickets assigned", c.drained);
		break;
	case V_CLOSE:
		crm_cli_count("closed", c.closed);
		crm_cli_count("done before", c.again);
		crm_cli_count("waiting tickets assigned", c.drained);
		notes(&c);
		break;
	case V_UPDATE:
		crm_cli_count("changed", c.changed);
		crm_cli_count("done before", c.again);
		crm_cli_count("waiting tickets assigned", c.drained);
		notes(&c);
		break;
	case V_SWEEP:
		crm_cli_count("escalated", c.breached);
		crm_cli_count("raised", c.raised);
		crm_cli_count("offered", c.offered);
		crm_cli_count("waiting tickets assigned", c.drained);
		notes(&c);
		crm_cli_count("released", c.notes.released);
		break;
	default:
		crm_cli_count("answered", c.answered);
		if (c.slots)
			crm_cli_count("answers unfilled", c.unfilled);
		crm_cli_count("escalated", c.escalated);
		crm_cli_count("split", c.split);
		if (o->r.review != NULL) {
			crm_cli_count("needs review", c.reviewed);
			if (!o->r.act_on_review)
				crm_cli_count("answers held", c.held);
		}
		if (c.store) {
			crm_cli_count("assigned", c.assigned);
			crm_cli_count("waiting", c.waiting);
			notes(&c);
		}
	}
	crm_cli_summary(f);
}

/* The sweep's input: none; it works in the finish step. */
static int
no_record(void *arg, struct crm_rec *rec, struct crm_err *e)
{
	(void)arg;
	(void)rec;
	(void)e;
	return 0;
}

static int
stats(struct opts *o)
{
	struct crm_buf out;
	struct crm_err e;

	crm_err_clear(&e);
	crm_buf_init(&out);
	if (crm_router_stats(&o->r, &out, &e) == -1) {
		crm_buf_release(&out);
		if (e.code == EX_USAGE)
			crm_usage_error(synopsis, "%s", e.msg);
		crm_report(&e);
		return e.code;
	}
	fwrite(out.p, 1, out.len, stdout);
	crm_buf_release(&out);
	crm_router_opts_release(&o->r);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
}

int
main(int argc, char **argv)
{
	struct crm_source nothing = { "sweep", CRM_FMT_JSONL, no_record, NULL,
		NULL };
	enum verb verb;
	struct opts *o = &opts;
	struct crm_router *r;
	struct crm_filter *f;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-route");
	verb = (enum verb)crm_cli_verb(
	    &argc, argv, verbs, "routing is the default", synopsis);
	parse_opts(argc, argv, verb, o);
	/* sweep and stats read the store, no input */
	crm_cli_operands(
	    &cmd, verb == V_SWEEP || verb == V_STATS, &argc, &argv);
	crm_err_clear(&e);
	if (verb == V_STATS)
		return stats(o);
	if ((r = crm_router_new(&o->r, &e)) == NULL)
		crm_cli_fail(synopsis, &e);
	if (verb == V_CLOSE)
		o->c.fo.no_output = 1;
	if (verb == V_SWEEP && o->c.fo.out_fmt == CRM_FMT_AUTO)
		o->c.fo.out_fmt = CRM_FMT_JSONL;
	f = crm_cli_filter(&o->c, crm_router_ops(), r, NULL);
	crm_router_bind(r, f);
	rc = verb == V_SWEEP ? crm_filter_run_source(f, &nothing)
			     : crm_filter_run(f, argc, argv);
	rc = crm_cli_closed(rc, crm_router_close(r, &e), &e);
	summary(f, r, verb);
	rc = crm_cli_end(f, rc);
	crm_router_free(r);
	crm_router_opts_release(&o->r);
	free(o->rules);
	return rc;
}
