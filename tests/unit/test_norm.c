/*
 * test_norm: unit tests for lib/norm.c.  Each normalizer is driven by a
 * table of (input, expected output or expected reason) rows; every call
 * appends to a buffer that already holds "pre|", so the tests also check
 * that a result is appended and that a failure leaves the buffer as it
 * was.  Inputs longer than the stack array of the Unicode path, slices
 * that are not NUL-terminated and embedded NULs get cases of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "norm.h"
#include "tap.h"

#define PREFIX	   "pre|"
#define PREFIX_LEN (sizeof(PREFIX) - 1)

/* A row for the text, fold and e-mail normalizers. */
struct str_case {
	const char *in;	  /* input bytes */
	size_t len;	  /* their number; 0 means strlen(in) */
	const char *want; /* expected output, or NULL for an error */
	const char *why;  /* expected reason when want is NULL */
};

/* A row for crm_norm_phone. */
struct phone_case {
	const char *in;
	const char *region; /* NULL means the default, "CN" */
	const char *want;
	const char *why;
};

/* A row for crm_norm_date. */
struct date_case {
	const char *in;
	enum crm_date_order order;
	const char *want;
	const char *why;
};

/* A row for crm_utf8_check. */
struct utf8_case {
	const char *in;
	size_t len; /* 0 means strlen(in) */
	int valid;  /* expected result */
	size_t bad; /* expected offset when not valid */
};

static const char *show(const char *, size_t);
static void expect_text(char *, size_t, const char *, const char *);
static void result(char *, size_t, const struct crm_buf *, int, const char *);
static void run_str(const char *,
    int (*)(struct crm_buf *, const char *, size_t, const char **),
    const struct str_case *, size_t);
static void test_text(void);
static void test_fold(void);
static void test_email(void);
static void test_phone(void);
static void test_region(void);
static void test_date(void);
static void test_utf8(void);
static void test_long(void);
static void test_ascii(void);

static const struct str_case text_cases[] = {
	{ "", 0, "", NULL },
	{ "abc", 0, "abc", NULL },
	{ "Hello World", 0, "Hello World", NULL },
	{ "  a \t\n b  ", 0, "a b", NULL },
	/* CJK ideographs take the path without utf8proc; others do not. */
	{ "\xe5\xbc\xa0\xe4\xbc\x9f", 0, "\xe5\xbc\xa0\xe4\xbc\x9f", NULL },
	{ " \xe5\xbc\xa0  \xe4\xbc\x9f\xe3\x80\x82 ", 0,
	    "\xe5\xbc\xa0 \xe4\xbc\x9f\xe3\x80\x82", NULL },
	{ "\xe5\xbc\xa0\xe3\x80\x80\xe4\xbc\x9f\xef\xbc\x8c", 0,
	    "\xe5\xbc\xa0 \xe4\xbc\x9f,", NULL },
	{ "\xe5\xbc\xa0\xef\xbc\xa1", 0,
	    "\xe5\xbc\xa0"
	    "A",
	    NULL },
	{ " \t\r\n\v\f", 0, "", NULL },
	{ "a\x01"
	  "b",
	    0,
	    "a\x01"
	    "b",
	    NULL },
	{ "abc def", 5, "abc d", NULL },
	{ "x  ", 1, "x", NULL },
	{ "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x91\xef\xbc\x92"
	  "\xef\xbc\x93",
	    0, "ABC123", NULL },
	{ "a\xe3\x80\x80"
	  "b",
	    0, "a b", NULL },
	{ "\xe3\x80\x80\xc2\xa0x\xe2\x80\xa8y\xe2\x80\xa9 z\xc2\x85", 0,
	    "x y z", NULL },
	{ "a\xe2\x80\x83\xe2\x80\x83"
	  "b",
	    0, "a b", NULL },
	{ "\xef\xbc\xa1\xe3\x80\x80\xef\xbc\xa2", 0, "A B", NULL },
	{ "\xef\xac\x81", 0, "fi", NULL },
	{ "A\xcc\x8a", 0, "\xc3\x85", NULL },
	{ "e\xcc\x81", 0, "\xc3\xa9", NULL },
	{ "\xe3\x8d\xbb", 0, "\xe5\xb9\xb3\xe6\x88\x90", NULL },
	{ "\xc2\xbd", 0,
	    "1\xe2\x81\x84"
	    "2",
	    NULL },
	{ "\xe2\x91\xa0", 0, "1", NULL },
	{ "\xef\xbd\xb6\xef\xbe\x80\xef\xbd\xb6\xef\xbe\x85", 0,
	    "\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a", NULL },
	{ "  \xe4\xb8\xad\xe6\x96\x87 \t \xe6\x96\x87\xe6\x9c\xac  ", 0,
	    "\xe4\xb8\xad\xe6\x96\x87 \xe6\x96\x87\xe6\x9c\xac", NULL },
	{ "\xc3\x84RGER  Stra\xc3\x9f"
	  "e",
	    0,
	    "\xc3\x84RGER Stra\xc3\x9f"
	    "e",
	    NULL },
	{ "\xff", 0, NULL, "invalid utf-8" },
	{ "abc\xc3", 0, NULL, "invalid utf-8" },
	{ "\xed\xa0\x80", 0, NULL, "invalid utf-8" },
	{ "\xc0\x80", 0, NULL, "invalid utf-8" },
};

