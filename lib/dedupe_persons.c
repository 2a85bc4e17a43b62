/*
 * dedupe_persons: what a run of crm-dedupe with a store hands to the
 * persons (lib/persons): the link labels of its records, obeyed by the
 * clustering, and, once clustered, each record's group and each changed
 * group's golden record with its lineage.  The rules themselves are in
 * lib/persons.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "dedupe_int.h"

static int
push_pair(struct crm_dedupe *d, size_t i, size_t j, int must)
{
	struct crm_dd_lpair *p;

	if (d->nlp == d->lpcap) {
		size_t cap = d->lpcap ? d->lpcap * 2 : 64;

		if ((p = crm_reallocarray(d->lp, cap, sizeof(*p))) == NULL)
			return -1;
		d->lp = p;
		d->lpcap = cap;
	}
	d->lp[d->nlp].i = i;
	d->lp[d->nlp].j = j;
	d->lp[d->nlp++].must = must;
	return 0;
}

int
crm_dd_persons_begin(struct crm_dedupe *d, struct crm_err *e)
{
	struct crm_link_label *l;
	size_t n, k;
	char now[21];
	long i, j;
	int rc = 0;

	crm_clock_iso(now);
	if ((d->persons = crm_persons_new(d->o.store, now, e)) == NULL)
		return -1;
	if (crm_link_labels_load(d->o.store, &l, &n, e) == -1)
		return -1;
	for (k = 0; k < n && rc == 0; k++) {
		i = crm_dd_lookup(d, l[k].id1, strlen(l[k].id1));
		j = crm_dd_lookup(d, l[k].id2, strlen(l[k].id2));
		if (i >= 0 && j >= 0 &&
		    push_pair(d, (size_t)i, (size_t)j, l[k].must) == -1)
			rc = crm_dd_oom(e);
	}
	d->nstored = d->nlp;
	crm_link_labels_free(l, n);
	return rc;
}

int
crm_dd_note_label(
    struct crm_dedupe *d, size_t i, size_t j, int c, struct crm_err *e)
{
	const char *a, *b;
	size_t alen, blen;

	if (d->persons == NULL)
		return 0; /* no store: the labels only train */
	if (push_pair(d, i, j, c) == -1)
		return crm_dd_oom(e);
	a = crm_dd_id(d, i, &alen);
	b = crm_dd_id(d, j, &blen);
	return crm_persons_label(
	    d->persons, a, alen, b, blen, c, d->o.labels, e);
}

int
crm_dd_stored_labels_train(const struct crm_dedupe *d)
{
	size_t k, must = 0;

	if (d->persons == NULL || d->o.labels != NULL || d->fixed)
		return 0;
	for (k = 0; k < d->nstored; k++)
		must += d->lp[k].must != 0;
	return must >= CRM_DEDUPE_MIN_LABELS &&
	       d->nstored - must >= CRM_DEDUPE_MIN_LABELS;
}

int
crm_dd_cannot(struct crm_dedupe *d, struct crm_cuf *c)
{
	size_t k;

	for (k = 0; k < d->nlp; k++)
		if (!d->lp[k].must && crm_cuf_cannot(c, (uint32_t)d->lp[k].i,
					  (uint32_t)d->lp[k].j) == -1)
			return -1;
	return 0;
}

void
crm_dd_must(struct crm_dedupe *d, struct crm_cuf *c)
{
	size_t k;

	for (k = 0; k < d->nlp; k++)
		if (d->lp[k].must &&
		    crm_cuf_union(c, (uint32_t)d->lp[k].i, (uint32_t)d->lp[k].j,
			0) == CRM_CUF_CANNOT)
			d->cannot++;
}

static const struct crm_rec *sort_rec; /* for cmp_name */

static int
cmp_name(const void *a, const void *b)
{
	const char *x, *y;
	size_t xl, yl;

	x = crm_rec_name(sort_rec, *(const size_t *)a, &xl);
	y = crm_rec_name(sort_rec, *(const size_t *)b, &yl);
	return crm_bytes_cmp(x, xl, y, yl);
}

/*
 * r as a JSON object into b, its fields in order of their names (nulls
 * left out), so that a person's golden record reads the same whichever
 * source its records came from: a file's columns or the store's.
 */
static int
by_name(const struct crm_rec *r, struct crm_buf *b)
{
	size_t i, n = crm_rec_count(r), *idx;
	int rc;

	if ((idx = crm_reallocarray(NULL, n + 1, sizeof(*idx))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		idx[i] = i;
	sort_rec = r;
	qsort(idx, n, sizeof(*idx), cmp_name);
	rc = crm_rec_fields_to_json(r, idx, n, CRM_JSON_SKIP_NULL, b);
	free(idx);
	return rc;
}

int
crm_dd_person_golden(void *arg, const size_t *idx, size_t n, struct crm_buf *gb,
    struct crm_buf *lb, struct crm_err *e)
{
	/* the person's id is its own (the members' ids are in lineage), and
	   the run's own output fields are no member's values */
	const char *drop[] = { ((struct crm_dedupe *)arg)->o.id_field,
		"cluster_id", "match_score", CRM_REVIEW_FIELD };
	struct crm_dedupe *d = arg;
	size_t k;
	long at;

	if (d->golden == NULL && ((d->golden = crm_rec_new()) == NULL ||
				     (d->lineage = crm_rec_new()) == NULL))
		return crm_dd_oom(e);
	if (crm_dd_golden(d, idx, n, d->golden, d->lineage) == -1)
		return crm_dd_oom(e);
	for (k = 0; k < sizeof(drop) / sizeof(drop[0]); k++) {
		if ((at = crm_rec_find(d->golden, drop[k], strlen(drop[k]))) >=
		    0)
			crm_rec_remove(d->golden, (size_t)at);
		if ((at = crm_rec_find(d->lineage, drop[k], strlen(drop[k]))) >=
		    0)
			crm_rec_remove(d->lineage, (size_t)at);
	}
	return by_name(d->golden, gb) == -1 || by_name(d->lineage, lb) == -1
		   ? crm_dd_oom(e)
		   : 0;
}

int
crm_dd_persons(struct crm_dedupe *d, struct crm_err *e)
{
	size_t n = d->in.n + d->ref.n, i, len;
	const char *id;

	for (i = 0; i < n; i++) {
		id = crm_dd_id(d, i, &len);
		if (crm_persons_add(
			d->persons, id, len, d->root[i], i < d->in.n, e) == -1)
			return -1;
	}
	if (crm_persons_resolve(d->persons, e) == -1)
		return -1;
	for (i = 0; i < n; i++)
		d->cid[i].p =
		    crm_persons_id(d->persons, d->root[i], &d->cid[i].len);
	return 0;
}
