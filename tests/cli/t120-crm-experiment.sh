# t120-crm-experiment: assignment gives each customer the arm the keyed
# hash says (a Python hmac peer agrees), the same in two runs, in any
# input order and across `parallel --pipe` shards; the store keeps the
# design (another is refused, naming what differs) and each subject's
# first assignment with its time; a customer whose consent is withdrawn
# is not enrolled, by person none of its person's records; analyze counts conversions in the window after each
# assignment, per record and per person, as worked out by hand in
# testdata/experiment/README.md, and warns of a sample ratio mismatch.
. "$TOP/tests/lib.sh"
t_use experiment

q() { sqlite3 -batch -noheader "${DB:-crm.db}" "$@"; }
unset CRM_EXPERIMENT_KEY || true
x() { crm-experiment --experiment promo --holdout 0.1 --key-file in/key "$@"; }

# ---- Assignment as a filter ----------------------------------------------

t_run assign 0 -- x in/customers.csv
x -q in/customers.csv >run1.csv
x -q in/customers.csv >run2.csv
t_ok "two runs: the same arms" cmp run1.csv run2.csv
{ head -1 in/customers.csv; tail -n +2 in/customers.csv | sort -r; } >rev.csv
x -q rev.csv | sort >rev.out
sort run1.csv >run1.sorted
t_ok "reversed input: the same arms" cmp run1.sorted rev.out
t_eq "the Python hmac peer gives the same arms" \
    "$(tail -n +2 run1.csv | cut -d, -f1,4)" \
    "$(/usr/bin/python3 -c '
import hashlib, hmac
k = open("in/key", "rb").read().rstrip(b"\n")
for i in range(1, 21):
    c = "c%02d" % i
    d = hmac.new(k, b"promo\0" + c.encode(), hashlib.sha256).digest()
    u = (int.from_bytes(d[:8], "big") >> 11) * 2.0 ** -53
    print(c + "," + ("holdout" if u < 0.1 else
        "control" if u < 0.1 + 0.9 * 0.5 else "treatment"))')"
CRM_EXPERIMENT_KEY=$(cat in/key) crm-experiment -q --experiment promo \
    --holdout 0.1 in/customers.csv >env.csv
t_ok "the key from CRM_EXPERIMENT_KEY: the same arms" cmp run1.csv env.csv

# 2,000 customers as JSONL, in shards of about 8 KiB on 4 jobs
awk 'BEGIN { for (i = 1; i <= 2000; i++)
    printf "{\"customer_id\":\"k%05d\"}\n", i }' >many.jsonl
x -q many.jsonl | sort >whole.jsonl
parallel --pipe -j 4 --block 8k \
    crm-experiment -q --experiment promo --holdout 0.1 --key-file in/key \
    <many.jsonl | sort >shards.jsonl
t_eq "the shards wrote every record" 2000 "$(wc -l <shards.jsonl | tr -d ' ')"
t_ok "parallel --pipe -j 4 shards: the same arms" cmp whole.jsonl shards.jsonl

t_run no-key 64 -- crm-experiment --experiment promo in/customers.csv
printf 'short\n' >short.key
t_run short-key 64 -- crm-experiment --experiment promo \
    --key-file short.key in/customers.csv
t_run no-experiment 64 -- crm-experiment --key-file in/key in/customers.csv
t_run bad-arms 64 -- x --arms control=50 in/customers.csv
t_run bad-weight 64 -- x --arms control=50,treatment=x in/customers.csv
t_run purpose-no-db 64 -- x --purpose marketing_email in/customers.csv
t_run no-id 65 -- x in/no-id.csv

# ---- With the store: design, first assignments, consent ------------------

crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null
s() { x --db crm.db --purpose marketing_email "$@"; }
t_run store-first 0 -- s --as-of 2026-03-01 in/first.csv
t_run store-second 0 -- s --as-of 2026-03-05 in/second.csv
t_eq "the design is stored once" \
    "promo|2026-03-01T00:00:00Z|control=0.5,treatment=0.5|0.1|customer" \
    "$(q 'SELECT name, created, arms, holdout, unit FROM experiments')"
t_eq "first assignments kept with their time; c05 not enrolled" \
    "c01|treatment|2026-03-01T00:00:00Z
c02|treatment|2026-03-01T00:00:00Z
c03|control|2026-03-01T00:00:00Z
c04|treatment|2026-03-01T00:00:00Z
c06|control|2026-03-01T00:00:00Z
c07|control|2026-03-01T00:00:00Z
c08|treatment|2026-03-01T00:00:00Z
c09|treatment|2026-03-01T00:00:00Z
c10|holdout|2026-03-01T00:00:00Z
c11|control|2026-03-01T00:00:00Z
c12|control|2026-03-01T00:00:00Z
c13|control|2026-03-01T00:00:00Z
c14|treatment|2026-03-01T00:00:00Z
c15|treatment|2026-03-01T00:00:00Z
c16|treatment|2026-03-05T00:00:00Z
c17|control|2026-03-05T00:00:00Z
c18|treatment|2026-03-05T00:00:00Z
c19|control|2026-03-05T00:00:00Z
c20|treatment|2026-03-05T00:00:00Z" \
    "$(q 'SELECT subject, arm, time FROM assignments ORDER BY subject')"
