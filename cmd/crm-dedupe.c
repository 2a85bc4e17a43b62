/*
 * crm-dedupe: find the records of one customer across channels and give
 * them one cluster id, with no labelled examples needed; or link the
 * records against a second set, or against the clusters of the store.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "audit.h"
#include "binclf.h"
#include "buf.h"
#include "cli.h"
#include "fellegi.h"
#include "filter.h"
#include "linkage.h"
#include "model.h"
#include "norm.h"
#include "rec.h"
#include "store.h"
#include "tabular.h"

static const char synopsis[] =
    "usage: crm-dedupe [--block RULE] [--db FILE] [--field FIELD[:TYPE]]\n"
    "                  [--id-field FIELD] [--ignore FIELD]\n"
    "                  [--incremental | --link FILE | --from-store]\n"
    "                  [--max-block N] [--max-cluster N] [--merge]\n"
    "                  [--prefer recent|frequent] [--region CC] [--seed N]\n"
    "                  [--threshold P] [--threads N] [--time-field FIELD]\n"
    "                  [--train-labels FILE] [-v] [common options] "
    "[file ...]\n";

static const char help[] =
    "Find the records of one customer and append cluster_id (the id of\n"
    "the cluster's canonical record) and match_score (the best link\n"
    "probability that joined it).\n"
    "\n"
    "  --block RULE           a blocking rule, e.g. surname:1+birth_date\n"
    "                         (FIELD, FIELD:N, FIELD:-N, FIELD:soundex "
    "joined\n"
    "                         by +); repeat; default: from the fields\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --db FILE              the store: clusters, decisions, models "
    "($CRM_DB)\n"
    "  --field FIELD[:TYPE]   compare FIELD (TYPE: name, text, address, "
    "id,\n"
    "                         code, date, number, email, phone, exact);\n"
    "                         repeat; default: every field, typed by its "
    "name\n"
    "  --from-store           dedupe the store's customers\n"
    "  --id-field FIELD       the record key (customer_id)\n"
    "  --ignore FIELD         do not compare FIELD\n"
    "  --incremental          match the records against the store's "
    "clusters\n"
    "                         with the store's newest model\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --link FILE            link the records to those of FILE: cluster_id "
    "is\n"
    "                         the id of the best match in FILE\n"
    "  --max-block N          skip blocks of more records (1000)\n"
    "  --max-cluster N        never grow a cluster past N records (100)\n"
    "  --max-errors N         stop after N rejected records\n"
    "  --merge                one golden record per cluster\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  --prefer RULE          --merge: recent (default) or frequent\n"
    "  --region CC            country of phone numbers without one (CN)\n"
    "  --rejects FILE         write rejected records to FILE\n"
    "  --seed N               the random pairs that start EM (1)\n"
    "  --threshold P          link pairs with probability >= P (0.5)\n"
    "  --threads N            compare on N threads (the processors)\n"
    "  --time-field FIELD     --merge: when a record was last updated\n"
    "  --train-labels FILE    learn from labelled pairs (id1, id2, match)\n"
    "                         with an SVM instead of EM\n"
    "  -q, --quiet            no summary on stderr\n"
    "  -v, --verbose          pairs per rule, the model's weights\n"
    "  -h, --help             this help\n"
    "      --version          the version\n";

enum {
	OPT_BLOCK = 256,
	OPT_DB,
	OPT_FIELD,
	OPT_FROM_STORE,
	OPT_ID_FIELD,
	OPT_IGNORE,
	OPT_INCREMENTAL,
	OPT_LINK,
	OPT_MAX_BLOCK,
	OPT_MAX_CLUSTER,
	OPT_MERGE,
	OPT_PREFER,
	OPT_REGION,
	OPT_SEED,
	OPT_THRESHOLD,
	OPT_THREADS,
	OPT_TIME_FIELD,
	OPT_TRAIN_LABELS,
};

static const struct option longopts[] = {
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "db", required_argument, NULL, OPT_DB },
	{ "field", required_argument, NULL, OPT_FIELD },
	{ "from-store", no_argument, NULL, OPT_FROM_STORE },
	{ "id-field", required_argument, NULL, OPT_ID_FIELD },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "incremental", no_argument, NULL, OPT_INCREMENTAL },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "max-block", required_argument, NULL, OPT_MAX_BLOCK },
	{ "max-cluster", required_argument, NULL, OPT_MAX_CLUSTER },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "prefer", required_argument, NULL, OPT_PREFER },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "train-labels", required_argument, NULL, OPT_TRAIN_LABELS },
	{ "verbose", no_argument, NULL, 'v' },
	CRM_FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

#define MAX_RULES CRM_LINK_MAXRULES

struct opts {
	const char *db;
	long busy_ms;
	const char *id_field;
	const char *link;
	const char *labels;
	const char *time_field;
	const char *region;
	char *fields[CRM_LINK_MAXFIELDS]; /* --field names */
	enum crm_cmp types[CRM_LINK_MAXFIELDS];
	int typed[CRM_LINK_MAXFIELDS];
	size_t nfields;
	const char **ignore;
	size_t nignore;
	const char *blocks[MAX_RULES];
	size_t nblocks;
	long max_block, max_cluster, threads;
	double threshold;
	unsigned long seed;
	int from_store, incremental, merge, frequent, verbose, quiet;
	struct crm_filter_opts fo;
};

struct str {
	const char *p;
	size_t len;
};

/* A set of records held whole: the stream's, or the one linked to. */
struct recset {
	struct crm_rec **r;
	size_t n, cap;
	char **cluster; /* --incremental: the store's cluster of each */
};

struct run {
	struct opts *o;
	struct crm_store *st;
	struct recset in;  /* the records read */
	struct recset ref; /* --link FILE or the store's clustered records */
	const char *names[CRM_LINK_MAXFIELDS];
	enum crm_cmp cmp[CRM_LINK_MAXFIELDS];
	size_t nf;
	struct crm_linkset *ls;
	unsigned char *side; /* 0: read, 1: ref */
	struct crm_block_rule rules[MAX_RULES];
	size_t nrules;
	struct crm_pair *pairs;
	size_t npairs;
	uint32_t *pat; /* each pair's pattern */
	struct crm_patterns p;
	double *prob; /* by pattern */
	struct crm_fs fs;
	int have_fs;
	long version; /* the model's in the store */
	/* the result, by linkset index */
	struct str *cid;	/* cluster id */
	double *score;		/* best link, NAN if none */
	long *best;		/* the pair of that link, -1 if none */
	uint32_t *root;		/* the cluster, as a union-find root */
	struct crm_buf cidtext; /* the cluster ids, apart from the records */
	unsigned long long links, refused, clusters, in_clusters;
	struct crm_buf buf;
};

