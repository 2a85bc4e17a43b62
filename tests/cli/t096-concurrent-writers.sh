# All seven store writers on one store at once, each on its own input:
# every one exits 0, the store holds exactly the rows the same runs leave
# one after the other, and the runs really overlapped.  Each input comes
# through a fifo that pauses half-way; only once every run is seen in
# progress (its first half committed, or, for the tools that write at the
# end, its first half read) are the pauses ended, together.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use ingest

# Inputs whose keys do not meet (ids N..., G..., S..., U..., C...), so
# that no run's rows depend on another's.
"$TOP/scripts/gen-customers.sh" 1500 11 N >cust.csv
"$TOP/scripts/gen-customers.sh" 1000 12 G >tag.csv
/usr/bin/python3 "$TOP/scripts/gen-tickets.py" -n 1200 --seed 7 t.jsonl
/usr/bin/python3 "$TOP/scripts/gen-dedupe.py" -n 1200 --seed 8 dd.csv \
    truth.csv >/dev/null 2>&1
awk -F, 'NR == 1 { print; next } { r[NR - 2] = $0 }
    END { for (i = 1; i <= 1200; i++) { l = r[i % 60]
	sub(/^[^,]*/, sprintf("S%05d", i), l); print l } }' \
    "$TOP/testdata/churn/telco-like.csv" >churn.csv
awk 'BEGIN { srand(3); print "customer_id,item"
    for (c = 1; c <= 400; c++) for (k = 0; k < 6; k++)
	printf "U%04d,i%d%02d\n", c, c % 4, int(rand() * 15) }' >fit.csv
printf 'all: 1\nbj: city = %s\n' "'Beijing'" >tag.rules
cat >agents.csv <<'EOF'
agent_id,name,skills,capacity
a1,Ana,"billing,senior,general",300
a2,Bo,"accounts,logistics,general",200
EOF

# A store with agents and a churn model.
crm-route agents -q --db base.db agents.csv >/dev/null
crm-churn train -q --db base.db --id-field customerID --label-field Churn \
    "$TOP/testdata/churn/telco-like.csv"

# run DB NAME: the writer NAME on DB, reading ./NAME.in, with its start
# and end times (ns) in NAME.start and NAME.end.  --by record: the
# default mode is person once the store has clusters, which crm-dedupe
# writes alongside, so it would depend on which run came first.
cat >w <<'EOF'
#!/bin/sh
db=$1 n=$2 in=$2.in
date +%s%N >"$n.start"
case $n in
ingest)	timeout 120 crm-ingest -q --batch 200 --db "$db" "$in" ;;
tag)	timeout 120 crm-tag -q --db "$db" --by record --rules tag.rules "$in" ;;
route)	timeout 120 crm-route -q --db "$db" --by record \
	    --now 2026-01-01T00:00:00Z "$in" ;;
intent)	timeout 120 crm-intent -q --db "$db" "$in" ;;
churn)	timeout 120 crm-churn -q --db "$db" --id-field customerID "$in" ;;
dedupe)	timeout 120 crm-dedupe -q --db "$db" "$in" ;;
recommend) timeout 120 crm-recommend train -q --db "$db" --by record "$in" ;;
esac >"$n.out" 2>"$n.err"
rc=$?
date +%s%N >"$n.end"
exit $rc
EOF
chmod +x w
writers="ingest tag route intent churn dedupe recommend"
input() {
	case $1 in
	ingest) echo cust.csv 801 ;;
	tag) echo tag.csv 400 ;;
	route) echo t.jsonl 500 ;;
	intent) echo t.jsonl 700 ;;
	churn) echo churn.csv 300 ;;
	dedupe) echo dd.csv 600 ;;
	recommend) echo fit.csv 1200 ;;
	esac
}

dump() {
	c_q "$1" 'SELECT * FROM customers ORDER BY 1' \
	    'SELECT customer_id, tag, rule FROM tags ORDER BY 1, 2' \
	    'SELECT ticket_id, parent_id, customer_id, priority, queue, skill,
		sla_due, assignee, status, closed FROM tickets ORDER BY 1' \
	    'SELECT agent_id, load FROM agents ORDER BY 1' \
	    'SELECT record_id, cluster_id, score FROM clusters ORDER BY 1' \
	    'SELECT tool, model, model_version, record_key, output, score,
		reasons FROM decisions ORDER BY tool, id'
	c_models "$1"
}

