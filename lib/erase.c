/*
 * erase: a customer erased from every table of the store (erase.h).
 * The statements live with each table's owner; this file only runs them,
 * in one transaction, and knows the list of tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "audit.h"
#include "clusters.h"
#include "consent.h"
#include "desk.h"
#include "erase.h"
#include "experiment.h"
#include "journey.h"
#include "load.h"
#include "merge.h"
#include "model.h"
#include "notify.h"
#include "persons.h"
#include "tags.h"

/* The owners' statements, in the order they run. */
static const struct crm_erase_step *const owners[] = {
	crm_merge_erase, /* first: it finds the rows by their keys */
	crm_tags_erase,
	crm_clusters_erase,
	crm_persons_erase,
	crm_desk_loads_erase,
	crm_desk_erase,
	crm_notify_erase,
	crm_journey_erase,
	crm_consent_erase,
	crm_exp_erase,
	crm_audit_erase,
};

const char *const *
crm_erase_tables(void)
{
	static const char *const tables[] = { /* erased from */
		"customers", "events", "tags", "clusters", "tickets",
		"ticket_events", "consent", "labels", "decisions", "models",
		"notifications", "journey_state", "journey_actions",
		"assignments", "merge_rows",
		/* where the audit chain begins */
		"audit_state",
		/* erased with the tags */
		"tag_history",
		/* with the clusters: the persons, their events, the labels */
		"persons", "person_events", "link_labels",
		/* no customer's data: the help desk's agents, the journeys'
		   runs, the experiments, the shards merged */
		"agents", "agent_skills", "journey_runs", "experiments",
		"merges", NULL
	};

	return tables;
}

/* Run the steps of one owner for id, token its stand-in. */
static int
run(struct crm_store *s, const struct crm_erase_step *step, const char *id,
    const char *token, crm_erase_fn fn, void *arg, struct crm_err *e)
{
	long n;

	for (; step->table != NULL; step++) {
		if ((n = crm_store_run_id(s, step->sql, id, token, e)) < 0)
			return -1;
		fn(arg, id, step->table, step->what, n, NULL);
	}
	return 0;
}

int
crm_erase(struct crm_store *s, const char *id, crm_erase_fn fn, void *arg,
    struct crm_err *e)
{
	uint64_t rnd;
	char token[32];
	size_t i;

