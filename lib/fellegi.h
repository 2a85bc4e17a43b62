/*
 * fellegi: the Fellegi-Sunter model of record linkage.  A pair of
 * records is a match with prior probability lambda; given that it is
 * (or is not), field f agrees at level l with probability m[f][l] (or
 * u[f][l]), independently of the other fields.  u is measured on random
 * pairs (nearly all non-matches); m and lambda are estimated by
 * expectation-maximization on the candidate pairs' patterns (linkage.h),
 * so no labelled pairs are needed; a missing value (level -1) neither
 * helps nor hurts.
 *
 * Blocking breaks the independence the model assumes: the pairs a rule
 * makes all agree on its keys.  So, as in Splink, each blocking rule's
 * pairs are scored without the rule's own fields, by a model whose m
 * was fitted to those pairs (or, for a rule with few pairs, by the mean
 * of the others'), with the share of matches lambda of that rule.
 */
#ifndef CRM_FELLEGI_H
#define CRM_FELLEGI_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "linkage.h"
#include "progress.h"

struct crm_fs_part {
	double m[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double u[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double lambda;				/* the share of matches */
	unsigned char skip[CRM_LINK_MAXFIELDS]; /* fields left out */
	uint64_t pairs;				/* it was fitted on */
};

struct crm_fs {
	size_t nf;
	char *name[CRM_LINK_MAXFIELDS];
	enum crm_cmp cmp[CRM_LINK_MAXFIELDS];
	int nlev[CRM_LINK_MAXFIELDS];
	struct crm_fs_part all; /* of all the pairs */
	size_t nrules;
	struct crm_block_rule rule[CRM_LINK_MAXRULES];
	struct crm_fs_part part[CRM_LINK_MAXRULES]; /* by rule */
	int iterations;				    /* EM's, to convergence */
	struct crm_progress_cb progress; /* EM's iterations; set it after
					    crm_fs_init() or crm_fs_load() */
};

/*
 * Start a model of nf fields (names copied) with the usual priors: a
 * match agrees exactly on most fields, a non-match disagrees.  -1 when
 * out of memory or nf is too large.
 */
int crm_fs_init(struct crm_fs *fs, const char *const *names,
    const enum crm_cmp *cmp, size_t nf);
void crm_fs_release(struct crm_fs *fs);

/*
 * Start u from n random pairs of s (nearly all non-matches), drawn with
 * seed; a field no pair has keeps its prior.
 */
void crm_fs_sample_u(
    struct crm_fs *fs, const struct crm_linkset *s, size_t n, uint64_t seed);

/*
 * Fit the model of each of the nr rules that made the patterns, then
 * that of all of them, by EM until the parameters move less than tol.
 */
void crm_fs_train(struct crm_fs *fs, const struct crm_patterns *p,
    const struct crm_block_rule *rules, size_t nr, int max_iter, double tol);

/* The model that scores the pairs of rule r. */
const struct crm_fs_part *crm_fs_part(const struct crm_fs *fs, size_t r);
/* The match weight log2(m/u) of field f at level l in part (0 if out). */
double crm_fs_weight(
    const struct crm_fs *fs, const struct crm_fs_part *part, size_t f, int l);
/* The probability that a pair of rule r with levels lev is a match. */
double crm_fs_prob(const struct crm_fs *fs, size_t r, const int8_t *lev);

int crm_fs_save(const struct crm_fs *fs, struct crm_buf *b);
/* Load a saved model into fs; 0, or -1 with e (EX_DATAERR). */
int crm_fs_load(
    struct crm_fs *fs, const void *p, size_t len, struct crm_err *e);

#endif
