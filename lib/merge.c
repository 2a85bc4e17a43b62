/*
 * merge: crm-ingest merge's orchestration and the merges table of
 * merge.h.  The tables themselves are merged by their owners.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "audit.h"
#include "clock.h"
#include "clusters.h"
#include "consent.h"
#include "experiment.h"
#include "load.h"
#include "merge.h"
#include "tags.h"

typedef int merge_fn(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

/*
 * The tables shards write, in the order they are merged, each with its
 * owner's merge function.  Not merged: models (trained on one machine
 * and shipped as files), and what one process alone writes: persons and
 * their events and labels (crm-dedupe over the merged clusters), the
 * help desk's tables (crm-route keeps them in one store), journeys.
 */
static const struct table {
	const char *name;
	merge_fn *merge;
} tables[] = {
	{ "customers", crm_load_merge_customers },
	{ "events", crm_load_merge_events },
	{ "consent", crm_consent_merge },
	{ "tags", crm_tags_merge },
	{ "tag_history", crm_tags_merge_history },
	{ "experiments", crm_exp_merge },
	{ "assignments", crm_exp_merge_assignments },
	{ "clusters", crm_clusters_merge },
	{ "decisions", crm_audit_merge },
};

int
crm_merge_copy(struct crm_store *m, struct crm_store *shard, const char *select,
    const char *write, long long *changed, struct crm_err *e)
{
	sqlite3_stmt *rd = NULL, *wr = NULL;
	int i, n, rc, ret = -1;

	if (sqlite3_prepare_v2(crm_store_db(shard), select, -1, &rd, NULL) !=
	    SQLITE_OK) {
		crm_store_fail(shard, e, "cannot read the shard");
		goto out;
	}
	if (sqlite3_prepare_v2(crm_store_db(m), write, -1, &wr, NULL) !=
	    SQLITE_OK) {
		crm_store_fail(m, e, "cannot prepare the merge");
		goto out;
	}
	n = sqlite3_column_count(rd);
	while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			sqlite3_bind_value(
			    wr, i + 1, sqlite3_column_value(rd, i));
		rc = sqlite3_step(wr);
		sqlite3_reset(wr);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			crm_store_fail(m, e, "cannot merge a row");
			goto out;
		}
		*changed += sqlite3_changes(crm_store_db(m));
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(shard, e, "cannot read the shard");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(rd);
	sqlite3_finalize(wr);
	return ret;
}

/* Feed n as 8 bytes, little-endian, to the digest. */
static int
put_u64(EVP_MD_CTX *md, uint64_t n)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(n >> (8 * i));
	return EVP_DigestUpdate(md, b, sizeof(b));
}

/*
 * The digest of the shard's table: SHA-256 over its rows as SQLite reads
 * them, each value as its type, then its 8 bytes or its length and
 * bytes, in 64 hex digits into hex.  0, or -1 with e filled.
 */
