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
 * Log one decision: key may be NULL (no key), reasons NULL or JSON text.
 * Returns 0, or -1 with e filled.
 */
int crm_audit_add(struct crm_audit *a, const char *key, size_t klen,
    const char *output, size_t olen, double score, const char *reasons,
    size_t rlen, struct crm_err *e);

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

/* Add a human label for task; key may be NULL.  Uses a, batching. */
int crm_audit_label(struct crm_audit *a, const char *key, size_t klen,
    const char *text, size_t tlen, const char *label, size_t llen,
    const char *source, struct crm_err *e);

/*
 * Call fn(arg, text, tlen, label, llen) for every label of task that has
 * a text, oldest first; stops at and returns fn's -1.  0, or -1 with e
 * filled.
 */
int crm_labels_each(struct crm_store *s, const char *task,
    int (*fn)(void *, const char *, size_t, const char *, size_t), void *arg,
    struct crm_err *e);

/*
 * How a customer's labels are erased (erase.h): those keyed by the
 * customer, or by a record a decision about the customer was keyed by.
 */
extern const struct crm_erase_step crm_audit_erase[];

#endif
