/*
 * schema: what crm-ingest knows about a kind of record: its fields, how
 * each is normalized, which are required, and what its key is.
 *
 * "customers", "events" and "consent" are the kinds (see crm-store(5)); a table of
 * the user's own (--table) is generic: every field is text unless --type
 * or --infer-types says it is a number, and the key is --key's field or a
 * hash of the whole record.  A struct crm_schema is built once per run,
 * adjusted by the command line (renames, types, region, date order) and
 * then applied to every record.  It owns everything it holds.  Only the
 * thread that applies it may call crm_schema_type(); what is fixed before
 * the first record (crm_schema_declared, _key, _column, _inferring) may be
 * read by any thread.
 */
#ifndef CRM_SCHEMA_H
#define CRM_SCHEMA_H

#include "buf.h"
#include "err.h"
#include "norm.h"
#include "rec.h"

/* How a field's values are normalized. */
enum crm_ftype {
	CRM_F_TEXT,    /* NFKC, trimmed, inner white space collapsed */
	CRM_F_ID,      /* as text; must not be empty when present */
	CRM_F_EMAIL,   /* crm_norm_email */
	CRM_F_PHONE,   /* crm_norm_phone */
	CRM_F_DATE,    /* crm_norm_date */
	CRM_F_NUMBER,  /* a decimal number, written as a JSON number */
	CRM_F_RAW,     /* left exactly as read */
	CRM_F_INTEGER, /* a whole number, written as a JSON number */
	CRM_F_AUTO,    /* --infer-types: not known until a first value */
	CRM_F_INUMBER, /* --infer-types: a number (see crm_schema_infer) */
	CRM_F_GRANTED  /* consent: CRM_CONSENT_WORDS, written as 1 or 0 */
};

/* How crm_schema_number() reads a number. */
#define CRM_NUM_COMMA	0x1 /* decimal comma: "1.234,5" is 1234.5 */
#define CRM_NUM_INTEGER 0x2 /* a whole number only */
#define CRM_NUM_STRICT	0x4 /* as inferred: see crm_schema_infer() */

struct crm_schema;

/*
 * Return the schema for kind ("customers", "events" or "consent"), or
 * NULL with e
 * filled: EX_USAGE for any other name, with the near kind as a "did you
 * mean" hint; EX_SOFTWARE when out of memory.
 */
struct crm_schema *crm_schema_new(const char *kind, struct crm_err *e);

/*
 * Return the schema of the generic table named table, or NULL with e
 * filled: EX_USAGE for a name that is not [a-z][a-z0-9_]* of at most 63
 * bytes, that is a kind, or that names one of the store's own tables or
 * indexes (sqlite_* included); EX_SOFTWARE when out of memory.
 */
struct crm_schema *crm_schema_new_table(const char *table, struct crm_err *e);
void crm_schema_free(struct crm_schema *s);

/* 1 for the kinds, 0 for a generic table. */
int crm_schema_builtin(const struct crm_schema *s);
const char *crm_schema_kind(const struct crm_schema *s);

/*
 * Configuration, each returning 0 or -1 with e filled (EX_USAGE):
 * rename input field `from` to `to` ("--map to=from"); set a field's type
 * by name ("email", "phone", ...); choose the key field of a generic table;
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
 * --infer-types: a field with no type of its own takes one from its first
 * non-empty value (crm_schema_infer), and later values that do not fit
 * that type are rejected.  --decimal-comma: numbers are read with
 * CRM_NUM_COMMA.
 */
void crm_schema_set_infer(struct crm_schema *s, int on);

/*
 * The input the records applied next come from (borrowed; NULL: not
 * known), so that a value rejected by an inferred type names the file the
 * type was inferred in when it is another ("as inferred from a.csv:2").
 */
void crm_schema_set_input(struct crm_schema *s, const char *name);
void crm_schema_set_decimal_comma(struct crm_schema *s, int on);
int crm_schema_inferring(const struct crm_schema *s);

/*
 * Read the number v (n bytes, already trimmed) as flags say and append
 * it to out (may be NULL: only check) as a JSON number: no '+', no
 * leading zeros, no group separators, '.' as the decimal point, a lone
 * point dropped ("1." is 1, ".5" is 0.5).  Without CRM_NUM_COMMA a number
 * is [+-]digits[.digits][e[+-]digits]; with it, ',' is the decimal point
 * and '.' may group thousands (each '.' followed by three digits).
 * Returns 0, 1 when v is not such a number, 2 when it is one but out of
 * range (beyond a double's +-1.8e308, which SQLite would store as Inf;
 * with CRM_NUM_INTEGER, beyond SQLite's 64-bit integers, which it would
 * store as an inexact REAL), or -1 when out of memory.  A number too
 * small for a double is in range: it is stored as 0.
 */
int crm_schema_number(struct crm_buf *out, const char *v, size_t n, int flags);

/*
 * The type --infer-types gives a field whose first value is v (n bytes,
 * trimmed): CRM_F_INUMBER when v is a plain decimal number, -?digits with
 * an optional fraction, no '+', no exponent, no leading zero ("007" and
 * "+8613800138000" are codes, not numbers) and at most 15 digits (what a
 * REAL keeps exactly); else CRM_F_TEXT.  flags: CRM_NUM_COMMA or 0.
 */
enum crm_ftype crm_schema_infer(const char *v, size_t n, int flags);

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

/*
 * The type of the field named name (after renames): its --type, its
 * kind's, CRM_F_ID for the key, what --infer-types decided, CRM_F_AUTO
 * while undecided, else CRM_F_TEXT.
 */
enum crm_ftype crm_schema_type(
    const struct crm_schema *s, const char *name, size_t len);

/*
 * The type given to name by --type, its kind or --key, or CRM_F_AUTO
 * when none did (its type is then text, or what --infer-types decides):
 * fixed before the first record.
 */
enum crm_ftype crm_schema_declared(
    const struct crm_schema *s, const char *name, size_t len);

/*
 * The i-th field every record needs (a kind's required fields, a
 * table's --key), as the input names it: after --map STORE=INPUT, the
 * INPUT name.  *opt is the option that names it, for messages ("--map
 * customer_id=CustID", "--key", else "use --map customer_id=FIELD").
 * Both are owned by s and fixed by the first call, which comes after
 * the configuration.  1, 0 past the last, or -1 when out of memory.
 */
int crm_schema_need(
    struct crm_schema *s, size_t i, const char **name, const char **opt);

/* The key field name (customer_id, event_id, or --key's), or NULL. */
const char *crm_schema_key(const struct crm_schema *s);

/* The store column for field name, or NULL when it goes into "extra". */
const char *crm_schema_column(
    const struct crm_schema *s, const char *name, size_t len);

#endif
