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
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "blas.h"
#include "buf.h"
#include "kmeans.h"

#define BLOCK	    4096 /* rows per matrix product */
#define MAX_THREADS 8	 /* workers for the restarts */

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
	p->progress.fn = NULL;
	p->progress.arg = NULL;
	p->phase = "k-means";
}

struct work {
	const double *x, *xx; /* points and their squared norms */
	size_t n, d, k;
	const struct crm_kmeans_params *p;
	int first, step; /* the restarts of this worker: first, first+step... */
	double *cc;	 /* k: squared norms of the centres */
	double *block;	 /* BLOCK * k */
	double *closest; /* n: squared distance to the nearest seed */
	double *cum;	 /* n: its running sum */
	double *trial;	 /* n * TRIALS: distances to the candidates */
	double *sums;	 /* k * d */
	size_t *count;	 /* k */
	double *old;	 /* k * d */
	double *cand;	 /* TRIALS * d: seeding candidates */
	double *centers; /* k * d */
	int *label;	 /* n */
	double *d2;	 /* n */
	struct crm_kmeans_result best; /* the best run of this worker */
	int best_run;
	struct runs *runs; /* the runs done by all the workers */
};

/* The runs done, told to the progress callback one worker at a time. */
struct runs {
	pthread_mutex_t lock;
	unsigned long long done;
};

#define TRIALS 8 /* 2 + ln k candidates, at most */

/*
 * Label every point with its nearest centre (the least |c|^2 - 2 x.c,
 * from one matrix product per block); return 1 if any label changed.
 */
