/*
 * crm-dedupe: find the records of one customer across channels and give
 * them one cluster id, with no labelled examples needed; or link the
 * records against a second set, or against the clusters of the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "clusters.h"
#include "dedupe.h"
#include "filter.h"
#include "norm.h"
#include "opt.h"
#include "rec.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-dedupe [keys | pairs | reconcile --pairs FILE ...]\n"
    "                  [--block RULE] [--db FILE] [--field FIELD[:TYPE]]\n"
    "                  [--id-field FIELD] [--ignore FIELD]\n"
    "                  [--incremental | --link FILE | --from-store]\n"
    "                  [--max-block N] [--max-cluster N] [--merge]\n"
    "                  [--model-version N] [--prefer recent|frequent]\n"
    "                  [--region CC] [--replace-model]\n"
    "                  [--review FILE [--act-on-review]] [--seed N]\n"
    "                  [--threshold P] [--threads N] [--time-field FIELD]\n"
    "                  [--train-labels FILE] [-v] [common options] "
    "[file ...]\n";

enum {
	OPT_BLOCK = CRM_OPT_OWN,
	OPT_FIELD,
	OPT_IGNORE,
	OPT_PAIRS,
	OPT_PREFER,
	OPT_REGION,
	OPT_THRESHOLD,
};

struct opts {
	struct crm_common c;
	struct crm_dedupe_opts d;
	long seed, threads; /* d's, as crm_getopt stores a long */
	int from_store;
	struct crm_progress prog; /* pairs compared, EM */
};

static struct opts opts;
static enum crm_dedupe_mode mode;

/* The verbs, in the order of enum crm_dedupe_mode from its second. */
static const char *const verbs[] = { "keys", "pairs", "reconcile", NULL };

