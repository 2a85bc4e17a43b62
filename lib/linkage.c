/*
 * linkage: normalized values, field comparisons, blocking, patterns and
 * union-find for record linkage.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <xxhash.h>

#include "buf.h"
#include "linkage.h"
#include "norm.h"
#include "strsim.h"

/* Only this much of a normalized value is kept for comparing. */
#define VALUE_MAX 512
_Static_assert(VALUE_MAX <= UINT16_MAX, "a value's length is 16 bits");

static const struct {
	const char *name;
	int levels;
} cmps[] = {
	[CRM_CMP_IGNORE] = { "ignore", 0 },
	[CRM_CMP_NAME] = { "name", 5 },
	[CRM_CMP_TEXT] = { "text", 3 },
	[CRM_CMP_ADDRESS] = { "address", 4 },
	[CRM_CMP_ID] = { "id", 4 },
	[CRM_CMP_CODE] = { "code", 3 },
	[CRM_CMP_DATE] = { "date", 4 },
	[CRM_CMP_NUMBER] = { "number", 4 },
	[CRM_CMP_EMAIL] = { "email", 4 },
	[CRM_CMP_PHONE] = { "phone", 4 },
	[CRM_CMP_EXACT] = { "exact", 2 },
};

const char *
crm_cmp_name(enum crm_cmp c)
{
	return cmps[c].name;
}

int
crm_cmp_parse(const char *s, enum crm_cmp *out)
{
	size_t i;

	for (i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
		if (strcmp(s, cmps[i].name) == 0) {
			*out = (enum crm_cmp)i;
			return 0;
		}
	}
	return -1;
}

int
crm_cmp_levels(enum crm_cmp c)
{
	return cmps[c].levels;
}

/* Does the lower-cased name hold word w as a whole '_'-separated part? */
static int
has_word(const char *name, const char *w)
{
	size_t n = strlen(w);
	const char *p;

	for (p = name; (p = strstr(p, w)) != NULL; p++) {
		if ((p == name || p[-1] == '_') &&
		    (p[n] == '\0' || p[n] == '_'))
			return 1;
	}
	return 0;
}

enum crm_cmp
crm_cmp_guess(const char *field)
{
	/* Ordered: the first list with a match decides. */
	static const struct {
		enum crm_cmp cmp;
		int word;	  /* whole words only */
		const char *keys; /* separated by spaces */
	} rules[] = {
		{ CRM_CMP_IGNORE, 0,
		    "created updated modified timestamp signup channel source "
		    "cluster_id match_score cluster_size" },
		{ CRM_CMP_IGNORE, 1, "time at extra" },
		{ CRM_CMP_EMAIL, 0, "mail" },
		{ CRM_CMP_PHONE, 0, "phone mobile fax" },
		{ CRM_CMP_PHONE, 1, "tel cell" },
		{ CRM_CMP_DATE, 0, "birth date dob" },
		{ CRM_CMP_CODE, 0, "postcode postal zip post_code" },
		{ CRM_CMP_EXACT, 0,
		    "state province country region gender sex" },
		{ CRM_CMP_NUMBER, 1, "number num no age amount" },
		{ CRM_CMP_ID, 1, "id ssn passport nric licence license" },
		{ CRM_CMP_NAME, 0, "name surname given" },
		{ CRM_CMP_NAME, 1, "first last middle" },
		{ CRM_CMP_ADDRESS, 0, "address street addr road" },
	};
	char low[128], key[32];
	const char *p, *sp;
	size_t i, n;

	for (i = 0; field[i] != '\0' && i < sizeof(low) - 1; i++) {
		unsigned char c = (unsigned char)field[i];

		low[i] = isalnum(c) ? (char)tolower(c) : '_';
	}
	low[i] = '\0';
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		for (p = rules[i].keys; *p != '\0'; p = *sp ? sp + 1 : sp) {
			sp = strchr(p, ' ');
			if (sp == NULL)
				sp = p + strlen(p);
			n = (size_t)(sp - p);
			memcpy(key, p, n);
			key[n] = '\0';
			if (rules[i].word ? has_word(low, key)
					  : strstr(low, key) != NULL)
				return rules[i].cmp;
		}
	}
	return CRM_CMP_TEXT;
}

/* ==== Values ==== */

/* A record's value in one slot: where in the text, its length. */
struct slot {
	uint32_t off, len; /* len 0: missing */
};

/*
 * A value is kept once however many records have it (a city, a
 * postcode, a first name, a birth date) while its slot's values repeat:
 * after INTERN_TRIAL values of a slot, one that found fewer than half
 * of them kept already (e-mails, phones, addresses) stops looking.
 */
#define INTERN_TRIAL 4096

