# crm-route --db killed with SIGKILL, then run again: tickets, agents and
# their loads end as a clean run leaves them; the killed run left whole
# batches only, each ticket with its agent's load and its decision.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use route

# 1200 tickets in id order; three agents with room for 450 of them, so
# which tickets wait depends on everything routed before.
/usr/bin/python3 "$TOP/scripts/gen-tickets.py" -n 1200 --seed 4 t.jsonl
cat >agents.csv <<'EOF'
agent_id,name,skills,capacity
a1,Ana,"billing,senior,general",150
a2,Bo,"accounts,logistics,general",100
a3,Chen,"product,general,billing",200
EOF
crm-route agents -q --db base.db agents.csv >/dev/null
c_script route 'crm-route -q --db "$1" --now 2026-01-01T00:00:00Z "$2" >/dev/null'
tickets() {
	c_q "$1" 'SELECT ticket_id, parent_id, customer_id, priority, queue,
	    skill, sla_due, assignee, status, closed IS NOT NULL FROM tickets
	    ORDER BY 1'
}
agents() {
	c_q "$1" 'SELECT agent_id, name, skills, capacity, load, on_shift
	    FROM agents ORDER BY 1' 'SELECT * FROM agent_skills ORDER BY 1, 2'
}
decisions() {
	c_q "$1" 'SELECT tool, model, model_version, record_key, output,
	    score, reasons FROM decisions ORDER BY id'
}
loads() {
	c_q "$1" "SELECT count(*) FROM agents WHERE load != (SELECT count(*)
	    FROM tickets WHERE assignee = agent_id AND status IN ('open', 'pending', 'on-hold', 'reopened'))"
}

c_copy base.db ref.db
c_clean_time ./route ref.db t.jsonl
tickets ref.db >clean.tickets
agents ref.db >clean.agents
decisions ref.db >clean.decisions
t_eq "clean run: some tickets wait (the test means something)" \
    "new|750 open|450" "$(c_q ref.db "SELECT status, count(*)
    FROM tickets WHERE status != 'solved' GROUP BY 1" | paste -sd' ')"

