/*
 * test_dedupe: unit tests for crm-dedupe's pipeline (lib/dedupe.c,
 * dedupe_model.c, dedupe_merge.c) and the clusters table (lib/clusters.c):
 * transitive links make one cluster, the cap on a cluster's size, the
 * unique id, two of the store's clusters merged, stable cluster ids,
 * golden records (most recent, most frequent, non-empty values),
 * training on labelled pairs, --from-store's source on a snapshot, and
 * review rules holding a link.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clusters.h"
#include "dedupe.h"
#include "err.h"
#include "load.h"
#include "rec.h"
#include "schema.h"
#include "store.h"
#include "tap.h"

#define MAXOUT 64

/* What a run emitted, each record copied. */
struct out {
	struct crm_rec *r[MAXOUT];
	size_t n;
};

static int
collect(void *arg, const struct crm_rec *r, struct crm_err *e)
{
	struct out *o = arg;

	if (o->n == MAXOUT)
		return crm_err_set(e, EX_SOFTWARE, "too many records");
	if ((o->r[o->n] = crm_rec_new()) == NULL ||
	    crm_rec_copy(o->r[o->n], r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	o->n++;
	return 0;
}

static void
out_release(struct out *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		crm_rec_free(o->r[i]);
	o->n = 0;
}

/* Field name of record r as a string (static buffer), or NULL. */
static const char *
get(const struct crm_rec *r, const char *name)
{
	static char v[256];
	const char *p;
	size_t len;

	if ((p = crm_rec_text(r, name, &len)) == NULL)
		return NULL;
	snprintf(v, sizeof(v), "%.*s", (int)len, p);
	return v;
}

/* The output record whose id field is id. */
static const struct crm_rec *
find(const struct out *o, const char *field, const char *id)
{
	const char *v;
	size_t i;

	for (i = 0; i < o->n; i++) {
		if ((v = get(o->r[i], field)) != NULL && strcmp(v, id) == 0)
			return o->r[i];
	}
	return NULL;
}

static const char *
cluster_of(const struct out *o, const char *id)
{
	const struct crm_rec *r = find(o, "customer_id", id);

	return r ? get(r, "cluster_id") : NULL;
}

/*
 * A record from "name=value|name=value|..." (an empty value is an empty
 * string).
 */
static struct crm_rec *
rec(const char *spec)
{
	struct crm_rec *r = crm_rec_new();
	const char *p = spec, *eq, *bar;

	while (r != NULL && *p != '\0') {
		eq = strchr(p, '=');
		bar = strchr(p, '|');
		if (bar == NULL)
			bar = p + strlen(p);
		crm_rec_add(r, p, (size_t)(eq - p), eq + 1,
		    (size_t)(bar - eq - 1), CRM_STRING);
		p = *bar ? bar + 1 : bar;
	}
	return r;
}

/* Others that match nothing: distinct names, e-mails and phones. */
static const char *const others[] = {
	"customer_id=N01|name=Carlos Ruiz|email=c.ruiz@mail.example|"
	"phone=+34 91 123 4567",
	"customer_id=N02|name=Mei Chen|email=mei.chen@qq.example|"
	"phone=+86 139 0000 2222",
	"customer_id=N03|name=Olu Adeyemi|email=olu@ng.example|"
	"phone=+234 803 123 4567",
	"customer_id=N04|name=Sven Berg|email=sven.berg@se.example|"
	"phone=+46 8 123 456 78",
	"customer_id=N05|name=Priya Nair|email=priya.n@in.example|"
	"phone=+91 98765 43210",
	"customer_id=N06|name=Tomasz Nowak|email=t.nowak@pl.example|"
	"phone=+48 22 111 2233",
	"customer_id=N07|name=Aiko Tanaka|email=aiko.t@jp.example|"
	"phone=+81 3 1234 5678",
	"customer_id=N08|name=Lars Jensen|email=lars@dk.example|"
	"phone=+45 32 12 34 56",
	"customer_id=N09|name=Fatima Zahra|email=fz@ma.example|"
	"phone=+212 522 123456",
	"customer_id=N10|name=Diego Souza|email=d.souza@br.example|"
	"phone=+55 11 91234 5678",
	"customer_id=N11|name=Hana Kim|email=hana.kim@kr.example|"
	"phone=+82 2 123 4567",
	"customer_id=N12|name=Ivan Petrov|email=ivan.p@ru.example|"
	"phone=+7 495 123 4567",
};

/*
 * The chain: X1 and X2 share an e-mail, X2 and X3 a phone; X1 and X3
 * share no blocking key, so only the chain can join them.
 */
static const char *const chain[] = {
	"customer_id=X1|name=Ann Lee|email=ann.lee@a.example|"
	"phone=+1 415 555 0101",
	"customer_id=X2|name=Ann Lee|email=ann.lee@a.example|"
	"phone=+1 650 555 0177",
	"customer_id=X3|name=Ann Lee|email=lee.ann@b.example|"
	"phone=+1 650 555 0177",
};

static void
opts_chain(struct crm_dedupe_opts *o)
{
	crm_dedupe_opts_init(o);
	o->threads = 1;
	o->quiet = 1;
	o->field[0] = "name";
	o->field[1] = "email";
	o->field[2] = "phone";
	o->nfields = 3;
	o->block[0] = "email";
	o->block[1] = "phone";
	o->nblocks = 2;
}

/*
 * Run d over the records specs (in that order, then the others when
 * with_others) into out; returns crm_dedupe_run's result.
 */
static int
run(const struct crm_dedupe_opts *o, const char *const *specs, size_t n,
    int with_others, struct out *out, struct crm_dedupe_stats *st,
    struct crm_err *e)
{
	struct crm_dedupe *d;
	struct crm_rec *r;
	size_t i;
	int rc = -1;

	crm_err_clear(e);
	if ((d = crm_dedupe_new(o, e)) == NULL)
		return -1;
	for (i = 0; i < n + (with_others ? 12 : 0); i++) {
		r = rec(i < n ? specs[i] : others[i - n]);
		rc = crm_dedupe_add(d, r, e);
		crm_rec_free(r);
		if (rc == -1)
			goto done;
	}
	rc = crm_dedupe_run(d, collect, out, e);
done:
	if (st != NULL)
		crm_dedupe_stats(d, st);
	crm_dedupe_free(d);
	return rc;
}

static void
test_transitive(void)
{
	struct crm_dedupe_opts o;
	struct crm_dedupe_stats st;
	struct out out = { { NULL }, 0 };
	struct crm_err e;
	int rc;

	opts_chain(&o);
	rc = run(&o, chain, 3, 1, &out, &st, &e);
	TAP_OK(rc == 0, "chain: the run succeeds (%s)", e.msg);
	TAP_OK(out.n == 15, "chain: every record out (%zu)", out.n);
	TAP_OK(st.pairs == 2, "chain: two candidate pairs, none X1-X3 (%zu)",
	    st.pairs);
	TAP_STR(cluster_of(&out, "X1"), "X1", "chain: X1 in X1");
	TAP_STR(cluster_of(&out, "X2"), "X1", "chain: X2 in X1");
	TAP_STR(cluster_of(&out, "X3"), "X1",
	    "chain: X3 joins X1 through X2 alone");
	TAP_STR(cluster_of(&out, "N05"), "N05", "chain: N05 alone");
	TAP_OK(st.clusters == 1 && st.in_clusters == 3,
	    "chain: one cluster of three (%llu, %llu)", st.clusters,
	    st.in_clusters);
	out_release(&out);

	/* the cap: a cluster of two at most refuses the weaker link */
	o.max_cluster = 2;
	rc = run(&o, chain, 3, 1, &out, &st, &e);
	TAP_OK(rc == 0 && st.refused == 1, "cap: one link refused (%llu)",
	    st.refused);
	TAP_OK(st.clusters == 1 && st.in_clusters == 2,
	    "cap: one cluster of two (%llu, %llu)", st.clusters,
	    st.in_clusters);
	TAP_OK(strcmp(cluster_of(&out, "X2"), "X1") == 0 ||
		   strcmp(cluster_of(&out, "X2"), "X2") == 0,
	    "cap: X2 in a cluster");
	TAP_OK(strcmp(cluster_of(&out, "X1"), cluster_of(&out, "X1")) == 0 &&
		   !(strcmp(cluster_of(&out, "X3"), "X1") == 0 &&
		       strcmp(cluster_of(&out, "X1"), "X1") == 0),
	    "cap: X1 and X3 apart");
	out_release(&out);

	/* a threshold above every link: no cluster */
	o.max_cluster = 100;
	o.threshold = 1;
	rc = run(&o, chain, 3, 1, &out, &st, &e);
	TAP_OK(rc == 0 && st.clusters == 0, "threshold 1: no cluster");
	TAP_STR(cluster_of(&out, "X3"), "X3", "threshold 1: X3 alone");
	out_release(&out);
}

/* The cluster's id is its least id, whatever the order of input. */
static void
test_stable_ids(void)
{
	static const char *const rev[] = { NULL, NULL, NULL };
	const char *r3[3];
	struct crm_dedupe_opts o;
	struct out out = { { NULL }, 0 };
	struct crm_err e;
	int rc;

	(void)rev;
	r3[0] = chain[2];
	r3[1] = chain[1];
	r3[2] = chain[0];
	opts_chain(&o);
	rc = run(&o, r3, 3, 1, &out, NULL, &e);
	TAP_OK(rc == 0, "reversed: the run succeeds (%s)", e.msg);
	TAP_STR(get(out.r[0], "customer_id"), "X3",
	    "reversed: records out in input order");
	TAP_STR(cluster_of(&out, "X3"), "X1",
	    "reversed: the cluster is still X1, its least id");
	TAP_STR(cluster_of(&out, "X2"), "X1", "reversed: X2 in X1");
	out_release(&out);
}

/* An id names one record. */
static void
test_unique_id(void)
{
	static const char *const dup[] = {
		"customer_id=X1|name=Ann Lee|email=ann.lee@a.example|"
		"phone=+1 415 555 0101",
		"customer_id=X1|name=Ann Lee|email=ann.lee@a.example|"
		"phone=+1 415 555 0101",
	};
	static const char *const noid[] = { "name=Ann Lee" };
	struct crm_dedupe_opts o;
	struct out out = { { NULL }, 0 };
	struct crm_err e;
	int rc;

	opts_chain(&o);
	o.input_name = "in.csv";
	rc = run(&o, dup, 2, 1, &out, NULL, &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR && out.n == 0, "two records "
							       "with one id: "
							       "an error, "
							       "nothing out");
	TAP_OK(strstr(e.msg, "in.csv:") == e.msg &&
		   strstr(e.msg, "the same id 'X1'") != NULL,
	    "two records with one id: says which (%s)", e.msg);
	out_release(&out);
	rc = run(&o, noid, 1, 0, &out, NULL, &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR, "a record with no id: "
						 "rejected");
}

/* Usage errors the run finds: a bad blocking rule names the option. */
static void
test_usage(void)
{
	struct crm_dedupe_opts o;
	struct out out = { { NULL }, 0 };
	struct crm_err e;
	char f[] = "name:colour";
	int rc;

	opts_chain(&o);
	o.block[0] = "nosuch";
	rc = run(&o, chain, 3, 0, &out, NULL, &e);
	TAP_OK(
	    rc == -1 && e.code == EX_USAGE && strcmp(e.field, "--block") == 0,
	    "bad --block: a usage error about --block (%s)", e.msg);
	crm_dedupe_opts_init(&o);
	TAP_OK(crm_dedupe_opt_field(&o, f, &e) == -1 && e.code == EX_USAGE,
	    "--field with an unknown type: refused");
	o.merge = 1;
	o.link = "x.csv";
	TAP_OK(crm_dedupe_opts_check(&o, &e) == -1, "--merge with --link: "
						    "refused");
}

/* ==== Golden records ==== */

static const char *const family[] = {
	"customer_id=M2|name=Bo Li|email=|city=Wuhan|updated=2024-03-01",
	"customer_id=M1|name=Bo Li|email=bo@old.example|city=Wuhan|"
	"updated=2023-01-01",
	"customer_id=M3|name=Bo Li|email=bo@new.example|city=Beijing|"
	"updated=2022-06-30",
};

static void
opts_family(struct crm_dedupe_opts *o)
{
	crm_dedupe_opts_init(o);
	o->threads = 1;
	o->quiet = 1;
	o->merge = 1;
	o->time_field = "updated";
	o->field[0] = "name";
	o->nfields = 1;
	o->type[0] = CRM_CMP_NAME;
	o->block[0] = "name";
	o->nblocks = 1;
}

static void
test_merge(void)
{
	struct crm_dedupe_opts o;
	struct out out = { { NULL }, 0 };
	const struct crm_rec *g;
	struct crm_err e;
	int rc;

	opts_family(&o);
	rc = run(&o, family, 3, 1, &out, NULL, &e);
	TAP_OK(rc == 0, "merge: the run succeeds (%s)", e.msg);
	TAP_OK(out.n == 13,
	    "merge: one record for the family, one each for "
	    "the others (%zu)",
	    out.n);
	g = out.n > 0 ? out.r[0] : NULL;
	TAP_OK(g != NULL, "merge: a golden record first");
	if (g == NULL)
		return;
	TAP_STR(get(g, "customer_id"), "M1", "merge: the cluster's id");
	TAP_STR(get(g, "cluster_size"), "3", "merge: cluster_size");
	TAP_STR(get(g, "source_ids"), "M2;M1;M3",
	    "merge: source_ids in input order");
	TAP_STR(get(g, "updated"), "2024-03-01", "merge: the newest time");
	TAP_STR(get(g, "city"), "Wuhan", "merge: the most recent city");
	TAP_STR(get(g, "email"), "bo@old.example",
	    "merge: the most recent non-empty e-mail (the newest is empty)");
	out_release(&out);

	/* --prefer frequent: Wuhan twice beats the Beijing of no one's
	   newest; a tie of e-mails goes to the more recent */
	o.frequent = 1;
	rc = run(&o, family, 3, 1, &out, NULL, &e);
	g = out.n > 0 ? out.r[0] : NULL;
	TAP_OK(rc == 0 && out.n == 13, "frequent: 13 records (%zu)", out.n);
	if (g == NULL)
		return;
	TAP_STR(get(g, "city"), "Wuhan", "frequent: the most frequent city");
	TAP_STR(get(g, "email"), "bo@old.example",
	    "frequent: a tie goes to the more recent");
	out_release(&out);

	/* no time field: the later read is the more recent */
	o.frequent = 0;
	o.time_field = NULL;
	rc = run(&o, family, 3, 1, &out, NULL, &e);
	g = out.n > 0 ? out.r[0] : NULL;
	TAP_OK(rc == 0 && g != NULL, "no time: one record");
	if (g == NULL)
		return;
	TAP_STR(get(g, "city"), "Beijing", "no time: the last read wins");
	TAP_STR(get(g, "updated"), "2022-06-30",
	    "no time: the last read's own time");
	out_release(&out);
}

/* ==== Labelled pairs ==== */

/* The records of a testdata file, as specs would be added. */
static int
add_file(struct crm_dedupe *d, const char *path, struct crm_err *e)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL)
		return crm_err_set(e, EX_NOINPUT, "cannot open %s", path);
	if ((rd = crm_reader_open(fp, path, CRM_FMT_AUTO, e)) == NULL) {
		fclose(fp);
		return -1;
	}
	r = crm_rec_new();
	while ((rc = crm_reader_next(rd, r, e)) == 1) {
		if (crm_dedupe_add(d, r, e) == -1) {
			rc = -1;
			break;
		}
	}
	crm_rec_free(r);
	crm_reader_close(rd);
	fclose(fp);
	return rc;
}

