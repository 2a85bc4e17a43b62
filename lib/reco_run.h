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
 *   ... the filter's loop, or crm_reco_run_events(run, store, &e) ...
 *   crm_reco_run_finish(run, &out, &e);	(fit, eval)
 *   crm_reco_run_close(run, &e);		(commits the decisions)
 *   crm_reco_run_free(run);
 *
 * Nothing here exits or writes to standard output: errors come back in a
 * struct crm_err, eval's figures in a buffer, and notes for the user
 * (EASE's fallback to kNN, what was fitted) through the note callback.
 * The run borrows the options (and what they point to) and the store.
 */
#ifndef CRM_RECO_RUN_H
#define CRM_RECO_RUN_H

#include <stdio.h>

#include "buf.h"
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
	int json;	   /* eval: the figures as JSON */
	int quiet;	   /* no note of what was fitted */
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
 * loaded (EX_NOINPUT when there is none) and decisions are logged in st.
 * NULL with e filled.
 */
struct crm_reco_run *crm_reco_run_new(
    const struct crm_reco_run_opts *o, struct crm_store *st, struct crm_err *e);

/* The filter's operations for the run (its arg is the run). */
const struct crm_filter_ops *crm_reco_run_ops(const struct crm_reco_run *r);

/*
 * Fit, eval: take the interactions from st's events that have an item,
 * of o->types with their weights.  0, or -1 with e filled.
 */
int crm_reco_run_events(
    struct crm_reco_run *r, struct crm_store *st, struct crm_err *e);

/*
 * Recommend with --from-store: one JSONL record per customer of st (per
 * item of its events in item_mode), in a temporary file for the filter's
 * loop, rewound.  NULL with e filled.
 */
FILE *crm_reco_run_store_records(
    struct crm_reco_run *r, struct crm_store *st, struct crm_err *e);

/*
 * Fit: fit the model and keep it (o->model_file, or the store).  Eval:
 * fit on all but each customer's latest interactions and measure; the
 * figures as one line (text or JSON) appended to out.  0, or -1 with e
 * filled.
 */
int crm_reco_run_finish(
    struct crm_reco_run *r, struct crm_buf *out, struct crm_err *e);

/* Counts so far: records given the popular items; records without item. */
unsigned long long crm_reco_run_popular(const struct crm_reco_run *r);
unsigned long long crm_reco_run_noitem(const struct crm_reco_run *r);

/* Commit the decisions logged; 0, or -1 with e filled. */
int crm_reco_run_close(struct crm_reco_run *r, struct crm_err *e);
void crm_reco_run_free(struct crm_reco_run *r);

#endif
