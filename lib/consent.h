/*
 * consent: the store's consent table, which this module owns: what each
 * customer allowed, per purpose (marketing_email, sms, profiling, any
 * word), kept as a history of grants and withdrawals.
 *
 * Two sides.  Loading (crm-ingest --kind consent, through lib/load.c):
 * one row per customer, purpose and time, so loading the same records
 * again changes nothing.  Checking (crm-churn's action, crm-tag's action
 * rules): is the customer's latest consent for a purpose, as of the run's
 * reference time (lib/clock.c, --as-of), a withdrawal?  A customer with no
 * row for the purpose is allowed: the opt-out regime, where contact is
 * allowed until withdrawn.  Of a grant and a withdrawal at the same time,
 * the withdrawal wins.
 *
 * Ownership: a struct crm_consent or crm_consent_load borrows the store
 * (which must outlive it) and owns its prepared statements (and, by
 * person, its lookup of a person's records, clusters.h).
 */
#ifndef CRM_CONSENT_H
#define CRM_CONSENT_H

#include <stddef.h>

#include "clusters.h"
#include "erase.h"
#include "err.h"
#include "load.h"
#include "rec.h"
#include "store.h"

/* What crm_consent_word() takes, for a message. */
#define CRM_CONSENT_WORDS \
	"granted or withdrawn, yes or no, true or false, 1 or 0"

/*
 * The value v (n bytes, already trimmed) of a granted field: 1 for
 * granted, yes, true or 1, 0 for withdrawn, no, false or 0 (ASCII case
 * ignored), -1 for anything else.
 */
int crm_consent_word(const char *v, size_t n);

/* ==== Loading ==== */

struct crm_consent_load;

/* Prepare to load consent records into s; NULL with e filled. */
struct crm_consent_load *crm_consent_load_new(
    struct crm_store *s, struct crm_err *e);
void crm_consent_load_free(struct crm_consent_load *cl);

/*
 * Upsert r, a record normalized by crm_schema_apply for the consent kind
 * (customer_id, purpose, granted, time, source; other fields are not
 * stored): a new customer, purpose and time is inserted, a known one
 * updated when its granted or source differ.  0 with *res set, or -1 with
 * e filled: EX_DATAERR (e->field set) for a granted value that is none of
 * CRM_CONSENT_WORDS, the store's code otherwise.  The caller holds the
 * transaction.
 */
int crm_consent_load_put(struct crm_consent_load *cl, const struct crm_rec *r,
    enum crm_load_result *res, struct crm_err *e);

/* ==== Checking ==== */

struct crm_consent;

/*
 * Prepare the check against the consent of s as of the reference time
 * (crm_clock_iso, read now).  NULL with e filled.
 */
struct crm_consent *crm_consent_open(struct crm_store *s, struct crm_err *e);
void crm_consent_close(struct crm_consent *c);

/*
 * Whether the latest consent of customer id (len bytes) for purpose, at
 * or before the reference time, is a withdrawal: 1, 0 (granted, or no
 * consent given either way), or -1 with e filled (the store's code).
 * One indexed lookup by a prepared statement.
 */
int crm_consent_withdrawn(struct crm_consent *c, const char *id, size_t len,
    const char *purpose, struct crm_err *e);

/*
 * The same for customer id read by by (clusters.h, resolved): by person,
 * whether the consent of any record of id's person (id among them) for
 * purpose is withdrawn, the records found through clusters.h, so that
 * one record's withdrawal holds for the whole person; by record,
 * crm_consent_withdrawn.  1, 0, or -1 with e filled.
 */
int crm_consent_withdrawn_by(struct crm_consent *c, enum crm_by by,
    const char *id, size_t len, const char *purpose, struct crm_err *e);

/* The reference time the check uses, YYYY-MM-DDTHH:MM:SSZ. */
const char *crm_consent_as_of(const struct crm_consent *c);

/*
 * How a customer's consent is erased (erase.h): the grants go; the
 * withdrawals stay, without their source, so that the customer is not
 * contacted again.
 */
extern const struct crm_erase_step crm_consent_erase[];

/*
 * Merge a shard's consent (merge.h): its rows, each a grant or a
 * withdrawal at a time, added; one the main store has at that time takes
 * the shard's granted, and its source when it has one, as crm-ingest
 * loads it.  0, or -1 with e filled.
 */
struct crm_merge_mark;
/* A consent row's key in merge_rows (also for erasure) */
#define CRM_CONSENT_ROW_KEY "json_array(customer_id, purpose, time)"
int crm_consent_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

#endif
