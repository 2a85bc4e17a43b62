# t122-model-arms: crm-churn --experiment scores each record by its arm's
# model (champion/challenger): the arms are crm-experiment's for the same
# ids and key, each arm's scores are its model's alone, the holdout takes
# the default model, shards agree with the whole; eval gives the figures
# per arm; with the store, ARM=VERSION and the stored design, each
# decision naming its model's version; bad arms and arms without a model
# are refused; by person, a person's records take its arm.
. "$TOP/tests/lib.sh"
t_use model-arms

q() { sqlite3 -batch -noheader crm.db "$@"; }
unset CRM_EXPERIMENT_KEY || true
data=$TOP/testdata/churn/telco-like.csv
# the fields named, in order, of a CSV without quoted commas
cols() { awk -F, -v want="$1" 'NR == 1 { n = split(want, w, ",")
    for (i = 1; i <= NF; i++) at[$i] = i }
    { s = $(at[w[1]]); for (i = 2; i <= n; i++) s = s "," $(at[w[i]])
    print s }'; }

crm-churn train -q --model-file champ.model --algo lr --label-field Churn \
    --id-field customerID "$data"
crm-churn train -q --model-file chal.model --algo gbt --threads 1 \
    --label-field Churn --id-field customerID "$data"
# $verb: scoring (none) or eval
verb=
arms() { crm-churn $verb --experiment renew --arms champion=60,challenger=40 \
    --holdout 0.2 --experiment-key in/key --id-field customerID "$@"; }
both() { arms --arm-model champion=champ.model \
    --arm-model challenger=chal.model "$@"; }

# ---- Scoring ---------------------------------------------------------------

t_run score 0 -- both --model-file champ.model --reasons 0 "$data"
both -q --model-file champ.model --reasons 0 "$data" >scored.csv
crm-experiment -q --experiment renew --arms champion=60,challenger=40 \
    --holdout 0.2 --key-file in/key --id-field customerID "$data" |
    cols customerID,arm | tail -n +2 | sort >assigned.csv
cols customerID,arm <scored.csv | tail -n +2 | sort >got.csv
t_ok "each record's arm is crm-experiment's" cmp got.csv assigned.csv
t_eq "three arms, each with records" "challenger champion holdout" \
    "$(cut -d, -f2 assigned.csv | sort -u | tr '\n' ' ' | sed 's/ $//')"
t_eq "each arm's model: the holdout's the default" \
    "challenger,chal.model
champion,champ.model
holdout,champ.model" \
    "$(cols arm,churn_model <scored.csv | tail -n +2 | sort -u)"
for m in champ chal; do
	crm-churn -q --model-file $m.model --reasons 0 --id-field customerID \
	    "$data" | cols customerID,churn_prob >$m.alone
done
cols customerID,churn_prob,churn_model <scored.csv | tail -n +2 |
    awk -F, '$3 == "chal.model" { print $1 "," $2 >"chal.got"; next }
    { print $1 "," $2 >"champ.got" }'
t_eq "the challenger's records: chal.model's scores" "$(cat chal.got)" \
    "$(grep -F -x -f chal.got chal.alone)"
t_eq "the others: champ.model's" "$(cat champ.got)" \
    "$(grep -F -x -f champ.got champ.alone)"
# shards: the same arms and scores as the whole (the models are files)
sort scored.csv >whole.csv
parallel --pipe --header 1 -j 3 --block 2k crm-churn -q \
    --experiment renew --arms champion=60,challenger=40 --holdout 0.2 \
    --experiment-key in/key --id-field customerID \
    --arm-model champion=champ.model --arm-model challenger=chal.model \
    --model-file champ.model --reasons 0 <"$data" | sort -u >shards.csv
t_ok "parallel --pipe -j 3 shards: the same records" cmp whole.csv shards.csv
# 3,000 records, three batches of XGBoost calls: each record as its model
# alone scores it, reasons and all
awk -F, -v OFS=, 'NR == 1 { print; next }
    { for (k = 0; k < 50; k++) { $1 = sprintf("b%05d", k * 60 + NR); print } }' \
    "$data" >many.csv
both -q --model-file champ.model many.csv | sed 's/,[^,]*,[^,]*$//' \
    >many.arms
