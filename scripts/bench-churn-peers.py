#!/usr/bin/python3
"""bench-churn-peers.py: the Python side of scripts/bench-churn.sh.

Run with Debian's /usr/bin/python3 (scikit-learn from python3-sklearn,
XGBoost from python3-xgboost, pandas from python3-pandas).  Sub-commands,
each called by bench-churn.sh:

  prep WORK LABEL POSITIVE IDS SCORE_N FILE...
        read the records of every FILE in turn (one header each, the same
        in all; CRLF or LF) and write the train and test file of each fold
        and WORK/score.csv, the records repeated to SCORE_N records (the
        file the scoring rates are timed on).  IDS: the id fields, comma-
        separated, or empty; POSITIVE: the label's positive value, or
        empty for yes/no, true/false, 1/0 (any case)
  PEER WORK       run the peer PEER (sklearn, xgboost, xgboost-default)
  crmkit FOLD_DIR TOOL EVAL_LINE TRAIN_S
        check crm-churn's figures on one fold and record them as TOOL's
  rate WORK TOOL SECONDS [N]  record TOOL's seconds to score N records
                           (default: those of WORK/score.csv)
  report WORK TOOLS        print the table, the ratios and the goal lines
  --self-test              check the data handling on small cases

After prep, WORK/fold-K (K = 0..4) holds train.csv and test.csv: the header
and records unchanged, record i (from 0, over the files in turn) in the test
file of fold i mod 5 and in the train file of the other folds; with a
POSITIVE value the label field becomes 1 (POSITIVE) or 0 (anything else), so
that crm-churn reads it.  WORK/config.json keeps the label, the id fields and
which fields are numeric: those whose every non-blank value is a number (a
blank is missing), as crm-churn decides.  A tool's figures on a fold go to
FOLD_DIR/TOOL.result, one line: roc_auc pr_auc log_loss train_seconds.
"""

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import die, progress  # noqa: E402

bench_common.NAME = "bench-churn"

FOLDS = 5
PEERS = ("sklearn", "xgboost", "xgboost-default")
TRAIN_GOAL = {"auto": 5.0}  # seconds to train one fold; others 1 s
TRAIN_GOAL_DEFAULT = 1.0
RATE_GOAL = 10000.0  # records/s scored with reasons
YES = {"1", "1.0", "yes", "y", "true", "t"}
NO = {"0", "0.0", "no", "n", "false", "f"}


def fold_dirs(work_dir):
    return [os.path.join(work_dir, f"fold-{k}") for k in range(FOLDS)]


