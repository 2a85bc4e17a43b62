/*
 * suggest: see suggest.h.  The distance is crm_levenshtein() (strsim.c)
 * on the folded forms, cut short at the threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "rec.h"
#include "strsim.h"
#include "suggest.h"

#define FOLD_MAX 256 /* longer names are not suggested for */

/* name with its ends trimmed and ASCII folded into out; its length. */
static size_t
fold(const char *s, size_t len, char out[FOLD_MAX])
{
	size_t i, n = 0;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > FOLD_MAX)
		return FOLD_MAX + 1;
	for (i = 0; i < len; i++) {
		char c = s[i];

		out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return n;
}

static size_t
threshold(size_t chars)
{
	return chars <= 4 ? 1 : chars <= 8 ? 2 : 3;
}

long
crm_suggest(const char *name, size_t len, const char *const *cand,
    const size_t *clen, size_t n)
{
	char a[FOLD_MAX], b[FOLD_MAX];
	size_t alen, blen, i, best = (size_t)-1, bestd = (size_t)-1, max;

	alen = fold(name, len, a);
	if (alen > FOLD_MAX || alen == 0)
		return -1;
	max = threshold(crm_utf8_count(a, alen));
	for (i = 0; i < n; i++) {
		size_t cl = clen != NULL ? clen[i] : strlen(cand[i]), d;

		if (cl == len && memcmp(cand[i], name, len) == 0)
			continue;
		blen = fold(cand[i], cl, b);
		if (blen > FOLD_MAX)
			continue;
		d = crm_levenshtein(a, alen, b, blen, max);
		if (d <= max && (best == (size_t)-1 || d < bestd)) {
			best = i;
			bestd = d;
		}
	}
	return best == (size_t)-1 ? -1 : (long)best;
}

long
crm_suggest_field(const char *name, size_t len, const struct crm_rec *r)
{
	size_t n = crm_rec_count(r), i;
	const char **cand;
	size_t *clen;
	long best;

	if (n == 0)
		return -1;
	cand = malloc(n * sizeof(*cand));
	clen = malloc(n * sizeof(*clen));
	if (cand == NULL || clen == NULL) {
		free(cand);
		free(clen);
		return -1; /* only a hint is lost */
	}
	for (i = 0; i < n; i++)
		cand[i] = crm_rec_name(r, i, &clen[i]);
	best = crm_suggest(name, len, cand, clen, n);
	free(cand);
	free(clen);
	return best;
}

const char *
crm_suggest_hint(char *buf, size_t n, long i, const char *cand, size_t clen)
{
	if (n == 0)
		return buf;
	if (i < 0 || cand == NULL)
		buf[0] = '\0';
	else
		snprintf(buf, n, "; did you mean '%.*s'?", (int)clen, cand);
	return buf;
}

const char *
crm_suggest_field_hint(
    char *buf, size_t size, const char *name, const struct crm_rec *r)
{
	long k = crm_suggest_field(name, strlen(name), r);
	const char *cand = NULL;
	size_t clen = 0;

	if (k >= 0)
		cand = crm_rec_name(r, (size_t)k, &clen);
	return crm_suggest_hint(buf, size, k, cand, clen);
}

const char *
crm_suggest_list_hint(
    char *buf, size_t size, const char *name, const char *const *cand, size_t n)
{
	long k = crm_suggest(name, strlen(name), cand, NULL, n);

	return crm_suggest_hint(buf, size, k, k >= 0 ? cand[k] : NULL,
	    k >= 0 ? strlen(cand[k]) : 0);
}