t_eq "each new assignment audited once" "19|19|0" \
    "$(q "SELECT count(*), count(DISTINCT subject),
    sum(output <> (SELECT arm FROM assignments a WHERE a.subject =
    d.subject)) FROM decisions d WHERE tool = 'crm-experiment'")"
t_run redefine-arms 65 -- s --arms control=60,treatment=40 in/first.csv
t_run redefine-holdout 65 -- crm-experiment --experiment promo \
    --key-file in/key --db crm.db in/first.csv
t_eq "a refused run stores nothing" "19|19" \
    "$(q "SELECT (SELECT count(*) FROM assignments),
    (SELECT count(*) FROM decisions)")"

# ---- Analysis ---------------------------------------------------------------

a() { crm-experiment analyze --db crm.db --experiment promo \
    --outcome purchase "$@"; }
# arm, n and conversions of each arm
counts() { a -q --output-format csv "$@" 2>/dev/null | cut -d, -f2,4,5; }
t_run analyze 0 -- a --as-of 2026-04-01
t_eq "by hand: control 3 of 8, treatment 6 of 10, holdout 1 of 1" \
    "arm,n,conversions
control,8,3
treatment,10,6
holdout,1,1" \
    "$(counts --as-of 2026-04-01)"
t_eq "by hand on 2026-03-03: control 1 of 6, treatment 1 of 7" \
    "arm,n,conversions
control,6,1
treatment,7,1
holdout,1,1" \
    "$(counts --as-of 2026-03-03)"
t_eq "a 3-day window: control 1 (c11), treatment 2 (c01, c16)" \
    "arm,n,conversions
control,8,1
treatment,10,2
holdout,1,1" \
    "$(counts --as-of 2026-04-01 --window 3d)"
t_run analyze-sequential 0 -- a -q --as-of 2026-04-01 --sequential \
    --output-format csv
t_run analyze-control 0 -- a -q --as-of 2026-04-01 --control treatment \
    --level 0.9
t_run analyze-no-experiment 66 -- crm-experiment analyze --db crm.db \
    --experiment nosuch --outcome purchase
t_run analyze-bad-control 64 -- a --control nosuch
t_run analyze-no-outcome 64 -- crm-experiment analyze --db crm.db \
    --experiment promo
t_run analyze-key 64 -- a --key-file in/key
t_run analyze-window 64 -- a --window 3x

crm-mask erase -q --db crm.db c01 >/dev/null
t_eq "erasure: c01's assignment goes, the others stay" "0|18" \
    "$(q "SELECT sum(subject = 'c01'), count(*) FROM assignments")"

# ---- Per person ---------------------------------------------------------

# c03 is a record of person c01: it gets c01's arm, and the person
# converts when any of its records does; so is person P9 of c04 and c08,
# whose id is no record's.
rm -f p.db
crm-ingest -q --db p.db --kind events in/events.jsonl >/dev/null
DB=p.db q "INSERT INTO clusters(record_id, cluster_id, score, time) VALUES
   ('c01', 'c01', NULL, '2026-01-01'), ('c03', 'c01', 0.9, '2026-01-01'),
   ('c04', 'P9', 0.9, '2026-01-01'), ('c08', 'P9', 0.9, '2026-01-01')"
t_run person 0 -- crm-experiment --experiment promo --key-file in/key \
    --db p.db --as-of 2026-03-01 in/persons.csv
