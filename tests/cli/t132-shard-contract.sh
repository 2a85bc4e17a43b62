# t132-shard-contract: the table of crm(7)'s "Scaling out" is tested.
# Every row is shard-safe, keyed or global, with a reason; every
# shard-safe and keyed row has a check below that runs the mode as one
# process and in 4 shards of GNU parallel (scripts/shard-run.sh: a file
# cut by --pipepart, keyed rows by --pipe --group-by on their key, and
# --pipe from a pipe once) over JSON Lines and compares the records, sorted,
# and the store where the mode writes one (a shard-safe mode's also with
# its later shard written first); every check's row is in the
# table; each tool's CAVEATS list the same modes with the same kinds.
#
# A new row is two lines: the row in man/crm.7 and a `check` line here
# (plus the row in the tool's CAVEATS, which t132 then asks for).
. "$TOP/tests/lib.sh"
t_use shard
ln -s "$TOP/examples" ex
run() { sh "$TOP/scripts/shard-run.sh" "$@"; }
tab=$(printf '\t')

# rows FILE SECTION: the rows of the column lists of SECTION (a .Sh or .Ss
# title) of FILE as ROW<tab>KIND<tab>WHY, ROW as it reads ("crm-tag
# --rfm, --kmeans": Nm, Cm and No dropped, Fl made a dash).
rows() {
	awk -v sec="$2" '
	/^\.S[hs] / { in_sec = substr($0, 5) == sec; next }
	in_sec && /^\.Bl -column/ { in_list = 1; next }
	in_list && /^\.El/ { in_list = 0; next }
	in_list && /^\.It / && !/^\.It Sy / {
		n = split(substr($0, 5), cell, / Ta /)
		w = split(cell[1], word, " ")
		row = ""
		for (i = 1; i <= w; i++) {
			if (word[i] ~ /^(Nm|Cm|No)$/)
				continue
			if (word[i] == "Fl") {
				word[i + 1] = "-" word[i + 1]
				continue
			}
			row = row (row == "" ? "" : " ") word[i]
		}
		gsub(/ ,/, ",", row)
		printf "%s\t%s\t%s\n", row, cell[2], (n > 2 ? cell[3] : "")
	}' "$1"
}

# ---- The models and the store the checks read -----------------------------

# trained once, shipped to the shards as files
crm-churn train -q --model-file churn.model --label-field Churn \
    --id-field customerID in/telco.jsonl
crm-recommend train -q --model-file reco.model ex/reco-orders.csv
crm-tag fit -q --rfm --kmeans 4 --log --seed 3 --model-file tag.model \
    "$TOP/testdata/tagshard/customers.jsonl"
crm-ingest -q --db base.db in/customers.jsonl >/dev/null
crm-ingest -q --db base.db --kind events in/events.jsonl >/dev/null
# crm-tag's model 'seg' (--model), fitted on the store's customers
crm-tag fit -q --rfm --kmeans 3 --seed 3 --db base.db --model seg \
    --from-store --as-of 2026-04-01
# crm-dedupe's model: fitted once, version 1 of dd.db; its key records
crm-dedupe -q --db dd.db "$TOP/testdata/dedupe-shards/customers.csv" \
    >/dev/null
crm-dedupe keys -q --db dd.db --model-version 1 --output-format jsonl \
    "$TOP/testdata/dedupe-shards/customers.csv" >keys.jsonl

