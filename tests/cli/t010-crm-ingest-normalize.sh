# crm-ingest without a store: every format read, every value normalized,
# every hostile input rejected with its file, line, field and exit status.
. "$TOP/tests/lib.sh"
t_use ingest

# Formats and normalization.
t_run customers 0 -- crm-ingest in/customers.csv
t_run events 0 -- crm-ingest --kind events in/events.jsonl
t_run events-csv-mixed 65 -- crm-ingest --kind events --output-format csv \
    in/events.jsonl
t_run tsv 0 -- crm-ingest --table people in/customers.tsv
t_run bom-crlf 0 -- crm-ingest in/bom-crlf.csv
t_run stdin 0 --stdin in/customers.csv -- crm-ingest -q --output-format jsonl
t_run map 0 -- crm-ingest --map customer_id=id --map name=full_name \
    --kind customers in/renamed.csv
t_run date-dmy 0 -- crm-ingest --date-order dmy in/dates.csv
t_run date-mdy 65 -- crm-ingest --date-order mdy in/dates.csv
t_run region-us 0 -- crm-ingest --region us in/us-phones.csv
t_run type-override 65 -- crm-ingest --table leads --type mobile=phone \
    --type joined=date --type score=number in/leads.csv

# Hostile input: each bad record rejected with a reason, the rest goes on.
t_run bad 65 -- crm-ingest in/bad.csv
t_run bad-rejects 65 -- crm-ingest --rejects rejects.csv in/bad.csv
t_run bad-rejects-file 0 -- cat rejects.csv
t_run bad-max-errors 65 -- crm-ingest --max-errors 2 in/bad.csv
t_run badutf8 65 -- crm-ingest in/badutf8.csv
t_run unterminated 65 -- crm-ingest in/unterminated.csv
t_run empty 0 -- crm-ingest in/empty.csv
t_run header-only 0 -- crm-ingest in/header-only.csv
t_run dup-header 66 -- crm-ingest in/dup-header.csv
t_run sql-header 0 -- crm-ingest --table docs in/sql-header.csv
t_run jsonl-bad 65 -- crm-ingest --table docs in/bad.jsonl
t_run no-id-column 66 -- crm-ingest in/header-only-noid.csv

# Rows in = rows out + rows rejected, always.
crm-ingest -q in/bad.csv >out.csv 2>/dev/null || true
crm-ingest -q --rejects rej.csv in/bad.csv >/dev/null 2>&1 || true
t_eq "bad.csv: 10 rows = 2 written + 8 rejected" "10" \
    "$(( $(wc -l <out.csv) - 1 + $(crm-ingest -q --table r rej.csv | wc -l) - 1 ))"

# JSONL records whose fields differ cannot share one CSV header: a clear
# error, not a silent loss (events-csv-mixed above).

# A 10 MB field is read whole, in CSV and in JSONL.
awk 'BEGIN { printf "customer_id,name,note\nBIG1,Big,\""
	for (i = 0; i < 10485760 / 64; i++)
		printf "0123456789 abcdefghijklmnopqrstuvwxyz, \"\"quoted\"\" 中文 x"
	printf "\"\nBIG2,After,small\n" }' >big.csv
crm-ingest -q big.csv >big.out
t_eq "10 MB field: both records out" 3 "$(wc -l <big.out | tr -d ' ')"
t_eq "10 MB field: note kept whole" "$(awk 'NR == 2' big.csv | wc -c)" \
    "$(awk 'NR == 2' big.out | wc -c)"
crm-ingest -q --output-format jsonl big.csv >big.jsonl
crm-ingest -q --output-format csv big.jsonl >big2.out
t_ok "10 MB field: JSONL round trip" cmp big.out big2.out

# Options: every bad form is a usage error (64) with a message.
t_run opt-unknown 64 -- crm-ingest --frobnicate
t_run opt-missing-value 64 -- crm-ingest --db
t_run opt-bad-batch 64 -- crm-ingest --batch 0
t_run opt-bad-batch-junk 64 -- crm-ingest --batch 10x
t_run opt-bad-format 64 -- crm-ingest --input-format xml
t_run opt-bad-table 64 -- crm-ingest --table 'x; DROP TABLE customers'
t_run opt-reserved-table 64 -- crm-ingest --table models
t_run opt-index-table 64 -- crm-ingest --table events_customer_time
t_run bad-header-quote 66 -- crm-ingest in/bad-header-quote.csv
t_run opt-bad-region 64 -- crm-ingest --region XX
t_run opt-bad-map 64 -- crm-ingest --map customer_id
t_run opt-bad-type 64 -- crm-ingest --type note=blob
t_run opt-key-builtin 64 -- crm-ingest --key email
t_run opt-bad-date-order 64 -- crm-ingest --date-order ymd
t_run missing-file 66 -- crm-ingest in/no-such-file.csv in/header-only.csv
crm-ingest --help >help.out
t_ok "--help prints the synopsis on stdout" grep -q '^usage: crm-ingest' \
    help.out
t_ok "--version names crmkit" sh -c 'crm-ingest --version | grep -q "(crmkit)"'
t_ok "--help synopsis matches the man page" sh -c \
    "sed -n '/^usage:/,/^\$/p' help.out | tr -s ' \n' ' ' | \
    sed 's/usage: //' >syn.help; \
    mandoc -Tascii '$TOP/man/crm-ingest.1' | col -bx | \
    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;\$d' | tr -s ' \n' ' ' \
    >syn.man; test \"\$(sed 's/ *\$//' syn.help)\" = \"\$(sed 's/^ *//;s/ *\$//' syn.man)\" || \
    { cat syn.help; echo; cat syn.man; false; }"

t_done
