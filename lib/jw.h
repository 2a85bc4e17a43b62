/*
 * jw: the one way libcrm writes JSON documents (model parameters,
 * reasons, metrics): a writer over a struct crm_buf that places the
 * commas and colons, quotes strings, and remembers a failure, so that a
 * document is checked once, by crm_jw_done(), at its end.
 *
 * Why not jansson's encoder: it reformats real numbers (1e-05 for
 * 0.00001, 17 digits for 0.1), and the documents crmkit writes keep the
 * printf format each number has always had, which the golden tests and
 * the users' scripts read.  Records (rec.c) keep their own streaming
 * writer; this is for documents built field by field.
 *
 *	struct crm_jw w;
 *	crm_jw_init(&w, &buf);
 *	crm_jw_obj(&w);
 *	crm_jw_key(&w, "auc");
 *	crm_jw_num(&w, "%.4f", auc);
 *	crm_jw_end(&w);
 *	if (crm_jw_done(&w) == -1) ... out of memory
 *
 * The writer appends to buf and owns nothing.
 */
#ifndef CRM_JW_H
#define CRM_JW_H

#include <stddef.h>

#include "buf.h"

#define CRM_JW_DEPTH 32

struct crm_jw {
	struct crm_buf *b;
	int depth;
	int bad;			   /* out of memory, or misused */
	unsigned long n[CRM_JW_DEPTH];	   /* items so far, per level */
	unsigned char key[CRM_JW_DEPTH];   /* a key waits for its value */
	unsigned char isobj[CRM_JW_DEPTH]; /* an object, not an array */
};

void crm_jw_init(struct crm_jw *w, struct crm_buf *b);

/* Open an object or an array; close the innermost one. */
void crm_jw_obj(struct crm_jw *w);
void crm_jw_arr(struct crm_jw *w);
void crm_jw_end(struct crm_jw *w);

/* A key of the open object (NUL-terminated, or len bytes). */
void crm_jw_key(struct crm_jw *w, const char *k);
void crm_jw_keyn(struct crm_jw *w, const char *k, size_t len);

/* Values. */
void crm_jw_str(struct crm_jw *w, const char *s);
void crm_jw_strn(struct crm_jw *w, const char *s, size_t len);
void crm_jw_int(struct crm_jw *w, long long v);
void crm_jw_bool(struct crm_jw *w, int v);
void crm_jw_null(struct crm_jw *w);

/*
 * A number printed with fmt (one double conversion, "%.4f", "%.6g"...);
 * null when v is not finite, as JSON has no NaN.
 */
void crm_jw_num(struct crm_jw *w, const char *fmt, double v)
    __attribute__((format(printf, 2, 0)));

/* JSON text written as it is (a document made elsewhere): one value. */
void crm_jw_raw(struct crm_jw *w, const char *json, size_t len);

/*
 * 0 when every call succeeded and every object and array was closed;
 * -1 otherwise (out of memory, a key outside an object, a value without
 * its key).
 */
int crm_jw_done(const struct crm_jw *w);

#endif
