# kill -9 at any point, then run again: the store ends exactly as if the
# first run had never been interrupted, and every batch was all or nothing.
. "$TOP/tests/lib.sh"
t_use ingest

gen="$TOP/scripts/gen-customers.sh"
"$gen" 40000 7 >first.csv
"$gen" 40000 8 >second.csv # same ids, other values: updates

crm-ingest -q --db ref.db first.csv >/dev/null
sqlite3 ref.db '.dump customers' >ref1.sql
crm-ingest -q --db ref.db second.csv >/dev/null
sqlite3 ref.db '.dump customers' >ref2.sql

for delay in 0.02 0.1 0.3 0.6; do
	rm -f k.db k.db-wal k.db-shm
	crm-ingest -q --batch 1000 --db k.db first.csv >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	had=$(sqlite3 k.db 'SELECT count(*) FROM customers' 2>/dev/null ||
	    echo 0)
	t_eq "killed after ${delay}s: whole batches only ($had rows)" 0 \
	    "$((had % 1000))"
	crm-ingest -q --db k.db first.csv >/dev/null
	sqlite3 k.db '.dump customers' >k1.sql
	t_ok "killed after ${delay}s, run again: as if never interrupted" \
	    cmp ref1.sql k1.sql

	# Killed in the middle of an update run.
	crm-ingest -q --batch 1000 --db k.db second.csv >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	crm-ingest -q --db k.db second.csv >/dev/null
	sqlite3 k.db '.dump customers' >k2.sql
	t_ok "update killed after ${delay}s, run again: as if never" cmp \
	    ref2.sql k2.sql
	t_eq "integrity after ${delay}s" ok \
	    "$(sqlite3 k.db 'PRAGMA integrity_check')"
done

t_done
