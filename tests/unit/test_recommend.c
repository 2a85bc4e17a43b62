/*
 * test_recommend: unit tests for the string map (lib/strmap.c), the
 * ranking metrics (lib/metrics.c), times as numbers (lib/norm.c) and the
 * recommender (lib/recommend.c, lib/reco_fit.c) on cases small enough to
 * work out by hand.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "metrics.h"
#include "norm.h"
#include "recommend.h"
#include "strmap.h"
#include "tap.h"

static void
test_strmap(void)
{
	struct crm_strmap *m = crm_strmap_new();
	char key[32];
	size_t len;
	long i, bad = 0;

	TAP_OK(crm_strmap_put(m, "b", 1) == 0, "first id is 0");
	TAP_OK(crm_strmap_put(m, "a\0x", 3) == 1, "NUL bytes are kept");
	TAP_OK(crm_strmap_put(m, "b", 1) == 0, "a repeat keeps its id");
	TAP_OK(crm_strmap_get(m, "a", 1) == -1, "a prefix is another string");
	for (i = 0; i < 5000; i++) { /* through several rehashes */
		snprintf(key, sizeof(key), "k%ld", i);
		bad += crm_strmap_put(m, key, strlen(key)) != i + 2;
	}
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		bad += crm_strmap_get(m, key, strlen(key)) != i + 2;
	}
	TAP_OK(bad == 0 && crm_strmap_count(m) == 5002, "5000 more ids");
	TAP_OK(memcmp(crm_strmap_name(m, 1, &len), "a\0x", 3) == 0 && len == 3,
	    "name of an id");
	crm_strmap_free(m);

	TAP_OK(crm_id_cmp("2", 1, "10", 2) < 0, "numbers by value");
	TAP_OK(crm_id_cmp("b", 1, "a10", 3) > 0, "words by bytes");
	TAP_OK(crm_id_cmp("10", 2, "9a", 2) < 0, "a word and a number: bytes");
	TAP_OK(
	    crm_id_cmp("007", 3, "7", 1) != 0 &&
		crm_id_cmp("007", 3, "7", 1) == -crm_id_cmp("7", 1, "007", 3),
	    "equal values written differently stay apart");
	TAP_OK(crm_id_cmp("42", 2, "42", 2) == 0, "equal ids");
}

static void
test_rank_metrics(void)
{
	static const size_t rec1[] = { 0, 1, 2 }, rec2[] = { 3 };
	static const int hit1[] = { 1, 0, 1 }, hit2[] = { 0 };
	struct crm_rankmetrics m;
	double ndcg1 = (1 + 1 / log2(4.0)) / (1 + 1 / log2(3.0));

	crm_rank_init(&m, 3, 10);
	crm_rank_add(&m, rec1, hit1, 3, 2);
	crm_rank_add(&m, rec2, hit2, 1, 1);
	crm_rank_finish(&m);
	TAP_OK(m.users == 2, "two users");
	TAP_OK(fabs(m.precision - (2.0 / 3 + 0) / 2) < 1e-12,
	    "precision: hits over k, a short list too: %g", m.precision);
	TAP_OK(fabs(m.recall - (1 + 0) / 2.0) < 1e-12, "recall: %g", m.recall);
	TAP_OK(fabs(m.ndcg - ndcg1 / 2) < 1e-12,
	    "NDCG: (1 + 1/log2 4) / (1 + 1/log2 3), halved: %g", m.ndcg);
	TAP_OK(m.hit_rate == 0.5, "hit rate");
	TAP_OK(m.distinct == 4 && fabs(m.coverage - 0.4) < 1e-12, "coverage: 4 "
								  "of 10 "
								  "items");
	crm_rank_release(&m);

	crm_rank_init(&m, 2, 5);
	crm_rank_add(&m, rec1, hit1, 3, 5);
	crm_rank_finish(&m);
	TAP_OK(m.distinct == 2 && m.precision == 0.5 && m.recall == 0.2, "only "
									 "the "
									 "first"
									 " k "
									 "coun"
									 "t");
	TAP_OK(fabs(m.ndcg - 1 / (1 + 1 / log2(3.0))) < 1e-12, "ideal DCG over "
							       "min(k, "
							       "relevant)");
	crm_rank_release(&m);
}

