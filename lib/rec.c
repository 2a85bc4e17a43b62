/*
 * rec: the record type and the writer of CSV, TSV and JSONL.  A record keeps
 * all its names and values in one byte arena (data) with an index of
 * offsets, so that reading a record reuses the same two allocations and
 * memory stays flat while streaming.  The readers live in read.c and json.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "rec.h"
#include "rec_int.h"
#include "swar.h"

struct crm_rec *
crm_rec_new(void)
{
	struct crm_rec *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	crm_buf_init(&r->data);
	crm_buf_init(&r->raw);
	return r;
}

void
crm_rec_free(struct crm_rec *r)
{
	if (r == NULL)
		return;
	free(r->f);
	crm_buf_release(&r->data);
	crm_buf_release(&r->raw);
	free(r);
}

/* The last names id drawn; atomic, as readers may run in threads. */
static atomic_ulong names_last;

unsigned long
crm_rec_names_new(void)
{
	return atomic_fetch_add(&names_last, 1) + 1;
}

void
crm_rec_clear(struct crm_rec *r)
{
	r->n = 0;
	r->line = 0;
	r->names = 0;
	crm_buf_reset(&r->data);
	crm_buf_reset(&r->raw);
}

size_t
crm_rec_count(const struct crm_rec *r)
{
	return r->n;
}

const char *
crm_rec_name(const struct crm_rec *r, size_t i, size_t *len)
{
	if (len != NULL)
		*len = r->f[i].name_len;
	return r->data.p + r->f[i].name_off;
}

const char *
crm_rec_value(const struct crm_rec *r, size_t i, size_t *len)
{
	if (len != NULL)
		*len = r->f[i].val_len;
	return r->data.p + r->f[i].val_off;
}

enum crm_type
crm_rec_type(const struct crm_rec *r, size_t i)
{
	return r->f[i].type;
}

unsigned long
crm_rec_names_id(const struct crm_rec *r)
{
	return r->names;
}

long
crm_rec_find(const struct crm_rec *r, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->f[i].name_len == len &&
		    memcmp(r->data.p + r->f[i].name_off, name, len) == 0)
			return (long)i;
	return -1;
}

long
crm_rec_find_trimmed(const struct crm_rec *r, const char *name)
{
	size_t i, len, n = strlen(name);
	const char *s;

	for (i = 0; i < r->n; i++) {
		s = r->data.p + r->f[i].name_off;
		len = r->f[i].name_len;
		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == n && memcmp(s, name, n) == 0)
			return (long)i;
	}
	return -1;
}

const char *
crm_rec_text(const struct crm_rec *r, const char *name, size_t *len)
{
	long i = crm_rec_find(r, name, strlen(name));
	const char *v;

	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return NULL;
	v = crm_rec_value(r, (size_t)i, len);
	return *len > 0 ? v : NULL;
}

/*
 * Append bytes to the arena, NUL-terminated, and return their offset in
 * *off.  src may point into the arena itself: without growth the copy
 * lands past the bytes in use, so it cannot overlap its source; with
 * growth the source is found again by its offset.
 */
static int
arena_put(struct crm_rec *r, const char *src, size_t len, size_t *off)
{
	size_t inside = SIZE_MAX;

	if (r->data.cap - r->data.len < len + 1) {
		if (r->data.p != NULL && src >= r->data.p &&
		    src < r->data.p + r->data.len)
			inside = (size_t)(src - r->data.p);
		if (crm_buf_grow(&r->data, len + 1) == -1)
			return -1;
		if (inside != SIZE_MAX)
			src = r->data.p + inside;
	}
	*off = r->data.len;
	if (len > 0)
		memcpy(r->data.p + r->data.len, src, len);
	r->data.len += len;
	r->data.p[r->data.len++] = '\0';
	return 0;
}