	/*
	 * The decisions' stand-in for the customer: random, so that nothing
	 * leads back to the id, the same in every row of this erasure, so
	 * that they still count as one customer's.
	 */
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		return crm_err_set(e, EX_SOFTWARE, "no random bytes");
	snprintf(
	    token, sizeof(token), "erased-%016llx", (unsigned long long)rnd);
	/* freed pages zeroed, in the file and in the WAL's frames */
	if (sqlite3_exec(crm_store_db(s), "PRAGMA secure_delete = ON", NULL,
		NULL, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot set secure_delete");
	if (crm_store_begin(s, e) == -1)
		return -1;
	/* the models first: they are matched on the customer's row */
	if (crm_model_erase(s, id, fn, arg, e) == -1)
		goto fail;
	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		if (run(s, owners[i], id, token, fn, arg, e) == -1)
			goto fail;
	/* after the labels, which find the customer's records by subject */
	if (crm_audit_erase_subject(s, id, token, fn, arg, e) == -1)
		goto fail;
	/* customers last: the others may look the customer up */
	if (crm_load_erase(s, id, fn, arg, e) == -1)
		goto fail;
	return crm_store_commit(s, e);
fail:
	crm_store_rollback(s);
	return -1;
}

int
crm_erase_finish(struct crm_store *s, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc, busy = 0;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot checkpoint");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		busy = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot checkpoint");
	return busy;
}

/* crm_erase_ids' report: one record per customer and table. */
struct report {
	struct crm_writer *w;
	struct crm_rec *r;
	struct crm_erase_totals *t;
	long found;	    /* rows of the current id, any action */
	struct crm_err err; /* the first write failure */
	int failed;
};

static void
put_field(struct crm_rec *r, const char *name, const char *v)
{
	crm_rec_add(r, name, strlen(name), v != NULL ? v : "",
	    v != NULL ? strlen(v) : 0, CRM_STRING);
}

static void
report(void *arg, const char *id, const char *table, const char *what,
    long rows, const char *detail)
{
	struct report *rp = arg;
	char num[24];

	if (strcmp(what, "unchecked") != 0)
		rp->found += strcmp(what, "retrain") == 0 ? 1 : rows;
	if (strcmp(what, "deleted") == 0)
		rp->t->deleted += (unsigned long long)rows;
	else if (strcmp(what, "redacted") == 0)
		rp->t->redacted += (unsigned long long)rows;
	else if (strcmp(what, "retrain") == 0)
		rp->t->retrain++;
	if (rp->failed)
		return;
	snprintf(num, sizeof(num), "%ld", rows);
	crm_rec_clear(rp->r);
	put_field(rp->r, "customer_id", id);
	put_field(rp->r, "table", table);
	put_field(rp->r, "action", what);
	crm_rec_add(rp->r, "rows", 4, num, strlen(num), CRM_NUMBER);
	put_field(rp->r, "detail", detail);
	if (crm_writer_put(rp->w, rp->r, &rp->err) == -1)
		rp->failed = 1;
}

/*
 * One id of size bytes (a line's: trimmed, checked); 0, or -1 with e
 * (line named).
 */
static int
erase_one(struct crm_store *s, char *id, size_t size, const char *where,
    unsigned long line, struct report *rp, struct crm_err *e)
{
	size_t len = strlen(id), i;
	int nul = len != size; /* a NUL byte would cut the id short */

	while (len > 0 && strchr(" \t\r\n", id[len - 1]) != NULL)
		id[--len] = '\0';
	while (*id == ' ' || *id == '\t') {
		id++;
		len--;
	}
	if (len == 0 && where != NULL)
		return 0; /* a blank line */
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20)
			break;
	if (len == 0 || i < len || len > 1024 || nul) {
		if (where != NULL)
			return crm_err_set(e, EX_DATAERR,
			    "%s:%lu: not a customer id", where, line);
		return crm_err_set(
		    e, EX_DATAERR, "not a customer id: '%.40s'", id);
	}
	rp->found = 0;
	if (crm_erase(s, id, report, rp, e) == -1)
		return -1;
	rp->t->ids++;
	if (rp->found == 0 && rp->t->none != NULL)
		rp->t->none(id);
	return rp->failed ? (*e = rp->err, -1) : 0;
}

int
crm_erase_ids(struct crm_store *s, char *const *ids, size_t n, FILE *in,
    const char *inname, struct crm_writer *w, struct crm_erase_totals *t,
    struct crm_err *e)
{
	struct report rp = { w, NULL, t, 0, { 0 }, 0 };
	void (*none)(const char *) = t->none;
	char *line = NULL, *dup;
	size_t cap = 0, i;
	unsigned long ln = 0;
	ssize_t got;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->none = none;
	if ((rp.r = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (ids != NULL) {
		for (i = 0; i < n && rc == 0; i++) {
			if ((dup = strdup(ids[i])) == NULL)
				rc = crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			else
				rc = erase_one(
				    s, dup, strlen(dup), NULL, 0, &rp, e);
			free(dup);
		}
	} else {
		while (rc == 0 && (got = getline(&line, &cap, in)) != -1)
			rc = erase_one(
			    s, line, (size_t)got, inname, ++ln, &rp, e);
		if (rc == 0 && ferror(in))
			rc = crm_err_set(e, EX_IOERR, "%s: read error", inname);
	}
	free(line);
	crm_rec_free(rp.r);
	if (t->ids > 0) {
		struct crm_err fe;

		crm_err_clear(&fe);
		if ((t->wal_busy = crm_erase_finish(s, &fe)) == -1) {
			t->wal_busy = 0;
			if (rc == 0) {
				*e = fe;
				rc = -1;
			}
		}
	}
	return rc;
}
