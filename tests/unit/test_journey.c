/*
 * test_journey: unit tests of the journey file (lib/journey.c): what a
 * good file gives, and each bad line named by file:line; a run commits
 * no action it has not written out.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "filter.h"
#include "journey.h"
#include "tap.h"

static char tmpl[] = "/tmp/test_journey.XXXXXX";

static void
test_good(void)
{
	struct crm_journey_def d;
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	rc = crm_journey_read(&d,
	    tap_write(tmpl, "# a journey\n"
			    "journey: winback\n"
			    "channel email cap=2/7d: marketing_email\n"
			    "channel sms: sms\n"
			    "goal converted: days_since_last_order < "
			    "days_in_journey\n"
			    "exit unsubscribed: has(withdrawn, "
			    "'marketing_email')\n"
			    "stage nudge channel=email template=wake-up "
			    "wait=3d "
			    "retries=2:\n"
			    "\tdays_since_last_order >= 30\n"
			    "stage offer channel=sms template=discount-10: "
			    "churn_risk >= 0.5\n"),
	    &e);
	TAP_OK(rc == 0, "a good file is read (%s)", e.msg);
	if (rc != 0)
		return;
	TAP_STR(d.name, "winback", "the journey's name");
	TAP_OK(d.nchannels == 2 && d.nstages == 2 && d.nexits == 2, "2 "
								    "channels, "
								    "2 stages, "
								    "2 exits");
	TAP_STR(d.channel[0].purpose, "marketing_email", "email's purpose");
	TAP_OK(d.channel[0].cap == 2 && d.channel[0].cap_window == 7 * 86400,
	    "email's cap: 2 in 7 days");
	TAP_STR(d.channel[0].cap_text, "2/7d", "the cap as written");
	TAP_OK(d.channel[1].cap == 0 && d.channel[1].cap_text == NULL, "sms: "
								       "no "
								       "cap");
	TAP_OK(d.stage[0].channel == 0 && d.stage[0].wait == 3 * 86400 &&
		   d.stage[0].retries == 2 && d.stage[0].line == 7,
	    "nudge: email, 3 days, 2 retries, line 7");
	TAP_STR(d.stage[0].cond, "days_since_last_order >= 30",
	    "a condition on the continuation line");
	TAP_STR(d.stage[0].template, "wake-up", "the template");
	TAP_OK(d.stage[1].channel == 1 && d.stage[1].wait == 0 &&
		   d.stage[1].retries == 0,
	    "offer: sms, no wait, no retries by default");
	TAP_OK(d.exit[0].goal && !d.exit[1].goal, "a goal, an exit");
	TAP_STR(d.exit[1].cond, "has(withdrawn, 'marketing_email')",
	    "the exit's condition");
	crm_journey_def_release(&d);
}

/* A bad file: refused at line, its message holding want. */
static void
bad(const char *text, unsigned long line, const char *want)
{
	struct crm_journey_def d;
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	rc = crm_journey_read(&d, tap_write(tmpl, text), &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR && e.line == line &&
		   e.file == tmpl && strstr(e.msg, want) != NULL,
	    "refused at line %lu (want %lu): %s", e.line, line, e.msg);
	TAP_OK(d.name == NULL && d.stage == NULL && d.nstages == 0, "nothing "
								    "left to "
								    "free");
}

#define HEAD "journey: j\nchannel email: marketing_email\n"

