/*
 * test_rules: unit tests for rules files and SQL expressions
 * (lib/rules.c).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "rec.h"
#include "rules.h"
#include "tap.h"

static char tmpl[] = "/tmp/test_rules.XXXXXX";

/* Write text to the temporary file and return its name. */
static const char *
file_of(const char *text)
{
	return tap_write(tmpl, text);
}

static void
test_file(void)
{
	struct crm_rulefile f;
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	rc = crm_rulefile_read(&f,
	    file_of("# segments\n"
		    "\n"
		    "vip: monetary >= 10000\r\n"
		    "  # a comment inside\n"
		    "wake_up:days_since_login > 30\n"
		    "\tAND x = 'a:b'\n"
		    "   \n"
		    "late : 1\n"),
	    ":", 0, &e);
	TAP_OK(rc == 0 && f.n == 3, "three rules read (%s)", e.msg);
	TAP_STR(f.rule[0].left, "vip", "the left side, trimmed");
	TAP_STR(f.rule[0].right, "monetary >= 10000", "CR dropped");
	TAP_OK(f.rule[1].line == 5 && f.rule[2].line == 8, "lines %lu, %lu",
	    f.rule[1].line, f.rule[2].line);
	TAP_STR(f.rule[1].right, "days_since_login > 30\n\tAND x = 'a:b'",
	    "a continuation line is joined, split at the first ':'");
	crm_rulefile_release(&f);

	rc = crm_rulefile_read(&f, file_of("a: 1\nno separator\n"), ":", 0, &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR && e.line == 2,
	    "a line without the separator: line %lu: %s", e.line, e.msg);
	rc = crm_rulefile_read(&f, file_of("a: 1\n: 2\n"), ":", 0, &e);
	TAP_OK(rc == -1 && e.line == 2 && strstr(e.msg, "before") != NULL,
	    "nothing before the separator: %s", e.msg);
	rc = crm_rulefile_read(&f, file_of("  a: 1\n"), ":", 0, &e);
	TAP_OK(rc == -1 && e.line == 1, "indented first rule: %s", e.msg);
	rc = crm_rulefile_read(&f, file_of("a: '\xff'\n"), ":", 0, &e);
	TAP_OK(rc == -1 && e.code == EX_DATAERR, "invalid UTF-8: %s", e.msg);
	rc = crm_rulefile_read(&f, "/nonexistent/rules", ":", 0, &e);
	TAP_OK(rc == -1 && e.code == EX_NOINPUT, "no file: %s", e.msg);
	rc = crm_rulefile_read(&f, file_of("x > 1 -> queue=a\n"), "->", 1, &e);
	TAP_OK(rc == 0 && f.n == 1 && strcmp(f.rule[0].left, "x > 1") == 0 &&
		   strcmp(f.rule[0].right, "queue=a") == 0,
	    "another separator");
	crm_rulefile_release(&f);
	rc = crm_rulefile_read(
	    &f, file_of("j ->> '$.a' = 1 -> queue=a\n"), "->", 1, &e);
	TAP_OK(rc == 0 && f.n == 1 &&
		   strcmp(f.rule[0].left, "j ->> '$.a' = 1") == 0 &&
		   strcmp(f.rule[0].right, "queue=a") == 0,
	    "split at the last separator");
	crm_rulefile_release(&f);
	rc = crm_rulefile_read(&f, file_of("a:b: 1\n"), ":", 0, &e);
	TAP_OK(rc == 0 && f.n == 1 && strcmp(f.rule[0].left, "a") == 0 &&
		   strcmp(f.rule[0].right, "b: 1") == 0,
	    "split at the first separator");
	crm_rulefile_release(&f);
}

/* Compile expr alone; return the error code (0 when it compiled). */
static int
compile(const char *expr, struct crm_err *e)
{
	struct crm_rules *rs = crm_rules_new(e);
	long rc;

	crm_err_clear(e);
	rc = crm_rules_add(rs, expr, "r.rules", 7, e);
	crm_rules_free(rs);
	return rc == -1 ? e->code : 0;
}

