/*
 * answer: templates with slots and the entities of a message; see
 * answer.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "answer.h"
#include "buf.h"
#include "rec.h"
#include "rec_int.h"
#include "suggest.h"

/* ==== Templates ==== */

/* The slots by name, in the order of enum crm_slot (but customer.). */
static const char *const slot_names[] = { "order_id", "order_status", "eta",
	"order_date", "product", "amount", "date", "phone", "email",
	"customer.name" };

#define NAMED	  9 /* slot_names before customer.name */
#define CUSTOMER  "customer."
#define MAX_SLOT  128	 /* bytes of a slot's name */
#define MAX_PARTS 100000 /* pieces of one template */
#define MAX_SLOTS 64	 /* distinct slots of one template */

/* A piece of a template: literal text (slot -1) or a slot. */
struct part {
	size_t off, len; /* the literal's bytes in lit */
	long slot;	 /* index into slots, or -1 */
};

struct crm_tmpl {
	char *lit; /* the literal pieces, braces unescaped */
	struct part *part;
	size_t npart;
	struct crm_tmpl_slot *slots;
	size_t nslots;
};

int
crm_slot_of_order(enum crm_slot k)
{
	return k == CRM_SLOT_ORDER_ID || k == CRM_SLOT_ORDER_STATUS ||
	       k == CRM_SLOT_ETA || k == CRM_SLOT_ORDER_DATE ||
	       k == CRM_SLOT_PRODUCT || k == CRM_SLOT_AMOUNT;
}

void
crm_tmpl_free(struct crm_tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nslots; i++)
		free((char *)t->slots[i].name);
	free(t->slots);
	free(t->part);
	free(t->lit);
	free(t);
}

size_t
crm_tmpl_nslots(const struct crm_tmpl *t)
{
	return t->nslots;
}

const struct crm_tmpl_slot *
crm_tmpl_slot(const struct crm_tmpl *t, size_t i)
{
	return &t->slots[i];
}

int
crm_tmpl_needs_order(const struct crm_tmpl *t)
{
	size_t i;

	for (i = 0; i < t->nslots; i++)
		if (crm_slot_of_order(t->slots[i].kind))
			return 1;
	return 0;
}

/* Whether c may stand in FIELD of customer.FIELD. */
static int
field_char(unsigned char c)
{
	return c > ' ' && c != '{' && c != '}' && c != 0x7f;
}

/*
 * The slot named name[0..len): its index in t->slots, added when new.
 * -1 with e filled.
 */
