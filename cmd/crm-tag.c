/*
 * crm-tag: segment customers: tags from rules written as SQL expressions,
 * RFM scores and segments, and k-means clusters, appended to each record
 * and, with a store, kept current in its tags table.  The pipeline is
 * lib/segment; this file holds the options and the wiring.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "filter.h"
#include "opt.h"
#include "rec.h"
#include "segment.h"

static const char synopsis[] =
    "usage: crm-tag [-q] [--rules FILE] [--rfm] [--rfm-fields R,F,M]\n"
    "               [--kmeans K] [--auto-k] [--fields F,...] [--log]\n"
    "               [--restarts N] [--seed N] [--db FILE] [--from-store]\n"
    "               [--as-of DATE] [--id-field FIELD] [common options]\n"
    "               [file ...]\n";

enum {
	OPT_AS_OF = CRM_OPT_OWN,
	OPT_AUTO_K,
	OPT_FIELDS,
	OPT_FROM_STORE,
	OPT_ID_FIELD,
	OPT_KMEANS,
	OPT_LOG,
	OPT_RESTARTS,
	OPT_RFM,
	OPT_RFM_FIELDS,
	OPT_RULES,
	OPT_SEED,
};

static const struct crm_optdef options[] = {
	{ "as-of", OPT_AS_OF, "DATE",
	    "the day the store's features are computed for\n(the last "
	    "event's day)" },
	{ "auto-k", OPT_AUTO_K, NULL,
	    "choose K from 2 to --kmeans (10) by silhouette" },
	{ "db", CRM_OPT_DB, "FILE",
	    "the store: customer features, tags table\n($CRM_DB)" },
	{ "fields", OPT_FIELDS, "F,...",
	    "k-means on these numeric fields (the RFM fields)" },
	{ "from-store", OPT_FROM_STORE, NULL,
	    "records from the store's customers and features" },
	{ "id-field", OPT_ID_FIELD, "FIELD", "the customer key (customer_id)" },
	{ "kmeans", OPT_KMEANS, "K",
	    "add cluster and cluster_distance, K clusters" },
	{ "log", OPT_LOG, NULL, "k-means on log(1 + value)" },
	{ "quiet", CRM_OPT_QUIET, NULL,
	    "no summary, RFM segment sizes or k-means\nfigures on stderr" },
	{ "restarts", OPT_RESTARTS, "N",
	    "k-means runs from new seeds, best kept (10)" },
	{ "rfm", OPT_RFM, NULL, "add r_score, f_score, m_score, rfm_segment" },
	{ "rfm-fields", OPT_RFM_FIELDS, "R,F,M",
	    "recency, frequency and monetary value\n"
	    "(recency,frequency,monetary)" },
	{ "rules", OPT_RULES, "FILE",
	    "add tags: one 'TAG: SQL expression' a line" },
	{ "seed", OPT_SEED, "N", "k-means random seed (1)" },
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Tag each customer record by rules, RFM segment and k-means "
	"cluster.\n",
	"Exit status: 0 ok, 64 usage, 65 bad rules or records rejected, 66\n"
	"missing input, 69 store schema too new, 70 internal error, 73 "
	"cannot\ncreate output, 74 I/O error, 75 store busy.  See "
	"crm-tag(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

#define MAX_K 1000

/* A list of field names from a comma-separated option. */
struct names {
	char **name;
	size_t n;
};

struct opts {
	struct crm_common c;
	struct crm_segment_opts so;
	struct names rfm_fields, km_fields;
	const char **rules; /* --rules files */
};

struct run {
	struct crm_filter *f;
	struct crm_segment *seg;
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

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	struct crm_segment_opts *so = &o->so;
	const char *arg;
	size_t i;
	int c;

