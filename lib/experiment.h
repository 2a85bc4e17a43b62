/*
 * experiment: A/B experiments, the owner of the store's experiments and
 * assignments tables.
 *
 * Assignment (a filter): each record's subject (its customer, or the
 * customer's person, clusters.h) gets an arm of the named experiment
 * from the HMAC-SHA-256 (lib/hmac.c) of the experiment's name, a zero
 * byte and the subject, read as a number u in [0, 1): its first 8 bytes
 * big-endian, the top 53 bits times 2^-53.  The holdout takes [0, h),
 * the arms the rest, in the order given, each a share of 1 - h in
 * proportion to its weight.  So a subject gets the same arm in any run,
 * shard or input order, from the key alone.  With a store, the
 * experiment's definition is kept at its first run (and a run with
 * another is refused), each subject's first assignment is kept with its
 * time (the run's --as-of), and each new one is audited.  With a
 * purpose, a record whose consent for it is withdrawn (by person, the
 * consent of any record of its person: crm_consent_withdrawn_by) gets
 * no arm.
 *
 * Analysis: from the assignments and the store's events, per arm the
 * subjects, those with an outcome event within the window after their
 * assignment, and the statistics of lib/abstats.h against the control.
 */
#ifndef CRM_EXPERIMENT_H
#define CRM_EXPERIMENT_H

#include <stddef.h>

#include "clusters.h"
#include "erase.h"
#include "err.h"
#include "filter.h"
#include "rec.h"
#include "store.h"

/* The arm of the subjects kept out of the experiment. */
#define CRM_EXP_HOLDOUT "holdout"

/* The most arms an experiment has. */
#define CRM_EXP_MAX_ARMS 26

/* The smallest share of an arm: its text ("%.6g") reads back the same. */
#define CRM_EXP_MIN_SHARE 1e-6

/* An experiment's design: arms with their shares, and the holdout. */
struct crm_exp_design {
	char *name[CRM_EXP_MAX_ARMS];	/* owned */
	double share[CRM_EXP_MAX_ARMS]; /* of the subjects, holdout aside */
	size_t n;
	double holdout; /* [0, 1) */
};

/*
 * Parse "NAME=WEIGHT,..." (at least 2 arms, names of letters, digits,
 * _, - and ., not "holdout", each once; weights above 0, each a share
 * of CRM_EXP_MIN_SHARE or more) into d, with holdout.  0, or -1 with e
 * filled (EX_USAGE), d then holding nothing.
 */
int crm_exp_design_parse(struct crm_exp_design *d, const char *arms,
    double holdout, struct crm_err *e);
void crm_exp_design_release(struct crm_exp_design *d);

/*
 * The design's arms as stored and compared ("control=0.5,treatment=0.5":
 * the shares, "%.6g") into buf of size n.
 */
void crm_exp_design_text(const struct crm_exp_design *d, char *buf, size_t n);

/* The arm of u in [0, 1): an index into d->name, or -1 for the holdout. */
long crm_exp_design_pick(const struct crm_exp_design *d, double u);

/* u of a MAC, as above. */
double crm_exp_unit(const unsigned char *mac);

/*
 * The design of experiment name as store s keeps it (its first run's):
 * 1 with d parsed (release it) and *by its unit, 0 when the store has no
 * such experiment, or -1 with e filled (EX_DATAERR: bad arms stored).
 */
int crm_exp_stored(struct crm_store *s, const char *name,
    struct crm_exp_design *d, enum crm_by *by, struct crm_err *e);

/*
 * Design d against experiment name as store s keeps it: 1 when the same
 * (*by its unit), 0 when the store has no such experiment, or -1 with e
 * filled: EX_DATAERR naming what differs, then hint, or crm_exp_stored's.
 */
int crm_exp_stored_check(struct crm_store *s, const char *name,
    const struct crm_exp_design *d, const char *hint, enum crm_by *by,
    struct crm_err *e);

/* ==== Assignment ==== */

struct crm_exp_opts {
	const char *experiment; /* --experiment */
	const char *arms;	/* --arms (control=50,treatment=50) */
	double holdout;		/* --holdout (0) */
	const char *id_field;	/* --id-field (customer_id) */
	enum crm_by by;		/* --by */
	const char *purpose;	/* --purpose, or NULL: not checked */
	const char *key_file;	/* --key-file, or NULL */
	const char *key_env;	/* $CRM_EXPERIMENT_KEY, or NULL */
	const char *key_opt;	/* key_file's option, in messages (NULL:
				   --key-file) */
};

void crm_exp_opts_init(struct crm_exp_opts *o);

