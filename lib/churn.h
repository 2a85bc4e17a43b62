/*
 * churn: crm-churn's pipeline.  Score customer records with the
 * probability that they leave, a risk band, the reasons and an optional
 * action (logging each decision in the store); train a model on labelled
 * records and keep it; evaluate a model, or the training options by
 * k-fold cross-validation (binclf.h).
 *
 * One struct crm_churn per run: crm_churn_new() loads the model (score,
 * eval without folds) and opens the decision log; its filter ops
 * (crm_churn_ops) take the records; crm_churn_finish() trains or works
 * out the figures once the input is read; crm_churn_free() closes it.
 * Nothing here prints: errors come back in a struct crm_err, figures
 * through crm_churn_result() and crm_churn_eval_text().
 *
 * An action is proposed only to a customer whose latest consent for the
 * action's purpose (CRM_CHURN_PURPOSE unless o->purpose) is not withdrawn
 * as of the run's time (consent.h); for the others the action field is
 * left empty (and, with show_suppressed, the action named in an
 * action_suppressed field) and they are counted (crm_churn_result's
 * suppressed).  Without a store there is no consent to check.
 *
 * With review rules (o->review, review.h), each scored record is
 * checked against them after consent, as it would be written: the rules
 * read its fields (TARGET_prob, TARGET_risk, action...) and the
 * customer's facts in the store.  A match writes the rule's name in
 * needs_review and the decisions row's review, and leaves the action out
 * unless o->act_on_review.  Consent wins: a withdrawn customer's action
 * is never written, reviewed or not.
 *
 * Tables: none of its own; models are read and kept through model.h,
 * decisions logged through audit.h, the store's customers read through
 * activity.h, consent through consent.h, review rules through review.h.
 */
#ifndef CRM_CHURN_H
#define CRM_CHURN_H

#include <stddef.h>
#include <stdio.h>

#include "armmodel.h"
#include "binclf.h"
#include "buf.h"
#include "clusters.h"
#include "err.h"
#include "filter.h"
#include "metrics.h"
#include "rec.h"
#include "store.h"
#include "tabular.h"

enum crm_churn_verb { CRM_CHURN_SCORE, CRM_CHURN_TRAIN, CRM_CHURN_EVAL };

/*
 * The purpose of an action unless one is given: an action from a churn
 * score is a retention offer, a marketing message, and e-mail is where
 * those go unless the user says otherwise.
 */
#define CRM_CHURN_PURPOSE "marketing_email"

/* A field's type as asked for (--numeric, --categorical, --ignore). */
struct crm_churn_type {
	const char *field;
	enum crm_coltype type;
};

struct crm_churn_opts {
	enum crm_churn_verb verb;
	const char *target;	 /* the outcome, naming the fields ("churn") */
	const char *model;	 /* the model's name in the store (target) */
	const char *model_file;	 /* or the model in this file */
	long model_version;	 /* 0: the newest */
	const char *label_field; /* train, eval (the target) */
	const char *id_field;	 /* the key, never a feature ("customer_id") */
	const char *action;	 /* score: this action from action_threshold */
	double action_threshold; /* < 0: no action */
	const char *purpose;	 /* the consent the action needs (see below) */
	int show_suppressed;	 /* add action_suppressed, not only leave out */
	const char *review;	 /* score: review rules file, or NULL */
	int act_on_review;	 /* write the action of a reviewed record */
	const char *as_of;	 /* review: the features' day (NULL: last) */
	double risk_low, risk_high; /* medium from low, high from high */
	long reasons;		    /* reasons per record (3) */
	long cv;		    /* eval: folds, 0 for none */
	const struct crm_churn_type *types; /* train, eval --cv */
	size_t ntypes;
	struct crm_binclf_params bp; /* train, eval --cv */
	enum crm_by by; /* the store's features and facts: each customer's
			   own or its person's (clusters.h); CRM_BY_AUTO:
			   person when the store has clusters.  A model
			   keeps it ("by" in its params) and is applied
			   only the same way (crm_model_check_by); with
			   features read from the input (not from_store),
			   CRM_BY_AUTO is record for the model */
	int from_store; /* the records are crm_churn_source's */
	/* score, eval: models as arms (armmodel.h), or NULL.  Each record
	   is scored by its arm's model, else the default model (model_file,
	   or the store's model) when there is one; score adds the fields
	   arm and TARGET_model, eval gives the figures per arm. */
	const struct crm_armmodel_opts *arms;
};

/*
 * The defaults above; model and label_field NULL: the target's name
 * (crm_churn_new fills them in a copy).
 */
void crm_churn_opts_init(struct crm_churn_opts *o);

/* Whether s can name a target: a letter or _, then letters, digits, _. */
int crm_churn_target_ok(const char *s);

struct crm_churn;

/*
 * Start a run of o (borrowed, as are its strings, until crm_churn_free)
 * on store s (NULL for none; borrowed): load the model when the verb
 * needs one, and open the decision log when scoring into a store.  NULL
 * with e filled: EX_NOINPUT when there is no such model, the model's or
 * the store's error otherwise.
 */
