/*
 * read: the record reader for CSV (RFC 4180, parsed by libcsv), TSV and
 * JSONL.  Input is taken one physical line at a time (LF, CRLF or a lone
 * CR ends a line) so that every record knows the line it started on and
 * its original text for the rejects file.  A malformed record spanning
 * several lines (typically an unbalanced quote or brace) is recovered from
 * by rejecting its first line only and reading the lines after it again,
 * so one stray quote never swallows the rest of a file.
 */
#include <csv.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "norm.h"
#include "rec.h"
#include "rec_int.h"

#define CRM_READ_CHUNK (64 * 1024)

struct crm_reader {
	FILE *fp;
	int fd;			 /* fileno(fp), read with read(2) */
	void (*on_wait)(void *); /* called before a read that would block */
	void *wait_arg;
	const char *name;
	enum crm_format fmt;
	size_t max; /* longest record accepted, in bytes */

	char *in;	       /* input buffer, filled by fill() */
	size_t in_len, in_off; /* bytes in it, bytes consumed */
	int in_eof;
	struct crm_buf pend; /* lines pushed back, read before fp */
	size_t pend_off;
	int unread;	      /* return the current line again */
	struct crm_buf line;  /* the current line, terminator included */
	unsigned long lineno; /* lines returned so far */

	struct crm_buf acc;	/* text of the record being read */
	unsigned long start;	/* its first line */
	struct crm_rec *header; /* CSV/TSV names */
	unsigned long names;	/* their names id (see rec_int.h) */

	struct csv_parser csv; /* CSV state */
	int csv_live;
	struct crm_rec *cur; /* record the callbacks fill */
	size_t nfield;	     /* fields seen in the current row */
	int row_done;
	int oom;
	size_t bad_field; /* first field with invalid UTF-8, or SIZE_MAX */
	size_t bad_off;
	int utf8_ok;	    /* the whole row is valid UTF-8: no field checks */
	struct crm_buf tmp; /* TSV unescaping */
	size_t js_pos;	    /* JSONL framing: bytes of acc scanned */
	long js_depth;	    /* open objects and arrays */
	int js_str;	    /* inside a string */
	int overlong;	    /* the current line was longer than max */
};

static size_t chunk = CRM_READ_CHUNK; /* bytes per read(2) */

static int fill(struct crm_reader *);
static size_t chomp(const char *, size_t);
static int next_line(struct crm_reader *);
static size_t line_end(const char *, size_t);
static int recover(
    struct crm_reader *, struct crm_rec *, struct crm_err *, const char *);
static int csv_start(struct crm_reader *);
static void csv_restart(struct crm_reader *, struct crm_rec *);
static int read_header(struct crm_reader *, struct crm_err *);
static int csv_next(struct crm_reader *, struct crm_rec *, struct crm_err *);
static int tsv_next(struct crm_reader *, struct crm_rec *, struct crm_err *);
static int jsonl_next(struct crm_reader *, struct crm_rec *, struct crm_err *);

/* ==== Lines ==== */

/*
 * Read what is there, up to one chunk.  read(2) rather than fread(3):
 * fread waits for a whole chunk, which would hold back the records of a
 * slow pipe (tail -F inbox | crm-ingest | ...).  Before a read that would
 * block, the wait hook lets the caller flush its output.
 */
static int
fill(struct crm_reader *rd)
{
	struct pollfd pfd;
	ssize_t n;

	if (rd->in_eof)
		return 0;
	if (rd->on_wait != NULL && rd->fd >= 0) {
		pfd.fd = rd->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0)
			rd->on_wait(rd->wait_arg);
	}
	if (rd->fd < 0) /* a stream with no descriptor, e.g. fmemopen(3) */
		n = (ssize_t)fread(rd->in, 1, chunk, rd->fp);
	else
		do
			n = read(rd->fd, rd->in, chunk);
		while (n == -1 && errno == EINTR);
	if (n == 0 && rd->fd < 0 && ferror(rd->fp))
		n = -1;
	if (n <= 0) {
		rd->in_len = rd->in_off = 0;
		rd->in_eof = 1;
		return n == 0 ? 0 : -1;
	}
	rd->in_len = (size_t)n;
	rd->in_off = 0;
	return 1;
}

