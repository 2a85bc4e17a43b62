#!/usr/bin/env bash
# bench-loop.sh: the cost of closing the loop (issue 21), measured, not
# timed by a test.
#
# The journey line: a store of N customers (default 1,000,000), each with
# one order 0 to 89 days before 2026-03-01 (customer i on day i * 7919 mod
# 90), written by sqlite3 as crm-ingest would store them, and
# testdata/journey/winback.journey; then
#
#   crm-journey --db S --journey winback.journey --as-of DAY1  (timed)
#   crm-journey ... --as-of DAY2                               (timed)
#   crm-journey ... --as-of DAY2 again                         (timed)
#
# with DAY1 = 2026-03-01T23:00:00Z (two thirds of the customers enter and
# are sent their first email) and DAY2 the next day (a day's step: those
# whose last order turned 30 days old enter).  Wall seconds and peak RSS
# from GNU time.  Check: the third run writes no record and adds no
# action.  Goal (issue 21): a journey step over 1,000,000 customers in
# under 60 s on this machine.
#
# Then the assignment lines, scripts/loop-assign.sh: crm-experiment over
# N_ASSIGN customers (10,000,000) as a pure filter against python3's hmac,
# and over N_DB (1,000,000) with --db (see that script).
#
# Exit status: 0 when the checks pass, whether or not the goals are met;
# 69 if GNU time, sqlite3 or python3 is missing; 1 if a run or a check
# failed.
#
# Environment: N, N_ASSIGN, N_DB; CRM_JOURNEY=path runs another
# crm-journey than build/bin/crm-journey, CRM_EXPERIMENT another
# crm-experiment; BENCH_DIR the work directory (a temporary one).
set -euo pipefail
bench=bench-loop
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib-bench.sh
. "$top/scripts/lib-bench.sh"
N=${N:-1000000}
journey=${CRM_JOURNEY:-$top/build/bin/crm-journey}
ingest=$(dirname "$journey")/crm-ingest
[ -x /usr/bin/time ] || missing "GNU time"
command -v sqlite3 >/dev/null || missing sqlite3
[ -x "$journey" ] || die "no $journey: make first"
work=${BENCH_DIR:-$(mktemp -d)}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
db=$work/journey.db
jf=$top/testdata/journey/winback.journey

progress "journey: a store of $N customers in $work"
rm -f "$db" "$db-wal" "$db-shm"
# an empty store of this crmkit's schema, then the rows
printf 'customer_id\n' | "$ingest" -q --db "$db" >/dev/null
sqlite3 "$db" "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO customers(customer_id, name, signup_date)
  SELECT printf('C%08d', i), 'Customer ' || i, '2025-01-01' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO events(event_key, customer_id, time, type, amount)
  SELECT 'o' || i, printf('C%08d', i),
    strftime('%Y-%m-%dT10:00:00Z', '2026-03-01', '-' || (i * 7919 % 90) ||
    ' days'), 'order', 10 FROM n;"

step() {
	local name=$1 day=$2 t
	t=$( { /usr/bin/time -f '%e %M' "$journey" -q --db "$db" \
	    --journey "$jf" --as-of "$day" >"$work/$name.jsonl"; } 2>&1) ||
	    die "exit status $?: crm-journey --as-of $day"
	set -- $t
	printf 'journey %-9s %9d customers: %7.2f s, %6d actions, peak RSS %d MB\n' \
	    "$name" "$N" "$1" "$(wc -l <"$work/$name.jsonl")" $(($2 / 1024))
}

step day1 2026-03-01T23:00:00Z
step day2 2026-03-02T23:00:00Z
before=$(sqlite3 "$db" "SELECT count(*) FROM journey_actions")
step day2-again 2026-03-02T23:00:00Z
after=$(sqlite3 "$db" "SELECT count(*) FROM journey_actions")
[ ! -s "$work/day2-again.jsonl" ] && [ "$before" = "$after" ] ||
    die "check: the same day again sent something ($before -> $after actions)"
echo "journey check: the same day again sent nothing ($after actions in all)"

BENCH_DIR=$work "$top/scripts/loop-assign.sh"
