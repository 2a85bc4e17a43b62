/*
 * test_report_text: a report as text (lib/report_text.c): flags before
 * the tables, numbers right-aligned and grouped, shares as percentages,
 * a bar of eighth blocks scaled to the largest value, a null as '-',
 * and a wide (Chinese) name cut with an ellipsis to fit the width.
 */
#include <stdlib.h>

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
	return tap_done();
}
