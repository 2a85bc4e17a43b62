/*
 * cli: what every crmkit binary shares at its edges: the program name in
 * messages, err(3)-style diagnostics that take a sysexits(3) code, checked
 * number parsing for options, --version, the closing check of standard
 * output, the progress line shown only on a terminal, and the wiring every
 * main repeats (open the store, make the filter, run it over files or a
 * source, the summary line, the end of the run), each failure fatal.  This
 * is the one place where lib errors become messages and exit statuses;
 * what it allocates (the store, the filter) the caller frees.
 */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <stddef.h>

#include "err.h"
#include "opt.h"
#include "progress.h"
#include "rec.h"

#define CRM_VERSION "0.1.0"

/* Set the program name used in messages (call first in main). */
void crm_cli_init(const char *name);
const char *crm_cli_name(void);

/*
 * "prog: message" on stderr, then exit(code).  This and every other exit
 * here (crm_usage_error(), crm_cli_fail(), crm_cli_check()) first write
 * the --stats file, once crm_getopt() has read the options and when
 * crm_cli_end() has not: the counts so far (of the filter
 * crm_cli_filter() made, zeros before it ran) and code as "status".
 */
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
 * Verbs: when argv[1] is one of the NULL-terminated verbs, or an alias
 * of one ("fit" for "train", the word some tools used), remove it from
 * argv (so getopt sees the options as usual; *argc drops by one) and
 * return its index plus one; else return 0.  A file named like a verb is
 * given as ./train.  A first operand that is no verb, looks like one (a
 * word: no '/' or '.') and names no file is a usage error (with synopsis,
 * then exit(EX_USAGE)): "no verb or file 'X'; did you mean 'V'?" for a
 * near verb, else "no verb or file 'X' (verbs: A, B; DFLT)", dflt saying
 * what the tool does with no verb ("scoring is the default").
 */
int crm_cli_verb(int *argc, char **argv, const char *const *verbs,
    const char *dflt, const char *synopsis);

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
 * An option's number in [min, max]; a usage error naming opt otherwise,
 * saying what is wanted: want, or NULL for "MIN to MAX".
 */
double crm_opt_double(const char *synopsis, const char *opt, const char *arg,
    double min, double max, const char *want);

/*
 * The value of --input-format or --output-format: "csv", "tsv" or
 * "jsonl"; any other word is a usage error (reported with synopsis, then
 * exit(EX_USAGE)).
 */
enum crm_format crm_parse_format(const char *synopsis, const char *s);

/*
 * The value of --by, "person" or "record", as an enum crm_by
 * (clusters.h); any other word is a usage error (with synopsis, then
 * exit(EX_USAGE)).  CRM_BY_OPT is the option of the tools that have it.
 */
int crm_parse_by(const char *synopsis, const char *s);

/*
 * Models as arms (armmodel.h): --arm-model's arg added to o and *specs,
 * or with holdout set --holdout's read into o.  A bad --holdout is a
 * usage error (with synopsis, then exit(EX_USAGE)).
 */
struct crm_armmodel_opts;
void crm_cli_arm_opt(const char *synopsis, struct crm_armmodel_opts *o,
    const char ***specs, int holdout, const char *arg);

#define CRM_BY_OPT(opt)                                                    \
	CRM_OPT("by", opt, "person|record",                                \
	    "what a customer did: every record of its\nperson together "   \
	    "(person; the default when the\nstore has clusters), or each " \
	    "record alone")

/*
 * Flush and close stdout; on failure report it and return EX_IOERR, else
 * return 0.  Every binary calls this before it exits.
 */
int crm_close_stdout(void);

/*
 * Progress on stderr: "prog: PHASE: DONE/TOTAL UNIT, RATE/s" rewritten in
 * place, only when stderr is a terminal and -q was not given, and only
 * for a phase that has lasted a second ($CRM_PROGRESS_MS milliseconds when
 * set: 0 shows every step, for tests), then at most twice a second.  A
 * diagnostic (crm_warnx(), crm_die(), crm_report()) first clears the line.
 */
struct crm_progress {
	int on;		    /* stderr is a terminal, and no -q */
	long long last_ms;  /* when the line was last written */
	long long start_ms; /* when the phase began */
	unsigned long long last_done;
	int shown;	/* something is on the line */
	char phase[64]; /* the phase being counted */
};

void crm_progress_init(struct crm_progress *p);

/* The reading of records: "prog: reading: N what, RATE/s". */
void crm_progress(
    struct crm_progress *p, unsigned long long n, const char *what);

/*
 * A step of a phase: done of total (0: not known) unit, as a
 * crm_progress_cb (progress.h) reports it.
 */