static int
digest(
    struct crm_store *shard, const char *table, char hex[65], struct crm_err *e)
{
	unsigned char out[EVP_MAX_MD_SIZE], t;
	char sql[64];
	sqlite3_stmt *st = NULL;
	EVP_MD_CTX *md;
	unsigned int len = 0, i;
	int n, c, rc, ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (sqlite3_prepare_v2(crm_store_db(shard), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		EVP_MD_CTX_free(md);
		return crm_store_fail(shard, e, "cannot read the shard");
	}
	n = sqlite3_column_count(st);
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
		for (c = 0; ok && c < n; c++) {
			t = (unsigned char)sqlite3_column_type(st, c);
			ok = EVP_DigestUpdate(md, &t, 1);
			if (t == SQLITE_INTEGER)
				ok = ok &&
				     put_u64(md,
					 (uint64_t)sqlite3_column_int64(st, c));
			else if (t == SQLITE_FLOAT) {
				double d = sqlite3_column_double(st, c);
				uint64_t u;

				memcpy(&u, &d, sizeof(u));
				ok = ok && put_u64(md, u);
			} else if (t != SQLITE_NULL) {
				const void *p = sqlite3_column_blob(st, c);
				size_t k = (size_t)sqlite3_column_bytes(st, c);

				ok = ok && put_u64(md, k) &&
				     (k == 0 || EVP_DigestUpdate(md, p, k));
			}
		}
	sqlite3_finalize(st);
	ok = ok && EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
	if (!ok)
		return crm_err_set(e, EX_SOFTWARE, "cannot hash the shard");
	if (rc != SQLITE_DONE)
		return crm_store_fail(shard, e, "cannot read the shard");
	for (i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	return 0;
}

/*
 * What the merges table says of shard's table: 1 with *same whether its
 * digest is hex and mark filled, or 0 when it was never merged; -1 with
 * e filled.
 */
static int
recorded(struct crm_store *m, const char *shard, const char *table,
    const char *hex, int *same, struct crm_merge_mark *mark, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(mark, 0, sizeof(*mark));
	*same = 0;
	if (sqlite3_prepare_v2(crm_store_db(m),
		"SELECT digest, upto, chain FROM merges WHERE shard = ?1 AND "
		"tbl = ?2",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(m, e, "cannot read the merges");
	sqlite3_bind_text(st, 1, shard, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		const char *ch = (const char *)sqlite3_column_text(st, 2);

		*same = d != NULL && strcmp(d, hex) == 0;
		mark->upto = sqlite3_column_int64(st, 1);
		if (ch != NULL)
			snprintf(mark->chain, sizeof(mark->chain), "%s", ch);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(m, e, "cannot read the merges");
	return rc == SQLITE_ROW;
}

/* Record shard's table as merged with digest hex up to mark. */
static int
record(struct crm_store *m, const char *shard, const char *table,
    const char *hex, const struct crm_merge_mark *mark, struct crm_err *e)
{
	sqlite3_stmt *st;
	char now[21];
	int rc;

	crm_clock_iso(now);
	if (sqlite3_prepare_v2(crm_store_db(m),
		"INSERT OR REPLACE INTO merges(shard, tbl, digest, upto, "
		"chain, time) VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), ?6)",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(m, e, "cannot record the merge");
	sqlite3_bind_text(st, 1, shard, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, mark->upto);
	sqlite3_bind_text(st, 5, mark->chain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(m, e, "cannot record the merge");
	return 0;
}

/* Whether paths a and b name one file (the main store given as a shard). */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
crm_merge_shard(struct crm_store *m, const char *path, int busy_ms,
    struct crm_merge_counts *n, struct crm_err *e)
{
	struct crm_merge_counts got = { 0, 0, 0 };
	struct crm_merge_mark mark;
	struct crm_store *shard;
	const char *name = strrchr(path, '/');
	char hex[65];
	size_t i;
	int same, k;

	/* a shard is known by its file's name, wherever it was copied */
	name = name != NULL && name[1] != '\0' ? name + 1 : path;
	if (same_file(path, crm_store_path(m)))
		return crm_err_set(e, EX_USAGE,
		    "%s: the store merged into, not a shard", path);
	if ((shard = crm_store_open_exact(path, busy_ms, e)) == NULL)
		return -1;
	if (crm_store_begin(m, e) == -1)
		goto fail_open;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (digest(shard, tables[i].name, hex, e) == -1 ||
		    (k = recorded(
			 m, name, tables[i].name, hex, &same, &mark, e)) == -1)
			goto fail;
		if (k == 1 && same) {
			got.unchanged++;
			continue;
		}
		if (tables[i].merge(m, shard, &mark, &got.rows, e) == -1) {
			/* name the shard and the table in the message */
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			crm_err_set(e, e->code, "%s: table %s: %s", path,
			    tables[i].name, msg);
			goto fail;
		}
		if (record(m, name, tables[i].name, hex, &mark, e) == -1)
			goto fail;
		got.tables++;
	}
	if (crm_store_commit(m, e) == -1)
		goto fail;
	crm_store_close(shard);
	n->tables += got.tables;
	n->unchanged += got.unchanged;
	n->rows += got.rows;
	return 0;
fail:
	crm_store_rollback(m);
fail_open:
	crm_store_close(shard);
	return -1;
}
