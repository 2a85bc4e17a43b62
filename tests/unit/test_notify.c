/*
 * test_notify: the notifications of a store made by crm_store_open in a
 * temporary directory: queued (written to the file), deferred in the
 * quiet hours of the customer's zone (Asia/Shanghai from "tz", New York
 * from "time_zone", the options' zone for a customer with a bad one or
 * none), suppressed for a withdrawn consent, the language from the
 * customer, the ticket or "en", released when the quiet hours end, the
 * file's lines, and erasure; a bad zone and a file that cannot be opened
 * refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "erase.h"
#include "norm.h"
#include "notify.h"
#include "tap.h"

static char dir[] = "/tmp/test_notify.XXXXXX";

static double
T(const char *iso)
{
	const char *why;
	double t = 0;

	crm_norm_seconds(iso, strlen(iso), &t, &why);
	return t;
}

/* The first column of the first row of q, into buf. */
static const char *
query(struct crm_store *s, const char *q, char *buf, size_t n)
{
	sqlite3_stmt *st;

	snprintf(buf, n, "%s", "(error)");
	if (sqlite3_prepare_v2(crm_store_db(s), q, -1, &st, NULL) != SQLITE_OK)
		return buf;
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, n, "%s",
		    sqlite3_column_text(st, 0) != NULL
			? (const char *)sqlite3_column_text(st, 0)
			: "(null)");
	sqlite3_finalize(st);
	return buf;
}

static int
add(struct crm_notify *n, const char *cust, const char *ticket,
    const char *lang, const char *now, struct crm_err *e)
{
	return crm_notify_add(n, cust, cust != NULL ? strlen(cust) : 0, ticket,
	    strlen(ticket), "solved", "ticket_solved", lang, T(now), e);
}

/* The erase report's rows for the notifications table. */
static long erased = -1;

static void
on_erase(void *arg, const char *id, const char *table, const char *what,
    long rows, const char *detail)
{
	(void)arg;
	(void)id;
	(void)detail;
	if (strcmp(table, "notifications") == 0 && strcmp(what, "deleted") == 0)
		erased = rows;
}

static const char want_file[] =
    "{\"id\":2,\"time\":\"2026-06-01T14:00:00Z\",\"customer_id\":\"C2\","
    "\"ticket_id\":\"T2\",\"state\":\"solved\",\"template\":"
    "\"ticket_solved\",\"lang\":\"en\"}\n"
    "{\"id\":4,\"time\":\"2026-06-01T14:00:00Z\",\"customer_id\":\"C4\","
    "\"ticket_id\":\"T4\",\"state\":\"solved\",\"template\":"
    "\"ticket_solved\",\"lang\":\"de\"}\n"
    "{\"id\":5,\"time\":\"2026-06-01T14:00:00Z\",\"customer_id\":\"C5\","
    "\"ticket_id\":\"T5\",\"state\":\"solved\",\"template\":"
    "\"ticket_solved\",\"lang\":\"fr\"}\n"
    "{\"id\":1,\"time\":\"2026-06-01T14:00:00Z\",\"customer_id\":\"C1\","
    "\"ticket_id\":\"T1\",\"state\":\"solved\",\"template\":"
    "\"ticket_solved\",\"lang\":\"zh\"}\n";

static const char want_rows[] = "1 C1 queued 2026-06-02T00:00:00Z quiet hours "
				"in Asia/Shanghai zh|"
				"2 C2 queued - - en|"
				"3 C3 suppressed - consent withdrawn for "
				"ticket_updates en|"
				"4 C4 queued - - de|"
				"5 C5 queued - - fr";

#define ROWS                                                                   \
	"SELECT group_concat(id || ' ' || customer_id || ' ' || status || ' "  \
	"' "                                                                   \
	"|| coalesce(send_after, '-') || ' ' || coalesce(reason, '-') || ' ' " \
	"|| lang, '|') FROM (SELECT * FROM notifications ORDER BY id)"