struct crm_churn *crm_churn_new(
    const struct crm_churn_opts *o, struct crm_store *s, struct crm_err *e);

/*
 * The ops of a filter over the input, for the verb (arg: the struct
 * crm_churn): score writes each record with TARGET_prob, TARGET_risk,
 * TARGET_reasons (with reasons) and action (with an action), and its
 * finish step is crm_churn_finish(); train and eval --cv keep the
 * labelled records; eval scores them.  A CSV header that lacks a field
 * the model needs skips the file.  Train and eval have no finish step in
 * the ops: the caller calls crm_churn_finish() once it has reported on
 * the input (and decided whether rejects leave anything to do).
 */
const struct crm_filter_ops *crm_churn_ops(const struct crm_churn *c);

/*
 * Scoring with a gbt model (with arms, any of them gbt): score records in
 * batches of up to 1024 with one XGBoost call each (with arms, one per
 * gbt model in the batch), written to f in the order read once a batch is
 * full, the input would block, or it ends.  Call once f is made; without
 * it records are scored one by one.  0, or -1 when out of memory.
 */
int crm_churn_attach(struct crm_churn *c, struct crm_filter *f);

/*
 * After the input: score commits and closes the decision log; train fits the model
 * on every record and keeps it (the store's next version, or the model
 * file); eval works out the figures (the mean of the folds with cv).
 * 0, or -1 with e filled (EX_DATAERR: no records to evaluate, too few
 * records for the folds, labels of one value only).  Before train and
 * eval --cv, the fields that tabular.h takes for ids on the records read
 * are left out of every encoding (crm_churn_result's ids).
 */
int crm_churn_finish(struct crm_churn *c, struct crm_err *e);

#define CRM_CHURN_RELIABILITY_BINS 10

/* What crm_churn_finish found. */
struct crm_churn_result {
	long version;		   /* train: the store's version, 0: a file */
	size_t features;	   /* train: the model's encoded features */
	const char *algo;	   /* train: the model's ("lr", "gbt") */
	int auto_chosen;	   /* train: 1 chosen by --algo auto, 2 lr
				      for too few records, else 0 */
	double auto_lr, auto_gbt;  /* the mean AUCs of auto's folds */
	struct crm_binmetrics fit; /* train: on the training records; eval:
				      the figures (the mean with folds) */
	size_t nfolds;		   /* eval --cv: k, else 0 */
	const struct crm_binmetrics *fold; /* eval --cv: the k folds */
	const char *const *ids; /* train, eval --cv: fields left out as ids */
	size_t nids;
	/* eval: calibration over the records (--cv: their held-out
	   probabilities) */
	struct crm_reliability_bin rel[CRM_CHURN_RELIABILITY_BINS];
	unsigned long long suppressed; /* score: actions left out, consent */
	int consent_checked;	       /* score: an action, and a store */
	unsigned long long reviewed;   /* score: records a review rule took */
	unsigned long long held;       /* of them, actions left out */
	int persons; /* train, eval: the records are persons (--from-store
			--by person: crm_churn_source) */
	/* eval with arms: per arm (crm_armmodel_arm's order), its name,
	   model and figures; arms with no records left out */
	size_t narms;
	const char *arm[CRM_EXP_MAX_ARMS + 1];
	const char *arm_model[CRM_EXP_MAX_ARMS + 1];
	struct crm_binmetrics arm_fit[CRM_EXP_MAX_ARMS + 1];
};

const struct crm_churn_result *crm_churn_result(const struct crm_churn *c);

/*
 * Append eval's figures as crm-churn prints them: one line of key=value
 * pairs (with json, one JSON object), or with folds a line per fold
 * ("fold" first) and one of the means ("mean_of" first).  With json, the
 * last object also has "reliability": an array of the bins of predicted
 * probability, each {"from", "to", "n", "mean_prob", "rate"} (null in an
 * empty bin).  0, or -1 (ENOMEM).
 */
int crm_churn_eval_text(const struct crm_churn *c, int json, struct crm_buf *b);

/*
 * Write eval's figures as records to f's output (crm_filter_emit), for
 * --output-format: with folds, one record per fold whose first field,
 * fold, is its number (1 to k), then one of the means with fold "mean";
 * without, one record of the figures and no fold.  The other fields: n,
 * positives, auc, pr_auc (null when undefined), log_loss, brier, lift10,
 * numbers as the text has them.  0, or -1 with e filled.
 */
int crm_churn_eval_records(
    const struct crm_churn *c, struct crm_filter *f, struct crm_err *e);

/*
 * The store's customers with their features as of as_of (NULL: the last
 * event's day) and their label, as a record source read from a snapshot
 * of the store (crm_activity_source); train and eval leave out customers
 * without a label.  Per person (o->by), train and eval read one record
 * per person, under its id, labelled churned only when every labelled
 * record of it is (a bad label among them rejects it); scoring reads every
 * customer, each with its person's features.  0, or -1 with e filled.
 */
int crm_churn_source(struct crm_churn *c, const char *as_of,
    struct crm_source *src, struct crm_err *e);

/* Free c, committing the decision log if crm_churn_finish did not. */
void crm_churn_free(struct crm_churn *c);

#endif