static void
test_compile(void)
{
	struct crm_rules *rs;
	struct crm_err e;

	rs = crm_rules_new(&e);
	TAP_OK(crm_rules_add(rs, "monetary >= 10000 AND \"first name\" <> ''",
		   "r", 1, &e) == 0,
	    "compiles (%s)", e.msg);
	TAP_OK(crm_rules_add(rs, "Monetary < 5 OR [x y] IS NULL -- note", "r",
		   2, &e) == 1,
	    "a name used again in another case, a trailing comment");
	TAP_OK(crm_rules_nnames(rs) == 3, "three names: %zu",
	    crm_rules_nnames(rs));
	TAP_STR(crm_rules_name(rs, 0), "monetary", "first name");
	TAP_STR(crm_rules_name(rs, 1), "first name", "quoted name");
	TAP_STR(crm_rules_name(rs, 2), "x y", "bracketed name");
	TAP_OK(crm_rules_name_user(rs, 2) == 1, "used first by rule 1");
	TAP_OK(crm_rules_add(rs, "1 +", "r", 3, &e) == -1 &&
		   e.code == EX_DATAERR && e.line == 3 &&
		   strcmp(e.file, "r") == 0,
	    "syntax error at r:3: %s", e.msg);
	TAP_OK(crm_rules_count(rs) == 2 && crm_rules_nnames(rs) == 3, "a "
								      "failed "
								      "rule "
								      "adds "
								      "nothin"
								      "g");
	TAP_OK(crm_rules_add(rs, "1 = 1", "r", 4, &e) == 2,
	    "a rule that reads no field, after rules that do (%s)", e.msg);
	crm_rules_free(rs);

	TAP_OK(compile("nosuchfn(x)", &e) == EX_DATAERR &&
		   strstr(e.msg, "nosuchfn") != NULL,
	    "unknown function: %s", e.msg);
	TAP_OK(compile("rec.x > 1", &e) == EX_DATAERR, "a qualified name: %s",
	    e.msg);
	TAP_OK(compile("1) FROM rec UNION SELECT (2", &e) == EX_DATAERR,
	    "a query of its own: %s", e.msg);
	TAP_OK(compile("1), (2", &e) == EX_DATAERR, "two columns: %s", e.msg);
	TAP_OK(compile("1; DROP TABLE t", &e) == EX_DATAERR,
	    "two statements: %s", e.msg);
	TAP_OK(compile("x = ?", &e) == EX_DATAERR, "a parameter: %s", e.msg);
	TAP_OK(compile("x = :y", &e) == EX_DATAERR, "a named parameter: %s",
	    e.msg);
	TAP_OK(compile("(SELECT count(*) FROM sqlite_master) > 0", &e) ==
		   EX_DATAERR,
	    "no table may be read: %s", e.msg);
	TAP_OK(compile("x IN (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
		       "SELECT i + 1 FROM c) SELECT i FROM c)",
		   &e) == EX_DATAERR &&
		   strcmp(e.msg, "a recursive query is not allowed in a "
				 "rule") == 0,
	    "no recursive query: %s", e.msg);
	TAP_OK(compile("\"unknown\" = 'unknown'", &e) == 0, "a double-quoted "
							    "word is a name, "
							    "not a string");
	TAP_OK(compile("x /* open", &e) == EX_DATAERR, "an open comment: %s",
	    e.msg);
}

/*
 * The function allowlist: what a rule may call is named at compile time,
 * with the rule's file and line; everything else is refused there.
 */
