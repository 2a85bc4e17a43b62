#!/bin/sh
# run.sh NAME SECONDS MAXLEN MERGE: run harness build/fuzz/bin/fuzz_NAME
# for SECONDS (make fuzz), with one worker.  Seeds: the committed corpus
# tests/fuzz/corpus/NAME; new inputs go to build/fuzz/work/NAME (and with
# MERGE=1 into the committed corpus too, by -merge=1: only inputs that
# add coverage).  A crash, timeout or out-of-memory input is saved to
# build/fuzz/artifacts/NAME and the fuzzer started again, on the corpus
# it has grown, for the time left (rather than libFuzzer's fork mode,
# which spends most of its time starting jobs).  Prints one summary line;
# the logs are build/fuzz/logs/NAME.*.log.  Exits 1 when something was
# found.
set -u
name=$1 secs=$2 maxlen=$3 merge=${4:-0}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
bin=build/fuzz/bin/fuzz_$name
corpus=tests/fuzz/corpus/$name
work=build/fuzz/work/$name
art=build/fuzz/artifacts/$name
logs=build/fuzz/logs
mkdir -p "$corpus" "$work" "$art" "$logs"
rm -f "$logs/$name".*.log
set -- -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
    -artifact_prefix="$art/" -print_final_stats=1
[ -f "tests/fuzz/$name.dict" ] && set -- "$@" -dict="tests/fuzz/$name.dict"
count() { find "$1" -maxdepth 1 -type f | wc -l | tr -d ' '; }
seeds=$(count "$corpus")
found0=$(count "$art")
start=$(date +%s)
execs=0 runs=0 cov='' ft=''
while :; do
	left=$((start + secs - $(date +%s)))
	[ "$left" -ge 5 ] || break
	runs=$((runs + 1))
	log=$logs/$name.$runs.log
	"$bin" "$@" -max_total_time="$left" "$work" "$corpus" >"$log" 2>&1
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	execs=$((execs + ${n:-0}))
	# the last status line: "#N	(NEW|REDUCE|pulse|DONE) cov: C ft: F ..."
	last=$(grep -E '^#[0-9]+	.* cov: ' "$log" | tail -n 1)
	c=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	f=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	[ -n "$c" ] && cov=$c ft=$f
	grep -q -E '^#[0-9]+	DONE ' "$log" && break
	grep -q -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY: ' "$log" ||
		break # not a finding (killed, or failed to start)
done
new=$(count "$work")
found=$(($(count "$art") - found0))
if [ "$merge" = 1 ]; then
	"$bin" -merge=1 -max_len="$maxlen" "$corpus" "$work" \
	    >"$logs/$name.merge.log" 2>&1
fi
echo "fuzz_$name: $(($(date +%s) - start))s, $execs execs in $runs runs," \
    "cov ${cov:-?}, ft ${ft:-?}, corpus $seeds -> $(count "$corpus")" \
    "(+$new in $work), $found new artifacts in $art"
for f in "$art"/*; do
	[ -f "$f" ] || continue
	log=$(grep -l "$(basename "$f")" "$logs/$name".*.log | head -n 1)
	echo "  $(basename "$f"): $(grep -m 1 -E 'ERROR:|runtime error|fuzz check failed' "$log" 2>/dev/null)"
done
[ "$found" = 0 ]
