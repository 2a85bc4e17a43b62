/*
 * crm-route: give each ticket a priority, a queue, a due time by its SLA
 * and an agent, or an answer from the knowledge base; rules written as
 * SQL expressions say what goes where.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "desk.h"
#include "filter.h"
#include "norm.h"
#include "rec.h"
#include "route.h"
#include "rules.h"
#include "store.h"
#include "strmap.h"

static const char synopsis[] =
    "usage: crm-route [-q] [--rules FILE] [--all-matches] [--kb FILE]\n"
    "                 [--db FILE] [--queues LIST] [--sla LIST] [--now TIME]\n"
    "                 [--urgency LIST] [--no-escalate] [common options]\n"
    "                 [file ...]\n"
    "       crm-route agents --db FILE [common options] [file ...]\n"
    "       crm-route close --db FILE [common options] [file ...]\n";

static const char help[] =
    "Give each ticket a priority, queue, SLA due time and agent, or an\n"
    "answer from the knowledge base; `agents' loads the agents, `close'\n"
    "closes tickets and hands waiting ones to the agents freed.\n"
    "\n"
    "  --all-matches          every matching rule: one subtask per queue\n"
    "  --burst N/DURATION     escalate the Nth short message of a customer\n"
    "                         within DURATION (3/5m)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --customer-field F     the customer's id (customer_id)\n"
    "  --db FILE              the store: customers, agents, tickets, "
    "audit\n"
    "                         ($CRM_DB)\n"
    "  --default-queue NAME   the queue when no rule gives one (general)\n"
    "  --escalate-confidence P  escalate negative sentiment scored P or\n"
    "                         more (0.9)\n"
    "  --id-field F           the ticket's id (id)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --intent-field F       the intent, and F_score its score (intent)\n"
    "  --kb FILE              answers: intent, answer, lang (zh, en)\n"
    "  --max-errors N         stop after more than N rejected records\n"
    "  --no-escalate          no escalation\n"
    "  --now TIME             the time to route at (the clock)\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary on stderr\n"
    "  --queues LIST          the queues rules may name (with --db: the\n"
    "                         agents' skills too)\n"
    "  --rejects FILE         write rejected records there as CSV\n"
    "  --reply-confidence P   answer from the knowledge base when the "
    "intent\n"
    "                         is scored P or more (0.8)\n"
    "  --rules FILE           routing rules: 'SQL expression -> settings'\n"
    "  --senior-queue NAME    the queue of escalated tickets (senior)\n"
    "  --sentiment-field F    the sentiment, and F_score its score "
    "(sentiment)\n"
    "  --short N              a short message has at most N characters "
    "(200)\n"
    "  --sla LIST             due times by priority "
    "(P1=1h,P2=4h,P3=24h,P4=72h)\n"
    "  --text-field F         the message (text)\n"
    "  --time-field F         when the ticket was written (created)\n"
    "  --urgency LIST         points of intents: INTENT=N,...\n"
    "  --vip TIER             the tier of VIP customers (vip)\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-route and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad rules or records rejected, 66\n"
    "missing input, 69 store schema too new, 70 internal error, 73 cannot\n"
    "create output, 74 I/O error, 75 store busy.  See crm-route(1).\n";

enum verb { V_ROUTE, V_AGENTS, V_CLOSE }; /* in the order of verbs[] */
static const char *const verbs[] = { "agents", "close", NULL };

enum {
	OPT_ALL = 256,
	OPT_BURST,
	OPT_CUSTOMER_FIELD,
	OPT_DB,
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

static const struct option longopts[] = {
	{ "all-matches", no_argument, NULL, OPT_ALL },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "customer-field", required_argument, NULL, OPT_CUSTOMER_FIELD },
	{ "db", required_argument, NULL, OPT_DB },
	{ "default-queue", required_argument, NULL, OPT_DEFAULT_QUEUE },
	{ "escalate-confidence", required_argument, NULL, OPT_ESCALATE_CONF },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "intent-field", required_argument, NULL, OPT_INTENT_FIELD },
	{ "kb", required_argument, NULL, OPT_KB },
	{ "no-escalate", no_argument, NULL, OPT_NO_ESCALATE },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "reply-confidence", required_argument, NULL, OPT_REPLY_CONF },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "senior-queue", required_argument, NULL, OPT_SENIOR_QUEUE },
	{ "sentiment-field", required_argument, NULL, OPT_SENTIMENT_FIELD },
	{ "short", required_argument, NULL, OPT_SHORT },
	{ "sla", required_argument, NULL, OPT_SLA },
	{ "text-field", required_argument, NULL, OPT_TEXT_FIELD },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "urgency", required_argument, NULL, OPT_URGENCY },
	{ "vip", required_argument, NULL, OPT_VIP },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

#define BOT "bot" /* the knowledge base's queue */

