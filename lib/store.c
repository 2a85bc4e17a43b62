/*
 * store: opening the SQLite store, migrating its schema, and the batch
 * transactions every writer uses.  The migrations are an array of SQL
 * scripts; migration i brings user_version from i to i + 1.
 */
#include <pthread.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sysexits.h>
#include <time.h>

#include "store.h"
#include "view360.h"

#define CRM_BUSY_DEFAULT 60000
#define CKPT_PAGES	 1000 /* SQLite's own checkpoint threshold */
#define CKPT_MAX_PAGES	 4000 /* the writer waits for a checkpoint */

/* The checkpoint thread of crm_store_bg_checkpoints(). */
struct ckpt {
	sqlite3 *db; /* its own connection */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want; /* a checkpoint is asked for */
	int busy; /* one is running */
	int quit;
};

struct crm_store {
	sqlite3 *db;
	char *path;	 /* as given, for messages */
	int busy_ms;	 /* the busy timeout */
	struct ckpt *ck; /* background checkpoints, or NULL */
	int snapshot;	 /* read-only, one read transaction */
};

/* Column x as JSON when it holds some: for the views of schemas 7, 8. */
#define J(x)	  CRM_360_J(x)
#define J_EXTRA	  J("extra")
#define J_REASONS J("reasons")
#define J_ITEMS	  J("items")
#define J_GOLDEN  J("golden")
#define J_LINEAGE J("lineage")

