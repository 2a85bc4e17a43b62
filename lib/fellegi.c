/* fellegi: Fellegi-Sunter weights with m and u estimated by EM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "fellegi.h"

#define MAGIC	  "CRMFS003"
#define MAGIC2	  "CRMFS002" /* before the related class: loaded */
#define FLOOR	  1e-6	     /* no probability is quite 0 */
#define SMOOTH	  0.01	     /* pseudo-count of each level in the M step */
#define MIN_PAIRS 500	     /* fewer in all: a model by rule, of two classes */
#define MIN_RULE  500	 /* of those, fewer: a rule takes m from the others */
#define PRIOR_U	  1000.0 /* pairs' worth of belief in the random pairs' u, */
#define PRIOR_UK  2.0	 /* and twice as many more as its matches */

int
crm_fs_init(struct crm_fs *fs, const char *const *names,
    const enum crm_cmp *cmp, size_t nf)
{
	size_t f;
	int l, n;

	memset(fs, 0, sizeof(*fs));
	if (nf > CRM_LINK_MAXFIELDS)
		return -1;
	fs->nf = nf;
	fs->all.lambda = fs->all.eta = 0.1;
	for (f = 0; f < nf; f++) {
		if ((fs->name[f] = strdup(names[f])) == NULL) {
			crm_fs_release(fs);
			return -1;
		}
		fs->cmp[f] = cmp[f];
		n = fs->nlev[f] = crm_cmp_levels(cmp[f]);
		for (l = 0; l < n; l++) {
			/* m: mostly exact; u: mostly disagree */
			fs->all.m[f][l] = l == n - 1 ? 0.8 : 0.2 / (n - 1);
			fs->all.u[f][l] = l == 0 ? 0.8 : 0.2 / (n - 1);
			/* h: related, not the same, half in disagreement */
			fs->all.h[f][l] = l == 0 ? 0.5 : 0.5 / (n - 1);
		}
	}
	return 0;
}

void
crm_fs_release(struct crm_fs *fs)
{
	size_t f;

	for (f = 0; f < fs->nf; f++) {
		free(fs->name[f]);
		fs->name[f] = NULL;
	}
}

/* xorshift64*: a small, seeded generator, the same on every machine. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

void
crm_fs_sample_u(
    struct crm_fs *fs, const struct crm_linkset *s, size_t n, uint64_t seed)
{
	double cnt[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	int lev[CRM_LINK_MAXFIELDS];
	size_t nr = crm_linkset_count(s), k, f, i, j;
	uint64_t st = seed * 2654435761u + 88172645463325252ull;
	double tot;
	int l;

	if (nr < 2)
		return;
	memset(cnt, 0, sizeof(cnt));
	for (k = 0; k < n; k++) {
		i = (size_t)(next_rand(&st) % nr);
		j = (size_t)(next_rand(&st) % nr);
		if (i == j)
			continue;
		crm_linkset_compare(s, i, j, lev);
		for (f = 0; f < fs->nf; f++) {
			if (lev[f] >= 0)
				cnt[f][lev[f]]++;
		}
	}
	for (f = 0; f < fs->nf; f++) {
		for (tot = 0, l = 0; l < fs->nlev[f]; l++)
			tot += cnt[f][l] + SMOOTH;
		if (tot <= SMOOTH * fs->nlev[f])
			continue;
		for (l = 0; l < fs->nlev[f]; l++)
			fs->all.u[f][l] = (cnt[f][l] + SMOOTH) / tot;
	}
}

const struct crm_fs_part *
crm_fs_part(const struct crm_fs *fs, size_t r)
{
	return r < fs->nrules ? &fs->part[r] : &fs->all;
}

/* log p[l] of field f, of the levels left when its exact one is cut. */
static double
lp(const struct crm_fs *fs, const struct crm_fs_part *part, const double *p,
    size_t f, int l)
{
	return part->cut[f] ? log(p[l]) - log1p(-p[fs->nlev[f] - 1])
			    : log(p[l]);
}

