/*
 * merge: folding stores written by shards on many machines into one
 * (crm-ingest merge), the owner of the store's merges table.
 *
 * A shard is opened read-only (crm_store_open_exact: a store of another
 * schema version is refused, never migrated) and folded into the main
 * store in one transaction, so that a failure leaves the main store as
 * it was.  Each table is merged by its owner's merge function (the table
 * list in merge.c says which); this file only orchestrates, and keeps in
 * the merges table, per shard (known by its file's name) and table, a
 * digest of the table as merged (the SHA-256 of its rows in the order
 * SQLite reads them) and, for the decisions, the last row merged and its
 * chain hash; in the merge_rows table, per shard table and row key, the
 * 64-bit XXH3 digest of the row as merged.  A table whose digest is the
 * one recorded is not read again, so merging a shard twice changes
 * nothing; a shard that grew since is merged again for its changed rows
 * only (new, or their digest changed), its decisions from the row after
 * the last one merged, so that its unchanged rows never overwrite what
 * the main store or another shard wrote since.  A row deleted from a
 * shard is left in the main store (erasures reach it through the
 * decisions, a tag's end through its span) and its digest forgotten.
 * Models are not merged: they are trained on one machine and shipped as
 * files.
 */
#ifndef CRM_MERGE_H
#define CRM_MERGE_H

#include "erase.h"
#include "err.h"
#include "store.h"

/* What crm_merge_shard() did. */
struct crm_merge_counts {
	long long tables;    /* tables merged (their digest was new) */
	long long unchanged; /* tables skipped: merged as they are */
	long long rows;	     /* rows of the main store written */
};

/*
 * Where a shard's table was merged up to, for the owners of tables
 * merged row by row from the last one (the decisions): the shard's last
 * row merged (0: none yet) and its chain hash, read from the merges table
 * before and recorded after.
 */
struct crm_merge_mark {
	long long id; /* the shard table's merges row */
	long long upto;
	char chain[65];
};

/*
 * Merge the shard store at path into m, in one transaction; n is added
 * to.  0, or -1 with e filled: EX_NOINPUT for a shard that cannot be
 * opened, EX_UNAVAILABLE for one of another schema version, EX_DATAERR
 * for a shard that is not a crmkit store, whose decisions' chain is
 * broken (its row named) or whose rows cannot be merged (named), the
 * store's code for the main store's failures.
 */
int crm_merge_shard(struct crm_store *m, const char *path, int busy_ms,
    struct crm_merge_counts *n, struct crm_err *e);

/*
 * Whether path may be merged into m: -1 with e filled (EX_USAGE) when it
 * is m's file (by any name), else 0.  crm_merge_shard() checks it too;
 * check every shard first so that a usage error merges nothing.
 */
int crm_merge_check(struct crm_store *m, const char *path, struct crm_err *e);

/*
 * For the owners' merge functions: the rows of the query select on shard
 * that are new or changed since the shard table's last merge (mark), each
 * given to fn with the statement and arg; fn reads the row's values from
 * column 1 on.  Column 0 of select is the row's key, text unique in the
 * table, and select is ordered by it (ORDER BY 1).  The rows are recorded
 * as merged; the keys no longer in the shard are forgotten.  0, or -1
 * with e filled (fn fills e when it fails).
 */
typedef int crm_merge_row_fn(void *arg, sqlite3_stmt *row, struct crm_err *e);
int crm_merge_rows(struct crm_store *m, struct crm_store *shard,
    const struct crm_merge_mark *mark, const char *select, crm_merge_row_fn *fn,
    void *arg, struct crm_err *e);

/*
 * crm_merge_rows() with a write: each such row's columns 1, 2, ... bound
 * as ?1, ?2, ... of the statement write on m, which is run once a row;
 * the rows it changed are added to *changed.  0, or -1 with e filled.
 */
int crm_merge_copy(struct crm_store *m, struct crm_store *shard,
    const struct crm_merge_mark *mark, const char *select, const char *write,
    long long *changed, struct crm_err *e);

/*
 * What erasure deletes of merge_rows: the digests of the customer's rows
 * (its own row and clusters' by its id, its events, tags, spans, consent
 * and assignments by their keys), run before those rows go.
 */
extern const struct crm_erase_step crm_merge_erase[];

#endif
