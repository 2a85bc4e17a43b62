/*
 * rec: records and the one reader and one writer for CSV, TSV and JSONL.
 *
 * A record is an ordered list of (name, value) fields; a value keeps its
 * JSON type (string, number, true, false, null, or nested JSON kept as raw
 * text) so that JSONL in gives the same JSONL out.  Values read from CSV or
 * TSV are strings.  Names and values are UTF-8, carry their length and may
 * contain NUL bytes.
 *
 * Ownership: a struct crm_rec owns every byte of its fields; pointers
 * returned by crm_rec_name() and crm_rec_value() stay valid until the next
 * call that changes that record (add, set, rename, clear).  Readers and
 * writers borrow the FILE they are given and never close it; a reader
 * reads its file descriptor directly, so the FILE must not be read
 * through stdio as well.
 */
#ifndef CRM_REC_H
#define CRM_REC_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum crm_type {
	CRM_NULL,
	CRM_FALSE,
	CRM_TRUE,
	CRM_NUMBER, /* JSON number, kept as its original text */
	CRM_STRING,
	CRM_JSON /* a nested object or array, kept as its original text */
};

enum crm_format {
	CRM_FMT_AUTO, /* reader: JSONL if the text starts with '{' or is a
			 JSON array, TSV if the delimiter sniffed is a
			 tab, else CSV: see crm_reader_open_with() */
	CRM_FMT_CSV,
	CRM_FMT_TSV,
	CRM_FMT_JSONL
};

struct crm_buf;
struct crm_rec;
struct crm_reader;
struct crm_writer;

/* ==== Records ==== */

/* Return a new empty record, or NULL when out of memory. */
struct crm_rec *crm_rec_new(void);
void crm_rec_free(struct crm_rec *r);

/* Drop every field and the source position, keeping the allocations. */
void crm_rec_clear(struct crm_rec *r);

size_t crm_rec_count(const struct crm_rec *r);
const char *crm_rec_name(const struct crm_rec *r, size_t i, size_t *len);
const char *crm_rec_value(const struct crm_rec *r, size_t i, size_t *len);
enum crm_type crm_rec_type(const struct crm_rec *r, size_t i);

/*
 * A number two records share only when they have the same names in the
 * same order, or 0 when that is not known: the records read under one
 * CSV or TSV header share one.  For caches keyed by field names.
 */
unsigned long crm_rec_names_id(const struct crm_rec *r);

/* Return the index of the first field named name, or -1. */
long crm_rec_find(const struct crm_rec *r, const char *name, size_t len);

/*
 * The same for a NUL-terminated name, white space at either end of the
 * record's names left out (as crm-ingest reads names).
 */
long crm_rec_find_trimmed(const struct crm_rec *r, const char *name);

/*
 * The value of the first field named name (NUL-terminated), or NULL when
 * there is none or it is null or empty; *len is its length.
 */
const char *crm_rec_text(
    const struct crm_rec *r, const char *name, size_t *len);

/* Append a field; 0, or -1 when out of memory. */
int crm_rec_add(struct crm_rec *r, const char *name, size_t nlen,
    const char *val, size_t vlen, enum crm_type type);

/*
 * Append a number field: v printed with fmt (one double conversion, as
 * "%.4f"), or null when v is not a number.  0, or -1 when out of memory.
 */
int crm_rec_add_num(struct crm_rec *r, const char *name, const char *fmt,
    double v) __attribute__((format(printf, 3, 0)));

/* Set the first field named name to val, or append it; 0 or -1. */
int crm_rec_put(struct crm_rec *r, const char *name, const char *val,
    size_t vlen, enum crm_type type);

/* Replace field i's value (val may point into r itself); 0 or -1. */
int crm_rec_set(struct crm_rec *r, size_t i, const char *val, size_t vlen,
    enum crm_type type);

/* Make dst a copy of src's fields and line (not its raw text); 0 or -1. */
int crm_rec_copy(struct crm_rec *dst, const struct crm_rec *src);

/*
 * Append r (its fields and line, not its raw text) to b in a compact
 * form, for a tool that holds many records: one buffer instead of a
 * record each.  0, or -1 when out of memory.
 */
int crm_rec_pack(const struct crm_rec *r, struct crm_buf *b);

/*
 * Make r (cleared first) the record packed at p by crm_rec_pack; returns
 * the number of bytes it took, or 0 when out of memory.
 */
size_t crm_rec_unpack(struct crm_rec *r, const char *p);

/* Remove field i (its bytes stay in r until it is cleared). */
void crm_rec_remove(struct crm_rec *r, size_t i);