/* Each entry moves the schema one version forward; see crm-store(5). */
static const char *const migrations[CRM_STORE_VERSION] = {
	/* 0 -> 1: the base schema. */
	"CREATE TABLE customers ("
	"  customer_id TEXT PRIMARY KEY NOT NULL,"
	"  name TEXT, email TEXT, phone TEXT, city TEXT, country TEXT,"
	"  birth_date TEXT, signup_date TEXT,"
	"  extra TEXT"
	") WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  event_key TEXT PRIMARY KEY NOT NULL,"
	"  customer_id TEXT NOT NULL, time TEXT NOT NULL, type TEXT NOT NULL,"
	"  item TEXT, amount REAL, channel TEXT, text TEXT, extra TEXT"
	");"
	"CREATE INDEX events_customer_time ON events(customer_id, time);"
	"CREATE TABLE tags ("
	"  customer_id TEXT NOT NULL, tag TEXT NOT NULL, rule TEXT,"
	"  time TEXT NOT NULL,"
	"  PRIMARY KEY (customer_id, tag)"
	") WITHOUT ROWID;"
	"CREATE TABLE clusters ("
	"  record_id TEXT PRIMARY KEY NOT NULL, cluster_id TEXT NOT NULL,"
	"  score REAL, time TEXT NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX clusters_cluster ON clusters(cluster_id);"
	"CREATE TABLE models ("
	"  name TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  created TEXT NOT NULL, params TEXT, metrics TEXT,"
	"  blob BLOB NOT NULL,"
	"  PRIMARY KEY (name, version)"
	");"
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY, time TEXT NOT NULL, tool TEXT NOT NULL,"
	"  model TEXT, model_version INTEGER, record_key TEXT,"
	"  output TEXT, score REAL, reasons TEXT"
	");"
	"CREATE INDEX decisions_key ON decisions(record_key);"
	"CREATE TABLE labels ("
	"  id INTEGER PRIMARY KEY, time TEXT NOT NULL, task TEXT NOT NULL,"
	"  record_key TEXT, text TEXT, label TEXT NOT NULL, source TEXT"
	");"
	"CREATE INDEX labels_task ON labels(task);",
	/* 1 -> 2: the help desk of crm-route. */
	"CREATE TABLE agents ("
	"  agent_id TEXT PRIMARY KEY NOT NULL, name TEXT,"
	"  skills TEXT NOT NULL DEFAULT '',"
	"  capacity INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),"
	"  load INTEGER NOT NULL DEFAULT 0 CHECK (load >= 0),"
	"  on_shift INTEGER NOT NULL DEFAULT 1 CHECK (on_shift IN (0, 1)),"
	"  updated TEXT NOT NULL"
	");"
	"CREATE TABLE agent_skills ("
	"  skill TEXT NOT NULL, agent_id TEXT NOT NULL,"
	"  PRIMARY KEY (skill, agent_id)"
	") WITHOUT ROWID;"
	"CREATE TABLE tickets ("
	"  ticket_id TEXT PRIMARY KEY NOT NULL, parent_id TEXT,"
	"  customer_id TEXT, priority TEXT NOT NULL, queue TEXT NOT NULL,"
	"  skill TEXT NOT NULL, sla_due TEXT, assignee TEXT,"
	"  status TEXT NOT NULL"
	"    CHECK (status IN ('open', 'waiting', 'answered', 'closed')),"
	"  routed TEXT NOT NULL, closed TEXT"
	");"
	"CREATE INDEX tickets_status ON tickets(status, priority, sla_due);"
	"CREATE INDEX tickets_assignee ON tickets(assignee, status);",
	/* 2 -> 3: what each model was trained on (model.h). */
	"ALTER TABLE models ADD COLUMN rows INTEGER;"
	"ALTER TABLE models ADD COLUMN fingerprint TEXT;",
	/*
	 * 3 -> 4: governance: consent per customer and purpose, who each
	 * decision and label is about, the decisions' hash chain, and
	 * where it begins (the rows before are the unchained prefix).
	 */
	"CREATE TABLE consent ("
	"  customer_id TEXT NOT NULL, purpose TEXT NOT NULL,"
	"  granted INTEGER NOT NULL CHECK (granted IN (0, 1)),"
	"  time TEXT NOT NULL, source TEXT,"
	"  PRIMARY KEY (customer_id, purpose, time)"
	") WITHOUT ROWID;"
	"ALTER TABLE decisions ADD COLUMN subject TEXT;"
	"ALTER TABLE decisions ADD COLUMN content_hash TEXT;"
	"ALTER TABLE decisions ADD COLUMN chain_hash TEXT;"
	"CREATE INDEX decisions_subject ON decisions(subject);"
	"ALTER TABLE labels ADD COLUMN subject TEXT;"
	"CREATE TABLE audit_state (unchained_upto INTEGER NOT NULL);"
	"INSERT INTO audit_state SELECT coalesce(max(id), 0) FROM decisions;",
	/* 4 -> 5: the review rule that held a decision for a person. */
	"ALTER TABLE decisions ADD COLUMN review TEXT;",
	/*
	 * 5 -> 6: the span of every tag, RFM segment and cluster (tags.h);
	 * the tags of the day begin when they were first given.
	 */
	"CREATE TABLE tag_history ("
	"  customer_id TEXT NOT NULL, tag TEXT NOT NULL,"
	"  began TEXT NOT NULL, ended TEXT,"
	"  PRIMARY KEY (customer_id, tag, began)"
	") WITHOUT ROWID;"
	"CREATE INDEX tag_history_tag ON tag_history(tag, began);"
	"INSERT INTO tag_history(customer_id, tag, began) "
	"SELECT customer_id, tag, time FROM tags;",
	/*
	 * 6 -> 7: the customer's 360-degree view (crm-profile(1),
	 * lib/profile.c): a view per section, and an index to find a
	 * customer's tickets; customer_360 over them in migrations_more.
	 */
	"CREATE INDEX tickets_customer ON tickets(customer_id, status);"
	"CREATE VIEW customer_360_record AS SELECT customer_id, json_object("
	"  'customer_id', customer_id, 'name', name, 'email', email,"
	"  'phone', phone, 'city', city, 'country', country,"
	"  'birth_date', birth_date, 'signup_date', signup_date,"
	"  'extra', " J_EXTRA ") AS record FROM customers;"
	"CREATE VIEW customer_360_members AS SELECT a.record_id AS customer_id,"
	"  a.cluster_id, b.record_id AS member_id, b.score"
	"  FROM clusters a JOIN clusters b ON b.cluster_id = a.cluster_id"
	"  AND b.record_id <> a.record_id;"
	/*
	 * Per customer and purpose, the row no other row comes before: the
	 * latest up to now, then a withdrawal, then by the text of time
	 * and purpose.  No GROUP BY, so a customer's rows are looked up
	 * by the primary key, not the whole table grouped.
	 */
	"CREATE VIEW customer_360_consent AS SELECT customer_id, purpose,"
	"  granted, time, source FROM consent c"
	"  WHERE julianday(time) <= julianday('now') AND NOT EXISTS ("
	"    SELECT 1 FROM consent d WHERE d.customer_id = c.customer_id"
	"    AND d.purpose = c.purpose COLLATE NOCASE"
	"    AND julianday(d.time) <= julianday('now')"
	"    AND (julianday(d.time) > julianday(c.time)"
	"      OR (julianday(d.time) = julianday(c.time)"
	"        AND (d.granted < c.granted OR (d.granted = c.granted"
	"          AND (d.time > c.time OR (d.time = c.time"
	"            AND d.purpose > c.purpose)))))));"
	"CREATE VIEW customer_360_tags AS SELECT t.customer_id, t.tag,"
	"  CASE t.rule WHEN 'rfm' THEN 'rfm' WHEN 'kmeans' THEN 'kmeans'"
	"  ELSE 'rule' END AS kind,"
	"  coalesce((SELECT max(h.began) FROM tag_history h"
	"    WHERE h.customer_id = t.customer_id AND h.tag = t.tag"
	"    AND h.ended IS NULL), t.time) AS since"
	"  FROM tags t;"
	"CREATE VIEW customer_360_churn AS SELECT subject AS customer_id,"
	"  id AS decision_id, time, model, model_version,"
	"  score AS probability, output AS risk, reasons FROM decisions d"
	"  WHERE tool = 'crm-churn' AND id = (SELECT max(e.id) FROM decisions e"
	"    WHERE e.subject = d.subject AND e.tool = 'crm-churn');"
	"CREATE VIEW customer_360_recommendations AS SELECT"
	"  subject AS customer_id, id AS decision_id, time, model,"
	"  model_version, output AS items FROM decisions d"
	"  WHERE tool = 'crm-recommend' AND id = (SELECT max(e.id)"
	"    FROM decisions e WHERE e.subject = d.subject"
	"    AND e.tool = 'crm-recommend');"
	"CREATE VIEW customer_360_tickets AS SELECT customer_id, ticket_id,"
	"  parent_id, priority, queue, skill, status, sla_due, assignee, routed"
	"  FROM tickets WHERE status <> 'closed';"
	"CREATE VIEW customer_360_messages AS SELECT e.customer_id,"
	"  e.event_key, e.time, e.channel, e.text, i.output AS intent,"
	"  i.score AS intent_score, s.output AS sentiment,"
	"  s.score AS sentiment_score FROM events e"
	"  LEFT JOIN decisions i ON i.id = (SELECT max(d.id) FROM decisions d"
	"    WHERE d.record_key = e.event_key AND d.tool = 'crm-intent'"
	"    AND d.model NOT LIKE 'sentiment%')"
	"  LEFT JOIN decisions s ON s.id = (SELECT max(d.id) FROM decisions d"
	"    WHERE d.record_key = e.event_key AND d.tool = 'crm-intent'"
	"    AND d.model LIKE 'sentiment%')"
	"  WHERE e.type = 'message';"
	"CREATE VIEW customer_360_decisions AS SELECT subject AS customer_id,"
	"  id, time, tool, model, model_version, record_key, output, score,"
	"  reasons, review FROM decisions WHERE subject IS NOT NULL;",
	/*
	 * 7 -> 8: resolved persons (lib/persons.c): a person a cluster,
	 * whose id is the clusters' cluster_id, with its golden record and
	 * the record each field came from; what happened to each person,
	 * with its time; and the pairs people said are (must) or are not
	 * (cannot) one person.  The clusters of the day become persons.
	 */
	"CREATE TABLE persons ("
	"  person_id TEXT PRIMARY KEY NOT NULL, created TEXT NOT NULL,"
	"  updated TEXT NOT NULL, merged_into TEXT, golden TEXT, lineage TEXT"
	") WITHOUT ROWID;"
	"CREATE TABLE person_events ("
	"  id INTEGER PRIMARY KEY, time TEXT NOT NULL,"
	"  person_id TEXT NOT NULL, event TEXT NOT NULL CHECK (event IN"
	"    ('created', 'joined', 'left', 'merged', 'split', 'updated')),"
	"  other TEXT, record_id TEXT, reason TEXT"
	");"
	"CREATE INDEX person_events_person ON person_events(person_id, time);"
	/* who a record was ever in, and who named a person: for erasure */
	"CREATE INDEX person_events_record ON person_events(record_id);"
	"CREATE INDEX person_events_other ON person_events(other);"
	"CREATE INDEX persons_merged ON persons(merged_into);"
	"CREATE TABLE link_labels ("
	"  id1 TEXT NOT NULL, id2 TEXT NOT NULL,"
	"  link TEXT NOT NULL CHECK (link IN ('must', 'cannot')),"
	"  time TEXT NOT NULL, source TEXT,"
	"  PRIMARY KEY (id1, id2), CHECK (id1 < id2)"
	") WITHOUT ROWID;"
	"INSERT INTO persons(person_id, created, updated) "
	"SELECT cluster_id, min(time), max(time) FROM clusters "
	"GROUP BY cluster_id;"
	"INSERT INTO person_events(time, person_id, event) "
	"SELECT created, person_id, 'created' FROM persons "
	"ORDER BY created, person_id;"
	"INSERT INTO person_events(time, person_id, event, record_id) "
	"SELECT time, cluster_id, 'joined', record_id FROM clusters "
	"ORDER BY time, cluster_id, record_id;",
	/*
	 * 8 -> 9: tickets with a life (lib/desk.c, lib/ticket.h): the
	 * helpdesk's states, a parent's row (no queue of its own), the
	 * SLA clock's pause and the sweep's marks; every change of a
	 * ticket as an event; notifications for the customer
	 * (lib/notify.c).  waiting becomes new (nobody has it yet) and
	 * answered solved (by the knowledge base).  The table is made
	 * anew (SQLite cannot change a CHECK), its views left pointing at
	 * the new one by the legacy rename.
	 */
	"PRAGMA legacy_alter_table = ON;"
	"CREATE TABLE tickets_9 ("
	"  ticket_id TEXT PRIMARY KEY NOT NULL, parent_id TEXT,"
	"  customer_id TEXT, priority TEXT NOT NULL, queue TEXT, skill TEXT,"
	"  sla_due TEXT, assignee TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending',"
	"    'on-hold', 'solved', 'closed', 'reopened')),"
	"  routed TEXT NOT NULL, closed TEXT,"
	"  created TEXT NOT NULL, updated TEXT NOT NULL,"
	"  sla_left REAL, warned TEXT, escalated TEXT, lang TEXT,"
	"  first_response TEXT, solved TEXT,"
	"  reopens INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO tickets_9(ticket_id, parent_id, customer_id, priority,"
	"  queue, skill, sla_due, assignee, status, routed, closed, created,"
	"  updated, first_response, solved) SELECT ticket_id, parent_id,"
	"  customer_id, priority, queue, skill, sla_due, assignee,"
	"  CASE status WHEN 'waiting' THEN 'new' WHEN 'answered' THEN 'solved'"
	"  ELSE status END, routed, closed, routed, coalesce(closed, routed),"
	"  CASE status WHEN 'answered' THEN routed END,"
	"  CASE status WHEN 'answered' THEN routed END FROM tickets;"
	"DROP TABLE tickets;"
	"ALTER TABLE tickets_9 RENAME TO tickets;"
	"PRAGMA legacy_alter_table = OFF;"
	"CREATE INDEX tickets_status ON tickets(status, priority, sla_due);"
	"CREATE INDEX tickets_assignee ON tickets(assignee, status);"
	"CREATE INDEX tickets_customer ON tickets(customer_id, status);"
	"CREATE INDEX tickets_parent ON tickets(parent_id)"
	"  WHERE parent_id IS NOT NULL;"
	/* the sweep's: tickets whose SLA clock runs, by due time */
	"CREATE INDEX tickets_due ON tickets(sla_due)"
	"  WHERE status IN ('new', 'open', 'reopened') AND queue IS NOT NULL;"
	"CREATE TABLE ticket_events ("
	"  id INTEGER PRIMARY KEY, time TEXT NOT NULL, ticket_id TEXT NOT NULL,"
	"  event TEXT NOT NULL CHECK (event IN ('state', 'reply', 'assigned',"
	"    'priority', 'escalated', 'note')),"
	"  from_state TEXT, state TEXT, actor TEXT, value TEXT, reason TEXT,"
	"  note TEXT"
	");"
	"CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, time);"
	"CREATE INDEX ticket_events_time ON ticket_events(time);"
	"INSERT INTO ticket_events(time, ticket_id, event, state, actor,"
	"  reason) SELECT routed, ticket_id, 'state', 'new', 'crm-route',"
	"  'routed' FROM tickets ORDER BY routed, ticket_id;"
	"INSERT INTO ticket_events(time, ticket_id, event, from_state, state,"
	"  actor, value, reason) SELECT routed, ticket_id, 'assigned', 'new',"
	"  'open', 'crm-route', assignee, 'routed' FROM tickets"
	"  WHERE assignee IS NOT NULL ORDER BY routed, ticket_id;"
	"INSERT INTO ticket_events(time, ticket_id, event, from_state, state,"
	"  actor, reason) SELECT routed, ticket_id, 'reply', 'new', 'solved',"
	"  'bot', 'knowledge base' FROM tickets WHERE status = 'solved'"
	"  ORDER BY routed, ticket_id;"
	"INSERT INTO ticket_events(time, ticket_id, event, from_state, state,"
	"  actor, reason) SELECT closed, ticket_id, 'state',"
	"  CASE WHEN assignee IS NULL THEN 'new' ELSE 'open' END, 'closed',"
	"  'crm-route', 'closed' FROM tickets WHERE status = 'closed'"
	"  ORDER BY closed, ticket_id;"
	"CREATE TABLE notifications ("
	"  id INTEGER PRIMARY KEY, time TEXT NOT NULL, customer_id TEXT,"
	"  ticket_id TEXT NOT NULL, state TEXT NOT NULL,"
	"  template TEXT NOT NULL, lang TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('queued', 'deferred',"
	"    'suppressed')),"
	"  send_after TEXT, reason TEXT"
	");"
	"CREATE INDEX notifications_deferred ON notifications(send_after)"
	"  WHERE status = 'deferred';"
	"CREATE INDEX notifications_customer ON notifications(customer_id);",
	/*
	 * 9 -> 10: closing the loop (crm-experiment(1), lib/experiment.c;
	 * crm-journey(1), lib/journey.c): experiments and the arm each
	 * customer (or person) got; journeys, where each customer is in
	 * each, the actions sent and the runs made.
	 */
	"CREATE TABLE experiments ("
	"  name TEXT PRIMARY KEY NOT NULL, created TEXT NOT NULL,"
	"  arms TEXT NOT NULL, holdout REAL NOT NULL DEFAULT 0,"
	"  unit TEXT NOT NULL DEFAULT 'customer', params TEXT"
	") WITHOUT ROWID;"
	"CREATE TABLE assignments ("
	"  experiment TEXT NOT NULL, subject TEXT NOT NULL,"
	"  arm TEXT NOT NULL, time TEXT NOT NULL,"
	"  PRIMARY KEY (experiment, subject)"
	") WITHOUT ROWID;"
	"CREATE INDEX assignments_arm ON assignments(experiment, arm, time);"
	"CREATE TABLE journey_runs ("
	"  journey TEXT NOT NULL, as_of TEXT NOT NULL, time TEXT NOT NULL,"
	"  actions INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (journey, as_of)"
	") WITHOUT ROWID;"
	"CREATE TABLE journey_state ("
	"  journey TEXT NOT NULL, subject TEXT NOT NULL, stage TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'waiting',"
	"    'converted', 'exited', 'done')),"
	"  entered TEXT NOT NULL, stage_since TEXT, next_at TEXT,"
	"  tries INTEGER NOT NULL DEFAULT 0, reason TEXT, updated TEXT NOT "
	"NULL,"
	"  PRIMARY KEY (journey, subject)"
	") WITHOUT ROWID;"
	"CREATE INDEX journey_state_next ON journey_state(journey, next_at);"
	"CREATE TABLE journey_actions ("
	"  id INTEGER PRIMARY KEY, time TEXT NOT NULL, journey TEXT NOT NULL,"
	"  subject TEXT NOT NULL, stage TEXT NOT NULL, channel TEXT,"
	"  template TEXT, try INTEGER NOT NULL DEFAULT 1, reason TEXT,"
	"  UNIQUE (journey, subject, stage, try)"
	");"
	"CREATE INDEX journey_actions_cap ON journey_actions(subject, channel,"
	"  time);",
	/*
	 * 10 -> 11: stores written by many shards (crm-ingest merge,
	 * lib/merge.c): what of each shard's tables is in this store.
	 */
	"CREATE TABLE merges ("
	"  id INTEGER PRIMARY KEY, shard TEXT NOT NULL, tbl TEXT NOT NULL,"
	"  digest TEXT NOT NULL, upto INTEGER NOT NULL DEFAULT 0, chain TEXT,"
	"  time TEXT NOT NULL, UNIQUE (shard, tbl)"
	");"
	"CREATE TABLE merge_rows ("
	"  merge INTEGER NOT NULL, key TEXT NOT NULL, digest INTEGER NOT NULL,"
	"  PRIMARY KEY (merge, key)"
	") WITHOUT ROWID;",
};

