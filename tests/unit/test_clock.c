/*
 * test_clock: the reference time of --as-of: the forms it takes (a day,
 * an ISO 8601 time with or without a zone, epoch seconds), what it refuses
 * (leaving the time as it was), its stamp and day, and SQLite's
 * date('now') reading it in a database opened afterwards.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap.h"

/* SQLite's answer to sql in a fresh in-memory database. */
static const char *
ask(const char *sql)
{
	static char out[64];
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return "cannot open";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

int
main(void)
{
	const char *why = NULL;
	char iso[21], day[11];
	double t;

	TAP_OK(!crm_clock_fixed(), "the clock until --as-of");
	t = crm_clock_now();
	TAP_OK(t >= (double)time(NULL) - 5 && t <= (double)time(NULL) + 5,
	    "the clock's time, unfixed");
	TAP_OK(crm_clock_set("2024-13-45", &why) == -1 && why != NULL,
	    "a day that is not one is refused (%s)", why ? why : "");
	TAP_OK(crm_clock_set("yesterday", &why) == -1, "a word is refused");
	TAP_OK(!crm_clock_fixed(), "a refused time leaves the clock");

	TAP_OK(crm_clock_set("2024-07-01", &why) == 0, "a day");
	crm_clock_iso(iso);
	TAP_STR(iso, "2024-07-01T00:00:00Z", "a day is its midnight, UTC");
	TAP_OK(crm_clock_fixed(), "fixed");
	TAP_STR(ask("SELECT datetime('now')"), "2024-07-01 00:00:00",
	    "SQLite's datetime('now') is the reference time");

	TAP_OK(crm_clock_set("2024-07-01T02:30:15+08:00", &why) == 0, "a time "
								      "with a "
								      "zone");
	crm_clock_iso(iso);
	TAP_STR(iso, "2024-06-30T18:30:15Z", "converted to UTC");
	crm_clock_day(day);
	TAP_STR(day, "2024-06-30", "its day is the UTC day");
	TAP_STR(ask("SELECT date('now')"), "2024-06-30",
	    "date('now') follows the new time");
	TAP_STR(ask("SELECT strftime('%s', 'now')"), "1719772215",
	    "strftime's %%s too");

	TAP_OK(crm_clock_set("2024-07-01 12:00:00.75", &why) == 0, "a time "
								   "without a "
								   "zone, with "
								   "a "
								   "fraction");
	crm_clock_iso(iso);
	TAP_STR(iso, "2024-07-01T12:00:00Z", "UTC, whole seconds");
	TAP_OK(crm_clock_now() == 1719835200.0, "the same in seconds");

	TAP_OK(crm_clock_set("1719835200", &why) == 0, "epoch seconds");
	crm_clock_iso(iso);
	TAP_STR(iso, "2024-07-01T12:00:00Z", "as the time they name");
	return tap_done();
}
