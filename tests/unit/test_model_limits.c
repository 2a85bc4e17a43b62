/*
 * test_model_limits: every model loader refuses a header whose sizes the
 * bytes after it could not hold, as damaged (EX_DATAERR), before it
 * allocates for them (issue 15: a 60-byte file must not ask for
 * gigabytes); and the most bytes a model of each kind may have.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "binclf.h"
#include "buf.h"
#include "err.h"
#include "fellegi.h"
#include "model.h"
#include "recommend.h"
#include "tap.h"
#include "textclf.h"

#define HUGE32 0xffffffffu

/* A text model header: bits, n-grams, k classes and nrow features. */
static void
text_header(struct crm_buf *b, uint32_t bits, uint32_t k, uint32_t nrow)
{
	crm_buf_reset(b);
	crm_buf_add(b, "CRMTEXT1", 8);
	crm_buf_put32(b, bits);
	crm_buf_put32(b, 2); /* minn, maxn, cjk_n, word_n: the defaults */
	crm_buf_put32(b, 5);
	crm_buf_put32(b, 3);
	crm_buf_put32(b, 2);
	crm_buf_put32(b, k);
	crm_buf_put32(b, nrow);
	crm_buf_put32(b, 3); /* the score curve's three inputs */
	crm_buf_putf(b, 0);
	crm_buf_putf(b, 1);
	crm_buf_putf(b, 0);
}

static void
test_text(void)
{
	struct crm_buf b;
	struct crm_err e;

	crm_buf_init(&b);
	text_header(&b, 24, 2, 1u << 24);
	crm_err_clear(&e);
	TAP_OK(crm_textclf_load(b.p, b.len, &e) == NULL && e.code == EX_DATAERR,
	    "text: 2^24 features of 2 classes in %zu bytes: %s", b.len, e.msg);
	text_header(&b, 24, 100000, 1u << 24);
	crm_err_clear(&e);
	TAP_OK(crm_textclf_load(b.p, b.len, &e) == NULL && e.code == EX_DATAERR,
	    "text: 2^24 features of 100000 classes: %s", e.msg);
	text_header(&b, 24, 2, HUGE32);
	crm_err_clear(&e);
	TAP_OK(crm_textclf_load(b.p, b.len, &e) == NULL && e.code == EX_DATAERR,
	    "text: 2^32 - 1 features: %s", e.msg);
	text_header(&b, HUGE32, 2, 1);
	crm_err_clear(&e);
	TAP_OK(crm_textclf_load(b.p, b.len, &e) == NULL && e.code == EX_DATAERR,
	    "text: 2^32 - 1 hash bits: %s", e.msg);
	crm_buf_release(&b);
}

static void
test_churn(void)
{
	struct crm_buf b;
	struct crm_err e;
	uint32_t algo;

	crm_buf_init(&b);
	for (algo = 0; algo < 2; algo++) {
		crm_buf_reset(&b);
		crm_buf_add(&b, "CRMBIN01", 8);
		crm_buf_put32(&b, algo);
		crm_buf_put32(&b, 0x54424154); /* the table's "TABT" */
		crm_buf_put32(&b, HUGE32);     /* columns */
		crm_err_clear(&e);
		TAP_OK(crm_binclf_load(b.p, b.len, &e) == NULL &&
			   e.code == EX_DATAERR,
		    "churn (%s): 2^32 - 1 columns in %zu bytes: %s",
		    algo ? "svm" : "lr", b.len, e.msg);
	}
	crm_buf_release(&b);
}

/* A recommend header of 64 bytes: algo, sizes; nothing after it. */
static void
reco_header(struct crm_buf *b, uint32_t algo, uint32_t n, uint32_t m,
    uint32_t nnz, uint32_t k)
{
	int i;

	crm_buf_reset(b);
	crm_buf_add(b, "CRMRECO1", 8);
	crm_buf_put32(b, algo);
	crm_buf_put32(b, algo);
	crm_buf_put32(b, 0);
	crm_buf_put32(b, n);
	crm_buf_put32(b, m);
	crm_buf_put32(b, nnz);
	crm_buf_put32(b, k);
	crm_buf_put32(b, 1);
	for (i = 0; i < 6; i++)
		crm_buf_put32(b, 0);
}

