/*
 * rules: SQL expressions evaluated by SQLite over one record at a time,
 * and the rules files they are written in.
 *
 * A rules file holds one rule a line, split in two at a separator (crm-tag
 * writes "TAG: expression"); how the two sides are used is the caller's
 * business, so that reading a file is separate from evaluating anything.
 *
 * A struct crm_rules is a list of expressions compiled once by SQLite, in
 * a private in-memory connection that holds no tables: an expression sees
 * the fields of the record and nothing else.  The names an expression
 * uses are found by compiling it (SQLite names what it cannot resolve),
 * so the caller knows, before any record is read, which fields the rules
 * need.  All expressions are then evaluated by one prepared statement,
 * reset and rebound for every record; the values of the fields are bound
 * as parameters, never pasted into SQL.  Field names are matched without
 * regard to ASCII case, as SQL identifiers are.
 *
 * An expression may call only the functions crm_rules_allowed() names:
 * SQLite's scalar functions of text, numbers, dates and JSON, and
 * has(list, word), 1 when word is one of the comma-separated words of
 * list.  Its work is bounded: see the limits below.
 *
 * A struct crm_rules is for one thread at a time (its connection has no
 * mutex).
 *
 * Ownership: a struct crm_rules owns its connection and statements and
 * copies every expression; file names given to crm_rules_add() are
 * borrowed and must outlive it.  Values returned by crm_rules_value() stay
 * valid until the next crm_rules_eval() or a change to the records it was
 * given.
 */
#ifndef CRM_RULES_H
#define CRM_RULES_H

#include <stddef.h>

#include "err.h"
#include "rec.h"

/* ==== Rules files ==== */

struct crm_rule {
	char *left;	    /* the text before the separator, trimmed */
	char *right;	    /* the text after it, trimmed */
	unsigned long line; /* the line of the file the rule starts on */
};

struct crm_rulefile {
	const char *path; /* as given to crm_rulefile_read(); borrowed */
	struct crm_rule *rule;
	size_t n;
};

/*
 * Read the rules file at path into f (which it initializes).  A rule is a
 * line split at the first occurrence of sep (the last when last is set:
 * for rules whose left side may hold sep, as SQL's "->" operator may
 * stand in a condition); a line that starts with a
 * space or a tab continues the rule above it (joined with a newline);
 * blank lines and lines whose first non-blank character is '#' are
 * skipped.  Returns 0, or -1 with e filled: EX_NOINPUT when the file
 * cannot be opened, EX_IOERR when it cannot be read, EX_DATAERR (with
 * e->file and e->line) for a line without sep, with nothing on one side
 * of it, with a NUL byte or invalid UTF-8, or a continuation line with no
 * rule above it; EX_SOFTWARE when out of memory.  f holds nothing to free
 * after a failure.
 */
int crm_rulefile_read(struct crm_rulefile *f, const char *path, const char *sep,
    int last, struct crm_err *e);
void crm_rulefile_release(struct crm_rulefile *f);

/* A setting on the left side of a rule: "TAG key=value". */
struct crm_rule_setting {
	const char *key;   /* points into the left side */
	const char *value; /* never empty */
};

/*
 * Split left, the left side of a rule, in place: its first word stays in
 * left as the rule's name, and every word after it (words are separated
 * by white space) must be a setting KEY=VALUE, stored in set (at most
 * max; pointers into left) in order, *n their count.  0, or -1 with e
 * filled (EX_DATAERR; its message names the rule): no name, a word
 * without '=' or with nothing before or after it, a key given twice,
 * more than max settings.  What the keys mean is the caller's.
 */
int crm_rule_settings(char *left, struct crm_rule_setting *set, size_t max,
    size_t *n, struct crm_err *e);

/*
 * Whether s is made of the characters a rule's name, a tag or a purpose
 * may hold: CRM_RULE_NAME_CHARS, as a message says them.
 */
int crm_rule_name_ok(const char *s);
#define CRM_RULE_NAME_CHARS "letters, digits, '_', '.' and '-'"

/* ==== Expressions ==== */

/*
 * The limits of the rules, set on their SQLite connection.  A rule
 * longer than SQLite allows, deeper or with more arguments to one call
 * does not compile; a field longer than CRM_RULES_MAX_VALUE that a rule
 * reads, or a rule that makes a longer value, rejects the record; a rule
 * that runs for more than CRM_RULES_MAX_STEPS or CRM_RULES_MAX_SECONDS
 * of CPU time on one record stops the run (CRM_RULES_LIMIT).  The steps
 * are the contract; the time is a backstop for functions that take long
 * on long values, each of which is one step.
 */
