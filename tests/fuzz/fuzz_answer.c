/*
 * fuzz_answer: the knowledge base's template parser (crm_tmpl_parse in
 * lib/answer.c) over the input as an answer's text, and the entities
 * reader (crm_entities_read) over the same bytes as the entities field.
 * A template it reads has at most as many distinct slots as pairs of
 * braces, each with a known kind; filled with every slot's name as its
 * value it fills; with one slot left empty it says which; with values
 * holding braces the output holds them as given.  The entities found
 * lie within the input's length.
 */
#include "fuzz.h"

#include <sysexits.h>

#include "answer.h"
#include "buf.h"

/* Every slot its own name, but slot *arg when it points to one. */
static const char *
value(void *arg, const struct crm_tmpl_slot *s, size_t *len)
{
	const struct crm_tmpl_slot *empty = arg;

	if (s == empty)
		return NULL;
	*len = strlen(s->name);
	return s->name;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct crm_entities *en;
	struct crm_buf out;
	struct crm_tmpl *t;
	struct crm_err e;
	size_t i, n, missing, len, braces = 0;
	int rc, t2;

	crm_err_clear(&e);
	crm_buf_init(&out);
	if ((t = crm_tmpl_parse(text, size, &e)) == NULL) {
		FUZZ_ASSERT(e.code == EX_DATAERR || e.code == EX_SOFTWARE);
	} else {
		for (i = 0; i < size; i++)
			braces += data[i] == '{';
		n = crm_tmpl_nslots(t);
		FUZZ_ASSERT(n <= braces);
		for (i = 0; i < n; i++) {
			const struct crm_tmpl_slot *s = crm_tmpl_slot(t, i);

			FUZZ_ASSERT(s->name != NULL && s->name[0] != '\0');
			FUZZ_ASSERT(s->kind <= CRM_SLOT_CUSTOMER);
			FUZZ_ASSERT((s->kind == CRM_SLOT_CUSTOMER) ==
				    (s->field != NULL));
		}
		rc = crm_tmpl_fill(t, value, NULL, &out, &missing);
		FUZZ_ASSERT(rc == 0 || rc == -1);
		/* no slot: the text less one brace of each pair */
		FUZZ_ASSERT(rc != 0 || n > 0 || out.len <= size);
		if (n > 0) {
			rc = crm_tmpl_fill(t, value,
			    (void *)crm_tmpl_slot(t, n - 1), &out, &missing);
			FUZZ_ASSERT(rc == -1 || (rc == 1 && missing == n - 1));
		}
		crm_tmpl_free(t);
	}
	crm_buf_release(&out);

	if ((en = crm_entities_new()) == NULL)
		return 0;
	crm_err_clear(&e);
	if (crm_entities_read(en, text, size, &e) == -1) {
		FUZZ_ASSERT(e.code == EX_DATAERR || e.code == EX_SOFTWARE);
	} else {
		for (t2 = 0; t2 < CRM_ENT_N; t2++)
			if (crm_entities_get(en, (enum crm_ent)t2, &len) !=
			    NULL)
				FUZZ_ASSERT(len > 0 && len <= size + 1);
	}
	crm_entities_free(en);
	return 0;
}
