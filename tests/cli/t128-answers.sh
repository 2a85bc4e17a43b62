# t128-answers: crm-route's knowledge base as templates filled from the
# customer's facts: the seed's "where is my order" without an order id
# (the latest order) and with one (English), the answer picked by
# language and condition, an answer with a slot left empty not sent and
# the ticket given to people with the reason, the decisions keeping the
# answer's id and slot names but no value; CSV input alike; per person;
# bad templates, conditions and entities refused.
. "$TOP/tests/lib.sh"
t_use answers

q() { sqlite3 -batch -noheader crm.db "$@"; }
T=2026-03-02T10:00:00Z
crm-ingest -q --db crm.db --kind customers in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null
cp crm.db csv.db
cp crm.db person.db
cp crm.db asof.db
cp crm.db facts.db
reply() { jq -r "select(.id == \"$1\") | [.queue, .reply] | join(\" \")" \
    routed.jsonl; }

#  T1 the seed's message, no entities: C1's latest order, A123, its last
#     event (运输中, eta 03-04), not the first (已发货, 03-05).
#  T2 order A100 named: delivered, so the zh answer whose condition holds.
#  T3 C2 (gold) names B201: the gold English answer, product from the order.
#  T4 C2 names B200, delivered: the gold answer's condition fails.
#  T5 C4's latest order D400 has no status: not sent, to people.
#  T6 C3 has no order; T7 names an order C2 does not have.
#  T8 a plain answer, as before templates; T9 the amount of the message;
#  T10 no amount and no order: not sent; T11 the amount of the latest order.
t_run answers 0 -- crm-route --db crm.db --kb in/kb.csv --as-of $T \
    in/tickets.jsonl
crm-route -q --db csv.db --kb in/kb.csv --as-of $T in/tickets.jsonl \
    >routed.jsonl
t_eq "the seed's message: the latest order's status and eta" \
    "bot 王芳您好，您的订单 A123 当前状态：运输中，预计 2026-03-04 送达。" \
    "$(reply T1)"
t_eq "an English message with an order id" \
    "bot Dear Alice Brown, your order B201 (Toaster) is processing and should arrive by 2026-03-09. Your gold line: reply \"agent\"." \
    "$(reply T3)"
t_eq "the answer whose condition holds" \
    "bot Order B200 was delivered on 2026-02-27. If it has not reached you, reply \"agent\"." \
    "$(reply T4)"
t_eq "a slot left empty: nothing sent, the ticket to people" "general " \
    "$(reply T5)"
t_eq "the ticket waits for a person, with the reason" \
    "T5|new|general|answer order_status.zh not sent: no order status for order D400; no rule matched
T6|new|general|answer order_status.en not sent: no order of the customer; no rule matched
T7|new|general|answer order_status.en not sent: no order Z999 of the customer; no rule matched
T10|new|general|answer refund_amount not sent: no amount in the message, nor order of the customer; no rule matched" \
    "$(q "SELECT t.ticket_id, t.status, t.queue, e.reason FROM tickets t
	JOIN ticket_events e USING (ticket_id) WHERE e.event = 'state'
	AND e.reason LIKE 'answer %' ORDER BY e.id")"
t_eq "the decision: the answer's id and slot names, the one left empty" \
    '{"answered":0,"answer":{"id":"order_status.zh","slots":["customer.name","order_id","order_status","eta"],"missing":"order_status"}}' \
    "$(q "SELECT json_object('answered', json_extract(reasons, '$.answered'),
	'answer', json_extract(reasons, '$.answer')) FROM decisions
	WHERE record_key = 'T5'")"
t_eq "a decision row holds no filled value" 0 \
    "$(q "SELECT count(*) FROM decisions WHERE tool = 'crm-route' AND (
	instr(reasons || output, 'A123') OR instr(reasons || output, 'D400')
	OR instr(reasons || output, 'B201') OR instr(reasons || output, '运输中')
	OR instr(reasons || output, '2026-03-04')
	OR instr(reasons || output, 'Alice') OR instr(reasons || output, '王芳')
	OR instr(reasons || output, '12.50') OR instr(reasons || output, '42.00'))")"
t_eq "every answer of the knowledge base in the log" 11 \
    "$(q "SELECT count(*) FROM decisions WHERE tool = 'crm-route'
	AND json_extract(reasons, '$.answer.id') IS NOT NULL")"

# CSV: the entities as JSON text; the same answers.
jq -r '[.id, .customer_id, .created, .text, .intent, .intent_score,
    (.entities | if . == null then "" else tojson end)] | @csv' \
    in/tickets.jsonl | sed '1i id,customer_id,created,text,intent,intent_score,entities' \
    >tickets.csv
crm-route -q --kb in/kb.csv --db csv.db --as-of $T --output-format jsonl \
    tickets.csv | jq -c '[.id, .reply]' >csv.out
