/*
 * gbt: gradient-boosted trees for a yes/no outcome, through XGBoost's C
 * API, over dense rows of encoded features (tabular.h's, categorical
 * fields one-hot, numeric ones without tabular's bins).  binary:logistic,
 * tree_method hist with 32 bins, depth 4, rate 0.1, min_child_weight 1,
 * lambda 1, no sampling: one set of defaults for every data set.  The number of rounds comes
 * from early stopping on an inner, stratified 20% of the training rows
 * chosen by the seed (at most 1000 rounds, stopping 50 rounds after the
 * best log loss); the model is then refitted on every row for that many
 * rounds.  Its probabilities are Platt-scaled on that 20% (calib.h): the
 * margins and contributions stay raw.  The same seed gives the same model bytes for any number of
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
	int threads;	   /* XGBoost's nthread, 0: all CPUs; 1 for fewer than
			share_from feature values (n * w) */
	double share_from; /* 2M */
	int max_rounds;	   /* 1000 */
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

/*
 * Predict on n threads from now on (0: all CPUs): crm_gbt_predict_n
 * shares a batch's rows among them; the figures are the same.  A
 * trained or loaded model predicts on one.  0, or -1 with e filled.
 */
int crm_gbt_threads(struct crm_gbt *m, int n, struct crm_err *e);

/* The calibrated log-odds of yes for a raw margin of m. */
double crm_gbt_calibrated(const struct crm_gbt *m, double margin);

/* The raw log-odds of yes for row x (w values); NAN on failure. */
double crm_gbt_margin(const struct crm_gbt *m, const double *x);

/*
 * Exact TreeSHAP: phi[j] gets feature j's part of x's log-odds and
 * phi[w] the base value, so that their sum is crm_gbt_margin(x).  0, or
 * -1 on failure.
 */
int crm_gbt_contribs(const struct crm_gbt *m, const double *x, double *phi);

/*
 * The n rows of x (n * w values) in one call: margin[i] gets row i's
 * log-odds as crm_gbt_margin gives it and, when phi is not NULL,
 * phi[i * (w + 1) ...] its contributions as crm_gbt_contribs gives them.
 * 0, or -1 on failure.
 */
int crm_gbt_predict_n(const struct crm_gbt *m, const double *x, size_t n,
    double *margin, double *phi);

/*
 * Append m to b: its width, XGBoost's model bytes (UBJSON), their
 * xxh3-64 checksum and the calibration.  0 or -1.
 */
int crm_gbt_save(const struct crm_gbt *m, struct crm_buf *b);

/*
 * Read a model saved by crm_gbt_save from in, of width w, in the
 * format of version (1: no calibration, read as none; 2: today's); NULL
 * with e filled (EX_DATAERR "churn model is damaged: ..." for damaged
 * bytes, refused before XGBoost reads them).
 */
struct crm_gbt *crm_gbt_load(
    struct crm_in *in, size_t w, int version, struct crm_err *e);

#endif