static void
test_labels(void)
{
	struct crm_dedupe_opts o;
	struct crm_dedupe *d;
	struct out out = { { NULL }, 0 };
	struct crm_err e;
	int rc = -1;

	crm_err_clear(&e);
	crm_dedupe_opts_init(&o);
	o.threads = 1;
	o.quiet = 1;
	o.labels = "testdata/dedupe/labels.csv";
	if ((d = crm_dedupe_new(&o, &e)) != NULL &&
	    add_file(d, "testdata/dedupe/customers.csv", &e) == 0)
		rc = crm_dedupe_run(d, collect, &out, &e);
	crm_dedupe_free(d);
	TAP_OK(rc == 0, "labels: the run succeeds (%s)", e.msg);
	/* labelled matches, and C3, which EM leaves out, in C1 */
	TAP_STR(cluster_of(&out, "A3"), "A1", "labels: A3 in A1");
	TAP_STR(cluster_of(&out, "C3"), "C1", "labels: C3 in C1, as taught");
	TAP_STR(cluster_of(&out, "E2"), "E1", "labels: E2 in E1");
	/* labelled non-matches */
	TAP_STR(cluster_of(&out, "D2"), "D2", "labels: D2 apart from D1");
	TAP_STR(cluster_of(&out, "B1"), "B1", "labels: B1 apart from A1");
	out_release(&out);

	/* labels of one class teach nothing */
	o.labels = "testdata/dedupe/customers.csv"; /* no id1, id2, match */
	rc = -1;
	if ((d = crm_dedupe_new(&o, &e)) != NULL &&
	    add_file(d, "testdata/dedupe/customers.csv", &e) == 0)
		rc = crm_dedupe_run(d, collect, &out, &e);
	crm_dedupe_free(d);
	TAP_OK(rc == -1 && e.code == EX_DATAERR && out.n == 0,
	    "labels: a file without id1, id2, match is refused (%s)", e.msg);
}

