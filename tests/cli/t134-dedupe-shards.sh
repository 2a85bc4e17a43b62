# crm-dedupe in shards with the model fixed: keys (each record's blocking
# keys, record by record), four partitions by block key, pairs (the links
# of each partition's blocks, two at a time under GNU parallel) and
# reconcile (one union-find over the links of every partition) give the
# one process's output byte for byte, with a cap on clusters and
# cannot-link labels that bind across partitions; a partition's links
# given twice count once.  Bad key records and bad pair lines are
# refused with file, line and field (65); the verbs' usage errors (64).
. "$TOP/tests/lib.sh"
t_use dedupe-shards

q() { sqlite3 -batch -noheader "$1" "$2"; }

# the model: version 1, fitted on the set; two cannot-link labels split
# clusters one process made
crm-dedupe -q --db fit.db in/customers.csv >/dev/null
sqlite3 fit.db <in/labels.sql
cp fit.db one.db
cp fit.db shard.db
t_run one 0 -- crm-dedupe --db one.db --model-version 1 --max-cluster 3 \
    in/customers.csv
cp "$t_tmp/out" one.csv
t_eq "a plain run with --model-version saves no model" 1 \
    "$(q one.db "SELECT count(*) FROM models WHERE name = 'dedupe'")"

crm-dedupe keys -q --db shard.db --model-version 1 --output-format jsonl \
    in/customers.csv >keys.jsonl
t_eq "keys: one key record a record and rule with its keys" \
    "$(crm-dedupe keys -q --db shard.db --output-format jsonl \
	in/customers.csv | sort | cksum)" "$(sort keys.jsonl | cksum)"
awk -F'"' '{ print > ("part." (index("0123456789abcdef",
    substr($4, length($4), 1)) % 4)) }' keys.jsonl
t_eq "four partitions" 4 "$(ls part.? | wc -l)"
t_ok "pairs on two jobs" parallel -j 2 crm-dedupe pairs -q --db shard.db \
    --model-version 1 --threads 1 {} '>' {}.links ::: part.?
t_run reconcile 0 -- crm-dedupe reconcile --db shard.db --max-cluster 3 \
    --pairs part.0.links --pairs part.1.links --pairs part.2.links \
    --pairs part.3.links in/customers.csv
t_eq "reconcile: the one process's output" "$(cksum <one.csv)" \
    "$(cksum <"$t_tmp/out")"
t_eq "reconcile: the one process's clusters in the store" \
    "$(q one.db "SELECT record_id, cluster_id FROM clusters ORDER BY 1")" \
    "$(q shard.db "SELECT record_id, cluster_id FROM clusters ORDER BY 1")"
# a pair under the threshold is written only for reconcile to know the
# pair's first rule when a later rule links it (reconcile holds what it
# reads): each such pair is a link in another partition
t_eq "no pair under the threshold that no later rule links" 0 \
    "$(cat part.?.links | awk -F'"' '{ p = $NF; gsub(/[:}]/, "", p)
	k = $8 < $12 ? $8 " " $12 : $12 " " $8
	if (p + 0 >= 0.5) l[k] = 1; else u[k] = 1 }
	END { n = 0; for (k in u) if (!(k in l)) n++; print n }')"
t_eq "the cannot-link pairs apart" "2" \
    "$(q shard.db "SELECT count(*) FROM link_labels l
	JOIN clusters a ON a.record_id = l.id1
	JOIN clusters b ON b.record_id = l.id2
	WHERE a.cluster_id <> b.cluster_id")"
t_eq "no cluster past the cap" 3 \
    "$(q shard.db "SELECT max(n) FROM (SELECT count(*) AS n FROM clusters
	GROUP BY cluster_id)")"
crm-dedupe reconcile -q --pairs part.0.links --pairs part.1.links \
    --pairs part.2.links --pairs part.3.links --pairs part.3.links \
    --pairs part.0.links in/customers.csv >twice.csv
crm-dedupe -q in/customers.csv >nodb.csv
t_eq "links given twice count once; no store: as a run without one" \
    "$(cksum <nodb.csv)" "$(cksum <twice.csv)"

# --id-field a field of the model: compared as one process compares it
cp fit.db email1.db
cp fit.db email2.db
crm-dedupe -q --db email1.db --model-version 1 --id-field email \
    in/by-email.csv >email-one.csv
crm-dedupe keys -q --db email2.db --id-field email --output-format jsonl \
    in/by-email.csv | crm-dedupe pairs -q --db email2.db --id-field email \
    >email.links
t_eq "--id-field a field of the model: as one process" \
    "$(cksum <email-one.csv)" "$(crm-dedupe reconcile -q --db email2.db \
	--id-field email --pairs email.links in/by-email.csv | cksum)"

# bad key records: rejected, named
t_run bad-keys 65 -- crm-dedupe pairs --db shard.db in/bad-keys.jsonl
# a block that is not the record's key under the model (key records of
# another model version, or edited): the run stops, the line named
t_run wrong-key 65 -- crm-dedupe pairs --db shard.db in/wrong-key.jsonl
# bad pair lines: the run stops, the line named
for f in bad-block bad-rule unknown-id bad-levels short-levels bad-prob \
    no-prob self other-model past-level; do
	t_run "$f" 65 -- crm-dedupe reconcile -q --db shard.db \
	    --pairs "in/$f.jsonl" in/customers.csv
done
# without a store, the links agree with each other
t_run two-models 65 -- crm-dedupe reconcile -q --pairs in/two-models.jsonl \
    in/customers.csv
t_run missing-pairs 66 -- crm-dedupe reconcile -q --pairs nosuch.jsonl \
    in/customers.csv
t_run no-pairs 64 -- crm-dedupe reconcile in/customers.csv
t_run keys-no-db 64 -- crm-dedupe keys in/customers.csv
t_run pairs-field 64 -- crm-dedupe pairs --db shard.db --field email \
    keys.jsonl
t_run pairs-option 64 -- crm-dedupe --pairs x in/customers.csv
t_done
