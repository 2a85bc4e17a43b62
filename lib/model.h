/*
 * model: where trained models live.  In the store, a model is a row of the
 * models table (name, version, kind, created, params, metrics, blob);
 * saving under a name adds the next version, and loading takes the newest
 * version unless one is asked for.  Outside the store a model is a file
 * holding just the blob (--model-file), for stateless and sharded runs.
 */
#ifndef CRM_MODEL_H
#define CRM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "clusters.h"
#include "erase.h"
#include "err.h"
#include "rec.h"
#include "store.h"

/*
 * What a model was trained on, kept with it in the models table: the
 * records (rows) and their fingerprint, the xxh3-64 of the records as
 * the tool read them (after --map and the reader, before the tool's own
 * use of them), each record hashed as its field count, then per field
 * its name, type and value, each length a 64-bit little-endian number
 * before its bytes.  The same records in the same order give the same
 * fingerprint whatever file, pipe or store they came from; a record
 * changed, added, dropped or moved gives another.
 */
struct crm_model_input {
	unsigned long long rows;
	void *h; /* the XXH3 state; NULL when out of memory: no fingerprint */
};

void crm_model_input_init(struct crm_model_input *in);
void crm_model_input_add(struct crm_model_input *in, const struct crm_rec *r);
/*
 * The same for a record of the store that is no struct crm_rec: n fields
 * of the given names and string values (NULL: an empty string).
 */
void crm_model_input_add_strs(struct crm_model_input *in, size_t n,
    const char *const *names, const char *const *values);
/* The fingerprint as 16 lower-case hex digits into buf; 0, or -1 if none. */
int crm_model_input_hex(const struct crm_model_input *in, char buf[17]);
void crm_model_input_release(struct crm_model_input *in);

/*
 * Store blob as the next version of name (kind says what reads it, e.g.
 * "text"; params and metrics are JSON text or NULL), with what it was
 * trained on (in; NULL: not known, the columns NULL).  Sets *version.
 * Returns 0, or -1 with e filled.
 */
int crm_model_put(struct crm_store *s, const char *name, const char *kind,
    const char *params, const char *metrics, const void *blob, size_t len,
    const struct crm_model_input *in, long *version, struct crm_err *e);

/* What the models table says of a stored version (crm_model_info()). */
struct crm_model_info {
	long version;
	long long rows;	 /* -1: not recorded */
	long long pairs; /* metrics' "pairs" (dedupe); -1: none */
	char created[32];
	char fingerprint[17]; /* "" when not recorded */
};

/*
 * The row of name's version (0: the newest) of kind: 1 with *info
 * filled, 0 when there is none, or -1 with e filled.
 */
int crm_model_info(struct crm_store *s, const char *name, long version,
    const char *kind, struct crm_model_info *info, struct crm_err *e);

/*
 * Append the blob of name's version (0: the newest) to out and set
 * *version.  Returns 1, 0 when there is no such model (out unchanged), or
 * -1 with e filled.  A model of another kind is an error (EX_DATAERR), as
 * is one longer than crm_model_max(kind), before it is read.
 */
int crm_model_get(struct crm_store *s, const char *name, long version,
    const char *kind, struct crm_buf *out, long *version_out,
    struct crm_err *e);

/*
 * The model a tool was asked for: the file when file is not NULL, else
 * from store s (when not NULL) name's version (0: the newest) of kind.
 * Appends its bytes to out and sets *version (0 for a file); with params
 * not NULL, appends the model's params there (the models table's, or
 * a file's header: crm_model_write_params), nothing when it has none.  Returns 1,
 * 0 when there is none (and no file was named), or -1 with e filled; a
 * version that was asked for and is missing is an error (EX_NOINPUT).
 */
int crm_model_find(struct crm_store *s, const char *file, const char *name,
    long version, const char *kind, struct crm_buf *out, long *version_out,
    struct crm_buf *params, struct crm_err *e);

