/*
 * test_model: what a stored model records of its training data (lib/model.c:
 * struct crm_model_input, crm_model_put, crm_model_info), the message for a
 * model name that is not there (crm_model_missing), and the migration of a
 * schema-2 store's models table.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <xxhash.h>

#include "model.h"
#include "rec.h"
#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/crm-test-model.XXXXXX";

/* A record of n name/value pairs, all of type t. */
static struct crm_rec *
rec(enum crm_type t, int n, ...)
{
	struct crm_rec *r = crm_rec_new();
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *name = va_arg(ap, const char *);
		const char *val = va_arg(ap, const char *);

		crm_rec_add(r, name, strlen(name), val, strlen(val), t);
	}
	va_end(ap);
	return r;
}

/* The fingerprint of the records given, in order (NULL ends them). */
static void
hex_of(char out[17], unsigned long long *rows, ...)
{
	struct crm_model_input in;
	struct crm_rec *r;
	va_list ap;

	crm_model_input_init(&in);
	va_start(ap, rows);
	while ((r = va_arg(ap, struct crm_rec *)) != NULL)
		crm_model_input_add(&in, r);
	va_end(ap);
	crm_model_input_hex(&in, out);
	*rows = in.rows;
	crm_model_input_release(&in);
}

/* n as 8 little-endian bytes, then p's n bytes (none if NULL), onto b. */
static size_t
part(unsigned char *b, size_t off, const void *p, size_t n)
{
	int i;

	for (i = 0; i < 8; i++)
		b[off++] = (unsigned char)((unsigned long long)n >> (8 * i));
	if (p == NULL)
		return off;
	memcpy(b + off, p, n);
	return off + n;
}

static void
test_fingerprint(void)
{
	struct crm_rec *a = rec(CRM_STRING, 2, "id", "1", "name", "Ann");
	struct crm_rec *b = rec(CRM_STRING, 2, "id", "2", "name", "Bob");
	struct crm_rec *a2 = rec(CRM_STRING, 2, "id", "1", "name", "Anne");
	struct crm_rec *an = rec(CRM_NUMBER, 1, "id", "1");
	struct crm_rec *as = rec(CRM_STRING, 1, "id", "1");
	struct crm_rec *s1 = rec(CRM_STRING, 1, "ab", "c");
	struct crm_rec *s2 = rec(CRM_STRING, 1, "a", "bc");
	char h1[17], h2[17], h3[17], want[17];
	unsigned char buf[256], t = CRM_STRING;
	unsigned long long rows;
	struct crm_model_input in;
	static const char *const names[] = { "id", "name" };
	static const char *const values[] = { "1", "Ann" };
	size_t off = 0;

	hex_of(h1, &rows, a, b, (struct crm_rec *)NULL);
	TAP_OK(rows == 2, "rows: the records added");
	TAP_OK(strlen(h1) == 16 && strspn(h1, "0123456789abcdef") == 16,
	    "16 lower-case hex digits: %s", h1);
	hex_of(h2, &rows, a, b, (struct crm_rec *)NULL);
	TAP_STR(h2, h1, "the same records, the same fingerprint");
	hex_of(h2, &rows, b, a, (struct crm_rec *)NULL);
	TAP_OK(strcmp(h1, h2) != 0, "another order, another fingerprint");
	hex_of(h2, &rows, a2, b, (struct crm_rec *)NULL);
	TAP_OK(strcmp(h1, h2) != 0, "a value changed, another fingerprint");
	hex_of(h2, &rows, a, (struct crm_rec *)NULL);
	TAP_OK(strcmp(h1, h2) != 0, "a record dropped, another fingerprint");
	hex_of(h2, &rows, an, (struct crm_rec *)NULL);
	hex_of(h3, &rows, as, (struct crm_rec *)NULL);
	TAP_OK(strcmp(h2, h3) != 0, "the number 1 is not the string \"1\"");
	hex_of(h2, &rows, s1, (struct crm_rec *)NULL);
	hex_of(h3, &rows, s2, (struct crm_rec *)NULL);
	TAP_OK(strcmp(h2, h3) != 0, "ab=c is not a=bc: lengths go in");

	/* the documented layout, hashed here by hand */
	off = part(buf, off, NULL, 2); /* the field count */
	off = part(buf, off, "id", 2);
	off = part(buf, off, &t, 1);
	off = part(buf, off, "1", 1);
	off = part(buf, off, "name", 4);
	off = part(buf, off, &t, 1);
	off = part(buf, off, "Ann", 3);
	snprintf(want, sizeof(want), "%016llx",
	    (unsigned long long)XXH3_64bits(buf, off));
	hex_of(h2, &rows, a, (struct crm_rec *)NULL);
	TAP_STR(h2, want, "XXH3-64 of count, then name, type, value");

	crm_model_input_init(&in);
	crm_model_input_add_strs(&in, 2, names, values);
	crm_model_input_hex(&in, h3);
	crm_model_input_release(&in);
	TAP_STR(h3, want, "a store row of strings hashes as its record");

	TAP_OK(crm_model_input_hex(NULL, h3) == -1 && h3[0] == '\0', "no "
								     "input: "
								     "no "
								     "fingerpri"
								     "nt");
	crm_rec_free(a);
	crm_rec_free(b);
	crm_rec_free(a2);
	crm_rec_free(an);
	crm_rec_free(as);
	crm_rec_free(s1);
	crm_rec_free(s2);
}

