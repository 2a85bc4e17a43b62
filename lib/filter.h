/*
 * filter: the record loop every crmkit filter shares.  It reads each input
 * file (or standard input) with the rec reader, hands every record to the
 * tool, writes what the tool kept to standard output, sends bad records to
 * the --rejects file (or reports them on stderr), stops after --max-errors
 * rejects, flushes the output whenever the input would block, and works
 * out the exit status: the first fatal error, else 66 (EX_NOINPUT) when
 * nothing was done from some input (it could not be opened, its header
 * was refused, or records were read and every one was rejected), else 65
 * (EX_DATAERR) when some records were rejected, else 0.
 *
 * A tool names the fields it needs with crm_filter_need(): each is
 * looked for once in a CSV/TSV header, before any record (a header
 * without it refuses the input, with a did-you-mean hint), and in the
 * first record of a JSONL input (reported once as a likely typo); a
 * later JSONL record without a field every record needs is rejected
 * without a line of its own on stderr, and counted for the summary.
 *
 * Records come from files and streams (crm_filter_run) or from any other
 * source, such as a store snapshot (crm_filter_run_source); each goes to
 * the tool's record step, and once the inputs are done, the tool's finish
 * step runs: a tool that holds records (dedupe, RFM) works on them there
 * and writes them with crm_filter_emit().  Nothing here exits; messages
 * go to stderr and data to the output only.
 */
#ifndef CRM_FILTER_H
#define CRM_FILTER_H

#include <stdio.h>

#include "err.h"
#include "rec.h"

struct crm_filter_opts {
	enum crm_format in_fmt;	 /* CRM_FMT_AUTO: from the first byte */
	enum crm_format out_fmt; /* CRM_FMT_AUTO: the input's */
	long max_errors;	 /* stop after more rejects; -1: no limit */
	const char *rejects;	 /* CSV file of rejects, or NULL */
	int no_output;		 /* read only (training, evaluation) */
	const char *encoding;	 /* --encoding, or NULL: sniffed */
	int delim;		 /* --delimiter, or 0: sniffed */
	int excel;		 /* CSV/TSV for spreadsheets: BOM, guards */
};

/*
 * What the tool does.  Each function may be NULL and returns 0, or -1
 * with e filled: EX_DATAERR rejects the record (or, from check_header,
 * skips the file), any other code ends the run.  record may also return
 * CRM_FILTER_FATAL, which ends the run whatever e's code (a store that
 * turned out corrupt, EX_DATAERR, is not the record's fault).
 */
#define CRM_FILTER_FATAL (-2)

struct crm_filter;

struct crm_filter_ops {
	/* Look at a CSV/TSV input's header before its records. */
	int (*check_header)(
	    void *arg, const struct crm_rec *hdr, struct crm_err *e);
	/* Turn the input's names (values empty) into the output header. */
	int (*out_header)(void *arg, struct crm_rec *hdr, struct crm_err *e);
	/* Change a record; it is written unless *drop is set. */
	int (*record)(
	    void *arg, struct crm_rec *r, int *drop, struct crm_err *e);
	/* The input would block, the output is flushed: commit work. */
	void (*idle)(void *arg);
	/*
	 * After the last input, when nothing fatal ended the run: the tool
	 * works on what it held and writes it with crm_filter_emit().
	 * Called once, by crm_filter_run() or crm_filter_run_source(); a
	 * -1 ends the run with e's code (reported).
	 */
	int (*finish)(void *arg, struct crm_filter *f, struct crm_err *e);
	/*
	 * Name the fields the tool needs with crm_filter_need(f, ...);
	 * called once by crm_filter_new().  0, or -1 when out of memory.
	 */
	int (*needs)(void *arg, struct crm_filter *f);
};

/*
 * A source of records that is not a file: next() puts the next record
 * into r and returns 1, 0 at the end, or -1 with e filled (EX_DATAERR
 * rejects that record, any other code ends the run).  close(), when not
 * NULL, is called once the last record is read (before the finish
 * step), so that a store snapshot is let go as early as it can be.
 * Records are written in fmt unless --output-format says otherwise.
 */
struct crm_source {
	const char *name; /* in messages */
	enum crm_format fmt;
	int (*next)(void *arg, struct crm_rec *r, struct crm_err *e);
	void (*close)(void *arg);
	void *arg;
};

/*
 * Return a filter, the rejects file created; NULL with e filled
 * (EX_CANTCREAT, EX_SOFTWARE).
 */
struct crm_filter *crm_filter_new(const struct crm_filter_opts *o,
    const struct crm_filter_ops *ops, void *arg, struct crm_err *e);

/*
 * Run over the n files named in files ("-" is standard input; none means
 * standard input).  Returns 0, or the sysexits code that ended the run
 * (already reported).
 */
int crm_filter_run(struct crm_filter *f, int n, char **files);

