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
describe_with(const char *in, size_t inlen, const struct crm_read_opts *o,
    size_t max, struct crm_buf *out)
{
	FILE *fp = fmemopen((void *)in, inlen > 0 ? inlen : 1, "r");
	struct crm_err e;
	struct crm_reader *rd;
	struct crm_rec *r = crm_rec_new();
	size_t i, len;
	const char *s;
	int rc;

	crm_buf_reset(out);
	if (inlen == 0)
		fgetc(fp); /* an empty input: at its end */
	if ((rd = crm_reader_open_with(fp, "t", o, &e)) == NULL) {
		crm_buf_addf(out, "open!%s\n", e.msg);
		goto out;
	}
	if (crm_reader_note(rd) != NULL)
		crm_buf_addf(out, "note!%s\n", crm_reader_note(rd));
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

static void
describe(const char *in, enum crm_format fmt, size_t max, struct crm_buf *out)
{
	struct crm_read_opts o = { fmt, NULL, 0 };

	describe_with(in, strlen(in), &o, max, out);
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

	/* ---- delimiters sniffed ---- */
	{ "CSV, ';' sniffed, ',' in its values", CRM_FMT_AUTO,
	    "a;b\r\n1;\"x;y\"\r\n2;3,5\r\n", "2:a=1|b=x;y\n3:a=2|b=3,5\n" },
	{ "CSV, ',' kept with ';' inside quotes", CRM_FMT_AUTO,
	    "a,b\n1,\"x;y\"\n2,\"p;q;r\"\n3,z\n",
	    "2:a=1|b=x;y\n3:a=2|b=p;q;r\n4:a=3|b=z\n" },
	{ "CSV, '|' sniffed, also when CSV is asked for", CRM_FMT_CSV,
	    "a|b|c\n1|2|3\n", "2:a=1|b=2|c=3\n" },
	{ "CSV, ';' in a quoted header name is no delimiter", CRM_FMT_AUTO,
	    "id,\"x;y\",z\n1,Robert; Tables;--,3\n",
	    "2:id=1|x;y=Robert; Tables;--|z=3\n" },
	{ "CSV, a ragged line does not change the sniff", CRM_FMT_AUTO,
	    "a;b\n1;2\n3\n4;5\n",
	    "2:a=1|b=2\n3!expected 2 fields, found 1 [3]\n"
	    "4:a=4|b=5\n" },
	{ "CSV, two delimiters that fit alike: said", CRM_FMT_AUTO,
	    "a,b|c\n1,2|3\n",
	    "note!',' and '|' split the first lines alike; read with ','; "
	    "give --delimiter to say otherwise\n2:a=1|b|c=2|3\n" },
	{ "CSV, one column", CRM_FMT_AUTO, "email\nx@y.z\n",
	    "2:email=x@y.z\n" },

	/* ---- encodings sniffed ---- */
	/* 张伟,北京; 王芳,上海; 李娜,广州 in GBK */
	{ "GBK with Chinese text: read as GB18030, said", CRM_FMT_AUTO,
	    "id,name,city\n1,\xd5\xc5\xce\xb0,\xb1\xb1\xbe\xa9\n"
	    "2,\xcd\xf5\xb7\xbc,\xc9\xcf\xba\xa3\n"
	    "3,\xc0\xee\xc4\xc8,\xb9\xe3\xd6\xdd\n",
	    "note!not UTF-8; read as GB18030 (Chinese text); give --encoding "
	    "to say otherwise\n"
	    "2:id=1|name=\xe5\xbc\xa0\xe4\xbc\x9f|city=\xe5\x8c\x97\xe4\xba"
	    "\xac\n"
	    "3:id=2|name=\xe7\x8e\x8b\xe8\x8a\xb3|city=\xe4\xb8\x8a\xe6\xb5"
	    "\xb7\n"
	    "4:id=3|name=\xe6\x9d\x8e\xe5\xa8\x9c|city=\xe5\xb9\xbf\xe5\xb7"
	    "\x9e\n" },
	{ "GBK, one short row: uchardet cannot tell, GB18030 named first",
	    CRM_FMT_AUTO, "id,name\n1,\xd5\xc5\xce\xb0\n",
	    "open!not UTF-8 (byte 0xD5); give --encoding NAME (such as "
	    "GB18030, cp1252 or latin1)\n" },
	{ "Latin-1: refused", CRM_FMT_AUTO, "id,name\n1,Jos\xe9\n",
	    "open!not UTF-8 (byte 0xE9); give --encoding NAME (such as cp1252 "
	    "or latin1)\n" },
	{ "Latin-1 that GB18030 could decode: refused", CRM_FMT_AUTO,
	    "id,name\n1,M\xfcller\n2,\xc5ngstr\xf6m\n",
	    "open!not UTF-8 (byte 0xFC); give --encoding NAME (such as "
	    "ISO-8859-1)\n" },
	{ "UTF-8 with a bad byte: the record is rejected", CRM_FMT_AUTO,
	    "id,name\n1,\xc3\xa9\n2,\xe9\n",
	    "2:id=1|name=\xc3\xa9\n3!invalid UTF-8 at byte 1 (0xE9); give "
	    "--encoding NAME if the file is not UTF-8 [2,\xe9]\n" },

	/* ---- JSON arrays ---- */
	{ "JSON array, minified", CRM_FMT_AUTO, "[{\"a\":1},{\"a\":\"x\"}]",
	    "1:a=1(3)\n1:a=x\n" },
	{ "JSON array, pretty-printed, each on its line", CRM_FMT_AUTO,
	    "[\n  {\n    \"a\": 1\n  },\n  {\n    \"a\": \"x\"\n  }\n]\n",
	    "2:a=1(3)\n5:a=x\n" },
	{ "JSON array, pretty-printed: a nested value on one line",
	    CRM_FMT_AUTO,
	    "[\n {\n  \"a\": {\n   \"b\": [1,\r\n 2],\n   \"c\": \"x\\ny\"\n"
	    "  }\n }\n]\n",
	    "2:a={   \"b\": [1, 2],   \"c\": \"x\\ny\"  }(5)\n" },
	{ "JSON array, CRLF and lone CR lines", CRM_FMT_JSONL,
	    "\r\n[\r\n{\"a\":1},\r{\"a\":2}\r\n]\r\n", "3:a=1(3)\n4:a=2(3)\n" },
	{ "JSON array, brackets and escapes inside strings", CRM_FMT_AUTO,
	    "[{\"a\":\"]}\\\"[{\"},{\"b\":[1,{\"c\":\"\\\\\"}]}]",
	    "1:a=]}\"[{\n1:b=[1,{\"c\":\"\\\\\"}](5)\n" },
	{ "JSON array, empty", CRM_FMT_AUTO, " [ ] \n", "" },
	{ "JSON array, elements that are not objects", CRM_FMT_AUTO,
	    "[{\"a\":1}, 2, \"s\", [3], null, true,\n{\"a\":4}]",
	    "1:a=1(3)\n"
	    "1!bad JSON array: element 2 is a number, not an object [2]\n"
	    "1!bad JSON array: element 3 is a string, not an object [\"s\"]\n"
	    "1!bad JSON array: element 4 is an array, not an object [[3]]\n"
	    "1!bad JSON array: element 5 is null, not an object [null]\n"
	    "1!bad JSON array: element 6 is a boolean, not an object [true]\n"
	    "2:a=4(3)\n" },
	{ "JSON array, a bad object among good ones", CRM_FMT_AUTO,
	    "[{\"a\":tru},\n{\"a\":2}]",
	    "1!bad JSON: unexpected character at byte 6 [{\"a\":tru}]\n"
	    "2:a=2(3)\n" },
	{ "JSON array, no ',' between, no ']' at the end", CRM_FMT_AUTO,
	    "[{\"a\":1}\n{\"a\":2}\n\n",
	    "1:a=1(3)\n2!bad JSON array: no ',' or ']' after element 1 []\n"
	    "2:a=2(3)\n2!bad JSON array: no closing ']' at the end []\n" },
	{ "JSON array, cut short inside an element", CRM_FMT_AUTO,
	    "[{\"a\":1},\n{\"a\":",
	    "1:a=1(3)\n2!bad JSON array: element 2 cut short by the end of "
	    "input [{\"a\":]\n" },
	{ "JSON array, ',' before ']', then text after it", CRM_FMT_AUTO,
	    "[{\"a\":1},]\n[{\"a\":2}]\n",
	    "1:a=1(3)\n1!bad JSON array: ',' before ']' []\n"
	    "2!bad JSON array: text after the closing ']' []\n" },
	{ "not an array: a CSV header in brackets", CRM_FMT_AUTO,
	    "[id],name\n1,x\n", "2:[id]=1|name=x\n" },
};

/* Inputs with NUL bytes or an encoding given: lengths and options. */
static const struct {
	const char *what;
	const char *enc; /* --encoding, or NULL */
	int delim;	 /* --delimiter, or 0 */
	const char *in;
	size_t len;
	const char *want;
} enc_cases[] = {
	{ "UTF-16LE with a BOM", NULL, 0,
	    "\xff\xfe"
	    "a\0,\0b\0\n\0"
	    "1\0,\0\x2d\x4e\n\0",
	    18, "2:a=1|b=\xe4\xb8\xad\n" },
	{ "UTF-16BE with a BOM, tab-separated", NULL, 0,
	    "\xfe\xff"
	    "\0a\0\t\0b\0\r\0\n"
	    "\0\x31\0\t\x4e\x2d\0\r\0\n",
	    22, "2:a=1|b=\xe4\xb8\xad\n" },
	{ "UTF-16LE, a lone surrogate rejects its record only", NULL, 0,
	    "\xff\xfe"
	    "a\0\n\0"
	    "\x00\xd8x\0\n\0"
	    "y\0\n\0",
	    16,
	    "2!invalid UTF-16LE at byte 1 (0x00); give --encoding NAME if the "
	    "file is not UTF-16LE [\xff"
	    "00x]\n3:a=y\n" },
	{ "UTF-16LE without a BOM: refused", NULL, 0,
	    "a\0,\0b\0\n\0x\0,\0y\0\n\0", 16,
	    "open!not UTF-8: UTF-16 without a byte-order mark? give --encoding "
	    "UTF-16LE\n" },
	{ "--encoding latin1", "latin1", 0, "id,name\n1,Jos\xe9\n", 0,
	    "2:id=1|name=Jos\xc3\xa9\n" },
	{ "--encoding cp1252: the euro sign", "CP1252", 0, "id,p\n1,\x80 5\n",
	    0, "2:id=1|p=\xe2\x82\xac 5\n" },
	{ "--encoding UTF-8: no guessing, bad bytes rejected", "UTF-8", 0,
	    "id,name\n1,Jos\xe9\n", 0,
	    "2!invalid UTF-8 at byte 4 (0xE9); give --encoding NAME if the "
	    "file "
	    "is not UTF-8 [1,Jos\xe9]\n" },
	{ "--encoding GB18030, a bad byte later", "GB18030", 0,
	    "id,name\n1,\xd5\xc5\n2,\xff\n3,\xcd\xf5\n", 0,
	    "2:id=1|name=\xe5\xbc\xa0\n3!invalid GB18030 at byte 1 (0xFF); "
	    "give --encoding NAME if the file is not GB18030 [2,\xff"
	    "FF]\n4:id=3|name=\xe7\x8e\x8b\n" },
	{ "--delimiter ';' over a sniff for ','", NULL, ';', "a,b;c\n1,2;3\n",
	    0, "2:a,b=1,2|c=3\n" },
	{ "--delimiter tab: TSV", NULL, '\t', "a\tb\n1\t\\t\n", 0,
	    "2:a=1|b=\t\n" },
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
	for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		struct crm_read_opts o = { CRM_FMT_AUTO, enc_cases[i].enc,
			enc_cases[i].delim };

		len = enc_cases[i].len != 0 ? enc_cases[i].len
					    : strlen(enc_cases[i].in);
		crm_read_set_chunk(0);
		describe_with(enc_cases[i].in, len, &o, 0, &whole);
		TAP_STR(whole.p ? whole.p : "", enc_cases[i].want, "%s",
		    enc_cases[i].what);
		same = 1;
		for (n = 1; n <= len && same; n++) {
			crm_read_set_chunk(n);
			describe_with(enc_cases[i].in, len, &o, 0, &got);
			if (strcmp(got.p ? got.p : "", whole.p ? whole.p : ""))
				same = 0;
		}
		TAP_OK(same, "%s: same at every read size (failed at %zu)",
		    enc_cases[i].what, same ? 0 : n - 1);
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
	 * A JSON array is read element by element: a line far longer than
	 * the limit is no matter, only an element longer than it is.
	 */
	crm_buf_reset(&whole);
	crm_buf_addc(&whole, '[');
	for (i = 0; i < 50; i++)
		crm_buf_addf(&whole, "%s{\"a\":%zu}", i > 0 ? "," : "", i);
	crm_buf_adds(&whole, "]");
	describe(whole.p, CRM_FMT_AUTO, 20, &got);
	TAP_OK(strncmp(got.p, "1:a=0(3)\n1:a=1(3)\n", 18) == 0 &&
		   strstr(got.p, "\n1:a=49(3)\n") != NULL &&
		   strchr(got.p, '!') == NULL,
	    "a JSON array on one line of %zu bytes, limit 20: all read",
	    whole.len);
	describe("[{\"a\":\"0123456789012345678901234\"},{\"a\":1}]",
	    CRM_FMT_AUTO, 20, &got);
	TAP_STR(got.p,
	    "1!record longer than 20 bytes (raw text cut short) "
	    "[{\"a\":\"0123456789012345678901234\"}]\n1:a=1(3)\n",
	    "a JSON array: an element over the limit is rejected alone");

	/* The sniffing itself, on windows cut anywhere. */
	{
		struct crm_sniff_enc sn;
		int other;

		TAP_OK(crm_read_sniff_encoding("a,\xe4\xb8", 4, 0, &sn) ==
			   CRM_ENC_UTF8,
		    "encoding: a character cut by the window is not bad");
		TAP_OK(crm_read_sniff_encoding("id,n\n1,\xa7\x41\xa6\x6e\n", 11,
			   1, &sn) == CRM_ENC_UNKNOWN,
		    "encoding: Big5 is not taken for GB18030");
		TAP_OK(crm_read_sniff_encoding(
			   "a\nb\n\xe9t\xe9\n", 8, 1, &sn) == CRM_ENC_UNKNOWN &&
			   sn.bad_line == 3 && sn.bad_byte == 0xe9 &&
			   sn.bad_off == 4,
		    "encoding: the first bad byte, its line and offset");
		TAP_OK(crm_read_sniff_encoding("n\n\xd6\xd0\x81\x30\x81\x30"
					       "\xd6\xd0\xce\xc4\n",
			   13, 1, &sn) == CRM_ENC_GB18030,
		    "encoding: GB18030 with a four-byte character");
		/* 김민준,서울특별시 강남구 and 이서연,부산광역시 in EUC-KR */
		TAP_OK(crm_read_sniff_encoding("\xb1\xe8\xb9\xce\xc1\xd8,"
					       "\xbc\xad\xbf\xef\xc6"
					       "\xaf\xba\xb0\xbd\xc3 "
					       "\xb0\xad\xb3\xb2\xb1\xb8\n"
					       "\xc0\xcc\xbc\xad\xbf\xac,"
					       "\xba\xce\xbb\xea\xb1"
					       "\xa4\xbf\xaa\xbd\xc3\n",
			   43, 1, &sn) == CRM_ENC_UNKNOWN &&
			   sn.hint != NULL && strcmp(sn.hint, "UHC") == 0,
		    "encoding: Korean in EUC-KR is not taken for Chinese");
		/* 山田,さとう はなこ in EUC-JP */
		TAP_OK(crm_read_sniff_encoding("\xbb\xb3\xc5\xc4,\xa4\xb5"
					       "\xa4\xc8\xa4\xa6 \xa4\xcf"
					       "\xa4\xca\xa4\xb3\n",
			   19, 1, &sn) == CRM_ENC_UNKNOWN &&
			   sn.hint != NULL && strcmp(sn.hint, "EUC-JP") == 0,
		    "encoding: Japanese in EUC-JP is not taken for Chinese");
		/* 1,山田太郎,東京 in EUC-JP: kanji alone, no kana */
		TAP_OK(crm_read_sniff_encoding("1,\xbb\xb3\xc5\xc4\xc2\xc0"
					       "\xcf\xba,\xc5\xec\xb5\xfe\n",
			   16, 1, &sn) == CRM_ENC_UNKNOWN &&
			   sn.hint != NULL && strcmp(sn.hint, "EUC-JP") == 0,
		    "encoding: Japanese kanji alone in EUC-JP is not Chinese");
		/* id,name / 1,陳怡君 in Big5 */
		TAP_OK(crm_read_sniff_encoding("id,name\n1,\xb3\xaf\xa9\xc9\xa7"
					       "g\n",
			   17, 1, &sn) == CRM_ENC_UNKNOWN &&
			   sn.hint != NULL &&
			   strcmp(sn.hint, "WINDOWS-1252") == 0,
		    "encoding: a short Big5 line: not the shape of GB18030, "
		    "uchardet's guess the hint");
		TAP_OK(crm_read_sniff_encoding("id,n\n1,\xa7\x41\xa6\x6e\n", 11,
			   1, &sn) == CRM_ENC_UNKNOWN &&
			   sn.hint == NULL,
		    "encoding: uchardet's guess among the rest is no hint");
		/*
		 * 50 lines of ASCII, then "Karl Gößmann" in cp1252: F6 DF
		 * is a GB18030 character alone inside a word.
		 */
		crm_buf_reset(&whole);
		crm_buf_adds(&whole, "customer_id,name\n");
		for (i = 0; i < 50; i++)
			crm_buf_addf(&whole, "%zu,Anna\n", i);
		crm_buf_adds(&whole, "51,Karl G\xf6\xdfmann\n");
		TAP_OK(crm_read_sniff_encoding(whole.p, whole.len, 1, &sn) ==
			       CRM_ENC_UNKNOWN &&
			   sn.hint == NULL && sn.bad_line == 52,
		    "encoding: one pair of accented letters is not Chinese");
		/* 张伟 between letters, alone: the same shape */
		TAP_OK(crm_read_sniff_encoding("n\nab\xd5\xc5x\n", 8, 1, &sn) ==
			       CRM_ENC_UNKNOWN &&
			   sn.hint == NULL,
		    "encoding: a lone GB18030 character inside a word: no "
		    "GB18030 hint");
		/* 张伟, then 王 and 李 each alone inside a word */
		TAP_OK(crm_read_sniff_encoding("n\n\xd5\xc5\xce\xb0\nA\xcd"
					       "\xf5"
					       "B\nC\xc0\xee"
					       "D\n",
			   17, 1, &sn) == CRM_ENC_UNKNOWN &&
			   (sn.hint == NULL || strncmp(sn.hint, "GB", 2) != 0),
		    "encoding: a run of two, but most alone inside words: "
		    "not the shape of Chinese");
		TAP_OK(crm_read_sniff_encoding("\xef\xbb\xbf\xe9", 4, 1, &sn) ==
			   CRM_ENC_UTF8,
		    "encoding: a UTF-8 BOM says UTF-8");
		TAP_OK(crm_read_sniff_delim("a;b\n1;\"x\n", 10, 0, &other) ==
			       ';' &&
			   other == 0,
		    "delimiter: a record the window cut is left out");
		TAP_OK(crm_read_sniff_delim("a,b\n", 4, 1, &other) == ',' &&
			   other == 0,
		    "delimiter: a header alone");
		TAP_OK(crm_read_sniff_delim(
			   "a\tb;c\n1\t2\n3\t4;5\n", 17, 1, &other) == '\t',
		    "delimiter: the one that fits more records wins");
	}

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
