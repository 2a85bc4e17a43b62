/*
 * test_experiment: the hash-to-arm mapping of crm-experiment's
 * assignment: the shares of 100,000 ids within half a point of the
 * design's, the same arm from a second instance and in another order,
 * values a Python hmac peer computed, and the design's parsing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "experiment.h"
#include "hmac.h"
#include "tap.h"

#define N   100000
#define KEY "crmkit-test-experiment-key"

static struct crm_exp *
open_exp(struct crm_exp_opts *o, const char *arms, double holdout)
{
	struct crm_err e;
	struct crm_exp *x;

	crm_exp_opts_init(o);
	o->experiment = "promo";
	o->arms = arms;
	o->holdout = holdout;
	o->key_env = KEY;
	crm_err_clear(&e);
	if ((x = crm_exp_new(o, NULL, &e)) == NULL)
		printf("# %s\n", e.msg);
	return x;
}

/* The index of arm name in the design, the holdout last. */
static size_t
index_of(const char *const *names, size_t n, const char *arm)
{
	size_t i;

	for (i = 0; i < n && strcmp(names[i], arm) != 0; i++)
		;
	return i;
}

static void
test_shares(const char *arms, double holdout, const char *const *names,
    const double *want, size_t n)
{
	struct crm_exp_opts o;
	struct crm_err e;
	struct crm_exp *x = open_exp(&o, arms, holdout);
	unsigned long count[CRM_EXP_MAX_ARMS + 1] = { 0 };
	const char *arm;
	char id[32];
	size_t i, k, bad = 0;

	TAP_OK(x != NULL, "%s, holdout %g: opened", arms, holdout);
	if (x == NULL)
		return;
	crm_err_clear(&e);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "cust%07zu", i);
		if ((arm = crm_exp_arm(x, id, strlen(id), &e)) == NULL ||
		    (k = index_of(names, n, arm)) == n) {
			bad++;
			continue;
		}
		count[k]++;
	}
	TAP_OK(bad == 0, "%s: every id got an arm of the design", arms);
	for (k = 0; k < n; k++)
		TAP_OK(fabs((double)count[k] / N - want[k]) < 0.005,
		    "%s: %s has %.4f of %d ids, want %.4f +- 0.005", arms,
		    names[k], (double)count[k] / N, N, want[k]);
	crm_exp_close(x, NULL);
}

static void
test_stable(void)
{
	struct crm_exp_opts o1, o2;
	struct crm_exp *a = open_exp(&o1, "control=50,treatment=50", 0.1);
	struct crm_exp *b = open_exp(&o2, "control=50,treatment=50", 0.1);
	static const char *first[10000];
	const char *x, *y;
	struct crm_err e;
	char id[32];
	size_t i, diff = 0;

	if (a == NULL || b == NULL) {
		TAP_OK(0, "opened twice");
		return;
	}
	crm_err_clear(&e);
	/* b after other ids, in the opposite order: no state carried. */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "other%zu", i);
		crm_exp_arm(b, id, strlen(id), &e);
	}
	for (i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "cust%07zu", i);
		if ((x = crm_exp_arm(a, id, strlen(id), &e)) == NULL)
			return;
		first[i] = x;
	}
	for (i = 10000; i-- > 0;) {
		snprintf(id, sizeof(id), "cust%07zu", i);
		y = crm_exp_arm(b, id, strlen(id), &e);
		diff += y == NULL || strcmp(first[i], y) != 0;
	}
	TAP_OK(diff == 0,
	    "the same arm for 10,000 ids from two instances, "
	    "in either order (%zu differ)",
	    diff);
	/*
	 * Python: hmac.new(KEY, b"promo\0" + id, sha256), the first 8
	 * bytes big-endian >> 11 times 2^-53: c10 0.0991 (holdout), c03
	 * 0.146, c13 0.519 (control below 0.1 + 0.45 = 0.55), c01 0.743.
	 */
	TAP_STR(crm_exp_arm(a, "c10", 3, &e), "holdout", "c10: holdout");
	TAP_STR(crm_exp_arm(a, "c03", 3, &e), "control", "c03: control");
	TAP_STR(crm_exp_arm(a, "c13", 3, &e), "control", "c13: control");
	TAP_STR(crm_exp_arm(a, "c01", 3, &e), "treatment", "c01: treatment");
	crm_exp_close(a, NULL);
	crm_exp_close(b, NULL);
}

static void
test_unit(void)
{
	unsigned char mac[CRM_HMAC_LEN] = { 0 };
	struct crm_exp_design d;
	struct crm_err e;

	TAP_OK(crm_exp_unit(mac) == 0, "unit of zero bytes: 0");
	memset(mac, 0xff, sizeof(mac));
	TAP_OK(crm_exp_unit(mac) < 1, "unit of 0xff bytes: below 1");
	crm_err_clear(&e);
	TAP_OK(crm_exp_design_parse(&d, "a=1,b=3", 0.2, &e) == 0 && d.n == 2 &&
		   d.share[1] == 0.75,
	    "a=1,b=3: shares 0.25, 0.75");
	TAP_OK(crm_exp_design_pick(&d, 0.19) == -1 &&
		   crm_exp_design_pick(&d, 0.2) == 0 &&
		   crm_exp_design_pick(&d, 0.39) == 0 &&
		   crm_exp_design_pick(&d, 0.41) == 1 &&
		   crm_exp_design_pick(&d, 0.999) == 1,
	    "the holdout [0, 0.2), a [0.2, 0.4), b [0.4, 1)");
	crm_exp_design_release(&d);
	TAP_OK(
	    crm_exp_design_parse(&d, "a=1", 0, &e) == -1 && e.code == EX_USAGE,
	    "one arm: refused");
	TAP_OK(crm_exp_design_parse(&d, "a=1,a=2", 0, &e) == -1, "an arm "
								 "twice: "
								 "refused");
	TAP_OK(crm_exp_design_parse(&d, "a=1,holdout=2", 0, &e) == -1, "an arm "
								       "named "
								       "holdout"
								       ": "
								       "refuse"
								       "d");
	TAP_OK(crm_exp_design_parse(&d, "a=1,b=0", 0, &e) == -1, "a weight of "
								 "0: refused");
	TAP_OK(crm_exp_design_parse(&d, "a=1,b", 0, &e) == -1, "no weight: "
							       "refused");
	TAP_OK(crm_exp_design_parse(&d, "a=1e-300,b=1e12", 0, &e) == -1,
	    "a share below CRM_EXP_MIN_SHARE: refused");
}

int
main(void)
{
	static const char *const two[] = { "control", "treatment", "holdout" };
	static const char *const three[] = { "a", "b", "c", "holdout" };
	static const double w2[] = { 0.45, 0.45, 0.10 };
	static const double w3[] = { 0.2, 0.3, 0.5, 0 };
	static const double w3h[] = { 0.16, 0.24, 0.40, 0.2 };

	test_unit();
	test_shares("control=50,treatment=50", 0.1, two, w2, 3);
	test_shares("a=2,b=3,c=5", 0, three, w3, 4);
	test_shares("a=2,b=3,c=5", 0.2, three, w3h, 4);
	test_stable();
	return tap_done();
}
