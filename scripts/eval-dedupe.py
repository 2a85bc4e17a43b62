#!/usr/bin/python3
"""eval-dedupe.py: pairwise precision, recall and F1 of crm-dedupe's output,
for scripts/bench-dedupe.sh.

usage: eval-dedupe.py [--id-field F] [--cluster-field F]
                      (--truth TRUTH.csv | --febrl) [--input IN.csv]
                      [--link A.csv] OUT.csv
       eval-dedupe.py --self-test

OUT.csv is crm-dedupe's output: one record per input record, with its id
(--id-field, default rec_id) and cluster_id (--cluster-field).  The truth
(the entity of each id) comes from TRUTH.csv (two columns: id, entity; a
header line first) or, with --febrl, from the FEBRL ids themselves:
rec-N-org and rec-N-dup-K are entity N.  Header names and values are
stripped of surrounding blanks (FEBRL files have a space after each comma).

Dedupe (default): a pair of records is predicted when both are in one
cluster and true when both are one entity; over all pairs,
  precision = TP / predicted pairs, recall = TP / true pairs,
  F1 = 2 P R / (P + R)   (each 0 when its denominator is 0).
The counts are sums of C(k,2) over the clusters, the entities and the
(cluster, entity) cells, so a million records take seconds.

Link (--link A.csv): OUT.csv holds the records of the second file B, each
with cluster_id = the id of the A record it was linked to (or its own id);
the records of A are members of the cluster named by their own id, or of
their cluster_id if OUT.csv holds them too.  Only cross pairs (a, b) count:
predicted = sum over clusters of n_a * n_b, true = sum over entities of
n_a * n_b, TP = the same sum over (cluster, entity) cells.

Checks: ids in OUT.csv are unique; every id has a truth; with --input (or
TRUTH.csv), OUT.csv holds exactly the input's ids.  A failed check exits 1.

Output, one line:
  pairs_true=T pairs_pred=P tp=X precision=... recall=... f1=... records=R
"""

import argparse
import csv
import re
import sys
from collections import Counter

csv.field_size_limit(1 << 30)
FEBRL_ID = re.compile(r"rec-(\d+)-(?:org|dup-\d+)$")


def die(msg):
    print("eval-dedupe: " + msg, file=sys.stderr)
    sys.exit(1)


def read_columns(path, *names):
    """The columns named names of CSV file path, as lists of stripped values."""
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = [h.strip() for h in next(r, [])]
        try:
            idx = [header.index(n) for n in names]
        except ValueError:
            die(f"{path}: header has no {' or '.join(names)}: {header}")
        cols = [[] for _ in names]
        for line, row in enumerate(r, 2):
            if len(row) != len(header):
                die(f"{path}:{line}: {len(row)} fields, header has {len(header)}")
            for c, i in zip(cols, idx):
                c.append(row[i].strip())
    return cols


def c2(k):
    return k * (k - 1) // 2


def scores(tp, pred, true):
    p = tp / pred if pred else 0.0
    r = tp / true if true else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def dedupe_counts(ids, clusters, entity):
    """(true pairs, predicted pairs, true positives) within one file."""
    ents = [entity(i) for i in ids]
    true = sum(c2(k) for k in Counter(ents).values())
    pred = sum(c2(k) for k in Counter(clusters).values())
    tp = sum(c2(k) for k in Counter(zip(clusters, ents)).values())
    return true, pred, tp


def link_counts(a_ids, ids, clusters, entity):
    """(true, predicted, true positive) cross pairs between A and the output B."""
    a_set = set(a_ids)
    member = dict(zip(ids, clusters))      # output records: their cluster
    side = {i: (i in a_set) for i in ids}
    for a in a_ids:                         # A records not in the output
        if a not in member:
            member[a] = a
            side[a] = True
    by_cell = [Counter(), Counter()]        # [B, A]: (cluster, entity) -> n
    by_clu = [Counter(), Counter()]
    by_ent = [Counter(), Counter()]
    for i, c in member.items():
        s, e = side[i], entity(i)
        by_cell[s][c, e] += 1
        by_clu[s][c] += 1
        by_ent[s][e] += 1
    true = sum(k * by_ent[1][e] for e, k in by_ent[0].items())
    pred = sum(k * by_clu[1][c] for c, k in by_clu[0].items())
    tp = sum(k * by_cell[1][x] for x, k in by_cell[0].items())
    return true, pred, tp


