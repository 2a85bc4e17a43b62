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
#   c_feed FILE CUT [FIFO]	feed FILE into ./fifo (or FIFO): its first CUT
#			lines, then a pause until c_go (./fifo.fed exists
#			meanwhile), then the rest
#   c_go		end the pause and wait for the feeder to finish
#   c_start CMD ...	start CMD in the background (stdout and stderr to
#			./run.out, ./run.err) and remember its pid
#   c_until CMD ...	wait until CMD succeeds; 1 when it never does
#   c_wait DB SQL	wait until the query SQL prints 1 (a condition on
#			what the run committed); 1 when it never does
#   c_locked DB		whether a writer holds DB's write lock
#   c_stalled DB	whether it holds it still 0.2 s later
#   c_kill		kill -9 what c_start started, and reap it; c_alive
#			says whether it was still running
#   c_clean_time CMD ...	run CMD (it must succeed) and set c_took to the
#			seconds it took
#   c_delays N		N random delays, each within c_took, one a line
#   c_prefix N FILE	c_whole=1 when ./killed is the first N lines of
#			FILE, else 0
#   c_pause_at DB TABLE WHEN	make inserts into TABLE that match WHEN
#			(SQL over new.*) stall the writer inside its
#			transaction, a point a kill can be aimed at
#   c_unpause DB	drop what c_pause_at made
#   c_models_crash SCRIPT INPUT CUT	the kills of a training run
#   c_log_crash SCRIPT INPUT CUTS	the kills of a run that logs a row a
#			record (decisions, labels)
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
	c_fifo=${3:-fifo}
	rm -f "$c_fifo" "$c_fifo.fed" go
	mkfifo "$c_fifo"
	{
		head -n "$2" "$1"
		: >"$c_fifo.fed"
		i=0
		while [ ! -e go ] && [ "$i" -lt $((C_WAIT * 50)) ]; do
			sleep 0.02
			i=$((i + 1))
		done
		tail -n "+$(($2 + 1))" "$1"
	} >"$c_fifo" 2>/dev/null &
	c_feeder="$c_feeder $!"
}