/* The last 10 messages and decisions of a customer, of a person. */
#define CUSTOMER_MESSAGES  CRM_360_CUSTOMER_MESSAGES("c", "10")
#define CUSTOMER_DECISIONS CRM_360_CUSTOMER_DECISIONS("c", "10")
#define PERSON_MESSAGES	   CRM_360_PERSON_MESSAGES("p", "10")
#define PERSON_DECISIONS   CRM_360_PERSON_DECISIONS("p", "10")

/* Schema 7's view: one row a customer, a JSON column a section. */
static const char customer_360[] =
    "CREATE VIEW customer_360 AS SELECT c.customer_id,"
    "  c.record AS customer,"
    "  (SELECT json_object('cluster_id', k.cluster_id, 'members',"
    "    (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "      'customer_id', m.member_id, 'score', m.score,"
    "      'record', json(r.record)) AS j"
    "      FROM customer_360_members m"
    "      LEFT JOIN customer_360_record r"
    "      ON r.customer_id = m.member_id"
    "      WHERE m.customer_id = c.customer_id"
    "      ORDER BY m.member_id)))"
    "    FROM clusters k WHERE k.record_id = c.customer_id)"
    "  AS cluster,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'purpose', purpose, 'granted',"
    "    json(CASE granted WHEN 1 THEN 'true' ELSE 'false' END),"
    "    'time', time, 'source', source) AS j"
    "    FROM customer_360_consent WHERE customer_id = c.customer_id"
    "    ORDER BY purpose)) AS consent,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'tag', tag, 'kind', kind, 'since', since) AS j"
    "    FROM customer_360_tags WHERE customer_id = c.customer_id"
    "    ORDER BY tag)) AS tags,"
    "  (SELECT json_object('probability', probability, 'risk', risk,"
    "    'reasons', " J_REASONS ", 'model', model,"
    "    'model_version', model_version, 'time', time,"
    "    'decision_id', decision_id) FROM customer_360_churn"
    "    WHERE customer_id = c.customer_id) AS churn,"
    "  (SELECT json_object('items', " J_ITEMS ", 'model', model,"
    "    'model_version', model_version, 'time', time,"
    "    'decision_id', decision_id)"
    "    FROM customer_360_recommendations"
    "    WHERE customer_id = c.customer_id) AS recommendations,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'ticket_id', ticket_id, 'parent_id', parent_id,"
    "    'priority', priority, 'queue', queue, 'skill', skill,"
    "    'status', status, 'sla_due', sla_due, 'assignee', assignee,"
    "    'routed', routed) AS j FROM customer_360_tickets"
    "    WHERE customer_id = c.customer_id"
    "    ORDER BY sla_due, ticket_id)) AS tickets,"
    "  " CUSTOMER_MESSAGES " AS messages,"
    "  " CUSTOMER_DECISIONS " AS decisions"
    "  FROM customer_360_record c;";

