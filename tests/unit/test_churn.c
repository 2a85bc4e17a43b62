/*
 * test_churn: unit tests for crm-churn's pipeline (lib/churn.c): train a
 * model on a tiny data set through the filter ops, then score records
 * with it: the appended fields, the risk band, the action, and the
 * reasons (only fields that raised the score, most first, at most N,
 * each field's exact part of the log-odds against a customer of
 * average features, as crm-churn(1) says).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "churn.h"
#include "filter.h"
#include "rec.h"
#include "tap.h"

#define N 40

static char model_path[64];

/* Row i of the training set: a and b both raise churn; mean 5 and 3. */
static void
train_row(struct crm_rec *r, size_t i)
{
	char id[16], a[16], b[16];
	int av = (int)(i % 11), bv = (int)(i * 7 % 7 + i % 5) % 7, y;

	crm_rec_clear(r);
	y = av + bv + (int)(i % 3) > 9;
	snprintf(id, sizeof(id), "c%zu", i);
	snprintf(a, sizeof(a), "%d", av);
	snprintf(b, sizeof(b), "%d", bv);
	crm_rec_add(r, "customer_id", 11, id, strlen(id), CRM_STRING);
	crm_rec_add(r, "a", 1, a, strlen(a), CRM_NUMBER);
	crm_rec_add(r, "b", 1, b, strlen(b), CRM_NUMBER);
	crm_rec_add(r, "churn", 5, y ? "yes" : "no", y ? 3 : 2, CRM_STRING);
}

static void
score_row(struct crm_rec *r, const char *a, const char *b)
{
	crm_rec_clear(r);
	crm_rec_add(r, "customer_id", 11, "s", 1, CRM_STRING);
	crm_rec_add(r, "a", 1, a, strlen(a), a[0] ? CRM_NUMBER : CRM_NULL);
	crm_rec_add(r, "b", 1, b, strlen(b), CRM_NUMBER);
}

static double
means(int which)
{
	struct crm_rec *r = crm_rec_new();
	double sum = 0;
	size_t i, len;

	for (i = 0; i < N; i++) {
		train_row(r, i);
		sum += atof(crm_rec_value(r, (size_t)which, &len));
	}
	crm_rec_free(r);
	return sum / N;
}

/* A field of r as a string (NULL when absent). */
static const char *
field(const struct crm_rec *r, const char *name)
{
	static char buf[4][1024];
	static int at;
	long i = crm_rec_find(r, name, strlen(name));
	const char *v;
	size_t len;

	if (i < 0)
		return NULL;
	v = crm_rec_value(r, (size_t)i, &len);
	at = (at + 1) % 4;
	snprintf(buf[at], sizeof(buf[at]), "%.*s", (int)len, v);
	return buf[at];
}

struct reason {
	char feature[64];
	double contribution;
};

/* Parse churn_reasons, [{"feature":"...","contribution":x},...]. */
static size_t
reasons(const char *json, struct reason *out, size_t max)
{
	const char *p = json;
	size_t n = 0;

	while (n < max && (p = strstr(p, "{\"feature\":\"")) != NULL) {
		const char *q;

		p += strlen("{\"feature\":\"");
		q = strchr(p, '"');
		snprintf(out[n].feature, sizeof(out[n].feature), "%.*s",
		    (int)(q - p), p);
		p = strstr(q, "\"contribution\":") + strlen("\"contribution\""
							    ":");
		out[n++].contribution = strtod(p, NULL);
	}
	return n;
}

static double
logit(double p)
{
	return log(p / (1 - p));
}

static int
record(struct crm_churn *c, struct crm_rec *r, struct crm_err *e)
{
	int drop = 0;

	return crm_churn_ops(c)->record(c, r, &drop, e);
}

