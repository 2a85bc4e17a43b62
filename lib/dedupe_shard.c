/*
 * dedupe_shard: crm-dedupe in shards, with the model fixed (the store's;
 * crm-dedupe(1), SHARDS).  keys writes each record's blocking keys as it
 * reads it, one key record a key: the block ("R.HHHHHHHHHHHHHHHH", the
 * rule and the key's hash), the id and the model's fields; records
 * partitioned by block keep each block whole.  pairs holds the key
 * records of a partition, pairs the records of each block as one
 * process does (a block of more than --max-block records is skipped),
 * compares and scores the pairs by the model, and writes each link (a
 * pair at the threshold or above) with its block, ids, levels and
 * probability.  reconcile reads the links of every partition back into
 * the pairs of the run (lib/dedupe.c), each pair once, of its first
 * rule, in the order one process makes them (by rule, then block key,
 * then the records' order in the input), so that the one clustering of
 * dedupe.c gives what one process gives.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "dedupe_int.h"
#include "filter.h"
#include "opt.h"

/* keys: the records in one linkset, before it is made anew. */
#define KEYS_CHUNK 4096

/* The most of an input's bytes quoted in a message. */
#define QUOTE(len) (int)((len) < 40 ? (len) : 40)

/*
 * The array p of *cap elements of size bytes with room for element n:
 * p, or p doubled when full; NULL when out of memory (p kept).
 */
static void *
room(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 1024;

	if (n < *cap)
		return p;
	if ((p = crm_reallocarray(p, c, size)) != NULL)
		*cap = c;
	return p;
}

/* ==== Parsers ==== */

/* The field name is at fault: it goes in e, and -1 comes back. */
static int
at(struct crm_err *e, const char *name)
{
	crm_err_field(e, name, strlen(name));
	return -1;
}

static int
bad_block(const char *s, size_t len, size_t nrules, struct crm_err *e)
{
	crm_err_set(e, EX_DATAERR,
	    "bad block '%.*s': want R.HHHHHHHHHHHHHHHH from crm-dedupe keys "
	    "(rule R below %zu, 16 hex digits)",
	    QUOTE(len), s, nrules);
	return at(e, CRM_DEDUPE_BLOCK);
}

int
crm_dedupe_block_parse(const char *s, size_t len, size_t nrules, size_t *rule,
    uint64_t *key, struct crm_err *e)
{
	size_t i = 0, r = 0;
	uint64_t k = 0;
	int c;

	while (i < len && i < 3 && s[i] >= '0' && s[i] <= '9')
		r = r * 10 + (size_t)(s[i++] - '0');
	if (i == 0 || (i > 1 && s[0] == '0') || r >= nrules || i + 17 != len ||
	    s[i] != '.')
		return bad_block(s, len, nrules, e);
	for (i++; i < len; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else
			return bad_block(s, len, nrules, e);
		k = k << 4 | (uint64_t)c;
	}
	if (k == 0) /* crm_block_hash() is never 0 */
		return bad_block(s, len, nrules, e);
	*rule = r;
	*key = k;
	return 0;
}

/* The text of field name of r; NULL with e when it is missing. */
static const char *
need(const struct crm_rec *r, const char *name, size_t *len, struct crm_err *e)
{
	const char *v = crm_rec_text(r, name, len);

	if (v == NULL) {
		crm_err_set(e, EX_DATAERR, "missing (from crm-dedupe pairs)");
		at(e, name);
	}
	return v;
}

int
crm_dedupe_link_parse(const struct crm_rec *r, size_t nrules, size_t nf,
    struct crm_dedupe_link *l, struct crm_err *e)
{
	const char *v;
	char num[64];
	size_t len, f;

