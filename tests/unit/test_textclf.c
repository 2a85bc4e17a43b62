/*
 * test_textclf: training on several worker processes (lib/msvm.c through
 * crm_textclf_train): the model's bytes are the same for any number of
 * workers, with many classes, with two, and with a class that a
 * calibration fold lacks; the progress counts the problems to their
 * total; crm_msvm_solve on a hand-made problem gives the lacking class a
 * bias that never wins, gives a fold of one class zero weights (as
 * liblinear does), and learns from background texts without keeping a
 * class for them; without a background set, the score curve learns what
 * an unknown intent looks like from the held-out texts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "err.h"
#include "msvm.h"
#include "tap.h"
#include "textclf.h"

struct ex {
	const char *text, *label;
};

/* Four classes; "lost" has one text, so one calibration fold lacks it. */
static const struct ex four[] = {
	{ "where is my order", "status" },
	{ "my parcel has not arrived", "status" },
	{ "tracking number for my package", "status" },
	{ "when will the delivery arrive", "status" },
	{ "我的快递到哪了", "status" },
	{ "I want a refund", "refund" },
	{ "give me my money back", "refund" },
	{ "return this broken item for a refund", "refund" },
	{ "我要退款", "refund" },
	{ "申请退货退款", "refund" },
	{ "change my delivery address", "address" },
	{ "I moved, update the shipping address", "address" },
	{ "修改收货地址", "address" },
	{ "send it to my office instead", "address" },
	{ "I lost my password", "lost" },
};

static const struct ex two[] = {
	{ "great product, works well", "pos" },
	{ "love it, fast delivery", "pos" },
	{ "很好用，推荐", "pos" },
	{ "excellent service", "pos" },
	{ "broken on arrival", "neg" },
	{ "terrible, want my money back", "neg" },
	{ "质量太差了", "neg" },
	{ "never buying again", "neg" },
};

/* The last progress of each phase seen, by name. */
struct seen {
	char phase[8][64];
	unsigned long long done[8], total[8];
	int n, bad;
};

static void
on_progress(void *arg, const char *phase, const char *unit,
    unsigned long long done, unsigned long long total)
{
	struct seen *s = arg;
	int i;

	if (strcmp(unit, "models") != 0 || done > total)
		s->bad++;
	for (i = 0; i < s->n && strcmp(s->phase[i], phase) != 0; i++)
		;
	if (i == s->n) {
		if (s->n == 8)
			return;
		snprintf(s->phase[s->n++], sizeof(s->phase[0]), "%s", phase);
	}
	if (done < s->done[i]) /* one phase's count never goes back */
		s->bad++;
	s->done[i] = done;
	s->total[i] = total;
}

