/*
 * persons: the store's persons, their events and the link labels
 * (persons.h), and the union-find that obeys cannot-link pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "clusters.h"
#include "persons.h"
#include "strmap.h"

/* ==== Union-find with cannot-link pairs ==== */

#define NONE UINT32_MAX

int
crm_cuf_init(struct crm_cuf *c, size_t n)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	if (crm_uf_init(&c->uf, n) == -1)
		return -1;
	c->head = crm_reallocarray(NULL, n ? n : 1, sizeof(*c->head));
	c->tail = crm_reallocarray(NULL, n ? n : 1, sizeof(*c->tail));
	c->count = calloc(n ? n : 1, sizeof(*c->count));
	if (c->head == NULL || c->tail == NULL || c->count == NULL) {
		crm_cuf_release(c);
		return -1;
	}
	for (i = 0; i < n; i++)
		c->head[i] = c->tail[i] = NONE;
	return 0;
}

void
crm_cuf_release(struct crm_cuf *c)
{
	crm_uf_release(&c->uf);
	free(c->head);
	free(c->tail);
	free(c->count);
	free(c->other);
	free(c->next);
	memset(c, 0, sizeof(*c));
}

uint32_t
crm_cuf_find(struct crm_cuf *c, uint32_t x)
{
	return crm_uf_find(&c->uf, x);
}

/* Append the end (x, other o) to the list of x's set. */
static void
push_end(struct crm_cuf *c, uint32_t x, uint32_t o)
{
	uint32_t r = crm_uf_find(&c->uf, x), k = (uint32_t)c->nends++;

	c->other[k] = o;
	c->next[k] = NONE;
	if (c->tail[r] == NONE)
		c->head[r] = k;
	else
		c->next[c->tail[r]] = k;
	c->tail[r] = k;
	c->count[r]++;
}

int
crm_cuf_cannot(struct crm_cuf *c, uint32_t a, uint32_t b)
{
	uint32_t *p;

	if (crm_uf_find(&c->uf, a) == crm_uf_find(&c->uf, b))
		return 1;
	if (c->nends + 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		if ((p = crm_reallocarray(c->other, cap, sizeof(*p))) == NULL)
			return -1;
		c->other = p;
		if ((p = crm_reallocarray(c->next, cap, sizeof(*p))) == NULL)
			return -1;
		c->next = p;
		c->cap = cap;
	}
	push_end(c, a, b);
	push_end(c, b, a);
	return 0;
}

int
crm_cuf_union(struct crm_cuf *c, uint32_t a, uint32_t b, size_t cap)
{
	uint32_t ra = crm_uf_find(&c->uf, a), rb = crm_uf_find(&c->uf, b);
	uint32_t small, big, k, r, lose;
	int rc;

	if (ra == rb)
		return 0;
	small = c->count[ra] <= c->count[rb] ? ra : rb;
	big = small == ra ? rb : ra;
	for (k = c->head[small]; k != NONE; k = c->next[k])
		if (crm_uf_find(&c->uf, c->other[k]) == big)
			return CRM_CUF_CANNOT;
	if ((rc = crm_uf_union(&c->uf, ra, rb, cap)) == -1)
		return CRM_CUF_CAP;
	r = crm_uf_find(&c->uf, ra);
	lose = r == ra ? rb : ra;
	if (c->head[lose] != NONE) { /* splice the loser's list on */
		if (c->tail[r] == NONE)
			c->head[r] = c->head[lose];
		else
			c->next[c->tail[r]] = c->head[lose];
		c->tail[r] = c->tail[lose];
		c->count[r] += c->count[lose];
		c->head[lose] = c->tail[lose] = NONE;
		c->count[lose] = 0;
	}
	return rc;
}

/* ==== Link labels ==== */

void
crm_link_labels_free(struct crm_link_label *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(l[i].id1);
		free(l[i].id2);
	}
	free(l);
}

int
crm_link_labels_load(struct crm_store *s, struct crm_link_label **out,
    size_t *n, struct crm_err *e)
{
	struct crm_link_label *l = NULL, *p;
	size_t cap = 0;
	sqlite3_stmt *st;
	const char *a, *b, *k;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT id1, id2, link FROM link_labels ORDER BY id1, id2", -1,
		&st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read link_labels");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = crm_reallocarray(l, cap, sizeof(*p))) == NULL)
				goto oom;
			l = p;
		}
		a = (const char *)sqlite3_column_text(st, 0);
		b = (const char *)sqlite3_column_text(st, 1);
		k = (const char *)sqlite3_column_text(st, 2);
		l[*n].id1 = strdup(a ? a : "");
		l[*n].id2 = strdup(b ? b : "");
		l[*n].must = k != NULL && strcmp(k, "must") == 0;
		(*n)++;
		if (l[*n - 1].id1 == NULL || l[*n - 1].id2 == NULL)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(s, e, "cannot read link_labels");
		goto fail;
	}
	sqlite3_finalize(st);
	*out = l;
	return 0;
