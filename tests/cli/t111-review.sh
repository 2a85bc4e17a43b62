# Human review: --review FILE, rules 'NAME: SQL expression' over the
# decision's output record and the customer's facts in the store.  A
# matched decision is written with needs_review (the rule's name) and
# the decisions row's review, and is not acted on: crm-churn leaves the
# action out, crm-route sends no knowledge-base answer (the ticket goes
# to a person); --act-on-review acts anyway, still marked.  Consent wins
# over --act-on-review.  Clearing a row's review is caught by crm-mask
# verify.  Hostile rules files name file:line.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use review
ln -s "$TOP/examples" ex

q() { sqlite3 -batch -noheader "$1" "$2"; }
now=2026-03-02T12:00:00Z

# c1, c3 and c7 are VIPs, c8 gold (the customers' extra field tier, in
# the store);
# c3 withdrew marketing_email consent.
crm-ingest -q --db crm.db in/customers.csv >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null
c_copy crm.db r2.db
crm-churn train -q --model-file m.model --label-field churn in/train.csv
churn() {
	crm-churn --model-file m.model --db crm.db --reasons 0 \
	    --action-threshold 0.5 --action retention_offer \
	    --as-of 2026-04-01 "$@" in/score.csv
}

# ---- crm-churn --------------------------------------------------------------

# c1: a VIP over the threshold: marked, no action.  c3: a VIP who
# withdrew: marked and suppressed.  c7: a VIP at low risk: no review.
t_run churn 0 -- churn --review in/churn.review --show-suppressed
t_eq "no VIP's churn action in the output" "" \
    "$(churn -q --review in/churn.review | grep retention_offer |
	cut -d, -f1 | grep -x -e c1 -e c3 -e c7 || true)"
t_eq "the decision rows of the VIPs name the review" \
    "c1|high|vip_retention
c3|high|vip_retention" \
    "$(q crm.db "SELECT subject, output, review FROM decisions
	WHERE review IS NOT NULL AND id <= 7 ORDER BY id")"
t_eq "the others have none" 5 \
    "$(q crm.db "SELECT count(*) FROM decisions
	WHERE review IS NULL AND id <= 7")"
# --act-on-review: c1 gets the action, still marked; consent still wins
# for c3.
t_run churn-act 0 -- churn -q --review in/churn.review --act-on-review
t_run churn-act-alone 64 -- churn --act-on-review
t_run churn-train-review 64 -- crm-churn train --review in/churn.review \
    --model-file x.model in/train.csv

# ---- crm-route --------------------------------------------------------------

# T1 answered (0.97); T2 answered at 0.91 < 0.95: low_confidence, to a
# person (general); T3 a gold customer's answer (tier, a fact of the
# store): gold_answer, to a person; T4 not answered (0.55 <
# --reply-confidence 0.8): no review.  (A VIP's ticket is escalated to
# the senior queue and never answered by the bot.)
route() {
	crm-route --kb ex/kb.csv --review in/route.review --now $now "$@" \
	    in/tickets.jsonl
}
t_run route 0 -- route --db crm.db
t_eq "the routing decisions name the review" \
    "T2|low_confidence|{\"priority\":\"P3\",\"queue\":\"general\",\"assignee\":null}
T3|gold_answer|{\"priority\":\"P2\",\"queue\":\"general\",\"assignee\":null}" \
    "$(q crm.db "SELECT record_key, review, output FROM decisions
	WHERE tool = 'crm-route' AND review IS NOT NULL ORDER BY id")"
t_eq "the held tickets wait for a person, T1 the bot's" \
    "T1|bot|solved
T2|general|new
T3|general|new
T4|general|new" \
    "$(q crm.db "SELECT ticket_id, queue, status FROM tickets ORDER BY 1")"
t_run route-act 0 -- route -q --db r2.db --act-on-review
t_eq "--act-on-review: answered, still marked" "T2|low_confidence|bot
T3|gold_answer|bot" \
    "$(q r2.db "SELECT d.record_key, d.review, t.queue FROM decisions d
	JOIN tickets t ON t.ticket_id = d.record_key
	WHERE d.review IS NOT NULL ORDER BY d.id")"

# ---- The audit chain covers the review ---------------------------------------

t_run verify 0 -- crm-mask verify --db crm.db
id=$(q crm.db "SELECT min(id) FROM decisions WHERE review IS NOT NULL")
c_copy crm.db cleared.db
q cleared.db "UPDATE decisions SET review = NULL WHERE id = $id"
t_run verify-cleared 65 -- crm-mask verify --db cleared.db
c_copy crm.db set.db
q set.db "UPDATE decisions SET review = 'x' WHERE id = 2"
t_run verify-set 65 -- crm-mask verify --db set.db

# ---- Hostile rules files -------------------------------------------------------

t_run bad-syntax 65 -- churn --review in/bad-syntax.review
t_run bad-field 66 -- churn --review in/bad-field.review
t_run bad-name 65 -- churn --review in/bad-name.review
t_run no-file 66 -- churn --review nothere.review
t_run bad-field-route 66 -- crm-route --kb ex/kb.csv --now $now \
    --review in/bad-field-route.review in/tickets.jsonl
t_run route-no-db-fact 66 -- crm-route --kb ex/kb.csv --now $now \
    --review in/route.review in/tickets.jsonl

t_done
