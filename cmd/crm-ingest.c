/*
 * crm-ingest: validate, normalize and load customer records (CSV, TSV or
 * JSONL) into the crmkit store, and pass the clean records on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "load.h"
#include "rec.h"
#include "schema.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-ingest [-q] [--batch N] [--busy-timeout MS] [--date-order "
    "dmy|mdy]\n"
    "                  [--db FILE] [--input-format csv|tsv|jsonl] [--key "
    "FIELD]\n"
    "                  [--kind KIND] [--map STORE_FIELD=INPUT_FIELD]\n"
    "                  [--max-errors N] [--output-format csv|tsv|jsonl]\n"
    "                  [--region CC] [--rejects FILE] [--type FIELD=TYPE]\n"
    "                  [--verbose] [file ...]\n";

static const char help[] =
    "Validate and normalize records, load them into the store, and write\n"
    "the clean records to standard output.\n"
    "\n"
    "  --batch N              records per store transaction (10000)\n"
    "  --busy-timeout MS      wait this long for other writers (60000)\n"
    "  --date-order dmy|mdy   how to read NN/NN/YYYY dates (default: only\n"
    "                         when unambiguous)\n"
    "  --db FILE              the store (default: $CRM_DB; none: only\n"
    "                         validate and normalize)\n"
    "  --input-format FMT     csv, tsv or jsonl (default: from the first "
    "byte)\n"
    "  --key FIELD            key field of a generic kind (default: a hash\n"
    "                         of the whole record)\n"
    "  --kind KIND            customers (default), events, or a table name\n"
    "  --map STORE=INPUT      read store field STORE from input field INPUT\n"
    "  --max-errors N         stop after N rejected records (default: no "
    "limit)\n"
    "  --output-format FMT    csv, tsv or jsonl (default: the input's)\n"
    "  -q, --quiet            no summary line\n"
    "  --region CC            phone region for numbers without a country\n"
    "                         code (CN)\n"
    "  --rejects FILE         write rejected records there as CSV: file,\n"
    "                         line, field, reason, raw\n"
    "  --type FIELD=TYPE      normalize FIELD as text, id, email, phone, "
    "date,\n"
    "                         number or raw\n"
    "  --verbose              SQLite's own log on stderr\n"
    "  -h, --help             this help\n"
    "  --version              version of crm-ingest and its libraries\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 records rejected, 66 missing input,\n"
    "69 store schema too new, 70 internal error, 73 cannot create the store\n"
    "or rejects file, 74 I/O error, 75 store busy.  See crm-ingest(1).\n";

enum {
	OPT_BATCH = 256,
	OPT_BUSY,
	OPT_DATE_ORDER,
	OPT_DB,
	OPT_INPUT_FORMAT,
	OPT_KEY,
	OPT_KIND,
	OPT_MAP,
	OPT_MAX_ERRORS,
	OPT_OUTPUT_FORMAT,
	OPT_REGION,
	OPT_REJECTS,
	OPT_TYPE,
	OPT_VERBOSE,
	OPT_VERSION
};

static const struct option longopts[] = {
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "busy-timeout", required_argument, NULL, OPT_BUSY },
	{ "date-order", required_argument, NULL, OPT_DATE_ORDER },
	{ "db", required_argument, NULL, OPT_DB },
	{ "help", no_argument, NULL, 'h' },
	{ "input-format", required_argument, NULL, OPT_INPUT_FORMAT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
	{ "output-format", required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	long batch;
	long busy_ms;
	const char *db;
	enum crm_format in_fmt;
	enum crm_format out_fmt;
	long max_errors; /* -1: no limit */
	int quiet;
	const char *rejects;
};

/* The state of one run over all inputs. */
struct run {
	struct opts *o;
	struct crm_schema *sc;
	struct crm_store *st;
	struct crm_loader *ld;
	struct crm_writer *out;
	struct crm_writer *rej;
	FILE *rejfp;
	struct crm_rec *rec, *rejrec;
	struct crm_progress prog;
	unsigned long long read, written, inserted, updated, unchanged,
	    rejected;
	int status;	/* worst per-file status so far */
	int out_failed; /* a flush of standard output failed */
};

static enum crm_format
parse_format(const char *s)
{
	if (strcmp(s, "csv") == 0)
		return CRM_FMT_CSV;
	if (strcmp(s, "tsv") == 0)
		return CRM_FMT_TSV;
	if (strcmp(s, "jsonl") == 0)
		return CRM_FMT_JSONL;
	crm_usage_error(synopsis, "unknown format '%s' (csv, tsv or jsonl)", s);
}

