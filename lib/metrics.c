/*
 * metrics: the formulas of metrics.h over a dense confusion matrix (the
 * number of classes of a CRM text model is small enough for k * k), and
 * the ranking metrics of top-k lists.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int
crm_confusion_init(struct crm_confusion *c, size_t k)
{
	memset(c, 0, sizeof(*c));
	return crm_confusion_grow(c, k);
}

void
crm_confusion_release(struct crm_confusion *c)
{
	free(c->m);
	memset(c, 0, sizeof(*c));
}

int
crm_confusion_grow(struct crm_confusion *c, size_t k)
{
	unsigned long *m;
	size_t i, j, cap;

	if (k <= c->cap && c->m != NULL) {
		if (k > c->k)
			c->k = k;
		return 0;
	}
	cap = c->cap * 2 > k ? c->cap * 2 : k;
	if (cap > 0 && cap > ((size_t)-1 / sizeof(*m) - 1) / cap)
		return -1;
	if ((m = calloc(cap * cap + 1, sizeof(*m))) == NULL)
		return -1;
	for (i = 0; i < c->k; i++)
		for (j = 0; j < c->k; j++)
			m[i * cap + j] = c->m[i * c->cap + j];
	free(c->m);
	c->m = m;
	c->cap = cap;
	c->k = k;
	return 0;
}

void
crm_confusion_add(struct crm_confusion *c, size_t truth, size_t pred)
{
	c->m[truth * c->cap + pred]++;
	c->n++;
}

double
crm_accuracy(const struct crm_confusion *c)
{
	unsigned long ok = 0;
	size_t i;

	for (i = 0; i < c->k; i++)
		ok += c->m[i * c->cap + i];
	return c->n ? (double)ok / (double)c->n : 0;
}

void
crm_class_prf(const struct crm_confusion *c, size_t i, double *prec,
    double *rec, double *f1, unsigned long *support)
{
	unsigned long tp = c->m[i * c->cap + i], col = 0, row = 0;
	size_t j;

	for (j = 0; j < c->k; j++) {
		row += c->m[i * c->cap + j];
		col += c->m[j * c->cap + i];
	}
	*prec = col ? (double)tp / (double)col : 0;
	*rec = row ? (double)tp / (double)row : 0;
	*f1 = *prec + *rec > 0 ? 2 * *prec * *rec / (*prec + *rec) : 0;
	*support = row;
}

double
crm_macro_f1(const struct crm_confusion *c)
{
	double p, r, f, sum = 0;
	unsigned long sup, pred;
	size_t i, j, used = 0;

	for (i = 0; i < c->k; i++) {
		crm_class_prf(c, i, &p, &r, &f, &sup);
		for (j = 0, pred = 0; j < c->k; j++)
			pred += c->m[j * c->cap + i];
		if (sup == 0 && pred == 0)
			continue;
		sum += f;
		used++;
	}
	return used ? sum / (double)used : 0;
}

size_t
crm_confusion_top(
    const struct crm_confusion *c, struct crm_confused *out, size_t max)
{
	size_t i, j, n = 0, at;

	for (i = 0; i < c->k; i++)
		for (j = 0; j < c->k; j++) {
			unsigned long v = c->m[i * c->cap + j];

			if (i == j || v == 0)
				continue;
			if (n == max && (max == 0 || v <= out[n - 1].count))
				continue;
			at = n < max ? n++ : n - 1;
			/* strictly greater moves up: ties keep scan order */
			while (at > 0 && out[at - 1].count < v) {
				out[at] = out[at - 1];
				at--;
			}
			out[at].truth = i;
			out[at].pred = j;
			out[at].count = v;
		}
	return n;
}

/* A record by probability, for sorting highest first, ties by index. */
struct scored {
	double p;
	size_t i;
};

