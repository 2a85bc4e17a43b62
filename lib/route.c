/*
 * route: rule settings, durations, the priority score, bursts and the
 * knowledge base of route.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include <utf8proc.h>

#include "answer.h"
#include "buf.h"
#include "route.h"
#include "rules.h"
#include "strmap.h"

/* ==== Settings ==== */

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
crm_route_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-' ||
			c == '.'))
			return 0;
	}
	return 1;
}

int
crm_route_duration(const char *s, size_t len, long *secs)
{
	long v = 0, unit;
	size_t i;

	if (len < 2 || len > 12)
		return -1;
	for (i = 0; i + 1 < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	switch (s[len - 1]) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -1;
	}
	if (v > 366L * 86400 / unit)
		return -1;
	*secs = v * unit;
	return 0;
}

int
crm_route_priority(const char *s, size_t len)
{
	if (len != 2 || (s[0] != 'P' && s[0] != 'p') || s[1] < '1' ||
	    s[1] > '4')
		return 0;
	return s[1] - '0';
}

void
crm_route_iso(double t, char buf[32])
{
	time_t tt;
	struct tm tm;

	/* years 1 to 9999 only: HUGE_VAL (crm_cal_add's never) or NaN is "" */
	if (!(t >= -62135596800.0 && t < 253402300800.0)) {
		buf[0] = '\0';
		return;
	}
	tt = (time_t)floor(t);
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%s", "");
}

