#!/usr/bin/env bash
# bench-churn.sh: the "churn" benchmark of ../shared/BENCHMARKS.md, on any
# yes/no data set.
#
#   bench-churn.sh [--dataset telco|bigml] [DATA_DIR]
#   bench-churn.sh --data FILE [--data FILE]... --label FIELD
#                  [--positive VALUE] [--id FIELD]... [--algos LIST]
#                  [--score-records N]
#
# Data: --data names a CSV file (CRLF or LF line ends); given more than once,
# the files' records are taken in turn (every file has the same header).
# --label names the label field: yes/no, true/false or 1/0 in any case, or
# --positive names its positive value (anything else is negative; the fold
# files then hold 1/0).  --id names an id field (not a feature; none by
# default).  Without --data, --dataset picks one of DATA_DIR (default
# ../shared/data):
#   telco  telco-customer-churn/Telco-Customer-Churn.csv, label Churn
#          (Yes/No), id customerID; TotalCharges is " " (missing) for 11
#          customers.  The default.
#   bigml  telecom-churn-bigml/churn-bigml-80.csv then churn-bigml-20.csv,
#          label Churn (TRUE/FALSE), no id.
# 5-fold cross-validation: data record i (from 0, over the files in turn) is
# in the test file of fold i mod 5 and in the train file of the other folds.
# A field whose every non-blank value is a number is numeric (a blank one
# missing), any other categorical, as crm-churn decides.
#
# Tools (all by default; TOOLS="sklearn xgboost" or TOOLS=sklearn,xgboost
# runs a subset):
#   sklearn          Debian scikit-learn: LogisticRegression(C=1,
#                    max_iter=1000).
#   xgboost          Debian XGBoost, BENCHMARKS.md's settings:
#                    XGBClassifier(n_estimators=300, max_depth=4,
#                    learning_rate=0.05, random_state=1, n_jobs=2).
#   xgboost-default  XGBClassifier(random_state=1, n_jobs=2): XGBoost's
#                    defaults (100 trees, depth 6, rate 0.3).
#                    The peers see one-hot categoricals (unseen categories
#                    all zeros) and standardized numerics (a missing value
#                    is the training median).
#   crmkit           crm-churn train / eval / score (build/bin/crm-churn,
#                    built by make; CRM_CHURN=path runs another binary), once
#                    for each --algo that `crm-churn train --help` lists
#                    (tools crmkit-lr, crmkit-svm, ...); --algos lr,gbt (or
#                    ALGOS) runs those only.
#
# Figures, per tool, the mean over the folds of: ROC AUC, PR AUC (average
# precision) and log loss on the test file; the seconds of training (fit()
# for the peers, encoding included; the wall time of the crm-churn train
# command for crmkit); and the records scored per second, with reasons, of
# fold 0's model on the data repeated to --score-records records (100000):
# for crmkit the wall time of `crm-churn --model-file M < file > /dev/null`
# (3 reasons a record; a tool that would take over SCORE_MAX_S, 120 s, such
# as the SVM, whose reasons take a prediction per field, is timed on fold
# 0's test file instead, and says so); for the peers reading the file with pandas,
# encoding, the probabilities and each feature's contribution (the
# coefficient times the value; XGBoost's TreeSHAP pred_contribs).  Then the
# ratios of each crmkit tool to each peer: the AUC difference, training time
# and scoring rate.  crm-churn's figures come from its eval verb and are
# checked against the same figures computed from the churn_prob of its
# scoring output; when they differ (beyond the rounding of the printed
# figure) the benchmark stops with an error and exit status 1.
#
# Goals (BENCHMARKS.md, issue 17): crmkit mean AUC >= the best peer's;
# training one fold (mean over the folds) under 1 s (--algo auto, which
# also selects: 5 s); scoring with reasons >= 10,000 records/s.  Exit
# status: 0 whether or not the goals are met (it is a measurement); 64 on a
# usage error; 69 if a peer is not installed; another non-zero status if a
# run failed.
#
# The Python side is scripts/bench-churn-peers.py, run with Debian's
# /usr/bin/python3 (not a python3 from PATH) so that python3-sklearn,
# python3-xgboost and python3-pandas are the libraries in use.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
helper=$root/scripts/bench-churn-peers.py
folds=5

