/*
 * fault: allocation failure injection for the fault build (tests/fault).
 *
 * The fault build links every binary with -Wl,--wrap for the allocation
 * functions our own objects call, so that each call from lib/ and cmd/
 * comes here, and registers a failing allocator with SQLite before it is
 * initialized.  Both share one counter: with CRM_FAULT_ALLOC=N the Nth
 * allocation fails (returns NULL with errno ENOMEM), and with
 * CRM_FAULT_MODE=after every allocation after it fails as well (the
 * persistent mode of SQLite's malloc tests; the default, once, fails only
 * the Nth).  With CRM_FAULT_COUNT set, the count and the number failed
 * are written to stderr at exit as "fault: N allocations, M failed".
 * Allocations made inside the C library (stdio, getline), libcsv,
 * utf8proc, liblinear, libsvm and OpenBLAS are not seen: see README.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);

static atomic_ulong count;    /* allocations seen */
static atomic_ulong failed;   /* of them, made to fail */
static unsigned long fail_at; /* the allocation to fail, or 0: none */
static int persistent;	      /* every allocation after it fails too */
static sqlite3_mem_methods sqlite_real;

/* Count one allocation; 1 when it is to fail. */
static int
fault_hit(void)
{
	unsigned long n = atomic_fetch_add(&count, 1) + 1;

	if (fail_at == 0 || n < fail_at || (n > fail_at && !persistent))
		return 0;
	atomic_fetch_add(&failed, 1);
	errno = ENOMEM;
	return 1;
}

void *
__wrap_malloc(size_t n)
{
	return fault_hit() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return fault_hit() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fault_hit() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return fault_hit() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fault_hit() ? NULL : __real_strndup(s, n);
}

static void *
sqlite_malloc(int n)
{
	return fault_hit() ? NULL : sqlite_real.xMalloc(n);
}

static void *
sqlite_realloc(void *p, int n)
{
	return fault_hit() ? NULL : sqlite_real.xRealloc(p, n);
}

static void
fault_report(void)
{
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "fault: %lu allocations, %lu failed\n",
	    atomic_load(&count), atomic_load(&failed));
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* Before main, so before anything initializes SQLite. */
__attribute__((constructor)) static void
fault_init(void)
{
	static sqlite3_mem_methods m;
	const char *s;

	if ((s = getenv("CRM_FAULT_ALLOC")) != NULL)
		fail_at = strtoul(s, NULL, 10);
	persistent = (s = getenv("CRM_FAULT_MODE")) != NULL &&
		     strcmp(s, "after") == 0;
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_real) ==
	    SQLITE_OK) {
		m = sqlite_real;
		m.xMalloc = sqlite_malloc;
		m.xRealloc = sqlite_realloc;
		if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
			(void)write(STDERR_FILENO,
			    "fault: cannot set SQLite's allocator\n", 37);
	}
	if (getenv("CRM_FAULT_COUNT") != NULL)
		atexit(fault_report);
}
