/*
 * test_intent: unit tests for the pipeline of crm-intent (lib/intent.c):
 * the classify step with its out_of_scope threshold, the record step of
 * predict, the model lookup, the eval figures and report, and train
 * through a model file, on a tiny model trained here; the out-of-scope
 * threshold's choice and the background texts of training.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "intent.h"
#include "rec.h"
#include "tap.h"
#include "textclf.h"

static const struct {
	const char *text, *label;
} train_set[] = {
	{ "where is my order", "status" },
	{ "my parcel has not arrived", "status" },
	{ "tracking number for my package", "status" },
	{ "when will the delivery arrive", "status" },
	{ "我的快递到哪了", "status" },
	{ "订单什么时候到", "status" },
	{ "I want a refund", "refund" },
	{ "give me my money back", "refund" },
	{ "return this broken item for a refund", "refund" },
	{ "refund please, it arrived damaged", "refund" },
	{ "我要退款", "refund" },
	{ "申请退货退款", "refund" },
};

#define NTRAIN (sizeof(train_set) / sizeof(train_set[0]))

/* The tiny model, trained on train_set, as bytes into blob. */
static int
tiny_model(struct crm_buf *blob)
{
	struct crm_textclf_params p = CRM_TEXTCLF_PARAMS_DEFAULT;
	struct crm_textclf_set *s;
	struct crm_textclf *m;
	struct crm_err e;
	const char *why;
	size_t i;
	int rc;

	crm_err_clear(&e);
	if ((s = crm_textclf_set_new(&p.text, &why)) == NULL)
		return -1;
	for (i = 0; i < NTRAIN; i++)
		crm_textclf_set_add(s, train_set[i].text,
		    strlen(train_set[i].text), train_set[i].label,
		    strlen(train_set[i].label), &why);
	m = crm_textclf_train(s, &p, &e);
	rc = m != NULL ? crm_textclf_save(m, blob) : -1;
	crm_textclf_free(m);
	crm_textclf_set_free(s);
	return rc;
}

/* A predict or eval run of the tiny model (handed in as the built-in). */
static struct crm_intent *
tiny(enum crm_intent_verb verb, const struct crm_buf *blob, double min_conf,
    struct crm_err *e)
{
	struct crm_intent_opts o;

	crm_intent_opts_init(&o);
	o.verb = verb;
	o.builtin = blob->p;
	o.builtin_len = blob->len;
	o.min_conf = min_conf;
	return crm_intent_new(&o, NULL, e);
}

/* The text of field name in r, or "" when it has none. */
static const char *
field(const struct crm_rec *r, const char *name)
{
	size_t len;
	const char *s = crm_rec_text(r, name, &len);

	return s ? s : "";
}

