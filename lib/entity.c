/*
 * entity: the entities of a message's text (see entity.h).  Every
 * recognizer is a PCRE2 pattern with a kind that turns its match into a
 * value (or refuses it: a date that is not one, a phone number lib/norm
 * refuses); the matches of all of them are then chosen, the longer
 * first, so that none overlaps another.  The values of dates, amounts
 * and Chinese numerals are made here by hand: no packaged C library reads
 * 上周五 or "last Friday" against a reference day (the day arithmetic is
 * lib/norm's), and the rules are crm-intent(1)'s.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "calendar.h"
#include "clock.h"
#include "entity.h"
#include "jw.h"
#include "norm.h"
#include "rec.h"
#include "rules.h"

/* A pattern's steps before PCRE2 gives up on one text (a user's regex). */
#define MATCH_LIMIT 1000000
/* Product names per compiled alternation (PCRE2's pattern size limit). */
#define PRODUCTS_PER_RE 200

/* What a match means, and how its value is made. */
enum kind {
	K_PATTERN, /* an order number, or a pattern file's own type */
	K_EMAIL,
	K_PHONE,	/* with a "+": its country code */
	K_PHONE_CN,	/* a Chinese mobile or landline number */
	K_PHONE_US,	/* (415) 555-0132, 415-555-0132 */
	K_DATE_ISO,	/* 2026-12-03: y, separator, m, d */
	K_DATE_ZH,	/* 2026年12月3日, 12月3号: y?, m, d */
	K_DATE_ZH_DAY,	/* 3号: d of the reference month */
	K_DATE_ZH_REL,	/* 明天 */
	K_DATE_ZH_WEEK, /* 上周五: week, day */
	K_DATE_EN_REL,	/* tomorrow */
	K_DATE_EN_WEEK, /* last Friday: which, day */
	K_DATE_EN_MD,	/* Dec 3, 2026: month, d, y? */
	K_DATE_EN_DM,	/* 3 December 2026: d, month, y? */
	K_AMOUNT_PRE,	/* ¥199, RMB 199.00: currency, number */
	K_AMOUNT_POST,	/* 199元, 12.50 USD: number, currency */
	K_AMOUNT_ZH,	/* 两百元: numerals, currency */
	K_PRODUCT	/* a name of the list, by its (*MARK) */
};

/* Of two matches as long, the lower rank wins. */
enum { R_PATTERN, R_EMAIL, R_PHONE, R_DATE, R_AMOUNT, R_PRODUCT };
static const char *const types[] = { "order_id", "email", "phone", "date",
	"amount", "product" };

struct builtin {
	enum kind kind;
	const char *re;
};

/*
 * White space: ASCII's, and in UTF mode \h's no-break space (U+00A0),
 * ideographic space (U+3000) and the others; not PCRE2_UCP, whose \b
 * would find no word boundary between 订单 and "last".
 */
#define WS "[\\s\\h]"

/*
 * The built-in order numbers (crm-intent(1) lists them): one after a
 * word that names an order (not an ISO date), 16 to 20 digits, and 2 to
 * 4 capital letters and 6 or more digits (not a currency code and an
 * amount).
 */
static const struct {
	const char *name, *re;
} order_builtin[] = {
	{ "after-keyword", /* 订单号 SO2026, order #A12345 */
	    "(?:订单编号|订单号码|订单号|订单|单号|"
	    "(?<![A-Za-z])(?i:order)(?:" WS "*(?i:number|no\\.?|id|#))?)" WS
	    "*(?:(?:[:：]|是|为|(?i:is)(?![A-Za-z]))" WS "*)?#?" WS "*"
	    "(?![0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![A-Za-z0-9-]))" /* a date */
	    "((?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9][A-Za-z0-9-]{2,39})"
	    "(?![A-Za-z0-9%-])" },
	{ "digits", "(?<![A-Za-z0-9])[0-9]{16,20}(?![A-Za-z0-9])" },
	{ "letters-digits", /* SO20261203001 */
	    "(?<![A-Za-z0-9])(?!(?:RMB|CNY|USD|EUR|GBP|HKD|JPY)-?[0-9])"
	    "[A-Z]{2,4}-?[0-9]{6,20}(?![A-Za-z0-9])" },
};

#define NUM "([0-9]{1,3}(?:,[0-9]{3})+(?:\\.[0-9]+)?|[0-9]+(?:\\.[0-9]+)?)"
#define MONTHS                                                              \
	"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|"    \
	"february|march|april|june|july|august|september|october|november|" \
	"december)"
#define YEAR "(?:,?" WS "+([0-9]{4})\\b)?"

