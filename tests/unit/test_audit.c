/*
 * test_audit: unit tests for the decisions' hash chain (lib/audit.c):
 * the content hash of a row against an encoding made here by hand, the
 * chain, verify on an intact log, on each kind of tampering (a row
 * changed, deleted, inserted, moved), on the unchained prefix of a
 * schema-3 store, and the erasure hook: verify accepts exactly the rows
 * an erasure entry names, and no others.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit.h"
#include "clock.h"
#include "err.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/crm-test-audit.XXXXXX";
static char path[sizeof(dir) + 32];
static int nstore;

static void
exec(struct crm_store *st, const char *sql)
{
	if (sqlite3_exec(crm_store_db(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		printf("# %s: %s\n", sql, sqlite3_errmsg(crm_store_db(st)));
}

static const char *
text(struct crm_store *st, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *q;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(crm_store_db(st), sql, -1, &q, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, n, "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return buf;
}

/* A new store with n churn decisions, customers C1 .. Cn. */
static struct crm_store *
store_with(int n)
{
	struct crm_store *st;
	struct crm_audit *a;
	struct crm_err e;
	char id[16];
	int i;

	snprintf(path, sizeof(path), "%s/s%d.db", dir, ++nstore);
	crm_err_clear(&e);
	if ((st = crm_store_open(path, 0, &e)) == NULL ||
	    (a = crm_audit_open(st, "crm-churn", "churn", 3, &e)) == NULL) {
		printf("# %s\n", e.msg);
		exit(1);
	}
	for (i = 1; i <= n; i++) {
		snprintf(id, sizeof(id), "C%d", i);
		if (crm_audit_add(a, id, strlen(id), id, strlen(id), "high", 4,
			0.5 + i / 100.0, "[\"tenure\"]", 10, &e) == -1)
			printf("# %s\n", e.msg);
	}
	if (crm_audit_close(a, &e) == -1)
		printf("# %s\n", e.msg);
	return st;
}

/* verify: the first bad row (0: intact), what into what. */
static long long
verify(struct crm_store *st, struct crm_audit_check *c)
{
	struct crm_err e;

	crm_err_clear(&e);
	if (crm_audit_verify(st, c, &e) == -1) {
		printf("# verify: %s\n", e.msg);
		return -1;
	}
	if (c->bad)
		printf("# %s\n", c->what);
	return c->bad;
}

static void
put(unsigned char *b, size_t *n, const char *p)
{
	uint64_t len = p ? strlen(p) : UINT64_MAX;
	int i;

	for (i = 0; i < 8; i++)
		b[(*n)++] = (unsigned char)(len >> (8 * i));
	if (p) {
		memcpy(b + *n, p, strlen(p));
		*n += strlen(p);
	}
}

static void
hex(const unsigned char *md, char *out)
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* The hashes of the first row, computed here from the encoding. */
static void
test_known_hash(void)
{
	struct crm_store *st = store_with(2);
	unsigned char b[512], md[32], two[64], link[32];
	char want[65], wantc[65], got[128];
	size_t n = 0;
	unsigned int len;

	put(b, &n, "crmkit decisions 1");
	put(b, &n, "2026-01-02T03:04:05Z");
	put(b, &n, "crm-churn");
	put(b, &n, "churn");
	put(b, &n, "3");
	put(b, &n, "C1");
	put(b, &n, "C1");
	put(b, &n, "high");
	put(b, &n, "0.51000000000000001");
	put(b, &n, "[\"tenure\"]");
	EVP_Digest(b, n, md, &len, EVP_sha256(), NULL);
	hex(md, want);
	TAP_STR(text(st, "SELECT content_hash FROM decisions WHERE id = 1", got,
		    sizeof(got)),
	    want, "content hash: SHA-256 of the length-prefixed encoding");
	memset(two, 0, 32);
	memcpy(two + 32, md, 32);
	EVP_Digest(two, 64, link, &len, EVP_sha256(), NULL);
	hex(link, wantc);
	TAP_STR(text(st, "SELECT chain_hash FROM decisions WHERE id = 1", got,
		    sizeof(got)),
	    wantc, "the first chain hash follows 32 zero bytes");
	TAP_STR(text(st, "SELECT subject FROM decisions WHERE id = 2", got,
		    sizeof(got)),
	    "C2", "the subject is stored");
	crm_store_close(st);
}

