# Human review of crm-dedupe's links: --review FILE, rules 'NAME: SQL
# expression' over the pair's fields (pair_prob, pair_id1, pair_id2), the
# fields of either record and, with --db, that customer's facts.  A link a
# rule matches joins nothing (the records stay apart unless other links
# join them) and its records are marked needs_review, in the plain
# output, --merge, --link and --incremental alike, and in the decisions
# rows' review; --act-on-review joins it, still marked.  A rule naming an
# unknown field names file:line and the near name.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use dedupe-review

q() { sqlite3 -batch -noheader "$1" "$2"; }

# A3 joins A1 and A2 at 0.9901 (< 0.995): low_prob, held: A3 apart, the
# three marked; B1-B2 at 0.9996, B2 by the hotline: hotline, held.
t_run plain 0 -- crm-dedupe --review in/dedupe.review in/customers.csv
t_run act 0 -- crm-dedupe --review in/dedupe.review --act-on-review \
    in/customers.csv
t_run merge 0 -- crm-dedupe --merge --review in/dedupe.review \
    in/customers.csv
t_run link 0 -- crm-dedupe --link in/link.csv --review in/dedupe.review \
    in/customers.csv
t_run jsonl 0 -- crm-dedupe --review in/dedupe.review in/customers.jsonl

# The store: the held records' clusters and decisions.
crm-ingest -q --db crm.db in/customers.csv >/dev/null

c_copy crm.db act.db
t_run store 0 -- crm-dedupe -q --db crm.db --from-store \
    --review in/dedupe.review
t_eq "the held records are clusters of their own" "A1|A1|A3|B1|B2" \
    "$(q crm.db "SELECT cluster_id FROM clusters
	WHERE record_id IN ('A1', 'A2', 'A3', 'B1', 'B2') ORDER BY record_id" |
	paste -sd'|')"
t_eq "the decision rows name the review" \
    "A1|A1|low_prob
A2|A1|low_prob
A3|A3|low_prob
B1|B1|hotline
B2|B2|hotline" \
    "$(q crm.db "SELECT record_key, output, review FROM decisions
	WHERE tool = 'crm-dedupe' AND review IS NOT NULL ORDER BY record_key")"
t_eq "a held record's row has the held link's score" "0.9901" \
    "$(q crm.db "SELECT printf('%.4f', score) FROM decisions
	WHERE record_key = 'A3'")"
t_eq "the others have none" 4 \
    "$(q crm.db "SELECT count(*) FROM decisions
	WHERE tool = 'crm-dedupe' AND review IS NULL")"
t_run verify 0 -- crm-mask verify --db crm.db
t_run store-act 0 -- crm-dedupe -q --db act.db --from-store \
    --review in/dedupe.review --act-on-review
t_eq "--act-on-review: joined, still marked" "A1|low_prob
A1|low_prob
A1|low_prob
B1|hotline
B1|hotline" \
    "$(q act.db "SELECT output, review FROM decisions
	WHERE tool = 'crm-dedupe' AND review IS NOT NULL ORDER BY record_key")"

# --incremental: U1 would join A1's cluster at 0.7999 (< 0.995): held,
# a cluster of its own in the store.
crm-ingest -q --db crm.db in/updates.csv >/dev/null
c_copy crm.db inc-act.db
t_run incremental 0 -- crm-dedupe --db crm.db --incremental \
    --review in/dedupe.review in/updates.csv
t_eq "U1 stays apart in the store" "U1|U1" \
    "$(q crm.db "SELECT cluster_id FROM clusters WHERE record_id = 'U1'")|$(
	q crm.db "SELECT output FROM decisions WHERE record_key = 'U1'
	AND review = 'low_prob'")"
crm-dedupe -q --db inc-act.db --incremental --review in/dedupe.review \
    --act-on-review in/updates.csv >/dev/null
t_eq "--act-on-review: U1 joins A1's cluster" "A1" \
    "$(q inc-act.db "SELECT cluster_id FROM clusters
	WHERE record_id = 'U1'")"

# A store fact: E1's tier (in the store, not in the input) holds E1-E2.
crm-ingest -q --db facts.db in/customers-tier.csv >/dev/null
t_run facts 0 -- crm-dedupe -q --db facts.db --review in/vip.review \
    in/customers.csv
t_eq "the VIP's link is held by a fact of the store" "E1|E1|vip
E2|E2|vip" \
    "$(q facts.db "SELECT record_key, output, review FROM decisions
	WHERE review IS NOT NULL ORDER BY record_key")"

# ---- Hostile rules files -------------------------------------------------------

t_run bad-field 66 -- crm-dedupe --review in/bad-field.review \
    in/customers.csv
t_run bad-field-jsonl 66 -- crm-dedupe --review in/bad-jsonl.review \
    in/customers.jsonl
t_run bad-syntax 65 -- crm-dedupe --review in/bad-syntax.review \
    in/customers.csv
t_run bad-name 65 -- crm-dedupe --review in/bad-name.review in/customers.csv
t_run no-file 66 -- crm-dedupe --review nothere.review in/customers.csv
t_run act-alone 64 -- crm-dedupe --act-on-review in/customers.csv

t_done
