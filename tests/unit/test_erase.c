/*
 * test_erase: unit tests for erasure (lib/erase.c and the owners'
 * statements): a customer's rows go from every table, the others stay,
 * models that hold the customer are listed, a second run finds nothing,
 * the bytes are gone from the file and its WAL, and every table of the
 * store is known to erasure.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "erase.h"
#include "store.h"
#include "tap.h"

/* Unique strings of customer C1, to look for in the file's bytes. */
#define NAME  "Zebulon Quixote-Erasable"
#define EMAIL "zq.erasable@example.org"
#define PHONE "+8613911112222"

struct tally {
	long deleted, kept, retrain;
	char report[2048];
};

static void
count(void *arg, const char *id, const char *table, const char *what, long rows,
    const char *detail)
{
	struct tally *t = arg;
	size_t len = strlen(t->report);

	(void)id;
	if (strcmp(what, "retrain") == 0)
		t->retrain++;
	else if (strcmp(what, "deleted") == 0)
		t->deleted += rows;
	else if (strcmp(what, "kept") == 0)
		t->kept += rows;
	snprintf(t->report + len, sizeof(t->report) - len, "%s %s %ld%s%s;",
	    table, what, rows, detail ? " " : "", detail ? detail : "");
}

static long
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* 1 when s occurs in the file at path (a missing file has nothing). */
static int
in_file(const char *path, const char *s)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;
	int found;

	if (fp == NULL)
		return 0;
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	len = (long)fread(buf, 1, (size_t)len, fp);
	fclose(fp);
	found = len > 0 && memmem(buf, (size_t)len, s, strlen(s)) != NULL;
	free(buf);
	return found;
}

