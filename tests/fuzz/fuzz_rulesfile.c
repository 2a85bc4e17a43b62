/*
 * fuzz_rulesfile: the rules-file reader (crm_rulefile_read in
 * lib/rules.c).  The first byte picks the separator and whether the last
 * one splits the line; the rest is the file, written to a temporary file
 * since the reader takes a path.  Every rule read must have two trimmed,
 * non-empty sides and lines in increasing order; the settings of its
 * left side (crm_rule_settings, as crm-tag's "TAG purpose=NAME"), when
 * they split, are a name and KEY=VALUE words without white space, each
 * part non-empty, keys distinct and without '='.
 */
#include "fuzz.h"

#include <ctype.h>
#include <sysexits.h>

#include "rules.h"

static const char *const seps[] = { ":", "->", "=>", "=", " then " };

static int
blank_in(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s))
			return 1;
	return 0;
}

/* The settings of a rule's left side, split in a copy. */
static void
check_settings(const char *left)
{
	struct crm_rule_setting set[4];
	struct crm_err e;
	char *copy = strdup(left);
	size_t i, j, n;

	if (copy == NULL)
		return;
	memset(&e, 0, sizeof(e));
	if (crm_rule_settings(copy, set, 4, &n, &e) == 0) {
		FUZZ_ASSERT(n <= 4 && *copy != '\0' && !blank_in(copy));
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(
			    *set[i].key != '\0' && *set[i].value != '\0');
			FUZZ_ASSERT(
			    !blank_in(set[i].key) && !blank_in(set[i].value));
			FUZZ_ASSERT(strchr(set[i].key, '=') == NULL);
			for (j = 0; j < i; j++)
				FUZZ_ASSERT(
				    strcmp(set[i].key, set[j].key) != 0);
		}
	} else {
		FUZZ_ASSERT(e.code == EX_DATAERR);
	}
	free(copy);
}

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
		check_settings(r->left);
	}
	crm_rulefile_release(&f);
	return 0;
}
