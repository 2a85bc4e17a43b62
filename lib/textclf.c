/*
 * textclf: the classifier of textclf.h.  liblinear does the fitting; what
 * is here is what liblinear leaves to its caller: turning texts into its
 * sparse vectors, the class names, the score scale, a compact model
 * (float weights for the features seen in training, found through an id
 * table) and the explanations.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <linear.h>

#include "msvm.h"
#include "textclf.h"

/*
 * A hint that addr will be read soon (a no-op where the compiler has no
 * such builtin), and how many feature rows ahead decide() asks for.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(addr) __builtin_prefetch(addr)
#else
#define PREFETCH(addr) ((void)(addr))
#endif
#define AHEAD 8

#define MAGIC	  "CRMTEXT3"
#define MAX_BITS  24 /* the id table has 2^bits entries */
#define MAX_CLASS 100000
#define NCAL	  CRM_TEXTCLF_NCAL /* inputs of the score curve */
#define NCAL2	  3		   /* version 2's: no coverage */

/*
 * Older versions of the bytes, still read: 1 has no out-of-scope
 * threshold, 1 and 2 no cjk_edges word (their texts had no edges), 1 and
 * some of 2 a curve of NCAL2 inputs.
 */
#define MAGIC1 "CRMTEXT1"
#define MAGIC2 "CRMTEXT2"
/* The label of a background text. */
#define BG_LABEL UINT32_MAX

struct crm_textclf_set {
	struct crm_text *tx;
	struct crm_text_opts o;
	struct crm_feat *f; /* the features of every text, one after another */
	size_t nf, fcap;
	size_t *start; /* text i has f[start[i] .. start[i + 1]) */
	uint32_t *label;
	size_t n, lcap, scap;
	char **names; /* labels in order of first appearance */
	size_t *nlen;
	size_t nclass, ccap;
	size_t last; /* the label found last, tried first */
};

struct crm_textclf {
	struct crm_text_opts o;
	struct crm_text *tx;
	size_t k, nrow;
	uint32_t *ids; /* id of each row, increasing */
	float *idf;    /* per row */
	float *w;      /* nrow * k, row-major */
	float *bias;   /* k */
	/* score = sigmoid(cal . (decision, margin, coverage, 1)) */
	double cal[NCAL];
	double cv_acc;
	double min_conf;	    /* the out-of-scope threshold; -1: none */
	struct crm_textclf_oos oos; /* how it was chosen (training only) */
	char **names;
	size_t *nlen;
	int32_t *map; /* id -> row, or -1 */
	/* scratch of the last vectorized text */
	float *acc;
	uint32_t *vrow;
	double *vval;
	size_t vcap;
	double vcov; /* its coverage (see weigh) */
	double *dec;
};

/*
 * A held-out text as the score curve sees it: the curve's inputs for its
 * best class, its weight in the fit and its kind (CRM_HELDOUT_*).
 */
struct point {
	double x[NCAL];
	double weight;
	int kind;
};

static int grow(void *, size_t *, size_t, size_t);
static int add_text(struct crm_textclf_set *, const char *, size_t,
    const char *, size_t, const char **);
static long class_of(struct crm_textclf_set *, const char *, size_t);
static int name_cmp(const void *, const void *);
static long vectorize(
    struct crm_textclf *, const char *, size_t, const char **);
static size_t weigh(const struct crm_textclf *, const struct crm_feat *, size_t,
    uint32_t *, double *, double *);
static void decide(const struct crm_textclf *, const float *, const float *,
    const uint32_t *, const double *, size_t, double *);
static int heldout_coverage(const struct crm_textclf_set *,
    const struct crm_textclf *, size_t, double *, double *);
static struct point *heldout_points(const double *, const double *,
    const double *, const uint32_t *, size_t, size_t, double, size_t *);
static void fit_scores(const struct point *, size_t, double *);
static void fit_curve(const struct point *, size_t, const int *, double *);
static size_t top_two(const double *, size_t, size_t, double *, double *);
static int choose_threshold(
    struct crm_textclf *, const struct point *, size_t, double);
static int alloc_scratch(struct crm_textclf *);
static int reserve(struct crm_textclf *, size_t);
static int solve_svms(struct crm_textclf *, const struct crm_textclf_params *,
    struct feature_node *const *, const uint32_t *, size_t, size_t, double *,
    struct crm_err *);

/* ==== Training set ==== */

struct crm_textclf_set *
crm_textclf_set_new(const struct crm_text_opts *o, const char **why)
{
	struct crm_textclf_set *s;

	if (o->bits > MAX_BITS) {
		*why = "hash bits must be 12 to 24";
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*why = NULL;
		return NULL;
	}
	if ((s->tx = crm_text_new(o, why)) == NULL ||
	    (s->start = malloc(sizeof(*s->start))) == NULL) {
		crm_textclf_set_free(s);
		return NULL;
	}
	s->o = *o;
	s->start[0] = 0;
	s->scap = 1;
	return s;
}

void
crm_textclf_set_free(struct crm_textclf_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	crm_text_free(s->tx);
	for (i = 0; i < s->nclass; i++)
		free(s->names[i]);
	free(s->names);
	free(s->nlen);
	free(s->f);
	free(s->start);
	free(s->label);
	free(s);
}

int
crm_textclf_set_add(struct crm_textclf_set *s, const char *text, size_t len,
    const char *label, size_t llen, const char **why)
{
	return add_text(s, text, len, label, llen, why);
}

int
crm_textclf_set_add_background(
    struct crm_textclf_set *s, const char *text, size_t len, const char **why)
{
	return add_text(s, text, len, NULL, 0, why);
}