static void
test_put_info(const char *path)
{
	struct crm_rec *a = rec(CRM_STRING, 1, "id", "1");
	struct crm_model_input in;
	struct crm_model_info info;
	struct crm_store *st;
	struct crm_err e;
	char fp[17];
	long v;

	crm_err_clear(&e);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL, "open a new store");
	if (st == NULL)
		return;
	crm_model_input_init(&in);
	crm_model_input_add(&in, a);
	crm_model_input_add(&in, a);
	crm_model_input_add(&in, a);
	crm_model_input_hex(&in, fp);
	TAP_OK(crm_model_put(st, "m", "churn", "{}", "{\"pairs\":7}", "xy", 2,
		   &in, &v, &e) == 0 &&
		   v == 1,
	    "put version 1 with its input");
	TAP_OK(crm_model_put(
		   st, "m", "churn", NULL, NULL, "z", 1, NULL, &v, &e) == 0 &&
		   v == 2,
	    "put version 2 without");
	TAP_OK(crm_model_info(st, "m", 1, "churn", &info, &e) == 1 &&
		   info.version == 1 && info.rows == 3 && info.pairs == 7 &&
		   strcmp(info.fingerprint, fp) == 0 && info.created[0] != '\0',
	    "version 1: 3 rows, 7 pairs, its fingerprint, a time");
	TAP_OK(crm_model_info(st, "m", 0, "churn", &info, &e) == 1 &&
		   info.version == 2 && info.rows == -1 && info.pairs == -1 &&
		   info.fingerprint[0] == '\0',
	    "the newest, version 2: nothing recorded");
	TAP_OK(crm_model_info(st, "m", 0, "text", &info, &e) == 0, "no model "
								   "of another "
								   "kind under "
								   "that name");
	TAP_OK(crm_model_info(st, "n", 0, "churn", &info, &e) == 0, "no model "
								    "of "
								    "another "
								    "name");
	crm_model_input_release(&in);

	/* the near name, from the store's models of that kind */
	crm_err_clear(&e);
	crm_model_missing(st, "mm", "churn", NULL, "train one", &e);
	TAP_STR(e.msg, "no model 'mm' in the store; did you mean 'm'?",
	    "a near name in the store");
	TAP_OK(e.code == EX_NOINPUT, "exit 66");
	crm_model_missing(st, "mm", "text", NULL, "train one", &e);
	TAP_OK(strstr(e.msg, "did you mean") == NULL &&
		   strstr(e.msg, ": train one") != NULL,
	    "a model of another kind is not suggested: %s", e.msg);
	{
		static const char *const builtin[] = { "intent", "sentiment",
			NULL };

		crm_model_missing(
		    NULL, "sentimant", "text", builtin, "train one", &e);
		TAP_STR(e.msg,
		    "no model 'sentimant'; did you mean 'sentiment'?",
		    "a built-in name, no store");
		crm_model_missing(
		    NULL, "zzz", "text", builtin, "train one", &e);
		TAP_STR(e.msg, "no model 'zzz': train one",
		    "nothing near: the hint");
	}
	crm_store_close(st);
	crm_rec_free(a);
}

