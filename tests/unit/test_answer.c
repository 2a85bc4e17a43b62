/*
 * test_answer: unit tests for lib/answer.c: templates (slots, braces,
 * bad ones, filling, the slot left empty), the facts of an order, and the
 * entities of a message; and crm_json_array_next, which reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "answer.h"
#include "buf.h"
#include "rec.h"
#include "tap.h"

/* Values by slot name from a NULL-ended list of name, value pairs. */
static const char *
lookup(void *arg, const struct crm_tmpl_slot *s, size_t *len)
{
	const char *const *kv = arg;

	for (; kv[0] != NULL; kv += 2)
		if (strcmp(kv[0], s->name) == 0 && kv[1] != NULL) {
			*len = strlen(kv[1]);
			return kv[1];
		}
	return NULL;
}

/* Fill t with kv into a string ("" on a failure); *rc the result. */
static const char *
fill(const char *text, const char *const *kv, int *rc, size_t *missing)
{
	static struct crm_buf out;
	static struct crm_err e;
	struct crm_tmpl *t;

	crm_err_clear(&e);
	crm_buf_reset(&out);
	if ((t = crm_tmpl_parse(text, strlen(text), &e)) == NULL) {
		*rc = -2;
		return e.msg;
	}
	*rc = crm_tmpl_fill(t, lookup, (void *)kv, &out, missing);
	crm_tmpl_free(t);
	if (*rc != 0 || crm_buf_addc(&out, '\0') == -1)
		return "";
	return out.p;
}

static void
test_templates(void)
{
	static const char *const kv[] = { "order_id", "A123", "order_status",
		"运输中", "eta", "2026-03-04", "customer.name", "王芳",
		"amount", "12.50 CNY", NULL, NULL };
	static const char *const none[] = { NULL, NULL };
	const struct crm_tmpl_slot *s;
	struct crm_tmpl *t;
	struct crm_err e;
	size_t missing = 99, i;
	struct crm_buf many;
	const char *text;
	int rc;

	TAP_STR(fill("{customer.name}您好，订单 {order_id}：{order_status}，"
		     "预计 {eta} 送达。",
		    kv, &rc, &missing),
	    "王芳您好，订单 A123：运输中，预计 2026-03-04 送达。",
	    "slots filled in Chinese");
	TAP_STR(fill("Plain, no slots.", none, &rc, &missing),
	    "Plain, no slots.", "a plain answer is itself");
	TAP_STR(fill("{{order_id}} is {order_id}; }} {{", kv, &rc, &missing),
	    "{order_id} is A123; } {", "{{ and }} are braces");
	TAP_STR(fill("{order_id}{order_id}", kv, &rc, &missing), "A123A123",
	    "a slot twice");
	TAP_STR(fill("Order {order_id} is {order_status}, by {eta}.",
		    (const char *const[]){ "order_id", "A1", NULL, NULL }, &rc,
		    &missing),
	    "", "a slot left empty: nothing");
	TAP_OK(rc == 1 && missing == 1, "the first empty slot: order_status");

	text = "Hi {customer.name}, {order_id} {customer.name} {amount}";
	crm_err_clear(&e);
	t = crm_tmpl_parse(text, strlen(text), &e);
	TAP_OK(t != NULL && crm_tmpl_nslots(t) == 3, "three distinct slots");
	s = crm_tmpl_slot(t, 0);
	TAP_OK(s->kind == CRM_SLOT_CUSTOMER && strcmp(s->field, "name") == 0,
	    "customer.name is a customer fact, name");
	TAP_OK(crm_tmpl_slot(t, 1)->kind == CRM_SLOT_ORDER_ID &&
		   crm_tmpl_slot(t, 2)->kind == CRM_SLOT_AMOUNT,
	    "slots in the order they first appear");
	TAP_OK(crm_tmpl_needs_order(t), "order_id needs the order");
	crm_tmpl_free(t);
	t = crm_tmpl_parse("{customer.tier} {date}", 22, &e);
	TAP_OK(t != NULL && !crm_tmpl_needs_order(t), "a customer fact and the "
						      "message's date need no "
						      "order");
	crm_tmpl_free(t);

	TAP_OK(fill("Your {oder_id}", none, &rc, &missing) != NULL && rc == -2,
	    "unknown slot");
	TAP_OK(strstr(fill("Your {oder_id}", none, &rc, &missing),
		   "did you mean 'order_id'") != NULL,
	    "did you mean order_id");
	fill("a { b", none, &rc, &missing);
	TAP_OK(rc == -2, "a lone '{'");
	fill("a } b", none, &rc, &missing);
	TAP_OK(rc == -2, "a lone '}'");
	fill("{order_id", none, &rc, &missing);
	TAP_OK(rc == -2, "a slot not closed");
	fill("{}", none, &rc, &missing);
	TAP_OK(rc == -2, "an empty slot name");
	fill("{customer.}", none, &rc, &missing);
	TAP_OK(rc == -2, "customer. without a field");
	fill("{customer.a b}", none, &rc, &missing);
	TAP_OK(rc == -2, "a space in a field");
	fill("{{{order_id}}}", kv, &rc, &missing);
	TAP_OK(rc == 0, "a slot in braces");
	crm_buf_init(&many);
	for (i = 0; i < 65; i++)
		crm_buf_addf(&many, "{customer.f%zu}", i);
	crm_buf_addc(&many, '\0');
	fill(many.p, none, &rc, &missing);
	TAP_OK(rc == -2, "65 different slots");
	crm_buf_release(&many);
	TAP_OK(crm_order_fact("order_status") && crm_order_fact("ETA") &&
		   !crm_order_fact("tier"),
	    "the facts of an order");
}

