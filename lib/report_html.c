/*
 * report_html: a report as one self-contained HTML5 file (report.h).
 *
 * The page holds every figure three ways: as a sortable HTML table, as a
 * CSV file (a data: URL, for a spreadsheet), and, for a table with a
 * chart hint, as a chart that the browser draws from the same rows.  The
 * report's JSON (crm_report_json) rides along in a script element of
 * type application/json; the page's script (lib/report_page.js) turns
 * each charted table of it into a Vega-Lite specification, one mark per
 * row, and draws it with vega-embed.
 *
 * Why Vega-Lite: a chart is then a few lines of declarative JSON built
 * from the table (mark, x, y, color), not geometry computed here; Vega
 * draws axes, scales, legends, tooltips and text (CJK included) in any
 * browser, as SVG a reader can zoom or print; it is a kept, BSD-licensed
 * project with minified browser builds that can be inlined.  gnuplot's
 * SVG (the other candidate) would put a plotting program in the
 * pipeline, run once per chart, and leave the charts static.  The three
 * libraries (about 840 kB, third_party/vega/README) are linked into the
 * binary by lib/report_assets.S, so the file works offline and neither
 * the build nor the reader needs the network.
 *
 * Safety: every string from the store is escaped for HTML (text and
 * attributes alike); in the JSON every '<' becomes \u003c, and U+2028 and
 * U+2029 become escapes, so no value (a customer named "</script><b>x")
 * can end the script element or start a tag.  The inlined libraries are
 * checked for the same before they are written.
 *
 * Deterministic: no clock, no random ids; ids come from the model.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <csv.h>

#include "report.h"

/* The blobs of lib/report_assets.S: NAME .. NAME_end. */
extern const char crm_report_vega_js[], crm_report_vega_js_end[];
extern const char crm_report_vegalite_js[], crm_report_vegalite_js_end[];
extern const char crm_report_embed_js[], crm_report_embed_js_end[];
extern const char crm_report_page_js[], crm_report_page_js_end[];
extern const char crm_report_page_css[], crm_report_page_css_end[];

struct blob {
	const char *name;
	const char *p, *end;
};

/* The page being written: its buffer, and whether an append failed. */
struct page {
	struct crm_buf *b;
	int bad;
};

static void
put(struct page *pg, const char *s)
{
	if (crm_buf_adds(pg->b, s) == -1)
		pg->bad = 1;
}

static void
putn(struct page *pg, const char *s, size_t n)
{
	if (crm_buf_add(pg->b, s, n) == -1)
		pg->bad = 1;
}

/*
 * s (n bytes) escaped for HTML text and attribute values alike.  By hand:
 * five characters, and no HTML library is among crmkit's dependencies.
 */
static void
escn(struct page *pg, const char *s, size_t n)
{
	const char *rep;
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		putn(pg, s + from, i - from);
		put(pg, rep);
		from = i + 1;
	}
	putn(pg, s + from, n - from);
}

static void
esc(struct page *pg, const char *s)
{
	if (s != NULL)
		escn(pg, s, strlen(s));
}

/*
 * JSON text made safe inside a script element: '<' as \u003c (so neither
 * "</script" nor "<!--" can occur), U+2028 and U+2029 as escapes (line
 * ends to older JavaScript).  Each of them can only be inside a JSON
 * string, where the escape means the same character.
 */
static void
script_json(struct page *pg, const char *s, size_t n)
{
	const char *rep;
	size_t i, from = 0, skip;

	for (i = 0; i < n; i++) {
		skip = 1;
		if (s[i] == '<')
			rep = "\\u003c";
		else if ((unsigned char)s[i] == 0xe2 && i + 2 < n &&
			 (unsigned char)s[i + 1] == 0x80 &&
			 ((unsigned char)s[i + 2] == 0xa8 ||
			     (unsigned char)s[i + 2] == 0xa9)) {
			rep = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028"
							      : "\\u2029";
			skip = 3;
		} else
			continue;
		putn(pg, s + from, i - from);
		put(pg, rep);
		from = i + skip;
		i += skip - 1;
	}
	putn(pg, s + from, n - from);
}

