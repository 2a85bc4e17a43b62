#!/bin/sh
# t135-merge-shards: two shard stores, each written by the shard-safe
# modes (crm-ingest, crm-intent --db, crm-tag --rules --db, crm-experiment
# --db) over one half of the input (keyed by customer), merged by
# crm-ingest merge: the tables equal those of one store written by one
# process over the whole input (compared by SQL, without rowids and chain
# hashes), the merged decisions verify, merging again changes nothing, a
# shard that grew is merged for its new and changed rows only (never its
# unchanged rows over what the store or another shard wrote since: the
# customers, events, tags and spans, clusters), and a tampered shard, one of
# another schema version, a conflicting experiment and another shard under
# a merged one's file name are refused with the main store unchanged, and
# so is the store itself as a shard, before any shard is merged.
# Clusters are reconciled as links.  A customer erased in the merged store
# and in a shard: the shard is merged, its erasure done again on the
# store's chain.
. "$TOP/tests/lib.sh"
t_use merge

T=2026-01-05
crm-intent train -q --model-file intent.model \
    "$TOP/testdata/intent/intents.train.jsonl"

# The halves: customers c01-c06 and c07-c12, with their events and
# messages; c07's event e014 is in both; the second half also updates c03,
# a customer of the first (loaded last, so its city wins in both runs).
head -n 6 in/customers.jsonl >a.cust
tail -n 6 in/customers.jsonl >b.cust
cat a.cust b.cust >w.cust
: >a.upd
cp in/update.jsonl b.upd
cp in/update.jsonl w.upd
for x in events messages; do
	grep '"c0[1-6]"' "in/$x.jsonl" >"a.$x" || true
	grep -v '"c0[1-6]"' "in/$x.jsonl" >"b.$x" || true
	cat "a.$x" "b.$x" >"w.$x"
done
grep '"e014"' in/events.jsonl >>a.events

# One store from the files of half $1 (w: the whole).
make_store() {
	cat "$1.cust" "$1.upd" | crm-ingest -q --db "$1.db" >/dev/null
	crm-ingest -q --db "$1.db" --kind events "$1.events" >/dev/null
	crm-intent -q --db "$1.db" --model-file intent.model --as-of $T \
	    "$1.messages" >/dev/null
	crm-tag -q --db "$1.db" --rules in/tag.rules --as-of $T "$1.cust" \
	    >/dev/null
	crm-experiment -q --db "$1.db" --experiment promo --key-file in/key \
	    --as-of $T "$1.cust" >/dev/null
}
make_store a
make_store b
make_store w

# The tables shards write, row by row, without rowids and chain hashes.
tables() {
	sqlite3 -batch -noheader "$1" \
	    "SELECT * FROM customers ORDER BY 1" \
	    "SELECT * FROM events ORDER BY 1" \
	    "SELECT * FROM tags ORDER BY 1, 2" \
	    "SELECT * FROM tag_history ORDER BY 1, 2, 3" \
	    "SELECT time, tool, model, model_version, record_key, subject,
		output, score, reasons, review, content_hash FROM decisions
		ORDER BY record_key, tool, content_hash" \
	    "SELECT * FROM experiments ORDER BY 1" \
	    "SELECT * FROM assignments ORDER BY 1, 2" \
	    "SELECT * FROM consent ORDER BY 1, 2, 4" \
	    "SELECT * FROM clusters ORDER BY 1"
}
dump() { sqlite3 "$1" .dump; }

t_run merge 0 -- crm-ingest merge --db m.db a.db b.db
t_eq "merged: the tables of one process over the whole input" \
    "$(tables w.db)" "$(tables m.db)"
t_eq "the event in both halves stored once" 24 \
    "$(sqlite3 m.db "SELECT count(*) FROM events")"
t_eq "the update of the second half is the last written" "c03|Rome" \
    "$(sqlite3 m.db "SELECT customer_id, city FROM customers
	WHERE customer_id = 'c03'")"
t_ok "crm-mask verify passes on the merged store" \
    crm-mask verify --db m.db
dump m.db >m.dump
t_run merge-again 0 -- crm-ingest merge --db m.db a.db b.db
t_eq "merging again changes nothing" "$(cat m.dump)" "$(dump m.db)"
t_run merge-reversed 0 -- crm-ingest merge -q --db m.db b.db a.db
t_eq "in another order too" "$(cat m.dump)" "$(dump m.db)"

# The first shard grows: only its new decisions are merged.
for x in a w; do
	crm-intent -q --db $x.db --model-file intent.model --as-of $T \
	    in/more.jsonl >/dev/null
