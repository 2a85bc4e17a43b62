#!/bin/sh
# t104-replay: a whole day of crmkit, every tool that writes to the store
# given the same --as-of, run twice into two fresh stores with a second
# between them, gives byte-equal stores: no wall-clock time in any row
# (models' created, decisions, labels, tags, clusters, tickets, agents)
# nor anywhere else in the file.  The dumps are compared too, for a
# readable diff when the bytes differ.
. "$TOP/tests/lib.sh"
cd "$t_tmp"
cp -R "$TOP/examples" ex

T=2024-07-01T02:00:00Z
# A rule on SQLite's clock: date('now') is the --as-of time too.
echo "today: date('now') = '2024-07-01'" >today.rules

# The day: load, deduplicate, tag, learn and score churn, learn intents and
# classify, take corrections, recommend, route tickets to agents and close
# some.  $1: the store.
day() {
	db=$1
	a="-q --db $db --as-of $T"
	crm-ingest $a ex/customers.csv >/dev/null
	crm-ingest $a --kind events ex/events.jsonl >/dev/null
	crm-ingest $a ex/shop-customers.jsonl >/dev/null
	crm-ingest $a --kind events ex/shop-events.jsonl >/dev/null
	crm-ingest $a ex/tag-customers.csv >/dev/null
	crm-ingest $a --kind events ex/tag-events.jsonl >/dev/null
	crm-ingest $a ex/people.csv >/dev/null
	crm-dedupe $a --from-store >/dev/null
	crm-ingest $a ex/people-today.csv | crm-dedupe $a --incremental \
	    >/dev/null
	crm-tag $a --from-store --rfm --rules ex/rules/dynamic-segments.rules \
	    >/dev/null
	crm-tag $a --rules ex/vip.rules --rules today.rules \
	    ex/tag-customers.csv >/dev/null
	crm-churn train $a --label-field Churn --id-field customerID \
	    ex/telco.csv
	crm-churn $a --id-field customerID ex/telco-score.csv >/dev/null
	crm-intent train $a --model topic --label-field intent \
	    ex/intents.train.jsonl
	crm-intent $a --model topic ex/messages.jsonl >/dev/null
	crm-intent label $a --model topic --label-field intent \
	    ex/intents.heldout.jsonl >/dev/null
	crm-intent train $a --model topic --label-field intent --with-labels \
	    ex/intents.train.jsonl
	crm-recommend fit $a --from-store --event-types order,view:0.2
	crm-recommend $a --from-store --top 3 >/dev/null
	crm-route agents $a ex/agents.csv >/dev/null
	crm-route $a --rules ex/rules/routing.rules --kb ex/kb.csv \
	    ex/tickets.jsonl >/dev/null
	crm-route close $a ex/closed.csv
}

t_ok "the day runs into a.db" day a.db
sleep 1
t_ok "the day runs again into b.db" day b.db
sqlite3 a.db .dump >a.sql
sqlite3 b.db .dump >b.sql
t_ok "the dumps are equal" sh -c \
    'diff a.sql b.sql | cut -c1-300 | sed "s/^/# /" | head -40
    cmp -s a.sql b.sql'
t_ok "the stores are byte-equal" cmp a.db b.db
# Every table the day writes has rows, stamped with the --as-of time.
for q in "models:created" "decisions:time" "labels:time" "tags:time" \
    "clusters:time" "tickets:routed" "agents:updated"; do
	t_eq "${q%%:*}: every ${q#*:} is the --as-of time" "$T" \
	    "$(sqlite3 a.db "SELECT group_concat(DISTINCT ${q#*:}) FROM ${q%%:*}")"
done
t_eq "closed tickets: closed at the --as-of time" "$T" \
    "$(sqlite3 a.db "SELECT group_concat(DISTINCT closed) FROM tickets
    WHERE status = 'closed'")"
t_eq "date('now') in a rule is the --as-of day: every customer tagged" \
    "$(($(wc -l <ex/tag-customers.csv) - 1))" \
    "$(sqlite3 a.db "SELECT count(*) FROM tags WHERE tag = 'today'")"
# Without --as-of, the clock.
crm-route agents -q --db c.db ex/agents.csv >/dev/null
t_eq "without --as-of: the clock's time" "$(date -u +%Y-%m-%d)" \
    "$(sqlite3 c.db "SELECT DISTINCT substr(updated, 1, 10) FROM agents")"
# crm-route's old name of --as-of routes at the same time.
t_ok "crm-route: --now is --as-of" sh -c "
    crm-route -q --as-of $T --rules ex/rules/routing.rules ex/tickets.jsonl >as-of.out &&
    crm-route -q --now $T --rules ex/rules/routing.rules ex/tickets.jsonl >now.out &&
    cmp as-of.out now.out && grep -q sla_due as-of.out"
t_done
