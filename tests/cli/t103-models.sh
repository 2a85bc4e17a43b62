# Models safe from the daily run, and verbs and model names a user can act
# on: crm-dedupe keeps (and uses) the stored model over one fitted on a
# day's few pairs unless --replace-model, saves none from part of its
# input, and says a first model of few pairs is rough; churn from one class and intent
# from one label are refused with the store left as it was;
# --model-version on every tool that reads a stored model; what a model
# was trained on (rows, fingerprint); train with fit as its alias; a verb
# typo, a word that is no verb and no file, a model name with a typo.
. "$TOP/tests/lib.sh"
t_use models

q() { sqlite3 -batch -noheader crm.db "$@"; }
febrl=$TOP/testdata/dedupe/febrl1-300.csv
telco=$TOP/testdata/churn/telco-like.csv
groups=$TOP/testdata/recommend/two-groups.csv

# ---- crm-dedupe: the daily batch does not replace the model --------------

crm-dedupe -q --db crm.db --id-field rec_id "$febrl" >/dev/null
t_eq "the model of the whole file: 300 records, 54 pairs, a fingerprint" \
    "dedupe|1|300|54|16" "$(q "SELECT name, version, rows,
    json_extract(metrics, '$.pairs'), length(fingerprint) FROM models")"
q "SELECT hex(blob), params, metrics, rows, fingerprint FROM models" >model.1

# Three different people: no candidate pair.
{ head -1 "$febrl"; grep -E '^rec-(223|122|373)-org' "$febrl"; } >zero.csv
t_run dedupe-zero-pairs 0 -- crm-dedupe --db crm.db --id-field rec_id \
    zero.csv
q "SELECT hex(blob), params, metrics, rows, fingerprint FROM models" >model.0
t_eq "0 pairs: still version 1 alone" "1|1" \
    "$(q "SELECT count(*), max(version) FROM models")"
t_ok "0 pairs: the stored model as it was, blob and all" cmp model.1 model.0

# Two people twice each, and one alone: two candidate pairs, both linked
# by the stored model, whose version the decisions name.
{ head -1 "$febrl"; grep -E '^rec-(10|6|190)-' "$febrl"; } >two.csv
n=$(q "SELECT count(*) FROM decisions")
t_run dedupe-two-pairs 0 -- crm-dedupe --db crm.db --id-field rec_id two.csv
q "SELECT hex(blob), params, metrics, rows, fingerprint FROM models" >model.2
t_eq "2 pairs: still version 1 alone" "1|1" \
    "$(q "SELECT count(*), max(version) FROM models")"
t_ok "2 pairs: the stored model as it was, blob and all" cmp model.1 model.2
t_eq "2 pairs: the run linked with the stored model, version 1" "4|1|1" \
    "$(q "SELECT count(*), min(model_version), max(model_version)
    FROM decisions WHERE id > $n")"

# Quiet: the same, without the line.
t_run dedupe-quiet 0 -- crm-dedupe -q --db crm.db \
    --id-field rec_id zero.csv

# Other fields: the stored model is kept, the run fits its own.
t_run dedupe-other-fields 0 -- crm-dedupe --db crm.db --id-field rec_id \
    --field ' surname' --field ' given_name' two.csv
t_eq "other fields: still version 1 alone" 1 \
    "$(q "SELECT count(*) FROM models")"

# --replace-model saves it all the same.
t_run dedupe-replace 0 -- crm-dedupe -q --db crm.db --id-field rec_id \
    --replace-model two.csv
t_eq "--replace-model: version 2, of 5 records and 2 pairs" "2|5|2" \
    "$(q "SELECT version, rows, json_extract(metrics, '$.pairs')
    FROM models WHERE version = 2")"
t_run dedupe-replace-incremental 64 -- crm-dedupe --db crm.db \
    --incremental --replace-model two.csv

# A run that saw part of its input links and writes what it read but
# saves no model, even with --replace-model: an input that cannot be
# opened, one refused for its encoding or its header, a record rejected.
q "SELECT * FROM models" >models.before
t_run dedupe-partial-nosuch 66 -- sh -c "crm-dedupe --db crm.db \
    --id-field rec_id '$febrl' nosuch.csv >/dev/null"
t_run dedupe-partial-cp1252 66 -- sh -c "crm-dedupe --db crm.db \
    --id-field rec_id '$febrl' in/cp1252.csv >/dev/null"
t_run dedupe-partial-header 66 -- sh -c "crm-dedupe --db crm.db \
    --id-field rec_id --replace-model '$febrl' in/no-rec-id.csv >/dev/null"
