#!/bin/sh
# bench-report.sh [BIN_DIR] [CUSTOMERS] [EVENTS]: crm-report on a large
# store, made here with sqlite3 (recursive CTEs over the store's own
# schema, which crm-ingest creates): 1,000,000 customers and 10,000,000
# events by default, with a churn score, an RFM segment and a k-means
# cluster for each customer (tags, their history, the decisions), a
# cluster of dedupe for each, 100,000 tickets with their events, 100
# agents, and an intent and a sentiment for each message event.  Prints the
# time of each --format (json, text, html) and the size of its output.
# The store is made once under $BENCH_DIR (build/bench-report) and kept
# for the next run.
set -eu
bin=$(cd "${1:-build/bin}" && pwd)
n=${2:-1000000}
ev=${3:-10000000}
dir=${BENCH_DIR:-build/bench-report}
mkdir -p "$dir"
db="$dir/crm-$n-$ev.db"
asof=2026-03-02T12:00:00Z

if [ ! -f "$db" ]; then
	echo "making $db: $n customers, $ev events"
	printf 'customer_id\n' >"$dir/empty.csv"
	"$bin/crm-ingest" -q --db "$db.tmp" "$dir/empty.csv" >/dev/null || true
	start=$(date +%s)
	sqlite3 "$db.tmp" <<EOF
PRAGMA journal_mode=OFF;
.output /dev/null
PRAGMA synchronous=OFF;
PRAGMA cache_size=-400000;
BEGIN;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $n)
INSERT INTO customers (customer_id, name, email, phone, city, country,
    signup_date)
SELECT printf('c%08d', k), 'name ' || k,
    CASE WHEN k % 50 = 0 THEN NULL WHEN k % 97 = 0 THEN 'bad-address'
	ELSE printf('u%d@example.com', k % ($n - 1000)) END,
    CASE WHEN k % 3 = 0 THEN printf('+4930%07d', k) END,
    CASE k % 4 WHEN 0 THEN 'Berlin' WHEN 1 THEN 'Shanghai' WHEN 2 THEN
	'Paris' END, 'DE',
    date('2026-03-02', printf('-%d days', k % 730))
FROM i;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $ev)
INSERT INTO events (event_key, customer_id, time, type, item, amount)
SELECT printf('e%09d', k), printf('c%08d', 1 + (k * 7919) % $n),
    strftime('%Y-%m-%dT%H:%M:%SZ', '2026-03-02T12:00:00Z',
	printf('-%d seconds', (k * 104729) % 31536000)),
    CASE k % 10 WHEN 0 THEN 'order' WHEN 1 THEN 'message' ELSE 'view' END,
    printf('item%d', k % 500), CASE WHEN k % 10 = 0 THEN k % 200 END
FROM i;
INSERT INTO models (name, version, kind, created, params, metrics, blob,
    rows) VALUES ('churn', 1, 'churn', '2026-02-01T00:00:00Z', '{}',
    '{"train_auc":0.81}', x'00', $n);
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $n)
INSERT INTO decisions (time, tool, model, model_version, record_key,
    output, score, reasons, subject)
SELECT '2026-03-01T00:00:00Z', 'crm-churn', 'churn', 1, printf('c%08d', k),
    CASE WHEN s >= 0.7 THEN 'high' WHEN s >= 0.4 THEN 'medium' ELSE 'low'
	END, s, printf('[{"feature":"orders=%d","contribution":0.5},{"feature":"days_since_last_order=%d","contribution":0.3}]',
	k % 7, k % 40), printf('c%08d', k)
FROM (SELECT k, ((k * 2654435761) % 1000) / 1000.0 AS s FROM i);
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $n)
INSERT INTO decisions (time, tool, model, model_version, record_key,
    output, score, reasons, subject)
SELECT '2026-03-01T00:00:00Z', 'crm-tag', 'rfm', 0, printf('c%08d', k),
    'seg' || (k % 11), NULL, printf('{"r":%d,"f":%d,"m":%d}', 1 + k % 5,
	1 + (k / 5) % 5, 1 + (k / 25) % 5), printf('c%08d', k)
