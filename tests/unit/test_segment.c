/*
 * test_segment: unit tests for k-means (lib/kmeans.c), RFM scores and
 * segments (lib/rfm.c), and crm-tag's pipeline over them (lib/segment.c):
 * RFM over held records, cluster renumbering, k-means model selection.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "activity.h"
#include "buf.h"
#include "filter.h"
#include "kmeans.h"
#include "load.h"
#include "rec.h"
#include "rfm.h"
#include "schema.h"
#include "segment.h"
#include "store.h"
#include "tap.h"

static void
test_scores(void)
{
	double v[100], tied[10] = { 1, 1, 1, 1, 1, 1, 2, 2, 3, 9 };
	unsigned char s[100];
	size_t i;
	int ok = 1;

	for (i = 0; i < 100; i++)
		v[i] = (double)(100 - i); /* in any order */
	crm_rfm_scores(v, 100, 0, s);
	for (i = 0; i < 100; i++)
		ok &= s[i] == 1 + (100 - i - 1) / 20;
	TAP_OK(ok, "1..100: each fifth scores 1 to 5");
	crm_rfm_scores(v, 100, 1, s);
	TAP_OK(s[99] == 5 && s[0] == 1 && s[80] == 5 && s[79] == 4, "low is "
								    "best: 1 "
								    "scores 5, "
								    "100 "
								    "scores 1");
	crm_rfm_scores(tied, 10, 0, s);
	TAP_OK(s[0] == 1 && s[5] == 1 && s[6] == 4 && s[7] == 4 && s[8] == 5 &&
		   s[9] == 5,
	    "ties score the same: %d %d %d %d", s[0], s[6], s[8], s[9]);
	v[0] = NAN;
	crm_rfm_scores(v, 3, 0, s);
	TAP_OK(s[0] == 0 && s[1] == 3 && s[2] == 1, "no value scores 0; of "
						    "two, the higher scores 3");
	crm_rfm_scores(v + 1, 1, 0, s);
	TAP_OK(s[0] == 1, "one customer scores 1");
}

static void
test_segments(void)
{
	/* FM 5 down to 1, R 1 to 5, as in crm-tag(1) */
	static const char *const want[5][5] = {
		{ "Cannot lose them", "Cannot lose them", "Loyal", "Loyal",
		    "Champions" },
		{ "At risk", "At risk", "Loyal", "Loyal", "Champions" },
		{ "At risk", "At risk", "Need attention", "Potential loyalist",
		    "Potential loyalist" },
		{ "Lost", "Hibernating", "About to sleep", "Potential loyalist",
		    "Potential loyalist" },
		{ "Lost", "Hibernating", "About to sleep", "Promising", "New" },
	};
	int r, fm, ok = 1;

	for (fm = 5; fm >= 1; fm--)
		for (r = 1; r <= 5; r++)
			ok &= strcmp(crm_rfm_segment(r, fm),
				  want[5 - fm][r - 1]) == 0;
	TAP_OK(ok, "the R x FM grid");
	TAP_OK(crm_rfm_segment(0, 3) == NULL, "no segment without a score");
	TAP_OK(crm_rfm_fm(5, 4) == 5 && crm_rfm_fm(1, 2) == 2 &&
		   crm_rfm_fm(3, 3) == 3,
	    "FM is the mean rounded up");
}

/* Three tight groups of 50 points in 2-d, shuffled by a fixed stride. */
static void
blobs(double *x)
{
	static const double c[3][2] = { { 0, 0 }, { 10, 0 }, { 0, 10 } };
	size_t i, j;

	for (i = 0; i < 150; i++) {
		j = (i * 37) % 150;
		x[2 * j] = c[i % 3][0] + 0.01 * (double)(i % 7);
		x[2 * j + 1] = c[i % 3][1] + 0.02 * (double)(i % 5);
	}
}

