/*
 * mask: crm-mask's filter.  A policy file says, per field, what a role
 * may see of it: the value as it is (keep), nothing (drop), a partial
 * mask (138****8000, z***@example.com, the last 4 of an id), a keyed
 * pseudonym (HMAC-SHA-256 of the normalized value, OpenSSL's libcrypto)
 * or a coarser value (a date's month or year, a number's band, a
 * postcode's prefix); fields it does not name follow its default rule,
 * drop unless it says keep.  The grammar is in crm-mask(1).
 */
#ifndef CRM_MASK_H
#define CRM_MASK_H

#include <stddef.h>

#include "err.h"
#include "filter.h"

/* ==== The policy ==== */

enum crm_mask_action {
	CRM_MASK_KEEP,
	CRM_MASK_DROP,
	CRM_MASK_MASK,
	CRM_MASK_PSEUDONYMIZE,
	CRM_MASK_GENERALIZE
};

/* What a value is taken for (mask, pseudonymize), or how to generalize. */
enum crm_mask_kind {
	CRM_MASK_AUTO,	/* an e-mail address, else a phone, else an id */
	CRM_MASK_EMAIL, /* mask, pseudonymize: must be one */
	CRM_MASK_PHONE,
	CRM_MASK_ID,	 /* mask: any text, all but the last 4 hidden */
	CRM_MASK_MONTH,	 /* generalize a date to YYYY-MM */
	CRM_MASK_YEAR,	 /* to YYYY */
	CRM_MASK_BAND,	 /* a number to LOW-HIGH, width arg */
	CRM_MASK_PREFIX, /* text to its first arg characters */
};

struct crm_mask_rule {
	char *field; /* owned */
	enum crm_mask_action action;
	enum crm_mask_kind kind;
	double arg;	    /* the band's width, the prefix's length */
	unsigned long line; /* in the policy file */
};

/* The rules of one role; role 0 is the part before any [section]. */
struct crm_mask_role {
	char *name;	    /* owned; NULL for role 0 */
	unsigned long line; /* of its [section] */
	int keep;	    /* the default rule: 1 keep, 0 drop */
	int has_default;    /* a default line was given */
	struct crm_mask_rule *rule;
	size_t n;
};

struct crm_mask_policy {
	const char *path; /* borrowed, in messages */
	struct crm_mask_role *role;
	size_t n; /* at least 1 once parsed */
};

/*
 * Parse the policy text[0..len), named path in messages.  0, or -1 with e
 * filled: EX_DATAERR with e->file and e->line at the line and the word
 * that is wrong (an unknown rule has a did-you-mean hint), EX_SOFTWARE
 * when out of memory; p then holds nothing to free.
 */
int crm_mask_policy_parse(struct crm_mask_policy *p, const char *path,
    const char *text, size_t len, struct crm_err *e);

/* The same for the file path; EX_NOINPUT when it cannot be read. */
int crm_mask_policy_read(
    struct crm_mask_policy *p, const char *path, struct crm_err *e);
void crm_mask_policy_release(struct crm_mask_policy *p);

/*
 * The index of role name in p (NULL: role 0), or -1 with e filled
 * (EX_USAGE, with a did-you-mean hint or the roles the file names).
 */
long crm_mask_policy_role(
    const struct crm_mask_policy *p, const char *name, struct crm_err *e);

/* ==== The values ==== */

/*
 * The partial mask of v[0..len) as kind says (CRM_MASK_AUTO: by the
 * value), appended to out.  0; -1 with *why set when the value is not of
 * the kind asked for, or *why NULL when out of memory.
 */
int crm_mask_value(struct crm_buf *out, enum crm_mask_kind kind, const char *v,
    size_t len, const char **why);

/*
 * v[0..len) generalized as kind says (month, year, band, prefix; arg the
 * band's width or the prefix's length), appended to out.  0, or -1 as
 * above.
 */
int crm_mask_generalize(struct crm_buf *out, enum crm_mask_kind kind,
    double arg, const char *v, size_t len, const char **why);

/* The hex digits of a pseudonym after its prefix "tok_". */
#define CRM_MASK_TOKEN_HEX 32

/* ==== The filter ==== */

struct crm_mask_opts {
	const char *policy;   /* the policy file */
	const char *role;     /* --role, or NULL: the part before any section */
	const char *key_file; /* --key-file, or NULL */
	const char *key_env;  /* $CRM_MASK_KEY's value, or NULL */
	const char *region;   /* of phones without a country code; NULL: CN */
};

/* Set o->key_env from $CRM_MASK_KEY (NULL when unset or empty). */
void crm_mask_opts_key_env(struct crm_mask_opts *o);

struct crm_mask;

/*
 * Read the policy, pick the role and, when the role pseudonymizes, the
 * key (--key-file first, else the environment's).  NULL with e filled:
 * the policy's errors, EX_USAGE for an unknown role, no key or a short
 * one, EX_NOINPUT for a key file that cannot be read.
 */
struct crm_mask *crm_mask_new(const struct crm_mask_opts *o, struct crm_err *e);
void crm_mask_free(struct crm_mask *m);

/* The filter's steps; arg is the crm_mask. */
const struct crm_filter_ops *crm_mask_ops(void);

/*
 * Pseudonymize v[0..len) as kind says: "tok_" and CRM_MASK_TOKEN_HEX hex
 * digits of the HMAC-SHA-256 of the normalized value, appended to out.
 * 0, or -1 as crm_mask_value().  m must have a key.
 */
int crm_mask_token(struct crm_mask *m, struct crm_buf *out,
    enum crm_mask_kind kind, const char *v, size_t len, const char **why);

/*
 * What the role makes of the value v[0..len) of the field name[0..nlen)
 * outside a record (crm-intent --keep-text's text): *out and *olen the
 * value to write, v itself when the rule keeps it, else m's own bytes
 * until the next call; *out NULL when the role drops the field.  0, or
 * -1 with e filled as the filter's records are (EX_DATAERR: the value is
 * not of the rule's kind, the field and the policy's line named).
 */
int crm_mask_field(struct crm_mask *m, const char *name, size_t nlen,
    const char *v, size_t len, const char **out, size_t *olen,
    struct crm_err *e);

/* The values changed, by action, and the fields left out. */
struct crm_mask_counts {
	unsigned long long masked, pseudonymized, generalized, dropped;
};

void crm_mask_counts(const struct crm_mask *m, struct crm_mask_counts *c);

#endif