static void
test_classify(const struct crm_buf *blob)
{
	struct crm_intent *it;
	struct crm_err e;
	const char *label;
	size_t llen;
	double score = -1, s2 = -1;
	long k;

	crm_err_clear(&e);
	it = tiny(CRM_INTENT_PREDICT, blob, -1, &e);
	TAP_OK(it != NULL, "the built-in model is used: %s", e.msg);
	if (it == NULL)
		return;
	k = crm_intent_classify(
	    it, "a refund of my money", 20, &label, &llen, &score, &e);
	TAP_OK(k == 0, "refund is class 0 (classes in byte order)");
	TAP_OK(llen == 6 && memcmp(label, "refund", 6) == 0,
	    "label refund, got '%.*s'", (int)llen, label);
	TAP_OK(score > 0.5 && score < 1,
	    "its score %.4f is a probability "
	    "above one half",
	    score);
	k = crm_intent_classify(it, "快递到了吗", 15, &label, &llen, &s2, &e);
	TAP_OK(k == 1 && llen == 6 && memcmp(label, "status", 6) == 0,
	    "a Chinese status message is status");
	TAP_OK(crm_intent_classify(
		   it, "bad \377", 5, &label, &llen, NULL, &e) == -1 &&
		   e.code == EX_DATAERR && strcmp(e.field, "text") == 0,
	    "invalid UTF-8 is the record's error: %s", e.msg);
	crm_intent_free(it);

	/* the threshold: out_of_scope strictly below it */
	it = tiny(CRM_INTENT_PREDICT, blob, score + 1e-9, &e);
	k = crm_intent_classify(
	    it, "a refund of my money", 20, &label, &llen, &s2, &e);
	TAP_OK(k == 0 && llen == strlen(CRM_INTENT_OUT_OF_SCOPE) &&
		   memcmp(label, CRM_INTENT_OUT_OF_SCOPE, llen) == 0,
	    "below --min-confidence: out_of_scope, got '%.*s'", (int)llen,
	    label);
	TAP_OK(s2 == score, "out_of_scope keeps the best score");
	crm_intent_free(it);
	it = tiny(CRM_INTENT_PREDICT, blob, score, &e);
	crm_intent_classify(
	    it, "a refund of my money", 20, &label, &llen, &s2, &e);
	TAP_OK(llen == 6 && memcmp(label, "refund", 6) == 0,
	    "at --min-confidence: the label, got '%.*s'", (int)llen, label);
	crm_intent_free(it);
}

static void
test_predict_record(const struct crm_buf *blob)
{
	struct crm_intent_opts o;
	struct crm_intent *it;
	struct crm_rec *r = crm_rec_new(), *hdr = crm_rec_new();
	struct crm_err e;

	crm_err_clear(&e);
	crm_intent_opts_init(&o);
	o.builtin = blob->p;
	o.builtin_len = blob->len;
	o.top = 2;
	o.field = "label";
	it = crm_intent_new(&o, NULL, &e);
	crm_rec_add(r, "id", 2, "m1", 2, CRM_STRING);
	crm_rec_add(r, "text", 4, "I want a refund", 15, CRM_STRING);
	TAP_OK(crm_intent_record(it, r, &e) == 0, "a record classified");
	TAP_STR(field(r, "label"), "refund", "label appended as --field");
	TAP_OK(strlen(field(r, "label_score")) == 6 &&
		   atof(field(r, "label_score")) > 0.5,
	    "score with four decimals: %s", field(r, "label_score"));
	TAP_OK(
	    strncmp(field(r, "label_top"), "[{\"label\":\"refund\",", 19) ==
		    0 &&
		strstr(field(r, "label_top"), "{\"label\":\"status\"") != NULL,
	    "the two best labels, best first: %s", field(r, "label_top"));
	crm_rec_clear(r);
	crm_rec_add(r, "body", 4, "I want a refund", 15, CRM_STRING);
	TAP_OK(crm_intent_record(it, r, &e) == -1 && e.code == EX_DATAERR &&
		   strcmp(e.msg, "no field 'text'") == 0,
	    "no text field rejects the record: %s", e.msg);
	crm_rec_add(hdr, "id", 2, "", 0, CRM_STRING);
	TAP_OK(crm_intent_header(it, hdr, &e) == 0 && crm_rec_count(hdr) == 4 &&
		   crm_rec_find(hdr, "label_top", 9) == 3,
	    "header: id, label, label_score, label_top");
	crm_intent_free(it);
	crm_rec_free(r);
	crm_rec_free(hdr);
}

static void
test_no_model(void)
{
	struct crm_intent_opts o;
	struct crm_err e;

	crm_err_clear(&e);
	crm_intent_opts_init(&o);
	o.model = "churn";
	TAP_OK(crm_intent_new(&o, NULL, &e) == NULL && e.code == EX_NOINPUT,
	    "no model, no built-in: EX_NOINPUT");
	TAP_STR(e.msg,
	    "no model 'churn': train one with 'crm-intent train --model "
	    "churn'",
	    "and says how to make one");
	crm_err_clear(&e);
	o.builtin = "CRMTEXT1 not really";
	o.builtin_len = 19;
	TAP_OK(crm_intent_new(&o, NULL, &e) == NULL && e.code == EX_DATAERR,
	    "a damaged model is refused: %s", e.msg);
}

