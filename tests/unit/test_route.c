/*
 * test_route: unit tests for the store-free parts of routing
 * (lib/route.c): settings, durations, the priority score, bursts, the
 * knowledge base and the language of a message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "answer.h"
#include "route.h"
#include "tap.h"

static void
test_settings(void)
{
	struct crm_route_set set;
	struct crm_err e;

	crm_err_clear(&e);
	TAP_OK(crm_route_set_parse(&set,
		   " priority=P2 , queue = billing,skill=zh-billing,"
		   "sla=90m, reply=no",
		   &e) == 0,
	    "settings parse (%s)", e.msg);
	TAP_OK(set.priority == 2 && set.sla == 5400 && set.no_reply, "priority,"
								     " sla and "
								     "reply");
	TAP_STR(set.queue, "billing", "queue");
	TAP_STR(set.skill, "zh-billing", "skill");
	crm_route_set_release(&set);
	TAP_OK(crm_route_set_parse(&set, "queue=tech", &e) == 0 &&
		   set.priority == 0 && set.sla == -1 && set.skill == NULL &&
		   !set.no_reply,
	    "what is not given stays unset");
	crm_route_set_release(&set);
	TAP_OK(crm_route_set_parse(&set, "priority=P5", &e) == -1 &&
		   e.code == EX_DATAERR,
	    "P5: %s", e.msg);
	TAP_OK(crm_route_set_parse(&set, "colour=red", &e) == -1,
	    "unknown key: %s", e.msg);
	TAP_OK(crm_route_set_parse(&set, "queue=a b", &e) == -1,
	    "a queue with a space: %s", e.msg);
	TAP_OK(crm_route_set_parse(&set, "queue=a,queue=b", &e) == -1,
	    "a queue twice: %s", e.msg);
	TAP_OK(crm_route_set_parse(&set, "queue=a,", &e) == -1,
	    "a trailing comma: %s", e.msg);
	TAP_OK(
	    crm_route_set_parse(&set, "queue", &e) == -1, "no '=': %s", e.msg);
	TAP_OK(crm_route_set_parse(&set, "sla=1w", &e) == -1,
	    "sla in weeks: %s", e.msg);
	TAP_OK(crm_route_set_parse(&set, "reply=yes", &e) == -1,
	    "reply=yes: %s", e.msg);
}

static void
test_durations(void)
{
	static const struct {
		const char *s;
		long want; /* -1: refused */
	} c[] = {
		{ "90s", 90 },
		{ "30m", 1800 },
		{ "4h", 14400 },
		{ "2d", 172800 },
		{ "0m", 0 },
		{ "366d", 366L * 86400 },
		{ "367d", -1 },
		{ "h", -1 },
		{ "4", -1 },
		{ "-4h", -1 },
		{ "4 h", -1 },
		{ "1.5h", -1 },
	};
	char buf[32];
	size_t i;
	long v;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v = -1;
		if (crm_route_duration(c[i].s, strlen(c[i].s), &v) == -1)
			v = -1;
		TAP_OK(
		    v == c[i].want, "duration '%s' is %ld", c[i].s, c[i].want);
	}
	TAP_OK(crm_route_priority("P1", 2) == 1 &&
		   crm_route_priority("p4", 2) == 4 &&
		   crm_route_priority("P0", 2) == 0 &&
		   crm_route_priority("P12", 3) == 0,
	    "priorities");
	crm_route_iso(1767225600.9, buf);
	TAP_STR(buf, "2026-01-01T00:00:00Z", "ISO time, seconds floored");
	crm_route_iso(951782400, buf);
	TAP_STR(buf, "2000-02-29T00:00:00Z", "a leap day");
}

