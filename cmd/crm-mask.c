/*
 * crm-mask: privacy and governance.  By default a filter: what a role may
 * see of each record, by a policy file: fields kept, dropped, partly
 * masked, pseudonymized with a keyed HMAC, or generalized (lib/mask.c).
 * Verbs on the store: verify checks the decisions' hash chain
 * (lib/audit.c), erase erases customers from every table (lib/erase.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "audit.h"
#include "cli.h"
#include "erase.h"
#include "filter.h"
#include "mask.h"
#include "norm.h"
#include "opt.h"
#include "store.h"

static const char synopsis[] =
    "usage: crm-mask --policy FILE [--role NAME] [--key-file FILE]\n"
    "                [--region CC] [common options] [file ...]\n"
    "       crm-mask verify --db FILE [--busy-timeout MS]\n"
    "       crm-mask erase --db FILE [--output-format FMT] [id ...]\n";

/* The verbs after argv[0], in enum order after V_MASK, the default. */
enum verb { V_MASK, V_VERIFY, V_ERASE };
static const char *const verbs[] = { "verify", "erase", NULL };

struct opts {
	struct crm_mask_opts m;
	struct crm_common c;
};

static struct opts opts;

static const struct crm_optdef options[] = {
	CRM_OPT("db", CRM_OPT_DB, "FILE", "verify, erase: the store ($CRM_DB)"),
	CRM_OPT_STR("key-file", "FILE",
	    "the pseudonyms' key, 16 bytes or more (else\n$CRM_MASK_KEY)",
	    &opts.m.key_file),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: the input's; erase:\ncsv)"),
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
	"generalized; fields the policy does not name follow its default.\n"
	"verify: check the hash chain of the store's decisions and name the\n"
	"first row changed, deleted, inserted or moved.  erase: erase each\n"
	"customer id (or each line of standard input) from every table of\n"
	"the store, and write what went, table by table.\n",
	"Exit status: 0 every record done (verify: the chain is intact), 64\n"
	"usage (an unknown role, no key or a short one), 65 some records\n"
	"rejected, a bad policy, a broken chain or a bad id, 66 nothing done\n"
	"from some input (not opened, header refused, every record "
	"rejected),\n"
	"the policy or key file cannot be opened, or no such store, 69 store\n"
	"schema too new, 70 internal error, 74 I/O error, 75 store busy.\n"
	"See crm-mask(1).\n",
	options,
	CRM_OPTS_FILTER | CRM_OPTS_STORE,
};

static void
parse_opts(int argc, char **argv, enum verb verb, struct opts *o)
{
	const char *arg;

	memset(o, 0, sizeof(*o));
	crm_common_init(&o->c);
	while (crm_getopt(&cmd, &o->c, argc, argv, &arg) != -1)
		;
	if (verb != V_MASK) {
		if (o->m.policy != NULL || o->m.role != NULL ||
		    o->m.key_file != NULL || o->m.region != NULL)
			crm_usage_error(synopsis,
			    "--policy, --role, --key-file and --region are for "
			    "masking, not %s",
			    verbs[verb - 1]);
		if (o->c.db == NULL)
			crm_usage_error(
			    synopsis, "%s needs --db FILE", verbs[verb - 1]);
		/* verify and erase never make a store */
		crm_cli_store_exists(&o->c);
		return;
	}
	if (o->m.policy == NULL)
		crm_usage_error(synopsis, "--policy FILE is needed");
	if (o->m.region != NULL && !crm_norm_region_known(o->m.region))
		crm_usage_error(synopsis, "unknown --region '%s'", o->m.region);
	crm_mask_opts_key_env(&o->m);
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

static int
run_verify(struct opts *o)
{
	struct crm_audit_check chk;
	struct crm_store *st;
	struct crm_err e;
	char sum[256];
	int rc;

	st = crm_cli_store(&o->c);
	crm_err_clear(&e);
	rc = crm_audit_verify(st, &chk, &e);
	crm_store_close(st);
	crm_cli_check(synopsis, rc, &e);
	if (chk.bad != 0) {
		crm_warnx("%s: %s", o->c.db, chk.what);
		return crm_close_stdout() ? EX_IOERR : EX_DATAERR;
	}
	if (!o->c.quiet)
		crm_warnx("%s", crm_audit_summary(&chk, sum, sizeof(sum)));
	return crm_close_stdout();
}

static void
erased_none(const char *id)
{
	crm_warnx("%s: not in the store: nothing erased", id);
}

static int
run_erase(struct opts *o, int argc, char **argv)
{
	struct crm_erase_totals t;
	struct crm_writer *w;
	struct crm_store *st;
	struct crm_err e, fe;
	enum crm_format fmt = o->c.fo.out_fmt;
	int rc;

	if ((w = crm_writer_new(
		 stdout, fmt == CRM_FMT_AUTO ? CRM_FMT_CSV : fmt)) == NULL)
		crm_die(EX_SOFTWARE, "out of memory");
	st = crm_cli_store(&o->c);
	crm_err_clear(&e);
	t.none = erased_none;
	rc = crm_erase_ids(st, argc > 0 ? argv : NULL, (size_t)argc, stdin,
	    "stdin", w, &t, &e);
	/* what was erased is reported, also when a later id failed */
	if (crm_writer_flush(w, rc == 0 ? &e : &fe) == -1)
		rc = -1;
	crm_writer_free(w);
	crm_store_close(st);
	if (!o->c.quiet || rc == -1)
		crm_warnx("erased %llu customer%s: %llu rows deleted, %llu "
			  "decisions redacted, %llu model versions to retrain",
		    t.ids, t.ids == 1 ? "" : "s", t.deleted, t.redacted,
		    t.retrain);
	if (t.wal_busy)
		crm_warnx("%s: another process holds the store open: its WAL "
			  "may keep erased bytes until the next checkpoint",
		    o->c.db);
	crm_cli_check(synopsis, rc, &e);
	if (t.ids == 0) {
		crm_warnx("no customer ids given: nothing erased");
		return crm_close_stdout() ? EX_IOERR : EX_NOINPUT;
	}
	return crm_close_stdout();
}

int
main(int argc, char **argv)
{
	struct opts *o = &opts;
	enum verb verb;

	crm_cli_init("crm-mask");
	verb = (enum verb)crm_cli_verb(
	    &argc, argv, verbs, "masking is the default", synopsis);
	parse_opts(argc, argv, verb, o);
	switch (verb) {
	case V_VERIFY:
		crm_cli_operands(&cmd, 1, &argc, &argv);
		return run_verify(o);
	case V_ERASE:
		crm_cli_operands(&cmd, 0, &argc, &argv);
		return run_erase(o, argc, argv);
	default:
		crm_cli_operands(&cmd, 0, &argc, &argv);
		return run_mask(o, argc, argv);
	}
}