static void
test_functions(void)
{
	static const char *const refused[] = {
		"fts3_tokenizer('simple') IS NOT NULL",
		"fts3_tokenizer('x', x'00') IS NULL",
		"load_extension('/tmp/x.so') IS NULL",
		"printf('%.*c', 999999999, 'x') = ''",
		"format('%d', 1) = '1'",
		"randomblob(16) IS NULL",
		"zeroblob(10) IS NULL",
		"random() > 0",
		"changes() = 0",
		"total_changes() = 0",
		"last_insert_rowid() = 0",
		"sqlite_version() > ''",
		"sqlite_source_id() > ''",
		"sqlite_compileoption_used('X') = 0",
		"sqlite_log(1, 'x') IS NULL",
		"subtype(1) = 0",
		"(SELECT count(*)) = 1",
		"(SELECT group_concat(1)) = '1'",
		"(SELECT sum(1)) = 1",
		"x IN (SELECT row_number() OVER ())",
	};
	static const char *const names[] = {
		"fts3_tokenizer",
		"fts3_tokenizer",
		"load_extension",
		"printf",
		"format",
		"randomblob",
		"zeroblob",
		"random",
		"changes",
		"total_changes",
		"last_insert_rowid",
		"sqlite_version",
		"sqlite_source_id",
		"sqlite_compileoption_used",
		"sqlite_log",
		"subtype",
		"count",
		"group_concat",
		"sum",
		"row_number",
	};
	/* every one is true, so evaluation shows they work as SQLite's */
	static const char *const accepted[] = {
		"abs(-2) = 2",
		"coalesce(NULL, x, 3) = 3",
		"ifnull(NULL, 1) = 1",
		"iif(x IS NULL, 1, 0)",
		"instr('abcd', 'cd') = 3",
		"length('h\xc3\xa9llo') = 5",
		"lower('AbC') = 'abc' AND upper('aBc') = 'ABC'",
		"ltrim('  a') = 'a' AND rtrim('a  ') = 'a' AND trim(' a ') = "
		"'a'",
		"trim('xxaxx', 'x') = 'a'",
		"substr('abcdef', 2, 3) = 'bcd' AND substring('abc', 2) = 'bc'",
		"replace('a-b-c', '-', '+') = 'a+b+c'",
		"round(2.567, 2) = 2.57",
		"min(3, 1, 2) = 1 AND max(3, 1, 2) = 3",
		"'Abc' LIKE 'a%' AND like('a_c', 'abc')",
		"'abc' GLOB 'a*' AND glob('a?c', 'abc')",
		"nullif(1, 1) IS NULL",
		"date('2024-06-30', '+1 day') = '2024-07-01'",
		"time('2024-06-30 12:34:56') = '12:34:56'",
		"datetime(0, 'unixepoch') = '1970-01-01 00:00:00'",
		"julianday('2024-06-30') - julianday('2024-06-29') = 1",
		"strftime('%Y', '2024-06-30') = '2024'",
		"unixepoch('1970-01-02') = 86400",
		"date('now') > '2000' AND current_date > '2000'",
		"typeof(1.5) = 'real'",
		"CAST('12' AS INTEGER) = 12",
		"json_extract('{\"a\":1}', '$.a') = 1",
		"'{\"a\":\"b\"}' ->> '$.a' = 'b'",
		"json_array_length('[1,2]') = 2 AND json_valid('{}')",
		"has('a,b', 'b')",
		"hex('a') = '61' AND char(97) = 'a' AND unicode('a') = 97",
		"sqrt(16) = 4 AND floor(1.5) = 1 AND ceil(1.5) = 2",
		"sign(-3) = -1 AND mod(7, 3) = 1 AND pow(2, 3) = 8",
		"likely(1) AND unlikely(1)",
		"quote('a') = '''a'''",
		"x IS NULL AND 2 BETWEEN 1 AND 3 AND 'a' IN ('a', 'b')",
		"CASE WHEN x IS NULL THEN 1 ELSE 0 END",
		"(SELECT 1) = 1",
		"EXISTS (SELECT 1 FROM (VALUES (1), (2)))",
	};
	struct crm_rules *rs;
	struct crm_err e;
	char want[128];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(want, sizeof(want),
		    "function '%s' is not allowed in a rule", names[i]);
		rc = compile(refused[i], &e);
		TAP_OK(rc == EX_DATAERR && e.line == 7 && e.file != NULL &&
			   strcmp(e.file, "r.rules") == 0 &&
			   strcmp(e.msg, want) == 0,
		    "refused: %s: %s", refused[i], e.msg);
	}
	rs = crm_rules_new(&e);
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		TAP_OK(
		    crm_rules_add(rs, accepted[i], "a", i + 1, &e) == (long)i,
		    "accepted: %s (%s)", accepted[i], e.msg);
	TAP_OK(
	    crm_rules_eval(rs, NULL, 0, &e) == 0, "they evaluate (%s)", e.msg);
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		TAP_OK(crm_rules_match(rs, i), "true: %s", accepted[i]);
	crm_rules_free(rs);

	TAP_OK(crm_rules_allowed("->") && crm_rules_allowed("->>") &&
		   crm_rules_allowed("UPPER") && crm_rules_allowed("has") &&
		   crm_rules_allowed("upper"),
	    "the first and last names of the list, in any case");
	TAP_OK(!crm_rules_allowed("") && !crm_rules_allowed("fts3_tokenizer") &&
		   !crm_rules_allowed("readfile") &&
		   !crm_rules_allowed("writefile") &&
		   !crm_rules_allowed("edit") && !crm_rules_allowed("zz"),
	    "not listed: not allowed");
}