static int
by_prob(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

int
crm_binary_metrics(
    const double *prob, const int *y, size_t n, struct crm_binmetrics *m)
{
	struct scored *ord;
	size_t i, j, top, tp = 0, fp = 0, tp_top = 0;
	double rank_sum = 0, p, prev_recall = 0, ap = 0;

	memset(m, 0, sizeof(*m));
	m->auc = m->pr_auc = NAN; /* until there is something to rank */
	m->n = n;
	if (n == 0)
		return 0;
	if ((ord = calloc(n, sizeof(*ord))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		ord[i].p = prob[i];
		ord[i].i = i;
		m->pos += y[i] == 1;
		p = prob[i] < 1e-15	  ? 1e-15
		    : prob[i] > 1 - 1e-15 ? 1 - 1e-15
					  : prob[i];
		m->log_loss -= y[i] == 1 ? log(p) : log(1 - p);
		m->brier += (prob[i] - (y[i] == 1)) * (prob[i] - (y[i] == 1));
	}
	m->log_loss /= (double)n;
	m->brier /= (double)n;
	qsort(ord, n, sizeof(*ord), by_prob);
	top = (n + 9) / 10;
	for (i = 0; i < n; i = j) {
		size_t tpg = 0, fpg = 0;

		/* a group of equal scores is one threshold */
		for (j = i; j < n && ord[j].p == ord[i].p; j++) {
			if (y[ord[j].i] == 1)
				tpg++;
			else
				fpg++;
			if (j < top)
				tp_top += y[ord[j].i] == 1;
		}
		/* ranks from the bottom: the group shares the mean rank */
		rank_sum +=
		    (double)tpg * ((double)(n - j) + (double)(n - i) + 1) / 2;
		tp += tpg;
		fp += fpg;
		if (m->pos > 0) {
			double recall = (double)tp / (double)m->pos;

			ap += (recall - prev_recall) * (double)tp /
			      (double)(tp + fp);
			prev_recall = recall;
		}
	}
	if (m->pos > 0 && m->pos < n)
		m->auc =
		    (rank_sum - (double)m->pos * (double)(m->pos + 1) / 2) /
		    ((double)m->pos * (double)(n - m->pos));
	if (m->pos > 0)
		m->pr_auc = ap;
	if (m->pos > 0)
		m->lift10 = ((double)tp_top / (double)top) /
			    ((double)m->pos / (double)n);
	free(ord);
	return 0;
}

int
crm_rank_init(struct crm_rankmetrics *m, size_t k, size_t nitems)
{
	memset(m, 0, sizeof(*m));
	m->k = k;
	m->nitems = nitems;
	if ((m->seen = calloc(nitems + 1, 1)) == NULL)
		return -1;
	return 0;
}

void
crm_rank_release(struct crm_rankmetrics *m)
{
	free(m->seen);
	memset(m, 0, sizeof(*m));
}

void
crm_rank_add(struct crm_rankmetrics *m, const size_t *rec, const int *hit,
    size_t n, size_t nrel)
{
	double dcg = 0, idcg = 0;
	size_t r, hits = 0;

	if (n > m->k)
		n = m->k;
	for (r = 0; r < n; r++) {
		if (!m->seen[rec[r]]) {
			m->seen[rec[r]] = 1;
			m->distinct++;
		}
		if (hit[r]) {
			hits++;
			dcg += 1 / log2((double)r + 2);
		}
	}
	for (r = 0; r < m->k && r < nrel; r++)
		idcg += 1 / log2((double)r + 2);
	m->users++;
	m->precision += (double)hits / (double)m->k;
	m->recall += (double)hits / (double)nrel;
	m->ndcg += idcg > 0 ? dcg / idcg : 0;
	m->hit_rate += hits > 0;
}

void
crm_rank_finish(struct crm_rankmetrics *m)
{
	double u = (double)m->users;

	if (m->users > 0) {
		m->precision /= u;
		m->recall /= u;
		m->ndcg /= u;
		m->hit_rate /= u;
	}
	m->coverage = m->nitems ? (double)m->distinct / (double)m->nitems : 0;
}

void
crm_reliability(const double *prob, const int *y, size_t n, size_t k,
    struct crm_reliability_bin *bin)
{
	size_t i, b;

	for (b = 0; b < k; b++)
		bin[b].n = 0, bin[b].mean_prob = bin[b].rate = 0;
	for (i = 0; i < n; i++) {
		double p = prob[i];

		if (!(p >= 0)) /* NaN too */
			p = 0;
		if (p > 1)
			p = 1;
		b = (size_t)(p * (double)k);
		if (b >= k)
			b = k - 1;
		bin[b].n++;
		bin[b].mean_prob += p;
		bin[b].rate += y[i] == 1;
	}
	for (b = 0; b < k; b++) {
		if (bin[b].n == 0) {
			bin[b].mean_prob = bin[b].rate = NAN;
			continue;
		}
		bin[b].mean_prob /= (double)bin[b].n;
		bin[b].rate /= (double)bin[b].n;
	}
}
