/*
 * norm: the normalizers crm-ingest applies to customer values before they
 * are compared or stored, so that the same person written two ways gives
 * the same bytes.  Text goes through Unicode NFKC and white space
 * collapsing, with a byte loop for pure ASCII that never reaches utf8proc;
 * keys add case folding and e-mail addresses add lower-casing and a syntax
 * check; phone numbers become E.164 (or the 11 bare digits of a Chinese
 * mobile) with the help of a small table of regions; dates and date-times
 * become ISO 8601, with the proleptic Gregorian calendar computed here
 * rather than by the C library, which would bring in the time zone and
 * the range of time_t.  Every function appends to a caller-owned struct
 * crm_buf and, on failure, cuts it back to the length it had on entry.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "norm.h"
#include "swar.h"

#define NORM_STACK_CP	 256 /* codepoints decomposed without malloc */
#define PHONE_MAX_DIGITS 32  /* more than this is an error anyway */
#define E164_MAX_DIGITS	 15  /* country code plus national number */

/* What crm_norm_text does besides NFKC and white space. */
enum text_mode {
	TEXT_PLAIN, /* nothing more */
	TEXT_FOLD,  /* Unicode case folding (crm_norm_fold) */
	TEXT_LOWER  /* per-codepoint lower-casing (crm_norm_email) */
};

/* One row of the phone table. */
struct phone_region {
	char iso[3];	       /* ISO 3166 alpha-2, upper case */
	char cc[4];	       /* country calling code */
	char trunk;	       /* national trunk prefix digit, '\0' if none */
	unsigned char nsn_min; /* fewest digits after the country code */
	unsigned char nsn_max; /* most digits after the country code */
};

/* A date or date-time as parsed, before any conversion to UTC. */
struct date_parts {
	int year, month, day;
	int hour, min, sec;
	int has_time;	  /* a time was given */
	int has_zone;	  /* Z or an offset was given */
	int offset;	  /* minutes east of UTC */
	const char *frac; /* digits after '.', not NUL-terminated */
	size_t nfrac;	  /* number of those digits */
};

static void restore(struct crm_buf *, size_t);
static int fail(struct crm_buf *, size_t, const char **, const char *);
static int nomem(struct crm_buf *, size_t, const char **);
static int is_space_cp(utf8proc_int32_t);
static size_t utf8_seq(const unsigned char *, size_t);
static int text_ascii_same(const unsigned char *, size_t, int);
static int text_cjk(
    struct crm_buf *, const unsigned char *, size_t, const unsigned char *);
static int text_norm(
    struct crm_buf *, const char *, size_t, enum text_mode, const char **);
static int text_slow(
    struct crm_buf *, const char *, size_t, enum text_mode, const char **);
static int is_word_cp(utf8proc_int32_t, int);
static const char *email_check(const char *, size_t);
static int email_local_ok(const char *, size_t);
static const char *email_domain_check(const char *, size_t);
static const struct phone_region *region_find(const char *);
static const struct phone_region *cc_find(const char *, size_t, size_t *);
static const char *phone_scan(const char *, size_t, char *, size_t *, int *);
static int is_cn_mobile(const char *, size_t);
static int phone_emit(
    struct crm_buf *, const char *, size_t, const char *, size_t);
static int64_t days_from_civil(int64_t, int, int);
static void civil_from_days(int64_t, int64_t *, int *, int *);
static int days_in_month(int, int);
static int64_t floor_div(int64_t, int64_t);
static size_t scan_digits(const char *, const char *, size_t, int *);
static const char *date_parse(
    const char *, const char *, enum crm_date_order, struct date_parts *);
static const char *time_parse(const char *, const char *, struct date_parts *);
static char *put_num(char *, unsigned, int);
static int date_emit(struct crm_buf *, const struct date_parts *);

/*
 * The phone table, sorted by iso for region_find.  nsn_min and nsn_max
 * bound the national significant number: 10 for the NANP and Russia, at
 * most 11 for China, 4 to 14 elsewhere.  Italy keeps its leading 0 (it is
 * part of the number), so it has no trunk prefix here.
 */
