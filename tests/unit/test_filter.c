/*
 * test_filter: unit tests for the record-stream interface (lib/filter.c:
 * a source that is not a file, the record step, rejects, the finish step
 * and crm_filter_emit), the option tables of lib/opt.c, the JSON writer of
 * lib/jw.c and the store snapshot of lib/store.c.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "filter.h"
#include "jw.h"
#include "opt.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/crm-test-filter.XXXXXX";

/* ==== A source of four records, the third one bad ==== */

struct src {
	int i;
	int closed;
};

static int
src_next(void *arg, struct crm_rec *r, struct crm_err *e)
{
	struct src *s = arg;
	char id[8];

	if (s->i == 4)
		return 0;
	s->i++;
	crm_rec_clear(r);
	if (s->i == 3) {
		crm_err_set(e, EX_DATAERR, "record %d is bad", s->i);
		return -1;
	}
	snprintf(id, sizeof(id), "c%d", s->i);
	if (crm_rec_add(r, "id", 2, id, strlen(id), CRM_STRING) == -1 ||
	    crm_rec_add(r, "n", 1, id + 1, 1, CRM_NUMBER) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 1;
}

static void
src_close(void *arg)
{
	((struct src *)arg)->closed++;
}

/* The tool: holds record c2 back and writes it in its finish step. */
struct tool {
	struct crm_rec *held;
	int finished;
	int closed_at_finish;
	struct src *src;
};

static int
tool_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct tool *t = arg;
	size_t len;
	const char *id = crm_rec_value(r, 0, &len);

	(void)e;
	if (len == 2 && memcmp(id, "c2", 2) == 0) {
		if (crm_rec_copy(t->held, r) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		*drop = 1;
	}
	return 0;
}

static int
tool_finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	struct tool *t = arg;

	t->finished++;
	t->closed_at_finish = t->src->closed;
	return crm_filter_emit(f, t->held, e);
}

/* Run f over src with standard output sent to file out; the status. */
static int
run_to(struct crm_filter *f, struct crm_source *src, const char *out)
{
	int fd, saved, rc;

	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = crm_filter_run_source(f, src);
	rc = crm_filter_finish(f, rc);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static char *
slurp(const char *path)
{
	static char text[4096];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
	}
	text[n] = '\0';
	return text;
}

static void
test_source_finish(void)
{
	struct crm_filter_opts fo = { .in_fmt = CRM_FMT_AUTO,
		.out_fmt = CRM_FMT_AUTO,
		.max_errors = -1 };
	struct crm_filter_ops ops = { NULL, NULL, tool_record, NULL,
		tool_finish, NULL };
	struct src s = { 0, 0 };
	struct tool t = { crm_rec_new(), 0, 0, &s };
	struct crm_source src = { "test", CRM_FMT_JSONL, src_next, src_close,
		&s };
	char out[sizeof(dir) + 16], rej[sizeof(dir) + 16];
	unsigned long long nr, nw, nj;
	struct crm_filter *f;
	struct crm_err e;
	int rc;

	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(rej, sizeof(rej), "%s/rej", dir);
	fo.rejects = rej;
	crm_err_clear(&e);
	f = crm_filter_new(&fo, &ops, &t, &e);
	TAP_OK(f != NULL, "a filter over a source");
	TAP_OK(crm_filter_partial(f) == NULL, "nothing missed yet");
	rc = run_to(f, &src, out);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(rc == EX_DATAERR, "a rejected record makes the status 65");
	TAP_OK(nr == 4 && nw == 3 && nj == 1,
	    "4 read, 3 written, 1 rejected (got %llu %llu %llu)", nr, nw, nj);
	TAP_STR(slurp(out),
	    "{\"id\":\"c1\",\"n\":1}\n{\"id\":\"c4\",\"n\":4}\n"
	    "{\"id\":\"c2\",\"n\":2}\n",
	    "records in order, the held one written by the finish step");
	TAP_OK(t.finished == 1, "the finish step ran once");
	TAP_STR(crm_filter_partial(f), "records were rejected",
	    "a run with a reject saw part of its input");
	TAP_OK(t.closed_at_finish == 1, "the source was closed before the "
					"finish step");
	TAP_STR(slurp(rej),
	    "file,line,field,reason,raw\ntest,0,,record 3 is bad,\n",
	    "the bad record went to the rejects, named by the source");
	crm_filter_free(f);

	/* --output-format csv over a JSONL source; no finish on a fatal. */
	s.i = 0;
	s.closed = 0;
	t.finished = 0;
	fo.rejects = NULL;
	fo.out_fmt = CRM_FMT_CSV;
	fo.max_errors = 0;
	f = crm_filter_new(&fo, &ops, &t, &e);
	rc = run_to(f, &src, out);
	TAP_OK(rc == EX_DATAERR && t.finished == 0, "past --max-errors the run "
						    "stops and the finish step "
						    "does not "
						    "run");
	TAP_STR(slurp(out), "id,n\nc1,1\n",
	    "CSV out of a JSONL source, header from the first record");
	TAP_OK(s.closed == 1, "the source is closed on a stop too");
	crm_filter_free(f);
	crm_rec_free(t.held);
}

