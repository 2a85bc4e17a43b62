/*
 * rfm: recency, frequency and monetary scores and the named customer
 * segments of RFM analysis.
 *
 * Each of the three values is scored 1 to 5 by quintile over the
 * customers: the four boundaries are the largest values of the first
 * four fifths of the sorted values, and a value scores one more than the
 * number of boundaries it is above, so equal values always score the
 * same.  Frequency and monetary value score 5 at the top; recency (days
 * since the last purchase) is scored the other way, 5 for the most
 * recent.  The segment comes from the recency score and the FM score,
 * the mean of the frequency and monetary scores rounded up, on the grid
 * that crm-tag(1) shows.
 */
#ifndef CRM_RFM_H
#define CRM_RFM_H

#include <stddef.h>

/*
 * Score the n values v into score[]: 1 to 5, or 0 for a NaN value (no
 * value), which is left out of the quintiles.  With low_is_best the
 * smallest values score 5.  Returns 0, or -1 when out of memory.
 */
int crm_rfm_scores(
    const double *v, size_t n, int low_is_best, unsigned char *score);

/*
 * The four quintile boundaries of the n values v (NaN: none, left out)
 * into q, as crm_rfm_scores draws them: 1 when some value is a number, 0
 * when none is (q is then NaN), -1 when out of memory.
 */
int crm_rfm_bounds(const double *v, size_t n, double q[4]);

/*
 * The score of value v against boundaries q (crm_rfm_bounds): 1 to 5, 0
 * for NaN.  It reads v alone, so a record is scored the same in any
 * batch.
 */
int crm_rfm_score(double v, const double q[4], int low_is_best);

/* The FM score of frequency and monetary scores f and m (1 to 5). */
int crm_rfm_fm(int f, int m);

/* The segment of recency score r and FM score fm (1 to 5 each). */
const char *crm_rfm_segment(int r, int fm);

#endif
