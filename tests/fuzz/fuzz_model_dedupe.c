/*
 * fuzz_model_dedupe: the dedupe model's loader (crm_fs_load in
 * lib/fellegi.c), the Fellegi-Sunter model crm-dedupe --incremental
 * reads from the store.  A model that loads is used: its blocking rules
 * are written out, pairs are scored by each rule's part at a few
 * agreement patterns, and it is saved and loaded again, which must give
 * the same bytes.
 */
#include <math.h>

#include "fuzz.h"

#include "buf.h"
#include "err.h"
#include "fellegi.h"
#include "linkage.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_fs fs, again;
	const struct crm_fs_part *part;
	struct crm_buf b1, b2;
	struct crm_err e;
	int8_t lev[CRM_LINK_MAXFIELDS];
	char text[256];
	double p;
	size_t f, r;
	int pat;

	if (crm_fs_load(&fs, data, size, &e) == -1)
		return 0;
	FUZZ_ASSERT(fs.nf <= CRM_LINK_MAXFIELDS);
	FUZZ_ASSERT(fs.nrules <= CRM_LINK_MAXRULES);
	for (r = 0; r < fs.nrules; r++)
		crm_block_format(&fs.rule[r], (const char *const *)fs.name,
		    text, sizeof(text));
	for (r = 0; r <= fs.nrules; r++) {
		part = crm_fs_part(&fs, r);
		for (pat = 0; pat < 3; pat++) {
			/* disagree, agree exactly, missing; a field not
			   compared (no levels) is -1, as crm_linkset_compare
			   gives it */
			for (f = 0; f < fs.nf; f++)
				lev[f] = (int8_t)(pat == 2 || fs.nlev[f] == 0
						      ? -1
						      : pat * (fs.nlev[f] - 1));
			p = crm_fs_prob(&fs, r, lev);
			/* a NaN too is out of [0, 1] */
			FUZZ_ASSERT(p >= 0 && p <= 1);
		}
		for (f = 0; f < fs.nf; f++)
			FUZZ_ASSERT(isfinite(
			    crm_fs_weight(&fs, part, f, fs.nlev[f] - 1)));
	}
	crm_buf_init(&b1);
	crm_buf_init(&b2);
	if (crm_fs_save(&fs, &b1) == 0) {
		FUZZ_ASSERT(crm_fs_load(&again, b1.p, b1.len, &e) == 0);
		if (crm_fs_save(&again, &b2) == 0)
			FUZZ_ASSERT(b1.len == b2.len &&
				    memcmp(b1.p, b2.p, b1.len) == 0);
		crm_fs_release(&again);
	}
	crm_buf_release(&b1);
	crm_buf_release(&b2);
	crm_fs_release(&fs);
	return 0;
}
