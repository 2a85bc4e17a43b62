# crm-churn: train, score, eval and cross-validation on records; features
# from the store's events; the audit log; determinism and bad input.
. "$TOP/tests/lib.sh"
t_use churn

q() { sqlite3 -batch -noheader crm.db "$@"; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# Records: numbers standardized, categories one-hot, blanks imputed.
t_run train 0 -- crm-churn train --model-file m.model --label-field Churn \
    --id-field customerID in/telco-like.csv
t_run score-blank-total 0 -- crm-churn --model-file m.model \
    --id-field customerID --action-threshold 0.5 --action retention_offer \
    in/score.csv
t_run eval 0 -- crm-churn eval -q --model-file m.model --label-field Churn \
    --id-field customerID in/telco-like.csv
t_run eval-cv 0 -- crm-churn eval -q --cv 3 --label-field Churn \
    --id-field customerID in/telco-like.csv
t_run eval-cv-json 0 -- crm-churn eval -q --cv 3 --json --label-field Churn \
    --id-field customerID --ignore gender in/telco-like.csv
crm-churn train -q --model-file m2.model --label-field Churn \
    --id-field customerID in/telco-like.csv
# A link planted where the model's temporary used to be (PATH.tmp.PID:
# exec keeps the shell's pid) is not followed: its target keeps its bytes,
# and the model is a new file with the usual mode.
echo keep >victim
t_ok "a planted temporary link is not followed" sh -c \
    'umask 022; ln -s victim m3.model.tmp.$$; exec crm-churn train -q \
    --model-file m3.model --label-field Churn --id-field customerID \
    in/telco-like.csv'
t_eq "its target is untouched" keep "$(cat victim)"
t_ok "the model is a regular file, mode 644, like the one before" sh -c \
    'test -f m3.model && test ! -L m3.model && cmp -s m2.model m3.model &&
    test "$(stat -c %a m3.model)" = 644'

# eval with --output-format: the figures as records, a fold field first.
t_run eval-cv-records 0 -- crm-churn eval -q --cv 3 --output-format jsonl \
    --label-field Churn --id-field customerID in/telco-like.csv
t_run eval-json-and-records 64 -- crm-churn eval --json --output-format jsonl \
    --label-field Churn in/telco-like.csv
t_run eval-records 0 -- crm-churn eval -q --model-file m.model \
    --output-format tsv --label-field Churn --id-field customerID \
    in/telco-like.csv
if command -v mlr >/dev/null 2>&1; then
	t_ok "eval --cv 3 --output-format jsonl reads in mlr" sh -c \
	    "crm-churn eval -q --cv 3 --output-format jsonl --label-field Churn \
	    --id-field customerID in/telco-like.csv |
	    mlr --ijson --ocsv cut -f fold,auc | cmp -s - in/eval-cv-mlr.csv"
fi
t_ok "same data, same model bytes" cmp m.model m2.model

# Calibration: eval --json adds the reliability table to the Brier score.
t_run eval-json 0 -- crm-churn eval -q --json --model-file m.model \
    --label-field Churn --id-field customerID in/telco-like.csv

# An id: words different in every record are left out, with a warning,
# unless named categorical; all-distinct numbers (charges) stay.
t_run id-left-out 0 -- crm-churn train --model-file id.model \
    --label-field Churn in/telco-like.csv
t_ok "the model without the id scores as the one with --id-field" sh -c \
    'crm-churn -q --model-file id.model --id-field customerID \
    --action-threshold 0.5 --action retention_offer in/score.csv |
    cmp -s - '"$TOP"'/testdata/churn/score-blank-total.out' 
t_run id-kept 0 -- crm-churn train --model-file idk.model \
    --label-field Churn --categorical customerID in/telco-like.csv
t_run id-left-out-cv 0 -- crm-churn eval -q --cv 3 --label-field Churn \
    in/telco-like.csv
t_ok "the same folds as with --id-field" sh -c 'crm-churn eval -q --cv 3 \
    --label-field Churn in/telco-like.csv 2>/dev/null | cmp -s - '"$TOP"'/testdata/churn/eval-cv.out'

# Any yes/no outcome: --target names the fields, the label and the model.
t_run target-train 0 -- crm-churn train --db o.db --target converted \
    --id-field opportunity_id in/opportunities.csv
t_eq "the model is named after the target" "converted|1|converted" \
    "$(sqlite3 -batch -noheader o.db "SELECT name, version,
	json_extract(params, '$.target') FROM models")"
head -4 in/opportunities.csv >o4.csv
t_run target-score 0 -- crm-churn -q --db o.db --target converted \
    --id-field opportunity_id --reasons 1 --action-threshold 0.5 \
    --action call o4.csv
t_run target-label-field 0 -- crm-churn eval -q --model-file m.model \
    --target leaves --label-field Churn --id-field customerID \
    in/telco-like.csv
t_run bad-target 64 -- crm-churn --target 2x --model-file m.model \
    in/score.csv
t_run svm 0 -- crm-churn eval -q --cv 3 --algo svm --label-field Churn \
    --id-field customerID in/telco-like.csv

# JSON: true/false labels and fields, null numbers.
printf '%s\n' '{"customer_id":"A","x":1,"vip":true,"churn":true}' \
    '{"customer_id":"B","x":2,"vip":false,"churn":false}' \
    '{"customer_id":"C","x":null,"vip":true,"churn":1}' >j.jsonl
printf '%s\n' '{"customer_id":"Y","x":null,"vip":true}' >y.jsonl
crm-churn train -q --model-file j.model j.jsonl
t_run json-bool 0 -- crm-churn -q --model-file j.model --reasons 2 y.jsonl

# JSONL records need not all have every field; folds of one class.
printf '%s\n' '{"customer_id":"A","x":1,"churn":true}' \
    '{"customer_id":"B","churn":false}' '{"customer_id":"C","x":3,"churn":1}' \
    '{"customer_id":"D","x":0,"churn":0.0}' >het.jsonl
t_run train-uneven 0 -- crm-churn train --model-file het.model het.jsonl
printf 'id,x,churn\na,1,Yes\nb,2,no\nc,3, 1 \nd,4,FALSE\ne,5,"  y"\nf,6,T\n' \
    >lab.csv
t_run cv-one-class-fold 0 -- crm-churn eval -q --cv 3 --id-field id lab.csv
t_run cv-one-class-fold-csv 0 -- crm-churn eval -q --cv 3 --id-field id \
    --output-format csv lab.csv
t_run cv-untrainable-fold 65 -- crm-churn eval -q --cv 2 --id-field id \
    lab.csv

# A damaged model never crashes: every cut of one is refused.
size=$(wc -c <m.model)
n=0 bad=
while [ "$n" -lt "$size" ]; do
	head -c "$n" m.model >cut.model
	rc=0
	crm-churn -q --model-file cut.model --id-field customerID \
	    in/score.csv >/dev/null 2>&1 || rc=$?
	[ "$rc" = 65 ] || bad="$bad $n:$rc"
	n=$((n + 5))
done
t_eq "every cut model refused with 65" "" "$bad"

# Gradient-boosted trees: scores with TreeSHAP reasons; the same bytes on
# one thread and two; a damaged model refused with 65.
t_run gbt-train 0 -- crm-churn train --algo gbt --threads 1 \
    --model-file g.model --label-field Churn --id-field customerID \
    in/telco-like.csv
crm-churn train -q --algo gbt --threads 2 --model-file g2.model \
    --label-field Churn --id-field customerID in/telco-like.csv
t_ok "gbt: the same model bytes on 1 and 2 threads" cmp g.model g2.model
t_run gbt-score 0 -- crm-churn --model-file g.model --id-field customerID \
    --reasons 2 in/score.csv
crm-churn -q --threads 1 --model-file g.model --id-field customerID \
    --reasons 5 in/telco-like.csv >s1.csv
crm-churn -q --threads 2 --model-file g.model --id-field customerID \
    --reasons 5 in/telco-like.csv >s2.csv
t_ok "gbt: the same scores and reasons on 1 and 2 threads" cmp s1.csv s2.csv
t_run gbt-eval 0 -- crm-churn eval -q --model-file g.model \
    --label-field Churn --id-field customerID in/telco-like.csv
size=$(wc -c <g.model)
head -c $((size - 200)) g.model >g-cut.model
{ head -c $((size - 100)) g.model; printf 'X'; tail -c 99 g.model; } \
    >g-bad.model
t_run gbt-damaged 65 -- crm-churn --model-file g-bad.model \
    --id-field customerID in/score.csv
t_run gbt-cut 65 -- crm-churn --model-file g-cut.model \
    --id-field customerID in/score.csv

# The store: customers and events from crm-ingest, features from them.
crm-ingest -q --db crm.db in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null
t_run store-train 0 -- crm-churn train --db crm.db --from-store \
    --label-field churned
t_run store-score 0 -- crm-churn --db crm.db --from-store \
    --label-field churned --reasons 5 --output-format csv
t_eq "a churn model in the store" "churn|1|churn|40" \
    "$(q "SELECT name, version, kind, json_extract(metrics, '$.records')
	FROM models")"
t_eq "every score logged" "41|41" \
    "$(q "SELECT count(*), count(DISTINCT record_key) FROM decisions
	WHERE tool = 'crm-churn'")"
t_eq "the customer built to churn is high risk" high \
    "$(q "SELECT output FROM decisions WHERE record_key = 'K900'")"
why=$(q "SELECT reasons FROM decisions WHERE record_key = 'K900'")
case $why in
*'"complaints_90d=2"'*'"logins_90d=0"'* | *'"logins_90d=0"'*'"complaints_90d=2"'*)
	t_eq "its reasons: complaints, no logins" ok ok ;;
