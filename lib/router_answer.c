/*
 * router_answer: the knowledge base's answer to a ticket from the facts
 * of its customer.  The answer to its intent is picked by language and
 * condition (crm_kb_pick), over the ticket, its order and its customer;
 * its slots (answer.h) are filled from the message's entities, the
 * customer's order (crm_desk_order) and facts (crm_desk_customer).  An
 * answer with a slot left empty is not sent: the ticket goes to people
 * with the reason.  See router.h; crm-route(1) documents the slots.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "answer.h"
#include "router_int.h"

int
crm_router_answer_open(struct crm_router *r, struct crm_err *e)
{
	crm_buf_init(&r->reply);
	crm_buf_init(&r->why);
	if ((r->ents = crm_entities_new()) == NULL ||
	    (r->order = crm_rec_new()) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	return 0;
}

void
crm_router_answer_close(struct crm_router *r)
{
	crm_entities_free(r->ents);
	crm_rec_free(r->order);
	crm_buf_release(&r->reply);
	crm_buf_release(&r->why);
}

/*
 * The facts of the order the ticket asks about into r->order, once per
 * ticket: the one the message names, else the customer's latest, as
 * they were at the reference time (--as-of).  Without
 * a store, or a customer, none.  0, or -1 with e filled.
 */
static int
find_order(struct crm_router *r, const struct crm_rec *rec, struct crm_err *e)
{
	const char *cust, *id;
	size_t clen, ilen = 0;
	int rc;

	if (r->looked)
		return 0;
	r->looked = 1;
	r->found = 0;
	crm_rec_clear(r->order);
	cust = crm_rec_text(rec, r->o->customer_field, &clen);
	if (r->desk == NULL || cust == NULL)
		return 0;
	id = crm_entities_get(r->ents, CRM_ENT_ORDER_ID, &ilen);
	if ((rc = crm_desk_order(
		 r->desk, cust, clen, id, ilen, r->o->now, r->order, e)) == -1)
		return -1;
	r->found = rc;
	return 0;
}

/* The value of field name of rec (NULL: none), or NULL. */
static const char *
text_in(const struct crm_rec *rec, const char *name, size_t *len)
{
	return rec != NULL ? crm_rec_text(rec, name, len) : NULL;
}

/* The message's entity t, else the order's fact name (NULL: none). */
static const char *
entity_or(struct crm_router *r, enum crm_ent t, const char *name, size_t *len)
{
	const char *v = crm_entities_get(r->ents, t, len);

	return v != NULL || name == NULL ? v : text_in(r->order, name, len);
}

static const char *
slot_value(void *arg, const struct crm_tmpl_slot *s, size_t *len)
{
	struct crm_router *r = arg;

	switch (s->kind) {
	case CRM_SLOT_ORDER_ID:
		return entity_or(r, CRM_ENT_ORDER_ID, "order_id", len);
	case CRM_SLOT_ORDER_STATUS:
		return text_in(r->order, "order_status", len);
	case CRM_SLOT_ETA:
		return text_in(r->order, "eta", len);
	case CRM_SLOT_ORDER_DATE:
		return text_in(r->order, "order_date", len);
	case CRM_SLOT_PRODUCT:
		return entity_or(r, CRM_ENT_PRODUCT, "order_item", len);
	case CRM_SLOT_AMOUNT:
		return entity_or(r, CRM_ENT_AMOUNT, "order_amount", len);
	case CRM_SLOT_DATE:
		return entity_or(r, CRM_ENT_DATE, NULL, len);
	case CRM_SLOT_PHONE:
		return entity_or(r, CRM_ENT_PHONE, NULL, len);
	case CRM_SLOT_EMAIL:
		return entity_or(r, CRM_ENT_EMAIL, NULL, len);
	case CRM_SLOT_CUSTOMER:
		return text_in(r->cust, s->field, len);
	}
	return NULL;
}

/*
 * Why slot s of answer id could not be filled, into r->why (with a NUL):
 * "answer ID not sent: no order status for order A123".  0 or -1.
 */
