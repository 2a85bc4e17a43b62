#!/bin/sh
# install.sh O DESTDIR PREFIX: install the built tree O (build/, say)
# under DESTDIR/PREFIX: the binaries, the manual pages (their paths under
# /usr/local/share rewritten to PREFIX's), bash completion, and
# share/crmkit: the rules and kb.csv for use, and examples/ whole (the
# files README.md and the EXAMPLES of the manual pages run on).  Called
# by make install; tests/cli/t106-install.sh runs it into a scratch
# directory.
set -eu
O=$1 DESTDIR=$2 PREFIX=$3
top=$(cd "$(dirname "$0")/.." && pwd)
root=$DESTDIR$PREFIX
share=$root/share/crmkit

install -d "$root/bin" "$share/rules" "$share/examples/rules" \
	"$root/share/bash-completion/completions"
for b in "$O"/bin/crm-*; do
	install -m 755 "$b" "$root/bin"
	install -m 644 "$O/completion/${b##*/}" \
		"$root/share/bash-completion/completions"
done
for m in "$top"/man/*.[1-9]; do
	s=${m##*.}
	install -d "$root/share/man/man$s"
	sed "s|/usr/local/share/|$PREFIX/share/|g" "$m" \
		> "$root/share/man/man$s/${m##*/}"
	chmod 644 "$root/share/man/man$s/${m##*/}"
done
install -m 644 "$top"/examples/rules/*.rules "$top"/examples/rules/*.review \
    "$share/rules"
install -m 644 "$top/examples/kb.csv" "$share/kb.csv"
for f in "$top"/examples/*; do
	[ -f "$f" ] && install -m 644 "$f" "$share/examples"
done
install -m 644 "$top"/examples/rules/*.rules "$top"/examples/rules/*.review \
    "$share/examples/rules"
