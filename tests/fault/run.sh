#!/bin/sh
# run.sh: the fault-injection loop (tests/fault/README).
#
#   tests/fault/run.sh BUILD	(BUILD: the fault build, e.g. build/fault)
#
# For each case (crm-ingest into a new store; crm-churn train into a store
# and into a model file) a clean run gives the allocation count C, the
# status, the output and the store; then the Nth allocation is made to fail
# for N = 1..C, once and persistently (every allocation from the Nth on).
# Write failures follow: standard output and the rejects on /dev/full,
# every file size limit (ulimit -f) in steps of 4 KB with SIGXFSZ ignored
# and with it at its default (fatal; the tools ignore it themselves), and a store on a tmpfs of every size in steps of 4 KB
# (when a tmpfs can be mounted).  Each failure must end with a status that
# crm-ingest(1) and crm-churn(1) document for it, one new line on stderr
# naming the tool for each output that failed, no sanitizer report, and a
# store that passes PRAGMA integrity_check and holds only what a clean run
# stores; a run that exits as the clean one did must have its output and
# store.
#
# FAULT_STRIDE=K runs every Kth N only after the first FAULT_EVERY (300),
# FAULT_BLOCKS=B steps the size limits by B blocks of 512 bytes (8), as
# make check does to keep short; FAULT_FIRST=N starts the allocation loops
# at N; FAULT_CASES, FAULT_MODES (once after) and FAULT_WRITES=0 (no write
# failures) pick parts of the loop; FAULT_KEEP=DIR keeps the files of the
# first 20 failures.
set -u
export LC_ALL=C TZ=UTC
unset CRM_DB CRM_FAULT_ALLOC CRM_FAULT_MODE CRM_FAULT_COUNT || true
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "${1:?usage: run.sh BUILD}/bin" && pwd)
STRIDE=${FAULT_STRIDE:-1}
EVERY=${FAULT_EVERY:-300}
BLOCKS=${FAULT_BLOCKS:-8}
KB=$((BLOCKS / 2))
# A sanitizer report aborts (status 134) rather than exiting 1; leaks on
# the paths that exit at once are not the point here.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1

tmp=$(mktemp -d)
mnt=
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
ln -s "$TOP/testdata" "$tmp/in"
failures=0
kept=0

# ---- the cases --------------------------------------------------------------

# case_NAME: set TOOL, ARGS (relative to the run directory), SEED (a store
# copied in before each run, or empty), TABLES (compared with the clean
# run's, "table:columns"), FILE (an output file compared whole, or empty).
case_ingest() {
	TOOL=crm-ingest SEED= FILE=rej.csv
	ARGS="-q --batch 2 --db crm.db --rejects rej.csv in/ingest/customers.csv in/ingest/bad.csv"
	TABLES="customers:*"
}
case_churn_db() {
	TOOL=crm-churn SEED=$tmp/seed.db FILE=
	ARGS="train -q --algo lr --db crm.db --label-field Churn --id-field customerID in/churn/telco-like.csv"
	TABLES="models:name,version,kind,params,blob customers:*"
}
case_churn_file() {
	TOOL=crm-churn SEED= FILE=m.model
	ARGS="train -q --algo lr --model-file m.model --label-field Churn --id-field customerID in/churn/telco-like.csv"
	TABLES=
}
CASES="ingest churn_db churn_file"

# ---- one run ----------------------------------------------------------------

# prep DIR: a fresh run directory.
prep() {
	rm -rf "$1"
	mkdir -p "$1"
	ln -s "$tmp/in" "$1/in"
	[ -n "$SEED" ] && cp "$SEED" "$1/crm.db"
	:
}

# run DIR [env...]: the case's command in DIR; sets RC.
run() {
	d=$1
	shift
	# shellcheck disable=SC2086
	(cd "$d" && exec env "$@" "$BIN/$TOOL" $ARGS >out 2>"$tmp/err.all")
	RC=$?
	grep -v '^fault: ' "$tmp/err.all" >"$tmp/err"
	HIT=$(sed -n 's/^fault: [0-9]* allocations, \([0-9]*\) failed$/\1/p' \
	    "$tmp/err.all")
}

# q DIR SQL: one value from DIR's store.
q() {
	sqlite3 -batch -noheader "$1/crm.db" "$2" 2>&1
}

