# The rules sandbox (issue 15, defect 5): rules files are shared, so a rule
# may call only the functions crm-tag(1) lists, makes values of at most
# 1000000 bytes, and runs at most 1000000 SQLite steps on one record.
. "$TOP/tests/lib.sh"
t_use tag

# A memory limit shows that nothing large is allocated; under ASan, which
# cannot start with it, the cases run without it.
if (ulimit -v 400000 && crm-tag --version) >/dev/null 2>&1; then
	limited() { (ulimit -v 400000 && exec "$@"); }
else
	limited() { "$@"; }
fi

# Functions that reach outside the values are refused when the rules are
# compiled, with the file, the line and the function.
t_run sandbox-fts3 65 -- crm-tag --rules in/sandbox-fts3.rules \
    in/sandbox.csv
t_run sandbox-load 65 -- crm-tag --rules in/sandbox-load.rules \
    in/sandbox.csv
t_run sandbox-printf 65 -- limited crm-tag --rules in/sandbox-printf.rules \
    in/sandbox.csv
t_run sandbox-recursive 65 -- crm-tag --rules in/sandbox-recursive.rules \
    in/sandbox.csv
t_run sandbox-fts3-route 65 -- crm-route --rules in/sandbox-fts3.route \
    in/sandbox.csv

# A value longer than 1000000 bytes fails the record, not the memory.
t_run sandbox-grow 66 -- limited crm-tag --rules in/sandbox-grow.rules \
    in/sandbox.csv

# instr(), replace() and trim() of long values take linear time: well
# under a second here, where SQLite's own take minutes (the timeout only
# keeps a regression from hanging the run).
t_run sandbox-quadratic 0 -- timeout 60 crm-tag -q \
    --rules in/sandbox-quadratic.rules in/sandbox.csv

# A rule that runs away stops the run at once, named.
t_run sandbox-loop 65 -- limited timeout 60 crm-tag \
    --rules in/sandbox-loop.rules in/sandbox.csv
t_run sandbox-loop-route 65 -- timeout 60 crm-route \
    --now 2024-07-01T00:00:00Z --rules in/sandbox-loop.route in/sandbox.csv

# A rule that reads no field, after one that does.
t_run sandbox-catchall-route 0 -- crm-route -q --now 2024-07-01T00:00:00Z \
    --rules in/sandbox-catchall.route in/sandbox.csv

t_done