/* ==== Options ==== */

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	enum crm_cmp t;
	char *colon;
	long n;
	int c;

	memset(o, 0, sizeof(*o));
	o->id_field = "customer_id";
	o->max_block = 1000;
	o->max_cluster = 100;
	o->threshold = 0.5;
	o->seed = 1;
	o->fo.max_errors = -1;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	o->threads = n < 1 ? 1 : n > 16 ? 16 : n;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hqv", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BLOCK:
			if (o->nblocks == MAX_RULES)
				crm_usage_error(synopsis,
				    "more than %d blocking rules", MAX_RULES);
			o->blocks[o->nblocks++] = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_FIELD:
			if (o->nfields == CRM_LINK_MAXFIELDS)
				crm_usage_error(synopsis,
				    "more than %d fields to compare",
				    CRM_LINK_MAXFIELDS);
			if ((colon = strrchr(optarg, ':')) != NULL) {
				if (crm_cmp_parse(colon + 1, &t) == -1 ||
				    t == CRM_CMP_IGNORE)
					crm_usage_error(synopsis,
					    "bad --field '%s': unknown type "
					    "'%s'",
					    optarg, colon + 1);
				*colon = '\0';
				o->types[o->nfields] = t;
				o->typed[o->nfields] = 1;
			}
			if (*optarg == '\0')
				crm_usage_error(synopsis, "bad --field: no "
							  "name");
			o->fields[o->nfields++] = optarg;
			break;
		case OPT_FROM_STORE:
			o->from_store = 1;
			break;
		case OPT_ID_FIELD:
			o->id_field = optarg;
			break;
		case OPT_IGNORE:
			crm_opt_push(&o->ignore, &o->nignore, optarg);
			break;
		case OPT_INCREMENTAL:
			o->incremental = 1;
			break;
		case OPT_LINK:
			o->link = optarg;
			break;
		case OPT_MAX_BLOCK:
			o->max_block = crm_opt_long(
			    synopsis, "--max-block", optarg, 2, 100000000);
			break;
		case OPT_MAX_CLUSTER:
			o->max_cluster = crm_opt_long(
			    synopsis, "--max-cluster", optarg, 2, 1L << 31);
			break;
		case OPT_MERGE:
			o->merge = 1;
			break;
		case OPT_PREFER:
			if (strcmp(optarg, "recent") == 0)
				o->frequent = 0;
			else if (strcmp(optarg, "frequent") == 0)
				o->frequent = 1;
			else
				crm_usage_error(synopsis,
				    "bad --prefer '%s': want recent or "
				    "frequent",
				    optarg);
			break;
		case OPT_REGION:
			if (!crm_norm_region_known(optarg))
				crm_usage_error(synopsis,
				    "bad --region '%s': want a country code "
				    "such as CN or US",
				    optarg);
			o->region = optarg;
			break;
		case OPT_SEED:
			o->seed = (unsigned long)crm_opt_long(
			    synopsis, "--seed", optarg, 0, 4294967295L);
			break;
		case OPT_THRESHOLD:
			if (crm_parse_double(optarg, 0, 1, &o->threshold) ==
				-1 ||
			    o->threshold <= 0)
				crm_usage_error(synopsis,
				    "bad --threshold '%s': want above 0, at "
				    "most 1",
				    optarg);
			break;
		case OPT_THREADS:
			o->threads =
			    crm_opt_long(synopsis, "--threads", optarg, 1, 16);
			break;
		case OPT_TIME_FIELD:
			o->time_field = optarg;
			break;
		case OPT_TRAIN_LABELS:
			o->labels = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			if (!crm_filter_option(c, optarg, synopsis, help,
				&o->fo, &o->busy_ms, &o->quiet))
				crm_bad_option(synopsis, c, argv);
		}
	}
	o->db = crm_db_path(o->db);
	if (o->incremental + (o->link != NULL) + o->from_store > 1)
		crm_usage_error(synopsis, "--incremental, --link and "
					  "--from-store go alone");
	if ((o->incremental || o->from_store) && o->db == NULL)
		crm_usage_error(synopsis, "%s needs --db",
		    o->incremental ? "--incremental" : "--from-store");
	if (o->merge && o->link != NULL)
		crm_usage_error(synopsis, "--merge makes clusters; --link "
					  "does not");
	if ((o->time_field != NULL || o->frequent) && !o->merge)
		crm_usage_error(synopsis, "--prefer and --time-field are for "
					  "--merge");
	if (o->incremental &&
	    (o->labels != NULL || o->nfields > 0 || o->nblocks > 0))
		crm_usage_error(synopsis, "--incremental uses the store's "
					  "model: its fields and blocking "
					  "rules");
}

/* ==== Reading ==== */

static int
recset_add(struct recset *s, const struct crm_rec *r)
{
	struct crm_rec **p, *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;

		if ((p = crm_reallocarray(s->r, cap, sizeof(*p))) == NULL)
			return -1;
		s->r = p;
		s->cap = cap;
	}
	if ((c = crm_rec_new()) == NULL || crm_rec_copy(c, r) == -1) {
		crm_rec_free(c);
		return -1;
	}
	s->r[s->n++] = c;
	return 0;
}

static void
recset_release(struct recset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		crm_rec_free(s->r[i]);
		if (s->cluster != NULL)
			free(s->cluster[i]);
	}
	free(s->r);
	free(s->cluster);
}

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;
	const char *f = run->o->id_field;

	if (crm_rec_find(hdr, f, strlen(f)) < 0)
		return crm_err_set(
		    e, EX_DATAERR, "no field '%s' (--id-field)", f);
	return 0;
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct run *run = arg;
	int bad;

	if (run->o->merge)
		bad = crm_rec_put(hdr, "cluster_size", "", 0, CRM_STRING) ||
		      crm_rec_put(hdr, "source_ids", "", 0, CRM_STRING);
	else
		bad = crm_rec_put(hdr, "cluster_id", "", 0, CRM_STRING) ||
		      crm_rec_put(hdr, "match_score", "", 0, CRM_STRING);
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

/* Hold every record with an id until all are read. */
static int
hold_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct run *run = arg;
	size_t len;

	*drop = 1;
	if (crm_rec_text(r, run->o->id_field, &len) == NULL)
		return crm_err_set(
		    e, EX_DATAERR, "field '%s': no id", run->o->id_field);
	if (recset_add(&run->in, r) == -1) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return CRM_FILTER_FATAL;
	}
	return 0;
}

