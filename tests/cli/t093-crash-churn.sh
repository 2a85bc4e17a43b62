# crm-churn --db killed with SIGKILL, then run again: scoring (the
# decisions table) and training (the models table) end as a clean run
# leaves the store, and the killed run left whole batches, or a whole
# model, only.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use churn

# The 60 labelled records of telco-like.csv, over and over under new ids:
# 2500 to score.
awk -F, 'NR == 1 { print; next } { r[NR - 2] = $0 }
    END { for (i = 1; i <= 2500; i++) { l = r[i % 60]
	sub(/^[^,]*/, sprintf("S%05d", i), l); print l } }' \
    in/telco-like.csv >s.csv

c_script train 'crm-churn train -q --db "$1" --id-field customerID --label-field Churn "$2"'
# A store with customers (crm-churn's own tables come with it).
crm-ingest -q --db base.db in/customers.jsonl >/dev/null
c_models_crash train in/telco-like.csv 30

# Scoring with the model, with reasons.
./train base.db in/telco-like.csv
c_script score 'crm-churn -q --db "$1" --id-field customerID --reasons 2 "$2" >/dev/null'
c_header=1
c_log_crash score s.csv "1001 1802"

t_done
