/*
 * audit: the decisions and labels tables of audit.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "audit.h"
#include "buf.h"
#include "jw.h"
#include "merge.h"
#include "model.h"

#define BATCH 1000

/* The last chained row's chain hash, read in the write transaction. */
#define LAST_CHAIN                                     \
	"SELECT chain_hash FROM decisions WHERE id = " \
	"(SELECT max(id) FROM decisions)"

struct crm_audit {
	struct crm_store *s;
	struct crm_batch own, *batch; /* batch: own, or a writer's */
	const char *cur;	      /* the model of the next decisions */
	long cur_version;
	sqlite3_stmt *dec, *lab, *last;
	struct crm_buf enc; /* the canonical encoding of a row */
	char *tool, *model;
	long version;
	int begun; /* crm_audit_begin counted the next decision's row */
	const char *review; /* the next decision's review, or NULL */
	/*
	 * The chain hash of the row this audit inserted last, in batch
	 * transaction gen: the next row follows it while that transaction
	 * is open and no other row was inserted on the connection since.
	 */
	unsigned char last_hash[CRM_AUDIT_HASH];
	long long last_id;
	unsigned long last_gen;
};

struct crm_audit *
crm_audit_open(struct crm_store *s, const char *tool, const char *model,
    long version, struct crm_err *e)
{
	return crm_audit_open_batch(s, NULL, tool, model, version, e);
}

struct crm_audit *
crm_audit_open_batch(struct crm_store *s, struct crm_batch *batch,
    const char *tool, const char *model, long version, struct crm_err *e)
{
	struct crm_audit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->tool = strdup(tool)) == NULL ||
	    (a->model = strdup(model)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	a->s = s;
	crm_batch_init(&a->own, s, BATCH);
	a->batch = batch != NULL ? batch : &a->own;
	a->version = version;
	a->cur = a->model;
	a->cur_version = version;
	if (sqlite3_prepare_v2(crm_store_db(s),
		"INSERT INTO decisions(time, tool, model, model_version, "
		"record_key, output, score, reasons, subject, content_hash, "
		"chain_hash, review) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		-1, &a->dec, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
		crm_store_db(s), LAST_CHAIN, -1, &a->last, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s),
		"INSERT INTO labels(time, task, record_key, text, label, "
		"source, subject) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		-1, &a->lab, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot prepare the audit log");
		goto fail;
	}
	return a;
fail:
	if (a != NULL) {
		sqlite3_finalize(a->dec);
		sqlite3_finalize(a->lab);
		sqlite3_finalize(a->last);
		free(a->tool);
		free(a->model);
		free(a);
	}
	return NULL;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text64(
		    st, i, p, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

/* ==== The hash chain ==== */

/* The content of a row, in the order it is hashed; p NULL for NULL. */
enum {
	F_TIME,
	F_TOOL,
	F_MODEL,
	F_VERSION,
	F_KEY,
	F_SUBJECT,
	F_OUTPUT,
	F_SCORE,
	F_REASONS,
	F_REVIEW, /* hashed only when not NULL: rows before schema 5 */
	F_N
};

struct field {
	const char *p;
	size_t len;
};

static const char domain[] = "crmkit decisions 1";

static int
put_len(struct crm_buf *b, uint64_t n)
{
	unsigned char le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(n >> (8 * i));
	return crm_buf_add(b, le, 8);
}

/*
 * The canonical encoding: the domain string, then each field as its
 * length (64-bit little-endian) and bytes, a NULL as the length
 * 2^64 - 1 and no bytes; the review last, and only when it is not NULL,
 * so that the rows hashed before it existed keep their hashes.
 */
static int
encode(struct crm_buf *b, const struct field *f)
{
	int i;

	crm_buf_reset(b);
	if (put_len(b, sizeof(domain) - 1) == -1 ||
	    crm_buf_add(b, domain, sizeof(domain) - 1) == -1)
		return -1;
	for (i = 0; i < F_N; i++) {
		if (i == F_REVIEW && f[i].p == NULL)
			continue;
		if (f[i].p == NULL) {
			if (put_len(b, UINT64_MAX) == -1)
				return -1;
		} else if (put_len(b, f[i].len) == -1 ||
			   crm_buf_add(b, f[i].p, f[i].len) == -1)
			return -1;
	}
	return 0;
}

static EVP_MD *sha256_md;

static void
fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* One SHA-256, the algorithm fetched once, not on every call. */
static int
sha256(const void *p, size_t n, unsigned char md[CRM_AUDIT_HASH])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned int len;

	pthread_once(&once, fetch_sha256);
	if (sha256_md == NULL ||
	    EVP_Digest(p, n, md, &len, sha256_md, NULL) != 1 ||
	    len != CRM_AUDIT_HASH)
		return -1;
	return 0;
}

static void
to_hex(const unsigned char *md, char hex[2 * CRM_AUDIT_HASH + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < CRM_AUDIT_HASH; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * CRM_AUDIT_HASH] = '\0';
}

