/*
 * norm: normalization of customer data values (text, e-mail addresses,
 * phone numbers, dates and times) and UTF-8 checks.
 *
 * Every normalizer reads len bytes at in (not necessarily NUL-terminated,
 * never modified) and appends the normalized value to out, a caller-owned
 * buffer.  It returns 0 on success; -1 when the value is invalid, with
 * *why set to a static lowercase reason (e.g. "invalid e-mail address") and
 * out unchanged; or -1 with *why NULL and errno ENOMEM when memory ran out.
 * Input must be valid UTF-8 (see crm_utf8_check) except where noted.
 */
#ifndef CRM_NORM_H
#define CRM_NORM_H

#include <stddef.h>

#include "buf.h"

/*
 * Return 1 if s[0..len) is valid UTF-8 (shortest form, no surrogates, at
 * most U+10FFFF), else 0 with *bad set to the offset of the first bad byte
 * (bad may be NULL).
 */
int crm_utf8_check(const char *s, size_t len, size_t *bad);

/* The characters of UTF-8 s[0..len): its bytes that start one. */
size_t crm_utf8_count(const char *s, size_t len);

/*
 * Text: Unicode NFKC (full-width letters and digits become ASCII, the
 * ideographic space becomes a space, ...), white space trimmed at both
 * ends, and every inner run of white space (spaces, tabs, line breaks and
 * the Unicode spaces) collapsed to one ASCII space.  Pure ASCII input takes
 * a fast path that never calls utf8proc.
 */
int crm_norm_text(
    struct crm_buf *out, const char *in, size_t len, const char **why);

/*
 * Key for matching: crm_norm_text followed by Unicode case folding, so
 * "ÄRGER  Straße" and "ärger strasse" give the same key.
 */
int crm_norm_fold(
    struct crm_buf *out, const char *in, size_t len, const char **why);

/*
 * E-mail address: text-normalized, lower-cased, then checked: one '@'; a
 * dot-atom local part of at most 64 bytes; a domain of at most 253 bytes
 * made of labels of 1 to 63 letters, digits or hyphens (not at either end of
 * a label; non-ASCII letters allowed for internationalized domains) with at
 * least two labels and a top-level label that is not all digits.
 */
int crm_norm_email(
    struct crm_buf *out, const char *in, size_t len, const char **why);

/*
 * Phone number.  Separators (space, '-', '.', '/', parentheses) are
 * dropped; a leading "+" or "00" introduces a country code.  A Chinese
 * mobile number (country code 86, or no country code and region "CN", and 11
 * digits 1[3-9]xxxxxxxxx) is written as those 11 digits; every other number
 * is written in E.164 ("+" country code, national number without the trunk
 * prefix), the country code taken from region (ISO 3166 alpha-2, e.g. "US",
 * "GB"; NULL means "CN") when the number has none.  Letters, too few or too
 * many digits (E.164 allows 15), or an unknown region are errors.
 */
int crm_norm_phone(struct crm_buf *out, const char *in, size_t len,
    const char *region, const char **why);

/* Return 1 if region is an ISO 3166 alpha-2 code crm_norm_phone knows. */
int crm_norm_region_known(const char *region);

/* How to read NN/NN/YYYY dates. */
enum crm_date_order {
	CRM_DATE_STRICT, /* only when unambiguous (one part > 12 or equal) */
	CRM_DATE_DMY,	 /* day first: 05/03/2024 is 5 March */
	CRM_DATE_MDY	 /* month first: 05/03/2024 is 3 May */
};

/*
 * Date or date-time to ISO 8601.  Accepted: YYYY-MM-DD, YYYY/MM/DD,
 * YYYY.MM.DD, YYYYMMDD (one- or two-digit month and day with separators),
 * DD/MM/YYYY or MM/DD/YYYY as order says, epoch seconds (9 or 10 digits,
 * optionally negative) and RFC 3339 date-times (T, t or space between date
 * and time, optional seconds and fraction, Z or +hh:mm / -hh:mm or +hhmm).
 * A date alone is written YYYY-MM-DD; a time with a zone or an epoch is
 * converted to UTC and written YYYY-MM-DDTHH:MM:SS[.fraction]Z; a time
 * without a zone is written YYYY-MM-DDTHH:MM:SS[.fraction] as given.
 * Calendar validity (month lengths, leap years) is checked; years are
 * 0001 to 9999.
 */
int crm_norm_date(struct crm_buf *out, const char *in, size_t len,
    enum crm_date_order order, const char **why);

/*
 * Day arithmetic in the proleptic Gregorian calendar: *days is y-m-d's
 * number of days from 1970-01-01; 0, or -1 when y-m-d is not a date of
 * the years 1 to 9999.  crm_day_civil is the inverse.
 */
int crm_day_number(int y, int m, int d, long long *days);
void crm_day_civil(long long days, int *y, int *m, int *d);

/*
 * A point in time as a number, for ordering events: a plain decimal
 * number (epoch seconds, or any count) is taken as it is; anything else
 * must be a date or date-time that crm_norm_date reads unambiguously, and
 * becomes seconds since 1970-01-01T00:00:00Z (a date alone is its
 * midnight, a time without a zone is taken as UTC).  Returns 0, or -1
 * with *why set.
 */
int crm_norm_seconds(
    const char *in, size_t len, double *secs, const char **why);

#endif
