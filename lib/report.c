/*
 * report: the model of a report, its building and its JSON (report.h).
 * Every string and table lives in an arena of blocks freed with the
 * report, so that a section reader never frees what it adds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"
#include "report.h"

/* A block of the arena: what was allocated for the report. */
struct crm_report_arena {
	struct crm_report_arena *next;
	void *p;
};

/* p, kept by the report's arena (freed on failure); NULL: no memory. */
static void *
keep(struct crm_report *r, void *p)
{
	struct crm_report_arena *a;

	if (p == NULL || (a = malloc(sizeof(*a))) == NULL) {
		free(p);
		return NULL;
	}
	a->p = p;
	a->next = r->arena;
	r->arena = a;
	return p;
}

struct crm_report *
crm_report_new(const char *title)
{
	struct crm_report *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->title = crm_report_str(r, title)) == NULL) {
		crm_report_free(r);
		return NULL;
	}
	return r;
}

void
crm_report_free(struct crm_report *r)
{
	struct crm_report_arena *a, *next;
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsections; i++) {
		for (j = 0; j < r->sections[i]->ntables; j++)
			free(r->sections[i]->tables[j]->cells);
		free(r->sections[i]->tables);
		free(r->sections[i]->flags);
	}
	free(r->sections);
	for (a = r->arena; a != NULL; a = next) {
		next = a->next;
		free(a->p);
		free(a);
	}
	free(r);
}

