/*
 * desk_int: what the files of the desk module share (desk.c: agents and
 * customers; desk_tickets.c: tickets and their events).  Not for other
 * modules.
 */
#ifndef CRM_DESK_INT_H
#define CRM_DESK_INT_H

#include <sqlite3.h>

#include "buf.h"
#include "desk.h"
#include "strmap.h"

/* desk.c's statements */
enum {
	S_AGENT_PUT,
	S_SKILLS_DEL,
	S_SKILL_ADD,
	S_SKILLS,
	S_PICK,
	S_PICK_ANY,
	S_LOAD_UP,
	S_LOAD_DOWN,
	S_AGENT_GET,
	S_HAS_SKILL,
	S_ROOM,
	S_CUSTOMER,
	S_EXTRA,
	S_VALUE,
	S_CHURN,
	S_TAGS,
	S_ORDER,
	S_N
};

/* desk_tickets.c's */
enum {
	T_GET,
	T_PUT,
	T_ADD,
	T_EVENT,
	T_DUP,
	T_CHILDREN,
	T_IS_PARENT,
	T_BREACHED,
	T_WARN,
	T_WAITING,
	T_N
};

struct crm_desk {
	struct crm_store *s;
	sqlite3_stmt *st[S_N];
	sqlite3_stmt *tt[T_N];
	struct crm_strmap *extra;  /* the keys of customers' extra JSON */
	enum crm_by by;		   /* the facts' mode, resolved */
	const struct crm_cal *cal; /* the SLA clock's hours, or NULL */
	long sla[5];		   /* seconds by priority, for a reopened one */
	struct crm_buf agent, top; /* what a crm_desk_act points into */
	struct crm_tk *tk, *par;   /* the ticket being changed, its parent */
	struct crm_strmap *full;   /* skills nobody with room has, this list */
};

int crm_desk_fail(struct crm_desk *d, struct crm_err *e, const char *what);
void crm_desk_bind(sqlite3_stmt *st, int i, const char *p, size_t len);
int crm_desk_run(
    struct crm_desk *d, sqlite3_stmt *st, struct crm_err *e, const char *what);

/*
 * The on-shift agent with room and skill[0..len) (NULL: any skill) into
 * out (empty when none); its load goes up.  0 or -1.
 */
int crm_desk_pick(struct crm_desk *d, const char *skill, size_t len,
    struct crm_buf *out, struct crm_err *e);

/*
 * Raise agent id's load when it has room: 1, 0 when it has none (or is
 * not known), -1 with e filled.  Lower it: 0 or -1.
 */
int crm_desk_load_up(
    struct crm_desk *d, const char *id, size_t len, struct crm_err *e);
int crm_desk_load_down(
    struct crm_desk *d, const char *id, size_t len, struct crm_err *e);

/* desk_tickets.c: prepare its statements, free its state. */
int crm_desk_tickets_open(struct crm_desk *d, struct crm_err *e);
void crm_desk_tickets_close(struct crm_desk *d);

#endif
