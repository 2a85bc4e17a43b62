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

/*
 * What crm_getopt() does with an option: hand its key to the binary, or
 * store its value in var itself: a flag sets an int to 1, a string keeps
 * the argument (argv's own), a number is parsed, checked against [min,
 * max] ("bad --name 'x': want MIN to MAX" otherwise) and stored in a long.
 */
enum crm_optkind {
	CRM_OPTK_KEY,  /* returned to the binary */
	CRM_OPTK_FLAG, /* int *var = 1 */
	CRM_OPTK_STR,  /* const char **var = the argument */
	CRM_OPTK_LONG  /* long *var = the argument, in [min, max] */
};

struct crm_optdef {
	const char *name;      /* long name, without the dashes */
	int key;	       /* short letter, a code >= 256, or 0 */
	const char *arg;       /* the argument's name in the help; NULL: none */
	const char *help;      /* one line; "\n" starts a continuation line;
				  NULL: left out of the help (an old name) */
	enum crm_optkind kind; /* CRM_OPTK_KEY unless made by a macro below */
	void *var;	       /* where a value goes */
	long min, max;	       /* CRM_OPTK_LONG's range */
};

/*
 * The entries of a table.  CRM_OPT hands key to the binary; the others
 * store the value (their key is 0, or a short letter) and check var's
 * type at compile time.
 */
#define CRM_OPT(name, key, arg, help)                                  \
	{                                                              \
		(name), (key), (arg), (help), CRM_OPTK_KEY, NULL, 0, 0 \
	}
#define CRM_OPT_FLAG(name, key, help, var)                  \
	{                                                   \
		(name), (key), NULL, (help), CRM_OPTK_FLAG, \
		    (void *)(1 ? (var) : (int *)0), 0, 0    \
	}
#define CRM_OPT_STR(name, arg, help, var)                        \
	{                                                        \
		(name), 0, (arg), (help), CRM_OPTK_STR,          \
		    (void *)(1 ? (var) : (const char **)0), 0, 0 \
	}
#define CRM_OPT_LONG(name, arg, help, var, min, max)              \
	{                                                         \
		(name), 0, (arg), (help), CRM_OPTK_LONG,          \
		    (void *)(1 ? (var) : (long *)0), (min), (max) \
	}
#define CRM_OPTDEF_END                                        \
	{                                                     \
		NULL, 0, NULL, NULL, CRM_OPTK_KEY, NULL, 0, 0 \
	}

/* The keys given to entries whose key is 0: this plus their index. */
#define CRM_OPT_INDEXED 0x2000

/* The shared groups a binary can take. */
enum {
	CRM_OPTS_FILTER = 1, /* --input-format --output-format --max-errors
				--rejects -q/--quiet --stats --excel --delimiter
				--encoding */
	CRM_OPTS_STORE = 2   /* --db --busy-timeout --as-of */
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
	CRM_OPT_VERSION,
	CRM_OPT_EXCEL,
	CRM_OPT_STATS,
	CRM_OPT_DELIMITER,
	CRM_OPT_ENCODING,
	CRM_OPT_AS_OF,
	CRM_OPT_SHARED_LAST = CRM_OPT_AS_OF
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
	const char *db;	   /* --db, else $CRM_DB when set; or NULL */
	long busy_ms;	   /* --busy-timeout; 60000 */
	int quiet;	   /* -q */
	const char *stats; /* --stats FILE: the summary as JSON */
	int db_given;	   /* --db was on the command line */
	const char *as_of; /* --as-of as given (clock.h has the time); or NULL */
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
 * The entry of cmd's own table that getopt_long's val k stands for, or
 * NULL (a shared option).
 */
const struct crm_optdef *crm_opt_find(const struct crm_cmd *cmd, int k);

/*
 * Store the value of a typed entry d (not CRM_OPTK_KEY) given arg.  0, or
 * -1 with msg (size n) saying why (a number out of range).
 */
int crm_opt_store(
    const struct crm_optdef *d, const char *arg, char *msg, size_t n);

/*
 * The --help text of cmd into b: synopsis, a blank line, about, a blank
 * line, one entry per option ("  -q, --quiet            no summary
 * line", the help from column 25), a blank line, status.  0, or -1.
 */
int crm_opt_help(const struct crm_cmd *cmd, struct crm_buf *b);

/*
 * Parse s as a whole decimal number in [min, max] (the checked numbers of
 * options).  Returns 0, or -1 when s is empty, has anything after the
 * number, or is out of range.
 */
int crm_parse_long(const char *s, long min, long max, long *out);

/*
 * The delimiter --delimiter s names: one of , ; | or a tab (also written
 * \t or tab); or -1.
 */
int crm_parse_delimiter(const char *s);
int crm_parse_double(const char *s, double min, double max, double *out);

#endif
