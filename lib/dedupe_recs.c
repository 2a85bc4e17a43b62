/*
 * dedupe_recs: the records crm-dedupe holds, packed into one byte arena.
 * A struct crm_rec a record (its struct, a 40-byte index entry a field,
 * its names and values in a buffer of its own) took some 750 bytes for
 * a customer of 9 fields and 106 bytes of CSV; packed, a record is its
 * values with a type byte and a length each, about 150 bytes.  Records
 * whose names are the same, in the same order (every record of a CSV
 * file), share one list of them: a shape.  A record is rebuilt as a
 * struct crm_rec only when one is needed (the output, a review, a golden
 * record).
 *
 * A packed record: its shape and line (varints), then for each of the
 * shape's fields its type (a byte), its length (a varint), its bytes and
 * a NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe_int.h"

/* Shapes compared with a new record's names before another is made. */
#define RECENT_SHAPES 16

/* LEB128: seven bits a byte, the low first; a value under 128 is 1 byte. */
static int
put_varint(struct crm_buf *b, size_t v)
{
	unsigned char c;

	do {
		c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			c |= 0x80;
		if (crm_buf_addc(b, (char)c) == -1)
			return -1;
	} while (v != 0);
	return 0;
}

static const char *
get_varint(const char *p, size_t *v)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned shift = 0;

	*v = 0;
	do
		*v |= (size_t)(*u & 0x7f) << shift, shift += 7;
	while (*u++ & 0x80);
	return (const char *)u;
}

void
crm_dd_recset_init(struct crm_dd_recset *s, const char *id_field)
{
	memset(s, 0, sizeof(*s));
	crm_buf_init(&s->data);
	s->id_field = id_field;
}

/* Whether shape k has r's names, in r's order. */
static int
same_shape(const struct crm_dd_recset *s, size_t k, const struct crm_rec *r)
{
	const struct crm_rec *h = s->shape[k];
	const char *a, *b;
	size_t i, alen, blen;

	if (crm_rec_count(h) != crm_rec_count(r))
		return 0;
	for (i = 0; i < crm_rec_count(r); i++) {
		a = crm_rec_name(h, i, &alen);
		b = crm_rec_name(r, i, &blen);
		if (crm_bytes_cmp(a, alen, b, blen) != 0)
			return 0;
	}
	return 1;
}

/* The shape of r's names (one of the recent ones, or a new one); -1. */
static long
shape_of(struct crm_dd_recset *s, const struct crm_rec *r)
{
	struct crm_rec **p, *h;
	const char *name;
	size_t k, i, len;
	long *q;

	for (k = s->nshapes; k > 0 && s->nshapes - k < RECENT_SHAPES; k--) {
		if (same_shape(s, k - 1, r))
			return (long)(k - 1);
	}
	if ((p = crm_reallocarray(s->shape, s->nshapes + 1, sizeof(*p))) ==
	    NULL)
		return -1;
	s->shape = p;
	if ((q = crm_reallocarray(s->idpos, s->nshapes + 1, sizeof(*q))) ==
	    NULL)
		return -1;
	s->idpos = q;
	if ((h = crm_rec_new()) == NULL)
		return -1;
	for (i = 0; i < crm_rec_count(r); i++) {
		name = crm_rec_name(r, i, &len);
		if (crm_rec_add(h, name, len, "", 0, CRM_NULL) == -1) {
			crm_rec_free(h);
			return -1;
		}
	}
	q[s->nshapes] = crm_rec_find(h, s->id_field, strlen(s->id_field));
	p[s->nshapes] = h;
	return (long)s->nshapes++;
}

int
crm_dd_recset_add(struct crm_dd_recset *s, const struct crm_rec *r)
{
	size_t i, len, at = s->data.len, *off;
	const char *v;
	long k;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;

		if ((off = crm_reallocarray(s->off, cap, sizeof(*off))) == NULL)
			return -1;
		s->off = off;
		s->cap = cap;
	}
	if ((k = shape_of(s, r)) == -1)
		goto fail;
	if (put_varint(&s->data, (size_t)k) == -1 ||
	    put_varint(&s->data, crm_rec_line(r)) == -1)
		goto fail;
	for (i = 0; i < crm_rec_count(r); i++) {
		v = crm_rec_value(r, i, &len);
		if (crm_buf_addc(&s->data, (char)crm_rec_type(r, i)) == -1 ||
		    put_varint(&s->data, len) == -1 ||
		    crm_buf_add(&s->data, v, len) == -1 ||
		    crm_buf_addc(&s->data, '\0') == -1)
			goto fail;
	}
	s->off[s->n++] = at;
	return 0;
fail:
	s->data.len = at; /* the record's bytes so far dropped */
	return -1;
}

void
crm_dd_recset_release(struct crm_dd_recset *s)
{
	size_t i;

	for (i = 0; i < s->nshapes; i++)
		crm_rec_free(s->shape[i]);
	for (i = 0; s->cluster != NULL && i < s->n; i++)
		free(s->cluster[i]);
	free(s->shape);
	free(s->idpos);
	free(s->off);
	free(s->cluster);
	crm_buf_release(&s->data);
}

/* Record i's shape and line; returns where its fields start. */
static const char *
head(const struct crm_dd_recset *s, size_t i, size_t *shape, size_t *line)
{
	return get_varint(get_varint(s->data.p + s->off[i], shape), line);
}

/* The field at p: its type, value and length; returns the next. */
static const char *
field(const char *p, enum crm_type *t, const char **v, size_t *len)
{
	*t = (enum crm_type)(unsigned char)*p;
	*v = get_varint(p + 1, len);
	return *v + *len + 1;
}

int
crm_dd_recset_get(const struct crm_dd_recset *s, size_t i, struct crm_rec *into)
{
	const struct crm_rec *h;
	const char *p, *name, *v;
	size_t k, shape, line, nlen, len;
	enum crm_type t;

	p = head(s, i, &shape, &line);
	h = s->shape[shape];
	crm_rec_clear(into);
	for (k = 0; k < crm_rec_count(h); k++) {
		p = field(p, &t, &v, &len);
		name = crm_rec_name(h, k, &nlen);
		if (crm_rec_add(into, name, nlen, v, len, t) == -1)
			return -1;
	}
	crm_rec_set_line(into, line);
	return 0;
}

size_t
crm_dd_recset_shape(const struct crm_dd_recset *s, size_t i)
{
	size_t shape, line;

	head(s, i, &shape, &line);
	return shape;
}

const char *
crm_dd_recset_field(const struct crm_dd_recset *s, size_t i, size_t k,
    size_t *len, enum crm_type *t)
{
	const char *p, *v;
	size_t shape, line, j;

	p = head(s, i, &shape, &line);
	for (j = 0; j <= k; j++)
		p = field(p, t, &v, len);
	return v;
}

const char *
crm_dd_recset_id(const struct crm_dd_recset *s, size_t i, size_t *len)
{
	long at = s->idpos[crm_dd_recset_shape(s, i)];
	enum crm_type t;

	*len = 0;
	return at < 0 ? NULL : crm_dd_recset_field(s, i, (size_t)at, len, &t);
}

unsigned long
crm_dd_recset_line(const struct crm_dd_recset *s, size_t i)
{
	size_t shape, line;

	head(s, i, &shape, &line);
	return (unsigned long)line;
}
