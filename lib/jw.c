/*
 * jw: the JSON document writer of jw.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jw.h"
#include "rec.h"

void
crm_jw_init(struct crm_jw *w, struct crm_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* Before a value: the comma, and check that an object's key came first. */
static void
before_value(struct crm_jw *w)
{
	int d = w->depth;

	if (d > 0 && w->isobj[d - 1]) {
		if (!w->key[d - 1])
			w->bad = 1;
		w->key[d - 1] = 0;
		return;
	}
	if (d > 0 && w->n[d - 1]++ > 0 && crm_buf_addc(w->b, ',') == -1)
		w->bad = 1;
}

static void
open_level(struct crm_jw *w, int obj)
{
	before_value(w);
	if (w->depth >= CRM_JW_DEPTH) {
		w->bad = 1;
		return;
	}
	w->isobj[w->depth] = (unsigned char)obj;
	w->n[w->depth] = 0;
	w->key[w->depth] = 0;
	w->depth++;
	if (crm_buf_addc(w->b, obj ? '{' : '[') == -1)
		w->bad = 1;
}

void
crm_jw_obj(struct crm_jw *w)
{
	open_level(w, 1);
}

void
crm_jw_arr(struct crm_jw *w)
{
	open_level(w, 0);
}

void
crm_jw_end(struct crm_jw *w)
{
	if (w->depth == 0 || w->key[w->depth - 1]) {
		w->bad = 1;
		return;
	}
	w->depth--;
	if (crm_buf_addc(w->b, w->isobj[w->depth] ? '}' : ']') == -1)
		w->bad = 1;
}

void
crm_jw_keyn(struct crm_jw *w, const char *k, size_t len)
{
	int d = w->depth;

	if (d == 0 || !w->isobj[d - 1] || w->key[d - 1]) {
		w->bad = 1;
		return;
	}
	if ((w->n[d - 1]++ > 0 && crm_buf_addc(w->b, ',') == -1) ||
	    crm_json_quote(w->b, k, len) == -1 || crm_buf_addc(w->b, ':') == -1)
		w->bad = 1;
	w->key[d - 1] = 1;
}

void
crm_jw_key(struct crm_jw *w, const char *k)
{
	crm_jw_keyn(w, k, strlen(k));
}

void
crm_jw_strn(struct crm_jw *w, const char *s, size_t len)
{
	before_value(w);
	if (crm_json_quote(w->b, s, len) == -1)
		w->bad = 1;
}

void
crm_jw_str(struct crm_jw *w, const char *s)
{
	crm_jw_strn(w, s, strlen(s));
}

void
crm_jw_int(struct crm_jw *w, long long v)
{
	before_value(w);
	if (crm_buf_addf(w->b, "%lld", v) == -1)
		w->bad = 1;
}

void
crm_jw_bool(struct crm_jw *w, int v)
{
	before_value(w);
	if (crm_buf_adds(w->b, v ? "true" : "false") == -1)
		w->bad = 1;
}

void
crm_jw_null(struct crm_jw *w)
{
	before_value(w);
	if (crm_buf_adds(w->b, "null") == -1)
		w->bad = 1;
}

void
crm_jw_num(struct crm_jw *w, const char *fmt, double v)
{
	if (!isfinite(v)) {
		crm_jw_null(w);
		return;
	}
	before_value(w);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (crm_buf_addf(w->b, fmt, v) == -1)
		w->bad = 1;
#pragma GCC diagnostic pop
}

void
crm_jw_raw(struct crm_jw *w, const char *json, size_t len)
{
	before_value(w);
	if (crm_buf_add(w->b, json, len) == -1)
		w->bad = 1;
}

int
crm_jw_done(const struct crm_jw *w)
{
	return w->bad || w->depth != 0 ? -1 : 0;
}
