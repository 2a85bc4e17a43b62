/*
 * test_calendar: business time over a calendar (24x7 without one; Mon-Fri
 * 09:00-17:00 in Europe/Berlin across a weekend and both changes of
 * daylight saving time in 2026; holidays and holiday ranges; a lunch
 * break; counting back; add and between as inverses; a calendar that is
 * all holiday for longer than the search looks), the calendar file's
 * errors with their lines, the zones (names refused, local time, a gap
 * and an overlap, TZ put back), and quiet hours across midnight in
 * Asia/Shanghai and America/New_York.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "calendar.h"
#include "norm.h"
#include "route.h"
#include "tap.h"

/* An ISO time as seconds. */
static double
T(const char *iso)
{
	const char *why;
	double t = NAN;

	if (crm_norm_seconds(iso, strlen(iso), &t, &why) == -1)
		fprintf(stderr, "bad time in the test: %s\n", iso);
	return t;
}

/* Seconds as an ISO time, in one of a few static buffers. */
static const char *
iso(double t)
{
	static char buf[4][32];
	static int k;

	k = (k + 1) % 4;
	if (!isfinite(t))
		snprintf(buf[k], 32, "%s", t > 0 ? "inf" : "-inf");
	else
		crm_route_iso(t, buf[k]);
	return buf[k];
}

/* crm_cal_add(c, from, secs) is want, an ISO time */
#define ADD_IS(c, from, secs, want, ...) \
	TAP_STR(iso(crm_cal_add(c, T(from), secs)), want, __VA_ARGS__)

/* crm_cal_between(c, a, b) is want seconds */
#define BETWEEN_IS(c, a, b, want, ...) \
	TAP_OK(crm_cal_between(c, T(a), T(b)) == (want), __VA_ARGS__)

static struct crm_cal *
cal(const char *text)
{
	struct crm_err e;
	struct crm_cal *c;
	char msg[1200];

	crm_err_clear(&e);
	if ((c = crm_cal_parse(text, strlen(text), "test.cal", &e)) == NULL) {
		crm_err_format(&e, msg, sizeof(msg));
		printf("# calendar refused: %s\n", msg);
	}
	return c;
}

static const char berlin[] = "zone Europe/Berlin  # CET, CEST\n"
			     "mon-fri 09:00-17:00\n";

static void
test_none(void)
{
	double t = T("2026-03-28T12:00:00Z");

	TAP_OK(crm_cal_add(NULL, t, 3600) == t + 3600, "24x7: add");
	TAP_OK(crm_cal_add(NULL, t, -90) == t - 90, "24x7: back");
	TAP_OK(crm_cal_add(NULL, t, 0) == t, "24x7: 0 is now");
	TAP_OK(crm_cal_between(NULL, t, t + 7200) == 7200, "24x7: between");
	TAP_OK(crm_cal_between(NULL, t + 7200, t) == -7200, "24x7: between, "
							    "back");
}

static void
test_weekdays(void)
{
	struct crm_cal *c = cal(berlin);

	TAP_OK(c != NULL, "Mon-Fri 9-17 in Berlin read");
	if (c == NULL)
		return;
	/* Friday 16:00 CET + 2 h: Monday 10:00, which is CEST by then */
	ADD_IS(c, "2026-03-27T15:00:00Z", 7200, "2026-03-30T08:00:00Z",
	    "weekend and spring forward");
	/* Friday 16:00 CEST + 2 h: Monday 10:00 CET */
	ADD_IS(c, "2026-10-23T14:00:00Z", 7200, "2026-10-26T09:00:00Z",
	    "weekend and fall back");
	/* a whole week of business time is 5 x 8 hours, DST or not */
	BETWEEN_IS(c, "2026-03-23T00:00:00Z", "2026-03-30T00:00:00Z", 40 * 3600,
	    "the week before spring forward: 40 h");
	BETWEEN_IS(c, "2026-03-27T15:00:00Z", "2026-03-30T08:00:00Z", 7200,
	    "Friday 16:00 to Monday 10:00: 2 h");
	ADD_IS(c, "2026-03-28T10:00:00Z", 0, "2026-03-30T07:00:00Z",
	    "0 on a Saturday: Monday 09:00 CEST");
	ADD_IS(c, "2026-03-26T16:00:00Z", 0, "2026-03-27T08:00:00Z",
	    "0 at 17:00: the next morning");
	ADD_IS(c, "2026-03-26T10:00:00Z", 0, "2026-03-26T10:00:00Z",
	    "0 in business hours: itself");
	ADD_IS(c, "2026-03-26T08:00:00Z", 8 * 3600, "2026-03-26T16:00:00Z",
	    "a whole day ends at 17:00, not later");
	/* counting back */
	ADD_IS(c, "2026-03-30T08:00:00Z", -7200, "2026-03-27T15:00:00Z",
	    "Monday 10:00 less 2 h: Friday 16:00");
	ADD_IS(c, "2026-03-31T07:00:00Z", -8 * 3600, "2026-03-30T07:00:00Z",
	    "Tuesday 09:00 less 8 h: Monday 09:00");
	ADD_IS(c, "2026-10-26T09:00:00Z", -7200.5, "2026-10-23T13:59:59Z",
	    "a fraction of a second back");
	crm_cal_free(c);
}

