/*
 * calendar: time as a helpdesk counts it.  A business calendar (hours
 * per weekday, holidays, a time zone) over which an SLA clock runs;
 * local time in any IANA time zone (the customer's, for quiet hours);
 * and quiet hours, a daily span in which nobody is sent anything.
 *
 * Times are seconds since 1970-01-01T00:00:00Z as doubles, as clock.h
 * and norm.h have them.  Zones are the system's tz database (tzdata,
 * $TZDIR or /usr/share/zoneinfo) read through the C library's
 * localtime_r and mktime; nothing here is thread-safe (the zone is the
 * process's TZ while a call runs, and put back after).
 *
 * A calendar file is text, one statement a line, '#' to the end of a
 * line a comment:
 *
 *   zone Europe/Berlin          # the zone its hours are in (UTC)
 *   mon-fri 09:00-17:00         # days: mon ... sun, a range a-b, or a
 *   sat 10:00-13:00 14:00-16:00 #   list a,b; one or more spans, 24:00
 *   holiday 2026-12-25          #   ends a day; a day not named is shut
 *   holiday 2026-12-24..2026-12-31
 *
 * A day named twice takes the later line's spans; spans that overlap
 * or touch are one; at most 32 a day.  Day names ignore ASCII case; a
 * range wraps (fri-mon).  The last zone line counts.  A calendar with
 * no business hours at all is refused.
 *
 * Zone names are a cache's keys: each zone and UTC day is asked of the
 * C library once (TZ set, tzset, localtime_r, TZ put back), so repeated
 * calls cost no system call.
 */
#ifndef CRM_CALENDAR_H
#define CRM_CALENDAR_H

#include <stddef.h>
#include <time.h>

#include "err.h"

struct crm_cal;

/*
 * Read the calendar file path.  NULL with e filled: EX_NOINPUT when it
 * cannot be opened, EX_DATAERR with e->file and e->line for a bad line
 * (an unknown zone named as such), EX_SOFTWARE when out of memory.
 */
struct crm_cal *crm_cal_read(const char *path, struct crm_err *e);

/* The same from text[0..len), named name in messages (fuzzers, tests). */
struct crm_cal *crm_cal_parse(
    const char *text, size_t len, const char *name, struct crm_err *e);

void crm_cal_free(struct crm_cal *c);

/*
 * The moment secs seconds of business time after t: the earliest one
 * (a day's last hour ends at 17:00, not at the next day's 09:00); t
 * itself moved to the next business moment when secs is 0; t + secs when
 * c is NULL (every hour counts).  secs < 0 counts back (the latest
 * moment).  The search looks 100 years (of calendar days) ahead or back
 * and stops: HUGE_VAL (-HUGE_VAL back) when the business time is not
 * there, as with a calendar that is all holiday for longer.  Each day
 * costs a few cached offset lookups; a run of holidays is one step.
 * t outside the years 1 to 9999 (or not finite) is taken as c NULL.
 */
double crm_cal_add(const struct crm_cal *c, double t, double secs);

/*
 * The business seconds from a to b, negative when b is before a; b - a
 * when c is NULL.  crm_cal_add(c, a, crm_cal_between(c, a, b)) is b
 * when b is in business hours and not at the start of a span that
 * follows business time (13:00 after a lunch break, Monday 09:00), for
 * which it is the earliest moment with as much business time (12:00,
 * Friday 17:00).  Its cost grows with the days from a to b.
 */
double crm_cal_between(const struct crm_cal *c, double a, double b);

/*
 * Whether zone is a time zone of the tz database ("UTC" always is):
 * a name of letters, digits, '/', '_', '-', '+' with no "..", whose
 * file is there.
 */
int crm_tz_ok(const char *zone);

/*
 * t as local time in zone (NULL: UTC) into *tm, its tm_gmtoff and
 * tm_isdst the zone's (tm_zone is not); 0, or -1 when the zone is not
 * known or t is outside the years 1 to 9999.
 */
int crm_tz_local(const char *zone, double t, struct tm *tm);

/*
 * The moment the clocks of zone show *tm (its tm_isdst ignored, fields
 * out of range carried as mktime does); in a daylight-saving gap, the
 * moment after it (02:30 on a night the clocks skip 02:00 to 03:00 is
 * 03:00); in an overlap, the first.  NaN when zone is not known.
 */
double crm_tz_utc(const char *zone, const struct tm *tm);

/*
 * Quiet hours "HH:MM-HH:MM" into minutes after midnight; from > to spans
 * midnight (21:00-08:00).  0, or -1 when s is not that.
 */
int crm_quiet_parse(const char *s, int *from, int *to);

/*
 * t when it is not in the quiet hours [from, to) of zone's clocks (NULL,
 * or a zone not known: UTC), else the moment they end; t as well when
 * from or to is -1 (no quiet hours).
 */
double crm_quiet_end(const char *zone, int from, int to, double t);

#endif