static const struct str_case fold_cases[] = {
	{ "", 0, "", NULL },
	{ "Hello World", 0, "hello world", NULL },
	{ "  MiXeD\tCase  ", 0, "mixed case", NULL },
	{ "Stra\xc3\x9f"
	  "e",
	    0, "strasse", NULL },
	{ "\xc3\x84RGER  Stra\xc3\x9f"
	  "e",
	    0, "\xc3\xa4rger strasse", NULL },
	{ "\xc3\xa4rger strasse", 0, "\xc3\xa4rger strasse", NULL },
	{ "A\xcc\x88RGER", 0, "\xc3\xa4rger", NULL },
	{ "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", 0, "abc", NULL },
	{ "\xce\xa3\xce\x8a\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3", 0,
	    "\xcf\x83\xce\xaf\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83", NULL },
	{ "\xe4\xb8\xad\xe6\x96\x87", 0, "\xe4\xb8\xad\xe6\x96\x87", NULL },
	{ "\xef\xac\x81", 0, "fi", NULL },
	{ "\xff", 0, NULL, "invalid utf-8" },
};

static const struct str_case email_cases[] = {
	{ "Bob@Example.COM", 0, "bob@example.com", NULL },
	{ "  bob@example.com \t", 0, "bob@example.com", NULL },
	{ "first.last+tag@sub.example.co.uk", 0,
	    "first.last+tag@sub.example.co.uk", NULL },
	{ "O'Brien@Example.IE", 0, "o'brien@example.ie", NULL },
	{ "a!#$%&'*+-/=?^_`{|}~z@x.com", 0, "a!#$%&'*+-/=?^_`{|}~z@x.com",
	    NULL },
	{ "a@123.com", 0, "a@123.com", NULL },
	{ "a@xn--fiqs8s.cn", 0, "a@xn--fiqs8s.cn", NULL },
	{ "a@x-y.z-1.com", 0, "a@x-y.z-1.com", NULL },
	{ "\xef\xbd\x82\xef\xbd\x8f\xef\xbd\x82\xef\xbc\xa0\xef\xbd\x85\xef"
	  "\xbd\x98\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f\xef\xbd\x8d",
	    0, "bob@ex.com", NULL },
	{ "\xc3\x9cSER@B\xc3\x9c"
	  "CHER.DE",
	    0,
	    "\xc3\xbcser@b\xc3\xbc"
	    "cher.de",
	    NULL },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	  "\xe5\x91\x8a",
	    0,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a",
	    NULL },
	{ "", 0, NULL, "empty e-mail address" },
	{ "   ", 0, NULL, "empty e-mail address" },
	{ "abc", 0, NULL, "no '@' in e-mail address" },
	{ "a@b@c.com", 0, NULL, "more than one '@' in e-mail address" },
	{ "@x.com", 0, NULL, "empty local part in e-mail address" },
	{ "a..b@x.com", 0, NULL, "invalid local part in e-mail address" },
	{ ".a@x.com", 0, NULL, "invalid local part in e-mail address" },
	{ "a.@x.com", 0, NULL, "invalid local part in e-mail address" },
	{ "a b@x.com", 0, NULL, "invalid local part in e-mail address" },
	{ "a\"b@x.com", 0, NULL, "invalid local part in e-mail address" },
	{ "a(b)@x.com", 0, NULL, "invalid local part in e-mail address" },
	{ "a\xe2\x82\xac@x.com", 0, NULL,
	    "invalid local part in e-mail address" },
	{ "a@", 0, NULL, "empty domain in e-mail address" },
	{ "a@b", 0, NULL, "e-mail domain needs at least two labels" },
	{ "a@-x.com", 0, NULL,
	    "hyphen at start or end of e-mail domain label" },
	{ "a@x-.com", 0, NULL,
	    "hyphen at start or end of e-mail domain label" },
	{ "a@x.com-", 0, NULL,
	    "hyphen at start or end of e-mail domain label" },
	{ "a@x..com", 0, NULL, "empty label in e-mail domain" },
	{ "a@.x.com", 0, NULL, "empty label in e-mail domain" },
	{ "a@x.com.", 0, NULL, "empty label in e-mail domain" },
	{ "a@x_y.com", 0, NULL, "invalid character in e-mail domain" },
	{ "a@x y.com", 0, NULL, "invalid character in e-mail domain" },
	{ "a@x\xe2\x82\xac.com", 0, NULL,
	    "invalid character in e-mail domain" },
	{ "a@1.2.3.4", 0, NULL, "numeric top-level domain in e-mail address" },
	{ "a@x.123", 0, NULL, "numeric top-level domain in e-mail address" },
	{ "a@x.com\xff", 0, NULL, "invalid utf-8" },
};

