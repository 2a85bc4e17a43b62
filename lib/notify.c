/*
 * notify: the notifications table (notify.h).  Each notification is one
 * row, written by prepared statements inside the caller's transaction;
 * the queued ones are also lines of JSON in the --notify file, kept in a
 * buffer and appended to the file as they come (stdio's buffer), flushed
 * at close.  Times are written as crm_route_iso has them
 * (YYYY-MM-DDTHH:MM:SSZ), so that send_after compares as text, in the
 * partial index notifications_deferred.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "calendar.h"
#include "clock.h"
#include "consent.h"
#include "jw.h"
#include "notify.h"
#include "route.h"

struct crm_notify {
	struct crm_store *s;
	const struct crm_notify_opts *o;
	struct crm_consent *consent;
	sqlite3_stmt *cust; /* a customer's zone and language */
	sqlite3_stmt *ins;  /* a notification */
	sqlite3_stmt *due;  /* the deferred ones due */
	sqlite3_stmt *send; /* which become queued */
	sqlite3_stmt *drop; /* one suppressed when it was due */
	FILE *fp;	    /* o->out, or NULL */
	struct crm_buf line;
	int werr; /* errno of the first failed write, or 0 */
	struct crm_notify_counts n;
};

void
crm_notify_opts_init(struct crm_notify_opts *o)
{
	o->out = NULL;
	o->purpose = "ticket_updates";
	o->quiet_from = -1;
	o->quiet_to = -1;
	o->tz = "UTC";
}

/*
 * A customer's zone and language: a key that is not text (a number, an
 * object) is none.
 */
static const char sql_cust[] =
    "SELECT CASE WHEN json_valid(extra) THEN coalesce("
    "  CASE json_type(extra, '$.tz') WHEN 'text'"
    "    THEN json_extract(extra, '$.tz') END,"
    "  CASE json_type(extra, '$.time_zone') WHEN 'text'"
    "    THEN json_extract(extra, '$.time_zone') END) END,"
    " CASE WHEN json_valid(extra) THEN coalesce("
    "  CASE json_type(extra, '$.lang') WHEN 'text'"
    "    THEN nullif(json_extract(extra, '$.lang'), '') END,"
    "  CASE json_type(extra, '$.language') WHEN 'text'"
    "    THEN nullif(json_extract(extra, '$.language'), '') END) END"
    " FROM customers WHERE customer_id = ?1";
static const char sql_ins[] = "INSERT INTO notifications(time, customer_id, "
			      "ticket_id, state,"
			      " template, lang, status, send_after, reason)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
/* through the partial index notifications_deferred */
static const char sql_due[] = "SELECT id, time, customer_id, ticket_id, state, "
			      "template, lang"
			      " FROM notifications WHERE status = 'deferred' "
			      "AND send_after <= ?1"
			      " ORDER BY send_after, id";
static const char sql_send[] = "UPDATE notifications SET status = 'queued'"
			       " WHERE status = 'deferred' AND send_after <= "
			       "?1";
static const char sql_drop[] = "UPDATE notifications SET status = "
			       "'suppressed', reason = ?2 WHERE id = ?1";

struct crm_notify *
crm_notify_open(
    struct crm_store *s, const struct crm_notify_opts *o, struct crm_err *e)
{
	struct crm_notify *n;
	const char *const sql[] = { sql_cust, sql_ins, sql_due, sql_send,
		sql_drop };
	sqlite3_stmt **st[5];
	size_t i;

