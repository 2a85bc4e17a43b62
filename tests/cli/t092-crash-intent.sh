# crm-intent --db killed with SIGKILL, then run again: classifying (the
# decisions table), storing labels (the labels table) and training (the
# models table) each end as a clean run leaves the store, and the killed
# run left whole batches, or a whole model, only.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use intent

crm-intent label -q --db base.db in/corrections.jsonl >/dev/null
/usr/bin/python3 "$TOP/scripts/gen-tickets.py" -n 2500 --seed 6 t.jsonl

# Classifying with the built-in models logs a decision a record.
c_script predict 'crm-intent -q --db "$1" "$2" >/dev/null'
c_log_crash predict t.jsonl 1700

# Labels: the texts and labels of the training set, a row each.
c_log_table=labels
c_log_cols='task, record_key, text, label, source'
c_script label 'crm-intent label -q --db "$1" --source crash "$2" >/dev/null'
c_log_crash label in/intents.train.jsonl 400

# Training: the model is written once, at the end.
c_script train 'crm-intent train -q --db "$1" --seed 1 --bits 16 "$2"'
c_models_crash train in/intents.train.jsonl 500

t_done