int
main(void)
{
	struct crm_notify_opts o;
	struct crm_notify_counts c;
	struct crm_notify *n;
	struct crm_store *s;
	struct crm_err e;
	char db[256], out[256], buf[2048];
	const char *why;
	FILE *fp;
	size_t got;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/crm.db", dir);
	snprintf(out, sizeof(out), "%s/notify.jsonl", dir);
	crm_err_clear(&e);
	crm_clock_set("2026-06-01T12:00:00Z", &why);
	if ((s = crm_store_open(db, 0, &e)) == NULL) {
		printf("# %s\n", e.msg);
		return 1;
	}
	TAP_OK(sqlite3_exec(crm_store_db(s),
		   "INSERT INTO customers(customer_id, extra) VALUES"
		   " ('C1', '{\"tz\":\"Asia/Shanghai\",\"lang\":\"zh\"}'),"
		   " ('C2', '{\"time_zone\":\"America/New_York\"}'),"
		   " ('C3', NULL),"
		   " ('C4', "
		   "'{\"tz\":\"../../etc/passwd\",\"language\":\"de\"}');"
		   "INSERT INTO consent(customer_id, purpose, granted, time)"
		   " VALUES ('C3', 'ticket_updates', 0, '2026-01-01'),"
		   " ('C2', 'ticket_updates', 0, '2026-07-01'),"
		   " ('C4', 'marketing_email', 0, '2026-01-01')",
		   NULL, NULL, NULL) == SQLITE_OK,
	    "customers and consent");

	crm_notify_opts_init(&o);
	o.tz = "Mars/Olympus";
	TAP_OK(crm_notify_open(s, &o, &e) == NULL && e.code == EX_USAGE,
	    "a zone not known: %s", e.msg);
	crm_notify_opts_init(&o);
	o.out = "/nonexistent/dir/n.jsonl";
	TAP_OK(crm_notify_open(s, &o, &e) == NULL && e.code == EX_CANTCREAT,
	    "a file that cannot be made: %s", e.msg);

	crm_notify_opts_init(&o);
	o.out = out;
	o.tz = "Europe/Berlin";
	o.quiet_from = 21 * 60;
	o.quiet_to = 8 * 60;
	n = crm_notify_open(s, &o, &e);
	TAP_OK(n != NULL, "opened");
	if (n == NULL)
		return tap_done();
	crm_store_begin(s, &e);
	/* 14:00Z: 22:00 in Shanghai, 10:00 in New York, 16:00 in Berlin */
	TAP_OK(add(n, "C1", "T1", "en", "2026-06-01T14:00:00Z", &e) == 0 &&
		   add(n, "C2", "T2", NULL, "2026-06-01T14:00:00Z", &e) == 0 &&
		   add(n, "C3", "T3", NULL, "2026-06-01T14:00:00Z", &e) == 0 &&
		   add(n, "C4", "T4", "en", "2026-06-01T14:00:00Z", &e) == 0 &&
		   add(n, "C5", "T5", "fr", "2026-06-01T14:00:00Z", &e) == 0 &&
		   add(n, NULL, "T6", NULL, "2026-06-01T14:00:00Z", &e) == 0,
	    "six notifications: %s", e.msg);
	crm_notify_counts(n, &c);
	TAP_OK(c.queued == 3 && c.deferred == 1 && c.suppressed == 1 &&
		   c.released == 0,
	    "3 queued, 1 deferred, 1 suppressed, nobody for the sixth");
	TAP_OK(crm_notify_release(n, T("2026-06-01T23:59:59Z"), &e) == 0,
	    "07:59:59 in Shanghai: still quiet");
	TAP_OK(crm_notify_release(n, T("2026-06-02T00:00:00Z"), &e) == 1,
	    "08:00 in Shanghai: released");
	TAP_OK(crm_notify_release(n, T("2026-06-03T00:00:00Z"), &e) == 0, "rele"
									  "ased"
									  " onc"
									  "e");
	crm_notify_counts(n, &c);
	TAP_OK(c.released == 1, "counted");
	TAP_OK(crm_store_commit(s, &e) == 0, "committed");
	TAP_OK(crm_notify_close(n, &e) == 0, "closed");
	crm_notify_free(n);
	TAP_STR(query(s, ROWS, buf, sizeof(buf)), want_rows, "the rows");
	buf[0] = '\0';
	if ((fp = fopen(out, "r")) != NULL) {
		got = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[got] = '\0';
		fclose(fp);
	}
	TAP_STR(buf, want_file, "the file: the queued, then the released");

	/* appended, not replaced */
	n = crm_notify_open(s, &o, &e);
	crm_store_begin(s, &e);
	add(n, "C2", "T7", NULL, "2026-06-02T14:00:00Z", &e);
	crm_store_commit(s, &e);
	crm_notify_close(n, &e);
	crm_notify_free(n);
	if ((fp = fopen(out, "r")) != NULL) {
		got = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[got] = '\0';
		fclose(fp);
	}
	TAP_OK(
	    strncmp(buf, want_file, strlen(want_file)) == 0 &&
		strstr(buf + strlen(want_file), "\"ticket_id\":\"T7\"") != NULL,
	    "a second run appends");

	TAP_OK(crm_erase(s, "C1", on_erase, NULL, &e) == 0 && erased == 1,
	    "erasure deletes the customer's notification");
	TAP_STR(query(s,
		    "SELECT count(*) FROM notifications WHERE customer_id "
		    "= 'C1'",
		    buf, sizeof(buf)),
	    "0", "none left");
	TAP_OK(crm_erase(s, "C1", on_erase, NULL, &e) == 0 && erased == 0,
	    "a second erasure finds none");

	/* consent withdrawn while a notification waits: it is not sent */
	n = crm_notify_open(s, &o, &e);
	crm_store_begin(s, &e);
	add(n, "C2", "T8", NULL, "2026-06-03T03:00:00Z", &e);
	TAP_OK(sqlite3_exec(crm_store_db(s),
		   "INSERT INTO consent(customer_id, purpose, granted, time)"
		   " VALUES ('C2', 'ticket_updates', 0, '2026-06-01')",
		   NULL, NULL, NULL) == SQLITE_OK,
	    "23:00 in New York: deferred; C2 then withdraws consent");
	TAP_OK(crm_notify_release(n, T("2026-06-03T12:00:00Z"), &e) == 0,
	    "08:00 in New York: nothing released");
	crm_notify_counts(n, &c);
	TAP_OK(c.deferred == 1 && c.suppressed == 1 && c.released == 0, "counte"
									"d "
									"suppre"
									"ssed");
	TAP_STR(query(s,
		    "SELECT status || ' ' || reason FROM notifications"
		    " WHERE ticket_id = 'T8'",
		    buf, sizeof(buf)),
	    "suppressed consent withdrawn for ticket_updates",
	    "the row says why");
	crm_store_commit(s, &e);
	crm_notify_close(n, &e);
	crm_notify_free(n);

	/* a change of 12:00 in Berlin loaded at 22:00 there: it waits */
	crm_clock_set("2026-06-04T20:00:00Z", &why);
	n = crm_notify_open(s, &o, &e);
	crm_store_begin(s, &e);
	crm_notify_add(n, "C9", 2, "T9", 2, "solved", "ticket_solved", NULL,
	    T("2026-06-04T10:00:00Z"), &e);
	crm_store_commit(s, &e);
	crm_notify_free(n);
	TAP_STR(query(s,
		    "SELECT time || ' ' || status || ' ' || send_after FROM"
		    " notifications WHERE ticket_id = 'T9'",
		    buf, sizeof(buf)),
	    "2026-06-04T10:00:00Z deferred 2026-06-05T06:00:00Z",
	    "the quiet hours of the run, not of the change");
	crm_store_close(s);
	unlink(out);
	tap_rm_store(dir);
	return tap_done();
}
