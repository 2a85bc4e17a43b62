/*
 * store: the shared SQLite file that holds everything that outlives one
 * run (customers, events, tags, clusters, models, decisions, labels, and
 * the help desk's agents and tickets).
 *
 * crm_store_open() creates the file if needed, sets WAL mode and a busy
 * timeout, and migrates the schema forward by PRAGMA user_version inside
 * one BEGIN IMMEDIATE transaction, so that concurrent first opens are
 * safe.  Writers group their work in crm_store_begin()/crm_store_commit()
 * batches of bounded size.  The schema is documented in crm-store(5).
 * A struct crm_store owns its sqlite3 connection; crm_store_close() frees
 * both.
 */
#ifndef CRM_STORE_H
#define CRM_STORE_H

#include <sqlite3.h>

#include "err.h"

#define CRM_STORE_VERSION 11 /* schema version this code writes */

struct crm_store;

/*
 * Open or create the store at path.  busy_ms is how long to wait for
 * another writer (0 for the default, 60 s).  Returns NULL with e filled:
 * EX_CANTCREAT when the file cannot be opened or created, EX_DATAERR when
 * it is not an SQLite database, EX_UNAVAILABLE when its schema is newer
 * than this program, EX_TEMPFAIL when it stayed locked.
 */
struct crm_store *crm_store_open(
    const char *path, int busy_ms, struct crm_err *e);
void crm_store_close(struct crm_store *s);

/*
 * Open the store at path to read it only (crm-report), with a read-only
 * connection, so that a store the user may read but not write is read:
 * no file is made, nor WAL mode set.  A store of an older schema is
 * opened by crm_store_open (migrated).  NULL with e filled: EX_NOINPUT
 * when it cannot be opened, EX_DATAERR when it is not an SQLite database
 * or one without a crmkit schema (an empty file, another program's),
 * EX_UNAVAILABLE when its schema is newer than this program, and
 * crm_store_open's codes for an older one.
 */
struct crm_store *crm_store_open_read(
    const char *path, int busy_ms, struct crm_err *e);

/*
 * The same for a store that is another's (a shard to merge): one of an
 * older schema is refused too (EX_UNAVAILABLE), not migrated, so that
 * the file is never written.
 */
struct crm_store *crm_store_open_exact(
    const char *path, int busy_ms, struct crm_err *e);

/*
 * A snapshot of store s for a long read (--from-store): a second,
 * read-only connection to the same file that holds one read transaction,
 * so that every query on it sees the store as it was when the snapshot
 * was taken, and none of the writes the run makes through s meanwhile.
 * Use it as a struct crm_store for reading; close it with
 * crm_store_close() (its statements finalized first) as soon as the last
 * row is read.
 *
 * The WAL while it is open: SQLite's checkpoints go on, and copy into
 * the database every frame the snapshot already sees; only frames
 * written after it was taken (by this run or another writer) wait in the
 * WAL, which restarts from its beginning at the first checkpoint after
 * the snapshot is closed.  A tool therefore closes its snapshot when its
 * input ends, before its finish step writes: a tool that holds its
 * records never makes its own writes wait; one that writes as it reads
 * (scoring) keeps those writes in the WAL until its last record is read,
 * as crm-store(5) says.  NULL with e filled (EX_NOINPUT when the file
 * cannot be opened).
 */
struct crm_store *crm_store_snapshot(struct crm_store *s, struct crm_err *e);

/* The connection, for statements of the caller's own. */
sqlite3 *crm_store_db(struct crm_store *s);

/* The store's file name as given to crm_store_open(), for messages. */
const char *crm_store_path(const struct crm_store *s);

/*
 * Run one statement of s whose parameter ?1 is id and ?2, if it has one,
 * token (an erasure's DELETE or UPDATE); the rows it changed, or -1 with
 * e filled.
 */
long crm_store_run_id(struct crm_store *s, const char *sql, const char *id,
    const char *token, struct crm_err *e);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; 0, or -1 with e filled. */
int crm_store_begin(struct crm_store *s, struct crm_err *e);
int crm_store_commit(struct crm_store *s, struct crm_err *e);
void crm_store_rollback(struct crm_store *s);

/*
 * For a bulk writer: run the store's WAL checkpoints on a thread of their
 * own, with a second connection, instead of inside the commit that makes
 * the WAL long enough, so the writer goes on while a checkpoint waits for
 * the disk.  Commits and their durability are unchanged.  Should the
 * thread fall behind, a commit waits for it and checkpoints itself, so the
 * WAL stays bounded.  The writer's connection must then be used by one
 * thread at a time.  Returns 0, or -1 with e filled.  Stopped by
 * crm_store_bg_checkpoints_stop() (a no-op when not started) or
 * crm_store_close().
 */
int crm_store_bg_checkpoints(struct crm_store *s, struct crm_err *e);
void crm_store_bg_checkpoints_stop(struct crm_store *s);

/*
 * A batch: a writer's rows grouped in BEGIN IMMEDIATE transactions of at
 * most max rows, committed as well whenever the writer's input is idle,
 * so that a long-running filter neither holds the write lock while it
 * waits nor loses more than one batch when killed.  Owned by the writer;
 * it borrows the store.
 */
struct crm_batch {
	struct crm_store *s;
	size_t max;	   /* rows per transaction */
	size_t pending;	   /* rows in the open transaction */
	int open;	   /* a transaction is open */
	unsigned long gen; /* transactions opened, to know one from another */
	int idle_failed;   /* a commit from crm_batch_idle() failed */
	struct crm_err idle_err;
};

void crm_batch_init(struct crm_batch *b, struct crm_store *s, size_t max);

/*
 * Count one more row, opening a transaction when none is open and
 * committing a full one first; call before writing the row.  0 or -1.
 */
int crm_batch_add(struct crm_batch *b, struct crm_err *e);

/* Commit the open transaction, if any; 0 or -1. */
int crm_batch_commit(struct crm_batch *b, struct crm_err *e);

/* Commit now (the input is idle); a failure is kept for close. */
void crm_batch_idle(struct crm_batch *b);

/*
 * Commit what is left, or roll it back after an idle failure, which is
 * then returned.  0 or -1.
 */
int crm_batch_close(struct crm_batch *b, struct crm_err *e);

/*
 * Fill e from the connection's last error ("what: sqlite message"), with
 * the sysexits code for it (EX_TEMPFAIL for busy or locked, EX_IOERR for
 * I/O and full disk, EX_DATAERR for a corrupt file, else EX_SOFTWARE), and
 * return -1.
 */
int crm_store_fail(struct crm_store *s, struct crm_err *e, const char *what);

/* Map an SQLite result code to a sysexits code. */
int crm_store_exit_code(int sqlite_rc);

/*
 * Whether name is taken by the store's own schema, so that `crm-ingest
 * --kind NAME` may not create a table of that name: CRM_STORE_TABLE (one
 * of its tables, or SQLite's), CRM_STORE_INDEX (one of its indexes), or 0.
 */
#define CRM_STORE_TABLE 1
#define CRM_STORE_INDEX 2
int crm_store_reserved(const char *name);

/* Send SQLite's error log to stderr (for --verbose); call before opening. */
void crm_store_log_to_stderr(void);

#endif