/* A rule whose value doubles n times from 10 bytes, into buf. */
static void
grow(char *buf, size_t size, int n)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		strncat(buf, "replace(", size - strlen(buf) - 1);
	strncat(buf, "'xxxxxxxxxx'", size - strlen(buf) - 1);
	for (i = 0; i < n; i++)
		strncat(buf, ", 'x', 'xx')", size - strlen(buf) - 1);
}

/* The limits of the rules connection. */
static void
test_limits(void)
{
	struct crm_rules *rs;
	struct crm_rec *r = crm_rec_new();
	struct crm_rules_src src;
	struct crm_err e;
	char *text, expr[2048];
	const char *v;
	size_t i, len;
	enum crm_type t;
	long rc;

	/* depth: "1 + 1 + ..." is a tree as deep as it is long */
	text = malloc(CRM_RULES_MAX_SQL + 2);
	strcpy(text, "1");
	for (i = 0; i < 90; i++)
		strcat(text, " + 1");
	TAP_OK(compile(text, &e) == 0, "an expression 90 deep (%s)", e.msg);
	for (; i < 100; i++)
		strcat(text, " + 1");
	TAP_OK(compile(text, &e) == EX_DATAERR && e.line == 7 &&
		   strstr(e.msg, "maximum depth 100") != NULL,
	    "100 deep: %s", e.msg);

	strcpy(text, "coalesce(1");
	for (i = 1; i < CRM_RULES_MAX_ARGS; i++)
		strcat(text, ", 1");
	TAP_OK(compile(strcat(text, ")"), &e) == 0, "32 arguments (%s)", e.msg);
	text[strlen(text) - 1] = '\0';
	TAP_OK(
	    compile(strcat(text, ", 1)"), &e) == EX_DATAERR &&
		strcmp(e.msg, "too many arguments on function coalesce") == 0,
	    "33 arguments: %s", e.msg);

	/* the SQL of a rule */
	memset(text, ' ', CRM_RULES_MAX_SQL + 1);
	text[0] = '1';
	text[CRM_RULES_MAX_SQL + 1] = '\0';
	TAP_OK(compile(text, &e) == EX_DATAERR && e.line == 7 &&
		   strcmp(e.msg, "the rules are longer than 1000000 bytes of "
				 "SQL") == 0,
	    "a rule of 1000001 bytes: %s", e.msg);
	free(text);

	/* a value: ten bytes doubled 16 times is 655360, 17 times too long */
	rs = crm_rules_new(&e);
	grow(expr, sizeof(expr), 16);
	rc = crm_rules_add(rs, strcat(expr, " || x"), "v.rules", 1, &e);
	grow(expr, sizeof(expr), 17);
	rc |= crm_rules_add(rs, strcat(expr, " || x"), "v.rules", 2, &e) != 1;
	TAP_OK(rc == 0, "values that grow compile (%s)", e.msg);
	crm_rec_add(r, "x", 1, "", 0, CRM_STRING);
	src.rec = r;
	src.untyped = 0;
	TAP_OK(crm_rules_eval(rs, &src, 1, &e) == -1 && e.code == EX_DATAERR &&
		   strcmp(e.msg, "v.rules:2: the rule made a value longer "
				 "than 1000000 bytes") == 0,
	    "a value too long rejects the record: %s", e.msg);
	crm_rules_free(rs);

	/* a field: 1000000 bytes are read, one more is the record's fault */
	rs = crm_rules_new(&e);
	crm_rules_add(rs, "length(x)", "f.rules", 1, &e);
	text = malloc(CRM_RULES_MAX_VALUE + 1);
	memset(text, 'x', CRM_RULES_MAX_VALUE + 1);
	crm_rec_clear(r);
	crm_rec_add(r, "x", 1, text, CRM_RULES_MAX_VALUE, CRM_STRING);
	TAP_OK(crm_rules_eval(rs, &src, 1, &e) == 0 &&
		   (v = crm_rules_value(rs, 0, &len, &t)) != NULL &&
		   strcmp(v, "1000000") == 0,
	    "a field of 1000000 bytes (%s)", e.msg);
	crm_rec_clear(r);
	crm_rec_add(r, "x", 1, text, CRM_RULES_MAX_VALUE + 1, CRM_STRING);
	crm_err_clear(&e);
	TAP_OK(crm_rules_eval(rs, &src, 1, &e) == -1 && e.code == EX_DATAERR &&
		   strcmp(e.field, "x") == 0 &&
		   strcmp(e.msg, "longer than 1000000 bytes, the most a rule "
				 "may read") == 0,
	    "a field of 1000001 bytes rejects the record: %s", e.msg);
	free(text);
	crm_rules_free(rs);

	/* LIKE and GLOB patterns */
	rs = crm_rules_new(&e);
	crm_rules_add(rs, "'a' LIKE x", "l.rules", 1, &e);
	text = calloc(1, CRM_RULES_MAX_LIKE + 2);
	memset(text, '%', CRM_RULES_MAX_LIKE);
	crm_rec_clear(r);
	crm_rec_add(r, "x", 1, text, strlen(text), CRM_STRING);
	TAP_OK(crm_rules_eval(rs, &src, 1, &e) == 0 && crm_rules_match(rs, 0),
	    "a pattern of 100 bytes (%s)", e.msg);
	text[CRM_RULES_MAX_LIKE] = '%';
	crm_rec_clear(r);
	crm_rec_add(r, "x", 1, text, strlen(text), CRM_STRING);
	TAP_OK(crm_rules_eval(rs, &src, 1, &e) == -1 &&
		   strcmp(e.msg, "l.rules:1: a LIKE or GLOB pattern longer "
				 "than 100 bytes") == 0,
	    "one of 101 bytes: %s", e.msg);
	free(text);
	crm_rules_free(rs);
	crm_rec_free(r);
}