static void
test_seconds(void)
{
	const char *why = NULL;
	double s = -1;

	TAP_OK(
	    crm_norm_seconds("964982703", 9, &s, &why) == 0 && s == 964982703,
	    "epoch seconds as they are");
	TAP_OK(crm_norm_seconds(" 1.5 ", 5, &s, &why) == 0 && s == 1.5, "any "
									"numbe"
									"r");
	TAP_OK(crm_norm_seconds("1970-01-02", 10, &s, &why) == 0 && s == 86400,
	    "a date is its midnight");
	TAP_OK(
	    crm_norm_seconds("1970-01-01T01:00:00+01:00", 25, &s, &why) == 0 &&
		s == 0,
	    "zones are applied");
	TAP_OK(crm_norm_seconds("2024-03-01T00:00:00.25Z", 23, &s, &why) == 0 &&
		   s == 1709251200.25,
	    "fractions of seconds");
	TAP_OK(crm_norm_seconds("soon", 4, &s, &why) == -1 && why != NULL,
	    "not a time: %s", why ? why : "");
	TAP_OK(crm_norm_seconds("12\0", 3, &s, &why) == -1, "a NUL byte");
	TAP_OK(crm_norm_seconds("", 0, &s, &why) == -1, "empty");
}

/*
 * Customer u1 has items x and y, u2 has x: X'X = [2 1; 1 1].  With
 * lambda 1, P = [3 1; 1 2]^-1 = [0.4 -0.2; -0.2 0.6], so B_xy = 0.2 / 0.6
 * and B_yx = 0.2 / 0.4.  The cosine of x and y is 1 / sqrt(2).
 */
static struct crm_reco_data *
tiny(void)
{
	struct crm_reco_data *d = crm_reco_data_new(0);

	crm_reco_data_add(d, "u1", 2, "y", 1, 1, 2);
	crm_reco_data_add(d, "u1", 2, "x", 1, 1, 1);
	crm_reco_data_add(d, "u2", 2, "x", 1, 1, 1);
	crm_reco_data_add(d, "u1", 2, "x", 1, 1, 3); /* a repeat */
	return d;
}

static void
test_ease(void)
{
	struct crm_reco_data *d = tiny();
	struct crm_reco_params p;
	struct crm_reco_hit h[4];
	struct crm_reco *m;
	struct crm_err e;
	struct crm_buf b;
	const void *bytes;
	size_t n, len;
	long x, y, u2;
	int pop;

	crm_reco_params_init(&p);
	p.lambda = 1;
	crm_err_clear(&e);
	m = crm_reco_fit(d, &p, &e);
	TAP_OK(m != NULL && crm_reco_items(m) == 2 &&
		   crm_reco_customers(m) == 2 && crm_reco_pairs(m) == 3,
	    "2 items, 2 customers, 3 pairs (the repeat counts once)");
	x = crm_reco_item(m, "x", 1);
	y = crm_reco_item(m, "y", 1);
	u2 = crm_reco_customer(m, "u2", 2);
	TAP_OK(x == 0 && y == 1, "items in id order");
	n = crm_reco_for_item(m, x, 4, h, &pop);
	TAP_OK(n == 1 && h[0].item == (size_t)y &&
		   fabs(h[0].score - 1.0 / 3) < 1e-6 && !pop,
	    "B_xy = 1/3: %g", n ? h[0].score : -1);
	n = crm_reco_for_item(m, y, 4, h, &pop);
	TAP_OK(n == 1 && fabs(h[0].score - 0.5) < 1e-6, "B_yx = 1/2");
	n = crm_reco_for_customer(m, u2, 4, h, &pop);
	TAP_OK(n == 1 && h[0].item == (size_t)y &&
		   fabs(h[0].score - 1.0 / 3) < 1e-6 && !pop,
	    "u2 gets y, never x, which it has");
	n = crm_reco_for_customer(m, crm_reco_customer(m, "u1", 2), 4, h, &pop);
	TAP_OK(n == 0 && !pop, "u1 has everything");
	n = crm_reco_for_customer(m, -1, 4, h, &pop);
	TAP_OK(n == 2 && pop && h[0].item == (size_t)x && h[0].score == 1 &&
		   h[1].score == 0.5,
	    "an unknown customer gets the popular items, by share");
	n = crm_reco_for_item(m, -1, 1, h, &pop);
	TAP_OK(n == 1 && pop && h[0].item == (size_t)x, "so does an item");

	/* the bytes load back to the same model; every cut is refused */
	crm_reco_save(m, &bytes, &len);
	crm_buf_init(&b);
	crm_buf_add(&b, bytes, len);
	crm_reco_free(m);
	m = crm_reco_load(&b, &e);
	TAP_OK(m != NULL && b.p == NULL, "loaded; the buffer taken over");
	n = m ? crm_reco_for_item(m, crm_reco_item(m, "x", 1), 4, h, &pop) : 0;
	TAP_OK(n == 1 && fabs(h[0].score - 1.0 / 3) < 1e-6, "same B");
	crm_reco_save(m, &bytes, &len);
	{
		size_t cut, bad = 0;
		struct crm_reco *c;

		for (cut = 0; cut < len; cut++) {
			crm_buf_add(&b, bytes, cut);
			if ((c = crm_reco_load(&b, &e)) != NULL ||
			    e.code != EX_DATAERR)
				bad++;
			crm_reco_free(c);
		}
		TAP_OK(bad == 0, "all %zu cuts refused", len);
		crm_buf_add(&b, bytes, len);
		/* the last item index (before 3 values) out of range */
		((char *)b.p)[len - 16] = 9;
		c = crm_reco_load(&b, &e);
		TAP_OK(c == NULL, "a bad index is refused");
	}
	crm_reco_free(m);
	crm_reco_data_free(d);
}

