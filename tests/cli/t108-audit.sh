# The tamper-evident audit log: every decision is chained (content hash,
# chain hash); crm-mask verify passes an intact store and finds a row
# changed, deleted or moved with sqlite3, naming it; two writers at once
# keep one valid chain; and each tool fills decisions.subject, so one
# query finds a customer's decisions across crm-churn, crm-intent and
# crm-route (and crm-tag's tags, segments and clusters).
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use audit

q() { sqlite3 -batch -noheader "$1" "$2"; }
C=$TOP/testdata/churn

# One customer, 0005-TEST, decided about by three tools.
crm-churn train -q --db s.db --label-field Churn --id-field customerID \
    "$C/telco-like.csv"
crm-churn -q --db s.db --id-field customerID "$C/score.csv" >/dev/null
cat >msg.jsonl <<'EOF2'
{"id":"m1","customer_id":"0005-TEST","text":"I want a refund for my order"}
{"id":"m2","text":"where is my parcel"}
{"id":"m3","customer_id":"0020-TEST","text":"cancel my account"}
EOF2
crm-intent -q --db s.db msg.jsonl >/dev/null
cat >tk.jsonl <<'EOF2'
{"id":"T1","customer_id":"0005-TEST","text":"refund please, the order came broken"}
{"id":"T2","customer_id":"0040-TEST","text":"how do I change my password"}
EOF2
crm-route -q --db s.db --now 2026-01-01T00:00:00Z tk.jsonl >/dev/null
cat >c.csv <<'EOF2'
customer_id,city,recency,frequency,monetary
0005-TEST,Beijing,3,10,500
0020-TEST,Shanghai,40,2,30
0040-TEST,Beijing,200,1,5
EOF2
printf 'bj: city = %s\nall: 1\n' "'Beijing'" >t.rules
crm-tag -q --db s.db --rules t.rules --rfm c.csv >/dev/null

