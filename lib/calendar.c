/*
 * calendar: business calendars, time zones and quiet hours (calendar.h).
 *
 * The zones are the C library's: a zone's UTC offset at an instant is
 * what localtime_r says under TZ=":zone".  Switching TZ makes glibc read
 * the zone's file again, some tens of microseconds, too slow for a
 * router that asks once a ticket, so the answers are cached: for a zone
 * and a UTC day, the offset at its start, the offset at its end and the
 * instant between at which it changed, if it did (found by bisection,
 * once).  Every later question about that day is answered from the
 * cache with no system call.  The cache assumes that a zone changes its
 * offset at most once a day, and at most once in any three days around
 * a local time it converts: no zone of the tz database (2025b) changed
 * its offset twice within three days since 1980.  Local time to UTC (zone_utc) is solved from
 * those offsets, as mktime does, with the gap and overlap rules of
 * calendar.h made explicit rather than left to the C library.
 *
 * A calendar keeps its spans as seconds after local midnight and its
 * holidays as local day numbers (days since 1970-01-01), merged into
 * sorted ranges; a day's spans become UTC instants through zone_utc, day
 * by day, so a span stays 09:00-17:00 on the clock across a change of
 * daylight saving time.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "calendar.h"
#include "suggest.h"

#define DAY	     86400
#define MAX_SPANS    32	   /* spans of one weekday */
#define HORIZON_DAYS 36525 /* crm_cal_add looks 100 years ahead */
#define ZONE_MAX     128   /* the longest zone name taken */
#define UTC_ID	     (-1)  /* the zone id of UTC, which needs no table */

/* Times the calendar functions take: years 1 to 9999. */
#define T_MIN (-62135596800.0)
#define T_MAX 253402300799.0

struct span {
	int from, to; /* seconds after local midnight, from < to */
};

struct holiday {
	long long from, to; /* local day numbers, inclusive */
};

struct crm_cal {
	int zone;			/* zone id (zone_id), UTC_ID */
	size_t nspan[7];		/* by tm_wday: 0 is Sunday */
	struct span span[7][MAX_SPANS]; /* sorted, not overlapping */
	struct holiday *hol;		/* sorted, merged */
	size_t nhol, holcap;
};

/* ==== Zones ==== */

/*
 * The zones known so far, by name: an open-addressed table that grows.
 * Only names that crm_tz_ok accepted enter it, so its size is bounded
 * by the files of the tz database.  A zone's id is its index in names.
 */
static char **names;   /* by id */
static size_t nnames;  /* ids in use */
static size_t namecap; /* names allocated */
static int *slot;      /* hash slot -> id + 1, 0 empty */
static size_t nslot;   /* a power of two, or 0 */

static uint64_t
hash_name(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The id of name (n bytes), or -1 when it is not in the table. */
static int
find_name(const char *name, size_t n)
{
	size_t i;
	int id;

	if (nslot == 0)
		return -1;
	for (i = hash_name(name, n) & (nslot - 1); (id = slot[i]) != 0;
	     i = (i + 1) & (nslot - 1))
		if (strlen(names[id - 1]) == n &&
		    memcmp(names[id - 1], name, n) == 0)
			return id - 1;
	return -1;
}

/* Enter name (n bytes); its id, or -1 when out of memory. */
static int
add_name(const char *name, size_t n)
{
	size_t i, k;
	char *copy;

	if ((nnames + 1) * 2 > nslot) {
		size_t ns = nslot ? nslot * 2 : 64;
		int *s = calloc(ns, sizeof(*s));

		if (s == NULL)
			return -1;
		for (k = 0; k < nnames; k++) {
			i = hash_name(names[k], strlen(names[k])) & (ns - 1);
			while (s[i] != 0)
				i = (i + 1) & (ns - 1);
			s[i] = (int)k + 1;
		}
		free(slot);
		slot = s;
		nslot = ns;
	}
	if (nnames == namecap) {
		size_t nc = namecap ? namecap * 2 : 32;
		char **p = crm_reallocarray(names, nc, sizeof(*p));

		if (p == NULL)
			return -1;
		names = p;
		namecap = nc;
	}
	if ((copy = strndup(name, n)) == NULL)
		return -1;
	names[nnames] = copy;
	for (i = hash_name(name, n) & (nslot - 1); slot[i] != 0;
	     i = (i + 1) & (nslot - 1))
		;
	slot[i] = (int)nnames + 1;
	return (int)nnames++;
}

/* Whether name (n bytes) is spelled as a zone may be (calendar.h). */
static int
zone_spelling(const char *name, size_t n)
{
	size_t i;

	if (n == 0 || n > ZONE_MAX || !isalpha((unsigned char)name[0]))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && ch != '/' && ch != '_' && ch != '-' &&
		    ch != '+')
			return 0;
		if (ch == '/' && i + 1 < n && name[i + 1] == '/')
			return 0;
	}
	return name[n - 1] != '/';
}

