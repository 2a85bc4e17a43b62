/*
 * test_armmodel: models as arms.  Each id's arm is crm-experiment's
 * (crm_exp_arm of an instance of its own, same key and design) and
 * picks that arm's model file; the holdout takes the default model;
 * arms unknown, named twice or left without a model (no default) are
 * refused; with a store, ARM=VERSION reads that version and the design
 * is the experiments table's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "armmodel.h"
#include "experiment.h"
#include "model.h"
#include "tap.h"

#define KEY "crmkit-test-armmodel-key"

static char dir[] = "/tmp/crm-test-armmodel.XXXXXX";

static void
opts(struct crm_armmodel_opts *o, const char *arms, double holdout,
    const char *const *specs, size_t n)
{
	memset(o, 0, sizeof(*o));
	o->experiment = "promo";
	o->arms = arms;
	o->holdout = holdout;
	o->by = CRM_BY_RECORD;
	o->key_env = KEY;
	o->specs = specs;
	o->nspecs = n;
	o->name = "churn";
	o->kind = "churn";
}

static void
write_file(const char *path, const char *text)
{
	struct crm_err e;

	crm_err_clear(&e);
	if (crm_model_write_file(path, text, strlen(text), &e) == -1)
		printf("# %s\n", e.msg);
}

/* The arms and models of 2000 ids against crm-experiment's. */
static void
test_files(void)
{
	char fa[sizeof(dir) + 8], fb[sizeof(dir) + 8], sa[64], sb[64];
	const char *specs[2] = { sa, sb }, *arm, *want;
	struct crm_armmodel_opts o;
	struct crm_exp_opts xo;
	struct crm_armmodel *a;
	struct crm_exp *x;
	struct crm_err e;
	size_t i, bad = 0, held = 0, n[2] = { 0, 0 };
	char id[32];
	long k;

	snprintf(fa, sizeof(fa), "%s/a", dir);
	snprintf(fb, sizeof(fb), "%s/b", dir);
	write_file(fa, "model A");
	write_file(fb, "model B");
	snprintf(sa, sizeof(sa), "champion=%s", fa);
	snprintf(sb, sizeof(sb), "challenger=%s", fb);
	opts(&o, "champion=80,challenger=20", 0.1, specs, 2);
	crm_exp_opts_init(&xo);
	xo.experiment = "promo";
	xo.arms = "champion=80,challenger=20";
	xo.holdout = 0.1;
	xo.key_env = KEY;
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, NULL, 1, &e);
	x = crm_exp_new(&xo, NULL, &e);
	TAP_OK(a != NULL && x != NULL, "two model files, a default: %s", e.msg);
	if (a == NULL || x == NULL)
		goto out;
	TAP_OK(crm_armmodel_count(a) == 2, "a slot per --arm-model");
	TAP_STR(crm_armmodel_slot(a, 1)->blob.p, "model B",
	    "the challenger's bytes are its file's");
	TAP_STR(crm_armmodel_slot(a, 0)->label, fa, "a file's label: its path");
	TAP_STR(crm_armmodel_arm(a, 2), CRM_EXP_HOLDOUT, "the holdout last");
	TAP_OK(crm_armmodel_arm(a, 3) == NULL, "three arms in all");
	TAP_OK(crm_armmodel_arm_index(a, "challenger") == 1 &&
		   crm_armmodel_arm_index(a, CRM_EXP_HOLDOUT) == 2 &&
		   crm_armmodel_arm_index(a, "nosuch") == 3,
	    "an arm's index, past the last for none");
	TAP_OK(crm_armmodel_arm_slot(a, 0) == 0 &&
		   crm_armmodel_arm_slot(a, 1) == 1 &&
		   crm_armmodel_arm_slot(a, 2) == -1 &&
		   crm_armmodel_arm_slot(a, 3) == -1,
	    "each arm's slot, the holdout's the default's");
	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "c%05zu", i);
		k = crm_armmodel_pick(a, id, strlen(id), &arm, &e);
		want = crm_exp_arm(x, id, strlen(id), &e);
		if (k == -2 || want == NULL || strcmp(arm, want) != 0)
			bad++;
		else if (strcmp(arm, CRM_EXP_HOLDOUT) == 0)
			bad += k != -1, held++;
		else if (strcmp(crm_armmodel_slot(a, (size_t)k)->arm, arm) != 0)
			bad++;
		else
			n[k]++;
	}
	TAP_OK(bad == 0, "2000 ids: crm-experiment's arm, its model (%zu bad)",
	    bad);
	TAP_OK(held > 150 && held < 250 && n[1] > 300 && n[1] < 420,
	    "shares near the design: %zu held out, %zu %zu", held, n[0], n[1]);
