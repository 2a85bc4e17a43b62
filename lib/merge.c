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
#include <xxhash.h>

#include "audit.h"
#include "buf.h"
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

/* Feed n bytes at p to a digest's state ctx: 1, or 0 when it failed. */
typedef int feed_fn(void *ctx, const void *p, size_t n);

/* Feed n as 8 bytes, little-endian. */
static int
put_u64(feed_fn *f, void *ctx, uint64_t n)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(n >> (8 * i));
	return f(ctx, b, sizeof(b));
}

/*
 * Feed the row st is on from column from: each value as its type, then
 * its 8 bytes or its length and bytes.  1, or 0 when f failed.
 */
static int
feed_row(sqlite3_stmt *st, int from, feed_fn *f, void *ctx)
{
	int c, n = sqlite3_column_count(st), ok = 1;
	unsigned char t;

	for (c = from; ok && c < n; c++) {
		t = (unsigned char)sqlite3_column_type(st, c);
		ok = f(ctx, &t, 1);
		if (t == SQLITE_INTEGER)
			ok = ok && put_u64(f, ctx,
				       (uint64_t)sqlite3_column_int64(st, c));
		else if (t == SQLITE_FLOAT) {
			double d = sqlite3_column_double(st, c);
			uint64_t u;

			memcpy(&u, &d, sizeof(u));
			ok = ok && put_u64(f, ctx, u);
		} else if (t != SQLITE_NULL) {
			const void *p = sqlite3_column_blob(st, c);
			size_t k = (size_t)sqlite3_column_bytes(st, c);

			ok = ok && put_u64(f, ctx, k) &&
			     (k == 0 || f(ctx, p, k));
		}
	}
	return ok;
}

static int
feed_sha(void *ctx, const void *p, size_t n)
{
	return EVP_DigestUpdate(ctx, p, n);
}

static int
feed_xxh3(void *ctx, const void *p, size_t n)
{
	return XXH3_64bits_update(ctx, p, n) == XXH_OK;
}

/* Step st: its result, with e filled (from s) unless a row or done. */
static int
step(struct crm_store *s, sqlite3_stmt *st, const char *what, struct crm_err *e)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		crm_store_fail(s, e, what);
	return rc;
}

/* Run st on m once with key bound as ?2: 0, or -1 with e filled. */
static int
keyed(struct crm_store *m, sqlite3_stmt *st, const void *key, int len,
    struct crm_err *e)
{
	int rc;

