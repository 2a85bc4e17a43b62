/*
 * opt: the option tables of opt.h, the shared options, and the help text
 * made from them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

/* The options every binary takes. */
static const struct crm_optdef always[] = {
	CRM_OPT("help", CRM_OPT_HELP, NULL, "this help"),
	CRM_OPT("version", CRM_OPT_VERSION, NULL,
	    "the version of this program and its libraries"),
	CRM_OPTDEF_END,
};

/* CRM_OPTS_FILTER: how records are read, written and rejected. */
static const struct crm_optdef filter[] = {
	CRM_OPT("delimiter", CRM_OPT_DELIMITER, "C",
	    "the CSV field separator: , ; | or tab (default:\nsniffed, see "
	    "crm(7))"),
	CRM_OPT("encoding", CRM_OPT_ENCODING, "NAME",
	    "the input's character set, as iconv(1) names it\n(default: "
	    "UTF-8, UTF-16 by its BOM, or GB18030\nguessed, see crm(7))"),
	CRM_OPT("excel", CRM_OPT_EXCEL, NULL,
	    "CSV for spreadsheets: a UTF-8 BOM, and a ' before\ncells that "
	    "start with = + - @ (not numbers)"),
	CRM_OPT("input-format", CRM_OPT_INPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: from the first byte)"),
	CRM_OPT("max-errors", CRM_OPT_MAX_ERRORS, "N",
	    "stop after more than N rejected records (default:\nno limit)"),
	CRM_OPT("output-format", CRM_OPT_OUTPUT_FORMAT, "FMT",
	    "csv, tsv or jsonl (default: the input's)"),
	CRM_OPT("quiet", CRM_OPT_QUIET, NULL, "no summary line on stderr"),
	CRM_OPT("rejects", CRM_OPT_REJECTS, "FILE",
	    "write rejected records there as CSV: file, line,\nfield, "
	    "reason, raw"),
	CRM_OPT("stats", CRM_OPT_STATS, "FILE",
	    "write the summary there as one JSON object (also\nwith -q)"),
	CRM_OPTDEF_END,
};

/* CRM_OPTS_STORE: the store. */
static const struct crm_optdef store[] = {
	CRM_OPT("as-of", CRM_OPT_AS_OF, "TIME",
	    "the time stamped on what is written to the store\nand taken as "
	    "now: YYYY-MM-DD or an ISO 8601\ntime (default: the clock)"),
	CRM_OPT("busy-timeout", CRM_OPT_BUSY, "MS",
	    "wait this long for other writers (60000)"),
	CRM_OPT("db", CRM_OPT_DB, "FILE", "the store (default: $CRM_DB)"),
	CRM_OPTDEF_END,
};

void
crm_common_init(struct crm_common *c)
{
	memset(c, 0, sizeof(*c));
	c->fo.in_fmt = CRM_FMT_AUTO;
	c->fo.out_fmt = CRM_FMT_AUTO;
	c->fo.max_errors = -1;
	c->busy_ms = 60000;
}

static size_t
count(const struct crm_optdef *d)
{
	size_t n = 0;

	while (d[n].name != NULL)
		n++;
	return n;
}