double
crm_fs_weight(
    const struct crm_fs *fs, const struct crm_fs_part *part, size_t f, int l)
{
	if (l < 0 || part->skip[f])
		return 0;
	return (lp(fs, part, part->m[f], f, l) -
		   lp(fs, part, part->u[f], f, l)) /
	       M_LN2;
}

/* Mark the cut fields of each rule (fellegi.h). */
static void
set_cuts(struct crm_fs *fs)
{
	const struct crm_block_rule *b;
	size_t r, s, k;

	for (r = 0; r < fs->nrules; r++) {
		memset(fs->part[r].cut, 0, sizeof(fs->part[r].cut));
		for (s = 0; s < r && fs->joint; s++) {
			b = &fs->rule[s];
			for (k = 1; k < b->nkeys; k++) {
				if (b->key[k].field != b->key[0].field)
					break;
			}
			if (k == b->nkeys && !fs->part[r].skip[b->key[0].field])
				fs->part[r].cut[b->key[0].field] = 1;
		}
	}
}

/* Set p[0..n) from counts c, smoothed, floored; the largest move. */
static double
normalize(double *p, const double *c, int n)
{
	double tot = 0, v, moved = 0;
	int l;

	for (l = 0; l < n; l++)
		tot += c[l] + SMOOTH;
	for (l = 0; l < n; l++) {
		v = (c[l] + SMOOTH) / tot;
		if (v < FLOOR)
			v = FLOOR;
		if (fabs(v - p[l]) > moved)
			moved = fabs(v - p[l]);
		p[l] = v;
	}
	return moved;
}

/* A share kept inside (FLOOR, 1 - FLOOR); how far it moved. */
static double
set_share(double *to, double v)
{
	double moved;

	v = v < FLOOR ? FLOOR : v > 1 - FLOOR ? 1 - FLOOR : v;
	moved = fabs(v - *to);
	*to = v;
	return moved;
}

/*
 * The log-likelihoods of levels lev under the three classes of part:
 * match, related non-match, unrelated non-match (each with its share).
 */
static void
class_logs(const struct crm_fs *fs, const struct crm_fs_part *part,
    const int8_t *lev, double out[3])
{
	double rest = 1 - part->lambda - part->eta;
	size_t f;
	int l;

	out[0] = log(part->lambda);
	out[1] = part->eta > 0 ? log(part->eta) : -INFINITY;
	out[2] = log(rest > FLOOR ? rest : FLOOR);
	for (f = 0; f < fs->nf; f++) {
		if ((l = lev[f]) < 0 || part->skip[f])
			continue;
		out[0] += lp(fs, part, part->m[f], f, l);
		if (part->eta > 0)
			out[1] += lp(fs, part, part->h[f], f, l);
		out[2] += lp(fs, part, part->u[f], f, l);
	}
}

double
crm_fs_prob(const struct crm_fs *fs, size_t r, const int8_t *lev)
{
	const struct crm_fs_part *part = crm_fs_part(fs, r);
	double lg[3], mx, s;

	class_logs(fs, part, lev, lg);
	mx = fmax(lg[0], fmax(lg[1], lg[2]));
	s = exp(lg[0] - mx) + exp(lg[1] - mx) + exp(lg[2] - mx);
	return (exp(lg[0] - mx) + (fs->same ? exp(lg[1] - mx) : 0)) / s;
}

/* Whether any rule's pairs have a related class (else two classes). */
static int
any_related(const struct crm_fs *fs)
{
	size_t r;

	for (r = 0; r < fs->nrules; r++) {
		if (fs->part[r].eta > 0)
			return 1;
	}
	return 0;
}

/*
 * Whether the second class is of matches too: of records of one person
 * corrupted another way (both names lost or swapped), not of related
 * persons.  Related persons are different people: they do not share a
 * birth date or an identity number more than strangers do; so the class
 * is of matches when, on a field of those kinds (date, id), it agrees
 * exactly at least half as often as the matches do.
 */