	if (o->tz != NULL && !crm_tz_ok(o->tz)) {
		crm_err_set(e, EX_USAGE,
		    "unknown time zone '%s' (want a name of the tz database, "
		    "such as Europe/Berlin)",
		    o->tz);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	n->s = s;
	n->o = o;
	crm_buf_init(&n->line);
	st[0] = &n->cust;
	st[1] = &n->ins;
	st[2] = &n->due;
	st[3] = &n->send;
	st[4] = &n->drop;
	for (i = 0; i < 5; i++)
		if (sqlite3_prepare_v3(crm_store_db(s), sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, st[i], NULL) != SQLITE_OK) {
			crm_store_fail(
			    s, e, "cannot prepare the notifications");
			goto fail;
		}
	if ((n->consent = crm_consent_open(s, e)) == NULL)
		goto fail;
	if (o->out != NULL && (n->fp = fopen(o->out, "a")) == NULL) {
		crm_err_set(e, EX_CANTCREAT, "cannot open '%s': %s", o->out,
		    strerror(errno));
		goto fail;
	}
	return n;
fail:
	crm_notify_free(n);
	return NULL;
}

int
crm_notify_close(struct crm_notify *n, struct crm_err *e)
{
	FILE *fp = n->fp;

	n->fp = NULL;
	if (fp != NULL && fflush(fp) == EOF && n->werr == 0)
		n->werr = errno;
	if (fp != NULL && fclose(fp) == EOF && n->werr == 0)
		n->werr = errno;
	if (n->werr != 0)
		return crm_err_set(e, EX_IOERR, "cannot write '%s': %s",
		    n->o->out, strerror(n->werr));
	return 0;
}

void
crm_notify_free(struct crm_notify *n)
{
	if (n == NULL)
		return;
	if (n->fp != NULL)
		fclose(n->fp);
	sqlite3_finalize(n->cust);
	sqlite3_finalize(n->ins);
	sqlite3_finalize(n->due);
	sqlite3_finalize(n->send);
	sqlite3_finalize(n->drop);
	crm_consent_close(n->consent);
	crm_buf_release(&n->line);
	free(n);
}

/* A text value of the JSON line, or null. */
static void
jw_text(struct crm_jw *w, const char *key, const char *v, size_t len)
{
	crm_jw_key(w, key);
	if (v == NULL)
		crm_jw_null(w);
	else
		crm_jw_strn(w, v, len);
}

/*
 * One queued notification, row id, as a line of the file: v[] its time,
 * customer_id, ticket_id, state, template and lang (len[] bytes, NULL
 * for null).  0, or -1 with e filled (out of memory); a failed write is
 * kept for close.
 */
static int
write_line(struct crm_notify *n, long long id, const char *const *v,
    const size_t *len, struct crm_err *e)
{
	static const char *const keys[] = { "time", "customer_id", "ticket_id",
		"state", "template", "lang" };
	struct crm_jw w;
	size_t i;

	if (n->fp == NULL)
		return 0;
	crm_buf_reset(&n->line);
	crm_jw_init(&w, &n->line);
	crm_jw_obj(&w);
	crm_jw_key(&w, "id");
	crm_jw_int(&w, id);
	for (i = 0; i < 6; i++)
		jw_text(&w, keys[i], v[i], len[i]);
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1 || crm_buf_addc(&n->line, '\n') == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (fwrite(n->line.p, 1, n->line.len, n->fp) != n->line.len &&
	    n->werr == 0)
		n->werr = errno;
	return 0;
}

/*
 * The customer's zone (a known one, else the options') into zone and
 * language into lang (NULL when none), both of size 129.  0, or -1.
 */
static int
customer(struct crm_notify *n, const char *id, size_t len, char *zone,
    char *lang, struct crm_err *e)
{
	const unsigned char *z = NULL, *l = NULL;
	int rc;

	snprintf(zone, 129, "%s", n->o->tz != NULL ? n->o->tz : "UTC");
	*lang = '\0';
	sqlite3_bind_text64(n->cust, 1, id, len, SQLITE_STATIC, SQLITE_UTF8);
	if ((rc = sqlite3_step(n->cust)) == SQLITE_ROW) {
		z = sqlite3_column_text(n->cust, 0);
		l = sqlite3_column_text(n->cust, 1);
		if (z != NULL && strlen((const char *)z) < 129 &&
		    crm_tz_ok((const char *)z))
			snprintf(zone, 129, "%s", (const char *)z);
		if (l != NULL)
			snprintf(lang, 129, "%s", (const char *)l);
	}
	sqlite3_reset(n->cust);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return crm_store_fail(n->s, e, "cannot read the customer");
	return 0;
}

int
crm_notify_add(struct crm_notify *n, const char *customer_id, size_t clen,
    const char *ticket, size_t tlen, const char *state, const char *template,
    const char *lang, double now, struct crm_err *e)
{
	char zone[129], clang[129], when[32], after[32], reason[192];
	const char *status = "queued", *v[6];
	size_t len[6], i;
	double send, at;
	int w, rc;

	if (customer_id == NULL)
		return 0;
	if (customer(n, customer_id, clen, zone, clang, e) == -1)
		return -1;
	if ((w = crm_consent_withdrawn(
		 n->consent, customer_id, clen, n->o->purpose, e)) == -1)
		return -1;
	/* the customer's own language first, then the one given */
	if (*clang != '\0')
		lang = clang;
	else if (lang == NULL || *lang == '\0')
		lang = "en";
	crm_route_iso(now, when);
	/*
	 * the quiet hours of when it goes out: now (the change's time) or,
	 * for a change loaded later, the run's reference time
	 */
	at = crm_clock_now();
	if (at < now)
		at = now;
	*after = *reason = '\0';
	if (w) {
		status = "suppressed";
		snprintf(reason, sizeof(reason), "consent withdrawn for %s",
		    n->o->purpose);
	} else if ((send = crm_quiet_end(
			zone, n->o->quiet_from, n->o->quiet_to, at)) > at) {
		status = "deferred";
		crm_route_iso(send, after);
		snprintf(reason, sizeof(reason), "quiet hours in %s", zone);
	}
	v[0] = when;
	v[1] = customer_id;
	v[2] = ticket;
	v[3] = state;
	v[4] = template;
	v[5] = lang;
	for (i = 0; i < 6; i++)
		len[i] = i == 1 ? clen : i == 2 ? tlen : strlen(v[i]);
	for (i = 0; i < 6; i++)
		sqlite3_bind_text64(n->ins, (int)i + 1, v[i], len[i],
		    SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(n->ins, 7, status, -1, SQLITE_STATIC);
	if (*after != '\0')
		sqlite3_bind_text(n->ins, 8, after, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(n->ins, 8);
	if (*reason != '\0')
		sqlite3_bind_text(n->ins, 9, reason, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(n->ins, 9);
	rc = sqlite3_step(n->ins);
	sqlite3_reset(n->ins);
	sqlite3_clear_bindings(n->ins);
	if (rc != SQLITE_DONE)
		return crm_store_fail(n->s, e, "cannot store a notification");
	if (*status == 's') {
		n->n.suppressed++;
		return 0;
	}
	if (*status == 'd') {
		n->n.deferred++;
		return 0;
	}
	n->n.queued++;
	return write_line(n,
	    (long long)sqlite3_last_insert_rowid(crm_store_db(n->s)), v, len,
	    e);
}

/* Suppress the k notifications ids (consent withdrawn since): 0, -1. */
static int
drop(struct crm_notify *n, const long long *ids, size_t k, struct crm_err *e)
{
	char reason[192];
	size_t i;
	int rc;

	snprintf(
	    reason, sizeof(reason), "consent withdrawn for %s", n->o->purpose);
	for (i = 0; i < k; i++) {
		sqlite3_bind_int64(n->drop, 1, ids[i]);
		sqlite3_bind_text(n->drop, 2, reason, -1, SQLITE_STATIC);
		rc = sqlite3_step(n->drop);
		sqlite3_reset(n->drop);
		if (rc != SQLITE_DONE)
			return crm_store_fail(
			    n->s, e, "cannot suppress a notification");
		n->n.suppressed++;
	}
	return 0;
}

long
crm_notify_release(struct crm_notify *n, double now, struct crm_err *e)
{
	char when[32];
	const char *v[6];
	size_t len[6], k = 0, cap = 0;
	long long *ids = NULL, *p;
	long count = 0;
	int rc, i, w = 0;

	crm_route_iso(now, when);
	/*
	 * written in send_after order first, then queued by one UPDATE; a
	 * customer who withdrew consent since is not sent it: those are
	 * kept to be suppressed after the read
	 */
	sqlite3_bind_text(n->due, 1, when, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(n->due)) == SQLITE_ROW) {
		for (i = 0; i < 6; i++) {
			v[i] = (const char *)sqlite3_column_text(n->due, i + 1);
			len[i] = (size_t)sqlite3_column_bytes(n->due, i + 1);
		}
		w = 0;
		if (v[1] != NULL && (w = crm_consent_withdrawn(n->consent, v[1],
					 len[1], n->o->purpose, e)) == -1)
			break;
		if (w && k == cap) {
			cap = cap ? 2 * cap : 16;
			if ((p = crm_reallocarray(ids, cap, sizeof(*p))) ==
			    NULL) {
				w = -1;
				crm_err_set(e, EX_SOFTWARE, "out of memory");
				break;
			}
			ids = p;
		}
		if (w) {
			ids[k++] = sqlite3_column_int64(n->due, 0);
			continue;
		}
		if (write_line(n, sqlite3_column_int64(n->due, 0), v, len, e) ==
		    -1) {
			w = -1;
			break;
		}
		count++;
	}
	sqlite3_reset(n->due);
	if (w == -1) {
		free(ids);
		return -1;
	}
	if (rc != SQLITE_DONE) {
		free(ids);
		return crm_store_fail(n->s, e, "cannot read the notifications");
	}
	rc = drop(n, ids, k, e);
	free(ids);
	if (rc == -1)
		return -1;
	sqlite3_bind_text(n->send, 1, when, -1, SQLITE_STATIC);
	rc = sqlite3_step(n->send);
	sqlite3_reset(n->send);
	if (rc != SQLITE_DONE)
		return crm_store_fail(
		    n->s, e, "cannot queue the notifications");
	n->n.released += (unsigned long long)count;
	return count;
}

void
crm_notify_counts(const struct crm_notify *n, struct crm_notify_counts *c)
{
	*c = n->n;
}

const struct crm_erase_step crm_notify_erase[] = {
	{ "notifications", "deleted",
	    "DELETE FROM notifications WHERE customer_id = ?1" },
	{ NULL, NULL, NULL },
};
