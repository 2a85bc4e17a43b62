/*
 * crm-tag: segment customers: tags from rules written as SQL expressions,
 * RFM scores and segments, and k-means clusters, appended to each record
 * and, with a store, kept current in its tags table.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "activity.h"
#include "buf.h"
#include "cli.h"
#include "filter.h"
#include "kmeans.h"
#include "rec.h"
#include "rfm.h"
#include "rules.h"
#include "store.h"
#include "tags.h"

static const char synopsis[] =
    "usage: crm-tag [-q] [--rules FILE] [--rfm] [--rfm-fields R,F,M]\n"
    "               [--kmeans K] [--auto-k] [--fields F,...] [--log]\n"
    "               [--restarts N] [--seed N] [--db FILE] [--from-store]\n"
    "               [--as-of DATE] [--id-field FIELD] [common options]\n"
    "               [file ...]\n";

static const char help[] =
    "Tag each customer record by rules, RFM segment and k-means cluster.\n"
    "\n"
    "  --as-of DATE           the day the store's features are computed "
    "for\n"
    "                         (the last event's day)\n"
    "  --auto-k               choose K from 2 to --kmeans (10) by "
    "silhouette\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --db FILE              the store: customer features, tags table "
    "($CRM_DB)\n"
    "  --fields F,...         k-means on these numeric fields (the RFM "
    "fields)\n"
    "  --from-store           records from the store's customers and "
    "features\n"
    "  --id-field FIELD       the customer key (customer_id)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --kmeans K             add cluster and cluster_distance, K clusters\n"
    "  --log                  k-means on log(1 + value)\n"
    "  --max-errors N         stop after more than N rejected records\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary on stderr\n"
    "  --rejects FILE         write rejected records there as CSV\n"
    "  --restarts N           k-means runs from new seeds, best kept (10)\n"
    "  --rfm                  add r_score, f_score, m_score, rfm_segment\n"
    "  --rfm-fields R,F,M     recency, frequency and monetary value\n"
    "                         (recency,frequency,monetary)\n"
    "  --rules FILE           add tags: one 'TAG: SQL expression' a line\n"
    "  --seed N               k-means random seed (1)\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-tag and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad rules or records rejected, 66\n"
    "missing input, 69 store schema too new, 70 internal error, 73 cannot\n"
    "create output, 74 I/O error, 75 store busy.  See crm-tag(1).\n";

enum {
	OPT_AS_OF = 256,
	OPT_AUTO_K,
	OPT_DB,
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

static const struct option longopts[] = {
	{ "as-of", required_argument, NULL, OPT_AS_OF },
	{ "auto-k", no_argument, NULL, OPT_AUTO_K },
	{ "db", required_argument, NULL, OPT_DB },
	{ "fields", required_argument, NULL, OPT_FIELDS },
	{ "from-store", no_argument, NULL, OPT_FROM_STORE },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "kmeans", required_argument, NULL, OPT_KMEANS },
	{ "log", no_argument, NULL, OPT_LOG },
	{ "restarts", required_argument, NULL, OPT_RESTARTS },
	{ "rfm", no_argument, NULL, OPT_RFM },
	{ "rfm-fields", required_argument, NULL, OPT_RFM_FIELDS },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "seed", required_argument, NULL, OPT_SEED },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

#define SAMPLE 2000 /* points for the silhouette of --auto-k */
#define MAX_K  1000

/* A list of field names from a comma-separated option. */
struct names {
	char **name;
	size_t n;
};

struct opts {
	const char *db;
	long busy_ms;
	const char *as_of;
	const char *id_field;
	const char **rules; /* --rules files */
	size_t nrules;
	int rfm;
	struct names rfm_fields;
	long k; /* 0: no k-means */
	int auto_k;
	struct names km_fields;
	int log;
	long restarts;
	unsigned long seed;
	int from_store;
	int quiet;
	struct crm_filter_opts fo;
};

/* A tag and what gives it. */
struct tag {
	const char *name;
	const char *rule; /* "TAG: expression" of the first rule that gave it */
	int on;
};

struct run {
	struct opts *o;
	struct crm_filter *f;
	struct crm_store *st;
	struct crm_activity *act;
	struct crm_tags *tagdb;
	struct crm_rulefile *files;
	struct crm_rules *rules;
	char **rule_text; /* per rule: "TAG: expression" */
	size_t *rule_tag; /* per rule: its tag */
	struct tag *tag;
	size_t ntag;
	const char **feat_names; /* rule names that are customer features */
	size_t nfeat;
	struct crm_rec *feat;
	int hold;      /* --rfm or --kmeans: records are kept to the end */
	size_t failed; /* held records the rules failed on */
	struct crm_err act_err; /* why run->act could not be opened */
	struct crm_buf pack;	/* the held records, crm_rec_pack'ed */
	size_t *held;		/* where each starts in pack */
	struct crm_rec *out;	/* a held record, unpacked */
	unsigned char *untyped;
	double *rfm;	      /* 3 per held record; NAN: no value */
	double *km;	      /* d per held record */
	unsigned char *score; /* r scores, then f, then m; 0: none */
	int *cluster;	      /* per held record; -1: none */
	double *cdist;	      /* its distance to the centre */
	size_t n, cap;
	struct crm_buf buf;
};