/*
 * The values kept once, by their offset in the text: open addressing,
 * 0 for an empty entry, at most half full.  Written here as a set of
 * offsets because the values are in the text already: crm_strmap would
 * hold a second copy of each.  Values with a NUL in them are not kept
 * once (a value's end is its NUL).
 */
struct intern {
	uint32_t *off;
	size_t n, cap; /* cap a power of two, or 0 */
};

struct crm_linkset {
	size_t nf;
	enum crm_cmp *cmp;
	size_t *alt;   /* field -> its alternative's slot, or 0 */
	size_t nslots; /* slots a record has: fields, then alternatives */
	char region[8];
	/* the slots of record i at [i * nslots ...]: two arrays, not one
	   of struct slot, for 6 bytes a slot, not 8 (VALUE_MAX fits) */
	uint32_t *off;
	uint16_t *len;
	size_t n, cap;
	struct crm_buf text; /* the values, each NUL-terminated */
	struct crm_buf tmp, tmp2;
	struct intern in;
	size_t *tried, *found; /* by slot: values looked up, found */
};

struct crm_linkset *
crm_linkset_new(const enum crm_cmp *cmp, size_t nf, const char *region)
{
	struct crm_linkset *s;
	size_t f;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->cmp = calloc(nf, sizeof(*s->cmp))) == NULL ||
	    (s->alt = calloc(nf, sizeof(*s->alt))) == NULL ||
	    (s->tried = calloc(2 * nf + 1, sizeof(*s->tried))) == NULL ||
	    (s->found = calloc(2 * nf + 1, sizeof(*s->found))) == NULL) {
		crm_linkset_free(s);
		return NULL;
	}
	s->nf = nf;
	s->nslots = nf;
	memcpy(s->cmp, cmp, nf * sizeof(*cmp));
	for (f = 0; f < nf; f++) { /* names also with their words sorted */
		if (cmp[f] == CRM_CMP_NAME)
			s->alt[f] = s->nslots++;
	}
	snprintf(s->region, sizeof(s->region), "%s", region ? region : "CN");
	crm_buf_init(&s->text);
	crm_buf_init(&s->tmp);
	crm_buf_init(&s->tmp2);
	/* offset 0 is the empty string, for missing values */
	if (crm_buf_addc(&s->text, '\0') == -1) {
		crm_linkset_free(s);
		return NULL;
	}
	return s;
}

void
crm_linkset_free(struct crm_linkset *s)
{
	if (s == NULL)
		return;
	free(s->cmp);
	free(s->alt);
	free(s->off);
	free(s->len);
	free(s->in.off);
	free(s->tried);
	free(s->found);
	crm_buf_release(&s->text);
	crm_buf_release(&s->tmp);
	crm_buf_release(&s->tmp2);
	free(s);
}

size_t
crm_linkset_count(const struct crm_linkset *s)
{
	return s->n;
}

size_t
crm_linkset_fields(const struct crm_linkset *s)
{
	return s->nf;
}

static int
cmp_words(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* The words of the value in s->tmp, sorted, into s->tmp2; 0 if one word. */
static int
sorted_words(struct crm_linkset *s)
{
	char *w[32], *p, *sp;
	size_t n = 0, i;

	if (strchr(s->tmp.p, ' ') == NULL)
		return 0;
	crm_buf_reset(&s->tmp2);
	if (crm_buf_add(&s->tmp2, s->tmp.p, s->tmp.len) == -1)
		return -1;
	/* crm_norm_fold left single spaces between words, none at the ends */
	for (p = s->tmp2.p; p != NULL && n < 32; p = sp ? sp + 1 : NULL) {
		if ((sp = strchr(p, ' ')) != NULL)
			*sp = '\0';
		w[n++] = p;
	}
	qsort(w, n, sizeof(*w), cmp_words);
	crm_buf_reset(&s->tmp);
	for (i = 0; i < n; i++) {
		if ((i > 0 && crm_buf_addc(&s->tmp, ' ') == -1) ||
		    crm_buf_adds(&s->tmp, w[i]) == -1)
			return -1;
	}
	return 1;
}

/* Keep only the digits of s->tmp. */
static void
digits_only(struct crm_buf *b)
{
	size_t i, k = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] >= '0' && b->p[i] <= '9')
			b->p[k++] = b->p[i];
	}
	b->len = k;
	b->p[k] = '\0';
}

