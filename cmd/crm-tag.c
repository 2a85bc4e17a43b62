/*
 * crm-tag: segment customers: tags from rules written as SQL expressions,
 * RFM scores and segments, and k-means clusters, appended to each record
 * and, with a store, kept current in its tags table; `crm-tag fit`
 * keeps the RFM boundaries and k-means centres as a model that
 * --model-file or --model applies record by record.  The pipeline is
 * lib/segment; this file holds the options and the wiring.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "filter.h"
#include "opt.h"
#include "rec.h"
#include "segment.h"
#include "tagmodel.h"

static const char synopsis[] =
    "usage: crm-tag [-q] [--rules FILE] [--rfm] [--rfm-fields R,F,M]\n"
    "               [--kmeans K] [--auto-k] [--fields F,...] [--log]\n"
    "               [--restarts N] [--seed N] [--db FILE] [--from-store]\n"
    "               [--as-of TIME] [--by person|record] [--id-field FIELD]\n"
    "               [common options] [file ...]\n"
    "       crm-tag --model-file FILE | --model NAME [--model-version N]\n"
    "               [--rules FILE] [--db FILE] [--from-store] [--as-of TIME]\n"
    "               [--by person|record] [--id-field FIELD] [common options]\n"
    "               [file ...]\n"
    "       crm-tag fit [--rfm] [--rfm-fields R,F,M] [--kmeans K] [--auto-k]\n"
    "               [--fields F,...] [--log] [--restarts N] [--seed N]\n"
    "               [--model-file FILE] [--db FILE] [--model NAME]\n"
    "               [--from-store] [--as-of TIME] [--by person|record]\n"
    "               [--id-field FIELD] [common options] [file ...]\n";

static const char *const verbs[] = { "fit", NULL };

enum { OPT_FIELDS = CRM_OPT_OWN, OPT_BY, OPT_RFM_FIELDS, OPT_RULES };

#define MAX_K 1000

/* A list of field names from a comma-separated option. */
struct names {
	char **name;
	size_t n;
};

struct opts {
	struct crm_common c;
	struct crm_segment_opts so;
	long seed; /* so.seed, as crm_getopt stores a long */
	struct names rfm_fields, km_fields;
	const char **rules;	  /* --rules files */
	char as_of_day[11];	  /* the day of --as-of */
	struct crm_progress prog; /* k-means' runs */
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the time stamped on tags: YYYY-MM-DD or an ISO\n8601 time (the "
	    "clock); its day is the day the\nstore's features are computed "
	    "for (the last\nevent's day)"),
	CRM_OPT_FLAG("auto-k", 0,
	    "choose K from 2 to --kmeans (10) by silhouette", &opts.so.auto_k),
	CRM_BY_OPT(OPT_BY),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: customer features, tags table\n($CRM_DB)"),
	CRM_OPT("fields", OPT_FIELDS, "F,...",
	    "k-means on these numeric fields (the RFM fields)"),
	CRM_OPT_FLAG("from-store", 0,
	    "records from the store's customers and features",
	    &opts.so.from_store),
	CRM_OPT_STR("id-field", "FIELD", "the customer key (customer_id)",
	    &opts.so.id_field),
	CRM_OPT_LONG("kmeans", "K",
	    "add cluster and cluster_distance, K clusters", &opts.so.k, 1,
	    MAX_K),
	CRM_OPT_FLAG("log", 0, "k-means on log(1 + value)", &opts.so.log),
	CRM_OPT_STR("model", "NAME",
	    "apply the store's model NAME (fit: keep it as\nNAME, tag)",
	    &opts.so.model),
	CRM_OPT_STR("model-file", "FILE",
	    "apply the model in FILE (fit: write it there)",
	    &opts.so.model_file),
	CRM_OPT_LONG("model-version", "N",
	    "apply version N of the store's model", &opts.so.model_version, 1,
	    1L << 40),
	CRM_OPT("quiet", CRM_OPT_QUIET, NULL,
	    "no summary, RFM segment sizes or k-means\nfigures on stderr"),
	CRM_OPT_LONG("restarts", "N",
	    "k-means runs from new seeds, best kept (10)", &opts.so.restarts, 1,
	    1000),
	CRM_OPT_FLAG("rfm", 0, "add r_score, f_score, m_score, rfm_segment",
	    &opts.so.rfm),
	CRM_OPT("rfm-fields", OPT_RFM_FIELDS, "R,F,M",
	    "recency, frequency and monetary value\n"
	    "(recency,frequency,monetary)"),
	CRM_OPT("rules", OPT_RULES, "FILE",
	    "add tags: one 'TAG: SQL expression' a line;\n'TAG purpose=NAME: "
	    "...' is an action, left out\nwhere the customer's consent for "
	    "NAME is\nwithdrawn (--db)"),
	CRM_OPT_LONG(
	    "seed", "N", "k-means random seed (1)", &opts.seed, 0, 4294967295L),
	CRM_OPT_FLAG("show-suppressed", 0,
	    "name the actions left out in action_suppressed",
	    &opts.so.show_suppressed),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Tag each customer record by rules, RFM segment and k-means "
	"cluster;\n"
	"fit keeps the RFM boundaries and k-means centres as a model, which\n"
	"--model-file or --model applies record by record.\n",
	"Exit status: 0 every record done, 64 usage, 65 some records "
	"rejected, bad\n"
	"rules or a bad model, 66 nothing done from some input (not opened, "
	"header\n"
	"refused, every record rejected) or no such model, 69 store schema "
	"too new,\n"
	"70 internal error, 73 cannot create output, 74 I/O error, 75 store "
	"busy.\n"
	"See crm-tag(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

/* ==== Options ==== */

static void
free_names(struct names *n)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		free(n->name[i]);
	free(n->name);
	memset(n, 0, sizeof(*n));
}

