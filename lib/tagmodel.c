/*
 * tagmodel: crm-tag's model as text, and applying it to one record (see
 * tagmodel.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "rfm.h"
#include "tagmodel.h"

static const char *const rfm_word[3] = { "r", "f", "m" };

void
crm_tagmodel_init(struct crm_tagmodel *m)
{
	memset(m, 0, sizeof(*m));
}

void
crm_tagmodel_release(struct crm_tagmodel *m)
{
	size_t i;

	for (i = 0; i < 3; i++)
		free(m->rfm_field[i]);
	for (i = 0; m->field != NULL && i < m->d; i++)
		free(m->field[i]);
	free(m->field);
	free(m->mean);
	free(m->scale);
	free(m->centre);
	crm_tagmodel_init(m);
}

int
crm_tagmodel_set_rfm(struct crm_tagmodel *m, const char *const names[3])
{
	size_t i;

	for (i = 0; i < 3; i++) {
		free(m->rfm_field[i]);
		if ((m->rfm_field[i] = strdup(names[i])) == NULL)
			return -1;
	}
	m->rfm = 1;
	return 0;
}

/*
 * Room in m for k clusters of d fields: the field names (NULL each),
 * mean, scale and centre; 0, or -1 (ENOMEM, or d above
 * CRM_TAGMODEL_MAX_D: crm_tagmodel_cluster's bound).
 */
static int
alloc_kmeans(struct crm_tagmodel *m, size_t k, size_t d, int log)
{
	if (d > CRM_TAGMODEL_MAX_D ||
	    (m->field = calloc(d, sizeof(*m->field))) == NULL)
		return -1;
	m->d = d;
	m->k = k;
	m->log = log;
	if ((m->mean = crm_reallocarray(NULL, d, sizeof(double))) == NULL ||
	    (m->scale = crm_reallocarray(NULL, d, sizeof(double))) == NULL ||
	    (m->centre = crm_reallocarray(NULL, k, d * sizeof(double))) == NULL)
		return -1;
	return 0;
}

int
crm_tagmodel_set_kmeans(struct crm_tagmodel *m, size_t k, size_t d,
    const char *const *names, int log)
{
	size_t i;

	if (alloc_kmeans(m, k, d, log) == -1)
		return -1;
	for (i = 0; i < d; i++)
		if ((m->field[i] = strdup(names[i])) == NULL)
			return -1;
	return 0;
}

/* ==== Applying ==== */

int
crm_tagmodel_rfm(
    const struct crm_tagmodel *m, const double v[3], unsigned char score[3])
{
	size_t j;

	if (isnan(v[0]) || isnan(v[1]) || isnan(v[2])) {
		score[0] = score[1] = score[2] = 0;
		return 0;
	}
	/* recency is days since: the least scores 5 */
	for (j = 0; j < 3; j++)
		score[j] =
		    (unsigned char)crm_rfm_score(v[j], m->bound[j], j == 0);
	return 1;
}

int
crm_tagmodel_cluster(
    const struct crm_tagmodel *m, const double *x, double *dist)
{
	double best = INFINITY, d2, z, zx[CRM_TAGMODEL_MAX_D];
	size_t c, j;
	int label = -1;

	/* x's z-scores, once for all the centres */
	for (j = 0; j < m->d; j++) {
		if (isnan(x[j]))
			return -1;
		zx[j] = (x[j] - m->mean[j]) / m->scale[j];
	}
	/*
	 * (x - c)^2 summed field by field, in the same order for every
	 * record: a record's cluster is the same in any batch or process
	 */
	for (c = 0; c < m->k; c++) {
		const double *ctr = m->centre + c * m->d;

		for (d2 = 0, j = 0; j < m->d; j++) {
			z = zx[j] - ctr[j];
			d2 += z * z;
		}
		if (label < 0 || d2 < best) {
			best = d2;
			label = (int)c;
		}
	}
	*dist = sqrt(best);
	/* a z-score or its square overflowed: no centre is the nearest */
	return isfinite(*dist) ? label : -2;
}

/* ==== Writing ==== */