/*
 * Whether entities js are refused (EX_DATAERR) with a message naming
 * want, not as a record: an element's bytes counted in the field.
 */
static int
refused(struct crm_entities *en, const char *js, const char *want,
    struct crm_err *e)
{
	return crm_entities_read(en, js, strlen(js), e) == -1 &&
	       e->code == EX_DATAERR && strstr(e->msg, want) != NULL &&
	       strstr(e->msg, "record") == NULL;
}

static void
test_entities(void)
{
	struct crm_entities *en = crm_entities_new();
	struct crm_err e;
	const char *v, *js;
	size_t len;

	crm_err_clear(&e);
	js = "[{\"type\":\"order_id\",\"text\":\"A123\",\"value\":\"A123\","
	     "\"start\":2,\"end\":6},"
	     " {\"type\":\"amount\",\"text\":\"12.5元\",\"value\":"
	     "{\"value\":\"12.50\",\"currency\":\"CNY\"},\"start\":9,"
	     "\"end\":14},"
	     " {\"type\":\"order_id\",\"value\":\"B9\"},"
	     " {\"type\":\"date\",\"text\":\"明天\",\"value\":\"2026-03-03\"},"
	     " {\"type\":\"sentiment\",\"value\":\"x\"},"
	     " {\"type\":\"product\",\"text\":\"水壶\",\"value\":null}]";
	TAP_OK(
	    crm_entities_read(en, js, strlen(js), &e) == 0, "read (%s)", e.msg);
	v = crm_entities_get(en, CRM_ENT_ORDER_ID, &len);
	TAP_OK(v != NULL && len == 4 && memcmp(v, "A123", 4) == 0, "the first "
								   "order id");
	v = crm_entities_get(en, CRM_ENT_AMOUNT, &len);
	TAP_OK(v != NULL && len == 9 && memcmp(v, "12.50 CNY", 9) == 0, "an "
									"amount"
									" with "
									"its "
									"curren"
									"cy");
	v = crm_entities_get(en, CRM_ENT_DATE, &len);
	TAP_OK(v != NULL && len == 10, "the date's value, resolved");
	v = crm_entities_get(en, CRM_ENT_PRODUCT, &len);
	TAP_OK(v != NULL && len == strlen("水壶"), "no value: the text");
	TAP_OK(crm_entities_get(en, CRM_ENT_PHONE, &len) == NULL, "no phone");
	js = "[{\"type\":\"amount\",\"value\":\"7\"}]";
	TAP_OK(crm_entities_read(en, js, strlen(js), &e) == 0 &&
		   (v = crm_entities_get(en, CRM_ENT_AMOUNT, &len)) != NULL &&
		   len == 1 &&
		   crm_entities_get(en, CRM_ENT_ORDER_ID, &len) == NULL,
	    "read again: only the new ones");
	TAP_OK(crm_entities_read(en, NULL, 0, &e) == 0 &&
		   crm_entities_get(en, CRM_ENT_AMOUNT, &len) == NULL,
	    "no entities");
	TAP_OK(crm_entities_read(en, " [ ] ", 5, &e) == 0, "an empty array");
	TAP_OK(crm_entities_read(en, "{\"type\":1}", 10, &e) == -1 &&
		   e.code == EX_DATAERR,
	    "an object, not an array: %s", e.msg);
	TAP_OK(crm_entities_read(en, "[1]", 3, &e) == -1,
	    "an element not an "
	    "object: %s",
	    e.msg);
	TAP_OK(refused(en, "[{\"type\":\"phone\"}, 7]", "byte 20", &e),
	    "an element not an object: its byte in the field, not a "
	    "record: %s",
	    e.msg);
	TAP_OK(
	    refused(en, "[{\"type\":\"amount\",\"value\":[1]}]", "amount", &e),
	    "an amount's value an array, named: %s", e.msg);
	TAP_OK(
	    crm_entities_read(en, "[{}", 3, &e) == -1, "not closed: %s", e.msg);
	TAP_OK(crm_entities_read(en, "[{},]", 5, &e) == -1,
	    "a trailing comma: %s", e.msg);
	TAP_OK(crm_entities_read(en, "[] x", 4, &e) == -1,
	    "text after the array: %s", e.msg);
	crm_entities_free(en);
}

static void
test_array(void)
{
	const char *js = " [1, \"a,]\", [2, 3] , {\"k\": [4]}, null] ", *el;
	const char *want[] = { "1", "\"a,]\"", "[2, 3]", "{\"k\": [4]}",
		"null" };
	struct crm_err e;
	size_t off = 0, len, n = 0;
	int rc, ok = 1;

	crm_err_clear(&e);
	while ((rc = crm_json_array_next(
		    js, strlen(js), &off, &el, &len, &e)) == 1) {
		if (n >= 5 || len != strlen(want[n]) ||
		    memcmp(el, want[n], len) != 0)
			ok = 0;
		n++;
	}
	TAP_OK(rc == 0 && n == 5 && ok, "five elements as written (%s)", e.msg);
}

int
main(void)
{
	test_templates();
	test_entities();
	test_array();
	return tap_done();
}