static void
test_knn_als(void)
{
	struct crm_reco_data *d = tiny();
	struct crm_reco_params p;
	struct crm_reco_hit h[4];
	struct crm_reco *m;
	struct crm_err e;
	size_t n;
	int pop;

	crm_reco_params_init(&p);
	p.algo = CRM_RECO_KNN;
	m = crm_reco_fit(d, &p, &e);
	n = crm_reco_for_item(m, 0, 4, h, &pop);
	TAP_OK(n == 1 && fabs(h[0].score - sqrt(0.5)) < 1e-6,
	    "cosine of x and y: %g", n ? h[0].score : -1);
	crm_reco_free(m);

	p.algo = CRM_RECO_EASE;
	p.dense_limit = 1;
	m = crm_reco_fit(d, &p, &e);
	TAP_OK(crm_reco_algo(m) == CRM_RECO_KNN &&
		   crm_reco_asked(m) == CRM_RECO_EASE,
	    "past the dense limit, knn");
	crm_reco_free(m);

	p.algo = CRM_RECO_ALS;
	p.factors = 2;
	m = crm_reco_fit(d, &p, &e);
	n = crm_reco_for_customer(m, 1, 4, h, &pop);
	TAP_OK(m != NULL && n == 1 && h[0].item == 1 && h[0].score > 0, "als: "
									"u2 "
									"gets "
									"y");
	crm_reco_free(m);
	crm_reco_data_free(d);

	d = crm_reco_data_new(0);
	TAP_OK(crm_reco_fit(d, &p, &e) == NULL && e.code == EX_DATAERR,
	    "no interactions: %s", e.msg);
	crm_reco_data_free(d);
}

/*
 * Eval: u1's interactions by time are x (1), y (2); the latest one, y,
 * is held out, x kept; u2 has one interaction, held out, so it is a
 * customer without history.  u1 gets nothing (it has x, the only item of
 * the model); u2 gets x, a hit.
 */
static void
test_eval(void)
{
	struct crm_reco_data *d = crm_reco_data_new(0);
	struct crm_reco_params p;
	struct crm_rankmetrics r;
	struct crm_err e;

	crm_reco_data_add(d, "u1", 2, "y", 1, 1, 2);
	crm_reco_data_add(d, "u1", 2, "x", 1, 1, 1);
	crm_reco_data_add(d, "u2", 2, "x", 1, 1, 5);
	crm_reco_params_init(&p);
	TAP_OK(crm_reco_eval(d, 0.2, 10, &p, &r, NULL, &e) == 0, "evaluated");
	TAP_OK(r.users == 2 && r.nitems == 1 && r.hit_rate == 0.5 &&
		   r.recall == 0.5 && fabs(r.precision - 0.05) < 1e-12 &&
		   r.coverage == 1,
	    "u2's held-out x found from the popular items");
	crm_rank_release(&r);
	crm_reco_data_free(d);
}

int
main(void)
{
	test_strmap();
	test_rank_metrics();
	test_seconds();
	test_ease();
	test_knn_als();
	test_eval();
	return tap_done();
}
