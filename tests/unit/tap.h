/*
 * tap: a tiny assertion header for the unit tests (testhelp.h scale).
 *
 * Each check prints one TAP line ("ok N - what" or "not ok N - what" with
 * the file and line); tap_done() prints the plan and a closing summary
 * line, and returns the exit status for main (1 if anything failed).
 */
#ifndef CRM_TAP_H
#define CRM_TAP_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                                      \
	do {                                                                   \
		tap_n++;                                                       \
		if (cond) {                                                    \
			printf("ok %d - ", tap_n);                             \
		} else {                                                       \
			tap_failed++;                                          \
			printf(                                                \
			    "not ok %d - %s:%d: ", tap_n, __FILE__, __LINE__); \
		}                                                              \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
	} while (0)

/* Compare a NUL-terminated result with the expected string. */
#define TAP_STR(got, want, ...)                                    \
	do {                                                       \
		const char *tap_g = (got), *tap_w = (want);        \
		int tap_same = (tap_g == NULL && tap_w == NULL) || \
			       (tap_g != NULL && tap_w != NULL &&  \
				   strcmp(tap_g, tap_w) == 0);     \
		TAP_OK(tap_same, __VA_ARGS__);                     \
		if (!tap_same)                                     \
			printf("#   got:  '%s'\n#   want: '%s'\n", \
			    tap_g ? tap_g : "(null)",              \
			    tap_w ? tap_w : "(null)");             \
	} while (0)

/*
 * Remove a test's store dir/crm.db, its WAL and shared-memory files and
 * the directory.
 */
static inline void
tap_rm_store(const char *dir)
{
	static const char *const f[] = { "crm.db", "crm.db-wal", "crm.db-shm" };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Write text to the file at path (a test's temporary file); path. */
static inline const char *
tap_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
	return path;
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	printf("# %d passed, %d failed\n", tap_n - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