# store_check DIR: IC, the result of DIR's PRAGMA integrity_check ("ok"
# when there is no store), and DIFF, for each table of TABLES, the number
# of its rows not in the clean store and the number of the clean store's
# rows not in it ("0 0 " when they hold the same).
store_check() {
	IC=ok DIFF=
	[ -s "$1/crm.db" ] || {
		IC=ok
		DIFF=absent
		return
	}
	r=$(q "$1" "PRAGMA integrity_check; SELECT ' ' ||
	    coalesce(group_concat(name, ' '), '') || ' .' FROM sqlite_master
	    WHERE type = 'table'")
	IC=$(printf '%s\n' "$r" | sed '$d')
	have=$(printf '%s\n' "$r" | sed -n '$p')
	[ "$IC" = ok ] || return
	sql="ATTACH '$tmp/clean/crm.db' AS clean; SELECT ''"
	for t in $TABLES; do
		name=${t%%:*} cols=${t#*:}
		b="SELECT $cols FROM clean.$name"
		case $have in
		*" $name "*)
			a="SELECT $cols FROM main.$name"
			sql="$sql || (SELECT count(*) FROM ($a EXCEPT $b)) || ' '"
			sql="$sql || (SELECT count(*) FROM ($b EXCEPT $a)) || ' '"
			;;
		*)
			sql="$sql || '0 ' || (SELECT count(*) FROM clean.$name) || ' '"
			;;
		esac
	done
	DIFF=$(q "$1" "$sql")
}

# verdict DIR ALLOWED: why the run in DIR is wrong, or nothing.
verdict() {
	d=$1
	case " $2 " in
	*" $RC "*) ;;
	*)
		echo "exit status $RC"
		return
		;;
	esac
	if grep -q -E 'Sanitizer|runtime error|^Segmentation|Aborted' "$tmp/err"; then
		echo "sanitizer report"
		return
	fi
	# The lines the clean run did not print: at most one, naming the tool.
	new=$(grep -v -x -F -f "$tmp/clean.err" "$tmp/err" 2>/dev/null ||
	    true)
	[ -s "$tmp/clean.err" ] || new=$(cat "$tmp/err")
	n=$(printf '%s' "$new" | grep -c '' || true)
	if [ "$RC" != "$CLEAN_RC" ] && [ "$RC" != 153 ] && [ "$n" = 0 ]; then
		echo "status $RC without a message"
		return
	fi
	# One line for each output that failed (the store, the rejects,
	# the model file, standard output), each naming the tool.
	bad=$(printf '%s\n' "$new" | awk -v tool="$TOOL: " '
	    $0 == "" { next }
	    index($0, tool) != 1 { print "message not from the tool: " $0; exit }
	    { s = "other" }
	    /crm\.db/ { s = "the store" }
	    /rej\.csv/ { s = "the rejects" }
	    /m\.model/ { s = "the model file" }
	    /standard output/ { s = "standard output" }
	    seen[s]++ { print "two lines about " s; exit }')
	if [ -n "$bad" ]; then
		echo "$bad"
		return
	fi
	DIFF=
	if [ -n "$TABLES" ]; then
		store_check "$d"
		if [ "$IC" != ok ]; then
			echo "integrity_check: $IC"
			return
		fi
		# Odd places: rows the clean store does not hold.
		set -- $DIFF
		while [ $# -ge 2 ]; do
			if [ "$1" != 0 ]; then
				echo "rows not in the clean store: $DIFF"
				return
			fi
			shift 2
		done
	fi
	if [ "$RC" = "$CLEAN_RC" ] && [ "$RC" != 153 ]; then
		cmp -s "$d/out" "$tmp/clean/out" || {
			echo "status $RC but not the clean output"
			return
		}
		if [ -n "$FILE" ] &&
		    ! cmp -s "$d/$FILE" "$tmp/clean/$FILE"; then
			echo "status $RC but $FILE is not the clean one"
			return
		fi
		case $DIFF in
		"" | *[!0\ ]*)
			[ -n "$TABLES" ] && {
				echo "status $RC but rows lost: $DIFF"
				return
			}
			;;
		esac
	fi
	# A model file is whole or absent.
	if [ -n "$FILE" ] && [ "$FILE" = m.model ] && [ -e "$d/$FILE" ] &&
	    ! cmp -s "$d/$FILE" "$tmp/clean/$FILE"; then
		echo "a partial $FILE"
		return
	fi
	# No temporary is left (but
	# for a kill by SIGXFSZ, which leaves one as kill -9 would).
	[ "$RC" = 153 ] && return
	left=$(cd "$d" && ls -A | grep -v -x -E 'in|out|crm\.db(-wal|-shm|-journal)?|rej\.csv' |
	    grep -v -x -F "$FILE" || true)
	if [ -n "$left" ]; then
		echo "left behind: $left"
		return
	fi
}

# judge LABEL DIR ALLOWED: count the run, report it when wrong.
judge() {
	why=$(verdict "$2" "$3")
	if [ -z "$why" ]; then
		handled=$((handled + 1))
		return
	fi
	failures=$((failures + 1))
	echo "FAIL $TOOL ($c) $1: $why"
	sed -n '1,3s/^/	stderr: /p' "$tmp/err"
	if [ -n "${FAULT_KEEP:-}" ] && [ "$kept" -lt 20 ]; then
		kept=$((kept + 1))
		mkdir -p "$FAULT_KEEP"
		k=$FAULT_KEEP/$c-$(echo "$1" | tr ' =/()' '_____')
		cp -R "$2" "$k"
		cp "$tmp/err" "$k/err"
	fi
}

