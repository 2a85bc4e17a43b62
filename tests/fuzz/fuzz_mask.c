/*
 * fuzz_mask: crm-mask's policy parser (crm_mask_policy_parse in
 * lib/mask.c) and its role lookup, then the masks and generalizations
 * of role 0's rules over the input itself as a value.  A policy that
 * parses has trimmed, non-empty field names, one rule a field in each
 * section, rule lines in increasing order and roles found by their
 * names; a value that is UTF-8 masks and generalizes to UTF-8.
 */
#include "fuzz.h"

#include <ctype.h>

#include "buf.h"
#include "mask.h"
#include "norm.h"

static void
check_role(const struct crm_mask_policy *p, size_t i)
{
	const struct crm_mask_role *r = &p->role[i];
	struct crm_err e;
	unsigned long prev = 0;
	size_t k, j, n;

	memset(&e, 0, sizeof(e));
	FUZZ_ASSERT((i == 0) == (r->name == NULL));
	if (i > 0)
		FUZZ_ASSERT(crm_mask_policy_role(p, r->name, &e) == (long)i);
	for (k = 0; k < r->n; k++) {
		const char *f = r->rule[k].field;

		n = strlen(f);
		FUZZ_ASSERT(n > 0 && !isspace((unsigned char)f[0]) &&
			    !isspace((unsigned char)f[n - 1]));
		FUZZ_ASSERT(strchr(f, ':') == NULL && strchr(f, '#') == NULL);
		FUZZ_ASSERT(r->rule[k].line > prev);
		prev = r->rule[k].line;
		for (j = 0; j < k; j++)
			FUZZ_ASSERT(strcmp(r->rule[j].field, f) != 0);
	}
}

static void
apply(const struct crm_mask_rule *r, const char *v, size_t len)
{
	struct crm_buf b;
	const char *why = NULL;
	int rc;

	crm_buf_init(&b);
	if (r->action == CRM_MASK_MASK)
		rc = crm_mask_value(&b, r->kind, v, len, &why);
	else if (r->action == CRM_MASK_GENERALIZE)
		rc = crm_mask_generalize(&b, r->kind, r->arg, v, len, &why);
	else
		rc = 1;
	if (rc == -1)
		FUZZ_ASSERT(why != NULL && b.len == 0);
	if (rc == 0 && crm_utf8_check(v, len, NULL))
		FUZZ_ASSERT(b.len == 0 || crm_utf8_check(b.p, b.len, NULL));
	crm_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_mask_policy p;
	struct crm_err e;
	size_t i;

	memset(&e, 0, sizeof(e));
	if (crm_mask_policy_parse(&p, "fuzz", (const char *)data, size, &e) ==
	    -1) {
		FUZZ_ASSERT(p.role == NULL && p.n == 0);
		FUZZ_ASSERT(e.code != 0 && e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(p.n >= 1);
	for (i = 0; i < p.n; i++)
		check_role(&p, i);
	for (i = 0; i < p.role[0].n && size < 4096; i++)
		apply(&p.role[0].rule[i], (const char *)data, size);
	crm_mask_policy_release(&p);
	return 0;
}
