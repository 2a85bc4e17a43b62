/*
 * test_text: unit tests for the text features (lib/text.c), the text
 * classifier (lib/textclf.c) and the metrics (lib/metrics.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"
#include "tap.h"
#include "text.h"
#include "textclf.h"

/* The names crm_text_names gives, joined by '|'. */
static void
add_name(void *arg, uint32_t id, const char *name, size_t len)
{
	struct crm_buf *b = arg;

	(void)id;
	if (b->len > 0)
		crm_buf_addc(b, '|');
	crm_buf_add(b, name, len);
}

static const char *
names(struct crm_text *t, const char *s, struct crm_buf *b)
{
	const char *why;

	crm_buf_reset(b);
	if (crm_text_names(t, s, strlen(s), add_name, b, &why) == -1)
		return why;
	return b->len ? b->p : "";
}

static long
count(struct crm_text *t, const char *s)
{
	const struct crm_feat *f;
	const char *why;
	long n, i, sum = 0;

	if ((n = crm_text_features(t, s, strlen(s), &f, &why)) == -1)
		return -1;
	for (i = 0; i < n; i++)
		sum += f[i].count;
	return sum;
}

static void
test_features(void)
{
	struct crm_text_opts o = CRM_TEXT_OPTS_DEFAULT, bad = o;
	struct crm_text *t;
	struct crm_buf b;
	const struct crm_feat *f, *g;
	const char *why;
	long n, m, i;
	int sorted = 1;

	crm_buf_init(&b);
	bad.bits = 30;
	TAP_OK(crm_text_new(&bad, &why) == NULL && why != NULL, "bits out of "
								"range "
								"refused");
	bad = o;
	bad.cjk_edges = 2;
	TAP_OK(crm_text_new(&bad, &why) == NULL && why != NULL, "cjk_edges "
								"other than 0 "
								"or 1 refused");
	o.minn = 0; /* words and pairs only, for readable names */
	t = crm_text_new(&o, &why);
	TAP_STR(names(t, "Where's  my ORDER?", &b),
	    "where|s|where s|my|s my|order|my order",
	    "words and pairs, folded");
	TAP_STR(names(t, "订单到了吗", &b),
	    "订|单|到|了|吗|订单|单到|到了|了吗|订单到|单到了|到了吗|"
	    "<订单到了吗>|<订|吗>|<订单|了吗>",
	    "CJK 1- to 3-grams, the run, its edges");
	TAP_STR(names(t, "iPhone坏了 help", &b),
	    "iphone|坏|了|坏了|<坏了>|<坏|了>|<坏了|坏了>|help",
	    "a CJK run breaks the word pairs");
	TAP_STR(names(t, "这个商品质量真的很不错", &b),
	    "这|个|商|品|质|量|真|的|很|不|错|这个|个商|商品|品质|质量|量真|"
	    "真的|的很|很不|不错|这个商|个商品|商品质|品质量|质量真|量真的|"
	    "真的很|的很不|很不错|<这|错>|<这个|不错>",
	    "a run of more than 8 characters: not itself, its edges");
	TAP_STR(names(t, "好", &b), "好|<好>|<好|好>",
	    "a run of one character: itself and its edges, all marked");
	TAP_OK(strstr(names(t, "这个商品质量很好", &b), "|<这个商品质量很好>"
							"|") != NULL,
	    "a run of 8 characters: itself too");
	crm_text_free(t);
	o.cjk_edges = 0;
	t = crm_text_new(&o, &why);
	TAP_STR(names(t, "订单到了吗", &b),
	    "订|单|到|了|吗|订单|单到|到了|了吗|订单到|单到了|到了吗",
	    "without cjk_edges (a model of before them): the n-grams alone");
	TAP_STR(names(t, "ＦＵＬＬ　ｗｉｄｔｈ", &b), "full|width|full width",
	    "NFKC: full-width letters and space");
	TAP_STR(names(t, "!!! ... ???", &b), "", "punctuation alone: nothing");
	TAP_STR(names(t, "bad \xff byte", &b), "invalid UTF-8",
	    "invalid UTF-8 refused");
	crm_text_free(t);

	o = (struct crm_text_opts)CRM_TEXT_OPTS_DEFAULT;
	o.word_n = 1;
	o.minn = 2;
	o.maxn = 3;
	t = crm_text_new(&o, &why);
	TAP_STR(names(t, "abc", &b), "abc|<a|ab|bc|c>|<ab|abc|bc>",
	    "word n-grams of <word>");
	crm_text_free(t);

	o = (struct crm_text_opts)CRM_TEXT_OPTS_DEFAULT;
	t = crm_text_new(&o, &why);
	n = crm_text_features(t, "refund refund refund please", 27, &f, &why);
	for (i = 1; i < n; i++)
		sorted &= f[i - 1].id < f[i].id;
	TAP_OK(n > 0 && sorted, "ids distinct and increasing");
	TAP_OK(count(t, "refund refund") == 2 * count(t, "refund") + 1,
	    "counts add up (a repeated word and its pair)");
	n = crm_text_features(t, "Refund", 6, &f, &why);
	m = crm_text_features(t, "refund", 6, &g, &why);
	TAP_OK(n == m, "case folded: same features");
	for (i = 0; i < n; i++)
		TAP_OK(crm_text_group(t, f[i].id) == (f[i].id >= (1u << 21)),
		    "group of id %u", f[i].id);
	crm_text_free(t);
	crm_buf_release(&b);
}

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

