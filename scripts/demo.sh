#!/bin/sh
# demo.sh BIN_DIR: a full crmkit pipeline on the files in testdata/, in a
# temporary store, with each step shown before its output.
set -eu
bin=$(cd "${1:-build/bin}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$bin:$PATH"
export PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="$top/testdata/ingest"
db="$work/crm.db"

step() {
	printf '\n$ %s\n' "$*"
	"$@"
}

cd "$data"
echo "crmkit demo: files from $data, a store in $db"
step crm-ingest --db "$db" customers.csv
step crm-ingest --db "$db" --kind events events.jsonl
step crm-ingest --db "$db" --rejects "$work/rejects.csv" bad.csv ||
    echo "(exit status $?: the bad rows were rejected, the good ones stored)"
step cat "$work/rejects.csv"
step sqlite3 -header -column "$db" \
    "SELECT customer_id, name, email, phone, signup_date FROM customers"
step sqlite3 -header -column "$db" \
    "SELECT customer_id, time, type, amount FROM events ORDER BY time"

# One customer across channels: clusters, then golden records.
cd "$top/testdata/dedupe"
step crm-dedupe customers.csv
step crm-dedupe -q --merge customers.csv
crm-ingest -q --db "$db" customers.csv >/dev/null
crm-dedupe -q --db "$db" --from-store >/dev/null
step crm-dedupe --db "$db" --incremental updates.csv
# Each cluster is a person: its golden record, the record each field
# came from, and what happened to it (created, joined, merged, split).
step sqlite3 -header -column "$db" \
    "SELECT person_id, json_extract(golden, '$.name') AS name,
	json_extract(golden, '$.email') AS email,
	json_extract(lineage, '$.email') AS email_from FROM persons
	WHERE golden IS NOT NULL ORDER BY person_id"
step sqlite3 -header -column "$db" \
    "SELECT person_id, event, record_id FROM person_events
	WHERE event <> 'created' ORDER BY id"

# Privacy: an export for a partner with phones, e-mail addresses and ids
# masked; the analysts' view, with pseudonyms that still join across
# files (the key from the environment, never the command line).
cd "$top/testdata/mask"
step crm-mask --policy crm.policy customers.csv
CRM_MASK_KEY=demo-key-0123456789abcdef
export CRM_MASK_KEY
step crm-mask -q --policy crm.policy --role analyst customers.csv
unset CRM_MASK_KEY

# Churn from the store's events: train, then score with reasons.
cd "$top/testdata/churn"
step crm-ingest -q --db "$db" customers.jsonl >/dev/null
step crm-ingest -q --db "$db" --kind events events.jsonl >/dev/null
step crm-churn train --db "$db" --from-store --label-field churned
crm-churn -q --db "$db" --from-store --reasons 2 --action-threshold 0.6 \
    --action retention_offer --output-format csv >"$work/scores.csv"
step grep -E '^(customer_id|K00[1-4]|K900),' "$work/scores.csv"

# Any yes/no outcome: which sales opportunities convert.  --algo auto
# (the default) cross-validates logistic regression against XGBoost's
# trees and says which won; the reasons are exact either way.
cd "$top/examples"
step crm-churn train --db "$db" --target converted \
    --id-field opportunity_id opportunities.csv
crm-churn -q --db "$db" --target converted --id-field opportunity_id \
    --reasons 2 --output-format csv opportunities.csv >"$work/converted.csv"
step head -4 "$work/converted.csv"

# Segments: tags from the example rules, RFM segments, from the events.
cd "$top/testdata/tag"
step crm-ingest -q --db "$db" customers.csv
step crm-ingest -q --db "$db" --kind events events.jsonl
crm-tag -q --db "$db" --as-of 2024-06-30 --rfm \
    --rules "$top/examples/rules/dynamic-segments.rules" \
    --rules "$top/examples/rules/actions.rules" customers.csv \
    >"$work/tagged.csv"
step cut -d, -f1,2,6- "$work/tagged.csv"
step sqlite3 -header -column "$db" \
    "SELECT customer_id, tag, time FROM tags ORDER BY customer_id, tag"

# Consent: C05 unsubscribed from marketing e-mail (C01 too, then came
# back), so the wake-up e-mail, an action rule for that purpose, is not
# proposed to C05: left out of the tags, named with --show-suppressed.
step crm-ingest --db "$db" --kind consent "$top/testdata/consent/demo.csv"
step crm-tag --db "$db" --as-of 2024-06-30 --show-suppressed \
    --rules "$top/examples/rules/actions.rules" customers.csv

# Tickets: the agents on shift, then the shop's messages routed by the
# example rules, the knowledge base answering what it can in Chinese or
# English, escalations to the senior queue, nobody beyond capacity.
cd "$top/testdata/route"
step crm-route agents --db "$db" agents.csv
# An answer the knowledge base is not sure of goes to a person first
# (--review): marked needs_review, the decision's review column set.
crm-route --db "$db" --rules "$top/examples/rules/routing.rules" \
    --kb "$top/examples/kb.csv" --as-of 2026-03-02T12:00:00Z \
    --review "$top/examples/rules/answers.review" messages.jsonl \
    >"$work/routed.jsonl"
step sqlite3 -header -column "$db" \
    "SELECT record_key, review, output FROM decisions
	WHERE review IS NOT NULL ORDER BY id"
step sqlite3 -header -column "$db" \
    "SELECT ticket_id, priority, queue, sla_due, assignee, status
	FROM tickets ORDER BY ticket_id"
step sqlite3 -header -column "$db" \
    "SELECT agent_id, skills, capacity, load, on_shift FROM agents"
# The afternoon: changes from the help desk (a reply, a pause on the
# customer, a ticket solved), then the sweep cron runs every few minutes:
# breaches to the senior queue, tickets about to breach raised, waiting
# ones handed to agents with room; and the day's handling-time figures.
step crm-route update -q --db "$db" --as-of 2026-03-02T15:00:00Z \
    --notify "$work/notify.jsonl" "$top/examples/ticket-updates.jsonl" \
    >/dev/null
step crm-route sweep -q --db "$db" --as-of 2026-03-02T15:05:00Z \
    --notify "$work/notify.jsonl" --output-format tsv
step crm-route stats --db "$db" --since 2026-03-02 \
    --until 2026-03-02T15:05:00Z

# The question the product is for: "when will my order arrive?" at
# night.  crm-intent finds the intent and the entities (order numbers,
# dates, amounts...), crm-route answers from the customer's own latest
# order (its status and eta, from the order events), and a message whose
# answer cannot be filled (an order without a status) goes to a person
# with the reason.  A store of its own: testdata/answers.
adb="$work/answers.db"
cd "$top/testdata/answers"
crm-ingest -q --db "$adb" customers.jsonl >/dev/null
crm-ingest -q --db "$adb" --kind events events.jsonl >/dev/null
printf '%s\n' \
    '{"id":"Q1","customer_id":"C1","created":"2026-03-02T09:00:00Z","text":"我的订单什么时候能到?"}' \
    '{"id":"Q2","customer_id":"C1","created":"2026-03-02T09:05:00Z","text":"订单号A100昨天到了吗?"}' \
    '{"id":"Q3","customer_id":"C4","created":"2026-03-02T09:10:00Z","text":"我的订单什么时候能到?"}' \
    >"$work/ask.jsonl"
printf '\n$ crm-intent --entities --time-field created ask.jsonl |\n'
printf '    crm-route --db answers.db --kb kb.csv --output-format tsv\n'
crm-intent -q --entities --time-field created "$work/ask.jsonl" |
    crm-route -q --db "$adb" --kb kb.csv --as-of 2026-03-02T10:00:00Z \
	--output-format tsv | cut -f1,2,5-
step sqlite3 -header -column "$adb" \
    "SELECT ticket_id, state, reason FROM ticket_events WHERE ticket_id = 'Q3'"

# Next items from the orders and views in the store: fit, recommend,
# and what goes with what.
cd "$top/testdata/recommend"
step crm-ingest -q --db "$db" shop-customers.jsonl >/dev/null
step crm-ingest -q --db "$db" --kind events shop-events.jsonl >/dev/null
step crm-recommend train --db "$db" --from-store --event-types order,view:0.5
crm-recommend -q --db "$db" --from-store --top 2 >"$work/next.jsonl"
step grep -E '"customer_id":"S[1-7]"' "$work/next.jsonl"
printf 'item\ntea\nnovel\n' >"$work/items.csv"
step crm-recommend --item --db "$db" --top 2 "$work/items.csv"

# Messages: intent with low-confidence ones marked, then sentiment.
cd "$top/testdata/intent"
step crm-intent --db "$db" --min-confidence 0.6 --top 2 messages.jsonl
step crm-intent --db "$db" --model sentiment --explain 2 \
    --output-format csv messages.csv
step sqlite3 -header -column "$db" \
    "SELECT record_key, model, output, round(score, 3) AS score
	FROM decisions ORDER BY id"

# Closing the loop: an A/B experiment, each customer's arm from a keyed
# hash (the same in every run and shard), kept in a store with the
# purchases; a month later, per arm, who bought within 14 days.
cd "$top/testdata/experiment"
crm-ingest -q --db "$work/exp.db" --kind events events.jsonl >/dev/null
step crm-experiment --experiment promo --holdout 0.1 --key-file key \
    --db "$work/exp.db" --as-of 2026-03-01 first.csv
step crm-experiment analyze --db "$work/exp.db" --experiment promo \
    --outcome purchase --as-of 2026-04-01 --output-format csv

# The audit log: a customer's decisions across the tools, and the hash
# chain over every decision checked.
step sqlite3 -header -column "$db" \
    "SELECT tool, model, record_key, output FROM decisions
	WHERE subject = 'K001' ORDER BY id"
step crm-mask verify --db "$db"

# One customer, one view: K001's record, consent, tags, churn score and
# reasons, tickets, messages and last decisions, as crm-profile writes it
# and as the store's customer_360 view answers any SQL client.
printf 'customer_id\nK001\n' >"$work/ids.csv"
step crm-profile --db "$db" --decisions 3 "$work/ids.csv"
# The same for a person: all of A1's records (app, chat, the update) as one.
printf 'person_id\nA1\n' >"$work/persons.csv"
step crm-profile --db "$db" --by person --decisions 3 "$work/persons.csv"
step sqlite3 -header -column "$db" \
    "SELECT customer_id, tag, kind, since FROM customer_360_tags
	WHERE customer_id IN ('C01', 'C05') ORDER BY 1, 2"

# The right to erasure: K001 out of every table; its decisions stay,
# under a stand-in, and the chain still verifies.
crm-mask erase -q --db "$db" K001 >"$work/erased.csv"
step grep -v ',0,' "$work/erased.csv"
step crm-mask verify --db "$db"

# A customer journey for cron (crm-journey): testdata/journey's winback,
# run day by day over its first ten days in a store of its own.  Nudges
# by email, the third held back by the cap of 2 emails a week, C3 out
# when it unsubscribes; a day run again sends nothing.
jdb="$work/journey.db"
jdata="$top/testdata/journey"
crm-ingest -q --db "$jdb" "$jdata/customers.jsonl" >/dev/null
crm-ingest -q --db "$jdb" --kind events "$jdata/events.jsonl" >/dev/null
crm-ingest -q --db "$jdb" --kind consent "$jdata/consent.csv" >/dev/null
for day in 01 02 03 04 05 06 07 08 09 10; do
	step crm-journey -q --db "$jdb" --journey "$jdata/winback.journey" \
	    --as-of "2026-03-${day}T23:00:00Z" --output-format tsv
done
step crm-journey --db "$jdb" --journey "$jdata/winback.journey" \
    --as-of 2026-03-10T23:00:00Z
step sqlite3 -header -column "$jdb" \
    "SELECT subject, stage, status, tries, reason FROM journey_state
	ORDER BY subject"

# The morning report of the demo store: every section it has data for
# (crm-report(1)), as of now (the steps above were stamped with the clock
# or with days of their own), the series from the day of the tickets: one
# HTML file with its charts to open in a browser, and the same figures
# as text in 80 columns; both kept after the demo.
report=${DEMO_REPORT:-$top/build/demo-report.html}
mkdir -p "$(dirname "$report")"
step crm-report --db "$db" --since 2026-03-01 -o "$report"
crm-report --db "$db" --since 2026-03-01 --format text \
    -o "${report%.html}.txt"
echo "the report of the demo store: $report (text: ${report%.html}.txt)"
