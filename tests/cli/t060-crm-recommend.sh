# crm-recommend: fit, recommend and eval on two disjoint groups of
# customers and items, where the right answer is known; the store; the
# fallback past the dense limit; determinism and bad input.
. "$TOP/tests/lib.sh"
t_use recommend

q() { sqlite3 -batch -noheader crm.db "$@"; }

# items_of FILE: "customer item item ..." per JSONL output record.
items_of() {
	sed -e 's/^{"customer_id":"\([^"]*\)".*"reco_items":\[\(.*\)\],"reco_source".*/\1 \2/' \
	    -e 's/{"item":"\([^"]*\)","score":[-0-9.]*},*/\1 /g' -e 's/ *$//' "$1"
}

# in_group FILE: "ok" when every customer of all.csv has one record in
# FILE with two items, both of its own group (a-items for A customers,
# b-items for B) and neither one it has: the two it lacks.  Otherwise the
# faults, so that an empty list, a missing customer or an empty FILE fail
# rather than pass for want of an item to check.
in_group() {
	items_of "$1" | awk '
	    FILENAME == ARGV[1] { split($0, f, ","); have[f[1] " " f[2]] = 1; next }
	    FILENAME == ARGV[2] { if (FNR > 1) want[$1] = 1; next }
	    !($1 in want) || $1 in seen { bad = bad " " $1 ":unexpected"; next }
	    {
		seen[$1] = 1
		if (NF != 3)
			bad = bad " " $1 ":" NF - 1 "-items"
		g = tolower(substr($1, 1, 1))
		split("", dup)
		for (i = 2; i <= NF; i++) {
			if (substr($i, 1, 1) != g || ($1 " " $i) in have || $i in dup)
				bad = bad " " $1 ":" $i
			dup[$i] = 1
		}
	    }
	    END {
		n = 0
		for (c in want) {
			n++
			if (!(c in seen))
				bad = bad " " c ":missing"
		}
		if (n == 0)
			bad = bad " no-customers"
		print bad == "" ? "ok" : bad
	    }' in/two-groups.csv all.csv -
}

# Two groups: A customers buy only a-items, B customers only b-items;
# each has three of its group's five items.  Every algorithm must keep
# to the group, and the top two must be the two items the customer lacks.
for algo in ease knn als; do
	crm-recommend train -q --algo $algo --model-file $algo.model \
	    in/two-groups.csv
	cut -d, -f1 in/two-groups.csv | sort -u | grep -v -e customer_id \
	    -e E1 | sed '1i customer_id' >all.csv
	crm-recommend -q --model-file $algo.model --top 2 \
	    --output-format jsonl all.csv >$algo.jsonl
	t_eq "$algo: the two missing items of the customer's own group" ok \
	    "$(in_group $algo.jsonl)"
done
# The check itself: an empty list, one item short, or no output at all
# must fail it.
sed '1s/"reco_items":\[.*\]/"reco_items":[]/' ease.jsonl >empty-list.jsonl
t_eq "group check: an empty list fails" " A1:0-items" \
    "$(in_group empty-list.jsonl)"
sed '1s/"reco_items":\[\({[^}]*}\),.*\]/"reco_items":[\1]/' ease.jsonl \
    >one-item.jsonl
t_eq "group check: one item short fails" " A1:1-items" \
    "$(in_group one-item.jsonl)"
t_eq "group check: no records fail" "no" \
    "$(in_group /dev/null | grep -qx ok && echo yes || echo no)"
t_run fit 0 -- crm-recommend train --model-file m.model in/two-groups.csv
t_run recommend 0 -- crm-recommend --model-file m.model --top 3 \
    in/customers.csv
t_run recommend-jsonl 0 -- crm-recommend -q --model-file m.model --top 2 \
    --output-format jsonl in/customers.csv
t_run also-bought 0 -- crm-recommend --item --model-file m.model --top 3 \
    in/items.csv
t_run knn-also-bought 0 -- crm-recommend -q --item --model-file knn.model \
    --top 2 in/items.csv