/* Add a text of label, or (label NULL) of the background. */
static int
add_text(struct crm_textclf_set *s, const char *text, size_t len,
    const char *label, size_t llen, const char **why)
{
	const struct crm_feat *f;
	long n, c;

	if ((n = crm_text_features(s->tx, text, len, &f, why)) == -1)
		return -1;
	if (n == 0)
		return 0;
	*why = NULL;
	if (grow(&s->f, &s->fcap, s->nf + (size_t)n, sizeof(*s->f)) == -1 ||
	    grow(&s->label, &s->lcap, s->n + 1, sizeof(*s->label)) == -1 ||
	    grow(&s->start, &s->scap, s->n + 2, sizeof(*s->start)) == -1)
		return -1;
	if (label == NULL)
		c = (long)BG_LABEL;
	else if ((c = class_of(s, label, llen)) == -1)
		return -1;
	memcpy(s->f + s->nf, f, (size_t)n * sizeof(*f));
	s->nf += (size_t)n;
	s->label[s->n++] = (uint32_t)c;
	s->start[s->n] = s->nf;
	return 1;
}

size_t
crm_textclf_set_size(const struct crm_textclf_set *s)
{
	return s->n;
}

/* Make room for n elements of size sz in the array *pp of capacity *cap. */
static int
grow(void *pp, size_t *cap, size_t n, size_t sz)
{
	void **p = pp, *q;
	size_t c;

	if (n <= *cap)
		return 0;
	c = *cap < 64 ? 64 : *cap;
	while (c < n)
		c *= 2;
	if ((q = crm_reallocarray(*p, c, sz)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static long
class_of(struct crm_textclf_set *s, const char *label, size_t len)
{
	size_t i;
	char *p;

	if (s->last < s->nclass && s->nlen[s->last] == len &&
	    memcmp(s->names[s->last], label, len) == 0)
		return (long)s->last;
	for (i = 0; i < s->nclass; i++)
		if (s->nlen[i] == len && memcmp(s->names[i], label, len) == 0)
			return (long)(s->last = i);
	if (s->nclass == MAX_CLASS) {
		errno = ENOMEM;
		return -1;
	}
	if (s->nclass == s->ccap) {
		size_t c = s->ccap ? 2 * s->ccap : 16;
		char **np = crm_reallocarray(s->names, c, sizeof(*np));
		size_t *lp;

		if (np == NULL)
			return -1;
		s->names = np;
		if ((lp = crm_reallocarray(s->nlen, c, sizeof(*lp))) == NULL)
			return -1;
		s->nlen = lp;
		s->ccap = c;
	}
	if ((p = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p, label, len);
	p[len] = '\0';
	s->names[s->nclass] = p;
	s->nlen[s->nclass] = len;
	return (long)(s->last = s->nclass++);
}

/* ==== Training ==== */

/* Order of class indices by name, for qsort through a global-free key. */
struct name_key {
	const char *name;
	size_t len;
	uint32_t old;
};

static int
name_cmp(const void *a, const void *b)
{
	const struct name_key *x = a, *y = b;

	return crm_bytes_cmp(x->name, x->len, y->name, y->len);
}

struct crm_textclf *
crm_textclf_train(const struct crm_textclf_set *s,
    const struct crm_textclf_params *p, struct crm_err *e)
{
	struct crm_textclf *m = NULL;
	struct name_key *key = NULL;
	uint32_t *rank = NULL, *df = NULL, *y32 = NULL;
	struct feature_node *space = NULL, **x = NULL;
	double *odec = NULL, *hcov = NULL;
	struct point *pt = NULL;
	size_t i, j, nid, nz, k, folds, np;
	const char *why;

	if (s->nclass < 2) {
		crm_err_set(e, EX_DATAERR,
		    "training needs at least two labels, got %zu", s->nclass);
		return NULL;
	}
	if (!(p->unknown_share >= 0 && p->unknown_share < 1)) {
		crm_err_set(e, EX_USAGE, "unknown share %g: want 0 to below 1",
		    p->unknown_share);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto nomem;
	m->o = s->o;
	m->k = k = s->nclass;
	nid = (size_t)1 << s->o.bits;
	if ((m->tx = crm_text_new(&m->o, &why)) == NULL ||
	    (key = calloc(k, sizeof(*key))) == NULL ||
	    (rank = calloc(k, sizeof(*rank))) == NULL ||
	    (m->names = calloc(k, sizeof(*m->names))) == NULL ||
	    (m->nlen = calloc(k, sizeof(*m->nlen))) == NULL ||
	    (df = calloc(nid, sizeof(*df))) == NULL ||
	    (m->map = malloc(nid * sizeof(*m->map))) == NULL)
		goto nomem;

	/* classes in byte order of their names */
	for (i = 0; i < k; i++) {
		key[i].name = s->names[i];
		key[i].len = s->nlen[i];
		key[i].old = (uint32_t)i;
	}
	qsort(key, k, sizeof(*key), name_cmp);
	for (i = 0; i < k; i++) {
		rank[key[i].old] = (uint32_t)i;
		m->nlen[i] = key[i].len;
		if ((m->names[i] = malloc(key[i].len + 1)) == NULL)
			goto nomem;
		memcpy(m->names[i], key[i].name, key[i].len + 1);
	}

	/* rows: the ids in at least min_df texts, with their idf */
	for (i = 0; i < s->nf; i++)
		df[s->f[i].id]++;
	for (i = 0; i < nid; i++)
		if (df[i] > 0 && df[i] >= (uint32_t)p->min_df)
			m->nrow++;
	if ((m->ids = calloc(m->nrow + 1, sizeof(*m->ids))) == NULL ||
	    (m->idf = calloc(m->nrow + 1, sizeof(*m->idf))) == NULL ||
	    (m->w = calloc((m->nrow + 1) * k, sizeof(*m->w))) == NULL ||
	    (m->bias = calloc(k, sizeof(*m->bias))) == NULL)
		goto nomem;
	for (i = j = 0; i < nid; i++) {
		if (df[i] == 0 || df[i] < (uint32_t)p->min_df) {
			m->map[i] = -1;
			continue;
		}
		m->map[i] = (int32_t)j;
		m->ids[j] = (uint32_t)i;
		m->idf[j] =
		    (float)(log((1.0 + (double)s->n) / (1.0 + (double)df[i])) +
			    1.0);
		j++;
	}
	free(df);
	df = NULL;
	if (alloc_scratch(m) == -1)
		goto nomem;
	for (i = 0; i < s->n; i++)
		if (reserve(m, s->start[i + 1] - s->start[i]) == -1)
			goto nomem;

	/* liblinear's problem: every text's vector, then the bias feature */
	if ((space = crm_reallocarray(
		 NULL, s->nf + 2 * s->n, sizeof(*space))) == NULL ||
	    (x = calloc(s->n, sizeof(*x))) == NULL ||
	    (y32 = calloc(s->n, sizeof(*y32))) == NULL)
		goto nomem;
	for (i = nz = 0; i < s->n; i++) {
		size_t nv = weigh(m, s->f + s->start[i],
		    s->start[i + 1] - s->start[i], m->vrow, m->vval, NULL);

		x[i] = space + nz;
		for (j = 0; j < nv; j++) {
			space[nz].index = (int)m->vrow[j] + 1;
			space[nz++].value = m->vval[j];
		}
		space[nz].index = (int)m->nrow + 1;
		space[nz++].value = 1.0;
		space[nz].index = -1;
		space[nz++].value = 0.0;
		y32[i] = s->label[i] == BG_LABEL ? (uint32_t)k
						 : rank[s->label[i]];
	}

	/*
	 * The scores: decision values of each text from a model that did
	 * not see it (fold of text i = i mod folds), then the logistic
	 * curve that best tells from them whether the best class is right.
	 */
	memset(m->cal, 0, sizeof(m->cal));
	m->cal[0] = 1.0;
	m->cv_acc = -1;
	m->min_conf = -1;
	m->oos.threshold = -1;
	folds = (size_t)p->calib_folds;
	if (folds < 2 || s->n < 2 * folds)
		folds = 0;
	if (folds > 0 &&
	    ((odec = crm_reallocarray(NULL, s->n, k * sizeof(*odec))) == NULL ||
		(hcov = crm_reallocarray(NULL, s->n, 2 * sizeof(*hcov))) ==
		    NULL ||
		heldout_coverage(s, m, folds, hcov, hcov + s->n) == -1))
		goto nomem;
	if (solve_svms(m, p, x, y32, s->n, folds, odec, e) == -1) {
		crm_textclf_free(m);
		m = NULL;
		goto out;
	}
	if (folds > 0) {
		if ((pt = heldout_points(odec, hcov, hcov + s->n, y32, s->n, k,
			 p->unknown_share, &np)) == NULL)
			goto nomem;
		fit_scores(pt, np, m->cal);
		if (choose_threshold(m, pt, np, p->oos_loss) == -1)
			goto nomem;
		m->cv_acc = m->oos.acc; /* the in-scope texts' best classes */
	}
	goto out;

nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory while training");
	crm_textclf_free(m);
	m = NULL;
out:
	free(key);
	free(rank);
	free(df);
	free(space);
	free(x);
	free(y32);
	free(odec);
	free(hcov);
	free(pt);
	return m;
}

/*
 * liblinear's multi-class SVM on the n texts x of classes y (some may be
 * of class k, the background): the model's weights into m, and with
 * folds the held-out decision values into odec (lib/msvm, on p->threads
 * processes).
 */
static int
solve_svms(struct crm_textclf *m, const struct crm_textclf_params *p,
    struct feature_node *const *x, const uint32_t *y, size_t n, size_t folds,
    double *odec, struct crm_err *e)
{
	struct crm_msvm o;

	o.x = x;
	o.y = y;
	o.n = n;
	o.k = m->k;
	o.nrow = m->nrow;
	o.folds = folds;
	o.c = p->c;
	o.eps = p->eps;
	o.seed = p->seed;
	o.threads = p->threads;
	o.progress = &p->progress;
	return crm_msvm_solve(&o, m->w, m->bias, odec, e);
}

/*
 * A row's mark: the one fold (class) whose texts have it, NONE or MANY
 * (neither a fold, a class nor BG_LABEL).
 */
static const uint32_t NONE = UINT32_MAX - 1, MANY = UINT32_MAX - 2;

static uint32_t
mark(uint32_t was, uint32_t v)
{
	return was == NONE || was == v ? v : MANY;
}

/*
 * The coverage (see weigh) of each text as the model of the other folds
 * would see it, into cov: a word known to the model counts as known only
 * when a text of another fold has it.  Into ucov, as that model would see
 * it if it had never learned the text's class either: a word counts only
 * when a text of another fold has it and a text of another class has it
 * (a word of two texts can count without one text being both).  A text
 * of an intent the model lacks says what no text of the model's says.
 * folds > 0.  0, or -1 when out of memory.
 */
static int
heldout_coverage(const struct crm_textclf_set *s, const struct crm_textclf *m,
    size_t folds, double *cov, double *ucov)
{
	uint32_t *fold, *cls, half = (uint32_t)1 << (m->o.bits - 1), f, c;
	size_t i, j, known, uknown, all;

	if ((fold = crm_reallocarray(NULL, m->nrow + 1, 2 * sizeof(*fold))) ==
	    NULL)
		return -1;
	cls = fold + m->nrow + 1;
	for (j = 0; j <= m->nrow; j++)
		fold[j] = cls[j] = NONE;
	for (i = 0; i < s->n; i++)
		for (j = s->start[i], f = (uint32_t)(i % folds),
		    c = s->label[i];
		     j < s->start[i + 1]; j++) {
			int32_t r = m->map[s->f[j].id];

			if (s->f[j].id < half && r >= 0) {
				fold[r] = mark(fold[r], f);
				cls[r] = mark(cls[r], c);
			}
		}
	for (i = 0; i < s->n; i++) {
		f = (uint32_t)(i % folds);
		c = s->label[i];
		for (j = s->start[i], known = uknown = all = 0;
		     j < s->start[i + 1]; j++) {
			int32_t r = m->map[s->f[j].id];

			if (s->f[j].id >= half)
				continue;
			all++;
			if (r < 0 || fold[r] == f)
				continue;
			known++;
			uknown += cls[r] != c;
		}
		cov[i] = all > 0 ? (double)known / (double)all : 1;
		ucov[i] = all > 0 ? (double)uknown / (double)all : 1;
	}
	free(fold);
	return 0;
}

/*
 * The best class of the decision values d[k], class skip left out (k:
 * none), the first of equals; its value into *top and the best other
 * class's into *next (-HUGE_VAL when there is none).
 */
static size_t
top_two(const double *d, size_t k, size_t skip, double *top, double *next)
{
	size_t c, best = 0;

	*top = *next = -HUGE_VAL;
	for (c = 0; c < k; c++) {
		if (c == skip)
			continue;
		if (d[c] > *top) {
			*next = *top;
			*top = d[c];
			best = c;
		} else if (d[c] > *next)
			*next = d[c];
	}
	return best;
}

/*
 * The inputs of the score curve for a class with decision value d when
 * the best other class has other, in a text of coverage cov.
 */
static void
curve_inputs(double d, double other, double cov, double *x)
{
	x[0] = d;
	x[1] = d - other; /* the margin */
	x[2] = cov;
	x[3] = 1;
}

/*
 * The best class of the decision values d[k] of a text of coverage cov,
 * class skip left out (k: none), its curve inputs into x.  Without a
 * class to compare with, the margin is infinite.
 */
static size_t
best_inputs(const double *d, size_t k, size_t skip, double cov, double *x)
{
	double top, next;
	size_t best = top_two(d, k, skip, &top, &next);

	curve_inputs(top, next, cov, x);
	return best;
}

/*
 * The held-out texts as points of the score curve (n texts of classes y,
 * k the background, with their held-out decision values dec and
 * coverages cov and ucov; heldout_coverage), their number into *np; NULL
 * when out of memory.  Each text is a point as it is, of weight 1, and
 * with share > 0 each in-scope text a second time as the message of an
 * intent the model lacks: its own class left out, with coverage ucov, of
 * kind CRM_HELDOUT_UNKNOWN, weighted to make up share of the weight of
 * the in-scope texts and them together (a background set's texts come on
 * top).  No background set shows these: the out-of-scope messages
 * hardest to tell are of a near intent, in the intents' own words.  A
 * model that lacked the class would score the other classes a little
 * higher, so these are the easier unknown intents.  A text with no other
 * class to score (two classes, or a fold that had no other) gives no
 * such point.
 */
static struct point *
heldout_points(const double *dec, const double *cov, const double *ucov,
    const uint32_t *y, size_t n, size_t k, double share, size_t *np)
{
	struct point *pt;
	size_t i, j, best, in = 0, unknown = 0;

	if ((pt = crm_reallocarray(NULL, n, 2 * sizeof(*pt))) == NULL)
		return NULL;
	for (i = j = 0; i < n; i++) {
		best = best_inputs(dec + i * k, k, k, cov[i], pt[j].x);
		pt[j].weight = 1;
		pt[j++].kind = y[i] >= k      ? CRM_HELDOUT_BACKGROUND
			       : best == y[i] ? CRM_HELDOUT_RIGHT
					      : CRM_HELDOUT_WRONG;
		if (y[i] >= k)
			continue;
		in++;
		if (!(share > 0))
			continue;
		best_inputs(dec + i * k, k, y[i], ucov[i], pt[j].x);
		if (pt[j].x[0] < -1e29 || pt[j].x[1] > 1e29)
			continue;
		pt[j++].kind = CRM_HELDOUT_UNKNOWN;
		unknown++;
	}
	*np = j;
	for (i = 0; i < j; i++)
		if (pt[i].kind == CRM_HELDOUT_UNKNOWN)
			pt[i].weight =
			    share / (1 - share) * (double)in / (double)unknown;
	return pt;
}

/*
 * Solve a x = b for the n x n matrix a (row-major, destroyed) by Gauss-
 * Jordan elimination with partial pivoting; 0, or -1 when singular.
 */
static int
solve(double *a, double *b, size_t n)
{
	size_t i, j, r, p;
	double t;

	for (i = 0; i < n; i++) {
		for (p = i, r = i + 1; r < n; r++)
			if (fabs(a[r * n + i]) > fabs(a[p * n + i]))
				p = r;
		if (!(fabs(a[p * n + i]) > 1e-300))
			return -1;
		for (j = 0; j < n; j++) {
			t = a[i * n + j];
			a[i * n + j] = a[p * n + j];
			a[p * n + j] = t;
		}
		t = b[i], b[i] = b[p], b[p] = t;
		for (r = 0; r < n; r++) {
			if (r == i)
				continue;
			t = a[r * n + i] / a[i * n + i];
			for (j = i; j < n; j++)
				a[r * n + j] -= t * a[i * n + j];
			b[r] -= t * b[i];
		}
	}
	for (i = 0; i < n; i++)
		b[i] /= a[i * n + i];
	return 0;
}

/*
 * Platt scaling with three inputs: fit P(best class is right) =
 * sigmoid(w . (d, margin, coverage, 1)) over the n points pt of the held-
 * out texts (heldout_points), by Newton's method on the weighted log
 * loss, with Platt's smoothed targets (N+ + 1) / (N+ + 2) and 1 / (N- +
 * 2) (N+ the weight of the right texts, N- that of the others), which
 * keep the fit finite when every text is right.  A text unlike
 * every class has a low d; one between two classes a low margin; one about
 * something else words the training never saw, a low coverage.  The score
 * must grow with each, so an input whose fitted weight comes out negative
 * (it happens with a few dozen texts) is dropped and the rest fitted
 * again.
 */
static void
fit_scores(const struct point *pt, size_t n, double *w)
{
	int use[NCAL] = { 1, 1, 1, 1 }, again;
	size_t a, i;

	/* every coverage the same: it is the constant again, not an input */
	for (i = 1; i < n && pt[i].x[2] == pt[0].x[2]; i++)
		;
	use[2] = i < n;
	do {
		fit_curve(pt, n, use, w);
		again = 0;
		for (a = 0; a + 1 < NCAL; a++)
			if (use[a] && w[a] < 0) {
				use[a] = 0;
				again = 1;
			}
	} while (again);
}

/* Fit the curve of fit_scores on the inputs in use; the others get 0. */
static void
fit_curve(const struct point *pt, size_t n, const int *use, double *w)
{
	double npos = 0, nneg = 0, tpos, tneg, g[NCAL], h[NCAL * NCAL];
	double x[NCAL], z, pr, t, moved, v;
	size_t i, it, a, b;

	for (i = 0; i < n; i++)
		if (pt[i].kind == CRM_HELDOUT_RIGHT)
			npos += pt[i].weight;
		else
			nneg += pt[i].weight;
	tpos = (npos + 1) / (npos + 2);
	tneg = 1 / (nneg + 2);
	memset(w, 0, NCAL * sizeof(*w));
	for (it = 0; it < 100; it++) {
		memset(g, 0, sizeof(g));
		memset(h, 0, sizeof(h));
		for (a = 0; a < NCAL; a++)
			h[a * NCAL + a] = use[a] ? 1e-6 : 1; /* invertible */
		for (i = 0; i < n; i++) {
			if (pt[i].x[0] < -1e29 || pt[i].x[1] > 1e29)
				continue; /* a class the fold lacked */
			for (a = 0; a < NCAL; a++)
				x[a] = use[a] ? pt[i].x[a] : 0;
			t = pt[i].kind == CRM_HELDOUT_RIGHT ? tpos : tneg;
			for (a = 0, z = 0; a < NCAL; a++)
				z += w[a] * x[a];
			pr = 1 / (1 + exp(-z));
			v = pt[i].weight * pr * (1 - pr);
			for (a = 0; a < NCAL; a++) {
				g[a] += pt[i].weight * (pr - t) * x[a];
				for (b = 0; b < NCAL; b++)
					h[a * NCAL + b] += v * x[a] * x[b];
			}
		}
		if (solve(h, g, NCAL) == -1)
			break;
		for (a = 0, moved = 0; a < NCAL; a++) {
			w[a] -= g[a];
			moved += fabs(g[a]);
		}
		if (moved < 1e-9)
			break;
	}
}

/*
 * The out-of-scope threshold of m (crm_textclf_pick_threshold) from the
 * n points pt of the held-out texts (heldout_points), scored by m's
 * fitted curve as its weights will be saved (float).
 */
static int
choose_threshold(
    struct crm_textclf *m, const struct point *pt, size_t n, double loss)
{
	double *score, cal[NCAL], z;
	int *kind;
	size_t i, a;
	int rc = 0;

	score = crm_reallocarray(NULL, n ? n : 1, sizeof(*score));
	kind = crm_reallocarray(NULL, n ? n : 1, sizeof(*kind));
	if (score == NULL || kind == NULL) {
		free(score);
		free(kind);
		return -1;
	}
	for (a = 0; a < NCAL; a++)
		cal[a] = (float)m->cal[a];
	for (i = 0; i < n; i++) {
		for (a = 0, z = 0; a < NCAL; a++)
			z += cal[a] * pt[i].x[a];
		score[i] = 1 / (1 + exp(-z));
		kind[i] = pt[i].kind;
	}
	if (crm_textclf_pick_threshold(score, kind, n, loss, &m->oos) == -1)
		rc = -1;
	else if (m->oos.threshold >= 0)
		m->min_conf = m->oos.threshold = (float)m->oos.threshold;
	free(score);
	free(kind);
	return rc;
}

/* Held-out scores in increasing order, for the threshold choice. */
struct heldout {
	double score;
	int kind;
};

static int
heldout_cmp(const void *a, const void *b)
{
	const struct heldout *x = a, *y = b;

	return x->score < y->score ? -1 : x->score > y->score;
}

/*
 * The candidates are 0 and the midpoints between neighbouring distinct
 * scores (a text is out of scope when its score is below the threshold),
 * walked upwards while the right in-scope texts below stay within
 * loss * in-scope texts.  A sort and a walk: no library has this rule.
 */
int
crm_textclf_pick_threshold(const double *score, const int *kind, size_t n,
    double loss, struct crm_textclf_oos *o)
{
	struct heldout *h;
	size_t i, j, m, right = 0, lost = 0, caught = 0, allowed;

	memset(o, 0, sizeof(*o));
	o->threshold = -1;
	if ((h = crm_reallocarray(NULL, n ? n : 1, sizeof(*h))) == NULL)
		return -1;
	for (i = m = 0; i < n; i++) {
		if (kind[i] == CRM_HELDOUT_UNKNOWN)
			continue;
		h[m].score = score[i];
		h[m++].kind = kind[i];
		if (kind[i] == CRM_HELDOUT_BACKGROUND)
			o->bg++;
		else
			o->in++;
		right += kind[i] == CRM_HELDOUT_RIGHT;
	}
	n = m;
	if (o->in == 0) {
		free(h);
		return 0;
	}
	qsort(h, n, sizeof(*h), heldout_cmp);
	o->acc = (double)right / (double)o->in;
	allowed = (size_t)(loss * (double)o->in + 1e-9);
	o->threshold = 0;
	o->acc_at = o->acc;
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && h[j].score == h[i].score; j++) {
			lost += h[j].kind == CRM_HELDOUT_RIGHT;
			caught += h[j].kind == CRM_HELDOUT_BACKGROUND;
		}
		if (j == n || lost > allowed)
			break;
		o->threshold = (h[j - 1].score + h[j].score) / 2;
		o->acc_at = (double)(right - lost) / (double)o->in;
		o->caught = caught;
	}
	free(h);
	return 0;
}

/* ==== Model ==== */

void
crm_textclf_free(struct crm_textclf *m)
{
	size_t i;

	if (m == NULL)
		return;
	crm_text_free(m->tx);
	for (i = 0; m->names != NULL && i < m->k; i++)
		free(m->names[i]);
	free(m->names);
	free(m->nlen);
	free(m->ids);
	free(m->idf);
	free(m->w);
	free(m->bias);
	free(m->map);
	free(m->vrow);
	free(m->vval);
	free(m->dec);
	free(m->acc);
	free(m);
}

static int
alloc_scratch(struct crm_textclf *m)
{
	if ((m->dec = calloc(m->k, sizeof(*m->dec))) == NULL ||
	    (m->acc = calloc(m->k, sizeof(*m->acc))) == NULL)
		return -1;
	return 0;
}

size_t
crm_textclf_classes(const struct crm_textclf *m)
{
	return m->k;
}

const char *
crm_textclf_class(const struct crm_textclf *m, size_t k, size_t *len)
{
	*len = m->nlen[k];
	return m->names[k];
}

size_t
crm_textclf_features(const struct crm_textclf *m)
{
	return m->nrow;
}

const double *
crm_textclf_calibration(const struct crm_textclf *m)
{
	return m->cal;
}

double
crm_textclf_cv_accuracy(const struct crm_textclf *m)
{
	return m->cv_acc;
}

double
crm_textclf_min_conf(const struct crm_textclf *m)
{
	return m->min_conf;
}

const struct crm_textclf_oos *
crm_textclf_oos(const struct crm_textclf *m)
{
	return &m->oos;
}

/*
 * The weighted vector of n features f: rows and values, in increasing row
 * order (rows increase with ids), at most n of them; and into *cov its
 * coverage, the share of its words, word pairs and CJK n-grams (group 0)
 * that the model knows (1 when it has none; cov may be NULL).  Character
 * n-grams of words are left out of it: nearly every one is known,
 * whatever the text.
 */
static size_t
weigh(const struct crm_textclf *m, const struct crm_feat *f, size_t n,
    uint32_t *row, double *val, double *cov)
{
	double norm[2] = { 0, 0 }, scale[2];
	size_t i, nv = 0, g, groups = 0, known = 0, words = 0;
	uint32_t half = (uint32_t)1 << (m->o.bits - 1);

	/*
	 * The map is large and read at random: ask for every entry first,
	 * so that the reads wait for memory together rather than in turn.
	 */
	for (i = 0; i < n; i++)
		PREFETCH(&m->map[f[i].id]);
	for (i = 0; i < n; i++) {
		int32_t r = m->map[f[i].id];

		words += f[i].id < half;
		if (r < 0)
			continue;
		known += f[i].id < half;
		row[nv] = (uint32_t)r;
		val[nv] = (1.0 + log((double)f[i].count)) * m->idf[r];
		norm[f[i].id >= half] += val[nv] * val[nv];
		nv++;
	}
	for (g = 0; g < 2; g++)
		groups += norm[g] > 0;
	for (g = 0; g < 2; g++)
		scale[g] = norm[g] > 0 ? 1.0 / sqrt(norm[g] * (double)groups)
				       : 0;
	/* rows grow with ids: the first known are group 0's, the rest 1's */
	for (i = 0; i < nv; i++)
		val[i] *= scale[i >= known];
	if (cov != NULL)
		*cov = words > 0 ? (double)known / (double)words : 1;
	return nv;
}

/* Make room for n features, then weigh the features of text. */
static long
vectorize(struct crm_textclf *m, const char *text, size_t len, const char **why)
{
	const struct crm_feat *f;
	long n;

	if ((n = crm_text_features(m->tx, text, len, &f, why)) == -1)
		return -1;
	if (reserve(m, (size_t)n) == -1) {
		*why = NULL;
		return -1;
	}
	return (long)weigh(m, f, (size_t)n, m->vrow, m->vval, &m->vcov);
}

/* Make the vector scratch hold at least n features. */
static int
reserve(struct crm_textclf *m, size_t n)
{
	uint32_t *r;
	double *v;

	if (n <= m->vcap)
		return 0;
	if ((r = crm_reallocarray(m->vrow, n, sizeof(*r))) == NULL)
		return -1;
	m->vrow = r;
	if ((v = crm_reallocarray(m->vval, n, sizeof(*v))) == NULL)
		return -1;
	m->vval = v;
	m->vcap = n;
	return 0;
}

/* acc[c] += v * w[c] for c < n: the classes of one feature's row. */
static void
axpy(float *restrict acc, const float *restrict w, float v, size_t n)
{
	size_t c = 0, j;

	/*
	 * In blocks of 8 of a fixed length, which the compiler turns into
	 * vector instructions at -O2 (a loop of unknown length it leaves
	 * scalar there); each sum is still added in the order of the
	 * features, so the figures are those of the plain loop.
	 */
	for (; c + 8 <= n; c += 8)
		for (j = 0; j < 8; j++)
			acc[c + j] += v * w[c + j];
	for (; c < n; c++)
		acc[c] += v * w[c];
}

/*
 * Decision values dec[k] of a weighted vector under weights w, bias.  The
 * sums are kept in float, as the weights are.
 */
static void
decide(const struct crm_textclf *m, const float *w, const float *bias,
    const uint32_t *row, const double *val, size_t nv, double *dec)
{
	size_t i, c, k = m->k;
	float *acc = m->acc;

	for (c = 0; c < k; c++)
		acc[c] = bias[c];
	for (i = 0; i < nv && i < AHEAD; i++)
		PREFETCH(w + (size_t)row[i] * k);
	for (i = 0; i < nv; i++) {
		if (i + AHEAD < nv)
			PREFETCH(w + (size_t)row[i + AHEAD] * k);
		axpy(acc, w + (size_t)row[i] * k, (float)val[i], k);
	}
	for (c = 0; c < k; c++)
		dec[c] = acc[c];
}

long
crm_textclf_predict(struct crm_textclf *m, const char *text, size_t len,
    double *prob, const char **why)
{
	long nv;
	size_t c, best;
	double top, second;

	if ((nv = vectorize(m, text, len, why)) == -1)
		return -1;
	decide(m, m->w, m->bias, m->vrow, m->vval, (size_t)nv, m->dec);
	best = top_two(m->dec, m->k, m->k, &top, &second);
	for (c = 0; c < m->k; c++) {
		double x[NCAL], z = 0;
		size_t a;

		curve_inputs(m->dec[c], c == best ? second : top, m->vcov, x);
		for (a = 0; a < NCAL; a++)
			z += m->cal[a] * x[a];
		prob[c] = 1 / (1 + exp(-z));
	}
	return (long)best;
}

/* ==== Explanations ==== */

struct explain {
	struct crm_textclf *m;
	size_t k, nv;
	struct crm_reason *r;
	uint32_t *id; /* the id of each reason, to name each feature once */
	size_t n, max;
};

/* Keep the name of feature id if it weighs among the most. */
static void
explain_one(void *arg, uint32_t id, const char *name, size_t len)
{
	struct explain *x = arg;
	struct crm_textclf *m = x->m;
	int32_t r = m->map[id];
	size_t lo = 0, hi = x->nv, i, cut;
	double wt;

	if (r < 0)
		return;
	while (lo < hi) { /* the vector is in row order */
		size_t mid = (lo + hi) / 2;

		if (m->vrow[mid] < (uint32_t)r)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == x->nv || m->vrow[lo] != (uint32_t)r)
		return;
	wt = m->vval[lo] * m->w[(size_t)r * m->k + x->k];
	if (!(wt > 0))
		return;
	for (i = 0; i < x->n; i++)
		if (x->id[i] == id)
			return;
	if (x->n == x->max && wt <= x->r[x->n - 1].weight)
		return;
	i = x->n < x->max ? x->n++ : x->n - 1;
	while (i > 0 && x->r[i - 1].weight < wt) {
		x->r[i] = x->r[i - 1];
		x->id[i] = x->id[i - 1];
		i--;
	}
	cut = len < sizeof(x->r[i].name) ? len : sizeof(x->r[i].name) - 1;
	while (
	    cut > 0 && cut < len && ((unsigned char)name[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(x->r[i].name, name, cut);
	x->r[i].name[cut] = '\0';
	x->r[i].weight = wt;
	x->id[i] = id;
}

long
crm_textclf_explain(struct crm_textclf *m, const char *text, size_t len,
    size_t k, struct crm_reason *r, size_t max, const char **why)
{
	struct explain x;
	long nv;

	if (max == 0 || k >= m->k)
		return 0;
	if ((nv = vectorize(m, text, len, why)) == -1)
		return -1;
	memset(&x, 0, sizeof(x));
	x.m = m;
	x.k = k;
	x.nv = (size_t)nv;
	x.r = r;
	x.max = max;
	if ((x.id = calloc(max, sizeof(*x.id))) == NULL) {
		*why = NULL;
		return -1;
	}
	if (crm_text_names(m->tx, text, len, explain_one, &x, why) == -1) {
		free(x.id);
		return -1;
	}
	free(x.id);
	return (long)x.n;
}

/* ==== Bytes ==== */

int
crm_textclf_save(const struct crm_textclf *m, struct crm_buf *b)
{
	size_t i, n;

	if (crm_buf_add(b, MAGIC, 8) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->o.bits) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->o.minn) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->o.maxn) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->o.cjk_n) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->o.word_n) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->o.cjk_edges) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->k) == -1 ||
	    crm_buf_put32(b, (uint32_t)m->nrow) == -1 ||
	    crm_buf_put32(b, NCAL) == -1)
		return -1;
	for (i = 0; i < NCAL; i++)
		if (crm_buf_putf(b, (float)m->cal[i]) == -1)
			return -1;
	if (crm_buf_putf(b, (float)m->min_conf) == -1)
		return -1;
	for (i = 0; i < m->k; i++)
		if (crm_buf_put32(b, (uint32_t)m->nlen[i]) == -1 ||
		    crm_buf_add(b, m->names[i], m->nlen[i]) == -1)
			return -1;
	if (crm_buf_grow(b, m->nrow * (8 + 4 * m->k) + 4 * m->k) == -1)
		return -1;
	for (i = 0; i < m->nrow; i++)
		if (crm_buf_put32(b, m->ids[i]) == -1 ||
		    crm_buf_putf(b, m->idf[i]) == -1)
			return -1;
	n = m->nrow * m->k;
	for (i = 0; i < n; i++)
		if (crm_buf_putf(b, m->w[i]) == -1)
			return -1;
	for (i = 0; i < m->k; i++)
		if (crm_buf_putf(b, m->bias[i]) == -1)
			return -1;
	return 0;
}

