/*
 * abstats: the statistics of an A/B test of conversion rates, with no
 * store: intervals for one rate, for the difference and the ratio of
 * two, the two-proportion test, Holm's correction for several arms, the
 * sample-ratio-mismatch check, and always-valid (sequential) p-values
 * and intervals by a mixture sequential probability ratio test.  Every
 * formula names its source in a comment; crm-experiment(1) says the
 * same in words.  Rates are k conversions of n; level is the two-sided
 * confidence (0.95).  The normal and chi-square distributions are GSL's.
 */
#ifndef CRM_ABSTATS_H
#define CRM_ABSTATS_H

#include <stddef.h>

/*
 * The default variance of the mSPRT's normal mixture on p1 - p0: effects
 * of about one percentage point (tau = 0.01).  Optimizely's rule is to
 * take tau from a prior on the effect sizes of past experiments; crmkit
 * has no such history to fit it from, so it takes the size of effect an
 * A/B test of conversion rates of a few percent to a few tens of percent
 * is run to find.  The test stays valid for any tau2 > 0 (Johari,
 * Pekelis and Walsh 2017, section 4); a tau far from the true effect
 * only makes it slower to detect it.
 */
#define CRM_AB_TAU2 1e-4

/*
 * The standard normal's quantile and upper tail: z with P(Z > z) = p
 * (NAN for p outside [0, 1]), and P(Z > z).
 */
double crm_ab_zq(double p);
double crm_ab_norm_sf(double z);

/* Wilson's score interval for k of n into *lo, *hi; NAN when n <= 0. */
void crm_ab_wilson(double k, double n, double level, double *lo, double *hi);

/*
 * Newcombe's hybrid score interval (his method 10, from two Wilson
 * intervals) for p1 - p0, treatment minus control; NAN when n1 or n0 is
 * not positive.
 */
void crm_ab_newcombe(double k1, double n1, double k0, double n0, double level,
    double *lo, double *hi);

/*
 * The relative uplift p1 / p0 - 1 into *rel and its interval from the
 * log of the ratio (Katz); NAN when a rate is 0.
 */
void crm_ab_ratio(double k1, double n1, double k0, double n0, double level,
    double *rel, double *lo, double *hi);

/*
 * The two-sided p-value of the pooled two-proportion z-test; 1 when the
 * pooled rate is 0 or 1 (no evidence), NAN when n1 or n0 is not positive
 * or a count is out of range.
 */
double crm_ab_ztest(double k1, double n1, double k0, double n0);

/*
 * Holm's step-down correction of m p-values, in place, in their order.
 * Returns 0, or -1 with errno ENOMEM (p untouched).
 */
int crm_ab_holm(double *p, size_t m);

/*
 * The sample-ratio-mismatch check: the p-value of Pearson's chi-square
 * of the counts n[0..k) against the shares w[0..k) (summing to 1); 1
 * when k < 2 or there are no counts, NAN for a NAN, endless or negative
 * count or a share not above 0.
 */
double crm_ab_srm(const double *n, const double *w, size_t k);

/*
 * Always-valid inference for p1 - p0 (a mixture SPRT with a normal
 * mixture of variance tau2 on the difference, as Johari, Pekelis and
 * Walsh, "Always valid inference", and Optimizely's stats engine), at one
 * look after these counts.  The state of the earlier looks is carried by
 * the caller: *pmin is the p-value so far (1 at the start) and *lo, *hi
 * the interval so far (-INFINITY, INFINITY at the start); all three are
 * updated: the p-value is the smallest seen, the interval the
 * intersection of each look's, the set of differences whose mSPRT
 * p-value is still above 1 - level.  It holds at every look at once with
 * probability level.  A look with no variance yet (no counts, or every
 * rate 0 or 1) changes nothing.  Should the intersection come out empty
 * (a chance of at most 1 - level), *lo and *hi are NAN.  A run that keeps
 * no state looks once, at its own counts: valid, but not the running
 * figures of looks at every day.
 */
void crm_ab_msprt(double k1, double n1, double k0, double n0, double tau2,
    double level, double *pmin, double *lo, double *hi);

#endif
