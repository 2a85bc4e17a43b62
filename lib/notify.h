/*
 * notify: the notifications table, which this module owns: what the
 * customer is told of a ticket's progress, for the system that sends it
 * (mail, SMS, an app), one row per change the customer can see
 * (ticket.h, crm_tstate_visible).  A notification is
 *
 *   queued      to be sent now: written to the --notify file as well;
 *   deferred    made in the customer's quiet hours: sent when they end
 *               (send_after), by the next crm_notify_release (sweep);
 *   suppressed  the customer withdrew consent for the purpose: kept,
 *               with the reason, and never sent.
 *
 * The customer's time zone is the "tz" or "time_zone" key of its
 * customers.extra when that is a zone calendar.h knows, else the
 * options' zone; its language the "lang" or "language" key, else the
 * one given.  Every write happens inside the caller's transaction.
 */
#ifndef CRM_NOTIFY_H
#define CRM_NOTIFY_H

#include <stddef.h>

#include "erase.h"
#include "err.h"
#include "store.h"

struct crm_notify_opts {
	const char *out;     /* queued ones appended to it as JSONL, or NULL */
	const char *purpose; /* the consent purpose (ticket_updates) */
	int quiet_from;	     /* quiet hours, minutes after midnight; */
	int quiet_to;	     /* -1: none */
	const char *tz;	     /* a customer's zone when it has none (UTC) */
};

/* The defaults above. */
void crm_notify_opts_init(struct crm_notify_opts *o);

struct crm_notify;

/*
 * Notifications into store s (borrowed); o is borrowed too.  Consent is
 * checked as of the reference time (clock.h) when this is called.  NULL
 * with e filled: EX_USAGE when o->tz is not a zone calendar.h knows,
 * EX_CANTCREAT when o->out cannot be opened for appending, the store's
 * codes.
 */
struct crm_notify *crm_notify_open(
    struct crm_store *s, const struct crm_notify_opts *o, struct crm_err *e);

/* Flush and close the file; 0, or -1 with e filled (EX_IOERR). */
int crm_notify_close(struct crm_notify *n, struct crm_err *e);

/* Free (crm_notify_close first, or a failure to write goes unsaid). */
void crm_notify_free(struct crm_notify *n);

/*
 * A notification, at time now, that ticket (tlen bytes) of customer
 * (clen bytes; NULL: nobody to tell, nothing done) is now in state
 * (a visible state's name, or "progress" for a parent whose subtask was
 * done), with template, in the customer's language, else lang (the
 * ticket's), else "en".  Queued, deferred or suppressed as above, the
 * row's reason "consent withdrawn for PURPOSE" or "quiet hours in ZONE";
 * 0, or -1 with e filled.  A queued one is a line of the file:
 *
 *   {"id":7,"time":"2026-03-02T10:00:00Z","customer_id":"C1",
 *    "ticket_id":"T9","state":"solved","template":"ticket_solved",
 *    "lang":"de"}
 */
int crm_notify_add(struct crm_notify *n, const char *customer, size_t clen,
    const char *ticket, size_t tlen, const char *state, const char *template,
    const char *lang, double now, struct crm_err *e);

/*
 * The deferred notifications whose time to send came at or before now
 * become queued (and are written to the file, in send_after order, with
 * the time they were made), or suppressed when the customer has
 * withdrawn consent since.  The number queued, or -1 with e filled.
 */
long crm_notify_release(struct crm_notify *n, double now, struct crm_err *e);

struct crm_notify_counts {
	unsigned long long queued, deferred, suppressed, released;
};

void crm_notify_counts(const struct crm_notify *n, struct crm_notify_counts *c);

/* How a customer's notifications are erased (erase.h): deleted. */
extern const struct crm_erase_step crm_notify_erase[];

#endif
