/*
 * test_review: review rules read from a file, the first match naming the
 * review; the record's fields hiding the store's facts; the customer's
 * facts (customers columns, extra JSON keys, crm-tag's features) read
 * from the store, NULL
 * for an unknown customer; unknown fields refused with the rule's file
 * and line and a did-you-mean hint, facts needing a store; bad names,
 * bad SQL and an empty file refused; and the decisions' review column
 * logged through the audit log, in the content hash: clearing it breaks
 * the chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "audit.h"
#include "review.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/test_review.XXXXXX";
static char path[256], rules[256];

static void
write_rules(const char *text)
{
	FILE *fp = fopen(rules, "w");

	fputs(text, fp);
	fclose(fp);
}

/* The review of the decision {prob, action} about customer id, or "-". */
static const char *
eval(struct crm_review *rv, const char *prob, const char *action,
    const char *id, int *rc)
{
	struct crm_rules_src src;
	struct crm_rec *r = crm_rec_new();
	const char *name;
	struct crm_err e;

	crm_err_clear(&e);
	crm_rec_add(r, "churn_prob", 10, prob, strlen(prob), CRM_NUMBER);
	crm_rec_add(r, "action", 6, action ? action : "",
	    action ? strlen(action) : 0, action ? CRM_STRING : CRM_NULL);
	src.rec = r;
	src.untyped = 0;
	*rc = crm_review_eval(rv, &src, 1, id, id ? strlen(id) : 0, &name, &e);
	crm_rec_free(r);
	return name != NULL ? name : "-";
}

static void
test_no_store(void)
{
	struct crm_review *rv;
	struct crm_rec *hdr;
	const char *own[] = { "churn_prob", "action" };
	struct crm_err e;
	int rc;

	write_rules("# a comment\n"
		    "sure: churn_prob >= 0.9 AND action IS NOT NULL\n"
		    "\n"
		    "any_action: action IS NOT NULL\n");
	crm_err_clear(&e);
	rv = crm_review_new(rules, NULL, NULL, CRM_BY_RECORD, &e);
	TAP_OK(rv != NULL, "a rules file without a store: %s", e.msg);
	if (rv == NULL)
		return;
	TAP_STR(eval(rv, "0.95", "call", NULL, &rc), "sure",
	    "the first matching rule names the review");
	TAP_STR(eval(rv, "0.5", "call", NULL, &rc), "any_action",
	    "else the next one");
	TAP_STR(eval(rv, "0.95", NULL, NULL, &rc), "-",
	    "no action, no review (NULL is false)");
	TAP_OK(rc == 0, "evaluated");
	hdr = crm_rec_new();
	crm_rec_add(hdr, "customer_id", 11, "", 0, CRM_STRING);
	crm_err_clear(&e);
	TAP_OK(crm_review_check(rv, hdr, own, 2, &e) == 0,
	    "the tool's own fields are known: %s", e.msg);
	crm_err_clear(&e);
	{
		char want[512];

		snprintf(want, sizeof(want),
		    "no field 'action', which review rule 'sure' at %s:2 "
		    "reads (customer facts need --db)",
		    rules);
		TAP_OK(crm_review_check(rv, hdr, own, 1, &e) == -1 &&
			   e.code == EX_DATAERR && strcmp(e.msg, want) == 0,
		    "an unknown field names the rule's file and line: %s",
		    e.msg);
	}
	crm_rec_free(hdr);
	crm_review_free(rv);

	write_rules("typo: churn_prb > 0.5\n");
	rv = crm_review_new(rules, NULL, NULL, CRM_BY_RECORD, &e);
	hdr = crm_rec_new();
	crm_err_clear(&e);
	TAP_OK(rv != NULL && crm_review_check(rv, hdr, own, 2, &e) == -1 &&
		   strstr(e.msg, "did you mean 'churn_prob'?") != NULL,
	    "with a did-you-mean hint: %s", e.msg);
	crm_rec_free(hdr);
	crm_review_free(rv);
}

static void
test_bad(void)
{
	static const struct {
		const char *text, *msg;
		unsigned long line;
	} bad[] = {
		{ "ok: 1\nbad name: 1\n", "bad review name 'bad name'", 2 },
		{ "x: churn_prob >\n", "", 1 },
		{ "x: (SELECT 1 FROM customers)\n", "", 1 },
		{ "x 1\n", "", 1 },
		{ "# nothing\n", "no review rules", 0 },
	};
	struct crm_review *rv;
	struct crm_err e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_rules(bad[i].text);
		crm_err_clear(&e);
		rv = crm_review_new(rules, NULL, NULL, CRM_BY_RECORD, &e);
		TAP_OK(rv == NULL && e.code == EX_DATAERR &&
			   e.line == bad[i].line &&
			   strstr(e.msg, bad[i].msg) != NULL,
		    "refused, line %lu: %s", bad[i].line, e.msg);
		crm_review_free(rv);
	}
	crm_err_clear(&e);
	TAP_OK(crm_review_new(
		   "/nonexistent/r", NULL, NULL, CRM_BY_RECORD, &e) == NULL &&
		   e.code == EX_NOINPUT,
	    "no such file: EX_NOINPUT");
}