# check ROW KEY INPUT QUERY CMD ARG...: ROW's mode CMD as one process and
# as 4 shards of INPUT (cut by its field KEY; - for anywhere) gives the
# same exit status and the same records, sorted.  With a QUERY the run
# has a store ($CRM_DB: a copy of base.db for each run) and the query
# gives the same rows of both stores.
check() {
	row=$1 key=$2 input=$3 query=$4
	shift 4
	kind=keyed
	[ "$key" = - ] && kind=shard-safe
	printf '%s\t%s\n' "$row" "$kind" >>checks.tsv
	rm -f one.db par.db
	if [ -n "$query" ]; then
		cp base.db one.db
		cp base.db par.db
	fi
	set -- ${query:+env CRM_DB=one.db} "$@"
	if "$@" <"$input" >one.out 2>/dev/null; then rc1=0; else rc1=$?; fi
	[ -n "$query" ] && shift 2 && set -- env CRM_DB=par.db "$@"
	# a quarter of the input a block: 4 shards, not more jobs than that
	block=$((($(wc -c <"$input") + 3) / 4))
	# a file: parallel --pipepart (--pipe from a pipe, once below; keyed:
	# --pipe --group-by)
	if run -j 4 -b "$block" $([ "$key" = - ] || echo "-k $key") \
	    -- "$@" <"$input" >par.out 2>/dev/null; then
		rc4=0
	else
		rc4=$?
	fi
	sort one.out >one.sorted
	sort par.out >par.sorted
	t_eq "$row ($kind): records, exit status" \
	    "$(wc -l <one.sorted | tr -d ' ') $rc1" \
	    "$(wc -l <par.sorted | tr -d ' ') $rc4"
	t_ok "$row ($kind): 4 shards give one process's records" \
	    cmp one.sorted par.sorted
	if [ -n "$query" ]; then
		sqlite3 one.db "$query" >one.rows
		sqlite3 par.db "$query" >par.rows
		t_ok "$row ($kind): and its store, $(wc -l <one.rows) rows" \
		    cmp one.rows par.rows
	fi
	# a shard-safe store: shards may write in any order; the second half
	# written first gives one process's store too
	if [ "$kind" = shard-safe ] && [ -n "$query" ]; then
		shift 2
		cp base.db rev.db
		half=$((($(wc -l <"$input") + 1) / 2))
		tail -n +$((half + 1)) "$input" | CRM_DB=rev.db "$@" \
		    >/dev/null 2>&1 || :
		head -n "$half" "$input" | CRM_DB=rev.db "$@" >/dev/null 2>&1 ||
		    :
		sqlite3 rev.db "$query" >rev.rows
		t_ok "$row ($kind): its store, the later shard written first" \
		    cmp one.rows rev.rows
	fi
}

# ---- One check for each shard-safe and keyed row ----------------------------

check 'crm-ingest' - in/customers.jsonl '' crm-ingest -q
check 'crm-ingest --db' customer_id in/customers.jsonl \
    'SELECT * FROM customers ORDER BY 1' crm-ingest -q
check 'crm-churn' - in/telco.jsonl '' crm-churn -q --model-file churn.model \
    --id-field customerID
check 'crm-experiment' - in/customers.jsonl '' crm-experiment -q \
    --experiment promo --key-file ex/experiment.key
check 'crm-intent' - in/messages.jsonl '' crm-intent -q
check 'crm-intent label' text in/messages.jsonl \
    'SELECT task, record_key, text, label, source FROM labels WHERE id IN
    (SELECT max(id) FROM labels GROUP BY task, text) ORDER BY 2' \
    crm-intent label -q
check 'crm-recommend' - in/reco-customers.jsonl '' crm-recommend -q \
    --model-file reco.model --top 3
check 'crm-recommend --item' - in/items.jsonl '' crm-recommend -q \
    --model-file reco.model --item --top 2
check 'crm-dedupe keys' - "$TOP/testdata/dedupe-shards/customers.jsonl" '' \
    crm-dedupe keys -q --db dd.db --model-version 1 --output-format jsonl
check 'crm-dedupe pairs' block keys.jsonl '' crm-dedupe pairs -q --db dd.db \
    --model-version 1 --threads 1 --output-format jsonl
check 'crm-tag --rules' customer_id in/customers.jsonl \
    'SELECT * FROM tags ORDER BY 1, 2' crm-tag -q --rules in/tag.rules \
    --as-of 2026-04-01
check 'crm-tag --model-file' - \
    "$TOP/testdata/tagshard/customers.jsonl" '' crm-tag -q --model-file tag.model
check 'crm-tag --model' customer_id in/customers.jsonl \
    'SELECT * FROM tags ORDER BY 1, 2' crm-tag -q --model seg \
    --as-of 2026-04-01
check 'crm-route --no-escalate' - in/tickets.jsonl '' crm-route -q \
    --no-escalate
check 'crm-route' customer_id in/tickets.jsonl '' crm-route -q --burst 3/10m
check 'crm-mask' - in/customers.jsonl '' crm-mask -q --policy ex/mask.policy \
    --role analyst --key-file ex/experiment.key
