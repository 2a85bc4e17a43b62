/*
 * armmodel: models as arms of an experiment (champion/challenger).  Each
 * record's subject (its customer, or its person) gets the arm
 * crm-experiment gives it (experiment.h: the same key and design), and
 * the arm picks the model that scores it: a model file per arm (so
 * sharded runs work) or, with a store, a stored version of the tool's
 * model.  An arm without a model of its own (the holdout, say) takes
 * the tool's default model; without one, such an arm is refused before
 * any record is read.
 *
 * The tools (crm-churn, crm-intent) load each arm's model from the bytes
 * found here and keep it at the arm's slot.  Tables: none of its own; the
 * design is read through experiment.h (crm_exp_stored), models through
 * model.h.
 */
#ifndef CRM_ARMMODEL_H
#define CRM_ARMMODEL_H

#include <stddef.h>

#include "buf.h"
#include "clusters.h"
#include "err.h"
#include "experiment.h"
#include "store.h"

/* The tools' option of the key file (crm-experiment's is --key-file). */
#define CRM_ARMMODEL_KEY_OPT "--experiment-key"

struct crm_armmodel_opts {
	const char *experiment;	  /* --experiment */
	const char *arms;	  /* --arms, or NULL: the store's design */
	double holdout;		  /* --holdout (0) */
	int holdout_given;	  /* --holdout was given */
	enum crm_by by;		  /* the subject: --by */
	const char *key_file;	  /* --experiment-key, or NULL */
	const char *key_env;	  /* $CRM_EXPERIMENT_KEY, or NULL */
	const char *const *specs; /* ARM=FILE, or with a store ARM=VERSION */
	size_t nspecs;
	const char *name; /* the tool's model in the store ("churn") */
	const char *kind; /* its kind (model.h) */
};

/* One arm with a model of its own. */
struct crm_armmodel_slot {
	const char *arm;   /* owned */
	const char *file;  /* the model file, or NULL: a stored version */
	long version;	   /* the stored version, 0 for a file */
	const char *label; /* "FILE", or "NAME@VERSION": for the records */
	struct crm_buf blob, params; /* the model's bytes and params */
};

struct crm_armmodel;

/*
 * The arms of o on store s (NULL: none), each spec's model read.  A
 * spec's value is a VERSION when it is all digits and there is a store,
 * else a FILE.  NULL with e filled: EX_USAGE for a bad spec, an arm the
 * design has not ("did you mean"), an arm named twice, or an arm
 * without a model when have_default is 0; EX_NOINPUT for an experiment
 * the store has not and no --arms, a file or version missing;
 * EX_DATAERR for --arms other than the design the store keeps.
 */
struct crm_armmodel *crm_armmodel_new(const struct crm_armmodel_opts *o,
    struct crm_store *s, int have_default, struct crm_err *e);

size_t crm_armmodel_count(const struct crm_armmodel *a);
struct crm_armmodel_slot *crm_armmodel_slot(struct crm_armmodel *a, size_t i);

/*
 * The arm of customer id[0..len) into *arm (owned by a): its slot, -1
 * for the default model, or -2 with e filled.  With the store keeping
 * the experiment, the arm kept there for the subject when there is one
 * (crm_exp_read_kept).
 */
long crm_armmodel_pick(struct crm_armmodel *a, const char *id, size_t len,
    const char **arm, struct crm_err *e);

/*
 * The design's arms in order, then the holdout when it has a share: arm
 * i's name, or NULL past the last.
 */
const char *crm_armmodel_arm(const struct crm_armmodel *a, size_t i);

/*
 * Of the arms in crm_armmodel_arm's order: the index of arm (a name
 * crm_armmodel_pick gave), and the slot of arm i's model (-1: the
 * default model's).
 */
size_t crm_armmodel_arm_index(const struct crm_armmodel *a, const char *arm);
long crm_armmodel_arm_slot(const struct crm_armmodel *a, size_t i);

/* "NAME@VERSION", a stored model's label, malloc'ed; NULL: no memory. */
char *crm_armmodel_label(const char *name, long version);

void crm_armmodel_free(struct crm_armmodel *a);

/*
 * The tools' options.  crm_armmodel_opt_spec adds an --arm-model to
 * *specs (the caller's, grown; free it after the run) and o; -1: no
 * memory.  crm_armmodel_opt_holdout reads --holdout; -1: not 0 to 0.99.
 * crm_armmodel_opt_check, after the options: NULL when they agree (and
 * o->key_env read), else the usage message.
 */
int crm_armmodel_opt_spec(
    struct crm_armmodel_opts *o, const char ***specs, const char *arg);
int crm_armmodel_opt_holdout(struct crm_armmodel_opts *o, const char *arg);
const char *crm_armmodel_opt_check(struct crm_armmodel_opts *o);

#endif