/* A field name: '!' to '~' as is but '%', other bytes %XX. */
static int
put_name(struct crm_buf *out, const char *name)
{
	const unsigned char *p;
	int bad = 0;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p >= '!' && *p <= '~' && *p != '%')
			bad |= crm_buf_addc(out, *p);
		else
			bad |= crm_buf_addf(out, "%%%02X", *p);
	return bad;
}

int
crm_tagmodel_write(const struct crm_tagmodel *m, struct crm_buf *out)
{
	size_t i, j;
	int bad = crm_buf_adds(out, CRM_TAGMODEL_MAGIC "\n");

	if (m->by != CRM_BY_AUTO)
		bad |= crm_buf_addf(out, "by %s\n", crm_by_name(m->by));
	if (m->rfm) {
		bad |= crm_buf_adds(out, "rfm");
		for (i = 0; i < 3; i++)
			bad |= crm_buf_addc(out, ' ') |
			       put_name(out, m->rfm_field[i]);
		bad |= crm_buf_addc(out, '\n');
		for (i = 0; i < 3; i++) {
			bad |= crm_buf_adds(out, rfm_word[i]);
			for (j = 0; j < 4; j++)
				bad |=
				    crm_buf_addf(out, " %.17g", m->bound[i][j]);
			bad |= crm_buf_addc(out, '\n');
		}
	}
	if (m->k > 0) {
		bad |= crm_buf_addf(out, "kmeans %zu %zu %s\n", m->k, m->d,
		    m->log ? "log" : "linear");
		for (j = 0; j < m->d; j++) {
			bad |= crm_buf_adds(out, "field ") |
			       put_name(out, m->field[j]);
			bad |= crm_buf_addf(
			    out, " %.17g %.17g\n", m->mean[j], m->scale[j]);
		}
		for (i = 0; i < m->k; i++) {
			bad |= crm_buf_adds(out, "centre");
			for (j = 0; j < m->d; j++)
				bad |= crm_buf_addf(
				    out, " %.17g", m->centre[i * m->d + j]);
			bad |= crm_buf_addc(out, '\n');
		}
	}
	bad |= crm_buf_adds(out, "end\n");
	return bad ? -1 : 0;
}

/* ==== Reading ==== */

#define MAX_WORDS (CRM_TAGMODEL_MAX_D + 1)

/* The text being read, a line at a time, cut into words. */
struct reader {
	const char *p, *end;
	const char *file;
	unsigned long line;
	char *buf; /* the line, NUL-terminated words */
	size_t cap;
	char *word[MAX_WORDS];
	size_t nword;
	struct crm_err *e;
};

static int
bad(struct reader *r, const char *what)
{
	r->e->file = r->file;
	r->e->line = r->line;
	return crm_err_set(r->e, EX_DATAERR, "bad crm-tag model: %s", what);
}

static int
nomem(struct reader *r)
{
	return crm_err_set(r->e, EX_SOFTWARE, "out of memory");
}

/*
 * The next line into r->word: words of one space apart, no space at
 * either end, a newline after it.  0, or -1 with the error set.
 */
static int
next_line(struct reader *r, const char *want)
{
	const char *nl;
	size_t len, i;
	char *w, *b;

	r->line++;
	if (r->p >= r->end) {
		r->e->file = r->file;
		r->e->line = r->line;
		return crm_err_set(r->e, EX_DATAERR,
		    "bad crm-tag model: it ends here (truncated?): %s", want);
	}
	if ((nl = memchr(r->p, '\n', (size_t)(r->end - r->p))) == NULL)
		return bad(r, "the last line has no newline (truncated?)");
	len = (size_t)(nl - r->p);
	if (len + 1 > r->cap) {
		if ((b = realloc(r->buf, len + 1)) == NULL)
			return nomem(r);
		r->buf = b;
		r->cap = len + 1;
	}
	memcpy(r->buf, r->p, len);
	r->buf[len] = '\0';
	r->p = nl + 1;
	if (len == 0 || memchr(r->buf, '\0', len) != NULL)
		return bad(r, want);
	r->nword = 0;
	for (w = r->buf, i = 0; i <= len; i++) {
		if (r->buf[i] != ' ' && r->buf[i] != '\0')
			continue;
		if (&r->buf[i] == w || r->nword == MAX_WORDS)
			return bad(r, want);
		r->buf[i] = '\0';
		r->word[r->nword++] = w;
		w = &r->buf[i + 1];
	}
	return 0;
}