static const struct phone_case phone_cases[] = {
	/* China, the default region. */
	{ "+86 138-0013-8000", NULL, "13800138000", NULL },
	{ "(0086)13800138000", NULL, "13800138000", NULL },
	{ "138 0013 8000", NULL, "13800138000", NULL },
	{ "13800138000", "CN", "13800138000", NULL },
	{ "13800138000", "cn", "13800138000", NULL },
	{ "0086 139.1234.5678", NULL, "13912345678", NULL },
	{ "8613800138000", NULL, "13800138000", NULL },
	{ "+86 (0)138 0013 8000", NULL, "13800138000", NULL },
	{ "+86 138 0013 8000", "US", "13800138000", NULL },
	{ "010-12345678", NULL, "+861012345678", NULL },
	{ "(021) 6234 5678", NULL, "+862162345678", NULL },
	{ "+86 10 1234 5678", NULL, "+861012345678", NULL },
	{ "+86 (0)10 1234 5678", NULL, "+861012345678", NULL },
	{ "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90\xef\xbc\x90\xef"
	  "\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90\xef\xbc\x90\xef\xbc"
	  "\x90",
	    NULL, "13800138000", NULL },
	{ "\xef\xbc\x88\xef\xbc\x90\xef\xbc\x92\xef\xbc\x91\xef\xbc\x89\xe3"
	  "\x80\x80"
	  "6234-5678",
	    NULL, "+862162345678", NULL },
	{ "+86 12345678901234", NULL, NULL, "too many digits in phone number" },
	/* North America. */
	{ "(415) 555-2671", "US", "+14155552671", NULL },
	{ "1-415-555-2671", "US", "+14155552671", NULL },
	{ "415.555.2671", "us", "+14155552671", NULL },
	{ "(416) 555-0123", "CA", "+14165550123", NULL },
	{ "+1 415 555 2671", "GB", "+14155552671", NULL },
	{ "555-2671", "US", NULL, "too few digits in phone number" },
	{ "+1 415 555 26711", "US", NULL, "too many digits in phone number" },
	{ "21-415-555-2671", "US", NULL, "too many digits in phone number" },
	/* Europe. */
	{ "+44 20 7946 0958", NULL, "+442079460958", NULL },
	{ "020 7946 0958", "GB", "+442079460958", NULL },
	{ "+44 (0)20 7946 0958", "GB", "+442079460958", NULL },
	{ "0044 20 7946 0958", "US", "+442079460958", NULL },
	{ "030 123456", "DE", "+4930123456", NULL },
	{ "+49 30 123456", "DE", "+4930123456", NULL },
	{ "01 23 45 67 89", "FR", "+33123456789", NULL },
	{ "06 1234 5678", "IT", "+390612345678", NULL },
	{ "+39 06 1234 5678", NULL, "+390612345678", NULL },
	{ "612 345 678", "ES", "+34612345678", NULL },
	{ "8 (495) 123-45-67", "RU", "+74951234567", NULL },
	{ "+7 495 123 45 67", NULL, "+74951234567", NULL },
	{ "(495) 123-45-67", "RU", "+74951234567", NULL },
	{ "01", "GB", NULL, "too few digits in phone number" },
	/* Asia, Oceania, elsewhere. */
	{ "03-1234-5678", "JP", "+81312345678", NULL },
	{ "+81 3-1234-5678", NULL, "+81312345678", NULL },
	{ "010-1234-5678", "KR", "+821012345678", NULL },
	{ "9123 4567", "SG", "+6591234567", NULL },
	{ "2345 6789", "HK", "+85223456789", NULL },
	{ "0912 345 678", "TW", "+886912345678", NULL },
	{ "0412 345 678", "AU", "+61412345678", NULL },
	{ "098765 43210", "IN", "+919876543210", NULL },
	{ "050 123 4567", "AE", "+971501234567", NULL },
	{ "0803 123 4567", "NG", "+2348031234567", NULL },
	/* Country codes outside the table. */
	{ "+999 1234 5678", NULL, "+99912345678", NULL },
	{ "00 999 1234 5678", "DE", "+99912345678", NULL },
	{ "+999 12", NULL, NULL, "too few digits in phone number" },
	{ "+999 1234 5678 9012 3", NULL, NULL,
	    "too many digits in phone number" },
	{ "+086 1234 5678", NULL, NULL,
	    "invalid country code in phone number" },
	/* Bad input. */
	{ "", NULL, NULL, "no digits" },
	{ "()- ./", NULL, NULL, "no digits" },
	{ "+", NULL, NULL, "no digits" },
	{ "00", NULL, NULL, "too few digits in phone number" },
	{ "call 138 0013 8000", NULL, NULL, "letters in phone number" },
	{ "138 0013 8000 ext. 12", NULL, NULL, "letters in phone number" },
	{ "138 0013 8000 x12", NULL, NULL, "letters in phone number" },
	{ "1-800-FLOWERS", "US", NULL, "letters in phone number" },
	{ "\xe7\x94\xb5\xe8\xaf\x9d"
	  "13800138000",
	    NULL, NULL, "letters in phone number" },
	{ "138#0013", NULL, NULL, "invalid character in phone number" },
	{ "138,0013", NULL, NULL, "invalid character in phone number" },
	{ "138+0013", NULL, NULL, "misplaced '+' in phone number" },
	{ "++86 13800138000", NULL, NULL, "misplaced '+' in phone number" },
	{ "1234567890123456789012345678901234", NULL, NULL,
	    "too many digits in phone number" },
	{ "13800138000", "XX", NULL, "unknown region" },
	{ "13800138000", "", NULL, "unknown region" },
	{ "13800138000", "USA", NULL, "unknown region" },
	{ "13800138000", "C", NULL, "unknown region" },
	{ "+86 138\xff", NULL, NULL, "invalid utf-8" },
};