t_eq "one assignment per person" "P9|treatment
c01|treatment
c06|control" "$(DB=p.db q 'SELECT subject, arm FROM assignments
    ORDER BY 1')"
t_run person-by-record 65 -- crm-experiment --experiment promo \
    --key-file in/key --db p.db --by record in/persons.csv
t_run person-analyze 0 -- crm-experiment analyze -q --db p.db \
    --experiment promo --outcome purchase --as-of 2026-04-01
# c08 withdrew: by person, no record of P9 is enrolled (c04 neither), by
# record c04 is
crm-ingest -q --db p.db --kind consent in/person-consent.csv >/dev/null
t_run person-consent 0 -- crm-experiment --experiment promo-consent \
    --key-file in/key --db p.db --purpose marketing_email \
    --as-of 2026-03-01 in/persons.csv
t_eq "by person: neither of P9's records assigned" "c01|control
c06|treatment" "$(DB=p.db q "SELECT subject, arm FROM assignments
    WHERE experiment = 'promo-consent' ORDER BY 1")"
t_eq "by record: c04 enrolled, c08 not" "c04,control
c08," "$(crm-experiment -q --experiment promo-consent-record --by record \
    --key-file in/key --db p.db --purpose marketing_email \
    --as-of 2026-03-01 in/persons.csv | grep -E '^c0[48],' | cut -d, -f1,3)"

# ---- A sample ratio mismatch ----------------------------------------------

# 4,500 control and 5,500 treatment of a 50/50 design
printf 'customer_id\nk1\n' | crm-experiment -q --experiment srm \
    --key-file in/key --db srm.db --as-of 2026-03-01 >/dev/null
DB=srm.db q "DELETE FROM assignments;
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i
    WHERE n < 10000)
INSERT INTO assignments SELECT 'srm', 's' || n,
    CASE WHEN n <= 4500 THEN 'control' ELSE 'treatment' END,
    '2026-03-01T00:00:00Z' FROM i"
t_run srm 0 -- crm-experiment analyze -q --db srm.db --experiment srm \
    --outcome purchase --as-of 2026-04-01

# ---- Three arms: Holm's correction, a winner --------------------------------

# 1,000 subjects per arm; conversions: a 100, b 150, c 105, each the
# day after its assignment (c's second 5 after the 14-day window).
printf 'customer_id\nk1\n' | crm-experiment -q --experiment three \
    --arms a=1,b=1,c=1 --key-file in/key --db three.db \
    --as-of 2026-03-01 >/dev/null
DB=three.db q "DELETE FROM assignments;
WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i
    WHERE n < 2999)
INSERT INTO assignments SELECT 'three', 's' || n,
    char(97 + n / 1000), '2026-03-01T00:00:00Z' FROM i;
WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i
    WHERE n < 2999)
INSERT INTO events(event_key, customer_id, time, type)
SELECT 'v' || n, 's' || n, CASE WHEN n >= 2105 THEN
    '2026-03-20T00:00:00Z' ELSE '2026-03-02T00:00:00Z' END,
    'purchase' FROM i WHERE n % 1000 < CASE n / 1000 WHEN 0 THEN 100
    WHEN 1 THEN 150 ELSE 110 END"
t_run three 0 -- crm-experiment analyze -q --db three.db \
    --experiment three --outcome purchase --as-of 2026-04-01
t_run three-sequential 0 -- crm-experiment analyze -q --db three.db \
    --experiment three --outcome purchase --as-of 2026-04-01 --sequential \
    --output-format csv

# ---- One simulated population, end to end through the store ---------------

# 40,000 customers assigned in ten daily batches (March 1 to 10); a
# subject buys within 5 days with probability 0.10 in control and 0.12
# in treatment (in/sim.awk, a fixed seed): a true uplift of 2 points.
# Then the same with no difference (A/A).
awk 'BEGIN { print "customer_id"
    for (i = 1; i <= 40000; i++) printf "s%05d\n", i }' >ids.csv
sim() { # NAME RATE0 RATE1
	for d in 0 1 2 3 4 5 6 7 8 9; do
		day=$(printf '2026-03-%02d' $((d + 1)))
		awk -v d=$d 'NR == 1 || (NR - 2) % 10 == d' ids.csv |
		    crm-experiment -q --experiment "$1" --key-file in/key \
		    --db "$1.db" --as-of "${day}T09:00:00Z" \
		    --output-format jsonl | sed "s/}\$/,\"day\":\"$day\"}/"
	done | awk -v rate0="$2" -v rate1="$3" -f in/sim.awk >"$1.jsonl"
	crm-ingest -q --db "$1.db" --kind events "$1.jsonl" >/dev/null
}
sim ab 0.10 0.12
sim aa 0.10 0.10
an() { # NAME OPTION...
	n=$1
	shift
	crm-experiment analyze -q --db "$n.db" --experiment "$n" \
	    --outcome purchase --as-of 2026-04-01 --output-format csv "$@"
}
t_run sim-ab 0 -- an ab --sequential
t_run sim-aa 0 -- an aa --sequential
# uplift_lo, uplift_hi, p_value, av_lo, av_hi of the treatment
covers() { an "$1" --sequential 2>/dev/null | awk -F, -v u="$2" '
    $2 == "treatment" { print ($10 <= u && u <= $11 ? "covers" : "misses"),
	($18 <= u && u <= $19 ? "covers" : "misses"),
	($15 < 0.05 ? "significant" : "not significant") }'; }
t_eq "A/B: both intervals cover the true uplift, and p < 0.05" \
    "covers covers significant" "$(covers ab 0.02)"
t_eq "A/A: both intervals cover 0, and p >= 0.05" \
    "covers covers not significant" "$(covers aa 0)"
# the looks before a window is over see nobody yet
t_run sim-early 0 -- an ab --sequential --as-of 2026-03-12

t_done
