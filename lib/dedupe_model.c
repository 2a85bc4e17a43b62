/*
 * dedupe_model: the probability that each pattern of levels is a match
 * (the Fellegi-Sunter model fitted by EM, the store's newest model, or
 * an SVM trained on labelled pairs), and what a run writes to the store:
 * the model, each record's cluster and each link's reasons.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "audit.h"
#include "binclf.h"
#include "cli.h"
#include "clusters.h"
#include "dedupe_int.h"
#include "jw.h"
#include "model.h"
#include "tabular.h"

/* ==== The store's model ==== */

/* The newest Fellegi-Sunter model of the store, for --incremental. */
int
crm_dd_load_model(struct crm_dedupe *d, struct crm_err *e)
{
	const char *db = crm_store_path(d->o.store);
	struct crm_buf blob;
	int found, rc = 0;

	crm_err_clear(e);
	crm_buf_init(&blob);
	found = crm_model_find(d->o.store, NULL, "dedupe", d->o.model_version,
	    "fellegi-sunter", &blob, &d->version, NULL, e);
	if (found == -1)
		rc = crm_dd_fail(e, e->code, "%s", e->msg);
	else if (found == 0)
		rc = crm_dd_fail(e, EX_NOINPUT,
		    "no dedupe model in %s: run crm-dedupe --db once without "
		    "--incremental",
		    db);
	else if (crm_fs_load(&d->fs, blob.p, blob.len, e) == -1)
		rc = crm_dd_fail(e, e->code, "%s: %s", db, e->msg);
	else
		d->have_fs = d->fixed = 1;
	crm_buf_release(&blob);
	return rc;
}

static int
print_model(const struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_fs *fs = &d->fs;
	char text[256];
	struct crm_buf b;
	size_t f, r;
	int l;

	if (!fs->joint)
		crm_warnx("EM: %d iterations, %zu patterns, match share %.4f",
		    fs->iterations, d->p.n, fs->all.lambda);
	else
		crm_warnx("EM: %d iterations, %zu patterns, match share %.4f, "
			  "related share %.4f (%s)",
		    fs->iterations, d->p.n, fs->all.lambda, fs->all.eta,
		    fs->all.eta == 0 ? "two classes"
		    : fs->same	     ? "one person another way"
				     : "other persons");
	crm_buf_init(&b);
	for (f = 0; f < fs->nf; f++) {
		crm_buf_reset(&b);
		for (l = fs->nlev[f] - 1; l >= 0; l--) {
			if (crm_buf_addf(&b, " %+.2f",
				crm_fs_weight(fs, &fs->all, f, l)) == -1) {
				crm_buf_release(&b);
				return crm_dd_oom(e);
			}
		}
		crm_warnx("field %s (%s): weights exact..disagree%s",
		    fs->name[f], crm_cmp_name(fs->cmp[f]), b.p);
	}
	for (r = 0; r < fs->nrules; r++) {
		crm_block_format(&fs->rule[r], d->names, text, sizeof(text));
		if (fs->joint)
			crm_warnx("block %s: match share %.4f, related %.4f "
				  "of %llu pairs",
			    text, fs->part[r].lambda, fs->part[r].eta,
			    (unsigned long long)fs->part[r].pairs);
		else
			crm_warnx("block %s: match share %.4f of %llu pairs",
			    text, fs->part[r].lambda,
			    (unsigned long long)fs->part[r].pairs);
	}
	crm_buf_release(&b);
	return 0;
}

/* Whether rules a and b (of fields named alike) are one rule. */
static int
same_rule(const struct crm_block_rule *a, const struct crm_block_rule *b)
{
	size_t k;

	if (a->nkeys != b->nkeys)
		return 0;
	for (k = 0; k < a->nkeys; k++)
		if (a->key[k].field != b->key[k].field ||
		    a->key[k].part != b->key[k].part ||
		    a->key[k].soundex != b->key[k].soundex)
			return 0;
	return 1;
}

/*
 * Why fs does not fit this run: NULL when it compares this run's fields
 * the same way, by the same blocking rules.
 */
