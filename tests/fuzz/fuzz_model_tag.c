/*
 * fuzz_model_tag: crm-tag's model reader (crm_tagmodel_read in
 * lib/tagmodel.c), the text CRMTAG1 model of `crm-tag fit`.  A model that
 * reads is applied to a few fixed records (RFM values, and k-means
 * points of its width), then written, read again and written again: the
 * two writes must be the same bytes, and a model that fails to read
 * says where (file and line).
 */
#include "fuzz.h"

#include <math.h>
#include <sysexits.h>

#include "buf.h"
#include "err.h"
#include "tagmodel.h"

static const double rfm[][3] = {
	{ 0, 0, 0 },
	{ 30, 4, 250.5 },
	{ 1e300, -1e300, 1 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_tagmodel m, again;
	struct crm_buf b1, b2;
	unsigned char score[3];
	struct crm_err e;
	double *x, dist;
	size_t i, j;
	int c;

	crm_tagmodel_init(&m);
	crm_tagmodel_init(&again);
	crm_err_clear(&e);
	if (crm_tagmodel_read(&m, (const char *)data, size, "m", &e) == -1) {
		FUZZ_ASSERT(e.code != 0);
		FUZZ_ASSERT(
		    e.code != EX_DATAERR || (e.file != NULL && e.line > 0));
		return 0;
	}
	FUZZ_ASSERT(m.rfm || m.k > 0);
	for (i = 0; m.rfm && i < sizeof(rfm) / sizeof(rfm[0]); i++) {
		FUZZ_ASSERT(crm_tagmodel_rfm(&m, rfm[i], score) == 1);
		for (j = 0; j < 3; j++)
			FUZZ_ASSERT(score[j] >= 1 && score[j] <= 5);
	}
	if (m.k > 0 && (x = calloc(m.d, sizeof(*x))) != NULL) {
		for (i = 0; i < 3; i++) {
			for (j = 0; j < m.d; j++)
				x[j] = (double)i * (double)(j + 1) - 1;
			c = crm_tagmodel_cluster(&m, x, &dist);
			/* -2: too far to measure (a tiny scale, say) */
			FUZZ_ASSERT(
			    c == -2 || (c >= 0 && (size_t)c < m.k &&
					   isfinite(dist) && dist >= 0));
		}
		x[0] = NAN;
		FUZZ_ASSERT(crm_tagmodel_cluster(&m, x, &dist) == -1);
		free(x);
	}
	crm_buf_init(&b1);
	crm_buf_init(&b2);
	if (crm_tagmodel_write(&m, &b1) == 0) {
		FUZZ_ASSERT(
		    crm_tagmodel_read(&again, b1.p, b1.len, "m", &e) == 0);
		if (crm_tagmodel_write(&again, &b2) == 0)
			FUZZ_ASSERT(b1.len == b2.len &&
				    memcmp(b1.p, b2.p, b1.len) == 0);
	}
	crm_buf_release(&b1);
	crm_buf_release(&b2);
	crm_tagmodel_release(&m);
	crm_tagmodel_release(&again);
	return 0;
}