/* Eval the tiny model on texts and labels; the report into out. */
static struct crm_intent *
eval(const struct crm_buf *blob, double min_conf, const char *const *set,
    size_t n, struct crm_err *e)
{
	struct crm_intent *it = tiny(CRM_INTENT_EVAL, blob, min_conf, e);
	struct crm_rec *r = crm_rec_new();
	size_t i;

	for (i = 0; it != NULL && i < n; i++) {
		crm_rec_clear(r);
		crm_rec_add(
		    r, "text", 4, set[2 * i], strlen(set[2 * i]), CRM_STRING);
		crm_rec_add(r, "intent", 6, set[2 * i + 1],
		    strlen(set[2 * i + 1]), CRM_STRING);
		if (crm_intent_record(it, r, e) == -1)
			TAP_OK(0, "eval record %zu: %s", i, e->msg);
	}
	crm_rec_free(r);
	return it;
}

static void
test_eval(const struct crm_buf *blob)
{
	/* three right, one status message labelled refund */
	static const char *const set[] = {
		"where is my order", "status",	       /**/
		"I want a refund", "refund",	       /**/
		"give me my money back", "refund",     /**/
		"my parcel has not arrived", "refund", /**/
	};
	struct crm_intent_metrics m;
	struct crm_intent *it;
	struct crm_rec *r;
	struct crm_buf b, j;
	struct crm_err e;

	crm_err_clear(&e);
	crm_buf_init(&b);
	crm_buf_init(&j);
	it = eval(blob, -1, set, 4, &e);
	crm_intent_metrics(it, &m);
	TAP_OK(m.n == 4 && m.classes == 2, "4 records, 2 classes");
	TAP_OK(fabs(m.accuracy - 0.75) < 1e-12, "accuracy 3/4: %g", m.accuracy);
	/* refund P 1 R 2/3 F1 0.8; status P 1/2 R 1 F1 2/3 */
	TAP_OK(fabs(m.macro_f1 - (0.8 + 2.0 / 3) / 2) < 1e-12,
	    "macro F1 the mean of 0.8 and 2/3: %g", m.macro_f1);
	crm_intent_report(it, 0, &b);
	TAP_STR(b.p,
	    "n=4 accuracy=0.7500 macro_f1=0.7333 classes=2\n"
	    "class label=refund precision=1.0000 recall=0.6667 f1=0.8000 "
	    "support=3\n"
	    "class label=status precision=0.5000 recall=1.0000 f1=0.6667 "
	    "support=1\n"
	    "confused truth=refund predicted=status count=1\n",
	    "the text report");
	crm_buf_reset(&b);
	crm_intent_report(it, 1, &b);
	TAP_STR(b.p,
	    "{\"n\":4,\"accuracy\":0.7500,\"macro_f1\":0.7333,\"classes\":["
	    "{\"label\":\"refund\",\"precision\":1.0000,\"recall\":0.6667,"
	    "\"f1\":0.8000,\"support\":3},"
	    "{\"label\":\"status\",\"precision\":0.5000,\"recall\":1.0000,"
	    "\"f1\":0.6667,\"support\":1}],"
	    "\"confused\":[{\"truth\":\"refund\",\"predicted\":\"status\","
	    "\"count\":1}]}\n",
	    "the JSON report");
	r = crm_rec_new();
	crm_rec_add(r, "stale", 5, "x", 1, CRM_STRING);
	TAP_OK(crm_intent_eval_record(it, r, &e) == 0 &&
		   crm_rec_to_json(r, &j) == 0 &&
		   strcmp(j.p, "{\"n\":4,\"accuracy\":0.7500,"
			       "\"macro_f1\":0.7333,\"classes\":2}") == 0,
	    "the figures as one record, no fold field: %s", j.p);
	crm_rec_free(r);
	crm_intent_free(it);

	/* every score is below 1: all out_of_scope, a class of its own */
	it = eval(blob, 1.0, set, 4, &e);
	crm_intent_metrics(it, &m);
	TAP_OK(m.n == 4 && m.classes == 3 && m.accuracy == 0, "all "
							      "out_of_scope: 3 "
							      "classes, "
							      "accuracy 0");
	crm_buf_reset(&b);
	crm_intent_report(it, 0, &b);
	TAP_OK(strstr(b.p, "class label=out_of_scope precision=0.0000 "
			   "recall=0.0000 f1=0.0000 support=0\n") != NULL &&
		   strstr(b.p, "confused truth=refund predicted=out_of_scope "
			       "count=3\n") != NULL,
	    "out_of_scope reported as a class and a confusion");
	crm_intent_free(it);
	crm_buf_release(&b);
	crm_buf_release(&j);
}