def read_csv(path):
    """The header and the records of a CSV file, as lists of strings
    (CRLF or LF line ends)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        die(f"{path} is empty")
    return rows[0], [r for r in rows[1:] if r != []]


def write_csv(path, header, records):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(records)


def column(header, name, path):
    if name not in header:
        die(f"{path} has no field {name!r} (fields: {', '.join(header)})")
    return header.index(name)


def is_number(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def numeric_fields(header, records, skip):
    """The fields, but those in skip, whose every non-blank value is a
    number (and that have one)."""
    out = []
    for i, name in enumerate(header):
        if name in skip:
            continue
        vals = [r[i].strip() for r in records if r[i].strip()]
        if vals and all(is_number(v) for v in vals):
            out.append(name)
    return out


def label_of(value, positive):
    """1 or 0 for a label value: with positive, whether it is that value
    (surrounding blanks aside); otherwise yes/no, true/false, 1/0 in any
    case; None for anything else."""
    v = value.strip()
    if positive:
        return int(v == positive.strip())
    v = v.lower()
    return 1 if v in YES else 0 if v in NO else None


def metrics(y, prob):
    """ROC AUC, PR AUC (average precision) and log loss of the
    probabilities prob of the positive class for the 0/1 labels y."""
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score
    return (roc_auc_score(y, prob), average_precision_score(y, prob),
            log_loss(y, prob, labels=[0, 1]))


def write_result(fold_dir, tool, auc, pr_auc, logloss, train_s):
    with open(os.path.join(fold_dir, tool + ".result"), "w") as f:
        f.write(f"{auc!r} {pr_auc!r} {logloss!r} {train_s!r}\n")


def load_config(work_dir):
    with open(os.path.join(work_dir, "config.json")) as f:
        return json.load(f)


# ---- prep --------------------------------------------------------------------


def read_data(paths):
    """The header and the records of the files in turn; every file must
    have the same header and every record as many fields."""
    header, records = None, []
    for path in paths:
        h, recs = read_csv(path)
        if header is None:
            header = h
        elif h != header:
            die(f"{path}: its header differs from that of {paths[0]}")
        for n, r in enumerate(recs, 2):
            if len(r) != len(header):
                die(f"{path}: record {n - 1} has {len(r)} fields, the header "
                    f"{len(header)}")
        records += recs
    return header, records


def prep(work_dir, label_name, positive, ids, score_n, *paths):
    ids = [f for f in ids.split(",") if f]
    header, records = read_data(paths)
    where = paths[0] if len(paths) == 1 else f"{paths[0]} (and the others)"
    label = column(header, label_name, where)
    for name in ids:
        column(header, name, where)
    if len(records) < 2 * FOLDS:
        die(f"{len(records)} records: too few for {FOLDS} folds")
    ys = [label_of(r[label], positive) for r in records]
    bad = sorted({r[label] for r, y in zip(records, ys) if y is None})
    if bad:
        die(f"label {label_name}: values {', '.join(map(repr, bad[:5]))} are "
            f"neither yes/no, true/false nor 1/0; name the positive value "
            f"with --positive")
    if positive:
        records = [r[:label] + [str(y)] + r[label + 1:]
                   for r, y in zip(records, ys)]
    if len(set(ys)) < 2:
        die(f"label {label_name}: only one class in the data")
    numeric = numeric_fields(header, records, set(ids) | {label_name})
    with open(os.path.join(work_dir, "config.json"), "w") as f:
        json.dump({"label": label_name, "ids": ids, "numeric": numeric,
                   "header": header}, f)
    sizes = []
    for k, d in enumerate(fold_dirs(work_dir)):
        os.makedirs(d, exist_ok=True)
        test = [r for i, r in enumerate(records) if i % FOLDS == k]
        train = [r for i, r in enumerate(records) if i % FOLDS != k]
        write_csv(os.path.join(d, "train.csv"), header, train)
        write_csv(os.path.join(d, "test.csv"), header, test)
        sizes.append(len(test))
    n = int(score_n)
    write_csv(os.path.join(work_dir, "score.csv"), header,
              [records[i % len(records)] for i in range(n)])
    features = len(header) - len(ids) - 1
    progress(f"{len(records)} records ({sum(ys)} {label_name} positive) from "
             f"{len(paths)} file(s); {features} features ({len(numeric)} "
             f"numeric); ids: {', '.join(ids) or 'none'}; {FOLDS} folds of "
             f"{min(sizes)}-{max(sizes)} test records; {n} records to score")


# ---- peers -------------------------------------------------------------------


def load_file(path, cfg):
    """A data frame of the features of a fold file (the numeric fields as
    floats, a blank one NaN, the others as strings) and the 0/1 labels."""
    import numpy as np
    import pandas as pd
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    y = np.array([label_of(v, "") for v in df[cfg["label"]]], dtype=int)
    X = df.drop(columns=cfg["ids"] + [cfg["label"]])
    for name in cfg["numeric"]:
        X[name] = pd.to_numeric(X[name].str.strip().replace("", np.nan))
    return X, y


def encoding(cfg, X):
    """One-hot categoricals (categories unseen in training are all zeros);
    numerics with the training median for a missing value, standardized."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    numeric = [c for c in X.columns if c in cfg["numeric"]]
    categorical = [c for c in X.columns if c not in cfg["numeric"]]
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
    if tool == "xgboost":
        return XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05,
                             random_state=1, n_jobs=2, eval_metric="logloss")
    return XGBClassifier(random_state=1, n_jobs=2)  # xgboost-default


def score_with_reasons(pipeline, tool, path, cfg):
    """Read and score path as crm-churn does: the probability and each
    feature's contribution to the log-odds (the coefficient times the value
    for logistic regression; XGBoost's TreeSHAP contributions)."""
    X, _ = load_file(path, cfg)
    enc = pipeline[0].transform(X)
    clf = pipeline[-1]
    prob = clf.predict_proba(enc)[:, 1]
    if tool == "sklearn":
        contrib = enc.multiply(clf.coef_[0]) if hasattr(enc, "multiply") \
            else enc * clf.coef_[0]
    else:
        import xgboost
        contrib = clf.get_booster().predict(xgboost.DMatrix(enc),
                                            pred_contribs=True)
    return len(prob), contrib.shape


