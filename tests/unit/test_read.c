/*
 * test_read: the record reader on inputs that split lines, CRLFs, quotes
 * and multi-line records at every position, read 1 byte at a time up to
 * the whole input at once, and the limit on record length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "rec.h"
#include "rec_int.h"
#include "tap.h"

/*
 * Read all of in and describe what came out, one line a record:
 * "LINE:name=value|name=value" or "LINE!reason" for a rejected record.
 */
static void
describe(const char *in, enum crm_format fmt, size_t max, struct crm_buf *out)
{
	FILE *fp = fmemopen((void *)in, strlen(in), "r");
	struct crm_err e;
	struct crm_reader *rd;
	struct crm_rec *r = crm_rec_new();
	size_t i, len;
	const char *s;
	int rc;

	crm_buf_reset(out);
	if ((rd = crm_reader_open(fp, "t", fmt, &e)) == NULL) {
		crm_buf_addf(out, "open!%s\n", e.msg);
		goto out;
	}
	if (max > 0)
		crm_reader_set_max(rd, max);
	while ((rc = crm_reader_next(rd, r, &e)) != 0) {
		if (rc == -1) {
			s = crm_rec_raw(r, &len);
			crm_buf_addf(
			    out, "%lu!%s [%.*s]\n", e.line, e.msg, (int)len, s);
			if (e.code != EX_DATAERR)
				break;
			continue;
		}
		crm_buf_addf(out, "%lu:", crm_rec_line(r));
		for (i = 0; i < crm_rec_count(r); i++) {
			s = crm_rec_name(r, i, &len);
			crm_buf_addf(out, "%s%.*s=", i ? "|" : "", (int)len, s);
			s = crm_rec_value(r, i, &len);
			crm_buf_addf(out, "%.*s", (int)len, s);
			if (crm_rec_type(r, i) != CRM_STRING)
				crm_buf_addf(
				    out, "(%d)", (int)crm_rec_type(r, i));
		}
		crm_buf_addc(out, '\n');
	}
	crm_reader_close(rd);
out:
	crm_rec_free(r);
	fclose(fp);
}

static const struct {
	const char *what;
	enum crm_format fmt;
	const char *in;
	const char *want;
} cases[] = {
	{ "CSV, LF", CRM_FMT_AUTO, "a,b\n1,2\n3,4\n",
	    "2:a=1|b=2\n3:a=3|b=4\n" },
	{ "CSV, CRLF and no final newline", CRM_FMT_AUTO, "a,b\r\n1,2\r\n3,4",
	    "2:a=1|b=2\n3:a=3|b=4\n" },
	{ "CSV, lone CR", CRM_FMT_AUTO, "a,b\r1,2\r3,4\r",
	    "2:a=1|b=2\n3:a=3|b=4\n" },
	{ "CSV, BOM, blank lines, spaces kept", CRM_FMT_AUTO,
	    "\xef\xbb\xbf"
	    "a,b\n\n 1 , 2\n\n",
	    "3:a= 1 |b= 2\n" },
	{ "CSV, quotes, commas, line breaks in fields", CRM_FMT_AUTO,
	    "a,b\n\"x,\"\"y\"\"\",\"l1\r\nl2\nl3\"\n5,6\n",
	    "2:a=x,\"y\"|b=l1\r\nl2\nl3\n5:a=5|b=6\n" },
	{ "CSV, wrong field counts", CRM_FMT_AUTO, "a,b\n1\n1,2,3\n4,5\n",
	    "2!expected 2 fields, found 1 [1]\n"
	    "3!expected 2 fields, found 3 [1,2,3]\n4:a=4|b=5\n" },
	{ "CSV, unterminated quote rejects one line", CRM_FMT_AUTO,
	    "a,b\n1,\"open\n2,x\n3,y\n",
	    "2!unterminated quoted field [1,\"open]\n3:a=2|b=x\n4:a=3|b=y\n" },
	{ "CSV, quote inside an unquoted field is a character", CRM_FMT_AUTO,
	    "a,b\n1,5'11\"\n2,z\n", "2:a=1|b=5'11\"\n3:a=2|b=z\n" },
	{ "CSV, a header whose quote never ends", CRM_FMT_CSV, "\"\ne",
	    "open!bad header: unterminated quoted field\n" },
	{ "CSV, text after a closing quote", CRM_FMT_AUTO,
	    "a,b\n1,\"x\"y\n2,z\n",
	    "2!malformed quoting [1,\"x\"y]\n3:a=2|b=z\n" },
	{ "CSV, invalid UTF-8 names its field", CRM_FMT_AUTO,
	    "a,b\n1,\xc3\x28\n2,\xc3\xa9\n",
	    "2!invalid UTF-8 at byte 1 (0xC3); give --encoding NAME if the "
	    "file "
	    "is not UTF-8 [1,\xc3\x28]\n3:a=2|b=\xc3\xa9\n" },
	{ "CSV, duplicate header", CRM_FMT_AUTO, "a,b,a\n1,2,3\n",
	    "open!bad header: duplicate name (fields 1 and 3)\n" },
	{ "CSV, empty header name", CRM_FMT_AUTO, "a,,c\n1,2,3\n",
	    "open!bad header: field 2 has no name\n" },
	{ "empty input", CRM_FMT_AUTO, "", "" },
	{ "TSV, escapes", CRM_FMT_AUTO, "a\tb\nx\\ty\tl1\\nl2\\\\\n",
	    "2:a=x\ty|b=l1\nl2\\\n" },
	{ "JSONL, types kept", CRM_FMT_AUTO,
	    "{\"s\":\"x\\u00e9\\n\",\"n\":1.10,\"b\":12345678901234567890,"
	    "\"t\":true,\"f\":false,\"z\":null,\"o\":{\"k\": [1, 2]}}\n",
	    "1:s=x\xc3\xa9\n|n=1.10(3)|b=12345678901234567890(3)|t=(2)|f=(1)|"
	    "z=(0)|o={\"k\": [1, 2]}(5)\n" },
	{ "JSONL, object over lines, bad line between", CRM_FMT_AUTO,
	    "{\"a\":\n 1}\n{\"a\":2,}\n\n{\"a\":\"}\"}\n",
	    "1:a=1(3)\n3!bad JSON: expected member name at byte 8 "
	    "[{\"a\":2,}]\n5:a=}\n" },
	{ "JSONL, unbalanced brace rejects one line", CRM_FMT_AUTO,
	    "{\"a\":[1\n{\"a\":2}\n",
	    "1!bad JSON: unterminated object [{\"a\":[1]\n2:a=2(3)\n" },
	{ "JSONL, not an object", CRM_FMT_JSONL, "[1]\n\"x\"\n{}\n",
	    "1!bad JSON: record is not a JSON object at byte 1 [[1]]\n"
	    "2!bad JSON: record is not a JSON object at byte 1 [\"x\"]\n3:\n" },
	{ "JSONL, repeated key keeps its place", CRM_FMT_JSONL,
	    "{\"a\":1,\"b\":2,\"a\":3}\n", "1:a=3(3)|b=2(3)\n" },
};