jq -c '[.id, .reply]' routed.jsonl >jsonl.out
t_ok "CSV input: the same answers" cmp csv.out jsonl.out

# Per person (crm-dedupe's clusters): C3, who has no order, and C2 are
# one person, so C3's question gets the person's latest order, B201.
sqlite3 person.db "INSERT INTO clusters VALUES ('C3', 'K1', 1, '$T'),
    ('C2', 'K1', 1, '$T')"
jq -c 'select(.id == "T6")' in/tickets.jsonl >t6.jsonl
t_eq "per person: the person's latest order" \
    "Order B201 is processing; it should arrive by 2026-03-09." \
    "$(crm-route -q --db person.db --kb in/kb.csv --as-of $T t6.jsonl |
	jq -r .reply)"
t_eq "--by record: the customer's own, none" "null" \
    "$(crm-route -q --db person.db --by record --kb in/kb.csv --as-of $T \
	t6.jsonl | jq -r .reply)"

# --as-of is the reference time: an order event after it is not used,
# even half a second after (times compared as instants, not as text).
printf '%s\n' '{"event_id":"E5","customer_id":"C1","time":"2026-03-02T10:00:00.500Z","type":"order","order_id":"A123","status":"later","eta":"2026-03-06"}' \
    >late.jsonl
crm-ingest -q --db asof.db --kind events late.jsonl >/dev/null
jq -c 'select(.id == "T1")' in/tickets.jsonl >t1.jsonl
t_eq "--as-of: the order as it was then" \
    "王芳您好，您的订单 A123 当前状态：已发货，预计 2026-03-05 送达。" \
    "$(crm-route -q --db asof.db --kb in/kb.csv --as-of 2026-02-28T00:00:00Z \
	t1.jsonl | jq -r .reply)"
t_eq "--as-of: an event half a second later is not used" \
    "王芳您好，您的订单 A123 当前状态：运输中，预计 2026-03-04 送达。" \
    "$(crm-route -q --db asof.db --kb in/kb.csv --as-of $T t1.jsonl |
	jq -r .reply)"

# An order's facts from all its events: a status changed (E6: no eta,
# item nor amount) keeps the eta, item and amount given before, and the
# order's date is when it was ordered (E2), not the last change.
printf '%s\n' '{"event_id":"E6","customer_id":"C1","time":"2026-03-01T12:00:00Z","type":"order","order_id":"A123","status":"派送中"}' \
    >change.jsonl
crm-ingest -q --db facts.db --kind events change.jsonl >/dev/null
printf '%s\n' 'id,intent,answer' \
    'facts,order_facts,"{order_id}: {product}, {amount}, ordered {order_date}, {order_status}, by {eta}"' \
    >facts.csv
printf '%s\n' '{"id":"F1","customer_id":"C1","created":"2026-03-02T09:50:00Z","text":"my order?","intent":"order_facts","intent_score":0.9}' \
    >f1.jsonl
t_eq "a status changed keeps the order's other facts" \
    "A123: SKU-7, 58.00, ordered 2026-02-27T10:00:00Z, 派送中, by 2026-03-04" \
    "$(crm-route -q --db facts.db --kb facts.csv --as-of $T f1.jsonl |
	jq -r .reply)"

# No order named: the latest order is the one ordered last (B201), not
# an older one whose status changed since (B200, returned on 03-01).
printf '%s\n' '{"event_id":"E12","customer_id":"C2","time":"2026-03-01T10:00:00Z","type":"order","order_id":"B200","status":"returned"}' \
    >returned.jsonl
crm-ingest -q --db facts.db --kind events returned.jsonl >/dev/null
printf '%s\n' '{"id":"F2","customer_id":"C2","created":"2026-03-02T09:55:00Z","text":"my order?","intent":"order_facts","intent_score":0.9}' \
    >f2.jsonl
t_eq "no order named: the one ordered last" \
    "B201: Toaster, 42.00, ordered 2026-02-28T15:00:00Z, processing, by 2026-03-09" \
    "$(crm-route -q --db facts.db --kb facts.csv --as-of $T f2.jsonl |
	jq -r .reply)"

# Without a store: no customer's facts, no order; the plain answer and
# the message's amount still go out.
t_run no-store 0 -- crm-route --kb in/kb.csv --now $T in/tickets.jsonl

# Bad templates, conditions and entities.
t_run kb-bad-slot 65 -- crm-route --kb in/kb-bad-slot.csv in/tickets.jsonl
t_run kb-brace 65 -- crm-route --kb in/kb-brace.csv in/tickets.jsonl
t_run kb-bad-when 65 -- crm-route --kb in/kb-bad-when.csv in/tickets.jsonl
t_run bad-entities 65 -- crm-route --kb in/kb.csv --now $T \
    in/bad-entities.jsonl
t_done
