# The fuzz corpora (tests/fuzz/corpus/NAME), replayed through their
# harnesses by the programs of this build (BIN/../tests/fuzz_NAME, made
# by make test with the build's own compiler and flags, so also under
# ASan and UBSan in build/asan): every input the fuzzer kept, and every
# crash it found once, must run clean.  Deterministic: no fuzzing here.
. "$TOP/tests/lib.sh"

for d in "$TOP"/tests/fuzz/corpus/*/; do
	name=$(basename "$d")
	prog=$(dirname "$BIN")/tests/fuzz_$name
	if [ ! -x "$prog" ]; then
		t_fail "fuzz replay $name (no $prog: make fuzz-replay)"
		continue
	fi
	set +e
	n=$("$prog" "$d" 2>"$t_tmp/err")
	rc=$?
	set -e
	want=$(find "$d" -maxdepth 1 -type f ! -name '.*' | wc -l | tr -d ' ')
	if [ "$rc" = 0 ] && [ "$n" = "$want" ] && [ ! -s "$t_tmp/err" ]; then
		t_pass "fuzz replay $name ($n inputs)"
	else
		t_fail "fuzz replay $name"
		echo "#   command: $prog $d"
		echo "#   exit status $rc, $n of $want inputs"
		head -30 "$t_tmp/err" | sed 's/^/#   /'
	fi
done
t_done
