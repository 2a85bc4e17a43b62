/*
 * test_tabular: unit tests for the tabular encoding (lib/tabular.c), the
 * yes/no classifier (lib/binclf.c) and the yes/no metrics
 * (lib/metrics.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "binclf.h"
#include "buf.h"
#include "metrics.h"
#include "rec.h"
#include "tabular.h"
#include "tap.h"

/* A record of plan (categorical), months (numeric) and churn. */
static struct crm_rec *
row(struct crm_rec *r, const char *plan, const char *months, int churn)
{
	crm_rec_clear(r);
	crm_rec_add(r, "plan", 4, plan, strlen(plan), CRM_STRING);
	if (months != NULL)
		crm_rec_add(r, "months", 6, months, strlen(months), CRM_STRING);
	crm_rec_add(
	    r, "churn", 5, churn ? "yes" : "no", churn ? 3 : 2, CRM_STRING);
	return r;
}

static void
test_metrics(void)
{
	/* scikit-learn: roc_auc_score = 0.75, average_precision = 0.8333 */
	static const double p[] = { 0.1, 0.4, 0.35, 0.8 };
	static const int y[] = { 0, 0, 1, 1 };
	static const double tied[] = { 0.5, 0.5, 0.5, 0.5 };
	struct crm_binmetrics m;

	crm_binary_metrics(p, y, 4, &m);
	TAP_OK(fabs(m.auc - 0.75) < 1e-12, "AUC as scikit-learn: %g", m.auc);
	TAP_OK(fabs(m.pr_auc - 5.0 / 6) < 1e-12, "average precision: %g",
	    m.pr_auc);
	TAP_OK(fabs(m.brier - (0.01 + 0.16 + 0.4225 + 0.04) / 4) < 1e-12, "Brie"
									  "r "
									  "scor"
									  "e");
	crm_binary_metrics(tied, y, 4, &m);
	TAP_OK(m.auc == 0.5, "ties count half");
}

static void
test_encoding(void)
{
	struct crm_tab *t = crm_tab_new();
	struct crm_rec *r = crm_rec_new();
	struct crm_err e;
	double x[16];
	size_t w, i;

	crm_err_clear(&e);
	crm_tab_set_type(t, "churn", CRM_COL_IGNORE);
	crm_tab_add(t, row(r, "basic", "1", 1));
	crm_tab_add(t, row(r, "pro", "3", 0));
	crm_tab_add(t, row(r, "basic", " ", 0));
	crm_tab_add(t, row(r, "basic", "5", 1));
	TAP_OK(crm_tab_fit(t, &e) == 0, "fitted");
	w = crm_tab_width(t);
	/* plan=basic, plan=pro, months, months missing (no bins: few) */
	TAP_OK(w == 4, "width 4: %zu", w);
	for (i = 0; i < w && i < 4; i++)
		printf("# feature %zu: %s\n", i, crm_tab_name(t, i));
	TAP_STR(crm_tab_name(t, 0), "plan=basic", "one-hot name");
	TAP_STR(crm_tab_name(t, 3), "months missing", "missing flag name");
	crm_tab_encode(t, row(r, "pro", "3", 0), 1, x, &e);
	TAP_OK(x[0] == 0 && x[1] == 1 && fabs(x[2]) < 1e-12 && x[3] == 0,
	    "3 is the mean of 1, 3, 5: z = 0");
	crm_tab_encode(t, row(r, "gold", "", 0), 1, x, &e);
	TAP_OK(x[0] == 0 && x[1] == 0 && x[2] == 0 && x[3] == 1, "unseen "
								 "category: "
								 "none; blank "
								 "number: mean "
								 "and flag");
	TAP_OK(crm_tab_encode(t, row(r, "pro", "abc", 0), 1, x, &e) == -1 &&
		   e.code == 65,
	    "a number that is not: %s", e.msg);
	TAP_OK(crm_tab_encode(t, row(r, "pro", NULL, 0), 1, x, &e) == -1 &&
		   strcmp(e.field, "months") == 0,
	    "a needed field missing: %s", e.msg);
	crm_tab_free(t);
	crm_rec_free(r);
}

static void
test_model(void)
{
	static const char *const plans[] = { "basic", "pro", "basic", "pro",
		"basic", "basic", "pro", "pro" };
	static const char *const months[] = { "1", "20", "2", "30", "3", "25",
		"4", "22" };
	static const int churn[] = { 1, 0, 1, 0, 1, 0, 1, 0 };
	struct crm_binclf_params p = { CRM_ALGO_LR, 1, 1, { 0, 0 }, 0 };
	struct crm_tab *t = crm_tab_new();
	struct crm_rec *r = crm_rec_new();
	struct crm_binclf *m, *m2;
	struct crm_contrib why[2];
	struct crm_buf b;
	struct crm_err e;
	double x[8], pa, pb;
	size_t i, n;

	crm_err_clear(&e);
	crm_buf_init(&b);
	crm_tab_set_type(t, "churn", CRM_COL_IGNORE);
	for (i = 0; i < 8; i++)
		crm_tab_add(t, row(r, plans[i], months[i], churn[i]));
	crm_tab_fit(t, &e);
	m = crm_binclf_train(t, churn, 8, &p, &e);
	TAP_OK(m != NULL, "trained");
	crm_tab_encode(crm_binclf_tab(m), row(r, "basic", "2", 0), 1, x, &e);
	pa = crm_binclf_prob(m, x);
	n = crm_binclf_reasons(m, x, why, 2);
	TAP_OK(
	    n >= 1 && strcmp(crm_tab_column_name(crm_binclf_tab(m), why[0].col),
			  "months") == 0,
	    "a new customer's first reason is months");
	crm_tab_encode(crm_binclf_tab(m), row(r, "pro", "28", 0), 1, x, &e);
	pb = crm_binclf_prob(m, x);
	TAP_OK(pa > 0.5 && pb < 0.5, "new churns (%.3f), old stays (%.3f)", pa,
	    pb);
	TAP_OK(crm_binclf_save(m, &b) == 0, "saved");
	m2 = crm_binclf_load(b.p, b.len, &e);
	TAP_OK(m2 != NULL && fabs(crm_binclf_prob(m2, x) - pb) < 1e-12, "loaded"
									" model"
									" score"
									"s "
									"alik"
									"e");
	TAP_OK(crm_binclf_load(b.p, b.len - 3, &e) == NULL,
	    "a cut model is refused: %s", e.msg);
	crm_binclf_free(m);
	crm_binclf_free(m2);
	crm_buf_release(&b);
	crm_rec_free(r);
}

int
main(void)
{
	test_metrics();
	test_encoding();
	test_model();
	return tap_done();
}
