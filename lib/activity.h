/*
 * activity: what each customer did, computed from the store's events as
 * of one day: the customer features crm-churn learns from and crm-tag's
 * rules and RFM scores read.
 *
 * The features form a fixed catalogue (crm_activity_name(), documented in
 * crm-tag(1)); a caller asks for the ones it wants, in its own order.
 * Days are whole days before the as-of day; events after it are left
 * out.  A struct crm_activity owns its prepared statements and borrows the
 * store, which must outlive it.
 *
 * Per person (o->by), a customer's features are those of every event of
 * every record of its person (clusters.h): the record keeps its own id.
 *
 * Tables: owns none; reads customers and events (written by load.h),
 * clusters (clusters.h) and decisions (audit.h), only through the
 * statements here.
 */
#ifndef CRM_ACTIVITY_H
#define CRM_ACTIVITY_H

#include <stddef.h>
#include <stdio.h>

#include "clusters.h"
#include "err.h"
#include "filter.h"
#include "rec.h"
#include "store.h"

/* The catalogue: how many features there are, and the name of each. */
size_t crm_activity_count(void);
const char *crm_activity_name(size_t i);

/* The index of the feature named name (len bytes), or -1. */
long crm_activity_find(const char *name, size_t len);

struct crm_activity_opts {
	const char *as_of;	  /* YYYY-MM-DD; NULL: the last event's day */
	const char *const *names; /* the features wanted; NULL: all */
	size_t nnames;
	const char *id_field; /* crm_activity_next: the id's field name */
	const char *extra;    /* crm_activity_next: also this key of the
				 customer's extra JSON, as a field of that
				 name when it is there; or NULL */
	int events_too;	      /* crm_activity_next: also customers that
				 have events and no row in customers */
	enum crm_by by;	      /* each customer's own events (record), or
				 all those of its person (clusters.h);
				 CRM_BY_AUTO: person when the store has
				 clusters */
	int one_per_person;   /* crm_activity_next, by person: one record
				 per person rather than per customer (see
				 there) */
	int (*extra_rank)(const char *v, size_t len);
	/* one_per_person: the rank of a record's o->extra value (its text);
	   the person's is the one ranked lowest, the first in customer_id
	   order among equals.  NULL: all rank the same */
};

struct crm_activity;

/*
 * Prepare the features of o on store s.  NULL with e filled: EX_USAGE for
 * an unknown feature name, EX_DATAERR when o->as_of is NULL and the store
 * has no events to take the day from, a store error otherwise.
 */
struct crm_activity *crm_activity_open(
    struct crm_store *s, const struct crm_activity_opts *o, struct crm_err *e);
void crm_activity_close(struct crm_activity *f);

/* The as-of day in use, YYYY-MM-DD. */
const char *crm_activity_as_of(const struct crm_activity *f);

/* The mode in use, person or record (o->by, resolved). */
enum crm_by crm_activity_by(const struct crm_activity *f);

/*
 * Put the features of customer id (len bytes) into out, cleared first:
 * one field per feature, numbers as numbers, a feature without a value
 * (no order yet: no days since the last order) as null.  A customer the
 * store does not know gets the features of no events.  0, or -1 with e
 * filled.
 */
int crm_activity_get(struct crm_activity *f, const char *id, size_t len,
    struct crm_rec *out, struct crm_err *e);

/*
 * The next customer of the store, in customer_id order, into out: its id
 * under o->id_field, its features, and o->extra.  With o->one_per_person
 * and the mode person, the next person instead, in person id order: its
 * id (clusters.h) under o->id_field, its features, and of its records'
 * o->extra values the one o->extra_rank ranks lowest (none when no
 * record has one), so that a person of two records is one record, not
 * two.  1 with a record, 0 at the end, -1 with e filled.
 */
int crm_activity_next(
    struct crm_activity *f, struct crm_rec *out, struct crm_err *e);

/*
 * A record source (filter.h) of every customer of store s, as
 * crm_activity_next gives them, read from a snapshot of s taken now
 * (crm_store_snapshot): the run's own writes through s never show up in
 * it.  With need_extra, only the customers that have o->extra.  The
 * records are JSONL-typed and numbered from 1 (their "line" in
 * messages); src->name is "store".  src->close, which
 * crm_filter_run_source() calls once the last record is read, lets the
 * snapshot go and frees the source; call it yourself when the source is
 * not run.  o's strings are borrowed until then.  0, or -1 with e filled
 * (as crm_activity_open, or the snapshot's error).
 */
int crm_activity_source(struct crm_store *s, const struct crm_activity_opts *o,
    int need_extra, struct crm_source *src, struct crm_err *e);

#endif
