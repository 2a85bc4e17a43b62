#!/usr/bin/env bash
# bench-dedupe-shards.sh: crm-dedupe in shards against one process, with
# the model fixed (issue 24, goal 3; crm-dedupe(1), SHARDS).
#
# The synthetic set of scripts/bench-dedupe.sh (gen-dedupe.py, N records,
# default 1,000,000, seed SEED, default 1).  A first run, not timed, fits
# the store's model (version 1) and its persons.  Then, each timed under
# GNU time, on copies of that store:
#   one process   crm-dedupe --db A --model-version 1 data.csv
#   keys          parallel --pipe --header 1 -j JOBS over data.csv:
#                 crm-dedupe keys --db B --model-version 1 (JSONL)
#   partition     awk: the last hex digit of the block, modulo PARTS
#   pairs         parallel -j JOBS, one a partition:
#                 crm-dedupe pairs --db B --model-version 1 --threads 1
#   reconcile     crm-dedupe reconcile --db B --pairs ... data.csv
# With STORE=0 neither the one process nor reconcile writes a store (no
# clusters, persons or decisions, whose writes take most of their time):
# the one process fits the model itself (EM on the same records with the
# same seed fits version 1 again, so the model is still the same one) and
# reconcile scores the links by their match_prob.
# scripts/eval-dedupe.py scores the sharded clusters against the one
# process's as the truth: pairwise precision, recall and F1.  Each step's
# wall seconds, their sum, and the load average before the run are
# printed.  Goal (issue 24): F1 >= 0.999.  Exit status: 0 whether or not
# the goal is met; 64 usage; 69 GNU time, parallel or Python missing; 1 if
# a run failed.
#
# Environment: N, SEED, PARTS (4), JOBS (2), STORE (1 or 0), CRM_BIN
# (build/bin/crm-dedupe).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
gnutime=/usr/bin/time
n=${N:-1000000}
seed=${SEED:-1}
parts=${PARTS:-4}
jobs=${JOBS:-2}
store=${STORE:-1}
bench="bench-dedupe-shards"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"
[ $# -eq 0 ] || {
	echo "usage: bench-dedupe-shards.sh   (env: N, SEED, PARTS, JOBS, STORE, CRM_BIN)" >&2
	exit 64
}
for v in "$n" "$seed" "$parts" "$jobs"; do
	case $v in '' | *[!0-9]*) die "N, SEED, PARTS and JOBS are numbers, not '$v'" ;; esac
done
if [ "$parts" -lt 1 ] || [ "$parts" -gt 16 ]; then die "PARTS is 1 to 16"; fi
case $store in
1) one_db="--db one.db --model-version 1" rec_db="--db shard.db" ;;
0) one_db="" rec_db="" ;;
*) die "STORE must be 1 or 0, not '$store'" ;;
esac
[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
[ -x "$gnutime" ] || missing "GNU time ($gnutime, package time)"
command -v parallel >/dev/null || missing "GNU parallel"
crm_bin crm-dedupe
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-dedupe-shards.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# step NAME CMD...: run CMD (a shell command line) under GNU time; sets
# secs and prints the step's line.
total=0
step() {
	local name=$1
	shift
	"$gnutime" -o "$name.time" -f '%e %M' sh -c "$*" >"$name.out" 2>"$name.err" ||
		{
			cat "$name.err" >&2
			die "$name failed: $*"
		}
	read -r secs kb < <(tail -n 1 "$name.time")
	total=$(awk -v a="$total" -v b="$secs" 'BEGIN { printf "%.2f", a + b }')
	printf '%-10s %7ss %6s MB peak RSS (largest process)  %s\n' "$name" \
		"$secs" $((kb / 1024)) "$(cat "$name.out" "$name.err" | grep -v '^$' |
			tail -n 1)"
}

progress "making $n records (seed $seed)"
"$py" "$root/scripts/gen-dedupe.py" -n "$n" --seed "$seed" data.csv truth.csv 2>/dev/null
progress "fitting the model (not timed)"
"$crm" -q --db fit.db data.csv >/dev/null
cp fit.db one.db
cp fit.db shard.db

echo "dedupe in shards: $n records (gen-dedupe.py seed $seed), $parts partitions, $jobs jobs, model version 1, store $store"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) processors"
step one "'$crm' $one_db data.csv >one.csv"
one=$secs
total=0
step keys "parallel --pipe --header 1 --block 20M -j $jobs -k \
	'$crm' keys -q --db shard.db --model-version 1 --threads 1 \
	--output-format jsonl <data.csv >keys.jsonl; echo key records: \$(wc -l <keys.jsonl)"
step partition "awk -F'\"' -v n=$parts '{ print > (\"part.\" \
	(index(\"0123456789abcdef\", substr(\$4, length(\$4), 1)) % n)) }' \
	keys.jsonl; echo partitions: \$(ls part.* | wc -l)"
step pairs "ls part.* | parallel -j $jobs '$crm' pairs -q --db shard.db \
	--model-version 1 --threads 1 {} '>' {}.links; echo pair records: \$(cat part.*.links | wc -l)"
step reconcile "'$crm' reconcile $rec_db $(for p in $(seq 0 $((parts - 1))); do
	printf -- '--pairs part.%s.links ' "$p"
done) data.csv >shards.csv"
echo "sharded in all: ${total}s, one process: ${one}s"

# the one process's clusters are the truth
"$py" -c '
import csv, sys
r = csv.DictReader(open("one.csv", newline=""))
w = csv.writer(open("one-truth.csv", "w", newline=""))
w.writerow(["customer_id", "entity_id"])
for row in r:
    w.writerow([row["customer_id"], row["cluster_id"]])
'
read -r line < <("$py" "$root/scripts/eval-dedupe.py" --id-field customer_id \
	--truth one-truth.csv shards.csv)
echo "sharded against one process: $line"
f1=${line#*f1=}
f1=${f1%% *}
if awk -v f="$f1" 'BEGIN { exit !(f >= 0.999) }'; then
	echo "GOAL MET: pairwise F1 $f1 >= 0.999 against one process"
else
	echo "GOAL MISSED: pairwise F1 $f1 < 0.999 against one process"
fi
if cmp -s one.csv shards.csv; then
	echo "the sharded output is byte for byte the one process's"
fi
