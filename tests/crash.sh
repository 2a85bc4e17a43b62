# crash.sh: sourced after lib.sh by the crash tests (tests/cli/t09x-*.sh),
# which kill a store writer with SIGKILL at chosen moments, run the same
# command again, and compare the store with one a clean run made.
#
#   c_script NAME CMD	write ./NAME, a script that execs CMD (which may
#			use "$1"...), so that a pid c_start remembers is
#			the tool's own, and `timeout` can run it
#   c_copy SRC DST	copy a store (its log too, if any) to DST
#   c_q DB SQL...	query a store that must exist (read-write, as a
#			read-only connection cannot recover a killed
#			writer's log); one line per row, '|' between
#   c_feed FILE CUT	feed FILE into ./fifo: its first CUT lines, then a
#			pause until c_go, then the rest
#   c_go		end the pause and wait for the feeder to finish
#   c_start CMD ...	start CMD in the background (stdout and stderr to
#			./run.out, ./run.err) and remember its pid
#   c_until CMD ...	wait until CMD succeeds; 1 when it never does
#   c_wait DB SQL	wait until the query SQL prints 1 (a condition on
#			what the run committed); 1 when it never does
#   c_kill		kill -9 what c_start started, and reap it; c_alive
#			says whether it was still running
#   c_clean_time CMD ...	run CMD (it must succeed) and set c_took to the
#			seconds it took
#   c_delays N		N random delays, each within c_took, one a line
#   c_prefix N FILE	whether the N-line prefix of FILE is whole batches:
#			sets c_whole=1 when the file ./killed equals it
#   c_pause_at DB TABLE WHEN	make inserts into TABLE that match WHEN
#			(SQL over new.*) stall the writer inside its
#			transaction, a point a kill can be aimed at
#   c_unpause DB	drop what c_pause_at made
#
# Every process started here is killed by its pid on exit, so a failed
# check never leaves a writer or a feeder behind; every wait has a bound
# (C_WAIT seconds, 60 by default), so a hang fails the test.

C_WAIT=${C_WAIT:-60}
c_pid=
c_feeder=

c_cleanup() {
	for p in $c_pid $c_feeder; do
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$t_tmp"
}
trap c_cleanup EXIT

c_script() {
	printf '#!/bin/sh\nexec %s\n' "$2" >"$1"
	chmod +x "$1"
}

c_copy() {
	rm -f "$2" "$2-wal" "$2-shm"
	cp "$1" "$2"
	if [ -f "$1-wal" ]; then cp "$1-wal" "$2-wal"; fi
}

c_q() {
	db=$1
	shift
	sqlite3 -batch -noheader "file:$db?mode=rw" "$@"
}

c_feed() {
	rm -f fifo go
	mkfifo fifo
	{
		head -n "$2" "$1"
		i=0
		while [ ! -e go ] && [ "$i" -lt $((C_WAIT * 50)) ]; do
			sleep 0.02
			i=$((i + 1))
		done
		tail -n "+$(($2 + 1))" "$1"
	} >fifo 2>/dev/null &
	c_feeder=$!
}

c_go() {
	: >go
	wait "$c_feeder" 2>/dev/null || true
	c_feeder=
}

c_start() {
	"$@" >run.out 2>run.err &
	c_pid=$!
}

# Conditions are polled, not awaited: a reader never blocks the writer
# (WAL), so the run goes on exactly as it would unwatched.
c_until() {
	i=0
	while [ "$i" -lt $((C_WAIT * 50)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
		i=$((i + 1))
	done
	echo "# timed out waiting for: $*"
	return 1
}

c_true() {
	[ "$(c_q "$1" "$2" 2>/dev/null)" = 1 ]
}

c_wait() {
	c_until c_true "$1" "$2"
}

c_kill() {
	c_alive=0
	if kill -0 "$c_pid" 2>/dev/null; then c_alive=1; fi
	kill -9 "$c_pid" 2>/dev/null || true
	wait "$c_pid" 2>/dev/null || true
	c_pid=
}

c_clean_time() {
	t0=$(date +%s%N)
	timeout "$C_WAIT" "$@" >run.out 2>run.err
	t1=$(date +%s%N)
	c_took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

# Random, but printed with each check, so a failure can be aimed at again.
c_delays() {
	awk -v n="$1" -v t="$c_took" -v s="$$" 'BEGIN {
		srand(s)
		for (i = 0; i < n; i++)
			printf "%.3f\n", t * (0.3 + 0.65 * rand())
	}'
}

c_prefix() {
	c_whole=0
	head -n "$1" "$2" | cmp -s - killed && c_whole=1
	return 0
}

# SQLite allows no CTE in a trigger, so the stall is a join of a helper
# table with itself: 2000^3 rows, minutes of work, ended by the kill.
c_pause_at() {
	sqlite3 "$1" "CREATE TABLE crash_spin(x);
	    INSERT INTO crash_spin SELECT value FROM json_each(
		'[' || replace(hex(zeroblob(1999)), '00', '0,') || '0]');
	    CREATE TRIGGER crash_pause AFTER INSERT ON $2 WHEN $3
	    BEGIN
		SELECT count(*) FROM crash_spin a, crash_spin b, crash_spin c;
	    END;" >/dev/null
}

c_unpause() {
	sqlite3 "$1" "DROP TRIGGER crash_pause; DROP TABLE crash_spin" >/dev/null
}
