# crm-route: rules, the default priority score, escalation, SLA due times,
# the knowledge base, subtasks; agents and capacity in the store under
# concurrent routers; the support-ticket pipeline; bad rules and input.
. "$TOP/tests/lib.sh"
t_use route
ln -s "$TOP/examples" ex

q() { sqlite3 -batch -noheader crm.db "$@"; }
now=2026-03-02T12:00:00Z

# ---- Without a store ----------------------------------------------------

# The hand-checked cases (score = urgency + negative sentiment + value +
# waiting, see crm-route(1)):
#  M01 login, rule P1 accounts, the knowledge base answers for any
#      language: queue bot, due 11:30 + 1h.
#  M02 Chinese "where is my order", confident: the Chinese answer, bot.
#  M03 order_status at 0.55 < 0.8: people; 20 + 3h waiting (6) = 26, P3,
#      no rule: general.
#  M04 payment_issue, negative 0.96: 40 + 28.8 + 2 = 70.8 P1; escalated
#      to senior; due 11:00 + 1h.
#  M05 change of address by phone: logistics, sla=30m: due 12:25.
#  M06 a suggestion: rule P4 product, reply=no.
#  M07 Chinese refund, negative 0.7: 25 + 21 + 4 = 50 P2 billing, 14:00.
#  M08 VIP: 10 + 20 = 30 P3, escalated: P2 senior.
#  M09-M11 three short messages in 160 s: the third is a burst: 25 +
#      18 = 43 P2, escalated P1 senior.
#  M12 refund and an address: first match billing, 25 + 16.5 + 8 P2.
#  M13 nothing known: 15 P4 general, due now + 72h.
#  M14 created as epoch seconds (10:00): 25 + 4 = 29 P3 logistics.
t_run messages 0 -- crm-route --rules ex/rules/routing.rules --kb ex/kb.csv \
    --now $now in/messages.jsonl
# --all-matches: M12 needs billing and logistics, so it becomes a parent
# (no queue) and two linked subtasks M12.1 and M12.2.
t_run all-matches 0 -- crm-route --rules ex/rules/routing.rules --kb ex/kb.csv \
    --all-matches --now $now in/messages.jsonl
t_eq "subtasks point to their parent" "M12.1 M12
M12.2 M12" "$(crm-route -q --rules ex/rules/routing.rules --all-matches \
    --now $now in/messages.jsonl |
    sed -n 's/^{"id":"\([^"]*\)".*"parent_id":"\([^"]*\)"}$/\1 \2/p')"
# No rules: the score alone; no escalation; other SLAs and urgencies.
t_run score-only 0 -- crm-route -q --no-escalate --now $now \
    --sla P1=15m,P2=2h,P3=8h,P4=5d --urgency order_status=65,praise=1 \
    in/messages.jsonl
t_run burst-option 0 -- crm-route -q --burst 2/2m --vip gold --now $now \
    in/messages.jsonl
# A shard at a time gives the same output as the whole (no store).
crm-route -q --rules ex/rules/routing.rules --now $now in/messages.jsonl >all.out
head -7 in/messages.jsonl >a.jsonl
tail -n +8 in/messages.jsonl >b.jsonl
{ crm-route -q --rules ex/rules/routing.rules --now $now a.jsonl
  crm-route -q --rules ex/rules/routing.rules --now $now b.jsonl; } >shards.out
t_ok "shards give the same routes" cmp all.out shards.out

# ---- The store: agents, assignment, idempotence, closing -----------------

t_run agents 0 -- crm-route agents --db crm.db in/agents.csv
t_eq "schema version 11" 11 "$(q 'PRAGMA user_version')"
t_eq "skills split at commas, spaces and semicolons" \
    "accounts|ana
billing|ana
billing|bo
general|chen
general|dee
logistics|chen
product|chen
senior|bo
senior|dee" "$(q "SELECT skill, agent_id FROM agent_skills ORDER BY 1, 2")"
crm-ingest -q --db crm.db in/customers.csv >/dev/null
q "INSERT INTO tags VALUES ('C07', 'wholesale', 'x', '2026-03-01');
   INSERT INTO decisions(time, tool, model, record_key, score)
   VALUES ('2026-03-01', 'crm-churn', 'churn', 'C03', 0.85)"
