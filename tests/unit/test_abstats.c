/*
 * test_abstats: unit tests for the statistics of an A/B test
 * (lib/abstats.c): the published examples of each interval and test,
 * then the simulation of issue 21 ("What must be shown" 1): 200 seeded
 * experiments with a true uplift, 200 with none, looked at once and
 * every day, and broken splits for the sample-ratio check.  The shares
 * the simulation finds are printed as TAP comments.
 */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "abstats.h"
#include "tap.h"

#define RUNS	200
#define PER_ARM 20000
#define DAYS	30

/* |got - want| within tol (a published figure rounded to 4 places). */
static int
near(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

static void
distributions(void)
{
	TAP_OK(near(crm_ab_zq(0.025), 1.959964, 1e-6), "z of 0.025: %.6f",
	    crm_ab_zq(0.025));
	TAP_OK(near(crm_ab_norm_sf(1.96), 0.0249979, 1e-7), "P(Z > 1.96): %.7f",
	    crm_ab_norm_sf(1.96));
	TAP_OK(isnan(crm_ab_zq(-0.1)) && isnan(crm_ab_zq(NAN)), "no quantile "
								"outside [0, "
								"1]");
}

/*
 * Newcombe (1998), "Two-sided confidence intervals for the single
 * proportion", Statistics in Medicine 17, 857-872, his example 81/263:
 * the score interval 0.2553 to 0.3662.
 */
static void
wilson(void)
{
	double lo, hi;

	crm_ab_wilson(81, 263, 0.95, &lo, &hi);
	TAP_OK(near(lo, 0.2553, 5e-5) && near(hi, 0.3662, 5e-5),
	    "Wilson 81/263: %.4f to %.4f (Newcombe: 0.2553 to 0.3662)", lo, hi);
	crm_ab_wilson(0, 10, 0.95, &lo, &hi);
	TAP_OK(lo == 0 && near(hi, 0.2775, 5e-5), "Wilson 0/10: %.4f to %.4f",
	    lo, hi);
	crm_ab_wilson(10, 10, 0.95, &lo, &hi);
	TAP_OK(near(lo, 0.7225, 5e-5) && hi == 1, "Wilson 10/10: %.4f to %.4f",
	    lo, hi);
	crm_ab_wilson(0, 0, 0.95, &lo, &hi);
	TAP_OK(isnan(lo) && isnan(hi), "Wilson of nothing is NAN");
}

/*
 * Newcombe (1998), "Interval estimation for the difference between
 * independent proportions", Statistics in Medicine 17, 873-890, table
 * II, method 10, his eight examples (a) to (h).
 */
static void
newcombe(void)
{
	static const struct {
		double k1, n1, k0, n0, lo, hi;
	} ex[] = {
		{ 56, 70, 48, 80, 0.0524, 0.3339 },
		{ 9, 10, 3, 10, 0.1705, 0.8090 },
		{ 6, 7, 2, 7, 0.0582, 0.8062 },
		{ 5, 56, 0, 29, -0.0381, 0.1926 },
		{ 0, 10, 0, 20, -0.1611, 0.2775 },
		{ 0, 10, 0, 10, -0.2775, 0.2775 },
		{ 10, 10, 0, 20, 0.6791, 1.0000 },
		{ 10, 10, 0, 10, 0.6075, 1.0000 },
	};
	double lo, hi;
	size_t i;

	for (i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		crm_ab_newcombe(
		    ex[i].k1, ex[i].n1, ex[i].k0, ex[i].n0, 0.95, &lo, &hi);
		TAP_OK(near(lo, ex[i].lo, 5e-5) && near(hi, ex[i].hi, 5e-5),
		    "Newcombe (%c) %g/%g - %g/%g: %.4f to %.4f (table II: "
		    "%.4f to %.4f)",
		    (int)('a' + i), ex[i].k1, ex[i].n1, ex[i].k0, ex[i].n0, lo,
		    hi, ex[i].lo, ex[i].hi);
	}
	crm_ab_newcombe(1, 0, 1, 10, 0.95, &lo, &hi);
	TAP_OK(isnan(lo) && isnan(hi), "Newcombe with an empty arm is NAN");
}

/*
 * Katz's log-ratio interval for 56/70 against 48/80: the ratio 4/3, log
 * standard error sqrt(1/56 - 1/70 + 1/48 - 1/80) = 0.10911, so the
 * uplift 0.3333 with 0.0766 to 0.6512 (worked by hand; scipy agrees).
 */
static void
ratio(void)
{
	double rel, lo, hi;

	crm_ab_ratio(56, 70, 48, 80, 0.95, &rel, &lo, &hi);
	TAP_OK(near(rel, 1.0 / 3, 1e-12) && near(lo, 0.0766, 5e-5) &&
		   near(hi, 0.6512, 5e-5),
	    "Katz 56/70 vs 48/80: %+.4f, %.4f to %.4f", rel, lo, hi);
	crm_ab_ratio(5, 56, 0, 29, 0.95, &rel, &lo, &hi);
	TAP_OK(isnan(rel) && isnan(lo) && isnan(hi), "no ratio to a rate of 0");
}

/*
 * The pooled z-test is Pearson's chi-square of the 2x2 table without
 * correction: scipy's chi2_contingency(correction=False) gives 0.0080451
 * for 56/70 vs 48/80 and 1.637e-10 for 12% vs 10% of 20,000.
 */
static void
ztest(void)
{
	double p;

	p = crm_ab_ztest(56, 70, 48, 80);
	TAP_OK(near(p, 0.0080451, 1e-7), "z-test 56/70 vs 48/80: %.7f", p);
	p = crm_ab_ztest(2400, 20000, 2000, 20000);
	TAP_OK(near(p / 1.637002e-10, 1, 1e-5), "z-test 12%% vs 10%%: %.6g", p);
	TAP_OK(crm_ab_ztest(0, 10, 0, 20) == 1, "no conversions: p = 1");
	TAP_OK(isnan(crm_ab_ztest(1, 0, 1, 10)), "an empty arm: NAN");
}

/*
 * Holm's example as Wikipedia's "Holm-Bonferroni method" gives it:
 * p = 0.01, 0.04, 0.03, 0.005, adjusted 0.03, 0.06, 0.06, 0.02 (only
 * the first and the last rejected at 0.05).
 */
static void
holm(void)
{
	double p[] = { 0.01, 0.04, 0.03, 0.005 };
	double q[] = { 0.2, NAN, 0.9, 0.5 };
	double one[] = { 0.7 };

	TAP_OK(crm_ab_holm(p, 4) == 0 && near(p[0], 0.03, 1e-15) &&
		   near(p[1], 0.06, 1e-15) && near(p[2], 0.06, 1e-15) &&
		   near(p[3], 0.02, 1e-15),
	    "Holm: %g %g %g %g", p[0], p[1], p[2], p[3]);
	/* 3 counted: 0.2 * 3, max(0.5 * 2, 0.6) capped at 1, then 1 */
	TAP_OK(crm_ab_holm(q, 4) == 0 && near(q[0], 0.6, 1e-15) &&
		   isnan(q[1]) && q[2] == 1 && q[3] == 1,
	    "Holm skips NAN and caps at 1: %g %g %g %g", q[0], q[1], q[2],
	    q[3]);
	TAP_OK(crm_ab_holm(one, 1) == 0 && one[0] == 0.7 &&
		   crm_ab_holm(NULL, 0) == 0,
	    "Holm of one p-value or none");
}

/*
 * 50,000 and 51,000 of a 50/50 design: chi-square 9.901 on 1 degree of
 * freedom, p = 0.0016519 (scipy.stats.chisquare); three arms 3000, 3100,
 * 3900 of 30/30/40: p = 0.054114.
 */
static void
srm(void)
{
	double n2[] = { 50000, 51000 }, w2[] = { 0.5, 0.5 };
	double n3[] = { 3000, 3100, 3900 }, w3[] = { 0.3, 0.3, 0.4 };
	double big[] = { 1e7, 0 };
	double p;

	p = crm_ab_srm(n2, w2, 2);
	TAP_OK(near(p, 0.0016519, 1e-7), "SRM 50000/51000 of 50/50: %.7f", p);
	p = crm_ab_srm(n3, w3, 3);
	TAP_OK(near(p, 0.054114, 1e-6), "SRM of three arms: %.6f", p);
	p = crm_ab_srm(big, w2, 2);
	TAP_OK(p == 0, "SRM of a chi-square of 10^7: %g, no abort", p);
	TAP_OK(crm_ab_srm(n2, w2, 1) == 1 && crm_ab_srm(big + 1, w2, 1) == 1,
	    "SRM of one arm: 1");
	big[1] = NAN;
	TAP_OK(isnan(crm_ab_srm(big, w2, 2)), "SRM of a NAN count: NAN");
	big[1] = INFINITY;
	TAP_OK(isnan(crm_ab_srm(big, w2, 2)), "SRM of an endless count: NAN");
	big[1] = -1;
	TAP_OK(isnan(crm_ab_srm(big, w2, 2)), "SRM of a negative count: NAN");
}

/*
 * The mSPRT against a transcription of Johari, Pekelis and Walsh's
 * formulas in Python (tau2 1e-4, alpha 0.05): 120/1000 vs 100/1000,
 * p 0.869848, -0.040852 to 0.080852; 1300/10000 vs 1000/10000, p
 * 2.4447e-08, 0.016221 to 0.043779.  Then the API's own promises.
 */
static void
msprt(void)
{
	double pm = 1, lo = -INFINITY, hi = INFINITY, plo, phi;
	int agree = 1, k1, k0;

	crm_ab_msprt(120, 1000, 100, 1000, 1e-4, 0.95, &pm, &lo, &hi);
	TAP_OK(near(pm, 0.869848, 1e-6) && near(lo, -0.040852, 1e-6) &&
		   near(hi, 0.080852, 1e-6),
	    "mSPRT 120/1000 vs 100/1000: p %.6f, %.6f to %.6f", pm, lo, hi);
	plo = lo;
	phi = hi;
	crm_ab_msprt(1300, 10000, 1000, 10000, 1e-4, 0.95, &pm, &lo, &hi);
	TAP_OK(near(pm / 2.444705e-08, 1, 1e-5) && near(lo, 0.016221, 1e-6) &&
		   near(hi, 0.043779, 1e-6),
	    "mSPRT 1300/10000 vs 1000/10000: p %.5g, %.6f to %.6f", pm, lo, hi);
	TAP_OK(lo >= plo && hi <= phi, "the interval only narrows");
	/* the same effect the other way round: no difference in common */
	crm_ab_msprt(1000, 10000, 1300, 10000, 1e-4, 0.95, &pm, &lo, &hi);
	TAP_OK(near(pm / 2.444705e-08, 1, 1e-5),
	    "the p-value stays its least: %.5g", pm);
	TAP_OK(isnan(lo) && isnan(hi), "an empty intersection is NAN: %g to %g",
	    lo, hi);

	pm = 1;
	lo = -INFINITY;
	hi = INFINITY;
	crm_ab_msprt(0, 500, 0, 500, 1e-4, 0.95, &pm, &lo, &hi);
	crm_ab_msprt(3, 0, 0, 500, 1e-4, 0.95, &pm, &lo, &hi);
	TAP_OK(pm == 1 && isinf(lo) && isinf(hi), "a look with no variance "
						  "changes nothing");

	/* at one look, p < 0.05 exactly when the interval leaves out 0 */
	for (k1 = 0; k1 <= 300; k1 += 3)
		for (k0 = 0; k0 <= 300; k0 += 7) {
			pm = 1;
			lo = -INFINITY;
			hi = INFINITY;
			crm_ab_msprt(k1, 1000, k0, 1200, CRM_AB_TAU2, 0.95, &pm,
			    &lo, &hi);
			if ((pm < 0.05) != (lo > 0 || hi < 0))
				agree = 0;
		}
	TAP_OK(agree, "p < 0.05 iff the interval leaves out 0");
}

/*
 * The conversions of n customers at rate p: a binomial draw, the sum of
 * n Bernoulli draws of one customer each.
 */
static double
converted(gsl_rng *r, double p, unsigned n)
{
	return gsl_ran_binomial(r, p, n);
}

/*
 * The sequential false-positive run: customers arrive day by day (PER_ARM
 * per arm over DAYS days), both arms at 10% or treatment at 12%; the
 * mSPRT is looked at every day.  Returns whether it ever rejected 0 and,
 * in *cover, whether the interval held diff at every look.
 */
static int
daily(gsl_rng *r, double p1, double diff, int *cover)
{
	double k1 = 0, n1 = 0, k0 = 0, n0 = 0, pm = 1;
	double lo = -INFINITY, hi = INFINITY;
	unsigned d, m;

	*cover = 1;
	for (d = 0; d < DAYS; d++) {
		m = PER_ARM * (d + 1) / DAYS - PER_ARM * d / DAYS;
		k1 += converted(r, p1, m);
		k0 += converted(r, 0.10, m);
		n1 += m;
		n0 += m;
		crm_ab_msprt(k1, n1, k0, n0, CRM_AB_TAU2, 0.95, &pm, &lo, &hi);
		if (!(lo <= diff && diff <= hi))
			*cover = 0;
	}
	return pm < 0.05;
}

static void
simulate(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	unsigned seed, cover = 0, sig1 = 0, sig0 = 0, cover0 = 0;
	unsigned seqfp = 0, seqsig = 0, seqcover = 0, srm55 = 0, srm50 = 0;
	double k1, k0, lo, hi, n[2], w[2] = { 0.5, 0.5 };
	int c;

	if (r == NULL) {
		TAP_OK(0, "gsl_rng_alloc");
		return;
	}
	for (seed = 1; seed <= RUNS; seed++) {
		gsl_rng_set(r, seed);
		/* a true uplift of +0.02, looked at once */
		k1 = converted(r, 0.12, PER_ARM);
		k0 = converted(r, 0.10, PER_ARM);
		crm_ab_newcombe(k1, PER_ARM, k0, PER_ARM, 0.95, &lo, &hi);
		cover += lo <= 0.02 && 0.02 <= hi;
		sig1 += crm_ab_ztest(k1, PER_ARM, k0, PER_ARM) < 0.05;
		/* no difference, looked at once */
		k1 = converted(r, 0.10, PER_ARM);
		k0 = converted(r, 0.10, PER_ARM);
		crm_ab_newcombe(k1, PER_ARM, k0, PER_ARM, 0.95, &lo, &hi);
		cover0 += lo <= 0 && 0 <= hi;
		sig0 += crm_ab_ztest(k1, PER_ARM, k0, PER_ARM) < 0.05;
		/* every day, with no difference, then with +0.02 */
		seqfp += daily(r, 0.10, 0, &c);
		seqsig += daily(r, 0.12, 0.02, &c);
		seqcover += c;
		/* 2 * PER_ARM customers, 55% of them sent to one arm */
		n[0] = gsl_ran_binomial(r, 0.55, 2 * PER_ARM);
		n[1] = 2 * PER_ARM - n[0];
		srm55 += crm_ab_srm(n, w, 2) < 0.001;
		n[0] = gsl_ran_binomial(r, 0.50, 2 * PER_ARM);
		n[1] = 2 * PER_ARM - n[0];
		srm50 += crm_ab_srm(n, w, 2) < 0.001;
	}
	gsl_rng_free(r);

	printf("# %d runs of %d per arm, seeds 1..%d (mt19937):\n", RUNS,
	    PER_ARM, RUNS);
	printf("# 12%% vs 10%%: Newcombe 95%% covers +0.02 in %u (%.1f%%); "
	       "p < 0.05 in %u (%.1f%%)\n",
	    cover, 100.0 * cover / RUNS, sig1, 100.0 * sig1 / RUNS);
	printf("# 10%% vs 10%%: Newcombe covers 0 in %u (%.1f%%); p < 0.05 in "
	       "%u (%.1f%%)\n",
	    cover0, 100.0 * cover0 / RUNS, sig0, 100.0 * sig0 / RUNS);
	printf("# daily mSPRT over %d days, tau2 %g: 10%% vs 10%% p < 0.05 at "
	       "some look in %u (%.1f%%); 12%% vs 10%% in %u (%.1f%%), its "
	       "interval held +0.02 at every look in %u (%.1f%%)\n",
	    DAYS, CRM_AB_TAU2, seqfp, 100.0 * seqfp / RUNS, seqsig,
	    100.0 * seqsig / RUNS, seqcover, 100.0 * seqcover / RUNS);
	printf("# SRM p < 0.001: 45/55 split of 50/50 in %u (%.1f%%); a true "
	       "50/50 in %u (%.1f%%)\n",
	    srm55, 100.0 * srm55 / RUNS, srm50, 100.0 * srm50 / RUNS);

	TAP_OK(cover >= 0.91 * RUNS && cover <= 0.99 * RUNS,
	    "the 95%% interval covers the true uplift in 91-99%% of runs: "
	    "%u of %d",
	    cover, RUNS);
	TAP_OK(
	    sig1 > RUNS / 2, "p < 0.05 in most runs with the uplift: %u", sig1);
	TAP_OK(sig0 >= 0.02 * RUNS && sig0 <= 0.09 * RUNS,
	    "p < 0.05 in 2-9%% of runs with no difference: %u of %d", sig0,
	    RUNS);
	TAP_OK(seqfp < 0.05 * RUNS,
	    "looked at every day, false positives under 5%%: %u of %d", seqfp,
	    RUNS);
	TAP_OK(seqsig > RUNS / 2,
	    "looked at every day, the uplift found in "
	    "most runs: %u",
	    seqsig);
	TAP_OK(seqcover >= 0.95 * RUNS,
	    "the always-valid interval held at every look in 95%%: %u",
	    seqcover);
	TAP_OK(srm55 == RUNS, "a 45/55 split of a 50/50 design flagged: %u",
	    srm55);
	TAP_OK(srm50 <= 0.02 * RUNS, "a true 50/50 flagged in 2%% at most: %u",
	    srm50);
}

int
main(void)
{
	distributions();
	wilson();
	newcombe();
	ratio();
	ztest();
	holm();
	srm();
	msprt();
	simulate();
	return tap_done();
}