/*
 * Schema 8's views of a person: a view per section, from the clusters
 * (a person's records) and the customer_360_* views of each record,
 * each row with the record it is about.  Consent: per purpose the
 * statement that comes first over all the person's records, in
 * customer_360_consent's order, then by the greater record id.  Tags: a
 * row per record's tag (person_360 groups them: since the first record
 * had it).  Churn and recommendations: the latest decision about any of
 * the records.  Each looks a person up by the clusters' index.
 */
static const char person_views[] =
    "CREATE VIEW person_360_record AS SELECT person_id, json_object("
    "  'person_id', person_id, 'created', created, 'updated', updated,"
    "  'merged_into', merged_into, 'golden', " J_GOLDEN ","
    "  'lineage', " J_LINEAGE ") AS person FROM persons;"
    "CREATE VIEW person_360_members AS SELECT cluster_id AS person_id,"
    "  record_id AS customer_id, score FROM clusters;"
    "CREATE VIEW person_360_consent AS SELECT m.person_id,"
    "  c.customer_id, c.purpose, c.granted, c.time, c.source"
    "  FROM person_360_members m JOIN customer_360_consent c"
    "  ON c.customer_id = m.customer_id WHERE NOT EXISTS ("
    "    SELECT 1 FROM person_360_members n JOIN customer_360_consent d"
    "    ON d.customer_id = n.customer_id"
    "    WHERE n.person_id = m.person_id"
    "    AND d.purpose = c.purpose COLLATE NOCASE"
    "    AND (julianday(d.time) > julianday(c.time)"
    "      OR (julianday(d.time) = julianday(c.time)"
    "        AND (d.granted < c.granted OR (d.granted = c.granted"
    "          AND (d.time > c.time OR (d.time = c.time"
    "            AND (d.purpose > c.purpose OR (d.purpose = c.purpose"
    "              AND d.customer_id > c.customer_id)))))))));"
    "CREATE VIEW person_360_tags AS SELECT m.person_id, t.customer_id,"
    "  t.tag, t.kind, t.since FROM person_360_members m"
    "  JOIN customer_360_tags t ON t.customer_id = m.customer_id;"
    "CREATE VIEW person_360_churn AS SELECT m.person_id, c.*"
    "  FROM person_360_members m JOIN customer_360_churn c"
    "  ON c.customer_id = m.customer_id WHERE c.decision_id = ("
    "    SELECT max(d.decision_id) FROM person_360_members n"
    "    JOIN customer_360_churn d ON d.customer_id = n.customer_id"
    "    WHERE n.person_id = m.person_id);"
    "CREATE VIEW person_360_recommendations AS SELECT m.person_id, r.*"
    "  FROM person_360_members m JOIN customer_360_recommendations r"
    "  ON r.customer_id = m.customer_id WHERE r.decision_id = ("
    "    SELECT max(d.decision_id) FROM person_360_members n"
    "    JOIN customer_360_recommendations d"
    "    ON d.customer_id = n.customer_id"
    "    WHERE n.person_id = m.person_id);"
    "CREATE VIEW person_360_tickets AS SELECT m.person_id, t.*"
    "  FROM person_360_members m JOIN customer_360_tickets t"
    "  ON t.customer_id = m.customer_id;"
    "CREATE VIEW person_360_messages AS SELECT m.person_id, e.*"
    "  FROM person_360_members m JOIN customer_360_messages e"
    "  ON e.customer_id = m.customer_id;"
    "CREATE VIEW person_360_decisions AS SELECT m.person_id, d.*"
    "  FROM person_360_members m JOIN customer_360_decisions d"
    "  ON d.customer_id = m.customer_id;";

