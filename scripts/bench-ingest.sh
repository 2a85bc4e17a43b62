#!/usr/bin/env bash
# bench-ingest.sh [DATA_DIR]: the "ingest: CSV into SQLite" benchmark of
# ../shared/BENCHMARKS.md.
#
# What it measures: loading a deterministic synthetic customers CSV
# (scripts/gen-customers.sh, 1,000,000 rows by default) into SQLite with
#   crmkit: crm-ingest --db X.db --kind customers < file > /dev/null
#           (validating and normalizing every record), and
#   peer:   sqlite3 Y.db with .mode csv and .import file customers
#           (no validation at all).
#
# Protocol: both tools read the same file in the same run.  Each is run R
# times, alternating crmkit and peer, on a fresh database every run; wall
# seconds, CPU seconds (user + system) and peak RSS come from GNU time
# (/usr/bin/time -f '%e %M %U %S').  The table shows the median wall and
# the median CPU time of each tool and the highest peak RSS seen over its
# runs; the ratio crmkit/peer is given for both times, since crm-ingest
# works in three threads (reading, writing, checkpointing) against
# sqlite3's one, so on a busy or a one-core machine the wall ratio alone
# would mislead.  Every crm-ingest run must report "read N" and "rejected
# 0" on its summary line, and the final store must hold N
# customers.  crm-ingest is also run once on an N/5-row file (200,000 rows
# by default) to show its peak RSS is flat in the number of rows.
#
# For reference only, a third runner does the same .import into a table
# shaped like crmkit's store (WAL, 16 KiB pages, customer_id primary key,
# synchronous=NORMAL): what SQLite itself costs for a keyed, concurrent
# store, before any validation.
#
# Goals: wall time ratio crmkit/peer <= 1.00; crmkit peak RSS < 64 MB.
# Exit status: 0 whether or not the goals are met (it is a measurement),
# non-zero if a run failed or a check did not hold.
#
# Environment: N rows (default 1000000), R repetitions (default 3);
# CRM_INGEST=path runs another crm-ingest than build/bin/crm-ingest (which
# make builds, or brings up to date, first, as in the other benchmarks).
# DATA_DIR (default ../shared/data from the repo root) is accepted for
# uniformity with the other benchmarks; this one generates its own data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir=${1:-$root/../shared/data}
: "$data_dir" # not used: the data is generated below

n=${N:-1000000}
reps=${R:-3}
n_small=$((n / 5 > 0 ? n / 5 : 1))
gen=$root/scripts/gen-customers.sh
gnutime=/usr/bin/time

bench="bench-ingest"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

case $n in '' | *[!0-9]* | 0) die "N must be a positive integer, not '$n'" ;; esac
case $reps in '' | *[!0-9]* | 0) die "R must be a positive integer, not '$reps'" ;; esac

# ---- prerequisites ------------------------------------------------------------

if [ -n "${CRM_INGEST:-}" ]; then
	ingest=$CRM_INGEST
else
	make -s -C "$root" >&2
	ingest=$root/build/bin/crm-ingest
fi
[ -x "$ingest" ] || die "no $ingest"
if [ ! -x "$gnutime" ]; then
	echo "bench-ingest: $gnutime missing; installing the benchmark packages" >&2
	"$root/scripts/install-deps.sh" --bench ||
		die "install GNU time (Debian package 'time'): scripts/install-deps.sh --bench"
	[ -x "$gnutime" ] || die "still no $gnutime"
fi
command -v sqlite3 >/dev/null || die "sqlite3 not found (scripts/install-deps.sh)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-ingest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- helpers --------------------------------------------------------------------

# timed NAME INPUT CMD...: run CMD under GNU time, stdin from INPUT, stdout
# discarded, stderr in $tmp/NAME.err; print "wall_seconds kilobytes
# cpu_seconds" (CPU = user + system); fail loudly if CMD fails.  (Not
# lib-bench.sh's timed, which has no GNU time.)
timed() {
	local name=$1 input=$2
	shift 2
	if ! "$gnutime" -o "$tmp/$name.time" -f '%e %M %U %S' "$@" \
		<"$input" >/dev/null 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" "$tmp/$name.time" >&2 2>/dev/null || true
		die "$name failed: $*"
	fi
	# GNU time may add a "Command ..." line; the figures are the last line.
	tail -n 1 "$tmp/$name.time" | awk 'NF == 4 { printf "%s %s %.2f\n", $1, $2, $3 + $4; ok = 1 }
		END { exit !ok }' || die "$name: no figures from GNU time"
}

# run_crm FILE ROWS DB: one crm-ingest run; prints "wall kilobytes cpu" and
# checks the summary line says read ROWS and rejected 0.
run_crm() {
	local file=$1 rows=$2 db=$3 summary
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	timed crm "$file" "$ingest" --db "$db" --kind customers
	summary=$(grep '^crm-ingest: read ' "$tmp/crm.err" | tail -n 1 || true)
	[ -n "$summary" ] || {
		cat "$tmp/crm.err" >&2
		die "crm-ingest printed no summary line"
	}
	[[ $summary == *"read $rows,"* && $summary == *"rejected 0;"* ]] ||
		die "crm-ingest on $rows rows: unexpected summary: $summary"
	echo "$summary" >"$tmp/crm.summary"
}

# run_peer FILE DB: one sqlite3 .import run; prints "wall kilobytes cpu".
run_peer() {
	local file=$1 db=$2
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	timed peer /dev/null sqlite3 -batch -bail "$db" '.mode csv' ".import '$file' customers"
}

