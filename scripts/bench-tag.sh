#!/usr/bin/env bash
# bench-tag.sh [DATA_DIR]: the "tag" benchmark of ../shared/BENCHMARKS.md.
#
# Data: cdnow/CDNOW_master.txt, one line per purchase.  Per customer:
# recency (days from the last purchase to 1998-07-01), frequency
# (purchases) and monetary value (total dollars), written by the Python
# side to rfm.csv, one line per customer.
#
# Runs, on that file, in one run:
#   crmkit   crm-tag --rfm --kmeans 8 --log --seed 1 < rfm.csv: RFM scores
#            and segments and k-means (k-means++, 10 restarts) on the
#            standardized log(1 + R, F, M); timed whole, from reading the
#            CSV to writing every record with its fields.
#   sklearn  scikit-learn KMeans(n_clusters=8, init="k-means++",
#            n_init=10, random_state=1) on the standardized log1p(R, F, M);
#            timed: the log1p, the standardization and the fit of numpy
#            arrays already in memory.  Run twice: with its default
#            threads and with OMP_NUM_THREADS=1 (on 2 cores the default
#            can be the slower); the faster is the peer's time.
# Each is run 3 times, interleaved; the figures are the medians.
#
# Checks (independent computations in the Python side): crm-tag's printed
# inertia against the clusters it wrote; its RFM scores and segments
# against the scoring and grid of crm-tag(1) computed in Python; RFM from
# the store (the purchases loaded with crm-ingest --kind events, read
# back with crm-tag --from-store --as-of 1998-07-01) against rfm.csv.
#
# Goals: crm-tag's inertia <= 1.01 x the peer's; its time <= the peer's.
# Prints both and the ratios, the RFM segment sizes, and GOAL MET or GOAL
# MISSED.  Exit status: 0 whether or not the goals are met; 64 usage; 69
# a peer missing; another non-zero status if a run or a check failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
helper=$root/scripts/bench-tag-peers.py
reps=3

bench="bench-tag"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	echo "usage: bench-tag.sh [DATA_DIR]" >&2
	exit 64
}

[ $# -le 1 ] || usage
case ${1:-} in -*) usage ;; esac
data_dir=${1:-$root/../shared/data}
[ -r "$data_dir/cdnow/CDNOW_master.txt" ] || die "no $data_dir/cdnow/CDNOW_master.txt"

[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
"$py" -c 'import sklearn, numpy' 2>/dev/null ||
	missing "scikit-learn for $py (package python3-sklearn)"
make -s -C "$root" >&2
bin=$root/build/bin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-tag.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "tag: CDNOW RFM + k-means (K=8); data $data_dir; $reps runs each, medians"
"$py" "$helper" prep "$data_dir" "$tmp"

: >"$tmp/crm.t" >"$tmp/sk.t" >"$tmp/sk1.t"
for ((i = 1; i <= reps; i++)); do
	progress "run $i: crm-tag"
	timed "$tmp/rfm.csv" "$bin/crm-tag" --rfm --kmeans 8 --log --seed 1 \
		3>"$tmp/out.csv" 2>"$tmp/crm.err" >>"$tmp/crm.t"
	progress "run $i: scikit-learn"
	"$py" "$helper" sklearn "$tmp" >>"$tmp/sk.t"
	OMP_NUM_THREADS=1 "$py" "$helper" sklearn "$tmp" >>"$tmp/sk1.t"
done

crm_inertia=$(sed -n 's/.*k-means: .* inertia \([0-9.]*\),.*/\1/p' "$tmp/crm.err")
[ -n "$crm_inertia" ] || die "no inertia in crm-tag's summary: $(cat "$tmp/crm.err")"
crm_s=$(median <"$tmp/crm.t")
sk_inertia=$(head -1 "$tmp/sk.t" | cut -d' ' -f1)
sk_s=$(cut -d' ' -f2 "$tmp/sk.t" | median)
sk1_s=$(cut -d' ' -f2 "$tmp/sk1.t" | median)
"$py" "$helper" check "$tmp" "$tmp/out.csv" "$crm_inertia"

progress "the store: crm-ingest --kind events, crm-tag --from-store"
"$bin/crm-ingest" -q --db "$tmp/crm.db" --kind events "$tmp/events.jsonl" >/dev/null
"$bin/crm-tag" -q --db "$tmp/crm.db" --from-store --rfm --as-of 1998-07-01 \
	>"$tmp/store.jsonl"
"$py" "$helper" store "$tmp" "$tmp/store.jsonl"

echo
awk -v ci="$crm_inertia" -v cs="$crm_s" -v si="$sk_inertia" -v ss="$sk_s" \
	-v s1="$sk1_s" 'BEGIN {
	peer = ss < s1 ? ss : s1
	printf "%-30s %12s %9s\n", "tool", "inertia", "seconds"
	printf "%-30s %12.4f %9.3f\n", "crm-tag (whole run)", ci, cs
	printf "%-30s %12.4f %9.3f\n", "sklearn (default threads)", si, ss
	printf "%-30s %12.4f %9.3f\n", "sklearn (OMP_NUM_THREADS=1)", si, s1
	ri = ci / si; rt = cs / peer
	printf "\ninertia ratio crm-tag/sklearn %.5f (goal <= 1.01); ", ri
	printf "time ratio crm-tag/sklearn %.3f (goal <= 1)\n", rt
	print (ri <= 1.01 && rt <= 1) ? "GOAL MET" : "GOAL MISSED"
}'
