/*
 * events: reading the store's events and customers for the tools that
 * learn from them (crm-recommend's interactions, and the customers or
 * items it recommends for with --from-store).
 *
 * Ownership of the tables: lib/load.c writes customers and events (the
 * only writer, through crm-ingest); this module is where tools read them
 * as rows, so that no binary holds SQL of its own.  Every function takes
 * the store (or a snapshot of it, crm_store_snapshot()) from the caller,
 * which must outlive the cursors made here, except the record source,
 * which takes over its snapshot; a struct crm_ids owns its prepared
 * statement.
 */
#ifndef CRM_EVENTS_H
#define CRM_EVENTS_H

#include <stddef.h>

#include "clusters.h"
#include "err.h"
#include "filter.h"
#include "store.h"

/* One row of the events table, as read (valid during the callback). */
struct crm_event {
	const char *customer_id;
	const char *item; /* never NULL or empty here */
	const char *type;
	const char *time;
};

/*
 * Call fn(arg, ev, e) for every event that has an item, in the order
 * they were stored; stops at and returns fn's -1 (fn fills e).  With by
 * CRM_BY_PERSON, ev->customer_id is the id of the customer's person
 * (clusters.h), else the customer's.  0, or -1 with e filled ("cannot
 * read events" and the store's code).
 */
int crm_events_with_item(struct crm_store *s, enum crm_by by,
    int (*fn)(void *arg, const struct crm_event *ev, struct crm_err *e),
    void *arg, struct crm_err *e);

/* Which ids a struct crm_ids goes through. */
enum crm_ids_of {
	CRM_IDS_CUSTOMERS, /* every customer_id of customers, in order */
	CRM_IDS_ITEMS	   /* every distinct item of events, in order */
};

struct crm_ids;

/* A cursor over the ids; NULL with e filled ("cannot read the store"). */
struct crm_ids *crm_ids_open(
    struct crm_store *s, enum crm_ids_of what, struct crm_err *e);

/*
 * The next id into *id and *len (valid until the next call): 1, 0 at the
 * end, or -1 with e filled.
 */
int crm_ids_next(
    struct crm_ids *c, const char **id, size_t *len, struct crm_err *e);
void crm_ids_close(struct crm_ids *c);

/*
 * A record source (filter.h) of the ids, one JSONL-typed record each:
 * {field: id}.  It takes over snap, a snapshot of the store (also on
 * failure), and closes it with the cursor when the last id is read (its
 * close function), so that the run's own writes, made through the store
 * itself, never show up in it and the WAL is not held past the input.
 * The source is named "store" in messages.  0, or -1 with e filled.
 */
int crm_ids_source(struct crm_store *snap, enum crm_ids_of what,
    const char *field, struct crm_source *src, struct crm_err *e);

#endif