/* Normalize one raw value of field f into s->tmp; -1 on no memory. */
static int
normalize(struct crm_linkset *s, size_t f, const char *v, size_t len)
{
	const char *why;

	crm_buf_reset(&s->tmp);
	switch (s->cmp[f]) {
	case CRM_CMP_PHONE:
		if (crm_norm_phone(&s->tmp, v, len, s->region, &why) == 0)
			return 0;
		crm_buf_reset(&s->tmp);
		if (crm_buf_add(&s->tmp, v, len) == -1)
			return -1;
		digits_only(&s->tmp);
		return 0;
	case CRM_CMP_EMAIL:
		if (crm_norm_email(&s->tmp, v, len, &why) == 0)
			return 0;
		break;
	case CRM_CMP_DATE:
		if (crm_norm_date(&s->tmp, v, len, CRM_DATE_STRICT, &why) ==
			0 &&
		    s->tmp.len >= 10) {
			s->tmp.len = 10; /* the day, as YYYYMMDD */
			s->tmp.p[10] = '\0';
			digits_only(&s->tmp);
			return 0;
		}
		break;
	default:
		break;
	}
	crm_buf_reset(&s->tmp);
	if (crm_norm_fold(&s->tmp, v, len, &why) == -1) {
		/* not UTF-8: compare the bytes as they are */
		crm_buf_reset(&s->tmp);
		if (crm_buf_add(&s->tmp, v, len) == -1)
			return -1;
	}
	if (s->tmp.p == NULL && crm_buf_addc(&s->tmp, '\0') == -1)
		return -1;
	return 0;
}

/* Slot k of record i. */
static struct slot
slot(const struct crm_linkset *s, size_t i, size_t k)
{
	struct slot sl = { s->off[i * s->nslots + k],
		s->len[i * s->nslots + k] };

	return sl;
}

/*
 * Where v (len bytes, no NUL) is or would go in s->in (cap > 0).  A value
 * kept may be shorter than v and the last of the text: strncmp stops at
 * its NUL, where memcmp would read len bytes past it.
 */
static size_t
intern_at(const struct crm_linkset *s, const char *v, size_t len)
{
	size_t mask = s->in.cap - 1, h = (size_t)XXH3_64bits(v, len) & mask;
	const char *t;

	for (; s->in.off[h] != 0; h = (h + 1) & mask) {
		t = s->text.p + s->in.off[h];
		if (strncmp(t, v, len) == 0 && t[len] == '\0')
			return h;
	}
	return h;
}

/* Add the value at off (len bytes) to s->in; 0, or -1. */
static int
intern_add(struct crm_linkset *s, uint32_t off, size_t len)
{
	struct intern old = s->in;
	size_t i;

	if (2 * (s->in.n + 1) > s->in.cap) {
		s->in.cap = old.cap ? 2 * old.cap : 1024;
		if ((s->in.off = calloc(s->in.cap, sizeof(*s->in.off))) ==
		    NULL) {
			s->in = old;
			return -1;
		}
		for (i = 0; i < old.cap; i++) {
			if (old.off[i] != 0) {
				const char *t = s->text.p + old.off[i];

				s->in.off[intern_at(s, t, strlen(t))] =
				    old.off[i];
			}
		}
		free(old.off);
	}
	s->in.off[intern_at(s, s->text.p + off, len)] = off;
	s->in.n++;
	return 0;
}

/* Keep s->tmp as the value of slot k of the newest record. */
static int
keep(struct crm_linkset *s, size_t k)
{
	size_t sl = (s->n - 1) * s->nslots + k, len = s->tmp.len, at = 0;
	int look;

	if (len == 0)
		return 0;
	if (len > VALUE_MAX) { /* cut at a character boundary */
		len = VALUE_MAX;
		while (len > 0 && ((unsigned char)s->tmp.p[len] & 0xC0) == 0x80)
			len--;
	}
	look = (s->tried[k] < INTERN_TRIAL || 2 * s->found[k] >= s->tried[k]) &&
	       memchr(s->tmp.p, '\0', len) == NULL;
	if (look) {
		s->tried[k]++;
		if (s->in.cap > 0 &&
		    s->in.off[at = intern_at(s, s->tmp.p, len)] != 0) {
			s->found[k]++;
			s->off[sl] = s->in.off[at];
			s->len[sl] = (uint16_t)len;
			return 0;
		}
	}
	if (s->text.len + len + 1 > UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	s->off[sl] = (uint32_t)s->text.len;
	s->len[sl] = (uint16_t)len;
	if (crm_buf_add(&s->text, s->tmp.p, len) == -1 ||
	    crm_buf_addc(&s->text, '\0') == -1)
		return -1;
	return look ? intern_add(s, s->off[sl], len) : 0;
}

long
crm_linkset_add(
    struct crm_linkset *s, const char *const *val, const size_t *len)
{
	size_t f, cap;
	uint32_t *off;
	uint16_t *ln;
	int r;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		if (s->n == CRM_LINK_MAXRECS) {
			errno = EOVERFLOW;
			return -1;
		}
		if ((off = crm_reallocarray(
			 s->off, cap * s->nslots, sizeof(*off))) == NULL)
			return -1;
		s->off = off;
		if ((ln = crm_reallocarray(
			 s->len, cap * s->nslots, sizeof(*ln))) == NULL)
			return -1;
		s->len = ln;
		s->cap = cap;
	}
	memset(&s->off[s->n * s->nslots], 0, s->nslots * sizeof(*s->off));
	memset(&s->len[s->n * s->nslots], 0, s->nslots * sizeof(*s->len));
	s->n++;
	for (f = 0; f < s->nf; f++) {
		if (val[f] == NULL || len[f] == 0)
			continue;
		if (normalize(s, f, val[f], len[f]) == -1 || keep(s, f) == -1)
			return -1;
		if (s->alt[f] == 0 || s->tmp.len == 0)
			continue;
		if ((r = sorted_words(s)) == -1)
			return -1;
		if (r == 1 && keep(s, s->alt[f]) == -1)
			return -1;
	}
	return (long)(s->n - 1);
}

