# crm-tag fit and apply: the RFM boundaries and k-means centres fit once,
# then applied record by record, so shards of GNU parallel give what one
# process gives, and fit + apply gives what one --rfm --kmeans run gives;
# damaged models; models in the store by version.
. "$TOP/tests/lib.sh"
t_use tagshard

q() { sqlite3 -batch -noheader crm.db "$@"; }
fit="--rfm --kmeans 4 --log --seed 3"

t_run fit 0 -- crm-tag fit $fit --model-file m.model in/customers.jsonl
t_eq "the model's first line" CRMTAG1 "$(head -1 m.model)"

# One process, as before fit existed: fit on all, apply to each.
crm-tag -q $fit in/customers.jsonl >one.jsonl
crm-tag -q --model-file m.model in/customers.jsonl >apply.jsonl
t_ok "fit + apply is the one-process run, byte for byte" cmp one.jsonl \
    apply.jsonl
t_ok "some records have no scores and no cluster" \
    grep -q '"rfm_segment":null,"cluster":null' apply.jsonl
# Shards of about 4 KB (4 of them), 4 at a time.
parallel --pipe -j 4 --block 4k crm-tag -q --model-file m.model \
    <in/customers.jsonl >shards.jsonl
sort one.jsonl >one.sorted
sort shards.jsonl >shards.sorted
t_ok "4 shards give the one-process output, sorted" cmp one.sorted \
    shards.sorted
# Rules combine with the model, and read its fields.
crm-tag -q $fit --rules in/vip.rules in/customers.jsonl | sort >one-rules
parallel --pipe -j 4 --block 4k crm-tag -q --model-file m.model \
    --rules in/vip.rules <in/customers.jsonl | sort >shards-rules
t_ok "with --rules too" cmp one-rules shards-rules
t_ok "a rule on the model's segment" grep -q '"lapsed"' shards-rules
# Applying prints the segment sizes of the records it scored.
t_run apply-csv 0 -- crm-tag --model-file m.model --output-format csv \
    --rules in/vip.rules in/customers.jsonl

# Values too large: a field whose spread overflows has no model (fit and
# the one-process run alike, 65), and a record too far from every centre
# to measure is rejected, not put in cluster 0 at distance inf.
t_run fit-huge 65 -- crm-tag fit --kmeans 2 --model-file huge.model \
    in/huge.jsonl
t_ok "no model written" test ! -e huge.model
t_run one-huge 65 -- crm-tag -q --kmeans 2 in/huge.jsonl
crm-tag fit -q --kmeans 2 --model-file lin.model in/customers.jsonl
t_run apply-far 65 -- crm-tag -q --model-file lin.model in/far.jsonl

# Damaged models: 65, the file and line named.
t_run damaged-empty 65 -- crm-tag --model-file /dev/null in/customers.jsonl
head -c 190 m.model >cut.model
t_run damaged-truncated 65 -- crm-tag --model-file cut.model \
    in/customers.jsonl
head -n 8 m.model >noend.model
t_run damaged-no-end 65 -- crm-tag --model-file noend.model \
    in/customers.jsonl
sed '3s/ [^ ]*$/ x1/' m.model >num.model
t_run damaged-number 65 -- crm-tag --model-file num.model \
    in/customers.jsonl
sed '3s/^r \([^ ]*\) \([^ ]*\)/r \2 \1/' m.model >down.model
t_run damaged-bounds 65 -- crm-tag --model-file down.model \
    in/customers.jsonl
sed '6s/4 3 log/4 3 loge/' m.model >km.model
t_run damaged-kmeans 65 -- crm-tag --model-file km.model in/customers.jsonl
sed '$d' m.model >short.model
sed -n '$p' short.model >>short.model
echo end >>short.model
t_run damaged-extra-centre 65 -- crm-tag --model-file short.model \
    in/customers.jsonl
{ cat m.model; echo end; } >twice.model
t_run damaged-after-end 65 -- crm-tag --model-file twice.model \
    in/customers.jsonl
printf 'CRMBIN02\001\002' >churn.model
t_run other-tool 65 -- crm-tag --model-file churn.model in/customers.jsonl
sed '1s/1$/2/' m.model >v2.model
t_run other-version 65 -- crm-tag --model-file v2.model in/customers.jsonl
t_run missing-model 66 -- crm-tag --model-file nothere.model \
    in/customers.jsonl
t_run fit-cannot-create 73 -- crm-tag fit -q --rfm --model-file nodir/x.model \
    in/customers.jsonl

