/*
 * test_schema: numbers as crm-ingest reads them (crm_schema_number: the
 * JSON text written, decimal commas, integers) and the types
 * --infer-types gives a field from its first value; then a schema
 * applied to records: number fields become JSON numbers, an inferred
 * type holds for the later records, and --kind and --table names.
 */
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "rec.h"
#include "schema.h"
#include "tap.h"

static struct crm_buf b;

/*
 * The JSON text of v read with flags, "-" when it is not a number, or
 * "range" when it is out of range.
 */
static const char *
num(const char *v, int flags)
{
	int rc;

	crm_buf_reset(&b);
	rc = crm_schema_number(&b, v, strlen(v), flags);
	if (rc == 2)
		return crm_schema_number(NULL, v, strlen(v), flags) == 2
			   ? "range"
			   : "range only with out";
	if (rc != 0)
		return "-";
	return b.p != NULL ? b.p : "";
}

/* "1" followed by n zeros, with the prefix pre and suffix suf. */
static const char *
big(const char *pre, size_t n, const char *suf)
{
	static char buf[512];
	size_t k = strlen(pre);

	memcpy(buf, pre, k);
	buf[k++] = '1';
	while (n-- > 0)
		buf[k++] = '0';
	strcpy(buf + k, suf);
	return buf;
}

static const char *
infer(const char *v, int flags)
{
	return crm_schema_infer(v, strlen(v), flags) == CRM_F_INUMBER ? "number"
								      : "text";
}

/* Field name's value and type in r, as "value/n" or "value/s". */
static const char *
field(const struct crm_rec *r, const char *name)
{
	static char buf[64];
	long i = crm_rec_find(r, name, strlen(name));
	const char *v;
	size_t len;

	if (i < 0)
		return "absent";
	v = crm_rec_value(r, (size_t)i, &len);
	snprintf(buf, sizeof(buf), "%.*s/%c", (int)len, v,
	    crm_rec_type(r, (size_t)i) == CRM_NUMBER ? 'n' : 's');
	return buf;
}

/* A record {id, n} of line, n a string (CSV) or a JSON number (type). */
static struct crm_rec *
rect(unsigned long line, const char *id, const char *n, enum crm_type type)
{
	struct crm_rec *r = crm_rec_new();

	crm_rec_add(r, "id", 2, id, strlen(id), CRM_STRING);
	crm_rec_add(r, "n", 1, n, strlen(n), type);
	crm_rec_set_line(r, line);
	return r;
}

static struct crm_rec *
rec(unsigned long line, const char *id, const char *n)
{
	return rect(line, id, n, CRM_STRING);
}

