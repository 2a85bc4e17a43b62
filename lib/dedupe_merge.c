/*
 * dedupe_merge: one golden record per cluster (--merge).  Each field
 * takes the value of one member: the most recent member that has it
 * (by --time-field, read as a date; members with no time come after,
 * the later read first), or with --prefer frequent the value most
 * members share (ties: the more recent).  A field no member has is
 * null.  The fields come in the order of the cluster's first record,
 * then the others'; the record's id is the cluster's, with
 * cluster_size and source_ids (the members' ids in input order), and
 * with review rules needs_review: the review of the first member that
 * needs one (a record a held link would have joined is a cluster of its
 * own unless other links join it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "dedupe_int.h"
#include "norm.h"

/*
 * A member of a cluster, with its time as ISO 8601 ("" when unknown) and
 * when it was read: the store's records (--incremental) before the run's.
 */
struct member {
	size_t idx, read;
	char *when;
	const struct crm_rec *rec; /* rebuilt once (load_members) */
};

static int
cmp_recent(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(y->when, x->when);

	if (c != 0)
		return c;
	return x->read < y->read ? 1 : x->read > y->read ? -1 : 0;
}

static int
present(const struct crm_rec *r, long k)
{
	size_t len;

	if (k < 0 || crm_rec_type(r, (size_t)k) == CRM_NULL)
		return 0;
	crm_rec_value(r, (size_t)k, &len);
	return len > 0;
}

/*
 * The field of name that survives among m (most recent first), its
 * member in *who: -1 when no member has it, -2 when out of memory.
 */
static long
survivor(const struct member *m, size_t n, const char *name, size_t nlen,
    int frequent, size_t *who)
{
	size_t i, j, len, qlen, count, best = 0;
	const char *v, *qv;
	long k, kq, at = -1;

	for (i = 0; i < n; i++) {
		k = crm_rec_find(m[i].rec, name, nlen);
		if (!present(m[i].rec, k))
			continue;
		if (!frequent) {
			*who = i;
			return k;
		}
		v = crm_rec_value(m[i].rec, (size_t)k, &len);
		for (count = 0, j = 0; j < n; j++) {
			kq = crm_rec_find(m[j].rec, name, nlen);
			if (!present(m[j].rec, kq))
				continue;
			qv = crm_rec_value(m[j].rec, (size_t)kq, &qlen);
			count += crm_bytes_cmp(v, len, qv, qlen) == 0;
		}
		if (count > best) { /* ties: the more recent */
			best = count;
			*who = i;
			at = k;
		}
	}
	return at;
}

/*
 * Each member's record rebuilt from the packed ones, once a cluster, into
 * d's pool of records (grown to the largest cluster); 0 or -1.
 */
static int
load_members(struct crm_dedupe *d, struct member *m, size_t n)
{
	struct crm_rec **p;
	size_t i;

	if (n > d->nmrec) {
		if ((p = crm_reallocarray(d->mrec, n, sizeof(*p))) == NULL)
			return -1;
		d->mrec = p;
		for (; d->nmrec < n; d->nmrec++)
			if ((d->mrec[d->nmrec] = crm_rec_new()) == NULL)
				return -1;
	}
	for (i = 0; i < n; i++)
		if ((m[i].rec = crm_dd_rec(d, m[i].idx, d->mrec[i])) == NULL)
			return -1;
	return 0;
}

/* Each member's time, into m[i].when; -1 when out of memory. */
static int
member_times(struct crm_dedupe *d, struct member *m, size_t n, size_t *first)
{
	const char *tf = d->o.time_field, *v, *why;
	struct crm_buf *b = &d->buf;
	const struct crm_rec *r;
	size_t i, len;
	long t;

	*first = SIZE_MAX;
	for (i = 0; i < n; i++) {
		r = m[i].rec;
		t = tf ? crm_rec_find(r, tf, strlen(tf)) : -1;
		crm_buf_reset(b);
		if (present(r, t)) {
			v = crm_rec_value(r, (size_t)t, &len);
			if (crm_norm_date(b, v, len, CRM_DATE_STRICT, &why) ==
			    -1)
				crm_buf_reset(b);
		}
		m[i].read = m[i].idx < d->in.n ? d->ref.n + m[i].idx
					       : m[i].idx - d->in.n;
		if ((m[i].when = strdup(b->p ? b->p : "")) == NULL) {
			while (i-- > 0)
				free(m[i].when);
			return -1;
		}
		if (m[i].idx < *first)
			*first = m[i].idx;
	}
	return 0;
}

/*
 * The surviving fields of the members m into out, and, unless lineage
 * is NULL, the id of the member each came from into lineage.
 */
