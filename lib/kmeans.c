/*
 * kmeans: k-means as in kmeans.h.  The seeding is greedy k-means++
 * (Arthur and Vassilvitskii 2007; each new centre is the best of 2 +
 * ln k candidates drawn with probability proportional to the squared
 * distance, as scikit-learn does), followed by Lloyd iterations that
 * stop when no point changes cluster, when the centres move less than
 * the tolerance, or after max_iter.  An empty cluster takes the point
 * farthest from its centre.  Distances are computed for blocks of rows
 * at a time with one cblas_dgemm each, so the working memory beyond the
 * points is O(n + BLOCK * k).
 *
 * Written here rather than taken from a library because no Debian C
 * library offers k-means++ with restarts on top of BLAS; OpenBLAS does
 * the arithmetic that matters.
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "kmeans.h"

#define BLOCK 4096 /* rows per matrix product */

/* ==== Random numbers: xoshiro256** seeded by splitmix64 ==== */

struct rng {
	uint64_t s[4];
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_seed(struct rng *g, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		g->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct rng *g)
{
	uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* A double in [0, 1). */
static double
rng_unif(struct rng *g)
{
	return (double)(rng_next(g) >> 11) * 0x1.0p-53;
}

/* An integer in [0, n). */
static size_t
rng_below(struct rng *g, size_t n)
{
	size_t i = (size_t)(rng_unif(g) * (double)n);

	return i < n ? i : n - 1;
}

/* ==== Distances ==== */

static void
sqnorms(const double *x, size_t n, size_t d, double *out)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		double s = 0;

		for (j = 0; j < d; j++)
			s += x[i * d + j] * x[i * d + j];
		out[i] = s;
	}
}

/*
 * out[i * c + j] = |x_i - y_j|^2 for the r rows x (norms xx) and the c
 * rows y (norms yy), by one matrix product.
 */
static void
dist2(const double *x, const double *xx, size_t r, const double *y,
    const double *yy, size_t c, size_t d, double *out)
{
	size_t i, j;

	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r, (int)c,
	    (int)d, -2.0, x, (int)d, y, (int)d, 0.0, out, (int)c);
	for (i = 0; i < r; i++)
		for (j = 0; j < c; j++) {
			double v = out[i * c + j] + xx[i] + yy[j];

			out[i * c + j] = v > 0 ? v : 0;
		}
}

/* ==== k-means ==== */

void
crm_kmeans_defaults(struct crm_kmeans_params *p, size_t k)
{
	p->k = k;
	p->seed = 1;
	p->restarts = 10;
	p->max_iter = 300;
	p->tol = 1e-4;
}

struct work {
	const double *x, *xx; /* points and their squared norms */
	size_t n, d, k;
	double *cc;	 /* k: squared norms of the centres */
	double *block;	 /* BLOCK * max(k, trials) */
	double *closest; /* n: seeding distances; cumulative sums */
	double *cum;	 /* n */
	double *sums;	 /* k * d */
	size_t *count;	 /* k */
	double *old;	 /* k * d */
	double *cand;	 /* 64 * d: seeding candidates */
};

/* Label every point with its nearest centre; return 1 if any changed. */
static int
assign(struct work *w, const double *centers, int *label, double *d2)
{
	size_t i0, i, j, r, k = w->k;
	int changed = 0;

	sqnorms(centers, k, w->d, w->cc);
	for (i0 = 0; i0 < w->n; i0 += BLOCK) {
		r = w->n - i0 < BLOCK ? w->n - i0 : BLOCK;
		dist2(w->x + i0 * w->d, w->xx + i0, r, centers, w->cc, k, w->d,
		    w->block);
		for (i = 0; i < r; i++) {
			const double *row = w->block + i * k;
			size_t best = 0;

			for (j = 1; j < k; j++)
				if (row[j] < row[best])
					best = j;
			if (label[i0 + i] != (int)best)
				changed = 1;
			label[i0 + i] = (int)best;
			d2[i0 + i] = row[best];
		}
	}
	return changed;
}

