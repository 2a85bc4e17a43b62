/*
 * text: message text into hashed sparse features for linear models, the
 * same way for Chinese and English (and any mix of the two).
 *
 * The text is normalized (crm_norm_fold: NFKC, white space collapsed,
 * Unicode case folding), then cut into words (runs of letters, marks and
 * digits) and runs of CJK characters (Han and kana, written without
 * spaces).  Features, each hashed into a fixed space of 2^bits ids:
 *
 *   group 0 (ids below 2^(bits-1)): words, pairs of neighbouring words,
 *           and the character n-grams of CJK runs (1 to cjk_n
 *           characters), which play the part of words there; with
 *           cjk_edges, also a run's first and last one and two
 *           characters marked as such ("<不", "了>") and, when it is
 *           short, the run itself ("<很好>");
 *   group 1 (ids from 2^(bits-1)): the character n-grams of each word
 *           written <word>, minn to maxn characters long, which carry
 *           word stems and survive typos.
 *
 * The two groups are weighted and normalized apart by the model (see
 * textclf.h), so that the many character n-grams of a word do not drown
 * the word itself.
 */
#ifndef CRM_TEXT_H
#define CRM_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct crm_text_opts {
	int bits;      /* size of the id space: 2^bits, 12 to 28 */
	int minn;      /* shortest character n-gram of a word, 0 for none */
	int maxn;      /* longest character n-gram of a word */
	int cjk_n;     /* longest character n-gram of a CJK run */
	int word_n;    /* 2: words and word pairs; 1: words alone */
	int cjk_edges; /* 1: a CJK run's edges and short runs; 0: not */
};

#define CRM_TEXT_OPTS_DEFAULT     \
	{                         \
		22, 2, 5, 3, 2, 1 \
	}

/* One feature of a text: its id and how often it occurs. */
struct crm_feat {
	uint32_t id;
	uint32_t count;
};

struct crm_text;

/*
 * Return a feature extractor for o (checked: NULL with *why set when an
 * option is out of range), or NULL with *why NULL when out of memory.
 */
struct crm_text *crm_text_new(const struct crm_text_opts *o, const char **why);
void crm_text_free(struct crm_text *t);

/* The group (0 or 1) of feature id. */
int crm_text_group(const struct crm_text *t, uint32_t id);

/*
 * The features of s[0..len): distinct ids in increasing order with their
 * counts, in an array owned by t and valid until the next call.  Returns
 * their number, or -1 with *why set ("invalid UTF-8") or, when out of
 * memory, with *why NULL.  An empty or all-punctuation text has none.
 */
long crm_text_features(struct crm_text *t, const char *s, size_t len,
    const struct crm_feat **out, const char **why);

/*
 * For explanations: call fn(arg, id, name, namelen) for every feature of
 * s as crm_text_features finds it, with a readable name: "refund",
 * "card arrived", "<ref", "订单".  Returns 0, or -1 as above.
 */
int crm_text_names(struct crm_text *t, const char *s, size_t len,
    void (*fn)(void *, uint32_t, const char *, size_t), void *arg,
    const char **why);

#endif
