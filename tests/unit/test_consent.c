/*
 * test_consent: the words of a granted field; loading consent records
 * (inserted, unchanged when loaded again, updated when granted or source
 * change, a bad granted value refused with its field); and the check:
 * the latest consent as of the reference time, a later grant re-allowing,
 * a withdrawal in the future not yet in force, another purpose not
 * counting, no consent at all allowed, a tie going to the withdrawal, and
 * dates mixed with date-times ordered as instants; by person, one
 * record's withdrawal holding for every record of its person, and not
 * by record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "consent.h"
#include "tap.h"

static char dir[] = "/tmp/test_consent.XXXXXX";
static char path[256];

/* Load one consent record; the result, or -1 with e filled. */
static int
put(struct crm_consent_load *cl, const char *id, const char *purpose,
    const char *granted, enum crm_type gt, const char *time, const char *source,
    struct crm_err *e)
{
	struct crm_rec *r = crm_rec_new();
	enum crm_load_result res;
	int rc;

	crm_rec_add(r, "customer_id", 11, id, strlen(id), CRM_STRING);
	crm_rec_add(r, "purpose", 7, purpose, strlen(purpose), CRM_STRING);
	crm_rec_add(r, "granted", 7, granted, strlen(granted), gt);
	crm_rec_add(r, "time", 4, time, strlen(time), CRM_STRING);
	if (source != NULL)
		crm_rec_add(r, "source", 6, source, strlen(source), CRM_STRING);
	rc = crm_consent_load_put(cl, r, &res, e);
	crm_rec_free(r);
	return rc == -1 ? -1 : (int)res;
}

/*
 * Whether id's consent for purpose is withdrawn as of the time as_of,
 * by person or by record.
 */
static int
withdrawn_by(struct crm_store *st, const char *as_of, enum crm_by by,
    const char *id, const char *purpose)
{
	struct crm_consent *c;
	struct crm_err e;
	const char *why;
	int w;

	crm_err_clear(&e);
	if (crm_clock_set(as_of, &why) == -1 ||
	    (c = crm_consent_open(st, &e)) == NULL)
		return -1;
	w = crm_consent_withdrawn_by(c, by, id, strlen(id), purpose, &e);
	crm_consent_close(c);
	return w;
}

/* The same, by record: crm_consent_withdrawn. */
static int
withdrawn(struct crm_store *st, const char *as_of, const char *id,
    const char *purpose)
{
	return withdrawn_by(st, as_of, CRM_BY_RECORD, id, purpose);
}

/* By person: C1 (withdrawn from marketing_email since 2026-03-01), C10
   and C11 are one person, K1; C12 is one of its own. */
static void
test_by_person(struct crm_store *st)
{
	static const char *const recs[] = { "C10", "C1", "C11" };
	static const struct {
		const char *as_of, *id, *purpose;
		enum crm_by by;
		int want;
		const char *what;
	} cases[] = {
		{ "2026-04-01", "C10", "marketing_email", CRM_BY_PERSON, 1,
		    "by person: C1's withdrawal holds for C10" },
		{ "2026-04-01", "C11", "marketing_email", CRM_BY_PERSON, 1,
		    "and for C11" },
		{ "2026-04-01", "C1", "marketing_email", CRM_BY_PERSON, 1,
		    "and for C1 itself" },
		{ "2026-04-01", "C10", "marketing_email", CRM_BY_RECORD, 0,
		    "by record: C10 has withdrawn nothing" },
		{ "2026-04-01", "C10", "sms", CRM_BY_PERSON, 0,
		    "by person: another purpose does not count" },
		{ "2026-04-01", "C12", "marketing_email", CRM_BY_PERSON, 0,
		    "a customer in no cluster is a person of its own" },
		{ "2026-04-01", "C4", "sms", CRM_BY_PERSON, 1,
		    "and its own withdrawal counts" },
		{ "2026-02-01", "C10", "marketing_email", CRM_BY_PERSON, 0,
		    "by person: before the withdrawal, allowed" },
	};
	struct crm_clusters *k;
	struct crm_err e;
	size_t i;
	int ok;

	crm_err_clear(&e);
	ok = (k = crm_clusters_open(st, &e)) != NULL;
	for (i = 0; ok && i < 3; i++)
		ok = crm_clusters_put(k, recs[i], strlen(recs[i]), "K1", 2, 1,
			 "2026-01-01T00:00:00Z", &e) == 0;
	ok = crm_clusters_close(k, &e) == 0 && ok;
	TAP_OK(ok, "C1, C10 and C11 in one cluster: %s", e.msg);
	for (i = 0; ok && i < sizeof(cases) / sizeof(cases[0]); i++)
		TAP_OK(withdrawn_by(st, cases[i].as_of, cases[i].by,
			   cases[i].id, cases[i].purpose) == cases[i].want,
		    "%s", cases[i].what);
}