static void
test_train(const struct crm_buf *blob)
{
	char path[] = "/tmp/test_intent.XXXXXX";
	struct crm_intent_trained t;
	struct crm_intent_opts o;
	struct crm_intent *it;
	struct crm_rec *r = crm_rec_new();
	struct crm_buf got;
	struct crm_err e;
	FILE *fp;
	size_t i;
	int fd;

	crm_err_clear(&e);
	crm_buf_init(&got);
	if ((fd = mkstemp(path)) == -1) {
		TAP_OK(0, "mkstemp");
		return;
	}
	close(fd);
	crm_intent_opts_init(&o);
	o.verb = CRM_INTENT_TRAIN;
	o.model_file = path;
	it = crm_intent_new(&o, NULL, &e);
	for (i = 0; i < NTRAIN; i++) {
		crm_rec_clear(r);
		crm_rec_add(r, "text", 4, train_set[i].text,
		    strlen(train_set[i].text), CRM_STRING);
		crm_rec_add(r, "intent", 6, train_set[i].label,
		    strlen(train_set[i].label), CRM_STRING);
		crm_intent_record(it, r, &e);
	}
	crm_rec_clear(r);
	crm_rec_add(r, "text", 4, "?!", 2, CRM_STRING);
	crm_rec_add(r, "intent", 6, "status", 6, CRM_STRING);
	crm_intent_record(it, r, &e);
	TAP_OK(
	    crm_intent_finish(it, &e) == 0, "trained into a file: %s", e.msg);
	crm_intent_trained(it, &t);
	TAP_OK(t.version == 0 && t.texts == NTRAIN && t.empty == 1 &&
		   t.classes == 2 && t.from_labels == 0,
	    "12 texts, 1 without words left out, 2 classes, no version");
	crm_intent_free(it);
	if ((fp = fopen(path, "rb")) != NULL) {
		char tmp[4096];
		size_t n;

		while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
			crm_buf_add(&got, tmp, n);
		fclose(fp);
	}
	TAP_OK(got.len == blob->len && memcmp(got.p, blob->p, got.len) == 0,
	    "the same bytes as crm_textclf_train with the same seed");
	unlink(path);

	/* one label: nothing to train, nothing done */
	o.model_file = "/nonexistent/x.model";
	it = crm_intent_new(&o, NULL, &e);
	crm_rec_clear(r);
	crm_rec_add(r, "text", 4, "a b", 3, CRM_STRING);
	crm_rec_add(r, "intent", 6, "one", 3, CRM_STRING);
	crm_intent_record(it, r, &e);
	TAP_OK(crm_intent_finish(it, &e) == -1 && e.code == EX_NOINPUT,
	    "one label is an error: %s", e.msg);
	crm_intent_free(it);
	crm_rec_free(r);
	crm_buf_release(&got);
}

