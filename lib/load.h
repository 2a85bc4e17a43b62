/*
 * load: upserting normalized records into the store by their kind's key.
 *
 * For customers and events the known fields go to their columns and every
 * other field into the JSON object in the "extra" column (merged, so that a
 * file that lacks a field never erases it); a generic table (--table) has
 * columns added as new fields appear, NUMERIC or INTEGER for a field its
 * schema types so (or whose first value --infer-types found a number),
 * else TEXT, with names
 * quoted as identifiers, never pasted into SQL, and whose "_extra" JSON
 * column takes the fields no column can (odd names, case clashes).
 * Consent records are handed to lib/consent.c, the consent table's owner
 * (keyed by customer, purpose and time).  Loading a record that is
 * already stored with the same values changes nothing.  The caller opens
 * and commits the transactions (crm_store_begin/commit).  A struct
 * crm_loader borrows the store and the schema and owns its statements.
 */
#ifndef CRM_LOAD_H
#define CRM_LOAD_H

#include "erase.h"
#include "err.h"
#include "rec.h"
#include "schema.h"
#include "store.h"

enum crm_load_result {
	CRM_LOAD_INSERTED,
	CRM_LOAD_UPDATED,
	CRM_LOAD_UNCHANGED
};

struct crm_loader;

/*
 * Return a loader for the schema's kind, creating a generic table
 * if it does not exist (inside the caller's transaction or its own), or
 * NULL with e filled.
 */
struct crm_loader *crm_loader_new(
    struct crm_store *st, struct crm_schema *sc, struct crm_err *e);
void crm_loader_free(struct crm_loader *ld);

/*
 * The i-th existing column of a generic table that the schema types as a
 * number but that is TEXT in the store (it stays so: its numbers are
 * stored as text), or NULL past the last.  For a warning.
 */
const char *crm_loader_text_column(const struct crm_loader *ld, size_t i);

/*
 * Upsert r (already normalized by crm_schema_apply).  Returns 0 with *res
 * set, or -1 with e filled: the store's code (crm_store_fail), or
 * EX_SOFTWARE when out of memory.  A record valid for its kind is never
 * refused: fields with no column of their own go into the extra JSON.
 */
int crm_loader_put(struct crm_loader *ld, const struct crm_rec *r,
    enum crm_load_result *res, struct crm_err *e);

/*
 * Batch mode, for bulk loads: after crm_loader_start() the loader stores
 * records on a thread of its own, `batch` records per BEGIN IMMEDIATE
 * transaction, so every batch is either fully in or fully out.
 * crm_loader_add() copies r into the current batch (the caller may reuse
 * r at once); crm_loader_finish() stores what is left and waits.  Both
 * return 0, or -1 with the first store error in e, after which nothing more
 * is stored.  The caller must not use the store's connection between
 * start and finish.  The records must be valid for the kind (see
 * crm_schema_apply), since the thread rejects nothing.
 */
int crm_loader_start(struct crm_loader *ld, size_t batch, struct crm_err *e);
int crm_loader_add(
    struct crm_loader *ld, const struct crm_rec *r, struct crm_err *e);
int crm_loader_finish(struct crm_loader *ld, struct crm_err *e);

/* Records stored in batch mode so far, by outcome. */
void crm_loader_counts(const struct crm_loader *ld, unsigned long long *ins,
    unsigned long long *upd, unsigned long long *same);

/*
 * Erase customer id from the tables crm-ingest writes: customers, events,
 * and every table of its own (--table) that has a customer_id column
 * (any case); a table of its own without one is reported "unchecked".
 * 0, or -1 with e filled.
 */
int crm_load_erase(struct crm_store *s, const char *id, crm_erase_fn fn,
    void *arg, struct crm_err *e);

/*
 * Merge a shard's customers, events (merge.h): a row whose key the main
 * store lacks is inserted; one it has is updated as crm-ingest updates
 * it, the shard's values over the main store's (a NULL keeps the main
 * store's; the extra JSON objects merged, the shard's fields winning),
 * so that the shard merged last is the last written.  Rows already the
 * same change nothing.  mark is not used.  0, or -1 with e filled.
 */
struct crm_merge_mark;
int crm_load_merge_customers(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);
int crm_load_merge_events(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

#endif
