#!/bin/sh
# Resolved persons: crm-dedupe --db keeps a person per cluster (its id the
# cluster_id) with a golden record and its lineage; incremental runs join
# records to persons, merge two persons a link joins (the older id
# survives) and split a person a cannot-link label divides (the larger
# part keeps the id), each change an event with its --as-of time; the
# labels of --train-labels are stored and obeyed by later runs; the same
# input twice changes nothing.
. "$TOP/tests/lib.sh"
t_use persons

q() { sqlite3 crm.db "$@" | paste -sd' ' -; }
# lineage: each golden field (in order of their names) with the record it
# came from
golden() {
	q "SELECT g.key || '=' || g.value || '<' || l.value
	    FROM persons p, json_each(p.golden) g
	    JOIN json_each(p.lineage) l ON l.key = g.key
	    WHERE p.person_id = '$1' ORDER BY g.id"
}
persons_dump() {
	sqlite3 crm.db "SELECT * FROM persons ORDER BY 1" \
	    "SELECT * FROM person_events ORDER BY id" \
	    "SELECT * FROM link_labels ORDER BY 1, 2"
}

# Day 1: a person per cluster.
crm-ingest -q --db crm.db in/base.csv >/dev/null
t_run day1 0 -- crm-dedupe --db crm.db --as-of 2026-01-01 in/base.csv
t_eq "a person per cluster, named as the cluster" "7|7" \
    "$(q "SELECT count(*), count(DISTINCT k.cluster_id) FROM persons p
	JOIN clusters k ON k.cluster_id = p.person_id
	WHERE k.record_id = k.cluster_id")"
t_eq "every clustered record's cluster is a person" 0 \
    "$(q "SELECT count(*) FROM clusters k LEFT JOIN persons p
	ON p.person_id = k.cluster_id WHERE p.person_id IS NULL")"
t_eq "A1's golden record, field by field, with its lineage" \
    "birth_date=1985-03-07<A3 channel=chat<A3 city=Suzhou<A3 email=wang.fang@example.cn<A2 name=Wang Fang<A3 phone=13800138000<A3" \
    "$(golden A1)"
t_eq "created on day 1, with its members" \
    "created||2026-01-01 joined|A1|2026-01-01 joined|A2|2026-01-01 joined|A3|2026-01-01" \
    "$(q "SELECT event, record_id, substr(time, 1, 10) FROM person_events
	WHERE person_id = 'A1' ORDER BY id")"

# The same input again: nothing changes.
persons_dump >before
crm-dedupe -q --db crm.db --as-of 2026-01-02 in/base.csv >/dev/null
persons_dump >after
t_ok "the same input twice changes no person, event or label" \
    cmp before after

# Day 2: A4 joins A1, whose golden record takes A4's values.
crm-ingest -q --db crm.db in/day2.csv >/dev/null
t_run day2 0 -- crm-dedupe --db crm.db --incremental --as-of 2026-01-02 \
    in/day2.csv
t_eq "A4 joined A1 on day 2" "A1|joined|2026-01-02" \
    "$(q "SELECT person_id, event, substr(time, 1, 10) FROM person_events
	WHERE record_id = 'A4'")"
t_eq "A1's golden record updated from A4" \
    "birth_date=1985-03-07<A4 channel=shop<A4 city=Shanghai<A4 email=wang.fang@example.cn<A4 name=Wang Fang<A4 phone=13800138000<A4" \
    "$(golden A1)"
t_eq "and the update is an event" "updated|2026-01-02T00:00:00Z" \
    "$(q "SELECT event, updated FROM person_events e JOIN persons p
	USING (person_id) WHERE person_id = 'A1' AND event = 'updated'")"

# Day 3: K3 links K5 (day 1) and K2 (day 2): the older K5 survives.
crm-ingest -q --db crm.db in/day3.csv >/dev/null
t_run day3 0 -- crm-dedupe --db crm.db --incremental --as-of 2026-01-03 \
    in/day3.csv