c_go() {
	: >go
	for p in $c_feeder; do
		wait "$p" 2>/dev/null || true
	done
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
	while [ "$i" -lt $((C_WAIT * 20)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
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

# Whether a writer holds the store's write lock; and holds it still a
# moment later, as a writer stalled by c_pause_at does.
c_locked() {
	! sqlite3 "file:$1?mode=rw" 'BEGIN IMMEDIATE; ROLLBACK' >/dev/null 2>&1
}

c_stalled() {
	c_locked "$1" && sleep 0.2 && c_locked "$1"
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

# c_models_crash SCRIPT INPUT CUT: ./SCRIPT DB FILE trains a model into
# DB, a copy of ./base.db, from FILE.  Killed while its input pauses after
# CUT lines, killed inside the transaction that saves the model, and
# killed at a random moment, a run leaves no model or a whole one, and
# the same command run again saves the model a clean run saves (the same
# blob, parameters and figures, all but the training time).
c_models() {
	c_q "$1" "SELECT name, kind, params,
	    json_remove(metrics, '\$.train_seconds'), hex(sha3(blob))
	    FROM models ORDER BY name, version"
}

c_models_again() {
	t_eq "$1: integrity" ok "$(c_q k.db 'PRAGMA integrity_check')"
	timeout "$C_WAIT" "./$2" k.db "$3"
	c_models k.db >k.models
	t_ok "$1, run again: the model a clean run saves" \
	    cmp "${4:-clean.models}" k.models
	t_eq "$1, run again: integrity" ok \
	    "$(c_q k.db 'PRAGMA integrity_check')"
}

c_models_crash() {
	c_copy base.db ref.db
	c_clean_time "./$1" ref.db "$2"
	c_models ref.db >clean.models
	c_models base.db >base.models
	t_eq "$1: a clean run saves one model" 1 \
	    "$(($(wc -l <clean.models) - $(wc -l <base.models)))"
	c_models_nbase=$(wc -l <base.models)

	c_copy base.db k.db
	c_feed "$2" "$3"
	c_start "./$1" k.db fifo
	c_until test -e fifo.fed || true
	sleep 0.1
	c_kill
	c_go
	t_eq "$1: killed after line $3 of $2: mid-run, no model" "1 0" \
	    "$c_alive $(($(c_q k.db 'SELECT count(*) FROM models') - \
	    c_models_nbase))"
	c_models_again "$1: killed after line $3" "$1" "$2"

	c_copy base.db k.db
	c_pause_at k.db models 1
	c_start "./$1" k.db "$2"
	if c_until c_stalled k.db; then c_in=1; else c_in=0; fi
	c_kill
	t_eq "$1: killed inside the model's transaction: no model" "1 1 0" \
	    "$c_in $c_alive $(($(c_q k.db 'SELECT count(*) FROM models') - \
	    c_models_nbase))"
	c_unpause k.db
	c_models_again "$1: killed saving the model" "$1" "$2"

	d=$(c_delays 1)
	c_copy base.db k.db
	c_start "./$1" k.db "$2"
	sleep "$d"
	c_kill
	# A run killed after its commit saved the whole model: the run
	# again adds the same model as the next version.
	c_models k.db >killed
	if cmp -s base.models killed; then
		cp clean.models want.models
	else
		cp killed want.models
		tail -n 1 clean.models >>want.models
	fi
	c_models_again "$1: killed after ${d}s" "$1" "$2" want.models
}

# c_log_crash SCRIPT INPUT CUTS: ./SCRIPT DB FILE logs one row a record
# of FILE (JSONL, or CSV with a header when c_header=1) in the table
# c_log_table (decisions by default) of DB, a copy of ./base.db, in
# batches of 1000.  Killed while its input pauses after each of CUTS
# lines, it has logged every record read and nothing more; killed at
# c_nrandom (1) random moments, whole batches; run again, it logs what a
# clean run logs.
# The log is append-only (crm-store(5): one row per decision made), so
# the killed run's rows stay, before the new run's.
c_log_table=decisions
c_log_cols='tool, model, model_version, record_key, output, score, reasons'
c_header=0
c_nrandom=1

c_log() {
	c_q "$1" "SELECT $c_log_cols FROM $c_log_table WHERE id > $c_log_base
	    ORDER BY id"
}

c_log_again() {
	t_eq "$1: integrity" ok "$(c_q k.db 'PRAGMA integrity_check')"
	timeout "$C_WAIT" "./$2" k.db "$3"
	c_log k.db >k.log
	cat killed clean.log >want.log
	t_ok "$1, run again: the killed run's rows, then a clean run's" \
	    cmp want.log k.log
	t_eq "$1, run again: integrity" ok \
	    "$(c_q k.db 'PRAGMA integrity_check')"
}

c_log_crash() {
	c_log_base=$(c_q base.db "SELECT coalesce(max(id), 0) FROM $c_log_table")
	c_copy base.db ref.db
	c_clean_time "./$1" ref.db "$2"
	c_log ref.db >clean.log
	c_total=$(($(wc -l <"$2") - c_header))
	t_eq "$1: a clean run logs every record" "$c_total" \
	    "$(wc -l <clean.log | tr -d ' ')"
	for cut in $3; do
		n=$((cut - c_header))
		c_copy base.db k.db
		c_feed "$2" "$cut"
		c_start "./$1" k.db fifo
		c_wait k.db "SELECT count(*) = $n FROM $c_log_table
		    WHERE id > $c_log_base" || true
		c_kill
		c_go
		c_log k.db >killed
		c_prefix "$n" clean.log
		t_eq "$1: killed after line $cut: mid-run, every record read" \
		    "1 $n 1" "$c_alive $(wc -l <killed | tr -d ' ') $c_whole"
		c_log_again "$1: killed after line $cut" "$1" "$2"
	done
	for d in $(c_delays "$c_nrandom"); do
		c_copy base.db k.db
		c_start "./$1" k.db "$2"
		sleep "$d"
		c_kill
		c_log k.db >killed
		n=$(wc -l <killed)
		c_prefix "$n" clean.log
		t_eq "$1: killed after ${d}s: whole batches ($n rows)" 1 \
		    "$(((n % 1000 == 0 || n == c_total) && c_whole))"
		c_log_again "$1: killed after ${d}s" "$1" "$2"
	done
}
