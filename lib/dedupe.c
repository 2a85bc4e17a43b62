/*
 * dedupe: the run of crm-dedupe (see dedupe.h): the records held, the
 * fields compared, the pairs, the links or clusters, and the plain
 * output.  The scores and the store are in dedupe_model.c, the golden
 * records in dedupe_merge.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "clusters.h"
#include "dedupe_int.h"
#include "filter.h"

int
crm_dd_fail(struct crm_err *e, int code, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt); /* the arguments may be e's own message */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	crm_err_clear(e);
	e->code = code;
	memcpy(e->msg, msg, sizeof(msg));
	return -1;
}

int
crm_dd_oom(struct crm_err *e)
{
	return crm_dd_fail(e, EX_SOFTWARE, "out of memory");
}

/* e's message alone, its position dropped. */
static int
bare(struct crm_err *e)
{
	e->file = NULL;
	e->line = 0;
	e->field[0] = '\0';
	return -1;
}

/* ==== Options ==== */

void
crm_dedupe_opts_init(struct crm_dedupe_opts *o)
{
	long n;

	memset(o, 0, sizeof(*o));
	o->id_field = "customer_id";
	o->input_name = "input";
	o->max_block = 1000;
	o->max_cluster = 100;
	o->threshold = 0.5;
	o->seed = 1;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	o->threads = n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

int
crm_dedupe_opt_field(struct crm_dedupe_opts *o, char *arg, struct crm_err *e)
{
	enum crm_cmp t = CRM_CMP_IGNORE;
	char *colon;

	if (o->nfields == CRM_LINK_MAXFIELDS)
		return crm_dd_fail(e, EX_USAGE,
		    "more than %d fields to compare", CRM_LINK_MAXFIELDS);
	if ((colon = strrchr(arg, ':')) != NULL) {
		if (crm_cmp_parse(colon + 1, &t) == -1 || t == CRM_CMP_IGNORE)
			return crm_dd_fail(e, EX_USAGE,
			    "bad --field '%s': unknown type '%s'", arg,
			    colon + 1);
		*colon = '\0';
	}
	if (*arg == '\0')
		return crm_dd_fail(e, EX_USAGE, "bad --field: no name");
	o->type[o->nfields] = t;
	o->field[o->nfields++] = arg;
	return 0;
}

int
crm_dedupe_opts_check(const struct crm_dedupe_opts *o, struct crm_err *e)
{
	if (o->merge && o->link != NULL)
		return crm_dd_fail(
		    e, EX_USAGE, "--merge makes clusters; --link does not");
	if ((o->time_field != NULL || o->frequent) && !o->merge)
		return crm_dd_fail(
		    e, EX_USAGE, "--prefer and --time-field are for --merge");
	int shard = o->mode == CRM_DEDUPE_KEYS || o->mode == CRM_DEDUPE_PAIRS;

	if (o->model_version != 0 && (o->link != NULL || o->labels != NULL))
		return crm_dd_fail(e, EX_USAGE,
		    "--model-version scores with a stored model: not with "
		    "--link or --train-labels");
	if ((o->mode == CRM_DEDUPE_RECONCILE) != (o->npairs > 0))
		return crm_dd_fail(e, EX_USAGE,
		    o->npairs > 0 ? "--pairs is for crm-dedupe reconcile"
				  : "reconcile needs --pairs FILE");
	if (o->mode != CRM_DEDUPE_RUN &&
	    (o->link != NULL || o->incremental || o->labels != NULL ||
		o->replace_model))
		return crm_dd_fail(e, EX_USAGE,
		    "keys, pairs and reconcile go without --link, "
		    "--incremental, --train-labels and --replace-model");
	if (shard && (o->merge || o->review != NULL))
		return crm_dd_fail(e, EX_USAGE,
		    "--merge and --review are for reconcile, not keys or "
		    "pairs");
	if ((shard || o->model_version != 0) &&
	    (o->nfields > 0 || o->nblocks > 0))
		return crm_dd_fail(e, EX_USAGE,
		    "a stored model brings its fields and blocking rules: "
		    "no --field or --block");
	if (o->replace_model &&
	    (o->incremental || o->link != NULL || o->labels != NULL))
		return crm_dd_fail(e, EX_USAGE,
		    "--replace-model is for runs that fit a model (not "
		    "--incremental, --link or --train-labels)");
	if (o->incremental &&
	    (o->labels != NULL || o->nfields > 0 || o->nblocks > 0))
		return crm_dd_fail(e, EX_USAGE,
		    "--incremental uses the store's model: its fields and "
		    "blocking rules");
	return 0;
}

/* ==== Records ==== */

/* The set holding record i, and i's place in it. */
static const struct crm_dd_recset *
set_of(const struct crm_dedupe *d, size_t *i)
{
	if (*i < d->in.n)
		return &d->in;
	*i -= d->in.n;
	return &d->ref;
}

const struct crm_rec *
crm_dd_rec(const struct crm_dedupe *d, size_t i, struct crm_rec *into)
{
	const struct crm_dd_recset *s = set_of(d, &i);

	return crm_dd_recset_get(s, i, into) == -1 ? NULL : into;
}

const char *
crm_dd_id(const struct crm_dedupe *d, size_t i, size_t *len)
{
	const struct crm_dd_recset *s = set_of(d, &i);

	return crm_dd_recset_id(s, i, len);
}

unsigned long
crm_dd_line(const struct crm_dedupe *d, size_t i)
{
	const struct crm_dd_recset *s = set_of(d, &i);

	return crm_dd_recset_line(s, i);
}

struct crm_dedupe *
crm_dedupe_new(const struct crm_dedupe_opts *o, struct crm_err *e)
{
	struct crm_dedupe *d;
	size_t i;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		crm_dd_oom(e);
		return NULL;
	}
	d->o = *o;
	crm_dd_recset_init(&d->in, o->id_field);
	crm_dd_recset_init(&d->ref, o->id_field);
	for (i = 0; i < sizeof(d->rec) / sizeof(d->rec[0]); i++) {
		if ((d->rec[i] = crm_rec_new()) == NULL) {
			crm_dd_oom(e);
			crm_dedupe_free(d);
			return NULL;
		}
	}
	crm_buf_init(&d->buf);
	crm_buf_init(&d->cidtext);
	/* a fixed model: the store's (reconcile: for the reasons) */
	if ((o->incremental || o->model_version != 0 ||
		o->mode == CRM_DEDUPE_KEYS || o->mode == CRM_DEDUPE_PAIRS ||
		(o->mode == CRM_DEDUPE_RECONCILE && o->store != NULL)) &&
	    crm_dd_load_model(d, e) == -1) {
		crm_dedupe_free(d);
		return NULL;
	}
	if (o->review != NULL && ((d->rv = crm_review_new(o->review, o->store,
				       NULL, CRM_BY_RECORD, e)) == NULL ||
				     (d->pairrec = crm_rec_new()) == NULL)) {
		if (d->rv != NULL)
			crm_dd_oom(e);
		crm_dedupe_free(d);
		return NULL;
	}
	return d;
}

