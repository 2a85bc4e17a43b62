#!/usr/bin/python3
"""bench-recommend-peers.py: the Python side of scripts/bench-recommend.sh.

Run with Debian's /usr/bin/python3 (numpy from python3-numpy).
Sub-commands, each called by bench-recommend.sh:

  prep DATA_DIR WORK_DIR        split ratings.csv per user by time
  popular|knn|ease WORK_DIR     fit a numpy peer (timed) and write its lists
  crmkit NAME WORK_DIR JSONL    turn crm-recommend's output into NAME's lists
  report WORK_DIR TOOLS         evaluate every tool's lists the same way,
                                check crm-recommend eval's own figures, and
                                print the table and the goal lines

The split (../shared/BENCHMARKS.md): every rating of ml-latest-small is an
interaction; each user's ratings are ordered by timestamp, ties broken by
movieId (as a number), and the latest 20% (rounded down, at least one) are
that user's test items, the rest train.  WORK_DIR then holds train.csv
(the train rows of ratings.csv, unchanged), users.csv (userId of every user
with test items) and test.csv (userId,movieId of the test rows).

A tool's lists go to WORK_DIR/TOOL.lists, one line per user:
userId, then up to ten movieIds, best first, separated by spaces; its fit
seconds to TOOL.fit.  report computes precision@10, recall@10, NDCG@10,
hit rate and coverage from the lists, as crm-recommend eval defines them:
precision = hits / 10; recall = hits / test items; NDCG = DCG over the DCG
of min(10, test items) hits at the top, a hit at rank r gaining
1 / log2(r + 1); hit rate = share of users with a hit; coverage = distinct
recommended items / items in train.  Means are over the users with test
items.
"""

import csv
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import die, progress  # noqa: E402

bench_common.NAME = "bench-recommend"

DATA_FILE = os.path.join("ml-latest-small", "ratings.csv")
K = 10
TEST_SHARE = 0.2
LAMBDA = 500.0
PEERS = ("popular", "knn", "ease")


# ---- prep --------------------------------------------------------------------


