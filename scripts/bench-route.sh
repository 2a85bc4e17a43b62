#!/usr/bin/env bash
# bench-route.sh [DATA_DIR]: the "route: ticket throughput" benchmark of
# ../shared/BENCHMARKS.md.
#
# Data: N synthetic support tickets (default 1,000,000; JSONL, seed SEED,
# default 1) written once by scripts/gen-tickets.py; both tools read the
# same file.  Rules: the 20 rules of scripts/bench-route.rules.
#
#   crmkit: crm-route --rules scripts/bench-route.rules --now NOW
#   peer:   mlr --ijsonl --ojsonl put -s now=NOW -f scripts/bench-route.mlr
#           (Debian's Miller: the same 20 rules and the rest of crm-route's
#           behaviour, priority score, escalation with the burst rule, SLA
#           due time, written as one Miller program)
#
# with NOW = 2026-01-01T00:00:00Z, stdin from the tickets file, stdout to a
# file.  Each tool runs R times (default 3), alternating; wall seconds and
# peak RSS come from GNU time (/usr/bin/time -f '%e %M').  The figures are
# the median time of each tool (throughput = N / median) and the highest
# peak RSS over its runs.  For reference only, a third runner is
# `mlr --ijsonl --ojsonl cat` on the same file: what Miller takes to read
# and write the tickets, a floor under any Miller program.
#
# Check (scripts/bench-route-check.py, on the outputs of the last runs):
# both outputs hold N records, the tickets in their order, and agree on
# priority, queue and sla_due for every ticket; the first disagreements
# are printed with their ticket.  Then the distribution of priority and
# queue, to show the rules at work.
#
# Goal (BENCHMARKS.md): crm-route's throughput >= 2 x Miller's.
# Exit status: 0 when the check passes, whether or not the goal is met (it
# is a measurement); 64 on a usage error; 69 if Miller, GNU time or
# Python is missing; 1 if a run or the check failed.
#
# Environment: N, R, SEED; CRM_ROUTE=path runs another crm-route than
# build/bin/crm-route (which make builds).  DATA_DIR is accepted for
# uniformity with the other benchmarks; this one generates its data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
gnutime=/usr/bin/time
mlr=/usr/bin/mlr
n=${N:-1000000}
reps=${R:-3}
seed=${SEED:-1}
now=2026-01-01T00:00:00Z
rules=$root/scripts/bench-route.rules
prog=$root/scripts/bench-route.mlr

bench="bench-route"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	echo "usage: bench-route.sh [DATA_DIR]   (env: N, R, SEED, CRM_ROUTE)" >&2
	exit 64
}

[ $# -le 1 ] || usage
case ${1:-} in -*) usage ;; esac
case $n in '' | *[!0-9]* | 0) die "N must be a positive integer, not '$n'" ;; esac
case $reps in '' | *[!0-9]* | 0) die "R must be a positive integer, not '$reps'" ;; esac
case $seed in '' | *[!0-9]*) die "SEED must be a number, not '$seed'" ;; esac

# ---- prerequisites ------------------------------------------------------------

