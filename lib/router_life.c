/*
 * router_life: the changes of a ticket's life after its routing:
 * `update' and `close' (records held and applied in time order at the
 * end), the sweep, waiting tickets handed to agents with room, and for
 * each change its audit row and the customer's notification.  See
 * router.h; the rules of a change are lib/desk_tickets.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "desk_stats.h"
#include "filter.h"
#include "jw.h"
#include "norm.h"
#include "router_int.h"

static const char *const pnames[] = { "", "P1", "P2", "P3", "P4" };

int
crm_router_life_open(struct crm_router *r, struct crm_err *e)
{
	if ((r->rec = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (r->st == NULL)
		return 0;
	if ((r->notify = crm_notify_open(r->st, &r->o->notify, e)) == NULL)
		return -1;
	return 0;
}

void
crm_router_life_close(struct crm_router *r)
{
	crm_notify_free(r->notify);
	r->notify = NULL;
	free(r->held);
	r->held = NULL;
	crm_buf_release(&r->hold);
	crm_rec_free(r->rec);
	r->rec = NULL;
}

/* ==== What each change leaves behind ==== */

int
crm_router_notify(struct crm_router *r, const struct crm_desk_act *act,
    double when, struct crm_err *e)
{
	const char *state;
	char tpl[64];

	if (r->notify == NULL || act->customer == NULL || act->top == NULL)
		return 0;
	if (act->seen_to >= 0 && act->seen_to != act->seen_from)
		state = crm_tstate_name(act->seen_to);
	else if (act->progress)
		state = "progress";
	else
		return 0;
	snprintf(tpl, sizeof(tpl), "ticket-%s", state);
	return crm_notify_add(r->notify, act->customer, strlen(act->customer),
	    act->top, strlen(act->top), state, tpl, act->lang, when, e);
}