const char *
crm_linkset_value(const struct crm_linkset *s, size_t i, size_t f, size_t *len)
{
	struct slot sl = slot(s, i, f);

	*len = sl.len;
	return sl.len == 0 ? NULL : s->text.p + sl.off;
}

/* ==== Comparisons ==== */

static int
name_level(const char *a, size_t al, const char *b, size_t bl, double jw)
{
	int lev = jw >= 0.94 ? 3 : jw >= 0.88 ? 2 : jw >= 0.70 ? 1 : 0;

	/*
	 * One character off in a short name (王芳, 王方) is a near miss that
	 * Jaro-Winkler scores low.
	 */
	if (lev < 2 && crm_levenshtein(a, al, b, bl, 1) <= 1)
		lev = 2;
	return lev;
}

static int
date_level(const char *a, size_t al, const char *b, size_t bl)
{
	size_t d = crm_levenshtein(a, al, b, bl, 2);

	if (d <= 1)
		return 2;
	if (al == 8 && bl == 8 && memcmp(a, b, 4) == 0 &&
	    memcmp(a + 4, b + 6, 2) == 0 && memcmp(a + 6, b + 4, 2) == 0)
		return 2; /* day and month swapped */
	if (d <= 2 || (al == 8 && bl == 8 && memcmp(a, b, 4) == 0))
		return 1;
	return 0;
}

static int
number_level(const char *a, const char *b)
{
	char *ea, *eb;
	double x = strtod(a, &ea), y = strtod(b, &eb), d, m;

	if (*ea != '\0' || *eb != '\0' || ea == a || eb == b)
		return 0;
	d = x > y ? x - y : y - x;
	m = (x < 0 ? -x : x) > (y < 0 ? -y : y) ? (x < 0 ? -x : x)
						: (y < 0 ? -y : y);
	if (d == 0)
		return 3;
	return d <= 0.01 * m ? 2 : d <= 0.1 * m ? 1 : 0;
}

static int
level(const struct crm_linkset *s, size_t f, size_t i, size_t j)
{
	struct slot x = slot(s, i, f), y = slot(s, j, f);
	const char *a = s->text.p + x.off, *b = s->text.p + y.off;
	size_t al = x.len, bl = y.len, d, m;
	const char *at, *bt;
	double jw;
	int top = cmps[s->cmp[f]].levels - 1;

	if (al == 0 || bl == 0)
		return -1;
	if (al == bl && memcmp(a, b, al) == 0)
		return top;
	switch (s->cmp[f]) {
	case CRM_CMP_NAME:
		jw = crm_jaro_winkler(a, al, b, bl);
		if (s->alt[f] != 0) { /* the words in another order */
			struct slot xa = slot(s, i, s->alt[f]);
			struct slot ya = slot(s, j, s->alt[f]);
			const char *aa = xa.len ? s->text.p + xa.off : a;
			const char *ba = ya.len ? s->text.p + ya.off : b;
			size_t aal = xa.len ? xa.len : al;
			size_t bal = ya.len ? ya.len : bl;
			double jw2;

			if (xa.len != 0 || ya.len != 0) {
				jw2 = crm_jaro_winkler(aa, aal, ba, bal);
				if (jw2 > jw)
					jw = jw2;
			}
		}
		return name_level(a, al, b, bl, jw);
	case CRM_CMP_TEXT:
		return crm_jaro_winkler(a, al, b, bl) >= 0.90;
	case CRM_CMP_ADDRESS:
		m = al > bl ? al : bl;
		d = crm_levenshtein(a, al, b, bl, (m * 2) / 5);
		return d * 100 <= m * 15 ? 2 : d * 100 <= m * 40 ? 1 : 0;
	case CRM_CMP_ID:
		d = crm_levenshtein(a, al, b, bl, 2);
		return d <= 1 ? 2 : d <= 2 ? 1 : 0;
	case CRM_CMP_CODE:
		return crm_levenshtein(a, al, b, bl, 1) <= 1;
	case CRM_CMP_DATE:
		return date_level(a, al, b, bl);
	case CRM_CMP_NUMBER:
		return number_level(a, b);
	case CRM_CMP_EMAIL:
		at = memchr(a, '@', al);
		bt = memchr(b, '@', bl);
		if (at != NULL && bt != NULL && at - a == bt - b &&
		    memcmp(a, b, (size_t)(at - a)) == 0)
			return 2;
		return crm_jaro_winkler(a, al, b, bl) >= 0.88;
	case CRM_CMP_PHONE:
		if (al >= 7 && bl >= 7 &&
		    memcmp(a + al - 7, b + bl - 7, 7) == 0)
			return 2;
		return crm_levenshtein(a, al, b, bl, 2) <= 2;
	default:
		return 0;
	}
}

