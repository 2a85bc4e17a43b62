/*
 * cli: what every crmkit binary shares at its edges: the program name in
 * messages, err(3)-style diagnostics that take a sysexits(3) code, checked
 * number parsing for options, --version, the closing check of standard
 * output, and the progress line shown only on a terminal.  This is the one
 * place where lib errors become messages and exit statuses; nothing here
 * allocates memory that outlives a call.
 */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <stddef.h>

#include "err.h"
#include "opt.h"
#include "rec.h"

#define CRM_VERSION "0.1.0"

/* Set the program name used in messages (call first in main). */
void crm_cli_init(const char *name);
const char *crm_cli_name(void);

/* "prog: message" on stderr, then exit(code). */
void crm_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* "prog: message" on stderr. */
void crm_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "prog: file:line: field 'f': message" on stderr. */
void crm_report(const struct crm_err *e);

/*
 * A usage error: "prog: message", the synopsis, and a hint to --help on
 * stderr, then exit(EX_USAGE).
 */
void crm_usage_error(const char *synopsis, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/*
 * The message for getopt_long's ':' and '?' returns (with opterr = 0 and
 * an optstring starting with ':'), then exit(EX_USAGE) as above.
 */
void crm_bad_option(const char *synopsis, int c, char *const *argv)
    __attribute__((noreturn));

/* Print "prog (crmkit) VERSION" and library versions to stdout. */
void crm_print_version(void);

/*
 * Parse s as a whole decimal number in [min, max].  Returns 0, or -1 when
 * s is empty, has anything after the number, or is out of range.
 */
int crm_parse_long(const char *s, long min, long max, long *out);
int crm_parse_double(const char *s, double min, double max, double *out);

/*
 * Verbs: when argv[1] is one of the NULL-terminated verbs, remove it
 * from argv (so getopt sees the options as usual; *argc drops by one) and
 * return its index plus one; else return 0.  A file named like a verb is
 * given as ./train.
 */
int crm_cli_verb(int *argc, char **argv, const char *const *verbs);

/* Append arg to the list of a repeatable option; exits when out of memory. */
void crm_opt_push(const char ***list, size_t *n, const char *arg);

/* The store: db (from --db) if given, else $CRM_DB if set and not empty. */
const char *crm_db_path(const char *db);

/*
 * An option's whole number in [min, max]; a usage error (with synopsis,
 * then exit(EX_USAGE)) naming opt otherwise.
 */
long crm_opt_long(
    const char *synopsis, const char *opt, const char *arg, long min, long max);

/*
 * The value of --input-format or --output-format: "csv", "tsv" or
 * "jsonl"; any other word is a usage error (reported with synopsis, then
 * exit(EX_USAGE)).
 */
enum crm_format crm_parse_format(const char *synopsis, const char *s);

/*
 * Flush and close stdout; on failure report it and return EX_IOERR, else
 * return 0.  Every binary calls this before it exits.
 */
int crm_close_stdout(void);

/*
 * Progress on stderr, "prog: N what" rewritten in place at most twice a
 * second, and only when stderr is a terminal.
 */
struct crm_progress {
	int on;		   /* stderr is a terminal */
	long long last_ms; /* when the line was last written */
	int shown;	   /* something is on the line */
};

void crm_progress_init(struct crm_progress *p);
void crm_progress(
    struct crm_progress *p, unsigned long long n, const char *what);
void crm_progress_end(struct crm_progress *p);

/* ==== The option table of opt.h ==== */

/*
 * Parse the next option of argv by cmd's table, as getopt_long(3) would
 * (call until it returns -1; optind is then the first operand).  The
 * shared options go into c; -h prints the help made from the table and
 * --version the versions, and both exit 0; an unknown option, a missing
 * value or a bad shared value is a usage error (exit 64).  Returns the
 * key of one of the binary's own options, *arg its value (or NULL); -1
 * at the end, when c->db is also filled from $CRM_DB if --db was not
 * given.  One parse per process: the tables are made on the first call.
 */
int crm_getopt(const struct crm_cmd *cmd, struct crm_common *c, int argc,
    char **argv, const char **arg);

/* Print cmd's help to stdout. */
void crm_print_help(const struct crm_cmd *cmd);

#endif