for m in champ chal; do
	crm-churn -q --model-file $m.model --id-field customerID many.csv \
	    >$m.many
done
t_eq "3,000 records: the challenger's as chal.model alone" \
    "$(both -q --model-file champ.model many.csv | grep ',chal\.model$' |
    sed 's/,[^,]*,[^,]*$//')" \
    "$(grep -F -x -f many.arms chal.many | grep -v '^customerID')"
t_eq "every record as its model alone" 3001 \
    "$(cat champ.many chal.many | grep -F -x -f - many.arms | wc -l |
    tr -d ' ')"
CRM_EXPERIMENT_KEY=$(cat in/key) crm-churn -q --experiment renew \
    --arms champion=60,challenger=40 --holdout 0.2 --id-field customerID \
    --arm-model champion=champ.model --arm-model challenger=chal.model \
    --model-file champ.model --reasons 0 "$data" >env.csv
t_ok "the key from CRM_EXPERIMENT_KEY: the same" cmp scored.csv env.csv

# ---- Eval per arm -----------------------------------------------------------

verb=eval
t_run eval 0 -- both -q --model-file champ.model --label-field Churn \
    "$data"
t_run eval-records 0 -- both -q --model-file champ.model \
    --label-field Churn --output-format csv "$data"
t_eq "eval's arms count the records of each" \
    "$(cut -d, -f2 assigned.csv | sort | uniq -c | awk '{ print $2 "," $1 }')" \
    "$(both -q --model-file champ.model --label-field Churn \
    --output-format csv "$data" | tail -n +2 | cut -d, -f1,3 | sort)"

# ---- Refused ---------------------------------------------------------------

verb=
t_run unknown-arm 64 -- arms --arm-model champion=champ.model \
    --arm-model challengr=chal.model --model-file champ.model "$data"
t_run no-default 64 -- both "$data"
t_run no-arm-model 64 -- arms --model-file champ.model "$data"
t_run arm-twice 64 -- arms --arm-model champion=champ.model \
    --arm-model champion=chal.model --model-file champ.model "$data"
t_run no-arms 64 -- crm-churn --experiment renew --experiment-key in/key \
    --arm-model champion=champ.model "$data"
t_run no-key 64 -- crm-churn --experiment renew \
    --arms champion=60,challenger=40 --arm-model champion=champ.model \
    --model-file champ.model "$data"
t_run missing-file 66 -- arms --arm-model champion=nosuch.model \
    --model-file champ.model "$data"
# no holdout, every arm its model, no default: a file refused, a record
# without an id rejected
nodflt() { crm-churn --experiment renew --arms champion=60,challenger=40 \
    --experiment-key in/key --id-field customerID \
    --arm-model champion=champ.model --arm-model challenger=chal.model "$@"; }
t_run no-default-ok 0 -- nodflt -q --reasons 0 "$data"
printf 'gender,tenure\nMale,3\n' >no-id.csv
t_run no-id-field 66 -- nodflt no-id.csv
head -3 "$data" | sed '2s/^0001-TEST//' >empty-id.csv
t_run empty-id 65 -- nodflt -q empty-id.csv
t_run train-experiment 64 -- crm-churn train --experiment renew \
    --arm-model champion=champ.model --model-file x.model "$data"

# ---- The store: versions and the stored design ------------------------------

crm-churn train -q --db crm.db --algo lr --label-field Churn \
    --id-field customerID "$data"
crm-churn train -q --db crm.db --algo gbt --threads 1 --label-field Churn \
    --id-field customerID "$data"
s() { crm-churn $verb --db crm.db --experiment renew --experiment-key in/key \
    --id-field customerID --reasons 0 --as-of 2026-03-01 "$@"; }
t_run no-stored-experiment 66 -- s --arm-model champion=1 "$data"
crm-experiment -q --db crm.db --experiment renew \
    --arms champion=60,challenger=40 --holdout 0.2 --key-file in/key \
    --id-field customerID --as-of 2026-03-01 "$data" >/dev/null
t_run store-score 0 -- s --arm-model champion=1 --arm-model challenger=2 \
    "$data"
t_eq "each decision names its arm's version (the holdout: the newest)" \
    "challenger|churn|2
