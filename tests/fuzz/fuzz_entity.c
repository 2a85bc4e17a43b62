/*
 * fuzz_entity: crm-intent --entities (lib/entity.c) over the input as a
 * message's text.  The first byte picks the reference day (the clock, or
 * a time of four forms) and whether the text before the first blank line
 * is a pattern file (the recognizers built from it: an input whose file
 * is refused must be refused as EX_DATAERR) or a product list.  The
 * entities must lie in the text, in order, without overlapping, their
 * code-point offsets those of their bytes, and the JSON written must read
 * back as as many records.  Valid UTF-8 only is given as text, as the
 * readers check it first; the rest must be refused.
 */
#include "fuzz.h"

#include <sysexits.h>

#include "buf.h"
#include "entity.h"
#include "norm.h"
#include "rec.h"

static const char *const times[] = { "2026-12-04", "2026-12-04T23:30:00Z",
	"2026-02-28T12:00:00", "1764806400", "bad" };

/* The built-in recognizers, made once (compiling them is the slow part). */
static struct crm_entity *builtin;

/* The records the JSON array json[0..len) reads back as, or -1. */
static long
records(const char *json, size_t len)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	struct crm_err e;
	long n = 0;
	FILE *fp;

	if (len == 2)
		return memcmp(json, "[]", 2) == 0 ? 0 : -1;
	if ((fp = fmemopen((void *)(uintptr_t)json, len, "r")) == NULL)
		return -1;
	r = crm_rec_new();
	if ((rd = crm_reader_open(fp, "fuzz", CRM_FMT_AUTO, &e)) == NULL)
		n = -1;
	while (n >= 0 && crm_reader_next(rd, r, &e) == 1)
		n++;
	crm_reader_close(rd);
	crm_rec_free(r);
	fclose(fp);
	return n;
}

static void
check(struct crm_entity *x, int day, const char *text, size_t len)
{
	const struct crm_entity_hit *h;
	struct crm_buf out;
	struct crm_err e;
	size_t n, i, bad, prev = 0;
	int rc;

	crm_err_clear(&e);
	if (day == 0)
		crm_entity_day_clock(x);
	else if (crm_entity_day(
		     x, times[day - 1], strlen(times[day - 1]), &e) == -1) {
		FUZZ_ASSERT(e.code == EX_DATAERR && day == 5);
		crm_entity_day_clock(x);
	}
	crm_buf_init(&out);
	rc = crm_entity_find(x, text, len, &out, &h, &n, &e);
	if (!crm_utf8_check(text, len, &bad)) {
		FUZZ_ASSERT(rc == -1 && e.code == EX_DATAERR);
		crm_buf_release(&out);
		return;
	}
	if (rc == -1) {
		/* a file's pattern past the match limit */
		FUZZ_ASSERT(e.code == EX_DATAERR && x != builtin);
		crm_buf_release(&out);
		return;
	}
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(h[i].bstart >= prev && h[i].bstart < h[i].bend &&
			    h[i].bend <= len);
		FUZZ_ASSERT(h[i].start == crm_utf8_count(text, h[i].bstart));
		FUZZ_ASSERT(h[i].end == crm_utf8_count(text, h[i].bend));
		FUZZ_ASSERT(h[i].type != NULL && *h[i].type != '\0');
		prev = h[i].bend;
	}
	FUZZ_ASSERT(out.len >= 2 && crm_utf8_check(out.p, out.len, NULL));
	FUZZ_ASSERT(records(out.p, out.len) == (long)n);
	crm_buf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_entity_opts o = { NULL, NULL, NULL };
	struct crm_entity *x;
	struct crm_err e;
	const char *text, *sep, *path;
	size_t len;
	int day, mode;

	if (size < 1)
		return 0;
	day = data[0] % 6;
	mode = data[0] / 6 % 3; /* built in, a pattern file, products */
	text = (const char *)data + 1;
	len = size - 1;
	crm_err_clear(&e);
	for (sep = text; sep + 1 < text + len; sep++)
		if (sep[0] == '\n' && sep[1] == '\n')
			break;
	if (mode == 0 || sep + 1 >= text + len) {
		if (builtin == NULL &&
		    (builtin = crm_entity_new(&o, &e)) == NULL)
			abort();
		check(builtin, day, text, len);
		return 0;
	}
	if ((path = fuzz_file((const uint8_t *)text, (size_t)(sep - text))) ==
	    NULL)
		return 0;
	if (mode == 1)
		o.patterns = path;
	else
		o.products = path;
	o.tz = "Asia/Shanghai";
	len -= (size_t)(sep + 2 - text);
	text = sep + 2;
	if ((x = crm_entity_new(&o, &e)) == NULL) {
		FUZZ_ASSERT(e.code == EX_DATAERR || e.code == EX_IOERR);
		return 0;
	}
	check(x, day, text, len);
	crm_entity_free(x);
	return 0;
}