void
crm_linkset_compare(const struct crm_linkset *s, size_t i, size_t j, int *lev)
{
	size_t f;

	for (f = 0; f < s->nf; f++)
		lev[f] = s->cmp[f] == CRM_CMP_IGNORE ? -1 : level(s, f, i, j);
}

/* ==== Blocking ==== */

int
crm_block_parse(const char *spec, const char *const *names, size_t nf,
    struct crm_block_rule *r, struct crm_err *e)
{
	const char *p = spec, *end, *colon;
	struct crm_block_key *k;
	size_t f, n;
	char *num;
	long v;

	memset(r, 0, sizeof(*r));
	for (;;) {
		end = strchr(p, '+');
		if (end == NULL)
			end = p + strlen(p);
		if (r->nkeys == CRM_BLOCK_MAXKEYS)
			return crm_err_set(e, EX_USAGE,
			    "bad --block '%s': more than %d keys", spec,
			    CRM_BLOCK_MAXKEYS);
		k = &r->key[r->nkeys++];
		colon = memchr(p, ':', (size_t)(end - p));
		n = (size_t)((colon ? colon : end) - p);
		for (f = 0; f < nf; f++) {
			if (strlen(names[f]) == n &&
			    memcmp(names[f], p, n) == 0)
				break;
		}
		if (f == nf)
			return crm_err_set(e, EX_USAGE,
			    "bad --block '%s': no compared field '%.*s'", spec,
			    (int)n, p);
		k->field = f;
		if (colon != NULL) {
			n = (size_t)(end - colon - 1);
			if (n == 7 && memcmp(colon + 1, "soundex", 7) == 0) {
				k->soundex = 1;
			} else {
				v = strtol(colon + 1, &num, 10);
				if (num != end || num == colon + 1 || v == 0 ||
				    v > CRM_BLOCK_MAXPART ||
				    v < -CRM_BLOCK_MAXPART)
					return crm_err_set(e, EX_USAGE,
					    "bad --block '%s': want FIELD, "
					    "FIELD:N, FIELD:-N or "
					    "FIELD:soundex",
					    spec);
				k->part = (int)v;
			}
		}
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

void
crm_block_format(const struct crm_block_rule *r, const char *const *names,
    char *out, size_t outlen)
{
	size_t i, n = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < r->nkeys && n < outlen; i++) {
		const struct crm_block_key *k = &r->key[i];

		if (k->soundex)
			w = snprintf(out + n, outlen - n, "%s%s:soundex",
			    i ? "+" : "", names[k->field]);
		else if (k->part != 0)
			w = snprintf(out + n, outlen - n, "%s%s:%d",
			    i ? "+" : "", names[k->field], k->part);
		else
			w = snprintf(out + n, outlen - n, "%s%s", i ? "+" : "",
			    names[k->field]);
		if (w < 0)
			return;
		n += (size_t)w;
	}
}

static int
is_pairable(enum crm_cmp c)
{
	return c == CRM_CMP_NAME || c == CRM_CMP_DATE || c == CRM_CMP_CODE ||
	       c == CRM_CMP_ADDRESS;
}

size_t
crm_block_defaults(
    const enum crm_cmp *cmp, size_t nf, struct crm_block_rule *out, size_t max)
{
	size_t f, g, n = 0, npair = 0, nname = 0;

	for (f = 0; f < nf && n < max; f++) {
		if (cmp[f] == CRM_CMP_EMAIL || cmp[f] == CRM_CMP_PHONE ||
		    cmp[f] == CRM_CMP_ID) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].nkeys = 1;
			out[n].key[0].field = f;
			/* a phone's last 8 digits: with or without +86 */
			if (cmp[f] == CRM_CMP_PHONE)
				out[n].key[0].part = -8;
			n++;
		}
		npair += is_pairable(cmp[f]);
		nname += cmp[f] == CRM_CMP_NAME;
	}
	for (f = 0; f < nf && n < max; f++) {
		if (!is_pairable(cmp[f]))
			continue;
		if (npair == 1) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].nkeys = 1;
			out[n++].key[0].field = f;
			continue;
		}
		for (g = f + 1; g < nf && n < max; g++) {
			/*
			 * Two names alone block the many John Smiths of a
			 * large set together: only with nothing else.
			 */
			if (!is_pairable(cmp[g]) ||
			    (cmp[f] == CRM_CMP_NAME && cmp[g] == CRM_CMP_NAME &&
				npair > nname))
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].nkeys = 2;
			out[n].key[0].field = f;
			out[n++].key[1].field = g;
		}
	}
	/* Nothing to block on: each compared field alone. */
	for (f = 0; n == 0 && f < nf && n < max; f++) {
		if (cmp[f] == CRM_CMP_IGNORE)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].nkeys = 1;
		out[n++].key[0].field = f;
	}
	return n;
}

