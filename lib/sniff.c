/*
 * sniff: what the first bytes of an input are when the user did not say:
 * its encoding (UTF-8, UTF-16 by its byte-order mark, GB18030 when it is
 * Chinese text, else refused with a hint) and its CSV delimiter (',',
 * tab, ';' or '|').  Pure functions of the window lib/read.c hands them,
 * declared in rec_int.h, so that the unit tests reach every rule.
 *
 * Written here rather than taken from a library: uchardet and ICU's
 * detector guess among dozens of encodings by statistics and return a
 * best guess for anything, where crmkit must refuse what it cannot be
 * sure of (Latin-1 and cp1252 look alike) and accept GB18030 only when it
 * decodes to Chinese; no library sniffs CSV delimiters in C.
 */
#include <stddef.h>
#include <string.h>

#include "norm.h"
#include "rec.h"
#include "rec_int.h"

/* The line (1-based) that byte off of s is on. */
static unsigned long
line_of(const char *s, size_t off)
{
	unsigned long line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n' || (s[i] == '\r' && s[i + 1] != '\n'))
			line++;
	return line;
}

/*
 * Whether s[0..n) is GB18030 made mostly of the common Chinese
 * characters: every byte in a valid sequence, some ideographs (the GB2312
 * rows 16 to 87: both bytes 0xA1 to 0xFE, the first 0xB0 to 0xF7), and at
 * least three quarters of the characters beyond ASCII from GB2312 (both
 * bytes 0xA1 or more).  Latin-1 or cp1252 text read as GB18030 mostly
 * fails the first test (an accented letter before a comma or a space is
 * no sequence), and what passes it is made of the rare characters whose
 * second byte is ASCII, which the last test refuses; so is Big5.  EUC-KR
 * and EUC-JP pass them, and are told apart by what Chinese text does not
 * have: Hangul fills only the rows up to 0xC8, where Chinese text has
 * many of its ideographs after it, and Japanese has kana (rows 0xA4 and
 * 0xA5) among its ideographs.  Returns 1 for Chinese, else 0 and *hint
 * the encoding it may be instead (or NULL).
 */
static int
looks_gb18030(const unsigned char *u, size_t n, int eof, const char **hint)
{
	size_t i = 0, other = 0, gb2312 = 0, hanzi = 0, late = 0, kana = 0;

	*hint = NULL;
	while (i < n) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] == 0x80 || u[i] == 0xff)
			return 0;
		if (i + 1 >= n)
			break;
		if (u[i + 1] >= 0x30 && u[i + 1] <= 0x39) {
			if (i + 3 >= n)
				break;
			if (u[i + 2] < 0x81 || u[i + 2] == 0xff ||
			    u[i + 3] < 0x30 || u[i + 3] > 0x39)
				return 0;
			other++;
			i += 4;
			continue;
		}
		if (u[i + 1] < 0x40 || u[i + 1] == 0x7f || u[i + 1] == 0xff)
			return 0;
		if (u[i] >= 0xa1 && u[i + 1] >= 0xa1) {
			gb2312++;
			hanzi += u[i] >= 0xb0 && u[i] <= 0xf7;
			late += u[i] >= 0xc9 && u[i] <= 0xf7;
			kana += u[i] == 0xa4 || u[i] == 0xa5;
		} else {
			other++;
		}
		i += 2;
	}
	if (i < n && eof)
		return 0; /* a sequence cut short by the end */
	if (hanzi == 0 || gb2312 < 3 * other)
		return 0;
	if (kana >= 2 && 4 * kana >= hanzi)
		*hint = "EUC-JP";
	else if (hanzi >= 8 && 20 * late < hanzi)
		*hint = "EUC-KR";
	return *hint == NULL;
}

/*
 * UTF-16 without a byte-order mark: text mostly in ASCII has a NUL in
 * every other byte.  Returns 'L' (little-endian), 'B', or 0.
 */
static int
looks_utf16(const unsigned char *u, size_t n)
{
	size_t i, pairs, z[2] = { 0, 0 };

	n = n > 1024 ? 1024 : n;
	pairs = n / 2;
	if (pairs < 4)
		return 0;
	for (i = 0; i < 2 * pairs; i++)
		z[i % 2] += u[i] == 0;
	if (4 * z[1] >= 3 * pairs && 8 * z[0] < pairs)
		return 'L';
	if (4 * z[0] >= 3 * pairs && 8 * z[1] < pairs)
		return 'B';
	return 0;
}

