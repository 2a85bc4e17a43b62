/*
 * persons: the owner of the store's persons, person_events and
 * link_labels tables.  A person is a cluster of crm-dedupe: its id is
 * the clusters table's cluster_id, it keeps a golden record and the
 * record each of its fields came from (lineage), and every change to it
 * is an event with its time.  A run hands over the records it clustered
 * (crm_persons_add), each with its group (a cluster of this run); the
 * persons then decide each group's person id against the store (stable
 * ids: see crm_persons_resolve), and write it all in one transaction,
 * with the golden records of the groups that changed, asked for one at a
 * time.
 *
 * Also here: the must-link and cannot-link pairs people gave
 * (link_labels), and the union-find that obeys them.
 */
#ifndef CRM_PERSONS_H
#define CRM_PERSONS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "erase.h"
#include "err.h"
#include "linkage.h"
#include "store.h"

/* ==== Union-find with cannot-link pairs ==== */

/*
 * crm_uf (linkage.h) and, per set, the cannot-link pairs of its
 * members, so that a union that would put a cannot pair in one set is
 * refused.  Written here, not taken from a library: it is crm_uf with
 * one list of pairs per set, spliced on union; a check walks the
 * smaller list of the two sets.
 */
struct crm_cuf {
	struct crm_uf uf;
	uint32_t *head, *tail, *count; /* per root: its list of pair ends */
	uint32_t *other, *next;	       /* per pair end */
	size_t nends, cap;
};

#define CRM_CUF_CAP    (-1) /* refused: the set would outgrow the cap */
#define CRM_CUF_CANNOT (-2) /* refused: a cannot pair would be joined */

int crm_cuf_init(struct crm_cuf *c, size_t n);
void crm_cuf_release(struct crm_cuf *c);
uint32_t crm_cuf_find(struct crm_cuf *c, uint32_t x);

/*
 * a and b must never be in one set.  1 when they are already (nothing
 * then changes), 0, or -1 when out of memory.
 */
int crm_cuf_cannot(struct crm_cuf *c, uint32_t a, uint32_t b);

/*
 * Join the sets of a and b, as crm_uf_union (cap 0: none): 1 joined, 0
 * already one set, CRM_CUF_CAP or CRM_CUF_CANNOT refused.
 */
int crm_cuf_union(struct crm_cuf *c, uint32_t a, uint32_t b, size_t cap);

/* ==== Link labels ==== */

struct crm_link_label {
	char *id1, *id2; /* id1 < id2 */
	int must;	 /* 1 must, 0 cannot */
};

/*
 * Every label of the store into *out (n of them, freed by
 * crm_link_labels_free).  0, or -1 with e filled.
 */
int crm_link_labels_load(struct crm_store *s, struct crm_link_label **out,
    size_t *n, struct crm_err *e);
void crm_link_labels_free(struct crm_link_label *l, size_t n);

/* ==== One run's persons ==== */

struct crm_persons;

/* Start at time now (ISO 8601, copied); NULL with e filled. */
struct crm_persons *crm_persons_new(
    struct crm_store *s, const char *now, struct crm_err *e);
void crm_persons_free(struct crm_persons *p);

/*
 * Record id (len bytes, copied) in group g (any
 * number below 2^32), read (1) or only taken from the store (0) by this
 * run.  0, or -1 with e.
 */
int crm_persons_add(struct crm_persons *p, const char *id, size_t len,
    uint32_t g, int read, struct crm_err *e);

/*
 * A pair of records labelled by the run's --train-labels file (source),
 * to be stored with the persons.  0, or -1 with e.
 */
int crm_persons_label(struct crm_persons *p, const char *id1, size_t len1,
    const char *id2, size_t len2, int must, const char *source,
    struct crm_err *e);

/*
 * Decide the person of each group, from the person each record was in
 * (the store's clusters):
 * - each stored person keeps its id on the group that holds most of its
 *   records of this run (a tie: the group of its least record id);
 * - a group that keeps the ids of several persons is the oldest of them
 *   (created first; a tie: the least id); the others are merged into it;
 * - any other group is a new person named after its least record id,
 *   or, when that is already a person's id (of any time), that id with
 *   "~2", "~3", ... appended, the first that is no person's.
 * 0, or -1 with e.
 */
int crm_persons_resolve(struct crm_persons *p, struct crm_err *e);

/* After resolve: the person id of group g, len bytes (owned by p). */
const char *crm_persons_id(
    const struct crm_persons *p, uint32_t g, size_t *len);

/*
 * After resolve: whether the i-th record added moved to another person
 * (or is new to the store): its clusters row must be written.
 */
int crm_persons_moved(const struct crm_persons *p, size_t i);

/*
 * The golden record of the records idx[0..n) (indices in the order they
 * were added) into golden and its lineage into lineage, as JSON objects;
 * 0, or -1 with e.
 */
typedef int (*crm_persons_golden_fn)(void *arg, const size_t *idx, size_t n,
    struct crm_buf *golden, struct crm_buf *lineage, struct crm_err *e);

/*
 * Write the persons, with the golden records of the stale groups (made
 * now by golden, one at a time), their events, the merged persons'
 * records that this run did not read (moved to the survivor in the
 * clusters table) and the labels, in one transaction.  0, or -1 with e.
 */
int crm_persons_write(struct crm_persons *p, crm_persons_golden_fn golden,
    void *arg, struct crm_err *e);

/* What the run did, for the summary. */
struct crm_persons_stats {
	unsigned long long created, merged, split, updated;
};
void crm_persons_stats(
    const struct crm_persons *p, struct crm_persons_stats *st);

/* How a customer's persons, events and labels are erased (erase.h). */
extern const struct crm_erase_step crm_persons_erase[];

#endif