static void
test_store(void)
{
	struct crm_store *st;
	struct crm_review *rv;
	struct crm_audit *a;
	struct crm_audit_check c;
	struct crm_rec *hdr;
	struct crm_err e;
	const char *own[] = { "churn_prob", "action" }, *name;
	int rc;

	crm_err_clear(&e);
	if ((st = crm_store_open(path, 0, &e)) == NULL) {
		TAP_OK(0, "open the store: %s", e.msg);
		return;
	}
	TAP_OK(sqlite3_exec(crm_store_db(st),
		   "INSERT INTO customers(customer_id, name, extra) VALUES "
		   "('c1', 'Ada', '{\"tier\":\"vip\"}'), "
		   "('c2', 'Bo', '{\"tier\":\"standard\"}'); "
		   "INSERT INTO events(event_key, customer_id, time, type) "
		   "VALUES ('e1', 'c1', '2026-03-20', 'login')",
		   NULL, NULL, NULL) == SQLITE_OK,
	    "two customers, one event");
	write_rules("vip: action IS NOT NULL AND tier = 'vip'\n"
		    "named: name = 'Bo' AND churn_prob > 0.5\n"
		    "active: events_90d > 0\n");
	crm_err_clear(&e);
	rv = crm_review_new(rules, st, "2026-04-01", CRM_BY_RECORD, &e);
	TAP_OK(rv != NULL, "rules with a store: %s", e.msg);
	if (rv == NULL) {
		crm_store_close(st);
		return;
	}
	hdr = crm_rec_new();
	crm_err_clear(&e);
	TAP_OK(crm_review_check(rv, hdr, own, 2, &e) == 0,
	    "tier (an extra key) and name are facts of the store: %s", e.msg);
	crm_rec_free(hdr);
	TAP_STR(eval(rv, "0.7", "call", "c1", &rc), "vip",
	    "a VIP's action: from the store's extra field");
	TAP_STR(
	    eval(rv, "0.7", "call", "c2", &rc), "named", "a customers column");
	TAP_STR(eval(rv, "0.7", "call", "c9", &rc), "-",
	    "an unknown customer's facts are NULL");
	TAP_STR(eval(rv, "0.7", "call", NULL, &rc), "-", "no id: no facts");
	TAP_STR(eval(rv, "0.1", NULL, "c1", &rc), "active",
	    "a customer feature of crm-tag's, from the events");
	TAP_STR(eval(rv, "0.1", NULL, "c2", &rc), "-", "none: no events");
	{
		struct crm_rules_src src[2];
		struct crm_rec *r = crm_rec_new(), *r2 = crm_rec_new();

		crm_rec_add(r, "tier", 4, "standard", 8, CRM_STRING);
		crm_rec_add(r2, "action", 6, "call", 4, CRM_STRING);
		src[0].rec = r;
		src[0].untyped = 0;
		src[1].rec = r2;
		src[1].untyped = 0;
		crm_err_clear(&e);
		TAP_OK(crm_review_eval(rv, src, 2, "c1", 2, &name, &e) == 0 &&
			   name != NULL && strcmp(name, "active") == 0,
		    "the record's field hides the store's fact: not vip");
		crm_rec_free(r);
		crm_rec_free(r2);
	}
	crm_review_free(rv);

	/* the review column, hashed */
	crm_err_clear(&e);
	a = crm_audit_open(st, "crm-churn", "churn", 1, &e);
	TAP_OK(a != NULL, "audit: %s", e.msg);
	crm_audit_review(a, "vip");
	TAP_OK(crm_audit_add(
		   a, "c1", 2, "c1", 2, "high", 4, 0.7, NULL, 0, &e) == 0 &&
		   crm_audit_add(
		       a, "c2", 2, "c2", 2, "low", 3, 0.1, NULL, 0, &e) == 0 &&
		   crm_audit_close(a, &e) == 0,
	    "two decisions, the first reviewed");
	{
		sqlite3_stmt *q;
		char got[64] = "";

		sqlite3_prepare_v2(crm_store_db(st),
		    "SELECT group_concat(coalesce(review, '-'), ',') FROM "
		    "(SELECT review FROM decisions ORDER BY id)",
		    -1, &q, NULL);
		if (sqlite3_step(q) == SQLITE_ROW)
			snprintf(got, sizeof(got), "%s",
			    (const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		TAP_STR(got, "vip,-", "only the next decision is marked");
	}
	TAP_OK(crm_audit_verify(st, &c, &e) == 0 && c.bad == 0, "verify: "
								"intact");
	sqlite3_exec(crm_store_db(st),
	    "UPDATE decisions SET review = NULL WHERE id = 1", NULL, NULL,
	    NULL);
	TAP_OK(crm_audit_verify(st, &c, &e) == 0 && c.bad == 1,
	    "review cleared: row 1 found: %s", c.what);
	sqlite3_exec(crm_store_db(st),
	    "UPDATE decisions SET review = 'vip' WHERE id = 1; "
	    "UPDATE decisions SET review = 'x' WHERE id = 2",
	    NULL, NULL, NULL);
	TAP_OK(crm_audit_verify(st, &c, &e) == 0 && c.bad == 2,
	    "review set on an unreviewed row: row 2 found: %s", c.what);
	crm_store_close(st);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/s.db", dir);
	snprintf(rules, sizeof(rules), "%s/r.review", dir);
	test_no_store();
	test_bad();
	test_store();
	unlink(path);
	unlink(rules);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", path);
		unlink(p);
	}
	rmdir(dir);
	return tap_done();
}
