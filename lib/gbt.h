/*
 * gbt: gradient-boosted trees for a yes/no outcome, through XGBoost's C
 * API, over dense rows of encoded features (tabular.h's, categorical
 * fields one-hot).  binary:logistic, tree_method hist, depth 4, rate
 * 0.05, min_child_weight 1, subsample and colsample_bytree 0.8, lambda 1:
 * one set of defaults for every data set.  The number of rounds comes
 * from early stopping on an inner, stratified 20% of the training rows
 * chosen by the seed (at most 1000 rounds, stopping 50 rounds after the
 * best log loss); the model is then refitted on every row for that many
 * rounds.  The same seed gives the same model bytes for any number of
 * threads.
 */
#ifndef CRM_GBT_H
#define CRM_GBT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "progress.h"

struct crm_gbt_params {
	unsigned long seed;
	int threads;			 /* XGBoost's nthread; 0: all CPUs */
	int max_rounds;			 /* 1000 */
	struct crm_progress_cb progress; /* the rounds */
};

void crm_gbt_params_init(struct crm_gbt_params *p);

struct crm_gbt;

/*
 * Train on the n rows of x (n * w values, row after row) with labels y
 * (0 or 1, both present).  NULL with e filled.
 */
struct crm_gbt *crm_gbt_train(const double *x, const int *y, size_t n, size_t w,
    const struct crm_gbt_params *p, struct crm_err *e);
void crm_gbt_free(struct crm_gbt *m);

/* The number of trees (rounds) of m. */
int crm_gbt_rounds(const struct crm_gbt *m);

/* The raw log-odds of yes for row x (w values); NAN on failure. */
double crm_gbt_margin(const struct crm_gbt *m, const double *x);

/*
 * Exact TreeSHAP: phi[j] gets feature j's part of x's log-odds and
 * phi[w] the base value, so that their sum is crm_gbt_margin(x).  0, or
 * -1 on failure.
 */
int crm_gbt_contribs(const struct crm_gbt *m, const double *x, double *phi);

/*
 * Append m to b: its width, XGBoost's model bytes (UBJSON) and their
 * xxh3-64 checksum.  0 or -1.
 */
int crm_gbt_save(const struct crm_gbt *m, struct crm_buf *b);

/*
 * Read a model saved by crm_gbt_save from in, of width w; NULL with e
 * filled (EX_DATAERR "churn model is damaged: ..." for damaged bytes,
 * refused before XGBoost reads them).
 */
struct crm_gbt *crm_gbt_load(struct crm_in *in, size_t w, struct crm_err *e);

#endif