/* ==== The store ==== */

static char dir[] = "/tmp/crm-test-dedupe.XXXXXX";

static int
load_customers(
    struct crm_store *st, const char *const *specs, size_t n, struct crm_err *e)
{
	struct crm_schema *sc;
	struct crm_loader *ld = NULL;
	enum crm_load_result res;
	struct crm_rec *r;
	size_t i;
	int rc = -1;

	if ((sc = crm_schema_new("customers", e)) == NULL)
		return -1;
	if ((ld = crm_loader_new(st, sc, e)) == NULL ||
	    crm_store_begin(st, e) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		r = rec(specs[i]);
		rc = crm_schema_apply(sc, r, e) == -1 ||
			     crm_loader_put(ld, r, &res, e) == -1
			 ? -1
			 : 0;
		crm_rec_free(r);
		if (rc == -1)
			goto out;
	}
	rc = crm_store_commit(st, e);
out:
	crm_loader_free(ld);
	crm_schema_free(sc);
	return rc;
}

/* The clusters of the stored customers, "id=cluster" joined by ' '. */
static void
stored_clusters(struct crm_store *s, char *out, size_t size)
{
	struct crm_customers *cs;
	struct crm_err e;
	char line[512], *p;
	size_t i = 0, off = 0;

	out[0] = '\0';
	if ((cs = crm_customers_open(s, "customer_id", 1, &e)) == NULL)
		return;
	while (fgets(line, sizeof(line), crm_customers_file(cs)) != NULL) {
		if ((p = strstr(line, "\"customer_id\":\"")) == NULL)
			continue;
		p += strlen("\"customer_id\":\"");
		off += (size_t)snprintf(out + off, size - off, "%s%.*s=%s",
		    off ? " " : "", (int)strcspn(p, "\""), p,
		    crm_customers_cluster(cs, i));
		i++;
		if (off >= size)
			break;
	}
	crm_customers_close(cs, &e);
}

