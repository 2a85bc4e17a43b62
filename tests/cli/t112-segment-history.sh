#!/bin/sh
# Segment history: crm-tag --db keeps rule tags, RFM segments and k-means
# clusters in the store, each membership with the time it began and the
# time it ended (--as-of), over three days; "who entered since yesterday"
# and "segment sizes over time" are queries.
. "$TOP/tests/lib.sh"
t_use seghist

q() { sqlite3 crm.db "$@" | paste -sd' ' -; }
for d in 1 2 3; do
	crm-tag -q --db crm.db --as-of 2024-06-0$d --rules in/vip.rules --rfm \
	    in/day$d.csv >/dev/null
done
t_eq "vip: C1 from day 1 to day 2, C2 from day 2, C3 from day 3" \
    "C1|2024-06-01|2024-06-02 C2|2024-06-02| C3|2024-06-03|" \
    "$(q "SELECT customer_id, substr(began, 1, 10), substr(ended, 1, 10)
	FROM tag_history WHERE tag = 'vip' ORDER BY customer_id")"
t_eq "the tags table holds today's memberships" "C2 C3" \
    "$(q "SELECT customer_id FROM tags WHERE tag = 'vip' ORDER BY 1")"
t_eq "one RFM segment a customer at a time" 0 \
    "$(q "SELECT count(*) FROM (SELECT customer_id FROM tags
	WHERE rule = 'rfm' GROUP BY customer_id HAVING count(*) > 1)")"
t_eq "who entered Champions since yesterday" "C3" \
    "$(q "SELECT customer_id FROM tag_history WHERE tag = 'rfm:Champions'
	AND began >= '2024-06-03' ORDER BY 1")"
t_eq "Champions' size on each day" "1 1 1" \
    "$(q "WITH d(day) AS (VALUES ('2024-06-01'), ('2024-06-02'),
	('2024-06-03')) SELECT (SELECT count(*) FROM tag_history
	WHERE tag = 'rfm:Champions' AND substr(began, 1, 10) <= day AND
	(ended IS NULL OR substr(ended, 1, 10) > day)) FROM d ORDER BY day")"
t_eq "vip's size on each day" "1 1 2" \
    "$(q "WITH d(day) AS (VALUES ('2024-06-01'), ('2024-06-02'),
	('2024-06-03')) SELECT (SELECT count(*) FROM tag_history
	WHERE tag = 'vip' AND substr(began, 1, 10) <= day AND
	(ended IS NULL OR substr(ended, 1, 10) > day)) FROM d ORDER BY day")"

# the same day again changes nothing
sqlite3 crm.db "SELECT * FROM tag_history ORDER BY 1, 2, 3" >h1
crm-tag -q --db crm.db --as-of 2024-06-03 --rules in/vip.rules --rfm \
    in/day3.csv >/dev/null
sqlite3 crm.db "SELECT * FROM tag_history ORDER BY 1, 2, 3" >h2
t_ok "day 3 again: the history is the same" cmp h1 h2

# clusters: one a customer, kept as tags of their own kind
crm-tag -q --db crm.db --as-of 2024-06-03 --kmeans 2 \
    --fields spend,frequency in/day3.csv >/dev/null
t_eq "every customer in one cluster" "5|5" \
    "$(q "SELECT count(DISTINCT customer_id), count(*) FROM tags
	WHERE rule = 'kmeans'")"
t_eq "their spans begin on day 3" 5 \
    "$(q "SELECT count(*) FROM tag_history WHERE tag LIKE 'kmeans:%'
	AND began = '2024-06-03T00:00:00Z' AND ended IS NULL")"

# erasure takes the history too
crm-mask erase -q --db crm.db C1 >/dev/null
t_eq "C1's history erased" 0 \
    "$(q "SELECT count(*) FROM tag_history WHERE customer_id = 'C1'")"
t_done
