/*
 * intent: the pipeline behind crm-intent.  One struct crm_intent runs one
 * verb over a stream of records:
 *
 *   predict  classify the text of each record with a text model
 *            (textclf.h) and append the label, its score and, when asked,
 *            the best labels and the features that weighed most; a best
 *            score below min_conf gives the label out_of_scope; with a
 *            store, every decision goes to its audit log;
 *   train    collect the texts and labels (the store's human labels win
 *            over the input's for the same text, with_labels), then train
 *            a model and keep it in a file or as the next version in the
 *            store;
 *   eval     classify labelled texts and count the confusion matrix, then
 *            report accuracy, macro F1, per-class figures and the pairs
 *            mixed up most;
 *   label    keep human labels in the store for retraining.
 *
 * Predict with keep_text also keeps each message as an event of its
 * customer (type message; its key the record key, so the profile finds
 * the message's decisions; its time and channel the input's time and
 * channel fields when it has them, else the run's time and none; its
 * text as the privacy policy o->mask makes it, when one is given, else
 * as it is), through lib/load, the events table's owner, in the
 * transaction of the message's decision.  A message without a customer
 * (none, null or empty) is not kept (crm_intent_kept counts it).
 *
 * The model comes from a file, the store (a version, or the newest), or
 * the bytes of a built-in model the caller hands in, in that order.
 * Predict with arms classifies each record with the model of its
 * customer's arm (armmodel.h; the default model for an arm without
 * one), appends the arm and FIELD_model (the model's file, or
 * NAME@VERSION) and logs the decision as made by that model; a record
 * without a customer is rejected.  Eval with arms does the same and
 * counts each arm's figures too.
 *
 * Use: crm_intent_new, then crm_intent_record for each record (and
 * crm_intent_header for a CSV/TSV output header, crm_intent_idle when the
 * input would block), crm_intent_close once the input is over (it keeps
 * what was decided or labelled, even after an error), crm_intent_finish
 * when every input was read without a reject (train: train and save),
 * then, for eval, crm_intent_report or crm_intent_eval_record, and
 * crm_intent_free.  Nothing here exits or writes to standard output.
 *
 * Predict with entities also appends the field "entities", the JSON
 * array of lib/entity's entities in the text, the relative dates
 * counted from the day of the message's time field (time_field), else
 * of the run's reference time.
 *
 * Store tables: it owns none; it reads models through lib/model,
 * writes decisions and labels through lib/audit and kept messages
 * through lib/load.
 */
#ifndef CRM_INTENT_H
#define CRM_INTENT_H

#include <stddef.h>

#include "armmodel.h"
#include "buf.h"
#include "entity.h"
#include "err.h"
#include "mask.h"
#include "rec.h"
#include "store.h"
#include "textclf.h"

#define CRM_INTENT_OUT_OF_SCOPE "out_of_scope"

enum crm_intent_verb {
	CRM_INTENT_PREDICT,
	CRM_INTENT_TRAIN,
	CRM_INTENT_EVAL,
	CRM_INTENT_LABEL
};