static const struct date_case date_cases[] = {
	/* Dates alone. */
	{ "2024-02-29", CRM_DATE_STRICT, "2024-02-29", NULL },
	{ "2023-02-29", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "2000-02-29", CRM_DATE_STRICT, "2000-02-29", NULL },
	{ "1900-02-29", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "2024-04-31", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "2024-13-01", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "2024-00-10", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "2024-01-00", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "0000-01-01", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "0001-01-01", CRM_DATE_STRICT, "0001-01-01", NULL },
	{ "9999-12-31", CRM_DATE_STRICT, "9999-12-31", NULL },
	{ "20240305", CRM_DATE_STRICT, "2024-03-05", NULL },
	{ "20230229", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "2024/3/5", CRM_DATE_STRICT, "2024-03-05", NULL },
	{ "2024.03.05", CRM_DATE_STRICT, "2024-03-05", NULL },
	{ "2024-3-05", CRM_DATE_STRICT, "2024-03-05", NULL },
	{ "  2024-03-05 \t", CRM_DATE_STRICT, "2024-03-05", NULL },
	{ "05/03/2024", CRM_DATE_DMY, "2024-03-05", NULL },
	{ "05/03/2024", CRM_DATE_MDY, "2024-05-03", NULL },
	{ "05/03/2024", CRM_DATE_STRICT, NULL,
	    "ambiguous date: day and month both <= 12 (use --date-order)" },
	{ "25/03/2024", CRM_DATE_STRICT, "2024-03-25", NULL },
	{ "03/25/2024", CRM_DATE_STRICT, "2024-03-25", NULL },
	{ "05/05/2024", CRM_DATE_STRICT, "2024-05-05", NULL },
	{ "25/13/2024", CRM_DATE_STRICT, NULL, "invalid date" },
	{ "25/03/2024", CRM_DATE_MDY, NULL, "invalid date" },
	{ "31/04/2024", CRM_DATE_DMY, NULL, "invalid date" },
	{ "5.3.2024", CRM_DATE_DMY, "2024-03-05", NULL },
	{ "5-3-2024", CRM_DATE_MDY, "2024-05-03", NULL },
	/* Epoch seconds. */
	{ "1709600000", CRM_DATE_STRICT, "2024-03-05T00:53:20Z", NULL },
	{ "202403051", CRM_DATE_STRICT, "1976-05-31T15:04:11Z", NULL },
	{ "-100000000", CRM_DATE_STRICT, "1966-10-31T14:13:20Z", NULL },
	{ "-1000000000", CRM_DATE_STRICT, "1938-04-24T22:13:20Z", NULL },
	{ "9999999999", CRM_DATE_STRICT, "2286-11-20T17:46:39Z", NULL },
	{ "-9999999999", CRM_DATE_STRICT, "1653-02-10T06:13:21Z", NULL },
	{ "0000000000", CRM_DATE_STRICT, "1970-01-01T00:00:00Z", NULL },
	/* Date-times. */
	{ "2024-03-05T10:20:30+08:00", CRM_DATE_STRICT, "2024-03-05T02:20:30Z",
	    NULL },
	{ "2024-03-01T01:00:00+02:00", CRM_DATE_STRICT, "2024-02-29T23:00:00Z",
	    NULL },
	{ "2024-03-05 10:20", CRM_DATE_STRICT, "2024-03-05T10:20:00", NULL },
	{ "2024-03-05T10:20:30", CRM_DATE_STRICT, "2024-03-05T10:20:30", NULL },
	{ "2024-03-05t10:20:30z", CRM_DATE_STRICT, "2024-03-05T10:20:30Z",
	    NULL },
	{ "2024-03-05T10:20:30.123456Z", CRM_DATE_STRICT,
	    "2024-03-05T10:20:30.123456Z", NULL },
	{ "2024-03-05T10:20:30.120", CRM_DATE_STRICT, "2024-03-05T10:20:30.120",
	    NULL },
	{ "2024-03-05T10:20:30.5-0530", CRM_DATE_STRICT,
	    "2024-03-05T15:50:30.5Z", NULL },
	{ "2024-03-05T10:20:30+0800", CRM_DATE_STRICT, "2024-03-05T02:20:30Z",
	    NULL },
	{ "2023-12-31T23:30:00-01:00", CRM_DATE_STRICT, "2024-01-01T00:30:00Z",
	    NULL },
	{ "2024-02-28T23:30:00-00:45", CRM_DATE_STRICT, "2024-02-29T00:15:00Z",
	    NULL },
	{ "2024-03-05T10:20:30-00:00", CRM_DATE_STRICT, "2024-03-05T10:20:30Z",
	    NULL },
	{ "2016-12-31T23:59:60Z", CRM_DATE_STRICT, "2016-12-31T23:59:60Z",
	    NULL },
	{ "2024/3/5 9:05", CRM_DATE_STRICT, "2024-03-05T09:05:00", NULL },
	{ "05/03/2024 10:20", CRM_DATE_DMY, "2024-03-05T10:20:00", NULL },
	{ "0001-01-01T00:30:00+01:00", CRM_DATE_STRICT, NULL,
	    "date out of range" },
	{ "9999-12-31T23:00:00-02:00", CRM_DATE_STRICT, NULL,
	    "date out of range" },
	{ "2024-03-05T24:00", CRM_DATE_STRICT, NULL, "invalid time" },
	{ "2024-03-05T10:60", CRM_DATE_STRICT, NULL, "invalid time" },
	{ "2024-03-05T10:20:61", CRM_DATE_STRICT, NULL, "invalid time" },
	{ "2024-03-05T10:20:30+24:00", CRM_DATE_STRICT, NULL,
	    "invalid time zone offset" },
	{ "2024-03-05T10:20:30+08:60", CRM_DATE_STRICT, NULL,
	    "invalid time zone offset" },
	/* Not dates. */
	{ "", CRM_DATE_STRICT, NULL, "empty date" },
	{ " \t ", CRM_DATE_STRICT, NULL, "empty date" },
	{ "March 5, 2024", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03/05", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-05x", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-055", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "12/31/99", CRM_DATE_MDY, NULL, "unknown date format" },
	{ "05/03/20245", CRM_DATE_DMY, NULL, "unknown date format" },
	{ "0", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "-1", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "-20240305", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "12345678901", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-05T10", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-05T10:2", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-05T10:20:3", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-05T10:20:30.", CRM_DATE_STRICT, NULL,
	    "unknown date format" },
	{ "2024-03-05T10:20.5", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "2024-03-05T10:20:30+8", CRM_DATE_STRICT, NULL,
	    "unknown date format" },
	{ "2024-03-05T10:20:30 +08:00", CRM_DATE_STRICT, NULL,
	    "unknown date format" },
	{ "2024-03-05T10:20:30ZZ", CRM_DATE_STRICT, NULL,
	    "unknown date format" },
	{ "2024-03-05X10:20", CRM_DATE_STRICT, NULL, "unknown date format" },
	{ "20240305T102030", CRM_DATE_STRICT, NULL, "unknown date format" },
};

static const struct utf8_case utf8_cases[] = {
	{ "", 0, 1, 0 },
	{ "abc", 0, 1, 0 },
	{ "h\xc3\xa9llo", 0, 1, 0 },
	{ "\xe4\xb8\xad\xe6\x96\x87", 0, 1, 0 },
	{ "\xf0\x9f\x98\x80", 0, 1, 0 },
	{ "\xf4\x8f\xbf\xbf", 0, 1, 0 },
	{ "\xef\xbf\xbf", 0, 1, 0 },
	{ "\xed\x9f\xbf", 0, 1, 0 },
	{ "\xee\x80\x80", 0, 1, 0 },
	{ "\xc2\x80", 0, 1, 0 },
	{ "\xe0\xa0\x80", 0, 1, 0 },
	{ "\xf0\x90\x80\x80", 0, 1, 0 },
	{ "a\0b", 3, 1, 0 },
	{ "0123456789abcdef0123456789\xc3\xa9xyz", 0, 1, 0 },
	{ "\xc0\x80", 0, 0, 0 },
	{ "a\xc1\xbf", 0, 0, 1 },
	{ "\xe0\x80\x80", 0, 0, 0 },
	{ "\xe0\x9f\xbf", 0, 0, 0 },
	{ "\xf0\x80\x80\x80", 0, 0, 0 },
	{ "\xf0\x8f\xbf\xbf", 0, 0, 0 },
	{ "\xed\xa0\x80", 0, 0, 0 },
	{ "\xed\xbf\xbf", 0, 0, 0 },
	{ "\xf4\x90\x80\x80", 0, 0, 0 },
	{ "\xf5\x80\x80\x80", 0, 0, 0 },
	{ "\xff", 0, 0, 0 },
	{ "\x80", 0, 0, 0 },
	{ "\xe4\xb8", 0, 0, 0 },
	{ "abc\xe4\xb8", 0, 0, 3 },
	{ "\xe4\xb8\x41", 0, 0, 0 },
	{ "\xc3", 0, 0, 0 },
	{ "\xc3\xa9\xc3", 0, 0, 2 },
	{ "\xf0\x9f\x98", 0, 0, 0 },
	{ "\xf0\x9f\x98\x41", 0, 0, 0 },
	{ "0123456789abcdefghij\xc0\x80", 0, 0, 20 },
	{ "0123456789abcdef\x80", 0, 0, 16 },
	{ "01234567\xc3\xa9"
	  "0123456789\xed\xa0\x80",
	    0, 0, 20 },
};

/*
 * Return s[0..n) with non-printable bytes as \xNN, for TAP descriptions
 * (one line each); the result lives in a static buffer.
 */
static const char *
show(const char *s, size_t n)
{
	static char line[512];
	size_t i, j = 0;

	for (i = 0; i < n && j + 5 < sizeof(line); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			j += (size_t)snprintf(
			    line + j, sizeof(line) - j, "\\x%02x", c);
		else
			line[j++] = (char)c;
	}
	line[j] = '\0';
	return line;
}

/* Write what a case expects into buf: the output, or "error: why". */
static void
expect_text(char *buf, size_t size, const char *want, const char *why)
{
	if (want != NULL)
		snprintf(buf, size, "%s", want);
	else
		snprintf(buf, size, "error: %s", why);
}

/*
 * Write what a call gave into buf, in the form expect_text uses; a call
 * that failed but changed the buffer, or succeeded but dropped the
 * prefix, is reported as such.
 */
static void
result(char *buf, size_t size, const struct crm_buf *b, int rc, const char *why)
{
	if (b->len < PREFIX_LEN || memcmp(b->p, PREFIX, PREFIX_LEN) != 0)
		snprintf(buf, size, "(prefix lost)");
	else if (rc == 0)
		snprintf(buf, size, "%s", b->p + PREFIX_LEN);
	else if (rc != -1)
		snprintf(buf, size, "(bad return %d)", rc);
	else if (b->len != PREFIX_LEN || b->p[PREFIX_LEN] != '\0')
		snprintf(buf, size, "(error but out changed)");
	else
		snprintf(buf, size, "error: %s", why == NULL ? "(null)" : why);
}

/* Run the table t of n cases through fn, one TAP line per case. */
static void
run_str(const char *name,
    int (*fn)(struct crm_buf *, const char *, size_t, const char **),
    const struct str_case *t, size_t n)
{
	struct crm_buf b;
	char got[1024], want[1024];
	const char *why;
	size_t i, len;
	int rc;

	crm_buf_init(&b);
	for (i = 0; i < n; i++) {
		len = t[i].len != 0 ? t[i].len : strlen(t[i].in);
		crm_buf_reset(&b);
		if (crm_buf_adds(&b, PREFIX) == -1)
			abort();
		why = "unset";
		rc = fn(&b, t[i].in, len, &why);
		result(got, sizeof(got), &b, rc, why);
		expect_text(want, sizeof(want), t[i].want, t[i].why);
		TAP_STR(got, want, "%s '%s'", name, show(t[i].in, len));
	}
	crm_buf_release(&b);
}

static void
test_text(void)
{
	struct crm_buf b;
	const char *why = NULL;
	int rc, ok;

	run_str("text", crm_norm_text, text_cases,
	    sizeof(text_cases) / sizeof(text_cases[0]));

	/* An embedded NUL is kept, and counted in len. */
	crm_buf_init(&b);
	rc = crm_norm_text(&b, " a\0b ", 5, &why);
	ok = rc == 0 && b.len == 3 && memcmp(b.p, "a\0b", 4) == 0;
	TAP_OK(ok, "text keeps an embedded NUL");

	/* A failure on a buffer that never grew leaves it empty. */
	crm_buf_release(&b);
	why = NULL;
	rc = crm_norm_text(&b, "\xff", 1, &why);
	ok = rc == -1 && b.len == 0 && why != NULL;
	TAP_OK(ok, "text failure leaves an empty buffer empty");
	crm_buf_release(&b);
}

static void
test_fold(void)
{
	run_str("fold", crm_norm_fold, fold_cases,
	    sizeof(fold_cases) / sizeof(fold_cases[0]));
}

static void
test_email(void)
{
	char local[80], addr[400];
	struct crm_buf b;
	const char *why;
	size_t i;
	int rc;

	run_str("email", crm_norm_email, email_cases,
	    sizeof(email_cases) / sizeof(email_cases[0]));

	/* Length limits: local part 64, label 63, domain 253. */
	crm_buf_init(&b);
	memset(local, 'a', 64);
	snprintf(addr, sizeof(addr), "%.64s@x.com", local);
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_OK(rc == 0 && b.len == 70, "email local part of 64 bytes");
	snprintf(addr, sizeof(addr), "%.64sb@x.com", local);
	crm_buf_reset(&b);
	why = NULL;
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_STR(rc == -1 ? why : "ok", "local part of e-mail address too long",
	    "email local part of 65 bytes");
	snprintf(addr, sizeof(addr), "a@%.63s.com", local);
	crm_buf_reset(&b);
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_OK(rc == 0, "email domain label of 63 bytes");
	snprintf(addr, sizeof(addr), "a@%.64s.com", local);
	crm_buf_reset(&b);
	why = NULL;
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_STR(rc == -1 ? why : "ok", "label of e-mail domain too long",
	    "email domain label of 64 bytes");

	/* "a@" then 63 labels "x." and "com": 126 + 3 = 129 bytes. */
	memcpy(addr, "a@", 2);
	for (i = 0; i < 125; i++)
		memcpy(addr + 2 + 2 * i, "x.", 2);
	memcpy(addr + 252, "co", 3); /* domain of 250 + 2 = 252 bytes */
	crm_buf_reset(&b);
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_OK(rc == 0, "email domain of 252 bytes");
	memcpy(addr + 252, "com", 4); /* 253 bytes */
	crm_buf_reset(&b);
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_OK(rc == 0, "email domain of 253 bytes");
	memcpy(addr + 252, "comx", 5); /* 254 bytes */
	crm_buf_reset(&b);
	why = NULL;
	rc = crm_norm_email(&b, addr, strlen(addr), &why);
	TAP_STR(rc == -1 ? why : "ok", "domain of e-mail address too long",
	    "email domain of 254 bytes");
	crm_buf_release(&b);
}

static void
test_phone(void)
{
	struct crm_buf b;
	char got[256], want[256];
	const char *why;
	size_t i;
	int rc;

	crm_buf_init(&b);
	for (i = 0; i < sizeof(phone_cases) / sizeof(phone_cases[0]); i++) {
		crm_buf_reset(&b);
		if (crm_buf_adds(&b, PREFIX) == -1)
			abort();
		why = "unset";
		rc = crm_norm_phone(&b, phone_cases[i].in,
		    strlen(phone_cases[i].in), phone_cases[i].region, &why);
		result(got, sizeof(got), &b, rc, why);
		expect_text(want, sizeof(want), phone_cases[i].want,
		    phone_cases[i].why);
		TAP_STR(got, want, "phone '%s' region %s",
		    show(phone_cases[i].in, strlen(phone_cases[i].in)),
		    phone_cases[i].region == NULL ? "(default)"
						  : phone_cases[i].region);
	}

	/* A slice: only the first 11 bytes are the number. */
	crm_buf_reset(&b);
	rc = crm_norm_phone(&b, "13800138000999", 11, NULL, &why);
	TAP_STR(
	    rc == 0 ? b.p : why, "13800138000", "phone reads only len bytes");
	crm_buf_release(&b);
}

static void
test_region(void)
{
	static const char *const known[] = { "CN", "HK", "MO", "TW", "US", "CA",
		"GB", "IE", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT",
		"SE", "NO", "DK", "FI", "PL", "PT", "RU", "JP", "KR", "SG",
		"MY", "TH", "VN", "PH", "ID", "IN", "AU", "NZ", "BR", "MX",
		"AR", "ZA", "AE", "SA", "TR", "IL", "EG", "NG" };
	static const char *const unknown[] = { "XX", "", "C", "USA", "ZZ", "1",
		"c1", "AA", "ZZZ" };
	char lower[3];
	size_t i;
	int all = 1, lower_ok = 1;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!crm_norm_region_known(known[i])) {
			all = 0;
			printf("# region %s unknown\n", known[i]);
		}
		lower[0] = (char)(known[i][0] - 'A' + 'a');
		lower[1] = (char)(known[i][1] - 'A' + 'a');
		lower[2] = '\0';
		if (!crm_norm_region_known(lower)) {
			lower_ok = 0;
			printf("# region %s unknown\n", lower);
		}
	}
	TAP_OK(all, "region: all %zu required regions known",
	    sizeof(known) / sizeof(known[0]));
	TAP_OK(lower_ok, "region: lower-case codes known");
	TAP_OK(crm_norm_region_known("Us") == 1, "region: mixed case 'Us'");
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		TAP_OK(crm_norm_region_known(unknown[i]) == 0,
		    "region: '%s' unknown", unknown[i]);
	TAP_OK(crm_norm_region_known(NULL) == 0, "region: NULL is no code");
}

