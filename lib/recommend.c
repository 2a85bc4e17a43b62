/*
 * recommend: interactions, the model's bytes, scoring and evaluation of
 * recommend.h; the fitting is in reco_fit.c.
 *
 * Model bytes, little-endian: a 64-byte header ("CRMRECO1", then 32-bit
 * words: algorithm fitted, asked for, weighted, items n, customers m,
 * pairs, k, iterations, lambda, reg, alpha as floats, seed, dense limit,
 * 0); the large section (EASE: B as n x n floats; kNN: n x k neighbour
 * indices, then n x k similarities; ALS: n x k item factors, then m x k
 * customer factors); then the item ids (length and bytes each), the
 * customers per item, the customer ids, and the history as compressed
 * rows (m + 1 offsets, the item indices, their values).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>

#include <cblas.h>

#include "blas.h"
#include "reco_int.h"

static const char magic[8] = "CRMRECO1";

static const char *const algo_names[] = { "ease", "knn", "als" };

void
crm_reco_params_init(struct crm_reco_params *p)
{
	memset(p, 0, sizeof(*p));
	p->algo = CRM_RECO_EASE;
	p->lambda = 500;
	p->dense_limit = CRM_RECO_DENSE_LIMIT;
	p->neighbours = 100;
	p->factors = 64;
	p->iterations = 15;
	p->reg = 0.1;
	p->alpha = 10;
	p->seed = 1;
}

const char *
crm_reco_algo_name(enum crm_reco_algo a)
{
	return algo_names[a];
}

int
crm_reco_algo_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(algo_names) / sizeof(algo_names[0]); i++)
		if (strcmp(s, algo_names[i]) == 0)
			return (int)i;
	return -1;
}

/* ==== Interactions ==== */

struct crm_reco_data *
crm_reco_data_new(int weighted)
{
	struct crm_reco_data *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->weighted = weighted;
	if ((d->custs = crm_strmap_new()) == NULL ||
	    (d->items = crm_strmap_new()) == NULL) {
		crm_reco_data_free(d);
		return NULL;
	}
	return d;
}

void
crm_reco_data_free(struct crm_reco_data *d)
{
	if (d == NULL)
		return;
	crm_strmap_free(d->custs);
	crm_strmap_free(d->items);
	free(d->cust);
	free(d->item);
	free(d->weight);
	free(d->time);
	free(d);
}

/* Grow every per-interaction array of d to cap; 0 or -1. */
static int
data_grow(struct crm_reco_data *d, size_t cap)
{
	void *p;

	if ((p = crm_reallocarray(d->cust, cap, sizeof(*d->cust))) == NULL)
		return -1;
	d->cust = p;
	if ((p = crm_reallocarray(d->item, cap, sizeof(*d->item))) == NULL)
		return -1;
	d->item = p;
	if ((p = crm_reallocarray(d->weight, cap, sizeof(*d->weight))) == NULL)
		return -1;
	d->weight = p;
	if ((p = crm_reallocarray(d->time, cap, sizeof(*d->time))) == NULL)
		return -1;
	d->time = p;
	d->cap = cap;
	return 0;
}

int
crm_reco_data_add(struct crm_reco_data *d, const char *cust, size_t clen,
    const char *item, size_t ilen, double weight, double time)
{
	long c, i;

	if (d->n == d->cap && data_grow(d, d->cap ? 2 * d->cap : 4096) == -1)
		return -1;
	if ((c = crm_strmap_put(d->custs, cust, clen)) < 0 ||
	    (i = crm_strmap_put(d->items, item, ilen)) < 0)
		return -1;
	d->cust[d->n] = (uint32_t)c;
	d->item[d->n] = (uint32_t)i;
	d->weight[d->n] = d->weighted ? (float)weight : 1;
	d->time[d->n++] = time;
	return 0;
}

size_t
crm_reco_data_count(const struct crm_reco_data *d)
{
	return d->n;
}