static int
why_not(struct crm_router *r, const char *id, const struct crm_tmpl_slot *s)
{
	static const char *const what[] = {
		[CRM_SLOT_ORDER_ID] = "order id",
		[CRM_SLOT_ORDER_STATUS] = "order status",
		[CRM_SLOT_ETA] = "eta",
		[CRM_SLOT_ORDER_DATE] = "order date",
		[CRM_SLOT_PRODUCT] = "product",
		[CRM_SLOT_AMOUNT] = "amount",
		[CRM_SLOT_DATE] = "date",
		[CRM_SLOT_PHONE] = "phone number",
		[CRM_SLOT_EMAIL] = "email address",
		[CRM_SLOT_CUSTOMER] = "",
	};
	struct crm_buf *b = &r->why;
	const char *oid;
	size_t olen = 0;
	int bad;

	crm_buf_reset(b);
	bad = crm_buf_addf(b, "answer %s not sent: ", id);
	oid = crm_entities_get(r->ents, CRM_ENT_ORDER_ID, &olen);
	if (s->kind == CRM_SLOT_CUSTOMER)
		bad |= crm_buf_addf(b, "no %s of the customer%s", s->field,
		    r->desk == NULL ? " (no store)" : "");
	else if (!crm_slot_of_order(s->kind))
		bad |= crm_buf_addf(b, "no %s in the message", what[s->kind]);
	else if (r->desk == NULL)
		bad |= crm_buf_addf(
		    b, "no %s: no store to find the order in", what[s->kind]);
	else if (!r->found) {
		/* product and amount: the message's, else the order's */
		if (s->kind == CRM_SLOT_PRODUCT || s->kind == CRM_SLOT_AMOUNT)
			bad |= crm_buf_addf(
			    b, "no %s in the message, nor ", what[s->kind]);
		else
			bad |= crm_buf_adds(b, "no ");
		if (oid != NULL)
			bad |= crm_buf_addf(
			    b, "order %.*s of the customer", (int)olen, oid);
		else
			bad |= crm_buf_adds(b, "order of the customer");
	} else {
		oid = text_in(r->order, "order_id", &olen);
		bad |= crm_buf_addf(b, "no %s for order %.*s", what[s->kind],
		    (int)olen, oid != NULL ? oid : "");
	}
	return bad | crm_buf_addc(b, '\0');
}

static int
holds(void *arg, long k)
{
	return crm_rules_match(arg, (size_t)k);
}

int
crm_router_answer(struct crm_router *r, const struct crm_rec *rec,
    const char *intent, size_t ilen, const char *lang, struct route *rt,
    struct crm_err *e)
{
	struct crm_rules *when = crm_kb_when(r->kb);
	const struct crm_tmpl *t;
	struct crm_rules_src src[3];
	const char *v;
	size_t len, n = 0, missing;
	long k;
	int rc;

	r->looked = 0;
	/* no answer to the intent whatever the conditions: nothing to read */
	if (crm_kb_pick(r->kb, intent, ilen, lang, NULL, NULL) < 0)
		return 0;
	v = crm_rec_text(rec, CRM_ROUTER_ENTITIES, &len);
	if (crm_entities_read(r->ents, v, v != NULL ? len : 0, e) == -1) {
		if (e->code == EX_DATAERR)
			crm_err_field(e, CRM_ROUTER_ENTITIES,
			    strlen(CRM_ROUTER_ENTITIES));
		return -1;
	}
	if (when != NULL) {
		if (crm_kb_when_order(r->kb) && find_order(r, rec, e) == -1)
			return CRM_ROUTER_FATAL;
		src[n].rec = rec;
		src[n++].untyped = r->fmt == CRM_FMT_CSV ||
				   r->fmt == CRM_FMT_TSV;
		if (r->looked) {
			src[n].rec = r->order;
			src[n++].untyped = 0;
		}
		if (r->cust != NULL) {
			src[n].rec = r->cust;
			src[n++].untyped = 0;
		}
		if ((rc = crm_rules_eval(when, src, n, e)) < 0)
			return rc == CRM_RULES_LIMIT ? CRM_ROUTER_FATAL : -1;
	}
	if ((k = crm_kb_pick(r->kb, intent, ilen, lang, holds, when)) < 0)
		return 0;
	rt->kb = k;
	t = crm_kb_tmpl(r->kb, (size_t)k);
	if (crm_tmpl_needs_order(t) && find_order(r, rec, e) == -1)
		return CRM_ROUTER_FATAL;
	rc = crm_tmpl_fill(t, slot_value, r, &r->reply, &missing);
	if (rc == -1)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rc == 1) {
		rt->missing = missing;
		if (why_not(r, crm_kb_id(r->kb, (size_t)k),
			crm_tmpl_slot(t, missing)) == -1)
			return crm_err_set(e, EX_SOFTWARE, "out of memory");
		rt->unsent = r->why.p;
		r->n.unfilled++;
		return 0;
	}
	rt->reply = r->reply.len > 0 ? r->reply.p : "";
	rt->rlen = r->reply.len;
	return 0;
}
