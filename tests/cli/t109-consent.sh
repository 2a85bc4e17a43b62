# Consent: crm-ingest --kind consent loads the history (again: unchanged)
# and rejects bad records by file, line and field; every output that
# proposes contacting a customer (crm-churn --action, crm-tag's action
# rules) leaves out a customer whose latest consent for the purpose is
# withdrawn as of --as-of, says how many, and names them with
# --show-suppressed; a later grant re-allows; no consent row allows.
. "$TOP/tests/lib.sh"
t_use consent

q() { sqlite3 -batch -noheader crm.db "$@"; }

# Loading.
t_run ingest 0 -- crm-ingest --db crm.db --kind consent in/consent.csv
t_run ingest-again 0 -- crm-ingest -q --db crm.db --kind consent \
    --output-format jsonl in/consent.csv
t_eq "six rows, granted as 1 or 0" "c1|marketing_email|0|2026-03-01|unsubscribe link
c2|marketing_email|0|2026-02-01T10:00:00Z|call centre
c2|marketing_email|1|2026-03-05|web form
c3|marketing_email|0|2026-06-01|app
c4|sms|0|2026-01-15|reply STOP
c6|marketing_email|1|2026-01-01|signup" "$(q 'SELECT * FROM consent ORDER BY 1, 4')"
t_run bad 65 -- crm-ingest --db crm.db --kind consent in/bad.csv
t_run bad-jsonl 65 -- crm-ingest --db crm.db --kind consent in/bad.jsonl
t_eq "the good ones of the bad files are in" "c10|1
c11|1" "$(q "SELECT customer_id, granted FROM consent
    WHERE customer_id IN ('c10', 'c11', 'c12', 'c13', 'c7', 'c8', 'c9')")"
t_run key 64 -- crm-ingest --kind consent --key x in/consent.csv
t_run table 64 -- crm-ingest --table consent in/consent.csv

# crm-churn --action: c1 withdrew, c2 granted again, c3 not yet withdrawn
# on 2026-04-01, c4 withdrew sms only, c5 has no row.
crm-churn train -q --model-file m.model --label-field churn in/train.csv
churn() {
	crm-churn --model-file m.model --db crm.db --reasons 0 \
	    --action-threshold 0.5 --action retention_offer "$@" in/score.csv
}
t_run churn-april 0 -- churn --as-of 2026-04-01
t_run churn-july 0 -- churn --as-of 2026-07-01 --show-suppressed
t_run churn-sms 0 -- churn --as-of 2026-04-01 --purpose sms -q
t_run churn-before 0 -- churn --as-of 2026-02-15
t_eq "a withdrawn customer never gets the churn action" "" \
    "$(churn -q --as-of 2026-07-01 | grep retention_offer | cut -d, -f1 |
	grep -x -e c1 -e c3 || true)"
t_run churn-no-db 0 -- crm-churn --model-file m.model --reasons 0 \
    --action-threshold 0.5 --action retention_offer in/score.csv
t_run churn-purpose-alone 64 -- crm-churn --model-file m.model \
    --purpose sms in/score.csv
t_run churn-empty-purpose 64 -- churn --purpose ''
printf 'tenure,complaints\n2,5\n' >noid.csv
t_run churn-no-id 66 -- crm-churn --model-file m.model --db crm.db \
    --action-threshold 0.5 --action call noid.csv

# crm-tag action rules: the tags field and the tags table.
tag() { crm-tag --db crm.db --rules in/actions.rules "$@" in/score.csv; }
t_run tag-july 0 -- tag --as-of 2026-07-01
t_eq "no withdrawn customer's action in the tags table" \
    "c2|wake_up_email
c4|wake_up_email
c5|wake_up_email
c6|wake_up_email" "$(q "SELECT customer_id, tag FROM tags
    WHERE tag = 'wake_up_email' ORDER BY 1")"
t_eq "nor in the sms one" "c1|sms_nudge
c2|sms_nudge
c5|sms_nudge" "$(q "SELECT customer_id, tag FROM tags
    WHERE tag = 'sms_nudge' ORDER BY 1")"
t_run tag-april 0 -- tag --as-of 2026-04-01 --show-suppressed
t_eq "back before c3's withdrawal" "c3|wake_up_email" \
    "$(q "SELECT customer_id, tag FROM tags
    WHERE customer_id = 'c3' AND tag = 'wake_up_email'")"
t_eq "a withdrawn customer never gets a tag action" "" \
    "$(tag -q --as-of 2026-07-01 | grep -e wake_up_email | cut -d, -f1 |
	grep -x -e c1 -e c3 || true)"
t_run tag-rfm 0 -- tag -q --as-of 2026-07-01 --rfm \
    --rfm-fields tenure,complaints,complaints
t_run tag-no-db 0 -- crm-tag --rules in/actions.rules in/score.csv
t_run tag-shown-alone 64 -- crm-tag --rfm --show-suppressed in/score.csv
printf 'x purpose=: a > 1\n' >b1.rules
printf 'x colour=red: a > 1\n' >b2.rules
printf 'x purpose=a purpose=b: a > 1\n' >b3.rules
printf 'x purpose=a: a > 1\nx purpose=b: a > 2\n' >b4.rules
printf 'x purpose=e-mail!: a > 1\n' >b5.rules
for i in 1 2 3 4 5; do
	t_run bad-rules-$i 65 -- crm-tag --rules b$i.rules in/score.csv
done

t_done
