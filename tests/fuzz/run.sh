#!/bin/sh
# run.sh NAME SECONDS MAXLEN MERGE: run harness build/fuzz/bin/fuzz_NAME
# for SECONDS (make fuzz).  It runs in libFuzzer's fork mode with one
# worker, so a crash, timeout or out-of-memory is saved to
# build/fuzz/artifacts/NAME and the run goes on.  Seeds: the committed
# corpus tests/fuzz/corpus/NAME; new inputs go to build/fuzz/work/NAME,
# and with MERGE=1 into the committed corpus too (-merge=1: only inputs
# that add coverage).  Prints one summary line; the whole log is
# build/fuzz/logs/NAME.log.  Exits 1 when something was found.
set -u
name=$1 secs=$2 maxlen=$3 merge=${4:-0}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
bin=build/fuzz/bin/fuzz_$name
corpus=tests/fuzz/corpus/$name
work=build/fuzz/work/$name
art=build/fuzz/artifacts/$name
log=build/fuzz/logs/$name.log
mkdir -p "$corpus" "$work" "$art" build/fuzz/logs
set -- -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$maxlen" -artifact_prefix="$art/" -print_final_stats=1
[ -f "tests/fuzz/$name.dict" ] && set -- "$@" -dict="tests/fuzz/$name.dict"
count() { find "$1" -maxdepth 1 -type f | wc -l | tr -d ' '; }
seeds=$(count "$corpus")
found0=$(count "$art")
"$bin" "$@" "$work" "$corpus" >"$log" 2>&1
rc=$?
# the last status line: "#N: cov: C ft: F corp: U exec/s E oom/timeout/crash: a/b/c"
last=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1)
execs=$(echo "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
otc=$(echo "$last" | sed -n 's|.*oom/timeout/crash: \([0-9/]*\).*|\1|p')
new=$(count "$work")
found=$(($(count "$art") - found0))
if [ "$merge" = 1 ]; then
	"$bin" -merge=1 -max_len="$maxlen" "$corpus" "$work" >>"$log" 2>&1
fi
echo "fuzz_$name: ${secs}s, ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}," \
    "corpus $seeds -> $(count "$corpus") (work $new)," \
    "oom/timeout/crash ${otc:-?}, $found new artifacts in $art (rc $rc)"
for f in "$art"/*; do
	[ -f "$f" ] || continue
	echo "  $f"
done
[ "$found" = 0 ]
