/*
 * filter: the loop of filter.h, lifted out of crm-ingest so that every
 * filter reports, rejects and exits the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "filter.h"
#include "outfile.h"
#include "suggest.h"

/* A field the tool needs (crm_filter_need). */
struct need {
	const char *name, *opt;
	int flags;
	int said;		    /* the first record's lack was reported */
	unsigned long long missing; /* JSONL records rejected without it */
};

struct crm_filter {
	struct crm_filter_opts o;
	struct crm_filter_ops ops;
	void *arg;
	struct crm_writer *out;
	struct crm_writer *rej;
	struct crm_outfile rejfile; /* --rejects, while f->rej is open */
	struct crm_rec *rec, *rejrec;
	struct crm_progress prog;
	unsigned long long read, written, rejected;
	enum crm_format fmt;	    /* of the input being read */
	int status;		    /* worst per-file status so far */
	unsigned long long refused; /* inputs not opened or refused */
	struct need *need;
	size_t nneed;
	int first;	  /* the next record is its input's first */
	int checking;	  /* records are checked for the needed fields */
	const char *name; /* of the input last read, for messages */
	int out_failed;	  /* writing standard output failed (reported) */
	int stopped;	  /* --max-errors ended the run */
};

static int output_failed(struct crm_filter *);
static struct crm_writer *new_output(struct crm_filter *, enum crm_format);
static int reject(
    struct crm_filter *, const struct crm_rec *, const struct crm_err *, int);
static int out_header(
    struct crm_filter *, const struct crm_rec *, struct crm_err *);
static int open_output(
    struct crm_filter *, struct crm_reader *, struct crm_err *);
static void on_wait(void *);
static int one_input(struct crm_filter *, FILE *, const char *);

struct crm_filter *
crm_filter_new(const struct crm_filter_opts *o,
    const struct crm_filter_ops *ops, void *arg, struct crm_err *e)
{
	struct crm_filter *f;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->rec = crm_rec_new()) == NULL ||
	    (f->rejrec = crm_rec_new()) == NULL)
		goto nomem;
	f->o = *o;
	f->ops = *ops;
	f->arg = arg;
	if (o->rejects != NULL) {
		if (crm_outfile_open(&f->rejfile, o->rejects, e) == -1) {
			crm_filter_free(f);
			return NULL;
		}
		if ((f->rej = crm_writer_new(f->rejfile.fp, CRM_FMT_CSV)) ==
		    NULL) {
			crm_outfile_abort(&f->rejfile);
			goto nomem;
		}
	}
	crm_progress_init(&f->prog);
	if (ops->needs != NULL && ops->needs(arg, f) == -1)
		goto nomem;
	return f;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_filter_free(f);
	return NULL;
}

void
crm_filter_free(struct crm_filter *f)
{
	if (f == NULL)
		return;
	crm_writer_free(f->out);
	if (f->rej != NULL) {
		crm_writer_free(f->rej);
		crm_outfile_abort(&f->rejfile);
	}
	crm_rec_free(f->rec);
	crm_rec_free(f->rejrec);
	free(f->need);
	free(f);
}

int
crm_filter_need(
    struct crm_filter *f, const char *name, const char *opt, int flags)
{
	struct need *v;
	size_t i;

	for (i = 0; i < f->nneed; i++)
		if (strcmp(f->need[i].name, name) == 0) {
			f->need[i].flags |= flags;
			return 0;
		}
	if ((v = crm_reallocarray(f->need, f->nneed + 1, sizeof(*v))) == NULL)
		return -1;
	f->need = v;
	memset(&v[f->nneed], 0, sizeof(*v));
	v[f->nneed].name = name;
	v[f->nneed].opt = opt;
	v[f->nneed].flags = flags;
	f->nneed++;
	return 0;
}

void
crm_filter_add_read(struct crm_filter *f, unsigned long long n)
{
	f->read += n;
}

unsigned long long
crm_filter_refused(const struct crm_filter *f)
{
	return f->refused;
}

int
crm_filter_missing(const struct crm_filter *f, size_t i, const char **name,
    unsigned long long *n)
{
	size_t k;

	for (k = 0; k < f->nneed; k++) {
		if (f->need[k].missing == 0)
			continue;
		if (i-- == 0) {
			*name = f->need[k].name;
			*n = f->need[k].missing;
			return 1;
		}
	}
	return 0;
}

/* An input refused whole: nothing is done from it. */
static void
refuse(struct crm_filter *f)
{
	f->refused++;
	f->status = EX_NOINPUT;
}