static int
nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 0, or -1 when hex is not 64 lower-case hex digits. */
static int
from_hex(const unsigned char *hex, size_t len, unsigned char *md)
{
	int i, hi, lo;

	if (hex == NULL || len != 2 * CRM_AUDIT_HASH)
		return -1;
	for (i = 0; i < CRM_AUDIT_HASH; i++) {
		if ((hi = nibble(hex[2 * i])) < 0 ||
		    (lo = nibble(hex[2 * i + 1])) < 0)
			return -1;
		md[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/*
 * The score as hashed: the shortest text that reads back the same.  A
 * -0 is hashed as 0: SQLite stores a whole REAL as an integer, and reads
 * -0.0 back as 0.
 */
static size_t
score_text(double v, char buf[32])
{
	int n = snprintf(buf, 32, "%.17g", v == 0 ? 0.0 : v);

	return n > 0 ? (size_t)n : 0;
}

/* chain = SHA-256(prev || content). */
static int
chain(
    const unsigned char *prev, const unsigned char *content, unsigned char *out)
{
	unsigned char two[2 * CRM_AUDIT_HASH];

	memcpy(two, prev, CRM_AUDIT_HASH);
	memcpy(two + CRM_AUDIT_HASH, content, CRM_AUDIT_HASH);
	return sha256(two, sizeof(two), out);
}

/*
 * The chain hash the next row follows, read inside the caller's write
 * transaction: the last row's, or zeros when the table is empty or its
 * last row is of the unchained prefix.  0 or -1.
 */
static int
last_chain(struct crm_store *s, sqlite3_stmt *st, unsigned char *prev,
    struct crm_err *e)
{
	int rc;

	memset(prev, 0, CRM_AUDIT_HASH);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    from_hex(sqlite3_column_text(st, 0),
		(size_t)sqlite3_column_bytes(st, 0), prev) == -1) {
		sqlite3_reset(st);
		return crm_err_set(e, EX_DATAERR,
		    "%s: the last decision's chain hash is damaged; run "
		    "crm-mask verify",
		    crm_store_path(s));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot read the audit chain");
	return 0;
}

/*
 * Insert a decisions row through st (the INSERT of crm_audit_open's
 * columns) with its content hash and chain hash; last is the LAST_CHAIN
 * statement.  The caller holds the write transaction.
 */
static int
insert_row(struct crm_store *s, sqlite3_stmt *st, sqlite3_stmt *last,
    const unsigned char *known, unsigned char *link, struct crm_buf *enc,
    const struct field *f, double score, struct crm_err *e)
{
	unsigned char prev[CRM_AUDIT_HASH], md[CRM_AUDIT_HASH];
	char ch[2 * CRM_AUDIT_HASH + 1], lh[2 * CRM_AUDIT_HASH + 1];
	int i, rc;

	/* the last chain hash and the row in one write transaction */
	if (sqlite3_get_autocommit(crm_store_db(s)))
		return crm_err_set(
		    e, EX_SOFTWARE, "a decision logged outside a transaction");
	if (known != NULL)
		memcpy(prev, known, CRM_AUDIT_HASH);
	else if (last_chain(s, last, prev, e) == -1)
		return -1;
	if (encode(enc, f) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (sha256(enc->p, enc->len, md) == -1 || chain(prev, md, link) == -1)
		return crm_err_set(e, EX_SOFTWARE, "cannot hash a decision");
	to_hex(md, ch);
	to_hex(link, lh);
	for (i = 0; i < F_N; i++) {
		int col = i == F_SUBJECT  ? 9
			  : i == F_REVIEW ? 12
			  : i < F_SUBJECT ? i + 1
					  : i;

		if (i == F_SCORE || (i == F_REVIEW && f[i].p == NULL))
			continue;
		if (f[i].p == NULL)
			sqlite3_bind_null(st, col);
		else
			sqlite3_bind_text64(st, col, f[i].p, f[i].len,
			    SQLITE_STATIC, SQLITE_UTF8);
	}
	if (f[F_VERSION].p != NULL)
		sqlite3_bind_int64(st, 4, strtoll(f[F_VERSION].p, NULL, 10));
	if (f[F_SCORE].p == NULL)
		sqlite3_bind_null(st, 7);
	else
		sqlite3_bind_double(st, 7, score);
	sqlite3_bind_text(st, 10, ch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, lh, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	/* the texts are bound in place, not copied: unbind them */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot log the decision");
	return 0;
}

int
crm_audit_add(struct crm_audit *a, const char *key, size_t klen,
    const char *subject, size_t slen, const char *output, size_t olen,
    double score, const char *reasons, size_t rlen, struct crm_err *e)
{
	struct field f[F_N];
	char now[21], ver[24], sc[32];
	sqlite3 *db;
	int known;

	/*
	 * In a writer's open batch the decision rides along with the
	 * writer's row for it, not counted: the writer's batches stay as
	 * they were.
	 */
	if (!a->begun && !(a->batch != &a->own && a->batch->open) &&
	    crm_batch_add(a->batch, e) == -1)
		return -1;
	a->begun = 0;
	crm_model_now(now);
	snprintf(ver, sizeof(ver), "%ld", a->cur_version);
	f[F_TIME] = (struct field){ now, strlen(now) };
	f[F_TOOL] = (struct field){ a->tool, strlen(a->tool) };
	f[F_MODEL] = (struct field){ a->cur, strlen(a->cur) };
	f[F_VERSION] = (struct field){ ver, strlen(ver) };
	f[F_KEY] = (struct field){ key, klen };
	f[F_SUBJECT] = (struct field){ subject, slen };
	f[F_OUTPUT] = (struct field){ output, olen };
	/* SQLite keeps a NaN as NULL */
	f[F_SCORE] = isnan(score) ? (struct field){ NULL, 0 }
				  : (struct field){ sc, score_text(score, sc) };
	f[F_REASONS] = (struct field){ reasons, rlen };
	f[F_REVIEW] = (struct field){ a->review,
		a->review != NULL ? strlen(a->review) : 0 };
	a->review = NULL;
	/* the row this audit inserted last is still the last one? */
	db = crm_store_db(a->s);
	known = a->last_id != 0 && a->batch->open &&
		a->batch->gen == a->last_gen &&
		sqlite3_last_insert_rowid(db) == a->last_id;
	if (insert_row(a->s, a->dec, a->last, known ? a->last_hash : NULL,
		a->last_hash, &a->enc, f, score, e) == -1) {
		a->last_id = 0;
		return -1;
	}
	a->last_id = sqlite3_last_insert_rowid(db);
	a->last_gen = a->batch->gen;
	return 0;
}

void
crm_audit_review(struct crm_audit *a, const char *review)
{
	a->review = review;
}

void
crm_audit_set_model(struct crm_audit *a, const char *model, long version)
{
	a->cur = model != NULL ? model : a->model;
	a->cur_version = model != NULL ? version : a->version;
}

int
crm_audit_begin(struct crm_audit *a, struct crm_err *e)
{
	if (a->begun)
		return 0;
	if (crm_batch_add(a->batch, e) == -1)
		return -1;
	a->begun = 1;
	return 0;
}

int
crm_audit_label(struct crm_audit *a, const char *key, size_t klen,
    const char *subject, size_t slen, const char *text, size_t tlen,
    const char *label, size_t llen, const char *source, struct crm_err *e)
{
	char now[21];
	int rc;

	if (crm_batch_add(a->batch, e) == -1)
		return -1;
	crm_model_now(now);
	sqlite3_bind_text(a->lab, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(a->lab, 2, a->model, -1, SQLITE_STATIC);
	bind_opt(a->lab, 3, key, klen);
	bind_opt(a->lab, 4, text, tlen);
	bind_opt(a->lab, 5, label, llen);
	sqlite3_bind_text(a->lab, 6, source, -1, SQLITE_TRANSIENT);
	bind_opt(a->lab, 7, subject, slen);
	rc = sqlite3_step(a->lab);
	sqlite3_reset(a->lab);
	if (rc != SQLITE_DONE)
		return crm_store_fail(a->s, e, "cannot save the label");
	return 0;
}

int
crm_audit_commit(struct crm_audit *a, struct crm_err *e)
{
	return a->batch == &a->own ? crm_batch_commit(&a->own, e) : 0;
}

void
crm_audit_idle(void *arg)
{
	struct crm_audit *a = arg;

	if (a != NULL && a->batch == &a->own)
		crm_batch_idle(&a->own);
}

int
crm_audit_close(struct crm_audit *a, struct crm_err *e)
{
	int rc;

	if (a == NULL)
		return 0;
	rc = a->batch == &a->own ? crm_batch_close(&a->own, e) : 0;
	sqlite3_finalize(a->dec);
	sqlite3_finalize(a->lab);
	sqlite3_finalize(a->last);
	crm_buf_release(&a->enc);
	free(a->tool);
	free(a->model);
	free(a);
	return rc;
}

int
crm_labels_each(struct crm_store *s, const char *task,
    int (*fn)(void *, const char *, size_t, const char *, size_t), void *arg,
    struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT text, label FROM labels WHERE task = ?1 AND text "
		"IS NOT NULL ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read labels");
	sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
			(size_t)sqlite3_column_bytes(st, 0),
			(const char *)sqlite3_column_text(st, 1),
			(size_t)sqlite3_column_bytes(st, 1)) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(s, e, "cannot read labels");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* ==== Verification and redaction ==== */

#define ERASE_TOOL "crm-mask erase"

/* A row an erasure entry names, with the content hash it left it with. */
struct named {
	long long id;
	long long entry; /* the entry's id: the latest entry for a row counts */
	unsigned char md[CRM_AUDIT_HASH];
};

/* Room for one more row in *v; 0, or -1 when out of memory. */
static int
grow_named(struct named **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		struct named *q = crm_reallocarray(*v, c, sizeof(*q));

		if (q == NULL)
			return -1;
		*v = q;
		*cap = c;
	}
	return 0;
}

/*
 * The rows an erasure entry's output names, {"redacted":[ID,...],
 * "hashes":["HEX",...]}, appended to *v as entry's; 0, -1 when it is not
 * one, -2 when out of memory.
 */
static int
parse_redacted(const char *p, size_t len, long long entry, struct named **v,
    size_t *n, size_t *cap)
{
	static const char head[] = "{\"redacted\":[", mid[] = "],\"hashes\":[";
	const char *end = p + len;
	size_t from = *n, k;
	long long x;

	if (p == NULL || len < sizeof(head) + 1 ||
	    memcmp(p, head, sizeof(head) - 1) != 0)
		return -1;
	p += sizeof(head) - 1;
	for (;;) {
		if (p == end || *p < '1' || *p > '9')
			return -1;
		for (x = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (x > (INT64_MAX - 9) / 10)
				return -1;
			x = x * 10 + (*p - '0');
		}
		if (grow_named(v, n, cap) == -1)
			return -2;
		(*v)[*n].id = x;
		(*v)[(*n)++].entry = entry;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	if ((size_t)(end - p) < sizeof(mid) - 1 ||
	    memcmp(p, mid, sizeof(mid) - 1) != 0)
		return -1;
	p += sizeof(mid) - 1;
	for (k = from; k < *n; k++) {
		if (end - p < 2 + 2 * CRM_AUDIT_HASH || *p != '"' ||
		    from_hex((const unsigned char *)p + 1, 2 * CRM_AUDIT_HASH,
			(*v)[k].md) == -1 ||
		    p[1 + 2 * CRM_AUDIT_HASH] != '"')
			return -1;
		p += 2 + 2 * CRM_AUDIT_HASH;
		if (k + 1 < *n) {
			if (p == end || *p != ',')
				return -1;
			p++;
		}
	}
	return end - p == 2 && p[0] == ']' && p[1] == '}' ? 0 : -1;
}

/* By row, then by entry: the last of a row's is the one in force. */
static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* A row's text column as a field (p NULL for NULL). */
static struct field
col(sqlite3_stmt *st, int i)
{
	struct field f = { NULL, 0 };

	if (sqlite3_column_type(st, i) != SQLITE_NULL) {
		f.p = (const char *)sqlite3_column_text(st, i);
		f.len = (size_t)sqlite3_column_bytes(st, i);
		if (f.p == NULL)
			f.p = "";
	}
	return f;
}

#define COLS                                                        \
	"SELECT id, time, tool, model, model_version, record_key, " \
	"subject, output, score, reasons, review, content_hash, "   \
	"chain_hash "
#define ROWS   COLS "FROM decisions ORDER BY id"
#define ROW_ID COLS "FROM decisions WHERE id = ?1"

/*
 * The content hash of the row st stands on (of ROWS' columns) into md,
 * its fields into f; 0, or -1 with e filled.
 */
static int
row_hash(sqlite3_stmt *st, struct field *f, struct crm_buf *enc,
    unsigned char md[CRM_AUDIT_HASH], struct crm_err *e)
{
	char sc[32];
	int i;

	for (i = 0; i < F_N; i++)
		f[i] = col(st, i + 1);
	if (sqlite3_column_type(st, 8) != SQLITE_NULL)
		f[F_SCORE] = (struct field){ sc,
			score_text(sqlite3_column_double(st, 8), sc) };
	if (encode(enc, f) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (sha256(enc->p, enc->len, md) == -1)
		return crm_err_set(e, EX_SOFTWARE, "cannot hash a decision");
	return 0;
}

/*
 * Which row's chain hash, followed by content, gives link: its id in
 * *found (0 for the start of the chain, the zero hash), or -1 when none;
 * the id of the row after it in *next (0: none), and whether that row
 * has link for its chain hash too (*same: a copy).
 */
static int
find_prev(struct crm_store *s, const unsigned char *content,
    const unsigned char *link, long long *found, long long *next, int *same,
    struct crm_err *e)
{
	unsigned char prev[CRM_AUDIT_HASH], md[CRM_AUDIT_HASH];
	sqlite3_stmt *st;
	int rc;

	*found = -1;
	*next = 0;
	*same = 0;
	memset(prev, 0, sizeof(prev));
	if (chain(prev, content, md) == -1)
		return crm_err_set(e, EX_SOFTWARE, "cannot hash a decision");
	if (memcmp(md, link, CRM_AUDIT_HASH) == 0) {
		*found = 0;
		return 0;
	}
	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT id, chain_hash FROM decisions ORDER BY id", -1, &st,
		NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read the decisions");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (from_hex(sqlite3_column_text(st, 1),
			(size_t)sqlite3_column_bytes(st, 1), prev) == -1)
			continue;
		if (chain(prev, content, md) == -1) {
			sqlite3_finalize(st);
			return crm_err_set(
			    e, EX_SOFTWARE, "cannot hash a decision");
		}
		if (memcmp(md, link, CRM_AUDIT_HASH) == 0) {
			*found = sqlite3_column_int64(st, 0);
			if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				*next = sqlite3_column_int64(st, 0);
				*same = from_hex(sqlite3_column_text(st, 1),
					    (size_t)sqlite3_column_bytes(st, 1),
					    md) == 0 &&
					memcmp(md, link, CRM_AUDIT_HASH) == 0;
			}
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot read the decisions");
	return 0;
}

/* What is wrong at row id, whose chain does not follow row prev (0: none). */
static int
explain_break(struct crm_store *s, struct crm_audit_check *c, long long id,
    long long prev, const unsigned char *content, const unsigned char *link,
    struct crm_err *e)
{
	long long x, next;
	int same;

	c->bad = id;
	if (find_prev(s, content, link, &x, &next, &same, e) == -1)
		return -1;
	if (x > id)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld is out of order: its chain follows "
		    "row %lld",
		    id, x);
	else if (x >= 0 && same)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld was inserted: it repeats row %lld", id,
		    next);
	else if (x >= 0 && next > 0 && next < id) {
		/* id is in place: what lies between was put there */
		c->bad = next;
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld was inserted: row %lld follows "
		    "%s%.0lld, not row %lld",
		    next, id, x == 0 ? "the start of the chain" : "row ", x,
		    prev);
	} else if (x == 0)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld follows the start of the chain, not "
		    "row %lld",
		    id, prev);
	else if (x > 0)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld follows row %lld, not row %lld", id, x,
		    prev);
	else if (prev == 0)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld does not follow the start of the "
		    "chain: the rows before it were deleted",
		    id);
	else if (id == prev + 2)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld does not follow row %lld: row %lld "
		    "was deleted",
		    id, prev, prev + 1);
	else if (id > prev + 2)
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld does not follow row %lld: rows %lld "
		    "to %lld were deleted",
		    id, prev, prev + 1, id - 1);
	else
		snprintf(c->what, sizeof(c->what),
		    "decisions row %lld does not follow row %lld: row %lld "
		    "was changed with its hashes, or a row between them was "
		    "deleted",
		    id, prev, prev);
	return 0;
}

