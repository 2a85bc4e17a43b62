/*
 * read: the record reader for CSV (RFC 4180, parsed by libcsv), TSV,
 * JSONL and JSON arrays of objects.
 *
 * Layers, from the bottom: bytes come from the file descriptor with
 * read(2) (fill), decoded to UTF-8 by iconv(3) when the input is in
 * another encoding (fill_conv); its first 64 KiB at most, the window,
 * decide the encoding, the format and the CSV delimiter when they are not
 * given (lib/sniff.c, rules in rec.h and crm(7)).  Above that,
 * CSV, TSV and JSONL are taken one physical line at a time (LF, CRLF or a
 * lone CR ends a line) so that every record knows the line it started on
 * and its original text for the rejects file.  A malformed record
 * spanning several lines (typically an unbalanced quote or brace) is
 * recovered from by rejecting its first line only and reading the lines
 * after it again, so one stray quote never swallows the rest of a file.
 * A JSON array is taken byte by byte instead, one element a record, so
 * that an array on one line of any size can be read.
 */
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <poll.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "buf.h"
#include "norm.h"
#include "rec.h"
#include "rec_int.h"

#define CRM_READ_CHUNK (64 * 1024)
/* Bytes of converted text one raw chunk can make (cp1252's euro: 1 to 3). */
#define CRM_CONV_ROOM (4 * CRM_READ_CHUNK)
/* Marks a byte the decoder refused: 0xFF, never in UTF-8, and two hex digits. */
#define CRM_BAD_MARK '\xff'
#define NO_ICONV     ((iconv_t)-1)

/* The JSON array reader's states. */
enum ja_state {
	JA_OPEN,  /* before '[' */
	JA_FIRST, /* after '[' */
	JA_NEXT,  /* after ',' */
	JA_SEP,	  /* after an element */
	JA_AFTER, /* after ']': only white space may follow */
	JA_END	  /* done (after an error that ends the array) */
};

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
	size_t in_cap;	       /* its size */
	int in_eof;
	iconv_t cd;	 /* the decoder to UTF-8, or NO_ICONV */
	const char *enc; /* its source encoding, for messages */
	char *raw;	 /* undecoded input, when decoding */
	size_t raw_len, raw_off;
	int raw_eof;
	int conv_flushed;    /* the decoder's final shift was written */
	size_t conv_unit;    /* bytes a refused character is skipped by */
	int delim;	     /* the CSV field separator */
	char note[256];	     /* what was guessed, or "" */
	char bad[4];	     /* the first invalid bytes of bad_field */
	struct crm_buf pend; /* lines pushed back, read before fp */
	size_t pend_off;
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

	int array;	       /* a JSON array of objects */
	enum ja_state ja;      /* where in it */
	unsigned long ja_line; /* the line at in_off, 1-based */
	unsigned long ja_elem; /* elements of the current array so far */
	unsigned long ja_last; /* the line of the last token taken */
	int ja_cr;	       /* the last byte was a CR */
	int ja_esc;	       /* after a backslash in a string */
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
static void json_bad_text(
    struct crm_reader *, const char *, size_t, struct crm_err *);
static int array_next(struct crm_reader *, struct crm_rec *, struct crm_err *);

/* ==== Lines ==== */

/*
 * Read what is there, up to n bytes, into buf.  read(2) rather than
 * fread(3): fread waits for a whole chunk, which would hold back the
 * records of a slow pipe (tail -F inbox | crm-ingest | ...).  Before a
 * read that would block, the wait hook lets the caller flush its output.
 * Returns the bytes read, 0 at end of input, or -1 (errno set).
 */
static ssize_t
read_some(struct crm_reader *rd, char *buf, size_t n)
{
	struct pollfd pfd;
	ssize_t k;

	if (rd->on_wait != NULL && rd->fd >= 0) {
		pfd.fd = rd->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 0)
			rd->on_wait(rd->wait_arg);
	}
	if (rd->fd < 0) { /* a stream with no descriptor, e.g. fmemopen(3) */
		k = (ssize_t)fread(buf, 1, n, rd->fp);
		return k == 0 && ferror(rd->fp) ? -1 : k;
	}
	do
		k = read(rd->fd, buf, n);
	while (k == -1 && errno == EINTR);
	return k;
}

/* Whether a read would return at once (with bytes, or the end). */
static int
ready(struct crm_reader *rd)
{
	struct pollfd pfd;

	if (rd->fd < 0)
		return 1;
	pfd.fd = rd->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) > 0;
}