/* Rename field i; 0 or -1. */
int crm_rec_rename(struct crm_rec *r, size_t i, const char *name, size_t len);

/* The 1-based line the record started on in its input, or 0. */
unsigned long crm_rec_line(const struct crm_rec *r);

/* Set it, for a record source that is not a file (its n-th record). */
void crm_rec_set_line(struct crm_rec *r, unsigned long line);

/*
 * The record's original text as read (without its final line break), for
 * rejects; empty for records that were built rather than read.
 */
const char *crm_rec_raw(const struct crm_rec *r, size_t *len);

/*
 * Give r the raw text p[0..len) (p must not point into r), for a tool
 * that held a record packed (crm_rec_pack keeps no raw text) and may
 * still reject it.  0, or -1 when out of memory.
 */
int crm_rec_set_raw(struct crm_rec *r, const char *p, size_t len);

/*
 * A cache of something looked up by field name, kept by field position:
 * records from one file carry the same names in the same places, so a
 * lookup by name becomes one comparison, and none at all for the records
 * of one CSV or TSV header.  Owned by its user; zero it to start, free it
 * with crm_poscache_release().
 */
struct crm_poscache {
	struct crm_poscache_slot {
		char *name;
		size_t len;
		long val;
		unsigned long names; /* names id the name was last seen with */
	} * slot;
	size_t n;
};

/* The value cached for field i of r, if the name there is the same. */
int crm_poscache_get(
    struct crm_poscache *c, const struct crm_rec *r, size_t i, long *val);

/* Remember val for field i of r; 0, or -1 when out of memory. */
int crm_poscache_set(
    struct crm_poscache *c, const struct crm_rec *r, size_t i, long val);
void crm_poscache_release(struct crm_poscache *c);

/* ==== Reader ==== */

/*
 * How to read an input: its format, encoding and CSV delimiter, each
 * found out from the input when not given (zero them all for that).
 */
struct crm_read_opts {
	enum crm_format fmt;  /* CRM_FMT_AUTO: from the first bytes */
	const char *encoding; /* an iconv(3) name, or NULL: sniffed */
	int delim;	      /* ',' ';' '|' or '\t', or 0: sniffed */
};

/*
 * Start reading fp, named name in messages ("-" for standard input).
 *
 * The first bytes (the window: up to 64 KiB, or less when a pipe has no
 * more to give once the first line is whole) decide what is not given:
 * - encoding: a UTF-8 byte-order mark is dropped; UTF-16 with a
 *   byte-order mark is decoded; text that is valid UTF-8 (or has more
 *   valid UTF-8 characters beyond ASCII than bad bytes) is read as it
 *   is; text that is not, but is GB18030 made of common Chinese
 *   characters, is decoded as GB18030 and crm_reader_note() says so;
 *   anything else is refused (EX_DATAERR, at the line of the first bad
 *   byte), as is UTF-16 without a byte-order mark.  With an encoding,
 *   the input is decoded with iconv(3) as it is read.  A byte that turns
 *   out bad later rejects the record it is in.
 * - format (CRM_FMT_AUTO): JSONL when the text starts with '{'; a JSON
 *   array of objects when it starts with '[' and then '{' or ']' (also
 *   with CRM_FMT_JSONL): its elements are the records, read one at a
 *   time, so only an element is bounded by the record limit; else CSV,
 *   or TSV when the delimiter is a tab.
 * - delimiter, for CSV: of ',' tab ';' '|', the one found in the header
 *   (outside quotes) the same number of times as in the most records of
 *   the window; on a tie, the one that makes more fields, then the first
 *   in that order.  When two fit every record, crm_reader_note() says
 *   which was taken.
 * For CSV and TSV the header row is read here: its names must be
 * non-empty, valid UTF-8 and distinct.  Returns NULL with e filled on
 * error; an empty input is not an error (crm_reader_next() then returns
 * 0 at once).  crm_reader_open() is the same with only a format given.
 */
struct crm_reader *crm_reader_open_with(FILE *fp, const char *name,
    const struct crm_read_opts *o, struct crm_err *e);
struct crm_reader *crm_reader_open(
    FILE *fp, const char *name, enum crm_format fmt, struct crm_err *e);

/*
 * What the reader guessed that the user should hear about (one line,
 * without the file's name), or NULL.  Owned by the reader.
 */
const char *crm_reader_note(const struct crm_reader *rd);

/* Whether iconv(3) can decode name to UTF-8 (UTF-8 itself included). */
int crm_encoding_known(const char *name);

