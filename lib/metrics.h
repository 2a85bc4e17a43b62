/*
 * metrics: how good a classifier is on labelled data, from its confusion
 * matrix: accuracy, per-class precision, recall and F1, their macro
 * average, and the pairs of classes it mixes up most; for yes/no models,
 * ROC and precision-recall AUC, log loss, Brier score and lift; for
 * top-k recommendations, precision, recall, NDCG, hit rate and catalogue
 * coverage.  Every learning tool's eval verb reports these the same way.
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

/*
 * Calibration: whether probabilities mean what they say.  The k bins of
 * predicted probability [b/k, (b+1)/k) (the last one closed) with, for
 * each, the records that fall in it, their mean predicted probability
 * and the observed rate of yes (both NaN in an empty bin).
 */
struct crm_reliability_bin {
	size_t n;
	double mean_prob;
	double rate;
};

/* Fill bin[0..k) from n probabilities and labels (0 or 1); k > 0. */
void crm_reliability(const double *prob, const int *y, size_t n, size_t k,
    struct crm_reliability_bin *bin);

/*
 * How good top-k lists are against each user's held-out (relevant)
 * items, as means over the users added: precision (hits / k, however
 * short the list), recall (hits / relevant items), NDCG (a hit at rank r,
 * from 1, gains 1 / log2(r + 1), over the best possible, min(k, relevant)
 * hits at the top), hit rate (the share of users with a hit); and the
 * coverage of the catalogue (the share of its items recommended to
 * anyone).  Owned by the caller: init, add per user, finish, release.
 */
struct crm_rankmetrics {
	size_t k;	  /* the cut-off */
	size_t nitems;	  /* items in the catalogue */
	size_t users;	  /* users added */
	double precision; /* sums while adding, means once finished */
	double recall;
	double ndcg;
	double hit_rate;
	double coverage;     /* set by crm_rank_finish */
	size_t distinct;     /* items recommended to anyone */
	unsigned char *seen; /* per item: recommended to anyone */
};

/* Set m up for cut-off k over a catalogue of nitems; 0 or -1 (ENOMEM). */
int crm_rank_init(struct crm_rankmetrics *m, size_t k, size_t nitems);
void crm_rank_release(struct crm_rankmetrics *m);

/*
 * One user: rec[0..n) the recommended items (catalogue indices below
 * nitems) best first, of which the first k count; hit[r] is 1 when rec[r]
 * is relevant; nrel (> 0) is the number of relevant items, including
 * those that could not have been recommended.
 */
void crm_rank_add(struct crm_rankmetrics *m, const size_t *rec, const int *hit,
    size_t n, size_t nrel);

/* Turn the sums into means (all 0 when no user was added). */
void crm_rank_finish(struct crm_rankmetrics *m);
#endif