static void
test_tamper(void)
{
	struct crm_audit_check c;
	struct crm_store *st;

	st = store_with(6);
	TAP_OK(verify(st, &c) == 0 && c.rows == 6 && c.unchained == 0,
	    "an intact log verifies: %lld rows", c.rows);
	exec(st, "UPDATE decisions SET output = 'low' WHERE id = 4");
	TAP_OK(verify(st, &c) == 4 && strstr(c.what, "was changed"), "a "
								     "changed "
								     "output "
								     "is found "
								     "at its "
								     "row");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "UPDATE decisions SET score = 0.9 WHERE id = 2");
	TAP_OK(verify(st, &c) == 2, "a changed score is found");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "DELETE FROM decisions WHERE id = 3");
	TAP_OK(verify(st, &c) == 4 && strstr(c.what, "row 3 was deleted"),
	    "a deleted row: the next row's chain breaks, the gap named");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "DELETE FROM decisions WHERE id = 1");
	TAP_OK(verify(st, &c) == 2 && strstr(c.what, "deleted"), "the first "
								 "row deleted");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "UPDATE decisions SET id = -2 WHERE id = 2;"
		 "UPDATE decisions SET id = 2 WHERE id = 5;"
		 "UPDATE decisions SET id = 5 WHERE id = -2");
	TAP_OK(verify(st, &c) == 2 && strstr(c.what, "out of order") &&
		   strstr(c.what, "follows row 4"),
	    "two rows swapped: the first is out of order");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "INSERT INTO decisions(id, time, tool, model, model_version, "
		 "record_key, subject, output, score, reasons, content_hash, "
		 "chain_hash) SELECT 9, time, tool, model, model_version, "
		 "record_key, subject, output, score, reasons, content_hash, "
		 "chain_hash FROM decisions WHERE id = 3");
	TAP_OK(verify(st, &c) == 9 && strstr(c.what, "repeats row 3"),
	    "a copied row is found as inserted");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "INSERT INTO decisions(time, tool) VALUES ('x', 'y')");
	TAP_OK(verify(st, &c) == 7 && strstr(c.what, "no hashes"), "a row "
								   "without "
								   "hashes "
								   "after the "
								   "chain "
								   "began");
	crm_store_close(st);

	st = store_with(6);
	exec(st, "UPDATE decisions SET chain_hash = 'zz' WHERE id = 5");
	TAP_OK(verify(st, &c) == 5, "a damaged hash");
	crm_store_close(st);
}

/* Rows from before schema 4 (no hashes) are the unchained prefix. */
static void
test_prefix(void)
{
	struct crm_audit_check c;
	struct crm_store *st;
	struct crm_audit *a;
	struct crm_err e;
	char buf[256];

	snprintf(path, sizeof(path), "%s/old.db", dir);
	st = crm_store_open(path, 0, &e);
	exec(st, "INSERT INTO decisions(time, tool, output) VALUES "
		 "('2020-01-01', 'crm-churn', 'high'), "
		 "('2020-01-02', 'crm-churn', 'low')");
	a = crm_audit_open(st, "crm-churn", "churn", 1, &e);
	crm_audit_add(a, "C9", 2, "C9", 2, "low", 3, 0.1, NULL, 0, &e);
	crm_audit_close(a, &e);
	TAP_OK(verify(st, &c) == 1, "rows without hashes in a store made at "
				    "schema 4: caught");
	/* as the migration from schema 3 leaves it */
	exec(st, "UPDATE audit_state SET unchained_upto = 2");
	TAP_OK(verify(st, &c) == 0 && c.rows == 3 && c.unchained == 2,
	    "two unchained rows, then the chain");
	TAP_STR(crm_audit_summary(&c, buf, sizeof(buf)),
	    "verified 3 decisions: the chain is intact; 2 unchained from "
	    "before schema 4",
	    "the summary says how many are unchained");
	/* every hash blanked, then a row edited: no hash computed, caught */
	exec(st, "UPDATE decisions SET content_hash = NULL, chain_hash = NULL");
	exec(st, "UPDATE decisions SET output = 'high' WHERE id = 3");
	TAP_OK(verify(st, &c) == 3 && strstr(c.what, "hashes were removed"),
	    "hashes removed from rows after the migration: %s", c.what);
	crm_store_close(st);
}