static int
same_person(const struct crm_fs *fs)
{
	size_t f;
	int top;

	for (f = 0; f < fs->nf; f++) {
		top = fs->nlev[f] - 1;
		if ((fs->cmp[f] == CRM_CMP_DATE || fs->cmp[f] == CRM_CMP_ID) &&
		    fs->all.h[f][top] >= 0.5 * fs->all.m[f][top])
			return 1;
	}
	return 0;
}

/* The mean over the fields of the share of disagreement in m. */
static double
disagreement(const struct crm_fs *fs, double m[][CRM_LINK_MAXLEV])
{
	double s = 0;
	size_t f;

	for (f = 0; f < fs->nf; f++)
		s += m[f][0];
	return fs->nf ? s / (double)fs->nf : 0;
}

/*
 * Expectation-maximization of a three-class latent model, by hand for
 * no library fits one over patterns with counts.  The classes are
 * matches (m), related non-matches (h: the same household, office or
 * family, who agree on where they live and often on the surname or the
 * phone but not on who they are) and unrelated non-matches (u).  Two
 * classes are not enough once blocking brings related persons
 * together: EM then takes "lives at one address" for "is one person".
 * m and h do not depend on the rule that made a pair, so they are fitted
 * jointly over every rule's pairs (each without its rule's own fields);
 * each rule has its own shares of the classes and its own u, which
 * starts from the random pairs' and keeps them as a prior (a rule blocks
 * together non-matches that agree more than random pairs do: the city of
 * the same postcode).  Returns the iterations.
 */
