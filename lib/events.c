/*
 * events: the rows of the store's events and customers, read for the
 * tools that learn from them (see events.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "events.h"

struct crm_ids {
	struct crm_store *s;
	sqlite3_stmt *st;
};

int
crm_events_with_item(struct crm_store *s, enum crm_by by,
    int (*fn)(void *arg, const struct crm_event *ev, struct crm_err *e),
    void *arg, struct crm_err *e)
{
	struct crm_event ev;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		by == CRM_BY_PERSON
		    ? "SELECT " CRM_PERSON_OF("customer_id") ", item, type, "
							     "time "
							     "FROM events "
							     "WHERE item IS "
							     "NOT NULL AND "
							     "item <> '' "
							     "ORDER BY rowid"
		    : "SELECT customer_id, item, type, time FROM events "
		      "WHERE item IS NOT NULL AND item <> '' ORDER BY rowid",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read events");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev.customer_id = (const char *)sqlite3_column_text(st, 0);
		ev.item = (const char *)sqlite3_column_text(st, 1);
		ev.type = (const char *)sqlite3_column_text(st, 2);
		ev.time = (const char *)sqlite3_column_text(st, 3);
		if (ev.customer_id == NULL || ev.item == NULL ||
		    ev.type == NULL || ev.time == NULL) {
			sqlite3_finalize(st);
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		}
		if (fn(arg, &ev, e) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		crm_store_fail(s, e, "cannot read events");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

struct crm_ids *
crm_ids_open(struct crm_store *s, enum crm_ids_of what, struct crm_err *e)
{
	struct crm_ids *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	c->s = s;
	if (sqlite3_prepare_v2(crm_store_db(s),
		what == CRM_IDS_ITEMS ? "SELECT DISTINCT item FROM events "
					"WHERE item IS NOT "
					"NULL AND item <> '' ORDER BY item"
				      : "SELECT customer_id FROM customers "
					"ORDER BY customer_id",
		-1, &c->st, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read the store");
		free(c);
		return NULL;
	}
	return c;
}

int
crm_ids_next(struct crm_ids *c, const char **id, size_t *len, struct crm_err *e)
{
	int rc;

	if ((rc = sqlite3_step(c->st)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return crm_store_fail(c->s, e, "cannot read the store");
	if ((*id = (const char *)sqlite3_column_text(c->st, 0)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	*len = (size_t)sqlite3_column_bytes(c->st, 0);
	return 1;
}

void
crm_ids_close(struct crm_ids *c)
{
	if (c == NULL)
		return;
	sqlite3_finalize(c->st);
	free(c);
}

/* The source's state: the cursor, its snapshot and the field name. */
struct ids_src {
	struct crm_store *snap;
	struct crm_ids *ids;
	const char *field;
};

static int
ids_next(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct ids_src *s = arg;
	const char *id;
	size_t len;
	int rc;

	if ((rc = crm_ids_next(s->ids, &id, &len, e)) != 1)
		return rc;
	crm_rec_clear(r);
	if (crm_rec_add(r, s->field, strlen(s->field), id, len, CRM_STRING) ==
	    -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 1;
}

static void
ids_src_close(void *arg)
{
	struct ids_src *s = arg;

	crm_ids_close(s->ids);
	crm_store_close(s->snap);
	free(s);
}

int
crm_ids_source(struct crm_store *snap, enum crm_ids_of what, const char *field,
    struct crm_source *src, struct crm_err *e)
{
	struct ids_src *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		crm_store_close(snap);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	s->snap = snap;
	s->field = field;
	if ((s->ids = crm_ids_open(snap, what, e)) == NULL) {
		ids_src_close(s);
		return -1;
	}
	memset(src, 0, sizeof(*src));
	src->name = "store";
	src->fmt = CRM_FMT_JSONL;
	src->next = ids_next;
	src->close = ids_src_close;
	src->arg = s;
	return 0;
}