static int
survivors(const struct crm_dedupe *d, const struct member *m, size_t n,
    size_t first, struct crm_rec *out, struct crm_rec *lineage)
{
	const struct crm_rec *r, *w;
	const char *name, *v, *id;
	size_t i, k, nlen, len, idlen, who = 0, fm = 0;
	long at;

	while (fm < n && m[fm].idx != first)
		fm++;
	for (i = 0; i < n + 1; i++) {
		r = m[i == 0 ? fm : i - 1].rec;
		for (k = 0; k < crm_rec_count(r); k++) {
			name = crm_rec_name(r, k, &nlen);
			if (crm_rec_find(out, name, nlen) >= 0)
				continue;
			at = survivor(m, n, name, nlen, d->o.frequent, &who);
			if (at < 0) {
				if (crm_rec_add(
					out, name, nlen, "", 0, CRM_NULL) == -1)
					return -1;
				continue;
			}
			w = m[who].rec;
			v = crm_rec_value(w, (size_t)at, &len);
			if (crm_rec_add(out, name, nlen, v, len,
				crm_rec_type(w, (size_t)at)) == -1)
				return -1;
			if (lineage == NULL)
				continue;
			id = crm_dd_id(d, m[who].idx, &idlen);
			if (crm_rec_add(lineage, name, nlen, id, idlen,
				CRM_STRING) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * The members m ranked for survivorship (most recent first), *first the
 * one read first; each one's time to be freed.  0, or -1.
 */
static int
rank(struct crm_dedupe *d, struct member *m, size_t n, size_t *first)
{
	if (load_members(d, m, n) == -1 || member_times(d, m, n, first) == -1)
		return -1;
	qsort(m, n, sizeof(*m), cmp_recent);
	return 0;
}

int
crm_dd_golden(struct crm_dedupe *d, const size_t *idx, size_t n,
    struct crm_rec *out, struct crm_rec *lineage)
{
	struct member *m;
	size_t i, first;
	int rc;

	if ((m = crm_reallocarray(NULL, n + 1, sizeof(*m))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		m[i].idx = idx[i];
	if (rank(d, m, n, &first) == -1) {
		free(m);
		return -1;
	}
	crm_rec_clear(out);
	crm_rec_clear(lineage);
	rc = survivors(d, m, n, first, out, lineage);
	for (i = 0; i < n; i++)
		free(m[i].when);
	free(m);
	return rc;
}

/* One golden record for the cluster of members m (n of them). */
static int
golden(struct crm_dedupe *d, struct member *m, size_t n,
    const struct crm_dd_str *cid, struct crm_rec *out)
{
	struct crm_buf *b = &d->buf;
	const char *v, *rv = NULL;
	size_t i, len, first, rvat = SIZE_MAX;
	char num[32];
	int rc;

	if (rank(d, m, n, &first) == -1)
		return -1;
	crm_rec_clear(out);
	rc = survivors(d, m, n, first, out, NULL);
	/* the sources, in input order */
	for (i = 0; i < n; i++) {
		m[i].when[0] = '\0';
		m[i].read = m[i].idx;
	}
	qsort(m, n, sizeof(*m), cmp_recent);
	crm_buf_reset(b);
	for (i = n; rc == 0 && i-- > 0;) {
		v = crm_dd_id(d, m[i].idx, &len);
		if ((i < n - 1 && crm_buf_addc(b, ';') == -1) ||
		    crm_buf_add(b, v, len) == -1)
			rc = -1;
	}
	for (i = 0; i < n; i++)
		free(m[i].when);
	if (rc == -1)
		return -1;
	snprintf(num, sizeof(num), "%zu", n);
	if (crm_rec_put(out, d->o.id_field, cid->p, cid->len, CRM_STRING) ==
		-1 ||
	    crm_rec_put(out, "cluster_size", num, strlen(num), CRM_NUMBER) ==
		-1 ||
	    crm_rec_put(out, "source_ids", b->p, b->len, CRM_STRING) == -1)
		return -1;
	if (d->rv == NULL)
		return 0;
	/* the review of the member read first that needs one */
	for (i = 0; i < n; i++) {
		if (d->rvname[m[i].idx] != NULL && m[i].idx < rvat) {
			rv = d->rvname[m[i].idx];
			rvat = m[i].idx;
		}
	}
	return crm_rec_put(out, CRM_REVIEW_FIELD, rv ? rv : "",
	    rv ? strlen(rv) : 0, rv ? CRM_STRING : CRM_NULL);
}

struct grp {
	size_t first; /* the cluster's first record read */
	size_t idx;
};

static int
cmp_grp(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int
crm_dd_write_merged(
    struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg, struct crm_err *e)
{
	size_t n = d->in.n + d->ref.n, i, j, m = 0;
	size_t *first = NULL;
	struct member *mem = NULL;
	struct grp *g = NULL;
	struct crm_rec *out = NULL;
	int rc = -1;

	if ((first = malloc((n + 1) * sizeof(*first))) == NULL ||
	    (g = crm_reallocarray(NULL, n + 1, sizeof(*g))) == NULL ||
	    (mem = crm_reallocarray(NULL, n + 1, sizeof(*mem))) == NULL ||
	    (out = crm_rec_new()) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		first[i] = SIZE_MAX;
	for (i = 0; i < d->in.n; i++) {
		if (first[d->root[i]] == SIZE_MAX)
			first[d->root[i]] = i;
	}
	for (i = 0; i < n; i++) {
		if (first[d->root[i]] != SIZE_MAX) {
			g[m].first = first[d->root[i]];
			g[m++].idx = i;
		}
	}
	qsort(g, m, sizeof(*g), cmp_grp);
	for (i = 0; i < m; i = j) {
		for (j = i; j < m && g[j].first == g[i].first; j++)
			mem[j - i].idx = g[j].idx;
		if (golden(d, mem, j - i, &d->cid[g[i].first], out) == -1)
			goto oom;
		if (emit(arg, out, e) == -1)
			goto out;
	}
	rc = 0;
	goto out;
oom:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	crm_rec_free(out);
	free(first);
	free(g);
	free(mem);
	return rc;
}
