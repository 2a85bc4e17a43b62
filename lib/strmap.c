/*
 * strmap: the string-to-id map of strmap.h.  Open addressing with linear
 * probing on XXH3 hashes, the table kept at most half full; the strings
 * live back to back in one buffer, each found by its offset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "strmap.h"

#define EMPTY UINT32_MAX

struct crm_strmap {
	struct crm_buf bytes; /* the strings, each followed by a NUL */
	size_t *off;	      /* id -> offset in bytes */
	size_t *len;	      /* id -> length */
	size_t n, cap;	      /* ids in use, room in off and len */
	uint32_t *slot;	      /* hash table of ids, EMPTY when free */
	size_t nslot;	      /* a power of two */
};

struct crm_strmap *
crm_strmap_new(void)
{
	struct crm_strmap *m;
	size_t i;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	crm_buf_init(&m->bytes);
	m->nslot = 64;
	if ((m->slot = malloc(m->nslot * sizeof(*m->slot))) == NULL) {
		free(m);
		return NULL;
	}
	for (i = 0; i < m->nslot; i++)
		m->slot[i] = EMPTY;
	return m;
}

void
crm_strmap_free(struct crm_strmap *m)
{
	if (m == NULL)
		return;
	crm_buf_release(&m->bytes);
	free(m->off);
	free(m->len);
	free(m->slot);
	free(m);
}

/* The slot that holds s, or the free slot where it would go. */
static size_t
find(const struct crm_strmap *m, const char *s, size_t len, uint64_t h)
{
	size_t mask = m->nslot - 1, i = (size_t)h & mask;
	uint32_t id;

	while ((id = m->slot[i]) != EMPTY) {
		if (m->len[id] == len &&
		    memcmp(m->bytes.p + m->off[id], s, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

long
crm_strmap_get(const struct crm_strmap *m, const char *s, size_t len)
{
	uint32_t id = m->slot[find(m, s, len, XXH3_64bits(s, len))];

	return id == EMPTY ? -1 : (long)id;
}

/* Double the hash table; 0 or -1. */
static int
rehash(struct crm_strmap *m)
{
	size_t i, j, nslot = m->nslot * 2, mask = nslot - 1;
	uint32_t *slot;

	if ((slot = crm_reallocarray(NULL, nslot, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < nslot; i++)
		slot[i] = EMPTY;
	for (i = 0; i < m->n; i++) {
		j = (size_t)XXH3_64bits(m->bytes.p + m->off[i], m->len[i]) &
		    mask;
		while (slot[j] != EMPTY)
			j = (j + 1) & mask;
		slot[j] = (uint32_t)i;
	}
	free(m->slot);
	m->slot = slot;
	m->nslot = nslot;
	return 0;
}

long
crm_strmap_put(struct crm_strmap *m, const char *s, size_t len)
{
	uint64_t h = XXH3_64bits(s, len);
	size_t i = find(m, s, len, h), cap, *p;

	if (m->slot[i] != EMPTY)
		return (long)m->slot[i];
	if (m->n >= EMPTY - 1)
		return -1;
	if (m->n == m->cap) {
		cap = m->cap ? 2 * m->cap : 64;
		if ((p = crm_reallocarray(m->off, cap, sizeof(*p))) == NULL)
			return -1;
		m->off = p;
		if ((p = crm_reallocarray(m->len, cap, sizeof(*p))) == NULL)
			return -1;
		m->len = p;
		m->cap = cap;
	}
	m->off[m->n] = m->bytes.len;
	m->len[m->n] = len;
	if (crm_buf_add(&m->bytes, s, len) == -1 ||
	    crm_buf_addc(&m->bytes, '\0') == -1)
		return -1;
	m->slot[i] = (uint32_t)m->n++;
	if (2 * m->n > m->nslot && rehash(m) == -1) {
		/* keep the map as it was: the new id is not there */
		m->slot[i] = EMPTY;
		m->n--;
		return -1;
	}
	return (long)(m->n - 1);
}

size_t
crm_strmap_count(const struct crm_strmap *m)
{
	return m->n;
}

const char *
crm_strmap_name(const struct crm_strmap *m, size_t i, size_t *len)
{
	*len = m->len[i];
	return m->bytes.p + m->off[i];
}

/* 1 if s[0..len) is one or more ASCII digits. */
static int
all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return len > 0;
}

int
crm_id_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *x = a, *y = b;
	size_t xlen = alen, ylen = blen;
	int c;

	if (all_digits(a, alen) && all_digits(b, blen)) {
		while (xlen > 1 && *x == '0')
			x++, xlen--;
		while (ylen > 1 && *y == '0')
			y++, ylen--;
		if (xlen != ylen)
			return xlen < ylen ? -1 : 1;
		if ((c = memcmp(x, y, xlen)) != 0)
			return c;
		/* equal values written differently ("07", "7") stay apart */
	}
	return crm_bytes_cmp(a, alen, b, blen);
}
