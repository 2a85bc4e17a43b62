# t129-intent-threads: crm-intent train --threads N solves the classes'
# SVMs on N processes and writes the same model, byte for byte, for any
# N: with many labels, with two (one problem a training), with a label
# that a calibration fold lacks, and with an out_of_scope background; the default is the processors, the same
# model again; a bad count is a usage error.
. "$TOP/tests/lib.sh"
t_use intent-threads

intents=$TOP/testdata/intent/intents.train.jsonl
jq -c 'select(.sentiment != "neutral")' \
    "$TOP/testdata/intent/sentiment.train.jsonl" >two.jsonl

# same NAME ARGS...: train with --threads 1, 2 and 3 and with the default;
# every model file the same bytes.
same() {
	m=$1
	shift
	for n in 1 2 3; do
		crm-intent train -q --model-file "$m.$n" --threads "$n" "$@"
	done
	crm-intent train -q --model-file "$m.all" "$@"
	t_ok "$m: --threads 2, the bytes of --threads 1" cmp "$m.1" "$m.2"
	t_ok "$m: --threads 3, the same" cmp "$m.1" "$m.3"
	t_ok "$m: the default (the processors), the same" cmp "$m.1" "$m.all"
}
same intents --label-field intent "$intents"
same two --label-field sentiment two.jsonl
same lone --label-field intent in/lone.jsonl
# with an out_of_scope background (a negative of every class, no class),
# and two classes with it: two problems, not one
cat "$intents" "$TOP/testdata/intent/background.jsonl" >bg.jsonl
same background --label-field intent bg.jsonl
jq -c '{text, label: .sentiment}' two.jsonl >two-bg.jsonl
jq -c '{text, label: "out_of_scope"}' "$TOP/testdata/intent/background.jsonl" \
    >>two-bg.jsonl
same two-background --label-field label two-bg.jsonl
# the background is a negative of both classes (were the two one problem,
# the second class would take it): its texts score low for either
bgmean=$(crm-intent -q --model-file two-background.1 --output-field lab \
    "$TOP/testdata/intent/background.jsonl" |
    jq -s '[.[].lab_score] | add / length * 100 | floor')
t_ok "two classes with a background: its texts score $bgmean% on average" \
    test "$bgmean" -lt 20
t_eq "two classes with a background: the background is no class" \
    "negative positive" "$(crm-intent -q --model-file two-background.1 \
	--output-field label two.jsonl | jq -r .label | sort -u | tr '\n' ' ' |
	sed 's/ $//')"

# The summary, as without --threads.
t_run train-summary 0 -- crm-intent train --model-file s.model \
    --label-field intent --threads 2 in/lone.jsonl
t_run eval-two 0 -- crm-intent eval -q --model-file two.2 \
    --label-field sentiment two.jsonl

# bad N: the status and the first line of the usage error.
bad() {
	set +e
	crm-intent train --model-file z.model --label-field intent \
	    --threads "$1" in/lone.jsonl 2>err
	echo "$? $(head -1 err)"
	set -e
}
t_eq "--threads 0 refused" "64 crm-intent: bad --threads '0': want 1 to 256" \
    "$(bad 0)"
t_eq "--threads 257 refused" \
    "64 crm-intent: bad --threads '257': want 1 to 256" "$(bad 257)"
t_done
