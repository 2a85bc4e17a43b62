#!/usr/bin/env bash
# bench-limits.sh: the time per record stays linear in the record's size
# (issue 15; the limits are in crm(7) LIMITS).
#
# What it measures: crm-ingest (no store, JSONL in, JSONL out) on one-line
# files whose record has K members, "k0":0,"k1":1,..., for K = 1,000,
# 10,000 (the most fields a record may have), 50,000 and 1,000,000 (both
# over the limit: rejected with "more than 10000 fields"), and on records of
# K members that repeat the same 10 names (no limit applies: every member
# is looked up among the fields so far, and the last value wins).
# Peer, for reference: Debian's python3 json.loads on the same line (a
# C parser that builds a dict, the usual tool to inspect such a file).
#
# Protocol: each file is run R times (default 5), alternating crmkit and
# peer; the table shows the median wall seconds of each.  Checks: the
# over-limit runs exit 66 (their one record rejected) with the documented
# message; the others exit 0 and write one record.
# Goals: 1,000,000 members within 20x the time of 50,000 (linear), and
# 10,000 within 10x of 1,000, for both shapes; a record no slower than
# python3's json.loads.
# Exit status: 0 whether or not the goals are met (it is a measurement),
# non-zero if a run failed or a check did not hold.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=bench-limits
. "$root/scripts/lib-bench.sh"
reps=${R:-5}
py=/usr/bin/python3
[ -x "$py" ] || missing python3

make -s -C "$root" >&2
bin=$root/build/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wide K FILE: one record of K distinct members; repeat K FILE: K members
# over 10 names.
wide() {
	awk -v k="$1" 'BEGIN { printf "{\"k0\":0"
		for (i = 1; i < k; i++) printf ",\"k%d\":%d", i, i; print "}" }' >"$2"
}
repeat() {
	awk -v k="$1" 'BEGIN { printf "{\"k0\":0"
		for (i = 1; i < k; i++) printf ",\"k%d\":%d", i % 10, i; print "}" }' >"$2"
}

# one FILE: run crm-ingest once and print its wall seconds; check the
# result (1 record, or the limit's message when K > 10,000).
one() {
	local f=$1 k=$2 t0 t1 rc=0
	t0=$(date +%s.%N)
	"$bin/crm-ingest" -q --table limits --input-format jsonl <"$f" \
	    >"$tmp/out" 2>"$tmp/err" || rc=$?
	t1=$(date +%s.%N)
	if [ "$3" = wide ] && [ "$k" -gt 10000 ]; then
		[ "$rc" = 66 ] && grep -q '^crm-ingest: -:1: more than 10000 fields$' \
		    "$tmp/err" || die "$f: want exit 66 and the limit, got $rc: $(cat "$tmp/err")"
	else
		[ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 1 ] ||
		    die "$f: want one record, got exit $rc: $(cat "$tmp/err")"
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

peer() {
	local t0 t1
	t0=$(date +%s.%N)
	"$py" -c 'import json, sys
for line in sys.stdin: json.loads(line)' <"$1" || die "python3 failed on $1"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

declare -A crm pyt
printf '%-7s %9s %11s %11s %8s\n' shape members crm-ingest python3 ratio
for shape in wide repeat; do
	for k in 1000 10000 50000 1000000; do
		f=$tmp/$shape-$k.jsonl
		"$shape" "$k" "$f"
		: >"$tmp/c"
		: >"$tmp/p"
		for _ in $(seq "$reps"); do
			one "$f" "$k" "$shape" >>"$tmp/c"
			peer "$f" >>"$tmp/p"
		done
		crm[$shape-$k]=$(median <"$tmp/c")
		pyt[$shape-$k]=$(median <"$tmp/p")
		printf '%-7s %9d %10.4fs %10.4fs %8.2f\n' "$shape" "$k" \
		    "${crm[$shape-$k]}" "${pyt[$shape-$k]}" \
		    "$(awk -v a="${crm[$shape-$k]}" -v b="${pyt[$shape-$k]}" \
			'BEGIN { print a / b }')"
	done
done
for shape in wide repeat; do
	awk -v s="$shape" -v a="${crm[$shape-1000000]}" \
	    -v b="${crm[$shape-50000]}" -v c="${crm[$shape-10000]}" \
	    -v d="${crm[$shape-1000]}" 'BEGIN {
		printf "%s: 1,000,000 / 50,000 members: %.2fx time (goal <= 20x: %s)\n",
		    s, a / b, a / b <= 20 ? "met" : "NOT met"
		printf "%s: 10,000 / 1,000 members: %.2fx time (goal <= 10x: %s)\n",
		    s, c / d, c / d <= 10 ? "met" : "NOT met" }'
done
