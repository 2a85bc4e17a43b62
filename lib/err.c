/*
 * err: filling and formatting struct crm_err, the error record that lib
 * code returns to the binaries in place of printing (the libcsv and libsvm
 * pattern: the library reports, the program decides).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
crm_err_clear(struct crm_err *e)
{
	e->code = 0;
	e->file = NULL;
	e->line = 0;
	e->field[0] = '\0';
	e->msg[0] = '\0';
}

int
crm_err_set(struct crm_err *e, int code, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;

	/* Into a copy first: an argument may be e->msg itself. */
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(e->msg, msg, sizeof(msg));
	return -1;
}

void
crm_err_field(struct crm_err *e, const char *name, size_t len)
{
	if (len >= sizeof(e->field))
		len = sizeof(e->field) - 1;
	memcpy(e->field, name, len);
	e->field[len] = '\0';
}

void
crm_err_format(const struct crm_err *e, char *buf, size_t n)
{
	size_t off = 0;
	int w;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (e->file != NULL) {
		if (e->line > 0)
			w = snprintf(buf, n, "%s:%lu: ", e->file, e->line);
		else
			w = snprintf(buf, n, "%s: ", e->file);
		off = w < 0 ? 0 : (size_t)w;
	}
	if (off < n && e->field[0] != '\0') {
		w = snprintf(buf + off, n - off, "field '%s': ", e->field);
		off += w < 0 ? 0 : (size_t)w;
	}
	if (off < n)
		snprintf(buf + off, n - off, "%s", e->msg);
}