static void
test_bad(void)
{
	bad(HEAD "stag s channel=email template=t: 1\n", 3,
	    "did you mean 'stage'?");
	bad(HEAD "stage s channel=sms template=t: 1\n", 3, "no channel 'sms'");
	bad(HEAD "stage s channel=email: 1\n", 3,
	    "needs channel=NAME and "
	    "template=NAME");
	bad(HEAD "stage s channel=email template=t wait=3x: 1\n", 3,
	    "bad wait '3x'");
	bad(HEAD "stage s channel=email template=t wait=0d: 1\n", 3,
	    "bad wait '0d'");
	bad(HEAD "stage s channel=email template=t retries=101: 1\n", 3,
	    "bad retries '101'");
	bad(HEAD "stage s channel=email template=t delay=1d: 1\n", 3,
	    "no setting 'delay'");
	bad(HEAD "stage s channel=email template=t: 1\n"
		 "stage s channel=email template=u: 1\n",
	    4, "stage 's' given twice");
	bad(HEAD "stage s/x channel=email template=t: 1\n", 3,
	    "bad stage name 's/x'");
	bad(HEAD "stage: 1\n", 3, "want 'stage NAME ...: ...'");
	bad(HEAD "stage s channel=email template=t template=u: 1\n", 3,
	    "twice");
	bad("journey: j\nchannel email cap=0/7d: marketing_email\n", 2,
	    "bad cap '0/7d'");
	bad("journey: j\nchannel email cap=2: marketing_email\n", 2,
	    "bad cap '2'");
	bad("journey: j\nchannel email: two words\n", 2, "bad purpose");
	bad("journey: j\nchannel email: a\nchannel email: b\n", 3,
	    "channel 'email' given twice");
	bad("journey: j\njourney: k\n", 2, "a second journey line");
	bad("journey x: j\n", 1, "want 'journey: NAME'");
	bad(HEAD "goal g: 1\nexit g: 2\n", 4, "'g' given twice");
	bad(HEAD "no separator here\n", 3, "");
	bad(HEAD, 0, "no stage line");
	bad("channel email: m\nstage s channel=email template=t: 1\n", 0,
	    "no journey line");
}

static void
test_missing(void)
{
	struct crm_journey_def d;
	struct crm_err e;

	crm_err_clear(&e);
	TAP_OK(crm_journey_read(&d, "/nonexistent/j", &e) == -1 &&
		   e.code == EX_NOINPUT,
	    "a file that is not there: EX_NOINPUT (%s)", e.msg);
}

/* At each commit of a run: the actions sent so far, and those written. */
struct commits {
	const char *out;
	struct crm_journey *j;
	unsigned long n, short_of; /* commits, and those short of the sent */
};

static int
on_commit(void *arg)
{
	struct commits *c = arg;
	unsigned long long lines = 0;
	FILE *fp = fopen(c->out, "r");
	int ch, bol = 1;

	while (fp != NULL && (ch = getc(fp)) != EOF) {
		lines += bol && ch == 'K';
		bol = ch == '\n';
	}
	if (fp != NULL)
		fclose(fp);
	c->n++;
	if (c->j != NULL && lines < crm_journey_counts(c->j)->sent)
		c->short_of++;
	return 0;
}

/*
 * A run at 03-03 killed after its first batch (the
 * rest rolled back): a run at 03-02 is refused after it.
 */
static void
killed(struct crm_store *s, const struct crm_journey_def *d)
{
	struct crm_filter_opts fo = {
		.in_fmt = CRM_FMT_AUTO, .out_fmt = CRM_FMT_TSV, .max_errors = -1
	};
	struct crm_rec *r = crm_rec_new();
	struct crm_journey *j;
	struct crm_source src;
	struct crm_filter *f;
	struct crm_err e;
	const char *why;
	int i, drop, fd, saved;

	crm_err_clear(&e);
	crm_clock_set("2026-03-03T23:00:00Z", &why);
	j = crm_journey_open(s, d, CRM_BY_RECORD, &e);
	if (j == NULL || crm_journey_source(j, &src, &e) == -1) {
		TAP_OK(0, "the journey at 03-03 (%s)", e.msg);
		crm_journey_free(j);
		crm_rec_free(r);
		return;
	}
	f = crm_filter_new(&fo, crm_journey_ops(), j, &e);
	crm_journey_attach(j, f);
	fflush(stdout);
	saved = dup(1);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 1);
	close(fd);
	for (i = 0; i < 2400 && src.next(src.arg, r, &e) == 1; i++)
		crm_journey_ops()->record(j, r, &drop, &e);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	if (src.close != NULL)
		src.close(src.arg);
	crm_filter_free(f);
	crm_journey_free(j);
	crm_rec_free(r);
	crm_err_clear(&e);
	crm_clock_set("2026-03-02T23:00:00Z", &why);
	j = crm_journey_open(s, d, CRM_BY_RECORD, &e);
	TAP_OK(j == NULL && e.code == EX_DATAERR &&
		   strstr(e.msg, "last ran as of 2026-03-03") != NULL,
	    "after a run killed at 03-03, 03-02 is refused (%s)", e.msg);
	crm_journey_free(j);
}