# One after the other: the reference.
c_copy base.db ref.db
for n in $writers; do
	cp "$(input $n | cut -d' ' -f1)" $n.in
	./w ref.db $n
done
dump ref.db >ref.sql

# All at once.
c_copy base.db all.db
pids=
for n in $writers; do
	set -- $(input $n)
	c_feed "$1" "$2" $n.in
	./w all.db $n &
	pids="$pids $!"
	c_pid="$c_pid $!"
done
# In progress: what each has committed of its first half, or, for the
# two that write only at the end, that their first half is read.
c_wait all.db "SELECT
    (SELECT count(*) >= 600 FROM customers) AND
    (SELECT count(*) = 399 FROM tags WHERE tag = 'all') AND
    (SELECT count(*) = 500 FROM tickets) AND
    (SELECT count(*) = 700 FROM decisions WHERE tool = 'crm-intent') AND
    (SELECT count(*) = 299 FROM decisions WHERE tool = 'crm-churn')" || true
c_until test -e dedupe.in.fed -a -e recommend.in.fed || true
alive=0
for p in $pids; do
	if kill -0 "$p" 2>/dev/null; then alive=$((alive + 1)); fi
done
mid=$(date +%s%N)
c_go
status=
for p in $pids; do
	if wait "$p"; then status="$status 0"; else status="$status $?"; fi
done
c_pid=
t_eq "all seven in progress at once" 7 "$alive"
t_eq "all seven exit 0" " 0 0 0 0 0 0 0" "$status"
for n in $writers; do
	t_eq "$n: no message" "" "$(cat $n.err)"
done
# Every run started before that moment and ended after it.
first_end=$(cat *.end | sort -n | head -n 1)
last_start=$(cat *.start | sort -n | tail -n 1)
t_ok "the runs overlapped: the last start, then the first end" \
    [ "$last_start" -lt "$mid" -a "$mid" -lt "$first_end" ]
# And their writes interleaved: each of the three logs of decisions has
# rows committed before and after rows of each of the others.
t_eq "the decisions of route, intent and churn interleave" 1 "$(c_q all.db \
    "WITH r AS (SELECT tool, min(id) AS lo, max(id) AS hi FROM decisions
	WHERE tool IN ('crm-route', 'crm-intent', 'crm-churn') GROUP BY tool)
    SELECT count(*) = 6 FROM r a JOIN r b ON a.tool != b.tool
	AND a.lo < b.hi AND b.lo < a.hi")"
t_eq "every row: customers, tags, tickets, clusters, decisions, models" \
    "1500 1000 1200 1200 1200 1200 1200 1 churn dedupe recommend" \
    "$(c_q all.db "SELECT (SELECT count(*) FROM customers),
    (SELECT count(*) FROM tags WHERE tag = 'all'),
    (SELECT count(*) FROM tickets), (SELECT count(*) FROM clusters),
    (SELECT count(*) FROM decisions WHERE tool = 'crm-route'),
    (SELECT count(*) FROM decisions WHERE tool = 'crm-intent'),
    (SELECT count(*) FROM decisions WHERE tool = 'crm-churn'),
    (SELECT count(*) > 0 FROM decisions WHERE tool = 'crm-dedupe'),
    (SELECT group_concat(name, ' ') FROM
	(SELECT name FROM models ORDER BY name))" | tr '|' ' ')"
dump all.db >all.sql
t_ok "the store holds what the runs leave one after the other" \
    cmp ref.sql all.sql
t_eq "integrity" ok "$(c_q all.db 'PRAGMA integrity_check')"
# Seven writers, one hash chain over their interleaved decisions.
t_eq "the decisions' chain is intact" \
    "crm-mask: verified $(c_q all.db 'SELECT count(*) FROM decisions') decisions: the chain is intact" \
    "$(crm-mask verify --db all.db 2>&1)"

t_done
