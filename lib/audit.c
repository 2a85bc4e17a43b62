/*
 * audit: the decisions and labels tables of audit.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "audit.h"
#include "model.h"

#define BATCH 1000

struct crm_audit {
	struct crm_store *s;
	struct crm_batch batch;
	sqlite3_stmt *dec, *lab;
	char *tool, *model;
	long version;
	int begun; /* crm_audit_begin counted the next decision's row */
};

struct crm_audit *
crm_audit_open(struct crm_store *s, const char *tool, const char *model,
    long version, struct crm_err *e)
{
	struct crm_audit *a;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->tool = strdup(tool)) == NULL ||
	    (a->model = strdup(model)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	a->s = s;
	crm_batch_init(&a->batch, s, BATCH);
	a->version = version;
	if (sqlite3_prepare_v2(crm_store_db(s),
		"INSERT INTO decisions(time, tool, model, model_version, "
		"record_key, output, score, reasons) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		-1, &a->dec, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s),
		"INSERT INTO labels(time, task, record_key, text, label, "
		"source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		-1, &a->lab, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot prepare the audit log");
		goto fail;
	}
	return a;
fail:
	if (a != NULL) {
		sqlite3_finalize(a->dec);
		sqlite3_finalize(a->lab);
		free(a->tool);
		free(a->model);
		free(a);
	}
	return NULL;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *p, size_t len)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text64(
		    st, i, p, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

int
crm_audit_add(struct crm_audit *a, const char *key, size_t klen,
    const char *output, size_t olen, double score, const char *reasons,
    size_t rlen, struct crm_err *e)
{
	char now[21];
	int rc;

	if (!a->begun && crm_batch_add(&a->batch, e) == -1)
		return -1;
	a->begun = 0;
	crm_model_now(now);
	sqlite3_bind_text(a->dec, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(a->dec, 2, a->tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->dec, 3, a->model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(a->dec, 4, a->version);
	bind_opt(a->dec, 5, key, klen);
	bind_opt(a->dec, 6, output, olen);
	sqlite3_bind_double(a->dec, 7, score);
	bind_opt(a->dec, 8, reasons, rlen);
	rc = sqlite3_step(a->dec);
	sqlite3_reset(a->dec);
	if (rc != SQLITE_DONE)
		return crm_store_fail(a->s, e, "cannot log the decision");
	return 0;
}

int
crm_audit_begin(struct crm_audit *a, struct crm_err *e)
{
	if (a->begun)
		return 0;
	if (crm_batch_add(&a->batch, e) == -1)
		return -1;
	a->begun = 1;
	return 0;
}

int
crm_audit_label(struct crm_audit *a, const char *key, size_t klen,
    const char *text, size_t tlen, const char *label, size_t llen,
    const char *source, struct crm_err *e)
{
	char now[21];
	int rc;

	if (crm_batch_add(&a->batch, e) == -1)
		return -1;
	crm_model_now(now);
	sqlite3_bind_text(a->lab, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(a->lab, 2, a->model, -1, SQLITE_STATIC);
	bind_opt(a->lab, 3, key, klen);
	bind_opt(a->lab, 4, text, tlen);
	bind_opt(a->lab, 5, label, llen);
	sqlite3_bind_text(a->lab, 6, source, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(a->lab);
	sqlite3_reset(a->lab);
	if (rc != SQLITE_DONE)
		return crm_store_fail(a->s, e, "cannot save the label");
	return 0;
}

int
crm_audit_commit(struct crm_audit *a, struct crm_err *e)
{
	return crm_batch_commit(&a->batch, e);
}

void
crm_audit_idle(void *arg)
{
	struct crm_audit *a = arg;

	if (a != NULL)
		crm_batch_idle(&a->batch);
}

int
crm_audit_close(struct crm_audit *a, struct crm_err *e)
{
	int rc;

	if (a == NULL)
		return 0;
	rc = crm_batch_close(&a->batch, e);
	sqlite3_finalize(a->dec);
	sqlite3_finalize(a->lab);
	free(a->tool);
	free(a->model);
	free(a);
	return rc;
}

int
crm_labels_each(struct crm_store *s, const char *task,
    int (*fn)(void *, const char *, size_t, const char *, size_t), void *arg,
    struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT text, label FROM labels WHERE task = ?1 AND text "
		"IS NOT NULL ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read labels");
	sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
			(size_t)sqlite3_column_bytes(st, 0),
			(const char *)sqlite3_column_text(st, 1),
			(size_t)sqlite3_column_bytes(st, 1)) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(s, e, "cannot read labels");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

const struct crm_erase_step crm_audit_erase[] = {
	{ "labels", "deleted",
	    "DELETE FROM labels WHERE record_key = ?1 OR record_key IN "
	    "(SELECT record_key FROM decisions WHERE subject = ?1)" },
	{ NULL, NULL, NULL },
};
