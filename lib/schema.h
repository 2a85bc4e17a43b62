/*
 * schema: what crm-ingest knows about a kind of record: its fields, how
 * each is normalized, which are required, and what its key is.
 *
 * "customers" and "events" are built in (see crm-store(5)); any other kind
 * is generic: every field is text and the key is --key's field or a hash
 * of the whole record.  A struct crm_schema is built once per run, adjusted
 * by the command line (renames, types, region, date order) and then
 * applied to every record.  It owns everything it holds.
 */
#ifndef CRM_SCHEMA_H
#define CRM_SCHEMA_H

#include "err.h"
#include "norm.h"
#include "rec.h"

/* How a field's values are normalized. */
enum crm_ftype {
	CRM_F_TEXT,   /* NFKC, trimmed, inner white space collapsed */
	CRM_F_ID,     /* as text; must not be empty when present */
	CRM_F_EMAIL,  /* crm_norm_email */
	CRM_F_PHONE,  /* crm_norm_phone */
	CRM_F_DATE,   /* crm_norm_date */
	CRM_F_NUMBER, /* a decimal number, written without spaces */
	CRM_F_RAW     /* left exactly as read */
};

struct crm_schema;

/*
 * Return the schema for kind, or NULL with e filled (EX_USAGE for a kind
 * name that is not [a-z][a-z0-9_]* of at most 63 bytes or that names one
 * of the store's own tables; EX_SOFTWARE when out of memory).
 */
struct crm_schema *crm_schema_new(const char *kind, struct crm_err *e);
void crm_schema_free(struct crm_schema *s);

/* 1 for customers and events, 0 for a generic kind. */
int crm_schema_builtin(const struct crm_schema *s);
const char *crm_schema_kind(const struct crm_schema *s);

/*
 * Configuration, each returning 0 or -1 with e filled (EX_USAGE):
 * rename input field `from` to `to` ("--map to=from"); set a field's type
 * by name ("email", "phone", ...); choose the key field of a generic kind;
 * the default phone region; the order of NN/NN/YYYY dates.
 */
int crm_schema_map(
    struct crm_schema *s, const char *to, const char *from, struct crm_err *e);
int crm_schema_set_type(struct crm_schema *s, const char *field,
    const char *type, struct crm_err *e);
int crm_schema_set_key(
    struct crm_schema *s, const char *field, struct crm_err *e);
int crm_schema_set_region(
    struct crm_schema *s, const char *region, struct crm_err *e);
void crm_schema_set_date_order(struct crm_schema *s, enum crm_date_order order);

/*
 * Check a CSV/TSV header (names as read) before any record: after renames,
 * every required field must be there and no two names may clash.
 * Returns 0 or -1 with e filled (EX_DATAERR).
 */
int crm_schema_check_header(
    struct crm_schema *s, const struct crm_rec *hdr, struct crm_err *e);

/*
 * Normalize r in place: field names trimmed and NFKC-normalized and
 * renamed as mapped, values normalized by type, required fields checked.
 * Returns 0, or -1 with e's field and message set (EX_DATAERR for a bad
 * value, EX_SOFTWARE when out of memory); r may then be half-normalized.
 */
int crm_schema_apply(
    struct crm_schema *s, struct crm_rec *r, struct crm_err *e);

/* The type of the field named name (after renames). */
enum crm_ftype crm_schema_type(
    const struct crm_schema *s, const char *name, size_t len);

/* The key field name (customer_id, event_id, or --key's), or NULL. */
const char *crm_schema_key(const struct crm_schema *s);

/* The store column for field name, or NULL when it goes into "extra". */
const char *crm_schema_column(
    const struct crm_schema *s, const char *name, size_t len);

#endif
