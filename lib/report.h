/*
 * report: crm-report's pipeline.  A report is sections of tables, read
 * from the store as of a reference time, then written three ways: text
 * for a terminal, one self-contained HTML file (charts drawn by the
 * browser from each table's rows), or JSON (the figures alone).
 *
 *   r = crm_report_build(store, &opts, &e);	 every section with data
 *   crm_report_text(r, &buf, 80);		 or _html, or _json
 *   crm_report_free(r);
 *
 * The model is plain data so that the writers and the tests need no
 * store: a section (Customers, Health, ...) holds tables; a table has
 * typed columns, rows of cells and, optionally, how it is charted (the
 * writers draw a chart's marks from the table's own rows, so every
 * chart's numbers are in its table).  Tables and their strings belong
 * to the report (one arena, freed with it).  Nothing here reads a clock
 * or draws a random number: one store and one as_of give the same
 * bytes.
 *
 * Store tables: it owns none and only reads them, through a snapshot.
 */
#ifndef CRM_REPORT_H
#define CRM_REPORT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "store.h"

/* What a column holds, which says how it is shown. */
enum crm_report_type {
	CRM_RT_TEXT,  /* text, escaped wherever it is written */
	CRM_RT_INT,   /* a count: 1,234 in text, 1234 in JSON */
	CRM_RT_REAL,  /* a figure, shown with the column's digits */
	CRM_RT_SHARE, /* 0 to 1, shown as a percentage */
	CRM_RT_DATE   /* YYYY-MM-DD (or a week's Monday), as text */
};

struct crm_report_col {
	const char *name;  /* its key in JSON and CSV: [a-z0-9_]+ */
	const char *label; /* its heading */
	enum crm_report_type type;
	int digits; /* CRM_RT_REAL: decimals shown */
};

/* A cell: a number (INT, REAL, SHARE) or text (TEXT, DATE), or null. */
struct crm_report_cell {
	int null;
	double num;
	const char *text;
};

enum crm_report_chart {
	CRM_CHART_NONE,
	CRM_CHART_BAR,	   /* a bar per row: x a category, y a number */
	CRM_CHART_LINE,	   /* a point per row: x a date, y a number */
	CRM_CHART_HEATMAP, /* a cell per row: x, y categories, color a number */
	CRM_CHART_STACKED  /* bars of x split by the color column */
};

struct crm_report_table {
	const char *id;	   /* unique in the report: [a-z0-9-]+ */
	const char *title; /* its heading */
	const char *note;  /* a line under it, or NULL */
	struct crm_report_col *cols;
	size_t ncols;
	struct crm_report_cell *cells; /* row i, column j: cells[i*ncols+j] */
	size_t nrows, cap;
	enum crm_report_chart chart;
	int x, y, color; /* the chart's columns, -1 for none */
};

/* A flag: one line that asks for attention (an anomaly, a warning). */
struct crm_report_flag {
	const char *text;
};

struct crm_report_section {
	const char *id;	   /* customers, health, segments, service,
			      models, anomalies */
	const char *title; /* "Customers" */
	struct crm_report_table **tables;
	size_t ntables;
	struct crm_report_flag *flags;
	size_t nflags;
};

struct crm_report_opts {
	const char *db;	     /* the store's name, shown in the heading */
	const char *as_of;   /* the reference time (lib/clock.h) */
	const char *since;   /* the first day shown in series, or NULL */
	const char *tz;	     /* days in this zone (UTC) */
	const char *outcome; /* experiments' conversion event type, or
				NULL: arms without verdicts */
};

struct crm_report {
	const char *title;
	const char *as_of, *since, *tz, *db;
	struct crm_report_section **sections; /* kept where they are */
	size_t nsections;
	struct crm_report_arena *arena; /* every string and table above */
};

/* ==== Building (the section readers, and tests) ==== */

/* An empty report titled title; NULL when out of memory. */
struct crm_report *crm_report_new(const char *title);
void crm_report_free(struct crm_report *r);

/* A copy of s (n bytes) in the report's arena; NULL: no memory. */
const char *crm_report_strn(struct crm_report *r, const char *s, size_t n);
const char *crm_report_str(struct crm_report *r, const char *s);

/* A new section at the end; NULL: no memory. */
struct crm_report_section *crm_report_section(
    struct crm_report *r, const char *id, const char *title);

/*
 * A new table of ncols columns (copied) at the end of section sec, no
 * chart; NULL: no memory.
 */
struct crm_report_table *crm_report_table(struct crm_report *r,
    struct crm_report_section *sec, const char *id, const char *title,
    const struct crm_report_col *cols, size_t ncols);

/*
 * A new row of t, every cell null: its cells to fill (text through
 * crm_report_str); NULL: no memory.
 */
struct crm_report_cell *crm_report_row(
    struct crm_report *r, struct crm_report_table *t);

/* Add a flag line to sec; -1: no memory. */
int crm_report_flag(
    struct crm_report *r, struct crm_report_section *sec, const char *text);

/*
 * The report of store s as of opts->as_of (NULL: the reference time of
 * clock.h), read through a snapshot: every section the store has data
 * for (lib/report_data.c).  NULL with e filled: EX_USAGE for a bad
 * as_of, since or tz, the store's code otherwise.
 */
struct crm_report *crm_report_build(
    struct crm_store *s, const struct crm_report_opts *opts, struct crm_err *e);

/* ==== Writing ==== */

/*
 * The figures for a terminal into b: each section's flags first, then
 * its tables, each a heading and aligned columns, a Unicode bar for the
 * charted number, in width columns (80 when 0).  -1: no memory.
 */
int crm_report_text(const struct crm_report *r, struct crm_buf *b, int width);

/*
 * The figures as one JSON object: title, as_of, since, tz, and sections,
 * each with its tables (columns, rows as arrays) and flags.  Plain JSON:
 * the HTML writer, not this, makes it safe inside a script element.  -1:
 * no memory.
 */
int crm_report_json(const struct crm_report *r, struct crm_buf *b);

/*
 * Append cell v of column c as a person reads it: INT grouped by
 * thousands (1,234), REAL with the column's digits (grouped too), SHARE
 * as a percentage with one decimal (75.0%), TEXT and DATE as they are,
 * nothing for a null or a number that is not finite.  -1: no memory.
 */
int crm_report_cell_fmt(struct crm_buf *b, const struct crm_report_col *c,
    const struct crm_report_cell *v);

/*
 * One self-contained HTML5 file (lib/report_html.c): a heading (title,
 * store, as_of), a table of contents, each section with its flags, each
 * table sortable, with its rows as a CSV link and, when it has a chart
 * hint, a Vega-Lite chart drawn from those rows.  Vega, Vega-Lite and
 * vega-embed are inlined, so the file needs no network.  The same report
 * gives the same bytes.  -1 with e set: no memory, or a chart hint that
 * names no column (EX_SOFTWARE).
 */
int crm_report_html(
    const struct crm_report *r, struct crm_buf *b, struct crm_err *e);

#endif
