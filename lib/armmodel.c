/*
 * armmodel: the arm of each subject and its model (armmodel.h).  The arm
 * is experiment.h's (crm_exp_arm over the same key and design), never
 * computed here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "armmodel.h"
#include "experiment.h"
#include "model.h"
#include "opt.h"
#include "suggest.h"

struct crm_armmodel {
	struct crm_exp_opts xo;
	struct crm_exp *x;
	struct crm_exp_design d;
	char arms[4096]; /* the design's text, xo.arms */
	const char *names[CRM_EXP_MAX_ARMS + 2]; /* the arms, the holdout */
	size_t narms;
	long slot_of[CRM_EXP_MAX_ARMS + 1]; /* per name: a slot or -1 */
	struct crm_armmodel_slot *slot;
	size_t nslots;
	struct crm_person_of *person; /* by person */
	int stored;		      /* the store keeps the experiment */
};

/* The arm's index in a->names, or -1. */
static long
arm_index(const struct crm_armmodel *a, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < a->narms; i++)
		if (strlen(a->names[i]) == len &&
		    memcmp(a->names[i], name, len) == 0)
			return (long)i;
	return -1;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Read spec ("ARM=FILE" or "ARM=VERSION") into the next slot. */
static int
add_spec(struct crm_armmodel *a, const struct crm_armmodel_opts *o,
    struct crm_store *s, const char *spec, struct crm_err *e)
{
	struct crm_armmodel_slot *sl = &a->slot[a->nslots];
	const char *eq = strchr(spec, '='), *v;
	char hint[256], *end, *arm, *label;
	long i, version = 0;
	int found;

