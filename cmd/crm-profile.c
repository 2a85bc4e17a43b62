/*
 * crm-profile: each customer's or person's 360-degree view as one
 * record, read from the store's customer_360 or person_360 view
 * (lib/profile.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "filter.h"
#include "profile.h"
#include "store.h"

static const char synopsis[] = "usage: crm-profile --db FILE [--all] [--by "
			       "record|person]\n"
			       "                   [--decisions N] [--id-field "
			       "FIELD] [--messages N]\n"
			       "                   [common options] [file "
			       "...]\n";

struct opts {
	struct crm_common c;
	struct crm_profile_opts p;
	const char *by;
	int all;
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT_FLAG("all", 0, "every customer (person) of the store, no input",
	    &opts.all),
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "not taken: the views show the store as it is"),
	CRM_OPT_STR("by", "KIND",
	    "record: the ids are customers' (the default);\nperson: "
	    "persons', crm-dedupe's cluster ids",
	    &opts.by),
	CRM_OPT(
	    "db", CRM_OPT_DB, "FILE", "the store, read only ($CRM_DB; needed)"),
	CRM_OPT_LONG("decisions", "N", "the last N decisions about each (10)",
	    &opts.p.decisions, 0, 1000000),
	CRM_OPT_STR("id-field", "FIELD",
	    "the id (customer_id; --by person: person_id)", &opts.p.id_field),
	CRM_OPT_LONG("messages", "N", "the last N messages of each (10)",
	    &opts.p.messages, 0, 1000000),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: jsonl; the sections\nare JSON text "
	    "in CSV and TSV)"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Write each customer's 360-degree view as one record: the customer,\n"
	"the other records of its cluster, consent, tags since when, churn,\n"
	"recommendations, open tickets, messages with intent and sentiment,\n"
	"and the last decisions about them, from the store's customer_360\n"
	"view.  With --by person, each person's, over all its records: the\n"
	"golden record and its lineage, the records, and the same sections\n"
	"with the RFM segment and k-means cluster, from person_360.  The ids\n"
	"are a field of the input records, or --all.  An id not in the\n"
	"store gives found: false and a warning.\n",
	"Exit status: 0 every record done (also ids not in the store), 64\n"
	"usage (no --db), 65 some records rejected (no id) or not a store,\n"
	"66 nothing done from some input (not opened, header refused, every\n"
	"record rejected) or no such store, 69 store schema too new,\n"
	"70 internal error, 74 I/O error, 75 store busy.  See "
	"crm-profile(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

static void
not_found(const char *id, size_t len)
{
	crm_warnx("%.*s: not in the store (found: false)", (int)len, id);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	const char *arg;

	crm_common_init(&o->c);
	crm_profile_opts_init(&o->p);
	while (crm_getopt(&cmd, &o->c, argc, argv, &arg) != -1)
		;
	if (o->by != NULL && strcmp(o->by, "person") == 0)
		o->p.by = CRM_PROFILE_PERSON;
	else if (o->by != NULL && strcmp(o->by, "record") != 0)
		crm_usage_error(
		    synopsis, "bad --by '%s': want record or person", o->by);
	if (o->c.as_of != NULL)
		crm_usage_error(synopsis, "--as-of is not taken: the views "
					  "show the store as it is");
	if (o->c.db == NULL)
		crm_usage_error(synopsis, "--db FILE is needed");
	/* a profile never makes a store */
	crm_cli_store_exists(&o->c);
	if (o->c.fo.out_fmt == CRM_FMT_AUTO)
		o->c.fo.out_fmt = CRM_FMT_JSONL;
	o->p.not_found = not_found;
}

int
main(int argc, char **argv)
{
	struct opts *o = &opts;
	struct crm_source src, *in = NULL;
	unsigned long long found, missing;
	struct crm_profile *p;
	struct crm_filter *f;
	struct crm_store *st;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-profile");
	parse_opts(argc, argv, o);
	crm_cli_operands(&cmd, o->all, &argc, &argv);
	st = crm_cli_store_read(&o->c); /* it writes nothing */
	crm_err_clear(&e);
	if ((p = crm_profile_new(&o->p, st, &e)) == NULL) {
		crm_store_close(st);
		crm_cli_fail(synopsis, &e);
	}
	if (o->all) {
		if (crm_profile_source(p, &src, &e) == -1) {
			crm_profile_free(p);
			crm_store_close(st);
			crm_cli_fail(synopsis, &e);
		}
		in = &src;
	}
	f = crm_cli_filter(&o->c, crm_profile_ops(), p, in);
	rc = crm_cli_run(f, in, argc, argv);
	crm_profile_counts(p, &found, &missing);
	crm_cli_count("found", found);
	crm_cli_count("not found", missing);
	crm_cli_summary(f);
	rc = crm_cli_end(f, rc);
	crm_profile_free(p);
	crm_store_close(st);
	return rc;
}
