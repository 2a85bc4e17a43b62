/*
 * clock: the reference time of clock.h, and the SQLite VFS that makes
 * date('now') read it.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "norm.h"

static int fixed;
static double ref; /* the fixed time, seconds since the epoch */

/*
 * The default VFS with the time functions replaced: SQLite's 'now' is the
 * VFS's current time, so every connection opened after crm_clock_set()
 * (the store, a rule set's database) sees the reference time.
 */
static sqlite3_vfs vfs;

/* The Julian day number of 1970-01-01T00:00:00Z. */
#define UNIX_EPOCH_JD 2440587.5

static int
vfs_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	*out = ref / 86400.0 + UNIX_EPOCH_JD;
	return SQLITE_OK;
}

static int
vfs_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	/* milliseconds since the Julian epoch, as SQLite counts them */
	*out = (sqlite3_int64)llround(ref * 1000.0) +
	       (sqlite3_int64)(UNIX_EPOCH_JD * 86400000.0);
	return SQLITE_OK;
}

static int
use_vfs(void)
{
	sqlite3_vfs *base;

	if (vfs.zName != NULL)
		return 0;
	if (sqlite3_initialize() != SQLITE_OK ||
	    (base = sqlite3_vfs_find(NULL)) == NULL)
		return -1;
	vfs = *base;
	vfs.pNext = NULL;
	vfs.zName = "crm-clock";
	vfs.xCurrentTime = vfs_time;
	if (vfs.iVersion >= 2)
		vfs.xCurrentTimeInt64 = vfs_time64;
	if (sqlite3_vfs_register(&vfs, 1) != SQLITE_OK) {
		vfs.zName = NULL;
		return -1;
	}
	return 0;
}

int
crm_clock_set(const char *s, const char **why)
{
	double t;

	if (crm_norm_seconds(s, strlen(s), &t, why) == -1)
		return -1;
	/* stamps are whole seconds, years 0001 to 9999 */
	if (!(t >= -62135596800.0 && t < 253402300800.0)) {
		*why = "out of range";
		return -1;
	}
	if (use_vfs() == -1) {
		*why = "cannot set SQLite's clock";
		return -1;
	}
	ref = floor(t);
	fixed = 1;
	return 0;
}

int
crm_clock_fixed(void)
{
	return fixed;
}

double
crm_clock_now(void)
{
	return fixed ? ref : (double)time(NULL);
}

/* v (0 <= v < 10^n) in n decimal digits. */
static void
digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
crm_clock_iso(char buf[21])
{
	time_t t = (time_t)crm_clock_now();
	struct tm tm;
	char s[64];

	gmtime_r(&t, &tm);
	/* by hand: every stored row is stamped, and snprintf showed */
	if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		memcpy(buf, s, 20);
		buf[20] = '\0';
		return;
	}
	digits(buf, tm.tm_year + 1900, 4);
	buf[4] = '-';
	digits(buf + 5, tm.tm_mon + 1, 2);
	buf[7] = '-';
	digits(buf + 8, tm.tm_mday, 2);
	buf[10] = 'T';
	digits(buf + 11, tm.tm_hour, 2);
	buf[13] = ':';
	digits(buf + 14, tm.tm_min, 2);
	buf[16] = ':';
	digits(buf + 17, tm.tm_sec, 2);
	buf[19] = 'Z';
	buf[20] = '\0';
}

void
crm_clock_day(char buf[11])
{
	char iso[21];

	crm_clock_iso(iso);
	memcpy(buf, iso, 10);
	buf[10] = '\0';
}
