/*
 * crm-route: give each ticket a priority, a queue, a due time by its SLA
 * and an agent, or an answer from the knowledge base; rules written as
 * SQL expressions say what goes where.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clock.h"
#include "filter.h"
#include "opt.h"
#include "rec.h"
#include "router.h"

static const char synopsis[] =
    "usage: crm-route [-q] [--rules FILE] [--all-matches] [--kb FILE]\n"
    "                 [--by person|record] [--db FILE] [--queues LIST]\n"
    "                 [--sla LIST] [--as-of TIME]\n"
    "                 [--urgency LIST] [--no-escalate]\n"
    "                 [--review FILE [--act-on-review]] [common options]\n"
    "                 [file ...]\n"
    "       crm-route agents --db FILE [common options] [file ...]\n"
    "       crm-route close --db FILE [common options] [file ...]\n";

enum verb { V_ROUTE, V_AGENTS, V_CLOSE }; /* in the order of verbs[] */
static const char *const verbs[] = { "agents", "close", NULL };

enum {
	OPT_BURST = CRM_OPT_OWN,
	OPT_BY,
	OPT_DEFAULT_QUEUE,
	OPT_ESCALATE_CONF,
	OPT_NOW,
	OPT_REPLY_CONF,
	OPT_RULES,
	OPT_SENIOR_QUEUE,
	OPT_SLA,
	OPT_URGENCY
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
	CRM_OPT_FLAG("no-escalate", 0, "no escalation", &opts.r.no_escalate),
	CRM_OPT("now", OPT_NOW, "TIME", NULL), /* the old name of --as-of */
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
	CRM_OPT_LONG("short", "N",
	    "a short message has at most N characters (200)",
	    &opts.r.short_chars, 0, 1000000),
	CRM_OPT("sla", OPT_SLA, "LIST",
	    "due times by priority\n(P1=1h,P2=4h,P3=24h,P4=72h)"),
	CRM_OPT_STR(
	    "text-field", "F", "the message (text)", &opts.r.text_field),
	CRM_OPT_STR("time-field", "F", "when the ticket was written (created)",
	    &opts.r.time_field),
	CRM_OPT(
	    "urgency", OPT_URGENCY, "LIST", "points of intents: INTENT=N,..."),
	CRM_OPT_STR(
	    "vip", "TIER", "the tier of VIP customers (vip)", &opts.r.vip),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Give each ticket a priority, queue, SLA due time and agent, or an\n"
	"answer from the knowledge base; `agents' loads the agents, `close'\n"
	"closes tickets and hands waiting ones to the agents freed.\n",
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

static double
opt_double(const char *opt, const char *arg, double min, double max)
{
	double v;

	if (crm_parse_double(arg, min, max, &v) == -1)
		crm_usage_error(synopsis,
		    "bad %s '%s': want a number from %g "
		    "to %g",
		    opt, arg, min, max);
	return v;
}

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
			ro->escalate_conf =
			    opt_double("--escalate-confidence", arg, 0, 1);
			break;
		case OPT_NOW:
			if (crm_clock_set(arg, &why) == -1)
				crm_usage_error(synopsis,
				    "bad --now '%s': %s; %s", arg, why,
				    CRM_CLOCK_WANT);
			break;
		case OPT_REPLY_CONF:
			ro->reply_conf =
			    opt_double("--reply-confidence", arg, 0, 1);
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
	if (ro->act_on_review && ro->review == NULL)
		crm_usage_error(synopsis, "--act-on-review is for --review");
	if (o->c.as_of != NULL) {
		crm_clock_day(o->as_of_day);
		ro->as_of = o->as_of_day;
	}
}

/* ==== The filter ==== */

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
		crm_cli_count("waiting tickets assigned", c.drained);
		break;
	default:
		crm_cli_count("answered", c.answered);
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
		}
	}
	crm_cli_summary(f);
}

int
main(int argc, char **argv)
{
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
	crm_cli_operands(&cmd, 0, &argc, &argv);
	crm_err_clear(&e);
	if ((r = crm_router_new(&o->r, &e)) == NULL)
		crm_cli_fail(synopsis, &e);
	if (verb == V_CLOSE)
		o->c.fo.no_output = 1;
	f = crm_cli_filter(&o->c, crm_router_ops(), r, NULL);
	crm_router_bind(r, f);
	rc = crm_filter_run(f, argc, argv);
	rc = crm_cli_closed(rc, crm_router_close(r, &e), &e);
	summary(f, r, verb);
	rc = crm_cli_end(f, rc);
	crm_router_free(r);
	crm_router_opts_release(&o->r);
	free(o->rules);
	return rc;
}
