/*
 * fuzz_audit: the audit chain's check (crm_audit_verify in lib/audit.c)
 * over an erasure entry whose output is the input, the one text verify
 * parses ({"redacted":[ID,...]}).  An in-memory store holds three
 * decisions, the second one changed, then the entry.  Verify must not
 * fail, and must call the chain intact exactly when the entry names row
 * 2 and only rows before it; then that row is the one redacted.
 */
#include "fuzz.h"

#include <sysexits.h>

#include "audit.h"
#include "store.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_audit_check c;
	struct crm_store *st;
	struct crm_audit *a;
	struct crm_err e;
	int i;

	memset(&e, 0, sizeof(e));
	st = crm_store_open(":memory:", 0, &e);
	FUZZ_ASSERT(st != NULL);
	a = crm_audit_open(st, "crm-churn", "churn", 1, &e);
	FUZZ_ASSERT(a != NULL);
	for (i = 0; i < 3; i++)
		FUZZ_ASSERT(crm_audit_add(a, "C1", 2, "C1", 2, "high", 4, 0.5,
				NULL, 0, &e) == 0);
	FUZZ_ASSERT(crm_audit_close(a, &e) == 0);
	FUZZ_ASSERT(sqlite3_exec(crm_store_db(st),
			"UPDATE decisions SET output = 'low' WHERE id = 2",
			NULL, NULL, NULL) == SQLITE_OK);
	a = crm_audit_open(st, "crm-mask erase", "", 0, &e);
	FUZZ_ASSERT(a != NULL);
	FUZZ_ASSERT(crm_audit_add(a, NULL, 0, NULL, 0, (const char *)data, size,
			0, NULL, 0, &e) == 0);
	FUZZ_ASSERT(crm_audit_close(a, &e) == 0);
	FUZZ_ASSERT(crm_audit_verify(st, &c, &e) == 0);
	FUZZ_ASSERT(c.rows == 4);
	FUZZ_ASSERT(c.bad == 0 ? c.redacted == 1 : c.bad == 2 || c.bad == 4);
	crm_store_close(st);
	return 0;
}
