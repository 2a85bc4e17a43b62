/*
 * load: the upsert of one record.  Every record becomes at most two
 * statements: INSERT ... ON CONFLICT DO NOTHING, and when the key was
 * there already, an UPDATE whose WHERE clause is false when no column
 * would change, so sqlite3_changes() tells inserted, updated and
 * unchanged apart without reading the row first.  Statements are prepared
 * once per set of columns a record carries (a CSV file has one such set)
 * and kept in a small cache.
 *
 * A record is first planned (which columns, the key, the extra JSON in
 * both its forms) into a packed form, then executed (bound and stepped).
 * In batch mode (crm_loader_start) a writer thread owns the connection and
 * stores one batch per transaction while the caller reads and normalizes
 * the next one: two buffers, handed over under a mutex.  For customers
 * and events the caller's thread also plans each record into its buffer,
 * so the writer only binds and steps; a generic table's plan may add a
 * column to the table, so its records are packed whole and planned by
 * the writer.  The store's WAL checkpoints run on a third thread meanwhile
 * (see crm_store_bg_checkpoints), so the writer does not wait for the
 * disk.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <xxhash.h>

#include "buf.h"
#include "consent.h"
#include "load.h"
#include "merge.h"

#define CACHE_SIZE 16

struct stmt {
	size_t *cols; /* column indexes bound, ascending */
	size_t ncols;
	int extra; /* binds the extra JSON last: 1 as is, 2 through json() */
	sqlite3_stmt *ins;
	sqlite3_stmt *upd;
};

/*
 * A planned record, as packed in a buffer: this head, then ncols struct
 * plan_col, then the bytes of the key, of each value, of the extra JSON
 * for an insert and of the one for an update.  Read with memcpy: the
 * buffer keeps no alignment.
 */
struct plan {
	unsigned long line; /* for messages */
	size_t ncols;
	int extra; /* as in struct stmt; 0: no extra JSON */
	size_t klen;
	size_t ins; /* bytes of the insert's JSON; 0: bind null */
	size_t upd; /* bytes of the update's JSON; SAME_JSON: the insert's */
};

struct plan_col {
	size_t col; /* column index */
	size_t len; /* bytes of the value; NULL_VALUE: bind null */
};

#define NULL_VALUE SIZE_MAX
#define SAME_JSON  SIZE_MAX

struct crm_loader {
	struct crm_store *st;
	struct crm_schema *sc;
	sqlite3 *db;
	char *table;	      /* table name */
	const char *keycol;   /* its key column */
	const char *extracol; /* the JSON column of the other fields */
	int builtin;	      /* customers or events: has "extra" */
	struct crm_consent_load *consent; /* the consent kind: its own */
	char **cols;			  /* value columns known to the table */
	size_t ncols;
	char **textnum; /* columns typed number in the schema, TEXT here */
	size_t ntextnum;

	/* Planning: the thread that plans (see the top of the file). */
	struct bound {
		size_t col;	 /* a column */
		size_t src;	 /* the field stored there */
		const char *val; /* its value as bound, NULL for null */
		size_t vlen;
	} * cur; /* per record, by column */
	size_t ncur, capcur;
	size_t *ex; /* the fields that go to extra */
	size_t nex;
	long kidx;		 /* the key field, or -1 */
	unsigned long map_names; /* the names id cur, ex and kidx are for */
	struct crm_buf key;
	struct crm_buf whole;	    /* the record as JSON, for a content key */
	struct crm_poscache col_at; /* column by position: -1 extra, -2 key */
	struct crm_buf one;	    /* the plan of crm_loader_put's record */

	/* Storing: the thread that owns the connection. */
	struct stmt cache[CACHE_SIZE];
	size_t ncache, evict;
	struct crm_buf sql;
	size_t *wcols; /* the columns of the record being stored */
	size_t capw;
	struct crm_rec *wrec; /* a generic table's record, unpacked */

	/* Batch mode: the caller fills b[fill], the thread stores queued. */
	int started;
	size_t batch;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch {
		struct crm_buf buf; /* plans, or packed records */
		size_t n;
	} b[2];
	int fill;
	int queued; /* index of the batch handed over, or -1 */
	int quit;
	int failed; /* the thread stopped on terr */
	struct crm_err terr;
	unsigned long long counts[3]; /* by enum crm_load_result */
};

static void
quote_ident(struct crm_buf *b, const char *s)
{
	crm_buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			crm_buf_addc(b, '"');
		crm_buf_addc(b, *s);
	}
	crm_buf_addc(b, '"');
}

static int
add_col(struct crm_loader *ld, const char *name)
{
	char **v, *c;

	if ((c = strdup(name)) == NULL)
		return -1;
	if ((v = crm_reallocarray(ld->cols, ld->ncols + 1, sizeof(*v))) ==
	    NULL) {
		free(c);
		return -1;
	}
	ld->cols = v;
	ld->cols[ld->ncols++] = c;
	return 0;
}

