/*
 * schema: the field tables of the built-in kinds and the normalization of
 * one record by them.  The hot path (crm_schema_apply on every record)
 * looks fields up by name in short tables and leaves a value alone when
 * normalizing would not change it, so a clean ASCII record costs a few
 * scans and no copies.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "consent.h"
#include "norm.h"
#include "schema.h"
#include "store.h"
#include "suggest.h"

struct kind_field {
	const char *name;
	enum crm_ftype type;
	int required;
	const char *column; /* store column; NULL: same as name */
};

static const struct kind_field customer_fields[] = {
	{ "customer_id", CRM_F_ID, 1, NULL },
	{ "name", CRM_F_TEXT, 0, NULL },
	{ "email", CRM_F_EMAIL, 0, NULL },
	{ "phone", CRM_F_PHONE, 0, NULL },
	{ "city", CRM_F_TEXT, 0, NULL },
	{ "country", CRM_F_TEXT, 0, NULL },
	{ "birth_date", CRM_F_DATE, 0, NULL },
	{ "signup_date", CRM_F_DATE, 0, NULL },
	{ NULL, CRM_F_TEXT, 0, NULL },
};

static const struct kind_field event_fields[] = {
	{ "event_id", CRM_F_ID, 0, "event_key" },
	{ "customer_id", CRM_F_ID, 1, NULL },
	{ "time", CRM_F_DATE, 1, NULL },
	{ "type", CRM_F_TEXT, 1, NULL },
	{ "item", CRM_F_TEXT, 0, NULL },
	{ "amount", CRM_F_NUMBER, 0, NULL },
	{ "channel", CRM_F_TEXT, 0, NULL },
	{ "text", CRM_F_TEXT, 0, NULL },
	{ NULL, CRM_F_TEXT, 0, NULL },
};

static const struct kind_field consent_fields[] = {
	{ "customer_id", CRM_F_ID, 1, NULL },
	{ "purpose", CRM_F_ID, 1, NULL },
	{ "granted", CRM_F_GRANTED, 1, NULL },
	{ "time", CRM_F_DATE, 1, NULL },
	{ "source", CRM_F_TEXT, 0, NULL },
	{ NULL, CRM_F_TEXT, 0, NULL },
};

/* The most fields a record needs: consent's four. */
#define NEED_MAX 4

struct pair {
	char *a; /* map: store name; type: field name */
	char *b; /* map: input name; inferred: the input of the first value */
	enum crm_ftype type;
	unsigned long line; /* inferred: the line of the first value */
};

struct crm_schema {
	char *kind;
	const struct kind_field *fields; /* NULL for a generic table */
	char *key;			 /* key field, or NULL */
	struct pair *maps;
	size_t nmaps;
	struct pair *types;
	size_t ntypes;
	struct pair *inferred; /* --infer-types' decisions */
	size_t ninferred;
	int infer;
	const char *input; /* the input being applied, or NULL; borrowed */
	int numflags;	   /* CRM_NUM_COMMA or 0 */
	char region[3];
	enum crm_date_order order;
	struct crm_buf tmp; /* a normalized value */
	struct crm_buf num; /* a number's text before crm_schema_number */
	struct crm_buf name;
	struct crm_poscache types_at; /* field type by position */
	struct crm_poscache kept_at;  /* the type of a name fix_name keeps */
	/* crm_schema_need(): the input name and option text of each */
	char *need_opt[NEED_MAX];
	const char *need_name[NEED_MAX];
	size_t nneed;
	int needs_made;
};

static const struct {
	const char *name;
	enum crm_ftype type;
} type_names[] = {
	{ "text", CRM_F_TEXT },
	{ "id", CRM_F_ID },
	{ "email", CRM_F_EMAIL },
	{ "phone", CRM_F_PHONE },
	{ "date", CRM_F_DATE },
	{ "number", CRM_F_NUMBER },
	{ "integer", CRM_F_INTEGER },
	{ "raw", CRM_F_RAW },
};

static const char *const kinds[] = { "customers", "events", "consent" };