static void
test_date(void)
{
	static const char *const orders[] = { "strict", "dmy", "mdy" };
	struct crm_buf b;
	char got[256], want[256];
	const char *why;
	size_t i;
	int rc;

	crm_buf_init(&b);
	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		crm_buf_reset(&b);
		if (crm_buf_adds(&b, PREFIX) == -1)
			abort();
		why = "unset";
		rc = crm_norm_date(&b, date_cases[i].in,
		    strlen(date_cases[i].in), date_cases[i].order, &why);
		result(got, sizeof(got), &b, rc, why);
		expect_text(
		    want, sizeof(want), date_cases[i].want, date_cases[i].why);
		TAP_STR(got, want, "date '%s' %s",
		    show(date_cases[i].in, strlen(date_cases[i].in)),
		    orders[date_cases[i].order]);
	}

	/* A slice: the time after the date is not part of the value. */
	crm_buf_reset(&b);
	rc = crm_norm_date(&b, "2024-03-05T10:20", 10, CRM_DATE_STRICT, &why);
	TAP_STR(rc == 0 ? b.p : why, "2024-03-05", "date reads only len bytes");
	crm_buf_release(&b);
}

static void
test_utf8(void)
{
	size_t i, len, bad;
	int rc;

	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		len = utf8_cases[i].len != 0 ? utf8_cases[i].len
					     : strlen(utf8_cases[i].in);
		bad = (size_t)-1;
		rc = crm_utf8_check(utf8_cases[i].in, len, &bad);
		if (utf8_cases[i].valid)
			TAP_OK(rc == 1 && bad == (size_t)-1, "utf8 '%s' valid",
			    show(utf8_cases[i].in, len));
		else
			TAP_OK(rc == 0 && bad == utf8_cases[i].bad,
			    "utf8 '%s' invalid at %zu (got %d at %zu)",
			    show(utf8_cases[i].in, len), utf8_cases[i].bad, rc,
			    bad);
	}
	rc = crm_utf8_check("\xc0\x80", 2, NULL);
	TAP_OK(rc == 0, "utf8 bad may be NULL");
	rc = crm_utf8_check("\xe4\xb8\xad", 2, NULL);
	TAP_OK(rc == 0, "utf8 reads only len bytes");
}

