/*
 * test_gbt: unit tests for the gradient-boosted trees (lib/gbt.c) and
 * their reasons through binclf (lib/binclf.c): TreeSHAP adds up to the
 * log-odds, the one field that matters is named first, the same model
 * bytes for any number of threads, damaged bytes refused, probabilities
 * Platt-scaled while the reasons stay raw, a version 1 model read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "binclf.h"
#include "buf.h"
#include "gbt.h"
#include "rec.h"
#include "tap.h"

#define N 400

/*
 * A hand-made set: plan (categorical) decides churn, months and noise
 * (numeric) and color (categorical) do not.
 */
static struct crm_binclf_set *
made_set(void)
{
	static const char *const plans[] = { "monthly", "yearly", "two-year" };
	static const char *const colors[] = { "red", "green", "blue", "grey" };
	struct crm_binclf_set *s = crm_binclf_set_new();
	struct crm_rec *r = crm_rec_new();
	unsigned long x = 12345;
	char num[32];
	size_t i;
	int n, plan, y;

	for (i = 0; i < N; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		plan = (int)((x >> 33) % 3);
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		/* monthly churns 85%, the others 10% */
		y = (int)((x >> 33) % 100) < (plan == 0 ? 85 : 10);
		crm_rec_clear(r);
		crm_rec_add(
		    r, "plan", 4, plans[plan], strlen(plans[plan]), CRM_STRING);
		n = snprintf(num, sizeof(num), "%lu", (x >> 20) % 60);
		crm_rec_add(r, "months", 6, num, (size_t)n, CRM_NUMBER);
		n = snprintf(num, sizeof(num), "%.3f",
		    (double)((x >> 11) % 1000) / 1000);
		crm_rec_add(r, "noise", 5, num, (size_t)n, CRM_NUMBER);
		crm_rec_add(r, "color", 5, colors[(x >> 40) % 4],
		    strlen(colors[(x >> 40) % 4]), CRM_STRING);
		crm_binclf_set_add(s, r, y);
	}
	crm_rec_free(r);
	return s;
}

static struct crm_binclf *
fit(const struct crm_binclf_set *s, int threads)
{
	struct crm_binclf_params p = { CRM_ALGO_GBT, 1, 7, { 0, 0 }, threads };
	struct crm_err e;
	struct crm_binclf *m;

	crm_err_clear(&e);
	if ((m = crm_binclf_fit(s, 0, 0, &p, &e)) == NULL)
		printf("# %s\n", e.msg);
	return m;
}

