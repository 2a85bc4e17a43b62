/*
 * replay: run a harness over files without libFuzzer, for make check.
 * Each argument is a file or a directory whose files (not its
 * subdirectories, in name order) are each given once to
 * LLVMFuzzerTestOneInput.  Prints the number of inputs run; a harness
 * that finds a fault aborts (under ASan, with its report).
 *
 *	replay FILE|DIR ...
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static int run_file(const char *);
static int run_dir(const char *, unsigned long *);

/* Run one file; 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
	FILE *fp;
	uint8_t *data = NULL, *p;
	size_t len = 0, cap = 0, n;
	int rc = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			if ((p = realloc(data, cap)) == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				goto out;
			}
			data = p;
		}
		if ((n = fread(data + len, 1, cap - len, fp)) == 0)
			break;
		len += n;
	}
	if (ferror(fp)) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		goto out;
	}
	/* a copy of the exact size, so ASan sees a read past the input */
	if ((p = malloc(len > 0 ? len : 1)) == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		goto out;
	}
	memcpy(p, data, len);
	LLVMFuzzerTestOneInput(p, len);
	free(p);
	rc = 0;
out:
	free(data);
	fclose(fp);
	return rc;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
run_dir(const char *dir, unsigned long *count)
{
	struct dirent **ent;
	struct stat st;
	char path[4096];
	int i, n, rc = 0;

	if ((n = scandir(dir, &ent, NULL, by_name)) == -1) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", dir,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ent[i]->d_name);
		if (ent[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (run_file(path) == -1)
				rc = -1;
			else
				(*count)++;
		}
		free(ent[i]);
	}
	free(ent);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	unsigned long count = 0;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: replay FILE|DIR ...\n");
		return 64;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: cannot open '%s': %s\n",
			    argv[i], strerror(errno));
			rc = 66;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) == -1)
				rc = 66;
		} else if (run_file(argv[i]) == -1) {
			rc = 66;
		} else {
			count++;
		}
	}
	printf("%lu\n", count);
	return rc;
}
