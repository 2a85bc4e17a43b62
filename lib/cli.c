/*
 * cli: diagnostics, option numbers, --version, the stdout check, the
 * progress line and the wiring of main for every crmkit binary (see
 * cli.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
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

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "filter.h"
#include "store.h"

static const char *progname = "crm";

static void usage_tail(const char *) __attribute__((noreturn));
static void progress_clear(void);

void
crm_cli_init(const char *name)
{
	progname = name;
	setlocale(LC_ALL, "");
	/*
	 * A file past the size limit (ulimit -f) is a write error to report,
	 * with the temporary removed and the old file kept, not a kill that
	 * leaves a temporary behind.
	 */
	signal(SIGXFSZ, SIG_IGN);
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
	exit(code);
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
	exit(EX_USAGE);
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

int
crm_cli_verb(int *argc, char **argv, const char *const *verbs)
{
	int i, v;

	if (*argc < 2)
		return 0;
	for (v = 0; verbs[v] != NULL; v++)
		if (strcmp(argv[1], verbs[v]) == 0)
			break;
	if (verbs[v] == NULL)
		return 0;
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
			if (!c->db_given)
				c->db = crm_db_path(NULL);
			crm_cli_check_output(
			    syn, c, "--rejects", c->fo.rejects, argc, argv);
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

struct crm_filter *
crm_cli_filter(const struct crm_common *c, const struct crm_filter_ops *ops,
    void *arg, struct crm_source *src)
{
	struct crm_filter *f;
	struct crm_err e;

	crm_err_clear(&e);
	if ((f = crm_filter_new(&c->fo, ops, arg, &e)) != NULL)
		return f;
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
crm_cli_summary(const struct crm_filter *f, const char *what)
{
	unsigned long long nread, nwritten, nrejected;

	crm_filter_counts(f, &nread, &nwritten, &nrejected);
	if (what != NULL)
		crm_warnx("read %llu, %s %llu, rejected %llu", nread, what,
		    nwritten, nrejected);
	else
		crm_warnx("read %llu, rejected %llu", nread, nrejected);
}

int
crm_cli_end(struct crm_filter *f, int rc)
{
	int failed;

	rc = crm_filter_finish(f, rc);
	failed = crm_filter_output_failed(f);
	crm_filter_free(f);
	if (failed) {
		/* Said once already: close without a second message. */
		fclose(stdout);
		return EX_IOERR;
	}
	if (crm_close_stdout() != 0 && rc == 0)
		rc = EX_IOERR;
	return rc;
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
	exit(e->code);
}