# The statuses each kind of failure may end with: as it was, or the
# documented code for running out of memory (70) or for a file that
# cannot be written (73 create, 74 write).
ALLOC_OK="70"
WRITE_OK="73 74"

clean_run() {
	prep "$tmp/clean"
	run "$tmp/clean" CRM_FAULT_COUNT=1
	CLEAN_RC=$RC
	cp "$tmp/err" "$tmp/clean.err"
	COUNT=$(sed -n 's/^fault: \([0-9]*\) allocations.*/\1/p' \
	    "$tmp/err.all")
	case $CLEAN_RC in
	0 | 65) ;;
	*)
		echo "fault: $TOOL ($c): the clean run exits $CLEAN_RC:"
		cat "$tmp/clean.err"
		exit 1
		;;
	esac
}

# ---- allocation failures ----------------------------------------------------

alloc_loop() {
	mode=$1
	injected=0 handled=0 n=${FAULT_FIRST:-1} runs=0
	while [ "$n" -le "$COUNT" ]; do
		prep "$tmp/run"
		run "$tmp/run" CRM_FAULT_COUNT=1 CRM_FAULT_ALLOC=$n \
		    CRM_FAULT_MODE="$mode"
		runs=$((runs + 1))
		if [ "${HIT:-0}" -gt 0 ] || [ -z "$HIT" ]; then
			injected=$((injected + 1))
			judge "alloc $mode N=$n" "$tmp/run" "$CLEAN_RC $ALLOC_OK"
		fi
		if [ "$n" -lt "$EVERY" ]; then
			n=$((n + 1))
		else
			n=$((n + STRIDE))
		fi
	done
	echo "fault: $TOOL ($c): allocation failures ($mode):" \
	    "N=${FAULT_FIRST:-1}..$COUNT" \
	    "$( [ "$STRIDE" -gt 1 ] && echo "(every N to $EVERY, then every $STRIDE)")," \
	    "$runs runs, $injected injected, $handled handled"
}

# ---- write failures ---------------------------------------------------------

# Standard output on a full device.
full_stdout() {
	injected=1 handled=0
	prep "$tmp/run"
	# shellcheck disable=SC2086
	(cd "$tmp/run" && exec "$BIN/$TOOL" $ARGS >/dev/full 2>"$tmp/err")
	RC=$?
	cp "$tmp/clean/out" "$tmp/run/out"
	# Nothing written to standard output: nothing to fail.
	if [ -s "$tmp/clean/out" ]; then
		judge "stdout on /dev/full" "$tmp/run" "74"
	else
		judge "stdout on /dev/full" "$tmp/run" "$CLEAN_RC"
	fi
	echo "fault: $TOOL ($c): stdout on /dev/full: $injected injected," \
	    "$handled handled (status $RC)"
}

# The rejects file on a full device.
full_rejects() {
	case " $ARGS " in
	*" --rejects rej.csv "*) ;;
	*) return ;;
	esac
	injected=1 handled=0
	prep "$tmp/run"
	# shellcheck disable=SC2086
	(cd "$tmp/run" &&
	    exec "$BIN/$TOOL" $(echo " $ARGS " | sed 's| rej\.csv | /dev/full |') \
	    >out 2>"$tmp/err")
	RC=$?
	# What the loop expects: a failure to write the rejects.
	sed 's|/dev/full|rej.csv|' "$tmp/err" >"$tmp/err.all"
	mv "$tmp/err.all" "$tmp/err"
	judge "rejects on /dev/full" "$tmp/run" "74"
	echo "fault: $TOOL ($c): rejects on /dev/full: $injected injected," \
	    "$handled handled (status $RC)"
}

