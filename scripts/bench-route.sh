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
#
# The sweep line (issue 20): a store with SWEEP_N open tickets (default
# 1,000,000) made by crm-route agents (100 agents) and sqlite3 running
# scripts/bench-route-sweep.sql (most tickets due 30 min to 3 days after
# NOW, about 3,000 within the 30 min warning window, about 300 breached,
# 0.6% waiting with no agent, 20 free places an agent), then
#
#   crmkit: crm-route sweep --db S --as-of NOW        (timed)
#           crm-route sweep --db S --as-of NOW again  (timed; it must
#           write no record and change no row)
#
#   peer:   sqlite3 S < scripts/bench-route-sweep-peer.sql (the same sweep
#           as plain SQL: the same lists in the same order, the same
#           changes of tickets, ticket_events and agents' loads; no audit
#           rows, no notifications)
#
# R times each on a fresh copy of the store; the figures are the median
# times, with the highest peak RSS.  The goal is absolute: crmkit's first
# sweep under 10 s on this machine; the peer's time is for reference.
# Check (on the last run's stores): the peer's tickets, events and loads
# are crmkit's; every breached ticket escalated once, every ticket due
# within the window marked warned, and every agent's load <= its capacity
# and equal to the count of its tickets in open, pending, on-hold or
# reopened.
#
# Exit status: 0 when the checks pass, whether or not the goals are met
# (it is a measurement); 64 on a usage error; 69 if Miller, GNU time,
# Python or sqlite3 is missing; 1 if a run or a check failed.
#
# Environment: N, R, SEED, SWEEP_N; ONLY=route or ONLY=sweep runs one line;
# CRM_ROUTE=path runs another crm-route than build/bin/crm-route (which
# make builds).  DATA_DIR is accepted for uniformity with the other
# benchmarks; this one generates its data.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
gnutime=/usr/bin/time
mlr=/usr/bin/mlr
sqlite=/usr/bin/sqlite3
n=${N:-1000000}
sweep_n=${SWEEP_N:-1000000}
only=${ONLY:-}
reps=${R:-3}
seed=${SEED:-1}
now=2026-01-01T00:00:00Z
rules=$root/scripts/bench-route.rules
prog=$root/scripts/bench-route.mlr

bench="bench-route"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	echo "usage: bench-route.sh [DATA_DIR]   (env: N, R, SEED, SWEEP_N, ONLY, CRM_ROUTE)" >&2
	exit 64
}

[ $# -le 1 ] || usage
case ${1:-} in -*) usage ;; esac
case $n in '' | *[!0-9]* | 0) die "N must be a positive integer, not '$n'" ;; esac
case $reps in '' | *[!0-9]* | 0) die "R must be a positive integer, not '$reps'" ;; esac
case $seed in '' | *[!0-9]*) die "SEED must be a number, not '$seed'" ;; esac
case $sweep_n in '' | *[!0-9]* | 0) die "SWEEP_N must be a positive integer, not '$sweep_n'" ;; esac
case $only in '' | route | sweep) ;; *) die "ONLY must be route or sweep, not '$only'" ;; esac

# ---- prerequisites ------------------------------------------------------------

