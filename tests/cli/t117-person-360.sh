#!/bin/sh
# crm-profile --by person: the 360-degree view of a hand-made person of
# two records (C1 from the app, C7 from the hotline) over all its
# records, field by field; the store's person_360 view and the views it
# is built from answer the same, section by section; crm-intent
# --keep-text keeps each message as an event of its customer, as a
# privacy policy makes its text, and nothing without --keep-text.
. "$TOP/tests/lib.sh"
t_use person360

T=2024-04-01T00:00:00Z
crm-ingest -q --db crm.db --as-of $T in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null
t_run keep 0 -- crm-intent --db crm.db --as-of $T --keep-text \
    --time-field created in/messages.jsonl
crm-intent -q --db crm.db --as-of $T --model sentiment in/messages.jsonl \
    >/dev/null
sqlite3 crm.db <in/store.sql

# ---- --keep-text ------------------------------------------------------------

q() { sqlite3 crm.db "$1"; }
t_eq "each message an event of its customer: key, time, channel, text" \
    "m1|C1|2024-03-20T09:00:00Z|message|app|Where is my order? It has been a week
m2|C7|2024-03-22T10:00:00Z|message|hotline|I want a refund, the kettle arrived broken. Call me on 13800138000
m3|C9|2024-03-21T08:00:00Z|message|email|How do I change my delivery address?" \
    "$(q "SELECT event_key, customer_id, time, type, channel, text
	FROM events ORDER BY event_key")"

crm-ingest -q --db plain.db in/customers.jsonl >/dev/null
crm-intent -q --db plain.db in/messages.jsonl >/dev/null
t_eq "without --keep-text no message is kept" "0|4" \
    "$(sqlite3 plain.db "SELECT (SELECT count(*) FROM events),
	(SELECT count(*) FROM decisions)")"

crm-intent -q --db masked.db --as-of $T --keep-text --policy in/mask.policy \
    in/messages.jsonl >/dev/null
t_eq "with --policy the text is what the policy makes of it; no time: the run's" \
    "m1|2024-04-01T00:00:00Z|Where is my
m2|2024-04-01T00:00:00Z|I want a ref
m3|2024-04-01T00:00:00Z|How do I cha" \
    "$(sqlite3 masked.db "SELECT event_key, time, text FROM events
	ORDER BY 1")"
sqlite3 masked.db "SELECT * FROM events" >before
crm-intent -q --db masked.db --as-of $T --keep-text --policy in/mask.policy \
    in/messages.jsonl >/dev/null
t_ok "kept again: the same events" sh -c \
    "sqlite3 masked.db 'SELECT * FROM events' | cmp -s before -"
printf 'text: mask email\n' >email.policy
t_run bad-rule 65 -- crm-intent -q --db masked.db --keep-text \
    --policy email.policy in/messages.jsonl
t_run bad-time 65 -- crm-intent --db masked.db --keep-text --time-field created \
    in/bad-time.jsonl
t_run keep-no-db 64 -- crm-intent --keep-text in/messages.jsonl
t_run policy-alone 64 -- crm-intent --db crm.db --policy in/mask.policy \
    in/messages.jsonl
t_run keep-train 64 -- crm-intent train --db crm.db --keep-text \
    in/messages.jsonl

# ---- crm-profile --by person --------------------------------------------

t_run person 0 -- crm-profile --db crm.db --by person in/ids.csv
head -1 "$T_DATA/person.out" >c1.json
j() { jq -c "$1" c1.json; }
jr() { jq -r "$1" c1.json; }
t_eq "found" true "$(j .found)"
t_eq "the golden record" \
    '{"name":"Li Wei","email":"li.wei@example.com","phone":"+8613800138000","city":"Shanghai"}' \
    "$(j .person.golden)"
t_eq "its lineage: the phone from the hotline record" \
    '{"name":"C1","email":"C1","phone":"C7","city":"C1"}' "$(j .person.lineage)"
t_eq "the records, each whole" '[["C1",null,"app"],["C7",0.93,"hotline"]]' \
    "$(j '[.records[] | [.customer_id, .score, .record.extra.channel]]')"
t_eq "consent over both: the later withdrawal wins; at one instant the withdrawal" \
    '[["Profiling",false,"C7"],["marketing_email",false,"C7"],["sms",true,"C1"]]' \
    "$(j '[.consent[] | [.purpose, .granted, .customer_id]]')"
t_eq "tags over both, since the first record had them" \
    '[["complainer","rule","2024-03-15T00:00:00Z",1],["kmeans:2","kmeans","2024-03-20T00:00:00Z",1],["rfm:At Risk","rfm","2024-03-01T00:00:00Z",1],["rfm:Champions","rfm","2024-03-20T00:00:00Z",1],["shanghai","rule","2024-02-01T00:00:00Z",2]]' \
    "$(j '[.tags[] | [.tag, .kind, .since, .records]]')"
t_eq "the RFM segment: the newest" \
    '{"segment":"Champions","since":"2024-03-20T00:00:00Z"}' "$(j .rfm)"
t_eq "the k-means cluster" '{"cluster":"2","since":"2024-03-20T00:00:00Z"}' \
    "$(j .kmeans)"
t_eq "churn: the latest score of either record, with its reasons" \
    '[0.71,"high","C7","complaints_90d"]' \
    "$(j '[.churn.probability, .churn.risk, .churn.customer_id,
	.churn.reasons[0].feature]')"
t_eq "recommendations" '[["kettle","teapot"],"C1"]' \
    "$(j '[[.recommendations.items[].item], .recommendations.customer_id]')"
t_eq "open tickets of both with their SLA, not the closed one" \
    '[["T1","C7","2024-03-26T10:00:00Z"],["T3","C1","2024-03-27T09:00:00Z"]]' \
    "$(j '[.tickets[] | [.ticket_id, .customer_id, .sla_due]]')"
t_eq "messages of both, newest first, with intent and sentiment" \
    '[["m2","C7","hotline","return_refund","neutral"],["m1","C1","app","order_status","neutral"]]' \
    "$(j '[.messages[] | [.event_key, .customer_id, .channel, .intent,
	.sentiment]]')"
