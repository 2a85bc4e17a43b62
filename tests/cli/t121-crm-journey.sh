# t121-crm-journey: 60 simulated days of a winback journey, run day by
# day with --as-of over hand-made customers, events, consent, a tag and
# a person of two records (testdata/journey/README.md): the actions are
# exactly the list written by hand before the tool ran, caps and exits
# hold, a day run twice adds nothing, an earlier --as-of is refused,
# every decision is audited; bad journey files are named by file:line.
. "$TOP/tests/lib.sh"
t_use journey

q() { sqlite3 -batch -noheader crm.db "$@"; }
crm-ingest -q --db crm.db in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null
q "INSERT INTO tags(customer_id, tag, rule, time)
   VALUES ('B2', 'vip', 'manual', '2026-01-01');
   INSERT INTO clusters(record_id, cluster_id, score, time)
   VALUES ('F6', 'F6', NULL, '2026-01-01'), ('F7', 'F6', 0.95, '2026-01-01')"

cp crm.db fresh.db
cp crm.db vip.db
cp crm.db nowait.db

journey() {
	crm-journey -q --db crm.db --journey in/winback.journey \
	    --output-format tsv --as-of "$1T23:00:00Z" | tail -n +2
}

# ---- 60 days, one run a day at 23:00 --------------------------------------

: >got.tsv
again=
i=0
while [ $i -lt 60 ]; do
	day=$(date -u -d "2026-03-01 + $i days" +%F)
	journey "$day" | sed "s/^/$day	/" >>got.tsv
	# 03-08: B2's capped nudge goes out; the same moment again sends
	# nothing
	[ "$day" = 2026-03-08 ] && again=$(journey "$day")
	i=$((i + 1))
done
t_ok "the actions of 60 days are the hand-made list" \
    cmp got.tsv in/expected.tsv
t_eq "03-08 run twice: nothing the second time" "" "$again"
t_eq "every action once in the store" "17|17" \
    "$(q "SELECT count(*), count(DISTINCT subject || stage || try)
	FROM journey_actions")"
# no 3 emails to one customer within 7 days (the cap 2/7d)
t_eq "the email cap holds" 0 "$(q "SELECT count(*) FROM journey_actions a
    WHERE channel = 'email' AND (SELECT count(*) FROM journey_actions b
	WHERE b.subject = a.subject AND b.channel = 'email'
	AND b.time <= a.time
	AND julianday(b.time) > julianday(a.time) - 7) > 2")"
