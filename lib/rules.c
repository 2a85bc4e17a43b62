/*
 * rules: reading rules files, and compiling and evaluating their SQL
 * expressions with SQLite (see rules.h).
 *
 * Every expression is compiled inside "WITH rec AS (SELECT ?1 AS "name1",
 * ?2 AS "name2", ...) SELECT (\n" expr "\n) FROM rec": the record's
 * fields are the columns of a one-row view made of parameters, which
 * SQLite's query flattener turns into plain parameter reads.  The names are found by
 * compiling: when SQLite reports "no such column" it also gives the
 * offset of the name in the SQL text, which is read from there, added,
 * and the expression compiled again.  The newlines keep a trailing "--"
 * comment inside the expression.  An expression must also compile inside
 * a second pair of parentheses, so that text closing the first pair and
 * going on as a query of its own ("1) FROM rec UNION SELECT (2") is
 * refused.  An authorizer allows only SELECT, the view rec and the
 * functions of a list, so an expression reads no table, not even
 * SQLite's own, and calls nothing that reaches outside its values.
 * Limits on the connection bound what one expression may make and do
 * (see rules.h).
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "buf.h"
#include "norm.h"
#include "rules.h"

/* ==== Rules files ==== */

static void
trim(char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static char *
dup_n(const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Split the text of one rule (lines joined) into f's next rule. */
static int
add_rule(struct crm_rulefile *f, struct crm_buf *text, const char *sep,
    int last, unsigned long line, struct crm_err *e)
{
	char *at, *l, *r, *next;
	size_t llen, rlen;
	struct crm_rule *nr;

	e->file = f->path;
	e->line = line;
	if ((at = strstr(text->p, sep)) == NULL)
		return crm_err_set(e, EX_DATAERR, "no '%s' in the rule", sep);
	while (last && (next = strstr(at + 1, sep)) != NULL)
		at = next;
	l = text->p;
	llen = (size_t)(at - text->p);
	r = at + strlen(sep);
	rlen = text->len - (size_t)(r - text->p);
	trim(&l, &llen);
	trim(&r, &rlen);
	if (llen == 0 || rlen == 0)
		return crm_err_set(e, EX_DATAERR, "nothing %s '%s' in the rule",
		    llen == 0 ? "before" : "after", sep);
	nr = crm_reallocarray(f->rule, f->n + 1, sizeof(*nr));
	if (nr == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	f->rule = nr;
	nr[f->n].line = line;
	nr[f->n].left = dup_n(l, llen);
	nr[f->n].right = dup_n(r, rlen);
	if (nr[f->n].left == NULL || nr[f->n].right == NULL) {
		free(nr[f->n].left);
		free(nr[f->n].right);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	f->n++;
	return 0;
}

int
crm_rulefile_read(struct crm_rulefile *f, const char *path, const char *sep,
    int last, struct crm_err *e)
{
	struct crm_buf text;
	unsigned long lineno = 0, start = 0;
	char *line = NULL;
	size_t cap = 0, bad;
	ssize_t n;
	FILE *fp;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	f->path = path;
	crm_buf_init(&text);
	if ((fp = fopen(path, "r")) == NULL)
		return crm_err_set(e, EX_NOINPUT, "cannot open '%s': %s", path,
		    strerror(errno));
	while (errno = 0, (n = getline(&line, &cap, fp)) != -1) {
		size_t len = (size_t)n;
		char *p = line;

		lineno++;
		e->file = path;
		e->line = lineno;
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		if (memchr(p, '\0', len) != NULL) {
			crm_err_set(e, EX_DATAERR, "NUL byte in the rules");
			goto out;
		}
		if (!crm_utf8_check(p, len, &bad)) {
			crm_err_set(e, EX_DATAERR,
			    "invalid UTF-8 at byte %zu of the line", bad + 1);
			goto out;
		}
		p[len] = '\0';
		if (len > 0 && (*p == ' ' || *p == '\t')) {
			char *q = p;
			size_t qlen = len;

			trim(&q, &qlen);
			if (qlen == 0 || *q == '#')
				continue;
			if (start == 0) {
				crm_err_set(e, EX_DATAERR,
				    "indented line with no rule above it");
				goto out;
			}
			if (crm_buf_addc(&text, '\n') == -1 ||
			    crm_buf_add(&text, p, len) == -1)
				goto nomem;
			continue;
		}
		if (start != 0 && add_rule(f, &text, sep, last, start, e) == -1)
			goto out;
		start = 0;
		crm_buf_reset(&text);
		if (len == 0 || *p == '#')
			continue;
		start = lineno;
		if (crm_buf_add(&text, p, len) == -1)
			goto nomem;
	}
	if (ferror(fp)) {
		e->line = 0;
		crm_err_set(
		    e, EX_IOERR, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	if (start != 0 && add_rule(f, &text, sep, last, start, e) == -1)
		goto out;
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(line);
	fclose(fp);
	crm_buf_release(&text);
	if (rc == -1)
		crm_rulefile_release(f);
	else
		e->line = 0;
	return rc;
}

void
crm_rulefile_release(struct crm_rulefile *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->rule[i].left);
		free(f->rule[i].right);
	}
	free(f->rule);
	f->rule = NULL;
	f->n = 0;
}

int
crm_rule_name_ok(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_.-";

	return s[strspn(s, ok)] == '\0';
}

int
crm_rule_settings(char *left, struct crm_rule_setting *set, size_t max,
    size_t *n, struct crm_err *e)
{
	char *p = left, *word, *eq;
	size_t i;

	*n = 0;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (p == left)
		return crm_err_set(
		    e, EX_DATAERR, "no name before the settings");
	while (*p != '\0') {
		while (isspace((unsigned char)*p))
			*p++ = '\0';
		if (*p == '\0')
			break;
		word = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if ((eq = strchr(word, '=')) == NULL || eq == word ||
		    eq[1] == '\0')
			return crm_err_set(e, EX_DATAERR,
			    "bad setting '%s' of '%s': want NAME=VALUE", word,
			    left);
		*eq = '\0';
		for (i = 0; i < *n; i++)
			if (strcmp(set[i].key, word) == 0)
				return crm_err_set(e, EX_DATAERR,
				    "'%s' names %s twice", left, word);
		if (*n == max)
			return crm_err_set(e, EX_DATAERR,
			    "'%s' has more than %zu settings", left, max);
		set[*n].key = word;
		set[(*n)++].value = eq + 1;
	}
	return 0;
}

/* ==== Expressions ==== */

struct expr {
	char *text;
	const char *file;
	unsigned long line;
	sqlite3_stmt *alone; /* this expression alone, to find a failing one */
};

struct crm_rules {
	sqlite3 *db;
	struct expr *x;
	size_t n;
	char **name; /* the field names used */
	size_t *user;
	size_t nname;
	sqlite3_stmt *all; /* every expression, one column each */
	int stale;	   /* all must be prepared again */
	int stepped;	   /* all holds a row */
	unsigned long gen; /* crm_rules_eval calls, for bound[] */
	unsigned long *bound;
	struct crm_poscache *cache; /* per source: field -> name index */
	size_t ncache;
	struct crm_buf sql, num;
	char denied[80];	/* why the authorizer refused, or "" */
	unsigned long ticks;	/* progress() calls since the last step */
	struct timespec t0, c0; /* when it began; CPU time once it is slow */
	int slow;		/* c0 is set */
	long max_ms;		/* the time one step may take */
	int timed_out;		/* progress() stopped it for the time */
};

/*
 * The functions a rule may call, sorted: SQLite's scalar functions that
 * compute a value from their arguments and the clock alone (text, numbers,
 * dates, JSON), and has().  Left out: what reads or changes the
 * connection or the process (load_extension, fts3_tokenizer, changes,
 * last_insert_rowid, sqlite_*), what is random (random, randomblob), what
 * only makes bulk (zeroblob), aggregates and window functions, full-text
 * and R-tree internals; and printf and format, which with a width of a
 * billion run for seconds even when SQLITE_LIMIT_LENGTH cuts the value.
 * A name SQLite does not have is harmless here.
 */
static const char *const allowed[] = {
	"->",
	"->>",
	"abs",
	"acos",
	"acosh",
	"asin",
	"asinh",
	"atan",
	"atan2",
	"atanh",
	"ceil",
	"ceiling",
	"char",
	"coalesce",
	"concat",
	"concat_ws",
	"cos",
	"cosh",
	"current_date",
	"current_time",
	"current_timestamp",
	"date",
	"datetime",
	"degrees",
	"exp",
	"floor",
	"glob",
	"has",
	"hex",
	"ifnull",
	"iif",
	"instr",
	"json",
	"json_array",
	"json_array_length",
	"json_extract",
	"json_insert",
	"json_object",
	"json_patch",
	"json_quote",
	"json_remove",
	"json_replace",
	"json_set",
	"json_type",
	"json_valid",
	"julianday",
	"length",
	"like",
	"likelihood",
	"likely",
	"ln",
	"log",
	"log10",
	"log2",
	"lower",
	"ltrim",
	"max",
	"min",
	"mod",
	"nullif",
	"octet_length",
	"pi",
	"pow",
	"power",
	"quote",
	"radians",
	"replace",
	"round",
	"rtrim",
	"sign",
	"sin",
	"sinh",
	"soundex",
	"sqrt",
	"strftime",
	"substr",
	"substring",
	"tan",
	"tanh",
	"time",
	"timediff",
	"trim",
	"trunc",
	"typeof",
	"unicode",
	"unixepoch",
	"unlikely",
	"upper",
};

static int
cmp_name(const void *a, const void *b)
{
	return strcasecmp(a, *(const char *const *)b);
}

int
crm_rules_allowed(const char *fn)
{
	return bsearch(fn, allowed, sizeof(allowed) / sizeof(allowed[0]),
		   sizeof(allowed[0]), cmp_name) != NULL;
}

/*
 * Only SELECT (the expression's own and its subqueries), the record's
 * view and the allowed functions; the first function refused is kept for
 * the message.  SQLite asks to read the view (no database, no column)
 * when an expression uses none of its columns.
 */
static int
authorize(void *arg, int action, const char *a, const char *b, const char *db,
    const char *trigger)
{
	struct crm_rules *rs = arg;

	(void)trigger;
	if (action == SQLITE_SELECT)
		return SQLITE_OK;
	if (action == SQLITE_READ && db == NULL && a != NULL &&
	    strcmp(a, "rec") == 0)
		return SQLITE_OK;
	if (action == SQLITE_FUNCTION && b != NULL && crm_rules_allowed(b))
		return SQLITE_OK;
	if (rs->denied[0] != '\0')
		return SQLITE_DENY;
	if (action == SQLITE_FUNCTION)
		snprintf(rs->denied, sizeof(rs->denied),
		    "function '%.40s' is not allowed in a rule", b ? b : "?");
	else if (action == SQLITE_RECURSIVE)
		snprintf(rs->denied, sizeof(rs->denied),
		    "a recursive query is not allowed in a rule");
	return SQLITE_DENY;
}

/*
 * Called every TICK steps of SQLite's machine: stop a statement that has
 * run for more than CRM_RULES_MAX_STEPS since allowance(), or for more
 * than rs->max_ms of CPU time (a function called on a long value is one
 * step, however long it takes).  The CPU clock, a system call, is read
 * only once a statement has taken SLOW_MS of real time, and counted from
 * there: a stopped process is not cut short, and a quick one pays for a
 * read of the real clock only.
 */
#define TICK	100
#define SLOW_MS 100

static long
ms_since(const struct timespec *t0, clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (long)(now.tv_sec - t0->tv_sec) * 1000 +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int
progress(void *arg)
{
	struct crm_rules *rs = arg;

	if (++rs->ticks > CRM_RULES_MAX_STEPS / TICK)
		return 1;
	if (!rs->slow) {
		if (ms_since(&rs->t0, CLOCK_MONOTONIC) <
		    (rs->max_ms < SLOW_MS ? rs->max_ms : SLOW_MS))
			return 0;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &rs->c0);
		rs->slow = 1;
	}
	if (ms_since(&rs->c0, CLOCK_THREAD_CPUTIME_ID) <= rs->max_ms)
		return 0;
	rs->timed_out = 1;
	return 1;
}

/* A new allowance of steps and time, for the next statement. */
static void
allowance(struct crm_rules *rs)
{
	rs->ticks = 0;
	rs->timed_out = 0;
	rs->slow = 0;
	clock_gettime(CLOCK_MONOTONIC, &rs->t0);
}

void
crm_rules_time_limit(struct crm_rules *rs, long ms)
{
	rs->max_ms = ms;
}

/*
 * has(list, word): 1 when word is one of the comma-separated words of
 * list (white space around a word ignored), else 0; NULL when either is
 * NULL.  For fields that hold lists, such as a customer's tags; SQLite's
 * own functions would need a LIKE on ',' || list || ',' to say it.
 */
static void
has_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *list, *word, *p, *end, *a, *b;
	size_t wlen;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(cx);
		return;
	}
	list = (const char *)sqlite3_value_text(argv[0]);
	end = list + sqlite3_value_bytes(argv[0]);
	word = (const char *)sqlite3_value_text(argv[1]);
	wlen = (size_t)sqlite3_value_bytes(argv[1]);
	for (p = list; list != NULL && word != NULL && p <= end; p = b + 1) {
		if ((b = memchr(p, ',', (size_t)(end - p))) == NULL)
			b = end;
		for (a = p; a < b && isspace((unsigned char)*a); a++)
			;
		for (p = b; p > a && isspace((unsigned char)p[-1]); p--)
			;
		if ((size_t)(p - a) == wlen && memcmp(a, word, wlen) == 0) {
			sqlite3_result_int(cx, 1);
			return;
		}
	}
	sqlite3_result_int(cx, 0);
}

/*
 * instr(), replace() and trim() as SQLite's, in time linear in their
 * arguments: SQLite's own compare the pattern at every byte, which a rule
 * can make take seconds with two values of half a megabyte.  Same
 * results, NULL handling and types.
 */

/* The first match of n (nl bytes) in h at a character boundary, or NULL. */
static const unsigned char *
find(const unsigned char *h, size_t hl, const unsigned char *n, size_t nl,
    int text)
{
	const unsigned char *p = h, *at, *end = h + hl;

	for (;;) {
		/* one byte, the common case, without a call per match */
		if (nl == 1) {
			for (at = p; at < end && *at != *n; at++)
				;
			if (at == end)
				return NULL;
		} else if ((at = memmem(p, (size_t)(end - p), n, nl)) == NULL)
			return NULL;
		/* SQLite tries the first byte and each character's start */
		if (!text || at == h || (at[0] & 0xc0) != 0x80)
			return at;
		p = at + 1;
	}
}

static void
instr_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int t0 = sqlite3_value_type(argv[0]), t1 = sqlite3_value_type(argv[1]);
	const unsigned char *h, *n, *at, *p;
	size_t hl, nl;
	long long pos = 1;
	int text = !(t0 == SQLITE_BLOB && t1 == SQLITE_BLOB);

	(void)argc;
	if (t0 == SQLITE_NULL || t1 == SQLITE_NULL)
		return;
	h = text ? sqlite3_value_text(argv[0]) : sqlite3_value_blob(argv[0]);
	hl = (size_t)sqlite3_value_bytes(argv[0]);
	n = text ? sqlite3_value_text(argv[1]) : sqlite3_value_blob(argv[1]);
	nl = (size_t)sqlite3_value_bytes(argv[1]);
	if (nl == 0) {
		sqlite3_result_int(cx, 1);
		return;
	}
	if (n == NULL || (hl > 0 && h == NULL)) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	if (hl < nl || (at = find(h, hl, n, nl, text)) == NULL) {
		sqlite3_result_int(cx, 0);
		return;
	}
	if (!text)
		pos += at - h;
	else if (at > h)
		for (pos++, p = h + 1; p < at; p++)
			pos += (*p & 0xc0) != 0x80;
	sqlite3_result_int64(cx, pos);
}

static void
replace_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const unsigned char *s, *pat, *rep, *p, *at;
	size_t sl, pl, rl, count = 0, len;
	unsigned char *out, *o;

	(void)argc;
	if ((s = sqlite3_value_text(argv[0])) == NULL)
		return;
	sl = (size_t)sqlite3_value_bytes(argv[0]);
	if ((pat = sqlite3_value_text(argv[1])) == NULL)
		return;
	if (pat[0] == '\0') {
		sqlite3_result_value(cx, argv[0]);
		return;
	}
	pl = (size_t)sqlite3_value_bytes(argv[1]);
	if ((rep = sqlite3_value_text(argv[2])) == NULL)
		return;
	rl = (size_t)sqlite3_value_bytes(argv[2]);
	/* the length first: nothing longer than a value is ever made */
	for (p = s; (at = find(p, sl - (size_t)(p - s), pat, pl, 0)) != NULL;
	     p = at + pl) {
		count++;
		if (sl - count * pl + count * rl > CRM_RULES_MAX_VALUE) {
			sqlite3_result_error_toobig(cx);
			return;
		}
	}
	len = sl - count * pl + count * rl;
	if ((out = sqlite3_malloc64(len + 1)) == NULL) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	for (p = s, o = out;
	     (at = find(p, sl - (size_t)(p - s), pat, pl, 0)) != NULL;
	     p = at + pl) {
		memcpy(o, p, (size_t)(at - p));
		o += at - p;
		memcpy(o, rep, rl);
		o += rl;
	}
	memcpy(o, p, sl - (size_t)(p - s));
	out[len] = '\0';
	sqlite3_result_text64(cx, (char *)out, len, sqlite3_free, SQLITE_UTF8);
}

