/*
 * reco_fit: the model's tables from the interactions, and the three
 * algorithms of recommend.h: EASE (a regularized inverse of the Gram
 * matrix by LAPACKE's Cholesky routines), item-kNN (cosine over sparse
 * co-occurrence counts) and implicit ALS (normal equations by OpenBLAS
 * and LAPACKE).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cblas.h>
#include <lapacke.h>

#include "blas.h"
#include "reco_int.h"

/* Step done of total of phase, counted in unit. */
static void
progress(const struct crm_reco_params *p, const char *phase, const char *unit,
    size_t done, size_t total)
{
	crm_progress_tell(&p->progress, phase, unit, done, total);
}

/* ==== Tables ==== */

/* A history entry while the rows are built. */
struct entry {
	uint32_t item;
	float w;
};

static int
by_item(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->item > y->item) - (x->item < y->item);
}

/*
 * Number the strings of s that have a count in id order: map[i] is the
 * new index of string i (or RECO_NONE), and each kept string goes into
 * out.  Returns how many were kept, or -1 when out of memory.
 */
static long
number(const struct crm_strmap *s, const size_t *count, uint32_t *map,
    struct crm_strmap *out)
{
	size_t i, n = crm_strmap_count(s), kept = 0, len;
	uint32_t *rank, *byrank;
	const char *name;

	if ((rank = reco_id_ranks(s)) == NULL)
		return -1;
	if ((byrank = crm_reallocarray(NULL, n + 1, sizeof(*byrank))) == NULL) {
		free(rank);
		return -1;
	}
	for (i = 0; i < n; i++)
		byrank[rank[i]] = (uint32_t)i;
	for (i = 0; i < n; i++) {
		uint32_t id = byrank[i];

		map[id] = RECO_NONE;
		if (count[id] == 0)
			continue;
		name = crm_strmap_name(s, id, &len);
		if (crm_strmap_put(out, name, len) < 0) {
			free(rank);
			free(byrank);
			return -1;
		}
		map[id] = (uint32_t)kept++;
	}
	free(rank);
	free(byrank);
	return (long)kept;
}

/*
 * Items, customers, counts and histories of m from the interactions of
 * d not in skip; 0, or -1 with e filled.
 */