t_eq "K2 merged into the older K5, though its id is less" "K2|K5" \
    "$(q "SELECT person_id, merged_into FROM persons
	WHERE merged_into IS NOT NULL")"
t_eq "merged since yesterday" "K2|K5" \
    "$(q "SELECT person_id, other FROM person_events
	WHERE event = 'merged' AND time >= '2026-01-03'")"
t_eq "K2's record moved to K5" "K2|K5 K3|K5 K5|K5" \
    "$(q "SELECT record_id, cluster_id FROM clusters
	WHERE record_id LIKE 'K%' ORDER BY 1")"
t_eq "its move is two events" "K2|left|K5 K5|joined|K2" \
    "$(q "SELECT person_id, event, other FROM person_events
	WHERE record_id = 'K2' AND time >= '2026-01-03' ORDER BY id")"

# Day 4: a cannot-link label splits A1; the larger part keeps the id.
sqlite3 crm.db "INSERT INTO link_labels VALUES ('A2', 'A4', 'cannot',
    '2026-01-03T18:00:00Z', 'a reviewer')"
crm-ingest -q --db crm.db in/day4.csv >/dev/null
t_run day4 0 -- crm-dedupe --db crm.db --incremental --as-of 2026-01-04 \
    in/day4.csv
t_eq "A1 split: A1-A3 keep A1, A4 is a new person" \
    "A1|A1 A2|A1 A3|A1 A4|A4" \
    "$(q "SELECT record_id, cluster_id FROM clusters
	WHERE record_id LIKE 'A%' ORDER BY 1")"
t_eq "split on both, each naming the other" "A4|split|A1 A1|split|A4" \
    "$(q "SELECT person_id, event, other FROM person_events
	WHERE event = 'split' ORDER BY id")"

# Day 5: A5 matches both; the label keeps them apart.
crm-ingest -q --db crm.db in/day5.csv >/dev/null
t_run day5 0 -- crm-dedupe --db crm.db --incremental --as-of 2026-01-05 \
    in/day5.csv
t_eq "A1 and A4 stay split on the next run" "A1|A1 A4|A4 A5|A1" \
    "$(q "SELECT record_id, cluster_id FROM clusters
	WHERE record_id IN ('A1', 'A4', 'A5') ORDER BY 1")"
persons_dump >before
crm-dedupe -q --db crm.db --incremental --as-of 2026-01-06 in/day5.csv \
    >/dev/null
persons_dump >after
t_ok "an incremental run of the same input changes nothing either" \
    cmp before after

# A plain run of part of a person's records keeps its golden record.
sqlite3 crm.db ".backup part.db"
k5() {
	sqlite3 part.db "SELECT golden || lineage FROM persons
	    WHERE person_id = 'K5'"
}
before=$(k5)
crm-dedupe -q --db part.db --as-of 2026-01-07 in/day2.csv >/dev/null
t_eq "K2 read alone is still K5's" K5 "$(sqlite3 part.db \
    "SELECT cluster_id FROM clusters WHERE record_id = 'K2'")"
t_eq "and K5's golden record, of three records, is not made of K2 alone" \
    "$before" "$(k5)"
t_eq "nor does any person change: a file's record reads as the store's" 0 \
    "$(sqlite3 part.db "SELECT count(*) FROM person_events
	WHERE time >= '2026-01-07'")"

# A plain run of A1 and B1 that a must-link label joins: B1 merges into A1,
# and B2, which the run did not read, moves with it, as two events too.
crm-dedupe -q --db m.db --as-of 2026-01-01 in/base.csv >/dev/null
sqlite3 m.db "INSERT INTO link_labels VALUES ('A1', 'B1', 'must',
    '2026-01-01', 'a reviewer')"
{ head -1 in/base.csv; grep -E '^(A1|B1),' in/base.csv; } >ab.csv
crm-dedupe -q --db m.db --as-of 2026-01-02 ab.csv >/dev/null
t_eq "B1 merged into A1, B2 read or not with it" "B1|A1 B2|A1" \
    "$(sqlite3 m.db "SELECT record_id, cluster_id FROM clusters
	WHERE record_id LIKE 'B%' ORDER BY 1" | paste -sd' ' -)"
