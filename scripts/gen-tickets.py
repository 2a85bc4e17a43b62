#!/usr/bin/python3
"""gen-tickets.py: synthetic support tickets as JSONL, for
scripts/bench-route.sh.

usage: gen-tickets.py [-n N] [--seed S] [OUT.jsonl]   (stdout without OUT)

Writes N tickets, one JSON object a line, with the fields crm-route reads
(docs: ../notes/route-spec.md, man/crm-route.1):

  id               "T0000001", ...: in the order of the lines
  customer_id      "C" and 7 digits; about N/4 customers, drawn with
                   skewed frequencies (a few write very often)
  created          RFC 3339 UTC ("2025-12-30T14:03:27Z"), in the 30 days
                   before 2026-01-01T00:00:00Z: the age of a
                   conversation is exponential, with a mean of 6 hours
                   for half of them (fresh tickets) and of 3 days for the
                   others (a backlog), so that every value of the waiting
                   term of the priority score occurs; lines are in created
                   order (ties in input order), as a ticket stream is
  channel          email, chat, web, phone, social
  text             English (about 94%) or Chinese: a short message or
                   (about 1 in 4) a long one (English 200 to 900
                   characters, Chinese 120 to 400); some with quotes,
                   apostrophes, dashes, accents
  intent           the 11 intents of crm-route's score table, or
                   out_of_scope
  intent_score     0.2 to 0.999 (3 decimals; lower for out_of_scope)
  sentiment        negative, neutral, positive (depends on the intent)
  sentiment_score  0.5 to 0.999 (3 decimals)
  tier             standard, gold, vip (per customer; about 1 in 50
                   written capitalized, "VIP", "Gold"); null for about 7%
                   of the customers
  lifetime_value   per customer, lognormal (median about 400), 2
                   decimals; 0 for about 3% of the customers, null for
                   about 8%

About 20% of the conversations are several messages (2 to 6) from one
customer a few seconds to four minutes apart, mostly short chat or social
messages: crm-route's burst rule (3 short messages within 5 minutes)
fires on some of them.  Deterministic for a given seed; standard library
only (Debian's /usr/bin/python3); about 7 s for 1,000,000 tickets on a
2-core build machine.
"""

import argparse
import json
import math
import random
import sys
import time

NOW = 1767225600  # 2026-01-01T00:00:00Z
SPAN = 30 * 86400  # tickets are at most 30 days old

# (intent, weight, (p negative, p neutral), English messages, Chinese)
INTENTS = [
    ("order_status", 18, (0.25, 0.65), [
        "Where is my order #{o}? It was supposed to arrive on {d}.",
        "Hi, any update on order {o}? Tracking hasn't moved in {n} days.",
        "The \"Track order\" page shows nothing for {o}.",
        "When will my {p} ship?",
        "order {o} still not here",
    ], ["我的订单{o}还没到，已经等了{n}天了。", "请问订单{o}什么时候发货？"]),
    ("return_refund", 12, (0.35, 0.55), [
        "I want to return the {p} from order {o}, it doesn't fit.",
        "Still waiting for my refund for {o} - it has been {n} days.",
        "How do I send back a damaged {p}?",
        "Refund please. The {p} broke after {n} days.",
    ], ["我想退货，订单号{o}，{p}有质量问题。", "退款什么时候到账？"]),
    ("product_question", 14, (0.05, 0.75), [
        "Does the {p} work with a 220V outlet?",
        "Is the {p} available in blue?",
        "What is the warranty on the {p}?",
        "Can I use the {p} outdoors in winter?",
    ], ["这个{p}有别的颜色吗？", "{p}保修多久？"]),
    ("payment_issue", 8, (0.55, 0.4), [
        "I was charged twice for order {o}!",
        "My card was declined but the money left my account.",
        "Double charge on my statement for {o}, please fix.",
        "Payment failed at checkout three times.",
    ], ["同一个订单{o}扣了我两次钱！", "付款失败但是钱已经扣了。"]),
    ("account_login", 8, (0.45, 0.5), [
        "I can't log in, it says my password is wrong.",
        "My account is locked after too many attempts.",
        "I think my account was hacked, there are orders I never made!",
        "Reset password email never arrives.",
    ], ["登录不了，密码一直错误。", "我的账号被盗了！"]),
    ("cancel_order", 7, (0.35, 0.6), [
        "Please cancel order {o}.",
        "Cancel my order {o} before it ships, I ordered the wrong {p}.",
        "I need to cancel {o} immediately.",
    ], ["请取消订单{o}。"]),
    ("change_address", 5, (0.1, 0.85), [
        "I moved - please ship order {o} to my new address.",
        "Wrong street on order {o}, can you change it?",
    ], ["订单{o}的地址写错了，能改吗？"]),
    ("complaint", 8, (0.8, 0.15), [
        "This is the worst service I have ever had.",
        "Your courier left the {p} in the rain. Unacceptable.",
        "I've been on hold for {n} hours. Ridiculous!",
        "The {p} is nothing like the pictures, very disappointed.",
    ], ["服务太差了，我要投诉！", "快递员态度非常恶劣。"]),
    ("human_agent", 5, (0.4, 0.55), [
        "Let me talk to a human please.",
        "Agent. AGENT. I want a real person.",
        "Can someone call me back about {o}?",
    ], ["我要人工客服。"]),
    ("feature_suggestion", 4, (0.05, 0.6), [
        "It would be nice to filter orders by date in the app.",
        "Please add Apple Pay at checkout.",
    ], ["希望能增加按日期筛选订单的功能。"]),
    ("praise", 4, (0.0, 0.1), [
        "Thanks, the {p} arrived early and works great!",
        "Great support from your team - merci beaucoup!",
    ], ["谢谢，{p}很好用！"]),
    ("out_of_scope", 7, (0.15, 0.7), [
        "What's the weather like in Zürich today?",
        "asdf",
        "Do you sell car insurance?",
        "Who won the game last night?",
    ], ["你好"]),
]

