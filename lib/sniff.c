/*
 * sniff: what the first bytes of an input are when the user did not say:
 * its encoding (UTF-8, UTF-16 by its byte-order mark, GB18030 when it is
 * Chinese text, else refused with a hint) and its CSV delimiter (',',
 * tab, ';' or '|').  Functions of the window lib/read.c hands them,
 * declared in rec_int.h, so that the unit tests reach every rule.
 *
 * A window that is not UTF-8 is read as GB18030 only when two judges
 * agree.  Our own code checks its shape (gb18030_shape(): every byte in
 * a GB18030 sequence, common ideographs, runs of them as Chinese words
 * make, not one character alone inside a Latin word), and uchardet, the
 * Mozilla detector Debian ships as libuchardet, must name GB18030 from
 * the statistics of which characters follow which.  Neither is enough
 * alone: the shape check is blind to EUC-JP and EUC-KR, whose bytes have
 * the same ranges, and was fooled by one pair of accented letters; and
 * uchardet gives a best guess for anything, among dozens of single-byte
 * encodings that short Latin text fits about equally well (a German
 * cp1252 line comes back IBM852 or ISO-8859-3), and says nothing, or
 * KOI8-R, for a Chinese file of one or two short rows.  So uchardet
 * decides whether the file is Chinese, the shape check can only veto,
 * and the hint of a refused input is uchardet's answer only where it is
 * sure: a multi-byte East Asian encoding (EUC-JP, Shift_JIS, Big5,
 * EUC-TW, EUC-KR or UHC) or a Western one (WINDOWS-1252, ISO-8859-1 or
 * -15) for a window not shaped like Chinese; else "cp1252 or latin1",
 * with GB18030 first when the shape fits and uchardet did not confirm
 * it.  Measured on Chinese reviews, names and cities in GBK (three rows
 * of names and cities are enough for uchardet, one is not), German,
 * French and Portuguese names in cp1252 and Latin-1, Japanese with and
 * without kana, Korean and Big5: testdata/ingest/README.
 *
 * No library sniffs CSV delimiters in C: crm_read_sniff_delim() is ours.
 */
#include <stddef.h>
#include <string.h>
#include <uchardet/uchardet.h>

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

/* An ASCII letter. */
static int
is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * Whether u[0..n) has the shape of Chinese text in GB18030: every byte in
 * a valid sequence (a sequence cut short by the end of the input is not);
 * some ideographs (the GB2312 rows 16 to 87: both bytes 0xA1 to 0xFE, the
 * first 0xB0 to 0xF7); at least three quarters of the characters beyond
 * ASCII from GB2312 (both bytes 0xA1 or more); at least one run of two or
 * more such characters in a row (a Chinese word or name); and fewer than
 * one run in four a single character between two ASCII letters.  Latin-1
 * or cp1252 text read as GB18030 mostly fails the first test (an accented
 * letter before a comma or a space is no sequence); what passes it is a
 * pair of accented letters inside a word, such as the F6 DF of "Gößmann",
 * one character alone between letters, which the last two tests refuse.
 * Big5 fails the third: half its second bytes are below 0xA1.  EUC-JP
 * and EUC-KR have this shape: uchardet tells them apart.
 */
static int
gb18030_shape(const unsigned char *u, size_t n, int eof)
{
	size_t i = 0, other = 0, gb2312 = 0, hanzi = 0;
	size_t run = 0, runs = 0, long_runs = 0, lone = 0;
	int letter = 0; /* the ASCII byte before the run is a letter */

	while (i < n) {
		if (u[i] < 0x80) {
			if (run > 0) {
				runs++;
				long_runs += run >= 2;
				lone += run == 1 && letter && is_letter(u[i]);
			}
			run = 0;
			letter = is_letter(u[i]);
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
			run++;
			i += 4;
			continue;
		}
		if (u[i + 1] < 0x40 || u[i + 1] == 0x7f || u[i + 1] == 0xff)
			return 0;
		if (u[i] >= 0xa1 && u[i + 1] >= 0xa1) {
			gb2312++;
			hanzi += u[i] >= 0xb0 && u[i] <= 0xf7;
		} else {
			other++;
		}
		run++;
		i += 2;
	}
	if (i < n && eof)
		return 0; /* a sequence cut short by the end */
	if (run > 0) {
		runs++;
		long_runs += run >= 2;
	}
	return hanzi > 0 && gb2312 >= 3 * other && long_runs > 0 &&
	       4 * lone < runs;
}

/*
 * What uchardet makes of s[0..n): 'G' for Chinese in GB18030 (0.0.7
 * names it "GB18030"; GBK and GB2312 are accepted too, in case a later
 * version names them; HZ-GB-2312 and ISO-2022-CN are 7-bit, valid UTF-8,
 * and never reach it), 'M' with *name a multi-byte East Asian encoding,
 * 'W' with *name a Western single-byte one, else 0 (no answer, or one of
 * the single-byte encodings it guesses for short text at random).  *name
 * is one of the static names below, each an iconv(3) name.
 */
static int
detect(const char *s, size_t n, const char **name)
{
	static const struct {
		const char *name;
		int kind;
	} known[] = {
		{ "GB18030", 'G' },
		{ "GBK", 'G' },
		{ "GB2312", 'G' },
		{ "EUC-JP", 'M' },
		{ "SHIFT_JIS", 'M' },
		{ "BIG5", 'M' },
		{ "EUC-TW", 'M' },
		{ "EUC-KR", 'M' },
		{ "UHC", 'M' },
		{ "WINDOWS-1252", 'W' },
		{ "ISO-8859-1", 'W' },
		{ "ISO-8859-15", 'W' },
	};
	uchardet_t ud;
	const char *cs;
	size_t i;
	int kind = 0;

	*name = NULL;
	if ((ud = uchardet_new()) == NULL)
		return 0; /* out of memory: no second opinion, so no GB18030 */
	if (uchardet_handle_data(ud, s, n) == 0) {
		uchardet_data_end(ud);
		cs = uchardet_get_charset(ud);
		for (i = 0; cs != NULL && i < sizeof(known) / sizeof(known[0]);
		     i++)
			if (strcmp(cs, known[i].name) == 0) {
				*name = known[i].name;
				kind = known[i].kind;
				break;
			}
	}
	uchardet_delete(ud);
	return kind;
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
	const char *name;
	int shape, kind;

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
	shape = gb18030_shape(u, n, eof);
	kind = detect(s, n, &name);
	if (shape && kind == 'G')
		return out->enc = CRM_ENC_GB18030;
	if (kind == 'M' || (kind == 'W' && !shape))
		out->hint = name;
	else if (shape)
		out->hint = "GB18030, cp1252 or latin1";
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
