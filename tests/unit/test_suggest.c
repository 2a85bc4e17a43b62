/*
 * test_suggest: the near names of "did you mean" hints: case and white
 * space first, then edit distance within the threshold, nothing when
 * every candidate is far, a candidate equal to the name never offered.
 */
#include <string.h>

#include "rec.h"
#include "suggest.h"
#include "tap.h"

static const char *const kinds[] = { "customers", "events", "tickets",
	"labels" };

static const char *
near(const char *name, const char *const *cand, size_t n)
{
	long i = crm_suggest(name, strlen(name), cand, NULL, n);

	return i < 0 ? NULL : cand[i];
}

int
main(void)
{
	static const char *const fields[] = { "customerID", " soc_sec_id",
		"Churn", "tenure" };
	static const char *const verbs[] = { "fit", "eval", "train" };
	struct crm_rec *hdr = crm_rec_new();
	char buf[64];
	size_t i;
	long k;

	TAP_STR(near("custmers", kinds, 4), "customers", "one letter out");
	TAP_STR(near("CUSTOMERS", kinds, 4), "customers", "case");
	TAP_STR(near("evnts", kinds, 4), "events", "short name");
	TAP_STR(near("churn", fields, 4), "Churn", "case of a field");
	TAP_STR(near("soc_sec_id", fields, 4), " soc_sec_id",
	    "leading space in the header");
	TAP_STR(near("customer_id", fields, 4), "customerID",
	    "an underscore and the case: two edits, within 3");
	TAP_STR(near("zzz", kinds, 4), NULL, "nothing near");
	TAP_STR(near("fit", verbs, 3), NULL, "an exact name is not offered");
	TAP_STR(near("trian", verbs, 3), "train", "transposition");
	TAP_STR(near("", kinds, 4), NULL, "empty name");
	for (i = 0; i < 4; i++)
		crm_rec_add(
		    hdr, fields[i], strlen(fields[i]), "", 0, CRM_STRING);
	k = crm_suggest_field("tenur", 5, hdr);
	TAP_OK(k == 3, "over a record's names (%ld)", k);
	TAP_STR(crm_suggest_hint(buf, sizeof(buf), k, "tenure", 6),
	    "; did you mean 'tenure'?", "the hint");
	TAP_STR(crm_suggest_hint(buf, sizeof(buf), -1, NULL, 0), "", "no hint");
	TAP_STR(crm_suggest_field_hint(buf, sizeof(buf), "churn", hdr),
	    "; did you mean 'Churn'?",
	    "the hint over a record's names at once");
	TAP_STR(crm_suggest_list_hint(buf, sizeof(buf), "custmers", kinds, 4),
	    "; did you mean 'customers'?", "the hint over a list at once");
	TAP_STR(crm_suggest_list_hint(buf, sizeof(buf), "zzz", kinds, 4), "",
	    "no hint over a list");
	crm_rec_free(hdr);
	return tap_done();
}