/* Write the mark of a refused byte c at p (3 bytes). */
static void
mark_bad(char *p, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	p[0] = CRM_BAD_MARK;
	p[1] = hex[c >> 4];
	p[2] = hex[c & 15];
}

/*
 * Decode what rd->raw holds into rd->in, reading more raw input when it
 * holds no whole character.  A byte the decoder refuses becomes a mark
 * (CRM_BAD_MARK and its value in hex), which is not UTF-8: the record
 * that holds it is rejected, and the message names the byte.
 */
static int
fill_conv(struct crm_reader *rd)
{
	char *src, *dst;
	size_t left, room, n;
	ssize_t k;
	int err;

	rd->in_len = rd->in_off = 0;
	for (;;) {
		src = rd->raw + rd->raw_off;
		left = rd->raw_len - rd->raw_off;
		dst = rd->in;
		room = rd->in_cap;
		while (left > 0 &&
		       iconv(rd->cd, &src, &left, &dst, &room) == (size_t)-1) {
			err = errno;
			if (err == E2BIG || room < 3 ||
			    (err == EINVAL && !rd->raw_eof))
				break;
			/* EILSEQ, or a character cut short by the end */
			mark_bad(dst, (unsigned char)*src);
			dst += 3;
			room -= 3;
			n = err == EINVAL || left < rd->conv_unit
				? left
				: rd->conv_unit;
			src += n;
			left -= n;
		}
		rd->raw_off = (size_t)(src - rd->raw);
		if (left == 0 && rd->raw_eof && !rd->conv_flushed) {
			if (iconv(rd->cd, NULL, NULL, &dst, &room) !=
			    (size_t)-1)
				rd->conv_flushed = 1;
			else if (dst == rd->in)
				rd->conv_flushed = 1; /* nothing to say */
		}
		rd->in_len = rd->in_cap - room;
		if (rd->in_len > 0)
			return 1;
		if (rd->raw_eof) {
			rd->in_eof = 1;
			return 0;
		}
		memmove(rd->raw, rd->raw + rd->raw_off, left);
		rd->raw_len = left;
		rd->raw_off = 0;
		n = CRM_READ_CHUNK - left < chunk ? CRM_READ_CHUNK - left
						  : chunk;
		if ((k = read_some(rd, rd->raw + left, n)) < 0)
			return -1;
		if (k == 0)
			rd->raw_eof = 1;
		rd->raw_len += (size_t)k;
	}
}

/* Refill rd->in: returns 1, 0 at end of input, or -1 (errno set). */
static int
fill(struct crm_reader *rd)
{
	ssize_t n;

	if (rd->cd != NO_ICONV)
		return fill_conv(rd);
	if (rd->in_eof)
		return 0;
	n = read_some(rd, rd->in, chunk);
	if (n <= 0) {
		rd->in_len = rd->in_off = 0;
		rd->in_eof = 1;
		return n == 0 ? 0 : -1;
	}
	rd->in_len = (size_t)n;
	rd->in_off = 0;
	return 1;
}

