#!/usr/bin/env bash
# bench-churn.sh [DATA_DIR]: the "churn" benchmark of ../shared/BENCHMARKS.md.
#
# Data: telco-customer-churn/Telco-Customer-Churn.csv, label Churn (positive
# = Yes); customerID is an id, not a feature; TotalCharges is " " (missing)
# for 11 customers.  5-fold cross-validation: data record i (from 0) is in
# the test file of fold i mod 5 and in the train file of the other folds.
# The fold files keep the header and the records unchanged.
#
# Tools (all three by default; TOOLS="sklearn xgboost" or TOOLS=sklearn,xgboost
# runs a subset):
#   sklearn   Debian scikit-learn: LogisticRegression(C=1, max_iter=1000).
#   xgboost   Debian XGBoost: XGBClassifier(n_estimators=300, max_depth=4,
#             learning_rate=0.05, random_state=1, n_jobs=2).
#             Both peers see one-hot categoricals (unseen categories all
#             zeros) and standardized numerics (SeniorCitizen, tenure,
#             MonthlyCharges, TotalCharges; a missing value is the training
#             median).
#   crmkit    crm-churn train / eval / score (build/bin/crm-churn, built by
#             make; CRM_CHURN=path runs another binary instead).
#
# Figures, per tool, the mean over the folds of: ROC AUC, PR AUC (average
# precision) and log loss on the test file; the seconds of training (fit()
# for the peers, encoding included; the wall time of the crm-churn train
# command for crmkit).  crm-churn's figures come from its eval verb and are
# checked against the same figures computed from the churn_prob of its
# scoring output; when they differ (beyond the rounding of the printed
# figure) the benchmark stops with an error and exit status 1.
#
# Goals (BENCHMARKS.md): crmkit mean AUC >= the best peer's; training one
# fold (mean over the folds) under 1 s.  Exit status: 0 whether or not the
# goals are met (it is a measurement); 64 on a usage error; 69 if a peer is
# not installed; another non-zero status if a run failed.
#
# The Python side is scripts/bench-churn-peers.py, run with Debian's
# /usr/bin/python3 (not a python3 from PATH) so that python3-sklearn and
# python3-xgboost are the libraries in use.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=/usr/bin/python3
helper=$root/scripts/bench-churn-peers.py
folds=5

bench="bench-churn"
# shellcheck source=scripts/lib-bench.sh
. "$root/scripts/lib-bench.sh"

usage() {
	echo "usage: bench-churn.sh [DATA_DIR]   (env: TOOLS, CRM_CHURN)" >&2
	exit 64
}

[ $# -le 1 ] || usage
case ${1:-} in -*) usage ;; esac
data_dir=${1:-$root/../shared/data}
data_file=$data_dir/telco-customer-churn/Telco-Customer-Churn.csv

# TOOLS: names separated by spaces or commas.
tools_env=${TOOLS:-sklearn xgboost crmkit}
read -ra tools <<<"${tools_env//,/ }"
[ ${#tools[@]} -gt 0 ] || die "TOOLS is empty"
for t in "${tools[@]}"; do
	case $t in sklearn | xgboost | crmkit) ;; *) die "unknown tool '$t' (sklearn, xgboost, crmkit)" ;; esac
done

# ---- prerequisites ------------------------------------------------------------

# scikit-learn computes every tool's metrics, so it is needed whatever TOOLS.
[ -x "$py" ] || missing "Debian's Python ($py, package python3)"
"$py" -c 'import sklearn' 2>/dev/null ||
	missing "scikit-learn for $py (package python3-sklearn)"
for t in "${tools[@]}"; do
	case $t in
	xgboost) "$py" -c 'import xgboost' 2>/dev/null ||
		missing "XGBoost for $py (package python3-xgboost)" ;;
	crmkit)
		if [ -n "${CRM_CHURN:-}" ]; then
			crm=$CRM_CHURN
		else
			make -s -C "$root" >&2
			crm=$root/build/bin/crm-churn
		fi
		[ -x "$crm" ] || die "no $crm (TOOLS='sklearn xgboost' runs the peers only)"
		;;
	esac
done
[ -r "$data_file" ] || die "no $data_file"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-churn.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- crmkit --------------------------------------------------------------------

# run_crmkit: on each fold, train crm-churn on train.csv (timed), eval it on
# test.csv and score test.csv (for the independent check of eval's
# figures); the helper checks and records the figures.
run_crmkit() {
	local k d model train_s eval_out eval_line
	for ((k = 0; k < folds; k++)); do
		d=$tmp/fold-$k
		model=$d/crm-churn.model
		progress "fold $k: crmkit: training"
		train_s=$(timed "$d/train.csv" "$crm" train --model-file "$model" \
			--label-field Churn --id-field customerID --seed 1 3>&2)
		# eval's first line holds the figures (n=... auc=... pr_auc=...
		# log_loss=...); more lines may follow.
		eval_out=$("$crm" eval --model-file "$model" --label-field Churn \
			--id-field customerID <"$d/test.csv") ||
			die "fold $k: crm-churn eval failed"
		eval_line=${eval_out%%$'\n'*}
		progress "fold $k: crmkit: eval: $eval_line; train $train_s s"
		"$crm" --model-file "$model" --id-field customerID --output-format csv \
			<"$d/test.csv" >"$d/crm-test.csv" || die "fold $k: crm-churn scoring failed"
		"$py" "$helper" crmkit "$d" "$eval_line" "$train_s"
	done
}

# ---- runs ----------------------------------------------------------------------

echo "churn: tools ${tools[*]}; data $data_dir; $folds folds (record i in fold i mod $folds)"
"$py" "$helper" prep "$data_dir" "$tmp"
for tool in "${tools[@]}"; do
	case $tool in
	crmkit) run_crmkit ;;
	*) "$py" "$helper" "$tool" "$tmp" ;;
	esac
done

# ---- report --------------------------------------------------------------------

echo
"$py" "$helper" report "$tmp" "${tools[*]}"
