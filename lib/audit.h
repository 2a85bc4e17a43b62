/*
 * audit: the store's record of what the AI decided and what people said
 * it should have decided.  The decisions table gets one row per decision
 * (time, tool, model and version, record key, output, score, reasons),
 * written in transactions of at most 1000 rows, committed as well
 * whenever the caller says the input is idle, so that a long-running
 * filter neither holds the write lock while it waits nor loses more than
 * one batch when killed.  The labels table holds human corrections (task,
 * record key, text, label, source) for retraining.
 */
#ifndef CRM_AUDIT_H
#define CRM_AUDIT_H

#include <stddef.h>

#include "err.h"
#include "erase.h"
#include "store.h"

struct crm_audit;

/* Start logging decisions of tool with model name at version. */
struct crm_audit *crm_audit_open(struct crm_store *s, const char *tool,
    const char *model, long version, struct crm_err *e);

/*
 * The same, logging in batch, a writer's own batch on the same store
 * connection (such as the tags table's), so that a decision and the
 * writer's row for it are in one transaction; the writer commits it
 * (crm_audit_commit, crm_audit_idle and crm_audit_close leave it alone).
 */
struct crm_audit *crm_audit_open_batch(struct crm_store *s,
    struct crm_batch *batch, const char *tool, const char *model, long version,
    struct crm_err *e);

/*
 * Log the next decisions as made with model (borrowed: it must outlive
 * them) at version; model NULL goes back to crm_audit_open's.
 */
void crm_audit_set_model(struct crm_audit *a, const char *model, long version);

/*
 * Log one decision: key may be NULL (no key), subject the customer it is
 * about (NULL when the tool has none), reasons NULL or JSON text.  The
 * row gets its content hash and its chain hash, the chain read inside
 * the write transaction, so that writers in several processes make one
 * chain.  Returns 0, or -1 with e filled.
 */
int crm_audit_add(struct crm_audit *a, const char *key, size_t klen,
    const char *subject, size_t slen, const char *output, size_t olen,
    double score, const char *reasons, size_t rlen, struct crm_err *e);

/*
 * Mark the next decision logged (only that one) as held for human
 * review by the review rule named review (review.h; borrowed until
 * then): its row's review column.  NULL: not.
 */
void crm_audit_review(struct crm_audit *a, const char *review);

/*
 * Open the transaction the next decision will be logged in (committing a
 * full batch first), so that the caller's own writes for the same record
 * go in with it: both are in the store, or neither.  0 or -1.
 */
int crm_audit_begin(struct crm_audit *a, struct crm_err *e);

/* Commit what is logged so far; 0 or -1. */
int crm_audit_commit(struct crm_audit *a, struct crm_err *e);

/*
 * For a filter's idle hook (arg is the struct crm_audit, or NULL):
 * commit now.  A failure is kept and reported by crm_audit_close.
 */
void crm_audit_idle(void *arg);

/* Commit and free (a may be NULL); 0 or -1, also for an idle failure. */
int crm_audit_close(struct crm_audit *a, struct crm_err *e);

/*
 * Add a human label for task about subject (the customer; NULL: none
 * known); key may be NULL.  Uses a, batching.
 */
int crm_audit_label(struct crm_audit *a, const char *key, size_t klen,
    const char *subject, size_t slen, const char *text, size_t tlen,
    const char *label, size_t llen, const char *source, struct crm_err *e);

/*
 * Call fn(arg, text, tlen, label, llen) for every label of task that has
 * a text, oldest first; stops at and returns fn's -1.  0, or -1 with e
 * filled.
 */
int crm_labels_each(struct crm_store *s, const char *task,
    int (*fn)(void *, const char *, size_t, const char *, size_t), void *arg,
    struct crm_err *e);

/*
 * The decisions' hash chain.  A row's content hash is the SHA-256 of the
 * canonical encoding of its content: the text "crmkit decisions 1", then
 * time, tool, model, model_version, record_key, subject, output, score
 * (printf "%.17g"), reasons and review, each as its length (64-bit
 * little-endian) and bytes, a NULL as the length 2^64 - 1 alone, except
 * the review (schema 5), which is there only when it is not NULL: rows
 * hashed before it existed keep their hashes, and setting or clearing a
 * review changes the hash.  Its chain hash is the
 * SHA-256 of the previous row's chain hash (by id; 32 zero bytes for the
 * first) followed by its content hash.  Both are stored as 64 lower-case
 * hex digits.  Rows from before schema 4 have neither: the unchained
 * prefix.
 */
