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
 * makes all agree on its keys, so, as in Splink, each blocking rule's
 * pairs are scored without the rule's own fields.  And blocking brings
 * related persons together (a household at one address, a family's
 * landline, an office's switchboard), who agree on several fields at
 * once; two classes then split "related" from "unrelated", not "one
 * person" from "two".  So the non-matches are of two classes, as in
 * Winkler's three-class EM for households: related (h) and unrelated
 * (u).  m and h are fitted jointly over all the rules' pairs; each rule
 * has its own shares of matches (lambda) and related pairs (eta) and its
 * own u (the random pairs' as a prior).  A pair is made by the first
 * rule that blocks it, so the pairs of a later rule never agree exactly
 * on a field an earlier rule keys alone (the e-mail, the phone): for
 * them that field's levels are of the others (a truncated distribution,
 * fitted by EM with the missing exact pairs as missing data).
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
	double h[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV]; /* related */
	double u[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double lambda; /* the share of matches */
	double eta;    /* of related non-matches (0: two classes) */
	unsigned char skip[CRM_LINK_MAXFIELDS]; /* fields left out */
	/* fields whose exact agreement an earlier rule, keyed on them
	   alone, took: m, h and u are of the other levels (not saved) */
	unsigned char cut[CRM_LINK_MAXFIELDS];
	uint64_t pairs; /* it was fitted on */
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
	int same;	/* the second class is of matches (fellegi.c) */
	double loglik;	/* of the patterns under the model fitted */
	int joint;	/* m fitted jointly, levels cut (else by rule) */
	size_t records; /* the pairs are of: caps a rule's weight (0: none) */
	int iterations; /* EM's, to convergence */
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
 * Fit the model of the nr rules that made the patterns by EM until the
 * parameters move less than tol (or max_iter iterations): m and h of all
 * the rules, the shares and u of each; all gets the shares pooled.
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
