# crm-tag: rule tags over records and the store's features, the tags
# table, RFM scores and segments, k-means; bad rules and hostile input.
. "$TOP/tests/lib.sh"
t_use tag

q() { sqlite3 -batch -noheader crm.db "$@"; }

# Rules over records: CSV numbers are numbers, 007 is text, a blank is
# NULL, a tag given by either of two rules, a continued line.
t_run rules-csv 0 -- crm-tag --rules in/basic.rules in/records.csv
t_run rules-jsonl-out 0 -- crm-tag -q --rules in/basic.rules \
    --output-format jsonl in/records.csv
t_run rules-json-types 0 -- crm-tag -q --rules in/json.rules \
    in/records.jsonl
# JSONL: a field a rule reads that the first record lacks is said once, as
# a likely typo with the near name; the run goes on (a later record may
# lack a field: the rule is then false)
t_run rule-typo-jsonl 0 -- crm-tag --rules in/typo.rules in/records.jsonl

# Rules that do not compile are reported with their file and line before
# any record is read; so is a field the input lacks.
t_run rule-syntax 65 -- crm-tag --rules in/syntax.rules in/records.csv
t_run rule-missing-field 66 -- crm-tag --rules in/missing-field.rules \
    in/records.csv
t_run rule-not-one-expression 65 -- crm-tag --rules in/tricks.rules \
    in/records.csv
printf 'vip monetary > 1\n' >nocolon.rules
t_run rule-no-colon 65 -- crm-tag --rules nocolon.rules in/records.csv
printf 'v;ip: 1\n' >badtag.rules
t_run rule-bad-tag 65 -- crm-tag --rules badtag.rules in/records.csv
printf 'x: EXISTS (SELECT 1 FROM sqlite_master)\n' >table.rules
t_run rule-reads-table 65 -- crm-tag --rules table.rules in/records.csv
t_run rules-file-missing 66 -- crm-tag --rules nothere.rules \
    in/records.csv
# A rule that fails on one record's values rejects that record only.
t_run rule-fails-on-record 65 -- crm-tag --rules in/badjson.rules \
    --rejects rej.csv in/badjson.jsonl
t_ok "the failing record is in the rejects" grep -q '^in/badjson.jsonl,2,' \
    rej.csv

# Hostile text: SQL in values and in a field name is data.
crm-ingest -q --db crm.db in/customers.csv >/dev/null
t_run hostile 0 -- crm-tag -q --db crm.db --rules in/hostile.rules \
    in/hostile.csv
t_eq "the tags table survived, with the hostile ids" "H1|always
H1|injected
H2|always
H2|odd_name
H3|always
H3|odd_name" "$(q "SELECT customer_id, tag FROM tags ORDER BY 1, 2")"
t_eq "and so did the customers" 7 "$(q "SELECT count(*) FROM customers")"
# A field of 1000000 bytes is the most a rule reads (SQLITE_LIMIT_LENGTH);
# a longer one that a rule reads rejects the record, one it does not read
# is no matter.
head -c 1000000 /dev/zero | tr '\0' x >big
{
	echo 'customer_id,name,monetary'
	printf 'B1,'; cat big; echo ',20000'
	printf 'B2,'; cat big; echo 'x,20000'
} >big.csv
printf 'vip: monetary >= 10000 AND length(name) >= 1000000\n' >vip.rules
t_eq "a 1 MB field" 'B1 "[""vip""]"' \
    "$(crm-tag -q --rules vip.rules big.csv 2>/dev/null | tail -n +2 |
	awk -F, '{ print $1, $NF }')"
t_eq "a longer one rejects its record" "crm-tag: big.csv:3: field 'name': \
longer than 1000000 bytes, the most a rule may read
65" "$(crm-tag -q --rules vip.rules big.csv 2>&1 >/dev/null || echo $?)"
printf 'vip: monetary >= 10000\n' >vip.rules
t_eq "a long field no rule reads" 'B1 "[""vip""]"
B2 "[""vip""]"' \
    "$(crm-tag -q --rules vip.rules big.csv | tail -n +2 |
	awk -F, '{ print $1, $NF }')"

# The store: features from the events as of a day, the tags table kept
# current; a customer known only from events; an event after the day.
crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null
q "DELETE FROM tags"
t_run store-rules 0 -- crm-tag --db crm.db --as-of 2024-06-30 \
    --rules in/store.rules in/customers.csv
t_eq "tags in the store, with the rule that gave them" \
    "C01|active|active: events_30d > 0
C01|vip|vip: monetary >= 10000
C02|active|active: events_30d > 0
C03|active|active: events_30d > 0
C04|active|active: events_30d > 0
C05|wake_up_email|wake_up_email: coalesce(days_since_login, tenure_days) > 30
C06|active|active: events_30d > 0
C07|active|active: events_30d > 0" \
    "$(q "SELECT customer_id, tag, rule FROM tags ORDER BY 1, 2")"