static const struct builtin builtins[] = {
	{ K_EMAIL, /* li.wei@example.cn */
	    "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@"
	    "[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+" },
	{ K_PHONE, /* +86 138 0013 8000 */
	    "(?<![0-9A-Za-z+])\\+[0-9](?:[ .()-]{0,2}[0-9]){6,16}"
	    "(?![0-9])" },
	{ K_PHONE_CN, /* 13800138000, 010-62345678 */
	    "(?<![0-9A-Za-z+-])"
	    "(?:1[3-9][0-9](?:[ -]?[0-9]{4}){2}|0[0-9]{2,3}-[0-9]{7,8})"
	    "(?![0-9A-Za-z-])" },
	{ K_PHONE_US, /* (415) 555-0132 */
	    "(?<![0-9A-Za-z+(-])(?:\\([0-9]{3}\\) ?|[0-9]{3}[-.])"
	    "[0-9]{3}[-.][0-9]{4}(?![0-9-])" },
	{ K_DATE_ISO, /* 2026-12-03 */
	    "(?<![0-9])([0-9]{4})([-/.])([0-9]{1,2})\\2([0-9]{1,2})"
	    "(?![0-9])" },
	{ K_DATE_ZH, /* 2026年12月3日, 12月3号 */
	    "(?:([0-9]{4}) ?年 ?)?"
	    "(?<![0-9])([0-9]{1,2}) ?月 ?([0-9]{1,2}) ?[日号]"
	    "(?![0-9])" },
	{ K_DATE_ZH_DAY, /* 3号 */
	    "(?<![0-9月第.])([0-9]{1,2}) ?[日号]"
	    "(?![楼线门室栋层座店位码内])" },
	{ K_DATE_ZH_REL, /* 明天 */
	    "大前天|前天|昨天|昨日|今天|今日|明天|明日|大后天|后天" },
	{ K_DATE_ZH_WEEK, /* 上周五, 星期天 */
	    "(?<![每一二两三四五六七八九十几])"
	    "(?:(上上|下下|上|下|这|本)个? ?)?(?:周|星期|礼拜)"
	    "([一二三四五六日天1-7])" },
	{ K_DATE_EN_REL, /* tomorrow */
	    "(?i)\\b(?:the" WS "+day" WS "+after" WS "+tomorrow|"
	    "the" WS "+day" WS "+before" WS "+yesterday|"
	    "today|tonight|tomorrow|yesterday)\\b" },
	{ K_DATE_EN_WEEK, /* last Friday */
	    "(?i)\\b(last|next|this)" WS "+"
	    "(mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|"
	    "thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|"
	    "sun(?:day)?)\\b" },
	{ K_DATE_EN_MD, /* Dec 3, 2026 */
	    "(?i)\\b" MONTHS "\\.?" WS "+([0-9]{1,2})(?:st|nd|rd|th)?"
	    "\\b" YEAR },
	{ K_DATE_EN_DM, /* 3rd of December */
	    "(?i)\\b([0-9]{1,2})(?:st|nd|rd|th)?" WS "+(?:of" WS "+)?" MONTHS
	    "\\b\\.?" YEAR },
	{ K_AMOUNT_PRE, /* ¥199, RMB 199.00 */
	    "(?<![A-Za-z0-9])"
	    "(US\\$|HK\\$|[¥￥$€£]|"
	    "(?i:rmb|cny|usd|eur|gbp|hkd|jpy)(?![A-Za-z]))" WS "?" NUM
	    "(?![0-9]|[.,][0-9])" }, /* not a part of 1.299,00 */
	{ K_AMOUNT_POST,	     /* 199元, 12.50 USD */
	    "(?<![A-Za-z0-9.,$¥￥€£])" NUM WS "?"
	    "(块钱|元|块|人民币|美元|欧元|英镑|日元|港币|港元|"
	    "(?i:rmb|cny|usd|eur|gbp|hkd|jpy|yuan|dollars?|euros?|"
	    "pounds?)(?![A-Za-z]))"
	    "(?![0-9零一二两三四五六七八九毛角分])" },
	{ K_AMOUNT_ZH, /* 两百元 */
	    "([零〇一二两三四五六七八九十百千万]+) ?(块钱|元|块)"
	    "(?![0-9零〇一二两三四五六七八九毛角分])" },
};

/* Currencies by how a text writes them: ISO 4217 codes. */
static const struct {
	const char *as, *code;
} currencies[] = {
	{ "¥", "CNY" },
	{ "￥", "CNY" },
	{ "元", "CNY" },
	{ "块", "CNY" },
	{ "块钱", "CNY" },
	{ "人民币", "CNY" },
	{ "rmb", "CNY" },
	{ "cny", "CNY" },
	{ "yuan", "CNY" },
	{ "$", "USD" },
	{ "us$", "USD" },
	{ "usd", "USD" },
	{ "美元", "USD" },
	{ "dollar", "USD" },
	{ "dollars", "USD" },
	{ "hk$", "HKD" },
	{ "hkd", "HKD" },
	{ "港币", "HKD" },
	{ "港元", "HKD" },
	{ "€", "EUR" },
	{ "eur", "EUR" },
	{ "欧元", "EUR" },
	{ "euro", "EUR" },
	{ "euros", "EUR" },
	{ "£", "GBP" },
	{ "gbp", "GBP" },
	{ "英镑", "GBP" },
	{ "pound", "GBP" },
	{ "pounds", "GBP" },
	{ "jpy", "JPY" },
	{ "日元", "JPY" },
};

static const struct {
	const char *as;
	int days;
} relative[] = {
	{ "大前天", -3 },
	{ "前天", -2 },
	{ "昨天", -1 },
	{ "昨日", -1 },
	{ "今天", 0 },
	{ "今日", 0 },
	{ "明天", 1 },
	{ "明日", 1 },
	{ "后天", 2 },
	{ "大后天", 3 },
	{ "today", 0 },
	{ "tonight", 0 },
	{ "tomorrow", 1 },
	{ "yesterday", -1 },
};

static const char *const months[12] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const en_days[7] = { "mon", "tue", "wed", "thu", "fri",
	"sat", "sun" };
/* 周X: Monday to Sunday, then the digits' and 天 (Sunday too) */
static const char *const zh_days[] = { "一", "二", "三", "四", "五", "六", "日",
	"天" };

struct rx {
	pcre2_code *re;
	enum kind kind;
	int rank;
	const char *type; /* points at name's end for a pattern file's */
	char *name;	  /* a pattern's, else NULL */
};

/* A match that may become an entity; its value is in x->vals. */
struct cand {
	size_t bs, be; /* bytes of the text */
	size_t rx;     /* the recognizer */
	size_t voff, vlen;
};

