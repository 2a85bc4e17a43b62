/*
 * desk_stats: handling-time figures of the help desk, from the tickets
 * and ticket_events tables (lib/desk.c owns them; this reads): what
 * `crm-route stats' prints and crm-report shows.
 *
 * The tickets counted are the customer's: those with no parent (a
 * ticket split into subtasks counts once, as its parent), created in
 * [since, until).  Only events before until count: the figures are the
 * desk as it stood at until.  For each ticket:
 *
 *   first response  its created time to the first reply event (an
 *                   agent's, or the knowledge base's answer: a reply by
 *                   any actor but "customer") on it or on any of its
 *                   subtasks; of replies at the same second, the first
 *                   written, and the ticket's own before a subtask's;
 *                   by the knowledge base when that reply's actor is
 *                   "bot";
 *   resolution      its created time to the first event that left it
 *                   solved, or closed (a ticket closed straight from
 *                   open is resolved too); such a ticket counts as
 *                   solved;
 *   time in state   from each event to the next (every event's state
 *                   column is the ticket's state after it; events in
 *                   time order, those of the same second as written),
 *                   the last state counted up to until; before its
 *                   first event a ticket is new.  The mean of a state
 *                   is over the tickets that were in it, however
 *                   briefly (so every ticket counts for new);
 *   reopened        it has an event to state reopened;
 *   SLA             met or breached as the event that first left it
 *                   solved or closed says (reason "SLA met" or "SLA
 *                   breached (due T)", desk_tickets.c judging by the
 *                   due time of that moment); for an event without
 *                   one (a parent, a store before this): met when it
 *                   was first solved at or before its sla_due,
 *                   breached when solved after it, or not
 *                   solved and sla_due is before until with the clock
 *                   running (new, open, reopened at until), or
 *                   escalated for a breach by the sweep (an escalated
 *                   event whose reason begins "SLA breached", on it or
 *                   a subtask) whatever else; else neither (still in
 *                   time, or no sla_due).
 *
 * Of a ticket's row only created, sla_due (as it is now, not as it was
 * at until), parent_id and queue (a parent has none; only then are
 * subtasks looked for) are read: its status, solved and first_response
 * are today's, and the figures at an earlier until come from the events.
 */
#ifndef CRM_DESK_STATS_H
#define CRM_DESK_STATS_H

#include "buf.h"
#include "err.h"
#include "store.h"
#include "ticket.h"

struct crm_desk_stats {
	unsigned long long tickets; /* counted, as above */
	unsigned long long split;   /* of them, parents of subtasks */
	unsigned long long by_bot;  /* first answered by the knowledge base */
	unsigned long long responded, solved, closed, reopened;
	unsigned long long sla_met, sla_breached;
	unsigned long long now_in[CRM_T_N]; /* in each state at until */
	/* seconds; NAN when no ticket has one */
	double first_response_median, first_response_p90;
	double resolution_median, resolution_p90;
	double time_in[CRM_T_N]; /* mean seconds a ticket spent in each */
	double reopen_rate;	 /* reopened / solved; NAN when none solved */
};

/*
 * The figures of store s for tickets created in [since, until): bounds
 * as crm_norm_seconds() reads them (YYYY-MM-DD for its midnight UTC, an
 * ISO 8601 time, epoch seconds), compared to the store's times to the
 * second; since NULL: from the first; until NULL: the run's reference
 * time (clock.h).  0, or -1 with e filled: EX_USAGE when a bound is not
 * a time, else the store's codes.
 */
int crm_desk_stats(struct crm_store *s, const char *since, const char *until,
    struct crm_desk_stats *st, struct crm_err *e);

/*
 * The figures as one line of key=value pairs, as every eval prints
 * (durations in hours with 2 decimals, rates with 3), or with json as
 * one JSON object; appended to out with its newline.  0, or -1 when out
 * of memory.
 */
int crm_desk_stats_format(
    const struct crm_desk_stats *st, int json, struct crm_buf *out);

#endif