static void
test_recommend(void)
{
	struct crm_buf b;
	struct crm_err e;

	crm_buf_init(&b);
	reco_header(&b, CRM_RECO_EASE, 46340, 1, 1, 0);
	crm_err_clear(&e);
	TAP_OK(crm_reco_load(&b, &e) == NULL && e.code == EX_DATAERR,
	    "recommend: ease's 46340^2 floats in 64 bytes: %s", e.msg);
	reco_header(&b, CRM_RECO_ALS, HUGE32, HUGE32, HUGE32, 1000);
	crm_err_clear(&e);
	TAP_OK(crm_reco_load(&b, &e) == NULL && e.code == EX_DATAERR,
	    "recommend: als's (2^33) x 1000 factors in 64 bytes: %s", e.msg);
	reco_header(&b, CRM_RECO_KNN, HUGE32, HUGE32, HUGE32, HUGE32);
	crm_err_clear(&e);
	TAP_OK(crm_reco_load(&b, &e) == NULL && e.code == EX_DATAERR,
	    "recommend: knn's 2^32 x 2^32 neighbours in 64 bytes: %s", e.msg);
	crm_buf_release(&b);
}

/* A model saved, then one word of it changed: whether it loads. */
static int
dedupe_loads(int joint, int32_t part)
{
	static const char *const names[] = { "surname" };
	static const enum crm_cmp cmp[] = { CRM_CMP_NAME };
	struct crm_fs fs, back;
	struct crm_buf b;
	struct crm_err e;
	int rc;

	crm_buf_init(&b);
	crm_err_clear(&e);
	if (crm_fs_init(&fs, names, cmp, 1) == -1)
		return -2;
	fs.joint = joint;
	fs.nrules = 1;
	fs.rule[0].nkeys = 1;
	fs.rule[0].key[0].field = 0;
	fs.rule[0].key[0].part = part;
	fs.part[0] = fs.all;
	rc = crm_fs_save(&fs, &b) == -1 ? -2
					: crm_fs_load(&back, b.p, b.len, &e);
	if (rc == 0)
		crm_fs_release(&back);
	crm_fs_release(&fs);
	crm_buf_release(&b);
	return rc;
}

/*
 * A joint model whose second rule's pairs never agree exactly on the
 * first rule's field (it is cut): m of that level p; whether it loads,
 * and the probability of a pair that disagrees on it into *prob.
 */
static int
dedupe_cut(double p, double *prob)
{
	static const char *const names[] = { "email", "surname" };
	static const enum crm_cmp cmp[] = { CRM_CMP_EMAIL, CRM_CMP_NAME };
	const int8_t lev[2] = { 0, 1 };
	struct crm_fs fs, back;
	struct crm_buf b;
	struct crm_err e;
	int rc, l, top;

	crm_buf_init(&b);
	crm_err_clear(&e);
	if (crm_fs_init(&fs, names, cmp, 2) == -1)
		return -2;
	fs.joint = 1;
	fs.nrules = 2;
	fs.rule[0].nkeys = fs.rule[1].nkeys = 1;
	fs.rule[0].key[0].field = 0;
	fs.rule[1].key[0].field = 1;
	fs.part[0] = fs.part[1] = fs.all;
	top = fs.nlev[0] - 1;
	for (l = 0; l < top; l++)
		fs.part[1].m[0][l] = p < 1 ? (1 - p) / top : 1e-6;
	fs.part[1].m[0][top] = p;
	rc = crm_fs_save(&fs, &b) == -1 ? -2
					: crm_fs_load(&back, b.p, b.len, &e);
	if (rc == 0) {
		*prob = crm_fs_prob(&back, 1, lev);
		crm_fs_release(&back);
	}
	crm_fs_release(&fs);
	crm_buf_release(&b);
	return rc;
}