/*
 * The last decisions row written before schema 4 (audit_state, set by
 * the migration): rows after it must be chained.  0 or -1.
 */
static int
unchained_upto(struct crm_store *s, long long *upto)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT unchained_upto FROM audit_state", -1, &st,
		NULL) != SQLITE_OK)
		return -1;
	*upto = (rc = sqlite3_step(st)) == SQLITE_ROW
		    ? sqlite3_column_int64(st, 0)
		    : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
crm_audit_verify(
    struct crm_store *s, struct crm_audit_check *c, struct crm_err *e)
{
	unsigned char prev[CRM_AUDIT_HASH], md[CRM_AUDIT_HASH],
	    stored[CRM_AUDIT_HASH], link[CRM_AUDIT_HASH], want[CRM_AUDIT_HASH];
	struct named *changed = NULL, *named = NULL;
	long long id, last = 0, upto = 0;
	size_t nchanged = 0, capchanged = 0, nnamed = 0, capnamed = 0, i, j;
	struct crm_buf enc = { 0 };
	struct field f[F_N];
	sqlite3_stmt *st = NULL;
	int rc, chained = 0, ret = -1;

	memset(c, 0, sizeof(*c));
	memset(prev, 0, sizeof(prev));
	if (sqlite3_exec(crm_store_db(s), "BEGIN", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    unchained_upto(s, &upto) == -1 ||
	    sqlite3_prepare_v2(crm_store_db(s), ROWS, -1, &st, NULL) !=
		SQLITE_OK) {
		crm_store_fail(s, e, "cannot read the decisions");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		c->rows++;
		if (sqlite3_column_type(st, 11) == SQLITE_NULL &&
		    sqlite3_column_type(st, 12) == SQLITE_NULL) {
			if (chained) {
				c->bad = id;
				snprintf(c->what, sizeof(c->what),
				    "decisions row %lld has no hashes: it was "
				    "inserted after the chain began",
				    id);
				break;
			}
			if (id > upto) {
				c->bad = id;
				snprintf(c->what, sizeof(c->what),
				    "decisions row %lld has no hashes, but "
				    "only rows up to %lld were written before "
				    "schema 4: its hashes were removed",
				    id, upto);
				break;
			}
			c->unchained++;
			continue;
		}
		chained = 1;
		if (from_hex(sqlite3_column_text(st, 11),
			(size_t)sqlite3_column_bytes(st, 11), stored) == -1 ||
		    from_hex(sqlite3_column_text(st, 12),
			(size_t)sqlite3_column_bytes(st, 12), link) == -1) {
			c->bad = id;
			snprintf(c->what, sizeof(c->what),
			    "decisions row %lld was changed: its hashes are "
			    "not SHA-256 hashes in hex",
			    id);
			break;
		}
		if (row_hash(st, f, &enc, md, e) == -1)
			goto out;
		if (chain(prev, stored, want) == -1) {
			crm_err_set(e, EX_SOFTWARE, "cannot hash a decision");
			goto out;
		}
		if (memcmp(want, link, CRM_AUDIT_HASH) != 0) {
			if (explain_break(s, c, id, last, stored, link, e) ==
			    -1)
				goto out;
			break;
		}
		if (memcmp(md, stored, CRM_AUDIT_HASH) != 0) {
			if (grow_named(&changed, &nchanged, &capchanged) ==
			    -1) {
				crm_err_set(e, EX_SOFTWARE, "out of memory");
				goto out;
			}
			changed[nchanged].id = id;
			memcpy(changed[nchanged++].md, md, CRM_AUDIT_HASH);
		} else if (f[F_TOOL].p != NULL &&
			   f[F_TOOL].len == sizeof(ERASE_TOOL) - 1 &&
			   memcmp(f[F_TOOL].p, ERASE_TOOL, f[F_TOOL].len) ==
			       0) {
			size_t from = nnamed;
			int pr = parse_redacted(f[F_OUTPUT].p, f[F_OUTPUT].len,
			    id, &named, &nnamed, &capnamed);

			if (pr == -2) {
				crm_err_set(e, EX_SOFTWARE, "out of memory");
				goto out;
			}
			/* an entry names only rows before it */
			for (i = from; pr == 0 && i < nnamed; i++)
				if (named[i].id >= id)
					pr = -1;
			if (pr == -1) {
				nnamed = from;
				c->bad = id;
				snprintf(c->what, sizeof(c->what),
				    "decisions row %lld is an erasure entry "
				    "that does not name earlier rows",
				    id);
				break;
			}
		}
		memcpy(prev, link, CRM_AUDIT_HASH);
		last = id;
	}
	if (c->bad == 0 && rc != SQLITE_DONE) {
		crm_store_fail(s, e, "cannot read the decisions");
		goto out;
	}
	/*
	 * A changed row is accepted when the last erasure entry that names
	 * it gives the hash of its content now: the redaction, and nothing
	 * done to the row after it.
	 */
	if (nnamed > 0)
		qsort(named, nnamed, sizeof(*named), cmp_named);
	for (i = 0, j = 0; i < nchanged; i++) {
		while (j < nnamed && named[j].id < changed[i].id)
			j++;
		while (j + 1 < nnamed && named[j + 1].id == changed[i].id)
			j++;
		if (j < nnamed && named[j].id == changed[i].id &&
		    memcmp(named[j].md, changed[i].md, CRM_AUDIT_HASH) == 0) {
			c->redacted++;
			continue;
		}
		if (c->bad == 0 || changed[i].id < c->bad) {
			c->bad = changed[i].id;
			snprintf(c->what, sizeof(c->what),
			    j < nnamed && named[j].id == changed[i].id
				? "decisions row %lld was changed after its "
				  "erasure: its content does not match the "
				  "erasure entry's hash"
				: "decisions row %lld was changed: its content "
				  "does not match its content hash",
			    changed[i].id);
		}
		break;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	sqlite3_exec(crm_store_db(s), "COMMIT", NULL, NULL, NULL);
	crm_buf_release(&enc);
	free(changed);
	free(named);
	return ret;
}

int
crm_audit_redact(struct crm_store *s, const struct crm_audit_redaction *r,
    size_t n, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(s);
	sqlite3_stmt *get = NULL, *upd = NULL, *ins = NULL, *last = NULL,
		     *row = NULL;
	struct crm_buf out = { 0 }, enc = { 0 };
	unsigned char link[CRM_AUDIT_HASH], md[CRM_AUDIT_HASH];
	char hex[2 * CRM_AUDIT_HASH + 1];
	struct field f[F_N];
	long long *ids = NULL;
	struct crm_jw w;
	char now[21];
	size_t i;
	int own = sqlite3_get_autocommit(db), rc, ret = -1;

	if (n == 0)
		return 0;
	if ((ids = crm_reallocarray(NULL, n, sizeof(*ids))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		ids[i] = r[i].id;
	qsort(ids, n, sizeof(*ids), cmp_ll);
	if (own && crm_store_begin(s, e) == -1)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT tool FROM decisions WHERE id = ?1",
		-1, &get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"UPDATE decisions SET record_key = coalesce(?2, record_key), "
		"subject = coalesce(?3, subject), "
		"output = coalesce(?4, output), "
		"reasons = coalesce(?5, reasons) WHERE id = ?1",
		-1, &upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"INSERT INTO decisions(time, tool, model, model_version, "
		"record_key, output, score, reasons, subject, content_hash, "
		"chain_hash) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		-1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, LAST_CHAIN, -1, &last, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, ROW_ID, -1, &row, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot redact decisions");
		goto out;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(get, 1, r[i].id);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW && sqlite3_column_text(get, 0) != NULL &&
		    strcmp((const char *)sqlite3_column_text(get, 0),
			ERASE_TOOL) == 0) {
			sqlite3_reset(get);
			crm_err_set(e, EX_DATAERR,
			    "decisions row %lld is an erasure entry, which "
			    "cannot be redacted",
			    r[i].id);
			goto out;
		}
		sqlite3_reset(get);
		if (rc == SQLITE_DONE) {
			crm_err_set(
			    e, EX_DATAERR, "no decisions row %lld", r[i].id);
			goto out;
		}
		if (rc != SQLITE_ROW) {
			crm_store_fail(s, e, "cannot redact decisions");
			goto out;
		}
		sqlite3_bind_int64(upd, 1, r[i].id);
		bind_opt(upd, 2, r[i].record_key,
		    r[i].record_key ? strlen(r[i].record_key) : 0);
		bind_opt(upd, 3, r[i].subject,
		    r[i].subject ? strlen(r[i].subject) : 0);
		bind_opt(
		    upd, 4, r[i].output, r[i].output ? strlen(r[i].output) : 0);
		bind_opt(upd, 5, r[i].reasons,
		    r[i].reasons ? strlen(r[i].reasons) : 0);
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		if (rc != SQLITE_DONE) {
			crm_store_fail(s, e, "cannot redact decisions");
			goto out;
		}
	}
	crm_jw_init(&w, &out);
	crm_jw_obj(&w);
	crm_jw_key(&w, "redacted");
	crm_jw_arr(&w);
	for (i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			crm_jw_int(&w, ids[i]);
	crm_jw_end(&w);
	/* each row's content hash now, so verify holds it to its redaction */
	crm_jw_key(&w, "hashes");
	crm_jw_arr(&w);
	for (i = 0; i < n; i++) {
		if (i > 0 && ids[i] == ids[i - 1])
			continue;
		sqlite3_bind_int64(row, 1, ids[i]);
		if (sqlite3_step(row) != SQLITE_ROW) {
			sqlite3_reset(row);
			crm_store_fail(s, e, "cannot redact decisions");
			goto out;
		}
		rc = row_hash(row, f, &enc, md, e);
		sqlite3_reset(row);
		if (rc == -1)
			goto out;
		to_hex(md, hex);
		crm_jw_str(&w, hex);
	}
	crm_jw_end(&w);
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1)
		goto oom;
	crm_model_now(now);
	memset(f, 0, sizeof(f));
	f[F_TIME] = (struct field){ now, strlen(now) };
	f[F_TOOL] = (struct field){ ERASE_TOOL, sizeof(ERASE_TOOL) - 1 };
	f[F_OUTPUT] = (struct field){ out.p, out.len };
	if (insert_row(s, ins, last, NULL, link, &enc, f, 0, e) == -1)
		goto out;
	if (own && crm_store_commit(s, e) == -1) {
		own = 0;
		goto out;
	}
	own = 0;
	ret = 0;
	goto out;
oom:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	if (own)
		crm_store_rollback(s);
	sqlite3_finalize(get);
	sqlite3_finalize(upd);
	sqlite3_finalize(ins);
	sqlite3_finalize(last);
	sqlite3_finalize(row);
	crm_buf_release(&out);
	crm_buf_release(&enc);
	free(ids);
	return ret;
}

const char *
crm_audit_summary(const struct crm_audit_check *c, char *buf, size_t n)
{
	int k = snprintf(
	    buf, n, "verified %lld decisions: the chain is intact", c->rows);

	if (c->unchained > 0 && k >= 0 && (size_t)k < n)
		k += snprintf(buf + k, n - (size_t)k,
		    "; %lld unchained from before schema 4", c->unchained);
	if (c->redacted > 0 && k >= 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "; %lld redacted by erasure",
		    c->redacted);
	return buf;
}

const struct crm_erase_step crm_audit_erase[] = {
	{ "labels", "deleted",
	    "DELETE FROM labels WHERE subject = ?1 OR (subject IS NULL AND "
	    "(record_key = ?1 OR record_key IN "
	    "(SELECT record_key FROM decisions WHERE subject = ?1)))" },
	{ NULL, NULL, NULL },
};

/* crm-dedupe's decisions whose output (a person's id) names the customer */
#define DEDUPE_OUTPUT "(tool = 'crm-dedupe' AND " CRM_ERASE_NAMED("output") ")"

int
crm_audit_erase_subject(struct crm_store *s, const char *id, const char *token,
    crm_erase_fn fn, void *arg, struct crm_err *e)
{
	struct crm_audit_redaction *r = NULL, *q;
	struct crm_buf outs = { 0 }; /* the outputs renamed, NUL-separated */
	size_t *off = NULL, *o;	     /* each row's in outs, or SIZE_MAX */
	sqlite3_stmt *st;
	size_t n = 0, cap = 0, i;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT id, record_key = ?1, subject = ?1 OR (subject IS NULL "
		"AND record_key = ?1), CASE WHEN output = ?1 THEN ?2 "
		"WHEN " DEDUPE_OUTPUT " THEN " CRM_ERASE_RENAMED(
		    "output") " END "
			      "FROM decisions WHERE (subject = ?1 OR (subject "
			      "IS NULL AND "
			      "record_key = ?1) OR output = ?1 "
			      "OR " DEDUPE_OUTPUT ") "
			      "AND tool IS NOT '" ERASE_TOOL "' ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read decisions");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((q = crm_reallocarray(r, cap, sizeof(*r))) ==
			    NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			r = q;
			if ((o = crm_reallocarray(off, cap, sizeof(*o))) ==
			    NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			off = o;
		}
		/*
		 * The customer's own rows lose the id and their reasons;
		 * another's row (a dedupe link whose cluster id is the
		 * customer's, or a variant of it) only the id in its
		 * output.
		 */
		r[n].id = sqlite3_column_int64(st, 0);
		r[n].record_key = sqlite3_column_int(st, 1) ? token : NULL;
		r[n].subject = sqlite3_column_int(st, 2) ? token : NULL;
		r[n].output = NULL;
		r[n].reasons = sqlite3_column_int(st, 2) ? "[]" : NULL;
		off[n] = SIZE_MAX;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			off[n] = outs.len;
			if (crm_buf_add(&outs, sqlite3_column_text(st, 3),
				(size_t)sqlite3_column_bytes(st, 3) + 1) ==
			    -1) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(r);
		free(off);
		crm_buf_release(&outs);
		return rc == SQLITE_NOMEM
			   ? crm_err_set(e, EX_SOFTWARE, "out of memory")
			   : crm_store_fail(s, e, "cannot read decisions");
	}
	for (i = 0; i < n; i++)
		if (off[i] != SIZE_MAX)
			r[i].output = outs.p + off[i];
	rc = n > 0 ? crm_audit_redact(s, r, n, e) : 0;
	free(r);
	free(off);
	crm_buf_release(&outs);
	if (rc == -1)
		return -1;
	fn(arg, id, "decisions", "redacted", (long)n, NULL);
	return 0;
}

/* ==== Merging a shard's decisions (merge.h) ==== */

/*
 * Whether the shard's row at mark->upto still has the chain hash the
 * merge recorded: 1, 0, or -1 with e filled.
 */
static int
mark_holds(struct crm_store *shard, const struct crm_merge_mark *mark,
    struct crm_err *e)
{
	sqlite3_stmt *st;
	const unsigned char *h;
	int rc, ok = 0;