/*
 * The header hdr of input name against the needed fields: each missing
 * one reported, with the near name.  0, or -1 when one is missing.
 */
static int
check_needs(struct crm_filter *f, const struct crm_rec *hdr, const char *name)
{
	char hint[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < f->nneed; i++) {
		if ((f->need[i].flags & CRM_NEED_RECORDS) ||
		    crm_rec_find(
			hdr, f->need[i].name, strlen(f->need[i].name)) >= 0)
			continue;
		crm_warnx("%s: header has no field '%s' (%s)%s", name,
		    f->need[i].name, f->need[i].opt,
		    crm_suggest_field_hint(
			hint, sizeof(hint), f->need[i].name, hdr));
		rc = -1;
	}
	return rc;
}

/*
 * A JSONL record r (line of input name) against the needed fields: the
 * first record's lack is reported once as a likely typo; a record
 * without a field every record needs is rejected (e filled, -1), on
 * stderr only when *quiet is 0.
 */
static int
record_needs(struct crm_filter *f, const struct crm_rec *r, const char *name,
    struct crm_err *e, int *quiet)
{
	char hint[256];
	size_t i;
	int first = f->first, rc = 0;

	f->first = 0;
	for (i = 0; i < f->nneed; i++) {
		struct need *n = &f->need[i];

		if (crm_rec_find(r, n->name, strlen(n->name)) >= 0 ||
		    ((n->flags & CRM_NEED_RECORDS) &&
			crm_rec_find_trimmed(r, n->name) >= 0))
			continue;
		if (first && !n->said) {
			n->said = 1;
			crm_warnx("%s:%lu: the first record has no field '%s' "
				  "(%s)%s",
			    name, crm_rec_line(r), n->name, n->opt,
			    crm_suggest_field_hint(
				hint, sizeof(hint), n->name, r));
		}
		if (!(n->flags & CRM_NEED_EVERY) || rc == -1)
			continue;
		n->missing++;
		e->file = name;
		e->line = crm_rec_line(r);
		crm_err_field(e, n->name, strlen(n->name));
		crm_err_set(
		    e, EX_DATAERR, "no field '%s' (%s)", n->name, n->opt);
		*quiet = 1; /* counted for the summary instead */
		rc = -1;
	}
	return rc;
}

int
crm_filter_status(const struct crm_filter *f)
{
	return f->status;
}

enum crm_format
crm_filter_format(const struct crm_filter *f)
{
	return f->fmt;
}

const char *
crm_filter_input(const struct crm_filter *f)
{
	return f->name;
}

int
crm_filter_emit(
    struct crm_filter *f, const struct crm_rec *r, struct crm_err *e)
{
	enum crm_format fmt = f->o.out_fmt != CRM_FMT_AUTO ? f->o.out_fmt
							   : f->fmt;

