/*
 * clusters: the owner of the store's clusters table (record_id,
 * cluster_id, score, time), which crm-dedupe writes: each record's
 * cluster, upserted in bounded batches.  It also reads the store's
 * customers back as records (for --from-store and --incremental), alone
 * or with the cluster each is in, streamed from one query with no
 * temporary file.  Both borrow the store, which must outlive them.
 * The customers table itself is lib/load's.
 */
#ifndef CRM_CLUSTERS_H
#define CRM_CLUSTERS_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "erase.h"
#include "filter.h"
#include "store.h"

/* ==== Writing ==== */

struct crm_clusters;

/* Start writing clusters; NULL with e filled. */
struct crm_clusters *crm_clusters_open(struct crm_store *s, struct crm_err *e);

/*
 * Put record rid (rlen bytes) in cluster cid (clen bytes) with the score
 * of the link that joined it (NAN: none) at time now (ISO 8601), replacing
 * the record's cluster if it had one.  0, or -1 with e filled (the open
 * batch is rolled back).
 */
int crm_clusters_put(struct crm_clusters *c, const char *rid, size_t rlen,
    const char *cid, size_t clen, double score, const char *now,
    struct crm_err *e);

/*
 * Move every record of cluster from (flen bytes) to cluster to (tlen
 * bytes), at time now: a person merged into another (lib/persons).  The
 * caller holds the transaction.  0, or -1 with e filled.
 */
int crm_clusters_rename(struct crm_store *s, const char *from, size_t flen,
    const char *to, size_t tlen, const char *now, struct crm_err *e);

/* Commit what is left and free c (c may be NULL); 0 or -1. */
int crm_clusters_close(struct crm_clusters *c, struct crm_err *e);

/* ==== Reading ==== */

/*
 * The store's customers in order of their id, as JSONL text, one object
 * a line: the "extra" fields first, then the id (named id_field), name,
 * email, phone, city, country, birth_date and signup_date.  With
 * clustered, only the customers that are in a cluster, whose ids are
 * then kept in order (crm_customers_cluster()).
 */
struct crm_customers;

struct crm_customers *crm_customers_open(struct crm_store *s,
    const char *id_field, int clustered, struct crm_err *e);

/* The text as a stream (read-only, owned by cs), for a record reader. */
FILE *crm_customers_file(struct crm_customers *cs);

/*
 * With clustered: the cluster of the i-th customer read so far, or NULL
 * when fewer were read.  The string is owned by cs.
 */
const char *crm_customers_cluster(const struct crm_customers *cs, size_t i);

/*
 * Free cs; 0, or -1 with e filled when reading the store failed (the
 * stream then ended early, with a read error).
 */
int crm_customers_close(struct crm_customers *cs, struct crm_err *e);

/*
 * All the store's customers as a record source for the filter
 * (--from-store), named "store", in JSONL: read from a snapshot of s
 * (crm_store_snapshot) taken now, so the run's own writes never show up,
 * and let go when the source is closed, once the last record is read.
 * 0, or -1 with e filled.
 */
int crm_customers_source(struct crm_store *s, const char *id_field,
    struct crm_source *src, struct crm_err *e);

/* How a customer's cluster membership is erased (erase.h). */
extern const struct crm_erase_step crm_clusters_erase[];

#endif
