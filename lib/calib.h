/*
 * calib: Platt scaling, P(yes) = sigmoid(a * z + b) fitted to a model's
 * raw scores z on records it was not trained on.
 */
#ifndef CRM_CALIB_H
#define CRM_CALIB_H

#include <stddef.h>

/*
 * Fit a and b to the n scores z with labels y (0 or 1) by Newton's
 * method on the log loss, with Platt's smoothed targets (N+ + 1) /
 * (N+ + 2) and 1 / (N- + 2), which keep the fit finite when the scores
 * separate the labels.  0, or -1 (a and b then 1 and 0: no change) when
 * there are no records, only one label, or the fit would not make the
 * probability grow with the score.
 */
int crm_platt_fit(
    const double *z, const int *y, size_t n, double *a, double *b);

#endif
