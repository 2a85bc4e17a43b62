#!/bin/sh
# t107-crm-mask: crm-mask's policies, masks, pseudonyms and roles, and
# the errors of hostile policies, keys and records.
. "$TOP/tests/lib.sh"
t_use mask
unset CRM_MASK_KEY || true

# ---- what each role sees ----------------------------------------------------

t_run partner 0 -- crm-mask --policy in/crm.policy in/customers.csv
t_run analyst 0 -- crm-mask --policy in/crm.policy --role analyst \
    --key-file in/key.txt in/customers.csv
t_run agent 0 -- crm-mask --policy in/crm.policy --role agent \
    in/customers.csv
t_run admin 0 -- crm-mask --policy in/crm.policy --role admin \
    in/customers.csv
t_run jsonl 0 -- crm-mask --policy in/crm.policy in/customers.jsonl
t_run to-jsonl 0 -- crm-mask -q --policy in/crm.policy --output-format jsonl \
    in/customers.csv

# A masked export holds none of the raw phones, e-mail addresses or ids,
# in any of their forms, and every field the policy keeps as it was.
crm-mask -q --policy in/crm.policy in/customers.csv >partner.csv
CRM_MASK_KEY=test-key-0123456789abcdef crm-mask -q --policy in/crm.policy \
    --role analyst in/customers.csv >analyst.csv
for v in C0000123 C0000456 C0000789 C0001000 \
    zhang.wei@example.com Anna.Smith@Mail.cn anna.smith@mail.cn \
    lina.88@shop.net JOHN.BROWN@corp.org john.brown@corp.org \
    '+86 138-0013-8000' 13800138000 13912345678 \
    '(0086)137 7326 5441' 13773265441; do
	t_eq "partner: no '$v'" 0 "$(grep -cF -- "$v" partner.csv || true)"
	t_eq "analyst: no '$v'" 0 "$(grep -cF -- "$v" analyst.csv || true)"
done
t_eq "partner: city kept" "$(mlr --icsv --ocsv cut -f city in/customers.csv)" \
    "$(mlr --icsv --ocsv cut -f city partner.csv)"
t_eq "analyst: city and amount kept" \
    "$(mlr --icsv --ocsv cut -o -f city,amount in/customers.csv)" \
    "$(mlr --icsv --ocsv cut -o -f city,amount analyst.csv)"
# A role sees only its fields.
t_eq "analyst: only its fields" "customer_id,phone,city,signup_date,amount" \
    "$(head -1 analyst.csv)"
t_eq "agent: only its fields" "customer_id,name,email,phone" \
    "$(crm-mask -q --policy in/crm.policy --role agent in/customers.csv |
    head -1)"
# +86 138-0013-8000 and 13800138000 are one phone: masked alike.
t_eq "one phone, one mask" "138****8000 138****8000" \
    "$(mlr --icsv --onidx cut -f phone then filter '$phone =~ "^138"' \
    partner.csv | tr '\n' ' ' | sed 's/ $//')"

# Phones without a country code are of --region's country.
t_run region-us 0 -- crm-mask -q --policy in/join.policy --key-file in/key.txt \
    --region US --output-format jsonl in/us.csv
t_run region-bad 64 -- crm-mask --policy in/join.policy --region XX \
    in/us.csv

# ---- pseudonyms: joins, keys --------------------------------------------------

CRM_MASK_KEY=test-key-0123456789abcdef crm-mask -q --policy in/join.policy \
    in/customers.csv >c1.csv
crm-mask -q --policy in/join.policy --key-file in/key.txt in/orders.csv >o1.csv
crm-mask -q --policy in/join.policy --key-file in/key2.txt in/orders.csv \
    >o2.csv
# Orders O-1, O-2 and O-4 are of customers C0000123 (and C0001000, the
# same phone), C0000456 and C0000789, written in other ways.
t_eq "join on the pseudonymized phone" \
    "C0000123 O-1,C0001000 O-1,C0000456 O-2,C0000789 O-4" \
    "$(mlr --icsv --onidx join -j phone -f c1.csv then sort -f order_id \
    then cut -o -f customer_id,order_id o1.csv | paste -sd, -)"
t_eq "tokens: tok_ and 32 hex digits" 4 \
    "$(cut -d, -f2 o1.csv | grep -cE '^tok_[0-9a-f]{32}$')"
t_eq "another key, other tokens" 0 \
    "$(tail -qn +2 o1.csv o2.csv | cut -d, -f2 | sort | uniq -d | wc -l |
    tr -d ' ')"
t_eq "another key, no join" 0 \
    "$(mlr --icsv --ojson join -j phone -f c1.csv o2.csv | grep -c order_id ||
    true)"
# The token is HMAC-SHA-256 of the normalized phone, as openssl makes it.
if command -v openssl >/dev/null; then
	t_eq "the token is the HMAC of the normalized value" \
	    "tok_$(printf 13800138000 | openssl dgst -sha256 \
	    -hmac test-key-0123456789abcdef | sed 's/.*= //' | cut -c1-32)" \
	    "$(sed -n 2p o1.csv | cut -d, -f2)"
fi

# ---- hostile policies, keys and input -------------------------------------

t_run no-key 64 -- crm-mask --policy in/crm.policy --role analyst \
    in/customers.csv
t_run short-key 64 -- crm-mask --policy in/crm.policy --role analyst \
    --key-file in/short.key in/customers.csv
t_run short-key-env 64 -- env CRM_MASK_KEY=0123456789abcde crm-mask \
    --policy in/crm.policy --role analyst in/customers.csv
t_run no-key-file 66 -- crm-mask --policy in/crm.policy --role analyst \
    --key-file in/nokey in/customers.csv
t_run no-policy 66 -- crm-mask --policy in/nopolicy in/customers.csv
t_run policy-needed 64 -- crm-mask in/customers.csv
t_run bad-rule 65 -- crm-mask --policy in/bad-rule.policy in/customers.csv
t_run bad-generalize 65 -- crm-mask --policy in/bad-generalize.policy \
    in/customers.csv
t_run bad-line 65 -- crm-mask --policy in/bad-line.policy in/customers.csv
t_run bad-default 65 -- crm-mask --policy in/bad-default.policy \
    in/customers.csv
t_run twice 65 -- crm-mask --policy in/twice.policy in/customers.csv
t_run unknown-role 64 -- crm-mask --policy in/crm.policy --role analist \
    in/customers.csv
t_run unknown-role-list 64 -- crm-mask --policy in/crm.policy --role boss \
    in/customers.csv
t_run roles-only 64 -- crm-mask --policy in/roles-only.policy \
    in/customers.csv
t_run unknown-field 0 -- crm-mask --policy in/unknown-field.policy \
    in/customers.csv in/customers.csv
t_run bad-date 65 -- crm-mask --policy in/dates.policy in/bad-date.csv
t_run bad-phone 65 -- crm-mask --policy in/join.policy --key-file in/key.txt \
    in/bad-phone.csv

t_done
