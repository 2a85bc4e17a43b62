# The examples of the manual, run as written, as jq runs its manual's:
# every fenced code block of README.md and every literal block (.Bd
# -literal ... .Ed) and .Dl line in the EXAMPLES section of man/*.[157].
#
# A block whose lines start with "$ " holds commands and, under each, the
# standard output it prints: a line ending in "..." matches any line that
# starts with the text before it, every other line must be equal.  Any
# other block is a script: each command of it runs, comment lines aside.
# A command goes on over the lines that end in \ and as many more as it
# takes to be complete to sh -n (a trailing |, an open quote).  Every command must exit 0;
# to show another status, an example says so itself
# (`cmd || echo "exit status $?"`).
#
# The commands of one file run one after the other, in one shell, in a
# fresh directory holding a copy of examples/, with the binaries first on
# PATH and no CRM_DB.  The exemptions below are commands that cannot run
# here; each one's file must say "not run by the tests: REASON)".
. "$TOP/tests/lib.sh"

# FILE|COMMAND PREFIX|REASON
exempt='README.md|make|they build and test the tree
man/crm.7|tail -F|tail -F never ends
man/crm.7|parallel --pipe|GNU parallel is an engine of its own
man/crm.7|0 2 * * *|a crontab line
man/crm.7|*/5 * * * *|a crontab line
man/crm.7|0 6 * * *|a crontab line
man/crm-journey.1|0 6 * * *|a crontab line
man/crm-report.1|0 6 * * *|a crontab line
man/crm-experiment.1|parallel --pipe|GNU parallel is an engine of its own
man/crm-intent.1|parallel --pipe|GNU parallel is an engine of its own
man/crm-tag.1|parallel --pipe|GNU parallel is an engine of its own
man/crm-route.1|tail -F|tail -F never ends'

ex_tmp=$(pwd)
cd "$t_tmp"
mkdir blocks