/* Inputs longer than the stack array of the Unicode path. */
static void
test_long(void)
{
	struct crm_buf b;
	char *in, *want;
	const char *why;
	size_t i, n = 1000;
	int rc, same;

	if ((in = malloc(n * 3 + 8)) == NULL || (want = malloc(n + 1)) == NULL)
		abort();
	/* 1000 full-width 'Ａ' (U+FF21) surrounded by ideographic spaces. */
	memcpy(in, "\xe3\x80\x80", 3);
	for (i = 0; i < n; i++)
		memcpy(in + 3 + 3 * i, "\xef\xbc\xa1", 3);
	memcpy(in + 3 + 3 * n, "\xe3\x80\x80", 3);
	memset(want, 'A', n);
	want[n] = '\0';
	crm_buf_init(&b);
	rc = crm_norm_text(&b, in, 3 * n + 6, &why);
	same = rc == 0 && b.len == n && memcmp(b.p, want, n + 1) == 0;
	TAP_OK(same, "text of 1000 full-width letters");

	memset(want, 'a', n);
	crm_buf_reset(&b);
	rc = crm_norm_fold(&b, in, 3 * n + 6, &why);
	same = rc == 0 && b.len == n && memcmp(b.p, want, n + 1) == 0;
	TAP_OK(same, "fold of 1000 full-width letters");

	/* The same with a bad byte at the end: out stays empty. */
	in[3 * n + 5] = '\xff';
	crm_buf_reset(&b);
	why = NULL;
	rc = crm_norm_text(&b, in, 3 * n + 6, &why);
	TAP_STR(rc == -1 && b.len == 0 ? why : "ok", "invalid utf-8",
	    "text of 1000 letters then a bad byte");

	/* 1000 ASCII words. */
	for (i = 0; i < n; i++)
		in[i] = i % 5 == 4 ? ' ' : 'a';
	crm_buf_reset(&b);
	rc = crm_norm_text(&b, in, n, &why);
	same = rc == 0 && b.len == n - 1 && b.p[n - 2] == 'a';
	TAP_OK(same, "text of 1000 ASCII bytes");
	crm_buf_release(&b);
	free(in);
	free(want);
}

