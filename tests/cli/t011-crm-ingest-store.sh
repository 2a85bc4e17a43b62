# crm-ingest with a store: upserts, idempotence, partial updates, the
# extra JSON, events and generic kinds, SQL in headers and values.
. "$TOP/tests/lib.sh"
t_use ingest

q() { sqlite3 -batch -noheader crm.db "$@"; }

t_run store-load 0 -- crm-ingest --db crm.db in/customers.csv
t_eq "schema version" 11 "$(q 'PRAGMA user_version')"
t_eq "WAL mode" wal "$(q 'PRAGMA journal_mode')"
t_eq "five customers" 5 "$(q 'SELECT count(*) FROM customers')"
t_eq "normalized row" \
    "C001|Zhang Wei|zhang.wei@example.com|13800138000|北京|2024-03-05|{\"note\":\"prefers WeChat, not e-mail\"}" \
    "$(q "SELECT customer_id, name, email, phone, city, signup_date, extra
	FROM customers WHERE customer_id = 'C001'")"
t_eq "empty value stored as NULL" 1 \
    "$(q "SELECT extra IS NULL FROM customers WHERE customer_id = 'C002'")"

# Two inputs whose headers put the fields in other places: each record is
# normalized, stored and written by its own names.
t_run store-two-headers 0 -- crm-ingest --db two.db in/customers.csv \
    in/reordered.csv
t_eq "second header's rows stored by name" \
    "C101|Ann Lee|ann@example.com|Paris C102|Bo Chen|bo@example.com|Berlin" \
    "$(sqlite3 -batch -noheader two.db "SELECT group_concat(r, ' ') FROM
	(SELECT customer_id || '|' || name || '|' || email || '|' || city AS r
	FROM customers WHERE customer_id > 'C100' ORDER BY 1)")"

# --rejects may not be the store, a link to it, its WAL, or an input: it
# would be emptied before anything is read.
q .dump >kept.sql
t_ok "--rejects naming the store is a usage error" sh -c \
    'crm-ingest --db crm.db --rejects crm.db in/bad.csv 2>err; test $? = 64 &&
    grep -q "rejects .crm.db. is the store" err'
ln -s crm.db link.db
t_ok "--rejects naming a link to the store too" sh -c \
    'crm-ingest --db crm.db --rejects link.db in/bad.csv 2>/dev/null;
    test $? = 64'
t_ok "--rejects naming the store's WAL too" sh -c \
    'crm-ingest --db crm.db --rejects crm.db-wal in/bad.csv 2>/dev/null;
    test $? = 64'
cp in/bad.csv mine.csv
t_ok "--rejects naming an input too" sh -c \
    'crm-ingest --db crm.db --rejects mine.csv mine.csv 2>/dev/null;
    test $? = 64 && cmp -s mine.csv in/bad.csv'
q .dump >after.sql
t_ok "the store kept every row" cmp -s kept.sql after.sql

# Loading the same file again changes nothing.
q .dump >before.sql
t_run store-again 0 -- crm-ingest --db crm.db in/customers.csv
q .dump >after.sql
t_ok "second load leaves the store byte for byte" cmp before.sql after.sql

# A file with fewer columns updates those and keeps the others.
t_run store-partial 0 -- crm-ingest --db crm.db in/update.csv
t_eq "partial update keeps email and note" \
    "C001|Zhang Wei|zhang.wei@example.com|13800138999|Beijing|{\"note\":\"prefers WeChat, not e-mail\",\"tier\":\"gold\"}" \
    "$(q "SELECT customer_id, name, email, phone, city, extra
	FROM customers WHERE customer_id = 'C001'")"

# JSON null in an extra field removes it; numbers keep their text.
t_run store-jsonl 0 -- crm-ingest --db crm.db in/update.jsonl
t_eq "null removes an extra key, numbers kept as written" \
    "{\"note\":\"prefers WeChat, not e-mail\",\"visits\":12345678901234567890,\"ltv\":1.10}" \
    "$(q "SELECT extra FROM customers WHERE customer_id = 'C001'")"

# Events: keyed by event_id, or by a hash of the record.
t_run store-events 0 -- crm-ingest --db crm.db --kind events in/events.jsonl
t_run store-events-again 0 -- crm-ingest --db crm.db --kind events \
    in/events.jsonl
t_eq "four events, amounts numeric" "4|234.5" \
    "$(q 'SELECT count(*), sum(amount) FROM events')"
t_eq "event keys" "E1 E4 2" "$(q "SELECT group_concat(event_key, ' ')
	FROM (SELECT event_key FROM events WHERE length(event_key) < 5
	ORDER BY 1)") $(q 'SELECT count(*) FROM events WHERE length(event_key) = 32')"