static int
build(struct crm_reco *m, const struct crm_reco_data *d,
    const unsigned char *skip, struct crm_err *e)
{
	size_t ni = crm_strmap_count(d->items), nc = crm_strmap_count(d->custs);
	size_t *icount, *ccount, i, j, r, at, nint = 0;
	uint32_t *imap, *cmap, *fill = NULL;
	struct entry *ent = NULL;
	long kept;
	int rc = -1;

	icount = calloc(ni + 1, sizeof(*icount));
	ccount = calloc(nc + 1, sizeof(*ccount));
	imap = calloc(ni + 1, sizeof(*imap));
	cmap = calloc(nc + 1, sizeof(*cmap));
	if (icount == NULL || ccount == NULL || imap == NULL || cmap == NULL)
		goto nomem;
	for (i = 0; i < d->n; i++)
		if (skip == NULL || !skip[i]) {
			icount[d->item[i]]++;
			ccount[d->cust[i]]++;
			nint++;
		}
	if (nint == 0) {
		crm_err_set(e, EX_NOINPUT, "no interactions to learn from");
		goto out;
	}
	if (nint >= RECO_NONE) { /* the rows are indexed by 32 bits */
		crm_err_set(e, EX_DATAERR, "more than %lu interactions",
		    (unsigned long)RECO_NONE - 1);
		goto out;
	}
	if ((kept = number(d->items, icount, imap, m->items)) < 0)
		goto nomem;
	m->n = (size_t)kept;
	if ((kept = number(d->custs, ccount, cmap, m->custs)) < 0)
		goto nomem;
	m->m = (size_t)kept;
	m->hptr = calloc(m->m + 1, sizeof(*m->hptr));
	fill = calloc(m->m + 1, sizeof(*fill));
	ent = crm_reallocarray(NULL, nint, sizeof(*ent));
	m->count = calloc(m->n, sizeof(*m->count));
	if (m->hptr == NULL || fill == NULL || ent == NULL || m->count == NULL)
		goto nomem;
	/* rows by customer, then each row by item with repeats merged */
	for (i = 0; i < nc; i++)
		if (cmap[i] != RECO_NONE)
			m->hptr[cmap[i] + 1] = (uint32_t)ccount[i];
	for (i = 0; i < m->m; i++)
		m->hptr[i + 1] += m->hptr[i];
	for (i = 0; i < d->n; i++) {
		if (skip != NULL && skip[i])
			continue;
		r = cmap[d->cust[i]];
		at = m->hptr[r] + fill[r]++;
		ent[at].item = imap[d->item[i]];
		ent[at].w = d->weight[i];
	}
	for (r = 0, at = 0; r < m->m; r++) {
		size_t start = m->hptr[r], end = m->hptr[r + 1];

		qsort(ent + start, end - start, sizeof(*ent), by_item);
		m->hptr[r] = (uint32_t)at;
		for (j = start; j < end; j++) {
			if (j > start && ent[j].item == ent[at - 1].item) {
				if (m->weighted)
					ent[at - 1].w += ent[j].w;
				continue;
			}
			ent[at++] = ent[j];
		}
	}
	m->hptr[m->m] = (uint32_t)at;
	m->nnz = at;
	m->hidx = crm_reallocarray(NULL, at + 1, sizeof(*m->hidx));
	m->hval = crm_reallocarray(NULL, at + 1, sizeof(*m->hval));
	if (m->hidx == NULL || m->hval == NULL)
		goto nomem;
	for (j = 0; j < at; j++) {
		m->hidx[j] = ent[j].item;
		m->hval[j] = m->weighted ? ent[j].w : 1;
		m->count[ent[j].item]++;
	}
	if (reco_pop_order(m) == -1)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(icount);
	free(ccount);
	free(imap);
	free(cmap);
	free(fill);
	free(ent);
	return rc;
}

/*
 * The columns of the history: item i's customers are cidx[cptr[i] ..
 * cptr[i + 1]) with values cval.  0 or -1 (ENOMEM); the caller frees.
 */
static int
columns(
    const struct crm_reco *m, uint32_t **cptr, uint32_t **cidx, float **cval)
{
	uint32_t *fill;
	size_t c, j, at;

	*cptr = calloc(m->n + 1, sizeof(**cptr));
	*cidx = crm_reallocarray(NULL, m->nnz + 1, sizeof(**cidx));
	*cval = crm_reallocarray(NULL, m->nnz + 1, sizeof(**cval));
	fill = calloc(m->n + 1, sizeof(*fill));
	if (*cptr == NULL || *cidx == NULL || *cval == NULL || fill == NULL) {
		free(fill);
		return -1;
	}
	for (j = 0; j < m->n; j++)
		(*cptr)[j + 1] = (*cptr)[j] + m->count[j];
	for (c = 0; c < m->m; c++)
		for (j = m->hptr[c]; j < m->hptr[c + 1]; j++) {
			at = (*cptr)[m->hidx[j]] + fill[m->hidx[j]]++;
			(*cidx)[at] = (uint32_t)c;
			(*cval)[at] = m->hval[j];
		}
	free(fill);
	return 0;
}

/* ==== EASE ==== */

/*
 * B = I - P diag(1 / diag(P)) with P = (X'X + lambda I)^-1, then a zero
 * diagonal: B_ij = -P_ij / P_jj.  Everything happens in the one n x n
 * matrix of floats: the Gram matrix's lower triangle is summed from the
 * sparse rows (a customer with d items adds d (d + 1) / 2 products, far
 * fewer than a dense product computes for sparse data: 0.1 s against
 * 0.5 s for cblas_ssyrk on the MovieLens benchmark's 8,246 items), then
 * spotrf and spotri turn it into P's lower triangle, which is mirrored
 * and scaled column by column.  Stored column-major, the lower triangle
 * is the upper triangle of the row-major view that scoring reads.
 */