static const struct crm_optdef options[] = {
	CRM_OPT_FLAG("act-on-review", 0,
	    "join the pairs a review rule matched (still\nmarked)",
	    &opts.d.act_on_review),
	CRM_OPT("block", OPT_BLOCK, "RULE",
	    "a blocking rule, e.g. surname:1+birth_date\n(FIELD, FIELD:N, "
	    "FIELD:-N, FIELD:soundex joined\nby +); repeat; default: from "
	    "the fields"),
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "the store: clusters, persons, decisions, models\n($CRM_DB)"),
	CRM_OPT("field", OPT_FIELD, "FIELD[:TYPE]",
	    "compare FIELD (TYPE: name, text, address, id,\ncode, date, "
	    "number, email, phone, exact);\nrepeat; default: every field, "
	    "typed by its name"),
	CRM_OPT_FLAG(
	    "from-store", 0, "dedupe the store's customers", &opts.from_store),
	CRM_OPT_STR("id-field", "FIELD", "the record key (customer_id)",
	    &opts.d.id_field),
	CRM_OPT("ignore", OPT_IGNORE, "FIELD", "do not compare FIELD"),
	CRM_OPT_FLAG("incremental", 0,
	    "match the records against the store's clusters\nwith the "
	    "store's newest model",
	    &opts.d.incremental),
	CRM_OPT_STR("link", "FILE",
	    "link the records to those of FILE: cluster_id is\nthe id of "
	    "the best match in FILE",
	    &opts.d.link),
	CRM_OPT_LONG("max-block", "N", "skip blocks of more records (1000)",
	    &opts.d.max_block, 2, 100000000),
	CRM_OPT_LONG("max-cluster", "N",
	    "never grow a cluster past N records (100)", &opts.d.max_cluster, 2,
	    1L << 31),
	CRM_OPT_FLAG(
	    "merge", 0, "one golden record per cluster", &opts.d.merge),
	CRM_OPT_LONG("model-version", "N",
	    "score with version N of the store's model\n(fit none)",
	    &opts.d.model_version, 1, 1L << 40),
	CRM_OPT("pairs", OPT_PAIRS, "FILE",
	    "reconcile: the links of a partition (from\ncrm-dedupe pairs); "
	    "repeat"),
	CRM_OPT("prefer", OPT_PREFER, "RULE",
	    "--merge: recent (default) or frequent"),
	CRM_OPT("region", OPT_REGION, "CC",
	    "country of phone numbers without one (CN)"),
	CRM_OPT_FLAG("replace-model", 0,
	    "save the model fitted even from fewer than 100\ncandidate "
	    "pairs or a tenth of the stored model's",
	    &opts.d.replace_model),
	CRM_OPT_STR("review", "FILE",
	    "review rules 'NAME: SQL expression' over each\nlink: a match "
	    "sets needs_review and the pair\njoins nothing",
	    &opts.d.review),
	CRM_OPT_LONG("seed", "N", "the random pairs that start EM (1)",
	    &opts.seed, 0, 4294967295L),
	CRM_OPT("threshold", OPT_THRESHOLD, "P",
	    "link pairs with probability >= P (0.5)"),
	CRM_OPT_LONG("threads", "N", "compare on N threads (the processors)",
	    &opts.threads, 1, 16),
	CRM_OPT_STR("time-field", "FIELD",
	    "--merge: when a record was last updated", &opts.d.time_field),
	CRM_OPT_STR("train-labels", "FILE",
	    "learn from labelled pairs (id1, id2, match)\nwith an SVM "
	    "instead of EM; with --db, kept\nas must-link and cannot-link "
	    "labels",
	    &opts.d.labels),
	CRM_OPT_FLAG("verbose", 'v',
	    "on stderr: the pairs of each blocking rule,\nthe weights of "
	    "each field and the share of\nmatches of each rule",
	    &opts.d.verbose),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Find the records of one customer and append cluster_id (the id of\n"
	"the cluster's canonical record; with --db, of its person) and\n"
	"match_score (the best link probability that joined it).\n",
	"Exit status: 0 every record done, 64 usage, 65 some records rejected "
	"or\n"
	"a bad labels file, 66 nothing done from some input (not opened, "
	"header\n"
	"refused, every record rejected), or no store model for --incremental, "
	"70\n"
	"internal error, 73 cannot create the rejects file, 74 I/O error, 75\n"
	"store busy.  See crm-dedupe(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

/* ==== Options ==== */

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	struct crm_dedupe_opts *d = &o->d;
	struct crm_err e;
	const char *arg;
	int c;

	crm_common_init(&o->c);
	crm_dedupe_opts_init(d);
	d->mode = mode;

	o->seed = (long)d->seed;
	o->threads = d->threads;
	o->from_store = 0;
	crm_err_clear(&e);
	while ((c = crm_getopt(&cmd, &o->c, argc, argv, &arg)) != -1) {
		switch (c) {
		case OPT_BLOCK:
			if (d->nblocks == CRM_LINK_MAXRULES)
				crm_usage_error(synopsis,
				    "more than %d blocking rules",
				    CRM_LINK_MAXRULES);
			d->block[d->nblocks++] = arg;
			break;
		case OPT_FIELD:
			/* argv's own string, cut at its colon */
			if (crm_dedupe_opt_field(d, (char *)arg, &e) == -1)
				crm_usage_error(synopsis, "%s", e.msg);
			break;
		case OPT_IGNORE:
			crm_opt_push(
			    (const char ***)&d->ignore, &d->nignore, arg);
			break;
		case OPT_PAIRS:
			crm_opt_push(&d->pairs, &d->npairs, arg);
			break;
		case OPT_PREFER:
			if (strcmp(arg, "recent") != 0 && strcmp(arg, "frequen"
								      "t") != 0)
				crm_usage_error(synopsis,
				    "bad --prefer '%s': want recent or "
				    "frequent",
				    arg);
			d->frequent = strcmp(arg, "frequent") == 0;
			break;
		case OPT_REGION:
			if (!crm_norm_region_known(arg))
				crm_usage_error(synopsis,
				    "bad --region '%s': want a country code "
				    "such as CN or US",
				    arg);
			d->region = arg;
			break;
		case OPT_THRESHOLD:
			if (crm_parse_double(arg, 0, 1, &d->threshold) == -1 ||
			    d->threshold <= 0)
				crm_usage_error(synopsis,
				    "bad --threshold '%s': want above 0, at "
				    "most 1",
				    arg);
			break;
		}
	}
	d->seed = (unsigned long)o->seed;
	d->threads = (int)o->threads;
	d->quiet = o->c.quiet;
	d->link_fmt = o->c.fo.in_fmt;
	if (d->incremental + (d->link != NULL) + o->from_store > 1)
		crm_usage_error(synopsis, "--incremental, --link and "
					  "--from-store go alone");
	if (d->act_on_review && d->review == NULL)
		crm_usage_error(synopsis, "--act-on-review is for --review");
	if ((d->incremental || o->from_store || d->model_version != 0 ||
		d->mode == CRM_DEDUPE_KEYS || d->mode == CRM_DEDUPE_PAIRS) &&
	    o->c.db == NULL)
		crm_usage_error(synopsis, "%s needs --db",
		    d->incremental		  ? "--incremental"
		    : o->from_store		  ? "--from-store"
		    : d->mode == CRM_DEDUPE_KEYS  ? "keys"
		    : d->mode == CRM_DEDUPE_PAIRS ? "pairs"
						  : "--model-version");
	if (crm_dedupe_opts_check(d, &e) == -1)
		crm_usage_error(synopsis, "%s", e.msg);
}

