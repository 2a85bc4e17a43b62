/*
 * test_rec: unit tests for the records, the reader (lib/read.c, lib/json.c)
 * and the writer (lib/rec.c).  Each reader case is an input and the
 * transcript reading it must give: the format and header, then one line
 * per record or rejected record, then "eof".  Every case is read again at
 * every chunk size from 1 byte to the whole input (libcsv's test_csv.c
 * does this), so that line breaks, CRLF pairs, quotes, escapes and UTF-8
 * sequences are split at every position; a size that gives a different
 * transcript is a failure.  The writer cases check the exact output and
 * read it back.
 *
 * The reader reads the file descriptor of its FILE, so inputs are put in
 * tmpfile()s; one case checks that an fmemopen() stream is read too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "rec.h"
#include "rec_int.h"
#include "tap.h"

/* An input with NUL bytes, so its length is given. */
#define NUL_CSV "a,b\n1,x\0y\n\"\0\",2\n"

/* A reader case. */
struct read_case {
	const char *what;
	const char *in;
	size_t len; /* bytes of in; 0 means strlen(in) */
	enum crm_format fmt;
	size_t max;	  /* crm_reader_set_max(); 0 means the default */
	const char *want; /* the transcript, see dump_*() */
};

/* A case named so is read with this encoding given, not sniffed. */
#define AS_UTF8 " (--encoding UTF-8)"

static FILE *input(const char *, size_t);
static void esc(struct crm_buf *, const char *, size_t);
static void dump_fields(struct crm_buf *, const struct crm_rec *);
static void dump_err(struct crm_buf *, const struct crm_err *);
static void transcript(const struct read_case *, size_t, struct crm_buf *);
static void run_read_case(const struct read_case *);
static void test_reader(void);
static void test_fmemopen(void);
static void test_nesting(void);
static void test_records(void);
static char *written(FILE *, char **);
static void test_csv_round_trip(void);
static void test_csv_one_column(void);
static void test_tsv_writer(void);
static void test_jsonl_writer(void);
static void test_json_quote(void);
static void test_csv_mapping(void);
static void test_write_error(void);
static void test_names_id(void);
static void test_quote_random(void);

/*
 * Transcripts.  The first line is the format and the header names, or
 * "open CODE MESSAGE" when crm_reader_open() failed.  Then, per call of
 * crm_reader_next():
 *	rec LINE NAME=VALUE ... raw 'RAW'	a record
 *	bad LINE CODE MESSAGE raw 'RAW'	a rejected record (EX_DATAERR)
 *	fatal CODE MESSAGE			any other error (the end)
 *	eof
 * LINE is crm_rec_line(), MESSAGE is crm_err_format() (file "in", so it
 * shows e.line and the field), RAW is crm_rec_raw().  Values are written
 * 'text' for strings, n'text' for numbers, j'text' for nested JSON, and
 * true, false, null.  Control bytes are shown as <hh>; nothing else is
 * escaped.
 */