static void
test_classifier(void)
{
	struct crm_textclf_params p = CRM_TEXTCLF_PARAMS_DEFAULT;
	struct crm_textclf_set *s;
	struct crm_textclf *m, *m2;
	struct crm_reason r[3];
	struct crm_buf blob;
	struct crm_err e;
	double prob[2], prob2[2];
	const char *why, *name;
	size_t i, len;
	long k, k2, n;

	crm_err_clear(&e);
	crm_buf_init(&blob);
	s = crm_textclf_set_new(&p.text, &why);
	for (i = 0; i < sizeof(train_set) / sizeof(train_set[0]); i++)
		crm_textclf_set_add(s, train_set[i].text,
		    strlen(train_set[i].text), train_set[i].label,
		    strlen(train_set[i].label), &why);
	TAP_OK(crm_textclf_set_add(s, "?!", 2, "x", 1, &why) == 0, "a text "
								   "without "
								   "words is "
								   "left out");
	TAP_OK(crm_textclf_set_size(s) == 12, "twelve texts");
	m = crm_textclf_train(s, &p, &e);
	TAP_OK(m != NULL && crm_textclf_classes(m) == 2, "trained, 2 classes");
	name = crm_textclf_class(m, 0, &len);
	TAP_STR(name, "refund", "classes in byte order");
	k = crm_textclf_predict(m, "a refund of my money", 20, prob, &why);
	TAP_OK(k == 0 && prob[0] >= prob[1], "refund wins");
	TAP_OK(prob[0] > 0 && prob[0] < 1, "score is a probability");
	k = crm_textclf_predict(m, "快递到了吗", 15, prob, &why);
	TAP_OK(k == 1, "Chinese status message");
	n = crm_textclf_explain(m, "I want a refund", 15, 0, r, 3, &why);
	TAP_OK(n > 0 && n <= 3, "reasons found");
	TAP_OK(n < 2 || r[0].weight >= r[1].weight, "reasons by weight");
	for (i = 0; i < (size_t)n; i++)
		TAP_OK(strstr("I want a refund <i> <want> <a> <refund> i want "
			      "want a a refund",
			   r[i].name) != NULL,
		    "reason '%s' is a feature of the text", r[i].name);

	TAP_OK(crm_textclf_save(m, &blob) == 0, "saved");
	m2 = crm_textclf_load(blob.p, blob.len, &e);
	TAP_OK(m2 != NULL, "loaded");
	k = crm_textclf_predict(m, "money back", 10, prob, &why);
	k2 = crm_textclf_predict(m2, "money back", 10, prob2, &why);
	TAP_OK(k == k2 && fabs(prob[0] - prob2[0]) < 1e-6, "loaded model "
							   "scores alike");
	TAP_OK(crm_textclf_load(blob.p, blob.len - 1, &e) == NULL,
	    "a cut model is refused: %s", e.msg);
	blob.p[9] ^= 0x40;
	TAP_OK(crm_textclf_load(blob.p, blob.len, &e) == NULL, "a damaged "
							       "header is "
							       "refused");
	TAP_OK(crm_textclf_load("nonsense", 8, &e) == NULL, "not a model: %s",
	    e.msg);
	crm_textclf_free(m);
	crm_textclf_free(m2);
	crm_textclf_set_free(s);
	crm_buf_release(&blob);

	s = crm_textclf_set_new(&p.text, &why);
	crm_textclf_set_add(s, "a b", 3, "one", 3, &why);
	TAP_OK(crm_textclf_train(s, &p, &e) == NULL && e.code == 65,
	    "one label is an error: %s", e.msg);
	crm_textclf_set_free(s);
}

static void
test_metrics(void)
{
	/* truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2 */
	static const size_t t[] = { 0, 0, 0, 1, 1, 2 },
			    p[] = { 0, 0, 1, 1, 2, 2 };
	struct crm_confusion c;
	struct crm_confused top[5];
	double pr, rc, f1;
	unsigned long sup;
	size_t i, n;

	crm_confusion_init(&c, 2);
	crm_confusion_grow(&c, 3);
	for (i = 0; i < 6; i++)
		crm_confusion_add(&c, t[i], p[i]);
	TAP_OK(fabs(crm_accuracy(&c) - 4.0 / 6) < 1e-12, "accuracy");
	crm_class_prf(&c, 0, &pr, &rc, &f1, &sup);
	TAP_OK(pr == 1 && fabs(rc - 2.0 / 3) < 1e-12 && sup == 3, "precision "
								  "and recall "
								  "of class 0");
	/* scikit-learn: f1_score(t, p, average="macro") = 0.6888... */
	TAP_OK(fabs(crm_macro_f1(&c) - (0.8 + 0.5 + 2.0 / 3) / 3) < 1e-12,
	    "macro F1 as scikit-learn");
	n = crm_confusion_top(&c, top, 5);
	TAP_OK(n == 2 && top[0].truth == 0 && top[0].pred == 1 &&
		   top[1].truth == 1 && top[1].pred == 2,
	    "confused pairs in order");
	crm_confusion_release(&c);
}

int
main(void)
{
	test_features();
	test_classifier();
	test_metrics();
	return tap_done();
}