static void
split_names(const char *opt, const char *arg, struct names *out, size_t want)
{
	char *dup, *rest, *tok, **n;

	free_names(out);
	if ((dup = strdup(arg)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	rest = dup;
	while ((tok = strsep(&rest, ",")) != NULL) {
		if (*tok == '\0')
			crm_usage_error(synopsis,
			    "bad %s '%s': empty field name", opt, arg);
		if ((n = crm_reallocarray(out->name, out->n + 1, sizeof(*n))) ==
			NULL ||
		    (n[out->n] = strdup(tok)) == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
		out->name = n;
		out->n++;
	}
	free(dup);
	if (want > 0 && out->n != want)
		crm_usage_error(synopsis, "bad %s '%s': want %zu field names",
		    opt, arg, want);
}

/* The options of fit, and of applying a model. */
static void
check_model(int argc, char **argv, int fit, struct opts *o)
{
	struct crm_segment_opts *so = &o->so;

	if (so->model_version != 0 &&
	    (fit || o->c.db == NULL || so->model_file != NULL))
		crm_usage_error(synopsis, "--model-version is for applying a "
					  "model of the store (--db), not "
					  "with --model-file");
	if (so->model_version != 0 && so->model == NULL)
		so->model = "tag";
	if (so->model != NULL && so->model_file != NULL)
		crm_usage_error(synopsis, "--model or --model-file, not both");
	if (so->model != NULL && o->c.db == NULL)
		crm_usage_error(synopsis, "--model needs --db");
	if (fit) {
		if (so->nrules > 0)
			crm_usage_error(synopsis, "--rules is for applying, "
						  "not fit");
		if (so->model_file == NULL && o->c.db == NULL)
			crm_usage_error(synopsis, "fit needs --model-file or "
						  "--db to keep the model");
		if (so->model == NULL)
			so->model = "tag";
		crm_cli_check_output(synopsis, &o->c, "--model-file",
		    so->model_file, argc, argv);
		o->c.fo.no_output = 1;
		return;
	}
	if (so->model == NULL && so->model_file == NULL)
		return;
	if (so->rfm || so->k > 0 || o->km_fields.n > 0 || so->log ||
	    so->restarts != 10 || o->seed != 1 || so->auto_k ||
	    strcmp(o->rfm_fields.name[0], "recency") != 0 ||
	    strcmp(o->rfm_fields.name[1], "frequency") != 0 ||
	    strcmp(o->rfm_fields.name[2], "monetary") != 0)
		crm_usage_error(synopsis,
		    "--%s: the model gives the RFM and k-means options; "
		    "they are for fit",
		    so->model_file != NULL ? "model-file" : "model");
}

static void
parse_opts(int argc, char **argv, int fit, struct opts *o)
{
	struct crm_segment_opts *so = &o->so;
	const char *arg;
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	crm_common_init(&o->c);
	so->id_field = "customer_id";
	so->restarts = 10;
	o->seed = 1;
	split_names(
	    "--rfm-fields", "recency,frequency,monetary", &o->rfm_fields, 3);
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_BY:
			o->so.by = (enum crm_by)crm_parse_by(synopsis, arg);
			break;
		case OPT_FIELDS:
			split_names("--fields", arg, &o->km_fields, 0);
			/* no more than a model holds */
			if (o->km_fields.n > CRM_TAGMODEL_MAX_D)
				crm_usage_error(synopsis,
				    "bad --fields: more than %d field names",
				    CRM_TAGMODEL_MAX_D);
			break;
		case OPT_RFM_FIELDS:
			split_names("--rfm-fields", arg, &o->rfm_fields, 3);
			break;
		case OPT_RULES:
			crm_opt_push(&o->rules, &so->nrules, arg);
			break;
		}
	}
	so->seed = (unsigned long)o->seed;
	so->fit = fit;
	check_model(argc, argv, fit, o);
	if (so->auto_k && so->k == 0)
		so->k = 10;
	if (so->auto_k && so->k < 2)
		crm_usage_error(synopsis, "--auto-k needs --kmeans 2 or more");
	if (o->km_fields.n == 0)
		split_names(
		    "--fields", "recency,frequency,monetary", &o->km_fields, 0);
	else if (so->k == 0)
		crm_usage_error(synopsis, "--fields is for --kmeans");
	if ((so->log || so->restarts != 10) && so->k == 0)
		crm_usage_error(synopsis, "--log and --restarts are for "
					  "--kmeans");
	if (so->show_suppressed && so->nrules == 0)
		crm_usage_error(synopsis, "--show-suppressed is for --rules");
	if (fit && !so->rfm && so->k == 0)
		crm_usage_error(synopsis, "nothing to fit: give --rfm or "
					  "--kmeans");
	if (so->nrules == 0 && !so->rfm && so->k == 0 && so->model == NULL &&
	    so->model_file == NULL)
		crm_usage_error(synopsis, "nothing to do: give --rules, --rfm, "
					  "--kmeans or --model-file");
	if (o->c.as_of != NULL) {
		crm_clock_day(o->as_of_day);
		so->as_of = o->as_of_day;
	}
	if ((so->from_store || so->as_of != NULL) && o->c.db == NULL)
		crm_usage_error(synopsis, "--from-store and --as-of need --db");
	/* without a store there is no person to read features of */
	if (so->by != CRM_BY_AUTO && o->c.db == NULL)
		crm_usage_error(synopsis, "--by needs --db");
	so->db = o->c.db;
	so->busy_ms = o->c.busy_ms;
	so->quiet = o->c.quiet;
	so->rules = o->rules;
	for (i = 0; i < 3; i++)
		so->rfm_fields[i] = o->rfm_fields.name[i];
	so->km_fields = (const char *const *)o->km_fields.name;
	so->nkm = o->km_fields.n;
}

int
main(int argc, char **argv)
{
	struct crm_source src, *in;
	struct opts *o = &opts;
	struct crm_segment *seg;
	struct crm_filter *f;
	struct crm_err e;
	const char *why;
	int rc, fit;

	crm_cli_init("crm-tag");
	fit = crm_cli_verb(
	    &argc, argv, verbs, "tagging is the default", synopsis);
	parse_opts(argc, argv, fit, o);
	crm_cli_operands(&cmd, o->so.from_store, &argc, &argv);
	crm_progress_init(&o->prog);
	o->so.progress = crm_progress_cb(&o->prog);
	crm_err_clear(&e);
	/* a bad --as-of is a usage error */
	if ((seg = crm_segment_new(&o->so, &e)) == NULL)
		crm_cli_fail(synopsis, &e);
	if (o->so.from_store && crm_segment_source(seg, &src, &e) == -1) {
		crm_segment_close(seg, &(struct crm_err){ 0 });
		crm_cli_fail(synopsis, &e);
	}
	in = o->so.from_store ? &src : NULL;
	f = crm_cli_filter(&o->c, crm_segment_ops(), seg, in);
	crm_segment_bind(seg, f);
	rc = crm_cli_run(f, in, argc, argv);
	crm_progress_end(&o->prog);
	if (rc == 0 && crm_segment_failed(seg) > 0)
		rc = EX_DATAERR;
	why = fit ? crm_filter_partial(f) : NULL;
	if (fit && rc == 0 && why != NULL)
		crm_warnx("no model saved: %s", why);
	else if (fit && rc == 0 && crm_segment_save(seg, &e) == -1) {
		crm_report(&e);
		rc = e.code;
	}
	crm_err_clear(&e);
	rc = crm_cli_closed(rc, crm_segment_close(seg, &e), &e);
	crm_cli_summary(f);
	rc = crm_cli_end(f, rc);
	free_names(&o->rfm_fields);
	free_names(&o->km_fields);
	free(o->rules);
	return rc;
}
