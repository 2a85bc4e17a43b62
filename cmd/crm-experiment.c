/*
 * crm-experiment: each record's customer (or person) gets an arm of an
 * A/B experiment by a keyed hash; analyze: per arm, conversions from the
 * store's events and the statistics against the control.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "experiment.h"
#include "filter.h"
#include "route.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-experiment --experiment NAME [--arms NAME=W,...]\n"
    "                      [--by person|record] [--db FILE]\n"
    "                      [--holdout SHARE] [--id-field FIELD]\n"
    "                      [--key-file FILE] [--purpose NAME]\n"
    "                      [common options] [file ...]\n"
    "       crm-experiment analyze --db FILE --experiment NAME\n"
    "                      --outcome TYPE [--control ARM] [--level L]\n"
    "                      [--sequential] [--window N[smhd]]\n"
    "                      [common options]\n";

enum verb { V_ASSIGN, V_ANALYZE }; /* in order of verbs */

static const char *const verbs[] = { "analyze", NULL };

enum {
	OPT_BY = CRM_OPT_OWN,
	OPT_HOLDOUT,
	OPT_LEVEL,
	OPT_WINDOW,
};

struct opts {
	struct crm_common c;
	struct crm_exp_opts x;
	struct crm_exp_analysis_opts an;
	int holdout_given;
	int an_given; /* --level or --window */
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT_STR("arms", "NAME=W,...",
	    "the arms and their weights\n(control=50,treatment=50)",
	    &opts.x.arms),
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the time of the assignments; analyze: of the\nlook (the clock)"),
	CRM_BY_OPT(OPT_BY),
	CRM_OPT_STR("control", "ARM", "analyze: the control arm (the first)",
	    &opts.an.control),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: experiments, assignments, events\n($CRM_DB)"),
	CRM_OPT_STR("experiment", "NAME", "the experiment", &opts.x.experiment),
	CRM_OPT("holdout", OPT_HOLDOUT, "SHARE",
	    "the share kept out, arm holdout (0)"),
	CRM_OPT_STR("id-field", "FIELD", "the customer id (customer_id)",
	    &opts.x.id_field),
	CRM_OPT_STR("key-file", "FILE",
	    "the hash's key, 16 bytes or more (else\n$CRM_EXPERIMENT_KEY)",
	    &opts.x.key_file),
	CRM_OPT("level", OPT_LEVEL, "L",
	    "analyze: the confidence of the intervals (0.95)"),
	CRM_OPT_STR("outcome", "TYPE",
	    "analyze: the event type that is a conversion", &opts.an.outcome),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: the input's;\nanalyze: jsonl)"),
	CRM_OPT_STR("purpose", "NAME",
	    "do not enroll a customer whose consent for NAME\nis withdrawn "
	    "(--db; none checked)",
	    &opts.x.purpose),
	CRM_OPT_FLAG("sequential", 0,
	    "analyze: always-valid p-values and intervals\n(a look every "
	    "day)",
	    &opts.an.sequential),
	CRM_OPT("window", OPT_WINDOW, "N[smhd]",
	    "analyze: how long after its assignment a\nconversion counts "
	    "(14d)"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Give each record's customer (or person) an arm of an A/B experiment\n"
	"by a keyed hash (HMAC-SHA-256): the same arm in any run, shard or\n"
	"order; with --db, keep the first assignment.  analyze: per arm, the\n"
	"conversions, rates, uplift against the control and their tests.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records "
	"rejected\n"
	"or a design other than the stored one, 66 nothing done from some\n"
	"input (not opened, header refused, every record rejected), or no\n"
	"such experiment, 69 store schema too new, 70 internal error, 74 I/O\n"
	"error, 75 store busy.  See crm-experiment(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	const char *arg;
	long secs;
	int c;

	memset(o, 0, sizeof(*o));
	crm_common_init(&o->c);
	crm_exp_opts_init(&o->x);
	o->an.window = 14 * 86400;
	o->an.level = 0.95;
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_BY:
			o->x.by = (enum crm_by)crm_parse_by(synopsis, arg);
			break;
		case OPT_HOLDOUT:
			o->x.holdout = crm_opt_double(
			    synopsis, "--holdout", arg, 0, 0.99, NULL);
			o->holdout_given = 1;
			break;
		case OPT_LEVEL:
			o->an.level = crm_opt_double(
			    synopsis, "--level", arg, 0.5, 0.9999, NULL);
			o->an_given = 1;
			break;
		case OPT_WINDOW:
			if (crm_route_duration(arg, strlen(arg), &secs) == -1 ||
			    secs <= 0)
				crm_usage_error(synopsis,
				    "bad --window '%s': want a whole number "
				    "above 0 and s, m, h or d (14d)",
				    arg);
			o->an.window = (double)secs;
			o->an_given = 1;
			break;
		}
	}
	if (o->x.experiment == NULL || *o->x.experiment == '\0')
		crm_usage_error(synopsis, "--experiment NAME is needed");
	o->an.experiment = o->x.experiment;
	if (verb == V_ANALYZE) {
		if (o->c.db == NULL)
			crm_usage_error(synopsis, "analyze needs --db FILE");
		if (o->an.outcome == NULL || *o->an.outcome == '\0')
			crm_usage_error(synopsis, "analyze needs --outcome "
						  "TYPE");
		if (o->x.key_file != NULL || o->x.purpose != NULL ||
		    o->holdout_given || o->x.by != CRM_BY_AUTO ||
		    strcmp(o->x.arms, "control=50,treatment=50") != 0)
			crm_usage_error(synopsis, "--arms, --by, --holdout, "
						  "--key-file and --purpose "
						  "are for assignment: analyze "
						  "reads the stored "
						  "design");
		if (o->c.fo.out_fmt == CRM_FMT_AUTO)
			o->c.fo.out_fmt = CRM_FMT_JSONL;
		crm_cli_store_exists(&o->c);
		return;
	}
	if (o->an.outcome != NULL || o->an.control != NULL || o->an.sequential)
		crm_usage_error(synopsis, "--outcome, --control, --level, "
					  "--sequential and --window are for "
					  "analyze");
	if (o->x.purpose != NULL && *o->x.purpose == '\0')
		crm_usage_error(synopsis, "empty --purpose");
	if (o->x.purpose != NULL && o->c.db == NULL)
		crm_usage_error(synopsis, "--purpose needs --db: the consent "
					  "is "
					  "in the store");
	o->x.key_env = getenv("CRM_EXPERIMENT_KEY");
}