enum crm_enc
crm_read_sniff_encoding(
    const char *s, size_t n, int eof, struct crm_sniff_enc *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, end = n, bad, valid = 0, invalid = 0;

	memset(out, 0, sizeof(*out));
	out->enc = CRM_ENC_UTF8;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		return out->enc;
	if (n >= 2 && u[0] == 0xff && u[1] == 0xfe)
		return out->enc = CRM_ENC_UTF16LE;
	if (n >= 2 && u[0] == 0xfe && u[1] == 0xff)
		return out->enc = CRM_ENC_UTF16BE;
	if ((k = (size_t)looks_utf16(u, n)) != 0)
		return out->enc = k == 'L' ? CRM_ENC_UTF16LE_NOBOM
					   : CRM_ENC_UTF16BE_NOBOM;
	if (!eof) {
		/* Leave out a character the window cut short. */
		for (k = 0; k < 3 && k < n && (u[n - 1 - k] & 0xc0) == 0x80;
		     k++)
			;
		if (k < n && u[n - 1 - k] >= 0xc0)
			end = n - 1 - k;
	}
	for (i = 0; i < end;) {
		if (crm_utf8_check(s + i, end - i, &bad))
			bad = end - i;
		for (k = i; k < i + bad; k++)
			valid += u[k] >= 0xc0;
		if (i + bad == end)
			break;
		if (invalid++ == 0) {
			out->bad_off = i + bad;
			out->bad_byte = u[i + bad];
			out->bad_line = line_of(s, i + bad);
		}
		i += bad + 1;
	}
	/* A UTF-8 file with a few bad bytes: its records say where. */
	if (invalid == 0 || valid >= invalid)
		return out->enc;
	if (looks_gb18030(u, n, eof, &out->hint))
		return out->enc = CRM_ENC_GB18030;
	return out->enc = CRM_ENC_UNKNOWN;
}

/* How a delimiter fits the window: see delim_fit(). */
struct delim_score {
	int c;
	size_t hdr;   /* in the header */
	size_t fit;   /* records with as many */
	size_t total; /* records after the header */
	size_t stray; /* quotes inside a field: a sign of the wrong one */
};

/*
 * Count the delimiter c in each record of s (a quote opens a quoted field
 * only at the start of a field, as RFC 4180 has it), up to the last whole
 * record.
 */
static void
delim_fit(const char *s, size_t n, int eof, struct delim_score *d)
{
	size_t i, count = 0, rec = 0;
	int quoted = 0, start = 1, blank = 1;

	d->hdr = d->fit = d->total = d->stray = 0;
	for (i = 0; i <= n; i++) {
		if (i == n && (!eof || quoted))
			break; /* a record the window cut short */
		if (quoted) {
			if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
				i++;
			else if (s[i] == '"')
				quoted = 0;
			continue;
		}
		if (i == n || s[i] == '\n' || s[i] == '\r') {
			if (!blank) {
				if (rec == 0)
					d->hdr = count;
				else if (count == d->hdr)
					d->fit++;
				rec++;
			}
			count = 0;
			start = 1;
			blank = 1;
			continue;
		}
		blank = 0;
		if (start && s[i] == '"')
			quoted = 1;
		else if (s[i] == '"')
			d->stray++;
		start = s[i] == d->c;
		count += start;
	}
	d->total = rec > 0 ? rec - 1 : 0;
}

/* Whether a fits better than b: more records, fewer stray quotes, more fields. */
static int
delim_better(const struct delim_score *a, const struct delim_score *b)
{
	if (a->fit != b->fit)
		return a->fit > b->fit;
	if (a->stray != b->stray)
		return a->stray < b->stray;
	return a->hdr > b->hdr;
}

int
crm_read_sniff_delim(const char *s, size_t n, int eof, int *other)
{
	static const char cand[] = { ',', '\t', ';', '|' };
	struct delim_score d[sizeof(cand)], *best = NULL, *alt = NULL;
	size_t i;

	for (i = 0; i < sizeof(cand); i++) {
		d[i].c = cand[i];
		delim_fit(s, n, eof, &d[i]);
		if (d[i].hdr == 0)
			continue;
		if (best == NULL || delim_better(&d[i], best)) {
			alt = best;
			best = &d[i];
		} else if (alt == NULL || delim_better(&d[i], alt)) {
			alt = &d[i];
		}
	}
	/* Said when the next best fits every record as well. */
	*other = alt != NULL && alt->fit == alt->total &&
			 best->fit == best->total && alt->stray == best->stray
		     ? alt->c
		     : 0;
	return best != NULL ? best->c : ',';
}