oom:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
fail:
	sqlite3_finalize(st);
	crm_link_labels_free(l, *n);
	*n = 0;
	return -1;
}

/* ==== One run's persons ==== */

struct prec {
	const char *id; /* in ids, from resolve on */
	size_t off, len;
	uint32_t g;  /* the caller's group */
	uint32_t gi; /* the group, dense */
	long old;    /* the stored person (olds), or -1 */
	int read, moved;
};

struct old {
	char *created;
	uint32_t home;	  /* the group that keeps the id, NONE: none read */
	long into;	  /* merged into this old person, or -1 */
	int lost;	  /* some of its records moved away */
	int norow;	  /* a cluster with no row in persons (yet) */
	size_t held;	  /* its records in the run */
	long long stored; /* its records in the clusters table */
};

struct grp {
	uint32_t g;
	size_t least; /* the record with the least id */
	size_t first; /* its records: byg[first..first + n) */
	size_t n;
	long keeper; /* the old person whose id it keeps, or -1 */
	char *pid;   /* a new person's id */
	int stale, isnew;
	int partial; /* a stored person of it has records the run lacks */
};

struct label {
	char *id1, *id2, *source;
	int must;
};

struct crm_persons {
	struct crm_store *s;
	char now[32];
	struct prec *r;
	size_t n, cap;
	struct crm_buf ids;	  /* the records' ids, back to back */
	struct crm_strmap *oldid; /* the stored persons met, by id */
	struct old *old;
	size_t nold;
	struct grp *grp;
	size_t ngrp;
	size_t *byg;   /* the records by group */
	size_t *order; /* the groups in order of their person ids, which
			  keeps the writes to the tables' keys in order */
	struct label *lab;
	size_t nlab, labcap;
	struct crm_persons_stats st;
};

struct crm_persons *
crm_persons_new(struct crm_store *s, const char *now, struct crm_err *e)
{
	struct crm_persons *p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->oldid = crm_strmap_new()) == NULL) {
		free(p);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	p->s = s;
	crm_buf_init(&p->ids);
	snprintf(p->now, sizeof(p->now), "%s", now);
	return p;
}

void
crm_persons_free(struct crm_persons *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nold; i++)
		free(p->old[i].created);
	for (i = 0; i < p->ngrp; i++)
		free(p->grp[i].pid);
	for (i = 0; i < p->nlab; i++) {
		free(p->lab[i].id1);
		free(p->lab[i].id2);
		free(p->lab[i].source);
	}
	crm_strmap_free(p->oldid);
	free(p->old);
	free(p->grp);
	free(p->byg);
	free(p->order);
	free(p->lab);
	free(p->r);
	crm_buf_release(&p->ids);
	free(p);
}

