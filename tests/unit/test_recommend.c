/*
 * test_recommend: unit tests for the string map (lib/strmap.c), the
 * ranking metrics (lib/metrics.c), times as numbers (lib/norm.c) and the
 * recommender (lib/recommend.c, lib/reco_fit.c) on cases small enough to
 * work out by hand; the store's events and customers as read by
 * lib/events.c, and crm-recommend's pipeline (lib/reco_run.c) on a small
 * store made here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "events.h"
#include "metrics.h"
#include "norm.h"
#include "reco_run.h"
#include "recommend.h"
#include "store.h"
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
	TAP_OK(crm_reco_fit(d, &p, &e) == NULL && e.code == EX_NOINPUT,
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

/* ==== The store's events, and the pipeline on them ==== */

static char dir[] = "/tmp/crm-test-reco.XXXXXX";
static char path[sizeof(dir) + 16];

/*
 * Orders: c1 a b c, c2 a b, c3 a d, c4 b e; c3 also clicked e, and two
 * events have no item.  Customers c1 to c5 (c5 without events).
 * As kNN sees the orders: a {c1 c2 c3}, b {c1 c2 c4}, c {c1}, d {c3},
 * e {c4}: cos(a,b) = 2/3, cos(a,c) = cos(a,d) = cos(b,c) = cos(b,e) =
 * 1/sqrt 3, the other pairs 0.
 */
static const char store_sql[] = "INSERT INTO customers(customer_id) VALUES "
				"('c1'), ('c2'), ('c3'), ('c4'), ('c5');"
				"INSERT INTO events(event_key, customer_id, "
				"time, type, item) VALUES "
				"('1', 'c1', '2024-01-01', 'order', 'a'),"
				"('2', 'c1', '2024-01-02', 'order', 'b'),"
				"('3', 'c1', '2024-01-03', 'order', 'c'),"
				"('4', 'c2', '2024-01-01', 'order', 'a'),"
				"('5', 'c2', '2024-01-02', 'order', 'b'),"
				"('6', 'c3', '2024-01-01', 'order', 'a'),"
				"('7', 'c3', '2024-01-02', 'order', 'd'),"
				"('8', 'c4', '2024-01-01', 'order', 'b'),"
				"('9', 'c4', '2024-01-02', 'order', 'e'),"
				"('10', 'c3', '2024-01-03', 'click', 'e'),"
				"('11', 'c5', '2024-01-03', 'login', NULL),"
				"('12', 'c5', '2024-01-03', 'order', '');";

