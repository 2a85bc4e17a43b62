/*
 * mask: see mask.h.  The policy is parsed once; each record's fields get
 * their rule by position (a crm_poscache), so a CSV input looks a name up
 * once.  Pseudonyms are HMAC-SHA-256 (lib/hmac.c).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "cli.h"
#include "hmac.h"
#include "mask.h"
#include "norm.h"
#include "rec.h"
#include "suggest.h"

/* ==== The policy ==== */

static const char *const actions[] = { "keep", "drop", "mask", "pseudonymize",
	"generalize" };
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* The next word of s[0..*len) into w[0..*wlen); 0 when there is none. */
static int
next_word(const char **s, size_t *len, const char **w, size_t *wlen)
{
	size_t i = 0;

	trim(s, len);
	if (*len == 0)
		return 0;
	while (i < *len && !isspace((unsigned char)(*s)[i]))
		i++;
	*w = *s;
	*wlen = i;
	*s += i;
	*len -= i;
	return 1;
}

static int
word_is(const char *w, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(w, s, len) == 0;
}

static int
role_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

static int
add_role(
    struct crm_mask_policy *p, const char *name, size_t len, unsigned long line)
{
	struct crm_mask_role *r;

	r = crm_reallocarray(p->role, p->n + 1, sizeof(*r));
	if (r == NULL)
		return -1;
	p->role = r;
	r = &p->role[p->n];
	memset(r, 0, sizeof(*r));
	r->line = line;
	if (name != NULL && (r->name = strndup(name, len)) == NULL)
		return -1;
	p->n++;
	return 0;
}

/* The argument of mask or pseudonymize: a kind, or none. */
static int
parse_kind(struct crm_mask_rule *r, const char *act, const char *rest,
    size_t len, struct crm_err *e)
{
	const char *w, *extra;
	size_t wlen, elen;
	int pseudo = r->action == CRM_MASK_PSEUDONYMIZE;

	r->kind = CRM_MASK_AUTO;
	if (!next_word(&rest, &len, &w, &wlen))
		return 0;
	if (word_is(w, wlen, "email"))
		r->kind = CRM_MASK_EMAIL;
	else if (word_is(w, wlen, "phone"))
		r->kind = CRM_MASK_PHONE;
	else if (word_is(w, wlen, pseudo ? "text" : "id"))
		r->kind = CRM_MASK_ID;
	else
		return crm_err_set(e, EX_DATAERR,
		    "%s: want email, phone or %s, not '%.*s'", act,
		    pseudo ? "text" : "id", (int)wlen, w);
	if (next_word(&rest, &len, &extra, &elen))
		return crm_err_set(e, EX_DATAERR, "%s %.*s: unexpected '%.*s'",
		    act, (int)wlen, w, (int)elen, extra);
	return 0;
}

static int
parse_generalize(
    struct crm_mask_rule *r, const char *rest, size_t len, struct crm_err *e)
{
	const char *w, *a, *extra;
	size_t wlen, alen, elen;
	char num[64], *end;
	double v;

