/*
 * report_data: the figures of crm-report, read from the store
 * (report.h's crm_report_build).  Every table is one SQL statement of
 * aggregates (GROUP BY over indexed columns where the store has them),
 * run on a snapshot so that the report sees one state of the store; its
 * rows in a stable order.  A table with no rows is left out, and so is
 * a section with no table.  Days are the reference zone's (--tz): the
 * SQL functions report_day() and report_week() (a week's Monday) put a
 * stored time there.  Nothing reads the clock: the reference time is
 * opts->as_of.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "calendar.h"
#include "clock.h"
#include "experiment.h"
#include "norm.h"
#include "report.h"

/* What a run of the readers shares. */
struct ctx {
	struct crm_report *r;
	sqlite3 *db;	     /* the snapshot's connection */
	const char *tz;	     /* NULL: UTC */
	char asof[32];	     /* the reference time, YYYY-MM-DDTHH:MM:SSZ */
	char today[11];	     /* its day in tz: the last day of the series */
	char since[11];	     /* the first day of the series */
	char base[11];	     /* the first day of the anomalies' baseline */
	const char *outcome; /* experiments' conversion event, or NULL */
	struct crm_err *e;
};

/* A table of a section: its statement and how it is charted. */
struct spec {
	const char *id, *title, *note;
	const struct crm_report_col *cols;
	size_t ncols;
	enum crm_report_chart chart;
	int x, y, color;
	const char *sql; /* named parameters :asof, :today, :since, :base */
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* ==== Days in a zone ==== */

/* The day of time text t in zone tz (NULL: UTC) into day; 0 or -1. */
static int
local_day(const char *tz, const char *t, size_t len, char day[11])
{
	const char *why;
	struct tm tm;
	double secs;
	size_t i;
	int zoned = 0;

	/* a date alone is a day in every zone */
	if (len == 10 && t[4] == '-' && t[7] == '-') {
		memcpy(day, t, 10);
		day[10] = '\0';
		return 0;
	}
	/* a time with an offset (not Z) is converted; any other is UTC's */
	for (i = 11; i < len; i++)
		if (t[i] == '+' || t[i] == '-')
			zoned = 1;
	/* a UTC time in UTC days needs no conversion: its first ten bytes */
	if (tz == NULL && len > 10 && t[4] == '-' && t[7] == '-' &&
	    (t[10] == 'T' || t[10] == ' ') && !zoned) {
		memcpy(day, t, 10);
		day[10] = '\0';
		return 0;
	}
	if (crm_norm_seconds(t, len, &secs, &why) == -1 ||
	    crm_tz_local(tz, secs, &tm) == -1 ||
	    strftime(day, 11, "%Y-%m-%d", &tm) != 10)
		return -1;
	return 0;
}

static void
day_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const struct ctx *c = sqlite3_user_data(cx);
	const char *t;
	char day[11];

	(void)argc;
	if ((t = (const char *)sqlite3_value_text(argv[0])) == NULL ||
	    local_day(c->tz, t, (size_t)sqlite3_value_bytes(argv[0]), day) ==
		-1) {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_text(cx, day, 10, SQLITE_TRANSIENT);
}

static int
functions(struct ctx *c)
{
	if (sqlite3_create_function_v2(c->db, "report_day", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, c, day_fn, NULL, NULL,
		NULL) != SQLITE_OK)
		return crm_err_set(
		    c->e, EX_SOFTWARE, "%s", sqlite3_errmsg(c->db));
	return 0;
}

/* ==== Tables from statements ==== */

static int
fail(struct ctx *c, const char *what)
{
	return crm_err_set(
	    c->e, EX_SOFTWARE, "report %s: %s", what, sqlite3_errmsg(c->db));
}

static void
bind(struct ctx *c, sqlite3_stmt *st)
{
	static const char *const names[] = { ":asof", ":today", ":since",
		":base", ":outcome" };
	const char *vals[] = { c->asof, c->today, c->since, c->base,
		c->outcome };
	size_t i;
	int k;

	for (i = 0; i < NCOLS(names); i++)
		if ((k = sqlite3_bind_parameter_index(st, names[i])) > 0)
			sqlite3_bind_text(st, k, vals[i], -1, SQLITE_STATIC);
}

/*
 * Run sp's statement and add its rows to *tp, made as a table of sec at
 * the first row when NULL (so a statement with no rows adds no table);
 * 0, or -1 with c->e set.
 */
static int
fill(struct ctx *c, struct crm_report_section *sec, const struct spec *sp,
    struct crm_report_table **tp)
{
	struct crm_report_table *t = *tp;
	struct crm_report_cell *row;
	sqlite3_stmt *st;
	size_t j;
	int rc;