*) t_eq "its reasons: complaints, no logins" complaints+logins "$why" ;;
esac
auc=$(crm-churn eval -q --db crm.db --from-store --label-field churned |
    sed 's/.* auc=\([0-9.]*\).*/\1/')
t_ok "store model ranks its customers: auc $auc >= 0.9" ge "$auc" 0.9

# Bad input.
t_run bad-label 65 -- crm-churn train --model-file b.model \
    --label-field Churn --id-field customerID in/bad-label.csv
t_ok "no model saved after a reject" test ! -e b.model
t_run one-class 66 -- crm-churn train -q --model-file b.model \
    --label-field Churn --id-field customerID in/one-class.csv
t_run missing-field 66 -- crm-churn -q --model-file m.model \
    --id-field customerID in/no-contract.csv
t_run no-model 66 -- crm-churn --db crm.db --model nothere in/score.csv
t_run no-store-model 66 -- crm-churn --model-file nothere.model in/score.csv
t_run action-alone 64 -- crm-churn --model-file m.model --action call \
    in/score.csv
t_run cv-outside-eval 64 -- crm-churn --cv 3 --model-file m.model \
    in/score.csv
t_run from-store-no-db 64 -- crm-churn --from-store
t_run bad-as-of 64 -- crm-churn --db crm.db --from-store --as-of 2023-13-45
crm-ingest -q --db empty.db in/customers.jsonl >/dev/null
t_run store-no-events 65 -- crm-churn train --db empty.db --from-store \
    --label-field churned
head -1 in/telco-like.csv >header-only.csv
t_run eval-nothing 65 -- crm-churn eval --model-file m.model \
    --label-field Churn --id-field customerID header-only.csv
t_ok "--help" crm-churn --help
t_done