static int
fit_ease(struct crm_reco *m, struct crm_err *e)
{
	size_t n = m->n, c, a, b, i, j, ib, jb;
	const size_t T = 64; /* tile of the mirror copy */
	float *g, *col, *dg = NULL;
	lapack_int info;

	m->k = 0;
	if (reco_big_alloc(m) == -1) /* the caller falls back to knn */
		return crm_err_set(e, EX_SOFTWARE,
		    "out of memory for ease's %zu x %zu matrix", n, n);
	g = m->mat;
	for (c = 0; c < m->m; c++) {
		if (c % 256 == 0)
			progress(
			    &m->p, "ease: Gram matrix", "customers", c, m->m);
		for (a = m->hptr[c]; a < m->hptr[c + 1]; a++) {
			float va = m->hval[a];

			col = g + (size_t)m->hidx[a] * n;
			for (b = a; b < m->hptr[c + 1]; b++)
				col[m->hidx[b]] += va * m->hval[b];
		}
	}
	for (i = 0; i < n; i++)
		g[i * n + i] += (float)m->p.lambda;
	/*
	 * spotrf would wait forever for a work buffer that does not fit: a
	 * model without one is kNN's, as when the matrix does not fit.
	 */
	if (crm_blas_room("ease", 1, e) == -1) {
		memcpy(m->why, e->msg, sizeof(m->why)); /* as long as msg */
		m->mat = NULL;
		return -1;
	}
	progress(&m->p, "ease: Cholesky factorization", "steps", 1, 3);
	info = LAPACKE_spotrf(
	    LAPACK_COL_MAJOR, 'L', (lapack_int)n, g, (lapack_int)n);
	if (info == 0) {
		progress(&m->p, "ease: inverse", "steps", 2, 3);
		info = LAPACKE_spotri(
		    LAPACK_COL_MAJOR, 'L', (lapack_int)n, g, (lapack_int)n);
	}
	if (info != 0)
		return crm_err_set(e, EX_SOFTWARE,
		    "ease: LAPACK spotrf/spotri failed (info %d); try a larger "
		    "--lambda",
		    (int)info);
	if ((dg = crm_reallocarray(NULL, n, sizeof(*dg))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	progress(&m->p, "ease: B from the inverse", "steps", 3, 3);
	/* row-major view: P_ij for j >= i is g[i * n + j]; fill j < i */
	for (ib = 0; ib < n; ib += T)
		for (jb = 0; jb <= ib; jb += T)
			for (i = ib; i < ib + T && i < n; i++)
				for (j = jb; j < jb + T && j < i; j++)
					g[i * n + j] = g[j * n + i];
	for (j = 0; j < n; j++)
		dg[j] = -1 / g[j * n + j];
	for (i = 0; i < n; i++) {
		float *row = g + i * n;

		for (j = 0; j < n; j++)
			row[j] *= dg[j];
		row[i] = 0;
	}
	free(dg);
	return 0;
}

/* ==== Item-kNN ==== */

/*
 * For each item i, the K items j with the largest cosine x_i . x_j /
 * (|x_i| |x_j|) over the customer columns.  Co-occurrences are summed
 * through i's customers' rows, so the cost is the sum over customers of
 * their items squared, and the memory n K slots plus O(n) scratch.
 */
static int
fit_knn(struct crm_reco *m, struct crm_err *e)
{
	size_t n = m->n, kk, i, j, u, t, nt, nh;
	uint32_t *cptr = NULL, *cidx = NULL, *touched = NULL, *seen = NULL;
	float *cval = NULL, *acc = NULL, *norm = NULL;
	struct crm_reco_hit *h = NULL, x;
	int rc = -1;

	kk = m->p.neighbours < n - 1 ? m->p.neighbours : n - 1;
	m->k = kk > 0 ? kk : 1;
	if (reco_big_alloc(m) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < n * m->k; i++)
		m->nbr[i] = RECO_NONE;
	acc = calloc(n, sizeof(*acc));
	norm = calloc(n, sizeof(*norm));
	touched = crm_reallocarray(NULL, n, sizeof(*touched));
	seen = calloc(n, sizeof(*seen));
	h = crm_reallocarray(NULL, m->k + 1, sizeof(*h));
	if (acc == NULL || norm == NULL || touched == NULL || seen == NULL ||
	    h == NULL || columns(m, &cptr, &cidx, &cval) == -1)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (i % 64 == 0)
			progress(&m->p, "knn: similarities", "items", i, n);
		double s = 0;

		for (j = cptr[i]; j < cptr[i + 1]; j++)
			s += (double)cval[j] * cval[j];
		norm[i] = (float)sqrt(s);
	}
	for (i = 0; i < n; i++) {
		nt = 0;
		for (j = cptr[i]; j < cptr[i + 1]; j++) {
			u = cidx[j];
			for (t = m->hptr[u]; t < m->hptr[u + 1]; t++) {
				uint32_t o = m->hidx[t];

				if (seen[o] != i + 1) {
					seen[o] = (uint32_t)(i + 1);
					touched[nt++] = o;
				}
				acc[o] += cval[j] * m->hval[t];
			}
		}
		nh = 0;
		for (t = 0; t < nt; t++) {
			x.item = touched[t];
			x.score = acc[x.item] / (norm[i] * norm[x.item]);
			acc[x.item] = 0;
			if (x.item != i)
				reco_heap_offer(h, &nh, kk, &x, NULL);
		}
		reco_heap_sort(h, nh, NULL);
		for (t = 0; t < nh; t++) {
			m->nbr[i * m->k + t] = (uint32_t)h[t].item;
			m->mat[i * m->k + t] = (float)h[t].score;
		}
	}
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(cptr);
	free(cidx);
	free(cval);
	free(acc);
	free(norm);
	free(touched);
	free(seen);
	free(h);
	return rc;
}

/* ==== Implicit ALS ==== */

/* splitmix64: a small, portable generator for the initial factors. */
static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Scratch of one half-sweep. */
struct als {
	size_t f;
	double reg, alpha;
	float *yty; /* f x f: Y'Y of the fixed side */
	float *a;   /* f x f: one row's system */
	float *g;   /* most entries of a row x f: sqrt(alpha w) y_j */
};

/*
 * Solve every row r of x (rows of f floats) for fixed y: (Y'Y + Y' (C_r
 * - I) Y + reg I) x_r = Y' C_r p_r with C_r = diag(1 + alpha w) over the
 * row's entries (j, w) = (idx[k], val[k]) for k in [ptr[r], ptr[r + 1]).
 * 0, or -1 with e filled.
 */
static int
als_half(struct als *s, float *x, size_t rows, const float *y, size_t ny,
    const uint32_t *ptr, const uint32_t *idx, const float *val,
    struct crm_err *e)
{
	size_t f = s->f, r, k, q, d;
	float *xr;
	lapack_int info;

	cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, (int)f, (int)ny, 1,
	    y, (int)f, 0, s->yty, (int)f);
	for (r = 0; r < rows; r++) {
		xr = x + r * f;
		d = ptr[r + 1] - ptr[r];
		memcpy(s->a, s->yty, f * f * sizeof(*s->a));
		for (q = 0; q < f; q++)
			s->a[q * f + q] += (float)s->reg;
		memset(xr, 0, f * sizeof(*xr));
		for (k = 0; k < d; k++) {
			const float *yj = y + (size_t)idx[ptr[r] + k] * f;
			float w = val[ptr[r] + k];
			float sq = (float)sqrt(s->alpha * w);

			for (q = 0; q < f; q++)
				s->g[k * f + q] = sq * yj[q];
			cblas_saxpy(
			    (int)f, (float)(1 + s->alpha * w), yj, 1, xr, 1);
		}
		if (d > 0)
			cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans,
			    (int)f, (int)d, 1, s->g, (int)f, 1, s->a, (int)f);
		/* the row-major lower triangle is the column-major upper */
		info = LAPACKE_sposv(LAPACK_COL_MAJOR, 'U', (lapack_int)f, 1,
		    s->a, (lapack_int)f, xr, (lapack_int)f);
		if (info != 0)
			return crm_err_set(e, EX_SOFTWARE,
			    "als: LAPACK sposv failed (info %d); try a larger "
			    "--reg",
			    (int)info);
	}
	return 0;
}