static long
slot_of(struct crm_tmpl *t, const char *name, size_t len, struct crm_err *e)
{
	struct crm_tmpl_slot *ns, s;
	size_t i, cl = strlen(CUSTOMER);
	char hint[160], copy[MAX_SLOT + 1];
	long k = -1;

	for (i = 0; i < t->nslots; i++)
		if (strlen(t->slots[i].name) == len &&
		    memcmp(t->slots[i].name, name, len) == 0)
			return (long)i;
	for (i = 0; i < NAMED; i++)
		if (strlen(slot_names[i]) == len &&
		    memcmp(slot_names[i], name, len) == 0)
			k = (long)i;
	if (k < 0 && len > cl && memcmp(name, CUSTOMER, cl) == 0) {
		for (i = cl; i < len; i++)
			if (!field_char((unsigned char)name[i]))
				break;
		if (i == len)
			k = CRM_SLOT_CUSTOMER;
	}
	if (k < 0) {
		memcpy(copy, name, len);
		copy[len] = '\0';
		return crm_err_set(e, EX_DATAERR,
		    "unknown slot '{%s}' (%s, %s, %s, %s, %s, %s, %s, %s, %s "
		    "or customer.FIELD)%s",
		    copy, slot_names[0], slot_names[1], slot_names[2],
		    slot_names[3], slot_names[4], slot_names[5], slot_names[6],
		    slot_names[7], slot_names[8],
		    crm_suggest_list_hint(hint, sizeof(hint), copy, slot_names,
			sizeof(slot_names) / sizeof(slot_names[0])));
	}
	if (t->nslots >= MAX_SLOTS)
		return crm_err_set(
		    e, EX_DATAERR, "more than %d different slots", MAX_SLOTS);
	if ((ns = crm_reallocarray(t->slots, t->nslots + 1, sizeof(*ns))) ==
	    NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	t->slots = ns;
	memset(&s, 0, sizeof(s));
	s.kind = (enum crm_slot)k;
	if ((s.name = malloc(len + 1)) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	memcpy((char *)s.name, name, len);
	((char *)s.name)[len] = '\0';
	s.field = k == CRM_SLOT_CUSTOMER ? s.name + cl : NULL;
	ns[t->nslots] = s;
	return (long)t->nslots++;
}

/* Append a piece: literal lit[off..off+len) or slot; 0 or -1 with e. */
static int
add_part(
    struct crm_tmpl *t, size_t off, size_t len, long slot, struct crm_err *e)
{
	struct part *np;

	if (slot < 0 && len == 0)
		return 0;
	if (t->npart >= MAX_PARTS)
		return crm_err_set(
		    e, EX_DATAERR, "more than %d slots and texts", MAX_PARTS);
	if ((np = crm_reallocarray(t->part, t->npart + 1, sizeof(*np))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	t->part = np;
	np[t->npart].off = off;
	np[t->npart].len = len;
	np[t->npart++].slot = slot;
	return 0;
}

struct crm_tmpl *
crm_tmpl_parse(const char *s, size_t len, struct crm_err *e)
{
	struct crm_tmpl *t = calloc(1, sizeof(*t));
	size_t i = 0, n = 0, start = 0, j;
	long k;

	/* the literal text is never longer than the template */
	if (t == NULL || (t->lit = malloc(len + 1)) == NULL) {
		free(t);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	while (i < len) {
		if (s[i] == '}') {
			if (i + 1 >= len || s[i + 1] != '}') {
				crm_err_set(e, EX_DATAERR,
				    "'}' at byte %zu: write '}}' for a brace",
				    i + 1);
				goto fail;
			}
			t->lit[n++] = '}';
			i += 2;
			continue;
		}
		if (s[i] != '{') {
			t->lit[n++] = s[i++];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '{') {
			t->lit[n++] = '{';
			i += 2;
			continue;
		}
		for (j = i + 1;
		     j < len && s[j] != '}' && s[j] != '{' && j - i <= MAX_SLOT;
		     j++)
			;
		if (j >= len || s[j] != '}' || j == i + 1) {
			crm_err_set(e, EX_DATAERR,
			    "'{' at byte %zu starts no slot: write {name}, or "
			    "'{{' for a brace",
			    i + 1);
			goto fail;
		}
		if (add_part(t, start, n - start, -1, e) == -1 ||
		    (k = slot_of(t, s + i + 1, j - i - 1, e)) < 0 ||
		    add_part(t, 0, 0, k, e) == -1)
			goto fail;
		start = n;
		i = j + 1;
	}
	if (add_part(t, start, n - start, -1, e) == -1)
		goto fail;
	return t;
fail:
	crm_tmpl_free(t);
	return NULL;
}

int
crm_tmpl_fill(const struct crm_tmpl *t,
    const char *(*value)(void *, const struct crm_tmpl_slot *, size_t *),
    void *arg, struct crm_buf *out, size_t *missing)
{
	const struct part *p;
	const char *v;
	size_t i, vlen;

	crm_buf_reset(out);
	for (i = 0; i < t->nslots; i++) {
		vlen = 0;
		if ((v = value(arg, &t->slots[i], &vlen)) == NULL) {
			*missing = i;
			return 1;
		}
	}
	for (i = 0; i < t->npart; i++) {
		p = &t->part[i];
		if (p->slot < 0) {
			if (crm_buf_add(out, t->lit + p->off, p->len) == -1)
				return -1;
			continue;
		}
		vlen = 0;
		v = value(arg, &t->slots[p->slot], &vlen);
		if (v == NULL) {
			*missing = (size_t)p->slot;
			return 1;
		}
		if (crm_buf_add(out, v, vlen) == -1)
			return -1;
	}
	return 0;
}

const char *const crm_order_facts[CRM_ORDER_NFACTS] = { "order_id",
	"order_status", "eta", "order_date", "order_item", "order_amount" };

int
crm_order_fact(const char *name)
{
	size_t i;

	for (i = 0; i < CRM_ORDER_NFACTS; i++)
		if (strcasecmp(name, crm_order_facts[i]) == 0)
			return 1;
	return 0;
}

/* ==== Entities ==== */

static const char *const ent_names[CRM_ENT_N] = { "order_id", "phone", "email",
	"amount", "date", "product" };

struct crm_entities {
	struct crm_rec *el, *amount; /* an entity; an amount's value */
	struct crm_buf vals;	     /* the values read */
	size_t off[CRM_ENT_N], len[CRM_ENT_N];
	int has[CRM_ENT_N];
};

struct crm_entities *
crm_entities_new(void)
{
	struct crm_entities *en = calloc(1, sizeof(*en));

	if (en == NULL)
		return NULL;
	crm_buf_init(&en->vals);
	if ((en->el = crm_rec_new()) == NULL ||
	    (en->amount = crm_rec_new()) == NULL) {
		crm_entities_free(en);
		return NULL;
	}
	return en;
}

void
crm_entities_free(struct crm_entities *en)
{
	if (en == NULL)
		return;
	crm_rec_free(en->el);
	crm_rec_free(en->amount);
	crm_buf_release(&en->vals);
	free(en);
}

/* The value of entity en->el, of type t, into en->vals; 0 or -1. */
static int
keep_value(struct crm_entities *en, enum crm_ent t, struct crm_err *e)
{
	const char *v, *cur;
	size_t vlen, clen;
	long i = crm_rec_find(en->el, "value", 5);
	int bad = 0;

	en->off[t] = en->vals.len;
	if (t == CRM_ENT_AMOUNT && i >= 0 &&
	    crm_rec_type(en->el, (size_t)i) == CRM_JSON) {
		v = crm_rec_value(en->el, (size_t)i, &vlen);
		if (*v != '{')
			return crm_err_set(e, EX_DATAERR,
			    "an amount's value is an array: want an object "
			    "{\"value\":V,\"currency\":C}, a string or a "
			    "number");
		crm_rec_clear(en->amount);
		if (crm_json_parse_object(en->amount, v, vlen, e) == -1)
			return -1;
		if ((v = crm_rec_text(en->amount, "value", &vlen)) != NULL) {
			bad |= crm_buf_add(&en->vals, v, vlen);
			cur = crm_rec_text(en->amount, "currency", &clen);
			if (cur != NULL)
				bad |= crm_buf_addc(&en->vals, ' ') |
				       crm_buf_add(&en->vals, cur, clen);
		}
	} else if ((v = crm_rec_text(en->el, "value", &vlen)) != NULL) {
		bad |= crm_buf_add(&en->vals, v, vlen);
	}
	if (en->vals.len == en->off[t] &&
	    (v = crm_rec_text(en->el, "text", &vlen)) != NULL)
		bad |= crm_buf_add(&en->vals, v, vlen);
	if (bad)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	en->len[t] = en->vals.len - en->off[t];
	en->has[t] = en->len[t] > 0;
	return 0;
}

int
crm_entities_read(
    struct crm_entities *en, const char *json, size_t len, struct crm_err *e)
{
	const char *el, *type;
	size_t off = 0, elen, tlen, t;
	int rc;

	crm_buf_reset(&en->vals);
	memset(en->has, 0, sizeof(en->has));
	if (json == NULL || len == 0)
		return 0;
	while (
	    (rc = crm_json_array_next(json, len, &off, &el, &elen, e)) == 1) {
		/* an element's own messages would count bytes from it */
		if (*el != '{')
			return crm_err_set(e, EX_DATAERR,
			    "bad JSON: an entity is not an object at byte %zu",
			    (size_t)(el - json) + 1);
		crm_rec_clear(en->el);
		if (crm_json_parse_object(en->el, el, elen, e) == -1)
			return -1;
		if ((type = crm_rec_text(en->el, "type", &tlen)) == NULL)
			continue;
		for (t = 0; t < CRM_ENT_N; t++)
			if (strlen(ent_names[t]) == tlen &&
			    memcmp(ent_names[t], type, tlen) == 0)
				break;
		if (t == CRM_ENT_N || en->has[t])
			continue;
		if (keep_value(en, (enum crm_ent)t, e) == -1)
			return -1;
	}
	return rc;
}

const char *
crm_entities_get(const struct crm_entities *en, enum crm_ent t, size_t *len)
{
	if (!en->has[t])
		return NULL;
	*len = en->len[t];
	return en->vals.p + en->off[t];
}