t_eq "every record that moved left B1 and joined A1, B2 as well" \
    "B1|left|A1|B1 A1|joined|B1|B1 B1|left|A1|B2 A1|joined|B1|B2" \
    "$(sqlite3 m.db "SELECT person_id, event, other, record_id
	FROM person_events WHERE event IN ('left', 'joined')
	AND time >= '2026-01-02' ORDER BY record_id, id" | paste -sd' ' -)"

# --train-labels: the pairs stored and obeyed; a must-link joins two
# records that do not match; a split whose smaller part holds the
# person's own id takes a variant of it.
crm-dedupe -q --db l.db --as-of 2026-02-01 in/base.csv >/dev/null
t_run train-labels 0 -- crm-dedupe --db l.db --as-of 2026-02-02 \
    --train-labels in/labels.csv in/base.csv
t_eq "the labels stored, with their file" \
    "A1|A2|cannot|in/labels.csv A1|A3|cannot|in/labels.csv A2|A3|must|in/labels.csv D1|E1|must|in/labels.csv" \
    "$(sqlite3 l.db "SELECT id1, id2, link, source FROM link_labels
	ORDER BY 1, 2" | paste -sd' ' -)"
t_run later-run 0 -- crm-dedupe --db l.db --as-of 2026-02-03 in/base.csv
t_eq "a later run obeys them: A1 apart, D1 with E1" "A1~2|A1|A1|D1|D1" \
    "$(sqlite3 l.db "SELECT cluster_id FROM clusters
	WHERE record_id IN ('A1', 'A2', 'A3', 'D1', 'E1') ORDER BY record_id" |
	paste -sd'|' -)"
t_eq "--merge: one golden record a person, under the person's id" \
    "A1~2|1|A1 A1|2|A2;A3" \
    "$(crm-dedupe -q --db l.db --as-of 2026-02-05 --merge in/base.csv |
	awk -F, '$1 ~ /^A/ { print $1 "|" $(NF - 1) "|" $NF }' | paste -sd' ' -)"
# Erasing A1 renames the person named after it with a variant, A1~2,
# as its own: no person, cluster or event keeps A1 in an id.  (Z9, put
# in A1~2 by hand, keeps its cluster's name as the person does.)
# A9 links A1, which their decisions' output, A1~2, names too.
sqlite3 l.db "INSERT INTO clusters VALUES ('Z9', 'A1~2', 0.9, '2026-02-03')"
crm-dedupe -q --db l.db --incremental --as-of 2026-02-06 in/a9.csv >/dev/null
t_eq "A1 and A9's links are decisions with output A1~2" "A1|A1~2 A9|A1~2" \
    "$(sqlite3 l.db "SELECT subject, output FROM decisions
	WHERE subject IN ('A1', 'A9') AND output LIKE 'A1~%' ORDER BY 1" |
	paste -sd' ' -)"
crm-mask erase -q --db l.db A1 >/dev/null
t_eq "no person, cluster or event is named after A1 after its erasure" \
    "0|0|0" "$(sqlite3 l.db "SELECT count(*) FROM persons
	WHERE person_id LIKE 'A1%' OR merged_into LIKE 'A1%'" \
    "SELECT count(*) FROM clusters WHERE cluster_id LIKE 'A1%'" \
    "SELECT count(*) FROM person_events WHERE person_id LIKE 'A1%'
	OR other LIKE 'A1%' OR record_id LIKE 'A1%'" | paste -sd'|' -)"
