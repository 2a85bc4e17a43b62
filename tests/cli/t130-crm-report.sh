# t130-crm-report: a store made by the tools from their testdata has data
# for every section; crm-report writes the same text and JSON as the
# golden files, twice the same bytes, and its key figures are the store's
# as SQL counts them.
. "$TOP/tests/lib.sh"
t_use report

db=$PWD/crm.db
q() { sqlite3 -batch -noheader "$db" "$@"; }
asof=2026-03-02T15:05:00Z

# ---- The store, made by the tools ----------------------------------------

d=$TOP/testdata
(
	cd "$d/ingest"
	crm-ingest -q --db "$db" customers.csv >/dev/null
	crm-ingest -q --db "$db" --kind events events.jsonl >/dev/null
	cd "$d/dedupe"
	crm-ingest -q --db "$db" customers.csv >/dev/null
	crm-dedupe -q --db "$db" --as-of 2026-02-01 --from-store >/dev/null
	cd "$d/churn"
	crm-ingest -q --db "$db" customers.jsonl >/dev/null
	crm-ingest -q --db "$db" --kind events events.jsonl >/dev/null
	crm-churn train -q --db "$db" --from-store --label-field churned \
	    --as-of 2026-02-01
	crm-churn -q --db "$db" --from-store --reasons 2 --as-of 2026-03-01 \
	    >/dev/null
	cd "$d/tag"
	crm-ingest -q --db "$db" customers.csv >/dev/null
	crm-ingest -q --db "$db" --kind events events.jsonl >/dev/null
	for day in 2026-02-20 2026-03-01; do
		crm-tag -q --db "$db" --as-of $day --rfm --kmeans 3 \
		    --rules "$TOP/examples/rules/dynamic-segments.rules" \
		    customers.csv >/dev/null
	done
	cd "$d/route"
	crm-route agents -q --db "$db" --as-of 2026-03-02T08:00:00Z \
	    agents.csv >/dev/null
	crm-route -q --db "$db" --rules "$TOP/examples/rules/routing.rules" \
	    --kb "$TOP/examples/kb.csv" --as-of 2026-03-02T12:00:00Z \
	    messages.jsonl >/dev/null
	crm-route update -q --db "$db" --as-of 2026-03-02T15:00:00Z \
	    "$TOP/examples/ticket-updates.jsonl" >/dev/null
	crm-route sweep -q --db "$db" --as-of 2026-03-02T15:05:00Z >/dev/null
	cd "$d/intent"
	crm-intent -q --db "$db" --as-of 2026-03-02 --keep-text \
	    messages.jsonl >/dev/null
	crm-intent -q --db "$db" --as-of 2026-03-02 --model sentiment \
	    messages.jsonl >/dev/null
	crm-intent label -q --db "$db" --as-of 2026-03-02 \
	    corrections.jsonl >/dev/null
	cd "$d/experiment"
	crm-ingest -q --db "$db" --kind events events.jsonl >/dev/null
	crm-experiment -q --experiment promo --holdout 0.1 --key-file key \
	    --db "$db" --as-of 2026-03-01 first.csv >/dev/null
	cd "$d/journey"
	crm-ingest -q --db "$db" customers.jsonl >/dev/null
	crm-ingest -q --db "$db" --kind events events.jsonl >/dev/null
	for day in 01 02 03; do
		crm-journey -q --db "$db" --journey winback.journey \
		    --as-of "2026-03-${day}T23:00:00Z" >/dev/null
	done
)
t_ok "the store made by the tools" test -s "$db"

r() { crm-report --db crm.db --as-of $asof --since 2026-02-15 "$@"; }

# ---- Golden outputs, determinism -----------------------------------------

t_run text 0 -- r --format text
t_run json 0 -- r --format json --outcome purchase
r --format text -o again.txt
r --format text >once.txt
t_ok "two runs: the same bytes" cmp once.txt again.txt
r --format json --outcome purchase >one.json
r --format json --outcome purchase >two.json
t_ok "two JSON runs: the same bytes" cmp one.json two.json

