/* fellegi: Fellegi-Sunter weights with m and u estimated by EM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "fellegi.h"

#define MAGIC	  "CRMFS002"
#define FLOOR	  1e-6	 /* no probability is quite 0 */
#define SMOOTH	  0.01	 /* pseudo-count of each level in the M step */
#define MIN_PAIRS 500	 /* fewer, and a rule takes m from the others */
#define PRIOR_U	  1000.0 /* pairs' worth of belief in the random pairs' u */

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
	fs->all.lambda = 0.1;
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

double
crm_fs_weight(
    const struct crm_fs *fs, const struct crm_fs_part *part, size_t f, int l)
{
	(void)fs;
	if (l < 0 || part->skip[f])
		return 0;
	return log2(part->m[f][l] / part->u[f][l]);
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

double
crm_fs_prob(const struct crm_fs *fs, size_t r, const int8_t *lev)
{
	double lw[CRM_LINK_MAXFIELDS][CRM_LINK_MAXLEV];
	const struct crm_fs_part *part = crm_fs_part(fs, r);

	log_weights(fs, part, lw);
	return 1 / (1 + exp(-log_odds(fs, part, lw, lev)));
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

void
crm_fs_train(struct crm_fs *fs, const struct crm_patterns *p,
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
		if (count[r] < MIN_PAIRS)
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
		if (count[r] >= MIN_PAIRS)
			continue;
		memcpy(part->m, fs->all.m, sizeof(part->m));
		part->lambda = fs->all.lambda;
		if (count[r] > 0)
			fs->iterations += em(fs, part, p, r, 1, max_iter, tol);
	}
}

static int
save_part(
    const struct crm_fs *fs, const struct crm_fs_part *part, struct crm_buf *b)
{
	size_t f;
	int l, bad = 0;

	bad |= crm_buf_putd(b, part->lambda);
	bad |= crm_buf_putd(b, (double)part->pairs);
	for (f = 0; f < fs->nf; f++) {
		bad |= crm_buf_put32(b, part->skip[f]);
		for (l = 0; l < fs->nlev[f]; l++) {
			bad |= crm_buf_putd(b, part->m[f][l]);
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
load_part(const struct crm_fs *fs, struct crm_fs_part *part, struct crm_in *in)
{
	size_t f;
	int l;
	double pairs;

	part->lambda = crm_in_d(in);
	pairs = crm_in_d(in);
	/* a count, saved as a double: only then may it become a uint64_t */
	if (!(pairs >= 0 && pairs < 18446744073709551616.0))
		return -1;
	part->pairs = (uint64_t)pairs;
	if (!(part->lambda > 0 && part->lambda < 1))
		return -1;
	for (f = 0; f < fs->nf; f++) {
		part->skip[f] = crm_in_32(in) != 0;
		for (l = 0; l < fs->nlev[f]; l++) {
			part->m[f][l] = crm_in_d(in);
			part->u[f][l] = crm_in_d(in);
			if (!(part->m[f][l] > 0 && part->m[f][l] <= 1 &&
				part->u[f][l] > 0 && part->u[f][l] <= 1))
				return -1;
		}
	}
	return 0;
}

int
crm_fs_load(struct crm_fs *fs, const void *p, size_t len, struct crm_err *e)
{
	struct crm_in in = { p, len, 0 };
	const char *magic = crm_in_bytes(&in, 8), *name;
	uint32_t nf, nlen, cmp;
	size_t f, r, k;

	memset(fs, 0, sizeof(*fs));
	if (magic == NULL || memcmp(magic, MAGIC, 8) != 0)
		return crm_err_set(e, EX_DATAERR, "not a crm-dedupe model");
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
	if (load_part(fs, &fs->all, &in) == -1)
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
			if (br->key[k].field >= nf)
				goto bad;
		}
		if (load_part(fs, &fs->part[r], &in) == -1)
			goto bad;
	}
	if (in.bad || in.left != 0)
		goto bad;
	return 0;
bad:
	crm_fs_release(fs);
	return crm_err_set(e, EX_DATAERR, "a damaged crm-dedupe model");
}