	/* A finish step may write when no input had a record. */
	if (f->out == NULL && fmt != CRM_FMT_AUTO &&
	    (f->out = new_output(f, fmt)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (f->out == NULL)
		return crm_err_set(e, EX_SOFTWARE, "no output to write to");
	if (crm_writer_put(f->out, r, e) == -1) {
		if (crm_writer_error(f->out) != 0) {
			output_failed(f);
			return -1;
		}
		if (e->code != EX_DATAERR)
			return -1;
		/* A field the CSV/TSV header has no column for. */
		if (e->file == NULL)
			e->file = f->name != NULL ? f->name : "-";
		if (e->line == 0)
			e->line = crm_rec_line(r);
		return reject(f, r, e, 0) != 0 ? -1 : 0;
	}
	f->written++;
	return 0;
}

int
crm_filter_reject(
    struct crm_filter *f, const struct crm_rec *r, struct crm_err *e)
{
	int rc;

	if ((rc = reject(f, r, e, 0)) != 0) {
		e->code = rc;
		return -1;
	}
	if (f->o.max_errors >= 0 &&
	    f->rejected > (unsigned long long)f->o.max_errors) {
		crm_err_set(e, EX_DATAERR,
		    "more than %ld rejected records, stopping",
		    f->o.max_errors);
		f->stopped = 1;
		e->file = NULL;
		e->line = 0;
		e->field[0] = '\0';
		return -1;
	}
	return 0;
}

const char *
crm_filter_partial(const struct crm_filter *f)
{
	if (f->rejected > 0)
		return "records were rejected";
	if (f->status != 0)
		return "an input was refused or could not be opened";
	return NULL;
}

void
crm_filter_counts(const struct crm_filter *f, unsigned long long *read,
    unsigned long long *written, unsigned long long *rejected)
{
	*read = f->read;
	*written = f->written;
	if (f->out != NULL)
		*written -= crm_writer_pending(f->out);
	*rejected = f->rejected;
}

/*
 * Send a bad record to the rejects file, or report it on stderr.  Returns
 * 0, or the exit status of a failure to write it (reported).
 */
static int
reject(struct crm_filter *f, const struct crm_rec *r, const struct crm_err *e,
    int quiet)
{
	struct crm_err we;
	const char *raw;
	size_t rawlen;
	char line[32];

	f->rejected++;
	if (f->rej == NULL) {
		if (!quiet)
			crm_report(e);
		return 0;
	}
	crm_err_clear(&we);
	raw = crm_rec_raw(r, &rawlen);
	snprintf(line, sizeof(line), "%lu", e->line);
	crm_rec_clear(f->rejrec);
	if (crm_rec_add(f->rejrec, "file", 4, e->file, strlen(e->file),
		CRM_STRING) == -1 ||
	    crm_rec_add(f->rejrec, "line", 4, line, strlen(line), CRM_STRING) ==
		-1 ||
	    crm_rec_add(f->rejrec, "field", 5, e->field, strlen(e->field),
		CRM_STRING) == -1 ||
	    crm_rec_add(f->rejrec, "reason", 6, e->msg, strlen(e->msg),
		CRM_STRING) == -1 ||
	    crm_rec_add(f->rejrec, "raw", 3, raw, rawlen, CRM_STRING) == -1) {
		crm_warnx("%s: out of memory", f->o.rejects);
		return EX_SOFTWARE;
	}
	if (crm_writer_put(f->rej, f->rejrec, &we) == -1) {
		crm_warnx("%s: %s", f->o.rejects, we.msg);
		return we.code != 0 ? we.code : EX_IOERR;
	}
	return 0;
}

/* The output header of a CSV/TSV input: its names, as the tool wants. */
static int
out_header(struct crm_filter *f, const struct crm_rec *hdr, struct crm_err *e)
{
	struct crm_rec *h;
	size_t i, len;
	const char *name;
	int rc = -1;

	if ((h = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < crm_rec_count(hdr); i++) {
		name = crm_rec_name(hdr, i, &len);
		if (crm_rec_add(h, name, len, "", 0, CRM_STRING) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
	}
	if (f->ops.out_header != NULL && f->ops.out_header(f->arg, h, e) == -1)
		goto out;
	rc = crm_writer_header(f->out, h, e);
out:
	crm_rec_free(h);
	return rc;
}

/* The writer of standard output in fmt, for a spreadsheet with --excel. */
static struct crm_writer *
new_output(struct crm_filter *f, enum crm_format fmt)
{
	struct crm_writer *w = crm_writer_new(stdout, fmt);

	if (w != NULL && f->o.excel)
		crm_writer_excel(w);
	return w;
}

/* The writer, in the format asked for or the reader's. */
static int
open_output(struct crm_filter *f, struct crm_reader *rd, struct crm_err *e)
{
	enum crm_format fmt =
	    f->o.out_fmt != CRM_FMT_AUTO ? f->o.out_fmt : crm_reader_format(rd);

	if ((f->out = new_output(f, fmt)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (crm_reader_header(rd) != NULL)
		return out_header(f, crm_reader_header(rd), e);
	return 0;
}

/*
 * Standard output failed: say so once, whoever finds it (a record, a
 * flush, the end), and write nothing more.  The input line is not named:
 * the failure is the output's, not the record's.
 */
static int
output_failed(struct crm_filter *f)
{
	if (!f->out_failed)
		crm_warnx("write error on standard output: %s",
		    strerror(crm_writer_error(f->out)));
	f->out_failed = 1;
	return EX_IOERR;
}

/* Flush standard output; 0, or EX_IOERR once reported. */
static int
flush_output(struct crm_filter *f)
{
	struct crm_err e;

	if (f->out == NULL)
		return 0;
	if (f->out_failed || crm_writer_flush(f->out, &e) == -1)
		return output_failed(f);
	return 0;
}

int
crm_filter_flush(struct crm_filter *f)
{
	return flush_output(f);
}

/* Input would block: pass on what is ready so the pipeline keeps moving. */
static void
on_wait(void *arg)
{
	struct crm_filter *f = arg;

	flush_output(f);
	if (f->ops.idle != NULL) {
		f->ops.idle(f->arg);
		flush_output(f); /* what the tool held and wrote */
	}
}

/*
 * One record read (rc 1) or badly read (rc -1, e filled) from input name:
 * through the tool's record step to the output, or to the rejects.
 * Returns 0 to go on, or the sysexits code that ends the run (reported).
 */
static int
one_record(struct crm_filter *f, int rc, struct crm_err *e, const char *name)
{
	int drop, tool, failed, quiet = 0;

	f->read++;
	crm_progress(&f->prog, f->read, "records");
	if (rc == -1 && e->code != EX_DATAERR)
		goto fatal;
	if (rc == 1 && f->nneed > 0 && f->checking && f->fmt == CRM_FMT_JSONL &&
	    record_needs(f, f->rec, name, e, &quiet) == -1)
		rc = -1;
	drop = f->o.no_output;
	if (rc == 1 && f->ops.record != NULL &&
	    (tool = f->ops.record(f->arg, f->rec, &drop, e)) < 0) {
		if (tool == CRM_FILTER_FATAL || e->code != EX_DATAERR)
			goto fatal;
		e->file = name;
		e->line = crm_rec_line(f->rec);
		rc = -1;
	}
	if (rc == 1 && !drop && !f->out_failed &&
	    crm_writer_put(f->out, f->rec, e) == -1) {
		if (crm_writer_error(f->out) != 0)
			return output_failed(f);
		if (e->code != EX_DATAERR)
			goto fatal;
		/* A field the CSV/TSV header has no column for. */
		e->file = name;
		e->line = crm_rec_line(f->rec);
		rc = -1;
	} else if (rc == 1 && !drop && f->out_failed) {
		return EX_IOERR;
	} else if (rc == 1 && !drop) {
		f->written++;
	}
	if (rc == -1) {
		if ((failed = reject(f, f->rec, e, quiet)) != 0)
			return failed;
		if (f->o.max_errors >= 0 &&
		    f->rejected > (unsigned long long)f->o.max_errors) {
			crm_warnx("%s: more than %ld rejected records, "
				  "stopping",
			    name, f->o.max_errors);
			f->stopped = 1;
			/* a tool that holds records writes them now */
			if (f->ops.idle != NULL)
				f->ops.idle(f->arg);
			return EX_DATAERR;
		}
	}
	return 0;
fatal:
	crm_report(e);
	return e->code != 0 ? e->code : EX_SOFTWARE;
}

/*
 * Filter one input.  Returns 0 when the run may go on (bad records and a
 * bad file included), or a sysexits code that ends the run.
 */
static int
one_input(struct crm_filter *f, FILE *fp, const char *name)
{
	struct crm_read_opts ro = { f->o.in_fmt, f->o.encoding, f->o.delim };
	struct crm_reader *rd;
	struct crm_err e;
	int rc, code = 0;

	crm_err_clear(&e);
	if ((rd = crm_reader_open_with(fp, name, &ro, &e)) == NULL) {
		crm_report(&e);
		if (e.code != EX_DATAERR && e.code != EX_NOINPUT)
			return e.code;
		refuse(f);
		return 0;
	}
	if (crm_reader_note(rd) != NULL)
		crm_warnx("%s: %s", name, crm_reader_note(rd));
	crm_reader_on_wait(rd, on_wait, f);
	f->fmt = crm_reader_format(rd);
	f->first = 1;
	f->checking = 1;
	f->name = name;
	if (crm_reader_header(rd) != NULL &&
	    check_needs(f, crm_reader_header(rd), name) == -1) {
		crm_reader_close(rd);
		refuse(f);
		return 0;
	}
	if (crm_reader_header(rd) != NULL && f->ops.check_header != NULL) {
		e.file = name;
		if (f->ops.check_header(f->arg, crm_reader_header(rd), &e) ==
		    -1) {
			e.line = 1;
			crm_report(&e);
			crm_reader_close(rd);
			if (e.code != EX_DATAERR && e.code != EX_NOINPUT)
				return e.code;
			refuse(f);
			return 0;
		}
	}
	/* The first input with a header or a record sets the output. */
	if (!f->o.no_output && f->out == NULL &&
	    crm_reader_header(rd) != NULL && open_output(f, rd, &e) == -1) {
		crm_report(&e);
		crm_reader_close(rd);
		return e.code;
	}
	while (code == 0 && (rc = crm_reader_next(rd, f->rec, &e)) != 0) {
		if (!f->o.no_output && f->out == NULL &&
		    open_output(f, rd, &e) == -1) {
			crm_report(&e);
			code = e.code;
			break;
		}
		f->fmt = crm_reader_format(rd);
		code = one_record(f, rc, &e, name);
	}
	crm_reader_close(rd);
	return code;
}

int
crm_filter_run_finish(struct crm_filter *f)
{
	struct crm_err e;

	if (f->ops.finish == NULL)
		return flush_output(f);
	crm_err_clear(&e);
	if (f->ops.finish(f->arg, f, &e) == -1) {
		if (f->out_failed)
			return EX_IOERR;
		crm_report(&e);
		return e.code != 0 ? e.code : EX_SOFTWARE;
	}
	return flush_output(f);
}

int
crm_filter_run_source(struct crm_filter *f, struct crm_source *src)
{
	struct crm_err e;
	enum crm_format fmt;
	int rc, code = 0;

	crm_err_clear(&e);
	f->fmt = src->fmt;
	f->checking = 0; /* the source's fields are the tool's own */
	f->name = src->name;
	fmt = f->o.out_fmt != CRM_FMT_AUTO ? f->o.out_fmt : src->fmt;
	if (!f->o.no_output && f->out == NULL &&
	    (f->out = new_output(f, fmt)) == NULL) {
		crm_err_set(&e, EX_SOFTWARE, "out of memory");
		crm_report(&e);
		code = EX_SOFTWARE;
	}
	while (code == 0 && (rc = src->next(src->arg, f->rec, &e)) != 0) {
		if (rc == -1 && e.file == NULL)
			e.file = src->name;
		code = one_record(f, rc, &e, src->name);
	}
	if (src->close != NULL)
		src->close(src->arg);
	crm_progress_end(&f->prog);
	if (code != 0) {
		flush_output(f);
		return code;
	}
	return crm_filter_run_finish(f);
}

int
crm_filter_run(struct crm_filter *f, int n, char **files)
{
	FILE *fp;
	int i, rc = 0;

	if (n == 0)
		rc = one_input(f, stdin, "-");
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(files[i], "-") == 0) {
			fp = stdin;
		} else if ((fp = fopen(files[i], "r")) == NULL) {
			crm_warnx(
			    "cannot open '%s': %s", files[i], strerror(errno));
			refuse(f);
			continue;
		}
		rc = one_input(f, fp, files[i]);
		if (fp != stdin)
			fclose(fp);
	}
	crm_progress_end(&f->prog);
	if (rc != 0) {
		flush_output(f);
		return rc;
	}
	return crm_filter_run_finish(f);
}

int
crm_filter_run_file(struct crm_filter *f, FILE *fp, const char *name)
{
	int rc = one_input(f, fp, name);

	crm_progress_end(&f->prog);
	return rc;
}

int
crm_filter_finish(struct crm_filter *f, int rc)
{
	struct crm_err e;
	int said;

	if (flush_output(f) != 0)
		rc = EX_IOERR;
	if (rc == 0)
		rc = f->status;
	/*
	 * Records read and none accepted: nothing was done, whether the
	 * inputs ran out or --max-errors stopped the run.
	 */
	if ((rc == 0 || (rc == EX_DATAERR && f->stopped)) && f->read > 0 &&
	    f->rejected == f->read)
		rc = EX_NOINPUT;
	if (rc == 0 && f->rejected > 0)
		rc = EX_DATAERR;
	if (f->rej != NULL) {
		/* A failure while rejecting was said then; say it once. */
		said = crm_writer_error(f->rej) != 0;
		if (crm_writer_flush(f->rej, &e) == -1) {
			if (!said)
				crm_warnx("%s: %s", f->o.rejects, e.msg);
			crm_outfile_abort(&f->rejfile);
			rc = EX_IOERR;
		} else if (crm_outfile_commit(&f->rejfile, &e) == -1) {
			crm_warnx("%s", e.msg);
			rc = EX_IOERR;
		}
		/* its file is closed: a second finish writes no more */
		crm_writer_free(f->rej);
		f->rej = NULL;
	}
	return rc;
}

int
crm_filter_output_failed(const struct crm_filter *f)
{
	return f->out_failed;
}

int
crm_filter_abandon(struct crm_filter *f, int rc)
{
	crm_writer_free(f->out);
	f->out = NULL;
	return crm_filter_finish(f, rc);
}