t_run dedupe-partial-rejected 65 -- sh -c "crm-dedupe --db crm.db \
    --id-field rec_id '$febrl' in/no-id-record.csv >/dev/null"
q "SELECT * FROM models" >models.after
t_ok "part of the input: the models as they were" cmp models.before \
    models.after
t_eq "part of the input: its clusters written all the same" 301 \
    "$(q "SELECT count(*) FROM clusters")"
crm-dedupe -q --db fresh.db --id-field rec_id "$febrl" nosuch.csv \
    >/dev/null 2>&1 || :
t_eq "part of the input, a new store: no model" 0 \
    "$(sqlite3 fresh.db "SELECT count(*) FROM models")"

# A new store's first model is saved whatever its pairs, said rough when
# under 100; a run with as many pairs or more replaces it, one with fewer
# keeps it (and uses it), and --incremental uses it.
t_run dedupe-first-small 0 -- crm-dedupe --db small.db --id-field rec_id \
    two.csv
t_eq "a first model of 2 pairs: version 1" "1|2" \
    "$(sqlite3 small.db "SELECT max(version),
    json_extract(metrics, '$.pairs') FROM models")"
t_ok "--incremental uses it" sh -c "crm-dedupe -q --db small.db \
    --incremental --id-field rec_id two.csv >/dev/null"
crm-dedupe -q --db small.db --id-field rec_id zero.csv >/dev/null
t_eq "0 pairs over 2: still version 1 alone" 1 \
    "$(sqlite3 small.db "SELECT count(*) FROM models")"
t_run dedupe-more-small 0 -- sh -c "crm-dedupe --db small.db \
    --id-field rec_id '$febrl' >/dev/null"
t_run dedupe-enough 0 -- sh -c "crm-dedupe --db small.db \
    --id-field rec_id --block ' state' '$febrl' >/dev/null"
t_eq "54 pairs over 2, then 10120 over 54: versions 2 and 3" "3|54|10120" \
    "$(sqlite3 small.db "SELECT count(*),
    min(json_extract(metrics, '$.pairs')) FILTER (WHERE version = 2),
    max(json_extract(metrics, '$.pairs')) FROM models")"

# A store whose model was fitted on many pairs (made so here): a run with
# more pairs than the minimum but under a tenth of them keeps it too.
crm-dedupe -q --db big.db --id-field rec_id "$febrl" >/dev/null
sqlite3 big.db "UPDATE models SET metrics =
    json_set(metrics, '$.pairs', 1000000)"
t_run dedupe-tenth 0 -- sh -c "crm-dedupe --db big.db --id-field rec_id \
    --block ' state' '$febrl' >/dev/null"
t_eq "under a tenth: still version 1 alone" 1 \
    "$(sqlite3 big.db "SELECT count(*) FROM models")"

# --model-version with --incremental: that version, or exit 66.
t_ok "--incremental --model-version 1" sh -c "crm-dedupe -q --db crm.db \
    --incremental --model-version 1 --id-field rec_id zero.csv >/dev/null"
t_run dedupe-version-missing 66 -- crm-dedupe --db crm.db --incremental \
    --model-version 9 --id-field rec_id zero.csv
# --model-version in a plain run scores with that model: its fields and
# blocking rules, none of the run's own.
t_run dedupe-version-field 64 -- crm-dedupe --db crm.db --model-version 1 \
    --field surname zero.csv

# ---- crm-churn ------------------------------------------------------------

t_run churn-one-class 66 -- crm-churn train --db crm.db in/one-class.csv
t_eq "one class: no churn model saved" 0 \
    "$(q "SELECT count(*) FROM models WHERE kind = 'churn'")"
crm-churn train -q --db crm.db --label-field Churn --id-field customerID \
    "$telco"
crm-churn fit -q --db crm.db --label-field Churn --id-field customerID \
    "$telco"
t_eq "train, then fit (its alias): versions 1 and 2 of one data" \
    "1|60|2|60|1" "$(q "SELECT min(version), min(rows), max(version),
    max(rows), count(DISTINCT fingerprint) FROM models WHERE name = 'churn'")"
n=$(q "SELECT count(*) FROM decisions")
crm-churn -q --db crm.db --model-version 1 --id-field customerID \
    "$telco" >/dev/null
t_eq "--model-version 1: the decisions name version 1" "60|1" \
    "$(q "SELECT count(*), max(model_version) FROM decisions
    WHERE id > $n")"
t_run churn-version-missing 66 -- crm-churn --db crm.db --model-version 7 \
    "$telco"
