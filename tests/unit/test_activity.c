/*
 * test_activity: unit tests for the record source over the store's
 * customers (crm_activity_source in lib/activity.c), the input of
 * `crm-churn --from-store`: one record per customer in customer_id order
 * with its features and label, numbered from 1, only the labelled ones
 * when asked, read from a snapshot that the run's own writes do not
 * reach; per person (clusters), each record with its person's features.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activity.h"
#include "clusters.h"
#include "err.h"
#include "filter.h"
#include "rec.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/crm-test-activity.XXXXXX";
static char path[sizeof(dir) + 16];

static const char *const names[] = { "orders", "spend", "tenure_days" };

/* Read every record of a source: "id:label:line;..." into out. */
static int
drain(struct crm_source *src, char *out, size_t n)
{
	struct crm_rec *r = crm_rec_new();
	struct crm_err e;
	size_t len, at = 0;
	int rc;

	out[0] = '\0';
	crm_err_clear(&e);
	while ((rc = src->next(src->arg, r, &e)) == 1) {
		const char *id = crm_rec_text(r, "customer_id", &len);
		const char *label = crm_rec_text(r, "churned", &len);
		const char *orders = crm_rec_text(r, "orders", &len);

		at += (size_t)snprintf(out + at, n - at, "%s:%s:%lu:%s;",
		    id ? id : "?", label ? label : "-", crm_rec_line(r),
		    orders ? orders : "-");
	}
	src->close(src->arg);
	crm_rec_free(r);
	return rc;
}

/* A source of o on st read through: its records as drain gives them. */
static void
source_is(struct crm_store *st, const struct crm_activity_opts *o,
    int need_extra, const char *want, const char *what)
{
	struct crm_source src;
	struct crm_err e;
	char got[512] = "";

	crm_err_clear(&e);
	if (crm_activity_source(st, o, need_extra, &src, &e) == 0)
		drain(&src, got, sizeof(got));
	TAP_STR(got, want, "%s%s", what, e.msg);
}

/* A label's rank: "no" before "yes", anything else before both. */
static int
rank(const char *v, size_t len)
{
	if (len == 2 && memcmp(v, "no", 2) == 0)
		return 0;
	if (len == 3 && memcmp(v, "yes", 3) == 0)
		return 1;
	return -1;
}

static int
exec(struct crm_store *st, const char *sql)
{
	return sqlite3_exec(crm_store_db(st), sql, NULL, NULL, NULL) ==
		       SQLITE_OK
		   ? 0
		   : -1;
}