static int
valid_kind(const char *k)
{
	size_t i;

	if (!(k[0] >= 'a' && k[0] <= 'z'))
		return 0;
	for (i = 1; k[i] != '\0'; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
			(k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return i <= 63;
}

static struct crm_schema *
schema_alloc(const char *name, struct crm_err *e)
{
	struct crm_schema *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->kind = strdup(name)) == NULL) {
		free(s);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	memcpy(s->region, "CN", 3);
	s->order = CRM_DATE_STRICT;
	crm_buf_init(&s->tmp);
	crm_buf_init(&s->num);
	crm_buf_init(&s->name);
	return s;
}

struct crm_schema *
crm_schema_new(const char *kind, struct crm_err *e)
{
	struct crm_schema *s;
	char hint[160];
	size_t n = sizeof(kinds) / sizeof(kinds[0]);

	if (strcmp(kind, "customers") != 0 && strcmp(kind, "events") != 0 &&
	    strcmp(kind, "consent") != 0) {
		crm_suggest_list_hint(hint, sizeof(hint), kind, kinds, n);
		return crm_err_set(e, EX_USAGE,
			   "unknown --kind '%s'%s (kinds: customers, events, "
			   "consent; a table of your own needs --table NAME)",
			   kind, hint),
		       NULL;
	}
	if ((s = schema_alloc(kind, e)) == NULL)
		return NULL;
	if (strcmp(kind, "customers") == 0) {
		s->fields = customer_fields;
		s->key = strdup("customer_id");
	} else if (strcmp(kind, "events") == 0) {
		s->fields = event_fields;
		s->key = strdup("event_id");
	} else {
		/* Keyed by customer_id, purpose and time: lib/consent.c. */
		s->fields = consent_fields;
		return s;
	}
	if (s->key == NULL) {
		crm_schema_free(s);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	return s;
}

struct crm_schema *
crm_schema_new_table(const char *table, struct crm_err *e)
{
	int r;

	if (!valid_kind(table))
		return crm_err_set(e, EX_USAGE,
			   "bad --table '%s': use lowercase letters, digits "
			   "and '_', at most 63, starting with a letter",
			   table),
		       NULL;
	if (strcmp(table, "customers") == 0 || strcmp(table, "events") == 0 ||
	    strcmp(table, "consent") == 0)
		return crm_err_set(e, EX_USAGE,
			   "--table '%s' is a kind: use --kind %s", table,
			   table),
		       NULL;
	if (strncmp(table, "sqlite_", 7) == 0)
		return crm_err_set(e, EX_USAGE,
			   "--table '%s': names starting sqlite_ are SQLite's",
			   table),
		       NULL;
	if ((r = crm_store_reserved(table)) != 0)
		return crm_err_set(e, EX_USAGE,
			   "--table '%s' is %s of crmkit's store", table,
			   r == CRM_STORE_INDEX ? "an index" : "a table"),
		       NULL;
	return schema_alloc(table, e);
}

static void
free_pairs(struct pair *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].a);
		free(p[i].b);
	}
	free(p);
}

void
crm_schema_free(struct crm_schema *s)
{
	if (s == NULL)
		return;
	free(s->kind);
	free(s->key);
	free_pairs(s->maps, s->nmaps);
	free_pairs(s->types, s->ntypes);
	free_pairs(s->inferred, s->ninferred);
	crm_buf_release(&s->tmp);
	crm_buf_release(&s->num);
	crm_buf_release(&s->name);
	crm_poscache_release(&s->types_at);
	crm_poscache_release(&s->kept_at);
	while (s->nneed > 0)
		free(s->need_opt[--s->nneed]);
	free(s);
}

/*
 * The field req every record needs, as the input names it (a --map's
 * INPUT_FIELD), with the option that names it, into s's needs.
 */
static int
add_need(struct crm_schema *s, const char *req)
{
	const char *name = req;
	char *opt = NULL;
	size_t i;
	int n = -1;

	if (s->nneed == NEED_MAX)
		return 0;
	for (i = 0; i < s->nmaps; i++)
		if (strcmp(s->maps[i].a, req) == 0) {
			name = s->maps[i].b;
			break;
		}
	if (i < s->nmaps) {
		n = snprintf(NULL, 0, "--map %s=%s", req, name);
		if (n >= 0 && (opt = malloc((size_t)n + 1)) != NULL)
			snprintf(opt, (size_t)n + 1, "--map %s=%s", req, name);
	} else if (s->fields == NULL) {
		opt = strdup("--key");
	} else {
		n = snprintf(NULL, 0, "use --map %s=FIELD", req);
		if (n >= 0 && (opt = malloc((size_t)n + 1)) != NULL)
			snprintf(opt, (size_t)n + 1, "use --map %s=FIELD", req);
	}
	if (opt == NULL)
		return -1;
	s->need_name[s->nneed] = name;
	s->need_opt[s->nneed++] = opt;
	return 0;
}

int
crm_schema_need(
    struct crm_schema *s, size_t i, const char **name, const char **opt)
{
	const struct kind_field *f;

