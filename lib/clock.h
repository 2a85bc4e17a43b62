/*
 * clock: the reference time of a run.  Every time crmkit writes to the
 * store (a model's created, an audit row, a tag, a cluster, a ticket, an
 * agent) and every "now" it computes with (a ticket's waiting time, its
 * SLA due time, SQLite's date('now') in a rule) is this time: the one
 * --as-of gave, else the clock.  Given once, it is the same for the whole
 * run, so a day run again with the same --as-of writes the same rows.
 */
#ifndef CRM_CLOCK_H
#define CRM_CLOCK_H

/*
 * Fix the reference time to s: a day YYYY-MM-DD (its midnight, UTC), an
 * ISO 8601 / RFC 3339 date-time (without a zone: UTC), or epoch seconds,
 * as crm_norm_seconds() reads them.  From then on SQLite's date and time
 * functions read 'now' as this time too, in every database opened after
 * this call.  Returns 0, or -1 with *why set (nothing changed).
 */
int crm_clock_set(const char *s, const char **why);

/* What crm_clock_set() takes, for a message after *why. */
#define CRM_CLOCK_WANT "want YYYY-MM-DD or an ISO 8601 time"

/* Whether crm_clock_set() fixed the time. */
int crm_clock_fixed(void);

/* The reference time in seconds since 1970-01-01T00:00:00Z. */
double crm_clock_now(void);

/* The reference time as YYYY-MM-DDTHH:MM:SSZ into buf (21 bytes). */
void crm_clock_iso(char buf[21]);

/* Its day, YYYY-MM-DD, into buf (11 bytes). */
void crm_clock_day(char buf[11]);

#endif
