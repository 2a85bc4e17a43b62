# crm-dedupe: clusters with no labels (Chinese names, phones written three
# ways), FEBRL accuracy, merge, link, labels, the store, incremental runs,
# determinism and bad input.
. "$TOP/tests/lib.sh"
t_use dedupe

q() { sqlite3 -batch -noheader crm.db "$@"; }

t_run plain 0 -- crm-dedupe in/customers.csv
t_run verbose 0 -- crm-dedupe -v -q --threads 1 in/customers.csv
t_run jsonl 0 -- crm-dedupe -q --output-format jsonl in/customers.csv
t_run merge 0 -- crm-dedupe -q --merge in/customers.csv
t_run merge-frequent 0 -- crm-dedupe -q --merge --prefer frequent \
    in/customers.csv
t_run link 0 -- crm-dedupe --link in/link.csv in/customers.csv
t_run labels 0 -- crm-dedupe --train-labels in/labels.csv in/customers.csv
t_run fields 0 -- crm-dedupe -q --field name:name --field phone \
    --block phone:-8 in/customers.csv
t_run threshold 0 -- crm-dedupe -q --threshold 0.9999 in/customers.csv
t_run cap 0 -- crm-dedupe --max-cluster 2 in/customers.csv

# Determinism: the same input gives the same output on any number of
# threads.
crm-dedupe -q --threads 1 --id-field rec_id in/febrl1-300.csv >a.out
crm-dedupe -q --threads 3 --id-field rec_id in/febrl1-300.csv >b.out
t_ok "same clusters on 1 and 3 threads" cmp a.out b.out

# FEBRL: pairwise F1 against the truth in the ids (rec-N-...).
crm-dedupe -q --id-field rec_id in/febrl1-300.csv >febrl.out
t_run febrl-f1 0 -- awk -F, 'NR > 1 {
	split($1, p, "-"); c = $(NF - 1); e = p[2]
	tp += both[c SUBSEP e]++; pred += clu[c]++; truth += ent[e]++ }
	END { P = tp / pred; R = tp / truth
	    printf "precision %.3f recall %.3f f1 %.3f\n", P, R, 2*P*R/(P+R) }' \
    febrl.out

# The store: clusters, decisions, the model; then new records alone.
crm-ingest -q --db crm.db in/customers.csv >/dev/null
t_run store 0 -- crm-dedupe -q --db crm.db --from-store
t_eq "every record has a cluster" "14|9" \
    "$(q "SELECT count(*), count(DISTINCT cluster_id) FROM clusters")"
t_eq "a model version" "dedupe|1|fellegi-sunter" \
    "$(q "SELECT name, version, kind FROM models")"
t_eq "a decision for each linked record" "9" \
    "$(q "SELECT count(*) FROM decisions WHERE tool = 'crm-dedupe'")"
t_run reasons 0 -- sqlite3 -batch crm.db \
    "SELECT record_key, output, reasons FROM decisions ORDER BY record_key"
crm-ingest -q --db crm.db in/updates.csv >/dev/null
t_run incremental 0 -- crm-dedupe --db crm.db --incremental in/updates.csv
t_eq "the old clusters stay" "A1|B1|A1" \
    "$(q "SELECT cluster_id FROM clusters
	WHERE record_id IN ('A2', 'U1', 'B2') ORDER BY record_id" | paste -sd'|')"
t_eq "the new records are in clusters" "16" \
    "$(q "SELECT count(*) FROM clusters")"

# Bad input.
t_run no-id 66 -- crm-dedupe --id-field nope in/customers.csv
printf 'customer_id,name\nX1,Ann\nX1,Anne\n' >dup.csv
t_run duplicate-id 65 -- crm-dedupe dup.csv
printf 'customer_id,name\n,Ann\nX2,Anne\n' >noid.csv
t_run missing-id 65 -- crm-dedupe --rejects rej.csv noid.csv
t_run missing-id-rejects 0 -- cat rej.csv
# A run that fails after reading (a bad --block, a --link file missing)
# still keeps the records it rejected.
rm -f rej.csv
t_ok "rejects kept when --block is bad" sh -c \
    "crm-dedupe --rejects rej.csv --block nosuch noid.csv 2>/dev/null; \
    test \$? = 64 && cmp -s rej.csv '$T_DATA/missing-id-rejects.out'"
rm -f rej.csv
t_ok "rejects kept when the --link file is missing" sh -c \
    "crm-dedupe --rejects rej.csv --link nosuch.csv noid.csv 2>/dev/null; \
    test \$? = 66 && cmp -s rej.csv '$T_DATA/missing-id-rejects.out'"
t_run bad-block 64 -- crm-dedupe --block nosuch in/customers.csv
t_run bad-block-part 64 -- crm-dedupe --block name:x in/customers.csv
t_run bad-type 64 -- crm-dedupe --field name:colour in/customers.csv
t_run bad-threshold 64 -- crm-dedupe --threshold 0 in/customers.csv
t_run incremental-no-db 64 -- crm-dedupe --incremental in/customers.csv
t_run incremental-no-model 66 -- crm-dedupe --db fresh.db --incremental \
    in/customers.csv
t_run merge-link 64 -- crm-dedupe --merge --link in/link.csv in/customers.csv
printf 'id1,id2,match\nA1,ZZ,1\n' >badlab.csv
t_run labels-unknown 65 -- crm-dedupe --train-labels badlab.csv \
    in/customers.csv
printf 'id1,id2,match\nA1,A2,1\n' >onelab.csv
t_run labels-one-class 65 -- crm-dedupe --train-labels onelab.csv \
    in/customers.csv
t_run missing-file 66 -- crm-dedupe nosuch.csv
: >empty.csv
t_run empty 0 -- crm-dedupe empty.csv
printf 'customer_id,name\nX1,"Ann\n' >broken.csv
t_run broken-quote 66 -- crm-dedupe broken.csv
printf 'customer_id,name\nX1,\377\376\nX2,Ann\n' >badutf8.csv
# --encoding UTF-8: the bad record rejected, not the file (t100)
t_run bad-utf8 65 -- crm-dedupe --encoding UTF-8 badutf8.csv
printf 'customer_id,"name); DROP TABLE clusters; --"\nX1,Ann\nX2,Ann\n' \
    >sqlhdr.csv
t_run sql-header 0 -- crm-dedupe --db crm.db sqlhdr.csv
t_eq "the clusters table is still there" "18" \
    "$(q "SELECT count(*) FROM clusters")"
t_done