/*
 * One row a person, a JSON column a section, as customer_360; the RFM
 * segment and k-means cluster the person's newest (a record's, when
 * its records were segmented apart).
 */
static const char person_360[] =
    "CREATE VIEW person_360 AS SELECT p.person_id, p.person,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'customer_id', m.customer_id, 'score', m.score,"
    "    'record', json(r.record)) AS j FROM person_360_members m"
    "    LEFT JOIN customer_360_record r ON r.customer_id = m.customer_id"
    "    WHERE m.person_id = p.person_id ORDER BY m.customer_id))"
    "  AS records,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'purpose', purpose, 'granted',"
    "    json(CASE granted WHEN 1 THEN 'true' ELSE 'false' END),"
    "    'time', time, 'source', source, 'customer_id', customer_id)"
    "    AS j FROM person_360_consent WHERE person_id = p.person_id"
    "    ORDER BY purpose)) AS consent,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'tag', tag, 'kind', max(kind), 'since', min(since),"
    "    'records', count(*)) AS j FROM person_360_tags"
    "    WHERE person_id = p.person_id GROUP BY tag ORDER BY tag)) AS tags,"
    "  (SELECT json_object('segment', substr(tag, 5), 'since', since)"
    "    FROM person_360_tags WHERE person_id = p.person_id"
    "    AND kind = 'rfm' ORDER BY since DESC, tag LIMIT 1) AS rfm,"
    "  (SELECT json_object('cluster', substr(tag, 8), 'since', since)"
    "    FROM person_360_tags WHERE person_id = p.person_id"
    "    AND kind = 'kmeans' ORDER BY since DESC, tag LIMIT 1) AS kmeans,"
    "  (SELECT json_object('probability', probability, 'risk', risk,"
    "    'reasons', " J_REASONS ", 'model', model,"
    "    'model_version', model_version, 'time', time,"
    "    'decision_id', decision_id, 'customer_id', customer_id)"
    "    FROM person_360_churn WHERE person_id = p.person_id) AS churn,"
    "  (SELECT json_object('items', " J_ITEMS ", 'model', model,"
    "    'model_version', model_version, 'time', time,"
    "    'decision_id', decision_id, 'customer_id', customer_id)"
    "    FROM person_360_recommendations WHERE person_id = p.person_id)"
    "  AS recommendations,"
    "  (SELECT json_group_array(json(j)) FROM (SELECT json_object("
    "    'ticket_id', ticket_id, 'customer_id', customer_id,"
    "    'parent_id', parent_id, 'priority', priority, 'queue', queue,"
    "    'skill', skill, 'status', status, 'sla_due', sla_due,"
    "    'assignee', assignee, 'routed', routed) AS j"
    "    FROM person_360_tickets WHERE person_id = p.person_id"
    "    ORDER BY sla_due, ticket_id)) AS tickets,"
    "  " PERSON_MESSAGES " AS messages,"
    "  " PERSON_DECISIONS " AS decisions FROM person_360_record p;";