	if ((v = need(r, CRM_DEDUPE_BLOCK, &len, e)) == NULL ||
	    crm_dedupe_block_parse(v, len, nrules, &l->rule, &l->key, e) == -1)
		return -1;
	if ((l->id1 = need(r, CRM_DEDUPE_ID1, &l->len1, e)) == NULL ||
	    (l->id2 = need(r, CRM_DEDUPE_ID2, &l->len2, e)) == NULL ||
	    (v = need(r, CRM_DEDUPE_LEVELS, &len, e)) == NULL)
		return -1;
	if (len > CRM_LINK_MAXFIELDS || (nf > 0 && len != nf)) {
		crm_err_set(e, EX_DATAERR,
		    "bad levels '%.*s': want %s%zu, one a field compared",
		    QUOTE(len), v, nf > 0 ? "" : "at most ",
		    nf > 0 ? nf : (size_t)CRM_LINK_MAXFIELDS);
		return at(e, CRM_DEDUPE_LEVELS);
	}
	for (f = 0; f < len; f++) {
		if (v[f] == '-')
			l->lev[f] = -1;
		else if (v[f] >= '0' && v[f] < '0' + CRM_LINK_MAXLEV)
			l->lev[f] = v[f] - '0';
		else {
			crm_err_set(e, EX_DATAERR,
			    "bad levels '%.*s': want a digit 0 to %d or '-' "
			    "(missing) a field",
			    QUOTE(len), v, CRM_LINK_MAXLEV - 1);
			return at(e, CRM_DEDUPE_LEVELS);
		}
	}
	l->nf = len;
	if ((v = need(r, CRM_DEDUPE_PROB, &len, e)) == NULL)
		return -1;
	if (len >= sizeof(num))
		len = sizeof(num) - 1; /* too long for a number: refused */
	memcpy(num, v, len);
	num[len] = '\0';
	if (crm_parse_double(num, 0, 1, &l->p) == -1) {
		crm_err_set(e, EX_DATAERR,
		    "bad match_prob '%.*s': want a probability, 0 to 1",
		    QUOTE(len), num);
		return at(e, CRM_DEDUPE_PROB);
	}
	return 0;
}

/* ==== keys ==== */

int
crm_dd_keys_header(struct crm_dedupe *d, struct crm_rec *hdr, struct crm_err *e)
{
	const char *id = d->o.id_field;
	size_t f;

	crm_rec_clear(hdr);
	if (crm_rec_add(hdr, CRM_DEDUPE_BLOCK, strlen(CRM_DEDUPE_BLOCK), "", 0,
		CRM_STRING) == -1 ||
	    crm_rec_add(hdr, id, strlen(id), "", 0, CRM_STRING) == -1)
		return crm_dd_oom(e);
	for (f = 0; f < d->fs.nf; f++)
		if (strcmp(d->fs.name[f], id) != 0 &&
		    crm_rec_add(hdr, d->fs.name[f], strlen(d->fs.name[f]), "",
			0, CRM_STRING) == -1)
			return crm_dd_oom(e);
	return 0;
}

/* Field name of r into out (null when r has none); its value in *v. */
static int
copy_field(struct crm_rec *out, const struct crm_rec *r, const char *name,
    const char **v, size_t *len)
{
	long k = crm_rec_find(r, name, strlen(name));
	enum crm_type t = CRM_NULL;

	*v = NULL;
	*len = 0;
	if (k >= 0 && (t = crm_rec_type(r, (size_t)k)) != CRM_NULL)
		*v = crm_rec_value(r, (size_t)k, len);
	return crm_rec_add(
	    out, name, strlen(name), *v ? *v : "", *len, *v ? t : CRM_NULL);
}

int
crm_dd_keys_record(
    struct crm_dedupe *d, const struct crm_rec *r, struct crm_err *e)
{
	const struct crm_fs *fs = &d->fs;
	const char *val[CRM_LINK_MAXFIELDS], *id;
	size_t len[CRM_LINK_MAXFIELDS], f, rule, idlen;
	struct crm_rec *out = d->rec[0];
	char block[32];
	uint64_t h;
	long i;
	int n;