/* What an assignment run did. */
struct crm_exp_counts {
	unsigned long long assigned;  /* records given an arm */
	unsigned long long held_out;  /* of them, in the holdout */
	unsigned long long withdrawn; /* not enrolled: consent withdrawn */
	unsigned long long stored;    /* new assignments in the store */
	unsigned long long earlier;   /* kept from an earlier run */
};

struct crm_exp;

/*
 * The assignment over store s (NULL: none): the key read, the design
 * parsed and, with a store, checked against the stored one (EX_DATAERR
 * naming what differs) or stored.  NULL with e filled.
 */
struct crm_exp *crm_exp_new(
    const struct crm_exp_opts *o, struct crm_store *s, struct crm_err *e);

/*
 * The arm of subject id[0..len): its name (owned by x, until the next
 * call), CRM_EXP_HOLDOUT, or NULL with e filled when libcrypto or the
 * store fails.  After crm_exp_read_kept, the arm kept in the store when
 * there is one (an assignment run's: another key's hash may differ).
 */
const char *crm_exp_arm(
    struct crm_exp *x, const char *id, size_t len, struct crm_err *e);

/*
 * For x opened without a store: read each subject's kept arm from store
 * s (nothing is written to it), as an assignment run over s gives it.
 * 0, or -1 with e filled.
 */
int crm_exp_read_kept(
    struct crm_exp *x, struct crm_store *s, struct crm_err *e);

/* The filter's steps; arg is the crm_exp. */
const struct crm_filter_ops *crm_exp_ops(void);

const struct crm_exp_counts *crm_exp_counts(const struct crm_exp *x);

/* Commit and free (x may be NULL); 0, or -1 with e filled. */
int crm_exp_close(struct crm_exp *x, struct crm_err *e);

/*
 * How a customer's assignments are erased (erase.h); the experiments
 * table holds no customer's data.
 */
extern const struct crm_erase_step crm_exp_erase[];

/* ==== Analysis ==== */

struct crm_exp_analysis_opts {
	const char *experiment;
	const char *outcome; /* the event type that is a conversion */
	double window;	     /* seconds after the assignment (14 days) */
	const char *control; /* the control arm (the first) */
	double level;	     /* 0.95 */
	int sequential;	     /* always-valid figures as well */
};

/* One arm's figures; NAN where there are none (the control's uplift). */
struct crm_exp_arm_result {
	const char *arm; /* owned by the analysis */
	double n, conversions, rate, rate_lo, rate_hi;
	double uplift, uplift_lo, uplift_hi; /* absolute, treatment - control */
	double relative, relative_lo, relative_hi; /* p1 / p0 - 1 */
	double p;		   /* Holm-adjusted when several */
	double av_p, av_lo, av_hi; /* --sequential */
};

struct crm_exp_analysis {
	struct crm_exp_arm_result arm[CRM_EXP_MAX_ARMS + 1]; /* + holdout */
	size_t n;
	size_t control; /* index of the control */
	double srm_p;	/* of the counts against the design */
	size_t looks;	/* days looked at (--sequential) */
	struct crm_exp_design d;
	int persons; /* the unit is the person */
};

/*
 * Analyze experiment o->experiment of store s as of the reference time.
 * 0 with a filled (release it), or -1 with e filled: EX_NOINPUT for an
 * experiment the store does not have, EX_USAGE for a control that is no
 * arm, the store's code.
 */
int crm_exp_analyze(struct crm_store *s, const struct crm_exp_analysis_opts *o,
    struct crm_exp_analysis *a, struct crm_err *e);
void crm_exp_analysis_release(struct crm_exp_analysis *a);

/* Arm i's figures as a record (r cleared first); 0, or -1 out of memory. */
int crm_exp_analysis_rec(const struct crm_exp_analysis *a,
    const struct crm_exp_analysis_opts *o, size_t i, struct crm_rec *r);

/* The one-line verdict into buf of size n. */
void crm_exp_verdict(const struct crm_exp_analysis *a,
    const struct crm_exp_analysis_opts *o, char *buf, size_t n);

/*
 * Merge a shard's experiments and assignments (merge.h): an experiment
 * the main store lacks is added, one it has must have the same design
 * (arms, holdout, unit; else EX_DATAERR naming it) and keeps the earlier
 * creation; each subject keeps its first assignment, the earlier by
 * time, whichever store it is in.  mark is not used.  0, or -1 with e
 * filled.
 */
struct crm_merge_mark;
/* An assignment's key in merge_rows (also for erasure) */
#define CRM_ASSIGNMENT_ROW_KEY "json_array(experiment, subject)"
int crm_exp_merge(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);
int crm_exp_merge_assignments(struct crm_store *m, struct crm_store *shard,
    struct crm_merge_mark *mark, long long *changed, struct crm_err *e);

#endif