struct crm_entity {
	struct rx *rx;
	size_t nrx;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	char **products;
	size_t nproducts;
	const char *tz;	     /* NULL: UTC */
	long long ref;	     /* the reference day, from 1970-01-01 */
	int ry, rm, rwd;     /* its year, month, weekday (1: Monday) */
	long long clock_ref; /* the run's reference day, once known */
	int clock_known;
	struct cand *c;
	size_t nc, ccap;
	struct crm_entity_hit *hits;
	size_t hcap;
	unsigned char *taken; /* bytes of the text taken, while choosing */
	size_t tcap;
	struct crm_buf vals, tmp;
};

/* ==== Building ==== */

static int
add_rx(struct crm_entity *x, const char *re, size_t len, enum kind kind,
    int rank, uint32_t flags, struct crm_err *e)
{
	PCRE2_SIZE where;
	PCRE2_UCHAR msg[256];
	struct rx *r;
	int code;

	if ((r = crm_reallocarray(x->rx, x->nrx + 1, sizeof(*r))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	x->rx = r;
	r = &x->rx[x->nrx];
	memset(r, 0, sizeof(*r));
	r->re = pcre2_compile(
	    (PCRE2_SPTR)re, len, PCRE2_UTF | flags, &code, &where, NULL);
	if (r->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		return crm_err_set(e,
		    code == PCRE2_ERROR_NOMEMORY ? EX_SOFTWARE : EX_DATAERR,
		    "%s at offset %zu", (const char *)msg, (size_t)where);
	}
	/* without JIT (a platform PCRE2 has none for) it is interpreted */
	(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	r->kind = kind;
	r->rank = rank;
	x->nrx++;
	return 0;
}

static int
type_ok(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			*s == '_'))
			return 0;
	return 1;
}

/* The pattern file: NAME [type=TYPE] <TAB> REGEX lines. */
static int
read_patterns(struct crm_entity *x, const char *path, struct crm_err *e)
{
	struct crm_rulefile f;
	struct crm_rule_setting set[1];
	const char *type;
	char msg[sizeof(e->msg)];
	size_t i, n, nlen;
	int rc = -1;

	if (crm_rulefile_read(&f, path, "\t", 0, e) == -1)
		return -1;
	for (i = 0; i < f.n; i++) {
		struct crm_rule *ru = &f.rule[i];
		struct rx *r;

		e->file = path;
		e->line = ru->line;
		if (crm_rule_settings(ru->left, set, 1, &n, e) == -1)
			goto out;
		if (!crm_rule_name_ok(ru->left)) {
			crm_err_set(e, EX_DATAERR,
			    "bad pattern name '%s': want %s", ru->left,
			    CRM_RULE_NAME_CHARS);
			goto out;
		}
		type = "order_id";
		if (n == 1 && (strcmp(set[0].key, "type") != 0 ||
				  !type_ok(set[0].value))) {
			crm_err_set(e, EX_DATAERR,
			    "pattern '%s': bad setting '%s=%s': want "
			    "type=TYPE, TYPE of a-z, 0-9 and '_'",
			    ru->left, set[0].key, set[0].value);
			goto out;
		}
		if (n == 1)
			type = set[0].value;
		if (add_rx(x, ru->right, strlen(ru->right), K_PATTERN,
			R_PATTERN, 0, e) == -1) {
			snprintf(msg, sizeof(msg), "%s", e->msg);
			crm_err_set(
			    e, e->code, "pattern '%s': %s", ru->left, msg);
			goto out;
		}
		/* the name, a NUL, the type: one allocation */
		nlen = strlen(ru->left);
		r = &x->rx[x->nrx - 1];
		if ((r->name = malloc(nlen + strlen(type) + 2)) == NULL) {
			crm_err_set(e, EX_SOFTWARE, "out of memory");
			goto out;
		}
		memcpy(r->name, ru->left, nlen + 1);
		memcpy(r->name + nlen + 1, type, strlen(type) + 1);
		r->type = r->name + nlen + 1;
	}
	e->file = NULL;
	e->line = 0;
	rc = 0;
out:
	crm_rulefile_release(&f);
	return rc;
}

/* Trim ASCII white space at both ends of s[0..*len). */
static const char *
trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++, (*len)--;
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t' ||
			       s[*len - 1] == '\r' || s[*len - 1] == '\n'))
		(*len)--;
	return s;
}

