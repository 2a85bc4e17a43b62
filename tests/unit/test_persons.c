/*
 * test_persons: the union-find that obeys cannot-link pairs (lib/persons.c):
 * a cannot pair is never joined, directly or through others, also after
 * the sets holding its ends grew by unions; the cap on a set's size; a
 * pair already joined; many pairs spliced across unions.
 */
#include <stdint.h>

#include "persons.h"
#include "tap.h"

static void
test_direct(void)
{
	struct crm_cuf c;

	TAP_OK(crm_cuf_init(&c, 4) == 0, "init");
	TAP_OK(crm_cuf_cannot(&c, 0, 1) == 0, "a cannot pair added");
	TAP_OK(crm_cuf_union(&c, 0, 1, 0) == CRM_CUF_CANNOT, "the pair itself "
							     "is refused");
	TAP_OK(crm_cuf_find(&c, 0) != crm_cuf_find(&c, 1), "and stays two "
							   "sets");
	TAP_OK(crm_cuf_union(&c, 1, 0, 0) == CRM_CUF_CANNOT, "either way "
							     "round");
	TAP_OK(crm_cuf_union(&c, 2, 3, 0) == 1, "another pair joins");
	TAP_OK(crm_cuf_union(&c, 3, 2, 0) == 0, "once");
	TAP_OK(crm_cuf_cannot(&c, 2, 3) == 1, "a cannot pair already in one "
					      "set is said so");
	crm_cuf_release(&c);
}

static void
test_transitive(void)
{
	struct crm_cuf c;

	crm_cuf_init(&c, 6);
	crm_cuf_cannot(&c, 0, 3);
	TAP_OK(crm_cuf_union(&c, 0, 1, 0) == 1, "0 joins 1");
	TAP_OK(crm_cuf_union(&c, 2, 3, 0) == 1, "2 joins 3");
	TAP_OK(crm_cuf_union(&c, 1, 2, 0) == CRM_CUF_CANNOT, "1 and 2 refused: "
							     "their sets hold "
							     "0 and 3");
	TAP_OK(crm_cuf_union(&c, 4, 1, 0) == 1, "4 joins 0's set");
	TAP_OK(crm_cuf_union(&c, 4, 3, 0) == CRM_CUF_CANNOT, "4 and 3 refused "
							     "through 0");
	TAP_OK(crm_cuf_union(&c, 5, 3, 0) == 1, "5 joins 3's set");
	TAP_OK(crm_cuf_union(&c, 5, 0, 0) == CRM_CUF_CANNOT, "the grown sets "
							     "still kept "
							     "apart");
	crm_cuf_release(&c);
}

static void
test_cap(void)
{
	struct crm_cuf c;

	crm_cuf_init(&c, 4);
	crm_cuf_union(&c, 0, 1, 2);
	TAP_OK(crm_cuf_union(&c, 0, 2, 2) == CRM_CUF_CAP, "a set of 3 refused "
							  "by a cap of 2");
	TAP_OK(crm_cuf_union(&c, 0, 2, 0) == 1, "no cap: joined");
	crm_cuf_release(&c);
}

/* A chain of n records, every other pair cannot: spliced lists hold. */
static void
test_many(void)
{
	enum { N = 1000 };
	struct crm_cuf c;
	uint32_t i;
	int bad = 0;

	crm_cuf_init(&c, N);
	for (i = 0; i + 1 < N / 2; i++)
		crm_cuf_cannot(&c, i, N / 2 + i);
	for (i = 1; i < N / 2; i++) /* two sets: [0, N/2) and [N/2, N) */
		bad += crm_cuf_union(&c, 0, i, 0) != 1 ||
		       crm_cuf_union(&c, N / 2, N / 2 + i, 0) != 1;
	TAP_OK(bad == 0, "two sets of %d built", N / 2);
	TAP_OK(crm_cuf_union(&c, N - 1, N / 2 - 1, 0) == CRM_CUF_CANNOT, "the "
									 "two "
									 "sets "
									 "never"
									 " join"
									 "ed");
	TAP_OK(c.uf.size[crm_cuf_find(&c, 0)] == N / 2, "the sets keep their "
							"sizes");
	crm_cuf_release(&c);
}

int
main(void)
{
	test_direct();
	test_transitive();
	test_cap();
	test_many();
	return tap_done();
}