/*
 * Into buf: "EXISTS (SELECT 1 FROM (VALUES (1), ...) t0, ... WHERE 0 +
 * t0.column1 + ... < 0)", k lists of n rows joined, n^k rows to look at.
 */
static void
cross(char *buf, size_t size, int n, int k)
{
	int i, j;

	snprintf(buf, size, "EXISTS (SELECT 1 FROM ");
	for (i = 0; i < k; i++) {
		strncat(
		    buf, i ? ", (VALUES " : "(VALUES ", size - strlen(buf) - 1);
		for (j = 0; j < n; j++)
			strncat(
			    buf, j ? ", (1)" : "(1)", size - strlen(buf) - 1);
		snprintf(buf + strlen(buf), size - strlen(buf), ") t%d", i);
	}
	strncat(buf, " WHERE 0", size - strlen(buf) - 1);
	for (i = 0; i < k; i++)
		snprintf(
		    buf + strlen(buf), size - strlen(buf), " + t%d.column1", i);
	strncat(buf, " < 0)", size - strlen(buf) - 1);
}

/* The work of one record: a rule that runs away stops the run. */
static void
test_progress(void)
{
	struct crm_rules *rs;
	struct crm_rec *r;
	struct crm_rules_src src;
	struct crm_err e;
	char expr[4096], *big;
	int i;

	/* 10^12 rows: before the limit, it ran for ever */
	rs = crm_rules_new(&e);
	crm_rules_add(rs, "1", "p.rules", 1, &e);
	cross(expr, sizeof(expr), 10, 12);
	TAP_OK(crm_rules_add(rs, expr, "p.rules", 2, &e) == 1,
	    "a join of twelve lists compiles (%s)", e.msg);
	crm_err_clear(&e);
	TAP_OK(crm_rules_eval(rs, NULL, 0, &e) == CRM_RULES_LIMIT &&
		   e.code == EX_DATAERR && e.line == 2 &&
		   strcmp(e.file, "p.rules") == 0 &&
		   strcmp(e.msg, "the rule ran for more than 1000000 steps on "
				 "one record") == 0,
	    "it runs out of steps, named: %s", e.msg);
	TAP_OK(crm_rules_eval(rs, NULL, 0, &e) == CRM_RULES_LIMIT, "and again "
								   "on the "
								   "next "
								   "record");
	crm_rules_free(rs);

	/* 10^4 rows each: alone within the limit, not forty together */
	rs = crm_rules_new(&e);
	cross(expr, sizeof(expr), 10, 4);
	for (i = 0; i < 40; i++)
		crm_rules_add(rs, expr, "q.rules", (unsigned long)i + 1, &e);
	crm_err_clear(&e);
	TAP_OK(crm_rules_eval(rs, NULL, 0, &e) == CRM_RULES_LIMIT &&
		   e.line == 0 && strcmp(e.file, "q.rules") == 0 &&
		   strcmp(e.msg, "the rules ran for more than 1000000 steps on "
				 "one record") == 0,
	    "rules together: %s", e.msg);
	crm_rules_free(rs);
	rs = crm_rules_new(&e);
	crm_rules_add(rs, expr, "q.rules", 1, &e);
	TAP_OK(crm_rules_eval(rs, NULL, 0, &e) == 0 && !crm_rules_match(rs, 0),
	    "one of them alone (%s)", e.msg);
	crm_rules_free(rs);

	/*
	 * Few steps, each a LIKE over 100000 bytes: the time stops it (50 ms
	 * here, for the test; 1.6 s of work at least)
	 */
	rs = crm_rules_new(&e);
	crm_rules_time_limit(rs, 50);
	cross(expr, sizeof(expr), 20, 2);
	strcpy(strstr(expr, " WHERE"), " WHERE x LIKE '%' || "
				       "substr('aaaaaaaaab', t0.column1 + "
				       "t1.column1 "
				       "- 1) || '%')");
	TAP_OK(crm_rules_add(rs, expr, "t.rules", 3, &e) == 0, "%s (%s)", expr,
	    e.msg);
	big = malloc(100000);
	memset(big, 'a', 100000);
	r = crm_rec_new();
	crm_rec_add(r, "x", 1, big, 100000, CRM_STRING);
	src.rec = r;
	src.untyped = 0;
	crm_err_clear(&e);
	TAP_OK(crm_rules_eval(rs, &src, 1, &e) == CRM_RULES_LIMIT &&
		   e.line == 3 &&
		   strcmp(e.msg, "the rule ran for more than 50 ms of CPU time "
				 "on one "
				 "record") == 0,
	    "a slow rule runs out of time: %s", e.msg);
	crm_rules_free(rs);
	crm_rec_free(r);
	free(big);
}

