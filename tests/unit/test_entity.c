/*
 * test_entity: lib/entity.  The rules one by one (relative dates said on
 * each weekday, Chinese numerals, overlaps, code-point offsets, pattern
 * files and their errors), then the hand-labelled set
 * testdata/entities/labelled.jsonl: precision and recall per type, an
 * entity right when its type, span (start, end, text) and value are all
 * the labelled ones, each required to be at least BAR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "clock.h"
#include "entity.h"
#include "rec.h"
#include "tap.h"

#define LABELLED "testdata/entities/labelled.jsonl"
#define PRODUCTS "testdata/entities/products.txt"
#define BAR	 0.85

static struct crm_buf out;

/* The JSON of text's entities with reference day day (NULL: clock). */
static const char *
find(struct crm_entity *x, const char *day, const char *text)
{
	static struct crm_err e;
	size_t n;

	crm_err_clear(&e);
	if (day != NULL)
		crm_entity_day(x, day, strlen(day), &e);
	else
		crm_entity_day_clock(x);
	if (crm_entity_find(x, text, strlen(text), &out, NULL, &n, &e) == -1)
		return e.msg;
	if (crm_buf_addc(&out, '\0') == -1)
		return "out of memory";
	return out.p;
}

/* The value of the first date in text said on day. */
static const char *
date(struct crm_entity *x, const char *day, const char *text)
{
	static char v[16];
	const char *j = find(x, day, text), *p = strstr(j, "\"value\":\"");

	if (p == NULL || strstr(j, "\"date\"") == NULL)
		return "none";
	snprintf(v, sizeof(v), "%.10s", p + 9);
	return v;
}

/* The JSON of one entity whose value is a string, as find gives it. */
static const char *
one(const char *type, const char *span, const char *value, int start, int end)
{
	static char j[256];

	snprintf(j, sizeof(j),
	    "[{\"type\":\"%s\",\"text\":\"%s\",\"value\":\"%s\","
	    "\"start\":%d,\"end\":%d}]",
	    type, span, value, start, end);
	return j;
}

/* head, then rep n times, then tail: into a static buffer. */
static const char *
repeat(const char *head, const char *rep, size_t n, const char *tail)
{
	static struct crm_buf b;
	size_t i;

	crm_buf_reset(&b);
	crm_buf_adds(&b, head);
	for (i = 0; i < n; i++)
		crm_buf_adds(&b, rep);
	crm_buf_adds(&b, tail);
	crm_buf_addc(&b, '\0');
	return b.p;
}