/* One character of a trim() set: its bytes and its place in the set. */
struct tchar {
	const unsigned char *p;
	size_t len, at;
};

/* The characters of a set, sorted, one of each, by length in groups. */
struct tset {
	struct tchar *c;
	size_t n;
	size_t *group; /* where each length starts in c, and n at the end */
	size_t ngroup;
};

static int
cmp_tchar(const void *a, const void *b)
{
	const struct tchar *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->p, y->p, x->len)) != 0)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

/*
 * Split cs into the characters SQLite sees (a byte, and after one of
 * 0xc0 or more the continuation bytes that follow, even in invalid
 * UTF-8), keeping the first of equal ones.  -1 when out of memory.
 */
static int
tset_make(struct tset *t, const unsigned char *cs)
{
	const unsigned char *z;
	size_t k, j;

	memset(t, 0, sizeof(*t));
	for (z = cs; *z != '\0'; t->n++)
		if (*z++ >= 0xc0)
			while ((*z & 0xc0) == 0x80)
				z++;
	if (t->n == 0)
		return 0;
	t->c = sqlite3_malloc64(t->n * sizeof(*t->c));
	t->group = sqlite3_malloc64((t->n + 1) * sizeof(*t->group));
	if (t->c == NULL || t->group == NULL)
		return -1;
	for (k = 0, z = cs; *z != '\0'; k++) {
		t->c[k].p = z;
		t->c[k].at = k;
		if (*z++ >= 0xc0)
			while ((*z & 0xc0) == 0x80)
				z++;
		t->c[k].len = (size_t)(z - t->c[k].p);
	}
	qsort(t->c, t->n, sizeof(*t->c), cmp_tchar);
	for (k = j = 0; k < t->n; k++)
		if (j == 0 || t->c[k].len != t->c[j - 1].len ||
		    memcmp(t->c[k].p, t->c[j - 1].p, t->c[k].len) != 0)
			t->c[j++] = t->c[k];
	t->n = j;
	for (k = 0; k < t->n; k++)
		if (k == 0 || t->c[k].len != t->c[k - 1].len)
			t->group[t->ngroup++] = k;
	t->group[t->ngroup] = t->n;
	return 0;
}

