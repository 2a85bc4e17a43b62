/*
 * test_binclf_cv: unit tests for k-fold cross-validation of the yes/no
 * classifier (crm_binclf_set, crm_binclf_fit, crm_binclf_cv and
 * crm_binclf_cv_mean in lib/binclf.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "binclf.h"
#include "metrics.h"
#include "rec.h"
#include "tabular.h"
#include "tap.h"

#define N 23 /* not a multiple of the folds */
#define K 5

/* Row i: a noisy, learnable label from a number and a category. */
static int
label_of(size_t i)
{
	return (int)((i * 37 % 23 > 11) ^ (i % 7 == 0));
}

static void
make_row(struct crm_rec *r, size_t i)
{
	char num[32], id[32];
	static const char *const plan[] = { "basic", "plus", "pro" };

	crm_rec_clear(r);
	snprintf(id, sizeof(id), "c%zu", i);
	snprintf(num, sizeof(num), "%zu", i * 37 % 23);
	crm_rec_add(r, "customer_id", 11, id, strlen(id), CRM_STRING);
	crm_rec_add(r, "x", 1, num, strlen(num), CRM_NUMBER);
	crm_rec_add(r, "plan", 4, plan[i % 3], strlen(plan[i % 3]), CRM_STRING);
	crm_rec_add(r, "churn", 5, label_of(i) ? "yes" : "no",
	    label_of(i) ? 3 : 2, CRM_STRING);
}

/* A set of n rows, built with label() (NULL: label_of). */
static struct crm_binclf_set *
make_set(size_t n, int (*label)(size_t))
{
	struct crm_binclf_set *s = crm_binclf_set_new();
	struct crm_rec *r = crm_rec_new();
	size_t i;

	crm_binclf_set_type(s, "churn", CRM_COL_IGNORE);
	crm_binclf_set_type(s, "customer_id", CRM_COL_IGNORE);
	for (i = 0; i < n; i++) {
		make_row(r, i);
		crm_binclf_set_add(s, r, label ? label(i) : label_of(i));
	}
	crm_rec_free(r);
	return s;
}

static int
same_metrics(const struct crm_binmetrics *a, const struct crm_binmetrics *b)
{
	return a->n == b->n && a->pos == b->pos &&
	       (a->auc == b->auc || (isnan(a->auc) && isnan(b->auc))) &&
	       (a->pr_auc == b->pr_auc ||
		   (isnan(a->pr_auc) && isnan(b->pr_auc))) &&
	       a->log_loss == b->log_loss && a->brier == b->brier &&
	       a->lift10 == b->lift10;
}

static void
test_fold_assignment(void)
{
	struct crm_binclf_params p = { CRM_ALGO_LR, 1, 1, { 0, 0 }, 0 };
	struct crm_binmetrics fm[K], fm2[K], fm3[K];
	struct crm_binclf_set *s = make_set(N, NULL);
	double prob[N], prob2[N];
	size_t i, f, total = 0, bad = 0;
	struct crm_err e;
	int ok;

	crm_err_clear(&e);
	for (i = 0; i < 3 * K; i++)
		bad += crm_binclf_fold(i, K) != i % K;
	TAP_OK(bad == 0, "the fold of row i is i mod k");
	for (i = 0; i < N; i++)
		prob[i] = NAN;
	ok = crm_binclf_cv(s, K, &p, fm, prob, &e) == 0;
	TAP_OK(ok, "cross-validation runs: %s", e.msg);
	for (i = 0, bad = 0; i < N; i++)
		bad += isnan(prob[i]);
	TAP_OK(bad == 0, "every row is scored in a test fold (%zu not)", bad);
	for (f = 0; f < K; f++)
		total += fm[f].n;
	TAP_OK(total == N, "the folds' rows add up to the rows: %zu", total);
	for (f = 0, bad = 0; f < K; f++) {
		size_t n = 0, pos = 0;

		for (i = f; i < N; i += K) {
			n++;
			pos += (size_t)label_of(i);
		}
		bad += fm[f].n != n || fm[f].pos != pos;
	}
	TAP_OK(bad == 0, "fold f tests exactly rows i with i mod k == f, not "
			 "stratified");

	/* the same seed, the same folds and figures; another seed, the
	   same folds */
	crm_binclf_cv(s, K, &p, fm2, prob2, &e);
	for (f = 0, bad = 0; f < K; f++)
		bad += !same_metrics(&fm[f], &fm2[f]);
	TAP_OK(bad == 0 && memcmp(prob, prob2, sizeof(prob)) == 0, "determinist"
								   "ic for a "
								   "seed");
	p.seed = 12345;
	crm_binclf_cv(s, K, &p, fm3, NULL, &e);
	for (f = 0, bad = 0; f < K; f++)
		bad += fm3[f].n != fm[f].n || fm3[f].pos != fm[f].pos;
	TAP_OK(bad == 0, "the folds do not depend on the seed");
	crm_binclf_set_free(s);
}

