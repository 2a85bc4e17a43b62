/*
 * journey: the journey file and a run of it over the store (journey.h).
 *
 * Tables: owns journey_runs, journey_state and journey_actions; reads
 * customers, events, tags, decisions (through activity.h and desk.h),
 * consent (consent.h) and clusters (the records of a person, for its
 * consent); writes decisions through audit.h.
 */
#include "journey.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "activity.h"
#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "consent.h"
#include "desk.h"
#include "erase.h"
#include "jw.h"
#include "opt.h"
#include "rec.h"
#include "route.h"
#include "rules.h"
#include "suggest.h"

/* ==== The journey file ==== */

static const char *const keywords[] = { "journey", "channel", "stage", "goal",
	"exit" };

enum { K_JOURNEY, K_CHANNEL, K_STAGE, K_GOAL, K_EXIT, K_N };

/* The settings each keyword takes; at most MAX_SET. */
#define MAX_SET 4

/* A duration as crm-route reads them (route.h), not 0; 0 or -1. */
static int
duration(const char *s, long *secs)
{
	return crm_route_duration(s, strlen(s), secs) == -1 || *secs < 1 ? -1
									 : 0;
}

/* The failure of a statement at line of d's file; -1. */
static int
bad_line(const struct crm_journey_def *d, unsigned long line, struct crm_err *e,
    const char *fmt, const char *a, const char *b)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), fmt, a, b);
	e->file = d->path;
	e->line = line;
	return crm_err_set(e, EX_DATAERR, "%s", msg);
}

static char *
dup_or_fail(const char *s, int *bad)
{
	char *p = strdup(s);

	if (p == NULL)
		*bad = 1;
	return p;
}

/* The name a statement gives (its second word), checked. */
static int
check_name(const struct crm_journey_def *d, const struct crm_rule *r,
    const char *what, const char *name, struct crm_err *e)
{
	if (!crm_rule_name_ok(name))
		return bad_line(d, r->line, e,
		    "bad %s name '%s': want " CRM_RULE_NAME_CHARS, what, name);
	return 0;
}

/* A setting's value by key; NULL when not given. */
static const char *
setting(const struct crm_rule_setting *set, size_t n, const char *key,
    unsigned *used)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(set[i].key, key) == 0) {
			*used |= 1u << i;
			return set[i].value;
		}
	return NULL;
}

