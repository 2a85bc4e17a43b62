# t126-entities: crm-intent --entities appends the entities of the text
# (order numbers, phones, e-mails, amounts, dates, products) as a JSON
# array: the hand-labelled set with its products in Asia/Shanghai; a
# pattern file with its own type, --time-field and a time that is none
# (the record rejected); the CSV header; bad options and files refused.
. "$TOP/tests/lib.sh"
t_use entities

# the id and entities of crm-intent's output, its exit status kept
ents() {
	crm-intent "$@" >raw.jsonl
	rc=$?
	jq -c '{id, entities}' raw.jsonl
	return $rc
}

t_run labelled 0 -- ents -q --entities --products in/products.txt \
    --tz Asia/Shanghai --as-of 2026-12-05T00:00:00Z in/labelled.jsonl
jq -c .entities in/labelled.jsonl >want
jq -c .entities raw.jsonl >got
t_eq "the labelled set: the messages not as labelled" 5 \
    "$(diff want got | grep -c '^<' || true)"
t_run patterns 65 -- ents --entities --entity-patterns in/patterns.tsv \
    --time-field sent_at --tz Asia/Shanghai --as-of 2026-12-05 \
    in/messages.jsonl
crm-intent -q --entities --as-of 2026-12-05 --output-format csv \
    in/messages.jsonl >out.csv
t_eq "CSV: the last column entities" entities \
    "$(head -1 out.csv | tr , '\n' | tail -1)"

# ---- Refused ----------------------------------------------------------
t_run bad-pattern 65 -- crm-intent --entities \
    --entity-patterns in/bad-patterns.tsv in/messages.jsonl
t_run no-products 66 -- crm-intent --entities --products in/none.txt \
    in/messages.jsonl
t_run bad-tz 64 -- crm-intent --entities --tz Mars/Olympus in/messages.jsonl
t_run tz-alone 64 -- crm-intent --tz UTC in/messages.jsonl
t_run train-entities 64 -- crm-intent train --entities --model-file x.model \
    in/messages.jsonl
t_done
