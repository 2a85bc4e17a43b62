#!/bin/sh
# t105-progress: the progress line of every long phase, on a terminal
# only.  Each tool runs under script(1), whose pseudo-terminal is its
# stderr; CRM_PROGRESS_MS=0 shows every step of every phase (by default a
# phase shows only once it has lasted a second, longer than these small
# inputs take).  The checks match the words of each phase, never the
# timings: "crm-intent: training: 2/4 models, 1.5/s".
# No progress when stderr is a file, nor with -q.
. "$TOP/tests/lib.sh"
cd "$t_tmp"
cp -R "$TOP/examples" ex

# pty CMD...: run CMD on a terminal; what it showed, one line per \r or
# \n, the erase-to-end-of-line codes left out, into pty.out.
pty() {
	script -qec "$*" /dev/null </dev/null | tr '\r' '\n' |
	    sed 's/\x1b\[K//g' | grep -v '^$' >pty.out || true
}

# shows NAME REGEX: some line of pty.out matches.
shows() {
	t_ok "$1" sh -c "grep -Eq '$2' pty.out || { sed 's/^/# /' pty.out |
	    tail -5; false; }"
}

export CRM_PROGRESS_MS=0
it="crm-intent train --model-file i.model --label-field intent"
pty "$it ex/intents.train.jsonl"
shows "crm-intent: reading, with a rate" \
    '^crm-intent: reading: [0-9]+ records, [0-9.]+/s$'
shows "crm-intent train: the folds' and the model's problems solved" \
    '^crm-intent: training: [0-3]/4 models'
shows "crm-intent train: the last of them" \
    '^crm-intent: training: 4/4 models(, [0-9.]+/s)?$'
shows "the summary after the progress, on a line of its own" \
    '^crm-intent: trained intent on 1033 texts'

ct="crm-churn train --model-file c.model --label-field Churn \
    --id-field customerID ex/telco.csv"
pty "$ct"
shows "crm-churn train: logistic regression's iterations" \
    '^crm-churn: training: [0-9]+ iterations'
pty crm-churn eval --cv 3 --label-field Churn --id-field customerID \
    ex/telco.csv
shows "crm-churn eval --cv: each fold's training" \
    '^crm-churn: training fold 3/3: [0-9]+ iterations'
pty "$ct --algo svm"
shows "crm-churn train --algo svm: libsvm's solves" \
    '^crm-churn: training: 6/6 solves'

pty crm-recommend fit --model-file r.model ex/orders.csv
shows "crm-recommend fit: ease's steps" \
    '^crm-recommend: ease: Cholesky factorization: 1/3 steps'
pty crm-recommend fit --algo als --model-file r.model ex/orders.csv
shows "crm-recommend fit --algo als: the sweeps" \
    '^crm-recommend: als: 15/15 sweeps'
pty crm-recommend fit --algo knn --model-file r.model ex/orders.csv
shows "crm-recommend fit --algo knn: the items" \
    '^crm-recommend: knn: similarities: 0/10 items'

pty crm-dedupe ex/people.csv
shows "crm-dedupe: the blocking keys made" \
    '^crm-dedupe: blocking: [0-9]+/[0-9]+ keys'
shows "crm-dedupe: the candidate pairs compared" \
    '^crm-dedupe: comparing: [0-9]+/[0-9]+ pairs'
shows "crm-dedupe: EM's iterations" '^crm-dedupe: EM: [0-9]+ iterations'

pty crm-tag --kmeans 3 --fields visits,spend ex/points.csv
shows "crm-tag --kmeans: the runs" '^crm-tag: k-means: 10/10 runs'
pty crm-tag --kmeans 3 --auto-k --fields visits,spend ex/points.csv
shows "crm-tag --auto-k: the runs of each k" \
    '^crm-tag: k-means, k=3: 10/10 runs'

# Not on a file, not with -q, not for a phase under a second.
pty "$it ex/intents.train.jsonl 2>err.txt"
t_ok "stderr a file: no progress in it" sh -c \
    "! grep -Eq 'reading:|[0-9] labels' err.txt && tr -d '\r' <err.txt | cmp -s - err.txt"
t_ok "stderr a file: its summary as ever" \
    grep -q '^crm-intent: trained intent on 1033 texts' err.txt
pty "$it -q ex/intents.train.jsonl"
t_ok "-q: nothing on the terminal" sh -c '! test -s pty.out'
unset CRM_PROGRESS_MS
pty "$it ex/intents.train.jsonl"
t_ok "phases under a second: no progress" sh -c \
    "! grep -Eq 'reading:|[0-9] labels' pty.out || { sed 's/^/# /' pty.out; false; }"
t_done