# Each customer's third interaction is held out.  Only A4 and A5 (B4,
# B5) hold out an item the model knows (a5 is never kept): A4, with a1
# and a2, gets a3 and a4 (a tie by symmetry, broken by id), a hit at
# rank 1; A5, with a2 and a3, gets a1 before a4, a hit at rank 2.  So 4
# of 10 customers hit: precision 4 / 2 / 10, NDCG (2 + 2 / log2 3) / 10.
t_run eval 0 -- crm-recommend eval -q --top 2 in/two-groups.csv
t_run eval-json 0 -- crm-recommend eval -q --json --top 2 --algo knn \
    in/two-groups.csv
# With --output-format, the same figures as one record: one split, no
# folds, so fold "all".
t_run eval-records 0 -- crm-recommend eval -q --top 2 --output-format jsonl \
    in/two-groups.csv
t_run eval-records-csv 0 -- crm-recommend eval --top 2 --algo knn \
    --output-format csv in/two-groups.csv
t_run eval-records-rejected 65 -- crm-recommend eval -q \
    --output-format jsonl in/bad-time.jsonl
if command -v mlr >/dev/null 2>&1; then
	t_eq "eval --output-format jsonl reads in mlr" "ease 0.3262" \
	    "$(crm-recommend eval -q --top 2 --output-format jsonl \
	    in/two-groups.csv | mlr --ijson --onidx cut -o -f algo,ndcg)"
fi

# The same interactions in another order give the same model, byte for
# byte; the same seed the same ALS model.
{ head -1 in/two-groups.csv; tail -n +2 in/two-groups.csv | sort -r; } \
    >shuffled.csv
crm-recommend train -q --model-file m2.model shuffled.csv
t_ok "any order, same model bytes" cmp m.model m2.model
crm-recommend train -q --algo als --model-file als2.model in/two-groups.csv
t_ok "same seed, same als model" cmp als.model als2.model

# Weights add up; a weight of 0 is no interaction.
t_run weighted 0 -- crm-recommend train --weight-field qty --model-file w.model \
    in/weighted.csv
t_run weighted-also-bought 0 -- crm-recommend -q --item --model-file w.model \
    in/items.csv

# Past --dense-limit, EASE's matrix is not built: item-kNN instead.
t_run dense-limit 0 -- crm-recommend train -q --dense-limit 5 \
    --model-file big.model in/two-groups.csv
t_run dense-limit-eval 0 -- crm-recommend eval -q --dense-limit 5 --top 2 \
    in/two-groups.csv

# The store: events from crm-ingest; orders count 1, views 0.5, other
# types nothing; customers without events get the popular items.
crm-ingest -q --db crm.db in/shop-customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind events in/shop-events.jsonl >/dev/null
# The store's events with an item are the records read: the summary and
# --stats count them, those of no --event-types read but not used.
t_run store-fit 0 -- crm-recommend train --db crm.db --from-store \
    --event-types order,view:0.5 --stats store-fit.json
t_eq "--stats of a fit from the store" \
    '{"program":"crm-recommend","read":14,"written":0,"rejected":0,"inputs_refused":0,"used":13,"other_types":1,"status":0}' \
    "$(cat store-fit.json)"
t_eq "a recommend model in the store" \
    'recommend|1|recommend|{"interactions":13,"pairs":13,"customers":6,"items":6}' \
    "$(q "SELECT name, version, kind, metrics FROM models")"
t_run store-recommend 0 -- crm-recommend --db crm.db --from-store --top 2
t_eq "one decision per customer" "7|7|1" \
    "$(q "SELECT count(*), count(DISTINCT record_key), min(model_version)
	FROM decisions WHERE tool = 'crm-recommend'")"
t_eq "the decision is the list" \
    '[{"item":"atlas","score":0.0030},{"item":"tea","score":0.0000}]|0.003' \
    "$(q "SELECT output, round(score, 4) FROM decisions
	WHERE record_key = 'S4'")"
t_eq "a customer without events: popular, logged so" '{"source":"popular"}' \
    "$(q "SELECT reasons FROM decisions WHERE record_key = 'S7'")"
t_run store-also-bought 0 -- crm-recommend -q --db crm.db --from-store \
    --item --top 2 --output-format csv
# Held out: S1 mug, S2 kettle, S3 tea, S4 poem, S5 and S6 atlas (which
# no kept event has).  Only S2 has two kept items (tea, mug), so S1 (tea)
# gets mug first, a hit; everyone else gets the popular items (tea and
# novel, 2 customers each, then kettle by id): S2 finds kettle and S3 tea
# at rank 2.  Precision 3 / 2 / 6, NDCG (1 + 2 / log2 3) / 6.
t_run store-eval 0 -- crm-recommend eval -q --db crm.db --from-store \
    --event-types order,view:0.5 --top 2