champion|churn|1
holdout|churn|2" \
    "$(q "SELECT DISTINCT a.arm, d.model, d.model_version FROM decisions d
    JOIN assignments a ON a.subject = d.subject
    WHERE d.tool = 'crm-churn' ORDER BY 1")"
t_eq "a decision per record" 60 \
    "$(q "SELECT count(*) FROM decisions WHERE tool = 'crm-churn'")"
verb=eval
t_run store-eval 0 -- s --label-field Churn --output-format csv \
    --arm-model champion=1 --arm-model challenger=2 "$data"
verb=
t_run no-version 66 -- s --arm-model champion=9 "$data"

# ---- By person ---------------------------------------------------------------

# 0004-TEST and 0006-TEST (challengers by record) are records of person
# 0001-TEST (a champion): they get its arm, as crm-experiment gives it, the
# unit kept in the experiments table.
crm-churn train -q --db p.db --algo lr --label-field Churn \
    --id-field customerID "$data"
sqlite3 -batch p.db "INSERT INTO clusters(record_id, cluster_id, score, time)
    VALUES ('0001-TEST', '0001-TEST', NULL, '2026-01-01'),
    ('0004-TEST', '0001-TEST', 0.9, '2026-01-01'),
    ('0006-TEST', '0001-TEST', 0.9, '2026-01-01')"
crm-experiment -q --db p.db --experiment renew \
    --arms champion=60,challenger=40 --holdout 0.2 --key-file in/key \
    --id-field customerID --as-of 2026-03-01 "$data" |
    cols customerID,arm >person-assigned.csv
crm-churn -q --db p.db --experiment renew --experiment-key in/key \
    --id-field customerID --reasons 0 --arm-model champion=champ.model \
    --arm-model challenger=chal.model "$data" | cols customerID,arm \
    >person-scored.csv
t_ok "by person: each record's arm is crm-experiment's" \
    cmp person-assigned.csv person-scored.csv
t_eq "by record: challengers" "0001-TEST,champion
0004-TEST,challenger
0006-TEST,challenger" "$(grep -E '^000[146]-TEST,' got.csv)"
t_eq "by person: the person's arm" "0001-TEST,champion
0004-TEST,champion
0006-TEST,champion" "$(grep -E '^000[146]-TEST,' person-scored.csv)"

# ---- From the store's customers and events ---------------------------------

# --from-store: each customer's features from its events, scored by its
# arm's stored version; the decisions per version are the arms' counts,
# and eval's arms add up to the labelled customers.
crm-ingest -q --db fs.db "$TOP/testdata/churn/customers.jsonl" >/dev/null
crm-ingest -q --db fs.db --kind events "$TOP/testdata/churn/events.jsonl" \
    >/dev/null
crm-churn train -q --db fs.db --from-store --label-field churned --algo lr
crm-churn train -q --db fs.db --from-store --label-field churned --algo gbt \
    --threads 1
fs() { crm-churn "$@" -q --db fs.db --from-store --label-field churned \
    --experiment renew --arms champion=50,challenger=50 \
    --experiment-key in/key --arm-model champion=1 \
    --arm-model challenger=2; }
fs --reasons 0 --output-format csv | cols customer_id,arm,churn_model | tail -n +2 |
    sort >fs.csv
t_eq "from the store: each arm's version" "challenger,churn@2
champion,churn@1" "$(cut -d, -f2,3 fs.csv | sort -u)"
t_eq "from the store: decisions per version are the arms' counts" \
    "$(cut -d, -f3 fs.csv | sort | uniq -c | awk '{ print $2 "|" $1 }' |
	sed 's/churn@//')" \
    "$(q_fs() { sqlite3 -batch -noheader fs.db "$@"; }
	q_fs "SELECT model_version, count(*) FROM decisions
	WHERE tool = 'crm-churn' GROUP BY model_version ORDER BY 1")"
t_eq "from the store: eval's arms add up to the labelled customers" \
    "$(crm-churn eval -q --db fs.db --from-store --label-field churned |
	tr ' ' '\n' | sed -n 's/^n=//p')" \
    "$(fs eval | tr ' ' '\n' | sed -n 's/^n=//p' | awk '{ s += $1 }
	END { print s }')"

t_done
