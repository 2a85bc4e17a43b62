/*
 * linkage: record linkage, the machinery behind crm-dedupe.  Records
 * are held as the values of the fields being compared, normalized once
 * (NFKC and case folding; phones to digits, e-mails and dates to one
 * form).  Blocking rules make the candidate pairs so that not all pairs
 * are compared; each candidate pair is compared field by field into a
 * comparison level (0: disagree, up to exact agreement; -1: a value is
 * missing); the pairs' level vectors are counted as patterns, which is
 * all the Fellegi-Sunter model (fellegi.h) needs.  Linked pairs are then
 * clustered with union-find under a cap on the size of a cluster.
 */
#ifndef CRM_LINKAGE_H
#define CRM_LINKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "progress.h"

/* How a field is compared, with its levels from disagree (0) up. */
enum crm_cmp {
	CRM_CMP_IGNORE,	 /* not compared */
	CRM_CMP_NAME,	 /* Jaro-Winkler >= .70, .88, .94, exact */
	CRM_CMP_TEXT,	 /* Jaro-Winkler >= .90, exact */
	CRM_CMP_ADDRESS, /* edit similarity >= .60, .85, exact */
	CRM_CMP_ID,	 /* edit distance <= 2, 1, exact */
	CRM_CMP_CODE,	 /* edit distance <= 1, exact (postcodes) */
	CRM_CMP_DATE,	 /* same year or 2 edits; 1 edit or day and month
			    swapped; exact */
	CRM_CMP_NUMBER,	 /* within 10%, within 1%, exact */
	CRM_CMP_EMAIL,	 /* Jaro-Winkler >= .88, same mailbox name, exact */
	CRM_CMP_PHONE,	 /* 2 edits, same last 7 digits, exact */
	CRM_CMP_EXACT	 /* exact */
};

#define CRM_LINK_MAXLEV	   5  /* levels of any comparison, at most */
#define CRM_LINK_MAXFIELDS 19 /* fields compared, at most (3 bits each) */
#define CRM_LINK_MAXRULES  64 /* blocking rules, at most (6 bits) */

const char *crm_cmp_name(enum crm_cmp c);
/* The comparison named s ("name", "date", ...); -1 if none is. */
int crm_cmp_parse(const char *s, enum crm_cmp *out);
/* The levels of c (2 to CRM_LINK_MAXLEV), 0 for CRM_CMP_IGNORE. */
int crm_cmp_levels(enum crm_cmp c);
/*
 * The comparison a field's name suggests: given_name and surname are
 * names, date_of_birth a date, soc_sec_id an id...; fields that say when
 * a record was made or where it came from (created_at, channel) and
 * crm-dedupe's own output fields are CRM_CMP_IGNORE.
 */
enum crm_cmp crm_cmp_guess(const char *field);

/* The records' normalized values, field by field. */
struct crm_linkset;

/*
 * A set of records compared on nf fields with the comparisons cmp;
 * region is the default country of phone numbers (norm.h).
 */
struct crm_linkset *crm_linkset_new(
    const enum crm_cmp *cmp, size_t nf, const char *region);
void crm_linkset_free(struct crm_linkset *s);
/*
 * A set's limits: its records and values are indexed by 32-bit words,
 * so it holds at most CRM_LINK_MAXRECS records and 4 GiB of normalized
 * values (each NUL-terminated, a value shared by records kept once).
 */
#define CRM_LINK_MAXRECS ((size_t)1 << 31)
/*
 * Add a record: the raw value of each field (NULL or empty: missing).
 * Returns its index, or -1 when out of memory (errno ENOMEM) or past the
 * set's limits (errno EOVERFLOW).
 */
long crm_linkset_add(
    struct crm_linkset *s, const char *const *val, const size_t *len);
size_t crm_linkset_count(const struct crm_linkset *s);
size_t crm_linkset_fields(const struct crm_linkset *s);
/* The normalized value of field f of record i; NULL when missing. */
const char *crm_linkset_value(
    const struct crm_linkset *s, size_t i, size_t f, size_t *len);
/* Compare records i and j: lev[f] is field f's level, -1 if missing. */
void crm_linkset_compare(
    const struct crm_linkset *s, size_t i, size_t j, int *lev);

/*
 * A blocking rule: records are candidates when all the rule's keys are
 * equal and present.  A key is a field, or a part of it: "FIELD" whole,
 * "FIELD:N" its first N characters, "FIELD:-N" its last N,
 * "FIELD:soundex" the Soundex of its Latin letters.  A rule joins keys
 * with '+': "surname:1+date_of_birth".
 */
#define CRM_BLOCK_MAXKEYS 4
#define CRM_BLOCK_MAXPART 64 /* N of FIELD:N and FIELD:-N at most */

