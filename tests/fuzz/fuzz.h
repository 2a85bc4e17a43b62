/*
 * fuzz.h: what every harness in tests/fuzz shares.  A harness is one
 * LLVMFuzzerTestOneInput() over the lib/ API; it is linked with libFuzzer
 * (make fuzz, clang) or with replay.c (make check, any compiler), which
 * feeds it the committed corpus.  A harness frees all it allocates and
 * leaves no state behind from one input to the next.
 */
#ifndef CRM_FUZZ_H
#define CRM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A check of the harness itself failed: stop so the fuzzer keeps it. */
#define FUZZ_ASSERT(cond)                                                 \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", \
			    __FILE__, __LINE__, #cond);                   \
			abort();                                          \
		}                                                         \
	} while (0)

/*
 * Write data to one temporary file of this process (made on first use,
 * removed at exit) and return its name, for loaders that take a path.
 * NULL when it cannot be written.
 */
static inline const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	size_t off = 0;
	ssize_t n;

	if (fd == -1) {
		snprintf(path, sizeof(path), "/tmp/crm-fuzz-XXXXXX");
		if ((fd = mkstemp(path)) == -1)
			return NULL;
		unlink(path); /* reopened by name below, through /proc */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1)
		return NULL;
	while (off < size) {
		if ((n = pwrite(fd, data + off, size - off, (off_t)off)) <= 0)
			return NULL;
		off += (size_t)n;
	}
	return path;
}

#endif
