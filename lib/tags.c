/*
 * tags: writing the tags and tag_history tables of tags.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "model.h"
#include "tags.h"
#include "merge.h"

#define BATCH 5000

struct crm_tags {
	struct crm_store *s;
	struct crm_batch batch;
	sqlite3_stmt *give, *rerule, *take, *began, *ended, *others;
};

/* The statements, in the order of struct crm_tags. */
static const char *const sql[] = {
	/* a new membership, or nothing */
	"INSERT INTO tags(customer_id, tag, rule, time) VALUES (?1, ?2, ?3, "
	"?4) "
	"ON CONFLICT (customer_id, tag) DO NOTHING",
	"UPDATE tags SET rule = ?3 WHERE customer_id = ?1 AND tag = ?2 "
	"AND rule IS NOT ?3",
	"DELETE FROM tags WHERE customer_id = ?1 AND tag = ?2",
	/* given, taken and given again at one time: one open span */
	"INSERT INTO tag_history(customer_id, tag, began) VALUES (?1, ?2, ?4) "
	"ON CONFLICT (customer_id, tag, began) DO UPDATE SET ended = NULL",
	"UPDATE tag_history SET ended = ?4 WHERE customer_id = ?1 AND tag = ?2 "
	"AND ended IS NULL",
	/* the customer's other memberships of one kind (rule ?3) */
	"SELECT tag FROM tags WHERE customer_id = ?1 AND rule = ?3 "
	"AND tag IS NOT ?2",
};

static void
finalize(struct crm_tags *t)
{
	sqlite3_finalize(t->give);
	sqlite3_finalize(t->rerule);
	sqlite3_finalize(t->take);
	sqlite3_finalize(t->began);
	sqlite3_finalize(t->ended);
	sqlite3_finalize(t->others);
}

/*
 * Run st with ?1 id, ?2 tag, ?3 rule (NULL: unbound), ?4 now; the rows
 * it changed, or -1.
 */
static int
run(sqlite3_stmt *st, const char *id, size_t len, const char *tag,
    const char *rule, const char *now)
{
	int rc;

	sqlite3_bind_text64(st, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
	if (rule != NULL && sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_text(st, 3, rule, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 4)
		sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(sqlite3_db_handle(st));
}

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
	if (sqlite3_prepare_v2(crm_store_db(s), sql[0], -1, &t->give, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s), sql[1], -1, &t->rerule, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s), sql[2], -1, &t->take, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s), sql[3], -1, &t->began, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s), sql[4], -1, &t->ended, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v2(crm_store_db(s), sql[5], -1, &t->others, NULL) !=
		SQLITE_OK) {
		crm_store_fail(s, e, "cannot prepare the tags");
		finalize(t);
		free(t);
		return NULL;
	}
	return t;
}

/* Give or take one tag, its history kept; 0 or -1 (no e). */
static int
put(struct crm_tags *t, const char *id, size_t len, const char *tag,
    const char *rule, int on, const char *now)
{
	int n;

	if (!on) {
		if ((n = run(t->take, id, len, tag, NULL, now)) <= 0)
			return n;
		return run(t->ended, id, len, tag, NULL, now) < 0 ? -1 : 0;
	}
	if ((n = run(t->give, id, len, tag, rule, now)) < 0)
		return -1;
	if (n == 0) /* had it: the rule may be another */
		return run(t->rerule, id, len, tag, rule, now) < 0 ? -1 : 0;
	return run(t->began, id, len, tag, NULL, now) < 0 ? -1 : 0;
}

int
crm_tags_put(struct crm_tags *t, const char *id, size_t len, const char *tag,
    const char *rule, int on, struct crm_err *e)
{
	char now[21];

	if (crm_batch_add(&t->batch, e) == -1)
		return -1;
	crm_model_now(now);
	if (put(t, id, len, tag, rule, on, now) == -1)
		return crm_store_fail(t->s, e, "cannot write the tags");
	return 0;
}

int
crm_tags_one(struct crm_tags *t, const char *id, size_t len, const char *kind,
    const char *tag, struct crm_err *e)
{
	char now[21], *old = NULL;
	const unsigned char *v;
	int rc, bad = 0;

	if (crm_batch_add(&t->batch, e) == -1)
		return -1;
	crm_model_now(now);
	/* the one other membership of the kind (never more), taken first */
	sqlite3_bind_text64(t->others, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(t->others, 2, tag, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->others, 3, kind, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(t->others)) == SQLITE_ROW)
		if ((v = sqlite3_column_text(t->others, 0)) != NULL &&
		    old == NULL && (old = strdup((const char *)v)) == NULL)
			bad = 1;
	sqlite3_reset(t->others);
	if (bad) {
		free(old);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	if (rc != SQLITE_DONE ||
	    (old != NULL && put(t, id, len, old, kind, 0, now) == -1) ||
	    put(t, id, len, tag, kind, 1, now) == -1) {
		free(old);
		return crm_store_fail(t->s, e, "cannot write the tags");
	}
	free(old);
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
	finalize(t);
	free(t);
	return rc;
}

const struct crm_erase_step crm_tags_erase[] = {
	{ "tags", "deleted", "DELETE FROM tags WHERE customer_id = ?1" },
	{ "tag_history", "deleted",
	    "DELETE FROM tag_history WHERE customer_id = ?1" },
	{ NULL, NULL, NULL },
};

int
crm_tags_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	return crm_merge_copy(m, shard, mark,
	    "SELECT " CRM_TAGS_ROW_KEY ", customer_id, tag, rule, time "
	    "FROM tags ORDER BY 1",
	    "INSERT INTO tags(customer_id, tag, rule, time) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET "
	    "rule = excluded.rule, time = excluded.time "
	    "WHERE rule IS NOT excluded.rule OR time IS NOT excluded.time",
	    changed, e);
}

int
crm_tags_merge_history(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	if (crm_merge_copy(m, shard, mark,
		"SELECT " CRM_TAG_HISTORY_ROW_KEY ", customer_id, tag, began, "
		"ended FROM tag_history ORDER BY 1",
		"INSERT INTO tag_history(customer_id, tag, began, ended) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET "
		"ended = excluded.ended WHERE ended IS NOT excluded.ended",
		changed, e) == -1)
		return -1;
	/* a tag is the open span that began at its time */
	if (sqlite3_exec(crm_store_db(m),
		"DELETE FROM tags WHERE EXISTS (SELECT 1 FROM tag_history h "
		"WHERE h.customer_id = tags.customer_id AND h.tag = tags.tag "
		"AND h.began = tags.time AND h.ended IS NOT NULL)",
		NULL, NULL, NULL) != SQLITE_OK)
		return crm_store_fail(m, e, "cannot merge the tags");
	*changed += sqlite3_changes(crm_store_db(m));
	return 0;
}