bench="bench-churn"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	[ $# -eq 0 ] || echo "$bench: $*" >&2
	cat >&2 <<'USAGE'
usage: bench-churn.sh [--dataset telco|bigml] [DATA_DIR]
       bench-churn.sh --data FILE [--data FILE]... --label FIELD
                      [--positive VALUE] [--id FIELD]... [--algos LIST]
                      [--score-records N]
       (env: TOOLS, ALGOS, CRM_CHURN, SCORE_MAX_S)
USAGE
	exit 64
}

files=() label='' positive='' ids=() dataset='' data_dir='' algos_opt=${ALGOS:-}
score_n=100000
# A tool whose scoring of fold 0's test file says that score.csv would take
# longer than this many seconds (the SVM's reasons) keeps fold 0's rate.
score_max=${SCORE_MAX_S:-120}
while [ $# -gt 0 ]; do
	case $1 in
	--data | --label | --positive | --id | --dataset | --algos | --score-records)
		[ $# -ge 2 ] || usage "$1 needs a value"
		case $1 in
		--data) files+=("$2") ;;
		--label) label=$2 ;;
		--positive) positive=$2 ;;
		--id) ids+=("$2") ;;
		--dataset) dataset=$2 ;;
		--algos) algos_opt=$2 ;;
		--score-records) score_n=$2 ;;
		esac
		shift 2
		;;
	-h | --help) usage ;;
	-*) usage "unknown option $1" ;;
	*)
		[ -z "$data_dir" ] || usage "one DATA_DIR only"
		data_dir=$1
		shift
		;;
	esac
done
case $score_n in '' | *[!0-9]*) usage "--score-records: not a number: $score_n" ;; esac
[ "$score_n" -gt 0 ] || usage "--score-records: must be positive"

if [ ${#files[@]} -gt 0 ]; then
	[ -z "$dataset" ] || usage "--dataset or --data, not both"
	[ -z "$data_dir" ] || usage "DATA_DIR goes with --dataset, not --data"
	[ -n "$label" ] || usage "--data needs --label"
	name=$(basename "${files[0]}")
	name=${name%.*}
else
	if [ -n "$label$positive" ] || [ ${#ids[@]} -gt 0 ]; then
		usage "--label, --positive and --id go with --data"
	fi
	data_dir=${data_dir:-$root/../shared/data}
	case ${dataset:=telco} in
	telco)
		files=("$data_dir/telco-customer-churn/Telco-Customer-Churn.csv")
		label=Churn ids=(customerID)
		;;
	bigml)
		files=("$data_dir/telecom-churn-bigml/churn-bigml-80.csv"
			"$data_dir/telecom-churn-bigml/churn-bigml-20.csv")
		label=Churn
		;;
	*) usage "unknown --dataset '$dataset' (telco, bigml)" ;;
	esac
	name=$dataset
fi
for f in "${files[@]}"; do
	[ -r "$f" ] || die "no $f"
done

# TOOLS: names separated by spaces or commas.
tools_env=${TOOLS:-sklearn xgboost xgboost-default crmkit}
read -ra tools <<<"${tools_env//,/ }"
[ ${#tools[@]} -gt 0 ] || die "TOOLS is empty"
for t in "${tools[@]}"; do
	case $t in
	sklearn | xgboost | xgboost-default | crmkit) ;;
	*) die "unknown tool '$t' (sklearn, xgboost, xgboost-default, crmkit)" ;;
	esac
done

# ---- prerequisites ------------------------------------------------------------

# scikit-learn and pandas serve every tool (metrics, data), whatever TOOLS.
[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
"$py" -c 'import sklearn' 2>/dev/null ||
	missing "scikit-learn for $py (package python3-sklearn)"
"$py" -c 'import pandas' 2>/dev/null ||
	missing "pandas for $py (package python3-pandas)"
algos=()
for t in "${tools[@]}"; do
	case $t in
	xgboost*) "$py" -c 'import xgboost' 2>/dev/null ||
		missing "XGBoost for $py (package python3-xgboost)" ;;
	crmkit)
		if [ -n "${CRM_CHURN:-}" ]; then
			crm=$CRM_CHURN
		else
			make -s -C "$root" >&2
			crm=$root/build/bin/crm-churn
		fi
		[ -x "$crm" ] || die "no $crm (TOOLS='sklearn xgboost' runs the peers only)"
		# The algorithms of "--algo lr|svm|..." in train's usage.
		have=$("$crm" train --help 2>&1 |
			sed -n 's/.*--algo \([a-z|]*\).*/\1/p' | head -n 1)
		[ -n "$have" ] || die "$crm train --help names no --algo"
		if [ -n "$algos_opt" ]; then
			read -ra algos <<<"${algos_opt//,/ }"
			for a in "${algos[@]}"; do
				case "|$have|" in *"|$a|"*) ;;
				*) die "$crm has no --algo $a (it has ${have//|/, })" ;;
				esac
			done
		else
			read -ra algos <<<"${have//|/ }"
		fi
		;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-churn.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- crmkit --------------------------------------------------------------------