def run_peer(tool, work_dir):
    """Fit encoding + model on each fold's train file (timed) and score the
    probabilities it gives the fold's test file; then time fold 0's model
    on score.csv."""
    from sklearn.pipeline import make_pipeline
    cfg = load_config(work_dir)
    first = None
    for k, d in enumerate(fold_dirs(work_dir)):
        X_train, y_train = load_file(os.path.join(d, "train.csv"), cfg)
        X_test, y_test = load_file(os.path.join(d, "test.csv"), cfg)
        pipeline = make_pipeline(encoding(cfg, X_train), model(tool))
        t0 = time.monotonic()
        pipeline.fit(X_train, y_train)
        train_s = time.monotonic() - t0
        prob = pipeline.predict_proba(X_test)[:, 1]
        auc, pr_auc, logloss = metrics(y_test, prob)
        progress(f"fold {k}: {tool}: auc={auc:.4f} pr_auc={pr_auc:.4f} "
                 f"log_loss={logloss:.4f} train {train_s:.2f} s")
        write_result(d, tool, auc, pr_auc, logloss, train_s)
        if first is None:
            first = pipeline
    t0 = time.monotonic()
    n, _ = score_with_reasons(first, tool, os.path.join(work_dir, "score.csv"),
                              cfg)
    rate(work_dir, tool, time.monotonic() - t0, n)


# ---- crmkit ------------------------------------------------------------------


def scored_probabilities(d, tool):
    """0/1 labels and churn_prob of crm-churn's scoring output for the
    fold's test file (TOOL-test.csv), after checking that it holds the test
    records, in order, with their fields unchanged."""
    fold = os.path.basename(d)
    cfg = load_config(os.path.dirname(d))
    test_path = os.path.join(d, "test.csv")
    out_path = os.path.join(d, tool + "-test.csv")
    test_header, test = read_csv(test_path)
    out_header, out = read_csv(out_path)
    keys = [column(out_header, name, out_path) for name in test_header]
    label = column(out_header, cfg["label"], out_path)
    prob_col = column(out_header, "churn_prob", out_path)
    for name in ("churn_risk", "churn_reasons"):
        column(out_header, name, out_path)
    if len(out) != len(test):
        die(f"{fold}: {tool}: crm-churn wrote {len(out)} records for the "
            f"{len(test)} of test.csv")
    y, prob = [], []
    for n, (t, o) in enumerate(zip(test, out), 1):
        if t != [o[i] for i in keys]:
            die(f"{fold}: {tool}: record {n} of crm-churn's output is not "
                f"record {n} of test.csv")
        try:
            p = float(o[prob_col])
        except ValueError:
            p = float("nan")
        if not 0.0 <= p <= 1.0:
            die(f"{fold}: {tool}: record {n}: churn_prob '{o[prob_col]}' is "
                f"not a number from 0 to 1")
        y.append(label_of(o[label], ""))
        prob.append(p)
    return y, prob


def check_crmkit(d, tool, eval_line, train_s):
    """Compare eval's auc, pr_auc and log_loss with the same figures
    computed here from churn_prob of the scoring run (exit 1 when they
    differ), and record crm-churn's figures on the fold."""
    fold = os.path.basename(d)
    own = metrics(*scored_probabilities(d, tool))
    # churn_prob has six decimals: the figures from it may differ from
    # eval's (from the unrounded probabilities) by about 1e-6.
    figures = [bench_common.check_figure(
        eval_line, key, tool, mine,
        f"on {fold} its churn_prob on test.csv gives", slack=1e-6)
        for key, mine in zip(("auc", "pr_auc", "log_loss"), own)]
    write_result(d, tool, *figures, float(train_s))


def rate(work_dir, tool, seconds, n=None):
    """Record how long tool took to score score.csv."""
    if n is None:
        n = sum(1 for _ in open(os.path.join(work_dir, "score.csv"))) - 1
    with open(os.path.join(work_dir, tool + ".rate"), "w") as f:
        f.write(f"{int(n)} {float(seconds)!r}\n")


# ---- report ------------------------------------------------------------------


