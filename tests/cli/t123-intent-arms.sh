# t123-intent-arms: crm-intent --experiment classifies each message by the
# model of its customer's arm (champion/challenger): the arms are
# crm-experiment's for the same ids and key, each arm's labels are its
# model's alone, the holdout takes the default model; with the store,
# ARM=VERSION, each decision naming its model; a message without a
# customer is rejected; bad arms, models and options are refused.
. "$TOP/tests/lib.sh"
t_use intent-arms

q() { sqlite3 -batch -noheader crm.db "$@"; }
unset CRM_EXPERIMENT_KEY || true
train=$TOP/testdata/intent/intents.train.jsonl
msgs=in/messages.jsonl

crm-intent train -q --model-file champ.model --bits 14 "$train"
crm-intent train -q --model-file chal.model --bits 12 --min-df 3 \
    --cost 0.1 "$train"
arms() { crm-intent --experiment renew --arms champion=60,challenger=40 \
    --holdout 0.2 --experiment-key in/key "$@"; }
both() { arms --arm-model champion=champ.model \
    --arm-model challenger=chal.model "$@"; }
# id,FIELD... of JSON lines, sorted
cols() { jq -r "[$1] | map(tostring) | join(\",\")" | sort; }

t_run score 0 -- both --model-file champ.model in/few.jsonl
both -q --model-file champ.model "$msgs" >scored.jsonl
crm-experiment -q --experiment renew --arms champion=60,challenger=40 \
    --holdout 0.2 --key-file in/key "$msgs" | cols '.id,.arm' >assigned
cols '.id,.arm' <scored.jsonl >got
t_ok "each message's arm is crm-experiment's" cmp got assigned
t_eq "three arms, each with messages" "challenger champion holdout" \
    "$(cut -d, -f2 assigned | sort -u | tr '\n' ' ' | sed 's/ $//')"
t_eq "each arm's model: the holdout's the default" \
    "challenger,chal.model
champion,champ.model
holdout,champ.model" \
    "$(cols '.arm,.intent_model' <scored.jsonl | sort -u)"
for m in champ chal; do
	crm-intent -q --model-file $m.model "$msgs" |
	    cols '.id,.intent,.intent_score' >$m.alone
	jq -c "select(.intent_model == \"$m.model\")" scored.jsonl |
	    cols '.id,.intent,.intent_score' >$m.got
	t_eq "$m.model's messages: its labels alone" "$(cat $m.got)" \
	    "$(grep -F -x -f $m.got $m.alone)"
done
t_eq "the two models differ on some messages" 1 \
    "$(cmp -s champ.alone chal.alone && echo 0 || echo 1)"

# ---- The store: ARM=VERSION, decisions naming their model ---------------
crm-intent train -q --db crm.db --bits 12 --min-df 3 --cost 0.1 "$train"
arms -q --db crm.db --model-file champ.model --arm-model challenger=1 \
    --as-of 2026-01-01 "$msgs" >stored.jsonl
t_eq "ARM=VERSION: the stored model, NAME@VERSION" \
    "challenger,intent@1
champion,champ.model
holdout,champ.model" \
    "$(cols '.arm,.intent_model' <stored.jsonl | sort -u)"
t_eq "the stored version's labels are chal.model's" \
    "$(jq -c 'select(.arm == "challenger")' scored.jsonl |
	cols '.id,.intent,.intent_score')" \
    "$(jq -c 'select(.arm == "challenger")' stored.jsonl |
	cols '.id,.intent,.intent_score')"
t_eq "each decision names its model, the subject the customer" \
    "$(jq -r '[.id, .customer_id, (.intent_model | sub("@1$"; "")),
	.intent] | join("|")' stored.jsonl | sort)" \
    "$(q "select record_key, subject, model, output from decisions
	where tool = 'crm-intent'" | sort)"
t_eq "the stored model's decisions at version 1" "86" \
    "$(q "select count(*) from decisions where model = 'intent'
	and model_version = 1")"

# ---- Refused ------------------------------------------------------------
t_run no-customer 65 -- both --model-file champ.model in/no-customer.jsonl
t_run unknown-arm 64 -- arms --arm-model champ=champ.model "$msgs"
t_run train-experiment 64 -- crm-intent train --model-file x.model \
    --experiment renew --arm-model champion=champ.model "$train"
echo junk >junk.model
t_run bad-arm-model 65 -- both --arm-model holdout=junk.model "$msgs"
t_run no-arm-model 64 -- crm-intent --experiment renew "$msgs"
t_run key-without-experiment 64 -- crm-intent --experiment-key in/key "$msgs"

t_done
