/*
 * blas: test mappings the size of OpenBLAS's work buffers, made and
 * undone before a call that would make them for good, so that a memory
 * limit ends in a message rather than in OpenBLAS's endless retry loop.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <cblas.h>

#include "blas.h"

#define MAX_BUFFERS 256

/* Buffers shown to fit so far; OpenBLAS keeps the ones it maps. */
static int shown;

/* OpenBLAS's own threads, started when it was loaded; -1 until asked. */
static int helpers = -1;

/*
 * Fill e: who (or NULL) has no room for want buffers, naming the limit
 * that is set.
 */
static void
no_room(const char *who, int want, int err, struct crm_err *e)
{
	struct rlimit as, data;
	char what[160];
	int has_as, has_data;

	if (want == 1)
		snprintf(what, sizeof(what),
		    "%s%sno room for OpenBLAS's %zu MiB work buffer",
		    who != NULL ? who : "", who != NULL ? ": " : "",
		    CRM_BLAS_BUFFER >> 20);
	else
		snprintf(what, sizeof(what),
		    "%s%sno room for OpenBLAS's %d work buffers of %zu MiB "
		    "(one a thread)",
		    who != NULL ? who : "", who != NULL ? ": " : "", want,
		    CRM_BLAS_BUFFER >> 20);
	has_as = getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY;
	has_data = getrlimit(RLIMIT_DATA, &data) == 0 &&
		   data.rlim_cur != RLIM_INFINITY;
	if (has_as && (!has_data || as.rlim_cur <= data.rlim_cur))
		crm_err_set(e, EX_SOFTWARE,
		    "%s under the address-space limit of %llu KiB (ulimit -v)",
		    what, (unsigned long long)as.rlim_cur / 1024);
	else if (has_data)
		crm_err_set(e, EX_SOFTWARE,
		    "%s under the data-size limit of %llu KiB (ulimit -d)",
		    what, (unsigned long long)data.rlim_cur / 1024);
	else
		crm_err_set(e, EX_SOFTWARE, "%s: %s", what, strerror(err));
}

/*
 * OpenBLAS's threads besides the caller's: each maps its buffer when it
 * starts, which can be after our first call (a race seen in strace), so
 * their buffers are counted as still to come.
 */
static int
helper_threads(void)
{
	if (helpers < 0) {
		helpers = 0;
#ifdef OPENBLAS_VERSION
		if (openblas_get_num_threads() > 1)
			helpers = openblas_get_num_threads() - 1;
#endif
		if (helpers > MAX_BUFFERS / 2)
			helpers = MAX_BUFFERS / 2;
	}
	return helpers;
}

int
crm_blas_room_for(const char *who, int threads, struct crm_err *e)
{
	static void *map[MAX_BUFFERS];
	int n = 0, want, i, err = ENOMEM, h = helper_threads();

	if (threads < 1)
		threads = 1;
	if (threads > MAX_BUFFERS - h)
		threads = MAX_BUFFERS - h;
	if (h + threads <= shown)
		return threads;
	/* the mapping OpenBLAS's alloc_mmap makes, one per buffer */
	want = h + threads - shown;
	while (n < want) {
		map[n] = mmap(NULL, CRM_BLAS_BUFFER, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map[n] == MAP_FAILED) {
			err = errno;
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		munmap(map[i], CRM_BLAS_BUFFER);
	if (shown + n <= h) {
		no_room(who, h + 1, err, e);
		return 0;
	}
	shown += n;
	return shown - h < threads ? shown - h : threads;
}

int
crm_blas_room(const char *who, int threads, struct crm_err *e)
{
	if (threads < 1)
		threads = 1;
	if (crm_blas_room_for(who, threads, e) >= threads)
		return 0;
	no_room(who, helper_threads() + threads, ENOMEM, e);
	return -1;
}