	if (sqlite3_prepare_v2(crm_store_db(shard),
		"SELECT chain_hash FROM decisions WHERE id = ?1", -1, &st,
		NULL) != SQLITE_OK)
		return crm_store_fail(shard, e, "cannot read the decisions");
	sqlite3_bind_int64(st, 1, mark->upto);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h = sqlite3_column_text(st, 0);
		ok = h != NULL && strcmp((const char *)h, mark->chain) == 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(shard, e, "cannot read the decisions");
	return ok;
}

int
crm_audit_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	struct crm_audit_check c;
	unsigned char prev[CRM_AUDIT_HASH], md[CRM_AUDIT_HASH],
	    link[CRM_AUDIT_HASH];
	char lh[2 * CRM_AUDIT_HASH + 1];
	sqlite3_stmt *rd = NULL, *wr = NULL, *last = NULL;
	const unsigned char *tool;
	int i, rc, k, ret = -1;

	if (crm_audit_verify(shard, &c, e) == -1)
		return -1;
	if (c.bad != 0)
		return crm_err_set(e, EX_DATAERR,
		    "the chain is broken: %s (crm-mask verify --db %s): not "
		    "merged",
		    c.what, crm_store_path(shard));
	if (c.unchained > 0)
		return crm_err_set(e, EX_DATAERR,
		    "%lld decisions from before schema 4 have no hashes to "
		    "chain: not merged",
		    c.unchained);
	if (mark->upto > 0 && (k = mark_holds(shard, mark, e)) != 1)
		return k == -1 ? -1
			       : crm_err_set(e, EX_DATAERR,
				     "decisions row %lld is not the one merged "
				     "from a shard of this file name before "
				     "(its chain hash differs): give the file "
				     "another name to merge it as another "
				     "shard",
				     mark->upto);
	if (sqlite3_prepare_v2(crm_store_db(shard),
		"SELECT id, time, tool, model, model_version, record_key, "
		"output, score, reasons, subject, content_hash, review, "
		"chain_hash FROM decisions WHERE id > ?1 ORDER BY id",
		-1, &rd, NULL) != SQLITE_OK) {
		crm_store_fail(shard, e, "cannot read the decisions");
		goto out;
	}
	if (sqlite3_prepare_v2(crm_store_db(m),
		"INSERT INTO decisions(time, tool, model, model_version, "
		"record_key, output, score, reasons, subject, content_hash, "
		"review, chain_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12)",
		-1, &wr, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(m), LAST_CHAIN, -1, &last, NULL) !=
		SQLITE_OK) {
		crm_store_fail(m, e, "cannot prepare the decisions");
		goto out;
	}
	if (last_chain(m, last, prev, e) == -1)
		goto out;
	sqlite3_bind_int64(rd, 1, mark->upto);
	while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
		tool = sqlite3_column_text(rd, 2);
		if (tool != NULL &&
		    strcmp((const char *)tool, ERASE_TOOL) == 0) {
			crm_err_set(e, EX_DATAERR,
			    "decisions row %lld is an erasure entry, which "
			    "names the shard's rows: erase on the main store "
			    "(crm-mask erase), not merged",
			    (long long)sqlite3_column_int64(rd, 0));
			goto out;
		}
		/* verified above: the content hash is the content's */
		if (from_hex(sqlite3_column_text(rd, 10),
			(size_t)sqlite3_column_bytes(rd, 10), md) == -1 ||
		    chain(prev, md, link) == -1) {
			crm_err_set(e, EX_SOFTWARE, "cannot hash a decision");
			goto out;
		}
		to_hex(link, lh);
		for (i = 1; i <= 11; i++)
			sqlite3_bind_value(wr, i, sqlite3_column_value(rd, i));
		sqlite3_bind_text(wr, 12, lh, -1, SQLITE_STATIC);
		k = sqlite3_step(wr);
		sqlite3_reset(wr);
		if (k != SQLITE_DONE) {
			crm_store_fail(m, e, "cannot merge the decisions");
			goto out;
		}
		memcpy(prev, link, CRM_AUDIT_HASH);
		(*changed)++;
		mark->upto = sqlite3_column_int64(rd, 0);
		snprintf(mark->chain, sizeof(mark->chain), "%s",
		    (const char *)sqlite3_column_text(rd, 12));
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(shard, e, "cannot read the decisions");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(rd);
	sqlite3_finalize(wr);
	sqlite3_finalize(last);
	return ret;
}
