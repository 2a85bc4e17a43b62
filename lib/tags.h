/*
 * tags: the store's tags table, kept current: a customer carries a tag
 * while a rule gives it.  Giving a tag the customer already has keeps the
 * time it was first given (and records the rule, if another); taking one
 * away deletes its row.  tag_history keeps every membership's span: a row
 * when a tag is given (began), closed when it is taken (ended), both at
 * the run's time (--as-of).  RFM segments and k-means clusters are tags
 * of their own kind (crm_tags_one), one per customer.  Writes go in
 * batches (crm_batch in store.h).  A struct crm_tags borrows the store.
 */
#ifndef CRM_TAGS_H
#define CRM_TAGS_H

#include <stddef.h>

#include "err.h"
#include "erase.h"
#include "store.h"

struct crm_tags;

/* Prepare to write the tags table of s; NULL with e filled. */
struct crm_tags *crm_tags_open(struct crm_store *s, struct crm_err *e);

/*
 * Give customer id (len bytes) tag, set by rule (text), when on; take it
 * away when not.  0, or -1 with e filled.
 */
int crm_tags_put(struct crm_tags *t, const char *id, size_t len,
    const char *tag, const char *rule, int on, struct crm_err *e);

/*
 * Give customer id the one tag of kind (the rule column: "rfm",
 * "kmeans"), taking away the one it had of that kind, if another.  0, or
 * -1 with e filled.
 */
int crm_tags_one(struct crm_tags *t, const char *id, size_t len,
    const char *kind, const char *tag, struct crm_err *e);

/*
 * The batch the tags are written in, for the decisions logged with them
 * (crm_audit_open_batch in audit.h).
 */
struct crm_batch *crm_tags_batch(struct crm_tags *t);

/* For a filter's idle hook (arg is the struct crm_tags, or NULL). */
void crm_tags_idle(void *arg);

/* Commit and free (t may be NULL); 0, or -1 with e filled. */
int crm_tags_close(struct crm_tags *t, struct crm_err *e);

/* How a customer's tags and their history are erased (erase.h). */
extern const struct crm_erase_step crm_tags_erase[];

/*
 * Merge a shard's tags, and its tag_history (merge.h): a shard's tag is
 * the main store's with the shard's rule and time; a span the shard
 * ended is ended, and a tag whose span ended is taken away, as crm-tag
 * does.  A shard runs crm-tag over its own customers, so a customer's
 * tags come from one shard.  mark is not used.  0, or -1 with e filled.
 */
struct crm_merge_mark;
/* A row's key in merge_rows, of tags and tag_history (also for erasure) */
#define CRM_TAGS_ROW_KEY	"json_array(customer_id, tag)"
#define CRM_TAG_HISTORY_ROW_KEY "json_array(customer_id, tag, began)"
int crm_tags_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);
int crm_tags_merge_history(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

#endif
