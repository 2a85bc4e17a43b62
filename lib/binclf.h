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
#include "tabular.h"

enum crm_binclf_algo { CRM_ALGO_LR, CRM_ALGO_SVM };

struct crm_binclf_params {
	enum crm_binclf_algo algo;
	double c;	    /* cost C */
	unsigned long seed; /* libsvm's and liblinear's random order */
};

struct crm_binclf;

/*
 * Train on the n fitted rows of t with labels y (0 or 1, both present).
 * The model takes t over (also on failure).  NULL with e filled.
 */
struct crm_binclf *crm_binclf_train(struct crm_tab *t, const int *y, size_t n,
    const struct crm_binclf_params *p, struct crm_err *e);
void crm_binclf_free(struct crm_binclf *m);

const struct crm_tab *crm_binclf_tab(const struct crm_binclf *m);
enum crm_binclf_algo crm_binclf_algo(const struct crm_binclf *m);

/* P(yes) for an encoded row x. */
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
 * features are set to their training means.  Returns their number.
 */
size_t crm_binclf_reasons(const struct crm_binclf *m, const double *x,
    struct crm_contrib *out, size_t max);

int crm_binclf_save(const struct crm_binclf *m, struct crm_buf *b);
struct crm_binclf *crm_binclf_load(
    const void *p, size_t len, struct crm_err *e);

#endif