int
main(void)
{
	struct crm_activity_opts o;
	struct crm_source src;
	struct crm_store *st;
	struct crm_err e;
	char got[512];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	crm_err_clear(&e);
	st = crm_store_open(path, 1000, &e);
	TAP_OK(st != NULL, "a store: %s", e.msg);
	if (st == NULL)
		return tap_done();
	TAP_OK(
	    exec(st, "INSERT INTO customers(customer_id, signup_date, extra) "
		     "VALUES ('A', '2024-01-01', '{\"churned\":\"yes\"}'),"
		     " ('B', '2024-01-01', '{}'),"
		     " ('C', '2024-02-01', '{\"churned\":\"no\"}');"
		     "INSERT INTO events(event_key, customer_id, time, type, "
		     "amount) VALUES ('e1', 'A', '2024-03-01T10:00:00Z', "
		     "'order', "
		     "10), ('e2', 'C', '2024-03-02T10:00:00Z', 'order', 5),"
		     " ('e3', 'C', '2024-03-03T10:00:00Z', 'order', 7)") == 0,
	    "customers and events");

	memset(&o, 0, sizeof(o));
	o.names = names;
	o.nnames = 3;
	o.id_field = "customer_id";
	o.extra = "churned";
	TAP_OK(crm_activity_source(st, &o, 1, &src, &e) == 0,
	    "a source of the labelled customers: %s", e.msg);
	TAP_STR(src.name, "store", "named store in messages");
	TAP_OK(src.fmt == CRM_FMT_JSONL, "JSONL-typed records");
	/* the run's own write, after the snapshot was taken */
	TAP_OK(exec(st, "INSERT INTO customers(customer_id, extra) VALUES "
			"('AA', '{\"churned\":\"yes\"}')") == 0,
	    "a write through the store while the source is open");
	TAP_OK(drain(&src, got, sizeof(got)) == 0, "read to the end");
	TAP_STR(got, "A:yes:1:1;C:no:2:2;",
	    "labelled customers only, by id, numbered, with their features; "
	    "not the run's own write");

	TAP_OK(crm_activity_source(st, &o, 0, &src, &e) == 0, "every customer");
	drain(&src, got, sizeof(got));
	TAP_STR(got, "A:yes:1:1;AA:yes:2:0;B:-:3:0;C:no:4:2;",
	    "a new snapshot sees the write; unlabelled customers too");

	/* A and C one person (cluster A): their events add up, per person */
	TAP_OK(exec(st, "INSERT INTO clusters(record_id, cluster_id, time) "
			"VALUES ('A', 'A', 't'), ('C', 'A', 't')") == 0,
	    "A and C clustered");
	o.by = CRM_BY_AUTO;
	TAP_OK(crm_activity_source(st, &o, 1, &src, &e) == 0,
	    "a source, the default mode: %s", e.msg);
	drain(&src, got, sizeof(got));
	TAP_STR(got, "A:yes:1:3;AA:yes:2:0;C:no:3:3;",
	    "clusters: per person by default, each record under its own id");
	o.by = CRM_BY_RECORD;
	TAP_OK(crm_activity_source(st, &o, 1, &src, &e) == 0, "--by record");
	drain(&src, got, sizeof(got));
	TAP_STR(got, "A:yes:1:1;AA:yes:2:0;C:no:3:2;",
	    "--by record: each record's own events");
	{
		struct crm_activity *a;
		struct crm_rec *r = crm_rec_new();
		size_t len;
		const char *v;

		o.by = CRM_BY_PERSON;
		o.as_of = "2024-04-01";
		a = crm_activity_open(st, &o, &e);
		TAP_OK(a != NULL && crm_activity_by(a) == CRM_BY_PERSON,
		    "opened per person: %s", e.msg);
		TAP_OK(a != NULL && crm_activity_get(a, "C", 1, r, &e) == 0,
		    "C's features");
		v = crm_rec_text(r, "spend", &len);
		TAP_STR(v ? v : "-", "22.0", "spend: A's 10 and C's 5 + 7");
		v = crm_rec_text(r, "tenure_days", &len);
		TAP_STR(v ? v : "-", "91",
		    "tenure from the person's earliest signup (A's)");
		TAP_OK(a != NULL && crm_activity_get(a, "B", 1, r, &e) == 0,
		    "B, in no cluster");
		v = crm_rec_text(r, "orders", &len);
		TAP_STR(v ? v : "-", "0", "a person of its own");
		crm_activity_close(a);
		crm_rec_free(r);
	}
	{
		struct crm_person_of *po = crm_person_of_open(st, &e);
		const char *pid;
		size_t plen;

		TAP_OK(po != NULL &&
			   crm_person_of(po, "C", 1, &pid, &plen, &e) == 0 &&
			   plen == 1 && *pid == 'A',
		    "C's person is A");
		TAP_OK(po != NULL &&
			   crm_person_of(po, "B", 1, &pid, &plen, &e) == 0 &&
			   plen == 1 && *pid == 'B',
		    "B, in no cluster, is its own person");
		crm_person_of_close(po);
	}
	o.names = names;
	o.as_of = NULL;

	/*
	 * Training per person: one record per person (A and C are person
	 * A; B and D person P9, named after none of them), its label the
	 * lowest ranked of its records'.
	 */
	TAP_OK(exec(st, "INSERT INTO customers(customer_id, extra) VALUES "
			"('D', '{\"churned\":\"maybe\"}');"
			"INSERT INTO clusters(record_id, cluster_id, time) "
			"VALUES ('B', 'P9', 't'), ('D', 'P9', 't')") == 0,
	    "B and D clustered as P9");
	o.by = CRM_BY_PERSON;
	o.one_per_person = 1;
	o.extra_rank = rank;
	source_is(st, &o, 1, "A:no:1:3;AA:yes:2:0;P9:maybe:3:0;",
	    "one record per person, under its id, with its features; the "
	    "label ranked lowest (A's yes and C's no: no; bad before no)");
	source_is(st, &o, 0, "A:no:1:3;AA:yes:2:0;P9:maybe:3:0;",
	    "every person, the one of no label too");
	o.extra_rank = NULL;
	source_is(st, &o, 1, "A:yes:1:3;AA:yes:2:0;P9:maybe:3:0;",
	    "without a rank, the first record's label");
	o.by = CRM_BY_RECORD;
	source_is(st, &o, 1, "A:yes:1:1;AA:yes:2:0;C:no:3:2;D:maybe:4:0;",
	    "--by record: one record per customer still");
	o.by = CRM_BY_AUTO;
	o.one_per_person = 0;

	o.as_of = NULL;
	o.names = (const char *const[]){ "no_such_feature" };
	o.nnames = 1;
	TAP_OK(crm_activity_source(st, &o, 0, &src, &e) == -1 &&
		   strstr(e.msg, "no_such_feature") != NULL,
	    "an unknown feature is an error: %s", e.msg);

	crm_store_close(st);
	snprintf(got, sizeof(got), "rm -rf '%s'", dir);
	if (system(got) != 0)
		perror("rm");
	return tap_done();
}