static const struct phone_region phone_regions[] = {
	{ "AE", "971", '0', 4, 14 },
	{ "AR", "54", '0', 4, 14 },
	{ "AT", "43", '0', 4, 14 },
	{ "AU", "61", '0', 4, 14 },
	{ "BE", "32", '0', 4, 14 },
	{ "BR", "55", '0', 4, 14 },
	{ "CA", "1", '1', 10, 10 },
	{ "CH", "41", '0', 4, 14 },
	{ "CN", "86", '0', 4, 11 },
	{ "DE", "49", '0', 4, 14 },
	{ "DK", "45", '\0', 4, 14 },
	{ "EG", "20", '0', 4, 14 },
	{ "ES", "34", '\0', 4, 14 },
	{ "FI", "358", '0', 4, 14 },
	{ "FR", "33", '0', 4, 14 },
	{ "GB", "44", '0', 4, 14 },
	{ "HK", "852", '\0', 4, 14 },
	{ "ID", "62", '0', 4, 14 },
	{ "IE", "353", '0', 4, 14 },
	{ "IL", "972", '0', 4, 14 },
	{ "IN", "91", '0', 4, 14 },
	{ "IT", "39", '\0', 4, 14 },
	{ "JP", "81", '0', 4, 14 },
	{ "KR", "82", '0', 4, 14 },
	{ "MO", "853", '\0', 4, 14 },
	{ "MX", "52", '\0', 4, 14 },
	{ "MY", "60", '0', 4, 14 },
	{ "NG", "234", '0', 4, 14 },
	{ "NL", "31", '0', 4, 14 },
	{ "NO", "47", '\0', 4, 14 },
	{ "NZ", "64", '0', 4, 14 },
	{ "PH", "63", '0', 4, 14 },
	{ "PL", "48", '\0', 4, 14 },
	{ "PT", "351", '\0', 4, 14 },
	{ "RU", "7", '8', 10, 10 },
	{ "SA", "966", '0', 4, 14 },
	{ "SE", "46", '0', 4, 14 },
	{ "SG", "65", '\0', 4, 14 },
	{ "TH", "66", '0', 4, 14 },
	{ "TR", "90", '0', 4, 14 },
	{ "TW", "886", '0', 4, 14 },
	{ "US", "1", '1', 10, 10 },
	{ "VN", "84", '0', 4, 14 },
	{ "ZA", "27", '0', 4, 14 },
};

#define NREGIONS (sizeof(phone_regions) / sizeof(phone_regions[0]))

/* ==== Helpers shared by the normalizers ==== */

/* Cut out back to base bytes, keeping the NUL terminator in place. */
static void
restore(struct crm_buf *out, size_t base)
{
	out->len = base;
	if (out->p != NULL)
		out->p[base] = '\0';
}

/* Restore out, set *why to reason and return -1. */
static int
fail(struct crm_buf *out, size_t base, const char **why, const char *reason)
{
	restore(out, base);
	if (why != NULL)
		*why = reason;
	return -1;
}

/* Restore out, set *why to NULL and errno to ENOMEM, and return -1. */
static int
nomem(struct crm_buf *out, size_t base, const char **why)
{
	restore(out, base);
	if (why != NULL)
		*why = NULL;
	errno = ENOMEM;
	return -1;
}

/*
 * Return 1 if c is white space for trimming and collapsing: the ASCII
 * space, \t \n \v \f \r, U+0085, or a codepoint of category Zs, Zl or Zp.
 */
static int
is_space_cp(utf8proc_int32_t c)
{
	utf8proc_category_t cat;

	if (c < 0x80)
		return c == ' ' || (c >= '\t' && c <= '\r');
	if (c == 0x85)
		return 1;
	cat = utf8proc_category(c);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP;
}

/* ==== UTF-8 ==== */

/*
 * Return the length of the valid UTF-8 sequence at u (n > 0 bytes
 * available, u[0] >= 0x80), or 0 if it is overlong, a surrogate, above
 * U+10FFFF, truncated or not a sequence at all.
 */