int
crm_rec_add(struct crm_rec *r, const char *name, size_t nlen, const char *val,
    size_t vlen, enum crm_type type)
{
	struct crm_field *f;
	size_t cap;

	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 16;
		f = crm_reallocarray(r->f, cap, sizeof(*f));
		if (f == NULL)
			return -1;
		r->f = f;
		r->cap = cap;
	}
	f = &r->f[r->n];
	if (arena_put(r, name, nlen, &f->name_off) == -1 ||
	    arena_put(r, val, vlen, &f->val_off) == -1)
		return -1;
	f->name_len = nlen;
	f->val_len = vlen;
	f->type = type;
	r->n++;
	r->names = 0;
	return 0;
}

int
crm_rec_set(struct crm_rec *r, size_t i, const char *val, size_t vlen,
    enum crm_type type)
{
	size_t off;

	if (arena_put(r, val, vlen, &off) == -1)
		return -1;
	r->f[i].val_off = off;
	r->f[i].val_len = vlen;
	r->f[i].type = type;
	return 0;
}

int
crm_rec_copy(struct crm_rec *dst, const struct crm_rec *src)
{
	struct crm_field *f;

	if (src->n > dst->cap) {
		f = crm_reallocarray(dst->f, src->n, sizeof(*f));
		if (f == NULL)
			return -1;
		dst->f = f;
		dst->cap = src->n;
	}
	if (src->n > 0)
		memcpy(dst->f, src->f, src->n * sizeof(*f));
	dst->n = src->n;
	dst->line = src->line;
	dst->names = src->names;
	crm_buf_reset(&dst->data);
	crm_buf_reset(&dst->raw);
	return crm_buf_add(&dst->data, src->data.p, src->data.len);
}

/* What crm_rec_pack writes first, then the fields, then the data. */
struct packed {
	unsigned long line;
	size_t n;
	size_t len;
};

int
crm_rec_pack(const struct crm_rec *r, struct crm_buf *b)
{
	struct packed h = { r->line, r->n, r->data.len };

	if (crm_buf_grow(b, sizeof(h) + r->n * sizeof(*r->f) + h.len) == -1)
		return -1;
	crm_buf_add(b, &h, sizeof(h));
	crm_buf_add(b, r->f, r->n * sizeof(*r->f));
	crm_buf_add(b, r->data.p, h.len);
	return 0;
}

size_t
crm_rec_unpack(struct crm_rec *r, const char *p)
{
	struct packed h;
	struct crm_field *f;

	memcpy(&h, p, sizeof(h));
	if (h.n > r->cap) {
		if ((f = crm_reallocarray(r->f, h.n, sizeof(*f))) == NULL)
			return 0;
		r->f = f;
		r->cap = h.n;
	}
	crm_rec_clear(r);
	if (h.n > 0) /* r->f is NULL until a record has fields */
		memcpy(r->f, p + sizeof(h), h.n * sizeof(*f));
	if (crm_buf_add(&r->data, p + sizeof(h) + h.n * sizeof(*f), h.len) ==
	    -1)
		return 0;
	r->n = h.n;
	r->line = h.line;
	return sizeof(h) + h.n * sizeof(*f) + h.len;
}

void
crm_rec_remove(struct crm_rec *r, size_t i)
{
	if (i >= r->n)
		return;
	memmove(&r->f[i], &r->f[i + 1], (r->n - i - 1) * sizeof(r->f[0]));
	r->n--;
	r->names = 0;
}

int
crm_rec_rename(struct crm_rec *r, size_t i, const char *name, size_t len)
{
	size_t off;

	if (arena_put(r, name, len, &off) == -1)
		return -1;
	r->f[i].name_off = off;
	r->f[i].name_len = len;
	r->names = 0;
	return 0;
}

unsigned long
crm_rec_line(const struct crm_rec *r)
{
	return r->line;
}

void
crm_rec_set_line(struct crm_rec *r, unsigned long line)
{
	r->line = line;
}

const char *
crm_rec_raw(const struct crm_rec *r, size_t *len)
{
	*len = r->raw.len;
	return r->raw.p != NULL ? r->raw.p : "";
}

int
crm_rec_set_raw(struct crm_rec *r, const char *p, size_t len)
{
	crm_buf_reset(&r->raw);
	return crm_buf_add(&r->raw, p, len);
}

/* ==== Position cache ==== */

