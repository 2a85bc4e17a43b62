/*
 * tabular: the encoding of tabular.h.  Training rows are kept as the
 * strings they came as, column by column, until crm_tab_fit has seen all
 * of them: the type of a column, its mean and its quantiles need every
 * value.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tabular.h"

#define NBIN	  5	     /* quantile bins of a numeric column */
#define MIN_BIN	  50	     /* values a bin needs on average */
#define MAX_CAT	  10000	     /* categories of one column */
#define MIN_ID	  10	     /* rows before all-distinct words mean an id */
#define TAB_MAGIC 0x54424154 /* "TABT" */

struct col {
	char *name;
	enum crm_coltype type; /* forced, then fitted */
	int is_id;	       /* left out at fit: an id, it seems */
	char **val;	       /* training values, NULL: absent */
	size_t nval, cap;
	double mean, sd;
	int has_missing;      /* a flag feature */
	double cut[NBIN - 1]; /* bin i holds values below cut[i] */
	size_t ncut;	      /* 0: no bins */
	char **cat;	      /* categories, in byte order */
	size_t ncat;
	size_t first; /* its first feature */
};

struct crm_tab {
	struct col *col;
	size_t ncol, colcap;
	size_t nrow;
	size_t width;
	char **names; /* of the features */
	double *means;
	int no_bins; /* crm_tab_no_bins */
};

static int push(struct col *, char *);
static const char *value(const struct crm_rec *, size_t, size_t *);
static size_t col_width(const struct col *);
static long col_find(const struct crm_tab *, const char *, size_t);
static long col_add(struct crm_tab *, const char *, size_t);
static int parse_num(const char *, size_t, double *);
static int blank(const char *, size_t);
static int fit_col(struct col *, int);
static int name_features(struct crm_tab *);
static void encode_value(
    const struct col *, const char *, size_t, int, double *);
static long cat_find(const struct col *, const char *, size_t);

struct crm_tab *
crm_tab_new(void)
{
	return calloc(1, sizeof(struct crm_tab));
}

void
crm_tab_free(struct crm_tab *t)
{
	size_t i, j;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncol; i++) {
		struct col *c = &t->col[i];

		for (j = 0; j < c->nval; j++)
			free(c->val[j]);
		for (j = 0; c->cat != NULL && j < c->ncat; j++)
			free(c->cat[j]);
		free(c->val);
		free(c->cat);
		free(c->name);
	}
	for (i = 0; t->names != NULL && i < t->width; i++)
		free(t->names[i]);
	free(t->names);
	free(t->means);
	free(t->col);
	free(t);
}

