#!/bin/sh
# run.sh BUILD_DIR: run the unit tests (BUILD_DIR/tests/test_*) and the
# end-to-end scripts (tests/cli/t*.sh) against BUILD_DIR/bin, and print one
# closing line "N passed, N failed".  Exit 1 if anything failed.
# GOLDEN=1 rewrites the expected outputs instead of comparing (make golden).
#
# The tests run JOBS at a time (default: the number of CPUs); each works in
# a temporary directory of its own.  Their outputs are printed whole, in
# the order of the list (the slowest first), as each is over: a reader sees
# one test's lines together, never two tests' interleaved.
set -u
O=${1:?usage: tests/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) ;; *) O=$top/$O ;; esac
export BIN="$O/bin" TOP="$top"
jobs=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# The list: the slowest scripts first (so that the CPUs finish together;
# a name here only orders, a test not named still runs), then every other
# program and script, each once.
{
	for t in t132-shard-contract t120-crm-experiment t121-crm-journey \
	    t117-person-360 t122-model-arms t104-replay t115-persons \
	    t005-examples t119-route-concurrency t103-models t108-audit \
	    t131-report-browser; do
		[ -f "$top/tests/cli/$t.sh" ] && echo "$top/tests/cli/$t.sh"
	done
	for t in "$O"/tests/test_*; do
		[ -x "$t" ] && echo "$t"
	done
	for t in "$top"/tests/cli/t*.sh; do
		[ -f "$t" ] && echo "$t"
	done
} | awk '!seen[$0]++' >"$logs/list"

# Run each test of the list into logs/N.out and its status into logs/N.rc.
awk '{ print NR " " $0 }' "$logs/list" |
	xargs -P "$jobs" -L 1 sh -c '
		case $2 in
		*.sh) sh "$2" >"$0/$1.out" 2>&1 ;;
		*) "$2" >"$0/$1.out" 2>&1 ;;
		esac
		echo $? >"$0/$1.rc"' "$logs" &
runner=$!

# Print each test's output in list order, as soon as it is over.
passed=0 failed=0 i=0
while read -r t; do
	i=$((i + 1))
	while [ ! -f "$logs/$i.rc" ] && kill -0 "$runner" 2>/dev/null; do
		sleep 0.2
	done
	case $t in
	*.sh) echo "# cli: $(basename "$t")" ;;
	*) echo "# unit: $(basename "$t")" ;;
	esac
	if [ ! -f "$logs/$i.rc" ]; then
		echo "not ok - $(basename "$t") did not run"
		failed=$((failed + 1))
		continue
	fi
	cat "$logs/$i.out"
	rc=$(cat "$logs/$i.rc")
	p=$(grep -c '^ok ' "$logs/$i.out")
	f=$(grep -c '^not ok ' "$logs/$i.out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		# it died without saying which check
		echo "not ok - $(basename "$t") exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done <"$logs/list"
wait "$runner"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
