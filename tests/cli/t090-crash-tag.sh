# crm-tag --db killed with SIGKILL, then run again: the tags table ends as
# a clean run leaves it, and the killed run left whole batches only.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use tag

# 8000 customers; tags by three rules, so a record is three writes to the
# tags table (a tag given, or taken away), and a batch of 5000 writes ends
# inside a record.  The store already holds the tags of older rules: the
# run adds tags, takes some away and rewrites the rule of others.
"$TOP/scripts/gen-customers.sh" 8000 5 >c.csv
sed 1d c.csv | cut -d, -f1 >ids
cat >old.rules <<'EOF'
all: 1
bj: city = 'Beijing'
long: length(note) > 30
EOF
cat >new.rules <<'EOF'
all: 1
bj: city IN ('Beijing', 'Shanghai')
long: length(note) > 40
EOF
c_script tag 'crm-tag -q --db "$1" --rules new.rules "$2" >/dev/null'
dump() { c_q "$1" 'SELECT customer_id, tag, rule FROM tags ORDER BY 1, 2'; }

crm-tag -q --db base.db --rules old.rules c.csv >/dev/null
dump base.db >base.sql
c_copy base.db ref.db
c_clean_time ./tag ref.db c.csv
dump ref.db >clean.sql
t_ok "the new rules change tags (the test means something)" \
    sh -c '! cmp -s base.sql clean.sql'

# expect N: the tags when the first N writes of the run are stored (the
# write of record r's tag t is number 3(r-1) + t), in ./expect.
expect() {
	awk -F'|' -v n="$1" '
	    BEGIN { t["all"] = 0; t["bj"] = 1; t["long"] = 2 }
	    FILENAME == "ids" { pos[$1] = FNR - 1; next }
	    { done = pos[$1] * 3 + t[$2] < n }
	    FILENAME == "base.sql" && !done || FILENAME == "clean.sql" && done' \
	    ids base.sql clean.sql | sort >expect
}

stored_as_expected() {
	dump k.db >killed
	cmp -s expect killed
}

# again NAME: after the kill the store is sound; the same command run
# again leaves exactly what the clean run left.
again() {
	t_eq "$1: integrity" ok "$(c_q k.db 'PRAGMA integrity_check')"
	timeout "$C_WAIT" ./tag k.db c.csv
	dump k.db >k.sql
	t_ok "$1, run again: as if never interrupted" cmp clean.sql k.sql
	t_eq "$1, run again: integrity" ok \
	    "$(c_q k.db 'PRAGMA integrity_check')"
}

# Killed while the input pauses after CUT lines: what was read is stored
# (a batch is committed when the input would block), nothing else.
for cut in 1001 4568; do
	c_copy base.db k.db
	c_feed c.csv "$cut"
	c_start ./tag k.db fifo
	expect $(((cut - 1) * 3))
	c_until stored_as_expected || true
	c_kill
	c_go
	t_eq "killed after line $cut: killed mid-run" 1 "$c_alive"
	dump k.db >killed
	t_ok "killed after line $cut: exactly the records read" \
	    cmp expect killed
	again "killed after line $cut"
done

# Killed at random moments of a run from a file, which never waits for
# input: batches of 5000 writes.
for d in $(c_delays 2); do
	c_copy base.db k.db
	c_start ./tag k.db c.csv
	sleep "$d"
	c_kill
	dump k.db >killed
	whole=none
	for n in 0 5000 10000 15000 20000 24000; do
		expect "$n"
		if cmp -s expect killed; then
			whole=$n
			break
		fi
	done
	t_ok "killed after ${d}s: whole batches only ($whole writes)" \
	    [ "$whole" != none ]
	again "killed after ${d}s"
done

t_done
