/*
 * test_desk: the tickets of the store (lib/desk_tickets.c) at the level
 * of the library: a ticket routed in and given an agent, a parent and
 * its subtasks, changes applied and refused (each reason's field), the
 * agents' loads, the SLA clock paused and resumed, a reopened ticket's
 * new due time, the same change loaded twice, and the sweep's three
 * lists seen to once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "clock.h"
#include "desk.h"
#include "norm.h"
#include "store.h"
#include "tap.h"

static struct crm_store *st;
static struct crm_desk *d;

/* One value of the store, as text ("" for NULL or no row). */
static const char *
q(const char *sql)
{
	static char out[256];
	sqlite3_stmt *s;

	out[0] = '\0';
	if (sqlite3_prepare_v2(crm_store_db(st), sql, -1, &s, NULL) !=
	    SQLITE_OK)
		return "bad sql";
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static double
at(const char *iso)
{
	const char *why;
	double t = NAN;

	crm_norm_seconds(iso, strlen(iso), &t, &why);
	return t;
}

static int
route(const char *id, const char *parent, const char *queue, int prio,
    const char *due, struct crm_desk_act *act)
{
	struct crm_ticket t;
	struct crm_err e;
	int again;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.idlen = strlen(id);
	t.parent = parent;
	t.plen = parent ? strlen(parent) : 0;
	t.customer = "c1";
	t.clen = 2;
	t.priority = prio;
	t.queue = t.skill = queue;
	t.sla_due = due;
	t.created = "2026-12-01T08:00:00Z";
	t.reason = "test";
	crm_err_clear(&e);
	return crm_desk_assign(d, &t, act, &again, &e);
}

/* Change ticket id to state (NULL: none) at time, by actor. */
static int
change(const char *id, const char *state, const char *assignee,
    const char *actor, const char *time, int *applied, struct crm_err *e)
{
	struct crm_desk_change c;
	struct crm_desk_act act;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.idlen = strlen(id);
	c.to = state ? crm_tstate_parse(state, strlen(state)) : -1;
	c.assignee = assignee;
	c.alen = assignee ? strlen(assignee) : 0;
	c.actor = actor;
	c.time = at(time);
	c.timed = 1;
	crm_err_clear(e);
	return crm_desk_change(d, &c, &act, applied, e);
}

/* A note on ticket id at time, by actor. */
static int
note(const char *id, const char *actor, const char *time, int *applied,
    struct crm_err *e)
{
	struct crm_desk_change c;
	struct crm_desk_act act;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.idlen = strlen(id);
	c.to = -1;
	c.actor = actor;
	c.note = "looked at it";
	c.nlen = strlen(c.note);
	c.time = at(time);
	c.timed = 1;
	crm_err_clear(e);
	return crm_desk_change(d, &c, &act, applied, e);
}

/* Whether every agent's load is its tickets in a state that loads. */
static const char *
loads_kept(void)
{
	return q("SELECT count(*) FROM agents a WHERE load <> (SELECT count(*)"
		 " FROM tickets t WHERE t.assignee = a.agent_id AND t.status"
		 " IN ('open', 'pending', 'on-hold', 'reopened'))");
}

int
main(void)
{
	char dir[] = "/tmp/test_desk.XXXXXX", path[512];
	static const long sla[5] = { 0, 3600, 4 * 3600, 24 * 3600, 72 * 3600 };
	struct crm_desk_act act;
	struct crm_strmap *ids = NULL;
	struct crm_err e;
	const char *why;
	int applied, rc;

	if (mkdtemp(dir) == NULL) {
		TAP_OK(0, "mkdtemp");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	crm_clock_set("2026-12-01T08:00:00Z", &why);
	crm_err_clear(&e);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL, "store opened");
	if (st == NULL)
		return tap_done();
	d = crm_desk_open(st, CRM_BY_RECORD, &e);
	TAP_OK(d != NULL, "desk opened");
	if (d == NULL)
		return tap_done();
	crm_desk_clock(d, NULL, sla);
	crm_store_begin(st, &e);
	crm_desk_agent_put(d, "ana", 3, NULL, 0, "billing", 7, 1, 1, &e);
	crm_desk_agent_put(d, "bo", 2, NULL, 0, "logistics", 9, 1, 1, &e);

	/* routed in: Ana has room for one */
	TAP_OK(route("T1", NULL, "billing", 3, "2026-12-01T12:00:00Z", &act) ==
		       0 &&
		   act.to == CRM_T_OPEN && act.agent &&
		   strcmp(act.agent, "ana") == 0 && act.seen_from == -1 &&
		   act.seen_to == CRM_T_OPEN,
	    "T1 open with Ana; the customer sees it open");
	TAP_OK(route("T2", NULL, "billing", 3, "2026-12-01T12:00:00Z", &act) ==
		       0 &&
		   act.to == CRM_T_NEW && act.agent == NULL,
	    "T2 waits: Ana is full");
	TAP_STR(q("SELECT load FROM agents WHERE agent_id = 'ana'"), "1",
	    "Ana's load");

	/* a parent and two subtasks */
	route("P", NULL, NULL, 2, "2026-12-01T10:00:00Z", &act);
	route("P.1", "P", "billing", 3, "2026-12-01T12:00:00Z", &act);
	route("P.2", "P", "logistics", 2, "2026-12-01T10:00:00Z", &act);
	TAP_OK(crm_desk_settle(d, "P", 1, &act, &e) == 0 &&
		   act.seen_to == CRM_T_OPEN,
	    "the parent is open once Bo has P.2");
	TAP_STR(q("SELECT status || ' ' || coalesce(queue, '-') || ' ' ||"
		  " priority FROM tickets WHERE ticket_id = 'P'"),
	    "open - P2", "the parent has no queue, its best priority");

	/* refused changes name their field */
	rc = change(
	    "P", "solved", NULL, "ana", "2026-12-01T09:00:00Z", &applied, &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR && !strcmp(e.field, "state"),
	    "a parent's state is its subtasks': %s", e.msg);
	rc = change(
	    "T9", "solved", NULL, "ana", "2026-12-01T09:00:00Z", &applied, &e);
	TAP_OK(rc == -1 && !strcmp(e.field, "id"), "no such ticket: %s", e.msg);
	rc = change(
	    "T2", "closed", NULL, "ana", "2026-12-01T09:00:00Z", &applied, &e);
	TAP_OK(rc == -1 && !strcmp(e.field, "state"),
	    "a waiting ticket is not closed: %s", e.msg);
	rc = change(
	    "T2", "open", "ana", "x", "2026-12-01T09:00:00Z", &applied, &e);
	TAP_OK(rc == -1 && !strcmp(e.field, "assignee"), "Ana has no room: %s",
	    e.msg);
	rc = change(
	    "T1", "open", "zed", "x", "2026-12-01T09:00:00Z", &applied, &e);
	TAP_OK(rc == -1 && !strcmp(e.field, "assignee"), "no agent zed: %s",
	    e.msg);
	rc = change(
	    "T1", "open", NULL, "x", "2026-12-01T07:00:00Z", &applied, &e);
	TAP_OK(rc == -1 && !strcmp(e.field, "time"),
	    "before the last change: %s", e.msg);

	/* the clock: 3h left at 09:00, resumed at 11:00: due 14:00 */
	TAP_OK(change("T1", "pending", NULL, "ana", "2026-12-01T09:00:00Z",
		   &applied, &e) == 0 &&
		   applied,
	    "T1 pending");
	TAP_STR(q("SELECT sla_left FROM tickets WHERE ticket_id = 'T1'"),
	    "10800.0", "3h of SLA left");
	TAP_STR(q("SELECT load FROM agents WHERE agent_id = 'ana'"), "1",
	    "a pending ticket stays in Ana's load");
	TAP_OK(change("T1", "pending", NULL, "ana", "2026-12-01T09:00:00Z",
		   &applied, &e) == 0 &&
		   !applied,
	    "the same change again does nothing");
	change("T1", "open", NULL, "customer", "2026-12-01T11:00:00Z", &applied,
	    &e);
	TAP_STR(q("SELECT sla_due || ' ' || coalesce(sla_left, '-') FROM"
		  " tickets WHERE ticket_id = 'T1'"),
	    "2026-12-01T14:00:00Z -", "resumed: due 11:00 + 3h");

	/* solved frees Ana; reopened goes back to her with a new due */
	change(
	    "T1", "solved", NULL, "ana", "2026-12-01T12:00:00Z", &applied, &e);
	TAP_STR(q("SELECT load FROM agents WHERE agent_id = 'ana'"), "0",
	    "solved frees Ana");
	/* a note on the parent by an agent with room: the parent's agents
	 * are its subtasks', nobody takes it */
	TAP_OK(note("P", "ana", "2026-12-01T12:10:00Z", &applied, &e) == 0 &&
		   applied,
	    "a note on the parent");
	TAP_STR(q("SELECT coalesce(assignee, '-') || ' ' || (SELECT load FROM"
		  " agents WHERE agent_id = 'ana') FROM tickets"
		  " WHERE ticket_id = 'P'"),
	    "- 0", "the note gives the parent no agent, Ana no load");
	change("T1", "reopened", NULL, "customer", "2026-12-01T13:00:00Z",
	    &applied, &e);
	TAP_STR(q("SELECT status || ' ' || assignee || ' ' || sla_due || ' ' ||"
		  " reopens FROM tickets WHERE ticket_id = 'T1'"),
	    "reopened ana 2026-12-02T13:00:00Z 1",
	    "reopened to Ana, due 13:00 + P3's 24h");

	/* subtasks: the parent solved only when both are */
	change(
	    "P.2", "solved", NULL, "bo", "2026-12-01T09:30:00Z", &applied, &e);
	TAP_STR(q("SELECT status FROM tickets WHERE ticket_id = 'P'"), "open",
	    "one subtask solved: the parent goes on");
	rc = change(
	    "P.2", "closed", NULL, "bo", "2026-12-01T09:40:00Z", &applied, &e);
	TAP_OK(rc == 0 && applied, "P.2 closed");
	rc = change(
	    "P.2", "closed", NULL, "bo", "2026-12-01T09:50:00Z", &applied, &e);
	TAP_OK(rc == -1 && !strcmp(e.field, "state"),
	    "a second close is refused: %s", e.msg);

	/* the sweep at 11:00: P.1 (due 12:00) is not yet within 30m; T2
	 * (due 12:00) neither; at 11:45 both are raised */
	TAP_OK(crm_desk_list(d, CRM_DESK_WARN, at("2026-12-01T11:45:00Z"), 1800,
		   &ids, &e) == 0 &&
		   crm_strmap_count(ids) == 2,
	    "two tickets due within 30m of 11:45");
	crm_strmap_free(ids);
	ids = NULL;
	rc = crm_desk_sweep_one(d, CRM_DESK_WARN, "T2", 2,
	    at("2026-12-01T11:45:00Z"), "senior", &act, &e);
	TAP_OK(rc == 1 && act.prio_from == 3 && act.prio_to == 2 &&
		   act.assigned && act.agent && !strcmp(act.agent, "bo"),
	    "T2 raised to P2 and offered to Bo (Ana is full again)");
	rc = crm_desk_sweep_one(d, CRM_DESK_WARN, "T2", 2,
	    at("2026-12-01T11:45:00Z"), "senior", &act, &e);
	TAP_OK(rc == 0, "raised once for its due time");
	rc = crm_desk_sweep_one(d, CRM_DESK_BREACHED, "T2", 2,
	    at("2026-12-01T12:30:00Z"), "senior", &act, &e);
	TAP_OK(rc == 1 && act.escalated && !strcmp(act.queue, "senior"),
	    "T2 breached at 12:30: to the senior queue");
	rc = crm_desk_sweep_one(d, CRM_DESK_BREACHED, "T2", 2,
	    at("2026-12-01T12:40:00Z"), "senior", &act, &e);
	TAP_OK(rc == 0, "escalated once for one breach");
	/* paused after its breach and resumed: the same breach */
	change(
	    "T2", "pending", NULL, "bo", "2026-12-01T12:40:00Z", &applied, &e);
	change("T2", "open", NULL, "customer", "2026-12-01T13:00:00Z", &applied,
	    &e);
	TAP_STR(q("SELECT sla_due FROM tickets WHERE ticket_id = 'T2'"),
	    "2026-12-01T12:00:00Z", "breached, paused, resumed: due as it was");
	rc = crm_desk_sweep_one(d, CRM_DESK_BREACHED, "T2", 2,
	    at("2026-12-01T13:05:00Z"), "senior", &act, &e);
	TAP_OK(rc == 0, "not escalated again for it");
	TAP_STR(q("SELECT group_concat(agent_id || '=' || load, ' ') FROM"
		  " (SELECT * FROM agents ORDER BY agent_id)"),
	    "ana=1 bo=1", "loads: Ana T1, Bo T2 (P.2 done)");
	TAP_STR(loads_kept(), "0", "every load is its agent's tickets");
	crm_store_commit(st, &e);
	crm_desk_close(d);
	crm_store_close(st);
	tap_rm_store(dir);
	return tap_done();
}