/* Whether the line is word kw and n more words. */
static int
is(const struct reader *r, const char *kw, size_t n)
{
	return r->nword == n + 1 && strcmp(r->word[0], kw) == 0;
}

/* A finite number from a word; 0, or -1 with the error set. */
static int
number(struct reader *r, const char *w, double *v, const char *want)
{
	char *end;

	*v = strtod(w, &end);
	if (*end != '\0' || end == w || !isfinite(*v))
		return bad(r, want);
	return 0;
}

/* A count from a word, 1 to max; 0, or -1 with the error set. */
static int
count(struct reader *r, const char *w, size_t max, size_t *v, const char *want)
{
	const char *p;

	*v = 0;
	for (p = w; *p >= '0' && *p <= '9' && *v <= max; p++)
		*v = *v * 10 + (size_t)(*p - '0');
	if (*p != '\0' || *v < 1 || *v > max || w[0] == '0')
		return bad(r, want);
	return 0;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* A field name from a word, decoded into a new string. */
static int
name(struct reader *r, const char *w, char **out, const char *want)
{
	size_t i = 0, j = 0, len = strlen(w);
	char *s;
	int hi, lo;

	if ((s = malloc(len + 1)) == NULL)
		return nomem(r);
	while (i < len) {
		if (w[i] != '%') {
			s[j++] = w[i++];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(w[i + 1])) < 0 ||
		    (lo = hexval(w[i + 2])) < 0 || (hi == 0 && lo == 0)) {
			free(s);
			return bad(r, want);
		}
		s[j++] = (char)(hi * 16 + lo);
		i += 3;
	}
	s[j] = '\0';
	*out = s;
	return 0;
}

