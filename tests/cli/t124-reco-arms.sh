# t124-reco-arms: crm-recommend --experiment gives each customer the list
# of its arm's model (champion/challenger): the arms are crm-experiment's
# for the same ids and key, each arm's lists are its model's alone, the
# holdout takes the default model; with the store, ARM=VERSION and the
# stored design, each decision naming its model; end to end, assignments
# stored, lists sent, orders ingested after, and crm-experiment analyze
# counting each arm's conversions; by person, a person's records take its
# arm; --item, train and arms without a model are refused.
. "$TOP/tests/lib.sh"
t_use reco-arms

q() { sqlite3 -batch -noheader crm.db "$@"; }
unset CRM_EXPERIMENT_KEY || true
orders=in/orders.csv
custs=in/customers.csv

crm-recommend train -q --model-file champ.model "$orders"
crm-recommend train -q --model-file chal.model --algo knn --neighbours 3 \
    "$orders"
arms() { crm-recommend --experiment shelf --arms champion=50,challenger=50 \
    --holdout 0.2 --experiment-key in/key --top 3 "$@"; }
both() { arms --arm-model champion=champ.model \
    --arm-model challenger=chal.model "$@"; }
# FIELDS of JSON lines, joined by ",", sorted; a list as its items
cols() { jq -r "[$1] | map(if type == \"array\" then
    (map(.item) | join(\" \")) else tostring end) | join(\",\")" | sort; }

t_run score 0 -- both --model-file champ.model in/few.csv
both -q --model-file champ.model --output-format jsonl "$custs" >recs.jsonl
crm-experiment -q --experiment shelf --arms champion=50,challenger=50 \
    --holdout 0.2 --key-file in/key --output-format jsonl "$custs" |
    cols '.customer_id,.arm' >assigned
cols '.customer_id,.reco_arm' <recs.jsonl >got
t_ok "each customer's arm is crm-experiment's" cmp got assigned
t_eq "three arms, each with customers" "challenger champion holdout" \
    "$(cut -d, -f2 assigned | sort -u | tr '\n' ' ' | sed 's/ $//')"
t_eq "each arm's model: the holdout's the default" \
    "challenger,chal.model
champion,champ.model
holdout,champ.model" \
    "$(cols '.reco_arm,.reco_model' <recs.jsonl | sort -u)"
for m in champ chal; do
	crm-recommend -q --model-file $m.model --top 3 --output-format jsonl \
	    "$custs" | cols '.customer_id,.reco_items,.reco_source' >$m.alone
	jq -c "select(.reco_model == \"$m.model\")" recs.jsonl |
	    cols '.customer_id,.reco_items,.reco_source' >$m.got
	t_eq "$m.model's customers: its lists alone" "$(cat $m.got)" \
	    "$(grep -F -x -f $m.got $m.alone)"
done
# shards: the same arms and lists as the whole (the models are files)
parallel --pipe --header 1 -j 3 --block 80 crm-recommend -q \
    --experiment shelf --arms champion=50,challenger=50 --holdout 0.2 \
    --experiment-key in/key --top 3 --arm-model champion=champ.model \
    --arm-model challenger=chal.model --model-file champ.model \
    --output-format jsonl <"$custs" | sort >shards.jsonl
t_ok "parallel --pipe -j 3 shards: the same records" cmp shards.jsonl \
    "$(sort recs.jsonl >whole.jsonl && echo whole.jsonl)"
t_eq "the two models' lists differ for 43 of 62 customers" 43 \
    "$(diff champ.alone chal.alone | grep -c '^<')"

# ---- The store: the stored design, ARM=VERSION, decisions -----------------
crm-recommend train -q --db crm.db "$orders"
crm-recommend train -q --db crm.db --algo knn --neighbours 3 "$orders"
s() { crm-recommend --db crm.db --experiment shelf --experiment-key in/key \
    --top 3 --as-of 2026-03-01 "$@"; }
t_run no-stored-experiment 66 -- s --arm-model champion=1 "$custs"
crm-experiment -q --db crm.db --experiment shelf \
    --arms champion=50,challenger=50 --holdout 0.2 --key-file in/key \
    --as-of 2026-03-01 "$custs" >/dev/null
# --arms other than the stored design would give other arms than the
# assignments kept: refused; the same design gives the stored arms (on a
# copy of the store, whose decisions are not counted below)
cp crm.db arms.db
sa() { crm-recommend --db arms.db --experiment shelf --experiment-key in/key \
    --top 3 --as-of 2026-03-01 --arm-model champion=1 \
    --arm-model challenger=2 "$@"; }
t_run arms-not-stored 65 -- sa --arms champion=50,challenger=50 "$custs"
sa -q --arms champion=5,challenger=5 --holdout 0.2 --output-format jsonl \
    "$custs" | cols '.customer_id,.reco_arm' >same-arms
q "SELECT subject || ',' || arm FROM assignments" | sort >stored-arms
t_ok "--arms as stored: the stored arms" cmp same-arms stored-arms
# the arm kept in the store is the customer's, as crm-experiment gives it,
# even when another key would hash it elsewhere
CRM_EXPERIMENT_KEY=another-key-of-16-bytes-or-more crm-recommend -q \
    --db arms.db --experiment shelf --top 3 --as-of 2026-03-01 \
    --arm-model champion=1 --arm-model challenger=2 --output-format jsonl \
    "$custs" | cols '.customer_id,.reco_arm' >kept-arms
t_ok "another key: the arms kept in the store" cmp kept-arms stored-arms
s -q --arm-model champion=1 --arm-model challenger=2 --model-version 1 \
    --output-format jsonl "$custs" >stored.jsonl
t_eq "ARM=VERSION: NAME@VERSION, the holdout's the default version" \
    "challenger,recommend@2
champion,recommend@1
holdout,recommend@1" \
    "$(cols '.reco_arm,.reco_model' <stored.jsonl | sort -u)"
t_eq "the stored versions' lists are the files'" \
    "$(cols '.customer_id,.reco_arm,.reco_items' <recs.jsonl)" \
    "$(cols '.customer_id,.reco_arm,.reco_items' <stored.jsonl)"
t_eq "each decision names its arm's model and version" \
    "challenger|recommend|2|28
champion|recommend|1|16
holdout|recommend|1|18" \
    "$(q "SELECT a.arm, d.model, d.model_version, count(*)
    FROM decisions d JOIN assignments a ON a.subject = d.subject
    WHERE d.tool = 'crm-recommend' GROUP BY 1, 2, 3 ORDER BY 1")"
t_eq "each decision's output is its record's list" \
    "$(jq -r '[.customer_id, (.reco_items | tojson)] | join("|")' \
    stored.jsonl | sort)" \
    "$(q "SELECT json_object('id', subject, 'items', json(output))
    FROM decisions WHERE tool = 'crm-recommend'" |
    jq -r '[.id, (.items | tojson)] | join("|")' | sort)"

# ---- End to end: orders after the lists, conversions per arm ---------------
# A customer buys its next item (in/next.csv, which no model saw) when its
# list offers it, four days after the lists were sent.
jq -r '.customer_id as $c | .reco_items[] | "\($c),\(.item)"' stored.jsonl |
    grep -F -x -f in/next.csv | awk -F, '{
    printf "{\"event_id\": \"o%02d\", \"customer_id\": \"%s\", " \
	"\"time\": \"2026-03-05T10:00:00Z\", \"type\": \"order\", " \
	"\"item\": \"%s\"}\n", NR, $1, $2 }' >march.jsonl
crm-ingest -q --db crm.db --kind events march.jsonl >/dev/null
t_run analyze 0 -- crm-experiment analyze -q --db crm.db --experiment shelf \
    --outcome order --as-of 2026-04-01 --output-format csv

# ---- By person ------------------------------------------------------------
# c02 (a challenger by record) and c05 are records of person c04 (a
# champion): they get its arm, as crm-experiment gives it, and its list.
crm-ingest -q --db p.db "$custs" >/dev/null
sqlite3 -batch p.db "INSERT INTO clusters(record_id, cluster_id, score, time)
    VALUES ('c04', 'c04', NULL, '2026-01-01'),
    ('c02', 'c04', 0.9, '2026-01-01'), ('c05', 'c04', 0.9, '2026-01-01')"
crm-recommend train -q --db p.db --model-file champ-p.model "$orders"
crm-recommend train -q --db p.db --model-file chal-p.model --algo knn \
    --neighbours 3 "$orders"
crm-experiment -q --db p.db --experiment shelf \
    --arms champion=50,challenger=50 --holdout 0.2 --key-file in/key \
    --as-of 2026-03-01 --output-format jsonl "$custs" |
    cols '.customer_id,.arm' >person-assigned
crm-recommend -q --db p.db --experiment shelf --experiment-key in/key \
    --top 3 --arm-model champion=champ-p.model \
    --arm-model challenger=chal-p.model --model-file champ-p.model \
    --output-format jsonl "$custs" >person.jsonl
cols '.customer_id,.reco_arm' <person.jsonl >person-got
t_ok "by person: each customer's arm is crm-experiment's" \
    cmp person-got person-assigned
t_eq "by person: the person's arm and list" \
    "c02,champion,champ-p.model
c04,champion,champ-p.model
c05,champion,champ-p.model" \
    "$(cols '.customer_id,.reco_arm,.reco_model' <person.jsonl |
    grep -E '^c0[245],')"
t_eq "by person: one list for the person's three records" 1 \
    "$(jq -c 'select(.customer_id == "c02" or .customer_id == "c04" or
    .customer_id == "c05") | .reco_items' person.jsonl | sort -u | wc -l |
    tr -d ' ')"

# ---- Refused ---------------------------------------------------------------
t_run unknown-arm 64 -- arms --arm-model champion=champ.model \
    --arm-model challengr=chal.model --model-file champ.model "$custs"
t_run no-default 64 -- both "$custs"
t_run item 64 -- both --model-file champ.model --item in/few.csv
t_run train-experiment 64 -- crm-recommend train --model-file x.model \
    --experiment shelf --arm-model champion=champ.model "$orders"
t_run eval-experiment 64 -- crm-recommend eval --experiment shelf \
    --arm-model champion=champ.model "$orders"
t_run no-arm-model 64 -- crm-recommend --experiment shelf \
    --model-file champ.model "$custs"
t_run key-without-experiment 64 -- crm-recommend --experiment-key in/key \
    --model-file champ.model "$custs"
# the key's messages name crm-recommend's option (its --key-file is none)
t_run no-key 64 -- crm-recommend --experiment shelf \
    --arms champion=50,challenger=50 --arm-model champion=champ.model \
    --model-file champ.model in/few.csv
t_run short-key 64 -- arms --experiment-key in/short-key \
    --arm-model champion=champ.model --model-file champ.model in/few.csv

t_done
