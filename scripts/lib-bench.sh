# shellcheck shell=bash
# lib-bench.sh: helpers the peer benchmarks share, sourced after the
# script sets bench (its name in messages, e.g. "bench-intent").  Not
# named bench-*.sh, which `make bench` runs.
: "${bench:?set bench before sourcing lib-bench.sh}"

die() {
	echo "$bench: $*" >&2
	exit 1
}

progress() {
	echo "$bench: $*" >&2
}

# missing WHAT: a benchmark peer is not installed.
missing() {
	echo "$bench: $1 is missing; scripts/install-deps.sh --bench installs it" >&2
	exit 69
}

# crm_bin TOOL: set crm to $CRM_BIN when set, else to build/bin/TOOL
# (made first by make in $root, which the script sets); die when it is
# not executable.
crm_bin() {
	if [ -n "${CRM_BIN:-}" ]; then
		crm=$CRM_BIN
	else
		make -s -C "${root:?}" >&2
		crm=$root/build/bin/$1
	fi
	[ -x "$crm" ] || die "no $crm"
}

# timed IN CMD...: run CMD with stdin from IN and stdout to file descriptor
# 3 (which the caller opens); print its wall seconds.
timed() {
	local in=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" <"$in" >&3 || die "exit status $?: $*"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# median: the median of the numbers on standard input, one a line (the mean
# of the middle two for an even count).
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]
		      else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
