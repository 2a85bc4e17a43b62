# t116-by-person: everything per person (--by person|record).  Ana Lima
# is two customers: C1 orders in the app, C7 complains to the hotline
# (and once ordered a filter there); clustered into one person, C1, her
# orders and complaints add up for crm-tag and crm-churn, crm-route
# sees her value and tags together, and crm-recommend gives neither
# record an item the other had.  --by record gives the old per-record
# figures, and a model is never applied the other way.
. "$TOP/tests/lib.sh"
t_use byperson

q() { sqlite3 -batch -noheader crm.db "$@"; }
day=2025-10-15
crm-ingest -q --db crm.db in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null

# ---- Before clusters: per record, the default ----------------------------

t_run tag-no-clusters 0 -- crm-tag -q --from-store --db crm.db --as-of $day \
    --rules in/person.rules
t_ok "no clusters: the default is --by record" sh -c \
    "crm-tag -q --from-store --db crm.db --as-of $day --rules in/person.rules \
    --by record | cmp -s - $T_DATA/tag-no-clusters.out"

# ---- One person of two records -------------------------------------------

# as crm-dedupe --db would store them: C7 joined to C1's cluster
q "INSERT INTO clusters(record_id, cluster_id, score, time) VALUES
   ('C1', 'C1', NULL, '$day'), ('C7', 'C1', 0.97, '$day')"
# C1 and C7: orders 4 (3 + 1), spend 80 (75 + 5), complaints_90d 2 (0 +
# 2), tenure from C7's signup; each under its own id.
t_run tag-person 0 -- crm-tag -q --from-store --db crm.db --as-of $day \
    --rules in/person.rules
t_ok "clusters: the default is --by person" sh -c \
    "crm-tag -q --from-store --db crm.db --as-of $day --rules in/person.rules \
    --by person | cmp -s - $T_DATA/tag-person.out"
t_run tag-record 0 -- crm-tag -q --from-store --db crm.db --as-of $day \
    --rules in/person.rules --by record
t_ok "--by record: the figures before clusters" \
    cmp -s "$T_DATA/tag-no-clusters.out" "$T_DATA/tag-record.out"
t_run bad-by 64 -- crm-tag --from-store --db crm.db --rules in/person.rules \
    --by people
# without a store --by has nothing to read: a usage error, not ignored
t_run tag-by-no-db 64 -- crm-tag --rules in/person.rules --by person \
    in/customers.jsonl
t_run route-by-no-db 64 -- crm-route --by record in/messages.jsonl

# crm-churn: the person's features, trained and scored per person
t_run churn-train 0 -- crm-churn train --db crm.db --from-store --as-of $day \
    --label-field churned --algo lr
# one record per person, not per record: Ana (C1 not churned, C7
# churned) is one, not churned, as she still orders through C1
t_eq "eval per person: 4 persons, 2 churned" "n=4 positives=2" \
    "$(crm-churn eval -q --db crm.db --from-store --as-of $day \
	--label-field churned | grep -o 'n=[0-9]* positives=[0-9]*')"
t_eq "the model says it is per person" person \
    "$(q "SELECT json_extract(params, '$.by') FROM models WHERE name = 'churn'")"
t_run churn-person 0 -- crm-churn -q --db crm.db --from-store --as-of $day \
    --reasons 1
t_run churn-record-refused 65 -- crm-churn --db crm.db --from-store \
    --as-of $day --by record
t_eq "refused: nothing scored, nothing logged" 5 \
    "$(q "SELECT count(*) FROM decisions WHERE tool = 'crm-churn'")"
# a model file keeps it in its params header; per record, the bare model
crm-churn train -q --db crm.db --from-store --as-of $day \
    --label-field churned --algo lr --model-file person.model
crm-churn train -q --db crm.db --from-store --as-of $day \
    --label-field churned --algo lr --model-file record.model --by record
t_eq "a person model file begins with its params" CRMPARAM \
    "$(head -c 8 person.model)"
t_eq "a record model file is the bare model" CRMBIN02 \
    "$(head -c 8 record.model)"
t_run churn-file-refused 65 -- crm-churn -q --db crm.db --from-store \
    --as-of $day --model-file person.model --by record
t_run churn-record-file-refused 65 -- crm-churn -q --db crm.db --from-store \
    --as-of $day --model-file record.model
t_run churn-record 0 -- crm-churn -q --db crm.db --from-store --as-of $day \
    --model-file record.model --by record --reasons 1
# a model from before --by (no "by" in its params) is per record
q "UPDATE models SET params = json_remove(params, '$.by') WHERE name = 'churn'"
t_run churn-old-model 65 -- crm-churn -q --db crm.db --from-store \
    --as-of $day
# features read from a file are the file's, clusters or not: a model of
# them is per record (unless --by says otherwise), and scores without
# the store
printf '%s\n' '{"customer_id":"X1","orders":1,"churned":"yes"}' \
    '{"customer_id":"X2","orders":5,"churned":"no"}' \
    '{"customer_id":"X3","orders":0,"churned":"yes"}' \
    '{"customer_id":"X4","orders":7,"churned":"no"}' >feat.jsonl
crm-churn train -q --db crm.db --label-field churned --algo lr \
    --model-file feat.model feat.jsonl
t_eq "a model of a file's features is per record" CRMBIN02 \
    "$(head -c 8 feat.model)"
t_ok "and scores the file without the store" sh -c \
    "crm-churn -q --model-file feat.model feat.jsonl >/dev/null"

# crm-route: tags per record (C1 buyer, big_spender; C7 none), then the
# facts of C7's ticket are its person's: value 80, C1's tags, the
# person's latest churn probability.
crm-tag -q --db crm.db --from-store --as-of $day --rules in/person.rules \
    --by record >/dev/null
t_run route-person 0 -- crm-route -q --db crm.db \
    --rules in/person-routing.rules --now ${day}T10:00:00Z in/messages.jsonl
t_run route-record 0 -- crm-route -q --db crm.db --by record \
    --rules in/person-routing.rules --now ${day}T10:00:00Z in/messages.jsonl
t_eq "per person, C7's ticket goes where C1's does; per record, not" \
    "T1 vip T2 vip|T1 winback T2 vip" \
    "$(for f in route-person route-record; do
	sed -n 's/^{"id":"\(T[12]\)".*"queue":"\([a-z]*\)".*/\1 \2/p' \
	    "$T_DATA/$f.out" | tr '\n' ' ' | sed 's/ $//'; echo '|'; done |
	tr -d '\n' | sed 's/|$//')"

# crm-recommend: a person's items from both records; recommending for
# either record recommends for the person
t_run reco-train 0 -- crm-recommend train --db crm.db --from-store --algo knn
t_run reco-person 0 -- crm-recommend -q --db crm.db --from-store --top 3
t_run reco-record-refused 65 -- crm-recommend -q --db crm.db --from-store \
    --by record
# without the store no customer id is known as its person's: recommending
# for C7 would give the popular items, not Ana's
t_run reco-person-no-db 64 -- crm-recommend --by person \
    --model-file person.reco in/customers.jsonl
crm-recommend train -q --db crm.db --from-store --algo knn --by record \
    --model-file record.reco
t_run reco-record 0 -- crm-recommend -q --db crm.db --from-store --top 3 \
    --by record --model-file record.reco

t_done