/* The means of the clusters into centers; an empty one is moved. */
static void
update(struct work *w, double *centers, const int *label, double *d2)
{
	size_t i, j, c, d = w->d, k = w->k;

	memset(w->sums, 0, k * d * sizeof(*w->sums));
	memset(w->count, 0, k * sizeof(*w->count));
	for (i = 0; i < w->n; i++) {
		c = (size_t)label[i];
		w->count[c]++;
		for (j = 0; j < d; j++)
			w->sums[c * d + j] += w->x[i * d + j];
	}
	for (c = 0; c < k; c++) {
		size_t far = 0;

		if (w->count[c] > 0)
			continue;
		for (i = 1; i < w->n; i++)
			if (d2[i] > d2[far])
				far = i;
		if (w->count[label[far]] <= 1)
			continue; /* cannot happen with k distinct points */
		w->count[label[far]]--;
		for (j = 0; j < d; j++) {
			w->sums[(size_t)label[far] * d + j] -=
			    w->x[far * d + j];
			w->sums[c * d + j] = w->x[far * d + j];
		}
		w->count[c] = 1;
		d2[far] = -1; /* not taken twice */
	}
	for (c = 0; c < k; c++)
		for (j = 0; j < d; j++)
			centers[c * d + j] =
			    w->sums[c * d + j] / (double)w->count[c];
}

/* Greedy k-means++: k centres drawn from the points into centers. */
static void
seed_centers(struct work *w, struct rng *g, double *centers)
{
	size_t n = w->n, d = w->d, k = w->k, i0, i, r, t, c, best;
	size_t trials = 2 + (size_t)log((double)k), cand[64];
	double pot, newpot[64], cy[64], *cd = w->cand;

	if (trials > 64)
		trials = 64;
	i = rng_below(g, n);
	memcpy(centers, w->x + i * d, d * sizeof(*centers));
	pot = 0;
	for (i0 = 0; i0 < n; i0 += BLOCK) {
		r = n - i0 < BLOCK ? n - i0 : BLOCK;
		dist2(w->x + i0 * d, w->xx + i0, r, centers, w->xx + i, 1, d,
		    w->closest + i0);
	}
	for (i = 0; i < n; i++) {
		pot += w->closest[i];
		w->cum[i] = pot;
	}
	for (c = 1; c < k; c++) {
		for (t = 0; t < trials; t++) {
			double v = rng_unif(g) * pot;
			size_t lo = 0, hi = n; /* first cum[i] >= v */

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (w->cum[mid] < v)
					lo = mid + 1;
				else
					hi = mid;
			}
			cand[t] = lo < n ? lo : n - 1;
			memcpy(cd + t * d, w->x + cand[t] * d, d * sizeof(*cd));
			cy[t] = w->xx[cand[t]];
			newpot[t] = 0;
		}
		for (i0 = 0; i0 < n; i0 += BLOCK) {
			r = n - i0 < BLOCK ? n - i0 : BLOCK;
			dist2(w->x + i0 * d, w->xx + i0, r, cd, cy, trials, d,
			    w->block);
			for (i = 0; i < r; i++)
				for (t = 0; t < trials; t++) {
					double v = w->block[i * trials + t];
					double o = w->closest[i0 + i];

					newpot[t] += v < o ? v : o;
				}
		}
		for (best = 0, t = 1; t < trials; t++)
			if (newpot[t] < newpot[best])
				best = t;
		memcpy(centers + c * d, cd + best * d, d * sizeof(*cd));
		for (i0 = 0; i0 < n; i0 += BLOCK) {
			r = n - i0 < BLOCK ? n - i0 : BLOCK;
			dist2(w->x + i0 * d, w->xx + i0, r, cd + best * d,
			    cy + best, 1, d, w->block);
			for (i = 0; i < r; i++)
				if (w->block[i] < w->closest[i0 + i])
					w->closest[i0 + i] = w->block[i];
		}
		for (pot = 0, i = 0; i < n; i++) {
			pot += w->closest[i];
			w->cum[i] = pot;
		}
	}
}