static int
run_assign(struct opts *o, int argc, char **argv)
{
	const struct crm_exp_counts *n;
	struct crm_filter *f;
	struct crm_store *st;
	struct crm_exp *x;
	struct crm_err e;
	int rc;

	st = crm_cli_store(&o->c);
	crm_err_clear(&e);
	if ((x = crm_exp_new(&o->x, st, &e)) == NULL) {
		crm_store_close(st);
		crm_cli_fail(synopsis, &e);
	}
	f = crm_cli_filter(&o->c, crm_exp_ops(), x, NULL);
	rc = crm_cli_run(f, NULL, argc, argv);
	n = crm_exp_counts(x);
	if (!o->c.quiet && n->withdrawn > 0)
		crm_warnx("%llu customer%s not enrolled: consent for %s "
			  "withdrawn",
		    n->withdrawn, n->withdrawn == 1 ? "" : "s", o->x.purpose);
	crm_cli_count("assigned", n->assigned);
	crm_cli_count("held out", n->held_out);
	if (o->x.purpose != NULL)
		crm_cli_count("not enrolled", n->withdrawn);
	if (st != NULL) {
		crm_cli_count("stored", n->stored);
		crm_cli_count("assigned before", n->earlier);
	}
	crm_cli_summary(f);
	rc = crm_cli_closed(rc, crm_exp_close(x, &e), &e);
	rc = crm_cli_end(f, rc);
	crm_store_close(st);
	return rc;
}

/* The analysis' arms as a record source. */
struct arms_src {
	const struct crm_exp_analysis *a;
	const struct crm_exp_analysis_opts *o;
	size_t i;
};

static int
next_arm(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct arms_src *s = arg;

	if (s->i == s->a->n)
		return 0;
	if (crm_exp_analysis_rec(s->a, s->o, s->i++, r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 1;
}

static int
run_analyze(struct opts *o)
{
	static const struct crm_filter_ops no_ops;
	struct crm_exp_analysis a;
	struct arms_src as;
	struct crm_source src;
	struct crm_filter *f;
	struct crm_store *st;
	struct crm_err e;
	char verdict[512];
	int rc;

	st = crm_cli_store(&o->c);
	crm_err_clear(&e);
	rc = crm_exp_analyze(st, &o->an, &a, &e);
	crm_store_close(st);
	crm_cli_check(synopsis, rc, &e);
	if (!isnan(a.srm_p) && a.srm_p < 0.001)
		crm_warnx("sample ratio mismatch: the arms' counts are "
			  "unlikely "
			  "under the design (chi-square p=%.2g): check the "
			  "assignment before reading the results",
		    a.srm_p);
	as.a = &a;
	as.o = &o->an;
	as.i = 0;
	memset(&src, 0, sizeof(src));
	src.name = "analysis";
	src.fmt = CRM_FMT_JSONL;
	src.next = next_arm;
	src.arg = &as;
	f = crm_cli_filter(&o->c, &no_ops, NULL, &src);
	rc = crm_cli_run(f, &src, 0, NULL);
	crm_exp_verdict(&a, &o->an, verdict, sizeof(verdict));
	crm_warnx("%s", verdict);
	crm_cli_summary(f);
	rc = crm_cli_end(f, rc);
	crm_exp_analysis_release(&a);
	return rc;
}

int
main(int argc, char **argv)
{
	enum verb verb;
	struct opts *o = &opts;

	crm_cli_init("crm-experiment");
	verb = (enum verb)crm_cli_verb(
	    &argc, argv, verbs, "assignment is the default", synopsis);
	parse_opts(argc, argv, verb, o);
	crm_cli_operands(&cmd, verb == V_ANALYZE, &argc, &argv);
	if (verb == V_ANALYZE)
		return run_analyze(o);
	return run_assign(o, argc, argv);
}