/* A file holding text, for the pattern and product lists. */
static const char *
file(const char *name, const char *text)
{
	static char path[64];
	FILE *fp;

	snprintf(
	    path, sizeof(path), "/tmp/test_entity.%d.%s", (int)getpid(), name);
	if ((fp = fopen(path, "w")) == NULL)
		return "/nonexistent";
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
rules(void)
{
	struct crm_entity_opts o = { NULL, NULL, NULL };
	struct crm_entity *x;
	const char *got;
	struct crm_err e;

	crm_err_clear(&e);
	if ((x = crm_entity_new(&o, &e)) == NULL) {
		TAP_OK(0, "built in: %s", e.msg);
		return;
	}
	/* 2026-12-04 is a Friday */
	TAP_STR(date(x, "2026-12-04", "last Friday"), "2026-11-27",
	    "last Friday said on a Friday: a week ago");
	TAP_STR(date(x, "2026-12-04", "next Friday"), "2026-12-11",
	    "next Friday said on a Friday: a week on");
	TAP_STR(date(x, "2026-12-04", "this Friday"), "2026-12-04",
	    "this Friday said on a Friday: today");
	TAP_STR(date(x, "2026-12-06", "last Friday"), "2026-12-04",
	    "last Friday said on a Sunday: two days ago");
	TAP_STR(date(x, "2026-12-05", "next Monday"), "2026-12-07",
	    "next Monday said on a Saturday: in two days");
	TAP_STR(date(x, "2026-12-04", "上周五"), "2026-11-27",
	    "上周五 said on a Friday: last week's");
	TAP_STR(date(x, "2026-12-06", "上周五"), "2026-11-27",
	    "上周五 said on a Sunday: last week's (weeks from Monday)");
	TAP_STR(date(x, "2026-12-07", "上周五"), "2026-12-04",
	    "上周五 said on a Monday: three days ago");
	TAP_STR(date(x, "2026-12-04", "下周一"), "2026-12-07",
	    "下周一 said on a Friday");
	TAP_STR(date(x, "2026-12-04", "周三"), "2026-12-02",
	    "周三: this week's, though past");
	TAP_STR(date(x, "2026-12-04", "星期天"), "2026-12-06",
	    "星期天: this week's Sunday");
	TAP_STR(
	    date(x, "2026-12-31", "明天"), "2027-01-01", "明天 across a year");
	TAP_STR(date(x, "2028-02-28", "tomorrow"), "2028-02-29",
	    "tomorrow in a leap year");
	TAP_STR(date(x, "2026-12-04", "2月30日"), "none", "2月30日 is no date");
	TAP_STR(date(x, "2026-12-04", "3号"), "2026-12-03",
	    "3号: the reference month's");
	TAP_STR(date(x, "2026-12-04", "3号楼"), "none", "3号楼 is a building");
	TAP_STR(date(x, "2027-01-02", "12月31日"), "2026-12-31",
	    "12月31日 said on 2 January: the year before's");
	TAP_STR(date(x, "2027-01-02", "Dec 31"), "2026-12-31",
	    "Dec 31 said on 2 January: the year before's");
	TAP_STR(date(x, "2026-12-30", "1月3日"), "2027-01-03",
	    "1月3日 said on 30 December: the next year's");
	TAP_STR(date(x, "2026-12-30", "3rd of January"), "2027-01-03",
	    "3rd of January said on 30 December: the next year's");
	TAP_STR(date(x, "2026-12-04", "12月3日"), "2026-12-03",
	    "12月3日 said on 4 December: this year's");
	TAP_STR(date(x, "2027-01-01", "30号"), "2026-12-30",
	    "30号 said on 1 January: December's");
	TAP_STR(date(x, "2026-12-30", "3号"), "2027-01-03",
	    "3号 said on 30 December: January's");
	TAP_STR(date(x, "2027-02-10", "31号"), "2027-01-31",
	    "31号 said in February: January's");
	TAP_STR(date(x, "2026-12-04T23:00:00Z", "今天"), "2026-12-04",
	    "a moment's day in UTC");
	TAP_STR(date(x, "1764806400", "今天"), "2025-12-04", "epoch seconds");
	TAP_OK(crm_entity_day(x, "soon", 4, &e) == -1 && e.code == EX_DATAERR,
	    "a time that is none is refused (%s)", e.msg);

	TAP_STR(find(x, "2026-12-04", "两百元 一千零五元 十五块 三万五千元"),
	    "[{\"type\":\"amount\",\"text\":\"两百元\",\"value\":{\"value\":"
	    "\"200\",\"currency\":\"CNY\"},\"start\":0,\"end\":3},{\"type\":"
	    "\"amount\",\"text\":\"一千零五元\",\"value\":{\"value\":\"1005\","
	    "\"currency\":\"CNY\"},\"start\":4,\"end\":9},{\"type\":\"amount\","
	    "\"text\":\"十五块\",\"value\":{\"value\":\"15\",\"currency\":"
	    "\"CNY\"},\"start\":10,\"end\":13},{\"type\":\"amount\",\"text\":"
	    "\"三万五千元\",\"value\":{\"value\":\"35000\",\"currency\":"
	    "\"CNY\"},\"start\":14,\"end\":19}]",
	    "simple Chinese amounts");
	TAP_STR(find(x, NULL, "一千二元 一二元 三块五"), "[]",
	    "not simple: 一千二, 一二, 三块五");
	TAP_STR(find(x, NULL, "😀 $5"),
	    "[{\"type\":\"amount\",\"text\":\"$5\",\"value\":{\"value\":\"5\","
	    "\"currency\":\"USD\"},\"start\":2,\"end\":4}]",
	    "offsets count code points, not bytes");
	TAP_STR(find(x, NULL, "订单号13800138000"),
	    "[{\"type\":\"order_id\",\"text\":\"13800138000\",\"value\":"
	    "\"13800138000\",\"start\":3,\"end\":14}]",
	    "after 订单号 an order number, not a phone: as long, order "
	    "numbers first");
	TAP_STR(find(x, "2026-12-04", "到了 周五"),
	    one("date", "周五", "2026-12-04", 3, 5),
	    "周五 after a space: the span without the space");
	TAP_STR(find(x, "2026-12-04", "那个周五"),
	    one("date", "周五", "2026-12-04", 2, 4),
	    "那个周五: 个 in the span only after 上, 下, 这 or 本");
	TAP_STR(find(x, "2026-12-04", "订单 2026-12-01 下的"),
	    one("date", "2026-12-01", "2026-12-01", 3, 13),
	    "订单 and an ISO date: a date, not an order number");
	TAP_STR(find(x, NULL, "my order number is 12345"),
	    one("order_id", "12345", "12345", 19, 24),
	    "order number is 12345: an order number");
	TAP_STR(find(x, NULL, "order: #A-1001"),
	    one("order_id", "A-1001", "A-1001", 8, 14),
	    "order: #A-1001: an order number");
	TAP_STR(find(x, NULL, "订单号\u3000A100"),
	    one("order_id", "A100", "A100", 4, 8),
	    "订单号, an ideographic space (U+3000), A100: an order number");
	TAP_STR(date(x, "2026-12-04", "last\u00a0Friday"), "2026-11-27",
	    "last, a no-break space (U+00A0), Friday: a date");
	TAP_STR(find(x, NULL, "12.50\u00a0USD"),
	    "[{\"type\":\"amount\",\"text\":\"12.50\u00a0USD\",\"value\":"
	    "{\"value\":\"12.50\",\"currency\":\"USD\"},\"start\":0,"
	    "\"end\":9}]",
	    "12.50, a no-break space, USD: an amount");
	TAP_STR(find(x, NULL, "€1.299,00 €12,50 $1,2999"), "[]",
	    "1.299,00, 12,50, 1,2999 after a currency: no amount, not a part "
	    "of it");
	got = find(x, NULL, repeat("x@", "a.", 4000, "a"));
	TAP_OK(
	    *got == '[', "an address of 4,000 labels: no error (%.40s)", got);
	got = find(x, NULL, repeat("¥1", ",000", 9000, ""));
	TAP_OK(strncmp(got, "[{\"type\":\"amount\"", 17) == 0,
	    "an amount of 9,000 groups of digits: no error (%.40s)", got);
	TAP_STR(find(x, NULL, "x\xff"), "invalid UTF-8 at byte 2",
	    "invalid UTF-8 refused");
	crm_entity_free(x);

	o.tz = "Asia/Shanghai";
	x = crm_entity_new(&o, &e);
	TAP_STR(x ? date(x, "2026-12-04T23:00:00Z", "今天") : "", "2026-12-05",
	    "a moment's day in --tz");
	TAP_STR(x ? date(x, "2026-12-04T23:00:00", "今天") : "", "2026-12-04",
	    "a time without a zone: the zone's clocks");
	crm_entity_free(x);
	o.tz = "Mars/Olympus";
	TAP_OK(crm_entity_new(&o, &e) == NULL && e.code == EX_USAGE,
	    "an unknown zone (%s)", e.msg);
}

static void
patterns(void)
{
	struct crm_entity_opts o = { NULL, NULL, NULL };
	struct crm_entity *x;
	struct crm_err e;

	crm_err_clear(&e);
	o.patterns = file("p1", "# shop's own\nsf type=tracking_no\t"
				"\\bSF([0-9]{12})\\b\nshop\tSHOP-[0-9]+\n"
				"empty\tq*\n");
	x = crm_entity_new(&o, &e);
	TAP_OK(x != NULL, "a pattern file (%s)", e.msg);
	if (x != NULL) {
		TAP_STR(find(x, NULL, "SF123456789012 and SHOP-42"),
		    "[{\"type\":\"tracking_no\",\"text\":\"123456789012\","
		    "\"value\":\"123456789012\",\"start\":2,\"end\":14},"
		    "{\"type\":\"order_id\",\"text\":\"SHOP-42\",\"value\":"
		    "\"SHOP-42\",\"start\":19,\"end\":26}]",
		    "a line's type, group 1, the default type; empty matches "
		    "skipped");
		TAP_STR(find(x, NULL, "order 123456"), "[]",
		    "the file's patterns replace the built-in ones");
	}
	crm_entity_free(x);
	o.patterns = file("p2", "ok\tfine\nbad\t(unclosed\n");
	TAP_OK(crm_entity_new(&o, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 2 && strstr(e.msg, "pattern 'bad'") != NULL &&
		   strstr(e.msg, "offset") != NULL,
	    "a bad regex: its line and offset (%s)", e.msg);
	crm_err_clear(&e);
	o.patterns = file("p3", "x kind=y\tz\n");
	TAP_OK(crm_entity_new(&o, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 1,
	    "a setting other than type (%s)", e.msg);
	o.patterns = file("p4", "x type=Bad-Type\tz\n");
	TAP_OK(crm_entity_new(&o, &e) == NULL && e.code == EX_DATAERR,
	    "a bad type (%s)", e.msg);
	o.patterns = file("p5", "slow\t(a+)+$\n");
	crm_err_clear(&e);
	if ((x = crm_entity_new(&o, &e)) != NULL) {
		char text[64];
		size_t n;

		memset(text, 'a', 40);
		memcpy(text + 40, "!", 2);
		TAP_OK(crm_entity_find(
			   x, text, strlen(text), &out, NULL, &n, &e) == -1 &&
			   e.code == EX_DATAERR,
		    "a pattern past the match limit fails the text (%s)",
		    e.msg);
	}
	crm_entity_free(x);
	o.patterns = "/nonexistent/p";
	TAP_OK(crm_entity_new(&o, &e) == NULL && e.code == EX_NOINPUT,
	    "a pattern file not there (%s)", e.msg);
	o.patterns = NULL;
	o.products = file("pr", "# list\nPro\nPro Max\n华为\n\n");
	crm_err_clear(&e);
	if ((x = crm_entity_new(&o, &e)) != NULL)
		TAP_STR(find(x, NULL, "my pro max, a Product, 华为的"),
		    "[{\"type\":\"product\",\"text\":\"pro max\",\"value\":"
		    "\"Pro Max\",\"start\":3,\"end\":10},{\"type\":\"product\","
		    "\"text\":\"华为\",\"value\":\"华为\",\"start\":23,\"end\":"
		    "25}]",
		    "products: longest first, any case, not inside a word");
	crm_entity_free(x);
}

/* Per type: right, found, labelled. */
struct score {
	char type[16];
	unsigned right, found, labelled;
};

static struct score scores[8];
static size_t nscores;

static struct score *
score(const char *type)
{
	size_t i;

	for (i = 0; i < nscores; i++)
		if (strcmp(scores[i].type, type) == 0)
			return &scores[i];
	if (nscores == sizeof(scores) / sizeof(*scores))
		return &scores[0];
	snprintf(scores[nscores].type, sizeof(scores[0].type), "%s", type);
	return &scores[nscores++];
}

/*
 * The objects of JSON array json[0..len), each rewritten by
 * crm_rec_to_json (so both sides are written alike), into the lines of
 * b; their types into types.  The count, or -1.
 */
static long
objects(const char *json, size_t len, struct crm_buf *b, char types[][16])
{
	struct crm_reader *rd;
	struct crm_rec *r;
	struct crm_err e;
	const char *t;
	size_t tl;
	long n = 0, i;
	FILE *fp;

	crm_buf_reset(b);
	if (len == 2) /* [] */
		return 0;
	if ((fp = fmemopen((void *)(uintptr_t)json, len, "r")) == NULL)
		return -1;
	r = crm_rec_new();
	if ((rd = crm_reader_open(fp, "entities", CRM_FMT_AUTO, &e)) == NULL)
		n = -1;
	while (n >= 0 && crm_reader_next(rd, r, &e) == 1 && n < 64) {
		if ((i = crm_rec_find(r, "type", 4)) >= 0) {
			t = crm_rec_value(r, (size_t)i, &tl);
			snprintf(types[n], 16, "%.*s", (int)tl, t);
		}
		crm_rec_to_json(r, b);
		crm_buf_addc(b, '\n');
		n++;
	}
	crm_reader_close(rd);
	fclose(fp);
	crm_rec_free(r);
	return n;
}

/* Line i of the lines in b. */
static const char *
line(const struct crm_buf *b, long i, size_t *len)
{
	const char *p = b->p, *nl;

	while (i-- > 0)
		p = (const char *)memchr(p, '\n', (size_t)(b->p + b->len - p)) +
		    1;
	nl = memchr(p, '\n', (size_t)(b->p + b->len - p));
	*len = (size_t)(nl - p);
	return p;
}

static void
labelled(void)
{
	struct crm_entity_opts o = { NULL, PRODUCTS, "Asia/Shanghai" };
	struct crm_entity *x;
	struct crm_reader *rd;
	struct crm_rec *r = crm_rec_new();
	struct crm_buf want, got;
	char wt[64][16], gt[64][16], used[64];
	const char *text, *v;
	size_t tl, vl, n, ln, lm, i, j;
	long nw, ng, k;
	struct crm_err e;
	unsigned msgs = 0;
	FILE *fp;

	crm_err_clear(&e);
	crm_buf_init(&want);
	crm_buf_init(&got);
	x = crm_entity_new(&o, &e);
	fp = fopen(LABELLED, "r");
	rd = fp ? crm_reader_open(fp, LABELLED, CRM_FMT_AUTO, &e) : NULL;
	TAP_OK(x != NULL && rd != NULL, "the labelled set (%s)", e.msg);
	while (x != NULL && rd != NULL && crm_reader_next(rd, r, &e) == 1) {
		msgs++;
		text =
		    crm_rec_value(r, (size_t)crm_rec_find(r, "text", 4), &tl);
		if ((k = crm_rec_find(r, "time", 4)) >= 0) {
			v = crm_rec_value(r, (size_t)k, &vl);
			crm_entity_day(x, v, vl, &e);
		} else {
			crm_entity_day_clock(x);
		}
		k = crm_rec_find(r, "entities", 8);
		v = crm_rec_value(r, (size_t)k, &vl);
		nw = objects(v, vl, &want, wt);
		if (crm_entity_find(x, text, tl, &out, NULL, &n, &e) == -1)
			printf("# %.*s: %s\n", (int)tl, text, e.msg);
		ng = objects(out.p, out.len, &got, gt);
		memset(used, 0, sizeof(used));
		for (k = 0; k < nw; k++)
			score(wt[k])->labelled++;
		for (i = 0; i < (size_t)(ng > 0 ? ng : 0); i++) {
			const char *g = line(&got, (long)i, &ln);
			int right = 0;

			score(gt[i])->found++;
			for (j = 0; j < (size_t)nw && !right; j++) {
				const char *w = line(&want, (long)j, &lm);

				if (!used[j] && ln == lm &&
				    memcmp(g, w, ln) == 0)
					used[j] = right = 1;
			}
			score(gt[i])->right += right;
			if (!right)
				printf("# wrong: %.*s\n", (int)ln, g);
		}
		for (j = 0; j < (size_t)(nw > 0 ? nw : 0); j++) {
			if (!used[j]) {
				const char *w = line(&want, (long)j, &lm);

				printf("# missed: %.*s\n", (int)lm, w);
			}
		}
	}
	TAP_OK(msgs >= 80, "%u labelled messages", msgs);
	for (i = 0; i < nscores; i++) {
		struct score *s = &scores[i];
		double p = s->found ? (double)s->right / s->found : 1;
		double rc = s->labelled ? (double)s->right / s->labelled : 1;

		TAP_OK(p >= BAR && rc >= BAR,
		    "%-8s precision %.3f (%u/%u) recall %.3f (%u/%u), "
		    "both >= %.2f",
		    s->type, p, s->right, s->found, rc, s->right, s->labelled,
		    BAR);
	}
	if (rd != NULL)
		crm_reader_close(rd);
	if (fp != NULL)
		fclose(fp);
	crm_entity_free(x);
	crm_rec_free(r);
	crm_buf_release(&want);
	crm_buf_release(&got);
}

int
main(void)
{
	const char *why;

	crm_buf_init(&out);
	crm_clock_set("2026-12-05T00:00:00Z", &why);
	rules();
	patterns();
	labelled();
	crm_buf_release(&out);
	return tap_done();
}