int
crm_poscache_get(
    struct crm_poscache *c, const struct crm_rec *r, size_t i, long *val)
{
	const struct crm_field *f = &r->f[i];
	struct crm_poscache_slot *s;

	if (i >= c->n || (s = &c->slot[i])->name == NULL)
		return 0;
	if (r->names == 0 || s->names != r->names) {
		if (s->len != f->name_len ||
		    memcmp(s->name, r->data.p + f->name_off, f->name_len) != 0)
			return 0;
		s->names = r->names;
	}
	*val = s->val;
	return 1;
}

int
crm_poscache_set(
    struct crm_poscache *c, const struct crm_rec *r, size_t i, long val)
{
	const struct crm_field *f = &r->f[i];
	struct crm_poscache_slot *s;
	char *name;

	if (i >= c->n) {
		s = crm_reallocarray(c->slot, i + 1, sizeof(*s));
		if (s == NULL)
			return -1;
		memset(s + c->n, 0, (i + 1 - c->n) * sizeof(*s));
		c->slot = s;
		c->n = i + 1;
	}
	if ((name = malloc(f->name_len + 1)) == NULL)
		return -1;
	memcpy(name, r->data.p + f->name_off, f->name_len);
	name[f->name_len] = '\0';
	free(c->slot[i].name);
	c->slot[i].name = name;
	c->slot[i].len = f->name_len;
	c->slot[i].val = val;
	c->slot[i].names = r->names;
	return 0;
}

void
crm_poscache_release(struct crm_poscache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->slot[i].name);
	free(c->slot);
	c->slot = NULL;
	c->n = 0;
}

/* ==== Quoting ==== */

/* The bytes that make a CSV field need quotes. */
static const unsigned char csv_special[256] = {
	['\n'] = 1,
	['\r'] = 1,
	['"'] = 1,
	[','] = 1,
};

/*
 * The length of the longest start of s[0..n) with no byte that needs
 * quoting or escaping: for CSV a comma, a quote or a line break; for
 * JSON (json set) a quote, a backslash or a control character.  Most
 * values have none, so the scan goes eight bytes at a time.
 */
static size_t
plain_len(const unsigned char *s, size_t n, int json)
{
	size_t i = 0;
#if CRM_SWAR
	uint64_t w, m;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		if (json)
			m = crm_swar_below(w, 0x20) | crm_swar_eq(w, '"') |
			    crm_swar_eq(w, '\\');
		else
			m = crm_swar_eq(w, ',') | crm_swar_eq(w, '"') |
			    crm_swar_eq(w, '\n') | crm_swar_eq(w, '\r');
		if (m != 0)
			break;
	}
#endif
	for (; i < n; i++)
		if (json ? s[i] < 0x20 || s[i] == '"' || s[i] == '\\'
			 : csv_special[s[i]])
			break;
	return i;
}

/* ==== JSON output ==== */

int
crm_json_quote(struct crm_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len, *run;

	if (crm_buf_addc(b, '"') == -1)
		return -1;
	while (p < end) {
		run = p;
		p += plain_len(p, (size_t)(end - p), 1);
		if (p > run && crm_buf_add(b, run, (size_t)(p - run)) == -1)
			return -1;
		if (p == end)
			break;
		switch (*p) {
		case '"':
			if (crm_buf_add(b, "\\\"", 2) == -1)
				return -1;
			break;
		case '\\':
			if (crm_buf_add(b, "\\\\", 2) == -1)
				return -1;
			break;
		case '\n':
			if (crm_buf_add(b, "\\n", 2) == -1)
				return -1;
			break;
		case '\r':
			if (crm_buf_add(b, "\\r", 2) == -1)
				return -1;
			break;
		case '\t':
			if (crm_buf_add(b, "\\t", 2) == -1)
				return -1;
			break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4],
				hex[*p & 15] };

			if (crm_buf_add(b, u, sizeof(u)) == -1)
				return -1;
			break;
		}
		}
		p++;
	}
	return crm_buf_addc(b, '"');
}