/*
 * Write a model file as crm_model_write_file, with params (JSON text, or
 * NULL for none) first: a file with params begins with a header, the 8
 * bytes "CRMPARAM", the params' length as 4 little-endian bytes and the
 * params, then the blob; one without is the bare blob, as model files
 * were before params were kept in them.  crm_model_find reads the
 * header back into its params, of at most 65536 bytes (more is
 * EX_SOFTWARE, nothing written).  0, or -1 (EX_CANTCREAT, EX_IOERR).
 */
int crm_model_write_params(const char *path, const char *params, const void *p,
    size_t len, struct crm_err *e);

/*
 * How a model was trained (--by, clusters.h): its params' "by", "person"
 * or "record"; record when params (len bytes) are NULL, empty or have no
 * "by", as models trained before --by was.
 */
enum crm_by crm_model_by(const char *params, size_t len);

/*
 * 0 when model name, of params, was trained --by by; else -1 with e
 * filled: EX_DATAERR, "model 'NAME' was trained --by person, this run is
 * --by record: run with --by person, or train it again --by record".
 * A model is never applied the other way.
 */
int crm_model_check_by(const char *name, const struct crm_buf *params,
    enum crm_by by, struct crm_err *e);

/*
 * Fill e (EX_NOINPUT) for the model name that was not found; returns -1.
 * "no model 'NAME' in the store; did you mean 'X'?" when X, one of the
 * NULL-terminated builtin names (or NULL) or of the store's models of
 * kind, is near NAME (suggest.h); else "no model 'NAME' in DB: HINT" (no
 * " in DB" without a store), hint saying how to make one.
 */
int crm_model_missing(struct crm_store *s, const char *name, const char *kind,
    const char *const *builtin, const char *hint, struct crm_err *e);

/* Write len bytes to path, replacing it whole; 0, or -1 (EX_CANTCREAT). */
int crm_model_write_file(
    const char *path, const void *p, size_t len, struct crm_err *e);

/*
 * The most bytes a model of kind may have, checked before it is read
 * (fstat(2) for a file, the blob's length in the store) and while it is
 * (a pipe): CRM_MODEL_MAX, the most the store holds (SQLite's default
 * SQLITE_MAX_LENGTH), and for "recommend" CRM_MODEL_MAX_RECOMMEND, as
 * EASE's n x n floats reach 6.4 GB at --dense-limit 40000.  The loaders
 * also refuse, before allocating, sizes in a header that the bytes there
 * are could not hold.
 */
#define CRM_MODEL_MAX		1000000000ULL
#define CRM_MODEL_MAX_RECOMMEND (8ULL << 30)
unsigned long long crm_model_max(const char *kind);

/*
 * Append the whole of path to out; 0, or -1 (EX_NOINPUT, EX_IOERR; and
 * EX_DATAERR, "model 'PATH' is N bytes, more than the M bytes a KIND
 * model may have", past crm_model_max(kind), before reading it; kind
 * NULL is any).
 */
int crm_model_read_file_kind(
    const char *path, const char *kind, struct crm_buf *out, struct crm_err *e);

/* crm_model_read_file_kind() for a model of any kind (CRM_MODEL_MAX). */
int crm_model_read_file(
    const char *path, struct crm_buf *out, struct crm_err *e);

/*
 * The reference time (clock.h: --as-of, else the clock) as
 * YYYY-MM-DDTHH:MM:SSZ into buf (21 bytes).
 */
void crm_model_now(char buf[21]);

/*
 * Erasure (erase.h): report each model whose bytes hold customer id, or
 * the customer's name, email or phone (6 bytes or longer), as "retrain"
 * with its version: a recommender's ids, a one-hot category.  The bytes
 * stay until a new version is trained and the old one deleted.  Call it
 * before the customer's row is erased.  0, or -1 with e filled.
 */
int crm_model_erase(struct crm_store *s, const char *id, crm_erase_fn fn,
    void *arg, struct crm_err *e);

#endif