static const struct read_case read_cases[] = {
	/* ---- CSV ---- */
	{ "csv: plain, LF line ends", "a,b,c\n1,2,3\n4,5,6\n", 0, CRM_FMT_AUTO,
	    0,
	    "csv 'a' 'b' 'c'\n"
	    "rec 2 a='1' b='2' c='3' raw '1,2,3'\n"
	    "rec 3 a='4' b='5' c='6' raw '4,5,6'\n"
	    "eof\n" },
	{ "csv: spaces belong to the field", "a,b\n x , y \n", 0, CRM_FMT_CSV,
	    0,
	    "csv 'a' 'b'\n"
	    "rec 2 a=' x ' b=' y ' raw ' x , y '\n"
	    "eof\n" },
	{ "csv: quoted commas, doubled quotes, empty quoted fields",
	    "name,note\n"
	    "\"Doe, John\",\"say \"\"hi\"\"\"\n"
	    "\"\",\"\"\"\"\n"
	    ",\n",
	    0, CRM_FMT_AUTO, 0,
	    "csv 'name' 'note'\n"
	    "rec 2 name='Doe, John' note='say \"hi\"' "
	    "raw '\"Doe, John\",\"say \"\"hi\"\"\"'\n"
	    "rec 3 name='' note='\"' raw '\"\",\"\"\"\"'\n"
	    "rec 4 name='' note='' raw ','\n"
	    "eof\n" },
	{ "csv: LF and CRLF inside quotes, CRLF line ends",
	    "a,b\r\n"
	    "\"x\ny\",\"p\r\nq\"\r\n"
	    "3,4\r\n",
	    0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='x<0a>y' b='p<0d><0a>q' "
	    "raw '\"x<0a>y\",\"p<0d><0a>q\"'\n"
	    "rec 5 a='3' b='4' raw '3,4'\n"
	    "eof\n" },
	{ "csv: CRLF inside quotes at the end of a field",
	    "a,b\r\n"
	    "\"x\r\n\",\"\r\n\"\r\n"
	    "3,4\r\n",
	    0, CRM_FMT_CSV, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='x<0d><0a>' b='<0d><0a>' "
	    "raw '\"x<0d><0a>\",\"<0d><0a>\"'\n"
	    "rec 5 a='3' b='4' raw '3,4'\n"
	    "eof\n" },
	{ "csv: lone CR line ends, CR inside quotes",
	    "a,b\r1,2\r\"x\ry\",3\r\r5,6", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='1' b='2' raw '1,2'\n"
	    "rec 3 a='x<0d>y' b='3' raw '\"x<0d>y\",3'\n"
	    "rec 6 a='5' b='6' raw '5,6'\n"
	    "eof\n" },
	{ "csv: byte-order mark, blank lines, last line without newline",
	    "\xef\xbb\xbf"
	    "id,v\n\n1,a\r\n\r\n\n2,b",
	    0, CRM_FMT_AUTO, 0,
	    "csv 'id' 'v'\n"
	    "rec 3 id='1' v='a' raw '1,a'\n"
	    "rec 6 id='2' v='b' raw '2,b'\n"
	    "eof\n" },
	{ "csv: last line a quoted field without newline", "a,b\n1,\"x\ny\"", 0,
	    CRM_FMT_CSV, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='1' b='x<0a>y' raw '1,\"x<0a>y\"'\n"
	    "eof\n" },
	{ "csv: UTF-8 in quoted and plain fields",
	    "a,b\n\xe4\xb8\xad,\"\xc3\xa9,\xe2\x82\xac\"\n", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='\xe4\xb8\xad' b='\xc3\xa9,\xe2\x82\xac' "
	    "raw '\xe4\xb8\xad,\"\xc3\xa9,\xe2\x82\xac\"'\n"
	    "eof\n" },
	{ "csv: NUL bytes in fields, quoted and not", NUL_CSV,
	    sizeof(NUL_CSV) - 1, CRM_FMT_CSV, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='1' b='x<00>y' raw '1,x<00>y'\n"
	    "rec 3 a='<00>' b='2' raw '\"<00>\",2'\n"
	    "eof\n" },
	{ "csv: too many and too few fields, then a good record",
	    "a,b\n1,2,3\n4\n5,6\n", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "bad 2 65 in:2: expected 2 fields, found 3 raw '1,2,3'\n"
	    "bad 3 65 in:3: expected 2 fields, found 1 raw '4'\n"
	    "rec 4 a='5' b='6' raw '5,6'\n"
	    "eof\n" },
	{ "csv: wrong field count of a record over two lines",
	    "a,b\n\"x\ny\",2,3\n5,6\n", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "bad 2 65 in:2: expected 2 fields, found 3 "
	    "raw '\"x<0a>y\",2,3'\n"
	    "rec 4 a='5' b='6' raw '5,6'\n"
	    "eof\n" },
	{ "csv: unterminated quote in the middle: its first line only",
	    "a,b\n1,2\n3,\"x\n4,5\n6,7\n", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "rec 2 a='1' b='2' raw '1,2'\n"
	    "bad 3 65 in:3: unterminated quoted field raw '3,\"x'\n"
	    "rec 4 a='4' b='5' raw '4,5'\n"
	    "rec 5 a='6' b='7' raw '6,7'\n"
	    "eof\n" },
	{ "csv: unterminated quote, CRLF line ends", "a,b\r\n\"x,1\r\n4,5\r\n",
	    0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "bad 2 65 in:2: unterminated quoted field raw '\"x,1'\n"
	    "rec 3 a='4' b='5' raw '4,5'\n"
	    "eof\n" },
	{ "csv: text after a closing quote", "a,b\n1,\"x\"y\n2,3\n", 0,
	    CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "bad 2 65 in:2: malformed quoting raw '1,\"x\"y'\n"
	    "rec 3 a='2' b='3' raw '2,3'\n"
	    "eof\n" },
	{ "csv: invalid UTF-8 names the field" AS_UTF8,
	    "a,b,c\n1,x\xff"
	    "y,3\n4,5,\xc3\n6,7,8\n",
	    0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b' 'c'\n"
	    "bad 2 65 in:2: field 'b': invalid UTF-8 at byte 2 (0xFF); give "
	    "--encoding NAME if the file is not UTF-8 "
	    "raw '1,x\xff"
	    "y,3'\n"
	    "bad 3 65 in:3: field 'c': invalid UTF-8 at byte 1 (0xC3); give "
	    "--encoding NAME if the file is not UTF-8 "
	    "raw '4,5,\xc3'\n"
	    "rec 4 a='6' b='7' c='8' raw '6,7,8'\n"
	    "eof\n" },
	{ "csv: invalid UTF-8 on the second line of a quoted field" AS_UTF8,
	    "a,b\n1,\"x\ny\xff\"\n2,3\n", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\n"
	    "bad 2 65 in:2: field 'b': invalid UTF-8 at byte 4 (0xFF); give "
	    "--encoding NAME if the file is not UTF-8 "
	    "raw '1,\"x<0a>y\xff\"'\n"
	    "rec 4 a='2' b='3' raw '2,3'\n"
	    "eof\n" },
	{ "csv: record longer than the maximum, over short lines",
	    "a\n\"0123\n4567\n89ab\n", 0, CRM_FMT_CSV, 10,
	    "csv 'a'\n"
	    "bad 2 65 in:2: record too long (unterminated quote?) "
	    "raw '\"0123'\n"
	    "rec 3 a='4567' raw '4567'\n"
	    "rec 4 a='89ab' raw '89ab'\n"
	    "eof\n" },
	{ "csv: one line longer than the maximum", "a\n0123456789abcdef\nb\n",
	    0, CRM_FMT_CSV, 10,
	    "csv 'a'\n"
	    "bad 2 65 in:2: line longer than 10 bytes (raw text cut short) "
	    "raw '0123456789a'\n"
	    "rec 3 a='b' raw 'b'\n"
	    "eof\n" },
	{ "csv: duplicate header names", "a,b,a\n1,2,3\n", 0, CRM_FMT_AUTO, 0,
	    "open 65 in:1: field 'a': bad header: duplicate name (fields 1 "
	    "and 3)\n" },
	{ "csv: empty header name", "a,,c\n1,2,3\n", 0, CRM_FMT_CSV, 0,
	    "open 65 in:1: bad header: field 2 has no name\n" },
	{ "csv: empty input", "", 0, CRM_FMT_AUTO, 0, "csv\neof\n" },
	{ "csv: header only, no newline", "a,b", 0, CRM_FMT_AUTO, 0,
	    "csv 'a' 'b'\neof\n" },

	/* ---- TSV ---- */
	{ "tsv: \\t \\n \\\\ escapes, detected from the header",
	    "a\tb\tc\n"
	    "x\\ty\tp\\nq\tback\\\\slash\n"
	    "1\t2\t\n"
	    "\\q\t\\r\t,\n",
	    0, CRM_FMT_AUTO, 0,
	    "tsv 'a' 'b' 'c'\n"
	    "rec 2 a='x<09>y' b='p<0a>q' c='back\\slash' "
	    "raw 'x\\ty<09>p\\nq<09>back\\\\slash'\n"
	    "rec 3 a='1' b='2' c='' raw '1<09>2<09>'\n"
	    "rec 4 a='\\q' b='<0d>' c=',' raw '\\q<09>\\r<09>,'\n"
	    "eof\n" },
	{ "tsv: field count, invalid UTF-8, CRLF, blank lines" AS_UTF8,
	    "a\tb\r\n1\r\n\r\n2\t3\t4\r\n5\t\xff\r\n6\t7", 0, CRM_FMT_TSV, 0,
	    "tsv 'a' 'b'\n"
	    "bad 2 65 in:2: expected 2 fields, found 1 raw '1'\n"
	    "bad 4 65 in:4: expected 2 fields, found 3 "
	    "raw '2<09>3<09>4'\n"
	    "bad 5 65 in:5: field 'b': invalid UTF-8 at byte 1 (0xFF); give "
	    "--encoding NAME if the file is not UTF-8 "
	    "raw '5<09>\xff'\n"
	    "rec 6 a='6' b='7' raw '6<09>7'\n"
	    "eof\n" },
	{ "tsv: duplicate header names", "a\ta\n1\t2\n", 0, CRM_FMT_TSV, 0,
	    "open 65 in:1: field 'a': bad header: duplicate name (fields 1 "
	    "and 2)\n" },

	/* ---- JSONL ---- */
	{ "jsonl: typed values kept as their original text",
	    "{\"s\":\"x\",\"n\":1.10,\"big\":12345678901234567890,"
	    "\"e\":-0.5e+3,\"t\":true,\"f\":false,\"z\":null,"
	    "\"o\":{\"a\":[1,{\"b\":null}]},\"arr\":[ 1, 2 ]}\n",
	    0, CRM_FMT_AUTO, 0,
	    "jsonl\n"
	    "rec 1 s='x' n=n'1.10' big=n'12345678901234567890' e=n'-0.5e+3' "
	    "t=true f=false z=null o=j'{\"a\":[1,{\"b\":null}]}' "
	    "arr=j'[ 1, 2 ]' "
	    "raw '{\"s\":\"x\",\"n\":1.10,\"big\":12345678901234567890,"
	    "\"e\":-0.5e+3,\"t\":true,\"f\":false,\"z\":null,"
	    "\"o\":{\"a\":[1,{\"b\":null}]},\"arr\":[ 1, 2 ]}'\n"
	    "eof\n" },
	{ "jsonl: string escapes decoded",
	    "{\"a\":\"q\\\"b\\\\s\\/\\n\\u00e9\\ud83d\\ude00\\u0041\"}\n", 0,
	    CRM_FMT_JSONL, 0,
	    "jsonl\n"
	    "rec 1 a='q\"b\\s/<0a>\xc3\xa9\xf0\x9f\x98\x80"
	    "A' "
	    "raw '{\"a\":\"q\\\"b\\\\s\\/\\n\\u00e9\\ud83d\\ude00\\u0041\"}'\n"
	    "eof\n" },
	{ "jsonl: object over several lines, blank lines, CRLF",
	    "{\"a\": 1,\n"
	    " \"b\": {\"c\": \"}{\\\"\"},\r\n"
	    " \"d\": [\n"
	    " 2 ]}\n"
	    "\n"
	    "{\"e\":\"x\"}\r\n",
	    0, CRM_FMT_AUTO, 0,
	    "jsonl\n"
	    "rec 1 a=n'1' b=j'{\"c\": \"}{\\\"\"}' d=j'[ 2 ]' "
	    "raw '{\"a\": 1,<0a> \"b\": {\"c\": \"}{\\\"\"},<0d><0a> \"d\": "
	    "[<0a> 2 ]}'\n"
	    "rec 6 e='x' raw '{\"e\":\"x\"}'\n"
	    "eof\n" },
	{ "jsonl: bad lines between good ones",
	    "{\"a\":1}\n"
	    "{\"a\":}\n"
	    "not json\n"
	    "[1,2]\n"
	    "{\"a\":2}\n"
	    "{\"b\":[1,2\n"
	    "{\"a\":3}\n"
	    "{\"a\":1} {\"b\":2}\n"
	    "{\"a\":4}",
	    0, CRM_FMT_AUTO, 0,
	    "jsonl\n"
	    "rec 1 a=n'1' raw '{\"a\":1}'\n"
	    "bad 2 65 in:2: bad JSON: unexpected character at byte 6 "
	    "raw '{\"a\":}'\n"
	    "bad 3 65 in:3: bad JSON: record is not a JSON object at byte 1 "
	    "raw 'not json'\n"
	    "bad 4 65 in:4: bad JSON: record is not a JSON object at byte 1 "
	    "raw '[1,2]'\n"
	    "rec 5 a=n'2' raw '{\"a\":2}'\n"
	    "bad 6 65 in:6: bad JSON: unterminated object "
	    "raw '{\"b\":[1,2'\n"
	    "rec 7 a=n'3' raw '{\"a\":3}'\n"
	    "bad 8 65 in:8: bad JSON: text after the object at byte 9 "
	    "raw '{\"a\":1} {\"b\":2}'\n"
	    "rec 9 a=n'4' raw '{\"a\":4}'\n"
	    "eof\n" },
	{ "jsonl: invalid UTF-8 and control characters in strings" AS_UTF8,
	    "{\"a\":\"\xff\"}\n"
	    "{\"a\":\"x\ty\"}\n"
	    "{\"\xc3\":1}\n"
	    "{\"a\":\"ok\"}\n",
	    0, CRM_FMT_JSONL, 0,
	    "jsonl\n"
	    "bad 1 65 in:1: bad JSON: invalid UTF-8 in string at byte 7 "
	    "raw '{\"a\":\"\xff\"}'\n"
	    "bad 2 65 in:2: bad JSON: control character in string at byte 8 "
	    "raw '{\"a\":\"x<09>y\"}'\n"
	    "bad 3 65 in:3: bad JSON: invalid UTF-8 in string at byte 3 "
	    "raw '{\"\xc3\":1}'\n"
	    "rec 4 a='ok' raw '{\"a\":\"ok\"}'\n"
	    "eof\n" },
	{ "jsonl: duplicate, empty and NUL names, empty object",
	    "{\"a\":1,\"b\":2,\"a\":3}\n"
	    "{}\n"
	    "{\"\":1}\n"
	    "{\"k\\u0000x\":2}\n",
	    0, CRM_FMT_AUTO, 0,
	    "jsonl\n"
	    "rec 1 a=n'3' b=n'2' raw '{\"a\":1,\"b\":2,\"a\":3}'\n"
	    "rec 2 raw '{}'\n"
	    "rec 3 =n'1' raw '{\"\":1}'\n"
	    "rec 4 k<00>x=n'2' raw '{\"k\\u0000x\":2}'\n"
	    "eof\n" },
	{ "jsonl: byte-order mark, last line without newline",
	    "\xef\xbb\xbf{\"a\":1}\n{\"b\":\"\xe4\xb8\xad\"}", 0, CRM_FMT_AUTO,
	    0,
	    "jsonl\n"
	    "rec 1 a=n'1' raw '{\"a\":1}'\n"
	    "rec 2 b='\xe4\xb8\xad' raw '{\"b\":\"\xe4\xb8\xad\"}'\n"
	    "eof\n" },
	{ "jsonl: record longer than the maximum, over short lines",
	    "{\"a\":\n\"0123\",\n\"4567\"}\n{\"b\":1}\n", 0, CRM_FMT_JSONL, 10,
	    "jsonl\n"
	    "bad 1 65 in:1: record too long (unterminated object?) "
	    "raw '{\"a\":'\n"
	    "bad 2 65 in:2: bad JSON: record is not a JSON object at byte 1 "
	    "raw '\"0123\",'\n"
	    "bad 3 65 in:3: bad JSON: record is not a JSON object at byte 1 "
	    "raw '\"4567\"}'\n"
	    "rec 4 b=n'1' raw '{\"b\":1}'\n"
	    "eof\n" },
	{ "jsonl: one line longer than the maximum",
	    "{\"b\":0}\n{\"a\":\"0123456789abcdef\"}\n{\"b\":1}\n", 0,
	    CRM_FMT_JSONL, 10,
	    "jsonl\n"
	    "rec 1 b=n'0' raw '{\"b\":0}'\n"
	    "bad 2 65 in:2: line longer than 10 bytes (raw text cut short) "
	    "raw '{\"a\":\"01234'\n"
	    "rec 3 b=n'1' raw '{\"b\":1}'\n"
	    "eof\n" },
	{ "tsv: one line longer than the maximum",
	    "a\tb\n0123456789\tabcdef\n1\t2\n", 0, CRM_FMT_TSV, 10,
	    "tsv 'a' 'b'\n"
	    "bad 2 65 in:2: line longer than 10 bytes (raw text cut short) "
	    "raw '0123456789<09>'\n"
	    "rec 3 a='1' b='2' raw '1<09>2'\n"
	    "eof\n" },
};

