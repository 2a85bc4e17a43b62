/*
 * entity: the entities of a customer's message, found in its text: order
 * numbers (and whatever else a pattern file names), phone numbers, e-mail
 * addresses, amounts of money, dates, and product names from a list; in
 * Chinese and English.  crm-intent --entities appends them as the field
 * "entities", a JSON array in text order of objects
 *
 *   {"type":T,"text":SPAN,"value":V,"start":S,"end":E}
 *
 * T: order_id (or a pattern line's own type), phone, email, amount, date,
 * product.  SPAN: the text as written (of a pattern with a capture group
 * 1, what the group took); S and E: code-point offsets into the text, E
 * exclusive.  V: an order number as its pattern matched it, the SPAN; a
 * phone number in E.164 and an
 * e-mail address lower-cased, both through lib/norm; an amount as
 * {"value":"12.50","currency":"CNY"} (the number as written without
 * grouping commas, the ISO 4217 code); a date as YYYY-MM-DD; a product
 * as the list writes it.  crm-route reads this form.
 *
 * Relative dates (明天, 上周五, "last Friday", 12月3日 without a year)
 * count from the reference day: the day of the message's time in the
 * zone, else of the run's reference time (clock.h).  The rules are in
 * crm-intent(1), "Entities".
 *
 * Every pattern is a PCRE2 regular expression, compiled once in UTF mode
 * (JIT-compiled where the platform has it) and matched with one match
 * data block for the whole run.  Where two matches overlap the longer
 * wins; of two as long, the order numbers, then e-mail, phone, date,
 * amount and product.
 *
 * Use: crm_entity_new, then for each message crm_entity_day (or
 * crm_entity_day_clock) and crm_entity_find, then crm_entity_free.  Not
 * thread-safe (one match data block; lib/calendar's zones).  It owns no
 * store table.
 */
#ifndef CRM_ENTITY_H
#define CRM_ENTITY_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct crm_entity_opts {
	const char *patterns; /* file of NAME<TAB>REGEX lines, or NULL */
	const char *products; /* file of product names, or NULL */
	const char *tz;	      /* the zone of relative dates; NULL: UTC */
};

struct crm_entity;

/*
 * Compile the patterns (the file's, else the built-in order numbers)
 * and read the product list.  NULL with e filled: EX_NOINPUT when a file
 * cannot be opened; EX_DATAERR with e->file and e->line for a bad line
 * (a regular expression PCRE2 refuses, with the offset it names); EX_USAGE
 * for an unknown zone; EX_SOFTWARE when out of memory.
 */
struct crm_entity *crm_entity_new(
    const struct crm_entity_opts *o, struct crm_err *e);
void crm_entity_free(struct crm_entity *x);

/*
 * The reference day from the message's time t[0..len): a date, an ISO
 * 8601 date-time (with a zone or Z: that moment in the zone; without
 * one: the clocks of the zone), or epoch seconds.  0, or -1 with e
 * filled (EX_DATAERR) when it is none of these.
 */
int crm_entity_day(
    struct crm_entity *x, const char *t, size_t len, struct crm_err *e);

/* The reference day from the run's reference time (clock.h). */
void crm_entity_day_clock(struct crm_entity *x);

/* One entity found. */
struct crm_entity_hit {
	const char *type;
	size_t bstart, bend; /* bytes of the text */
	size_t start, end;   /* code points of the text */
};

/*
 * The entities of UTF-8 text[0..len) as the JSON array above into out
 * (reset first), and as hits (valid until the next call; n their
 * count; hits may be NULL).  0, or -1 with e filled: EX_DATAERR for
 * invalid UTF-8 or a pattern that ran past PCRE2's match limit,
 * EX_SOFTWARE when out of memory.
 */
int crm_entity_find(struct crm_entity *x, const char *text, size_t len,
    struct crm_buf *out, const struct crm_entity_hit **hits, size_t *n,
    struct crm_err *e);

#endif
