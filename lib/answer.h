/*
 * answer: the knowledge base's answers as templates with slots, and the
 * entities of a message that fill some of them.  Nothing here reads the
 * store: the caller gives each slot's value (crm_tmpl_fill), from the
 * entities (crm_entities_read) and the customer's facts.
 *
 * A template is text with slots: {order_id} stands for a value, {{ and
 * }} for a brace.  The slots are those of enum crm_slot, by name, and
 * customer.FIELD for any fact of the customer (customer.name, the keys of
 * its extra JSON).  crm-route(1) says where each value comes from.
 *
 * Ownership: a struct crm_tmpl owns a copy of its text; a struct
 * crm_entities owns the values it read, valid until its next read.
 */
#ifndef CRM_ANSWER_H
#define CRM_ANSWER_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* ==== Templates ==== */

enum crm_slot {
	CRM_SLOT_ORDER_ID,     /* the order the message asks about */
	CRM_SLOT_ORDER_STATUS, /* its status */
	CRM_SLOT_ETA,	       /* when it should arrive */
	CRM_SLOT_ORDER_DATE,   /* when it was ordered */
	CRM_SLOT_PRODUCT, /* the product the message names, or the order's */
	CRM_SLOT_AMOUNT,  /* the amount the message names, or the order's */
	CRM_SLOT_DATE,	  /* the date the message names */
	CRM_SLOT_PHONE,	  /* the phone number it names */
	CRM_SLOT_EMAIL,	  /* the email address it names */
	CRM_SLOT_CUSTOMER /* customer.FIELD: a fact of the customer */
};

/* A slot of a template: its kind, its name, and FIELD of customer.FIELD. */
struct crm_tmpl_slot {
	enum crm_slot kind;
	const char *name;  /* as written between the braces, NUL-terminated */
	const char *field; /* CRM_SLOT_CUSTOMER: the part after "customer." */
};

/* Whether a slot of kind k is a fact of the order (crm_tmpl_needs_order). */
int crm_slot_of_order(enum crm_slot k);

struct crm_tmpl;

/*
 * Parse template text s (len bytes).  NULL with e filled: EX_DATAERR
 * for a '{' that starts no slot nor "{{", a '}' not in "}}", a slot not
 * closed, or an unknown slot name (naming the near one); EX_SOFTWARE
 * when out of memory.
 */
struct crm_tmpl *crm_tmpl_parse(const char *s, size_t len, struct crm_err *e);
void crm_tmpl_free(struct crm_tmpl *t);

/* The distinct slots, in the order they first appear. */
size_t crm_tmpl_nslots(const struct crm_tmpl *t);
const struct crm_tmpl_slot *crm_tmpl_slot(const struct crm_tmpl *t, size_t i);

/* Whether a slot of the template is a fact of the order. */
int crm_tmpl_needs_order(const struct crm_tmpl *t);

/*
 * Fill the template into out (reset first): each slot's value is
 * value(arg, slot, &len), NULL when it has none.  0 when every slot was
 * filled; 1 when one was not (*missing: the index of the first such
 * slot, out holding nothing useful); -1 when out of memory.
 */
int crm_tmpl_fill(const struct crm_tmpl *t,
    const char *(*value)(void *, const struct crm_tmpl_slot *, size_t *),
    void *arg, struct crm_buf *out, size_t *missing);

/*
 * The facts of an order as the store gives them (crm_desk_order), in
 * this order, and whether name (any ASCII case) is one of them.
 */
#define CRM_ORDER_NFACTS 6
extern const char *const crm_order_facts[CRM_ORDER_NFACTS];
int crm_order_fact(const char *name);

/* ==== Entities ==== */

/*
 * The types of entities crm-intent --entities writes, in a JSON array of
 * {"type":T,"text":SPAN,"value":V,"start":S,"end":E}; an amount's value
 * is an object {"value":"12.50","currency":"CNY"}.
 */
enum crm_ent {
	CRM_ENT_ORDER_ID,
	CRM_ENT_PHONE,
	CRM_ENT_EMAIL,
	CRM_ENT_AMOUNT,
	CRM_ENT_DATE,
	CRM_ENT_PRODUCT,
	CRM_ENT_N
};

struct crm_entities;

struct crm_entities *crm_entities_new(void);
void crm_entities_free(struct crm_entities *en);

/*
 * Read the entities field's text (NULL or empty: no entities): the
 * first entity of each type, its value (an amount as "12.50 CNY", its
 * value alone without a currency; a value that is missing or null, its
 * text).  Entities of other types are skipped.  0, or -1 with e filled
 * (EX_DATAERR: not a JSON array of objects; EX_SOFTWARE).
 */
int crm_entities_read(
    struct crm_entities *en, const char *json, size_t len, struct crm_err *e);

/* The value of the first entity of type t, or NULL when none. */
const char *crm_entities_get(
    const struct crm_entities *en, enum crm_ent t, size_t *len);

#endif
