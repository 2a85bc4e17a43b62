#!/bin/sh
# run.sh BUILD_DIR: run the unit tests (BUILD_DIR/tests/test_*) and the
# end-to-end scripts (tests/cli/t*.sh) against BUILD_DIR/bin, and print one
# closing line "N passed, N failed".  Exit 1 if anything failed.
# GOLDEN=1 rewrites the expected outputs instead of comparing (make golden).
set -u
O=${1:?usage: tests/run.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
case $O in /*) ;; *) O=$top/$O ;; esac
export BIN="$O/bin" TOP="$top"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bad=0

for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# unit: $(basename "$t")"
	"$t" >"$log" 2>&1 || bad=1
	cat "$log"
	cat "$log" >>"$log.all"
done
for t in "$top"/tests/cli/t*.sh; do
	[ -f "$t" ] || continue
	echo "# cli: $(basename "$t")"
	sh "$t" >"$log" 2>&1 || bad=1
	cat "$log"
	cat "$log" >>"$log.all"
done
passed=$(grep -c '^ok ' "$log.all" 2>/dev/null || true)
failed=$(grep -c '^not ok ' "$log.all" 2>/dev/null || true)
rm -f "$log.all"
if [ "$bad" = 1 ] && [ "${failed:-0}" = 0 ]; then
	failed=1 # a test program died without saying which check
fi
echo "${passed:-0} passed, ${failed:-0} failed"
[ "$bad" = 0 ] && [ "${failed:-0}" = 0 ]