/*
 * The status of the inputs so far: 0, or EX_NOINPUT when one could not
 * be opened or its header (or format) was refused (the run went on).
 */
int crm_filter_status(const struct crm_filter *f);

/*
 * A field the tool needs, named by the option opt ("--label-field"; in
 * messages), checked in every input before its records (see above).
 * With CRM_NEED_EVERY, a JSONL record without it is rejected ("no field
 * 'x' (--opt)") before the tool sees it; else only the header and the
 * first record are checked.  name and opt are borrowed: they must live
 * as long as f.  With CRM_NEED_RECORDS, a CSV/TSV header is not looked
 * at (the tool's check_header does, its names trimmed and renamed), and
 * a JSONL name with white space around it counts.  0, or -1 when out of
 * memory.
 */
#define CRM_NEED_EVERY	 1
#define CRM_NEED_RECORDS 2
int crm_filter_need(
    struct crm_filter *f, const char *name, const char *opt, int flags);

/*
 * n records the tool read itself, not through the loop (a store's
 * events, say): counted as read, and so, in a run that writes none, as
 * used, in the summary and the exit status.
 */
void crm_filter_add_read(struct crm_filter *f, unsigned long long n);

/* How many inputs were refused (could not be opened, a bad header). */
unsigned long long crm_filter_refused(const struct crm_filter *f);

/*
 * The i-th field needed by every record that some JSONL records lacked:
 * 1 with *name and *n (how many such records) set, 0 past the last.
 */
int crm_filter_missing(const struct crm_filter *f, size_t i, const char **name,
    unsigned long long *n);

/*
 * Run over one open stream fp, named name in messages (borrowed: the
 * finish step's messages may name it too, so it must outlive the run).
 * The finish step is not run: call crm_filter_run_finish() after the
 * last such stream.
 */
int crm_filter_run_file(struct crm_filter *f, FILE *fp, const char *name);

/* The finish step, for a caller of crm_filter_run_file(); 0 or a code. */
int crm_filter_run_finish(struct crm_filter *f);

/*
 * Run over the records of src, then the finish step.  Returns 0, or the
 * sysexits code that ended the run (already reported).
 */
int crm_filter_run_source(struct crm_filter *f, struct crm_source *src);

/*
 * The format of the input being read (for a record callback that treats
 * CSV and TSV text differently from typed JSONL values).
 */
enum crm_format crm_filter_format(const struct crm_filter *f);

/* The name of the input being read, as in messages ("-": stdin), or NULL. */
const char *crm_filter_input(const struct crm_filter *f);

/*
 * Write r to the output as the loop would, for a tool that holds records
 * back (dropping them from record()) and writes them at the end (the
 * finish step).  When no input had a header or a record, the output is
 * opened in --output-format, else in the last input's format; with
 * neither, EX_SOFTWARE.  0, or -1 with e filled.
 */
int crm_filter_emit(
    struct crm_filter *f, const struct crm_rec *r, struct crm_err *e);

/*
 * Reject r from the finish step, as the loop rejects a record: e (with
 * e->file and e->line set, r's raw text kept by crm_rec_set_raw) to the
 * rejects file or stderr, counted.  0, or -1 with e filled when the run
 * must end: writing the rejects failed, or there are more than
 * --max-errors.
 */
int crm_filter_reject(
    struct crm_filter *f, const struct crm_rec *r, struct crm_err *e);

/*
 * Whether the run saw all of its input: NULL when every input was read
 * and no record rejected; else why not ("records were rejected", "an
 * input was refused or could not be opened").  A model or figures made from part of the
 * data would mislead, so training and evaluation ask this first.
 */
const char *crm_filter_partial(const struct crm_filter *f);

/* Records read, written and rejected so far. */
void crm_filter_counts(const struct crm_filter *f, unsigned long long *read,
    unsigned long long *written, unsigned long long *rejected);

/*
 * Flush the output and the rejects file (closed then) and return the exit
 * status of the run, given rc, the status so far (0 or a fatal code).  A
 * run that read records and accepted none is EX_NOINPUT, also when
 * --max-errors stopped it.  A second call only flushes the output.
 */
int crm_filter_finish(struct crm_filter *f, int rc);

/*
 * Flush standard output now, as a tool that writes to a store does before
 * it commits what the records written say was done.  0, or EX_IOERR (the
 * failure reported).
 */
int crm_filter_flush(struct crm_filter *f);

/* Did writing standard output fail?  The failure was reported already. */
int crm_filter_output_failed(const struct crm_filter *f);
void crm_filter_free(struct crm_filter *f);

/*
 * For a run that failed before it wrote anything: drop what the output
 * holds unwritten (a CSV header), then crm_filter_finish(f, rc), so the
 * rejects so far are kept and nothing half made reaches standard output.
 */
int crm_filter_abandon(struct crm_filter *f, int rc);

#endif