static int
json_value(struct crm_buf *b, const char *v, size_t len, enum crm_type t)
{
	switch (t) {
	case CRM_NULL:
		return crm_buf_add(b, "null", 4);
	case CRM_FALSE:
		return crm_buf_add(b, "false", 5);
	case CRM_TRUE:
		return crm_buf_add(b, "true", 4);
	case CRM_NUMBER:
	case CRM_JSON:
		return crm_buf_add(b, v, len);
	case CRM_STRING:
		break;
	}
	return crm_json_quote(b, v, len);
}

int
crm_rec_to_json(const struct crm_rec *r, struct crm_buf *b)
{
	return crm_rec_fields_to_json(r, NULL, r->n, 0, b);
}

int
crm_rec_fields_to_json(const struct crm_rec *r, const size_t *idx, size_t n,
    int flags, struct crm_buf *b)
{
	size_t i, k = 0;
	enum crm_type t;

	if (crm_buf_addc(b, '{') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const struct crm_field *f = &r->f[idx != NULL ? idx[i] : i];

		t = f->type;
		if ((flags & CRM_JSON_EMPTY_NULL) && t == CRM_STRING &&
		    f->val_len == 0)
			t = CRM_NULL;
		if ((flags & CRM_JSON_SKIP_NULL) && t == CRM_NULL)
			continue;
		if (k++ > 0 && crm_buf_addc(b, ',') == -1)
			return -1;
		if (crm_json_quote(b, r->data.p + f->name_off, f->name_len) ==
			-1 ||
		    crm_buf_addc(b, ':') == -1 ||
		    json_value(b, r->data.p + f->val_off, f->val_len, t) == -1)
			return -1;
	}
	return crm_buf_addc(b, '}');
}

/* ==== Writer ==== */

struct crm_writer {
	FILE *fp;
	enum crm_format fmt;
	struct crm_rec *header; /* CSV/TSV column names, NULL until fixed */
	unsigned long names;	/* names id of records with exactly those */
	size_t *slot;		/* header column -> field index, per record */
	struct crm_buf line;	/* the output line being built */
	unsigned long long put; /* records put */
	unsigned long long out; /* of those, records flushed to the file */
	int err;		/* errno of the first write that failed, or 0 */
	int excel;		/* BOM first, formula-like cells guarded */
};

struct crm_writer *
crm_writer_new(FILE *fp, enum crm_format fmt)
{
	struct crm_writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fp = fp;
	w->fmt = fmt == CRM_FMT_AUTO ? CRM_FMT_CSV : fmt;
	crm_buf_init(&w->line);
	return w;
}

void
crm_writer_free(struct crm_writer *w)
{
	if (w == NULL)
		return;
	crm_rec_free(w->header);
	free(w->slot);
	crm_buf_release(&w->line);
	free(w);
}

/* RFC 4180: quote a field holding a delimiter, quote or line break. */
static int
csv_field(struct crm_buf *b, const char *v, size_t len)
{
	const char *p = v, *end = v + len, *q;

	if (plain_len((const unsigned char *)v, len, 0) == len)
		return crm_buf_add(b, v, len);
	if (crm_buf_addc(b, '"') == -1)
		return -1;
	/* Each quote is written twice: copy the runs up to each one. */
	while ((q = memchr(p, '"', (size_t)(end - p))) != NULL) {
		if (crm_buf_add(b, p, (size_t)(q - p) + 1) == -1 ||
		    crm_buf_addc(b, '"') == -1)
			return -1;
		p = q + 1;
	}
	if (crm_buf_add(b, p, (size_t)(end - p)) == -1)
		return -1;
	return crm_buf_addc(b, '"');
}

/* TSV: tab, line breaks and backslash are written as \t \n \r \\. */
static int
tsv_field(struct crm_buf *b, const char *v, size_t len)
{
	size_t i;
	const char *esc;

	for (i = 0; i < len; i++) {
		switch (v[i]) {
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\\':
			esc = "\\\\";
			break;
		default:
			esc = NULL;
			break;
		}
		if (esc != NULL ? crm_buf_add(b, esc, 2) == -1
				: crm_buf_addc(b, v[i]) == -1)
			return -1;
	}
	return 0;
}

void
crm_writer_excel(struct crm_writer *w)
{
	w->excel = w->fmt != CRM_FMT_JSONL;
}