/* Spans inside the hour the clocks skip or repeat. */
static void
test_dst_spans(void)
{
	struct crm_cal *c = cal("zone Europe/Berlin\nsun 01:00-05:00\n");

	TAP_OK(c != NULL, "Sunday 01:00-05:00 read");
	if (c == NULL)
		return;
	BETWEEN_IS(c, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", 3 * 3600,
	    "spring forward: 01:00-05:00 is 3 h");
	BETWEEN_IS(c, "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z", 5 * 3600,
	    "fall back: 01:00-05:00 is 5 h");
	BETWEEN_IS(c, "2026-03-20T00:00:00Z", "2026-03-23T00:00:00Z", 4 * 3600,
	    "an ordinary Sunday: 4 h");
	/* 01:00 CET is 00:00Z, 05:00 CEST 03:00Z */
	ADD_IS(c, "2026-03-29T00:00:00Z", 3 * 3600, "2026-03-29T03:00:00Z",
	    "spring forward: the span's end");
	crm_cal_free(c);
}

static void
test_holidays(void)
{
	struct crm_cal *c = cal("zone Europe/Berlin\n"
				"mon-fri 09:00-17:00\n"
				"holiday 2026-12-25\n"
				"holiday 2026-12-24..2026-12-31 # the office "
				"shuts\n"
				"holiday 2027-01-04 2027-01-05..2027-01-05\n");

	TAP_OK(c != NULL, "holidays read");
	if (c == NULL)
		return;
	/* Wednesday 23rd 16:00 + 2 h: Friday Jan 1st 10:00 */
	ADD_IS(c, "2026-12-23T15:00:00Z", 7200, "2027-01-01T09:00:00Z",
	    "over a holiday range");
	/* Friday Jan 1st 16:00 + 2 h: Wednesday the 6th 10:00 */
	ADD_IS(c, "2027-01-01T15:00:00Z", 7200, "2027-01-06T09:00:00Z",
	    "over a weekend and two holidays");
	ADD_IS(c, "2027-01-06T09:00:00Z", -7200, "2027-01-01T15:00:00Z",
	    "back over them");
	BETWEEN_IS(c, "2026-12-21T00:00:00Z", "2027-01-08T00:00:00Z",
	    6 * 8 * 3600, "three weeks with holidays: 6 working days");
	crm_cal_free(c);
}

