/*
 * err: the error record every libcrm function fills instead of printing.
 *
 * A struct crm_err is owned by the caller and reused; a function that fails
 * sets code (a sysexits(3) value), the position of the input that caused it
 * when there is one, and a lowercase message without trailing period.
 * lib/cli.c turns it into "crm-x: file:line: field 'f': message" and an
 * exit status.
 */
#ifndef CRM_ERR_H
#define CRM_ERR_H

#include <stddef.h>

struct crm_err {
	int code;	    /* sysexits(3) code; 0 while no error */
	const char *file;   /* input name ("-" for stdin), or NULL; borrowed */
	unsigned long line; /* 1-based line of the input, or 0 */
	char field[128];    /* field the error is about, or "" */
	char msg[1024];	    /* what went wrong */
};

/* Clear e to "no error". */
void crm_err_clear(struct crm_err *e);

/*
 * Set e's code and message (printf-style) and return -1, so that
 * "return crm_err_set(e, EX_DATAERR, ...)" reads naturally.  The position
 * fields are left as they are.
 */
int crm_err_set(struct crm_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the field name (truncated to fit) the error is about. */
void crm_err_field(struct crm_err *e, const char *name, size_t len);

/*
 * Write "file:line: field 'f': msg" (the parts that are set) into buf of
 * size n, NUL-terminated and truncated to fit.
 */
void crm_err_format(const struct crm_err *e, char *buf, size_t n);

#endif