	if (eq == NULL || eq == spec || eq[1] == '\0')
		return crm_err_set(e, EX_USAGE,
		    "bad --arm-model '%s': want ARM=FILE%s", spec,
		    s != NULL ? " or ARM=VERSION" : "");
	if ((i = arm_index(a, spec, (size_t)(eq - spec))) < 0) {
		if ((arm = strndup(spec, (size_t)(eq - spec))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		crm_suggest_list_hint(
		    hint, sizeof(hint), arm, a->names, a->narms);
		crm_err_set(e, EX_USAGE,
		    "--arm-model: experiment '%s' has no arm '%s'%s",
		    o->experiment, arm, hint);
		free(arm);
		return -1;
	}
	if (a->slot_of[i] >= 0)
		return crm_err_set(e, EX_USAGE,
		    "--arm-model: arm '%s' is given twice", a->names[i]);
	v = eq + 1;
	if (s != NULL && all_digits(v)) {
		version = strtol(v, &end, 10);
		if (version < 1)
			return crm_err_set(e, EX_USAGE,
			    "bad --arm-model '%s': versions start at 1", spec);
	}
	crm_buf_init(&sl->blob);
	crm_buf_init(&sl->params);
	sl->arm = a->names[i];
	sl->file = version > 0 ? NULL : v;
	a->nslots++;
	if ((found = crm_model_find(s, sl->file, o->name, version, o->kind,
		 &sl->blob, &sl->version, &sl->params, e)) == -1)
		return -1;
	if (!found)
		return crm_err_set(
		    e, EX_NOINPUT, "no model '%s' in the store", o->name);
	if (sl->file != NULL)
		label = strdup(sl->file);
	else
		label = crm_armmodel_label(o->name, sl->version);
	if ((sl->label = label) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	a->slot_of[i] = (long)(a->nslots - 1);
	return 0;
}

/*
 * The design: --arms, else the store's.  When the store keeps the
 * experiment, --arms must be its design and the subject is its unit, so
 * the arms are the assignments kept there.
 */
static int
design(struct crm_armmodel *a, const struct crm_armmodel_opts *o,
    struct crm_store *s, struct crm_err *e)
{
	enum crm_by by;
	int rc;

	if (o->arms != NULL) {
		if (crm_exp_design_parse(&a->d, o->arms, o->holdout, e) == -1)
			return -1;
		if (s == NULL)
			return 0;
		if ((rc = crm_exp_stored_check(s, o->experiment, &a->d,
			 "leave out --arms and --holdout for the stored design",
			 &by, e)) == 1) {
			a->xo.by = by;
			a->stored = 1;
		}
		return rc == -1 ? -1 : 0;
	}
	if (s == NULL)
		return crm_err_set(e, EX_USAGE,
		    "--experiment needs --arms, or --db with the experiment");
	if ((rc = crm_exp_stored(s, o->experiment, &a->d, &by, e)) == -1)
		return -1;
	if (rc == 0)
		return crm_err_set(e, EX_NOINPUT,
		    "no experiment '%s' in the store: give its --arms",
		    o->experiment);
	/* the subject is the stored experiment's, whatever --by says */
	a->xo.by = by;
	a->stored = 1;
	return 0;
}

struct crm_armmodel *
crm_armmodel_new(const struct crm_armmodel_opts *o, struct crm_store *s,
    int have_default, struct crm_err *e)
{
	struct crm_armmodel *a;
	size_t i;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->slot = calloc(o->nspecs + 1, sizeof(*a->slot))) == NULL) {
		free(a);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	crm_exp_opts_init(&a->xo);
	a->xo.experiment = o->experiment;
	a->xo.by = o->by;
	a->xo.key_file = o->key_file;
	a->xo.key_opt = CRM_ARMMODEL_KEY_OPT;
	a->xo.key_env = o->key_env;
	if (design(a, o, s, e) == -1)
		goto fail;
	/* crm_exp_new parses the design again, from its text */
	crm_exp_design_text(&a->d, a->arms, sizeof(a->arms));
	a->xo.arms = a->arms;
	a->xo.holdout = a->d.holdout;
	for (i = 0; i < a->d.n; i++)
		a->names[a->narms++] = a->d.name[i];
	if (a->d.holdout > 0)
		a->names[a->narms++] = CRM_EXP_HOLDOUT;
	for (i = 0; i < CRM_EXP_MAX_ARMS + 1; i++)
		a->slot_of[i] = -1;
	/* the assignment only: no store, nothing written to it; the arms
	   kept there read */
	if ((a->x = crm_exp_new(&a->xo, NULL, e)) == NULL ||
	    (a->stored && crm_exp_read_kept(a->x, s, e) == -1))
		goto fail;
	if (crm_by_resolve(s, &a->xo.by, e) == -1)
		goto fail;
	if (a->xo.by == CRM_BY_PERSON &&
	    (a->person = crm_person_of_open(s, e)) == NULL)
		goto fail;
	for (i = 0; i < o->nspecs; i++)
		if (add_spec(a, o, s, o->specs[i], e) == -1)
			goto fail;
	for (i = 0; !have_default && i < a->narms; i++)
		if (a->slot_of[i] < 0) {
			crm_err_set(e, EX_USAGE,
			    "arm '%s' of experiment '%s' has no --arm-model "
			    "and there is no default model",
			    a->names[i], o->experiment);
			goto fail;
		}
	return a;
fail:
	crm_armmodel_free(a);
	return NULL;
}

size_t
crm_armmodel_count(const struct crm_armmodel *a)
{
	return a->nslots;
}

struct crm_armmodel_slot *
crm_armmodel_slot(struct crm_armmodel *a, size_t i)
{
	return &a->slot[i];
}

const char *
crm_armmodel_arm(const struct crm_armmodel *a, size_t i)
{
	return i < a->narms ? a->names[i] : NULL;
}

size_t
crm_armmodel_arm_index(const struct crm_armmodel *a, const char *arm)
{
	long i = arm_index(a, arm, strlen(arm));

	return i < 0 ? a->narms : (size_t)i;
}

long
crm_armmodel_arm_slot(const struct crm_armmodel *a, size_t i)
{
	return i < a->narms ? a->slot_of[i] : -1;
}

long
crm_armmodel_pick(struct crm_armmodel *a, const char *id, size_t len,
    const char **arm, struct crm_err *e)
{
	const char *s = id;
	size_t slen = len;
	long i;

	if (a->person != NULL &&
	    crm_person_of(a->person, id, len, &s, &slen, e) == -1)
		return -2;
	if ((*arm = crm_exp_arm(a->x, s, slen, e)) == NULL)
		return -2;
	/* an arm kept in the store that the design has not: damaged */
	if ((i = arm_index(a, *arm, strlen(*arm))) < 0) {
		crm_err_set(e, EX_DATAERR,
		    "experiment '%s' keeps arm '%s' for '%.*s', which its "
		    "design has not",
		    a->xo.experiment, *arm, (int)slen, s);
		return -2;
	}
	*arm = a->names[i]; /* a's for good: crm_exp_arm's is until its next */
	return a->slot_of[i];
}

char *
crm_armmodel_label(const char *name, long version)
{
	size_t n = strlen(name) + 24;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s@%ld", name, version);
	return p;
}

void
crm_armmodel_free(struct crm_armmodel *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nslots; i++) {
		crm_buf_release(&a->slot[i].blob);
		crm_buf_release(&a->slot[i].params);
		free((char *)a->slot[i].label);
	}
	free(a->slot);
	crm_person_of_close(a->person);
	crm_exp_close(a->x, NULL);
	crm_exp_design_release(&a->d);
	free(a);
}

int
crm_armmodel_opt_spec(
    struct crm_armmodel_opts *o, const char ***specs, const char *arg)
{
	const char **p;

	if ((p = crm_reallocarray(*specs, o->nspecs + 1, sizeof(*p))) == NULL)
		return -1;
	p[o->nspecs++] = arg;
	*specs = p;
	o->specs = p;
	return 0;
}

int
crm_armmodel_opt_holdout(struct crm_armmodel_opts *o, const char *arg)
{
	o->holdout_given = 1;
	return crm_parse_double(arg, 0, 0.99, &o->holdout);
}

const char *
crm_armmodel_opt_check(struct crm_armmodel_opts *o)
{
	if (o->experiment == NULL) {
		if (o->nspecs == 0 && o->arms == NULL && !o->holdout_given &&
		    o->key_file == NULL)
			return NULL;
		return "--arm-model, --arms, --holdout "
		       "and " CRM_ARMMODEL_KEY_OPT " are for --experiment";
	}
	if (o->nspecs == 0)
		return "--experiment needs --arm-model";
	if (o->holdout_given && o->arms == NULL)
		return "--holdout goes with --arms";
	o->key_env = getenv("CRM_EXPERIMENT_KEY");
	return NULL;
}
