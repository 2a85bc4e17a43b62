#!/bin/sh
# gen-completion.sh BIN OUT: write OUT, bash completion for the crmkit
# binary BIN, made from BIN --help.  The help is itself made from the
# binary's option table (lib/opt.c) and t001 checks it against the man
# page, so the completion cannot drift from either.  What it completes:
# the verbs (the first word after the name in the synopsis lines), every
# long option, file names after an option whose argument is FILE, and
# the words of an argument spelled a|b|c (FMT: csv, tsv, jsonl).
set -eu
bin=$1 out=$2
name=${bin##*/}
fn=_$(printf '%s' "$name" | tr -c 'A-Za-z0-9\n' _)
"$bin" --help | awk -v name="$name" -v fn="$fn" '
function add(list, w) { return list == "" ? w : list " " w }
BEGIN { insyn = 1 }
insyn && /^$/ { insyn = 0; next }
insyn {
	for (i = 1; i < NF; i++)
		if ($i == name) {
			w = $(i + 1)
			if (w ~ /^[a-z][a-z-]*$/ && !(w in seenverb)) {
				seenverb[w] = 1; verbs = add(verbs, w)
			}
			break
		}
	next
}
/^  (-[A-Za-z0-9], )?--[a-z]/ {
	for (i = 1; i <= NF; i++) if ($i ~ /^--/) break
	o = $i; a = $(i + 1)
	if (o in seenopt) next
	seenopt[o] = 1; opts = add(opts, o)
	if (a == "FILE" || a == "STORE") files = add(files, o)
	else if (a == "FMT") { words[o] = "csv tsv jsonl"; wl = add(wl, o) }
	else if (a ~ /^[a-z0-9]+(\|[a-z0-9]+)+$/) {
		gsub(/\|/, " ", a); words[o] = a; wl = add(wl, o)
	} else if (a ~ /^[A-Z]/) args = add(args, o)
}
END {
	print "# bash completion for " name ": generated from its --help"
	print "# by scripts/gen-completion.sh; do not edit."
	print fn "()"
	print "{"
	print "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}"
	print "\tCOMPREPLY=()"
	print "\tcase $prev in"
	if (files != "") {
		gsub(/ /, "|", files)
		print "\t" files ")"
		print "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))"
		print "\t\treturn ;;"
	}
	n = split(wl, wo, " ")
	for (i = 1; i <= n; i++) {
		print "\t" wo[i] ")"
		print "\t\tCOMPREPLY=($(compgen -W \"" words[wo[i]] "\" -- \"$cur\"))"
		print "\t\treturn ;;"
	}
	if (args != "") {
		gsub(/ /, "|", args)
		print "\t" args ")"
		print "\t\treturn ;;"
	}
	print "\tesac"
	print "\tcase $cur in"
	print "\t-*)"
	print "\t\tCOMPREPLY=($(compgen -W \"" opts "\" -- \"$cur\"))"
	print "\t\treturn ;;"
	print "\tesac"
	if (verbs != "") {
		print "\tif [ \"$COMP_CWORD\" -eq 1 ]; then"
		print "\t\tCOMPREPLY=($(compgen -W \"" verbs "\" -- \"$cur\"))"
		print "\tfi"
	}
	print "\tCOMPREPLY+=($(compgen -f -- \"$cur\"))"
	print "}"
	print "complete -o filenames -F " fn " " name
}' > "$out.tmp"
mv "$out.tmp" "$out"
