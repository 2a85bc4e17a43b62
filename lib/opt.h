/*
 * opt: a binary's options as one table, from which both getopt_long(3)'s
 * table and the --help text are made, with the options every binary
 * shares defined once, here.
 *
 * A binary lists its own options in a struct crm_optdef table and names
 * the shared groups it takes; crm_getopt() (lib/cli.h) parses argv with
 * both, handles the shared options itself and hands the binary only its
 * own.  An entry of the binary's table whose key is a shared option's
 * (CRM_OPT_DB, say) only gives that option the binary's own help text.
 * Nothing here exits or prints: the functions build text and tables that
 * lib/cli.c uses, so a unit test can look at them.
 */
#ifndef CRM_OPT_H
#define CRM_OPT_H

#include <getopt.h>
#include <stddef.h>

#include "buf.h"
#include "filter.h"

struct crm_optdef {
	const char *name; /* long name, without the dashes */
	int key;	  /* short letter, or a code >= 256 */
	const char *arg;  /* the argument's name in the help; NULL: none */
	const char *help; /* one line; "\n" starts a continuation line */
};

#define CRM_OPTDEF_END              \
	{                           \
		NULL, 0, NULL, NULL \
	}

/* The shared groups a binary can take. */
enum {
	CRM_OPTS_FILTER = 1, /* --input-format --output-format --max-errors
				--rejects -q/--quiet */
	CRM_OPTS_STORE = 2   /* --db --busy-timeout */
};

/* The keys of the shared options, above any binary's own. */
enum {
	CRM_OPT_BUSY = 0x1000,
	CRM_OPT_DB,
	CRM_OPT_HELP = 'h',
	CRM_OPT_INPUT_FORMAT = 0x1002,
	CRM_OPT_MAX_ERRORS,
	CRM_OPT_OUTPUT_FORMAT,
	CRM_OPT_QUIET = 'q',
	CRM_OPT_REJECTS = 0x1005,
	CRM_OPT_VERSION
};

/* The first key a binary may give its own long-only options. */
#define CRM_OPT_OWN 256

struct crm_cmd {
	const char *synopsis;	       /* "usage: crm-x ...\n" lines */
	const char *about;	       /* what the binary does, a paragraph */
	const char *status;	       /* the "Exit status: ..." paragraph */
	const struct crm_optdef *opts; /* the binary's own; CRM_OPTDEF_END */
	unsigned groups;	       /* CRM_OPTS_* */
};

/* What the shared options set. */
struct crm_common {
	struct crm_filter_opts fo;
	const char *db; /* --db, else $CRM_DB when set; or NULL */
	long busy_ms;	/* --busy-timeout; 60000 */
	int quiet;	/* -q */
	int db_given;	/* --db was on the command line */
};

void crm_common_init(struct crm_common *c);

/*
 * Every option cmd takes, the shared ones included, sorted by long name,
 * into *out (allocated; free it); *n of them.  0, or -1 when out of
 * memory.
 */
int crm_opt_all(const struct crm_cmd *cmd, struct crm_optdef **out, size_t *n);

/*
 * getopt_long(3)'s table (ended by a zero entry) and short-option string
 * (starting with ':') for cmd, allocated; free both.  0, or -1.
 */
int crm_opt_getopt(
    const struct crm_cmd *cmd, struct option **longopts, char **shortopts);

/*
 * The --help text of cmd into b: synopsis, a blank line, about, a blank
 * line, one entry per option ("  -q, --quiet            no summary
 * line", the help from column 25), a blank line, status.  0, or -1.
 */
int crm_opt_help(const struct crm_cmd *cmd, struct crm_buf *b);

#endif