	if (crm_rec_text(r, d->o.id_field, &idlen) == NULL)
		return crm_err_set(
		    e, EX_DATAERR, "field '%s': no id", d->o.id_field);
	/* a linkset holds every record added: made anew now and then */
	if (d->ls == NULL || d->inls == KEYS_CHUNK) {
		crm_linkset_free(d->ls);
		d->inls = 0;
		if ((d->ls = crm_linkset_new(fs->cmp, fs->nf, d->o.region)) ==
		    NULL)
			return crm_dd_oom(e);
	}
	crm_rec_clear(out);
	if (crm_rec_add(out, CRM_DEDUPE_BLOCK, strlen(CRM_DEDUPE_BLOCK), "", 0,
		CRM_STRING) == -1 ||
	    copy_field(out, r, d->o.id_field, &id, &idlen) == -1)
		return crm_dd_oom(e);
	for (f = 0; f < fs->nf; f++) {
		if (strcmp(fs->name[f], d->o.id_field) == 0) {
			/* written once, and compared as the model's field */
			val[f] = id;
			len[f] = idlen;
		} else if (copy_field(out, r, fs->name[f], &val[f], &len[f]) ==
			   -1)
			return crm_dd_oom(e);
	}
	errno = 0;
	if ((i = crm_linkset_add(d->ls, val, len)) == -1)
		return crm_dd_oom(e);
	d->inls++;
	for (rule = 0; rule < fs->nrules; rule++) {
		if ((h = crm_block_hash(d->ls, &fs->rule[rule], (size_t)i)) ==
		    0)
			continue; /* a key missing: in no block of the rule */
		n = snprintf(block, sizeof(block), "%zu.%016" PRIx64, rule, h);
		if (crm_rec_set(out, 0, block, (size_t)n, CRM_STRING) == -1)
			return crm_dd_oom(e);
		if (crm_filter_emit(d->filter, out, e) == -1)
			return -1;
		d->keys++;
	}
	return 0;
}

/* ==== pairs ==== */

int
crm_dd_pairs_add(
    struct crm_dedupe *d, const struct crm_rec *r, struct crm_err *e)
{
	struct crm_dd_blk *b;
	const char *v;
	size_t len, rule;
	uint64_t key;

	if ((v = crm_rec_text(r, CRM_DEDUPE_BLOCK, &len)) == NULL) {
		crm_err_set(e, EX_DATAERR, "missing (from crm-dedupe keys)");
		return at(e, CRM_DEDUPE_BLOCK);
	}
	if (crm_dedupe_block_parse(v, len, d->fs.nrules, &rule, &key, e) == -1)
		return -1;
	if ((b = room(d->blk, &d->blkcap, d->nblk, sizeof(*b))) == NULL)
		return crm_dd_oom(e);
	d->blk = b;
	if (crm_dedupe_add(d, r, e) == -1)
		return -1;
	d->blk[d->nblk].key = key;
	d->blk[d->nblk++].rule = (uint32_t)rule;
	return 0;
}

/*
 * A pair of records x < y (pairs: a key record, x, y 0), of a block (its
 * rule and key), with reconcile its pattern; in the order one process
 * makes the pairs, by block, then x, then y (cmp_by_block).
 */
struct ent {
	uint64_t key;
	uint32_t x, y, rule, pat;
};

static int
cmp_by_pair(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->x != y->x)
		return x->x < y->x ? -1 : 1;
	if (x->y != y->y)
		return x->y < y->y ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int
cmp_by_block(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return cmp_by_pair(a, b);
}

/* The ids of block b[0..n) are distinct: a record is in a block once. */
static int
distinct(struct crm_dedupe *d, const struct ent *b, size_t n,
    struct crm_dd_idkey *k, struct crm_err *e)
{
	size_t i;

