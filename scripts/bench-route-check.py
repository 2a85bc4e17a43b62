#!/usr/bin/python3
"""bench-route-check.py: the check of scripts/bench-route.sh.

usage: bench-route-check.py N TICKETS CRMKIT_OUT PEER_OUT

Reads the tickets given to both tools and the two outputs (JSONL) side by
side and checks that each output has N records, that the records are the
tickets in their order (same id on the same line), and that crm-route and
the peer give every ticket the same priority, queue and sla_due.  Prints
the counts, the first disagreements (at most 5, with the ticket), then the
distribution of priority and queue in crm-route's output.  Exit status 0
when all holds, 1 otherwise.
"""

import json
import sys
from collections import Counter

FIELDS = ("priority", "queue", "sla_due")
SHOW = 5


def check(n, tickets, crm_out, peer_out):
    n = int(n)
    records = {"crmkit": 0, "mlr": 0}
    bad, shown, lines = 0, 0, 0
    prio, queue = Counter(), Counter()
    with open(tickets, encoding="utf-8") as ft, \
            open(crm_out, encoding="utf-8") as fc, \
            open(peer_out, encoding="utf-8") as fp:
        while True:
            t, c, p = ft.readline(), fc.readline(), fp.readline()
            if not (t or c or p):
                break
            lines += 1
            rc = json.loads(c) if c else None
            rp = json.loads(p) if p else None
            if rc is not None:
                records["crmkit"] += 1
                prio[rc.get("priority")] += 1
                queue[rc.get("queue")] += 1
            if rp is not None:
                records["mlr"] += 1
            tid = json.loads(t)["id"] if t else None
            ok = (rc is not None and rp is not None and rc.get("id") == tid
                  and rp.get("id") == tid
                  and all(rc.get(k) == rp.get(k) for k in FIELDS))
            if not ok:
                bad += 1
                if shown < SHOW:
                    shown += 1
                    print("  DISAGREE line %d: ticket %s" % (lines, t.strip()))
                    for name, r in (("crmkit", rc), ("mlr", rp)):
                        got = "no record" if r is None else " ".join(
                            "%s=%s" % (k, r.get(k)) for k in ("id",) + FIELDS)
                        print("    %-6s %s" % (name, got))
    print("check: records: crmkit %d, mlr %d (expected %d each)"
          % (records["crmkit"], records["mlr"], n))
    print("check: tickets on which priority, queue or sla_due disagree "
          "(or the record is missing or out of order): %d" % bad)
    total = max(1, records["crmkit"])
    print("priority: " + "  ".join(
        "%s %d (%.1f%%)" % (k, v, 100.0 * v / total) for k, v in sorted(prio.items())))
    print("queue:    " + "  ".join(
        "%s %d (%.1f%%)" % (k, v, 100.0 * v / total) for k, v in queue.most_common()))
    good = bad == 0 and records["crmkit"] == n and records["mlr"] == n
    print("CHECK " + ("PASSED" if good else "FAILED"))
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    if len(sys.argv) != 5 or not sys.argv[1].isdigit():
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    check(*sys.argv[1:])
