/*
 * text: the feature extractor of text.h.  One pass over the normalized
 * text finds words and CJK runs and hands every feature to emit(), which
 * either collects its id (crm_text_features) or passes its name on
 * (crm_text_names), so that explanations name exactly the features the
 * model saw.  Hashing is XXH3 with a different seed for each kind of
 * feature, so that the word "ab" and the n-gram "ab" are different ids.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#include <xxhash.h>

#include "buf.h"
#include "norm.h"
#include "text.h"

enum seed { SEED_WORD = 1, SEED_PAIR, SEED_SUB, SEED_CJK };

#define CJK_EDGE  2 /* characters of a CJK run's edge features */
#define CJK_WHOLE 8 /* the longest CJK run that is a feature itself */

/* What a codepoint is to the tokenizer. */
enum cls { C_SEP, C_WORD, C_CJK };

struct crm_text {
	struct crm_text_opts o;
	uint32_t half; /* first id of group 1 */
	struct crm_buf norm;
	struct crm_buf pad; /* "<word>" */
	struct crm_buf name;
	size_t *off; /* byte offsets of the characters of a word or run */
	size_t noff, offcap;
	uint32_t *ids;
	size_t nids, idcap;
	uint32_t *tmp; /* radix sort scratch, featcap long */
	struct crm_feat *feat;
	size_t featcap;
	void (*fn)(void *, uint32_t, const char *, size_t);
	void *arg;
	int nomem;
};

static enum cls classify(utf8proc_int32_t);
static int scan(struct crm_text *, const char *, size_t, const char **);
static void word(struct crm_text *, const char *, size_t, uint64_t *);
static void cjk_run(struct crm_text *, const char *, size_t);
static void marked(
    struct crm_text *, const char *, const char *, size_t, const char *);
static void emit(struct crm_text *, int, uint64_t, const char *, size_t);
static int offsets(struct crm_text *, const char *, size_t);
static void radix_sort(uint32_t *, uint32_t *, size_t, int);

struct crm_text *
crm_text_new(const struct crm_text_opts *o, const char **why)
{
	struct crm_text *t;

	*why = NULL;
	if (o->bits < 12 || o->bits > 28)
		*why = "hash bits must be 12 to 28";
	else if (o->minn < 0 || o->maxn > 16 ||
		 (o->minn > 0 && o->maxn < o->minn))
		*why = "word n-gram lengths must be 0 < minn <= maxn <= 16";
	else if (o->cjk_n < 1 || o->cjk_n > 8)
		*why = "CJK n-gram length must be 1 to 8";
	else if (o->word_n < 1 || o->word_n > 2)
		*why = "word n-grams must be 1 or 2";
	else if (o->cjk_edges < 0 || o->cjk_edges > 1)
		*why = "CJK edges must be 0 or 1";
	if (*why != NULL)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->o = *o;
	t->half = (uint32_t)1 << (o->bits - 1);
	return t;
}

void
crm_text_free(struct crm_text *t)
{
	if (t == NULL)
		return;
	crm_buf_release(&t->norm);
	crm_buf_release(&t->pad);
	crm_buf_release(&t->name);
	free(t->off);
	free(t->ids);
	free(t->tmp);
	free(t->feat);
	free(t);
}

int
crm_text_group(const struct crm_text *t, uint32_t id)
{
	return id >= t->half;
}

long
crm_text_features(struct crm_text *t, const char *s, size_t len,
    const struct crm_feat **out, const char **why)
{
	size_t i, n;

	t->fn = NULL;
	t->nids = 0;
	if (scan(t, s, len, why) == -1)
		return -1;
	if (t->nids > t->featcap) {
		free(t->feat);
		free(t->tmp);
		t->featcap = t->nids;
		t->feat = crm_reallocarray(NULL, t->featcap, sizeof(*t->feat));
		t->tmp = crm_reallocarray(NULL, t->featcap, sizeof(*t->tmp));
		if (t->feat == NULL || t->tmp == NULL) {
			t->featcap = 0;
			*why = NULL;
			errno = ENOMEM;
			return -1;
		}
	}
	radix_sort(t->ids, t->tmp, t->nids, t->o.bits);
	for (i = n = 0; i < t->nids; i++) {
		if (n > 0 && t->feat[n - 1].id == t->ids[i]) {
			t->feat[n - 1].count++;
			continue;
		}
		t->feat[n].id = t->ids[i];
		t->feat[n].count = 1;
		n++;
	}
	*out = t->feat;
	return (long)n;
}

