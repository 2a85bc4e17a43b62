/*
 * model: the models table and model files of model.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "clock.h"
#include "model.h"
#include "outfile.h"
#include "rec_int.h"
#include "suggest.h"

static int too_big(
    const char *, const char *, unsigned long long, struct crm_err *);

/*
 * A model file's params header, when it has one: these 8 bytes, the
 * params' length as 4 little-endian bytes, then the params (JSON text),
 * then the blob.
 */
#define PARAMS_MAGIC "CRMPARAM"
#define PARAMS_MAX   65536

void
crm_model_now(char buf[21])
{
	crm_clock_iso(buf);
}

/*
 * Write the blob through SQLite's incremental blob I/O, a chunk at a time:
 * binding it whole would have SQLite build the row, a second copy of a
 * model that may be hundreds of megabytes, in memory.
 */
#define CHUNK (1 << 20)

void
crm_model_input_init(struct crm_model_input *in)
{
	in->rows = 0;
	if ((in->h = XXH3_createState()) != NULL)
		XXH3_64bits_reset(in->h);
}

/* n as 8 little-endian bytes into the hash, then n bytes of p. */
static void
hash_part(XXH3_state_t *h, const void *p, size_t n)
{
	unsigned char le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)((uint64_t)n >> (8 * i));
	XXH3_64bits_update(h, le, sizeof(le));
	if (n > 0)
		XXH3_64bits_update(h, p, n);
}

void
crm_model_input_add(struct crm_model_input *in, const struct crm_rec *r)
{
	size_t i, n = crm_rec_count(r), len;
	const char *p;
	unsigned char type;

	in->rows++;
	if (in->h == NULL)
		return;
	hash_part(in->h, NULL, n);
	for (i = 0; i < n; i++) {
		p = crm_rec_name(r, i, &len);
		hash_part(in->h, p, len);
		type = (unsigned char)crm_rec_type(r, i);
		hash_part(in->h, &type, 1);
		p = crm_rec_value(r, i, &len);
		hash_part(in->h, p, len);
	}
}

void
crm_model_input_add_strs(struct crm_model_input *in, size_t n,
    const char *const *names, const char *const *values)
{
	unsigned char type = (unsigned char)CRM_STRING;
	size_t i;

	in->rows++;
	if (in->h == NULL)
		return;
	hash_part(in->h, NULL, n);
	for (i = 0; i < n; i++) {
		hash_part(in->h, names[i], strlen(names[i]));
		hash_part(in->h, &type, 1);
		hash_part(in->h, values[i], values[i] ? strlen(values[i]) : 0);
	}
}

int
crm_model_input_hex(const struct crm_model_input *in, char buf[17])
{
	if (in == NULL || in->h == NULL) {
		buf[0] = '\0';
		return -1;
	}
	snprintf(
	    buf, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(in->h));
	return 0;
}

void
crm_model_input_release(struct crm_model_input *in)
{
	XXH3_freeState(in->h);
	in->h = NULL;
}

int
crm_model_put(struct crm_store *s, const char *name, const char *kind,
    const char *params, const char *metrics, const void *blob, size_t len,
    const struct crm_model_input *in, long *version, struct crm_err *e)
{
	char fp[17];

	sqlite3 *db = crm_store_db(s);
	sqlite3_stmt *st = NULL;
	sqlite3_blob *b = NULL;
	sqlite3_int64 rowid;
	size_t off, n;
	char now[21];

	crm_model_now(now);
	if (crm_store_begin(s, e) == -1)
		return -1;
	/* the next version is taken inside the write transaction */
	if (sqlite3_prepare_v2(db,
		"SELECT coalesce(max(version), 0) + 1 FROM models "
		"WHERE name = ?1",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	*version = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db,
		"INSERT INTO models(name, version, kind, created, params, "
		"metrics, blob, rows, fingerprint) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, zeroblob(?7), ?8, ?9)",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *version);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, params, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, metrics, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)len);
	if (in != NULL)
		sqlite3_bind_int64(st, 8, (sqlite3_int64)in->rows);
	if (crm_model_input_hex(in, fp) == 0)
		sqlite3_bind_text(st, 9, fp, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	rowid = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(st);
	st = NULL;
	if (len > 0 && sqlite3_blob_open(db, "main", "models", "blob", rowid, 1,
			   &b) != SQLITE_OK)
		goto fail;
	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		if (sqlite3_blob_write(b, (const char *)blob + off, (int)n,
			(int)off) != SQLITE_OK)
			goto fail;
	}
	if (b != NULL && sqlite3_blob_close(b) != SQLITE_OK) {
		b = NULL;
		goto fail;
	}
	return crm_store_commit(s, e);