/* Whether the tz database has a zone file for name (n bytes). */
static int
zone_file(const char *name, size_t n)
{
	const char *dir = getenv("TZDIR");
	char path[4096], magic[4];
	struct stat st;
	FILE *fp;
	int ok;

	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%.*s", dir, (int)n,
		name) >= sizeof(path) ||
	    stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (fp = fopen(path, "rb")) == NULL)
		return 0;
	ok = fread(magic, 1, 4, fp) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(fp);
	return ok;
}

/*
 * The id of zone (n bytes): UTC_ID for UTC, else its index in the
 * table, entered on first use; -2 when it is no zone (or out of memory).
 */
static int
zone_id(const char *zone, size_t n)
{
	int id;

	if (zone == NULL || (n == 3 && memcmp(zone, "UTC", 3) == 0))
		return UTC_ID;
	if ((id = find_name(zone, n)) >= 0)
		return id;
	if (!zone_spelling(zone, n) || !zone_file(zone, n) ||
	    (id = add_name(zone, n)) < 0)
		return -2;
	return id;
}

int
crm_tz_ok(const char *zone)
{
	return zone != NULL && zone_id(zone, strlen(zone)) != -2;
}

/*
 * The C library's localtime_r in zone id: tz_enter sets TZ (the old value
 * into *old, to be freed by tz_leave, which puts it back).
 */
static int
tz_enter(int id, char **old)
{
	char tz[ZONE_MAX + 2];
	const char *cur = getenv("TZ");

	*old = NULL;
	if (cur != NULL && (*old = strdup(cur)) == NULL)
		return -1;
	snprintf(tz, sizeof(tz), ":%s", names[id]);
	if (setenv("TZ", tz, 1) == -1) {
		free(*old);
		*old = NULL;
		return -1;
	}
	tzset();
	return 0;
}