/*
 * The rest of a migration, run after migrations[i] in its transaction,
 * in parts where one string would be longer than C compilers must take.
 */
#define MORE_PARTS 2
static const char *const migrations_more[CRM_STORE_VERSION][MORE_PARTS] = {
	/* 6 -> 7: one row a customer, a JSON column a section. */
	[6][0] = customer_360,
	/*
	 * 7 -> 8: a person's 360-degree view (crm-profile --by person):
	 * the sections of customer_360 over every record of the person
	 * (its clusters rows), each row with the record it is about.
	 */
	[7][0] = person_views,
	[7][1] = person_360,
};

static const char *const reserved[] = {
	"customers",
	"events",
	"tags",
	"clusters",
	"models",
	"decisions",
	"labels",
	"agents",
	"agent_skills",
	"tickets",
	"queues",
	"kb",
	"consent",
	"audit_state",
	"tag_history",
	"persons",
	"person_events",
	"link_labels",
	"ticket_events",
	"notifications",
	"tickets_9", /* the migration to schema 9 makes it */
	"experiments",
	"assignments",
	"journey_runs",
	"journey_state",
	"journey_actions",
	"merges",
	"merge_rows",
	"customer_360",
	"customer_360_record",
	"customer_360_members",
	"customer_360_consent",
	"customer_360_tags",
	"customer_360_churn",
	"customer_360_recommendations",
	"customer_360_tickets",
	"customer_360_messages",
	"customer_360_decisions",
	"person_360",
	"person_360_record",
	"person_360_members",
	"person_360_consent",
	"person_360_tags",
	"person_360_churn",
	"person_360_recommendations",
	"person_360_tickets",
	"person_360_messages",
	"person_360_decisions",
};

/* The store's indexes: a generic table cannot take an index's name. */
static const char *const indexes[] = {
	"events_customer_time",
	"clusters_cluster",
	"decisions_key",
	"labels_task",
	"tickets_status",
	"tickets_assignee",
	"decisions_subject",
	"tag_history_tag",
	"tickets_customer",
	"person_events_person",
	"person_events_record",
	"person_events_other",
	"persons_merged",
	"tickets_parent",
	"tickets_due",
	"ticket_events_ticket",
	"ticket_events_time",
	"notifications_deferred",
	"notifications_customer",
	"assignments_arm",
	"journey_state_next",
	"journey_actions_cap",
};

int
crm_store_reserved(const char *name)
{
	size_t i;

	if (strncasecmp(name, "sqlite_", 7) == 0)
		return CRM_STORE_TABLE;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return CRM_STORE_TABLE;
	for (i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++)
		if (strcasecmp(name, indexes[i]) == 0)
			return CRM_STORE_INDEX;
	return 0;
}

int
crm_store_exit_code(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EX_TEMPFAIL;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return EX_CANTCREAT;
	case SQLITE_IOERR:
	case SQLITE_FULL:
		return EX_IOERR;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return EX_DATAERR;
	default:
		return EX_SOFTWARE;
	}
}

int
crm_store_fail(struct crm_store *s, struct crm_err *e, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);
	int sys = sqlite3_system_errno(s->db);

	/* An I/O error says why: "disk I/O error (File too large)". */
	if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ||
	    (rc & 0xff) == SQLITE_CANTOPEN)
		return crm_err_set(e, crm_store_exit_code(rc),
		    "%s: %s: %s%s%s%s", s->path, what, sqlite3_errmsg(s->db),
		    sys != 0 ? " (" : "", sys != 0 ? strerror(sys) : "",
		    sys != 0 ? ")" : "");
	return crm_err_set(e, crm_store_exit_code(rc), "%s: %s: %s", s->path,
	    what, sqlite3_errmsg(s->db));
}

static void
log_cb(void *arg, int code, const char *msg)
{
	(void)arg;
	fprintf(stderr, "sqlite: (%d) %s\n", code, msg);
}

void
crm_store_log_to_stderr(void)
{
	sqlite3_config(SQLITE_CONFIG_LOG, log_cb, NULL);
}

static int
user_version(struct crm_store *s, int *v, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return crm_store_fail(s, e, "cannot read schema version");
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return crm_store_fail(s, e, "cannot read schema version");
	return 0;
}

static int
migrate(struct crm_store *s, struct crm_err *e)
{
	char sql[64];
	int v;

	if (user_version(s, &v, e) == -1)
		return -1;
	if (v > CRM_STORE_VERSION)
		return crm_err_set(e, EX_UNAVAILABLE,
		    "%s: store schema version %d is newer than this crmkit "
		    "(%d)",
		    s->path, v, CRM_STORE_VERSION);
	if (v == CRM_STORE_VERSION)
		return 0;
	if (crm_store_begin(s, e) == -1)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	if (user_version(s, &v, e) == -1)
		goto fail;
	for (; v < CRM_STORE_VERSION; v++) {
		int i, bad;

		bad = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) !=
		      SQLITE_OK;
		for (i = 0; i < MORE_PARTS && !bad; i++)
			bad = migrations_more[v][i] != NULL &&
			      sqlite3_exec(s->db, migrations_more[v][i], NULL,
				  NULL, NULL) != SQLITE_OK;
		if (bad) {
			crm_store_fail(s, e, "cannot migrate the store");
			goto fail;
		}
	}
	snprintf(
	    sql, sizeof(sql), "PRAGMA user_version = %d", CRM_STORE_VERSION);
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot migrate the store");
		goto fail;
	}
	return crm_store_commit(s, e);