static char *
dup_n(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* One "key=value" of settings; 0 or -1 with e filled. */
static int
set_one(struct crm_route_set *set, const char *k, size_t klen, const char *v,
    size_t vlen, struct crm_err *e)
{
	char **name = NULL;

	if (klen == 8 && memcmp(k, "priority", 8) == 0) {
		if ((set->priority = crm_route_priority(v, vlen)) == 0)
			return crm_err_set(e, EX_DATAERR,
			    "priority '%.*s': want P1, P2, P3 or P4", (int)vlen,
			    v);
		return 0;
	}
	if (klen == 3 && memcmp(k, "sla", 3) == 0) {
		if (crm_route_duration(v, vlen, &set->sla) == -1)
			return crm_err_set(e, EX_DATAERR,
			    "sla '%.*s': want a duration such as 30m, 4h or "
			    "2d",
			    (int)vlen, v);
		return 0;
	}
	if (klen == 5 && memcmp(k, "reply", 5) == 0) {
		if (vlen != 2 || memcmp(v, "no", 2) != 0)
			return crm_err_set(e, EX_DATAERR,
			    "reply '%.*s': the only setting is reply=no",
			    (int)vlen, v);
		set->no_reply = 1;
		return 0;
	}
	if (klen == 5 && memcmp(k, "queue", 5) == 0)
		name = &set->queue;
	else if (klen == 5 && memcmp(k, "skill", 5) == 0)
		name = &set->skill;
	if (name == NULL)
		return crm_err_set(e, EX_DATAERR,
		    "unknown setting '%.*s' (priority, queue, skill, sla, "
		    "reply)",
		    (int)klen, k);
	if (!crm_route_name_ok(v, vlen))
		return crm_err_set(e, EX_DATAERR,
		    "%.*s '%.*s': want letters, digits, '_', '-' or '.'",
		    (int)klen, k, (int)vlen, v);
	if (*name != NULL)
		return crm_err_set(
		    e, EX_DATAERR, "%.*s given twice", (int)klen, k);
	if ((*name = dup_n(v, vlen)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

int
crm_route_set_parse(struct crm_route_set *set, const char *s, struct crm_err *e)
{
	const char *p = s, *end, *eq, *k, *v, *ke, *ve;

	memset(set, 0, sizeof(*set));
	set->sla = -1;
	while (*p != '\0') {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		for (k = p; k < end && is_space(*k); k++)
			;
		for (ke = end; ke > k && is_space(ke[-1]); ke--)
			;
		if (k == ke) {
			crm_err_set(e, EX_DATAERR, "empty setting");
			goto fail;
		}
		if ((eq = memchr(k, '=', (size_t)(ke - k))) == NULL) {
			crm_err_set(e, EX_DATAERR,
			    "setting '%.*s': want key=value", (int)(ke - k), k);
			goto fail;
		}
		for (v = eq + 1; v < ke && is_space(*v); v++)
			;
		for (ve = eq; ve > k && is_space(ve[-1]); ve--)
			;
		if (set_one(set, k, (size_t)(ve - k), v, (size_t)(ke - v), e) ==
		    -1)
			goto fail;
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && *p == '\0') {
			crm_err_set(e, EX_DATAERR, "empty setting");
			goto fail;
		}
	}
	return 0;
fail:
	crm_route_set_release(set);
	return -1;
}

void
crm_route_set_release(struct crm_route_set *set)
{
	free(set->queue);
	free(set->skill);
	set->queue = set->skill = NULL;
}

/* ==== Priority score ==== */

struct urgency {
	char *intent;
	size_t len;
	double points;
};

struct crm_urgency {
	struct urgency *u;
	size_t n;
};

/*
 * The intents of crm-intent's built-in model: what cannot wait (no way
 * in, money) over what can (a question, an idea, thanks).
 */
static const struct {
	const char *intent;
	double points;
} builtin_urgency[] = {
	{ "account_login", 40 },
	{ "payment_issue", 40 },
	{ "complaint", 30 },
	{ "cancel_order", 25 },
	{ "return_refund", 25 },
	{ "human_agent", 25 },
	{ "order_status", 20 },
	{ "change_address", 20 },
	{ "product_question", 10 },
	{ "feature_suggestion", 0 },
	{ "praise", 0 },
};

#define URGENCY_OTHER 15.0 /* any other intent, or none */

struct crm_urgency *
crm_urgency_new(void)
{
	struct crm_urgency *u = calloc(1, sizeof(*u));
	size_t i;

	if (u == NULL)
		return NULL;
	for (i = 0; i < sizeof(builtin_urgency) / sizeof(builtin_urgency[0]);
	     i++) {
		if (crm_urgency_set(u, builtin_urgency[i].intent,
			strlen(builtin_urgency[i].intent),
			builtin_urgency[i].points) == -1) {
			crm_urgency_free(u);
			return NULL;
		}
	}
	return u;
}

void
crm_urgency_free(struct crm_urgency *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++)
		free(u->u[i].intent);
	free(u->u);
	free(u);
}

static struct urgency *
urgency_find(const struct crm_urgency *u, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->u[i].len == len && memcmp(u->u[i].intent, s, len) == 0)
			return &u->u[i];
	return NULL;
}

int
crm_urgency_set(
    struct crm_urgency *u, const char *intent, size_t len, double points)
{
	struct urgency *x = urgency_find(u, intent, len), *nu;

	if (x == NULL) {
		nu = crm_reallocarray(u->u, u->n + 1, sizeof(*nu));
		if (nu == NULL)
			return -1;
		u->u = nu;
		x = &nu[u->n];
		if ((x->intent = dup_n(intent, len)) == NULL)
			return -1;
		x->len = len;
		u->n++;
	}
	x->points = points;
	return 0;
}

double
crm_urgency_get(const struct crm_urgency *u, const char *intent, size_t len)
{
	const struct urgency *x;

	if (intent == NULL || (x = urgency_find(u, intent, len)) == NULL)
		return URGENCY_OTHER;
	return x->points;
}

void
crm_route_score(const struct crm_route_facts *f, struct crm_route_score *s)
{
	double conf = isnan(f->sentiment) ? 1.0 : f->sentiment, h;

	memset(s, 0, sizeof(*s));
	s->urgency = f->urgency;
	if (f->negative)
		s->sentiment = 30.0 * conf;
	if (f->vip)
		s->value = 20.0;
	else if (!isnan(f->value) && f->value > 0)
		s->value = fmin(20.0, 5.0 * log10(1.0 + f->value));
	if (!isnan(f->waited)) {
		h = f->waited / 3600.0;
		s->waiting = fmin(20.0, 2.0 * (h > 0 ? h : 0));
	}
	s->total = s->urgency + s->sentiment + s->value + s->waiting;
	if (s->total < 0)
		s->total = 0;
	if (s->total > 100)
		s->total = 100;
}

int
crm_route_score_priority(double score)
{
	return score >= 60 ? 1 : score >= 40 ? 2 : score >= 20 ? 3 : 4;
}

/* ==== Bursts ==== */

struct crm_burst {
	struct crm_strmap *ids;
	int keep;	/* times kept per customer: n - 1 */
	double window;	/* seconds */
	double *times;	/* keep per customer, a ring, NAN when empty */
	unsigned *next; /* per customer: the ring's next slot */
	size_t cap;	/* customers room was made for */
};

struct crm_burst *
crm_burst_new(int n, double window)
{
	struct crm_burst *b = calloc(1, sizeof(*b));

	if (b == NULL || n < 2 || (b->ids = crm_strmap_new()) == NULL) {
		free(b);
		return NULL;
	}
	b->keep = n - 1;
	b->window = window;
	return b;
}

void
crm_burst_free(struct crm_burst *b)
{
	if (b == NULL)
		return;
	crm_strmap_free(b->ids);
	free(b->times);
	free(b->next);
	free(b);
}

int
crm_burst_add(struct crm_burst *b, const char *id, size_t len, double t)
{
	long c = crm_strmap_put(b->ids, id, len);
	double *ring, d;
	size_t i, k = (size_t)b->keep;
	int near = 0;

	if (c < 0)
		return -1;
	if ((size_t)c >= b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		double *nt = crm_reallocarray(b->times, cap * k, sizeof(*nt));
		unsigned *nn;

		if (nt == NULL)
			return -1;
		b->times = nt;
		if ((nn = crm_reallocarray(b->next, cap, sizeof(*nn))) == NULL)
			return -1;
		b->next = nn;
		for (i = b->cap * k; i < cap * k; i++)
			nt[i] = NAN;
		memset(nn + b->cap, 0, (cap - b->cap) * sizeof(*nn));
		b->cap = cap;
	}
	ring = b->times + (size_t)c * k;
	for (i = 0; i < k; i++) {
		d = t - ring[i];
		if (!isnan(d) && d >= 0 && d <= b->window)
			near++;
	}
	ring[b->next[c]] = t;
	b->next[c] = (b->next[c] + 1) % (unsigned)k;
	return near == b->keep;
}

/* ==== Knowledge base ==== */

struct answer {
	char *intent, *lang, *text, *id;
	size_t ilen, tlen;
	struct crm_tmpl *tmpl;
	long when; /* its condition in kb->when, or -1 */
};

struct crm_kb {
	struct answer *a;
	size_t n;
	char *path;		/* for the conditions' messages */
	struct crm_rules *when; /* the conditions, or NULL */
	int when_order;		/* a condition reads a fact of the order */
	int slots;		/* an answer has a slot */
	struct crm_strmap *ids; /* the answers' ids, each once */
};

size_t
crm_kb_count(const struct crm_kb *kb)
{
	return kb->n;
}

void
crm_kb_free(struct crm_kb *kb)
{
	size_t i;

	if (kb == NULL)
		return;
	for (i = 0; i < kb->n; i++) {
		free(kb->a[i].intent);
		free(kb->a[i].lang);
		free(kb->a[i].text);
		free(kb->a[i].id);
		crm_tmpl_free(kb->a[i].tmpl);
	}
	free(kb->a);
	crm_rules_free(kb->when);
	crm_strmap_free(kb->ids);
	free(kb->path);
	free(kb);
}

/* Answer a's condition cond[0..clen) compiled into kb->when; 0 or -1. */
static int
kb_when(struct crm_kb *kb, struct answer *a, const char *cond, size_t clen,
    const char *path, unsigned long line, struct crm_err *e)
{
	char *expr;
	size_t i, n;
	long k;

	if (kb->when == NULL && (kb->when = crm_rules_new(e)) == NULL)
		return -1;
	if ((expr = dup_n(cond, clen)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	k = crm_rules_add(kb->when, expr, kb->path, line, e);
	free(expr);
	if (k < 0) {
		e->file = path; /* the caller's: kb->path goes with kb */
		crm_err_field(e, "when", 4);
		return -1;
	}
	a->when = k;
	n = crm_rules_nnames(kb->when);
	for (i = 0; i < n; i++)
		if (crm_order_fact(crm_rules_name(kb->when, i)))
			kb->when_order = 1;
	return 0;
}

static int
kb_add(struct crm_kb *kb, const struct crm_rec *r, const char *path,
    struct crm_err *e)
{
	const char *in, *ans, *lang, *id, *cond;
	size_t ilen, alen, llen = 0, idlen = 0, clen = 0;
	struct answer *na, *a;
	char *where = NULL;

	e->file = path;
	e->line = crm_rec_line(r);
	if ((in = crm_rec_text(r, "intent", &ilen)) == NULL) {
		crm_err_field(e, "intent", 6);
		return crm_err_set(e, EX_DATAERR, "no intent");
	}
	if ((ans = crm_rec_text(r, "answer", &alen)) == NULL) {
		crm_err_field(e, "answer", 6);
		return crm_err_set(e, EX_DATAERR, "no answer");
	}
	if ((lang = crm_rec_text(r, "lang", &llen)) == NULL)
		lang = "";
	if (llen != 0 && !(llen == 2 && (memcmp(lang, "zh", 2) == 0 ||
					    memcmp(lang, "en", 2) == 0))) {
		crm_err_field(e, "lang", 4);
		return crm_err_set(e, EX_DATAERR,
		    "lang '%.*s': want zh, en or nothing (any)",
		    (int)(llen > 20 ? 20 : llen), lang);
	}
	/* an answer without an id is known by its place: FILE:LINE */
	if ((id = crm_rec_text(r, "id", &idlen)) == NULL) {
		idlen = strlen(path) + 24;
		if ((where = malloc(idlen)) == NULL)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		snprintf(where, idlen, "%s:%lu", path, e->line);
		id = where;
		idlen = strlen(where);
	}
	/* the decisions name an answer by its id alone */
	if (crm_strmap_get(kb->ids, id, idlen) >= 0) {
		crm_err_field(e, "id", 2);
		crm_err_set(e, EX_DATAERR,
		    "answer id '%.*s' given twice: the decisions could not "
		    "tell the answers apart",
		    (int)(idlen > 40 ? 40 : idlen), id);
		free(where);
		return -1;
	}
	if (crm_strmap_put(kb->ids, id, idlen) == -1) {
		free(where);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	cond = crm_rec_text(r, "when", &clen);
	if ((na = crm_reallocarray(kb->a, kb->n + 1, sizeof(*na))) == NULL) {
		free(where);
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	}
	kb->a = na;
	a = &na[kb->n];
	memset(a, 0, sizeof(*a));
	a->when = -1;
	a->intent = dup_n(in, ilen);
	a->lang = dup_n(lang, llen);
	a->text = dup_n(ans, alen);
	a->id = dup_n(id, idlen);
	free(where);
	kb->n++;
	if (a->intent == NULL || a->lang == NULL || a->text == NULL ||
	    a->id == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	a->ilen = ilen;
	a->tlen = alen;
	if ((a->tmpl = crm_tmpl_parse(ans, alen, e)) == NULL) {
		crm_err_field(e, "answer", 6);
		return -1;
	}
	kb->slots |= crm_tmpl_nslots(a->tmpl) > 0;
	if (cond != NULL && kb_when(kb, a, cond, clen, path, e->line, e) == -1)
		return -1;
	return 0;
}

struct crm_kb *
crm_kb_read(const char *path, struct crm_err *e)
{
	struct crm_reader *rd = NULL;
	struct crm_rec *r = NULL;
	struct crm_kb *kb;
	FILE *fp;
	int rc;

	if ((kb = calloc(1, sizeof(*kb))) == NULL ||
	    (kb->path = dup_n(path, strlen(path))) == NULL ||
	    (kb->ids = crm_strmap_new()) == NULL) {
		crm_kb_free(kb);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		crm_err_set(e, EX_NOINPUT, "%s: %s", path, strerror(errno));
		crm_kb_free(kb);
		return NULL;
	}
	if ((r = crm_rec_new()) == NULL) {
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		goto fail;
	}
	if ((rd = crm_reader_open(fp, path, CRM_FMT_AUTO, e)) == NULL)
		goto fail;
	while ((rc = crm_reader_next(rd, r, e)) == 1)
		if (kb_add(kb, r, path, e) == -1)
			goto fail;
	if (rc == -1)
		goto fail;
	crm_reader_close(rd);
	crm_rec_free(r);
	if (ferror(fp)) {
		crm_err_set(e, EX_IOERR, "%s: read error", path);
		fclose(fp);
		crm_kb_free(kb);
		return NULL;
	}
	fclose(fp);
	return kb;
fail:
	crm_reader_close(rd);
	crm_rec_free(r);
	fclose(fp);
	crm_kb_free(kb);
	return NULL;
}

long
crm_kb_pick(const struct crm_kb *kb, const char *intent, size_t len,
    const char *lang, int (*holds)(void *, long), void *arg)
{
	long any = -1;
	size_t i;

	for (i = 0; i < kb->n; i++) {
		const struct answer *a = &kb->a[i];

		if (a->ilen != len || memcmp(a->intent, intent, len) != 0)
			continue;
		if (a->when >= 0 && holds != NULL && !holds(arg, a->when))
			continue;
		if (strcmp(a->lang, lang) == 0)
			return (long)i;
		if (a->lang[0] == '\0' && any < 0)
			any = (long)i;
	}
	return any;
}

const char *
crm_kb_answer(const struct crm_kb *kb, const char *intent, size_t len,
    const char *lang, size_t *alen)
{
	long i = crm_kb_pick(kb, intent, len, lang, NULL, NULL);

	if (i < 0)
		return NULL;
	*alen = kb->a[i].tlen;
	return kb->a[i].text;
}

const struct crm_tmpl *
crm_kb_tmpl(const struct crm_kb *kb, size_t i)
{
	return kb->a[i].tmpl;
}

const char *
crm_kb_id(const struct crm_kb *kb, size_t i)
{
	return kb->a[i].id;
}

struct crm_rules *
crm_kb_when(const struct crm_kb *kb)
{
	return kb->when;
}

int
crm_kb_when_order(const struct crm_kb *kb)
{
	return kb->when_order;
}

int
crm_kb_slots(const struct crm_kb *kb)
{
	return kb->slots;
}

const char *
crm_route_lang(const char *text, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	size_t i = 0;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) {
			i++;
			continue;
		}
		/* CJK ideographs, their extension A, compatibility, B-F */
		if ((c >= 0x4e00 && c <= 0x9fff) ||
		    (c >= 0x3400 && c <= 0x4dbf) ||
		    (c >= 0xf900 && c <= 0xfaff) ||
		    (c >= 0x20000 && c <= 0x2ebef))
			return "zh";
		i += (size_t)n;
	}
	return "en";
}

size_t
crm_route_chars(const char *text, size_t len)
{
	size_t i, n = 0;

	/* every byte but a continuation byte starts a code point */
	for (i = 0; i < len; i++)
		n += ((unsigned char)text[i] & 0xc0) != 0x80;
	return n;
}