void
crm_dedupe_free(struct crm_dedupe *d)
{
	size_t f;

	if (d == NULL)
		return;
	for (f = 0; f < d->nf; f++)
		free((char *)d->names[f]);
	crm_dd_recset_release(&d->in);
	crm_dd_recset_release(&d->ref);
	for (f = 0; f < sizeof(d->rec) / sizeof(d->rec[0]); f++)
		crm_rec_free(d->rec[f]);
	for (f = 0; f < d->nmrec; f++)
		crm_rec_free(d->mrec[f]);
	free(d->mrec);
	free(d->all);
	crm_linkset_free(d->ls);
	free(d->side);
	free(d->pairs);
	free(d->pat);
	if (d->have_p)
		crm_patterns_release(&d->p);
	free(d->prob);
	if (d->have_fs)
		crm_fs_release(&d->fs);
	free(d->cid);
	free(d->score);
	free(d->best);
	free(d->root);
	crm_review_free(d->rv);
	crm_persons_free(d->persons);
	free(d->lp);
	crm_rec_free(d->golden);
	crm_rec_free(d->lineage);
	crm_rec_free(d->pairrec);
	free(d->rvname);
	free(d->rvp);
	free(d->rvpair);
	free(d->blk);
	crm_buf_release(&d->buf);
	crm_buf_release(&d->cidtext);
	free(d);
}

/* The fields of a pair, besides the records', that review rules read. */
static const char *const pair_fields[] = { CRM_DEDUPE_PAIR_PROB,
	CRM_DEDUPE_PAIR_ID1, CRM_DEDUPE_PAIR_ID2 };

int
crm_dedupe_check_header(
    struct crm_dedupe *d, const struct crm_rec *hdr, struct crm_err *e)
{
	const char *f = d->o.id_field;

	if (crm_rec_find(hdr, f, strlen(f)) < 0)
		return crm_err_set(
		    e, EX_DATAERR, "no field '%s' (--id-field)", f);
	if (d->rv == NULL)
		return 0;
	d->hdr_seen = 1;
	return crm_review_check(d->rv, hdr, pair_fields,
	    sizeof(pair_fields) / sizeof(pair_fields[0]), e);
}

int
crm_dedupe_out_header(
    struct crm_dedupe *d, struct crm_rec *hdr, struct crm_err *e)
{
	int bad;

	if (d->o.mode == CRM_DEDUPE_KEYS)
		return crm_dd_keys_header(d, hdr, e);
	if (d->o.mode == CRM_DEDUPE_PAIRS) {
		crm_rec_clear(hdr);
		bad =
		    crm_rec_add(hdr, CRM_DEDUPE_BLOCK, 5, "", 0, CRM_STRING) ||
		    crm_rec_add(hdr, CRM_DEDUPE_ID1, 3, "", 0, CRM_STRING) ||
		    crm_rec_add(hdr, CRM_DEDUPE_ID2, 3, "", 0, CRM_STRING) ||
		    crm_rec_add(hdr, CRM_DEDUPE_LEVELS, 6, "", 0, CRM_STRING) ||
		    crm_rec_add(hdr, CRM_DEDUPE_PROB, 10, "", 0, CRM_STRING);
	} else if (d->o.merge)
		bad = crm_rec_put(hdr, "cluster_size", "", 0, CRM_STRING) ||
		      crm_rec_put(hdr, "source_ids", "", 0, CRM_STRING);
	else
		bad = crm_rec_put(hdr, "cluster_id", "", 0, CRM_STRING) ||
		      crm_rec_put(hdr, "match_score", "", 0, CRM_STRING);
	if (d->rv != NULL)
		bad = bad ||
		      crm_rec_put(hdr, CRM_REVIEW_FIELD, "", 0, CRM_STRING);
	return bad ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 0;
}

