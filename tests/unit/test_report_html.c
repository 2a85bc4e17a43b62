/*
 * test_report_html: crm-report's HTML (lib/report_html.c) and the cells
 * as shown (crm_report_cell_fmt): escaping of text, attributes, the JSON
 * in its script element and the CSV link; a chart hint without its
 * columns refused; the same report, the same bytes.
 *
 *   test_report_html		the checks (TAP)
 *   test_report_html --write FILE
 *	write the sample report's HTML to FILE: a chart of every mark, CJK
 *	text and a customer named "</script><b>x" (the browser test, t131)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "report.h"
#include "tap.h"

#define HOSTILE "</script><b>x"

static void
text(struct crm_report *r, struct crm_report_cell *c, const char *s)
{
	c->null = 0;
	c->text = crm_report_str(r, s);
}

static void
num(struct crm_report_cell *c, double v)
{
	c->null = 0;
	c->num = v;
}

static struct crm_report_table *
chart(struct crm_report_table *t, enum crm_report_chart mark, int x, int y,
    int color)
{
	t->chart = mark;
	t->x = x;
	t->y = y;
	t->color = color;
	return t;
}

/*
 * The sample: every mark kind (bar, line, heatmap, stacked, a bar of
 * shares), a table without a chart, notes, flags, nulls, CJK names, the
 * hostile name, and U+2028 in a note.
 */