const char *
crm_report_strn(struct crm_report *r, const char *s, size_t n)
{
	char *p;

	if ((p = keep(r, malloc(n + 1))) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *
crm_report_str(struct crm_report *r, const char *s)
{
	return crm_report_strn(r, s, strlen(s));
}

struct crm_report_section *
crm_report_section(struct crm_report *r, const char *id, const char *title)
{
	struct crm_report_section **p, *sec;

	if ((sec = keep(r, calloc(1, sizeof(*sec)))) == NULL ||
	    (sec->id = crm_report_str(r, id)) == NULL ||
	    (sec->title = crm_report_str(r, title)) == NULL ||
	    (p = crm_reallocarray(r->sections, r->nsections + 1, sizeof(*p))) ==
		NULL)
		return NULL;
	r->sections = p;
	p[r->nsections++] = sec;
	return sec;
}

struct crm_report_table *
crm_report_table(struct crm_report *r, struct crm_report_section *sec,
    const char *id, const char *title, const struct crm_report_col *cols,
    size_t ncols)
{
	struct crm_report_table *t, **p;
	size_t i;

	if ((t = keep(r, calloc(1, sizeof(*t)))) == NULL ||
	    (t->cols = keep(r, calloc(ncols + 1, sizeof(*t->cols)))) == NULL ||
	    (t->id = crm_report_str(r, id)) == NULL ||
	    (t->title = crm_report_str(r, title)) == NULL)
		return NULL;
	for (i = 0; i < ncols; i++) {
		t->cols[i] = cols[i];
		if ((t->cols[i].name = crm_report_str(r, cols[i].name)) ==
			NULL ||
		    (t->cols[i].label = crm_report_str(r, cols[i].label)) ==
			NULL)
			return NULL;
	}
	t->ncols = ncols;
	t->x = t->y = t->color = -1;
	if ((p = crm_reallocarray(sec->tables, sec->ntables + 1, sizeof(*p))) ==
	    NULL)
		return NULL;
	sec->tables = p;
	p[sec->ntables++] = t;
	return t;
}

struct crm_report_cell *
crm_report_row(struct crm_report *r, struct crm_report_table *t)
{
	struct crm_report_cell *p, *row;
	size_t cap, i;

	(void)r;
	if (t->nrows == t->cap) {
		cap = t->cap ? 2 * t->cap : 16;
		if ((p = crm_reallocarray(
			 t->cells, cap * t->ncols + 1, sizeof(*p))) == NULL)
			return NULL;
		t->cells = p;
		t->cap = cap;
	}
	row = &t->cells[t->nrows * t->ncols];
	for (i = 0; i < t->ncols; i++) {
		row[i].null = 1;
		row[i].num = 0;
		row[i].text = NULL;
	}
	t->nrows++;
	return row;
}

int
crm_report_flag(
    struct crm_report *r, struct crm_report_section *sec, const char *text)
{
	struct crm_report_flag *p;

	if ((p = crm_reallocarray(sec->flags, sec->nflags + 1, sizeof(*p))) ==
	    NULL)
		return -1;
	sec->flags = p;
	if ((p[sec->nflags].text = crm_report_str(r, text)) == NULL)
		return -1;
	sec->nflags++;
	return 0;
}

/* ==== JSON ==== */

static const char *const types[] = { "text", "int", "real", "share", "date" };
static const char *const charts[] = { "none", "bar", "line", "heatmap",
	"stacked" };

static void
opt_str(struct crm_jw *w, const char *key, const char *v)
{
	crm_jw_key(w, key);
	if (v == NULL)
		crm_jw_null(w);
	else
		crm_jw_str(w, v);
}

static void
cell_json(struct crm_jw *w, const struct crm_report_col *c,
    const struct crm_report_cell *v)
{
	if (v->null || (c->type != CRM_RT_TEXT && c->type != CRM_RT_DATE &&
			   !isfinite(v->num)))
		crm_jw_null(w);
	else if (c->type == CRM_RT_TEXT || c->type == CRM_RT_DATE)
		crm_jw_str(w, v->text != NULL ? v->text : "");
	else if (c->type == CRM_RT_INT)
		crm_jw_int(w, (long long)llround(v->num));
	else
		crm_jw_num(w, "%.6g", v->num);
}

static void
col_json(
    struct crm_jw *w, const struct crm_report_table *t, const char *key, int i)
{
	crm_jw_key(w, key);
	if (i < 0)
		crm_jw_null(w);
	else
		crm_jw_str(w, t->cols[i].name);
}

static void
table_json(struct crm_jw *w, const struct crm_report_table *t)
{
	size_t i, j;

	crm_jw_obj(w);
	opt_str(w, "id", t->id);
	opt_str(w, "title", t->title);
	opt_str(w, "note", t->note);
	crm_jw_key(w, "columns");
	crm_jw_arr(w);
	for (j = 0; j < t->ncols; j++) {
		crm_jw_obj(w);
		opt_str(w, "name", t->cols[j].name);
		opt_str(w, "label", t->cols[j].label);
		opt_str(w, "type", types[t->cols[j].type]);
		crm_jw_end(w);
	}
	crm_jw_end(w);
	crm_jw_key(w, "rows");
	crm_jw_arr(w);
	for (i = 0; i < t->nrows; i++) {
		crm_jw_arr(w);
		for (j = 0; j < t->ncols; j++)
			cell_json(w, &t->cols[j], &t->cells[i * t->ncols + j]);
		crm_jw_end(w);
	}
	crm_jw_end(w);
	crm_jw_key(w, "chart");
	if (t->chart == CRM_CHART_NONE)
		crm_jw_null(w);
	else {
		crm_jw_obj(w);
		opt_str(w, "mark", charts[t->chart]);
		col_json(w, t, "x", t->x);
		col_json(w, t, "y", t->y);
		col_json(w, t, "color", t->color);
		crm_jw_end(w);
	}
	crm_jw_end(w);
}

int
crm_report_json(const struct crm_report *r, struct crm_buf *b)
{
	const struct crm_report_section *sec;
	struct crm_jw w;
	size_t i, j;

	crm_jw_init(&w, b);
	crm_jw_obj(&w);
	opt_str(&w, "title", r->title);
	opt_str(&w, "db", r->db);
	opt_str(&w, "as_of", r->as_of);
	opt_str(&w, "since", r->since);
	opt_str(&w, "tz", r->tz);
	crm_jw_key(&w, "sections");
	crm_jw_arr(&w);
	for (i = 0; i < r->nsections; i++) {
		sec = r->sections[i];
		crm_jw_obj(&w);
		opt_str(&w, "id", sec->id);
		opt_str(&w, "title", sec->title);
		crm_jw_key(&w, "flags");
		crm_jw_arr(&w);
		for (j = 0; j < sec->nflags; j++)
			crm_jw_str(&w, sec->flags[j].text);
		crm_jw_end(&w);
		crm_jw_key(&w, "tables");
		crm_jw_arr(&w);
		for (j = 0; j < sec->ntables; j++)
			table_json(&w, sec->tables[j]);
		crm_jw_end(&w);
		crm_jw_end(&w);
	}
	crm_jw_end(&w);
	crm_jw_end(&w);
	return crm_jw_done(&w);
}
