/*
 * dedupe_int: what the parts of lib/dedupe share (dedupe.c: the run;
 * dedupe_model.c: the scores, from EM, the store or labelled pairs, and
 * what goes to the store; dedupe_merge.c: golden records).  Not for
 * other modules.
 */
#ifndef CRM_DEDUPE_INT_H
#define CRM_DEDUPE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dedupe.h"
#include "fellegi.h"
#include "linkage.h"
#include "persons.h"
#include "rec.h"
#include "review.h"

struct crm_dd_str {
	const char *p;
	size_t len;
};

/*
 * A set of records, the stream's or the one linked to, packed into one
 * arena (dedupe_recs.c): off[i] is where record i starts in data; each
 * record's names are its shape's (records of one CSV file share one).
 */
struct crm_dd_recset {
	struct crm_buf data;
	size_t *off;
	size_t n, cap;
	struct crm_rec **shape; /* the names, with null values */
	long *idpos;		/* the id's field in each shape, or -1 */
	size_t nshapes;
	const char *id_field;
	char **cluster; /* --incremental: the store's cluster of each */
	int untyped;	/* CSV or TSV: the values are text (rules.h) */
};

/* A must-link (must) or cannot-link pair of records, by index. */
struct crm_dd_lpair {
	size_t i, j;
	int must;
};

/* A key record's block: its rule and key (dedupe_shard.c). */
struct crm_dd_blk {
	uint64_t key;
	uint32_t rule;
};

/* A record's id, for sorting and looking up. */
struct crm_dd_idkey {
	const char *id;
	size_t len;
	size_t idx;
};

struct crm_dedupe {
	struct crm_dedupe_opts o;
	struct crm_dd_recset in;  /* the records read */
	struct crm_dd_recset ref; /* --link FILE or the store's clustered */
	uint32_t *all;		  /* both, in the order of their ids */
	const char *names[CRM_LINK_MAXFIELDS];
	enum crm_cmp cmp[CRM_LINK_MAXFIELDS];
	size_t nf;
	struct crm_linkset *ls; /* freed once the pairs are scored */
	unsigned char *side;	/* 0: read, 1: ref */
	struct crm_block_rule rules[CRM_LINK_MAXRULES];
	size_t nrules;
	struct crm_pair *pairs; /* rule 0's first, then rule 1's... */
	size_t npairs;
	size_t rpairs[CRM_LINK_MAXRULES]; /* the pairs of each rule */
	uint32_t *pat;			  /* each pair's pattern */
	struct crm_patterns p;
	int have_p;
	double *prob; /* by pattern */
	struct crm_fs fs;
	int have_fs;
	int fixed;    /* fs is the store's, loaded by crm_dd_load_model (keys,
		      pairs, --incremental, --model-version, reconcile with a
		      store): not trained, nor saved again */
	long version; /* the model's in the store */
	int kept;     /* the store's model was kept: not saved over */
	const char *partial; /* why the run saw part of its input only
				(crm_filter_partial()): no model saved */
	/* the result, by linkset index */
	struct crm_dd_str *cid; /* cluster id */
	double *score;		/* best link, NAN if none */
	long *best;		/* the pair of that link, -1 if none */
	uint32_t *root;		/* the cluster, as a union-find root */
	struct crm_buf cidtext; /* the cluster ids, apart from the records */
	unsigned long long links, refused, clusters, in_clusters;
	int clustered;
	/* review: the rules, a header seen (CSV, TSV), the pair's fields;
	   by linkset index, the strongest link a rule matched: the rule's
	   name (NULL: none), its probability, its pair */
	struct crm_review *rv;
	int hdr_seen;
	struct crm_rec *pairrec;
	const char **rvname;
	double *rvp;
	long *rvpair;
	unsigned long long held, reviewed;
	/* with a store (not --link): the persons, and the link labels of
	   this run's records: the store's (the first nstored), then the
	   --train-labels file's; the links they refused */
	struct crm_persons *persons;
	struct crm_dd_lpair *lp;
	size_t nlp, lpcap, nstored;
	unsigned long long cannot;
	struct crm_rec *golden, *lineage; /* a person's, made at a time */
	/* a scratch record, rebuilt from the packed ones (crm_dd_rec()) */
	struct crm_rec *rec[1];
	/* merging: each member of the cluster at hand, rebuilt once */
	struct crm_rec **mrec;
	size_t nmrec;
	int svm; /* the scores are an SVM's, from labelled pairs */
	struct crm_buf buf;
	/* in shards (dedupe_shard.c): keys' filter and the records in its
	   linkset; pairs' block of each key record read */
	struct crm_filter *filter;
	size_t inls;
	unsigned long long keys;
	struct crm_dd_blk *blk;
	size_t nblk, blkcap;
};

/*
 * Set e to code and a message (printf-style; its arguments may be e's
 * own message) that says where it is itself, the position fields
 * cleared; return -1.  crm_dd_oom(): "out of memory", EX_SOFTWARE.
 */