/* Every printable ASCII byte through the byte loop of text and fold. */
static void
test_ascii(void)
{
	struct crm_buf b;
	char in[95], low[95];
	const char *why;
	int c, rc, same;

	for (c = 0x21; c <= 0x7f; c++) {
		in[c - 0x21] = (char)c;
		low[c - 0x21] =
		    (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	crm_buf_init(&b);
	rc = crm_norm_text(&b, in, sizeof(in), &why);
	same = rc == 0 && b.len == sizeof(in) && memcmp(b.p, in, b.len) == 0;
	TAP_OK(same, "text keeps every printable ASCII byte");
	crm_buf_reset(&b);
	rc = crm_norm_fold(&b, in, sizeof(in), &why);
	same = rc == 0 && b.len == sizeof(in) && memcmp(b.p, low, b.len) == 0;
	TAP_OK(same, "fold lower-cases A-Z and keeps the other ASCII bytes");
	crm_buf_reset(&b);
	rc = crm_norm_email(&b, "A@B.CO", 6, &why);
	TAP_STR(rc == 0 ? b.p : why, "a@b.co", "email lower-cases ASCII");
	crm_buf_release(&b);
}

/*
 * ASCII text takes a shortcut when normalizing would change nothing,
 * checked eight bytes at a time: random strings that cross those words at
 * every position, with spaces, controls and capitals anywhere, must come
 * out as the plain definition says (white space collapsed and trimmed,
 * and A-Z lower-cased for fold).
 */
static void
test_ascii_random(void)
{
	static const char alpha[] = { 'a', 'Z', 'q', '7', '-', ' ', ' ', '\t',
		'\r', '\n', '\x01', '\x7f' };
	struct crm_buf in, got, want;
	const char *why;
	unsigned seed = 7;
	int i, k, n, fold, bad = 0, sp;
	char c;

	crm_buf_init(&in);
	crm_buf_init(&got);
	crm_buf_init(&want);
	for (i = 0; i < 4000; i++) {
		fold = i & 1;
		crm_buf_reset(&in);
		n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 26;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			/* Mostly letters, so that many strings are clean. */
			c = alpha[(seed >> 16) % ((seed >> 8) % 4 ? 5 : 12)];
			crm_buf_addc(&in, c);
		}
		crm_buf_reset(&want);
		sp = 0;
		for (k = 0; k < n; k++) {
			c = in.p[k];
			if (c == ' ' || (c >= '\t' && c <= '\r')) {
				sp = want.len > 0;
				continue;
			}
			if (sp)
				crm_buf_addc(&want, ' ');
			sp = 0;
			crm_buf_addc(&want,
			    fold && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		}
		crm_buf_reset(&got);
		if ((fold ? crm_norm_fold : crm_norm_text)(
			&got, in.p ? in.p : "", in.len, &why) == -1 ||
		    got.len != want.len ||
		    memcmp(got.p ? got.p : "", want.p ? want.p : "",
			want.len) != 0) {
			if (bad++ == 0)
				printf("#   '%s' (fold %d): got '%s', want "
				       "'%s'\n",
				    in.p, fold, got.p, want.p);
		}
	}
	TAP_OK(bad == 0, "ASCII text, random: as defined (%d bad)", bad);
	crm_buf_release(&in);
	crm_buf_release(&got);
	crm_buf_release(&want);
}

/*
 * The path for Chinese text without utf8proc must agree with utf8proc's
 * NFKC: random strings over ASCII, ideographs, ideographic punctuation and
 * space, and full-width forms, against utf8proc_NFKC plus trimming and
 * collapsing white space.
 */
static void
test_cjk_fast(void)
{
	static const char *const alpha[] = { "a", "Z", "7", " ", "\t", ",",
		"\xe5\xbc\xa0", "\xe4\xbc\x9f", "\xe3\x80\x82", "\xe3\x80\x81",
		"\xe3\x80\x80", "\xef\xbc\x8c", "\xef\xbc\x9a", "\xef\xbc\x88",
		"\xef\xbc\xa1", "\xef\xbc\x91", "\xef\xbd\x9e",
		"\xe4\xb8\x80" };
	struct crm_buf in, got, want;
	const char *why;
	unsigned seed = 1;
	int i, k, n, bad = 0, sp;
	utf8proc_uint8_t *nfkc, *q;

	crm_buf_init(&in);
	crm_buf_init(&got);
	crm_buf_init(&want);
	for (i = 0; i < 500; i++) {
		crm_buf_reset(&in);
		n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 12;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			crm_buf_adds(&in, alpha[(seed >> 16) % 18]);
		}
		crm_buf_reset(&got);
		if (crm_norm_text(&got, in.p ? in.p : "", in.len, &why) == -1)
			bad++;
		nfkc =
		    utf8proc_NFKC((const utf8proc_uint8_t *)(in.p ? in.p : ""));
		crm_buf_reset(&want);
		sp = 0;
		for (q = nfkc; *q != '\0'; q++) {
			if (*q == ' ' || *q == '\t') {
				sp = want.len > 0;
				continue;
			}
			if (sp)
				crm_buf_addc(&want, ' ');
			sp = 0;
			crm_buf_addc(&want, *q);
		}
		free(nfkc);
		if (strcmp(got.p ? got.p : "", want.p ? want.p : "") != 0) {
			if (bad++ == 0)
				printf("#   '%s': got '%s', NFKC '%s'\n", in.p,
				    got.p, want.p);
		}
	}
	TAP_OK(bad == 0, "Chinese text path agrees with utf8proc NFKC (%d bad)",
	    bad);
	crm_buf_release(&in);
	crm_buf_release(&got);
	crm_buf_release(&want);
}

int
main(void)
{
	TAP_OK(crm_utf8_count("", 0) == 0 && crm_utf8_count("abc", 3) == 3 &&
		   crm_utf8_count("\xe7\x8e\x8b\xe8\x8a\xb3 x", 8) == 4,
	    "crm_utf8_count counts characters, not bytes");
	test_cjk_fast();
	test_text();
	test_fold();
	test_email();
	test_phone();
	test_region();
	test_date();
	test_utf8();
	test_long();
	test_ascii();
	test_ascii_random();
	return tap_done();
}