/* The place in the set of the character q (len bytes), or (size_t)-1. */
static size_t
tset_find(const struct tset *t, size_t g, const unsigned char *q, size_t len)
{
	size_t lo = t->group[g], hi = t->group[g + 1], mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = memcmp(t->c[mid].p, q, len)) == 0)
			return t->c[mid].at;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

/*
 * The length of the set character that s (n bytes) begins with, or ends
 * with when tail is set; the one earliest in the set when several do, as
 * SQLite tries them in order; 0 when none.  Only lengths the bytes of s
 * allow are looked for: one byte, or a byte of 0xc0 or more and the
 * continuation bytes after it.
 */
static size_t
tset_match(const struct tset *t, const unsigned char *s, size_t n, int tail)
{
	size_t g, len, at, best = 0, best_at = (size_t)-1, max = 1, one = 0;

	if (tail) {
		while (one < n && (s[n - 1 - one] & 0xc0) == 0x80)
			one++;
		/* one byte, or all of the last character */
		max = one < n && s[n - 1 - one] >= 0xc0 ? one + 1 : 1;
	} else if (s[0] >= 0xc0) {
		while (max < n && (s[max] & 0xc0) == 0x80)
			max++;
	}
	for (g = 0; g < t->ngroup; g++) {
		len = t->c[t->group[g]].len;
		if (len > max)
			break;
		if (tail && len != 1 && len != max)
			continue;
		at = tset_find(t, g, tail ? s + n - len : s, len);
		if (at < best_at) {
			best = len;
			best_at = at;
		}
	}
	return best;
}

