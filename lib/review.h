/*
 * review: the human review of automated decisions.  A review rules file
 * (--review FILE) is written as crm-tag's rules files are, one rule a
 * line, "NAME: SQL expression" (rules.h reads and evaluates it); each
 * expression is evaluated over the decision's output record (the fields
 * the tool writes, such as crm-churn's churn_prob and action or
 * crm-route's answer and confidence; for crm-dedupe, a link's pair
 * fields and one of its records) and, with a store, the customer's
 * facts: the customers row and the keys of its extra JSON,
 * lifetime_value, churn_risk and tags (desk.h), and the customer
 * features of crm-tag's rules (activity.h).  A field of the record hides
 * a fact of the same name.  The first rule that matches names the
 * review: the tool writes the decision with needs_review set to that name
 * and, unless told to act anyway, leaves its action out.
 *
 * Tables: owns none; reads customers, events and decisions through
 * desk.h and activity.h.  A struct crm_review borrows the store, which
 * must outlive it, and is for one thread at a time.
 */
#ifndef CRM_REVIEW_H
#define CRM_REVIEW_H

#include <stddef.h>

#include "clusters.h"
#include "err.h"
#include "rec.h"
#include "rules.h"
#include "store.h"

/* The output field that names the review a decision needs. */
#define CRM_REVIEW_FIELD "needs_review"

struct crm_review;

/*
 * Read and compile the review rules of file path; with store s (may be
 * NULL) the customer's facts are read from it, the features as of day
 * as_of (YYYY-MM-DD; NULL: the last event's day; read only when a rule
 * uses a feature), the customer's own or its person's (by, as
 * crm_desk_open takes it).  NULL with e filled: EX_NOINPUT when the file cannot
 * be opened, EX_DATAERR with e->file and e->line for a bad line, a bad
 * name (letters, digits, '_', '.', '-') or an expression SQLite cannot
 * compile, a store error, EX_SOFTWARE when out of memory.
 */
struct crm_review *crm_review_new(const char *path, struct crm_store *s,
    const char *as_of, enum crm_by by, struct crm_err *e);
void crm_review_free(struct crm_review *rv);

/*
 * Every field name the rules read must be a field of hdr, one of the n
 * names own (the fields the tool adds to its output), or a fact of the
 * store.  0, or -1 with e filled: EX_DATAERR naming the field, the
 * file and line of the first rule that reads it (in the message: e's
 * position is left to be the input's) and a did-you-mean hint.
 */
int crm_review_check(struct crm_review *rv, const struct crm_rec *hdr,
    const char *const *own, size_t n, struct crm_err *e);

/*
 * Evaluate the rules for one decision: its fields are looked up in the
 * n sources src (at most 4, the first that has a name wins), then in the
 * store's facts of customer id (idlen bytes; NULL or empty: none, its
 * facts are NULL).  *name is the first matching rule's name, or NULL.
 * 0, or -1 with e filled (EX_DATAERR: the record is rejected), or
 * CRM_RULES_LIMIT (a rule went over a limit, or the store failed: the
 * run must stop).
 */
int crm_review_eval(struct crm_review *rv, const struct crm_rules_src *src,
    size_t n, const char *id, size_t idlen, const char **name,
    struct crm_err *e);

/* The rules file's path, as given. */
const char *crm_review_path(const struct crm_review *rv);

#endif
