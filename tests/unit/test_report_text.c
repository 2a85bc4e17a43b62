/*
 * test_report_text: a report as text (lib/report_text.c): flags before
 * the tables, numbers right-aligned and grouped, shares as percentages,
 * a bar of eighth blocks scaled to the largest value, a null as '-',
 * and a wide (Chinese) name cut with an ellipsis to fit the width.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "report.h"
#include "tap.h"

static void
text_cell(struct crm_report *r, struct crm_report_cell *c, const char *s)
{
	c->null = 0;
	c->text = crm_report_str(r, s);
}

static void
num_cell(struct crm_report_cell *c, double v)
{
	c->null = 0;
	c->num = v;
}

/* The widest line of s in display columns (utf8proc's, as the writer). */
static size_t
widest(const char *s)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;
	size_t w = 0, max = 0;
	int cw;

	for (; *s != '\0'; s += k) {
		if ((k = utf8proc_iterate(
			 (const utf8proc_uint8_t *)s, -1, &cp)) <= 0)
			k = 1, cp = '?';
		if (cp == '\n') {
			w = 0;
			continue;
		}
		cw = utf8proc_charwidth(cp);
		w += cw > 0 ? (size_t)cw : 0;
		max = w > max ? w : max;
	}
	return max;
}

/*
 * Store values a terminal would act on (an escape sequence, a tab, a
 * line break) are shown, not sent; a flag of Chinese (no spaces to break
 * at) wraps inside the width like any other; combining accents take no
 * column.
 */
static void
hostile(void)
{
	static const struct crm_report_col cols[] = {
		{ "queue", "Queue", CRM_RT_TEXT, 0 },
		{ "tickets", "Tickets", CRM_RT_INT, 0 },
	};
	struct crm_report_section *sec;
	struct crm_report_table *t;
	struct crm_report_cell *row;
	struct crm_report *r;
	struct crm_buf b;
	size_t i;

	r = crm_report_new("crmkit report");
	sec = crm_report_section(r, "service", "Service");
	crm_report_flag(r, sec,
	    "escalations on 2026-03-02: 5; queue "
	    "售后服务与退货退款队列售后服务与退货退款队列售后服务与退货退款"
	    "队列售后服务与退货退款队列 moved most");
	t = crm_report_table(r, sec, "q", "Tickets", cols, 2);
	row = crm_report_row(r, t);
	text_cell(r, &row[0], "\x1b]0;owned\x07\x1b[2Jred\tx\ny\rz");
	num_cell(&row[1], 5);
	row = crm_report_row(r, t);
	text_cell(r, &row[0],
	    "Cafe\u0301 cre\u0300me bru\u0302le\u0301e, Cafe\u0301 "
	    "cre\u0300me bru\u0302le\u0301e");
	num_cell(&row[1], 6);
	crm_buf_init(&b);
	TAP_OK(crm_report_text(r, &b, 40) == 0 && crm_buf_addc(&b, '\0') == 0,
	    "hostile: written");
	for (i = 0; b.p[i] != '\0'; i++)
		if (b.p[i] != '\n' && ((unsigned char)b.p[i] < 0x20 ||
					  (unsigned char)b.p[i] == 0x7f))
			break;
	TAP_OK(
	    i + 1 == b.len, "no control character but line ends (byte %zu)", i);
	TAP_OK(
	    widest(b.p) <= 40, "every line in 40 columns (%zu)", widest(b.p));
	TAP_OK(strstr(b.p, "Tickets\n  Queue") != NULL &&
		   strstr(b.p, "\n  Cafe\u0301 cre\u0300me") != NULL,
	    "one line a row, accents kept");
	crm_buf_release(&b);
	crm_report_free(r);
}

int
main(void)
{
	static const struct crm_report_col cols[] = {
		{ "segment", "Segment", CRM_RT_TEXT, 0 },
		{ "customers", "Customers", CRM_RT_INT, 0 },
		{ "churn", "Churn", CRM_RT_SHARE, 0 },
	};
	struct crm_report_table *t;
	struct crm_report_section *sec;
	struct crm_report *r;
	struct crm_report_cell *row;
	struct crm_buf b;

	if ((r = crm_report_new("crmkit report")) == NULL)
		return tap_done();
	r->as_of = crm_report_str(r, "2026-03-02T00:00:00Z");
	r->since = crm_report_str(r, "2026-02-03");
	sec = crm_report_section(r, "service", "Service");
	t = crm_report_table(r, sec, "s", "Customers by segment", cols, 3);
	t->chart = CRM_CHART_BAR;
	t->x = 0;
	t->y = 1;
	row = crm_report_row(r, t);
	text_cell(r, &row[0], "Champions");
	num_cell(&row[1], 1234);
	num_cell(&row[2], 0.5);
	row = crm_report_row(r, t);
	text_cell(r, &row[0], "售后服务与退货退款队列");
	num_cell(&row[1], 617);
	crm_report_flag(r, sec, "tickets on 2026-03-02: 14");
	crm_buf_init(&b);
	TAP_OK(crm_report_text(r, &b, 40) == 0 && crm_buf_addc(&b, '\0') == 0,
	    "written");
	TAP_STR(b.p,
	    "crmkit report\n"
	    "as of 2026-03-02T00:00:00Z, days in UTC, series from 2026-02-03\n"
	    "\n== Service ==\n"
	    "! tickets on 2026-03-02: 14\n"
	    "\nCustomers by segment\n"
	    "  Segment       Customers  Churn\n"
	    "  Champions         1,234  50.0%  \u2588\u2588\u2588\u2588\u2588"
	    "\u2588\n"
	    "  售后服务与\u2026         617      -  \u2588\u2588\u2588\n",
	    "flags first, grouped numbers, a share, a null, bars, a cut name");
	crm_buf_release(&b);
	crm_report_free(r);
	hostile();
	return tap_done();
}
