#!/usr/bin/env bash
# loop-assign.sh: the assignment lines of bench-loop.sh (which runs it
# after the journey's; not named bench-*.sh, so make bench runs it once):
# the cost of crm-experiment's assignment, measured, not timed by a test.
#
# The assignment of N_ASSIGN customers (default 10,000,000; ids K00000001... made
# by awk, one CSV file) to a 50/50 experiment with a 10% holdout:
#
#   crmkit: crm-experiment -q --experiment bench --holdout 0.1
#               --key-file KEY < ids.csv                  (a pure filter)
#   peer:   /usr/bin/python3 with hashlib and hmac: the same HMAC-SHA-256
#           of "bench\0" and the id, the same mapping to an arm, the same
#           output lines (id,arm)
#
# and, reported separately, crm-experiment with --db on a fresh store for
# N_DB customers (default 1,000,000): each assignment inserted and audited
# (a decisions row in the hash chain), in batches of 1,000.  Wall seconds
# and peak RSS from GNU time.  Checks: the peer's arms are crmkit's, line
# for line; the store holds N_DB assignments and N_DB decisions.  Goal
# (issue 21): the pure filter over 10,000,000 customers in under 10 s on
# this machine.
#
# Exit status: 0 when the checks pass, whether or not the goal is met; 69
# if GNU time or python3 is missing; 1 if a run or a check failed.
#
# Environment: N_ASSIGN, N_DB; CRM_EXPERIMENT=path runs another crm-experiment
# than build/bin/crm-experiment; BENCH_DIR the work directory (a
# temporary one).
set -euo pipefail
bench=bench-loop
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib-bench.sh
. "$top/scripts/lib-bench.sh"
N=${N_ASSIGN:-10000000}
N_DB=${N_DB:-1000000}
exp=${CRM_EXPERIMENT:-$top/build/bin/crm-experiment}
[ -x /usr/bin/time ] || missing "GNU time"
[ -x /usr/bin/python3 ] || missing python3
[ -x "$exp" ] || die "no $exp: make first"
case $N in '' | *[!0-9]* | 0) die "N_ASSIGN must be a positive integer, not '$N'" ;; esac
case $N_DB in '' | *[!0-9]* | 0) die "N_DB must be a positive integer" ;; esac
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
key=$work/experiment.key
printf 'bench-experiment-key-0123456789\n' >"$key"

progress "$N ids in $work"
awk -v n="$N" 'BEGIN { print "customer_id"
    for (i = 1; i <= n; i++) printf "K%08d\n", i }' >"$work/ids.csv"

# run NAME CMD...: CMD with stdin ids.csv, stdout $work/NAME.out; prints
# its wall seconds, peak RSS in MB and CPU seconds (user + system: on a
# machine shared with other work, the wall time alone would mislead).
run() {
	local name=$1 t
	shift
	t=$( { /usr/bin/time -f '%e %M %U %S' "$@" <"$work/ids.csv" \
	    >"$work/$name.out"; } 2>&1) || die "exit status $?: $*"
	set -- $t
	printf '%s %d %s\n' "$1" $(($2 / 1024)) \
	    "$(awk -v u="$3" -v s="$4" 'BEGIN { print u + s }')"
}

read -r c_s c_mb c_cpu < <(run crmkit "$exp" -q --experiment bench --holdout 0.1 \
    --key-file "$key")
read -r p_s p_mb p_cpu < <(run peer /usr/bin/python3 -c '
import hashlib, hmac, sys
key = open(sys.argv[1], "rb").read().rstrip(b"\n")
out = sys.stdout
inp = sys.stdin.buffer
inp.readline()
pre = b"bench\0"
for line in inp:
    cid = line.rstrip(b"\n")
    d = hmac.new(key, pre + cid, hashlib.sha256).digest()
    u = (int.from_bytes(d[:8], "big") >> 11) * 2.0 ** -53
    arm = "holdout" if u < 0.1 else "control" if u < 0.1 + 0.9 * 0.5 \
        else "treatment"
    out.write(cid.decode() + "," + arm + "\n")
' "$key")
tail -n +2 "$work/crmkit.out" | cut -d, -f1,3 | cmp -s - "$work/peer.out" ||
    die "check: the peer's arms differ from crm-experiment's"
printf 'assignment, %d customers, pure filter: crmkit %.2f s (CPU %.2f s, peak RSS %d MB), python3 hmac %.2f s (CPU %.2f s, %d MB), wall ratio %.2f\n' \
    "$N" "$c_s" "$c_cpu" "$c_mb" "$p_s" "$p_cpu" "$p_mb" \
    "$(awk -v a="$c_s" -v b="$p_s" 'BEGIN { print a / b }')"
echo "check: python3's arms are crm-experiment's, line for line"

# With the store: N_DB customers, each inserted and audited.
head -n $((N_DB + 1)) "$work/ids.csv" >"$work/ids-db.csv"
mv "$work/ids-db.csv" "$work/ids.csv"
db=$work/experiment.db
read -r d_s d_mb d_cpu < <(run db "$exp" -q --experiment bench --holdout 0.1 \
    --key-file "$key" --db "$db" --as-of 2026-03-01)
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM assignments) || ' ' ||
    (SELECT count(*) FROM decisions)")
[ "$rows" = "$N_DB $N_DB" ] ||
    die "check: the store holds $rows assignments and decisions, not $N_DB"
printf 'assignment, %d customers, with --db (stored and audited): %.2f s (CPU %.2f s, peak RSS %d MB), %.0f per second\n' \
    "$N_DB" "$d_s" "$d_cpu" "$d_mb" "$(awk -v n="$N_DB" -v s="$d_s" 'BEGIN { print n / s }')"