struct crm_block_rule {
	size_t nkeys;
	struct crm_block_key {
		size_t field; /* index into the linkset's fields */
		int part;     /* 0 whole, N > 0 first N, -N last N */
		int soundex;
	} key[CRM_BLOCK_MAXKEYS];
};

/*
 * Parse spec against the field names names[0..nf); 0, or -1 with e
 * (EX_USAGE) naming what is wrong.
 */
int crm_block_parse(const char *spec, const char *const *names, size_t nf,
    struct crm_block_rule *r, struct crm_err *e);
/* Write rule r back as text into out (size outlen). */
void crm_block_format(const struct crm_block_rule *r, const char *const *names,
    char *out, size_t outlen);

/*
 * The blocking rules a set of fields suggests: each e-mail, id and phone
 * (its last 8 digits) alone, and every two of the names, dates, postcodes and addresses
 * together (or each of those alone when there is only one), but not two
 * names when there is anything else.  Returns their number, at most max.
 */
size_t crm_block_defaults(
    const enum crm_cmp *cmp, size_t nf, struct crm_block_rule *out, size_t max);

/*
 * The key of record i of s under rule r: a hash of the rule's keys (never
 * 0), or 0 when a key is missing.  Records share a block when their keys
 * are equal (crm-dedupe keys writes it).
 */
uint64_t crm_block_hash(
    const struct crm_linkset *s, const struct crm_block_rule *r, size_t i);

/*
 * A candidate pair: two record indexes.  The rule that made it is known
 * by its place: crm_block_pairs() gives the pairs of each rule together,
 * rule 0's first (stats[r].pairs of rule r).
 */
struct crm_pair {
	uint32_t i, j;
};

struct crm_pair_stats {
	uint64_t pairs;		 /* candidate pairs of the rule */
	uint64_t skipped_blocks; /* blocks above the size cap */
	uint64_t skipped_records;
};

/*
 * The candidate pairs of nr rules, each pair once (a pair is made by the
 * first rule that blocks it together).  With side non-NULL, records of
 * side 1 are a reference set: pairs of two of them are not made, and
 * with cross_only neither are pairs of two records of side 0 (linking
 * two sets).  Blocks of more than max_block records are skipped and
 * counted in stats[rule].  pg (may be NULL) hears of the blocking keys
 * made, nr times the records in all.  *out is malloc'ed; returns the
 * number of pairs, or -1 with e.
 */
long crm_block_pairs(const struct crm_linkset *s,
    const struct crm_block_rule *rules, size_t nr, const unsigned char *side,
    int cross_only, size_t max_block, struct crm_pair **out,
    struct crm_pair_stats *stats, const struct crm_progress_cb *pg,
    struct crm_err *e);

/*
 * The distinct level vectors (patterns) of a set of pairs and the rule
 * that made them, with their counts; pattern k's levels are
 * lev[k * nf .. k * nf + nf), its rule rule[k].
 */
struct crm_patterns {
	size_t nf;
	size_t n, cap;
	int8_t *lev;
	uint8_t *rule;
	uint64_t *count;
	uint64_t *code; /* the hash table's keys, by pattern */
	uint32_t *slot; /* open addressing: pattern index + 1, 0 empty */
	size_t nslot;
};

void crm_patterns_init(struct crm_patterns *p, size_t nf);
void crm_patterns_release(struct crm_patterns *p);
/*
 * The index of pattern lev of rule, added with count 0 if new; -1 when
 * out of memory.
 */
long crm_patterns_index(struct crm_patterns *p, const int *lev, size_t rule);

/*
 * Compare every pair of s, all made by rule, into *pat (the index of
 * each pair's pattern in idx[k], counted in p), on nthreads threads.
 * 0, or -1 with e.
 */
int crm_compare_pairs(const struct crm_linkset *s, const struct crm_pair *pairs,
    size_t n, size_t rule, struct crm_patterns *p, uint32_t *idx, int nthreads,
    struct crm_err *e);

/*
 * Union-find over n records, with the size of each set and a cap on it.
 */
struct crm_uf {
	uint32_t *parent;
	uint32_t *size;
	size_t n;
};

int crm_uf_init(struct crm_uf *u, size_t n);
void crm_uf_release(struct crm_uf *u);
uint32_t crm_uf_find(struct crm_uf *u, uint32_t x);
/*
 * Join the sets of a and b unless the joined set would be larger than
 * cap (0: no cap).  Returns 1 joined, 0 already one set, -1 refused.
 */
int crm_uf_union(struct crm_uf *u, uint32_t a, uint32_t b, size_t cap);

#endif