/* Return a FILE holding n bytes of s, read from the start; exit on error. */
static FILE *
input(const char *s, size_t n)
{
	FILE *fp;

	if ((fp = tmpfile()) == NULL || (n > 0 && fwrite(s, 1, n, fp) != n) ||
	    fflush(fp) == EOF) {
		perror("tmpfile");
		exit(2);
	}
	rewind(fp);
	return fp;
}

static void
esc(struct crm_buf *b, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			crm_buf_addf(b, "<%02x>", c);
		else
			crm_buf_addc(b, c);
	}
}

static void
dump_fields(struct crm_buf *b, const struct crm_rec *r)
{
	size_t i, len;
	const char *s;

	for (i = 0; i < crm_rec_count(r); i++) {
		crm_buf_addc(b, ' ');
		s = crm_rec_name(r, i, &len);
		esc(b, s, len);
		crm_buf_addc(b, '=');
		s = crm_rec_value(r, i, &len);
		switch (crm_rec_type(r, i)) {
		case CRM_NULL:
			crm_buf_adds(b, "null");
			continue;
		case CRM_FALSE:
			crm_buf_adds(b, "false");
			continue;
		case CRM_TRUE:
			crm_buf_adds(b, "true");
			continue;
		case CRM_NUMBER:
			crm_buf_addc(b, 'n');
			break;
		case CRM_JSON:
			crm_buf_addc(b, 'j');
			break;
		case CRM_STRING:
			break;
		}
		crm_buf_addc(b, '\'');
		esc(b, s, len);
		crm_buf_addc(b, '\'');
	}
}

