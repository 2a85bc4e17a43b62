# The limits of crm(7) LIMITS end a record with the documented error, and
# the record after it is read: a record of 1,000,000 members, nesting
# deeper than 512, a CSV header of more than 10,000 fields.  The guard
# (timeout) stops a run that would take minutes; speed itself is measured
# by scripts/bench-limits.sh, not here.
. "$TOP/tests/lib.sh"
t_use ingest

# limited FILE: run crm-ingest on FILE, print "STATUS|STDERR|STDOUT".
limited() {
	rc=0
	timeout 120 crm-ingest --kind customers -q "$1" >out 2>err || rc=$?
	echo "$rc|$(cat err)|$(cat out)"
}

awk 'BEGIN {
	printf "{\"customer_id\":\"c1\"";
	for (i = 0; i < 1000000; i++)
		printf ",\"k%d\":%d", i, i;
	print "}";
	print "{\"customer_id\":\"c2\"}";
}' >wide.jsonl
t_eq "1,000,000 members: the documented error, the next record read" \
    "65|crm-ingest: wide.jsonl:1: more than 10000 fields|{\"customer_id\":\"c2\"}" \
    "$(limited wide.jsonl)"

awk 'BEGIN {
	printf "{\"customer_id\":\"c1\",\"deep\":";
	for (i = 0; i < 600; i++) printf "[";
	for (i = 0; i < 600; i++) printf "]";
	print "}";
	print "{\"customer_id\":\"c2\"}";
}' >deep.jsonl
t_eq "nesting deeper than 512: the documented error" \
    "65|crm-ingest: deep.jsonl:1: bad JSON: nesting too deep at byte 539|{\"customer_id\":\"c2\"}" \
    "$(limited deep.jsonl)"

awk 'BEGIN {
	printf "customer_id";
	for (i = 0; i < 10000; i++) printf ",f%d", i;
	print "";
	print "c1";
}' >wide.csv
t_eq "a header of 10,001 fields: the documented error" \
    "66|crm-ingest: wide.csv:1: bad header: more than 10000 fields|" \
    "$(limited wide.csv)"

t_done