fail:
	crm_store_fail(s, e, "cannot save the model");
	sqlite3_blob_close(b);
	sqlite3_finalize(st);
	crm_store_rollback(s);
	return -1;
}

int
crm_model_get(struct crm_store *s, const char *name, long version,
    const char *kind, struct crm_buf *out, long *version_out, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(s);
	sqlite3_stmt *st = NULL;
	sqlite3_blob *b = NULL;
	size_t len;
	int rc;

	if (sqlite3_prepare_v2(db,
		"SELECT version, kind, rowid, length(blob) FROM models "
		"WHERE name = ?1 AND (?2 = 0 OR version = ?2) "
		"ORDER BY version DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read models");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		crm_store_fail(s, e, "cannot read models");
		sqlite3_finalize(st);
		return -1;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 1), kind) != 0) {
		crm_err_set(e, EX_DATAERR, "model '%s' is a %s model, not %s",
		    name, (const char *)sqlite3_column_text(st, 1), kind);
		sqlite3_finalize(st);
		return -1;
	}
	*version_out = (long)sqlite3_column_int64(st, 0);
	if ((unsigned long long)sqlite3_column_int64(st, 3) >
	    crm_model_max(kind)) {
		too_big(name, kind,
		    (unsigned long long)sqlite3_column_int64(st, 3), e);
		sqlite3_finalize(st);
		return -1;
	}
	len = (size_t)sqlite3_column_int64(st, 3);
	/* read straight into out, without a copy held by SQLite */
	if (len > 0 && sqlite3_blob_open(db, "main", "models", "blob",
			   sqlite3_column_int64(st, 2), 0, &b) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read models");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (crm_buf_grow(out, len) == -1) {
		sqlite3_blob_close(b);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (len > 0 &&
	    sqlite3_blob_read(b, out->p + out->len, (int)len, 0) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read models");
		sqlite3_blob_close(b);
		return -1;
	}
	sqlite3_blob_close(b);
	out->len += len;
	out->p[out->len] = '\0';
	return 1;
}

int
crm_model_write_file(
    const char *path, const void *p, size_t len, struct crm_err *e)
{
	struct crm_outfile of;

	if (crm_outfile_open(&of, path, e) == -1)
		return -1;
	if (fwrite(p, 1, len, of.fp) != len) {
		crm_err_set(e, EX_IOERR, "cannot write '%s': %s", path,
		    strerror(errno));
		crm_outfile_abort(&of);
		return -1;
	}
	return crm_outfile_commit(&of, e);
}

unsigned long long
crm_model_max(const char *kind)
{
	if (kind != NULL && strcmp(kind, "recommend") == 0)
		return CRM_MODEL_MAX_RECOMMEND;
	return CRM_MODEL_MAX;
}

/* Fill e: the model at where has more bytes than its kind may have. */
static int
too_big(const char *where, const char *kind, unsigned long long size,
    struct crm_err *e)
{
	char has[48];

	if (size > 0)
		snprintf(has, sizeof(has), "is %llu bytes, more than", size);
	else
		snprintf(has, sizeof(has), "has more than");
	return crm_err_set(e, EX_DATAERR,
	    "model '%s' %s the %llu bytes a%s %s model may have", where, has,
	    crm_model_max(kind),
	    kind != NULL && strchr("aeiou", *kind) != NULL ? "n" : "",
	    kind != NULL ? kind : "crmkit");
}

/*
 * A file's params header (params not NULL): when the file begins with
 * PARAMS_MAGIC, read the params after it into params and set *skip to
 * the header's size; else the bytes read (*got of them) are the blob's
 * first, into out, and params stays empty.  fp is then at the rest of
 * the blob (a pipe too: nothing is read twice).  0, or -1 with e filled.
 */
static int
read_params(FILE *fp, const char *path, struct crm_buf *params,
    struct crm_buf *out, unsigned long long *got, unsigned long long *skip,
    struct crm_err *e)
{
	unsigned char head[sizeof(PARAMS_MAGIC) - 1 + 4];
	size_t n, len, i;

	n = fread(head, 1, sizeof(head), fp);
	if (n < sizeof(head) ||
	    memcmp(head, PARAMS_MAGIC, sizeof(PARAMS_MAGIC) - 1) != 0) {
		*got = n;
		return crm_buf_add(out, head, n) == -1
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : 0;
	}
	for (len = 0, i = 0; i < 4; i++)
		len |= (size_t)head[sizeof(PARAMS_MAGIC) - 1 + i] << (8 * i);
	if (len > PARAMS_MAX || crm_buf_grow(params, len) == -1 ||
	    fread(params->p + params->len, 1, len, fp) != len)
		return crm_err_set(e, EX_DATAERR,
		    "model '%s' is damaged: a bad params header", path);
	params->len += len;
	params->p[params->len] = '\0';
	*skip = sizeof(head) + len;
	return 0;
}

