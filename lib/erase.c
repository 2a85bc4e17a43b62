/*
 * erase: a customer erased from every table of the store (erase.h).
 * The statements live with each table's owner; this file only runs them,
 * in one transaction, and knows the list of tables.
 */
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
#include "load.h"
#include "model.h"
#include "tags.h"

/* The owners' statements, in the order they run. */
static const struct crm_erase_step *const owners[] = {
	crm_tags_erase,
	crm_clusters_erase,
	crm_desk_erase,
	crm_consent_erase,
	crm_audit_erase,
};

const char *const *
crm_erase_tables(void)
{
	static const char *const tables[] = { /* erased from */
		"customers", "events", "tags", "clusters", "tickets", "consent",
		"labels", "decisions", "models",
		/* no customer's data: the help desk's agents */
		"agents", "agent_skills", NULL
	};

	return tables;
}

/* Run the steps of one owner for id. */
static int
run(struct crm_store *s, const struct crm_erase_step *step, const char *id,
    crm_erase_fn fn, void *arg, struct crm_err *e)
{
	long n;

	for (; step->table != NULL; step++) {
		if ((n = crm_store_run_id(s, step->sql, id, e)) < 0)
			return -1;
		fn(arg, id, step->table, step->what, n, NULL);
	}
	return 0;
}

int
crm_erase(struct crm_store *s, const char *id, crm_erase_fn fn, void *arg,
    struct crm_err *e)
{
	unsigned char rnd[8];
	char token[32];
	size_t i;

	/*
	 * The decisions' stand-in for the customer: random, so that nothing
	 * leads back to the id, the same in every row of this erasure, so
	 * that they still count as one customer's.
	 */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return crm_err_set(e, EX_SOFTWARE, "no random bytes");
	strcpy(token, "erased-");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(token + 7 + 2 * i, 3, "%02x", rnd[i]);
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
		if (run(s, owners[i], id, fn, arg, e) == -1)
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
