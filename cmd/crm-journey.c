/*
 * crm-journey: advance every customer through a journey (stages,
 * waits, retries, caps, goals and exits) as of a time, for cron, and
 * write the actions due now for the sending system.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "filter.h"
#include "journey.h"
#include "store.h"

static const char synopsis[] = "usage: crm-journey --db FILE --journey FILE "
			       "[--as-of TIME]\n"
			       "                   [--by person|record] "
			       "[common options]\n";

enum { OPT_BY = CRM_OPT_OWN };

struct opts {
	struct crm_common c;
	const char *journey;
	enum crm_by by;
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the time of the run, of its actions and of the\nwaits: "
	    "YYYY-MM-DD or an ISO 8601 time (the\nclock); never before the "
	    "journey's last run"),
	CRM_BY_OPT(OPT_BY),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: customers, events, consent, the\njourneys' state "
	    "($CRM_DB)"),
	CRM_OPT_STR("journey", "FILE",
	    "the journey: stages, channels, goals and exits", &opts.journey),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (jsonl)"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Advance every customer of the store through a journey as of a time "
	"and\nwrite the actions due now: customer_id, journey, stage, "
	"channel,\ntemplate, try, reason.\n",
	"Exit status: 0 done, 64 usage, 65 a bad journey file, some customers\n"
	"rejected, or --as-of before the journey's last run, 66 no store, 69\n"
	"store schema too new, 70 internal error, 74 I/O error, 75 store "
	"busy.\nSee crm-journey(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

int
main(int argc, char **argv)
{
	const struct crm_journey_counts *n;
	struct crm_journey_def def;
	struct crm_journey *j;
	struct crm_source src;
	struct crm_store *st;
	struct crm_filter *f;
	struct crm_err e;
	const char *arg;
	int c, rc;

	crm_cli_init("crm-journey");
	crm_common_init(&opts.c);
	while ((c = crm_getopt(&cmd, &opts.c, argc, argv, &arg)) != -1)
		if (c == OPT_BY)
			opts.by = (enum crm_by)crm_parse_by(synopsis, arg);
	crm_cli_operands(&cmd, 0, &argc, &argv);
	if (argc > 0)
		crm_usage_error(synopsis, "no file operands: the customers "
					  "come from the store");
	if (opts.journey == NULL)
		crm_usage_error(synopsis, "--journey FILE is needed");
	if (opts.c.db == NULL)
		crm_usage_error(synopsis, "--db FILE is needed");
	crm_err_clear(&e);
	if (crm_journey_read(&def, opts.journey, &e) == -1)
		crm_cli_fail(synopsis, &e);
	crm_cli_store_exists(&opts.c);
	st = crm_cli_store(&opts.c);
	crm_err_clear(&e);
	if ((j = crm_journey_open(st, &def, opts.by, &e)) == NULL ||
	    crm_journey_source(j, &src, &e) == -1) {
		crm_journey_free(j);
		crm_store_close(st);
		crm_journey_def_release(&def);
		crm_cli_fail(synopsis, &e);
	}
	f = crm_cli_filter(&opts.c, crm_journey_ops(), j, &src);
	crm_journey_attach(j, f);
	rc = crm_cli_run(f, &src, 0, NULL);
	n = crm_journey_counts(j);
	crm_cli_count("entered", n->entered);
	crm_cli_count("sent", n->sent);
	crm_cli_count("capped", n->capped);
	crm_cli_count("suppressed", n->suppressed);
	crm_cli_count("converted", n->converted);
	crm_cli_count("exited", n->exited);
	crm_cli_count("done", n->done);
	crm_cli_summary(f);
	rc = crm_cli_end(f, rc);
	crm_journey_free(j);
	crm_store_close(st);
	crm_journey_def_release(&def);
	return rc;
}
