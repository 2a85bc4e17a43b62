# crm-route: a day of tickets through route, update and sweep at fixed
# times, every ticket's state, agent, priority and due time and every
# notification compared with files made by hand (testdata/life); parent
# tickets and their subtasks; changes refused; the sweep run twice; the
# SLA clock on business hours; a schema-8 store's tickets migrated.
. "$TOP/tests/lib.sh"
t_use life

q() { sqlite3 -batch -noheader crm.db "$@"; }
nq() { # the notifications as the expected file has them
	q "SELECT id, time, customer_id, ticket_id, state, template, lang,
	    status, send_after FROM notifications ORDER BY id"
}
N="--quiet-hours 22:00-07:00 --notify sent.jsonl"

crm-route agents -q --db crm.db in/agents.csv >/dev/null
crm-ingest -q --db crm.db in/customers.csv >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null

# 08:00.  T1 (billing, 4h) to Ana, T2 (logistics, 2h) to Bo; T3 needs
# both: the parent T3 and subtasks T3.1 (billing: Ana is full) and T3.2
# (logistics: Bo is full) wait, so T3 is new; T4 waits.  c1 hears of T1
# in Chinese (16:00 in Shanghai); c2's notice is made at 03:00 in New
# York, in the quiet hours: deferred to 07:00 there, 12:00Z; c4 withdrew
# consent: suppressed.
t_run route-0800 0 -- crm-route --db crm.db --rules in/life.rules \
    --all-matches --as-of 2026-12-01T08:00:00Z $N in/day-0800.jsonl