done
t_run merge-grown 0 -- crm-ingest merge --db m.db a.db b.db
t_eq "grown: the tables of one process" "$(tables w.db)" "$(tables m.db)"
t_ok "and the chain verifies" crm-mask verify --db m.db

# Per row: the store (and the one process, w) writes since, a shard
# grows, and merged again it writes its new and changed rows only, never
# its unchanged ones over those writes: c03's city (of b.db), e001's
# amount, c04's gold span ended, r2's cluster (below) stay as written.
T2=2026-01-06
echo '{"customer_id": "c04", "tier": "basic", "spend": 10}' >c04
echo '{"event_id": "e001", "customer_id": "c01", "time":
    "2025-12-02T10:00:00Z", "type": "order", "amount": 99}' | tr -d '\n' >e001
echo '{"customer_id": "c13", "name": "Name 13", "tier": "gold"}' >c13
echo '{"event_id": "e099", "customer_id": "c13", "time":
    "2025-12-09T10:00:00Z", "type": "order", "amount": 5}' | tr -d '\n' >e099
echo '{"event_id": "e100", "customer_id": "c07", "time":
    "2025-12-10T10:00:00Z", "type": "order", "amount": 7}' | tr -d '\n' >e100
for x in m w; do
	crm-tag -q --db $x.db --rules in/tag.rules --as-of $T2 c04 >/dev/null
	crm-ingest -q --db $x.db --kind events e001 >/dev/null
done
for x in a w; do
	crm-ingest -q --db $x.db c13 >/dev/null
	crm-ingest -q --db $x.db --kind events e099 >/dev/null
	crm-tag -q --db $x.db --rules in/tag.rules --as-of $T2 c13 >/dev/null
done
t_run merge-per-row 0 -- crm-ingest merge --db m.db a.db
t_eq "per row: what the store and b.db wrote since stays" \
    "c03|Rome e001|99.0 c04|gold|${T}T00:00:00Z|${T2}T00:00:00Z c13|gold|${T2}T00:00:00Z|" \
    "$(sqlite3 m.db "SELECT customer_id, city FROM customers
	WHERE customer_id = 'c03'; SELECT event_key, amount FROM events
	WHERE event_key = 'e001'; SELECT * FROM tag_history
	WHERE tag = 'gold' AND customer_id IN ('c04', 'c13')" | paste -sd' ' -)"
for x in b w; do
	crm-ingest -q --db $x.db --kind events e100 >/dev/null
done
t_run merge-per-row-between 0 -- crm-ingest merge --db m.db b.db a.db
t_eq "grown between other shards: the tables of one process" \
    "$(tables w.db)" "$(tables m.db)"
t_eq "a shard's rows merged, one digest each" \
    "$(sqlite3 a.db "SELECT (SELECT count(*) FROM customers) +
	(SELECT count(*) FROM events)")" \
    "$(sqlite3 m.db "SELECT count(*) FROM merge_rows JOIN merges
	ON merges.id = merge_rows.merge WHERE shard = 'a.db'
	AND tbl IN ('customers', 'events')")"

# Refused, the main store left as it was.
dump m.db >m.dump
cp a.db t.db
sqlite3 t.db "UPDATE decisions SET output = 'refund' WHERE id = 3"
t_run tampered 65 -- crm-ingest merge --db m.db t.db
cp a.db new.db
sqlite3 new.db "PRAGMA user_version = 99"
t_run newer 69 -- crm-ingest merge --db m.db new.db
cp a.db old.db
sqlite3 old.db "DROP TABLE merges; DROP TABLE merge_rows;
    PRAGMA user_version = 10"
t_run older 69 -- crm-ingest merge --db m.db old.db
t_eq "the older shard is not migrated" 10 \
    "$(sqlite3 old.db "PRAGMA user_version")"
t_ok "once migrated, it is merged" sh -c \
    "crm-ingest -q --db old.db </dev/null && cp m.db m2.db &&
    crm-ingest merge -q --db m2.db old.db"
cp b.db x.db
sqlite3 x.db "UPDATE experiments SET holdout = 0.2"
t_run other-design 65 -- crm-ingest merge --db m.db x.db
mkdir other
cp b.db other/a.db
t_run same-name 65 -- crm-ingest merge --db m.db other/a.db
t_eq "the main store is unchanged" "$(cat m.dump)" "$(dump m.db)"
t_run itself 64 -- crm-ingest merge --db m.db m.db
ln -s m.db link.db
cp b.db c.db
t_run itself-later 64 -- crm-ingest merge --db m.db c.db ./link.db
t_eq "a usage error merges nothing" "$(cat m.dump)" "$(dump m.db)"
t_run no-shard 64 -- crm-ingest merge --db m.db
t_run no-db 64 -- crm-ingest merge a.db
t_run load-option 64 -- crm-ingest merge --db m.db --kind events a.db