/* Length of the first line of s (its terminator included). */
static size_t
line_end(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t lim = nl != NULL ? (size_t)(nl - s) : n;
	const char *cr = memchr(s, '\r', lim);

	if (cr != NULL && (size_t)(cr - s) + 1 < n && cr[1] != '\n')
		return (size_t)(cr - s) + 1;
	if (cr != NULL && nl == NULL)
		return (size_t)(cr - s) + 1;
	return nl != NULL ? lim + 1 : n;
}

/*
 * The error of a next_line() that returned -1: out of memory when a buffer
 * could not grow, else a read error.  Returns -1.
 */
static int
line_failed(struct crm_err *e)
{
	if (errno == ENOMEM)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_err_set(e, EX_IOERR, "read error: %s", strerror(errno));
}

/*
 * Read the next line into rd->line.  Returns 1, 0 at end of input, or -1
 * on a read error (errno set).  A CR at the very end of the data read so
 * far may be the first half of a CRLF: the next read decides.
 */
static int
next_line(struct crm_reader *rd)
{
	const char *s;
	size_t avail, n;
	int got = 0, cr_end = 0, rc, from_pend;

	if (rd->unread) {
		/* The first line, read before crm_reader_set_max(). */
		rd->unread = 0;
		rd->overlong = rd->line.len > rd->max;
		return 1;
	}
	crm_buf_reset(&rd->line);
	rd->overlong = 0;
	for (;;) {
		from_pend = rd->pend_off < rd->pend.len;
		if (from_pend) {
			s = rd->pend.p + rd->pend_off;
			avail = rd->pend.len - rd->pend_off;
		} else {
			if (rd->pend.len > 0) {
				crm_buf_reset(&rd->pend);
				rd->pend_off = 0;
			}
			if (rd->in_off >= rd->in_len && (rc = fill(rd)) <= 0) {
				if (rc == -1)
					return -1;
				break;
			}
			s = rd->in + rd->in_off;
			avail = rd->in_len - rd->in_off;
		}
		if (cr_end) {
			n = s[0] == '\n' ? 1 : 0;
		} else {
			n = line_end(s, avail);
		}
		/*
		 * Past the limit, keep only the start of the line (the same
		 * bytes however the input was split) for the rejects.
		 */
		if (rd->line.len <= rd->max &&
		    crm_buf_add(&rd->line, s,
			n < rd->max + 1 - rd->line.len
			    ? n
			    : rd->max + 1 - rd->line.len) == -1)
			return -1;
		if (rd->line.len > rd->max)
			rd->overlong = 1;
		got = 1;
		if (from_pend)
			rd->pend_off += n;
		else
			rd->in_off += n;
		if (cr_end || s[n - 1] == '\n')
			break;
		if (s[n - 1] == '\r') {
			if (n < avail)
				break;
			cr_end = 1;
		}
	}
	if (!got)
		return 0;
	rd->lineno++;
	return 1;
}