/* Byte length of the first n (n > 0) or last -n code points of v. */
static void
part_of(const char *v, size_t len, int n, const char **p, size_t *plen)
{
	size_t i, k = 0;

	if (n > 0) {
		for (i = 0; i < len; i++) {
			if (((unsigned char)v[i] & 0xC0) != 0x80 &&
			    k++ == (size_t)n)
				break;
		}
		*p = v;
		*plen = i;
		return;
	}
	for (i = len; i > 0; i--) {
		if (((unsigned char)v[i - 1] & 0xC0) != 0x80 &&
		    ++k == (size_t)-n) {
			i--;
			break;
		}
	}
	*p = v + i;
	*plen = len - i;
}

uint64_t
crm_block_hash(
    const struct crm_linkset *s, const struct crm_block_rule *r, size_t i)
{
	char buf[CRM_BLOCK_MAXKEYS * (VALUE_MAX + 1)], sx[5];
	const char *v, *p;
	size_t k, len, plen, n = 0;
	uint64_t h;

	for (k = 0; k < r->nkeys; k++) {
		const struct crm_block_key *key = &r->key[k];

		if ((v = crm_linkset_value(s, i, key->field, &len)) == NULL)
			return 0;
		p = v;
		plen = len;
		if (key->soundex) {
			if (crm_soundex(v, len, sx) == 0) {
				p = sx;
				plen = 4;
			} else { /* not Latin: the first character */
				part_of(v, len, 1, &p, &plen);
			}
		} else if (key->part != 0) {
			part_of(v, len, key->part, &p, &plen);
		}
		memcpy(buf + n, p, plen);
		n += plen;
		buf[n++] = '\x1f';
	}
	h = XXH3_64bits(buf, n);
	return h == 0 ? 1 : h;
}

/* A record's key, its high word first: 12 bytes, where a uint64_t's
   alignment would make 16 (and qsort copies the array once more). */
struct keyed {
	uint32_t key[2];
	uint32_t idx;
};

static void
set_key(struct keyed *k, uint64_t key, uint32_t idx)
{
	k->key[0] = (uint32_t)(key >> 32);
	k->key[1] = (uint32_t)key;
	k->idx = idx;
}

static int
same_key(const struct keyed *x, const struct keyed *y)
{
	return x->key[0] == y->key[0] && x->key[1] == y->key[1];
}

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key[0] != y->key[0])
		return x->key[0] < y->key[0] ? -1 : 1;
	if (x->key[1] != y->key[1])
		return x->key[1] < y->key[1] ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct pairbuf {
	struct crm_pair *p;
	size_t n, cap;
};

static int
pair_add(struct pairbuf *b, uint32_t i, uint32_t j)
{
	struct crm_pair *p;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;

		if ((p = crm_reallocarray(b->p, cap, sizeof(*p))) == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n].i = i;
	b->p[b->n++].j = j;
	return 0;
}

/* Records keyed between two steps of the progress. */
#define BLOCK_STEP 65536