t_eq "the decisions about both, newest first" \
    '[["crm-recommend","C1"],["crm-churn","C7"],["crm-churn","C1"],["crm-intent","C7"],["crm-intent","C1"],["crm-intent","C7"],["crm-intent","C1"]]' \
    "$(j '[.decisions[] | [.tool, .customer_id]]')"
t_eq "a person merged into another: merged_into, no records" '"C1" []' \
    "$(sed -n 2p "$T_DATA/person.out" | jq -c '.person.merged_into, .records' |
	paste -sd' ' -)"

# The views answer as crm-profile, section by section (JSON columns as JSON).
for p in C1 C5 C9; do
	printf 'person_id\n%s\n' $p | crm-profile -q --db crm.db --by person |
	    jq -S -c 'del(.found)' >profile.json
	sqlite3 -json crm.db "SELECT * FROM person_360 WHERE person_id = '$p'" |
	    jq -S -c '.[0] | with_entries(if .key == "person_id" then . else
		.value |= (if . == null then null else fromjson end) end)' \
	    >view.json
	# the id and the 11 sections, so that the loop below is never empty
	t_eq "person_360 and crm-profile have the same 12 fields: $p" \
	    "12 $(jq -c keys view.json)" \
	    "$(jq length profile.json) $(jq -c keys profile.json)"
	for s in $(jq -r 'keys[]' profile.json); do
		t_eq "person_360 answers as crm-profile: $p $s" \
		    "$(jq -c ".$s" view.json)" "$(jq -c ".$s" profile.json)"
	done
done
t_eq "person_360_consent is the consent section" \
    "$(jr '.consent[] | "\(.purpose)|\(if .granted then 1 else 0 end)|\(.customer_id)"')" \
    "$(q "SELECT purpose, granted, customer_id FROM person_360_consent
	WHERE person_id = 'C1' ORDER BY purpose")"
t_eq "person_360_tags, a row a record's tag" \
    "$(jr '.tags[] | "\(.tag)|\(.records)"')" \
    "$(q "SELECT tag, count(*) FROM person_360_tags WHERE person_id = 'C1'
	GROUP BY tag ORDER BY tag")"
t_eq "person_360_churn and _recommendations: the latest decisions" \
    "$(jr '"\(.churn.decision_id)|\(.recommendations.decision_id)"')" \
    "$(q "SELECT (SELECT decision_id FROM person_360_churn
	WHERE person_id = 'C1'), (SELECT decision_id FROM
	person_360_recommendations WHERE person_id = 'C1')")"
t_eq "person_360_tickets, _messages, _decisions" \
    "$(jr '"\(.tickets | length)|\(.messages | length)|\(.decisions | length)"')" \
    "$(q "SELECT (SELECT count(*) FROM person_360_tickets
	WHERE person_id = 'C1'), (SELECT count(*) FROM person_360_messages
	WHERE person_id = 'C1'), (SELECT count(*) FROM person_360_decisions
	WHERE person_id = 'C1')")"
t_eq "a view per section" 10 "$(q "SELECT count(*) FROM sqlite_master
    WHERE type = 'view' AND name LIKE 'person_360%'")"

crm-profile -q --db crm.db --by person --all | jq -r .person_id >all
t_eq "--all: every person not merged into another, in order" "C1 C9" \
    "$(paste -sd' ' all)"
crm-profile -q --db crm.db --by person --messages 1 --decisions 2 \
    in/ids.csv 2>/dev/null >few.jsonl
t_eq "--messages 1 --decisions 2" "1 2" \
    "$(head -1 few.jsonl | jq -r '"\(.messages | length) \(.decisions | length)"')"
t_run csv 0 -- crm-profile -q --db crm.db --by person --output-format csv \
    --messages 0 --decisions 0 in/ids.csv
t_eq "the customer's view shows the kept message" \
    '[["m2","I want a refund, the kettle arrived broken. Call me on 13800138000","return_refund"]]' \
    "$(printf 'customer_id\nC7\n' | crm-profile -q --db crm.db |
	jq -c '[.messages[] | [.event_key, .text, .intent]]')"
sqlite3 crm.db ".backup erase.db"
crm-mask erase -q --db erase.db C7 >/dev/null
t_eq "an erased record's kept messages go with it" "0 [\"m1\"]" \
    "$(sqlite3 erase.db "SELECT count(*) FROM events WHERE text LIKE '%refund%'") $(
	printf 'person_id\nC1\n' | crm-profile -q --db erase.db --by person |
	jq -c '[.messages[].event_key]')"
t_run no-id 65 -- crm-profile --db crm.db --by person in/no-id.jsonl
t_run by-typo 64 -- crm-profile --db crm.db --by persons in/ids.csv
t_done