static void
test_train(void)
{
	struct crm_churn_opts o;
	struct crm_churn *c;
	struct crm_rec *r = crm_rec_new();
	struct crm_err e;
	size_t i, pos = 0;
	int bad = 0;

	crm_err_clear(&e);
	crm_churn_opts_init(&o);
	o.verb = CRM_CHURN_TRAIN;
	o.model_file = model_path;
	c = crm_churn_new(&o, NULL, &e);
	TAP_OK(c != NULL, "a training run starts: %s", e.msg);
	for (i = 0; i < N; i++) {
		train_row(r, i);
		pos += strcmp(field(r, "churn"), "yes") == 0;
		bad |= record(c, r, &e);
	}
	TAP_OK(bad == 0, "every training record is kept");
	TAP_OK(crm_churn_finish(c, &e) == 0, "the model is trained: %s", e.msg);
	TAP_OK(crm_churn_result(c)->fit.n == N &&
		   crm_churn_result(c)->fit.pos == pos &&
		   crm_churn_result(c)->version == 0,
	    "on %d records, %zu churned, into a file", N, pos);
	TAP_OK(access(model_path, R_OK) == 0, "the model file is written");
	crm_churn_free(c);

	/* a label that is not yes/no is rejected */
	c = crm_churn_new(&o, NULL, &e);
	train_row(r, 0);
	crm_rec_put(r, "churn", "maybe", 5, CRM_STRING);
	TAP_OK(record(c, r, &e) == -1 && e.code == EX_DATAERR &&
		   strcmp(e.field, "churn") == 0,
	    "a bad label rejects the record, naming the field");
	crm_churn_free(c);
	crm_rec_free(r);
}

static void
test_score(void)
{
	struct crm_churn_opts o;
	struct crm_churn *c;
	struct crm_rec *r = crm_rec_new(), *hdr = crm_rec_new();
	struct reason why[8], one[8], low[8];
	struct crm_err e;
	char ma[32], mb[32], hi[32];
	double p, p0, sum = 0;
	size_t n, i, nlow, none;
	int ordered = 1;

	crm_err_clear(&e);
	crm_churn_opts_init(&o);
	o.model_file = model_path;
	o.reasons = 5;
	o.action = "call";
	o.action_threshold = 0.5;
	c = crm_churn_new(&o, NULL, &e);
	TAP_OK(c != NULL, "a scoring run loads the model: %s", e.msg);
	if (c == NULL)
		return;

	crm_rec_add(hdr, "customer_id", 11, "", 0, CRM_STRING);
	crm_churn_ops(c)->out_header(c, hdr, &e);
	TAP_OK(crm_rec_count(hdr) == 5 &&
		   strcmp(field(hdr, "churn_prob"), "") == 0 &&
		   crm_rec_find(hdr, "churn_risk", 10) == 2 &&
		   crm_rec_find(hdr, "churn_reasons", 13) == 3 &&
		   crm_rec_find(hdr, "action", 6) == 4,
	    "the header gains churn_prob, churn_risk, churn_reasons, action");

	/* at the training means: the baseline of the reasons */
	snprintf(ma, sizeof(ma), "%g", means(1));
	snprintf(mb, sizeof(mb), "%g", means(2));
	score_row(r, ma, mb);
	TAP_OK(record(c, r, &e) == 0, "scores the average customer");
	p0 = atof(field(r, "churn_prob"));
	TAP_STR(field(r, "churn_reasons"), "[]",
	    "the average customer has no reasons");

	/* above the means on both: both raise the score */
	snprintf(hi, sizeof(hi), "%g", means(2) + 3);
	score_row(r, "10", hi);
	record(c, r, &e);
	p = atof(field(r, "churn_prob"));
	n = reasons(field(r, "churn_reasons"), why, 8);
	TAP_OK(n == 2, "two fields raised it: %zu reasons", n);
	for (i = 0; i < n; i++) {
		sum += why[i].contribution;
		ordered &=
		    why[i].contribution > 0 &&
		    (i == 0 || why[i].contribution <= why[i - 1].contribution);
	}
	TAP_OK(ordered, "reasons are positive, most first");
	TAP_OK(fabs(sum - (logit(p) - logit(p0))) < 2e-3,
	    "they sum to the log-odds over the average customer's: %.4f vs "
	    "%.4f",
	    sum, logit(p) - logit(p0));
	TAP_OK(n == 2 && ((strcmp(why[0].feature, "a=10") == 0 &&
			      strncmp(why[1].feature, "b=", 2) == 0) ||
			     (strncmp(why[0].feature, "b=", 2) == 0 &&
				 strcmp(why[1].feature, "a=10") == 0)),
	    "each names its field and the record's value: %s, %s",
	    why[0].feature, why[1].feature);
	TAP_STR(field(r, "churn_risk"),
	    p >= 0.6   ? "high"
	    : p >= 0.3 ? "medium"
		       : "low",
	    "the risk band of p = %.4f", p);
	TAP_STR(field(r, "action"), p >= 0.5 ? "call" : "",
	    "the action from the threshold");
	crm_churn_free(c);

	/* --reasons 1: the first of them only */
	o.reasons = 1;
	c = crm_churn_new(&o, NULL, &e);
	score_row(r, "10", hi);
	record(c, r, &e);
	none = reasons(field(r, "churn_reasons"), one, 8);
	TAP_OK(none == 1 && strcmp(one[0].feature, why[0].feature) == 0 &&
		   one[0].contribution == why[0].contribution,
	    "--reasons 1 keeps the largest");

	/* a below its mean lowers the score: not a reason */
	o.reasons = 5;
	crm_churn_free(c);
	c = crm_churn_new(&o, NULL, &e);
	score_row(r, "0", hi);
	record(c, r, &e);
	nlow = reasons(field(r, "churn_reasons"), low, 8);
	TAP_OK(nlow == 1 && strncmp(low[0].feature, "b=", 2) == 0, "a field "
								   "that "
								   "lowered "
								   "the score "
								   "is no "
								   "reason");
	TAP_OK(atof(field(r, "churn_prob")) < 0.5 &&
		   crm_rec_type(r, (size_t)crm_rec_find(r, "action", 6)) ==
		       CRM_NULL,
	    "no action below the threshold");

	/* a missing value is named so */
	score_row(r, "", hi);
	record(c, r, &e);
	nlow = reasons(field(r, "churn_reasons"), low, 8);
	TAP_OK(nlow >= 1 && strncmp(low[0].feature, "b=", 2) == 0 &&
		   (nlow == 1 || strcmp(low[1].feature, "a missing") == 0),
	    "a missing field is 'a missing'");

	/* a record without a field the model needs */
	crm_rec_clear(r);
	crm_rec_add(r, "a", 1, "1", 1, CRM_NUMBER);
	TAP_OK(record(c, r, &e) == -1 && e.code == EX_DATAERR, "a record "
							       "without b is "
							       "rejected");
	crm_churn_free(c);
	crm_rec_free(r);
	crm_rec_free(hdr);
}