#define CRM_AUDIT_HASH 32

/* What crm_audit_verify() found. */
struct crm_audit_check {
	long long rows;	     /* decisions rows */
	long long unchained; /* of them, the prefix without hashes */
	long long redacted;  /* changed rows an erasure entry names */
	long long bad;	     /* the first row found wrong; 0: intact */
	char what[256];	     /* what is wrong with it, naming it */
};

/*
 * Walk the decisions in id order, in one read transaction, and find the
 * first row that was changed (its content does not give its content
 * hash), deleted (the next row's chain does not follow: an id gap says
 * which), inserted or moved (its chain follows another row, found and
 * named).  A changed row is accepted, and counted as redacted, when an
 * intact erasure entry after it names it (crm_audit_redact()).  0 with
 * c filled (c->bad 0: intact), or -1 with e filled.
 */
int crm_audit_verify(
    struct crm_store *s, struct crm_audit_check *c, struct crm_err *e);

/*
 * Of an intact chain, into buf (size n): "verified N decisions: the chain
 * is intact", then "; N unchained from before schema 4" and "; N
 * redacted by erasure" when there are some.  Returns buf.
 */
const char *crm_audit_summary(
    const struct crm_audit_check *c, char *buf, size_t n);

/*
 * The erasure hook: the new text of a row's columns, NULL to keep one.
 */
struct crm_audit_redaction {
	long long id;
	const char *record_key, *subject, *output, *reasons;
};

/*
 * Redact the n rows of r (their stored hashes are kept) and append one
 * chained erasure entry naming them: tool "crm-mask erase", output
 * {"redacted":[ID,...]} in ascending order, every other column NULL but
 * time.  Verify then accepts exactly those rows.  In the caller's
 * transaction when one is open (so an erasure is one transaction), else
 * in its own.  n 0 does nothing: call it only with rows to redact, so a
 * second erasure adds no entry.  0, or -1 with e filled (EX_DATAERR for
 * an id that is no row, or an erasure entry).
 */
int crm_audit_redact(struct crm_store *s, const struct crm_audit_redaction *r,
    size_t n, struct crm_err *e);

/*
 * How a customer's labels are erased (erase.h): those keyed by the
 * customer, or by a record a decision about the customer was keyed by.
 */
extern const struct crm_erase_step crm_audit_erase[];

/*
 * Erasure of customer id from the decisions: every row about it (subject
 * id, or record key id where the subject is unknown; erasure entries
 * aside) keeps its decision (tool, model, output, score) and gets token
 * for the id and "[]" for its reasons (which may quote the customer's
 * values or words); another row whose output is the id (a cluster id),
 * or of crm-dedupe a variant of it (a person's id, erase.h), gets token
 * there (with the variant's number).  Through
 * crm_audit_redact(), in the caller's transaction; reported through fn
 * as "redacted".  Call it after crm_audit_erase's labels, which find
 * records by subject.  0, or -1 with e filled.
 */
int crm_audit_erase_subject(struct crm_store *s, const char *id,
    const char *token, crm_erase_fn fn, void *arg, struct crm_err *e);

/*
 * Merge a shard's decisions into m (merge.h), in m's open transaction:
 * the shard's chain is verified first, as crm_audit_verify does (a broken
 * one is refused, EX_DATAERR naming its row), then its rows after
 * mark->upto are appended to m's chain as a new chained segment: each
 * keeps its content and content hash and gets its chain hash on m's
 * chain, so that m's chain verifies after.  mark says where the shard
 * was merged up to (its row there must still have the chain hash
 * recorded: else this is another shard of the same name, refused) and
 * is moved to the shard's last row.  Refused too: decisions from before
 * schema 4 (nothing to chain) and erasure entries after mark (an
 * erasure names the shard's rows: erase on m instead).  The rows added
 * are added to *changed.  0, or -1 with e filled.
 */
struct crm_merge_mark;
int crm_audit_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

#endif
