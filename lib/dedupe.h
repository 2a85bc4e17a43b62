/*
 * dedupe: crm-dedupe's pipeline.  It holds the records it is given,
 * then, at the end, chooses the fields to compare (or takes them from
 * the options or the store's model), makes the candidate pairs by
 * blocking, compares them (linkage.h), scores each pattern of levels
 * (Fellegi-Sunter by EM, the store's model, or an SVM trained on
 * labelled pairs), and either links each record to its best match in a
 * second set (--link) or clusters the linked records under a cap on
 * size, with a store obeying its must-link and cannot-link labels and
 * starting from its clusters (--incremental).  It writes each record
 * with cluster_id and match_score, or one golden record per cluster
 * (--merge), and, with a store, the model, each record's cluster
 * (lib/clusters), the persons the clusters are (lib/persons: stable ids,
 * golden records, events; cluster_id is then the person's id) and each
 * link's reasons (lib/audit).
 * With review rules (review.h) each link is a decision a person may have
 * to see first: a link a rule matches (seen from either of its records:
 * the pair's fields below, then that record's fields, then with a store
 * that customer's facts) is held, joining nothing, unless act_on_review;
 * its records get needs_review (the rule's name) and their decisions
 * rows the review.
 *
 * In shards (o->mode, lib/dedupe_shard.c): the blocking keys of each
 * record, the links of blocks of key records, or the clusters of the
 * records by the links of pairs files.
 *
 * Use: crm_dedupe_new(), crm_dedupe_check_header() and
 * crm_dedupe_out_header() for the input's header, crm_dedupe_add() for
 * each record, crm_dedupe_run() once at the end, crm_dedupe_free().
 * Errors come back in a struct crm_err; warnings (and, with verbose, the
 * pairs of each rule and the model's weights) go to stderr.
 */
#ifndef CRM_DEDUPE_H
#define CRM_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "linkage.h"
#include "progress.h"
#include "rec.h"
#include "store.h"

/*
 * The fewest candidate pairs a model is saved from over a stored one.
 * EM estimates m and u for every field and level (up to 10 fields of 3
 * or 4 levels, and a match share per blocking rule); from fewer than 100
 * pairs, of which a handful are matches, those estimates are noise: a
 * model from a 5-record daily batch with 0 pairs keeps its priors and
 * scores an exact match on any one field near 1.  A run with fewer pairs
 * than this, and fewer than the stored model's, or with under a tenth of
 * the stored model's pairs, keeps and uses the stored model instead
 * (unless replace_model).  A store's first model is saved whatever its
 * pairs (said rough on stderr under this), and so is replaced by the
 * next run with as many pairs or more.  A run that saw part of its input
 * (crm_filter_partial()) saves no model at all.
 */
#define CRM_DEDUPE_MIN_PAIRS 100

/*
 * With a store, a plain run (not --incremental, --link or
 * --train-labels) whose records the store's link labels name with this
 * many pairs of each kind, must and cannot, or more, learns its scores
 * from those pairs with the SVM of --train-labels instead of EM (and
 * saves no model); with fewer, EM fits as before.  (libsvm's probability
 * comes from a cross-validation inside the training pairs: from three
 * matches it scored two identical records under 0.5, from six it gave
 * matches 0.89.)  The labels bind the clusters whatever their number.
 */
#define CRM_DEDUPE_MIN_LABELS 5

/*
 * The fields of a pair that review rules read: the pair's link
 * probability, the id of the record whose fields the rule sees with it,
 * the id of the other record.
 */
#define CRM_DEDUPE_PAIR_PROB "pair_prob"
#define CRM_DEDUPE_PAIR_ID1  "pair_id1"
#define CRM_DEDUPE_PAIR_ID2  "pair_id2"

/*
 * What a run does (crm-dedupe(1), SHARDS): dedupe its records in one
 * process; or, in shards with a fixed model, write each record's
 * blocking keys (keys: record by record), the links of the blocks of
 * such key records (pairs: each block whole in one partition), or the
 * clusters of the records by the links of pairs files (reconcile).
 */