#define CRM_RULES_MAX_VALUE   1000000 /* bytes of a value (SQLITE_LIMIT_LENGTH) */
#define CRM_RULES_MAX_SQL     1000000 /* bytes of SQL, every rule together */
#define CRM_RULES_MAX_DEPTH   100     /* depth of an expression's tree */
#define CRM_RULES_MAX_ARGS    32      /* arguments to one function call */
#define CRM_RULES_MAX_LIKE    100     /* bytes of a LIKE or GLOB pattern */
#define CRM_RULES_MAX_STEPS   1000000 /* SQLite steps for one record */
#define CRM_RULES_MAX_SECONDS 10      /* CPU time for one record */

/* crm_rules_eval(): a rule went over a limit; the run should stop. */
#define CRM_RULES_LIMIT (-2)

/* 1 when a rule may call the SQL function named fn, else 0. */
int crm_rules_allowed(const char *fn);

struct crm_rules;

/* A new empty list of expressions; NULL with e filled. */
struct crm_rules *crm_rules_new(struct crm_err *e);
void crm_rules_free(struct crm_rules *rs);

/*
 * Compile expr as the next expression, for messages from file:line (file
 * borrowed; may be NULL).  It must be one SQL expression that reads no
 * table and has no parameters; the field names it uses are added to the
 * names of crm_rules_name().  Returns its index, or -1 with e filled
 * (EX_DATAERR with e->file and e->line for an expression SQLite cannot
 * compile, with SQLite's message, or that calls a function not allowed;
 * EX_SOFTWARE when out of memory).
 */
long crm_rules_add(struct crm_rules *rs, const char *expr, const char *file,
    unsigned long line, struct crm_err *e);

size_t crm_rules_count(const struct crm_rules *rs);

/* Set the CPU time the rules may take on one record (for tests). */
void crm_rules_time_limit(struct crm_rules *rs, long ms);

/* Where expression i came from. */
const char *crm_rules_file(const struct crm_rules *rs, size_t i);
unsigned long crm_rules_line(const struct crm_rules *rs, size_t i);

/*
 * The field names the expressions use, in the order they were first
 * used, and the index of the first expression that uses name i.
 */
size_t crm_rules_nnames(const struct crm_rules *rs);
const char *crm_rules_name(const struct crm_rules *rs, size_t i);
size_t crm_rules_name_user(const struct crm_rules *rs, size_t i);

/*
 * Where the values of the names come from: a record, and whether its
 * values are untyped text (CSV, TSV), in which case an empty value is
 * NULL and a value written as a JSON number (42, -3.5, 1e6; not 007,
 * +1 or 0x1F) is that number.  Typed records (JSONL, the store) keep
 * their types: strings are text, true and false are 1 and 0, nested JSON
 * is its text.
 */
struct crm_rules_src {
	const struct crm_rec *rec;
	int untyped;
};

/*
 * Evaluate every expression for one record: each name takes its value
 * from the first of the n sources that has a field of that name, or is
 * NULL when none has.  Returns 0, or -1 with e filled: EX_DATAERR when an
 * expression fails on these values, such as making a value longer than
 * CRM_RULES_MAX_VALUE (the message names the expression's file and
 * line), or a field it reads is longer than that (e->field set),
 * EX_SOFTWARE for an internal error; or CRM_RULES_LIMIT with e filled
 * (EX_DATAERR, e->file and e->line the expression's) when the
 * expressions ran for more than CRM_RULES_MAX_STEPS or their time, or
 * are together too
 * long for SQLite: that is the rules' fault, not the record's, and would
 * happen again on every record.
 */
int crm_rules_eval(struct crm_rules *rs, const struct crm_rules_src *src,
    size_t n, struct crm_err *e);

/*
 * After crm_rules_eval(): 1 when expression i is true as a WHERE clause
 * would take it (a non-zero number; NULL is false), else 0.
 */
int crm_rules_match(const struct crm_rules *rs, size_t i);

/*
 * After crm_rules_eval(): the value of expression i as text and its type
 * (CRM_NULL, CRM_NUMBER or CRM_STRING); NULL for SQL NULL.
 */
const char *crm_rules_value(
    struct crm_rules *rs, size_t i, size_t *len, enum crm_type *type);

/*
 * Classify text p of len bytes the way untyped values are: 0 for an
 * empty value, 1 for an integer that fits in 64 bits (*i set), 2 for
 * another number (*d set), 3 for text.
 */
int crm_rules_number(const char *p, size_t len, long long *i, double *d);

#endif
