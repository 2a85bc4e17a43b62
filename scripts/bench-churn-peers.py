#!/usr/bin/python3
"""bench-churn-peers.py: the Python side of scripts/bench-churn.sh.

Run with Debian's /usr/bin/python3 (scikit-learn comes from python3-sklearn,
XGBoost from python3-xgboost).  Sub-commands, each called by bench-churn.sh:

  prep DATA_DIR WORK_DIR            write the train and test file of each fold
  sklearn WORK_DIR                  run the logistic-regression peer
  xgboost WORK_DIR                  run the XGBoost peer
  crmkit FOLD_DIR EVAL_LINE TRAIN_S check crm-churn's figures on one fold
                                    and record them
  report WORK_DIR TOOLS             print the table and the goal line

After prep, WORK_DIR/fold-K (K = 0..4) holds train.csv and test.csv: the
header and records of Telco-Customer-Churn.csv unchanged, record i (from 0)
in the test file of fold i mod 5 and in the train file of the other folds.
A tool's figures on a fold go to FOLD_DIR/TOOL.result, one line:
  roc_auc pr_auc log_loss train_seconds
"""

import csv
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import die, progress  # noqa: E402

bench_common.NAME = "bench-churn"

FOLDS = 5
PEERS = ("sklearn", "xgboost")
TRAIN_GOAL = 1.0  # seconds to train one fold
DATA_FILE = os.path.join("telco-customer-churn", "Telco-Customer-Churn.csv")
LABEL, POSITIVE, ID = "Churn", "Yes", "customerID"
NUMERIC = ("SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges")


def fold_dirs(work_dir):
    return [os.path.join(work_dir, f"fold-{k}") for k in range(FOLDS)]


def read_csv(path):
    """The header and the records of a CSV file, as lists of strings."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        die(f"{path} is empty")
    return rows[0], rows[1:]


def write_csv(path, header, records):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(records)


def column(header, name, path):
    if name not in header:
        die(f"{path} has no column {name}")
    return header.index(name)


def metrics(y, prob):
    """ROC AUC, PR AUC (average precision) and log loss of the
    probabilities prob of the positive class for the 0/1 labels y."""
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score
    return (roc_auc_score(y, prob), average_precision_score(y, prob),
            log_loss(y, prob, labels=[0, 1]))


def write_result(fold_dir, tool, auc, pr_auc, logloss, train_s):
    with open(os.path.join(fold_dir, tool + ".result"), "w") as f:
        f.write(f"{auc!r} {pr_auc!r} {logloss!r} {train_s!r}\n")


# ---- prep --------------------------------------------------------------------


def prep(data_dir, work_dir):
    path = os.path.join(data_dir, DATA_FILE)
    header, records = read_csv(path)
    label = column(header, LABEL, path)
    column(header, ID, path)
    for name in NUMERIC:
        column(header, name, path)
    for d in fold_dirs(work_dir):
        os.makedirs(d, exist_ok=True)
    sizes = []
    for k, d in enumerate(fold_dirs(work_dir)):
        test = [r for i, r in enumerate(records) if i % FOLDS == k]
        train = [r for i, r in enumerate(records) if i % FOLDS != k]
        write_csv(os.path.join(d, "train.csv"), header, train)
        write_csv(os.path.join(d, "test.csv"), header, test)
        sizes.append(len(test))
    positives = sum(r[label] == POSITIVE for r in records)
    progress(f"{len(records)} records ({positives} {LABEL}={POSITIVE}); "
             f"{FOLDS} folds of {min(sizes)}-{max(sizes)} test records")


# ---- peers -------------------------------------------------------------------


def load_fold_file(path):
    """Features and 0/1 labels of a fold file.  X is an object array: the
    NUMERIC columns as floats (blank = NaN, i.e. missing: TotalCharges is
    " " for 11 customers), the other columns but ID and LABEL as strings;
    also returned are the positions of the numeric and the categorical
    columns in X."""
    import numpy as np
    header, records = read_csv(path)
    label = column(header, LABEL, path)
    features = [i for i, name in enumerate(header) if name not in (ID, LABEL)]
    numeric = [j for j, i in enumerate(features) if header[i] in NUMERIC]
    categorical = [j for j, i in enumerate(features)
                   if header[i] not in NUMERIC]
    X = np.empty((len(records), len(features)), dtype=object)
    for r, rec in enumerate(records):
        for j, i in enumerate(features):
            v = rec[i]
            if j in numeric:
                X[r, j] = float(v) if v.strip() else float("nan")
            else:
                X[r, j] = v
    y = np.array([rec[label] == POSITIVE for rec in records], dtype=int)
    return X, y, numeric, categorical


def encoding(numeric, categorical):
    """One-hot categoricals (categories unseen in training are all zeros);
    numerics with the training median for a missing value, standardized."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    return ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("num", make_pipeline(SimpleImputer(strategy="median"),
                              StandardScaler()), numeric),
    ])


def model(tool):
    if tool == "sklearn":
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression(C=1.0, max_iter=1000)
    from xgboost import XGBClassifier
    return XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05,
                         random_state=1, n_jobs=2, eval_metric="logloss")