int
main(void)
{
	struct crm_schema *s;
	struct crm_err e;
	struct crm_rec *r;

	/* Plain numbers: JSON text, nothing else changed. */
	TAP_STR(num("42", 0), "42", "an integer");
	TAP_STR(num("-1.10", 0), "-1.10", "trailing zero kept");
	TAP_STR(num("+12.5", 0), "12.5", "'+' dropped");
	TAP_STR(num("007", 0), "7", "leading zeros dropped");
	TAP_STR(num("000", 0), "0", "zero stays");
	TAP_STR(num("-0", 0), "-0", "minus zero stays");
	TAP_STR(num(".5", 0), "0.5", "a zero before a lone point");
	TAP_STR(num("2.", 0), "2", "a point with no fraction dropped");
	TAP_STR(num("1.5E+3", 0), "1.5e3", "exponent: '+' dropped");
	TAP_STR(num("1e-05", 0), "1e-05", "exponent: sign and zeros kept");
	TAP_STR(num("abc", 0), "-", "letters");
	TAP_STR(num("", 0), "-", "empty");
	TAP_STR(num(".", 0), "-", "a lone point");
	TAP_STR(num("1e", 0), "-", "an exponent without digits");
	TAP_STR(num("1,5", 0), "-", "a comma without --decimal-comma");
	TAP_STR(num("1 000", 0), "-", "a space inside");
	TAP_STR(num("--1", 0), "-", "two signs");

	/* Decimal comma. */
	TAP_STR(num("3,5", CRM_NUM_COMMA), "3.5", "decimal comma");
	TAP_STR(num("1.234,5", CRM_NUM_COMMA), "1234.5", "points group");
	TAP_STR(num("-1.234.567", CRM_NUM_COMMA), "-1234567", "two groups");
	TAP_STR(num("12", CRM_NUM_COMMA), "12", "no comma at all");
	TAP_STR(num(",25", CRM_NUM_COMMA), "0.25", "a lone comma");
	TAP_STR(num("1.5", CRM_NUM_COMMA), "-", "a point is not decimal");
	TAP_STR(num("1.23,4", CRM_NUM_COMMA), "-", "a group of two");
	TAP_STR(num("1234.567", CRM_NUM_COMMA), "-", "a first group of 4");
	TAP_STR(num("1.234.", CRM_NUM_COMMA), "-", "a trailing point");
	TAP_STR(num("0,5e2", CRM_NUM_COMMA), "0.5e2", "exponent with comma");

	/* Out of a double's range: SQLite would store Inf. */
	TAP_STR(num("1e999", 0), "range", "1e999 overflows");
	TAP_STR(num("-1e999", 0), "range", "-1e999 overflows");
	TAP_STR(num("1e308", 0), "1e308", "1e308 fits");
	TAP_STR(num("1.7976931348623157e308", 0), "1.7976931348623157e308",
	    "DBL_MAX fits");
	TAP_STR(num("1.7976931348623159e308", 0), "range",
	    "just past DBL_MAX overflows");
	TAP_STR(num("0.001e311", 0), "0.001e311", "1e308 with a fraction");
	TAP_STR(num("0.01e311", 0), "range", "1e309 with a fraction");
	TAP_STR(num("1e99999999999999999999", 0), "range", "a huge exponent");
	TAP_STR(num("1e-999", 0), "1e-999", "too small is 0, in range");
	TAP_STR(num("0e999", 0), "0e999", "zero with any exponent");
	TAP_STR(num(big("", 308, ""), 0), big("", 308, ""),
	    "309 digits: 1e308 fits");
	TAP_STR(num(big("", 309, ".5"), 0), "range", "310 digits overflow");
	TAP_STR(
	    num(big("00", 309, ""), 0), "range", "leading zeros do not count");
	TAP_STR(num("1,8e308", CRM_NUM_COMMA), "range", "with a decimal comma");
	TAP_STR(num("99999999999999999999", 0), "99999999999999999999",
	    "20 digits: a number (inexact)");

	/* Integers. */
	TAP_STR(num("-12", CRM_NUM_INTEGER), "-12", "integer");
	TAP_STR(num("1.5", CRM_NUM_INTEGER), "-", "a fraction");
	TAP_STR(num("1e3", CRM_NUM_INTEGER), "-", "an exponent");
	TAP_STR(num("1.000", CRM_NUM_INTEGER | CRM_NUM_COMMA), "1000",
	    "integer with groups");
	TAP_STR(num("9223372036854775807", CRM_NUM_INTEGER),
	    "9223372036854775807", "the largest 64-bit integer");
	TAP_STR(num("-9223372036854775808", CRM_NUM_INTEGER),
	    "-9223372036854775808", "the smallest 64-bit integer");
	TAP_STR(num("9223372036854775808", CRM_NUM_INTEGER), "range",
	    "one past the largest");
	TAP_STR(num("-9223372036854775809", CRM_NUM_INTEGER), "range",
	    "one past the smallest");
	TAP_STR(
	    num("99999999999999999999", CRM_NUM_INTEGER), "range", "20 digits");
	TAP_STR(num("00009223372036854775807", CRM_NUM_INTEGER),
	    "9223372036854775807", "leading zeros do not count");
	TAP_STR(
	    num("9.223.372.036.854.775.808", CRM_NUM_INTEGER | CRM_NUM_COMMA),
	    "range", "grouped, one past the largest");

	/* Inference: plain numbers only; codes stay text. */
	TAP_STR(infer("42", 0), "number", "infer 42");
	TAP_STR(infer("-0.25", 0), "number", "infer -0.25");
	TAP_STR(infer("0", 0), "number", "infer 0");
	TAP_STR(infer("0.5", 0), "number", "infer 0.5");
	TAP_STR(infer("007", 0), "text", "infer 007: a code");
	TAP_STR(infer("+8613800138000", 0), "text", "infer a phone");
	TAP_STR(infer("1e5", 0), "text", "infer 1e5: a product code");
	TAP_STR(infer(".5", 0), "text", "infer .5");
	TAP_STR(infer("1234567890123456", 0), "text", "infer 16 digits");
	TAP_STR(infer("123456789012345", 0), "number", "infer 15 digits");
	TAP_STR(infer("99999999999999999999", 0), "text",
	    "infer 20 digits: text, never out of range");
	TAP_STR(infer("1e999", 0), "text", "infer 1e999: text");
	TAP_STR(infer("3,5", 0), "text", "infer 3,5 without comma");
	TAP_STR(infer("3,5", CRM_NUM_COMMA), "number", "infer 3,5");
	TAP_STR(infer("1.234,5", CRM_NUM_COMMA), "number", "infer 1.234,5");
	TAP_STR(infer("true", 0), "text", "infer true");

	/* The fields every record needs, as the input names them. */
	{
		const char *nm, *opt;

		crm_err_clear(&e);
		s = crm_schema_new("events", &e);
		crm_schema_map(s, "time", "ts", &e);
		TAP_OK(crm_schema_need(s, 0, &nm, &opt) == 1 &&
			   strcmp(nm, "customer_id") == 0 &&
			   strcmp(opt, "use --map customer_id=FIELD") == 0,
		    "need: a kind's field, unmapped");
		TAP_OK(crm_schema_need(s, 1, &nm, &opt) == 1 &&
			   strcmp(nm, "ts") == 0 &&
			   strcmp(opt, "--map time=ts") == 0,
		    "need: a mapped field by its input name");
		TAP_OK(crm_schema_need(s, 2, &nm, &opt) == 1 &&
			   strcmp(nm, "type") == 0 &&
			   crm_schema_need(s, 3, &nm, &opt) == 0,
		    "need: events need three fields");
		crm_schema_free(s);
		s = crm_schema_new_table("leads", &e);
		crm_schema_set_key(s, "lead", &e);
		TAP_OK(crm_schema_need(s, 0, &nm, &opt) == 1 &&
			   strcmp(nm, "lead") == 0 &&
			   strcmp(opt, "--key") == 0 &&
			   crm_schema_need(s, 1, &nm, &opt) == 0,
		    "need: a table's --key");
		crm_schema_free(s);
		s = crm_schema_new_table("docs", &e);
		TAP_OK(crm_schema_need(s, 0, &nm, &opt) == 0, "need: a table "
							      "without --key "
							      "needs nothing");
		crm_schema_free(s);
	}

	/* Kinds and tables. */
	crm_err_clear(&e);
	TAP_OK(crm_schema_new("custmers", &e) == NULL && e.code == EX_USAGE,
	    "unknown kind");
	TAP_STR(e.msg,
	    "unknown --kind 'custmers'; did you mean 'customers'? (kinds: "
	    "customers, events, consent; a table of your own needs --table "
	    "NAME)",
	    "unknown kind: the message");
	crm_err_clear(&e);
	TAP_OK(crm_schema_new("leads", &e) == NULL &&
		   strstr(e.msg, "did you mean") == NULL,
	    "a far name: no suggestion");
	crm_err_clear(&e);
	TAP_OK(crm_schema_new_table("events", &e) == NULL && e.code == EX_USAGE,
	    "--table events");
	crm_err_clear(&e);
	TAP_OK(crm_schema_new_table("sqlite_stat1", &e) == NULL, "--table "
								 "sqlite_"
								 "stat1");
	crm_err_clear(&e);
	TAP_OK(crm_schema_new_table("Leads", &e) == NULL, "--table Leads");
	crm_err_clear(&e);
	TAP_OK(crm_schema_new_table("tags", &e) == NULL, "--table tags");

	/* Consent: granted in its words, as 1 or 0; anything else refused. */
	{
		static const struct {
			const char *in, *out;
		} g[] = {
			{ "granted", "1" },
			{ " Withdrawn ", "0" },
			{ "YES", "1" },
			{ "false", "0" },
			{ "1", "1" },
			{ "maybe", NULL },
			{ "2", NULL },
		};
		struct crm_rec *cr = crm_rec_new();
		const char *v;
		size_t k, len;

		crm_err_clear(&e);
		s = crm_schema_new("consent", &e);
		TAP_OK(s != NULL, "the consent kind");
		for (k = 0; s != NULL && k < sizeof(g) / sizeof(g[0]); k++) {
			crm_rec_clear(cr);
			crm_rec_add(cr, "customer_id", 11, "C1", 2, CRM_STRING);
			crm_rec_add(cr, "purpose", 7, "sms", 3, CRM_STRING);
			crm_rec_add(cr, "granted", 7, g[k].in, strlen(g[k].in),
			    CRM_STRING);
			crm_rec_add(
			    cr, "time", 4, "2026-01-05", 10, CRM_STRING);
			crm_err_clear(&e);
			if (g[k].out == NULL) {
				TAP_OK(crm_schema_apply(s, cr, &e) == -1 &&
					   e.code == EX_DATAERR &&
					   strcmp(e.field, "granted") == 0,
				    "granted '%s' refused: %s", g[k].in, e.msg);
				continue;
			}
			v = crm_schema_apply(s, cr, &e) == 0
				? crm_rec_value(cr, 2, &len)
				: "";
			TAP_OK(strcmp(v, g[k].out) == 0 &&
				   crm_rec_type(cr, 2) == CRM_NUMBER,
			    "granted '%s' is %s", g[k].in, g[k].out);
		}
		crm_err_clear(&e);
		TAP_OK(
		    s != NULL && crm_schema_set_key(s, "x", &e) == -1 &&
			strstr(e.msg, "customer_id, purpose and time") != NULL,
		    "consent has no --key: %s", e.msg);
		crm_schema_free(s);
		crm_rec_free(cr);
		crm_err_clear(&e);
		TAP_OK(crm_schema_new_table("consent", &e) == NULL &&
			   e.code == EX_USAGE,
		    "--table consent");
	}

	/* A declared number: JSON numbers out. */
	crm_err_clear(&e);
	s = crm_schema_new_table("t", &e);
	TAP_OK(s != NULL && crm_schema_set_type(s, "n", "number", &e) == 0,
	    "--type n=number");
	crm_schema_set_decimal_comma(s, 1);
	r = rec(2, "a", " 1.234,50 ");
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "number applied");
	TAP_STR(field(r, "n"), "1234.50/n", "number out as a JSON number");
	TAP_STR(field(r, "id"), "a/s", "id stays a string");
	crm_rec_free(r);
	r = rec(3, "b", "n/a");
	TAP_OK(crm_schema_apply(s, r, &e) == -1 && e.code == EX_DATAERR, "a "
									 "bad "
									 "numbe"
									 "r "
									 "rejec"
									 "ted");
	TAP_STR(e.field, "n", "the field named");
	TAP_STR(e.msg, "not a number (got 'n/a')", "the message");
	crm_rec_free(r);
	crm_err_clear(&e);
	r = rec(4, "c", "1e999");
	TAP_OK(crm_schema_apply(s, r, &e) == -1 && e.code == EX_DATAERR, "1e999"
									 " reje"
									 "cte"
									 "d");
	TAP_STR(
	    e.msg, "out of range (got '1e999')", "out of range: the message");
	crm_rec_free(r);
	crm_err_clear(&e);
	r = rect(5, "d", "-1e400", CRM_NUMBER);
	TAP_OK(crm_schema_apply(s, r, &e) == -1 && e.code == EX_DATAERR,
	    "a JSON number out of range rejected");
	TAP_STR(
	    e.msg, "out of range (got '-1e400')", "the JSON number's message");
	crm_rec_free(r);
	r = rect(6, "e", "2.5e300", CRM_NUMBER);
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "a JSON number in range");
	TAP_STR(field(r, "n"), "2.5e300/n", "kept as written");
	crm_rec_free(r);
	crm_schema_free(s);

	/* A declared integer: SQLite's 64-bit range. */
	crm_err_clear(&e);
	s = crm_schema_new_table("t", &e);
	TAP_OK(s != NULL && crm_schema_set_type(s, "n", "integer", &e) == 0,
	    "--type n=integer");
	r = rec(2, "a", "99999999999999999999");
	TAP_OK(crm_schema_apply(s, r, &e) == -1 && e.code == EX_DATAERR, "20 "
									 "digit"
									 "s "
									 "rejec"
									 "ted");
	TAP_STR(e.msg,
	    "out of range for a 64-bit integer (got '99999999999999999999')",
	    "integer out of range: the message");
	crm_rec_free(r);
	crm_err_clear(&e);
	r = rect(3, "b", "-9223372036854775809", CRM_NUMBER);
	TAP_OK(crm_schema_apply(s, r, &e) == -1 && e.code == EX_DATAERR,
	    "a JSON integer out of range rejected");
	crm_rec_free(r);
	r = rect(4, "c", "-9223372036854775808", CRM_NUMBER);
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "the smallest integer kept");
	TAP_STR(field(r, "n"), "-9223372036854775808/n", "as written");
	crm_rec_free(r);
	crm_schema_free(s);

	/* Inferred: the first non-empty value decides, later ones follow. */
	crm_err_clear(&e);
	s = crm_schema_new_table("t", &e);
	crm_schema_set_infer(s, 1);
	r = rec(2, "a", "");
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "empty first value");
	TAP_OK(crm_schema_type(s, "n", 1) == CRM_F_AUTO, "decides nothing");
	crm_rec_free(r);
	r = rec(3, "b", "100");
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "a number");
	TAP_STR(field(r, "n"), "100/n", "inferred number out as a number");
	TAP_STR(field(r, "id"), "b/s", "the --key-less id inferred text");
	TAP_OK(crm_schema_type(s, "n", 1) == CRM_F_INUMBER, "n is a number");
	TAP_OK(crm_schema_declared(s, "n", 1) == CRM_F_AUTO, "not declared");
	crm_rec_free(r);
	r = rec(4, "7", "9.5");
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "a later number");
	TAP_STR(field(r, "n"), "9.5/n", "later number");
	TAP_STR(field(r, "id"), "7/s", "a text field keeps numbers text");
	crm_rec_free(r);
	r = rec(5, "c", "007");
	TAP_OK(crm_schema_apply(s, r, &e) == -1 && e.code == EX_DATAERR,
	    "a code in a number field rejected");
	TAP_STR(e.msg,
	    "not a number (got '007'), as inferred from line 3 (--type "
	    "n=text keeps text)",
	    "the message names the line");
	crm_rec_free(r);
	crm_schema_free(s);

	/* Inferred in one input, rejected in the next: both named. */
	crm_err_clear(&e);
	s = crm_schema_new_table("t", &e);
	crm_schema_set_infer(s, 1);
	crm_schema_set_input(s, "i1.csv");
	r = rec(2, "a", "5");
	TAP_OK(crm_schema_apply(s, r, &e) == 0, "i1.csv: a number");
	crm_rec_free(r);
	r = rec(3, "b", "x");
	TAP_OK(crm_schema_apply(s, r, &e) == -1, "i1.csv: x rejected");
	TAP_STR(e.msg,
	    "not a number (got 'x'), as inferred from line 2 (--type n=text "
	    "keeps text)",
	    "the same input: the line alone");
	crm_rec_free(r);
	crm_schema_set_input(s, "i2.csv");
	crm_err_clear(&e);
	r = rec(2, "c", "n/a");
	TAP_OK(crm_schema_apply(s, r, &e) == -1, "i2.csv: n/a rejected");
	TAP_STR(e.msg,
	    "not a number (got 'n/a'), as inferred from i1.csv:2 (--type "
	    "n=text keeps text)",
	    "another input: its name and line");
	crm_rec_free(r);
	crm_schema_free(s);

	/* A first JSON value out of range: rejected, not "as inferred". */
	crm_err_clear(&e);
	s = crm_schema_new_table("t", &e);
	crm_schema_set_infer(s, 1);
	r = rect(1, "a", "1e999", CRM_NUMBER);
	TAP_OK(crm_schema_apply(s, r, &e) == -1, "inferred 1e999 rejected");
	TAP_STR(e.msg, "out of range (got '1e999')", "the message: no line");
	crm_rec_free(r);
	crm_schema_free(s);
	crm_buf_release(&b);
	return tap_done();
}
