/*
 * report_text: a report for a terminal (report.h's crm_report_text).
 * Each section: its flags first, then each table as a heading, a note
 * and aligned columns, the charted number drawn as a bar of Unicode
 * eighth blocks in the columns left over.  Widths are display columns
 * (utf8proc's, so that a Chinese name takes two), text cut with an
 * ellipsis to fit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "report.h"

/* The narrowest a text column is cut to, and the narrowest bar drawn. */
#define MIN_TEXT 8
#define MIN_BAR	 6

/*
 * Is cp a control character (C0, DEL, C1)?  A store value's escape
 * sequence, tab or line break would act on the terminal or break the
 * layout: it is shown as U+FFFD, one column, instead.
 */
static int
control(utf8proc_int32_t cp)
{
	return utf8proc_category(cp) == UTF8PROC_CATEGORY_CC;
}

/* Append s[0..n) with each control character as U+FFFD; 0 or -1. */
static int
put_text(struct crm_buf *b, const char *s, size_t n)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	size_t at = 0, from = 0;

	while (at < n) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + at,
		    (utf8proc_ssize_t)(n - at), &cp);
		if (k <= 0) {
			at++;
			continue;
		}
		if (control(cp)) {
			if (crm_buf_add(b, s + from, at - from) == -1 ||
			    crm_buf_adds(b, "\ufffd") == -1)
				return -1;
			from = at + (size_t)k;
		}
		at += (size_t)k;
	}
	return crm_buf_add(b, s + from, n - from);
}

/* The display columns of s[0..n), and the bytes that fit in max of them. */
static size_t
cols_of(const char *s, size_t n, size_t max, size_t *fit)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	size_t at = 0, w = 0;
	int cw;

	*fit = 0;
	while (at < n) {
		k = utf8proc_iterate((const utf8proc_uint8_t *)s + at,
		    (utf8proc_ssize_t)(n - at), &cp);
		if (k <= 0 || control(cp)) {
			k = k <= 0 ? 1 : k;
			cw = 1;
		} else if ((cw = utf8proc_charwidth(cp)) < 0)
			cw = 0;
		if (w + (size_t)cw <= max)
			*fit = at + (size_t)k;
		w += (size_t)cw;
		at += (size_t)k;
	}
	return w;
}

static size_t
cols(const char *s)
{
	size_t fit;

	return cols_of(s, strlen(s), (size_t)-1, &fit);
}

