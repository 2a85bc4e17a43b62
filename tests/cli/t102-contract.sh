#!/bin/sh
# t102-contract: what every filter shares (lib/filter.c, lib/cli.c): the
# exit statuses a cron job acts on (0 all done, 65 some records
# rejected, 66 nothing done from some input), one summary line and its
# --stats JSON, field names checked once against the header with a
# did-you-mean, JSONL records of varying fields written as CSV, and
# --excel.
. "$TOP/tests/lib.sh"
t_use contract

printf 'customer_id,name,email\nC1,Ann,ann@example.com\nC2,Bob,bob@example.com\n' >good.csv
printf 'customer_id,name,email\nC1,Ann,ann@example.com\nC2,Bob,not-an-email\n' >some-bad.csv
printf 'customer_id,name,email\nC1,Ann,nope\nC2,Bob,not-an-email\n' >all-bad.csv
printf 'customer_id,name,name\nC1,Ann,Ann\n' >dup-header.csv

# ==== Exit statuses ====

# 0: every record done; 65: some rejected, the others written.
t_run status-all-done 0 -- crm-ingest good.csv
t_run status-some-rejected 65 -- crm-ingest some-bad.csv
# 66: a header refused: the summary names the refused input.
t_run status-header-refused 66 -- crm-ingest dup-header.csv
# 66: records read and every one rejected.
t_run status-none-accepted 66 -- crm-ingest all-bad.csv
# 66: an input not opened, even when the next is read whole.
t_run status-not-opened 66 -- crm-ingest nothere.csv good.csv
# 66 wins over 65: one input refused, another with a reject.
t_run status-refused-and-rejected 66 -- crm-ingest dup-header.csv \
    some-bad.csv
# 66: --max-errors stopped a run that accepted nothing; 65 when it had
# accepted some.
t_run status-stopped-none-accepted 66 -- crm-ingest --max-errors 1 \
    all-bad.csv
t_run status-stopped-some-accepted 65 -- crm-ingest --max-errors 0 \
    some-bad.csv
# An empty input, or a header with no records, is done: 0.
printf 'customer_id,name,email\n' >header-only.csv
t_run status-header-only 0 -- crm-ingest header-only.csv

# ==== One summary, and --stats ====

# Every tool's summary starts the same way; its own counts follow "; ".
t_run summary-store 0 -- crm-ingest --db crm.db good.csv
t_run summary-dedupe 0 -- crm-dedupe -q --stats dd.json good.csv
t_eq "--stats: crm-dedupe's own counts as keys" \
    '{"program":"crm-dedupe","read":2,"written":2,"rejected":0,"inputs_refused":0,"candidate_pairs":0,"links":0,"in_clusters":0,"clusters":0,"status":0}' \
    "$(cat dd.json)"
# Records a tool drops by design are named: read = written + merged.
cp "$TOP/testdata/dedupe/customers.csv" people.csv
crm-dedupe --merge people.csv 2>merge.err >/dev/null
t_eq "summary: --merge names the records merged into others" \
    "crm-dedupe: read 14, written 9, rejected 0; candidate pairs 8, links 6, in clusters 9, clusters 4, merged 5" \
    "$(cat merge.err)"
# --stats with -q: no line on stderr, the JSON has the exit status.
t_run stats-quiet 65 -- crm-ingest -q --stats st.json some-bad.csv
t_eq "--stats: the summary as one JSON object" \
    '{"program":"crm-ingest","read":2,"written":1,"rejected":1,"inputs_refused":0,"status":65}' \
    "$(cat st.json)"
crm-ingest -q --stats st.json dup-header.csv 2>/dev/null || true
t_eq "--stats: a refused input counted, status 66" \
    '{"program":"crm-ingest","read":0,"written":0,"rejected":0,"inputs_refused":1,"status":66}' \
    "$(cat st.json)"
# A run that writes no records counts what it used.
cp "$TOP/testdata/churn/telco-like.csv" telco.csv
crm-churn train -q --stats train.json --model-file m.model \
    --label-field Churn --id-field customerID telco.csv 2>/dev/null
t_eq "--stats: used, for a run that writes no records" \
    '{"program":"crm-churn","read":60,"written":0,"rejected":0,"inputs_refused":0,"used":60,"status":0}' \
    "$(cat train.json)"
# The stats file is replaced whole, never left half written, and may
# not be an input.
t_run stats-is-input 64 -- crm-ingest --stats good.csv good.csv
t_eq "--stats: an input is never overwritten" \
    "$(printf 'customer_id,name,email\nC1,Ann,ann@example.com\nC2,Bob,bob@example.com')" \
    "$(cat good.csv)"
t_run stats-cannot-create 73 -- crm-ingest --stats nodir/st.json good.csv
# Every exit once the options are read writes the file, with the status
# the process exits with and the counts so far: a fatal error never
# leaves an earlier run's file (status 0) behind for a cron job to read.
echo '{"old":1}' >intent.json
t_run stats-fatal-no-model 66 -- crm-intent --model sentimant \
    --stats intent.json in/two-msgs.jsonl
t_eq "--stats: written when the model does not exist" \
    '{"program":"crm-intent","read":0,"written":0,"rejected":0,"inputs_refused":0,"status":66}' \
    "$(cat intent.json)"
echo '{"old":1}' >ingest.json
t_run stats-fatal-no-store 73 -- crm-ingest --db nodir/x.db \
    --stats ingest.json good.csv
t_eq "--stats: written when the store cannot be opened" \
    '{"program":"crm-ingest","read":0,"written":0,"rejected":0,"inputs_refused":0,"status":73}' \
    "$(cat ingest.json)"