struct opts {
	enum verb verb;
	const char *db;
	long busy_ms;
	const char **rules; /* --rules files */
	size_t nrules;
	int all;
	const char *kb;
	const char *queues;
	const char *default_queue, *senior_queue;
	long sla[5]; /* seconds, by priority 1 to 4 */
	double now;
	const char *time_field, *id_field, *customer_field, *text_field;
	const char *intent_field, *sentiment_field;
	char *intent_score, *sentiment_score; /* F_score */
	double reply_conf, escalate_conf;
	long burst_n;
	long burst_window;
	long short_chars;
	const char *vip;
	int no_escalate;
	struct crm_urgency *urgency;
	int quiet;
	struct crm_filter_opts fo;
};

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
	const char *reply; /* the knowledge base's answer, or NULL */
	size_t rlen;
	const char *escalated; /* why, or NULL */
	struct crm_route_score score;
};

struct run {
	const struct opts *o;
	struct crm_filter *f;
	struct crm_rulefile *files;
	struct rule *rule;
	size_t nrule;
	struct crm_rules *alone;   /* each condition alone: names, blame */
	struct crm_rules *eval;	   /* what is evaluated for each ticket */
	struct crm_strmap *queues; /* the known queues; NULL: any */
	struct crm_kb *kb;
	struct crm_burst *burst;
	struct crm_store *st;
	struct crm_desk *desk;
	struct crm_audit *audit;
	struct crm_rec *cust; /* the store's facts of the ticket's customer */
	struct crm_rec *sub;  /* a subtask being written */
	size_t *matched;      /* --all-matches: the rules that matched */
	struct route *routes; /* --all-matches: one per queue */
	struct crm_buf buf, json, out, agent; /* out: the audit's output */
	unsigned long long answered, escalated, assigned, waiting, split;
	unsigned long long closed, drained;
};

/* ==== Options ==== */

/* A list "P1=1h,P2=4h,..." into o->sla; a usage error otherwise. */
static void
parse_sla(struct opts *o, const char *arg)
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
			crm_usage_error(synopsis,
			    "bad --sla '%s': want P1=1h,P2=4h,... with "
			    "durations such as 90s, 30m, 4h, 2d",
			    arg);
		p = *end ? end + 1 : end;
	}
}

/* A list "intent=points,..." into o->urgency. */
static void
parse_urgency(struct opts *o, const char *arg)
{
	const char *p = arg, *end, *eq;
	char num[32];
	double v;

	while (*p != '\0') {
		end = p + strcspn(p, ",");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || (size_t)(end - eq) >= sizeof(num))
			crm_usage_error(synopsis,
			    "bad --urgency '%s': want INTENT=POINTS,...", arg);
		memcpy(num, eq + 1, (size_t)(end - eq - 1));
		num[end - eq - 1] = '\0';
		if (crm_parse_double(num, 0, 100, &v) == -1)
			crm_usage_error(synopsis,
			    "bad --urgency '%s': points from 0 to 100", arg);
		if (crm_urgency_set(o->urgency, p, (size_t)(eq - p), v) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		p = *end ? end + 1 : end;
	}
}

static void
parse_burst(struct opts *o, const char *arg)
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
	return;
bad:
	crm_usage_error(synopsis,
	    "bad --burst '%s': want N/DURATION, N from 2 to 1000, such as 3/5m",
	    arg);
}