	if (!next_word(&rest, &len, &w, &wlen))
		return crm_err_set(e, EX_DATAERR,
		    "generalize: want month, year, band WIDTH or prefix N");
	if (word_is(w, wlen, "month"))
		r->kind = CRM_MASK_MONTH;
	else if (word_is(w, wlen, "year"))
		r->kind = CRM_MASK_YEAR;
	else if (word_is(w, wlen, "band"))
		r->kind = CRM_MASK_BAND;
	else if (word_is(w, wlen, "prefix"))
		r->kind = CRM_MASK_PREFIX;
	else
		return crm_err_set(e, EX_DATAERR,
		    "generalize: want month, year, band WIDTH or prefix N, "
		    "not '%.*s'",
		    (int)wlen, w);
	if (r->kind == CRM_MASK_BAND || r->kind == CRM_MASK_PREFIX) {
		if (!next_word(&rest, &len, &a, &alen))
			return crm_err_set(e, EX_DATAERR,
			    "generalize %.*s: want %s", (int)wlen, w,
			    r->kind == CRM_MASK_BAND ? "a width" : "a length");
		snprintf(num, sizeof(num), "%.*s", (int)alen, a);
		errno = 0;
		v = strtod(num, &end);
		if (alen >= sizeof(num) || *end != '\0' || errno != 0 ||
		    !(v > 0) || v > 1e15 ||
		    (r->kind == CRM_MASK_PREFIX && (v != floor(v) || v > 1000)))
			return crm_err_set(e, EX_DATAERR,
			    "generalize %.*s: bad %s '%.*s': want %s",
			    (int)wlen, w,
			    r->kind == CRM_MASK_BAND ? "width" : "length",
			    (int)alen, a,
			    r->kind == CRM_MASK_BAND ? "a number above 0"
						     : "a whole number from 1 "
						       "to 1000");
		r->arg = v;
	}
	if (next_word(&rest, &len, &extra, &elen))
		return crm_err_set(e, EX_DATAERR,
		    "generalize %.*s: unexpected '%.*s'", (int)wlen, w,
		    (int)elen, extra);
	return 0;
}