/* The threshold's choice on made-up held-out scores with known answers. */
static void
test_pick_threshold(void)
{
	enum {
		R = CRM_HELDOUT_RIGHT,
		W = CRM_HELDOUT_WRONG,
		B = CRM_HELDOUT_BACKGROUND
	};
	static const double score[] = { 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3,
		0.25, 0.2, 0.45, 0.15, 0.1, 0.22, 0.33 };
	static const int kind[] = { R, R, R, R, R, R, R, R, R, R, W, W, B, B,
		B };
	static const struct {
		double loss, threshold, acc_at;
		size_t caught;
	} want[] = {
		{ 0, 0.175, 10.0 / 12, 1 },  /* no right text below */
		{ 0.1, 0.235, 9.0 / 12, 2 }, /* one of 12 in-scope */
		{ 0.25, 0.34, 7.0 / 12, 3 }, /* three */
		{ 0.99, 0.85, 1.0 / 12, 3 }, /* all but the top */
	};
	double uscore[2 * sizeof(score) / sizeof(score[0])];
	int ukind[2 * sizeof(score) / sizeof(score[0])];
	struct crm_textclf_oos o;
	size_t i, n = sizeof(score) / sizeof(score[0]);

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		TAP_OK(crm_textclf_pick_threshold(
			   score, kind, n, want[i].loss, &o) == 0 &&
			   fabs(o.threshold - want[i].threshold) < 1e-12 &&
			   fabs(o.acc - 10.0 / 12) < 1e-12 &&
			   fabs(o.acc_at - want[i].acc_at) < 1e-12 &&
			   o.in == 12 && o.bg == 3 &&
			   o.caught == want[i].caught,
		    "loss %g: threshold %g (want %g), accuracy %g at it, %zu "
		    "of "
		    "%zu background texts below",
		    want[i].loss, o.threshold, want[i].threshold, o.acc_at,
		    o.caught, o.bg);
	}
	TAP_OK(crm_textclf_pick_threshold(score + 12, kind + 12, 3, 0.1, &o) ==
		       0 &&
		   o.threshold == -1,
	    "background texts alone: no threshold");
	/* unknown-intent texts anywhere among them change nothing */
	for (i = 0; i < n; i++) {
		uscore[2 * i] = score[i];
		ukind[2 * i] = kind[i];
		uscore[2 * i + 1] = (double)(i % 5) / 4;
		ukind[2 * i + 1] = CRM_HELDOUT_UNKNOWN;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		TAP_OK(crm_textclf_pick_threshold(
			   uscore, ukind, 2 * n, want[i].loss, &o) == 0 &&
			   fabs(o.threshold - want[i].threshold) < 1e-12 &&
			   fabs(o.acc - 10.0 / 12) < 1e-12 &&
			   fabs(o.acc_at - want[i].acc_at) < 1e-12 &&
			   o.in == 12 && o.bg == 3 &&
			   o.caught == want[i].caught,
		    "loss %g, unknown-intent texts left out: threshold %g",
		    want[i].loss, o.threshold);
}

/*
 * Background texts: no class of their own; the model keeps its threshold
 * and an old model (version 1 of the bytes) has none, which auto refuses.
 */