PRODUCTS = ["kettle", "blender", "headphones", "desk lamp", "air fryer",
            "backpack", "rain jacket", "phone case", "coffee grinder",
            "running shoes", "café table", "smart watch"]
PRODUCTS_ZH = ["水壶", "耳机", "台灯", "背包", "咖啡机", "跑鞋"]

# Sentences that make a message long (a story, a pasted order history).
MORE_EN = [
    "I already wrote to you about this last week and got no answer.",
    "My order history shows the payment but the status never changed.",
    "I have been a customer for years and never had a problem like this.",
    "The delivery driver said he left it at the door, but it wasn't there.",
    "I attached photos of the box and of the label, as your FAQ asks.",
    "Please don't send me the automatic reply again, it doesn't help.",
    "My neighbour ordered the same thing and got it in two days.",
    "I tried the chat, the phone line and the app; nobody could help.",
]
MORE_ZH = [
    "我上周已经联系过你们，但是一直没有回复。",
    "订单记录显示已经付款，但是状态一直没有更新。",
    "我是你们的老顾客了，从来没遇到过这样的问题。",
    "快递说放在门口了，可是我根本没有收到。",
]

CHANNELS = ["email", "chat", "web", "phone", "social"]
CHANNEL_W = [35, 30, 15, 10, 10]
BURST_CHANNEL_W = [5, 60, 10, 0, 25]
TIER_CAP = {"standard": "Standard", "gold": "Gold", "vip": "VIP"}


def jstr(s):
    """s as the inside of a JSON string (UTF-8, not escaped to ASCII)."""
    return json.dumps(s, ensure_ascii=False)[1:-1]


def customers(rng, m):
    """The customer ids and their constant fields, as JSON text: for each
    customer the text that goes after customer_id's value (tier and
    lifetime_value are written last, so it is the line's end)."""
    ids = rng.sample(range(10 ** 7), m)
    ids_out, tails = [], []
    for i in range(m):
        ids_out.append('"C%07d"' % ids[i])
        # A missing value is written null, not left out: crm-route rejects
        # a ticket without a field its rules use (a misspelt name in a
        # rule is an error, not a silent NULL).
        k = int(100 * rng.random())  # 70% standard, 18% gold, 5% vip
        if k < 93:
            tier = "standard" if k < 70 else "gold" if k < 88 else "vip"
            if rng.random() < 0.02:
                tier = TIER_CAP[tier]
            tail = ',"tier":"%s"' % tier
        else:
            tail = ',"tier":null'
        u = rng.random()
        if u < 0.08:
            tail += ',"lifetime_value":null'
        elif u < 0.11:
            tail += ',"lifetime_value":0'
        else:
            tail += ',"lifetime_value":%.2f' % math.exp(rng.gauss(6.0, 1.5))
        tails.append(tail)
    return ids_out, tails