/* A store of schema 2: the columns come, its rows keep NULL. */
static void
test_migrate(const char *path)
{
	struct crm_model_info info;
	struct crm_store *st;
	struct crm_err e;
	sqlite3 *db;
	long v;

	TAP_OK(sqlite3_open(path, &db) == SQLITE_OK &&
		   sqlite3_exec(db,
		       "DROP VIEW person_360; DROP VIEW person_360_record; "
		       "DROP VIEW person_360_members; "
		       "DROP VIEW person_360_consent; DROP VIEW "
		       "person_360_tags; "
		       "DROP VIEW person_360_churn; "
		       "DROP VIEW person_360_recommendations; "
		       "DROP VIEW person_360_tickets; "
		       "DROP VIEW person_360_messages; "
		       "DROP VIEW person_360_decisions; "
		       "DROP VIEW customer_360; DROP VIEW customer_360_record; "
		       "DROP VIEW customer_360_members; "
		       "DROP VIEW customer_360_consent; "
		       "DROP VIEW customer_360_tags; DROP VIEW "
		       "customer_360_churn; "
		       "DROP VIEW customer_360_recommendations; "
		       "DROP VIEW customer_360_tickets; "
		       "DROP VIEW customer_360_messages; "
		       "DROP VIEW customer_360_decisions; "
		       "DROP INDEX tickets_customer; "
		       "DROP TABLE consent; DROP INDEX decisions_subject; "
		       "DROP TABLE audit_state; DROP TABLE tag_history; "
		       "DROP TABLE persons; DROP TABLE person_events; "
		       "DROP TABLE link_labels; DROP TABLE ticket_events; "
		       "DROP TABLE notifications; DROP TABLE experiments; "
		       "DROP TABLE assignments; DROP TABLE journey_runs; "
		       "DROP TABLE journey_state; DROP TABLE journey_actions; "
		       "DROP TABLE merges; DROP TABLE merge_rows; "
		       "ALTER TABLE labels DROP COLUMN subject; "
		       "ALTER TABLE decisions DROP COLUMN subject; "
		       "ALTER TABLE decisions DROP COLUMN content_hash; "
		       "ALTER TABLE decisions DROP COLUMN chain_hash; "
		       "ALTER TABLE decisions DROP COLUMN review; "
		       "ALTER TABLE models DROP COLUMN rows; "
		       "ALTER TABLE models DROP COLUMN fingerprint; "
		       "PRAGMA user_version = 2",
		       NULL, NULL, NULL) == SQLITE_OK,
	    "make the store schema 2");
	sqlite3_close(db);
	crm_err_clear(&e);
	st = crm_store_open(path, 0, &e);
	TAP_OK(st != NULL, "a schema-2 store opens: %s", e.msg);
	if (st == NULL)
		return;
	TAP_OK(crm_model_info(st, "m", 1, "churn", &info, &e) == 1 &&
		   info.rows == -1 && info.fingerprint[0] == '\0',
	    "its model kept, what it was trained on unknown");
	TAP_OK(crm_model_put(
		   st, "m", "churn", NULL, NULL, "w", 1, NULL, &v, &e) == 0 &&
		   v == 3,
	    "and a new version saved");
	crm_store_close(st);
}