static void
dump_err(struct crm_buf *b, const struct crm_err *e)
{
	char msg[2048];

	crm_err_format(e, msg, sizeof(msg));
	crm_buf_addf(b, "%d ", e->code);
	esc(b, msg, strlen(msg));
}

/* Read c's input with reads of chunk bytes and describe what came out. */
static void
transcript(const struct read_case *c, size_t chunk, struct crm_buf *out)
{
	static const char *const fmts[] = { "auto", "csv", "tsv", "jsonl" };
	struct crm_read_opts o;
	struct crm_reader *rd;
	struct crm_rec *r;
	const struct crm_rec *h;
	struct crm_err e;
	size_t i, len, rawlen;
	const char *raw;
	FILE *fp;
	int rc, n;

	len = c->len != 0 ? c->len : strlen(c->in);
	crm_buf_reset(out);
	crm_read_set_chunk(chunk);
	fp = input(c->in, len);
	memset(&o, 0, sizeof(o));
	o.fmt = c->fmt;
	o.encoding = strstr(c->what, AS_UTF8) != NULL ? "UTF-8" : NULL;
	if ((rd = crm_reader_open_with(fp, "in", &o, &e)) == NULL) {
		crm_buf_adds(out, "open ");
		dump_err(out, &e);
		crm_buf_addc(out, '\n');
		fclose(fp);
		crm_read_set_chunk(0);
		return;
	}
	if (c->max != 0)
		crm_reader_set_max(rd, c->max);
	crm_buf_adds(out, fmts[crm_reader_format(rd)]);
	if ((h = crm_reader_header(rd)) != NULL)
		for (i = 0; i < crm_rec_count(h); i++) {
			raw = crm_rec_name(h, i, &rawlen);
			crm_buf_adds(out, " '");
			esc(out, raw, rawlen);
			crm_buf_addc(out, '\'');
		}
	crm_buf_addc(out, '\n');
	if ((r = crm_rec_new()) == NULL)
		exit(2);
	/* A bound on the records, so that a reader that loops is caught. */
	for (n = 0; n < 100; n++) {
		rc = crm_reader_next(rd, r, &e);
		if (rc == 0) {
			crm_buf_adds(out, "eof\n");
			break;
		}
		if (rc == 1) {
			crm_buf_addf(out, "rec %lu", crm_rec_line(r));
			dump_fields(out, r);
		} else if (e.code == EX_DATAERR) {
			crm_buf_addf(out, "bad %lu ", crm_rec_line(r));
			dump_err(out, &e);
		} else {
			crm_buf_adds(out, "fatal ");
			dump_err(out, &e);
			crm_buf_addc(out, '\n');
			break;
		}
		raw = crm_rec_raw(r, &rawlen);
		crm_buf_adds(out, " raw '");
		esc(out, raw, rawlen);
		crm_buf_adds(out, "'\n");
	}
	crm_rec_free(r);
	crm_reader_close(rd);
	fclose(fp);
	crm_read_set_chunk(0);
}

/* Print text as TAP comment lines. */
static void
comment(const char *label, const char *text)
{
	const char *nl;

	printf("#   %s:\n", label);
	while (*text != '\0') {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		printf("#     %.*s\n", (int)(nl - text), text);
		text = *nl != '\0' ? nl + 1 : nl;
	}
}

static void
run_read_case(const struct read_case *c)
{
	struct crm_buf got, first;
	size_t len, n, nbad = 0, first_n = 0;

	crm_buf_init(&got);
	crm_buf_init(&first);
	len = c->len != 0 ? c->len : strlen(c->in);

	/* The default chunk (the whole input at once), with a full diff. */
	transcript(c, 0, &got);
	TAP_STR(got.p, c->want, "%s", c->what);

	/* Every chunk size: report how many differ and the first one. */
	for (n = 1; n <= len; n++) {
		transcript(c, n, &got);
		if (strcmp(got.p, c->want) == 0)
			continue;
		if (nbad++ == 0) {
			first_n = n;
			crm_buf_reset(&first);
			crm_buf_adds(&first, got.p);
		}
	}
	TAP_OK(nbad == 0, "%s: same at every chunk size 1..%zu", c->what, len);
	if (nbad > 0) {
		printf("#   %zu chunk sizes differ; the first is %zu\n", nbad,
		    first_n);
		comment("want", c->want);
		comment("got", first.p);
	}
	crm_buf_release(&got);
	crm_buf_release(&first);
}

static void
test_reader(void)
{
	size_t i;

	for (i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]); i++)
		run_read_case(&read_cases[i]);
}

/* The reader takes a FILE*: a stream without a descriptor must work too. */
static void
test_fmemopen(void)
{
	static char text[] = "a,b\n1,2\n";
	struct crm_reader *rd;
	struct crm_rec *r;
	struct crm_err e;
	FILE *fp;
	int rc;

	if ((fp = fmemopen(text, strlen(text), "r")) == NULL) {
		TAP_OK(0, "fmemopen: %s", strerror(errno));
		return;
	}
	rd = crm_reader_open(fp, "mem", CRM_FMT_AUTO, &e);
	TAP_OK(rd != NULL, "reader opens an fmemopen() stream%s%s",
	    rd == NULL ? ": " : "", rd == NULL ? e.msg : "");
	if (rd != NULL) {
		r = crm_rec_new();
		rc = crm_reader_next(rd, r, &e);
		TAP_OK(rc == 1 && crm_rec_count(r) == 2 &&
			   strcmp(crm_rec_value(r, 1, NULL), "2") == 0,
		    "fmemopen() stream: record read");
		rc = crm_reader_next(rd, r, &e);
		TAP_OK(rc == 0, "fmemopen() stream: then end of input");
		crm_rec_free(r);
		crm_reader_close(rd);
	}
	fclose(fp);
}

