/*
 * fuzz_rules: the rules compiler and evaluator (lib/rules.c) with its
 * authorizer.  Each line of the input is one expression (at most 16);
 * they are compiled, then evaluated over a fixed typed record (as from
 * JSONL) and a fixed untyped one (as from CSV), and every result is read.
 *
 * The rules connection's own limits (the function allowlist, the length,
 * depth and argument limits, the progress handler: issue 15, defect 5)
 * are what keeps each input bounded; the harness adds none.
 */
#include "fuzz.h"

#include "rec.h"
#include "rules.h"

#define MAX_EXPR 16

static int
add(struct crm_rec *r, const char *name, const char *val, enum crm_type t)
{
	return crm_rec_add(r, name, strlen(name), val, strlen(val), t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_rules *rs = NULL;
	struct crm_rules_src src[2];
	struct crm_rec *typed = NULL, *untyped = NULL;
	struct crm_err e;
	enum crm_type t;
	const char *p, *end, *nl, *v;
	char *expr;
	size_t i, k, len, n = 0;
	int bad = 0;

	if ((typed = crm_rec_new()) == NULL ||
	    (untyped = crm_rec_new()) == NULL)
		goto out;
	bad |= add(typed, "a", "1", CRM_NUMBER);
	bad |= add(typed, "b", "x,y", CRM_STRING);
	bad |= add(typed, "c", "true", CRM_TRUE);
	bad |= add(typed, "d", "null", CRM_NULL);
	bad |= add(typed, "e", "{\"k\":[1,2.5,\"z\"]}", CRM_JSON);
	bad |= add(typed, "name", "Zo\xc3\xab", CRM_STRING);
	bad |= add(typed, "email", "zoe@example.com", CRM_STRING);
	bad |= add(typed, "tags", "vip, new ,b2b", CRM_STRING);
	bad |= add(typed, "total", "-3.5e2", CRM_NUMBER);
	bad |= add(untyped, "total", "", CRM_STRING);
	bad |= add(untyped, "age", "42", CRM_STRING);
	bad |= add(untyped, "zip", "007", CRM_STRING);
	bad |= add(untyped, "big", "99999999999999999999", CRM_STRING);
	bad |= add(untyped, "Country", "FR", CRM_STRING);
	if (bad)
		goto out;
	src[0].rec = typed;
	src[0].untyped = 0;
	src[1].rec = untyped;
	src[1].untyped = 1;
	if ((rs = crm_rules_new(&e)) == NULL)
		goto out;
	p = (const char *)data;
	end = p + size;
	while (p < end && n < MAX_EXPR) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((expr = strndup(p, (size_t)(nl - p))) == NULL)
			goto out;
		if (crm_rules_add(rs, expr, "fuzz", n + 1, &e) >= 0)
			n++;
		free(expr);
		p = nl + 1;
	}
	FUZZ_ASSERT(crm_rules_count(rs) == n);
	for (i = 0; i < crm_rules_nnames(rs); i++) {
		FUZZ_ASSERT(crm_rules_name(rs, i) != NULL);
		FUZZ_ASSERT(crm_rules_name_user(rs, i) < n);
	}
	for (i = 0; i < 2; i++) {
		if (crm_rules_eval(rs, src, 2 - i, &e) < 0)
			continue; /* a record error, or a limit (-2) */
		for (k = 0; k < n; k++) {
			(void)crm_rules_match(rs, k);
			v = crm_rules_value(rs, k, &len, &t);
			FUZZ_ASSERT(v != NULL || t == CRM_NULL);
		}
	}
out:
	crm_rules_free(rs);
	crm_rec_free(typed);
	crm_rec_free(untyped);
	return 0;
}