# blocks/N.FILE-LINE: one block per file, the roff escapes undone.
extract() {
	awk -v src="$1" -v out="$t_tmp/blocks" '
	function unroff(s) {
		gsub(/\\e/, "\001", s)
		gsub(/\\&/, "", s)
		gsub(/\\-/, "-", s)
		gsub(/\\\(aq/, "\047", s)
		gsub(/\\\(dq/, "\"", s)
		gsub(/\001/, "\\", s)
		return s
	}
	function open_block(line) {
		nb++
		f = sprintf("%s/%03d.%s", out, nb, line)
	}
	src ~ /\.md$/ {
		if (!inb && /^```/) { inb = 1; open_block(FNR + 1); next }
		if (inb && /^```/) { inb = 0; close(f); next }
		if (inb) print > f
		next
	}
	/^\.Sh / { ex = ($0 == ".Sh EXAMPLES"); next }
	!ex { next }
	/^\.Bd -literal/ { inb = 1; open_block(FNR + 1); next }
	inb && /^\.Ed/ { inb = 0; close(f); next }
	inb { print unroff($0) > f; next }
	/^\.Dl / { open_block(FNR); print unroff(substr($0, 5)) > f; close(f) }
	END { if (nb == 0) { print src ": no examples" > "/dev/stderr"; exit 1 } }
	' "$TOP/$1"
}

# is_exempt FILE CMD: print the reason when CMD is exempt.
is_exempt() {
	printf '%s\n' "$exempt" | while IFS='|' read -r f p why; do
		[ "$f" = "$1" ] || continue
		case $2 in "$p"*)
			echo "$f|$p" >>"$t_tmp/used"
			echo "$why"
			break
			;;
		esac
	done
}

# Split the blocks of one file into cmds/N (the command), cmds/N.want
# (its expected output, when the block shows it) and cmds/N.at.
split_blocks() {
	rm -rf cmds
	mkdir cmds
	n=0
	for b in blocks/*; do
		[ -f "$b" ] || continue
		at=${b##*.}
		prompt=0
		grep -q '^\$ ' "$b" && prompt=1
		acc= inout=0 ln=$((at - 1))
		while IFS= read -r line || [ -n "$line" ]; do
			ln=$((ln + 1))
			if [ -z "$acc" ]; then
				if [ $prompt = 1 ]; then
					case $line in
					'$ '*)
						line=${line#??}
						inout=0
						;;
					*)
						[ $inout = 1 ] &&
						    printf '%s\n' "$line" \
							>>"cmds/$n.want"
						continue
						;;
					esac
				else
					case ${line#"${line%%[! ]*}"} in
					'' | '#'*) continue ;;
					esac
				fi
				n=$((n + 1))
				echo "$ln" >"cmds/$n.at"
				acc=$line
			else
				acc="$acc
$line"
			fi
			case $line in *\\) continue ;; esac
			if sh -n -c "$acc" 2>/dev/null; then
				printf '%s\n' "$acc" >"cmds/$n"
				acc= inout=1
			fi
		done <"$b"
		if [ -n "$acc" ]; then
			printf '%s\n' "$acc" >"cmds/$n"
			echo "the command never ends" >"cmds/$n.bad"
		fi
	done
}

# says FILE TEXT: FILE has TEXT, perhaps over two lines.
says() {
	tr '\n' ' ' <"$1" | grep -qF "$2"
}

# want_match WANT GOT: the output as the example shows it.
want_match() {
	awk 'NR == FNR { w[++nw] = $0; next }
	{ g[++ng] = $0 }
	END {
		if (nw != ng) exit 1
		for (i = 1; i <= nw; i++) {
			x = w[i]
			if (x ~ /\.\.\.$/) {
				x = substr(x, 1, length(x) - 3)
				if (substr(g[i], 1, length(x)) != x) exit 1
			} else if (x != g[i])
				exit 1
		}
	}' "$1" "$2"
}

# T005_FILES: only these (while editing them).
for file in ${T005_FILES:-README.md man/crm.7 man/crm-store.5 \
    man/crm-ingest.1 man/crm-dedupe.1 man/crm-churn.1 man/crm-tag.1 \
    man/crm-intent.1 man/crm-mask.1 man/crm-profile.1 man/crm-recommend.1 \
    man/crm-report.1 \
    man/crm-route.1 man/crm-journey.1 man/crm-experiment.1}; do
	rm -rf blocks work
	mkdir blocks work
	if ! extract "$file"; then
		t_fail "$file: its examples"
		continue
	fi
	split_blocks
	cp -R "$TOP/examples/." work/
	# The script: each command in braces, its outputs and status kept.
	: >run.sh
	i=0
	while [ $i -lt $n ]; do
		i=$((i + 1))
		why=$(is_exempt "$file" "$(head -1 "cmds/$i")")
		if [ -n "$why" ]; then
			echo "$why" >"cmds/$i.skip"
			continue
		fi
		[ -f "cmds/$i.bad" ] && continue
		{
			echo "{"
			cat "cmds/$i"
			echo "} </dev/null >'$t_tmp/cmds/$i.out'" \
			    "2>'$t_tmp/cmds/$i.err'"
			echo "echo \$? >'$t_tmp/cmds/$i.rc'"
		} >one.sh
		# One command that does not parse must not stop the others.
		if sh -n one.sh 2>/dev/null; then
			cat one.sh >>run.sh
		else
			echo "does not parse" >"cmds/$i.bad"
		fi
	done
	(cd work && timeout 600 sh "$t_tmp/run.sh" </dev/null \
	    >/dev/null 2>&1) || true
	i=0
	while [ $i -lt $n ]; do
		i=$((i + 1))
		# (no backslashes: lib.sh prints names with echo)
		name="$file:$(cat "cmds/$i.at"): $(head -1 "cmds/$i" |
		    tr -d '\\' | cut -c1-60)"
		if [ -f "cmds/$i.skip" ]; then
			why=$(cat "cmds/$i.skip")
			t_n=$((t_n + 1))
			echo "ok $t_n - $name # SKIP $why"
			if ! says "$TOP/$file" "not run by the tests: $why)"; then
				t_fail "$file says why it is not run ($why)"
			fi
			continue
		fi
		if [ -f "cmds/$i.bad" ]; then
			t_fail "$name"
			echo "#   $(cat "cmds/$i.bad") (sh -n)"
			continue
		fi
		rc=$(cat "cmds/$i.rc" 2>/dev/null || echo "did not run")
		ok=1
		[ "$rc" = 0 ] || ok=0
		if [ -f "cmds/$i.want" ] &&
		    ! want_match "cmds/$i.want" "cmds/$i.out"; then
			ok=0
		fi
		if [ $ok = 1 ]; then
			t_pass "$name"
			continue
		fi
		t_fail "$name"
		sed 's/^/#   /' "cmds/$i"
		echo "#   exit status: $rc"
		if [ -f "cmds/$i.want" ]; then
			diff -u "cmds/$i.want" "cmds/$i.out" | head -20 |
			    sed 's/^/#   /' || true
		fi
		head -10 "cmds/$i.err" 2>/dev/null | sed 's/^/#   stderr: /' ||
		    true
	done
done

# Every exemption is still used, by an example whose file says why.
touch used
[ -n "${T005_FILES:-}" ] && exempt= # (only some files were run)
printf '%s\n' "$exempt" | while IFS='|' read -r f p why; do
	if [ -z "$f" ]; then
		continue
	elif ! grep -qxF "$f|$p" used; then
		echo "$f: no example starts with '$p'"
	elif ! says "$TOP/$f" "not run by the tests: $why)"; then
		echo "$f: does not say 'not run by the tests: $why)'"
	fi
done >stale
t_eq "every exemption names an example that says why" "" "$(cat stale)"
cd "$ex_tmp"
t_done