# Every file size limit, in 512-byte blocks, until the clean run fits.
fsize_loop() {
	xfsz=$1
	injected=0 handled=0 lim=0
	while :; do
		prep "$tmp/run"
		# Standard error through a pipe, which the limit does not
		# cover: the message must get out.
		# shellcheck disable=SC2086
		{
			(cd "$tmp/run" && trap "$xfsz" XFSZ &&
			    ulimit -f "$lim" &&
			    exec "$BIN/$TOOL" $ARGS >out) 2>&1
			echo $? >"$tmp/rc"
		} 2>/dev/null | cat >"$tmp/err"
		RC=$(cat "$tmp/rc")
		if [ "$RC" = "$CLEAN_RC" ] && [ -z "$(verdict "$tmp/run" "$RC")" ]; then
			break
		fi
		injected=$((injected + 1))
		# The tools ignore SIGXFSZ themselves (crm_cli_init), so a
		# default (fatal) disposition must give a reported error too.
		if [ "$xfsz" = - ]; then
			judge "ulimit -f $lim (SIGXFSZ default)" "$tmp/run" \
			    "$CLEAN_RC $WRITE_OK"
		else
			judge "ulimit -f $lim" "$tmp/run" "$CLEAN_RC $WRITE_OK"
		fi
		last=$lim
		# Block by block while a rejects or model file may fit.
		if [ "$lim" -lt 8 ]; then
			lim=$((lim + 1))
		else
			lim=$((lim + BLOCKS))
		fi
		# 10 MB, tried last when the step jumps past it.
		if [ "$lim" -gt 20480 ] && [ "$last" -lt 20480 ]; then
			lim=20480
		elif [ "$lim" -gt 20480 ]; then
			echo "FAIL $TOOL ($c): no end to the ulimit -f loop"
			failures=$((failures + 1))
			break
		fi
	done
	echo "fault: $TOOL ($c): ulimit -f 0..$lim (by 1 block to 8, then by $BLOCKS)," \
	    "SIGXFSZ $( [ "$xfsz" = - ] && echo default || echo ignored):" \
	    "$injected injected, $handled handled"
}

# The run's directory on a tmpfs of every size, in 4 KB steps, until the
# clean run fits.
tmpfs_loop() {
	injected=0 handled=0
	mnt=$tmp/mnt
	mkdir -p "$mnt"
	kb=4
	[ -n "$SEED" ] && kb=$((($(wc -c <"$SEED") + 4095) / 4096 * 4 + 4))
	# First with the rest of the tmpfs taken by another file.
	fill=1
	while :; do
		if ! mount -t tmpfs -o "size=${kb}k" tmpfs "$mnt" 2>/dev/null; then
			echo "fault: $TOOL ($c): tmpfs: cannot mount one here" \
			    "(not permitted): the full disk is covered by" \
			    "ulimit -f only"
			mnt=
			return
		fi
		prep "$mnt/run"
		# Standard output elsewhere (/dev/full covers it), and the
		# store checked on a copy: a full disk has no room for the
		# checker's own -shm.
		ln -s "$tmp/out" "$mnt/run/out"
		[ "$fill" = 1 ] && cat /dev/zero >"$mnt/fill" 2>/dev/null
		run "$mnt/run"
		rm -rf "$tmp/run"
		cp -R "$mnt/run" "$tmp/run"
		rm -f "$tmp/run/out"
		mv "$tmp/out" "$tmp/run/out"
		umount "$mnt"
		if [ "$fill" = 1 ]; then
			injected=$((injected + 1))
			judge "tmpfs of ${kb}k filled up" "$tmp/run" \
			    "$CLEAN_RC $WRITE_OK"
			fill=0
			continue
		fi
		if [ "$RC" = "$CLEAN_RC" ] && [ -z "$(verdict "$tmp/run" "$RC")" ]; then
			break
		fi
		injected=$((injected + 1))
		judge "tmpfs of ${kb}k" "$tmp/run" "$CLEAN_RC $WRITE_OK"
		last=$kb
		kb=$((kb + KB))
		if [ "$kb" -gt 8192 ] && [ "$last" -lt 8192 ]; then
			kb=8192
		elif [ "$kb" -gt 8192 ]; then
			echo "FAIL $TOOL ($c): no end to the tmpfs loop"
			failures=$((failures + 1))
			break
		fi
	done
	mnt=
	echo "fault: $TOOL ($c): full tmpfs (filled up, then up to ${kb}k" \
	    "by ${KB}k):" \
	    "$injected injected, $handled handled"
}

# ---- the loop ---------------------------------------------------------------

# The store crm-churn trains into: the customers of a clean crm-ingest.
(cd "$tmp" && "$BIN/crm-ingest" -q --db seed.db in/ingest/customers.csv \
    >/dev/null 2>&1) || {
	echo "fault: cannot make the seed store"
	exit 1
}
rm -f "$tmp/seed.db-wal" "$tmp/seed.db-shm"

for c in ${FAULT_CASES:-$CASES}; do
	"case_$c"
	clean_run
	echo "fault: $TOOL ($c): clean run: $COUNT allocations, status $CLEAN_RC"
	for m in ${FAULT_MODES:-once after}; do
		alloc_loop "$m"
	done
	[ "${FAULT_WRITES:-1}" = 1 ] || continue
	full_stdout
	full_rejects
	fsize_loop ''
	fsize_loop -
	tmpfs_loop
done
if [ "$failures" -gt 0 ]; then
	echo "fault: $failures failures not handled"
	exit 1
fi
echo "fault: every injected failure handled"