static void
test_kmeans(void)
{
	double x[300], centers[8 * 2], dist2[150], c2[8 * 2], d2b[150],
	    brute = 0;
	int label[150], l2[150];
	struct crm_kmeans_params p;
	struct crm_kmeans_result r = { centers, label, dist2, 0, 0 };
	struct crm_kmeans_result r2 = { c2, l2, d2b, 0, 0 };
	struct crm_err e;
	size_t i, j;
	int ok = 1;

	blobs(x);
	crm_kmeans_defaults(&p, 3);
	TAP_OK(crm_kmeans(x, 150, 2, &p, &r, &e) == 0, "three blobs");
	for (i = 0; i < 150; i++)
		for (j = 0; j < 150; j++)
			if ((fabs(x[2 * i] - x[2 * j]) < 1 &&
				fabs(x[2 * i + 1] - x[2 * j + 1]) < 1) !=
			    (label[i] == label[j]))
				ok = 0;
	TAP_OK(ok, "each blob is one cluster");
	for (i = 0; i < 150; i++) {
		double dx = x[2 * i] - centers[2 * label[i]];
		double dy = x[2 * i + 1] - centers[2 * label[i] + 1];

		brute += dx * dx + dy * dy;
	}
	TAP_OK(fabs(brute - r.inertia) < 1e-9 * (1 + brute),
	    "inertia %g is the sum of squared distances %g", r.inertia, brute);
	crm_kmeans(x, 150, 2, &p, &r2, &e);
	TAP_OK(memcmp(label, l2, sizeof(label)) == 0 &&
		   memcmp(centers, c2, sizeof(c2)) == 0,
	    "the same seed, the same clusters");
	TAP_OK(crm_kmeans_silhouette(x, 150, 2, label, 3, 100, 1) > 0.9,
	    "silhouette of separate blobs near 1");

	/* 4 distinct points, repeated */
	for (i = 0; i < 20; i++) {
		x[2 * i] = (double)(i % 4);
		x[2 * i + 1] = 0;
	}
	TAP_OK(crm_kmeans_distinct(x, 20, 2) == 4, "4 distinct points");
	crm_kmeans_defaults(&p, 5);
	TAP_OK(crm_kmeans(x, 20, 2, &p, &r, &e) == -1 && e.code == EX_DATAERR,
	    "more clusters than points: %s", e.msg);
	crm_kmeans_defaults(&p, 4);
	TAP_OK(crm_kmeans(x, 20, 2, &p, &r, &e) == 0 && r.inertia == 0,
	    "as many clusters as points: inertia %g", r.inertia);
}

static void
test_standardize(void)
{
	double x[] = { 1, 5, 2, 5, 3, 5, 4, 5 }, mean[2], sd[2];

	crm_standardize(x, 4, 2, mean, sd);
	TAP_OK(mean[0] == 2.5 && fabs(sd[0] - sqrt(1.25)) < 1e-12, "mean and "
								   "population "
								   "deviation");
	TAP_OK(x[1] == 0 && sd[1] == 1, "a constant column is only centred");
	TAP_OK(fabs(x[0] + x[6]) < 1e-12, "z-scores");
}

/* ==== lib/segment ==== */

/* What emit saw: one line a record, "id r f m segment cluster tags". */
static struct crm_buf seen;

static void
add_field(const struct crm_rec *r, const char *name)
{
	long i = crm_rec_find(r, name, strlen(name));
	size_t len = 0;
	const char *v;

	if (i >= 0 && crm_rec_type(r, (size_t)i) != CRM_NULL)
		v = crm_rec_value(r, (size_t)i, &len);
	else
		len = strlen(v = i >= 0 ? "null" : "-");
	if (seen.len > 0 && seen.p[seen.len - 1] != '\n')
		crm_buf_addc(&seen, ' ');
	crm_buf_addf(&seen, "%.*s", (int)len, v);
}