	if (!s->needs_made) {
		for (f = s->fields; f != NULL && f->name != NULL; f++)
			if (f->required && add_need(s, f->name) == -1)
				return -1;
		if (s->fields == NULL && s->key != NULL &&
		    add_need(s, s->key) == -1)
			return -1;
		s->needs_made = 1;
	}
	if (i >= s->nneed)
		return 0;
	*name = s->need_name[i];
	*opt = s->need_opt[i];
	return 1;
}

int
crm_schema_builtin(const struct crm_schema *s)
{
	return s->fields != NULL;
}

const char *
crm_schema_kind(const struct crm_schema *s)
{
	return s->kind;
}

const char *
crm_schema_key(const struct crm_schema *s)
{
	return s->key;
}

static int
add_pair(
    struct pair **v, size_t *n, const char *a, const char *b, enum crm_ftype t)
{
	struct pair *p;

	if ((p = crm_reallocarray(*v, *n + 1, sizeof(*p))) == NULL)
		return -1;
	*v = p;
	p[*n].a = strdup(a);
	p[*n].b = b != NULL ? strdup(b) : NULL;
	p[*n].type = t;
	p[*n].line = 0;
	if (p[*n].a == NULL || (b != NULL && p[*n].b == NULL)) {
		free(p[*n].a);
		free(p[*n].b);
		return -1;
	}
	(*n)++;
	return 0;
}

int
crm_schema_map(
    struct crm_schema *s, const char *to, const char *from, struct crm_err *e)
{
	size_t i;