/*
 * A model of two classes (a CRMFS002 one, loaded: h all 1) saved again
 * loads as two classes: no second class of matches.
 */
static int
dedupe_two_classes_same(void)
{
	static const char *const names[] = { "birth_date" };
	static const enum crm_cmp cmp[] = { CRM_CMP_DATE };
	struct crm_fs fs, back;
	struct crm_buf b;
	struct crm_err e;
	int rc = -1, l;

	crm_buf_init(&b);
	if (crm_fs_init(&fs, names, cmp, 1) == -1)
		return -1;
	fs.all.eta = 0;
	for (l = 0; l < fs.nlev[0]; l++)
		fs.all.h[0][l] = 1;
	fs.nrules = 1;
	fs.rule[0].nkeys = 1;
	fs.part[0] = fs.all;
	if (crm_fs_save(&fs, &b) == 0 &&
	    crm_fs_load(&back, b.p, b.len, &e) == 0) {
		rc = back.same;
		crm_fs_release(&back);
	}
	crm_fs_release(&fs);
	crm_buf_release(&b);
	return rc;
}

/* Only what crm_fs_save writes (and crm_block_parse takes) loads. */
static void
test_dedupe_saved(void)
{
	double p = 0;

	TAP_OK(dedupe_loads(1, -64) == 0 && dedupe_loads(0, 64) == 0,
	    "dedupe: a key of the last or first 64 characters loads");
	TAP_OK(dedupe_loads(1, INT32_MIN) == -1, "dedupe: a key of the last "
						 "2^31 characters is refused");
	TAP_OK(dedupe_loads(1, 65) == -1, "dedupe: and of the first 65");
	TAP_OK(dedupe_loads(2, 0) == -1, "dedupe: a model neither joint nor "
					 "by rule is refused");
	TAP_OK(dedupe_cut(0.9, &p) == 0 && p >= 0 && p <= 1,
	    "dedupe: a cut field's exact level of m 0.9: p %g", p);
	TAP_OK(dedupe_two_classes_same() == 0, "dedupe: a model of two classes "
					       "saved again has no second "
					       "class "
					       "of matches");
	p = 0;
	TAP_OK(dedupe_cut(1, &p) == -1,
	    "dedupe: of m 1 (the other levels "
	    "nothing left: p %g) is refused",
	    p);
}

static void
test_dedupe(void)
{
	struct crm_buf b;
	struct crm_err e;
	struct crm_fs fs;

	crm_buf_init(&b);
	crm_buf_add(&b, "CRMFS002", 8);
	crm_buf_put32(&b, HUGE32); /* fields */
	crm_err_clear(&e);
	TAP_OK(crm_fs_load(&fs, b.p, b.len, &e) == -1 && e.code == EX_DATAERR,
	    "dedupe: 2^32 - 1 fields: %s", e.msg);
	crm_buf_reset(&b);
	crm_buf_add(&b, "CRMFS002", 8);
	crm_buf_put32(&b, 1);
	crm_buf_put32(&b, HUGE32); /* a field name's length */
	crm_err_clear(&e);
	TAP_OK(crm_fs_load(&fs, b.p, b.len, &e) == -1 && e.code == EX_DATAERR,
	    "dedupe: a name of 2^32 - 1 bytes: %s", e.msg);
	crm_buf_release(&b);
	test_dedupe_saved();
}

static void
test_max(void)
{
	TAP_OK(crm_model_max("churn") == 1000000000ULL &&
		   crm_model_max("text") == 1000000000ULL &&
		   crm_model_max("fellegi-sunter") == 1000000000ULL &&
		   crm_model_max(NULL) == 1000000000ULL,
	    "a model has at most 1000000000 bytes (the store's blob limit)");
	TAP_OK(crm_model_max("recommend") == 8589934592ULL, "a recommend model "
							    "at most 8 GiB "
							    "(ease at "
							    "--dense-limit "
							    "40000)");
}

int
main(void)
{
	test_text();
	test_churn();
	test_recommend();
	test_dedupe();
	test_max();
	return tap_done();
}
