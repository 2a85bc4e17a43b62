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
#include "filter.h"
#include "norm.h"
#include "opt.h"
#include "rec.h"
#include "router.h"

static const char synopsis[] =
    "usage: crm-route [-q] [--rules FILE] [--all-matches] [--kb FILE]\n"
    "                 [--db FILE] [--queues LIST] [--sla LIST] [--now TIME]\n"
    "                 [--urgency LIST] [--no-escalate] [common options]\n"
    "                 [file ...]\n"
    "       crm-route agents --db FILE [common options] [file ...]\n"
    "       crm-route close --db FILE [common options] [file ...]\n";

enum verb { V_ROUTE, V_AGENTS, V_CLOSE }; /* in the order of verbs[] */
static const char *const verbs[] = { "agents", "close", NULL };

enum {
	OPT_ALL = CRM_OPT_OWN,
	OPT_BURST,
	OPT_CUSTOMER_FIELD,
	OPT_DEFAULT_QUEUE,
	OPT_ESCALATE_CONF,
	OPT_ID_FIELD,
	OPT_INTENT_FIELD,
	OPT_KB,
	OPT_NO_ESCALATE,
	OPT_NOW,
	OPT_QUEUES,
	OPT_REPLY_CONF,
	OPT_RULES,
	OPT_SENIOR_QUEUE,
	OPT_SENTIMENT_FIELD,
	OPT_SHORT,
	OPT_SLA,
	OPT_TEXT_FIELD,
	OPT_TIME_FIELD,
	OPT_URGENCY,
	OPT_VIP
};

static const struct crm_optdef options[] = {
	{ "all-matches", OPT_ALL, NULL,
	    "every matching rule: one subtask per queue" },
	{ "burst", OPT_BURST, "N/DURATION",
	    "escalate the Nth short message of a customer\nwithin DURATION "
	    "(3/5m)" },
	{ "customer-field", OPT_CUSTOMER_FIELD, "F",
	    "the customer's id (customer_id)" },
	{ "db", CRM_OPT_DB, "FILE",
	    "the store: customers, agents, tickets, audit\n($CRM_DB)" },
	{ "default-queue", OPT_DEFAULT_QUEUE, "NAME",
	    "the queue when no rule gives one (general)" },
	{ "escalate-confidence", OPT_ESCALATE_CONF, "P",
	    "escalate negative sentiment scored P or more\n(0.9)" },
	{ "id-field", OPT_ID_FIELD, "F", "the ticket's id (id)" },
	{ "intent-field", OPT_INTENT_FIELD, "F",
	    "the intent, and F_score its score (intent)" },
	{ "kb", OPT_KB, "FILE", "answers: intent, answer, lang (zh, en)" },
	{ "no-escalate", OPT_NO_ESCALATE, NULL, "no escalation" },
	{ "now", OPT_NOW, "TIME", "the time to route at (the clock)" },
	{ "queues", OPT_QUEUES, "LIST",
	    "the queues rules may name (with --db: the\nagents' skills too)" },
	{ "reply-confidence", OPT_REPLY_CONF, "P",
	    "answer from the knowledge base when the intent\nis scored P or "
	    "more (0.8)" },
	{ "rules", OPT_RULES, "FILE",
	    "routing rules: 'SQL expression -> settings'" },
	{ "senior-queue", OPT_SENIOR_QUEUE, "NAME",
	    "the queue of escalated tickets (senior)" },
	{ "sentiment-field", OPT_SENTIMENT_FIELD, "F",
	    "the sentiment, and F_score its score\n(sentiment)" },
	{ "short", OPT_SHORT, "N",
	    "a short message has at most N characters (200)" },
	{ "sla", OPT_SLA, "LIST",
	    "due times by priority\n"
	    "(P1=1h,P2=4h,P3=24h,P4=72h)" },
	{ "text-field", OPT_TEXT_FIELD, "F", "the message (text)" },
	{ "time-field", OPT_TIME_FIELD, "F",
	    "when the ticket was written (created)" },
	{ "urgency", OPT_URGENCY, "LIST", "points of intents: INTENT=N,..." },
	{ "vip", OPT_VIP, "TIER", "the tier of VIP customers (vip)" },
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Give each ticket a priority, queue, SLA due time and agent, or an\n"
	"answer from the knowledge base; `agents' loads the agents, `close'\n"
	"closes tickets and hands waiting ones to the agents freed.\n",
	"Exit status: 0 ok, 64 usage, 65 bad rules or records rejected, 66\n"
	"missing input, 69 store schema too new, 70 internal error, 73 cannot\n"
	"create output, 74 I/O error, 75 store busy.  See crm-route(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

struct opts {
	struct crm_router_opts r;
	const char **rules; /* --rules files */
	struct crm_common c;
};

/* ==== Options ==== */

/* A lib parser's verdict on an option's value: a usage error or none. */
static void
opt_ok(int rc, const struct crm_err *e)
{
	if (rc == -1 && e->code == EX_USAGE)
		crm_usage_error(synopsis, "%s", e->msg);
	if (rc == -1)
		crm_die(e->code, "%s", e->msg);
}

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
	opt_ok(crm_router_opts_init(ro, (enum crm_router_verb)verb, &e), &e);
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_ALL:
			ro->all = 1;
			break;
		case OPT_BURST:
			opt_ok(crm_router_opt_burst(ro, arg, &e), &e);
			break;
		case OPT_CUSTOMER_FIELD:
			ro->customer_field = arg;
			break;
		case OPT_DEFAULT_QUEUE:
			opt_ok(crm_router_opt_queue("--default-queue", arg, &e),
			    &e);
			ro->default_queue = arg;
			break;
		case OPT_ESCALATE_CONF:
			ro->escalate_conf =
			    opt_double("--escalate-confidence", arg, 0, 1);
			break;
		case OPT_ID_FIELD:
			ro->id_field = arg;
			break;
		case OPT_INTENT_FIELD:
			ro->intent_field = arg;
			break;
		case OPT_KB:
			ro->kb = arg;
			break;
		case OPT_NO_ESCALATE:
			ro->no_escalate = 1;
			break;
		case OPT_NOW:
			if (crm_norm_seconds(
				arg, strlen(arg), &ro->now, &why) == -1)
				crm_usage_error(
				    synopsis, "bad --now '%s': %s", arg, why);
			break;
		case OPT_QUEUES:
			ro->queues = arg;
			break;
		case OPT_REPLY_CONF:
			ro->reply_conf =
			    opt_double("--reply-confidence", arg, 0, 1);
			break;
		case OPT_RULES:
			crm_opt_push(&o->rules, &ro->nrules, arg);
			break;
		case OPT_SENIOR_QUEUE:
			opt_ok(crm_router_opt_queue("--senior-queue", arg, &e),
			    &e);
			ro->senior_queue = arg;
			break;
		case OPT_SENTIMENT_FIELD:
			ro->sentiment_field = arg;
			break;
		case OPT_SHORT:
			ro->short_chars =
			    crm_opt_long(synopsis, "--short", arg, 0, 1000000);
			break;
		case OPT_SLA:
			opt_ok(crm_router_opt_sla(ro, arg, &e), &e);
			break;
		case OPT_TEXT_FIELD:
			ro->text_field = arg;
			break;
		case OPT_TIME_FIELD:
			ro->time_field = arg;
			break;
		case OPT_URGENCY:
			opt_ok(crm_router_opt_urgency(ro, arg, &e), &e);
			break;
		case OPT_VIP:
			ro->vip = arg;
			break;
		}
	}
	ro->rules = o->rules;
	ro->db = o->c.db;
	ro->busy_ms = o->c.busy_ms;
	if (verb != V_ROUTE && ro->db == NULL)
		crm_usage_error(synopsis, "%s needs --db", verbs[verb - 1]);
	if (verb != V_ROUTE && (ro->nrules > 0 || ro->kb != NULL || ro->all))
		crm_usage_error(synopsis, "--rules, --kb and --all-matches are "
					  "for routing");
}

