/*
 * test_rules: unit tests for rules files and SQL expressions
 * (lib/rules.c).
 */
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
	FILE *fp = fopen(tmpl, "w");

	fputs(text, fp);
	fclose(fp);
	return tmpl;
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
		   &e) == EX_DATAERR,
	    "no recursive query: %s", e.msg);
	TAP_OK(compile("\"unknown\" = 'unknown'", &e) == 0, "a double-quoted "
							    "word is a name, "
							    "not a string");
	TAP_OK(compile("x /* open", &e) == EX_DATAERR, "an open comment: %s",
	    e.msg);
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
	unlink(tmpl);
	return tap_done();
}
