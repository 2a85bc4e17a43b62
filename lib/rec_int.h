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

#endif