static struct crm_report *
sample(void)
{
	static const struct crm_report_col country[] = {
		{ "country", "Country", CRM_RT_TEXT, 0 },
		{ "customers", "Customers", CRM_RT_INT, 0 },
	};
	static const struct crm_report_col week[] = {
		{ "week", "Week", CRM_RT_DATE, 0 },
		{ "new", "New customers", CRM_RT_INT, 0 },
	};
	static const struct crm_report_col rf[] = {
		{ "r", "Recency (R)", CRM_RT_INT, 0 },
		{ "f", "Frequency (F)", CRM_RT_INT, 0 },
		{ "customers", "Customers", CRM_RT_INT, 0 },
	};
	static const struct crm_report_col qp[] = {
		{ "queue", "Queue", CRM_RT_TEXT, 0 },
		{ "priority", "Priority", CRM_RT_TEXT, 0 },
		{ "tickets", "Tickets", CRM_RT_INT, 0 },
	};
	static const struct crm_report_col band[] = {
		{ "band", "Risk band", CRM_RT_TEXT, 0 },
		{ "share", "Share of customers", CRM_RT_SHARE, 0 },
	};
	static const struct crm_report_col model[] = {
		{ "model", "Model", CRM_RT_TEXT, 0 },
		{ "version", "Version", CRM_RT_INT, 0 },
		{ "auc", "AUC", CRM_RT_REAL, 3 },
		{ "trained", "Trained", CRM_RT_DATE, 0 },
	};
	static const char *const countries[] = { "日本", "한국", "中国",
		HOSTILE, "Deutschland" };
	static const double per_country[] = { 1200, 830, 640, 3, 45 };
	static const double news[] = { 12, 30, 18, 44, 27, 35 };
	static const char *const queues[] = { "billing", "技术支持",
		"returns" };
	static const char *const prios[] = { "low", "normal", "urgent" };
	struct crm_report *r;
	struct crm_report_section *cus, *seg, *svc, *hea, *mod;
	struct crm_report_table *t;
	struct crm_report_cell *row;
	char day[16];
	int i, j;

	if ((r = crm_report_new("crmkit report: 顧客 & <service>")) == NULL)
		return NULL;
	r->db = crm_report_str(r, "demo/crm.db");
	r->as_of = crm_report_str(r, "2026-12-01T00:00:00Z");
	r->since = crm_report_str(r, "2026-10-19");
	r->tz = crm_report_str(r, "UTC");
	cus = crm_report_section(r, "customers", "Customers");
	hea = crm_report_section(r, "health", "Health");
	seg = crm_report_section(r, "segments", "Segments");
	svc = crm_report_section(r, "service", "Service");
	mod = crm_report_section(r, "models", "Models");
	crm_report_flag(r, svc,
	    "complaints per day 3× their recent range: queue 技术支持 moved "
	    "most");
	crm_report_flag(r, svc, "<img src=x onerror=alert(1)>");

	t = chart(crm_report_table(r, cus, "customers-by-country",
		      "Customers by country", country, 2),
	    CRM_CHART_BAR, 0, 1, -1);
	t->note = crm_report_str(r, "persons after dedupe, by country");
	for (i = 0; i < 5; i++) {
		row = crm_report_row(r, t);
		text(r, &row[0], countries[i]);
		num(&row[1], per_country[i]);
	}
	t = chart(crm_report_table(r, cus, "new-per-week",
		      "New customers per week", week, 2),
	    CRM_CHART_LINE, 0, 1, -1);
	for (i = 0; i < 6; i++) {
		row = crm_report_row(r, t);
		snprintf(day, sizeof(day), "2026-%02d-%02d", i < 2 ? 10 : 11,
		    i < 2 ? 19 + 7 * i : 2 + 7 * (i - 2));
		text(r, &row[0], day);
		num(&row[1], news[i]);
	}
	t = chart(
	    crm_report_table(r, hea, "risk-bands", "Churn risk bands", band, 2),
	    CRM_CHART_BAR, 0, 1, -1);
	for (i = 0; i < 3; i++) {
		row = crm_report_row(r, t);
		text(
		    r, &row[0], (const char *[]){ "low", "medium", "high" }[i]);
		num(&row[1], (const double[]){ 0.625, 0.25, 0.125 }[i]);
	}
	t = chart(crm_report_table(r, seg, "rfm-grid", "RFM: R by F", rf, 3),
	    CRM_CHART_HEATMAP, 0, 1, 2);
	for (i = 1; i <= 3; i++)
		for (j = 1; j <= 3; j++) {
			row = crm_report_row(r, t);
			num(&row[0], i);
			num(&row[1], j);
			num(&row[2], 10 * i + j * j);
		}
	t = chart(crm_report_table(r, svc, "tickets-by-queue",
		      "Tickets by queue and priority", qp, 3),
	    CRM_CHART_STACKED, 0, 2, 1);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			row = crm_report_row(r, t);
			text(r, &row[0], queues[i]);
			text(r, &row[1], prios[j]);
			num(&row[2], 5 + 3 * i + 7 * j);
		}
	t = crm_report_table(
	    r, mod, "model-versions", "Model versions \"v\"", model, 4);
	t->note = crm_report_str(r, "AUC on the holdout\u2028R&D's models");
	row = crm_report_row(r, t);
	text(r, &row[0], "churn");
	num(&row[1], 3);
	num(&row[2], 0.81234);
	text(r, &row[3], "2026-11-30");
	row = crm_report_row(r, t);
	text(r, &row[0], "intent, \"small\"");
	num(&row[1], 12);
	row[2].null = 0;
	row[2].num = NAN;
	return r;
}