static int
em3(struct crm_fs *fs, const struct crm_patterns *p, int max_iter, double tol)
{
	double mc[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double hc[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double mcut[CRM_LINK_MAXFIELDS], hcut[CRM_LINK_MAXFIELDS];
	double(*uc)[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double cls[CRM_LINK_MAXRULES][3], tot[CRM_LINK_MAXRULES];
	double wr[CRM_LINK_MAXRULES];
	double lg[3], q[3], mx, s, v, moved, a, prior, ll = 0;
	struct crm_fs_part *part;
	const int8_t *lev;
	size_t k, f, r, nr = fs->nrules;
	int it, l, c;

	if ((uc = calloc(nr ? nr : 1, sizeof(*uc))) == NULL)
		return 0;
	/*
	 * Each rule weighs in m and h with at most as many pairs as there
	 * are records: a rule's pairs grow with the square of its blocks,
	 * the matches and households only as the records do, and a rule of
	 * tens of millions of strangers (a given name in a postcode) would
	 * otherwise make the related class its own.
	 */
	memset(tot, 0, sizeof(tot));
	for (k = 0; k < p->n; k++)
		if (p->rule[k] < nr)
			tot[p->rule[k]] += (double)p->count[k];
	for (r = 0; r < nr; r++)
		wr[r] = fs->records > 0 && tot[r] > (double)fs->records
			    ? (double)fs->records / tot[r]
			    : 1;
	for (it = 0; it < max_iter; it++) {
		memset(mc, 0, sizeof(mc));
		memset(hc, 0, sizeof(hc));
		memset(mcut, 0, sizeof(mcut));
		memset(hcut, 0, sizeof(hcut));
		memset(uc, 0, nr * sizeof(*uc));
		memset(cls, 0, sizeof(cls));
		memset(tot, 0, sizeof(tot));
		ll = 0;
		for (k = 0; k < p->n; k++) { /* E: each pattern's classes */
			r = p->rule[k];
			if (r >= nr)
				continue;
			part = &fs->part[r];
			lev = p->lev + k * p->nf;
			class_logs(fs, part, lev, lg);
			mx = fmax(lg[0], fmax(lg[1], lg[2]));
			for (s = 0, c = 0; c < 3; c++)
				s += q[c] = exp(lg[c] - mx);
			v = (double)p->count[k];
			ll += v * (mx + log(s));
			for (c = 0; c < 3; c++) {
				q[c] *= v / s;
				cls[r][c] += q[c];
			}
			tot[r] += v;
			/* a rule's weight in m and h (below) */
			for (c = 0; c < 2; c++)
				q[c] *= wr[r];
			for (f = 0; f < fs->nf; f++) {
				if ((l = lev[f]) < 0 || part->skip[f])
					continue;
				mc[f][l] += q[0];
				hc[f][l] += q[1];
				uc[r][f][l] += q[2];
				if (part->cut[f]) {
					mcut[f] += q[0];
					hcut[f] += q[1];
				}
			}
		}
		/* M: shares and u by rule, m and h of all the rules */
		moved = 0;
		for (f = 0; f < fs->nf; f++) {
			/* the exact pairs an earlier rule took, expected */
			l = fs->nlev[f] - 1;
			mc[f][l] +=
			    mcut[f] * fs->all.m[f][l] / (1 - fs->all.m[f][l]);
			hc[f][l] +=
			    hcut[f] * fs->all.h[f][l] / (1 - fs->all.h[f][l]);
			a = normalize(fs->all.m[f], mc[f], fs->nlev[f]);
			moved = fmax(moved, a);
			a = normalize(fs->all.h[f], hc[f], fs->nlev[f]);
			moved = fmax(moved, a);
		}
		for (r = 0; r < nr; r++) {
			part = &fs->part[r];
			part->pairs = (uint64_t)tot[r];
			memcpy(part->m, fs->all.m, sizeof(part->m));
			memcpy(part->h, fs->all.h, sizeof(part->h));
			if (tot[r] == 0)
				continue;
			a = set_share(&part->lambda, cls[r][0] / tot[r]);
			moved = fmax(moved, a);
			if (part->eta > 0) { /* 0: a model of two classes */
				a = set_share(&part->eta, cls[r][1] / tot[r]);
				moved = fmax(moved, a);
			}
			/*
			 * u's prior: a rule of few unrelated pairs among
			 * many matches (the e-mail's) says little of how
			 * unrelated pairs agree, and left free its u would
			 * take the matches that moved house; a rule of
			 * nearly all unrelated pairs learns it from them
			 * (related pairs do not count: a rule of households
			 * or of strangers who share a postcode must learn
			 * its u from them).
			 */
			prior = PRIOR_U + PRIOR_UK * cls[r][0];
			for (f = 0; f < fs->nf; f++) {
				if (part->skip[f])
					continue;
				for (l = 0; l < fs->nlev[f]; l++)
					uc[r][f][l] += prior * fs->all.u[f][l];
				a = normalize(
				    part->u[f], uc[r][f], fs->nlev[f]);
				moved = fmax(moved, a);
			}
		}
		crm_progress_tell(&fs->progress, "EM", "iterations",
		    (unsigned long long)it + 1, 0);
		if (moved < tol)
			break;
	}
	free(uc);
	fs->loglik = ll;
	return it + 1;
}

/* The natural-log weights of part, 0 for the fields it leaves out. */
static void
log_weights(const struct crm_fs *fs, const struct crm_fs_part *part,
    double lw[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV])
{
	size_t f;
	int l;

	for (f = 0; f < fs->nf; f++) {
		for (l = 0; l < fs->nlev[f]; l++)
			lw[f][l] = part->skip[f] ? 0
						 : log(part->m[f][l]) -
						       log(part->u[f][l]);
	}
}

/* The log-odds of a match for levels lev, from part's prior and lw. */
static double
log_odds(const struct crm_fs *fs, const struct crm_fs_part *part,
    double lw[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV], const int8_t *lev)
{
	double z = log(part->lambda) - log1p(-part->lambda);
	size_t f;

	for (f = 0; f < fs->nf; f++) {
		if (lev[f] >= 0 && !part->skip[f])
			z += lw[f][lev[f]];
	}
	return z;
}

/*
 * EM over the patterns of rule r (all of them when r is SIZE_MAX) for
 * part; returns the iterations.
 */
static int
em(const struct crm_fs *fs, struct crm_fs_part *part,
    const struct crm_patterns *p, size_t r, int fix_m, int max_iter, double tol)
{
	double mc[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double uc[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double lw[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	double w, sw, tot, moved, v, a;
	int l;
	const int8_t *lev;
	size_t k, f;
	int it;

	for (it = 0; it < max_iter; it++) {
		memset(mc, 0, sizeof(mc));
		memset(uc, 0, sizeof(uc));
		log_weights(
		    fs, part, lw); /* once an iteration, not a pattern */
		sw = tot = 0;
		for (k = 0; k < p->n; k++) { /* E: how likely each is a match */
			if (r != SIZE_MAX && p->rule[k] != r)
				continue;
			lev = p->lev + k * p->nf;
			w = 1 / (1 + exp(-log_odds(fs, part, lw, lev)));
			v = (double)p->count[k];
			sw += w * v;
			tot += v;
			for (f = 0; f < fs->nf; f++) {
				if (lev[f] < 0 || part->skip[f])
					continue;
				mc[f][lev[f]] += w * v;
				uc[f][lev[f]] += (1 - w) * v;
			}
		}
		part->pairs = (uint64_t)tot;
		if (tot == 0)
			break;
		/* M: the parameters those weights make most likely */
		v = sw / tot;
		v = v < FLOOR ? FLOOR : v > 1 - FLOOR ? 1 - FLOOR : v;
		moved = fabs(v - part->lambda);
		part->lambda = v;
		for (f = 0; f < fs->nf && !fix_m; f++) {
			if (part->skip[f])
				continue;
			a = normalize(part->m[f], mc[f], fs->nlev[f]);
			if (a > moved)
				moved = a;
			/*
			 * u: the random pairs' as a prior, for a rule whose
			 * pairs are nearly all matches says little of it;
			 * a rule with many non-matches learns how they
			 * agree when blocked together (the city of the
			 * same postcode, the name in the same e-mail).
			 */
			for (l = 0; l < fs->nlev[f]; l++)
				uc[f][l] += PRIOR_U * fs->all.u[f][l];
			a = normalize(part->u[f], uc[f], fs->nlev[f]);
			if (a > moved)
				moved = a;
		}
		crm_progress_tell(&fs->progress, "EM", "iterations",
		    (unsigned long long)fs->iterations + (unsigned)it + 1, 0);
		if (moved < tol)
			break;
	}
	return it + 1;
}

/*
 * Fewer than MIN_PAIRS candidate pairs in all: too few for m fitted
 * jointly, a related class or cut levels.  Each rule with MIN_RULE pairs
 * or more has a model of its own, fitted on its pairs without its own
 * fields; the others take the mean of those m.
 */
static void
train_per_rule(struct crm_fs *fs, const struct crm_patterns *p,
    const struct crm_block_rule *rules, size_t nr, int max_iter, double tol)
{
	double msum[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	size_t nsum[CRM_LINK_MAXFIELDS];
	uint64_t count[CRM_LINK_MAXRULES];
	struct crm_fs_part *part;
	size_t r, k, f;
	int l;

	if (nr > CRM_LINK_MAXRULES)
		nr = CRM_LINK_MAXRULES;
	memset(count, 0, sizeof(count));
	for (k = 0; k < p->n; k++)
		count[p->rule[k]] += p->count[k];
	memset(msum, 0, sizeof(msum));
	memset(nsum, 0, sizeof(nsum));
	fs->nrules = nr;
	fs->iterations = 0;
	/* m of each rule with pairs enough, its own fields left out */
	for (r = 0; r < nr; r++) {
		part = &fs->part[r];
		fs->rule[r] = rules[r];
		*part = fs->all;
		part->lambda = 0.5;
		for (k = 0; k < rules[r].nkeys; k++)
			part->skip[rules[r].key[k].field] = 1;
		if (count[r] < MIN_RULE)
			continue;
		fs->iterations += em(fs, part, p, r, 0, max_iter, tol);
		for (f = 0; f < fs->nf; f++) {
			if (part->skip[f])
				continue;
			for (l = 0; l < fs->nlev[f]; l++)
				msum[f][l] += part->m[f][l];
			nsum[f]++;
		}
	}
	/* the others' m: the mean of those sessions (or the prior) */
	for (f = 0; f < fs->nf; f++) {
		for (l = 0; l < fs->nlev[f] && nsum[f] > 0; l++)
			fs->all.m[f][l] = msum[f][l] / (double)nsum[f];
	}
	fs->iterations += em(fs, &fs->all, p, SIZE_MAX, 1, max_iter, tol);
	for (r = 0; r < nr; r++) {
		part = &fs->part[r];
		if (count[r] >= MIN_RULE)
			continue;
		memcpy(part->m, fs->all.m, sizeof(part->m));
		part->lambda = fs->all.lambda;
		if (count[r] > 0)
			fs->iterations += em(fs, part, p, r, 1, max_iter, tol);
	}
}

/*
 * The shares each rule starts from (a share of related pairs of 0: a
 * model of two classes).  EM finds a local optimum, and which one
 * depends on where it starts (a household's pairs taken for matches, or
 * a postcode's strangers for a related class), so it starts from each of
 * these and keeps the fit of the best Bayesian information criterion:
 * the highest likelihood less half a log of the pairs for each parameter
 * fitted, so that a related class must earn its parameters (a dozen
 * pairs cannot tell three classes apart).  The first wins ties: a rule
 * whose pairs tell nothing (every field its own key) keeps even odds.
 */
static const double starts[][2] = { { 0.5, 0 }, { 0.1, 0 }, { 0.5, 0.1 },
	{ 0.1, 0.1 }, { 0.3, 0.3 } };

/* The criterion of the fit in fs, of n pairs. */
static double
bic(const struct crm_fs *fs, double n, int related)
{
	double k = (double)fs->nrules;
	size_t f;

	for (f = 0; f < fs->nf; f++)
		k += fs->nlev[f] - 1;
	if (related)
		k *= 2;
	return fs->loglik - 0.5 * k * log(n > 1 ? n : 1);
}

void
crm_fs_train(struct crm_fs *fs, const struct crm_patterns *p,
    const struct crm_block_rule *rules, size_t nr, int max_iter, double tol)
{
	double t[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV], x;
	double cls[3] = { 0, 0, 0 }, n = 0;
	struct crm_fs_part *part;
	struct crm_fs *start, *best;
	size_t r, k, i, nstart = sizeof(starts) / sizeof(starts[0]);
	int iterations = 0, related;
	double npairs = 0, crit, best_crit = 0;

	if (nr > CRM_LINK_MAXRULES)
		nr = CRM_LINK_MAXRULES;
	for (k = 0; k < p->n; k++)
		npairs += (double)p->count[k];
	fs->same = 0;
	if (npairs < MIN_PAIRS) {
		fs->joint = 0;
		fs->all.eta = 0;
		train_per_rule(fs, p, rules, nr, max_iter, tol);
		return;
	}
	fs->joint = 1;
	fs->nrules = nr;
	for (r = 0; r < nr; r++) {
		part = &fs->part[r];
		fs->rule[r] = rules[r];
		*part = fs->all;
		for (k = 0; k < rules[r].nkeys; k++)
			part->skip[rules[r].key[k].field] = 1;
	}
	set_cuts(fs);
	/* out of memory: one start only */
	if ((start = malloc(2 * sizeof(*fs))) == NULL)
		nstart = 1;
	best = start + 1;
	for (i = 0; i < nstart; i++) {
		if (start != NULL && i == 0)
			*start = *fs;
		else if (start != NULL)
			*fs = *start;
		for (r = 0; r < nr; r++) {
			fs->part[r].lambda = starts[i][0];
			fs->part[r].eta = starts[i][1];
		}
		iterations += em3(fs, p, max_iter, tol);
		crit = bic(fs, npairs, starts[i][1] > 0);
		if (start != NULL && (i == 0 || crit > best_crit)) {
			*best = *fs;
			best_crit = crit;
		}
	}
	if (start != NULL)
		*fs = *best;
	fs->iterations = iterations;
	free(start);
	related = any_related(fs);
	/* the class that disagrees least is the one of matches */
	if (related &&
	    disagreement(fs, fs->all.h) < disagreement(fs, fs->all.m)) {
		memcpy(t, fs->all.m, sizeof(t));
		memcpy(fs->all.m, fs->all.h, sizeof(t));
		memcpy(fs->all.h, t, sizeof(t));
		for (r = 0; r < nr; r++) {
			part = &fs->part[r];
			memcpy(part->m, fs->all.m, sizeof(t));
			memcpy(part->h, fs->all.h, sizeof(t));
			x = part->lambda;
			part->lambda = part->eta;
			part->eta = x;
		}
	}
	fs->same = related && same_person(fs);
	/* all: the rules' shares, pooled, for pairs of no rule known */
	for (r = 0; r < nr; r++) {
		part = &fs->part[r];
		cls[0] += part->lambda * (double)part->pairs;
		cls[1] += part->eta * (double)part->pairs;
		n += (double)part->pairs;
	}
	if (n > 0) {
		set_share(&fs->all.lambda, cls[0] / n);
		fs->all.eta = 0;
		if (related)
			set_share(&fs->all.eta, cls[1] / n);
		fs->all.pairs = (uint64_t)n;
	}
}

static int
save_part(
    const struct crm_fs *fs, const struct crm_fs_part *part, struct crm_buf *b)
{
	size_t f;
	int l, bad = 0;

	bad |= crm_buf_putd(b, part->lambda);
	bad |= crm_buf_putd(b, part->eta);
	bad |= crm_buf_putd(b, (double)part->pairs);
	for (f = 0; f < fs->nf; f++) {
		bad |= crm_buf_put32(b, part->skip[f]);
		for (l = 0; l < fs->nlev[f]; l++) {
			bad |= crm_buf_putd(b, part->m[f][l]);
			bad |= crm_buf_putd(b, part->h[f][l]);
			bad |= crm_buf_putd(b, part->u[f][l]);
		}
	}
	return bad;
}

int
crm_fs_save(const struct crm_fs *fs, struct crm_buf *b)
{
	size_t f, r, k;
	int bad = 0;

	bad |= crm_buf_add(b, MAGIC, 8);
	bad |= crm_buf_put32(b, (uint32_t)fs->joint);
	bad |= crm_buf_put32(b, (uint32_t)fs->nf);
	for (f = 0; f < fs->nf; f++) {
		size_t len = strlen(fs->name[f]);

		bad |= crm_buf_put32(b, (uint32_t)len);
		bad |= crm_buf_add(b, fs->name[f], len);
		bad |= crm_buf_put32(b, (uint32_t)fs->cmp[f]);
	}
	bad |= save_part(fs, &fs->all, b);
	bad |= crm_buf_put32(b, (uint32_t)fs->nrules);
	for (r = 0; r < fs->nrules; r++) {
		const struct crm_block_rule *br = &fs->rule[r];

		bad |= crm_buf_put32(b, (uint32_t)br->nkeys);
		for (k = 0; k < br->nkeys; k++) {
			bad |= crm_buf_put32(b, (uint32_t)br->key[k].field);
			bad |= crm_buf_put32(b, (uint32_t)br->key[k].part);
			bad |= crm_buf_put32(b, (uint32_t)br->key[k].soundex);
		}
		bad |= save_part(fs, &fs->part[r], b);
	}
	return bad ? -1 : 0;
}

static int
load_part(const struct crm_fs *fs, struct crm_fs_part *part, struct crm_in *in,
    int related)
{
	size_t f;
	int l;
	double pairs;

	part->lambda = crm_in_d(in);
	part->eta = related ? crm_in_d(in) : 0;
	pairs = crm_in_d(in);
	/* a count, saved as a double: only then may it become a uint64_t */
	if (!(pairs >= 0 && pairs < 18446744073709551616.0))
		return -1;
	part->pairs = (uint64_t)pairs;
	if (!(part->lambda > 0 && part->lambda < 1 && part->eta >= 0 &&
		part->eta < 1))
		return -1;
	for (f = 0; f < fs->nf; f++) {
		part->skip[f] = crm_in_32(in) != 0;
		for (l = 0; l < fs->nlev[f]; l++) {
			part->m[f][l] = crm_in_d(in);
			/* a model of two classes: h unused (eta 0) */
			part->h[f][l] = related ? crm_in_d(in) : 1;
			part->u[f][l] = crm_in_d(in);
			if (!(part->m[f][l] > 0 && part->m[f][l] <= 1 &&
				part->h[f][l] > 0 && part->h[f][l] <= 1 &&
				part->u[f][l] > 0 && part->u[f][l] <= 1))
				return -1;
		}
		/* a cut field's levels are scaled by 1 - p of its exact
		   one (lp): all of it, and the others' would be infinite */
		if ((l = fs->nlev[f] - 1) < 0) /* not compared */
			continue;
		if (!(part->m[f][l] < 1 && part->u[f][l] < 1 &&
			(part->eta == 0 || part->h[f][l] < 1)))
			return -1;
	}
	return 0;
}

int
crm_fs_load(struct crm_fs *fs, const void *p, size_t len, struct crm_err *e)
{
	struct crm_in in = { p, len, 0 };
	const char *magic = crm_in_bytes(&in, 8), *name;
	uint32_t nf, nlen, cmp, joint;
	size_t f, r, k;
	int related;

	memset(fs, 0, sizeof(*fs));
	if (magic != NULL && memcmp(magic, MAGIC, 8) == 0)
		related = 1;
	else if (magic != NULL && memcmp(magic, MAGIC2, 8) == 0)
		related = 0;
	else
		return crm_err_set(e, EX_DATAERR, "not a crm-dedupe model");
	if ((joint = related ? crm_in_32(&in) : 0) > 1)
		goto bad;
	fs->joint = (int)joint;
	if ((nf = crm_in_32(&in)) > CRM_LINK_MAXFIELDS)
		goto bad;
	for (f = 0; f < nf; f++) {
		nlen = crm_in_32(&in);
		if ((name = crm_in_bytes(&in, nlen)) == NULL)
			goto bad;
		cmp = crm_in_32(&in);
		if (cmp > CRM_CMP_EXACT ||
		    (fs->name[f] = strndup(name, nlen)) == NULL)
			goto bad;
		fs->nf = f + 1;
		fs->cmp[f] = (enum crm_cmp)cmp;
		fs->nlev[f] = crm_cmp_levels(fs->cmp[f]);
	}
	if (load_part(fs, &fs->all, &in, related) == -1)
		goto bad;
	if ((fs->nrules = crm_in_32(&in)) > CRM_LINK_MAXRULES)
		goto bad;
	for (r = 0; r < fs->nrules; r++) {
		struct crm_block_rule *br = &fs->rule[r];

		br->nkeys = crm_in_32(&in);
		if (br->nkeys < 1 || br->nkeys > CRM_BLOCK_MAXKEYS)
			goto bad;
		for (k = 0; k < br->nkeys; k++) {
			br->key[k].field = crm_in_32(&in);
			br->key[k].part = (int32_t)crm_in_32(&in);
			br->key[k].soundex = crm_in_32(&in) != 0;
			/* as crm_block_parse takes them: a part is negated */
			if (br->key[k].field >= nf ||
			    br->key[k].part > CRM_BLOCK_MAXPART ||
			    br->key[k].part < -CRM_BLOCK_MAXPART)
				goto bad;
		}
		if (load_part(fs, &fs->part[r], &in, related) == -1)
			goto bad;
	}
	if (in.bad || in.left != 0)
		goto bad;
	set_cuts(fs);
	/* as crm_fs_train set it: a model of two classes has no second */
	fs->same = any_related(fs) && same_person(fs);
	return 0;
bad:
	crm_fs_release(fs);
	return crm_err_set(e, EX_DATAERR, "a damaged crm-dedupe model");
}