static void
test_redact(void)
{
	struct crm_audit_redaction r[2] = {
		{ 2, "x", "pseudo", "[redacted]", NULL },
		{ 5, NULL, "pseudo", NULL, "[]" },
	};
	struct crm_audit_check c;
	struct crm_store *st;
	struct crm_audit *a;
	struct crm_err e;
	char buf[256], entry[512], sql[640];

	st = store_with(6);
	crm_err_clear(&e);
	TAP_OK(crm_audit_redact(st, r, 2, &e) == 0, "redact rows 2 and 5");
	TAP_STR(text(st,
		    "SELECT tool || ' ' || json_extract(output, '$.redacted') "
		    "|| ' ' || json_array_length(output, '$.hashes') "
		    "FROM decisions WHERE id = 7",
		    buf, sizeof(buf)),
	    "crm-mask erase [2,5] 2",
	    "an erasure entry is appended, naming the rows and their hashes");
	text(st, "SELECT output FROM decisions WHERE id = 7", entry,
	    sizeof(entry));
	TAP_STR(text(st,
		    "SELECT record_key || subject || output FROM decisions "
		    "WHERE id = 2",
		    buf, sizeof(buf)),
	    "xpseudo[redacted]", "the row's columns are redacted");
	TAP_OK(verify(st, &c) == 0 && c.redacted == 2 && c.rows == 7, "verify "
								      "accepts "
								      "exactly "
								      "the "
								      "redacted"
								      " rows");
	TAP_STR(crm_audit_summary(&c, buf, sizeof(buf)),
	    "verified 7 decisions: the chain is intact; 2 redacted by "
	    "erasure",
	    "the summary counts them");
	/* logging goes on after the entry, chained */
	a = crm_audit_open(st, "crm-churn", "churn", 3, &e);
	crm_audit_add(a, "C7", 2, "C7", 2, "low", 3, 0.2, NULL, 0, &e);
	crm_audit_close(a, &e);
	TAP_OK(verify(st, &c) == 0 && c.rows == 8, "decisions after it chain");
	exec(st, "UPDATE decisions SET output = 'low' WHERE id = 3");
	TAP_OK(verify(st, &c) == 3, "a row the entry does not name is still "
				    "caught");
	exec(st, "UPDATE decisions SET output = 'high' WHERE id = 3");
	exec(st, "UPDATE decisions SET output = 'x' WHERE id = 8");
	TAP_OK(verify(st, &c) == 8, "so is one after the entry");
	exec(st, "UPDATE decisions SET output = 'low' WHERE id = 8");
	TAP_OK(verify(st, &c) == 0, "and put back, intact again");
	exec(st, "UPDATE decisions SET output = '{\"redacted\":[2,3,5]}' "
		 "WHERE id = 7");
	TAP_OK(verify(st, &c) == 2, "an erasure entry edited to name another "
				    "row no longer counts: "
				    "the first row it named is caught");
	snprintf(sql, sizeof(sql),
	    "UPDATE decisions SET output = '%s' WHERE id = 7", entry);
	exec(st, sql);
	TAP_OK(verify(st, &c) == 0, "the entry put back: intact");
	/* a redacted row changed after its erasure */
	exec(st, "UPDATE decisions SET output = 'low' WHERE id = 5");
	TAP_OK(verify(st, &c) == 5 && strstr(c.what, "after its erasure"),
	    "a redacted row changed after the erasure is caught: %s", c.what);
	exec(st, "UPDATE decisions SET output = 'high' WHERE id = 5");
	crm_err_clear(&e);
	r[0].id = 7;
	TAP_OK(crm_audit_redact(st, r, 1, &e) == -1 && strstr(e.msg, "erasure "
								     "entry"),
	    "an erasure entry cannot be redacted");
	r[0].id = 99;
	TAP_OK(crm_audit_redact(st, r, 1, &e) == -1 && strstr(e.msg, "no "
								     "decisions"
								     " row 99"),
	    "nor a row that does not exist: %s", e.msg);
	TAP_OK(verify(st, &c) == 0 && c.rows == 8, "a refused redaction "
						   "changes nothing");
	crm_store_close(st);

	/* inside the caller's transaction */
	st = store_with(3);
	r[0].id = 1;
	exec(st, "BEGIN IMMEDIATE");
	TAP_OK(crm_audit_redact(st, r, 1, &e) == 0, "redact inside an open "
						    "transaction");
	exec(st, "ROLLBACK");
	TAP_STR(text(st, "SELECT count(*) FROM decisions", buf, sizeof(buf)),
	    "3", "the caller's rollback undoes it");
	crm_store_close(st);
}

int
main(void)
{
	const char *why;

	if (mkdtemp(dir) == NULL)
		return 1;
	crm_clock_set("2026-01-02T03:04:05Z", &why);
	test_known_hash();
	test_tamper();
	test_prefix();
	test_redact();
	if (fork() == 0)
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
	return tap_done();
}