int
crm_persons_add(struct crm_persons *p, const char *id, size_t len, uint32_t g,
    int read, struct crm_err *e)
{
	struct prec *r;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;

		if ((r = crm_reallocarray(p->r, cap, sizeof(*r))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		p->r = r;
		p->cap = cap;
	}
	r = &p->r[p->n++];
	memset(r, 0, sizeof(*r));
	r->off = p->ids.len;
	r->len = len;
	if (crm_buf_add(&p->ids, id, len) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	r->g = g;
	r->read = read;
	r->old = -1;
	return 0;
}

int
crm_persons_label(struct crm_persons *p, const char *id1, size_t len1,
    const char *id2, size_t len2, int must, const char *source,
    struct crm_err *e)
{
	struct label *l;
	int swap = crm_bytes_cmp(id1, len1, id2, len2) > 0;

	if (crm_bytes_cmp(id1, len1, id2, len2) == 0)
		return 0; /* a record is always its own person */
	if (p->nlab == p->labcap) {
		size_t cap = p->labcap ? p->labcap * 2 : 64;

		if ((l = crm_reallocarray(p->lab, cap, sizeof(*l))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		p->lab = l;
		p->labcap = cap;
	}
	l = &p->lab[p->nlab];
	l->id1 = strndup(swap ? id2 : id1, swap ? len2 : len1);
	l->id2 = strndup(swap ? id1 : id2, swap ? len1 : len2);
	l->source = strdup(source);
	l->must = must;
	p->nlab++;
	if (l->id1 == NULL || l->id2 == NULL || l->source == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * Record i was in stored person cid (clen bytes), created then (or, with
 * norow, a cluster with no person yet, first stored then).  0 or -1.
 */
static int
note_old(struct crm_persons *p, size_t i, const char *cid, size_t clen,
    const char *created, int norow)
{
	struct old *o;
	long k;

	if ((k = crm_strmap_put(p->oldid, cid, clen)) < 0)
		return -1;
	p->r[i].old = k;
	if ((size_t)k < p->nold) { /* the earliest time of its rows */
		o = &p->old[k];
		if (o->norow && strcmp(created, o->created) < 0) {
			free(o->created);
			if ((o->created = strdup(created)) == NULL)
				return -1;
		}
		return 0;
	}
	if ((o = crm_reallocarray(p->old, p->nold + 1, sizeof(*o))) == NULL)
		return -1;
	p->old = o;
	o = &p->old[p->nold++];
	memset(o, 0, sizeof(*o));
	o->home = NONE;
	o->into = -1;
	o->lost = 0;
	o->norow = norow;
	return (o->created = strdup(created)) == NULL ? -1 : 0;
}

static const char *
col(sqlite3_stmt *st, int k, size_t *len)
{
	const char *v = (const char *)sqlite3_column_text(st, k);

	*len = v ? (size_t)sqlite3_column_bytes(st, k) : 0;
	return v ? v : "";
}

/* The stored person of each record: a query a record. */
static int
find_olds(struct crm_persons *p, struct crm_err *e)
{
	static const char sql[] = "SELECT k.cluster_id, coalesce(p.created, "
				  "k.time),"
				  " p.person_id IS NULL FROM clusters k"
				  " LEFT JOIN persons p ON p.person_id = "
				  "k.cluster_id"
				  " WHERE k.record_id = ?1";
	sqlite3_stmt *st;
	const char *cid;
	size_t i, clen, tlen;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(crm_store_db(p->s), sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return crm_store_fail(p->s, e, "cannot read clusters");
	for (i = 0; i < p->n; i++) {
		sqlite3_bind_text(
		    st, 1, p->r[i].id, (int)p->r[i].len, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			cid = col(st, 0, &clen);
			if (note_old(p, i, cid, clen, col(st, 1, &tlen),
				sqlite3_column_int(st, 2)) == -1)
				break;
		} else if (rc != SQLITE_DONE) {
			break;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (i == p->n)
		return 0;
	if (rc == SQLITE_ROW)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_store_fail(p->s, e, "cannot read clusters");
}

static const struct crm_persons *sort_p; /* for the comparisons below */
static int cmp_by_id(const void *a, const void *b);

/*
 * The same when the run holds the store's records (--incremental): one
 * pass over the clusters, one over the persons, each record found by
 * its id among those of the run.
 */
static int
scan_olds(struct crm_persons *p, struct crm_err *e)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	size_t *idx, lo, hi, mid, len, clen, tlen;
	const char *cid;
	long k;
	int c, rc = -1;

	if ((idx = crm_reallocarray(NULL, p->n + 1, sizeof(*idx))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (lo = 0; lo < p->n; lo++)
		idx[lo] = lo;
	sort_p = p;
	qsort(idx, p->n, sizeof(*idx), cmp_by_id);
	if (sqlite3_prepare_v2(crm_store_db(p->s),
		"SELECT record_id, cluster_id, time FROM clusters", -1, &st,
		NULL) != SQLITE_OK)
		goto fail;
	while ((c = sqlite3_step(st)) == SQLITE_ROW) {
		v = col(st, 0, &len);
		for (lo = 0, hi = p->n; lo < hi;) {
			mid = (lo + hi) / 2;
			c = crm_bytes_cmp(
			    p->r[idx[mid]].id, p->r[idx[mid]].len, v, len);
			if (c == 0)
				break;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= hi)
			continue;
		cid = col(st, 1, &clen);
		if (note_old(p, idx[mid], cid, clen, col(st, 2, &tlen), 1) ==
		    -1)
			goto oom;
	}
	if (c != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(crm_store_db(p->s),
		"SELECT person_id, created FROM persons", -1, &st,
		NULL) != SQLITE_OK)
		goto fail;
	while ((c = sqlite3_step(st)) == SQLITE_ROW) {
		v = col(st, 0, &len);
		if ((k = crm_strmap_get(p->oldid, v, len)) < 0)
			continue;
		free(p->old[k].created);
		p->old[k].norow = 0;
		if ((p->old[k].created = strdup(col(st, 1, &tlen))) == NULL)
			goto oom;
	}
	if (c != SQLITE_DONE)
		goto fail;
	rc = 0;
	goto out;
oom:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
	goto out;
fail:
	crm_store_fail(p->s, e, "cannot read clusters");
out:
	sqlite3_finalize(st);
	free(idx);
	return rc;
}

static int
cmp_by_id(const void *a, const void *b)
{
	const struct prec *x = &sort_p->r[*(const size_t *)a];
	const struct prec *y = &sort_p->r[*(const size_t *)b];

	return crm_bytes_cmp(x->id, x->len, y->id, y->len);
}

static int
cmp_by_group(const void *a, const void *b)
{
	const struct prec *x = &sort_p->r[*(const size_t *)a];
	const struct prec *y = &sort_p->r[*(const size_t *)b];

	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return crm_bytes_cmp(x->id, x->len, y->id, y->len);
}

/* By stored person, then group (then id: the least first). */
static int
cmp_by_old(const void *a, const void *b)
{
	const struct prec *x = &sort_p->r[*(const size_t *)a];
	const struct prec *y = &sort_p->r[*(const size_t *)b];

	if (x->old != y->old)
		return x->old < y->old ? -1 : 1;
	if (x->gi != y->gi)
		return x->gi < y->gi ? -1 : 1;
	return crm_bytes_cmp(x->id, x->len, y->id, y->len);
}

/* The groups, dense, and the records of each in order of their ids. */
static int
make_groups(struct crm_persons *p, struct crm_err *e)
{
	struct grp *g;
	size_t i;

	if ((p->byg = crm_reallocarray(NULL, p->n + 1, sizeof(size_t))) ==
		NULL ||
	    (p->grp = calloc(p->n + 1, sizeof(*p->grp))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < p->n; i++)
		p->byg[i] = i;
	sort_p = p;
	qsort(p->byg, p->n, sizeof(size_t), cmp_by_group);
	for (i = 0; i < p->n; i++) {
		struct prec *r = &p->r[p->byg[i]];

		if (i == 0 || r->g != p->r[p->byg[i - 1]].g) {
			g = &p->grp[p->ngrp++];
			g->g = r->g;
			g->least = p->byg[i];
			g->first = i;
			g->keeper = -1;
		}
		r->gi = (uint32_t)(p->ngrp - 1);
		g->n++;
	}
	return 0;
}

/* Whether stored person a is older than b (created first, least id). */
static int
older(const struct crm_persons *p, long a, long b)
{
	const char *an, *bn;
	size_t al, bl;
	int c = strcmp(p->old[a].created, p->old[b].created);

	if (c != 0)
		return c < 0;
	an = crm_strmap_name(p->oldid, (size_t)a, &al);
	bn = crm_strmap_name(p->oldid, (size_t)b, &bl);
	return crm_bytes_cmp(an, al, bn, bl) < 0;
}

/*
 * Each stored person's home: the group with most of its records, a tie
 * to the group of its least record; then the keeper of each group.
 */
static int
find_homes(struct crm_persons *p, struct crm_err *e)
{
	size_t *idx, m = 0, i, j, best = 0, first = 0;
	long o, cur = -1;
	struct grp *g;

	if ((idx = crm_reallocarray(NULL, p->n + 1, sizeof(*idx))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < p->n; i++)
		if (p->r[i].old >= 0)
			idx[m++] = i;
	sort_p = p;
	qsort(idx, m, sizeof(*idx), cmp_by_old);
	/* runs of one person and group, each led by its least record */
	for (i = 0; i < m; i = j) {
		const struct prec *lead = &p->r[idx[i]];

		o = lead->old;
		for (j = i; j < m && p->r[idx[j]].old == o &&
			    p->r[idx[j]].gi == lead->gi;
		     j++)
			;
		if (o != cur) {
			cur = o;
			best = 0;
		}
		if (best == 0 || j - i > best ||
		    (j - i == best &&
			crm_bytes_cmp(lead->id, lead->len, p->r[first].id,
			    p->r[first].len) < 0)) {
			p->old[o].home = lead->gi;
			best = j - i;
			first = idx[i];
		}
	}
	free(idx);
	for (o = 0; o < (long)p->nold; o++) {
		if (p->old[o].home == NONE)
			continue;
		g = &p->grp[p->old[o].home];
		if (g->keeper < 0 || older(p, o, g->keeper))
			g->keeper = o;
	}
	for (o = 0; o < (long)p->nold; o++) {
		if (p->old[o].home == NONE)
			continue;
		g = &p->grp[p->old[o].home];
		if (g->keeper != o)
			p->old[o].into = g->keeper;
	}
	return 0;
}

/* Whether id is a person's already, in the store or of this run. */
static int
taken(struct crm_persons *p, sqlite3_stmt *st, struct crm_strmap *mine,
    const char *id, size_t len, struct crm_err *e)
{
	int rc;

	if (crm_strmap_get(mine, id, len) >= 0 ||
	    crm_strmap_get(p->oldid, id, len) >= 0)
		return 1;
	sqlite3_bind_text(st, 1, id, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return crm_store_fail(p->s, e, "cannot read persons");
	return 0;
}

/* The ids of the new persons: the least record id, or a variant. */
static int
name_new(struct crm_persons *p, struct crm_err *e)
{
	struct crm_strmap *mine;
	struct crm_buf b;
	sqlite3_stmt *st;
	struct grp *g;
	const struct prec *r;
	size_t i;
	unsigned long k;
	int t, rc = 0;

	if (sqlite3_prepare_v2(crm_store_db(p->s),
		"SELECT 1 FROM persons WHERE person_id = ?1", -1, &st,
		NULL) != SQLITE_OK)
		return crm_store_fail(p->s, e, "cannot read persons");
	if ((mine = crm_strmap_new()) == NULL) {
		sqlite3_finalize(st);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	crm_buf_init(&b);
	for (i = 0; rc == 0 && i < p->ngrp; i++) {
		g = &p->grp[i];
		if (g->keeper >= 0)
			continue;
		r = &p->r[g->least];
		for (k = 1;; k++) {
			crm_buf_reset(&b);
			if (crm_buf_add(&b, r->id, r->len) == -1 ||
			    (k > 1 && crm_buf_addf(&b, "~%lu", k) == -1)) {
				rc = crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
				break;
			}
			if ((t = taken(p, st, mine, b.p, b.len, e)) == -1)
				rc = -1;
			if (t != 1)
				break;
		}
		if (rc == 0 && (crm_strmap_put(mine, b.p, b.len) < 0 ||
				   (g->pid = strndup(b.p, b.len)) == NULL))
			rc = crm_err_set(e, EX_SOFTWARE, "out of memory");
		g->isnew = 1;
		g->stale = 1;
	}
	crm_buf_release(&b);
	crm_strmap_free(mine);
	sqlite3_finalize(st);
	return rc;
}

static const char *grp_id(
    const struct crm_persons *p, const struct grp *g, size_t *len);

/*
 * How many records each stored person met has in the clusters table
 * (all at once when the run holds the store's records, else a query a
 * person), and in the run; a group of a person the run holds part of is
 * partial.
 */
static int
count_stored(struct crm_persons *p, int all, struct crm_err *e)
{
	sqlite3_stmt *st;
	const char *v;
	size_t i, len;
	long k, o;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(crm_store_db(p->s),
		all ? "SELECT cluster_id, count(*) FROM clusters"
		      " GROUP BY cluster_id"
		    : "SELECT ?1, count(*) FROM clusters WHERE cluster_id = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(p->s, e, "cannot read clusters");
	for (k = 0; k < (long)p->nold && (all ? k == 0 : 1); k++) {
		if (!all) {
			v = crm_strmap_name(p->oldid, (size_t)k, &len);
			sqlite3_bind_text(st, 1, v, (int)len, SQLITE_STATIC);
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			v = col(st, 0, &len);
			if ((o = crm_strmap_get(p->oldid, v, len)) >= 0)
				p->old[o].stored = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(p->s, e, "cannot read clusters");
	for (i = 0; i < p->n; i++)
		if (p->r[i].old >= 0)
			p->old[p->r[i].old].held++;
	for (k = 0; k < (long)p->nold; k++)
		if (p->old[k].home != NONE &&
		    (long long)p->old[k].held < p->old[k].stored)
			p->grp[p->old[k].home].partial = 1;
	return 0;
}

static const char *grp_id(
    const struct crm_persons *p, const struct grp *g, size_t *len);

static int
cmp_by_pid(const void *a, const void *b)
{
	const char *x, *y;
	size_t xl, yl;

	x = grp_id(sort_p, &sort_p->grp[*(const size_t *)a], &xl);
	y = grp_id(sort_p, &sort_p->grp[*(const size_t *)b], &yl);
	return crm_bytes_cmp(x, xl, y, yl);
}

int
crm_persons_resolve(struct crm_persons *p, struct crm_err *e)
{
	const char *pid, *oid;
	size_t i, plen, olen;
	struct prec *r;

	for (i = 0; i < p->n; i++)
		p->r[i].id = p->ids.p ? p->ids.p + p->r[i].off : "";
	for (i = 0; i < p->n && p->r[i].read; i++)
		;
	if ((i < p->n ? scan_olds(p, e) : find_olds(p, e)) == -1 ||
	    make_groups(p, e) == -1 || find_homes(p, e) == -1 ||
	    name_new(p, e) == -1 || count_stored(p, i < p->n, e) == -1)
		return -1;
	for (i = 0; i < p->n; i++) {
		r = &p->r[i];
		pid = crm_persons_id(p, r->g, &plen);
		if (r->old >= 0) {
			oid = crm_strmap_name(p->oldid, (size_t)r->old, &olen);
			r->moved = crm_bytes_cmp(pid, plen, oid, olen) != 0;
			if (r->moved)
				p->old[r->old].lost = 1;
		} else {
			r->moved = 1;
		}
		if (r->moved || r->read)
			p->grp[r->gi].stale = 1;
	}
	/* a person that lost records has a golden record to make again */
	for (i = 0; i < p->ngrp; i++)
		if (p->grp[i].keeper >= 0 && p->old[p->grp[i].keeper].lost)
			p->grp[i].stale = 1;
	if ((p->order = crm_reallocarray(NULL, p->ngrp + 1, sizeof(size_t))) ==
	    NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < p->ngrp; i++)
		p->order[i] = i;
	sort_p = p;
	qsort(p->order, p->ngrp, sizeof(size_t), cmp_by_pid);
	return 0;
}

/* The dense group of the caller's g, or NULL. */
static struct grp *
group(const struct crm_persons *p, uint32_t g)
{
	size_t lo = 0, hi = p->ngrp, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (p->grp[mid].g == g)
			return &p->grp[mid];
		if (p->grp[mid].g < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The id of dense group g. */
static const char *
grp_id(const struct crm_persons *p, const struct grp *g, size_t *len)
{
	if (g->keeper >= 0)
		return crm_strmap_name(p->oldid, (size_t)g->keeper, len);
	*len = strlen(g->pid);
	return g->pid;
}

const char *
crm_persons_id(const struct crm_persons *p, uint32_t g, size_t *len)
{
	const struct grp *gr = group(p, g);

	if (gr == NULL) {
		*len = 0;
		return "";
	}
	return grp_id(p, gr, len);
}

int
crm_persons_moved(const struct crm_persons *p, size_t i)
{
	return i < p->n && p->r[i].moved;
}

/* ==== Writing ==== */

enum { S_EVENT, S_NEW, S_ADOPT, S_MERGED, S_UNREAD, S_GOLDEN, S_LABEL, NSTMT };

struct writer {
	struct crm_persons *p;
	sqlite3_stmt *st[NSTMT];
	crm_persons_golden_fn golden;
	void *arg;
	struct crm_buf gb, lb; /* a golden record and its lineage */
};

/* The golden record of group g into w->gb and w->lb; 0 or -1. */
static int
make_golden(struct writer *w, const struct grp *g, struct crm_err *e)
{
	crm_buf_reset(&w->gb);
	crm_buf_reset(&w->lb);
	return w->golden(w->arg, w->p->byg + g->first, g->n, &w->gb, &w->lb, e);
}

static const char *const wsql[NSTMT] = {
	"INSERT INTO person_events(time, person_id, event, other, record_id,"
	" reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	"INSERT INTO persons(person_id, created, updated, golden, lineage)"
	" VALUES (?1, ?2, ?2, ?3, ?4)",
	"INSERT INTO persons(person_id, created, updated) VALUES (?1, ?2, ?2)"
	" ON CONFLICT DO NOTHING",
	"UPDATE persons SET merged_into = ?2, updated = ?3 WHERE person_id = "
	"?1",
	/* the records of merged person ?2 the run did not read: each left
	   it for ?3 and joined ?3, as write_moves() says of the others */
	"INSERT INTO person_events(time, person_id, event, other, record_id)"
	" SELECT ?1, CASE k WHEN 0 THEN ?2 ELSE ?3 END,"
	" CASE k WHEN 0 THEN 'left' ELSE 'joined' END,"
	" CASE k WHEN 0 THEN ?3 ELSE ?2 END, record_id"
	" FROM clusters, (SELECT 0 AS k UNION ALL SELECT 1)"
	" WHERE cluster_id = ?2 ORDER BY record_id, k",
	"UPDATE persons SET golden = ?2, lineage = ?3, updated = ?4"
	" WHERE person_id = ?1 AND (golden IS NOT ?2 OR lineage IS NOT ?3)",
	"INSERT INTO link_labels(id1, id2, link, time, source)"
	" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id1, id2) DO UPDATE SET"
	" link = excluded.link, time = excluded.time, source = "
	"excluded.source WHERE link IS NOT excluded.link OR source IS NOT"
	" excluded.source",
};

static void
bind(sqlite3_stmt *st, int k, const char *s, size_t len)
{
	if (s == NULL)
		sqlite3_bind_null(st, k);
	else
		sqlite3_bind_text(st, k, s, (int)len, SQLITE_STATIC);
}

/* Step w's statement k once; its changes, or -1 with e. */
static int
step(struct writer *w, int k, struct crm_err *e)
{
	sqlite3_stmt *st = w->st[k];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(w->p->s, e, "cannot store persons");
	return sqlite3_changes(crm_store_db(w->p->s));
}

/* One event of person pid. */
static int
event(struct writer *w, const char *pid, size_t plen, const char *what,
    const char *other, size_t olen, const char *rid, size_t rlen,
    const char *reason, struct crm_err *e)
{
	sqlite3_stmt *st = w->st[S_EVENT];

	bind(st, 1, w->p->now, strlen(w->p->now));
	bind(st, 2, pid, plen);
	bind(st, 3, what, strlen(what));
	bind(st, 4, other, olen);
	bind(st, 5, rid, rlen);
	bind(st, 6, reason, reason ? strlen(reason) : 0);
	return step(w, S_EVENT, e) == -1 ? -1 : 0;
}

/* The new persons, with their golden records. */
static int
write_new(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	sqlite3_stmt *st = w->st[S_NEW];
	const struct grp *g;
	size_t i;

	for (i = 0; i < p->ngrp; i++) {
		g = &p->grp[p->order[i]];
		if (!g->isnew)
			continue;
		if (make_golden(w, g, e) == -1)
			return -1;
		bind(st, 1, g->pid, strlen(g->pid));
		bind(st, 2, p->now, strlen(p->now));
		bind(st, 3, w->gb.p, w->gb.len);
		bind(st, 4, w->lb.p, w->lb.len);
		if (step(w, S_NEW, e) == -1 ||
		    event(w, g->pid, strlen(g->pid), "created", NULL, 0, NULL,
			0, NULL, e) == -1)
			return -1;
		p->st.created++;
	}
	return 0;
}

/*
 * The clusters with no person (a run killed between writing its clusters
 * and its persons) become persons, created when their clusters were.
 */
static int
write_adopted(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	sqlite3_stmt *st = w->st[S_ADOPT];
	const char *id;
	size_t o, len;
	int n;

	for (o = 0; o < p->nold; o++) {
		if (!p->old[o].norow)
			continue;
		id = crm_strmap_name(p->oldid, o, &len);
		bind(st, 1, id, len);
		bind(st, 2, p->old[o].created, strlen(p->old[o].created));
		if ((n = step(w, S_ADOPT, e)) == -1)
			return -1;
		if (n > 0 && event(w, id, len, "created", NULL, 0, NULL, 0,
				 "a cluster with no person", e) == -1)
			return -1;
	}
	return 0;
}

/* The stored persons merged into others, and their records moved. */
static int
write_merged(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	sqlite3_stmt *st = w->st[S_MERGED];
	const char *id, *to;
	size_t o, len, tlen;

	for (o = 0; o < p->nold; o++) {
		if (p->old[o].into < 0)
			continue;
		id = crm_strmap_name(p->oldid, o, &len);
		to = crm_strmap_name(p->oldid, (size_t)p->old[o].into, &tlen);
		bind(st, 1, id, len);
		bind(st, 2, to, tlen);
		bind(st, 3, p->now, strlen(p->now));
		if (step(w, S_MERGED, e) == -1 ||
		    event(w, id, len, "merged", to, tlen, NULL, 0, NULL, e) ==
			-1)
			return -1;
		/* the run's own records of it are written already */
		bind(w->st[S_UNREAD], 1, p->now, strlen(p->now));
		bind(w->st[S_UNREAD], 2, id, len);
		bind(w->st[S_UNREAD], 3, to, tlen);
		if (step(w, S_UNREAD, e) == -1 ||
		    crm_clusters_rename(p->s, id, len, to, tlen, p->now, e) ==
			-1)
			return -1;
		p->st.merged++;
	}
	return 0;
}

/*
 * A new person made of records of stored persons that kept their ids
 * elsewhere (or were merged): "split" on both, once per pair.
 */
static int
write_splits(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	const struct prec *r;
	const struct grp *g;
	const char *from;
	size_t gi, i, j, k, q, flen;
	long o, oq;

	for (gi = 0; gi < p->ngrp; gi++) {
		g = &p->grp[p->order[gi]];
		if (!g->isnew)
			continue;
		i = g->first;
		j = g->first + g->n;
		for (k = i; k < j; k++) {
			r = &p->r[p->byg[k]];
			if ((o = r->old) < 0)
				continue;
			while (p->old[o].into >= 0)
				o = p->old[o].into;
			if (p->old[o].home == NONE)
				continue;
			/* once per stored person: its first record here */
			for (q = i; q < k; q++) {
				oq = p->r[p->byg[q]].old;
				while (oq >= 0 && p->old[oq].into >= 0)
					oq = p->old[oq].into;
				if (oq == o)
					break;
			}
			if (q < k)
				continue;
			from = crm_strmap_name(p->oldid, (size_t)o, &flen);
			if (event(w, g->pid, strlen(g->pid), "split", from,
				flen, NULL, 0, NULL, e) == -1 ||
			    event(w, from, flen, "split", g->pid,
				strlen(g->pid), NULL, 0, NULL, e) == -1)
				return -1;
			p->st.split++;
		}
	}
	return 0;
}

/* Each record that moved: "left" its old person, "joined" its new. */
static int
write_moves(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	const char *pid, *oid = NULL;
	size_t gi, i, plen, olen = 0;
	const struct grp *g;
	const struct prec *r;

	for (gi = 0; gi < p->ngrp; gi++) {
		g = &p->grp[p->order[gi]];
		for (i = g->first; i < g->first + g->n; i++) {
			r = &p->r[p->byg[i]];
			if (!r->moved)
				continue;
			pid = crm_persons_id(p, r->g, &plen);
			if (r->old >= 0) {
				oid = crm_strmap_name(
				    p->oldid, (size_t)r->old, &olen);
				if (event(w, oid, olen, "left", pid, plen,
					r->id, r->len, NULL, e) == -1)
					return -1;
			}
			if (event(w, pid, plen, "joined",
				r->old >= 0 ? oid : NULL, olen, r->id, r->len,
				NULL, e) == -1)
				return -1;
		}
	}
	return 0;
}

/* The golden records of the stored persons that changed. */
static int
write_golden(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	sqlite3_stmt *st = w->st[S_GOLDEN];
	const struct grp *g;
	const char *pid;
	size_t i, plen;
	int n;

	for (i = 0; i < p->ngrp; i++) {
		g = &p->grp[p->order[i]];
		/* of part of a person: its stored golden record stays */
		if (g->isnew || !g->stale || g->partial)
			continue;
		if (make_golden(w, g, e) == -1)
			return -1;
		pid = grp_id(p, g, &plen);
		bind(st, 1, pid, plen);
		bind(st, 2, w->gb.p, w->gb.len);
		bind(st, 3, w->lb.p, w->lb.len);
		bind(st, 4, p->now, strlen(p->now));
		if ((n = step(w, S_GOLDEN, e)) == -1)
			return -1;
		if (n > 0) {
			if (event(w, pid, plen, "updated", NULL, 0, NULL, 0,
				NULL, e) == -1)
				return -1;
			p->st.updated++;
		}
	}
	return 0;
}

static int
write_labels(struct writer *w, struct crm_err *e)
{
	struct crm_persons *p = w->p;
	sqlite3_stmt *st = w->st[S_LABEL];
	const struct label *l;
	size_t i;

	for (i = 0; i < p->nlab; i++) {
		l = &p->lab[i];
		bind(st, 1, l->id1, strlen(l->id1));
		bind(st, 2, l->id2, strlen(l->id2));
		bind(st, 3, l->must ? "must" : "cannot", l->must ? 4 : 6);
		bind(st, 4, p->now, strlen(p->now));
		bind(st, 5, l->source, strlen(l->source));
		if (step(w, S_LABEL, e) == -1)
			return -1;
	}
	return 0;
}

int
crm_persons_write(struct crm_persons *p, crm_persons_golden_fn golden,
    void *arg, struct crm_err *e)
{
	struct writer w;
	int k, rc = -1;

	memset(&w, 0, sizeof(w));
	w.p = p;
	w.golden = golden;
	w.arg = arg;
	crm_buf_init(&w.gb);
	crm_buf_init(&w.lb);
	for (k = 0; k < NSTMT; k++)
		if (sqlite3_prepare_v2(crm_store_db(p->s), wsql[k], -1,
			&w.st[k], NULL) != SQLITE_OK) {
			crm_store_fail(p->s, e, "cannot store persons");
			goto out;
		}
	if (crm_store_begin(p->s, e) == -1)
		goto out;
	if (write_adopted(&w, e) == -1 || write_new(&w, e) == -1 ||
	    write_merged(&w, e) == -1 || write_splits(&w, e) == -1 ||
	    write_moves(&w, e) == -1 || write_golden(&w, e) == -1 ||
	    write_labels(&w, e) == -1) {
		crm_store_rollback(p->s);
		goto out;
	}
	rc = crm_store_commit(p->s, e);
out:
	for (k = 0; k < NSTMT; k++)
		sqlite3_finalize(w.st[k]);
	crm_buf_release(&w.gb);
	crm_buf_release(&w.lb);
	return rc;
}

void
crm_persons_stats(const struct crm_persons *p, struct crm_persons_stats *st)
{
	*st = p->st;
}

/*
 * Erasure: the golden values the customer's record gave go (a JSON merge
 * patch of nulls removes them from golden and lineage alike), a person
 * named after the customer (its id, or a variant "id~2") takes the
 * stand-in (as its clusters do), the events keep the stand-in for the
 * record, and the labels go.
 */
#define FROM_IT                                                                \
	"(SELECT json_group_object(key, NULL) FROM json_each(persons.lineage)" \
	" WHERE value = ?1)"
#define GAVE \
	"EXISTS (SELECT 1 FROM json_each(persons.lineage) WHERE value = ?1)"
#define NAMED(col) CRM_ERASE_NAMED(col)
#define RENAMED(col)                                                         \
	"CASE WHEN " NAMED(col) " THEN " CRM_ERASE_RENAMED(col) " ELSE " col \
								" END"
#define PERSON_ID   RENAMED("person_id")
#define MERGED_INTO RENAMED("merged_into")
#define OTHER	    RENAMED("other")
/*
 * The persons the record was ever in are those of its events (a person
 * made by the migration of schema 8 has a joined event for each record
 * too), found by index; GAVE is asked of those alone, not of every row.
 */
#define EVER_IN                                                                \
	"person_id IN (SELECT person_id FROM person_events WHERE record_id = " \
	"?1)"
#define NAMES_IT                                                           \
	"(" NAMED("person_id") " OR " NAMED("merged_into") " OR (" EVER_IN \
							   " AND " GAVE "))"
#define EVENT_NAMES_IT \
	"(" NAMED("person_id") " OR " NAMED("other") " OR record_id = ?1)"

const struct crm_erase_step crm_persons_erase[] = {
	{ "persons", "redacted",
	    "UPDATE persons SET"
	    " golden = CASE WHEN " GAVE " THEN json_patch(golden, " FROM_IT
	    ") ELSE golden END,"
	    " lineage = CASE WHEN " GAVE " THEN json_patch(lineage, " FROM_IT
	    ") ELSE lineage END,"
	    " person_id = " PERSON_ID ", merged_into = " MERGED_INTO
	    " WHERE " NAMES_IT },
	{ "person_events", "redacted",
	    "UPDATE person_events SET person_id = " PERSON_ID ", other = " OTHER
	    ", record_id = CASE record_id WHEN ?1 THEN ?2 ELSE record_id END"
	    " WHERE " EVENT_NAMES_IT },
	{ "link_labels", "deleted",
	    "DELETE FROM link_labels WHERE ?1 IN (id1, id2)" },
	{ NULL, NULL, NULL },
};