/* A params header in a model file; how a model was trained (--by). */
static void
test_params_file(void)
{
	char file[sizeof(dir) + 16];
	struct crm_buf blob, params;
	struct crm_err e;
	long v;

	snprintf(file, sizeof(file), "%s/p.model", dir);
	crm_err_clear(&e);
	crm_buf_init(&blob);
	crm_buf_init(&params);
	TAP_OK(crm_model_write_params(
		   file, "{\"by\":\"person\"}", "BLOB", 4, &e) == 0,
	    "a model file with params: %s", e.msg);
	TAP_OK(crm_model_find(
		   NULL, file, "x", 0, "churn", &blob, &v, &params, &e) == 1 &&
		   blob.len == 4 && memcmp(blob.p, "BLOB", 4) == 0,
	    "the blob read back without the header");
	TAP_STR(params.p ? params.p : "", "{\"by\":\"person\"}",
	    "and the params from it");
	TAP_OK(crm_model_by(params.p, params.len) == CRM_BY_PERSON, "trained "
								    "per "
								    "person");
	TAP_OK(crm_model_check_by("x", &params, CRM_BY_PERSON, &e) == 0, "appli"
									 "ed "
									 "per "
									 "perso"
									 "n");
	TAP_OK(crm_model_check_by("x", &params, CRM_BY_RECORD, &e) == -1 &&
		   e.code == 65,
	    "never per record (65)");
	TAP_STR(e.msg,
	    "model 'x' was trained --by person, this run is --by record: run "
	    "with --by person, or train it again --by record",
	    "the message names the model and both modes");
	crm_buf_reset(&blob);
	crm_buf_reset(&params);
	TAP_OK(crm_model_write_params(file, NULL, "BLOB", 4, &e) == 0 &&
		   crm_model_read_file(file, &blob, &e) == 0 && blob.len == 4 &&
		   memcmp(blob.p, "BLOB", 4) == 0,
	    "without params: the bare blob, as model files were");
	crm_buf_reset(&blob);
	TAP_OK(crm_model_find(
		   NULL, file, "x", 0, "churn", &blob, &v, &params, &e) == 1 &&
		   blob.len == 4 && params.len == 0,
	    "read whole, no params");
	TAP_OK(crm_model_by(params.p, params.len) == CRM_BY_RECORD, "a model "
								    "without "
								    "params is "
								    "per "
								    "record");
	TAP_OK(crm_model_by("{\"algo\":\"lr\"}", 13) == CRM_BY_RECORD,
	    "params without \"by\": per record, as before --by");
	crm_buf_reset(&blob);
	TAP_OK(crm_model_write_params(file, NULL, "BL", 2, &e) == 0 &&
		   crm_model_find(NULL, file, "x", 0, "churn", &blob, &v,
		       &params, &e) == 1 &&
		   blob.len == 2 && memcmp(blob.p, "BL", 2) == 0,
	    "a blob shorter than a header is read whole");
	{
		/* a header the reader would refuse is not written */
		char *big = malloc(65538);

		memset(big, ' ', 65537);
		big[0] = '{';
		big[65536] = '}';
		big[65537] = '\0';
		unlink(file);
		TAP_OK(crm_model_write_params(file, big, "BLOB", 4, &e) == -1 &&
			   e.code == EX_SOFTWARE && access(file, F_OK) == -1,
		    "params over 65536 bytes: refused, nothing written: %s",
		    e.msg);
		free(big);
	}
	crm_buf_release(&blob);
	crm_buf_release(&params);
	unlink(file);
}

int
main(void)
{
	char path[sizeof(dir) + 16], side[sizeof(path) + 8];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	test_fingerprint();
	test_put_info(path);
	test_migrate(path);
	test_params_file();
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	rmdir(dir);
	return tap_done();
}