static void
tz_leave(char *old)
{
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

/* The offset and daylight flag at u in the zone entered, as one key. */
static long
libc_off(time_t u)
{
	struct tm tm;

	if (localtime_r(&u, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff * 2 + (tm.tm_isdst > 0);
}

/* A zone's offsets over one UTC day. */
struct day_off {
	long long day;	 /* UTC day number + 1; 0: empty */
	long key0, key1; /* libc_off at the day's start and end */
	double change;	 /* when key0 became key1; HUGE_VAL if it did not */
};

/*
 * Each zone's cache, by id, made on its first use: a day's entry is
 * slot day % DAYS_CACHED, so the days of a year and more never push each
 * other out (16 KiB a zone).
 */
#define DAYS_CACHED 512
static struct day_off **days_of; /* by id; grown with names */
static size_t ndays_of;

/* The cache entry of zone id for UTC day d, filled on a miss. */
static const struct day_off *
day_off(int id, long long d)
{
	static struct day_off none = { 0, 0, 0, HUGE_VAL };
	struct day_off *c;
	time_t lo, hi, mid;
	char *old;

	if ((size_t)id >= ndays_of) {
		size_t n = namecap;
		struct day_off **p = crm_reallocarray(days_of, n, sizeof(*p));

		if (p == NULL)
			return &none;
		memset(p + ndays_of, 0, (n - ndays_of) * sizeof(*p));
		days_of = p;
		ndays_of = n;
	}
	if (days_of[id] == NULL &&
	    (days_of[id] = calloc(DAYS_CACHED, sizeof(struct day_off))) == NULL)
		return &none;
	c = &days_of[id][(unsigned long long)d % DAYS_CACHED];
	if (c->day == d + 1)
		return c;
	c->day = d + 1;
	c->change = HUGE_VAL;
	lo = (time_t)(d * DAY);
	hi = lo + DAY - 1;
	if (tz_enter(id, &old) == -1) {
		c->day = 0;
		return &none;
	}
	c->key0 = libc_off(lo);
	c->key1 = libc_off(hi);
	/* a change in the day: bisect for its second */
	while (c->key0 != c->key1 && hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (libc_off(mid) == c->key0)
			lo = mid;
		else
			hi = mid;
	}
	if (c->key0 != c->key1)
		c->change = (double)hi;
	tz_leave(old);
	return c;
}

/* The offset key (seconds * 2 + daylight) of zone id at instant u. */
static long
off_key(int id, double u)
{
	const struct day_off *c;

	if (id == UTC_ID)
		return 0;
	c = day_off(id, (long long)floor(u / DAY));
	return u < c->change ? c->key0 : c->key1;
}

/* The offset in seconds, the key without its daylight bit. */
static double
off_at(int id, double u)
{
	long k = off_key(id, u);

	return (double)((k - (k & 1)) / 2);
}

/*
 * The moment local clock time w (seconds since 1970-01-01 as if the
 * clock were UTC) happens in zone id.  The offsets a day before and after
 * are those the clocks can have at w (one change at most in between): w
 * less either is a solution when that offset holds there.  Two: an
 * overlap, the first.  None: a gap, whose end is the change itself.
 */
static double
zone_utc(int id, double w)
{
	double oa, ob, ua, ub, d;
	int va, vb;

	if (id == UTC_ID)
		return w;
	oa = off_at(id, w - DAY);
	ob = off_at(id, w + DAY);
	ua = w - oa;
	ub = w - ob;
	va = off_at(id, ua) == oa;
	vb = off_at(id, ub) == ob;
	if (va && vb)
		return ua < ub ? ua : ub;
	if (va)
		return ua;
	if (vb)
		return ub;
	/* in the gap, the change lies between ub and ua */
	for (d = floor(ub / DAY); d <= floor(ua / DAY); d++) {
		const struct day_off *c = day_off(id, (long long)d);

		if (c->change < HUGE_VAL && c->change > ub && c->change <= ua)
			return c->change;
	}
	return ua;
}

/* Fill *tm with local clock time w, the offset and daylight of key. */
static int
wall_tm(double w, long key, struct tm *tm)
{
	time_t s = (time_t)floor(w);

	if (gmtime_r(&s, tm) == NULL)
		return -1;
	tm->tm_isdst = (int)(key & 1);
	tm->tm_gmtoff = (key - (key & 1)) / 2;
	return 0;
}

int
crm_tz_local(const char *zone, double t, struct tm *tm)
{
	int id = zone_id(zone, zone != NULL ? strlen(zone) : 0);
	long key;

	if (id == -2 || !(t >= T_MIN && t <= T_MAX))
		return -1;
	key = off_key(id, t);
	return wall_tm(t + (double)((key - (key & 1)) / 2), key, tm);
}

double
crm_tz_utc(const char *zone, const struct tm *tm)
{
	int id = zone_id(zone, zone != NULL ? strlen(zone) : 0);
	struct tm copy = *tm;
	time_t w;

	if (id == -2)
		return NAN;
	copy.tm_isdst = 0;
	w = timegm(&copy); /* fields out of range are carried, as mktime */
	return zone_utc(id, (double)w);
}

/* ==== Calendars ==== */

/* Seconds since 1970-01-01 of local day D's clock time sec. */
static double
wall(long long day, int sec)
{
	return (double)day * DAY + sec;
}

/* The local day number of instant t in c's zone. */
static long long
local_day(const struct crm_cal *c, double t)
{
	return (long long)floor((t + off_at(c->zone, t)) / DAY);
}

/* Day number d's weekday, 0 Sunday (1970-01-01 was a Thursday). */
static int
weekday(long long d)
{
	return (int)(((d + 4) % 7 + 7) % 7);
}

/* The index of the holiday range that holds day d, or -1. */
static long
holiday(const struct crm_cal *c, long long d)
{
	size_t lo = 0, hi = c->nhol, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->hol[mid].to < d)
			lo = mid + 1;
		else if (c->hol[mid].from > d)
			hi = mid;
		else
			return (long)mid;
	}
	return -1;
}

/* Span k of day d in UTC: [*s, *e). */
static void
span_utc(const struct crm_cal *c, long long d, int k, double *s, double *e)
{
	const struct span *sp = &c->span[weekday(d)][k];

	*s = zone_utc(c->zone, wall(d, sp->from));
	*e = zone_utc(c->zone, wall(d, sp->to));
}

/*
 * secs (>= 0) of business time from t, forward (dir 1) or back (-1).
 * Back is forward on the time line turned around: days and spans come
 * in reverse, a span [s, e) is [-e, -s), t is -t.
 */
static double
add_dir(const struct crm_cal *c, double t, double secs, int dir)
{
	long long d0 = local_day(c, t), d;
	double s, e, x;
	size_t k, n;
	long h;

	t *= dir;
	for (d = d0; (d - d0) * dir <= HORIZON_DAYS; d += dir) {
		if ((h = holiday(c, d)) >= 0) {
			d = dir > 0 ? c->hol[h].to : c->hol[h].from;
			continue;
		}
		n = c->nspan[weekday(d)];
		for (k = 0; k < n; k++) {
			span_utc(c, d, (int)(dir > 0 ? k : n - 1 - k), &s, &e);
			if (dir < 0) {
				x = s;
				s = -e;
				e = -x;
			}
			if (e <= t)
				continue;
			if (s < t)
				s = t;
			if (secs == 0)
				return dir * s;
			if (secs <= e - s)
				return dir * (s + secs);
			secs -= e - s;
		}
	}
	return dir * HUGE_VAL;
}

double
crm_cal_add(const struct crm_cal *c, double t, double secs)
{
	if (c == NULL)
		return t + secs;
	if (!(t >= T_MIN && t <= T_MAX) || isnan(secs))
		return t + secs;
	if (isinf(secs))
		return secs;
	return secs >= 0 ? add_dir(c, t, secs, 1) : add_dir(c, t, -secs, -1);
}

double
crm_cal_between(const struct crm_cal *c, double a, double b)
{
	long long d, last;
	double s, e, sum = 0;
	size_t k;
	long h;

	if (c == NULL || !(a >= T_MIN && a <= T_MAX) ||
	    !(b >= T_MIN && b <= T_MAX))
		return b - a;
	if (b < a)
		return -crm_cal_between(c, b, a);
	last = local_day(c, b);
	for (d = local_day(c, a); d <= last; d++) {
		if ((h = holiday(c, d)) >= 0) {
			d = c->hol[h].to;
			continue;
		}
		for (k = 0; k < c->nspan[weekday(d)]; k++) {
			span_utc(c, d, (int)k, &s, &e);
			if (s < a)
				s = a;
			if (e > b)
				e = b;
			if (e > s)
				sum += e - s;
		}
	}
	return sum;
}

void
crm_cal_free(struct crm_cal *c)
{
	if (c == NULL)
		return;
	free(c->hol);
	free(c);
}

/* ==== Reading a calendar ==== */

static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri",
	"sat" };