static void
trim_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	static const unsigned char space[] = " ";
	static size_t space_group[] = { 0, 1 };
	int flags = (int)(size_t)sqlite3_user_data(cx);
	struct tchar one = { space, 1, 0 };
	struct tset t = { &one, 1, space_group, 1 };
	const unsigned char *s, *cs;
	size_t n, k;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    (s = sqlite3_value_text(argv[0])) == NULL)
		return;
	n = (size_t)sqlite3_value_bytes(argv[0]);
	if (argc == 2) {
		if ((cs = sqlite3_value_text(argv[1])) == NULL)
			return;
		if (tset_make(&t, cs) == -1) {
			sqlite3_result_error_nomem(cx);
			goto out;
		}
	}
	while ((flags & 1) && n > 0 && t.n > 0 &&
	       (k = tset_match(&t, s, n, 0)) > 0)
		s += k, n -= k;
	while ((flags & 2) && n > 0 && t.n > 0 &&
	       (k = tset_match(&t, s, n, 1)) > 0)
		n -= k;
	sqlite3_result_text64(
	    cx, (const char *)s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
out:
	if (argc == 2) {
		sqlite3_free(t.c);
		sqlite3_free(t.group);
	}
}

/* Our functions, and our own instr(), replace() and trim(). */
static const struct {
	const char *name;
	int narg, flags;
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
} fns[] = {
	{ "has", 2, 0, has_fn },
	{ "instr", 2, 0, instr_fn },
	{ "replace", 3, 0, replace_fn },
	{ "ltrim", 1, 1, trim_fn },
	{ "ltrim", 2, 1, trim_fn },
	{ "rtrim", 1, 2, trim_fn },
	{ "rtrim", 2, 2, trim_fn },
	{ "trim", 1, 3, trim_fn },
	{ "trim", 2, 3, trim_fn },
};

