# crm-recommend --db killed with SIGKILL, then run again: fitting (the
# models table) and recommending (the decisions table) end as a clean run
# leaves the store, and the killed run left a whole model, or whole
# batches, only.
. "$TOP/tests/lib.sh"
. "$TOP/tests/crash.sh"
t_use recommend

# 400 customers in four groups, six interactions each with the 15 items
# of the group; 2500 customers to recommend for, the last 2100 unknown to
# the model (they get the popular items).
awk 'BEGIN { srand(3); print "customer_id,item"
    for (c = 1; c <= 400; c++) for (k = 0; k < 6; k++)
	printf "U%04d,i%d%02d\n", c, c % 4, int(rand() * 15) }' >fit.csv
awk 'BEGIN { print "customer_id"
    for (c = 1; c <= 2500; c++) printf "U%04d\n", c }' >who.csv

crm-ingest -q --db base.db in/customers.csv >/dev/null
c_script fit 'crm-recommend train -q --db "$1" "$2"'
c_models_crash fit fit.csv 1200

./fit base.db fit.csv
c_script reco 'crm-recommend -q --db "$1" --top 3 "$2" >/dev/null'
c_header=1
c_log_crash reco who.csv "301 2222"

t_done