static int
fit_als(struct crm_reco *m, struct crm_err *e)
{
	size_t f = m->p.factors, i, it, most = 0;
	uint32_t *cptr = NULL, *cidx = NULL;
	float *cval = NULL, *y, *u;
	uint64_t seed = m->p.seed;
	struct als s;
	int rc = -1;

	m->k = f;
	memset(&s, 0, sizeof(s));
	s.f = f;
	s.reg = m->p.reg;
	s.alpha = m->p.alpha;
	if (reco_big_alloc(m) == -1 || columns(m, &cptr, &cidx, &cval) == -1)
		goto nomem;
	y = m->mat;
	u = m->mat + m->n * f;
	for (i = 0; i < m->n; i++)
		if (m->count[i] > most)
			most = m->count[i];
	for (i = 0; i < m->m; i++)
		if (m->hptr[i + 1] - m->hptr[i] > most)
			most = m->hptr[i + 1] - m->hptr[i];
	s.yty = crm_reallocarray(NULL, f * f, sizeof(float));
	s.a = crm_reallocarray(NULL, f * f, sizeof(float));
	s.g = crm_reallocarray(NULL, most * f + 1, sizeof(float));
	if (s.yty == NULL || s.a == NULL || s.g == NULL)
		goto nomem;
	if (crm_blas_room("als", 1, e) == -1) /* no fallback: ALS is BLAS */
		goto out;
	/* small uniform factors; the customers' are solved first */
	for (i = 0; i < m->n * f; i++)
		y[i] =
		    (float)((double)(splitmix(&seed) >> 11) * 0x1p-53 - 0.5) *
		    0.1f;
	for (it = 0; it < m->p.iterations; it++) {
		progress(&m->p, "als", "sweeps", it, m->p.iterations);
		if (als_half(&s, u, m->m, y, m->n, m->hptr, m->hidx, m->hval,
			e) == -1 ||
		    als_half(&s, y, m->n, u, m->m, cptr, cidx, cval, e) == -1)
			goto out;
	}
	progress(&m->p, "als", "sweeps", it, m->p.iterations);
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(cptr);
	free(cidx);
	free(cval);
	free(s.yty);
	free(s.a);
	free(s.g);
	return rc;
}

/* ==== Fitting ==== */

/* Bytes of physical memory, or infinity when the system does not say. */
static double
physical_memory(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages > 0 && size > 0)
		return (double)pages * (double)size;
#endif
	return HUGE_VAL;
}

int
reco_fit_into(struct crm_reco *m, const struct crm_reco_data *d,
    const unsigned char *skip, const struct crm_reco_params *p,
    struct crm_err *e)
{
	m->p = *p;
	m->asked = m->algo = p->algo;
	m->weighted = d->weighted;
	if (build(m, d, skip, e) == -1)
		return -1;
	if (m->algo == CRM_RECO_EASE &&
	    (m->n > p->dense_limit ||
		4.0 * (double)m->n * (double)m->n > physical_memory() / 2))
		m->algo = CRM_RECO_KNN;
	switch (m->algo) {
	case CRM_RECO_EASE:
		if (fit_ease(m, e) == 0)
			return 0;
		if (m->mat != NULL) /* it failed, not for want of memory */
			return -1;
		m->algo = CRM_RECO_KNN;
		return fit_knn(m, e);
	case CRM_RECO_KNN:
		return fit_knn(m, e);
	default:
		return fit_als(m, e);
	}
}