# The reader's locale changes no byte: a German one (a decimal comma,
# built here by localedef from the locales package) writes "0.75", not
# "0,75", which JSON reads as two numbers and a spreadsheet as another.
mkdir loc
localedef -i de_DE -f UTF-8 "$PWD/loc/de_DE.UTF-8" 2>/dev/null || true
for f in text json html; do
	LOCPATH=$PWD/loc LC_ALL=de_DE.UTF-8 r --format $f --outcome purchase \
	    >de.$f
	r --format $f --outcome purchase >c.$f
done
t_ok "a German locale: the locale was made" test -d loc/de_DE.UTF-8
t_ok "a German locale: the same text" cmp c.text de.text
t_ok "a German locale: the same JSON" cmp c.json de.json
t_ok "a German locale: the same HTML" cmp c.html de.html

# ---- Every section, and the figures against the store ---------------------

j() { /usr/bin/python3 -c "import json, sys
r = json.load(open('one.json'))
t = {x['id']: x for s in r['sections'] for x in s['tables']}
$1"; }
t_eq "every section" "customers health segments service models anomalies" \
    "$(j "print(' '.join(s['id'] for s in r['sections']))")"
t_eq "customer records" "$(q 'SELECT count(*) FROM customers')" \
    "$(j "print(t['customers-counts']['rows'][0][1])")"
t_eq "events" "$(q 'SELECT count(*) FROM events')" \
    "$(j "print(t['customers-counts']['rows'][2][1])")"
t_eq "persons" "$(q 'SELECT count(DISTINCT cluster_id) FROM clusters')" \
    "$(j "print(t['customers-persons']['rows'][1][1])")"
t_eq "churn scores: the latest of each customer" \
    "$(q "SELECT count(DISTINCT record_key) FROM decisions
	WHERE tool = 'crm-churn'")" \
    "$(j "print(sum(x[2] for x in t['health-churn-distribution']['rows']))")"
t_eq "high risk" "$(q "SELECT count(*) FROM decisions WHERE tool =
	'crm-churn' AND output = 'high'")" \
    "$(j "print(sum(x[2] for x in t['health-risk-by-segment']['rows']
	if x[1] == 'high'))")"
t_eq "tickets with a queue" \
    "$(q 'SELECT count(*) FROM tickets WHERE queue IS NOT NULL')" \
    "$(j "print(sum(x[2] for x in t['service-queues']['rows']))")"
t_eq "backlog at the end of the last day" \
    "$(q "SELECT count(*) FROM tickets WHERE queue IS NOT NULL AND
	status NOT IN ('solved', 'closed')")" \
    "$(j "print(t['service-backlog']['rows'][-1][3])")"
t_eq "SLA met" "$(q "SELECT count(*) FROM tickets WHERE queue IS NOT NULL
	AND first_response <= sla_due")" \
    "$(j "print(sum(x[2] for x in t['service-sla']['rows']
	if x[1] == 'met'))")"
t_eq "SLA breached" "$(q "SELECT count(*) FROM tickets WHERE queue IS NOT
	NULL AND (first_response > sla_due OR first_response IS NULL AND
	sla_due < '$asof')")" \
    "$(j "print(sum(x[2] for x in t['service-sla']['rows']
	if x[1] == 'breached'))")"
t_eq "escalations" \
    "$(q "SELECT count(*) FROM ticket_events WHERE event = 'escalated'")" \
    "$(j "print(sum(x[2] for x in t['service-escalations']['rows']))")"
t_eq "bot answers" "$(q "SELECT count(DISTINCT ticket_id) FROM
	ticket_events e WHERE event = 'reply' AND actor = 'bot' AND NOT EXISTS
	(SELECT 1 FROM ticket_events f WHERE f.ticket_id = e.ticket_id AND
	f.event = 'reply' AND f.id < e.id)")" \
    "$(j "print([x[1] for x in t['service-bot']['rows']
	if x[0] == 'the bot'][0])")"
t_eq "RFM grid: every segment" \
    "$(q "SELECT count(*) FROM tags WHERE rule = 'rfm'")" \
    "$(j "print(sum(x[2] for x in t['segments-rfm-grid']['rows']))")"
t_eq "assignments" "$(q 'SELECT count(*) FROM assignments')" \
    "$(j "print(sum(x[2] for x in t['models-experiments']['rows']))")"
t_eq "journey actions up to --as-of" \
    "$(q "SELECT count(*) FROM journey_actions WHERE time <= '$asof'")" \
    "$(j "print(sum(x[4] for x in t['models-journey-actions']['rows']))")"
t_eq "tickets of the last day: flagged, queue general moved most" \
    "tickets $(q "SELECT count(*) FROM tickets WHERE queue IS NOT NULL AND
	created LIKE '2026-03-02%'") yes general" \
    "$(j "print(*[x for x in t['anomalies-metrics']['rows']
	if x[0] == 'tickets'][0][0:3:2], 'yes', 'general')")"
t_ok "flags come first in the text" grep -q '^! tickets on 2026-03-02: 1' \
    once.txt
# columns as a terminal shows them: CJK two, combining accents none
t_eq "no line over 80 columns" "" "$(/usr/bin/python3 -c "import unicodedata
def w(l):
    return sum(0 if unicodedata.combining(c) else
        2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in l)
print(*[n for n, l in enumerate(open('once.txt', encoding='utf-8'), 1)
    if w(l.rstrip('\n')) > 80])")"

# ---- Days in another zone --------------------------------------------------

crm-report --db crm.db --as-of 2026-03-02T16:30:00Z --tz Asia/Shanghai \
    --format json >sh.json
t_eq "--tz Asia/Shanghai: 16:30 UTC is the next day, without tickets" \
    "2026-03-03 0" "$(/usr/bin/python3 -c "import json
r = json.load(open('sh.json'))
t = {x['id']: x for s in r['sections'] for x in s['tables']}
print(*[x for x in t['anomalies-metrics']['rows']
    if x[0] == 'tickets'][0][1:3])")"

# ---- Usage ----------------------------------------------------------------

# The HTML (the default): the same bytes twice; in headless Chromium,
# offline, every chart of the report drawn with as many marks as its
# table has rows, no console error, no request but the file (see t131).
r -o one.html
r --format html >two.html
t_ok "two HTML runs: the same bytes" cmp one.html two.html
t_run browser 0 -- /usr/bin/python3 "$TOP/tests/browser/check-page.py" \
    one.html page.png billing

t_run no-db 64 -- crm-report
t_run no-store 66 -- crm-report --db nothing.db
# A file that is not a store is refused and left as it was: --db is read
# only, so no schema is written into another program's database.
sqlite3 other.db 'CREATE TABLE x (a)'
: >empty.db
echo 'not a database' >text.db
t_run not-a-store 65 -- crm-report --db other.db
t_eq "not a store: left as it was" "x" "$(sqlite3 other.db .tables)"
t_run empty-file 65 -- crm-report --db empty.db
t_ok "an empty file: left empty" test ! -s empty.db
t_run not-sqlite 65 -- crm-report --db text.db
# A store one may read but not write (a copy on a share, a cron job of
# another user) is reported: --db is read only.  As root, the report runs
# as nobody; the folder takes the -shm file WAL readers share.
mkdir ro
cp crm.db ro/crm.db
chmod 444 ro/crm.db
chmod 1777 ro
chmod 711 .
as=
[ "$(id -u)" = 0 ] && as="runuser -u nobody --"
t_ok "a store one may not write: reported" $as crm-report --db "$PWD/ro/crm.db" \
    --as-of $asof --since 2026-02-15 --format text -o "$PWD/ro/ro.txt"
t_eq "a store one may not write: the same report (but its name)" \
    "$(tail -n +2 once.txt)" "$(tail -n +2 ro/ro.txt)"
t_run bad-tz 64 -- crm-report --db crm.db --tz Mars/Base
t_run bad-since-date 64 -- crm-report --db crm.db --since 2026-13-01
t_run bad-since 64 -- crm-report --db crm.db --as-of 2026-03-02 \
    --since 2026-04-01
t_run output-is-store 64 -- crm-report --db crm.db -o crm.db
t_run operand 64 -- crm-report --db crm.db crm.db
t_done
