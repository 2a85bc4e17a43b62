/*
 * abstats: the statistics of an A/B test of conversion rates, with no
 * store: intervals for one rate, for the difference and the ratio of
 * two, the two-proportion test, Holm's correction for several arms, the
 * sample-ratio-mismatch check, and always-valid (sequential) p-values
 * and intervals by a mixture sequential probability ratio test.  Every
 * formula names its source in a comment; crm-experiment(1) says the
 * same in words.  Rates are k conversions of n; level is the two-sided
 * confidence (0.95).
 */
#ifndef CRM_ABSTATS_H
#define CRM_ABSTATS_H

#include <stddef.h>

/* The standard normal's quantile and upper tail: z with P(Z > z) = p. */
double crm_ab_zq(double p);
double crm_ab_norm_sf(double z);

/* Wilson's score interval for k of n (n > 0) into *lo, *hi. */
void crm_ab_wilson(double k, double n, double level, double *lo, double *hi);

/*
 * Newcombe's hybrid score interval (his method 10, from two Wilson
 * intervals) for p1 - p0, treatment minus control.
 */
void crm_ab_newcombe(double k1, double n1, double k0, double n0, double level,
    double *lo, double *hi);

/*
 * The relative uplift p1 / p0 - 1 into *rel and its interval from the
 * log of the ratio (Katz); NAN when a rate is 0.
 */
void crm_ab_ratio(double k1, double n1, double k0, double n0, double level,
    double *rel, double *lo, double *hi);

/* The two-sided p-value of the pooled two-proportion z-test. */
double crm_ab_ztest(double k1, double n1, double k0, double n0);

/* Holm's step-down correction of m p-values, in place. */
void crm_ab_holm(double *p, size_t m);

/*
 * The sample-ratio-mismatch check: the p-value of Pearson's chi-square
 * of the counts n[0..k) against the shares w[0..k) (summing to 1).
 */
double crm_ab_srm(const double *n, const double *w, size_t k);

/*
 * Always-valid inference for p1 - p0 (a mixture SPRT with a normal
 * mixture of variance tau2 on the difference, as Johari, Pekelis and
 * Walsh, "Always valid inference", and Optimizely's stats engine): the
 * p-value after these counts, given the smallest p-value seen at earlier
 * looks (*pmin, 1 at the start; updated), and the interval, which holds
 * at every look at once with probability level.
 */
void crm_ab_msprt(double k1, double n1, double k0, double n0, double tau2,
    double level, double *pmin, double *lo, double *hi);

#endif