	if (*to == '\0' || *from == '\0')
		return crm_err_set(
		    e, EX_USAGE, "bad --map: want STORE_FIELD=INPUT_FIELD");
	for (i = 0; i < s->nmaps; i++)
		if (strcmp(s->maps[i].b, from) == 0)
			return crm_err_set(e, EX_USAGE,
			    "input field '%s' is mapped twice", from);
	if (add_pair(&s->maps, &s->nmaps, to, from, CRM_F_TEXT) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_schema_set_type(struct crm_schema *s, const char *field, const char *type,
    struct crm_err *e)
{
	const char *names[sizeof(type_names) / sizeof(type_names[0])];
	size_t i, n = sizeof(type_names) / sizeof(type_names[0]);
	char hint[64];

	for (i = 0; i < n; i++)
		if (strcmp(type, (names[i] = type_names[i].name)) == 0)
			break;
	if (i == n) {
		crm_suggest_list_hint(hint, sizeof(hint), type, names, n);
		return crm_err_set(e, EX_USAGE,
		    "unknown type '%s'%s (text, id, email, phone, date, "
		    "number, integer or raw)",
		    type, hint);
	}
	if (*field == '\0')
		return crm_err_set(e, EX_USAGE, "bad --type: want FIELD=TYPE");
	if (add_pair(&s->types, &s->ntypes, field, NULL, type_names[i].type) ==
	    -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_schema_set_key(struct crm_schema *s, const char *field, struct crm_err *e)
{
	if (s->fields != NULL)
		return crm_err_set(e, EX_USAGE,
		    "--key is for --table; %s %s keyed by %s", s->kind,
		    s->key != NULL ? "are" : "is",
		    s->key != NULL ? s->key : "customer_id, purpose and time");
	if (*field == '\0')
		return crm_err_set(e, EX_USAGE, "empty --key");
	free(s->key);
	if ((s->key = strdup(field)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_schema_set_region(
    struct crm_schema *s, const char *region, struct crm_err *e)
{
	if (strlen(region) != 2 || !crm_norm_region_known(region))
		return crm_err_set(e, EX_USAGE, "unknown region '%s'", region);
	s->region[0] = (char)(region[0] & ~0x20);
	s->region[1] = (char)(region[1] & ~0x20);
	return 0;
}

void
crm_schema_set_date_order(struct crm_schema *s, enum crm_date_order order)
{
	s->order = order;
}

void
crm_schema_set_infer(struct crm_schema *s, int on)
{
	s->infer = on;
}

void
crm_schema_set_input(struct crm_schema *s, const char *name)
{
	s->input = name;
}

void
crm_schema_set_decimal_comma(struct crm_schema *s, int on)
{
	s->numflags = on ? CRM_NUM_COMMA : 0;
}

int
crm_schema_inferring(const struct crm_schema *s)
{
	return s->infer;
}

static int
name_is(const char *a, const char *name, size_t len)
{
	return strlen(a) == len && memcmp(a, name, len) == 0;
}

static const struct kind_field *
kind_field(const struct crm_schema *s, const char *name, size_t len)
{
	const struct kind_field *f;

	if (s->fields == NULL)
		return NULL;
	for (f = s->fields; f->name != NULL; f++)
		if (name_is(f->name, name, len))
			return f;
	return NULL;
}

/* The declared type of name, or CRM_F_AUTO when it has none. */
static enum crm_ftype
declared(const struct crm_schema *s, const char *name, size_t len)
{
	const struct kind_field *f;
	size_t i;

	for (i = s->ntypes; i-- > 0;)
		if (name_is(s->types[i].a, name, len))
			return s->types[i].type;
	if ((f = kind_field(s, name, len)) != NULL)
		return f->type;
	if (s->key != NULL && s->fields == NULL && name_is(s->key, name, len))
		return CRM_F_ID;
	return CRM_F_AUTO;
}

enum crm_ftype
crm_schema_declared(const struct crm_schema *s, const char *name, size_t len)
{
	return declared(s, name, len);
}

/* The --infer-types decision for name, or NULL. */
static const struct pair *
inferred(const struct crm_schema *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->ninferred; i++)
		if (name_is(s->inferred[i].a, name, len))
			return &s->inferred[i];
	return NULL;
}

enum crm_ftype
crm_schema_type(const struct crm_schema *s, const char *name, size_t len)
{
	enum crm_ftype t = declared(s, name, len);
	const struct pair *p;

	if (t != CRM_F_AUTO)
		return t;
	if (!s->infer)
		return CRM_F_TEXT;
	return (p = inferred(s, name, len)) != NULL ? p->type : CRM_F_AUTO;
}

const char *
crm_schema_column(const struct crm_schema *s, const char *name, size_t len)
{
	const struct kind_field *f = kind_field(s, name, len);

	if (f == NULL)
		return NULL;
	return f->column != NULL ? f->column : f->name;
}

/* The store name of an input field name (after --map), or name itself. */
static const char *
mapped(const struct crm_schema *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->nmaps; i++)
		if (name_is(s->maps[i].b, name, len))
			return s->maps[i].a;
	return NULL;
}

/* Is name clean ASCII: nothing for NFKC or trimming to change? */
static int
name_clean(const char *name, size_t len)
{
	size_t k;
	int clean = len > 0 && name[0] != ' ' && name[len - 1] != ' ';

	for (k = 0; clean && k < len; k++)
		if ((unsigned char)name[k] >= 0x80 ||
		    (unsigned char)name[k] < 0x20)
			clean = 0;
	return clean;
}

/*
 * Normalize the field name at i of r: trim, NFKC, then --map.  A name
 * that is clean ASCII and not mapped is left alone without a copy.
 */
static int
fix_name(struct crm_schema *s, struct crm_rec *r, size_t i, struct crm_err *e)
{
	size_t len;
	const char *name = crm_rec_name(r, i, &len), *to, *why;

	if (!name_clean(name, len)) {
		crm_buf_reset(&s->name);
		if (crm_norm_text(&s->name, name, len, &why) == -1) {
			crm_err_field(e, name, len);
			return crm_err_set(e,
			    why != NULL ? EX_DATAERR : EX_SOFTWARE, "%s",
			    why != NULL ? why : "out of memory");
		}
		if (crm_rec_rename(
			r, i, s->name.p ? s->name.p : "", s->name.len) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		name = crm_rec_name(r, i, &len);
	}
	if (s->nmaps > 0 && (to = mapped(s, name, len)) != NULL &&
	    crm_rec_rename(r, i, to, strlen(to)) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

/* Append the digits of v[*i..] to out, leading zeros dropped. */
static size_t
digits(const char *v, size_t n, size_t *i)
{
	size_t d = 0;

	for (; *i < n && v[*i] >= '0' && v[*i] <= '9'; (*i)++)
		d++;
	return d;
}

/* The largest 64-bit integers, as digits: SQLite's INTEGER range. */
#define INT64_MAX_DIGITS "9223372036854775807"
#define INT64_MIN_DIGITS "9223372036854775808"

/*
 * Whether a number read by crm_schema_number is out of range (see
 * schema.h): its integer digits v[at..intend) ('.' groups skipped), its
 * fraction frac (fracd digits), its exponent exp (explen bytes, sign
 * included; NULL: none).  1 or 0, or -1 when out of memory.  Only a
 * number within a digit of DBL_MAX is handed to strtod, written as
 * digits and an exponent, so the locale's decimal point does not matter.
 */
static int
out_of_range(const char *v, size_t at, size_t intend, const char *frac,
    size_t fracd, const char *exp, size_t explen, int neg, int flags)
{
	char sig[19];
	size_t k, sd = 0, z = 0;
	long x = 0, e10;
	int bad = 0, over;
	struct crm_buf t;

	/* The significant digits of the integer part. */
	for (k = at; k < intend; k++) {
		if (v[k] == '.' || (sd == 0 && v[k] == '0'))
			continue;
		if (sd < sizeof(sig))
			sig[sd] = v[k];
		sd++;
	}
	if (flags & CRM_NUM_INTEGER)
		return sd > 19 || (sd == 19 && memcmp(sig,
						   neg ? INT64_MIN_DIGITS
						       : INT64_MAX_DIGITS,
						   19) > 0);
	/* Without an exponent, 308 digits are below 1e308 < DBL_MAX. */
	if (exp == NULL && sd <= 308)
		return 0;
	for (k = exp != NULL && (exp[0] == '+' || exp[0] == '-'); k < explen;
	     k++)
		if (x < 1000000000L) /* more digits than a line holds */
			x = x * 10 + (exp[k] - '0');
	if (exp != NULL && exp[0] == '-')
		x = -x;
	/* The power of ten of the first significant digit. */
	if (sd > 0) {
		e10 = (long)(sd - 1) + x;
	} else {
		while (z < fracd && frac[z] == '0')
			z++;
		if (z == fracd)
			return 0; /* zero */
		e10 = x - (long)(z + 1);
	}
	if (e10 != 308)
		return e10 > 308;
	/* 1.7...e308 or 1.8...e308: strtod decides. */
	crm_buf_init(&t);
	for (k = at; k < intend; k++)
		if (v[k] != '.')
			bad |= crm_buf_addc(&t, v[k]);
	bad |= crm_buf_add(&t, frac != NULL ? frac : "", fracd);
	bad |= crm_buf_addf(&t, "e%ld", x - (long)fracd);
	over = bad ? -1 : isinf(strtod(t.p, NULL)) != 0;
	crm_buf_release(&t);
	return over;
}

int
crm_schema_number(struct crm_buf *out, const char *v, size_t n, int flags)
{
	char point = (flags & CRM_NUM_COMMA) ? ',' : '.';
	size_t i = 0, j, k, at, intend, intd, fracd = 0, seen;
	const char *frac = NULL, *exp = NULL;
	size_t explen = 0;
	int neg = 0, lead, bad = 0, over;

	if (i < n && (v[i] == '+' || v[i] == '-')) {
		if (v[i] == '+' && (flags & CRM_NUM_STRICT))
			return 1;
		neg = v[i++] == '-';
	}
	/* The integer part; with a decimal comma, '.' may group it. */
	at = i;
	intd = digits(v, n, &i);
	if ((flags & CRM_NUM_COMMA) && intd >= 1 && intd <= 3)
		while (i < n && v[i] == '.') {
			j = i + 1;
			if (digits(v, n, &j) != 3)
				return 1;
			i = j;
			intd += 3;
		}
	intend = i;
	if (i < n && v[i] == point) {
		i++;
		frac = v + i;
		fracd = digits(v, n, &i);
	}
	if (intd + fracd == 0)
		return 1;
	if (i < n && (v[i] == 'e' || v[i] == 'E')) {
		if (flags & (CRM_NUM_STRICT | CRM_NUM_INTEGER))
			return 1;
		exp = v + ++i;
		if (i < n && (v[i] == '+' || v[i] == '-'))
			i++;
		if (digits(v, n, &i) == 0)
			return 1;
		explen = (size_t)(v + i - exp);
	}
	if (i != n)
		return 1;
	if ((flags & CRM_NUM_INTEGER) && fracd > 0)
		return 1;
	if ((flags & CRM_NUM_STRICT) &&
	    (intd == 0 || intd + fracd > 15 || (intd > 1 && v[at] == '0')))
		return 1;
	if ((over = out_of_range(
		 v, at, intend, frac, fracd, exp, explen, neg, flags)) != 0)
		return over == 1 ? 2 : -1;
	if (out == NULL)
		return 0;

	if (neg)
		bad |= crm_buf_addc(out, '-');
	if (intd == 0)
		bad |= crm_buf_addc(out, '0');
	/* Group separators and leading zeros dropped: "007" is 7. */
	for (k = at, seen = 0, lead = 1; k < intend; k++) {
		if (v[k] == '.')
			continue;
		if (lead && v[k] == '0' && ++seen < intd)
			continue;
		lead = 0;
		bad |= crm_buf_addc(out, v[k]);
	}
	if (fracd > 0) {
		bad |= crm_buf_addc(out, '.');
		bad |= crm_buf_add(out, frac, fracd);
	}
	if (exp != NULL) {
		bad |= crm_buf_addc(out, 'e');
		if (exp[0] == '+') {
			exp++;
			explen--;
		}
		bad |= crm_buf_add(out, exp, explen);
	}
	return bad ? -1 : 0;
}

enum crm_ftype
crm_schema_infer(const char *v, size_t n, int flags)
{
	flags = (flags & CRM_NUM_COMMA) | CRM_NUM_STRICT;
	return crm_schema_number(NULL, v, n, flags) == 0 ? CRM_F_INUMBER
							 : CRM_F_TEXT;
}

static int
normalize(struct crm_schema *s, enum crm_ftype t, const char *v, size_t n,
    enum crm_type vt, const char **why)
{
	int flags = vt == CRM_NUMBER ? 0 : s->numflags, rc;

	crm_buf_reset(&s->tmp);
	switch (t) {
	case CRM_F_RAW:
		return crm_buf_add(&s->tmp, v, n);
	case CRM_F_TEXT:
	case CRM_F_ID:
	case CRM_F_AUTO:
		return crm_norm_text(&s->tmp, v, n, why);
	case CRM_F_EMAIL:
		return crm_norm_email(&s->tmp, v, n, why);
	case CRM_F_PHONE:
		return crm_norm_phone(&s->tmp, v, n, s->region, why);
	case CRM_F_DATE:
		return crm_norm_date(&s->tmp, v, n, s->order, why);
	case CRM_F_GRANTED:
		crm_buf_reset(&s->num);
		if (crm_norm_text(&s->num, v, n, why) == -1)
			return -1;
		if ((rc = crm_consent_word(
			 s->num.p ? s->num.p : "", s->num.len)) == -1) {
			*why = "want " CRM_CONSENT_WORDS;
			return -1;
		}
		return crm_buf_addc(&s->tmp, rc ? '1' : '0');
	case CRM_F_NUMBER:
	case CRM_F_INTEGER:
	case CRM_F_INUMBER:
		crm_buf_reset(&s->num);
		if (crm_norm_text(&s->num, v, n, why) == -1)
			return -1;
		if (t == CRM_F_INTEGER)
			flags |= CRM_NUM_INTEGER;
		else if (t == CRM_F_INUMBER)
			flags |= CRM_NUM_STRICT;
		rc = crm_schema_number(
		    &s->tmp, s->num.p ? s->num.p : "", s->num.len, flags);
		if (rc == 1)
			*why = t == CRM_F_INTEGER ? "not an integer"
						  : "not a number";
		else if (rc == 2)
			*why = t == CRM_F_INTEGER ? "out of range for a 64-bit "
						    "integer"
						  : "out of range";
		return rc == 0 ? 0 : -1;
	}
	return 0;
}

/*
 * --infer-types: the type of field i of r, named name, whose type is not
 * known yet: taken from its value if it has one (and remembered, with
 * the record's line), else left CRM_F_AUTO.  0, or -1 when out of memory.
 */
static int
infer(struct crm_schema *s, struct crm_rec *r, size_t i, const char *name,
    size_t len, enum crm_ftype *t)
{
	enum crm_type vt = crm_rec_type(r, i);
	const char *v, *why = NULL;
	size_t vlen;

	if ((*t = crm_schema_type(s, name, len)) != CRM_F_AUTO)
		return 0;
	v = crm_rec_value(r, i, &vlen);
	if (vt == CRM_NUMBER) {
		*t = CRM_F_INUMBER;
	} else if (vt == CRM_STRING && vlen > 0) {
		crm_buf_reset(&s->tmp);
		if (crm_norm_text(&s->tmp, v, vlen, &why) == -1) {
			/* A bad value decides nothing; the caller says why. */
			return why != NULL ? 0 : -1;
		}
		if (s->tmp.len == 0)
			return 0;
		*t = crm_schema_infer(s->tmp.p, s->tmp.len, s->numflags);
	} else {
		return 0;
	}
	if (add_pair(&s->inferred, &s->ninferred, name, s->input, *t) == -1)
		return -1;
	s->inferred[s->ninferred - 1].line = crm_rec_line(r);
	return 0;
}

/*
 * Whether the JSON number v (n bytes) is out of a double's range: 1 or 0,
 * or -1 when out of memory.  Most numbers are short and have no exponent,
 * and those are in range without reading them again.
 */
static int
json_range(const char *v, size_t n)
{
	int rc;

	if (n <= 308 && memchr(v, 'e', n) == NULL && memchr(v, 'E', n) == NULL)
		return 0;
	rc = crm_schema_number(NULL, v, n, 0);
	return rc == 2 ? 1 : rc == -1 ? -1 : 0;
}

/*
 * Reject the value v (vlen bytes) of field name of r, of type t, for why
 * (NULL: out of memory): always -1, with e filled.  A field whose type
 * was inferred from another record names where, and that record's input
 * when it is another.
 */
static int
bad_value(const struct crm_schema *s, struct crm_err *e,
    const struct crm_rec *r, enum crm_ftype t, const char *name, size_t len,
    const char *v, size_t vlen, const char *why)
{
	const struct pair *p;
	int shown = vlen > 60 ? 60 : (int)vlen, other;

	crm_err_field(e, name, len);
	if (why == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	p = t == CRM_F_INUMBER ? inferred(s, name, len) : NULL;
	other = p != NULL && p->b != NULL && s->input != NULL &&
		strcmp(p->b, s->input) != 0;
	if (p != NULL && (other || p->line != crm_rec_line(r))) {
		if (other)
			return crm_err_set(e, EX_DATAERR,
			    "%s (got '%.*s'), as inferred from %s:%lu (--type "
			    "%.*s=text keeps text)",
			    why, shown, v, p->b, p->line, (int)len, name);
		return crm_err_set(e, EX_DATAERR,
		    "%s (got '%.*s'), as inferred from line %lu (--type "
		    "%.*s=text keeps text)",
		    why, shown, v, p->line, (int)len, name);
	}
	if (vlen > 60)
		return crm_err_set(e, EX_DATAERR, "%s", why);
	return crm_err_set(e, EX_DATAERR, "%s (got '%.*s')", why, shown, v);
}

int
crm_schema_apply(struct crm_schema *s, struct crm_rec *r, struct crm_err *e)
{
	size_t i, j, n = crm_rec_count(r), len, vlen;
	const char *name, *v, *why;
	const struct kind_field *f;
	struct crm_poscache *from;
	enum crm_ftype t;
	enum crm_type vt;
	long cached;
	int num, rc;

	for (i = 0; i < n; i++) {
		/*
		 * Most names need no fixing: their type is cached by the
		 * name as read (-1: fix it, then look its type up).
		 */
		from = &s->kept_at;
		if (!crm_poscache_get(&s->kept_at, r, i, &cached)) {
			name = crm_rec_name(r, i, &len);
			cached = -1;
			if (name_clean(name, len) &&
			    (s->nmaps == 0 || mapped(s, name, len) == NULL))
				cached = (long)crm_schema_type(s, name, len);
			if (crm_poscache_set(&s->kept_at, r, i, cached) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
		}
		if (cached < 0 && fix_name(s, r, i, e) == -1)
			return -1;
		name = crm_rec_name(r, i, &len);
		/* A rename may have made two fields of one name. */
		if (s->nmaps > 0 && (size_t)crm_rec_find(r, name, len) != i) {
			crm_err_field(e, name, len);
			return crm_err_set(
			    e, EX_DATAERR, "two fields map to this name");
		}
		vt = crm_rec_type(r, i);
		if (vt != CRM_STRING && vt != CRM_NUMBER)
			continue;
		if (cached < 0) {
			from = &s->types_at;
			if (!crm_poscache_get(&s->types_at, r, i, &cached)) {
				cached = (long)crm_schema_type(s, name, len);
				if (crm_poscache_set(
					&s->types_at, r, i, cached) == -1)
					return crm_err_set(
					    e, EX_SOFTWARE, "out of memory");
			}
		}
		t = (enum crm_ftype)cached;
		if (t == CRM_F_AUTO) {
			if (infer(s, r, i, name, len, &t) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			if (t != CRM_F_AUTO &&
			    crm_poscache_set(from, r, i, (long)t) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
		}
		num = t == CRM_F_NUMBER || t == CRM_F_INTEGER ||
		      t == CRM_F_INUMBER || t == CRM_F_GRANTED;
		v = crm_rec_value(r, i, &vlen);
		why = NULL;
		if (vt == CRM_NUMBER &&
		    (t == CRM_F_NUMBER || t == CRM_F_INUMBER)) {
			/* Kept as written, unless a double cannot hold it. */
			if ((rc = json_range(v, vlen)) == 0)
				continue;
			if (rc == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			why = "out of range";
			return bad_value(s, e, r, t, name, len, v, vlen, why);
		}
		if (vt == CRM_NUMBER && (t == CRM_F_TEXT || t == CRM_F_ID ||
					    t == CRM_F_RAW || t == CRM_F_AUTO))
			continue;
		if (vlen == 0 && t != CRM_F_RAW) {
			/* An empty number is none: null, as the store has it. */
			if (num && crm_rec_set(r, i, "", 0, CRM_NULL) == -1)
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			continue;
		}
		if (normalize(s, t, v, vlen, vt, &why) == -1)
			return bad_value(s, e, r, t, name, len, v, vlen, why);
		if ((s->tmp.len != vlen ||
			vt != (num ? CRM_NUMBER : CRM_STRING) ||
			memcmp(s->tmp.p, v, vlen) != 0) &&
		    crm_rec_set(r, i, s->tmp.p != NULL ? s->tmp.p : "",
			s->tmp.len, num ? CRM_NUMBER : CRM_STRING) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	/* Required fields: present, not null, not empty. */
	for (j = 0;; j++) {
		const char *req;
		long at;

		if (s->fields != NULL) {
			f = &s->fields[j];
			if (f->name == NULL)
				break;
			if (!f->required)
				continue;
			req = f->name;
		} else {
			if (j > 0 || s->key == NULL)
				break;
			req = s->key;
		}
		at = crm_rec_find(r, req, strlen(req));
		/* true and false have a value, if no bytes of it. */
		if (at < 0 || crm_rec_type(r, (size_t)at) == CRM_NULL ||
		    (crm_rec_type(r, (size_t)at) != CRM_TRUE &&
			crm_rec_type(r, (size_t)at) != CRM_FALSE &&
			(crm_rec_value(r, (size_t)at, &vlen), vlen == 0))) {
			crm_err_field(e, req, strlen(req));
			return crm_err_set(e, EX_DATAERR,
			    at < 0 ? "missing required field"
				   : "required field is empty");
		}
	}
	return 0;
}

int
crm_schema_check_header(
    struct crm_schema *s, const struct crm_rec *hdr, struct crm_err *e)
{
	struct crm_rec *r;
	const struct kind_field *f;
	const char *name, *b;
	size_t i, j, len, blen;
	char hint[256];
	int rc = -1;

	/* Normalize a copy of the header as a record of empty values. */
	if ((r = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < crm_rec_count(hdr); i++) {
		name = crm_rec_name(hdr, i, &len);
		if (crm_rec_add(r, name, len, "", 0, CRM_NULL) == -1) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		if (fix_name(s, r, i, e) == -1)
			goto out;
	}
	for (i = 0; i < crm_rec_count(r); i++) {
		name = crm_rec_name(r, i, &len);
		for (j = 0; j < i; j++) {
			b = crm_rec_name(r, j, &blen);
			if (len == blen && memcmp(name, b, len) == 0) {
				crm_err_field(e, name, len);
				crm_err_set(e, EX_DATAERR,
				    "bad header: fields %zu and %zu both "
				    "name this field",
				    j + 1, i + 1);
				goto out;
			}
		}
	}
	/* A --map whose input field is not there renamed nothing. */
	for (i = 0; i < s->nmaps; i++)
		if (crm_rec_find(r, s->maps[i].a, strlen(s->maps[i].a)) < 0 ||
		    crm_rec_find_trimmed(hdr, s->maps[i].b) < 0) {
			crm_err_field(e, s->maps[i].b, strlen(s->maps[i].b));
			crm_err_set(e, EX_DATAERR,
			    "header has no such field (--map %s=%s)%s",
			    s->maps[i].a, s->maps[i].b,
			    crm_suggest_field_hint(
				hint, sizeof(hint), s->maps[i].b, hdr));
			goto out;
		}
	for (f = s->fields; f != NULL && f->name != NULL; f++)
		if (f->required &&
		    crm_rec_find(r, f->name, strlen(f->name)) < 0) {
			crm_err_field(e, f->name, strlen(f->name));
			crm_err_set(e, EX_DATAERR,
			    "header has no such field (use --map %s=FIELD)%s",
			    f->name,
			    crm_suggest_field_hint(
				hint, sizeof(hint), f->name, hdr));
			goto out;
		}
	if (s->fields == NULL && s->key != NULL &&
	    crm_rec_find(r, s->key, strlen(s->key)) < 0) {
		crm_err_field(e, s->key, strlen(s->key));
		crm_err_set(e, EX_DATAERR, "header has no such field (--key)");
		goto out;
	}
	rc = 0;
out:
	crm_rec_free(r);
	return rc;
}