/* ==== Options ==== */

static void
split_names(const char *opt, const char *arg, struct names *out, size_t want)
{
	char *dup, *rest, *tok, **n;
	size_t i;

	for (i = 0; i < out->n; i++)
		free(out->name[i]);
	free(out->name);
	memset(out, 0, sizeof(*out));
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
	int c;

	memset(o, 0, sizeof(*o));
	o->id_field = "customer_id";
	o->restarts = 10;
	o->seed = 1;
	o->fo.max_errors = -1;
	split_names(
	    "--rfm-fields", "recency,frequency,monetary", &o->rfm_fields, 3);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AS_OF:
			o->as_of = optarg;
			break;
		case OPT_AUTO_K:
			o->auto_k = 1;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_FIELDS:
			split_names("--fields", optarg, &o->km_fields, 0);
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			o->id_field = optarg;
			break;
		case OPT_KMEANS:
			o->k = crm_opt_long(
			    synopsis, "--kmeans", optarg, 1, MAX_K);
			break;
		case OPT_LOG:
			o->log = 1;
			break;
		case OPT_RESTARTS:
			o->restarts = crm_opt_long(
			    synopsis, "--restarts", optarg, 1, 1000);
			break;
		case OPT_RFM:
			o->rfm = 1;
			break;
		case OPT_RFM_FIELDS:
			split_names("--rfm-fields", optarg, &o->rfm_fields, 3);
			break;
		case OPT_RULES:
			crm_opt_push(&o->rules, &o->nrules, optarg);
			break;
		case OPT_SEED:
			o->seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if (o->auto_k && o->k == 0)
		o->k = 10;
	if (o->auto_k && o->k < 2)
		crm_usage_error(synopsis, "--auto-k needs --kmeans 2 or more");
	if (o->km_fields.n == 0)
		split_names(
		    "--fields", "recency,frequency,monetary", &o->km_fields, 0);
	else if (o->k == 0)
		crm_usage_error(synopsis, "--fields is for --kmeans");
	if ((o->log || o->restarts != 10) && o->k == 0)
		crm_usage_error(synopsis, "--log and --restarts are for "
					  "--kmeans");
	if (o->nrules == 0 && !o->rfm && o->k == 0)
		crm_usage_error(synopsis, "nothing to do: give --rules, --rfm "
					  "or --kmeans");
	if ((o->from_store || o->as_of != NULL) && o->db == NULL)
		crm_usage_error(synopsis, "--from-store and --as-of need --db");
}

/* ==== Names ==== */

static int
has_name(const struct crm_rec *r, const char *name)
{
	return crm_rec_find(r, name, strlen(name)) >= 0;
}

/* Whether crm-tag itself appends a field of this name. */
static int
own_field(const struct opts *o, const char *name)
{
	static const char *const rfm[] = { "r_score", "f_score", "m_score",
		"rfm_segment" };
	size_t i;

	for (i = 0; o->rfm && i < sizeof(rfm) / sizeof(rfm[0]); i++)
		if (strcmp(name, rfm[i]) == 0)
			return 1;
	return o->k > 0 &&
	       (strcmp(name, "cluster") == 0 || strcmp(name, "cluster_"
							     "distance") == 0);
}

static int
is_feature(const struct run *run, const char *name)
{
	return run->st != NULL && crm_activity_find(name, strlen(name)) >= 0;
}

/*
 * Check that every name the rules, --rfm and --kmeans read is a field of
 * hdr, a customer feature (with a store) or a field of crm-tag's own.
 */