/* ==== The filter ==== */

static int early; /* the finish step failed before any output */

/* Link or cluster what was held, and write it; an option's error as such. */
static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct crm_dedupe_stats ds;
	int rc;

	rc = crm_dedupe_ops()->finish(arg, f, e);
	crm_progress_end(&opts.prog);
	if (rc == 0)
		return 0;
	crm_dedupe_stats(arg, &ds);
	if (e->code == EX_USAGE && e->field[0] == '-') { /* an option's */
		crm_filter_abandon(f, EX_USAGE); /* the rejects so far kept */
		crm_usage_error(synopsis, "%s", e->msg);
	}
	early = !ds.clustered;
	return -1;
}

/* The summary line: what was read, paired, linked and clustered. */
static void
summary(const struct crm_filter *f, const struct crm_dedupe_stats *ds)
{
	if (opts.d.mode == CRM_DEDUPE_KEYS) {
		crm_cli_count("keys", ds->keys);
		crm_cli_summary(f);
		return;
	}
	crm_cli_count("candidate pairs", ds->pairs);
	crm_cli_count("links", ds->links);
	if (opts.d.mode == CRM_DEDUPE_PAIRS) { /* the links are the output */
		crm_cli_summary(f);
		return;
	}
	crm_cli_count("in clusters", ds->in_clusters);
	crm_cli_count("clusters", ds->clusters);
	/* --merge writes one record per cluster: read = written + rejected
	   + merged */
	if (opts.d.merge)
		crm_cli_count("merged", ds->in_clusters - ds->clusters);
	if (ds->persons) {
		crm_cli_count("new persons", ds->created);
		crm_cli_count("persons merged", ds->merged);
		crm_cli_count("persons split", ds->split);
	}
	if (ds->labels > 0)
		crm_cli_count("cannot-link refused", ds->cannot);
	if (opts.d.review != NULL) {
		crm_cli_count("needs review", ds->reviewed);
		if (!opts.d.act_on_review)
			crm_cli_count("links held", ds->held);
	}
	crm_cli_summary(f);
}

int
main(int argc, char **argv)
{
	struct crm_filter_ops ops = *crm_dedupe_ops();
	struct crm_dedupe *d;
	struct crm_dedupe_stats ds;
	struct crm_store *st;
	struct crm_source src;
	struct crm_filter *f;
	struct crm_err e;
	struct opts *o = &opts;
	int rc;

	crm_cli_init("crm-dedupe");
	mode = (enum crm_dedupe_mode)crm_cli_verb(&argc, argv, verbs,
	    "deduping in one process is the default", synopsis);
	parse_opts(argc, argv, o);
	crm_cli_operands(&cmd, o->from_store, &argc, &argv);
	o->d.store = st = crm_cli_store(&o->c);
	o->d.input_name = argc == 1 ? argv[0] : "input";
	crm_progress_init(&o->prog);
	o->d.progress = crm_progress_cb(&o->prog);
	crm_err_clear(&e);
	if ((d = crm_dedupe_new(&o->d, &e)) == NULL)
		crm_cli_fail(synopsis, &e);
	if (o->from_store &&
	    crm_customers_source(st, o->d.id_field, &src, &e) == -1) {
		crm_dedupe_free(d);
		crm_store_close(st);
		crm_die(e.code, "%s", e.msg);
	}
	ops.finish = finish;
	f = crm_cli_filter(&o->c, &ops, d, o->from_store ? &src : NULL);
	crm_dedupe_set_filter(d, f);
	rc = crm_cli_run(f, o->from_store ? &src : NULL, argc, argv);
	crm_dedupe_stats(d, &ds);
	if (!early) /* nothing was done: no summary */
		summary(f, &ds);
	if (early)
		rc = crm_filter_abandon(f, rc);
	rc = crm_cli_end(f, rc);
	crm_dedupe_free(d);
	crm_store_close(st);
	free((void *)o->d.ignore);
	free((void *)o->d.pairs);
	return rc;
}