# Clusters as links: r2 is in r1's cluster here and r3's there, so the
# three are one cluster, named by its least record; r9's stays as named.
crm-ingest -q --db k1.db </dev/null >/dev/null 2>&1 || true
crm-ingest -q --db k2.db </dev/null >/dev/null 2>&1 || true
sqlite3 k1.db "INSERT INTO clusters VALUES ('r1', 'r1', NULL, '$T'),
    ('r2', 'r1', 0.9, '$T'), ('r9', 'r9~2', NULL, '$T')"
sqlite3 k2.db "INSERT INTO clusters VALUES ('r2', 'r3', 0.8, '$T'),
    ('r3', 'r3', NULL, '$T'), ('r4', 'r3', 0.7, '$T')"
crm-ingest merge -q --db k.db k1.db k2.db
t_eq "clusters reconciled" "r1|r1 r2|r1 r3|r1 r4|r1 r9|r9~2" \
    "$(sqlite3 k.db "SELECT record_id || '|' || cluster_id FROM clusters
	ORDER BY 1" | paste -sd' ' -)"
# The store moves r2 to a cluster of its own, k1 grows: r2 stays.
sqlite3 k.db "UPDATE clusters SET cluster_id = 'r2' WHERE record_id = 'r2'"
sqlite3 k1.db "INSERT INTO clusters VALUES ('r5', 'r5', NULL, '$T')"
crm-ingest merge -q --db k.db k1.db k2.db
t_eq "per row: the store's cluster of r2 stays" \
    "r1|r1 r2|r2 r3|r1 r4|r1 r5|r5 r9|r9~2" \
    "$(sqlite3 k.db "SELECT record_id || '|' || cluster_id FROM clusters
	ORDER BY 1" | paste -sd' ' -)"
# A row deleted from the shard stays in the store, its digest forgotten.
sqlite3 k1.db "DELETE FROM clusters WHERE record_id = 'r5'"
crm-ingest merge -q --db k.db k1.db
t_eq "deleted in the shard: kept in the store, forgotten" "r5|r1,r2,r9" \
    "$(sqlite3 k.db "SELECT (SELECT group_concat(record_id) FROM clusters
	WHERE record_id = 'r5'), (SELECT group_concat(key) FROM (SELECT key
	FROM merge_rows JOIN merges ON merges.id = merge_rows.merge
	WHERE shard = 'k1.db' AND tbl = 'clusters' ORDER BY key))")"

# Erased as crm-ingest(1) CAVEATS say, in the merged store and in the
# shard: the shard is still merged, its erasure with it.  c02's new
# decision is erased in the shard before it is merged.
mkdir er
cp a.db b.db er/
crm-ingest merge -q --db er/m.db er/a.db er/b.db
echo '{"id": "m15", "customer_id": "c02", "text": "refund me now"}' >m15
crm-intent -q --db er/a.db --model-file intent.model --as-of $T m15 \
    >/dev/null
named="SELECT count(*) FROM merge_rows WHERE key IN ('c01', 'c02') OR
    key LIKE '%\"c01\"%' OR key LIKE '%\"c02\"%' OR key IN (SELECT
    event_key FROM events WHERE customer_id IN ('c01', 'c02'))"
before=$(sqlite3 er/m.db "$named")
for c in c01 c02; do
	crm-mask erase -q --db er/m.db $c >/dev/null
	crm-mask erase -q --db er/a.db $c >/dev/null
done
t_eq "the erased customers' row digests go with them" "yes 0" \
    "$([ "$before" -gt 0 ] && echo yes) $(sqlite3 er/m.db "$named")"
t_run merge-erased 0 -- crm-ingest merge --db er/m.db er/a.db er/b.db
t_ok "the chain verifies after the erasures" crm-mask verify -q --db er/m.db
t_eq "the erased are not brought back, the new decision redacted" "0|0|1" \
    "$(sqlite3 er/m.db "SELECT (SELECT count(*) FROM customers WHERE
	customer_id IN ('c01', 'c02')), (SELECT count(*) FROM decisions
	WHERE subject IN ('c01', 'c02')), (SELECT count(*) FROM decisions
	WHERE record_key = 'm15')")"

t_done