echo '{"old":1}' >dedupe.json
t_run stats-fatal-no-dedupe-model 66 -- crm-dedupe --db empty.db \
    --incremental --stats dedupe.json good.csv
t_eq "--stats: written when --incremental has no model" \
    '{"program":"crm-dedupe","read":0,"written":0,"rejected":0,"inputs_refused":0,"status":66}' \
    "$(cat dedupe.json)"

# ==== Field names checked once, with the near name ====

# One line, not one per row, status 66, nothing else read from the file.
t_run typo-label-field 66 -- crm-churn train --model-file m2.model \
    --label-field churn telco.csv
t_ok "no model made from a refused input" test ! -e m2.model
t_run typo-dedupe-field 66 -- crm-dedupe --field nosuch good.csv
# A header whose names carry a leading space.
printf 'rec_id, given_name, soc_sec_id\nr1, ann, 1\nr2, bob, 2\n' >febrl.csv
t_run typo-dedupe-ignore 66 -- crm-dedupe --id-field rec_id \
    --ignore soc_sec_id febrl.csv
cp "$TOP/testdata/recommend/weighted.csv" orders.csv
t_run typo-recommend-id 66 -- crm-recommend fit --model-file r.model \
    --id-field Customer_ID orders.csv
printf 'customer_id,full_name\nC1,Ann\n' >names.csv
t_run typo-ingest-map 66 -- crm-ingest --map name=fullname names.csv
t_run typo-ingest-map-there 66 -- crm-ingest --map email=Email good.csv
printf 'id,text,intent\n1,where is my parcel,shipping\n' >tickets.csv
t_run typo-route-field 66 -- crm-route --intent-field Intent tickets.csv
# JSONL: a field missing from the first record is reported once, as a
# likely typo; the records without it are rejected and counted, one
# summary entry, each in --rejects.
printf '{"id":"1","text":"card lost"}\n{"id":"2","text":"refund"}\n{"id":"3","txt":"hi"}\n' >msgs.jsonl
t_run typo-jsonl-first 65 -- crm-intent --text-field txt msgs.jsonl
printf '{"id":"1","text":"card lost"}\n' >one-msg.jsonl
t_run typo-jsonl-none 66 -- crm-intent --text-field txt one-msg.jsonl
t_run typo-jsonl-later 65 -- crm-intent --rejects rej.csv \
    --output-format csv msgs.jsonl
t_eq "missing fields rejected into --rejects" \
    "file,line,field,reason
msgs.jsonl,3,text,no field 'text' (--text-field)" \
    "$(cut -d, -f1-4 rej.csv)"
# crm-ingest: the fields a kind requires (or --key, or a --map's input
# field) are needed fields: said once with the near name, every record
# without one rejected (into --rejects) and counted.
t_run jsonl-ingest-kind 66 -- crm-ingest --rejects ids-rej.csv \
    in/customer-ids.jsonl
t_eq "a kind's missing field rejected into --rejects" \
    "file,line,field,reason
in/customer-ids.jsonl,1,customer_id,no field 'customer_id' (use --map customer_id=FIELD)
in/customer-ids.jsonl,5,customer_id,no field 'customer_id' (use --map customer_id=FIELD)" \
    "$(cut -d, -f1-4 ids-rej.csv | sed -n '1p;2p;6p')"
t_run jsonl-ingest-kind-summary 66 -- crm-ingest in/customer-ids.jsonl
t_run jsonl-ingest-map 66 -- crm-ingest --map customer_id=customerId \
    in/customer-ids.jsonl
t_run jsonl-ingest-key 65 -- crm-ingest --table leads --key lead \
    in/leads.jsonl
# crm-ingest trims names, so a JSONL key with white space around it is
# the field, not a missing one
t_run jsonl-ingest-key-spaces 0 -- crm-ingest in/key-spaces.jsonl

# ==== CSV output of records with varying fields ====

printf '{"customer_id":"1","name":"A"}\n{"customer_id":"2"}\n{"customer_id":"3","name":"C","vip":"yes"}\n{"customer_id":"4","name":"D"}\n' >vary.jsonl
# A missing field is an empty cell; a field the header lacks rejects the
# record, counted: read 4 = written 3 + rejected 1.
t_run vary-csv 65 -- crm-ingest --output-format csv \
    vary.jsonl
t_run vary-jsonl 0 -- crm-ingest vary.jsonl
# The same for records a tool holds and writes at its end.
t_run vary-dedupe 65 -- crm-dedupe --output-format csv vary.jsonl

# ==== --excel ====

printf 'customer_id,name,note,amount\nC1,=HYPERLINK("x"),-5,+86\nC2,@SUM(A1),+1 555,-1.5e3\nC3,-x,	tab,12\n' >cells.csv
t_run excel-csv 0 -- crm-ingest -q --excel cells.csv
t_eq "--excel: a UTF-8 byte order mark first" "efbbbf" \
    "$(crm-ingest -q --excel cells.csv | head -c 3 | od -An -tx1 | tr -d ' ')"
t_run excel-tsv 0 -- crm-ingest -q --excel \
    --output-format tsv cells.csv
t_run excel-jsonl 64 -- crm-ingest --excel --output-format jsonl \
    cells.csv
# Without --output-format, --excel writes CSV, whatever the input.
printf '{"customer_id":"1","name":"=1+2"}\n' >one.jsonl
t_run excel-from-jsonl 0 -- crm-ingest -q --excel one.jsonl

t_done
