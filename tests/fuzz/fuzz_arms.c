/*
 * fuzz_arms: crm-experiment's --arms parser (crm_exp_design_parse in
 * lib/experiment.c) over the input as the option's text, with a holdout
 * from its first byte.  A design it reads has 2 to CRM_EXP_MAX_ARMS
 * arms whose shares are above 0 and sum to 1; its stored text reads back
 * as the same design; and the arm of u is the holdout below it, never
 * out of range, and moves only forward as u grows.
 */
#include "fuzz.h"

#include <math.h>
#include <sysexits.h>

#include "experiment.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_exp_design d, back;
	double holdout, sum = 0, u;
	char text[4096], *s;
	struct crm_err e;
	long arm, last = -1;
	size_t i;

	if (size < 1 || size > 2048)
		return 0;
	holdout = data[0] / 256.0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	crm_err_clear(&e);
	if (crm_exp_design_parse(&d, s, holdout, &e) == -1) {
		FUZZ_ASSERT(e.code == EX_USAGE || e.code == EX_SOFTWARE);
		free(s);
		return 0;
	}
	FUZZ_ASSERT(d.n >= 2 && d.n <= CRM_EXP_MAX_ARMS);
	for (i = 0; i < d.n; i++) {
		FUZZ_ASSERT(d.share[i] > 0 && d.share[i] <= 1);
		sum += d.share[i];
	}
	FUZZ_ASSERT(fabs(sum - 1) < 1e-9);
	crm_exp_design_text(&d, text, sizeof(text));
	FUZZ_ASSERT(crm_exp_design_parse(&back, text, holdout, &e) == 0);
	FUZZ_ASSERT(back.n == d.n);
	for (i = 0; i < d.n; i++) {
		FUZZ_ASSERT(strcmp(back.name[i], d.name[i]) == 0);
		FUZZ_ASSERT(fabs(back.share[i] - d.share[i]) < 1e-5);
	}
	crm_exp_design_release(&back);
	for (u = 0; u < 1; u += 1.0 / 64) {
		arm = crm_exp_design_pick(&d, u);
		FUZZ_ASSERT((arm == -1) == (u < holdout));
		FUZZ_ASSERT(arm >= last && arm < (long)d.n);
		last = arm;
	}
	crm_exp_design_release(&d);
	free(s);
	return 0;
}