	for (i = 0; i < n; i++) {
		k[i].id = crm_dd_id(d, b[i].x, &k[i].len);
		k[i].idx = b[i].x;
	}
	qsort(k, n, sizeof(*k), crm_dd_cmp_idkey);
	for (i = 1; i < n; i++)
		if (crm_bytes_cmp(
			k[i - 1].id, k[i - 1].len, k[i].id, k[i].len) == 0)
			return crm_dd_fail(e, EX_DATAERR,
			    "%s: lines %lu and %lu: field '%s': the same id "
			    "'%.*s' twice in block %" PRIu32 ".%016" PRIx64,
			    d->o.input_name, crm_dd_line(d, k[i - 1].idx),
			    crm_dd_line(d, k[i].idx), d->o.id_field,
			    (int)k[i].len, k[i].id, b[0].rule, b[0].key);
	return 0;
}

static int
push_pair(struct crm_dedupe *d, size_t *cap, uint32_t i, uint32_t j)
{
	struct crm_pair *p;

	if ((p = room(d->pairs, cap, d->npairs, sizeof(*p))) == NULL)
		return -1;
	d->pairs = p;
	d->pairs[d->npairs].i = i;
	d->pairs[d->npairs++].j = j;
	return 0;
}

/*
 * The pairs of each block of the key records held, as crm_block_pairs()
 * makes them in one: by rule, then key, then the records' order.
 */
static int
block_pairs(struct crm_dedupe *d, struct crm_err *e)
{
	size_t n = d->in.n, i, g, b, a, cap = 0;
	unsigned long long skipped[CRM_LINK_MAXRULES] = { 0 };
	struct crm_dd_idkey *k = NULL;
	struct ent *o;
	int rc = -1;

	if ((o = crm_reallocarray(NULL, n, sizeof(*o))) == NULL ||
	    (k = crm_reallocarray(NULL, n, sizeof(*k))) == NULL) {
		free(o);
		return crm_dd_oom(e);
	}
	for (i = 0; i < n; i++) {
		o[i].key = d->blk[i].key;
		o[i].rule = d->blk[i].rule;
		o[i].x = (uint32_t)i;
		o[i].y = o[i].pat = 0;
	}
	qsort(o, n, sizeof(*o), cmp_by_block);
	for (g = 0; g < n; g = b) {
		for (b = g + 1;
		     b < n && o[b].rule == o[g].rule && o[b].key == o[g].key;
		     b++)
			;
		if (b - g > (size_t)d->o.max_block) {
			skipped[o[g].rule]++;
			continue;
		}
		if (distinct(d, o + g, b - g, k, e) == -1)
			goto out;
		for (a = g; a < b; a++)
			for (i = a + 1; i < b; i++) {
				if (push_pair(d, &cap, o[a].x, o[i].x) == -1) {
					crm_dd_oom(e);
					goto out;
				}
				d->rpairs[o[g].rule]++;
			}
	}
	for (i = 0; i < d->nrules; i++)
		if (skipped[i] > 0 && !d->o.quiet)
			crm_warnx("rule %zu: %llu blocks of more than %ld "
				  "records not paired (--max-block)",
			    i, skipped[i], d->o.max_block);
	rc = 0;
out:
	free(o);
	free(k);
	return rc;
}

/*
 * Each key record's block is its key under the model: key records of
 * another model's rules, or edited, would pair records the model does
 * not block together, and be scored as if it did.
 */
static int
check_keys(struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_dd_blk *b;
	size_t i;

	for (i = 0; i < d->in.n; i++) {
		b = &d->blk[i];
		if (crm_block_hash(d->ls, &d->rules[b->rule], i) == b->key)
			continue;
		crm_dd_fail(e, EX_DATAERR,
		    "%" PRIu32 ".%016" PRIx64 " is not the record's key "
		    "under rule %" PRIu32 " of model version %ld: key records "
		    "of another model, or edited",
		    b->rule, b->key, b->rule, d->version);
		e->file = d->o.input_name;
		e->line = crm_dd_line(d, i);
		return at(e, CRM_DEDUPE_BLOCK);
	}
	return 0;
}