/*
 * s percent-encoded for a data: URL in an attribute: all but letters,
 * digits, the URL characters "-._~!$()*+,;=:@/?" (commas and colons are
 * common in CSV) and UTF-8's bytes (URLs take them as they are), so that
 * no '"', '&', '<', '#' or '%' is left.
 */
static void
pct(struct page *pg, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = { '%', 0, 0 };
	size_t i, from = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (isalnum(c) || c >= 0x80 ||
		    (c != '\0' && strchr("-._~!$()*+,;=:@/?", c) != NULL))
			continue;
		putn(pg, s + from, i - from);
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		putn(pg, e, 3);
		from = i + 1;
	}
	putn(pg, s + from, n - from);
}

/* Is cell v of column c a number to show (not null, finite)? */
static int
is_num(const struct crm_report_col *c, const struct crm_report_cell *v)
{
	return c->type != CRM_RT_TEXT && c->type != CRM_RT_DATE && !v->null &&
	       isfinite(v->num);
}

/* A number's value as data (CSV, sort keys): 1234, 0.75. */
static void
raw_num(struct crm_buf *b, const struct crm_report_col *c,
    const struct crm_report_cell *v, int *bad)
{
	if (c->type == CRM_RT_INT)
		*bad |= crm_buf_addf(b, "%lld", (long long)llround(v->num));
	else
		*bad |= crm_buf_addf(b, "%.15g", v->num);
}

/* ==== Tables ==== */

/* The CSV of t: a header of column names, then its rows (RFC 4180). */
static int
table_csv(const struct crm_report_table *t, struct crm_buf *csv)
{
	const struct crm_report_cell *v;
	const char *s;
	size_t i, j, n;
	int bad = 0;

	for (i = 0; i <= t->nrows; i++) {
		for (j = 0; j < t->ncols; j++) {
			if (j > 0)
				bad |= crm_buf_addc(csv, ',');
			v = i > 0 ? &t->cells[(i - 1) * t->ncols + j] : NULL;
			if (v != NULL && is_num(&t->cols[j], v)) {
				raw_num(csv, &t->cols[j], v, &bad);
				continue;
			}
			s = v == NULL ? t->cols[j].name
			    : v->null || v->text == NULL ||
				    (t->cols[j].type != CRM_RT_TEXT &&
					t->cols[j].type != CRM_RT_DATE)
				? ""
				: v->text;
			/* libcsv's writer quotes the field, quotes doubled. */
			n = csv_write(NULL, 0, s, strlen(s));
			if (bad || crm_buf_grow(csv, n) == -1)
				return -1;
			csv_write(csv->p + csv->len, n, s, strlen(s));
			csv->len += n;
			csv->p[csv->len] = '\0';
		}
		bad |= crm_buf_add(csv, "\r\n", 2);
	}
	return bad ? -1 : 0;
}

static void
table_html(
    struct page *pg, const struct crm_report_table *t, struct crm_buf *tmp)
{
	const struct crm_report_col *c;
	const struct crm_report_cell *v;
	size_t i, j;
	int bad = 0;