	sqlite3_bind_text(st, 2, key, len, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(m, e, "cannot record the merged rows");
	return 0;
}

int
crm_merge_rows(struct crm_store *m, struct crm_store *shard,
    const struct crm_merge_mark *mark, const char *select, crm_merge_row_fn *fn,
    void *arg, struct crm_err *e)
{
	sqlite3_stmt *rd = NULL, *old = NULL, *put = NULL, *del = NULL;
	XXH3_state_t *xs = XXH3_createState();
	struct crm_buf prev;
	const void *key;
	int klen, rc, orc, cmp = 1, first = 1, ret = -1;
	uint64_t h;

	crm_buf_init(&prev);
	if (xs == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(crm_store_db(shard), select, -1, &rd, NULL) !=
	    SQLITE_OK) {
		crm_store_fail(shard, e, "cannot read the shard");
		goto out;
	}
	if (sqlite3_prepare_v2(crm_store_db(m),
		"SELECT key, digest FROM merge_rows WHERE merge = ?1 "
		"ORDER BY key",
		-1, &old, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(m),
		"INSERT INTO merge_rows(merge, key, digest) VALUES (?1, ?2, "
		"?3) ON CONFLICT DO UPDATE SET digest = excluded.digest",
		-1, &put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(m),
		"DELETE FROM merge_rows WHERE merge = ?1 AND key = ?2", -1,
		&del, NULL) != SQLITE_OK) {
		crm_store_fail(m, e, "cannot read the merged rows");
		goto out;
	}
	sqlite3_bind_int64(old, 1, mark->id);
	sqlite3_bind_int64(put, 1, mark->id);
	sqlite3_bind_int64(del, 1, mark->id);
	/*
	 * A merge join of the shard's rows and the recorded ones, both in
	 * key order (SQLite lets a statement change the row a query on the
	 * same table is on, and those before it).
	 */
	if ((orc = step(m, old, "cannot read the merged rows", e)) ==
	    SQLITE_ERROR)
		goto out;
	while (
	    (rc = step(shard, rd, "cannot read the shard", e)) == SQLITE_ROW) {
		key = sqlite3_column_text(rd, 0);
		klen = sqlite3_column_bytes(rd, 0);
		if (key == NULL || (!first && crm_bytes_cmp(prev.p, prev.len,
						  key, (size_t)klen) >= 0)) {
			crm_err_set(e, EX_SOFTWARE,
			    "the shard's rows are not in key order");
			goto out;
		}
		first = 0;
		crm_buf_reset(&prev);
		if (crm_buf_add(&prev, key, (size_t)klen) == -1 ||
		    XXH3_64bits_reset(xs) != XXH_OK ||
		    !feed_row(rd, 1, feed_xxh3, xs)) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		h = XXH3_64bits_digest(xs);
		/* the recorded keys before it are no longer in the shard */
		while (orc == SQLITE_ROW &&
		       (cmp = crm_bytes_cmp(sqlite3_column_text(old, 0),
			    (size_t)sqlite3_column_bytes(old, 0), key,
			    (size_t)klen)) < 0) {
			if (keyed(m, del, sqlite3_column_text(old, 0),
				sqlite3_column_bytes(old, 0), e) == -1 ||
			    (orc = step(m, old, "cannot read the merged rows",
				 e)) == SQLITE_ERROR)
				goto out;
		}
		if (orc != SQLITE_ROW)
			cmp = 1;
		if (cmp != 0 || (uint64_t)sqlite3_column_int64(old, 1) != h) {
			sqlite3_bind_int64(put, 3, (sqlite3_int64)h);
			if (fn(arg, rd, e) == -1 ||
			    keyed(m, put, key, klen, e) == -1)
				goto out;
		}
		if (cmp == 0 &&
		    (orc = step(m, old, "cannot read the merged rows", e)) ==
			SQLITE_ERROR)
			goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	for (; orc == SQLITE_ROW;
	     orc = step(m, old, "cannot read the merged rows", e))
		if (keyed(m, del, sqlite3_column_text(old, 0),
			sqlite3_column_bytes(old, 0), e) == -1)
			goto out;
	if (orc == SQLITE_DONE)
		ret = 0;
out:
	sqlite3_finalize(rd);
	sqlite3_finalize(old);
	sqlite3_finalize(put);
	sqlite3_finalize(del);
	XXH3_freeState(xs);
	crm_buf_release(&prev);
	return ret;
}

struct copy {
	struct crm_store *m;
	sqlite3_stmt *wr;
	long long *changed;
};

/* crm_merge_row_fn: write the row with c's statement. */
static int
copy_row(void *arg, sqlite3_stmt *rd, struct crm_err *e)
{
	struct copy *c = arg;
	int i, n = sqlite3_column_count(rd), rc;

	for (i = 1; i < n; i++)
		sqlite3_bind_value(c->wr, i, sqlite3_column_value(rd, i));
	rc = sqlite3_step(c->wr);
	sqlite3_reset(c->wr);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return crm_store_fail(c->m, e, "cannot merge a row");
	*c->changed += sqlite3_changes(crm_store_db(c->m));
	return 0;
}

int
crm_merge_copy(struct crm_store *m, struct crm_store *shard,
    const struct crm_merge_mark *mark, const char *select, const char *write,
    long long *changed, struct crm_err *e)
{
	struct copy c = { m, NULL, changed };
	int ret;

	if (sqlite3_prepare_v2(crm_store_db(m), write, -1, &c.wr, NULL) !=
	    SQLITE_OK)
		return crm_store_fail(m, e, "cannot prepare the merge");
	ret = crm_merge_rows(m, shard, mark, select, copy_row, &c, e);
	sqlite3_finalize(c.wr);
	return ret;
}

/*
 * The digest of the shard's table: SHA-256 over its rows as SQLite reads
 * them (feed_row), in 64 hex digits into hex.  0, or -1 with e filled.
 */
static int
digest(
    struct crm_store *shard, const char *table, char hex[65], struct crm_err *e)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	char sql[64];
	sqlite3_stmt *st = NULL;
	EVP_MD_CTX *md;
	unsigned int len = 0, i;
	int rc, ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (sqlite3_prepare_v2(crm_store_db(shard), sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		EVP_MD_CTX_free(md);
		return crm_store_fail(shard, e, "cannot read the shard");
	}
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ok = feed_row(st, 0, feed_sha, md);
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
		"SELECT digest, upto, chain, id FROM merges "
		"WHERE shard = ?1 AND tbl = ?2",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(m, e, "cannot read the merges");
	sqlite3_bind_text(st, 1, shard, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		const char *ch = (const char *)sqlite3_column_text(st, 2);

		*same = d != NULL && strcmp(d, hex) == 0;
		mark->upto = sqlite3_column_int64(st, 1);
		mark->id = sqlite3_column_int64(st, 3);
		if (ch != NULL)
			snprintf(mark->chain, sizeof(mark->chain), "%s", ch);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(m, e, "cannot read the merges");
	return rc == SQLITE_ROW;
}

/*
 * Record shard's table as merged with digest hex up to mark; a table
 * never merged gets its row, its id into mark->id.
 */
static int
record(struct crm_store *m, const char *shard, const char *table,
    const char *hex, struct crm_merge_mark *mark, struct crm_err *e)
{
	sqlite3_stmt *st;
	char now[21];
	int rc;

	crm_clock_iso(now);
	if (sqlite3_prepare_v2(crm_store_db(m),
		"INSERT INTO merges(shard, tbl, digest, upto, chain, time) "
		"VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), ?6) ON CONFLICT DO "
		"UPDATE SET digest = excluded.digest, upto = excluded.upto, "
		"chain = excluded.chain, time = excluded.time",
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
	if (mark->id == 0)
		mark->id = sqlite3_last_insert_rowid(crm_store_db(m));
	return 0;
}

int
crm_merge_check(struct crm_store *m, const char *path, struct crm_err *e)
{
	struct stat sa, sb;

	if (stat(path, &sa) == 0 && stat(crm_store_path(m), &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
		return crm_err_set(e, EX_USAGE,
		    "%s: the store merged into, not a shard", path);
	return 0;
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
	if (crm_merge_check(m, path, e) == -1)
		return -1;
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
		if (k == 0 &&
		    record(m, name, tables[i].name, "", &mark, e) == -1)
			goto fail;
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

const struct crm_erase_step crm_merge_erase[] = {
	{ "merge_rows", "deleted",
	    "DELETE FROM merge_rows WHERE merge IN (SELECT id FROM merges) "
	    "AND key IN (SELECT ?1 "
	    "UNION ALL SELECT event_key FROM events WHERE customer_id = ?1 "
	    "UNION ALL SELECT " CRM_TAGS_ROW_KEY " FROM tags "
	    "WHERE customer_id = ?1 "
	    "UNION ALL SELECT " CRM_TAG_HISTORY_ROW_KEY " "
	    "FROM tag_history WHERE customer_id = ?1 "
	    "UNION ALL SELECT " CRM_CONSENT_ROW_KEY " "
	    "FROM consent WHERE customer_id = ?1 "
	    "UNION ALL SELECT " CRM_ASSIGNMENT_ROW_KEY " "
	    "FROM assignments WHERE subject = ?1)" },
	{ NULL, NULL, NULL },
};
