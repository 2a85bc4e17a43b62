# t127-intent-oos: out of scope as a first-class class.  Training takes
# texts labelled out_of_scope (the shipped background set) as negatives of
# every intent, never a class; --min-confidence auto uses the threshold
# chosen on the held-out folds and saved in the model (--oos-loss), shown
# by train and eval; a model saved before there was one is still read, and
# auto with it is refused; --unknown-share sets what the scores assume.
. "$TOP/tests/lib.sh"
t_use intent-oos

data=$TOP/testdata/intent
# gt A B: A > B for decimals.
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# The built-in model's recipe: the shop intents and the background set.
t_run train 0 -- crm-intent train --model-file oos.model \
    "$data/intents.train.jsonl" "$data/background.jsonl"
# The planted out-of-scope messages, like the background, are caught; the
# customers' messages keep their intents; one off-topic message unlike the
# background scores above the threshold.
t_run predict-auto 0 -- crm-intent -q --model-file oos.model \
    --min-confidence auto --output-format csv in/messages.jsonl
t_run eval-auto 0 -- crm-intent eval -q --model-file oos.model \
    --min-confidence auto --label-field truth in/messages.jsonl
t_run eval-auto-jsonl 0 -- crm-intent eval -q --model-file oos.model \
    --min-confidence auto --label-field truth --output-format jsonl \
    in/messages.jsonl

# A bigger --oos-loss gives up more held-out accuracy: a higher threshold.
crm-intent train -q --model-file loose.model --oos-loss 0.1 \
    "$data/intents.train.jsonl" "$data/background.jsonl"
auto() { crm-intent eval -q --model-file "$1" --min-confidence auto \
    --label-field truth in/messages.jsonl |
    sed -n '1s/.* min_confidence=\([0-9.]*\).*/\1/p'; }
a=$(auto oos.model) b=$(auto loose.model)
t_ok "--oos-loss 0.1: threshold $b > $a" gt "$b" "$a"

# The scores assume a quarter of the messages are of intents the model
# lacks (the held-out texts scored without their own class): with
# --unknown-share 0 they do not, and the messages score higher (their
# scores' sum); the share is kept with the model's parameters.
crm-intent train -q --model-file closed.model --unknown-share 0 \
    "$data/intents.train.jsonl" "$data/background.jsonl"
score() { crm-intent -q --model-file "$1" in/messages.jsonl |
    jq -s 'map(.intent_score) | add'; }
a=$(score oos.model) b=$(score closed.model)
t_ok "--unknown-share 0: the scores add up to $b > $a" gt "$b" "$a"
crm-intent train -q --db crm.db --unknown-share 0.1 "$data/intents.train.jsonl"
t_eq "the share in the models table's params" "0.1" \
    "$(sqlite3 crm.db "SELECT params ->> '\$.unknown_share' FROM models")"
t_run bad-share 64 -- crm-intent train --model-file x.model \
    --unknown-share 0.95 in/messages.jsonl

# Version 1 of a model's bytes (no threshold, no CJK edges, a score curve
# of three inputs: no coverage) is still read; auto refuses it.  Made from
# this one: its header (8 words) without cjk_edges (word 7), 3 inputs, the
# curve's d, margin and constant weights (words 11, 12 and 14; 13 is the
# coverage's), then all after the threshold.
word() { dd if=oos.model bs=4 skip="$1" count="${2:-1}" 2>/dev/null; }
{
	printf CRMTEXT1
	word 2 5
	word 8 2
	printf '\003\000\000\000'
	word 11 2
	word 14
	tail -c +65 oos.model
} >old.model
# The same labels of the English messages (not the same scores: its curve
# has no coverage; nor of the Chinese ones: it has no CJK edges).
jq -c 'select(.text | test("^[ -~]*$"))' in/messages.jsonl >en.jsonl
crm-intent -q --model-file oos.model en.jsonl | jq -c '[.intent]' >new.labels
crm-intent -q --model-file old.model en.jsonl | jq -c '[.intent]' >old.labels
t_eq "the English messages" 6 "$(wc -l <old.labels)"
t_ok "a version 1 model classifies them as before" cmp old.labels new.labels
# A text of known words, then the same with words the training never saw
# (and so a lower coverage): the same intent, a much lower score, as long
# as the curve fitted on the background set weighs the coverage.
printf '%s\n' '{"text":"it is late"}' \
    '{"text":"it is late, the zebra played a violin"}' |
    crm-intent -q --model-file oos.model | jq -r '.intent, .intent_score' |
    paste - - >cov.out
t_ok "unknown words: the same intent, a lower score" awk '
    NR == 1 { i = $1; s = $2 } NR == 2 { ok = $1 == i && $2 < s - 0.1 }
    END { exit !ok }' cov.out
t_run old-auto 64 -- crm-intent --model-file old.model --min-confidence auto \
    in/messages.jsonl
t_run bad-auto 64 -- crm-intent --min-confidence automatic in/messages.jsonl
t_run bad-loss 64 -- crm-intent train --model-file x.model --oos-loss 2 \
    in/messages.jsonl
t_done
