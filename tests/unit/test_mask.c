/*
 * test_mask: unit tests for lib/mask.c: the policy parser and its
 * errors, roles, the masks, generalizations and keyed pseudonyms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "mask.h"
#include "tap.h"

static int
parse(struct crm_mask_policy *p, const char *text, struct crm_err *e)
{
	crm_err_clear(e);
	return crm_mask_policy_parse(p, "p.policy", text, strlen(text), e);
}

static void
test_policy(void)
{
	struct crm_mask_policy p;
	struct crm_err e;

	TAP_OK(parse(&p,
		   "# top\n"
		   "default: keep   # all but\n"
		   "  phone : mask phone\n"
		   "email: pseudonymize\r\n"
		   "d: generalize month\n"
		   "n: generalize band 250\n"
		   "zip code: generalize prefix 3\n"
		   "\n"
		   "[analyst]\n"
		   "city: keep\n"
		   "[agent.desk]\n"
		   "default: drop\n",
		   &e) == 0,
	    "a policy parses (%s)", e.msg);
	TAP_OK(p.n == 3 && p.role[0].n == 5 && p.role[0].keep &&
		   p.role[1].n == 1 && !p.role[1].keep &&
		   !p.role[1].has_default && p.role[2].has_default &&
		   !p.role[2].keep,
	    "three roles, their rules and defaults");
	TAP_STR(p.role[0].rule[0].field, "phone", "field names trimmed");
	TAP_OK(p.role[0].rule[0].action == CRM_MASK_MASK &&
		   p.role[0].rule[0].kind == CRM_MASK_PHONE &&
		   p.role[0].rule[0].line == 3,
	    "mask phone, at line 3");
	TAP_OK(p.role[0].rule[1].action == CRM_MASK_PSEUDONYMIZE &&
		   p.role[0].rule[1].kind == CRM_MASK_AUTO,
	    "pseudonymize, CRLF line");
	TAP_OK(p.role[0].rule[3].kind == CRM_MASK_BAND &&
		   p.role[0].rule[3].arg == 250,
	    "band width");
	TAP_STR(p.role[0].rule[4].field, "zip code", "a name with a space");
	TAP_OK(crm_mask_policy_role(&p, NULL, &e) == 0 &&
		   crm_mask_policy_role(&p, "analyst", &e) == 1 &&
		   crm_mask_policy_role(&p, "agent.desk", &e) == 2,
	    "roles by name");
	TAP_OK(crm_mask_policy_role(&p, "analist", &e) == -1 &&
		   e.code == EX_USAGE &&
		   strstr(e.msg, "did you mean 'analyst'?") != NULL,
	    "an unknown role: did you mean (%s)", e.msg);
	TAP_OK(crm_mask_policy_role(&p, "boss", &e) == -1 &&
		   strstr(e.msg, "(roles: analyst, agent.desk)") != NULL,
	    "an unknown role: the roles (%s)", e.msg);
	crm_mask_policy_release(&p);

	TAP_OK(parse(&p, "", &e) == 0 && p.n == 1 && p.role[0].n == 0 &&
		   !p.role[0].keep,
	    "an empty policy drops everything");
	crm_mask_policy_release(&p);
	TAP_OK(parse(&p, "[a]\nx: keep\n", &e) == 0 &&
		   crm_mask_policy_role(&p, NULL, &e) == -1 &&
		   e.code == EX_USAGE,
	    "roles only: --role needed");
	crm_mask_policy_release(&p);
}

static void
bad(const char *text, unsigned long line, const char *msg)
{
	struct crm_mask_policy p;
	struct crm_err e;

	TAP_OK(parse(&p, text, &e) == -1 && e.code == EX_DATAERR &&
		   e.line == line && strstr(e.msg, msg) != NULL &&
		   p.role == NULL && e.file != NULL &&
		   strcmp(e.file, "p.policy") == 0,
	    "bad policy line %lu: '%s' (%s)", line, msg, e.msg);
}

static void
test_bad(void)
{
	bad("phone: pseudonymise\n", 1,
	    "unknown rule 'pseudonymise'; did you mean 'pseudonymize'?");
	bad("a: keep\nphone: blur\n", 2, "unknown rule 'blur' (rules: keep,");
	bad("phone mask\n", 1, "'phone': want FIELD: RULE");
	bad(": keep\n", 1, "no field before ':'");
	bad("x:\n", 1, "field 'x': no rule");
	bad("x: keep it\n", 1, "keep: unexpected 'it'");
	bad("x: mask card\n", 1, "mask: want email, phone or id, not 'card'");
	bad("x: pseudonymize id\n", 1,
	    "pseudonymize: want email, phone or text, not 'id'");
	bad("x: mask phone twice\n", 1, "unexpected 'twice'");
	bad("x: generalize\n", 1, "generalize: want month");
	bad("x: generalize week\n", 1, "not 'week'");
	bad("x: generalize band\n", 1, "generalize band: want a width");
	bad("x: generalize band -5\n", 1, "bad width '-5'");
	bad("x: generalize band nan\n", 1, "bad width 'nan'");
	bad("x: generalize prefix 2.5\n", 1, "bad length '2.5'");
	bad("x: generalize prefix 0\n", 1, "bad length '0'");
	bad("x: generalize year 4\n", 1, "unexpected '4'");
	bad("default: mask\n", 1, "default: want keep or drop, not 'mask'");
	bad("default: keep\ndefault: drop\n", 2, "a second default");
	bad("x: keep\ny: drop\nx: mask\n", 3,
	    "field 'x' has a rule already (line 1)");
	bad("[a]\n[b]\n[a]\n", 3, "role 'a' has a section already (line 1)");
	bad("[a b]\n", 1, "bad role 'a b'");
	bad("[]\n", 1, "bad role ''");
	bad("[a\n", 1, "a section is [ROLE]");
	bad("x: keep\n\xff: keep\n", 2, "invalid UTF-8");
	{
		struct crm_mask_policy p;
		struct crm_err e;

		crm_err_clear(&e);
		TAP_OK(
		    crm_mask_policy_parse(&p, "p", "x: keep\0", 8, &e) == -1 &&
			strstr(e.msg, "NUL") != NULL,
		    "a NUL byte");
	}
}

static void
value(enum crm_mask_kind kind, const char *in, const char *want)
{
	struct crm_buf b;
	const char *why = NULL;

	crm_buf_init(&b);
	TAP_OK(crm_mask_value(&b, kind, in, strlen(in), &why) == 0,
	    "mask '%s' (%s)", in, why ? why : "");
	TAP_STR(b.p ? b.p : "", want, "mask '%s'", in);
	crm_buf_release(&b);
}

static void
gen(enum crm_mask_kind kind, double arg, const char *in, const char *want)
{
	struct crm_buf b;
	const char *why = NULL;
	int rc;

	crm_buf_init(&b);
	rc = crm_mask_generalize(&b, kind, arg, in, strlen(in), &why);
	if (want == NULL)
		TAP_OK(rc == -1 && why != NULL, "generalize '%s': refused (%s)",
		    in, why ? why : "");
	else
		TAP_STR(rc == 0 && b.p ? b.p : "", want, "generalize '%s'", in);
	crm_buf_release(&b);
}

static void
test_values(void)
{
	struct crm_buf b;
	const char *why;

	value(CRM_MASK_AUTO, "zhang.wei@example.com", "z***@example.com");
	value(CRM_MASK_AUTO, " Zhang.Wei@Example.COM ", "z***@example.com");
	value(CRM_MASK_EMAIL, "ÅSA@example.com", "å***@example.com");
	value(CRM_MASK_AUTO, "+86 138-0013-8000", "138****8000");
	value(CRM_MASK_AUTO, "13800138000", "138****8000");
	value(CRM_MASK_PHONE, "(0086)138 0013 8000", "138****8000");
	value(CRM_MASK_AUTO, "+44 20 7946 0958", "+44******0958");
	value(CRM_MASK_AUTO, "C0000123", "****0123");
	value(CRM_MASK_ID, "13800138000", "*******8000");
	value(CRM_MASK_ID, "C01", "***");
	value(CRM_MASK_ID, "客户编号12345", "*****2345");
	crm_buf_init(&b);
	TAP_OK(crm_mask_value(&b, CRM_MASK_PHONE, "call me", 7, &why) == -1 &&
		   why != NULL && b.len == 0,
	    "mask phone: not a phone (%s)", why);
	TAP_OK(crm_mask_value(&b, CRM_MASK_EMAIL, "a@b", 3, &why) == -1 &&
		   why != NULL,
	    "mask email: not an address (%s)", why);
	crm_buf_release(&b);

	gen(CRM_MASK_MONTH, 0, "2024-03-15", "2024-03");
	gen(CRM_MASK_MONTH, 0, "2023/7/1", "2023-07");
	gen(CRM_MASK_MONTH, 0, "20220105", "2022-01");
	gen(CRM_MASK_MONTH, 0, "2021-12-31T23:30:00+08:00", "2021-12");
	gen(CRM_MASK_YEAR, 0, "2024-03-15", "2024");
	gen(CRM_MASK_MONTH, 0, "2023-02-29", NULL);
	gen(CRM_MASK_YEAR, 0, "soon", NULL);
	gen(CRM_MASK_BAND, 1000, "1234.5", "1000-2000");
	gen(CRM_MASK_BAND, 1000, "0", "0-1000");
	gen(CRM_MASK_BAND, 1000, "-1", "-1000-0");
	gen(CRM_MASK_BAND, 2.5, "6", "5-7.5");
	gen(CRM_MASK_BAND, 10, "12abc", NULL);
	gen(CRM_MASK_BAND, 10, "inf", NULL);
	gen(CRM_MASK_PREFIX, 3, "100080", "100");
	gen(CRM_MASK_PREFIX, 3, " SW1A 1AA", "SW1");
	gen(CRM_MASK_PREFIX, 2, "北京市", "北京");
	gen(CRM_MASK_PREFIX, 10, "02134", "02134");
}

/* A crm_mask over a policy file that pseudonymizes, with key. */
static struct crm_mask *
masker(const char *key, struct crm_err *e)
{
	static char path[] = "/tmp/test_mask.XXXXXX";
	static const char text[] = "default: keep\nphone: pseudonymize\n";
	struct crm_mask_opts o;
	struct crm_mask *m;
	int fd;

	strcpy(path, "/tmp/test_mask.XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
		return NULL;
	close(fd);
	memset(&o, 0, sizeof(o));
	o.policy = path;
	o.key_env = key;
	crm_err_clear(e);
	m = crm_mask_new(&o, e);
	unlink(path);
	return m;
}

static void
token(struct crm_mask *m, const char *in, char out[64])
{
	struct crm_buf b;
	const char *why = "";

	crm_buf_init(&b);
	out[0] = '\0';
	if (crm_mask_token(m, &b, CRM_MASK_AUTO, in, strlen(in), &why) == 0 &&
	    b.len > 0 && b.len < 64)
		memcpy(out, b.p, b.len + 1);
	crm_buf_release(&b);
}

static void
test_tokens(void)
{
	struct crm_mask *m, *m2;
	struct crm_err e;
	char a[64], b[64], c[64];

	/* RFC 4231 test case 1: key 20 x 0x0b, "Hi There". */
	m = masker("\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
		   "\x0b\x0b\x0b\x0b\x0b\x0b",
	    &e);
	TAP_OK(m != NULL, "a masker (%s)", e.msg);
	if (m == NULL)
		return;
	token(m, "Hi There", a);
	TAP_STR(a, "tok_b0344c61d8db38535ca8afceaf0bf12b",
	    "HMAC-SHA-256 of RFC 4231, case 1");
	token(m, "  Hi   There ", b);
	TAP_STR(b, a, "text normalized first");
	crm_mask_free(m);

	m = masker("test-key-0123456789abcdef", &e);
	m2 = masker("another-key-fedcba9876543210", &e);
	if (m == NULL || m2 == NULL)
		return;
	token(m, "+86 138-0013-8000", a);
	token(m, "13800138000", b);
	token(m2, "13800138000", c);
	TAP_OK(strlen(a) == 4 + CRM_MASK_TOKEN_HEX && strcmp(a, b) == 0,
	    "one phone, one token (%s)", a);
	TAP_OK(strcmp(a, c) != 0, "another key, another token");
	token(m, "Zhang.Wei@Example.COM", a);
	token(m, "zhang.wei@example.com", b);
	TAP_STR(a, b, "e-mail addresses normalized first");
	token(m, "", a);
	TAP_STR(a, "", "empty stays empty");
	crm_mask_free(m);
	crm_mask_free(m2);

	TAP_OK(masker("0123456789abcde", &e) == NULL && e.code == EX_USAGE &&
		   strstr(e.msg, "15 bytes: want 16") != NULL,
	    "a short key is refused (%s)", e.msg);
	TAP_OK(masker(NULL, &e) == NULL && e.code == EX_USAGE &&
		   strstr(e.msg, ":2: pseudonymize needs a key") != NULL,
	    "no key (%s)", e.msg);
}

int
main(void)
{
	test_policy();
	test_bad();
	test_values();
	test_tokens();
	return tap_done();
}