# M03 (churn risk 0.85 from the store) goes to retention, which needs the
# senior skill; M06 is a VIP by the store's tier; M07's wholesale tag
# sends it to billing.  Ana (accounts, billing; 2) takes M07 and M12,
# Bo (billing, senior; 1) takes M03, Chen (logistics, general, product;
# 3) takes M05, M06... until full; Dee is off shift.  Everything else
# waits.
t_run store 0 -- crm-route --db crm.db --rules in/store.rules \
    --kb ex/kb.csv --queues retention --now $now in/messages.jsonl
t_eq "tickets: assignee and status" \
    "M01||solved
M02||solved
M03|bo|open
M04||new
M05|chen|open
M06||new
M07|ana|open
M08||new
M09|chen|open
M10|chen|open
M11||new
M12|ana|open
M13||new
M14||new" "$(q "SELECT ticket_id, assignee, status FROM tickets
    ORDER BY ticket_id")"
t_eq "load is the open tickets, never above capacity" "ana|2|2|2
bo|1|1|1
chen|3|3|3
dee|0|2|0" "$(q "SELECT agent_id, load, capacity,
    (SELECT count(*) FROM tickets WHERE assignee = agent_id
	AND status IN ('open', 'pending', 'on-hold', 'reopened'))
    FROM agents ORDER BY 1")"
t_eq "one decision a ticket" 14 "$(q "SELECT count(*) FROM decisions
    WHERE tool = 'crm-route'")"
t_eq "the audit says why" \
    '{"rule":"in/store.rules:3","score":{"urgency":20.00,"sentiment":0.00,"value":0.00,"waiting":6.00,"total":26.00},"escalated":null,"answered":false}' \
    "$(q "SELECT reasons FROM decisions WHERE record_key = 'M03'")"
# Routing the same tickets again gives the same answer and no new work.
q "SELECT * FROM tickets ORDER BY 1; SELECT * FROM agents" >before.txt
t_run store-again 0 -- crm-route -q --db crm.db --rules in/store.rules \
    --kb ex/kb.csv --queues retention --now $now in/messages.jsonl
q "SELECT * FROM tickets ORDER BY 1; SELECT * FROM agents" >after.txt
t_ok "a second run changes no ticket and no load" cmp before.txt after.txt
# Closing M07 frees Ana, who takes the best waiting ticket she can:
# M04 (P1, billing would do, but it is escalated to senior: not hers);
# so none; Dee coming on shift takes M04 (P1 senior) and M11.  M99 is no
# ticket, M04 waits (nobody worked on it): both refused, as is a second
# close of M07.
printf 'id\nM07\nM99\nM04\nM07\n' >close.csv
t_run close 65 -- crm-route close --db crm.db close.csv
t_eq "closed, load down" "closed|ana|1" "$(q "SELECT status, assignee,
    (SELECT load FROM agents WHERE agent_id = 'ana') FROM tickets
    WHERE ticket_id = 'M07'")"
printf 'agent_id,on_shift\ndee,true\n' >shift.csv
t_run on-shift 0 -- crm-route agents --db crm.db shift.csv
t_eq "waiting tickets go to the agent come on shift, best first" \
    "M04|dee
M11|dee" "$(q "SELECT ticket_id, assignee FROM tickets
    WHERE assignee = 'dee' ORDER BY 1")"
t_eq "and the audit log says so" 2 "$(q "SELECT count(*) FROM decisions
    WHERE model = 'lifecycle' AND output LIKE '%\"assignee\":\"dee\"%'")"

# A store made by an older crmkit (schema 1) is migrated on open.
crm-ingest -q --db old.db in/customers.csv >/dev/null
sqlite3 old.db "SELECT 'DROP VIEW ' || name || ';' FROM sqlite_master
    WHERE type = 'view'" | sqlite3 old.db
sqlite3 old.db "DROP TABLE agents; DROP TABLE agent_skills;
    DROP TABLE tickets; ALTER TABLE models DROP COLUMN rows;
    DROP TABLE consent; DROP INDEX decisions_subject; DROP TABLE audit_state;
    DROP TABLE tag_history; DROP TABLE persons; DROP TABLE person_events;
    DROP TABLE link_labels; DROP TABLE ticket_events;
    DROP TABLE notifications; DROP TABLE experiments; DROP TABLE assignments;
    DROP TABLE journey_runs; DROP TABLE journey_state;
    DROP TABLE journey_actions; DROP TABLE merges; DROP TABLE merge_rows;
    ALTER TABLE labels DROP COLUMN subject;
    ALTER TABLE decisions DROP COLUMN subject;
    ALTER TABLE decisions DROP COLUMN content_hash;
    ALTER TABLE decisions DROP COLUMN chain_hash;
    ALTER TABLE decisions DROP COLUMN review;
    ALTER TABLE models DROP COLUMN fingerprint; PRAGMA user_version = 1"
t_ok "route on a schema-1 store" crm-route agents -q --db old.db \
    in/agents.csv
t_eq "migrated to 11, agents there" "11|4" \
    "$(sqlite3 old.db "PRAGMA user_version" \
	"SELECT count(*) FROM agents" | paste -sd'|')"

# ---- Capacity under concurrent routers ------------------------------------

# Four routers, 60 tickets each, on one store whose two general agents
# have room for 7 tickets between them: exactly 7 are assigned, nobody
# above capacity, every other ticket waits.
printf 'agent_id,skills,capacity\nx,general,4\ny,general,3\n' >xy.csv
crm-route agents -q --db cc.db xy.csv >/dev/null
for p in 1 2 3 4; do
	awk -v p=$p 'BEGIN { for (i = 1; i <= 60; i++)
	    printf "{\"id\":\"P%d-%d\",\"text\":\"help\"}\n", p, i }' >c$p.jsonl
done
for p in 1 2 3 4; do
	crm-route -q --db cc.db --now $now c$p.jsonl >c$p.out 2>c$p.err &
done
wait
t_eq "all four routers finished, every ticket written" "240 0" \
    "$(cat c1.out c2.out c3.out c4.out | wc -l | tr -d ' ') $(cat c?.err |
	wc -c | tr -d ' ')"
t_eq "7 assigned, 233 waiting" "new|233
open|7" "$(sqlite3 cc.db "SELECT status, count(*) FROM tickets
    GROUP BY 1 ORDER BY 1")"
t_eq "no agent above capacity" "x|4|4|4
y|3|3|3" "$(sqlite3 cc.db "SELECT agent_id, load, capacity,
    (SELECT count(*) FROM tickets WHERE assignee = agent_id)
    FROM agents ORDER BY 1")"
t_eq "the output agrees with the store" 7 \
    "$(cat c?.out | grep -c '"assignee":"[xy]"')"

# ---- The support-ticket pipeline ------------------------------------------

# Tickets cut from customer_support_tickets (see README.md), loaded into
# the store, classified by crm-intent (intent, then sentiment) and routed.
# Hand-checked (now 2023-06-01T18:00:00Z):
#  1  Technical, Critical: rule P1 tech; due 12:15:36 + 1h.
#  3  Technical, Low: tech by rule, payment_issue 40 + negative 0.98
#     (29.5) + 6.8h waiting (13.5) = 83 P1; negative >= 0.9 escalates:
#     senior.
#  9  Technical, Low, complaint 30 + 7.5h waiting (14.9) = 44.9 P2 tech.
#  10 Refund by phone: billing with sla=2h; 30 + 25.9 + 17.1 = 73 P1;
#     due 09:25:48 + 2h.
#  18 Product inquiry: rule P4 sales, escalated by negative 0.99: P3
#     senior.
#  22 Cancellation: rule P2 retention, due 23:57:07 + 4h.
crm-ingest -q --db tickets.db --table support_tickets --key "Ticket ID" \
    in/tickets.csv |
    crm-intent -q --text-field "Ticket Description" |
    crm-intent -q --model sentiment --text-field "Ticket Description" \
	>classified.csv
t_run support 0 -- crm-route --rules in/support.rules \
    --id-field "Ticket ID" --customer-field "Customer Email" \
    --time-field "First Response Time" --now 2023-06-01T18:00:00Z \
    classified.csv
crm-route -q --rules in/support.rules --id-field "Ticket ID" \
    --customer-field "Customer Email" --time-field "First Response Time" \
    --now 2023-06-01T18:00:00Z --output-format jsonl classified.csv \
    >support.jsonl
t_eq "hand-checked queue, priority and due time" \
    "1,P1,tech,2023-06-01T13:15:36Z
3,P1,senior,2023-06-01T12:14:38Z
9,P2,tech,2023-06-01T14:32:47Z
10,P1,billing,2023-06-01T11:25:48Z
18,P3,senior,2023-06-02T21:05:01Z
22,P2,retention,2023-06-01T03:57:07Z" "$(for id in 1 3 9 10 18 22; do
	grep "^{\"Ticket ID\":\"$id\"," support.jsonl |
	    sed -E 's/.*"priority":"([^"]*)","queue":"([^"]*)","sla_due":"([^"]*)".*/'"$id"',\1,\2,\3/'
    done)"
t_eq "every ticket stored" 24 \
    "$(sqlite3 tickets.db 'SELECT count(*) FROM support_tickets')"

# ---- Bad rules and bad input ----------------------------------------------

printf "intent = = 'x' -> queue=a\n" >syntax.rules
t_run rule-syntax 65 -- crm-route --rules syntax.rules in/messages.jsonl
printf "1 -> priority=P9\n" >setting.rules
t_run rule-bad-priority 65 -- crm-route --rules setting.rules \
    in/messages.jsonl
printf "1 -> colour=red\n" >key.rules
t_run rule-bad-key 65 -- crm-route --rules key.rules in/messages.jsonl
printf "intent = 'x' queue=a\n" >nosep.rules
t_run rule-no-arrow 65 -- crm-route --rules nosep.rules in/messages.jsonl
printf "1 -> queue=bot\n" >bot.rules
t_run rule-bot-queue 65 -- crm-route --rules bot.rules in/messages.jsonl
printf "EXISTS (SELECT 1 FROM sqlite_master) -> queue=a\n" >table.rules
t_run rule-reads-table 65 -- crm-route --rules table.rules \
    in/messages.jsonl
t_run rules-missing 66 -- crm-route --rules nothere.rules in/messages.jsonl
# An unknown queue: not in --queues, nor a skill of the store's agents.
t_run unknown-queue 65 -- crm-route --rules ex/rules/routing.rules \
    --queues accounts,billing,logistics in/messages.jsonl
printf "intent = 'return_refund' -> queue=refunds\n" >refunds.rules
t_run unknown-queue-store 65 -- crm-route --db crm.db \
    --rules refunds.rules in/messages.jsonl
# A ticket without a field a rule needs: rejected with the rule's line,
# the others routed; in CSV the header says so before any record.
printf "channel = 'phone' -> queue=calls\n" >channel.rules
printf '%s\n' '{"id":"A","channel":"phone"}' '{"id":"B"}' \
    '{"id":"C","channel":null}' >nochannel.jsonl
t_run missing-field 65 -- crm-route --rules channel.rules --now $now \
    --rejects rej.csv nochannel.jsonl
t_ok "the ticket is in the rejects" grep -q '^nochannel.jsonl,2,' rej.csv
printf 'id,text\nA,hello\n' >nochannel.csv
t_run missing-field-csv 66 -- crm-route --rules channel.rules \
    nochannel.csv
# A rule that fails on one ticket's values.
printf "json_extract(text, '\$.a') = 1 -> queue=a\n" >json.rules
printf '%s\n' '{"id":"A","text":"{\"a\":1}"}' '{"id":"B","text":"no"}' \
    >json.jsonl
t_run rule-fails-on-ticket 65 -- crm-route --rules json.rules --now $now \
    json.jsonl
# Hostile input: SQL in values, broken JSON, invalid UTF-8, an empty file.
printf '%s\n' "{\"id\":\"x'); DROP TABLE tickets; --\",\"text\":\"hi\"}" \
    >sql.jsonl
t_ok "SQL in a ticket id is data" crm-route -q --db crm.db --now $now \
    sql.jsonl
t_eq "and stored as it is" 1 "$(q "SELECT count(*) FROM tickets
    WHERE ticket_id LIKE 'x''); DROP%'")"
printf '{"id":"A"}\n{"id": \n{"id":"C","text":"\377"}\n' >broken.jsonl
# --encoding UTF-8: the bad record rejected, not the file (t100)
t_run broken-json 65 -- crm-route --encoding UTF-8 --now $now broken.jsonl
: >empty.jsonl
t_run empty 0 -- crm-route --now $now empty.jsonl
t_run kb-missing 66 -- crm-route --kb nothere.csv in/messages.jsonl
printf 'intent,lang,answer\norder_status,fr,Voir\n' >fr.csv
t_run kb-bad-lang 65 -- crm-route --kb fr.csv in/messages.jsonl
t_run bad-sla 64 -- crm-route --sla P1=1w in/messages.jsonl
t_run bad-now 64 -- crm-route --now yesterday in/messages.jsonl
t_run verb-needs-db 64 -- env -u CRM_DB crm-route close close.csv
printf 'agent_id,capacity\nz,-1\n,2\n' >badagents.csv
t_run agents-bad 66 -- crm-route agents --db crm.db badagents.csv
t_done