/* Read every record of FILE into s; bad records end the run. */
static void
read_all(const char *path, FILE *fp, struct recset *s, const char *id_field,
    enum crm_format fmt)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	struct crm_err e;
	size_t len;
	int rc;

	crm_err_clear(&e);
	if ((rd = crm_reader_open(fp, path, fmt, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((r = crm_rec_new()) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	while ((rc = crm_reader_next(rd, r, &e)) != 0) {
		if (rc == -1) {
			crm_report(&e);
			exit(e.code);
		}
		if (crm_rec_text(r, id_field, &len) == NULL)
			crm_die(EX_DATAERR, "%s:%lu: field '%s': no id", path,
			    crm_rec_line(r), id_field);
		if (recset_add(s, r) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
	}
	crm_rec_free(r);
	crm_reader_close(rd);
}

/*
 * The store's customers as JSONL, the extra fields among the others,
 * into a temporary file; with clustered, only those in clusters, their
 * cluster ids kept in order in *cluster.
 */
static FILE *
store_records(struct run *run, int clustered, char ***cluster, size_t *n)
{
	static const char all_sql[] =
	    "SELECT json_patch(coalesce(extra, '{}'), json_object(?1,"
	    " customer_id, 'name', name, 'email', email, 'phone', phone,"
	    " 'city', city, 'country', country, 'birth_date', birth_date,"
	    " 'signup_date', signup_date)), NULL FROM customers"
	    " ORDER BY customer_id";
	static const char clustered_sql[] =
	    "SELECT json_patch(coalesce(c.extra, '{}'), json_object(?1,"
	    " c.customer_id, 'name', c.name, 'email', c.email, 'phone',"
	    " c.phone, 'city', c.city, 'country', c.country, 'birth_date',"
	    " c.birth_date, 'signup_date', c.signup_date)), k.cluster_id"
	    " FROM customers c JOIN clusters k ON k.record_id ="
	    " c.customer_id ORDER BY c.customer_id";
	sqlite3 *db = crm_store_db(run->st);
	sqlite3_stmt *st;
	struct crm_err e;
	char **cl = NULL, **p;
	size_t cap = 0;
	FILE *fp;
	int rc;

	*n = 0;
	crm_err_clear(&e);
	if ((fp = tmpfile()) == NULL)
		crm_die(EX_CANTCREAT, "cannot create a temporary file: %s",
		    strerror(errno));
	if (sqlite3_prepare_v2(db, clustered ? clustered_sql : all_sql, -1, &st,
		NULL) != SQLITE_OK) {
		crm_store_fail(run->st, &e, "cannot read customers");
		crm_die(e.code, "%s", e.msg);
	}
	sqlite3_bind_text(st, 1, run->o->id_field, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = (const char *)sqlite3_column_text(st, 0);

		if (fprintf(fp, "%s\n", json ? json : "{}") < 0)
			crm_die(EX_IOERR, "cannot write a temporary file");
		if (!clustered)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((p = crm_reallocarray(cl, cap, sizeof(*p))) == NULL)
				crm_die(EX_SOFTWARE, "out of memory");
			cl = p;
		}
		if ((cl[(*n)++] = strdup(
			 (const char *)sqlite3_column_text(st, 1))) == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(run->st, &e, "cannot read customers");
		crm_die(e.code, "%s", e.msg);
	}
	sqlite3_finalize(st);
	if (fflush(fp) == EOF || fseek(fp, 0, SEEK_SET) == -1)
		crm_die(EX_IOERR, "cannot read a temporary file");
	if (cluster != NULL)
		*cluster = cl;
	return fp;
}

/* ==== Fields ==== */

static int
ignored(const struct opts *o, const char *name)
{
	size_t i;

	if (strcmp(name, o->id_field) == 0 ||
	    (o->time_field && strcmp(name, o->time_field) == 0))
		return 1;
	for (i = 0; i < o->nignore; i++) {
		if (strcmp(name, o->ignore[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Add the fields of the records of s that are compared by default; each
 * name is judged once, in seen, however many records have it.
 */
static void
guess_fields(
    struct run *run, const struct recset *s, char ***seen, size_t *nseen)
{
	const char *name;
	enum crm_cmp c;
	size_t i, k, j, len;
	char **p;

	for (i = 0; i < s->n; i++) {
		for (k = 0; k < crm_rec_count(s->r[i]); k++) {
			name = crm_rec_name(s->r[i], k, &len);
			for (j = 0; j < *nseen; j++) {
				if (strcmp((*seen)[j], name) == 0)
					break;
			}
			if (j < *nseen)
				continue;
			if ((p = crm_reallocarray(
				 *seen, *nseen + 1, sizeof(*p))) == NULL ||
			    (p[*nseen] = strdup(name)) == NULL)
				crm_die(EX_SOFTWARE, "out of memory");
			*seen = p;
			name = p[(*nseen)++];
			if (ignored(run->o, name) ||
			    (c = crm_cmp_guess(name)) == CRM_CMP_IGNORE)
				continue;
			if (run->nf == CRM_LINK_MAXFIELDS)
				crm_die(EX_USAGE,
				    "more than %d fields to compare: choose "
				    "with --field",
				    CRM_LINK_MAXFIELDS);
			run->names[run->nf] = name;
			run->cmp[run->nf++] = c;
		}
	}
}

static void
choose_fields(struct run *run)
{
	const struct opts *o = run->o;
	char **seen = NULL;
	size_t f, nseen = 0;

	if (run->have_fs) { /* --incremental: the model's */
		for (f = 0; f < run->fs.nf; f++) {
			run->names[f] = run->fs.name[f];
			run->cmp[f] = run->fs.cmp[f];
		}
		run->nf = run->fs.nf;
	} else if (o->nfields > 0) {
		for (f = 0; f < o->nfields; f++) {
			run->names[f] = o->fields[f];
			run->cmp[f] = o->typed[f] ? o->types[f]
						  : crm_cmp_guess(o->fields[f]);
			if (run->cmp[f] == CRM_CMP_IGNORE)
				run->cmp[f] = CRM_CMP_TEXT;
		}
		run->nf = o->nfields;
	} else {
		guess_fields(run, &run->in, &seen, &nseen);
		guess_fields(run, &run->ref, &seen, &nseen);
	}
	if (run->nf == 0)
		crm_die(EX_USAGE,
		    "no fields to compare besides '%s' (see "
		    "--field)",
		    o->id_field);
	/* our own copies: a record's names move when its fields are added */
	for (f = 0; f < run->nf; f++) {
		if ((run->names[f] = strdup(run->names[f])) == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
	}
	for (f = 0; f < nseen; f++)
		free(seen[f]);
	free(seen);
}

static void
add_to_linkset(struct run *run, const struct recset *s)
{
	const char *val[CRM_LINK_MAXFIELDS];
	size_t len[CRM_LINK_MAXFIELDS], i, f;
	long k;

	for (i = 0; i < s->n; i++) {
		for (f = 0; f < run->nf; f++) {
			k = crm_rec_find(
			    s->r[i], run->names[f], strlen(run->names[f]));
			val[f] = NULL;
			len[f] = 0;
			if (k >= 0 &&
			    crm_rec_type(s->r[i], (size_t)k) != CRM_NULL)
				val[f] =
				    crm_rec_value(s->r[i], (size_t)k, &len[f]);
		}
		if (crm_linkset_add(run->ls, val, len) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
	}
}

/* ==== Pairs and the model ==== */

static void
make_pairs(struct run *run)
{
	const struct opts *o = run->o;
	struct crm_pair_stats stats[MAX_RULES];
	char text[256];
	struct crm_err e;
	size_t r, n = crm_linkset_count(run->ls);
	unsigned char *side = NULL;
	long np;

	crm_err_clear(&e);
	if (run->have_fs) { /* --incremental: the model's own */
		memcpy(run->rules, run->fs.rule,
		    run->fs.nrules * sizeof(*run->rules));
		run->nrules = run->fs.nrules;
	} else if (o->nblocks > 0) {
		for (r = 0; r < o->nblocks; r++) {
			if (crm_block_parse(o->blocks[r], run->names, run->nf,
				&run->rules[r], &e) == -1)
				crm_usage_error(synopsis, "%s", e.msg);
		}
		run->nrules = o->nblocks;
	} else {
		run->nrules = crm_block_defaults(
		    run->cmp, run->nf, run->rules, MAX_RULES);
	}
	if (o->link != NULL || o->incremental) {
		if ((side = calloc(n ? n : 1, 1)) == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
		memset(side + run->in.n, 1, run->ref.n);
	}
	run->side = side;
	np = crm_block_pairs(run->ls, run->rules, run->nrules, side,
	    o->link != NULL, (size_t)o->max_block, &run->pairs, stats, &e);
	if (np < 0)
		crm_die(e.code, "%s", e.msg);
	run->npairs = (size_t)np;
	for (r = 0; r < run->nrules; r++) {
		crm_block_format(
		    &run->rules[r], run->names, text, sizeof(text));
		if (o->verbose)
			crm_warnx("block %s: %llu pairs", text,
			    (unsigned long long)stats[r].pairs);
		if (stats[r].skipped_blocks > 0 && !o->quiet)
			crm_warnx("block %s: %llu blocks of more than %ld "
				  "records (%llu records) not paired; see "
				  "--max-block",
			    text, (unsigned long long)stats[r].skipped_blocks,
			    o->max_block,
			    (unsigned long long)stats[r].skipped_records);
	}
	if (o->verbose)
		crm_warnx("%zu candidate pairs", run->npairs);
}

static void
compare_pairs(struct run *run)
{
	struct crm_err e;

	crm_err_clear(&e);
	crm_patterns_init(&run->p, run->nf);
	run->pat = crm_reallocarray(
	    NULL, run->npairs ? run->npairs : 1, sizeof(*run->pat));
	if (run->pat == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	if (crm_compare_pairs(run->ls, run->pairs, run->npairs, &run->p,
		run->pat, (int)run->o->threads, &e) == -1)
		crm_die(e.code, "%s", e.msg);
}

/* ==== Ids ==== */

static const struct crm_rec *
rec_at(const struct run *run, size_t i)
{
	return i < run->in.n ? run->in.r[i] : run->ref.r[i - run->in.n];
}

static const char *
id_at(const struct run *run, size_t i, size_t *len)
{
	return crm_rec_text(rec_at(run, i), run->o->id_field, len);
}

struct idkey {
	const char *id;
	size_t len;
	size_t idx;
};

static int
cmp_idkey(const void *a, const void *b)
{
	const struct idkey *x = a, *y = b;
	int c = crm_bytes_cmp(x->id, x->len, y->id, y->len);

	return c != 0 ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The ids of records [from, to), sorted; *n is set to their number. */
static struct idkey *
sorted_ids(const struct run *run, size_t from, size_t to)
{
	struct idkey *k;
	size_t i;

	if ((k = crm_reallocarray(NULL, to - from + 1, sizeof(*k))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = from; i < to; i++) {
		k[i - from].id = id_at(run, i, &k[i - from].len);
		k[i - from].idx = i;
	}
	qsort(k, to - from, sizeof(*k), cmp_idkey);
	return k;
}

static long
find_id(const struct idkey *k, size_t n, const char *id, size_t len)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = crm_bytes_cmp(k[mid].id, k[mid].len, id, len);
		if (c == 0)
			return (long)k[mid].idx;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* An id names one record: two records with one id are an error. */
static void
check_unique(
    const struct run *run, const struct idkey *k, size_t n, const char *what)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (crm_bytes_cmp(
			k[i - 1].id, k[i - 1].len, k[i].id, k[i].len) == 0)
			crm_die(EX_DATAERR,
			    "%s: lines %lu and %lu: field '%s': the same id "
			    "'%.*s'",
			    what, crm_rec_line(rec_at(run, k[i - 1].idx)),
			    crm_rec_line(rec_at(run, k[i].idx)),
			    run->o->id_field, (int)k[i].len, k[i].id);
	}
}

/* ==== The supervised model ==== */

/* The levels lev as a record of categories, one field each. */
static int
levels_rec(const struct run *run, const int8_t *lev, struct crm_rec *r)
{
	char v[8];
	size_t f;

	crm_rec_clear(r);
	for (f = 0; f < run->nf; f++) {
		if (lev[f] < 0)
			snprintf(v, sizeof(v), "missing");
		else
			snprintf(v, sizeof(v), "%d", lev[f]);
		if (crm_rec_add(r, run->names[f], strlen(run->names[f]), v,
			strlen(v), CRM_STRING) == -1)
			return -1;
	}
	return 0;
}

static int
parse_match(const char *v, size_t len)
{
	static const char *const yes[] = { "1", "yes", "true", "match", "y" };
	static const char *const no[] = { "0", "no", "false", "nonmatch", "n" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == len && strncasecmp(v, yes[i], len) == 0)
			return 1;
		if (strlen(no[i]) == len && strncasecmp(v, no[i], len) == 0)
			return 0;
	}
	return -1;
}

/*
 * Learn P(match) of each pattern from labelled pairs (fields id1, id2,
 * match) with libsvm's RBF SVM over the levels as categories.
 */
static void
train_supervised(struct run *run, const struct idkey *ids, size_t nids)
{
	static const char *const need[] = { "id1", "id2", "match" };
	const char *path = run->o->labels;
	struct crm_reader *rd;
	struct crm_rec *r, *lr;
	struct crm_binclf_params bp = { CRM_ALGO_SVM, 1, 1 };
	struct crm_binclf *m;
	struct crm_tab *t;
	struct crm_err e;
	const char *v;
	int lev[CRM_LINK_MAXFIELDS], *y = NULL, *yy, c;
	int8_t l8[CRM_LINK_MAXFIELDS];
	size_t n = 0, cap = 0, f, k, len, pos = 0;
	long at[3], idx[2];
	double *x;
	FILE *fp;
	int rc;

	crm_err_clear(&e);
	if ((fp = fopen(path, "r")) == NULL)
		crm_die(
		    EX_NOINPUT, "cannot open '%s': %s", path, strerror(errno));
	if ((rd = crm_reader_open(fp, path, CRM_FMT_AUTO, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if ((t = crm_tab_new()) == NULL || (r = crm_rec_new()) == NULL ||
	    (lr = crm_rec_new()) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (f = 0; f < run->nf; f++) {
		if (crm_tab_set_type(t, run->names[f], CRM_COL_CATEGORICAL) ==
		    -1)
			crm_die(EX_SOFTWARE, "out of memory");
	}
	while ((rc = crm_reader_next(rd, r, &e)) != 0) {
		if (rc == -1) {
			crm_report(&e);
			exit(e.code);
		}
		for (k = 0; k < 3; k++) {
			at[k] = crm_rec_find(r, need[k], strlen(need[k]));
			if (at[k] < 0)
				crm_die(EX_DATAERR, "%s:%lu: no field '%s'",
				    path, crm_rec_line(r), need[k]);
		}
		for (k = 0; k < 2; k++) {
			v = crm_rec_value(r, (size_t)at[k], &len);
			if ((idx[k] = find_id(ids, nids, v, len)) < 0)
				crm_die(EX_DATAERR,
				    "%s:%lu: field '%s': no record '%.*s'",
				    path, crm_rec_line(r), need[k], (int)len,
				    v);
		}
		v = crm_rec_value(r, (size_t)at[2], &len);
		if ((c = parse_match(v, len)) == -1)
			crm_die(EX_DATAERR,
			    "%s:%lu: field 'match': want 1 or 0, not '%.*s'",
			    path, crm_rec_line(r), (int)len, v);
		crm_linkset_compare(
		    run->ls, (size_t)idx[0], (size_t)idx[1], lev);
		for (f = 0; f < run->nf; f++)
			l8[f] = (int8_t)lev[f];
		if (levels_rec(run, l8, lr) == -1 || crm_tab_add(t, lr) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((yy = crm_reallocarray(y, cap, sizeof(*y))) == NULL)
				crm_die(EX_SOFTWARE, "out of memory");
			y = yy;
		}
		pos += (size_t)c;
		y[n++] = c;
	}
	crm_reader_close(rd);
	fclose(fp);
	if (pos == 0 || pos == n)
		crm_die(EX_DATAERR, "%s: want matches and non-matches, not %s",
		    path,
		    n == 0 ? "nothing"
		    : pos  ? "only matches"
			   : "only non-matches");
	if (crm_tab_fit(t, &e) == -1 ||
	    (m = crm_binclf_train(t, y, n, &bp, &e)) == NULL)
		crm_die(e.code, "%s: %s", path, e.msg);
	if ((x = calloc(crm_tab_width(crm_binclf_tab(m)), sizeof(*x))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (k = 0; k < run->p.n; k++) {
		if (levels_rec(run, run->p.lev + k * run->nf, lr) == -1 ||
		    crm_tab_encode(crm_binclf_tab(m), lr, 0, x, &e) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		run->prob[k] = crm_binclf_prob(m, x);
	}
	if (!run->o->quiet)
		crm_warnx(
		    "learned from %zu labelled pairs (%zu matches)", n, pos);
	free(x);
	free(y);
	crm_rec_free(r);
	crm_rec_free(lr);
	crm_binclf_free(m);
}

/* ==== The model ==== */

/* The newest Fellegi-Sunter model of the store, for --incremental. */
static void
load_model(struct run *run)
{
	struct crm_buf blob;
	struct crm_err e;
	int found;

	crm_err_clear(&e);
	crm_buf_init(&blob);
	found = crm_model_get(
	    run->st, "dedupe", 0, "fellegi-sunter", &blob, &run->version, &e);
	if (found == -1)
		crm_die(e.code, "%s", e.msg);
	if (found == 0)
		crm_die(EX_NOINPUT,
		    "no dedupe model in %s: run crm-dedupe "
		    "--db once without --incremental",
		    run->o->db);
	if (crm_fs_load(&run->fs, blob.p, blob.len, &e) == -1)
		crm_die(e.code, "%s: %s", run->o->db, e.msg);
	run->have_fs = 1;
	crm_buf_release(&blob);
}

static void
print_model(const struct run *run)
{
	const struct crm_fs *fs = &run->fs;
	char text[256];
	struct crm_buf b;
	size_t f, r;
	int l;

	crm_warnx("EM: %d iterations, %zu patterns, match share %.4f",
	    fs->iterations, run->p.n, fs->all.lambda);
	crm_buf_init(&b);
	for (f = 0; f < fs->nf; f++) {
		crm_buf_reset(&b);
		for (l = fs->nlev[f] - 1; l >= 0; l--) {
			if (crm_buf_addf(&b, " %+.2f",
				crm_fs_weight(fs, &fs->all, f, l)) == -1)
				crm_die(EX_SOFTWARE, "out of memory");
		}
		crm_warnx("field %s (%s): weights exact..disagree%s",
		    fs->name[f], crm_cmp_name(fs->cmp[f]), b.p);
	}
	for (r = 0; r < fs->nrules; r++) {
		crm_block_format(&fs->rule[r], run->names, text, sizeof(text));
		crm_warnx("block %s: match share %.4f of %llu pairs%s", text,
		    fs->part[r].lambda, (unsigned long long)fs->part[r].pairs,
		    fs->part[r].skip[fs->rule[r].key[0].field] ? ""
							       : " (too few "
								 "for a model "
								 "of its own)");
	}
	crm_buf_release(&b);
}

/* The probability of each pattern: from labels, the store or EM. */
static void
score_patterns(struct run *run, const struct idkey *ids, size_t nids)
{
	size_t k;

	if ((run->prob = calloc(run->p.n ? run->p.n : 1, sizeof(*run->prob))) ==
	    NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	if (run->o->labels != NULL) {
		train_supervised(run, ids, nids);
		return;
	}
	if (!run->have_fs) {
		if (crm_fs_init(&run->fs, run->names, run->cmp, run->nf) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		run->have_fs = 1;
		crm_fs_sample_u(&run->fs, run->ls, 200000, run->o->seed);
		crm_fs_train(
		    &run->fs, &run->p, run->rules, run->nrules, 1000, 1e-6);
	}
	if (run->o->verbose)
		print_model(run);
	for (k = 0; k < run->p.n; k++)
		run->prob[k] = crm_fs_prob(
		    &run->fs, run->p.rule[k], run->p.lev + k * run->nf);
}

/* ==== Clusters ==== */

struct link {
	double p;
	size_t k; /* the pair */
};

static int
cmp_link(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static void
note_best(struct run *run, size_t i, double p, size_t k)
{
	if (isnan(run->score[i]) || p > run->score[i]) {
		run->score[i] = p;
		run->best[i] = (long)k;
	}
}

/* --link: each record's best match in the other set. */
static void
link_best(struct run *run)
{
	size_t k, a, b;
	double p;

	for (k = 0; k < run->npairs; k++) {
		p = run->prob[run->pat[k]];
		if (p < run->o->threshold)
			continue;
		a = run->pairs[k].i;
		b = run->pairs[k].j;
		if (a >= run->in.n) { /* a is in FILE */
			size_t t = a;

			a = b;
			b = t;
		}
		if (isnan(run->score[a]) || p > run->score[a]) {
			note_best(run, a, p, k);
			run->cid[a].p = id_at(run, b, &run->cid[a].len);
		}
		run->links++;
	}
	for (a = 0; a < run->in.n; a++) {
		if (run->cid[a].p == NULL)
			run->cid[a].p = id_at(run, a, &run->cid[a].len);
		else
			run->in_clusters++;
	}
}

/*
 * Union-find over the links, strongest first, so that when the cap on a
 * cluster's size refuses a link the cluster keeps its best members.
 * With --incremental the store's clusters are joined first and two of
 * them are never joined by a new record.
 */
static void
cluster(struct run *run)
{
	size_t n = run->in.n + run->ref.n, nl = 0, k, i;
	const char **label;
	struct str *canon, id;
	unsigned char *seen;
	struct link *links;
	struct crm_uf uf;
	uint32_t a, b;
	int r;

	if ((links = crm_reallocarray(NULL, run->npairs + 1, sizeof(*links))) ==
		NULL ||
	    crm_uf_init(&uf, n) == -1 ||
	    (label = calloc(n + 1, sizeof(*label))) == NULL ||
	    (canon = calloc(n + 1, sizeof(*canon))) == NULL ||
	    (seen = calloc(n + 1, 1)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (k = 0; k < run->npairs; k++) {
		if (run->prob[run->pat[k]] >= run->o->threshold) {
			links[nl].p = run->prob[run->pat[k]];
			links[nl++].k = k;
		}
	}
	run->links = nl;
	qsort(links, nl, sizeof(*links), cmp_link);
	if (run->ref.n > 0) { /* the store's clusters as they are */
		struct idkey *byc;

		if ((byc = crm_reallocarray(
			 NULL, run->ref.n + 1, sizeof(*byc))) == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
		for (i = 0; i < run->ref.n; i++) {
			byc[i].id = run->ref.cluster[i];
			byc[i].len = strlen(byc[i].id);
			byc[i].idx = run->in.n + i;
		}
		qsort(byc, run->ref.n, sizeof(*byc), cmp_idkey);
		for (i = 1; i < run->ref.n; i++) {
			if (strcmp(byc[i].id, byc[i - 1].id) == 0)
				crm_uf_union(&uf, (uint32_t)byc[i - 1].idx,
				    (uint32_t)byc[i].idx, 0);
		}
		for (i = 0; i < run->ref.n; i++)
			label[crm_uf_find(&uf, (uint32_t)(run->in.n + i))] =
			    run->ref.cluster[i];
		free(byc);
	}
	for (k = 0; k < nl; k++) {
		const struct crm_pair *pr = &run->pairs[links[k].k];

		a = crm_uf_find(&uf, pr->i);
		b = crm_uf_find(&uf, pr->j);
		if (a != b && label[a] != NULL && label[b] != NULL) {
			run->refused++; /* two of the store's clusters */
			continue;
		}
		if ((r = crm_uf_union(
			 &uf, a, b, (size_t)run->o->max_cluster)) == -1) {
			run->refused++;
			continue;
		}
		if (r == 1) {
			const char *l = label[a] ? label[a] : label[b];

			label[crm_uf_find(&uf, a)] = l;
		}
		note_best(run, pr->i, links[k].p, links[k].k);
		note_best(run, pr->j, links[k].p, links[k].k);
	}
	/* the canonical record: the store's cluster, else the least id */
	for (i = 0; i < n; i++) {
		a = crm_uf_find(&uf, (uint32_t)i);
		id.p = id_at(run, i, &id.len);
		if (label[a] != NULL) {
			canon[a].p = label[a];
			canon[a].len = strlen(label[a]);
		} else if (canon[a].p == NULL ||
			   crm_bytes_cmp(
			       id.p, id.len, canon[a].p, canon[a].len) < 0) {
			canon[a] = id;
		}
	}
	for (i = 0; i < n; i++) {
		a = crm_uf_find(&uf, (uint32_t)i);
		run->root[i] = a;
		if (i >= run->in.n)
			continue;
		run->cid[i] = canon[a];
		if (uf.size[a] > 1)
			run->in_clusters++;
		if (uf.size[a] > 1 && !seen[a]) {
			run->clusters++; /* counted once, by its root */
			seen[a] = 1;
		}
	}
	free(links);
	free(label);
	free(canon);
	free(seen);
	crm_uf_release(&uf);
}

/* ==== Output ==== */

/*
 * Copy the cluster ids apart: they point into records (the canonical
 * ones) that change when the output fields are added.
 */
static void
keep_cids(struct run *run)
{
	size_t i, *off;

	if ((off = calloc(run->in.n + 1, sizeof(*off))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < run->in.n; i++) {
		off[i] = run->cidtext.len;
		if (crm_buf_add(
			&run->cidtext, run->cid[i].p, run->cid[i].len) == -1 ||
		    crm_buf_addc(&run->cidtext, '\0') == -1)
			crm_die(EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < run->in.n; i++)
		run->cid[i].p = run->cidtext.p + off[i];
	free(off);
}

static void
put_field(struct crm_rec *r, const char *name, const char *v, size_t len,
    enum crm_type t)
{
	if (crm_rec_put(r, name, v, len, t) == -1)
		crm_die(EX_SOFTWARE, "out of memory");
}

static int
write_plain(struct run *run, struct crm_filter *f, struct crm_err *e)
{
	char num[32];
	size_t i;

	for (i = 0; i < run->in.n; i++) {
		struct crm_rec *r = run->in.r[i];

		put_field(r, "cluster_id", run->cid[i].p, run->cid[i].len,
		    CRM_STRING);
		if (isnan(run->score[i])) {
			put_field(r, "match_score", "", 0, CRM_NULL);
		} else {
			snprintf(num, sizeof(num), "%.4f", run->score[i]);
			put_field(
			    r, "match_score", num, strlen(num), CRM_NUMBER);
		}
		if (crm_filter_emit(f, r, e) == -1)
			return -1;
	}
	return 0;
}

/* A record's time for --prefer recent: its --time-field as ISO 8601. */
struct member {
	size_t idx;
	char *when; /* "" when unknown */
};

static int
cmp_recent(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(y->when, x->when);

	if (c != 0)
		return c;
	return x->idx < y->idx ? 1 : x->idx > y->idx ? -1 : 0;
}

static int
present(const struct crm_rec *r, long k)
{
	size_t len;

	if (k < 0 || crm_rec_type(r, (size_t)k) == CRM_NULL)
		return 0;
	crm_rec_value(r, (size_t)k, &len);
	return len > 0;
}

/* The value of name that survives among m (most recent first). */
static long
survivor(const struct run *run, const struct member *m, size_t n,
    const char *name, size_t nlen, size_t *who)
{
	const struct crm_rec *r, *q;
	size_t i, j, len, qlen, count, best = 0;
	const char *v, *qv;
	long k, kq, at = -1;

	for (i = 0; i < n; i++) {
		r = rec_at(run, m[i].idx);
		k = crm_rec_find(r, name, nlen);
		if (!present(r, k))
			continue;
		if (!run->o->frequent) {
			*who = i;
			return k;
		}
		v = crm_rec_value(r, (size_t)k, &len);
		for (count = 0, j = 0; j < n; j++) {
			q = rec_at(run, m[j].idx);
			kq = crm_rec_find(q, name, nlen);
			if (!present(q, kq))
				continue;
			qv = crm_rec_value(q, (size_t)kq, &qlen);
			count += crm_bytes_cmp(v, len, qv, qlen) == 0;
		}
		if (count > best) { /* ties: the more recent */
			best = count;
			*who = i;
			at = k;
		}
	}
	return at;
}

/* One golden record for the cluster of members m (n of them). */
static int
golden(struct run *run, struct member *m, size_t n, const struct str *cid,
    struct crm_rec *out)
{
	const struct opts *o = run->o;
	struct crm_buf *b = &run->buf;
	const struct crm_rec *r;
	const char *name, *v;
	size_t i, k, nlen, len, who = 0, first = SIZE_MAX;
	long at;
	char num[32];

	for (i = 0; i < n; i++) {
		long t = o->time_field
			     ? crm_rec_find(rec_at(run, m[i].idx),
				   o->time_field, strlen(o->time_field))
			     : -1;
		const char *why;

		crm_buf_reset(b);
		m[i].when = NULL;
		if (present(rec_at(run, m[i].idx), t)) {
			v = crm_rec_value(
			    rec_at(run, m[i].idx), (size_t)t, &len);
			if (crm_norm_date(b, v, len, CRM_DATE_STRICT, &why) ==
			    -1)
				crm_buf_reset(b);
		}
		if ((m[i].when = strdup(b->p ? b->p : "")) == NULL)
			return -1;
		if (m[i].idx < first)
			first = m[i].idx;
	}
	qsort(m, n, sizeof(*m), cmp_recent);
	crm_rec_clear(out);
	/* the fields in the order of the first record, then the others' */
	for (i = 0; i < n + 1; i++) {
		r = rec_at(run, i == 0 ? first : m[i - 1].idx);
		for (k = 0; k < crm_rec_count(r); k++) {
			name = crm_rec_name(r, k, &nlen);
			if (crm_rec_find(out, name, nlen) >= 0)
				continue;
			if ((at = survivor(run, m, n, name, nlen, &who)) < 0) {
				if (crm_rec_add(
					out, name, nlen, "", 0, CRM_NULL) == -1)
					return -1;
				continue;
			}
			v = crm_rec_value(
			    rec_at(run, m[who].idx), (size_t)at, &len);
			if (crm_rec_add(out, name, nlen, v, len,
				crm_rec_type(
				    rec_at(run, m[who].idx), (size_t)at)) == -1)
				return -1;
		}
	}
	/* the sources, in input order */
	for (i = 0; i < n; i++)
		m[i].when[0] = '\0';
	qsort(m, n, sizeof(*m), cmp_recent);
	crm_buf_reset(b);
	for (i = n; i-- > 0;) {
		v = id_at(run, m[i].idx, &len);
		if ((i < n - 1 && crm_buf_addc(b, ';') == -1) ||
		    crm_buf_add(b, v, len) == -1)
			return -1;
	}
	for (i = 0; i < n; i++)
		free(m[i].when);
	snprintf(num, sizeof(num), "%zu", n);
	if (crm_rec_put(out, o->id_field, cid->p, cid->len, CRM_STRING) == -1 ||
	    crm_rec_put(out, "cluster_size", num, strlen(num), CRM_NUMBER) ==
		-1 ||
	    crm_rec_put(out, "source_ids", b->p, b->len, CRM_STRING) == -1)
		return -1;
	return 0;
}

struct grp {
	size_t first; /* the cluster's first record read */
	size_t idx;
};

static int
cmp_grp(const void *a, const void *b)
{
	const struct grp *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* --merge: the golden records, in the order of their first record. */
static int
write_merged(struct run *run, struct crm_filter *f, struct crm_err *e)
{
	size_t n = run->in.n + run->ref.n, i, j, k, m = 0;
	size_t *first;
	struct member *mem;
	struct grp *g;
	struct crm_rec *out;

	if ((first = malloc((n + 1) * sizeof(*first))) == NULL ||
	    (g = crm_reallocarray(NULL, n + 1, sizeof(*g))) == NULL ||
	    (mem = crm_reallocarray(NULL, n + 1, sizeof(*mem))) == NULL ||
	    (out = crm_rec_new()) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++)
		first[i] = SIZE_MAX;
	for (i = 0; i < run->in.n; i++) {
		if (first[run->root[i]] == SIZE_MAX)
			first[run->root[i]] = i;
	}
	for (i = 0; i < n; i++) {
		if (first[run->root[i]] != SIZE_MAX) {
			g[m].first = first[run->root[i]];
			g[m++].idx = i;
		}
	}
	qsort(g, m, sizeof(*g), cmp_grp);
	for (i = 0; i < m; i = j) {
		for (j = i; j < m && g[j].first == g[i].first; j++)
			mem[j - i].idx = g[j].idx;
		k = g[i].first;
		if (golden(run, mem, j - i, &run->cid[k], out) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		if (crm_filter_emit(f, out, e) == -1)
			break;
	}
	crm_rec_free(out);
	free(first);
	free(g);
	free(mem);
	return i < m ? -1 : 0;
}

/* ==== The store ==== */

/* The field weights of pair k's pattern, as JSON, strongest first. */
static int
reasons(struct run *run, size_t k, struct crm_buf *b)
{
	const int8_t *lev = run->p.lev + run->pat[k] * run->nf;
	const struct crm_fs_part *part =
	    crm_fs_part(&run->fs, run->p.rule[run->pat[k]]);
	double w[CRM_LINK_MAXFIELDS];
	size_t order[CRM_LINK_MAXFIELDS], f, g, n = 0, t;
	int bad = 0;

	for (f = 0; f < run->nf; f++) {
		if (lev[f] < 0)
			continue;
		w[f] = run->have_fs ? crm_fs_weight(&run->fs, part, f, lev[f])
				    : 0;
		order[n++] = f;
	}
	for (f = 1; f < n; f++) { /* insertion sort: a handful */
		for (g = f; g > 0 && w[order[g]] > w[order[g - 1]]; g--) {
			t = order[g];
			order[g] = order[g - 1];
			order[g - 1] = t;
		}
	}
	crm_buf_reset(b);
	bad |= crm_buf_addc(b, '{');
	for (f = 0; f < n; f++) {
		if (f > 0)
			bad |= crm_buf_addc(b, ',');
		bad |= crm_json_quote(
		    b, run->names[order[f]], strlen(run->names[order[f]]));
		if (run->have_fs)
			bad |= crm_buf_addf(b, ":%.2f", w[order[f]]);
		else
			bad |= crm_buf_addf(b, ":%d", lev[order[f]]);
	}
	bad |= crm_buf_addc(b, '}');
	return bad ? -1 : 0;
}

/* A new version of the Fellegi-Sunter model, with what made it. */
static void
save_model(struct run *run)
{
	struct crm_buf blob, params, metrics;
	char text[256];
	struct crm_err e;
	size_t f;
	int bad = 0;

	crm_err_clear(&e);
	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	bad |= crm_buf_adds(&params, "{\"fields\":{");
	for (f = 0; f < run->nf; f++) {
		bad |= crm_buf_adds(&params, f ? "," : "");
		bad |= crm_json_quote(
		    &params, run->names[f], strlen(run->names[f]));
		bad |=
		    crm_buf_addf(&params, ":\"%s\"", crm_cmp_name(run->cmp[f]));
	}
	bad |= crm_buf_adds(&params, "},\"blocks\":[");
	for (f = 0; f < run->nrules; f++) {
		crm_block_format(
		    &run->rules[f], run->names, text, sizeof(text));
		bad |= crm_buf_adds(&params, f ? "," : "");
		bad |= crm_json_quote(&params, text, strlen(text));
	}
	bad |= crm_buf_addf(&params, "],\"threshold\":%g,\"max_cluster\":%ld}",
	    run->o->threshold, run->o->max_cluster);
	bad |= crm_buf_addf(&metrics,
	    "{\"records\":%zu,\"pairs\":%zu,\"patterns\":%zu,"
	    "\"iterations\":%d,\"match_share\":%.6f,\"links\":%llu,"
	    "\"clusters\":%llu}",
	    run->in.n, run->npairs, run->p.n, run->fs.iterations,
	    run->fs.all.lambda, run->links, run->clusters);
	if (bad || crm_fs_save(&run->fs, &blob) == -1)
		crm_die(EX_SOFTWARE, "out of memory");
	if (crm_model_put(run->st, "dedupe", "fellegi-sunter", params.p,
		metrics.p, blob.p, blob.len, &run->version, &e) == -1)
		crm_die(e.code, "%s", e.msg);
	crm_buf_release(&blob);
	crm_buf_release(&params);
	crm_buf_release(&metrics);
}

/* Each record's cluster into the clusters table, in bounded batches. */
static int
store_clusters(struct run *run, struct crm_err *e)
{
	static const char sql[] = "INSERT INTO clusters(record_id, cluster_id, "
				  "score, time)"
				  " VALUES (?1, ?2, ?3, ?4) ON "
				  "CONFLICT(record_id) DO UPDATE SET"
				  " cluster_id = excluded.cluster_id, score = "
				  "excluded.score,"
				  " time = excluded.time";
	sqlite3 *db = crm_store_db(run->st);
	struct crm_batch batch;
	sqlite3_stmt *st;
	char now[21];
	const char *id;
	size_t i, len;

	crm_model_now(now);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(run->st, e, "cannot store clusters");
	crm_batch_init(&batch, run->st, 1000);
	for (i = 0; i < run->in.n; i++) {
		if (crm_batch_add(&batch, e) == -1)
			goto fail;
		id = id_at(run, i, &len);
		sqlite3_bind_text(st, 1, id, (int)len, SQLITE_STATIC);
		sqlite3_bind_text(
		    st, 2, run->cid[i].p, (int)run->cid[i].len, SQLITE_STATIC);
		if (isnan(run->score[i]))
			sqlite3_bind_null(st, 3);
		else
			sqlite3_bind_double(st, 3, run->score[i]);
		sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			crm_store_fail(run->st, e, "cannot store clusters");
			crm_store_rollback(run->st);
			goto fail;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return crm_batch_close(&batch, e);
fail:
	sqlite3_finalize(st);
	return -1;
}

/* Every record that was linked, with its link's reasons, to the audit. */
static int
store_decisions(struct run *run, struct crm_err *e)
{
	struct crm_audit *a;
	const char *id;
	size_t i, len;

	if ((a = crm_audit_open(run->st, "crm-dedupe",
		 run->o->labels ? "dedupe-svm" : "dedupe", run->version, e)) ==
	    NULL)
		return -1;
	for (i = 0; i < run->in.n; i++) {
		if (run->best[i] < 0)
			continue;
		id = id_at(run, i, &len);
		if (reasons(run, (size_t)run->best[i], &run->buf) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			break;
		}
		if (crm_audit_add(a, id, len, run->cid[i].p, run->cid[i].len,
			run->score[i], run->buf.p, run->buf.len, e) == -1)
			break;
	}
	if (i < run->in.n) {
		crm_audit_close(a, &(struct crm_err){ 0 });
		return -1;
	}
	return crm_audit_close(a, e);
}

/* ==== Main ==== */

/* --incremental: the store's clustered records, less those read now. */
static void
read_clustered(struct run *run, const struct idkey *ids)
{
	struct recset all = { NULL, 0, 0, NULL };
	size_t i, n, len;
	const char *id;
	char **cl;
	FILE *fp;

	fp = store_records(run, 1, &cl, &n);
	read_all("store", fp, &all, run->o->id_field, CRM_FMT_JSONL);
	fclose(fp);
	if ((run->ref.cluster = calloc(n + 1, sizeof(char *))) == NULL ||
	    (run->ref.r = calloc(all.n + 1, sizeof(*run->ref.r))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	run->ref.cap = all.n + 1;
	for (i = 0; i < all.n; i++) {
		id = crm_rec_text(all.r[i], run->o->id_field, &len);
		if (find_id(ids, run->in.n, id, len) >= 0) {
			crm_rec_free(all.r[i]);
			free(cl[i]);
			continue;
		}
		run->ref.cluster[run->ref.n] = cl[i];
		run->ref.r[run->ref.n] = all.r[i];
		run->ref.n++;
	}
	free(cl);
	free(all.r);
}

static void
cleanup(struct run *run)
{
	size_t f;

	for (f = 0; f < run->nf; f++)
		free((char *)run->names[f]);
	recset_release(&run->in);
	recset_release(&run->ref);
	crm_linkset_free(run->ls);
	free(run->side);
	free(run->pairs);
	free(run->pat);
	crm_patterns_release(&run->p);
	free(run->prob);
	if (run->have_fs)
		crm_fs_release(&run->fs);
	free(run->cid);
	free(run->score);
	free(run->best);
	free(run->root);
	crm_buf_release(&run->buf);
	crm_buf_release(&run->cidtext);
	free(run->o->ignore);
	crm_store_close(run->st);
}

int
main(int argc, char **argv)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		hold_record, NULL };
	unsigned long long nread, nwritten, nrejected;
	struct idkey *ids = NULL, *all = NULL;
	struct crm_filter *f;
	struct opts o;
	struct run run;
	struct crm_err e;
	size_t i, n;
	FILE *fp;
	int rc;

	crm_cli_init("crm-dedupe");
	parse_opts(argc, argv, &o);
	argc -= optind;
	argv += optind;
	memset(&run, 0, sizeof(run));
	run.o = &o;
	crm_err_clear(&e);
	crm_buf_init(&run.buf);
	crm_buf_init(&run.cidtext);
	if (o.from_store && argc > 0)
		crm_usage_error(synopsis, "--from-store reads no files");
	if (o.db != NULL &&
	    (run.st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.incremental)
		load_model(&run);

	/* Read and hold the records. */
	if ((f = crm_filter_new(&o.fo, &ops, &run, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	if (o.from_store) {
		fp = store_records(&run, 0, NULL, &n);
		rc = crm_filter_run_file(f, fp, "store");
		fclose(fp);
	} else {
		rc = crm_filter_run(f, argc, argv);
	}
	if (rc != 0 || run.in.n == 0)
		goto out;
	ids = sorted_ids(&run, 0, run.in.n);
	check_unique(&run, ids, run.in.n, argc == 1 ? argv[0] : "input");
	if (o.link != NULL) {
		if ((fp = fopen(o.link, "r")) == NULL)
			crm_die(EX_NOINPUT, "cannot open '%s': %s", o.link,
			    strerror(errno));
		read_all(o.link, fp, &run.ref, o.id_field, o.fo.in_fmt);
		fclose(fp);
	} else if (o.incremental) {
		read_clustered(&run, ids);
	}
	if (run.ref.n > 0) {
		all = sorted_ids(&run, run.in.n, run.in.n + run.ref.n);
		check_unique(
		    &run, all, run.ref.n, o.link != NULL ? o.link : "store");
		free(all);
	}
	all = sorted_ids(&run, 0, run.in.n + run.ref.n);

	/* Compare, score, cluster. */
	choose_fields(&run);
	if ((run.ls = crm_linkset_new(run.cmp, run.nf, o.region)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	add_to_linkset(&run, &run.in);
	add_to_linkset(&run, &run.ref);
	make_pairs(&run);
	compare_pairs(&run);
	score_patterns(&run, all, run.in.n + run.ref.n);
	n = run.in.n + run.ref.n + 1;
	if ((run.cid = calloc(n, sizeof(*run.cid))) == NULL ||
	    (run.score = malloc(n * sizeof(*run.score))) == NULL ||
	    (run.best = malloc(n * sizeof(*run.best))) == NULL ||
	    (run.root = calloc(n, sizeof(*run.root))) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		run.score[i] = NAN;
		run.best[i] = -1;
	}
	if (o.link != NULL)
		link_best(&run);
	else
		cluster(&run);
	if (run.refused > 0 && !o.quiet)
		crm_warnx("%llu links refused: they would have made a "
			  "cluster of more than %ld records%s (--max-cluster)",
		    run.refused, o.max_cluster,
		    o.incremental ? " or joined two clusters of the store"
				  : "");

	/* Write the records, then the store. */
	keep_cids(&run);
	rc = o.merge ? write_merged(&run, f, &e) : write_plain(&run, f, &e);
	if (rc == -1) {
		crm_report(&e);
		rc = e.code;
		goto out;
	}
	if (run.st != NULL && !o.incremental && o.link == NULL &&
	    o.labels == NULL)
		save_model(&run);
	if (run.st != NULL &&
	    ((o.link == NULL && store_clusters(&run, &e) == -1) ||
		store_decisions(&run, &e) == -1)) {
		crm_report(&e);
		rc = e.code;
	}
out:
	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (!o.quiet)
		crm_warnx("read %llu, rejected %llu, %zu candidate pairs, "
			  "%llu links; %llu records in %llu clusters of two "
			  "or more%s",
		    nread, nrejected, run.npairs, run.links, run.in_clusters,
		    run.clusters, o.link != NULL ? " (linked)" : "");
	rc = crm_filter_finish(f, rc);
	crm_filter_free(f);
	free(ids);
	free(all);
	cleanup(&run);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