FROM i;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $n)
INSERT INTO tags (customer_id, tag, rule, time)
SELECT printf('c%08d', k), 'kmeans:' || (k % 5), 'kmeans',
    '2026-03-01T00:00:00Z' FROM i
UNION ALL
SELECT printf('c%08d', k), 'rfm:seg' || (k % 11), 'rfm',
    '2026-03-01T00:00:00Z' FROM i;
INSERT INTO tag_history (customer_id, tag, began, ended)
SELECT customer_id, tag, date('2026-03-02', printf('-%d days',
    abs(random()) % 60)), NULL FROM tags;
INSERT INTO clusters (record_id, cluster_id, score, time)
SELECT customer_id, printf('c%08d', 1 + ((CAST(substr(customer_id, 2) AS
    INTEGER) - 1) / 2) * 2), 0.9, '2026-03-01T00:00:00Z' FROM customers;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < 100)
INSERT INTO agents (agent_id, name, skills, capacity, load, on_shift, updated)
SELECT printf('a%03d', k), 'agent ' || k, 'general', 10, k % 11, k % 2,
    '2026-03-01T00:00:00Z' FROM i;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE
    k < $n / 10)
INSERT INTO tickets (ticket_id, customer_id, priority, queue, skill,
    sla_due, assignee, status, routed, created, updated, first_response,
    solved, reopens)
SELECT printf('t%07d', k), printf('c%08d', k), 'P' || (1 + k % 4),
    'q' || (k % 6), 'general', strftime('%Y-%m-%dT%H:%M:%SZ', c, '+8 hours'),
    printf('a%03d', 1 + k % 100), CASE WHEN k % 3 = 0 THEN 'open' ELSE
	'solved' END, c, c, c,
    CASE WHEN k % 5 > 0 THEN strftime('%Y-%m-%dT%H:%M:%SZ', c,
	printf('+%d minutes', k % 900)) END,
    CASE WHEN k % 3 > 0 THEN strftime('%Y-%m-%dT%H:%M:%SZ', c,
	printf('+%d minutes', k % 3000)) END, 0
FROM (SELECT k, strftime('%Y-%m-%dT%H:%M:%SZ', '2026-03-02T12:00:00Z',
    printf('-%d minutes', (k * 7) % 86400)) AS c FROM i);
INSERT INTO ticket_events (time, ticket_id, event, from_state, state, actor,
    value, reason)
SELECT coalesce(first_response, created), ticket_id, 'reply', 'new', 'open',
    CASE WHEN CAST(substr(ticket_id, 2) AS INTEGER) % 4 = 0 THEN 'bot' ELSE assignee END, NULL, NULL
FROM tickets WHERE first_response IS NOT NULL
UNION ALL
SELECT sla_due, ticket_id, 'escalated', 'open', 'open', 'crm-route',
    'senior', 'SLA breached at ' || sla_due
FROM tickets WHERE CAST(substr(ticket_id, 2) AS INTEGER) % 17 = 0;
INSERT INTO decisions (time, tool, model, model_version, record_key, output,
    score, subject)
SELECT '2026-03-02T00:00:00Z', 'crm-intent', m, 0, event_key,
    CASE m WHEN 'intent' THEN 'intent' || (events.rowid % 9) ELSE
	CASE events.rowid % 5 WHEN 0 THEN 'negative' WHEN 1 THEN 'positive' ELSE
	'neutral' END END, 0.9, customer_id
FROM events, (SELECT 'intent' AS m UNION ALL SELECT 'sentiment')
WHERE type = 'message' AND events.rowid % 5 = 1;
COMMIT;
EOF
	mv "$db.tmp" "$db"
	echo "made in $(($(date +%s) - start)) s: $(du -h "$db" | cut -f1)"
fi
for fmt in json text html; do
	start=$(date +%s.%N)
	"$bin/crm-report" --db "$db" --as-of "$asof" --format "$fmt" \
	    -o "$dir/report.$fmt"
	end=$(date +%s.%N)
	printf 'crm-report --format %s: %.1f s, %s bytes\n' "$fmt" \
	    "$(echo "$end - $start" | bc)" "$(wc -c <"$dir/report.$fmt")"
done