static size_t
utf8_seq(const unsigned char *u, size_t n)
{
	unsigned lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (u[0] < 0xc2)
		return 0; /* continuation byte, or overlong C0/C1 */
	if (u[0] < 0xe0)
		need = 1;
	else if (u[0] < 0xf0) {
		need = 2;
		if (u[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (u[0] == 0xed)
			hi = 0x9f; /* surrogates D800-DFFF */
	} else if (u[0] < 0xf5) {
		need = 3;
		if (u[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (u[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0;
	if (n - 1 < need || u[1] < lo || u[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	return need + 1;
}

size_t
crm_utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

int
crm_utf8_check(const char *s, size_t len, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t w;
	size_t i, k;

	i = 0;
	while (i < len) {
		/* Skip ASCII eight bytes at a time. */
		while (len - i >= 8) {
			memcpy(&w, u + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		if (i == len)
			break;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(u + i, len - i)) == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

/* ==== Text ==== */

/*
 * What the ASCII loop of text_norm stores for byte c: ' ' for white space
 * (space, \t \n \v \f \r), c itself otherwise, and with fold set A-Z
 * lower-cased.  Bytes >= 0x80 never get past that loop.
 */
#define ASCII_OUT(c, fold)                          \
	((c) == ' ' || ((c) >= '\t' && (c) <= '\r') \
		? ' '                               \
		: (c) + ((fold) && (c) >= 'A' && (c) <= 'Z' ? 'a' - 'A' : 0))
#define ASCII_OUT4(c, f)                                               \
	ASCII_OUT(c, f), ASCII_OUT((c) + 1, f), ASCII_OUT((c) + 2, f), \
	    ASCII_OUT((c) + 3, f)
#define ASCII_OUT16(c, f)                                                 \
	ASCII_OUT4(c, f), ASCII_OUT4((c) + 4, f), ASCII_OUT4((c) + 8, f), \
	    ASCII_OUT4((c) + 12, f)
#define ASCII_OUT64(c, f)                                                      \
	ASCII_OUT16(c, f), ASCII_OUT16((c) + 16, f), ASCII_OUT16((c) + 32, f), \
	    ASCII_OUT16((c) + 48, f)
#define ASCII_OUT256(f)                                             \
	ASCII_OUT64(0, f), ASCII_OUT64(64, f), ASCII_OUT64(128, f), \
	    ASCII_OUT64(192, f)

static const unsigned char ascii_out[2][256] = {
	{ ASCII_OUT256(0) }, /* TEXT_PLAIN */
	{ ASCII_OUT256(1) }  /* TEXT_FOLD and TEXT_LOWER */
};

/*
 * Return 1 if text_norm would give u[0..len) back unchanged, checked
 * eight bytes at a time: ASCII without control characters, no space at
 * either end or after another, and, with lower set, no A-Z.  Most values
 * (ids, names, e-mail addresses, cities) are such, and copying them is
 * cheaper than running them through the byte loop.  Returns 0 when it
 * does not know, as on a big-endian machine.
 */
static int
text_ascii_same(const unsigned char *u, size_t len, int lower)
{
#if CRM_SWAR
	uint64_t w, valid, sp, bad, last = 0;
	size_t i, k, n;

	if (len == 0)
		return 1;
	if (u[0] == ' ' || u[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i += n) {
		if ((n = len - i) >= 8) {
			n = 8;
			memcpy(&w, u + i, 8); /* the first byte lowest */
		} else {
			for (w = 0, k = n; k-- > 0;)
				w = w << 8 | u[i + k];
		}
		if (w & CRM_SWAR_HIGHS)
			return 0;
		valid = n == 8
			    ? CRM_SWAR_HIGHS
			    : ((UINT64_C(1) << (8 * n)) - 1) & CRM_SWAR_HIGHS;
		bad = crm_swar_below_ascii(w, 0x20);
		if (lower)
			bad |= crm_swar_below_ascii(w, 'Z' + 1) &
			       ~crm_swar_below_ascii(w, 'A');
		sp = crm_swar_below_ascii(w ^ (CRM_SWAR_ONES * ' '), 1) & valid;
		if ((bad & valid) != 0 || (sp & ((sp << 8) | last)) != 0)
			return 0;
		last = sp >> 56;
	}
	return 1;
#else
	(void)u;
	(void)len;
	(void)lower;
	return 0;
#endif
}

/*
 * Normalize Chinese text without utf8proc when its NFKC is known without
 * tables: apart from ASCII, every character must be a CJK unified
 * ideograph (U+3400-4DBF, U+4E00-9FFF) or the ideographic comma or full
 * stop (U+3001-3002), which NFKC and case folding leave alone and which
 * compose with nothing; the ideographic space U+3000, which NFKC makes a
 * space; or a full-width form of ASCII (U+FF01-FF5E: "，" "：" "（" "Ａ"),
 * which NFKC makes that ASCII character.  Writes the result from out's
 * length at entry and returns 1, or returns 0 (out unchanged) when some
 * other character needs utf8proc.
 */
static int
text_cjk(struct crm_buf *out, const unsigned char *u, size_t len,
    const unsigned char *map)
{
	size_t base = out->len, i;
	unsigned cp, c, sp, prev = 1;
	char *d = out->p + base, *start = d;

	for (i = 0; i < len; i++) {
		if (u[i] < 0x80) {
			c = map[u[i]];
		} else {
			if ((u[i] & 0xf0) != 0xe0 || len - i < 3)
				return 0;
			cp = (u[i] & 0x0fu) << 12 | (u[i + 1] & 0x3fu) << 6 |
			     (u[i + 2] & 0x3fu);
			if (cp == 0x3000) {
				c = ' ';
			} else if (cp >= 0xff01 && cp <= 0xff5e) {
				c = map[cp - 0xfee0];
			} else if ((cp >= 0x4e00 && cp <= 0x9fff) ||
				   (cp >= 0x3400 && cp <= 0x4dbf) ||
				   (cp >= 0x3001 && cp <= 0x3002)) {
				memcpy(d, u + i, 3);
				d += 3;
				i += 2;
				prev = 0;
				continue;
			} else {
				return 0;
			}
			i += 2;
		}
		*d = (char)c;
		sp = c == ' ';
		d += !(sp & prev);
		prev = sp;
	}
	if (prev && d > start)
		d--;
	out->len = (size_t)(d - out->p);
	out->p[out->len] = '\0';
	return 1;
}

/*
 * Append in[0..len) to out, normalized as mode says.  Pure ASCII is
 * handled by one loop over the bytes (NFKC leaves ASCII as it is, and
 * folding or lower-casing ASCII is A-Z to a-z); a byte >= 0x80 throws that
 * work away, at the end of the 64-byte block where it appears, and hands
 * the whole value to text_slow.  The loop has no data-dependent branches:
 * each byte is stored (white space as ' ') and the output pointer moves on
 * unless the byte is white space after white space, so white space at the
 * start never shows and a run inside becomes one space; a space left at
 * the end is taken back.
 */
static int
text_norm(struct crm_buf *out, const char *in, size_t len, enum text_mode mode,
    const char **why)
{
	const unsigned char *u = (const unsigned char *)in;
	const unsigned char *map = ascii_out[mode != TEXT_PLAIN];
	size_t base = out->len, i, end;
	unsigned c, sp, prev = 1, high = 0;
	char *d, *start;

	if (crm_buf_grow(out, len) == -1)
		return nomem(out, base, why);
	if (text_ascii_same(u, len, mode != TEXT_PLAIN)) {
		if (len > 0)
			memcpy(out->p + base, in, len);
		out->len = base + len;
		out->p[out->len] = '\0';
		return 0;
	}
	d = start = out->p + base;
	for (i = 0; i < len; i = end) {
		end = len - i > 64 ? i + 64 : len;
		for (; i < end; i++) {
			high |= u[i];
			c = map[u[i]];
			*d = (char)c;
			sp = c == ' ';
			d += !(sp & prev);
			prev = sp;
		}
		if (high & 0x80) {
			out->len = base;
			if (text_cjk(out, u, len, map))
				return 0;
			return text_slow(out, in, len, mode, why);
		}
	}
	if (prev && d > start)
		d--;
	out->len = (size_t)(d - out->p);
	out->p[out->len] = '\0';
	return 0;
}

/*
 * The non-ASCII path of text_norm: decompose in[0..len) with utf8proc
 * (into a stack array when it fits), compose it back to NFKC, and append
 * the codepoints to out with the white space trimmed and collapsed.
 * Invalid UTF-8 fails with "invalid utf-8".
 */
static int
text_slow(struct crm_buf *out, const char *in, size_t len, enum text_mode mode,
    const char **why)
{
	utf8proc_int32_t stack[NORM_STACK_CP], *cp = stack, c;
	utf8proc_option_t opt;
	utf8proc_ssize_t n, m, i;
	size_t base = out->len;
	char *d;
	int pending = 0, any = 0;

	opt = UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_STABLE;
	if (mode == TEXT_FOLD)
		opt |= UTF8PROC_CASEFOLD;
	if (len > (size_t)PTRDIFF_MAX / 4)
		return nomem(out, base, why);
	n = utf8proc_decompose((const utf8proc_uint8_t *)in,
	    (utf8proc_ssize_t)len, cp, NORM_STACK_CP, opt);
	if (n > NORM_STACK_CP) {
		if ((cp = crm_reallocarray(NULL, (size_t)n, sizeof(*cp))) ==
		    NULL)
			return nomem(out, base, why);
		m = utf8proc_decompose((const utf8proc_uint8_t *)in,
		    (utf8proc_ssize_t)len, cp, n, opt);
		n = m > n ? UTF8PROC_ERROR_OVERFLOW : m;
	}
	if (n >= 0)
		n = utf8proc_normalize_utf32(cp, n, opt);
	if (n < 0) {
		if (cp != stack)
			free(cp);
		if (n == UTF8PROC_ERROR_INVALIDUTF8)
			return fail(out, base, why, "invalid utf-8");
		return nomem(out, base, why);
	}
	if ((size_t)n > SIZE_MAX / 4 ||
	    crm_buf_grow(out, (size_t)n * 4) == -1) {
		if (cp != stack)
			free(cp);
		return nomem(out, base, why);
	}
	d = out->p + base;
	for (i = 0; i < n; i++) {
		c = cp[i];
		if (mode == TEXT_LOWER)
			c = utf8proc_tolower(c);
		if (is_space_cp(c)) {
			pending = any;
			continue;
		}
		if (pending) {
			*d++ = ' ';
			pending = 0;
		}
		d += utf8proc_encode_char(c, (utf8proc_uint8_t *)d);
		any = 1;
	}
	if (cp != stack)
		free(cp);
	out->len = (size_t)(d - out->p);
	out->p[out->len] = '\0';
	return 0;
}

int
crm_norm_text(struct crm_buf *out, const char *in, size_t len, const char **why)
{
	return text_norm(out, in, len, TEXT_PLAIN, why);
}

int
crm_norm_fold(struct crm_buf *out, const char *in, size_t len, const char **why)
{
	return text_norm(out, in, len, TEXT_FOLD, why);
}

/* ==== E-mail ==== */

/*
 * Return 1 if the non-ASCII codepoint c may appear in a local part
 * (domain 0) or a domain label (domain 1): a letter, a combining mark
 * or a digit, the characters scripts need to spell words.
 */
static int
is_word_cp(utf8proc_int32_t c, int domain)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ND:
		return 1;
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return !domain;
	default:
		return 0;
	}
}

/*
 * Return 1 if s[0..n) is a dot-atom (RFC 5322 atext, extended to
 * non-ASCII letters, marks and digits as RFC 6532 allows): runs of atext
 * separated by single dots, with no dot at either end.
 */
static int
email_local_ok(const char *s, size_t n)
{
	static const char special[] = "!#$%&'*+-/=?^_`{|}~";
	const unsigned char *u = (const unsigned char *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t k;
	size_t i;
	int prev_dot = 1;

	for (i = 0; i < n; i += (size_t)k) {
		k = 1;
		if (u[i] == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
			continue;
		}
		prev_dot = 0;
		if (u[i] >= 0x80) {
			k = utf8proc_iterate(
			    u + i, (utf8proc_ssize_t)(n - i), &c);
			if (k <= 0 || !is_word_cp(c, 0))
				return 0;
		} else if (!((u[i] >= 'a' && u[i] <= 'z') ||
			       (u[i] >= 'A' && u[i] <= 'Z') ||
			       (u[i] >= '0' && u[i] <= '9') ||
			       (u[i] != '\0' && strchr(special, u[i]) != NULL)))
			return 0;
	}
	return !prev_dot;
}

/*
 * Check the domain s[0..n) of an address; return NULL if it is fine, else
 * the reason.
 */
static const char *
email_domain_check(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t k;
	size_t i, start, labels = 0;
	int digits_only = 1;

	if (n == 0)
		return "empty domain in e-mail address";
	if (n > 253)
		return "domain of e-mail address too long";
	start = 0;
	for (i = 0; i <= n; i += (size_t)k) {
		k = 1;
		if (i == n || u[i] == '.') {
			if (i == start)
				return "empty label in e-mail domain";
			if (i - start > 63)
				return "label of e-mail domain too long";
			if (u[start] == '-' || u[i - 1] == '-')
				return "hyphen at start or end of e-mail "
				       "domain label";
			labels++;
			if (i < n) {
				start = i + 1;
				digits_only = 1;
			}
			continue;
		}
		if (u[i] >= 0x80) {
			k = utf8proc_iterate(
			    u + i, (utf8proc_ssize_t)(n - i), &c);
			if (k <= 0 || !is_word_cp(c, 1))
				return "invalid character in e-mail domain";
			digits_only = 0;
		} else if (u[i] >= '0' && u[i] <= '9')
			continue;
		else if ((u[i] >= 'a' && u[i] <= 'z') ||
			 (u[i] >= 'A' && u[i] <= 'Z') || u[i] == '-')
			digits_only = 0;
		else
			return "invalid character in e-mail domain";
	}
	if (labels < 2)
		return "e-mail domain needs at least two labels";
	if (digits_only)
		return "numeric top-level domain in e-mail address";
	return NULL;
}

/*
 * Check the normalized address s[0..n); return NULL if it is fine, else
 * the reason.
 */
static const char *
email_check(const char *s, size_t n)
{
	const char *at;

	if (n == 0)
		return "empty e-mail address";
	if ((at = memchr(s, '@', n)) == NULL)
		return "no '@' in e-mail address";
	if (memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return "more than one '@' in e-mail address";
	if (at == s)
		return "empty local part in e-mail address";
	if (at - s > 64)
		return "local part of e-mail address too long";
	if (!email_local_ok(s, (size_t)(at - s)))
		return "invalid local part in e-mail address";
	return email_domain_check(at + 1, n - (size_t)(at - s) - 1);
}

int
crm_norm_email(
    struct crm_buf *out, const char *in, size_t len, const char **why)
{
	size_t base = out->len;
	const char *reason;

	if (text_norm(out, in, len, TEXT_LOWER, why) == -1)
		return -1;
	if ((reason = email_check(out->p + base, out->len - base)) != NULL)
		return fail(out, base, why, reason);
	return 0;
}

/* ==== Phone ==== */

/* Find region (case-insensitive) in phone_regions, or return NULL. */
static const struct phone_region *
region_find(const char *region)
{
	char key[2];
	size_t lo, hi, mid;
	int i, cmp;

	if (region == NULL || region[0] == '\0' || region[1] == '\0' ||
	    region[2] != '\0')
		return NULL;
	for (i = 0; i < 2; i++) {
		key[i] = region[i];
		if (key[i] >= 'a' && key[i] <= 'z')
			key[i] = (char)(key[i] - 'a' + 'A');
	}
	lo = 0;
	hi = NREGIONS;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((cmp = memcmp(key, phone_regions[mid].iso, 2)) == 0)
			return &phone_regions[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * Find the table row whose country code begins the digits d[0..n), and set
 * *cclen to that code's length; return NULL if no code in the table
 * matches.  Country codes are prefix-free, so at most one can.
 */
static const struct phone_region *
cc_find(const char *d, size_t n, size_t *cclen)
{
	size_t i, k;

	for (i = 0; i < NREGIONS; i++) {
		k = strlen(phone_regions[i].cc);
		if (k <= n && memcmp(d, phone_regions[i].cc, k) == 0) {
			*cclen = k;
			return &phone_regions[i];
		}
	}
	return NULL;
}

/*
 * Collect the digits of the phone number s[0..n) (already NFKC) into
 * dig[0..PHONE_MAX_DIGITS), setting *ndig, and *plus if a '+' came before
 * the first digit.  Separators are white space, '-', '.', '/', '(' and
 * ')'.  Return NULL, or the reason the number is bad.
 */
static const char *
phone_scan(const char *s, size_t n, char *dig, size_t *ndig, int *plus)
{
	const unsigned char *u = (const unsigned char *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t k;
	utf8proc_category_t cat;
	size_t i, nd = 0;
	int letters = 0, other = 0, misplaced = 0;

	*plus = 0;
	for (i = 0; i < n; i++) {
		if (u[i] >= '0' && u[i] <= '9') {
			if (nd == PHONE_MAX_DIGITS)
				return "too many digits in phone number";
			dig[nd++] = (char)u[i];
			continue;
		}
		switch (u[i]) {
		case ' ':
		case '\t':
		case '\n':
		case '\v':
		case '\f':
		case '\r':
		case '-':
		case '.':
		case '/':
		case '(':
		case ')':
			continue;
		case '+':
			if (nd > 0 || *plus)
				misplaced = 1;
			*plus = 1;
			continue;
		default:
			break;
		}
		if ((u[i] >= 'a' && u[i] <= 'z') ||
		    (u[i] >= 'A' && u[i] <= 'Z'))
			letters = 1;
		else if (u[i] < 0x80)
			other = 1;
		else {
			k = utf8proc_iterate(
			    u + i, (utf8proc_ssize_t)(n - i), &c);
			if (k <= 0)
				return "invalid utf-8";
			cat = utf8proc_category(c);
			if (cat >= UTF8PROC_CATEGORY_LU &&
			    cat <= UTF8PROC_CATEGORY_LO)
				letters = 1;
			else
				other = 1;
			i += (size_t)k - 1;
		}
	}
	if (letters)
		return "letters in phone number";
	if (other)
		return "invalid character in phone number";
	if (misplaced)
		return "misplaced '+' in phone number";
	if (nd == 0)
		return "no digits";
	*ndig = nd;
	return NULL;
}

/* Return 1 if d[0..n) is a Chinese mobile number, 1[3-9] and 9 digits. */
static int
is_cn_mobile(const char *d, size_t n)
{
	return n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* Append "+", the country code cc and the national number nsn to out. */
static int
phone_emit(struct crm_buf *out, const char *cc, size_t cclen, const char *nsn,
    size_t nsnlen)
{
	char *d;

	if (crm_buf_grow(out, 1 + cclen + nsnlen) == -1)
		return -1;
	d = out->p + out->len;
	*d++ = '+';
	memcpy(d, cc, cclen);
	memcpy(d + cclen, nsn, nsnlen);
	out->len += 1 + cclen + nsnlen;
	out->p[out->len] = '\0';
	return 0;
}

int
crm_norm_phone(struct crm_buf *out, const char *in, size_t len,
    const char *region, const char **why)
{
	const struct phone_region *r, *home;
	const char *reason, *nsn, *cc;
	char dig[PHONE_MAX_DIGITS];
	size_t base = out->len, i, n, nsnlen, cclen;
	int plus, intl;

	if ((home = region_find(region == NULL ? "CN" : region)) == NULL)
		return fail(out, base, why, "unknown region");

	/* Scan the input as it is if ASCII, else its NFKC form in out. */
	for (i = 0; i < len && (unsigned char)in[i] < 0x80; i++)
		;
	if (i < len) {
		if (text_norm(out, in, len, TEXT_PLAIN, why) == -1)
			return -1;
		reason =
		    phone_scan(out->p + base, out->len - base, dig, &n, &plus);
		restore(out, base);
	} else
		reason = phone_scan(in, len, dig, &n, &plus);
	if (reason != NULL)
		return fail(out, base, why, reason);

	intl = plus || (n >= 2 && dig[0] == '0' && dig[1] == '0');
	if (intl) {
		nsn = plus ? dig : dig + 2;
		nsnlen = plus ? n : n - 2;
		if ((r = cc_find(nsn, nsnlen, &cclen)) == NULL) {
			/* A code we do not know: take E.164 on trust. */
			if (nsnlen > 0 && nsn[0] == '0')
				return fail(out, base, why,
				    "invalid country code in phone number");
			if (nsnlen < 8)
				return fail(out, base, why,
				    "too few digits in phone number");
			if (nsnlen > E164_MAX_DIGITS)
				return fail(out, base, why,
				    "too many digits in phone number");
			if (phone_emit(out, "", 0, nsn, nsnlen) == -1)
				return nomem(out, base, why);
			return 0;
		}
		nsn += cclen;
		nsnlen -= cclen;
		/* "+44 (0)20 ...": a trunk 0 after the code is dropped. */
		if (r->trunk == '0' && nsnlen > 0 && nsn[0] == '0') {
			nsn++;
			nsnlen--;
		}
	} else {
		r = home;
		nsn = dig;
		nsnlen = n;
		/* "86 138 0013 8000": a Chinese mobile with the code bare. */
		if (memcmp(r->cc, "86", 3) == 0 && nsnlen == 13 &&
		    nsn[0] == '8' && nsn[1] == '6' &&
		    is_cn_mobile(nsn + 2, 11)) {
			nsn += 2;
			nsnlen -= 2;
		}
		if (r->trunk != '\0' && nsn[0] == r->trunk &&
		    nsnlen - 1 >= r->nsn_min) {
			nsn++;
			nsnlen--;
		}
	}
	cc = r->cc;
	cclen = strlen(cc);
	if (memcmp(cc, "86", 3) == 0 && is_cn_mobile(nsn, nsnlen)) {
		if (crm_buf_add(out, nsn, nsnlen) == -1)
			return nomem(out, base, why);
		return 0;
	}
	if (nsnlen < r->nsn_min)
		return fail(out, base, why, "too few digits in phone number");
	if (nsnlen > r->nsn_max || cclen + nsnlen > E164_MAX_DIGITS)
		return fail(out, base, why, "too many digits in phone number");
	if (phone_emit(out, cc, cclen, nsn, nsnlen) == -1)
		return nomem(out, base, why);
	return 0;
}

int
crm_norm_region_known(const char *region)
{
	return region_find(region) != NULL;
}

/* ==== Dates ==== */

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil, with March as the first month of a
 * 400-year era).
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil: the date z days after 1970-01-01. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Number of days in month m (1-12) of year y. */
static int
days_in_month(int y, int m)
{
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

int
crm_day_number(int y, int m, int d, long long *days)
{
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > days_in_month(y, m))
		return -1;
	*days = (long long)days_from_civil(y, m, d);
	return 0;
}

void
crm_day_civil(long long days, int *y, int *m, int *d)
{
	int64_t yy;

	civil_from_days((int64_t)days, &yy, m, d);
	*y = (int)yy;
}

/* a / b rounded towards minus infinity, for b > 0. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/*
 * Read at most max decimal digits at p (stopping at e) into *val; return
 * how many were read.
 */
static size_t
scan_digits(const char *p, const char *e, size_t max, int *val)
{
	size_t n;

	*val = 0;
	for (n = 0; n < max && p + n < e && p[n] >= '0' && p[n] <= '9'; n++)
		*val = *val * 10 + (p[n] - '0');
	return n;
}

/*
 * Parse the time and zone of a date-time at p, just after the T or
 * space, up to e, into dp.  Return NULL or the reason.
 */
static const char *
time_parse(const char *p, const char *e, struct date_parts *dp)
{
	size_t k;
	int oh, om, sign;

	dp->has_time = 1;
	if ((k = scan_digits(p, e, 2, &dp->hour)) == 0)
		return "unknown date format";
	p += k;
	if (p == e || *p++ != ':' || scan_digits(p, e, 2, &dp->min) != 2)
		return "unknown date format";
	p += 2;
	if (p < e && *p == ':') {
		if (scan_digits(++p, e, 2, &dp->sec) != 2)
			return "unknown date format";
		p += 2;
		if (p < e && *p == '.') {
			dp->frac = ++p;
			while (p < e && *p >= '0' && *p <= '9')
				p++;
			if ((dp->nfrac = (size_t)(p - dp->frac)) == 0)
				return "unknown date format";
		}
	}
	if (p < e && (*p == 'Z' || *p == 'z')) {
		dp->has_zone = 1;
		p++;
	} else if (p < e && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		if (scan_digits(p, e, 2, &oh) != 2)
			return "unknown date format";
		p += 2;
		if (p < e && *p == ':')
			p++;
		if (scan_digits(p, e, 2, &om) != 2)
			return "unknown date format";
		p += 2;
		if (oh > 23 || om > 59)
			return "invalid time zone offset";
		dp->has_zone = 1;
		dp->offset = sign * (oh * 60 + om);
	}
	if (p != e)
		return "unknown date format";
	if (dp->hour > 23 || dp->min > 59 || dp->sec > 60)
		return "invalid time";
	return NULL;
}

/*
 * Parse the trimmed date s[0..e) into dp as order says; return NULL or
 * the reason.  Epoch seconds are turned into UTC parts here.
 */
static const char *
date_parse(const char *s, const char *e, enum crm_date_order order,
    struct date_parts *dp)
{
	const char *p = s;
	int64_t v, days, secs, y;
	size_t n, k;
	int a, b, year, neg = 0;
	char sep;

	memset(dp, 0, sizeof(*dp));
	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	for (n = 0; p + n < e && p[n] >= '0' && p[n] <= '9'; n++)
		;
	if (p + n == e && n == 8 && !neg) {
		/* YYYYMMDD */
		scan_digits(p, e, 4, &dp->year);
		scan_digits(p + 4, e, 2, &dp->month);
		scan_digits(p + 6, e, 2, &dp->day);
		p = e;
	} else if (p + n == e && (n == 9 || n == 10)) {
		/* Epoch seconds. */
		for (v = 0, k = 0; k < n; k++)
			v = v * 10 + (p[k] - '0');
		if (neg)
			v = -v;
		days = floor_div(v, 86400);
		secs = v - days * 86400;
		civil_from_days(days, &y, &dp->month, &dp->day);
		dp->year = (int)y;
		dp->hour = (int)(secs / 3600);
		dp->min = (int)(secs / 60 % 60);
		dp->sec = (int)(secs % 60);
		dp->has_time = 1;
		dp->has_zone = 1;
		return NULL;
	} else if (neg)
		return "unknown date format";
	else if (n == 4) {
		/* YYYY-M-D, YYYY/M/D, YYYY.M.D */
		scan_digits(p, e, 4, &dp->year);
		p += 4;
		if (p == e || (*p != '-' && *p != '/' && *p != '.'))
			return "unknown date format";
		sep = *p++;
		if ((k = scan_digits(p, e, 2, &dp->month)) == 0)
			return "unknown date format";
		p += k;
		if (p == e || *p++ != sep)
			return "unknown date format";
		if ((k = scan_digits(p, e, 2, &dp->day)) == 0)
			return "unknown date format";
		p += k;
	} else if (n == 1 || n == 2) {
		/* DD/MM/YYYY or MM/DD/YYYY */
		scan_digits(p, e, 2, &a);
		p += n;
		if (p == e || (*p != '/' && *p != '-' && *p != '.'))
			return "unknown date format";
		sep = *p++;
		if ((k = scan_digits(p, e, 2, &b)) == 0)
			return "unknown date format";
		p += k;
		if (p == e || *p++ != sep || scan_digits(p, e, 4, &year) != 4)
			return "unknown date format";
		p += 4;
		dp->year = year;
		if (order == CRM_DATE_DMY ||
		    (order == CRM_DATE_STRICT && (a > 12 || a == b))) {
			dp->day = a;
			dp->month = b;
		} else if (order == CRM_DATE_MDY || b > 12) {
			dp->month = a;
			dp->day = b;
		} else
			return "ambiguous date: day and month both <= 12 "
			       "(use --date-order)";
	} else
		return "unknown date format";
	if (p < e && p[0] >= '0' && p[0] <= '9')
		return "unknown date format";
	if (dp->year < 1 || dp->month < 1 || dp->month > 12 || dp->day < 1 ||
	    dp->day > days_in_month(dp->year, dp->month))
		return "invalid date";
	if (p == e)
		return NULL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return "unknown date format";
	return time_parse(p + 1, e, dp);
}

/* Write v as width decimal digits at d, zero-padded; return d + width. */
static char *
put_num(char *d, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		d[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return d + width;
}

/* Append the ISO 8601 form of dp to out; return 0 or -1 (ENOMEM). */
static int
date_emit(struct crm_buf *out, const struct date_parts *dp)
{
	char *d;

	if (crm_buf_grow(out, 21 + dp->nfrac) == -1)
		return -1;
	d = out->p + out->len;
	d = put_num(d, (unsigned)dp->year, 4);
	*d++ = '-';
	d = put_num(d, (unsigned)dp->month, 2);
	*d++ = '-';
	d = put_num(d, (unsigned)dp->day, 2);
	if (dp->has_time) {
		*d++ = 'T';
		d = put_num(d, (unsigned)dp->hour, 2);
		*d++ = ':';
		d = put_num(d, (unsigned)dp->min, 2);
		*d++ = ':';
		d = put_num(d, (unsigned)dp->sec, 2);
		if (dp->nfrac > 0) {
			*d++ = '.';
			memcpy(d, dp->frac, dp->nfrac);
			d += dp->nfrac;
		}
		if (dp->has_zone)
			*d++ = 'Z';
	}
	out->len = (size_t)(d - out->p);
	out->p[out->len] = '\0';
	return 0;
}

int
crm_norm_date(struct crm_buf *out, const char *in, size_t len,
    enum crm_date_order order, const char **why)
{
	struct date_parts dp;
	const char *s = in, *e = in + len, *reason;
	size_t base = out->len;
	int64_t mins, days, y;

	while (s < e && is_space_cp((unsigned char)*s))
		s++;
	while (e > s && is_space_cp((unsigned char)e[-1]))
		e--;
	if (s == e)
		return fail(out, base, why, "empty date");
	if ((reason = date_parse(s, e, order, &dp)) != NULL)
		return fail(out, base, why, reason);
	if (dp.has_zone && dp.offset != 0) {
		mins = days_from_civil(dp.year, dp.month, dp.day) * 1440 +
		       dp.hour * 60 + dp.min - dp.offset;
		days = floor_div(mins, 1440);
		mins -= days * 1440;
		civil_from_days(days, &y, &dp.month, &dp.day);
		if (y < 1 || y > 9999)
			return fail(out, base, why, "date out of range");
		dp.year = (int)y;
		dp.hour = (int)(mins / 60);
		dp.min = (int)(mins % 60);
	}
	if (dp.year < 1 || dp.year > 9999)
		return fail(out, base, why, "date out of range");
	if (date_emit(out, &dp) == -1)
		return nomem(out, base, why);
	return 0;
}

int
crm_norm_seconds(const char *in, size_t len, double *secs, const char **why)
{
	struct date_parts dp;
	const char *s = in, *e = in + len, *p, *reason;
	char num[64], *end;
	int64_t mins;

	while (s < e && is_space_cp((unsigned char)*s))
		s++;
	while (e > s && is_space_cp((unsigned char)e[-1]))
		e--;
	if (s == e) {
		*why = "empty time";
		return -1;
	}
	for (p = s;
	     p < e && *p != '\0' && strchr("0123456789.+-eE", *p) != NULL; p++)
		;
	if (p == e && (size_t)(e - s) < sizeof(num)) {
		memcpy(num, s, (size_t)(e - s));
		num[e - s] = '\0';
		*secs = strtod(num, &end);
		if (*end == '\0' && end != num && isfinite(*secs))
			return 0;
	}
	if ((reason = date_parse(s, e, CRM_DATE_STRICT, &dp)) != NULL) {
		*why = reason;
		return -1;
	}
	mins = days_from_civil(dp.year, dp.month, dp.day) * 1440 +
	       dp.hour * 60 + dp.min - dp.offset;
	*secs = (double)mins * 60 + dp.sec;
	if (dp.nfrac > 0) {
		size_t n = dp.nfrac < 9 ? dp.nfrac : 9;

		memcpy(num, "0.", 2);
		memcpy(num + 2, dp.frac, n);
		num[n + 2] = '\0';
		*secs += strtod(num, NULL);
	}
	return 0;
}