	if (sqlite3_prepare_v2(c->db, sp->sql, -1, &st, NULL) != SQLITE_OK)
		return fail(c, sp->id);
	bind(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t == NULL) {
			if ((t = crm_report_table(c->r, sec, sp->id, sp->title,
				 sp->cols, sp->ncols)) == NULL)
				goto nomem;
			t->note = sp->note;
			t->chart = sp->chart;
			t->x = sp->x;
			t->y = sp->y;
			t->color = sp->color;
			*tp = t;
		}
		if ((row = crm_report_row(c->r, t)) == NULL)
			goto nomem;
		for (j = 0; j < sp->ncols; j++) {
			if (sqlite3_column_type(st, (int)j) == SQLITE_NULL)
				continue;
			row[j].null = 0;
			if (sp->cols[j].type == CRM_RT_TEXT ||
			    sp->cols[j].type == CRM_RT_DATE) {
				if ((row[j].text = crm_report_strn(c->r,
					 (const char *)sqlite3_column_text(
					     st, (int)j),
					 (size_t)sqlite3_column_bytes(
					     st, (int)j))) == NULL)
					goto nomem;
			} else
				row[j].num = sqlite3_column_double(st, (int)j);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(c, sp->id);
	return 0;
nomem:
	sqlite3_finalize(st);
	return crm_err_set(c->e, EX_SOFTWARE, "out of memory");
}

/* Every table of specs[0..n) that has rows; 0 or -1. */
static int
tables(struct ctx *c, struct crm_report_section *sec, const struct spec *sp,
    size_t n)
{
	struct crm_report_table *t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = NULL;
		if (fill(c, sec, &sp[i], &t) == -1)
			return -1;
	}
	return 0;
}

/* ==== Customers ==== */

static const struct crm_report_col c_counts[] = {
	{ "measure", "Measure", CRM_RT_TEXT, 0 },
	{ "count", "Count", CRM_RT_INT, 0 },
};
static const struct crm_report_col c_week[] = {
	{ "week", "Week of", CRM_RT_DATE, 0 },
	{ "new", "New customers", CRM_RT_INT, 0 },
};
static const struct crm_report_col c_quality[] = {
	{ "field", "Field", CRM_RT_TEXT, 0 },
	{ "filled", "Filled", CRM_RT_SHARE, 0 },
	{ "valid", "Valid of filled", CRM_RT_SHARE, 0 },
	{ "duplicates", "Shared values", CRM_RT_INT, 0 },
};

/*
 * The data quality of the customers table in one scan: per field, the
 * rows filled (F) and valid among them (V, a GLOB or LIKE test), then a
 * row a field.
 */
#define FILLED(f) "(" f " IS NOT NULL AND " f " <> '')"
#define COUNT(f, ok)                                                           \
	"sum(" FILLED(f) ") AS " f "_f, sum(" FILLED(f) " AND (" ok ")) AS " f \
							"_v"
#define FIELD(f, dup)                                                    \
	"SELECT '" f "', 1.0 * " f "_f / n, CASE WHEN " f "_f > 0 THEN " \
	"1.0 * " f "_v / " f "_f END, " dup " FROM q WHERE n > 0"
#define DUPS(f)                                                         \
	"(SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM "  \
	"customers WHERE " f " IS NOT NULL AND " f " <> '' GROUP BY " f \
	" HAVING n > 1))"
#define DATE_OK(f) f " GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*'"
#define EMAIL_OK   "email LIKE '%_@_%._%' AND email NOT LIKE '% %'"
#define PHONE_OK                                                              \
	"phone GLOB '+[1-9][0-9]*' AND NOT substr(phone, 2) GLOB '*[^0-9]*' " \
	"AND length(phone) BETWEEN 8 AND 16 OR phone GLOB "                   \
	"'1[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'"

static const struct spec customers[] = {
	{ "customers-counts", "Customers and events", NULL, c_counts,
	    NCOLS(c_counts), CRM_CHART_NONE, -1, -1, -1,
	    "SELECT * FROM (SELECT 'customer records', count(*) FROM "
	    "customers UNION ALL SELECT 'customers with events', (SELECT "
	    "count(*) FROM customers c WHERE EXISTS (SELECT 1 FROM events e "
	    "WHERE e.customer_id = c.customer_id)) "
	    "UNION ALL SELECT 'events', (SELECT count(*) FROM events)) "
	    "WHERE EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM "
	    "events)" },
	{ "customers-new-per-week", "New customers per week",
	    "By signup_date, weeks from Monday.", c_week, NCOLS(c_week),
	    CRM_CHART_LINE, 0, 1, -1,
	    "SELECT date(d, '-6 days', 'weekday 1') AS w, count(*) FROM "
	    "(SELECT report_day(signup_date) AS d FROM customers WHERE "
	    "signup_date IS NOT NULL) WHERE d >= date(:since, '-6 days', "
	    "'weekday 1') AND d <= :today GROUP BY w ORDER BY w" },
	{ "customers-persons", "Persons and records after dedupe",
	    "Records clustered by crm-dedupe, the persons they make, and the "
	    "records that duplicate another.",
	    c_counts, NCOLS(c_counts), CRM_CHART_BAR, 0, 1, -1,
	    "SELECT * FROM (SELECT 'records clustered', count(*) FROM "
	    "clusters UNION ALL SELECT 'persons', count(DISTINCT cluster_id) "
	    "FROM clusters UNION ALL SELECT 'duplicates found', count(*) - "
	    "count(DISTINCT cluster_id) FROM clusters "
	    "UNION ALL SELECT 'persons merged', (SELECT count(*) FROM persons "
	    "WHERE merged_into IS NOT NULL) "
	    "UNION ALL SELECT 'pairs labelled', (SELECT count(*) FROM "
	    "link_labels)) WHERE EXISTS (SELECT 1 FROM clusters)" },
	{ "customers-quality", "Data quality per field",
	    "Filled: not empty.  Valid: e-mail like a@b.c, phone digits "
	    "(E.164 or 11), dates YYYY-MM-DD.  Shared values: records "
	    "whose value another record has too.  Rejected rows are not "
	    "kept by the store.",
	    c_quality, NCOLS(c_quality), CRM_CHART_BAR, 0, 1, -1,
	    "WITH q AS MATERIALIZED (SELECT count(*) AS n, " COUNT(
		"name", "1") ", " COUNT("email", EMAIL_OK) ", " COUNT("phone",
		PHONE_OK) ", " COUNT("city", "1") ", " COUNT("country",
		"1") ", " COUNT("birth_date",
		DATE_OK("birth_date")) ", " COUNT("signup_date",
		DATE_OK("signup_date")) " FROM customers) " FIELD("name",
		"NULL") " UNION ALL " FIELD("email",
		DUPS("email")) " UNION ALL " FIELD("phone",
		DUPS("phone")) " UNION ALL " FIELD("city",
		"NULL") " UNION ALL " FIELD("country",
		"NULL") " UNION ALL " FIELD("birth_date",
		"NULL") " UNION ALL " FIELD("signup_date", "NULL") },
};

/* ==== Health ==== */

static const struct crm_report_col h_dist[] = {
	{ "probability", "Churn probability", CRM_RT_TEXT, 0 },
	{ "model", "Model", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
};
static const struct crm_report_col h_bands[] = {
	{ "segment", "RFM segment", CRM_RT_TEXT, 0 },
	{ "risk", "Risk", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
};
static const struct crm_report_col h_reasons[] = {
	{ "reason", "Reason", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
	{ "contribution", "Mean contribution", CRM_RT_REAL, 3 },
};
static const struct crm_report_col h_actions[] = {
	{ "action", "Action", CRM_RT_TEXT, 0 },
	{ "outcome", "Outcome", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
};

static const struct spec health[] = {
	{ "health-churn-distribution", "Churn probability",
	    "The latest crm-churn score of each customer, by model.", h_dist,
	    NCOLS(h_dist), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT format('%.1f-%.1f', b / 10.0, b / 10.0 + 0.1), "
	    "nullif(model, x''), sum(n) FROM churn WHERE b IS NOT x'' GROUP "
	    "BY b, model ORDER BY b, nullif(model, x'')" },
	{ "health-risk-by-segment", "Risk bands by segment",
	    "The latest crm-churn risk band of each customer against its "
	    "RFM segment now.",
	    h_bands, NCOLS(h_bands), CRM_CHART_HEATMAP, 0, 1, 2,
	    "SELECT coalesce(nullif(seg, x''), '(none)') AS s, nullif(output, "
	    "x'') AS o, sum(n) FROM churn GROUP BY s, o ORDER BY s, o" },
	{ "health-reasons", "Most common churn reasons",
	    "The strongest reason of each latest score: the ten features "
	    "named most, with their mean contribution.",
	    h_reasons, NCOLS(h_reasons), CRM_CHART_BAR, 0, 1, -1,
	    "SELECT f, sum(n) AS k, CASE WHEN sum(wn) > 0 THEN sum(w) * 1.0 / "
	    "sum(wn) END FROM churn WHERE f IS NOT x'' GROUP BY f ORDER BY k "
	    "DESC, f LIMIT 10" },
	{ "health-retention", "Retention actions and their outcomes",
	    "Actions crm-journey sent (journey/template), by where their "
	    "customer is now in the journey.",
	    h_actions, NCOLS(h_actions), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT a.journey || '/' || a.template AS act, s.status, "
	    "count(DISTINCT a.subject) FROM journey_actions a JOIN "
	    "journey_state s ON s.journey = a.journey AND s.subject = "
	    "a.subject WHERE a.time <= :asof GROUP BY act, s.status ORDER BY "
	    "act, s.status" },
};

/* ==== Segments ==== */

static const struct crm_report_col s_rfm[] = {
	{ "r", "Recency score", CRM_RT_TEXT, 0 },
	{ "f", "Frequency score", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
};
static const struct crm_report_col s_sizes[] = {
	{ "tag", "Segment or tag", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
};
static const struct crm_report_col s_hist[] = {
	{ "day", "Day", CRM_RT_DATE, 0 },
	{ "tag", "Segment or tag", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
};
static const struct crm_report_col s_km[] = {
	{ "cluster", "Cluster", CRM_RT_TEXT, 0 },
	{ "customers", "Customers", CRM_RT_INT, 0 },
	{ "segment", "Top RFM segment", CRM_RT_TEXT, 0 },
};

static const struct spec segments[] = {
	{ "segments-rfm-grid", "RFM: recency against frequency",
	    "The scores (1 to 5) of each customer's latest RFM segment.", s_rfm,
	    NCOLS(s_rfm), CRM_CHART_HEATMAP, 1, 0, 2,
	    "SELECT json_extract(d.reasons, '$.r') AS r, json_extract("
	    "d.reasons, '$.f') AS f, count(*) FROM latest l JOIN decisions d "
	    "ON d.id = l.id WHERE l.tool = 'crm-tag' AND l.model = 'rfm' AND "
	    "r IS NOT NULL AND f IS NOT NULL GROUP BY r, f ORDER BY r "
	    "DESC, f" },
	{ "segments-sizes", "Segments and tags now", NULL, s_sizes,
	    NCOLS(s_sizes), CRM_CHART_BAR, 0, 1, -1,
	    "SELECT tag, count(*) AS n FROM tags GROUP BY tag ORDER BY n "
	    "DESC, tag LIMIT 30" },
	/*
	 * The tags with the most rows (top), their rows counted by began
	 * from tag_history_tag alone (no sort of the table: a run of
	 * crm-tag begins its tags at one time), less the rows ended (few,
	 * read whole): +1 on the day a span begins, -1 on the day it ends,
	 * k the spans of a day, which has a row when it has one.
	 */
	{ "segments-history", "Segment and tag sizes over time",
	    "From tag_history: the size on each day it changed, and on the "
	    "first and last day.",
	    s_hist, NCOLS(s_hist), CRM_CHART_LINE, 0, 2, 1,
	    "WITH top AS MATERIALIZED (SELECT tag FROM tag_history GROUP BY "
	    "tag ORDER BY count(*) DESC, tag LIMIT 12), "
	    "ended AS (SELECT tag, max(report_day(began), :since) AS b, "
	    "report_day(ended) AS e FROM tag_history WHERE ended IS NOT NULL "
	    "AND began <= :asof AND +tag IN (SELECT tag FROM top)), "
	    "ch(tag, day, d, k) AS (SELECT tag, max(report_day(began), "
	    ":since) AS b, count(*), count(*) FROM tag_history WHERE began <= "
	    ":asof AND tag IN (SELECT tag FROM top) AND b <= :today GROUP BY "
	    "tag, began UNION ALL SELECT tag, b, -1, -1 FROM ended WHERE e <= "
	    "b AND b <= :today UNION ALL SELECT tag, e, -1, 1 FROM ended WHERE "
	    "e > b AND e <= :today UNION ALL SELECT tag, :today, 0, 1 FROM "
	    "tag_history WHERE began <= :asof AND tag IN (SELECT tag FROM top) "
	    "GROUP BY tag), "
	    "per(tag, day, d) AS (SELECT tag, day, sum(d) FROM ch GROUP BY "
	    "tag, day HAVING sum(k) > 0) "
	    "SELECT day, tag, sum(d) OVER (PARTITION BY tag ORDER BY day) "
	    "FROM per ORDER BY day, tag" },
	{ "segments-kmeans", "k-means cluster profiles",
	    "Clusters of crm-tag --kmeans now: size and most common RFM "
	    "segment.",
	    s_km, NCOLS(s_km), CRM_CHART_BAR, 0, 1, -1,
	    "WITH x AS MATERIALIZED (SELECT substr(k.tag, 8) AS cl, "
	    "substr(r.tag, 5) AS seg, count(*) AS n FROM tags k LEFT JOIN tags "
	    "r ON r.customer_id = k.customer_id AND r.rule = 'rfm' WHERE "
	    "k.rule = 'kmeans' GROUP BY k.tag, r.tag) "
	    "SELECT cl, sum(n), (SELECT y.seg FROM x y WHERE y.cl = x.cl AND "
	    "y.seg IS NOT NULL ORDER BY y.n DESC, y.seg LIMIT 1) FROM x GROUP "
	    "BY cl ORDER BY CAST(cl AS INTEGER), cl" },

};

/* ==== Service ==== */

/* Tickets with a queue (subtasks and plain tickets, not parents). */
#define TICKETS                                               \
	"(SELECT * FROM tickets WHERE queue IS NOT NULL AND " \
	"created <= :asof)"

static const struct crm_report_col v_qp[] = {
	{ "queue", "Queue", CRM_RT_TEXT, 0 },
	{ "priority", "Priority", CRM_RT_TEXT, 0 },
	{ "tickets", "Tickets", CRM_RT_INT, 0 },
	{ "open", "Not solved", CRM_RT_INT, 0 },
};
static const struct crm_report_col v_backlog[] = {
	{ "day", "Day", CRM_RT_DATE, 0 },
	{ "created", "Created", CRM_RT_INT, 0 },
	{ "done", "Solved or closed", CRM_RT_INT, 0 },
	{ "backlog", "Backlog", CRM_RT_INT, 0 },
};
static const struct crm_report_col v_sla[] = {
	{ "priority", "Priority", CRM_RT_TEXT, 0 },
	{ "sla", "SLA", CRM_RT_TEXT, 0 },
	{ "tickets", "Tickets", CRM_RT_INT, 0 },
};
static const struct crm_report_col v_times[] = {
	{ "priority", "Priority", CRM_RT_TEXT, 0 },
	{ "answered", "Answered", CRM_RT_INT, 0 },
	{ "first_response_h", "First response (h)", CRM_RT_REAL, 2 },
	{ "solved", "Solved", CRM_RT_INT, 0 },
	{ "resolution_h", "Resolution (h)", CRM_RT_REAL, 2 },
};
static const struct crm_report_col v_agents[] = {
	{ "agent", "Agent", CRM_RT_TEXT, 0 },
	{ "load", "Open tickets", CRM_RT_INT, 0 },
	{ "capacity", "Capacity", CRM_RT_INT, 0 },
	{ "use", "Load/capacity", CRM_RT_SHARE, 0 },
	{ "on_shift", "On shift", CRM_RT_TEXT, 0 },
};
static const struct crm_report_col v_bot[] = {
	{ "answered_by", "Answered by", CRM_RT_TEXT, 0 },
	{ "tickets", "Tickets", CRM_RT_INT, 0 },
};
static const struct crm_report_col v_intent[] = {
	{ "intent", "Intent", CRM_RT_TEXT, 0 },
	{ "messages", "Messages", CRM_RT_INT, 0 },
	{ "share", "Share", CRM_RT_SHARE, 0 },
};
static const struct crm_report_col v_sent[] = {
	{ "day", "Day", CRM_RT_DATE, 0 },
	{ "sentiment", "Sentiment", CRM_RT_TEXT, 0 },
	{ "messages", "Messages", CRM_RT_INT, 0 },
};
static const struct crm_report_col v_esc[] = {
	{ "reason", "Why", CRM_RT_TEXT, 0 },
	{ "queue", "To queue", CRM_RT_TEXT, 0 },
	{ "escalations", "Escalations", CRM_RT_INT, 0 },
};

static const struct spec service[] = {
	{ "service-queues", "Tickets by queue and priority", NULL, v_qp,
	    NCOLS(v_qp), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT queue, priority, count(*), sum(status NOT IN ('solved', "
	    "'closed')) FROM " TICKETS " GROUP BY queue, priority ORDER BY "
	    "queue, priority" },
	{ "service-backlog", "Backlog over time",
	    "Tickets not solved or closed at the end of each day: created "
	    "then, less those solved or closed since (as they are now).",
	    v_backlog, NCOLS(v_backlog), CRM_CHART_LINE, 0, 3, -1,
	    "WITH t AS (SELECT report_day(created) AS c, CASE WHEN status IN "
	    "('solved', 'closed') THEN report_day(coalesce(closed, solved, "
	    "updated)) END AS s FROM " TICKETS "), "
	    "ch(day, c, s, d) AS (SELECT max(c, :since), c >= :since, 0, 1 "
	    "FROM t WHERE c <= :today AND (s IS NULL OR s >= :since) UNION "
	    "ALL SELECT s, 0, 1, -1 FROM t WHERE s >= :since AND s <= :today) "
	    "SELECT day, sum(c), sum(s), sum(sum(d)) OVER (ORDER BY day) FROM "
	    "ch GROUP BY day ORDER BY day" },
	{ "service-sla", "SLA met and breached",
	    "First response by the due time: met; after it, or none and "
	    "past due: breached; else running.",
	    v_sla, NCOLS(v_sla), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT priority, CASE WHEN first_response IS NOT NULL AND "
	    "julianday(first_response) <= julianday(sla_due) THEN 'met' WHEN "
	    "first_response IS NOT NULL OR julianday(sla_due) < "
	    "julianday(:asof) THEN 'breached' ELSE 'running' END AS s, "
	    "count(*) FROM " TICKETS " WHERE sla_due IS NOT NULL GROUP BY "
	    "priority, s ORDER BY priority, s" },
	{ "service-times", "First response and resolution times",
	    "Means in hours from the ticket's creation.", v_times,
	    NCOLS(v_times), CRM_CHART_BAR, 0, 2, -1,
	    "SELECT priority, count(first_response), avg((julianday("
	    "first_response) - julianday(created)) * 24), count(solved), "
	    "avg((julianday(solved) - julianday(created)) * 24) FROM " TICKETS
	    " GROUP BY priority ORDER BY priority" },
	{ "service-agents", "Agent load against capacity", NULL, v_agents,
	    NCOLS(v_agents), CRM_CHART_BAR, 0, 3, -1,
	    "SELECT agent_id, load, capacity, CASE WHEN capacity > 0 THEN "
	    "1.0 * load / capacity END, CASE on_shift WHEN 1 THEN 'yes' ELSE "
	    "'no' END FROM agents ORDER BY 1.0 * load / max(capacity, 1) "
	    "DESC, agent_id LIMIT 50" },
	{ "service-bot", "Bot answers and people",
	    "Tickets by who answered them first.", v_bot, NCOLS(v_bot),
	    CRM_CHART_BAR, 0, 1, -1,
	    "SELECT CASE WHEN first = 'bot' THEN 'the bot' WHEN first IS "
	    "NULL THEN 'not yet' ELSE 'a person' END AS who, count(*) FROM "
	    "(SELECT (SELECT actor FROM ticket_events e WHERE e.ticket_id = "
	    "t.ticket_id AND e.event = 'reply' ORDER BY e.time, e.id LIMIT 1) "
	    "AS first FROM " TICKETS " t) GROUP BY who ORDER BY who" },
	{ "service-intents", "Intent mix",
	    "The latest intent of each message (crm-intent, models not named "
	    "sentiment...).",
	    v_intent, NCOLS(v_intent), CRM_CHART_BAR, 0, 1, -1,
	    "SELECT output, count(*) AS n, count(*) * 1.0 / sum("
	    "count(*)) OVER () FROM msg WHERE model NOT LIKE "
	    "'sentiment%' GROUP BY output ORDER BY n DESC, "
	    "output LIMIT 20" },
	{ "service-sentiment", "Sentiment trend",
	    "Messages a day by their latest sentiment.", v_sent, NCOLS(v_sent),
	    CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT report_day(time) AS day, output, count(*) "
	    "FROM msg WHERE model LIKE 'sentiment%' AND day >= "
	    ":since AND day <= :today GROUP BY day, output "
	    "ORDER BY day, output" },
	{ "service-escalations", "Escalations and why", NULL, v_esc,
	    NCOLS(v_esc), CRM_CHART_BAR, 0, 2, -1,
	    "SELECT CASE WHEN instr(reason, ' at ') > 0 THEN substr(reason, "
	    "1, instr(reason, ' at ') - 1) ELSE coalesce(reason, '') END AS "
	    "why, coalesce(value, ''), count(*) AS n FROM ticket_events WHERE "
	    "event = 'escalated' AND time <= :asof GROUP BY why, value ORDER "
	    "BY n DESC, why, value" },
};

/* ==== Models ==== */

static const struct crm_report_col m_models[] = {
	{ "model", "Model", CRM_RT_TEXT, 0 },
	{ "version", "Version", CRM_RT_INT, 0 },
	{ "kind", "Kind", CRM_RT_TEXT, 0 },
	{ "created", "Trained", CRM_RT_DATE, 0 },
	{ "rows", "Rows", CRM_RT_INT, 0 },
	{ "metrics", "Metrics", CRM_RT_TEXT, 0 },
};
static const struct crm_report_col m_used[] = {
	{ "tool", "Tool", CRM_RT_TEXT, 0 },
	{ "model", "Model", CRM_RT_TEXT, 0 },
	{ "version", "Version", CRM_RT_INT, 0 },
	{ "last", "Last decision", CRM_RT_TEXT, 0 },
	{ "decisions", "Decisions", CRM_RT_INT, 0 },
};
static const struct crm_report_col m_days[] = {
	{ "day", "Day", CRM_RT_DATE, 0 },
	{ "tool", "Tool", CRM_RT_TEXT, 0 },
	{ "decisions", "Decisions", CRM_RT_INT, 0 },
};
static const struct crm_report_col m_labels[] = {
	{ "task", "Task", CRM_RT_TEXT, 0 },
	{ "labels", "Corrections", CRM_RT_INT, 0 },
	{ "checked", "Of decisions", CRM_RT_INT, 0 },
	{ "accuracy", "Implied accuracy", CRM_RT_SHARE, 0 },
};
static const struct crm_report_col m_arms[] = {
	{ "experiment", "Experiment", CRM_RT_TEXT, 0 },
	{ "arm", "Arm", CRM_RT_TEXT, 0 },
	{ "subjects", "Subjects", CRM_RT_INT, 0 },
	{ "design", "Design", CRM_RT_TEXT, 0 },
};
static const struct crm_report_col m_journeys[] = {
	{ "journey", "Journey", CRM_RT_TEXT, 0 },
	{ "status", "Status", CRM_RT_TEXT, 0 },
	{ "subjects", "Subjects", CRM_RT_INT, 0 },
	{ "actions", "Actions sent", CRM_RT_INT, 0 },
};
static const struct crm_report_col m_actions[] = {
	{ "journey", "Journey", CRM_RT_TEXT, 0 },
	{ "stage", "Stage", CRM_RT_TEXT, 0 },
	{ "channel", "Channel", CRM_RT_TEXT, 0 },
	{ "template", "Template", CRM_RT_TEXT, 0 },
	{ "actions", "Actions", CRM_RT_INT, 0 },
};

static const struct spec models[] = {
	{ "models-versions", "Model versions and their metrics",
	    "Metrics as the training tool stored them.", m_models,
	    NCOLS(m_models), CRM_CHART_NONE, -1, -1, -1,
	    "SELECT name, version, kind, substr(created, 1, 10), rows, "
	    "metrics FROM models WHERE created <= :asof ORDER BY name, "
	    "version" },
	{ "models-used", "Models the latest decisions used",
	    "Per tool and model name, the version of its latest decision.",
	    m_used, NCOLS(m_used), CRM_CHART_NONE, -1, -1, -1,
	    "SELECT d.tool, d.model, d.model_version, d.time, n FROM "
	    "decisions d JOIN (SELECT max(id) AS id, sum(n) AS n FROM perday "
	    "WHERE tool NOT LIKE 'crm-mask%' GROUP BY tool, model) l ON d.id "
	    "= l.id ORDER BY d.tool, d.model" },
	{ "models-decisions-per-day", "Decisions per day", NULL, m_days,
	    NCOLS(m_days), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT day, tool, sum(n) FROM perday WHERE day >= :since AND day "
	    "<= :today GROUP BY day, tool ORDER BY day, tool" },
	{ "models-corrections", "Human corrections",
	    "Labels of crm-intent label against the latest decision of the "
	    "same record by a model of the task's name: the share it had "
	    "right.",
	    m_labels, NCOLS(m_labels), CRM_CHART_BAR, 0, 3, -1,
	    "WITH l AS (SELECT task, label, (SELECT output FROM decisions d "
	    "WHERE d.record_key = labels.record_key AND d.model = labels.task "
	    "AND d.time <= :asof ORDER BY d.id DESC LIMIT 1) AS o FROM labels "
	    "WHERE time <= :asof) SELECT task, count(*), count(o), CASE WHEN "
	    "count(o) > 0 THEN 1.0 * sum(o = label) / count(o) END FROM l "
	    "GROUP BY task ORDER BY task" },
	{ "models-experiments", "Experiments and their arms",
	    "Subjects assigned to each arm by crm-experiment.", m_arms,
	    NCOLS(m_arms), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT a.experiment, a.arm, count(*), x.arms || CASE WHEN "
	    "x.holdout > 0 THEN format(', holdout=%g', x.holdout) ELSE '' END "
	    "FROM assignments a JOIN experiments x ON x.name = a.experiment "
	    "WHERE a.time <= :asof GROUP BY a.experiment, a.arm ORDER BY "
	    "a.experiment, a.arm" },
	{ "models-journeys", "Journeys", "Where their subjects are now.",
	    m_journeys, NCOLS(m_journeys), CRM_CHART_STACKED, 0, 2, 1,
	    "SELECT s.journey, s.status, count(*), (SELECT count(*) FROM "
	    "journey_actions a WHERE a.journey = s.journey AND a.time <= "
	    ":asof AND a.subject IN (SELECT subject FROM journey_state s2 "
	    "WHERE s2.journey = s.journey AND s2.status = s.status)) FROM "
	    "journey_state s GROUP BY s.journey, s.status ORDER BY s.journey, "
	    "s.status" },
	{ "models-journey-actions", "Journey actions", NULL, m_actions,
	    NCOLS(m_actions), CRM_CHART_BAR, 3, 4, -1,
	    "SELECT journey, stage, channel, template, count(*) FROM "
	    "journey_actions WHERE time <= :asof GROUP BY journey, stage, "
	    "channel, template ORDER BY journey, stage, channel, template" },
};

/* The verdict of each experiment (lib/experiment.h) on ":outcome". */
static int
verdicts(struct ctx *c, struct crm_report_section *sec, struct crm_store *snap)
{
	static const struct crm_report_col cols[] = {
		{ "experiment", "Experiment", CRM_RT_TEXT, 0 },
		{ "arm", "Arm", CRM_RT_TEXT, 0 },
		{ "subjects", "Subjects", CRM_RT_INT, 0 },
		{ "rate", "Converted", CRM_RT_SHARE, 0 },
		{ "uplift", "Uplift", CRM_RT_SHARE, 0 },
		{ "p", "p", CRM_RT_REAL, 4 },
		{ "verdict", "Verdict", CRM_RT_TEXT, 0 },
	};
	struct crm_exp_analysis_opts ao;
	struct crm_exp_analysis a;
	struct crm_report_table *t = NULL;
	struct crm_report_cell *row;
	sqlite3_stmt *st;
	char verdict[512];
	size_t i;
	int rc;

	if (c->outcome == NULL)
		return 0;
	if (sqlite3_prepare_v2(c->db,
		"SELECT name FROM experiments WHERE "
		"created <= :asof ORDER BY name",
		-1, &st, NULL) != SQLITE_OK)
		return fail(c, "experiments");
	bind(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ao, 0, sizeof(ao));
		ao.experiment = (const char *)sqlite3_column_text(st, 0);
		ao.outcome = c->outcome;
		ao.window = 14 * 86400.0;
		ao.level = 0.95;
		if (crm_exp_analyze(snap, &ao, &a, c->e) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		crm_exp_verdict(&a, &ao, verdict, sizeof(verdict));
		if (t == NULL &&
		    (t = crm_report_table(c->r, sec, "models-verdicts",
			 "Experiment verdicts", cols, NCOLS(cols))) != NULL) {
			t->chart = CRM_CHART_BAR;
			t->x = 1;
			t->y = 3;
		}
		for (i = 0; t != NULL && i < a.n; i++) {
			if ((row = crm_report_row(c->r, t)) == NULL)
				break;
			row[0].null = row[1].null = row[2].null = 0;
			row[0].text = crm_report_str(c->r, ao.experiment);
			row[1].text = crm_report_str(c->r, a.arm[i].arm);
			row[2].num = a.arm[i].n;
			row[3].null = isnan(a.arm[i].rate);
			row[3].num = a.arm[i].rate;
			row[4].null = isnan(a.arm[i].uplift);
			row[4].num = a.arm[i].uplift;
			row[5].null = isnan(a.arm[i].p);
			row[5].num = a.arm[i].p;
			row[6].null = i != a.control;
			row[6].text = crm_report_str(c->r, verdict);
		}
		crm_exp_analysis_release(&a);
		if (t == NULL || i < a.n) {
			sqlite3_finalize(st);
			return crm_err_set(c->e, EX_SOFTWARE, "out of memory");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(c, "experiments");
}

/* ==== Anomalies ==== */

/*
 * A daily count, as "SELECT day, category" rows of every event counted
 * (day in the zone), and what its category is.
 */
struct metric {
	const char *id, *name, *by;
	const char *rows;
};

static const struct metric metrics[] = {
	{ "negative-messages", "negative messages", "intent",
	    "SELECT report_day(s.time) AS day, coalesce((SELECT "
	    "i.output FROM msg i WHERE i.model NOT LIKE "
	    "'sentiment%' AND i.record_key = s.record_key LIMIT "
	    "1), "
	    "'(none)') "
	    "FROM msg s WHERE s.model LIKE 'sentiment%' AND "
	    "s.output = 'negative'" },
	{ "tickets", "tickets", "queue",
	    "SELECT report_day(created), queue FROM " TICKETS },
	{ "escalations", "escalations", "queue",
	    "SELECT report_day(time), coalesce(value, '') FROM ticket_events "
	    "WHERE event = 'escalated' AND time <= :asof" },
	{ "complaints", "complaints", "queue",
	    "SELECT report_day(time), '(all)' FROM msg WHERE "
	    "output = 'complaint'" },
};

/* The days of the baseline before the last day. */
#define BASELINE_DAYS 14

static int
anomalies(struct ctx *c, struct crm_report_section *sec)
{
	static const struct crm_report_col cols[] = {
		{ "metric", "Metric", CRM_RT_TEXT, 0 },
		{ "day", "Day", CRM_RT_DATE, 0 },
		{ "value", "Count", CRM_RT_INT, 0 },
		{ "baseline_max", "Most before", CRM_RT_INT, 0 },
		{ "baseline_mean", "Mean before", CRM_RT_REAL, 2 },
		{ "flagged", "Flagged", CRM_RT_TEXT, 0 },
		{ "moved", "Moved most", CRM_RT_TEXT, 0 },
	};
	static const struct crm_report_col scols[] = {
		{ "day", "Day", CRM_RT_DATE, 0 },
		{ "metric", "Metric", CRM_RT_TEXT, 0 },
		{ "count", "Count", CRM_RT_INT, 0 },
	};
	struct spec sp = { "anomalies-series",
		"Daily metrics, the 14 days before and the last", NULL, scols,
		NCOLS(scols), CRM_CHART_LINE, 0, 2, 1, NULL };
	struct crm_report_table *t = NULL, *series = NULL;
	struct crm_report_cell *row;
	struct crm_buf sql, flag;
	double v, mx, mean;
	sqlite3_stmt *st;
	size_t i, j;
	int flagged, rc, ret = -1;

	crm_buf_init(&sql);
	crm_buf_init(&flag);
	for (i = 0; i < NCOLS(metrics); i++) {
		/*
		 * Per day of the baseline and the last day, the count; per
		 * category the count of the last day less its daily mean
		 * over the baseline, largest first.
		 */
		crm_buf_reset(&sql);
		if (crm_buf_addf(&sql,
			"WITH x(day, cat) AS (%s), w AS (SELECT day, cat FROM "
			"x WHERE day >= :base AND day <= :today), "
			"days(day) AS (SELECT :base UNION ALL SELECT "
			"date(day, '+1 day') FROM days WHERE day < :today), "
			"n AS (SELECT days.day, (SELECT count(*) FROM w WHERE "
			"w.day = days.day) AS v FROM days), "
			"b AS (SELECT max(v) AS mx, avg(v) AS mean FROM n "
			"WHERE day < :today), "
			"moved AS (SELECT cat, sum(day = :today) - sum(day < "
			":today) * 1.0 / %d AS d FROM w GROUP BY cat ORDER BY "
			"d DESC, cat LIMIT 1) "
			"SELECT (SELECT v FROM n WHERE day = :today), b.mx, "
			"b.mean, (SELECT cat FROM moved), (SELECT d FROM "
			"moved), (SELECT count(*) FROM w) FROM b",
			metrics[i].rows, BASELINE_DAYS) == -1)
			goto nomem;
		if (sqlite3_prepare_v2(c->db, sql.p, -1, &st, NULL) !=
		    SQLITE_OK) {
			fail(c, metrics[i].id);
			goto out;
		}
		bind(c, st);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			fail(c, metrics[i].id);
			sqlite3_finalize(st);
			goto out;
		}
		if (sqlite3_column_int64(st, 5) == 0) {
			/* no such events in the window: nothing to say */
			sqlite3_finalize(st);
			continue;
		}
		if (t == NULL) {
			if ((t = crm_report_table(c->r, sec,
				 "anomalies-metrics",
				 "Daily metrics of the "
				 "last day against the "
				 "14 before",
				 cols, NCOLS(cols))) == NULL)
				goto nomem_st;
			t->note = "Flagged: above every day of the 14 before, "
				  "and 3 or more.";
		}
		if ((row = crm_report_row(c->r, t)) == NULL)
			goto nomem_st;
		v = sqlite3_column_double(st, 0);
		mx = sqlite3_column_double(st, 1);
		mean = sqlite3_column_double(st, 2);
		flagged = v > mx && v >= 3;
		row[0].text = metrics[i].name;
		if ((row[1].text = crm_report_str(c->r, c->today)) == NULL)
			goto nomem_st;
		row[2].num = v;
		row[3].num = mx;
		row[4].num = mean;
		row[5].text = flagged ? "yes" : "no";
		for (j = 0; j < 6; j++)
			row[j].null = 0;
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			row[6].null = 0;
			if ((row[6].text = crm_report_str(c->r,
				 (const char *)sqlite3_column_text(st, 3))) ==
			    NULL)
				goto nomem_st;
		}
		if (flagged) {
			crm_buf_reset(&flag);
			if (crm_buf_addf(&flag,
				"%s on %s: %.0f, above the 14 days before "
				"(most %.0f, mean %.2f); %s %s moved most "
				"(%+.2f on its daily mean)",
				metrics[i].name, c->today, v, mx, mean,
				metrics[i].by,
				row[6].null ? "(none)" : row[6].text,
				sqlite3_column_double(st, 4)) == -1 ||
			    crm_report_flag(c->r, sec, flag.p) == -1)
				goto nomem_st;
		}
		sqlite3_finalize(st);
		/* the series of the window, for the chart */
		crm_buf_reset(&sql);
		if (crm_buf_addf(&sql,
			"WITH x(day, cat) AS (%s), days(day) AS (SELECT :base "
			"UNION ALL SELECT date(day, '+1 day') FROM days WHERE "
			"day < :today) SELECT days.day, '%s', (SELECT "
			"count(*) FROM x WHERE x.day = days.day) FROM days "
			"ORDER BY days.day",
			metrics[i].rows, metrics[i].name) == -1)
			goto nomem;
		sp.sql = sql.p;
		if (fill(c, sec, &sp, &series) == -1)
			goto out;
	}
	ret = 0;
	goto out;
nomem_st:
	sqlite3_finalize(st);
nomem:
	crm_err_set(c->e, EX_SOFTWARE, "out of memory");
out:
	crm_buf_release(&sql);
	crm_buf_release(&flag);
	return ret;
}

/* ==== The report ==== */

/* The reference time and the days of the series into c; 0 or -1. */
static int
days(struct ctx *c, const struct crm_report_opts *o)
{
	const char *why;
	sqlite3_stmt *st;
	struct tm tm;
	double now;
	int rc;

	if (o->as_of == NULL)
		now = crm_clock_now();
	else if (crm_norm_seconds(o->as_of, strlen(o->as_of), &now, &why) == -1)
		return crm_err_set(
		    c->e, EX_USAGE, "bad --as-of '%s': %s", o->as_of, why);
	if (crm_tz_local(NULL, now, &tm) == -1 ||
	    strftime(c->asof, sizeof(c->asof), "%Y-%m-%dT%H:%M:%SZ", &tm) ==
		0 ||
	    local_day(c->tz, c->asof, strlen(c->asof), c->today) == -1)
		return crm_err_set(c->e, EX_USAGE,
		    "as-of '%s' out of range for zone %s", c->asof,
		    c->tz != NULL ? c->tz : "UTC");
	if (sqlite3_prepare_v2(c->db,
		"SELECT coalesce(date(?1), CASE WHEN ?1 IS NULL THEN "
		"date(:today, '-27 days') END), date(:today, '-14 days')",
		-1, &st, NULL) != SQLITE_OK)
		return fail(c, "days");
	bind(c, st);
	sqlite3_bind_text(st, 1, o->since, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_TEXT &&
	    sqlite3_column_bytes(st, 0) == 10) {
		memcpy(c->since, sqlite3_column_text(st, 0), 11);
		memcpy(c->base, sqlite3_column_text(st, 1), 11);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return fail(c, "days");
	if (c->since[0] == '\0')
		return crm_err_set(c->e, EX_USAGE,
		    "bad --since '%s': want YYYY-MM-DD", o->since);
	if (strcmp(c->since, c->today) > 0)
		return crm_err_set(c->e, EX_USAGE,
		    "--since %s is after the --as-of day %s", c->since,
		    c->today);
	return 0;
}

/* Run one statement for its effect (a temporary table); 0 or -1. */
static int
run(struct ctx *c, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(c, "table");
	bind(c, st);
	/* a PRAGMA may answer with a row */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(c, "table");
}

/*
 * What several tables read, made once as temporary tables of the
 * snapshot's connection (in memory, with a page cache of 64 MiB for the
 * store, its file mapped rather than read up to SQLite's 2 GiB bound,
 * and two helper threads for a large sort), so that decisions, the
 * largest table, is read whole twice in all (its rows then looked up by
 * id): latest, the latest decision of each record by each model of the
 * tools whose latest decisions count (churn scores, intents and
 * sentiments, RFM segments: not crm-tag's k-means clusters, which the
 * tags say); churn, the figures of the Health tables from the latest
 * crm-churn decisions in one pass (counts by model, score bin, risk
 * band, RFM segment now and strongest reason, with the reason's
 * contributions summed); msg, those of crm-intent (with the message's
 * time when the store keeps it, else the decision's, where a table
 * reads it: sentiments and complaints); perday, the decisions per tool,
 * model and day.  latest, churn and perday are kept by key as they are
 * read (an upsert on the key, no sort of the whole table as a GROUP BY
 * makes); a key's NULL is kept as x'', which no text equals, as GROUP
 * BY keeps NULL a group of its own.
 */
static const char *const setup[] = {
	"PRAGMA cache_size = -65536",
	"PRAGMA threads = 2",
	"PRAGMA temp_store = MEMORY",
	"PRAGMA mmap_size = 2147418112",
	"CREATE TEMP TABLE latest (tool TEXT, model TEXT, record_key TEXT, "
	"id INTEGER, PRIMARY KEY (tool, model, record_key)) WITHOUT ROWID",
	"INSERT INTO latest SELECT tool, coalesce(model, x''), "
	"coalesce(record_key, x''), id FROM decisions WHERE time <= :asof AND "
	"(tool IN ('crm-churn', 'crm-intent') OR tool = 'crm-tag' AND model = "
	"'rfm') ON CONFLICT DO UPDATE SET id = max(id, excluded.id)",
	"CREATE TEMP TABLE churn (model TEXT, b INTEGER, output TEXT, seg "
	"TEXT, f TEXT, n INTEGER, wn INTEGER, w REAL, PRIMARY KEY (model, b, "
	"output, seg, f)) WITHOUT ROWID",
	"INSERT INTO churn SELECT coalesce(model, x''), coalesce(min(CAST("
	"score * 10 AS INTEGER), 9), x''), coalesce(output, x''), coalesce(("
	"SELECT substr(tag, 5) FROM tags t WHERE t.customer_id = subject AND "
	"t.rule = 'rfm'), x''), coalesce(f, x''), 1, w IS NOT NULL, "
	"coalesce(w, 0) FROM (SELECT d.*, CASE WHEN json_valid(d.reasons) THEN "
	"json_extract(d.reasons, '$[0].feature') END AS f, CASE WHEN "
	"json_valid(d.reasons) THEN json_extract(d.reasons, "
	"'$[0].contribution') END AS w FROM latest l JOIN decisions d ON d.id "
	"= l.id WHERE l.tool = 'crm-churn') WHERE true ON CONFLICT DO UPDATE "
	"SET n = n + 1, wn = wn + excluded.wn, w = w + excluded.w",
	"CREATE TEMP TABLE msg AS SELECT d.record_key, d.model, d.output, "
	"CASE WHEN d.model LIKE 'sentiment%' OR d.output = 'complaint' THEN "
	"coalesce((SELECT e.time FROM events e WHERE e.event_key = "
	"d.record_key), d.time) END AS time FROM latest l JOIN decisions d ON "
	"d.id = l.id WHERE l.tool = 'crm-intent'",
	"CREATE TEMP TABLE perday (tool TEXT, model TEXT, day TEXT, n INTEGER, "
	"id INTEGER, PRIMARY KEY (tool, model, day)) WITHOUT ROWID",
	"INSERT INTO perday SELECT tool, coalesce(model, x''), "
	"coalesce(report_day(time), x''), 1, id FROM decisions WHERE time <= "
	":asof ON CONFLICT DO UPDATE SET n = n + 1, id = max(id, excluded.id)",
};

/* A section filled by add; dropped again when it has nothing to show. */
static int
section(struct ctx *c, const char *id, const char *title, const struct spec *sp,
    size_t n, struct crm_store *snap)
{
	struct crm_report_section *sec;
	int rc = 0;

	if ((sec = crm_report_section(c->r, id, title)) == NULL)
		return crm_err_set(c->e, EX_SOFTWARE, "out of memory");
	if (sp != NULL)
		rc = tables(c, sec, sp, n);
	if (rc == 0 && strcmp(id, "models") == 0)
		rc = verdicts(c, sec, snap);
	if (rc == 0 && strcmp(id, "anomalies") == 0)
		rc = anomalies(c, sec);
	/* kept in the arena; its arrays are empty */
	if (rc == 0 && sec->ntables == 0 && sec->nflags == 0)
		c->r->nsections--;
	return rc;
}

struct crm_report *
crm_report_build(
    struct crm_store *s, const struct crm_report_opts *o, struct crm_err *e)
{
	struct crm_store *snap;
	struct ctx c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.outcome = o->outcome;
	if (o->tz != NULL && strcmp(o->tz, "UTC") != 0) {
		if (!crm_tz_ok(o->tz)) {
			crm_err_set(e, EX_USAGE,
			    "bad --tz '%s': not a zone of the tz database",
			    o->tz);
			return NULL;
		}
		c.tz = o->tz;
	}
	if ((snap = crm_store_snapshot(s, e)) == NULL)
		return NULL;
	c.db = crm_store_db(snap);
	if ((c.r = crm_report_new("crmkit report")) == NULL) {
		crm_store_close(snap);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	rc = functions(&c) == -1 || days(&c, o) == -1 ? -1 : 0;
	for (i = 0; rc == 0 && i < NCOLS(setup); i++)
		rc = run(&c, setup[i]);
	if (rc == 0 &&
	    ((c.r->as_of = crm_report_str(c.r, c.asof)) == NULL ||
		(c.r->since = crm_report_str(c.r, c.since)) == NULL ||
		(c.r->tz = crm_report_str(c.r, c.tz != NULL ? c.tz : "UTC")) ==
		    NULL ||
		(o->db != NULL &&
		    (c.r->db = crm_report_str(c.r, o->db)) == NULL)))
		rc = crm_err_set(e, EX_SOFTWARE, "out of memory");
	if (rc == 0)
		rc = section(&c, "customers", "Customers", customers,
			 NCOLS(customers), snap) == -1 ||
			     section(&c, "health", "Health", health,
				 NCOLS(health), snap) == -1 ||
			     section(&c, "segments", "Segments", segments,
				 NCOLS(segments), snap) == -1 ||
			     section(&c, "service", "Service", service,
				 NCOLS(service), snap) == -1 ||
			     section(&c, "models", "Models", models,
				 NCOLS(models), snap) == -1 ||
			     section(&c, "anomalies", "Anomalies", NULL, 0,
				 snap) == -1
			 ? -1
			 : 0;
	crm_store_close(snap);
	if (rc == -1) {
		crm_report_free(c.r);
		return NULL;
	}
	return c.r;
}
