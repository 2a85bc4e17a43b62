/*
 * erase: a customer's right to erasure, over every table of the store.
 * Each table's owner says how its rows of a customer go (crm_X_erase in
 * its own file); this file knows every table, runs them in one
 * transaction with SQLite's secure_delete on, and truncates the WAL, so
 * that the bytes are gone from the file and its -wal as well.
 */
#ifndef CRM_ERASE_H
#define CRM_ERASE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "rec.h"
#include "store.h"

/*
 * What erasure did in one table for customer id: what is "deleted",
 * "kept" (rows left on purpose, such as a consent withdrawal),
 * "redacted" or "retrain" (a model that holds the customer's values);
 * rows how many (for a model, its version), detail NULL or a name.
 */
typedef void (*crm_erase_fn)(void *arg, const char *id, const char *table,
    const char *what, long rows, const char *detail);

/*
 * One statement of a table's erasure, in the file that owns the table:
 * sql's parameter ?1 is the customer id, ?2 (if used) the erasure's
 * random stand-in for it; what as for crm_erase_fn.
 * Arrays of them end with a NULL table.
 */
struct crm_erase_step {
	const char *table;
	const char *what;
	const char *sql;
};

/*
 * For a step's sql: whether column col names something after customer
 * ?1: its id, or, for a person of crm-dedupe (lib/persons.c), its id
 * followed by '~' and a number (A1~2); and col with the stand-in ?2 in
 * the id's place (erased-...~2).  Another customer whose own id is
 * such a variant of the one erased has its cluster and person renamed
 * too: its members stay together, under the stand-in.  (The variants
 * are a range of col, which an index of col finds.)
 */
#define CRM_ERASE_NAMED(col)                                                   \
	"(" col " = ?1 OR (" col " >= ?1 || '~' AND " col                      \
	" < ?1 || char(127) AND substr(" col ", length(?1) + 2) GLOB '[1-9]*'" \
	" AND substr(" col ", length(?1) + 2) NOT GLOB '*[^0-9]*'))"
#define CRM_ERASE_RENAMED(col) "?2 || substr(" col ", length(?1) + 1)"

/*
 * Erase customer id from every table of s, in one transaction; report
 * each table through fn (rows 0 where there was nothing), so a second
 * run reports only zeros.  0, or -1 with e filled (nothing erased).
 */
int crm_erase(struct crm_store *s, const char *id, crm_erase_fn fn, void *arg,
    struct crm_err *e);

/*
 * After the last crm_erase: checkpoint and truncate the WAL.  0; 1 when
 * another connection kept the WAL from being truncated (its old pages
 * may still hold erased bytes until the next checkpoint); -1 with e.
 */
int crm_erase_finish(struct crm_store *s, struct crm_err *e);

/*
 * The store's tables that erasure knows, NULL-terminated: those it
 * erases from and those that hold no customer's data.  A table of the
 * store missing here is a test failure (tests/unit/test_erase.c).
 */
const char *const *crm_erase_tables(void);

/* What crm_erase_ids() did, for the summary. */
struct crm_erase_totals {
	unsigned long long ids;	     /* customers erased */
	unsigned long long deleted;  /* rows deleted */
	unsigned long long redacted; /* decisions redacted */
	unsigned long long retrain;  /* model versions to retrain */
	int wal_busy;		     /* crm_erase_finish's 1 */
	/* called with an id of which the store held nothing, or NULL */
	void (*none)(const char *id);
};

/*
 * crm-mask erase: erase each of the n ids, or, when ids is NULL, each
 * line of in (named inname; blank lines skipped, blanks around an id
 * trimmed), each in its transaction, then finish; write one record per
 * customer and table to w (customer_id, table, action, rows, detail);
 * t's counts filled (its none set by the caller, kept).
 * 0, or -1 with e filled (EX_DATAERR naming the line for a bad one; the
 * customers before it are erased).
 */
int crm_erase_ids(struct crm_store *s, char *const *ids, size_t n, FILE *in,
    const char *inname, struct crm_writer *w, struct crm_erase_totals *t,
    struct crm_err *e);

#endif