t_run churn-predict 64 -- crm-churn predict "$telco"
t_run churn-trian 64 -- crm-churn trian "$telco"
t_run churn-model-typo 66 -- crm-churn --db crm.db --model chrn "$telco"
# A file named like a word is read as one.
cp "$telco" predict
t_ok "a file named predict is read" sh -c "crm-churn -q --db crm.db \
    --id-field customerID predict >/dev/null"

# ---- crm-intent -----------------------------------------------------------

t_run intent-one-label 66 -- crm-intent train --db crm.db --model tiny \
    --label-field intent in/one-label.csv
t_eq "one label: no text model saved" 0 \
    "$(q "SELECT count(*) FROM models WHERE kind = 'text'")"
crm-intent train -q --db crm.db --model tiny --label-field intent \
    in/tiny.csv
crm-intent fit -q --db crm.db --model tiny --label-field intent in/tiny.csv
t_eq "train, then fit: versions 1 and 2 of 8 texts, one fingerprint" \
    "2|8|1" "$(q "SELECT max(version), min(rows),
    count(DISTINCT fingerprint) FROM models WHERE name = 'tiny'")"
n=$(q "SELECT count(*) FROM decisions")
crm-intent -q --db crm.db --model tiny --model-version 1 in/tiny.csv \
    >/dev/null
t_eq "--model-version 1: the decisions name version 1" "8|1" \
    "$(q "SELECT count(*), max(model_version) FROM decisions
    WHERE id > $n")"
t_run intent-version-missing 66 -- crm-intent --db crm.db --model tiny \
    --model-version 3 in/tiny.csv
t_run intent-model-typo 66 -- crm-intent --model sentimant in/tiny.csv
t_run intent-model-typo-db 66 -- crm-intent --db crm.db --model tini \
    in/tiny.csv
t_run intent-trian 64 -- crm-intent trian in/tiny.csv

# ---- crm-recommend --------------------------------------------------------

crm-recommend fit -q --db crm.db "$groups"
crm-recommend train -q --db crm.db "$groups"
sed 1d "$groups" | sort -r | sed "1i $(head -1 "$groups")" >shuffled.csv
crm-recommend train -q --db crm.db shuffled.csv
t_eq "fit, train, train on the lines reordered: two fingerprints" "3|31|2" "$(q "SELECT max(version), min(rows),
    count(DISTINCT fingerprint) FROM models WHERE name = 'recommend'")"
t_ok "--model-version 1" sh -c "crm-recommend -q --db crm.db \
    --model-version 1 '$groups' >/dev/null"
t_run recommend-version-missing 66 -- crm-recommend --db crm.db \
    --model-version 4 "$groups"
t_run recommend-trian 64 -- crm-recommend trian "$groups"
t_run recommend-model-typo 66 -- crm-recommend --db crm.db \
    --model recomend "$groups"

# ---- crm-route: a verb typo -----------------------------------------------

t_run route-agent 64 -- crm-route agent

# ---- A store of schema 2: migrated, its models kept, their columns null --

crm-churn train -q --db old.db --label-field Churn --id-field customerID \
    "$telco"
sqlite3 old.db "SELECT 'DROP VIEW ' || name || ';' FROM sqlite_master
    WHERE type = 'view'" | sqlite3 old.db
sqlite3 old.db "DROP INDEX tickets_customer; DROP TABLE consent; DROP INDEX decisions_subject;
    DROP TABLE audit_state; DROP TABLE tag_history; DROP TABLE persons;
    DROP TABLE person_events; DROP TABLE link_labels;
    DROP TABLE ticket_events; DROP TABLE notifications;
    DROP TABLE experiments; DROP TABLE assignments; DROP TABLE journey_runs;
    DROP TABLE journey_state; DROP TABLE journey_actions; DROP TABLE merges;
    DROP TABLE merge_rows;
    ALTER TABLE labels DROP COLUMN subject;
    ALTER TABLE decisions DROP COLUMN subject;
    ALTER TABLE decisions DROP COLUMN content_hash;
    ALTER TABLE decisions DROP COLUMN chain_hash;
    ALTER TABLE decisions DROP COLUMN review;
    ALTER TABLE models DROP COLUMN rows;
    ALTER TABLE models DROP COLUMN fingerprint; PRAGMA user_version = 2"
t_ok "a schema-2 store is read" sh -c "crm-churn -q --db old.db \
    --id-field customerID '$telco' >/dev/null"
t_eq "migrated to 11: the model there, what it was trained on unknown" \
    "11|1||" "$(sqlite3 old.db "PRAGMA user_version" \
    "SELECT version, rows, fingerprint FROM models" | paste -sd'|')"

t_done
