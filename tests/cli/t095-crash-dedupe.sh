# crm-dedupe --db killed with SIGKILL, then run again: the clusters table
# ends as a clean run leaves it, and the killed run left whole batches
# only.  crm-dedupe reads every record before it writes, then saves its
# model, then the clusters, then the persons, then the decisions, each in
# transactions of its own: the kills are aimed at the reading and at each
# write (a cluster whose person a kill kept from being written becomes
# one on the next run, under the cluster's id).
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use dedupe

/usr/bin/python3 "$TOP/scripts/gen-dedupe.py" -n 1500 --seed 2 d.csv \
    truth.csv >/dev/null 2>&1
sed 1d d.csv | cut -d, -f1 >ids
crm-ingest -q --db base.db in/customers.csv >/dev/null
c_script dedupe 'crm-dedupe -q --db "$1" "$2" >/dev/null'
clusters() {
	c_q "$1" 'SELECT record_id, cluster_id, score FROM clusters
	    ORDER BY 1'
}
# The decisions and the model, less their times and ids; the version of
# the model each decision names is checked on its own.
decisions() {
	c_q "$1" 'SELECT tool, model, record_key, output, score, reasons
	    FROM decisions ORDER BY id'
}
models() { c_models "$1"; }
counts() {
	c_q "$1" 'SELECT (SELECT count(*) FROM models) || " " ||
	    (SELECT count(*) FROM clusters) || " " ||
	    (SELECT count(*) FROM decisions)'
}
# first N: the clean run's clusters of the first N records read.
first() {
	head -n "$1" ids | awk -F'|' 'FILENAME == "-" { in_[$1]; next }
	    $1 in in_' - clean.clusters
}

c_copy base.db ref.db
c_clean_time ./dedupe ref.db d.csv
clusters ref.db >clean.clusters
decisions ref.db >clean.decisions
models ref.db >clean.models
t_eq "a clean run: one model, every record clustered, links logged" \
    "1 1500 1" "$(c_q ref.db 'SELECT (SELECT count(*) FROM models),
    (SELECT count(*) FROM clusters), (SELECT count(*) > 300 FROM decisions)' |
    tr '|' ' ')"

# One store, killed again and again: while reading, writing the
# clusters, writing the decisions, and at a random moment; each time the
# same command runs again, and the last run is let finish.  (A run of
# crm-dedupe costs half a second of training before it writes, so the
# kills share their runs again.)
c_copy base.db k.db

# Killed while reading (the input pauses after 700 lines): nothing
# stored.
c_feed d.csv 700
c_start ./dedupe k.db fifo
c_until test -e fifo.fed || true
sleep 0.1
c_kill
c_go
t_eq "killed while reading: mid-run, nothing stored" "1 0 0 0" \
    "$c_alive $(counts k.db)"
t_eq "killed while reading: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"

# Run again, killed writing the clusters: stalled inside the second
# batch, at the 1200th record.
c_pause_at k.db clusters "new.record_id = '$(sed -n 1200p ids)'"
c_start ./dedupe k.db d.csv
c_wait k.db 'SELECT count(*) = 1000 FROM clusters' || true
sleep 0.2
c_kill
c_unpause k.db
clusters k.db >killed
first 1000 >want
t_eq "killed in the second batch of clusters: the model, one batch" \
    "1 1 1000 0" "$c_alive $(counts k.db)"
t_ok "killed in the second batch of clusters: the first 1000 records'" \
    cmp want killed
t_eq "killed writing the clusters: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"

# Run again, killed writing the decisions: stalled at the first.
c_pause_at k.db decisions 1
c_start ./dedupe k.db d.csv
c_wait k.db 'SELECT count(*) = 2 FROM models' || true
c_until c_stalled k.db || true
c_kill
c_unpause k.db
clusters k.db >killed
t_eq "killed writing the decisions: the model again, the clusters" \
    "1 2 1500 0" "$c_alive $(counts k.db)"
t_ok "killed writing the decisions: every cluster a clean run's" \
    cmp clean.clusters killed
t_eq "killed writing the decisions: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"

# Run again, killed at a random moment: whole batches.
d=$(c_delays 1)
set -- $(counts k.db)
c_start ./dedupe k.db d.csv
sleep "$d"
c_kill
set -- $(counts k.db) "$1"
t_ok "killed after ${d}s: no model or a whole one, no decision or all" \
    test "$((($1 == $4 || $1 == $4 + 1) && ($3 == 0 || $3 > 300)))" = 1
t_eq "killed after ${d}s: integrity" ok \
    "$(c_q k.db 'PRAGMA integrity_check')"

# Run again, to the end.
decisions k.db >killed.decisions
n=$(($(c_q k.db 'SELECT count(*) FROM models') + 1))
timeout "$C_WAIT" ./dedupe k.db d.csv
clusters k.db >k.clusters
t_ok "run again: clusters as if never interrupted" \
    cmp clean.clusters k.clusters
t_eq "run again: every cluster a person, as a clean run's" \
    "0 $(c_q ref.db 'SELECT count(*) FROM persons')" \
    "$(c_q k.db "SELECT count(*) FROM clusters k LEFT JOIN persons p
    ON p.person_id = k.cluster_id WHERE p.person_id IS NULL") $(c_q k.db \
    'SELECT count(*) FROM persons WHERE merged_into IS NULL')"
decisions k.db >k.decisions
cat killed.decisions clean.decisions >want.decisions
t_ok "run again: the decisions of the killed runs, then a clean run's" \
    cmp want.decisions k.decisions
# Not as if never interrupted: each run killed after it saved its model
# left that model, a version of its own, and the run again saved the
# same model once more, as the next version, which its decisions name
# (the model is saved in a transaction of its own, before the
# clusters).  Every version is the clean run's model.
models k.db >k.models
sort -u k.models >k.models.u
t_eq "run again: $n models, each the clean run's" "$n $(cat clean.models)" \
    "$(wc -l <k.models | tr -d ' ') $(cat k.models.u)"
t_eq "run again: its decisions name the newest model" "$(wc -l <clean.decisions |
    tr -d ' ')" "$(c_q k.db 'SELECT count(*) FROM decisions
    WHERE model_version = (SELECT max(version) FROM models)')"
t_eq "run again: integrity" ok "$(c_q k.db 'PRAGMA integrity_check')"

t_done