/* The value of expr in the rules, quoted: into buf. */
static void
ours(const char *expr, char *buf, size_t size)
{
	struct crm_rules *rs;
	struct crm_err e;
	enum crm_type t;
	const char *v;
	size_t len;

	rs = crm_rules_new(&e);
	if (crm_rules_add(rs, expr, "q", 1, &e) == -1 ||
	    crm_rules_eval(rs, NULL, 0, &e) == -1)
		snprintf(buf, size, "error: %.200s", e.msg);
	else if ((v = crm_rules_value(rs, 0, &len, &t)) == NULL)
		snprintf(buf, size, "NULL");
	else
		snprintf(buf, size, "%.*s", (int)(len > 200 ? 200 : len), v);
	crm_rules_free(rs);
}

/* The value of expr in plain SQLite, quoted: into buf. */
static void
theirs(sqlite3 *db, const char *expr, char *buf, size_t size)
{
	sqlite3_stmt *st;
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT (%s)", expr);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		snprintf(buf, size, "error: %.200s", sqlite3_errmsg(db));
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		snprintf(buf, size, "NULL");
	else
		snprintf(buf, size, "%.200s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * instr(), replace() and trim() are our own, in linear time: the same
 * results as SQLite's on every combination of awkward values (NULL,
 * empty, numbers, multibyte and invalid UTF-8, blobs), types included.
 */
static void
test_own_functions(void)
{
	static const char *const v[] = {
		"NULL",
		"''",
		"'a'",
		"'abca'",
		"'h\xc3\xa9llo'",
		"'\xc3\xa9'",
		"12",
		"1.5",
		"x'c3'",
		"x'80a9'",
		"x'61c3a961'",
		"' x '",
		"'aaa'",
		"x''",
		"x'c3a9c3'",
		"x'c380808061'",
		"x'a9c3a9a9'",
		"'\xc3\xa9"
		"a\xc3\xa9'",
	};
	static const char *const rv[] = {
		"NULL",
		"''",
		"'a'",
		"'aa'",
		"'\xc3\xa9'",
		"x'a9'",
		"1",
	};
	const size_t nv = sizeof(v) / sizeof(v[0]);
	const size_t nr = sizeof(rv) / sizeof(rv[0]);
	static const char *const trims[] = { "trim", "ltrim", "rtrim" };
	char expr[256], a[256], b[256];
	size_t i, j, k, n = 0, same = 0;
	sqlite3 *db;

	sqlite3_open(":memory:", &db);
	for (i = 0; i < nv; i++)
		for (j = 0; j < nv; j++) {
			snprintf(expr, sizeof(expr),
			    "quote(instr(%s, %s)) || typeof(instr(%s, %s))",
			    v[i], v[j], v[i], v[j]);
			ours(expr, a, sizeof(a));
			theirs(db, expr, b, sizeof(b));
			n++;
			if (strcmp(a, b) == 0)
				same++;
			else
				TAP_OK(0, "%s: %s, SQLite %s", expr, a, b);
		}
	for (i = 0; i < nv; i++)
		for (j = 0; j < nr; j++)
			for (k = 0; k < nr; k++) {
				snprintf(expr, sizeof(expr),
				    "quote(replace(%s, %s, %s))", v[i], rv[j],
				    rv[k]);
				ours(expr, a, sizeof(a));
				theirs(db, expr, b, sizeof(b));
				n++;
				if (strcmp(a, b) == 0)
					same++;
				else
					TAP_OK(
					    0, "%s: %s, SQLite %s", expr, a, b);
			}
	for (k = 0; k < 3; k++)
		for (i = 0; i < nv; i++)
			for (j = 0; j <= nv; j++) {
				if (j == nv)
					snprintf(expr, sizeof(expr),
					    "quote(%s(%s))", trims[k], v[i]);
				else
					snprintf(expr, sizeof(expr),
					    "quote(%s(%s, %s))", trims[k], v[i],
					    v[j]);
				ours(expr, a, sizeof(a));
				theirs(db, expr, b, sizeof(b));
				n++;
				if (strcmp(a, b) == 0)
					same++;
				else
					TAP_OK(
					    0, "%s: %s, SQLite %s", expr, a, b);
			}
	sqlite3_close(db);
	TAP_OK(same == n, "%zu of %zu calls as SQLite's", same, n);
}

static void
put(struct crm_rec *r, const char *name, const char *v, enum crm_type t)
{
	crm_rec_add(r, name, strlen(name), v, strlen(v), t);
}

static void
test_eval(void)
{
	static const char *const x[] = {
		"monetary >= 10000",		  /* 0 */
		"code = '007'",			  /* 1 */
		"blank IS NULL",		  /* 2 */
		"name = 'x''; DROP TABLE t; --'", /* 3: SQL in a value */
		"days_since_login > 30",	  /* 4: from the features */
		"missing IS NULL",		  /* 5 */
		"json_extract(j, '$.a') = 1",	  /* 6 */
		"vip",				  /* 7: JSON true */
		"monetary",			  /* 8: a value */
	};
	struct crm_rules *rs;
	struct crm_rec *r = crm_rec_new(), *feat = crm_rec_new();
	struct crm_rules_src src[2];
	struct crm_err e;
	enum crm_type t;
	size_t i, len;
	const char *v;

	rs = crm_rules_new(&e);
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (crm_rules_add(rs, x[i], "r", i + 1, &e) == -1)
			TAP_OK(0, "rule %zu: %s", i, e.msg);
	put(r, "monetary", "10000", CRM_STRING);
	put(r, "code", "007", CRM_STRING);
	put(r, "blank", "", CRM_STRING);
	put(r, "name", "x'; DROP TABLE t; --", CRM_STRING);
	put(r, "j", "{\"a\":1}", CRM_STRING);
	put(r, "vip", "", CRM_TRUE);
	put(feat, "days_since_login", "31", CRM_NUMBER);
	put(feat, "monetary", "5", CRM_NUMBER);
	src[0].rec = r;
	src[0].untyped = 1;
	src[1].rec = feat;
	src[1].untyped = 0;
	TAP_OK(crm_rules_eval(rs, src, 2, &e) == 0, "eval (%s)", e.msg);
	TAP_OK(crm_rules_match(rs, 0), "a CSV number is a number");
	TAP_OK(crm_rules_match(rs, 1), "007 stays text");
	TAP_OK(crm_rules_match(rs, 2), "an empty CSV value is NULL");
	TAP_OK(crm_rules_match(rs, 3), "SQL in a value is data");
	TAP_OK(crm_rules_match(rs, 4), "a name from the second source");
	TAP_OK(crm_rules_match(rs, 5), "a name no source has is NULL");
	TAP_OK(crm_rules_match(rs, 6), "JSON functions");
	TAP_OK(crm_rules_match(rs, 7), "JSON true is true");
	v = crm_rules_value(rs, 8, &len, &t);
	TAP_OK(t == CRM_NUMBER && len == 5 && memcmp(v, "10000", 5) == 0,
	    "the record's field wins over the second source's");

	/* typed: a JSON string stays text, and the cache follows new names */
	crm_rec_clear(r);
	put(r, "code", "007", CRM_STRING);
	put(r, "monetary", "9999.5", CRM_NUMBER);
	put(r, "j", "not json", CRM_STRING);
	src[0].untyped = 0;
	TAP_OK(crm_rules_eval(rs, src, 2, &e) == -1 && e.code == EX_DATAERR &&
		   strncmp(e.msg, "r:7: ", 5) == 0,
	    "a failing rule is named: %s", e.msg);
	crm_rec_clear(r);
	put(r, "monetary", "9999.5", CRM_NUMBER);
	put(r, "blank", "", CRM_STRING);
	TAP_OK(crm_rules_eval(rs, src, 2, &e) == 0, "eval again (%s)", e.msg);
	TAP_OK(!crm_rules_match(rs, 0), "9999.5 < 10000");
	TAP_OK(!crm_rules_match(rs, 2), "an empty JSON string is not NULL");
	TAP_OK(!crm_rules_match(rs, 7), "a missing field is false");
	crm_rules_free(rs);
	crm_rec_free(r);
	crm_rec_free(feat);
}

static void
test_has(void)
{
	static const struct {
		const char *expr;
		int want;
	} c[] = {
		{ "has('vip,gold', 'vip')", 1 },
		{ "has('vip, gold ', 'gold')", 1 },
		{ "has('vip,gold', 'vi')", 0 },
		{ "has('vipx', 'vip')", 0 },
		{ "has('', 'vip')", 0 },
		{ "has(NULL, 'vip') IS NULL", 1 },
		{ "has('a,,b', 'b')", 1 },
	};
	struct crm_rules *rs;
	struct crm_err e;
	size_t i;

	rs = crm_rules_new(&e);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		crm_rules_add(rs, c[i].expr, "h", i + 1, &e);
	TAP_OK(crm_rules_eval(rs, NULL, 0, &e) == 0, "has() evaluates (%s)",
	    e.msg);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		TAP_OK(crm_rules_match(rs, i) == c[i].want, "%s is %d",
		    c[i].expr, c[i].want);
	crm_rules_free(rs);
}

static void
test_number(void)
{
	static const struct {
		const char *s;
		int want;
	} c[] = {
		{ "", 0 },
		{ "0", 1 },
		{ "-12", 1 },
		{ "3.5", 2 },
		{ "1e6", 2 },
		{ "-0.5E-3", 2 },
		{ "007", 3 },
		{ "+1", 3 },
		{ "1.", 3 },
		{ ".5", 3 },
		{ "0x1F", 3 },
		{ "1,000", 3 },
		{ " 1", 3 },
		{ "nan", 3 },
		{ "99999999999999999999", 2 },
	};
	long long iv;
	double dv;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		TAP_OK(crm_rules_number(c[i].s, strlen(c[i].s), &iv, &dv) ==
			   c[i].want,
		    "'%s' is kind %d", c[i].s, c[i].want);
}

int
main(void)
{
	int fd = mkstemp(tmpl);

	if (fd == -1)
		return 1;
	close(fd);
	test_file();
	test_compile();
	test_eval();
	test_number();
	test_has();
	test_functions();
	test_limits();
	test_progress();
	test_own_functions();
	unlink(tmpl);
	return tap_done();
}