/* One run from new seeds: centers, label, d2, returns the inertia. */
static double
run(struct work *w, const struct crm_kmeans_params *p, struct rng *g,
    double *centers, int *label, double *d2, int *iterations)
{
	size_t i, kd = w->k * w->d;
	double shift, inertia = 0;
	int it, strict = 0;

	seed_centers(w, g, centers);
	for (i = 0; i < w->n; i++)
		label[i] = -1;
	for (it = 0; it < p->max_iter; it++) {
		if (!assign(w, centers, label, d2) && it > 0) {
			strict = 1;
			break;
		}
		memcpy(w->old, centers, kd * sizeof(*centers));
		update(w, centers, label, d2);
		for (shift = 0, i = 0; i < kd; i++)
			shift +=
			    (centers[i] - w->old[i]) * (centers[i] - w->old[i]);
		if (shift <= p->tol) {
			it++;
			break;
		}
	}
	if (!strict)
		assign(w, centers, label, d2);
	for (i = 0; i < w->n; i++)
		inertia += d2[i];
	*iterations = it;
	return inertia;
}

static int sort_d; /* the row length for cmp_rows (qsort has no context) */

static int
cmp_rows(const void *a, const void *b)
{
	const double *x = *(const double *const *)a;
	const double *y = *(const double *const *)b;
	int j;

	for (j = 0; j < sort_d; j++)
		if (x[j] != y[j])
			return x[j] < y[j] ? -1 : 1;
	return 0;
}

