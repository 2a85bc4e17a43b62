/*
 * metrics: how good a classifier is on labelled data, from its confusion
 * matrix: accuracy, per-class precision, recall and F1, their macro
 * average, and the pairs of classes it mixes up most; for yes/no models,
 * ROC and precision-recall AUC, log loss, Brier score and lift.  Every
 * learning tool's eval verb reports these the same way.
 */
#ifndef CRM_METRICS_H
#define CRM_METRICS_H

#include <stddef.h>

/* Counts of (true class, predicted class) over k classes. */
struct crm_confusion {
	size_t k;	  /* classes */
	size_t cap;	  /* classes there is room for */
	unsigned long *m; /* cap * cap, m[true * cap + predicted] */
	unsigned long n;
};

/* Set c up for k classes; 0, or -1 when out of memory. */
int crm_confusion_init(struct crm_confusion *c, size_t k);
void crm_confusion_release(struct crm_confusion *c);

/*
 * Have k classes (new rows and columns are 0); 0 or -1.  Room grows by
 * doubling, so adding classes one by one costs O(k^2) in all.
 */
int crm_confusion_grow(struct crm_confusion *c, size_t k);

void crm_confusion_add(struct crm_confusion *c, size_t truth, size_t pred);

double crm_accuracy(const struct crm_confusion *c);

/*
 * Precision, recall and F1 of class i, and its support (true count).  A
 * ratio with nothing to divide by is 0, as scikit-learn reports it.
 */
void crm_class_prf(const struct crm_confusion *c, size_t i, double *prec,
    double *rec, double *f1, unsigned long *support);

/*
 * Unweighted mean F1 over the classes that occur (as truth or as
 * prediction), the way scikit-learn's f1_score(average="macro") counts.
 */
double crm_macro_f1(const struct crm_confusion *c);

/* A cell off the diagonal. */
struct crm_confused {
	size_t truth, pred;
	unsigned long count;
};

/*
 * The (at most max) largest cells off the diagonal, largest first (ties
 * by truth, then prediction); returns how many were filled.
 */
size_t crm_confusion_top(
    const struct crm_confusion *c, struct crm_confused *out, size_t max);

/* How well probabilities of "yes" rank and fit n labels (0 or 1). */
struct crm_binmetrics {
	size_t n, pos;
	double auc;	 /* ROC AUC, ties counted half; NaN with one class */
	double pr_auc;	 /* average precision, as scikit-learn's; NaN
			    without yes */
	double log_loss; /* probabilities clipped to [1e-15, 1 - 1e-15] */
	double brier;	 /* mean squared error of the probabilities */
	double lift10;	 /* share of yes in the top 10% over the base rate */
};

/* Fill m; 0, or -1 when out of memory. */
int crm_binary_metrics(
    const double *prob, const int *y, size_t n, struct crm_binmetrics *m);
#endif
