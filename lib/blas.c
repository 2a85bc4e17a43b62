/*
 * blas: room for OpenBLAS's work buffers, reckoned before a call that
 * would map them for good, so that a memory limit ends in a message
 * rather than in OpenBLAS's endless retry loop: from the limits set and
 * what the process has mapped (/proc/self/status), or, with no limit
 * set, by test mappings made and undone (a system that does not
 * overcommit).
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * The KiB of key ("VmSize:", "VmData:") in /proc/self/status, or -1 where
 * there is no such file.
 */
static long long
vm_kib(const char *key)
{
	char line[256];
	long long kib = -1;
	size_t n = strlen(key);
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, n) == 0) {
			kib = strtoll(line + n, NULL, 10);
			break;
		}
	fclose(fp);
	return kib;
}

/*
 * How many buffers fit under the limits set, from what is mapped now:
 * the mappings themselves are not made, as a test mapping held while one
 * of OpenBLAS's threads maps its own buffer would make that fail, and
 * the thread wait for ever.  -1 when no limit is set or the sizes are
 * not known (then mappings are tried).
 */
static long long
fit_under_limits(int *err)
{
	struct rlimit rl;
	long long fit = -1, used, left;
	const unsigned long long buf = (unsigned long long)CRM_BLAS_BUFFER;
	const long long slack = 16 * 1024; /* KiB for the run's other needs */
	static const struct {
		int res;
		const char *key;
	} lim[] = { { RLIMIT_AS, "VmSize:" }, { RLIMIT_DATA, "VmData:" } };
	size_t i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (getrlimit(lim[i].res, &rl) != 0 ||
		    rl.rlim_cur == RLIM_INFINITY)
			continue;
		if ((used = vm_kib(lim[i].key)) < 0)
			return -1;
		left = (long long)(rl.rlim_cur / 1024) - used - slack;
		left = left > 0
			   ? (long long)((unsigned long long)left * 1024 / buf)
			   : 0;
		if (fit < 0 || left < fit)
			fit = left;
	}
	*err = ENOMEM;
	return fit;
}

int
crm_blas_room_for(const char *who, int threads, struct crm_err *e)
{
	static void *map[MAX_BUFFERS];
	int n = 0, want, i, err = ENOMEM, h = helper_threads();
	long long fit;

	if (threads < 1)
		threads = 1;
	if (threads > MAX_BUFFERS - h)
		threads = MAX_BUFFERS - h;
	if (h + threads <= shown)
		return threads;
	want = h + threads - shown;
	if ((fit = fit_under_limits(&err)) >= 0)
		n = fit < want ? (int)fit : want;
	else {
		/* the mapping OpenBLAS's alloc_mmap makes, one per buffer */
		while (n < want) {
			map[n] = mmap(NULL, CRM_BLAS_BUFFER,
			    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
			if (map[n] == MAP_FAILED) {
				err = errno;
				break;
			}
			n++;
		}
		for (i = 0; i < n; i++)
			munmap(map[i], CRM_BLAS_BUFFER);
	}
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
