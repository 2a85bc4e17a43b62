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

#include "buf.h"
#include "err.h"
#include "store.h"

/*
 * Store blob as the next version of name (kind says what reads it, e.g.
 * "text"; params and metrics are JSON text or NULL).  Sets *version.
 * Returns 0, or -1 with e filled.
 */
int crm_model_put(struct crm_store *s, const char *name, const char *kind,
    const char *params, const char *metrics, const void *blob, size_t len,
    long *version, struct crm_err *e);

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
 * Appends its bytes to out and sets *version (0 for a file).  Returns 1,
 * 0 when there is none (and no file was named), or -1 with e filled; a
 * version that was asked for and is missing is an error (EX_NOINPUT).
 */
int crm_model_find(struct crm_store *s, const char *file, const char *name,
    long version, const char *kind, struct crm_buf *out, long *version_out,
    struct crm_err *e);

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

#endif