/*
 * Whether a later rule than pair k's blocks its records together too and
 * would link them (its probability of the pair's levels, the same under
 * every rule, at the threshold or above): reconcile must then know the
 * pair, link or not, as it is of its first rule only (and another
 * partition may see it as a link of the later one).  A pair no later
 * rule links is in no pairs file when it is not a link itself.
 */
static int
shadows(const struct crm_dedupe *d, size_t k)
{
	size_t r = d->blk[d->pairs[k].i].rule + 1;
	const int8_t *lev = d->p.lev + (size_t)d->pat[k] * d->nf;
	uint64_t h;

	for (; r < d->nrules; r++)
		if ((h = crm_block_hash(d->ls, &d->rules[r], d->pairs[k].i)) !=
			0 &&
		    h == crm_block_hash(d->ls, &d->rules[r], d->pairs[k].j) &&
		    crm_fs_prob(&d->fs, r, lev) >= d->o.threshold)
			return 1;
	return 0;
}

/* Each link (and pair a later rule links): block, ids, levels, score. */
static int
write_links(
    struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg, struct crm_err *e)
{
	struct crm_rec *r = d->rec[0];
	const struct crm_dd_blk *b;
	char block[32], lev[CRM_LINK_MAXFIELDS], num[32];
	const char *id;
	const int8_t *l;
	size_t k, f, len;
	double p;
	int n, m;

	for (k = 0; k < d->npairs; k++) {
		p = d->prob[d->pat[k]];
		if (p >= d->o.threshold)
			d->links++;
		else if (!shadows(d, k))
			continue;
		b = &d->blk[d->pairs[k].i];
		l = d->p.lev + (size_t)d->pat[k] * d->nf;
		for (f = 0; f < d->nf; f++)
			lev[f] = l[f] < 0 ? '-' : (char)('0' + l[f]);
		n = snprintf(block, sizeof(block), "%" PRIu32 ".%016" PRIx64,
		    b->rule, b->key);
		/* every digit: reconcile orders the links as one process */
		m = snprintf(num, sizeof(num), "%.17g", p);
		crm_rec_clear(r);
		if (crm_rec_add(r, CRM_DEDUPE_BLOCK, strlen(CRM_DEDUPE_BLOCK),
			block, (size_t)n, CRM_STRING) == -1)
			return crm_dd_oom(e);
		id = crm_dd_id(d, d->pairs[k].i, &len);
		if (crm_rec_add(r, CRM_DEDUPE_ID1, strlen(CRM_DEDUPE_ID1), id,
			len, CRM_STRING) == -1)
			return crm_dd_oom(e);
		id = crm_dd_id(d, d->pairs[k].j, &len);
		if (crm_rec_add(r, CRM_DEDUPE_ID2, strlen(CRM_DEDUPE_ID2), id,
			len, CRM_STRING) == -1 ||
		    crm_rec_add(r, CRM_DEDUPE_LEVELS, strlen(CRM_DEDUPE_LEVELS),
			lev, d->nf, CRM_STRING) == -1 ||
		    crm_rec_add(r, CRM_DEDUPE_PROB, strlen(CRM_DEDUPE_PROB),
			num, (size_t)m, CRM_NUMBER) == -1)
			return crm_dd_oom(e);
		if (emit(arg, r, e) == -1)
			return -1;
	}
	return 0;
}

