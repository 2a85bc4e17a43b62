/*
 * cli: diagnostics, option numbers, --version, the stdout check, the
 * progress line and the wiring of main for every crmkit binary (see
 * cli.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "armmodel.h"
#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "clusters.h"
#include "filter.h"
#include "outfile.h"
#include "store.h"
#include "suggest.h"

static const char *progname = "crm";

/* The shared options of the run, once crm_getopt() is done. */
static const struct crm_common *common;

/* The summary of the run (crm_cli_summary), kept for --stats. */
#define SUM_MAX 32
static struct {
	struct {
		char name[64];
		unsigned long long n;
	} own[SUM_MAX], missing[SUM_MAX];
	size_t nown, nmissing;
	unsigned long long read, written, rejected, refused, used;
	unsigned long long unused; /* read, not rejected, yet not used */
	int no_output;
	int done; /* counts taken from the filter */
} sum;

/*
 * The --stats file once the options are parsed (and checked: it is no
 * input nor the store), the filter of the run while one is open (its
 * counts so far), and whether the file was written: every exit after
 * the options writes it once, with the status the process exits with.
 */
static const char *stats_path;
static const struct crm_filter *run_filter;
static int stats_written;

static int write_stats(int rc);
static void exit_stats(int code) __attribute__((noreturn));
static void take_counts(const struct crm_filter *f);

static void usage_tail(const char *) __attribute__((noreturn));
static void progress_clear(void);

void
crm_cli_init(const char *name)
{
	progname = name;
	setlocale(LC_ALL, "");
	/*
	 * The reader's character set and collation, but numbers always as
	 * C writes and reads them: JSON, CSV and the store hold "0.75", which
	 * a decimal-comma locale would write as "0,75" and read as 0.
	 */
	setlocale(LC_NUMERIC, "C");
	/*
	 * A file past the size limit (ulimit -f) is a write error to report,
	 * with the temporary removed and the old file kept, not a kill that
	 * leaves a temporary behind.
	 */
	signal(SIGXFSZ, SIG_IGN);
#ifdef __GLIBC__
	/*
	 * SQLite frees a statement's sorter and temporary buffers at every
	 * reset, and the per-record statements of the tools run once a
	 * customer: past glibc's 128 KiB trim threshold the top of the heap
	 * is given back and taken again for every customer, brk and page
	 * faults many times the work (crm-tag --rfm over 23,570 customers:
	 * 14.4 s of CPU and 476,930 page faults, 0.93 s and 9,424 with
	 * this).  A megabyte kept is nothing beside that.
	 */
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
#endif
}

const char *
crm_cli_name(void)
{
	return progname;
}

void
crm_die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	progress_clear();
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit_stats(code);
}