# run_keyed FILE DB: .import into a keyed WAL table (reference).
run_keyed() {
	local file=$1 db=$2
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	timed keyed /dev/null sqlite3 -batch -bail "$db" \
		'PRAGMA page_size=16384' 'PRAGMA journal_mode=WAL' \
		'PRAGMA synchronous=NORMAL' \
		'CREATE TABLE customers(customer_id TEXT PRIMARY KEY NOT NULL, name, email, phone, city, signup_date, note) WITHOUT ROWID' \
		'.mode csv' ".import --skip 1 '$file' customers"
}

# ---- data ----------------------------------------------------------------------

csv=$tmp/customers-$n.csv
small=$tmp/customers-$n_small.csv
"$gen" "$n" >"$csv"
"$gen" "$n_small" >"$small"
echo "ingest: $n rows, $(($(wc -c <"$csv") / 1000000)) MB CSV; R=$reps runs each, alternating"

# ---- runs ----------------------------------------------------------------------

: >"$tmp/crm.runs"
: >"$tmp/peer.runs"
: >"$tmp/keyed.runs"
for ((i = 1; i <= reps; i++)); do
	c=$(run_crm "$csv" "$n" "$tmp/X.db")
	p=$(run_peer "$csv" "$tmp/Y.db")
	k=$(run_keyed "$csv" "$tmp/Z.db")
	echo "$c" >>"$tmp/crm.runs"
	echo "$p" >>"$tmp/peer.runs"
	echo "$k" >>"$tmp/keyed.runs"
	read -r cw ck cc <<<"$c"
	read -r pw pk pc <<<"$p"
	printf '  run %d: crmkit %6ss wall %6ss cpu %6s KB   peer %6ss wall %6ss cpu %6s KB\n' \
		"$i" "$cw" "$cc" "$ck" "$pw" "$pc" "$pk"
done
echo "  $(cat "$tmp/crm.summary")"

# The store of the last crmkit run must hold every customer.
stored=$(sqlite3 "$tmp/X.db" 'select count(*) from customers') ||
	die "cannot count the customers in the crmkit store"
peer_rows=$(sqlite3 "$tmp/Y.db" 'select count(*) from customers') ||
	die "cannot count the rows of the peer table"
echo "  store check: select count(*) from customers = $stored (crmkit), $peer_rows (peer)"
[ "$stored" = "$n" ] || die "crmkit store holds $stored customers, expected $n"
[ "$peer_rows" = "$n" ] || die "peer table holds $peer_rows rows, expected $n"

# Memory flat in rows: one crm-ingest run on the smaller file.
s=$(run_crm "$small" "$n_small" "$tmp/S.db")

# ---- report --------------------------------------------------------------------

crm_t=$(cut -d' ' -f1 "$tmp/crm.runs" | median)
peer_t=$(cut -d' ' -f1 "$tmp/peer.runs" | median)
keyed_t=$(cut -d' ' -f1 "$tmp/keyed.runs" | median)
crm_kb=$(cut -d' ' -f2 "$tmp/crm.runs" | sort -n | tail -n 1)
peer_kb=$(cut -d' ' -f2 "$tmp/peer.runs" | sort -n | tail -n 1)
crm_c=$(cut -d' ' -f3 "$tmp/crm.runs" | median)
peer_c=$(cut -d' ' -f3 "$tmp/peer.runs" | median)
keyed_c=$(cut -d' ' -f3 "$tmp/keyed.runs" | median)
read -r _ small_kb _ <<<"$s"

echo
awk -v n="$n" -v ct="$crm_t" -v pt="$peer_t" -v ck="$crm_kb" -v pk="$peer_kb" \
	-v sn="$n_small" -v sk="$small_kb" -v kt="$keyed_t" \
	-v cc="$crm_c" -v pc="$peer_c" -v kc="$keyed_c" 'BEGIN {
	printf "%-8s %9s %10s %11s %12s %8s %13s\n", "tool", "rows", "median s",
	    "rows/s", "median cpu s", "cpu/wall", "peak RSS MB"
	printf "%-8s %9d %10.2f %11.0f %12.2f %8.2f %13.1f\n", "crmkit", n, ct,
	    (ct > 0 ? n / ct : 0), cc, (ct > 0 ? cc / ct : 0), ck / 1024
	printf "%-8s %9d %10.2f %11.0f %12.2f %8.2f %13.1f\n", "sqlite3", n, pt,
	    (pt > 0 ? n / pt : 0), pc, (pt > 0 ? pc / pt : 0), pk / 1024
	printf "%-8s %9d %10.2f %11.0f %12.2f %8.2f %13s\n", "keyed", n, kt,
	    (kt > 0 ? n / kt : 0), kc, (kt > 0 ? kc / kt : 0), "(reference)"
	print ""
	if (pt > 0)
		printf "ratio crmkit/peer = %.2f wall (goal <= 1.00)\n", ct / pt
	else
		print "ratio crmkit/peer = n/a (peer time 0)"
	if (pc > 0)
		printf "ratio crmkit/peer = %.2f CPU (user+sys; crm-ingest works in three threads, sqlite3 in one)\n", cc / pc
	else
		print "ratio crmkit/peer CPU = n/a (peer CPU time 0)"
	if (kt > 0)
		printf "ratio crmkit/keyed-WAL import = %.2f (reference: the store alone)\n", ct / kt
	printf "peak RSS crmkit = %.0f MB (goal < 64 MB)\n", ck / 1024
	printf "peak RSS crmkit by rows: %d rows %.1f MB, %d rows %.1f MB (goal: flat)\n",
	    sn, sk / 1024, n, ck / 1024
	met = pt > 0 && ct / pt <= 1.00 && ck / 1024 < 64
	print (met ? "GOAL MET" : "GOAL MISSED") \
	    ": wall time ratio <= 1.00 and peak RSS < 64 MB"
}'