static void
test_score(void)
{
	struct crm_urgency *u = crm_urgency_new();
	struct crm_route_facts f;
	struct crm_route_score s;

	TAP_OK(crm_urgency_get(u, "account_login", 13) == 40 &&
		   crm_urgency_get(u, "praise", 6) == 0 &&
		   crm_urgency_get(u, "lost_card", 9) == 15 &&
		   crm_urgency_get(u, NULL, 0) == 15,
	    "built-in urgency, and 15 for any other intent");
	crm_urgency_set(u, "lost_card", 9, 55);
	crm_urgency_set(u, "praise", 6, 5);
	TAP_OK(crm_urgency_get(u, "lost_card", 9) == 55 &&
		   crm_urgency_get(u, "praise", 6) == 5,
	    "urgency set and changed");

	/* "cannot log in", angry, a good customer, waiting 3 hours */
	memset(&f, 0, sizeof(f));
	f.urgency = 40;
	f.negative = 1;
	f.sentiment = 0.5;
	f.value = 999;
	f.waited = 3 * 3600;
	crm_route_score(&f, &s);
	TAP_OK(s.urgency == 40 && s.sentiment == 15 &&
		   fabs(s.value - 15) < 1e-12 && s.waiting == 6 &&
		   fabs(s.total - 76) < 1e-12,
	    "score 40 + 15 + 15 + 6 = %.2f", s.total);
	TAP_OK(crm_route_score_priority(s.total) == 1, "76 is P1");

	/* a suggestion from a new customer, just written */
	memset(&f, 0, sizeof(f));
	f.sentiment = f.value = f.waited = NAN;
	crm_route_score(&f, &s);
	TAP_OK(s.total == 0 && crm_route_score_priority(0) == 4, "nothing "
								 "known: 0, "
								 "P4");

	/* VIP, negative without a score, waited a week, in the future */
	f.negative = 1;
	f.vip = 1;
	f.value = 1e9;
	f.waited = 7 * 86400;
	crm_route_score(&f, &s);
	TAP_OK(s.sentiment == 30 && s.value == 20 && s.waiting == 20,
	    "no sentiment score counts as 1; VIP 20; waiting capped at 20");
	f.waited = -3600;
	crm_route_score(&f, &s);
	TAP_OK(s.waiting == 0, "a ticket from the future waited 0");
	TAP_OK(crm_route_score_priority(60) == 1 &&
		   crm_route_score_priority(59.99) == 2 &&
		   crm_route_score_priority(40) == 2 &&
		   crm_route_score_priority(20) == 3 &&
		   crm_route_score_priority(19.99) == 4,
	    "priority thresholds 60, 40, 20");
	crm_urgency_free(u);
}

static void
test_burst(void)
{
	struct crm_burst *b = crm_burst_new(3, 300);

	TAP_OK(crm_burst_add(b, "c1", 2, 1000) == 0 &&
		   crm_burst_add(b, "c1", 2, 1100) == 0 &&
		   crm_burst_add(b, "c2", 2, 1150) == 0,
	    "two messages are no burst");
	TAP_OK(crm_burst_add(b, "c1", 2, 1200) == 1, "the third within 5 "
						     "minutes is");
	TAP_OK(crm_burst_add(b, "c1", 2, 1500) == 0, "1100 is more than 300 s "
						     "before 1500");
	TAP_OK(crm_burst_add(b, "c1", 2, 1500) == 1, "1200, 1500 and 1500: a "
						     "burst (equal times "
						     "count)");
	TAP_OK(crm_burst_add(b, "c2", 2, 1200) == 0, "c2 has had two");
	TAP_OK(crm_burst_add(b, "c2", 2, 1100) == 0, "a message older than the "
						     "last ones is no burst");
	crm_burst_free(b);
	TAP_OK(crm_burst_new(1, 300) == NULL, "a burst needs two messages");
}

static void
test_kb(void)
{
	static char path[] = "/tmp/test_route.XXXXXX";
	struct crm_err e;
	struct crm_kb *kb;
	const char *a;
	size_t len;
	FILE *fp;
	int fd;

	crm_err_clear(&e);
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("intent,lang,answer\n"
	      "order_status,en,Track it at /orders.\n"
	      "order_status,zh,请在订单页面查看物流。\n"
	      "account_login,,Reset it at /reset.\n",
	    fp);
	fclose(fp);
	kb = crm_kb_read(path, &e);
	TAP_OK(kb != NULL && crm_kb_count(kb) == 3, "3 answers (%s)", e.msg);
	a = crm_kb_answer(kb, "order_status", 12, "zh", &len);
	TAP_OK(a != NULL && len == strlen("请在订单页面查看物流。") &&
		   memcmp(a, "请", 3) == 0,
	    "the Chinese answer to Chinese");
	a = crm_kb_answer(kb, "order_status", 12, "en", &len);
	TAP_OK(a != NULL && memcmp(a, "Track", 5) == 0, "English to English");
	a = crm_kb_answer(kb, "account_login", 13, "zh", &len);
	TAP_OK(a != NULL && memcmp(a, "Reset", 5) == 0, "an answer for any "
							"language");
	TAP_OK(crm_kb_answer(kb, "praise", 6, "en", &len) == NULL, "no answer");
	crm_kb_free(kb);

	fp = fopen(path, "w");
	fputs("intent,lang,answer\norder_status,fr,Voir /orders\n", fp);
	fclose(fp);
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 2 && strcmp(e.field, "lang") == 0,
	    "lang fr: %s", e.msg);
	fp = fopen(path, "w");
	fputs("intent,answer\norder_status,\n", fp);
	fclose(fp);
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_DATAERR &&
		   strcmp(e.field, "answer") == 0,
	    "no answer: %s", e.msg);
	unlink(path);
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_NOINPUT,
	    "no file: %s", e.msg);
}