int
main(void)
{
	char dir[] = "/tmp/test_erase.XXXXXX", path[64], wal[80];
	struct crm_store *st;
	struct crm_err e;
	struct tally t;
	sqlite3 *db;
	const char *const *known;
	const char *name;
	sqlite3_stmt *q;
	size_t i;
	int ok;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	crm_err_clear(&e);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL, "store: %s", e.msg);
	if (st == NULL)
		return tap_done();
	db = crm_store_db(st);
	TAP_OK(sqlite3_exec(db,
		   "INSERT INTO customers (customer_id, name, email, phone) "
		   "VALUES ('C1', '" NAME "', '" EMAIL "', '" PHONE "'), "
		   "('C2', 'Ann Other', 'ann@example.com', '+8613800000000');"
		   "INSERT INTO events (event_key, customer_id, time, type, "
		   "text) "
		   "VALUES ('e1', 'C1', '2024-01-01', 'message', "
		   "'call me on " PHONE "'), "
		   "('e2', 'C1', '2024-01-02', 'order', NULL), "
		   "('e3', 'C2', '2024-01-02', 'order', NULL);"
		   "INSERT INTO tags VALUES ('C1', 'vip', 'r', '2024-01-01'), "
		   "('C2', 'vip', 'r', '2024-01-01');"
		   "INSERT INTO clusters VALUES ('C1', 'k1', 1, 't'), "
		   "('C2', 'k1', 1, 't');"
		   "INSERT INTO agents (agent_id, name, skills, capacity, "
		   "load, updated) VALUES ('ana', 'Ana', 's', 3, 2, 't');"
		   "INSERT INTO tickets (ticket_id, customer_id, priority, "
		   "queue, skill, status, assignee, routed, created, updated)"
		   " VALUES "
		   "('T1', 'C1', 'p2', 'q', 's', 'open', 'ana', 't', 't', "
		   "'t'), "
		   "('T2', 'C2', 'p2', 'q', 's', 'open', 'ana', 't', 't', 't');"
		   "INSERT INTO decisions (time, tool, record_key, subject, "
		   "output)"
		   " VALUES ('t', 'crm-intent', 'M1', 'C1', 'refund');"
		   "INSERT INTO labels (time, task, record_key, text, label) "
		   "VALUES ('t', 'intent', 'M1', 'I am " NAME "', 'refund'), "
		   "('t', 'intent', 'M2', 'other', 'refund');"
		   "INSERT INTO models (name, version, kind, created, blob) "
		   "VALUES ('reco', 1, 'recommend', 't', "
		   "CAST('ids: C0 C1x " EMAIL "' AS BLOB)), "
		   "('churn', 1, 'churn', 't', CAST('nothing here' AS BLOB));"
		   "INSERT INTO consent VALUES ('C1', 'sms', 1, '2024-01-01', "
		   "'web'), ('C1', 'sms', 0, '2024-02-01', 'call " PHONE "'), "
		   "('C2', 'sms', 1, '2024-01-01', 'web');"
		   "CREATE TABLE orders (order_id TEXT, Customer_ID TEXT);"
		   "INSERT INTO orders VALUES ('o1', 'C1'), ('o2', 'C2');"
		   "CREATE TABLE docs (doc_id TEXT, body TEXT);",
		   NULL, NULL, NULL) == SQLITE_OK,
	    "a store with two customers: %s", sqlite3_errmsg(db));

	memset(&t, 0, sizeof(t));
	TAP_OK(crm_erase(st, "C1", count, &t, &e) == 0, "erased: %s", e.msg);
	TAP_OK(crm_erase_finish(st, &e) == 0, "the WAL truncated");
	printf("# %s\n", t.report);
	TAP_OK(t.deleted == 9 && t.kept == 1,
	    "9 rows deleted (%ld), the withdrawal kept (%ld)", t.deleted,
	    t.kept);
	TAP_OK(one(db, "SELECT count(*) FROM decisions WHERE subject LIKE "
		       "'erased-%' AND record_key = 'M1' AND output = 'refund' "
		       "AND reasons = '[]'") == 1 &&
		   one(db, "SELECT count(*) FROM decisions WHERE subject = "
			   "'C1'") == 0,
	    "the decision kept, its subject a stand-in, its reasons gone");
	TAP_OK(one(db, "SELECT load FROM agents WHERE agent_id = 'ana'") == 1,
	    "Ana's load is her one ticket left");
	TAP_OK(one(db, "SELECT count(*) FROM consent WHERE customer_id = 'C1' "
		       "AND granted = 0 AND source IS NULL") == 1 &&
		   one(db, "SELECT count(*) FROM consent") == 2,
	    "the withdrawal kept without its source, the grant gone");
	TAP_OK(t.retrain == 1 && strstr(t.report, "models retrain 1 reco") &&
		   !strstr(t.report, "churn"),
	    "the model that holds the email is listed, the other not");
	TAP_OK(
	    strstr(t.report, "docs unchecked 0 no customer_id column") != NULL,
	    "a table of its own without customer_id: unchecked");
	TAP_OK(one(db, "SELECT count(*) FROM customers") == 1 &&
		   one(db, "SELECT count(*) FROM events") == 1 &&
		   one(db, "SELECT count(*) FROM tags") == 1 &&
		   one(db, "SELECT count(*) FROM clusters") == 1 &&
		   one(db, "SELECT count(*) FROM tickets") == 1 &&
		   one(db, "SELECT count(*) FROM labels") == 1 &&
		   one(db, "SELECT count(*) FROM orders") == 1 &&
		   one(db, "SELECT count(*) FROM customers WHERE "
			   "customer_id = 'C2'") == 1,
	    "the other customer's rows are intact");
	ok = !in_file(path, NAME) && !in_file(path, PHONE) &&
	     !in_file(wal, NAME) && !in_file(wal, PHONE);
	TAP_OK(ok, "the name and phone are in neither the file nor its WAL");
	TAP_OK(in_file(path, EMAIL), "the model's bytes still hold the email: "
				     "listed to retrain");

	memset(&t, 0, sizeof(t));
	TAP_OK(crm_erase(st, "C1", count, &t, &e) == 0 && t.deleted == 0,
	    "a second erasure deletes nothing");

	/* every table of the store: known to erasure, or one of crm-ingest's */
	known = crm_erase_tables();
	sqlite3_prepare_v2(db,
	    "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
	    "name NOT LIKE 'sqlite%' ORDER BY name",
	    -1, &q, NULL);
	while (sqlite3_step(q) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(q, 0);
		if (crm_store_reserved(name) != CRM_STORE_TABLE)
			continue; /* crm-ingest's own: erased by customer_id */
		for (i = 0; known[i] != NULL && strcmp(known[i], name); i++)
			;
		TAP_OK(known[i] != NULL, "table %s is known to erasure", name);
	}
	sqlite3_finalize(q);
	crm_store_close(st);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
