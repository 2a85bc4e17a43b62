/*
 * profile: crm-profile's filter, a customer's or a person's 360-degree
 * view.  For each id (a field of the input records, or every customer or
 * person of the store: crm_profile_source()) it writes one record: the
 * id, found, and a JSON value a section.  A customer's sections
 * (customer, cluster, consent, tags, churn, recommendations, tickets,
 * messages, decisions) are read from the store's customer_360 view and
 * the customer_360_* views it is built from (schema 7); a person's
 * (person: the golden record and its lineage, records, consent, tags,
 * rfm, kmeans, churn, recommendations, tickets, messages, decisions, over
 * every record of the person) from person_360 and the person_360_* views
 * (schema 8), see crm-store(5).  One statement an id, so its sections
 * are one read of the store and agree with what sqlite3 or a BI tool
 * reads there.  Nothing is written to the store.
 *
 * Ownership: a struct crm_profile borrows the store (which must outlive
 * it) and owns its prepared statements.
 */
#ifndef CRM_PROFILE_H
#define CRM_PROFILE_H

#include <stddef.h>

#include "err.h"
#include "filter.h"
#include "store.h"

#define CRM_PROFILE_DECISIONS 10 /* --decisions, as customer_360 */
#define CRM_PROFILE_MESSAGES  10 /* --messages, as customer_360 */

/* What the ids are. */
enum crm_profile_by {
	CRM_PROFILE_CUSTOMER, /* customers' ids: customer_360 */
	CRM_PROFILE_PERSON    /* persons' ids: person_360 */
};

struct crm_profile_opts {
	enum crm_profile_by by; /* customer */
	/* the id's field; NULL: customer_id, or person_id for persons */
	const char *id_field;
	long decisions; /* the last N decisions (10) */
	long messages;	/* the last N messages (10) */
	/* Told of each id not in the store (its record says found: false). */
	void (*not_found)(const char *id, size_t len);
};

/* Fill o with the defaults. */
void crm_profile_opts_init(struct crm_profile_opts *o);

struct crm_profile;

/*
 * Prepare the view's statement on s; NULL with e filled (EX_SOFTWARE
 * when out of memory, EX_UNAVAILABLE (69) when the store has no
 * customer_360 or person_360 view, the store's code otherwise).
 */
struct crm_profile *crm_profile_new(
    const struct crm_profile_opts *o, struct crm_store *s, struct crm_err *e);
void crm_profile_free(struct crm_profile *p);

/*
 * The filter: each record's id field (needed in every record) becomes
 * the customer's or person's view; the record's other fields are not
 * kept.  A
 * record without an id is rejected (EX_DATAERR).
 */
const struct crm_filter_ops *crm_profile_ops(void);

/*
 * --all: the ids of every customer of the store, or every person not
 * merged into another, in order, as records with the id field only.  0,
 * or -1 with e filled.
 */
int crm_profile_source(
    struct crm_profile *p, struct crm_source *src, struct crm_err *e);

/* How many ids were found, and not found, so far. */
void crm_profile_counts(const struct crm_profile *p, unsigned long long *found,
    unsigned long long *missing);

/*
 * Make r the view of customer or person id (len bytes): r is cleared,
 * then holds the id field (customer_id or person_id), found and the
 * sections.  0, or -1 with e filled (the store's
 * code).  *found is set to whether the store has the customer.
 */
int crm_profile_get(struct crm_profile *p, const char *id, size_t len,
    struct crm_rec *r, int *found, struct crm_err *e);

#endif
