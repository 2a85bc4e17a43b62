# crm-ingest's kinds and tables, and typed fields: an unknown --kind is a
# usage error with the kind meant, a table of one's own is --table; a
# number field is written as a JSON number and stored in a NUMERIC
# column, so SQL sorts it as a number; --infer-types and --decimal-comma;
# a value that is not a number rejected with its file, line and field.
. "$TOP/tests/lib.sh"
t_use ingest

q() {
	sqlite3 "$1" "$2"
}

printf 'id,n,name\na,100,x\nb,9,y\nc,42,z\nd,+007,w\n' >n.csv

# Kinds: customers and events; anything else is a usage error.
t_run types-kind-typo 64 -- crm-ingest --db k.db --kind custmers n.csv
t_eq "--kind custmers: no table made" "" \
    "$(if [ -e k.db ]; then q k.db "SELECT name FROM sqlite_master
	WHERE name = 'custmers'"; fi)"
t_run types-kind-table 64 -- crm-ingest --kind events --table nums n.csv
t_run types-table-kind 64 -- crm-ingest --table customers n.csv
t_run types-table-sqlite 64 -- crm-ingest --table sqlite_stat1 n.csv

# --table: a new table, with a number column.
t_run types-table-number 0 -- crm-ingest --db t.db --table nums --key id \
    --type n=number --output-format jsonl n.csv
t_eq "numbers sort as numbers" "a|100|integer b|9|integer c|42|integer d|7|integer" \
    "$(q t.db "SELECT id, n, typeof(n) FROM nums ORDER BY id" | tr '\n' ' ' |
	sed 's/ $//')"
t_eq "ORDER BY n DESC: 100 > 42 > 9 > 7" "100 42 9 7" \
    "$(q t.db 'SELECT n FROM nums ORDER BY n DESC' | tr '\n' ' ' |
	sed 's/ $//')"
t_eq "the column is NUMERIC" "NUMERIC" \
    "$(q t.db "SELECT type FROM pragma_table_info('nums') WHERE name = 'n'")"
# The same table again: loaded into, nothing changed.
t_run types-table-again 0 -- crm-ingest --db t.db --table nums --key id \
    --type n=number n.csv

# A table crm-ingest did not make is not loaded into.
sqlite3 t.db 'CREATE TABLE mine (a, b)'
t_run types-table-foreign 64 -- crm-ingest -q --db t.db --table mine n.csv
t_run types-type-typo 64 -- crm-ingest --table nums --type n=nubmer n.csv

# A table made before --type: its TEXT column stays TEXT, said once.
crm-ingest -q --db t.db --table plain --key id n.csv >/dev/null
t_run types-text-column 0 -- crm-ingest -q --db t.db --table plain --key id \
    --type n=number n.csv
t_eq "a TEXT column keeps its type" "TEXT" \
    "$(q t.db "SELECT type FROM pragma_table_info('plain') WHERE name = 'n'")"

# A bad number: rejected with file, line and field; the rest loaded.
printf 'id,n\na,1\nb,abc\nc,1.5e3\n' >bad.csv
t_run types-bad-number 65 -- crm-ingest --db t.db --table bad --key id \
    --type n=number --rejects rej.csv bad.csv
t_run types-bad-number-rejects 0 -- cat rej.csv
t_eq "the good ones stored as numbers" "a|1 c|1500" \
    "$(q t.db 'SELECT id, n FROM bad ORDER BY n' | tr '\n' ' ' |
	sed 's/ $//')"
printf '{"id":"a","n":3}\n{"id":"b","n":3.5}\n{"id":"c","n":"4"}\n' >int.jsonl
t_run types-integer 65 -- crm-ingest --db t.db --table ints --key id \
    --type n=integer int.jsonl
t_eq "an INTEGER column" "INTEGER a|3|integer c|4|integer" \
    "$(q t.db "SELECT type FROM pragma_table_info('ints') WHERE name = 'n'
	" | tr '\n' ' ')$(q t.db 'SELECT id, n, typeof(n) FROM ints
	ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"

# Without --type or --infer-types a CSV value is a string.
t_run types-strings 0 -- crm-ingest --table nums --output-format jsonl n.csv

# --infer-types: the first non-empty value decides; codes stay text.
printf 'id,n,zip,note\na,,01234,\nb,12,10001,x\nc,-0.5,02134,\nd,n/a,7,y\n' \
    >infer.csv
t_run types-infer 65 -- crm-ingest --db t.db --table inferred --key id \
    --infer-types --output-format jsonl infer.csv