/* Split "A=B" in place; usage error when there is no '='. */
static char *
split_eq(char *arg, const char *opt)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0')
		crm_usage_error(
		    synopsis, "bad %s '%s': want NAME=VALUE", opt, arg);
	*eq = '\0';
	return eq + 1;
}

static void
usage_check(int rc, struct crm_err *e)
{
	if (rc == -1) {
		if (e->code == EX_USAGE)
			crm_usage_error(synopsis, "%s", e->msg);
		crm_die(e->code, "%s", e->msg);
	}
}

/* Send a bad record to --rejects, or report it on stderr. */
static int
reject(struct run *run, const struct crm_rec *r, const struct crm_err *e)
{
	struct crm_err we;
	const char *raw;
	size_t rawlen;
	char line[32];

	run->rejected++;
	if (run->rej == NULL) {
		crm_report(e);
		return 0;
	}
	crm_err_clear(&we);
	raw = crm_rec_raw(r, &rawlen);
	snprintf(line, sizeof(line), "%lu", e->line);
	crm_rec_clear(run->rejrec);
	if (crm_rec_add(run->rejrec, "file", 4, e->file, strlen(e->file),
		CRM_STRING) == -1 ||
	    crm_rec_add(
		run->rejrec, "line", 4, line, strlen(line), CRM_STRING) == -1 ||
	    crm_rec_add(run->rejrec, "field", 5, e->field, strlen(e->field),
		CRM_STRING) == -1 ||
	    crm_rec_add(run->rejrec, "reason", 6, e->msg, strlen(e->msg),
		CRM_STRING) == -1 ||
	    crm_rec_add(run->rejrec, "raw", 3, raw, rawlen, CRM_STRING) == -1)
		crm_die(EX_SOFTWARE, "out of memory");
	if (crm_writer_put(run->rej, run->rejrec, &we) == -1) {
		crm_warnx("%s: %s", run->o->rejects, we.msg);
		return -1;
	}
	return 0;
}

/* The output header of a CSV/TSV input: its names, normalized. */
static int
out_header(struct run *run, const struct crm_rec *hdr, struct crm_err *e)
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
	/* Values are empty, so this renames and changes nothing else. */
	if (crm_schema_apply(run->sc, h, e) == -1 && e->code != EX_DATAERR)
		goto out;
	rc = crm_writer_header(run->out, h, e);
out:
	crm_rec_free(h);
	return rc;
}

