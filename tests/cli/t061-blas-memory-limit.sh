# OpenBLAS under a memory limit (issue 15, defect 4): its work buffer (128
# MiB a thread) that does not fit used to hang crm-recommend train (EASE in
# spotrf, ALS in sposv), the scoring of an ALS model, and crm-tag's
# k-means.  Now EASE falls back to kNN, and the others stop with a
# message naming the limit.  Each run has a timeout, so a hang fails.
. "$TOP/tests/lib.sh"
t_use recommend

# ASan reserves terabytes of address space: no ulimit -v for it.
if nm "$BIN/crm-recommend" 2>/dev/null | grep -q __asan_init; then
	echo "ok 1 - ulimit -v cases # SKIP built with AddressSanitizer"
	echo "1..1"
	exit 0
fi

# limited KIB CMD...: CMD under ulimit -v KIB, with OpenBLAS's default
# threads (one a core), killed after 60 seconds (status 124).
limited() {
	(
		unset OPENBLAS_NUM_THREADS GOTO_NUM_THREADS OMP_NUM_THREADS
		ulimit -v "$1" || exit 99
		shift
		exec timeout 60 "$@"
	)
}

# one KIB CMD...: the same with one OpenBLAS thread, so that the buffers
# needed (one) do not depend on the machine's cores.
one() {
	(
		OPENBLAS_NUM_THREADS=1
		export OPENBLAS_NUM_THREADS
		ulimit -v "$1" || exit 99
		shift
		exec timeout 60 "$@"
	)
}

# one_d KIB CMD...: the same under ulimit -d (private writable mappings).
one_d() {
	(
		OPENBLAS_NUM_THREADS=1
		export OPENBLAS_NUM_THREADS
		ulimit -d "$1" || exit 99
		shift
		exec timeout 60 "$@"
	)
}

crm-recommend train -q --algo als --model-file als.model in/two-groups.csv

# 150000 KiB leave too little for one buffer beside the libraries.
t_run limit-ease 0 -- one 150000 crm-recommend train -q --model-file m.model \
    in/two-groups.csv
crm-recommend train -q --algo knn --model-file k.model in/two-groups.csv
crm-recommend -q --model-file k.model in/customers.csv >k.out
crm-recommend -q --model-file m.model in/customers.csv >m.out 2>&1 || true
t_ok "limit-ease: the model recommends as knn's" cmp k.out m.out
t_run limit-ease-eval 0 -- one 150000 crm-recommend eval -q --top 2 \
    in/two-groups.csv
t_run limit-als 70 -- one 150000 crm-recommend train -q --algo als \
    --model-file a.model in/two-groups.csv
t_ok "limit-als: no model written" test ! -e a.model
t_run limit-als-score 70 -- one 150000 crm-recommend -q \
    --model-file als.model in/customers.csv
t_run limit-data-ease 0 -- one_d 60000 crm-recommend train -q \
    --model-file d.model in/two-groups.csv
t_run limit-kmeans 70 -- one 150000 crm-tag -q --kmeans 3 \
    --fields visits,spend "$TOP/testdata/tag/points.csv"

# 230000 KiB: room for a program, its libraries (libcrypto among them since
# the audit chain) and OpenBLAS's start-up, not for two 128 MiB buffers;
# at 200000 OpenBLAS's helper no longer fitted at start-up and hung at exit.
# The limit of the report, with OpenBLAS's own threads: on two cores
# (this machine), a helper thread's buffer and the caller's.  On many
# cores the helpers' own buffers do not fit at start-up, and OpenBLAS
# hangs at exit whatever crmkit does: not run there.
norm() {
	sed -e "s/OpenBLAS's [0-9]* work buffers of 128 MiB (one a thread)/OpenBLAS's N work buffers/" \
	    -e "s/OpenBLAS's 128 MiB work buffer/OpenBLAS's N work buffers/"
}
if [ "$(nproc 2>/dev/null || echo 99)" -le 2 ]; then
	set +e
	limited 230000 crm-recommend train -q --model-file m2.model \
	    in/two-groups.csv 2>err
	t_eq "ulimit -v 230000: ease falls back" "0 crm-recommend: 10 items: ease: no room for OpenBLAS's N work buffers under the address-space limit of 230000 KiB (ulimit -v); fitted knn with 100 neighbours instead" \
	    "$? $(norm <err)"
	limited 230000 crm-recommend train -q --algo als --model-file a.model \
	    in/two-groups.csv 2>err
	t_eq "ulimit -v 230000: als stops" "70 crm-recommend: als: no room for OpenBLAS's N work buffers under the address-space limit of 230000 KiB (ulimit -v)" \
	    "$? $(norm <err)"
	limited 230000 crm-tag -q --kmeans 3 --fields visits,spend \
	    "$TOP/testdata/tag/points.csv" >/dev/null 2>err
	t_eq "ulimit -v 230000: k-means stops" "70 crm-tag: k-means: no room for OpenBLAS's N work buffers under the address-space limit of 230000 KiB (ulimit -v)" \
	    "$? $(norm <err)"
	set -e
else
	t_n=$((t_n + 1))
	echo "ok $t_n - ulimit -v 230000 cases # SKIP more than two cores"
fi
t_done
