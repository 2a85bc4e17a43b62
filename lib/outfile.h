/*
 * outfile: a file that an output of a run replaces (--rejects, a model
 * file), written safely.  A regular file, or a name not taken yet, is
 * written to a temporary beside it made by mkstemp(3) (O_CREAT|O_EXCL
 * under a name no one can guess, so a link planted there is never
 * followed) and renamed over it once complete: a reader never sees half a
 * file, and a run that fails before the end leaves the old file as it
 * was.  Anything else (a FIFO, /dev/stdout, a terminal, or a symbolic
 * link, which rename would replace) is written in place.
 */
#ifndef CRM_OUTFILE_H
#define CRM_OUTFILE_H

#include <stdio.h>

#include "err.h"

struct crm_outfile {
	FILE *fp;   /* where to write, between open and commit or abort */
	char *path; /* the name the user gave */
	char *tmp;  /* the temporary, or NULL when written in place */
};

/* Open path for writing; 0, or -1 with e set (EX_CANTCREAT, EX_SOFTWARE). */
int crm_outfile_open(
    struct crm_outfile *of, const char *path, struct crm_err *e);

/*
 * Flush and close the file and put it in place; 0, or -1 with e set
 * (EX_IOERR, EX_CANTCREAT), the temporary removed.  Either way of is
 * released.
 */
int crm_outfile_commit(struct crm_outfile *of, struct crm_err *e);

/* Close the file and remove the temporary: path is left as it was. */
void crm_outfile_abort(struct crm_outfile *of);

#endif