enum crm_dedupe_mode {
	CRM_DEDUPE_RUN,
	CRM_DEDUPE_KEYS,
	CRM_DEDUPE_PAIRS,
	CRM_DEDUPE_RECONCILE
};

/*
 * The fields of key records (keys writes them: the block, then the id
 * and the model's fields) and of pairs files (pairs writes them).  A
 * block is "R.HHHHHHHHHHHHHHHH": the blocking rule's number in the
 * model and the key's hash (crm_block_hash) in 16 lowercase hex digits.
 * levels has a character a field compared, its level ('0' disagree and
 * up) or '-' when a value is missing.
 */
#define CRM_DEDUPE_BLOCK  "block"
#define CRM_DEDUPE_ID1	  "id1"
#define CRM_DEDUPE_ID2	  "id2"
#define CRM_DEDUPE_LEVELS "levels"
#define CRM_DEDUPE_PROB	  "match_prob"

struct crm_dedupe_opts {
	enum crm_dedupe_mode mode;
	const char **pairs; /* reconcile: the pairs files */
	size_t npairs;
	const char *id_field;	/* the record key ("customer_id") */
	const char *input_name; /* the input in messages ("input") */
	const char *link;	/* link to the records of this file */
	enum crm_format link_fmt;
	const char *labels;	/* learn from the labelled pairs of this file */
	const char *time_field; /* --merge: when a record was last updated */
	const char *region;	/* phones' country when they have none */
	/* the fields to compare (none: guessed), each with its comparison
	   (CRM_CMP_IGNORE: guessed from its name) */
	const char *field[CRM_LINK_MAXFIELDS];
	enum crm_cmp type[CRM_LINK_MAXFIELDS];
	size_t nfields;
	const char *block[CRM_LINK_MAXRULES]; /* blocking rules (linkage.h) */
	size_t nblocks;
	const char **ignore; /* fields never compared */
	size_t nignore;
	long max_block;	  /* skip blocks of more records */
	long max_cluster; /* never grow a cluster past this */
	int threads;
	double threshold; /* link pairs with a probability >= this */
	unsigned long seed;
	int incremental;    /* match against the store's clusters and model */
	long model_version; /* the store's model to use (0: the newest, with
			       --incremental or in shards; else fit one) */
	int replace_model;  /* save the model fitted even from too little */
	int merge;	    /* one golden record per cluster */
	int frequent;	    /* --merge: the most frequent value wins, not the
			    most recent */
	const char *review; /* review rules file, or NULL */
	int act_on_review;  /* join the pairs a review rule holds (marked) */
	int verbose, quiet;
	struct crm_store *store;	 /* borrowed, or NULL */
	struct crm_progress_cb progress; /* pairs compared, EM's iterations */
};

/* The defaults: customer_id, 1000, 100, 0.5, seed 1, the processors. */
void crm_dedupe_opts_init(struct crm_dedupe_opts *o);

/*
 * Add a --field option "NAME" or "NAME:TYPE" to o (arg is cut at the
 * colon and kept).  0, or -1 with e (EX_USAGE).
 */
int crm_dedupe_opt_field(
    struct crm_dedupe_opts *o, char *arg, struct crm_err *e);

/* Check the options against each other; 0, or -1 with e (EX_USAGE). */
int crm_dedupe_opts_check(const struct crm_dedupe_opts *o, struct crm_err *e);

struct crm_dedupe;

/*
 * Start a run with o (copied; its strings and store borrowed).  With
 * incremental, loads the store's newest model: EX_NOINPUT when there is
 * none.  With review, reads its rules (crm_review_new(): EX_NOINPUT,
 * EX_DATAERR with e->file and e->line).  NULL with e filled.
 */
struct crm_dedupe *crm_dedupe_new(
    const struct crm_dedupe_opts *o, struct crm_err *e);