/* v with thousands separators into buf. */
static void
grouped(double v, char *buf, size_t n)
{
	char digits[32];
	size_t len, i, o = 0;
	int neg = v < 0;

	snprintf(digits, sizeof(digits), "%.0f", fabs(v));
	len = strlen(digits);
	if (neg && o + 1 < n)
		buf[o++] = '-';
	for (i = 0; i < len && o + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

/* A cell as text into buf (numbers) or *out (text, owned by the report). */
static const char *
cell_text(const struct crm_report_col *c, const struct crm_report_cell *v,
    char *buf, size_t n)
{
	if (v->null || (c->type != CRM_RT_TEXT && c->type != CRM_RT_DATE &&
			   !isfinite(v->num)))
		return "-";
	switch (c->type) {
	case CRM_RT_TEXT:
	case CRM_RT_DATE:
		return v->text != NULL ? v->text : "";
	case CRM_RT_INT:
		grouped(v->num, buf, n);
		break;
	case CRM_RT_REAL:
		snprintf(buf, n, "%.*f", c->digits, v->num);
		break;
	case CRM_RT_SHARE:
		snprintf(buf, n, "%.1f%%", 100 * v->num);
		break;
	}
	return buf;
}

static int
numeric(enum crm_report_type t)
{
	return t == CRM_RT_INT || t == CRM_RT_REAL || t == CRM_RT_SHARE;
}

/* s padded (or cut, with an ellipsis) to w columns, left or right. */
static int
put_cell(struct crm_buf *b, const char *s, size_t w, int right)
{
	size_t n = strlen(s), fit, have;

	if ((have = cols_of(s, n, w, &fit)) > w) {
		/* the columns that fit before the ellipsis */
		cols_of(s, n, w - 1, &fit);
		have = cols_of(s, fit, w, &n) + 1;
		if (put_text(b, s, fit) == -1 ||
		    crm_buf_adds(b, "\u2026") == -1)
			return -1;
		return crm_buf_addf(b, "%*s", (int)(w - have), "");
	}
	if (right)
		return crm_buf_addf(b, "%*s", (int)(w - have), "") == -1 ||
			       put_text(b, s, n) == -1
			   ? -1
			   : 0;
	return put_text(b, s, n) == -1 ||
		       crm_buf_addf(b, "%*s", (int)(w - have), "") == -1
		   ? -1
		   : 0;
}

/* A bar of v / max of w columns in eighths of a block. */
static int
put_bar(struct crm_buf *b, double v, double max, size_t w)
{
	static const char *const part[] = { "", "\u258f", "\u258e", "\u258d",
		"\u258c", "\u258b", "\u258a", "\u2589" };
	long eighths, i;

	if (!(max > 0) || !isfinite(v) || v <= 0)
		return 0;
	eighths = lround(v / max * (double)w * 8);
	if (eighths == 0)
		eighths = 1;
	for (i = 0; i < eighths / 8; i++)
		if (crm_buf_adds(b, "\u2588") == -1)
			return -1;
	return crm_buf_adds(b, part[eighths % 8]);
}

/*
 * Text wrapped at width columns, its first line after first, the others
 * after indent (both as wide).  A word wider than a line (Chinese or
 * Japanese, written without spaces) is cut where the line ends.
 */
static int
wrapped(struct crm_buf *b, const char *first, const char *indent, const char *s,
    size_t width)
{
	size_t line = 0, word, in = strlen(indent), fit, room;
	const char *p = s, *sp;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	room = width > in + 1 ? width - in : 1;
	if (crm_buf_adds(b, first) == -1)
		return -1;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if ((sp = strchr(p, ' ')) == NULL)
			sp = p + strlen(p);
		if (sp == p)
			break;
		word = cols_of(p, (size_t)(sp - p), (size_t)-1, &fit);
		if (line > 0 && line + 1 + word > room) {
			if (crm_buf_addc(b, '\n') == -1 ||
			    crm_buf_adds(b, indent) == -1)
				return -1;
			line = 0;
		}
		if (line > 0 && crm_buf_addc(b, ' ') == -1)
			return -1;
		line += line > 0;
		/* on a line of its own, and still too wide: cut it */
		while (word > room) {
			cols_of(p, (size_t)(sp - p), room, &fit);
			if (fit == 0) {
				k = utf8proc_iterate(
				    (const utf8proc_uint8_t *)p,
				    (utf8proc_ssize_t)(sp - p), &cp);
				fit = k > 0 ? (size_t)k : 1;
			}
			if (put_text(b, p, fit) == -1 ||
			    crm_buf_addc(b, '\n') == -1 ||
			    crm_buf_adds(b, indent) == -1)
				return -1;
			p += fit;
			word = cols_of(p, (size_t)(sp - p), (size_t)-1, &fit);
		}
		if (put_text(b, p, (size_t)(sp - p)) == -1)
			return -1;
		line += word;
		p = sp;
	}
	return crm_buf_addc(b, '\n');
}

static int
table_text(struct crm_buf *b, const struct crm_report_table *t, size_t width)
{
	const struct crm_report_cell *v;
	char num[64];
	size_t *w, i, j, total, bar = 0, widest;
	double max = 0;
	int ybar, rc = -1;

	if ((w = calloc(t->ncols + 1, sizeof(*w))) == NULL)
		return -1;
	for (j = 0; j < t->ncols; j++) {
		w[j] = cols(t->cols[j].label);
		for (i = 0; i < t->nrows; i++)
			if ((total = cols(cell_text(&t->cols[j],
				 &t->cells[i * t->ncols + j], num,
				 sizeof(num)))) > w[j])
				w[j] = total;
	}
	ybar = t->chart != CRM_CHART_NONE && t->y >= 0 &&
	       numeric(t->cols[t->y].type);
	/* cut the widest text column until the table and a bar fit */
	for (;;) {
		total = 2;
		for (j = 0; j < t->ncols; j++)
			total += w[j] + (j > 0 ? 2 : 0);
		if (total + (ybar ? 2 + MIN_BAR : 0) <= width)
			break;
		widest = t->ncols;
		for (j = 0; j < t->ncols; j++)
			if (!numeric(t->cols[j].type) && w[j] > MIN_TEXT &&
			    (widest == t->ncols || w[j] > w[widest]))
				widest = j;
		if (widest == t->ncols)
			break;
		w[widest]--;
	}
	if (ybar && total + 2 + MIN_BAR <= width) {
		bar = width - total - 2;
		for (i = 0; i < t->nrows; i++) {
			v = &t->cells[i * t->ncols + t->y];
			if (!v->null && isfinite(v->num) && v->num > max)
				max = v->num;
		}
	}
	if (crm_buf_addf(b, "\n%s\n", t->title) == -1 ||
	    (t->note != NULL && wrapped(b, "  ", "  ", t->note, width) == -1))
		goto out;
	if (crm_buf_adds(b, "  ") == -1)
		goto out;
	for (j = 0; j < t->ncols; j++)
		if ((j > 0 && crm_buf_adds(b, "  ") == -1) ||
		    put_cell(b, t->cols[j].label, w[j],
			numeric(t->cols[j].type)) == -1)
			goto out;
	while (b->len > 0 && b->p[b->len - 1] == ' ')
		b->len--;
	if (crm_buf_addc(b, '\n') == -1)
		goto out;
	for (i = 0; i < t->nrows; i++) {
		if (crm_buf_adds(b, "  ") == -1)
			goto out;
		for (j = 0; j < t->ncols; j++)
			if ((j > 0 && crm_buf_adds(b, "  ") == -1) ||
			    put_cell(b,
				cell_text(&t->cols[j],
				    &t->cells[i * t->ncols + j], num,
				    sizeof(num)),
				w[j], numeric(t->cols[j].type)) == -1)
				goto out;
		v = &t->cells[i * t->ncols + (t->y >= 0 ? t->y : 0)];
		if (bar > 0 && !v->null &&
		    (crm_buf_adds(b, "  ") == -1 ||
			put_bar(b, v->num, max, bar) == -1))
			goto out;
		/* no blanks at the end of a line */
		while (b->len > 0 && b->p[b->len - 1] == ' ')
			b->len--;
		if (crm_buf_addc(b, '\n') == -1)
			goto out;
	}
	rc = 0;
out:
	free(w);
	return rc;
}

int
crm_report_text(const struct crm_report *r, struct crm_buf *b, int width)
{
	const struct crm_report_section *sec;
	size_t i, j, wd = width > 0 ? (size_t)width : 80;

	if (crm_buf_addf(b, "%s%s%s\nas of %s, days in %s, series from %s\n",
		r->title, r->db != NULL ? ": " : "", r->db != NULL ? r->db : "",
		r->as_of != NULL ? r->as_of : "-",
		r->tz != NULL ? r->tz : "UTC",
		r->since != NULL ? r->since : "-") == -1)
		return -1;
	if (r->nsections == 0 && crm_buf_adds(b, "\nThe store has no data to "
						 "report.\n") == -1)
		return -1;
	for (i = 0; i < r->nsections; i++) {
		sec = r->sections[i];
		if (crm_buf_addf(b, "\n== %s ==\n", sec->title) == -1)
			return -1;
		for (j = 0; j < sec->nflags; j++)
			if (wrapped(b, "! ", "  ", sec->flags[j].text, wd) ==
			    -1)
				return -1;
		for (j = 0; j < sec->ntables; j++)
			if (table_text(b, sec->tables[j], wd) == -1)
				return -1;
	}
	return 0;
}