static struct crm_store *
make_store(void)
{
	struct crm_store *st;
	struct crm_err e;

	crm_err_clear(&e);
	if (mkdtemp(dir) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	if ((st = crm_store_open(path, 0, &e)) == NULL) {
		printf("# %s\n", e.msg);
		return NULL;
	}
	if (sqlite3_exec(crm_store_db(st), store_sql, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		printf("# %s\n", sqlite3_errmsg(crm_store_db(st)));
		crm_store_close(st);
		return NULL;
	}
	return st;
}

/* The first column of the first row of sql, as text into buf. */
static const char *
query(struct crm_store *st, const char *sql, char *buf, size_t n)
{
	sqlite3_stmt *q;

	snprintf(buf, n, "(none)");
	if (sqlite3_prepare_v2(crm_store_db(st), sql, -1, &q, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) != NULL)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return buf;
}

static int
collect_event(void *arg, const struct crm_event *ev, struct crm_err *e)
{
	struct crm_buf *b = arg;

	(void)e;
	return crm_buf_addf(
	    b, "%s:%s:%s ", ev->customer_id, ev->item, ev->type);
}

/* The events crm_events_with_item gives, by, as collect_event writes them. */
static void
events_are(
    struct crm_store *st, enum crm_by by, const char *want, const char *what)
{
	struct crm_buf b;
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	crm_buf_init(&b);
	rc = crm_events_with_item(st, by, collect_event, &b, &e);
	crm_buf_addc(&b, '\0');
	TAP_STR(rc == 0 ? b.p : e.msg, want, "%s", what);
	crm_buf_release(&b);
}

static void
test_events(struct crm_store *st)
{
	struct crm_buf b;
	struct crm_ids *ids;
	struct crm_err e;
	const char *id;
	size_t len;
	int rc;

	crm_err_clear(&e);
	crm_buf_init(&b);
	events_are(st, CRM_BY_RECORD,
	    "c1:a:order c1:b:order c1:c:order c2:a:order c2:b:order "
	    "c3:a:order c3:d:order c4:b:order c4:e:order c3:e:click ",
	    "the events with an item, in the order stored");
	/* c3 a record of c1's person: its events are the person's */
	TAP_OK(sqlite3_exec(crm_store_db(st),
		   "INSERT INTO clusters(record_id, cluster_id, time) VALUES "
		   "('c1', 'c1', 't'), ('c3', 'c1', 't')",
		   NULL, NULL, NULL) == SQLITE_OK,
	    "c1 and c3 one person");
	events_are(st, CRM_BY_PERSON,
	    "c1:a:order c1:b:order c1:c:order c2:a:order c2:b:order "
	    "c1:a:order c1:d:order c4:b:order c4:e:order c1:e:click ",
	    "per person, each event under its person's id");
	TAP_OK(sqlite3_exec(crm_store_db(st), "DELETE FROM clusters", NULL,
		   NULL, NULL) == SQLITE_OK,
	    "no clusters again");
	crm_buf_reset(&b);
	ids = crm_ids_open(st, CRM_IDS_ITEMS, &e);
	while (ids != NULL && (rc = crm_ids_next(ids, &id, &len, &e)) == 1)
		crm_buf_addf(&b, "%.*s ", (int)len, id);
	crm_ids_close(ids);
	crm_buf_addc(&b, '\0');
	TAP_STR(
	    b.p, "a b c d e ", "the distinct items of the events, in order");
	crm_buf_reset(&b);
	ids = crm_ids_open(st, CRM_IDS_CUSTOMERS, &e);
	while (ids != NULL && (rc = crm_ids_next(ids, &id, &len, &e)) == 1)
		crm_buf_addf(&b, "%.*s ", (int)len, id);
	crm_ids_close(ids);
	crm_buf_addc(&b, '\0');
	TAP_STR(b.p, "c1 c2 c3 c4 c5 ",
	    "every customer, with or without "
	    "events");
	crm_buf_release(&b);
}

/* Fit kNN on the store's orders into the store as model "m". */
static void
test_run_fit(struct crm_store *st)
{
	struct crm_reco_run_opts o;
	struct crm_reco_run *r;
	struct crm_err e;
	struct crm_buf out;
	char types[] = "order", bad[] = "order:x", buf[256];
	size_t len;
	int rc = -1;

	crm_err_clear(&e);
	crm_buf_init(&out);
	crm_reco_run_opts_init(&o);
	TAP_OK(crm_reco_types_parse(&o, bad, &e) == -1 && e.code == EX_USAGE,
	    "a weight must be a number: %s", e.msg);
	free(o.types);
	crm_reco_run_opts_init(&o);
	o.verb = CRM_RECO_FIT;
	o.model = "m";
	o.rp.algo = CRM_RECO_KNN;
	TAP_OK(crm_reco_types_parse(&o, types, &e) == 0 && o.ntypes == 1 &&
		   !o.typed_weights,
	    "one type, no weight of its own");
	if ((r = crm_reco_run_new(&o, st, &e)) != NULL &&
	    crm_reco_run_events(r, st, &e) == 0)
		rc = crm_reco_run_finish(r, NULL, &e);
	crm_reco_run_text(r, &len);
	TAP_OK(rc == 0 && len == 0, "fitted, nothing to print: %s", e.msg);
	TAP_STR(query(st,
		    "SELECT version || ' ' || kind || ' ' || metrics FROM "
		    "models WHERE name = 'm'",
		    buf, sizeof(buf)),
	    "1 recommend {\"interactions\":9,\"pairs\":9,\"customers\":4,"
	    "\"items\":5}",
	    "the orders only (no click, no event without an item)");
	TAP_STR(query(st, "SELECT params FROM models WHERE name = 'm'", buf,
		    sizeof(buf)),
	    "{\"algo\":\"knn\",\"asked\":\"knn\",\"neighbours\":100,"
	    "\"weighted\":false,\"id_field\":\"customer_id\","
	    "\"item_field\":\"item\",\"by\":\"record\"}",
	    "what it was fitted with, per record (no clusters)");
	crm_reco_run_free(r);
	free(o.types);
	crm_buf_release(&out);
}

/* Recommend for one record with id under field; its reco_* into buf. */
static const char *
recommend(struct crm_reco_run *r, const char *field, const char *id, char *buf,
    size_t n)
{
	struct crm_rec *rec = crm_rec_new();
	const struct crm_filter_ops *ops = crm_reco_run_ops(r);
	const char *items, *source;
	struct crm_err e;
	size_t len;
	int drop = 0;

	crm_err_clear(&e);
	crm_rec_add(rec, field, strlen(field), id, strlen(id), CRM_STRING);
	if (ops->record(r, rec, &drop, &e) != 0)
		snprintf(buf, n, "error %d: %.200s", e.code, e.msg);
	else if ((items = crm_rec_text(rec, "reco_items", &len)) == NULL ||
		 (source = crm_rec_text(rec, "reco_source", &len)) == NULL)
		snprintf(buf, n, "no reco fields");
	else
		snprintf(buf, n, "%s %s", source, items);
	crm_rec_free(rec);
	return buf;
}

static void
test_run_recommend(struct crm_store *st)
{
	struct crm_reco_run_opts o;
	struct crm_reco_run *r;
	struct crm_err e;
	char buf[512];

	crm_err_clear(&e);
	crm_reco_run_opts_init(&o);
	o.model = "nothere";
	o.db = "crm.db";
	r = crm_reco_run_new(&o, st, &e);
	TAP_OK(r == NULL && e.code == EX_NOINPUT, "no model: %s", e.msg);
	crm_reco_run_opts_init(&o);
	o.model = "m";
	o.top = 3;
	if ((r = crm_reco_run_new(&o, st, &e)) == NULL) {
		TAP_OK(0, "model m loaded: %s", e.msg);
		return;
	}
	/* c2 has a and b: c (1/sqrt 3 from each), then d and e (1/sqrt 3
	 * each), a tie that goes to the smaller id */
	TAP_STR(recommend(r, "customer_id", "c2", buf, sizeof(buf)),
	    "model [{\"item\":\"c\",\"score\":1.1547},"
	    "{\"item\":\"d\",\"score\":0.5774},"
	    "{\"item\":\"e\",\"score\":0.5774}]",
	    "best first, the customer's own items left out, ties by id");
	/* c1 has a, b and c: d and e only */
	TAP_STR(recommend(r, "customer_id", "c1", buf, sizeof(buf)),
	    "model [{\"item\":\"d\",\"score\":0.5774},"
	    "{\"item\":\"e\",\"score\":0.5774}]",
	    "fewer than top when the customer has the rest");
	/* a and b: 3 of 4 customers; c, d, e: 1 of 4, so c by id */
	TAP_STR(recommend(r, "customer_id", "zz", buf, sizeof(buf)),
	    "popular [{\"item\":\"a\",\"score\":0.7500},"
	    "{\"item\":\"b\",\"score\":0.7500},"
	    "{\"item\":\"c\",\"score\":0.2500}]",
	    "an unknown customer gets the popular items, ties by id");
	TAP_STR(recommend(r, "customer_id", "c5", buf, sizeof(buf)),
	    "popular [{\"item\":\"a\",\"score\":0.7500},"
	    "{\"item\":\"b\",\"score\":0.7500},"
	    "{\"item\":\"c\",\"score\":0.2500}]",
	    "so does a customer with no item to learn from");
	TAP_STR(recommend(r, "id", "c2", buf, sizeof(buf)),
	    "error 65: no field 'customer_id'", "a record without the id");
	TAP_OK(crm_reco_run_popular(r) == 2, "two popular lists counted");
	TAP_OK(crm_reco_run_close(r, &e) == 0, "decisions committed");
	TAP_STR(query(st,
		    "SELECT group_concat(record_key || '=' || reasons, ' ') "
		    "FROM (SELECT * FROM decisions ORDER BY id)",
		    buf, sizeof(buf)),
	    "c2={\"source\":\"model\"} c1={\"source\":\"model\"} "
	    "zz={\"source\":\"popular\"} c5={\"source\":\"popular\"}",
	    "one decision per list, with its source");
	crm_reco_run_free(r);

	crm_reco_run_opts_init(&o);
	o.model = "m";
	o.top = 3;
	o.item_mode = 1;
	r = crm_reco_run_new(&o, NULL, &e);
	TAP_OK(r == NULL && e.code == EX_NOINPUT,
	    "without a store or file there is no model: %s", e.msg);
	o.model_file = "/nonexistent/m.model";
	r = crm_reco_run_new(&o, st, &e);
	TAP_OK(r == NULL && e.code == EX_NOINPUT, "the file, not the store: %s",
	    e.msg);
	o.model_file = NULL;
	if ((r = crm_reco_run_new(&o, st, &e)) == NULL) {
		TAP_OK(0, "model m loaded: %s", e.msg);
		return;
	}
	TAP_STR(recommend(r, "item", "a", buf, sizeof(buf)),
	    "model [{\"item\":\"b\",\"score\":0.6667},"
	    "{\"item\":\"c\",\"score\":0.5774},"
	    "{\"item\":\"d\",\"score\":0.5774}]",
	    "the items that go with a, by cosine, ties by id");
	crm_reco_run_free(r);
}

/*
 * The records --from-store recommends for, one "field=id" each, into
 * buf; customer c0 is added through the store once the source is made,
 * and must not show up in it (it reads a snapshot).
 */
static const char *
store_records(struct crm_store *st, int item_mode, char *buf, size_t n)
{
	struct crm_reco_run_opts o;
	struct crm_reco_run *r;
	struct crm_source src;
	struct crm_rec *rec = crm_rec_new();
	struct crm_err e;
	const char *v;
	size_t len, used = 0;
	int rc = -1;

	crm_err_clear(&e);
	crm_reco_run_opts_init(&o);
	o.model = "m";
	o.item_mode = item_mode;
	snprintf(buf, n, "(failed)");
	if ((r = crm_reco_run_new(&o, st, &e)) != NULL &&
	    crm_reco_run_source(r, st, &src, &e) == 0) {
		sqlite3_exec(crm_store_db(st),
		    "INSERT INTO customers(customer_id) VALUES ('c0');"
		    "INSERT INTO events(event_key, customer_id, time, type, "
		    "item) VALUES ('0', 'c0', '2024-01-01', 'order', '0')",
		    NULL, NULL, NULL);
		buf[0] = '\0';
		while ((rc = src.next(src.arg, rec, &e)) == 1 && used < n) {
			v = crm_rec_value(rec, 0, &len);
			used += (size_t)snprintf(buf + used, n - used,
			    "%s=%.*s ", crm_rec_name(rec, 0, &len), (int)len,
			    v);
		}
		src.close(src.arg);
		sqlite3_exec(crm_store_db(st),
		    "DELETE FROM customers WHERE customer_id = 'c0';"
		    "DELETE FROM events WHERE event_key = '0'",
		    NULL, NULL, NULL);
	}
	if (rc != 0)
		printf("# %s\n", e.msg);
	crm_reco_run_free(r);
	crm_rec_free(rec);
	return buf;
}

static void
test_run_store_records(struct crm_store *st)
{
	char buf[512];

	TAP_STR(store_records(st, 0, buf, sizeof(buf)),
	    "customer_id=c1 customer_id=c2 customer_id=c3 customer_id=c4 "
	    "customer_id=c5 ",
	    "--from-store: one record per customer, none the run added");
	TAP_STR(store_records(st, 1, buf, sizeof(buf)),
	    "item=a item=b item=c item=d item=e ",
	    "--from-store --item: one per item of the events, as they were");
}

/*
 * Eval from the store's orders: each customer's latest order is held out
 * (c1 c, c2 b, c3 d, c4 e), so kNN learns from c1 a b, c2 a, c3 a, c4 b:
 * two items, cos(a,b) = 1 / sqrt 6.  c1 has both and gets nothing; c2
 * and c3 get b, a hit for c2; c4 gets a, a miss: 1 of 4 customers, both
 * items recommended.
 */
static void
test_run_eval(struct crm_store *st)
{
	struct crm_reco_run_opts o;
	struct crm_reco_run *r;
	struct crm_err e;
	struct crm_buf out;
	char types[] = "order";
	const char *text;
	size_t len;
	int rc = -1;

	crm_err_clear(&e);
	crm_buf_init(&out);
	crm_reco_run_opts_init(&o);
	crm_reco_types_parse(&o, types, &e);
	o.verb = CRM_RECO_EVAL;
	o.rp.algo = CRM_RECO_KNN;
	o.top = 1;
	o.json = 1;
	if ((r = crm_reco_run_new(&o, st, &e)) != NULL &&
	    crm_reco_run_events(r, st, &e) == 0)
		rc = crm_reco_run_finish(r, NULL, &e);
	TAP_OK(rc == 0, "evaluated: %s", e.msg);
	if (r != NULL) {
		text = crm_reco_run_text(r, &len);
		crm_buf_add(&out, text, len);
	}
	crm_buf_addc(&out, '\0');
	TAP_STR(out.p,
	    "{\"customers\":4,\"items\":2,\"k\":1,\"precision\":0.2500,"
	    "\"recall\":0.2500,\"ndcg\":0.2500,\"hit_rate\":0.2500,"
	    "\"coverage\":1.0000,\"algo\":\"knn\"}\n",
	    "eval's figures as one JSON line");
	crm_reco_run_free(r);
	crm_buf_release(&out);
	free(o.types);
}

static void
test_store_pipeline(void)
{
	struct crm_store *st = make_store();

	TAP_OK(st != NULL, "a store with customers and events");
	if (st == NULL)
		return;
	test_events(st);
	test_run_fit(st);
	test_run_recommend(st);
	test_run_store_records(st);
	test_run_eval(st);
	crm_store_close(st);
	tap_rm_store(dir);
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
	test_store_pipeline();
	return tap_done();
}
