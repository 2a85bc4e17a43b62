/*
 * abstats: the statistics of an A/B test of conversion rates.
 *
 * The distributions are GSL's (the normal quantile and tail, the
 * incomplete gamma function for the chi-square tail); the formulas on
 * top of them are a few lines each and written here, each with its
 * source, since no Debian-packaged C library has them: GSL has no
 * interval for a proportion, and the mSPRT is in no C library at all.
 *
 * GSL calls its error handler, which aborts by default, on arguments out
 * of its domain: none is handed to it (each function checks its own);
 * the normal and chi-square tails underflow to 0 with no error
 * (test_abstats checks a chi-square of 10^7).
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>

#include "abstats.h"

/* The z of a two-sided interval of this level; NAN outside (0, 1). */
static double
zlevel(double level)
{
	if (!(level > 0 && level < 1))
		return NAN;
	return crm_ab_zq((1 - level) / 2);
}

double
crm_ab_zq(double p)
{
	if (!(p >= 0 && p <= 1))
		return NAN;
	return gsl_cdf_ugaussian_Qinv(p);
}

double
crm_ab_norm_sf(double z)
{
	if (isnan(z))
		return NAN;
	return gsl_cdf_ugaussian_Q(z);
}

/*
 * Wilson, "Probable inference, the law of succession, and statistical
 * inference", JASA 22 (1927); in the form of Newcombe, "Two-sided
 * confidence intervals for the single proportion: comparison of seven
 * methods", Statistics in Medicine 17 (1998), 857-872, method 3:
 * (2np + z^2 +- z sqrt(z^2 + 4np(1-p))) / (2(n + z^2)).
 */
void
crm_ab_wilson(double k, double n, double level, double *lo, double *hi)
{
	double z = zlevel(level), p, c, h;

	if (!(n > 0) || !(k >= 0 && k <= n) || isnan(z)) {
		*lo = *hi = NAN;
		return;
	}
	p = k / n;
	c = 2 * n * p + z * z;
	h = z * sqrt(z * z + 4 * n * p * (1 - p));
	*lo = k == 0 ? 0 : (c - h) / (2 * (n + z * z));
	*hi = k == n ? 1 : (c + h) / (2 * (n + z * z));
}

/*
 * Newcombe, "Interval estimation for the difference between independent
 * proportions: comparison of eleven methods", Statistics in Medicine 17
 * (1998), 873-890, method 10: with (l1, u1) and (l0, u0) the Wilson
 * intervals of the two rates and d = p1 - p0,
 * lo = d - sqrt((p1 - l1)^2 + (u0 - p0)^2),
 * hi = d + sqrt((u1 - p1)^2 + (p0 - l0)^2).
 */
void
crm_ab_newcombe(double k1, double n1, double k0, double n0, double level,
    double *lo, double *hi)
{
	double l1, u1, l0, u0, p1, p0;

	crm_ab_wilson(k1, n1, level, &l1, &u1);
	crm_ab_wilson(k0, n0, level, &l0, &u0);
	if (isnan(l1) || isnan(l0)) {
		*lo = *hi = NAN;
		return;
	}
	p1 = k1 / n1;
	p0 = k0 / n0;
	*lo = p1 - p0 - sqrt((p1 - l1) * (p1 - l1) + (u0 - p0) * (u0 - p0));
	*hi = p1 - p0 + sqrt((u1 - p1) * (u1 - p1) + (p0 - l0) * (p0 - l0));
	if (*lo < -1)
		*lo = -1;
	if (*hi > 1)
		*hi = 1;
}

/*
 * Katz, Baptista, Azen and Pike, "Obtaining confidence intervals for the
 * risk ratio in cohort studies", Biometrics 34 (1978), 469-474: log(p1 /
 * p0) is about normal with variance 1/k1 - 1/n1 + 1/k0 - 1/n0.  The
 * interval of the ratio, less 1, is that of the relative uplift.
 */
void
crm_ab_ratio(double k1, double n1, double k0, double n0, double level,
    double *rel, double *lo, double *hi)
{
	double z = zlevel(level), r, se;

	if (!(n1 > 0 && n0 > 0 && k1 > 0 && k0 > 0 && k1 <= n1 && k0 <= n0) ||
	    isnan(z)) {
		*rel = *lo = *hi = NAN;
		return;
	}
	r = (k1 / n1) / (k0 / n0);
	se = sqrt(1 / k1 - 1 / n1 + 1 / k0 - 1 / n0);
	*rel = r - 1;
	*lo = r * exp(-z * se) - 1;
	*hi = r * exp(z * se) - 1;
}

/*
 * The pooled two-proportion z-test (e.g. Fleiss, Levin and Paik,
 * "Statistical methods for rates and proportions", 3rd ed. 2003,
 * section 2.5): z = (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0)), p the
 * pooled rate, the p-value 2 P(Z > |z|); the same as Pearson's
 * chi-square of the 2x2 table without continuity correction.
 */
