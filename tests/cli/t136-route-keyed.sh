# t136-route-keyed: crm-route is keyed by --customer-field (crm(7),
# Scaling out): 4 shards that keep each customer's tickets together and in
# order (parallel --pipe --group-by on the sorted key, and
# scripts/shard-run.sh -k) give one process's routes, bursts included; a
# split that ignores the key misses bursts.  Without --as-of a ticket is
# routed as at its own time, so a run gives the same routes whenever it
# runs.
. "$TOP/tests/lib.sh"
t_use shard
r() { crm-route -q --burst 3/10m "$@"; }

# 48 tickets of 9 customers, 30 to 120 s apart; 8 are the third short
# message of their customer within 10 minutes.
t_run burst 0 -- crm-route --burst 3/10m in/tickets.jsonl
r in/tickets.jsonl | sort >one.jsonl
t_eq "bursts escalate 8 tickets" 8 \
    "$(grep -c '"queue":"senior"' one.jsonl)"

# the customer in front, sorted on it alone (-s: input order within it),
# whole customers to a shard
sed 's/.*"customer_id":"\([^"]*\)".*/\1	&/' in/tickets.jsonl |
    sort -s -t "$(printf '\t')" -k 1,1 |
    parallel --pipe -j 4 --block 1k --group-by 1 --colsep '\t' \
	'cut -f 2- | crm-route -q --burst 3/10m' 2>/dev/null |
    sort >group-by.jsonl
t_ok "parallel --pipe --group-by customer, 4 shards: one process's routes" \
    cmp one.jsonl group-by.jsonl
sh "$TOP/scripts/shard-run.sh" -j 4 -b 1k -k customer_id -- \
    crm-route -q --burst 3/10m <in/tickets.jsonl 2>/dev/null |
    sort >shard-run.jsonl
t_ok "shard-run.sh -k customer_id, 4 shards: one process's routes" \
    cmp one.jsonl shard-run.jsonl
# one customer spelt two ways: every other ticket's "C" as "\u0043", the
# same customer to crm-route, and so to the key of shard-run.sh
awk '++n % 2 == 0 { sub(/"customer_id":"C/, "\"customer_id\":\"\\u0043") } 1' \
    in/tickets.jsonl >escaped.jsonl
sh "$TOP/scripts/shard-run.sh" -j 4 -b 1k -k customer_id -- \
    crm-route -q --burst 3/10m <escaped.jsonl 2>/dev/null |
    sort >escaped.out
t_ok "shard-run.sh -k: a key written with escapes is the same key" \
    cmp one.jsonl escaped.out
# one ticket a shard, in turn: a customer's tickets in different shards
parallel --pipe -j 4 -N 1 --round-robin crm-route -q --burst 3/10m \
    <in/tickets.jsonl 2>/dev/null | sort >round-robin.jsonl
t_eq "not keyed: the bursts are missed" 0 \
    "$(grep -c '"queue":"senior"' round-robin.jsonl || true)"

# The reference time: --as-of, else the ticket's own.  T002 (cannot log
# in, 40 points) without --as-of is routed as at its time, P2 (the clock
# would give it 20 points of waiting); a day later it has waited 20
# points more, P1.
grep '"T002"' in/tickets.jsonl >t2.jsonl
t_eq "without --as-of: as at the ticket's time" \
    "$(r --as-of 2026-03-02T09:03:21Z t2.jsonl)" "$(r t2.jsonl)"
t_eq "at its time P2; a day later P1, for 20 points of waiting" \
    '"P2" "P1"' \
    "$(r t2.jsonl | sed 's/.*"priority":\("P[0-9]"\).*/\1/') $(r \
	--as-of 2026-03-03T09:03:21Z t2.jsonl |
	sed 's/.*"priority":\("P[0-9]"\).*/\1/')"
t_done