/* Read the generic table's columns (all but the key) into ld->cols. */
static int
read_columns(struct crm_loader *ld, struct crm_err *e)
{
	sqlite3_stmt *st;
	const char *name;
	size_t i;
	int rc;

	if (sqlite3_prepare_v2(ld->db,
		"SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1, &st,
		NULL) != SQLITE_OK)
		return crm_store_fail(ld->st, e, "cannot read the table");
	sqlite3_bind_text(st, 1, ld->table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name == NULL || strcmp(name, ld->keycol) == 0 ||
		    strcmp(name, ld->extracol) == 0)
			continue;
		for (i = 0; i < ld->ncols; i++)
			if (strcasecmp(ld->cols[i], name) == 0)
				break;
		if (i == ld->ncols && add_col(ld, name) == -1) {
			sqlite3_finalize(st);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(ld->st, e, "cannot read the table");
	return 0;
}

/* Does decl hold word anywhere, ignoring case (as SQLite looks)? */
static int
has_word(const char *decl, const char *word)
{
	size_t n = strlen(word);

	for (; *decl != '\0'; decl++)
		if (strncasecmp(decl, word, n) == 0)
			return 1;
	return 0;
}

/*
 * Does a column declared decl keep numbers as numbers?  SQLite's rules of
 * affinity (datatype3.html, 3.1): INT, then CHAR, CLOB or TEXT, then BLOB
 * or none; anything else is REAL or NUMERIC.
 */
static int
numeric_affinity(const char *decl)
{
	if (decl == NULL || *decl == '\0')
		return 0;
	if (has_word(decl, "INT"))
		return 1;
	return !has_word(decl, "CHAR") && !has_word(decl, "CLOB") &&
	       !has_word(decl, "TEXT") && !has_word(decl, "BLOB");
}

/*
 * Check an existing generic table: it must be one of ours (it has the
 * key column), and the columns that --type makes numbers but that were
 * made TEXT (by an older crm-ingest, or an earlier run without --type)
 * are listed: they keep their type, SQLite has no way to change it.
 */
static int
check_table(struct crm_loader *ld, struct crm_err *e)
{
	sqlite3_stmt *st;
	const char *name, *decl;
	enum crm_ftype t;
	char **v, *c;
	int rc, keyed = 0;

	if (sqlite3_prepare_v2(ld->db,
		"SELECT name, type FROM pragma_table_info(?1) ORDER BY cid", -1,
		&st, NULL) != SQLITE_OK)
		return crm_store_fail(ld->st, e, "cannot read the table");
	sqlite3_bind_text(st, 1, ld->table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		decl = (const char *)sqlite3_column_text(st, 1);
		if (name == NULL)
			continue;
		keyed |= strcmp(name, ld->keycol) == 0;
		t = crm_schema_declared(ld->sc, name, strlen(name));
		if ((t != CRM_F_NUMBER && t != CRM_F_INTEGER) ||
		    numeric_affinity(decl))
			continue;
		if ((c = strdup(name)) == NULL ||
		    (v = crm_reallocarray(
			 ld->textnum, ld->ntextnum + 1, sizeof(*v))) == NULL) {
			free(c);
			sqlite3_finalize(st);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
		ld->textnum = v;
		ld->textnum[ld->ntextnum++] = c;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(ld->st, e, "cannot read the table");
	if (!keyed)
		return crm_err_set(e, EX_USAGE,
		    "--table '%s': the store has a table of that name that "
		    "crm-ingest did not make (it has no _key column)",
		    ld->table);
	return 0;
}

const char *
crm_loader_text_column(const struct crm_loader *ld, size_t i)
{
	return i < ld->ntextnum ? ld->textnum[i] : NULL;
}

struct crm_loader *
crm_loader_new(struct crm_store *st, struct crm_schema *sc, struct crm_err *e)
{
	struct crm_loader *ld;
	static const char *const customer_cols[] = { "name", "email", "phone",
		"city", "country", "birth_date", "signup_date", NULL };
	static const char *const event_cols[] = { "customer_id", "time", "type",
		"item", "amount", "channel", "text", NULL };
	const char *const *c = NULL;

	if ((ld = calloc(1, sizeof(*ld))) == NULL ||
	    (ld->wrec = crm_rec_new()) == NULL ||
	    (ld->table = strdup(crm_schema_kind(sc))) == NULL) {
		crm_loader_free(ld);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	ld->st = st;
	ld->sc = sc;
	ld->db = crm_store_db(st);
	crm_buf_init(&ld->sql);
	crm_buf_init(&ld->key);
	crm_buf_init(&ld->whole);
	crm_buf_init(&ld->one);
	crm_buf_init(&ld->b[0].buf);
	crm_buf_init(&ld->b[1].buf);
	ld->builtin = crm_schema_builtin(sc);
	ld->extracol = "extra";
	if (strcmp(ld->table, "consent") == 0) {
		/*
		 * Keyed by three columns and with no extra JSON, so
		 * lib/consent.c, its owner, writes it; a batch holds its
		 * records packed whole, as a generic table's.
		 */
		if ((ld->consent = crm_consent_load_new(st, e)) == NULL)
			goto fail;
		ld->builtin = 0;
		return ld;
	}
	if (strcmp(ld->table, "customers") == 0) {
		ld->keycol = "customer_id";
		c = customer_cols;
	} else if (strcmp(ld->table, "events") == 0) {
		ld->keycol = "event_key";
		c = event_cols;
	} else {
		ld->keycol = "_key";
		ld->extracol = "_extra";
	}
	for (; c != NULL && *c != NULL; c++)
		if (add_col(ld, *c) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto fail;
		}
	if (!ld->builtin) {
		crm_buf_adds(&ld->sql, "CREATE TABLE IF NOT EXISTS ");
		quote_ident(&ld->sql, ld->table);
		crm_buf_adds(&ld->sql, " (\"_key\" TEXT PRIMARY KEY NOT NULL, "
				       "\"_extra\" TEXT) WITHOUT ROWID");
		if (ld->sql.p == NULL || sqlite3_exec(ld->db, ld->sql.p, NULL,
					     NULL, NULL) != SQLITE_OK) {
			crm_store_fail(st, e, "cannot create the table");
			goto fail;
		}
		if (read_columns(ld, e) == -1 || check_table(ld, e) == -1)
			goto fail;
	}
	return ld;
fail:
	crm_loader_free(ld);
	return NULL;
}

static void
stmt_clear(struct stmt *s)
{
	free(s->cols);
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->upd);
	memset(s, 0, sizeof(*s));
}

void
crm_loader_free(struct crm_loader *ld)
{
	size_t i;
	int k;

	if (ld == NULL)
		return;
	if (ld->started) {
		pthread_mutex_lock(&ld->mu);
		ld->quit = 1;
		pthread_cond_broadcast(&ld->cv);
		pthread_mutex_unlock(&ld->mu);
		pthread_join(ld->th, NULL);
		pthread_mutex_destroy(&ld->mu);
		pthread_cond_destroy(&ld->cv);
		crm_store_bg_checkpoints_stop(ld->st);
	}
	for (k = 0; k < 2; k++)
		crm_buf_release(&ld->b[k].buf);
	for (i = 0; i < ld->ncache; i++)
		stmt_clear(&ld->cache[i]);
	for (i = 0; i < ld->ncols; i++)
		free(ld->cols[i]);
	free(ld->cols);
	for (i = 0; i < ld->ntextnum; i++)
		free(ld->textnum[i]);
	free(ld->textnum);
	free(ld->cur);
	free(ld->ex);
	free(ld->table);
	crm_rec_free(ld->wrec);
	free(ld->wcols);
	crm_buf_release(&ld->one);
	crm_buf_release(&ld->sql);
	crm_buf_release(&ld->key);
	crm_buf_release(&ld->whole);
	crm_poscache_release(&ld->col_at);
	crm_consent_load_free(ld->consent);
	free(ld);
}

/*
 * Find the generic table's column for a field, adding it as a column of
 * type decl if new; decl NULL: only find it (*col = SIZE_MAX if none).
 */
static int
generic_column(struct crm_loader *ld, const char *name, size_t len,
    const char *decl, size_t *col, struct crm_err *e)
{
	size_t i;

	for (i = 0; i < ld->ncols; i++)
		if (strlen(ld->cols[i]) == len &&
		    strncasecmp(ld->cols[i], name, len) == 0) {
			*col = i;
			return 0;
		}
	if (decl == NULL) {
		*col = SIZE_MAX;
		return 0;
	}
	/* Another process may have added it since we looked. */
	if (read_columns(ld, e) == -1)
		return -1;
	for (i = 0; i < ld->ncols; i++)
		if (strlen(ld->cols[i]) == len &&
		    strncasecmp(ld->cols[i], name, len) == 0) {
			*col = i;
			return 0;
		}
	crm_buf_reset(&ld->sql);
	crm_buf_adds(&ld->sql, "ALTER TABLE ");
	quote_ident(&ld->sql, ld->table);
	crm_buf_adds(&ld->sql, " ADD COLUMN ");
	quote_ident(&ld->sql, name);
	crm_buf_addc(&ld->sql, ' ');
	crm_buf_adds(&ld->sql, decl);
	if (ld->sql.p == NULL || add_col(ld, name) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (sqlite3_exec(ld->db, ld->sql.p, NULL, NULL, NULL) != SQLITE_OK) {
		free(ld->cols[--ld->ncols]);
		return crm_store_fail(ld->st, e, "cannot add a column");
	}
	*col = ld->ncols - 1;
	return 0;
}

static int
prepare(struct crm_loader *ld, struct stmt *s, struct crm_err *e)
{
	struct crm_buf *b = &ld->sql;
	size_t i, n = s->ncols + (s->extra ? 1 : 0);

	crm_buf_reset(b);
	crm_buf_adds(b, "INSERT INTO ");
	quote_ident(b, ld->table);
	crm_buf_addc(b, '(');
	quote_ident(b, ld->keycol);
	for (i = 0; i < s->ncols; i++) {
		crm_buf_addc(b, ',');
		quote_ident(b, ld->cols[s->cols[i]]);
	}
	if (s->extra)
		crm_buf_addf(b, ",\"%s\"", ld->extracol);
	crm_buf_adds(b, ") VALUES (?1");
	for (i = 0; i < s->ncols; i++)
		crm_buf_addf(b, ",?%zu", i + 2);
	if (s->extra == 1)
		crm_buf_addf(b, ",?%zu", n + 1);
	else if (s->extra == 2)
		crm_buf_addf(b, ",json_patch('{}',?%zu)", n + 1);
	crm_buf_adds(b, ") ON CONFLICT DO NOTHING");
	if (b->p == NULL ||
	    sqlite3_prepare_v3(ld->db, b->p, -1, SQLITE_PREPARE_PERSISTENT,
		&s->ins, NULL) != SQLITE_OK)
		return crm_store_fail(ld->st, e, "cannot prepare insert");
	if (n == 0)
		return 0; /* nothing to update but the key */

	crm_buf_reset(b);
	crm_buf_adds(b, "UPDATE ");
	quote_ident(b, ld->table);
	crm_buf_adds(b, " SET ");
	for (i = 0; i < s->ncols; i++) {
		if (i > 0)
			crm_buf_addc(b, ',');
		quote_ident(b, ld->cols[s->cols[i]]);
		crm_buf_addf(b, "=?%zu", i + 2);
	}
	if (s->extra)
		crm_buf_addf(b,
		    "%s\"%s\"=nullif(json_patch(coalesce(\"%s\",'{}'),"
		    "?%zu),'{}')",
		    s->ncols > 0 ? "," : "", ld->extracol, ld->extracol, n + 1);
	crm_buf_adds(b, " WHERE ");
	quote_ident(b, ld->keycol);
	crm_buf_adds(b, "=?1 AND (");
	for (i = 0; i < s->ncols; i++) {
		if (i > 0)
			crm_buf_adds(b, " OR ");
		quote_ident(b, ld->cols[s->cols[i]]);
		crm_buf_addf(b, " IS NOT ?%zu", i + 2);
	}
	if (s->extra)
		crm_buf_addf(b,
		    "%s\"%s\" IS NOT nullif(json_patch(coalesce(\"%s\","
		    "'{}'),?%zu),'{}')",
		    s->ncols > 0 ? " OR " : "", ld->extracol, ld->extracol,
		    n + 1);
	crm_buf_addc(b, ')');
	if (b->p == NULL ||
	    sqlite3_prepare_v3(ld->db, b->p, -1, SQLITE_PREPARE_PERSISTENT,
		&s->upd, NULL) != SQLITE_OK)
		return crm_store_fail(ld->st, e, "cannot prepare update");
	return 0;
}

/* The cached statements for a set of columns, prepared if new. */
static struct stmt *
lookup(struct crm_loader *ld, const size_t *cols, size_t ncols, int extra,
    struct crm_err *e)
{
	struct stmt *s;
	size_t i;

	for (i = 0; i < ld->ncache; i++) {
		s = &ld->cache[i];
		if (s->ncols == ncols && s->extra == extra &&
		    memcmp(s->cols, cols, ncols * sizeof(size_t)) == 0)
			return s;
	}
	if (ld->ncache < CACHE_SIZE) {
		s = &ld->cache[ld->ncache++];
	} else {
		s = &ld->cache[ld->evict];
		ld->evict = (ld->evict + 1) % CACHE_SIZE;
		stmt_clear(s);
	}
	s->cols = crm_reallocarray(NULL, ncols ? ncols : 1, sizeof(size_t));
	if (s->cols == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	memcpy(s->cols, cols, ncols * sizeof(size_t));
	s->ncols = ncols;
	s->extra = extra;
	if (prepare(ld, s, e) == -1) {
		stmt_clear(s);
		s->cols = NULL;
		/* Leave the slot empty but valid for the next lookup. */
		s->ncols = SIZE_MAX;
		return NULL;
	}
	return s;
}

/*
 * The text a field's value is stored as, in *len bytes; NULL for SQL
 * null (a null, or an empty string).
 */
static const char *
column_value(const struct crm_rec *r, size_t i, size_t *len)
{
	const char *v = crm_rec_value(r, i, len);

	switch (crm_rec_type(r, i)) {
	case CRM_NULL:
		return NULL;
	case CRM_FALSE:
		*len = 5;
		return "false";
	case CRM_TRUE:
		*len = 4;
		return "true";
	case CRM_STRING:
		return *len == 0 ? NULL : v;
	case CRM_NUMBER:
	case CRM_JSON:
		break;
	}
	return v;
}

/*
 * The record's key: its key field (at, or -1), or a hash of the whole
 * record.
 */
static int
record_key(struct crm_loader *ld, const struct crm_rec *r, long at,
    const char **key, size_t *klen, struct crm_err *e)
{
	XXH128_hash_t h;

	if (at >= 0 && crm_rec_type(r, (size_t)at) != CRM_NULL) {
		*key = crm_rec_value(r, (size_t)at, klen);
		if (*klen > 0)
			return 0;
	}
	crm_buf_reset(&ld->whole);
	crm_buf_reset(&ld->key);
	if (crm_rec_to_json(r, &ld->whole) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	h = XXH3_128bits(ld->whole.p, ld->whole.len);
	if (crm_buf_addf(&ld->key, "%016llx%016llx",
		(unsigned long long)h.high64,
		(unsigned long long)h.low64) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	*key = ld->key.p;
	*klen = ld->key.len;
	return 0;
}

/*
 * Can name be a column of a generic table?  Empty names, long
 * ones, names with control characters and names starting with '_' (ours:
 * _key, _extra) cannot; their fields go into _extra instead.
 */
static int
column_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > 128 || name[0] == '_')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * The type of a new column of a generic table for field i of r: NUMERIC
 * (whole numbers stored as INTEGER, others as REAL) or INTEGER for a
 * field typed so; with --infer-types, NUMERIC when the value is a number
 * (crm_schema_apply made it one only if the field's first value was)
 * and NULL, for "not yet", when it is empty; else TEXT.
 */
static const char *
column_decl(struct crm_loader *ld, const struct crm_rec *r, size_t i)
{
	size_t len;
	const char *name = crm_rec_name(r, i, &len);
	enum crm_type vt = crm_rec_type(r, i);

	switch (crm_schema_declared(ld->sc, name, len)) {
	case CRM_F_NUMBER:
		return "NUMERIC";
	case CRM_F_INTEGER:
		return "INTEGER";
	case CRM_F_AUTO:
		break;
	default:
		return "TEXT";
	}
	if (!crm_schema_inferring(ld->sc))
		return "TEXT";
	if (vt == CRM_NUMBER)
		return "NUMERIC";
	crm_rec_value(r, i, &len);
	if (vt == CRM_NULL || (vt == CRM_STRING && len == 0))
		return NULL;
	return "TEXT";
}

/*
 * Where field i of r goes: a column index, -1 for the extra JSON, -2 for
 * the key field of a built-in kind (stored as the key column), -3 for
 * nowhere yet (an empty value of a field whose type --infer-types has
 * not decided, which has no column yet: null either way).
 */
static int
field_column(struct crm_loader *ld, const struct crm_rec *r, size_t i, long *at,
    struct crm_err *e)
{
	const char *kf = crm_schema_key(ld->sc), *col, *name;
	size_t c = 0, len;

	name = crm_rec_name(r, i, &len);
	if (!ld->builtin) {
		if (!column_name_ok(name, len)) {
			*at = -1;
			return 0;
		}
		if (generic_column(
			ld, name, len, column_decl(ld, r, i), &c, e) == -1)
			return -1;
		*at = c == SIZE_MAX ? -3 : (long)c;
		return 0;
	}
	if (kf != NULL && strlen(kf) == len && memcmp(kf, name, len) == 0) {
		*at = -2;
		return 0;
	}
	if ((col = crm_schema_column(ld->sc, name, len)) == NULL) {
		*at = -1;
		return 0;
	}
	for (c = 0; strcmp(ld->cols[c], col) != 0; c++)
		;
	*at = (long)c;
	return 0;
}

/* Room for n fields in the arrays of a record's plan. */
static int
grow_cur(struct crm_loader *ld, size_t n)
{
	struct bound *a;
	size_t *x;

	if (n <= ld->capcur)
		return 0;
	if ((a = crm_reallocarray(ld->cur, n, sizeof(*a))) == NULL)
		return -1;
	ld->cur = a;
	if ((x = crm_reallocarray(ld->ex, n, sizeof(*x))) == NULL)
		return -1;
	ld->ex = x;
	ld->capcur = n;
	return 0;
}

/*
 * Which fields of r go to which columns (ld->cur, sorted by column),
 * which into the extra JSON (ld->ex) and which is the key (ld->kidx).
 * That depends on the names only, so the records of one header share
 * it.  A generic table may get a new column.  0, or -1 with e
 * filled.
 */
static int
map_fields(struct crm_loader *ld, const struct crm_rec *r, struct crm_err *e)
{
	const char *kf;
	size_t i, j, n = crm_rec_count(r), c;
	long at;
	int later = 0; /* a field has no column yet: map the next again */

	if (crm_rec_names_id(r) != 0 && crm_rec_names_id(r) == ld->map_names)
		return 0;
	ld->map_names = 0;
	if (grow_cur(ld, n + 1) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	ld->ncur = 0;
	ld->nex = 0;
	for (i = 0; i < n; i++) {
		if (!crm_poscache_get(&ld->col_at, r, i, &at)) {
			if (field_column(ld, r, i, &at, e) == -1 ||
			    (at != -3 &&
				crm_poscache_set(&ld->col_at, r, i, at) == -1))
				return e->code != 0
					   ? -1
					   : crm_err_set(e, EX_SOFTWARE,
						 "out of memory");
		}
		if (at == -3)
			later = 1;
		if (at == -2 || at == -3)
			continue;
		if (at == -1) {
			ld->ex[ld->nex++] = i;
			continue;
		}
		c = (size_t)at;
		/* Insertion sort by column: records are short. */
		for (j = ld->ncur; j > 0 && ld->cur[j - 1].col > c; j--)
			ld->cur[j] = ld->cur[j - 1];
		if (j > 0 && ld->cur[j - 1].col == c) {
			/*
			 * Columns ignore case: "Name" after "name" has no
			 * column of its own and goes into _extra.
			 */
			for (; j < ld->ncur; j++)
				ld->cur[j] = ld->cur[j + 1];
			ld->ex[ld->nex++] = i;
			continue;
		}
		ld->cur[j].col = c;
		ld->cur[j].src = i;
		ld->ncur++;
	}
	kf = crm_schema_key(ld->sc);
	ld->kidx = kf != NULL ? crm_rec_find(r, kf, strlen(kf)) : -1;
	ld->map_names = later ? 0 : crm_rec_names_id(r);
	return 0;
}

/*
 * Plan the upsert of r: append to b its struct plan, columns and bytes.
 * A generic table's plan may add a column to its table.  0, or -1 with e
 * filled.
 */
static int
plan(struct crm_loader *ld, const struct crm_rec *r, struct crm_buf *b,
    struct crm_err *e)
{
	const char *key = NULL;
	size_t i, j, len, klen = 0, start, at0;
	struct plan h;
	struct plan_col pc;
	struct bound *bd;
	enum crm_type t;
	int nulls = 0;

	if (map_fields(ld, r, e) == -1)
		return -1;
	h.extra = 0;
	for (i = 0; i < ld->nex; i++) {
		/* An empty value in the extra JSON means "none". */
		t = crm_rec_type(r, ld->ex[i]);
		crm_rec_value(r, ld->ex[i], &len);
		nulls |= t == CRM_NULL || (t == CRM_STRING && len == 0);
		/*
		 * Our JSON is compact and canonical unless a value is
		 * nested JSON kept as written; only then does SQLite need
		 * to rewrite it.
		 */
		if (t == CRM_JSON)
			h.extra = 2;
		else if (h.extra == 0)
			h.extra = 1;
	}
	if (record_key(ld, r, ld->kidx, &key, &klen, e) == -1)
		return -1;

	/* The head, then the columns, key and values, then the JSON. */
	h.line = crm_rec_line(r);
	h.ncols = ld->ncur;
	h.klen = klen;
	start = b->len;
	if (crm_buf_add(b, &h, sizeof(h)) == -1)
		goto oom;
	for (j = 0; j < ld->ncur; j++) {
		bd = &ld->cur[j];
		bd->val = column_value(r, bd->src, &bd->vlen);
		pc.col = bd->col;
		pc.len = bd->val != NULL ? bd->vlen : NULL_VALUE;
		if (crm_buf_add(b, &pc, sizeof(pc)) == -1)
			goto oom;
	}
	if (crm_buf_add(b, key, klen) == -1)
		goto oom;
	for (j = 0; j < ld->ncur; j++)
		if ((bd = &ld->cur[j])->val != NULL &&
		    crm_buf_add(b, bd->val, bd->vlen) == -1)
			goto oom;
	/*
	 * A new row gets the extra fields that have a value; an update
	 * merges them all, so a null removes a key: two forms, the same
	 * text when no field is null.
	 */
	h.ins = h.upd = 0;
	if (h.extra) {
		at0 = b->len;
		if (crm_rec_fields_to_json(r, ld->ex, ld->nex,
			CRM_JSON_EMPTY_NULL | CRM_JSON_SKIP_NULL, b) == -1)
			goto oom;
		h.ins = b->len - at0;
		if (h.ins == 2) { /* {} */
			b->len = at0;
			h.ins = 0;
		}
		at0 = b->len;
		if (nulls && crm_rec_fields_to_json(r, ld->ex, ld->nex,
				 CRM_JSON_EMPTY_NULL, b) == -1)
			goto oom;
		h.upd = nulls ? b->len - at0 : SAME_JSON;
	}
	memcpy(b->p + start, &h, sizeof(h));
	return 0;
oom:
	b->len = start;
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

/*
 * Store the record planned at *p and move *p past it.  Returns 0 with
 * *res and *line set, or -1 with e filled.  Uses the connection: the
 * writer's side.
 */
static int
exec(struct crm_loader *ld, const char **p, enum crm_load_result *res,
    unsigned long *line, struct crm_err *e)
{
	struct plan h;
	struct plan_col pc;
	const char *cols, *bytes, *v, *ins, *upd;
	size_t j, *a, vlen = 0;
	struct stmt *s;
	sqlite3_stmt *st;
	int rc, k;

	memcpy(&h, *p, sizeof(h));
	*line = h.line;
	cols = *p + sizeof(h);
	bytes = cols + h.ncols * sizeof(pc);
	/* Never NULL, even for no columns: lookup() compares it. */
	if (h.ncols + 1 > ld->capw) {
		if ((a = crm_reallocarray(
			 ld->wcols, h.ncols + 1, sizeof(*a))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		ld->wcols = a;
		ld->capw = h.ncols + 1;
	}
	for (j = 0; j < h.ncols; j++) {
		memcpy(&pc, cols + j * sizeof(pc), sizeof(pc));
		ld->wcols[j] = pc.col;
		vlen += pc.len != NULL_VALUE ? pc.len : 0;
	}
	ins = bytes + h.klen + vlen;
	upd = h.upd == SAME_JSON ? ins : ins + h.ins;
	*p = upd + (h.upd == SAME_JSON ? h.ins : h.upd);
	if ((s = lookup(ld, ld->wcols, h.ncols, h.extra, e)) == NULL)
		return -1;
	for (k = 0; k < 2; k++) {
		st = k == 0 ? s->ins : s->upd;
		if (st == NULL)
			break;
		sqlite3_bind_text64(
		    st, 1, bytes, h.klen, SQLITE_STATIC, SQLITE_UTF8);
		v = bytes + h.klen;
		for (j = 0; j < h.ncols; j++) {
			memcpy(&pc, cols + j * sizeof(pc), sizeof(pc));
			if (pc.len == NULL_VALUE) {
				sqlite3_bind_null(st, (int)j + 2);
				continue;
			}
			sqlite3_bind_text64(st, (int)j + 2, v, pc.len,
			    SQLITE_STATIC, SQLITE_UTF8);
			v += pc.len;
		}
		if (h.extra && k == 0 && h.ins == 0)
			sqlite3_bind_null(st, (int)h.ncols + 2);
		else if (h.extra)
			sqlite3_bind_text64(st, (int)h.ncols + 2,
			    k == 0 ? ins : upd,
			    k == 0 || h.upd == SAME_JSON ? h.ins : h.upd,
			    SQLITE_STATIC, SQLITE_UTF8);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return crm_store_fail(ld->st, e, "cannot store record");
		if (sqlite3_changes(ld->db) > 0) {
			*res = k == 0 ? CRM_LOAD_INSERTED : CRM_LOAD_UPDATED;
			return 0;
		}
	}
	*res = CRM_LOAD_UNCHANGED;
	return 0;
}

int
crm_loader_put(struct crm_loader *ld, const struct crm_rec *r,
    enum crm_load_result *res, struct crm_err *e)
{
	const char *p;
	unsigned long line;

	if (ld->consent != NULL)
		return crm_consent_load_put(ld->consent, r, res, e);
	crm_buf_reset(&ld->one);
	if (plan(ld, r, &ld->one, e) == -1)
		return -1;
	p = ld->one.p;
	return exec(ld, &p, res, &line, e);
}

/* ==== Batch mode ==== */

/* Store one batch in one transaction. */
static int
store_batch(struct crm_loader *ld, struct batch *b, struct crm_err *e)
{
	enum crm_load_result res;
	const char *p = b->buf.p;
	unsigned long line;
	size_t i, used;
	int rc;

	if (b->n == 0)
		return 0;
	if (crm_store_begin(ld->st, e) == -1)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (ld->builtin) {
			rc = exec(ld, &p, &res, &line, e);
		} else if ((used = crm_rec_unpack(ld->wrec, p)) == 0) {
			line = 0;
			rc = crm_err_set(e, EX_SOFTWARE, "out of memory");
		} else {
			p += used;
			line = crm_rec_line(ld->wrec);
			rc = crm_loader_put(ld, ld->wrec, &res, e);
		}
		if (rc == -1) {
			e->line = line;
			crm_store_rollback(ld->st);
			return -1;
		}
		ld->counts[res]++;
	}
	return crm_store_commit(ld->st, e);
}

static void *
writer(void *arg)
{
	struct crm_loader *ld = arg;
	struct crm_err e;
	int rc;

	pthread_mutex_lock(&ld->mu);
	for (;;) {
		while (ld->queued < 0 && !ld->quit)
			pthread_cond_wait(&ld->cv, &ld->mu);
		if (ld->queued < 0)
			break;
		pthread_mutex_unlock(&ld->mu);
		crm_err_clear(&e);
		rc = ld->failed ? 0 : store_batch(ld, &ld->b[ld->queued], &e);
		pthread_mutex_lock(&ld->mu);
		if (rc == -1) {
			ld->failed = 1;
			ld->terr = e;
		}
		ld->queued = -1;
		pthread_cond_broadcast(&ld->cv);
	}
	pthread_mutex_unlock(&ld->mu);
	return NULL;
}

int
crm_loader_start(struct crm_loader *ld, size_t batch, struct crm_err *e)
{
	ld->batch = batch;
	ld->queued = -1;
	if (crm_store_bg_checkpoints(ld->st, e) == -1)
		return -1;
	if (pthread_mutex_init(&ld->mu, NULL) != 0 ||
	    pthread_cond_init(&ld->cv, NULL) != 0 ||
	    pthread_create(&ld->th, NULL, writer, ld) != 0)
		return crm_err_set(e, EX_SOFTWARE, "cannot start a thread");
	ld->started = 1;
	return 0;
}

/* Hand the filled batch to the writer, once it is done with the last. */
static int
hand_over(struct crm_loader *ld, struct crm_err *e)
{
	int failed;

	pthread_mutex_lock(&ld->mu);
	while (ld->queued >= 0)
		pthread_cond_wait(&ld->cv, &ld->mu);
	if (!(failed = ld->failed)) {
		ld->queued = ld->fill;
		pthread_cond_broadcast(&ld->cv);
	}
	pthread_mutex_unlock(&ld->mu);
	if (failed) {
		*e = ld->terr;
		return -1;
	}
	ld->fill ^= 1;
	ld->b[ld->fill].n = 0;
	crm_buf_reset(&ld->b[ld->fill].buf);
	return 0;
}

int
crm_loader_add(
    struct crm_loader *ld, const struct crm_rec *r, struct crm_err *e)
{
	struct batch *b = &ld->b[ld->fill];

	if (ld->builtin) {
		if (plan(ld, r, &b->buf, e) == -1)
			return -1;
	} else if (crm_rec_pack(r, &b->buf) == -1) {
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (++b->n == ld->batch)
		return hand_over(ld, e);
	return 0;
}

int
crm_loader_finish(struct crm_loader *ld, struct crm_err *e)
{
	int failed;

	if (ld->b[ld->fill].n > 0 && hand_over(ld, e) == -1)
		return -1;
	pthread_mutex_lock(&ld->mu);
	while (ld->queued >= 0)
		pthread_cond_wait(&ld->cv, &ld->mu);
	failed = ld->failed;
	pthread_mutex_unlock(&ld->mu);
	crm_store_bg_checkpoints_stop(ld->st);
	if (failed) {
		*e = ld->terr;
		return -1;
	}
	return 0;
}

void
crm_loader_counts(const struct crm_loader *ld, unsigned long long *ins,
    unsigned long long *upd, unsigned long long *same)
{
	*ins = ld->counts[CRM_LOAD_INSERTED];
	*upd = ld->counts[CRM_LOAD_UPDATED];
	*same = ld->counts[CRM_LOAD_UNCHANGED];
}

int
crm_load_erase(struct crm_store *s, const char *id, crm_erase_fn fn, void *arg,
    struct crm_err *e)
{
	static const char *const fixed[][2] = {
		{ "customers", "DELETE FROM customers WHERE customer_id = ?1" },
		{ "events", "DELETE FROM events WHERE customer_id = ?1" },
	};
	sqlite3_stmt *st;
	struct crm_buf sql;
	const char *t;
	size_t i;
	long n;
	int rc;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((n = crm_store_run_id(s, fixed[i][1], id, NULL, e)) < 0)
			return -1;
		fn(arg, id, fixed[i][0], "deleted", n, NULL);
	}
	/* the tables, each with whether it has a customer_id column */
	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT m.name, EXISTS (SELECT 1 FROM "
		"pragma_table_info(m.name) "
		"WHERE name = 'customer_id' COLLATE NOCASE) "
		"FROM sqlite_schema AS m WHERE m.type = 'table' AND "
		"m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot list the tables");
	crm_buf_init(&sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		if (t == NULL || crm_store_reserved(t) == CRM_STORE_TABLE)
			continue;
		if (!sqlite3_column_int(st, 1)) {
			fn(arg, id, t, "unchecked", 0, "no customer_id column");
			continue;
		}
		/* the name quoted as crm-ingest writes it; columns: any case */
		crm_buf_reset(&sql);
		crm_buf_adds(&sql, "DELETE FROM ");
		quote_ident(&sql, t);
		crm_buf_adds(&sql, " WHERE customer_id = ?1");
		if (sql.p == NULL ||
		    (n = crm_store_run_id(s, sql.p, id, NULL, e)) < 0) {
			rc = SQLITE_ERROR;
			break;
		}
		fn(arg, id, t, "deleted", n, NULL);
	}
	sqlite3_finalize(st);
	crm_buf_release(&sql);
	if (rc != SQLITE_DONE)
		return e->code != 0
			   ? -1
			   : crm_store_fail(s, e, "cannot list the tables");
	return 0;
}

/* ==== Merging shards (merge.h) ==== */

/*
 * Upsert table's rows from shard: key, then cols (NULL-terminated), then
 * extra, each updated as crm_loader_put would (a NULL keeps the value,
 * the extra JSON patched), and only where that changes the row.
 */
static int
merge_keyed(struct crm_store *m, struct crm_store *shard,
    const struct crm_merge_mark *mark, const char *table, const char *key,
    const char *const *cols, long long *changed, struct crm_err *e)
{
	struct crm_buf sel, wr;
	size_t i, n;
	int rc;

	crm_buf_init(&sel);
	crm_buf_init(&wr);
	crm_buf_addf(&sel, "SELECT %s, %s", key, key);
	crm_buf_addf(&wr, "INSERT INTO %s(%s", table, key);
	for (n = 0; cols[n] != NULL; n++) {
		crm_buf_addf(&sel, ", %s", cols[n]);
		crm_buf_addf(&wr, ", %s", cols[n]);
	}
	crm_buf_addf(&sel, ", extra FROM %s ORDER BY 1", table);
	crm_buf_adds(&wr, ", extra) VALUES (?1");
	for (i = 0; i <= n; i++)
		crm_buf_addf(&wr, ", ?%zu", i + 2);
	crm_buf_addf(&wr, ") ON CONFLICT(%s) DO UPDATE SET ", key);
	for (i = 0; i < n; i++)
		crm_buf_addf(&wr, "%s = coalesce(excluded.%s, %s), ", cols[i],
		    cols[i], cols[i]);
#define PATCHED                                                              \
	"nullif(json_patch(coalesce(extra, '{}'), coalesce(excluded.extra, " \
	"'{}')), '{}')"
	crm_buf_adds(&wr, "extra = " PATCHED " WHERE ");
	for (i = 0; i < n; i++)
		crm_buf_addf(&wr, "coalesce(excluded.%s, %s) IS NOT %s OR ",
		    cols[i], cols[i], cols[i]);
	crm_buf_adds(&wr, PATCHED " IS NOT extra");
#undef PATCHED
	if (sel.p == NULL || wr.p == NULL)
		rc = crm_err_set(e, EX_SOFTWARE, "out of memory");
	else
		rc = crm_merge_copy(m, shard, mark, sel.p, wr.p, changed, e);
	crm_buf_release(&sel);
	crm_buf_release(&wr);
	return rc;
}

int
crm_load_merge_customers(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	static const char *const cols[] = { "name", "email", "phone", "city",
		"country", "birth_date", "signup_date", NULL };

	return merge_keyed(
	    m, shard, mark, "customers", "customer_id", cols, changed, e);
}

int
crm_load_merge_events(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	static const char *const cols[] = { "customer_id", "time", "type",
		"item", "amount", "channel", "text", NULL };

	return merge_keyed(
	    m, shard, mark, "events", "event_key", cols, changed, e);
}