static void
test_words(void)
{
	static const struct {
		const char *v;
		int want;
	} cases[] = {
		{ "granted", 1 },
		{ "GRANTED", 1 },
		{ "yes", 1 },
		{ "True", 1 },
		{ "1", 1 },
		{ "withdrawn", 0 },
		{ "No", 0 },
		{ "false", 0 },
		{ "0", 0 },
		{ "", -1 },
		{ "y", -1 },
		{ "granted ", -1 },
		{ "2", -1 },
		{ "withdraw", -1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TAP_OK(crm_consent_word(cases[i].v, strlen(cases[i].v)) ==
			   cases[i].want,
		    "'%s' is %d", cases[i].v, cases[i].want);
}

int
main(void)
{
	struct crm_consent_load *cl;
	struct crm_store *st;
	struct crm_err e;

	test_words();
	crm_err_clear(&e);
	if (mkdtemp(dir) == NULL) {
		TAP_OK(0, "mkdtemp");
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	st = crm_store_open(path, 0, &e);
	cl = st != NULL ? crm_consent_load_new(st, &e) : NULL;
	TAP_OK(cl != NULL, "a store and a consent loader: %s", e.msg);
	if (cl == NULL)
		return tap_done();

	TAP_OK(put(cl, "C1", "marketing_email", "withdrawn", CRM_STRING,
		   "2026-03-01", "link", &e) == CRM_LOAD_INSERTED,
	    "a withdrawal is inserted");
	TAP_OK(put(cl, "C1", "marketing_email", "withdrawn", CRM_STRING,
		   "2026-03-01", "link", &e) == CRM_LOAD_UNCHANGED,
	    "loaded again, unchanged");
	TAP_OK(put(cl, "C1", "marketing_email", "0", CRM_NUMBER, "2026-03-01",
		   NULL, &e) == CRM_LOAD_UNCHANGED,
	    "0 is withdrawn too, and no source keeps the stored one");
	TAP_OK(put(cl, "C1", "marketing_email", "", CRM_FALSE, "2026-03-01",
		   "app", &e) == CRM_LOAD_UPDATED,
	    "another source updates the row");
	crm_err_clear(&e);
	TAP_OK(put(cl, "C1", "sms", "maybe", CRM_STRING, "2026-03-01", NULL,
		   &e) == -1 &&
		   e.code == EX_DATAERR && strcmp(e.field, "granted") == 0,
	    "a granted of 'maybe' is refused, naming the field: %s", e.msg);

	put(cl, "C2", "marketing_email", "no", CRM_STRING,
	    "2026-02-01T10:00:00Z", NULL, &e);
	put(cl, "C2", "marketing_email", "", CRM_TRUE, "2026-03-05", NULL, &e);
	put(cl, "C3", "marketing_email", "withdrawn", CRM_STRING, "2026-06-01",
	    NULL, &e);
	put(cl, "C4", "sms", "withdrawn", CRM_STRING, "2026-01-15", NULL, &e);
	/* one instant, written twice: a grant and a withdrawal */
	put(cl, "C5", "sms", "granted", CRM_STRING, "2026-01-15T00:00:00Z",
	    NULL, &e);
	put(cl, "C5", "sms", "withdrawn", CRM_STRING, "2026-01-15", NULL, &e);
	/* a date-time after a date of the same day */
	put(cl, "C6", "sms", "withdrawn", CRM_STRING, "2026-01-15", NULL, &e);
	put(cl, "C6", "sms", "granted", CRM_STRING, "2026-01-15T09:00:00", NULL,
	    &e);

	TAP_OK(withdrawn(st, "2026-04-01", "C1", "marketing_email") == 1,
	    "a withdrawal in force");
	put(cl, "C7", "Marketing_Email", "withdrawn", CRM_STRING, "2026-03-01",
	    NULL, &e);
	TAP_OK(withdrawn(st, "2026-04-01", "C7", "marketing_email") == 1 &&
		   withdrawn(st, "2026-04-01", "C1", "MARKETING_EMAIL") == 1,
	    "a purpose matches without regard to case");
	TAP_OK(withdrawn(st, "2026-02-28", "C1", "marketing_email") == 0,
	    "--as-of before the withdrawal allows");
	TAP_OK(withdrawn(st, "2026-03-01", "C1", "marketing_email") == 1,
	    "a withdrawal is in force from its own time");
	TAP_OK(withdrawn(st, "2026-04-01", "C1", "sms") == 0, "another purpose "
							      "does not count");
	TAP_OK(withdrawn(st, "2026-04-01", "C2", "marketing_email") == 0,
	    "a later grant re-allows");
	TAP_OK(withdrawn(st, "2026-03-01", "C2", "marketing_email") == 1,
	    "before the grant, the withdrawal holds");
	TAP_OK(withdrawn(st, "2026-04-01", "C3", "marketing_email") == 0,
	    "a withdrawal in the future is not yet in force");
	TAP_OK(withdrawn(st, "2026-07-01", "C3", "marketing_email") == 1,
	    "and is once its time has come");
	TAP_OK(withdrawn(st, "2026-04-01", "C9", "marketing_email") == 0,
	    "no consent either way: allowed");
	TAP_OK(withdrawn(st, "2026-04-01", "C5", "sms") == 1, "a grant and a "
							      "withdrawal at "
							      "one instant: "
							      "withdrawn");
	TAP_OK(withdrawn(st, "2026-01-15T08:00:00Z", "C6", "sms") == 1, "a "
									"date "
									"is "
									"its "
									"midnig"
									"ht");
	TAP_OK(withdrawn(st, "2026-01-15T10:00:00Z", "C6", "sms") == 0,
	    "a date-time later that day comes after it");
	test_by_person(st);

	crm_consent_load_free(cl);
	crm_store_close(st);
	tap_rm_store(dir);
	return tap_done();
}
