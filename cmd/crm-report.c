/*
 * crm-report: the store's figures as one report (lib/report_data.c),
 * written as one self-contained HTML file (lib/report_html.c), text for a
 * terminal (lib/report_text.c) or JSON (lib/report.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "outfile.h"
#include "report.h"
#include "store.h"

static const char synopsis[] = "usage: crm-report --db FILE [--as-of TIME] "
			       "[--since DATE] [--tz ZONE]\n"
			       "                  [--format html|text|json] "
			       "[--outcome TYPE] [--width N]\n"
			       "                  [-o FILE] [common options]\n";

enum { OPT_FORMAT = CRM_OPT_OWN, OPT_OUT = 'o' };

struct opts {
	struct crm_common c;
	struct crm_report_opts r;
	const char *format, *out;
	long width;
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the report's reference time: rows after it are\nleft out; the "
	    "last day of the series (default:\nthe clock)"),
	CRM_OPT(
	    "db", CRM_OPT_DB, "FILE", "the store, read only ($CRM_DB; needed)"),
	CRM_OPT_STR("format", "FMT",
	    "html (the default: one file with its charts,\nfor a browser), "
	    "text (for a terminal) or json",
	    &opts.format),
	CRM_OPT_STR("outcome", "TYPE",
	    "the event type that is a conversion: each\nexperiment's verdict "
	    "(none: its arms alone)",
	    &opts.r.outcome),
	CRM_OPT("output", OPT_OUT, "FILE",
	    "write the report to FILE, replaced whole\n(default: standard "
	    "output)"),
	CRM_OPT_STR("since", "DATE",
	    "the first day of the series (default: 27 days\nbefore the "
	    "as-of day)",
	    &opts.r.since),
	CRM_OPT_STR("tz", "ZONE", "days in this time zone (UTC)", &opts.r.tz),
	CRM_OPT_LONG("width", "N", "text: the columns to fit (80)", &opts.width,
	    40, 1000),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Write the dashboards of the store as one report: Customers (counts,\n"
	"new per week, persons, data quality), Health (churn scores, risk\n"
	"by segment, reasons, retention actions), Segments (RFM grid, sizes\n"
	"over time, k-means clusters), Service (tickets, backlog, SLA,\n"
	"handling times, agents, bot answers, intents, sentiment,\n"
	"escalations), Models (versions, decisions, corrections,\n"
	"experiments, journeys) and Anomalies (a daily count of the last\n"
	"day above its 14 days before).  A section is shown when the store\n"
	"has its data.  Aggregates only, read from one snapshot; the same\n"
	"store and --as-of give the same bytes.\n",
	"Exit status: 0 report written, 64 usage (no --db, a bad option),\n"
	"65 not a store, 66 no such store, 69 store schema too new,\n"
	"70 internal error, 73 output not created, 74 I/O error, 75 store\n"
	"busy.  See crm-report(1).\n",
	options,
	CRM_OPTS_STORE,
};

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	const char *arg;
	int k;

	crm_common_init(&o->c);
	o->width = 80;
	while ((k = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1)
		if (k == OPT_OUT)
			o->out = arg;
	if (o->format == NULL)
		o->format = "html";
	if (strcmp(o->format, "html") != 0 && strcmp(o->format, "text") != 0 &&
	    strcmp(o->format, "json") != 0)
		crm_usage_error(synopsis,
		    "bad --format '%s': want html, text or json", o->format);
	if (o->c.db == NULL)
		crm_usage_error(synopsis, "--db FILE is needed");
	if (optind < argc)
		crm_usage_error(
		    synopsis, "no operands are taken: '%s'", argv[optind]);
	/* a report never makes a store */
	crm_cli_store_exists(&o->c);
	if (o->out != NULL)
		crm_cli_check_output(
		    synopsis, &o->c, "--output", o->out, 0, NULL);
	o->r.db = o->c.db;
	o->r.as_of = o->c.as_of;
}

int
main(int argc, char **argv)
{
	struct opts *o = &opts;
	struct crm_outfile of;
	struct crm_report *r;
	struct crm_store *st;
	struct crm_buf b;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-report");
	parse_opts(argc, argv, o);
	/* read only: no schema written into a file, no write access needed */
	st = crm_cli_store_read(&o->c);
	crm_err_clear(&e);
	r = crm_report_build(st, &o->r, &e);
	crm_store_close(st);
	if (r == NULL)
		crm_cli_fail(synopsis, &e);
	crm_buf_init(&b);
	if (strcmp(o->format, "html") == 0) {
		if (crm_report_html(r, &b, &e) == -1) {
			crm_report_free(r);
			crm_buf_release(&b);
			crm_die(e.code, "%s", e.msg);
		}
		rc = 0;
	} else if (strcmp(o->format, "json") == 0)
		rc = crm_report_json(r, &b) == -1 ||
		     crm_buf_addc(&b, '\n') == -1;
	else
		rc = crm_report_text(r, &b, (int)o->width);
	crm_report_free(r);
	if (rc != 0) {
		crm_buf_release(&b);
		crm_die(EX_SOFTWARE, "out of memory");
	}
	if (o->out != NULL) {
		if (crm_outfile_open(&of, o->out, &e) == -1) {
			crm_buf_release(&b);
			crm_cli_fail(synopsis, &e);
		}
		if (fwrite(b.p, 1, b.len, of.fp) != b.len) {
			crm_outfile_abort(&of);
			crm_buf_release(&b);
			crm_die(EX_IOERR, "%s: write failed", o->out);
		}
		if (crm_outfile_commit(&of, &e) == -1) {
			crm_buf_release(&b);
			crm_cli_fail(synopsis, &e);
		}
	} else if (fwrite(b.p, 1, b.len, stdout) != b.len) {
		crm_buf_release(&b);
		crm_die(EX_IOERR, "standard output: write failed");
	}
	crm_buf_release(&b);
	return crm_close_stdout();
}
