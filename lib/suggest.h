/*
 * suggest: the near name a user probably meant, for "did you mean"
 * hints when a field, verb, kind or model name is not found.  Names are
 * compared with ASCII case folded and white space at either end dropped
 * ("Churn" for "churn", " soc_sec_id" for "soc_sec_id"), else by edit
 * distance in code points on the folded forms: at most 1 for names of up
 * to 4 characters, 2 up to 8, 3 beyond ("custmers" for "customers").
 */
#ifndef CRM_SUGGEST_H
#define CRM_SUGGEST_H

#include <stddef.h>

struct crm_rec;

/*
 * The index of the candidate nearest to name (len bytes) among the n
 * given (cand[i], clen[i] bytes; clen NULL: NUL-terminated), or -1 when
 * none is near enough.  A candidate equal to name is not suggested.  On
 * a tie, the first.
 */
long crm_suggest(const char *name, size_t len, const char *const *cand,
    const size_t *clen, size_t n);

/* The same over the field names of r (a header, or a JSONL record). */
long crm_suggest_field(const char *name, size_t len, const struct crm_rec *r);

/*
 * "; did you mean 'X'?" for the candidate at index i (X printed with
 * clen bytes), or "" when i is -1, into buf of size n (cut to fit).
 * Returns buf, for use in a message.
 */
const char *crm_suggest_hint(
    char *buf, size_t n, long i, const char *cand, size_t clen);

/*
 * The hint for name (NUL-terminated) in one call: "; did you mean 'X'?"
 * with X the nearest of r's field names, or of the n NUL-terminated
 * candidates cand; "" when none is near.  Into buf of size n (cut to
 * fit); returns buf.
 */
const char *crm_suggest_field_hint(
    char *buf, size_t size, const char *name, const struct crm_rec *r);
const char *crm_suggest_list_hint(char *buf, size_t size, const char *name,
    const char *const *cand, size_t n);

#endif
