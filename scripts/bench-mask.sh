#!/usr/bin/env bash
# bench-mask.sh [DATA_DIR]: the cost of crm-mask, against the closest
# Miller program, on one file in one run.
#
# Data: N customer rows (default 1,000,000) from scripts/gen-customers.sh
# (seed 1: deterministic), CSV: customer_id, name, email, phone (in four
# formats), city, signup_date (in three), note.
#
# Runs, on that file:
#   crmkit  crm-mask --policy scripts/bench-mask.policy: the id masked to
#           its last 4, the e-mail to z***@domain, the phone normalized
#           and pseudonymized (HMAC-SHA-256, libcrypto), the date to its
#           month, city kept, name and note dropped (the default).
#   Miller  mlr -S --icsv --ocsv put -f scripts/bench-mask.mlr: the same
#           masks with regular expressions, and sha256 of key and phone
#           digits in place of the HMAC, which Miller lacks.
# Each is run R times (default 3), interleaved; the figures are the
# medians of the wall seconds, and the rates rows per second.
#
# Checks: every output has N rows; the two agree on every column but the
# phone's (HMAC and sha256 differ), and have as many distinct phone
# tokens (the same phones were found equal).
#
# Goal: crm-mask's rate >= 2x Miller's.  Prints both rates, the ratio and
# GOAL MET or GOAL MISSED.  Exit status: 0 whether or not the goal is
# met; 64 usage; 69 Miller missing; another non-zero status if a run or a
# check failed.  DATA_DIR is accepted for uniformity with the other
# benchmarks; this one generates its own data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${N:-1000000}
reps=${R:-3}

bench="bench-mask"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	echo "usage: bench-mask.sh [DATA_DIR]" >&2
	exit 64
}

[ $# -le 1 ] || usage
case ${1:-} in -*) usage ;; esac
case $n in '' | *[!0-9]* | 0) die "N must be a positive integer, not '$n'" ;; esac
case $reps in '' | *[!0-9]* | 0) die "R must be a positive integer, not '$reps'" ;; esac
command -v mlr >/dev/null || missing "Miller (mlr, package miller)"
make -s -C "$root" >&2
bin=$root/build/bin

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-mask.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export CRM_MASK_KEY=bench-mask-key-0123456789abcdef
echo "mask: $n customer rows (gen-customers.sh, seed 1); $reps runs each, medians"
progress "generating $n rows"
"$root/scripts/gen-customers.sh" "$n" 1 >"$tmp/in.csv"

: >"$tmp/crm.t" >"$tmp/mlr.t"
for ((i = 1; i <= reps; i++)); do
	progress "run $i: crm-mask"
	timed "$tmp/in.csv" "$bin/crm-mask" -q \
		--policy "$root/scripts/bench-mask.policy" \
		3>"$tmp/crm.csv" >>"$tmp/crm.t"
	progress "run $i: mlr put"
	timed "$tmp/in.csv" mlr -S --icsv --ocsv put \
		-f "$root/scripts/bench-mask.mlr" \
		3>"$tmp/mlr.csv" >>"$tmp/mlr.t"
done

for o in crm mlr; do
	rows=$(($(wc -l <"$tmp/$o.csv") - 1))
	[ "$rows" = "$n" ] || die "$o wrote $rows rows, not $n"
	cut -d, -f1,2,4,5 "$tmp/$o.csv" >"$tmp/$o.cut"
	cut -d, -f3 "$tmp/$o.csv" | sort -u | wc -l >"$tmp/$o.tokens"
done
cmp -s "$tmp/crm.cut" "$tmp/mlr.cut" ||
	die "crm-mask and Miller differ outside the phone: $(diff "$tmp/crm.cut" "$tmp/mlr.cut" | head -4)"
cmp -s "$tmp/crm.tokens" "$tmp/mlr.tokens" ||
	die "distinct phone tokens: crm-mask $(cat "$tmp/crm.tokens"), Miller $(cat "$tmp/mlr.tokens")"

crm_s=$(median <"$tmp/crm.t")
mlr_s=$(median <"$tmp/mlr.t")
awk -v n="$n" -v c="$crm_s" -v m="$mlr_s" -v tok="$(cat "$tmp/crm.tokens")" 'BEGIN {
	rc = n / c; rm = n / m
	printf "outputs agree: ids, e-mails, cities, months; %d distinct phone tokens each\n", tok - 1
	printf "%-10s %10s %14s\n", "tool", "seconds", "rows/s"
	printf "%-10s %10.2f %14.0f\n", "crm-mask", c, rc
	printf "%-10s %10.2f %14.0f\n", "mlr put", m, rm
	printf "ratio crm-mask/Miller rate: %.2fx (goal >= 2x): %s\n", rc / rm,
	    (rc >= 2 * rm ? "GOAL MET" : "GOAL MISSED")
}'
