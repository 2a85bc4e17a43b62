# t125-intent-arms-eval: crm-intent eval --experiment classifies each
# labelled message by the model of its customer's arm and reports, besides
# the figures of all the messages, each arm's: its figures are eval of
# that arm's model alone on that arm's messages, in the text report,
# --json and the records; the overall figures are those of the labels
# crm-intent --experiment gives; with the store, ARM=VERSION; a message
# without a customer is rejected; no key, and label with --experiment,
# are refused.
. "$TOP/tests/lib.sh"
t_use intent-arms-eval

unset CRM_EXPERIMENT_KEY || true
train=$TOP/testdata/intent/intents.train.jsonl
msgs=in/labelled.jsonl

# two tiny models, from a quarter of the training texts each
awk 'NR % 4 == 1' "$train" >champ.jsonl
awk 'NR % 4 == 3' "$train" >chal.jsonl
crm-intent train -q --model-file champ.model champ.jsonl
crm-intent train -q --model-file chal.model --bits 12 --min-df 2 chal.jsonl
design="--experiment renew --arms champion=60,challenger=40 --holdout 0.2"
# out_of_scope below 0.2: the arms' classes differ
ev() { crm-intent eval --min-confidence 0.2 $design --experiment-key in/key \
    --arm-model champion=champ.model --arm-model challenger=chal.model \
    --model-file champ.model "$@"; }

t_run eval 0 -- ev "$msgs"
t_run eval-json 0 -- ev -q --json "$msgs"
t_run eval-records 0 -- ev -q --output-format csv "$msgs"

# each arm's messages, as crm-experiment assigns them
crm-experiment -q $design --key-file in/key "$msgs" >assigned.jsonl
for a in champion:champ challenger:chal holdout:champ; do
	arm=${a%%:*} m=${a#*:}
	jq -c "select(.arm == \"$arm\") | del(.arm, .experiment)" \
	    assigned.jsonl >$arm.jsonl
	t_eq "$arm: the text line is eval of $m.model alone" \
	    "arm=$arm model=$m.model $(crm-intent eval -q --min-confidence 0.2 \
	    --model-file $m.model $arm.jsonl | head -1)" \
	    "$(ev -q "$msgs" | grep "^arm=$arm ")"
	t_eq "$arm: the record is eval of $m.model alone" \
	    "$(crm-intent eval -q --min-confidence 0.2 --model-file $m.model \
	    --output-format jsonl $arm.jsonl)" \
	    "$(ev -q --output-format jsonl "$msgs" | grep "^{\"arm\":\"$arm\"," |
	    sed 's/^{"arm":"[^"]*","model":"[^"]*",/{/')"
	t_eq "$arm: --json is eval --json of $m.model alone" \
	    "$(crm-intent eval -q --min-confidence 0.2 --model-file $m.model \
	    --json $arm.jsonl | jq -c '{n, accuracy, macro_f1,
	    classes: (.classes | length)}')" \
	    "$(ev -q --json "$msgs" |
	    jq -c ".arms[] | select(.arm == \"$arm\") | del(.arm, .model)")"
done
t_eq "the arms' classes differ (out_of_scope in one)" "11 12" \
    "$(ev -q --output-format jsonl "$msgs" | jq -r 'select(.arm) | .classes' |
    sort -u | tr '\n' ' ' | sed 's/ $//')"
# all the messages: the labels crm-intent --experiment gives
crm-intent -q --min-confidence 0.2 $design --experiment-key in/key \
    --arm-model champion=champ.model --arm-model challenger=chal.model \
    --model-file champ.model --output-field got "$msgs" >got.jsonl
t_eq "all the messages: n and accuracy of crm-intent --experiment's labels" \
    "$(jq -r '"\(.intent) \(.got)"' got.jsonl |
    awk '{ n++; k += $1 == $2 } END { printf "%d %.4f\n", n, k / n }')" \
    "$(ev -q --output-format jsonl "$msgs" | jq -r 'select(.arm == null) |
    "\(.n) \(.accuracy)"' | awk '{ printf "%d %.4f\n", $1, $2 }')"

# ---- The store: ARM=VERSION ---------------------------------------------
crm-intent train -q --db crm.db --bits 12 --min-df 2 chal.jsonl
t_eq "ARM=VERSION: the stored model, as chal.model" \
    "$(ev -q --output-format jsonl "$msgs" | jq -c 'select(.arm ==
    "challenger") | .model = "intent@1"')" \
    "$(crm-intent eval -q --db crm.db --min-confidence 0.2 $design \
    --experiment-key in/key --arm-model champion=champ.model \
    --arm-model challenger=1 --model-file champ.model --output-format jsonl \
    "$msgs" | jq -c 'select(.arm == "challenger")')"

# ---- Refused ------------------------------------------------------------
printf '%s\n' '{"id":"x1","text":"where is my parcel","intent":"order_status"}' \
    '{"id":"x2","customer_id":"c1","text":"hi","intent":"praise"}' \
    >no-customer.jsonl
t_run no-customer 65 -- ev no-customer.jsonl
t_run no-key 64 -- crm-intent eval $design --arm-model champion=champ.model \
    --model-file champ.model "$msgs"
t_run label-experiment 64 -- crm-intent label --db crm.db $design \
    --experiment-key in/key --arm-model champion=champ.model "$msgs"

t_done
