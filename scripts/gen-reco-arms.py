#!/usr/bin/python3
"""gen-reco-arms.py: the made-up shop of testdata/reco-arms (t124) and of
examples/reco-*.csv (crm-recommend(1), crm(7)).

usage: gen-reco-arms.py DIR

Writes into DIR:

  orders.csv     customer_id,item,time: 60 customers c01..c60 of a shop
                 of 16 items in four kinds (tea t1-t4, books b1-b4,
                 garden g1-g4, toys y1-y4), January and February 2026.
                 Each customer likes one kind and, one in two, a second;
                 it bought 2 to 5 items, each of a liked kind with
                 probability 0.85, else any item.
  next.csv       customer_id,item: each customer's next purchase, drawn
                 as its orders were, of an item it has not bought: what it
                 buys when a list offers it (the outcome t124 simulates;
                 no model sees it).
  customers.csv  customer_id: c01..c62 (c61, c62 bought nothing yet).

The same seed gives the same files (Python's Mersenne Twister).
"""
import random
import sys

KINDS = ["t", "b", "g", "y"]


def main():
    out = sys.argv[1]
    rnd = random.Random(124)
    items = [k + str(i) for k in KINDS for i in range(1, 5)]
    orders, nexts = [], []
    day = 0
    for c in range(1, 61):
        cid = "c%02d" % c
        kinds = [rnd.choice(KINDS)]
        if rnd.random() < 0.5:
            kinds.append(rnd.choice([k for k in KINDS if k != kinds[0]]))
        likes = [i for i in items if i[0] in kinds]
        bought = []
        for _ in range(rnd.randint(2, 5)):
            pool = likes if rnd.random() < 0.85 else items
            it = rnd.choice(pool)
            if it not in bought:
                bought.append(it)
        for it in bought:
            day += 1
            t = "2026-%02d-%02dT%02d:00:00Z" % (
                1 + (day // 6) // 28, 1 + (day // 6) % 28, 8 + day % 6)
            orders.append("%s,%s,%s" % (cid, it, t))
        while True:
            pool = likes if rnd.random() < 0.85 else items
            it = rnd.choice(pool)
            if it not in bought:
                break
        nexts.append("%s,%s" % (cid, it))
    with open(out + "/orders.csv", "w") as f:
        f.write("customer_id,item,time\n" + "\n".join(orders) + "\n")
    with open(out + "/next.csv", "w") as f:
        f.write("customer_id,item\n" + "\n".join(nexts) + "\n")
    with open(out + "/customers.csv", "w") as f:
        f.write("customer_id\n" +
                "\n".join("c%02d" % c for c in range(1, 63)) + "\n")


main()