[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
[ -x "$gnutime" ] || missing "GNU time ($gnutime, package time)"
[ -x "$mlr" ] || missing "Miller ($mlr, package miller)"
[ -x "$sqlite" ] || missing "sqlite3 ($sqlite, package sqlite3)"
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

# ---- the route line ----------------------------------------------------------

route_line() {
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
}

# ---- the sweep line ------------------------------------------------------------

# q DB SQL: one query's rows, '|' between columns.
q() {
	"$sqlite" -batch -noheader "file:$1?mode=rw" "$2"
}

# rows DB: the rows of the tables a sweep writes, a checksum of each.
rows() {
	q "$1" "SELECT (SELECT count(*) FROM ticket_events),
	    (SELECT count(*) FROM decisions), (SELECT count(*) FROM notifications),
	    (SELECT total(length(status || priority || coalesce(queue, '') ||
		coalesce(assignee, '') || coalesce(warned, '') ||
		coalesce(escalated, '') || updated)) FROM tickets),
	    (SELECT group_concat(load, ',') FROM agents)"
}

# sweep_run NAME DB: crm-route sweep on DB under GNU time, records to
# $tmp/NAME.out; prints "seconds kilobytes records".
sweep_run() {
	local name=$1 db=$2
	if ! "$gnutime" -o "$tmp/$name.time" -f '%e %M' "$crm" sweep -q \
		--db "$db" --as-of "$now" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" "$tmp/$name.time" >&2 2>/dev/null || true
		die "$name failed: $crm sweep --db $db --as-of $now"
	fi
	echo "$(tail -n 1 "$tmp/$name.time") $(wc -l <"$tmp/$name.out")"
}

sweep_line() {
	local base=$tmp/sweep-base.db db=$tmp/sweep.db peer=$tmp/peer.db
	local a b c p i before after at ak an bt bn bad=0 t0 t1 kb records1
	local again_bad=0 same=0
	progress "making a store of $sweep_n open tickets"
	t0=$(date +%s)
	awk 'BEGIN { print "agent_id,name,skills,capacity"
	    split("billing logistics accounts", s, " ")
	    for (a = 0; a < 100; a++)
		printf "a%03d,Agent %d,\"general,%s%s\",1\n", a, a, s[a % 3 + 1],
		    (a % 10 == 0 ? ",senior" : "") }' >"$tmp/agents.csv"
	"$crm" agents -q --db "$base" "$tmp/agents.csv" >/dev/null ||
		die "crm-route agents failed"
	{
		echo ".parameter set @n $sweep_n"
		echo ".parameter set @asof '$now'"
		cat "$root/scripts/bench-route-sweep.sql"
	} | "$sqlite" -bail "$base" >/dev/null || die "the store's tickets: sqlite3 failed"
	t1=$(date +%s)
	echo
	echo "sweep: $sweep_n open tickets ($(q "$base" "SELECT
	    (SELECT count(*) FROM tickets WHERE sla_due <= '$now') || ' breached, ' ||
	    (SELECT count(*) FROM tickets WHERE sla_due > '$now' AND
		sla_due <= strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch('$now') + 1800, 'unixepoch')) ||
	    ' due within 30m, ' ||
	    (SELECT count(*) FROM tickets WHERE assignee IS NULL) || ' with no agent'"));" \
	    "$(q "$base" "SELECT count(*) || ' agents, ' || sum(capacity - load) FROM agents") free places;" \
	    "store $(($(wc -c <"$base") / 1000000)) MB made in $((t1 - t0)) s; --as-of $now; R=$reps runs"
	echo "  crmkit: $("$crm" --version 2>&1 | head -n 1) sweep"
	echo "  peer:   sqlite3 $("$sqlite" -version | cut -d' ' -f1) < scripts/bench-route-sweep-peer.sql"
	{
		echo ".parameter set @asof '$now'"
		echo ".parameter set @warn 1800"
		cat "$root/scripts/bench-route-sweep-peer.sql"
	} >"$tmp/peer.sql"
	: >"$tmp/sweep1.runs"
	: >"$tmp/sweep2.runs"
	: >"$tmp/peer.runs"
	for ((i = 1; i <= reps; i++)); do
		rm -f "$db" "$db-wal" "$db-shm"
		cp "$base" "$db"
		a=$(sweep_run sweep1 "$db")
		before=$(rows "$db")
		b=$(sweep_run sweep2 "$db")
		after=$(rows "$db")
		c=${b##* }
		if [ "$c" != 0 ] || [ "$before" != "$after" ]; then
			again_bad=1
		fi
		rm -f "$peer" "$peer-wal" "$peer-shm"
		cp "$base" "$peer"
		"$gnutime" -o "$tmp/peer.time" -f '%e %M' "$sqlite" -bail "$peer" \
			<"$tmp/peer.sql" >/dev/null || die "the peer failed"
		p=$(tail -n 1 "$tmp/peer.time")
		echo "${a% *}" >>"$tmp/sweep1.runs"
		echo "${b% *}" >>"$tmp/sweep2.runs"
		echo "$p" >>"$tmp/peer.runs"
		read -r at ak an <<<"$a"
		read -r bt _ bn <<<"$b"
		printf '  run %d: sweep %6ss %7s KB %6s records   again %6ss %s records%s   peer %6ss\n' \
			"$i" "$at" "$ak" "$an" "$bt" "$bn" \
			"$([ "$before" = "$after" ] && echo ', store unchanged' || echo ', STORE CHANGED')" \
			"${p% *}"
	done
	records1=${a##* }

	# Check: the peer's changes are crmkit's; each breached ticket
	# escalated once, each due soon warned, loads as the tickets say and
	# within capacity.
	echo
	for d in "$db" "$peer"; do
		q "$d" "SELECT * FROM tickets ORDER BY ticket_id" >"$d.tickets"
		q "$d" "SELECT time, ticket_id, event, from_state, state, actor,
		    value, reason, note FROM ticket_events ORDER BY id" >"$d.events"
		q "$d" "SELECT agent_id, load FROM agents ORDER BY 1" >"$d.agents"
	done
	for f in tickets events agents; do
		if ! cmp -s "$db.$f" "$peer.$f"; then
			echo "check: crmkit and the peer disagree on the $f:"
			diff "$db.$f" "$peer.$f" | head -n 5
			same=1
		fi
	done
	[ "$same" = 1 ] || echo "check: the peer's tickets, events and loads are crmkit's"
	bad=$(q "$db" "SELECT
	    (SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'reopened')
		AND sla_due <= '$now' AND escalated IS NOT sla_due) +
	    (SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'reopened')
		AND sla_due > '$now' AND warned IS NOT sla_due AND sla_due <=
		strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch('$now') + 1800, 'unixepoch')) +
	    (SELECT count(*) FROM (SELECT 1 FROM ticket_events WHERE event = 'escalated'
		GROUP BY ticket_id, reason HAVING count(*) > 1)) +
	    (SELECT count(*) FROM agents a WHERE load > capacity OR load <>
		(SELECT count(*) FROM tickets t WHERE t.assignee = a.agent_id
		AND t.status IN ('open', 'pending', 'on-hold', 'reopened')))")
	echo "check: $(q "$db" "SELECT (SELECT count(*) FROM ticket_events
	    WHERE event = 'escalated') || ' escalated, ' ||
	    (SELECT count(*) FROM ticket_events WHERE event = 'priority') ||
	    ' raised, ' || (SELECT count(*) FROM ticket_events
	    WHERE event = 'assigned' AND time = '$now') || ' assigned, ' ||
	    (SELECT sum(capacity - load) FROM agents) || ' free places left'");" \
	    "$bad problems (breached not escalated once, due soon not warned, loads)"
	kb=$(cut -d' ' -f2 "$tmp/sweep1.runs" | sort -n | tail -n 1)
	awk -v n="$sweep_n" -v t1="$(cut -d' ' -f1 "$tmp/sweep1.runs" | median)" \
	    -v t2="$(cut -d' ' -f1 "$tmp/sweep2.runs" | median)" -v kb="$kb" \
	    -v pt="$(cut -d' ' -f1 "$tmp/peer.runs" | median)" \
	    -v pk="$(cut -d' ' -f2 "$tmp/peer.runs" | sort -n | tail -n 1)" \
	    -v r1="$records1" -v bad="$bad" -v again="$again_bad" -v same="$same" 'BEGIN {
		printf "%-14s %9s %10s %9s %13s\n", "sweep", "tickets", "median s", "records", "peak RSS MB"
		printf "%-14s %9d %10.2f %9d %13.1f\n", "crmkit", n, t1, r1, kb / 1024
		printf "%-14s %9d %10.2f %9d %13s\n", "crmkit again", n, t2, 0, "(same --as-of)"
		printf "%-14s %9d %10.2f %9s %13.1f\n", "sqlite3 peer", n, pt, "-", pk / 1024
		print ""
		printf "sweep of %d open tickets: %.2f s (goal < 10.00 s)\n", n, t1
		if (pt > 0)
			printf "ratio crmkit/peer time = %.2f (reference: the peer writes no audit rows)\n", t1 / pt
		if (bad != 0 || again != 0 || same != 0)
			print "GOAL MISSED (the check failed: speed with other answers does not count)"
		else
			print (t1 < 10) ? "GOAL MET" : "GOAL MISSED"
	}'
	[ "$bad" = 0 ] || die "the sweep check failed: $bad problems"
	[ "$same" = 0 ] || die "the sweep check failed: crmkit and the peer disagree"
	[ "$again_bad" = 0 ] || die "a second sweep at the same --as-of wrote records or changed the store"
}

[ "$only" = sweep ] || route_line
[ "$only" = route ] || sweep_line