/* ==== The filter ==== */

struct run {
	struct crm_router *r;
	struct crm_filter *f;
};

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_router_check_header(((struct run *)arg)->r, hdr, e);
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_router_out_header(((struct run *)arg)->r, hdr, e);
}

static int
emit(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(((struct run *)arg)->f, r, e);
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	int rc;

	rc = crm_router_record(
	    run->r, r, crm_filter_format(run->f), emit, run, e);
	if (rc == CRM_ROUTER_FATAL)
		return CRM_FILTER_FATAL;
	if (rc == 1)
		*drop = 1;
	return rc < 0 ? -1 : 0;
}

static void
idle(void *arg)
{
	crm_router_idle(((struct run *)arg)->r);
}

static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	(void)f;
	return crm_router_finish(((struct run *)arg)->r, e);
}

static void
summary(const struct run *run, enum verb verb)
{
	unsigned long long nread, nwritten, nrejected;
	struct crm_router_counts c;

	crm_filter_counts(run->f, &nread, &nwritten, &nrejected);
	crm_router_counts(run->r, &c);
	switch (verb) {
	case V_AGENTS:
		crm_warnx("read %llu, agents %llu, rejected %llu; waiting "
			  "tickets assigned %llu",
		    nread, nwritten, nrejected, c.drained);
		break;
	case V_CLOSE:
		crm_warnx("read %llu, closed %llu, rejected %llu; waiting "
			  "tickets assigned %llu",
		    nread, c.closed, nrejected, c.drained);
		break;
	default:
		crm_warnx("read %llu, written %llu, rejected %llu; answered "
			  "%llu, escalated %llu, split %llu",
		    nread, nwritten, nrejected, c.answered, c.escalated,
		    c.split);
		if (c.store)
			crm_warnx("assigned %llu, waiting %llu", c.assigned,
			    c.waiting);
	}
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, idle, finish };
	enum verb verb;
	struct opts o;
	struct run run;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-route");
	verb = (enum verb)crm_cli_verb(&argc, argv, verbs);
	parse_opts(argc, argv, verb, &o);
	argc -= optind;
	argv += optind;
	memset(&run, 0, sizeof(run));
	if ((run.r = crm_router_new(&o.r, &e)) == NULL) {
		if (e.code == EX_USAGE)
			crm_usage_error(synopsis, "%s", e.msg);
		crm_report(&e);
		exit(e.code);
	}
	if (verb == V_CLOSE)
		o.c.fo.no_output = 1;
	if ((run.f = crm_filter_new(&o.c.fo, &ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = crm_filter_run(run.f, argc, argv);
	if (crm_router_close(run.r, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	if (!o.c.quiet)
		summary(&run, verb);
	rc = crm_filter_finish(run.f, rc);
	crm_filter_free(run.f);
	crm_router_free(run.r);
	crm_router_opts_release(&o.r);
	free(o.rules);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