check 'crm-mask erase' - in/erase.txt \
    'SELECT customer_id FROM customers ORDER BY 1' crm-mask erase -q \
    --output-format jsonl
check 'crm-profile' - in/customers.jsonl '' crm-profile -q --db base.db

# from a pipe shard-run.sh cuts with parallel --pipe
crm-churn -q --model-file churn.model --id-field customerID \
    <in/telco.jsonl >one.out
cat in/telco.jsonl | run -j 4 -b 4k -- crm-churn -q --model-file churn.model \
    --id-field customerID >par.out 2>/dev/null
t_ok "crm-churn, parallel --pipe -j 4: one process's records, in order" \
    cmp one.out par.out

# a file whose first line the caller has read already: the rest of it
tail -n +2 in/customers.jsonl | crm-ingest -q >one.out
{
	IFS= read -r first
	run -j 4 -- crm-ingest -q >par.out 2>/dev/null
} <in/customers.jsonl
t_ok "shard-run.sh reads a file on standard input from where it stands" \
    cmp one.out par.out

# a shard whose records are all rejected exits 66 (it accepted none), the
# others 0: the run as a whole rejected some records, 65, as one process
pad=$(printf '%0600d' 0)
{
	for i in 1 2 3 4; do
		printf '{"customer_id":"","pad":"%s"}\n' "$pad"
	done
	head -n 12 in/customers.jsonl
} >some-bad.jsonl
if crm-experiment -q --experiment promo --key-file ex/experiment.key \
    <some-bad.jsonl >/dev/null 2>&1; then rc1=0; else rc1=$?; fi
for k in '' customer_id; do
	if run -j 4 -b $(($(wc -c <some-bad.jsonl) / 4)) ${k:+-k "$k"} -- \
	    crm-experiment -q --experiment promo --key-file ex/experiment.key \
	    <some-bad.jsonl >/dev/null 2>&1; then rc4=0; else rc4=$?; fi
	t_eq "shard-run.sh ${k:+-k $k }with a shard of rejects alone: 65" \
	    "65 65" "$rc1 $rc4"
done

# a file each shard writes is its own, {#} the shard's number: together
# they hold one process's rejects (their lines counted in the shard)
crm-experiment -q --experiment promo --key-file ex/experiment.key \
    --rejects rej.csv <some-bad.jsonl >/dev/null 2>&1 || :
run -j 4 -b $(($(wc -c <some-bad.jsonl) / 4)) -- crm-experiment -q \
    --experiment promo --key-file ex/experiment.key --rejects 'rej-{#}.csv' \
    <some-bad.jsonl >/dev/null 2>&1 || :
t_eq "shard-run.sh --rejects 'rej-{#}.csv': one process's rejects" \
    "$(sed 1d rej.csv | cut -d, -f 1,3- | sort)" \
    "$(cat rej-*.csv | grep -v '^file,' | cut -d, -f 1,3- | sort)"

# ---- The table --------------------------------------------------------------

rows "$TOP/man/crm.7" "Scaling out" >table.tsv
t_eq "the table has rows" yes "$([ -s table.tsv ] && echo yes)"
t_eq "every row is shard-safe, keyed or global, and says why" "" \
    "$(awk -F "$tab" '$2 !~ /^(shard-safe|keyed|global)$/ || $3 == ""' \
	table.tsv)"
t_eq "every shard-safe and keyed row has its check, of its kind" "" \
    "$(awk -F "$tab" '$2 != "global" { print $1 "\t" $2 }' table.tsv |
	sort | comm -23 - "$(sort -u checks.tsv >c.sorted && echo c.sorted)")"
t_eq "every check's row is in the table, of its kind" "" \
    "$(cut -f 1,2 table.tsv | sort | comm -13 - c.sorted)"
for tool in $(cut -f 1 table.tsv | cut -d ' ' -f 1 | tr -d , | sort -u); do
	awk -F "$tab" -v t="$tool" '{ split($1, w, /[ ,]/) }
	    w[1] == t { print $1 "\t" $2 }' table.tsv | sort >want.tsv
	rows "$TOP/man/$tool.1" CAVEATS | cut -f 1,2 | sort >got.tsv
	t_eq "$tool(1) CAVEATS: the same modes and kinds as crm(7)" \
	    "$(cat want.tsv)" "$(cat got.tsv)"
done
t_done