def message(rand, intent_k, zh, long):
    """The text of one message, escaped for JSON (every piece is escaped
    once, in main(); the slots are filled with text that needs none)."""
    tmpls = INTENTS[intent_k][4 if zh else 3]
    prods = PRODUCTS_ZH if zh else PRODUCTS
    s = tmpls[int(rand() * len(tmpls))].format(
        o="A%06d" % int(rand() * 10 ** 6), n=2 + int(rand() * 13),
        p=prods[int(rand() * len(prods))], d="Dec %d" % (1 + int(rand() * 28)))
    if long:
        more = MORE_ZH if zh else MORE_EN
        want = 120 + int(rand() * 280) if zh else 200 + int(rand() * 700)
        parts = [s]
        size = len(s)
        while size < want:
            t = more[int(rand() * len(more))]
            parts.append(t)
            size += len(t) + 1
        s = ("" if zh else " ").join(parts)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="tickets (default 1000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("out", nargs="?", help="output file (default stdout)")
    a = ap.parse_args()
    if a.n < 0:
        ap.error("N must be >= 0")
    rng = random.Random(a.seed)
    for x in INTENTS:
        x[3][:] = [jstr(t) for t in x[3]]
        x[4][:] = [jstr(t) for t in x[4]]
    MORE_EN[:] = [jstr(t) for t in MORE_EN]
    MORE_ZH[:] = [jstr(t) for t in MORE_ZH]
    n = a.n
    m = max(1, n // 4)
    cust_ids, cust_tails = customers(rng, m)

    # Conversations: a start time, a customer and a number of messages.
    # Message seq is written at its time (with seq breaking ties): keys
    # hold both, who[seq] its customer (times 2, plus 1 in a conversation
    # of several messages).
    keys, who = [], []
    seq = 0
    rand, expo = rng.random, rng.expovariate
    t0 = NOW - SPAN
    while seq < n:
        # Half of the conversations are fresh (mean age 6 hours), half
        # a backlog (mean age 3 days).
        age = min(expo(1.0 / (6 * 3600) if rand() < 0.5 else 1.0 / (3 * 86400)), SPAN - 1)
        t = NOW - 1 - int(age)
        c = int(m * rand() ** 1.6)
        k = 1
        u = rand()
        if u < 0.2:
            k = 2 if u < 0.1 else 3 if u < 0.16 else 4 + int(rand() * 3)
        for _ in range(min(k, n - seq)):
            keys.append((t - t0) << 32 | seq)
            who.append(2 * c + (k > 1))
            seq += 1
            t = min(t + 5 + int(rand() * 236), NOW - 1)
    keys.sort()

    # Draws by weight: a table of 100 entries (each list of weights sums
    # to 100), indexed by int(100 * rand()).
    def table(weights, values):
        assert sum(weights) == 100
        return [v for w, v in zip(weights, values) for _ in range(w)]
    intent_tab = table([x[1] for x in INTENTS], range(len(INTENTS)))
    ch_tab = table(CHANNEL_W, CHANNELS)
    bch_tab = table(BURST_CHANNEL_W, CHANNELS)
    out = open(a.out, "w", encoding="utf-8") if a.out else sys.stdout
    w = out.write
    days = {}
    hms = ["T%02d:%02d:%02dZ" % (x // 3600, x // 60 % 60, x % 60) for x in range(86400)]
    for i, key in enumerate(keys):
        c, burst = divmod(who[key & 0xFFFFFFFF], 2)
        day, sec = divmod(t0 + (key >> 32), 86400)
        ds = days.get(day)
        if ds is None:
            ds = days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        created = ds + hms[sec]
        ik = intent_tab[int(100 * rand())]
        name, _, (pneg, pneu), _, _ = INTENTS[ik]
        if burst:
            ch = bch_tab[int(100 * rand())]
            long = rand() < 0.08
        else:
            ch = ch_tab[int(100 * rand())]
            long = rand() < (0.45 if ch == "email" else 0.2)
        text = message(rand, ik, rand() < 0.06, long)
        lo = 0.2 if name == "out_of_scope" else 0.35
        hi = 0.65 if name == "out_of_scope" else 0.999
        iscore = lo + (hi - lo) * rand()
        u = rand()
        sent = "negative" if u < pneg else "neutral" if u < pneg + pneu else "positive"
        sscore = 0.5 + 0.499 * rand()
        w('{"id":"T%07d","customer_id":%s,"created":"%s","channel":"%s",'
          '"text":"%s","intent":"%s","intent_score":%.3f,"sentiment":"%s",'
          '"sentiment_score":%.3f%s}\n'
          % (i + 1, cust_ids[c], created, ch, text, name, iscore, sent,
             sscore, cust_tails[c]))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
