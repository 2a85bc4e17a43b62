/*
 * msvm: the linear SVM of textclf, every class at once (liblinear's
 * Crammer and Singer solver), for the model and for each calibration
 * fold, solved by several worker processes with the same results
 * whatever their number.
 */
#ifndef CRM_MSVM_H
#define CRM_MSVM_H

#include <stddef.h>
#include <stdint.h>

#include <linear.h>

#include "err.h"
#include "progress.h"

struct crm_msvm {
	/*
	 * n texts as liblinear's vectors: indices 1 to nrow, then the bias
	 * feature nrow + 1 with value 1, then -1; and the class of each,
	 * below k, or k for the background: a class in the problems whose
	 * weights are dropped.
	 */
	struct feature_node *const *x;
	const uint32_t *y;
	size_t n, k, nrow;
	size_t folds;	    /* text i is held out in fold i mod folds; 0 none */
	double c, eps;	    /* liblinear's cost and stopping tolerance */
	unsigned long seed; /* srand(seed) before each problem */
	int threads;	    /* worker processes; 0 the processors */
	const struct crm_progress_cb *progress; /* problems solved */
};

/*
 * Fit w (nrow * k, row-major) and bias (k) on every text and, when there
 * are folds, odec (n * k): the decision values of each text under the
 * model of the other folds, summed in float from the bias in the order
 * of its features.  A class that a fold lacks gets a bias of -1e30.
 * Returns 0, or -1 with e filled (EX_SOFTWARE).
 */
int crm_msvm_solve(const struct crm_msvm *o, float *w, float *bias,
    double *odec, struct crm_err *e);

#endif