/* A word of a line, for a message: at most 40 bytes, ASCII shown. */
static const char *
shown(char *buf, size_t size, const char *w, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && j + 4 < size && i < 40; i++)
		buf[j++] = isprint((unsigned char)w[i]) ? w[i] : '?';
	if (i < n && j + 4 < size)
		buf[j++] = '.', buf[j++] = '.', buf[j++] = '.';
	buf[j] = '\0';
	return buf;
}

/* Two digits at s as a number, or -1. */
static int
two(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + s[1] - '0';
}

/* "HH:MM" (or "H:MM") at s[0..n) in minutes, 24:00 only if end; or -1. */
static int
hhmm(const char *s, size_t n, int end)
{
	int h, m;

	if (n == 4 && isdigit((unsigned char)s[0]) && s[1] == ':')
		h = s[0] - '0';
	else if (n == 5 && s[2] == ':')
		h = two(s);
	else
		return -1;
	m = two(s + n - 2);
	if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && (m || !end)))
		return -1;
	return h * 60 + m;
}

/* "HH:MM-HH:MM" into minutes; 0, or -1. */
static int
span_parse(const char *s, size_t n, int *from, int *to)
{
	const char *dash = memchr(s, '-', n);

	if (dash == NULL || (*from = hhmm(s, (size_t)(dash - s), 0)) < 0 ||
	    (*to = hhmm(dash + 1, n - (size_t)(dash - s) - 1, 1)) < 0)
		return -1;
	return 0;
}

int
crm_quiet_parse(const char *s, int *from, int *to)
{
	int f, t;

	if (s == NULL || span_parse(s, strlen(s), &f, &t) == -1 || f == t ||
	    (f == 0 && t == 1440))
		return -1;
	*from = f;
	*to = t % 1440;
	return 0;
}