	put(pg, "<article id=\"t-");
	esc(pg, t->id);
	put(pg, "\">\n<h3>");
	esc(pg, t->title);
	put(pg, "</h3>\n");
	if (t->note != NULL) {
		put(pg, "<p class=\"note\">");
		esc(pg, t->note);
		put(pg, "</p>\n");
	}
	if (t->chart != CRM_CHART_NONE && t->nrows > 0) {
		put(pg, "<div class=\"chart\" id=\"c-");
		esc(pg, t->id);
		put(pg, "\"></div>\n");
	}
	put(pg, "<table class=\"sortable\">\n<thead><tr>");
	for (j = 0; j < t->ncols; j++) {
		c = &t->cols[j];
		put(pg, c->type == CRM_RT_TEXT || c->type == CRM_RT_DATE
			    ? "<th scope=\"col\" data-type=\"text\""
			    : "<th scope=\"col\" data-type=\"num\" "
			      "class=\"num\"");
		put(pg, " aria-sort=\"none\"><button type=\"button\">");
		esc(pg, c->label);
		put(pg, "</button></th>");
	}
	put(pg, "</tr></thead>\n<tbody>\n");
	for (i = 0; i < t->nrows; i++) {
		put(pg, "<tr>");
		for (j = 0; j < t->ncols; j++) {
			c = &t->cols[j];
			v = &t->cells[i * t->ncols + j];
			crm_buf_reset(tmp);
			if (is_num(c, v)) {
				raw_num(tmp, c, v, &bad);
				put(pg, "<td class=\"num\" data-v=\"");
				put(pg, tmp->p);
				put(pg, "\">");
				crm_buf_reset(tmp);
			} else if (v->null || (c->type != CRM_RT_TEXT &&
						  c->type != CRM_RT_DATE)) {
				put(pg, "<td class=\"null\"></td>");
				continue;
			} else
				put(pg, "<td>");
			bad |= crm_report_cell_fmt(tmp, c, v);
			escn(pg, tmp->p != NULL ? tmp->p : "", tmp->len);
			put(pg, "</td>");
		}
		put(pg, "</tr>\n");
	}
	put(pg, "</tbody>\n</table>\n");
	crm_buf_reset(tmp);
	bad |= table_csv(t, tmp);
	put(pg, "<p class=\"csv\"><a download=\"");
	esc(pg, t->id);
	put(pg, ".csv\" href=\"data:text/csv;charset=utf-8,");
	pct(pg, tmp->p != NULL ? tmp->p : "", tmp->len);
	put(pg, "\">");
	esc(pg, t->id);
	put(pg, ".csv</a></p>\n</article>\n");
	if (bad)
		pg->bad = 1;
}

/* ==== The page ==== */

/* Does the chart hint of t name the columns its mark needs? */
static int
chart_ok(const struct crm_report_table *t)
{
	int n = (int)t->ncols;

	if (t->chart == CRM_CHART_NONE)
		return 1;
	if (t->x < 0 || t->x >= n || t->y < 0 || t->y >= n || t->color >= n)
		return 0;
	return t->color >= 0 ||
	       (t->chart != CRM_CHART_HEATMAP && t->chart != CRM_CHART_STACKED);
}

/*
 * Does blob b hold s (any case)?  An inlined script may hold neither
 * "</script" (its end) nor "<!--" (after which "<script" would keep the
 * element open past its end tag); a style may not hold "</style".
 */
static int
holds(const struct blob *b, const char *s)
{
	size_t k = strlen(s);
	const char *p;

	for (p = b->p; p + k <= b->end; p++)
		if (*p == '<' && strncasecmp(p, s, k) == 0)
			return 1;
	return 0;
}

static int
unsafe(const struct blob *b, const char *s, struct crm_err *e)
{
	if (!holds(b, s))
		return 0;
	return crm_err_set(
	    e, EX_SOFTWARE, "%s holds %s: it cannot be inlined", b->name, s);
}

static void
heading(struct page *pg, const struct crm_report *r)
{
	/* Each part shown when the report has it: before, value, after. */
	const char *const parts[][3] = {
		{ "Store <code>", r->db, "</code>" },
		{ "as of <time>", r->as_of, "</time>" },
		{ "since <time>", r->since, "</time>" },
		{ "days in ", r->tz, "" },
	};
	const char *sep = "";
	size_t i;

	put(pg, "<header>\n<h1>");
	esc(pg, r->title);
	put(pg, "</h1>\n<p class=\"meta\">");
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i][1] == NULL)
			continue;
		put(pg, sep);
		put(pg, parts[i][0]);
		esc(pg, parts[i][1]);
		put(pg, parts[i][2]);
		sep = " &middot; ";
	}
	put(pg, "</p>\n</header>\n");
}

