/*
 * json: the parser of one JSONL record, a JSON object, into record fields.
 *
 * Written here rather than taken from jansson because a record filter must hand every value on unchanged: jansson turns numbers into int64 or double, so an order
 * number of 20 digits fails to load and 1.10 comes back as 1.1, and it
 * builds a tree per line that the record would then copy again.  This
 * parser keeps numbers and nested values as their original text (a nested
 * value less its CRs and LFs, which can only be white space), decodes
 * strings straight into the record, and follows RFC 8259 strictly (the
 * JSONTestSuite files in tests/ check it).  Nesting deeper than
 * CRM_JSON_MAX_DEPTH is refused instead of exhausting the stack.
 *
 * Time is linear in the text: a member name is looked up among the
 * record's fields (a repeated name takes the last value) through a hash
 * index once the record has more than a few fields, and a member that
 * would make more than CRM_MAX_FIELDS fields fails the record at once,
 * before the rest of the object is parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <xxhash.h>

#include "buf.h"
#include "norm.h"
#include "rec.h"
#include "rec_int.h"

#define CRM_JSON_MAX_DEPTH 512
/* Fewer fields than this are looked up by a scan, faster than hashing. */
#define CRM_JSON_INDEX_MIN 16

struct parse {
	const char *p;	    /* next byte */
	const char *start;  /* the whole text, for offsets in messages */
	const char *end;    /* one past the last byte */
	struct crm_buf key; /* the current member name, decoded */
	struct crm_buf str; /* the current string value, decoded */
	struct crm_err *e;
	size_t *slot;  /* open addressing: field index + 1, or 0 when empty */
	size_t nslot;  /* a power of two, or 0 before the first index */
	size_t nindex; /* fields 0 .. nindex-1 of the record are in slot */
};

static int fail(struct parse *, const char *);
static void skip_ws(struct parse *);
static int parse_string(struct parse *, struct crm_buf *);
static int parse_number(struct parse *);
static int skip_value(struct parse *, int);
static int literal(struct parse *, const char *, size_t);

static int
fail(struct parse *ps, const char *what)
{
	if (ps->p >= ps->end)
		return crm_err_set(
		    ps->e, EX_DATAERR, "bad JSON: %s at end", what);
	return crm_err_set(ps->e, EX_DATAERR, "bad JSON: %s at byte %zu", what,
	    (size_t)(ps->p - ps->start) + 1);
}

static void
skip_ws(struct parse *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				      *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *s, unsigned *v)
{
	unsigned x = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

static int
put_utf8(struct crm_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return crm_buf_add(b, u, n);
}

/* Decode the string at p (on its opening quote) into out (when not NULL). */
static int
parse_string(struct parse *ps, struct crm_buf *out)
{
	const char *run;
	unsigned cp, lo;
	size_t bad;

	ps->p++;
	for (;;) {
		run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			ps->p++;
		if (ps->p > run) {
			if (!crm_utf8_check(run, (size_t)(ps->p - run), &bad)) {
				ps->p = run + bad;
				return fail(ps, "invalid UTF-8 in string");
			}
			if (out != NULL &&
			    crm_buf_add(out, run, (size_t)(ps->p - run)) == -1)
				return crm_err_set(
				    ps->e, EX_SOFTWARE, "out of memory");
		}
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		if (*ps->p == '"') {
			ps->p++;
			return 0;
		}
		if (*ps->p != '\\')
			return fail(ps, "control character in string");
		if (ps->end - ps->p < 2)
			return fail(ps, "unterminated string");
		ps->p++;
		switch (*ps->p) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)*ps->p;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (ps->end - ps->p < 5 || hex4(ps->p + 1, &cp) == -1)
				return fail(ps, "bad \\u escape");
			ps->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(ps, "lone surrogate in \\u escape");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 7 || ps->p[1] != '\\' ||
				    ps->p[2] != 'u' ||
				    hex4(ps->p + 3, &lo) == -1 || lo < 0xdc00 ||
				    lo > 0xdfff)
					return fail(ps, "lone surrogate in \\u "
							"escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				ps->p += 6;
			}
			break;
		default:
			return fail(ps, "bad escape in string");
		}
		ps->p++;
		if (out != NULL && put_utf8(out, cp) == -1)
			return crm_err_set(ps->e, EX_SOFTWARE, "out of memory");
	}
}

static int
digits(struct parse *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > s ? 0 : -1;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
parse_number(struct parse *ps)
{
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (digits(ps) == -1)
		return fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (digits(ps) == -1)
			return fail(ps, "bad number");
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (digits(ps) == -1)
			return fail(ps, "bad number");
	}
	if (ps->p < ps->end &&
	    (*ps->p == '.' || (*ps->p >= '0' && *ps->p <= '9')))
		return fail(ps, "bad number");
	return 0;
}