def mean_result(work_dir, tool):
    """A tool's figures averaged over the folds, and its scoring rate."""
    sums = [0.0] * 4
    for d in fold_dirs(work_dir):
        path = os.path.join(d, tool + ".result")
        if not os.path.exists(path):
            die(f"{os.path.basename(d)}: no figures from {tool}")
        with open(path) as f:
            sums = [s + float(v) for s, v in zip(sums, f.read().split())]
    auc, pr_auc, logloss, train_s = (s / FOLDS for s in sums)
    r = {"auc": auc, "pr_auc": pr_auc, "log_loss": logloss, "train": train_s,
         "rate": None, "rate_n": 0}
    path = os.path.join(work_dir, tool + ".rate")
    if os.path.exists(path):
        with open(path) as f:
            n, secs = f.read().split()
        r["rate"] = int(n) / float(secs) if float(secs) > 0 else None
        r["rate_n"] = int(n)
    return r


def ratios(tool, res):
    """crmkit's tool against each peer: AUC difference, training-time and
    scoring-rate ratios."""
    crm, parts = res[tool], []
    for p in PEERS:
        if p not in res:
            continue
        peer = res[p]
        s = f"{p}: AUC {crm['auc'] - peer['auc']:+.4f}"
        if peer["train"] > 0:
            s += f", train x{crm['train'] / peer['train']:.2f}"
        if crm["rate"] and peer["rate"]:
            s += f", scoring x{crm['rate'] / peer['rate']:.2f}"
        parts.append(s)
    return f"{tool} vs " + "; ".join(parts) if parts else f"{tool}: no peer run"


def goal_line(tool, res):
    """A crmkit tool against the goals: mean AUC >= sklearn's and the
    better XGBoost's; training one fold (the mean over the folds) under
    TRAIN_GOAL seconds; scoring with reasons at least RATE_GOAL records/s."""
    crm = res[tool]
    algo = tool.partition("-")[2]
    goal = TRAIN_GOAL.get(algo, TRAIN_GOAL_DEFAULT)
    peers = [(res[p]["auc"], p) for p in PEERS if p in res]
    parts, met = [], True
    if peers:
        best_auc, best = max(peers)
        parts.append(f"AUC - best peer ({best}) = {crm['auc'] - best_auc:+.4f}")
        met &= crm["auc"] >= best_auc
    else:
        parts.append("AUC: no peer run")
    parts.append(f"train per fold {crm['train']:.2f} s (goal < {goal:g} s)")
    met &= crm["train"] < goal
    if crm["rate"] is not None:
        parts.append(f"scoring {crm['rate']:,.0f} records/s "
                     f"(goal >= {RATE_GOAL:,.0f})")
        met &= crm["rate"] >= RATE_GOAL
    verdict = ("GOAL MISSED" if not met else "GOAL MET" if peers
               else "GOAL UNDECIDED (no peer was run)")
    return f"churn: {tool}: " + "; ".join(parts) + f": {verdict}"


def report(work_dir, tools):
    tools = tools.split()
    print(f"{'tool':<16} {'auc_mean':>8} {'pr_auc_mean':>11} "
          f"{'log_loss_mean':>13} {'train_s_per_fold':>16} "
          f"{'score_rec_per_s':>15}")
    res = {}
    for tool in tools:
        r = res[tool] = mean_result(work_dir, tool)
        rate_s = f"{r['rate']:,.0f}" if r["rate"] else "-"
        print(f"{tool:<16} {r['auc']:>8.4f} {r['pr_auc']:>11.4f} "
              f"{r['log_loss']:>13.4f} {r['train']:>16.3f} {rate_s:>15}")
    score_n = sum(1 for _ in open(os.path.join(work_dir, "score.csv"))) - 1
    for tool in tools:
        if res[tool]["rate"] and res[tool]["rate_n"] != score_n:
            print(f"({tool}: scoring rate on {res[tool]['rate_n']} records, "
                  f"fold 0's test file: {score_n} would take too long)")
    crm = [t for t in tools if t.startswith("crmkit")]
    if crm:
        print()
        for tool in crm:
            print(ratios(tool, res))
        print()
        for tool in crm:
            print(goal_line(tool, res))


# ---- self-test ---------------------------------------------------------------