double
crm_ab_ztest(double k1, double n1, double k0, double n0)
{
	double p, se;

	if (!(n1 > 0 && n0 > 0))
		return NAN;
	p = (k1 + k0) / (n1 + n0);
	se = sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
	if (isnan(se))
		return NAN;
	if (se == 0)
		return 1;
	return 2 * crm_ab_norm_sf(fabs(k1 / n1 - k0 / n0) / se);
}

/*
 * Holm, "A simple sequentially rejective multiple test procedure",
 * Scandinavian Journal of Statistics 6 (1979), 65-70, as adjusted
 * p-values (Wright, "Adjusted p-values for simultaneous inference",
 * Biometrics 48 (1992)): with the p-values in increasing order p(1) <=
 * ... <= p(m), p'(i) = max over j <= i of min(1, (m - j + 1) p(j)).
 * A NAN p-value stays NAN and does not count among the m.  The m are the
 * arms of one experiment, a handful, so the indexes are put in order by
 * insertion (stable, and no static state for a qsort comparator).
 */
int
crm_ab_holm(double *p, size_t m)
{
	size_t *ix, i, j, n = 0;
	double run = 0, v;

	if (m == 0)
		return 0;
	ix = calloc(m, sizeof(*ix));
	if (ix == NULL)
		return -1;
	for (i = 0; i < m; i++) {
		if (isnan(p[i]))
			continue;
		for (j = n++; j > 0 && p[ix[j - 1]] > p[i]; j--)
			ix[j] = ix[j - 1];
		ix[j] = i;
	}
	for (i = 0; i < n; i++) {
		v = (double)(n - i) * p[ix[i]];
		if (v > 1)
			v = 1;
		if (v > run)
			run = v;
		p[ix[i]] = run;
	}
	free(ix);
	return 0;
}

/*
 * Pearson's chi-square goodness of fit, sum (n_i - N w_i)^2 / (N w_i)
 * on k - 1 degrees of freedom (Fabijan et al., "Diagnosing sample ratio
 * mismatch in online controlled experiments", KDD 2019, for its use as
 * the SRM check).  The tail P(X > x) of chi-square(f) is the regularized
 * upper incomplete gamma Q(f/2, x/2).
 */
double
crm_ab_srm(const double *n, const double *w, size_t k)
{
	gsl_sf_result r;
	double tot = 0, x = 0, e;
	size_t i;
	int st;

	for (i = 0; i < k; i++) {
		if (!(n[i] >= 0))
			return NAN;
		tot += n[i];
	}
	if (k < 2 || !(tot > 0))
		return 1;
	for (i = 0; i < k; i++) {
		e = tot * w[i];
		if (!(e > 0))
			return NAN;
		x += (n[i] - e) * (n[i] - e) / e;
	}
	if (isnan(x))
		return NAN;
	if (isinf(x))
		return 0;
	st = gsl_sf_gamma_inc_Q_e((double)(k - 1) / 2, x / 2, &r);
	if (st == GSL_EUNDRFLW)
		return 0;
	if (st != GSL_SUCCESS)
		return NAN;
	return r.val;
}

/*
 * Johari, Pekelis and Walsh, "Always valid inference: continuous
 * monitoring of A/B tests", Operations Research 70 (2022), arXiv
 * 1512.04922 (2015-2017), section 4 and the two-stream normal case: with
 * d the observed p1 - p0 and V its variance p1(1-p1)/n1 + p0(1-p0)/n0,
 * the mixture likelihood ratio of H0: p1 - p0 = t against the normal
 * mixture N(t, tau2) is
 *   L(t) = sqrt(V / (V + tau2)) exp(tau2 (d - t)^2 / (2 V (V + tau2))),
 * the always-valid p-value the running minimum of 1 / L(0), and the
 * interval the running intersection of {t : L(t) < 1 / alpha}:
 *   d +- sqrt(V (V + tau2) / tau2 (2 log(1 / alpha) + log((V + tau2) / V))).
 */
void
crm_ab_msprt(double k1, double n1, double k0, double n0, double tau2,
    double level, double *pmin, double *lo, double *hi)
{
	double p1, p0, d, v, loglr, p, h, l, u;

	if (!(n1 > 0 && n0 > 0) || !(tau2 > 0) || !(level > 0 && level < 1))
		return;
	p1 = k1 / n1;
	p0 = k0 / n0;
	d = p1 - p0;
	v = p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0;
	if (!(v > 0))
		return;
	loglr = 0.5 * log(v / (v + tau2)) + tau2 * d * d / (2 * v * (v + tau2));
	p = loglr > 0 ? exp(-loglr) : 1;
	if (p < *pmin)
		*pmin = p;
	h = sqrt(v * (v + tau2) / tau2 *
		 (-2 * log(1 - level) + log((v + tau2) / v)));
	if (isnan(*lo) || isnan(*hi))
		return;
	l = d - h > *lo ? d - h : *lo;
	u = d + h < *hi ? d + h : *hi;
	if (l > u)
		l = u = NAN;
	*lo = l;
	*hi = u;
}