/*
 * A first run stores P1 and P2 (one e-mail) in cluster P1, Q1 and Q2
 * (one phone) in Q1.  A new record with P's e-mail and Q's phone joins
 * one of them and never makes the two one; the stored ids stay.
 */
static void
test_store(void)
{
	static const char *const first[] = {
		"customer_id=P1|name=Ann Lee|email=ann.lee@a.example|"
		"phone=+1 415 555 0101",
		"customer_id=P2|name=Ann Lee|email=ann.lee@a.example|"
		"phone=+1 415 555 0199",
		"customer_id=Q1|name=Ann Lee|email=lee.ann@b.example|"
		"phone=+1 650 555 0177",
		"customer_id=Q2|name=Ann Lee|email=ann.l@c.example|"
		"phone=+1 650 555 0177",
	};
	const char *all[16], *newer[1];
	struct crm_dedupe_opts o;
	struct crm_dedupe_stats st;
	struct out out = { { NULL }, 0 };
	struct crm_customers *cs;
	struct crm_source src;
	struct crm_store *s;
	struct crm_rec *r;
	struct crm_err e;
	char path[sizeof(dir) + 16], buf[1024];
	const char *cl;
	size_t i, n;
	int rc;

	crm_err_clear(&e);
	if (mkdtemp(dir) == NULL) {
		TAP_OK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	s = crm_store_open(path, 0, &e);
	TAP_OK(s != NULL, "store: opened (%s)", e.msg);
	if (s == NULL)
		return;
	for (i = 0; i < 4; i++)
		all[i] = first[i];
	for (i = 0; i < 12; i++)
		all[4 + i] = others[i];
	rc = load_customers(s, all, 16, &e);
	TAP_OK(rc == 0, "store: customers loaded (%s)", e.msg);

	/* the first run: two clusters into the store, and the model */
	opts_chain(&o);
	o.store = s;
	rc = run(&o, all, 16, 0, &out, &st, &e);
	TAP_OK(rc == 0 && st.clusters == 2,
	    "store: first run, two clusters (%llu) (%s)", st.clusters, e.msg);
	out_release(&out);
	stored_clusters(s, buf, sizeof(buf));
	TAP_OK(strstr(buf, "N01=N01 N02=N02") == buf, "store: the customers "
						      "read back in order, "
						      "each with its cluster");
	TAP_OK(strstr(buf, "P1=P1 P2=P1 Q1=Q1 Q2=Q1") != NULL,
	    "store: clusters P1 and Q1 stored (%s)", buf);

	/* the new record links P (its e-mail) and Q (its phone) */
	newer[0] = "customer_id=Y1|name=Ann Lee|email=ann.lee@a.example|"
		   "phone=+1 650 555 0177";
	crm_dedupe_opts_init(&o);
	o.threads = 1;
	o.quiet = 1;
	o.incremental = 1;
	o.store = s;
	rc = run(&o, newer, 1, 0, &out, &st, &e);
	TAP_OK(rc == 0, "incremental: the run succeeds (%s)", e.msg);
	cl = cluster_of(&out, "Y1");
	/* both persons made at once: the least id survives */
	TAP_OK(cl != NULL && strcmp(cl, "P1") == 0,
	    "incremental: Y1 joins the merged person, P1 (%s)", cl ? cl : "-");
	TAP_OK(st.persons && st.merged == 1,
	    "incremental: the two stored persons merged (%llu)", st.merged);
	out_release(&out);
	stored_clusters(s, buf, sizeof(buf));
	TAP_OK(strstr(buf, "P1=P1 P2=P1 Q1=P1 Q2=P1") != NULL,
	    "incremental: Q1's records moved to P1 (%s)", buf);

	/* --from-store's source: a snapshot that never sees the run's own
	   writes, made after it was taken */
	rc = crm_customers_source(s, "customer_id", &src, &e);
	TAP_OK(rc == 0, "source: made (%s)", e.msg);
	n = 0;
	if (rc == 0) {
		r = crm_rec_new();
		if (src.next(src.arg, r, &e) == 1)
			n++;
		load_customers(s, newer, 1, &e); /* Y1, through s */
		while (src.next(src.arg, r, &e) == 1)
			n++;
		src.close(src.arg);
		crm_rec_free(r);
	}
	TAP_OK(n == 16,
	    "source: the 16 customers of the snapshot, not Y1 "
	    "(%zu)",
	    n);
	TAP_OK(src.fmt == CRM_FMT_JSONL && strcmp(src.name, "store") == 0,
	    "source: JSONL, named store");
	cs = crm_customers_open(s, "customer_id", 0, &e);
	n = 0;
	while (cs != NULL && fgets(buf, sizeof(buf), crm_customers_file(cs)))
		n++;
	crm_customers_close(cs, &e);
	TAP_OK(n == 17, "source: the store itself has Y1 now (%zu)", n);

	/* the model missing is an error of crm_dedupe_new */
	crm_store_close(s);
	snprintf(path, sizeof(path), "%s/fresh.db", dir);
	s = crm_store_open(path, 0, &e);
	o.store = s;
	TAP_OK(crm_dedupe_new(&o, &e) == NULL && e.code == EX_NOINPUT,
	    "incremental: no model in the store (%s)", e.msg);
	crm_store_close(s);
	for (i = 0; i < 6; i++) {
		static const char *const f[] = { "crm.db", "crm.db-wal",
			"crm.db-shm", "fresh.db", "fresh.db-wal",
			"fresh.db-shm" };

		snprintf(path, sizeof(path), "%s/%s", dir, f[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Write text to a new file; its path into path (size n), or "". */
static void
write_file(char *path, size_t n, const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, n, "/tmp/crm-test-review.XXXXXX");
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		path[0] = '\0';
		return;
	}
	fputs(text, fp);
	fclose(fp);
}

/*
 * Review rules: a link a rule matches (seen from either record: X3 is the
 * second record of the pair X2-X3) joins nothing and marks its records;
 * act_on_review joins it, still marked; a rule on an unknown field
 * refuses the header with a near name.
 */
static void
test_review(void)
{
	struct crm_dedupe_opts o;
	struct crm_dedupe_stats st;
	struct out out = { { NULL }, 0 };
	struct crm_dedupe *d;
	struct crm_rec *hdr;
	struct crm_err e;
	char path[64], bad[64];
	int rc;

	write_file(path, sizeof(path),
	    "# the link of X3\nx3: pair_id1 = 'X3' AND pair_prob >= 0.5\n");
	opts_chain(&o);
	o.review = path;
	rc = run(&o, chain, 3, 1, &out, &st, &e);
	TAP_OK(rc == 0, "review: the run succeeds (%s)", e.msg);
	TAP_STR(cluster_of(&out, "X2"), "X1", "review: X2 in X1");
	TAP_STR(cluster_of(&out, "X3"), "X3", "review: X3 held apart");
	TAP_STR(get(find(&out, "customer_id", "X3"), "needs_review"), "x3",
	    "review: X3 marked");
	TAP_STR(get(find(&out, "customer_id", "X2"), "needs_review"), "x3",
	    "review: X2, the other record of the held link, marked");
	TAP_OK(get(find(&out, "customer_id", "X1"), "needs_review") == NULL,
	    "review: X1 not marked");
	TAP_OK(st.held == 1 && st.reviewed == 2 && st.links == 2,
	    "review: one link held, two records marked (%llu, %llu)", st.held,
	    st.reviewed);
	out_release(&out);

	o.act_on_review = 1;
	rc = run(&o, chain, 3, 1, &out, &st, &e);
	TAP_OK(rc == 0 && st.held == 0 && st.reviewed == 2,
	    "act on review: nothing held (%llu), still marked (%llu)", st.held,
	    st.reviewed);
	TAP_STR(cluster_of(&out, "X3"), "X1", "act on review: X3 joins X1");
	out_release(&out);

	o.act_on_review = 0;
	o.merge = 1;
	rc = run(&o, chain, 3, 1, &out, &st, &e);
	TAP_OK(rc == 0 && out.n == 14,
	    "review, merge: X3 a golden record "
	    "of its own (%zu)",
	    out.n);
	TAP_STR(get(find(&out, "customer_id", "X3"), "needs_review"), "x3",
	    "review, merge: its golden record marked");
	out_release(&out);

	write_file(bad, sizeof(bad), "typo: pair_prb < 0.9\n");
	opts_chain(&o);
	o.review = bad;
	crm_err_clear(&e);
	d = crm_dedupe_new(&o, &e);
	hdr = rec("customer_id=|name=|email=|phone=");
	rc = d != NULL ? crm_dedupe_check_header(d, hdr, &e) : 0;
	TAP_OK(rc == -1 && e.code == EX_DATAERR &&
		   strstr(e.msg, "did you mean 'pair_prob'") != NULL,
	    "review: an unknown field refuses the header (%s)", e.msg);
	crm_rec_free(hdr);
	crm_dedupe_free(d);

	o.review = "/nonexistent/x.review";
	crm_err_clear(&e);
	d = crm_dedupe_new(&o, &e);
	TAP_OK(d == NULL && e.code == EX_NOINPUT, "review: no rules file, "
						  "EX_NOINPUT");
	crm_dedupe_free(d);
	if (path[0] != '\0')
		unlink(path);
	if (bad[0] != '\0')
		unlink(bad);
}

int
main(void)
{
	test_transitive();
	test_stable_ids();
	test_unique_id();
	test_usage();
	test_merge();
	test_labels();
	test_store();
	test_review();
	return tap_done();
}