int
crm_router_acted(struct crm_router *r, const struct crm_desk_act *act,
    double when, const char *actor, const char *reason, struct crm_err *e)
{
	struct crm_jw w;
	char t[32];
	int bad;

	crm_buf_reset(&r->out);
	crm_jw_init(&w, &r->out);
	crm_jw_obj(&w);
	crm_jw_key(&w, "state");
	crm_jw_str(&w, crm_tstate_name(act->to));
	crm_jw_key(&w, "from");
	crm_jw_str(&w, crm_tstate_name(act->from));
	crm_jw_key(&w, "priority");
	crm_jw_str(&w, pnames[act->prio_to]);
	crm_jw_key(&w, "queue");
	act->queue != NULL ? crm_jw_str(&w, act->queue) : crm_jw_null(&w);
	crm_jw_key(&w, "assignee");
	act->agent != NULL ? crm_jw_str(&w, act->agent) : crm_jw_null(&w);
	crm_jw_key(&w, "sla_due");
	act->due[0] != '\0' ? crm_jw_str(&w, act->due) : crm_jw_null(&w);
	crm_jw_end(&w);
	bad = crm_jw_done(&w);
	crm_route_iso(when, t);
	crm_buf_reset(&r->json);
	crm_jw_init(&w, &r->json);
	crm_jw_obj(&w);
	crm_jw_key(&w, "time");
	crm_jw_str(&w, t);
	crm_jw_key(&w, "actor");
	actor != NULL ? crm_jw_str(&w, actor) : crm_jw_null(&w);
	crm_jw_key(&w, "reason");
	reason != NULL ? crm_jw_str(&w, reason) : crm_jw_null(&w);
	crm_jw_end(&w);
	if (bad | crm_jw_done(&w))
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (crm_audit_add(r->audit, act->ticket, strlen(act->ticket),
		act->customer, act->customer ? strlen(act->customer) : 0,
		r->out.p, r->out.len, 0, r->json.p, r->json.len, e) == -1)
		return -1;
	/* the parent's state, which followed */
	if (act->parent_to >= 0) {
		crm_buf_reset(&r->out);
		crm_jw_init(&w, &r->out);
		crm_jw_obj(&w);
		crm_jw_key(&w, "state");
		crm_jw_str(&w, crm_tstate_name(act->parent_to));
		crm_jw_key(&w, "from");
		crm_jw_str(&w, crm_tstate_name(act->parent_from));
		crm_jw_key(&w, "subtask");
		crm_jw_str(&w, act->ticket);
		crm_jw_end(&w);
		if (crm_jw_done(&w) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (crm_audit_add(r->audit, act->top, strlen(act->top),
			act->customer,
			act->customer ? strlen(act->customer) : 0, r->out.p,
			r->out.len, 0, r->json.p, r->json.len, e) == -1)
			return -1;
	}
	return crm_router_notify(r, act, when, e);
}

/* Put the ticket's fields after act into rec: previous_state and on. */
static int
put_act(struct crm_rec *rec, const struct crm_desk_act *act)
{
	const char *from = crm_tstate_name(act->from);
	const char *to = crm_tstate_name(act->to);
	int bad = 0;

	bad |= crm_rec_put(rec, "previous_state", from, strlen(from),
	    act->from >= 0 ? CRM_STRING : CRM_NULL);
	bad |= crm_rec_put(rec, "state", to, strlen(to), CRM_STRING);
	bad |= crm_rec_put(rec, "assignee", act->agent ? act->agent : "",
	    act->agent ? strlen(act->agent) : 0,
	    act->agent ? CRM_STRING : CRM_NULL);
	bad |=
	    crm_rec_put(rec, "priority", pnames[act->prio_to], 2, CRM_STRING);
	bad |= crm_rec_put(rec, "queue", act->queue ? act->queue : "",
	    act->queue ? strlen(act->queue) : 0,
	    act->queue ? CRM_STRING : CRM_NULL);
	bad |= crm_rec_put(rec, "sla_due", act->due, strlen(act->due),
	    act->due[0] ? CRM_STRING : CRM_NULL);
	return bad ? -1 : 0;
}

/* ==== update and close ==== */

/* Field name of rec as text, NULL when missing, null or empty. */
static const char *
given(const struct crm_rec *rec, const char *name, size_t *len)
{
	const char *v = crm_rec_text(rec, name, len);

	return v != NULL && *len > 0 ? v : NULL;
}

/*
 * The change rec asks for into c (pointing into rec): its ticket, state,
 * reply, agent, actor, note and time.  0, or -1 with e filled
 * (EX_DATAERR naming the field).
 */
static int
change_of(const struct crm_router *r, const struct crm_rec *rec,
    struct crm_desk_change *c, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	const char *v, *why;
	char iso[32];
	size_t len;
	long k;

	memset(c, 0, sizeof(*c));
	c->to = -1;
	if ((c->id = given(rec, o->id_field, &c->idlen)) == NULL) {
		crm_err_field(e, o->id_field, strlen(o->id_field));
		return crm_err_set(e, EX_DATAERR, "no ticket id");
	}
	if ((v = given(rec, "state", &len)) != NULL &&
	    (c->to = crm_tstate_parse(v, len)) < 0) {
		crm_err_field(e, "state", 5);
		return crm_err_set(e, EX_DATAERR, "'%.*s': want one of %s",
		    (int)(len > 40 ? 40 : len), v, CRM_TSTATE_NAMES);
	}
	if (o->verb == CRM_ROUTER_CLOSE) {
		if (c->to >= 0 && c->to != CRM_T_CLOSED) {
			crm_err_field(e, "state", 5);
			return crm_err_set(e, EX_DATAERR,
			    "'%.*s': close closes (use update)", (int)len, v);
		}
		c->to = CRM_T_CLOSED;
	}
	/* a reply: true, or its text; false, no, 0 or empty: none */
	k = crm_rec_find(rec, "reply", 5);
	if (k >= 0 && crm_rec_type(rec, (size_t)k) == CRM_TRUE)
		c->reply = 1;
	else if (k >= 0 && crm_rec_type(rec, (size_t)k) != CRM_FALSE &&
		 (v = given(rec, "reply", &len)) != NULL)
		c->reply = !(len == 5 && strncasecmp(v, "false", 5) == 0) &&
			   !(len == 2 && strncasecmp(v, "no", 2) == 0) &&
			   !(len == 1 && v[0] == '0');
	c->assignee = given(rec, "assignee", &c->alen);
	c->actor = crm_rec_text(rec, "actor", &len);
	if (c->actor != NULL && len == 0)
		c->actor = NULL;
	c->note = given(rec, "note", &c->nlen);
	c->time = o->now;
	if ((v = given(rec, o->time_field, &len)) != NULL && (c->timed = 1) &&
	    crm_norm_seconds(v, len, &c->time, &why) == -1) {
		crm_err_field(e, o->time_field, strlen(o->time_field));
		return crm_err_set(e, EX_DATAERR, "'%.*s': %s",
		    (int)(len > 40 ? 40 : len), v, why);
	}
	/* a time the store cannot keep (years 1 to 9999) is "" */
	crm_route_iso(c->time, iso);
	if (c->timed && iso[0] == '\0') {
		crm_err_field(e, o->time_field, strlen(o->time_field));
		return crm_err_set(e, EX_DATAERR,
		    "'%.*s': out of range (years 1 to 9999)",
		    (int)(len > 40 ? 40 : len), v);
	}
	if (c->to < 0 && !c->reply && c->assignee == NULL && c->note == NULL) {
		crm_err_field(e, "state", 5);
		return crm_err_set(e, EX_DATAERR,
		    "nothing to change: want a state, reply, assignee or note");
	}
	return 0;
}

int
crm_router_hold(struct crm_router *r, struct crm_rec *rec, struct crm_err *e)
{
	struct crm_desk_change c;
	struct held *h;
	const char *raw;
	size_t rawlen;

	if (change_of(r, rec, &c, e) == -1)
		return -1;
	if (r->nheld == r->capheld) {
		size_t cap = r->capheld ? 2 * r->capheld : 64;

		if ((h = crm_reallocarray(r->held, cap, sizeof(*h))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		r->held = h;
		r->capheld = cap;
	}
	h = &r->held[r->nheld];
	h->time = c.time;
	h->seq = r->nheld;
	h->file = crm_filter_input(r->f);
	h->off = r->hold.len;
	if (crm_rec_pack(rec, &r->hold) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	raw = crm_rec_raw(rec, &rawlen);
	h->rawoff = r->hold.len;
	h->rawlen = rawlen;
	if (crm_buf_add(&r->hold, raw, rawlen) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	/* the next packed record starts aligned as the first did */
	while (r->hold.len % sizeof(double) != 0)
		if (crm_buf_addc(&r->hold, '\0') == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	r->nheld++;
	return 1;
}

static int
by_time(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Apply held record h; 0, -1 to end the run (e filled). */
static int
apply_one(struct crm_router *r, const struct held *h, struct crm_err *e)
{
	struct crm_rec *rec = r->rec;
	struct crm_desk_change c;
	struct crm_desk_act act;
	int rc, applied;

	if (crm_rec_unpack(rec, r->hold.p + h->off) == 0 ||
	    crm_rec_set_raw(rec, r->hold.p + h->rawoff, h->rawlen) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_err_clear(e);
	if (change_of(r, rec, &c, e) == -1)
		return -1; /* it was read before: it cannot fail now */
	if (crm_audit_begin(r->audit, e) == -1)
		return -1;
	rc = crm_desk_change(r->desk, &c, &act, &applied, e);
	if (rc == CRM_DESK_FATAL || (rc == -1 && e->code != EX_DATAERR))
		return -1;
	if (rc == -1) {
		e->file = h->file != NULL ? h->file : "-";
		e->line = crm_rec_line(rec);
		return crm_filter_reject(r->f, rec, e);
	}
	if (applied) {
		r->n.changed++;
		r->n.closed += act.to == CRM_T_CLOSED && act.from != act.to;
		if (crm_router_acted(r, &act, c.time, c.actor,
			r->o->verb == CRM_ROUTER_CLOSE ? "closed" : "update",
			e) == -1)
			return -1;
	} else {
		r->n.again++;
	}
	if (r->o->verb == CRM_ROUTER_CLOSE)
		return 0;
	if (put_act(rec, &act) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_filter_emit(r->f, rec, e);
}

int
crm_router_apply(struct crm_router *r, struct crm_err *e)
{
	size_t i, n = r->nheld;

	/* a ticket's changes in the order they happened, then the input's */
	qsort(r->held, r->nheld, sizeof(*r->held), by_time);
	for (i = 0; i < n; i++)
		if (apply_one(r, &r->held[i], e) == -1)
			break;
	r->nheld = 0;
	crm_buf_reset(&r->hold);
	return i < n ? -1 : 0;
}

/* ==== The sweep ==== */

static const char *const actions[] = { "escalated", "raised", "assigned" };

/* The sweep's record of act: what it did to which ticket, and why. */
static int
sweep_record(struct crm_router *r, const struct crm_desk_act *act,
    const char *action, const char *reason, struct crm_err *e)
{
	struct crm_rec *rec = r->rec;
	char t[32];
	int bad = 0;

	crm_route_iso(r->o->now, t);
	crm_rec_clear(rec);
	bad |= crm_rec_add(rec, "time", 4, t, strlen(t), CRM_STRING);
	bad |= crm_rec_add(
	    rec, "ticket_id", 9, act->ticket, strlen(act->ticket), CRM_STRING);
	bad |= crm_rec_add(rec, "customer_id", 11,
	    act->customer ? act->customer : "",
	    act->customer ? strlen(act->customer) : 0,
	    act->customer ? CRM_STRING : CRM_NULL);
	bad |=
	    crm_rec_add(rec, "action", 6, action, strlen(action), CRM_STRING);
	bad |= put_act(rec, act);
	bad |=
	    crm_rec_add(rec, "reason", 6, reason, strlen(reason), CRM_STRING);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_filter_emit(r->f, rec, e);
}

/*
 * See to the tickets of list which, as crm_desk_sweep_one does, each in
 * a transaction of its own with its audit row; with out, a record of
 * each.  The number seen to, or -1.
 */
static long
see_to(
    struct crm_router *r, enum crm_desk_list which, int out, struct crm_err *e)
{
	const struct crm_router_opts *o = r->o;
	struct crm_strmap *ids = NULL;
	struct crm_desk_act act;
	const char *id, *action;
	char reason[128];
	size_t i, len;
	long n = 0;
	int rc;

	if (crm_audit_begin(r->audit, e) == -1)
		return -1;
	/* nobody has room: no waiting ticket can be given, however many */
	if (which == CRM_DESK_WAITING &&
	    (rc = crm_desk_any_room(r->desk, e)) <= 0)
		return rc;
	if (crm_desk_list(r->desk, which, o->now, (double)o->warn, &ids, e) ==
	    -1) {
		crm_strmap_free(ids);
		return -1;
	}
	for (i = 0; i < crm_strmap_count(ids); i++) {
		id = crm_strmap_name(ids, i, &len);
		if (crm_audit_begin(r->audit, e) == -1)
			goto fail;
		if (which == CRM_DESK_WAITING &&
		    (rc = crm_desk_any_room(r->desk, e)) <= 0) {
			if (rc == -1)
				goto fail;
			break;
		}
		if ((rc = crm_desk_sweep_one(r->desk, which, id, len, o->now,
			 o->senior_queue, &act, e)) == -1)
			goto fail;
		if (rc == 0)
			continue;
		n++;
		action = actions[which];
		switch (which) {
		case CRM_DESK_BREACHED:
			snprintf(reason, sizeof(reason),
			    "SLA breached at %s: to the %s queue", act.due,
			    o->senior_queue);
			r->n.breached++;
			break;
		case CRM_DESK_WARN:
			snprintf(reason, sizeof(reason),
			    "SLA due at %s, within %lds%s", act.due, o->warn,
			    act.assigned ? ": offered to an agent with room"
					 : "");
			if (act.prio_to == act.prio_from)
				action = "offered";
			r->n.raised += act.prio_to != act.prio_from;
			r->n.offered += (unsigned)act.assigned;
			break;
		default:
			snprintf(reason, sizeof(reason), "%s",
			    "an agent with the skill had room");
			r->n.drained++;
		}
		if (crm_router_acted(r, &act, o->now, "crm-route", reason, e) ==
			-1 ||
		    (out && sweep_record(r, &act, action, reason, e) == -1))
			goto fail;
	}
	crm_strmap_free(ids);
	return n;
fail:
	crm_strmap_free(ids);
	return -1;
}

int
crm_router_drain(struct crm_router *r, struct crm_err *e)
{
	return see_to(r, CRM_DESK_WAITING, 0, e) == -1 ? -1 : 0;
}

int
crm_router_sweep(struct crm_router *r, struct crm_err *e)
{
	/* breaches first, then what is about to breach, then the rest */
	if (see_to(r, CRM_DESK_BREACHED, 1, e) == -1 ||
	    see_to(r, CRM_DESK_WARN, 1, e) == -1 ||
	    see_to(r, CRM_DESK_WAITING, 1, e) == -1 ||
	    crm_audit_begin(r->audit, e) == -1 ||
	    crm_notify_release(r->notify, r->o->now, e) < 0)
		return -1;
	return 0;
}

/* ==== stats ==== */

int
crm_router_stats(
    const struct crm_router_opts *o, struct crm_buf *out, struct crm_err *e)
{
	struct crm_desk_stats st;
	struct crm_store *s;
	int rc;

	/* the bounds are read (and refused) by crm_desk_stats; no --until:
	 * the reference time */
	if ((s = crm_store_open(o->db, (int)o->busy_ms, e)) == NULL)
		return -1;
	rc = crm_desk_stats(s, o->since, o->until, &st, e);
	crm_store_close(s);
	if (rc == -1)
		return -1;
	if (crm_desk_stats_format(&st, o->json, out) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}
