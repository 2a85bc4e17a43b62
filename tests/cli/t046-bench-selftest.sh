# The benchmarks' own checkers and data, in make check: eval-dedupe.py's
# pairwise scores on hand-counted cases, bench_common.py's check that stops
# a benchmark whose crmkit figure its own output does not bear out, and
# gen-dedupe.py's data (deterministic, phones and e-mails shared by
# distinct persons, none with --no-shared), bench-churn-peers.py's folds of
# any data set (CRLF and LF files in turn, ids, --positive), and
# bench-churn.sh's usage errors.  Each
# self-test prints one line a case, "ok CASE: ..." or "FAIL CASE: ...",
# and exits 0 only when all passed; each case becomes a TAP line here, and
# a self-test that ran no case fails.
. "$TOP/tests/lib.sh"

py=/usr/bin/python3

# selftest NAME SCRIPT: run SCRIPT --self-test and report its cases.
selftest() {
	name=$1 script=$TOP/scripts/$2
	rc=0
	PYTHONDONTWRITEBYTECODE=1 "$py" "$script" --self-test \
	    >"$t_tmp/self.out" 2>&1 || rc=$?
	cases=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			cases=$((cases + 1))
			line=${line#ok }
			t_pass "$name: ${line%%:*}"
			;;
		"FAIL "*)
			cases=$((cases + 1))
			line=${line#FAIL }
			t_fail "$name: ${line%%:*}"
			echo "#   $line"
			;;
		*) echo "#   $line" ;;
		esac
	done <"$t_tmp/self.out"
	t_eq "$name: exit status of --self-test" 0 "$rc"
	t_eq "$name: ran at least one case" yes \
	    "$([ "$cases" -gt 0 ] && echo yes || echo "no ($cases)")"
}

if [ ! -x "$py" ]; then
	t_fail "$py is missing (scripts/install-deps.sh installs python3)"
	t_done
fi
selftest eval-dedupe eval-dedupe.py
selftest bench_common bench_common.py
selftest gen-dedupe gen-dedupe.py
selftest bench-churn-peers bench-churn-peers.py

# bench-churn.sh's arguments: usage errors exit 64 before any data is read.
churn_usage() {
	name=$1
	shift
	rc=0
	"$TOP/scripts/bench-churn.sh" "$@" >"$t_tmp/out" 2>"$t_tmp/err" || rc=$?
	t_eq "bench-churn.sh $name: exit status" 64 "$rc"
	t_eq "bench-churn.sh $name: usage on stderr" yes \
	    "$(grep -q '^usage: bench-churn.sh' "$t_tmp/err" && echo yes || echo no)"
}
churn_usage "--data without --label" --data x.csv
churn_usage "--label without --data" --label Churn
churn_usage "--dataset with --data" --dataset bigml --data x.csv --label y
churn_usage "unknown --dataset" --dataset nope
churn_usage "unknown option" --bogus
churn_usage "--id without a value" --data x.csv --label y --id
churn_usage "--score-records not a number" --score-records 1e5
t_done