static int
check_names(const struct run *run, const struct crm_rec *hdr, struct crm_err *e)
{
	const struct opts *o = run->o;
	size_t i, u;
	const char *name;

	for (i = 0; run->rules != NULL && i < crm_rules_nnames(run->rules);
	     i++) {
		name = crm_rules_name(run->rules, i);
		if (has_name(hdr, name) || own_field(o, name) ||
		    is_feature(run, name))
			continue;
		u = crm_rules_name_user(run->rules, i);
		return crm_err_set(e, EX_DATAERR,
		    "no field '%s', which the rule at %s:%lu reads%s", name,
		    crm_rules_file(run->rules, u),
		    crm_rules_line(run->rules, u),
		    run->st ? "" : " (customer features need --db)");
	}
	for (i = 0; o->rfm && i < 3; i++) {
		name = o->rfm_fields.name[i];
		if (!has_name(hdr, name) && !is_feature(run, name)) {
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s' for --rfm%s", name,
			    run->st ? "" : " (or --db for the store's)");
		}
	}
	for (i = 0; o->k > 0 && i < o->km_fields.n; i++) {
		name = o->km_fields.name[i];
		if (!has_name(hdr, name) && !is_feature(run, name)) {
			return crm_err_set(e, EX_DATAERR,
			    "no field '%s' for --kmeans%s", name,
			    run->st ? "" : " (or --db for the store's)");
		}
	}
	if (run->tagdb != NULL && !has_name(hdr, o->id_field)) {
		return crm_err_set(e, EX_DATAERR,
		    "no field '%s' to key the tags in the store", o->id_field);
	}
	return 0;
}

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return check_names(arg, hdr, e);
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;
	const struct opts *o = run->o;
	static const char *const rfm[] = { "r_score", "f_score", "m_score",
		"rfm_segment" };
	size_t i;
	int bad = 0;

	/* the store's values that the input lacks come first */
	for (i = 0; o->rfm && i < 3; i++)
		if (!has_name(hdr, o->rfm_fields.name[i]))
			bad |= crm_rec_put(
			    hdr, o->rfm_fields.name[i], "", 0, CRM_STRING);
	for (i = 0; o->k > 0 && i < o->km_fields.n; i++)
		if (!has_name(hdr, o->km_fields.name[i]))
			bad |= crm_rec_put(
			    hdr, o->km_fields.name[i], "", 0, CRM_STRING);
	for (i = 0; o->rfm && i < 4; i++)
		bad |= crm_rec_put(hdr, rfm[i], "", 0, CRM_STRING);
	if (o->k > 0) {
		bad |= crm_rec_put(hdr, "cluster", "", 0, CRM_STRING);
		bad |= crm_rec_put(hdr, "cluster_distance", "", 0, CRM_STRING);
	}
	if (run->rules != NULL)
		bad |= crm_rec_put(hdr, "tags", "", 0, CRM_STRING);
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* ==== Rules ==== */

/* Read and compile the rules files; exits on an error. */
static void
load_rules(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_rulefile *rf;
	struct crm_err e;
	size_t i, j, t, nr = 0;

	crm_err_clear(&e);
	if (o->nrules == 0)
		return;
	if ((run->files = calloc(o->nrules, sizeof(*run->files))) == NULL ||
	    (run->rules = crm_rules_new(&e)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < o->nrules; i++) {
		rf = &run->files[i];
		if (crm_rulefile_read(rf, o->rules[i], ":", 0, &e) == -1) {
			crm_report(&e);
			exit(e.code);
		}
		nr += rf->n;
	}
	run->rule_text = calloc(nr + 1, sizeof(*run->rule_text));
	run->rule_tag = calloc(nr + 1, sizeof(*run->rule_tag));
	run->tag = calloc(nr + 1, sizeof(*run->tag));
	if (run->rule_text == NULL || run->rule_tag == NULL || run->tag == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < o->nrules; i++) {
		rf = &run->files[i];
		for (j = 0; j < rf->n; j++) {
			const char *name = rf->rule[j].left;
			size_t r = crm_rules_count(run->rules);

			e.file = rf->path;
			e.line = rf->rule[j].line;
			if (name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					      "0123456789_.-")] != '\0') {
				crm_err_set(&e, EX_DATAERR,
				    "bad tag '%s': use letters, digits, "
				    "'_', '.' and '-'",
				    name);
				crm_report(&e);
				exit(e.code);
			}
			if (crm_rules_add(run->rules, rf->rule[j].right,
				rf->path, rf->rule[j].line, &e) == -1) {
				crm_report(&e);
				exit(e.code);
			}
			crm_buf_reset(&run->buf);
			if (crm_buf_addf(&run->buf, "%s: %s", name,
				rf->rule[j].right) == -1 ||
			    (run->rule_text[r] = strdup(run->buf.p)) == NULL)
				crm_die(EX_SOFTWARE, "out of memory");
			for (t = 0; t < run->ntag; t++)
				if (strcmp(run->tag[t].name, name) == 0)
					break;
			if (t == run->ntag)
				run->tag[run->ntag++].name = name;
			run->rule_tag[r] = t;
		}
	}
}