void crm_dedupe_free(struct crm_dedupe *d);

/*
 * An input's header must have the id field and every field the review
 * rules read, besides the pair's and the store's facts (EX_DATAERR).
 */
int crm_dedupe_check_header(
    struct crm_dedupe *d, const struct crm_rec *hdr, struct crm_err *e);
/* The output header: the input's plus the fields the run adds. */
int crm_dedupe_out_header(
    struct crm_dedupe *d, struct crm_rec *hdr, struct crm_err *e);

/*
 * Hold a copy of r.  -1 with e: EX_DATAERR when it has no id, or, of an
 * input without a header (JSONL), lacks a field a review rule reads
 * (reject it), EX_SOFTWARE when out of memory.
 */
int crm_dedupe_add(
    struct crm_dedupe *d, const struct crm_rec *r, struct crm_err *e);

/* Where a record goes: 0, or -1 with e filled. */
typedef int (*crm_dedupe_emit_fn)(
    void *arg, const struct crm_rec *r, struct crm_err *e);

/*
 * Link or cluster the records held, emit the output records in order,
 * then write the store (when there is one).  0, or -1 with e filled:
 * EX_DATAERR for two records with one id or bad labels, EX_USAGE for a
 * bad blocking rule (e->field is then "--block", the option at fault) or
 * no fields to compare, EX_NOINPUT for a --link or labels file that
 * cannot be opened, or what emit or the store returned.  Nothing held:
 * nothing is done.
 */
int crm_dedupe_run(struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg,
    struct crm_err *e);

/*
 * The ops of a filter whose arg is d: the header steps above, a record
 * step that holds each record (crm_dedupe_add; a record with no id is
 * rejected, any other failure ends the run) and writes none, and a
 * finish step that is crm_dedupe_run() writing to the filter.
 */
struct crm_filter_ops;
const struct crm_filter_ops *crm_dedupe_ops(void);

/*
 * keys: the filter the key records go to (set before the first record;
 * keys writes a record's keys as it is read).
 */
struct crm_filter;
void crm_dedupe_set_filter(struct crm_dedupe *d, struct crm_filter *f);

/*
 * Parse the block s (len bytes) of a key record or a link: its rule,
 * below nrules, into *rule and its hash into *key.  0, or -1 with e
 * (EX_DATAERR, the field CRM_DEDUPE_BLOCK).
 */
int crm_dedupe_block_parse(const char *s, size_t len, size_t nrules,
    size_t *rule, uint64_t *key, struct crm_err *e);

/* A link of a pairs file; the ids point into the record read. */
struct crm_dedupe_link {
	size_t rule;
	uint64_t key;
	const char *id1, *id2;
	size_t len1, len2;
	int lev[CRM_LINK_MAXFIELDS];
	size_t nf;
	double p;
};

/*
 * Parse a link of a pairs file, r, made under a model of nrules rules
 * and nf fields (0: any, at most CRM_LINK_MAXFIELDS; l->nf then says).
 * 0, or -1 with e: EX_DATAERR with the field at fault.
 */
int crm_dedupe_link_parse(const struct crm_rec *r, size_t nrules, size_t nf,
    struct crm_dedupe_link *l, struct crm_err *e);

struct crm_dedupe_stats {
	size_t records; /* held */
	size_t pairs;	/* candidate pairs */
	unsigned long long links, refused, clusters, in_clusters;
	unsigned long long held;     /* links a review rule held */
	unsigned long long reviewed; /* records marked needs_review */
	int clustered;		     /* the run got as far as the output */
	int persons;		     /* persons kept (a store, no --link) */
	unsigned long long created, merged, split, updated; /* persons */
	unsigned long long labels, cannot; /* link labels; links refused */
	unsigned long long keys;	   /* keys: key records written */
};

void crm_dedupe_stats(const struct crm_dedupe *d, struct crm_dedupe_stats *s);

#endif