/* Nesting: deep is fine up to the limit, deeper is refused, never a crash. */
static void
test_nesting(void)
{
	static const size_t depth[] = { 500, 600, 100000 };
	struct crm_buf in, got, want;
	struct read_case c;
	size_t i, k;

	crm_buf_init(&in);
	crm_buf_init(&got);
	crm_buf_init(&want);
	for (i = 0; i < sizeof(depth) / sizeof(depth[0]); i++) {
		crm_buf_reset(&in);
		crm_buf_adds(&in, "{\"a\":");
		for (k = 0; k < depth[i]; k++)
			crm_buf_addc(&in, '[');
		for (k = 0; k < depth[i]; k++)
			crm_buf_addc(&in, ']');
		crm_buf_adds(&in, "}\n{\"b\":1}\n");
		c.what = "nesting";
		c.in = in.p;
		c.len = in.len;
		c.fmt = CRM_FMT_JSONL;
		c.max = 0;
		transcript(&c, 0, &got);
		crm_buf_reset(&want);
		if (depth[i] < 512)
			crm_buf_addf(&want,
			    "jsonl\nrec 1 a=j'%.*s' raw '%.*s'\n",
			    (int)(2 * depth[i]), in.p + 5, (int)(in.len - 9),
			    in.p);
		else
			crm_buf_addf(&want,
			    "jsonl\nbad 1 65 in:1: bad JSON: nesting too "
			    "deep at byte %zu raw '%.*s'\n",
			    (size_t)5 + 512, (int)(in.len - 9), in.p);
		crm_buf_adds(&want, "rec 2 b=n'1' raw '{\"b\":1}'\neof\n");
		TAP_OK(strcmp(got.p, want.p) == 0,
		    "jsonl: %zu nested arrays %s", depth[i],
		    depth[i] < 512 ? "read" : "refused, next record read");
		if (strcmp(got.p, want.p) != 0)
			printf("#   got: %.200s\n", got.p);
	}
	crm_buf_release(&in);
	crm_buf_release(&got);
	crm_buf_release(&want);
}

/* The record calls the reader and writer are built on. */
static void
test_records(void)
{
	struct crm_rec *r, *c;
	size_t len, rawlen;
	const char *v;

	r = crm_rec_new();
	c = crm_rec_new();
	crm_rec_add(r, "a", 1, "one", 3, CRM_STRING);
	crm_rec_add(r, "b\0c", 3, "x\0y", 3, CRM_STRING);
	crm_rec_add(r, "n", 1, "1.50", 4, CRM_NUMBER);
	TAP_OK(crm_rec_count(r) == 3, "record: three fields");
	TAP_OK(crm_rec_find(r, "b\0c", 3) == 1 && crm_rec_find(r, "b", 1) == -1,
	    "record: find by name with a NUL");
	crm_rec_add(c, " id\t", 4, "1", 1, CRM_STRING);
	TAP_OK(crm_rec_find(c, "id", 2) == -1 &&
		   crm_rec_find_trimmed(c, "id") == 0 &&
		   crm_rec_find_trimmed(c, "i") == -1,
	    "record: find a name with white space around it");
	crm_rec_clear(c);
	v = crm_rec_value(r, 1, &len);
	TAP_OK(len == 3 && memcmp(v, "x\0y", 3) == 0, "record: value with a "
						      "NUL kept whole");
	/* Set a value from a slice of the record itself. */
	v = crm_rec_value(r, 0, &len);
	crm_rec_set(r, 2, v + 1, 2, CRM_STRING);
	TAP_STR(crm_rec_value(r, 2, NULL), "ne", "record: set from itself");
	TAP_OK(crm_rec_type(r, 2) == CRM_STRING, "record: set changes type");
	crm_rec_rename(r, 0, "alpha", 5);
	TAP_STR(crm_rec_name(r, 0, NULL), "alpha", "record: rename");
	TAP_STR(crm_rec_value(r, 0, NULL), "one", "record: rename keeps value");
	crm_rec_copy(c, r);
	TAP_OK(crm_rec_count(c) == 3 && crm_rec_find(c, "alpha", 5) == 0, "reco"
									  "rd: "
									  "cop"
									  "y");
	crm_rec_remove(c, 1);
	TAP_OK(crm_rec_count(c) == 2 && crm_rec_find(c, "b\0c", 3) == -1 &&
		   crm_rec_find(c, "n", 1) == 1 &&
		   strcmp(crm_rec_value(c, 1, NULL), "ne") == 0 &&
		   crm_rec_names_id(c) == 0,
	    "record: remove a field, the next takes its place");
	crm_rec_remove(c, 5);
	TAP_OK(crm_rec_count(c) == 2, "record: remove past the end: nothing");
	crm_rec_copy(c, r);
	crm_rec_raw(c, &rawlen);
	TAP_OK(crm_rec_line(c) == 0 && rawlen == 0, "record: built, so no line "
						    "and no raw text");
	crm_rec_clear(r);
	TAP_OK(crm_rec_count(r) == 0 && crm_rec_count(c) == 3, "record: clear, "
							       "the copy is "
							       "its own");
	crm_rec_free(r);
	crm_rec_free(c);
}

/* ==== Writer ==== */

/* Close fp, an open_memstream() of buf, and return its text. */
static char *
written(FILE *fp, char **buf)
{
	if (fclose(fp) == EOF) {
		perror("fclose");
		exit(2);
	}
	return *buf;
}

/* Read text back (CSV/TSV/JSONL per fmt) and compare it with the record. */
static void
read_back(const char *what, const char *text, enum crm_format fmt,
    const struct crm_rec *const *want, size_t nwant)
{
	struct crm_reader *rd;
	struct crm_rec *r;
	struct crm_err e;
	size_t k, n = 0, la, lb;
	const char *a, *b;
	int rc, same = 1;
	FILE *fp;

	fp = input(text, strlen(text));
	if ((rd = crm_reader_open(fp, "rt", fmt, &e)) == NULL) {
		TAP_OK(0, "%s: read back: %s", what, e.msg);
		fclose(fp);
		return;
	}
	r = crm_rec_new();
	while ((rc = crm_reader_next(rd, r, &e)) != 0) {
		if (rc == -1 || n >= nwant ||
		    crm_rec_count(r) != crm_rec_count(want[n])) {
			same = 0;
			if (rc == -1)
				printf("#   error: %s\n", e.msg);
			n++;
			if (rc == -1 && e.code != EX_DATAERR)
				break;
			continue;
		}
		for (k = 0; k < crm_rec_count(r); k++) {
			a = crm_rec_value(r, k, &la);
			b = crm_rec_value(want[n], k, &lb);
			if (la != lb || memcmp(a, b, la) != 0) {
				same = 0;
				printf("#   record %zu field %zu differs\n",
				    n + 1, k + 1);
			}
			a = crm_rec_name(r, k, &la);
			b = crm_rec_name(want[n], k, &lb);
			if (la != lb || memcmp(a, b, la) != 0)
				same = 0;
		}
		n++;
	}
	TAP_OK(same && n == nwant, "%s: read back the same (%zu of %zu)", what,
	    n, nwant);
	crm_rec_free(r);
	crm_reader_close(rd);
	fclose(fp);
}

static void
add_s(struct crm_rec *r, const char *name, const char *val)
{
	if (crm_rec_add(r, name, strlen(name), val, strlen(val), CRM_STRING) ==
	    -1)
		exit(2);
}

