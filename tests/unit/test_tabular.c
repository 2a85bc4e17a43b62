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

static void
test_reliability(void)
{
	static const double p[] = { 0.05, 0.02, 0.95, 1.0, 0.55, 0.5, 0.58 };
	static const int y[] = { 0, 1, 1, 1, 0, 1, 1 };
	struct crm_reliability_bin b[10];

	crm_reliability(p, y, 7, 10, b);
	TAP_OK(b[0].n == 2 && fabs(b[0].mean_prob - 0.035) < 1e-12 &&
		   b[0].rate == 0.5,
	    "bin 0: 2 records, mean 0.035, rate 0.5");
	TAP_OK(b[5].n == 3 && fabs(b[5].mean_prob - 0.5433333333) < 1e-9 &&
		   fabs(b[5].rate - 2.0 / 3) < 1e-12,
	    "0.5 falls in [0.5, 0.6)");
	TAP_OK(b[9].n == 2 && b[9].rate == 1, "1.0 falls in the last bin");
	TAP_OK(b[3].n == 0 && isnan(b[3].mean_prob) && isnan(b[3].rate), "an "
									 "empty"
									 " bin:"
									 " Na"
									 "N");
}

/* A record of an id (words), a charge (numbers), a plan, churn. */
static struct crm_rec *
id_row(struct crm_rec *r, size_t i, const char *id)
{
	char num[32], cid[32];
	const char *plan = i % 3 ? "basic" : "pro";

	crm_rec_clear(r);
	snprintf(cid, sizeof(cid), "%04zu-ABCD", i);
	if (id == NULL)
		id = cid;
	crm_rec_add(r, "customerID", 10, id, strlen(id), CRM_STRING);
	snprintf(num, sizeof(num), "%zu.%02zu", 20 + i, i * 7 % 100);
	crm_rec_add(r, "charges", 7, num, strlen(num), CRM_STRING);
	crm_rec_add(r, "plan", 4, plan, strlen(plan), CRM_STRING);
	crm_rec_add(
	    r, "churn", 5, i % 2 ? "yes" : "no", i % 2 ? 3 : 2, CRM_STRING);
	return r;
}

/* An id is left out, unless forced categorical; all-distinct numbers stay. */
static void
test_ids(void)
{
	struct crm_tab *t = crm_tab_new(), *t2 = crm_tab_new(),
		       *t3 = crm_tab_new(), *t4 = crm_tab_new();
	struct crm_rec *r = crm_rec_new();
	struct crm_err e;
	size_t i, first, n;

	crm_err_clear(&e);
	crm_tab_set_type(t, "churn", CRM_COL_IGNORE);
	crm_tab_set_type(t2, "churn", CRM_COL_IGNORE);
	crm_tab_set_type(t2, "customerID", CRM_COL_CATEGORICAL);
	crm_tab_set_type(t3, "churn", CRM_COL_IGNORE);
	crm_tab_set_type(t4, "churn", CRM_COL_IGNORE);
	for (i = 0; i < 12; i++) {
		crm_tab_add(t, id_row(r, i, NULL));
		crm_tab_add(t2, r);
		/* one blank id: not a different value in every record */
		crm_tab_add(t3, id_row(r, i, i == 5 ? "" : NULL));
		if (i < 9) /* too few records to tell */
			crm_tab_add(t4, id_row(r, i, NULL));
	}
	TAP_OK(crm_tab_fit(t, &e) == 0 && crm_tab_fit(t2, &e) == 0 &&
		   crm_tab_fit(t3, &e) == 0 && crm_tab_fit(t4, &e) == 0,
	    "fitted");
	/* columns: churn (typed first), customerID, charges, plan */
	TAP_STR(crm_tab_column_name(t, 1), "customerID", "column 1 is the id");
	crm_tab_column_range(t, 1, &first, &n);
	TAP_OK(crm_tab_is_id(t, 1) && n == 0, "the id is left out");
	TAP_OK(!crm_tab_is_id(t, 0), "an ignored field is no id");
	crm_tab_column_range(t, 2, &first, &n);
	TAP_OK(!crm_tab_is_id(t, 2) && n == 1, "all-distinct charges stay");
	TAP_OK(!crm_tab_is_id(t, 3) && crm_tab_width(t) == 3,
	    "the plan stays: width %zu", crm_tab_width(t));
	crm_tab_column_range(t2, 1, &first, &n);
	TAP_OK(!crm_tab_is_id(t2, 1) && n == 12, "--categorical keeps it");
	TAP_OK(!crm_tab_is_id(t3, 1), "a blank value: not an id");
	TAP_OK(!crm_tab_is_id(t4, 1), "9 records: too few to tell");
	crm_tab_free(t);
	crm_tab_free(t2);
	crm_tab_free(t3);
	crm_tab_free(t4);
	crm_rec_free(r);
}

/* 300 months: five quantile bins, none with crm_tab_no_bins */
static void
test_bins(void)
{
	struct crm_tab *t = crm_tab_new(), *nb = crm_tab_new();
	struct crm_rec *r = crm_rec_new();
	struct crm_err e;
	char num[16];
	double x[8];
	size_t i;

	crm_err_clear(&e);
	crm_tab_set_type(t, "churn", CRM_COL_IGNORE);
	crm_tab_set_type(nb, "churn", CRM_COL_IGNORE);
	crm_tab_no_bins(nb);
	for (i = 0; i < 300; i++) {
		snprintf(num, sizeof(num), "%zu", i);
		crm_tab_add(t, row(r, "basic", num, 0));
		crm_tab_add(nb, r);
	}
	TAP_OK(crm_tab_fit(t, &e) == 0 && crm_tab_fit(nb, &e) == 0, "fitted");
	/* plan=basic, months, then the bins */
	TAP_OK(crm_tab_width(t) == 7 && crm_tab_width(nb) == 2,
	    "widths %zu with bins, %zu without", crm_tab_width(t),
	    crm_tab_width(nb));
	crm_tab_row(nb, 299, x);
	TAP_OK(x[1] > 1.7 && x[1] < 1.8, "without bins the value stays: %.3f",
	    x[1]);
	crm_tab_free(t);
	crm_tab_free(nb);
	crm_rec_free(r);
}

int
main(void)
{
	test_bins();
	test_metrics();
	test_reliability();
	test_ids();
	test_encoding();
	test_model();
	return tap_done();
}