/* ==== Models ==== */

static struct crm_reco *
reco_new(void)
{
	struct crm_reco *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	crm_buf_init(&m->blob);
	crm_buf_init(&m->out);
	if ((m->items = crm_strmap_new()) == NULL ||
	    (m->custs = crm_strmap_new()) == NULL) {
		crm_reco_free(m);
		return NULL;
	}
	return m;
}

void
crm_reco_free(struct crm_reco *m)
{
	if (m == NULL)
		return;
	crm_strmap_free(m->items);
	crm_strmap_free(m->custs);
	free(m->count);
	free(m->popord);
	free(m->hptr);
	free(m->hidx);
	free(m->hval);
	free(m->score);
	free(m->mark);
	crm_buf_release(&m->blob);
	crm_buf_release(&m->out);
	free(m);
}

/* Scratch space for scoring; 0 or -1. */
static int
scratch(struct crm_reco *m)
{
	if ((m->score = crm_reallocarray(NULL, m->n, sizeof(*m->score))) ==
		NULL ||
	    (m->mark = calloc(m->n, sizeof(*m->mark))) == NULL)
		return -1;
	m->stamp = 0;
	return 0;
}

struct crm_reco *
crm_reco_fit(const struct crm_reco_data *d, const struct crm_reco_params *p,
    struct crm_err *e)
{
	struct crm_reco *m;