static void
add_t(struct crm_rec *r, const char *name, const char *val, enum crm_type t)
{
	if (crm_rec_add(r, name, strlen(name), val, strlen(val), t) == -1)
		exit(2);
}

/* Write recs with a new writer of fmt; return the text (free it). */
static char *
write_all(enum crm_format fmt, struct crm_rec *const *recs, size_t n)
{
	struct crm_writer *w;
	struct crm_err e;
	char *buf = NULL;
	size_t size = 0, i;
	FILE *fp;

	if ((fp = open_memstream(&buf, &size)) == NULL ||
	    (w = crm_writer_new(fp, fmt)) == NULL)
		exit(2);
	for (i = 0; i < n; i++)
		if (crm_writer_put(w, recs[i], &e) == -1)
			printf("#   put %zu: %s\n", i + 1, e.msg);
	if (crm_writer_flush(w, &e) == -1)
		printf("#   flush: %s\n", e.msg);
	crm_writer_free(w);
	return written(fp, &buf);
}

static void
test_csv_round_trip(void)
{
	struct crm_rec *r[2];
	char *out;

	r[0] = crm_rec_new();
	r[1] = crm_rec_new();
	add_s(r[0], "plain", "abc");
	add_s(r[0], "na,me", "a,b");
	add_s(r[0], "quote", "say \"hi\"");
	add_s(r[0], "lf", "x\ny");
	add_s(r[0], "crlf", "p\r\nq");
	add_s(r[0], "cr", "c\rd");
	add_s(r[0], "empty", "");
	add_s(r[0], "space", " s ");
	add_s(r[0], "utf8", "\xe4\xb8\xad\xe6\x96\x87");
	add_s(r[0], "q1", "\"");
	add_s(r[1], "plain", "");
	add_s(r[1], "na,me", "");
	add_s(r[1], "quote", "");
	add_s(r[1], "lf", "\n");
	add_s(r[1], "crlf", "\r\n");
	add_s(r[1], "cr", "\r");
	add_s(r[1], "empty", "");
	add_s(r[1], "space", "");
	add_s(r[1], "utf8", "");
	add_s(r[1], "q1", "\"\"");
	out = write_all(CRM_FMT_CSV, r, 2);
	TAP_STR(out,
	    "plain,\"na,me\",quote,lf,crlf,cr,empty,space,utf8,q1\n"
	    "abc,\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"p\r\nq\",\"c\rd\",, s "
	    ",\xe4\xb8\xad\xe6\x96\x87,\"\"\"\"\n"
	    ",,,\"\n\",\"\r\n\",\"\r\",,,,\"\"\"\"\"\"\n",
	    "csv writer: quoting");
	read_back("csv writer: quoting", out, CRM_FMT_CSV,
	    (const struct crm_rec *const *)r, 2);
	free(out);
	crm_rec_free(r[0]);
	crm_rec_free(r[1]);
}

/*
 * One column and an empty value: the record must not turn into a blank
 * line, which reads back as no record at all.
 */
static void
test_csv_one_column(void)
{
	struct crm_rec *r[3];
	char *out;
	size_t i;

	for (i = 0; i < 3; i++)
		r[i] = crm_rec_new();
	add_s(r[0], "a", "x");
	add_s(r[1], "a", "");
	add_s(r[2], "a", "y");
	out = write_all(CRM_FMT_CSV, r, 3);
	read_back("csv writer: one column with an empty value", out,
	    CRM_FMT_CSV, (const struct crm_rec *const *)r, 3);
	free(out);
	out = write_all(CRM_FMT_TSV, r, 3);
	read_back("tsv writer: one column with an empty value", out,
	    CRM_FMT_TSV, (const struct crm_rec *const *)r, 3);
	free(out);
	for (i = 0; i < 3; i++)
		crm_rec_free(r[i]);
}

static void
test_tsv_writer(void)
{
	struct crm_rec *r[1];
	char *out;

	r[0] = crm_rec_new();
	add_s(r[0], "t\tab", "a\tb");
	add_s(r[0], "nl", "l\nm");
	add_s(r[0], "cr", "c\rd");
	add_s(r[0], "bs", "back\\slash\\t");
	add_s(r[0], "comma", "a,\"b\"");
	add_s(r[0], "empty", "");
	out = write_all(CRM_FMT_TSV, r, 1);
	TAP_STR(out,
	    "t\\tab\tnl\tcr\tbs\tcomma\tempty\n"
	    "a\\tb\tl\\nm\tc\\rd\tback\\\\slash\\\\t\ta,\"b\"\t\n",
	    "tsv writer: escapes");
	read_back("tsv writer: escapes", out, CRM_FMT_TSV,
	    (const struct crm_rec *const *)r, 1);
	free(out);
	crm_rec_free(r[0]);
}

static void
test_jsonl_writer(void)
{
	struct crm_rec *r[2];
	struct crm_buf b;
	size_t idx[3];
	char *out;

	r[0] = crm_rec_new();
	r[1] = crm_rec_new();
	add_s(r[0], "s", "x\"y\n");
	add_t(r[0], "n", "1.10", CRM_NUMBER);
	add_t(r[0], "big", "12345678901234567890", CRM_NUMBER);
	add_t(r[0], "t", "", CRM_TRUE);
	add_t(r[0], "f", "", CRM_FALSE);
	add_t(r[0], "z", "", CRM_NULL);
	add_t(r[0], "j", "{\"a\":[1, {}]}", CRM_JSON);
	add_s(r[0], "k\"\\", "\xc3\xa9");
	add_s(r[0], "", "");
	out = write_all(CRM_FMT_JSONL, r, 2);
	TAP_STR(out,
	    "{\"s\":\"x\\\"y\\n\",\"n\":1.10,\"big\":12345678901234567890,"
	    "\"t\":true,\"f\":false,\"z\":null,\"j\":{\"a\":[1, {}]},"
	    "\"k\\\"\\\\\":\"\xc3\xa9\",\"\":\"\"}\n"
	    "{}\n",
	    "jsonl writer: every type");
	/* Read back: the same names, values and types. */
	{
		struct crm_reader *rd;
		struct crm_rec *got = crm_rec_new();
		struct crm_err e;
		FILE *fp = input(out, strlen(out));
		size_t i, la, lb;
		const char *a, *v;
		int same = 1;

		rd = crm_reader_open(fp, "rt", CRM_FMT_AUTO, &e);
		if (rd == NULL || crm_reader_next(rd, got, &e) != 1 ||
		    crm_rec_count(got) != crm_rec_count(r[0]))
			same = 0;
		for (i = 0; same && i < crm_rec_count(got); i++) {
			a = crm_rec_value(got, i, &la);
			v = crm_rec_value(r[0], i, &lb);
			if (la != lb || memcmp(a, v, la) != 0 ||
			    crm_rec_type(got, i) != crm_rec_type(r[0], i))
				same = 0;
		}
		TAP_OK(same, "jsonl writer: read back the same types and "
			     "values");
		TAP_OK(rd != NULL && crm_reader_next(rd, got, &e) == 1 &&
			   crm_rec_count(got) == 0,
		    "jsonl writer: empty record read back");
		crm_reader_close(rd);
		crm_rec_free(got);
		fclose(fp);
	}
	free(out);

	crm_buf_init(&b);
	crm_rec_fields_to_json(
	    r[0], NULL, crm_rec_count(r[0]), CRM_JSON_SKIP_NULL, &b);
	TAP_STR(b.p,
	    "{\"s\":\"x\\\"y\\n\",\"n\":1.10,\"big\":12345678901234567890,"
	    "\"t\":true,\"f\":false,\"j\":{\"a\":[1, {}]},"
	    "\"k\\\"\\\\\":\"\xc3\xa9\",\"\":\"\"}",
	    "crm_rec_fields_to_json: null fields left out");
	crm_buf_reset(&b);
	idx[0] = crm_rec_count(r[0]) - 1; /* "": "" */
	idx[1] = 0;
	idx[2] = crm_rec_count(r[0]) - 1;
	crm_rec_fields_to_json(r[0], idx, 2, CRM_JSON_EMPTY_NULL, &b);
	TAP_STR(b.p, "{\"\":null,\"s\":\"x\\\"y\\n\"}",
	    "crm_rec_fields_to_json: chosen fields, empty as null");
	crm_buf_reset(&b);
	crm_rec_fields_to_json(
	    r[0], idx + 1, 2, CRM_JSON_EMPTY_NULL | CRM_JSON_SKIP_NULL, &b);
	TAP_STR(b.p, "{\"s\":\"x\\\"y\\n\"}",
	    "crm_rec_fields_to_json: empty left out");
	crm_buf_release(&b);
	crm_rec_free(r[0]);
	crm_rec_free(r[1]);
}

