#!/bin/sh
# crm-profile: the 360-degree view of a hand-made customer with data in
# every section, written by the tools as the demo runs them, compared
# field by field with the golden output; the store's customer_360 view
# answers the same; an id not in the store; the usage errors.
. "$TOP/tests/lib.sh"
t_use profile

D=$TOP/testdata
T=2024-04-01T00:00:00Z
cp "$TOP/examples/rules/routing.rules" .
crm-ingest -q --db crm.db --as-of $T "$D/dedupe/customers.csv" >/dev/null
crm-ingest -q --db crm.db --as-of $T in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --as-of $T --kind events in/events.jsonl >/dev/null
crm-dedupe -q --db crm.db --as-of $T --from-store >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null
crm-ingest -q --db crm.db "$D/churn/customers.jsonl" >/dev/null
crm-ingest -q --db crm.db --kind events "$D/churn/events.jsonl" >/dev/null
crm-churn train -q --db crm.db --as-of $T --from-store --label-field churned
crm-churn -q --db crm.db --from-store --as-of $T --reasons 2 >/dev/null
for d in 2024-03-01 $T; do
	crm-tag -q --db crm.db --as-of $d --rfm --rules in/profile.rules \
	    in/customers.jsonl >/dev/null
done
crm-ingest -q --db crm.db "$D/recommend/shop-customers.jsonl" >/dev/null
crm-ingest -q --db crm.db --kind events "$D/recommend/shop-events.jsonl" \
    >/dev/null
crm-recommend train -q --db crm.db --as-of $T --from-store \
    --event-types order,view:0.5
printf 'customer_id\nA1\n' |
    crm-recommend -q --db crm.db --as-of $T --top 2 >/dev/null
crm-intent -q --db crm.db --as-of $T in/messages.jsonl >intents.jsonl
crm-intent -q --db crm.db --as-of $T --model sentiment in/messages.jsonl \
    >/dev/null
crm-route agents -q --db crm.db --as-of $T "$D/route/agents.csv" >/dev/null
crm-route -q --db crm.db --rules routing.rules --as-of $T intents.jsonl \
    >/dev/null

t_run profile 0 -- crm-profile --db crm.db in/ids.csv
head -1 "$T_DATA/profile.out" >a1.json
j() { jq -c "$1" a1.json; }
t_eq "found" true "$(j .found)"
t_eq "the customers row, extra fields" '"gold"' "$(j .customer.extra.tier)"
t_eq "the other records of the cluster" '["A2","A3"]' \
    "$(j '[.cluster.members[].customer_id]')"
t_eq "a member's record" '"hotline"' \
    "$(j '.cluster.members[0].record.extra.channel')"
t_eq "consent: the latest per purpose up to now; at one instant the withdrawal wins" \
    '[["Profiling",false],["marketing_email",true],["sms",false]]' \
    "$(j '[.consent[] | [.purpose, .granted]]')"
t_eq "tags and segment since the first run" \
    '[["rfm:New","rfm","2024-03-01T00:00:00Z"],["shanghai","rule","2024-03-01T00:00:00Z"]]' \
    "$(j '[.tags[] | [.tag, .kind, .since]]')"
t_eq "churn: probability, risk and reasons" '[0.534560189402813,"medium",2]' \
    "$(j '[.churn.probability, .churn.risk, (.churn.reasons | length)]')"
t_eq "recommendations" '["kettle","poem"]' \
    "$(j '[.recommendations.items[].item]')"
t_eq "open tickets and their SLA" \
    '[["A1-m1","2024-03-22T11:00:00Z"],["A1-m2","2024-03-23T12:00:00Z"]]' \
    "$(j '[.tickets[] | [.ticket_id, .sla_due]]')"
t_eq "messages, newest first, with intent and sentiment" \
    '[["A1-m2","order_status","neutral"],["A1-m1","payment_issue","neutral"]]' \
    "$(j '[.messages[] | [.event_key, .intent, .sentiment]]')"
t_eq "the last 10 decisions, newest first" '[10,"crm-route"]' \
    "$(j '[(.decisions | length), .decisions[0].tool]')"

# The view answers the same as crm-profile (its JSON columns as JSON).
sqlite3 -json crm.db "SELECT * FROM customer_360 WHERE customer_id = 'A1'" |
    jq -S -c '.[0] | with_entries(if .key == "customer_id" then . else
	.value |= (if . == null then null else fromjson end) end)' >view.json
jq -S -c 'del(.found)' a1.json >profile.json
t_ok "customer_360 answers as crm-profile" cmp view.json profile.json
t_eq "a view per section" "10" "$(sqlite3 crm.db "SELECT count(*)
    FROM sqlite_master WHERE type = 'view' AND name LIKE 'customer_360%'")"

crm-profile -q --db crm.db --decisions 3 --messages 1 in/ids.csv >few.jsonl
t_eq "--decisions 3 --messages 1" "3 1" \
    "$(head -1 few.jsonl | jq -r '"\(.decisions | length) \(.messages | length)"')"
t_run csv 0 -- crm-profile -q --db crm.db --output-format csv \
    --decisions 0 --messages 0 in/ids.csv
crm-profile -q --db crm.db --all | jq -r .customer_id >all
t_eq "--all: every customer, in order" "62 A1" \
    "$(wc -l <all | tr -d ' ') $(head -1 all)"
t_ok "--all: sorted" sh -c "sort -c all"
t_run no-id 65 -- crm-profile --db crm.db in/no-id.jsonl
t_run no-db 64 -- crm-profile in/ids.csv
t_run as-of 64 -- crm-profile --db crm.db --as-of $T in/ids.csv
t_run no-store 66 -- crm-profile --db nothing.db in/ids.csv
# a SQLite file of another program: refused, and left as it was
sqlite3 other.db 'CREATE TABLE notes(x)'
t_run not-a-store 65 -- crm-profile --db other.db in/ids.csv
t_eq "the other program's file: its one table, unchanged" notes \
    "$(sqlite3 other.db .tables | tr -s ' \n' ' ' | sed 's/ $//')"
sqlite3 crm.db "SELECT count(*) FROM decisions" >before
crm-profile -q --db crm.db --all >/dev/null
t_ok "nothing written" sh -c \
    "sqlite3 crm.db 'SELECT count(*) FROM decisions' | cmp -s before -"

# The consent view agrees with lib/consent.c, which crm-churn's action
# asks (it writes decisions, so last).
for pu in marketing_email profiling sms; do
	crm-churn -q --db crm.db --from-store --as-of $T --action offer \
	    --action-threshold 0 --purpose $pu --show-suppressed |
	    jq -r --arg p $pu 'select(.customer_id == "A1") |
		"\($p)|\(if .action == null then 0 else 1 end)"'
done >churn-consent
t_eq "customer_360_consent answers as crm-churn's consent check" \
    "$(paste -sd' ' churn-consent)" \
    "$(sqlite3 crm.db "SELECT lower(purpose), granted FROM customer_360_consent
	WHERE customer_id = 'A1' ORDER BY 1" | paste -sd' ' -)"
t_done
