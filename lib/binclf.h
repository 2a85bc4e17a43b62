/*
 * binclf: a yes/no classifier over tabular features (tabular.h), the
 * model behind crm-churn.  Logistic regression by liblinear (the
 * default: its probabilities are calibrated by construction, and the
 * reasons are exact), or an RBF-kernel SVM by libsvm with its Platt-scaled
 * probabilities.  A model is saved as bytes: the encoding, then the
 * weights or libsvm's own model text.
 */
#ifndef CRM_BINCLF_H
#define CRM_BINCLF_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"
#include "progress.h"
#include "rec.h"
#include "tabular.h"

/*
 * CRM_ALGO_GBT: gradient-boosted trees (gbt.h), whose reasons are exact
 * TreeSHAP.  CRM_ALGO_AUTO is a choice, not a model: crm_binclf_fit()
 * cross-validates lr and gbt on its training rows (CRM_AUTO_FOLDS folds,
 * the same for both) and trains the one of the higher mean AUC, lr on a
 * tie.
 */
enum crm_binclf_algo { CRM_ALGO_LR, CRM_ALGO_SVM, CRM_ALGO_GBT, CRM_ALGO_AUTO };

#define CRM_AUTO_FOLDS 5

struct crm_binclf_params {
	enum crm_binclf_algo algo;
	double c;	    /* cost C */
	unsigned long seed; /* libsvm's, liblinear's and XGBoost's order */
	struct crm_progress_cb progress; /* the solver's steps */
	int threads; /* gbt: XGBoost's threads, 0 all CPUs */
};

/* The name of an algorithm: "lr", "svm", "gbt", "auto". */
const char *crm_binclf_algo_name(enum crm_binclf_algo a);

struct crm_binclf;

/*
 * Train on the n fitted rows of t with labels y (0 or 1, both present).
 * The model takes t over (also on failure).  NULL with e filled.
 */
struct crm_binclf *crm_binclf_train(struct crm_tab *t, const int *y, size_t n,
    const struct crm_binclf_params *p, struct crm_err *e);
void crm_binclf_free(struct crm_binclf *m);

const struct crm_tab *crm_binclf_tab(const struct crm_binclf *m);

/*
 * gbt: crm_binclf_batch on n threads (0: all CPUs); nothing for the other
 * algorithms.  0, or -1 with e filled.
 */
int crm_binclf_threads(struct crm_binclf *m, int n, struct crm_err *e);
enum crm_binclf_algo crm_binclf_algo(const struct crm_binclf *m);

/*
 * What CRM_ALGO_AUTO found for m: 1 with the mean AUCs of lr and gbt, 0
 * when m was not chosen so.
 */
int crm_binclf_auto(const struct crm_binclf *m, double *lr, double *gbt);

/*
 * The raw log-odds of yes for an encoded row x: what the reasons add up
 * to; for gbt before its calibration.
 */
double crm_binclf_logodds(const struct crm_binclf *m, const double *x);

/* P(yes) for an encoded row x, calibrated for gbt. */
double crm_binclf_prob(const struct crm_binclf *m, const double *x);

/* What one input field added to the log-odds of yes. */
struct crm_contrib {
	size_t col;	/* the field, for crm_tab_column_name() */
	double logodds; /* exact for logistic regression */
};

/*
 * The fields that raised x's log-odds of yes the most against a customer
 * of average features, most first, at most max and only those that
 * raised it.  For the SVM, a field's part is the change when its
 * features are set to their training means.  For gbt, against the base
 * value (the mean log-odds of the training rows), a field's part is the
 * sum of its features' exact TreeSHAP values, in raw log-odds.  Returns
 * their number.
 */
size_t crm_binclf_reasons(const struct crm_binclf *m, const double *x,
    struct crm_contrib *out, size_t max);

/*
 * gbt only: the n rows of x (n * width values) in one XGBoost call:
 * prob[i] as crm_binclf_prob gives it and, when phi is not NULL,
 * phi[i * (width + 1) ...] row i's contributions, for
 * crm_binclf_reasons_phi.  0, or -1 (another algorithm, or a failure).
 */
int crm_binclf_batch(const struct crm_binclf *m, const double *x, size_t n,
    double *prob, double *phi);
/* crm_binclf_reasons with the contributions crm_binclf_batch gave. */
size_t crm_binclf_reasons_phi(const struct crm_binclf *m, const double *x,
    const double *phi, struct crm_contrib *out, size_t max);

int crm_binclf_save(const struct crm_binclf *m, struct crm_buf *b);
struct crm_binclf *crm_binclf_load(
    const void *p, size_t len, struct crm_err *e);

/* ==== Training sets and k-fold cross-validation ==== */

/*
 * A labelled training set: copies of records with their 0/1 labels, and
 * the field types every encoding made from it gets (crm_tab_set_type).
 * Row i's fold among k is i mod k (crm_binclf_fold): deterministic, the
 * same whatever the seed, and not stratified, so a fold may hold one
 * class only.
 */
struct crm_binclf_set;

struct crm_binclf_set *crm_binclf_set_new(void);
void crm_binclf_set_free(struct crm_binclf_set *s);

/* Force a field's type, for the encodings fitted after; 0, or -1 (ENOMEM). */
int crm_binclf_set_type(
    struct crm_binclf_set *s, const char *field, enum crm_coltype type);

/* Add a copy of r with label y (0 or 1); 0, or -1 (ENOMEM). */
int crm_binclf_set_add(
    struct crm_binclf_set *s, const struct crm_rec *r, int y);
size_t crm_binclf_set_size(const struct crm_binclf_set *s);
const int *crm_binclf_set_labels(const struct crm_binclf_set *s);

/* The fold of row i among k folds: i mod k. */
size_t crm_binclf_fold(size_t i, size_t k);

/*
 * Fit an encoding and train on the rows of s outside fold (of k; with k
 * 0, on every row, in order, so that crm_tab_row(tab, i) is row i).  NULL
 * with e filled.
 */
struct crm_binclf *crm_binclf_fit(const struct crm_binclf_set *s, size_t k,
    size_t fold, const struct crm_binclf_params *p, struct crm_err *e);

/*
 * K-fold cross-validation: for each fold f, train on the other folds
 * and score f's rows; fold[f] gets the metrics of f's rows (fold has k
 * entries).  When prob is not NULL, prob[i] gets row i's held-out
 * probability (prob has crm_binclf_set_size entries).  0, or -1 with e
 * filled (EX_DATAERR: fewer rows than folds, or "fold F: " and why fold
 * F could not be trained; a row that cannot be encoded names its line).
 */
int crm_binclf_cv(const struct crm_binclf_set *s, size_t k,
    const struct crm_binclf_params *p, struct crm_binmetrics *fold,
    double *prob, struct crm_err *e);

/*
 * The mean of k folds' metrics: n and pos are sums; auc and pr_auc are
 * means over the folds where they are defined (NaN when none is); log
 * loss, Brier score and lift are means over all k.
 */
void crm_binclf_cv_mean(
    const struct crm_binmetrics *fold, size_t k, struct crm_binmetrics *mean);

#endif
