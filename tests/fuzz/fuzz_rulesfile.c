/*
 * fuzz_rulesfile: the rules-file reader (crm_rulefile_read in
 * lib/rules.c).  The first byte picks the separator and whether the last
 * one splits the line; the rest is the file, written to a temporary file
 * since the reader takes a path.  Every rule read must have two trimmed,
 * non-empty sides and lines in increasing order.
 */
#include "fuzz.h"

#include <ctype.h>

#include "rules.h"

static const char *const seps[] = { ":", "->", "=>", "=", " then " };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_rulefile f;
	struct crm_err e;
	const char *path, *sep;
	unsigned long prev = 0;
	size_t i, nsep = sizeof(seps) / sizeof(seps[0]);
	int last;

	if (size < 1)
		return 0;
	sep = seps[data[0] % nsep];
	last = (data[0] / nsep) & 1;
	if ((path = fuzz_file(data + 1, size - 1)) == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	if (crm_rulefile_read(&f, path, sep, last, &e) == -1) {
		FUZZ_ASSERT(f.n == 0 && f.rule == NULL);
		return 0;
	}
	for (i = 0; i < f.n; i++) {
		const struct crm_rule *r = &f.rule[i];
		size_t l = strlen(r->left), n = strlen(r->right);

		FUZZ_ASSERT(l > 0 && n > 0);
		FUZZ_ASSERT(!isspace((unsigned char)r->left[0]) &&
			    !isspace((unsigned char)r->left[l - 1]));
		FUZZ_ASSERT(!isspace((unsigned char)r->right[0]) &&
			    !isspace((unsigned char)r->right[n - 1]));
		FUZZ_ASSERT(r->line > prev);
		prev = r->line;
	}
	crm_rulefile_release(&f);
	return 0;
}