/*
 * Is v (len bytes) wholly a decimal number ("-5", "+86", "1.5e-3")?  A
 * spreadsheet reads such a cell as a number, never as a formula.
 */
static int
is_number(const char *v, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (v[i] == '-' || v[i] == '+'))
		i++;
	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++)
		digits++;
	if (i < len && v[i] == '.')
		for (i++; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < len && (v[i] == 'e' || v[i] == 'E')) {
		i++;
		if (i < len && (v[i] == '-' || v[i] == '+'))
			i++;
		for (digits = 0; i < len && v[i] >= '0' && v[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return 0;
	}
	return i == len;
}

/*
 * With --excel, a cell a spreadsheet would take for a formula (one that
 * starts with =, +, -, @, tab or carriage return, and is not wholly a
 * number) is written with a ' first, which the spreadsheet shows as text.
 */
static int
excel_guard(struct crm_writer *w, struct crm_buf *b, const char *v, size_t len)
{
	if (!w->excel || len == 0 || strchr("=+-@\t\r", v[0]) == NULL ||
	    v[0] == '\0' || is_number(v, len))
		return 0;
	return crm_buf_addc(b, '\'') == -1 ? -1 : 1;
}

static int
text_field(struct crm_writer *w, const char *v, size_t len, enum crm_type t)
{
	struct crm_buf g;
	int rc, guard;

	switch (t) {
	case CRM_NULL:
		return 0;
	case CRM_FALSE:
		v = "false";
		len = 5;
		break;
	case CRM_TRUE:
		v = "true";
		len = 4;
		break;
	case CRM_NUMBER:
	case CRM_STRING:
	case CRM_JSON:
		break;
	}
	crm_buf_init(&g);
	if ((guard = excel_guard(w, &g, v, len)) == 1 &&
	    crm_buf_add(&g, v, len) == 0) {
		rc = w->fmt == CRM_FMT_TSV ? tsv_field(&w->line, g.p, g.len)
					   : csv_field(&w->line, g.p, g.len);
		crm_buf_release(&g);
		return rc;
	}
	crm_buf_release(&g);
	if (guard != 0)
		return -1;
	return w->fmt == CRM_FMT_TSV ? tsv_field(&w->line, v, len)
				     : csv_field(&w->line, v, len);
}

/*
 * Write the lines built so far and flush the file, so that a record
 * counts as written only once it has reached it.  After a failure nothing
 * more is written: every later call fails with the same error.
 */
static int
write_lines(struct crm_writer *w, struct crm_err *e)
{
	if (w->err == 0 && w->line.len > 0 &&
	    fwrite(w->line.p, 1, w->line.len, w->fp) != w->line.len)
		w->err = errno != 0 ? errno : EIO;
	if (w->err == 0 && fflush(w->fp) == EOF)
		w->err = errno != 0 ? errno : EIO;
	if (w->err != 0)
		return crm_err_set(
		    e, EX_IOERR, "write error: %s", strerror(w->err));
	crm_buf_reset(&w->line);
	w->out = w->put;
	return 0;
}

int
crm_writer_flush(struct crm_writer *w, struct crm_err *e)
{
	return write_lines(w, e);
}

int
crm_writer_error(const struct crm_writer *w)
{
	return w->err;
}

unsigned long long
crm_writer_pending(const struct crm_writer *w)
{
	return w->put - w->out;
}

/*
 * End the line just built (a record's when record is 1); lines are
 * written in blocks of about 64 KiB, one stdio call each.
 */
static int
end_line(struct crm_writer *w, int record, struct crm_err *e)
{
	if (crm_buf_addc(&w->line, '\n') == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (w->line.len < 65536 && w->err == 0) {
		w->put += (unsigned)record;
		return 0;
	}
	if (write_lines(w, e) == -1)
		return -1; /* the record was not put */
	w->put += (unsigned)record;
	w->out = w->put;
	return 0;
}

int
crm_writer_header(
    struct crm_writer *w, const struct crm_rec *r, struct crm_err *e)
{
	size_t i, len;
	const char *name;

	if (w->fmt == CRM_FMT_JSONL || w->header != NULL)
		return 0;
	if ((w->header = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	w->slot = crm_reallocarray(NULL, r->n ? r->n : 1, sizeof(size_t));
	if (w->slot == NULL ||
	    (w->excel && crm_buf_add(&w->line, "\xEF\xBB\xBF", 3) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < r->n; i++) {
		name = crm_rec_name(r, i, &len);
		if (crm_rec_add(w->header, name, len, "", 0, CRM_STRING) ==
			-1 ||
		    (i > 0 && crm_buf_addc(&w->line,
				  w->fmt == CRM_FMT_TSV ? '\t' : ',') == -1) ||
		    text_field(w, name, len, CRM_STRING) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	return end_line(w, 0, e);
}

/* Does r have exactly the header's names, in order? */
static int
same_names(const struct crm_rec *h, const struct crm_rec *r)
{
	size_t i;

	if (h->n != r->n)
		return 0;
	for (i = 0; i < r->n; i++)
		if (h->f[i].name_len != r->f[i].name_len ||
		    memcmp(h->data.p + h->f[i].name_off,
			r->data.p + r->f[i].name_off, r->f[i].name_len) != 0)
			return 0;
	return 1;
}

static int
put_text(struct crm_writer *w, const struct crm_rec *r, struct crm_err *e)
{
	const struct crm_rec *h = w->header;
	size_t i, k, len, start;
	long col;
	const char *name;
	int sep = w->fmt == CRM_FMT_TSV ? '\t' : ',';

	if ((r->names != 0 && r->names == w->names) || same_names(h, r)) {
		for (i = 0; i < h->n; i++)
			w->slot[i] = i;
		w->names = r->names;
	} else {
		for (i = 0; i < h->n; i++)
			w->slot[i] = SIZE_MAX;
		for (k = 0; k < r->n; k++) {
			name = crm_rec_name(r, k, &len);
			col = crm_rec_find(h, name, len);
			if (col < 0) {
				crm_err_field(e, name, len);
				return crm_err_set(e, EX_DATAERR,
				    "the %s header (from the first record) "
				    "has no such column; use --output-format "
				    "jsonl",
				    w->fmt == CRM_FMT_TSV ? "TSV" : "CSV");
			}
			w->slot[col] = k;
		}
	}
	start = w->line.len;
	for (i = 0; i < h->n; i++) {
		if (i > 0 && crm_buf_addc(&w->line, sep) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if ((k = w->slot[i]) == SIZE_MAX)
			continue;
		if (text_field(w, r->data.p + r->f[k].val_off, r->f[k].val_len,
			r->f[k].type) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	/* An empty line would read back as no record: quote the empty field. */
	if (w->line.len == start && w->fmt == CRM_FMT_CSV &&
	    crm_buf_add(&w->line, "\"\"", 2) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return end_line(w, 1, e);
}

int
crm_writer_put(struct crm_writer *w, const struct crm_rec *r, struct crm_err *e)
{
	if (w->fmt == CRM_FMT_JSONL) {
		if (crm_rec_to_json(r, &w->line) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		return end_line(w, 1, e);
	}
	if (w->header == NULL && crm_writer_header(w, r, e) == -1)
		return -1;
	return put_text(w, r, e);
}

int
crm_rec_add_num(struct crm_rec *r, const char *name, const char *fmt, double v)
{
	char num[64];
	int n;

	if (isnan(v))
		return crm_rec_add(r, name, strlen(name), "", 0, CRM_NULL);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = snprintf(num, sizeof(num), fmt, v);
#pragma GCC diagnostic pop
	if (n < 0 || (size_t)n >= sizeof(num))
		return -1;
	return crm_rec_add(r, name, strlen(name), num, (size_t)n, CRM_NUMBER);
}

int
crm_rec_put(struct crm_rec *r, const char *name, const char *val, size_t vlen,
    enum crm_type type)
{
	long i = crm_rec_find(r, name, strlen(name));

	if (i >= 0)
		return crm_rec_set(r, (size_t)i, val, vlen, type);
	return crm_rec_add(r, name, strlen(name), val, vlen, type);
}