static const char *
misfit(const struct crm_dedupe *d, const struct crm_fs *fs)
{
	size_t f;

	if (fs->nf != d->nf)
		return "as it compares other fields";
	for (f = 0; f < d->nf; f++)
		if (strcmp(fs->name[f], d->names[f]) != 0 ||
		    fs->cmp[f] != d->cmp[f])
			return "as it compares other fields";
	if (fs->nrules != d->nrules)
		return "as it blocks by other rules";
	for (f = 0; f < d->nrules; f++)
		if (!same_rule(&fs->rule[f], &d->rules[f]))
			return "as it blocks by other rules";
	return NULL;
}

/*
 * Before EM: when the store has a model and this run has too few pairs
 * to replace it (CRM_DEDUPE_MIN_PAIRS), keep it, and use it when it
 * compares this run's fields by this run's rules; one line on stderr
 * says which.  0, or -1 with e filled.
 */
static int
keep_stored(struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_dedupe_opts *o = &d->o;
	unsigned long long n = d->npairs;
	struct crm_model_info info;
	struct crm_buf blob;
	struct crm_fs fs;
	const char *own = "but fitted this run's own, as it does not load";
	const char *unfit;
	char why[96], pairs[32], other[96];
	long version;
	int found;

	if (o->store == NULL || o->replace_model || o->link != NULL ||
	    o->incremental)
		return 0;
	if ((found = crm_model_info(
		 o->store, "dedupe", 0, "fellegi-sunter", &info, e)) != 1)
		return found;
	if (n < CRM_DEDUPE_MIN_PAIRS &&
	    (info.pairs < 0 || n < (unsigned long long)info.pairs))
		snprintf(
		    why, sizeof(why), "fewer than %d", CRM_DEDUPE_MIN_PAIRS);
	else if (info.pairs >= 0 && n * 10 < (unsigned long long)info.pairs)
		snprintf(why, sizeof(why), "under a tenth of those");
	else
		return 0;
	d->kept = 1;
	crm_buf_init(&blob);
	found = crm_model_get(o->store, "dedupe", info.version,
	    "fellegi-sunter", &blob, &version, e);
	if (found == 1 && crm_fs_load(&fs, blob.p, blob.len, e) == 0) {
		if ((unfit = misfit(d, &fs)) == NULL) {
			d->fs = fs;
			d->have_fs = 1;
			d->version = version;
		} else {
			crm_fs_release(&fs);
			snprintf(other, sizeof(other),
			    "but fitted this run's own, %s", unfit);
			own = other;
		}
	}
	crm_buf_release(&blob);
	if (found == -1)
		return -1;
	crm_err_clear(e); /* a model that does not load is not used */
	if (o->quiet)
		return 0;
	snprintf(
	    pairs, sizeof(pairs), info.pairs >= 0 ? "%lld" : "?", info.pairs);
	crm_warnx("kept the store's dedupe model version %ld (fitted on %s "
		  "candidate pairs) %s: this run has %llu, %s "
		  "(--replace-model replaces it)",
	    info.version, pairs, d->have_fs ? "and used it" : own, n, why);
	return 0;
}

/* The probability of each pattern: from labels, the store or EM. */
int
crm_dd_score(struct crm_dedupe *d, struct crm_err *e)
{
	size_t k;

	if ((d->prob = calloc(d->p.n ? d->p.n : 1, sizeof(*d->prob))) == NULL)
		return crm_dd_oom(e);
	if (d->o.labels != NULL || crm_dd_stored_labels_train(d))
		return crm_dd_train_labels(d, e);
	if (!d->have_fs && keep_stored(d, e) == -1)
		return -1;
	if (!d->have_fs) {
		if (crm_fs_init(&d->fs, d->names, d->cmp, d->nf) == -1)
			return crm_dd_oom(e);
		d->have_fs = 1;
		d->fs.progress = d->o.progress;
		crm_fs_sample_u(&d->fs, d->ls, 200000, d->o.seed);
		d->fs.records = crm_linkset_count(d->ls);
		crm_fs_train(&d->fs, &d->p, d->rules, d->nrules, 1000, 1e-6);
	}
	if (d->o.verbose && print_model(d, e) == -1)
		return -1;
	for (k = 0; k < d->p.n; k++)
		d->prob[k] =
		    crm_fs_prob(&d->fs, d->p.rule[k], d->p.lev + k * d->nf);
	return 0;
}