static int
collect(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	static const char *const names[] = { "customer_id", "r_score",
		"f_score", "m_score", "rfm_segment", "cluster", "tags" };
	size_t i;

	(void)e;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		add_field(r, names[i]);
	crm_buf_addc(&seen, '\n');
	(*(int *)arg)++;
	return 0;
}

/* A record of id and numbers (NAN: null) under names. */
static struct crm_rec *
numbers(const char *id, const char *const *names, const double *v, size_t n)
{
	struct crm_rec *r = crm_rec_new();
	char num[64];
	size_t i;

	crm_rec_add(r, "customer_id", 11, id, strlen(id), CRM_STRING);
	for (i = 0; i < n; i++) {
		int len = snprintf(num, sizeof(num), "%g", v[i]);

		crm_rec_add(r, names[i], strlen(names[i]), num,
		    isnan(v[i]) ? 0 : (size_t)len,
		    isnan(v[i]) ? CRM_NULL : CRM_NUMBER);
	}
	return r;
}

static const char *
rules_path(char *buf, size_t n, const char *file)
{
	const char *top = getenv("TOP");

	snprintf(buf, n, "%s%stestdata/tag/%s", top ? top : "", top ? "/" : "",
	    file);
	return buf;
}

/*
 * RFM over 10 held customers (recency 1..10, frequency and monetary
 * 10..1) and one without a monetary value, with the rules of
 * rfm-segment.rules reading the segment's own fields.
 */
static void
test_segment_rfm(void)
{
	static const char *const names[] = { "recency", "frequency",
		"monetary" };
	static const char want[] = "C0 5 5 5 Champions - [\"champion\"]\n"
				   "C1 5 5 5 Champions - [\"champion\"]\n"
				   "C2 4 4 4 Loyal - []\n"
				   "C3 4 4 4 Loyal - []\n"
				   "C4 3 3 3 Need attention - []\n"
				   "C5 3 3 3 Need attention - []\n"
				   "C6 2 2 2 Hibernating - [\"lapsing\"]\n"
				   "C7 2 2 2 Hibernating - [\"lapsing\"]\n"
				   "C8 1 1 1 Lost - [\"lapsing\"]\n"
				   "CX null null null null - []\n"
				   "C9 1 1 1 Lost - []\n";
	struct crm_segment_opts o;
	struct crm_segment *s;
	struct crm_rec *hdr, *r;
	struct crm_err e;
	const char *rules[1];
	char path[4096], id[8];
	double v[3] = { 0, 0, 0 };
	int held, emitted = 0, ok = 1;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.id_field = "customer_id";
	o.rfm = 1;
	memcpy(o.rfm_fields, names, sizeof(names));
	o.quiet = 1;
	rules[0] = rules_path(path, sizeof(path), "rfm-segment.rules");
	o.rules = rules;
	o.nrules = 1;
	crm_err_clear(&e);
	s = crm_segment_new(&o, &e);
	TAP_OK(s != NULL, "a segment with RFM and rules: %s", e.msg);
	if (s == NULL)
		return;
	hdr = numbers("", names, v, 0);
	TAP_OK(crm_segment_check_header(s, hdr, &e) == -1 &&
		   e.code == EX_DATAERR &&
		   strstr(e.msg, "no field 'monetary'") != NULL,
	    "a header without the fields the rules read: %s", e.msg);
	crm_rec_free(hdr);
	crm_buf_init(&seen);
	for (i = 0; i < 11; i++) {
		size_t c = i < 9 ? i : i == 9 ? 99 : 9;

		v[0] = (double)(c + 1);
		v[1] = (double)(10 - c);
		v[2] = 100.0 * (double)(10 - c);
		if (c == 99) {
			v[0] = 3;
			v[1] = 3;
			v[2] = NAN;
		}
		snprintf(id, sizeof(id), c == 99 ? "CX" : "C%zu", c);
		r = numbers(id, names, v, 3);
		held = 0;
		ok &= crm_segment_add(s, r, 0, &held, &e) == 0 && held;
		crm_rec_free(r);
	}
	TAP_OK(ok && seen.len == 0, "every record is held: %s", e.msg);
	TAP_OK(
	    crm_segment_finish(s, collect, &emitted, &e) == 0 && emitted == 11,
	    "finish emits them all (%d): %s", emitted, e.msg);
	TAP_STR(
	    seen.p, want, "quintile scores, segments and tags, in input order");
	TAP_OK(crm_segment_failed(s) == 0, "no record failed the rules");
	TAP_OK(crm_segment_close(s, &e) == 0, "close");
	crm_buf_release(&seen);
}

