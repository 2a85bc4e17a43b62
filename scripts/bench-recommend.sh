#!/usr/bin/env bash
# bench-recommend.sh [DATA_DIR]: the "recommend" benchmark of
# ../shared/BENCHMARKS.md.
#
# Data: ml-latest-small/ratings.csv, every rating an interaction.  Split per
# user by time: the latest 20% of each user's ratings (rounded down, at
# least one; ties broken by movieId) are test, the rest train
# (scripts/bench-recommend-peers.py prep).  Every tool recommends ten
# movies to each user, leaving out the user's train movies.
#
# Tools (all by default; TOOLS="ease crmkit" or TOOLS=ease,crmkit runs a
# subset):
#   popular      numpy: the movies with the most train ratings
#   knn          numpy: item-kNN, cosine similarity, all neighbours
#   ease         numpy: EASE with lambda = 500 (np.linalg.inv, float64)
#   crmkit       crm-recommend with its defaults (EASE, lambda 500)
#   crmkit-knn   crm-recommend train --algo knn (for reference)
#   crmkit-als   crm-recommend train --algo als (for reference)
# crm-recommend is build/bin/crm-recommend (built by make;
# CRM_RECOMMEND=path runs another binary instead).
#
# Figures: precision@10, recall@10, NDCG@10, hit rate and catalogue
# coverage, all computed by one evaluator from each tool's top-10 lists
# (bench-recommend-peers.py report); fit seconds (numpy: from the parsed
# train rows to the model; crmkit: the wall time of the whole
# `crm-recommend train` command, reading the CSV and writing the model
# included); peak RSS of the process that fits, by GNU time.  crm-recommend
# eval is also run on ratings.csv (its own split and metrics), and its
# figures are checked against the evaluator's on crmkit's lists; when
# they differ the benchmark stops with an error and exit status 1, before
# the table.
#
# Goals: crmkit NDCG@10 >= the best peer's; crmkit fit time <= numpy EASE's.
# The peak RSS of crmkit's fit is printed beside the 4 n^2 bytes that
# crm-recommend(1) states for n items.  Exit status: 0 whether or not the
# goals are met (it is a measurement); 64 on a usage error; 69 if a peer
# is not installed; another non-zero status if a run failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
helper=$root/scripts/bench-recommend-peers.py
gnutime=/usr/bin/time

bench="bench-recommend"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	echo "usage: bench-recommend.sh [DATA_DIR]   (env: TOOLS, CRM_RECOMMEND)" >&2
	exit 64
}

[ $# -le 1 ] || usage
case ${1:-} in -*) usage ;; esac
data_dir=${1:-$root/../shared/data}
ratings=$data_dir/ml-latest-small/ratings.csv

tools_env=${TOOLS:-popular knn ease crmkit crmkit-knn crmkit-als}
read -ra tools <<<"${tools_env//,/ }"
[ ${#tools[@]} -gt 0 ] || die "TOOLS is empty"
for t in "${tools[@]}"; do
	case $t in
	popular | knn | ease | crmkit | crmkit-knn | crmkit-als) ;;
	*) die "unknown tool '$t' (popular, knn, ease, crmkit, crmkit-knn, crmkit-als)" ;;
	esac
done

# ---- prerequisites ------------------------------------------------------------

[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
"$py" -c 'import numpy' 2>/dev/null ||
	missing "numpy for $py (package python3-numpy)"
[ -x "$gnutime" ] || missing "GNU time ($gnutime, package time)"
case " ${tools[*]} " in
*" crmkit"*)
	if [ -n "${CRM_RECOMMEND:-}" ]; then
		crm=$CRM_RECOMMEND
	else
		make -s -C "$root" >&2
		crm=$root/build/bin/crm-recommend
	fi
	[ -x "$crm" ] || die "no $crm (TOOLS='popular knn ease' runs the peers only)"
	;;
esac
[ -r "$ratings" ] || die "no $ratings"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-recommend.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: run CMD under GNU time with stdout to $tmp/NAME.out;
# keep its wall seconds in $tmp/NAME.wall and its peak RSS (KB) in
# $tmp/NAME.rss.
measure() {
	local name=$1
	shift
	"$gnutime" -o "$tmp/$name.time" -f '%e %M' "$@" >"$tmp/$name.out" ||
		die "exit status $?: $*"
	read -r wall rss <"$tmp/$name.time"
	echo "$wall" >"$tmp/$name.wall"
	echo "$rss" >"$tmp/$name.rss"
}

# run_crmkit NAME [FIT OPTIONS]: fit on train.csv (measured), recommend
# ten movies to every test user, and make NAME's lists.
run_crmkit() {
	local name=$1
	shift
	progress "$name: fitting"
	measure "$name" "$crm" fit -q "$@" --model-file "$tmp/$name.model" \
		--id-field userId --item-field movieId "$tmp/train.csv"
	cp "$tmp/$name.wall" "$tmp/$name.fit"
	progress "$name: fit $(cat "$tmp/$name.fit") s, peak $(($(cat "$tmp/$name.rss") / 1024)) MB; recommending"
	"$crm" -q --model-file "$tmp/$name.model" --id-field userId --top 10 \
		--output-format jsonl "$tmp/users.csv" >"$tmp/$name.jsonl" ||
		die "$name: crm-recommend failed"
	"$py" "$helper" crmkit "$name" "$tmp" "$tmp/$name.jsonl"
	rm -f "$tmp/$name.model"
}

# ---- runs ----------------------------------------------------------------------

echo "recommend: tools ${tools[*]}; data $ratings; per-user time split, latest 20% test"
"$py" "$helper" prep "$data_dir" "$tmp"
for tool in "${tools[@]}"; do
	case $tool in
	crmkit)
		run_crmkit crmkit
		progress "crmkit: eval on ratings.csv (its own split)"
		"$crm" eval -q --id-field userId --item-field movieId \
			--time-field timestamp --top 10 "$ratings" >"$tmp/crmkit.eval" ||
			die "crm-recommend eval failed"
		echo "crm-recommend eval: $(cat "$tmp/crmkit.eval")"
		;;
	crmkit-knn) run_crmkit crmkit-knn --algo knn ;;
	crmkit-als) run_crmkit crmkit-als --algo als ;;
	*)
		progress "$tool: numpy"
		measure "$tool" "$py" "$helper" "$tool" "$tmp"
		;;
	esac
done

# ---- report --------------------------------------------------------------------

echo
"$py" "$helper" report "$tmp" "${tools[*]}"