struct crm_textclf *
crm_textclf_load(const void *p, size_t len, struct crm_err *e)
{
	struct crm_textclf *m;
	struct crm_in in = { p, len, 0 };
	const char *why;
	size_t i, n, nid;
	int version;

	if (len >= 8 && memcmp(p, MAGIC, 8) == 0)
		version = 3;
	else if (len >= 8 && memcmp(p, MAGIC2, 8) == 0)
		version = 2;
	else if (len >= 8 && memcmp(p, MAGIC1, 8) == 0)
		version = 1;
	else {
		crm_err_set(e, EX_DATAERR, "not a crm-intent text model");
		return NULL;
	}
	in.p += 8;
	in.left -= 8;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto nomem;
	m->o.bits = (int)crm_in_32(&in);
	m->o.minn = (int)crm_in_32(&in);
	m->o.maxn = (int)crm_in_32(&in);
	m->o.cjk_n = (int)crm_in_32(&in);
	m->o.word_n = (int)crm_in_32(&in);
	m->o.cjk_edges = version >= 3 ? (int)crm_in_32(&in) : 0;
	m->k = crm_in_32(&in);
	m->nrow = crm_in_32(&in);
	/* version 2 saved no coverage weight: it is 0 */
	switch (crm_in_32(&in)) {
	case NCAL:
		for (i = 0; i < NCAL; i++)
			m->cal[i] = crm_in_f(&in);
		break;
	case NCAL2:
		m->cal[0] = crm_in_f(&in);
		m->cal[1] = crm_in_f(&in);
		m->cal[2] = 0;
		m->cal[3] = crm_in_f(&in);
		break;
	default:
		goto bad;
	}
	m->cv_acc = -1;
	m->oos.threshold = -1;
	m->min_conf = version == 1 ? -1 : crm_in_f(&in);
	if (!(m->min_conf == -1 || (m->min_conf >= 0 && m->min_conf <= 1)))
		goto bad;
	if (in.bad || m->o.bits > MAX_BITS || m->k < 2 || m->k > MAX_CLASS)
		goto bad;
	if ((m->tx = crm_text_new(&m->o, &why)) == NULL) {
		if (why != NULL)
			goto bad;
		goto nomem;
	}
	nid = (size_t)1 << m->o.bits;
	if (m->nrow > nid || in.left / 4 < m->nrow * (2 + m->k))
		goto bad;
	if ((m->names = calloc(m->k, sizeof(*m->names))) == NULL ||
	    (m->nlen = calloc(m->k, sizeof(*m->nlen))) == NULL)
		goto nomem;
	for (i = 0; i < m->k; i++) {
		n = crm_in_32(&in);
		if (in.bad || n > in.left)
			goto bad;
		if ((m->names[i] = malloc(n + 1)) == NULL)
			goto nomem;
		memcpy(m->names[i], in.p, n);
		m->names[i][n] = '\0';
		m->nlen[i] = n;
		in.p += n;
		in.left -= n;
	}
	if (in.left != 4 * (m->nrow * (2 + m->k) + m->k))
		goto bad;
	if ((m->ids = calloc(m->nrow + 1, sizeof(*m->ids))) == NULL ||
	    (m->idf = calloc(m->nrow + 1, sizeof(*m->idf))) == NULL ||
	    (m->w = calloc((m->nrow + 1) * m->k, sizeof(*m->w))) == NULL ||
	    (m->bias = calloc(m->k, sizeof(*m->bias))) == NULL ||
	    (m->map = malloc(nid * sizeof(*m->map))) == NULL)
		goto nomem;
	for (i = 0; i < nid; i++)
		m->map[i] = -1;
	for (i = 0; i < m->nrow; i++) {
		m->ids[i] = crm_in_32(&in);
		m->idf[i] = crm_in_f(&in);
		if (m->ids[i] >= nid || (i > 0 && m->ids[i] <= m->ids[i - 1]))
			goto bad;
		m->map[m->ids[i]] = (int32_t)i;
	}
	n = m->nrow * m->k;
	for (i = 0; i < n; i++)
		m->w[i] = crm_in_f(&in);
	for (i = 0; i < m->k; i++)
		m->bias[i] = crm_in_f(&in);
	if (in.bad)
		goto bad;
	if (alloc_scratch(m) == -1)
		goto nomem;
	return m;

bad:
	crm_err_set(e, EX_DATAERR, "text model is damaged");
	crm_textclf_free(m);
	return NULL;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory while loading a model");
	crm_textclf_free(m);
	return NULL;
}
