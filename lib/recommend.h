/*
 * recommend: the next items for each customer, and the items that go
 * with an item ("customers who bought A also bought B"), learned from
 * interactions: a customer, an item, and optionally a weight and a time.
 *
 * Interactions are collected in a struct crm_reco_data, then fitted into
 * a struct crm_reco, the model, by one of three algorithms:
 *
 *   EASE   (Steck 2019) a dense item-item matrix B = I - P diag(1/diag(P))
 *          with P = (X'X + lambda I)^-1 and a zero diagonal, from a
 *          Cholesky factorization and inverse by LAPACKE in 4-byte
 *          floats, in place: 4 n^2 bytes for n items.  Past the dense
 *          limit it falls back to item-kNN.
 *   kNN    cosine similarity between items' customer vectors, the K most
 *          similar items kept per item, from sparse co-occurrence counts:
 *          8 n K bytes.
 *   ALS    implicit-feedback matrix factorization (Hu, Koren and Volinsky
 *          2008): alternating least squares with confidence
 *          1 + alpha * weight, each customer's and item's factors solved
 *          by Cholesky (LAPACKE, OpenBLAS).
 *
 * A customer's scores are the sum of the model's item rows over the
 * customer's items (EASE, kNN), or the product of the factors (ALS);
 * items the customer has are never recommended.  A customer the model
 * does not know, or knows without items, gets the most popular items.
 *
 * Items and customers are numbered in id order (crm_id_cmp), so that the
 * same interactions in any order give the same model, byte for byte, and
 * ties between equal scores go to the smaller id.
 *
 * Ownership: every struct here is owned by its caller and freed with its
 * _free function; a model keeps no pointer into the data it was fitted
 * on.  Names returned by the model stay valid while the model lives.
 */
#ifndef CRM_RECOMMEND_H
#define CRM_RECOMMEND_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"
#include "progress.h"

enum crm_reco_algo { CRM_RECO_EASE, CRM_RECO_KNN, CRM_RECO_ALS };

struct crm_reco_params {
	enum crm_reco_algo algo;
	double lambda;	    /* EASE: the L2 weight (500) */
	size_t dense_limit; /* EASE: most items for its n x n matrix */
	size_t neighbours;  /* kNN: items kept per item (100) */
	size_t factors;	    /* ALS: factors per customer and item (64) */
	size_t iterations;  /* ALS: sweeps over customers and items (15) */
	double reg;	    /* ALS: the L2 weight (0.1) */
	double alpha;	    /* ALS: confidence is 1 + alpha * weight (10) */
	unsigned long seed; /* ALS: the initial factors (1) */
	/* The steps of a fit: its phases and how far each is. */
	struct crm_progress_cb progress;
};

#define CRM_RECO_DENSE_LIMIT 14000 /* 784 MB: 4 n^2 bytes */

/* Fill p with the defaults above. */
void crm_reco_params_init(struct crm_reco_params *p);

/* The algorithm's name ("ease", "knn", "als"), and back (-1: unknown). */
const char *crm_reco_algo_name(enum crm_reco_algo a);
int crm_reco_algo_parse(const char *s);

/* ==== Interactions ==== */

struct crm_reco_data;

/*
 * An empty set of interactions.  Unweighted, a customer has an item or
 * not (repeats count once); weighted, the weights of repeats add up.
 * NULL when out of memory.
 */
struct crm_reco_data *crm_reco_data_new(int weighted);
void crm_reco_data_free(struct crm_reco_data *d);

/*
 * Add one interaction of customer cust with item at time (any number
 * that orders events; 0 when unknown) and weight (> 0; 1 unweighted).
 * Strings are copied.  0, or -1 when out of memory.
 */
int crm_reco_data_add(struct crm_reco_data *d, const char *cust, size_t clen,
    const char *item, size_t ilen, double weight, double time);

/* Interactions added so far. */
size_t crm_reco_data_count(const struct crm_reco_data *d);

/* ==== Models ==== */

struct crm_reco;