/* "FIELD: RULE [ARG]" or "default: keep|drop" of s[0..len). */
static int
parse_rule(struct crm_mask_role *role, const char *s, size_t len,
    unsigned long line, struct crm_err *e)
{
	const char *colon = memchr(s, ':', len), *field = s, *rest, *w, *x;
	size_t flen, rlen, wlen, xlen, i;
	struct crm_mask_rule *r, rule;
	char hint[96];
	const char *a;

	if (colon == NULL) {
		next_word(&s, &len, &w, &wlen);
		return crm_err_set(e, EX_DATAERR,
		    "'%.*s': want FIELD: RULE, default: keep|drop or [ROLE]",
		    (int)wlen, w);
	}
	flen = (size_t)(colon - s);
	trim(&field, &flen);
	rest = colon + 1;
	rlen = len - (size_t)(rest - s);
	if (flen == 0)
		return crm_err_set(e, EX_DATAERR, "no field before ':'");
	if (!next_word(&rest, &rlen, &w, &wlen))
		return crm_err_set(
		    e, EX_DATAERR, "field '%.*s': no rule", (int)flen, field);
	if (word_is(field, flen, "default")) {
		if (role->has_default)
			return crm_err_set(
			    e, EX_DATAERR, "a second default in this section");
		if (!word_is(w, wlen, "keep") && !word_is(w, wlen, "drop"))
			return crm_err_set(e, EX_DATAERR,
			    "default: want keep or drop, not '%.*s'", (int)wlen,
			    w);
		if (next_word(&rest, &rlen, &x, &xlen))
			return crm_err_set(e, EX_DATAERR,
			    "default: unexpected '%.*s'", (int)xlen, x);
		role->has_default = 1;
		role->keep = word_is(w, wlen, "keep");
		return 0;
	}
	memset(&rule, 0, sizeof(rule));
	rule.line = line;
	for (i = 0; i < NACTIONS && !word_is(w, wlen, actions[i]); i++)
		;
	if (i == NACTIONS) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)wlen, w);
		crm_suggest_list_hint(
		    hint, sizeof(hint), name, actions, NACTIONS);
		return crm_err_set(e, EX_DATAERR, "unknown rule '%.*s'%s",
		    (int)wlen, w,
		    hint[0] != '\0' ? hint
				    : " (rules: keep, drop, mask, "
				      "pseudonymize, generalize)");
	}
	rule.action = (enum crm_mask_action)i;
	a = actions[i];
	if (rule.action == CRM_MASK_KEEP || rule.action == CRM_MASK_DROP) {
		if (next_word(&rest, &rlen, &x, &xlen))
			return crm_err_set(e, EX_DATAERR,
			    "%s: unexpected '%.*s'", a, (int)xlen, x);
	} else if (rule.action == CRM_MASK_GENERALIZE) {
		if (parse_generalize(&rule, rest, rlen, e) == -1)
			return -1;
	} else if (parse_kind(&rule, a, rest, rlen, e) == -1) {
		return -1;
	}
	for (i = 0; i < role->n; i++)
		if (word_is(field, flen, role->rule[i].field))
			return crm_err_set(e, EX_DATAERR,
			    "field '%.*s' has a rule already (line %lu)",
			    (int)flen, field, role->rule[i].line);
	r = crm_reallocarray(role->rule, role->n + 1, sizeof(*r));
	if (r == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	role->rule = r;
	if ((rule.field = strndup(field, flen)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	role->rule[role->n++] = rule;
	return 0;
}

static int
parse_line(struct crm_mask_policy *p, const char *s, size_t len,
    unsigned long line, struct crm_err *e)
{
	const char *hash = memchr(s, '#', len), *name;
	size_t nlen, i;

	if (hash != NULL)
		len = (size_t)(hash - s);
	trim(&s, &len);
	if (len == 0)
		return 0;
	if (s[0] != '[')
		return parse_rule(&p->role[p->n - 1], s, len, line, e);
	if (s[len - 1] != ']')
		return crm_err_set(
		    e, EX_DATAERR, "'%.*s': a section is [ROLE]", (int)len, s);
	name = s + 1;
	nlen = len - 2;
	trim(&name, &nlen);
	if (!role_name_ok(name, nlen))
		return crm_err_set(e, EX_DATAERR,
		    "bad role '%.*s': want letters, digits, '_', '-' and '.'",
		    (int)nlen, name);
	for (i = 1; i < p->n; i++)
		if (word_is(name, nlen, p->role[i].name))
			return crm_err_set(e, EX_DATAERR,
			    "role '%.*s' has a section already (line %lu)",
			    (int)nlen, name, p->role[i].line);
	if (add_role(p, name, nlen, line) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_mask_policy_parse(struct crm_mask_policy *p, const char *path,
    const char *text, size_t len, struct crm_err *e)
{
	const char *s = text, *nl;
	unsigned long line = 0;
	size_t n, bad;

	memset(p, 0, sizeof(*p));
	p->path = path;
	if (add_role(p, NULL, 0, 0) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	while (s < text + len) {
		nl = memchr(s, '\n', (size_t)(text + len - s));
		n = nl != NULL ? (size_t)(nl - s) : (size_t)(text + len - s);
		line++;
		e->file = path;
		e->line = line;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\0', n) != NULL) {
			crm_err_set(e, EX_DATAERR, "NUL byte in the policy");
			goto fail;
		}
		if (!crm_utf8_check(s, n, &bad)) {
			crm_err_set(e, EX_DATAERR,
			    "invalid UTF-8 at byte %zu of the line", bad + 1);
			goto fail;
		}
		if (parse_line(p, s, n, line, e) == -1)
			goto fail;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	e->file = NULL;
	e->line = 0;
	return 0;
fail:
	crm_mask_policy_release(p);
	p->path = path;
	return -1;
}

int
crm_mask_policy_read(
    struct crm_mask_policy *p, const char *path, struct crm_err *e)
{
	struct crm_buf b;
	char chunk[8192];
	size_t n;
	FILE *fp;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((fp = fopen(path, "r")) == NULL)
		return crm_err_set(e, EX_NOINPUT, "cannot open policy '%s': %s",
		    path, strerror(errno));
	crm_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (b.len + n > 1024 * 1024 || crm_buf_add(&b, chunk, n) == -1)
			break;
	if (ferror(fp) || n > 0) {
		rc = crm_err_set(e, ferror(fp) ? EX_IOERR : EX_DATAERR,
		    "cannot read '%s': %s", path,
		    ferror(fp) ? strerror(errno) : "more than 1 MiB");
		fclose(fp);
		crm_buf_release(&b);
		return rc;
	}
	fclose(fp);
	rc = crm_mask_policy_parse(p, path, b.len > 0 ? b.p : "", b.len, e);
	crm_buf_release(&b);
	return rc;
}

void
crm_mask_policy_release(struct crm_mask_policy *p)
{
	size_t i, k;

	for (i = 0; i < p->n; i++) {
		for (k = 0; k < p->role[i].n; k++)
			free(p->role[i].rule[k].field);
		free(p->role[i].rule);
		free(p->role[i].name);
	}
	free(p->role);
	memset(p, 0, sizeof(*p));
}

/* "a, b, c": the names of the roles, into buf. */
static const char *
role_list(const struct crm_mask_policy *p, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 1; i < p->n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    i > 1 ? ", " : "", p->role[i].name);
	return buf;
}

long
crm_mask_policy_role(
    const struct crm_mask_policy *p, const char *name, struct crm_err *e)
{
	const char *cand[64];
	char list[512], hint[96];
	size_t i, n = 0;

	if (name == NULL) {
		if (p->n > 1 && p->role[0].n == 0 && !p->role[0].has_default)
			return crm_err_set(e, EX_USAGE,
			    "the policy '%s' has only roles: give --role "
			    "(%s)",
			    p->path, role_list(p, list, sizeof(list)));
		return 0;
	}
	for (i = 1; i < p->n; i++) {
		if (strcmp(p->role[i].name, name) == 0)
			return (long)i;
		if (n < sizeof(cand) / sizeof(cand[0]))
			cand[n++] = p->role[i].name;
	}
	crm_suggest_list_hint(hint, sizeof(hint), name, cand, n);
	if (hint[0] != '\0')
		return crm_err_set(
		    e, EX_USAGE, "no role '%s' in '%s'%s", name, p->path, hint);
	if (p->n == 1)
		return crm_err_set(e, EX_USAGE,
		    "no role '%s' in '%s': it has no [ROLE] sections", name,
		    p->path);
	return crm_err_set(e, EX_USAGE, "no role '%s' in '%s' (roles: %s)",
	    name, p->path, role_list(p, list, sizeof(list)));
}

/* ==== The values ==== */

/* The bytes of the UTF-8 character that starts with byte c. */
static size_t
utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static int
add_stars(struct crm_buf *out, size_t n)
{
	while (n-- > 0)
		if (crm_buf_addc(out, '*') == -1)
			return -1;
	return 0;
}

/* All but the last 4 characters (all of up to 4) as '*'. */
static int
mask_id(struct crm_buf *out, const char *v, size_t len)
{
	size_t chars = crm_utf8_count(v, len), hide, i = 0, k;

	hide = chars > 4 ? chars - 4 : chars;
	for (k = 0; k < hide; k++)
		i += utf8_len((unsigned char)v[i]);
	if (add_stars(out, hide) == -1 ||
	    crm_buf_add(out, v + i, len - i) == -1)
		return -1;
	return 0;
}

/* The first 3 and last 4 of a normalized phone, the rest '*'. */
static int
mask_phone(struct crm_buf *out, const char *p, size_t len)
{
	size_t head = 3, tail = 4;

	if (len < head + tail + 2) {
		head = len > 6 ? 2 : 0;
		tail = len / 3;
	}
	if (crm_buf_add(out, p, head) == -1 ||
	    add_stars(out, len - head - tail) == -1 ||
	    crm_buf_add(out, p + len - tail, tail) == -1)
		return -1;
	return 0;
}

/* The first character of the local part, "***", then @ and the domain. */
static int
mask_email(struct crm_buf *out, const char *p, size_t len)
{
	const char *at = memchr(p, '@', len);
	size_t first = utf8_len((unsigned char)p[0]);

	if (crm_buf_add(out, p, first) == -1 ||
	    crm_buf_add(out, "***", 3) == -1 ||
	    crm_buf_add(out, at, len - (size_t)(at - p)) == -1)
		return -1;
	return 0;
}

/*
 * The normalized form of v as kind says into norm (reset first), the
 * kind found in *found.  0, or -1 with *why (NULL: out of memory).
 */
static int
normalize(struct crm_buf *norm, enum crm_mask_kind kind, const char *region,
    const char *v, size_t len, enum crm_mask_kind *found, const char **why)
{
	crm_buf_reset(norm);
	*why = NULL;
	if (kind == CRM_MASK_EMAIL ||
	    (kind == CRM_MASK_AUTO && memchr(v, '@', len) != NULL)) {
		if (crm_norm_email(norm, v, len, why) == 0) {
			*found = CRM_MASK_EMAIL;
			return 0;
		}
		if (kind == CRM_MASK_EMAIL || *why == NULL)
			return -1;
		crm_buf_reset(norm);
	}
	if (kind == CRM_MASK_PHONE || kind == CRM_MASK_AUTO) {
		if (crm_norm_phone(norm, v, len, region, why) == 0) {
			*found = CRM_MASK_PHONE;
			return 0;
		}
		if (kind == CRM_MASK_PHONE || *why == NULL)
			return -1;
		crm_buf_reset(norm);
	}
	*found = CRM_MASK_ID;
	return crm_norm_text(norm, v, len, why);
}

static int
mask_value(struct crm_buf *out, struct crm_buf *norm, enum crm_mask_kind kind,
    const char *region, const char *v, size_t len, const char **why)
{
	enum crm_mask_kind found;

	if (normalize(norm, kind, region, v, len, &found, why) == -1)
		return -1;
	*why = NULL;
	if (norm->len == 0)
		return 0;
	if (found == CRM_MASK_EMAIL)
		return mask_email(out, norm->p, norm->len);
	if (found == CRM_MASK_PHONE)
		return mask_phone(out, norm->p, norm->len);
	return mask_id(out, norm->p, norm->len);
}

int
crm_mask_value(struct crm_buf *out, enum crm_mask_kind kind, const char *v,
    size_t len, const char **why)
{
	struct crm_buf norm;
	int rc;

	crm_buf_init(&norm);
	rc = mask_value(out, &norm, kind, NULL, v, len, why);
	crm_buf_release(&norm);
	return rc;
}

/* A number for a band: plain decimal text, finite. */
static int
band(struct crm_buf *out, double width, const char *v, size_t len,
    const char **why)
{
	char num[64], *end;
	double x, lo;

	trim(&v, &len);
	if (len == 0 || len >= sizeof(num)) {
		*why = "not a number";
		return -1;
	}
	memcpy(num, v, len);
	num[len] = '\0';
	errno = 0;
	x = strtod(num, &end);
	if (*end != '\0' || errno != 0 || !isfinite(x) ||
	    !(isdigit((unsigned char)num[len - 1]) || num[len - 1] == '.')) {
		*why = "not a number";
		return -1;
	}
	lo = floor(x / width) * width;
	if (crm_buf_addf(out, "%.15g-%.15g", lo == 0 ? 0 : lo, lo + width) ==
	    -1) {
		*why = NULL;
		return -1;
	}
	return 0;
}

int
crm_mask_generalize(struct crm_buf *out, enum crm_mask_kind kind, double arg,
    const char *v, size_t len, const char **why)
{
	size_t i = 0, k, at = out->len;
	int rc;

	*why = NULL;
	switch (kind) {
	case CRM_MASK_MONTH:
	case CRM_MASK_YEAR:
		/* the ISO date appended, then cut to YYYY-MM or YYYY */
		rc = crm_norm_date(out, v, len, CRM_DATE_STRICT, why);
		if (rc == 0) {
			out->len = at + (kind == CRM_MASK_MONTH ? 7 : 4);
			out->p[out->len] = '\0';
		}
		return rc;
	case CRM_MASK_BAND:
		return band(out, arg, v, len, why);
	case CRM_MASK_PREFIX:
		trim(&v, &len);
		for (k = 0; k < (size_t)arg && i < len; k++)
			i += utf8_len((unsigned char)v[i]);
		if (i > len)
			i = len;
		return crm_buf_add(out, v, i);
	default:
		*why = "not a generalization";
		return -1;
	}
}

/* ==== The filter ==== */

struct crm_mask {
	struct crm_mask_policy pol;
	const struct crm_mask_role *role;
	const char *region;
	struct crm_hmac *hmac;
	struct crm_poscache pc; /* field position: rule index, or -1 */
	long *act;		/* this record's rule per field */
	size_t nact;
	unsigned char *seen;   /* per rule: the field was in an input */
	unsigned char *warned; /* per rule: said it was not */
	struct crm_rec *names; /* the first names seen, for hints */
	struct crm_buf norm, val;
	struct crm_mask_counts n;
};

/* Whether the role pseudonymizes; the line of its first such rule. */
static unsigned long
pseudonymizes(const struct crm_mask_role *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->rule[i].action == CRM_MASK_PSEUDONYMIZE)
			return r->rule[i].line;
	return 0;
}

static int
set_key(struct crm_mask *m, const struct crm_mask_opts *o, unsigned long line,
    struct crm_err *e)
{
	char need[512];

	snprintf(need, sizeof(need), "%s:%lu: pseudonymize", m->pol.path, line);
	m->hmac =
	    crm_hmac_new(o->key_file, o->key_env, "CRM_MASK_KEY", need, e);
	return m->hmac == NULL ? -1 : 0;
}

void
crm_mask_opts_key_env(struct crm_mask_opts *o)
{
	o->key_env = getenv("CRM_MASK_KEY");
	if (o->key_env != NULL && o->key_env[0] == '\0')
		o->key_env = NULL;
}

struct crm_mask *
crm_mask_new(const struct crm_mask_opts *o, struct crm_err *e)
{
	struct crm_mask *m;
	unsigned long line;
	long r;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	crm_buf_init(&m->norm);
	crm_buf_init(&m->val);
	m->region = o->region;
	if (crm_mask_policy_read(&m->pol, o->policy, e) == -1)
		goto fail;
	if ((r = crm_mask_policy_role(&m->pol, o->role, e)) == -1)
		goto fail;
	m->role = &m->pol.role[r];
	if ((line = pseudonymizes(m->role)) != 0 &&
	    set_key(m, o, line, e) == -1)
		goto fail;
	m->seen = calloc(m->role->n + 1, 1);
	m->warned = calloc(m->role->n + 1, 1);
	if (m->seen == NULL || m->warned == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	return m;
fail:
	crm_mask_free(m);
	return NULL;
}

void
crm_mask_free(struct crm_mask *m)
{
	if (m == NULL)
		return;
	crm_hmac_free(m->hmac);
	crm_mask_policy_release(&m->pol);
	crm_poscache_release(&m->pc);
	crm_rec_free(m->names);
	free(m->act);
	free(m->seen);
	free(m->warned);
	crm_buf_release(&m->norm);
	crm_buf_release(&m->val);
	free(m);
}

static const char hexd[] = "0123456789abcdef";

int
crm_mask_token(struct crm_mask *m, struct crm_buf *out, enum crm_mask_kind kind,
    const char *v, size_t len, const char **why)
{
	unsigned char mac[CRM_HMAC_LEN];
	enum crm_mask_kind found;
	size_t i;
	char hex[CRM_MASK_TOKEN_HEX];

	if (normalize(&m->norm, kind, m->region, v, len, &found, why) == -1)
		return -1;
	*why = NULL;
	if (m->norm.len == 0)
		return 0;
	if (crm_hmac(m->hmac, m->norm.p, m->norm.len, NULL, 0, mac) == -1) {
		*why = "libcrypto: HMAC failed";
		return -1;
	}
	for (i = 0; i < CRM_MASK_TOKEN_HEX / 2; i++) {
		hex[2 * i] = hexd[mac[i] >> 4];
		hex[2 * i + 1] = hexd[mac[i] & 15];
	}
	if (crm_buf_add(out, "tok_", 4) == -1 ||
	    crm_buf_add(out, hex, sizeof(hex)) == -1)
		return -1;
	return 0;
}

/* The index of the rule of field name, or -1 (the default). */
static long
rule_of(const struct crm_mask_role *role, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < role->n; i++)
		if (word_is(name, len, role->rule[i].field))
			return (long)i;
	return -1;
}

static int
drops(const struct crm_mask *m, long k)
{
	return k < 0 ? !m->role->keep
		     : m->role->rule[k].action == CRM_MASK_DROP;
}

/* Remember the names of the first header or record, for hints. */
static int
note_names(struct crm_mask *m, const struct crm_rec *r)
{
	size_t i, len;
	const char *name;

	if (m->names != NULL)
		return 0;
	if ((m->names = crm_rec_new()) == NULL)
		return -1;
	for (i = 0; i < crm_rec_count(r); i++) {
		name = crm_rec_name(r, i, &len);
		if (crm_rec_add(m->names, name, len, "", 0, CRM_STRING) == -1)
			return -1;
	}
	return 0;
}

/* Warn once of each rule whose field no input has shown (m->seen). */
static void
warn_missing(struct crm_mask *m, const char *input)
{
	char hint[160];
	size_t i;

	for (i = 0; i < m->role->n; i++) {
		const struct crm_mask_rule *ru = &m->role->rule[i];

		if (m->warned[i] || m->seen[i])
			continue;
		m->warned[i] = 1;
		crm_warnx("%s:%lu: field '%s' is not in %s%s", m->pol.path,
		    ru->line, ru->field, input != NULL ? input : "the input",
		    m->names != NULL ? crm_suggest_field_hint(hint,
					   sizeof(hint), ru->field, m->names)
				     : "");
	}
}

static int
check_header(void *arg, const struct crm_rec *hdr, struct crm_err *e)
{
	struct crm_mask *m = arg;
	size_t i;
	long k;

	if (note_names(m, hdr) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < crm_rec_count(hdr); i++) {
		size_t len;
		const char *name = crm_rec_name(hdr, i, &len);

		if ((k = rule_of(m->role, name, len)) >= 0)
			m->seen[k] = 1;
	}
	warn_missing(m, NULL);
	return 0;
}

static int
out_header(void *arg, struct crm_rec *hdr, struct crm_err *e)
{
	struct crm_mask *m = arg;
	size_t i, len;
	const char *name;

	(void)e;
	for (i = crm_rec_count(hdr); i-- > 0;) {
		name = crm_rec_name(hdr, i, &len);
		if (drops(m, rule_of(m->role, name, len)))
			crm_rec_remove(hdr, i);
	}
	return 0;
}

/* The rule of each field of r into m->act. */
static int
plan(struct crm_mask *m, const struct crm_rec *r)
{
	size_t i, n = crm_rec_count(r), len;
	const char *name;
	long k;

	if (n > m->nact) {
		long *a = crm_reallocarray(m->act, n, sizeof(*a));

		if (a == NULL)
			return -1;
		m->act = a;
		m->nact = n;
	}
	for (i = 0; i < n; i++) {
		if (crm_poscache_get(&m->pc, r, i, &k)) {
			m->act[i] = k;
			continue;
		}
		name = crm_rec_name(r, i, &len);
		k = rule_of(m->role, name, len);
		if (k >= 0)
			m->seen[k] = 1;
		if (crm_poscache_set(&m->pc, r, i, k) == -1)
			return -1;
		m->act[i] = k;
	}
	return 0;
}

/* " month" and so on: the argument of a rule, in messages. */
static const char *
kind_word(enum crm_mask_kind k)
{
	static const char *const w[] = { "", " email", " phone", " id",
		" month", " year", " band", " prefix" };

	return w[k];
}

/*
 * Apply rule ru (mask, pseudonymize or generalize) to v[0..len) into
 * m->val, counted.  0, or -1 with e filled (the field named by the
 * caller): EX_DATAERR naming the policy's line, EX_SOFTWARE.
 */
static int
apply(struct crm_mask *m, const struct crm_mask_rule *ru, const char *v,
    size_t len, struct crm_err *e)
{
	const char *why;
	int rc;

	crm_buf_reset(&m->val);
	switch (ru->action) {
	case CRM_MASK_MASK:
		rc = mask_value(
		    &m->val, &m->norm, ru->kind, m->region, v, len, &why);
		m->n.masked += rc == 0;
		break;
	case CRM_MASK_PSEUDONYMIZE:
		rc = crm_mask_token(m, &m->val, ru->kind, v, len, &why);
		m->n.pseudonymized += rc == 0;
		break;
	default:
		rc = crm_mask_generalize(
		    &m->val, ru->kind, ru->arg, v, len, &why);
		m->n.generalized += rc == 0;
		break;
	}
	if (rc == 0)
		return 0;
	if (why == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_err_set(e, EX_DATAERR, "%s (%s:%lu: %s%s)", why, m->pol.path,
	    ru->line, actions[ru->action], kind_word(ru->kind));
}

static int
record(void *arg, struct crm_rec *r, int *drop, struct crm_err *e)
{
	struct crm_mask *m = arg;
	const struct crm_mask_rule *ru;
	size_t i, len, n = crm_rec_count(r);
	const char *v, *fname;
	enum crm_type t;

	(void)drop;
	if (m->names == NULL && note_names(m, r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (plan(m, r) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		if (m->act[i] < 0)
			continue;
		ru = &m->role->rule[m->act[i]];
		if (ru->action == CRM_MASK_KEEP || ru->action == CRM_MASK_DROP)
			continue;
		t = crm_rec_type(r, i);
		v = crm_rec_value(r, i, &len);
		if (t == CRM_NULL || len == 0)
			continue;
		if (apply(m, ru, v, len, e) == -1) {
			fname = crm_rec_name(r, i, &len);
			crm_err_field(e, fname, len);
			return -1;
		}
		if (crm_rec_set(r, i, m->val.p != NULL ? m->val.p : "",
			m->val.len, CRM_STRING) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	for (i = n; i-- > 0;)
		if (drops(m, m->act[i])) {
			crm_rec_remove(r, i);
			m->n.dropped++;
		}
	return 0;
}

int
crm_mask_field(struct crm_mask *m, const char *name, size_t nlen, const char *v,
    size_t len, const char **out, size_t *olen, struct crm_err *e)
{
	long k = rule_of(m->role, name, nlen);
	const struct crm_mask_rule *ru = k < 0 ? NULL : &m->role->rule[k];

	if (drops(m, k)) {
		m->n.dropped++;
		*out = NULL;
		*olen = 0;
		return 0;
	}
	*out = v;
	*olen = len;
	if (ru == NULL || ru->action == CRM_MASK_KEEP || len == 0)
		return 0;
	crm_err_field(e, name, nlen);
	if (apply(m, ru, v, len, e) == -1)
		return -1;
	*out = m->val.p != NULL ? m->val.p : "";
	*olen = m->val.len;
	return 0;
}

static int
finish(void *arg, struct crm_filter *f, struct crm_err *e)
{
	(void)f;
	(void)e;
	warn_missing(arg, "any input");
	return 0;
}

const struct crm_filter_ops *
crm_mask_ops(void)
{
	static const struct crm_filter_ops ops = { check_header, out_header,
		record, NULL, finish, NULL };

	return &ops;
}

void
crm_mask_counts(const struct crm_mask *m, struct crm_mask_counts *c)
{
	*c = m->n;
}