int
crm_dd_pairs_run(
    struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg, struct crm_err *e)
{
	if (d->in.n == 0)
		return 0;
	if (d->in.n > UINT32_MAX)
		return crm_dd_fail(e, EX_SOFTWARE,
		    "%zu key records: more than a partition may have", d->in.n);
	if (crm_dd_choose_fields(d, e) == -1)
		return -1;
	memcpy(d->rules, d->fs.rule, d->fs.nrules * sizeof(*d->rules));
	d->nrules = d->fs.nrules;
	if ((d->ls = crm_linkset_new(d->cmp, d->nf, d->o.region)) == NULL)
		return crm_dd_oom(e);
	if (crm_dd_add_to_linkset(d, &d->in, e) == -1 ||
	    check_keys(d, e) == -1 || block_pairs(d, e) == -1 ||
	    crm_dd_compare_pairs(d, e) == -1 || crm_dd_score(d, e) == -1)
		return -1;
	d->clustered = 1;
	return write_links(d, emit, arg, e);
}

/* ==== reconcile ==== */

struct ents {
	struct ent *v;
	size_t n, cap;
	size_t pcap; /* d->prob's */
};

/* The record of id (field name), by index; -1 with e when none. */
static long
record_of(const struct crm_dedupe *d, const char *name, const char *id,
    size_t len, struct crm_err *e)
{
	long i = crm_dd_lookup(d, id, len);

	if (i < 0 || (size_t)i >= d->in.n) {
		crm_err_set(e, EX_DATAERR,
		    "no record '%.*s' in the input: pairs of other records",
		    QUOTE(len), id);
		return at(e, name);
	}
	return i;
}

/*
 * With the store's model, whether link l's levels are within the
 * model's fields' and its probability is the model's for its rule and
 * levels; -1 with e when not (links of another model version).  Within
 * 1e-9: a shard on another machine may have another libm, whose exp()
 * and log() may differ in the last bit.
 */
static int
of_another_model(const struct crm_dedupe *d, const struct crm_dedupe_link *l,
    struct crm_err *e)
{
	int8_t lev[CRM_LINK_MAXFIELDS];
	double p;
	size_t f;

	for (f = 0; f < l->nf; f++) {
		if (l->lev[f] >= d->fs.nlev[f]) {
			crm_err_set(e, EX_DATAERR,
			    "level %d of field '%s': model version %ld has "
			    "%d levels for it, from 0: links of another model",
			    l->lev[f], d->fs.name[f], d->version,
			    d->fs.nlev[f]);
			return at(e, CRM_DEDUPE_LEVELS);
		}
		lev[f] = (int8_t)l->lev[f];
	}
	p = crm_fs_prob(&d->fs, l->rule, lev);
	if (fabs(p - l->p) <= 1e-9)
		return 0;
	crm_err_set(e, EX_DATAERR,
	    "%.12g is not the %.12g of model version %ld for its rule and "
	    "levels: links of another model",
	    l->p, p, d->version);
	return at(e, CRM_DEDUPE_PROB);
}

/* Link r into v: its pattern, probability and pair. */
static int
add_link(struct crm_dedupe *d, const struct crm_rec *r, struct ents *v,
    struct crm_err *e)
{
	struct crm_dedupe_link l;
	struct ent *t;
	long x, y, pat;
	double *pr;

