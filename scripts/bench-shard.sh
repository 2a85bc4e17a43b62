#!/bin/sh
# bench-shard.sh [N [SHARDS [MODES]]]: records per second of each
# shard-safe and keyed mode of crm(7)'s "Scaling out" table, as one
# process and under scripts/shard-run.sh with each number of SHARDS
# (default "1 2"), on this machine; prints one table.  MODES, an extended
# regular expression, picks the modes by name (default: all).  The first
# line, cat, is the engine alone: what cutting and gathering cost.
#
# Data: N records a mode (default 20000), made from testdata/shard (the
# inputs of t132) by copying its records with new ids (and new customers,
# so that keyed modes have as many keys); models trained once, as t132
# trains them; a store mode gets a fresh copy of one store of the N
# customers and their events for each run.  Each run is timed once, wall
# clock, input from a file and output to /dev/null; a shard gets one block
# of input (at most 64 MiB, so that a tool starts once a shard); 1 shard
# measures what GNU parallel adds to one process.  Run it on a quiet machine: other
# work on the cores shows in every figure.
#
# Another mode is one line of `modes` below: NAME|KEY|INPUT|STORE|COMMAND,
# KEY the field a keyed mode is cut by (- for anywhere), INPUT one of the
# files made below, STORE db when the command writes or reads $CRM_DB.
set -eu
n=${1:-20000}
shards=${2:-1 2}
only=${3:-.}
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/build/bin:$PATH
export PATH LC_ALL=C
for b in crm-ingest crm-churn crm-route parallel mlr; do
	command -v $b >/dev/null || {
		echo "bench-shard.sh: no $b (make first; GNU parallel, miller)" >&2
		exit 69
	}
done
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
in=$top/testdata/shard

# grow FILE FIELD...: N records cycling through FILE, each FIELD's value
# (a JSON string) given the copy's number: "K0000001" becomes
# "K0000001-3" in the third copy.
grow() {
	f=$1
	shift
	awk -v n="$n" -v fields="$*" '
	{ rec[NR] = $0 }
	END {
		k = split(fields, fld, " ")
		for (i = 0; i < n; i++) {
			r = rec[i % NR + 1]
			c = int(i / NR)
			for (j = 1; j <= k; j++) {
				re = "\"" fld[j] "\": ?\"[^\"]*"
				if (match(r, re))
					r = substr(r, 1, RSTART + RLENGTH - 1) \
					    "-" c substr(r, RSTART + RLENGTH)
			}
			print r
		}
	}' "$f"
}

grow "$in/customers.jsonl" customer_id >"$d/customers"
grow "$in/events.jsonl" event_id customer_id >"$d/events"
grow "$in/telco.jsonl" customerID >"$d/telco"
grow "$in/messages.jsonl" id >"$d/messages"
grow "$in/reco-customers.jsonl" customer_id >"$d/reco-customers"
grow "$in/items.jsonl" id >"$d/items"
grow "$in/tickets.jsonl" id customer_id >"$d/tickets"
grow "$top/testdata/tagshard/customers.jsonl" customer_id >"$d/rfm"
sed 's/.*"customer_id": *"\([^"]*\)".*/\1/' "$d/customers" >"$d/ids"
crm-churn train -q --model-file "$d/churn.model" --label-field Churn \
    --id-field customerID "$in/telco.jsonl"
crm-recommend train -q --model-file "$d/reco.model" \
    "$top/examples/reco-orders.csv"
crm-tag fit -q --rfm --kmeans 4 --log --seed 3 --model-file "$d/tag.model" \
    "$top/testdata/tagshard/customers.jsonl"
crm-ingest -q --db "$d/base.db" "$d/customers" >/dev/null
crm-ingest -q --db "$d/base.db" --kind events "$d/events" >/dev/null
ex=$top/examples

modes="cat|-|customers|-|cat
crm-ingest|-|customers|-|crm-ingest -q
crm-ingest --db|customer_id|customers|db|crm-ingest -q
crm-churn|-|telco|-|crm-churn -q --model-file $d/churn.model --id-field customerID
crm-experiment|-|customers|-|crm-experiment -q --experiment promo --key-file $ex/experiment.key
crm-intent|-|messages|-|crm-intent -q
crm-intent label|text|messages|db|crm-intent label -q
crm-recommend|-|reco-customers|-|crm-recommend -q --model-file $d/reco.model --top 3
crm-recommend --item|-|items|-|crm-recommend -q --model-file $d/reco.model --item --top 2
crm-tag --rules|customer_id|customers|db|crm-tag -q --rules $in/tag.rules --as-of 2026-04-01
crm-tag --model-file|-|rfm|-|crm-tag -q --model-file $d/tag.model
crm-route --no-escalate|-|tickets|-|crm-route -q --no-escalate --as-of 2026-03-02T12:00:00Z
crm-route|customer_id|tickets|-|crm-route -q --burst 3/10m --as-of 2026-03-02T12:00:00Z
crm-mask|-|customers|-|crm-mask -q --policy $ex/mask.policy --role analyst --key-file $ex/experiment.key
crm-mask erase|-|ids|db|crm-mask erase -q --output-format jsonl
crm-profile|-|customers|-|crm-profile -q --db $d/base.db"

now() { date +%s.%N; }
# rate START END: records a second
rate() { awk -v a="$1" -v b="$2" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }'; }

printf '%-24s %-10s %8s %10s' mode kind records "1 process"
for s in $shards; do printf ' %10s' "$s shards"; done
printf '   (records/s; %s cores)\n' "$(nproc)"
echo "$modes" | grep -E "^($only)" | while IFS='|' read -r name key input store cmd; do
	kind=keyed
	[ "$key" = - ] && kind=shard-safe
	printf '%-24s %-10s %8s' "$name" "$kind" "$n"
	size=$(wc -c <"$d/$input")
	for s in 0 $shards; do
		rm -f "$d/run.db" "$d/run.db-wal" "$d/run.db-shm"
		unset CRM_DB
		if [ "$store" = db ]; then
			cp "$d/base.db" "$d/run.db"
			export CRM_DB="$d/run.db"
		fi
		a=$(now)
		rc=0
		if [ "$s" = 0 ]; then
			$cmd <"$d/$input" >/dev/null 2>"$d/err" || rc=$?
		else
			# a block a shard, at most 64 MiB (parallel holds each
			# job's block in memory): a tool starts once a shard
			block=$((size / s + 1))
			[ "$block" -gt 67108864 ] && block=67108864
			# shellcheck disable=SC2046
			sh "$top/scripts/shard-run.sh" -j "$s" -b "$block" \
			    $([ "$key" = - ] || echo "-k $key") -- $cmd \
			    <"$d/$input" >/dev/null 2>"$d/err" || rc=$?
		fi
		b=$(now)
		if [ "$rc" = 0 ]; then
			printf ' %10s' "$(rate "$a" "$b")"
		else
			printf ' %10s' "exit $rc"
			grep -v '^parallel: Warning' "$d/err" | head -2 >&2
		fi
	done
	echo
done
