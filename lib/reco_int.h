/*
 * reco_int: what recommend.c (data, model bytes, scoring, evaluation)
 * and reco_fit.c (the three algorithms) share; not for binaries.
 */
#ifndef CRM_RECO_INT_H
#define CRM_RECO_INT_H

#include <stdint.h>

#include "buf.h"
#include "recommend.h"
#include "strmap.h"

#define RECO_NONE   UINT32_MAX /* no neighbour in a kNN slot */
#define RECO_HEADER 64	       /* bytes before the large section */

/*
 * Scores this close, relative to the larger, are a tie: 4-byte floats
 * carry about 7 digits, and the last ones depend on the order of the
 * sums, which differs between CPUs.  A tie goes to the item more
 * customers have, then to the smaller id, the same everywhere.
 */
#define RECO_TIE 1e-5

struct crm_reco_data {
	int weighted;
	struct crm_strmap *custs, *items;
	uint32_t *cust, *item; /* per interaction */
	float *weight;
	double *time;
	size_t n, cap;
};

/*
 * The model.  Customers and items are numbered in id order.  The large
 * section (EASE's B, kNN's neighbours, ALS's factors) lies in blob just
 * after the header, so that saving writes it where it is and loading
 * uses it where it was read; on a big-endian host it is kept in host
 * order and converted when saved.
 */
struct crm_reco {
	enum crm_reco_algo algo;  /* fitted */
	enum crm_reco_algo asked; /* asked for */
	struct crm_reco_params p;
	int weighted;
	size_t n, m; /* items, customers */
	size_t k;    /* kNN: neighbours per item; ALS: factors */
	size_t nnz;  /* (customer, item) pairs */
	struct crm_strmap *items, *custs;
	uint32_t *count;     /* per item: customers who have it */
	uint32_t *popord;    /* items, most popular first, then by id */
	uint32_t *hptr;	     /* m + 1: customer c's items are */
	uint32_t *hidx;	     /* hidx[hptr[c] .. hptr[c + 1]), ascending */
	float *hval;	     /* with these values (1 unweighted) */
	struct crm_buf blob; /* header, large section, and when saved or
				loaded the rest */
	size_t big;	     /* bytes of header and large section */
	float *mat;	     /* EASE: B, n x n, row i = item i's weights;
				kNN: similarities, n x k; ALS: item factors
				n x k, then customer factors m x k */
	uint32_t *nbr;	     /* kNN: neighbours, n x k, most similar first */
	float *score;	     /* scratch: n scores */
	uint32_t *mark;	     /* scratch: n stamps of excluded items */
	uint32_t stamp;
	struct crm_buf out; /* big-endian hosts: the bytes saved */
	char why[1024];	    /* why kNN stands in for EASE, when not for
			       its matrix's size; or "" */
};

/*
 * Build m's items, customers, counts and history from the interactions
 * of d not marked in skip (NULL: all), and fit p's algorithm (kNN when
 * EASE's n would pass p->dense_limit).  0, or -1 with e filled.
 */
int reco_fit_into(struct crm_reco *m, const struct crm_reco_data *d,
    const unsigned char *skip, const struct crm_reco_params *p,
    struct crm_err *e);

/*
 * Make room for the large section of bytes bytes (zeroed) after the
 * header in m->blob, and point m->mat and m->nbr into it for m->algo,
 * m->n, m->m and m->k.  0 or -1 (ENOMEM).
 */
int reco_big_alloc(struct crm_reco *m);

/* Bytes of the large section for algo over n items, m customers, k. */
int reco_big_size(
    enum crm_reco_algo algo, size_t n, size_t m, size_t k, size_t *bytes);

/*
 * 1 when hit a ranks before hit b: the higher score (beyond RECO_TIE),
 * then (when count is not NULL) the item more customers have, then the
 * smaller index.
 */
int reco_before(const struct crm_reco_hit *a, const struct crm_reco_hit *b,
    const uint32_t *count);

/*
 * Keep the best cap of the hits offered in h, a heap of *k hits with the
 * worst at the root; reco_heap_sort then puts them best first.
 */
void reco_heap_offer(struct crm_reco_hit *h, size_t *k, size_t cap,
    const struct crm_reco_hit *x, const uint32_t *count);
void reco_heap_sort(struct crm_reco_hit *h, size_t k, const uint32_t *count);

/* Fill m->popord from m->count; 0 or -1 (ENOMEM). */
int reco_pop_order(struct crm_reco *m);

/*
 * rank[i]: the place of string i of s in id order (crm_id_cmp), in an
 * array the caller frees; NULL when out of memory.
 */
uint32_t *reco_id_ranks(const struct crm_strmap *s);

#endif