t_eq "a customer's decisions across the tools, by subject" \
"crm-churn|churn|0005-TEST|low
crm-intent|intent|m1|return_refund
crm-route|routing|T1|{\"priority\":\"P4\",\"queue\":\"general\",\"assignee\":null}
crm-tag|t.rules|0005-TEST|bj
crm-tag|t.rules|0005-TEST|all
crm-tag|rfm|0005-TEST|Champions" \
    "$(q s.db "SELECT tool, model, record_key, output FROM decisions
	WHERE subject = '0005-TEST' ORDER BY id")"
t_eq "a message without customer_id has no subject" "m2|" \
    "$(q s.db "SELECT record_key, subject FROM decisions
	WHERE tool = 'crm-intent' AND subject IS NULL")"
t_eq "every row is hashed" 0 \
    "$(q s.db "SELECT count(*) FROM decisions WHERE length(content_hash)
	!= 64 OR length(chain_hash) != 64")"

# crm-recommend and crm-dedupe: the record's customer is the subject.
R=$TOP/testdata/recommend
crm-ingest -q --db rd.db "$R/shop-customers.jsonl" >/dev/null
crm-ingest -q --db rd.db --kind events "$R/shop-events.jsonl" >/dev/null
crm-recommend train -q --db rd.db --from-store
crm-recommend -q --db rd.db --from-store >/dev/null
crm-ingest -q --db rd.db "$TOP/testdata/dedupe/customers.csv" >/dev/null
crm-dedupe -q --db rd.db --from-store >/dev/null
t_eq "crm-recommend and crm-dedupe: the subject is the customer" \
    "crm-dedupe|1|1
crm-recommend|1|1" \
    "$(q rd.db "SELECT tool, count(*) > 0, min(subject = record_key)
	FROM decisions GROUP BY tool ORDER BY tool")"
t_run intact-rd 0 -- crm-mask verify --db rd.db

t_run intact 0 -- crm-mask verify --db s.db
n=$(q s.db 'SELECT max(id) FROM decisions')

# tamper NAME SQL: a copy of the store changed by SQL.
tamper() {
	c_copy s.db "$1.db"
	q "$1.db" "$2"
}
tamper changed "UPDATE decisions SET output = 'medium' WHERE id = 3"
t_run changed 65 -- crm-mask verify --db changed.db
tamper reasons "UPDATE decisions SET reasons = '[]' WHERE id = 2"
t_run reasons 65 -- crm-mask verify --db reasons.db
tamper subject "UPDATE decisions SET subject = 'C999' WHERE id = 7"
t_run subject 65 -- crm-mask verify --db subject.db
tamper deleted "DELETE FROM decisions WHERE id = 4"
t_run deleted 65 -- crm-mask verify --db deleted.db
tamper deleted-two "DELETE FROM decisions WHERE id IN (4, 5)"
t_run deleted-two 65 -- crm-mask verify --db deleted-two.db
tamper reordered "UPDATE decisions SET id = -1 WHERE id = 2;
    UPDATE decisions SET id = 2 WHERE id = 6;
    UPDATE decisions SET id = 6 WHERE id = -1"
t_run reordered 65 -- crm-mask verify --db reordered.db
tamper copied "INSERT INTO decisions(id, time, tool, model, model_version,
    record_key, subject, output, score, reasons, content_hash, chain_hash)
    SELECT $((n + 5)), time, tool, model, model_version, record_key,
    subject, output, score, reasons, content_hash, chain_hash
    FROM decisions WHERE id = 3"
t_run copied 65 -- crm-mask verify --db copied.db
tamper unhashed "INSERT INTO decisions(time, tool, output)
    VALUES ('2026-01-01', 'crm-churn', 'low')"
t_run unhashed 65 -- crm-mask verify --db unhashed.db

t_run no-store 66 -- crm-mask verify --db nothere.db
t_ok "verify makes no store" test ! -e nothere.db
t_run no-db 64 -- crm-mask verify
t_run no-verb 64 -- crm-mask

# Two writers at once, turn about: each reads a fifo that pauses, so
# that each commits part of its decisions while the other waits, and
# the rows of the two interleave in one chain.
awk -F, 'NR == 1 { print; next } { r[NR - 2] = $0 }
    END { for (i = 1; i <= 600; i++) { l = r[i % 60]
	sub(/^[^,]*/, sprintf("S%05d", i), l); print l } }' \
    "$C/telco-like.csv" >big.csv
awk 'BEGIN { for (i = 1; i <= 600; i++)
    printf "{\"id\":\"x%d\",\"customer_id\":\"S%05d\",\"text\":\"refund my order %d\"}\n",
	i, i, i }' >big.jsonl
c_copy s.db two.db
c_feed big.csv 301 churn.fifo
crm-churn -q --db two.db --id-field customerID churn.fifo >/dev/null &
p1=$!
c_pid=$p1
c_wait two.db "SELECT count(*) = 300 FROM decisions WHERE tool = 'crm-churn'
    AND record_key LIKE 'S%'" || true
c_feed big.jsonl 300 intent.fifo
crm-intent -q --db two.db intent.fifo >/dev/null &
p2=$!
c_pid="$p1 $p2"
c_wait two.db "SELECT count(*) = 300 FROM decisions WHERE tool = 'crm-intent'
    AND record_key LIKE 'x%'" || true
c_go
wait $p1 && wait $p2
t_eq "two writers: every decision" "600|600" \
    "$(q two.db "SELECT (SELECT count(*) FROM decisions WHERE tool =
	'crm-churn' AND record_key LIKE 'S%'), (SELECT count(*) FROM
	decisions WHERE tool = 'crm-intent' AND record_key LIKE 'x%')")"
t_eq "two writers: their rows interleave" 1 \
    "$(q two.db "SELECT (SELECT max(id) FROM decisions WHERE tool =
	'crm-churn') > (SELECT min(id) FROM decisions WHERE tool =
	'crm-intent' AND record_key LIKE 'x%')")"
t_run two-writers 0 -- crm-mask verify --db two.db

# And racing freely: two scoring runs of 600 each, at once.
c_copy s.db race.db
crm-churn -q --db race.db --id-field customerID big.csv >/dev/null &
p1=$!
crm-intent -q --db race.db big.jsonl >/dev/null &
p2=$!
c_pid="$p1 $p2"
wait $p1 && wait $p2
c_pid=
t_run race 0 -- crm-mask verify --db race.db

t_done