int
crm_dedupe_add(struct crm_dedupe *d, const struct crm_rec *r, struct crm_err *e)
{
	size_t len;

	if (crm_rec_text(r, d->o.id_field, &len) == NULL)
		return crm_err_set(
		    e, EX_DATAERR, "field '%s': no id", d->o.id_field);
	/* a JSONL record has no header: its names are checked instead */
	if (d->rv != NULL && !d->hdr_seen &&
	    crm_review_check(d->rv, r, pair_fields,
		sizeof(pair_fields) / sizeof(pair_fields[0]), e) == -1)
		return -1;
	if (crm_dd_recset_add(&d->in, r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* Read every record of fp (named path) into s; bad records end the run. */
static int
read_all(const char *path, FILE *fp, struct crm_dd_recset *s,
    const char *id_field, enum crm_format fmt, struct crm_err *e)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	size_t len;
	int rc = 0;

	crm_err_clear(e);
	if ((rd = crm_reader_open(fp, path, fmt, e)) == NULL)
		return bare(e);
	if ((r = crm_rec_new()) == NULL) {
		crm_reader_close(rd);
		return crm_dd_oom(e);
	}
	while ((rc = crm_reader_next(rd, r, e)) == 1) {
		if (crm_rec_text(r, id_field, &len) == NULL) {
			rc = crm_dd_fail(e, EX_DATAERR,
			    "%s:%lu: field '%s': no id", path, crm_rec_line(r),
			    id_field);
			break;
		}
		if (crm_dd_recset_add(s, r) == -1) {
			rc = crm_dd_oom(e);
			break;
		}
	}
	s->untyped = crm_reader_format(rd) == CRM_FMT_CSV ||
		     crm_reader_format(rd) == CRM_FMT_TSV;
	crm_rec_free(r);
	crm_reader_close(rd);
	return rc;
}

/* ==== Ids ==== */

int
crm_dd_cmp_idkey(const void *a, const void *b)
{
	const struct crm_dd_idkey *x = a, *y = b;
	int c = crm_bytes_cmp(x->id, x->len, y->id, y->len);

	return c != 0 ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The ids of records [from, to), sorted; NULL when out of memory. */
static struct crm_dd_idkey *
sorted_ids(const struct crm_dedupe *d, size_t from, size_t to)
{
	struct crm_dd_idkey *k;
	size_t i;

	if ((k = crm_reallocarray(NULL, to - from + 1, sizeof(*k))) == NULL)
		return NULL;
	for (i = from; i < to; i++) {
		k[i - from].id = crm_dd_id(d, i, &k[i - from].len);
		k[i - from].idx = i;
	}
	qsort(k, to - from, sizeof(*k), crm_dd_cmp_idkey);
	return k;
}

long
crm_dd_find_id(
    const struct crm_dd_idkey *k, size_t n, const char *id, size_t len)
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

long
crm_dd_lookup(const struct crm_dedupe *d, const char *id, size_t len)
{
	size_t lo = 0, hi = d->in.n + d->ref.n, mid, mlen;
	const char *m;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		m = crm_dd_id(d, d->all[mid], &mlen);
		c = crm_bytes_cmp(m, mlen, id, len);
		if (c == 0)
			return (long)d->all[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * d->all: the records' indices in the order of their ids (4 bytes a
 * record; the ids themselves are read from the records).
 */
static int
sort_all(struct crm_dedupe *d)
{
	size_t i, n = d->in.n + d->ref.n;
	struct crm_dd_idkey *k = NULL;

	if (n > UINT32_MAX || (k = sorted_ids(d, 0, n)) == NULL ||
	    (d->all = crm_reallocarray(NULL, n + 1, sizeof(*d->all))) == NULL) {
		free(k);
		return -1;
	}
	for (i = 0; i < n; i++)
		d->all[i] = (uint32_t)k[i].idx;
	free(k);
	return 0;
}

/* An id names one record: two records with one id are an error. */
static int
check_unique(const struct crm_dedupe *d, size_t from, size_t to,
    const char *what, struct crm_err *e)
{
	struct crm_dd_idkey *k;
	size_t i, n = to - from;
	int rc = 0;

	if ((k = sorted_ids(d, from, to)) == NULL)
		return crm_dd_oom(e);
	for (i = 1; i < n; i++) {
		if (crm_bytes_cmp(
			k[i - 1].id, k[i - 1].len, k[i].id, k[i].len) == 0) {
			rc = crm_dd_fail(e, EX_DATAERR,
			    "%s: lines %lu and %lu: field '%s': the same id "
			    "'%.*s'",
			    what, crm_dd_line(d, k[i - 1].idx),
			    crm_dd_line(d, k[i].idx), d->o.id_field,
			    (int)k[i].len, k[i].id);
			break;
		}
	}
	free(k);
	return rc;
}

/* --incremental: the store's clustered records, less those read now. */
static int
read_clustered(struct crm_dedupe *d, struct crm_err *e)
{
	struct crm_dd_recset all;
	struct crm_dd_idkey *ids;
	struct crm_customers *cs;
	struct crm_err ce;
	const char *id, *cl;
	size_t i, len;
	int rc;

	crm_dd_recset_init(&all, d->o.id_field);
	if ((ids = sorted_ids(d, 0, d->in.n)) == NULL)
		return crm_dd_oom(e);
	if ((cs = crm_customers_open(d->o.store, d->o.id_field, 1, e)) ==
	    NULL) {
		free(ids);
		return bare(e);
	}
	rc = read_all("store", crm_customers_file(cs), &all, d->o.id_field,
	    CRM_FMT_JSONL, e);
	if (rc == 0 &&
	    (d->ref.cluster = calloc(all.n + 1, sizeof(char *))) == NULL)
		rc = crm_dd_oom(e);
	for (i = 0; rc == 0 && i < all.n; i++) {
		id = crm_dd_recset_id(&all, i, &len);
		if (crm_dd_find_id(ids, d->in.n, id, len) >= 0)
			continue;
		cl = crm_customers_cluster(cs, i);
		if (crm_dd_recset_get(&all, i, d->rec[0]) == -1 ||
		    crm_dd_recset_add(&d->ref, d->rec[0]) == -1 ||
		    (d->ref.cluster[d->ref.n - 1] = strdup(cl ? cl : "")) ==
			NULL) {
			rc = crm_dd_oom(e);
			break;
		}
	}
	crm_err_clear(&ce);
	if (crm_customers_close(cs, &ce) == -1) { /* the first cause */
		*e = ce;
		rc = bare(e);
	}
	free(ids);
	crm_dd_recset_release(&all);
	return rc;
}

/* ==== Fields ==== */

static int
ignored(const struct crm_dedupe_opts *o, const char *name)
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
static int
guess_fields(struct crm_dedupe *d, const struct crm_dd_recset *s, char ***seen,
    size_t *nseen, struct crm_err *e)
{
	const char *name;
	enum crm_cmp c;
	size_t i, k, j, len;
	char **p;

	/* the shapes in the order made: the names in the order first seen */
	for (i = 0; i < s->nshapes; i++) {
		for (k = 0; k < crm_rec_count(s->shape[i]); k++) {
			name = crm_rec_name(s->shape[i], k, &len);
			for (j = 0; j < *nseen; j++) {
				if (strcmp((*seen)[j], name) == 0)
					break;
			}
			if (j < *nseen)
				continue;
			if ((p = crm_reallocarray(
				 *seen, *nseen + 1, sizeof(*p))) == NULL)
				return crm_dd_oom(e);
			*seen = p;
			if ((p[*nseen] = strdup(name)) == NULL)
				return crm_dd_oom(e);
			name = p[(*nseen)++];
			if (ignored(&d->o, name) ||
			    (c = crm_cmp_guess(name)) == CRM_CMP_IGNORE)
				continue;
			if (d->nf == CRM_LINK_MAXFIELDS)
				return crm_dd_fail(e, EX_USAGE,
				    "more than %d fields to compare: choose "
				    "with --field",
				    CRM_LINK_MAXFIELDS);
			d->names[d->nf] = name;
			d->cmp[d->nf++] = c;
		}
	}
	return 0;
}

int
crm_dd_choose_fields(struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_dedupe_opts *o = &d->o;
	char **seen = NULL;
	size_t f, nseen = 0;
	int rc = 0;

	if (d->have_fs) { /* --incremental: the model's */
		for (f = 0; f < d->fs.nf; f++) {
			d->names[f] = d->fs.name[f];
			d->cmp[f] = d->fs.cmp[f];
		}
		d->nf = d->fs.nf;
	} else if (o->nfields > 0) {
		for (f = 0; f < o->nfields; f++) {
			d->names[f] = o->field[f];
			d->cmp[f] = o->type[f] != CRM_CMP_IGNORE
					? o->type[f]
					: crm_cmp_guess(o->field[f]);
			if (d->cmp[f] == CRM_CMP_IGNORE)
				d->cmp[f] = CRM_CMP_TEXT;
		}
		d->nf = o->nfields;
	} else if (guess_fields(d, &d->in, &seen, &nseen, e) == -1 ||
		   guess_fields(d, &d->ref, &seen, &nseen, e) == -1) {
		rc = -1;
	}
	if (rc == 0 && d->nf == 0)
		rc = crm_dd_fail(e, EX_USAGE,
		    "no fields to compare besides '%s' (see --field)",
		    o->id_field);
	/* our own copies: a record's names move when its fields are added */
	for (f = 0; f < d->nf; f++) {
		if ((d->names[f] = strdup(d->names[f])) == NULL) {
			d->nf = f;
			rc = crm_dd_oom(e);
			break;
		}
	}
	if (rc == -1)
		d->nf = 0; /* names[] may point into seen */
	for (f = 0; f < nseen; f++)
		free(seen[f]);
	free(seen);
	return rc;
}

int
crm_dd_add_to_linkset(
    struct crm_dedupe *d, const struct crm_dd_recset *s, struct crm_err *e)
{
	const char *val[CRM_LINK_MAXFIELDS];
	size_t len[CRM_LINK_MAXFIELDS], i, f;
	enum crm_type t;
	long *pos, k;

	/* where each field compared is in each shape */
	if ((pos = crm_reallocarray(
		 NULL, s->nshapes * d->nf + 1, sizeof(*pos))) == NULL)
		return crm_dd_oom(e);
	for (i = 0; i < s->nshapes; i++)
		for (f = 0; f < d->nf; f++)
			pos[i * d->nf + f] = crm_rec_find(
			    s->shape[i], d->names[f], strlen(d->names[f]));
	for (i = 0; i < s->n; i++) {
		for (f = 0; f < d->nf; f++) {
			k = pos[crm_dd_recset_shape(s, i) * d->nf + f];
			val[f] = NULL;
			len[f] = 0;
			if (k >= 0) {
				val[f] = crm_dd_recset_field(
				    s, i, (size_t)k, &len[f], &t);
				if (t == CRM_NULL) {
					val[f] = NULL;
					len[f] = 0;
				}
			}
		}
		errno = 0;
		if (crm_linkset_add(d->ls, val, len) == -1) {
			free(pos);
			if (errno == EOVERFLOW)
				return crm_dd_fail(e, EX_SOFTWARE,
				    "more than 4 GiB of values to compare: "
				    "past crm-dedupe's limit (see MEMORY in "
				    "crm-dedupe(1))");
			return crm_dd_oom(e);
		}
	}
	free(pos);
	return 0;
}

/* ==== Pairs ==== */

static int
make_pairs(struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_dedupe_opts *o = &d->o;
	struct crm_pair_stats stats[CRM_LINK_MAXRULES];
	char text[256];
	size_t r, n = crm_linkset_count(d->ls);
	long np;

	crm_err_clear(e);
	if (d->have_fs) { /* --incremental: the model's own */
		memcpy(d->rules, d->fs.rule, d->fs.nrules * sizeof(*d->rules));
		d->nrules = d->fs.nrules;
	} else if (o->nblocks > 0) {
		for (r = 0; r < o->nblocks; r++) {
			if (crm_block_parse(o->block[r], d->names, d->nf,
				&d->rules[r], e) == -1) {
				bare(e);
				crm_err_field(e, "--block", 7);
				return -1;
			}
		}
		d->nrules = o->nblocks;
	} else {
		d->nrules = crm_block_defaults(
		    d->cmp, d->nf, d->rules, CRM_LINK_MAXRULES);
	}
	if (o->link != NULL || o->incremental) {
		if ((d->side = calloc(n ? n : 1, 1)) == NULL)
			return crm_dd_oom(e);
		memset(d->side + d->in.n, 1, d->ref.n);
	}
	np = crm_block_pairs(d->ls, d->rules, d->nrules, d->side,
	    o->link != NULL, (size_t)o->max_block, &d->pairs, stats,
	    &o->progress, e);
	if (np < 0)
		return bare(e);
	d->npairs = (size_t)np;
	for (r = 0; r < d->nrules; r++) {
		d->rpairs[r] = (size_t)stats[r].pairs;
		crm_block_format(&d->rules[r], d->names, text, sizeof(text));
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
		crm_warnx("%zu candidate pairs", d->npairs);
	return 0;
}

/* Pairs compared at a time, between two steps of the progress. */
#define COMPARE_CHUNK ((size_t)1 << 16)

/*
 * Compare the pairs a chunk at a time (the patterns come in the order of
 * the pairs, as in one call), each rule's apart, telling the progress
 * after each chunk.
 */
int
crm_dd_compare_pairs(struct crm_dedupe *d, struct crm_err *e)
{
	size_t at, n, k, m, r = 0, end = d->rpairs[0];

	crm_patterns_init(&d->p, d->nf);
	d->have_p = 1;
	d->pat =
	    crm_reallocarray(NULL, d->npairs ? d->npairs : 1, sizeof(*d->pat));
	if (d->pat == NULL)
		return crm_dd_oom(e);
	for (at = 0; at < d->npairs; at += n) {
		crm_progress_tell(
		    &d->o.progress, "comparing", "pairs", at, d->npairs);
		n = d->npairs - at < COMPARE_CHUNK ? d->npairs - at
						   : COMPARE_CHUNK;
		for (k = at; k < at + n; k += m) {
			while (k == end) /* rule r's pairs are done */
				end += d->rpairs[++r];
			m = (end < at + n ? end : at + n) - k;
			if (crm_compare_pairs(d->ls, d->pairs + k, m, r, &d->p,
				d->pat + k, d->o.threads, e) == -1)
				return bare(e);
		}
	}
	crm_progress_tell(
	    &d->o.progress, "comparing", "pairs", d->npairs, d->npairs);
	return 0;
}

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
note_best(struct crm_dedupe *d, size_t i, double p, size_t k)
{
	if (isnan(d->score[i]) || p > d->score[i]) {
		d->score[i] = p;
		d->best[i] = (long)k;
	}
}

/* ==== Review ==== */

/*
 * The pair's fields as seen from record i of pair k (the other: o), of
 * probability p, into d->pairrec.  0 or -1.
 */
static int
pair_rec(struct crm_dedupe *d, size_t i, size_t o, double p)
{
	const char *id, *other;
	size_t len, olen;
	char num[32];
	int n;

	id = crm_dd_id(d, i, &len);
	other = crm_dd_id(d, o, &olen);
	n = snprintf(num, sizeof(num), "%.6f", p);
	crm_rec_clear(d->pairrec);
	if (crm_rec_add(d->pairrec, CRM_DEDUPE_PAIR_PROB,
		strlen(CRM_DEDUPE_PAIR_PROB), num, (size_t)n,
		CRM_NUMBER) == -1 ||
	    crm_rec_add(d->pairrec, CRM_DEDUPE_PAIR_ID1,
		strlen(CRM_DEDUPE_PAIR_ID1), id, len, CRM_STRING) == -1 ||
	    crm_rec_add(d->pairrec, CRM_DEDUPE_PAIR_ID2,
		strlen(CRM_DEDUPE_PAIR_ID2), other, olen, CRM_STRING) == -1)
		return -1;
	return 0;
}

/*
 * The review of pair k, of probability p: the rules are evaluated over
 * the pair's fields, then its first record's (in the order read) and
 * that customer's facts, then, when none matched, the same from its
 * other record.  *name is the first matching rule's, or NULL.  0, or -1
 * with e filled: the run stops (the records are all held by now).
 */
static int
review_pair(struct crm_dedupe *d, size_t k, double p, const char **name,
    struct crm_err *e)
{
	const struct crm_pair *pr = &d->pairs[k];
	size_t side[2], s, len, olen;
	struct crm_rules_src src[2];
	const char *id, *other;
	int rc;

	side[0] = pr->i < pr->j ? pr->i : pr->j;
	side[1] = pr->i < pr->j ? pr->j : pr->i;
	*name = NULL;
	for (s = 0; s < 2 && *name == NULL; s++) {
		if (pair_rec(d, side[s], side[1 - s], p) == -1)
			return crm_dd_oom(e);
		src[0].rec = d->pairrec;
		src[0].untyped = 0;
		if ((src[1].rec = crm_dd_rec(d, side[s], d->rec[0])) == NULL)
			return crm_dd_oom(e);
		src[1].untyped = side[s] < d->in.n ? d->in.untyped
						   : d->ref.untyped;
		id = crm_dd_id(d, side[s], &len);
		crm_err_clear(e);
		if ((rc = crm_review_eval(d->rv, src, 2, id, len, name, e)) <
		    0) {
			other = crm_dd_id(d, side[1 - s], &olen);
			return crm_dd_fail(e,
			    rc == CRM_RULES_LIMIT ? e->code : EX_DATAERR,
			    "%s: the review of the pair '%.*s', '%.*s': %s",
			    crm_review_path(d->rv), (int)len, id, (int)olen,
			    other, e->msg);
		}
	}
	return 0;
}

/* Record i needs the review name for link k of probability p. */
static void
mark(struct crm_dedupe *d, size_t i, const char *name, double p, size_t k)
{
	if (d->rvname[i] == NULL || p > d->rvp[i]) {
		d->rvname[i] = name;
		d->rvp[i] = p;
		d->rvpair[i] = (long)k;
	}
}

/*
 * Whether link k of probability p is held for review: 1 when a rule
 * matched it and the run does not act on reviews (its records marked
 * either way), 0 when it is used, -1 with e filled.
 */
static int
held(struct crm_dedupe *d, size_t k, double p, struct crm_err *e)
{
	const char *name;

	/* two of the store's records: a link that joins nothing new */
	if (d->rv == NULL ||
	    (d->pairs[k].i >= d->in.n && d->pairs[k].j >= d->in.n))
		return 0;
	if (review_pair(d, k, p, &name, e) == -1)
		return -1;
	if (name == NULL)
		return 0;
	mark(d, d->pairs[k].i, name, p, k);
	mark(d, d->pairs[k].j, name, p, k);
	if (d->o.act_on_review)
		return 0;
	d->held++;
	return 1;
}

/* ==== Links and clusters ==== */

/* --link: each record's best match in the other set. */
static int
link_best(struct crm_dedupe *d, struct crm_err *e)
{
	size_t k, a, b;
	double p;
	int h;

	for (k = 0; k < d->npairs; k++) {
		p = d->prob[d->pat[k]];
		if (p < d->o.threshold)
			continue;
		d->links++;
		if ((h = held(d, k, p, e)) != 0) {
			if (h == -1)
				return -1;
			continue;
		}
		a = d->pairs[k].i;
		b = d->pairs[k].j;
		if (a >= d->in.n) { /* a is in FILE */
			size_t t = a;

			a = b;
			b = t;
		}
		if (isnan(d->score[a]) || p > d->score[a]) {
			note_best(d, a, p, k);
			d->cid[a].p = crm_dd_id(d, b, &d->cid[a].len);
		}
	}
	for (a = 0; a < d->in.n; a++) {
		if (d->cid[a].p == NULL)
			d->cid[a].p = crm_dd_id(d, a, &d->cid[a].len);
		else
			d->in_clusters++;
	}
	return 0;
}

/*
 * The store's clusters as they are: the records of one cluster joined,
 * in order of their ids, each to the first record it may join: a
 * cluster a cannot-link pair divides is split there.
 */
static int
join_store_clusters(struct crm_dedupe *d, struct crm_cuf *c)
{
	struct crm_dd_idkey *byc;
	size_t i, j, k, q;

	if ((byc = crm_reallocarray(NULL, d->ref.n + 1, sizeof(*byc))) == NULL)
		return -1;
	for (i = 0; i < d->ref.n; i++) {
		byc[i].id = d->ref.cluster[i];
		byc[i].len = strlen(byc[i].id);
		byc[i].idx = d->in.n + i;
	}
	qsort(byc, d->ref.n, sizeof(*byc), crm_dd_cmp_idkey);
	for (i = 0; i < d->ref.n; i = j) {
		for (j = i; j < d->ref.n && strcmp(byc[j].id, byc[i].id) == 0;
		     j++)
			;
		for (k = i + 1; k < j; k++)
			for (q = i; q < k; q++)
				if (crm_cuf_union(c, (uint32_t)byc[q].idx,
					(uint32_t)byc[k].idx, 0) >= 0)
					break;
	}
	free(byc);
	return 0;
}

/*
 * Union-find over the links, strongest first, so that when the cap on a
 * cluster's size refuses a link the cluster keeps its best members.
 * With link labels (a store) no link ever puts a cannot-link pair in one
 * cluster, and the must-link pairs are joined first.  With --incremental
 * the store's clusters are joined first (a link may then merge two).
 * The canonical record of a cluster: the least id (with a store, the
 * persons' id: crm_dd_persons()).
 */
static int
cluster(struct crm_dedupe *d, struct crm_err *e)
{
	size_t n = d->in.n + d->ref.n, nl = 0, k, i;
	struct crm_dd_str *canon = NULL, id;
	unsigned char *seen = NULL;
	struct link *links;
	struct crm_cuf cuf;
	uint32_t a;
	size_t m;
	int r, rc = -1;

	if ((links = crm_reallocarray(NULL, d->npairs + 1, sizeof(*links))) ==
	    NULL)
		return crm_dd_oom(e);
	if (crm_cuf_init(&cuf, n) == -1) {
		free(links);
		return crm_dd_oom(e);
	}
	if ((canon = calloc(n + 1, sizeof(*canon))) == NULL ||
	    (seen = calloc(n + 1, 1)) == NULL)
		goto out;
	for (k = 0; k < d->npairs; k++) {
		if (d->prob[d->pat[k]] >= d->o.threshold) {
			links[nl].p = d->prob[d->pat[k]];
			links[nl++].k = k;
		}
	}
	d->links = nl;
	qsort(links, nl, sizeof(*links), cmp_link);
	/* the links a review rule holds join nothing */
	for (k = 0, m = 0; k < nl; k++) {
		if ((r = held(d, links[k].k, links[k].p, e)) == -1) {
			rc = -2; /* e is the review's */
			goto out;
		}
		if (r == 0)
			links[m++] = links[k];
	}
	nl = m;
	if (crm_dd_cannot(d, &cuf) == -1 ||
	    (d->ref.n > 0 && join_store_clusters(d, &cuf) == -1))
		goto out;
	crm_dd_must(d, &cuf);
	for (k = 0; k < nl; k++) {
		const struct crm_pair *pr = &d->pairs[links[k].k];

		r = crm_cuf_union(&cuf, pr->i, pr->j, (size_t)d->o.max_cluster);
		if (r == CRM_CUF_CAP || r == CRM_CUF_CANNOT) {
			if (r == CRM_CUF_CAP)
				d->refused++;
			else
				d->cannot++;
			continue;
		}
		note_best(d, pr->i, links[k].p, links[k].k);
		note_best(d, pr->j, links[k].p, links[k].k);
	}
	for (i = 0; i < n; i++) {
		a = crm_cuf_find(&cuf, (uint32_t)i);
		id.p = crm_dd_id(d, i, &id.len);
		if (canon[a].p == NULL ||
		    crm_bytes_cmp(id.p, id.len, canon[a].p, canon[a].len) < 0)
			canon[a] = id;
	}
	for (i = 0; i < n; i++) {
		a = crm_cuf_find(&cuf, (uint32_t)i);
		d->root[i] = a;
		if (i >= d->in.n)
			continue;
		d->cid[i] = canon[a];
		if (cuf.uf.size[a] > 1)
			d->in_clusters++;
		if (cuf.uf.size[a] > 1 && !seen[a]) {
			d->clusters++; /* counted once, by its root */
			seen[a] = 1;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		crm_dd_oom(e);
	free(links);
	free(canon);
	free(seen);
	crm_cuf_release(&cuf);
	return rc < 0 ? -1 : 0;
}

/*
 * Copy the cluster ids apart: they point into records (the canonical
 * ones) that change when the output fields are added.
 */
static int
keep_cids(struct crm_dedupe *d, struct crm_err *e)
{
	size_t i, *off, n = d->in.n + (d->persons ? d->ref.n : 0);

	if ((off = calloc(n + 1, sizeof(*off))) == NULL)
		return crm_dd_oom(e);
	for (i = 0; i < n; i++) {
		off[i] = d->cidtext.len;
		if (crm_buf_add(&d->cidtext, d->cid[i].p, d->cid[i].len) ==
			-1 ||
		    crm_buf_addc(&d->cidtext, '\0') == -1) {
			free(off);
			return crm_dd_oom(e);
		}
	}
	for (i = 0; i < n; i++)
		d->cid[i].p = d->cidtext.p + off[i];
	free(off);
	return 0;
}

/* ==== Output ==== */

/*
 * Each record with the fields the run adds, in a copy: the held record
 * keeps its fields (growing each one's field array would hold twice the
 * records' memory at the end of a large run).
 */
static int
write_plain(
    struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg, struct crm_err *e)
{
	char num[32];
	struct crm_rec *r;
	size_t i;
	int rc = 0;

	if ((r = crm_rec_new()) == NULL)
		return crm_dd_oom(e);
	for (i = 0; i < d->in.n && rc == 0; i++) {
		if (crm_dd_recset_get(&d->in, i, r) == -1 ||
		    crm_rec_put(r, "cluster_id", d->cid[i].p, d->cid[i].len,
			CRM_STRING) == -1) {
			rc = crm_dd_oom(e);
			break;
		}
		if (isnan(d->score[i]))
			rc = crm_rec_put(r, "match_score", "", 0, CRM_NULL);
		else {
			snprintf(num, sizeof(num), "%.4f", d->score[i]);
			rc = crm_rec_put(
			    r, "match_score", num, strlen(num), CRM_NUMBER);
		}
		if (rc == 0 && d->rv != NULL)
			rc = crm_rec_put(r, CRM_REVIEW_FIELD,
			    d->rvname[i] ? d->rvname[i] : "",
			    d->rvname[i] ? strlen(d->rvname[i]) : 0,
			    d->rvname[i] ? CRM_STRING : CRM_NULL);
		if (rc == -1) {
			crm_dd_oom(e);
			break;
		}
		rc = emit(arg, r, e);
	}
	crm_rec_free(r);
	return rc;
}

/* ==== The run ==== */

/* The second set of records: --link's file or the store's clusters. */
static int
read_ref(struct crm_dedupe *d, struct crm_err *e)
{
	const char *path = d->o.link;
	FILE *fp;
	int rc;

	if (path != NULL) {
		if ((fp = fopen(path, "r")) == NULL)
			return crm_dd_fail(e, EX_NOINPUT,
			    "cannot open '%s': %s", path, strerror(errno));
		rc = read_all(
		    path, fp, &d->ref, d->o.id_field, d->o.link_fmt, e);
		fclose(fp);
		return rc;
	}
	if (d->o.incremental)
		return read_clustered(d, e);
	return 0;
}

/* Everything up to the output: ids, fields, pairs, scores, clusters. */
static int
link_or_cluster(struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_dedupe_opts *o = &d->o;
	size_t i, n;

	if (check_unique(d, 0, d->in.n, o->input_name, e) == -1 ||
	    read_ref(d, e) == -1)
		return -1;
	if (d->ref.n > 0 && check_unique(d, d->in.n, d->in.n + d->ref.n,
				o->link != NULL ? o->link : "store", e) == -1)
		return -1;
	if (d->in.n + d->ref.n > CRM_LINK_MAXRECS)
		return crm_dd_fail(e, EX_SOFTWARE,
		    "%zu records: more than crm-dedupe's limit of %zu (see "
		    "MEMORY in crm-dedupe(1))",
		    d->in.n + d->ref.n, CRM_LINK_MAXRECS);
	if (sort_all(d) == -1)
		return crm_dd_oom(e);
	/* reconcile without a model: the pairs files say how many fields */
	if ((o->mode != CRM_DEDUPE_RECONCILE || d->have_fs) &&
	    crm_dd_choose_fields(d, e) == -1)
		return -1;
	if (o->store != NULL && o->link == NULL &&
	    crm_dd_persons_begin(d, e) == -1)
		return bare(e);
	if (o->mode != CRM_DEDUPE_RECONCILE &&
	    (d->ls = crm_linkset_new(d->cmp, d->nf, o->region)) == NULL)
		return crm_dd_oom(e);
	if (o->mode == CRM_DEDUPE_RECONCILE) {
		if (crm_dd_read_pairs(d, e) == -1)
			return -1;
	} else if (crm_dd_add_to_linkset(d, &d->in, e) == -1 ||
		   crm_dd_add_to_linkset(d, &d->ref, e) == -1 ||
		   make_pairs(d, e) == -1 || crm_dd_compare_pairs(d, e) == -1 ||
		   crm_dd_score(d, e) == -1)
		return -1;
	/* the values compared are not needed past the scores */
	crm_linkset_free(d->ls);
	d->ls = NULL;
	n = d->in.n + d->ref.n + 1;
	if ((d->cid = calloc(n, sizeof(*d->cid))) == NULL ||
	    (d->score = malloc(n * sizeof(*d->score))) == NULL ||
	    (d->best = malloc(n * sizeof(*d->best))) == NULL ||
	    (d->root = calloc(n, sizeof(*d->root))) == NULL)
		return crm_dd_oom(e);
	if (d->rv != NULL &&
	    ((d->rvname = calloc(n, sizeof(*d->rvname))) == NULL ||
		(d->rvp = calloc(n, sizeof(*d->rvp))) == NULL ||
		(d->rvpair = calloc(n, sizeof(*d->rvpair))) == NULL))
		return crm_dd_oom(e);
	for (i = 0; i < n; i++) {
		d->score[i] = NAN;
		d->best[i] = -1;
	}
	if ((o->link != NULL ? link_best(d, e) : cluster(d, e)) == -1)
		return -1;
	if (d->persons != NULL && crm_dd_persons(d, e) == -1)
		return bare(e);
	for (i = 0; d->rv != NULL && i < d->in.n; i++)
		d->reviewed += d->rvname[i] != NULL;
	if (d->refused > 0 && !o->quiet)
		crm_warnx("%llu links refused: they would have made a "
			  "cluster of more than %ld records (--max-cluster)",
		    d->refused, o->max_cluster);
	if (d->cannot > 0 && !o->quiet)
		crm_warnx("%llu links refused: they would have joined a "
			  "cannot-link pair (link_labels)",
		    d->cannot);
	return keep_cids(d, e);
}

int
crm_dedupe_run(
    struct crm_dedupe *d, crm_dedupe_emit_fn emit, void *arg, struct crm_err *e)
{
	if (d->o.mode == CRM_DEDUPE_KEYS)
		return 0; /* written as read */
	if (d->o.mode == CRM_DEDUPE_PAIRS)
		return crm_dd_pairs_run(d, emit, arg, e);
	if (d->in.n == 0)
		return 0;
	if (link_or_cluster(d, e) == -1)
		return -1;
	d->clustered = 1;
	if ((d->o.merge ? crm_dd_write_merged(d, emit, arg, e)
			: write_plain(d, emit, arg, e)) == -1)
		return -1;
	return d->o.store != NULL ? crm_dd_store(d, e) : 0;
}

void
crm_dedupe_stats(const struct crm_dedupe *d, struct crm_dedupe_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->records = d->in.n;
	s->pairs = d->npairs;
	s->links = d->links;
	s->refused = d->refused;
	s->clusters = d->clusters;
	s->in_clusters = d->in_clusters;
	s->held = d->held;
	s->reviewed = d->reviewed;
	s->clustered = d->clustered;
	if (d->persons != NULL) {
		struct crm_persons_stats ps;

		crm_persons_stats(d->persons, &ps);
		s->persons = 1;
		s->created = ps.created;
		s->merged = ps.merged;
		s->split = ps.split;
		s->updated = ps.updated;
	}
	s->labels = d->nlp;
	s->cannot = d->cannot;
	s->keys = d->keys;
}

void
crm_dedupe_set_filter(struct crm_dedupe *d, struct crm_filter *f)
{
	d->filter = f;
}

/* ==== As a filter ==== */

static int
ops_check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	return crm_dedupe_check_header(arg, hdr, e);
}

static int
ops_out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	return crm_dedupe_out_header(arg, hdr, e);
}

static int
ops_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_dedupe *d = arg;
	int rc;

	*drop = 1;
	rc = d->o.mode == CRM_DEDUPE_KEYS    ? crm_dd_keys_record(d, r, e)
	     : d->o.mode == CRM_DEDUPE_PAIRS ? crm_dd_pairs_add(d, r, e)
					     : crm_dedupe_add(d, r, e);
	if (rc == -1)
		return e->code == EX_DATAERR ? -1 : CRM_FILTER_FATAL;
	return 0;
}

static int
ops_emit(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(arg, r, e);
}

static int
ops_finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct crm_dedupe *d = arg;

	d->partial = crm_filter_partial(f);
	d->in.untyped = crm_filter_format(f) == CRM_FMT_CSV ||
			crm_filter_format(f) == CRM_FMT_TSV;
	return crm_dedupe_run(arg, ops_emit, f, e);
}

/* The fields the options name, each checked against every input. */
static int
ops_needs(void *arg, struct crm_filter *f)
{
	const struct crm_dedupe_opts *o = &((struct crm_dedupe *)arg)->o;
	size_t i;

	if (crm_filter_need(f, o->id_field, "--id-field", CRM_NEED_EVERY) == -1)
		return -1;
	if (o->mode == CRM_DEDUPE_PAIRS &&
	    crm_filter_need(
		f, CRM_DEDUPE_BLOCK, "crm-dedupe keys", CRM_NEED_EVERY) == -1)
		return -1;
	for (i = 0; i < o->nfields; i++)
		if (crm_filter_need(f, o->field[i], "--field", 0) == -1)
			return -1;
	for (i = 0; i < o->nignore; i++)
		if (crm_filter_need(f, o->ignore[i], "--ignore", 0) == -1)
			return -1;
	if (o->time_field != NULL &&
	    crm_filter_need(f, o->time_field, "--time-field", 0) == -1)
		return -1;
	return 0;
}

const struct crm_filter_ops *
crm_dedupe_ops(void)
{
	static const struct crm_filter_ops ops = { ops_check_header,
		ops_out_header, ops_record, NULL, ops_finish, ops_needs };

	return &ops;
}