	memset(o, 0, sizeof(*o));
	crm_common_init(&o->c);
	so->id_field = "customer_id";
	so->restarts = 10;
	so->seed = 1;
	split_names(
	    "--rfm-fields", "recency,frequency,monetary", &o->rfm_fields, 3);
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_AS_OF:
			so->as_of = arg;
			break;
		case OPT_AUTO_K:
			so->auto_k = 1;
			break;
		case OPT_FIELDS:
			split_names("--fields", arg, &o->km_fields, 0);
			break;
		case OPT_FROM_STORE:
			so->from_store = 1;
			break;
		case OPT_ID_FIELD:
			so->id_field = arg;
			break;
		case OPT_KMEANS:
			so->k =
			    crm_opt_long(synopsis, "--kmeans", arg, 1, MAX_K);
			break;
		case OPT_LOG:
			so->log = 1;
			break;
		case OPT_RESTARTS:
			so->restarts =
			    crm_opt_long(synopsis, "--restarts", arg, 1, 1000);
			break;
		case OPT_RFM:
			so->rfm = 1;
			break;
		case OPT_RFM_FIELDS:
			split_names("--rfm-fields", arg, &o->rfm_fields, 3);
			break;
		case OPT_RULES:
			crm_opt_push(&o->rules, &so->nrules, arg);
			break;
		case OPT_SEED:
			so->seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", arg, 0, 4294967295L);
			break;
		}
	}
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
	if (so->nrules == 0 && !so->rfm && so->k == 0)
		crm_usage_error(synopsis, "nothing to do: give --rules, --rfm "
					  "or --kmeans");
	if ((so->from_store || so->as_of != NULL) && o->c.db == NULL)
		crm_usage_error(synopsis, "--from-store and --as-of need --db");
	so->db = o->c.db;
	so->busy_ms = o->c.busy_ms;
	so->quiet = o->c.quiet;
	so->rules = o->rules;
	for (i = 0; i < 3; i++)
		so->rfm_fields[i] = o->rfm_fields.name[i];
	so->km_fields = (const char *const *)o->km_fields.name;
	so->nkm = o->km_fields.n;
}

/* ==== Wiring ==== */

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_segment_check_header(((struct run *)arg)->seg, hdr, e);
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_segment_out_header(((struct run *)arg)->seg, hdr, e);
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	enum crm_format fmt = crm_filter_format(run->f);

	return crm_segment_add(
	    run->seg, r, fmt == CRM_FMT_CSV || fmt == CRM_FMT_TSV, drop, e);
}

static void
idle(void *arg)
{
	crm_segment_idle(((struct run *)arg)->seg);
}

static int
emit(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(arg, r, e);
}

static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	return crm_segment_finish(((struct run *)arg)->seg, emit, f, e);
}

/* Report e and exit: a usage error for a bad --as-of. */
static void
fail(const struct crm_err *e)
{
	if (e->code == EX_USAGE)
		crm_usage_error(synopsis, "%s", e->msg);
	crm_report(e);
	exit(e->code);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, idle, finish };
	unsigned long long nread, nwritten, nrejected;
	struct crm_source src;
	struct opts o;
	struct run run;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-tag");
	parse_opts(argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (o.so.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	memset(&run, 0, sizeof(run));
	crm_err_clear(&e);
	if ((run.seg = crm_segment_new(&o.so, &e)) == NULL)
		fail(&e);
	if (o.so.from_store && crm_segment_source(run.seg, &src, &e) == -1)
		fail(&e);
	if ((run.f = crm_filter_new(&o.c.fo, &ops, &run, &e)) == NULL) {
		if (o.so.from_store)
			src.close(src.arg);
		fail(&e);
	}
	rc = o.so.from_store ? crm_filter_run_source(run.f, &src)
			     : crm_filter_run(run.f, argc, argv);
	if (rc == 0 && crm_segment_failed(run.seg) > 0)
		rc = EX_DATAERR;
	crm_err_clear(&e);
	if (crm_segment_close(run.seg, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	crm_filter_counts(run.f, &nread, &nwritten, &nrejected);
	if (!o.c.quiet)
		crm_warnx("read %llu, tagged %llu, rejected %llu", nread,
		    nwritten, nrejected);
	rc = crm_filter_finish(run.f, rc);
	crm_filter_free(run.f);
	free_names(&o.rfm_fields);
	free_names(&o.km_fields);
	free(o.rules);
	return crm_close_stdout() != 0 && rc == 0 ? EX_IOERR : rc;
}
