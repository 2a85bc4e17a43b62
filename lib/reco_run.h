/*
 * reco_run: crm-recommend's pipeline behind one entry point: recommend
 * for each record (a customer's next items, or with item_mode the items
 * that go with an item) from a model in a file or the store, logging each
 * list as a decision; or collect interactions from records or the store's
 * events, then fit a model and keep it (file or store), or evaluate one
 * on each customer's latest interactions.
 *
 *   run = crm_reco_run_new(&opts, store, &e);
 *   filter = crm_filter_new(&fo, crm_reco_run_ops(run), run, &e);
 *   crm_filter_run(filter, n, files);		records from files, or
 *   crm_reco_run_source(run, store, &src, &e);	--from-store: customers
 *   crm_filter_run_source(filter, &src);		(items) to recommend for
 *   crm_reco_run_events(run, store, &e);	--from-store fit, eval:
 *   crm_filter_run_finish(filter);		the events, then finish
 *   crm_reco_run_close(run, &e);		(commits the decisions)
 *   crm_reco_run_summary(run, filter);
 *   crm_reco_run_free(run);
 *
 * The filter's finish step (fit, eval) fits the model and keeps it, or
 * evaluates it: eval's figures are records written through the filter
 * when o->records is set, else a line of text (crm_reco_run_text).
 * Store reads go through a snapshot (crm_store_snapshot), closed once
 * read, so the decisions and the model the run writes through the store
 * never show up in what it reads.  Nothing here exits or writes to
 * standard output: errors come back in a struct crm_err, and notes for
 * the user (what was read and fitted, EASE's fallback to kNN) through the
 * note callback.  The run borrows the options (and what they point to)
 * and the store.
 *
 * Recommending with arms (o->arms, for customers, not item_mode) gives
 * each record the list of its customer's arm's model (armmodel.h; the
 * default model for an arm without one), appends reco_arm and
 * reco_model (the model's file, or NAME@VERSION), and logs the decision
 * as made by that model.
 */
#ifndef CRM_RECO_RUN_H
#define CRM_RECO_RUN_H

#include "armmodel.h"
#include "buf.h"
#include "clusters.h"
#include "err.h"
#include "filter.h"
#include "recommend.h"
#include "store.h"

enum crm_reco_verb { CRM_RECO_RECOMMEND, CRM_RECO_FIT, CRM_RECO_EVAL };

/* An event type to learn from (--event-types) and its weight. */
struct crm_reco_evtype {
	const char *type;
	double weight;
};

struct crm_reco_run_opts {
	enum crm_reco_verb verb;
	const char *model;	       /* its name in the store ("recommend") */
	const char *model_file;	       /* or the model's file, or NULL */
	long model_version;	       /* recommend: 0, the newest */
	const char *db;		       /* the store's name, for messages */
	const char *id_field;	       /* "customer_id" */
	const char *item_field;	       /* "item" */
	const char *weight_field;      /* fit, eval: or NULL, weight 1 */
	const char *time_field;	       /* eval: "time" */
	struct crm_reco_evtype *types; /* store events: NULL for all */
	size_t ntypes;
	int typed_weights; /* some type has a weight of its own */
	size_t top;	   /* items per record, eval's cut-off (10) */
	double frac;	   /* eval: the share held out (0.2) */
	int item_mode;	   /* recommend: items for items */
	int json;	   /* eval: the figures as JSON text */
	int records;	   /* eval: the figures as records */
	int from_store;	   /* the input is the store (fit and eval: its
			      events are the records read) */
	int quiet;	   /* no notes of what was read and fitted */
	enum crm_by by;	   /* interactions per person or per record
			      (clusters.h; AUTO: person when the store has
			      clusters): by person, a customer's id is its
			      person's, in the data fitted and when
			      recommending, so a person's items from every
			      record count and none is recommended again */
	/* recommend: models as arms of an experiment (armmodel.h), or NULL */
	const struct crm_armmodel_opts *arms;
	/* rp.progress is also called with phase NULL: the fit is over. */
	struct crm_reco_params rp;
	/* A line for the user (no newline), or NULL to say nothing. */
	void (*note)(void *arg, const char *msg);
	void *note_arg;
};

/* Fill o with the defaults above (verb: recommend). */
void crm_reco_run_opts_init(struct crm_reco_run_opts *o);

/*
 * Parse --event-types' TYPE[:WEIGHT],... (arg is cut up in place and
 * must outlive o) into o->types.  0, or -1 with e filled (EX_USAGE, or
 * EX_SOFTWARE when out of memory).
 */
int crm_reco_types_parse(
    struct crm_reco_run_opts *o, char *arg, struct crm_err *e);

struct crm_reco_run;

/*
 * Start a run of o on store st (NULL: none).  To recommend, the model is
 * loaded (EX_NOINPUT when there is none) and decisions are logged in st;
 * with arms, each arm's model too, and there need be no default model
 * when every arm has one of its own (else EX_USAGE, crm_armmodel_new's).
 * NULL with e filled.
 */
struct crm_reco_run *crm_reco_run_new(
    const struct crm_reco_run_opts *o, struct crm_store *st, struct crm_err *e);

/* The filter's operations for the run (its arg is the run). */
const struct crm_filter_ops *crm_reco_run_ops(const struct crm_reco_run *r);

/*
 * Fit, eval: take the interactions from the events of st (a snapshot of
 * it) that have an item, of o->types with their weights.  0, or -1 with
 * e filled.
 */
int crm_reco_run_events(
    struct crm_reco_run *r, struct crm_store *st, struct crm_err *e);

/*
 * Recommend with --from-store: src is made a source of one record per
 * customer of st (per item of its events in item_mode), read from a
 * snapshot of st.  0, or -1 with e filled.
 */
int crm_reco_run_source(struct crm_reco_run *r, struct crm_store *st,
    struct crm_source *src, struct crm_err *e);

/*
 * The finish step, also run by the filter: fit the model and keep it
 * (o->model_file, or the store); or fit on all but each customer's
 * latest interactions and measure, the figures as one record written
 * through f (o->records; fold "all", as there are no folds) or as a line
 * of text.  With f, nothing is fitted when f rejected records or could
 * not read an input (a note says so).  0, or -1 with e filled.
 */
int crm_reco_run_finish(
    struct crm_reco_run *r, struct crm_filter *f, struct crm_err *e);

/* Eval's figures as text ("" until then), *len bytes with the newline. */
const char *crm_reco_run_text(const struct crm_reco_run *r, size_t *len);

/*
 * Note what f read (and recommended), once per run: the finish step
 * notes it before fitting, and this call after the run when the finish
 * step did not run.  Nothing for quiet runs.  Fit and eval from the
 * store count its events as read, those of no --event-types not used
 * ("other types N").
 */
void crm_reco_run_summary(struct crm_reco_run *r, struct crm_filter *f);

/* Counts so far: records given the popular items; records without item. */
unsigned long long crm_reco_run_popular(const struct crm_reco_run *r);
unsigned long long crm_reco_run_noitem(const struct crm_reco_run *r);

/* Commit the decisions logged; 0, or -1 with e filled. */
int crm_reco_run_close(struct crm_reco_run *r, struct crm_err *e);
void crm_reco_run_free(struct crm_reco_run *r);

#endif