/* ==== The supervised model ==== */

/* The levels lev as a record of categories, one field each. */
static int
levels_rec(const struct crm_dedupe *d, const int8_t *lev, struct crm_rec *r)
{
	char v[8];
	size_t f;

	crm_rec_clear(r);
	for (f = 0; f < d->nf; f++) {
		if (lev[f] < 0)
			snprintf(v, sizeof(v), "missing");
		else
			snprintf(v, sizeof(v), "%d", lev[f]);
		if (crm_rec_add(r, d->names[f], strlen(d->names[f]), v,
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

/* What training reads and makes, freed in one place. */
struct train {
	FILE *fp;
	struct crm_reader *rd;
	struct crm_rec *r, *lr;
	struct crm_tab *t;
	struct crm_binclf *m;
	int *y;
	size_t n, cap, pos;
	double *x;
};

/* The pair of records i, j: its levels into the table, c into y. */
static int
add_pair(struct crm_dedupe *d, struct train *tr, size_t i, size_t j, int c,
    struct crm_err *e)
{
	int lev[CRM_LINK_MAXFIELDS], *yy;
	int8_t l8[CRM_LINK_MAXFIELDS];
	size_t f;

	crm_linkset_compare(d->ls, i, j, lev);
	for (f = 0; f < d->nf; f++)
		l8[f] = (int8_t)lev[f];
	if (levels_rec(d, l8, tr->lr) == -1 || crm_tab_add(tr->t, tr->lr) == -1)
		return crm_dd_oom(e);
	if (tr->n == tr->cap) {
		size_t cap = tr->cap ? tr->cap * 2 : 256;

		if ((yy = crm_reallocarray(tr->y, cap, sizeof(*yy))) == NULL)
			return crm_dd_oom(e);
		tr->y = yy;
		tr->cap = cap;
	}
	tr->pos += (size_t)c;
	tr->y[tr->n++] = c;
	return 0;
}

/* One labelled pair r of the file: as add_pair, and kept (a store). */
static int
add_label(struct crm_dedupe *d, struct train *tr, struct crm_err *e)
{
	static const char *const need[] = { "id1", "id2", "match" };
	const char *path = d->o.labels, *v;
	struct crm_rec *r = tr->r;
	long at[3], idx[2];
	size_t k, len;
	int c;

	for (k = 0; k < 3; k++) {
		at[k] = crm_rec_find(r, need[k], strlen(need[k]));
		if (at[k] < 0)
			return crm_dd_fail(e, EX_DATAERR,
			    "%s:%lu: no field '%s'", path, crm_rec_line(r),
			    need[k]);
	}
	for (k = 0; k < 2; k++) {
		v = crm_rec_value(r, (size_t)at[k], &len);
		idx[k] = crm_dd_lookup(d, v, len);
		if (idx[k] < 0)
			return crm_dd_fail(e, EX_DATAERR,
			    "%s:%lu: field '%s': no record '%.*s'", path,
			    crm_rec_line(r), need[k], (int)len, v);
	}
	v = crm_rec_value(r, (size_t)at[2], &len);
	if ((c = parse_match(v, len)) == -1)
		return crm_dd_fail(e, EX_DATAERR,
		    "%s:%lu: field 'match': want 1 or 0, not '%.*s'", path,
		    crm_rec_line(r), (int)len, v);
	if (add_pair(d, tr, (size_t)idx[0], (size_t)idx[1], c, e) == -1)
		return -1;
	return crm_dd_note_label(d, (size_t)idx[0], (size_t)idx[1], c, e);
}

/* The labelled pairs of the file into tr. */
static int
read_labels(struct crm_dedupe *d, struct train *tr, struct crm_err *e)
{
	const char *path = d->o.labels;
	int rc;

	if ((tr->fp = fopen(path, "r")) == NULL)
		return crm_dd_fail(e, EX_NOINPUT, "cannot open '%s': %s", path,
		    strerror(errno));
	if ((tr->rd = crm_reader_open(tr->fp, path, CRM_FMT_AUTO, e)) == NULL)
		return crm_dd_fail(e, e->code, "%s", e->msg);
	while ((rc = crm_reader_next(tr->rd, tr->r, e)) != 0) {
		if (rc == -1 || add_label(d, tr, e) == -1)
			return -1;
	}
	return 0;
}

/*
 * Read the labelled pairs (the file's, else the store's link labels of
 * this run's records) and train the SVM on their levels.
 */
static int
train(struct crm_dedupe *d, struct train *tr, struct crm_err *e)
{
	const char *path = d->o.labels ? d->o.labels : "link_labels";
	struct crm_binclf_params bp = { CRM_ALGO_SVM, 1, 1, { 0, 0 }, 0 };
	size_t f;

	if ((tr->t = crm_tab_new()) == NULL ||
	    (tr->r = crm_rec_new()) == NULL || (tr->lr = crm_rec_new()) == NULL)
		return crm_dd_oom(e);
	for (f = 0; f < d->nf; f++) {
		if (crm_tab_set_type(tr->t, d->names[f], CRM_COL_CATEGORICAL) ==
		    -1)
			return crm_dd_oom(e);
	}
	if (d->o.labels != NULL && read_labels(d, tr, e) == -1)
		return -1;
	for (f = 0; d->o.labels == NULL && f < d->nstored; f++)
		if (add_pair(d, tr, d->lp[f].i, d->lp[f].j, d->lp[f].must, e) ==
		    -1)
			return -1;
	if (tr->pos == 0 || tr->pos == tr->n)
		return crm_dd_fail(e, EX_DATAERR,
		    "%s: want matches and non-matches, not %s", path,
		    tr->n == 0 ? "nothing"
		    : tr->pos  ? "only matches"
			       : "only non-matches");
	if (crm_tab_fit(tr->t, e) == -1)
		return crm_dd_fail(e, e->code, "%s: %s", path, e->msg);
	tr->m = crm_binclf_train(tr->t, tr->y, tr->n, &bp, e);
	tr->t = NULL; /* the model's, also on failure */
	if (tr->m == NULL)
		return crm_dd_fail(e, e->code, "%s: %s", path, e->msg);
	return 0;
}

/*
 * Learn P(match) of each pattern from labelled pairs (fields id1, id2,
 * match) with libsvm's RBF SVM over the levels as categories.
 */
int
crm_dd_train_labels(struct crm_dedupe *d, struct crm_err *e)
{
	struct train tr;
	size_t k;
	int rc;

	memset(&tr, 0, sizeof(tr));
	crm_err_clear(e);
	rc = train(d, &tr, e);
	if (rc == 0 && (tr.x = calloc(crm_tab_width(crm_binclf_tab(tr.m)),
			    sizeof(*tr.x))) == NULL)
		rc = crm_dd_oom(e);
	for (k = 0; rc == 0 && k < d->p.n; k++) {
		if (levels_rec(d, d->p.lev + k * d->nf, tr.lr) == -1 ||
		    crm_tab_encode(crm_binclf_tab(tr.m), tr.lr, 0, tr.x, e) ==
			-1)
			rc = crm_dd_oom(e);
		else
			d->prob[k] = crm_binclf_prob(tr.m, tr.x);
	}
	if (rc == 0 && !d->o.quiet)
		crm_warnx("learned from %zu labelled pairs (%zu matches)%s",
		    tr.n, tr.pos,
		    d->o.labels ? "" : " of the store's link_labels, not EM");
	d->svm = rc == 0;
	if (tr.rd != NULL)
		crm_reader_close(tr.rd);
	if (tr.fp != NULL)
		fclose(tr.fp);
	free(tr.x);
	free(tr.y);
	crm_rec_free(tr.r);
	crm_rec_free(tr.lr);
	crm_binclf_free(tr.m);
	crm_tab_free(tr.t);
	return rc;
}

/* ==== The store ==== */

/* The field weights of pair k's pattern, as JSON, strongest first. */
static int
reasons(struct crm_dedupe *d, size_t k, struct crm_buf *b)
{
	const int8_t *lev = d->p.lev + d->pat[k] * d->nf;
	const struct crm_fs_part *part =
	    d->have_fs ? crm_fs_part(&d->fs, d->p.rule[d->pat[k]]) : NULL;
	double w8[CRM_LINK_MAXFIELDS];
	struct crm_jw w;
	size_t order[CRM_LINK_MAXFIELDS], f, g, n = 0, t;

	for (f = 0; f < d->nf; f++) {
		if (lev[f] < 0)
			continue;
		w8[f] = d->have_fs ? crm_fs_weight(&d->fs, part, f, lev[f]) : 0;
		order[n++] = f;
	}
	for (f = 1; f < n; f++) { /* insertion sort: a handful */
		for (g = f; g > 0 && w8[order[g]] > w8[order[g - 1]]; g--) {
			t = order[g];
			order[g] = order[g - 1];
			order[g - 1] = t;
		}
	}
	crm_buf_reset(b);
	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	for (f = 0; f < n; f++) {
		crm_jw_key(&w, d->names[order[f]]);
		if (d->have_fs)
			crm_jw_num(&w, "%.2f", w8[order[f]]);
		else
			crm_jw_int(&w, lev[order[f]]);
	}
	crm_jw_end(&w);
	return crm_jw_done(&w);
}

/* A new version of the Fellegi-Sunter model, with what made it. */
static int
save_model(struct crm_dedupe *d, struct crm_err *e)
{
	struct crm_buf blob, params, metrics;
	struct crm_model_input in;
	struct crm_jw pw, mw;
	char text[256];
	size_t f;
	int rc = 0;

	crm_model_input_init(&in);
	for (f = 0; f < d->in.n; f++) {
		if (crm_dd_recset_get(&d->in, f, d->rec[0]) == -1) {
			crm_model_input_release(&in);
			return crm_dd_oom(e);
		}
		crm_model_input_add(&in, d->rec[0]);
	}

	crm_buf_init(&blob);
	crm_buf_init(&params);
	crm_buf_init(&metrics);
	crm_jw_init(&pw, &params);
	crm_jw_obj(&pw);
	crm_jw_key(&pw, "fields");
	crm_jw_obj(&pw);
	for (f = 0; f < d->nf; f++) {
		crm_jw_key(&pw, d->names[f]);
		crm_jw_str(&pw, crm_cmp_name(d->cmp[f]));
	}
	crm_jw_end(&pw);
	crm_jw_key(&pw, "blocks");
	crm_jw_arr(&pw);
	for (f = 0; f < d->nrules; f++) {
		crm_block_format(&d->rules[f], d->names, text, sizeof(text));
		crm_jw_str(&pw, text);
	}
	crm_jw_end(&pw);
	crm_jw_key(&pw, "threshold");
	crm_jw_num(&pw, "%g", d->o.threshold);
	crm_jw_key(&pw, "max_cluster");
	crm_jw_int(&pw, d->o.max_cluster);
	crm_jw_end(&pw);
	crm_jw_init(&mw, &metrics);
	crm_jw_obj(&mw);
	crm_jw_key(&mw, "records");
	crm_jw_int(&mw, (long long)d->in.n);
	crm_jw_key(&mw, "pairs");
	crm_jw_int(&mw, (long long)d->npairs);
	crm_jw_key(&mw, "patterns");
	crm_jw_int(&mw, (long long)d->p.n);
	crm_jw_key(&mw, "iterations");
	crm_jw_int(&mw, d->fs.iterations);
	crm_jw_key(&mw, "match_share");
	crm_jw_num(&mw, "%.6f", d->fs.all.lambda);
	crm_jw_key(&mw, "links");
	crm_jw_int(&mw, (long long)d->links);
	crm_jw_key(&mw, "clusters");
	crm_jw_int(&mw, (long long)d->clusters);
	crm_jw_end(&mw);
	if (crm_jw_done(&pw) == -1 || crm_jw_done(&mw) == -1 ||
	    crm_fs_save(&d->fs, &blob) == -1)
		rc = crm_dd_oom(e);
	else if (crm_model_put(d->o.store, "dedupe", "fellegi-sunter", params.p,
		     metrics.p, blob.p, blob.len, &in, &d->version, e) == -1)
		rc = -1;
	else if (d->npairs < CRM_DEDUPE_MIN_PAIRS && !d->o.quiet)
		crm_warnx("saved the dedupe model version %ld, fitted on %zu "
			  "candidate pairs, fewer than %d: its weights are "
			  "rough; a run with as many pairs or more replaces it",
		    d->version, d->npairs, CRM_DEDUPE_MIN_PAIRS);
	crm_model_input_release(&in);
	crm_buf_release(&blob);
	crm_buf_release(&params);
	crm_buf_release(&metrics);
	return rc;
}

/* Each record's cluster into the clusters table. */
static int
store_clusters(struct crm_dedupe *d, struct crm_err *e)
{
	struct crm_clusters *c;
	char now[21];
	const char *id;
	size_t i, len;

	crm_model_now(now);
	if ((c = crm_clusters_open(d->o.store, e)) == NULL)
		return -1;
	/* and the store's records that moved to another person */
	for (i = 0; i < d->in.n + (d->persons ? d->ref.n : 0); i++) {
		if (i >= d->in.n && !crm_persons_moved(d->persons, i))
			continue;
		id = crm_dd_id(d, i, &len);
		if (crm_clusters_put(c, id, len, d->cid[i].p, d->cid[i].len,
			d->score[i], now, e) == -1) {
			crm_clusters_close(c, &(struct crm_err){ 0 });
			return -1;
		}
	}
	return crm_clusters_close(c, e);
}

/*
 * Every record that was linked, with its link's reasons, to the audit,
 * and every record a review rule marked, with its review.
 */
static int
store_decisions(struct crm_dedupe *d, struct crm_err *e)
{
	struct crm_audit *a;
	const char *id, *rv;
	size_t i, len;
	long k;

	if ((a = crm_audit_open(d->o.store, "crm-dedupe",
		 d->svm ? "dedupe-svm" : "dedupe", d->version, e)) == NULL)
		return -1;
	for (i = 0; i < d->in.n; i++) {
		rv = d->rvname != NULL ? d->rvname[i] : NULL;
		if (d->best[i] < 0 && rv == NULL)
			continue;
		/* a record held apart: the held link's reasons and score */
		k = d->best[i] >= 0 ? d->best[i] : d->rvpair[i];
		id = crm_dd_id(d, i, &len);
		if (reasons(d, (size_t)k, &d->buf) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			break;
		}
		crm_audit_review(a, rv);
		if (crm_audit_add(a, id, len, id, len, d->cid[i].p,
			d->cid[i].len,
			d->best[i] >= 0 ? d->score[i] : d->rvp[i], d->buf.p,
			d->buf.len, e) == -1)
			break;
	}
	if (i < d->in.n) {
		crm_audit_close(a, &(struct crm_err){ 0 });
		return -1;
	}
	return crm_audit_close(a, e);
}

/*
 * The store: a new model (unless it came from the store or from labels,
 * or the run saw part of its input: a model of part of the data must not
 * become the default, even with --replace-model), the clusters (unless
 * linking), the decisions.
 */
int
crm_dd_store(struct crm_dedupe *d, struct crm_err *e)
{
	const struct crm_dedupe_opts *o = &d->o;

	/* the model fixed (--model-version, reconcile) is not saved again */
	if (!d->fixed && o->link == NULL && !d->svm && !d->kept) {
		if (d->partial != NULL)
			crm_warnx("no model saved: %s", d->partial);
		else if (save_model(d, e) == -1)
			return -1;
	}
	/* the clusters first: a run killed before its persons leaves
	   clusters the next run makes persons of, under the same ids */
	if (o->link == NULL && store_clusters(d, e) == -1)
		return -1;
	if (d->persons != NULL &&
	    crm_persons_write(d->persons, crm_dd_person_golden, d, e) == -1)
		return -1;
	return store_decisions(d, e);
}