/* The number of times needle occurs in the n bytes of hay. */
static int
count(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;
	int c = 0;

	for (i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			c++;
	return c;
}

/* What the HTML before the report's JSON holds, and how many times. */
static const struct {
	const char *s;
	int n;
	const char *what;
} html[] = {
	{ HOSTILE, 0, "the hostile name never as it is" },
	{ "<b>", 0, "no element it could start" },
	{ "<td>&lt;/script&gt;&lt;b&gt;x</td>", 1, "but as text in its cell" },
	{ "<li>&lt;img src=x onerror=alert(1)&gt;</li>", 1, "a flag escaped" },
	{ "<title>crmkit report: 顧客 &amp; &lt;service&gt;</title>", 1,
	    "the title escaped, CJK kept" },
	{ "<h1>crmkit report: 顧客 &amp; &lt;service&gt;</h1>", 1,
	    "the heading too" },
	{ "Model versions &quot;v&quot;", 2,
	    "a quote escaped (heading and contents)" },
	{ "<td>intent, &quot;small&quot;</td>", 1, "a quote in a cell" },
	{ "holdout\xe2\x80\xa8R&amp;D&#39;s", 1,
	    "U+2028 kept in the HTML note, & and ' escaped" },
	{ "<td class=\"num\" data-v=\"1200\">1,200</td>", 1,
	    "an int shown grouped, sorted by its value" },
	{ "<td class=\"num\" data-v=\"0.81234\">0.812</td>", 1,
	    "a real with its digits" },
	{ "<td class=\"num\" data-v=\"0.625\">62.5%</td>", 1, "a share" },
	{ "<td class=\"null\"></td>", 2, "a NaN and a null as empty cells" },
	{ "href=\"data:text/csv;charset=utf-8,%22country%22,%22customers%22"
	  "%0D%0A%22日本%22,1200%0D%0A",
	    1, "the CSV link: a header, then the rows" },
	{ "%22%3C/script%3E%3Cb%3Ex%22,3%0D%0A", 1,
	    "the hostile name quoted and encoded in the CSV" },
	{ "%22intent,%20%22%22small%22%22%22,12,%22%22,%22%22%0D%0A", 1,
	    "CSV quotes doubled, nulls empty" },
	{ "<div class=\"chart\" id=\"c-", 5,
	    "a chart element for each charted table" },
	{ "id=\"c-model-versions\"", 0, "none for the table without" },
	{ "<a href=\"#s-service\">Service</a>", 1, "contents: a section" },
	{ "<a href=\"#t-rfm-grid\">RFM: R by F</a>", 1, "and a table" },
	{ "<p class=\"meta\">Store <code>demo/crm.db</code> &middot; as of "
	  "<time>2026-12-01T00:00:00Z</time>",
	    1, "the heading names the store and as_of" },
};

static const char *
fmt(struct crm_buf *b, enum crm_report_type type, int digits, int null,
    double v, const char *s)
{
	struct crm_report_col c = { "c", "C", type, digits };
	struct crm_report_cell cell = { null, v, s };

	crm_buf_reset(b);
	if (crm_report_cell_fmt(b, &c, &cell) == -1 ||
	    crm_buf_add(b, "", 0) == -1)
		return NULL;
	return b->p != NULL ? b->p : "";
}

static void
cells(void)
{
	struct crm_buf b;

	crm_buf_init(&b);
	TAP_STR(fmt(&b, CRM_RT_INT, 0, 0, 1234, NULL), "1,234", "int grouped");
	TAP_STR(fmt(&b, CRM_RT_INT, 0, 0, -1234567, NULL), "-1,234,567",
	    "negative int grouped");
	TAP_STR(fmt(&b, CRM_RT_INT, 0, 0, 999, NULL), "999", "3 digits");
	TAP_STR(fmt(&b, CRM_RT_REAL, 2, 0, 1234.5678, NULL), "1,234.57",
	    "real: its digits, grouped");
	TAP_STR(fmt(&b, CRM_RT_REAL, 0, 0, 0.4, NULL), "0", "real, 0 digits");
	TAP_STR(fmt(&b, CRM_RT_SHARE, 0, 0, 0.75, NULL), "75.0%", "a share");
	TAP_STR(fmt(&b, CRM_RT_SHARE, 0, 0, 12.5, NULL), "1,250.0%",
	    "a share over 1");
	TAP_STR(fmt(&b, CRM_RT_REAL, 2, 0, NAN, NULL), "", "NaN: nothing");
	TAP_STR(fmt(&b, CRM_RT_INT, 0, 1, 5, NULL), "", "null: nothing");
	TAP_STR(fmt(&b, CRM_RT_TEXT, 0, 0, 0, "a<b"), "a<b",
	    "text as it is (escaped by its writer)");
	TAP_STR(fmt(&b, CRM_RT_DATE, 0, 0, 0, "2026-12-01"), "2026-12-01",
	    "a date");
	crm_buf_release(&b);
}

static int
write_sample(const char *path)
{
	struct crm_report *r;
	struct crm_buf b;
	struct crm_err e;
	FILE *f;
	int rc = 0;

	crm_err_clear(&e);
	crm_buf_init(&b);
	if ((r = sample()) == NULL || crm_report_html(r, &b, &e) == -1) {
		fprintf(stderr, "test_report_html: %s\n",
		    r == NULL ? "out of memory" : e.msg);
		rc = EX_SOFTWARE;
	} else if ((f = fopen(path, "w")) == NULL ||
		   fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0) {
		perror(path);
		rc = EX_CANTCREAT;
	}
	crm_buf_release(&b);
	crm_report_free(r);
	return rc;
}

int
main(int argc, char **argv)
{
	struct crm_report *r, *r2;
	struct crm_report_table *t;
	struct crm_buf b, b2;
	struct crm_err e;
	const char *json, *end;
	size_t head, jlen, i;

	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_sample(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test_report_html [--write FILE]\n");
		return EX_USAGE;
	}
	cells();

	crm_err_clear(&e);
	crm_buf_init(&b);
	crm_buf_init(&b2);
	r = sample();
	r2 = sample();
	TAP_OK(r != NULL && r2 != NULL, "the sample report");
	if (r == NULL || r2 == NULL)
		return tap_done();
	TAP_OK(crm_report_html(r, &b, &e) == 0 && b.len > 800000,
	    "its HTML, libraries inlined (%zu bytes)", b.len);
	TAP_OK(strncmp(b.p, "<!DOCTYPE html>\n<html lang=\"en\">", 31) == 0,
	    "an HTML5 document");
	TAP_OK(crm_report_html(r2, &b2, &e) == 0 && b2.len == b.len &&
		   memcmp(b.p, b2.p, b.len) == 0,
	    "the same report, the same bytes");
	crm_buf_reset(&b2);
	TAP_OK(crm_report_html(r, &b2, &e) == 0 && b2.len == b.len &&
		   memcmp(b.p, b2.p, b.len) == 0,
	    "written twice, the same bytes");

	/* Everything before the report's JSON is HTML made here. */
	json = strstr(b.p, "<script id=\"crm-report-data\"");
	TAP_OK(json != NULL, "the report's JSON in a script element");
	if (json == NULL)
		return tap_done();
	head = (size_t)(json - b.p);
	end = strstr(json, "</script>");
	jlen = end != NULL ? (size_t)(end - json) : 0;
	TAP_OK(count(b.p, b.len, "<script") == 5 &&
		   count(b.p, b.len, "</script") == 5,
	    "five script elements, each closed once: nothing else closes one");
	TAP_OK(count(json, jlen, "\"\\u003c/script>\\u003cb>x\"") == 1,
	    "in the JSON, '<' as \\u003c");
	TAP_OK(count(json, jlen, "<img") == 0, "no tag in the JSON");
	TAP_OK(count(json, jlen, "holdout\\u2028R&D") == 1 &&
		   count(json, jlen, "\xe2\x80\xa8") == 0,
	    "U+2028 escaped in the JSON");
	for (i = 0; i < sizeof(html) / sizeof(html[0]); i++)
		TAP_OK(count(b.p, head, html[i].s) == html[i].n, "%s: %s",
		    html[i].what, html[i].s);

	t = r->sections[0]->tables[0];
	t->color = 5;
	crm_buf_reset(&b2);
	crm_err_clear(&e);
	TAP_OK(crm_report_html(r, &b2, &e) == -1 && e.code == EX_SOFTWARE,
	    "a chart's column out of range refused");
	TAP_STR(e.msg,
	    "report table customers-by-country: its chart names no column "
	    "for a mark it needs",
	    "its message");
	t->color = -1;
	t = r->sections[2]->tables[0];
	t->color = -1;
	crm_err_clear(&e);
	TAP_OK(crm_report_html(r, &b2, &e) == -1 && e.code == EX_SOFTWARE,
	    "a heatmap without its color column refused");

	crm_report_free(r);
	crm_report_free(r2);
	r = crm_report_new("empty");
	crm_buf_reset(&b2);
	TAP_OK(r != NULL && crm_report_html(r, &b2, &e) == 0 &&
		   strstr(b2.p, "<p>No section has data.</p>") != NULL,
	    "a report without sections says so");
	crm_report_free(r);
	crm_buf_release(&b);
	crm_buf_release(&b2);
	return tap_done();
}