long
crm_block_pairs(const struct crm_linkset *s, const struct crm_block_rule *rules,
    size_t nr, const unsigned char *side, int cross_only, size_t max_block,
    struct crm_pair **out, struct crm_pair_stats *stats,
    const struct crm_progress_cb *pg, struct crm_err *e)
{
	uint32_t *blocks = NULL;
	struct keyed *ks = NULL;
	uint64_t key;
	struct pairbuf pb = { NULL, 0, 0 };
	size_t n = s->n, r, i, a, b, g, m, q;

	*out = NULL;
	memset(stats, 0, nr * sizeof(*stats));
	if (n == 0)
		return 0;
	/*
	 * Each record's block under each rule, numbered from 1 in the order
	 * of the keys (0: no key, or a block too big to pair): two records
	 * share a block when their keys are equal, in half the memory of
	 * the keys themselves.
	 */
	if ((blocks = calloc(nr * n, sizeof(*blocks))) == NULL ||
	    (ks = crm_reallocarray(NULL, n, sizeof(*ks))) == NULL)
		goto nomem;
	for (r = 0; r < nr; r++) {
		uint32_t *br = blocks + r * n, nb = 0;

		for (i = 0, m = 0; i < n; i++) {
			if (i % BLOCK_STEP == 0)
				crm_progress_tell(pg, "blocking", "keys",
				    (unsigned long long)(r * n + i),
				    (unsigned long long)(nr * n));
			if ((key = crm_block_hash(s, &rules[r], i)) != 0)
				set_key(&ks[m++], key, (uint32_t)i);
		}
		qsort(ks, m, sizeof(*ks), cmp_keyed);
		for (g = 0; g < m; g = b) {
			for (b = g + 1; b < m && same_key(&ks[b], &ks[g]); b++)
				;
			if (b - g > max_block) {
				/* too big to pair: later rules may */
				stats[r].skipped_blocks++;
				stats[r].skipped_records += b - g;
				continue;
			}
			nb++;
			for (a = g; a < b; a++)
				br[ks[a].idx] = nb;
			for (a = g; a < b; a++) {
				uint32_t x = ks[a].idx;

				for (i = a + 1; i < b; i++) {
					uint32_t y = ks[i].idx;

					if (side != NULL &&
					    side[x] == side[y] &&
					    (cross_only || side[x] == 1))
						continue;
					/* made by an earlier rule? */
					for (q = 0; q < r; q++) {
						const uint32_t *bq =
						    blocks + q * n;

						if (bq[x] != 0 &&
						    bq[x] == bq[y])
							break;
					}
					if (q < r)
						continue;
					if (pair_add(&pb, x, y) == -1)
						goto nomem;
					stats[r].pairs++;
				}
			}
		}
	}
	crm_progress_tell(pg, "blocking", "keys", (unsigned long long)(nr * n),
	    (unsigned long long)(nr * n));
	free(blocks);
	free(ks);
	*out = pb.p;
	return (long)pb.n;
nomem:
	free(blocks);
	free(ks);
	free(pb.p);
	crm_err_set(e, EX_SOFTWARE, "out of memory making candidate pairs");
	return -1;
}

/* ==== Patterns ==== */

void
crm_patterns_init(struct crm_patterns *p, size_t nf)
{
	memset(p, 0, sizeof(*p));
	p->nf = nf;
}

void
crm_patterns_release(struct crm_patterns *p)
{
	free(p->lev);
	free(p->rule);
	free(p->count);
	free(p->code);
	free(p->slot);
	memset(p, 0, sizeof(*p));
}

/* Three bits a field (its level + 1, 0 for missing), then the rule. */
static uint64_t
pattern_code(const int *lev, size_t nf, size_t rule)
{
	uint64_t c = 0;
	size_t f;

	for (f = 0; f < nf; f++)
		c = c << 3 | (uint64_t)(lev[f] + 1);
	return c | (uint64_t)rule << 57;
}

static size_t
slot_of(uint64_t code, size_t nslot)
{
	return (size_t)((code * 0x9E3779B97F4A7C15ull) >> 17) & (nslot - 1);
}

static int
patterns_rehash(struct crm_patterns *p)
{
	size_t nslot = p->nslot ? p->nslot * 2 : 1024, k, h;
	uint32_t *slot;

	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (k = 0; k < p->n; k++) {
		for (h = slot_of(p->code[k], nslot); slot[h] != 0;
		     h = (h + 1) & (nslot - 1))
			;
		slot[h] = (uint32_t)k + 1;
	}
	free(p->slot);
	p->slot = slot;
	p->nslot = nslot;
	return 0;
}