/*
 * A run of 2500 customers, every other one entering, its output a file:
 * when a batch of customers commits, every action it sent is in the file
 * already, so that a run killed after a commit has lost none (run again,
 * it sends them not); every write is in a batch (no decision logged
 * outside a transaction, EX_SOFTWARE).
 */
static void
test_commit_written(void)
{
	static char dir[] = "/tmp/test_journey_run.XXXXXX";
	struct crm_filter_opts fo = {
		.in_fmt = CRM_FMT_AUTO, .out_fmt = CRM_FMT_TSV, .max_errors = -1
	};
	char db[sizeof(dir) + 8], out[sizeof(dir) + 8], jf[sizeof(dir) + 16];
	struct commits c = { out, NULL, 0, 0 };
	struct crm_journey_def d;
	struct crm_journey *j;
	struct crm_source src;
	struct crm_store *s;
	struct crm_filter *f;
	struct crm_err e;
	FILE *fp;
	int fd, saved, rc;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(db, sizeof(db), "%s/crm.db", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(jf, sizeof(jf), "%s/k.journey", dir);
	if ((fp = fopen(jf, "w")) == NULL)
		return;
	fputs("journey: k\nchannel email: marketing_email\n"
	      "stage a channel=email template=t:\n"
	      "  CAST(substr(customer_id, 2) AS INTEGER) % 2 > 0\n",
	    fp);
	fclose(fp);
	crm_err_clear(&e);
	crm_clock_set("2026-03-01T23:00:00Z", NULL);
	s = crm_store_open(db, 0, &e);
	TAP_OK(s != NULL, "a store (%s)", e.msg);
	if (s == NULL)
		return;
	TAP_OK(sqlite3_exec(crm_store_db(s),
		   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		   " FROM n WHERE i < 2500) INSERT INTO customers(customer_id)"
		   " SELECT printf('K%05d', i) FROM n",
		   NULL, NULL, NULL) == SQLITE_OK,
	    "2500 customers");
	rc = crm_journey_read(&d, jf, &e);
	j = rc == 0 ? crm_journey_open(s, &d, CRM_BY_RECORD, &e) : NULL;
	TAP_OK(j != NULL && crm_journey_source(j, &src, &e) == 0,
	    "the journey opened (%s)", e.msg);
	if (j == NULL)
		return;
	f = crm_filter_new(&fo, crm_journey_ops(), j, &e);
	crm_journey_attach(j, f);
	c.j = j;
	sqlite3_commit_hook(crm_store_db(s), on_commit, &c);
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = crm_filter_run_source(f, &src);
	rc = crm_filter_finish(f, rc);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	sqlite3_commit_hook(crm_store_db(s), NULL, NULL);
	TAP_OK(rc == 0 && crm_journey_counts(j)->sent == 1250,
	    "the run sent 1250 actions (status %d)", rc);
	TAP_OK(c.n >= 2 && c.n <= 4 && c.short_of == 0,
	    "%lu of %lu commits came before their actions were written",
	    c.short_of, c.n);
	crm_filter_free(f);
	crm_journey_free(j);
	killed(s, &d);
	crm_journey_def_release(&d);
	crm_store_close(s);
	unlink(out);
	unlink(jf);
	tap_rm_store(dir);
}

int
main(void)
{
	int fd = mkstemp(tmpl);

	if (fd == -1)
		return 1;
	close(fd);
	test_good();
	test_bad();
	test_missing();
	test_commit_written();
	unlink(tmpl);
	return tap_done();
}