/* crm_model_read_file_kind, and a params header into params (not NULL). */
static int
read_file(const char *path, const char *kind, struct crm_buf *out,
    struct crm_buf *params, struct crm_err *e)
{
	unsigned long long max = crm_model_max(kind), got = 0, skip = 0;
	struct stat st;
	FILE *fp;
	char chunk[65536];
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		return crm_err_set(e, EX_NOINPUT, "cannot open model '%s': %s",
		    path, strerror(errno));
	if (params != NULL &&
	    read_params(fp, path, params, out, &got, &skip, e) == -1) {
		fclose(fp);
		return -1;
	}
	/* a file says its size; a pipe is counted as it is read */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size > max + skip) {
		fclose(fp);
		return too_big(path, kind, (unsigned long long)st.st_size, e);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if ((got += n) > max) {
			fclose(fp);
			return too_big(path, kind, 0, e);
		}
		if (crm_buf_add(out, chunk, n) == -1) {
			fclose(fp);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	}
	if (ferror(fp)) {
		fclose(fp);
		return crm_err_set(e, EX_IOERR, "cannot read model '%s': %s",
		    path, strerror(errno));
	}
	fclose(fp);
	return 0;
}

int
crm_model_read_file_kind(
    const char *path, const char *kind, struct crm_buf *out, struct crm_err *e)
{
	return read_file(path, kind, out, NULL, e);
}

int
crm_model_read_file(const char *path, struct crm_buf *out, struct crm_err *e)
{
	return crm_model_read_file_kind(path, NULL, out, e);
}