static void
test_shap(void)
{
	struct crm_binclf_set *s = made_set();
	struct crm_binclf *m = fit(s, 1), *m2, *back;
	struct crm_buf b1, b2;
	struct crm_contrib why[4];
	struct crm_err e;
	const struct crm_tab *t;
	double *x, *phi, sum, worst = 0;
	size_t i, j, w, first = 0, total = 0;
	const char *col;

	TAP_OK(m != NULL, "trained");
	if (m == NULL)
		return;
	t = crm_binclf_tab(m);
	w = crm_tab_width(t);
	x = calloc(w, sizeof(*x));
	phi = calloc(w + 1, sizeof(*phi));
	/* the contributions through gbt.h directly: their sum is the margin */
	{
		struct crm_buf blob;
		struct crm_in in;
		struct crm_gbt *g, *g1;
		size_t i0;

		crm_buf_init(&blob);
		crm_binclf_save(m, &blob);
		/*
		 * the trees are the blob's tail: width, rounds, length, the
		 * bytes, their checksum and the calibration's two doubles
		 */
		for (i = 8; i + 12 <= blob.len; i++) {
			uint32_t v[3];

			memcpy(v, blob.p + i, sizeof(v));
			if (v[0] == w && v[1] > 0 && v[1] < 2000 &&
			    i + 12 + v[2] + 8 + 16 == blob.len)
				break;
		}
		i0 = i;
		in.p = (const unsigned char *)blob.p + i;
		in.left = blob.len - i;
		in.bad = 0;
		crm_err_clear(&e);
		g = crm_gbt_load(&in, w, 2, &e);
		TAP_OK(g != NULL, "the trees load from the blob: %s", e.msg);
		for (i = 0; g != NULL && i < crm_tab_rows(t); i++) {
			crm_tab_row(t, i, x);
			crm_gbt_contribs(g, x, phi);
			for (j = 0, sum = 0; j <= w; j++)
				sum += phi[j];
			sum -= crm_gbt_margin(g, x);
			if (fabs(sum) > worst)
				worst = fabs(sum);
			if (fabs(crm_gbt_margin(g, x) -
				 crm_binclf_logodds(m, x)) > 1e-6)
				worst = 1;
		}
		TAP_OK(worst < 1e-4,
		    "every record: contributions + base value = raw margin "
		    "(worst %.2g)",
		    worst);
		/* the probability is the calibrated margin's */
		for (i = 0, worst = 0; g != NULL && i < crm_tab_rows(t); i++) {
			double z;

			crm_tab_row(t, i, x);
			z = crm_gbt_calibrated(g, crm_gbt_margin(g, x));
			worst = fmax(worst,
			    fabs(crm_binclf_prob(m, x) - 1 / (1 + exp(-z))));
		}
		TAP_OK(
		    g != NULL && worst < 1e-12 && crm_gbt_calibrated(g, 1) != 1,
		    "P(yes) = sigmoid(a margin + b), a Platt scaling that "
		    "moves it: %.4f for a margin of 1",
		    g != NULL ? crm_gbt_calibrated(g, 1) : 0);
		/* a calibration that would turn the ranking round: damaged */
		{
			double neg = -1;
			struct crm_binclf *bad;

			memcpy(blob.p + blob.len - 16, &neg, sizeof(neg));
			crm_err_clear(&e);
			bad = crm_binclf_load(blob.p, blob.len, &e);
			TAP_OK(bad == NULL && e.code == EX_DATAERR,
			    "a negative calibration slope is refused: %s",
			    e.msg);
			crm_binclf_free(bad);
		}
		/* a version 1 blob (no calibration) is read, uncalibrated */
		in.p = (const unsigned char *)blob.p + i0;
		in.left = blob.len - i0 - 16;
		in.bad = 0;
		g1 = crm_gbt_load(&in, w, 1, &e);
		TAP_OK(g1 != NULL && in.left == 0 &&
			   crm_gbt_calibrated(g1, 0.75) == 0.75,
		    "a version 1 gbt model loads, uncalibrated");
		crm_gbt_free(g1);
		memcpy(blob.p, "CRMBIN01", 8);
		blob.len -= 16;
		back = crm_binclf_load(blob.p, blob.len, &e);
		crm_tab_row(t, 0, x);
		TAP_OK(back != NULL &&
			   crm_binclf_prob(back, x) ==
			       1 / (1 + exp(-crm_binclf_logodds(m, x))),
		    "a CRMBIN01 model: its probability is the raw "
		    "log-odds': %s",
		    back != NULL ? "yes" : e.msg);
		crm_binclf_free(back);
		crm_gbt_free(g);
		crm_buf_release(&blob);
	}
	/* the one field that matters is named first where it raised churn */
	for (j = 0; j < w && strcmp(crm_tab_name(t, j), "plan=monthly"); j++)
		;
	for (i = 0; j < w && i < crm_tab_rows(t); i++) {
		crm_tab_row(t, i, x);
		if (x[j] != 1 || crm_binclf_reasons(m, x, why, 4) == 0)
			continue;
		total++;
		col = crm_tab_column_name(t, why[0].col);
		first += strcmp(col, "plan") == 0;
	}
	TAP_OK(total > N / 5 && first * 10 >= total * 9,
	    "plan first in %zu of %zu monthly records", first, total);

	/* the same bytes on 1 and 2 threads */
	crm_buf_init(&b1);
	crm_buf_init(&b2);
	m2 = fit(s, 2);
	TAP_OK(m2 != NULL && crm_binclf_save(m, &b1) == 0 &&
		   crm_binclf_save(m2, &b2) == 0 && b1.len == b2.len &&
		   memcmp(b1.p, b2.p, b1.len) == 0,
	    "the same model bytes on 1 and 2 threads (%zu bytes)", b1.len);
	crm_err_clear(&e);
	back = crm_binclf_load(b1.p, b1.len, &e);
	crm_tab_row(t, 0, x);
	TAP_OK(back != NULL && crm_binclf_algo(back) == CRM_ALGO_GBT &&
		   crm_binclf_prob(back, x) == crm_binclf_prob(m, x),
	    "loaded back, the same probability");
	crm_binclf_free(back);
	/* scoring on 2 threads: the same figures as on one */
	{
		size_t n = crm_tab_rows(t);
		double *all = calloc(n * w, sizeof(*all));
		double *p1 = calloc(n, sizeof(*p1)),
		       *p2 = calloc(n, sizeof(*p2));
		double *f1 = calloc(n * (w + 1), sizeof(*f1));
		double *f2 = calloc(n * (w + 1), sizeof(*f2));

		for (i = 0; i < n; i++)
			crm_tab_row(t, i, all + i * w);
		crm_err_clear(&e);
		TAP_OK(crm_binclf_batch(m, all, n, p1, f1) == 0 &&
			   crm_binclf_threads(m, 2, &e) == 0 &&
			   crm_binclf_batch(m, all, n, p2, f2) == 0 &&
			   memcmp(p1, p2, n * sizeof(*p1)) == 0 &&
			   memcmp(f1, f2, n * (w + 1) * sizeof(*f1)) == 0,
		    "scores and contributions the same on 1 and 2 threads");
		free(all);
		free(p1);
		free(p2);
		free(f1);
		free(f2);
	}
	/* gbt.h itself, threads shared even for a small set */
	{
		struct crm_gbt_params gp;
		struct crm_gbt *g1, *g2;
		struct crm_buf c1, c2;
		double *all = calloc(crm_tab_rows(t) * w, sizeof(*all));

		crm_gbt_params_init(&gp);
		gp.share_from = 0;
		for (i = 0; i < crm_tab_rows(t); i++)
			crm_tab_row(t, i, all + i * w);
		crm_buf_init(&c1);
		crm_buf_init(&c2);
		gp.threads = 1;
		g1 = crm_gbt_train(
		    all, crm_binclf_set_labels(s), crm_tab_rows(t), w, &gp, &e);
		gp.threads = 2;
		g2 = crm_gbt_train(
		    all, crm_binclf_set_labels(s), crm_tab_rows(t), w, &gp, &e);
		TAP_OK(g1 != NULL && g2 != NULL && crm_gbt_save(g1, &c1) == 0 &&
			   crm_gbt_save(g2, &c2) == 0 && c1.len == c2.len &&
			   memcmp(c1.p, c2.p, c1.len) == 0,
		    "gbt.h: the same bytes on 1 and 2 threads (%zu bytes)",
		    c1.len);
		crm_gbt_free(g1);
		crm_gbt_free(g2);
		crm_buf_release(&c1);
		crm_buf_release(&c2);
		free(all);
	}
	/* a byte changed in the trees: refused before XGBoost reads it */
	b1.p[b1.len - 40] ^= 0x10;
	crm_err_clear(&e);
	back = crm_binclf_load(b1.p, b1.len, &e);
	TAP_OK(back == NULL && e.code == EX_DATAERR &&
		   strstr(e.msg, "damaged") != NULL,
	    "a damaged model is refused: %s", e.msg);
	crm_binclf_free(back);
	crm_buf_release(&b1);
	crm_buf_release(&b2);
	crm_binclf_free(m);
	crm_binclf_free(m2);
	crm_binclf_set_free(s);
	free(x);
	free(phi);
}

static void
test_auto(void)
{
	struct crm_binclf_set *s = made_set();
	struct crm_binclf_params p = { CRM_ALGO_AUTO, 1, 1, { 0, 0 }, 1 };
	struct crm_binclf *m;
	struct crm_err e;
	double lr, gbt;

	crm_err_clear(&e);
	m = crm_binclf_fit(s, 0, 0, &p, &e);
	TAP_OK(
	    m != NULL && crm_binclf_auto(m, &lr, &gbt) == 1 && lr > 0.5 &&
		gbt > 0.5 &&
		crm_binclf_algo(m) == (gbt > lr ? CRM_ALGO_GBT : CRM_ALGO_LR),
	    "auto picks the better mean AUC (lr %.3f, gbt %.3f)", m ? lr : 0,
	    m ? gbt : 0);
	crm_binclf_free(m);
	crm_binclf_set_free(s);
}

int
main(void)
{
	test_shap();
	test_auto();
	return tap_done();
}