	if ((m = reco_new()) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (reco_fit_into(m, d, NULL, p, e) == -1) {
		crm_reco_free(m);
		return NULL;
	}
	if (scratch(m) == -1) {
		crm_reco_free(m);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	return m;
}

enum crm_reco_algo
crm_reco_algo(const struct crm_reco *m)
{
	return m->algo;
}

enum crm_reco_algo
crm_reco_asked(const struct crm_reco *m)
{
	return m->asked;
}

const char *
crm_reco_fallback_why(const struct crm_reco *m)
{
	return m->why;
}

size_t
crm_reco_items(const struct crm_reco *m)
{
	return m->n;
}

size_t
crm_reco_customers(const struct crm_reco *m)
{
	return m->m;
}

size_t
crm_reco_pairs(const struct crm_reco *m)
{
	return m->nnz;
}

const struct crm_reco_params *
crm_reco_params(const struct crm_reco *m)
{
	return &m->p;
}

long
crm_reco_customer(const struct crm_reco *m, const char *id, size_t len)
{
	return crm_strmap_get(m->custs, id, len);
}

long
crm_reco_item(const struct crm_reco *m, const char *id, size_t len)
{
	return crm_strmap_get(m->items, id, len);
}

const char *
crm_reco_item_name(const struct crm_reco *m, size_t i, size_t *len)
{
	return crm_strmap_name(m->items, i, len);
}

int
reco_big_size(
    enum crm_reco_algo algo, size_t n, size_t m, size_t k, size_t *bytes)
{
	size_t cells;

	switch (algo) {
	case CRM_RECO_EASE:
		if (n > 0 && n > SIZE_MAX / 4 / n)
			return -1;
		cells = n * n;
		break;
	case CRM_RECO_KNN: /* an index and a similarity per slot */
		if (k > 0 && n > SIZE_MAX / 8 / k)
			return -1;
		cells = 2 * n * k;
		break;
	default:
		if (k > 0 && n + m > SIZE_MAX / 4 / k)
			return -1;
		cells = (n + m) * k;
		break;
	}
	if (cells > (SIZE_MAX - RECO_HEADER) / 4)
		return -1;
	*bytes = cells * 4;
	return 0;
}

/*
 * Ask for transparent huge pages for the large section where the system
 * has them: touching EASE's n^2 floats 4 KiB at a time costs more in
 * page faults than the Gram matrix costs to sum.
 */
static void
huge_pages(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;

	if (len > 4 * 1048576)
		(void)madvise(
		    (void *)a, len - (a - (uintptr_t)p), MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

int
reco_big_alloc(struct crm_reco *m)
{
	size_t bytes;

	if (reco_big_size(m->algo, m->n, m->m, m->k, &bytes) == -1 ||
	    crm_buf_grow(&m->blob, RECO_HEADER + bytes) == -1)
		return -1;
	huge_pages(m->blob.p, RECO_HEADER + bytes);
	memset(m->blob.p, 0, RECO_HEADER + bytes);
	m->blob.len = RECO_HEADER + bytes;
	m->blob.p[m->blob.len] = '\0';
	m->big = m->blob.len;
	m->mat = (float *)(void *)(m->blob.p + RECO_HEADER);
	m->nbr = NULL;
	if (m->algo == CRM_RECO_KNN) {
		m->nbr = (uint32_t *)(void *)m->mat;
		m->mat += m->n * m->k;
	}
	return 0;
}

/* 1 on a little-endian host. */
static int
host_le(void)
{
	const uint32_t one = 1;
	unsigned char c;

	memcpy(&c, &one, 1);
	return c == 1;
}

/* Reverse the bytes of each of n 32-bit words at p. */
static void
swap32(void *p, size_t n)
{
	unsigned char *b = p, t;
	size_t i;

	for (i = 0; i < n; i++, b += 4) {
		t = b[0], b[0] = b[3], b[3] = t;
		t = b[1], b[1] = b[2], b[2] = t;
	}
}

static int
put_name(struct crm_buf *b, const struct crm_strmap *s, size_t i)
{
	size_t len;
	const char *p = crm_strmap_name(s, i, &len);

	if (crm_buf_put32(b, (uint32_t)len) == -1)
		return -1;
	return crm_buf_add(b, p, len);
}

int
crm_reco_save(struct crm_reco *m, const void **p, size_t *len)
{
	struct crm_buf h;
	struct crm_buf *b = &m->blob;
	size_t i;
	int bad = 0;

	crm_buf_init(&h);
	bad |= crm_buf_add(&h, magic, sizeof(magic));
	bad |= crm_buf_put32(&h, (uint32_t)m->algo);
	bad |= crm_buf_put32(&h, (uint32_t)m->asked);
	bad |= crm_buf_put32(&h, (uint32_t)m->weighted);
	bad |= crm_buf_put32(&h, (uint32_t)m->n);
	bad |= crm_buf_put32(&h, (uint32_t)m->m);
	bad |= crm_buf_put32(&h, (uint32_t)m->nnz);
	bad |= crm_buf_put32(&h, (uint32_t)m->k);
	bad |= crm_buf_put32(&h, (uint32_t)m->p.iterations);
	bad |= crm_buf_putf(&h, (float)m->p.lambda);
	bad |= crm_buf_putf(&h, (float)m->p.reg);
	bad |= crm_buf_putf(&h, (float)m->p.alpha);
	bad |= crm_buf_put32(&h, (uint32_t)m->p.seed);
	bad |= crm_buf_put32(&h, (uint32_t)m->p.dense_limit);
	bad |= crm_buf_put32(&h, 0);
	if (bad || h.len != RECO_HEADER) {
		crm_buf_release(&h);
		return -1;
	}
	memcpy(b->p, h.p, RECO_HEADER);
	crm_buf_release(&h);
	b->len = m->big; /* a second save starts again here */
	for (i = 0; i < m->n; i++)
		bad |= put_name(b, m->items, i);
	for (i = 0; i < m->n; i++)
		bad |= crm_buf_put32(b, m->count[i]);
	for (i = 0; i < m->m; i++)
		bad |= put_name(b, m->custs, i);
	for (i = 0; i <= m->m; i++)
		bad |= crm_buf_put32(b, m->hptr[i]);
	for (i = 0; i < m->nnz; i++)
		bad |= crm_buf_put32(b, m->hidx[i]);
	for (i = 0; i < m->nnz; i++)
		bad |= crm_buf_putf(b, m->hval[i]);
	if (bad)
		return -1;
	/* the blob may have moved */
	m->mat = (float *)(void *)(b->p + RECO_HEADER);
	if (m->algo == CRM_RECO_KNN) {
		m->nbr = (uint32_t *)(void *)m->mat;
		m->mat += m->n * m->k;
	}
	if (!host_le()) {
		crm_buf_reset(&m->out);
		if (crm_buf_add(&m->out, b->p, b->len) == -1)
			return -1;
		swap32(m->out.p + RECO_HEADER, (m->big - RECO_HEADER) / 4);
		b = &m->out;
	}
	*p = b->p;
	*len = b->len;
	return 0;
}

/* Read a name into s; 0, or -1 when damaged (a repeat) or out of memory. */
static int
get_name(struct crm_in *in, struct crm_strmap *s, int *nomem)
{
	uint32_t len = crm_in_32(in);
	const char *p = crm_in_bytes(in, len);
	size_t before = crm_strmap_count(s);

	if (in->bad)
		return -1;
	if (crm_strmap_put(s, p, len) < 0) {
		*nomem = 1;
		return -1;
	}
	return crm_strmap_count(s) == before + 1 ? 0 : -1;
}

/* Check a loaded model's numbers and indices; 0 or -1. */
static int
check_model(const struct crm_reco *m)
{
	size_t i, j, big = (m->big - RECO_HEADER) / 4;
	const float *f = (const float *)(const void *)(m->blob.p + RECO_HEADER);

	for (i = 0; i < m->n; i++)
		if (m->count[i] == 0 || m->count[i] > m->m)
			return -1;
	if (m->hptr[0] != 0 || m->hptr[m->m] != m->nnz)
		return -1;
	for (i = 0; i < m->m; i++) {
		if (m->hptr[i] > m->hptr[i + 1] || m->hptr[i + 1] > m->nnz)
			return -1;
		for (j = m->hptr[i]; j < m->hptr[i + 1]; j++)
			if (m->hidx[j] >= m->n ||
			    (j > m->hptr[i] && m->hidx[j] <= m->hidx[j - 1]))
				return -1;
	}
	if (m->algo == CRM_RECO_KNN) {
		for (i = 0; i < m->n * m->k; i++)
			if (m->nbr[i] >= m->n && m->nbr[i] != RECO_NONE)
				return -1;
		f = m->mat;
		big = m->n * m->k;
	}
	for (i = 0; i < big; i++)
		if (!isfinite(f[i]))
			return -1;
	return 0;
}

/* An item and its customers, to sort by popularity. */
struct popular_item {
	uint32_t count, item;
};

/* More customers first, then the smaller index (id order). */
static int
by_pop(const void *a, const void *b)
{
	const struct popular_item *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

int
reco_pop_order(struct crm_reco *m)
{
	struct popular_item *v;
	size_t i;

	v = crm_reallocarray(NULL, m->n, sizeof(*v));
	m->popord = crm_reallocarray(NULL, m->n, sizeof(*m->popord));
	if (v == NULL || m->popord == NULL) {
		free(v);
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		v[i].count = m->count[i];
		v[i].item = (uint32_t)i;
	}
	qsort(v, m->n, sizeof(*v), by_pop);
	for (i = 0; i < m->n; i++)
		m->popord[i] = v[i].item;
	free(v);
	return 0;
}

struct crm_reco *
crm_reco_load(struct crm_buf *blob, struct crm_err *e)
{
	struct crm_reco *m;
	struct crm_in in;
	size_t i, bytes;
	uint32_t v[8];
	int nomem = 0;

	if ((m = reco_new()) == NULL) {
		crm_buf_release(blob);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	m->blob = *blob;
	crm_buf_init(blob);
	in.p = (const unsigned char *)m->blob.p;
	in.left = m->blob.len;
	in.bad = 0;
	if (m->blob.len < RECO_HEADER ||
	    memcmp(m->blob.p, magic, sizeof(magic)) != 0)
		goto bad;
	crm_in_bytes(&in, sizeof(magic));
	for (i = 0; i < 8; i++)
		v[i] = crm_in_32(&in);
	crm_reco_params_init(&m->p);
	m->p.lambda = crm_in_f(&in);
	m->p.reg = crm_in_f(&in);
	m->p.alpha = crm_in_f(&in);
	m->p.seed = crm_in_32(&in);
	m->p.dense_limit = crm_in_32(&in);
	crm_in_32(&in);
	m->algo = (enum crm_reco_algo)v[0];
	m->asked = (enum crm_reco_algo)v[1];
	m->p.algo = m->asked;
	m->weighted = v[2] != 0;
	m->n = v[3];
	m->m = v[4];
	m->nnz = v[5];
	m->k = v[6];
	m->p.iterations = v[7];
	if (m->algo == CRM_RECO_KNN)
		m->p.neighbours = m->k;
	else if (m->algo == CRM_RECO_ALS)
		m->p.factors = m->k;
	if (in.bad || v[0] > CRM_RECO_ALS || v[1] > CRM_RECO_ALS || v[2] > 1 ||
	    m->n == 0 || m->m == 0 || m->nnz < m->m ||
	    (m->algo == CRM_RECO_EASE && m->n > 46340) ||
	    (m->algo != CRM_RECO_EASE && m->k == 0) ||
	    reco_big_size(m->algo, m->n, m->m, m->k, &bytes) == -1 ||
	    m->blob.len - RECO_HEADER < bytes)
		goto bad;
	m->big = RECO_HEADER + bytes;
	m->mat = (float *)(void *)(m->blob.p + RECO_HEADER);
	if (!host_le())
		swap32(m->mat, bytes / 4);
	if (m->algo == CRM_RECO_KNN) {
		m->nbr = (uint32_t *)(void *)m->mat;
		m->mat += m->n * m->k;
	}
	in.p = (const unsigned char *)m->blob.p + m->big;
	in.left = m->blob.len - m->big;
	/* every array is bounded by the bytes there are */
	if (in.left / 4 < m->n || in.left / 8 < m->nnz ||
	    in.left / 4 < m->m + 1)
		goto bad;
	if ((m->count = calloc(m->n, sizeof(*m->count))) == NULL ||
	    (m->hptr = calloc(m->m + 1, sizeof(*m->hptr))) == NULL ||
	    (m->hidx = calloc(m->nnz, sizeof(*m->hidx))) == NULL ||
	    (m->hval = calloc(m->nnz, sizeof(*m->hval))) == NULL)
		goto nomem;
	for (i = 0; i < m->n; i++)
		if (get_name(&in, m->items, &nomem) == -1)
			goto name;
	for (i = 0; i < m->n; i++)
		m->count[i] = crm_in_32(&in);
	for (i = 0; i < m->m; i++)
		if (get_name(&in, m->custs, &nomem) == -1)
			goto name;
	for (i = 0; i <= m->m; i++)
		m->hptr[i] = crm_in_32(&in);
	for (i = 0; i < m->nnz; i++)
		m->hidx[i] = crm_in_32(&in);
	for (i = 0; i < m->nnz; i++)
		m->hval[i] = crm_in_f(&in);
	if (in.bad || in.left != 0 || check_model(m) == -1)
		goto bad;
	if (reco_pop_order(m) == -1 || scratch(m) == -1)
		goto nomem;
	/* scoring by ALS's factors takes a work buffer (cblas_sgemv) */
	if (m->algo == CRM_RECO_ALS && crm_blas_room("als", 1, e) == -1) {
		crm_reco_free(m);
		return NULL;
	}
	return m;
name:
	if (nomem)
		goto nomem;
bad:
	crm_reco_free(m);
	crm_err_set(e, EX_DATAERR, "not a recommend model, or a damaged one");
	return NULL;
nomem:
	crm_reco_free(m);
	crm_err_set(e, EX_SOFTWARE, "out of memory");
	return NULL;
}

/* ==== Scoring ==== */

/* A new stamp for m->mark, clearing the marks when it wraps. */
static uint32_t
new_stamp(struct crm_reco *m)
{
	if (++m->stamp == 0) {
		memset(m->mark, 0, m->n * sizeof(*m->mark));
		m->stamp = 1;
	}
	return m->stamp;
}

int
reco_before(const struct crm_reco_hit *a, const struct crm_reco_hit *b,
    const uint32_t *count)
{
	double d = fabs(a->score) > fabs(b->score) ? fabs(a->score)
						   : fabs(b->score);

	if (fabs(a->score - b->score) > RECO_TIE * d)
		return a->score > b->score;
	if (count != NULL && count[a->item] != count[b->item])
		return count[a->item] > count[b->item];
	return a->item < b->item;
}

/* Move x down from the root of heap h of k hits to its place. */
static void
sift_down(struct crm_reco_hit *h, size_t k, const struct crm_reco_hit *x,
    const uint32_t *count)
{
	size_t at, c;

	for (at = 0;; at = c) {
		c = 2 * at + 1;
		if (c >= k)
			break;
		if (c + 1 < k && reco_before(&h[c], &h[c + 1], count))
			c++;
		if (!reco_before(x, &h[c], count))
			break;
		h[at] = h[c];
	}
	h[at] = *x;
}

void
reco_heap_offer(struct crm_reco_hit *h, size_t *k, size_t cap,
    const struct crm_reco_hit *x, const uint32_t *count)
{
	size_t at;

	if (*k == cap) {
		if (cap > 0 && reco_before(x, &h[0], count))
			sift_down(h, *k, x, count);
		return;
	}
	for (at = (*k)++; at > 0 && reco_before(&h[(at - 1) / 2], x, count);
	     at = (at - 1) / 2)
		h[at] = h[(at - 1) / 2];
	h[at] = *x;
}

void
reco_heap_sort(struct crm_reco_hit *h, size_t k, const uint32_t *count)
{
	struct crm_reco_hit worst, last;

	/* the root is the worst left: it goes to the end */
	for (; k > 1; k--) {
		worst = h[0];
		last = h[k - 1];
		sift_down(h, k - 1, &last, count);
		h[k - 1] = worst;
	}
}

/*
 * The best n items by m->score that are not marked with stamp, best
 * first (ties: more customers, then id order), into out; returns how
 * many.
 */
static size_t
top_n(const struct crm_reco *m, uint32_t stamp, size_t n,
    struct crm_reco_hit *out)
{
	struct crm_reco_hit x;
	size_t i, k = 0;

	for (i = 0; i < m->n; i++) {
		if (m->mark[i] == stamp)
			continue;
		x.item = i;
		x.score = m->score[i];
		reco_heap_offer(out, &k, n, &x, m->count);
	}
	reco_heap_sort(out, k, m->count);
	return k;
}

/* The n most popular items not marked with stamp. */
static size_t
popular(const struct crm_reco *m, uint32_t stamp, size_t n,
    struct crm_reco_hit *out)
{
	size_t i, k = 0;

	for (i = 0; i < m->n && k < n; i++) {
		if (m->mark[m->popord[i]] == stamp)
			continue;
		out[k].item = m->popord[i];
		out[k++].score = (double)m->count[m->popord[i]] / (double)m->m;
	}
	return k;
}

size_t
crm_reco_for_customer(struct crm_reco *m, long c, size_t n,
    struct crm_reco_hit *out, int *is_popular)
{
	uint32_t stamp = new_stamp(m), j, end;
	size_t i, r;
	const float *row;

	*is_popular = c < 0 || m->hptr[c] == m->hptr[c + 1];
	if (*is_popular)
		return popular(m, stamp, n, out);
	j = m->hptr[c];
	end = m->hptr[c + 1];
	if (m->algo == CRM_RECO_ALS) {
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m->n, (int)m->k,
		    1, m->mat, (int)m->k, m->mat + (m->n + (size_t)c) * m->k, 1,
		    0, m->score, 1);
	} else {
		memset(m->score, 0, m->n * sizeof(*m->score));
	}
	for (; j < end; j++) {
		i = m->hidx[j];
		m->mark[i] = stamp;
		if (m->algo == CRM_RECO_EASE) {
			cblas_saxpy((int)m->n, m->hval[j], m->mat + i * m->n, 1,
			    m->score, 1);
		} else if (m->algo == CRM_RECO_KNN) {
			row = m->mat + i * m->k;
			for (r = 0; r < m->k; r++) {
				if (m->nbr[i * m->k + r] == RECO_NONE)
					break;
				m->score[m->nbr[i * m->k + r]] +=
				    m->hval[j] * row[r];
			}
		}
	}
	return top_n(m, stamp, n, out);
}

size_t
crm_reco_for_item(struct crm_reco *m, long it, size_t n,
    struct crm_reco_hit *out, int *is_popular)
{
	uint32_t stamp = new_stamp(m);
	size_t i = (size_t)it, j, k = 0;
	const float *y;
	double norm;

	*is_popular = it < 0;
	if (*is_popular)
		return popular(m, stamp, n, out);
	m->mark[i] = stamp;
	switch (m->algo) {
	case CRM_RECO_EASE:
		memcpy(m->score, m->mat + i * m->n, m->n * sizeof(*m->score));
		break;
	case CRM_RECO_KNN: /* the list is in order already */
		for (j = 0; j < m->k && k < n; j++) {
			if (m->nbr[i * m->k + j] == RECO_NONE)
				break;
			out[k].item = m->nbr[i * m->k + j];
			out[k++].score = m->mat[i * m->k + j];
		}
		return k;
	case CRM_RECO_ALS:
		y = m->mat;
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m->n, (int)m->k,
		    1, y, (int)m->k, y + i * m->k, 1, 0, m->score, 1);
		norm = cblas_snrm2((int)m->k, y + i * m->k, 1);
		for (j = 0; j < m->n; j++) {
			double d =
			    norm * cblas_snrm2((int)m->k, y + j * m->k, 1);

			m->score[j] = d > 0 ? (float)(m->score[j] / d) : 0;
		}
		break;
	}
	return top_n(m, stamp, n, out);
}

/* ==== Evaluation ==== */

/* An interaction in evaluation order: customer, time, item id rank. */
struct timed {
	uint32_t cust, rank;
	double time;
	size_t i;
};

static int
by_cust_time(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->cust != y->cust)
		return x->cust < y->cust ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* An item id to sort. */
struct named {
	const char *s;
	size_t len;
	uint32_t id;
};

static int
by_name(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	return crm_id_cmp(x->s, x->len, y->s, y->len);
}

uint32_t *
reco_id_ranks(const struct crm_strmap *s)
{
	size_t i, n = crm_strmap_count(s);
	struct named *v;
	uint32_t *rank;

	v = crm_reallocarray(NULL, n + 1, sizeof(*v));
	rank = crm_reallocarray(NULL, n + 1, sizeof(*rank));
	if (v == NULL || rank == NULL) {
		free(v);
		free(rank);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v[i].s = crm_strmap_name(s, i, &v[i].len);
		v[i].id = (uint32_t)i;
	}
	qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n; i++)
		rank[v[i].id] = (uint32_t)i;
	free(v);
	return rank;
}

int
crm_reco_eval(const struct crm_reco_data *d, double frac, size_t k,
    const struct crm_reco_params *p, struct crm_rankmetrics *out,
    struct crm_reco **model, struct crm_err *e)
{
	struct crm_reco *m = NULL;
	struct crm_reco_hit *hits = NULL;
	unsigned char *skip = NULL;
	uint32_t *rank = NULL, *seen = NULL, *rel = NULL, stamp;
	struct timed *ord = NULL;
	size_t *recs = NULL;
	int *hit = NULL, pop, rc = -1;
	size_t i, j, run, cnt, t, nrel, nrec, r;
	const char *name;
	size_t len;
	long c, mi;

	memset(out, 0, sizeof(*out));
	if (model != NULL)
		*model = NULL;
	if (d->n == 0)
		return crm_err_set(e, EX_NOINPUT, "no interactions");
	ord = crm_reallocarray(NULL, d->n, sizeof(*ord));
	skip = calloc(d->n, 1);
	rank = reco_id_ranks(d->items);
	seen = calloc(crm_strmap_count(d->items) + 1, sizeof(*seen));
	hits = crm_reallocarray(NULL, k + 1, sizeof(*hits));
	recs = crm_reallocarray(NULL, k + 1, sizeof(*recs));
	hit = crm_reallocarray(NULL, k + 1, sizeof(*hit));
	if (ord == NULL || skip == NULL || rank == NULL || seen == NULL ||
	    hits == NULL || recs == NULL || hit == NULL)
		goto nomem;
	for (i = 0; i < d->n; i++) {
		ord[i].cust = d->cust[i];
		ord[i].rank = rank[d->item[i]];
		ord[i].time = d->time[i];
		ord[i].i = i;
	}
	qsort(ord, d->n, sizeof(*ord), by_cust_time);
	for (run = 0; run < d->n; run += cnt) {
		for (cnt = 1;
		     run + cnt < d->n && ord[run + cnt].cust == ord[run].cust;
		     cnt++)
			;
		t = (size_t)floor((double)cnt * frac);
		if (t < 1)
			t = 1;
		for (j = cnt - t; j < cnt; j++)
			skip[ord[run + j].i] = 1;
	}
	if ((m = reco_new()) == NULL)
		goto nomem;
	if (reco_fit_into(m, d, skip, p, e) == -1)
		goto out;
	if (scratch(m) == -1 || (rel = calloc(m->n + 1, sizeof(*rel))) == NULL)
		goto nomem;
	if (crm_rank_init(out, k, m->n) == -1)
		goto nomem;
	stamp = 0;
	for (run = 0; run < d->n; run += cnt) {
		for (cnt = 1;
		     run + cnt < d->n && ord[run + cnt].cust == ord[run].cust;
		     cnt++)
			;
		stamp++;
		/* seen: the customer's kept items; rel: relevant ones */
		for (j = 0; j < cnt; j++)
			if (!skip[ord[run + j].i])
				seen[d->item[ord[run + j].i]] = stamp;
		for (j = 0, nrel = 0; j < cnt; j++) {
			size_t x = ord[run + j].i, it = d->item[x];

			if (!skip[x] || seen[it] == stamp)
				continue;
			seen[it] = stamp; /* counted once */
			nrel++;
			name = crm_strmap_name(d->items, it, &len);
			if ((mi = crm_reco_item(m, name, len)) >= 0)
				rel[mi] = stamp;
		}
		if (nrel == 0)
			continue;
		name = crm_strmap_name(d->custs, ord[run].cust, &len);
		c = crm_reco_customer(m, name, len);
		nrec = crm_reco_for_customer(m, c, k, hits, &pop);
		for (r = 0; r < nrec; r++) {
			recs[r] = hits[r].item;
			hit[r] = rel[hits[r].item] == stamp;
		}
		crm_rank_add(out, recs, hit, nrec, nrel);
	}
	crm_rank_finish(out);
	if (model != NULL) {
		*model = m;
		m = NULL;
	}
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	if (rc == -1)
		crm_rank_release(out);
	crm_reco_free(m);
	free(ord);
	free(skip);
	free(rank);
	free(seen);
	free(rel);
	free(hits);
	free(recs);
	free(hit);
	return rc;
}