void
crm_warnx(const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
crm_report(const struct crm_err *e)
{
	char msg[2048];

	crm_err_format(e, msg, sizeof(msg));
	progress_clear();
	fprintf(stderr, "%s: %s\n", progname, msg);
}

static void
usage_tail(const char *synopsis)
{
	fprintf(stderr, "%s", synopsis);
	fprintf(stderr, "try '%s --help' for more information\n", progname);
	exit_stats(EX_USAGE);
}

void
crm_usage_error(const char *synopsis, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage_tail(synopsis);
}

void
crm_bad_option(const char *synopsis, int c, char *const *argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		fprintf(
		    stderr, "%s: option '%s' needs a value\n", progname, arg);
	else if (optopt != 0 && (arg[0] != '-' || arg[1] != '-'))
		fprintf(stderr, "%s: unknown option '-%c'\n", progname, optopt);
	else
		fprintf(stderr, "%s: unknown option '%s'\n", progname, arg);
	usage_tail(synopsis);
}

void
crm_print_version(void)
{
	printf("%s (crmkit) %s\n", progname, CRM_VERSION);
	printf("SQLite %s, utf8proc %s\n", sqlite3_libversion(),
	    utf8proc_version());
}

int
crm_close_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		crm_warnx(
		    "write error on standard output: %s", strerror(errno));
		fclose(stdout);
		return EX_IOERR;
	}
	if (fclose(stdout) == EOF) {
		crm_warnx(
		    "write error on standard output: %s", strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int progress_off;	   /* -q */
static long long progress_ms = -1; /* a phase this long gets a line */
static int progress_shown;	   /* a progress line is on the terminal */

void
crm_progress_quiet(void)
{
	progress_off = 1;
}

/*
 * The progress line, if one is shown, cleared for a message (its next
 * step writes it again).
 */
static void
progress_clear(void)
{
	if (progress_shown) {
		fprintf(stderr, "\r\033[K");
		progress_shown = 0;
	}
}

void
crm_progress_init(struct crm_progress *p)
{
	const char *v;
	long ms;

	if (progress_ms < 0) {
		v = getenv("CRM_PROGRESS_MS");
		progress_ms = v != NULL &&
				      crm_parse_long(v, 0, 86400000L, &ms) == 0
				  ? ms
				  : 1000;
	}
	memset(p, 0, sizeof(*p));
	p->on = !progress_off && isatty(STDERR_FILENO);
	p->start_ms = p->last_ms = p->on ? now_ms() : 0;
}

void
crm_progress_step(struct crm_progress *p, const char *phase, const char *unit,
    unsigned long long done, unsigned long long total)
{
	long long t, every = progress_ms < 500 ? progress_ms : 500;
	double secs;
	char rate[48] = "";

	if (!p->on)
		return;
	t = now_ms();
	if (strncmp(p->phase, phase, sizeof(p->phase) - 1) != 0 ||
	    done < p->last_done) {
		/* a new phase: its own second before it shows, its own rate */
		snprintf(p->phase, sizeof(p->phase), "%s", phase);
		p->start_ms = t;
	}
	p->last_done = done;
	if (t - p->start_ms < progress_ms && !p->shown)
		return;
	if (t - p->last_ms < every && p->shown)
		return;
	p->last_ms = t;
	if ((secs = (double)(t - p->start_ms) / 1000) > 0)
		snprintf(rate, sizeof(rate),
		    (double)done / secs >= 100 ? ", %.0f/s" : ", %.1f/s",
		    (double)done / secs);
	if (total > 0)
		fprintf(stderr, "\r%s: %s: %llu/%llu %s%s\033[K", progname,
		    p->phase, done, total, unit, rate);
	else
		fprintf(stderr, "\r%s: %s: %llu %s%s\033[K", progname, p->phase,
		    done, unit, rate);
	fflush(stderr);
	p->shown = progress_shown = 1;
}

void
crm_progress(struct crm_progress *p, unsigned long long n, const char *what)
{
	/* the clock once in 1024 records, unless every step is to show */
	if (!p->on || (progress_ms > 0 && (n & 1023) != 0))
		return;
	crm_progress_step(p, "reading", what, n, 0);
}

static void
progress_fn(void *arg, const char *phase, const char *unit,
    unsigned long long done, unsigned long long total)
{
	crm_progress_step(arg, phase, unit, done, total);
}

struct crm_progress_cb
crm_progress_cb(struct crm_progress *p)
{
	struct crm_progress_cb cb = { progress_fn, p };

	return cb;
}

void
crm_progress_end(struct crm_progress *p)
{
	if (p->on && p->shown) {
		progress_clear();
		fflush(stderr);
	}
	p->shown = 0;
}

enum crm_format
crm_parse_format(const char *synopsis, const char *s)
{
	if (strcmp(s, "csv") == 0)
		return CRM_FMT_CSV;
	if (strcmp(s, "tsv") == 0)
		return CRM_FMT_TSV;
	if (strcmp(s, "jsonl") == 0)
		return CRM_FMT_JSONL;
	crm_usage_error(synopsis, "unknown format '%s' (csv, tsv or jsonl)", s);
}

int
crm_parse_by(const char *synopsis, const char *s)
{
	int by = crm_by_parse(s);

	if (by < 0)
		crm_usage_error(
		    synopsis, "bad --by '%s': want person or record", s);
	return by;
}

void
crm_cli_arm_opt(const char *synopsis, struct crm_armmodel_opts *o,
    const char ***specs, int holdout, const char *arg)
{
	if (!holdout) {
		if (crm_armmodel_opt_spec(o, specs, arg) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
	} else if (crm_armmodel_opt_holdout(o, arg) == -1)
		crm_usage_error(
		    synopsis, "bad --holdout '%s': want 0 to 0.99", arg);
}

void
crm_opt_push(const char ***list, size_t *n, const char *arg)
{
	const char **p = crm_reallocarray(*list, *n + 1, sizeof(*p));

	if (p == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	p[(*n)++] = arg;
	*list = p;
}

const char *
crm_db_path(const char *db)
{
	if (db == NULL && (db = getenv("CRM_DB")) != NULL && *db == '\0')
		db = NULL;
	return db;
}

long
crm_opt_long(
    const char *synopsis, const char *opt, const char *arg, long min, long max)
{
	long v;

	if (crm_parse_long(arg, min, max, &v) == -1)
		crm_usage_error(synopsis, "bad %s '%s': want %ld to %ld", opt,
		    arg, min, max);
	return v;
}

double
crm_opt_double(const char *synopsis, const char *opt, const char *arg,
    double min, double max, const char *want)
{
	double v;

	if (crm_parse_double(arg, min, max, &v) == -1) {
		if (want != NULL)
			crm_usage_error(
			    synopsis, "bad %s '%s': want %s", opt, arg, want);
		crm_usage_error(
		    synopsis, "bad %s '%s': want %g to %g", opt, arg, min, max);
	}
	return v;
}

/* The alias of each verb that has one: the other tools' word for it. */
static const char *const verb_alias[][2] = { { "fit", "train" } };

/* The index of verb v in verbs, or -1. */
static int
verb_index(const char *const *verbs, const char *v)
{
	int i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(verbs[i], v) == 0)
			return i;
	return -1;
}

/*
 * Whether a first operand that is no verb was meant as one: a word (no
 * '/' or '.', not an option or "-") naming no file.
 */
static int
word_not_file(const char *a)
{
	struct stat st;

	if (*a == '\0' || *a == '-' || strpbrk(a, "/.") != NULL)
		return 0;
	return stat(a, &st) == -1 && errno == ENOENT;
}

int
crm_cli_verb(int *argc, char **argv, const char *const *verbs, const char *dflt,
    const char *synopsis)
{
	const char *cand[16], *alias_of[8];
	char hint[64], list[256];
	size_t a, n, nv, off = 0;
	long near;
	int i, v;

	if (*argc < 2)
		return 0;
	v = verb_index(verbs, argv[1]);
	for (a = 0; v < 0 && a < sizeof(verb_alias) / sizeof(verb_alias[0]);
	     a++)
		if (strcmp(argv[1], verb_alias[a][0]) == 0)
			v = verb_index(verbs, verb_alias[a][1]);
	if (v < 0) {
		if (!word_not_file(argv[1]))
			return 0;
		for (n = 0; verbs[n] != NULL && n < 8; n++) {
			cand[n] = verbs[n];
			off += (size_t)snprintf(list + off,
			    off < sizeof(list) ? sizeof(list) - off : 0, "%s%s",
			    n > 0 ? ", " : "", verbs[n]);
		}
		nv = n;
		/* an alias is suggested as the verb it stands for */
		for (a = 0; a < sizeof(verb_alias) / sizeof(verb_alias[0]); a++)
			if (verb_index(verbs, verb_alias[a][1]) >= 0) {
				alias_of[n - nv] = verb_alias[a][1];
				cand[n++] = verb_alias[a][0];
			}
		near = crm_suggest(argv[1], strlen(argv[1]), cand, NULL, n);
		if (near >= (long)nv)
			near = verb_index(verbs, alias_of[near - (long)nv]);
		if (near >= 0)
			crm_usage_error(synopsis, "no verb or file '%s'%s",
			    argv[1],
			    crm_suggest_hint(hint, sizeof(hint), near,
				verbs[near], strlen(verbs[near])));
		crm_usage_error(synopsis,
		    "no verb or file '%s' (verbs: %s; %s)", argv[1], list,
		    dflt);
	}
	for (i = 1; i < *argc; i++) /* argv[*argc] is NULL and moves too */
		argv[i] = argv[i + 1];
	(*argc)--;
	return v + 1;
}

/*
 * Whether paths a and b name one file: the same device and inode, or,
 * when one does not exist yet, the same name in the same directory.
 */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	const char *na, *nb;
	char *da, *db;
	int same = 0;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	na = strrchr(a, '/') != NULL ? strrchr(a, '/') + 1 : a;
	nb = strrchr(b, '/') != NULL ? strrchr(b, '/') + 1 : b;
	if (strcmp(na, nb) != 0)
		return 0;
	da = na > a ? strndup(a, (size_t)(na - a)) : strdup(".");
	db = nb > b ? strndup(b, (size_t)(nb - b)) : strdup(".");
	if (da != NULL && db != NULL && stat(da, &sa) == 0 &&
	    stat(db, &sb) == 0)
		same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	free(da);
	free(db);
	return same;
}

void
crm_cli_check_output(const char *syn, const struct crm_common *c,
    const char *opt, const char *path, int argc, char **argv)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal" };
	char store[4096];
	size_t i;
	int k;

	if (path == NULL)
		return;
	for (i = 0; c->db != NULL && i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(store, sizeof(store), "%s%s", c->db, side[i]);
		if (same_file(path, store))
			crm_usage_error(syn, "%s '%s' is the store's %s", opt,
			    path, i == 0 ? "file" : side[i] + 1);
	}
	for (k = optind; k < argc; k++)
		if (strcmp(argv[k], "-") != 0 && same_file(path, argv[k]))
			crm_usage_error(syn, "%s '%s' is an input, '%s'", opt,
			    path, argv[k]);
}

void
crm_print_help(const struct crm_cmd *cmd)
{
	struct crm_buf b;

	crm_buf_init(&b);
	if (crm_opt_help(cmd, &b) == -1)
		crm_die(EX_SOFTWARE, "out of memory");
	fwrite(b.p, 1, b.len, stdout);
	crm_buf_release(&b);
}

int
crm_getopt(const struct crm_cmd *cmd, struct crm_common *c, int argc,
    char **argv, const char **arg)
{
	static struct option *lo;
	static char *so;
	const char *syn = cmd->synopsis;
	const struct crm_optdef *d;
	const char *why;
	char msg[256];
	int k;

	if (lo == NULL) {
		if (crm_opt_getopt(cmd, &lo, &so) == -1)
			crm_die(EX_SOFTWARE, "out of memory");
		opterr = 0;
	}
	for (;;) {
		*arg = NULL;
		switch (k = getopt_long(argc, argv, so, lo, NULL)) {
		case -1:
			if (c->fo.in_fmt == CRM_FMT_TSV && c->fo.delim > 0 &&
			    c->fo.delim != '\t')
				crm_usage_error(syn, "--delimiter is a tab for "
						     "TSV; use "
						     "--input-format csv");
			common = c;
			if (!c->db_given)
				c->db = crm_db_path(NULL);
			crm_cli_check_output(
			    syn, c, "--rejects", c->fo.rejects, argc, argv);
			crm_cli_check_output(
			    syn, c, "--stats", c->stats, argc, argv);
			if (c->fo.excel && c->fo.out_fmt == CRM_FMT_JSONL)
				crm_usage_error(syn, "--excel is for CSV and "
						     "TSV output");
			if (c->fo.excel && c->fo.out_fmt == CRM_FMT_AUTO)
				c->fo.out_fmt = CRM_FMT_CSV;
			stats_path =
			    c->stats; /* checked: every exit writes it */
			free(lo);
			free(so);
			lo = NULL;
			so = NULL;
			return -1;
		case ':':
		case '?':
			crm_bad_option(syn, k, argv);
		case CRM_OPT_AS_OF:
			if (crm_clock_set(optarg, &why) == -1)
				crm_usage_error(syn, "bad --as-of '%s': %s; %s",
				    optarg, why, CRM_CLOCK_WANT);
			c->as_of = optarg;
			break;
		case CRM_OPT_BUSY:
			c->busy_ms = crm_opt_long(
			    syn, "--busy-timeout", optarg, 1, 86400000);
			break;
		case CRM_OPT_DB:
			c->db = optarg;
			c->db_given = 1;
			break;
		case CRM_OPT_DELIMITER:
			if ((c->fo.delim = crm_parse_delimiter(optarg)) == -1)
				crm_usage_error(syn,
				    "bad --delimiter '%s': want ',', ';', '|' "
				    "or tab",
				    optarg);
			break;
		case CRM_OPT_ENCODING:
			if (!crm_encoding_known(optarg))
				crm_usage_error(syn,
				    "unknown encoding '%s' for --encoding "
				    "(iconv -l lists them)",
				    optarg);
			c->fo.encoding = optarg;
			break;
		case CRM_OPT_HELP:
			crm_print_help(cmd);
			exit(crm_close_stdout());
		case CRM_OPT_INPUT_FORMAT:
			c->fo.in_fmt = crm_parse_format(syn, optarg);
			break;
		case CRM_OPT_MAX_ERRORS:
			c->fo.max_errors = crm_opt_long(
			    syn, "--max-errors", optarg, 0, 1000000000);
			break;
		case CRM_OPT_OUTPUT_FORMAT:
			c->fo.out_fmt = crm_parse_format(syn, optarg);
			break;
		case CRM_OPT_QUIET:
			c->quiet = 1;
			crm_progress_quiet();
			break;
		case CRM_OPT_REJECTS:
			c->fo.rejects = optarg;
			break;
		case CRM_OPT_EXCEL:
			c->fo.excel = 1;
			break;
		case CRM_OPT_STATS:
			c->stats = optarg;
			break;
		case CRM_OPT_VERSION:
			crm_print_version();
			exit(crm_close_stdout());
		default:
			d = crm_opt_find(cmd, k);
			if (d == NULL || d->kind == CRM_OPTK_KEY) {
				*arg = optarg;
				return k;
			}
			if (crm_opt_store(d, optarg, msg, sizeof(msg)) == -1)
				crm_usage_error(syn, "%s", msg);
			break;
		}
	}
}

void
crm_cli_operands(
    const struct crm_cmd *cmd, int from_store, int *argc, char ***argv)
{
	*argc -= optind;
	*argv += optind;
	if (from_store && *argc > 0)
		crm_usage_error(cmd->synopsis, "--from-store reads no files");
}

struct crm_store *
crm_cli_store(const struct crm_common *c)
{
	struct crm_store *st;
	struct crm_err e;

	if (c->db == NULL)
		return NULL;
	crm_err_clear(&e);
	if ((st = crm_store_open(c->db, (int)c->busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	return st;
}

void
crm_cli_store_exists(const struct crm_common *c)
{
	if (c->db != NULL && access(c->db, F_OK) == -1)
		crm_die(
		    EX_NOINPUT, "cannot open '%s': %s", c->db, strerror(errno));
}

struct crm_store *
crm_cli_store_read(const struct crm_common *c)
{
	struct crm_store *st;
	struct crm_err e;

	crm_cli_store_exists(c);
	if (c->db == NULL)
		return NULL;
	crm_err_clear(&e);
	if ((st = crm_store_open_read(c->db, (int)c->busy_ms, &e)) == NULL)
		crm_die(e.code, "%s", e.msg);
	return st;
}

struct crm_filter *
crm_cli_filter(const struct crm_common *c, const struct crm_filter_ops *ops,
    void *arg, struct crm_source *src)
{
	struct crm_filter *f;
	struct crm_err e;

	crm_err_clear(&e);
	if ((f = crm_filter_new(&c->fo, ops, arg, &e)) != NULL) {
		run_filter = f;
		return f;
	}
	if (src != NULL && src->close != NULL)
		src->close(src->arg);
	crm_die(e.code, "%s", e.msg);
}

int
crm_cli_run(struct crm_filter *f, struct crm_source *src, int n, char **files)
{
	return src != NULL ? crm_filter_run_source(f, src)
			   : crm_filter_run(f, n, files);
}

void
crm_cli_count(const char *name, unsigned long long n)
{
	if (sum.nown == SUM_MAX)
		return;
	snprintf(sum.own[sum.nown].name, sizeof(sum.own[0].name), "%s", name);
	sum.own[sum.nown++].n = n;
}

void
crm_cli_unused(unsigned long long n)
{
	sum.unused = n;
}

/* Take the counts of f for the summary. */
static void
take_counts(const struct crm_filter *f)
{
	const char *name;
	unsigned long long n;
	size_t i;

	crm_filter_counts(f, &sum.read, &sum.written, &sum.rejected);
	sum.refused = crm_filter_refused(f);
	sum.no_output = common != NULL && common->fo.no_output;
	sum.used = sum.read - sum.rejected;
	sum.used -= sum.unused < sum.used ? sum.unused : sum.used;
	for (i = 0; i < SUM_MAX && crm_filter_missing(f, i, &name, &n); i++) {
		snprintf(sum.missing[i].name, sizeof(sum.missing[0].name), "%s",
		    name);
		sum.missing[i].n = n;
	}
	sum.nmissing = i;
	sum.done = 1;
}

/* "; " before the first of the tool's own counts, ", " between them. */
static int pair(struct crm_buf *b, int *k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
pair(struct crm_buf *b, int *k, const char *fmt, ...)
{
	char one[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	return crm_buf_addf(b, "%s%s", (*k)++ == 0 ? "; " : ", ", one);
}

void
crm_cli_summary(const struct crm_filter *f)
{
	struct crm_buf b;
	size_t i;
	int k = 0, rc = 0;

	take_counts(f);
	if (common != NULL && common->quiet)
		return;
	crm_buf_init(&b);
	rc |= crm_buf_addf(&b, "read %llu, written %llu, rejected %llu",
	    sum.read, sum.written, sum.rejected);
	if (sum.refused > 0)
		rc |= pair(&b, &k, "inputs refused %llu", sum.refused);
	if (sum.no_output)
		rc |= pair(&b, &k, "used %llu", sum.used);
	for (i = 0; i < sum.nmissing; i++)
		rc |= pair(&b, &k, "missing '%s' %llu", sum.missing[i].name,
		    sum.missing[i].n);
	for (i = 0; i < sum.nown; i++)
		rc |= pair(&b, &k, "%s %llu", sum.own[i].name, sum.own[i].n);
	if (rc == 0)
		crm_warnx("%.*s", (int)b.len, b.p);
	else /* out of memory: the shared counts at least */
		crm_warnx("read %llu, written %llu, rejected %llu", sum.read,
		    sum.written, sum.rejected);
	crm_buf_release(&b);
}

/* A name as a JSON key: white space as '_'. */
static int
json_key(struct crm_buf *b, const char *name)
{
	char key[64];
	size_t i;

	snprintf(key, sizeof(key), "%s", name);
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] == ' ')
			key[i] = '_';
	return crm_json_quote(b, key, strlen(key));
}

/* The summary as one JSON object into the --stats file; rc or a code. */
static int
write_stats(int rc)
{
	struct crm_outfile of;
	struct crm_buf b;
	struct crm_err e;
	size_t i;
	int bad = 0;

	crm_buf_init(&b);
	bad |= crm_buf_adds(&b, "{\"program\":");
	bad |= crm_json_quote(&b, progname, strlen(progname));
	bad |= crm_buf_addf(&b,
	    ",\"read\":%llu,\"written\":%llu,\"rejected\":%llu,"
	    "\"inputs_refused\":%llu",
	    sum.read, sum.written, sum.rejected, sum.refused);
	if (sum.no_output)
		bad |= crm_buf_addf(&b, ",\"used\":%llu", sum.used);
	if (sum.nmissing > 0) {
		bad |= crm_buf_adds(&b, ",\"missing\":{");
		for (i = 0; i < sum.nmissing; i++) {
			if (i > 0)
				bad |= crm_buf_addc(&b, ',');
			bad |= crm_json_quote(&b, sum.missing[i].name,
			    strlen(sum.missing[i].name));
			bad |= crm_buf_addf(&b, ":%llu", sum.missing[i].n);
		}
		bad |= crm_buf_addc(&b, '}');
	}
	for (i = 0; i < sum.nown; i++) {
		bad |= crm_buf_addc(&b, ',');
		bad |= json_key(&b, sum.own[i].name);
		bad |= crm_buf_addf(&b, ":%llu", sum.own[i].n);
	}
	bad |= crm_buf_addf(&b, ",\"status\":%d}\n", rc);
	if (bad) {
		crm_buf_release(&b);
		crm_warnx("%s: out of memory", stats_path);
		return rc != 0 ? rc : EX_SOFTWARE;
	}
	crm_err_clear(&e);
	stats_written = 1;
	if (crm_outfile_open(&of, stats_path, &e) == -1) {
		crm_buf_release(&b);
		crm_warnx("%s", e.msg);
		return rc != 0 ? rc : e.code;
	}
	if (fwrite(b.p, 1, b.len, of.fp) != b.len) {
		crm_buf_release(&b);
		crm_warnx("%s: write error: %s", stats_path, strerror(errno));
		crm_outfile_abort(&of);
		return rc != 0 ? rc : EX_IOERR;
	}
	crm_buf_release(&b);
	if (crm_outfile_commit(&of, &e) == -1) {
		crm_warnx("%s", e.msg);
		return rc != 0 ? rc : e.code;
	}
	return rc;
}

int
crm_cli_end(struct crm_filter *f, int rc)
{
	int failed;

	rc = crm_filter_finish(f, rc);
	failed = crm_filter_output_failed(f);
	if (!sum.done)
		take_counts(f);
	if (run_filter == f)
		run_filter = NULL;
	crm_filter_free(f);
	if (failed) {
		/* Said once already: close without a second message. */
		fclose(stdout);
		if (stats_path != NULL)
			return write_stats(EX_IOERR);
		return EX_IOERR;
	}
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	if (stats_path != NULL)
		rc = write_stats(rc);
	return rc;
}

/*
 * exit(code), the --stats file written first when the options named one
 * and it was not written yet: the counts so far (zeros when no filter
 * ran) and code as the status, so a stale file never says 0.
 */
static void
exit_stats(int code)
{
	int rc;

	if (stats_path == NULL || stats_written)
		exit(code);
	if (!sum.done && run_filter != NULL)
		take_counts(run_filter);
	sum.no_output = common != NULL && common->fo.no_output;
	fflush(stdout);
	rc = write_stats(code);
	exit(code != 0 ? code : rc);
}

int
crm_cli_closed(int rc, int closed, const struct crm_err *e)
{
	if (closed == -1 && rc == 0) {
		crm_report(e);
		rc = e->code;
	}
	return rc;
}

int
crm_cli_emit(void *f, const struct crm_rec *r, struct crm_err *e)
{
	return crm_filter_emit(f, r, e);
}

void
crm_cli_check(const char *synopsis, int rc, const struct crm_err *e)
{
	if (rc != -1)
		return;
	if (e->code == EX_USAGE)
		crm_usage_error(synopsis, "%s", e->msg);
	crm_die(e->code, "%s", e->msg);
}

void
crm_cli_fail(const char *synopsis, const struct crm_err *e)
{
	if (e->code == EX_USAGE)
		crm_usage_error(synopsis, "%s", e->msg);
	crm_report(e);
	exit_stats(e->code);
}