/* The first line: this tool's magic, or say whose the model is. */
static int
magic(struct reader *r)
{
	const char *p = r->p;
	size_t n = (size_t)(r->end - p), ml = strlen(CRM_TAGMODEL_MAGIC);
	char other[16];
	size_t i;

	r->line = 1;
	if (n > ml && memcmp(p, CRM_TAGMODEL_MAGIC "\n", ml + 1) == 0) {
		r->p += ml + 1;
		return 0;
	}
	if (n == 0)
		return bad(r, "empty, want a first line " CRM_TAGMODEL_MAGIC);
	/* a model's magic: "CRM", then letters and digits */
	for (i = 0;
	     i < n && i < 8 &&
	     ((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9'));
	     i++)
		other[i] = p[i];
	other[i] = '\0';
	if (i >= 6 && strncmp(other, "CRMTAG", 6) == 0)
		return bad(r, "a crm-tag model of another version, this "
			      "crm-tag reads " CRM_TAGMODEL_MAGIC);
	if (i >= 6 && strncmp(other, "CRM", 3) == 0) {
		r->e->file = r->file;
		r->e->line = 1;
		return crm_err_set(r->e, EX_DATAERR,
		    "a model of another crmkit tool (%s), not crm-tag's "
		    "(" CRM_TAGMODEL_MAGIC ")",
		    other);
	}
	return bad(r, "want a first line " CRM_TAGMODEL_MAGIC);
}

static int
read_rfm(struct reader *r, struct crm_tagmodel *m)
{
	static const char *const want[3] = {
		"want 'r' and the 4 recency boundaries",
		"want 'f' and the 4 frequency boundaries",
		"want 'm' and the 4 monetary boundaries",
	};
	size_t i, j;

	for (i = 0; i < 3; i++)
		if (name(r, r->word[i + 1], &m->rfm_field[i],
			"bad field name") == -1)
			return -1;
	m->rfm = 1;
	for (i = 0; i < 3; i++) {
		if (next_line(r, want[i]) == -1)
			return -1;
		if (!is(r, rfm_word[i], 4))
			return bad(r, want[i]);
		for (j = 0; j < 4; j++) {
			if (number(r, r->word[j + 1], &m->bound[i][j],
				want[i]) == -1)
				return -1;
			if (j > 0 && m->bound[i][j] < m->bound[i][j - 1])
				return bad(r, "the boundaries go down");
		}
	}
	return next_line(r, "want 'kmeans' or 'end'");
}

static int
read_kmeans(struct reader *r, struct crm_tagmodel *m)
{
	static const char want_km[] = "want 'kmeans K D log|linear'";
	static const char want_f[] = "want 'field NAME MEAN SCALE'";
	char want_c[64];
	size_t k, d, i, j;
	int log;

	if (count(r, r->word[1], CRM_TAGMODEL_MAX_K, &k, want_km) == -1 ||
	    count(r, r->word[2], CRM_TAGMODEL_MAX_D, &d, want_km) == -1)
		return -1;
	if (strcmp(r->word[3], "log") != 0 && strcmp(r->word[3], "linear"))
		return bad(r, want_km);
	log = strcmp(r->word[3], "log") == 0;
	/* each of the lines to come takes 2 bytes a number at least */
	if ((size_t)(r->end - r->p) / 2 < d * 3 + k * (d + 1))
		return bad(r, "fewer lines than its K and D say (truncated?)");
	if (alloc_kmeans(m, k, d, log) == -1)
		return nomem(r);
	for (j = 0; j < d; j++) {
		if (next_line(r, want_f) == -1)
			return -1;
		if (!is(r, "field", 3))
			return bad(r, want_f);
		if (name(r, r->word[1], &m->field[j], "bad field name") == -1 ||
		    number(r, r->word[2], &m->mean[j], want_f) == -1 ||
		    number(r, r->word[3], &m->scale[j], want_f) == -1)
			return -1;
		if (m->scale[j] <= 0)
			return bad(r, "a field's scale is not above 0");
	}
	snprintf(want_c, sizeof(want_c), "want 'centre' and %zu numbers", d);
	for (i = 0; i < k; i++) {
		if (next_line(r, want_c) == -1)
			return -1;
		if (!is(r, "centre", d))
			return bad(r, want_c);
		for (j = 0; j < d; j++)
			if (number(r, r->word[j + 1], &m->centre[i * d + j],
				want_c) == -1)
				return -1;
	}
	return next_line(r, "want 'end'");
}

int
crm_tagmodel_read(struct crm_tagmodel *m, const char *p, size_t len,
    const char *file, struct crm_err *e)
{
	struct reader r;
	int rc = -1, by;

	crm_tagmodel_release(m);
	memset(&r, 0, sizeof(r));
	r.p = p;
	r.end = p + len;
	r.file = file;
	r.e = e;
	if (magic(&r) == -1 || next_line(&r, "want 'by', 'rfm', 'kmeans' or "
					     "'end'") == -1)
		goto out;
	if (is(&r, "by", 1)) {
		if ((by = crm_by_parse(r.word[1])) == -1) {
			bad(&r, "want 'by person' or 'by record'");
			goto out;
		}
		m->by = (enum crm_by)by;
		if (next_line(&r, "want 'rfm', 'kmeans' or 'end'") == -1)
			goto out;
	}
	if (is(&r, "rfm", 3) && read_rfm(&r, m) == -1)
		goto out;
	if (is(&r, "kmeans", 3) && read_kmeans(&r, m) == -1)
		goto out;
	if (!is(&r, "end", 0)) {
		bad(&r, m->k > 0 ? "want 'end'"
			: m->rfm ? "want 'kmeans' or 'end'"
				 : "want 'rfm', 'kmeans' or 'end'");
		goto out;
	}
	if (!m->rfm && m->k == 0) {
		bad(&r, "neither rfm nor kmeans");
		goto out;
	}
	if (r.p != r.end) {
		r.line++;
		bad(&r, "more after 'end'");
		goto out;
	}
	rc = 0;
out:
	free(r.buf);
	if (rc == -1)
		crm_tagmodel_release(m);
	return rc;
}