void crm_reader_close(struct crm_reader *rd);

/*
 * Call fn(arg) whenever the next read of the input would wait for more
 * (a pipe or terminal with nothing in it yet): the place for a filter to
 * flush its output, so records flow through a pipeline one by one.
 */
void crm_reader_on_wait(struct crm_reader *rd, void (*fn)(void *), void *arg);

/*
 * Records longer than max bytes (default 64 MiB) are rejected: a guard
 * against an unterminated quote swallowing the rest of a file.
 */
void crm_reader_set_max(struct crm_reader *rd, size_t max);

/*
 * Read the next record into r (cleared first).  Returns 1 with a record,
 * 0 at end of input, or -1 with e filled.  When e->code is EX_DATAERR the
 * record was malformed: r holds its line and raw text, and reading may go
 * on with the next record.  Any other code (EX_IOERR, EX_SOFTWARE) is
 * fatal for this reader.
 */
int crm_reader_next(
    struct crm_reader *rd, struct crm_rec *r, struct crm_err *e);

/* The format in use (never CRM_FMT_AUTO once a byte was seen). */
enum crm_format crm_reader_format(const struct crm_reader *rd);

/*
 * The CSV/TSV header as a record of names with empty values, or NULL for
 * JSONL and empty input.  Owned by the reader.
 */
const struct crm_rec *crm_reader_header(const struct crm_reader *rd);

/* ==== Writer ==== */

/* Return a writer of fmt (not AUTO) to fp, or NULL when out of memory. */
struct crm_writer *crm_writer_new(FILE *fp, enum crm_format fmt);
void crm_writer_free(struct crm_writer *w);

/*
 * Write CSV/TSV for a spreadsheet (a no-op for JSONL): a UTF-8 byte
 * order mark before the header, and a ' before every cell that starts
 * with =, +, -, @, tab or carriage return and is not wholly a decimal
 * number (-5 and +86 stay numbers), so that no cell is taken for a
 * formula.  Call before the first record.
 */
void crm_writer_excel(struct crm_writer *w);

/*
 * Fix the CSV/TSV header to the names of r and write it (a no-op for
 * JSONL).  Without this call the first record's names are the header.
 */
int crm_writer_header(
    struct crm_writer *w, const struct crm_rec *r, struct crm_err *e);

/*
 * Write out what the writer buffered (it writes in blocks); 0, or -1 with
 * e filled (EX_IOERR).  Call before closing the stream.
 */
int crm_writer_flush(struct crm_writer *w, struct crm_err *e);

/*
 * The errno of the first write that failed (nothing is written after it),
 * or 0; and how many records were put but have not reached the stream
 * yet (all of them after a failure: a record counts as written once its
 * block was written and flushed).
 */
int crm_writer_error(const struct crm_writer *w);
unsigned long long crm_writer_pending(const struct crm_writer *w);

/*
 * Write one record.  In CSV and TSV each field goes under the header column
 * of its name; a missing one is written empty, and a field that has no
 * column is an error (EX_DATAERR, naming the field; nothing written).  Returns 0, or -1 with e filled
 * (EX_IOERR when the stream failed).
 */
int crm_writer_put(
    struct crm_writer *w, const struct crm_rec *r, struct crm_err *e);

/*
 * Append r as one JSON object (no newline) to b; used for the "extra"
 * column and audit records.  0, or -1 when out of memory.
 */
struct crm_buf;
int crm_rec_to_json(const struct crm_rec *r, struct crm_buf *b);

/*
 * The same for the fields idx[0..n) of r only, in that order (idx NULL:
 * the first n fields).  With CRM_JSON_EMPTY_NULL an empty string is
 * written as null; with CRM_JSON_SKIP_NULL a field that would be null is
 * left out.
 */
#define CRM_JSON_EMPTY_NULL 1
#define CRM_JSON_SKIP_NULL  2
int crm_rec_fields_to_json(const struct crm_rec *r, const size_t *idx, size_t n,
    int flags, struct crm_buf *b);

/* Append s as a JSON string literal, quotes included; 0 or -1. */
int crm_json_quote(struct crm_buf *b, const char *s, size_t len);

/*
 * The elements of the JSON array text[0..len), one a call: *off is 0 for
 * the first and is moved past each element; *el and *elen are the next
 * element's text (checked, as it was written).  1 with an element, 0 at
 * the end of the array, -1 with e filled (EX_DATAERR: bad JSON, naming
 * the byte).
 */
int crm_json_array_next(const char *text, size_t len, size_t *off,
    const char **el, size_t *elen, struct crm_err *e);

#endif