def self_test():
    """prep on small files: CRLF and LF, two files in turn, ids, the
    positive value, the numeric fields; one line per case, "ok CASE: ..."
    or "FAIL CASE: ..."; exit 1 on a failure."""
    bench_common.NAME = "bench-selftest"
    bad = 0

    def case(name, ok, detail=""):
        nonlocal bad
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))

    def run_prep(tmp, files, label="Churn", positive="", ids=""):
        """prep on files (name -> bytes); its exit status and stderr."""
        paths = []
        for name, data in files:
            p = os.path.join(tmp, name)
            with open(p, "wb") as f:
                f.write(data)
            paths.append(p)
        work = os.path.join(tmp, "work")
        os.makedirs(work, exist_ok=True)
        err, status = io.StringIO(), 0
        with contextlib.redirect_stderr(err):
            try:
                prep(work, label, positive, ids, "12", *paths)
            except SystemExit as e:
                status = e.code
        return work, status, err.getvalue()

    rows_a = [f"S{i},{i * 1.5},x{i % 2},{'TRUE' if i % 3 == 0 else 'FALSE'}"
              for i in range(7)]
    rows_b = [f"T{i},{' ' if i == 0 else i},y,{'TRUE' if i % 2 else 'FALSE'}"
              for i in range(4)]
    head = "State,Minutes,Plan,Churn"
    a = ("\r\n".join([head] + rows_a) + "\r\n").encode()
    b = ("\n".join([head] + rows_b)).encode()  # no newline at the end
    with tempfile.TemporaryDirectory() as tmp:
        work, status, err = run_prep(tmp, [("a.csv", a), ("b.csv", b)])
        case("two files, CRLF and LF", status == 0, err.strip())
        if status == 0:
            cfg = load_config(work)
            case("numeric fields: every non-blank value a number",
                 cfg["numeric"] == ["Minutes"], str(cfg["numeric"]))
            h, test1 = read_csv(os.path.join(work, "fold-1", "test.csv"))
            _, train1 = read_csv(os.path.join(work, "fold-1", "train.csv"))
            want = [r.split(",") for r in (rows_a + rows_b)[1::5]]
            case("fold 1 holds records 1 and 6, over the files in turn",
                 test1 == want, str(test1))
            case("train and test of a fold make up the data",
                 len(test1) + len(train1) == 11 and h == head.split(","))
            _, score = read_csv(os.path.join(work, "score.csv"))
            case("score.csv: the records repeated to 12",
                 len(score) == 12 and score[11] == rows_a[0].split(","),
                 str(len(score)))
    with tempfile.TemporaryDirectory() as tmp:
        data = ("id,x,y\n" + "".join(f"c{i},{i},{'Stay' if i % 2 else 'Left'}\n"
                                     for i in range(10))).encode()
        _, status, err = run_prep(tmp, [("c.csv", data)], label="y", ids="id")
        case("unknown label values need --positive",
             status == 1 and "--positive" in err, err.strip())
        work, status, err = run_prep(tmp, [("c.csv", data)], label="y",
                                     positive="Left", ids="id")
        ok = status == 0
        if ok:
            _, test0 = read_csv(os.path.join(work, "fold-0", "test.csv"))
            cfg = load_config(work)
            ok = ([r[2] for r in test0] == ["1", "0"]
                  and cfg["numeric"] == ["x"] and cfg["ids"] == ["id"])
        case("--positive Left: the label becomes 1/0; the id no feature", ok,
             err.strip())
        _, status, err = run_prep(tmp, [("c.csv", data)], label="Churn")
        case("a label field not in the data", status == 1 and "Churn" in err,
             err.strip())
        _, status, err = run_prep(tmp, [("c.csv", data)], label="y",
                                  positive="Left", ids="id,nope")
        case("an id field not in the data", status == 1 and "nope" in err,
             err.strip())
    sys.exit(1 if bad else 0)


def main(argv):
    if argv[1:] == ["--self-test"]:
        self_test()
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "prep" and len(args) >= 6:
        prep(*args)
    elif cmd in PEERS and len(args) == 1:
        run_peer(cmd, args[0])
    elif cmd == "crmkit" and len(args) == 4:
        check_crmkit(*args)
    elif cmd == "rate" and len(args) in (3, 4):
        rate(*args)
    elif cmd == "report" and len(args) == 2:
        report(*args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv)
