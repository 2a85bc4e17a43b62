/*
 * fuzz_model_binclf: the yes/no classifier's loader (crm_binclf_load in
 * lib/binclf.c), the model of crm-churn: its header, the encoding
 * (crm_tab_load in lib/tabular.c), the logistic weights, and the checks
 * in front of libsvm's model reader.  A model that loads is used: a fixed
 * record is encoded, scored and explained, and a logistic model is saved
 * and loaded again, which must give the same bytes.
 *
 * libsvm's own reader (svm_load_model) trusts its file (a damaged one
 * makes it print, leak and read out of bounds; issue 15, defect 9), so
 * lib/binclf.c checks the text line by line before handing it over: that
 * check is fuzzed here, with libsvm behind it, and any leak or read past
 * the end in libsvm means the check let a bad text through.
 */
#include "fuzz.h"

#include "binclf.h"
#include "buf.h"
#include "err.h"
#include "rec.h"
#include "tabular.h"

static const char *const values[] = { "", "1.5", "yes", "-1e300", "monthly" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_binclf *m, *again;
	const struct crm_tab *t;
	struct crm_contrib why[4];
	struct crm_rec *r = NULL;
	struct crm_buf b1, b2;
	struct crm_err e;
	double *x = NULL, p;
	size_t i, n, w;
	int bad = 0;

	if ((m = crm_binclf_load(data, size, &e)) == NULL) {
		FUZZ_ASSERT(e.code != 0);
		return 0;
	}
	t = crm_binclf_tab(m);
	w = crm_tab_width(t);
	FUZZ_ASSERT(w > 0);
	if ((r = crm_rec_new()) == NULL || (x = calloc(w, sizeof(*x))) == NULL)
		goto out;
	for (i = 0; i < crm_tab_columns(t); i++) {
		const char *name = crm_tab_column_name(t, i);
		const char *v =
		    values[i % (sizeof(values) / sizeof(values[0]))];

		bad |= crm_rec_add(
		    r, name, strlen(name), v, strlen(v), CRM_STRING);
	}
	if (bad)
		goto out;
	for (i = 0; i < 2; i++) {
		if (i == 1)
			memset(x, 0, w * sizeof(*x));
		else if (crm_tab_encode(t, r, 1, x, &e) == -1)
			continue;
		p = crm_binclf_prob(m, x);
		FUZZ_ASSERT(!(p < 0) && !(p > 1));
		n = crm_binclf_reasons(m, x, why, 4);
		FUZZ_ASSERT(n <= 4);
		while (n-- > 0)
			FUZZ_ASSERT(why[n].col < crm_tab_columns(t));
	}
	if (crm_binclf_algo(m) == CRM_ALGO_LR) {
		crm_buf_init(&b1);
		crm_buf_init(&b2);
		if (crm_binclf_save(m, &b1) == 0) {
			again = crm_binclf_load(b1.p, b1.len, &e);
			FUZZ_ASSERT(again != NULL);
			if (crm_binclf_save(again, &b2) == 0)
				FUZZ_ASSERT(b1.len == b2.len &&
					    memcmp(b1.p, b2.p, b1.len) == 0);
			crm_binclf_free(again);
		}
		crm_buf_release(&b1);
		crm_buf_release(&b2);
	}
out:
	free(x);
	crm_rec_free(r);
	crm_binclf_free(m);
	return 0;
}