def prep(data_dir, work_dir):
    path = os.path.join(data_dir, DATA_FILE)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    if header[:4] != ["userId", "movieId", "rating", "timestamp"]:
        die(f"{path}: unexpected header {header}")
    by_user = {}
    for r in rows:
        by_user.setdefault(int(r[0]), []).append(r)
    train, test = [], []
    for u in sorted(by_user):
        rs = sorted(by_user[u], key=lambda r: (int(r[3]), int(r[1])))
        k = max(1, int(len(rs) * TEST_SHARE))
        train += rs[:-k]
        test += rs[-k:]
    with open(os.path.join(work_dir, "train.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(train)
    with open(os.path.join(work_dir, "test.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["userId", "movieId"])
        w.writerows([r[0], r[1]] for r in test)
    users = sorted({int(r[0]) for r in test})
    with open(os.path.join(work_dir, "users.csv"), "w") as f:
        f.write("userId\n" + "".join(f"{u}\n" for u in users))
    items = len({r[1] for r in train})
    with open(os.path.join(work_dir, "items"), "w") as f:
        f.write(f"{items}\n")
    progress(f"{len(rows)} ratings of {len(by_user)} users: train "
             f"{len(train)} ({items} movies), test {len(test)}")


# ---- the numpy peers -----------------------------------------------------------


def read_train(work_dir):
    """users (sorted), items (movieIds sorted as numbers) and each user's
    train items as a list of item indices."""
    with open(os.path.join(work_dir, "train.csv"), newline="") as f:
        rows = list(csv.reader(f))[1:]
    items = sorted({int(r[1]) for r in rows})
    index = {m: i for i, m in enumerate(items)}
    hist = {}
    for r in rows:
        hist.setdefault(int(r[0]), []).append(index[int(r[1])])
    return sorted(hist), items, hist


def run_peer(tool, work_dir):
    """Fit the peer on train.csv (timed: from the parsed rows to the item
    scores' model) and write the top K unseen items of each test user."""
    import numpy as np
    users, items, hist = read_train(work_dir)
    with open(os.path.join(work_dir, "users.csv")) as f:
        test_users = [int(u) for u in f.read().split()[1:]]
    t0 = time.monotonic()
    X = np.zeros((len(users), len(items)))
    for a, u in enumerate(users):
        X[a, hist[u]] = 1
    if tool == "popular":
        model = X.sum(axis=0)
    elif tool == "knn":
        # cosine similarity, all neighbours
        G = X.T @ X
        norm = np.sqrt(np.diag(G))
        norm[norm == 0] = 1
        model = G / norm[:, None] / norm[None, :]
        np.fill_diagonal(model, 0)
    else:
        # EASE (Steck 2019), as in the paper's code
        G = X.T @ X
        diag = np.diag_indices(G.shape[0])
        G[diag] += LAMBDA
        P = np.linalg.inv(G)
        model = P / (-np.diag(P))
        model[diag] = 0
    fit_s = time.monotonic() - t0
    row = {u: a for a, u in enumerate(users)}
    known = [u for u in test_users if u in row]
    Xu = X[[row[u] for u in known]]
    S = np.tile(model, (len(known), 1)) if tool == "popular" else Xu @ model
    S[Xu > 0] = -np.inf
    popular = X.sum(axis=0)  # for a user without train items
    with open(os.path.join(work_dir, tool + ".lists"), "w") as f:
        at = {u: a for a, u in enumerate(known)}
        for u in test_users:
            s = S[at[u]] if u in at else popular
            top = np.argsort(-s, kind="stable")[:K]
            f.write(f"{u} " + " ".join(str(items[i]) for i in top) + "\n")
    with open(os.path.join(work_dir, tool + ".fit"), "w") as f:
        f.write(f"{fit_s!r}\n")
    progress(f"{tool}: fit {fit_s:.2f} s")


# ---- crmkit --------------------------------------------------------------------


def crmkit_lists(name, work_dir, jsonl):
    """NAME.lists from crm-recommend's JSONL output for users.csv."""
    with open(os.path.join(work_dir, "users.csv")) as f:
        want = f.read().split()[1:]
    out = []
    with open(jsonl) as f:
        for n, line in enumerate(f, 1):
            r = json.loads(line)
            if str(r.get("userId")) != want[n - 1]:
                die(f"{jsonl}:{n}: userId {r.get('userId')} where "
                    f"{want[n - 1]} was asked for")
            out.append(str(r["userId"]) + " " +
                       " ".join(h["item"] for h in r["reco_items"]))
    if len(out) != len(want):
        die(f"{jsonl}: {len(out)} records for {len(want)} users")
    with open(os.path.join(work_dir, name + ".lists"), "w") as f:
        f.write("\n".join(out) + "\n")


# ---- report --------------------------------------------------------------------


def evaluate(work_dir, tool):
    """precision, recall, NDCG, hit rate and coverage of TOOL.lists."""
    test, train_items = {}, set()
    with open(os.path.join(work_dir, "test.csv"), newline="") as f:
        for r in list(csv.reader(f))[1:]:
            test.setdefault(r[0], set()).add(r[1])
    with open(os.path.join(work_dir, "train.csv"), newline="") as f:
        seen = {}
        for r in list(csv.reader(f))[1:]:
            seen.setdefault(r[0], set()).add(r[1])
            train_items.add(r[1])
    lists = {}
    with open(os.path.join(work_dir, tool + ".lists")) as f:
        for line in f:
            u, *rec = line.split()
            lists[u] = rec[:K]
    p = r = nd = hit = 0.0
    shown, n = set(), 0
    for u, t in test.items():
        rel = t - seen.get(u, set())
        if not rel:
            continue
        rec = lists.get(u, [])
        if len(rec) < K and len(rec) < len(train_items) - len(seen.get(u, ())):
            die(f"{tool}: {len(rec)} items for user {u}")
        shown.update(rec)
        h = [1 if m in rel else 0 for m in rec]
        dcg = sum(x / math.log2(i + 2) for i, x in enumerate(h))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(K, len(rel))))
        n += 1
        p += sum(h) / K
        r += sum(h) / len(rel)
        nd += dcg / idcg
        hit += sum(h) > 0
    return {"precision": p / n, "recall": r / n, "ndcg": nd / n,
            "hit_rate": hit / n, "coverage": len(shown) / len(train_items),
            "users": n}


def check_eval(work_dir, res):
    """crm-recommend eval's figures (its own split and metrics, in
    crmkit.eval) against those of its lists here: exit 1 when they
    differ.  False when there is no crmkit.eval to check."""
    path = os.path.join(work_dir, "crmkit.eval")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        line = f.read().strip()
    for key in ("precision", "recall", "ndcg", "hit_rate", "coverage"):
        bench_common.check_figure(line, key, "crm-recommend",
                                  res["crmkit"][key], "its lists give here")
    users = bench_common.eval_figure(line, "customers", "crm-recommend")[1]
    if users != res["crmkit"]["users"]:
        die(f"crm-recommend eval counted {users:.0f} users, this evaluator "
            f"{res['crmkit']['users']}: the benchmark stops")
    return True


def read_number(work_dir, name):
    path = os.path.join(work_dir, name)
    if not os.path.exists(path):
        return float("nan")
    with open(path) as f:
        return float(f.read().split()[0])


def report(work_dir, tools):
    res = {}
    for tool in tools:
        e = res[tool] = evaluate(work_dir, tool)
        e["fit"] = read_number(work_dir, tool + ".fit")
        e["rss"] = read_number(work_dir, tool + ".rss") / 1024
    # No table at all when crmkit's own figures are not borne out.
    checked = "crmkit" in res and check_eval(work_dir, res)
    print(f"{'tool':<12} {'precision@10':>12} {'recall@10':>9} "
          f"{'ndcg@10':>8} {'hit_rate':>8} {'coverage':>8} {'fit_s':>7} "
          f"{'peak_MB':>7}")
    for tool in tools:
        e = res[tool]
        print(f"{tool:<12} {e['precision']:>12.4f} {e['recall']:>9.4f} "
              f"{e['ndcg']:>8.4f} {e['hit_rate']:>8.4f} "
              f"{e['coverage']:>8.4f} {e['fit']:>7.2f} {e['rss']:>7.0f}")
    print()
    if checked:
        print("check: crm-recommend eval (its own split and metrics) agrees "
              "with this evaluator on its lists, to the digits it prints")
    if "crmkit" in res:
        if "ease" in res:
            same_lists(work_dir, "crmkit", "ease")
        goals(work_dir, res)


def same_lists(work_dir, a, b):
    """How many users get the very same top-K list from tools a and b."""
    def lists(tool):
        with open(os.path.join(work_dir, tool + ".lists")) as f:
            return {line.split()[0]: line.split()[1:K + 1] for line in f}
    la, lb = lists(a), lists(b)
    same = sum(la[u] == lb.get(u) for u in la)
    print(f"lists: {a} (float) and {b} (numpy, double) give the same "
          f"top {K}, in the same order, to {same} of {len(la)} users")


def goals(work_dir, res):
    crm = res["crmkit"]
    peers = [(res[p]["ndcg"], p) for p in PEERS if p in res]
    met = True
    if peers:
        best, name = max(peers)
        ok = crm["ndcg"] >= best
        met &= ok
        print(f"ndcg@10: crmkit {crm['ndcg']:.4f}, best peer ({name}) "
              f"{best:.4f}, difference {crm['ndcg'] - best:+.4f}: "
              f"{'GOAL MET' if ok else 'GOAL MISSED'}")
    else:
        met = False
        print("ndcg@10: no peer run: GOAL UNDECIDED")
    if "ease" in res:
        ok = crm["fit"] <= res["ease"]["fit"]
        met &= ok
        print(f"fit time: crmkit {crm['fit']:.2f} s, numpy EASE "
              f"{res['ease']['fit']:.2f} s, ratio "
              f"{crm['fit'] / res['ease']['fit']:.3f}: "
              f"{'GOAL MET' if ok else 'GOAL MISSED'}")
    else:
        met = False
        print("fit time: numpy EASE not run: GOAL UNDECIDED")
    n = read_number(work_dir, "items")
    stated = 4 * n * n / 1e6
    print(f"memory: crmkit fit peak RSS {crm['rss']:.0f} MB; crm-recommend(1) "
          f"states 4 n^2 bytes = {stated:.0f} MB for its n = {n:.0f} items, "
          f"plus the interactions and the program (measured excess "
          f"{crm['rss'] - stated:.0f} MB)")
    print(f"recommend: {'GOAL MET' if met else 'GOAL MISSED'}")


def main(argv):
    commands = {"prep": (prep, 2), "crmkit": (crmkit_lists, 3),
                "report": (lambda w, t: report(w, t.split()), 2)}
    for peer in PEERS:
        commands[peer] = (lambda w, p=peer: run_peer(p, w), 1)
    bench_common.dispatch(argv, commands, __doc__)


if __name__ == "__main__":
    main(sys.argv)
