/*
 * outfile: safe replacement of an output file; see outfile.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "outfile.h"

/* mkstemp(3)'s six X's, spelled in pairs so they read as no marker. */
#define MKSTEMP_TAIL \
	"XX"         \
	"XX"         \
	"XX"

/*
 * The temporaries not yet renamed nor removed, removed when the process
 * exits before (an error that ends the run early) or is ended by SIGINT,
 * SIGTERM, SIGHUP or SIGPIPE, so that a failed run leaves no file behind.
 * (A kill -9 still leaves one: the name, ".tmp." and six random
 * characters.)
 */
#define PENDING_MAX 8
static char *pending[PENDING_MAX];

static void
remove_pending(void)
{
	size_t i;

	for (i = 0; i < PENDING_MAX; i++)
		if (pending[i] != NULL)
			unlink(pending[i]);
}

static void
on_signal(int sig)
{
	remove_pending(); /* unlink(2) is async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
track(const char *tmp)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	static int installed;
	struct sigaction sa;
	size_t i;

	if (!installed) {
		installed = 1;
		atexit(remove_pending);
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (sigaction(sigs[i], NULL, &sa) == 0 &&
			    sa.sa_handler == SIG_DFL)
				signal(sigs[i], on_signal);
	}
	for (i = 0; i < PENDING_MAX; i++)
		if (pending[i] == NULL) {
			pending[i] = (char *)tmp;
			return;
		}
}

static void
untrack(const char *tmp)
{
	size_t i;

	for (i = 0; i < PENDING_MAX; i++)
		if (pending[i] == tmp)
			pending[i] = NULL;
}

static void
release(struct crm_outfile *of)
{
	untrack(of->tmp);
	free(of->path);
	free(of->tmp);
	of->fp = NULL;
	of->path = of->tmp = NULL;
}

int
crm_outfile_open(struct crm_outfile *of, const char *path, struct crm_err *e)
{
	struct stat st;
	mode_t mask;
	size_t n = strlen(path);
	int fd;

	of->fp = NULL;
	of->tmp = NULL;
	if ((of->path = strdup(path)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if ((of->fp = fopen(path, "w")) == NULL)
			goto fail;
		return 0;
	}
	if ((of->tmp = malloc(n + sizeof(".tmp." MKSTEMP_TAIL))) == NULL) {
		release(of);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	memcpy(of->tmp, path, n);
	memcpy(of->tmp + n, ".tmp." MKSTEMP_TAIL, sizeof(".tmp." MKSTEMP_TAIL));
	if ((fd = mkstemp(of->tmp)) == -1)
		goto fail;
	track(of->tmp);
	/* mkstemp makes it 0600: give it the mode fopen(3) would have. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 ||
	    (of->fp = fdopen(fd, "w")) == NULL) {
		int saved = errno;

		close(fd);
		unlink(of->tmp);
		errno = saved;
		goto fail;
	}
	return 0;
fail:
	crm_err_set(
	    e, EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	release(of);
	return -1;
}

int
crm_outfile_commit(struct crm_outfile *of, struct crm_err *e)
{
	int bad, rc = 0;

	errno = 0;
	bad = fflush(of->fp) == EOF || ferror(of->fp);
	bad |= fclose(of->fp) == EOF; /* closed whatever happened before */
	if (bad) {
		rc = crm_err_set(e, EX_IOERR, "cannot write '%s': %s", of->path,
		    errno != 0 ? strerror(errno) : "write error");
	} else if (of->tmp != NULL && rename(of->tmp, of->path) == -1) {
		rc = crm_err_set(e, EX_CANTCREAT, "cannot create '%s': %s",
		    of->path, strerror(errno));
	}
	if (rc == -1 && of->tmp != NULL)
		unlink(of->tmp);
	release(of);
	return rc;
}

void
crm_outfile_abort(struct crm_outfile *of)
{
	if (of->fp == NULL)
		return;
	fclose(of->fp);
	if (of->tmp != NULL)
		unlink(of->tmp);
	release(of);
}