/* The params of name's version into params; 0, or -1 with e filled. */
static int
get_params(struct crm_store *s, const char *name, long version,
    struct crm_buf *params, struct crm_err *e)
{
	sqlite3_stmt *st;
	const char *p;
	int rc, bad = 0;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT params FROM models WHERE name = ?1 AND version = ?2",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read models");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (p = (const char *)sqlite3_column_text(st, 0)) != NULL)
		bad =
		    crm_buf_add(params, p, (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot read models");
	return 0;
}

int
crm_model_find(struct crm_store *s, const char *file, const char *name,
    long version, const char *kind, struct crm_buf *out, long *version_out,
    struct crm_buf *params, struct crm_err *e)
{
	int found;

	*version_out = 0;
	if (file != NULL)
		return read_file(file, kind, out, params, e) == -1 ? -1 : 1;
	if (s == NULL)
		return 0;
	found = crm_model_get(s, name, version, kind, out, version_out, e);
	if (found == 0 && version != 0)
		return crm_err_set(e, EX_NOINPUT,
		    "no version %ld of model '%s' in the store", version, name);
	if (found == 1 && params != NULL &&
	    get_params(s, name, *version_out, params, e) == -1)
		return -1;
	return found;
}

int
crm_model_write_params(const char *path, const char *params, const void *p,
    size_t len, struct crm_err *e)
{
	struct crm_outfile of;
	unsigned char n[4];
	size_t plen = params != NULL ? strlen(params) : 0;
	int i;

	if (params == NULL)
		return crm_model_write_file(path, p, len, e);
	/* a header read_params would refuse is not written */
	if (plen > PARAMS_MAX)
		return crm_err_set(e, EX_SOFTWARE,
		    "cannot write '%s': params of %zu bytes, more than %d",
		    path, plen, PARAMS_MAX);
	for (i = 0; i < 4; i++)
		n[i] = (unsigned char)(plen >> (8 * i));
	if (crm_outfile_open(&of, path, e) == -1)
		return -1;
	if (fwrite(PARAMS_MAGIC, 1, sizeof(PARAMS_MAGIC) - 1, of.fp) !=
		sizeof(PARAMS_MAGIC) - 1 ||
	    fwrite(n, 1, sizeof(n), of.fp) != sizeof(n) ||
	    fwrite(params, 1, plen, of.fp) != plen ||
	    (len > 0 && fwrite(p, 1, len, of.fp) != len)) {
		crm_err_set(e, EX_IOERR, "cannot write '%s': %s", path,
		    strerror(errno));
		crm_outfile_abort(&of);
		return -1;
	}
	return crm_outfile_commit(&of, e);
}

enum crm_by
crm_model_by(const char *params, size_t len)
{
	struct crm_rec *r;
	struct crm_err e;
	enum crm_by by = CRM_BY_RECORD;
	const char *v;
	size_t vlen;
	long i;

	if (params == NULL || len == 0 || (r = crm_rec_new()) == NULL)
		return by;
	crm_err_clear(&e);
	if (crm_json_parse_object(r, params, len, &e) == 0 &&
	    (i = crm_rec_find(r, "by", 2)) >= 0) {
		v = crm_rec_value(r, (size_t)i, &vlen);
		if (vlen == 6 && memcmp(v, "person", 6) == 0)
			by = CRM_BY_PERSON;
	}
	crm_rec_free(r);
	return by;
}

int
crm_model_check_by(const char *name, const struct crm_buf *params,
    enum crm_by by, struct crm_err *e)
{
	enum crm_by trained = crm_model_by(params->p, params->len);

	if (trained == by)
		return 0;
	return crm_err_set(e, EX_DATAERR,
	    "model '%s' was trained --by %s, this run is --by %s: run with "
	    "--by %s, or train it again --by %s",
	    name, crm_by_name(trained), crm_by_name(by), crm_by_name(trained),
	    crm_by_name(by));
}

int
crm_model_missing(struct crm_store *s, const char *name, const char *kind,
    const char *const *builtin, const char *hint, struct crm_err *e)
{
	const char **cand = NULL, **p;
	sqlite3_stmt *st = NULL;
	size_t n = 0, nb, i;
	char near[300];
	long k;

	for (i = 0; builtin != NULL && builtin[i] != NULL; i++)
		if ((p = crm_reallocarray(cand, n + 1, sizeof(*p))) != NULL) {
			cand = p;
			cand[n++] = builtin[i];
		}
	nb = n;
	/* the store's names of that kind; on any failure, fewer hints */
	if (s != NULL && sqlite3_prepare_v2(crm_store_db(s),
			     "SELECT DISTINCT name FROM models WHERE kind = ?1 "
			     "ORDER BY name",
			     -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char *c =
			    strdup((const char *)sqlite3_column_text(st, 0));

			if (c == NULL || (p = crm_reallocarray(cand, n + 1,
					      sizeof(*p))) == NULL) {
				free(c);
				break;
			}
			cand = p;
			cand[n++] = c;
		}
	}
	sqlite3_finalize(st);
	k = crm_suggest(name, strlen(name), cand, NULL, n);
	if (k >= 0)
		crm_err_set(e, EX_NOINPUT, "no model '%s'%s%s", name,
		    s != NULL ? " in the store" : "",
		    crm_suggest_hint(
			near, sizeof(near), k, cand[k], strlen(cand[k])));
	else
		crm_err_set(e, EX_NOINPUT, "no model '%s'%s%s: %s", name,
		    s != NULL ? " in " : "", s != NULL ? crm_store_path(s) : "",
		    hint);
	for (i = nb; i < n; i++)
		free((void *)cand[i]);
	free(cand);
	return -1;
}

int
crm_model_info(struct crm_store *s, const char *name, long version,
    const char *kind, struct crm_model_info *info, struct crm_err *e)
{
	sqlite3_stmt *st = NULL;
	const char *t;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT version, coalesce(rows, -1), "
		"coalesce(json_extract(metrics, '$.pairs'), -1), created, "
		"coalesce(fingerprint, '') FROM models "
		"WHERE name = ?1 AND kind = ?2 AND (?3 = 0 OR version = ?3) "
		"ORDER BY version DESC LIMIT 1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read models");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info->version = (long)sqlite3_column_int64(st, 0);
		info->rows = sqlite3_column_int64(st, 1);
		info->pairs = sqlite3_column_int64(st, 2);
		t = (const char *)sqlite3_column_text(st, 3);
		snprintf(info->created, sizeof(info->created), "%s",
		    t != NULL ? t : "");
		t = (const char *)sqlite3_column_text(st, 4);
		snprintf(info->fingerprint, sizeof(info->fingerprint), "%s",
		    t != NULL ? t : "");
	} else if (rc != SQLITE_DONE) {
		crm_store_fail(s, e, "cannot read models");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

int
crm_model_erase(struct crm_store *s, const char *id, crm_erase_fn fn, void *arg,
    struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT name, version FROM models AS m "
		"WHERE instr(m.blob, CAST(?1 AS BLOB)) > 0 OR EXISTS ("
		"  SELECT 1 FROM customers AS c, "
		"  json_each(json_array(c.name, c.email, c.phone)) AS v "
		"  WHERE c.customer_id = ?1 AND length(v.value) >= 6 AND "
		"  instr(m.blob, CAST(v.value AS BLOB)) > 0) "
		"ORDER BY name, version",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read models");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, id, "models", "retrain",
		    (long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot read models");
	return 0;
}