/* The weekday named w[0..n) (ASCII case ignored), or -1. */
static int
day_named(const char *w, size_t n)
{
	int i;

	for (i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(w, days[i], 3) == 0)
			return i;
	return -1;
}

/* Days "mon-fri", "sat", "mon,wed,fri-sun" into a mask; -1 if not. */
static int
days_parse(const char *w, size_t n)
{
	const char *end = w + n, *comma, *dash;
	int mask = 0, a, b;

	while (w < end) {
		if ((comma = memchr(w, ',', (size_t)(end - w))) == NULL)
			comma = end;
		dash = memchr(w, '-', (size_t)(comma - w));
		if (dash == NULL) {
			if ((a = day_named(w, (size_t)(comma - w))) < 0)
				return -1;
			b = a;
		} else if ((a = day_named(w, (size_t)(dash - w))) < 0 ||
			   (b = day_named(
				dash + 1, (size_t)(comma - dash - 1))) < 0) {
			return -1;
		}
		/* a range may wrap: fri-mon is fri, sat, sun and mon */
		for (;; a = (a + 1) % 7) {
			mask |= 1 << a;
			if (a == b)
				break;
		}
		if (comma == end)
			break;
		w = comma + 1;
		if (w == end)
			return -1;
	}
	return mask;
}

/* "YYYY-MM-DD" at s[0..n) as a day number; 0, or -1. */
static int
date_parse(const char *s, size_t n, long long *day)
{
	struct tm tm;
	int y1, y2, mon, mday;
	time_t t;

	if (n != 10 || s[4] != '-' || s[7] != '-' || (y1 = two(s)) < 0 ||
	    (y2 = two(s + 2)) < 0 || (mon = two(s + 5)) < 1 || mon > 12 ||
	    (mday = two(s + 8)) < 1 || y1 * 100 + y2 < 1)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	t = timegm(&tm);
	/* timegm normalizes: the 31st of April comes back as May 1st */
	if (tm.tm_mday != mday || tm.tm_mon != mon - 1)
		return -1;
	*day = (long long)(t / DAY);
	return 0;
}

/* A parse in progress. */
struct parse {
	struct crm_cal *c;
	struct crm_err *e;
	char show[64];
	char hint[96];
};

static int
add_holiday(struct parse *p, long long from, long long to)
{
	struct crm_cal *c = p->c;

	if (c->nhol == c->holcap) {
		size_t nc = c->holcap ? c->holcap * 2 : 16;
		struct holiday *h = crm_reallocarray(c->hol, nc, sizeof(*h));

		if (h == NULL)
			return crm_err_set(p->e, EX_SOFTWARE, "out of memory");
		c->hol = h;
		c->holcap = nc;
	}
	c->hol[c->nhol].from = from;
	c->hol[c->nhol++].to = to;
	return 0;
}

/* "holiday DATE|DATE..DATE ..." */
static int
holiday_line(struct parse *p, const char *const *w, const size_t *n, size_t nw)
{
	long long a, b;
	const char *dots;
	size_t i;

	if (nw < 2)
		return crm_err_set(p->e, EX_DATAERR,
		    "holiday: want YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD");
	for (i = 1; i < nw; i++) {
		dots = n[i] == 22 ? w[i] + 10 : NULL;
		if (dots != NULL && memcmp(dots, "..", 2) == 0) {
			if (date_parse(w[i], 10, &a) == -1 ||
			    date_parse(dots + 2, 10, &b) == -1)
				goto bad;
			if (b < a)
				return crm_err_set(p->e, EX_DATAERR,
				    "holiday '%s' ends before it begins",
				    shown(
					p->show, sizeof(p->show), w[i], n[i]));
		} else if (date_parse(w[i], n[i], &a) == 0) {
			b = a;
		} else {
			goto bad;
		}
		if (add_holiday(p, a, b) == -1)
			return -1;
	}
	return 0;
bad:
	return crm_err_set(p->e, EX_DATAERR,
	    "holiday: bad date '%s' (want YYYY-MM-DD or "
	    "YYYY-MM-DD..YYYY-MM-DD)",
	    shown(p->show, sizeof(p->show), w[i], n[i]));
}

