/*
 * tags: writing the tags table of tags.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "model.h"
#include "tags.h"

#define BATCH 5000

struct crm_tags {
	struct crm_store *s;
	struct crm_batch batch;
	sqlite3_stmt *give, *take;
};

struct crm_tags *
crm_tags_open(struct crm_store *s, struct crm_err *e)
{
	struct crm_tags *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	t->s = s;
	crm_batch_init(&t->batch, s, BATCH);
	if (sqlite3_prepare_v2(crm_store_db(s),
		"INSERT INTO tags(customer_id, tag, rule, time) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (customer_id, tag) "
		"DO UPDATE SET rule = excluded.rule "
		"WHERE rule IS NOT excluded.rule",
		-1, &t->give, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s),
		"DELETE FROM tags WHERE customer_id = ?1 AND tag = ?2", -1,
		&t->take, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot prepare the tags");
		sqlite3_finalize(t->give);
		sqlite3_finalize(t->take);
		free(t);
		return NULL;
	}
	return t;
}

int
crm_tags_put(struct crm_tags *t, const char *id, size_t len, const char *tag,
    const char *rule, int on, struct crm_err *e)
{
	sqlite3_stmt *st = on ? t->give : t->take;
	char now[21];
	int rc;

	if (crm_batch_add(&t->batch, e) == -1)
		return -1;
	sqlite3_bind_text64(st, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
	if (on) {
		crm_model_now(now);
		sqlite3_bind_text(st, 3, rule, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(t->s, e, "cannot write the tags");
	return 0;
}

struct crm_batch *
crm_tags_batch(struct crm_tags *t)
{
	return &t->batch;
}

void
crm_tags_idle(void *arg)
{
	struct crm_tags *t = arg;

	if (t != NULL)
		crm_batch_idle(&t->batch);
}

int
crm_tags_close(struct crm_tags *t, struct crm_err *e)
{
	int rc;

	if (t == NULL)
		return 0;
	rc = crm_batch_close(&t->batch, e);
	sqlite3_finalize(t->give);
	sqlite3_finalize(t->take);
	free(t);
	return rc;
}

const struct crm_erase_step crm_tags_erase[] = {
	{ "tags", "deleted", "DELETE FROM tags WHERE customer_id = ?1" },
	{ NULL, NULL, NULL },
};
