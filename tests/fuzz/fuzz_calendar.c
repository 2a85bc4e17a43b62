/*
 * fuzz_calendar: the calendar file parser (crm_cal_parse in
 * lib/calendar.c) over the input as the file's text, then, for a
 * calendar it reads, business time at a few moments of 2026 (the weeks of
 * both daylight-saving changes in Europe and America): the next business
 * moment is not before the moment and no business time away; an hour
 * ahead and an hour back are an hour of business time away, or
 * HUGE_VAL when the calendar has none within its search; between is
 * antisymmetric.  The first 11 bytes are also tried as quiet hours
 * (crm_quiet_parse), which must end within two days in New York and not
 * be quiet at their end.
 */
#include "fuzz.h"

#include <math.h>
#include <sysexits.h>

#include "calendar.h"

/* 2026-03-08T06:30Z, 03-27T15:00Z, 03-29T00:45Z, 10-24T23:59:59Z */
static const double when[] = { 1772951400, 1774623600, 1774745100, 1792886399 };

static void
quiet(const uint8_t *data, size_t size)
{
	char s[12];
	int from, to;
	size_t i;

	if (size < 11)
		return;
	memcpy(s, data, 11);
	s[11] = '\0';
	if (crm_quiet_parse(s, &from, &to) == -1)
		return;
	FUZZ_ASSERT(
	    from >= 0 && from < 1440 && to >= 0 && to < 1440 && from != to);
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		double e = crm_quiet_end("America/New_York", from, to, when[i]);

		FUZZ_ASSERT(e >= when[i] && e <= when[i] + 49 * 3600);
		FUZZ_ASSERT(
		    crm_quiet_end("America/New_York", from, to, e) == e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_err e;
	struct crm_cal *c;
	double t, r, b;
	size_t i;

	quiet(data, size);
	crm_err_clear(&e);
	if ((c = crm_cal_parse((const char *)data, size, "fuzz", &e)) == NULL) {
		FUZZ_ASSERT(e.code == EX_DATAERR || e.code == EX_SOFTWARE);
		return 0;
	}
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		t = when[i];
		r = crm_cal_add(c, t, 0);
		FUZZ_ASSERT(r >= t);
		if (r < HUGE_VAL)
			FUZZ_ASSERT(crm_cal_between(c, t, r) == 0);
		r = crm_cal_add(c, t, 3600);
		if (r < HUGE_VAL) {
			FUZZ_ASSERT(r > t);
			FUZZ_ASSERT(crm_cal_between(c, t, r) == 3600);
			FUZZ_ASSERT(crm_cal_between(c, r, t) == -3600);
		}
		b = crm_cal_add(c, t, -3600);
		if (b > -HUGE_VAL) {
			FUZZ_ASSERT(b < t);
			FUZZ_ASSERT(crm_cal_between(c, b, t) == 3600);
		}
	}
	crm_cal_free(c);
	return 0;
}
