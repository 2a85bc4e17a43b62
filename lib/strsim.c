/* strsim: Jaro-Winkler, bounded Levenshtein and Soundex on code points. */
#include <ctype.h>
#include <string.h>

#include <utf8proc.h>

#include "strsim.h"

size_t
crm_utf8_decode(const char *s, size_t len, uint32_t *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	size_t n = 0;

	while (len > 0 && n < max) {
		if (*p < 0x80) {
			out[n++] = *p++;
			len--;
			continue;
		}
		k = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
		if (k <= 0) { /* a stray byte stands for itself */
			out[n++] = 0xDC00u | *p;
			k = 1;
		} else {
			out[n++] = (uint32_t)cp;
		}
		p += k;
		len -= (size_t)k;
	}
	return n;
}

double
crm_jaro_winkler_cp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	unsigned char amatch[CRM_SIM_MAX], bmatch[CRM_SIM_MAX];
	size_t i, j, k, lo, hi, win, m = 0, t = 0, prefix;
	double jaro;

	if (na == 0 && nb == 0)
		return 1;
	if (na == 0 || nb == 0)
		return 0;
	if (na > CRM_SIM_MAX)
		na = CRM_SIM_MAX;
	if (nb > CRM_SIM_MAX)
		nb = CRM_SIM_MAX;
	win = (na > nb ? na : nb) / 2;
	win = win > 0 ? win - 1 : 0;
	memset(amatch, 0, na);
	memset(bmatch, 0, nb);
	for (i = 0; i < na; i++) {
		lo = i > win ? i - win : 0;
		hi = i + win + 1 < nb ? i + win + 1 : nb;
		for (j = lo; j < hi; j++) {
			if (!bmatch[j] && a[i] == b[j]) {
				amatch[i] = bmatch[j] = 1;
				m++;
				break;
			}
		}
	}
	if (m == 0)
		return 0;
	for (i = 0, k = 0; i < na; i++) { /* half the transpositions */
		if (!amatch[i])
			continue;
		while (!bmatch[k])
			k++;
		if (a[i] != b[k])
			t++;
		k++;
	}
	jaro = ((double)m / na + (double)m / nb +
		   (double)(m - t / 2) / (double)m) /
	       3;
	if (jaro <= 0.7) /* Winkler's boost only for likely pairs */
		return jaro;
	for (prefix = 0;
	     prefix < 4 && prefix < na && prefix < nb && a[prefix] == b[prefix];
	     prefix++)
		;
	return jaro + (double)prefix * 0.1 * (1 - jaro);
}

double
crm_jaro_winkler(const char *a, size_t alen, const char *b, size_t blen)
{
	uint32_t ca[CRM_SIM_MAX], cb[CRM_SIM_MAX];
	size_t na, nb;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 1;
	na = crm_utf8_decode(a, alen, ca, CRM_SIM_MAX);
	nb = crm_utf8_decode(b, blen, cb, CRM_SIM_MAX);
	return crm_jaro_winkler_cp(ca, na, cb, nb);
}

size_t
crm_levenshtein(
    const char *a, size_t alen, const char *b, size_t blen, size_t max)
{
	uint32_t ca[CRM_SIM_MAX], cb[CRM_SIM_MAX];
	size_t row[CRM_SIM_MAX + 1];
	size_t na, nb, i, j, diag, up, best, cost;

	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	na = crm_utf8_decode(a, alen, ca, CRM_SIM_MAX);
	nb = crm_utf8_decode(b, blen, cb, CRM_SIM_MAX);
	if ((na > nb ? na - nb : nb - na) > max)
		return max + 1;
	for (j = 0; j <= nb; j++)
		row[j] = j;
	for (i = 1; i <= na; i++) {
		diag = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= nb; j++) {
			up = row[j];
			cost = diag + (ca[i - 1] != cb[j - 1]);
			if (up + 1 < cost)
				cost = up + 1;
			if (row[j - 1] + 1 < cost)
				cost = row[j - 1] + 1;
			row[j] = cost;
			diag = up;
			if (cost < best)
				best = cost;
		}
		if (best > max) /* every path is already too long */
			return max + 1;
	}
	return row[nb] > max ? max + 1 : row[nb];
}

int
crm_soundex(const char *s, size_t len, char out[5])
{
	/* the digit of each letter a..z; 0 for vowels, h, w and y */
	static const char code[] = "01230120022455012623010202";
	size_t i, n = 0;
	char last = 0, c, d;

	for (i = 0; i < len && n < 4; i++) {
		c = (char)tolower((unsigned char)s[i]);
		if (c < 'a' || c > 'z')
			continue;
		d = code[c - 'a'];
		if (n == 0) {
			out[n++] = (char)toupper((unsigned char)c);
			last = d;
			continue;
		}
		if (c == 'h' || c == 'w') /* they do not part equal codes */
			continue;
		if (d != '0' && d != last)
			out[n++] = d;
		last = d;
	}
	if (n == 0)
		return -1;
	while (n < 4)
		out[n++] = '0';
	out[4] = '\0';
	return 0;
}