static void
test_background(void)
{
	struct crm_textclf_params p = CRM_TEXTCLF_PARAMS_DEFAULT;
	struct crm_textclf_set *s;
	struct crm_textclf *m, *m2 = NULL, *m1 = NULL, *m1b;
	struct crm_intent_opts o;
	struct crm_intent *it;
	struct crm_buf blob, old;
	struct crm_err e;
	const char *why;
	size_t i;
	static const char *const bg[] = { "the weather is nice today",
		"who won the football match", "明天会下雨吗", "tell me a joke",
		"how tall is the mountain", "今天晚上吃什么" };

	crm_buf_init(&blob);
	crm_buf_init(&old);
	crm_err_clear(&e);
	s = crm_textclf_set_new(&p.text, &why);
	for (i = 0; i < NTRAIN; i++)
		crm_textclf_set_add(s, train_set[i].text,
		    strlen(train_set[i].text), train_set[i].label,
		    strlen(train_set[i].label), &why);
	for (i = 0; i < sizeof(bg) / sizeof(bg[0]); i++)
		crm_textclf_set_add_background(s, bg[i], strlen(bg[i]), &why);
	m = crm_textclf_train(s, &p, &e);
	TAP_OK(m != NULL && crm_textclf_classes(m) == 2 &&
		   crm_textclf_oos(m)->bg == 6 &&
		   crm_textclf_min_conf(m) >= 0 &&
		   crm_textclf_min_conf(m) == crm_textclf_oos(m)->threshold,
	    "background texts: 2 classes, threshold %g, %zu of %zu caught",
	    m ? crm_textclf_min_conf(m) : -1.0,
	    m ? crm_textclf_oos(m)->caught : 0, m ? crm_textclf_oos(m)->bg : 0);
	if (m != NULL && crm_textclf_save(m, &blob) == 0)
		m2 = crm_textclf_load(blob.p, blob.len, &e);
	TAP_OK(
	    m2 != NULL && crm_textclf_min_conf(m2) == crm_textclf_min_conf(m),
	    "the threshold is saved with the model");
	/*
	 * version 1: another magic, no cjk_edges word (the sixth of the
	 * header), a score curve of three inputs (no coverage: the third of
	 * four weights) and no threshold after it
	 */
	if (blob.len > 64) {
		crm_buf_add(&old, "CRMTEXT1", 8);
		crm_buf_add(&old, blob.p + 8, 20);
		crm_buf_add(&old, blob.p + 32, 8);
		crm_buf_put32(&old, 3);
		crm_buf_add(&old, blob.p + 44, 8);
		crm_buf_add(&old, blob.p + 56, 4);
		crm_buf_add(&old, blob.p + 64, blob.len - 64);
		m1 = crm_textclf_load(old.p, old.len, &e);
	}
	TAP_OK(m1 != NULL && crm_textclf_min_conf(m1) == -1, "a version 1 "
							     "model is read, "
							     "without a "
							     "threshold");
	crm_intent_opts_init(&o);
	o.min_conf_auto = 1;
	o.builtin = old.p;
	o.builtin_len = old.len;
	crm_err_clear(&e);
	it = crm_intent_new(&o, NULL, &e);
	TAP_OK(it == NULL && e.code == EX_USAGE &&
		   strstr(e.msg, "no out-of-scope threshold") != NULL,
	    "auto with a version 1 model: %s", e.msg);
	crm_intent_free(it);
	o.builtin = blob.p;
	o.builtin_len = blob.len;
	it = crm_intent_new(&o, NULL, &e);
	TAP_OK(it != NULL && crm_intent_min_conf(it) == crm_textclf_min_conf(m),
	    "auto takes the model's threshold");
	crm_intent_free(it);
	/* version 3's cjk_edges word (the sixth of the header): 0 or 1 */
	if (blob.len > 32)
		blob.p[28] = 2;
	crm_err_clear(&e);
	m1b = crm_textclf_load(blob.p, blob.len, &e);
	TAP_OK(m1b == NULL && e.code == EX_DATAERR,
	    "a cjk_edges word of 2 is refused: %s", e.msg);
	crm_textclf_free(m1b);
	crm_textclf_free(m);
	crm_textclf_free(m1);
	crm_textclf_free(m2);
	crm_textclf_set_free(s);
	crm_buf_release(&blob);
	crm_buf_release(&old);
}

int
main(void)
{
	struct crm_buf blob;

	crm_buf_init(&blob);
	TAP_OK(tiny_model(&blob) == 0, "tiny model trained");
	test_classify(&blob);
	test_predict_record(&blob);
	test_no_model();
	test_eval(&blob);
	test_train(&blob);
	test_pick_threshold();
	test_background();
	crm_buf_release(&blob);
	return tap_done();
}