static void
test_json_quote(void)
{
	struct crm_buf b, in, obj;
	struct crm_rec *r;
	struct crm_err e;
	size_t len;
	const char *v;
	int c;

	crm_buf_init(&b);
	crm_buf_init(&in);
	crm_buf_init(&obj);
	for (c = 0; c < 0x20; c++)
		crm_buf_addc(&in, c);
	crm_buf_add(&in, "\x7f\"\\/\xc3\xa9", 6);
	crm_json_quote(&b, in.p, in.len);
	TAP_STR(b.p,
	    "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
	    "\\u0008\\t\\n\\u000b\\u000c\\r\\u000e\\u000f"
	    "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
	    "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
	    "\x7f\\\"\\\\/\xc3\xa9\"",
	    "crm_json_quote: control characters, quote, backslash");

	/* What it writes is JSON that decodes to the same bytes. */
	crm_buf_adds(&obj, "{\"k\":");
	crm_buf_add(&obj, b.p, b.len);
	crm_buf_adds(&obj, "}");
	r = crm_rec_new();
	crm_err_clear(&e);
	if (crm_json_parse_object(r, obj.p, obj.len, &e) == 0) {
		v = crm_rec_value(r, 0, &len);
		TAP_OK(len == in.len && memcmp(v, in.p, len) == 0, "crm_json_"
								   "quote: "
								   "decodes to "
								   "the same "
								   "bytes");
	} else {
		TAP_OK(0, "crm_json_quote: output parses: %s", e.msg);
	}
	crm_buf_reset(&b);
	crm_json_quote(&b, "", 0);
	TAP_STR(b.p, "\"\"", "crm_json_quote: empty string");
	crm_rec_free(r);
	crm_buf_release(&b);
	crm_buf_release(&in);
	crm_buf_release(&obj);
}

/* CSV output goes by name under a fixed header. */
static void
test_csv_mapping(void)
{
	struct crm_writer *w;
	struct crm_rec *h, *r;
	struct crm_err e;
	char *buf = NULL;
	size_t size = 0;
	FILE *fp;
	int rc;

	h = crm_rec_new();
	r = crm_rec_new();
	add_s(h, "a", "");
	add_s(h, "b", "");
	add_s(h, "c", "");
	if ((fp = open_memstream(&buf, &size)) == NULL ||
	    (w = crm_writer_new(fp, CRM_FMT_CSV)) == NULL)
		exit(2);
	crm_err_clear(&e);
	TAP_OK(crm_writer_header(w, h, &e) == 0, "csv mapping: header");

	/* Other order, b missing: written empty. */
	add_s(r, "c", "3");
	add_s(r, "a", "1");
	TAP_OK(crm_writer_put(w, r, &e) == 0, "csv mapping: other order, a "
					      "field missing");

	/* Types in CSV: null empty, true/false as words, JSON as text. */
	crm_rec_clear(r);
	add_t(r, "a", "", CRM_TRUE);
	add_t(r, "b", "", CRM_NULL);
	add_t(r, "c", "{\"x\":1,\"y\":2}", CRM_JSON);
	TAP_OK(crm_writer_put(w, r, &e) == 0, "csv mapping: typed values");

	/* A field with no column is an error and writes nothing. */
	crm_rec_clear(r);
	add_s(r, "a", "1");
	add_s(r, "x", "2");
	crm_err_clear(&e);
	rc = crm_writer_put(w, r, &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR, "csv mapping: extra field is "
						 "EX_DATAERR");
	TAP_STR(e.field, "x", "csv mapping: the error names the field");

	crm_rec_clear(r);
	add_s(r, "a", "4");
	add_t(r, "b", "", CRM_FALSE);
	add_t(r, "c", "-0.5", CRM_NUMBER);
	TAP_OK(crm_writer_put(w, r, &e) == 0, "csv mapping: then goes on");
	crm_writer_flush(w, &e);
	crm_writer_free(w);
	TAP_STR(written(fp, &buf),
	    "a,b,c\n"
	    "1,,3\n"
	    "true,,\"{\"\"x\"\":1,\"\"y\"\":2}\"\n"
	    "4,false,-0.5\n",
	    "csv mapping: output");
	free(buf);
	crm_rec_free(h);
	crm_rec_free(r);
}

/* A full disk is EX_IOERR, from put or at the latest from flush. */
static void
test_write_error(void)
{
	struct crm_writer *w;
	struct crm_rec *r;
	struct crm_err e;
	FILE *fp;
	int rc;

	if ((fp = fopen("/dev/full", "w")) == NULL) {
		TAP_OK(1, "write error: no /dev/full here, skipped");
		return;
	}
	r = crm_rec_new();
	add_s(r, "a", "1");
	w = crm_writer_new(fp, CRM_FMT_CSV);
	crm_err_clear(&e);
	rc = crm_writer_put(w, r, &e);
	if (rc == 0)
		rc = crm_writer_flush(w, &e);
	TAP_OK(rc == -1 && e.code == EX_IOERR, "write error: EX_IOERR (%s)",
	    e.msg);
	crm_writer_free(w);
	crm_rec_free(r);
	fclose(fp);
}

/*
 * Names ids: the records of one header share one, so a position cache
 * and the writer skip comparing names; records of another header, and
 * records whose names changed, must still be compared by name.
 */