static int
literal(struct parse *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "unexpected character");
	ps->p += n;
	return 0;
}

/* Check one value of any kind, nested depth levels deep, and step over it. */
static int
skip_value(struct parse *ps, int depth)
{
	char close;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "missing value");
	switch (*ps->p) {
	case '"':
		return parse_string(ps, NULL);
	case 't':
		return literal(ps, "true", 4);
	case 'f':
		return literal(ps, "false", 5);
	case 'n':
		return literal(ps, "null", 4);
	case '{':
	case '[':
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
		return fail(ps, "unexpected character");
	}
	if (depth >= CRM_JSON_MAX_DEPTH)
		return fail(ps, "nesting too deep");
	close = *ps->p == '{' ? '}' : ']';
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected member name");
			if (parse_string(ps, NULL) == -1)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		if (skip_value(ps, depth + 1) == -1)
			return -1;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unterminated object or array");
		if (*ps->p == close) {
			ps->p++;
			return 0;
		}
		if (*ps->p != ',')
			return fail(ps, "expected ',' or end of object or "
					"array");
		ps->p++;
	}
}

static size_t
key_hash(const struct parse *ps, const char *name, size_t len)
{
	return (size_t)XXH3_64bits(name, len) & (ps->nslot - 1);
}

/*
 * Bring the index up to the record's fields, growing it to keep it at
 * most half full.  Returns -1 when out of memory.
 */
static int
index_fields(struct parse *ps, const struct crm_rec *r)
{
	const struct crm_field *f;
	size_t h;

	if (ps->nslot < 2 * (r->n + 1)) {
		size_t n = ps->nslot > 0 ? ps->nslot : 64;

		while (n < 2 * (r->n + 1))
			n *= 2;
		free(ps->slot);
		if ((ps->slot = calloc(n, sizeof(*ps->slot))) == NULL) {
			ps->nslot = ps->nindex = 0;
			return -1;
		}
		ps->nslot = n;
		ps->nindex = 0;
	}
	for (; ps->nindex < r->n; ps->nindex++) {
		f = &r->f[ps->nindex];
		h = key_hash(ps, r->data.p + f->name_off, f->name_len);
		while (ps->slot[h] != 0)
			h = (h + 1) & (ps->nslot - 1);
		ps->slot[h] = ps->nindex + 1;
	}
	return 0;
}

/*
 * The index of the field named name, -1 when there is none, or -2 when
 * out of memory.
 */
static long
find_field(
    struct parse *ps, const struct crm_rec *r, const char *name, size_t len)
{
	const struct crm_field *f;
	size_t h;

	if (r->n < CRM_JSON_INDEX_MIN)
		return crm_rec_find(r, name, len);
	if (index_fields(ps, r) == -1)
		return -2;
	for (h = key_hash(ps, name, len); ps->slot[h] != 0;
	     h = (h + 1) & (ps->nslot - 1)) {
		f = &r->f[ps->slot[h] - 1];
		if (f->name_len == len &&
		    memcmp(r->data.p + f->name_off, name, len) == 0)
			return (long)(ps->slot[h] - 1);
	}
	return -1;
}

/* The JSON text v[0..len) without its CRs and LFs, into b. */
static int
one_line(struct crm_buf *b, const char *v, size_t len)
{
	size_t i, from = 0;

	crm_buf_reset(b);
	for (i = 0; i <= len; i++)
		if (i == len || v[i] == '\n' || v[i] == '\r') {
			if (i > from &&
			    crm_buf_add(b, v + from, i - from) == -1)
				return -1;
			from = i + 1;
		}
	return 0;
}