# run_crmkit ALGO: on each fold, train crm-churn on train.csv (timed), eval
# it on test.csv and score test.csv (for the independent check of eval's
# figures); the helper checks and records the figures.  Then fold 0's model
# scores score.csv, timed.
run_crmkit() {
	local algo=$1 tool=crmkit-$1 k d model train_s eval_out eval_line
	local score_s small_s n0
	local train_opts=(--label-field "$label" --seed 1) id_opts=() i
	if [ ${#ids[@]} -gt 0 ]; then
		id_opts=(--id-field "${ids[0]}")
		for i in "${ids[@]:1}"; do train_opts+=(--ignore "$i"); done
	fi
	for ((k = 0; k < folds; k++)); do
		d=$tmp/fold-$k
		model=$d/$tool.model
		progress "fold $k: $tool: training"
		train_s=$(timed "$d/train.csv" "$crm" train --algo "$algo" \
			--model-file "$model" "${train_opts[@]}" "${id_opts[@]}" 3>&2)
		# eval's first line holds the figures (n=... auc=... pr_auc=...
		# log_loss=...); more lines may follow.
		eval_out=$("$crm" eval --model-file "$model" --label-field "$label" \
			"${id_opts[@]}" <"$d/test.csv") ||
			die "fold $k: $tool: crm-churn eval failed"
		eval_line=${eval_out%%$'\n'*}
		progress "fold $k: $tool: eval: $eval_line; train $train_s s"
		score_s=$(timed "$d/test.csv" "$crm" --model-file "$model" \
			"${id_opts[@]}" --output-format csv 3>"$d/$tool-test.csv")
		"$py" "$helper" crmkit "$d" "$tool" "$eval_line" "$train_s"
		# Fold 0's scoring time says whether score.csv takes long.
		[ "$k" -gt 0 ] || small_s=$score_s
	done
	n0=$(($(wc -l <"$tmp/fold-0/test.csv") - 1))
	if awk -v s="$small_s" -v n="$n0" -v N="$score_n" -v m="$score_max" \
		'BEGIN { exit !(s * N / n > m) }'; then
		progress "$tool: scoring $score_n records would take over $score_max s; the rate is fold 0's ($n0 records)"
		"$py" "$helper" rate "$tmp" "$tool" "$small_s" "$n0"
		return
	fi
	progress "$tool: scoring $score_n records with reasons"
	score_s=$(timed "$tmp/score.csv" "$crm" -q --model-file \
		"$tmp/fold-0/$tool.model" "${id_opts[@]}" --output-format csv 3>/dev/null)
	"$py" "$helper" rate "$tmp" "$tool" "$score_s" "$score_n"
}

# ---- runs ----------------------------------------------------------------------

names=()
for t in "${tools[@]}"; do
	if [ "$t" = crmkit ]; then
		for a in "${algos[@]}"; do names+=("crmkit-$a"); done
	else
		names+=("$t")
	fi
done
ids_csv=$(
	IFS=,
	echo "${ids[*]}"
)
echo "churn ($name): tools ${names[*]}; data ${files[*]}; label $label${positive:+ (positive $positive)}; id ${ids_csv:-none}; $folds folds (record i in fold i mod $folds)"
"$py" "$helper" prep "$tmp" "$label" "$positive" "$ids_csv" "$score_n" "${files[@]}"
for tool in "${tools[@]}"; do
	case $tool in
	crmkit) for a in "${algos[@]}"; do run_crmkit "$a"; done ;;
	*) "$py" "$helper" "$tool" "$tmp" ;;
	esac
done

# ---- report --------------------------------------------------------------------

echo
"$py" "$helper" report "$tmp" "${names[*]}"