static void
test_names_id(void)
{
	struct crm_reader *r1, *r2;
	struct crm_rec *a, *b, *c;
	struct crm_poscache pc;
	struct crm_writer *w;
	struct crm_err e;
	FILE *in1, *in2, *fp;
	char *buf = NULL;
	size_t size = 0;
	long v;

	memset(&pc, 0, sizeof(pc));
	in1 = input("a,b\n1,2\n3,4\n", 12);
	in2 = input("b,a\n5,6\n", 8);
	r1 = crm_reader_open(in1, "one", CRM_FMT_CSV, &e);
	r2 = crm_reader_open(in2, "two", CRM_FMT_CSV, &e);
	a = crm_rec_new();
	b = crm_rec_new();
	c = crm_rec_new();
	if (r1 == NULL || r2 == NULL || a == NULL || b == NULL || c == NULL ||
	    (fp = open_memstream(&buf, &size)) == NULL ||
	    (w = crm_writer_new(fp, CRM_FMT_CSV)) == NULL)
		exit(2);

	crm_reader_next(r1, a, &e);
	TAP_OK(a->names != 0, "names id: a record of a header has one");
	TAP_OK(!crm_poscache_get(&pc, a, 0, &v) &&
		   crm_poscache_set(&pc, a, 0, 10) == 0 &&
		   crm_poscache_set(&pc, a, 1, 20) == 0,
	    "names id: cache filled");
	TAP_OK(crm_writer_put(w, a, &e) == 0, "names id: first record out");
	crm_reader_next(r1, a, &e);
	TAP_OK(crm_poscache_get(&pc, a, 0, &v) && v == 10 &&
		   crm_poscache_get(&pc, a, 1, &v) && v == 20,
	    "names id: the next record of the header hits");
	TAP_OK(crm_writer_put(w, a, &e) == 0, "names id: second record out");

	crm_reader_next(r2, b, &e);
	TAP_OK(b->names != 0 && b->names != a->names, "names id: another "
						      "header has another");
	TAP_OK(!crm_poscache_get(&pc, b, 0, &v) &&
		   !crm_poscache_get(&pc, b, 1, &v),
	    "names id: its names at the same places miss");
	TAP_OK(crm_writer_put(w, b, &e) == 0, "names id: its record is written "
					      "by name");

	crm_rec_copy(c, a);
	TAP_OK(
	    c->names == a->names && crm_poscache_get(&pc, c, 1, &v) && v == 20,
	    "names id: a copy keeps it");
	crm_rec_rename(c, 1, "a", 1);
	TAP_OK(c->names == 0 && !crm_poscache_get(&pc, c, 1, &v), "names id: a "
								  "rename "
								  "drops it, "
								  "and the "
								  "cache "
								  "compares");
	crm_rec_clear(c);
	add_s(c, "a", "7");
	add_s(c, "b", "8");
	TAP_OK(c->names == 0 && crm_poscache_get(&pc, c, 1, &v) && v == 20,
	    "names id: a built record is compared by name");
	crm_rec_put(c, "z", "9", 1, CRM_STRING);
	TAP_OK(c->names == 0, "names id: an added field drops it");

	crm_writer_flush(w, &e);
	crm_writer_free(w);
	TAP_STR(written(fp, &buf), "a,b\n1,2\n3,4\n6,5\n", "names id: output");
	free(buf);
	crm_poscache_release(&pc);
	crm_rec_free(a);
	crm_rec_free(b);
	crm_rec_free(c);
	crm_reader_close(r1);
	crm_reader_close(r2);
	fclose(in1);
	fclose(in2);
}

/*
 * The writer scans for bytes to quote eight at a time: random strings
 * with such bytes at every position must come out as RFC 4180 and JSON
 * say, against plain byte loops.
 */
static void
test_quote_random(void)
{
	static const char *const alpha[] = { "a", "b", "\xc3\xa9", ",", "\"",
		"\n", "\r", "\\", "\x01", "\x1f", "\t", " ", "\x7f", "\xff" };
	static const char hex[] = "0123456789abcdef";
	struct crm_buf in, got, want;
	struct crm_rec *r[1];
	unsigned seed = 11;
	int i, k, n, quote, bad_json = 0, bad_csv = 0;
	unsigned char c;
	char *out;

	crm_buf_init(&in);
	crm_buf_init(&got);
	crm_buf_init(&want);
	r[0] = crm_rec_new();
	for (i = 0; i < 3000; i++) {
		crm_buf_reset(&in);
		n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 31;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			/* Mostly plain, so that long runs come up. */
			crm_buf_adds(&in,
			    alpha[(seed >> 16) % ((seed >> 8) % 4 ? 3 : 14)]);
		}
		/* JSON */
		crm_buf_reset(&got);
		crm_json_quote(&got, in.p ? in.p : "", in.len);
		crm_buf_reset(&want);
		crm_buf_addc(&want, '"');
		for (k = 0; k < (int)in.len; k++) {
			c = (unsigned char)in.p[k];
			if (c == '"' || c == '\\') {
				crm_buf_addc(&want, '\\');
				crm_buf_addc(&want, c);
			} else if (c == '\n') {
				crm_buf_adds(&want, "\\n");
			} else if (c == '\r') {
				crm_buf_adds(&want, "\\r");
			} else if (c == '\t') {
				crm_buf_adds(&want, "\\t");
			} else if (c < 0x20) {
				crm_buf_adds(&want, "\\u00");
				crm_buf_addc(&want, hex[c >> 4]);
				crm_buf_addc(&want, hex[c & 15]);
			} else {
				crm_buf_addc(&want, c);
			}
		}
		crm_buf_addc(&want, '"');
		if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0)
			bad_json++;
		/* CSV, one field "v" */
		crm_rec_clear(r[0]);
		crm_rec_add(r[0], "v", 1, in.p ? in.p : "", in.len, CRM_STRING);
		out = write_all(CRM_FMT_CSV, r, 1);
		crm_buf_reset(&want);
		crm_buf_adds(&want, "v\n");
		quote = in.len == 0;
		for (k = 0; k < (int)in.len; k++)
			if (strchr(",\"\n\r", in.p[k]) != NULL)
				quote = 1;
		if (quote)
			crm_buf_addc(&want, '"');
		for (k = 0; k < (int)in.len; k++) {
			if (in.p[k] == '"')
				crm_buf_addc(&want, '"');
			crm_buf_addc(&want, in.p[k]);
		}
		if (quote)
			crm_buf_addc(&want, '"');
		crm_buf_addc(&want, '\n');
		if (strcmp(out, want.p) != 0)
			bad_csv++;
		free(out);
	}
	TAP_OK(bad_json == 0, "json quoting, random: as defined (%d bad)",
	    bad_json);
	TAP_OK(
	    bad_csv == 0, "csv quoting, random: as defined (%d bad)", bad_csv);
	crm_rec_free(r[0]);
	crm_buf_release(&in);
	crm_buf_release(&got);
	crm_buf_release(&want);
}

int
main(void)
{
	test_reader();
	test_fmemopen();
	test_nesting();
	test_records();
	test_csv_round_trip();
	test_csv_one_column();
	test_tsv_writer();
	test_jsonl_writer();
	test_json_quote();
	test_csv_mapping();
	test_write_error();
	test_names_id();
	test_quote_random();
	return tap_done();
}