static void
test_held_out(void)
{
	struct crm_binclf_params p = { CRM_ALGO_LR, 1, 1, { 0, 0 }, 0 };
	struct crm_binclf_set *s = make_set(N, NULL);
	struct crm_binmetrics fm[K], m;
	struct crm_binclf *fold_model[K], *all;
	struct crm_rec *r = crm_rec_new();
	double prob[N], x[64], fp[N];
	int fy[N];
	size_t i, f, n, bad = 0, differ = 0;
	struct crm_err e;

	crm_err_clear(&e);
	crm_binclf_cv(s, K, &p, fm, prob, &e);
	for (f = 0; f < K; f++)
		fold_model[f] = crm_binclf_fit(s, K, f, &p, &e);
	all = crm_binclf_fit(s, 0, 0, &p, &e);
	TAP_OK(all != NULL && crm_tab_rows(crm_binclf_tab(all)) == N, "k = 0 "
								      "trains "
								      "on "
								      "every "
								      "row");
	TAP_OK(fold_model[0] != NULL &&
		   crm_tab_rows(crm_binclf_tab(fold_model[0])) == N - 5,
	    "a fold's model trains on the other folds' rows");
	for (i = 0; i < N; i++) {
		struct crm_binclf *m1 = fold_model[i % K];

		make_row(r, i);
		crm_tab_encode(crm_binclf_tab(m1), r, 0, x, &e);
		bad += fabs(crm_binclf_prob(m1, x) - prob[i]) > 1e-12;
		crm_tab_encode(crm_binclf_tab(all), r, 0, x, &e);
		differ += fabs(crm_binclf_prob(all, x) - prob[i]) > 1e-6;
	}
	TAP_OK(bad == 0, "row i is scored by the model of its fold");
	TAP_OK(differ > 0, "held-out scores are not the scores of a model "
			   "trained on all rows");
	for (f = 0, bad = 0; f < K; f++) {
		for (i = f, n = 0; i < N; i += K, n++) {
			fp[n] = prob[i];
			fy[n] = label_of(i);
		}
		crm_binary_metrics(fp, fy, n, &m);
		bad += !same_metrics(&m, &fm[f]);
	}
	TAP_OK(bad == 0, "a fold's figures are those of its rows' held-out "
			 "scores");
	for (f = 0; f < K; f++)
		crm_binclf_free(fold_model[f]);
	crm_binclf_free(all);
	crm_rec_free(r);
	crm_binclf_set_free(s);
}

static void
test_mean(void)
{
	struct crm_binmetrics fm[3], mean;

	memset(fm, 0, sizeof(fm));
	fm[0] = (struct crm_binmetrics){ 10, 4, 0.8, 0.7, 0.5, 0.2, 2.0 };
	fm[1] = (struct crm_binmetrics){ 10, 0, NAN, NAN, 0.3, 0.1, 0.0 };
	fm[2] = (struct crm_binmetrics){ 9, 3, 0.6, 0.5, 0.4, 0.3, 1.0 };
	crm_binclf_cv_mean(fm, 3, &mean);
	TAP_OK(mean.n == 29 && mean.pos == 7, "n and positives are sums");
	TAP_OK(fabs(mean.auc - 0.7) < 1e-12 && fabs(mean.pr_auc - 0.6) < 1e-12,
	    "AUCs are means over the folds where defined: %g %g", mean.auc,
	    mean.pr_auc);
	TAP_OK(fabs(mean.log_loss - 0.4) < 1e-12 &&
		   fabs(mean.brier - 0.2) < 1e-12 &&
		   fabs(mean.lift10 - 1.0) < 1e-12,
	    "log loss, Brier and lift are means over every fold");
	fm[0].auc = fm[2].auc = NAN;
	crm_binclf_cv_mean(fm, 3, &mean);
	TAP_OK(isnan(mean.auc), "no fold with an AUC: NaN");
}

/* Labels alternate: with 2 folds each fold holds one class. */
static int
alternate(size_t i)
{
	return (int)(i % 2);
}

static void
test_errors(void)
{
	struct crm_binclf_params p = { CRM_ALGO_LR, 1, 1, { 0, 0 }, 0 };
	struct crm_binclf_set *s = make_set(4, NULL);
	struct crm_binmetrics fm[K];
	struct crm_err e;

	crm_err_clear(&e);
	TAP_OK(
	    crm_binclf_cv(s, K, &p, fm, NULL, &e) == -1 && e.code == EX_DATAERR,
	    "fewer rows than folds: EX_DATAERR");
	TAP_STR(e.msg, "4 records are too few for 5 folds", "its message");
	crm_binclf_set_free(s);
	s = make_set(10, alternate);
	crm_err_clear(&e);
	TAP_OK(
	    crm_binclf_cv(s, 2, &p, fm, NULL, &e) == -1 && e.code == EX_DATAERR,
	    "folds are not stratified: a fold of one class cannot train");
	TAP_STR(e.msg,
	    "fold 1: the label has one value only (yes for all 5 records)",
	    "the fold is named");
	crm_binclf_set_free(s);
}

int
main(void)
{
	test_fold_assignment();
	test_held_out();
	test_mean();
	test_errors();
	return tap_done();
}
