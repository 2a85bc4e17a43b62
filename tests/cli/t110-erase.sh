#!/bin/sh
# Erasure: crm-mask erase takes a customer out of every table of the
# store; its name, e-mail and phone are then in neither the file nor its
# -wal or -shm; every other customer's rows and every decision stay; the
# audit chain still verifies; a second erasure changes nothing.
. "$TOP/tests/lib.sh"
t_use erase

crm-ingest -q --db crm.db in/customers.jsonl >/dev/null
crm-ingest -q --db crm.db --kind events in/events.jsonl >/dev/null
crm-ingest -q --db crm.db --kind consent in/consent.csv >/dev/null
crm-churn train -q --db crm.db --from-store --label-field churned
crm-churn -q --db crm.db --from-store --label-field churned \
    --action-threshold 0.5 --action offer >/dev/null

# what must not change: the others' rows, every decision's
others() {
	sqlite3 crm.db "SELECT * FROM customers WHERE customer_id != 'K005'
	    ORDER BY 1" "SELECT * FROM events WHERE customer_id != 'K005'
	    ORDER BY 1" "SELECT * FROM consent WHERE customer_id != 'K005'
	    ORDER BY 1, 2, 4" | cksum
}
decisions() {
	sqlite3 crm.db "SELECT tool, model, model_version, output, score
	    FROM decisions WHERE tool != 'crm-mask erase' ORDER BY id" | cksum
}
before=$(others)
dec=$(decisions)
t_eq "the target's decisions before" 1 \
    "$(sqlite3 crm.db "SELECT count(*) FROM decisions WHERE subject = 'K005'")"

t_run erase 0 -- crm-mask erase --db crm.db K005
for s in 'Wilhelmina Erasure-Target' wilhelmina.target@erase.example \
    +8613977776666; do
	t_eq "'$s' is in none of the store's files" 0 \
	    "$(cat crm.db crm.db-wal crm.db-shm 2>/dev/null | grep -a -c -F "$s")"
done
t_eq "every other customer's rows intact" "$before" "$(others)"
t_eq "every decision intact" "$dec" "$(decisions)"
t_eq "the decision's subject is a stand-in" "1|0" "$(sqlite3 crm.db \
    "SELECT count(*) FROM decisions WHERE subject LIKE 'erased-%'" \
    "SELECT count(*) FROM decisions WHERE subject = 'K005'" | paste -sd'|')"
t_eq "the sms withdrawal kept, without its source" "sms|0|" "$(sqlite3 crm.db \
    "SELECT purpose, granted, source FROM consent WHERE customer_id = 'K005'")"
t_run verify 0 -- crm-mask verify --db crm.db

# again, from standard input: nothing changes, no new erasure entry
sqlite3 crm.db .dump >dump1
t_run erase-again 0 --stdin in/ids.txt -- crm-mask erase --db crm.db
sqlite3 crm.db .dump >dump2
t_ok "a second erasure changes nothing" cmp dump1 dump2

# bad input
printf 'K001\n\001bad\n' >bad-ids
t_run erase-bad-line 65 --stdin bad-ids -- crm-mask erase -q --db crm.db
t_eq "the customer before the bad line is erased" 0 \
    "$(sqlite3 crm.db "SELECT count(*) FROM customers WHERE customer_id = 'K001'")"
t_run erase-no-store 66 -- crm-mask erase --db nothere.db K001
t_ok "and no store was made" test ! -e nothere.db
t_run erase-unknown 0 -- crm-mask erase -q --db crm.db NOBODY
t_run erase-nothing 66 --stdin /dev/null -- crm-mask erase -q --db crm.db
t_run erase-no-db 64 -- crm-mask erase K001
t_run erase-policy 64 -- crm-mask erase --db crm.db --policy x K001
# a cluster named after the customer (crm-dedupe's least member id):
# the name goes from the other members' rows and decisions too
crm-ingest -q --db d.db in/dupes.csv >/dev/null
crm-dedupe -q --db d.db --from-store >/dev/null
t_eq "A1 names a cluster before" 1 "$(sqlite3 d.db \
    "SELECT count(*) > 0 FROM clusters WHERE cluster_id = 'A1'")"
# its person: named A1, with events of A1, a link label
sqlite3 d.db "INSERT INTO link_labels VALUES ('A1', 'B1', 'cannot',
    '2026-01-01', 'a reviewer')"
t_eq "A1 names a person with events of A1, before" "1|1" \
    "$(sqlite3 d.db "SELECT count(*) FROM persons WHERE person_id = 'A1'" \
    "SELECT count(*) > 0 FROM person_events WHERE record_id = 'A1'" |
    paste -sd'|')"
crm-mask erase -q --db d.db A1 >/dev/null
t_eq "A1 is in no cluster, decision or label after" "0|0" "$(sqlite3 d.db \
    "SELECT count(*) FROM clusters WHERE 'A1' IN (record_id, cluster_id)" \
    "SELECT count(*) FROM decisions
     WHERE 'A1' IN (record_key, subject, output)" | paste -sd'|')"
t_eq "A1 is in no person, event or link label after" "0|0|0|0" \
    "$(sqlite3 d.db "SELECT count(*) FROM persons
     WHERE 'A1' IN (person_id, merged_into)" \
    "SELECT count(*) FROM persons, json_each(persons.lineage)
     WHERE value = 'A1'" \
    "SELECT count(*) FROM person_events
     WHERE 'A1' IN (person_id, other, record_id)" \
    "SELECT count(*) FROM link_labels WHERE 'A1' IN (id1, id2)" |
    paste -sd'|')"
t_eq "the person takes the clusters' stand-in" 1 \
    "$(sqlite3 d.db "SELECT count(*) FROM persons p JOIN clusters k
     ON k.cluster_id = p.person_id WHERE k.record_id = 'A2'
     AND p.person_id LIKE 'erased-%'")"
# A3 gave most of the golden record: those values go, the others stay
sqlite3 d.db "SELECT key FROM persons, json_each(persons.lineage)
    WHERE value = 'A3' ORDER BY key" >fromA3
t_ok "A3 gave golden values" test -s fromA3
crm-mask erase -q --db d.db A3 >/dev/null
t_eq "the golden values A3 gave are gone, the others kept" "0|0|1" \
    "$(sqlite3 d.db "SELECT count(*) FROM persons, json_each(persons.golden)
     WHERE person_id LIKE 'erased-%' AND key IN ($(sed "s/.*/'&'/" fromA3 |
     paste -sd, -))" "SELECT count(*) FROM persons,
     json_each(persons.lineage) WHERE value = 'A3'" "SELECT count(*) > 0
     FROM persons, json_each(persons.golden) WHERE person_id LIKE 'erased-%'" |
    paste -sd'|')"
t_ok "verify passes after" crm-mask verify -q --db d.db

# a human label about the customer, keyed by its message
printf '%s\n' '{"id":"m9","customer_id":"K006","text":"write to me at k6.secret@erase.example","intent":"complaint"}' >lab.jsonl
crm-intent label -q --db crm.db --label-field intent lab.jsonl
t_eq "the label is the customer's" 1 \
    "$(sqlite3 crm.db "SELECT count(*) FROM labels WHERE subject = 'K006'")"
crm-mask erase -q --db crm.db K006 >/dev/null
t_eq "the label's text is in none of the store's files" 0 \
    "$(cat crm.db crm.db-wal crm.db-shm 2>/dev/null |
	grep -a -c -F k6.secret@erase.example)"
t_done