time1=$(q "SELECT time FROM tags WHERE customer_id = 'C01' AND tag = 'vip'")
# later: nobody has logged in for 30 days, C01's vip stays with its
# first time
t_run store-rules-later 0 -- crm-tag -q --db crm.db --as-of 2024-08-15 \
    --rules in/store.rules in/customers.csv
t_eq "tags kept current" "C01|vip
C01|wake_up_email
C02|wake_up_email
C03|wake_up_email
C04|wake_up_email
C05|wake_up_email
C06|wake_up_email
C07|wake_up_email" "$(q "SELECT customer_id, tag FROM tags ORDER BY 1, 2")"
t_eq "a tag still given keeps its time" "$time1" \
    "$(q "SELECT time FROM tags WHERE customer_id = 'C01' AND tag = 'vip'")"
# The example rule files, as shipped.
ln -s "$TOP/examples/rules" examples
t_run from-store 0 -- crm-tag -q --db crm.db --from-store \
    --as-of 2024-06-30 --rules examples/dynamic-segments.rules \
    --rules examples/actions.rules --output-format csv
t_run from-store-default-day 0 -- crm-tag -q --db crm.db --from-store \
    --rfm --output-format csv

# RFM: quintile scores and the R x FM segments.
t_run rfm 0 -- crm-tag --rfm in/rfm.csv
t_run rfm-fields 0 -- crm-tag -q --rfm --rfm-fields last,n,total \
    --output-format jsonl in/rfm-renamed.csv
t_run rfm-no-fields 66 -- crm-tag --rfm in/records.csv
t_run rfm-store 0 -- crm-tag -q --db crm.db --as-of 2024-06-30 --rfm \
    --rules in/rfm-segment.rules in/customers.csv
# the store's name in the message, after the store is closed
t_run from-store-rule-missing 65 -- crm-tag --db crm.db --from-store \
    --as-of 2024-06-30 --rules in/missing-field.rules

# k-means: deterministic for a seed; K above the distinct points.
t_run kmeans 0 -- crm-tag --kmeans 3 --fields visits,spend in/points.csv
crm-tag -q --kmeans 3 --fields visits,spend --seed 9 --restarts 3 \
    in/points.csv >a.csv
crm-tag -q --kmeans 3 --fields visits,spend --seed 9 --restarts 3 \
    in/points.csv >b.csv
t_ok "the same seed, the same clusters" cmp a.csv b.csv
t_run kmeans-auto-k 0 -- crm-tag --kmeans 6 --auto-k --log \
    --fields visits,spend in/points.csv
t_run kmeans-too-many 65 -- crm-tag --kmeans 3 --fields visits,spend \
    in/few.csv
printf 'visits,spend\n,1\n2,\n' >blank.csv
t_run kmeans-no-values 65 -- crm-tag --kmeans 2 --fields visits,spend \
    blank.csv
# --max-errors stopped the run at its first record: none accepted, 66.
t_run kmeans-not-number 66 -- crm-tag -q --kmeans 2 --fields name,monetary \
    --max-errors 0 in/records.csv
t_run kmeans-log-negative 65 -- crm-tag -q --kmeans 2 --log \
    --fields x,y in/negative.csv

# Usage.
t_run usage-nothing 64 -- crm-tag in/records.csv
t_run usage-fields-alone 64 -- crm-tag --rfm --fields a,b in/records.csv
t_run usage-bad-k 64 -- crm-tag --kmeans 0 in/records.csv
t_run usage-rfm-fields 64 -- crm-tag --rfm --rfm-fields a,b in/records.csv
t_run usage-from-store-no-db 64 -- crm-tag --from-store --rfm
t_run usage-bad-as-of 64 -- crm-tag --db crm.db --as-of 2024-13-45 --rfm \
    in/customers.csv
t_run usage-auto-k-one 64 -- crm-tag --kmeans 1 --auto-k in/points.csv
crm-tag --help >help.out
t_ok "--help prints the synopsis on stdout" grep -q '^usage: crm-tag' help.out
t_ok "--version names crmkit" sh -c 'crm-tag --version | grep -q "(crmkit)"'
t_ok "--help synopsis matches the man page" sh -c \
    "sed -n '/^usage:/,/^\$/p' help.out | tr -s ' \n' ' ' | \
    sed 's/usage: //' >syn.help; \
    mandoc -Tascii '$TOP/man/crm-tag.1' | col -bx | \
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;\$d' | tr -s ' \n' ' ' \
    >syn.man; test \"\$(sed 's/ *\$//' syn.help)\" = \"\$(sed 's/^ *//;s/ *\$//' syn.man)\" || \
    { cat syn.help; echo; cat syn.man; false; }"
t_done