fail:
	crm_store_rollback(s);
	return -1;
}

/*
 * Switch to WAL.  The change needs a moment of exclusive access, which the
 * busy handler does not always wait for, so retry for as long as the busy
 * timeout allows.
 */
static int
set_wal(struct crm_store *s, int busy_ms, struct crm_err *e)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int waited = 0, rc;

	for (;;) {
		rc = sqlite3_exec(
		    s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || waited >= busy_ms)
			return crm_store_fail(s, e, "cannot set WAL mode");
		nanosleep(&pause, NULL);
		waited += 10;
	}
}

/*
 * Why the store could not be opened, as an errno: a new store's folder
 * that cannot be written (a read-only medium, say), or the last system
 * error SQLite saw; 0 when neither is known.
 */
static int
open_errno(const char *path, sqlite3 *db)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		n = slash == NULL   ? 1
		    : slash == path ? 1
				    : (size_t)(slash - path);
		if (n < sizeof(dir)) {
			memcpy(dir, slash == NULL ? "." : path, n);
			dir[n] = '\0';
			if (access(dir, W_OK) == -1)
				return errno;
		}
	}
	return db != NULL ? sqlite3_system_errno(db) : 0;
}

struct crm_store *
crm_store_open(const char *path, int busy_ms, struct crm_err *e)
{
	struct crm_store *s;
	int rc;

	if (busy_ms <= 0)
		busy_ms = CRM_BUSY_DEFAULT;
	/*
	 * No memory statistics: they put a global mutex around every
	 * allocation SQLite makes.  (A no-op once SQLite is initialized.)
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	rc = sqlite3_open_v2(path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	    NULL);
	if (rc != SQLITE_OK) {
		int why = open_errno(path, s->db);

		/* Out of memory is not a store that cannot be created. */
		crm_err_set(e, rc == SQLITE_NOMEM ? EX_SOFTWARE : EX_CANTCREAT,
		    "cannot open '%s': %s%s%s%s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
		    why != 0 ? " (" : "", why != 0 ? strerror(why) : "",
		    why != 0 ? ")" : "");
		goto fail;
	}
	/*
	 * SQLite opens a file it may not write read-only, and the first
	 * write fails with a message about the journal: say what is wrong.
	 */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		crm_err_set(e, EX_CANTCREAT, "%s: the store is read-only (%s)",
		    path,
		    access(path, W_OK) == -1 ? strerror(errno)
					     : "opened read-only");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	s->busy_ms = busy_ms;
	sqlite3_extended_result_codes(s->db, 1);
	/*
	 * 16 KiB pages (a no-op once the file exists): customer rows with
	 * notes are long, and bulk loads write half the pages of 4 KiB.
	 */
	if (sqlite3_exec(s->db, "PRAGMA page_size=16384", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    set_wal(s, busy_ms, e) == -1 ||
	    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
		NULL) != SQLITE_OK) {
		if (e->code == 0)
			crm_store_fail(s, e, "cannot configure the store");
		goto fail;
	}
	if (migrate(s, e) == -1)
		goto fail;
	return s;
fail:
	crm_store_close(s);
	return NULL;
}