/* Parse the member value at p and store it under the name in ps->key. */
static int
member_value(struct parse *ps, struct crm_rec *r)
{
	const char *s;
	const char *v;
	size_t vlen;
	enum crm_type t;
	long at;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "missing value");
	s = ps->p;
	switch (*s) {
	case '"':
		crm_buf_reset(&ps->str);
		if (parse_string(ps, &ps->str) == -1)
			return -1;
		v = ps->str.p != NULL ? ps->str.p : "";
		vlen = ps->str.len;
		t = CRM_STRING;
		break;
	case '{':
	case '[':
		if (skip_value(ps, 1) == -1)
			return -1;
		v = s;
		vlen = (size_t)(ps->p - s);
		t = CRM_JSON;
		/*
		 * A pretty-printed array's nested value spans lines.  JSON
		 * has no raw CR or LF inside a string, so each is white
		 * space between tokens: dropped here, where every output
		 * (JSONL, CSV, TSV, the store) and every filter gets the
		 * value, so that a record stays on one line.
		 */
		if (memchr(v, '\n', vlen) != NULL ||
		    memchr(v, '\r', vlen) != NULL) {
			if (one_line(&ps->str, v, vlen) == -1)
				return crm_err_set(
				    ps->e, EX_SOFTWARE, "out of memory");
			v = ps->str.p;
			vlen = ps->str.len;
		}
		break;
	case 't':
	case 'f':
	case 'n':
		if (skip_value(ps, 1) == -1)
			return -1;
		v = "";
		vlen = 0;
		t = *s == 't' ? CRM_TRUE : *s == 'f' ? CRM_FALSE : CRM_NULL;
		break;
	default:
		if (skip_value(ps, 1) == -1)
			return -1;
		v = s;
		vlen = (size_t)(ps->p - s);
		t = CRM_NUMBER;
		break;
	}
	/* A repeated name keeps its first place and takes the last value. */
	at = find_field(ps, r, ps->key.p != NULL ? ps->key.p : "", ps->key.len);
	if (at == -2)
		return crm_err_set(ps->e, EX_SOFTWARE, "out of memory");
	if (at == -1 && r->n >= CRM_MAX_FIELDS)
		return crm_err_set(
		    ps->e, EX_DATAERR, "more than %d fields", CRM_MAX_FIELDS);
	if (at >= 0 ? crm_rec_set(r, (size_t)at, v, vlen, t) == -1
		    : crm_rec_add(r, ps->key.p != NULL ? ps->key.p : "",
			  ps->key.len, v, vlen, t) == -1)
		return crm_err_set(ps->e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_json_parse_object(
    struct crm_rec *r, const char *text, size_t len, struct crm_err *e)
{
	struct parse ps;
	int rc = -1;

	ps.p = ps.start = text;
	ps.end = text + len;
	ps.e = e;
	ps.slot = NULL;
	ps.nslot = ps.nindex = 0;
	crm_buf_init(&ps.key);
	crm_buf_init(&ps.str);
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{') {
		fail(&ps, "record is not a JSON object");
		goto out;
	}
	ps.p++;
	skip_ws(&ps);
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
	} else {
		for (;;) {
			skip_ws(&ps);
			if (ps.p >= ps.end || *ps.p != '"') {
				fail(&ps, "expected member name");
				goto out;
			}
			crm_buf_reset(&ps.key);
			if (parse_string(&ps, &ps.key) == -1)
				goto out;
			skip_ws(&ps);
			if (ps.p >= ps.end || *ps.p != ':') {
				fail(&ps, "expected ':'");
				goto out;
			}
			ps.p++;
			if (member_value(&ps, r) == -1)
				goto out;
			skip_ws(&ps);
			if (ps.p < ps.end && *ps.p == ',') {
				ps.p++;
				continue;
			}
			if (ps.p < ps.end && *ps.p == '}') {
				ps.p++;
				break;
			}
			fail(&ps, "expected ',' or '}'");
			goto out;
		}
	}
	skip_ws(&ps);
	if (ps.p < ps.end) {
		fail(&ps, "text after the object");
		goto out;
	}
	rc = 0;
out:
	free(ps.slot);
	crm_buf_release(&ps.key);
	crm_buf_release(&ps.str);
	return rc;
}

int
crm_json_array_next(const char *text, size_t len, size_t *off, const char **el,
    size_t *elen, struct crm_err *e)
{
	struct parse ps;
	const char *start;
	int first = *off == 0;

	memset(&ps, 0, sizeof(ps));
	ps.start = text;
	ps.p = text + *off;
	ps.end = text + len;
	ps.e = e;
	skip_ws(&ps);
	if (first) {
		if (ps.p >= ps.end || *ps.p != '[')
			return fail(&ps, "not a JSON array");
		ps.p++;
		skip_ws(&ps);
	}
	if (ps.p < ps.end && *ps.p == ']' && (first || *off < len)) {
		ps.p++;
		skip_ws(&ps);
		if (ps.p < ps.end)
			return fail(&ps, "text after the array");
		*off = len;
		return 0;
	}
	if (!first) {
		if (ps.p >= ps.end || *ps.p != ',')
			return fail(&ps, "expected ',' or ']'");
		ps.p++;
	}
	skip_ws(&ps);
	start = ps.p;
	if (skip_value(&ps, 1) == -1)
		return -1;
	*el = start;
	*elen = (size_t)(ps.p - start);
	*off = (size_t)(ps.p - text);
	return 1;
}