def run_peer(tool, work_dir):
    """Fit encoding + model on each fold's train file (timed) and score the
    probabilities it gives the fold's test file."""
    from sklearn.pipeline import make_pipeline
    for k, d in enumerate(fold_dirs(work_dir)):
        X_train, y_train, numeric, categorical = load_fold_file(
            os.path.join(d, "train.csv"))
        X_test, y_test, _, _ = load_fold_file(os.path.join(d, "test.csv"))
        pipeline = make_pipeline(encoding(numeric, categorical), model(tool))
        t0 = time.monotonic()
        pipeline.fit(X_train, y_train)
        train_s = time.monotonic() - t0
        prob = pipeline.predict_proba(X_test)[:, 1]
        auc, pr_auc, logloss = metrics(y_test, prob)
        progress(f"fold {k}: {tool}: auc={auc:.4f} pr_auc={pr_auc:.4f} "
                 f"log_loss={logloss:.4f} train {train_s:.2f} s")
        write_result(d, tool, auc, pr_auc, logloss, train_s)


# ---- crmkit ------------------------------------------------------------------


def scored_probabilities(d):
    """0/1 labels and churn_prob of crm-churn's scoring output for the
    fold's test file (crm-test.csv), after checking that it holds the test
    records, in order, with their customerID and Churn unchanged."""
    fold = os.path.basename(d)
    test_path, out_path = os.path.join(d, "test.csv"), os.path.join(d, "crm-test.csv")
    test_header, test = read_csv(test_path)
    out_header, out = read_csv(out_path)
    keys = [column(test_header, name, test_path) for name in (ID, LABEL)]
    out_keys = [column(out_header, name, out_path) for name in (ID, LABEL)]
    prob_col = column(out_header, "churn_prob", out_path)
    for name in ("churn_risk", "churn_reasons"):
        column(out_header, name, out_path)
    if len(out) != len(test):
        die(f"{fold}: crm-churn wrote {len(out)} records for the "
            f"{len(test)} of test.csv")
    y, prob = [], []
    for n, (t, o) in enumerate(zip(test, out), 1):
        if [t[i] for i in keys] != [o[i] for i in out_keys]:
            die(f"{fold}: record {n} of crm-churn's output is not record {n} "
                f"of test.csv ({ID}, {LABEL} differ)")
        try:
            p = float(o[prob_col])
        except ValueError:
            p = float("nan")
        if not 0.0 <= p <= 1.0:
            die(f"{fold}: record {n}: churn_prob '{o[prob_col]}' is not a "
                f"number from 0 to 1")
        y.append(int(o[out_keys[1]] == POSITIVE))
        prob.append(p)
    return y, prob


def check_crmkit(d, eval_line, train_s):
    """Compare eval's auc, pr_auc and log_loss with the same figures
    computed here from churn_prob of the scoring run (exit 1 when they
    differ), and record crm-churn's figures on the fold."""
    fold = os.path.basename(d)
    own = metrics(*scored_probabilities(d))
    # The same figures, or the benchmark stops; the unrounded ones are
    # kept for the goal check.
    figures = [bench_common.check_figure(
        eval_line, key, "crm-churn", mine,
        f"on {fold} its churn_prob on test.csv gives")
        for key, mine in zip(("auc", "pr_auc", "log_loss"), own)]
    write_result(d, "crmkit", *figures, float(train_s))


# ---- report ------------------------------------------------------------------


def mean_result(work_dir, tool):
    """A tool's figures averaged over the folds."""
    sums = [0.0] * 4
    for d in fold_dirs(work_dir):
        path = os.path.join(d, tool + ".result")
        if not os.path.exists(path):
            die(f"{os.path.basename(d)}: no figures from {tool}")
        with open(path) as f:
            sums = [s + float(v) for s, v in zip(sums, f.read().split())]
    auc, pr_auc, logloss, train_s = (s / FOLDS for s in sums)
    return {"auc": auc, "pr_auc": pr_auc, "log_loss": logloss,
            "train": train_s}


def goal_line(res):
    """crmkit against the peers: mean AUC >= the best peer's, training one
    fold (the mean over the folds) under TRAIN_GOAL seconds."""
    crm = res["crmkit"]
    peers = [(res[p]["auc"], p) for p in PEERS if p in res]
    parts, met = [], True
    if peers:
        best_auc, best = max(peers)
        parts.append(f"AUC crmkit - best peer ({best}) = "
                     f"{crm['auc'] - best_auc:+.4f}")
        met &= crm["auc"] >= best_auc
    else:
        parts.append("AUC: no peer run")
    parts.append(f"train per fold {crm['train']:.2f} s "
                 f"(goal < {TRAIN_GOAL:g} s)")
    met &= crm["train"] < TRAIN_GOAL
    if not met:
        verdict = "GOAL MISSED"
    elif peers:
        verdict = "GOAL MET"
    else:
        verdict = "GOAL UNDECIDED (no peer was run)"
    return "churn: " + "; ".join(parts) + f": {verdict}"


def report(work_dir, tools):
    print(f"{'tool':<9} {'auc_mean':>8} {'pr_auc_mean':>11} "
          f"{'log_loss_mean':>13} {'train_s_per_fold':>16}")
    res = {}
    for tool in tools:
        r = res[tool] = mean_result(work_dir, tool)
        print(f"{tool:<9} {r['auc']:>8.4f} {r['pr_auc']:>11.4f} "
              f"{r['log_loss']:>13.4f} {r['train']:>16.2f}")
    if "crmkit" in res:
        print()
        print(goal_line(res))


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "prep" and len(args) == 2:
        prep(*args)
    elif cmd in PEERS and len(args) == 1:
        run_peer(cmd, args[0])
    elif cmd == "crmkit" and len(args) == 3:
        check_crmkit(*args)
    elif cmd == "report" and len(args) == 2:
        report(args[0], args[1].split())
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv)