/* JSON's white space (strchr(3) alone would take NUL for it). */
static int
json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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
	csv_set_delim(&rd->csv, (unsigned char)rd->delim);
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
		memset(rd->bad, 0, sizeof(rd->bad));
		memcpy(rd->bad, s + bad, len - bad < 3 ? len - bad : 3);
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
 * RFC 4180 (a quote closes them only before a delimiter or the end of the
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
	 * A valid line splits into valid fields (delimiters and quotes are
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
			if ((p = q + 1) < end && *p != rd->delim)
				goto out;
			add_field(rd, rd->tmp.p != NULL ? rd->tmp.p : "",
			    rd->tmp.len);
		} else {
			q = memchr(p, rd->delim, (size_t)(end - p));
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

/*
 * The error of text that is not UTF-8, at byte off of a field, whose
 * first bad bytes are rd->bad: a byte the decoder refused (marked by
 * fill_conv) is named in the input's encoding, any other in UTF-8's, and
 * either way with the option that reads the file as it is.
 */
static int
bad_text(struct crm_reader *rd, struct crm_err *e, const char *what, size_t off)
{
	if (rd->cd != NO_ICONV && rd->bad[0] == CRM_BAD_MARK)
		return crm_err_set(e, EX_DATAERR,
		    "%sinvalid %s at byte %zu (0x%.2s); give --encoding NAME "
		    "if the file is not %s",
		    what, rd->enc, off, rd->bad + 1, rd->enc);
	return crm_err_set(e, EX_DATAERR,
	    "%sinvalid UTF-8 at byte %zu (0x%02X); give --encoding NAME if "
	    "the file is not UTF-8",
	    what, off, (unsigned char)rd->bad[0]);
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
		return bad_text(rd, e, "", rd->bad_off + 1);
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
		json_bad_text(rd, rd->acc.p, rd->acc.len, e);
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

/*
 * A JSON record that failed on a byte the decoder refused (marked by
 * fill_conv) fails for that: say so, as bad_text() does for CSV.
 */
static void
json_bad_text(struct crm_reader *rd, const char *s, size_t n, struct crm_err *e)
{
	const char *m;

	if (rd->cd == NO_ICONV || (m = memchr(s, CRM_BAD_MARK, n)) == NULL ||
	    n - (size_t)(m - s) < 3)
		return;
	crm_err_set(e, EX_DATAERR,
	    "invalid %s at byte %zu (0x%.2s); give --encoding NAME if the "
	    "file is not %s",
	    rd->enc, (size_t)(m - s) + 1, m + 1, rd->enc);
}

/* ==== JSON array ==== */

/*
 * The array reader takes the input byte by byte rather than line by
 * line: a whole array may be one line (sqlite3 -json, a minified
 * export) of any size.  Each element is framed by counting brackets
 * outside strings, collected in rd->acc (up to the record limit) and
 * parsed as one JSONL record; it carries the line its first byte is on.
 */

/* Count the line breaks in s[0..n) (CRLF, LF or a lone CR: one each). */
static void
ja_lines(struct crm_reader *rd, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && !rd->ja_cr)
			rd->ja_line++;
		else if (s[i] == '\r')
			rd->ja_line++;
		rd->ja_cr = s[i] == '\r';
	}
}

/*
 * The next byte that is not white space, left unread; -1 at the end of
 * input, or -2 on a read error (errno set).
 */
static int
ja_peek(struct crm_reader *rd)
{
	const char *s;
	int rc;

	for (;;) {
		if (rd->in_off >= rd->in_len && (rc = fill(rd)) <= 0)
			return rc == 0 ? -1 : -2;
		s = rd->in + rd->in_off;
		if (!json_ws(*s))
			return (unsigned char)*s;
		ja_lines(rd, s, 1);
		rd->in_off++;
	}
}

/* Take the byte ja_peek() returned. */
static void
ja_take(struct crm_reader *rd)
{
	rd->ja_last = rd->ja_line;
	ja_lines(rd, rd->in + rd->in_off, 1);
	rd->in_off++;
}

/*
 * Read one element, whose first byte is next, into rd->acc (the first
 * KiB only once it is longer than the limit: *overlong is set).
 * Returns 1 when it is whole, 0 when the input ended first, -1 on a read
 * error.
 */
static int
ja_element(struct crm_reader *rd, int *overlong)
{
	const char *s, *p, *end;
	long depth = 0;
	int str = 0, scalar, done = 0, first = 1, rc;
	size_t n, keep;

	crm_buf_reset(&rd->acc);
	*overlong = 0;
	rd->ja_esc = 0;
	scalar = rd->in[rd->in_off] != '{' && rd->in[rd->in_off] != '[' &&
		 rd->in[rd->in_off] != '"';
	while (!done) {
		if (rd->in_off >= rd->in_len && (rc = fill(rd)) <= 0)
			return rc;
		s = p = rd->in + rd->in_off;
		end = rd->in + rd->in_len;
		for (; p < end && !done; p++) {
			if (str) {
				if (rd->ja_esc)
					rd->ja_esc = 0;
				else if (*p == '\\')
					rd->ja_esc = 1;
				else if (*p == '"')
					str = 0, done = depth == 0;
				else if (*p == '\n' || *p == '\r')
					str = 0; /* bad JSON: the parser says */
			} else if (scalar) {
				if (!first &&
				    (json_ws(*p) || *p == ',' || *p == ']')) {
					done = 1;
					break;
				}
				first = 0;
			} else if (*p == '"') {
				str = 1;
			} else if (*p == '{' || *p == '[') {
				depth++;
			} else if (*p == '}' || *p == ']') {
				done = --depth <= 0;
			}
		}
		n = (size_t)(p - s);
		ja_lines(rd, s, n);
		rd->ja_last = rd->ja_line;
		rd->in_off += n;
		if (rd->acc.len + n > rd->max && !*overlong) {
			*overlong = 1;
			keep = rd->acc.len < 1024 ? 1024 - rd->acc.len : 0;
			n = n < keep ? n : keep;
		} else if (*overlong) {
			n = 0;
		}
		if (crm_buf_add(&rd->acc, s, n) == -1)
			return -1;
	}
	return 1;
}

/* What a JSON value that is not an object is, by its first byte. */
static const char *
json_kind(int c)
{
	switch (c) {
	case '"':
		return "a string";
	case '[':
		return "an array";
	case 't':
	case 'f':
		return "a boolean";
	case 'n':
		return "null";
	default:
		return c == '-' || (c >= '0' && c <= '9') ? "a number"
							  : "not JSON";
	}
}

/* A fault of the array itself, at the current line: no record with it. */
static int
ja_fault(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e,
    enum ja_state next, const char *why)
{
	rd->ja = next;
	r->line = rd->ja_line;
	e->line = rd->ja_line;
	return crm_err_set(e, EX_DATAERR, "bad JSON array: %s", why);
}

static int
array_next(struct crm_reader *rd, struct crm_rec *r, struct crm_err *e)
{
	int c, rc, overlong;
	char why[96];

	for (;;) {
		if (rd->ja == JA_END)
			return 0;
		if ((c = ja_peek(rd)) == -2)
			return line_failed(e);
		switch (rd->ja) {
		case JA_OPEN:
			if (c == -1)
				return 0;
			ja_take(rd); /* the '[' sniff_format() saw */
			rd->ja = JA_FIRST;
			rd->ja_elem = 0;
			continue;
		case JA_FIRST:
		case JA_NEXT:
			if (c == -1)
				break;
			if (c == ']') {
				ja_take(rd);
				if (rd->ja == JA_NEXT)
					return ja_fault(rd, r, e, JA_AFTER,
					    "',' before ']'");
				rd->ja = JA_AFTER;
				continue;
			}
			goto element;
		case JA_SEP:
			if (c == -1)
				break;
			if (c == ',' || c == ']') {
				ja_take(rd);
				rd->ja = c == ',' ? JA_NEXT : JA_AFTER;
				continue;
			}
			/* as if the comma were there */
			snprintf(why, sizeof(why),
			    "no ',' or ']' after element %lu", rd->ja_elem);
			return ja_fault(rd, r, e, JA_NEXT, why);
		case JA_AFTER:
			if (c == -1)
				return 0;
			return ja_fault(
			    rd, r, e, JA_END, "text after the closing ']'");
		case JA_END:
			return 0;
		}
		rd->ja_line = rd->ja_last; /* the end, where ']' was missed */
		return ja_fault(rd, r, e, JA_END, "no closing ']' at the end");
	}
element:
	rd->start = rd->ja_line;
	rd->ja_elem++;
	if ((rc = ja_element(rd, &overlong)) == -1)
		return line_failed(e);
	rd->ja = rc == 0 ? JA_END : JA_SEP;
	take_raw(rd, r);
	e->line = r->line;
	if (overlong)
		return crm_err_set(e, EX_DATAERR,
		    "record longer than %zu bytes (raw text cut short)",
		    rd->max);
	if (rc == 0)
		return crm_err_set(e, EX_DATAERR,
		    "bad JSON array: element %lu cut short by the end of input",
		    rd->ja_elem);
	if (c != '{')
		return crm_err_set(e, EX_DATAERR,
		    "bad JSON array: element %lu is %s, not an object",
		    rd->ja_elem, json_kind(c));
	if (crm_json_parse_object(r, r->raw.p, r->raw.len, e) == -1) {
		json_bad_text(rd, r->raw.p, r->raw.len, e);
		e->line = r->line;
		return -1;
	}
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
	char what[64];
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
		if (!crm_utf8_check(a, ni, &bad)) {
			memset(rd->bad, 0, sizeof(rd->bad));
			memcpy(rd->bad, a + bad, ni - bad < 3 ? ni - bad : 3);
			snprintf(what, sizeof(what),
			    "bad header: field %zu: ", i + 1);
			return bad_text(rd, e, what, bad + 1);
		}
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

/*
 * Read the first bytes into rd->in, for the sniffing: up to 64 KiB, but
 * no more than is there once a line is whole, so that a slow pipe's
 * first records are not held back.  0, or -1 (errno set).
 */
static int
read_window(struct crm_reader *rd)
{
	ssize_t n;
	size_t want;
	int nl = 0;

	while (rd->in_len < CRM_READ_CHUNK) {
		if (nl && !ready(rd))
			break;
		want = CRM_READ_CHUNK - rd->in_len;
		if ((n = read_some(rd, rd->in + rd->in_len,
			 want < chunk ? want : chunk)) < 0)
			return -1;
		if (n == 0) {
			rd->in_eof = 1;
			break;
		}
		nl = nl || memchr(rd->in + rd->in_len, '\n', (size_t)n) != NULL;
		rd->in_len += (size_t)n;
	}
	return 0;
}

/* Whether name is UTF-8's, which needs no decoding. */
static int
is_utf8(const char *name)
{
	return strcasecmp(name, "UTF-8") == 0 || strcasecmp(name, "UTF8") == 0;
}

int
crm_encoding_known(const char *name)
{
	iconv_t cd;

	if (is_utf8(name))
		return 1;
	if ((cd = iconv_open("UTF-8", name)) == NO_ICONV)
		return 0;
	iconv_close(cd);
	return 1;
}

/*
 * The bytes a refused character is skipped by: UTF-16 and UTF-32 go on
 * after a bad unit, not a byte, lest the rest be read out of step.
 */
static size_t
conv_unit(const char *name)
{
	char low[64];
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'
				    ? name[i] - 'A' + 'a'
				    : name[i]);
	low[i] = '\0';
	if (strstr(low, "16") != NULL || strstr(low, "ucs-2") != NULL ||
	    strstr(low, "ucs2") != NULL)
		return 2;
	if (strstr(low, "32") != NULL || strstr(low, "ucs-4") != NULL ||
	    strstr(low, "ucs4") != NULL)
		return 4;
	return 1;
}

/*
 * Decide the input's encoding from the window in rd->in (or take
 * encoding), and when it is not UTF-8, set up the decoder and decode
 * the window.  0, or -1 with e filled: EX_DATAERR for input refused.
 */
static int
open_encoding(struct crm_reader *rd, const char *encoding, struct crm_err *e)
{
	struct crm_sniff_enc sn;
	char *t;

	if (encoding != NULL) {
		if (is_utf8(encoding))
			return 0;
		rd->enc = encoding;
	} else {
		switch (crm_read_sniff_encoding(
		    rd->in, rd->in_len, rd->in_eof, &sn)) {
		case CRM_ENC_UTF8:
			return 0;
		case CRM_ENC_UTF16LE:
			rd->enc = "UTF-16LE";
			break;
		case CRM_ENC_UTF16BE:
			rd->enc = "UTF-16BE";
			break;
		case CRM_ENC_GB18030:
			rd->enc = "GB18030";
			snprintf(rd->note, sizeof(rd->note),
			    "not UTF-8; read as GB18030 (Chinese text); give "
			    "--encoding to say otherwise");
			break;
		case CRM_ENC_UTF16LE_NOBOM:
		case CRM_ENC_UTF16BE_NOBOM:
			e->line = 1;
			return crm_err_set(e, EX_DATAERR,
			    "not UTF-8: UTF-16 without a byte-order mark? give "
			    "--encoding %s",
			    sn.enc == CRM_ENC_UTF16LE_NOBOM ? "UTF-16LE"
							    : "UTF-16BE");
		default:
			e->line = sn.bad_line;
			return crm_err_set(e, EX_DATAERR,
			    "not UTF-8 (byte 0x%02X); give --encoding NAME "
			    "(such as %s)",
			    sn.bad_byte,
			    sn.hint != NULL ? sn.hint : "cp1252 or latin1");
		}
	}
	if ((rd->cd = iconv_open("UTF-8", rd->enc)) == NO_ICONV)
		return crm_err_set(
		    e, EX_USAGE, "unknown encoding '%s'", rd->enc);
	rd->conv_unit = conv_unit(rd->enc);
	/* The window becomes the first raw bytes to decode. */
	if ((t = malloc(CRM_CONV_ROOM)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	rd->raw = rd->in;
	rd->raw_len = rd->in_len;
	rd->raw_eof = rd->in_eof;
	rd->in = t;
	rd->in_cap = CRM_CONV_ROOM;
	rd->in_len = 0;
	rd->in_eof = 0;
	if (fill_conv(rd) == -1)
		return line_failed(e);
	return 0;
}

/* A delimiter in messages. */
static const char *
delim_name(int c)
{
	switch (c) {
	case '\t':
		return "tab";
	case ';':
		return "';'";
	case '|':
		return "'|'";
	default:
		return "','";
	}
}

/*
 * The format of the text in the window: JSONL when it starts with '{',
 * a JSON array when it starts with '[' and then '{' or ']' (white space
 * around them allowed); else CSV.
 */
static enum crm_format
sniff_format(const char *s, size_t n, int *array)
{
	size_t i = 0;

	*array = 0;
	while (i < n && json_ws(s[i]))
		i++;
	if (i < n && s[i] == '{')
		return CRM_FMT_JSONL;
	if (i < n && s[i] == '[') {
		for (i++; i < n && json_ws(s[i]); i++)
			;
		if (i == n || s[i] == '{' || s[i] == ']') {
			*array = 1;
			return CRM_FMT_JSONL;
		}
	}
	return CRM_FMT_CSV;
}

struct crm_reader *
crm_reader_open(
    FILE *fp, const char *name, enum crm_format fmt, struct crm_err *e)
{
	struct crm_read_opts o;

	memset(&o, 0, sizeof(o));
	o.fmt = fmt;
	return crm_reader_open_with(fp, name, &o, e);
}

struct crm_reader *
crm_reader_open_with(FILE *fp, const char *name, const struct crm_read_opts *o,
    struct crm_err *e)
{
	struct crm_reader *rd;
	enum crm_format fmt = o->fmt, seen;
	const char *s;
	size_t n;
	int array, other = 0;

	crm_err_clear(e);
	e->file = name;
	if ((rd = calloc(1, sizeof(*rd))) == NULL ||
	    (rd->in = malloc(CRM_READ_CHUNK)) == NULL) {
		free(rd);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	rd->in_cap = CRM_READ_CHUNK;
	rd->cd = NO_ICONV;
	rd->fp = fp;
	rd->fd = fileno(fp);
	rd->name = name;
	rd->max = CRM_MAX_RECORD;
	rd->delim = o->delim;
	crm_buf_init(&rd->pend);
	crm_buf_init(&rd->line);
	crm_buf_init(&rd->acc);
	crm_buf_init(&rd->tmp);

	/* The window: encoding, byte-order mark, format, delimiter. */
	if (read_window(rd) == -1) {
		line_failed(e);
		goto fail;
	}
	if (open_encoding(rd, o->encoding, e) == -1)
		goto fail;
	if (rd->in_len - rd->in_off >= 3 &&
	    memcmp(rd->in + rd->in_off, "\xef\xbb\xbf", 3) == 0)
		rd->in_off += 3;
	s = rd->in + rd->in_off;
	n = rd->in_len - rd->in_off;
	seen = sniff_format(s, n, &array);
	if (fmt == CRM_FMT_AUTO)
		fmt = seen;
	if (fmt == CRM_FMT_JSONL && seen == CRM_FMT_JSONL && array) {
		rd->array = 1;
		rd->ja_line = 1;
	}
	if (fmt == CRM_FMT_CSV && rd->delim == 0) {
		rd->delim = crm_read_sniff_delim(s, n,
		    rd->cd == NO_ICONV
			? rd->in_eof
			: rd->raw_eof && rd->raw_off == rd->raw_len,
		    &other);
		if (other != 0)
			snprintf(rd->note, sizeof(rd->note),
			    "%s and %s split the first lines alike; read with "
			    "%s; give --delimiter to say otherwise",
			    delim_name(rd->delim), delim_name(other),
			    delim_name(rd->delim));
	}
	if (o->fmt == CRM_FMT_AUTO && fmt == CRM_FMT_CSV && rd->delim == '\t')
		fmt = CRM_FMT_TSV; /* tab-separated, without quoting */
	if (fmt == CRM_FMT_CSV && rd->delim == 0)
		rd->delim = ',';
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

const char *
crm_reader_note(const struct crm_reader *rd)
{
	return rd->note[0] != '\0' ? rd->note : NULL;
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
	if (rd->cd != NO_ICONV)
		iconv_close(rd->cd);
	free(rd->raw);
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
		if (rd->array)
			return array_next(rd, r, e);
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