static void
test_lunch(void)
{
	struct crm_cal *c = cal("zone Europe/Berlin\n"
				"mon-fri 13:00-17:00 09:00-12:00\n"
				"sat 10:00-14:00 # later lines win\n"
				"sat,sun 10:00-12:00 11:00-13:00\n");
	static const char *const pairs[][2] = {
		{ "2026-03-23T07:30:00Z", "2026-03-23T12:30:00Z" },
		{ "2026-03-23T10:59:59Z", "2026-03-24T09:17:00Z" },
		{ "2026-03-27T10:00:00Z", "2026-03-29T10:30:00Z" },
		{ "2026-03-20T00:00:00Z", "2026-04-03T15:00:00Z" },
		{ "2026-10-22T12:00:00Z", "2026-10-26T08:30:00Z" },
		{ "2026-03-23T07:30:00Z", "2026-03-23T11:00:00Z" },
		{ "2026-10-26T09:00:00Z", "2026-10-22T12:00:00Z" },
	};
	double a, b, x;
	size_t i;

	TAP_OK(c != NULL, "two spans a day read");
	if (c == NULL)
		return;
	/* Monday 11:00 CET + 2 h: 1 h before lunch, 1 h after */
	ADD_IS(c, "2026-03-23T10:00:00Z", 7200, "2026-03-23T13:00:00Z",
	    "over lunch");
	ADD_IS(c, "2026-03-23T11:00:00Z", 3600, "2026-03-23T13:00:00Z",
	    "from lunch: its end, then an hour");
	BETWEEN_IS(c, "2026-03-28T00:00:00Z", "2026-03-29T00:00:00Z", 3 * 3600,
	    "Saturday: the later line, its spans merged (10:00-13:00)");
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		a = T(pairs[i][0]);
		b = T(pairs[i][1]);
		x = crm_cal_between(c, a, b);
		TAP_STR(iso(crm_cal_add(c, a, x)), pairs[i][1],
		    "round trip %zu (%.0f s)", i, x);
	}
	/* b at a span's start: the earliest moment of its business time */
	a = T("2026-03-23T07:30:00Z");
	TAP_STR(iso(crm_cal_add(
		    c, a, crm_cal_between(c, a, T("2026-03-23T12:00:00Z")))),
	    "2026-03-23T11:00:00Z", "13:00 is as far as 12:00: 12:00");
	crm_cal_free(c);
}

/* A calendar with hours but none to use: the search ends. */
static void
test_all_holiday(void)
{
	struct crm_cal *c = cal("mon-fri 09:00-17:00\n"
				"holiday 2026-01-01..2199-12-31\n");
	double t = T("2026-06-01T00:00:00Z");

	TAP_OK(c != NULL, "174 years of holiday read");
	if (c == NULL)
		return;
	TAP_OK(crm_cal_add(c, t, 3600) == HUGE_VAL, "nothing within 100 years: "
						    "HUGE_VAL");
	TAP_OK(crm_cal_add(c, t, -3600) == T("2025-12-31T16:00:00Z"), "back: "
								      "the "
								      "last "
								      "hours "
								      "before "
								      "the "
								      "holida"
								      "y");
	TAP_OK(crm_cal_add(c, t, 1e15) == HUGE_VAL, "1e15 s ahead: HUGE_VAL");
	TAP_OK(crm_cal_between(c, t, T("2150-01-01T00:00:00Z")) == 0, "none "
								      "betwee"
								      "n");
	crm_cal_free(c);
	c = cal("mon 09:00-17:00\nholiday 2026-01-01..2100-12-31\n");
	TAP_STR(iso(crm_cal_add(c, t, 1)), "2101-01-03T09:00:01Z",
	    "75 years on: the first Monday after");
	crm_cal_free(c);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "mon-fri 09:00-17:00\nzone Mars/Olympus\n",
		    "x.cal:2: unknown time zone 'Mars/Olympus' (want a name of "
		    "the tz database, such as Europe/Berlin)" },
		{ "zone ../../etc/passwd\n", "x.cal:1: unknown time zone "
					     "'../../etc/passwd' (want a "
					     "name of the tz database, such as "
					     "Europe/Berlin)" },
		{ "\n# hours\nzone\n", "x.cal:3: zone: want one name, such as "
				       "Europe/Berlin" },
		{ "mon-fri 09:00-17:00\n\nholliday 2026-12-25\n",
		    "x.cal:3: unknown statement 'holliday' (want zone, "
		    "holiday, "
		    "or days such as mon-fri or sat,sun); did you mean "
		    "'holiday'?" },
		{ "mon-fry 09:00-17:00\n", "x.cal:1: unknown statement "
					   "'mon-fry' (want zone, holiday, "
					   "or days such as mon-fri or "
					   "sat,sun)" },
		{ "mon-fri 9-17\n", "x.cal:1: bad span '9-17' (want "
				    "HH:MM-HH:MM, 00:00 to "
				    "24:00)" },
		{ "mon-fri 09:00-17:00\nsat 14:00-10:00\n", "x.cal:2: span "
							    "'14:00-10:00' "
							    "ends before it "
							    "begins (a day "
							    "ends at 24:00)" },
		{ "mon-fri 24:00-24:00\n", "x.cal:1: bad span '24:00-24:00' "
					   "(want HH:MM-HH:MM, 00:00 "
					   "to 24:00)" },
		{ "sat\n", "x.cal:1: 'sat' has no hours (want HH:MM-HH:MM "
			   "after the days)" },
		{ "mon 09:00-17:00\nholiday 2026-02-30\n", "x.cal:2: holiday: "
							   "bad date "
							   "'2026-02-30' (want "
							   "YYYY-MM-DD "
							   "or "
							   "YYYY-MM-DD..YYYY-"
							   "MM-DD)" },
		{ "mon 09:00-17:00\nholiday 2026-12-31..2026-12-24\n",
		    "x.cal:2: holiday '2026-12-31..2026-12-24' ends before it "
		    "begins" },
		{ "mon 09:00-17:00\nholiday\n", "x.cal:2: holiday: want "
						"YYYY-MM-DD or "
						"YYYY-MM-DD..YYYY-MM-DD" },
		{ "zone UTC\nholiday 2026-12-25\n", "x.cal: no business hours "
						    "(want a line of days and "
						    "spans, "
						    "such as mon-fri "
						    "09:00-17:00)" },
		{ "", "x.cal: no business hours (want a line of days and "
		      "spans, such as mon-fri 09:00-17:00)" },
	};
	struct crm_err e;
	struct crm_cal *c;
	char msg[1200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		crm_err_clear(&e);
		c = crm_cal_parse(
		    cases[i].text, strlen(cases[i].text), "x.cal", &e);
		crm_err_format(&e, msg, sizeof(msg));
		TAP_OK(c == NULL && e.code == EX_DATAERR,
		    "bad calendar %zu refused", i);
		TAP_STR(msg, cases[i].want, "its message");
		crm_cal_free(c);
	}
	crm_err_clear(&e);
	c = crm_cal_read("/nonexistent/x.cal", &e);
	TAP_OK(c == NULL && e.code == EX_NOINPUT, "a missing file: %s", e.msg);
}

