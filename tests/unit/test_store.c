/*
 * test_store: unit tests for the store's background checkpoints
 * (lib/store.c, crm_store_bg_checkpoints): a writer whose WAL grows past
 * SQLite's checkpoint threshold sees the database file filled by the
 * checkpoint thread while it goes on, loses nothing, and gets SQLite's
 * own checkpoints back when the thread stops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/crm-test-store.XXXXXX";
static char path[sizeof(dir) + 16];

static long long
file_size(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* The first column of the first row of sql, as an integer. */
static long long
query(struct crm_store *st, const char *sql)
{
	sqlite3_stmt *q;
	long long v = -1;

	if (sqlite3_prepare_v2(crm_store_db(st), sql, -1, &q, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* Commit n transactions of ten rows of about one 16 KiB page each. */
static int
fill(struct crm_store *st, int n)
{
	struct crm_err e;
	int i, ok = 1;

	for (i = 0; i < n && ok; i++) {
		ok = crm_store_begin(st, &e) == 0 &&
		     sqlite3_exec(crm_store_db(st),
			 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
			 "SELECT i + 1 FROM c WHERE i < 10) "
			 "INSERT INTO t SELECT randomblob(16000) FROM c",
			 NULL, NULL, NULL) == SQLITE_OK &&
		     crm_store_commit(st, &e) == 0;
	}
	return ok;
}

static void
test_bg_checkpoints(void)
{
	struct crm_store *st;
	struct crm_err e;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	long long start;
	int i, ok;

	crm_err_clear(&e);
	if ((st = crm_store_open(path, 0, &e)) == NULL) {
		TAP_OK(0, "store opens: %s", e.msg);
		return;
	}
	TAP_OK(sqlite3_exec(crm_store_db(st), "CREATE TABLE t (b BLOB)", NULL,
		   NULL, NULL) == SQLITE_OK,
	    "a table");
	TAP_OK(crm_store_bg_checkpoints(st, &e) == 0 &&
		   crm_store_bg_checkpoints(st, &e) == 0,
	    "background checkpoints start, and a second start is a no-op");
	start = file_size(path);

	/*
	 * 1,200 pages: past SQLite's threshold of 1,000, short of the 4,000
	 * at which the writer would checkpoint itself.  Only the thread
	 * can have copied them into the file, then.
	 */
	ok = fill(st, 120);
	TAP_OK(ok, "1,200 pages committed");
	for (i = 0; i < 1000 && file_size(path) < start + 10000000; i++)
		nanosleep(&pause, NULL);
	TAP_OK(file_size(path) >= start + 10000000,
	    "the checkpoint thread copied them into the file (%lld bytes)",
	    file_size(path));

	crm_store_bg_checkpoints_stop(st);
	crm_store_bg_checkpoints_stop(st);
	TAP_OK(query(st, "PRAGMA wal_autocheckpoint") == 1000, "stopped "
							       "(twice): "
							       "SQLite's own "
							       "checkpoints "
							       "are back");
	TAP_OK(fill(st, 10), "commits go on after the stop");
	TAP_OK(query(st, "SELECT count(*) FROM t") == 1300, "every row is "
							    "there");
	TAP_OK(query(st, "SELECT count(*) FROM pragma_integrity_check "
			 "WHERE integrity_check = 'ok'") == 1,
	    "integrity check ok");

	/* A store closed with the thread running stops it first. */
	TAP_OK(crm_store_bg_checkpoints(st, &e) == 0 && fill(st, 5), "started "
								     "again, "
								     "more "
								     "commits");
	crm_store_close(st);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL && query(st, "SELECT count(*) FROM t") == 1350,
	    "closed with the thread running: reopened, every row is there");
	crm_store_close(st);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	test_bg_checkpoints();
	tap_rm_store(dir);
	return tap_done();
}