static int
assign(struct work *w, const double *centers, int *label, double *d2)
{
	size_t i0, i, j, r, k = w->k, d = w->d;
	int changed = 0;

	sqnorms(centers, k, d, w->cc);
	for (i0 = 0; i0 < w->n; i0 += BLOCK) {
		r = w->n - i0 < BLOCK ? w->n - i0 : BLOCK;
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r,
		    (int)k, (int)d, -2.0, w->x + i0 * d, (int)d, centers,
		    (int)d, 0.0, w->block, (int)k);
		for (i = 0; i < r; i++) {
			const double *row = w->block + i * k;
			double v, min = row[0] + w->cc[0];
			size_t best = 0;

			for (j = 1; j < k; j++)
				if ((v = row[j] + w->cc[j]) < min) {
					min = v;
					best = j;
				}
			if (label[i0 + i] != (int)best)
				changed = 1;
			label[i0 + i] = (int)best;
			v = min + w->xx[i0 + i];
			d2[i0 + i] = v > 0 ? v : 0;
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

/* The first index whose running sum reaches v. */
static size_t
search(const double *cum, size_t n, double v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cum[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n ? lo : n - 1;
}

/* Greedy k-means++: k centres drawn from the points into centers. */
static void
seed_centers(struct work *w, struct rng *g, double *centers)
{
	size_t n = w->n, d = w->d, k = w->k, i0, i, r, t, c, best;
	size_t trials = 2 + (size_t)log((double)k), cand[TRIALS];
	double pot, newpot[TRIALS], cy[TRIALS];

	if (trials > TRIALS)
		trials = TRIALS;
	i = rng_below(g, n);
	memcpy(centers, w->x + i * d, d * sizeof(*centers));
	for (i0 = 0; i0 < n; i0 += BLOCK) {
		r = n - i0 < BLOCK ? n - i0 : BLOCK;
		dist2(w->x + i0 * d, w->xx + i0, r, centers, w->xx + i, 1, d,
		    w->closest + i0);
	}
	for (pot = 0, i = 0; i < n; i++)
		w->cum[i] = pot += w->closest[i];
	for (c = 1; c < k; c++) {
		for (t = 0; t < trials; t++) {
			cand[t] = search(w->cum, n, rng_unif(g) * pot);
			memcpy(w->cand + t * d, w->x + cand[t] * d,
			    d * sizeof(double));
			cy[t] = w->xx[cand[t]];
			newpot[t] = 0;
		}
		for (i0 = 0; i0 < n; i0 += BLOCK) {
			double *out = w->trial + i0 * trials;

			r = n - i0 < BLOCK ? n - i0 : BLOCK;
			dist2(w->x + i0 * d, w->xx + i0, r, w->cand, cy, trials,
			    d, out);
			for (i = 0; i < r; i++)
				for (t = 0; t < trials; t++) {
					double *v = &out[i * trials + t];

					if (*v > w->closest[i0 + i])
						*v = w->closest[i0 + i];
					newpot[t] += *v;
				}
		}
		for (best = 0, t = 1; t < trials; t++)
			if (newpot[t] < newpot[best])
				best = t;
		memcpy(centers + c * d, w->cand + best * d, d * sizeof(double));
		for (pot = 0, i = 0; i < n; i++) {
			w->closest[i] = w->trial[i * trials + best];
			w->cum[i] = pot += w->closest[i];
		}
	}
}

/* One run from new seeds: centers, label, d2; returns the inertia. */
static double
run(struct work *w, struct rng *g, int *iterations)
{
	const struct crm_kmeans_params *p = w->p;
	size_t i, kd = w->k * w->d;
	double shift, inertia = 0, *centers = w->centers;
	int it, strict = 0;

	seed_centers(w, g, centers);
	for (i = 0; i < w->n; i++)
		w->label[i] = -1;
	for (it = 0; it < p->max_iter; it++) {
		if (!assign(w, centers, w->label, w->d2) && it > 0) {
			strict = 1;
			break;
		}
		memcpy(w->old, centers, kd * sizeof(*centers));
		update(w, centers, w->label, w->d2);
		for (shift = 0, i = 0; i < kd; i++)
			shift +=
			    (centers[i] - w->old[i]) * (centers[i] - w->old[i]);
		if (shift <= p->tol) {
			it++;
			break;
		}
	}
	if (!strict)
		assign(w, centers, w->label, w->d2);
	for (i = 0; i < w->n; i++)
		inertia += w->d2[i];
	*iterations = it;
	return inertia;
}

/* A worker: its share of the restarts, keeping its best run. */
static void *
worker(void *arg)
{
	struct work *w = arg;
	struct rng g;
	double inertia;
	int rs, iters;

	for (rs = w->first; rs < w->p->restarts; rs += w->step) {
		/* each run has a seed of its own, whatever thread runs it */
		rng_seed(&g, (uint64_t)w->p->seed * 1000003u + (uint64_t)rs);
		inertia = run(w, &g, &iters);
		if (inertia < w->best.inertia) {
			w->best.inertia = inertia;
			w->best.iterations = iters;
			w->best_run = rs;
			memcpy(w->best.centers, w->centers,
			    w->k * w->d * sizeof(double));
			memcpy(w->best.label, w->label, w->n * sizeof(int));
			memcpy(w->best.dist2, w->d2, w->n * sizeof(double));
		}
		pthread_mutex_lock(&w->runs->lock);
		w->runs->done++;
		crm_progress_tell(&w->p->progress, w->p->phase, "runs",
		    w->runs->done, (unsigned long long)w->p->restarts);
		pthread_mutex_unlock(&w->runs->lock);
	}
	return NULL;
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

static void
work_free(struct work *w)
{
	free(w->cc);
	free(w->block);
	free(w->closest);
	free(w->cum);
	free(w->trial);
	free(w->sums);
	free(w->count);
	free(w->old);
	free(w->cand);
	free(w->centers);
	free(w->label);
	free(w->d2);
	if (w->first > 0) { /* worker 0 keeps its best in the caller's r */
		free(w->best.centers);
		free(w->best.label);
		free(w->best.dist2);
	}
}

/* Set up worker w; 0, or -1 when out of memory. */
static int
work_init(struct work *w, const struct crm_kmeans_result *r)
{
	size_t n = w->n, k = w->k, d = w->d;

	w->best.inertia = INFINITY;
	w->best_run = -1;
	if (w->first == 0) {
		w->best.centers = r->centers;
		w->best.label = r->label;
		w->best.dist2 = r->dist2;
	} else if ((w->best.centers = crm_reallocarray(
			NULL, k * d, sizeof(double))) == NULL ||
		   (w->best.label = crm_reallocarray(NULL, n, sizeof(int))) ==
		       NULL ||
		   (w->best.dist2 =
			   crm_reallocarray(NULL, n, sizeof(double))) == NULL)
		return -1;
	return (w->cc = crm_reallocarray(NULL, k, sizeof(double))) == NULL ||
		       (w->block = crm_reallocarray(
			    NULL, (size_t)BLOCK, k * sizeof(double))) == NULL ||
		       (w->closest = crm_reallocarray(
			    NULL, n, sizeof(double))) == NULL ||
		       (w->cum = crm_reallocarray(NULL, n, sizeof(double))) ==
			   NULL ||
		       (w->trial = crm_reallocarray(
			    NULL, n, TRIALS * sizeof(double))) == NULL ||
		       (w->sums = crm_reallocarray(
			    NULL, k * d, sizeof(double))) == NULL ||
		       (w->count = crm_reallocarray(NULL, k, sizeof(size_t))) ==
			   NULL ||
		       (w->old = crm_reallocarray(
			    NULL, k * d, sizeof(double))) == NULL ||
		       (w->cand = crm_reallocarray(
			    NULL, TRIALS * d, sizeof(double))) == NULL ||
		       (w->centers = crm_reallocarray(
			    NULL, k * d, sizeof(double))) == NULL ||
		       (w->label = crm_reallocarray(NULL, n, sizeof(int))) ==
			   NULL ||
		       (w->d2 = crm_reallocarray(NULL, n, sizeof(double))) ==
			   NULL
		   ? -1
		   : 0;
}

int
crm_kmeans(const double *x, size_t n, size_t d,
    const struct crm_kmeans_params *p, struct crm_kmeans_result *r,
    struct crm_err *e)
{
	struct work w[MAX_THREADS];
	struct runs runs = { PTHREAD_MUTEX_INITIALIZER, 0 };
	pthread_t tid[MAX_THREADS];
	double *xx;
	long distinct, cpus;
	int nt, t, best = 0, rc = -1, started[MAX_THREADS];

	if ((distinct = crm_kmeans_distinct(x, n, d)) < 0)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (p->k < 1 || (size_t)distinct < p->k)
		return crm_err_set(e, EX_DATAERR,
		    "%zu clusters asked for, but the data has %ld distinct "
		    "point%s: ask for %ld or fewer",
		    p->k, distinct, distinct == 1 ? "" : "s", distinct);
	if ((xx = crm_reallocarray(NULL, n, sizeof(double))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	sqnorms(x, n, d, xx);
	/* the restarts run in parallel, each matrix product on one core */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	nt = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
	if (nt > p->restarts)
		nt = p->restarts > 0 ? p->restarts : 1;
	/*
	 * each thread's matrix products take an OpenBLAS work buffer, kept
	 * for the process: as many threads as there is room for, one at
	 * least (the restarts and their order are the same on any count)
	 */
	if ((nt = crm_blas_room_for("k-means", nt, e)) == 0) {
		free(xx);
		return -1;
	}
#ifdef OPENBLAS_VERSION
	if (nt > 1)
		openblas_set_num_threads(1);
#endif
	memset(w, 0, sizeof(w));
	memset(started, 0, sizeof(started));
	for (t = 0; t < nt; t++) {
		w[t].x = x;
		w[t].xx = xx;
		w[t].n = n;
		w[t].d = d;
		w[t].k = p->k;
		w[t].p = p;
		w[t].first = t;
		w[t].step = nt;
		w[t].runs = &runs;
		if (work_init(&w[t], r) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	for (t = 1; t < nt; t++) {
		if (pthread_create(&tid[t], NULL, worker, &w[t]) != 0)
			break;
		started[t] = 1;
	}
	for (; t < nt; t++) /* a thread that could not start: run here */
		worker(&w[t]);
	worker(&w[0]);
	for (t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
	/* the least inertia wins; among equals, the earliest run */
	for (t = 1; t < nt; t++)
		if (w[t].best.inertia < w[best].best.inertia ||
		    (w[t].best.inertia == w[best].best.inertia &&
			w[t].best_run < w[best].best_run))
			best = t;
	if (best != 0) {
		memcpy(r->centers, w[best].best.centers,
		    p->k * d * sizeof(double));
		memcpy(r->label, w[best].best.label, n * sizeof(int));
		memcpy(r->dist2, w[best].best.dist2, n * sizeof(double));
	}
	r->inertia = w[best].best.inertia;
	r->iterations = w[best].best.iterations;
	rc = 0;
out:
	for (t = 0; t < nt; t++)
		work_free(&w[t]);
	free(xx);
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
