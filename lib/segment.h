/*
 * segment: crm-tag's pipeline.  Each customer record gets the tags of
 * rules written as SQL expressions (lib/rules), and, over all the
 * records, RFM scores and segments (lib/rfm) and a k-means cluster
 * (lib/kmeans).  Rules and RFM/k-means read a record's fields, or the
 * customer's features from the store (lib/activity) when the record
 * lacks them; with a store, the tags are kept current in its tags table
 * (lib/tags owns that table: this module writes it only through
 * crm_tags_put).
 *
 * A rule may name a purpose ("TAG purpose=NAME: expression"): its tag is
 * then an action, which proposes contacting the customer, and with a
 * store it is left out (from the tags field and the tags table) for a
 * customer whose latest consent for that purpose is withdrawn
 * (consent.h); with show_suppressed such tags go into an
 * action_suppressed field (a JSON array).  How many were left out, per
 * purpose, is said on stderr at close unless quiet.  Without a store,
 * crm_segment_new says once that consent is not checked.
 *
 * RFM and k-means are a model (tagmodel.h): the quintile boundaries and
 * the k-means centres.  With a model read (model_file, or model from the
 * store), each record is scored, clustered and tagged as it comes
 * (crm_segment_add), whatever records come before or after it: the
 * records may be split among processes.  Without one, the records are
 * held, packed; at the end the model is fit on them all and applied to
 * each, the same code as applying a model read, and they are tagged and
 * written (crm_segment_finish).  With fit, nothing is written: only
 * the records' values are held, and the model is kept
 * (crm_segment_save).  Rules alone tag each record as it
 * comes.  Nothing here
 * exits or writes to stdout; the summaries (segment counts, k-means) go
 * to stderr unless quiet, like the filter's own.
 *
 * Use: crm_segment_new(), crm_segment_check_header() and
 * crm_segment_out_header() for each input's header, crm_segment_add() for
 * each record, crm_segment_finish() at the end of the input, then
 * crm_segment_close() (commits the tags) whatever happened.
 */
#ifndef CRM_SEGMENT_H
#define CRM_SEGMENT_H

#include <stddef.h>
#include <stdio.h>

#include "clusters.h"
#include "err.h"
#include "progress.h"
#include "rec.h"
#include "store.h"

struct crm_source;

struct crm_segment_opts {
	const char *db;		  /* the store, or NULL */
	long busy_ms;		  /* wait for other writers */
	const char *as_of;	  /* the features' day; NULL: the last */
	const char *id_field;	  /* the customer key (customer_id) */
	const char *const *rules; /* rules files */
	size_t nrules;
	int rfm;		      /* RFM scores and segments */
	const char *rfm_fields[3];    /* recency, frequency, monetary */
	long k;			      /* k-means clusters; 0: none */
	int auto_k;		      /* choose k from 2 to k */
	const char *const *km_fields; /* k-means on these fields */
	size_t nkm;
	int log;		/* k-means on log(1 + value) */
	long restarts;		/* k-means runs from new seeds */
	unsigned long seed;	/* k-means seed */
	int from_store;		/* records from the store */
	enum crm_by by;		/* the features: each customer's own events or
			   its person's (clusters.h); CRM_BY_AUTO: person
			   when the store has clusters */
	int quiet;		/* no summaries on stderr */
	int show_suppressed;	/* add action_suppressed (see below) */
	int fit;		/* fit the model, write no records */
	const char *model_file; /* fit: write it here; else apply it */
	const char *model;	/* the model's name in the store; not
				   fit: apply it (rfm, k and their fields
				   come from the model) */
	long model_version;	/* of model; 0: the newest */
	struct crm_progress_cb progress; /* k-means' runs */
};

struct crm_segment;

/*
 * Read and compile the rules, open the store (o->db) and its customer
 * features and tags table.  o and the strings it points to are borrowed
 * and must outlive the segment.  NULL with e filled: a rule's file and
 * line for a bad rule, EX_USAGE for a bad o->as_of (the message says
 * so), a store error otherwise.
 */
struct crm_segment *crm_segment_new(
    const struct crm_segment_opts *o, struct crm_err *e);

/*
 * Check that every name the rules, RFM and k-means read is a field of
 * hdr (names only), a customer feature (with a store) or a field the
 * segment appends.  0, or -1 with e filled (EX_DATAERR).
 */
int crm_segment_check_header(
    struct crm_segment *s, const struct crm_rec *hdr, struct crm_err *e);

/* Append the fields the segment adds to hdr (names, values empty). */
int crm_segment_out_header(
    struct crm_segment *s, struct crm_rec *hdr, struct crm_err *e);

