/*
 * clusters: the store's clusters table, and the customers read back as
 * JSONL through a stream of fopencookie(3) that steps one query as the
 * reader asks for more text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "clock.h"
#include "clusters.h"
#include "linkage.h"
#include "merge.h"
#include "strmap.h"

/* ==== Writing ==== */

struct crm_clusters {
	struct crm_store *s;
	sqlite3_stmt *st;
	struct crm_batch batch;
};

struct crm_clusters *
crm_clusters_open(struct crm_store *s, struct crm_err *e)
{
	static const char sql[] = "INSERT INTO clusters(record_id, cluster_id, "
				  "score, time)"
				  " VALUES (?1, ?2, ?3, ?4) ON "
				  "CONFLICT(record_id) DO UPDATE SET"
				  " cluster_id = excluded.cluster_id, score = "
				  "excluded.score,"
				  " time = excluded.time";
	struct crm_clusters *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	c->s = s;
	if (sqlite3_prepare_v2(crm_store_db(s), sql, -1, &c->st, NULL) !=
	    SQLITE_OK) {
		crm_store_fail(s, e, "cannot store clusters");
		free(c);
		return NULL;
	}
	crm_batch_init(&c->batch, s, 1000);
	return c;
}

int
crm_clusters_put(struct crm_clusters *c, const char *rid, size_t rlen,
    const char *cid, size_t clen, double score, const char *now,
    struct crm_err *e)
{
	sqlite3_stmt *st = c->st;

