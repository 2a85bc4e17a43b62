/*
 * test_report: the report model (lib/report.c): sections, tables, rows,
 * flags and their JSON, with a string that could close a script.
 */
#include <math.h>
#include <stdlib.h>

#include "report.h"
#include "tap.h"

int
main(void)
{
	static const struct crm_report_col cols[] = {
		{ "queue", "Queue", CRM_RT_TEXT, 0 },
		{ "tickets", "Tickets", CRM_RT_INT, 0 },
		{ "met", "SLA met", CRM_RT_SHARE, 0 },
	};
	struct crm_report *r;
	struct crm_report_section *svc, *cus;
	struct crm_report_table *t;
	struct crm_report_cell *row;
	struct crm_buf b;

	TAP_OK((r = crm_report_new("crmkit report")) != NULL, "a report");
	if (r == NULL)
		return tap_done();
	r->as_of = crm_report_str(r, "2026-12-01T00:00:00Z");
	svc = crm_report_section(r, "service", "Service");
	cus = crm_report_section(r, "customers", "Customers");
	TAP_OK(svc != NULL && cus != NULL, "two sections");
	t = crm_report_table(
	    r, svc, "tickets-by-queue", "Tickets by queue", cols, 3);
	TAP_OK(t != NULL && t->x == -1 && t->ncols == 3, "a table, no chart");
	t->chart = CRM_CHART_BAR;
	t->x = 0;
	t->y = 1;
	row = crm_report_row(r, t);
	row[0].null = 0;
	row[0].text = crm_report_str(r, "billing</script>");
	row[1].null = 0;
	row[1].num = 12;
	row[2].null = 0;
	row[2].num = 0.75;
	row = crm_report_row(r, t);
	row[0].null = 0;
	row[0].text = crm_report_str(r, "tech");
	row[2].null = 0;
	row[2].num = NAN;
	TAP_OK(t->nrows == 2, "two rows");
	TAP_OK(crm_report_flag(r, svc, "backlog up 40%") == 0, "a flag");
	crm_buf_init(&b);
	TAP_OK(crm_report_json(r, &b) == 0 && crm_buf_add(&b, "", 1) == 0, "its"
									   " JS"
									   "O"
									   "N");
	TAP_STR(b.p,
	    "{\"title\":\"crmkit report\",\"db\":null,"
	    "\"as_of\":\"2026-12-01T00:00:00Z\",\"since\":null,\"tz\":null,"
	    "\"sections\":[{\"id\":\"service\",\"title\":\"Service\","
	    "\"flags\":[\"backlog up 40%\"],\"tables\":[{\"id\":"
	    "\"tickets-by-queue\",\"title\":\"Tickets by queue\",\"note\":"
	    "null,\"columns\":[{\"name\":\"queue\",\"label\":\"Queue\","
	    "\"type\":\"text\"},{\"name\":\"tickets\",\"label\":\"Tickets\","
	    "\"type\":\"int\"},{\"name\":\"met\",\"label\":\"SLA met\","
	    "\"type\":\"share\"}],\"rows\":[[\"billing</script>\",12,0.75],"
	    "[\"tech\",null,null]],\"chart\":{\"mark\":\"bar\",\"x\":"
	    "\"queue\",\"y\":\"tickets\",\"color\":null}}]},{\"id\":"
	    "\"customers\",\"title\":\"Customers\",\"flags\":[],\"tables\":"
	    "[]}]}",
	    "the JSON: sections in order, nulls, a NaN as null");
	crm_buf_release(&b);
	crm_report_free(r);
	return tap_done();
}
