#!/bin/sh
# make install's layout (scripts/install.sh into a scratch root): the
# binaries, manual pages naming the installed share/crmkit paths, bash
# completion made from each --help, and share/crmkit with the rules,
# kb.csv and examples/; then the completion run in bash as a user's
# <TAB> would.
. "$TOP/tests/lib.sh"
cd "$t_tmp"
root=$t_tmp/root
t_ok "install.sh runs" sh "$TOP/scripts/install.sh" "$BIN/.." "$root" /opt/crm

got=$(cd "$root/opt/crm" && find . -type f | grep -v '^./share/crmkit/examples/' |
	sort | tr '\n' ' ')
want=''
for b in churn dedupe experiment ingest intent journey mask profile \
    recommend report route tag; do
	want="$want./bin/crm-$b "
done
for b in churn dedupe experiment ingest intent journey mask profile \
    recommend report route tag; do
	want="$want./share/bash-completion/completions/crm-$b "
done
want="$want./share/crmkit/kb.csv "
want="$want./share/crmkit/rules/actions.rules "
want="$want./share/crmkit/rules/answers.review "
want="$want./share/crmkit/rules/dynamic-segments.rules "
want="$want./share/crmkit/rules/routing.rules "
for m in crm-churn.1 crm-dedupe.1 crm-experiment.1 crm-ingest.1 \
	crm-intent.1 crm-journey.1 crm-mask.1 crm-profile.1 crm-recommend.1 \
	crm-report.1 crm-route.1; do
	want="$want./share/man/man1/$m "
done
want="$want./share/man/man1/crm-tag.1 ./share/man/man5/crm-store.5 "
want="$want./share/man/man7/crm.7 "
t_eq "installed files" "$want" "$got"

# every file of examples/ is installed, rules/ too
got=$(cd "$root/opt/crm/share/crmkit/examples" && find . -type f | sort)
want=$(cd "$TOP/examples" && find . -type f | sort)
t_eq "examples installed whole" "$want" "$got"

# the pages name the installed paths, under the PREFIX given
got=$(grep -h 'share/crmkit' "$root/opt/crm/share/man/man1/crm-route.1" |
	head -2 | tr '\n' ' ')
t_eq "crm-route(1) names the installed files" \
	"/opt/crm/share/crmkit/rules/routing.rules /opt/crm/share/crmkit/kb.csv " \
	"$(echo "$got" | sed 's/\.It Pa //g')"
t_eq "no page names /usr/local once installed elsewhere" "0" \
	"$(cat "$root"/opt/crm/share/man/man*/* | grep -c /usr/local || true)"

# completion: COMPREPLY for a line typed so far (the last word is cur)
comp() {
	tool=$1
	shift
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_${COMP_WORDS[0]//-/_}; for w in "${COMPREPLY[@]}"; do echo "$w"; done | sort |
		tr "\n" " "' bash \
		"$root/opt/crm/share/bash-completion/completions/$tool" "$tool" "$@"
}
if command -v bash >/dev/null; then
	t_eq "crm-churn --al<TAB>" "--algo " "$(comp crm-churn --al)"
	t_eq "crm-churn --algo <TAB>" "auto gbt lr svm " "$(comp crm-churn --algo '')"
	t_eq "crm-churn --input-format j<TAB>" "jsonl " \
		"$(comp crm-churn --input-format j)"
	t_eq "crm-intent t<TAB>: the verb" "train " "$(comp crm-intent t)"
	touch telco.csv
	t_eq "crm-churn --db te<TAB>: a file" "telco.csv " \
		"$(comp crm-churn --db te)"
	t_eq "crm-churn --label-field <TAB>: nothing" "" \
		"$(comp crm-churn --label-field '')"
	t_eq "crm-churn train --q<TAB>: options after a verb" "--quiet " \
		"$(comp crm-churn train --q)"
else
	t_pass "# SKIP no bash"
fi
t_done
