#!/bin/sh
# shard-run.sh: run a crmkit filter over N shards of JSON Lines input with
# GNU parallel, the engine of crm(7)'s "Scaling out": cut standard input,
# run the command once per shard, gather the shards' outputs on standard
# output.
#
#   scripts/shard-run.sh [-j N] [-b SIZE] [-k FIELD] [-S HOSTS] -- CMD [ARG ...]
#
# -j N      shards run at once (default: the cores, nproc)
# -b SIZE   the size of a shard's block of input (parallel --block; 32M
#           from a pipe, a block a shard from a file)
# -k FIELD  keyed: every record with one value of FIELD goes to one shard,
#           in input order (for the modes crm(7) calls keyed, such as
#           crm-route's bursts by -k customer_id); without it the input is
#           cut anywhere between lines and the output keeps input order
# -S HOSTS  run the shards on other machines (parallel -S; the command
#           and its files must be there)
#
# CMD's arguments are parallel's: {#} in one is the shard's number, for a
# file each shard writes (--rejects rejects-{#}.csv: one name for all
# would keep the last shard's alone), and {}, {1} and the like are
# replaced too.
#
# Standard input that is a file not yet read from is read in place
# (parallel --pipepart), several times faster than through a pipe
# (--pipe), which parallel copies line by line.
#
# The input must be JSON Lines, one record a line: CSV with a newline
# inside a quoted field cannot be cut at lines.  Keyed mode reads FIELD of
# each record with a regular expression: a string or a bare value of a
# flat record, as crmkit writes them.  It sorts the records by key (a
# stable sort: a key's records keep their order) and hands whole groups
# of one key to a shard (parallel --group-by), so its output comes key by
# key, not in input order.  Each shard writes its own summary line on
# standard error.  The exit status is the highest of the shards'
# (65 when some shard rejected a record, say; 65, not 66, when a shard
# accepted none of its records but another did), 64 for a usage error.
set -eu

usage() {
	echo "usage: shard-run.sh [-j N] [-b SIZE] [-k FIELD] [-S HOSTS]" \
		"-- CMD [ARG ...]" >&2
	exit 64
}

jobs=$(nproc) block= key= hosts=
while getopts j:b:k:S: c; do
	case $c in
	j) jobs=$OPTARG ;;
	b) block=$OPTARG ;;
	k) key=$OPTARG ;;
	S) hosts=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || usage
command -v parallel >/dev/null || {
	echo "shard-run.sh: GNU parallel is not installed" >&2
	exit 69
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# the file on standard input, if it is one read from its start (Linux's
# /proc: --pipepart reads the file by name, from byte 0)
file=$(readlink "/proc/$$/fd/0" 2>/dev/null) || file=
[ -n "$file" ] && [ -f "$file" ] &&
	grep -qx 'pos:[[:space:]]*0' "/proc/$$/fdinfo/0" 2>/dev/null || file=
if [ -z "$key" ] && [ -n "$file" ]; then
	# -k: the shards' outputs in the order of their blocks
	parallel --pipepart -a "$file" -j "$jobs" --block "${block:--1}" \
		--joblog "$log" ${hosts:+-S "$hosts"} -k -q "$@"
elif [ -z "$key" ]; then
	parallel --pipe -j "$jobs" --block "${block:-32M}" --joblog "$log" \
		${hosts:+-S "$hosts"} -k -q "$@"
else
	# the key, a tab, the record; sorted by key alone (-s keeps a key's
	# records in input order); each shard drops the key again.  A string
	# is its value, escapes decoded as the tools decode them ("\u0043" is
	# "C"), then a backslash, tab or line end in it escaped again
	KEY=$key perl -MJSON::PP -ne '
		BEGIN { $f = quotemeta $ENV{KEY}; $j = JSON::PP->new->utf8->allow_nonref }
		$k = /"$f"\s*:\s*("(?:[^"\\]|\\.)*"|[^\s,}]*)/ ? $1 : "";
		if ($k =~ /^"/) {
			$k = $k =~ /\\/ ? eval { $j->decode($k) } // $k
				: substr($k, 1, -1);
			utf8::encode($k) if utf8::is_utf8($k);
			$k =~ s/([\\\t\r\n])/sprintf "\\x%02x", ord $1/ge;
		}
		print "$k\t$_"' |
		sort -s -t "$(printf '\t')" -k 1,1 |
		parallel --pipe -j "$jobs" --block "${block:-32M}" --joblog "$log" \
			${hosts:+-S "$hosts"} -k --group-by 1 --colsep '\t' \
			-q sh -c 'cut -f 2- | "$@"' sh "$@"
fi
rc=$?
set -e
# the shards' exit statuses as one process's (parallel's own counts
# failures): the highest, but 66 of a shard that accepted none of its
# records is 65 when another shard accepted some (crm(7), exit status)
worst=$(awk -F '\t' 'NR > 1 {
	if ($7 == 0 || $7 == 65) some = 1
	if ($7 > w) w = $7 }
	END { print (w == 66 && some ? 65 : w + 0) }' "$log")
[ "$worst" -gt 0 ] && exit "$worst"
exit "$rc"