/* The rule names that are customer features, for the store lookup. */
static void
feature_names(struct run *run)
{
	size_t i, n;

	if (run->rules == NULL || run->st == NULL)
		return;
	n = crm_rules_nnames(run->rules);
	if ((run->feat_names = calloc(n + 1, sizeof(*run->feat_names))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		if (is_feature(run, crm_rules_name(run->rules, i)))
			run->feat_names[run->nfeat++] =
			    crm_rules_name(run->rules, i);
}

/* The customer id of r, or NULL. */
static const char *
id_of(const struct run *run, const struct crm_rec *r, size_t *len)
{
	const char *f = run->o->id_field;
	long i = crm_rec_find(r, f, strlen(f));

	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL)
		return NULL;
	return crm_rec_value(r, (size_t)i, len);
}

/*
 * Fetch r's customer features into run->feat when one of names (n) is
 * not a field of r; else leave run->feat empty.
 */
static int
fetch_features(struct run *run, const struct crm_rec *r,
    const char *const *names, size_t n, struct crm_err *e)
{
	const char *id;
	size_t i, len;

	crm_rec_clear(run->feat);
	for (i = 0; i < n && has_name(r, names[i]); i++)
		;
	if (i == n)
		return 0;
	if (run->act == NULL) {
		crm_err_set(e, run->act_err.code, "%s", run->act_err.msg);
		return CRM_FILTER_FATAL;
	}
	if ((id = id_of(run, r, &len)) == NULL || len == 0) {
		crm_err_field(e, run->o->id_field, strlen(run->o->id_field));
		return crm_err_set(e, EX_DATAERR,
		    "no customer id for the features from the store");
	}
	return crm_activity_get(run->act, id, len, run->feat, e) == -1
		   ? CRM_FILTER_FATAL
		   : 0;
}

/* Evaluate the rules for r, append its tags and keep them in the store. */
static int
tag_record(struct run *run, struct crm_rec *r, int untyped, struct crm_err *e)
{
	struct crm_rules_src src[2];
	const char *id = NULL;
	size_t i, t, len = 0;
	int rc;

	if (run->rules == NULL)
		return 0;
	if ((rc = fetch_features(run, r, run->feat_names, run->nfeat, e)) < 0)
		return rc;
	src[0].rec = r;
	src[0].untyped = untyped;
	src[1].rec = run->feat;
	src[1].untyped = 0;
	if (crm_rules_eval(run->rules, src, 2, e) == -1)
		return -1;
	for (t = 0; t < run->ntag; t++)
		run->tag[t].on = 0;
	for (i = 0; i < crm_rules_count(run->rules); i++) {
		t = run->rule_tag[i];
		if (!run->tag[t].on && crm_rules_match(run->rules, i)) {
			run->tag[t].on = 1;
			run->tag[t].rule = run->rule_text[i];
		}
	}
	crm_buf_reset(&run->buf);
	for (t = 0; t < run->ntag; t++)
		if (run->tag[t].on &&
		    ((run->buf.len > 0 && crm_buf_addc(&run->buf, ';') == -1) ||
			crm_buf_adds(&run->buf, run->tag[t].name) == -1))
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (run->tagdb != NULL) {
		if ((id = id_of(run, r, &len)) == NULL || len == 0) {
			crm_err_field(
			    e, run->o->id_field, strlen(run->o->id_field));
			return crm_err_set(e, EX_DATAERR,
			    "no customer id to keep the tags under");
		}
		for (t = 0; t < run->ntag; t++)
			if (crm_tags_put(run->tagdb, id, len, run->tag[t].name,
				run->tag[t].rule, run->tag[t].on, e) == -1)
				return CRM_FILTER_FATAL;
	}
	if (crm_rec_put(r, "tags", run->buf.p ? run->buf.p : "", run->buf.len,
		CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* ==== Records ==== */

static int
untyped_input(const struct run *run)
{
	enum crm_format f = crm_filter_format(run->f);

	return f == CRM_FMT_CSV || f == CRM_FMT_TSV;
}

/*
 * The number in field name of r (or of feat) into *v: NAN when it is
 * missing, blank or null; -1 with e filled when it is not a number.
 */
static int
number_of(const struct crm_rec *r, const struct crm_rec *feat, const char *name,
    double *v, struct crm_err *e)
{
	long i = crm_rec_find(r, name, strlen(name));
	long long iv;
	const char *s;
	size_t len;

	if (i < 0 && feat != NULL) {
		r = feat;
		i = crm_rec_find(r, name, strlen(name));
	}
	*v = NAN;
	if (i < 0)
		return 0;
	switch (crm_rec_type(r, (size_t)i)) {
	case CRM_NULL:
		return 0;
	case CRM_TRUE:
	case CRM_FALSE:
		*v = crm_rec_type(r, (size_t)i) == CRM_TRUE;
		return 0;
	default:
		break;
	}
	s = crm_rec_value(r, (size_t)i, &len);
	switch (crm_rules_number(s, len, &iv, v)) {
	case 0:
		return 0;
	case 1:
		*v = (double)iv;
		return 0;
	case 2:
		if (isfinite(*v))
			return 0;
		break;
	default:
		break;
	}
	crm_err_field(e, name, strlen(name));
	return crm_err_set(e, EX_DATAERR, "'%.*s' is not a number",
	    (int)(len > 40 ? 40 : len), s);
}

/*
 * Keep a copy of r for --rfm and --kmeans with its values; store values
 * that r lacks are appended to it.
 */
static int
hold_record(struct run *run, struct crm_rec *r, struct crm_err *e)
{
	const struct opts *o = run->o;
	size_t d = o->km_fields.n, i, len;
	double rfm[3], *km;
	const char *v;
	int rc;

	if (run->n == run->cap) {
		size_t cap = run->cap ? 2 * run->cap : 1024;
		size_t *h;
		unsigned char *u;
		double *p;

		if ((h = crm_reallocarray(run->held, cap, sizeof(*h))) == NULL)
			goto nomem;
		run->held = h;
		if ((u = crm_reallocarray(run->untyped, cap, 1)) == NULL)
			goto nomem;
		run->untyped = u;
		if ((p = crm_reallocarray(run->rfm, cap, 3 * sizeof(*p))) ==
		    NULL)
			goto nomem;
		run->rfm = p;
		if ((p = crm_reallocarray(
			 run->km, cap, (d ? d : 1) * sizeof(*p))) == NULL)
			goto nomem;
		run->km = p;
		run->cap = cap;
	}
	crm_rec_clear(run->feat);
	if (run->st != NULL && o->rfm &&
	    (rc = fetch_features(
		 run, r, (const char *const *)o->rfm_fields.name, 3, e)) < 0)
		return rc;
	if (run->st != NULL && o->k > 0 && crm_rec_count(run->feat) == 0 &&
	    (rc = fetch_features(
		 run, r, (const char *const *)o->km_fields.name, d, e)) < 0)
		return rc;
	for (i = 0; o->rfm && i < 3; i++)
		if (number_of(
			r, run->feat, o->rfm_fields.name[i], &rfm[i], e) == -1)
			return -1;
	if (o->rfm && (isnan(rfm[0]) || isnan(rfm[1]) || isnan(rfm[2])))
		rfm[0] = rfm[1] = rfm[2] = NAN;
	km = run->km + run->n * d;
	for (i = 0; o->k > 0 && i < d; i++) {
		if (number_of(r, run->feat, o->km_fields.name[i], &km[i], e) ==
		    -1)
			return -1;
		if (o->log && km[i] <= -1) {
			crm_err_field(e, o->km_fields.name[i],
			    strlen(o->km_fields.name[i]));
			return crm_err_set(e, EX_DATAERR,
			    "%g has no log(1 + value) (--log)", km[i]);
		}
		if (o->log)
			km[i] = log1p(km[i]);
	}
	/* the store's values go on the record */
	for (i = 0; i < crm_rec_count(run->feat); i++) {
		const char *name = crm_rec_name(run->feat, i, &len);
		size_t j, use = 0;

		for (j = 0; o->rfm && j < 3; j++)
			use |= strcmp(name, o->rfm_fields.name[j]) == 0;
		for (j = 0; o->k > 0 && j < d; j++)
			use |= strcmp(name, o->km_fields.name[j]) == 0;
		if (!use || crm_rec_find(r, name, len) >= 0)
			continue;
		v = crm_rec_value(run->feat, i, &len);
		if (crm_rec_put(r, name, v, len, crm_rec_type(run->feat, i)) ==
		    -1)
			goto nomem;
	}
	run->held[run->n] = run->pack.len;
	if (crm_rec_pack(r, &run->pack) == -1)
		goto nomem;
	memcpy(run->rfm + 3 * run->n, rfm, sizeof(rfm));
	run->untyped[run->n++] = (unsigned char)untyped_input(run);
	return 0;
nomem:
	return crm_err_set(e, EX_SOFTWARE, "out of memory");
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;

	if (run->hold) {
		*drop = 1;
		return hold_record(run, r, e);
	}
	return tag_record(run, r, untyped_input(run), e);
}

static void
idle(void *arg)
{
	crm_tags_idle(((struct run *)arg)->tagdb);
}

/* ==== RFM and k-means over the held records ==== */

static const char *const segments[] = { "Champions", "Loyal",
	"Potential loyalist", "New", "Promising", "Need attention",
	"About to sleep", "At risk", "Cannot lose them", "Hibernating",
	"Lost" };

#define NSEG (sizeof(segments) / sizeof(segments[0]))

/* The segment of held record i, or NULL when it has no scores. */
static const char *
segment_of(const struct run *run, size_t i)
{
	const unsigned char *s = run->score;
	size_t n = run->n;

	if (s[i] == 0)
		return NULL;
	return crm_rfm_segment(s[i], crm_rfm_fm(s[n + i], s[2 * n + i]));
}

/* Score the held records: run->score, 3 a record (0: none). */
static int
score_rfm(struct run *run, struct crm_err *e)
{
	size_t i, j, n = run->n, count[NSEG + 1];
	unsigned char *s;
	double *col;

	memset(count, 0, sizeof(count));
	if ((s = crm_reallocarray(NULL, n + 1, 3)) == NULL ||
	    (col = crm_reallocarray(NULL, n + 1, sizeof(*col))) == NULL) {
		free(s);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	run->score = s;
	for (j = 0; j < 3; j++) {
		for (i = 0; i < n; i++)
			col[i] = run->rfm[3 * i + j];
		if (crm_rfm_scores(col, n, j == 0, s + j * n) == -1) {
			free(col);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
	}
	free(col);
	for (i = 0; i < n; i++) {
		const char *seg = segment_of(run, i);

		for (j = 0; j < NSEG && seg != NULL; j++)
			if (strcmp(seg, segments[j]) == 0)
				break;
		count[seg ? j : NSEG]++;
	}
	if (!run->o->quiet) {
		for (j = 0; j < NSEG; j++)
			crm_warnx("rfm: %-18s %7zu  %5.1f%%", segments[j],
			    count[j],
			    n ? 100.0 * (double)count[j] / (double)n : 0.0);
		if (count[NSEG] > 0)
			crm_warnx(
			    "rfm: %-18s %7zu", "(no purchase)", count[NSEG]);
	}
	return 0;
}

/* Append held record i's RFM scores and segment to r. */
static int
put_rfm(struct run *run, size_t i, struct crm_rec *r)
{
	static const char *const name[] = { "r_score", "f_score", "m_score" };
	const char *seg = segment_of(run, i);
	size_t j;
	char num;

	for (j = 0; j < 3; j++) {
		num = (char)('0' + run->score[j * run->n + i]);
		if (crm_rec_put(r, name[j], &num, seg ? 1 : 0,
			seg ? CRM_NUMBER : CRM_NULL) == -1)
			return -1;
	}
	return crm_rec_put(r, "rfm_segment", seg ? seg : "",
	    seg ? strlen(seg) : 0, seg ? CRM_STRING : CRM_NULL);
}

/* Renumber clusters by size, largest first (ties: first seen). */
static void
renumber(int *label, size_t n, size_t k)
{
	size_t *count = calloc(k, sizeof(*count)), *first, i, j;
	int *to = calloc(k, sizeof(*to)), *order = calloc(k, sizeof(*order));

	first = calloc(k, sizeof(*first));
	if (count == NULL || to == NULL || order == NULL || first == NULL)
		goto out;
	for (i = 0; i < k; i++)
		first[i] = n;
	for (i = 0; i < n; i++) {
		if (count[label[i]]++ == 0)
			first[label[i]] = i;
	}
	for (i = 0; i < k; i++)
		order[i] = (int)i;
	for (i = 1; i < k; i++) /* insertion sort: k is small */
		for (j = i; j > 0; j--) {
			int a = order[j - 1], b = order[j];

			if (count[a] > count[b] ||
			    (count[a] == count[b] && first[a] < first[b]))
				break;
			order[j - 1] = b;
			order[j] = a;
		}
	for (i = 0; i < k; i++)
		to[order[i]] = (int)i;
	for (i = 0; i < n; i++)
		label[i] = to[label[i]];
out:
	free(count);
	free(first);
	free(to);
	free(order);
}

/*
 * Cluster the held records that have every value: run->cluster (-1 for
 * none) and run->cdist.
 */
static int
cluster(struct run *run, struct crm_err *e)
{
	const struct opts *o = run->o;
	size_t d = o->km_fields.n, n = 0, i, j, k = (size_t)o->k;
	struct crm_kmeans_params p;
	struct crm_kmeans_result res;
	double *x = NULL, *centers = NULL, *dist2 = NULL, best = -2;
	size_t *row = NULL, kk, bestk = k;
	int *label = NULL, rc = -1;

	memset(&res, 0, sizeof(res));
	if ((x = crm_reallocarray(NULL, run->n + 1, d * sizeof(*x))) == NULL ||
	    (row = crm_reallocarray(NULL, run->n + 1, sizeof(*row))) == NULL ||
	    (label = crm_reallocarray(NULL, run->n + 1, sizeof(*label))) ==
		NULL ||
	    (dist2 = crm_reallocarray(NULL, run->n + 1, sizeof(*dist2))) ==
		NULL ||
	    (centers = crm_reallocarray(NULL, k, d * sizeof(*centers))) ==
		NULL ||
	    (run->cluster = crm_reallocarray(
		 NULL, run->n + 1, sizeof(*run->cluster))) == NULL ||
	    (run->cdist = crm_reallocarray(
		 NULL, run->n + 1, sizeof(*run->cdist))) == NULL)
		goto nomem;
	for (i = 0; i < run->n; i++) {
		const double *v = run->km + i * d;

		for (j = 0; j < d && !isnan(v[j]); j++)
			;
		if (j < d)
			continue;
		memcpy(x + n * d, v, d * sizeof(*x));
		row[n++] = i;
	}
	if (n == 0) {
		crm_err_set(e, EX_DATAERR,
		    "no record has a number in every field of --fields");
		goto out;
	}
	crm_standardize(x, n, d, NULL, NULL);
	crm_kmeans_defaults(&p, k);
	p.seed = o->seed;
	p.restarts = (int)o->restarts;
	res.centers = centers;
	res.label = label;
	res.dist2 = dist2;
	if (o->auto_k) {
		long distinct = crm_kmeans_distinct(x, n, d);

		if (distinct < 0)
			goto nomem;
		if (distinct < 2) {
			crm_err_set(e, EX_DATAERR,
			    "--auto-k needs 2 distinct points, the data has "
			    "%ld",
			    distinct);
			goto out;
		}
		for (kk = 2; kk <= k && kk <= (size_t)distinct; kk++) {
			double s;

			p.k = kk;
			if (crm_kmeans(x, n, d, &p, &res, e) == -1)
				goto out;
			s = crm_kmeans_silhouette(
			    x, n, d, label, kk, SAMPLE, o->seed);
			if (!o->quiet)
				crm_warnx("k-means: k=%zu inertia %.4f "
					  "silhouette %.4f",
				    kk, res.inertia, s);
			if (s > best) {
				best = s;
				bestk = kk;
			}
		}
		p.k = bestk;
	}
	if (crm_kmeans(x, n, d, &p, &res, e) == -1)
		goto out;
	renumber(label, n, p.k);
	if (!o->quiet)
		crm_warnx("k-means: %zu clusters of %zu records, inertia %.4f, "
			  "best of %ld runs (%d iteration%s)",
		    p.k, n, res.inertia, o->restarts, res.iterations,
		    res.iterations == 1 ? "" : "s");
	for (i = 0, j = 0; i < run->n; i++) {
		if (j < n && row[j] == i) {
			run->cluster[i] = label[j];
			run->cdist[i] = sqrt(dist2[j++]);
		} else
			run->cluster[i] = -1;
	}
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(x);
	free(row);
	free(label);
	free(dist2);
	free(centers);
	return rc;
}

/* Append held record i's cluster fields to r. */
static int
put_cluster(struct run *run, size_t i, struct crm_rec *r)
{
	int ok = run->cluster[i] >= 0, len = 0;
	char num[64];

	if (ok)
		len = snprintf(num, sizeof(num), "%d", run->cluster[i]);
	if (crm_rec_put(r, "cluster", num, (size_t)len,
		ok ? CRM_NUMBER : CRM_NULL) == -1)
		return -1;
	if (ok)
		len = snprintf(num, sizeof(num), "%.6f", run->cdist[i]);
	return crm_rec_put(r, "cluster_distance", num, (size_t)len,
	    ok ? CRM_NUMBER : CRM_NULL);
}

/* The end of the input: score, cluster, tag and write what was held. */
static int
finish_held(struct run *run)
{
	struct crm_rec *r = run->out;
	struct crm_err e;
	size_t i, off;
	int rc;

	crm_err_clear(&e);
	if (run->n == 0)
		return 0;
	if ((run->o->rfm && score_rfm(run, &e) == -1) ||
	    (run->o->k > 0 && cluster(run, &e) == -1)) {
		crm_report(&e);
		return e.code;
	}
	for (i = 0; i < run->n; i++) {
		off = run->held[i];
		if (crm_rec_unpack(r, run->pack.p + off) == 0 ||
		    (run->o->rfm && put_rfm(run, i, r) == -1) ||
		    (run->o->k > 0 && put_cluster(run, i, r) == -1))
			crm_die(EX_SOFTWARE, "out of memory");
		rc = tag_record(run, r, run->untyped[i], &e);
		if (rc == CRM_FILTER_FATAL ||
		    (rc == -1 && e.code != EX_DATAERR)) {
			crm_report(&e);
			return e.code;
		}
		if (rc == -1) {
			/* rules that fail on a record: report, write it on */
			e.line = crm_rec_line(r);
			crm_report(&e);
			crm_err_clear(&e);
			run->failed++;
		}
		if (crm_filter_emit(run->f, r, &e) == -1) {
			crm_report(&e);
			return e.code;
		}
	}
	return 0;
}

/* ==== Main ==== */

static void
cleanup(struct run *run)
{
	struct opts *o = run->o;
	size_t i;

	crm_buf_release(&run->pack);
	crm_rec_free(run->out);
	free(run->held);
	free(run->score);
	free(run->cluster);
	free(run->cdist);
	free(run->untyped);
	free(run->rfm);
	free(run->km);
	for (i = 0; run->rules != NULL && i < crm_rules_count(run->rules); i++)
		free(run->rule_text[i]);
	free(run->rule_text);
	free(run->rule_tag);
	free(run->tag);
	free(run->feat_names);
	crm_rules_free(run->rules);
	for (i = 0; run->files != NULL && i < o->nrules; i++)
		crm_rulefile_release(&run->files[i]);
	free(run->files);
	crm_rec_free(run->feat);
	crm_buf_release(&run->buf);
	crm_activity_close(run->act);
	crm_store_close(run->st);
	for (i = 0; i < o->rfm_fields.n; i++)
		free(o->rfm_fields.name[i]);
	free(o->rfm_fields.name);
	for (i = 0; i < o->km_fields.n; i++)
		free(o->km_fields.name[i]);
	free(o->km_fields.name);
	free(o->rules);
}

/* Open the store and its customer features; exits on an error. */
static void
open_store(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_activity_opts ao;
	struct crm_err e;

	crm_err_clear(&e);
	if ((run->st = crm_store_open(o->db, (int)o->busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	memset(&ao, 0, sizeof(ao));
	ao.as_of = o->as_of;
	ao.id_field = o->id_field;
	ao.events_too = 1;
	if ((run->act = crm_activity_open(run->st, &ao, &e)) == NULL) {
		if (e.code == EX_USAGE)
			crm_usage_error(synopsis,
			    "bad --as-of '%s': want a day, YYYY-MM-DD",
			    o->as_of);
		/* a store without events: an error only if features are read */
		if (e.code != EX_DATAERR || o->from_store)
			crm_die(e.code, "%s", e.msg);
		run->act_err = e;
	}
	if (run->rules != NULL &&
	    (run->tagdb = crm_tags_open(run->st, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, idle };
	unsigned long long nread, nwritten, nrejected;
	struct crm_activity_opts ao;
	struct opts o;
	struct run run;
	struct crm_err e;
	FILE *sfp = NULL;
	int rc;

	crm_cli_init("crm-tag");
	parse_opts(argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	memset(&run, 0, sizeof(run));
	run.o = &o;
	run.hold = o.rfm || o.k > 0;
	crm_err_clear(&e);
	crm_buf_init(&run.buf);
	crm_buf_init(&run.pack);
	if ((run.feat = crm_rec_new()) == NULL ||
	    (run.out = crm_rec_new()) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	load_rules(&run);
	if (o.db != NULL)
		open_store(&run);
	feature_names(&run);
	if (o.from_store) {
		struct crm_rec *hdr = crm_rec_new();
		size_t i;

		memset(&ao, 0, sizeof(ao));
		ao.as_of = crm_activity_as_of(run.act);
		ao.id_field = o.id_field;
		ao.events_too = 1;
		if (hdr == NULL ||
		    crm_rec_add(hdr, o.id_field, strlen(o.id_field), "", 0,
			CRM_STRING) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		for (i = 0; i < crm_activity_count(); i++)
			if (crm_rec_add(hdr, crm_activity_name(i),
				strlen(crm_activity_name(i)), "", 0,
				CRM_STRING) == -1)
				crm_die(EX_SOFTWARE, "out of memory");
		if (check_names(&run, hdr, &e) == -1) {
			e.file = o.db;
			crm_report(&e);
			exit(e.code);
		}
		crm_rec_free(hdr);
		if ((sfp = crm_activity_dump(run.st, &ao, 0, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		if (o.fo.in_fmt == CRM_FMT_AUTO)
			o.fo.in_fmt = CRM_FMT_JSONL;
	}
	if ((run.f = crm_filter_new(&o.fo, &ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	rc = sfp != NULL ? crm_filter_run_file(run.f, sfp, "store")
			 : crm_filter_run(run.f, argc, argv);
	if (rc == 0)
		rc = finish_held(&run);
	if (rc == 0 && run.failed > 0)
		rc = EX_DATAERR;
	if (crm_tags_close(run.tagdb, &e) == -1 && rc == 0) {
		crm_report(&e);
		rc = e.code;
	}
	crm_filter_counts(run.f, &nread, &nwritten, &nrejected);
	if (!o.quiet)
		crm_warnx("read %llu, tagged %llu, rejected %llu", nread,
		    nwritten, nrejected);
	rc = crm_filter_finish(run.f, rc);
	crm_filter_free(run.f);
	if (sfp != NULL)
		fclose(sfp);
	cleanup(&run);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