out:
	crm_armmodel_free(a);
	crm_exp_close(x, NULL);
	specs[1] = "champion=x";
	opts(&o, "champion=80,challenger=20", 0.1, specs, 1);
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, NULL, 0, &e);
	TAP_OK(a == NULL && e.code == EX_USAGE, "no default: refused");
	TAP_STR(e.msg,
	    "arm 'challenger' of experiment 'promo' has no --arm-model and "
	    "there is no default model",
	    "the arm without a model named");
	opts(&o, "champion=80,challenger=20", 0, specs, 2);
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, NULL, 1, &e);
	TAP_STR(e.msg, "--arm-model: arm 'champion' is given twice",
	    "an arm twice: refused");
	specs[1] = "challengr=x";
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, NULL, 1, &e);
	TAP_OK(a == NULL && e.code == EX_USAGE, "an unknown arm: usage");
	TAP_STR(e.msg,
	    "--arm-model: experiment 'promo' has no arm 'challengr'; did you "
	    "mean 'challenger'?",
	    "with the arm meant");
	specs[0] = "champion";
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, NULL, 1, &e);
	TAP_STR(e.msg, "bad --arm-model 'champion': want ARM=FILE",
	    "a spec without =");
	unlink(fa);
	unlink(fb);
}

/* ARM=VERSION and the stored design. */
static void
test_store(void)
{
	char path[sizeof(dir) + 16];
	const char *specs[] = { "b=2" }, *arm;
	struct crm_armmodel_opts o;
	struct crm_exp_opts xo;
	struct crm_armmodel *a;
	struct crm_store *st;
	struct crm_err e;
	long v;

	snprintf(path, sizeof(path), "%s/crm.db", dir);
	crm_err_clear(&e);
	if ((st = crm_store_open(path, 0, &e)) == NULL) {
		TAP_OK(0, "open a store: %s", e.msg);
		return;
	}
	crm_model_put(st, "churn", "churn", NULL, NULL, "v1", 2, NULL, &v, &e);
	crm_model_put(st, "churn", "churn", NULL, NULL, "v2", 2, NULL, &v, &e);
	opts(&o, NULL, 0, specs, 1);
	a = crm_armmodel_new(&o, st, 1, &e);
	TAP_OK(a == NULL && e.code == EX_NOINPUT,
	    "no --arms, no such experiment stored: %s", e.msg);
	crm_exp_opts_init(&xo);
	xo.experiment = "promo";
	xo.arms = "a=1,b=3";
	xo.key_env = KEY;
	crm_err_clear(&e);
	crm_exp_close(crm_exp_new(&xo, st, &e), &e);
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, st, 1, &e);
	TAP_OK(a != NULL, "the stored design: %s", e.msg);
	if (a != NULL) {
		TAP_STR(crm_armmodel_arm(a, 1), "b", "its second arm");
		TAP_OK(
		    crm_armmodel_slot(a, 0)->version == 2 &&
			crm_armmodel_slot(a, 0)->blob.len == 2 &&
			memcmp(crm_armmodel_slot(a, 0)->blob.p, "v2", 2) == 0,
		    "b=2: version 2's bytes");
		TAP_STR(crm_armmodel_slot(a, 0)->label, "churn@2",
		    "a version's label");
		TAP_OK(crm_armmodel_pick(a, "x", 1, &arm, &e) >= -1, "an id "
								     "picks");
	}
	crm_armmodel_free(a);
	specs[0] = "b=9";
	crm_err_clear(&e);
	a = crm_armmodel_new(&o, st, 1, &e);
	TAP_OK(a == NULL && e.code == EX_NOINPUT, "b=9: no such version: %s",
	    e.msg);
	crm_store_close(st);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_files();
	test_store();
	tap_rm_store(dir);
	return tap_done();
}
