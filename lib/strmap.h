/*
 * strmap: byte strings to dense ids 0, 1, 2, ... in the order they were
 * first added, and back; the id spaces of customers and items.
 *
 * A struct crm_strmap owns a copy of every string added.  A pointer
 * returned by crm_strmap_name() stays valid until the next crm_strmap_put()
 * or crm_strmap_free().  Strings may hold any bytes, NUL included.
 */
#ifndef CRM_STRMAP_H
#define CRM_STRMAP_H

#include <stddef.h>

struct crm_strmap;

/* An empty map, or NULL when out of memory. */
struct crm_strmap *crm_strmap_new(void);
void crm_strmap_free(struct crm_strmap *m);

/* The id of s[0..len), or -1 when it is not in the map. */
long crm_strmap_get(const struct crm_strmap *m, const char *s, size_t len);

/*
 * The id of s[0..len), added with the next id when new; -1 when out of
 * memory or when the map holds 2^32 - 1 strings already.
 */
long crm_strmap_put(struct crm_strmap *m, const char *s, size_t len);

/* The number of strings, and the string with id i (i < count). */
size_t crm_strmap_count(const struct crm_strmap *m);
const char *crm_strmap_name(const struct crm_strmap *m, size_t i, size_t *len);

/*
 * Compare two ids the way people sort them: two whole numbers (digits
 * only) by their value, anything else byte by byte (crm_bytes_cmp).
 * Returns <0, 0 or >0.
 */
int crm_id_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