/* The binary's own entry for key, or NULL. */
static const struct crm_optdef *
own(const struct crm_cmd *cmd, int key)
{
	const struct crm_optdef *d;

	for (d = cmd->opts; d != NULL && d->name != NULL; d++)
		if (d->key == key)
			return d;
	return NULL;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct crm_optdef *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Add the shared table t, each entry as the binary words it, to v. */
static void
add_shared(const struct crm_cmd *cmd, const struct crm_optdef *t,
    struct crm_optdef *v, size_t *n)
{
	const struct crm_optdef *o;

	for (; t->name != NULL; t++) {
		v[*n] = *t;
		if ((o = own(cmd, t->key)) != NULL && o->help != NULL)
			v[*n].help = o->help;
		(*n)++;
	}
}

/* Whether key is one of the shared options'. */
static int
shared_key(int key)
{
	return key == CRM_OPT_HELP || key == CRM_OPT_QUIET ||
	       (key >= CRM_OPT_BUSY && key <= CRM_OPT_SHARED_LAST);
}

int
crm_opt_all(const struct crm_cmd *cmd, struct crm_optdef **out, size_t *n)
{
	const struct crm_optdef *d;
	struct crm_optdef *v;
	size_t max;

	max = count(always) + count(filter) + count(store) +
	      (cmd->opts != NULL ? count(cmd->opts) : 0);
	if ((v = calloc(max + 1, sizeof(*v))) == NULL)
		return -1;
	*n = 0;
	add_shared(cmd, always, v, n);
	if (cmd->groups & CRM_OPTS_FILTER)
		add_shared(cmd, filter, v, n);
	if (cmd->groups & CRM_OPTS_STORE)
		add_shared(cmd, store, v, n);
	for (d = cmd->opts; d != NULL && d->name != NULL; d++) {
		if (shared_key(d->key))
			continue;
		v[*n] = *d;
		if (d->key == 0)
			v[*n].key = CRM_OPT_INDEXED + (int)(d - cmd->opts);
		(*n)++;
	}
	qsort(v, *n, sizeof(*v), cmp_name);
	*out = v;
	return 0;
}

int
crm_opt_getopt(
    const struct crm_cmd *cmd, struct option **longopts, char **shortopts)
{
	struct crm_optdef *v;
	struct option *lo;
	char *so;
	size_t i, n, k = 0;

	*longopts = NULL;
	*shortopts = NULL;
	if (crm_opt_all(cmd, &v, &n) == -1)
		return -1;
	lo = calloc(n + 1, sizeof(*lo));
	so = calloc(3 * n + 2, 1);
	if (lo == NULL || so == NULL) {
		free(lo);
		free(so);
		free(v);
		return -1;
	}
	so[k++] = ':';
	for (i = 0; i < n; i++) {
		lo[i].name = v[i].name;
		lo[i].has_arg = v[i].arg != NULL ? required_argument
						 : no_argument;
		lo[i].val = v[i].key;
		if (v[i].key > 0 && v[i].key < CRM_OPT_OWN) {
			so[k++] = (char)v[i].key;
			if (v[i].arg != NULL)
				so[k++] = ':';
		}
	}
	free(v);
	*longopts = lo;
	*shortopts = so;
	return 0;
}

const struct crm_optdef *
crm_opt_find(const struct crm_cmd *cmd, int k)
{
	const struct crm_optdef *d;

	for (d = cmd->opts; d != NULL && d->name != NULL; d++)
		if (d->key == k ||
		    (d->key == 0 &&
			k == CRM_OPT_INDEXED + (int)(d - cmd->opts)))
			return shared_key(d->key) ? NULL : d;
	return NULL;
}

int
crm_opt_store(const struct crm_optdef *d, const char *arg, char *msg, size_t n)
{
	switch (d->kind) {
	case CRM_OPTK_FLAG:
		*(int *)d->var = 1;
		return 0;
	case CRM_OPTK_STR:
		*(const char **)d->var = arg;
		return 0;
	case CRM_OPTK_LONG:
		if (crm_parse_long(arg, d->min, d->max, d->var) == -1) {
			snprintf(msg, n, "bad --%s '%s': want %ld to %ld",
			    d->name, arg, d->min, d->max);
			return -1;
		}
		return 0;
	case CRM_OPTK_KEY:
		break;
	}
	snprintf(msg, n, "--%s is the binary's to take", d->name);
	return -1;
}

#define HELP_COL 25

/* One option's entry in the help: its names, then its text from HELP_COL. */
static int
help_entry(struct crm_buf *b, const struct crm_optdef *d)
{
	size_t start = b->len, col;
	const char *p, *nl;
	int rc = 0;

	if (d->key > 0 && d->key < CRM_OPT_OWN)
		rc |= crm_buf_addf(b, "  -%c, --%s", d->key, d->name);
	else
		rc |= crm_buf_addf(b, "  --%s", d->name);
	if (d->arg != NULL)
		rc |= crm_buf_addf(b, " %s", d->arg);
	col = b->len - start;
	if (col + 1 >= HELP_COL) {
		rc |= crm_buf_addc(b, '\n');
		col = 0;
	}
	for (p = d->help;; p = nl + 1) {
		rc |= crm_buf_addf(b, "%*s", (int)(HELP_COL - col), "");
		nl = strchr(p, '\n');
		rc |= crm_buf_add(
		    b, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		rc |= crm_buf_addc(b, '\n');
		if (nl == NULL)
			break;
		col = 0;
	}
	return rc != 0 ? -1 : 0;
}

int
crm_opt_help(const struct crm_cmd *cmd, struct crm_buf *b)
{
	struct crm_optdef *v;
	size_t i, n;
	int rc = 0;

	if (crm_opt_all(cmd, &v, &n) == -1)
		return -1;
	rc |= crm_buf_adds(b, cmd->synopsis);
	if (cmd->about != NULL)
		rc |= crm_buf_addf(b, "\n%s", cmd->about);
	rc |= crm_buf_addc(b, '\n');
	for (i = 0; i < n && rc == 0; i++)
		if (v[i].help != NULL)
			rc |= help_entry(b, &v[i]);
	if (cmd->status != NULL)
		rc |= crm_buf_addf(b, "\n%s", cmd->status);
	free(v);
	return rc != 0 ? -1 : 0;
}

int
crm_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (*s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
crm_parse_delimiter(const char *s)
{
	if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)
		return '\t';
	if (strlen(s) == 1 && strchr(",;|\t", s[0]) != NULL)
		return s[0];
	return -1;
}

int
crm_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	if (*s == '\0')
		return -1;
	v = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || isnan(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