/* crm_store_open_read, or with exact an older schema refused too. */
static struct crm_store *
open_read(const char *path, int busy_ms, int exact, struct crm_err *e)
{
	struct crm_store *s;
	int rc, v;

	if (busy_ms <= 0)
		busy_ms = CRM_BUSY_DEFAULT;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	s->busy_ms = busy_ms;
	rc = sqlite3_open_v2(
	    path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		crm_err_set(e, rc == SQLITE_NOMEM ? EX_SOFTWARE : EX_NOINPUT,
		    "cannot open '%s': %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	sqlite3_extended_result_codes(s->db, 1);
	if (user_version(s, &v, e) == -1)
		goto fail;
	if (v == 0) {
		crm_err_set(e, EX_DATAERR,
		    "%s: not a crmkit store (no schema), and not made one",
		    path);
		goto fail;
	}
	if (v > CRM_STORE_VERSION) {
		crm_err_set(e, EX_UNAVAILABLE,
		    "%s: store schema version %d is newer than this crmkit "
		    "(%d)",
		    path, v, CRM_STORE_VERSION);
		goto fail;
	}
	if (v < CRM_STORE_VERSION && exact) {
		crm_err_set(e, EX_UNAVAILABLE,
		    "%s: store schema version %d is older than this crmkit "
		    "(%d), and not migrated here: open it once with a crmkit "
		    "tool that writes it (crm-ingest --db %s </dev/null)",
		    path, v, CRM_STORE_VERSION, path);
		goto fail;
	}
	if (v < CRM_STORE_VERSION) {
		/* an older schema is brought forward, as any tool does */
		crm_store_close(s);
		return crm_store_open(path, busy_ms, e);
	}
	return s;
fail:
	crm_store_close(s);
	return NULL;
}

struct crm_store *
crm_store_open_read(const char *path, int busy_ms, struct crm_err *e)
{
	return open_read(path, busy_ms, 0, e);
}

struct crm_store *
crm_store_open_exact(const char *path, int busy_ms, struct crm_err *e)
{
	return open_read(path, busy_ms, 1, e);
}

struct crm_store *
crm_store_snapshot(struct crm_store *st, struct crm_err *e)
{
	struct crm_store *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(st->path)) == NULL) {
		free(s);
		crm_err_set(e, EX_SOFTWARE, "out of memory");
		return NULL;
	}
	s->snapshot = 1;
	s->busy_ms = st->busy_ms;
	rc = sqlite3_open_v2(
	    st->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		crm_err_set(e, rc == SQLITE_NOMEM ? EX_SOFTWARE : EX_NOINPUT,
		    "cannot open '%s': %s", st->path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, s->busy_ms);
	sqlite3_extended_result_codes(s->db, 1);
	/*
	 * A deferred BEGIN starts the read transaction at the first read:
	 * read the schema now, so the snapshot is taken here, not at the
	 * owner's first query.
	 */
	if (sqlite3_exec(s->db, "BEGIN; SELECT count(*) FROM sqlite_schema",
		NULL, NULL, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot read the store");
		goto fail;
	}
	return s;
fail:
	crm_store_close(s);
	return NULL;
}

void
crm_store_close(struct crm_store *s)
{
	if (s == NULL)
		return;
	if (s->snapshot)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	crm_store_bg_checkpoints_stop(s);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

sqlite3 *
crm_store_db(struct crm_store *s)
{
	return s->db;
}

const char *
crm_store_path(const struct crm_store *s)
{
	return s->path;
}

long
crm_store_run_id(struct crm_store *s, const char *sql, const char *id,
    const char *token, struct crm_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return crm_store_fail(s, e, "cannot prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, token, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return crm_store_fail(s, e, "cannot write");
	return (long)sqlite3_changes(s->db);
}

int
crm_store_begin(struct crm_store *s, struct crm_err *e)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return crm_store_fail(s, e, "cannot start a transaction");
	return 0;
}

int
crm_store_commit(struct crm_store *s, struct crm_err *e)
{
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		crm_store_fail(s, e, "cannot commit");
		crm_store_rollback(s);
		return -1;
	}
	return 0;
}

void
crm_store_rollback(struct crm_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ==== Checkpoints off the writing thread ==== */

/*
 * A checkpoint copies the WAL into the database file and waits for the
 * disk twice (fdatasync of the WAL, then of the file).  SQLite runs it
 * inside the commit that crosses CKPT_PAGES, so a bulk writer would stop
 * for it; here a thread of its own runs it on a second connection
 * (PASSIVE: it copies what no reader still needs and never blocks the
 * writer), which is how SQLite's documentation suggests checkpointing
 * in the background.  The WAL restarts from its beginning once it has
 * been copied whole and a writer begins; should the thread fall behind,
 * the committing thread waits for it and checkpoints itself at
 * CKPT_MAX_PAGES, so the WAL stays bounded.
 */

static void *
ckpt_main(void *arg)
{
	struct ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->quit)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->quit)
			break;
		c->want = 0;
		c->busy = 1;
		pthread_mutex_unlock(&c->mu);
		/*
		 * Errors are SQLite's to report: BUSY means another process
		 * is checkpointing, and the writer's commits and the final
		 * checkpoint at close meet any I/O error again.
		 */
		(void)sqlite3_wal_checkpoint_v2(
		    c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->busy = 0;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Called by SQLite after each commit on the writer's connection. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ckpt *c = arg;

	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&c->mu);
	if (pages >= CKPT_MAX_PAGES) {
		while (c->busy || c->want)
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
		(void)sqlite3_wal_checkpoint_v2(
		    db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (!c->busy && !c->want) {
		c->want = 1;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

int
crm_store_bg_checkpoints(struct crm_store *s, struct crm_err *e)
{
	struct ckpt *c;
	int rc, mu = 0, cv = 0;

	if (s->ck != NULL)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return crm_err_set(e, EX_SOFTWARE, "out of memory");
	rc = sqlite3_open_v2(
	    s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	/*
	 * A read opens the WAL and its index for this connection; it may
	 * have to wait for another process.  (A PASSIVE checkpoint never
	 * waits.)
	 */
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(c->db, s->busy_ms);
		rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema",
		    NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		crm_err_set(e, crm_store_exit_code(rc),
		    "%s: cannot open for checkpoints: %s", s->path,
		    c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	mu = pthread_mutex_init(&c->mu, NULL) == 0;
	cv = mu && pthread_cond_init(&c->cv, NULL) == 0;
	if (!cv || pthread_create(&c->th, NULL, ckpt_main, c) != 0) {
		crm_err_set(e, EX_SOFTWARE, "cannot start a thread");
		goto fail;
	}
	s->ck = c;
	sqlite3_wal_hook(s->db, ckpt_hook, c);
	return 0;
fail:
	if (cv)
		pthread_cond_destroy(&c->cv);
	if (mu)
		pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
	return -1;
}

void
crm_store_bg_checkpoints_stop(struct crm_store *s)
{
	struct ckpt *c = s->ck;

	if (c == NULL)
		return;
	/* Back to SQLite's own checkpoints, in the commit. */
	sqlite3_wal_autocheckpoint(s->db, CKPT_PAGES);
	pthread_mutex_lock(&c->mu);
	c->quit = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
	s->ck = NULL;
}

/* ==== Batches ==== */

void
crm_batch_init(struct crm_batch *b, struct crm_store *s, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->s = s;
	b->max = max;
}

int
crm_batch_add(struct crm_batch *b, struct crm_err *e)
{
	if (b->open && b->pending >= b->max && crm_batch_commit(b, e) == -1)
		return -1;
	if (!b->open) {
		if (crm_store_begin(b->s, e) == -1)
			return -1;
		b->open = 1;
		b->gen++;
	}
	b->pending++;
	return 0;
}

int
crm_batch_commit(struct crm_batch *b, struct crm_err *e)
{
	if (!b->open)
		return 0;
	b->open = 0;
	b->pending = 0;
	return crm_store_commit(b->s, e);
}

void
crm_batch_idle(struct crm_batch *b)
{
	if (!b->idle_failed && crm_batch_commit(b, &b->idle_err) == -1)
		b->idle_failed = 1;
}

int
crm_batch_close(struct crm_batch *b, struct crm_err *e)
{
	if (b->idle_failed) {
		*e = b->idle_err;
		crm_store_rollback(b->s);
		b->open = 0;
		return -1;
	}
	return crm_batch_commit(b, e);
}
