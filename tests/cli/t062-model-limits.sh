# Model files past the most bytes their kind may have are refused before
# they are read (fstat), with the size and the limit (crm(7)): 1000000000
# bytes (the store's own blob limit), 8 GiB for crm-recommend.  The files
# are sparse, so the test costs no disk; a tool that read them instead
# would run out of the 4 GB it is given here.
. "$TOP/tests/lib.sh"
t_use churn

asan=0
nm "$BIN/crm-churn" 2>/dev/null | grep -q __asan_init && asan=1

# guarded CMD...: CMD with at most 4 GB of address space (not for ASan,
# which reserves terabytes).
guarded() {
	(
		[ "$asan" = 1 ] || ulimit -v 4000000 || exit 99
		exec "$@"
	)
}

truncate -s 1000000001 big.model
truncate -s 8589934593 huge.model
t_run size-churn 65 -- guarded crm-churn -q --model-file big.model \
    in/score.csv
t_run size-intent 65 -- guarded crm-intent -q --model-file big.model \
    "$TOP/testdata/intent/messages.jsonl"
t_run size-recommend 65 -- guarded crm-recommend -q --model-file huge.model \
    "$TOP/testdata/recommend/customers.csv"

# Headers that claim more than their bytes hold are refused before any
# allocation: so the unit test passes in 100 MB (one OpenBLAS thread, whose
# helpers would want 128 MiB each).
if [ "$asan" = 0 ] && [ -x "$BIN/../tests/test_model_limits" ]; then
	t_ok "damaged headers refused within 100 MB" sh -c \
	    'ulimit -v 100000 && OPENBLAS_NUM_THREADS=1 exec timeout 60 "$0"' \
	    "$BIN/../tests/test_model_limits"
fi
t_done