/* The writer, in the format asked for or the reader's. */
static int
open_output(struct run *run, struct crm_reader *rd, struct crm_err *e)
{
	enum crm_format f = run->o->out_fmt != CRM_FMT_AUTO
				? run->o->out_fmt
				: crm_reader_format(rd);

	if ((run->out = crm_writer_new(stdout, f)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	if (crm_reader_header(rd) != NULL)
		return out_header(run, crm_reader_header(rd), e);
	return 0;
}

/* Input would block: pass on what is ready so the pipeline keeps moving. */
static void
flush_output(void *arg)
{
	struct run *run = arg;
	struct crm_err e;

	if (run->out != NULL && crm_writer_flush(run->out, &e) == -1)
		run->out_failed = 1;
}

/* Too many rejects?  Then stop the run. */
static int
over_limit(struct run *run)
{
	return run->o->max_errors >= 0 &&
	       run->rejected > (unsigned long long)run->o->max_errors;
}

/*
 * Ingest one input.  Returns 0 when the run may go on (bad records and a
 * bad file included), or a sysexits code that ends the run.
 */
static int
ingest(struct run *run, FILE *fp, const char *name)
{
	struct crm_reader *rd;
	struct crm_err e;
	int rc;

	if ((rd = crm_reader_open(fp, name, run->o->in_fmt, &e)) == NULL) {
		crm_report(&e);
		if (e.code != EX_DATAERR)
			return e.code;
		run->status = EX_DATAERR;
		return 0;
	}
	crm_reader_on_wait(rd, flush_output, run);
	if (crm_reader_header(rd) != NULL) {
		e.file = name;
		if (crm_schema_check_header(
			run->sc, crm_reader_header(rd), &e) == -1) {
			e.line = 1;
			crm_report(&e);
			crm_reader_close(rd);
			if (e.code != EX_DATAERR)
				return e.code;
			run->status = EX_DATAERR;
			return 0;
		}
	}
	/* The first input with a header or a record sets the output. */
	if (run->out == NULL && crm_reader_header(rd) != NULL &&
	    open_output(run, rd, &e) == -1) {
		crm_report(&e);
		crm_reader_close(rd);
		return e.code;
	}
	for (;;) {
		rc = crm_reader_next(rd, run->rec, &e);
		if (rc == 0)
			break;
		if (run->out == NULL && open_output(run, rd, &e) == -1)
			goto fatal;
		run->read++;
		crm_progress(&run->prog, run->read, "records");
		if (rc == -1 && e.code != EX_DATAERR)
			goto fatal;
		if (rc == 1 && crm_schema_apply(run->sc, run->rec, &e) == -1) {
			if (e.code != EX_DATAERR)
				goto fatal;
			e.line = crm_rec_line(run->rec);
			rc = -1;
		}
		if (rc == 1 && run->ld != NULL &&
		    crm_loader_add(run->ld, run->rec, &e) == -1)
			goto fatal;
		if (rc == -1) {
			if (reject(run, run->rec, &e) == -1) {
				e.code = EX_IOERR;
				goto fatal_quiet;
			}
			if (over_limit(run)) {
				crm_warnx("%s: more than %ld rejected records, "
					  "stopping",
				    name, run->o->max_errors);
				crm_reader_close(rd);
				return EX_DATAERR;
			}
			continue;
		}
		if (run->out_failed) {
			crm_err_set(
			    &e, EX_IOERR, "write error on standard output");
			goto fatal;
		}
		if (crm_writer_put(run->out, run->rec, &e) == -1) {
			e.line = crm_rec_line(run->rec);
			goto fatal;
		}
		run->written++;
	}
	crm_reader_close(rd);
	return 0;
fatal:
	crm_report(&e);
fatal_quiet:
	crm_reader_close(rd);
	return e.code != 0 ? e.code : EX_SOFTWARE;
}

static void
summary(struct run *run)
{
	crm_progress_end(&run->prog);
	if (run->o->quiet)
		return;
	if (run->ld != NULL)
		crm_warnx("read %llu, inserted %llu, updated %llu, unchanged "
			  "%llu, rejected %llu",
		    run->read, run->inserted, run->updated, run->unchanged,
		    run->rejected);
	else
		crm_warnx("read %llu, written %llu, rejected %llu", run->read,
		    run->written, run->rejected);
}

static void
parse_opts(int argc, char **argv, struct opts *o, struct crm_schema **sc)
{
	const char *kind = "customers", *key = NULL, *region = NULL;
	enum crm_date_order order = CRM_DATE_STRICT;
	struct crm_err e;
	char **maps, **types;
	int nmaps = 0, ntypes = 0, c, i;

	/* --map and --type are applied once the kind is known. */
	maps = calloc((size_t)argc, sizeof(*maps));
	types = calloc((size_t)argc, sizeof(*types));
	if (maps == NULL || types == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BATCH:
			if (crm_parse_long(optarg, 1, 10000000, &o->batch) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --batch '%s': want 1 to 10000000",
				    optarg);
			break;
		case OPT_BUSY:
			if (crm_parse_long(optarg, 1, 86400000, &o->busy_ms) ==
			    -1)
				crm_usage_error(synopsis,
				    "bad --busy-timeout '%s': want 1 to "
				    "86400000 ms",
				    optarg);
			break;
		case OPT_DATE_ORDER:
			if (strcmp(optarg, "dmy") == 0)
				order = CRM_DATE_DMY;
			else if (strcmp(optarg, "mdy") == 0)
				order = CRM_DATE_MDY;
			else
				crm_usage_error(synopsis,
				    "bad --date-order '%s': want dmy or mdy",
				    optarg);
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case 'h':
			printf("%s\n%s", synopsis, help);
			exit(crm_close_stdout());
		case OPT_INPUT_FORMAT:
			o->in_fmt = parse_format(optarg);
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_KIND:
			kind = optarg;
			break;
		case OPT_MAP:
			maps[nmaps++] = optarg;
			break;
		case OPT_MAX_ERRORS:
			if (crm_parse_long(
				optarg, 0, 1000000000, &o->max_errors) == -1)
				crm_usage_error(synopsis,
				    "bad --max-errors '%s': want a number >= 0",
				    optarg);
			break;
		case OPT_OUTPUT_FORMAT:
			o->out_fmt = parse_format(optarg);
			break;
		case 'q':
			o->quiet = 1;
			break;
		case OPT_REGION:
			region = optarg;
			break;
		case OPT_REJECTS:
			o->rejects = optarg;
			break;
		case OPT_TYPE:
			types[ntypes++] = optarg;
			break;
		case OPT_VERBOSE:
			crm_store_log_to_stderr();
			break;
		case OPT_VERSION:
			crm_print_version();
			exit(crm_close_stdout());
		default:
			crm_bad_option(synopsis, c, argv);
		}
	}
	crm_err_clear(&e);
	if ((*sc = crm_schema_new(kind, &e)) == NULL)
		usage_check(-1, &e);
	for (i = 0; i < nmaps; i++) {
		char *from = split_eq(maps[i], "--map");

		usage_check(crm_schema_map(*sc, maps[i], from, &e), &e);
	}
	for (i = 0; i < ntypes; i++) {
		char *type = split_eq(types[i], "--type");

		usage_check(crm_schema_set_type(*sc, types[i], type, &e), &e);
	}
	if (key != NULL)
		usage_check(crm_schema_set_key(*sc, key, &e), &e);
	if (region != NULL)
		usage_check(crm_schema_set_region(*sc, region, &e), &e);
	crm_schema_set_date_order(*sc, order);
	free(maps);
	free(types);
	if (o->db == NULL && (o->db = getenv("CRM_DB")) != NULL &&
	    *o->db == '\0')
		o->db = NULL;
}

static int
run_inputs(struct run *run, int argc, char **argv)
{
	FILE *fp;
	int i, rc;

	if (argc == 0)
		return ingest(run, stdin, "-");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			fp = stdin;
		} else if ((fp = fopen(argv[i], "r")) == NULL) {
			crm_warnx(
			    "cannot open '%s': %s", argv[i], strerror(errno));
			if (run->status == 0)
				run->status = EX_NOINPUT;
			continue;
		}
		rc = ingest(run, fp, argv[i]);
		if (fp != stdin)
			fclose(fp);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 10000, 0, NULL, CRM_FMT_AUTO, CRM_FMT_AUTO, -1, 0,
		NULL };
	struct run run;
	struct crm_err e;
	int rc;

	crm_cli_init("crm-ingest");
	memset(&run, 0, sizeof(run));
	parse_opts(argc, argv, &o, &run.sc);
	argc -= optind;
	argv += optind;
	run.o = &o;
	crm_err_clear(&e);
	if ((run.rec = crm_rec_new()) == NULL ||
	    (run.rejrec = crm_rec_new()) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	if (o.rejects != NULL) {
		if ((run.rejfp = fopen(o.rejects, "w")) == NULL)
			crm_die(EX_CANTCREAT, "cannot create '%s': %s",
			    o.rejects, strerror(errno));
		if ((run.rej = crm_writer_new(run.rejfp, CRM_FMT_CSV)) == NULL)
			crm_die(EX_SOFTWARE, "out of memory");
	}
	if (o.db != NULL) {
		if ((run.st = crm_store_open(o.db, (int)o.busy_ms, &e)) == NULL)
			crm_die(e.code, "%s", e.msg);
		if ((run.ld = crm_loader_new(run.st, run.sc, &e)) == NULL ||
		    crm_loader_start(run.ld, (size_t)o.batch, &e) == -1)
			crm_die(e.code, "%s", e.msg);
	}
	crm_progress_init(&run.prog);

	rc = run_inputs(&run, argc, argv);
	/* Whatever was read and accepted is stored, even after an error. */
	if (run.ld != NULL) {
		/* A store error that ended the run was reported already. */
		if (crm_loader_finish(run.ld, &e) == -1 &&
		    (rc == 0 || rc == EX_DATAERR)) {
			crm_report(&e);
			rc = e.code;
		}
		crm_loader_counts(
		    run.ld, &run.inserted, &run.updated, &run.unchanged);
	}
	summary(&run);
	if (run.out != NULL && crm_writer_flush(run.out, &e) == -1) {
		crm_warnx("standard output: %s", e.msg);
		rc = EX_IOERR;
	}
	if (run.rej != NULL && crm_writer_flush(run.rej, &e) == -1) {
		crm_warnx("%s: %s", o.rejects, e.msg);
		rc = EX_IOERR;
	}

	if (rc == 0)
		rc = run.status;
	if (rc == 0 && run.rejected > 0)
		rc = EX_DATAERR;
	if (run.rejfp != NULL &&
	    (fflush(run.rejfp) == EOF || ferror(run.rejfp) ||
		fclose(run.rejfp) == EOF)) {
		crm_warnx("write error on '%s'", o.rejects);
		rc = EX_IOERR;
	}
	crm_writer_free(run.out);
	crm_writer_free(run.rej);
	crm_rec_free(run.rec);
	crm_rec_free(run.rejrec);
	crm_loader_free(run.ld);
	crm_store_close(run.st);
	crm_schema_free(run.sc);
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
}
