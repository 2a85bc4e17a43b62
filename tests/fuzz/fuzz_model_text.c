/*
 * fuzz_model_text: the text classifier's loader (crm_textclf_load in
 * lib/textclf.c), the model of crm-intent.  A model that loads is used:
 * its classes are listed, two fixed texts scored and explained, and it
 * is saved and loaded again, which must give the same bytes.
 */
#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "textclf.h"

static const char *const texts[] = {
	"I want to cancel my subscription, the invoice is wrong!",
	"\xe6\x88\x91\xe8\xa6\x81\xe9\x80\x80\xe6\xac\xbe 42 refund",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_textclf *m, *again;
	struct crm_reason reason[8];
	struct crm_buf b1, b2;
	struct crm_err e;
	const char *why;
	double *prob;
	size_t i, k, n, len;
	long best;

	if ((m = crm_textclf_load(data, size, &e)) == NULL)
		return 0;
	n = crm_textclf_classes(m);
	FUZZ_ASSERT(n >= 2);
	for (k = 0; k < n; k++)
		FUZZ_ASSERT(crm_textclf_class(m, k, &len) != NULL);
	(void)crm_textclf_features(m);
	(void)crm_textclf_calibration(m);
	if ((prob = calloc(n, sizeof(*prob))) != NULL) {
		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			best = crm_textclf_predict(
			    m, texts[i], strlen(texts[i]), prob, &why);
			FUZZ_ASSERT(best < (long)n);
			if (best < 0)
				continue;
			(void)crm_textclf_explain(m, texts[i], strlen(texts[i]),
			    (size_t)best, reason, 8, &why);
		}
		free(prob);
	}
	crm_buf_init(&b1);
	crm_buf_init(&b2);
	if (crm_textclf_save(m, &b1) == 0) {
		again = crm_textclf_load(b1.p, b1.len, &e);
		FUZZ_ASSERT(again != NULL);
		if (crm_textclf_save(again, &b2) == 0)
			FUZZ_ASSERT(b1.len == b2.len &&
				    memcmp(b1.p, b2.p, b1.len) == 0);
		crm_textclf_free(again);
	}
	crm_buf_release(&b1);
	crm_buf_release(&b2);
	crm_textclf_free(m);
	return 0;
}