static void
test_renumber(void)
{
	int label[] = { 2, 2, 0, 1, 1, 1, 0 };
	static const int want[] = { 1, 1, 2, 0, 0, 0, 2 };
	int one[] = { 0, 0, 0 };

	TAP_OK(crm_segment_renumber(label, 7, 3) == 0 &&
		   memcmp(label, want, sizeof(want)) == 0,
	    "largest first; of two of one size, the first seen first: "
	    "%d %d %d %d %d %d %d",
	    label[0], label[1], label[2], label[3], label[4], label[5],
	    label[6]);
	TAP_OK(
	    crm_segment_renumber(one, 3, 1) == 0 && one[0] == 0 && one[2] == 0,
	    "one cluster stays 0");
}

/*
 * Three separate groups in 2-d, interleaved: 20 points about (0, 0),
 * 50 about (100, 100), 10 about (0, 100), 80 points in all.
 */
static void
groups(double *x)
{
	size_t i, g;

	for (i = 0; i < 80; i++) {
		g = i % 8 < 2 ? 0 : i % 8 < 7 ? 1 : 2;
		x[2 * i] = (g == 1 ? 100 : 0) + 0.3 * (double)(i % 5);
		x[2 * i + 1] = (g == 0 ? 0 : 100) + 0.2 * (double)(i % 3);
	}
}

static int
group_of(size_t i)
{
	return i % 8 < 2 ? 0 : i % 8 < 7 ? 1 : 2;
}

static void
test_segment_kmeans(void)
{
	struct crm_segment_kmeans km;
	double x[160], y[160], dist[80], dist2[80];
	int label[80], l2[80], ok = 1, byg[3];
	struct crm_err e;
	size_t i;

	crm_err_clear(&e);
	memset(&km, 0, sizeof(km));
	km.k = 6;
	km.auto_k = 1;
	km.restarts = 3;
	km.seed = 7;
	km.quiet = 1;
	groups(x);
	TAP_OK(crm_segment_kmeans(x, 80, 2, &km, label, dist, &e) == 0,
	    "auto-k over three groups: %s", e.msg);
	TAP_OK(km.chosen == 3, "the silhouette chooses k = 3: %zu", km.chosen);
	byg[0] = label[0];
	byg[1] = label[2];
	byg[2] = label[7];
	for (i = 0; i < 80; i++)
		ok &= label[i] == byg[group_of(i)] && dist[i] >= 0 &&
		      dist[i] < 0.5;
	TAP_OK(ok, "each group is one cluster, near its centre");
	TAP_OK(byg[1] == 0 && byg[0] == 1 && byg[2] == 2,
	    "renumbered by size: 50 is 0, 20 is 1, 10 is 2 (got %d %d %d)",
	    byg[1], byg[0], byg[2]);

	groups(y);
	km.auto_k = 0;
	km.k = 3;
	TAP_OK(crm_segment_kmeans(y, 80, 2, &km, l2, dist2, &e) == 0 &&
		   km.chosen == 3 && memcmp(label, l2, sizeof(l2)) == 0,
	    "k = 3 given: the same labels");
	groups(y);
	memset(l2, -1, sizeof(l2));
	crm_segment_kmeans(y, 80, 2, &km, l2, dist2, &e);
	TAP_OK(memcmp(label, l2, sizeof(l2)) == 0 &&
		   memcmp(dist, dist2, sizeof(dist2)) == 0,
	    "the same seed, the same labels and distances");
	groups(y);
	km.k = 2;
	TAP_OK(crm_segment_kmeans(y, 80, 2, &km, l2, dist2, &e) == 0 &&
		   km.chosen == 2,
	    "k = 2 given is kept");

	for (i = 0; i < 10; i++)
		y[2 * i] = y[2 * i + 1] = 4;
	km.k = 5;
	km.auto_k = 1;
	TAP_OK(crm_segment_kmeans(y, 10, 2, &km, l2, dist2, &e) == -1 &&
		   e.code == EX_DATAERR && strstr(e.msg, "has 1") != NULL,
	    "auto-k over one distinct point: %s", e.msg);
}