int
main(void)
{
	struct crm_buf got, whole;
	size_t i, n, len;
	int same;

	crm_buf_init(&got);
	crm_buf_init(&whole);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		crm_read_set_chunk(0);
		describe(cases[i].in, cases[i].fmt, 0, &whole);
		TAP_STR(
		    whole.p ? whole.p : "", cases[i].want, "%s", cases[i].what);
		/* The same result at every read size. */
		same = 1;
		for (n = 1; n <= len && same; n++) {
			crm_read_set_chunk(n);
			describe(cases[i].in, cases[i].fmt, 0, &got);
			if (strcmp(got.p ? got.p : "", whole.p ? whole.p : ""))
				same = 0;
		}
		TAP_OK(same, "%s: same at every read size (failed at %zu)",
		    cases[i].what, same ? 0 : n - 1);
	}
	crm_read_set_chunk(0);

	/* Over the record limit: rejected, cut, and the next one is read. */
	describe("a,b\n1,0123456789012345678901234567890123456789\n2,x\n",
	    CRM_FMT_CSV, 20, &got);
	TAP_STR(got.p,
	    "2!line longer than 20 bytes (raw text cut short) "
	    "[1,0123456789012345678]\n"
	    "3:a=2|b=x\n",
	    "an over-long line is rejected and reading goes on");
	describe("a,b\n1,\"open\n2,x\n3,y\n4,z\n", CRM_FMT_CSV, 12, &got);
	TAP_STR(got.p,
	    "2!record too long (unterminated quote?) [1,\"open]\n"
	    "3:a=2|b=x\n4:a=3|b=y\n5:a=4|b=z\n",
	    "an open quote past the limit gives up one line");

	/*
	 * Many members: past the first few a hash index finds a repeated
	 * name; the field limit fails the record at the first member too
	 * many, naming the limit, and the next line is read.
	 */
	crm_buf_reset(&whole);
	crm_buf_addc(&whole, '{');
	for (i = 0; i < 200; i++)
		crm_buf_addf(&whole, "\"k%zu\":%zu,", i, i);
	crm_buf_addf(&whole, "\"k7\":\"x\",\"k150\":null,\"k199\":0}\n");
	describe(whole.p, CRM_FMT_JSONL, 0, &got);
	TAP_OK(strstr(got.p, "|k6=6(3)|k7=x|k8=8(3)|") &&
		   strstr(got.p, "|k150=(0)|") &&
		   strstr(got.p, "|k199=0(3)\n") && !strstr(got.p, "|k200"),
	    "200 members: repeated names keep their place, last value wins");
	crm_buf_reset(&whole);
	crm_buf_addc(&whole, '{');
	for (i = 0; i < CRM_MAX_FIELDS; i++)
		crm_buf_addf(&whole, "\"k%zu\":1,\"k0\":2,", i);
	crm_buf_addf(&whole, "\"k0\":3}\n{\"a\":1}\n");
	describe(whole.p, CRM_FMT_JSONL, 0, &got);
	TAP_OK(strstr(got.p, "\n2:a=1(3)\n") &&
		   strncmp(got.p, "1:k0=3(3)|k1=1(3)|", 18) == 0,
	    "%d fields with repeats: all kept", CRM_MAX_FIELDS);
	crm_buf_reset(&whole);
	crm_buf_addc(&whole, '{');
	for (i = 0; i <= CRM_MAX_FIELDS; i++)
		crm_buf_addf(&whole, "\"k%zu\":1,", i);
	crm_buf_addf(&whole, "\"bad\" x}\n{\"a\":1}\n");
	describe(whole.p, CRM_FMT_JSONL, 0, &got);
	TAP_OK(
	    strncmp(got.p, "1!more than 10000 fields [{\"k0\":1,", 34) == 0 &&
		strstr(got.p, "\n2:a=1(3)\n"),
	    "the field past the limit fails the record before the rest is "
	    "parsed");
	crm_buf_release(&got);
	crm_buf_release(&whole);
	return tap_done();
}
