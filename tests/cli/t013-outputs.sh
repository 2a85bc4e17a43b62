# Output files are written safely: a model file or --rejects may not be
# the store (or its -wal/-shm) nor an input of the run (a usage error,
# before anything is read), and a file they replace is replaced whole, by
# rename: a link to the old file keeps the old contents, and a run that
# fails before its end leaves the old file as it was.
. "$TOP/tests/lib.sh"
t_use ingest

# status CMD...: run it, print "STATUS|STDERR".
status() {
	rc=0
	"$@" >out 2>err || rc=$?
	echo "$rc|$(cat err)"
}

crm-ingest -q --db crm.db in/customers.csv >/dev/null
cp crm.db crm.db.orig
cp "$TOP/testdata/churn/telco-like.csv" train.csv
cp "$TOP/testdata/intent/intents.train.jsonl" intents.jsonl
cp "$TOP/testdata/recommend/two-groups.csv" ratings.csv

for t in "crm-churn train --label-field Churn train.csv" \
    "crm-intent train intents.jsonl" "crm-recommend train ratings.csv"; do
	tool=${t%% *}
	input=${t##* }
	got=$(status $t --db crm.db --model-file crm.db)
	t_eq "$tool: --model-file the store" \
	    "64|$tool: --model-file 'crm.db' is the store's file" \
	    "$(echo "$got" | sed -n 1p)"
	got=$(status $t --db crm.db --model-file crm.db-wal)
	t_eq "$tool: --model-file the store's -wal" \
	    "64|$tool: --model-file 'crm.db-wal' is the store's wal" \
	    "$(echo "$got" | sed -n 1p)"
	ln -sf "$input" link
	got=$(status $t --model-file link)
	t_eq "$tool: --model-file an input (through a link)" \
	    "64|$tool: --model-file 'link' is an input, '$input'" \
	    "$(echo "$got" | sed -n 1p)"
done
t_ok "the store is untouched" cmp crm.db crm.db.orig
t_ok "the inputs are untouched" cmp train.csv "$TOP/testdata/churn/telco-like.csv"

# --rejects replaces its file whole: a hard link keeps the old rejects.
printf 'old rejects\n' >rej.csv
ln rej.csv kept.csv
crm-ingest -q --rejects rej.csv in/bad.csv >/dev/null 2>&1 || true
t_eq "--rejects: the old file, linked elsewhere, is kept" "old rejects" \
    "$(cat kept.csv)"
t_eq "--rejects: the new file has the rejects" "file,line,field,reason,raw" \
    "$(sed -n 1p rej.csv)"
t_eq "--rejects: no temporary left" "" "$(ls | grep '\.tmp\.' || true)"

# stopped SIGNAL FILE: crm-ingest --rejects FILE on in/bad.csv through a
# FIFO that stays open, sent SIGNAL once its temporary exists; prints the
# run's exit status.
mkfifo fifo
stopped() {
	{
		cat in/bad.csv
		sleep 30
	} >fifo &
	feeder=$!
	crm-ingest -q --rejects "$2" fifo >/dev/null 2>&1 &
	pid=$!
	i=0
	while [ "$i" -lt 100 ] && ! ls | grep -q "^$2\.tmp\."; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.2
	kill "-$1" "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	pkill -P "$feeder" 2>/dev/null || true
	kill "$feeder" 2>/dev/null || true
	wait "$feeder" 2>/dev/null || true
	echo "$rc"
}

# A run that ends before its finish (killed) leaves the old rejects.
printf 'old rejects\n' >rej2.csv
stopped KILL rej2.csv >/dev/null
t_eq "--rejects: killed mid-run, the old file is as it was" "old rejects" \
    "$(cat rej2.csv)"

# A run that fails before its end, or is stopped by SIGTERM, leaves the old
# rejects and no temporary (kill -9 above cannot clean up: its temporary
# is removed here).
rm -f rej2.csv.tmp.*
printf 'old rejects\n' >rej3.csv
t_eq "--rejects: a run that cannot open its store" \
    "73|crm-ingest: cannot open 'no/such.db': unable to open database file (No such file or directory)" \
    "$(status crm-ingest --db no/such.db --rejects rej3.csv in/bad.csv)"
t_eq "--rejects: ... leaves the old file" "old rejects" "$(cat rej3.csv)"
rc=$(stopped TERM rej3.csv)
t_eq "--rejects: SIGTERM ends the run as SIGTERM" 143 "$rc"
t_eq "--rejects: ... and leaves the old file" "old rejects" "$(cat rej3.csv)"
t_eq "no temporary left by any run" "" "$(ls | grep '\.tmp\.' || true)"

# Not a regular file: written in place (here /dev/stderr).
t_eq "--rejects /dev/stderr: written in place" "file,line,field,reason,raw" \
    "$(crm-ingest -q --rejects /dev/stderr in/bad.csv 2>&1 >/dev/null |
	sed -n 1p)"

t_done
