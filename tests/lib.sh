# lib.sh: sourced by every end-to-end test in tests/cli.  Runs each case in
# a fresh temporary directory (removed on exit) where `in` points at the
# tool's testdata folder, so messages name files as in/NAME.  Each check
# prints one TAP line; a failure prints the command and a diff.
#
#   t_run NAME RC [--stdin FILE] -- CMD ARGS...
#	run CMD, expect exit status RC, and compare its stdout and stderr
#	with testdata/TOOL/NAME.out and NAME.err (a missing file means
#	"expect nothing"); GOLDEN=1 writes those files instead.
#   t_ok NAME CMD ARGS...	the command must succeed
#   t_eq NAME WANT GOT		two strings must be equal
#   t_done			end the script: exit 1 if any check failed
set -eu
export LC_ALL=C TZ=UTC
unset CRM_DB || true
: "${BIN:?BIN must name the directory of the binaries}"
: "${TOP:?TOP must name the source tree}"
PATH="$BIN:$PATH"
export PATH

t_tmp=$(mktemp -d)
trap 'rm -rf "$t_tmp"' EXIT
t_n=0
t_failed=0

# t_use TOOL: the testdata folder of this script, linked as ./in.
t_use() {
	T_DATA="$TOP/testdata/$1"
	ln -sfn "$T_DATA" "$t_tmp/in"
	cd "$t_tmp"
}

t_pass() {
	t_n=$((t_n + 1))
	echo "ok $t_n - $1"
}

t_fail() {
	t_n=$((t_n + 1))
	t_failed=$((t_failed + 1))
	echo "not ok $t_n - $1"
}

t_run() {
	name=$1 want=$2 stdin=/dev/null
	shift 2
	if [ "$1" = --stdin ]; then
		stdin=$2
		shift 2
	fi
	[ "$1" = -- ] && shift
	set +e
	"$@" <"$stdin" >"$t_tmp/out" 2>"$t_tmp/err"
	got=$?
	set -e
	if [ "${GOLDEN:-0}" = 1 ]; then
		for s in out err; do
			if [ -s "$t_tmp/$s" ]; then
				cp "$t_tmp/$s" "$T_DATA/$name.$s"
			else
				rm -f "$T_DATA/$name.$s"
			fi
		done
	fi
	ok=1
	[ "$got" = "$want" ] || ok=0
	for s in out err; do
		exp="$T_DATA/$name.$s"
		[ -f "$exp" ] || exp=/dev/null
		cmp -s "$exp" "$t_tmp/$s" || ok=0
	done
	if [ "$ok" = 1 ]; then
		t_pass "$name"
		return 0
	fi
	t_fail "$name"
	echo "#   command: $* < $stdin"
	echo "#   exit status: want $want, got $got"
	for s in out err; do
		exp="$T_DATA/$name.$s"
		[ -f "$exp" ] || exp=/dev/null
		diff -u "$exp" "$t_tmp/$s" | head -40 | sed 's/^/#   /' || true
	done
}

t_ok() {
	name=$1
	shift
	if "$@" >"$t_tmp/out" 2>&1; then
		t_pass "$name"
	else
		t_fail "$name"
		echo "#   command: $*"
		head -20 "$t_tmp/out" | sed 's/^/#   /'
	fi
}

t_eq() {
	if [ "$2" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		echo "#   want: $2"
		echo "#   got:  $3"
	fi
}

t_done() {
	echo "1..$t_n"
	[ "$t_failed" = 0 ]
}