static int
channel_line(struct crm_journey_def *d, const struct crm_rule *r,
    const char *name, const struct crm_rule_setting *set, size_t n,
    unsigned *used, struct crm_err *e)
{
	struct crm_journey_channel *c;
	const char *cap;
	char *slash;
	size_t i;
	int bad = 0;

	if (check_name(d, r, "channel", name, e) == -1)
		return -1;
	if (!crm_rule_name_ok(r->right))
		return bad_line(d, r->line, e,
		    "bad purpose '%s' of channel '%s': want "
		    "one word of " CRM_RULE_NAME_CHARS,
		    r->right, name);
	for (i = 0; i < d->nchannels; i++)
		if (strcmp(d->channel[i].name, name) == 0)
			return bad_line(d, r->line, e,
			    "channel '%s' given twice%s", name, "");
	c = &d->channel[d->nchannels];
	memset(c, 0, sizeof(*c));
	if ((cap = setting(set, n, "cap", used)) != NULL) {
		slash = strchr(cap, '/');
		if (slash == NULL)
			return bad_line(d, r->line, e,
			    "bad cap '%s' of channel '%s': want N/DURATION "
			    "(2/7d: at most 2 actions in 7 days)",
			    cap, name);
		*slash = '\0';
		if (crm_parse_long(cap, 1, 1000000, &c->cap) == -1 ||
		    duration(slash + 1, &c->cap_window) == -1) {
			*slash = '/';
			return bad_line(d, r->line, e,
			    "bad cap '%s' of channel '%s': want N/DURATION "
			    "(2/7d: at most 2 actions in 7 days)",
			    cap, name);
		}
		*slash = '/';
		c->cap_text = dup_or_fail(cap, &bad);
	}
	c->name = dup_or_fail(name, &bad);
	c->purpose = dup_or_fail(r->right, &bad);
	d->nchannels++;
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

static int
stage_line(struct crm_journey_def *d, const struct crm_rule *r,
    const char *name, const struct crm_rule_setting *set, size_t n,
    unsigned *used, struct crm_err *e)
{
	struct crm_journey_stage *st;
	const char *ch, *tpl, *wait, *retries;
	size_t i;
	int bad = 0;

	if (check_name(d, r, "stage", name, e) == -1)
		return -1;
	for (i = 0; i < d->nstages; i++)
		if (strcmp(d->stage[i].name, name) == 0)
			return bad_line(d, r->line, e,
			    "stage '%s' given twice%s", name, "");
	ch = setting(set, n, "channel", used);
	tpl = setting(set, n, "template", used);
	wait = setting(set, n, "wait", used);
	retries = setting(set, n, "retries", used);
	if (ch == NULL || tpl == NULL)
		return bad_line(d, r->line, e,
		    "stage '%s' needs channel=NAME and template=NAME%s", name,
		    "");
	st = &d->stage[d->nstages];
	memset(st, 0, sizeof(*st));
	for (i = 0; i < d->nchannels; i++)
		if (strcmp(d->channel[i].name, ch) == 0)
			break;
	if (i == d->nchannels)
		return bad_line(d, r->line, e,
		    "stage '%s': no channel '%s' (declare it first: "
		    "'channel NAME: PURPOSE')",
		    name, ch);
	st->channel = i;
	if (wait != NULL && duration(wait, &st->wait) == -1)
		return bad_line(d, r->line, e,
		    "bad wait '%s' of stage '%s': want a duration such as "
		    "90s, 30m, 4h, 2d",
		    wait, name);
	if (retries != NULL && crm_parse_long(retries, 0,
				   CRM_JOURNEY_MAX_RETRIES, &st->retries) == -1)
		return bad_line(d, r->line, e,
		    "bad retries '%s' of stage '%s': want 0 to 100", retries,
		    name);
	st->line = r->line;
	st->name = dup_or_fail(name, &bad);
	st->template = dup_or_fail(tpl, &bad);
	st->cond = dup_or_fail(r->right, &bad);
	d->nstages++;
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

static int
exit_line(struct crm_journey_def *d, const struct crm_rule *r, const char *name,
    int goal, struct crm_err *e)
{
	struct crm_journey_exit *x;
	size_t i;
	int bad = 0;

	if (check_name(d, r, goal ? "goal" : "exit", name, e) == -1)
		return -1;
	for (i = 0; i < d->nexits; i++)
		if (strcmp(d->exit[i].name, name) == 0)
			return bad_line(d, r->line, e,
			    "goal or exit '%s' given twice%s", name, "");
	x = &d->exit[d->nexits];
	x->goal = goal;
	x->line = r->line;
	x->name = dup_or_fail(name, &bad);
	x->cond = dup_or_fail(r->right, &bad);
	d->nexits++;
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* One statement of the file; 0 or -1. */
static int
statement(struct crm_journey_def *d, struct crm_rule *r, struct crm_err *e)
{
	struct crm_rule_setting set[MAX_SET];
	char *rest, hint[128];
	unsigned used = 0;
	size_t n = 0, i;
	long k;
	int rc;

	rest = r->left + strcspn(r->left, " \t");
	if (*rest != '\0')
		*rest++ = '\0';
	rest += strspn(rest, " \t");
	for (k = 0; k < K_N; k++)
		if (strcmp(r->left, keywords[k]) == 0)
			break;
	if (k == K_N)
		return bad_line(d, r->line, e,
		    "no such statement '%s' (want journey, channel, stage, "
		    "goal or exit)%s",
		    r->left,
		    crm_suggest_list_hint(
			hint, sizeof(hint), r->left, keywords, K_N));
	if (k == K_JOURNEY) {
		if (*rest != '\0')
			return bad_line(d, r->line, e,
			    "want 'journey: NAME', not '%s' before the "
			    "':'%s",
			    rest, "");
		if (d->name != NULL)
			return bad_line(
			    d, r->line, e, "a second journey line%s%s", "", "");
		if (check_name(d, r, "journey", r->right, e) == -1)
			return -1;
		if ((d->name = strdup(r->right)) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		return 0;
	}
	if (*rest == '\0')
		return bad_line(d, r->line, e, "want '%s NAME ...: ...'%s",
		    keywords[k], "");
	if (crm_rule_settings(rest, set, MAX_SET, &n, e) == -1) {
		e->file = d->path;
		e->line = r->line;
		return -1;
	}
	if (k == K_CHANNEL)
		rc = channel_line(d, r, rest, set, n, &used, e);
	else if (k == K_STAGE)
		rc = stage_line(d, r, rest, set, n, &used, e);
	else
		rc = exit_line(d, r, rest, k == K_GOAL, e);
	if (rc == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (!(used & (1u << i)))
			return bad_line(d, r->line, e,
			    "no setting '%s' here (channel: cap; stage: "
			    "channel, template, wait, retries)%s",
			    set[i].key, "");
	return 0;
}

int
crm_journey_read(struct crm_journey_def *d, const char *path, struct crm_err *e)
{
	struct crm_rulefile f;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->path = path;
	if (crm_rulefile_read(&f, path, ":", 0, e) == -1)
		return -1;
	d->channel = calloc(f.n + 1, sizeof(*d->channel));
	d->stage = calloc(f.n + 1, sizeof(*d->stage));
	d->exit = calloc(f.n + 1, sizeof(*d->exit));
	if (d->channel == NULL || d->stage == NULL || d->exit == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	for (i = 0; i < f.n; i++)
		if (statement(d, &f.rule[i], e) == -1)
			goto fail;
	if (d->name == NULL || d->nstages == 0) {
		e->file = path;
		e->line = 0;
		crm_err_set(e, EX_DATAERR,
		    "no %s line (want 'journey: NAME' "
		    "and at least one stage)",
		    d->name == NULL ? "journey" : "stage");
		goto fail;
	}
	crm_rulefile_release(&f);
	return 0;
fail:
	crm_rulefile_release(&f);
	crm_journey_def_release(d);
	return -1;
}

void
crm_journey_def_release(struct crm_journey_def *d)
{
	size_t i;

	for (i = 0; d->channel != NULL && i < d->nchannels; i++) {
		free(d->channel[i].name);
		free(d->channel[i].purpose);
		free(d->channel[i].cap_text);
	}
	for (i = 0; d->stage != NULL && i < d->nstages; i++) {
		free(d->stage[i].name);
		free(d->stage[i].template);
		free(d->stage[i].cond);
	}
	for (i = 0; d->exit != NULL && i < d->nexits; i++) {
		free(d->exit[i].name);
		free(d->exit[i].cond);
	}
	free(d->name);
	free(d->channel);
	free(d->stage);
	free(d->exit);
	memset(d, 0, sizeof(*d));
}

/* ==== A run ==== */

/* The journey's own facts, in the order of the facts record. */
static const char *const own_facts[] = { "stage", "tries", "days_in_journey",
	"days_in_stage", "withdrawn", "tags_entered", "tags_left" };

#define NOWN (sizeof(own_facts) / sizeof(own_facts[0]))

enum {
	S_STATE,
	S_PUT,
	S_CAP,
	S_ACTION,
	S_RUN,
	S_ENTERED,
	S_LEFT,
	S_N,
};

/*
 * The tags whose span (tag_history, tags.h) began or ended (col) after
 * ?2 (the journey's previous run; NULL: ever) and at or before ?3 (now),
 * comma-separated, of the customers of who.
 */
#define TAGS_CHANGED(col, who)                                               \
	"SELECT group_concat(tag, ',') FROM (SELECT DISTINCT tag FROM"       \
	" tag_history WHERE " who " AND " col " > coalesce(?2, '') AND " col \
	" <= ?3 ORDER BY tag)"

#define TIME_OF(x) "strftime('%Y-%m-%dT%H:%M:%SZ', " x ", 'unixepoch')"

static const char *const sql[S_N] = {
	[S_STATE] = "SELECT stage, status, tries, reason, stage_since,"
		    " CAST(julianday(?3) - julianday(substr(entered, 1, 10))"
		    " AS INTEGER), CAST(julianday(?3) -"
		    " julianday(substr(stage_since, 1, 10)) AS INTEGER),"
		    " (next_at IS NULL OR next_at <= ?4) AND updated < ?4"
		    " FROM journey_state WHERE journey = ?1 AND subject = ?2",
	[S_PUT] = "INSERT INTO journey_state(journey, subject, stage, status,"
		  " entered, stage_since, next_at, tries, reason, updated)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?7 IS NULL THEN"
		  " NULL ELSE " TIME_OF("?7") " END, ?8, ?9, ?5)"
					      " ON CONFLICT (journey, subject) "
					      "DO UPDATE SET"
					      " stage = excluded.stage, status "
					      "= excluded.status,"
					      " stage_since = "
					      "excluded.stage_since,"
					      " next_at = excluded.next_at, "
					      "tries = excluded.tries,"
					      " reason = excluded.reason, "
					      "updated = excluded.updated",
	[S_CAP] = "SELECT count(*) FROM journey_actions WHERE subject = ?1"
		  " AND channel = ?2 AND time > " TIME_OF("?3") " AND time <= "
								"?4",
	[S_ACTION] = "INSERT OR IGNORE INTO journey_actions(time, journey,"
		     " subject, stage, channel, template, try, reason)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_RUN] = "INSERT INTO journey_runs(journey, as_of, time, actions)"
		  " VALUES (?1, ?2, ?2, ?3) ON CONFLICT (journey, as_of)"
		  " DO UPDATE SET actions = actions + excluded.actions",
	[S_ENTERED] = TAGS_CHANGED("began", "customer_id = ?1"),
	[S_LEFT] = TAGS_CHANGED("ended", "customer_id = ?1"),
};

/* The same per person: the tags of every record of the person. */
static const char *const person_sql[S_N] = {
	[S_ENTERED] = TAGS_CHANGED("began", "customer_id IN "
					    "(" CRM_PERSON_RECORDS("?1") ")"),
	[S_LEFT] = TAGS_CHANGED(
	    "ended", "customer_id IN (" CRM_PERSON_RECORDS("?1") ")"),
};

/* Where a customer is in the journey, as journey_state has it. */
struct state {
	int known;	  /* has a row */
	int final;	  /* converted, exited or done */
	size_t stage;	  /* index */
	long tries;	  /* sends at this stage */
	int due;	  /* its wait is over */
	int capped;	  /* its last word was a cap */
	char since[32];	  /* stage_since */
	long long days_j; /* in the journey, in the stage */
	long long days_s;
};

struct crm_journey {
	const struct crm_journey_def *d;
	struct crm_store *s;
	enum crm_by by;
	sqlite3_stmt *st[S_N];
	struct crm_rules *rules; /* the stages', then the exits' */
	const char **act_names;	 /* the activity features they use */
	size_t nact;
	struct crm_desk *desk;
	struct crm_consent *consent;
	struct crm_audit *audit;
	struct crm_batch batch;
	struct crm_filter *f;
	struct crm_rec *facts, *cust, *out;
	struct crm_rules_src src[3]; /* the customer's: facts, its record, cust */
	struct crm_buf buf, why;
	char now[21], day[11];
	char prev[32]; /* the journey's run before this one, or "" */
	int changes;   /* the expressions read tags_entered or tags_left */
	int noted;     /* the run is in journey_runs (its first batch) */
	double t;
	struct crm_journey_counts n;
};

static int
fail(struct crm_journey *j, struct crm_err *e, const char *what)
{
	return crm_store_fail(j->s, e, what);
}

static void
bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Step a statement that returns no row, and reset it; 0 or -1. */
static int
run_once(struct crm_journey *j, sqlite3_stmt *st, const char *what,
    struct crm_err *e)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail(j, e, what);
}

/* Refuse a time before the journey's last run; 0 or -1. */
static int
check_last_run(struct crm_journey *j, struct crm_err *e)
{
	sqlite3_stmt *st;
	const char *last;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(j->s),
		"SELECT max(as_of), (SELECT max(as_of) FROM journey_runs"
		" WHERE journey = ?1 AND as_of < ?2) FROM journey_runs"
		" WHERE journey = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return fail(j, e, "cannot read the journey's runs");
	sqlite3_bind_text(st, 1, j->d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	last = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0)
				: NULL;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL)
		snprintf(j->prev, sizeof(j->prev), "%s",
		    (const char *)sqlite3_column_text(st, 1));
	if (rc == SQLITE_ROW && last != NULL && strcmp(last, j->now) > 0) {
		crm_err_set(e, EX_DATAERR,
		    "journey '%s' last ran as of %s: --as-of %s is before it, "
		    "refused",
		    j->d->name, last, j->now);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : fail(j, e, "cannot read the runs");
}

/* Whether name is a fact a run can give. */
static int
known_fact(struct crm_journey *j, const char *name)
{
	size_t i;

	for (i = 0; i < NOWN; i++)
		if (strcasecmp(name, own_facts[i]) == 0) {
			if (strncasecmp(name, "tags_", 5) == 0)
				j->changes = 1;
			return 1;
		}
	return strcasecmp(name, "customer_id") == 0 ||
	       crm_desk_customer_field(j->desk, name);
}

/* Compile the expressions and find the facts they use; 0 or -1. */
static int
compile(struct crm_journey *j, struct crm_err *e)
{
	const struct crm_journey_def *d = j->d;
	const char **cand;
	const char *name;
	char hint[256];
	size_t i, k, u, nc;
	long a;

	if ((j->rules = crm_rules_new(e)) == NULL)
		return -1;
	for (i = 0; i < d->nstages; i++)
		if (crm_rules_add(j->rules, d->stage[i].cond, d->path,
			d->stage[i].line, e) < 0)
			return -1;
	for (i = 0; i < d->nexits; i++)
		if (crm_rules_add(j->rules, d->exit[i].cond, d->path,
			d->exit[i].line, e) < 0)
			return -1;
	j->act_names = calloc(crm_rules_nnames(j->rules) + 1, sizeof(char *));
	if (j->act_names == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < crm_rules_nnames(j->rules); i++) {
		name = crm_rules_name(j->rules, i);
		a = crm_activity_find(name, strlen(name));
		if (a >= 0) {
			j->act_names[j->nact++] = crm_activity_name((size_t)a);
			continue;
		}
		if (known_fact(j, name))
			continue;
		nc = crm_activity_count() + NOWN;
		if ((cand = calloc(nc, sizeof(*cand))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		for (k = 0; k < crm_activity_count(); k++)
			cand[k] = crm_activity_name(k);
		for (k = 0; k < NOWN; k++)
			cand[crm_activity_count() + k] = own_facts[k];
		crm_suggest_list_hint(hint, sizeof(hint), name, cand, nc);
		free(cand);
		u = crm_rules_name_user(j->rules, i);
		e->file = crm_rules_file(j->rules, u);
		e->line = crm_rules_line(j->rules, u);
		crm_err_field(e, name, strlen(name));
		return crm_err_set(e, EX_DATAERR,
		    "no such fact: not an activity feature (crm-tag(1)), a "
		    "customer field of the store nor a journey fact%s",
		    hint);
	}
	return 0;
}

struct crm_journey *
crm_journey_open(struct crm_store *s, const struct crm_journey_def *d,
    enum crm_by by, struct crm_err *e)
{
	struct crm_journey *j;
	size_t i;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	j->d = d;
	j->s = s;
	j->by = by;
	crm_buf_init(&j->buf);
	crm_buf_init(&j->why);
	crm_batch_init(&j->batch, s, 1000);
	crm_clock_iso(j->now);
	crm_clock_day(j->day);
	j->t = crm_clock_now();
	if (crm_by_resolve(s, &j->by, e) == -1 || check_last_run(j, e) == -1)
		goto fail;
	for (i = 0; i < S_N; i++)
		if (sqlite3_prepare_v3(crm_store_db(s),
			j->by == CRM_BY_PERSON && person_sql[i] != NULL
			    ? person_sql[i]
			    : sql[i],
			-1, SQLITE_PREPARE_PERSISTENT, &j->st[i],
			NULL) != SQLITE_OK) {
			fail(j, e, "cannot prepare the journey");
			goto fail;
		}
	if ((j->desk = crm_desk_open(s, j->by, e)) == NULL ||
	    compile(j, e) == -1 ||
	    (j->consent = crm_consent_open(s, e)) == NULL ||
	    (j->audit = crm_audit_open_batch(
		 s, &j->batch, "crm-journey", d->name, 0, e)) == NULL)
		goto fail;
	if ((j->facts = crm_rec_new()) == NULL ||
	    (j->cust = crm_rec_new()) == NULL ||
	    (j->out = crm_rec_new()) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	return j;
fail:
	crm_journey_free(j);
	return NULL;
}

int
crm_journey_source(
    struct crm_journey *j, struct crm_source *src, struct crm_err *e)
{
	struct crm_activity_opts o;

	memset(&o, 0, sizeof(o));
	o.as_of = j->day;
	o.names = j->act_names;
	o.nnames = j->nact;
	o.id_field = "customer_id";
	o.by = j->by;
	o.one_per_person = 1;
	return crm_activity_source(j->s, &o, 0, src, e);
}

void
crm_journey_attach(struct crm_journey *j, struct crm_filter *f)
{
	j->f = f;
}

const struct crm_journey_counts *
crm_journey_counts(const struct crm_journey *j)
{
	return &j->n;
}

/* Read the state of subject id into *s; 0 or -1. */
static int
read_state(
    struct crm_journey *j, const char *id, struct state *s, struct crm_err *e)
{
	sqlite3_stmt *st = j->st[S_STATE];
	const char *v;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	sqlite3_bind_text(st, 1, j->d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, j->day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->now, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->known = 1;
		v = (const char *)sqlite3_column_text(st, 0);
		for (i = 0; v != NULL && i < j->d->nstages; i++)
			if (strcmp(j->d->stage[i].name, v) == 0)
				break;
		s->stage = i;
		v = (const char *)sqlite3_column_text(st, 1);
		s->final = v != NULL && strcmp(v, "active") != 0 &&
			   strcmp(v, "waiting") != 0;
		s->tries = (long)sqlite3_column_int64(st, 2);
		v = (const char *)sqlite3_column_text(st, 3);
		s->capped = v != NULL && strncmp(v, "capped", 6) == 0;
		v = (const char *)sqlite3_column_text(st, 4);
		snprintf(s->since, sizeof(s->since), "%s", v ? v : j->now);
		s->days_j = sqlite3_column_int64(st, 5);
		s->days_s = sqlite3_column_int64(st, 6);
		s->due = sqlite3_column_int(st, 7);
		/* a stage no longer in the file: the journey is over */
		if (s->stage == j->d->nstages)
			s->final = 1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		   ? 0
		   : fail(j, e, "cannot read the journey's state");
}

/*
 * Whether customer id's consent for purpose is withdrawn: of any record
 * of its person, per person (consent.h).  1, 0 or -1.
 */
static int
withdrawn(struct crm_journey *j, const char *id, const char *purpose,
    struct crm_err *e)
{
	return crm_consent_withdrawn_by(
	    j->consent, j->by, id, strlen(id), purpose, e);
}

/*
 * Add the tags of customer id that entered (S_ENTERED) or left (S_LEFT)
 * since the journey's previous run to j->facts as name, null when the
 * expressions do not read them; 0 or -1.
 */
static int
changed(struct crm_journey *j, const char *id, int which, const char *name,
    struct crm_err *e)
{
	sqlite3_stmt *st = j->st[which];
	const char *v = NULL;
	int rc, bad;

	if (!j->changes)
		return crm_rec_add(
			   j->facts, name, strlen(name), "", 0, CRM_NULL) == -1
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (*j->prev != '\0')
		sqlite3_bind_text(st, 2, j->prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->now, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = (const char *)sqlite3_column_text(st, 0);
	bad = crm_rec_add(j->facts, name, strlen(name), v ? v : "",
	    v ? strlen(v) : 0, CRM_STRING);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return fail(j, e, "cannot read the tags' history");
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* The journey's facts of the customer into j->facts; 0 or -1. */
static int
own(struct crm_journey *j, const char *id, const struct state *s,
    struct crm_err *e)
{
	struct crm_rec *f = j->facts;
	const char *p;
	size_t i, k;
	int w, bad = 0;

	crm_rec_clear(f);
	crm_buf_reset(&j->buf);
	for (i = 0; i < j->d->nchannels; i++) {
		p = j->d->channel[i].purpose;
		for (k = 0; k < i; k++)
			if (strcmp(j->d->channel[k].purpose, p) == 0)
				break;
		if (k < i)
			continue;
		if ((w = withdrawn(j, id, p, e)) == -1)
			return -1;
		if (w && crm_buf_addf(&j->buf, "%s%s",
			     j->buf.len > 0 ? "," : "", p) == -1)
			bad = 1;
	}
	if (s->known) {
		p = j->d->stage[s->stage].name;
		bad |= crm_rec_add(f, "stage", 5, p, strlen(p), CRM_STRING);
		bad |= crm_rec_add_num(f, "tries", "%.0f", (double)s->tries);
		bad |= crm_rec_add_num(
		    f, "days_in_journey", "%.0f", (double)s->days_j);
		bad |= crm_rec_add_num(
		    f, "days_in_stage", "%.0f", (double)s->days_s);
	} else {
		for (i = 0; i < 4; i++)
			bad |= crm_rec_add(f, own_facts[i],
			    strlen(own_facts[i]), "", 0, CRM_NULL);
	}
	bad |= crm_rec_add(f, "withdrawn", 9, j->buf.len ? j->buf.p : "",
	    j->buf.len, CRM_STRING);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return changed(j, id, S_ENTERED, "tags_entered", e) == -1 ||
		       changed(j, id, S_LEFT, "tags_left", e) == -1
		   ? -1
		   : 0;
}

/*
 * Write the state of subject id: stage k (NULL: none), status, next_at
 * (NAN: none), tries, reason; 0 or -1.
 */
static int
put_state(struct crm_journey *j, const char *id, size_t k, const char *status,
    const char *since, double next, long tries, const char *reason,
    struct crm_err *e)
{
	sqlite3_stmt *st = j->st[S_PUT];

	sqlite3_bind_text(st, 1, j->d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	bind_str(st, 3, k < j->d->nstages ? j->d->stage[k].name : NULL);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->now, -1, SQLITE_STATIC);
	bind_str(st, 6, since);
	if (isnan(next))
		sqlite3_bind_null(st, 7);
	else
		sqlite3_bind_int64(st, 7, (sqlite3_int64)next);
	sqlite3_bind_int64(st, 8, tries);
	bind_str(st, 9, reason);
	return run_once(j, st, "cannot write the journey's state", e);
}

/*
 * Audit a decision about subject id: output what, at stage k (nstages:
 * none), try (0: none), why.  0 or -1.
 */
static int
decide(struct crm_journey *j, const char *id, const char *what, size_t k,
    long try, const char *why, struct crm_err *e)
{
	const struct crm_journey_stage *st = k < j->d->nstages ? &j->d->stage[k]
							       : NULL;
	struct crm_jw w;

	crm_buf_reset(&j->why);
	crm_jw_init(&w, &j->why);
	crm_jw_obj(&w);
	crm_jw_key(&w, "journey");
	crm_jw_str(&w, j->d->name);
	if (st != NULL) {
		crm_jw_key(&w, "stage");
		crm_jw_str(&w, st->name);
		crm_jw_key(&w, "channel");
		crm_jw_str(&w, j->d->channel[st->channel].name);
		crm_jw_key(&w, "template");
		crm_jw_str(&w, st->template);
	}
	if (try > 0) {
		crm_jw_key(&w, "try");
		crm_jw_int(&w, try);
	}
	crm_jw_key(&w, "reason");
	crm_jw_str(&w, why);
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_audit_add(j->audit, j->d->name, strlen(j->d->name), id,
	    strlen(id), what, strlen(what), NAN, j->why.p, j->why.len, e);
}

/* The actions on channel c of id in its cap's window: 1 over, 0, -1. */
static int
over_cap(struct crm_journey *j, const char *id,
    const struct crm_journey_channel *c, struct crm_err *e)
{
	sqlite3_stmt *st = j->st[S_CAP];
	long long n;
	int rc;

	if (c->cap == 0)
		return 0;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(
	    st, 3, (sqlite3_int64)(j->t - (double)c->cap_window));
	sqlite3_bind_text(st, 4, j->now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return fail(j, e, "cannot count the channel's actions");
	return n >= c->cap;
}

/* Send try of stage k to id: its action row and record; 0 or -1. */
static int
send(struct crm_journey *j, const char *id, size_t k, long try,
    const char *reason, struct crm_err *e)
{
	const struct crm_journey_stage *st = &j->d->stage[k];
	const char *ch = j->d->channel[st->channel].name;
	sqlite3_stmt *a = j->st[S_ACTION];
	struct crm_rec *r = j->out;
	int bad = 0;

	sqlite3_bind_text(a, 1, j->now, -1, SQLITE_STATIC);
	sqlite3_bind_text(a, 2, j->d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(a, 3, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(a, 4, st->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(a, 5, ch, -1, SQLITE_STATIC);
	sqlite3_bind_text(a, 6, st->template, -1, SQLITE_STATIC);
	sqlite3_bind_int64(a, 7, try);
	sqlite3_bind_text(a, 8, reason, -1, SQLITE_TRANSIENT);
	if (run_once(j, a, "cannot write the action", e) == -1)
		return -1;
	/* the same action again (a rerun): nothing to send */
	if (sqlite3_changes(crm_store_db(j->s)) == 0)
		return 0;
	if (decide(j, id, "sent", k, try, reason, e) == -1)
		return -1;
	j->n.sent++;
	crm_rec_clear(r);
	bad |= crm_rec_add(r, "customer_id", 11, id, strlen(id), CRM_STRING);
	bad |= crm_rec_add(
	    r, "journey", 7, j->d->name, strlen(j->d->name), CRM_STRING);
	bad |=
	    crm_rec_add(r, "stage", 5, st->name, strlen(st->name), CRM_STRING);
	bad |= crm_rec_add(r, "channel", 7, ch, strlen(ch), CRM_STRING);
	bad |= crm_rec_add(
	    r, "template", 8, st->template, strlen(st->template), CRM_STRING);
	bad |= crm_rec_add_num(r, "try", "%.0f", (double)try);
	bad |= crm_rec_add(r, "reason", 6, reason, strlen(reason), CRM_STRING);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_filter_emit(j->f, r, e);
}

/*
 * Subject id leaves stage s->stage: to the next (1), or, after the last,
 * done (0); -1 with e filled.
 */
static int
next_stage(
    struct crm_journey *j, const char *id, struct state *s, struct crm_err *e)
{
	const struct crm_journey_def *d = j->d;

	if (s->stage + 1 < d->nstages) {
		s->stage++;
		s->tries = 0;
		s->days_s = 0;
		snprintf(s->since, sizeof(s->since), "%s", j->now);
		return 1;
	}
	j->n.done++;
	if (put_state(j, id, s->stage, "done", s->since, NAN, s->tries, "done",
		e) == -1 ||
	    decide(j, id, "done", d->nstages, 0, "past the last stage", e) ==
		-1)
		return -1;
	return 0;
}

/*
 * The expressions again for id at its new stage s->stage: its stage,
 * tries and days_in_stage are the new stage's.  0, or the rules' < 0.
 */
static int
again(struct crm_journey *j, const char *id, const struct state *s,
    struct crm_err *e)
{
	int rc;

	if (own(j, id, s, e) == -1)
		return -1;
	rc = crm_rules_eval(j->rules, j->src, 3, e);
	return rc < 0 ? rc : 0;
}

/*
 * Advance subject id, whose wait is over, from stage s->stage with
 * s->tries sent there: send, retry, pass to the next stage or end.  0 or
 * -1.
 */
static int
advance(
    struct crm_journey *j, const char *id, struct state *s, struct crm_err *e)
{
	const struct crm_journey_def *d = j->d;
	const struct crm_journey_stage *st;
	const struct crm_journey_channel *c;
	char why[512];
	int w;

	for (;;) {
		st = &d->stage[s->stage];
		c = &d->channel[st->channel];
		if (!crm_rules_match(j->rules, s->stage) ||
		    s->tries > st->retries) {
			/* a stage never tried is a decision: say so */
			if (s->tries == 0) {
				snprintf(why, sizeof(why), "not %s", st->cond);
				if (decide(j, id, "skipped", s->stage, 0, why,
					e) == -1)
					return -1;
			}
			if ((w = next_stage(j, id, s, e)) != 1 ||
			    (w = again(j, id, s, e)) != 0)
				return w;
			continue;
		}
		if ((w = withdrawn(j, id, c->purpose, e)) == -1)
			return -1;
		if (w) {
			snprintf(why, sizeof(why), "consent for %s withdrawn",
			    c->purpose);
			j->n.suppressed++;
			if (decide(j, id, "suppressed", s->stage, s->tries + 1,
				why, e) == -1 ||
			    (w = next_stage(j, id, s, e)) != 1 ||
			    (w = again(j, id, s, e)) != 0)
				return w;
			continue;
		}
		if ((w = over_cap(j, id, c, e)) == -1)
			return -1;
		if (w) {
			snprintf(why, sizeof(why), "capped: %s %s", c->name,
			    c->cap_text);
			if (put_state(j, id, s->stage, "active", s->since, j->t,
				s->tries, why, e) == -1)
				return -1;
			if (s->capped)
				return 0; /* said at an earlier run */
			j->n.capped++;
			return decide(
			    j, id, "capped", s->stage, s->tries + 1, why, e);
		}
		if (s->tries == 0)
			snprintf(why, sizeof(why), "%s", st->cond);
		else
			snprintf(why, sizeof(why), "retry %ld of %ld: %s",
			    s->tries, st->retries, st->cond);
		s->tries++;
		if (put_state(j, id, s->stage, "waiting", s->since,
			j->t + (double)st->wait, s->tries, "sent", e) == -1)
			return -1;
		return send(j, id, s->stage, s->tries, why, e);
	}
}

/*
 * Commit the open batch, its actions written out first: a run killed
 * before the commit may write them again when run again, one killed after
 * it has written them all, and none is lost.  Nothing is committed when
 * the output failed.  0 or -1.
 */
static int
commit(struct crm_journey *j, struct crm_err *e)
{
	if (crm_filter_flush(j->f) != 0)
		return crm_err_set(e, EX_IOERR,
		    "the actions could not be written: not committed");
	return crm_batch_commit(&j->batch, e);
}

/* Note the run in journey_runs, adding n actions to its count; 0 or -1. */
static int
note_run(struct crm_journey *j, unsigned long long n, struct crm_err *e)
{
	sqlite3_stmt *st = j->st[S_RUN];

	sqlite3_bind_text(st, 1, j->d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
	if (run_once(j, st, "cannot record the run", e) == -1)
		return -1;
	j->noted = 1;
	return 0;
}

/* One customer (person) of the run; 0 or -1. */
static int
step(
    struct crm_journey *j, const char *id, struct crm_rec *r, struct crm_err *e)
{
	const struct crm_journey_def *d = j->d;
	struct crm_rules_src *src = j->src;
	struct state s;
	size_t i;
	char why[512];
	int rc;

	if (read_state(j, id, &s, e) == -1)
		return -1;
	if (s.final)
		return 0;
	if (own(j, id, &s, e) == -1 ||
	    crm_desk_customer(j->desk, id, strlen(id), j->cust, e) == -1)
		return -1;
	src[0].rec = j->facts;
	src[0].untyped = 0;
	src[1].rec = r;
	src[1].untyped = 0;
	src[2].rec = j->cust;
	src[2].untyped = 0;
	if ((rc = crm_rules_eval(j->rules, src, 3, e)) < 0)
		return rc;
	for (i = 0; i < d->nexits; i++)
		if (crm_rules_match(j->rules, d->nstages + i))
			break;
	/* a full batch is committed here, between customers, its actions
	 * written first, and the next one opened (the audit may count its
	 * row as begun already) */
	if (j->batch.open && j->batch.pending >= j->batch.max &&
	    (commit(j, e) == -1 || crm_batch_add(&j->batch, e) == -1))
		return -1;
	if (crm_audit_begin(j->audit, e) == -1)
		return -1;
	/* the run is noted with its first batch: one killed after a commit
	 * still refuses an earlier --as-of */
	if (!j->noted && note_run(j, 0, e) == -1)
		return -1;
	if (!s.known) {
		if (i < d->nexits || !crm_rules_match(j->rules, 0))
			return 0;
		j->n.entered++;
		snprintf(s.since, sizeof(s.since), "%s", j->now);
		if (put_state(j, id, 0, "active", j->now, j->t, 0, "entered",
			e) == -1 ||
		    decide(j, id, "entered", 0, 0, d->stage[0].cond, e) == -1)
			return -1;
		s.known = s.due = 1;
	} else if (i < d->nexits) {
		snprintf(why, sizeof(why), "%s %s: %s",
		    d->exit[i].goal ? "goal" : "exit", d->exit[i].name,
		    d->exit[i].cond);
		if (d->exit[i].goal)
			j->n.converted++;
		else
			j->n.exited++;
		if (put_state(j, id, s.stage,
			d->exit[i].goal ? "converted" : "exited", s.since, NAN,
			s.tries, why, e) == -1)
			return -1;
		return decide(j, id, d->exit[i].goal ? "converted" : "exited",
		    s.stage, 0, why, e);
	}
	return s.due ? advance(j, id, &s, e) : 0;
}

static int
ops_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_journey *j = arg;
	const char *id;
	size_t len;
	char *copy;
	int rc;

	*drop = 1;
	if ((id = crm_rec_text(r, "customer_id", &len)) == NULL)
		return 0;
	if ((copy = strndup(id, len)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	rc = step(j, copy, r, e);
	free(copy);
	/* over a limit of the rules: their fault, not the customer's */
	if (rc == CRM_RULES_LIMIT)
		return CRM_FILTER_FATAL;
	return rc < 0 ? -1 : 0;
}

static int
ops_finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct crm_journey *j = arg;

	(void)f;
	if (crm_batch_add(&j->batch, e) == -1 ||
	    note_run(j, j->n.sent, e) == -1)
		return -1;
	return commit(j, e);
}

static const struct crm_filter_ops ops = {
	.record = ops_record,
	.finish = ops_finish,
};

const struct crm_filter_ops *
crm_journey_ops(void)
{
	return &ops;
}

void
crm_journey_free(struct crm_journey *j)
{
	struct crm_err e;
	size_t i;

	if (j == NULL)
		return;
	crm_err_clear(&e);
	crm_audit_close(j->audit, &e);
	if (j->batch.open)
		sqlite3_exec(crm_store_db(j->s), "ROLLBACK", NULL, NULL, NULL);
	crm_consent_close(j->consent);
	crm_desk_close(j->desk);
	crm_rules_free(j->rules);
	free(j->act_names);
	for (i = 0; i < S_N; i++)
		sqlite3_finalize(j->st[i]);
	crm_rec_free(j->facts);
	crm_rec_free(j->cust);
	crm_rec_free(j->out);
	crm_buf_release(&j->buf);
	crm_buf_release(&j->why);
	free(j);
}

/*
 * A subject's state and actions go; its name is the customer's id, or a
 * person's named after it.  The runs hold no customer's data.
 */
const struct crm_erase_step crm_journey_erase[] = {
	{ "journey_state", "deleted",
	    "DELETE FROM journey_state WHERE " CRM_ERASE_NAMED("subject") },
	{ "journey_actions", "deleted",
	    "DELETE FROM journey_actions WHERE " CRM_ERASE_NAMED("subject") },
	{ NULL, NULL, NULL },
};
