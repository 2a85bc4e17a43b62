/*
 * buf: a growable byte buffer, the one string builder of libcrm.
 *
 * A struct crm_buf is owned by its caller: crm_buf_init() sets it up empty,
 * crm_buf_release() frees its bytes.  The bytes are always NUL-terminated
 * (p[len] == '\0') once anything was added, so p can be handed to C APIs;
 * len counts the bytes without that NUL, and embedded NULs are allowed.
 * Functions that can allocate return 0, or -1 with errno ENOMEM; on failure
 * the buffer keeps what it had.
 */
#ifndef CRM_BUF_H
#define CRM_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct crm_buf {
	char *p;    /* bytes, NUL-terminated; NULL until first growth */
	size_t len; /* bytes in use, not counting the NUL */
	size_t cap; /* bytes allocated */
};

void crm_buf_init(struct crm_buf *b);
void crm_buf_release(struct crm_buf *b);

/* Empty the buffer, keeping its allocation. */
void crm_buf_reset(struct crm_buf *b);

/* Make room for at least n more bytes (plus the NUL). */
int crm_buf_grow(struct crm_buf *b, size_t n);

/*
 * Append n bytes, or one byte c.  Inline: every record's fields, names and
 * output lines are built by these, a few bytes at a time, so the call
 * would cost more than the copy.
 */
static inline int
crm_buf_add(struct crm_buf *b, const void *data, size_t n)
{
	/* p[len] is the NUL, so cap > len once anything is allocated. */
	if (b->cap - b->len <= n && crm_buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static inline int
crm_buf_addc(struct crm_buf *b, int c)
{
	if (b->cap - b->len <= 1 && crm_buf_grow(b, 1) == -1)
		return -1;
	b->p[b->len++] = (char)c;
	b->p[b->len] = '\0';
	return 0;
}

int crm_buf_adds(struct crm_buf *b, const char *s);
int crm_buf_addf(struct crm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Compare two byte strings as memcmp(3) would with a shorter one first
 * among equals: <0, 0 or >0, for sorting names that may hold NUL bytes.
 */
int crm_bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/*
 * Little-endian numbers for saved models: append v to b; 0 or -1.  Floats
 * and doubles are written as their IEEE 754 bits.
 */
int crm_buf_put32(struct crm_buf *b, uint32_t v);
int crm_buf_putf(struct crm_buf *b, float v);
int crm_buf_putd(struct crm_buf *b, double v);

/*
 * A reader of such bytes that fails once and stays failed: every get on
 * a short or bad input sets bad and returns 0, so that a loader checks
 * bad once at the end.  Non-finite floats count as bad.
 */
struct crm_in {
	const unsigned char *p;
	size_t left;
	int bad;
};

uint32_t crm_in_32(struct crm_in *in);
float crm_in_f(struct crm_in *in);
double crm_in_d(struct crm_in *in);

/* The next n bytes (NULL and bad when there are fewer). */
const void *crm_in_bytes(struct crm_in *in, size_t n);

/*
 * Overflow-checked reallocarray(3) for the systems that lack it; returns
 * NULL with errno ENOMEM when nmemb * size overflows.
 */
void *crm_reallocarray(void *p, size_t nmemb, size_t size);

#endif