/*
 * Take record r (untyped: CSV or TSV text).  With RFM or k-means the
 * record is held (*held set: it is written by crm_segment_finish);
 * else its tags are appended to it.  0; -1 with e filled (EX_DATAERR
 * rejects the record); CRM_FILTER_FATAL (filter.h) for a store error.
 */
int crm_segment_add(struct crm_segment *s, struct crm_rec *r, int untyped,
    int *held, struct crm_err *e);

/*
 * The end of the input: score and cluster the held records, tag them,
 * and hand each to emit in input order.  A record the rules fail on is
 * reported on stderr, counted (crm_segment_failed) and emitted all the
 * same.  0, or -1 with e filled (emit's error, or the segment's).
 */
int crm_segment_finish(struct crm_segment *s,
    int (*emit)(void *arg, const struct crm_rec *r, struct crm_err *e),
    void *arg, struct crm_err *e);

/*
 * The ops of a filter whose arg is a struct crm_segment bound to the
 * filter f (crm_segment_bind(), once f is made and before it runs): the
 * header steps, a record step that is crm_segment_add() (untyped for
 * CSV and TSV input), the idle step, and a finish step that is
 * crm_segment_finish() writing to f.
 */
struct crm_filter;
struct crm_filter_ops;
const struct crm_filter_ops *crm_segment_ops(void);
void crm_segment_bind(struct crm_segment *s, struct crm_filter *f);

/*
 * After crm_segment_finish with fit: write the model to o->model_file,
 * or to the store as the next version of o->model (kind "tag"), and
 * say so on stderr unless quiet.  0, or -1 with e filled.
 */
int crm_segment_save(struct crm_segment *s, struct crm_err *e);

/* Held records that the rules failed on. */
size_t crm_segment_failed(const struct crm_segment *s);

/*
 * With o->from_store: the store's customers and their features as a
 * record source (crm_activity_source: a snapshot of the store, closed
 * when the last record is read), after checking that the rules, RFM and
 * k-means read only its fields (e->file is the store's for an error).
 * 0, or -1 with e filled.
 */
int crm_segment_source(
    struct crm_segment *s, struct crm_source *src, struct crm_err *e);

/* For a filter's idle hook: commit the tags written so far. */
void crm_segment_idle(void *arg);

/*
 * Commit the tags, close the store and free s (may be NULL).  0, or -1
 * with e filled.
 */
int crm_segment_close(struct crm_segment *s, struct crm_err *e);

/* ==== The parts, for tests and other tools ==== */

/* The segment of a customer's RFM scores (r, f, m), or NULL for 0s. */
const char *crm_segment_rfm_of(const unsigned char score[3]);

/*
 * Renumber the n labels (0 to k - 1) by cluster size, largest first;
 * of two clusters of one size, the one seen first in label comes first.
 * 0, or -1 when out of memory (label is left as it was).
 */
int crm_segment_renumber(int *label, size_t n, size_t k);

struct crm_segment_kmeans {
	size_t k;	    /* clusters; with auto_k, the most tried */
	int auto_k;	    /* choose k from 2 to k by silhouette */
	int restarts;	    /* runs from new seeds, best kept */
	unsigned long seed; /* of the random numbers */
	int quiet;	    /* no lines on stderr */
	size_t chosen;	    /* out: the k used */
	double inertia;	    /* out: of the run kept */
	double *centers;    /* out (room for k * d; NULL: not wanted): the
			       centres, numbered as the labels */
	double *mean, *sd;  /* out (d each; NULL: not wanted): the
			       standardization (crm_standardize) */
	int iterations;	    /* out: its Lloyd iterations */
	struct crm_progress_cb progress; /* the runs, k by k */
};

/* Points in the silhouette of auto_k. */
#define CRM_SEGMENT_SAMPLE 2000

/*
 * k-means model selection over the n points x (n * d), which are
 * standardized in place: with auto_k, the k from 2 to km->k (and the
 * number of distinct points) of the best silhouette on a sample of
 * CRM_SEGMENT_SAMPLE points, else km->k; the best of km->restarts runs.
 * label (n) gets each point's cluster, renumbered by size
 * (crm_segment_renumber), dist (n) its distance to the centre.  The same
 * seed gives the same labels.  0, or -1 with e filled (EX_DATAERR: too
 * few distinct points).
 */
int crm_segment_kmeans(double *x, size_t n, size_t d,
    struct crm_segment_kmeans *km, int *label, double *dist, struct crm_err *e);

#endif