/* k-means over held records: cluster fields, null without a value. */
static void
test_segment_records(void)
{
	static const char *const names[] = { "visits", "spend" };
	struct crm_segment_opts o;
	struct crm_segment *s;
	struct crm_rec *r;
	struct crm_err e;
	double v[2], x[160];
	char id[8];
	int held, emitted = 0, ok = 1;
	size_t i;
	const char *p;

	memset(&o, 0, sizeof(o));
	o.id_field = "customer_id";
	o.k = 3;
	o.km_fields = names;
	o.nkm = 2;
	o.restarts = 2;
	o.seed = 1;
	o.quiet = 1;
	crm_err_clear(&e);
	if ((s = crm_segment_new(&o, &e)) == NULL) {
		TAP_OK(0, "a segment with k-means: %s", e.msg);
		return;
	}
	groups(x);
	crm_buf_init(&seen);
	for (i = 0; i < 81; i++) {
		v[0] = i < 80 ? x[2 * i] : 1;
		v[1] = i < 80 ? x[2 * i + 1] : NAN;
		snprintf(id, sizeof(id), "P%zu", i);
		r = numbers(id, names, v, 2);
		ok &= crm_segment_add(s, r, 0, &held, &e) == 0 && held;
		crm_rec_free(r);
	}
	ok &= crm_segment_finish(s, collect, &emitted, &e) == 0;
	TAP_OK(ok && emitted == 81, "81 records held and emitted: %s", e.msg);
	TAP_OK(strncmp(seen.p,
		   "P0 - - - - 1 -\nP1 - - - - 1 -\nP2 - - - - 0 -\n", 45) == 0,
	    "cluster numbers by size on the records");
	p = strstr(seen.p, "P80 ");
	TAP_STR(p, "P80 - - - - null -\n", "no value, no cluster");
	crm_segment_close(s, &e);
	crm_buf_release(&seen);
}

/* An order event of customer id on day, loaded into st. */
static int
order(struct crm_store *st, const char *key, const char *id, const char *day)
{
	struct crm_schema *sc;
	struct crm_loader *ld;
	struct crm_rec *r = crm_rec_new();
	enum crm_load_result res;
	struct crm_err e;
	int rc = -1;

	crm_err_clear(&e);
	if ((sc = crm_schema_new("events", &e)) == NULL)
		return -1;
	crm_rec_add(r, "event_id", 8, key, strlen(key), CRM_STRING);
	crm_rec_add(r, "customer_id", 11, id, strlen(id), CRM_STRING);
	crm_rec_add(r, "time", 4, day, strlen(day), CRM_STRING);
	crm_rec_add(r, "type", 4, "order", 5, CRM_STRING);
	crm_rec_add(r, "amount", 6, "10", 2, CRM_NUMBER);
	if (crm_schema_apply(sc, r, &e) == 0 &&
	    (ld = crm_loader_new(st, sc, &e)) != NULL) {
		rc = crm_loader_put(ld, r, &res, &e);
		crm_loader_free(ld);
	}
	if (rc == -1)
		printf("# order %s: %s\n", key, e.msg);
	crm_rec_free(r);
	crm_schema_free(sc);
	return rc;
}