# n has no column until its first value (line 3), then a NUMERIC one.
t_eq "inferred column types" "id:TEXT zip:TEXT n:NUMERIC note:TEXT" \
    "$(q t.db "SELECT name || ':' || type FROM pragma_table_info('inferred')
	WHERE name NOT LIKE '\\_%' ESCAPE '\\'" | tr '\n' ' ' | sed 's/ $//')"
t_eq "inferred numbers sort as numbers" "c|-0.5 b|12 a|" \
    "$(q t.db 'SELECT id, n FROM inferred ORDER BY n NULLS LAST, id' |
	tr '\n' ' ' | sed 's/ $//')"
t_run types-infer-text 0 -- crm-ingest --table inferred --key id \
    --infer-types --type n=text --output-format jsonl infer.csv

# A field typed text stays text, even for JSON numbers.
printf '{"id":"a","n":5}\n{"id":"b","n":"007"}\n' >tn.jsonl
crm-ingest -q --db t.db --table tn --key id --infer-types --type n=text \
    tn.jsonl >/dev/null
t_eq "--type n=text: a TEXT column, 007 kept" "TEXT a|5 b|007" \
    "$(q t.db "SELECT type FROM pragma_table_info('tn') WHERE name = 'n'
	" | tr '\n' ' ')$(q t.db 'SELECT id, n FROM tn ORDER BY id' |
	tr '\n' ' ' | sed 's/ $//')"

# --decimal-comma: in number fields only.
printf 'id,amount,ref\na,"3,5","1,2"\nb,"1.234,5",x\nc,12,y\nd,1.5,z\n' >dc.csv
t_run types-decimal-comma 65 -- crm-ingest --db t.db --table dc --key id \
    --decimal-comma --type amount=number --output-format jsonl dc.csv
t_eq "decimal comma: stored as numbers" "b|1234.5 c|12 a|3.5" \
    "$(q t.db 'SELECT id, amount FROM dc ORDER BY amount DESC' |
	tr '\n' ' ' | sed 's/ $//')"
# Inferred with a decimal comma: ref's "1,2" makes it a number field.
t_run types-decimal-comma-infer 65 -- crm-ingest --decimal-comma \
    --infer-types --table dc2 --output-format jsonl dc.csv

# Out of range: a number beyond a double (SQLite would store Inf) and an
# integer beyond SQLite's 64 bits (it would store an inexact REAL) are
# rejected, from CSV and JSON alike; a number too small for a double is 0.
t_run types-range 65 -- crm-ingest --db r.db --table rng --key id \
    --type m=number --type n=integer --output-format jsonl in/range.csv
t_eq "only numbers in range stored, none Inf" \
    "a|1.0e+308|9223372036854775807 f|0|-9223372036854775808" \
    "$(q r.db 'SELECT id, m, n FROM rng ORDER BY id' | tr '\n' ' ' |
	sed 's/ $//')"
t_run types-range-json 65 -- crm-ingest --table rngj --key id \
    --type m=number --type n=integer --output-format jsonl in/range.jsonl
# --infer-types never makes such a value a number: it stays text.
t_run types-range-infer 0 -- crm-ingest --db r.db --table rngi --key id \
    --infer-types --output-format jsonl in/range.csv
t_eq "inferred: huge values are text" "TEXT TEXT" \
    "$(q r.db "SELECT type FROM pragma_table_info('rngi')
	WHERE name IN ('m', 'n') ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"

# Inferred in one input, rejected in another: the message names both.
t_run types-infer-two-files 65 -- crm-ingest --table two --infer-types \
    in/infer-1.csv in/infer-2.csv

# A European file as Excel saves it: ';' sniffed (no --delimiter), a
# byte-order mark, CRLF, a quoted ';', decimal commas grouped by points.
t_run types-semicolon-eu 0 -- crm-ingest --db eu.db --table konten \
    --key kunde --type saldo=number --decimal-comma --output-format jsonl \
    in/semicolon-eu.csv
t_eq "grouped decimal commas sort as numbers" \
    "K5| K3|-12 K2|3.5 K1|1234.5 K4|1000000" \
    "$(q eu.db 'SELECT kunde, saldo FROM konten ORDER BY saldo' |
	tr '\n' ' ' | sed 's/ $//')"
crm-ingest -q --db eu.db --table balances --key customer_id \
    --type balance=number --decimal-comma in/semicolon.csv >/dev/null
t_eq "semicolon.csv's balances as numbers" "E2|12|integer E1|3.5|real" \
    "$(q eu.db 'SELECT customer_id, balance, typeof(balance) FROM balances
	ORDER BY balance DESC' | tr '\n' ' ' | sed 's/ $//')"

t_done