static void
parse_now(struct opts *o, const char *arg)
{
	const char *why;

	if (crm_norm_seconds(arg, strlen(arg), &o->now, &why) == -1)
		crm_usage_error(synopsis, "bad --now '%s': %s", arg, why);
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

static const char *
opt_queue(const char *opt, const char *arg)
{
	if (!crm_route_name_ok(arg, strlen(arg)) || strcmp(arg, BOT) == 0)
		crm_usage_error(synopsis,
		    "bad %s '%s': want letters, digits, '_', '-' or '.' "
		    "(and not '" BOT "')",
		    opt, arg);
	return arg;
}

static char *
score_field(const char *name)
{
	size_t len = strlen(name);
	char *p = malloc(len + 7);

	if (p == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	memcpy(p, name, len);
	memcpy(p + len, "_score", 7);
	return p;
}

static void
defaults(struct opts *o, enum verb verb)
{
	memset(o, 0, sizeof(*o));
	o->verb = verb;
	o->fo.max_errors = -1;
	o->default_queue = "general";
	o->senior_queue = "senior";
	o->sla[1] = 3600;
	o->sla[2] = 4 * 3600;
	o->sla[3] = 24 * 3600;
	o->sla[4] = 72 * 3600;
	o->now = (double)time(NULL);
	o->time_field = "created";
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
		crm_die(EX_SOFTWARE, "out of memory");
}

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	int c;

	defaults(o, verb);
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ALL:
			o->all = 1;
			break;
		case OPT_BURST:
			parse_burst(o, optarg);
			break;
		case OPT_CUSTOMER_FIELD:
			o->customer_field = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_DEFAULT_QUEUE:
			o->default_queue = opt_queue("--default-queue", optarg);
			break;
		case OPT_ESCALATE_CONF:
			o->escalate_conf =
			    opt_double("--escalate-confidence", optarg, 0, 1);
			break;
		case OPT_ID_FIELD:
			o->id_field = optarg;
			break;
		case OPT_INTENT_FIELD:
			o->intent_field = optarg;
			break;
		case OPT_KB:
			o->kb = optarg;
			break;
		case OPT_NO_ESCALATE:
			o->no_escalate = 1;
			break;
		case OPT_NOW:
			parse_now(o, optarg);
			break;
		case OPT_QUEUES:
			o->queues = optarg;
			break;
		case OPT_REPLY_CONF:
			o->reply_conf =
			    opt_double("--reply-confidence", optarg, 0, 1);
			break;
		case OPT_RULES:
			crm_opt_push(&o->rules, &o->nrules, optarg);
			break;
		case OPT_SENIOR_QUEUE:
			o->senior_queue = opt_queue("--senior-queue", optarg);
			break;
		case OPT_SENTIMENT_FIELD:
			o->sentiment_field = optarg;
			break;
		case OPT_SHORT:
			o->short_chars = crm_opt_long(
			    synopsis, "--short", optarg, 0, 1000000);
			break;
		case OPT_SLA:
			parse_sla(o, optarg);
			break;
		case OPT_TEXT_FIELD:
			o->text_field = optarg;
			break;
		case OPT_TIME_FIELD:
			o->time_field = optarg;
			break;
		case OPT_URGENCY:
			parse_urgency(o, optarg);
			break;
		case OPT_VIP:
			o->vip = optarg;
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if (verb != V_ROUTE && o->db == NULL)
		crm_usage_error(synopsis, "%s needs --db", verbs[verb - 1]);
	if (verb != V_ROUTE && (o->nrules > 0 || o->kb != NULL || o->all))
		crm_usage_error(synopsis, "--rules, --kb and --all-matches are "
					  "for routing");
	o->intent_score = score_field(o->intent_field);
	o->sentiment_score = score_field(o->sentiment_field);
}

/* ==== Rules ==== */

static void
die_at(struct crm_err *e)
{
	crm_report(e);
	exit(e->code);
}

/* The settings of every rule, and each condition compiled alone. */
static void
read_rules(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_rulefile *rf;
	struct crm_err e;
	struct rule *nr;
	size_t i, j;

	crm_err_clear(&e);
	if ((run->files = calloc(o->nrules + 1, sizeof(*run->files))) == NULL ||
	    (run->alone = crm_rules_new(&e)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < o->nrules; i++) {
		rf = &run->files[i];
		if (crm_rulefile_read(rf, o->rules[i], "->", 1, &e) == -1)
			die_at(&e);
		for (j = 0; j < rf->n; j++) {
			nr = crm_reallocarray(
			    run->rule, run->nrule + 1, sizeof(*nr));
			if (nr == NULL)
				crm_die(EX_SOFTWARE, "out of memory");
			run->rule = nr;
			nr += run->nrule;
			nr->file = rf->path;
			nr->line = rf->rule[j].line;
			e.file = rf->path;
			e.line = rf->rule[j].line;
			if (crm_route_set_parse(
				&nr->set, rf->rule[j].right, &e) == -1)
				die_at(&e);
			run->nrule++;
			if (nr->set.queue != NULL &&
			    strcmp(nr->set.queue, BOT) == 0) {
				crm_err_set(&e, EX_DATAERR,
				    "queue " BOT " is the knowledge base's: "
				    "a rule cannot send a ticket there");
				die_at(&e);
			}
			if (crm_rules_add(run->alone, rf->rule[j].left,
				rf->path, rf->rule[j].line, &e) == -1)
				die_at(&e);
		}
	}
}

/*
 * What is evaluated for each ticket: for the first match, one CASE over
 * all conditions, which SQLite stops at the first true one; for all
 * matches, each condition as a CASE of its own.  Either way a condition
 * is true as a WHERE clause would take it.
 */
static void
compile_rules(struct run *run)
{
	struct crm_rulefile *rf;
	struct crm_buf *b = &run->buf;
	struct crm_err e;
	size_t i, j, k = 0;
	int bad = 0;

	crm_err_clear(&e);
	if (run->nrule == 0)
		return;
	if ((run->eval = crm_rules_new(&e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	crm_buf_reset(b);
	if (!run->o->all)
		bad |= crm_buf_adds(b, "CASE");
	for (i = 0; i < run->o->nrules; i++) {
		rf = &run->files[i];
		for (j = 0; j < rf->n; j++, k++) {
			if (run->o->all)
				crm_buf_reset(b);
			bad |= crm_buf_addf(b, "%sWHEN (\n%s\n) THEN %zu",
			    run->o->all ? "CASE " : " ", rf->rule[j].left,
			    k + 1);
			if (!run->o->all)
				continue;
			bad |= crm_buf_adds(b, " ELSE 0 END");
			if (bad)
				crm_die(EX_SOFTWARE, "out of memory");
			if (crm_rules_add(run->eval, b->p, rf->path,
				rf->rule[j].line, &e) == -1)
				die_at(&e);
		}
	}
	if (run->o->all)
		return;
	if (bad || crm_buf_adds(b, " ELSE 0 END") == -1)
		crm_die(EX_SOFTWARE, "out of memory");
	if (crm_rules_add(run->eval, b->p, run->rule[0].file, run->rule[0].line,
		&e) == -1)
		die_at(&e);
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
static void
known_queues(struct run *run)
{
	const struct opts *o = run->o;
	const char *p = o->queues, *end;
	struct crm_err e;
	size_t i;

	crm_err_clear(&e);
	if ((run->queues = crm_strmap_new()) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	while (p != NULL && *p != '\0') {
		end = p + strcspn(p, ",");
		if (!crm_route_name_ok(p, (size_t)(end - p)))
			crm_usage_error(synopsis,
			    "bad --queues '%s': names of "
			    "letters, digits, '_', '-', "
			    "'.'",
			    o->queues);
		if (crm_strmap_put(run->queues, p, (size_t)(end - p)) < 0)
			crm_die(EX_SOFTWARE, "out of memory");
		p = *end ? end + 1 : end;
	}
	if (run->desk != NULL &&
	    crm_desk_skills(run->desk, add_queue, run->queues, &e) == -1)
		crm_die(e.code ? e.code : EX_SOFTWARE, "%s",
		    e.code ? e.msg : "out of memory");
	if (crm_strmap_count(run->queues) == 0) {
		crm_strmap_free(run->queues);
		run->queues = NULL;
		return;
	}
	for (i = 0; i < run->nrule; i++) {
		const char *q = run->rule[i].set.queue;

		if (q == NULL || strcmp(q, o->default_queue) == 0 ||
		    strcmp(q, o->senior_queue) == 0 ||
		    crm_strmap_get(run->queues, q, strlen(q)) >= 0)
			continue;
		e.file = run->rule[i].file;
		e.line = run->rule[i].line;
		crm_err_set(&e, EX_DATAERR, "unknown queue '%s': not in %s", q,
		    run->desk == NULL	? "--queues"
		    : o->queues == NULL ? "the skills of the store's agents"
					: "--queues, nor a skill of the "
					  "store's agents");
		die_at(&e);
	}
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
fact(const struct run *run, const struct crm_rec *r, const char *name,
    size_t *len)
{
	const char *v = text_of(r, name, len);

	return v != NULL ? v : text_of(run->cust, name, len);
}

/* The number in a field; NAN when missing or not a number. */
static double
number(const struct run *run, const struct crm_rec *r, const char *name)
{
	const char *v;
	size_t len;
	long long iv;
	double d;

	if ((v = fact(run, r, name, &len)) == NULL)
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

/* Whether r or the store can give every name the rules use. */
static int
check_names(struct run *run, const struct crm_rec *r, struct crm_err *e)
{
	size_t i, n = run->alone ? crm_rules_nnames(run->alone) : 0, u;
	const char *name;

	for (i = 0; i < n; i++) {
		name = crm_rules_name(run->alone, i);
		if (crm_rec_find(r, name, strlen(name)) >= 0 ||
		    (run->desk != NULL &&
			crm_desk_customer_field(run->desk, name)))
			continue;
		u = crm_rules_name_user(run->alone, i);
		crm_err_field(e, name, strlen(name));
		return crm_err_set(e, EX_DATAERR,
		    "no such field, which rule %s:%lu needs%s",
		    crm_rules_file(run->alone, u),
		    crm_rules_line(run->alone, u),
		    run->desk != NULL ? " (nor a customer field of the store)"
				      : "");
	}
	return 0;
}

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;

	if (run->o->verb != V_ROUTE)
		return 0;
	return check_names(run, hdr, e);
}

static const char *const appended[] = { "priority", "queue", "sla_due",
	"assignee", "reply", "parent_id" };

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;
	size_t i, n = run->o->all ? 6 : 5;
	int bad = 0;

	if (run->o->verb == V_AGENTS)
		bad = crm_rec_put(hdr, "load", "", 0, CRM_STRING);
	for (i = 0; run->o->verb == V_ROUTE && i < n; i++)
		bad |= crm_rec_put(hdr, appended[i], "", 0, CRM_STRING);
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ==== Routing ==== */

/*
 * Evaluate the rules for r: the index of the first matching rule plus one
 * (0: none), or with --all-matches the matching rules in run->matched.
 * Returns the number of matches, or -1 with e filled.
 */
static long
match(struct run *run, struct crm_rec *r, struct crm_err *e)
{
	struct crm_rules_src src[2];
	const char *v;
	size_t i, len, n = 0;
	enum crm_type t;
	enum crm_format f = crm_filter_format(run->f);

	if (run->eval == NULL)
		return 0;
	src[0].rec = r;
	src[0].untyped = f == CRM_FMT_CSV || f == CRM_FMT_TSV;
	src[1].rec = run->cust;
	src[1].untyped = 0;
	if (crm_rules_eval(run->eval, src, run->cust ? 2 : 1, e) == -1) {
		/* name the rule that failed, not the CASE around it */
		if (crm_rules_eval(run->alone, src, run->cust ? 2 : 1, e) == 0)
			crm_err_set(e, EX_DATAERR, "the rules failed");
		return -1;
	}
	for (i = 0; i < crm_rules_count(run->eval); i++) {
		v = crm_rules_value(run->eval, i, &len, &t);
		if (v == NULL || t != CRM_NUMBER || (len == 1 && v[0] == '0'))
			continue;
		run->matched[n++] =
		    run->o->all ? i : (size_t)strtoul(v, NULL, 10) - 1;
	}
	return (long)n;
}

/*
 * The facts of the priority score, and the ticket's time (NAN when it
 * has none).
 */
static double
facts(
    const struct run *run, const struct crm_rec *r, struct crm_route_facts *fa)
{
	const struct opts *o = run->o;
	const char *v, *why;
	size_t len;
	double t = NAN;

	v = fact(run, r, o->intent_field, &len);
	fa->urgency = crm_urgency_get(o->urgency, v, len);
	v = fact(run, r, o->sentiment_field, &len);
	fa->negative = v != NULL && len == 8 && memcmp(v, "negative", 8) == 0;
	fa->sentiment = number(run, r, o->sentiment_score);
	v = fact(run, r, "tier", &len);
	fa->vip = v != NULL && strlen(o->vip) == len &&
		  strncasecmp(v, o->vip, len) == 0;
	fa->value = number(run, r, "lifetime_value");
	v = text_of(r, o->time_field, &len);
	if (v != NULL && crm_norm_seconds(v, len, &t, &why) == -1)
		t = NAN;
	fa->waited = isnan(t) ? NAN : o->now - t;
	return t;
}

/* Why the ticket is escalated, or NULL; keeps the bursts up to date. */
static const char *
escalation(struct run *run, const struct crm_rec *r,
    const struct crm_route_facts *fa, double t, struct crm_err *e, int *fail)
{
	const struct opts *o = run->o;
	const char *id, *text;
	size_t len, tlen;
	int burst = 0;

	*fail = 0;
	if (o->no_escalate)
		return NULL;
	id = text_of(r, o->customer_field, &len);
	text = text_of(r, o->text_field, &tlen);
	if (id != NULL && !isnan(t) &&
	    (text == NULL ||
		crm_route_chars(text, tlen) <= (size_t)o->short_chars)) {
		if ((burst = crm_burst_add(run->burst, id, len, t)) == -1) {
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
settle(
    const struct run *run, struct route *rt, const struct rule *rule, double t)
{
	const struct opts *o = run->o;

	rt->rule = rule;
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
	rt->due = (isnan(t) ? o->now : t) +
		  (double)(rule != NULL && rule->set.sla >= 0
			       ? rule->set.sla
			       : o->sla[rt->priority]);
}

/* The knowledge base's answer to r, or NULL. */
static const char *
answer(const struct run *run, const struct crm_rec *r, size_t *alen)
{
	const struct opts *o = run->o;
	const char *intent, *text;
	size_t ilen, tlen;
	double conf;

	if (run->kb == NULL ||
	    (intent = text_of(r, o->intent_field, &ilen)) == NULL)
		return NULL;
	conf = number(run, r, o->intent_score);
	if (isnan(conf) || conf < o->reply_conf)
		return NULL;
	text = text_of(r, o->text_field, &tlen);
	return crm_kb_answer(run->kb, intent, ilen,
	    text != NULL ? crm_route_lang(text, tlen) : "", alen);
}

static const char *const pnames[] = { "", "P1", "P2", "P3", "P4" };

/* The audit log's reasons for rt, as JSON in run->json. */
static int
reasons(struct run *run, const struct route *rt)
{
	struct crm_buf *b = &run->json;
	int bad = 0;

	crm_buf_reset(b);
	bad |= crm_buf_adds(b, "{\"rule\":");
	if (rt->rule != NULL) {
		crm_buf_reset(&run->buf);
		bad |= crm_buf_addf(
		    &run->buf, "%s:%lu", rt->rule->file, rt->rule->line);
		bad |= crm_json_quote(b, run->buf.p, run->buf.len);
	} else {
		bad |= crm_buf_adds(b, "null");
	}
	bad |= crm_buf_addf(b,
	    ",\"score\":{\"urgency\":%.2f,\"sentiment\":%.2f,"
	    "\"value\":%.2f,\"waiting\":%.2f,\"total\":%.2f}",
	    rt->score.urgency, rt->score.sentiment, rt->score.value,
	    rt->score.waiting, rt->score.total);
	bad |= crm_buf_adds(b, ",\"escalated\":");
	if (rt->escalated != NULL)
		bad |= crm_json_quote(b, rt->escalated, strlen(rt->escalated));
	else
		bad |= crm_buf_adds(b, "null");
	bad |= crm_buf_addf(
	    b, ",\"answered\":%s}", rt->reply != NULL ? "true" : "false");
	return bad ? -1 : 0;
}

/*
 * Give the ticket in r, routed as rt, to an agent (with a store) and log
 * the decision; append the routing fields to r.
 */
static int
deliver(struct run *run, struct crm_rec *r, const struct route *rt,
    const char *parent, size_t plen, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_ticket tk;
	char due[32];
	const char *id;
	size_t idlen = 0;
	int again, bad = 0;

	crm_route_iso(rt->due, due);
	crm_buf_reset(&run->agent);
	id = text_of(r, o->id_field, &idlen);
	if (run->desk != NULL) {
		if (id == NULL) {
			crm_err_field(e, o->id_field, strlen(o->id_field));
			return crm_err_set(e, EX_DATAERR,
			    "no ticket id to keep the ticket under");
		}
		memset(&tk, 0, sizeof(tk));
		tk.id = id;
		tk.idlen = idlen;
		tk.parent = parent;
		tk.plen = plen;
		tk.customer = text_of(r, o->customer_field, &tk.clen);
		tk.priority = rt->priority;
		tk.queue = rt->reply != NULL ? BOT : rt->queue;
		tk.skill = rt->reply != NULL ? BOT : rt->skill;
		tk.sla_due = due;
		tk.answered = rt->reply != NULL;
		if (crm_audit_begin(run->audit, e) == -1 ||
		    crm_desk_assign(run->desk, &tk, &run->agent, &again, e) ==
			-1)
			return CRM_FILTER_FATAL;
		if (rt->reply == NULL)
			run->agent.len > 0 ? run->assigned++ : run->waiting++;
	}
	bad |= crm_rec_put(r, "priority", pnames[rt->priority], 2, CRM_STRING);
	bad |= rt->reply != NULL ? crm_rec_put(r, "queue", BOT, 3, CRM_STRING)
				 : crm_rec_put(r, "queue", rt->queue,
				       strlen(rt->queue), CRM_STRING);
	bad |= crm_rec_put(r, "sla_due", due, strlen(due), CRM_STRING);
	bad |= crm_rec_put(r, "assignee", run->agent.p ? run->agent.p : "",
	    run->agent.len, run->agent.len > 0 ? CRM_STRING : CRM_NULL);
	bad |= crm_rec_put(r, "reply", rt->reply ? rt->reply : "", rt->rlen,
	    rt->reply ? CRM_STRING : CRM_NULL);
	if (o->all)
		bad |= crm_rec_put(r, "parent_id", parent ? parent : "", plen,
		    parent ? CRM_STRING : CRM_NULL);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (run->audit == NULL)
		return 0;
	id = text_of(r, o->id_field, &idlen); /* r moved as it grew */
	crm_buf_reset(&run->out);
	if (crm_buf_addf(&run->out, "{\"priority\":\"%s\",\"queue\":",
		pnames[rt->priority]) == -1 ||
	    crm_json_quote(&run->out, rt->reply ? BOT : rt->queue,
		strlen(rt->reply ? BOT : rt->queue)) == -1 ||
	    crm_buf_adds(&run->out, ",\"assignee\":") == -1 ||
	    (run->agent.len > 0
		    ? crm_json_quote(&run->out, run->agent.p, run->agent.len)
		    : crm_buf_adds(&run->out, "null")) == -1 ||
	    crm_buf_addc(&run->out, '}') == -1 || reasons(run, rt) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	bad = crm_audit_add(run->audit, id, idlen, run->out.p, run->out.len,
	    rt->score.total, run->json.p, run->json.len, e);
	return bad == -1 ? CRM_FILTER_FATAL : 0;
}

/*
 * --all-matches with rules for more than one queue: the ticket is written
 * as the parent (no queue of its own) and one subtask per queue, each
 * with the ticket's id and ".N".
 */
static int
split(struct run *run, struct crm_rec *r, size_t n, struct crm_err *e)
{
	const struct opts *o = run->o;
	const char *id;
	size_t i, idlen, best = 0, plen;
	char *parent;
	char due[32];
	long k;
	int rc, bad = 0;

	if ((id = text_of(r, o->id_field, &idlen)) == NULL) {
		crm_err_field(e, o->id_field, strlen(o->id_field));
		return crm_err_set(
		    e, EX_DATAERR, "no ticket id for the subtasks to point to");
	}
	if ((parent = malloc(idlen + 1)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	memcpy(parent, id, idlen);
	parent[plen = idlen] = '\0';
	for (i = 1; i < n; i++)
		if (run->routes[i].priority < run->routes[best].priority ||
		    (run->routes[i].priority == run->routes[best].priority &&
			run->routes[i].due < run->routes[best].due))
			best = i;
	crm_route_iso(run->routes[best].due, due);
	bad |= crm_rec_put(
	    r, "priority", pnames[run->routes[best].priority], 2, CRM_STRING);
	bad |= crm_rec_put(r, "queue", "", 0, CRM_NULL);
	bad |= crm_rec_put(r, "sla_due", due, strlen(due), CRM_STRING);
	bad |= crm_rec_put(r, "assignee", "", 0, CRM_NULL);
	bad |= crm_rec_put(r, "reply", "", 0, CRM_NULL);
	bad |= crm_rec_put(r, "parent_id", "", 0, CRM_NULL);
	if (bad) {
		free(parent);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (crm_filter_emit(run->f, r, e) == -1) {
		free(parent);
		return CRM_FILTER_FATAL;
	}
	k = crm_rec_find(r, o->id_field, strlen(o->id_field));
	for (i = 0; i < n; i++) {
		if (crm_rec_copy(run->sub, r) == -1)
			goto nomem;
		crm_buf_reset(&run->buf);
		if (crm_buf_addf(&run->buf, "%s.%zu", parent, i + 1) == -1 ||
		    crm_rec_set(run->sub, (size_t)k, run->buf.p, run->buf.len,
			CRM_STRING) == -1)
			goto nomem;
		if ((rc = deliver(run, run->sub, &run->routes[i], parent, plen,
			 e)) != 0) {
			free(parent);
			return rc;
		}
		if (crm_filter_emit(run->f, run->sub, e) == -1) {
			free(parent);
			return CRM_FILTER_FATAL;
		}
	}
	run->split++;
	free(parent);
	return 0;
nomem:
	free(parent);
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

static int
route_record(struct run *run, struct crm_rec *r, int *drop, struct crm_err *e)
{
	const struct opts *o = run->o;
	struct crm_route_facts fa;
	struct route rt;
	const char *id;
	size_t len, i, j, nq;
	long n;
	double t;
	int fail;

	if (crm_filter_format(run->f) == CRM_FMT_JSONL &&
	    check_names(run, r, e) == -1)
		return -1;
	if (run->desk != NULL) {
		id = text_of(r, o->customer_field, &len);
		if (id == NULL)
			crm_rec_clear(run->cust);
		else if (crm_desk_customer(run->desk, id, len, run->cust, e) ==
			 -1)
			return CRM_FILTER_FATAL;
	}
	if ((n = match(run, r, e)) < 0)
		return -1;
	memset(&rt, 0, sizeof(rt));
	t = facts(run, r, &fa);
	crm_route_score(&fa, &rt.score);
	rt.escalated = escalation(run, r, &fa, t, e, &fail);
	if (fail)
		return -1;
	if (rt.escalated != NULL)
		run->escalated++;
	/* one queue, or the knowledge base: the ticket as it is */
	for (i = 0, nq = 0; o->all && i < (size_t)n; i++) {
		const struct rule *ru = &run->rule[run->matched[i]];
		const char *q = ru->set.queue ? ru->set.queue
					      : o->default_queue;

		for (j = 0; j < nq; j++)
			if (strcmp(run->routes[j].queue, q) == 0)
				break;
		if (j < nq)
			continue;
		run->routes[nq] = rt;
		settle(run, &run->routes[nq++], ru, t);
	}
	for (i = 0; i < (size_t)n; i++)
		if (run->rule[run->matched[i]].set.no_reply)
			break;
	if (rt.escalated == NULL && i == (size_t)n &&
	    (rt.reply = answer(run, r, &rt.rlen)) != NULL)
		run->answered++;
	if (nq > 1 && rt.reply == NULL && rt.escalated == NULL) {
		*drop = 1;
		return split(run, r, nq, e);
	}
	settle(run, &rt, n > 0 ? &run->rule[run->matched[0]] : NULL, t);
	return deliver(run, r, &rt, NULL, 0, e);
}

/* ==== Agents and closing ==== */

/* A whole number field of r into *v (-1 when missing); 0 or -1. */
static int
agent_number(const struct crm_rec *r, const char *name, long max, long *v,
    struct crm_err *e)
{
	const char *s;
	size_t len;
	long long iv;
	double d;

	*v = -1;
	if ((s = text_of(r, name, &len)) == NULL)
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
agent_record(struct run *run, struct crm_rec *r, struct crm_err *e)
{
	const char *id, *name, *skills;
	size_t idlen, nlen = 0, slen = 0;
	long capacity, on_shift, load;
	char num[24];

	if ((id = text_of(r, "agent_id", &idlen)) == NULL) {
		crm_err_field(e, "agent_id", 8);
		return crm_err_set(e, EX_DATAERR, "no agent id");
	}
	if (agent_number(r, "capacity", 1000000, &capacity, e) == -1 ||
	    agent_number(r, "on_shift", 1, &on_shift, e) == -1)
		return -1;
	name = text_of(r, "name", &nlen);
	skills = text_of(r, "skills", &slen);
	if (crm_audit_begin(run->audit, e) == -1 ||
	    crm_desk_agent_put(run->desk, id, idlen, name, nlen, skills, slen,
		capacity, (int)on_shift, e) == -1 ||
	    (load = crm_desk_agent_load(run->desk, id, idlen, e)) < 0)
		return CRM_FILTER_FATAL;
	snprintf(num, sizeof(num), "%ld", load);
	if (crm_rec_put(r, "load", num, strlen(num), CRM_NUMBER) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static int
close_record(struct run *run, struct crm_rec *r, int *drop, struct crm_err *e)
{
	const char *id;
	size_t idlen;
	int was;

	*drop = 1;
	if ((id = text_of(r, run->o->id_field, &idlen)) == NULL) {
		crm_err_field(e, run->o->id_field, strlen(run->o->id_field));
		return crm_err_set(e, EX_DATAERR, "no ticket id");
	}
	if (crm_audit_begin(run->audit, e) == -1 ||
	    crm_desk_close_ticket(run->desk, id, idlen, &was, e) == -1)
		return CRM_FILTER_FATAL;
	run->closed += (unsigned)was;
	return 0;
}

/* Log a waiting ticket given to an agent. */
static int
drained(void *arg, const char *ticket, const char *agent)
{
	struct run *run = arg;
	struct crm_err e;

	crm_buf_reset(&run->buf);
	crm_err_clear(&e);
	if (crm_buf_adds(&run->buf, "{\"assignee\":") == -1 ||
	    crm_json_quote(&run->buf, agent, strlen(agent)) == -1 ||
	    crm_buf_addc(&run->buf, '}') == -1)
		return -1;
	return crm_audit_add(run->audit, ticket, strlen(ticket), run->buf.p,
	    run->buf.len, 0, "{\"from\":\"waiting\"}", 18, &e);
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;

	switch (run->o->verb) {
	case V_AGENTS:
		return agent_record(run, r, e);
	case V_CLOSE:
		return close_record(run, r, drop, e);
	default:
		return route_record(run, r, drop, e);
	}
}

static void
idle(void *arg)
{
	struct run *run = arg;

	crm_audit_idle(run->audit);
}

/* ==== Main ==== */

static void
open_store(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_err e;

	crm_err_clear(&e);
	if ((run->st = crm_store_open(o->db, (int)o->busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((run->desk = crm_desk_open(run->st, &e)) == NULL ||
	    (run->audit = crm_audit_open(
		 run->st, "crm-route", "routing", 0, &e)) == NULL ||
	    (run->cust = crm_rec_new()) == NULL)
		crm_die(e.code ? e.code : EX_SOFTWARE, "%s",
		    e.code ? e.msg : "out of memory");
}

static void
setup(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_err e;

	crm_err_clear(&e);
	crm_buf_init(&run->buf);
	crm_buf_init(&run->json);
	crm_buf_init(&run->out);
	crm_buf_init(&run->agent);
	if (o->verb == V_ROUTE)
		read_rules(run);
	if (o->db != NULL)
		open_store(run);
	if (o->verb != V_ROUTE)
		return;
	compile_rules(run);
	known_queues(run);
	if (o->kb != NULL && (run->kb = crm_kb_read(o->kb, &e)) == NULL)
		die_at(&e);
	if ((run->burst = crm_burst_new(
		 (int)o->burst_n, (double)o->burst_window)) == NULL ||
	    (run->sub = crm_rec_new()) == NULL ||
	    (run->matched = calloc(run->nrule + 1, sizeof(size_t))) == NULL ||
	    (run->routes = calloc(run->nrule + 1, sizeof(struct route))) ==
		NULL)
		crm_die(EX_SOFTWARE, "out of memory");
}

static void
cleanup(struct run *run, struct opts *o)
{
	size_t i;

	for (i = 0; i < run->nrule; i++)
		crm_route_set_release(&run->rule[i].set);
	free(run->rule);
	for (i = 0; run->files != NULL && i < o->nrules; i++)
		crm_rulefile_release(&run->files[i]);
	free(run->files);
	crm_rules_free(run->alone);
	crm_rules_free(run->eval);
	crm_strmap_free(run->queues);
	crm_kb_free(run->kb);
	crm_burst_free(run->burst);
	crm_desk_close(run->desk);
	crm_store_close(run->st);
	crm_rec_free(run->cust);
	crm_rec_free(run->sub);
	free(run->matched);
	free(run->routes);
	crm_buf_release(&run->buf);
	crm_buf_release(&run->json);
	crm_buf_release(&run->out);
	crm_buf_release(&run->agent);
	crm_urgency_free(o->urgency);
	free(o->intent_score);
	free(o->sentiment_score);
	free(o->rules);
}

static void
summary(const struct run *run)
{
	unsigned long long nread, nwritten, nrejected;

	crm_filter_counts(run->f, &nread, &nwritten, &nrejected);
	switch (run->o->verb) {
	case V_AGENTS:
		crm_warnx("read %llu, agents %llu, rejected %llu; waiting "
			  "tickets assigned %llu",
		    nread, nwritten, nrejected, run->drained);
		break;
	case V_CLOSE:
		crm_warnx("read %llu, closed %llu, rejected %llu; waiting "
			  "tickets assigned %llu",
		    nread, run->closed, nrejected, run->drained);
		break;
	default:
		crm_warnx("read %llu, written %llu, rejected %llu; answered "
			  "%llu, escalated %llu, split %llu",
		    nread, nwritten, nrejected, run->answered, run->escalated,
		    run->split);
		if (run->desk != NULL)
			crm_warnx("assigned %llu, waiting %llu", run->assigned,
			    run->waiting);
	}
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, idle };
	enum verb verb;
	struct opts o;
	struct run run;
	struct crm_err e;
	long n;
	int rc;

	crm_cli_init("crm-route");
	verb = (enum verb)crm_cli_verb(&argc, argv, verbs);
	parse_opts(argc, argv, verb, &o);
	argc -= optind;
	argv += optind;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	crm_err_clear(&e);
	setup(&run);
	if (verb == V_CLOSE)
		o.fo.no_output = 1;
	if ((run.f = crm_filter_new(&o.fo, &ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = crm_filter_run(run.f, argc, argv);
	/* closed tickets and new agents make room for waiting tickets */
	if (rc == 0 && verb != V_ROUTE) {
		if (crm_audit_begin(run.audit, &e) == -1 ||
		    (n = crm_desk_drain(run.desk, drained, &run, &e)) < 0) {
			crm_report(&e);
			rc = e.code;
		} else {
			run.drained = (unsigned long long)n;
		}
	}
	if (crm_audit_close(run.audit, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	if (!o.quiet)
		summary(&run);
	rc = crm_filter_finish(run.f, rc);
	crm_filter_free(run.f);
	cleanup(&run, &o);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