/* Length of line without its terminator. */
static size_t
chomp(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

/*
 * Reject the record being read in rd->acc: its first line only goes to r
 * as the bad record, and the lines after it are read again.
 */
static int
recover(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e,
    const char *why)
{
	size_t first = line_end(rd->acc.p, rd->acc.len);
	size_t rest = rd->acc.len - first;
	struct crm_buf keep;

	if (rest > 0) {
		crm_buf_init(&keep);
		/* pend.p is NULL until the stream had text to hold back */
		if (crm_buf_add(&keep, rd->acc.p + first, rest) == -1 ||
		    (rd->pend.len > rd->pend_off &&
			crm_buf_add(&keep, rd->pend.p + rd->pend_off,
			    rd->pend.len - rd->pend_off) == -1)) {
			crm_buf_release(&keep);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
		crm_buf_release(&rd->pend);
		rd->pend = keep;
		rd->pend_off = 0;
		rd->lineno = rd->start;
		rd->unread = 0;
	}
	crm_rec_clear(r);
	r->line = rd->start;
	if (crm_buf_add(&r->raw, rd->acc.p, chomp(rd->acc.p, first)) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_buf_reset(&rd->acc);
	if (rd->fmt == CRM_FMT_CSV && csv_start(rd) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	e->line = rd->start;
	return crm_err_set(e, EX_DATAERR, "%s", why);
}

/*
 * Reject the record whose line was longer than the limit.  Only the first
 * KiB of its text is kept: holding all of it is what the limit prevents.
 */
static int
reject_overlong(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	size_t keep = rd->line.len;

	if (keep > rd->max + 1)
		keep = rd->max + 1;
	if (keep > 1024)
		keep = 1024;
	keep = chomp(rd->line.p, keep);
	crm_rec_clear(r);
	r->line = rd->acc.len > 0 ? rd->start : rd->lineno;
	crm_buf_reset(&rd->acc);
	if (crm_buf_add(&r->raw, rd->line.p, keep) == -1 ||
	    (rd->fmt == CRM_FMT_CSV && csv_start(rd) == -1))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	e->line = r->line;
	return crm_err_set(e, EX_DATAERR,
	    "line longer than %zu bytes (raw text cut short)", rd->max);
}

/* Move the text read into r as its raw text; the record starts at start. */
static int
take_raw(struct crm_reader *rd, struct crm_rec *r)
{
	struct crm_buf t = r->raw;

	r->raw = rd->acc;
	rd->acc = t;
	crm_buf_reset(&rd->acc);
	r->raw.len = chomp(r->raw.p, r->raw.len);
	if (r->raw.p != NULL)
		r->raw.p[r->raw.len] = '\0';
	r->line = rd->start;
	return 0;
}

/* ==== CSV ==== */

/* RFC 4180: spaces belong to the field; libcsv would trim them. */
static int
never_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int
csv_start(struct crm_reader *rd)
{
	if (rd->csv_live)
		csv_free(&rd->csv);
	rd->csv_live = 0;
	if (csv_init(&rd->csv, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return -1;
	csv_set_space_func(&rd->csv, never_space);
	csv_set_blk_size(&rd->csv, 4096);
	rd->csv_live = 1;
	return 0;
}

/* Add one field of the current row (header or record). */
static void
add_field(struct crm_reader *rd, const char *s, size_t len)
{
	struct crm_rec *r = rd->cur;
	const char *name = "";
	size_t nlen = 0, bad;

	if (r == rd->header) {
		if (rd->nfield < CRM_MAX_FIELDS &&
		    crm_rec_add(r, s, len, "", 0, CRM_STRING) == -1)
			rd->oom = 1;
	} else if (rd->nfield < rd->header->n) {
		name = crm_rec_name(rd->header, rd->nfield, &nlen);
		if (crm_rec_add(r, name, nlen, s, len, CRM_STRING) == -1)
			rd->oom = 1;
	}
	if (!rd->utf8_ok && rd->bad_field == SIZE_MAX &&
	    !crm_utf8_check(s, len, &bad)) {
		rd->bad_field = rd->nfield;
		rd->bad_off = bad;
	}
	rd->nfield++;
}

static void
on_field(void *s, size_t len, void *data)
{
	add_field(data, s != NULL ? s : "", len);
}

static void
on_row(int c, void *data)
{
	struct crm_reader *rd = data;

	(void)c;
	rd->row_done++;
}

/*
 * Split a record that fits on the one line in rd->acc without libcsv.
 * libcsv's byte-at-a-time state machine with a callback per field costs
 * about 60 instructions a byte, more than all the normalizing after it;
 * a line whose fields close on the line itself is split here with
 * memchr, and libcsv reads the rest: records with line breaks inside
 * quotes, and the malformed ones, which it reports.  Quoted fields follow
 * RFC 4180 (a quote closes them only before a comma or the end of the
 * line); a quote inside an unquoted field (37°36'37.8"N, a height of
 * 5'11") is taken as a character, as most CSV readers take it.  Returns
 * 0 with r filled, or -1 when the line is not such a record.
 */
static int
split_row(struct crm_reader *rd, struct crm_rec *r)
{
	const char *p = rd->acc.p, *end = p + chomp(rd->acc.p, rd->acc.len);
	const char *q;
	int rc = -1;

	csv_restart(rd, r);
	/*
	 * A valid line splits into valid fields (commas and quotes are
	 * ASCII and never inside a sequence), so one check does for all.
	 */
	rd->utf8_ok = crm_utf8_check(p, (size_t)(end - p), NULL);
	for (;;) {
		if (p < end && *p == '"') {
			/* Copy up to each quote; "" stands for one. */
			crm_buf_reset(&rd->tmp);
			for (p++;; p = q + 2) {
				if ((q = memchr(p, '"', (size_t)(end - p))) ==
					NULL ||
				    crm_buf_add(&rd->tmp, p, (size_t)(q - p)) ==
					-1)
					goto out;
				if (q + 1 >= end || q[1] != '"')
					break;
				if (crm_buf_addc(&rd->tmp, '"') == -1)
					goto out;
			}
			if ((p = q + 1) < end && *p != ',')
				goto out;
			add_field(rd, rd->tmp.p != NULL ? rd->tmp.p : "",
			    rd->tmp.len);
		} else {
			q = memchr(p, ',', (size_t)(end - p));
			q = q != NULL ? q : end;
			add_field(rd, p, (size_t)(q - p));
			p = q;
		}
		if (rd->oom)
			goto out;
		if (p >= end) {
			rc = 0;
			goto out;
		}
		p++;
	}
out:
	rd->utf8_ok = 0;
	return rc;
}

/* Forget what split_row() put in r, for libcsv to read the line. */
static void
csv_restart(struct crm_reader *rd, struct crm_rec *r)
{
	crm_rec_clear(r);
	rd->cur = r;
	rd->nfield = 0;
	rd->bad_field = SIZE_MAX;
}

/*
 * Give the current line to libcsv; on the first line of a record, first
 * forget what split_row() made of it.  Returns 0, or -1 on a libcsv error.
 */
static int
parse_line(struct crm_reader *rd, struct crm_rec *r)
{
	if (rd->acc.len == rd->line.len)
		csv_restart(rd, r);
	if (csv_parse(&rd->csv, rd->line.p, rd->line.len, on_field, on_row,
		rd) < rd->line.len)
		return -1;
	return 0;
}

/*
 * Read one CSV row into r (which is rd->header while reading the header).
 * Returns 1, 0 at end of input, or -1 with e filled.
 */
static int
csv_row(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	int rc;

	rd->cur = r;
	rd->nfield = 0;
	rd->row_done = 0;
	rd->bad_field = SIZE_MAX;
	crm_buf_reset(&rd->acc);
	for (;;) {
		if ((rc = next_line(rd)) == -1)
			return line_failed(e);
		if (rc == 0) {
			if (rd->acc.len == 0)
				return 0;
			if (csv_fini(&rd->csv, on_field, on_row, rd) != 0)
				return recover(
				    rd, r, e, "unterminated quoted field");
			if (csv_start(rd) == -1)
				rd->oom = 1;
		} else {
			if (rd->overlong)
				return reject_overlong(rd, r, e);
			if (rd->acc.len == 0) {
				if (chomp(rd->line.p, rd->line.len) == 0)
					continue; /* blank line */
				rd->start = rd->lineno;
			}
			if (crm_buf_add(&rd->acc, rd->line.p, rd->line.len) ==
			    -1)
				rd->oom = 1;
			else if (rd->acc.len == rd->line.len &&
				 split_row(rd, r) == 0)
				rd->row_done = 1;
			else if (parse_line(rd, r) == -1)
				return csv_error(&rd->csv) == CSV_EPARSE
					   ? recover(
						 rd, r, e, "malformed quoting")
					   : crm_err_set(e, EX_SOFTWARE,
						 "out of memory");
		}
		if (rd->oom)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (rd->row_done)
			break;
		if (rd->acc.len > rd->max)
			return recover(
			    rd, r, e, "record too long (unterminated quote?)");
	}
	take_raw(rd, r);
	return 1;
}

/* Check the fields of the row just read: count and UTF-8. */
static int
check_row(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	size_t nlen;
	const char *name;

	e->line = r->line;
	if (rd->nfield != rd->header->n)
		return crm_err_set(e, EX_DATAERR,
		    "expected %zu fields, found %zu", rd->header->n,
		    rd->nfield);
	if (rd->bad_field != SIZE_MAX) {
		name = crm_rec_name(rd->header, rd->bad_field, &nlen);
		crm_err_field(e, name, nlen);
		return crm_err_set(e, EX_DATAERR, "invalid UTF-8 at byte %zu",
		    rd->bad_off + 1);
	}
	/* Its names are the header's, in order. */
	r->names = rd->names;
	return 1;
}

static int
csv_next(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	int rc;

	if ((rc = csv_row(rd, r, e)) != 1)
		return rc;
	return check_row(rd, r, e);
}

/* ==== TSV ==== */

static int
tsv_unescape(struct crm_buf *b, const char *s, size_t n)
{
	size_t i;
	int c;

	crm_buf_reset(b);
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '\\' && i + 1 < n) {
			switch (s[i + 1]) {
			case 't':
				c = '\t';
				i++;
				break;
			case 'n':
				c = '\n';
				i++;
				break;
			case 'r':
				c = '\r';
				i++;
				break;
			case '\\':
				i++;
				break;
			default:
				break;
			}
		}
		if (crm_buf_addc(b, c) == -1)
			return -1;
	}
	return 0;
}

/* Split the current line on tabs into r (the header, or a record). */
static int
tsv_split(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	const char *s = rd->line.p, *end, *tab;
	size_t n = chomp(rd->line.p, rd->line.len);

	rd->cur = r;
	rd->nfield = 0;
	rd->bad_field = SIZE_MAX;
	end = s + n;
	for (;;) {
		tab = memchr(s, '\t', (size_t)(end - s));
		if (tab == NULL)
			tab = end;
		if (tsv_unescape(&rd->tmp, s, (size_t)(tab - s)) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		add_field(rd, rd->tmp.p != NULL ? rd->tmp.p : "", rd->tmp.len);
		if (rd->oom)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (tab == end)
			break;
		s = tab + 1;
	}
	return 0;
}

static int
tsv_line(struct crm_reader *rd, struct crm_err *e)
{
	int rc;

	/*
	 * Blank lines are skipped, except in a one-column file, where a
	 * blank line is the record of an empty value: TSV cannot quote it.
	 */
	do {
		if ((rc = next_line(rd)) == -1)
			return line_failed(e);
	} while (rc == 1 && chomp(rd->line.p, rd->line.len) == 0 &&
		 (rd->header == NULL || rd->header->n != 1));
	return rc;
}

static int
tsv_next(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	int rc;

	if ((rc = tsv_line(rd, e)) != 1)
		return rc;
	if (rd->overlong)
		return reject_overlong(rd, r, e);
	rd->start = rd->lineno;
	crm_buf_reset(&rd->acc);
	if (crm_buf_add(&rd->acc, rd->line.p, rd->line.len) == -1 ||
	    tsv_split(rd, r, e) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	take_raw(rd, r);
	return check_row(rd, r, e);
}

/* ==== JSONL ==== */

/*
 * Track the nesting of the JSON text of the record being read, from where
 * the last call stopped, so that an object written over several lines is
 * read whole in linear time.  Returns 1 when the value is complete (or
 * cannot be: a line break inside a string), 0 when more lines are needed.
 */
static int
json_balanced(struct crm_reader *rd)
{
	const char *s = rd->acc.p;
	size_t i;

	for (i = rd->js_pos; i < rd->acc.len; i++) {
		char c = s[i];

		if (rd->js_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				rd->js_str = 0;
			else if (c == '\n' || c == '\r')
				return 1;
		} else if (c == '"') {
			rd->js_str = 1;
		} else if (c == '{' || c == '[') {
			rd->js_depth++;
		} else if (c == '}' || c == ']') {
			rd->js_depth--;
		}
	}
	rd->js_pos = i;
	return rd->js_depth <= 0;
}

static int
jsonl_next(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	int rc;
	size_t i;

	crm_buf_reset(&rd->acc);
	for (;;) {
		if ((rc = next_line(rd)) == -1)
			return line_failed(e);
		if (rc == 0) {
			if (rd->acc.len == 0)
				return 0;
			return recover(
			    rd, r, e, "bad JSON: unterminated object");
		}
		if (rd->overlong)
			return reject_overlong(rd, r, e);
		if (rd->acc.len == 0) {
			for (i = 0; i < rd->line.len; i++)
				if (!strchr(" \t\r\n", rd->line.p[i]))
					break;
			if (i == rd->line.len)
				continue; /* blank line */
			rd->start = rd->lineno;
			rd->js_pos = 0;
			rd->js_depth = 0;
			rd->js_str = 0;
		}
		if (crm_buf_add(&rd->acc, rd->line.p, rd->line.len) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (json_balanced(rd))
			break;
		if (rd->acc.len > rd->max)
			return recover(
			    rd, r, e, "record too long (unterminated object?)");
	}
	if (crm_json_parse_object(r, rd->acc.p, rd->acc.len, e) == -1) {
		if (e->code != EX_DATAERR)
			return -1;
		if (line_end(rd->acc.p, rd->acc.len) < rd->acc.len) {
			char why[sizeof(e->msg)];

			memcpy(why, e->msg, sizeof(why));
			return recover(rd, r, e, why);
		}
		take_raw(rd, r);
		e->line = r->line;
		return -1;
	}
	take_raw(rd, r);
	return 1;
}

void
crm_read_set_chunk(size_t n)
{
	chunk = n == 0 || n > CRM_READ_CHUNK ? CRM_READ_CHUNK : n;
}

/* ==== Opening ==== */

static int
read_header(struct crm_reader *rd, struct crm_err *e)
{
	size_t i, j, ni, nj, bad;
	const char *a, *b;
	int rc;

	if ((rd->header = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rd->fmt == CRM_FMT_TSV) {
		if ((rc = tsv_line(rd, e)) == -1)
			return -1;
		if (rc == 1 && rd->overlong)
			return crm_err_set(e, EX_DATAERR,
			    "bad header: line longer than %zu bytes", rd->max);
		if (rc == 1 && tsv_split(rd, rd->header, e) == -1)
			return -1;
	} else {
		rc = csv_row(rd, rd->header, e);
		if (rc == -1) {
			e->line = rd->start;
			if (e->code == EX_DATAERR)
				return crm_err_set(
				    e, EX_DATAERR, "bad header: %s", e->msg);
			return -1;
		}
	}
	e->line = rd->lineno;
	if (rc == 0) {
		crm_rec_free(rd->header);
		rd->header = NULL;
		return 0;
	}
	if (rd->nfield > CRM_MAX_FIELDS)
		return crm_err_set(e, EX_DATAERR,
		    "bad header: more than %d fields", CRM_MAX_FIELDS);
	for (i = 0; i < rd->header->n; i++) {
		a = crm_rec_name(rd->header, i, &ni);
		if (ni == 0)
			return crm_err_set(e, EX_DATAERR,
			    "bad header: field %zu has no name", i + 1);
		if (!crm_utf8_check(a, ni, &bad))
			return crm_err_set(e, EX_DATAERR,
			    "bad header: field %zu: invalid UTF-8", i + 1);
		for (j = 0; j < i; j++) {
			b = crm_rec_name(rd->header, j, &nj);
			if (ni == nj && memcmp(a, b, ni) == 0) {
				crm_err_field(e, a, ni);
				return crm_err_set(e, EX_DATAERR,
				    "bad header: duplicate name (fields %zu "
				    "and %zu)",
				    j + 1, i + 1);
			}
		}
	}
	rd->names = crm_rec_names_new();
	return 0;
}

struct crm_reader *
crm_reader_open(
    FILE *fp, const char *name, enum crm_format fmt, struct crm_err *e)
{
	struct crm_reader *rd;
	int rc;

	crm_err_clear(e);
	e->file = name;
	if ((rd = calloc(1, sizeof(*rd))) == NULL ||
	    (rd->in = malloc(CRM_READ_CHUNK)) == NULL) {
		free(rd);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	rd->fp = fp;
	rd->fd = fileno(fp);
	rd->name = name;
	rd->max = CRM_MAX_RECORD;
	crm_buf_init(&rd->pend);
	crm_buf_init(&rd->line);
	crm_buf_init(&rd->acc);
	crm_buf_init(&rd->tmp);

	/* Peek at the first line: byte-order mark and format. */
	if ((rc = next_line(rd)) == -1) {
		line_failed(e);
		goto fail;
	}
	if (rc == 1) {
		if (rd->line.len >= 3 &&
		    memcmp(rd->line.p, "\xef\xbb\xbf", 3) == 0) {
			memmove(rd->line.p, rd->line.p + 3, rd->line.len - 3);
			rd->line.len -= 3;
		}
		rd->unread = 1;
	}
	if (fmt == CRM_FMT_AUTO) {
		fmt = CRM_FMT_CSV;
		if (rc == 1 && rd->line.len > 0 && rd->line.p[0] == '{')
			fmt = CRM_FMT_JSONL;
		else if (rc == 1 && memchr(rd->line.p, '\t', rd->line.len) &&
			 !memchr(rd->line.p, ',', rd->line.len))
			fmt = CRM_FMT_TSV; /* a header of tabs and no commas */
	}
	rd->fmt = fmt;
	if (fmt == CRM_FMT_CSV && csv_start(rd) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	if (fmt != CRM_FMT_JSONL && read_header(rd, e) == -1)
		goto fail;
	e->line = 0;
	return rd;
fail:
	crm_reader_close(rd);
	return NULL;
}

void
crm_reader_close(struct crm_reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->csv_live)
		csv_free(&rd->csv);
	free(rd->in);
	crm_buf_release(&rd->pend);
	crm_buf_release(&rd->line);
	crm_buf_release(&rd->acc);
	crm_buf_release(&rd->tmp);
	crm_rec_free(rd->header);
	free(rd);
}

void
crm_reader_on_wait(struct crm_reader *rd, void (*fn)(void *), void *arg)
{
	rd->on_wait = fn;
	rd->wait_arg = arg;
}

void
crm_reader_set_max(struct crm_reader *rd, size_t max)
{
	rd->max = max;
}

enum crm_format
crm_reader_format(const struct crm_reader *rd)
{
	return rd->fmt;
}

const struct crm_rec *
crm_reader_header(const struct crm_reader *rd)
{
	return rd->header;
}

int
crm_reader_next(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	crm_err_clear(e);
	e->file = rd->name;
	crm_rec_clear(r);
	switch (rd->fmt) {
	case CRM_FMT_JSONL:
		return jsonl_next(rd, r, e);
	case CRM_FMT_TSV:
		if (rd->header == NULL)
			return 0;
		return tsv_next(rd, r, e);
	case CRM_FMT_AUTO:
	case CRM_FMT_CSV:
		break;
	}
	if (rd->header == NULL)
		return 0;
	return csv_next(rd, r, e);
}
