# crm-route sweep under concurrency (issue 20): four sweeps and four
# routers at once on one store, each several times with its own --as-of,
# the routers also closing tickets (room for the waiting ones).  Four
# agents of small capacity, a few hundred tickets, most of them past or
# near their SLA.  Then, from the store: every run exited 0 with no
# message; no agent over capacity, and each agent's load the count of its
# tickets in open, pending, on-hold or reopened; no ticket escalated twice
# for one breach; the decisions' chain intact.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use route

/usr/bin/python3 "$TOP/scripts/gen-tickets.py" -n 410 --seed 5 t.jsonl
cat >agents.csv <<'EOF'
agent_id,name,skills,capacity
a1,Ana,"general,billing,senior",3
a2,Bo,"general,logistics,accounts",3
a3,Cai,"billing,accounts",2
a4,Dee,"senior,general",2
EOF
cat >r.rules <<'EOF'
intent = 'payment_issue' OR intent = 'return_refund' -> queue=billing
intent = 'order_status' OR intent = 'change_address' -> queue=logistics
intent = 'account_login' -> queue=accounts
EOF

# The store: 250 tickets routed at t0 (the agents full, most of the rest
# past their SLA); the other 160 are the routers' (40 each, 5 runs of 8).
t0=2026-01-01T00:00:00Z
crm-route agents -q --db s.db agents.csv >/dev/null
head -n 250 t.jsonl |
	crm-route -q --rules r.rules --db s.db --as-of $t0 >/dev/null
for k in 0 1 2 3; do
	for i in 0 1 2 3 4; do
		from=$((251 + k * 40 + i * 8))
		sed -n "${from},$((from + 7))p" t.jsonl >route$k.$i.jsonl
	done
done
# Each router closes its share of the tickets open now (an agent has
# them, whatever the sweeps do), two hours on: after every other change.
c_q s.db "SELECT ticket_id FROM tickets WHERE status = 'open'
    ORDER BY ticket_id" | awk '{ printf "{\"id\":\"%s\",\"time\":\"%s\"}\n",
	$1, "2026-01-01T02:00:00Z" > ("close" (NR - 1) % 4 ".jsonl") }'
touch close0.jsonl close1.jsonl close2.jsonl close3.jsonl
t_eq "open tickets, and the breached among the others" "10 227" \
    "$(c_q s.db "SELECT sum(status = 'open'), sum(status = 'new'
	AND sla_due <= '$t0') FROM tickets" | tr '|' ' ')"

# job KIND K: sweep K runs at 00:K0, 00:K4, ... 00:K+36 (sweeps meet at
# the same times: 00:04 is sweep 0's second and sweep 1's first); router
# K routes its five files at 00:0K, 00:1K, ... and closes.  Each waits for
# ./go, then writes its start and end times (ns) and one exit status a run.
cat >job <<'EOF'
#!/bin/sh
kind=$1 k=$2
while [ ! -e go ]; do sleep 0.01; done
date +%s%N >"$kind$k.start"
: >"$kind$k.rc"
for i in 0 1 2 3 4 5 6 7 8 9; do
	case $kind in
	sweep)	timeout 60 crm-route sweep -q --db s.db --warn 2h \
		    --as-of "$(printf '2026-01-01T00:%02d:00Z' $((k * 4 + i * 4)))"
		;;
	route)	[ "$i" -le 4 ] || break
		timeout 60 crm-route -q --rules r.rules --db s.db \
		    --as-of "$(printf '2026-01-01T00:%d%d:00Z' "$i" "$k")" \
		    "route$k.$i.jsonl"
		;;
	esac >>"$kind$k.out" 2>>"$kind$k.err"
	echo $? >>"$kind$k.rc"
done
if [ "$kind" = route ]; then
	timeout 60 crm-route close -q --db s.db "close$k.jsonl" \
	    >>"$kind$k.out" 2>>"$kind$k.err"
	echo $? >>"$kind$k.rc"
fi
date +%s%N >"$kind$k.end"
EOF
chmod +x job
jobs="sweep0 sweep1 sweep2 sweep3 route0 route1 route2 route3"
rm -f go
for j in $jobs; do
	./job "${j%?}" "${j#"${j%?}"}" &
	c_pid="$c_pid $!"
done
: >go
for p in $c_pid; do
	wait "$p" || true
done
c_pid=

t_eq "every run exited 0: 4 sweeps x 10, 4 routers x (5 routes, 1 close)" \
    "64 0" "$(cat ./*.rc | sort | uniq -c | awk '{ printf "%s %s", $1, $2 }')"
t_eq "no message" "" "$(cat ./*.err)"
first_end=$(cat ./*.end | sort -n | head -n 1)
last_start=$(cat ./*.start | sort -n | tail -n 1)
t_ok "the jobs overlapped: the last start before the first end" \
    [ "$last_start" -lt "$first_end" ]
t_eq "every ticket in the store" 410 "$(c_q s.db 'SELECT count(*) FROM tickets')"
t_eq "the sweeps escalated, raised and handed over; the routers closed" \
    "1 1 1 10" "$(c_q s.db "SELECT
    (SELECT count(*) > 0 FROM ticket_events WHERE event = 'escalated'),
    (SELECT count(*) > 0 FROM ticket_events WHERE event = 'priority'),
    (SELECT count(*) > 0 FROM ticket_events WHERE event = 'assigned'
	AND time > '$t0'),
    (SELECT count(*) FROM tickets WHERE status = 'closed')" | tr '|' ' ')"
t_eq "no agent over capacity, each load its tickets' count" "" \
    "$(c_q s.db "SELECT agent_id, load, capacity, (SELECT count(*)
    FROM tickets t WHERE t.assignee = a.agent_id AND t.status IN ('open',
	'pending', 'on-hold', 'reopened')) AS n FROM agents a
    WHERE load > capacity OR load <> n")"
t_eq "no ticket escalated twice for one breach" "" \
    "$(c_q s.db "SELECT ticket_id, reason, count(*) FROM ticket_events
    WHERE event = 'escalated' GROUP BY ticket_id, reason
    HAVING count(*) > 1")"
t_eq "each escalation marked on its ticket" "" \
    "$(c_q s.db "SELECT ticket_id FROM ticket_events e JOIN tickets t
    USING (ticket_id) WHERE e.event = 'escalated'
    AND e.reason IS NOT 'SLA breached at ' || t.escalated")"
t_eq "integrity" ok "$(c_q s.db 'PRAGMA integrity_check')"
t_eq "the decisions' chain is intact" \
    "crm-mask: verified $(c_q s.db 'SELECT count(*) FROM decisions') decisions: the chain is intact" \
    "$(crm-mask verify --db s.db 2>&1)"

t_done