/*
 * --from-store's source reads one snapshot: an event or a customer
 * stored through the same store during the read is not among its records
 * (without the snapshot, C2's features would count the new order); a new
 * source, made by crm_segment_source, sees them.
 */
static void
test_segment_source(void)
{
	char dir[] = "/tmp/crm-test-segment.XXXXXX", path[4096];
	struct crm_segment_opts o;
	struct crm_segment *s;
	struct crm_activity_opts ao;
	struct crm_source src;
	struct crm_store *st;
	struct crm_rec *r = crm_rec_new();
	struct crm_err e;
	struct crm_buf ids;
	size_t len;
	const char *id, *freq;
	int n = 0, rc;

	crm_err_clear(&e);
	crm_buf_init(&ids);
	if (mkdtemp(dir) == NULL) {
		TAP_OK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL && order(st, "E1", "C1", "2024-06-01") == 0 &&
		   order(st, "E2", "C2", "2024-06-20") == 0,
	    "a store with two customers' orders: %s", e.msg);
	memset(&o, 0, sizeof(o));
	o.db = path;
	o.id_field = "customer_id";
	o.rfm = 1;
	o.rfm_fields[0] = "recency";
	o.rfm_fields[1] = "frequency";
	o.rfm_fields[2] = "monetary";
	o.from_store = 1;
	o.quiet = 1;
	memset(&ao, 0, sizeof(ao));
	ao.id_field = "customer_id";
	ao.events_too = 1;
	/* the source of lib/activity over st, written through st meanwhile */
	if ((s = crm_segment_new(&o, &e)) == NULL ||
	    crm_activity_source(st, &ao, 0, &src, &e) == -1) {
		TAP_OK(0, "the store as a source: %s", e.msg);
		crm_segment_close(s, &e);
		crm_store_close(st);
		return;
	}
	while ((rc = src.next(src.arg, r, &e)) == 1) {
		if (n++ == 0 && (order(st, "E3", "C9", "2024-06-10") == -1 ||
				    order(st, "E4", "C2", "2024-06-10") == -1))
			break;
		id = crm_rec_text(r, "customer_id", &len);
		crm_buf_addf(&ids, "%s%.*s", ids.len ? " " : "", (int)len,
		    id ? id : "?");
		freq = crm_rec_text(r, "frequency", &len);
		crm_buf_addf(&ids, "/%.*s", (int)len, freq ? freq : "-");
	}
	src.close(src.arg);
	TAP_OK(rc == 0, "the source ends: %s", e.msg);
	TAP_STR(ids.p, "C1/1 C2/1",
	    "the run's own writes during the read are not in the snapshot");
	crm_buf_reset(&ids);
	if (crm_segment_source(s, &src, &e) == 0) {
		while (src.next(src.arg, r, &e) == 1) {
			id = crm_rec_text(r, "customer_id", &len);
			crm_buf_addf(&ids, "%s%.*s", ids.len ? " " : "",
			    (int)len, id ? id : "?");
			freq = crm_rec_text(r, "frequency", &len);
			crm_buf_addf(
			    &ids, "/%.*s", (int)len, freq ? freq : "-");
		}
		src.close(src.arg);
	}
	TAP_STR(
	    ids.p, "C1/1 C2/2 C9/1", "crm_segment_source: a new one sees them");
	crm_segment_close(s, &e);
	crm_store_close(st);
	crm_rec_free(r);
	crm_buf_release(&ids);
	tap_rm_store(dir);
}

int
main(void)
{
	test_scores();
	test_segments();
	test_kmeans();
	test_standardize();
	test_segment_rfm();
	test_renumber();
	test_segment_kmeans();
	test_segment_records();
	test_segment_source();
	return tap_done();
}