/* A training set of the n examples ex, or NULL. */
static struct crm_textclf_set *
set_of(const struct crm_textclf_params *p, const struct ex *ex, size_t n)
{
	struct crm_textclf_set *s;
	const char *why;
	size_t i;

	if ((s = crm_textclf_set_new(&p->text, &why)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		crm_textclf_set_add(s, ex[i].text, strlen(ex[i].text),
		    ex[i].label, strlen(ex[i].label), &why);
	return s;
}

/* Train on the n examples ex with threads workers; the bytes into b. */
static int
train_bytes(const struct ex *ex, size_t n, int threads, struct crm_buf *b,
    struct seen *seen)
{
	struct crm_textclf_params p = CRM_TEXTCLF_PARAMS_DEFAULT;
	struct crm_textclf_set *s;
	struct crm_textclf *m;
	struct crm_err e;
	int rc;

	p.threads = threads;
	if (seen != NULL) {
		p.progress.fn = on_progress;
		p.progress.arg = seen;
	}
	if ((s = set_of(&p, ex, n)) == NULL)
		return -1;
	crm_err_clear(&e);
	m = crm_textclf_train(s, &p, &e);
	rc = m != NULL ? crm_textclf_save(m, b) : -1;
	crm_textclf_free(m);
	crm_textclf_set_free(s);
	return rc;
}

/* The same bytes with 1, 2, 3 and all-the-processors workers. */
static void
same_bytes(const char *what, const struct ex *ex, size_t n)
{
	static const int threads[] = { 2, 3, 0 };
	struct crm_buf one, other;
	size_t i;

	crm_buf_init(&one);
	TAP_OK(train_bytes(ex, n, 1, &one, NULL) == 0 && one.len > 0,
	    "%s: trained on one worker", what);
	for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		crm_buf_init(&other);
		TAP_OK(train_bytes(ex, n, threads[i], &other, NULL) == 0 &&
			   other.len == one.len &&
			   memcmp(other.p, one.p, one.len) == 0,
		    "%s: %d workers (0: the processors), the same bytes", what,
		    threads[i]);
		crm_buf_release(&other);
	}
	crm_buf_release(&one);
}

static void
test_progress(void)
{
	struct seen seen;
	struct crm_buf b;

	memset(&seen, 0, sizeof(seen));
	crm_buf_init(&b);
	TAP_OK(train_bytes(
		   four, sizeof(four) / sizeof(four[0]), 2, &b, &seen) == 0,
	    "progress: trained on two workers");
	TAP_OK(seen.n == 1 && seen.bad == 0,
	    "progress: one phase, a count that only grows (%d, %d)", seen.n,
	    seen.bad);
	TAP_OK(seen.n == 1 && strcmp(seen.phase[0], "training") == 0 &&
		   seen.done[0] == 4 && seen.total[0] == 4,
	    "progress: training: 4/4 models (three folds and the model)");
	crm_buf_release(&b);
}

/*
 * Six texts of classes y, text i with feature y[i] + 1 and the bias,
 * solved on threads workers.
 */
static int
six(const uint32_t *y, size_t k, size_t folds, int threads, float *w,
    float *bias, double *odec)
{
	static struct feature_node node[6][3];
	struct feature_node *x[6];
	struct crm_msvm o;
	struct crm_err e;
	size_t i;

	for (i = 0; i < 6; i++) {
		node[i][0].index = (int)y[i] + 1;
		node[i][0].value = 1;
		node[i][1].index = 4; /* the bias */
		node[i][1].value = 1;
		node[i][2].index = -1;
		node[i][2].value = 0;
		x[i] = node[i];
	}
	memset(&o, 0, sizeof(o));
	o.x = x;
	o.y = y;
	o.n = 6;
	o.k = k;
	o.nrow = 3;
	o.folds = folds;
	o.c = 1;
	o.eps = 0.1;
	o.seed = 1;
	o.threads = threads;
	crm_err_clear(&e);
	return crm_msvm_solve(&o, w, bias, odec, &e);
}

/*
 * Six texts of three classes, one feature each and the bias; class 2 is
 * text 2 alone, so fold 2 (texts 2 and 5) trains without it.
 */
static void
test_lacking_class(void)
{
	static const uint32_t y[6] = { 0, 1, 2, 0, 1, 0 };
	float w[2][3 * 3], bias[2][3];
	double odec[2][6 * 3];
	int t, rc[2];

	for (t = 0; t < 2; t++)
		rc[t] = six(y, 3, 3, t + 1, w[t], bias[t], odec[t]);
	TAP_OK(rc[0] == 0 && rc[1] == 0, "msvm: solved on one and two workers");
	TAP_OK(memcmp(w[0], w[1], sizeof(w[0])) == 0 &&
		   memcmp(bias[0], bias[1], sizeof(bias[0])) == 0 &&
		   memcmp(odec[0], odec[1], sizeof(odec[0])) == 0,
	    "msvm: the same weights and held-out values on both");
	TAP_OK(odec[0][2 * 3 + 2] == -1e30f && odec[0][5 * 3 + 2] == -1e30f,
	    "msvm: fold 2 lacks class 2: its texts score it -1e30");
	TAP_OK(odec[0][2 * 3 + 0] > -1e29 && odec[0][0 * 3 + 2] > -1e29,
	    "msvm: the other folds and classes are solved");
	TAP_OK(w[0][0 * 3 + 0] > 0 && w[0][1 * 3 + 1] > 0 &&
		   w[0][2 * 3 + 2] > 0 && w[0][0 * 3 + 1] < 0,
	    "msvm: each class weighs its own feature up, another's down");
}

/*
 * Texts of class 0 but the last: fold 2 (texts 2 and 5) trains on class
 * 0 alone, no line to fit: class 0 scores 0 and class 1 never wins.
 * Background texts (class k) are no class, yet every class learns to
 * weigh their feature down.
 */
static void
test_one_class_and_background(void)
{
	static const uint32_t one[6] = { 0, 0, 0, 0, 0, 1 };
	static const uint32_t bg[6] = { 0, 1, 2, 0, 1, 2 };
	float w[3 * 2], bias[2];
	double odec[6 * 2];

	TAP_OK(six(one, 2, 3, 2, w, bias, odec) == 0 && odec[2 * 2 + 0] == 0 &&
		   odec[5 * 2 + 0] == 0 && odec[2 * 2 + 1] == -1e30f &&
		   odec[5 * 2 + 1] == -1e30f,
	    "msvm: a fold of one class: it scores 0, the other -1e30");
	TAP_OK(odec[0 * 2 + 1] > -1e29 && odec[0 * 2 + 0] > odec[0 * 2 + 1],
	    "msvm: the other folds are solved");
	TAP_OK(six(bg, 2, 0, 2, w, bias, NULL) == 0 && w[0 * 2 + 0] > 0 &&
		   w[1 * 2 + 1] > 0 && w[2 * 2 + 0] < 0 && w[2 * 2 + 1] < 0,
	    "msvm: the background's feature weighs every class down");
}

/*
 * A model saved before the coverage (version 2: a curve of three weights,
 * then the threshold): a seed of the model fuzzer, trained by crm-intent
 * train --bits 12 on two intents and a background set.  It is read, keeps
 * its threshold, and scores a text.
 */
static void
test_version_2(void)
{
	const char *top = getenv("TOP");
	char path[4096];
	FILE *f;
	struct crm_buf b;
	struct crm_textclf *m = NULL;
	struct crm_err e;
	char chunk[4096];
	size_t got;
	double prob[8];
	const char *why;
	long best = -1;

	snprintf(path, sizeof(path),
	    "%s%stests/fuzz/corpus/model_text/intent-oos-b12.model",
	    top ? top : "", top ? "/" : "");
	crm_buf_init(&b);
	if ((f = fopen(path, "rb")) != NULL) {
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			crm_buf_add(&b, chunk, got);
		fclose(f);
	}
	crm_err_clear(&e);
	if (b.len > 40 && memcmp(b.p, "CRMTEXT2", 8) == 0 && b.p[36] == 3)
		m = crm_textclf_load(b.p, b.len, &e);
	TAP_OK(m != NULL, "version 2: %s read", path);
	if (m != NULL && crm_textclf_classes(m) <= 8)
		best =
		    crm_textclf_predict(m, "great, thank you", 16, prob, &why);
	TAP_OK(best >= 0 && prob[best] > 0 && prob[best] < 1 &&
		   crm_textclf_min_conf(m) >= 0,
	    "version 2: it scores a text and keeps its threshold");
	crm_textclf_free(m);
	crm_buf_release(&b);
}

/*
 * Unknown intents without a background set: four classes of words of
 * their own, every held-out text right, so that the held-out texts as
 * they are have nothing to teach the score curve (it would give every
 * message the same score).  It still learns from each held-out text
 * scored with its own class left out: a message of words no class has
 * scores far below one of a class.
 */
static void
test_unknown_intents(void)
{
	static const char *const word[4][4] = {
		{ "parcel", "tracking", "courier", "arrive" },
		{ "refund", "money", "return", "reimburse" },
		{ "password", "login", "account", "locked" },
		{ "invoice", "receipt", "vat", "billing" },
	};
	static const char *const label[4] = { "status", "refund", "login",
		"invoice" };
	struct crm_textclf_params p = CRM_TEXTCLF_PARAMS_DEFAULT;
	struct crm_textclf_set *s;
	struct crm_textclf *m = NULL;
	struct crm_err e;
	const char *why, *known = "my courier parcel";
	const char *other = "the violin sonata in the old cathedral";
	char text[128];
	double prob[4], known_p = 0, other_p = 1;
	size_t c, i;
	long b;

	if ((s = crm_textclf_set_new(&p.text, &why)) != NULL) {
		for (c = 0; c < 4; c++)
			for (i = 0; i < 12; i++) {
				snprintf(text, sizeof(text), "%s %s please",
				    word[c][i % 4],
				    word[c][(i / 4 + i + 1) % 4]);
				crm_textclf_set_add(s, text, strlen(text),
				    label[c], strlen(label[c]), &why);
			}
		crm_err_clear(&e);
		m = crm_textclf_train(s, &p, &e);
	}
	TAP_OK(m != NULL && crm_textclf_cv_accuracy(m) == 1, "unknown intents: "
							     "trained, every "
							     "held-out text "
							     "right");
	if (m != NULL &&
	    (b = crm_textclf_predict(m, known, strlen(known), prob, &why)) >= 0)
		known_p = prob[b];
	if (m != NULL &&
	    (b = crm_textclf_predict(m, other, strlen(other), prob, &why)) >= 0)
		other_p = prob[b];
	TAP_OK(known_p > 0.9 && other_p < 0.5,
	    "unknown intents: a class's words score %.4f, other words %.4f",
	    known_p, other_p);
	crm_textclf_free(m);
	m = NULL;
	p.unknown_share = 1; /* every message unknown: no curve to fit */
	crm_err_clear(&e);
	if (s != NULL)
		m = crm_textclf_train(s, &p, &e);
	TAP_OK(m == NULL && e.code == EX_USAGE,
	    "unknown intents: a share of 1 refused: %s", e.msg);
	crm_textclf_free(m);
	crm_textclf_set_free(s);
}

/* A joint problem larger than liblinear's int sizes is refused. */
static void
test_too_big(void)
{
	struct crm_msvm o;
	struct crm_err e;
	float w[1], bias[1];

	memset(&o, 0, sizeof(o));
	o.n = 10;
	o.k = 1000;
	o.nrow = (size_t)1 << 22;
	o.c = 1;
	o.eps = 0.1;
	crm_err_clear(&e);
	TAP_OK(crm_msvm_solve(&o, w, bias, NULL, &e) == -1 &&
		   e.code == EX_DATAERR &&
		   strstr(e.msg, "fewer --bits") != NULL,
	    "msvm: 1000 classes by 2^22 features refused: %s", e.msg);
}

int
main(void)
{
	same_bytes("four classes", four, sizeof(four) / sizeof(four[0]));
	same_bytes("two classes", two, sizeof(two) / sizeof(two[0]));
	test_progress();
	test_lacking_class();
	test_one_class_and_background();
	test_version_2();
	test_unknown_intents();
	test_too_big();
	return tap_done();
}