/* Condition k holds when bit k of *arg is set. */
static int
holds_bits(void *arg, long k)
{
	return (*(unsigned *)arg >> k) & 1;
}

static void
test_kb_conditions(void)
{
	static const struct {
		const char *lang;
		unsigned bits; /* the conditions that hold */
		long want;
		const char *what;
	} picks[] = {
		{ "en", 3, 0,
		    "the first in the language whose condition holds" },
		{ "en", 2, 2,
		    "one in the language before one for any language" },
		{ "zh", 2, 1, "none in Chinese: the first for any that holds" },
		{ "zh", 0, 3, "conditions that fail are passed over" },
	};
	char path[] = "/tmp/test_route_kbXXXXXX";
	struct crm_kb *kb;
	struct crm_err e;
	unsigned bits;
	size_t k;

	crm_err_clear(&e);
	close(mkstemp(path));
	tap_write(path, "id,intent,lang,when,answer\n"
			"done,order_status,en,order_status = 'delivered',"
			"Order {order_id} arrived.\n"
			"gold,order_status,,tier = 'gold',Dear "
			"{customer.name}.\n"
			",order_status,en,,Order {order_id} is "
			"{order_status}.\n"
			"any,order_status,,,Track it at /orders.\n");
	kb = crm_kb_read(path, &e);
	TAP_OK(kb != NULL && crm_kb_count(kb) == 4, "4 answers (%s)", e.msg);
	TAP_OK(crm_kb_when(kb) != NULL && crm_kb_when_order(kb) &&
		   crm_kb_slots(kb),
	    "conditions, one on the order; slots");
	for (k = 0; k < sizeof(picks) / sizeof(picks[0]); k++) {
		bits = picks[k].bits;
		TAP_OK(crm_kb_pick(kb, "order_status", 12, picks[k].lang,
			   holds_bits, &bits) == picks[k].want,
		    "%s", picks[k].what);
	}
	TAP_OK(crm_kb_pick(kb, "praise", 6, "en", holds_bits, &bits) == -1,
	    "no answer to another intent");
	TAP_STR(crm_kb_id(kb, 0), "done", "an id given");
	TAP_OK(strncmp(crm_kb_id(kb, 2), path, strlen(path)) == 0 &&
		   strcmp(crm_kb_id(kb, 2) + strlen(path), ":4") == 0,
	    "no id: FILE:LINE");
	TAP_OK(crm_tmpl_nslots(crm_kb_tmpl(kb, 2)) == 2, "its two slots");
	crm_kb_free(kb);

	tap_write(path, "intent,answer\norder_status,Order {order_number}\n");
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 2 && strcmp(e.field, "answer") == 0,
	    "an unknown slot: %s", e.msg);
	tap_write(path, "intent,when,answer\norder_status,tier = = 1,Hi\n");
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 2 && strcmp(e.field, "when") == 0 &&
		   e.file != NULL && strcmp(e.file, path) == 0,
	    "a condition that does not compile: %s", e.msg);
	tap_write(path, "id,intent,lang,answer\nst,order_status,en,Hi\n"
			"st,order_status,zh,Ni hao\n");
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_DATAERR &&
		   e.line == 3 && strcmp(e.field, "id") == 0,
	    "an id given twice, the audit log could not tell them apart: "
	    "%s",
	    e.msg);
	tap_write(path, "intent,when,answer\norder_status,(SELECT 1 FROM "
			"sqlite_master),"
			"Hi\n");
	TAP_OK(crm_kb_read(path, &e) == NULL && e.code == EX_DATAERR,
	    "a condition reading a table: %s", e.msg);
	unlink(path);
}

static void
test_text(void)
{
	TAP_STR(crm_route_lang("where is my order", 17), "en", "English");
	TAP_STR(crm_route_lang("order 123 在哪里", strlen("order 123 在哪里")),
	    "zh", "Chinese among Latin letters");
	TAP_STR(crm_route_lang("こんにちは", strlen("こんにちは")), "en",
	    "kana alone is not Chinese");
	TAP_OK(crm_route_chars("我的卡", strlen("我的卡")) == 3 &&
		   crm_route_chars("abc", 3) == 3 &&
		   crm_route_chars("", 0) == 0,
	    "characters, not bytes");
}

int
main(void)
{
	test_settings();
	test_durations();
	test_score();
	test_burst();
	test_kb();
	test_kb_conditions();
	test_text();
	return tap_done();
}
