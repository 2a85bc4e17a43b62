/*
 * rfm: the quintile scores and the segment grid of rfm.h.
 */
#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "rfm.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
crm_rfm_bounds(const double *v, size_t n, double q[4])
{
	double *sorted;
	size_t i, m = 0, j;

	if ((sorted = crm_reallocarray(NULL, n + 1, sizeof(*sorted))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (!isnan(v[i]))
			sorted[m++] = v[i];
	qsort(sorted, m, sizeof(*sorted), cmp_double);
	/* q[j]: the largest value of the first (j + 1) fifths */
	for (j = 0; j < 4; j++) {
		size_t at = ((j + 1) * m + 4) / 5;

		q[j] = m > 0 ? sorted[at > 0 ? at - 1 : 0] : NAN;
	}
	free(sorted);
	return m > 0;
}

int
crm_rfm_score(double v, const double q[4], int low_is_best)
{
	int above = 0, j;

	if (isnan(v))
		return 0;
	for (j = 0; j < 4; j++)
		above += v > q[j];
	return low_is_best ? 5 - above : 1 + above;
}

int
crm_rfm_scores(const double *v, size_t n, int low_is_best, unsigned char *score)
{
	double q[4];
	size_t i;

	if (crm_rfm_bounds(v, n, q) == -1)
		return -1;
	for (i = 0; i < n; i++)
		score[i] = (unsigned char)crm_rfm_score(v[i], q, low_is_best);
	return 0;
}

int
crm_rfm_fm(int f, int m)
{
	return (f + m + 1) / 2;
}

/* The grid: rows are FM scores 5 down to 1, columns R scores 1 to 5. */
static const char *const grid[5][5] = {
	{ "Cannot lose them", "Cannot lose them", "Loyal", "Loyal",
	    "Champions" },
	{ "At risk", "At risk", "Loyal", "Loyal", "Champions" },
	{ "At risk", "At risk", "Need attention", "Potential loyalist",
	    "Potential loyalist" },
	{ "Lost", "Hibernating", "About to sleep", "Potential loyalist",
	    "Potential loyalist" },
	{ "Lost", "Hibernating", "About to sleep", "Promising", "New" },
};

const char *
crm_rfm_segment(int r, int fm)
{
	if (r < 1 || r > 5 || fm < 1 || fm > 5)
		return NULL;
	return grid[5 - fm][r - 1];
}
