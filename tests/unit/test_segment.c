/*
 * test_segment: unit tests for k-means (lib/kmeans.c) and RFM scores and
 * segments (lib/rfm.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "kmeans.h"
#include "rfm.h"
#include "tap.h"

static void
test_scores(void)
{
	double v[100], tied[10] = { 1, 1, 1, 1, 1, 1, 2, 2, 3, 9 };
	unsigned char s[100];
	size_t i;
	int ok = 1;

	for (i = 0; i < 100; i++)
		v[i] = (double)(100 - i); /* in any order */
	crm_rfm_scores(v, 100, 0, s);
	for (i = 0; i < 100; i++)
		ok &= s[i] == 1 + (100 - i - 1) / 20;
	TAP_OK(ok, "1..100: each fifth scores 1 to 5");
	crm_rfm_scores(v, 100, 1, s);
	TAP_OK(s[99] == 5 && s[0] == 1 && s[80] == 5 && s[79] == 4, "low is "
								    "best: 1 "
								    "scores 5, "
								    "100 "
								    "scores 1");
	crm_rfm_scores(tied, 10, 0, s);
	TAP_OK(s[0] == 1 && s[5] == 1 && s[6] == 4 && s[7] == 4 && s[8] == 5 &&
		   s[9] == 5,
	    "ties score the same: %d %d %d %d", s[0], s[6], s[8], s[9]);
	v[0] = NAN;
	crm_rfm_scores(v, 3, 0, s);
	TAP_OK(s[0] == 0 && s[1] == 3 && s[2] == 1, "no value scores 0; of "
						    "two, the higher scores 3");
	crm_rfm_scores(v + 1, 1, 0, s);
	TAP_OK(s[0] == 1, "one customer scores 1");
}

static void
test_segments(void)
{
	/* FM 5 down to 1, R 1 to 5, as in crm-tag(1) */
	static const char *const want[5][5] = {
		{ "Cannot lose them", "Cannot lose them", "Loyal", "Loyal",
		    "Champions" },
		{ "At risk", "At risk", "Loyal", "Loyal", "Champions" },
		{ "At risk", "At risk", "Need attention", "Potential loyalist",
		    "Potential loyalist" },
		{ "Lost", "Hibernating", "About to sleep", "Potential loyalist",
		    "Potential loyalist" },
		{ "Lost", "Hibernating", "About to sleep", "Promising", "New" },
	};
	int r, fm, ok = 1;

	for (fm = 5; fm >= 1; fm--)
		for (r = 1; r <= 5; r++)
			ok &= strcmp(crm_rfm_segment(r, fm),
				  want[5 - fm][r - 1]) == 0;
	TAP_OK(ok, "the R x FM grid");
	TAP_OK(crm_rfm_segment(0, 3) == NULL, "no segment without a score");
	TAP_OK(crm_rfm_fm(5, 4) == 5 && crm_rfm_fm(1, 2) == 2 &&
		   crm_rfm_fm(3, 3) == 3,
	    "FM is the mean rounded up");
}

/* Three tight groups of 50 points in 2-d, shuffled by a fixed stride. */
static void
blobs(double *x)
{
	static const double c[3][2] = { { 0, 0 }, { 10, 0 }, { 0, 10 } };
	size_t i, j;

	for (i = 0; i < 150; i++) {
		j = (i * 37) % 150;
		x[2 * j] = c[i % 3][0] + 0.01 * (double)(i % 7);
		x[2 * j + 1] = c[i % 3][1] + 0.02 * (double)(i % 5);
	}
}

static void
test_kmeans(void)
{
	double x[300], centers[8 * 2], dist2[150], c2[8 * 2], d2b[150],
	    brute = 0;
	int label[150], l2[150];
	struct crm_kmeans_params p;
	struct crm_kmeans_result r = { centers, label, dist2, 0, 0 };
	struct crm_kmeans_result r2 = { c2, l2, d2b, 0, 0 };
	struct crm_err e;
	size_t i, j;
	int ok = 1;

	blobs(x);
	crm_kmeans_defaults(&p, 3);
	TAP_OK(crm_kmeans(x, 150, 2, &p, &r, &e) == 0, "three blobs");
	for (i = 0; i < 150; i++)
		for (j = 0; j < 150; j++)
			if ((fabs(x[2 * i] - x[2 * j]) < 1 &&
				fabs(x[2 * i + 1] - x[2 * j + 1]) < 1) !=
			    (label[i] == label[j]))
				ok = 0;
	TAP_OK(ok, "each blob is one cluster");
	for (i = 0; i < 150; i++) {
		double dx = x[2 * i] - centers[2 * label[i]];
		double dy = x[2 * i + 1] - centers[2 * label[i] + 1];

		brute += dx * dx + dy * dy;
	}
	TAP_OK(fabs(brute - r.inertia) < 1e-9 * (1 + brute),
	    "inertia %g is the sum of squared distances %g", r.inertia, brute);
	crm_kmeans(x, 150, 2, &p, &r2, &e);
	TAP_OK(memcmp(label, l2, sizeof(label)) == 0 &&
		   memcmp(centers, c2, sizeof(c2)) == 0,
	    "the same seed, the same clusters");
	TAP_OK(crm_kmeans_silhouette(x, 150, 2, label, 3, 100, 1) > 0.9,
	    "silhouette of separate blobs near 1");

	/* 4 distinct points, repeated */
	for (i = 0; i < 20; i++) {
		x[2 * i] = (double)(i % 4);
		x[2 * i + 1] = 0;
	}
	TAP_OK(crm_kmeans_distinct(x, 20, 2) == 4, "4 distinct points");
	crm_kmeans_defaults(&p, 5);
	TAP_OK(crm_kmeans(x, 20, 2, &p, &r, &e) == -1 && e.code == EX_DATAERR,
	    "more clusters than points: %s", e.msg);
	crm_kmeans_defaults(&p, 4);
	TAP_OK(crm_kmeans(x, 20, 2, &p, &r, &e) == 0 && r.inertia == 0,
	    "as many clusters as points: inertia %g", r.inertia);
}

static void
test_standardize(void)
{
	double x[] = { 1, 5, 2, 5, 3, 5, 4, 5 }, mean[2], sd[2];

	crm_standardize(x, 4, 2, mean, sd);
	TAP_OK(mean[0] == 2.5 && fabs(sd[0] - sqrt(1.25)) < 1e-12, "mean and "
								   "population "
								   "deviation");
	TAP_OK(x[1] == 0 && sd[1] == 1, "a constant column is only centred");
	TAP_OK(fabs(x[0] + x[6]) < 1e-12, "z-scores");
}

int
main(void)
{
	test_scores();
	test_segments();
	test_kmeans();
	test_standardize();
	return tap_done();
}