static int
span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->from != y->from ? (x->from > y->from) - (x->from < y->from)
				  : (x->to > y->to) - (x->to < y->to);
}

/* "DAYS SPAN ..." */
static int
days_line(
    struct parse *p, int mask, const char *const *w, const size_t *n, size_t nw)
{
	struct span sp[MAX_SPANS];
	size_t i, k = 0, d;
	int from, to;

	if (nw < 2)
		return crm_err_set(p->e, EX_DATAERR,
		    "'%s' has no hours (want HH:MM-HH:MM after the days)",
		    shown(p->show, sizeof(p->show), w[0], n[0]));
	if (nw - 1 > MAX_SPANS)
		return crm_err_set(p->e, EX_DATAERR,
		    "%zu spans in a day (at most %d)", nw - 1, MAX_SPANS);
	for (i = 1; i < nw; i++) {
		if (span_parse(w[i], n[i], &from, &to) == -1)
			return crm_err_set(p->e, EX_DATAERR,
			    "bad span '%s' (want HH:MM-HH:MM, 00:00 to 24:00)",
			    shown(p->show, sizeof(p->show), w[i], n[i]));
		if (to <= from)
			return crm_err_set(p->e, EX_DATAERR,
			    "span '%s' ends before it begins (a day ends at "
			    "24:00)",
			    shown(p->show, sizeof(p->show), w[i], n[i]));
		sp[i - 1].from = from * 60;
		sp[i - 1].to = to * 60;
	}
	/* overlapping or touching spans are one */
	qsort(sp, nw - 1, sizeof(sp[0]), span_cmp);
	for (i = 1; i < nw - 1; i++)
		if (sp[i].from <= sp[k].to) {
			if (sp[i].to > sp[k].to)
				sp[k].to = sp[i].to;
		} else {
			sp[++k] = sp[i];
		}
	for (d = 0; d < 7; d++)
		if (mask & (1 << d)) {
			memcpy(p->c->span[d], sp, (k + 1) * sizeof(sp[0]));
			p->c->nspan[d] = k + 1;
		}
	return 0;
}

/* One line's words w[0..nw) (a line with words; line number set). */
static int
statement(struct parse *p, const char *const *w, const size_t *n, size_t nw)
{
	static const char *const words[] = { "zone", "holiday", "sun", "mon",
		"tue", "wed", "thu", "fri", "sat" };
	int mask, id;

	if (n[0] == 4 && memcmp(w[0], "zone", 4) == 0) {
		if (nw != 2)
			return crm_err_set(p->e, EX_DATAERR,
			    "zone: want one name, such as Europe/Berlin");
		if ((id = zone_id(w[1], n[1])) == -2)
			return crm_err_set(p->e, EX_DATAERR,
			    "unknown time zone '%s' (want a name of the tz "
			    "database, such as Europe/Berlin)",
			    shown(p->show, sizeof(p->show), w[1], n[1]));
		p->c->zone = id;
		return 0;
	}
	if (n[0] == 7 && memcmp(w[0], "holiday", 7) == 0)
		return holiday_line(p, w, n, nw);
	if ((mask = days_parse(w[0], n[0])) > 0)
		return days_line(p, mask, w, n, nw);
	shown(p->show, sizeof(p->show), w[0], n[0]);
	crm_suggest_list_hint(p->hint, sizeof(p->hint), p->show, words,
	    sizeof(words) / sizeof(words[0]));
	return crm_err_set(p->e, EX_DATAERR,
	    "unknown statement '%s' (want zone, holiday, or days such as "
	    "mon-fri or sat,sun)%s",
	    p->show, p->hint);
}

static int
holiday_cmp(const void *a, const void *b)
{
	const struct holiday *x = a, *y = b;

	return (x->from > y->from) - (x->from < y->from);
}

/* Sort the holidays and merge those that overlap or touch. */
static void
merge_holidays(struct crm_cal *c)
{
	size_t i, k = 0;

	if (c->nhol == 0)
		return;
	qsort(c->hol, c->nhol, sizeof(c->hol[0]), holiday_cmp);
	for (i = 1; i < c->nhol; i++)
		if (c->hol[i].from <= c->hol[k].to + 1) {
			if (c->hol[i].to > c->hol[k].to)
				c->hol[k].to = c->hol[i].to;
		} else {
			c->hol[++k] = c->hol[i];
		}
	c->nhol = k + 1;
}

#define MAX_WORDS (MAX_SPANS + 2)