static void
test_zones(void)
{
	static const char *const bad[] = { "", "../etc/passwd",
		"Europe/../../etc/passwd", "/etc/passwd", "Europe", "zone.tab",
		"Nowhere/City", "Europe//Berlin", "Europe/Berlin/" };
	struct tm tm;
	size_t i;

	TAP_OK(crm_tz_ok("UTC") && crm_tz_ok("Europe/Berlin") &&
		   crm_tz_ok("America/Argentina/Buenos_Aires") &&
		   crm_tz_ok("Etc/GMT+5"),
	    "zones known");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TAP_OK(!crm_tz_ok(bad[i]), "'%s' is no zone", bad[i]);
	TAP_OK(crm_tz_local("Mars/Olympus", 0, &tm) == -1, "local time in an "
							   "unknown zone");
	TAP_OK(crm_tz_local("Europe/Berlin", T("2026-07-01T10:00:00Z"), &tm) ==
		       0 &&
		   tm.tm_hour == 12 && tm.tm_isdst == 1 &&
		   tm.tm_gmtoff == 7200 && tm.tm_wday == 3,
	    "Berlin in summer: 12:00 CEST, a Wednesday");
	TAP_OK(crm_tz_local(NULL, T("2026-07-01T10:00:00Z"), &tm) == 0 &&
		   tm.tm_hour == 10 && tm.tm_gmtoff == 0,
	    "NULL is UTC");
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 2;
	tm.tm_mday = 29;
	tm.tm_hour = 2;
	tm.tm_min = 30;
	TAP_STR(iso(crm_tz_utc("Europe/Berlin", &tm)), "2026-03-29T01:00:00Z",
	    "02:30 in the gap: the moment after it (03:00 CEST)");
	tm.tm_mon = 9;
	tm.tm_mday = 25;
	TAP_STR(iso(crm_tz_utc("Europe/Berlin", &tm)), "2026-10-25T00:30:00Z",
	    "02:30 in the overlap: the first (CEST)");
	tm.tm_hour = 3;
	tm.tm_min = 0;
	TAP_STR(iso(crm_tz_utc("Europe/Berlin", &tm)), "2026-10-25T02:00:00Z",
	    "03:00 after the overlap: CET");
	TAP_OK(isnan(crm_tz_utc("Mars/Olympus", &tm)), "unknown zone: NaN");
	/* TZ put back as it was, set or not */
	setenv("TZ", "America/New_York", 1);
	crm_tz_local("Asia/Tokyo", T("2031-01-01T00:00:00Z"), &tm);
	TAP_STR(getenv("TZ"), "America/New_York", "TZ put back");
	unsetenv("TZ");
	crm_tz_local("Asia/Tokyo", T("2032-01-01T00:00:00Z"), &tm);
	TAP_OK(getenv("TZ") == NULL, "TZ left unset");
}