static long
index_of(struct crm_patterns *p, uint64_t code, const int *lev, size_t rule)
{
	size_t h, f, cap;
	void *q;

	if ((p->n + 1) * 2 > p->nslot && patterns_rehash(p) == -1)
		return -1;
	for (h = slot_of(code, p->nslot); p->slot[h] != 0;
	     h = (h + 1) & (p->nslot - 1)) {
		if (p->code[p->slot[h] - 1] == code)
			return (long)p->slot[h] - 1;
	}
	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 256;
		if ((q = crm_reallocarray(p->lev, cap * p->nf, 1)) == NULL)
			return -1;
		p->lev = q;
		if ((q = crm_reallocarray(p->rule, cap, 1)) == NULL)
			return -1;
		p->rule = q;
		if ((q = crm_reallocarray(p->count, cap, sizeof(*p->count))) ==
		    NULL)
			return -1;
		p->count = q;
		if ((q = crm_reallocarray(p->code, cap, sizeof(*p->code))) ==
		    NULL)
			return -1;
		p->code = q;
		p->cap = cap;
	}
	for (f = 0; f < p->nf; f++)
		p->lev[p->n * p->nf + f] = (int8_t)lev[f];
	p->rule[p->n] = (uint8_t)rule;
	p->count[p->n] = 0;
	p->code[p->n] = code;
	p->slot[h] = (uint32_t)p->n + 1;
	return (long)p->n++;
}

long
crm_patterns_index(struct crm_patterns *p, const int *lev, size_t rule)
{
	return index_of(p, pattern_code(lev, p->nf, rule), lev, rule);
}

struct cmp_job {
	const struct crm_linkset *s;
	const struct crm_pair *pairs;
	size_t from, to, rule;
	uint64_t *codes;
};

static void *
compare_range(void *arg)
{
	struct cmp_job *j = arg;
	int lev[CRM_LINK_MAXFIELDS];
	size_t k;

	for (k = j->from; k < j->to; k++) {
		crm_linkset_compare(j->s, j->pairs[k].i, j->pairs[k].j, lev);
		j->codes[k] = pattern_code(lev, j->s->nf, j->rule);
	}
	return NULL;
}

int
crm_compare_pairs(const struct crm_linkset *s, const struct crm_pair *pairs,
    size_t n, size_t rule, struct crm_patterns *p, uint32_t *idx, int nthreads,
    struct crm_err *e)
{
	struct cmp_job job[16];
	pthread_t tid[16];
	int started[16] = { 0 };
	int lev[CRM_LINK_MAXFIELDS];
	uint64_t *codes;
	size_t k, f;
	long x;
	int t;

	if (s->nf > CRM_LINK_MAXFIELDS)
		return crm_err_set(e, EX_USAGE,
		    "more than %d fields to compare", CRM_LINK_MAXFIELDS);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 16)
		nthreads = 16;
	if ((codes = crm_reallocarray(NULL, n ? n : 1, sizeof(*codes))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (t = 0; t < nthreads; t++) {
		job[t].s = s;
		job[t].pairs = pairs;
		job[t].from = n * (size_t)t / (size_t)nthreads;
		job[t].to = n * (size_t)(t + 1) / (size_t)nthreads;
		job[t].rule = rule;
		job[t].codes = codes;
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL,
					 compare_range, &job[t]) == 0;
	}
	compare_range(&job[0]);
	for (t = 1; t < nthreads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			compare_range(&job[t]);
	}
	for (k = 0; k < n; k++) {
		uint64_t c = codes[k];

		for (f = s->nf; f-- > 0; c >>= 3)
			lev[f] = (int)(c & 7) - 1;
		if ((x = index_of(p, codes[k], lev, rule)) == -1) {
			free(codes);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
		p->count[x]++;
		idx[k] = (uint32_t)x;
	}
	free(codes);
	return 0;
}

/* ==== Union-find ==== */

int
crm_uf_init(struct crm_uf *u, size_t n)
{
	size_t i;

	u->n = n;
	u->parent = crm_reallocarray(NULL, n ? n : 1, sizeof(*u->parent));
	u->size = crm_reallocarray(NULL, n ? n : 1, sizeof(*u->size));
	if (u->parent == NULL || u->size == NULL) {
		crm_uf_release(u);
		return -1;
	}
	for (i = 0; i < n; i++) {
		u->parent[i] = (uint32_t)i;
		u->size[i] = 1;
	}
	return 0;
}

void
crm_uf_release(struct crm_uf *u)
{
	free(u->parent);
	free(u->size);
	u->parent = u->size = NULL;
}

uint32_t
crm_uf_find(struct crm_uf *u, uint32_t x)
{
	while (u->parent[x] != x) { /* path halving */
		u->parent[x] = u->parent[u->parent[x]];
		x = u->parent[x];
	}
	return x;
}

int
crm_uf_union(struct crm_uf *u, uint32_t a, uint32_t b, size_t cap)
{
	uint32_t t;

	a = crm_uf_find(u, a);
	b = crm_uf_find(u, b);
	if (a == b)
		return 0;
	if (cap > 0 && (size_t)u->size[a] + u->size[b] > cap)
		return -1;
	if (u->size[a] < u->size[b] || (u->size[a] == u->size[b] && b < a)) {
		t = a;
		a = b;
		b = t;
	}
	u->parent[b] = a;
	u->size[a] += u->size[b];
	return 1;
}
