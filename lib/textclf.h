/*
 * textclf: a text classifier, the model behind crm-intent.
 *
 * A text becomes a vector: its features (text.h), each weighted by
 * (1 + ln count) * idf, where idf = ln((1 + N) / (1 + df)) + 1 over the N
 * training texts; each of the two feature groups is scaled to unit length
 * and the whole to unit length.  Features never seen in training are
 * dropped.  liblinear fits a linear SVM of every class at once
 * (Crammer and Singer's, lib/msvm.h).  A class's score is the estimated
 * probability that it is the right one: a logistic curve over its
 * decision value, its margin over the best other class and the text's
 * coverage (the share of its words the training saw), fitted on held-out
 * folds of the training set (Platt scaling), each held-out text also
 * scored with its own class left out as the message of an unknown intent
 * (unknown_share): among texts scored 0.8 about 8 in 10 are right in
 * traffic where that share is about something no class covers, and a
 * text unlike every class scores low for all.
 *
 * A model is saved as a self-contained little-endian byte string (the
 * blob of the store's models table, or a --model-file).
 */
#ifndef CRM_TEXTCLF_H
#define CRM_TEXTCLF_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "progress.h"
#include "text.h"

struct crm_textclf_params {
	struct crm_text_opts text;
	double c;	    /* liblinear's cost C */
	double eps;	    /* liblinear's stopping tolerance */
	int min_df;	    /* drop features in fewer training texts */
	int calib_folds;    /* folds for the score scale, 0 for none */
	unsigned long seed; /* liblinear's random order, fold assignment */
	struct crm_progress_cb progress; /* the problems solved (lib/msvm) */
	double oos_loss; /* the out-of-scope threshold's held-out loss */
	int threads;	 /* processes solving; 0 the processors (same model) */
	double unknown_share; /* of messages about no class, for the scores */
};

#define CRM_TEXTCLF_PARAMS_DEFAULT                                            \
	{                                                                     \
		CRM_TEXT_OPTS_DEFAULT, 1.0, 0.1, 1, 3, 1, { 0, 0 }, 0.015, 0, \
		    0.25                                                      \
	}

/* A training set being collected. */
struct crm_textclf_set;
struct crm_textclf;

/* Return an empty set for texts cut by o, or NULL (see crm_text_new). */
struct crm_textclf_set *crm_textclf_set_new(
    const struct crm_text_opts *o, const char **why);
void crm_textclf_set_free(struct crm_textclf_set *s);

/*
 * Add a text with its label.  Returns 1; 0 when the text has nothing to
 * learn from (punctuation or symbols alone) and was left out; or -1 with
 * *why set (invalid UTF-8) or, out of memory, *why NULL.
 */
int crm_textclf_set_add(struct crm_textclf_set *s, const char *text, size_t len,
    const char *label, size_t llen, const char **why);
size_t crm_textclf_set_size(const struct crm_textclf_set *s);

/*
 * Add a text of the background: out of scope, a class of its own in
 * training whose weights are dropped (every class learns to score it
 * low); it takes part in the held-out folds.  Returns as
 * crm_textclf_set_add.
 */
int crm_textclf_set_add_background(
    struct crm_textclf_set *s, const char *text, size_t len, const char **why);

/*
 * Train on s.  Returns the model, or NULL with e filled: EX_DATAERR when
 * there are fewer than two labels, EX_SOFTWARE when out of memory.
 */
struct crm_textclf *crm_textclf_train(const struct crm_textclf_set *s,
    const struct crm_textclf_params *p, struct crm_err *e);

void crm_textclf_free(struct crm_textclf *m);

/* Append the model as bytes to b; 0, or -1 when out of memory. */
int crm_textclf_save(const struct crm_textclf *m, struct crm_buf *b);

/* Read a model saved by crm_textclf_save; NULL with e filled. */
struct crm_textclf *crm_textclf_load(
    const void *p, size_t len, struct crm_err *e);

/* Its classes, in byte order of their names. */
size_t crm_textclf_classes(const struct crm_textclf *m);
const char *crm_textclf_class(
    const struct crm_textclf *m, size_t k, size_t *len);

/* Number of features with a weight. */
size_t crm_textclf_features(const struct crm_textclf *m);

/* The weights of the score curve: decision, margin, coverage, constant. */
#define CRM_TEXTCLF_NCAL 4
const double *crm_textclf_calibration(const struct crm_textclf *m);

/*
 * The accuracy on the held-out folds when the scale was fitted, a fair
 * estimate of the accuracy on new texts; -1 when there were no folds.
 * Known only right after training (not saved).
 */
double crm_textclf_cv_accuracy(const struct crm_textclf *m);

/*
 * The out-of-scope threshold chosen in training (saved with the model),
 * or -1 when there is none: a model saved before there was one, or
 * trained without held-out folds.
 */
double crm_textclf_min_conf(const struct crm_textclf *m);

/*
 * A held-out text: its best class wrong, right, a background text, or an
 * in-scope text scored with its own class left out, as the message of an
 * intent the model lacks.
 */
enum {
	CRM_HELDOUT_WRONG,
	CRM_HELDOUT_RIGHT,
	CRM_HELDOUT_BACKGROUND,
	CRM_HELDOUT_UNKNOWN
};

/* How the threshold was chosen. */
struct crm_textclf_oos {
	double threshold; /* -1 when none */
	double acc;	  /* held-out in-scope accuracy without a threshold */
	double acc_at;	  /* with it: a text below is out of scope, wrong */
	size_t in, bg;	  /* held-out in-scope and background texts */
	size_t caught;	  /* background texts below the threshold */
};

/*
 * The out-of-scope threshold for n held-out texts with best-class scores
 * score and kinds kind (CRM_HELDOUT_*): among the thresholds whose in-
 * scope accuracy is at most loss below the accuracy without one, the
 * highest, which is also the one that puts most background texts below
 * it.  A threshold falls halfway between two scores.  Texts of kind
 * CRM_HELDOUT_UNKNOWN are left out: they are a simulation for the score
 * curve (lib/textclf.c), easier to tell than real unknown intents.
 * 0, or -1 when out of memory; o->threshold is -1 without in-scope texts.
 */
int crm_textclf_pick_threshold(const double *score, const int *kind, size_t n,
    double loss, struct crm_textclf_oos *o);

/*
 * How the threshold was chosen, known only right after training (its
 * threshold -1 otherwise).
 */
const struct crm_textclf_oos *crm_textclf_oos(const struct crm_textclf *m);

/*
 * Score text: prob[k] for every class (each in (0, 1), not summing to 1:
 * a text may fit no class).  Returns the best
 * class (the first of equals), or -1 with *why set as for
 * crm_textclf_set_add.  A text without known features gets the scores of
 * the bias alone.
 */
long crm_textclf_predict(struct crm_textclf *m, const char *text, size_t len,
    double *prob, const char **why);

/* One reason for a decision: a feature and what it added. */
struct crm_reason {
	char name[64]; /* the feature, cut at a character boundary */
	double weight; /* its value times its weight for the class */
};

/*
 * The features of text that added most to class k's decision value, most
 * first, at most max of them and only those that added something.
 * Returns their number, or -1 with *why set.
 */
long crm_textclf_explain(struct crm_textclf *m, const char *text, size_t len,
    size_t k, struct crm_reason *r, size_t max, const char **why);

#endif