/* ==== Needed fields, refused inputs, CSV output of varying records ==== */

static int
needs_label(void *arg, struct crm_filter *f)
{
	(void)arg;
	if (crm_filter_need(f, "churn", "--label-field", CRM_NEED_EVERY) == -1)
		return -1;
	return crm_filter_need(f, "id", "--id-field", 0);
}

static int
needs_records(void *arg, struct crm_filter *f)
{
	(void)arg;
	return crm_filter_need(
	    f, "churn", "--label-field", CRM_NEED_EVERY | CRM_NEED_RECORDS);
}

/* Write text to dir/name; the path. */
static const char *
put_file(const char *name, const char *text)
{
	static char path[4][sizeof(dir) + 32];
	static int k;
	char *p = path[k++ % 4];
	FILE *fp;

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	if ((fp = fopen(p, "w")) != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
	return p;
}

/* Run f over the n files with standard output sent to out; the status. */
static int
run_files_to(struct crm_filter *f, int n, const char **files, const char *out)
{
	int fd, saved, rc;

	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = crm_filter_run(f, n, (char **)files);
	rc = crm_filter_finish(f, rc);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static void
test_needs(void)
{
	struct crm_filter_opts fo = { .in_fmt = CRM_FMT_AUTO,
		.out_fmt = CRM_FMT_AUTO,
		.max_errors = -1 };
	struct crm_filter_ops ops = { NULL, NULL, NULL, NULL, NULL,
		needs_label };
	char out[sizeof(dir) + 16];
	const char *files[2], *name;
	unsigned long long nr, nw, nj, n;
	struct crm_filter *f;
	struct crm_err e;
	int rc;

	snprintf(out, sizeof(out), "%s/out", dir);
	crm_err_clear(&e);

	/* A header without a needed field refuses the whole input. */
	files[0] = put_file("a.csv", "id,Churn\n1,yes\n2,no\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(rc == EX_NOINPUT, "a refused header: 66 (got %d)", rc);
	TAP_OK(nr == 0 && crm_filter_refused(f) == 1, "nothing read from it, "
						      "one input refused");
	TAP_STR(slurp(out), "", "nothing written");
	crm_filter_free(f);

	/* The same header beside a good input: still 66, the good read. */
	files[1] = put_file("b.csv", "churn,id\nyes,1\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 2, files, out);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(rc == EX_NOINPUT && nr == 1 && nw == 1, "one input refused, the "
						       "other done: 66");
	crm_filter_free(f);

	/* JSONL: the records without a field every record needs are
	   rejected and counted; one that lacks the other is kept. */
	files[0] = put_file("c.jsonl", "{\"id\":1,\"churn\":\"yes\"}\n{\"id\":"
				       "2}\n{\"churn\":\"no\"}\n"
				       "{\"id\":4}\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(rc == EX_DATAERR, "some JSONL records rejected: 65");
	TAP_OK(nr == 4 && nw == 2 && nj == 2, "4 read, 2 written, 2 rejected");
	TAP_OK(crm_filter_missing(f, 0, &name, &n) == 1 &&
		   strcmp(name, "churn") == 0 && n == 2,
	    "the missing field counted for the summary");
	TAP_OK(crm_filter_missing(f, 1, &name, &n) == 0, "one such field");
	crm_filter_free(f);

	/* Every record rejected: nothing done, 66. */
	files[0] = put_file("d.jsonl", "{\"id\":1}\n{\"id\":2}\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	TAP_OK(rc == EX_NOINPUT, "records read, none accepted: 66");
	crm_filter_free(f);

	/* The same, stopped by --max-errors: nothing done is still 66. */
	fo.max_errors = 0;
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	TAP_OK(rc == EX_NOINPUT,
	    "stopped by --max-errors, none accepted: 66 "
	    "(got %d)",
	    rc);
	crm_filter_free(f);
	/* Stopped after one accepted: 65. */
	files[0] = put_file("e.jsonl", "{\"id\":1,\"churn\":\"y\"}\n{\"id\":"
				       "2}\n{\"id\":3,\"churn\":\"n\"}\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(rc == EX_DATAERR && nr == 2 && nw == 1,
	    "stopped by --max-errors after one accepted: 65 (got %d)", rc);
	/* Records a tool read itself are counted as read. */
	crm_filter_add_read(f, 5);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(nr == 7, "crm_filter_add_read counts records read");
	crm_filter_free(f);
	fo.max_errors = -1;

	/* CRM_NEED_RECORDS: a header is the tool's to check. */
	ops.needs = needs_records;
	files[0] = put_file("f.csv", "id\n1\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	TAP_OK(rc == 0 && crm_filter_refused(f) == 0,
	    "CRM_NEED_RECORDS: a header without it is not refused (got %d)",
	    rc);
	crm_filter_free(f);
	files[0] = put_file("g.jsonl", "{\"id\":1}\n{\"id\":2,\"churn\":1}\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	TAP_OK(rc == EX_DATAERR && crm_filter_missing(f, 0, &name, &n) == 1 &&
		   n == 1,
	    "CRM_NEED_RECORDS: a JSONL record without it rejected, counted");
	crm_filter_free(f);
	ops.needs = needs_label;

	/* JSONL to CSV: a missing field an empty cell; a field the header
	   lacks rejects that record only, counted. */
	ops.needs = NULL;
	fo.out_fmt = CRM_FMT_CSV;
	files[0] = put_file("e.jsonl", "{\"a\":1,\"b\":2}\n{\"a\":3}\n{\"a\":5,"
				       "\"c\":6}\n{\"b\":7}\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	crm_filter_counts(f, &nr, &nw, &nj);
	TAP_OK(rc == EX_DATAERR && nr == 4 && nw == 3 && nj == 1,
	    "read 4 = written 3 + rejected 1 (got %llu %llu %llu)", nr, nw, nj);
	TAP_STR(slurp(out), "a,b\n1,2\n3,\n,7\n",
	    "empty cells for missing fields, the odd record left out");
	crm_filter_free(f);

	/* --excel: a BOM, formula-like cells guarded, numbers kept. */
	fo.excel = 1;
	files[0] = put_file("f.jsonl", "{\"a\":\"=1+2\",\"b\":-5}\n{\"a\":\"+"
				       "86 10\",\"b\":\"-1.5e3\"}\n"
				       "{\"a\":\"@x\",\"b\":\"\\tz\"}\n{\"a\":"
				       "\"-\",\"b\":\"+\"}\n");
	f = crm_filter_new(&fo, &ops, NULL, &e);
	rc = run_files_to(f, 1, files, out);
	TAP_OK(rc == 0, "--excel run");
	TAP_STR(slurp(out),
	    "\xEF\xBB\xBF"
	    "a,b\n'=1+2,-5\n'+86 10,-1.5e3\n'@x,'\tz\n'-,'+\n",
	    "--excel: BOM, ' before =, +, -, @ and tab, not before numbers");
	crm_filter_free(f);
}

/* ==== Option tables ==== */

static const struct crm_optdef opts[] = {
	CRM_OPT("db", CRM_OPT_DB, NULL, "the store: everything"),
	CRM_OPT("seed", CRM_OPT_OWN, "N", "random seed (1)"),
	CRM_OPT("a-very-long-option-name", CRM_OPT_OWN + 1, "VALUE",
	    "first line\nsecond line"),
	CRM_OPT("verbose", 'v', NULL, "more"),
	CRM_OPT("old-seed", CRM_OPT_OWN + 2, "N", NULL), /* not in the help */
	CRM_OPTDEF_END,
};

static void
test_opt(void)
{
	struct crm_cmd cmd = { "usage: t [-v] [file ...]\n", "What t does.\n",
		"Exit status: 0.\n", opts, CRM_OPTS_STORE };
	struct option *lo;
	char *so;
	struct crm_buf b;
	size_t i;

	crm_buf_init(&b);
	TAP_OK(crm_opt_help(&cmd, &b) == 0, "help made");
	TAP_STR(b.p,
	    "usage: t [-v] [file ...]\n"
	    "\n"
	    "What t does.\n"
	    "\n"
	    "  --a-very-long-option-name VALUE\n"
	    "                         first line\n"
	    "                         second line\n"
	    "  --as-of TIME           the time stamped on what is written to "
	    "the store\n"
	    "                         and taken as now: YYYY-MM-DD or an ISO "
	    "8601\n"
	    "                         time (default: the clock)\n"
	    "  --busy-timeout MS      wait this long for other writers "
	    "(60000)\n"
	    "  --db FILE              the store: everything\n"
	    "  -h, --help             this help\n"
	    "  --seed N               random seed (1)\n"
	    "  -v, --verbose          more\n"
	    "  --version              the version of this program and its "
	    "libraries\n"
	    "\n"
	    "Exit status: 0.\n",
	    "help: sorted, shared ones included, --db in the binary's words, "
	    "an old name left out");
	crm_buf_release(&b);
	TAP_OK(crm_opt_getopt(&cmd, &lo, &so) == 0, "getopt tables made");
	TAP_STR(so, ":hv", "short options: the shared -h and the binary's -v");
	for (i = 0; lo[i].name != NULL; i++)
		if (strcmp(lo[i].name, "db") == 0)
			break;
	TAP_OK(lo[i].name != NULL && lo[i].val == CRM_OPT_DB &&
		   lo[i].has_arg == required_argument,
	    "--db keeps the shared key and takes an argument");
	for (i = 0; lo[i].name != NULL; i++)
		if (strcmp(lo[i].name, "old-seed") == 0)
			break;
	TAP_OK(lo[i].name != NULL && lo[i].val == CRM_OPT_OWN + 2, "an old "
								   "name out "
								   "of the "
								   "help is "
								   "still an "
								   "option");
	for (i = 0; lo[i].name != NULL; i++)
		;
	TAP_OK(i == 9, "9 long options, no duplicate --db (got %zu)", i);
	free(lo);
	free(so);
}

/* Typed entries: crm_getopt() stores their values itself. */
static int t_flag;
static const char *t_str;
static long t_long = 7;

static const struct crm_optdef typed[] = {
	CRM_OPT("mine", CRM_OPT_OWN, NULL, "handed to the binary"),
	CRM_OPT_FLAG("flag", 'f', "a flag", &t_flag),
	CRM_OPT_STR("name", "NAME", "a string", &t_str),
	CRM_OPT_LONG("count", "N", "a number", &t_long, 1, 10),
	CRM_OPTDEF_END,
};

static void
test_opt_typed(void)
{
	struct crm_cmd cmd = { "usage: t\n", NULL, NULL, typed, 0 };
	const struct crm_optdef *d;
	struct option *lo;
	char *so, msg[128];
	size_t i;
	int key = 0;

	TAP_OK(crm_opt_find(&cmd, CRM_OPT_OWN) == &typed[0], "a binary's key "
							     "finds its entry");
	TAP_OK(crm_opt_find(&cmd, 'f') == &typed[1], "a short letter too");
	TAP_OK(crm_opt_find(&cmd, CRM_OPT_HELP) == NULL, "a shared key is "
							 "nobody's entry");
	crm_opt_getopt(&cmd, &lo, &so);
	for (i = 0; lo[i].name != NULL; i++)
		if (strcmp(lo[i].name, "count") == 0)
			key = lo[i].val;
	TAP_OK(key == CRM_OPT_INDEXED + 3, "an entry of key 0 gets its index");
	d = crm_opt_find(&cmd, key);
	TAP_OK(d == &typed[3], "and is found by it");
	TAP_OK(crm_opt_store(&typed[1], NULL, msg, sizeof(msg)) == 0 &&
		   t_flag == 1,
	    "a flag is set");
	TAP_OK(crm_opt_store(&typed[2], "x", msg, sizeof(msg)) == 0 &&
		   t_str != NULL && strcmp(t_str, "x") == 0,
	    "a string is kept");
	TAP_OK(crm_opt_store(d, "10", msg, sizeof(msg)) == 0 && t_long == 10,
	    "a number in range is stored");
	TAP_OK(crm_opt_store(d, "11", msg, sizeof(msg)) == -1 && t_long == 10,
	    "a number out of range is refused, the value kept");
	TAP_STR(
	    msg, "bad --count '11': want 1 to 10", "and the message says so");
	TAP_OK(crm_opt_store(d, "3x", msg, sizeof(msg)) == -1, "junk after a "
							       "number is "
							       "refused");
	free(lo);
	free(so);
}

/* ==== The JSON writer ==== */

static void
test_jw(void)
{
	struct crm_buf b;
	struct crm_jw w;

	crm_buf_init(&b);
	crm_jw_init(&w, &b);
	crm_jw_obj(&w);
	crm_jw_key(&w, "auc");
	crm_jw_num(&w, "%.4f", 0.83456);
	crm_jw_key(&w, "nan");
	crm_jw_num(&w, "%g", NAN);
	crm_jw_key(&w, "list");
	crm_jw_arr(&w);
	crm_jw_int(&w, -3);
	crm_jw_str(&w, "a\"b\n");
	crm_jw_bool(&w, 1);
	crm_jw_null(&w);
	crm_jw_obj(&w);
	crm_jw_end(&w);
	crm_jw_raw(&w, "[1,2]", 5);
	crm_jw_end(&w);
	crm_jw_keyn(&w, "k\0x", 3);
	crm_jw_str(&w, "");
	crm_jw_end(&w);
	TAP_OK(crm_jw_done(&w) == 0, "a whole document");
	TAP_STR(b.p,
	    "{\"auc\":0.8346,\"nan\":null,\"list\":[-3,\"a\\\"b\\n\",true,"
	    "null,{},[1,2]],\"k\\u0000x\":\"\"}",
	    "commas, quoting, formats and null for NaN");
	crm_buf_reset(&b);
	crm_jw_init(&w, &b);
	crm_jw_obj(&w);
	crm_jw_int(&w, 1);
	crm_jw_end(&w);
	TAP_OK(crm_jw_done(&w) == -1, "a value without its key is an error");
	crm_jw_init(&w, &b);
	crm_jw_arr(&w);
	TAP_OK(crm_jw_done(&w) == -1, "an unclosed array is an error");
	crm_jw_init(&w, &b);
	crm_jw_end(&w);
	TAP_OK(crm_jw_done(&w) == -1, "closing nothing is an error");
	{
		int i, commas = 0;

		crm_buf_reset(&b);
		crm_jw_init(&w, &b);
		crm_jw_arr(&w);
		for (i = 0; i < 600; i++)
			crm_jw_int(&w, i);
		crm_jw_end(&w);
		for (i = 0; i < (int)b.len; i++)
			commas += b.p[i] == ',';
		TAP_OK(crm_jw_done(&w) == 0 && commas == 599,
		    "600 items, 599 commas (got %d)", commas);
	}
	crm_buf_release(&b);
}

/* ==== The store snapshot ==== */

static long long
count_rows(struct crm_store *st)
{
	sqlite3_stmt *q;
	long long v = -1;

	if (sqlite3_prepare_v2(crm_store_db(st),
		"SELECT count(*) FROM customers", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void
test_snapshot(void)
{
	char path[sizeof(dir) + 16];
	struct crm_store *st, *snap;
	struct crm_err e;
	const char *ins = "INSERT INTO customers(customer_id) VALUES "
			  "('a'),('b')";

	snprintf(path, sizeof(path), "%s/s.db", dir);
	crm_err_clear(&e);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL, "store opened");
	if (st == NULL)
		return;
	sqlite3_exec(crm_store_db(st), ins, NULL, NULL, NULL);
	snap = crm_store_snapshot(st, &e);
	TAP_OK(snap != NULL, "snapshot taken");
	if (snap == NULL)
		return;
	sqlite3_exec(crm_store_db(st),
	    "INSERT INTO customers(customer_id) VALUES ('c')", NULL, NULL,
	    NULL);
	TAP_OK(count_rows(st) == 3, "the writer sees its own row");
	TAP_OK(count_rows(snap) == 2, "the snapshot does not see the run's own "
				      "writes");
	TAP_OK(crm_store_begin(snap, &e) == -1, "a snapshot cannot start a "
						"write");
	crm_store_close(snap);
	snap = crm_store_snapshot(st, &e);
	TAP_OK(snap != NULL && count_rows(snap) == 3, "a new snapshot sees the "
						      "rows");
	crm_store_close(snap);
	crm_store_close(st);
}

int
main(void)
{
	char cmd[sizeof(dir) + 16];
	int rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_source_finish();
	test_needs();
	test_opt();
	test_opt_typed();
	test_jw();
	test_snapshot();
	rc = tap_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