int crm_dd_fail(struct crm_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int crm_dd_oom(struct crm_err *e);

/*
 * Record i of the read records, then of the reference set, rebuilt into
 * into; returns into, or NULL when out of memory.  crm_dd_id() and
 * crm_dd_line() read the packed record itself: the id's bytes stay put
 * (NUL-terminated) until the records are freed.
 */
const struct crm_rec *crm_dd_rec(
    const struct crm_dedupe *d, size_t i, struct crm_rec *into);
unsigned long crm_dd_line(const struct crm_dedupe *d, size_t i);
const char *crm_dd_id(const struct crm_dedupe *d, size_t i, size_t *len);
/* The index of the record with id (len bytes) among k[0..n), or -1. */
long crm_dd_find_id(
    const struct crm_dd_idkey *k, size_t n, const char *id, size_t len);
/* The index of the record of either set with id (d->all), or -1. */
long crm_dd_lookup(const struct crm_dedupe *d, const char *id, size_t len);

/* dedupe.c: the steps of a run that the shards share. */
int crm_dd_choose_fields(struct crm_dedupe *d, struct crm_err *e);
int crm_dd_add_to_linkset(
    struct crm_dedupe *d, const struct crm_dd_recset *s, struct crm_err *e);
int crm_dd_compare_pairs(struct crm_dedupe *d, struct crm_err *e);
int crm_dd_cmp_idkey(const void *a, const void *b);

/*
 * dedupe_shard.c: keys' output header and a record's keys, written to
 * d->filter; pairs' key record (its block noted, the record held), and
 * the links of the blocks held, emitted; reconcile's links, read from
 * the pairs files into d->pairs, d->pat, d->p and d->prob, each pair
 * once (of its first rule), in the order one process makes them.
 */
int crm_dd_keys_header(
    struct crm_dedupe *d, struct crm_rec *hdr, struct crm_err *e);
int crm_dd_keys_record(
    struct crm_dedupe *d, const struct crm_rec *r, struct crm_err *e);
int crm_dd_pairs_add(
    struct crm_dedupe *d, const struct crm_rec *r, struct crm_err *e);
int crm_dd_pairs_run(struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg,
    struct crm_err *e);
int crm_dd_read_pairs(struct crm_dedupe *d, struct crm_err *e);

/* dedupe_recs.c: a record set of records whose id is id_field. */
void crm_dd_recset_init(struct crm_dd_recset *s, const char *id_field);
void crm_dd_recset_release(struct crm_dd_recset *s);
/* Hold a copy of r; 0, or -1 when out of memory (s as it was). */
int crm_dd_recset_add(struct crm_dd_recset *s, const struct crm_rec *r);
/* Record i into into (cleared first); 0, or -1 when out of memory. */
int crm_dd_recset_get(
    const struct crm_dd_recset *s, size_t i, struct crm_rec *into);
/*
 * Record i's shape, and its field k (k below its shape's count): value
 * (NUL-terminated; "" for null), length and type.
 */
size_t crm_dd_recset_shape(const struct crm_dd_recset *s, size_t i);
const char *crm_dd_recset_field(const struct crm_dd_recset *s, size_t i,
    size_t k, size_t *len, enum crm_type *t);
/* Record i's id (NULL, *len 0, when its shape has none) and line. */
const char *crm_dd_recset_id(
    const struct crm_dd_recset *s, size_t i, size_t *len);
unsigned long crm_dd_recset_line(const struct crm_dd_recset *s, size_t i);
/* dedupe_model.c */
int crm_dd_load_model(struct crm_dedupe *d, struct crm_err *e);
int crm_dd_score(struct crm_dedupe *d, struct crm_err *e);
int crm_dd_train_labels(struct crm_dedupe *d, struct crm_err *e);
int crm_dd_store(struct crm_dedupe *d, struct crm_err *e);

/* dedupe_merge.c: the golden records, in the order of their first. */
int crm_dd_write_merged(struct crm_dedupe *d, crm_dedupe_emit_fn emit,
    void *arg, struct crm_err *e);
/*
 * The surviving fields of the records idx[0..n) into out, and with each
 * the id of the record it came from into lineage (fields no record has
 * are null in out, absent from lineage).  0, or -1 when out of memory.
 */
int crm_dd_golden(struct crm_dedupe *d, const size_t *idx, size_t n,
    struct crm_rec *out, struct crm_rec *lineage);

/*
 * dedupe_persons.c: with a store, not --link: start the persons and take
 * the store's link labels of the run's records (after d->all).
 */
int crm_dd_persons_begin(struct crm_dedupe *d, struct crm_err *e);
/* A labelled pair of the --train-labels file (c: 1 match, 0 not). */
int crm_dd_note_label(
    struct crm_dedupe *d, size_t i, size_t j, int c, struct crm_err *e);
/*
 * Whether the store's labels train the scores: a plain run, and
 * CRM_DEDUPE_MIN_LABELS of each kind among this run's records.
 */
int crm_dd_stored_labels_train(const struct crm_dedupe *d);
/* The cannot pairs into c; 0, or -1 when out of memory. */
int crm_dd_cannot(struct crm_dedupe *d, struct crm_cuf *c);
/* Join the must pairs (no cap); refusals counted in d->cannot. */
void crm_dd_must(struct crm_dedupe *d, struct crm_cuf *c);
/* After clustering: the persons' ids into d->cid. */
int crm_dd_persons(struct crm_dedupe *d, struct crm_err *e);
/*
 * The persons' crm_persons_golden_fn (arg: d): the golden record of the
 * records idx[0..n) without the id and the output's own fields.
 */
int crm_dd_person_golden(void *arg, const size_t *idx, size_t n,
    struct crm_buf *golden, struct crm_buf *lineage, struct crm_err *e);

#endif
