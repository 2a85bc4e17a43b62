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

/* ==== Persons: --by person|record ==== */

/*
 * A resolved person is a cluster: every record of the clusters table
 * with one cluster_id, and the cluster_id is the person's id.  A customer
 * with no row in clusters is a person of its own, whose id is the
 * customer's.  The tools that read what a customer did (crm-tag,
 * crm-churn, crm-recommend, crm-route) read it per person or per record;
 * CRM_BY_AUTO is person when the store's clusters table has a row, else
 * record (crm_by_resolve).
 */
enum crm_by { CRM_BY_AUTO, CRM_BY_RECORD, CRM_BY_PERSON };

/* "person" or "record" (CRM_BY_AUTO: "auto"). */
const char *crm_by_name(enum crm_by by);

/* --by's argument ("person" or "record"), or -1 for anything else. */
int crm_by_parse(const char *arg);

/*
 * Turn CRM_BY_AUTO into person or record for store s (NULL: no store,
 * record); a mode asked for stays.  0, or -1 with e filled.
 */
int crm_by_resolve(struct crm_store *s, enum crm_by *by, struct crm_err *e);

/*
 * SQL text: the person id of customer X (an SQL expression, e.g. "?2"),
 * and the customer ids of X's person, X among them, as a subquery for
 * "customer_id IN (...)" or a join (column id): each once, as a record
 * is in its own cluster.  Both find their rows through the clusters
 * table's key and its cluster_id index; the records are one join, no
 * compound query, so that SQLite can flatten it into the query that
 * uses it instead of building a temporary table per customer.
 */
#define CRM_PERSON_OF(X)                                                 \
	"coalesce((SELECT cluster_id FROM clusters WHERE record_id = " X \
	"), " X ")"
#define CRM_PERSON_RECORDS(X)                                                 \
	"SELECT coalesce(m.record_id, x.r) AS id FROM (SELECT " X " AS r) x " \
	"LEFT JOIN clusters k ON k.record_id = x.r LEFT JOIN clusters m ON "  \
	"m.cluster_id = k.cluster_id"

/* Looking up the person of customer ids one at a time. */
struct crm_person_of;

/* On store s (borrowed); NULL with e filled. */
struct crm_person_of *crm_person_of_open(
    struct crm_store *s, struct crm_err *e);

/*
 * The person id of customer id (len bytes) into *pid and *plen, valid
 * until the next call: the cluster_id, or id itself when the customer is
 * in no cluster.  0, or -1 with e filled.
 */
int crm_person_of(struct crm_person_of *p, const char *id, size_t len,
    const char **pid, size_t *plen, struct crm_err *e);
void crm_person_of_close(struct crm_person_of *p);

/* Looking up the records of a person, one customer at a time. */
struct crm_person_records;

/* On store s (borrowed); NULL with e filled. */
struct crm_person_records *crm_person_records_open(
    struct crm_store *s, struct crm_err *e);

/*
 * Call fn(arg, rid, rlen, e) for each record id of customer id's person
 * (len bytes; CRM_PERSON_RECORDS: id among them, each once, and id
 * alone when it is in no cluster), rid valid during the call, until fn
 * returns other than 0.  That value (-1 with e filled by fn), 0 after
 * the last record, or -1 with e filled when the store fails.
 */
int crm_person_records_each(struct crm_person_records *p, const char *id,
    size_t len,
    int (*fn)(void *arg, const char *rid, size_t rlen, struct crm_err *e),
    void *arg, struct crm_err *e);
void crm_person_records_close(struct crm_person_records *p);

/* How a customer's cluster membership is erased (erase.h). */
extern const struct crm_erase_step crm_clusters_erase[];

/*
 * Merge a shard's clusters (merge.h) as links to reconcile: each row
 * links its record to its cluster, in either store, and the links make
 * sets (union-find).  A set whose rows name one cluster id keeps it; one
 * that joins several clusters (a record in one cluster here and another
 * there) takes its least record id (crm_id_cmp) for every record of it.
 * A record the shard has gets the shard's score and time, one only
 * renamed the run's time.  Persons are not merged: crm-dedupe over the
 * merged store brings them to its clusters.  mark is not used.  0, or -1
 * with e filled.
 */
struct crm_merge_mark;
int crm_clusters_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

#endif
