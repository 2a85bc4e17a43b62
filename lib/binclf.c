/*
 * binclf: the classifier of binclf.h.  liblinear and libsvm do the
 * fitting.  libsvm reads and writes models only as files, so an SVM is
 * saved through a temporary file, whose text then lives in the blob.
 */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libsvm/svm.h>
#include <linear.h>

#include "binclf.h"
#include "gbt.h"

/*
 * The format's name and version: 2 added gbt's calibration; a version 1
 * model still loads (a gbt one uncalibrated).
 */
#define MAGIC	 "CRMBIN02"
#define MAGIC_V1 "CRMBIN01"

struct crm_binclf {
	enum crm_binclf_algo algo;
	struct crm_tab *tab;
	size_t width;
	double *w; /* LR: width weights, then the bias */
	struct svm_model *svm;
	int svm_yes; /* index of label 1 in libsvm's probabilities */
	struct svm_node *nodes;
	struct crm_gbt *gbt;
	double *phi;		  /* gbt: width + 1 contributions */
	int chosen;		  /* by CRM_ALGO_AUTO */
	double auto_lr, auto_gbt; /* its mean AUCs */
};

const char *
crm_binclf_algo_name(enum crm_binclf_algo a)
{
	static const char *const names[] = { "lr", "svm", "gbt", "auto" };

	return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

int
crm_binclf_auto(const struct crm_binclf *m, double *lr, double *gbt)
{
	*lr = m->auto_lr;
	*gbt = m->auto_gbt;
	return m->chosen;
}

/* Train m's trees on the n rows of its table; 0 or -1 with e. */
static int
train_gbt(struct crm_binclf *m, const int *y, size_t n,
    const struct crm_binclf_params *p, struct crm_err *e)
{
	struct crm_gbt_params gp;
	double *x;
	size_t i;

	crm_gbt_params_init(&gp);
	gp.seed = p->seed;
	gp.threads = p->threads;
	gp.progress = p->progress;
	if ((x = crm_reallocarray(NULL, n * m->width + 1, sizeof(*x))) ==
		NULL ||
	    (m->phi = calloc(m->width + 1, sizeof(*m->phi))) == NULL) {
		free(x);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < n; i++)
		crm_tab_row(m->tab, i, x + i * m->width);
	m->gbt = crm_gbt_train(x, y, n, m->width, &gp, e);
	free(x);
	return m->gbt != NULL ? 0 : -1;
}

static int svm_save_load(struct crm_binclf *, struct crm_err *);

/*
 * The solvers tell of their work only through their print functions,
 * which take no argument: the training in hand is kept here, and its
 * steps are told to its progress callback: liblinear's Newton iterations
 * (logistic regression; how many is not known), libsvm's solves (five for
 * the probability's cross-validation, then the model).
 */
static _Thread_local struct solving {
	const struct crm_progress_cb *cb;
	const char *unit;
	unsigned long long done, total;
} solving;

static void
count_steps(const char *s)
{
	if (solving.cb == NULL ||
	    (strncmp(s, "iter", 4) != 0 &&
		strstr(s, "optimization finished") == NULL))
		return;
	solving.done++;
	crm_progress_tell(
	    solving.cb, "training", solving.unit, solving.done, solving.total);
}

/*
 * The sparse form of x for liblinear (with its bias node) or libsvm;
 * returns the number of nodes written, the end marker included.
 */
static size_t
to_nodes(const struct crm_binclf *m, const double *x, struct feature_node *lf,
    struct svm_node *sv)
{
	size_t j, n = 0;

	for (j = 0; j < m->width; j++) {
		if (x[j] == 0)
			continue;
		if (lf != NULL) {
			lf[n].index = (int)j + 1;
			lf[n].value = x[j];
		} else {
			sv[n].index = (int)j + 1;
			sv[n].value = x[j];
		}
		n++;
	}
	if (lf != NULL) {
		lf[n].index = (int)m->width + 1;
		lf[n++].value = 1.0;
		lf[n].index = -1;
	} else
		sv[n].index = -1;
	return n + 1;
}

static int
svm_yes_index(const struct svm_model *svm)
{
	int lab[2];

	svm_get_labels(svm, lab);
	return lab[0] == 1 ? 0 : 1;
}

struct crm_binclf *
crm_binclf_train(struct crm_tab *t, const int *y, size_t n,
    const struct crm_binclf_params *p, struct crm_err *e)
{
	struct crm_binclf *m;
	double *x = NULL, *yd = NULL;
	struct feature_node *lspace = NULL, **lx = NULL;
	struct svm_node *sspace = NULL, **sx = NULL;
	size_t i, j, w = crm_tab_width(t), per = w + 2, nnz = 0, at;
	int pos = 0;

	for (i = 0; i < n; i++)
		pos += y[i] == 1;
	if (pos == 0 || (size_t)pos == n) {
		crm_tab_free(t);
		crm_err_set(e, EX_DATAERR,
		    "the label has one value only (%s for all %zu records)",
		    pos ? "yes" : "no", n);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		crm_tab_free(t);
		goto nomem;
	}
	m->algo = p->algo;
	m->tab = t;
	m->width = w;
	if ((m->nodes = calloc(per, sizeof(*m->nodes))) == NULL ||
	    (x = calloc(w, sizeof(*x))) == NULL ||
	    (yd = calloc(n, sizeof(*yd))) == NULL)
		goto nomem;
	/* the rows are sparse (one-hot): count their values first */
	for (i = 0; i < n; i++) {
		yd[i] = y[i] == 1 ? 1 : -1;
		crm_tab_row(t, i, x);
		for (j = 0; j < w; j++)
			nnz += x[j] != 0;
	}
	nnz += 2 * n; /* the bias and the end of each row */
	solving.cb = &p->progress;
	solving.unit = p->algo == CRM_ALGO_LR ? "iterations" : "solves";
	solving.done = 0;
	solving.total = p->algo == CRM_ALGO_LR ? 0 : 6;
	srand((unsigned)p->seed);
	if (p->algo == CRM_ALGO_GBT) {
		if (train_gbt(m, y, n, p, e) == -1)
			goto fail;
	} else if (p->algo == CRM_ALGO_LR) {
		struct problem prob;
		struct parameter param;
		struct model *lm;
		const char *why;

		if ((lspace = crm_reallocarray(NULL, nnz, sizeof(*lspace))) ==
			NULL ||
		    (lx = calloc(n, sizeof(*lx))) == NULL ||
		    (m->w = calloc(w + 1, sizeof(*m->w))) == NULL)
			goto nomem;
		for (i = 0, at = 0; i < n; i++) {
			crm_tab_row(t, i, x);
			lx[i] = lspace + at;
			at += to_nodes(m, x, lx[i], NULL);
		}
		prob.l = (int)n;
		prob.n = (int)w + 1;
		prob.y = yd;
		prob.x = lx;
		prob.bias = 1.0;
		memset(&param, 0, sizeof(param));
		param.solver_type = L2R_LR;
		param.C = p->c;
		param.eps = 0.001;
#if LIBLINEAR_VERSION >= 240
		param.regularize_bias =
		    1; /* as 2.3 did; 0 would change models */
#endif
		set_print_string_function(count_steps);
		if ((why = check_parameter(&prob, &param)) != NULL) {
			crm_err_set(e, EX_SOFTWARE, "liblinear: %s", why);
			goto fail;
		}
		if ((lm = train(&prob, &param)) == NULL)
			goto nomem;
		/* weights toward label 1, whichever liblinear put first */
		for (j = 0; j < w; j++)
			m->w[j] = get_decfun_coef(
			    lm, (int)j + 1, lm->label[0] == 1 ? 0 : 1);
		m->w[w] = get_decfun_bias(lm, lm->label[0] == 1 ? 0 : 1);
		free_and_destroy_model(&lm);
	} else {
		struct svm_problem prob;
		struct svm_parameter param;
		const char *why;

		if ((sspace = crm_reallocarray(NULL, nnz, sizeof(*sspace))) ==
			NULL ||
		    (sx = calloc(n, sizeof(*sx))) == NULL)
			goto nomem;
		for (i = 0, at = 0; i < n; i++) {
			crm_tab_row(t, i, x);
			sx[i] = sspace + at;
			at += to_nodes(m, x, NULL, sx[i]);
		}
		prob.l = (int)n;
		prob.y = yd;
		prob.x = sx;
		memset(&param, 0, sizeof(param));
		param.svm_type = C_SVC;
		param.kernel_type = RBF;
		param.gamma = 1.0 / (double)w;
		param.C = p->c;
		param.cache_size = 100;
		param.eps = 0.001;
		param.shrinking = 1;
		param.probability = 1;
		if ((why = svm_check_parameter(&prob, &param)) != NULL) {
			crm_err_set(e, EX_SOFTWARE, "libsvm: %s", why);
			goto fail;
		}
		svm_set_print_string_function(count_steps);
		if ((m->svm = svm_train(&prob, &param)) == NULL)
			goto nomem;
		/* the model points into the training vectors: copy them */
		if (svm_save_load(m, e) == -1)
			goto fail;
		m->svm_yes = svm_yes_index(m->svm);
	}
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory while training");
fail:
	crm_binclf_free(m);
	m = NULL;
out:
	solving.cb = NULL;
	free(x);
	free(yd);
	free(lspace);
	free(lx);
	free(sspace);
	free(sx);
	return m;
}

/* Create an empty temporary file; its name goes to name.  fd or -1. */
static int
tmp_file(struct crm_buf *name, struct crm_err *e)
{
	const char *dir = getenv("TMPDIR");
	int fd, i, bad;

	bad = crm_buf_addf(
	    name, "%s/crm-svm-", dir != NULL && *dir != '\0' ? dir : "/tmp");
	for (i = 0; i < 6; i++) /* the six letters mkstemp(3) replaces */
		bad |= crm_buf_addc(name, 'X');
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if ((fd = mkstemp(name->p)) == -1)
		crm_err_set(e, EX_CANTCREAT,
		    "cannot create a temporary file: %s", strerror(errno));
	return fd;
}

/* libsvm's text of svm, through a temporary file; 0 or -1. */
static int
svm_to_text(const struct svm_model *svm, struct crm_buf *out, struct crm_err *e)
{
	struct crm_buf name;
	FILE *fp;
	char chunk[8192];
	size_t n;
	int fd, rc = -1;

	crm_buf_init(&name);
	if ((fd = tmp_file(&name, e)) == -1)
		goto out;
	close(fd);
	if (svm_save_model(name.p, svm) != 0 ||
	    (fp = fopen(name.p, "rb")) == NULL) {
		crm_err_set(e, EX_IOERR, "cannot save the SVM to '%s'", name.p);
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (crm_buf_add(out, chunk, n) == -1) {
			fclose(fp);
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
	fclose(fp);
	rc = 0;
out:
	if (fd != -1)
		unlink(name.p);
	crm_buf_release(&name);
	return rc;
}

/* ==== libsvm's model text, checked before libsvm reads it ==== */

/*
 * svm_load_model() trusts its file: a count it reads sizes its arrays, a
 * missing token reaches strtod() as NULL, and a header it cannot read is
 * reported on stderr ("ERROR: fscanf failed to read model") and leaks.
 * So the text is checked here first, line by line, against what
 * svm_save_model() writes for our models (C-SVC, RBF, two classes, with
 * probabilities): libsvm only ever reads text that passes.
 */

/* A line of the text: its tokens, separated by spaces or tabs. */
struct svm_line {
	const char *p, *end; /* the line, without its newline */
	unsigned long no;    /* 1-based */
};

/* The next token of l from *at, or NULL; its length in *n. */
static const char *
svm_token(const struct svm_line *l, const char **at, size_t *n)
{
	const char *s = *at, *t;

	while (s < l->end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == l->end)
		return NULL;
	for (t = s; t < l->end && *t != ' ' && *t != '\t'; t++)
		;
	*n = (size_t)(t - s);
	*at = t;
	return s;
}

/*
 * Whether s[0..n) is a finite number as %.17g writes one: a sign,
 * digits, a fraction, an exponent; no inf or nan, and no exponent that
 * would overflow a double.
 */
static int
svm_number(const char *s, size_t n, double *v)
{
	char buf[64], *end, *dot;
	size_t i = 0, digits = 0;
	struct lconv *lc = localeconv();

	if (n == 0 || n >= sizeof(buf))
		return 0;
	if (s[i] == '-' || s[i] == '+')
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;

		if (++i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (e0 = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == e0 || i - e0 > 3)
			return 0;
	}
	if (i != n)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* strtod reads the locale's decimal point; libsvm writes '.' */
	if (lc->decimal_point[0] != '.' && lc->decimal_point[1] == '\0' &&
	    (dot = strchr(buf, '.')) != NULL)
		*dot = lc->decimal_point[0];
	*v = strtod(buf, &end);
	return *end == '\0' && isfinite(*v);
}

/* Whether s[0..n) is an int (as %d writes one) in [lo, hi]. */
static int
svm_int(const char *s, size_t n, long lo, long hi, long *v)
{
	size_t i = 0;
	long x = 0;
	int neg = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		neg = s[i++] == '-';
	if (i == n || n - i > 10)
		return 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		x = x * 10 + (s[i] - '0');
	}
	*v = neg ? -x : x;
	return *v >= lo && *v <= hi;
}

/*
 * Check header line l: the keyword key, then want values, each an int
 * (ints != NULL, filled) or a finite number.  0 or -1.
 */
static int
svm_header(const struct svm_line *l, const char *key, int want, long *ints,
    struct crm_err *e)
{
	const char *at = l->p, *t;
	size_t n;
	double d;
	long v;
	int i;

	if ((t = svm_token(l, &at, &n)) == NULL || n != strlen(key) ||
	    memcmp(t, key, n) != 0)
		return crm_err_set(e, EX_DATAERR,
		    "churn model is damaged: SVM line %lu: not '%s'", l->no,
		    key);
	for (i = 0; i <= want; i++) {
		t = svm_token(l, &at, &n);
		if (i == want
			? t == NULL
			: t != NULL && (ints != NULL ? svm_int(t, n, INT_MIN,
							   INT_MAX, &v)
						     : svm_number(t, n, &d))) {
			if (ints != NULL && i < want)
				ints[i] = v;
			continue;
		}
		return crm_err_set(e, EX_DATAERR,
		    "churn model is damaged: SVM line %lu: '%s' wants %d "
		    "%s%s",
		    l->no, key, want, ints != NULL ? "integer" : "number",
		    want == 1 ? "" : "s");
	}
	return 0;
}

/* Check l, a support vector: a coefficient, then index:value ascending. */
static int
svm_vector(const struct svm_line *l, struct crm_err *e)
{
	const char *at = l->p, *t, *colon;
	size_t n;
	long idx, last = 0;
	double d;

	if ((t = svm_token(l, &at, &n)) == NULL || !svm_number(t, n, &d))
		return crm_err_set(e, EX_DATAERR,
		    "churn model is damaged: SVM line %lu: no coefficient",
		    l->no);
	while ((t = svm_token(l, &at, &n)) != NULL) {
		if ((colon = memchr(t, ':', n)) == NULL ||
		    !svm_int(t, (size_t)(colon - t), last + 1, INT_MAX, &idx) ||
		    !svm_number(colon + 1, n - (size_t)(colon - t) - 1, &d))
			return crm_err_set(e, EX_DATAERR,
			    "churn model is damaged: SVM line %lu: '%.*s' is "
			    "not index:value with an index above %ld",
			    l->no, n > 40 ? 40 : (int)n, t, last);
		last = idx;
	}
	return 0;
}

/* Check libsvm's text p[0..len); 0, or -1 with e filled (EX_DATAERR). */
static int
svm_text_check(const char *p, size_t len, struct crm_err *e)
{
	static const char *const keys[] = { "svm_type", "kernel_type", "gamma",
		"nr_class", "total_sv", "rho", "label", "probA", "probB",
		"nr_sv", "SV" };
	const char *end = p + len, *nl;
	struct svm_line l;
	long total = 0, two[2], sv = 0;
	size_t k = 0;

	for (l.no = 1, l.p = p; l.p < end; l.no++, l.p = nl + 1) {
		if ((nl = memchr(l.p, '\n', (size_t)(end - l.p))) == NULL ||
		    memchr(l.p, '\0', (size_t)(nl - l.p)) != NULL)
			return crm_err_set(e, EX_DATAERR,
			    "churn model is damaged: SVM line %lu: cut short",
			    l.no);
		l.end = nl;
		if (k < sizeof(keys) / sizeof(keys[0])) {
			const char *key = keys[k++];
			int rc;

			if (strcmp(key, "svm_type") == 0)
				rc = l.end - l.p == 14 &&
					     memcmp(
						 l.p, "svm_type c_svc", 14) == 0
					 ? 0
					 : crm_err_set(e, EX_DATAERR,
					       "churn model is damaged: SVM "
					       "line "
					       "%lu: not 'svm_type c_svc'",
					       l.no);
			else if (strcmp(key, "kernel_type") == 0)
				rc = l.end - l.p == 15 &&
					     memcmp(l.p, "kernel_type rbf",
						 15) == 0
					 ? 0
					 : crm_err_set(e, EX_DATAERR,
					       "churn model is damaged: SVM "
					       "line "
					       "%lu: not 'kernel_type rbf'",
					       l.no);
			else if (strcmp(key, "nr_class") == 0) {
				rc = svm_header(&l, key, 1, two, e);
				if (rc == 0 && two[0] != 2)
					rc = crm_err_set(e, EX_DATAERR,
					    "churn model is damaged: SVM line "
					    "%lu: nr_class %ld, not 2",
					    l.no, two[0]);
			} else if (strcmp(key, "total_sv") == 0) {
				rc = svm_header(&l, key, 1, two, e);
				total = two[0];
				if (rc == 0 && total < 1)
					rc = crm_err_set(e, EX_DATAERR,
					    "churn model is damaged: SVM line "
					    "%lu: total_sv %ld",
					    l.no, total);
			} else if (strcmp(key, "label") == 0)
				rc = svm_header(&l, key, 2, two, e);
			else if (strcmp(key, "nr_sv") == 0) {
				rc = svm_header(&l, key, 2, two, e);
				if (rc == 0 && (two[0] < 0 || two[1] < 0 ||
						   two[0] + two[1] != total))
					rc = crm_err_set(e, EX_DATAERR,
					    "churn model is damaged: SVM line "
					    "%lu: nr_sv %ld %ld, not two parts "
					    "of total_sv %ld",
					    l.no, two[0], two[1], total);
			} else if (strcmp(key, "SV") == 0)
				rc = svm_header(&l, key, 0, NULL, e);
			else /* gamma, rho, probA, probB: one number */
				rc = svm_header(&l, key, 1, NULL, e);
			if (rc == -1)
				return -1;
			continue;
		}
		if (sv == total)
			return crm_err_set(e, EX_DATAERR,
			    "churn model is damaged: SVM line %lu: more than "
			    "total_sv %ld support vectors",
			    l.no, total);
		if (svm_vector(&l, e) == -1)
			return -1;
		sv++;
	}
	if (k < sizeof(keys) / sizeof(keys[0]) || sv < total)
		return crm_err_set(e, EX_DATAERR,
		    "churn model is damaged: SVM line %lu: cut short", l.no);
	return 0;
}

/* A libsvm model from its text, through a temporary file. */
static struct svm_model *
svm_from_text(const char *p, size_t len, struct crm_err *e)
{
	struct svm_model *svm = NULL;
	struct crm_buf name;
	FILE *fp;
	int fd;

	crm_buf_init(&name);
	if ((fd = tmp_file(&name, e)) == -1) {
		crm_buf_release(&name);
		return NULL;
	}
	if ((fp = fdopen(fd, "wb")) == NULL) {
		crm_err_set(e, EX_CANTCREAT, "cannot write '%s': %s", name.p,
		    strerror(errno));
		close(fd);
	} else if (fwrite(p, 1, len, fp) != len || fclose(fp) == EOF)
		crm_err_set(e, EX_IOERR, "cannot write '%s'", name.p);
	else if ((svm = svm_load_model(name.p)) == NULL ||
		 svm_get_nr_class(svm) != 2 ||
		 svm_check_probability_model(svm) == 0) {
		crm_err_set(e, EX_DATAERR, "churn model is damaged");
		if (svm != NULL)
			svm_free_and_destroy_model(&svm);
	}
	unlink(name.p);
	crm_buf_release(&name);
	return svm;
}

/* Make the trained SVM own its vectors: through its text and back. */
static int
svm_save_load(struct crm_binclf *m, struct crm_err *e)
{
	struct crm_buf text;

	crm_buf_init(&text);
	if (svm_to_text(m->svm, &text, e) == -1) {
		crm_buf_release(&text);
		return -1;
	}
	svm_free_and_destroy_model(&m->svm);
	m->svm = svm_from_text(text.p, text.len, e);
	crm_buf_release(&text);
	return m->svm != NULL ? 0 : -1;
}

void
crm_binclf_free(struct crm_binclf *m)
{
	if (m == NULL)
		return;
	crm_tab_free(m->tab);
	free(m->w);
	free(m->nodes);
	free(m->phi);
	crm_gbt_free(m->gbt);
	if (m->svm != NULL)
		svm_free_and_destroy_model(&m->svm);
	free(m);
}

int
crm_binclf_threads(struct crm_binclf *m, int n, struct crm_err *e)
{
	return m->gbt != NULL ? crm_gbt_threads(m->gbt, n, e) : 0;
}

const struct crm_tab *
crm_binclf_tab(const struct crm_binclf *m)
{
	return m->tab;
}

enum crm_binclf_algo
crm_binclf_algo(const struct crm_binclf *m)
{
	return m->algo;
}

/* The log-odds of yes for x. */
static double
logodds(const struct crm_binclf *m, const double *x)
{
	double z, pr[2];
	size_t j;

	if (m->algo == CRM_ALGO_GBT)
		return crm_gbt_margin(m->gbt, x);
	if (m->algo == CRM_ALGO_LR) {
		for (j = 0, z = m->w[m->width]; j < m->width; j++)
			z += m->w[j] * x[j];
		return z;
	}
	to_nodes(m, x, NULL, m->nodes);
	svm_predict_probability(m->svm, m->nodes, pr);
	z = pr[m->svm_yes];
	z = z < 1e-12 ? 1e-12 : z > 1 - 1e-12 ? 1 - 1e-12 : z;
	return log(z / (1 - z));
}

double
crm_binclf_logodds(const struct crm_binclf *m, const double *x)
{
	return logodds(m, x);
}

double
crm_binclf_prob(const struct crm_binclf *m, const double *x)
{
	double z = logodds(m, x);

	if (m->algo == CRM_ALGO_GBT)
		z = crm_gbt_calibrated(m->gbt, z);
	return 1 / (1 + exp(-z));
}

int
crm_binclf_batch(const struct crm_binclf *m, const double *x, size_t n,
    double *prob, double *phi)
{
	size_t i;

	if (m->algo != CRM_ALGO_GBT)
		return -1;
	if (crm_gbt_predict_n(m->gbt, x, n, prob, phi) == -1)
		return -1;
	for (i = 0; i < n; i++)
		prob[i] = 1 / (1 + exp(-crm_gbt_calibrated(m->gbt, prob[i])));
	return 0;
}

/* The reasons for x, given its contributions phi for gbt. */
static size_t
reasons(const struct crm_binclf *m, const double *x, const double *phi,
    struct crm_contrib *out, size_t max)
{
	const struct crm_tab *t = m->tab;
	size_t i, j, first, nf, n = 0, at;
	double c, base = 0, *y = NULL;

	if (m->algo == CRM_ALGO_SVM) {
		if ((y = malloc(m->width * sizeof(*y))) == NULL)
			return 0;
		base = logodds(m, x);
	}
	for (i = 0; i < crm_tab_columns(t); i++) {
		crm_tab_column_range(t, i, &first, &nf);
		if (nf == 0)
			continue;
		if (m->algo == CRM_ALGO_GBT) {
			for (j = first, c = 0; j < first + nf; j++)
				c += phi[j];
		} else if (m->algo == CRM_ALGO_LR) {
			for (j = first, c = 0; j < first + nf; j++)
				c += m->w[j] * (x[j] - crm_tab_mean(t, j));
		} else {
			memcpy(y, x, m->width * sizeof(*y));
			for (j = first; j < first + nf; j++)
				y[j] = crm_tab_mean(t, j);
			c = base - logodds(m, y);
		}
		if (!(c > 1e-9) || (n == max && c <= out[n - 1].logodds))
			continue;
		at = n < max ? n++ : n - 1;
		while (at > 0 && out[at - 1].logodds < c) {
			out[at] = out[at - 1];
			at--;
		}
		out[at].col = i;
		out[at].logodds = c;
	}
	free(y);
	return n;
}

size_t
crm_binclf_reasons(const struct crm_binclf *m, const double *x,
    struct crm_contrib *out, size_t max)
{
	if (m->algo == CRM_ALGO_GBT &&
	    crm_gbt_contribs(m->gbt, x, m->phi) == -1)
		return 0;
	return reasons(m, x, m->phi, out, max);
}

size_t
crm_binclf_reasons_phi(const struct crm_binclf *m, const double *x,
    const double *phi, struct crm_contrib *out, size_t max)
{
	return reasons(m, x, phi, out, max);
}

int
crm_binclf_save(const struct crm_binclf *m, struct crm_buf *b)
{
	struct crm_buf text;
	struct crm_err e;
	size_t j;
	int bad = 0;

	bad |= crm_buf_add(b, MAGIC, 8);
	bad |= crm_buf_put32(b, (uint32_t)m->algo);
	bad |= crm_tab_save(m->tab, b);
	if (m->algo == CRM_ALGO_GBT)
		return bad || crm_gbt_save(m->gbt, b) == -1 ? -1 : 0;
	if (m->algo == CRM_ALGO_LR) {
		for (j = 0; j <= m->width; j++)
			bad |= crm_buf_putd(b, m->w[j]);
		return bad ? -1 : 0;
	}
	crm_buf_init(&text);
	if (svm_to_text(m->svm, &text, &e) == -1) {
		crm_buf_release(&text);
		return -1;
	}
	bad |= crm_buf_put32(b, (uint32_t)text.len);
	bad |= crm_buf_add(b, text.p, text.len);
	crm_buf_release(&text);
	return bad ? -1 : 0;
}

struct crm_binclf *
crm_binclf_load(const void *p, size_t len, struct crm_err *e)
{
	struct crm_binclf *m;
	struct crm_in in = { p, len, 0 };
	const unsigned char *q;
	size_t left, j, n;
	const char *text;
	int version;

	if (len >= 8 && memcmp(p, MAGIC, 8) == 0)
		version = 2;
	else if (len >= 8 && memcmp(p, MAGIC_V1, 8) == 0)
		version = 1;
	else {
		crm_err_set(e, EX_DATAERR, "not a crm-churn model");
		return NULL;
	}
	crm_in_bytes(&in, 8);
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	m->algo = (enum crm_binclf_algo)crm_in_32(&in);
	if (in.bad || (m->algo != CRM_ALGO_LR && m->algo != CRM_ALGO_SVM &&
			  m->algo != CRM_ALGO_GBT))
		goto bad;
	q = in.p;
	left = in.left;
	if ((m->tab = crm_tab_load(&q, &left, e)) == NULL)
		goto fail;
	in.p = q;
	in.left = left;
	m->width = crm_tab_width(m->tab);
	if ((m->nodes = calloc(m->width + 2, sizeof(*m->nodes))) == NULL)
		goto nomem;
	if (m->algo == CRM_ALGO_GBT) {
		if ((m->phi = calloc(m->width + 1, sizeof(*m->phi))) == NULL)
			goto nomem;
		if ((m->gbt = crm_gbt_load(&in, m->width, version, e)) == NULL)
			goto fail;
		if (in.left != 0)
			goto bad;
		return m;
	}
	if (m->algo == CRM_ALGO_LR) {
		if ((m->w = calloc(m->width + 1, sizeof(*m->w))) == NULL)
			goto nomem;
		for (j = 0; j <= m->width; j++)
			m->w[j] = crm_in_d(&in);
		if (in.bad || in.left != 0)
			goto bad;
		return m;
	}
	n = crm_in_32(&in);
	if ((text = crm_in_bytes(&in, n)) == NULL || in.left != 0)
		goto bad;
	if (svm_text_check(text, n, e) == -1)
		goto fail;
	if ((m->svm = svm_from_text(text, n, e)) == NULL)
		goto fail;
	m->svm_yes = svm_yes_index(m->svm);
	return m;
bad:
	crm_err_set(e, EX_DATAERR, "churn model is damaged");
	goto fail;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory while loading a model");
fail:
	crm_binclf_free(m);
	return NULL;
}

/* ==== Training sets and k-fold cross-validation ==== */

struct crm_binclf_set {
	struct crm_rec **recs;
	int *y;
	size_t n, cap;
	char **tfield; /* the forced types, in order */
	enum crm_coltype *ttype;
	size_t ntypes;
};

struct crm_binclf_set *
crm_binclf_set_new(void)
{
	return calloc(1, sizeof(struct crm_binclf_set));
}

void
crm_binclf_set_free(struct crm_binclf_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		crm_rec_free(s->recs[i]);
	for (i = 0; i < s->ntypes; i++)
		free(s->tfield[i]);
	free(s->recs);
	free(s->y);
	free(s->tfield);
	free(s->ttype);
	free(s);
}

int
crm_binclf_set_type(
    struct crm_binclf_set *s, const char *field, enum crm_coltype type)
{
	char **f;
	enum crm_coltype *t;

	if ((f = crm_reallocarray(s->tfield, s->ntypes + 1, sizeof(*f))) ==
	    NULL)
		return -1;
	s->tfield = f;
	if ((t = crm_reallocarray(s->ttype, s->ntypes + 1, sizeof(*t))) == NULL)
		return -1;
	s->ttype = t;
	if ((f[s->ntypes] = strdup(field)) == NULL)
		return -1;
	t[s->ntypes++] = type;
	return 0;
}

int
crm_binclf_set_add(struct crm_binclf_set *s, const struct crm_rec *r, int y)
{
	struct crm_rec *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct crm_rec **p;
		int *py;

		if ((p = crm_reallocarray(s->recs, cap, sizeof(*p))) == NULL)
			return -1;
		s->recs = p;
		if ((py = crm_reallocarray(s->y, cap, sizeof(*py))) == NULL)
			return -1;
		s->y = py;
		s->cap = cap;
	}
	if ((c = crm_rec_new()) == NULL)
		return -1;
	if (crm_rec_copy(c, r) == -1) {
		crm_rec_free(c);
		return -1;
	}
	s->recs[s->n] = c;
	s->y[s->n++] = y;
	return 0;
}

size_t
crm_binclf_set_size(const struct crm_binclf_set *s)
{
	return s->n;
}

const int *
crm_binclf_set_labels(const struct crm_binclf_set *s)
{
	return s->y;
}

size_t
crm_binclf_fold(size_t i, size_t k)
{
	return i % k;
}

static struct crm_binclf *fit_auto(const struct crm_binclf_set *s, size_t k,
    size_t fold, const struct crm_binclf_params *p, struct crm_err *e);

struct crm_binclf *
crm_binclf_fit(const struct crm_binclf_set *s, size_t k, size_t fold,
    const struct crm_binclf_params *p, struct crm_err *e)
{
	struct crm_binclf *m;
	struct crm_tab *t;
	int *y = NULL;
	size_t i, n = 0;

	if (p->algo == CRM_ALGO_AUTO)
		return fit_auto(s, k, fold, p, e);
	if ((t = crm_tab_new()) == NULL ||
	    (y = calloc(s->n + 1, sizeof(*y))) == NULL)
		goto nomem;
	for (i = 0; i < s->ntypes; i++)
		if (crm_tab_set_type(t, s->tfield[i], s->ttype[i]) == -1)
			goto nomem;
	if (p->algo == CRM_ALGO_GBT)
		crm_tab_no_bins(t);
	for (i = 0; i < s->n; i++) {
		if (k > 0 && crm_binclf_fold(i, k) == fold)
			continue;
		if (crm_tab_add(t, s->recs[i]) == -1)
			goto nomem;
		y[n++] = s->y[i];
	}
	if (crm_tab_fit(t, e) == -1) {
		crm_tab_free(t);
		free(y);
		return NULL;
	}
	m = crm_binclf_train(t, y, n, p, e); /* takes t */
	free(y);
	return m;
nomem:
	crm_tab_free(t);
	free(y);
	crm_err_set(e, EX_SOFTWARE, "out of memory");
	return NULL;
}

/* The progress of a fold's training, told as the fold's. */
struct fold_progress {
	const struct crm_progress_cb *up;
	char phase[64];
};

static void
fold_step(void *arg, const char *phase, const char *unit,
    unsigned long long done, unsigned long long total)
{
	struct fold_progress *fo = arg;

	(void)phase;
	crm_progress_tell(fo->up, fo->phase, unit, done, total);
}

int
crm_binclf_cv(const struct crm_binclf_set *s, size_t k,
    const struct crm_binclf_params *p, struct crm_binmetrics *fold,
    double *prob, struct crm_err *e)
{
	struct crm_binclf_params pf = *p;
	struct fold_progress fo = { &p->progress, "" };
	struct crm_binclf *m;
	double *fp = NULL, *x = NULL, *nx;
	int *fy = NULL, rc = -1;
	size_t f, i, n;

	if (p->progress.fn != NULL) {
		pf.progress.fn = fold_step;
		pf.progress.arg = &fo;
	}

	if (k == 0 || s->n < k)
		return crm_err_set(e, EX_DATAERR,
		    "%zu records are too few for %zu folds", s->n, k);
	if ((fp = calloc(s->n, sizeof(*fp))) == NULL ||
	    (fy = calloc(s->n, sizeof(*fy))) == NULL)
		goto nomem;
	for (f = 0; f < k; f++) {
		snprintf(fo.phase, sizeof(fo.phase), "training fold %zu/%zu",
		    f + 1, k);
		if ((m = crm_binclf_fit(s, k, f, &pf, e)) == NULL) {
			char msg[sizeof(e->msg)];

			memcpy(msg, e->msg, sizeof(msg));
			crm_err_set(e, e->code, "fold %zu: %s", f + 1, msg);
			goto out;
		}
		nx = realloc(x, crm_tab_width(m->tab) * sizeof(*x));
		if (nx == NULL) {
			crm_binclf_free(m);
			goto nomem;
		}
		x = nx;
		for (i = 0, n = 0; i < s->n; i++) {
			if (crm_binclf_fold(i, k) != f)
				continue;
			if (crm_tab_encode(m->tab, s->recs[i], 0, x, e) == -1) {
				e->line = crm_rec_line(s->recs[i]);
				crm_binclf_free(m);
				goto out;
			}
			fp[n] = crm_binclf_prob(m, x);
			fy[n++] = s->y[i];
			if (prob != NULL)
				prob[i] = fp[n - 1];
		}
		crm_binclf_free(m);
		if (crm_binary_metrics(fp, fy, n, &fold[f]) == -1)
			goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(fp);
	free(fy);
	free(x);
	return rc;
}

void
crm_binclf_cv_mean(
    const struct crm_binmetrics *fold, size_t k, struct crm_binmetrics *mean)
{
	size_t f, nauc = 0, nap = 0;

	memset(mean, 0, sizeof(*mean));
	for (f = 0; f < k; f++) {
		mean->n += fold[f].n;
		mean->pos += fold[f].pos;
		if (!isnan(fold[f].auc)) {
			mean->auc += fold[f].auc;
			nauc++;
		}
		if (!isnan(fold[f].pr_auc)) {
			mean->pr_auc += fold[f].pr_auc;
			nap++;
		}
		mean->log_loss += fold[f].log_loss / (double)k;
		mean->brier += fold[f].brier / (double)k;
		mean->lift10 += fold[f].lift10 / (double)k;
	}
	mean->auc = nauc ? mean->auc / (double)nauc : NAN;
	mean->pr_auc = nap ? mean->pr_auc / (double)nap : NAN;
}

/*
 * CRM_ALGO_AUTO: cross-validate lr and gbt on the rows of s outside fold
 * (of k; all with k 0), the same folds for both, and train the better on
 * all those rows.
 */
static struct crm_binclf *
fit_auto(const struct crm_binclf_set *s, size_t k, size_t fold,
    const struct crm_binclf_params *p, struct crm_err *e)
{
	struct crm_binclf_set sub = *s;
	struct crm_binclf_params pa = *p;
	struct crm_binmetrics folds[CRM_AUTO_FOLDS], mean;
	struct crm_binclf *m = NULL;
	double auc[2];
	size_t i, a;
	static const enum crm_binclf_algo algos[2] = { CRM_ALGO_LR,
		CRM_ALGO_GBT };

	sub.recs = NULL;
	sub.y = NULL;
	sub.n = 0;
	if (k > 0) { /* the rows outside the fold, borrowed */
		if ((sub.recs = calloc(s->n + 1, sizeof(*sub.recs))) == NULL ||
		    (sub.y = calloc(s->n + 1, sizeof(*sub.y))) == NULL)
			goto nomem;
		for (i = 0; i < s->n; i++)
			if (crm_binclf_fold(i, k) != fold) {
				sub.recs[sub.n] = s->recs[i];
				sub.y[sub.n++] = s->y[i];
			}
	} else {
		sub.recs = s->recs;
		sub.y = s->y;
		sub.n = s->n;
	}
	for (a = 0; a < 2; a++) {
		pa.algo = algos[a];
		if (crm_binclf_cv(&sub, CRM_AUTO_FOLDS, &pa, folds, NULL, e) ==
		    -1) {
			if (e->code != EX_DATAERR)
				goto out;
			/* too few records, or a fold of one label: lr */
			crm_err_clear(e);
			auc[0] = auc[1] = NAN;
			break;
		}
		crm_binclf_cv_mean(folds, CRM_AUTO_FOLDS, &mean);
		auc[a] = mean.auc;
	}
	if (isnan(auc[0]) || isnan(auc[1]))
		auc[0] = auc[1] = NAN;
	pa.algo = auc[1] > auc[0] ? CRM_ALGO_GBT : CRM_ALGO_LR;
	if ((m = crm_binclf_fit(&sub, 0, 0, &pa, e)) != NULL) {
		m->chosen = isnan(auc[0]) ? 2 : 1;
		m->auto_lr = auc[0];
		m->auto_gbt = auc[1];
	}
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	if (k > 0) {
		free(sub.recs);
		free(sub.y);
	}
	return m;
}