struct crm_cal *
crm_cal_parse(const char *text, size_t len, const char *name, struct crm_err *e)
{
	const char *end = text + len, *line = text, *nl, *q, *stop;
	const char *w[MAX_WORDS + 1];
	size_t n[MAX_WORDS + 1], nw, d;
	unsigned long lineno = 0;
	struct parse p;

	memset(&p, 0, sizeof(p));
	p.e = e;
	if ((p.c = calloc(1, sizeof(*p.c))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	p.c->zone = UTC_ID;
	e->file = name;
	for (; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		e->line = ++lineno;
		if ((stop = memchr(line, '#', (size_t)(nl - line))) == NULL)
			stop = nl;
		/* the words, blank-separated ('\r' of a CRLF file too) */
		for (nw = 0, q = line; q < stop;) {
			while (q < stop &&
			       (*q == ' ' || *q == '\t' || *q == '\r' ||
				   *q == '\v' || *q == '\f'))
				q++;
			if (q == stop)
				break;
			if (nw == MAX_WORDS) {
				crm_err_set(e, EX_DATAERR,
				    "too many words on a line (at most %d)",
				    MAX_WORDS);
				goto fail;
			}
			w[nw] = q;
			while (q < stop && *q != ' ' && *q != '\t' &&
			       *q != '\r' && *q != '\v' && *q != '\f')
				q++;
			n[nw] = (size_t)(q - w[nw]);
			nw++;
		}
		if (nw > 0 && statement(&p, w, n, nw) == -1)
			goto fail;
		if (nl == end)
			break;
	}
	e->line = 0;
	for (d = 0; d < 7 && p.c->nspan[d] == 0; d++)
		;
	if (d == 7) {
		crm_err_set(e, EX_DATAERR,
		    "no business hours (want a line of days and spans, such "
		    "as mon-fri 09:00-17:00)");
		goto fail;
	}
	merge_holidays(p.c);
	e->file = NULL;
	return p.c;
fail:
	crm_cal_free(p.c);
	return NULL;
}

struct crm_cal *
crm_cal_read(const char *path, struct crm_err *e)
{
	struct crm_cal *c;
	struct crm_buf b;
	char chunk[8192];
	size_t got;
	FILE *fp;
	int bad;

	if ((fp = fopen(path, "r")) == NULL) {
		crm_err_set(e, EX_NOINPUT, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	crm_buf_init(&b);
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (crm_buf_add(&b, chunk, got) == -1)
			break;
	bad = ferror(fp) ? errno : 0;
	if (got > 0) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		c = NULL;
	} else if (bad) {
		crm_err_set(
		    e, EX_IOERR, "cannot read '%s': %s", path, strerror(bad));
		c = NULL;
	} else {
		c = crm_cal_parse(b.p != NULL ? b.p : "", b.len, path, e);
	}
	fclose(fp);
	crm_buf_release(&b);
	return c;
}

/* ==== Quiet hours ==== */

/* The end of the quiet hours that hold t, or t; see crm_quiet_end. */
static double
quiet_end(int id, int from, int to, double t)
{
	double w, s, end, u;
	long long d;

	w = t + off_at(id, t);
	d = (long long)floor(w / DAY);
	s = w - (double)d * DAY;
	if (from < to) {
		if (s < from * 60 || s >= to * 60)
			return t;
		end = wall(d, to * 60);
	} else if (s >= from * 60) {
		end = wall(d + 1, to * 60);
	} else if (s < to * 60) {
		end = wall(d, to * 60);
	} else {
		return t;
	}
	u = zone_utc(id, end);
	return u > t ? u : t;
}

double
crm_quiet_end(const char *zone, int from, int to, double t)
{
	int id = zone_id(zone, zone != NULL ? strlen(zone) : 0), i;
	double end;

	if (from < 0 || to < 0 || from == to || !(t >= T_MIN && t <= T_MAX))
		return t;
	if (id == -2)
		id = UTC_ID;
	/*
	 * An end the clocks skip (02:09 on a night of 02:00 to 03:00) is
	 * the moment after the gap, which may be in the next night's
	 * quiet hours already (from 02:20): they go on.  Each turn moves
	 * a day at most, so two do.
	 */
	for (i = 0; i < 3; i++) {
		if ((end = quiet_end(id, from, to, t)) == t)
			break;
		t = end;
	}
	return t;
}
