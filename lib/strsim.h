/*
 * strsim: how alike two short strings are, for record linkage: the
 * Jaro-Winkler similarity (names), the Levenshtein distance with a bound
 * (ids, codes, addresses) and American Soundex (blocking on how a Latin
 * name sounds).  Strings are UTF-8 and compared by code point, so a
 * Chinese name is compared character by character.  Written here because
 * no Debian library offers these on code points; each is a few dozen
 * lines.  Only the first CRM_SIM_MAX code points of a string count.
 */
#ifndef CRM_STRSIM_H
#define CRM_STRSIM_H

#include <stddef.h>
#include <stdint.h>

#define CRM_SIM_MAX 128

/*
 * Decode at most max code points of UTF-8 s into out; returns their
 * number.  A byte that is not valid UTF-8 counts as one code point.
 */
size_t crm_utf8_decode(const char *s, size_t len, uint32_t *out, size_t max);

/* Jaro-Winkler similarity in [0, 1]; two empty strings are alike (1). */
double crm_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen);

/* The same on decoded code points. */
double crm_jaro_winkler_cp(
    const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

/*
 * The Levenshtein distance of a and b in code points, or max + 1 when it
 * is above max (the work is then cut short).
 */
size_t crm_levenshtein(
    const char *a, size_t alen, const char *b, size_t blen, size_t max);

/*
 * American Soundex of the Latin letters of s (a letter and three digits,
 * NUL-terminated) in out; 0, or -1 when s has no Latin letter.
 */
int crm_soundex(const char *s, size_t len, char out[5]);

#endif