void crm_progress_step(struct crm_progress *p, const char *phase,
    const char *unit, unsigned long long done, unsigned long long total);

/* A progress.h callback that shows its steps on p's line. */
struct crm_progress_cb crm_progress_cb(struct crm_progress *p);

/* Clear the line, if something is on it (the phase is over). */
void crm_progress_end(struct crm_progress *p);

/* No progress line in this process (-q; crm_getopt() calls it). */
void crm_progress_quiet(void);

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

/* ==== The wiring every binary's main shares ==== */

struct crm_store;

/*
 * An output file of the run (opt names its option: --rejects, which
 * crm_getopt() checks itself, or --model-file when training) may not be
 * the store, its -wal, -shm or -journal file, nor an input operand (same
 * device and inode): it would destroy them.  A usage error when it is.
 */
void crm_cli_check_output(const char *syn, const struct crm_common *c,
    const char *opt, const char *path, int argc, char **argv);

/*
 * After the last crm_getopt(): move *argc and *argv past the options to
 * the file operands.  With from_store, files are a usage error (with
 * cmd's synopsis, then exit(EX_USAGE)).
 */
void crm_cli_operands(
    const struct crm_cmd *cmd, int from_store, int *argc, char ***argv);

/*
 * The store c->db opened with c->busy_ms, or NULL when c->db is NULL; on
 * failure the error is reported and the process exits with its code.
 */
struct crm_store *crm_cli_store(const struct crm_common *c);

/*
 * For a tool that reads a store and never makes one: exit with EX_NOINPUT
 * ("cannot open 'FILE': ...") when c->db does not exist.
 */
void crm_cli_store_exists(const struct crm_common *c);

/*
 * For a tool that only reads the store (crm-report): as crm_cli_store_exists,
 * then crm_store_open_read (a store one may read but not write is read; a
 * file that is not a store is refused and left as it was); exit on failure.
 */
struct crm_store *crm_cli_store_read(const struct crm_common *c);

/*
 * A filter with c's options over ops and arg, or exit as above, having
 * closed src (the source the run was to read, or NULL) first.
 */
struct crm_filter *crm_cli_filter(const struct crm_common *c,
    const struct crm_filter_ops *ops, void *arg, struct crm_source *src);

/*
 * Run f over src when it is not NULL, else over the n files (none:
 * standard input); the status, as crm_filter_run().
 */
int crm_cli_run(
    struct crm_filter *f, struct crm_source *src, int n, char **files);

/*
 * A count of the tool's own for the run's summary, shown after the
 * shared ones as "; name N" (in the --stats JSON as "name": N, white
 * space in name as '_').  Call before crm_cli_summary(); at most 32.
 */
void crm_cli_count(const char *name, unsigned long long n);

/*
 * n of the records read were neither rejected nor used (a store's events
 * of no --event-types): "used" is the rest.  Call before
 * crm_cli_summary().
 */
void crm_cli_unused(unsigned long long n);

/*
 * The summary line of a run on stderr, one shape in every tool:
 * "prog: read N, written N, rejected N", then after "; " the pairs
 * "inputs refused N" (when some were), "used N" (the records a run
 * that writes none kept: training, evaluation), "missing 'F' N" (JSONL
 * records without a field every record needs) and the tool's counts.
 * Not shown with -q; kept for --stats, which crm_cli_end() writes.
 */
void crm_cli_summary(const struct crm_filter *f);

/*
 * The end of a run whose status so far is rc: finish and free f, close
 * standard output, and write the --stats file: the summary as one JSON
 * object, {"program", "read", "written", "rejected", "inputs_refused",
 * "used" (runs that write no records), "missing" ({"F": N}, when some
 * were), the tool's counts, "status": the exit status}, replaced
 * atomically.  Returns the exit status.
 */
int crm_cli_end(struct crm_filter *f, int rc);

/*
 * The status after a closing step that returned closed (0 or -1, e
 * filled): rc when it is not 0 or the step went well, else e's code,
 * reported.
 */
int crm_cli_closed(int rc, int closed, const struct crm_err *e);

/* crm_filter_emit() as a callback whose arg is the filter. */
int crm_cli_emit(void *f, const struct crm_rec *r, struct crm_err *e);

/*
 * A lib call's failure (rc -1) in the wiring, e filled: a usage error
 * (with synopsis) when e's code is EX_USAGE, else "prog: message" and
 * exit(e's code).  Returns when rc is not -1.
 */
void crm_cli_check(const char *synopsis, int rc, const struct crm_err *e);

/*
 * As crm_cli_check() for a failure, but e reported with its position
 * (crm_report()); never returns.
 */
void crm_cli_fail(const char *synopsis, const struct crm_err *e)
    __attribute__((noreturn));

#endif
