#!/usr/bin/python3
"""bench-tag-peers.py: the Python side of scripts/bench-tag.sh.

Run with Debian's /usr/bin/python3 (scikit-learn from python3-sklearn,
numpy from python3-numpy).  Sub-commands, each called by bench-tag.sh:

  prep DATA_DIR WORK_DIR      write WORK_DIR/rfm.csv (customer_id, recency,
                              frequency, monetary per customer) and
                              WORK_DIR/events.jsonl (one order event per
                              CDNOW line, for the store)
  sklearn WORK_DIR            fit the peer; print "inertia seconds"
  check WORK_DIR OUT.CSV INERTIA
                              check crm-tag's output: its inertia against
                              the clusters it wrote, its RFM scores and
                              segments against this file's own scoring;
                              print the segment sizes
  store WORK_DIR STORE.JSONL  check the RFM values crm-tag read from the
                              store against rfm.csv

recency is the days from a customer's last purchase to 1998-07-01,
frequency the number of purchases (lines of CDNOW_master.txt), monetary
their total dollar value.  The peer is KMeans(n_clusters=8,
init="k-means++", n_init=10, random_state=1) on the standardized
log1p(recency, frequency, monetary); its time is the log1p, the
standardization and the fit, in this process, numpy arrays in memory.
"""

import csv
import datetime
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_common  # noqa: E402
from bench_common import die, progress  # noqa: E402

bench_common.NAME = "bench-tag"

DATA_FILE = os.path.join("cdnow", "CDNOW_master.txt")
AS_OF = datetime.date(1998, 7, 1)
K = 8
SEGMENTS = ("Champions", "Loyal", "Potential loyalist", "New", "Promising",
            "Need attention", "About to sleep", "At risk",
            "Cannot lose them", "Hibernating", "Lost")
# crm-tag(1): rows are FM scores 5 down to 1, columns R scores 1 to 5
GRID = (("Cannot lose them", "Cannot lose them", "Loyal", "Loyal",
         "Champions"),
        ("At risk", "At risk", "Loyal", "Loyal", "Champions"),
        ("At risk", "At risk", "Need attention", "Potential loyalist",
         "Potential loyalist"),
        ("Lost", "Hibernating", "About to sleep", "Potential loyalist",
         "Potential loyalist"),
        ("Lost", "Hibernating", "About to sleep", "Promising", "New"))