t_eq "08:00: T3 waits as its subtasks do" "T3|new
T3.1|new
T3.2|new" "$(q "SELECT ticket_id, status FROM tickets
    WHERE ticket_id LIKE 'T3%' ORDER BY 1")"

# 09:00 export, out of time order: T1 goes pending at 09:00 (Ana keeps
# it, its clock stops with 3h left), then T2 solved at 09:10 frees Bo,
# who at the end of the run (09:15) takes the best waiting ticket of his
# skill, T3.2 (P2, due 10:00, before T4 by id): T3 is open.
t_run update-0900 0 -- crm-route update --db crm.db \
    --as-of 2026-12-01T09:15:00Z $N in/up-0900.jsonl
t_eq "09:15: T1 paused with 3h left, T3.2 to Bo, T3 open" \
    "T1|pending|ana|10800.0
T3|open||
T3.2|open|bo|" "$(q "SELECT ticket_id, status, assignee, sla_left
    FROM tickets WHERE ticket_id IN ('T1', 'T3', 'T3.2') ORDER BY 1")"

# 09:30 sweep, warning 30m: T3.2 and T4 are due at 10:00: each raised to
# P1; T4 has no agent: Bo is full, so it is offered to any agent with
# room, Sue.  T3.1 waits: nobody with billing has room.
t_run sweep-0930 0 -- crm-route sweep --db crm.db \
    --as-of 2026-12-01T09:30:00Z $N
t_run sweep-0930-again 0 -- crm-route sweep --db crm.db \
    --as-of 2026-12-01T09:30:00Z $N
t_eq "the parent's priority is its best subtask's" "T3|P1|2026-12-01T10:00:00Z" \
    "$(q "SELECT ticket_id, priority, sla_due FROM tickets
    WHERE ticket_id = 'T3'")"

# 10:00 export: c1 answers (T1 open again, due 10:00 + 3h = 13:00); Bo
# solves T3.2 (T3 goes on: c3 hears of progress) and closes it; a
# second close of T3.2 and a close of T3.1, which nobody has worked on,
# are refused (65), the rest applied.
t_run update-1000 65 -- crm-route update --db crm.db \
    --as-of 2026-12-01T10:30:00Z $N --rejects rej.csv in/up-1000.jsonl
t_eq "refused changes kept with their line and reason" \
    "4,state,ticket T3.2 is closed already
5,state,cannot go from new to closed: nobody has worked on it yet (solve it first)" \
    "$(sed 1d rej.csv | cut -d, -f2-4)"
t_eq "10:30: the parent is open while T3.1 is not done" "T3|open
T3.1|new
T3.2|closed" "$(q "SELECT ticket_id, status FROM tickets
    WHERE ticket_id LIKE 'T3%' ORDER BY 1")"

# 12:30 sweep: T4 (due 10:00) and T3.1 (due 12:00) are past their SLA:
# to the senior queue, T4 staying with Sue (a senior), T3.1 given to
# her (room for one more); T1, due at 13:00, is raised to P2.  c2's
# deferred notices are sent (07:30 in New York).  Run again at the same
# time, the sweep changes nothing: no ticket is escalated twice.
t_run sweep-1230 0 -- crm-route sweep --db crm.db \
    --as-of 2026-12-01T12:30:00Z $N
t_run sweep-1230-again 0 -- crm-route sweep --db crm.db \
    --as-of 2026-12-01T12:30:00Z $N
t_eq "one escalation a breach" "T3.1|1
T4|1" "$(q "SELECT ticket_id, count(*) FROM ticket_events
    WHERE event = 'escalated' GROUP BY 1 ORDER BY 1")"

# 13:00 export: Sue solves T3.1, so T3 is solved (T3.2 is closed); Ana
# solves T1 at 13:05 (21:05 in Shanghai), and c1 reopens it at 14:00:
# back to Ana, who has room, due 14:00 + P2's 4h.  Both notices go out
# at 14:00, 22:00 in Shanghai: deferred to 07:00 there, 23:00Z.
t_run update-1300 0 -- crm-route update --db crm.db \
    --as-of 2026-12-01T14:00:00Z $N in/up-1300.jsonl

t_eq "every ticket: state, agent, priority, queue, due" \
    "$(cat in/tickets.expected)" "$(q "SELECT ticket_id, parent_id, status,
    assignee, priority, queue, sla_due FROM tickets ORDER BY 1")"
t_eq "every notification" "$(cat in/notifications.expected)" "$(nq)"
t_eq "the notify file: what was sent, in the order it was" \
    "1 3 5 7 9 10 2 6 11" "$(sed 's/^{"id":\([0-9]*\),.*/\1/' \
    sent.jsonl | paste -sd' ')"
t_eq "T1's events" "$(cat in/t1-events.expected)" "$(q "SELECT time, event,
    from_state, state, actor, value FROM ticket_events
    WHERE ticket_id = 'T1' ORDER BY id")"
t_eq "loads are the tickets agents hold" "ana|1|1
bo|0|0
sue|1|1" "$(q "SELECT agent_id, load, (SELECT count(*) FROM tickets
    WHERE assignee = agent_id AND status IN ('open', 'pending',
    'on-hold', 'reopened')) FROM agents ORDER BY 1")"
t_eq "every change audited" 0 "$(q "SELECT count(*) FROM ticket_events e
    WHERE e.event IN ('state', 'assigned', 'priority', 'escalated')
    AND e.actor IS NOT 'crm-route' AND NOT EXISTS (SELECT 1
    FROM decisions d WHERE d.record_key = e.ticket_id
    AND d.model = 'lifecycle')")"
t_ok "the audit chain holds" crm-mask verify -q --db crm.db
# T1 was solved at 13:05, due 13:00: late, whatever its due time after it
# was reopened; T2 in time; T3 (its parent) late; T4 breached: 1 met, 3
# breached.
t_eq "a ticket done is judged by its due time then" \
    "T1|SLA breached (due 2026-12-01T13:00:00Z)
T2|SLA met
T3.1|SLA breached (due 2026-12-01T12:00:00Z)
T3.2|SLA breached (due 2026-12-01T10:00:00Z)" "$(q "SELECT ticket_id, reason
    FROM ticket_events WHERE reason LIKE 'SLA %' AND event = 'state'
    ORDER BY 1")"
t_run stats 0 -- crm-route stats --db crm.db --since 2026-12-01 \
    --until 2026-12-01T15:00:00Z

# ---- Changes refused at once ----------------------------------------------

printf '%s\n' '{"id":"T3","state":"open","actor":"ana"}' \
    '{"id":"T2","state":"lost"}' '{"id":"T2"}' \
    '{"id":"T2","state":"open","time":"yesterday"}' \
    '{"id":"T2","state":"new","time":"2026-12-01T15:00:00Z"}' \
    '{"id":"T2","state":"open","assignee":"zed",'"\
"'"time":"2026-12-01T15:00:00Z"}' \
    '{"id":"T2","state":"closed","time":"2026-12-01T08:30:00Z"}' \
    '{"id":"T2","state":"open","time":"1e300"}' >bad.jsonl
t_run update-bad 66 -- crm-route update --db crm.db \
    --as-of 2026-12-01T15:00:00Z bad.jsonl

# ---- Business hours ---------------------------------------------------------

# Mon-Fri 09:00-17:00 in Berlin (UTC+1 in December): a P4 ticket (4h)
# written on Friday 2026-12-04 at 16:00 local is due on Monday at 12:00
# local, 11:00Z (one hour on Friday, three on Monday); put on hold on
# Monday at 09:00 local with 3h left and resumed at 10:00, it is due at
# 13:00 local.
cat >hours.cal <<'EOF'
zone Europe/Berlin
mon-fri 09:00-17:00
EOF
crm-route agents -q --db cal.db in/agents.csv >/dev/null
echo '{"id":"B1","created":"2026-12-04T15:00:00Z","text":"my parcel"}' |
    crm-route -q --db cal.db --calendar hours.cal --sla P4=4h \
    --as-of 2026-12-04T15:00:00Z >/dev/null
t_eq "due in business hours" "2026-12-07T11:00:00Z" \
    "$(sqlite3 cal.db "SELECT sla_due FROM tickets")"
printf '%s\n' \
    '{"id":"B1","state":"open","assignee":"bo","time":"2026-12-04T15:00:00Z"}' \
    '{"id":"B1","state":"on-hold","time":"2026-12-07T08:00:00Z"}' \
    '{"id":"B1","state":"open","time":"2026-12-07T09:00:00Z"}' |
    crm-route update -q --db cal.db --calendar hours.cal \
    --as-of 2026-12-07T09:00:00Z >/dev/null
t_eq "paused on hold, resumed with the business time left" \
    "2026-12-07T12:00:00Z" "$(sqlite3 cal.db "SELECT sla_due FROM tickets")"

# ---- A store of schema 8 ----------------------------------------------------

# Its waiting tickets become new, answered ones solved (by the bot), and
# each ticket gets the events of its past.
crm-route agents -q --db old.db in/agents.csv >/dev/null
sqlite3 old.db "DROP TABLE ticket_events; DROP TABLE notifications;
    DROP TABLE experiments; DROP TABLE assignments; DROP TABLE journey_runs;
    DROP TABLE journey_state; DROP TABLE journey_actions; DROP TABLE merges;
    DROP TABLE merge_rows;
    DROP TABLE tickets;
    CREATE TABLE tickets (ticket_id TEXT PRIMARY KEY NOT NULL,
      parent_id TEXT, customer_id TEXT, priority TEXT NOT NULL,
      queue TEXT NOT NULL, skill TEXT NOT NULL, sla_due TEXT,
      assignee TEXT, status TEXT NOT NULL
      CHECK (status IN ('open', 'waiting', 'answered', 'closed')),
      routed TEXT NOT NULL, closed TEXT);
    INSERT INTO tickets VALUES
      ('O1', NULL, 'c1', 'P2', 'billing', 'billing', '2026-01-01T12:00:00Z',
       'ana', 'open', '2026-01-01T08:00:00Z', NULL),
      ('O2', NULL, 'c2', 'P3', 'logistics', 'logistics',
       '2026-01-02T08:00:00Z', NULL, 'waiting', '2026-01-01T08:00:00Z', NULL),
      ('O3', NULL, 'c3', 'P3', 'bot', 'bot', '2026-01-02T08:00:00Z', NULL,
       'answered', '2026-01-01T08:00:00Z', NULL),
      ('O4', NULL, 'c4', 'P4', 'billing', 'billing', '2026-01-04T08:00:00Z',
       'ana', 'closed', '2026-01-01T08:00:00Z', '2026-01-01T09:00:00Z');
    PRAGMA user_version = 8"
t_ok "a schema-8 store opens" crm-route stats --db old.db
t_eq "states mapped" "O1|open|ana
O2|new|
O3|solved|
O4|closed|ana" "$(sqlite3 old.db "SELECT ticket_id, status, assignee
    FROM tickets ORDER BY 1")"
t_eq "and their events" "O1|state||new
O1|assigned|new|open
O2|state||new
O3|state||new
O3|reply|new|solved
O4|state||new
O4|assigned|new|open
O4|state|open|closed" "$(sqlite3 old.db "SELECT ticket_id, event,
    from_state, state FROM ticket_events ORDER BY ticket_id, id")"

t_done