static void
contents(struct page *pg, const struct crm_report *r)
{
	const struct crm_report_section *sec;
	size_t i, j;

	put(pg, "<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n");
	for (i = 0; i < r->nsections; i++) {
		sec = r->sections[i];
		put(pg, "<li><a href=\"#s-");
		esc(pg, sec->id);
		put(pg, "\">");
		esc(pg, sec->title);
		put(pg, "</a>");
		if (sec->ntables > 0)
			put(pg, "\n<ol>\n");
		for (j = 0; j < sec->ntables; j++) {
			put(pg, "<li><a href=\"#t-");
			esc(pg, sec->tables[j]->id);
			put(pg, "\">");
			esc(pg, sec->tables[j]->title);
			put(pg, "</a></li>\n");
		}
		put(pg, sec->ntables > 0 ? "</ol></li>\n" : "</li>\n");
	}
	put(pg, "</ol>\n</nav>\n");
}

static void
section_html(
    struct page *pg, const struct crm_report_section *sec, struct crm_buf *tmp)
{
	size_t j;

	put(pg, "<section id=\"s-");
	esc(pg, sec->id);
	put(pg, "\">\n<h2>");
	esc(pg, sec->title);
	put(pg, "</h2>\n");
	if (sec->nflags > 0) {
		put(pg, "<ul class=\"flags\">\n");
		for (j = 0; j < sec->nflags; j++) {
			put(pg, "<li>");
			esc(pg, sec->flags[j].text);
			put(pg, "</li>\n");
		}
		put(pg, "</ul>\n");
	}
	for (j = 0; j < sec->ntables; j++)
		table_html(pg, sec->tables[j], tmp);
	put(pg, "</section>\n");
}

int
crm_report_html(
    const struct crm_report *r, struct crm_buf *b, struct crm_err *e)
{
	const struct blob libs[] = {
		{ "vega.min.js", crm_report_vega_js, crm_report_vega_js_end },
		{ "vega-lite.min.js", crm_report_vegalite_js,
		    crm_report_vegalite_js_end },
		{ "vega-embed.min.js", crm_report_embed_js,
		    crm_report_embed_js_end },
		{ "report_page.js", crm_report_page_js,
		    crm_report_page_js_end },
	};
	const struct blob css = { "report_page.css", crm_report_page_css,
		crm_report_page_css_end };
	const struct crm_report_table *t;
	struct page pg = { b, 0 };
	struct crm_buf tmp;
	size_t i, j;

	for (i = 0; i < r->nsections; i++)
		for (j = 0; j < r->sections[i]->ntables; j++)
			if (!chart_ok(t = r->sections[i]->tables[j]))
				return crm_err_set(e, EX_SOFTWARE,
				    "report table %s: its chart names no "
				    "column for a mark it needs",
				    t->id);
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		if (unsafe(&libs[i], "</script", e) == -1 ||
		    unsafe(&libs[i], "<!--", e) == -1)
			return -1;
	if (unsafe(&css, "</style", e) == -1)
		return -1;

	crm_buf_init(&tmp);
	put(&pg, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		 "<meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" "
		 "content=\"width=device-width, initial-scale=1\">\n"
		 "<meta name=\"generator\" content=\"crmkit crm-report\">\n"
		 "<title>");
	esc(&pg, r->title);
	put(&pg, "</title>\n<style>\n");
	putn(&pg, css.p, (size_t)(css.end - css.p));
	put(&pg, "</style>\n</head>\n<body>\n");
	heading(&pg, r);
	contents(&pg, r);
	put(&pg, "<main>\n");
	if (r->nsections == 0)
		put(&pg, "<p>No section has data.</p>\n");
	for (i = 0; i < r->nsections; i++)
		section_html(&pg, r->sections[i], &tmp);
	put(&pg, "</main>\n"
		 "<script id=\"crm-report-data\" type=\"application/json\">");
	crm_buf_reset(&tmp);
	if (crm_report_json(r, &tmp) == -1)
		pg.bad = 1;
	else
		script_json(&pg, tmp.p, tmp.len);
	put(&pg, "</script>\n");
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		put(&pg, "<script>\n");
		putn(&pg, libs[i].p, (size_t)(libs[i].end - libs[i].p));
		put(&pg, "\n</script>\n");
	}
	put(&pg, "</body>\n</html>\n");
	crm_buf_release(&tmp);
	if (pg.bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}