def evaluate(ids, clusters, entity, a_ids=None):
    if a_ids is None:
        t, p, tp = dedupe_counts(ids, clusters, entity)
    else:
        t, p, tp = link_counts(a_ids, ids, clusters, entity)
    return (t, p, tp) + scores(tp, p, t)


def febrl_entity(i):
    m = FEBRL_ID.match(i)
    if not m:
        die(f"not a FEBRL id (rec-N-org, rec-N-dup-K): '{i}'")
    return m.group(1)


def self_test():
    """Oracle and hand-counted cases; exits 1 on a failure."""
    ids = ["rec-1-org", "rec-1-dup-0", "rec-1-dup-1", "rec-2-org", "rec-2-dup-0", "rec-3-org"]
    ent = [febrl_entity(i) for i in ids]
    cases = [
        ("oracle", evaluate(ids, ent, febrl_entity), (4, 4, 4, 1.0, 1.0, 1.0)),
        ("singletons", evaluate(ids, ids, febrl_entity), (4, 0, 0, 0.0, 0.0, 0.0)),
        # one cluster of all 6: 15 predicted pairs, 4 of them true
        ("one cluster", evaluate(ids, ["x"] * 6, febrl_entity), (4, 15, 4, 4 / 15, 1.0, 8 / 19)),
        # {1-org,1-dup-0} {1-dup-1,2-org,2-dup-0} {3}: tp 1 + 1, pred 1 + 3
        ("mixed", evaluate(ids, ["a", "a", "b", "b", "b", "c"], febrl_entity),
         (4, 4, 2, 0.5, 0.5, 0.5)),
        # link: A = 1-org 2-org 3-org; B = 1-dup-0 (linked right), 2-dup-0
        # (linked to 3-org: wrong), 4-dup-0 (unlinked, no true partner)
        ("link", evaluate(["rec-1-dup-0", "rec-2-dup-0", "rec-4-dup-0"],
                          ["rec-1-org", "rec-3-org", "rec-4-dup-0"], febrl_entity,
                          ["rec-1-org", "rec-2-org", "rec-3-org"]),
         (2, 2, 1, 0.5, 0.5, 0.5)),
        ("link oracle", evaluate(["rec-1-dup-0", "rec-2-dup-0"], ["rec-1-org", "rec-2-org"],
                                 febrl_entity, ["rec-1-org", "rec-2-org", "rec-3-org"]),
         (2, 2, 2, 1.0, 1.0, 1.0)),
        ("link none", evaluate(["rec-1-dup-0", "rec-2-dup-0"], ["rec-1-dup-0", "rec-2-dup-0"],
                               febrl_entity, ["rec-1-org", "rec-2-org"]),
         (2, 0, 0, 0.0, 0.0, 0.0)),
    ]
    bad = 0
    for name, got, want in cases:
        ok = all(abs(g - w) < 1e-12 for g, w in zip(got, want))
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'} {name}: got {got}, want {want}")
    sys.exit(1 if bad else 0)


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1].partition(": ")[2])
    ap.add_argument("--id-field", default="rec_id")
    ap.add_argument("--cluster-field", default="cluster_id")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--truth")
    g.add_argument("--febrl", action="store_true")
    ap.add_argument("--input")
    ap.add_argument("--link")
    ap.add_argument("out")
    a = ap.parse_args()

    ids, clusters = read_columns(a.out, a.id_field, a.cluster_field)
    if len(set(ids)) != len(ids):
        die(f"{a.out}: {len(ids) - len(set(ids))} duplicate ids")
    expected = None
    if a.febrl:
        entity = febrl_entity
    else:
        with open(a.truth, newline="", encoding="utf-8") as f:
            r = csv.reader(f)
            next(r, None)
            truth = {row[0].strip(): row[1].strip() for row in r}
        expected = set(truth)

        def entity(i):
            try:
                return truth[i]
            except KeyError:
                die(f"id '{i}' is not in {a.truth}")
    if a.input:
        expected = set(read_columns(a.input, a.id_field)[0])
    a_ids = read_columns(a.link, a.id_field)[0] if a.link else None
    if expected is not None:
        got = set(ids)
        if a_ids is not None:
            expected -= set(a_ids)
            got -= set(a_ids)
        if got != expected:
            die(f"{a.out}: {len(expected - got)} input ids missing, "
                f"{len(got - expected)} ids not in the input")

    t, p, tp, prec, rec, f1 = evaluate(ids, clusters, entity, a_ids)
    print(f"pairs_true={t} pairs_pred={p} tp={tp} precision={prec:.4f} "
          f"recall={rec:.4f} f1={f1:.4f} records={len(ids)}")


if __name__ == "__main__":
    main()