# Rejected rows are counted, never stored, never lost.
t_run store-bad 65 -- crm-ingest --db crm.db --rejects rej.csv in/bad.csv
t_eq "only the good rows stored" "B1 B10" \
    "$(q "SELECT group_concat(customer_id, ' ') FROM (SELECT customer_id
	FROM customers WHERE customer_id LIKE 'B%' ORDER BY 1)")"

# Tables of one's own (--table); SQL in a header or a value is data.
t_run store-sql-header 0 -- crm-ingest --db crm.db --table docs \
    --key id in/sql-header.csv
t_eq "tables intact" "agent_skills agents assignments audit_state clusters consent customers decisions docs events experiments journey_actions journey_runs journey_state labels link_labels merge_rows merges models notifications person_events persons tag_history tags ticket_events tickets" \
    "$(q "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
	WHERE type = 'table' ORDER BY 1)")"
t_eq "hostile header is a column name" 'x"); DROP TABLE customers; --' \
    "$(q "SELECT name FROM pragma_table_info('docs') WHERE name LIKE 'x%'")"
t_eq "hostile value is a value" "S1|Robert'); DROP TABLE customers;--" \
    "$(q 'SELECT _key, "name" FROM (SELECT _key, id AS name FROM docs)' | \
	sed 's/|S1$//')|$(q 'SELECT "x""); DROP TABLE customers; --" FROM docs')"
# Columns ignore case, so the second of "Name" and "name" goes to _extra,
# as do names no column can have.
t_run store-generic-case 0 -- crm-ingest --db crm.db --table docs \
    --key id in/case-clash.jsonl
t_eq "case clash and odd names kept in _extra" \
    'a|{"name":"b","":"empty","_x":1}' \
    "$(q "SELECT Name, _extra FROM docs WHERE id = 'S9'")"
t_run store-generic-newcol 0 -- crm-ingest --db crm.db --table docs \
    --key id in/newcol.jsonl
t_eq "new field becomes a column" "S2|blue" \
    "$(q "SELECT id, colour FROM docs WHERE id = 'S2'")"

# Bad stores.
printf 'this is not a database, just text\n%.0s' $(seq 200) >notdb.db
t_run store-not-a-db 65 -- crm-ingest --db notdb.db in/customers.csv
t_run store-cannot-create 73 -- crm-ingest --db no/such/dir/crm.db \
    in/customers.csv
CRM_DB=env.db crm-ingest -q in/customers.csv >/dev/null
t_eq "CRM_DB names the store" 5 \
    "$(sqlite3 env.db 'SELECT count(*) FROM customers')"
sqlite3 future.db 'PRAGMA user_version = 99'
t_run store-future 69 -- crm-ingest --db future.db in/customers.csv

# A store another writer holds past --busy-timeout: exit 75, said once.
crm-ingest -q --db busy.db in/customers.csv >/dev/null
{
	printf 'BEGIN IMMEDIATE;\n'
	sleep 3
	printf 'COMMIT;\n'
} | sqlite3 busy.db &
locker=$!
sleep 0.5
t_run store-busy 75 -- crm-ingest --busy-timeout 200 --db busy.db \
    in/update.csv
wait "$locker"
t_eq "busy store unchanged" "13800138000" \
    "$(sqlite3 busy.db "SELECT phone FROM customers WHERE customer_id = 'C001'")"

# Standard output that cannot be written: said once, without an input line
# (the output failed, not the record), and nothing counted as written that
# did not reach it; the run stops there, and the store holds every record
# read (the summary's count), in whole batches.
"$TOP/scripts/gen-customers.sh" 3000 5 >many.csv
t_run stdout-full 74 -- sh -c 'crm-ingest many.csv >/dev/full'
t_run stdout-full-store 74 -- sh -c \
    'crm-ingest --db full.db --output-format jsonl many.csv >/dev/full'
t_eq "stdout full: the store has every record read" 361 \
    "$(sqlite3 full.db 'SELECT count(*) FROM customers')"

# A store on a read-only medium is named as such (needs a tmpfs mount:
# skipped where the test may not mount).
mkdir ro
if mount -t tmpfs -o size=1m tmpfs ro 2>/dev/null; then
	crm-ingest -q --db ro/crm.db in/customers.csv >/dev/null
	mount -o remount,ro ro
	t_run store-read-only 73 -- crm-ingest --db ro/crm.db in/update.csv
	t_run store-read-only-new 73 -- crm-ingest --db ro/new.db \
	    in/update.csv
	umount ro
else
	t_pass "store-read-only # SKIP cannot mount a tmpfs here"
	t_pass "store-read-only-new # SKIP cannot mount a tmpfs here"
fi

t_done