struct crm_intent_opts {
	enum crm_intent_verb verb;
	const char *tool;	/* in the audit log ("crm-intent") */
	const char *model;	/* the model's name (intent) */
	const char *model_file; /* read (train: write) the model there */
	long model_version;	/* in the store; 0: the newest */
	const void *builtin;	/* the bytes of a built-in model, or NULL */
	size_t builtin_len;
	const char *text_field;	 /* text (text) */
	const char *label_field; /* train, eval, label; NULL: the model's name */
	const char *field;	 /* predict: appended; NULL: the model's name */
	const char *id_field;	 /* record key in the store (id) */
	const char *customer_field; /* the decision's subject (customer_id) */
	const char *source;	    /* label: who gave the labels (human) */
	long top;		    /* predict: append the K best labels */
	long explain;		/* predict: append the N heaviest features */
	long max_text;		/* reject longer texts (100000) */
	double min_conf;	/* out_of_scope below; < 0: off */
	int min_conf_auto;	/* min_conf: the model's own threshold */
	int with_labels;	/* train: add the store's human labels */
	int keep_text;		/* predict with a store: keep each message */
	const char *time_field; /* keep_text: the message's time (time) */
	/* keep_text: the policy for the text (NULL: kept as it is) */
	const struct crm_mask_opts *mask;
	/* predict, eval: models as arms of an experiment (armmodel.h), or
	   NULL */
	const struct crm_armmodel_opts *arms;
	/* predict: append the field entities (entity.h), or NULL */
	const struct crm_entity_opts *entities;
	struct crm_textclf_params tp; /* train */
	/* train: told about each human label left out (may be NULL) */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

/* Set o to the defaults above (verb predict). */
void crm_intent_opts_init(struct crm_intent_opts *o);

struct crm_intent;

/*
 * Start a run of o->verb (o and its strings are borrowed for the run) on
 * store st (borrowed; NULL for none: label and train without a model
 * file need one).  Predict and eval find and load the model.  Returns
 * NULL with e filled: EX_NOINPUT when there is no model, EX_DATAERR when
 * it is damaged, EX_USAGE for bad text options, store errors as
 * lib/store says.
 */
struct crm_intent *crm_intent_new(
    const struct crm_intent_opts *o, struct crm_store *st, struct crm_err *e);
void crm_intent_free(struct crm_intent *it);

/* Predict: the output header, the input's names and the appended ones. */
int crm_intent_header(
    struct crm_intent *it, struct crm_rec *hdr, struct crm_err *e);

/*
 * One record for the verb.  Returns 0; -1 with e filled (EX_DATAERR: the
 * record is rejected, else the run ends); or CRM_FILTER_FATAL when the
 * store failed (the run must end whatever e's code).
 */
int crm_intent_record(
    struct crm_intent *it, struct crm_rec *r, struct crm_err *e);

/* The input is idle (arg is the struct crm_intent): commit to the store. */
void crm_intent_idle(void *arg);

/*
 * Classify one text: the best label (out_of_scope when its score is
 * below min_conf) and its score.  Returns the index of the best class,
 * or -1 with e filled (EX_DATAERR for invalid UTF-8).  Predict and eval.
 */
long crm_intent_classify(struct crm_intent *it, const char *text, size_t len,
    const char **label, size_t *llen, double *score, struct crm_err *e);

/*
 * The threshold below which a best score gives out_of_scope: min_conf,
 * or with min_conf_auto the model's own (-1: none).
 */
double crm_intent_min_conf(const struct crm_intent *it);

/*
 * Commit and stop the audit log, if any: what was decided or labelled is
 * kept, even after an error.  0, or -1 with e filled.
 */
int crm_intent_close(struct crm_intent *it, struct crm_err *e);

/*
 * After an input read whole, without rejects: train trains and keeps
 * the model (e: EX_DATAERR with fewer than two labels, EX_CANTCREAT, the
 * store's); the other verbs have nothing to do.  0, or -1 with e filled.
 */
int crm_intent_finish(struct crm_intent *it, struct crm_err *e);

/* What train made, once crm_intent_finish has succeeded. */
struct crm_intent_trained {
	long version;	     /* in the store; 0 for a file */
	size_t texts;	     /* trained on */
	size_t from_labels;  /* of which human labels not in the input */
	unsigned long empty; /* texts without words, left out */
	size_t classes, features;
	double cv_accuracy;	    /* on held-out folds; -1 when unknown */
	struct crm_textclf_oos oos; /* the out-of-scope threshold chosen */
};

/*
 * Name the fields the verb reads to the filter f (crm_filter_need): the
 * text (--text-field), for train and eval the label (--label-field), and
 * a key other than "id" (--id-field; the header only).  0, or -1 when out
 * of memory.
 */
struct crm_filter;
int crm_intent_needs(const struct crm_intent *it, struct crm_filter *f);

void crm_intent_trained(
    const struct crm_intent *it, struct crm_intent_trained *t);

/*
 * Train's summary for the user into lines (no newlines): what was
 * trained, the accuracy on held-out folds when known, the out-of-scope
 * threshold when one was chosen.  Returns the number of lines (1 to 3).
 */
size_t crm_intent_trained_lines(
    const struct crm_intent *it, char lines[3][256]);

/*
 * Predict with keep_text: the messages kept as events so far, and those
 * not kept for want of a customer.
 */
void crm_intent_kept(const struct crm_intent *it, unsigned long long *kept,
    unsigned long long *no_customer);

/* Eval: the figures over the records so far. */
struct crm_intent_metrics {
	unsigned long n; /* records */
	double accuracy, macro_f1;
	size_t classes; /* the model's, out_of_scope and unknown labels */
};

void crm_intent_metrics(
    const struct crm_intent *it, struct crm_intent_metrics *m);

/*
 * Eval: the report appended to out, as text lines (n=... accuracy=...,
 * with arms an "arm" line for each arm with records, as the records of
 * crm_intent_eval_records, then a "class" line per class and a
 * "confused" line for each of the ten pairs mixed up most), or as one
 * JSON document and a newline when json is set (with arms, "arms": the
 * arms' objects).  0, or -1 when out of memory.
 */
int crm_intent_report(
    const struct crm_intent *it, int json, struct crm_buf *out);

/*
 * Eval: the figures as one record for the record writer (r cleared
 * first): n, accuracy, macro_f1 (four decimals) and classes, as numbers;
 * with arms, first arm and model, null.  There are no folds: one record,
 * without a fold field.  0, or -1 with e filled.
 */
int crm_intent_eval_record(
    const struct crm_intent *it, struct crm_rec *r, struct crm_err *e);

/*
 * Eval: the figures as records written to f: crm_intent_eval_record's,
 * then with arms one for each arm with records (crm_armmodel_arm's
 * order): its arm, its model's label, and the figures eval of that model
 * alone gives on the arm's records.  0, or -1 with e filled.
 */
int crm_intent_eval_records(
    const struct crm_intent *it, struct crm_filter *f, struct crm_err *e);

#endif