/* The product list: one name a line; blank lines and '#' lines skipped. */
static int
read_products(struct crm_entity *x, const char *path, struct crm_err *e)
{
	char *line = NULL, **p;
	const char *s;
	size_t cap = 0, len, bad;
	unsigned long lineno = 0;
	ssize_t got;
	FILE *fp;
	int rc = -1;

	if ((fp = fopen(path, "r")) == NULL)
		return crm_err_set(e, EX_NOINPUT, "cannot open '%s': %s", path,
		    strerror(errno));
	while (errno = 0, (got = getline(&line, &cap, fp)) != -1) {
		len = (size_t)got;
		e->file = path;
		e->line = ++lineno;
		if (memchr(line, '\0', len) != NULL) {
			crm_err_set(e, EX_DATAERR, "NUL byte in the products");
			goto out;
		}
		s = trim(line, &len);
		if (len == 0 || *s == '#')
			continue;
		if (!crm_utf8_check(s, len, &bad)) {
			crm_err_set(e, EX_DATAERR,
			    "invalid UTF-8 at byte %zu of the name", bad + 1);
			goto out;
		}
		if ((p = crm_reallocarray(
			 x->products, x->nproducts + 1, sizeof(*p))) == NULL)
			goto nomem;
		x->products = p;
		if ((p[x->nproducts] = malloc(len + 1)) == NULL)
			goto nomem;
		memcpy(p[x->nproducts], s, len);
		p[x->nproducts++][len] = '\0';
	}
	if (ferror(fp)) {
		e->line = 0;
		crm_err_set(
		    e, EX_IOERR, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	e->file = NULL;
	e->line = 0;
	rc = 0;
	goto out;
nomem:
	crm_err_set(e, EX_SOFTWARE, "out of memory");
out:
	free(line);
	fclose(fp);
	return rc;
}

static int
ascii_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Longest first; of two as long, the list's order. */
static const struct crm_entity *sort_x;

static int
by_length(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t li = strlen(sort_x->products[i]);
	size_t lj = strlen(sort_x->products[j]);

	if (li != lj)
		return li > lj ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * One caseless alternation of the names order[from..to), longest first
 * (PCRE2 takes the first alternative that matches, so the longest name
 * wins), each marked with its index; a name that starts or ends with a
 * Latin letter or digit does not match inside a word.
 */
static int
product_rx(struct crm_entity *x, const size_t *order, size_t from, size_t to,
    struct crm_err *e)
{
	struct crm_buf b;
	const char *s;
	size_t i, len;
	int rc = 0;

	crm_buf_init(&b);
	rc |= crm_buf_adds(&b, "(?:");
	for (i = from; i < to; i++) {
		s = x->products[order[i]];
		len = strlen(s);
		if (i > from)
			rc |= crm_buf_addc(&b, '|');
		if (ascii_alnum((unsigned char)s[0]))
			rc |= crm_buf_adds(&b, "(?<![A-Za-z0-9])");
		for (; *s != '\0'; s++) {
			if ((unsigned char)*s < 0x80 &&
			    !ascii_alnum((unsigned char)*s))
				rc |= crm_buf_addc(&b, '\\');
			rc |= crm_buf_addc(&b, *s);
		}
		if (ascii_alnum((unsigned char)x->products[order[i]][len - 1]))
			rc |= crm_buf_adds(&b, "(?![A-Za-z0-9])");
		rc |= crm_buf_addf(&b, "(*MARK:%zu)", order[i]);
	}
	rc |= crm_buf_addc(&b, ')');
	if (rc != 0) {
		crm_buf_release(&b);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	rc = add_rx(x, b.p, b.len, K_PRODUCT, R_PRODUCT, PCRE2_CASELESS, e);
	if (rc == 0)
		x->rx[x->nrx - 1].type = types[R_PRODUCT];
	crm_buf_release(&b);
	return rc;
}

static int
products_rx(struct crm_entity *x, struct crm_err *e)
{
	size_t *order, i, to;
	int rc = 0;

	if (x->nproducts == 0)
		return 0;
	if ((order = calloc(x->nproducts, sizeof(*order))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	for (i = 0; i < x->nproducts; i++)
		order[i] = i;
	sort_x = x;
	qsort(order, x->nproducts, sizeof(*order), by_length);
	for (i = 0; rc == 0 && i < x->nproducts; i = to) {
		to = i + PRODUCTS_PER_RE < x->nproducts ? i + PRODUCTS_PER_RE
							: x->nproducts;
		rc = product_rx(x, order, i, to, e);
	}
	free(order);
	return rc;
}

static int
rank_of(enum kind k)
{
	switch (k) {
	case K_PATTERN:
		return R_PATTERN;
	case K_EMAIL:
		return R_EMAIL;
	case K_PHONE:
	case K_PHONE_CN:
	case K_PHONE_US:
		return R_PHONE;
	case K_AMOUNT_PRE:
	case K_AMOUNT_POST:
	case K_AMOUNT_ZH:
		return R_AMOUNT;
	case K_PRODUCT:
		return R_PRODUCT;
	default:
		return R_DATE;
	}
}

struct crm_entity *
crm_entity_new(const struct crm_entity_opts *o, struct crm_err *e)
{
	struct crm_entity *x;
	uint32_t caps, most = 0;
	size_t i;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	crm_buf_init(&x->vals);
	crm_buf_init(&x->tmp);
	if (o->tz != NULL && strcmp(o->tz, "UTC") != 0) {
		if (!crm_tz_ok(o->tz)) {
			crm_err_set(e, EX_USAGE,
			    "unknown time zone '%s' (want a name of the tz "
			    "database, such as Asia/Shanghai)",
			    o->tz);
			goto fail;
		}
		x->tz = o->tz;
	}
	if (o->patterns != NULL) {
		if (read_patterns(x, o->patterns, e) == -1)
			goto fail;
	} else {
		for (i = 0; i < sizeof(order_builtin) / sizeof(*order_builtin);
		     i++) {
			if (add_rx(x, order_builtin[i].re,
				strlen(order_builtin[i].re), K_PATTERN,
				R_PATTERN, 0, e) == -1)
				goto fail;
			x->rx[x->nrx - 1].type = types[R_PATTERN];
		}
	}
	for (i = 0; i < sizeof(builtins) / sizeof(*builtins); i++)
		if (add_rx(x, builtins[i].re, strlen(builtins[i].re),
			builtins[i].kind, rank_of(builtins[i].kind), 0,
			e) == -1)
			goto fail;
		else
			x->rx[x->nrx - 1].type =
			    types[rank_of(builtins[i].kind)];
	if (o->products != NULL &&
	    (read_products(x, o->products, e) == -1 || products_rx(x, e) == -1))
		goto fail;
	for (i = 0; i < x->nrx; i++) {
		if (pcre2_pattern_info(
			x->rx[i].re, PCRE2_INFO_CAPTURECOUNT, &caps) == 0 &&
		    caps > most)
			most = caps;
	}
	if ((x->md = pcre2_match_data_create(most + 1, NULL)) == NULL ||
	    (x->mc = pcre2_match_context_create(NULL)) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	pcre2_set_match_limit(x->mc, MATCH_LIMIT);
	crm_entity_day_clock(x);
	return x;
fail:
	crm_entity_free(x);
	return NULL;
}

void
crm_entity_free(struct crm_entity *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nrx; i++) {
		pcre2_code_free(x->rx[i].re);
		free(x->rx[i].name);
	}
	free(x->rx);
	for (i = 0; i < x->nproducts; i++)
		free(x->products[i]);
	free(x->products);
	pcre2_match_data_free(x->md);
	pcre2_match_context_free(x->mc);
	free(x->c);
	free(x->hits);
	free(x->taken);
	crm_buf_release(&x->vals);
	crm_buf_release(&x->tmp);
	free(x);
}

/* ==== The reference day ==== */

static void
set_ref(struct crm_entity *x, long long days)
{
	int d;

	x->ref = days;
	crm_day_civil(days, &x->ry, &x->rm, &d);
	/* 1970-01-01 was a Thursday */
	x->rwd = (int)(((days + 3) % 7 + 7) % 7) + 1;
}

/* The day of moment secs in the zone; 0 or -1. */
static int
day_at(const struct crm_entity *x, double secs, long long *days)
{
	struct tm tm;

	if (crm_tz_local(x->tz, secs, &tm) == -1)
		return -1;
	return crm_day_number(
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, days);
}

void
crm_entity_day_clock(struct crm_entity *x)
{
	if (!x->clock_known) {
		if (day_at(x, crm_clock_now(), &x->clock_ref) == -1)
			x->clock_ref = 0;
		x->clock_known = 1;
	}
	set_ref(x, x->clock_ref);
}

/* The number of the digits s[0..len). */
static int
digits(const char *s, size_t len)
{
	int v = 0;

	while (len-- > 0 && v < 100000)
		v = v * 10 + (*s++ - '0');
	return v;
}

int
crm_entity_day(
    struct crm_entity *x, const char *t, size_t len, struct crm_err *e)
{
	const char *why = NULL, *p;
	long long days;
	double secs;

	crm_buf_reset(&x->tmp);
	if (crm_norm_date(&x->tmp, t, len, CRM_DATE_STRICT, &why) == 0) {
		p = x->tmp.p;
		/* a moment (Z): its day in the zone; else the day written */
		if (p[x->tmp.len - 1] == 'Z') {
			if (crm_norm_seconds(p, x->tmp.len, &secs, &why) == 0 &&
			    day_at(x, secs, &days) == 0) {
				set_ref(x, days);
				return 0;
			}
		} else if (crm_day_number(digits(p, 4), digits(p + 5, 2),
			       digits(p + 8, 2), &days) == 0) {
			set_ref(x, days);
			return 0;
		}
		why = "out of range";
	} else if (why != NULL && crm_norm_seconds(t, len, &secs, &why) == 0) {
		if (day_at(x, secs, &days) == 0) {
			set_ref(x, days);
			return 0;
		}
		why = "out of range";
	}
	if (why == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return crm_err_set(e, EX_DATAERR, "cannot read the time '%.*s': %s",
	    (int)(len > 40 ? 40 : len), t, why);
}

/* ==== Values ==== */

/* Group g of the match, when it took part: its start and length. */
static int
group(const PCRE2_SIZE *ov, int rc, int g, size_t *s, size_t *n)
{
	if (g >= rc || ov[2 * g] == PCRE2_UNSET)
		return 0;
	*s = ov[2 * g];
	*n = ov[2 * g + 1] - ov[2 * g];
	return 1;
}

/* ASCII-caseless: s[0..n) is word w. */
static int
is_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* ASCII-caseless: s[0..n) starts with w. */
static int
starts(const char *s, size_t n, const char *w)
{
	return n >= strlen(w) && is_word(s, strlen(w), w);
}

static int
value_str(struct crm_entity *x, const char *s, size_t n)
{
	return crm_json_quote(&x->vals, s, n);
}

/* The date y-m-d as a value; 0 when it is none (1 when written). */
static int
value_date(struct crm_entity *x, int y, int m, int d)
{
	long long days;

	if (crm_day_number(y, m, d, &days) == -1)
		return 0;
	return crm_buf_addf(&x->vals, "\"%04d-%02d-%02d\"", y, m, d) == -1 ? -1
									   : 1;
}

static int
value_day(struct crm_entity *x, long long days)
{
	int y, m, d;

	crm_day_civil(days, &y, &m, &d);
	return value_date(x, y, m, d);
}

/*
 * A date written without its year (month m, day d) or without its month
 * too (m -1): of the year before, the reference year and the next (of
 * the month before, the reference month and the next), the valid date
 * nearest the reference day, the reference year's (month's) on a tie.
 * 12月31日 said on 2 January is the day before yesterday, 3号 said on
 * 30 December in four days.  As value_date.
 */
static int
value_near(struct crm_entity *x, int m, int d)
{
	static const int step[] = { 0, -1, 1 };
	long long days, best = 0, far, bestfar = -1;
	int i, y, mm;

	for (i = 0; i < 3; i++) {
		y = x->ry + (m >= 0 ? step[i] : 0);
		mm = m >= 0 ? m : x->rm + step[i];
		if (m < 0 && mm < 1)
			mm = 12, y--;
		else if (m < 0 && mm > 12)
			mm = 1, y++;
		if (crm_day_number(y, mm, d, &days) == -1)
			continue;
		far = days > x->ref ? days - x->ref : x->ref - days;
		if (bestfar < 0 || far < bestfar)
			best = days, bestfar = far;
	}
	return bestfar < 0 ? 0 : value_day(x, best);
}

/* The weekday (1: Monday) s[0..n) names, or 0. */
static int
weekday(const char *s, size_t n)
{
	size_t i;

	if (n == 1 && *s >= '1' && *s <= '7')
		return *s - '0';
	for (i = 0; i < 8; i++)
		if (n == strlen(zh_days[i]) && memcmp(s, zh_days[i], n) == 0)
			return i < 7 ? (int)i + 1 : 7;
	for (i = 0; i < 7; i++)
		if (starts(s, n, en_days[i]))
			return (int)i + 1;
	return 0;
}

static int
month(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < 12; i++)
		if (starts(s, n, months[i]))
			return (int)i + 1;
	return 0;
}

/* 上周五, 下周一, 周三: the day of a week from Monday to Sunday. */
static long long
zh_week(const struct crm_entity *x, const char *w, size_t wn, int day)
{
	int week = 0;

	if (wn == 6)
		week = memcmp(w, "上上", 6) == 0 ? -2 : 2;
	else if (wn == 3 && memcmp(w, "上", 3) == 0)
		week = -1;
	else if (wn == 3 && memcmp(w, "下", 3) == 0)
		week = 1;
	return x->ref - (x->rwd - 1) + 7 * week + (day - 1);
}

/* last X: the latest X before today; next X: the first after it; this
 * X: the X of this week, Monday to Sunday. */
static long long
en_week(const struct crm_entity *x, const char *w, size_t wn, int day)
{
	int back = ((x->rwd - day) % 7 + 7) % 7;
	int ahead = ((day - x->rwd) % 7 + 7) % 7;

	if (is_word(w, wn, "last"))
		return x->ref - (back == 0 ? 7 : back);
	if (is_word(w, wn, "next"))
		return x->ref + (ahead == 0 ? 7 : ahead);
	return x->ref - (x->rwd - 1) + (day - 1);
}

/*
 * Chinese numerals of the simple forms (一百二十, 两百, 三千零五, 十五,
 * 一万二千) into *v: hand-written, as no library we use reads them.  Not
 * read: 亿, the colloquial 一千二 (a unit left out), two digits in a
 * row (一二), fractions.  0, or -1.
 */
static int
zh_number(const char *s, size_t n, long long *v)
{
	static const char *const dig[] = { "零", "〇", "一", "二", "两", "三",
		"四", "五", "六", "七", "八", "九" };
	static const int dval[] = { 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const char *const unit[] = { "十", "百", "千", "万" };
	static const int uval[] = { 10, 100, 1000, 10000 };
	long long total = 0, section = 0;
	int digit = -1, last = 0, zero = 0, u, i, found;

	while (n >= 3) {
		found = 0;
		for (i = 0; i < 12 && !found; i++) {
			if (memcmp(s, dig[i], 3) != 0)
				continue;
			found = 1;
			if (digit >= 0)
				return -1;
			if (dval[i] == 0)
				zero = 1;
			else
				digit = dval[i];
		}
		for (i = 0; i < 4 && !found; i++) {
			if (memcmp(s, unit[i], 3) != 0)
				continue;
			found = 1;
			u = uval[i];
			if (u == 10000) {
				if (digit >= 0)
					section += digit;
				if (section == 0 || total != 0)
					return -1;
				total = section * 10000;
				section = 0;
			} else {
				if (last != 0 && u >= last)
					return -1;
				if (digit < 0 && u == 10 && section == 0 &&
				    total == 0 && !zero)
					digit = 1; /* 十五 */
				if (digit < 0)
					return -1;
				section += (long long)digit * u;
			}
			digit = -1;
			last = u;
			zero = 0;
		}
		if (!found)
			return -1;
		s += 3;
		n -= 3;
	}
	if (n != 0)
		return -1;
	if (digit >= 0) {
		if (last != 0 && last != 10 && !zero)
			return -1;
		section += digit;
	}
	*v = total + section;
	return *v > 0 ? 0 : -1;
}

/* The ISO 4217 code of a currency as written, or NULL. */
static const char *
currency(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(currencies) / sizeof(*currencies); i++)
		if (is_word(s, n, currencies[i].as))
			return currencies[i].code;
	return NULL;
}

/* {"value":"N","currency":"C"}, N without its grouping commas. */
static int
value_amount(struct crm_entity *x, const char *num, size_t nn, const char *cur,
    size_t cn)
{
	const char *code = currency(cur, cn);
	size_t i;
	int rc = 0;

	if (code == NULL)
		return 0;
	rc |= crm_buf_adds(&x->vals, "{\"value\":\"");
	for (i = 0; i < nn; i++)
		if (num[i] != ',')
			rc |= crm_buf_addc(&x->vals, num[i]);
	rc |= crm_buf_addf(&x->vals, "\",\"currency\":\"%s\"}", code);
	return rc == 0 ? 1 : -1;
}

/* A phone number in E.164 through lib/norm; 0 when it refuses it. */
static int
value_phone(struct crm_entity *x, const char *s, size_t n, const char *region)
{
	const char *why;
	struct crm_buf *t = &x->tmp;

	crm_buf_reset(t);
	if (crm_norm_phone(t, s, n, region, &why) == -1)
		return why == NULL ? -1 : 0;
	/* norm writes a Chinese mobile number as its 11 digits */
	if (t->len > 0 && t->p[0] != '+') {
		if (crm_buf_adds(&x->vals, "\"+86") == -1 ||
		    crm_buf_add(&x->vals, t->p, t->len) == -1 ||
		    crm_buf_addc(&x->vals, '"') == -1)
			return -1;
		return 1;
	}
	return value_str(x, t->p, t->len) == -1 ? -1 : 1;
}

/*
 * The value of recognizer r's match in text into x->vals: 1, 0 when the
 * match is no entity, -1 when out of memory.
 */
static int
value(struct crm_entity *x, const struct rx *r, const char *text,
    const PCRE2_SIZE *ov, int rc)
{
	const char *m = text + ov[0], *why, *mark;
	size_t mn = ov[1] - ov[0], s1 = 0, n1 = 0, s2 = 0, n2 = 0, s3, n3;
	size_t i;
	long long v;
	int k, g1, mo, dd;

	g1 = group(ov, rc, 1, &s1, &n1);
	(void)group(ov, rc, 2, &s2, &n2);
	switch (r->kind) {
	case K_PATTERN:
		if (g1 && n1 > 0)
			return value_str(x, text + s1, n1) == -1 ? -1 : 1;
		return value_str(x, m, mn) == -1 ? -1 : 1;
	case K_EMAIL:
		crm_buf_reset(&x->tmp);
		if (crm_norm_email(&x->tmp, m, mn, &why) == -1)
			return why == NULL ? -1 : 0;
		return value_str(x, x->tmp.p, x->tmp.len) == -1 ? -1 : 1;
	case K_PHONE:
	case K_PHONE_CN:
		return value_phone(x, m, mn, "CN");
	case K_PHONE_US:
		return value_phone(x, m, mn, "US");
	case K_DATE_ISO:
		if (!group(ov, rc, 3, &s3, &n3) || !group(ov, rc, 4, &s2, &n2))
			return 0;
		return value_date(x, digits(text + s1, n1),
		    digits(text + s3, n3), digits(text + s2, n2));
	case K_DATE_ZH:
		if (!group(ov, rc, 3, &s3, &n3))
			return 0;
		if (!g1)
			return value_near(
			    x, digits(text + s2, n2), digits(text + s3, n3));
		return value_date(x, digits(text + s1, n1),
		    digits(text + s2, n2), digits(text + s3, n3));
	case K_DATE_ZH_DAY:
		return value_near(x, -1, digits(text + s1, n1));
	case K_DATE_ZH_REL:
	case K_DATE_EN_REL:
		for (i = 0; i < sizeof(relative) / sizeof(*relative); i++)
			if (is_word(m, mn, relative[i].as))
				return value_day(x, x->ref + relative[i].days);
		/* the day after tomorrow, the day before yesterday */
		return value_day(x,
		    x->ref + (mn > 0 && (m[mn - 1] == 'w' || m[mn - 1] == 'W')
				     ? 2
				     : -2));
	case K_DATE_ZH_WEEK:
		if ((k = weekday(text + s2, n2)) == 0)
			return 0;
		return value_day(
		    x, zh_week(x, g1 ? text + s1 : "", g1 ? n1 : 0, k));
	case K_DATE_EN_WEEK:
		if ((k = weekday(text + s2, n2)) == 0)
			return 0;
		return value_day(x, en_week(x, text + s1, n1, k));
	case K_DATE_EN_MD:
	case K_DATE_EN_DM:
		if (r->kind == K_DATE_EN_MD)
			mo = month(text + s1, n1), dd = digits(text + s2, n2);
		else
			mo = month(text + s2, n2), dd = digits(text + s1, n1);
		if (!group(ov, rc, 3, &s3, &n3))
			return value_near(x, mo, dd);
		return value_date(x, digits(text + s3, n3), mo, dd);
	case K_AMOUNT_PRE:
		return value_amount(x, text + s2, n2, text + s1, n1);
	case K_AMOUNT_POST:
		return value_amount(x, text + s1, n1, text + s2, n2);
	case K_AMOUNT_ZH:
		if (zh_number(text + s1, n1, &v) == -1)
			return 0;
		crm_buf_reset(&x->tmp);
		if (crm_buf_addf(&x->tmp, "%lld", v) == -1)
			return -1;
		return value_amount(x, x->tmp.p, x->tmp.len, text + s2, n2);
	case K_PRODUCT:
	default:
		if ((mark = (const char *)pcre2_get_mark(x->md)) == NULL)
			return 0;
		i = (size_t)strtoul(mark, NULL, 10);
		if (i >= x->nproducts)
			return 0;
		return value_str(x, x->products[i], strlen(x->products[i])) ==
			       -1
			   ? -1
			   : 1;
	}
}

/* ==== Finding ==== */

static int
add_cand(struct crm_entity *x, size_t rx, size_t bs, size_t be, size_t voff)
{
	struct cand *c;

	if (x->nc == x->ccap) {
		size_t n = x->ccap ? 2 * x->ccap : 16;

		if ((c = crm_reallocarray(x->c, n, sizeof(*c))) == NULL)
			return -1;
		x->c = c;
		x->ccap = n;
	}
	c = &x->c[x->nc++];
	c->bs = bs;
	c->be = be;
	c->rx = rx;
	c->voff = voff;
	c->vlen = x->vals.len - voff;
	return 0;
}

/* Every match of recognizer i in text: 0, or -1 with e filled. */
static int
scan(struct crm_entity *x, size_t i, const char *text, size_t len,
    struct crm_err *e)
{
	const struct rx *r = &x->rx[i];
	PCRE2_SIZE off = 0, *ov;
	size_t voff, bs, blen;
	int rc, v;

	while (off <= len) {
		rc = pcre2_match(r->re, (PCRE2_SPTR)text, len, off,
		    PCRE2_NO_UTF_CHECK, x->md, x->mc);
		/*
		 * JIT code backtracks on a machine stack of 32 KB, which a
		 * repeated group (a.b.c... of an address, 1,000,000...)
		 * outgrows in a few KB of text: the interpreter's frames
		 * are on the heap, bounded by the match limit.
		 */
		if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
			rc = pcre2_match(r->re, (PCRE2_SPTR)text, len, off,
			    PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, x->md, x->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc == PCRE2_ERROR_NOMEMORY)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		if (rc < 0) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(rc, msg, sizeof(msg));
			return crm_err_set(e, EX_DATAERR, "pattern %s: %s",
			    r->name != NULL ? r->name : "built in",
			    (const char *)msg);
		}
		ov = pcre2_get_ovector_pointer(x->md);
		if (ov[1] > ov[0]) {
			voff = x->vals.len;
			/* a pattern's entity is its group 1 when it has one */
			if (r->kind != K_PATTERN ||
			    !group(ov, rc, 1, &bs, &blen) || blen == 0) {
				bs = ov[0];
				blen = ov[1] - ov[0];
			}
			if ((v = value(x, r, text, ov, rc)) == -1 ||
			    (v == 1 &&
				add_cand(x, i, bs, bs + blen, voff) == -1))
				return crm_err_set(
				    e, EX_SOFTWARE, "out of memory");
			if (v == 0)
				x->vals.len = voff;
			off = ov[1];
			continue;
		}
		/* an empty match: on by a character */
		off = ov[1] > off ? ov[1] : off;
		if (off >= len)
			return 0;
		off++;
		while (off < len && ((unsigned char)text[off] & 0xc0) == 0x80)
			off++;
	}
	return 0;
}

/* Longer first; then the lower rank; then the earlier. */
static const struct crm_entity *cmp_x;

static int
by_claim(const void *a, const void *b)
{
	const struct cand *p = a, *q = b;
	size_t lp = p->be - p->bs, lq = q->be - q->bs;
	int rp = cmp_x->rx[p->rx].rank, rq = cmp_x->rx[q->rx].rank;

	if (lp != lq)
		return lp > lq ? -1 : 1;
	if (rp != rq)
		return rp < rq ? -1 : 1;
	if (p->bs != q->bs)
		return p->bs < q->bs ? -1 : 1;
	return p->rx < q->rx ? -1 : p->rx > q->rx;
}

static int
by_start(const void *a, const void *b)
{
	const struct cand *p = a, *q = b;

	return p->bs < q->bs ? -1 : p->bs > q->bs;
}

/* Keep the candidates that overlap none claimed before them. */
static size_t
choose(struct crm_entity *x, size_t len)
{
	size_t i, j, kept = 0;
	unsigned char *t;

	if (x->tcap < len + 1) {
		if ((t = realloc(x->taken, len + 1)) == NULL)
			return (size_t)-1;
		x->taken = t;
		x->tcap = len + 1;
	}
	if (x->nc == 0)
		return 0;
	memset(x->taken, 0, len + 1);
	cmp_x = x;
	qsort(x->c, x->nc, sizeof(*x->c), by_claim);
	for (i = 0; i < x->nc; i++) {
		struct cand *c = &x->c[i];

		for (j = c->bs; j < c->be && !x->taken[j]; j++)
			;
		if (j < c->be)
			continue;
		memset(x->taken + c->bs, 1, c->be - c->bs);
		x->c[kept++] = *c;
	}
	qsort(x->c, kept, sizeof(*x->c), by_start);
	return kept;
}

int
crm_entity_find(struct crm_entity *x, const char *text, size_t len,
    struct crm_buf *out, const struct crm_entity_hit **hits, size_t *n,
    struct crm_err *e)
{
	struct crm_entity_hit *h;
	struct crm_jw w;
	size_t i, kept, pos = 0, cp = 0, bad;

	crm_buf_reset(out);
	*n = 0;
	if (hits != NULL)
		*hits = NULL;
	if (!crm_utf8_check(text, len, &bad))
		return crm_err_set(
		    e, EX_DATAERR, "invalid UTF-8 at byte %zu", bad + 1);
	x->nc = 0;
	crm_buf_reset(&x->vals);
	for (i = 0; i < x->nrx; i++)
		if (scan(x, i, text, len, e) == -1)
			return -1;
	if ((kept = choose(x, len)) == (size_t)-1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (x->hcap < kept) {
		if ((h = crm_reallocarray(x->hits, kept, sizeof(*h))) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		x->hits = h;
		x->hcap = kept;
	}
	crm_jw_init(&w, out);
	crm_jw_arr(&w);
	for (i = 0; i < kept; i++) {
		const struct cand *c = &x->c[i];

		h = &x->hits[i];
		cp += crm_utf8_count(text + pos, c->bs - pos);
		h->start = cp;
		cp += crm_utf8_count(text + c->bs, c->be - c->bs);
		h->end = cp;
		pos = c->be;
		h->bstart = c->bs;
		h->bend = c->be;
		h->type = x->rx[c->rx].type;
		crm_jw_obj(&w);
		crm_jw_key(&w, "type");
		crm_jw_str(&w, h->type);
		crm_jw_key(&w, "text");
		crm_jw_strn(&w, text + c->bs, c->be - c->bs);
		crm_jw_key(&w, "value");
		crm_jw_raw(&w, x->vals.p + c->voff, c->vlen);
		crm_jw_key(&w, "start");
		crm_jw_int(&w, (long long)h->start);
		crm_jw_key(&w, "end");
		crm_jw_int(&w, (long long)h->end);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	if (crm_jw_done(&w) == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	*n = kept;
	if (hits != NULL)
		*hits = x->hits;
	return 0;
}
