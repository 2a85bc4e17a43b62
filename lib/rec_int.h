/*
 * rec_int: the inside of struct crm_rec, shared by the record code
 * (rec.c) and the readers (read.c, json.c) only; everything else goes
 * through rec.h.
 */
#ifndef CRM_REC_INT_H
#define CRM_REC_INT_H

#include "buf.h"
#include "rec.h"

/*
 * The limits of one record, documented in crm(7): its text in bytes (a
 * line, or the lines of one JSON object) and its fields.  Both are
 * checked while the record is read, before the work they guard.
 */
#define CRM_MAX_RECORD ((size_t)64 * 1024 * 1024)
#define CRM_MAX_FIELDS 10000

struct crm_field {
	size_t name_off; /* offset of the name in data */
	size_t name_len;
	size_t val_off; /* offset of the value in data */
	size_t val_len;
	enum crm_type type;
};

struct crm_rec {
	struct crm_field *f; /* fields in order */
	size_t n;	     /* fields in use */
	size_t cap;	     /* fields allocated */
	struct crm_buf data; /* names and values, each NUL-terminated */
	struct crm_buf raw;  /* original text, for rejects */
	unsigned long line;  /* 1-based first line in the input */
	unsigned long names; /* names id, or 0: see crm_rec_names_new */
};

/*
 * A new names id.  Two records with the same nonzero names id have the
 * same names in the same order: a reader gives each record it reads
 * under a CSV or TSV header the id it drew for that header, and every
 * change to a record's names sets its id to 0 ("not known").  The
 * caches keyed by names (crm_poscache, the writer's header) then compare
 * ids instead of names.
 */
unsigned long crm_rec_names_new(void);

/*
 * Parse one JSON object (the whole of text, white space around it allowed)
 * into r's fields.  Returns 0, or -1 with e's message set (EX_DATAERR for
 * bad JSON, EX_SOFTWARE when out of memory).
 */
int crm_json_parse_object(
    struct crm_rec *r, const char *text, size_t len, struct crm_err *e);

/*
 * Read input n bytes at a time (1 to 64 KiB; 0 restores the default), so
 * the unit tests can split lines, CRLFs and fields at every position.
 */
void crm_read_set_chunk(size_t n);

/* The encodings crm_read_sniff_encoding() tells apart. */
enum crm_enc {
	CRM_ENC_UTF8,
	CRM_ENC_UTF16LE, /* with a byte-order mark */
	CRM_ENC_UTF16BE,
	CRM_ENC_UTF16LE_NOBOM, /* NULs in every other byte: refused */
	CRM_ENC_UTF16BE_NOBOM,
	CRM_ENC_GB18030, /* not UTF-8, and Chinese text in GB18030 */
	CRM_ENC_UNKNOWN	 /* not UTF-8, and not that: refused */
};

struct crm_sniff_enc {
	enum crm_enc enc;
	size_t bad_off;		/* the first byte that is not UTF-8 */
	unsigned char bad_byte; /* its value */
	unsigned long bad_line; /* its line, 1-based */
	const char *hint;	/* CRM_ENC_UNKNOWN: what it may be, or NULL */
};

/*
 * The encoding of the first n bytes s of an input (the rules of
 * crm_reader_open_with()); eof says whether they are all of it, else a
 * character cut short at the end is left out.  Returns out->enc.
 */
enum crm_enc crm_read_sniff_encoding(
    const char *s, size_t n, int eof, struct crm_sniff_enc *out);

/*
 * The CSV delimiter of the text s[0..n) (the rules of
 * crm_reader_open_with()); ',' when the header has none of them.  *other
 * is a second one that fits every record as well, or 0.
 */
int crm_read_sniff_delim(const char *s, size_t n, int eof, int *other);

#endif
