#!/bin/sh
# t001-help-man: every binary's --help agrees with its man page: the
# synopsis is the man page's SYNOPSIS word for word, and the options the
# help lists (made from the binary's option table) are the ones its
# OPTIONS section describes, no more and no fewer.
. "$TOP/tests/lib.sh"
cd "$t_tmp"

# The long options of an mdoc OPTIONS section: every "Fl -name" on an .It
# line between ".Sh OPTIONS" and the next ".Sh".
man_options() {
	sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$1" | grep '^\.It ' |
	    grep -o 'Fl -[a-z0-9-]*' | sed 's/^Fl -/--/' | sort -u
}

# The long options of a --help text: each entry line, "  -q, --quiet" or
# "  --db FILE".
help_options() {
	grep -E '^  (-[a-zA-Z0-9], )?--[a-z0-9-]+' "$1" |
	    sed -E 's/^  (-[a-zA-Z0-9], )?(--[a-z0-9-]+).*/\2/' | sort -u
}

for b in crm-churn crm-dedupe crm-experiment crm-ingest crm-intent crm-journey \
    crm-mask crm-profile crm-recommend crm-report crm-route crm-tag; do
	man=$TOP/man/$b.1
	"$b" --help >"$b.help"
	t_ok "$b: --help prints the synopsis on stdout" \
	    grep -q "^usage: $b" "$b.help"
	t_ok "$b: --help synopsis is the man page's SYNOPSIS" sh -c \
	    "sed -n '/^usage:/,/^\$/p' $b.help | tr -s ' \n' ' ' | \
	    sed 's/usage: //;s/ *\$//' >$b.syn.help; \
	    mandoc -Tascii '$man' | col -bx | \
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;\$d' | \
	    tr -s ' \n' ' ' | sed 's/^ *//;s/ *\$//' >$b.syn.man; \
	    cmp -s $b.syn.help $b.syn.man || \
	    { echo '# help:'; sed 's/^/# /' $b.syn.help; echo; \
	      echo '# man:'; sed 's/^/# /' $b.syn.man; false; }"
	help_options "$b.help" >"$b.opts.help"
	man_options "$man" >"$b.opts.man"
	t_ok "$b: the options of --help are those of the man page's OPTIONS" \
	    sh -c "test -s $b.opts.help && diff $b.opts.help $b.opts.man | \
	    sed 's/^/# /' | grep -v '^# [0-9]' ; \
	    cmp -s $b.opts.help $b.opts.man"
	# Every option of the synopsis is one the binary takes.
	sed -n '/^usage:/,/^$/p' "$b.help" | grep -o -- '--[a-z0-9-]*' |
	    sort -u >"$b.opts.syn"
	t_ok "$b: every option of the synopsis is in --help" sh -c \
	    "comm -23 $b.opts.syn $b.opts.help | sed 's/^/# not in --help: /'; \
	    test -z \"\$(comm -23 $b.opts.syn $b.opts.help)\""
done

t_done