	if (crm_batch_add(&c->batch, e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, rid, (int)rlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cid, (int)clen, SQLITE_STATIC);
	if (isnan(score))
		sqlite3_bind_null(st, 3);
	else
		sqlite3_bind_double(st, 3, score);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		crm_store_fail(c->s, e, "cannot store clusters");
		sqlite3_reset(st);
		crm_store_rollback(c->s);
		c->batch.open = 0;
		c->batch.pending = 0;
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
crm_clusters_rename(struct crm_store *s, const char *from, size_t flen,
    const char *to, size_t tlen, const char *now, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"UPDATE clusters SET cluster_id = ?2, time = ?3"
		" WHERE cluster_id = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot store clusters");
	sqlite3_bind_text(st, 1, from, (int)flen, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE
		   ? 0
		   : crm_store_fail(s, e, "cannot store clusters");
}

int
crm_clusters_close(struct crm_clusters *c, struct crm_err *e)
{
	int rc;

	if (c == NULL)
		return 0;
	sqlite3_finalize(c->st);
	rc = crm_batch_close(&c->batch, e);
	free(c);
	return rc;
}

/* ==== Reading ==== */

struct crm_customers {
	struct crm_store *s;
	sqlite3_stmt *st;
	int clustered;
	FILE *fp;
	struct crm_buf text; /* the rows not yet read */
	size_t off;
	char **cluster; /* by row, with clustered */
	size_t n, cap;
	int done, failed;
	struct crm_err err;
};

/* Step the query for the next row's text; 1, 0 at the end, -1. */
static int
next_row(struct crm_customers *cs)
{
	const char *json, *cl;
	char **p;
	int rc;

	if (cs->done)
		return 0;
	if ((rc = sqlite3_step(cs->st)) == SQLITE_DONE) {
		cs->done = 1;
		return 0;
	}
	if (rc != SQLITE_ROW) {
		crm_store_fail(cs->s, &cs->err, "cannot read customers");
		return -1;
	}
	json = (const char *)sqlite3_column_text(cs->st, 0);
	crm_buf_reset(&cs->text);
	cs->off = 0;
	if (crm_buf_adds(&cs->text, json ? json : "{}") == -1 ||
	    crm_buf_addc(&cs->text, '\n') == -1)
		goto oom;
	if (!cs->clustered)
		return 1;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 1024;

		if ((p = crm_reallocarray(cs->cluster, cap, sizeof(*p))) ==
		    NULL)
			goto oom;
		cs->cluster = p;
		cs->cap = cap;
	}
	cl = (const char *)sqlite3_column_text(cs->st, 1);
	if ((cs->cluster[cs->n] = strdup(cl ? cl : "")) == NULL)
		goto oom;
	cs->n++;
	return 1;
oom:
	crm_err_set(&cs->err, EX_SOFTWARE, "out of memory");
	return -1;
}

static ssize_t
cookie_read(void *arg, char *buf, size_t size)
{
	struct crm_customers *cs = arg;
	size_t n;
	int rc;

	if (cs->failed) {
		errno = EIO;
		return -1;
	}
	while (cs->off == cs->text.len) {
		if ((rc = next_row(cs)) == 0)
			return 0;
		if (rc == -1) {
			cs->failed = 1;
			errno = EIO;
			return -1;
		}
	}
	n = cs->text.len - cs->off;
	if (n > size)
		n = size;
	memcpy(buf, cs->text.p + cs->off, n);
	cs->off += n;
	return (ssize_t)n;
}

struct crm_customers *
crm_customers_open(
    struct crm_store *s, const char *id_field, int clustered, struct crm_err *e)
{
	static const char all_sql[] =
	    "SELECT json_patch(coalesce(extra, '{}'), json_object(?1,"
	    " customer_id, 'name', name, 'email', email, 'phone', phone,"
	    " 'city', city, 'country', country, 'birth_date', birth_date,"
	    " 'signup_date', signup_date)), NULL FROM customers"
	    " ORDER BY customer_id";
	static const char clustered_sql[] =
	    "SELECT json_patch(coalesce(c.extra, '{}'), json_object(?1,"
	    " c.customer_id, 'name', c.name, 'email', c.email, 'phone',"
	    " c.phone, 'city', c.city, 'country', c.country, 'birth_date',"
	    " c.birth_date, 'signup_date', c.signup_date)), k.cluster_id"
	    " FROM customers c JOIN clusters k ON k.record_id ="
	    " c.customer_id ORDER BY c.customer_id";
	static const cookie_io_functions_t io = { cookie_read, NULL, NULL,
		NULL };
	struct crm_customers *cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	cs->s = s;
	cs->clustered = clustered;
	crm_buf_init(&cs->text);
	crm_err_clear(&cs->err);
	if (sqlite3_prepare_v2(crm_store_db(s),
		clustered ? clustered_sql : all_sql, -1, &cs->st,
		NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read customers");
		free(cs);
		return NULL;
	}
	sqlite3_bind_text(cs->st, 1, id_field, -1, SQLITE_TRANSIENT);
	if ((cs->fp = fopencookie(cs, "r", io)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "cannot make a stream: %s",
		    strerror(errno));
		sqlite3_finalize(cs->st);
		free(cs);
		return NULL;
	}
	return cs;
}

FILE *
crm_customers_file(struct crm_customers *cs)
{
	return cs->fp;
}

const char *
crm_customers_cluster(const struct crm_customers *cs, size_t i)
{
	return i < cs->n ? cs->cluster[i] : NULL;
}

int
crm_customers_close(struct crm_customers *cs, struct crm_err *e)
{
	size_t i;
	int rc = 0;

	if (cs == NULL)
		return 0;
	if (cs->failed) {
		*e = cs->err;
		rc = -1;
	}
	fclose(cs->fp);
	sqlite3_finalize(cs->st);
	for (i = 0; i < cs->n; i++)
		free(cs->cluster[i]);
	free(cs->cluster);
	crm_buf_release(&cs->text);
	free(cs);
	return rc;
}

/* ==== The filter's source ==== */

struct custsrc {
	struct crm_store *snap;
	struct crm_customers *cs;
	struct crm_reader *rd;
};

static int
custsrc_next(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct custsrc *c = arg;
	int rc = crm_reader_next(c->rd, r, e);

	if (rc == -1 && c->cs->failed) /* the store's error, not the text's */
		*e = c->cs->err;
	return rc;
}

static void
custsrc_close(void *arg)
{
	struct custsrc *c = arg;
	struct crm_err e;

	crm_reader_close(c->rd);
	crm_customers_close(c->cs, &e);
	crm_store_close(c->snap);
	free(c);
}

int
crm_customers_source(struct crm_store *s, const char *id_field,
    struct crm_source *src, struct crm_err *e)
{
	struct custsrc *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if ((c->snap = crm_store_snapshot(s, e)) == NULL ||
	    (c->cs = crm_customers_open(c->snap, id_field, 0, e)) == NULL ||
	    (c->rd = crm_reader_open(crm_customers_file(c->cs), "store",
		 CRM_FMT_JSONL, e)) == NULL) {
		if (c->cs != NULL)
			crm_customers_close(c->cs, &(struct crm_err){ 0 });
		crm_store_close(c->snap);
		free(c);
		return -1;
	}
	src->name = "store";
	src->fmt = CRM_FMT_JSONL;
	src->next = custsrc_next;
	src->close = custsrc_close;
	src->arg = c;
	return 0;
}

/* ==== Persons ==== */

const char *
crm_by_name(enum crm_by by)
{
	return by == CRM_BY_PERSON   ? "person"
	       : by == CRM_BY_RECORD ? "record"
				     : "auto";
}

int
crm_by_parse(const char *arg)
{
	if (strcmp(arg, "person") == 0)
		return CRM_BY_PERSON;
	if (strcmp(arg, "record") == 0)
		return CRM_BY_RECORD;
	return -1;
}

int
crm_by_resolve(struct crm_store *s, enum crm_by *by, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (*by != CRM_BY_AUTO)
		return 0;
	*by = CRM_BY_RECORD;
	if (s == NULL)
		return 0;
	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT 1 FROM clusters LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read clusters");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		*by = CRM_BY_PERSON;
	else if (rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot read clusters");
	return 0;
}

struct crm_person_of {
	struct crm_store *s;
	sqlite3_stmt *st;
	struct crm_buf id;
};

struct crm_person_of *
crm_person_of_open(struct crm_store *s, struct crm_err *e)
{
	struct crm_person_of *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	p->s = s;
	crm_buf_init(&p->id);
	if (sqlite3_prepare_v2(crm_store_db(s), "SELECT " CRM_PERSON_OF("?1"),
		-1, &p->st, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read clusters");
		free(p);
		return NULL;
	}
	return p;
}

int
crm_person_of(struct crm_person_of *p, const char *id, size_t len,
    const char **pid, size_t *plen, struct crm_err *e)
{
	const char *v;
	int bad;

	sqlite3_bind_text64(p->st, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	if (sqlite3_step(p->st) != SQLITE_ROW) {
		sqlite3_reset(p->st);
		return crm_store_fail(p->s, e, "cannot read clusters");
	}
	v = (const char *)sqlite3_column_text(p->st, 0);
	crm_buf_reset(&p->id);
	bad = crm_buf_add(
	    &p->id, v != NULL ? v : "", (size_t)sqlite3_column_bytes(p->st, 0));
	sqlite3_reset(p->st);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	*pid = p->id.p != NULL ? p->id.p : "";
	*plen = p->id.len;
	return 0;
}

void
crm_person_of_close(struct crm_person_of *p)
{
	if (p == NULL)
		return;
	sqlite3_finalize(p->st);
	crm_buf_release(&p->id);
	free(p);
}

struct crm_person_records {
	struct crm_store *s;
	sqlite3_stmt *st;
};

struct crm_person_records *
crm_person_records_open(struct crm_store *s, struct crm_err *e)
{
	struct crm_person_records *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	p->s = s;
	if (sqlite3_prepare_v3(crm_store_db(s), CRM_PERSON_RECORDS("?1"), -1,
		SQLITE_PREPARE_PERSISTENT, &p->st, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read clusters");
		free(p);
		return NULL;
	}
	return p;
}

int
crm_person_records_each(struct crm_person_records *p, const char *id,
    size_t len,
    int (*fn)(void *arg, const char *rid, size_t rlen, struct crm_err *e),
    void *arg, struct crm_err *e)
{
	const char *r;
	int rc = SQLITE_DONE, v = 0;

	sqlite3_bind_text64(p->st, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	while (v == 0 && (rc = sqlite3_step(p->st)) == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(p->st, 0);
		v = fn(arg, r != NULL ? r : "",
		    (size_t)sqlite3_column_bytes(p->st, 0), e);
	}
	sqlite3_reset(p->st);
	sqlite3_clear_bindings(p->st);
	if (v != 0)
		return v;
	return rc == SQLITE_DONE
		   ? 0
		   : crm_store_fail(p->s, e, "cannot read clusters");
}

void
crm_person_records_close(struct crm_person_records *p)
{
	if (p == NULL)
		return;
	sqlite3_finalize(p->st);
	free(p);
}

const struct crm_erase_step crm_clusters_erase[] = {
	{ "clusters", "deleted", "DELETE FROM clusters WHERE record_id = ?1" },
	/* a cluster named after the customer keeps its members together */
	{ "clusters", "redacted",
	    "UPDATE clusters SET cluster_id = " CRM_ERASE_RENAMED(
		"cluster_id") " WHERE " CRM_ERASE_NAMED("cluster_id") },
	{ NULL, NULL, NULL },
};

/* ==== Merging a shard's clusters (merge.h) ==== */

/* A clusters row of either store, by its ids in the merge's map. */
struct link {
	uint32_t rec, cl; /* 'r' + record id, 'c' + cluster id */
	int shard;	  /* from the shard */
	double score;	  /* NAN: NULL */
	char time[32];
};

struct links {
	struct crm_strmap *ids;
	struct link *v;
	size_t n, cap;
	struct crm_buf key; /* link_id's */
};

/* The id of kind ('r' or 'c') + s[0..len) in l's map, added; -1 if none. */
static long
link_id(struct links *l, int kind, const unsigned char *s, size_t len)
{
	crm_buf_reset(&l->key);
	if (crm_buf_addc(&l->key, kind) == -1 ||
	    crm_buf_add(&l->key, s, len) == -1)
		return -1;
	return crm_strmap_put(l->ids, l->key.p, l->key.len);
}

/* Links from a store: l, and whether they are the shard's. */
struct reading {
	struct links *l;
	int shard;
};

/*
 * crm_merge_row_fn: add the clusters row st is on (record_id, cluster_id,
 * score, time from column 1) to r's links.
 */
static int
add_link(void *arg, sqlite3_stmt *st, struct crm_err *e)
{
	struct reading *r = arg;
	struct links *l = r->l;
	struct link *k;
	long rec, c;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct link *v = crm_reallocarray(l->v, cap, sizeof(*v));

		if (v == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	rec = link_id(l, 'r', sqlite3_column_text(st, 1),
	    (size_t)sqlite3_column_bytes(st, 1));
	c = link_id(l, 'c', sqlite3_column_text(st, 2),
	    (size_t)sqlite3_column_bytes(st, 2));
	if (rec < 0 || c < 0)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	k = &l->v[l->n++];
	k->rec = (uint32_t)rec;
	k->cl = (uint32_t)c;
	k->shard = r->shard;
	k->score = sqlite3_column_type(st, 3) == SQLITE_NULL
		       ? NAN
		       : sqlite3_column_double(st, 3);
	snprintf(k->time, sizeof(k->time), "%s",
	    sqlite3_column_type(st, 4) == SQLITE_NULL
		? ""
		: (const char *)sqlite3_column_text(st, 4));
	return 0;
}

/* The clusters rows a shard's or m's link: as for add_link. */
#define LINKS \
	"SELECT record_id, record_id, cluster_id, score, time FROM clusters"

/* Add every clusters row of m to l. */
static int
read_links(struct crm_store *m, struct links *l, struct crm_err *e)
{
	struct reading r = { l, 0 };
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(m), LINKS, -1, &st, NULL) !=
	    SQLITE_OK)
		return crm_store_fail(m, e, "cannot read the clusters");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (add_link(&r, st, e) == -1)
			break;
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return -1;
	if (rc != SQLITE_DONE)
		return crm_store_fail(m, e, "cannot read the clusters");
	return 0;
}

/*
 * The cluster of each set (by its root): the one cluster id its rows
 * name, else its least record id; into name[root] (an id of the map).
 */
static int
name_sets(struct links *l, struct crm_uf *uf, uint32_t *name, struct crm_err *e)
{
	size_t i, n = crm_strmap_count(l->ids), alen, blen;
	uint32_t root, none = UINT32_MAX;
	unsigned char *many;
	const char *a, *b;

	if ((many = calloc(n, 1)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		name[i] = none;
	/* one cluster id a set, or many */
	for (i = 0; i < n; i++) {
		a = crm_strmap_name(l->ids, i, &alen);
		if (a[0] != 'c')
			continue;
		root = crm_uf_find(uf, (uint32_t)i);
		if (name[root] != none)
			many[root] = 1;
		name[root] = (uint32_t)i;
	}
	/* the least record id of a set of many */
	for (i = 0; i < n; i++) {
		a = crm_strmap_name(l->ids, i, &alen);
		root = crm_uf_find(uf, (uint32_t)i);
		if (a[0] != 'r' || !many[root])
			continue;
		b = crm_strmap_name(l->ids, name[root], &blen);
		if (b[0] == 'c' ||
		    crm_id_cmp(a + 1, alen - 1, b + 1, blen - 1) < 0)
			name[root] = (uint32_t)i;
	}
	free(many);
	return 0;
}

int
crm_clusters_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	struct links l = { 0 };
	struct reading sr = { &l, 1 };
	struct crm_uf uf = { 0 };
	uint32_t *name = NULL;
	unsigned char *done = NULL;
	sqlite3_stmt *st = NULL;
	const char *id, *cid;
	size_t i, n, len, clen;
	char now[21];
	int rc, pass, ret = -1;

	crm_clock_iso(now);
	crm_buf_init(&l.key);
	if ((l.ids = crm_strmap_new()) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	/* the main store's links, and the shard's new or changed since */
	if (read_links(m, &l, e) == -1 ||
	    crm_merge_rows(
		m, shard, mark, LINKS " ORDER BY 1", add_link, &sr, e) == -1)
		goto out;
	n = crm_strmap_count(l.ids);
	if (crm_uf_init(&uf, n) == -1 ||
	    (name = calloc(n, sizeof(*name))) == NULL ||
	    (done = calloc(n, 1)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	for (i = 0; i < l.n; i++)
		crm_uf_union(&uf, l.v[i].rec, l.v[i].cl, 0);
	if (name_sets(&l, &uf, name, e) == -1)
		goto out;
	if (sqlite3_prepare_v2(crm_store_db(m),
		"INSERT INTO clusters(record_id, cluster_id, score, time) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET "
		"cluster_id = excluded.cluster_id, score = excluded.score, "
		"time = excluded.time WHERE cluster_id IS NOT "
		"excluded.cluster_id OR score IS NOT excluded.score",
		-1, &st, NULL) != SQLITE_OK) {
		crm_store_fail(m, e, "cannot merge the clusters");
		goto out;
	}
	/* the shard's rows, then the main store's others that move */
	for (pass = 1; pass >= 0; pass--)
		for (i = 0; i < l.n; i++) {
			struct link *k = &l.v[i];
			uint32_t to = name[crm_uf_find(&uf, k->rec)];

			if (k->shard != pass || done[k->rec] ||
			    (!pass && k->cl == to))
				continue;
			done[k->rec] = 1;
			id = crm_strmap_name(l.ids, k->rec, &len);
			cid = crm_strmap_name(l.ids, to, &clen);
			sqlite3_bind_text(
			    st, 1, id + 1, (int)len - 1, SQLITE_STATIC);
			sqlite3_bind_text(
			    st, 2, cid + 1, (int)clen - 1, SQLITE_STATIC);
			if (isnan(k->score))
				sqlite3_bind_null(st, 3);
			else
				sqlite3_bind_double(st, 3, k->score);
			sqlite3_bind_text(
			    st, 4, pass ? k->time : now, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE) {
				crm_store_fail(
				    m, e, "cannot merge the clusters");
				goto out;
			}
			*changed += sqlite3_changes(crm_store_db(m));
		}
	ret = 0;
out:
	sqlite3_finalize(st);
	crm_uf_release(&uf);
	crm_strmap_free(l.ids);
	free(l.v);
	crm_buf_release(&l.key);
	free(name);
	free(done);
	return ret;
}
