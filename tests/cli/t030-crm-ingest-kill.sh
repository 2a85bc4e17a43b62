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

# The input arrives in two parts with a pause between them, and the kill
# lands in the pause: after `cut` lines were read, while later lines are
# still to come.  Random timing cannot promise to hit the middle of a run.
killed_run() { # killed_run DB FILE CUT
	rm -f fifo
	mkfifo fifo
	{
		head -n "$3" "$2"
		sleep 30
		tail -n "+$(($3 + 1))" "$2"
	} >fifo &
	feeder=$!
	crm-ingest -q --batch 1000 --db "$1" <fifo >/dev/null 2>&1 &
	pid=$!
	# Wait until the first part is stored, as far as whole batches go.
	want=$(((($3 - 1) / 1000) * 1000))
	i=0
	while [ "$i" -lt 100 ]; do
		got=$(sqlite3 "$1" 'SELECT count(*) FROM customers' 2>/dev/null ||
		    echo 0)
		[ "$got" -ge "$want" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pkill -P "$feeder" 2>/dev/null || true
	kill "$feeder" 2>/dev/null || true
	wait "$feeder" 2>/dev/null || true
}

for cut in 2500 17001 33333; do
	rm -f k.db k.db-wal k.db-shm
	killed_run k.db first.csv "$cut"
	had=$(sqlite3 k.db 'SELECT count(*) FROM customers')
	t_eq "killed after line $cut: whole batches only" \
	    "$((((cut - 1) / 1000) * 1000))" "$had"
	crm-ingest -q --db k.db first.csv >/dev/null
	sqlite3 k.db '.dump customers' >k1.sql
	t_ok "killed after line $cut, run again: as if never interrupted" \
	    cmp ref1.sql k1.sql

	# Killed in the middle of a run of updates.
	killed_run k.db second.csv "$cut"
	crm-ingest -q --db k.db second.csv >/dev/null
	sqlite3 k.db '.dump customers' >k2.sql
	t_ok "update killed after line $cut, run again: as if never" cmp \
	    ref2.sql k2.sql
	t_eq "integrity after line $cut" ok \
	    "$(sqlite3 k.db 'PRAGMA integrity_check')"
done

# And at random moments of an uninterrupted run.
"$TOP/scripts/gen-customers.sh" 150000 9 >third.csv
crm-ingest -q --db ref3.db third.csv >/dev/null
sqlite3 ref3.db '.dump customers' >ref3.sql
for delay in 0.05 0.2 0.4; do
	rm -f r.db r.db-wal r.db-shm
	crm-ingest -q --batch 1000 --db r.db third.csv >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	had=$(sqlite3 r.db 'SELECT count(*) FROM customers' 2>/dev/null ||
	    echo 0)
	t_eq "killed after ${delay}s: whole batches only ($had rows)" 0 \
	    "$((had % 1000))"
	crm-ingest -q --db r.db third.csv >/dev/null
	sqlite3 r.db '.dump customers' >r.sql
	t_ok "killed after ${delay}s, run again: as if never interrupted" \
	    cmp ref3.sql r.sql
done

t_done
