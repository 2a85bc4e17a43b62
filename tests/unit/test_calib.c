/*
 * test_calib: unit tests for Platt scaling (lib/calib.c): it finds the
 * slope and intercept that made the labels, stays finite on separable
 * scores, and refuses one label.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "calib.h"
#include "tap.h"

#define N 20000

/* A uniform number in [0, 1) from the state s (an LCG, for the test). */
static double
uniform(unsigned long *s)
{
	*s = *s * 6364136223846793005UL + 1442695040888963407UL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

int
main(void)
{
	static double z[N];
	static int y[N];
	unsigned long s = 42;
	double a, b;
	size_t i;

	/* labels drawn with P(yes) = sigmoid(2 z - 1) */
	for (i = 0; i < N; i++) {
		z[i] = 4 * uniform(&s) - 2;
		y[i] = uniform(&s) < 1 / (1 + exp(-(2 * z[i] - 1)));
	}
	TAP_OK(crm_platt_fit(z, y, N, &a, &b) == 0 && fabs(a - 2) < 0.15 &&
		   fabs(b + 1) < 0.1,
	    "finds the curve that drew the labels: a=%.3f b=%.3f", a, b);

	/* separable: finite, increasing, not a step */
	for (i = 0; i < 40; i++) {
		z[i] = (double)i - 19.5;
		y[i] = z[i] > 0;
	}
	TAP_OK(crm_platt_fit(z, y, 40, &a, &b) == 0 && isfinite(a) && a > 0 &&
		   1 / (1 + exp(-(a * 19.5 + b))) < 1,
	    "separable scores: a finite slope (a=%.3f b=%.3f)", a, b);

	/* a score that falls with yes: refused, no change */
	for (i = 0; i < 40; i++)
		y[i] = z[i] < 0;
	TAP_OK(crm_platt_fit(z, y, 40, &a, &b) == -1 && a == 1 && b == 0,
	    "a falling curve is refused, a=1 b=0");

	/* one label only, or nothing */
	for (i = 0; i < 40; i++)
		y[i] = 1;
	TAP_OK(crm_platt_fit(z, y, 40, &a, &b) == -1 && a == 1 && b == 0,
	    "one label: refused, a=1 b=0");
	TAP_OK(crm_platt_fit(z, y, 0, &a, &b) == -1, "no records: refused");
	return tap_done();
}
