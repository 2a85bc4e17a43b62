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
 * chain hash.  A table whose digest is the one recorded is not read
 * again, so merging a shard twice changes nothing; a shard that grew
 * since is merged again for its changed tables, its decisions from the
 * row after the last one merged.  Models are not merged: they are
 * trained on one machine and shipped as files.
 */
#ifndef CRM_MERGE_H
#define CRM_MERGE_H

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
 * For the owners' merge functions: every row of the query select on
 * shard, its columns bound in order as ?1, ?2, ... of the statement
 * write on m, which is run once a row; the rows it changed are added to
 * *changed.  0, or -1 with e filled.
 */
int crm_merge_copy(struct crm_store *m, struct crm_store *shard,
    const char *select, const char *write, long long *changed,
    struct crm_err *e);

#endif