/*
 * Fit a model to the interactions.  NULL with e filled: EX_DATAERR when
 * there are none, EX_SOFTWARE when out of memory, when LAPACK fails, or
 * when ALS has no room for OpenBLAS's work buffer (blas.h; EASE falls
 * back to kNN, crm_reco_fallback_why).
 */
struct crm_reco *crm_reco_fit(const struct crm_reco_data *d,
    const struct crm_reco_params *p, struct crm_err *e);
void crm_reco_free(struct crm_reco *m);

/* What was fitted (kNN after a fallback) and what was asked for. */
enum crm_reco_algo crm_reco_algo(const struct crm_reco *m);
enum crm_reco_algo crm_reco_asked(const struct crm_reco *m);

/*
 * Why kNN was fitted in place of EASE when it was not for the size of
 * EASE's matrix (past --dense-limit, or out of memory): the message of
 * the check that failed, such as no room for OpenBLAS's work buffer
 * (blas.h); otherwise "".  Valid while m is.
 */
const char *crm_reco_fallback_why(const struct crm_reco *m);

/* Items, customers and (distinct customer, item) pairs of the model. */
size_t crm_reco_items(const struct crm_reco *m);
size_t crm_reco_customers(const struct crm_reco *m);
size_t crm_reco_pairs(const struct crm_reco *m);

/* The parameters it was fitted with. */
const struct crm_reco_params *crm_reco_params(const struct crm_reco *m);

/*
 * Bytes for crm_reco_load: *p (valid until the model changes or is
 * freed) and *len.  0, or -1 when out of memory.  The model's large
 * matrix is saved where it lies, without a copy.
 */
int crm_reco_save(struct crm_reco *m, const void **p, size_t *len);

/*
 * Load a model from the bytes saved, taking over blob (its buffer is
 * emptied, also on failure).  NULL with e filled: EX_DATAERR when the
 * bytes are not a whole, sound model, EX_SOFTWARE when out of memory.
 */
struct crm_reco *crm_reco_load(struct crm_buf *blob, struct crm_err *e);

/* The index of a customer or an item, or -1 when the model lacks it. */
long crm_reco_customer(const struct crm_reco *m, const char *id, size_t len);
long crm_reco_item(const struct crm_reco *m, const char *id, size_t len);

/* The id of item i. */
const char *crm_reco_item_name(const struct crm_reco *m, size_t i, size_t *len);

/* One recommended item. */
struct crm_reco_hit {
	size_t item;
	double score;
};

/*
 * The (at most) n best items for customer c (an index, or -1 for a
 * customer the model does not know), best first, into out; returns how
 * many.  *popular is set when they are the most popular items (no
 * history to go by), scored by the share of customers who have them.
 */
size_t crm_reco_for_customer(struct crm_reco *m, long c, size_t n,
    struct crm_reco_hit *out, int *popular);

/*
 * The (at most) n items most related to item i (an index, or -1 for an
 * unknown item, which gets the most popular items with *popular set),
 * best first, into out; returns how many.  Related means: EASE, the
 * largest weights of i's row of B; kNN, the most similar; ALS, the
 * largest cosine of the item factors.
 */
size_t crm_reco_for_item(struct crm_reco *m, long i, size_t n,
    struct crm_reco_hit *out, int *popular);

/* ==== Evaluation ==== */

/*
 * Hold out the latest share frac (rounded down, at least one) of each
 * customer's interactions, ordered by time with ties broken by item id;
 * fit a model with p on the rest; recommend k items to each customer
 * who has held-out items not among those kept, and measure the lists
 * against them (metrics.h; the catalogue is the model's items).  If
 * model is not NULL, *model is the fitted model (the caller frees it).
 * 0, or -1 with e filled as for crm_reco_fit.
 */
int crm_reco_eval(const struct crm_reco_data *d, double frac, size_t k,
    const struct crm_reco_params *p, struct crm_rankmetrics *out,
    struct crm_reco **model, struct crm_err *e);

#endif