t_eq "where each customer ended" "A1|done|last
B2|converted|offer
C3|exited|nudge
D4|done|last
F6|exited|nudge
G8|waiting|nudge" "$(q "SELECT subject, status, stage FROM journey_state
    ORDER BY 1")"
t_eq "the exits' reasons" "B2|goal converted: days_since_last_order < days_in_journey
C3|exit unsubscribed: has(withdrawn, 'marketing_email')
F6|exit unsubscribed: has(withdrawn, 'marketing_email')" \
    "$(q "SELECT subject, reason FROM journey_state
	WHERE status IN ('converted', 'exited') ORDER BY 1")"
t_eq "every decision audited, about its customer" \
    "capped|3
converted|1
done|2
entered|6
exited|2
sent|17
skipped|1
suppressed|1" "$(q "SELECT output, count(*) FROM decisions
    WHERE tool = 'crm-journey' AND model = 'winback'
    AND subject IN ('A1', 'B2', 'C3', 'D4', 'F6', 'G8')
    GROUP BY output ORDER BY 1")"
t_eq "one run a day" "60|17" "$(q "SELECT count(*), sum(actions)
    FROM journey_runs WHERE journey = 'winback'")"

# the last day again, with its summary; an earlier day is refused
t_run last-again 0 -- crm-journey --db crm.db --journey in/winback.journey \
    --as-of 2026-04-29T23:00:00Z
t_run earlier 65 -- crm-journey --db crm.db --journey in/winback.journey \
    --as-of 2026-04-01T23:00:00Z
t_eq "nothing changed by either" 17 \
    "$(q "SELECT count(*) FROM journey_actions")"

# erasure takes a customer's journeys and actions, a person's too
crm-mask erase -q --db crm.db A1 F6 >/dev/null
t_eq "erased: A1's and the person F6's journeys" "0|0" \
    "$(q "SELECT (SELECT count(*) FROM journey_state WHERE subject IN
	('A1', 'F6')), (SELECT count(*) FROM journey_actions
	WHERE subject IN ('A1', 'F6'))")"

# ---- Per record: F6 alone has not ordered since 01-15 ---------------------

# on the first day, F6 enters by itself; as a person, with F7, it did not
t_run by-record 0 -- crm-journey -q --db fresh.db \
    --journey in/winback.journey --by record --as-of 2026-03-01T23:00:00Z \
    --output-format csv

# ---- A trigger: a change of segment since the last run -------------------

# B2 vip since January; D4 becomes vip on 03-02; E5 was, and stops on
# 03-02 (tag_history as crm-tag keeps it).  The first run counts every
# tag that began before it; then only the changes since the run before.
sqlite3 vip.db "INSERT INTO tags(customer_id, tag, rule, time)
    VALUES ('D4', 'vip', 'manual', '2026-03-02T09:00:00Z');
    INSERT INTO tag_history(customer_id, tag, began, ended) VALUES
    ('B2', 'vip', '2026-01-01', NULL),
    ('D4', 'vip', '2026-03-02T09:00:00Z', NULL),
    ('E5', 'vip', '2026-01-01', '2026-03-02T10:00:00Z')"
: >vip.tsv
for day in 2026-03-01 2026-03-02 2026-03-03 2026-03-04; do
	crm-journey -q --db vip.db --journey in/vip.journey \
	    --as-of "${day}T23:00:00Z" --output-format tsv |
	    tail -n +2 | sed "s/^/$day	/" >>vip.tsv
done
t_ok "vip-welcome: the actions of the hand-made list" \
    cmp vip.tsv in/vip-expected.tsv
t_eq "E5 left the segment: out of the journey" \
    "B2|done
D4|done
E5|exited" "$(sqlite3 vip.db "SELECT subject, status FROM journey_state
    ORDER BY 1")"

# ---- No wait: the same moment again still sends nothing -------------------

nowait() {
	crm-journey -q --db nowait.db --journey in/nowait.journey \
	    --output-format tsv --as-of "$1" | tail -n +2 | cut -f 1,3,6
}
t_eq "no wait: one action at 10:00" "A1	a	1" \
    "$(nowait 2026-03-01T10:00:00Z)"
t_eq "no wait: 10:00 again sends nothing" "" \
    "$(nowait 2026-03-01T10:00:00Z; nowait 2026-03-01T10:00:00Z)"
t_eq "no wait: the retry and the next stage at the next runs" "A1	a	2
A1	b	1" "$(nowait 2026-03-01T11:00:00Z; nowait 2026-03-01T12:00:00Z)"

# the next stage, taken at once, is judged by its own stage and tries
t_eq "a stage taken at once sees its own facts" "A1	a	1
A1	b	1" "$(crm-journey -q --db nowait.db --journey in/facts.journey \
	--output-format tsv --as-of 2026-03-02T10:00:00Z | tail -n +2 |
	cut -f 1,3,6
    crm-journey -q --db nowait.db --journey in/facts.journey \
	--output-format tsv --as-of 2026-03-02T11:00:00Z | tail -n +2 |
	cut -f 1,3,6)"

# a customer rejected: the run goes on with the others (no --max-errors)
rc=0
crm-journey -q --db nowait.db --journey in/reject.journey \
    --output-format tsv --as-of 2026-03-03T10:00:00Z --rejects rej.csv \
    >reject.tsv 2>/dev/null || rc=$?
t_eq "one customer rejected, exit 65" 65 "$rc"
t_eq "the others sent to" "B2	a
C3	a" "$(tail -n +2 reject.tsv | cut -f 1,3)"
t_eq "the rejected named" "store,1,,in/reject.journey:5: malformed JSON" \
    "$(tail -n +2 rej.csv | cut -d, -f 1-4)"

# ---- Bad journey files and usage ------------------------------------------

for bad in keyword fact channel cap twice setting sql empty; do
	t_run "bad-$bad" 65 -- crm-journey --db crm.db \
	    --journey "in/bad-$bad.journey" --as-of 2026-05-01
done
t_run no-journey 64 -- crm-journey --db crm.db
t_run no-db 64 -- crm-journey --journey in/winback.journey
t_run missing-db 66 -- crm-journey --db nothing.db \
    --journey in/winback.journey
t_run operand 64 -- crm-journey --db crm.db --journey in/winback.journey x

t_done