	if (crm_dedupe_link_parse(r,
		d->have_fs ? d->fs.nrules : CRM_LINK_MAXRULES, d->nf, &l,
		e) == -1)
		return -1;
	if (!d->have_p) { /* no model: the first link says */
		d->nf = l.nf;
		crm_patterns_init(&d->p, d->nf);
		d->have_p = 1;
	}
	if ((x = record_of(d, CRM_DEDUPE_ID1, l.id1, l.len1, e)) < 0 ||
	    (y = record_of(d, CRM_DEDUPE_ID2, l.id2, l.len2, e)) < 0)
		return -1;
	if (x == y) {
		crm_err_set(e, EX_DATAERR, "the record of id1 again");
		return at(e, CRM_DEDUPE_ID2);
	}
	if (d->have_fs && of_another_model(d, &l, e) == -1)
		return -1;
	if ((pat = crm_patterns_index(&d->p, l.lev, l.rule)) == -1)
		return crm_dd_oom(e);
	if ((pr = room(d->prob, &v->pcap, (size_t)pat, sizeof(*pr))) == NULL)
		return crm_dd_oom(e);
	d->prob = pr;
	if (d->p.count[pat]++ == 0)
		d->prob[pat] = l.p;
	else if (d->prob[pat] != l.p) { /* one model: one probability */
		crm_err_set(e, EX_DATAERR,
		    "%g differs from the %g of another link of its rule "
		    "and levels: links of two models",
		    l.p, d->prob[pat]);
		return at(e, CRM_DEDUPE_PROB);
	}
	if ((t = room(v->v, &v->cap, v->n, sizeof(*t))) == NULL)
		return crm_dd_oom(e);
	v->v = t;
	t = &v->v[v->n++];
	t->key = l.key;
	t->x = (uint32_t)(x < y ? x : y);
	t->y = (uint32_t)(x < y ? y : x);
	t->rule = (uint32_t)l.rule;
	t->pat = (uint32_t)pat;
	return 0;
}

/* The links of pairs file path into v; errors name its line. */
static int
read_links(
    struct crm_dedupe *d, const char *path, struct ents *v, struct crm_err *e)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL)
		return crm_dd_fail(e, EX_NOINPUT, "cannot open '%s': %s", path,
		    strerror(errno));
	crm_err_clear(e);
	if ((rd = crm_reader_open(fp, path, d->o.link_fmt, e)) == NULL) {
		fclose(fp);
		return -1;
	}
	if ((r = crm_rec_new()) == NULL) {
		crm_reader_close(rd);
		fclose(fp);
		return crm_dd_oom(e);
	}
	while ((rc = crm_reader_next(rd, r, e)) == 1) {
		if (add_link(d, r, v, e) == -1) {
			e->file = path;
			e->line = crm_rec_line(r);
			rc = -1;
			break;
		}
	}
	crm_rec_free(r);
	crm_reader_close(rd);
	fclose(fp);
	return rc;
}

int
crm_dd_read_pairs(struct crm_dedupe *d, struct crm_err *e)
{
	struct ents v = { NULL, 0, 0, 0 };
	size_t i, k, n;
	int rc = -1;

	if (d->have_fs) {
		crm_patterns_init(&d->p, d->nf);
		d->have_p = 1;
	}
	for (i = 0; i < d->o.npairs; i++)
		if (read_links(d, d->o.pairs[i], &v, e) == -1)
			goto out;
	/* a pair once, of its first rule, as crm_block_pairs() makes it */
	qsort(v.v, v.n, sizeof(*v.v), cmp_by_pair);
	for (k = 0, n = 0; k < v.n; k++)
		if (n == 0 || v.v[n - 1].x != v.v[k].x ||
		    v.v[n - 1].y != v.v[k].y)
			v.v[n++] = v.v[k];
	qsort(v.v, n, sizeof(*v.v), cmp_by_block);
	if ((d->pairs = crm_reallocarray(NULL, n + 1, sizeof(*d->pairs))) ==
		NULL ||
	    (d->pat = crm_reallocarray(NULL, n + 1, sizeof(*d->pat))) == NULL ||
	    (d->prob == NULL &&
		(d->prob = calloc(1, sizeof(*d->prob))) == NULL)) {
		crm_dd_oom(e);
		goto out;
	}
	d->nrules = d->have_fs ? d->fs.nrules : 0;
	for (k = 0; k < n; k++) {
		d->pairs[k].i = v.v[k].x;
		d->pairs[k].j = v.v[k].y;
		d->pat[k] = v.v[k].pat;
		d->rpairs[v.v[k].rule]++;
		if (v.v[k].rule >= d->nrules)
			d->nrules = v.v[k].rule + 1;
	}
	d->npairs = n;
	rc = 0;
out:
	free(v.v);
	return rc;
}
