/*
 * fuzz_model_reco: the recommender's loader (crm_reco_load in
 * lib/recommend.c), the model of crm-recommend.  A model that loads is
 * used: items are recommended to its first customers, to an unknown one,
 * and for its first items, and it is saved and loaded again, which must
 * give the same bytes.
 */
#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "recommend.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_reco *m, *again;
	struct crm_reco_hit hit[5];
	struct crm_buf blob, b1;
	struct crm_err e;
	const void *p, *p2;
	size_t i, j, n, len, len2;
	long c;
	int popular;

	crm_buf_init(&blob);
	if (crm_buf_add(&blob, data, size) == -1)
		return 0;
	if ((m = crm_reco_load(&blob, &e)) == NULL) {
		FUZZ_ASSERT(blob.p == NULL || blob.len == 0);
		crm_buf_release(&blob);
		return 0;
	}
	(void)crm_reco_algo(m);
	(void)crm_reco_asked(m);
	(void)crm_reco_params(m);
	(void)crm_reco_pairs(m);
	n = crm_reco_customers(m);
	for (c = -1; c < 3 && (c < 0 || (size_t)c < n); c++) {
		j = crm_reco_for_customer(m, c, 5, hit, &popular);
		FUZZ_ASSERT(j <= 5);
		while (j-- > 0)
			FUZZ_ASSERT(hit[j].item < crm_reco_items(m));
	}
	n = crm_reco_items(m);
	for (c = -1; c < 3 && (c < 0 || (size_t)c < n); c++) {
		j = crm_reco_for_item(m, c, 5, hit, &popular);
		FUZZ_ASSERT(j <= 5);
		while (j-- > 0) {
			FUZZ_ASSERT(hit[j].item < n);
			(void)crm_reco_item_name(m, hit[j].item, &len);
		}
	}
	for (i = 0; i < n && i < 3; i++) {
		const char *id = crm_reco_item_name(m, i, &len);

		FUZZ_ASSERT(crm_reco_item(m, id, len) >= 0);
	}
	crm_buf_init(&b1);
	if (crm_reco_save(m, &p, &len) == 0 && crm_buf_add(&b1, p, len) == 0) {
		again = crm_reco_load(&b1, &e);
		FUZZ_ASSERT(again != NULL);
		FUZZ_ASSERT(crm_reco_save(again, &p2, &len2) == -1 ||
			    (len2 == len && memcmp(p2, p, len) == 0));
		crm_reco_free(again);
	}
	crm_reco_free(m);
	crm_buf_release(&b1);
	crm_buf_release(&blob);
	return 0;
}
