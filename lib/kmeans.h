/*
 * kmeans: k-means clustering of numeric rows, with k-means++ seeding,
 * several restarts and Lloyd iterations, the point-to-centre distances
 * computed as matrix products by OpenBLAS (|x|^2 - 2 x.c + |c|^2); the
 * silhouette of a clustering on a sample, to choose k; z-scores.
 *
 * Points are n rows of d doubles, row after row.  Every function is
 * deterministic for a given seed (the random numbers come from a
 * generator of this module, not rand(3)).  The caller owns every array.
 */
#ifndef CRM_KMEANS_H
#define CRM_KMEANS_H

#include <stddef.h>

#include "err.h"
#include "progress.h"

struct crm_kmeans_params {
	size_t k;	    /* clusters */
	unsigned long seed; /* of the random numbers */
	int restarts;	    /* runs from new seeds; the best is kept (10) */
	int max_iter;	    /* Lloyd iterations per run at most (300) */
	double tol;	    /* a run ends when the centres move less, in
			       squared distance summed over them (1e-4) */
	struct crm_progress_cb progress; /* the runs done (none) */
	const char *phase;		 /* their phase ("k-means") */
};

struct crm_kmeans_result {
	double *centers; /* k * d: the centres (caller-allocated) */
	int *label;	 /* n: each point's cluster (caller-allocated) */
	double *dist2;	 /* n: squared distance to its centre (same) */
	double inertia;	 /* the sum of dist2 */
	int iterations;	 /* Lloyd iterations of the best run */
};

/* The parameters' defaults, with k clusters. */
void crm_kmeans_defaults(struct crm_kmeans_params *p, size_t k);

/*
 * Cluster the n points x (n * d) into p->k clusters; the run with the
 * least inertia of p->restarts is kept in r.  Returns 0, or -1 with e
 * filled: EX_DATAERR when there are fewer distinct points than clusters,
 * EX_SOFTWARE when out of memory.
 */
int crm_kmeans(const double *x, size_t n, size_t d,
    const struct crm_kmeans_params *p, struct crm_kmeans_result *r,
    struct crm_err *e);

/* The number of distinct points among the n points x, or -1 (ENOMEM). */
long crm_kmeans_distinct(const double *x, size_t n, size_t d);

/*
 * The mean silhouette of the clustering label (k clusters) over a sample
 * of at most m of the n points, drawn with seed; NAN when out of memory
 * or when fewer than two clusters are in the sample.
 */
double crm_kmeans_silhouette(const double *x, size_t n, size_t d,
    const int *label, size_t k, size_t m, unsigned long seed);

/*
 * Standardize the columns of x in place (z-scores with the population
 * standard deviation; a constant column is only centred) and store each
 * column's mean and scale in mean and sd (d values each) when not NULL.
 */
void crm_standardize(double *x, size_t n, size_t d, double *mean, double *sd);

#endif
