/*
 * buf: the growable byte buffer behind every string libcrm builds (record
 * fields, normalized values, SQL text, output lines).  Growth doubles the
 * capacity so appending n bytes one at a time costs O(n).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
crm_buf_init(struct crm_buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
crm_buf_release(struct crm_buf *b)
{
	free(b->p);
	crm_buf_init(b);
}

void
crm_buf_reset(struct crm_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void *
crm_reallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, nmemb * size);
}

int
crm_buf_grow(struct crm_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1) {
		errno = ENOMEM;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
crm_buf_adds(struct crm_buf *b, const char *s)
{
	return crm_buf_add(b, s, strlen(s));
}

int
crm_buf_addf(struct crm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (crm_buf_grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
crm_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

int
crm_buf_put32(struct crm_buf *b, uint32_t v)
{
	unsigned char c[4] = { v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF,
		v >> 24 };

	return crm_buf_add(b, c, 4);
}

int
crm_buf_putf(struct crm_buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	return crm_buf_put32(b, v);
}

int
crm_buf_putd(struct crm_buf *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	if (crm_buf_put32(b, (uint32_t)v) == -1)
		return -1;
	return crm_buf_put32(b, (uint32_t)(v >> 32));
}

const void *
crm_in_bytes(struct crm_in *in, size_t n)
{
	const unsigned char *p = in->p;

	if (in->bad || in->left < n) {
		in->bad = 1;
		return NULL;
	}
	in->p += n;
	in->left -= n;
	return p;
}

uint32_t
crm_in_32(struct crm_in *in)
{
	const unsigned char *p = crm_in_bytes(in, 4);

	if (p == NULL)
		return 0;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

float
crm_in_f(struct crm_in *in)
{
	uint32_t v = crm_in_32(in);
	float f;

	memcpy(&f, &v, 4);
	if (!isfinite(f))
		in->bad = 1;
	return f;
}

double
crm_in_d(struct crm_in *in)
{
	uint64_t v = crm_in_32(in);
	double d;

	v |= (uint64_t)crm_in_32(in) << 32;
	memcpy(&d, &v, 8);
	if (!isfinite(d))
		in->bad = 1;
	return d;
}