struct crm_rules *
crm_rules_new(struct crm_err *e)
{
	struct crm_rules *rs;
	size_t i;

	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	crm_buf_init(&rs->sql);
	crm_buf_init(&rs->num);
	if (sqlite3_open_v2(":memory:", &rs->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		crm_err_set(e, EX_SOFTWARE, "cannot open SQLite: %s",
		    rs->db ? sqlite3_errmsg(rs->db) : "out of memory");
		crm_rules_free(rs);
		return NULL;
	}
	/* "name" is always a name, never a string */
	sqlite3_db_config(rs->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
	sqlite3_db_config(rs->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
	sqlite3_db_config(
	    rs->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (sqlite3_create_function_v2(rs->db, fns[i].name, fns[i].narg,
			SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
			(void *)(size_t)fns[i].flags, fns[i].fn, NULL, NULL,
			NULL) != SQLITE_OK) {
			crm_err_set(e, EX_SOFTWARE, "cannot add %s(): %s",
			    fns[i].name, sqlite3_errmsg(rs->db));
			crm_rules_free(rs);
			return NULL;
		}
	sqlite3_db_config(rs->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_limit(rs->db, SQLITE_LIMIT_LENGTH, CRM_RULES_MAX_VALUE);
	sqlite3_limit(rs->db, SQLITE_LIMIT_SQL_LENGTH, CRM_RULES_MAX_SQL);
	sqlite3_limit(rs->db, SQLITE_LIMIT_EXPR_DEPTH, CRM_RULES_MAX_DEPTH);
	sqlite3_limit(rs->db, SQLITE_LIMIT_FUNCTION_ARG, CRM_RULES_MAX_ARGS);
	sqlite3_limit(
	    rs->db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, CRM_RULES_MAX_LIKE);
	sqlite3_limit(rs->db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_progress_handler(rs->db, TICK, progress, rs);
	sqlite3_set_authorizer(rs->db, authorize, rs);
	rs->max_ms = CRM_RULES_MAX_SECONDS * 1000L;
	rs->stale = 1;
	return rs;
}

void
crm_rules_free(struct crm_rules *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		free(rs->x[i].text);
		sqlite3_finalize(rs->x[i].alone);
	}
	free(rs->x);
	for (i = 0; i < rs->nname; i++)
		free(rs->name[i]);
	free(rs->name);
	free(rs->user);
	free(rs->bound);
	for (i = 0; i < rs->ncache; i++)
		crm_poscache_release(&rs->cache[i]);
	free(rs->cache);
	sqlite3_finalize(rs->all);
	sqlite3_close(rs->db);
	crm_buf_release(&rs->sql);
	crm_buf_release(&rs->num);
	free(rs);
}

size_t
crm_rules_count(const struct crm_rules *rs)
{
	return rs->n;
}

const char *
crm_rules_file(const struct crm_rules *rs, size_t i)
{
	return rs->x[i].file;
}

unsigned long
crm_rules_line(const struct crm_rules *rs, size_t i)
{
	return rs->x[i].line;
}

size_t
crm_rules_nnames(const struct crm_rules *rs)
{
	return rs->nname;
}

const char *
crm_rules_name(const struct crm_rules *rs, size_t i)
{
	return rs->name[i];
}

size_t
crm_rules_name_user(const struct crm_rules *rs, size_t i)
{
	return rs->user[i];
}

/* Append name as a quoted SQL identifier. */
static int
quote_name(struct crm_buf *b, const char *name)
{
	const char *q;
	int bad = crm_buf_addc(b, '"');

	while ((q = strchr(name, '"')) != NULL) {
		bad |= crm_buf_add(b, name, (size_t)(q - name + 1));
		bad |= crm_buf_addc(b, '"');
		name = q + 1;
	}
	bad |= crm_buf_adds(b, name);
	return bad | crm_buf_addc(b, '"');
}

/*
 * The WITH clause that makes the names the columns of the record: it
 * comes first, so that its parameters are ?1 to ?N whatever an
 * expression holds.
 */
static int
add_with(struct crm_rules *rs, struct crm_buf *b)
{
	size_t i;
	int bad = 0;

	if (rs->nname == 0)
		return 0;
	bad |= crm_buf_adds(b, "WITH rec AS (SELECT ");
	for (i = 0; i < rs->nname; i++) {
		bad |= crm_buf_addf(b, "%s?%zu AS ", i ? ", " : "", i + 1);
		bad |= quote_name(b, rs->name[i]);
	}
	return bad | crm_buf_adds(b, ") ");
}

/*
 * The SQL of expressions [first, first + n), each in `depth` pairs of
 * parentheses; *off is where the first one starts.
 */
static int
build_sql(struct crm_rules *rs, size_t first, size_t n, int depth, size_t *off)
{
	struct crm_buf *b = &rs->sql;
	size_t i;
	int bad = 0, d;

	crm_buf_reset(b);
	bad |= add_with(rs, b);
	bad |= crm_buf_adds(b, "SELECT ");
	for (i = 0; i < n; i++) {
		if (i > 0)
			bad |= crm_buf_adds(b, ", ");
		for (d = 0; d < depth; d++)
			bad |= crm_buf_addc(b, '(');
		bad |= crm_buf_addc(b, '\n');
		if (i == 0 && off != NULL)
			*off = b->len;
		bad |= crm_buf_adds(b, rs->x[first + i].text);
		bad |= crm_buf_addc(b, '\n');
		for (d = 0; d < depth; d++)
			bad |= crm_buf_addc(b, ')');
	}
	if (rs->nname > 0)
		bad |= crm_buf_adds(b, " FROM rec");
	return bad ? -1 : 0;
}

/*
 * The identifier at p, unquoted, into out: "x""y", [x y], `x``y` or a bare
 * word.  Returns the end of it, or NULL when there is none.
 */
static const char *
ident_at(const char *p, struct crm_buf *out)
{
	char close = *p == '"' ? '"' : *p == '[' ? ']' : *p == '`' ? '`' : 0;
	const char *s;

	crm_buf_reset(out);
	if (close != 0) {
		for (s = p + 1; *s != '\0'; s++) {
			if (*s == close && (close == ']' || s[1] != close))
				break;
			if (*s == close)
				s++;
			if (crm_buf_addc(out, *s) == -1)
				return NULL;
		}
		return *s == close && out->len > 0 ? s + 1 : NULL;
	}
	for (s = p; isalnum((unsigned char)*s) || *s == '_' || *s == '$' ||
		    (unsigned char)*s >= 0x80;
	     s++)
		;
	if (s == p || crm_buf_add(out, p, (size_t)(s - p)) == -1)
		return NULL;
	return s;
}

static long
find_name(const struct crm_rules *rs, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < rs->nname; i++)
		if (strncasecmp(rs->name[i], name, len) == 0 &&
		    rs->name[i][len] == '\0')
			return (long)i;
	return -1;
}

static int
add_name(struct crm_rules *rs, const char *name, size_t user)
{
	char **nn;
	size_t *nu;
	unsigned long *nb;

	if ((nn = crm_reallocarray(rs->name, rs->nname + 1, sizeof(*nn))) ==
	    NULL)
		return -1;
	rs->name = nn;
	if ((nu = crm_reallocarray(rs->user, rs->nname + 1, sizeof(*nu))) ==
	    NULL)
		return -1;
	rs->user = nu;
	if ((nb = crm_reallocarray(rs->bound, rs->nname + 1, sizeof(*nb))) ==
	    NULL)
		return -1;
	rs->bound = nb;
	if ((nn[rs->nname] = strdup(name)) == NULL)
		return -1;
	nu[rs->nname] = user;
	nb[rs->nname] = 0;
	rs->nname++;
	return 0;
}

/*
 * Whether SQLite's "no such column: ..." message names name, bare or (as
 * newer releases write a double-quoted one) in quotes.
 */
static int
names(const char *msg, const struct crm_buf *name)
{
	if (strncmp(msg, name->p, name->len) == 0 && msg[name->len] == '\0')
		return 1;
	return msg[0] == '"' && strncmp(msg + 1, name->p, name->len) == 0 &&
	       msg[name->len + 1] == '"';
}

/* The message for a failed prepare of rule x. */
static int
compile_error(struct crm_rules *rs, const struct expr *x, struct crm_err *e)
{
	const char *msg = sqlite3_errmsg(rs->db);

	e->file = x->file;
	e->line = x->line;
	if (strncmp(msg, "not authorized", 14) == 0 && rs->denied[0] != '\0')
		return crm_err_set(e, EX_DATAERR, "%s", rs->denied);
	if (strcmp(msg, "not authorized") == 0 ||
	    strncmp(msg, "no such table", 13) == 0)
		msg = "an expression may read only the record's fields";
	if (sqlite3_errcode(rs->db) == SQLITE_TOOBIG)
		return crm_err_set(e, EX_DATAERR,
		    "the rules are longer than %d bytes of SQL",
		    CRM_RULES_MAX_SQL);
	return crm_err_set(e, EX_DATAERR, "%s", msg);
}

/* Parameters other than the names' own are not allowed. */
static int
check_params(struct crm_rules *rs, sqlite3_stmt *st)
{
	int i, n = sqlite3_bind_parameter_count(st);
	const char *p;
	char want[32];

	if (n != (int)rs->nname)
		return -1;
	for (i = 1; i <= n; i++) {
		p = sqlite3_bind_parameter_name(st, i);
		snprintf(want, sizeof(want), "?%d", i);
		if (p == NULL || strcmp(p, want) != 0)
			return -1;
	}
	return 0;
}

long
crm_rules_add(struct crm_rules *rs, const char *expr, const char *file,
    unsigned long line, struct crm_err *e)
{
	struct expr *x, *nx;
	struct crm_buf name;
	sqlite3_stmt *st = NULL;
	size_t off = 0, before = rs->nname;
	const char *end, *msg;
	int rc, eo;

	nx = crm_reallocarray(rs->x, rs->n + 1, sizeof(*nx));
	if (nx == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	rs->x = nx;
	x = &nx[rs->n];
	memset(x, 0, sizeof(*x));
	x->file = file;
	x->line = line;
	if ((x->text = strdup(expr)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	crm_buf_init(&name);
	for (;;) {
		if (build_sql(rs, rs->n, 1, 1, &off) == -1)
			goto nomem;
		rs->denied[0] = '\0';
		allowance(rs);
		rc = sqlite3_prepare_v2(
		    rs->db, rs->sql.p, (int)rs->sql.len, &st, &end);
		if (rc == SQLITE_OK)
			break;
		msg = sqlite3_errmsg(rs->db);
		eo = sqlite3_error_offset(rs->db);
		if (strncmp(msg, "no such column: ", 16) != 0 || eo < 0 ||
		    (size_t)eo < off)
			goto fail;
		end = ident_at(rs->sql.p + eo, &name);
		if (name.len == 0 && end == NULL)
			goto fail;
		while (end != NULL && isspace((unsigned char)*end))
			end++;
		/* a qualified name, or one SQLite reads differently */
		if (end == NULL || *end == '.' || !names(msg + 16, &name) ||
		    find_name(rs, name.p, name.len) >= 0)
			goto fail;
		if (add_name(rs, name.p, rs->n) == -1)
			goto nomem;
	}
	if (sqlite3_column_count(st) != 1 || *end != '\0' ||
	    check_params(rs, st) == -1) {
		sqlite3_finalize(st);
		goto not_one;
	}
	sqlite3_finalize(st);
	if (build_sql(rs, rs->n, 1, 2, NULL) == -1)
		goto nomem;
	allowance(rs);
	if (sqlite3_prepare_v2(
		rs->db, rs->sql.p, (int)rs->sql.len, &st, NULL) != SQLITE_OK)
		goto not_one;
	sqlite3_finalize(st);
	crm_buf_release(&name);
	rs->stale = 1;
	return (long)rs->n++;
not_one:
	e->file = file;
	e->line = line;
	crm_err_set(e, EX_DATAERR,
	    "not one SQL expression (a query, a parameter or a ';' is not "
	    "allowed)");
	goto drop;
fail:
	compile_error(rs, x, e);
	goto drop;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
drop:
	/* forget the names only this expression brought */
	while (rs->nname > before)
		free(rs->name[--rs->nname]);
	free(x->text);
	crm_buf_release(&name);
	return -1;
}

/* ==== Evaluation ==== */

int
crm_rules_number(const char *p, size_t len, long long *iv, double *dv)
{
	size_t i = 0, digits;
	int integral = 1;
	char buf[64], *end;

	if (len == 0)
		return 0;
	if (p[i] == '-')
		i++;
	if (i < len && p[i] == '0')
		i++;
	else if (i < len && p[i] >= '1' && p[i] <= '9')
		while (i < len && isdigit((unsigned char)p[i]))
			i++;
	else
		return 3;
	if (i < len && p[i] == '.') {
		integral = 0;
		for (digits = ++i; i < len && isdigit((unsigned char)p[i]); i++)
			;
		if (i == digits)
			return 3;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		integral = 0;
		if (++i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		for (digits = i; i < len && isdigit((unsigned char)p[i]); i++)
			;
		if (i == digits)
			return 3;
	}
	if (i != len || len >= sizeof(buf))
		return 3;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	if (integral) {
		*iv = strtoll(buf, &end, 10);
		if (errno == 0)
			return 1;
		errno = 0;
	}
	*dv = strtod(buf, &end);
	return 2;
}

/* Bind field value v (of type t) to parameter k. */
static int
bind_value(sqlite3_stmt *st, int k, const char *v, size_t len, enum crm_type t,
    int untyped)
{
	long long iv;
	double dv;

	switch (t) {
	case CRM_NULL:
		return sqlite3_bind_null(st, k);
	case CRM_TRUE:
	case CRM_FALSE:
		return sqlite3_bind_int(st, k, t == CRM_TRUE);
	case CRM_NUMBER:
		switch (crm_rules_number(v, len, &iv, &dv)) {
		case 1:
			return sqlite3_bind_int64(st, k, iv);
		case 2:
			return sqlite3_bind_double(st, k, dv);
		default: /* not JSON's grammar: keep the text */
			break;
		}
		break;
	case CRM_STRING:
		if (!untyped)
			break;
		switch (crm_rules_number(v, len, &iv, &dv)) {
		case 0:
			return sqlite3_bind_null(st, k);
		case 1:
			return sqlite3_bind_int64(st, k, iv);
		case 2:
			return sqlite3_bind_double(st, k, dv);
		default:
			break;
		}
		break;
	case CRM_JSON:
		break;
	}
	return sqlite3_bind_text64(st, k, v, len, SQLITE_STATIC, SQLITE_UTF8);
}

/*
 * Prepare the statement of every expression: 0, -1 when out of memory,
 * or CRM_RULES_LIMIT when they are too much for SQLite together.
 */
static int
prepare_all(struct crm_rules *rs, struct crm_err *e)
{
	sqlite3_finalize(rs->all);
	rs->all = NULL;
	if (build_sql(rs, 0, rs->n, 1, NULL) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	allowance(rs);
	if (sqlite3_prepare_v2(rs->db, rs->sql.p, (int)rs->sql.len, &rs->all,
		NULL) == SQLITE_OK) {
		rs->stale = 0;
		return 0;
	}
	/* each compiled alone: only a limit can stop them together */
	if (sqlite3_errcode(rs->db) == SQLITE_NOMEM)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	e->file = rs->x[0].file;
	e->line = 0;
	e->field[0] = '\0';
	if (sqlite3_errcode(rs->db) == SQLITE_TOOBIG)
		crm_err_set(e, EX_DATAERR,
		    "the rules are longer than %d bytes of SQL",
		    CRM_RULES_MAX_SQL);
	else
		crm_err_set(e, EX_DATAERR, "the rules cannot be compiled: %s",
		    sqlite3_errmsg(rs->db));
	return CRM_RULES_LIMIT;
}

/* Bind the values of the names from the sources to st. */
static int
bind_all(struct crm_rules *rs, sqlite3_stmt *st,
    const struct crm_rules_src *src, size_t n, struct crm_err *e)
{
	size_t s, i, len, nlen;
	const char *name, *v;
	long k;
	int rc;

	if (n > rs->ncache) {
		struct crm_poscache *c;

		c = crm_reallocarray(rs->cache, n, sizeof(*c));
		if (c == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		memset(c + rs->ncache, 0, (n - rs->ncache) * sizeof(*c));
		rs->cache = c;
		rs->ncache = n;
	}
	rs->gen++;
	for (s = 0; s < n; s++) {
		const struct crm_rec *r = src[s].rec;

		for (i = 0; r != NULL && i < crm_rec_count(r); i++) {
			if (!crm_poscache_get(&rs->cache[s], r, i, &k)) {
				name = crm_rec_name(r, i, &nlen);
				k = memchr(name, '\0', nlen) != NULL
					? -1
					: find_name(rs, name, nlen);
				if (crm_poscache_set(&rs->cache[s], r, i, k) ==
				    -1)
					return crm_err_set(
					    e, EX_SOFTWARE, "out of memory");
			}
			if (k < 0 || rs->bound[k] == rs->gen)
				continue;
			rs->bound[k] = rs->gen;
			v = crm_rec_value(r, i, &len);
			rc = bind_value(st, (int)k + 1, v, len,
			    crm_rec_type(r, i), src[s].untyped);
			if (rc == SQLITE_TOOBIG) {
				crm_err_field(
				    e, rs->name[k], strlen(rs->name[k]));
				return crm_err_set(e, EX_DATAERR,
				    "longer than %d bytes, the most a rule "
				    "may read",
				    CRM_RULES_MAX_VALUE);
			}
			if (rc != SQLITE_OK)
				return crm_err_set(e, EX_SOFTWARE,
				    "cannot bind '%s': %s", rs->name[k],
				    sqlite3_errmsg(rs->db));
		}
	}
	for (i = 0; i < rs->nname; i++)
		if (rs->bound[i] != rs->gen)
			sqlite3_bind_null(st, (int)i + 1);
	return 0;
}

/* Step st with a new allowance of work: SQLITE_ROW, or the error. */
static int
step(struct crm_rules *rs, sqlite3_stmt *st)
{
	allowance(rs);
	return sqlite3_step(st);
}

/* The message for who, stopped by the steps or the time; CRM_RULES_LIMIT. */
static int
too_long(
    const struct crm_rules *rs, int timed, const char *who, struct crm_err *e)
{
	if (!timed)
		crm_err_set(e, EX_DATAERR,
		    "%s ran for more than %d steps on one record", who,
		    CRM_RULES_MAX_STEPS);
	else if (rs->max_ms % 1000 == 0)
		crm_err_set(e, EX_DATAERR,
		    "%s ran for more than %ld seconds of CPU time on one "
		    "record",
		    who, rs->max_ms / 1000);
	else
		crm_err_set(e, EX_DATAERR,
		    "%s ran for more than %ld ms of CPU time on one record",
		    who, rs->max_ms);
	return CRM_RULES_LIMIT;
}

/*
 * The whole statement failed with rc: find the expression that did, for
 * e.  Each runs alone with an allowance of its own.
 */
static int
blame(struct crm_rules *rs, const struct crm_rules_src *src, size_t n, int rc,
    struct crm_err *e)
{
	struct expr *x;
	size_t i;
	int all_rc = rc, all_timed = rs->timed_out;

	for (i = 0; i < rs->n; i++) {
		x = &rs->x[i];
		if (x->alone == NULL &&
		    (build_sql(rs, i, 1, 1, NULL) == -1 ||
			sqlite3_prepare_v2(rs->db, rs->sql.p, (int)rs->sql.len,
			    &x->alone, NULL) != SQLITE_OK))
			break;
		if (bind_all(rs, x->alone, src, n, e) == -1)
			return -1;
		rc = step(rs, x->alone);
		sqlite3_reset(x->alone);
		if (rc == SQLITE_ROW)
			continue;
		if (rc == SQLITE_INTERRUPT) {
			/* the same on every record: not the record's fault */
			e->file = x->file;
			e->line = x->line;
			e->field[0] = '\0';
			return too_long(rs, rs->timed_out, "the rule", e);
		}
		if (rc == SQLITE_TOOBIG)
			crm_err_set(e, EX_DATAERR,
			    "%s:%lu: the rule made a value longer than %d "
			    "bytes",
			    x->file ? x->file : "rule", x->line,
			    CRM_RULES_MAX_VALUE);
		else if (strcmp(sqlite3_errmsg(rs->db), "LIKE or GLOB pattern "
							"too complex") == 0)
			crm_err_set(e, EX_DATAERR,
			    "%s:%lu: a LIKE or GLOB pattern longer than %d "
			    "bytes",
			    x->file ? x->file : "rule", x->line,
			    CRM_RULES_MAX_LIKE);
		else
			crm_err_set(e, EX_DATAERR, "%s:%lu: %s",
			    x->file ? x->file : "rule", x->line,
			    sqlite3_errmsg(rs->db));
		return -1;
	}
	if (all_rc == SQLITE_INTERRUPT) {
		/* no rule alone, but all of them together */
		e->file = rs->x[0].file;
		e->line = 0;
		e->field[0] = '\0';
		return too_long(rs, all_timed, "the rules", e);
	}
	return crm_err_set(
	    e, EX_DATAERR, "the rules failed: %s", sqlite3_errmsg(rs->db));
}

int
crm_rules_eval(struct crm_rules *rs, const struct crm_rules_src *src, size_t n,
    struct crm_err *e)
{
	int rc;

	if (rs->n == 0)
		return 0;
	if (rs->stale && (rc = prepare_all(rs, e)) < 0)
		return rc;
	if (rs->stepped)
		sqlite3_reset(rs->all);
	rs->stepped = 0;
	if (bind_all(rs, rs->all, src, n, e) == -1)
		return -1;
	rc = step(rs, rs->all);
	if (rc == SQLITE_ROW) {
		rs->stepped = 1;
		return 0;
	}
	sqlite3_reset(rs->all);
	return blame(rs, src, n, rc, e);
}

int
crm_rules_match(const struct crm_rules *rs, size_t i)
{
	switch (sqlite3_column_type(rs->all, (int)i)) {
	case SQLITE_NULL:
		return 0;
	case SQLITE_INTEGER:
		return sqlite3_column_int64(rs->all, (int)i) != 0;
	default:
		return sqlite3_column_double(rs->all, (int)i) != 0.0;
	}
}

const char *
crm_rules_value(
    struct crm_rules *rs, size_t i, size_t *len, enum crm_type *type)
{
	int t = sqlite3_column_type(rs->all, (int)i);
	const char *v;

	*type = t == SQLITE_NULL			   ? CRM_NULL
		: t == SQLITE_INTEGER || t == SQLITE_FLOAT ? CRM_NUMBER
							   : CRM_STRING;
	if (t == SQLITE_NULL) {
		*len = 0;
		return NULL;
	}
	v = (const char *)sqlite3_column_text(rs->all, (int)i);
	*len = (size_t)sqlite3_column_bytes(rs->all, (int)i);
	return v;
}