static void
test_quiet(void)
{
	int from = -1, to = -1;

	TAP_OK(crm_quiet_parse("21:00-08:00", &from, &to) == 0 &&
		   from == 21 * 60 && to == 8 * 60,
	    "21:00-08:00");
	TAP_OK(crm_quiet_parse("22:00-24:00", &from, &to) == 0 &&
		   from == 22 * 60 && to == 0,
	    "22:00-24:00 ends at midnight");
	TAP_OK(crm_quiet_parse("25:00-08:00", &from, &to) == -1 &&
		   crm_quiet_parse("21:00", &from, &to) == -1 &&
		   crm_quiet_parse("21:00-21:00", &from, &to) == -1 &&
		   crm_quiet_parse("00:00-24:00", &from, &to) == -1 &&
		   crm_quiet_parse("21:00-08:00x", &from, &to) == -1,
	    "bad quiet hours refused");
	crm_quiet_parse("21:00-08:00", &from, &to);
	/* Shanghai is UTC+8 all year */
	TAP_STR(iso(crm_quiet_end(
		    "Asia/Shanghai", from, to, T("2026-06-01T14:00:00Z"))),
	    "2026-06-02T00:00:00Z", "Shanghai 22:00: quiet until 08:00");
	TAP_STR(iso(crm_quiet_end(
		    "Asia/Shanghai", from, to, T("2026-06-01T23:30:00Z"))),
	    "2026-06-02T00:00:00Z", "Shanghai 07:30: quiet until 08:00");
	TAP_STR(iso(crm_quiet_end(
		    "Asia/Shanghai", from, to, T("2026-06-01T05:00:00Z"))),
	    "2026-06-01T05:00:00Z", "Shanghai 13:00: not quiet");
	TAP_STR(iso(crm_quiet_end(
		    "Asia/Shanghai", from, to, T("2026-06-01T00:00:00Z"))),
	    "2026-06-01T00:00:00Z", "Shanghai 08:00: the end is not quiet");
	/* New York's clocks go forward in the quiet night of March 8th */
	TAP_STR(iso(crm_quiet_end(
		    "America/New_York", from, to, T("2026-03-08T02:00:00Z"))),
	    "2026-03-08T12:00:00Z", "New York 21:00 EST: until 08:00 EDT");
	TAP_STR(iso(crm_quiet_end(
		    "America/New_York", from, to, T("2026-11-01T01:30:00Z"))),
	    "2026-11-01T13:00:00Z", "New York 21:30 EDT: until 08:00 EST");
	/* the end 02:09 is skipped; 03:00 EDT is quiet again (from 02:20) */
	crm_quiet_parse("02:20-02:09", &from, &to);
	TAP_STR(iso(crm_quiet_end(
		    "America/New_York", from, to, T("2026-03-08T06:30:00Z"))),
	    "2026-03-09T06:09:00Z", "an end the clocks skip: the next one");
	crm_quiet_parse("21:00-08:00", &from, &to);
	TAP_STR(iso(crm_quiet_end(NULL, from, to, T("2026-06-01T23:00:00Z"))),
	    "2026-06-02T08:00:00Z", "UTC");
	TAP_STR(iso(crm_quiet_end(
		    "America/New_York", -1, -1, T("2026-03-08T02:00:00Z"))),
	    "2026-03-08T02:00:00Z", "no quiet hours");
}

int
main(void)
{
	test_none();
	test_weekdays();
	test_dst_spans();
	test_holidays();
	test_lunch();
	test_all_holiday();
	test_errors();
	test_zones();
	test_quiet();
	return tap_done();
}
