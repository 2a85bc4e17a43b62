/*
 * crm-mask: the store's governance verbs.  This build has one: verify,
 * which checks the decisions' hash chain (lib/audit).
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "store.h"

static const char synopsis[] = "usage: crm-mask verify --db FILE "
			       "[--busy-timeout MS]\n";

enum verb { V_NONE, V_VERIFY }; /* in order of verbs, after none */

static const char *const verbs[] = { "verify", NULL };

static struct crm_common opts;

static const struct crm_optdef options[] = {
	CRM_OPT("db", CRM_OPT_DB, "FILE",
	    "verify: the store whose decisions to check\n($CRM_DB)"),
	CRM_OPTDEF_END,
};

static const struct crm_cmd cmd = {
	synopsis,
	"verify: check the audit log of the store, the hash chain of its\n"
	"decisions, and name the first row changed, deleted, inserted or\n"
	"moved.\n",
	"Exit status: 0 the chain is intact, 64 usage, 65 the chain is "
	"broken,\n"
	"66 no such store, 69 store schema too new, 70 internal error, 75 "
	"store\n"
	"busy.  See crm-mask(1).\n",
	options,
	CRM_OPTS_STORE,
};

int
main(int argc, char **argv)
{
	struct crm_audit_check chk;
	struct crm_store *st;
	struct crm_err e;
	const char *arg;
	char sum[256];
	int rc, verb;

	crm_cli_init("crm-mask");
	verb = crm_cli_verb(&argc, argv, verbs, "give a verb", synopsis);
	crm_common_init(&opts);
	while (crm_getopt(&cmd, &opts, argc, argv, &arg) != -1)
		;
	if (verb != V_VERIFY)
		crm_usage_error(synopsis, "give a verb: verify");
	crm_cli_operands(&cmd, 1, &argc, &argv);
	if (opts.db == NULL)
		crm_usage_error(synopsis, "verify needs --db FILE");
	/* verify never makes a store */
	if (access(opts.db, F_OK) == -1)
		crm_die(EX_NOINPUT, "cannot open '%s': %s", opts.db,
		    strerror(errno));
	st = crm_cli_store(&opts);
	crm_err_clear(&e);
	rc = crm_audit_verify(st, &chk, &e);
	crm_store_close(st);
	crm_cli_check(synopsis, rc, &e);
	if (chk.bad != 0) {
		crm_warnx("%s: %s", opts.db, chk.what);
		return crm_close_stdout() ? EX_IOERR : EX_DATAERR;
	}
	crm_warnx("%s", crm_audit_summary(&chk, sum, sizeof(sum)));
	return crm_close_stdout();
}