t_eq "A1 and A1~2 took the stand-in, A1~2 with its number" "1|1" \
    "$(sqlite3 l.db "SELECT count(DISTINCT k.cluster_id) FROM clusters k
	JOIN persons p ON p.person_id = k.cluster_id || '~2'
	WHERE k.record_id IN ('A2', 'A3') AND k.cluster_id GLOB 'erased-*'" \
    "SELECT count(*) FROM persons p JOIN clusters k
	ON k.cluster_id = p.person_id WHERE k.record_id = 'Z9'
	AND p.person_id GLOB 'erased-*~2'" | paste -sd'|' -)"
t_eq "no decision's output names A1 either, A9's the stand-in's ~2" \
    "0|1" "$(sqlite3 l.db "SELECT count(*) FROM decisions
	WHERE output LIKE 'A1%'" "SELECT count(*) FROM decisions d
	JOIN clusters k ON k.cluster_id = d.output WHERE d.subject = 'A9'
	AND k.record_id = 'Z9' AND d.output GLOB 'erased-*~2'" |
	paste -sd'|' -)"
t_ok "the audit log verifies after the erasure" crm-mask verify -q --db l.db
# Six labels of each kind: the next run learns from them, not EM.
crm-dedupe -q --db r.db --as-of 2026-03-01 in/relearn.csv >/dev/null
sqlite3 r.db "INSERT INTO link_labels VALUES
    ('R1', 'R2', 'must', '2026-03-01', 'x'), ('R3', 'R4', 'must',
    '2026-03-01', 'x'), ('R5', 'R6', 'must', '2026-03-01', 'x'), ('R7',
    'R8', 'must', '2026-03-01', 'x'), ('R9', 'S1', 'must', '2026-03-01',
    'x'), ('S2', 'S3', 'must', '2026-03-01', 'x'), ('R1', 'R3', 'cannot',
    '2026-03-01', 'x'), ('R5', 'R7', 'cannot', '2026-03-01', 'x'), ('R9',
    'S2', 'cannot', '2026-03-01', 'x'), ('S4', 'S5', 'cannot', '2026-03-01',
    'x'), ('R2', 'S4', 'cannot', '2026-03-01', 'x'), ('R4', 'R6', 'cannot',
    '2026-03-01', 'x')"
t_run relearn 0 -- crm-dedupe --db r.db --as-of 2026-03-02 in/relearn.csv
t_eq "no model saved from the labels" 1 \
    "$(sqlite3 r.db "SELECT count(*) FROM models")"
# A store of schema 7: its clusters become persons, each record a joined
# event, so that erasure finds the persons a record was in by index.
crm-dedupe -q --db m.db --as-of 2026-04-01 in/relearn.csv >/dev/null
sqlite3 m.db "SELECT 'DROP VIEW ' || name || ';' FROM sqlite_master
    WHERE type = 'view' AND name LIKE 'person_360%'" | sqlite3 m.db
sqlite3 m.db "DROP TABLE persons; DROP TABLE person_events;
    DROP TABLE link_labels; DROP TABLE ticket_events;
    DROP TABLE notifications; DROP TABLE experiments;
    DROP TABLE assignments; DROP TABLE journey_runs; DROP TABLE journey_state;
    DROP TABLE journey_actions; DROP TABLE merges; DROP TABLE merge_rows;
    PRAGMA user_version = 7"
crm-dedupe -q --db m.db --incremental --as-of 2026-04-02 /dev/null \
    >/dev/null 2>&1 || true
t_eq "migrated: a person a cluster, a joined event a record" \
    "$(sqlite3 m.db "SELECT count(DISTINCT cluster_id) || '|' || count(*)
	FROM clusters")" \
    "$(sqlite3 m.db "SELECT (SELECT count(*) FROM persons) || '|' ||
	(SELECT count(*) FROM person_events WHERE event = 'joined')")"
t_eq "erasure looks the events up by index" 1 \
    "$(sqlite3 m.db "EXPLAIN QUERY PLAN SELECT person_id FROM person_events
	WHERE record_id = 'R1'" | grep -c 'person_events_record')"
t_done