static long
col_find(const struct crm_tab *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < t->ncol; i++)
		if (strlen(t->col[i].name) == len &&
		    memcmp(t->col[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

static long
col_add(struct crm_tab *t, const char *name, size_t len)
{
	struct col *c;

	if (t->ncol == t->colcap) {
		size_t cap = t->colcap ? 2 * t->colcap : 16;

		if ((c = crm_reallocarray(t->col, cap, sizeof(*c))) == NULL)
			return -1;
		t->col = c;
		t->colcap = cap;
	}
	c = &t->col[t->ncol];
	memset(c, 0, sizeof(*c));
	if ((c->name = malloc(len + 1)) == NULL)
		return -1;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	return (long)t->ncol++;
}

/* Field i's value as text: JSON true and false are words. */
static const char *
value(const struct crm_rec *r, size_t i, size_t *len)
{
	switch (crm_rec_type(r, i)) {
	case CRM_TRUE:
		*len = 4;
		return "true";
	case CRM_FALSE:
		*len = 5;
		return "false";
	default:
		return crm_rec_value(r, i, len);
	}
}

/* The number of features of column c. */
static size_t
col_width(const struct col *c)
{
	if (c->type == CRM_COL_IGNORE)
		return 0;
	if (c->type == CRM_COL_CATEGORICAL)
		return c->ncat;
	return 1 + (size_t)c->has_missing + (c->ncut ? c->ncut + 1 : 0);
}

/* Append a training value (NULL: absent) to c. */
static int
push(struct col *c, char *v)
{
	if (c->nval == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		char **p = crm_reallocarray(c->val, cap, sizeof(*p));

		if (p == NULL)
			return -1;
		c->val = p;
		c->cap = cap;
	}
	c->val[c->nval++] = v;
	return 0;
}

int
crm_tab_set_type(struct crm_tab *t, const char *field, enum crm_coltype type)
{
	long i = col_find(t, field, strlen(field));

	if (i < 0 && (i = col_add(t, field, strlen(field))) < 0)
		return -1;
	t->col[i].type = type;
	return 0;
}

void
crm_tab_no_bins(struct crm_tab *t)
{
	t->no_bins = 1;
}

int
crm_tab_add(struct crm_tab *t, const struct crm_rec *r)
{
	size_t i, j, len, nlen;
	const char *name, *v;
	long k;

	for (i = 0; i < crm_rec_count(r); i++) {
		name = crm_rec_name(r, i, &nlen);
		if ((k = col_find(t, name, nlen)) < 0 &&
		    (k = col_add(t, name, nlen)) < 0)
			return -1;
	}
	for (j = 0; j < t->ncol; j++) {
		struct col *c = &t->col[j];
		char *copy = NULL;

		if (c->type == CRM_COL_IGNORE)
			continue;
		k = crm_rec_find(r, c->name, strlen(c->name));
		if (k >= 0 && crm_rec_type(r, (size_t)k) != CRM_NULL) {
			v = value(r, (size_t)k, &len);
			if ((copy = malloc(len + 1)) == NULL)
				return -1;
			memcpy(copy, v, len);
			copy[len] = '\0';
		}
		/* rows before this column appeared lack it */
		while (c->nval < t->nrow)
			if (push(c, NULL) == -1) {
				free(copy);
				return -1;
			}
		if (push(c, copy) == -1) {
			free(copy);
			return -1;
		}
	}
	t->nrow++;
	return 0;
}

size_t
crm_tab_rows(const struct crm_tab *t)
{
	return t->nrow;
}

/* A whole number in s[0..len), surrounding blanks allowed. */
static int
parse_num(const char *s, size_t len, double *out)
{
	char buf[64], *end;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || !isfinite(*out))
		return -1;
	return 0;
}

static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Type, statistics, bins (unless no_bins) or categories of one column. */
static int
fit_col(struct col *c, int no_bins)
{
	double *v = NULL, sum = 0, ss = 0, d;
	size_t i, n = 0, distinct, q, filled = 0;
	int numeric = 1, any = 0;

	for (i = 0; i < c->nval; i++) {
		const char *s = c->val[i];

		if (s == NULL || blank(s, strlen(s)))
			continue;
		any = 1;
		filled++;
		if (parse_num(s, strlen(s), &d) == -1)
			numeric = 0;
	}
	if (c->type == CRM_COL_AUTO && numeric && any)
		c->type = CRM_COL_NUMERIC;
	if (c->type != CRM_COL_NUMERIC) {
		const char **all;
		int forced = c->type == CRM_COL_CATEGORICAL;

		if ((all = crm_reallocarray(NULL, c->nval + 1, sizeof(*all))) ==
		    NULL)
			return -1;
		for (i = 0; i < c->nval; i++)
			all[n++] = c->val[i] != NULL ? c->val[i] : "";
		if (n > 0)
			qsort(all, n, sizeof(*all), cmp_str);
		for (i = 0, distinct = 0; i < n; i++)
			if (distinct == 0 || strcmp(all[distinct - 1], all[i]))
				all[distinct++] = all[i];
		c->type = CRM_COL_CATEGORICAL;
		/* words, all present and all different: a key, not a feature */
		if (!forced && n >= MIN_ID && distinct == n && filled == n) {
			c->type = CRM_COL_IGNORE;
			c->is_id = 1;
			free(all);
			return 0;
		}
		if (distinct > MAX_CAT)
			distinct = MAX_CAT; /* the rest count as unseen */
		if ((c->cat = calloc(distinct + 1, sizeof(*c->cat))) == NULL) {
			free(all);
			return -1;
		}
		for (i = 0; i < distinct; i++) {
			if ((c->cat[i] = strdup(all[i])) == NULL) {
				free(all);
				return -1;
			}
			c->ncat = i + 1;
		}
		free(all);
		return 0;
	}
	if (c->nval > 0 &&
	    (v = crm_reallocarray(NULL, c->nval, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < c->nval; i++) {
		const char *s = c->val[i];

		if (s != NULL && parse_num(s, strlen(s), &d) == 0) {
			v[n++] = d;
			sum += d;
		} else
			c->has_missing = 1;
	}
	c->mean = n ? sum / (double)n : 0;
	for (i = 0; i < n; i++)
		ss += (v[i] - c->mean) * (v[i] - c->mean);
	c->sd = n > 1 ? sqrt(ss / (double)n) : 0;
	if (!(c->sd > 0))
		c->sd = 1;
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_double);
	for (i = 1, distinct = n > 0; i < n; i++)
		distinct += v[i] != v[i - 1];
	c->ncut = 0;
	/* bins of fewer than about 50 values would fit noise */
	if (!no_bins && distinct > 2 && n >= MIN_BIN * NBIN)
		for (q = 1; q < NBIN; q++) {
			d = v[q * n / NBIN];
			if (d > v[0] &&
			    (c->ncut == 0 || d > c->cut[c->ncut - 1]))
				c->cut[c->ncut++] = d;
		}
	free(v);
	return 0;
}

int
crm_tab_fit(struct crm_tab *t, struct crm_err *e)
{
	size_t i, j, w = 0;
	double *x;

	for (i = 0; i < t->ncol; i++) {
		struct col *c = &t->col[i];

		if (c->type == CRM_COL_IGNORE)
			continue;
		while (c->nval < t->nrow) /* absent from the last rows */
			if (push(c, NULL) == -1)
				goto nomem;
		if (fit_col(c, t->no_bins) == -1)
			goto nomem;
		c->first = w;
		w += col_width(c);
	}
	t->width = w;
	if (t->nrow == 0)
		return crm_err_set(e, EX_DATAERR, "no records to learn from");
	if (w == 0)
		return crm_err_set(e, EX_DATAERR, "no fields to learn from");
	if (name_features(t) == -1 ||
	    (t->means = calloc(w, sizeof(*t->means))) == NULL ||
	    (x = calloc(w, sizeof(*x))) == NULL)
		goto nomem;
	for (i = 0; i < t->nrow; i++) {
		crm_tab_row(t, i, x);
		for (j = 0; j < w; j++)
			t->means[j] += x[j] / (double)t->nrow;
	}
	free(x);
	return 0;
nomem:
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

/* Readable names of the features, for explanations. */
static int
name_features(struct crm_tab *t)
{
	struct crm_buf b;
	size_t i, j, f = 0;

	if ((t->names = calloc(t->width, sizeof(*t->names))) == NULL)
		return -1;
	crm_buf_init(&b);
	for (i = 0; i < t->ncol; i++) {
		const struct col *c = &t->col[i];
		size_t n = col_width(c);

		for (j = 0; j < n; j++) {
			crm_buf_reset(&b);
			if (c->type == CRM_COL_CATEGORICAL)
				crm_buf_addf(&b, "%s=%s", c->name, c->cat[j]);
			else if (j == 0)
				crm_buf_adds(&b, c->name);
			else if (c->has_missing && j == 1)
				crm_buf_addf(&b, "%s missing", c->name);
			else {
				size_t bin = j - 1 - (size_t)c->has_missing;

				if (bin == 0)
					crm_buf_addf(
					    &b, "%s < %g", c->name, c->cut[0]);
				else if (bin == c->ncut)
					crm_buf_addf(&b, "%s >= %g", c->name,
					    c->cut[c->ncut - 1]);
				else
					crm_buf_addf(&b, "%s in [%g, %g)",
					    c->name, c->cut[bin - 1],
					    c->cut[bin]);
			}
			if (b.p == NULL ||
			    (t->names[f++] = strdup(b.p)) == NULL) {
				crm_buf_release(&b);
				return -1;
			}
		}
	}
	crm_buf_release(&b);
	return 0;
}

static long
cat_find(const struct col *c, const char *s, size_t len)
{
	size_t lo = 0, hi = c->ncat;
	char buf[256];
	char *key = len < sizeof(buf) ? buf : malloc(len + 1);
	long at = -1;

	if (key == NULL)
		return -1;
	memcpy(key, s, len);
	key[len] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(c->cat[mid], key);

		if (cmp == 0) {
			at = (long)mid;
			break;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (key != buf)
		free(key);
	return at;
}

/*
 * Write the features of one value of column c (s[0..len), or absent) at
 * x + c->first.  A numeric value that does not parse is missing.
 */
static void
encode_value(
    const struct col *c, const char *s, size_t len, int absent, double *x)
{
	double d;
	size_t bin;
	long k;

	x += c->first;
	if (c->type == CRM_COL_CATEGORICAL) {
		memset(x, 0, c->ncat * sizeof(*x));
		k = absent ? cat_find(c, "", 0) : cat_find(c, s, len);
		if (k >= 0)
			x[k] = 1;
		return;
	}
	memset(x, 0, col_width(c) * sizeof(*x));
	if (absent || parse_num(s, len, &d) == -1) {
		if (c->has_missing)
			x[1] = 1;
		return; /* z = 0: the mean; no bin */
	}
	x[0] = (d - c->mean) / c->sd;
	if (c->ncut == 0)
		return;
	for (bin = 0; bin < c->ncut && d >= c->cut[bin]; bin++)
		;
	x[1 + (size_t)c->has_missing + bin] = 1;
}

void
crm_tab_row(const struct crm_tab *t, size_t i, double *x)
{
	size_t j;

	for (j = 0; j < t->ncol; j++) {
		const struct col *c = &t->col[j];
		const char *v;

		if (c->type == CRM_COL_IGNORE)
			continue;
		v = i < c->nval ? c->val[i] : NULL;
		encode_value(c, v ? v : "", v ? strlen(v) : 0, v == NULL, x);
	}
}

int
crm_tab_encode(const struct crm_tab *t, const struct crm_rec *r, int strict,
    double *x, struct crm_err *e)
{
	size_t j, len;
	const char *v;
	long k;

	for (j = 0; j < t->ncol; j++) {
		const struct col *c = &t->col[j];

		if (c->type == CRM_COL_IGNORE)
			continue;
		k = crm_rec_find(r, c->name, strlen(c->name));
		if (k < 0 && !strict) {
			encode_value(c, "", 0, 1, x);
			continue;
		}
		if (k < 0) {
			crm_err_field(e, c->name, strlen(c->name));
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s', which the model needs", c->name);
		}
		if (crm_rec_type(r, (size_t)k) == CRM_NULL) {
			encode_value(c, "", 0, 1, x);
			continue;
		}
		v = value(r, (size_t)k, &len);
		if (c->type == CRM_COL_NUMERIC && !blank(v, len) &&
		    parse_num(v, len, &(double){ 0 }) == -1) {
			crm_err_field(e, c->name, strlen(c->name));
			return crm_err_set(e, EX_DATAERR,
			    "'%.*s' is not a number",
			    (int)(len > 40 ? 40 : len), v);
		}
		encode_value(c, v, len, 0, x);
	}
	return 0;
}

size_t
crm_tab_width(const struct crm_tab *t)
{
	return t->width;
}

const char *
crm_tab_name(const struct crm_tab *t, size_t j)
{
	return t->names[j];
}

double
crm_tab_mean(const struct crm_tab *t, size_t j)
{
	return t->means[j];
}

int
crm_tab_is_id(const struct crm_tab *t, size_t i)
{
	return t->col[i].is_id;
}

size_t
crm_tab_columns(const struct crm_tab *t)
{
	return t->ncol;
}

const char *
crm_tab_column_name(const struct crm_tab *t, size_t i)
{
	return t->col[i].name;
}

void
crm_tab_column_range(
    const struct crm_tab *t, size_t i, size_t *first, size_t *n)
{
	const struct col *c = &t->col[i];

	*first = c->first;
	*n = col_width(c);
}

static int
put_str(struct crm_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (crm_buf_put32(b, (uint32_t)n) == -1)
		return -1;
	return crm_buf_add(b, s, n);
}

int
crm_tab_save(const struct crm_tab *t, struct crm_buf *b)
{
	size_t i, j;
	int bad = 0;

	bad |= crm_buf_put32(b, TAB_MAGIC);
	bad |= crm_buf_put32(b, (uint32_t)t->ncol);
	for (i = 0; i < t->ncol; i++) {
		const struct col *c = &t->col[i];

		bad |= put_str(b, c->name);
		bad |= crm_buf_put32(b, (uint32_t)c->type);
		bad |= crm_buf_putd(b, c->mean);
		bad |= crm_buf_putd(b, c->sd);
		bad |= crm_buf_put32(b, (uint32_t)c->has_missing);
		bad |= crm_buf_put32(b, (uint32_t)c->ncut);
		for (j = 0; j < c->ncut; j++)
			bad |= crm_buf_putd(b, c->cut[j]);
		bad |= crm_buf_put32(b, (uint32_t)c->ncat);
		for (j = 0; j < c->ncat; j++)
			bad |= put_str(b, c->cat[j]);
	}
	bad |= crm_buf_put32(b, (uint32_t)t->width);
	for (j = 0; j < t->width; j++)
		bad |= crm_buf_putd(b, t->means[j]);
	return bad ? -1 : 0;
}

/* A saved string, NUL-terminated and without NULs inside, or NULL. */
static char *
get_str(struct crm_in *in)
{
	uint32_t n = crm_in_32(in);
	const char *p = crm_in_bytes(in, n);
	char *s;

	if (p == NULL || memchr(p, '\0', n) != NULL ||
	    (s = malloc((size_t)n + 1)) == NULL) {
		in->bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

struct crm_tab *
crm_tab_load(const unsigned char **p, size_t *left, struct crm_err *e)
{
	struct crm_in in = { *p, *left, 0 };
	struct crm_tab *t;
	size_t i, j, w = 0, ncol, ncat;

	if ((t = crm_tab_new()) == NULL)
		goto nomem;
	if (crm_in_32(&in) != TAB_MAGIC)
		goto bad;
	ncol = crm_in_32(&in);
	if (in.bad || ncol > in.left / 32)
		goto bad;
	for (i = 0; i < ncol; i++) {
		struct col *c;
		char *name = get_str(&in);

		if (name == NULL)
			goto bad;
		if (col_add(t, name, strlen(name)) < 0) {
			free(name);
			goto nomem;
		}
		free(name);
		c = &t->col[i];
		c->type = (enum crm_coltype)crm_in_32(&in);
		c->mean = crm_in_d(&in);
		c->sd = crm_in_d(&in);
		c->has_missing = crm_in_32(&in) != 0;
		c->ncut = crm_in_32(&in);
		if (in.bad || c->ncut > NBIN - 1 || c->type > CRM_COL_IGNORE ||
		    c->type == CRM_COL_AUTO ||
		    (c->type == CRM_COL_NUMERIC && !(c->sd > 0)))
			goto bad;
		for (j = 0; j < c->ncut; j++) {
			c->cut[j] = crm_in_d(&in);
			if (j > 0 && !(c->cut[j] > c->cut[j - 1]))
				goto bad;
		}
		ncat = crm_in_32(&in);
		if (in.bad || ncat > MAX_CAT || ncat > in.left / 4)
			goto bad;
		if (ncat > 0 &&
		    (c->cat = calloc(ncat, sizeof(*c->cat))) == NULL)
			goto nomem;
		for (j = 0; j < ncat; j++) {
			if ((c->cat[j] = get_str(&in)) == NULL)
				goto bad;
			c->ncat = j + 1; /* what crm_tab_free frees */
			if (j > 0 && strcmp(c->cat[j - 1], c->cat[j]) >= 0)
				goto bad;
		}
		if (c->type == CRM_COL_IGNORE)
			continue;
		c->first = w;
		w += col_width(c);
	}
	t->width = crm_in_32(&in);
	if (in.bad || t->width != w || w == 0 || w > in.left / 8)
		goto bad;
	if ((t->means = calloc(w, sizeof(*t->means))) == NULL)
		goto nomem;
	for (j = 0; j < w; j++)
		t->means[j] = crm_in_d(&in);
	if (in.bad)
		goto bad;
	if (name_features(t) == -1)
		goto nomem;
	*p = in.p;
	*left = in.left;
	return t;
bad:
	crm_err_set(e, EX_DATAERR, "churn model is damaged");
	crm_tab_free(t);
	return NULL;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory while loading a model");
	crm_tab_free(t);
	return NULL;
}