t_run store-eval-records 0 -- crm-recommend eval -q --db crm.db --from-store \
    --event-types order,view:0.5 --top 2 --output-format tsv
crm-recommend train -q --db crm.db --from-store --event-types order
t_eq "a second fit is version 2" 2 \
    "$(q "SELECT max(version) FROM models WHERE name = 'recommend'")"
t_run store-version 0 -- crm-recommend -q --db crm.db --model-version 1 \
    --top 1 in/customers.csv

# Bad input.  An unknown customer or item gets the popular items (above:
# Z9, zz); a customer whose only record has no item has an empty history
# and gets them too (E1); records without an id are rejected.
t_run bad-ids 65 -- crm-recommend --model-file m.model --top 1 \
    in/bad-ids.jsonl
t_run bad-ids-rejects 65 -- crm-recommend -q --model-file m.model --top 1 \
    --rejects rej.csv in/bad-ids.jsonl
t_ok "rejects name line and reason" grep -q '^in/bad-ids.jsonl,2,' rej.csv
t_run bad-weight 65 -- crm-recommend train --weight-field qty \
    --model-file bw.model in/bad-weight.csv
t_ok "no model saved after a reject" test ! -e bw.model
t_run bad-time 65 -- crm-recommend eval in/bad-time.jsonl
t_run no-id-field 66 -- crm-recommend --model-file m.model in/no-id.csv
head -1 in/two-groups.csv >header-only.csv
t_run no-interactions 66 -- crm-recommend train --model-file e.model \
    header-only.csv
t_run no-model 66 -- crm-recommend --model-file nothere.model \
    in/customers.csv
t_run no-store-model 66 -- crm-recommend --db empty.db in/customers.csv
t_run no-version 66 -- crm-recommend --db crm.db --model-version 9 \
    in/customers.csv
printf 'CRMRECO1 and nothing else' >junk.model
t_run junk-model 65 -- crm-recommend --model-file junk.model in/customers.csv
size=$(wc -c <m.model)
n=0 bad=
while [ "$n" -lt "$size" ]; do
	head -c "$n" m.model >cut.model
	rc=0
	crm-recommend -q --model-file cut.model in/customers.csv \
	    >/dev/null 2>&1 || rc=$?
	[ "$rc" = 65 ] || bad="$bad $n:$rc"
	n=$((n + 97))
done
t_eq "every cut model refused with 65" "" "$bad"
printf 'customer_id\n%s\n' "'; DROP TABLE decisions; --" >sql.csv
t_run sql-id 0 -- crm-recommend -q --db crm.db --top 1 sql.csv
t_eq "ids are data, never SQL" 1 \
    "$(q "SELECT count(*) FROM decisions WHERE record_key LIKE '%DROP%'")"
head -c 10000000 /dev/zero | tr '\0' x | sed '1s/^/customer_id\n/' >long.csv
crm-recommend -q --model-file m.model long.csv >long.out
t_eq "a 10 MB id is an unknown customer" popular \
    "$(tail -1 long.out | sed 's/.*,//')"

# Usage.
t_run fit-no-output 64 -- crm-recommend train in/two-groups.csv
t_run algo-in-recommend 64 -- crm-recommend --algo knn --model-file m.model \
    in/customers.csv
t_run item-in-fit 64 -- crm-recommend train --item --model-file m.model \
    in/two-groups.csv
t_run bad-algo 64 -- crm-recommend train --algo svd --model-file m.model \
    in/two-groups.csv
t_run bad-top 64 -- crm-recommend --top 0 --model-file m.model \
    in/customers.csv
t_run types-no-store 64 -- crm-recommend train --event-types order \
    --model-file m.model in/two-groups.csv
t_run from-store-no-db 64 -- crm-recommend train --from-store \
    --model-file m.model
t_run time-in-fit 64 -- crm-recommend train --time-field ts \
    --model-file m.model in/two-groups.csv
t_run json-and-records 64 -- crm-recommend eval --json --output-format jsonl \
    in/two-groups.csv
t_ok "--help" crm-recommend --help
t_ok "--version" crm-recommend --version
t_done
