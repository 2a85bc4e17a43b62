/*
 * calib: Platt scaling.  Two parameters, so Newton's method with a step
 * halved until the loss falls (Lin, Lin and Weng, "A note on Platt's
 * probabilistic outputs for support vector machines", 2007) is a few
 * lines; liblinear, which we link, would penalize the intercept.
 */
#include <math.h>

#include "calib.h"

/* The log loss of sigmoid(a z + b) against the targets t+ and t-. */
static double
loss(const double *z, const int *y, size_t n, double tp, double tn, double a,
    double b)
{
	double s = 0, f, t;
	size_t i;

	for (i = 0; i < n; i++) {
		f = a * z[i] + b;
		t = y[i] ? tp : tn;
		/* log(1 + e^f) - t f, stable for either sign of f */
		s += (f > 0 ? f + log1p(exp(-f)) : log1p(exp(f))) - t * f;
	}
	return s;
}

int
crm_platt_fit(const double *z, const int *y, size_t n, double *a, double *b)
{
	double npos = 0, tp, tn, cur, next, step, da, db;
	double g0, g1, h00, h01, h11, det, p, t, w;
	size_t i;
	int it;

	*a = 1;
	*b = 0;
	for (i = 0; i < n; i++)
		npos += y[i] != 0;
	if (npos == 0 || npos == (double)n)
		return -1;
	tp = (npos + 1) / (npos + 2);
	tn = 1 / ((double)n - npos + 2);
	cur = loss(z, y, n, tp, tn, *a, *b);
	for (it = 0; it < 100; it++) {
		g0 = g1 = h01 = 0;
		h00 = h11 = 1e-12; /* invertible */
		for (i = 0; i < n; i++) {
			p = 1 / (1 + exp(-(*a * z[i] + *b)));
			t = y[i] ? tp : tn;
			w = p * (1 - p);
			g0 += (p - t) * z[i];
			g1 += p - t;
			h00 += w * z[i] * z[i];
			h01 += w * z[i];
			h11 += w;
		}
		if (fabs(g0) < 1e-9 && fabs(g1) < 1e-9)
			break;
		det = h00 * h11 - h01 * h01;
		if (!(det > 0))
			break;
		da = (h11 * g0 - h01 * g1) / det;
		db = (h00 * g1 - h01 * g0) / det;
		for (step = 1; step > 1e-10; step /= 2) {
			next = loss(
			    z, y, n, tp, tn, *a - step * da, *b - step * db);
			if (next < cur + 1e-4 * step * (g0 * -da + g1 * -db))
				break;
		}
		if (!(step > 1e-10))
			break;
		*a -= step * da;
		*b -= step * db;
		cur = next;
	}
	if (!(*a > 0) || !isfinite(*a) || !isfinite(*b)) {
		*a = 1;
		*b = 0;
		return -1;
	}
	return 0;
}