long
crm_kmeans_distinct(const double *x, size_t n, size_t d)
{
	const double **row;
	size_t i;
	long m = n > 0;

	if (n == 0)
		return 0;
	if ((row = crm_reallocarray(NULL, n, sizeof(*row))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		row[i] = x + i * d;
	sort_d = (int)d;
	qsort(row, n, sizeof(*row), cmp_rows);
	for (i = 1; i < n; i++)
		if (cmp_rows(&row[i - 1], &row[i]) != 0)
			m++;
	free(row);
	return m;
}

int
crm_kmeans(const double *x, size_t n, size_t d,
    const struct crm_kmeans_params *p, struct crm_kmeans_result *r,
    struct crm_err *e)
{
	struct work w;
	struct rng g;
	double *centers = NULL, *d2 = NULL, inertia;
	int *label = NULL, iters, rs, rc = -1;
	size_t kk = p->k > 64 ? p->k : 64;
	long distinct;

	if ((distinct = crm_kmeans_distinct(x, n, d)) < 0)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (p->k < 1 || (size_t)distinct < p->k)
		return crm_err_set(e, EX_DATAERR,
		    "%zu clusters asked for, but the data has %ld distinct "
		    "point%s",
		    p->k, distinct, distinct == 1 ? "" : "s");
	memset(&w, 0, sizeof(w));
	w.x = x;
	w.n = n;
	w.d = d;
	w.k = p->k;
	if ((w.xx = crm_reallocarray(NULL, n, sizeof(double))) == NULL ||
	    (w.cc = crm_reallocarray(NULL, p->k, sizeof(double))) == NULL ||
	    (w.block = crm_reallocarray(
		 NULL, (size_t)BLOCK * kk, sizeof(double))) == NULL ||
	    (w.closest = crm_reallocarray(NULL, n, sizeof(double))) == NULL ||
	    (w.cum = crm_reallocarray(NULL, n, sizeof(double))) == NULL ||
	    (w.sums = crm_reallocarray(NULL, p->k * d, sizeof(double))) ==
		NULL ||
	    (w.count = crm_reallocarray(NULL, p->k, sizeof(size_t))) == NULL ||
	    (w.old = crm_reallocarray(NULL, p->k * d, sizeof(double))) ==
		NULL ||
	    (w.cand = crm_reallocarray(NULL, 64 * d, sizeof(double))) == NULL ||
	    (centers = crm_reallocarray(NULL, p->k * d, sizeof(double))) ==
		NULL ||
	    (label = crm_reallocarray(NULL, n, sizeof(int))) == NULL ||
	    (d2 = crm_reallocarray(NULL, n, sizeof(double))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto out;
	}
	sqnorms(x, n, d, (double *)w.xx);
	rng_seed(&g, p->seed);
	r->inertia = INFINITY;
	for (rs = 0; rs < (p->restarts > 0 ? p->restarts : 1); rs++) {
		inertia = run(&w, p, &g, centers, label, d2, &iters);
		if (inertia < r->inertia) {
			r->inertia = inertia;
			r->iterations = iters;
			memcpy(r->centers, centers, p->k * d * sizeof(double));
			memcpy(r->label, label, n * sizeof(int));
			memcpy(r->dist2, d2, n * sizeof(double));
		}
	}
	rc = 0;
out:
	free((double *)w.xx);
	free(w.cc);
	free(w.block);
	free(w.closest);
	free(w.cum);
	free(w.sums);
	free(w.count);
	free(w.old);
	free(w.cand);
	free(centers);
	free(label);
	free(d2);
	return rc;
}

/* ==== Silhouette ==== */

double
crm_kmeans_silhouette(const double *x, size_t n, size_t d, const int *label,
    size_t k, size_t m, unsigned long seed)
{
	size_t *idx = NULL, i, j, i0, r, c, nclus = 0;
	double *s = NULL, *ss = NULL, *sum = NULL, *block = NULL, total = 0;
	size_t *cnt = NULL;
	int *sl = NULL;
	struct rng g;
	double result = NAN;

	if (m > n)
		m = n;
	if (m < 2 || (idx = crm_reallocarray(NULL, n, sizeof(*idx))) == NULL ||
	    (s = crm_reallocarray(NULL, m * d, sizeof(*s))) == NULL ||
	    (ss = crm_reallocarray(NULL, m, sizeof(*ss))) == NULL ||
	    (sl = crm_reallocarray(NULL, m, sizeof(*sl))) == NULL ||
	    (sum = crm_reallocarray(NULL, k, sizeof(*sum))) == NULL ||
	    (cnt = calloc(k, sizeof(*cnt))) == NULL ||
	    (block = crm_reallocarray(
		 NULL, (size_t)BLOCK, m * sizeof(*block))) == NULL)
		goto out;
	/* a sample of m points without repeats (partial Fisher-Yates) */
	rng_seed(&g, seed);
	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 0; i < m; i++) {
		size_t t, jj = i + rng_below(&g, n - i);

		t = idx[i], idx[i] = idx[jj], idx[jj] = t;
		memcpy(s + i * d, x + idx[i] * d, d * sizeof(*s));
		sl[i] = label[idx[i]];
		if (cnt[sl[i]]++ == 0)
			nclus++;
	}
	if (nclus < 2)
		goto out;
	sqnorms(s, m, d, ss);
	for (i0 = 0; i0 < m; i0 += BLOCK) {
		r = m - i0 < BLOCK ? m - i0 : BLOCK;
		dist2(s + i0 * d, ss + i0, r, s, ss, m, d, block);
		for (i = 0; i < r; i++) {
			int own = sl[i0 + i];
			double a, b = INFINITY;

			memset(sum, 0, k * sizeof(*sum));
			for (j = 0; j < m; j++)
				if (j != i0 + i)
					sum[sl[j]] += sqrt(block[i * m + j]);
			if (cnt[own] < 2)
				continue; /* a lone point scores 0 */
			a = sum[own] / (double)(cnt[own] - 1);
			for (c = 0; c < k; c++)
				if ((int)c != own && cnt[c] > 0 &&
				    sum[c] / (double)cnt[c] < b)
					b = sum[c] / (double)cnt[c];
			if (a < b)
				total += 1 - a / b;
			else if (a > b)
				total += b / a - 1;
		}
	}
	result = total / (double)m;
out:
	free(idx);
	free(s);
	free(ss);
	free(sl);
	free(sum);
	free(cnt);
	free(block);
	return result;
}

/* ==== Standardization ==== */

void
crm_standardize(double *x, size_t n, size_t d, double *mean, double *sd)
{
	size_t i, j;

	for (j = 0; j < d; j++) {
		double mu = 0, var = 0, scale;

		for (i = 0; i < n; i++)
			mu += x[i * d + j];
		mu = n > 0 ? mu / (double)n : 0;
		for (i = 0; i < n; i++)
			var += (x[i * d + j] - mu) * (x[i * d + j] - mu);
		var = n > 0 ? var / (double)n : 0;
		scale = var > 0 ? sqrt(var) : 1;
		for (i = 0; i < n; i++)
			x[i * d + j] = (x[i * d + j] - mu) / scale;
		if (mean != NULL)
			mean[j] = mu;
		if (sd != NULL)
			sd[j] = scale;
	}
}
