# Four crm-ingest processes loading different files into one store at once
# all succeed, and every row is there.
. "$TOP/tests/lib.sh"
t_use ingest

gen="$TOP/scripts/gen-customers.sh"
for p in A B C D; do
	"$gen" 20000 3 "$p" >"$p.csv"
done
# Small batches so the writers take turns many times.
pids=
for p in A B C D; do
	crm-ingest --batch 200 --db shared.db "$p.csv" >"$p.out" 2>"$p.err" &
	pids="$pids $!"
done
status=
for pid in $pids; do
	if wait "$pid"; then
		status="$status 0"
	else
		status="$status $?"
	fi
done
t_eq "all four exit 0" " 0 0 0 0" "$status"
for p in A B C D; do
	t_eq "$p: summary" \
	    "crm-ingest: read 20000, written 20000, rejected 0; inserted 20000, updated 0, unchanged 0" \
	    "$(cat "$p.err")"
	t_eq "$p: all rows stored" 20000 "$(sqlite3 shared.db \
	    "SELECT count(*) FROM customers WHERE customer_id LIKE '$p%'")"
	t_eq "$p: all rows passed on" 20001 "$(wc -l <"$p.out" | tr -d ' ')"
done
t_eq "integrity" ok "$(sqlite3 shared.db 'PRAGMA integrity_check')"

t_done
