/*
 * crm-mask: what a role may see of each record, by a policy file: fields
 * kept, dropped, partly masked, pseudonymized with a keyed HMAC, or
 * generalized (lib/mask.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "filter.h"
#include "mask.h"
#include "norm.h"
#include "opt.h"

static const char synopsis[] = "usage: crm-mask --policy FILE [--role NAME] "
			       "[--key-file FILE]\n"
			       "                [--region CC] [common options] "
			       "[file ...]\n";

/*
 * The verbs after argv[0]; masking is the default.  A verb added here
 * gets its enum value in the same order and its case in main.
 */
enum verb { V_MASK };
static const char *const verbs[] = { NULL };

struct opts {
	struct crm_mask_opts m;
	struct crm_common c;
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT_STR("key-file", "FILE",
	    "the pseudonyms' key, 16 bytes or more (else\n$CRM_MASK_KEY)",
	    &opts.m.key_file),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: the input's)"),
	CRM_OPT_STR("policy", "FILE", "what each field becomes, per role",
	    &opts.m.policy),
	CRM_OPT_STR("region", "CC",
	    "the country of phones without a country code\n(CN)",
	    &opts.m.region),
	CRM_OPT_STR("role", "NAME",
	    "the policy's [NAME] section (the part before\nany section)",
	    &opts.m.role),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"Write each record as a role may see it: by the policy file, each\n"
	"field kept, dropped, partly masked, pseudonymized (HMAC-SHA-256) or\n"
	"generalized; fields the policy does not name follow its default.\n",
	"Exit status: 0 every record done, 64 usage (an unknown role, no key "
	"or\n"
	"a short one), 65 some records rejected or a bad policy, 66 nothing "
	"done\n"
	"from some input (not opened, header refused, every record "
	"rejected),\n"
	"or the policy or key file cannot be opened, 70 internal error, 74 "
	"I/O\n"
	"error.  See crm-mask(1).\n",
	options,
	CRM_OPTS_FILTER,
};

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	const char *arg;

	memset(o, 0, sizeof(*o));
	crm_common_init(&o->c);
	while (crm_getopt(&cmd, &o->c, argc, argv, &arg) != -1)
		;
	if (o->m.policy == NULL)
		crm_usage_error(synopsis, "--policy FILE is needed");
	if (o->m.region != NULL && !crm_norm_region_known(o->m.region))
		crm_usage_error(synopsis, "unknown --region '%s'", o->m.region);
	o->m.key_env = getenv("CRM_MASK_KEY");
	if (o->m.key_env != NULL && o->m.key_env[0] == '\0')
		o->m.key_env = NULL;
}

static int
run_mask(struct opts *o, int argc, char **argv)
{
	struct crm_mask_counts n;
	struct crm_filter *f;
	struct crm_mask *m;
	struct crm_err e;
	int rc;

	crm_err_clear(&e);
	if ((m = crm_mask_new(&o->m, &e)) == NULL)
		crm_cli_fail(synopsis, &e);
	f = crm_cli_filter(&o->c, crm_mask_ops(), m, NULL);
	rc = crm_filter_run(f, argc, argv);
	crm_mask_counts(m, &n);
	crm_cli_count("masked", n.masked);
	crm_cli_count("pseudonymized", n.pseudonymized);
	crm_cli_count("generalized", n.generalized);
	crm_cli_count("dropped", n.dropped);
	crm_cli_summary(f);
	rc = crm_cli_end(f, rc);
	crm_mask_free(m);
	return rc;
}

int
main(int argc, char **argv)
{
	enum verb verb = V_MASK;
	struct opts *o = &opts;

	crm_cli_init("crm-mask");
	if (verbs[0] != NULL)
		verb = (enum verb)crm_cli_verb(
		    &argc, argv, verbs, "masking is the default", synopsis);
	parse_opts(argc, argv, o);
	crm_cli_operands(&cmd, 0, &argc, &argv);
	switch (verb) {
	default:
		return run_mask(o, argc, argv);
	}
}