static void
test_eval(void)
{
	struct crm_churn_opts o;
	struct crm_churn *c;
	struct crm_rec *r = crm_rec_new();
	struct crm_buf b;
	struct crm_err e;
	size_t i;

	crm_err_clear(&e);
	crm_churn_opts_init(&o);
	o.verb = CRM_CHURN_EVAL;
	o.model_file = model_path;
	c = crm_churn_new(&o, NULL, &e);
	TAP_OK(crm_churn_finish(c, &e) == -1 && e.code == EX_DATAERR,
	    "eval of nothing is an error: %s", e.msg);
	crm_churn_free(c);
	o.cv = 4;
	c = crm_churn_new(&o, NULL, &e);
	for (i = 0; i < N; i++) {
		train_row(r, i);
		record(c, r, &e);
	}
	TAP_OK(crm_churn_finish(c, &e) == 0 &&
		   crm_churn_result(c)->nfolds == 4 &&
		   crm_churn_result(c)->fit.n == N,
	    "eval --cv 4: four folds and their mean over %d records", N);
	crm_buf_init(&b);
	crm_churn_eval_text(c, 0, &b);
	crm_buf_addc(&b, '\0');
	TAP_OK(strncmp(b.p, "fold=1 n=10 ", 12) == 0 &&
		   strstr(b.p, "\nmean_of=4 n=40 ") != NULL,
	    "the text: a line per fold, then the means");
	crm_buf_release(&b);
	crm_churn_free(c);
	crm_rec_free(r);
}

int
main(void)
{
	int fd;

	snprintf(model_path, sizeof(model_path), "/tmp/test_churn.XXXXXX");
	if ((fd = mkstemp(model_path)) == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_train();
	test_score();
	test_eval();
	unlink(model_path);
	return tap_done();
}