# killed NAME [N]: the killed run's tickets are the first N of the clean
# run's (by default, whole batches of 1000), each with its decision, and
# the loads count them.
killed() {
	t_eq "$1: integrity" ok "$(c_q k.db 'PRAGMA integrity_check')"
	tickets k.db >killed
	n=$(wc -l <killed)
	c_prefix "$n" clean.tickets
	if [ $# -gt 1 ]; then
		t_eq "$1: the clean run's first $2 tickets" "$2 1" \
		    "$n $c_whole"
	else
		t_eq "$1: whole batches of the clean run's tickets ($n)" 1 \
		    "$(((n % 1000 == 0 || n == 1200) && c_whole))"
	fi
	decisions k.db >killed
	c_prefix "$n" clean.decisions
	t_eq "$1: one decision per stored ticket" "$n 1" \
	    "$(wc -l <killed | tr -d ' ') $c_whole"
	cp killed killed.decisions
	t_eq "$1: each agent's load is its open tickets" 0 "$(loads k.db)"
}

# again NAME: the same command run again; the audit log keeps the killed
# run's decisions, and the new run's are the clean run's.
again() {
	timeout "$C_WAIT" ./route k.db t.jsonl
	tickets k.db >k.tickets
	agents k.db >k.agents
	decisions k.db >k.decisions
	t_ok "$1, run again: tickets as if never interrupted" \
	    cmp clean.tickets k.tickets
	t_ok "$1, run again: agents and loads as if never interrupted" \
	    cmp clean.agents k.agents
	# The decisions table is an append-only log: a ticket routed again
	# is logged again (crm-route(1): "every decision goes to the
	# decisions table"), so the killed run's rows stay before the new.
	cat killed.decisions clean.decisions >want.decisions
	t_ok "$1, run again: the log is the killed run's then a clean run's" \
	    cmp want.decisions k.decisions
	t_eq "$1, run again: integrity" ok \
	    "$(c_q k.db 'PRAGMA integrity_check')"
}

# Killed while the input pauses after CUT tickets, all of them stored (a
# batch is committed whenever the input would block).
for cut in 600 1100; do
	c_copy base.db k.db
	c_feed t.jsonl "$cut"
	c_start ./route k.db fifo
	c_wait k.db "SELECT count(*) = $cut FROM tickets" || true
	c_kill
	c_go
	t_eq "killed after ticket $cut: killed mid-run" 1 "$c_alive"
	killed "killed after ticket $cut" "$cut"
	again "killed after ticket $cut"
done

# Killed at random moments of a run from a file.
for d in $(c_delays 1); do
	c_copy base.db k.db
	c_start ./route k.db t.jsonl
	sleep "$d"
	c_kill
	killed "killed after ${d}s"
	again "killed after ${d}s"
done

# Closing: `crm-route close' closes tickets, each agent's load going down
# in the ticket's transaction with its audit row, and at the end hands
# waiting tickets to the agents it freed.  Killed while its input
# pauses, it has closed what it read and handed nothing on; run again,
# it refuses to close those twice (65) and ends as a clean run.
c_copy ref.db routed.db
{
	echo id
	c_q routed.db "SELECT ticket_id FROM tickets WHERE status = 'open'
	    ORDER BY 1 LIMIT 300"
} >close.csv
c_script close 'crm-route close -q --as-of 2026-01-01T01:00:00Z --rejects close.rej --db "$1" "$2"'
base=$(c_q routed.db 'SELECT max(id) FROM decisions')
closes() {
	tickets "$1"
	agents "$1"
	c_q "$1" "SELECT tool, model, model_version, record_key, output,
	    score, reasons FROM decisions WHERE id > $base ORDER BY id"
}
c_copy routed.db ref2.db
timeout "$C_WAIT" ./close ref2.db close.csv
closes ref2.db >clean.closes
t_eq "close: a clean run closes 300 and hands on as many" "300 600" \
    "$(c_q ref2.db "SELECT count(*) FROM tickets WHERE status = 'closed'") \
$(c_q ref2.db "SELECT count(*) FROM decisions WHERE id > $base")"
c_copy routed.db k.db
c_feed close.csv 201
c_start ./close k.db fifo
c_wait k.db "SELECT count(*) = 200 FROM tickets WHERE status = 'closed'" ||
    true
c_kill
c_go
t_eq "close killed after 200 tickets: mid-run, 200 closed, none handed on" \
    "1 200 200" "$c_alive $(c_q k.db "SELECT count(*) FROM tickets
    WHERE status = 'closed'") $(c_q k.db "SELECT count(*) FROM decisions
    WHERE id > $base")"
t_eq "close killed after 200 tickets: each load is its open tickets" 0 \
    "$(loads k.db)"
t_eq "close killed after 200 tickets: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"
# the 200 closed already are refused (65), the rest closed
rc=0
timeout "$C_WAIT" ./close k.db close.csv || rc=$?
t_eq "close killed after 200 tickets, run again: 200 refused" "65 200" \
    "$rc $(($(wc -l <close.rej) - 1))"
closes k.db >k.closes
t_ok "close killed after 200 tickets, run again: as if never interrupted" \
    cmp clean.closes k.closes
t_eq "close killed after 200 tickets, run again: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"

# Killed handing on the first waiting ticket (stalled logging it): the
# closing and the handing on share a transaction, so nothing is stored.
c_copy routed.db k.db
c_pause_at k.db decisions 1
c_start ./close k.db close.csv
c_until c_stalled k.db || true
c_kill
c_unpause k.db
t_eq "close killed handing on: nothing closed, nothing handed on" "1 0 0" \
    "$c_alive $(c_q k.db "SELECT count(*) FROM tickets
    WHERE status = 'closed'") $(c_q k.db "SELECT count(*) FROM decisions
    WHERE id > $base")"
t_eq "close killed handing on: each load is its open tickets" 0 \
    "$(loads k.db)"
timeout "$C_WAIT" ./close k.db close.csv
closes k.db >k.closes
t_ok "close killed handing on, run again: as if never interrupted" \
    cmp clean.closes k.closes
t_eq "close killed handing on, run again: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"

t_done
