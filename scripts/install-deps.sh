#!/bin/sh
# install-deps.sh: install the Debian (or Ubuntu) packages crmkit needs.
#
#   scripts/install-deps.sh          install what is missing
#   scripts/install-deps.sh --check  exit 1 if anything is missing
#   scripts/install-deps.sh --bench  also the benchmark peers
#
# miller is for the tests: eval records piped to mlr, as crm-churn(1) shows;
# python3 too: the self-tests of the benchmarks' Python scripts; bsdutils
# for script(1), the terminal of the progress test (t105); tzdata for the
# time zones of business calendars and quiet hours (lib/calendar.c);
# parallel (GNU parallel) for the shards of crm-experiment's test (t120),
# of the shard contract (t132, t136) and scripts/shard-run.sh;
# chromium and fonts-noto-cjk for the browser test of crm-report's HTML
# (t131: headless, offline, CJK names drawn); locales for the decimal-comma
# locale t130 makes with localedef (numbers stay C's); libpcre2-dev for
# lib/entity.c's regular expressions, and pkg-config for its link flags.
# Idempotent: installed packages are left alone.  Works as root, or through
# sudo for another user.
set -eu

pkgs="gcc make libc6-dev libsqlite3-dev libcsv-dev
libutf8proc-dev libsvm-dev liblinear-dev libxgboost-dev libopenblas-dev liblapacke-dev
libxxhash-dev libuchardet-dev libssl-dev libgsl-dev sqlite3 mandoc clang-format miller python3 bsdutils
tzdata parallel chromium fonts-noto-cjk locales libpcre2-dev pkg-config jq"
bench_pkgs="time bc fasttext python3-sklearn python3-xgboost
python3-numpy python3-pandas"

check=0
case "${1:-}" in
--check) check=1 ;;
--bench) pkgs="$pkgs $bench_pkgs" ;;
"") ;;
*) echo "usage: install-deps.sh [--check | --bench]" >&2; exit 64 ;;
esac

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$check" = 1 ]; then
	echo "install-deps: missing:$missing"
	exit 1
fi

echo "install-deps: installing:$missing"
if [ "$(id -u)" = 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "install-deps: not root and no sudo; install:$missing" >&2
	exit 69
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: done"