[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
[ -x "$gnutime" ] || missing "GNU time ($gnutime, package time)"
[ -x "$mlr" ] || missing "Miller ($mlr, package miller)"
if [ -n "${CRM_ROUTE:-}" ]; then
	crm=$CRM_ROUTE
else
	make -s -C "$root" >&2
	crm=$root/build/bin/crm-route
fi
[ -x "$crm" ] || die "no $crm"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-route.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- helpers --------------------------------------------------------------------

# run NAME CMD...: CMD < tickets > $tmp/NAME.out under GNU time, stderr in
# $tmp/NAME.err; prints "seconds kilobytes".
run() {
	local name=$1
	shift
	if ! "$gnutime" -o "$tmp/$name.time" -f '%e %M' "$@" \
		<"$tickets" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" "$tmp/$name.time" >&2 2>/dev/null || true
		die "$name failed: $*"
	fi
	# GNU time may add a "Command exited ..." line; the figures are last.
	tail -n 1 "$tmp/$name.time"
}

# ---- data ----------------------------------------------------------------------

tickets=$tmp/tickets.jsonl
progress "generating $n tickets (seed $seed)"
"$py" "$root/scripts/gen-tickets.py" -n "$n" --seed "$seed" "$tickets"
echo "route: $n tickets (seed $seed), $(($(wc -c <"$tickets") / 1000000)) MB JSONL;" \
	"$(grep -v '^[[:space:]]*#' "$rules" | grep -c -- '->') rules; --now $now; R=$reps runs each, alternating"
echo "  crmkit: $("$crm" --version 2>&1 | head -n 1)"
echo "  peer:   $("$mlr" --version 2>&1 | head -n 1) put -f scripts/bench-route.mlr"

# ---- runs ----------------------------------------------------------------------

: >"$tmp/crm.runs"
: >"$tmp/mlr.runs"
: >"$tmp/cat.runs"
for ((i = 1; i <= reps; i++)); do
	c=$(run crm "$crm" --rules "$rules" --now "$now")
	p=$(run mlr "$mlr" --ijsonl --ojsonl put -s "now=$now" -f "$prog")
	k=$(run cat "$mlr" --ijsonl --ojsonl cat)
	echo "$c" >>"$tmp/crm.runs"
	echo "$p" >>"$tmp/mlr.runs"
	echo "$k" >>"$tmp/cat.runs"
	printf '  run %d: crmkit %6ss %7s KB   mlr %6ss %7s KB   mlr cat %6ss\n' \
		"$i" "${c% *}" "${c#* }" "${p% *}" "${p#* }" "${k% *}"
done

# ---- check -----------------------------------------------------------------------

echo
check=0
"$py" "$root/scripts/bench-route-check.py" "$n" "$tickets" "$tmp/crm.out" \
	"$tmp/mlr.out" || check=$?

# ---- report ----------------------------------------------------------------------

crm_t=$(cut -d' ' -f1 "$tmp/crm.runs" | median)
mlr_t=$(cut -d' ' -f1 "$tmp/mlr.runs" | median)
cat_t=$(cut -d' ' -f1 "$tmp/cat.runs" | median)
crm_kb=$(cut -d' ' -f2 "$tmp/crm.runs" | sort -n | tail -n 1)
mlr_kb=$(cut -d' ' -f2 "$tmp/mlr.runs" | sort -n | tail -n 1)

echo
awk -v n="$n" -v ct="$crm_t" -v pt="$mlr_t" -v ck="$crm_kb" -v pk="$mlr_kb" \
	-v kt="$cat_t" -v check="$check" 'BEGIN {
	printf "%-8s %9s %10s %11s %13s\n", "tool", "tickets", "median s", "tickets/s", "peak RSS MB"
	printf "%-8s %9d %10.2f %11.0f %13.1f\n", "crmkit", n, ct, (ct > 0 ? n / ct : 0), ck / 1024
	printf "%-8s %9d %10.2f %11.0f %13.1f\n", "mlr", n, pt, (pt > 0 ? n / pt : 0), pk / 1024
	printf "%-8s %9d %10.2f %11.0f %13s\n", "mlr cat", n, kt, (kt > 0 ? n / kt : 0), "(reference)"
	print ""
	if (ct > 0) {
		r = pt / ct
		printf "ratio crmkit/peer throughput = %.2f (goal >= 2.00)\n", r
		if (check != 0)
			print "GOAL MISSED (the check failed: speed with other answers does not count)"
		else
			print (r >= 2) ? "GOAL MET" : "GOAL MISSED"
		if (kt > 0)
			printf "ratio crmkit/(mlr cat) throughput = %.2f (reference: Miller only reading and writing)\n", kt / ct
	} else {
		print "ratio crmkit/peer throughput = n/a (crmkit time 0.00 s: raise N)"
		print "GOAL MISSED"
	}
}'
[ "$check" = 0 ] || die "the check failed: the outputs disagree (see above)"