# The store: versions of a model, applied by version.  The records that
# lack a value take the store's (none: no events), as-of a day.
db="--db crm.db --as-of 2024-06-30"
t_run fit-db 0 -- crm-tag fit -q $db --model seg $fit in/customers.jsonl
t_run fit-db-2 0 -- crm-tag fit $db --model seg --kmeans 2 \
    in/customers.jsonl
t_eq "two versions of kind tag" "seg|1|tag|240
seg|2|tag|240" "$(q "SELECT name, version, kind, rows FROM models ORDER BY 2")"
crm-tag fit -q $db $fit --model-file db.model in/customers.jsonl
q "SELECT writefile('v1.model', blob) FROM models WHERE version = 1" \
    >/dev/null
t_ok "the store keeps the model a file gets" cmp db.model v1.model
crm-tag -q $db --model-file db.model in/customers.jsonl >file.jsonl
crm-tag -q $db --model seg --model-version 1 in/customers.jsonl >v1.jsonl
t_ok "version 1 applied is the file's model applied" cmp file.jsonl v1.jsonl
t_eq "a stored model's decisions name it and its version, a file's the step" \
    "kmeans|0|233
rfm|0|233
seg|1|466" "$(q "SELECT model, model_version, count(*) FROM decisions
    WHERE tool = 'crm-tag' GROUP BY 1, 2 ORDER BY 1, 2")"
t_eq "the applied model's segments are kept as tags" 233 \
    "$(q "SELECT count(*) FROM tags WHERE tag LIKE 'rfm:%'")"
crm-tag -q $db --model seg in/customers.jsonl >v2.jsonl
t_ok "the newest is version 2: 2 clusters, no RFM" sh -c \
    "grep -q '\"cluster\":1' v2.jsonl && ! grep -q '\"cluster\":2' v2.jsonl \
    && ! grep -q rfm_segment v2.jsonl"
t_run db-no-version 66 -- crm-tag -q $db --model seg --model-version 9 \
    in/customers.jsonl
t_run db-no-model 66 -- crm-tag -q $db --model segs in/customers.jsonl
q "UPDATE models SET blob = CAST('CRMTAG1' || char(10) || 'end' || char(10)
    AS BLOB) WHERE version = 1"
t_run db-damaged 65 -- crm-tag -q $db --model seg --model-version 1 \
    in/customers.jsonl
q "UPDATE models SET kind = 'churn' WHERE version = 2"
t_run db-other-kind 65 -- crm-tag -q $db --model seg in/customers.jsonl

# A model of a store's features says whether they were per person or per
# record (testdata/byperson: C1 and C7 one person), and is not applied
# the other way (65): a customer's features would not be those it was
# fit on.
bp="$TOP/testdata/byperson"
crm-ingest -q --db p.db "$bp/customers.jsonl" >/dev/null
crm-ingest -q --db p.db --kind events "$bp/events.jsonl" >/dev/null
sqlite3 p.db "INSERT INTO clusters(record_id, cluster_id, score, time)
    VALUES ('C1', 'C1', NULL, '2025-10-15'), ('C7', 'C1', 0.97, '2025-10-15')"
pdb="--db p.db --from-store --as-of 2025-10-15"
crm-tag fit -q $pdb --rfm --model-file person.model
t_eq "the model says per person" "by person" "$(sed -n 2p person.model)"
crm-tag -q $pdb --rfm >one-person.jsonl
crm-tag -q $pdb --model-file person.model >apply-person.jsonl
t_ok "applied per person, as it was fit" cmp one-person.jsonl \
    apply-person.jsonl
t_run by-record-refused 65 -- crm-tag $pdb --model-file person.model \
    --by record
t_eq "a model without a store says nothing of persons" rfm \
    "$(sed -n 2p m.model | cut -d' ' -f1)"

# Usage.
t_run usage-model-and-rfm 64 -- crm-tag --model-file m.model --rfm \
    in/customers.jsonl
t_run usage-fit-nothing 64 -- crm-tag fit --model-file x.model \
    in/customers.jsonl
t_run usage-fit-rules 64 -- crm-tag fit --rfm --rules in/vip.rules \
    --model-file x.model in/customers.jsonl
t_run usage-fit-nowhere 64 -- crm-tag fit --rfm in/customers.jsonl
t_run usage-model-no-db 64 -- crm-tag --model seg in/customers.jsonl
# a model holds at most 1000 k-means fields: no more are fit
t_run usage-fields-too-many 64 -- crm-tag fit --kmeans 2 --model-file x.model \
    --fields "$(seq -s, -f 'f%g' 1 1001)" in/customers.jsonl
t_done