int
crm_text_names(struct crm_text *t, const char *s, size_t len,
    void (*fn)(void *, uint32_t, const char *, size_t), void *arg,
    const char **why)
{
	t->fn = fn;
	t->arg = arg;
	t->nids = 0;
	return scan(t, s, len, why);
}

/*
 * Unspaced scripts (Han, kana, and Thai, Lao, Khmer and Myanmar, which
 * are written without spaces between words too) are CJK runs; letters,
 * marks and digits of every other script make words.
 */
static enum cls
classify(utf8proc_int32_t c)
{
	if (c < 0x80)
		return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			   (c >= 'A' && c <= 'Z'))
			   ? C_WORD
			   : C_SEP;
	if ((c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
	    (c >= 0x1780 && c <= 0x17FF) || (c >= 0x2E80 && c <= 0x2FDF) ||
	    (c >= 0x3005 && c <= 0x3007) || (c >= 0x3021 && c <= 0x3029) ||
	    (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
	    (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0x20000 && c <= 0x323AF))
		return C_CJK;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return C_WORD;
	default:
		return C_SEP;
	}
}

/* Normalize s and walk it, run by run. */
static int
scan(struct crm_text *t, const char *s, size_t len, const char **why)
{
	const unsigned char *p;
	size_t i, start, n;
	utf8proc_int32_t c;
	utf8proc_ssize_t k;
	enum cls cur, run;
	uint64_t prev = 0; /* hash of the word before, 0 at a break */

	*why = NULL;
	if (!crm_utf8_check(s, len, NULL)) {
		*why = "invalid UTF-8";
		return -1;
	}
	t->norm.len = 0;
	if (crm_norm_fold(&t->norm, s, len, why) == -1)
		return -1;
	p = (const unsigned char *)t->norm.p;
	n = t->norm.len;
	t->nomem = 0;
	run = C_SEP;
	start = 0;
	for (i = 0; i <= n; i += (size_t)k) {
		if (i == n) {
			cur = C_SEP;
			k = 1;
		} else if (p[i] < 0x80) {
			cur = classify(p[i]);
			k = 1;
		} else {
			k = utf8proc_iterate(
			    p + i, (utf8proc_ssize_t)(n - i), &c);
			if (k <= 0) /* cannot happen after crm_utf8_check */
				k = 1, c = 0;
			cur = classify(c);
		}
		if (cur == run)
			continue;
		if (run == C_WORD)
			word(t, t->norm.p + start, i - start, &prev);
		else if (run == C_CJK) {
			cjk_run(t, t->norm.p + start, i - start);
			prev = 0;
		}
		run = cur;
		start = i;
	}
	if (t->nomem) {
		*why = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The word s[0..len): itself, its pair with the word before, n-grams. */
static void
word(struct crm_text *t, const char *s, size_t len, uint64_t *prev)
{
	uint64_t h, pair[2];
	size_t i, n, nc;

	h = XXH3_64bits_withSeed(s, len, SEED_WORD);
	emit(t, 0, h, s, len);
	if (t->o.word_n >= 2 && *prev != 0) {
		pair[0] = *prev;
		pair[1] = h;
		if (t->fn != NULL) {
			/* the name is the two words; see cjk_run for why
			 * the previous word's text is still at hand */
			t->name.len = 0;
			if (crm_buf_add(
				&t->name, t->pad.p + 1, t->pad.len - 2) == -1 ||
			    crm_buf_addc(&t->name, ' ') == -1 ||
			    crm_buf_add(&t->name, s, len) == -1)
				t->nomem = 1;
		}
		emit(t, 0, XXH3_64bits_withSeed(pair, sizeof(pair), SEED_PAIR),
		    t->name.p, t->name.len);
	}
	*prev = h | 1; /* never 0 */

	/* "<word>" stays in t->pad until the next word, for the pair name */
	t->pad.len = 0;
	if (crm_buf_addc(&t->pad, '<') == -1 ||
	    crm_buf_add(&t->pad, s, len) == -1 ||
	    crm_buf_addc(&t->pad, '>') == -1 ||
	    offsets(t, t->pad.p, t->pad.len) == -1) {
		t->nomem = 1;
		return;
	}
	if (t->o.minn == 0)
		return;
	nc = t->noff - 1;
	for (n = (size_t)t->o.minn; n <= (size_t)t->o.maxn && n <= nc; n++)
		for (i = 0; i + n <= nc; i++) {
			const char *g = t->pad.p + t->off[i];
			size_t glen = t->off[i + n] - t->off[i];

			emit(t, 1, XXH3_64bits_withSeed(g, glen, SEED_SUB), g,
			    glen);
		}
}

/*
 * The character n-grams of an unspaced run s[0..len): a clause between
 * punctuation, spaces or another script.  With cjk_edges, also what the
 * n-grams of a word written "<word>" have from its edges: the run written
 * "<很好>" when it has at most CJK_WHOLE characters, and its first and last
 * one to CJK_EDGE characters marked "<不", "了>" (the whole run too, when
 * it is that short).  Where a clause starts and ends carries negation and
 * sentence-final particles, and a short clause (好, 不错, 太差了) says as
 * much as a word.  On online_shopping_10_cats (scripts/bench-intent.sh)
 * they took the sentiment from 0.9344 to 0.9366 and the categories from
 * 0.8996 to 0.9011, the same with other --seed values; most of it is the
 * short clauses': without the edges as long as the run, 0.9344 again.
 * Over five folds of testdata/intent's 1,297 intent messages, 0.8389 to
 * 0.8450.  The n-grams alone up to 4 characters did worse (0.9323).
 */
static void
cjk_run(struct crm_text *t, const char *s, size_t len)
{
	size_t i, n, nc, e;

	/* the pair name of the next word must not reach across this run */
	t->pad.len = 0;
	if (offsets(t, s, len) == -1) {
		t->nomem = 1;
		return;
	}
	nc = t->noff - 1;
	for (n = 1; n <= (size_t)t->o.cjk_n && n <= nc; n++)
		for (i = 0; i + n <= nc; i++) {
			const char *g = s + t->off[i];
			size_t glen = t->off[i + n] - t->off[i];

			emit(t, 0, XXH3_64bits_withSeed(g, glen, SEED_CJK), g,
			    glen);
		}
	if (!t->o.cjk_edges)
		return;
	if (nc <= CJK_WHOLE)
		marked(t, "<", s, len, ">");
	for (n = 1; n <= CJK_EDGE && n <= nc; n++) {
		e = t->off[n];
		marked(t, "<", s, e, "");
		e = len - t->off[nc - n];
		marked(t, "", s + len - e, e, ">");
	}
	t->pad.len = 0;
}

/*
 * Emit the CJK n-gram g[0..len) between the marks pre and post, put
 * together in t->pad (free in a run: see cjk_run).
 */
static void
marked(struct crm_text *t, const char *pre, const char *g, size_t len,
    const char *post)
{
	t->pad.len = 0;
	if (crm_buf_add(&t->pad, pre, strlen(pre)) == -1 ||
	    crm_buf_add(&t->pad, g, len) == -1 ||
	    crm_buf_add(&t->pad, post, strlen(post)) == -1) {
		t->nomem = 1;
		return;
	}
	emit(t, 0, XXH3_64bits_withSeed(t->pad.p, t->pad.len, SEED_CJK),
	    t->pad.p, t->pad.len);
}

/* Record the feature with hash h in group g. */
static void
emit(struct crm_text *t, int g, uint64_t h, const char *name, size_t len)
{
	uint32_t id = ((uint32_t)h & (t->half - 1)) | (g ? t->half : 0);

	if (t->fn != NULL) {
		t->fn(t->arg, id, name, len);
		return;
	}
	if (t->nids == t->idcap) {
		size_t cap = t->idcap ? 2 * t->idcap : 256;
		uint32_t *p = crm_reallocarray(t->ids, cap, sizeof(*p));

		if (p == NULL) {
			t->nomem = 1;
			return;
		}
		t->ids = p;
		t->idcap = cap;
	}
	t->ids[t->nids++] = id;
}

/* Fill t->off with the byte offset of every character of s, and len. */
static int
offsets(struct crm_text *t, const char *s, size_t len)
{
	size_t i;

	t->noff = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (t->noff == t->offcap) {
			size_t cap = t->offcap ? 2 * t->offcap : 64;
			size_t *p = crm_reallocarray(t->off, cap, sizeof(*p));

			if (p == NULL)
				return -1;
			t->off = p;
			t->offcap = cap;
		}
		t->off[t->noff++] = i;
	}
	return 0;
}

/*
 * Sort the n ids in a (below 2^bits) with tmp as scratch: least
 * significant digit first, 8 bits a pass.  qsort(3) was a third of the
 * time of a prediction; a message has a few hundred ids.
 */
static void
radix_sort(uint32_t *a, uint32_t *tmp, size_t n, int bits)
{
	size_t count[256], i, sum, c;
	uint32_t *from = a, *to = tmp, *swap;
	int shift;

	for (shift = 0; shift < bits; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 0xFF]++;
		for (i = 0, sum = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xFF]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}
