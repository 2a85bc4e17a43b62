/*
 * experiment: see experiment.h.  Assignment is one HMAC per record and,
 * with a store, one INSERT OR IGNORE in the audit's batch transaction;
 * analysis is one query over the experiment's assignments (each with
 * the time of its first outcome event in its window), the rest in C.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <sqlite3.h>

#include "abstats.h"
#include "audit.h"
#include "clock.h"
#include "consent.h"
#include "erase.h"
#include "experiment.h"
#include "hmac.h"
#include "opt.h"
#include "merge.h"

/*
 * The variance of the normal mixture over the difference of rates in
 * the sequential test: a prior standard deviation of 1 point, the size
 * of uplift a conversion test is usually run to find.
 */
#define TAU2 CRM_AB_TAU2

/* ==== The design ==== */

static int
arm_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

void
crm_exp_design_release(struct crm_exp_design *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->name[i]);
	memset(d, 0, sizeof(*d));
}

/* One "NAME=WEIGHT" of s[0..len) into d. */
static int
add_arm(struct crm_exp_design *d, const char *s, size_t len, double *w,
    struct crm_err *e)
{
	const char *eq = memchr(s, '=', len);
	char num[64];
	size_t nlen, i;

	if (eq == NULL)
		return crm_err_set(e, EX_USAGE,
		    "bad --arms '%.*s': want NAME=WEIGHT", (int)len, s);
	nlen = (size_t)(eq - s);
	if (!arm_name_ok(s, nlen) || (nlen == strlen(CRM_EXP_HOLDOUT) &&
					 memcmp(s, CRM_EXP_HOLDOUT, nlen) == 0))
		return crm_err_set(e, EX_USAGE,
		    "bad arm name '%.*s': want letters, digits, _, - or ., "
		    "64 at most, not '" CRM_EXP_HOLDOUT "'",
		    (int)nlen, s);
	for (i = 0; i < d->n; i++)
		if (strlen(d->name[i]) == nlen &&
		    memcmp(d->name[i], s, nlen) == 0)
			return crm_err_set(e, EX_USAGE,
			    "arm '%.*s' given twice", (int)nlen, s);
	if (d->n == CRM_EXP_MAX_ARMS)
		return crm_err_set(
		    e, EX_USAGE, "more than %d arms", CRM_EXP_MAX_ARMS);
	snprintf(num, sizeof(num), "%.*s", (int)(len - nlen - 1), eq + 1);
	if (len - nlen - 1 >= sizeof(num) ||
	    crm_parse_double(num, 0, 1e12, &w[d->n]) == -1 || !(w[d->n] > 0))
		return crm_err_set(e, EX_USAGE,
		    "bad weight of arm '%.*s': '%s': want a number above 0",
		    (int)nlen, s, num);
	if ((d->name[d->n] = strndup(s, nlen)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	d->n++;
	return 0;
}

int
crm_exp_design_parse(struct crm_exp_design *d, const char *arms, double holdout,
    struct crm_err *e)
{
	double w[CRM_EXP_MAX_ARMS], sum = 0;
	const char *p = arms, *comma;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->holdout = holdout;
	for (;;) {
		comma = strchr(p, ',');
		if (add_arm(d, p,
			comma != NULL ? (size_t)(comma - p) : strlen(p), w,
			e) == -1)
			goto fail;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (d->n < 2) {
		crm_err_set(
		    e, EX_USAGE, "bad --arms '%s': want 2 arms or more", arms);
		goto fail;
	}
	for (i = 0; i < d->n; i++)
		sum += w[i];
	for (i = 0; i < d->n; i++) {
		d->share[i] = w[i] / sum;
		if (d->share[i] < CRM_EXP_MIN_SHARE) {
			crm_err_set(e, EX_USAGE,
			    "bad --arms '%s': arm '%s' has a share below %g",
			    arms, d->name[i], CRM_EXP_MIN_SHARE);
			goto fail;
		}
	}
	return 0;
fail:
	crm_exp_design_release(d);
	return -1;
}

void
crm_exp_design_text(const struct crm_exp_design *d, char *buf, size_t n)
{
	size_t i, len = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < d->n && len < n; i++) {
		k = snprintf(buf + len, n - len, "%s%s=%.6g", i > 0 ? "," : "",
		    d->name[i], d->share[i]);
		if (k < 0)
			return;
		len += (size_t)k;
	}
}

long
crm_exp_design_pick(const struct crm_exp_design *d, double u)
{
	double edge = d->holdout, rest = 1 - d->holdout;
	size_t i;

	if (u < d->holdout)
		return -1;
	for (i = 0; i + 1 < d->n; i++) {
		edge += rest * d->share[i];
		if (u < edge)
			return (long)i;
	}
	return (long)d->n - 1;
}

double
crm_exp_unit(const unsigned char *mac)
{
	unsigned long long x = 0;
	int i;

	for (i = 0; i < 8; i++)
		x = x << 8 | mac[i];
	return (double)(x >> 11) * 0x1p-53;
}

/* ==== Assignment ==== */

struct crm_exp {
	const struct crm_exp_opts *o;
	struct crm_exp_design d;
	struct crm_hmac *hmac;
	struct crm_store *s;
	enum crm_by by;
	struct crm_person_of *person;
	struct crm_consent *consent;
	struct crm_audit *audit;
	sqlite3_stmt *ins, *get;
	struct crm_store *kept; /* read only: the store of the arms kept */
	char now[21];
	struct crm_buf subj; /* the subject of the record */
	struct crm_buf prev; /* an earlier run's arm */
	struct crm_exp_counts n;
};

void
crm_exp_opts_init(struct crm_exp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->arms = "control=50,treatment=50";
	o->id_field = "customer_id";
}

/* The unit the assignment is by, as the experiments table has it. */
static const char *
unit_name(enum crm_by by)
{
	return by == CRM_BY_PERSON ? "person" : "customer";
}

/*
 * Design d of experiment name against the one stored, arms old (the text)
 * and holdout h: 0 when they agree, else -1 with e filled (EX_DATAERR,
 * naming what differs, then hint).
 */
static int
design_differs(const char *name, const char *old, double h,
    const struct crm_exp_design *d, const char *hint, struct crm_err *e)
{
	char arms[4096];

	crm_exp_design_text(d, arms, sizeof(arms));
	if (old == NULL || strcmp(old, arms) != 0)
		return crm_err_set(e, EX_DATAERR,
		    "experiment '%s' is stored with arms %s, not %s (%s)", name,
		    old != NULL ? old : "", arms, hint);
	if (fabs(h - d->holdout) > 1e-12)
		return crm_err_set(e, EX_DATAERR,
		    "experiment '%s' is stored with holdout %g, not %g (%s)",
		    name, h, d->holdout, hint);
	return 0;
}

/* Store the design, or check it against the one stored. */
static int
define(struct crm_exp *x, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(x->s);
	sqlite3_stmt *st = NULL;
	char arms[4096];
	const char *old, *unit;
	double h;
	int rc;

	crm_exp_design_text(&x->d, arms, sizeof(arms));
	if (sqlite3_prepare_v2(db,
		"SELECT arms, holdout, unit FROM experiments WHERE name = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(x->s, e, "cannot read experiments");
	sqlite3_bind_text(st, 1, x->o->experiment, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		old = (const char *)sqlite3_column_text(st, 0);
		h = sqlite3_column_double(st, 1);
		unit = (const char *)sqlite3_column_text(st, 2);
		if (design_differs(x->o->experiment, old, h, &x->d,
			"another name starts another experiment", e) == 0 &&
		    (unit == NULL || strcmp(unit, unit_name(x->by)) != 0))
			crm_err_set(e, EX_DATAERR,
			    "experiment '%s' is stored by %s, not by %s "
			    "(--by)",
			    x->o->experiment,
			    x->by == CRM_BY_PERSON ? "record" : "person",
			    crm_by_name(x->by));
		sqlite3_finalize(st);
		return e->code != 0 ? -1 : 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(x->s, e, "cannot read experiments");
	if (sqlite3_prepare_v2(db,
		"INSERT OR IGNORE INTO experiments(name, created, arms, "
		"holdout, unit) VALUES (?1, ?2, ?3, ?4, ?5)",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(x->s, e, "cannot store the experiment");
	sqlite3_bind_text(st, 1, x->o->experiment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, x->now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, arms, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, x->d.holdout);
	sqlite3_bind_text(st, 5, unit_name(x->by), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(x->s, e, "cannot store the experiment");
	/* Another run may have stored it first: check against that one. */
	return sqlite3_changes(db) == 1 ? 0 : define(x, e);
}

int
crm_exp_stored(struct crm_store *s, const char *name, struct crm_exp_design *d,
    enum crm_by *by, struct crm_err *e)
{
	sqlite3_stmt *st = NULL;
	const char *arms, *unit;
	int rc;

	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT arms, holdout, unit FROM experiments WHERE name = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read experiments");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE
			   ? 0
			   : crm_store_fail(s, e, "cannot read experiments");
	}
	arms = (const char *)sqlite3_column_text(st, 0);
	unit = (const char *)sqlite3_column_text(st, 2);
	*by = unit != NULL && strcmp(unit, unit_name(CRM_BY_PERSON)) == 0
		  ? CRM_BY_PERSON
		  : CRM_BY_RECORD;
	rc = crm_exp_design_parse(
	    d, arms != NULL ? arms : "", sqlite3_column_double(st, 1), e);
	sqlite3_finalize(st);
	if (rc == -1)
		return crm_err_set(e, EX_DATAERR,
		    "experiment '%s': bad arms in the store: %s", name, e->msg);
	return 1;
}

int
crm_exp_stored_check(struct crm_store *s, const char *name,
    const struct crm_exp_design *d, const char *hint, enum crm_by *by,
    struct crm_err *e)
{
	struct crm_exp_design sd;
	char arms[4096];
	int rc;

	if ((rc = crm_exp_stored(s, name, &sd, by, e)) != 1)
		return rc;
	crm_exp_design_text(&sd, arms, sizeof(arms));
	rc = design_differs(name, arms, sd.holdout, d, hint, e) == -1 ? -1 : 1;
	crm_exp_design_release(&sd);
	return rc;
}

/* x->get, a subject's kept arm, on store s.  0, or -1 with e filled. */
static int
prepare_get(struct crm_exp *x, struct crm_store *s, struct crm_err *e)
{
	if (sqlite3_prepare_v2(crm_store_db(s),
		"SELECT arm FROM assignments WHERE experiment = ?1 AND "
		"subject = ?2",
		-1, &x->get, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot prepare assignments");
	sqlite3_bind_text(x->get, 1, x->o->experiment, -1, SQLITE_STATIC);
	return 0;
}

static int
open_store(struct crm_exp *x, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(x->s);

	if (define(x, e) == -1 ||
	    (x->by == CRM_BY_PERSON &&
		(x->person = crm_person_of_open(x->s, e)) == NULL) ||
	    (x->o->purpose != NULL &&
		(x->consent = crm_consent_open(x->s, e)) == NULL) ||
	    (x->audit = crm_audit_open(
		 x->s, "crm-experiment", x->o->experiment, 0, e)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db,
		"INSERT OR IGNORE INTO assignments(experiment, subject, arm, "
		"time) VALUES (?1, ?2, ?3, ?4)",
		-1, &x->ins, NULL) != SQLITE_OK)
		return crm_store_fail(x->s, e, "cannot prepare assignments");
	sqlite3_bind_text(x->ins, 1, x->o->experiment, -1, SQLITE_STATIC);
	sqlite3_bind_text(x->ins, 4, x->now, -1, SQLITE_STATIC);
	return prepare_get(x, x->s, e);
}

struct crm_exp *
crm_exp_new(
    const struct crm_exp_opts *o, struct crm_store *s, struct crm_err *e)
{
	struct crm_exp *x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	x->o = o;
	x->s = s;
	x->by = o->by;
	crm_buf_init(&x->subj);
	crm_buf_init(&x->prev);
	crm_clock_iso(x->now);
	if (crm_exp_design_parse(&x->d, o->arms, o->holdout, e) == -1 ||
	    (x->hmac = crm_hmac_new_opt(o->key_opt, o->key_file, o->key_env,
		 "CRM_EXPERIMENT_KEY", "assignment", e)) == NULL ||
	    crm_by_resolve(s, &x->by, e) == -1 ||
	    (s != NULL && open_store(x, e) == -1)) {
		crm_exp_close(x, NULL);
		return NULL;
	}
	return x;
}

/* The arm of subject id[0..len) by the keyed hash; NULL with e filled. */
static const char *
hashed_arm(struct crm_exp *x, const char *id, size_t len, struct crm_err *e)
{
	unsigned char mac[CRM_HMAC_LEN];
	long i;

	if (crm_hmac(x->hmac, x->o->experiment, strlen(x->o->experiment) + 1,
		id, len, mac) == -1) {
		crm_err_set(e, EX_SOFTWARE, "libcrypto: HMAC failed");
		return NULL;
	}
	i = crm_exp_design_pick(&x->d, crm_exp_unit(mac));
	return i < 0 ? CRM_EXP_HOLDOUT : x->d.name[i];
}

/*
 * The arm kept for subject s[0..len) into x->prev, through x->get on
 * store st: 1, 0 when none is kept, or -1 with e filled.
 */
static int
kept(struct crm_exp *x, struct crm_store *st, const char *s, size_t len,
    struct crm_err *e)
{
	const char *old;
	int rc;

	sqlite3_bind_text64(x->get, 2, s, len, SQLITE_STATIC, SQLITE_UTF8);
	if ((rc = sqlite3_step(x->get)) != SQLITE_ROW) {
		sqlite3_reset(x->get);
		return rc == SQLITE_DONE ? 0
					 : crm_store_fail(st, e,
					       "cannot read the assignment");
	}
	old = (const char *)sqlite3_column_text(x->get, 0);
	crm_buf_reset(&x->prev);
	rc = crm_buf_add(&x->prev, old != NULL ? old : "",
		 (size_t)sqlite3_column_bytes(x->get, 0)) == -1 ||
	     crm_buf_add(&x->prev, "", 1) == -1;
	sqlite3_reset(x->get);
	return rc ? crm_err_set(e, EX_SOFTWARE, "out of memory") : 1;
}

const char *
crm_exp_arm(struct crm_exp *x, const char *id, size_t len, struct crm_err *e)
{
	int rc;

	if (x->kept == NULL)
		return hashed_arm(x, id, len, e);
	if ((rc = kept(x, x->kept, id, len, e)) == -1)
		return NULL;
	return rc == 1 ? x->prev.p : hashed_arm(x, id, len, e);
}

int
crm_exp_read_kept(struct crm_exp *x, struct crm_store *s, struct crm_err *e)
{
	if (prepare_get(x, s, e) == -1)
		return -1;
	x->kept = s;
	return 0;
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	(void)arg;
	if (crm_rec_put(hdr, "experiment", "", 0, CRM_STRING) == -1 ||
	    crm_rec_put(hdr, "arm", "", 0, CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/*
 * Keep the assignment of subject s[0..len) to arm, the first one kept:
 * *arm becomes the stored arm (x->prev's) when an earlier run's differs,
 * which only another key makes.  0, or -1 with e filled.
 */
static int
store(struct crm_exp *x, const char *id, size_t idlen, const char *s,
    size_t len, const char **arm, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(x->s);
	int rc;

	if (crm_audit_begin(x->audit, e) == -1)
		return -1;
	sqlite3_bind_text64(x->ins, 2, s, len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text(x->ins, 3, *arm, -1, SQLITE_STATIC);
	rc = sqlite3_step(x->ins);
	sqlite3_reset(x->ins);
	if (rc != SQLITE_DONE)
		return crm_store_fail(x->s, e, "cannot store the assignment");
	if (sqlite3_changes(db) == 1) {
		x->n.stored++;
		return crm_audit_add(x->audit, id, idlen, s, len, *arm,
		    strlen(*arm), NAN, NULL, 0, e);
	}
	x->n.earlier++;
	if ((rc = kept(x, x->s, s, len, e)) != 1)
		return rc == 0 ? crm_err_set(e, EX_SOFTWARE,
				     "cannot read the assignment of '%.*s'",
				     (int)len, s)
			       : -1;
	*arm = x->prev.p;
	return 0;
}

static int
assign_record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_exp *x = arg;
	const char *f = x->o->id_field, *id, *s, *arm;
	size_t len, slen;
	long i;
	int w;

	(void)drop;
	i = crm_rec_find(r, f, strlen(f));
	if (i < 0 || crm_rec_type(r, (size_t)i) == CRM_NULL ||
	    (id = crm_rec_value(r, (size_t)i, &len)) == NULL || len == 0) {
		crm_err_field(e, f, strlen(f));
		return crm_err_set(e, EX_DATAERR, "no customer id to assign");
	}
	/* The id is copied: the fields added below may move it. */
	crm_buf_reset(&x->subj);
	if (crm_buf_add(&x->subj, id, len) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	id = x->subj.p;
	s = id;
	slen = len;
	if (x->consent != NULL) {
		if ((w = crm_consent_withdrawn_by(
			 x->consent, x->by, id, len, x->o->purpose, e)) == -1)
			return CRM_FILTER_FATAL;
		if (w) {
			x->n.withdrawn++;
			if (crm_rec_put(r, "experiment", x->o->experiment,
				strlen(x->o->experiment), CRM_STRING) == -1 ||
			    crm_rec_put(r, "arm", NULL, 0, CRM_NULL) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			return 0;
		}
	}
	if (x->person != NULL &&
	    crm_person_of(x->person, id, len, &s, &slen, e) == -1)
		return CRM_FILTER_FATAL;
	if ((arm = crm_exp_arm(x, s, slen, e)) == NULL)
		return CRM_FILTER_FATAL;
	if (x->s != NULL && store(x, id, len, s, slen, &arm, e) == -1)
		return CRM_FILTER_FATAL;
	x->n.assigned++;
	x->n.held_out += strcmp(arm, CRM_EXP_HOLDOUT) == 0;
	if (crm_rec_put(r, "experiment", x->o->experiment,
		strlen(x->o->experiment), CRM_STRING) == -1 ||
	    crm_rec_put(r, "arm", arm, strlen(arm), CRM_STRING) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

static void
idle(void *arg)
{
	struct crm_exp *x = arg;

	crm_audit_idle(x->audit);
}

static int
needs(void *arg, struct crm_filter *f)
{
	struct crm_exp *x = arg;

	return crm_filter_need(f, x->o->id_field, "--id-field", CRM_NEED_EVERY);
}

const struct crm_filter_ops *
crm_exp_ops(void)
{
	static const struct crm_filter_ops ops = { NULL, out_header,
		assign_record, idle, NULL, needs };

	return &ops;
}

const struct crm_exp_counts *
crm_exp_counts(const struct crm_exp *x)
{
	return &x->n;
}

int
crm_exp_close(struct crm_exp *x, struct crm_err *e)
{
	struct crm_err ignored;
	int rc;

	if (x == NULL)
		return 0;
	if (e == NULL)
		e = &ignored;
	rc = crm_audit_close(x->audit, e);
	sqlite3_finalize(x->ins);
	sqlite3_finalize(x->get);
	crm_consent_close(x->consent);
	crm_person_of_close(x->person);
	crm_hmac_free(x->hmac);
	crm_exp_design_release(&x->d);
	crm_buf_release(&x->subj);
	crm_buf_release(&x->prev);
	free(x);
	return rc;
}

/*
 * A customer's assignments go: those of the customer, and of a person
 * named after it (erase.h), whose id is the customer's.
 */
const struct crm_erase_step crm_exp_erase[] = {
	{ "assignments", "deleted",
	    "DELETE FROM assignments WHERE " CRM_ERASE_NAMED("subject") },
	{ NULL, NULL, NULL },
};

/* ==== Analysis ==== */

/* One subject: its arm, when it was assigned, when it converted. */
struct subject {
	size_t arm;
	double at, conv; /* Julian days; conv NAN: no conversion */
};

/*
 * The records of a person: its id is the cluster_id (crm_person_of), so
 * the cluster's records by the clusters_cluster index, and the id itself
 * (a customer in no cluster).  Not CRM_PERSON_RECORDS, which starts
 * from a record: a person's id need not be one of its records' ids.
 */
#define PERSON_RECORDS                                                       \
	"SELECT record_id FROM clusters WHERE cluster_id = a.subject UNION " \
	"SELECT a.subject"

/* The subjects' query, by person or by record. */
#define SUBJECTS(RECORDS)                                                   \
	"SELECT a.arm, julianday(a.time), (SELECT min(julianday(e.time)) "  \
	"FROM events e WHERE e.customer_id IN (" RECORDS ") AND e.type = "  \
	"?2 AND julianday(e.time) >= julianday(a.time) AND "                \
	"julianday(e.time) < julianday(a.time) + ?3 AND julianday(e.time) " \
	"<= julianday(?4)) FROM assignments a WHERE a.experiment = ?1 AND " \
	"julianday(a.time) <= julianday(?4)"

static int
load_design(struct crm_store *s, const struct crm_exp_analysis_opts *o,
    struct crm_exp_analysis *a, struct crm_err *e)
{
	enum crm_by by;
	int rc;

	if ((rc = crm_exp_stored(s, o->experiment, &a->d, &by, e)) == 0)
		return crm_err_set(e, EX_NOINPUT,
		    "no experiment '%s' in the store", o->experiment);
	a->persons = by == CRM_BY_PERSON;
	return rc == -1 ? -1 : 0;
}

/* The subjects of the experiment into *out (*n of them). */
static int
load_subjects(struct crm_store *s, const struct crm_exp_analysis_opts *o,
    const struct crm_exp_analysis *a, struct subject **out, size_t *n,
    struct crm_err *e)
{
	struct subject *v = NULL, *t;
	size_t cap = 0, i;
	sqlite3_stmt *st;
	const char *arm;
	char now[21];
	int rc;

	*n = 0;
	crm_clock_iso(now);
	if (sqlite3_prepare_v2(crm_store_db(s),
		a->persons ? SUBJECTS(PERSON_RECORDS) : SUBJECTS("a.subject"),
		-1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot read assignments");
	sqlite3_bind_text(st, 1, o->experiment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, o->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, o->window / 86400);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arm = (const char *)sqlite3_column_text(st, 0);
		for (i = 0;
		     i < a->n && arm != NULL && strcmp(a->arm[i].arm, arm) != 0;
		     i++)
			;
		if (i == a->n) /* another key's arm: not in this design */
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((t = crm_reallocarray(v, cap, sizeof(*v))) ==
			    NULL) {
				free(v);
				sqlite3_finalize(st);
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			}
			v = t;
		}
		v[*n].arm = i;
		v[*n].at = sqlite3_column_double(st, 1);
		v[*n].conv = sqlite3_column_type(st, 2) == SQLITE_NULL
				 ? NAN
				 : sqlite3_column_double(st, 2);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return crm_store_fail(s, e, "cannot read assignments");
	}
	*out = v;
	return 0;
}

/*
 * The counts per arm at day t of the subjects whose window (w days) was
 * over by then, and of those that converted in it: so every look
 * estimates the same thing, the rate within the window.  (Counting the
 * subjects still in their window would make the difference grow from
 * look to look as conversions come in, and the intersection of the
 * looks' intervals miss the final one.)
 */
static void
count_at(const struct subject *v, size_t n, double t, double w, double *nn,
    double *k, size_t arms)
{
	size_t i;

	memset(nn, 0, arms * sizeof(*nn));
	memset(k, 0, arms * sizeof(*k));
	for (i = 0; i < n; i++) {
		if (v[i].at + w > t)
			continue;
		nn[v[i].arm]++;
		k[v[i].arm] += !isnan(v[i].conv);
	}
}

/* An arm compared with the control: not the control, nor the holdout. */
static int
compared(const struct crm_exp_analysis *a, size_t i)
{
	return i != a->control && i < a->d.n;
}

/*
 * Whether k of n is a rate the normal approximation of the test holds
 * for: 5 conversions and 5 others at least, the usual rule.  A look
 * before that (the first days, when an arm's variance is estimated from
 * one or two conversions) would give an interval far too narrow, and the
 * intersection of the looks' intervals would end empty; skipping looks
 * keeps the figures always valid, since fewer looks never hurt.
 */
static int
normal_ok(double k, double n)
{
	return k >= 5 && n - k >= 5;
}

/*
 * The always-valid figures: a look at the end of every day from the
 * first assignment's, and one at the reference time, each over the
 * subjects whose window is over (count_at); crm_ab_msprt()
 * carries each arm's smallest p-value and the intersection of its
 * intervals from look to look.
 */
static void
sequential(struct crm_exp_analysis *a, const struct crm_exp_analysis_opts *o,
    const struct subject *v, size_t n, double now)
{
	double nn[CRM_EXP_MAX_ARMS + 1], k[CRM_EXP_MAX_ARMS + 1];
	double t, first = now;
	size_t i, c = a->control;
	int last = 0;

	for (i = 0; i < a->n; i++) {
		a->arm[i].av_p = 1;
		a->arm[i].av_lo = -INFINITY;
		a->arm[i].av_hi = INFINITY;
	}
	for (i = 0; i < n; i++)
		if (v[i].at < first)
			first = v[i].at;
	/* Julian days start at noon: a UTC midnight is k + 0.5. */
	for (t = floor(first - 0.5) + 1.5; !last; t += 1) {
		if (t >= now) {
			t = now;
			last = 1;
		}
		count_at(v, n, t, o->window / 86400, nn, k, a->n);
		a->looks++;
		for (i = 0; i < a->n; i++) {
			if (!compared(a, i) || !normal_ok(k[i], nn[i]) ||
			    !normal_ok(k[c], nn[c]))
				continue;
			crm_ab_msprt(k[i], nn[i], k[c], nn[c], TAU2, o->level,
			    &a->arm[i].av_p, &a->arm[i].av_lo,
			    &a->arm[i].av_hi);
		}
	}
	/* A difference of rates is within [-1, 1]: the interval too. */
	for (i = 0; i < a->n; i++) {
		if (!compared(a, i) || isinf(a->arm[i].av_lo) ||
		    isinf(a->arm[i].av_hi) || isnan(a->arm[i].av_lo)) {
			a->arm[i].av_p = a->arm[i].av_lo = a->arm[i].av_hi =
			    NAN;
			continue;
		}
		a->arm[i].av_lo = fmax(a->arm[i].av_lo, -1);
		a->arm[i].av_hi = fmin(a->arm[i].av_hi, 1);
	}
}

/* The p-value of arm i: the z-test's, or with av the always-valid one. */
static double *
p_of(struct crm_exp_analysis *a, size_t i, int av)
{
	return av ? &a->arm[i].av_p : &a->arm[i].p;
}

/* Holm's correction of the p-values (av: the always-valid ones). */
static void
holm(struct crm_exp_analysis *a, int av)
{
	double p[CRM_EXP_MAX_ARMS];
	size_t i, m = 0;

	for (i = 0; i < a->n; i++)
		if (compared(a, i) && !isnan(*p_of(a, i, av)))
			p[m++] = *p_of(a, i, av);
	if (m < 2)
		return;
	(void)crm_ab_holm(p, m); /* m is small: p on the stack */
	for (i = 0, m = 0; i < a->n; i++)
		if (compared(a, i) && !isnan(*p_of(a, i, av)))
			*p_of(a, i, av) = p[m++];
}

static void
figures(struct crm_exp_analysis *a, const struct crm_exp_analysis_opts *o)
{
	struct crm_exp_arm_result *r, *c = &a->arm[a->control];
	double w[CRM_EXP_MAX_ARMS + 1], nn[CRM_EXP_MAX_ARMS + 1], total = 0;
	size_t i;

	for (i = 0; i < a->n; i++) {
		r = &a->arm[i];
		r->rate = r->rate_lo = r->rate_hi = NAN;
		r->uplift = r->uplift_lo = r->uplift_hi = NAN;
		r->relative = r->relative_lo = r->relative_hi = NAN;
		r->p = r->av_p = r->av_lo = r->av_hi = NAN;
		if (r->n > 0) {
			r->rate = r->conversions / r->n;
			crm_ab_wilson(r->conversions, r->n, o->level,
			    &r->rate_lo, &r->rate_hi);
		}
		w[i] = i < a->d.n ? a->d.share[i] * (1 - a->d.holdout)
				  : a->d.holdout;
		nn[i] = r->n;
		total += r->n;
	}
	for (i = 0; i < a->n; i++) {
		r = &a->arm[i];
		if (!compared(a, i) || r->n == 0 || c->n == 0)
			continue;
		r->uplift = r->rate - c->rate;
		crm_ab_newcombe(r->conversions, r->n, c->conversions, c->n,
		    o->level, &r->uplift_lo, &r->uplift_hi);
		crm_ab_ratio(r->conversions, r->n, c->conversions, c->n,
		    o->level, &r->relative, &r->relative_lo, &r->relative_hi);
		r->p = crm_ab_ztest(r->conversions, r->n, c->conversions, c->n);
	}
	a->srm_p = total > 0 ? crm_ab_srm(nn, w, a->n) : NAN;
	holm(a, 0);
}

int
crm_exp_analyze(struct crm_store *s, const struct crm_exp_analysis_opts *o,
    struct crm_exp_analysis *a, struct crm_err *e)
{
	struct subject *v = NULL;
	size_t n = 0, i;
	double nowj;

	memset(a, 0, sizeof(*a));
	if (load_design(s, o, a, e) == -1)
		return -1;
	for (i = 0; i < a->d.n; i++)
		a->arm[i].arm = a->d.name[i];
	a->n = a->d.n;
	if (a->d.holdout > 0)
		a->arm[a->n++].arm = CRM_EXP_HOLDOUT;
	if (o->control != NULL) {
		for (i = 0; i < a->d.n && strcmp(a->d.name[i], o->control); i++)
			;
		if (i == a->d.n) {
			crm_err_set(e, EX_USAGE,
			    "no arm '%s' in experiment '%s' (--control)",
			    o->control, o->experiment);
			goto fail;
		}
		a->control = i;
	}
	if (load_subjects(s, o, a, &v, &n, e) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		a->arm[v[i].arm].n++;
		a->arm[v[i].arm].conversions += !isnan(v[i].conv);
	}
	figures(a, o);
	if (o->sequential) {
		/* The reference time as a Julian day, as julianday() has it. */
		nowj = crm_clock_now() / 86400.0 + 2440587.5;
		sequential(a, o, v, n, nowj);
		holm(a, 1);
	}
	free(v);
	return 0;
fail:
	crm_exp_analysis_release(a);
	return -1;
}

void
crm_exp_analysis_release(struct crm_exp_analysis *a)
{
	crm_exp_design_release(&a->d);
	memset(a, 0, sizeof(*a));
}

int
crm_exp_analysis_rec(const struct crm_exp_analysis *a,
    const struct crm_exp_analysis_opts *o, size_t i, struct crm_rec *r)
{
	const struct crm_exp_arm_result *x = &a->arm[i];

	crm_rec_clear(r);
	if (crm_rec_add(r, "experiment", 10, o->experiment,
		strlen(o->experiment), CRM_STRING) == -1 ||
	    crm_rec_add(r, "arm", 3, x->arm, strlen(x->arm), CRM_STRING) ==
		-1 ||
	    crm_rec_add(r, "control", 7, i == a->control ? "true" : "false",
		i == a->control ? 4 : 5,
		i == a->control ? CRM_TRUE : CRM_FALSE) == -1 ||
	    crm_rec_add_num(r, "n", "%.0f", x->n) == -1 ||
	    crm_rec_add_num(r, "conversions", "%.0f", x->conversions) == -1 ||
	    crm_rec_add_num(r, "rate", "%.4f", x->rate) == -1 ||
	    crm_rec_add_num(r, "rate_lo", "%.4f", x->rate_lo) == -1 ||
	    crm_rec_add_num(r, "rate_hi", "%.4f", x->rate_hi) == -1 ||
	    crm_rec_add_num(r, "uplift", "%.4f", x->uplift) == -1 ||
	    crm_rec_add_num(r, "uplift_lo", "%.4f", x->uplift_lo) == -1 ||
	    crm_rec_add_num(r, "uplift_hi", "%.4f", x->uplift_hi) == -1 ||
	    crm_rec_add_num(r, "relative", "%.4f", x->relative) == -1 ||
	    crm_rec_add_num(r, "relative_lo", "%.4f", x->relative_lo) == -1 ||
	    crm_rec_add_num(r, "relative_hi", "%.4f", x->relative_hi) == -1 ||
	    crm_rec_add_num(r, "p_value", "%.4g", x->p) == -1 ||
	    crm_rec_add_num(r, "srm_p_value", "%.4g", a->srm_p) == -1)
		return -1;
	if (o->sequential &&
	    (crm_rec_add_num(r, "av_p_value", "%.4g", x->av_p) == -1 ||
		crm_rec_add_num(r, "av_lo", "%.4f", x->av_lo) == -1 ||
		crm_rec_add_num(r, "av_hi", "%.4f", x->av_hi) == -1))
		return -1;
	return 0;
}

void
crm_exp_verdict(const struct crm_exp_analysis *a,
    const struct crm_exp_analysis_opts *o, char *buf, size_t n)
{
	const struct crm_exp_arm_result *r, *best = NULL;
	const char *c = a->arm[a->control].arm;
	double p, lo, hi, bp = 2;
	size_t i;

	for (i = 0; i < a->n; i++) {
		r = &a->arm[i];
		p = o->sequential ? r->av_p : r->p;
		if (compared(a, i) && !isnan(p) && p < bp) {
			bp = p;
			best = r;
		}
	}
	if (best == NULL) {
		snprintf(buf, n,
		    "no verdict yet: too few subjects or conversions in %s "
		    "or the other arms",
		    c);
		return;
	}
	lo = o->sequential ? best->av_lo : best->uplift_lo;
	hi = o->sequential ? best->av_hi : best->uplift_hi;
	snprintf(buf, n, "%s %s %s: %+.1f pts [%+.1f, %+.1f], p=%.2g%s",
	    best->arm,
	    bp >= 1 - o->level ? "does not differ significantly from"
	    : best->uplift > 0 ? "beats"
			       : "loses to",
	    c, 100 * best->uplift, 100 * lo, 100 * hi, bp,
	    o->sequential ? " (always valid)" : "");
}

int
crm_exp_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	sqlite3 *db = crm_store_db(m);
	sqlite3_stmt *st;
	long long staged = 0;
	int rc, ret = -1;

	if (sqlite3_exec(db,
		"CREATE TEMP TABLE merge_experiments(name, created, arms, "
		"holdout, unit, params)",
		NULL, NULL, NULL) != SQLITE_OK)
		return crm_store_fail(m, e, "cannot merge the experiments");
	if (crm_merge_copy(m, shard, mark,
		"SELECT name, name, created, arms, holdout, unit, params "
		"FROM experiments ORDER BY 1",
		"INSERT INTO merge_experiments VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		&staged, e) == -1)
		goto out;
	if (sqlite3_prepare_v2(db,
		"SELECT x.name, x.arms, x.holdout, x.unit, m.arms, m.holdout, "
		"m.unit FROM merge_experiments x JOIN main.experiments m "
		"USING (name) WHERE x.arms IS NOT m.arms OR x.holdout IS NOT "
		"m.holdout OR x.unit IS NOT m.unit ORDER BY name LIMIT 1",
		-1, &st, NULL) != SQLITE_OK) {
		crm_store_fail(m, e, "cannot merge the experiments");
		goto out;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_err_set(e, EX_DATAERR,
		    "experiment '%s' is not the main store's: arms %s, "
		    "holdout %g, by %s, not arms %s, holdout %g, by %s",
		    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		    sqlite3_column_double(st, 2), sqlite3_column_text(st, 3),
		    sqlite3_column_text(st, 4), sqlite3_column_double(st, 5),
		    sqlite3_column_text(st, 6));
	else if (rc != SQLITE_DONE)
		crm_store_fail(m, e, "cannot merge the experiments");
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	if (sqlite3_exec(db,
		"INSERT INTO main.experiments(name, created, arms, holdout, "
		"unit, params) SELECT * FROM merge_experiments WHERE true "
		"ON CONFLICT DO UPDATE SET created = excluded.created "
		"WHERE excluded.created < created",
		NULL, NULL, NULL) != SQLITE_OK) {
		crm_store_fail(m, e, "cannot merge the experiments");
		goto out;
	}
	*changed += sqlite3_changes(db);
	ret = 0;
out:
	sqlite3_exec(db, "DROP TABLE temp.merge_experiments", NULL, NULL, NULL);
	return ret;
}

int
crm_exp_merge_assignments(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e)
{
	return crm_merge_copy(m, shard, mark,
	    "SELECT " CRM_ASSIGNMENT_ROW_KEY ", experiment, subject, arm, "
	    "time FROM assignments ORDER BY 1",
	    "INSERT INTO assignments(experiment, subject, arm, time) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET "
	    "arm = excluded.arm, time = excluded.time "
	    "WHERE excluded.time < time",
	    changed, e);
}