def prep(data_dir, work_dir):
    path = os.path.join(data_dir, DATA_FILE)
    agg = {}
    lines = 0
    with open(path, encoding="ascii") as f, \
            open(os.path.join(work_dir, "events.jsonl"), "w") as ev:
        next(f)  # the header the lifetimes package added
        for line in f:
            p = line.split()
            if not p:
                continue
            cid, day, dollars = p[0], p[1], float(p[3])
            a = agg.setdefault(cid, [day, 0, 0.0])
            a[0] = max(a[0], day)
            a[1] += 1
            a[2] += dollars
            lines += 1
            ev.write(json.dumps({
                "event_id": f"cdnow-{lines}", "customer_id": cid,
                "time": f"{day[:4]}-{day[4:6]}-{day[6:]}", "type": "order",
                "amount": p[3]}) + "\n")
    with open(os.path.join(work_dir, "rfm.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "recency", "frequency", "monetary"])
        for cid in sorted(agg):
            day, n, m = agg[cid]
            last = datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            w.writerow([cid, (AS_OF - last).days, n, f"{m:.2f}"])
    progress(f"{lines} purchases of {len(agg)} customers")


def rfm_matrix(work_dir):
    import numpy as np
    with open(os.path.join(work_dir, "rfm.csv"), newline="") as f:
        rows = list(csv.reader(f))[1:]
    return [r[0] for r in rows], np.array(
        [[float(r[1]), float(r[2]), float(r[3])] for r in rows])


def standardize(X):
    import numpy as np
    Z = np.log1p(X)
    return (Z - Z.mean(axis=0)) / Z.std(axis=0)


def run_sklearn(work_dir):
    from sklearn.cluster import KMeans
    _, X = rfm_matrix(work_dir)
    t0 = time.perf_counter()
    Z = standardize(X)
    km = KMeans(n_clusters=K, init="k-means++", n_init=10,
                random_state=1).fit(Z)
    t1 = time.perf_counter()
    print(f"{km.inertia_!r} {t1 - t0!r}")


def scores(values, low_is_best):
    """crm-tag(1)'s quintile scores: the boundaries are the largest
    values of the first four fifths; a value scores 1 + the number of
    boundaries it is above (5 minus that when low is best)."""
    s = sorted(values)
    m = len(s)
    q = [s[((j + 1) * m + 4) // 5 - 1] for j in range(4)]
    out = []
    for v in values:
        above = sum(v > b for b in q)
        out.append(5 - above if low_is_best else 1 + above)
    return out


def check(work_dir, out_csv, inertia):
    import numpy as np
    ids, X = rfm_matrix(work_dir)
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if [r["customer_id"] for r in rows] != ids:
        die("crm-tag's output has other customers, or in another order")
    # the inertia of the clusters crm-tag wrote, about their means: at
    # most crm-tag's figure (about its last centres, which had stopped
    # moving by less than the tolerance), and hardly less
    Z = standardize(X)
    label = np.array([int(r["cluster"]) for r in rows])
    mine = sum(((Z[label == c] - Z[label == c].mean(axis=0)) ** 2).sum()
               for c in range(K))
    if not float(inertia) * (1 - 1e-4) <= mine <= float(inertia) * (1 + 1e-9):
        die(f"crm-tag printed inertia {inertia}, its clusters have {mine}")
    # the RFM scores and segments, computed here
    r = scores(list(X[:, 0]), True)
    f = scores(list(X[:, 1]), False)
    m = scores(list(X[:, 2]), False)
    bad = 0
    for i, row in enumerate(rows):
        fm = (f[i] + m[i] + 1) // 2
        want = (str(r[i]), str(f[i]), str(m[i]), GRID[5 - fm][r[i] - 1])
        got = (row["r_score"], row["f_score"], row["m_score"],
               row["rfm_segment"])
        bad += want != got
    if bad:
        die(f"{bad} customers' RFM scores or segments differ from this "
            "file's")
    sizes = {s: 0 for s in SEGMENTS}
    for row in rows:
        sizes[row["rfm_segment"]] += 1
    print(f"check: inertia recomputed from crm-tag's clusters {mine:.4f}; "
          f"RFM scores and segments of all {len(rows)} customers as "
          "computed here")
    print("RFM segments (crm-tag):")
    for s in SEGMENTS:
        print(f"  {s:<18} {sizes[s]:>6} {100 * sizes[s] / len(rows):5.1f}%")


def store(work_dir, store_jsonl):
    ids, X = rfm_matrix(work_dir)
    want = {cid: tuple(X[i]) for i, cid in enumerate(ids)}
    got = {}
    with open(store_jsonl) as f:
        for line in f:
            r = json.loads(line)
            got[r["customer_id"]] = (float(r["recency"]),
                                     float(r["frequency"]),
                                     float(r["monetary"]))
    if got.keys() != want.keys():
        die("the store's customers differ from rfm.csv's")
    bad = [c for c in want
           if any(abs(a - b) > 0.005 for a, b in zip(want[c], got[c]))]
    if bad:
        die(f"{len(bad)} customers' RFM from the store differ, e.g. "
            f"{bad[0]}: {got[bad[0]]} != {want[bad[0]]}")
    print(f"check: recency, frequency and monetary from the store equal "
          f"rfm.csv's for all {len(want)} customers")


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "prep" and len(args) == 2:
        prep(*args)
    elif cmd == "sklearn" and len(args) == 1:
        run_sklearn(args[0])
    elif cmd == "check" and len(args) == 3:
        check(*args)
    elif cmd == "store" and len(args) == 2:
        store(*args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)


if __name__ == "__main__":
    main(sys.argv)
