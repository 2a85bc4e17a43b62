# crm-ingest --input-format jsonl on every JSONTestSuite parsing file
# (testdata/ingest/jsontestsuite, from nst/JSONTestSuite): never a crash
# or a hang, n_ files rejected with a file:line message, y_ files that are
# a JSON object accepted, other y_ files rejected as "record is not a JSON
# object" (a JSONL record is an object).  i_ files may go either way.
#
# A JSON array of objects is read as a stream of its elements, so the
# two y_ files that are an empty array are an empty stream too: exit 0
# and no output.
#
# A JSONL file is a stream of records, so a file with no JSON text at all
# (empty, white space, a lone byte-order mark) is an empty stream: exit 0
# and no output, though JSONTestSuite's n_ files of that kind are invalid
# as one JSON text.  Two y_ objects have member names no store column can
# have (empty, NUL): they are accepted like the others, and a store would
# keep those fields in the table's _extra JSON.
. "$TOP/tests/lib.sh"
t_use ingest

dir=in/jsontestsuite

# Files with no JSON text: an empty JSONL stream.
no_data=" n_single_space.json n_structure_UTF8_BOM_no_data.json \
n_structure_no_data.json "
empty_array=" y_array_empty.json y_structure_whitespace_array.json "

# has_msg FILE: does $err hold a line "crm-ingest: FILE:LINE: ..."?
has_msg() {
	while IFS= read -r l; do
		case $l in
		"crm-ingest: $1:"[0-9]*": "?*) return 0 ;;
		esac
	done <"$err"
	return 1
}

# first_byte FILE: the first byte that is not JSON white space.
first_byte() {
	LC_ALL=C tr -d ' \t\r\n' <"$1" | dd bs=1 count=1 2>/dev/null
}

# Run crm-ingest on every file, in a few lanes at once (each run under
# ASan costs tens of milliseconds, mostly start-up): res/NAME.{rc,out,err}.
lanes=4
mkdir res
i=0
for path in "$T_DATA"/jsontestsuite/*.json; do
	echo "${path##*/}" >>"lane.$((i % lanes))"
	i=$((i + 1))
done
run_lane() {
	while IFS= read -r base; do
		set +e
		timeout 10 crm-ingest -q --table docs --input-format jsonl \
		    "$dir/$base" >"res/$base.out" 2>"res/$base.err"
		echo "$?" >"res/$base.rc"
		set -e
	done <"$1"
}
i=0
while [ "$i" -lt "$lanes" ]; do
	run_lane "lane.$i" &
	i=$((i + 1))
done
wait

total=0
crashed=0 crash_list=
n_total=0 n_rej=0 n_list=
e_total=0 e_ok=0 e_list=
a_total=0 a_ok=0 a_list=
y_obj=0 y_obj_ok=0 y_obj_list=
y_other=0 y_other_ok=0 y_other_list=
rt_ok=0 rt_list=
i_total=0 i_ok=0 i_list=

for path in "$T_DATA"/jsontestsuite/*.json; do
	base=${path##*/}
	f=$dir/$base
	out=res/$base.out
	err=res/$base.err
	total=$((total + 1))
	rc=missing
	[ -f "res/$base.rc" ] && read -r rc <"res/$base.rc"
	case $rc in
	0 | 65 | 66) ;;
	*)
		crashed=$((crashed + 1))
		crash_list="$crash_list $base(exit $rc)"
		;;
	esac
	case $base in
	n_*)
		case $no_data in
		*" $base "*)
			e_total=$((e_total + 1))
			if [ "$rc" = 0 ] && [ ! -s "$out" ] && [ ! -s "$err" ]; then
				e_ok=$((e_ok + 1))
			else
				e_list="$e_list $base(exit $rc)"
			fi
			continue
			;;
		esac
		n_total=$((n_total + 1))
		# 65: an array's elements before the fault were read
		# ([{} unclosed), the fault rejected as a record of its own
		if { [ "$rc" = 66 ] || [ "$rc" = 65 ]; } && has_msg "$f"; then
			n_rej=$((n_rej + 1))
		else
			n_list="$n_list $base(exit $rc)"
		fi
		;;
	y_*)
		case $empty_array in
		*" $base "*)
			a_total=$((a_total + 1))
			if [ "$rc" = 0 ] && [ ! -s "$out" ] && [ ! -s "$err" ]; then
				a_ok=$((a_ok + 1))
			else
				a_list="$a_list $base(exit $rc)"
			fi
			continue
			;;
		esac
		if [ "$(first_byte "$path")" = "{" ]; then
			y_obj=$((y_obj + 1))
			if [ "$rc" = 0 ] && [ ! -s "$err" ] &&
			    [ "$(wc -l <"$out" | tr -d ' ')" = 1 ]; then
				y_obj_ok=$((y_obj_ok + 1))
			else
				y_obj_list="$y_obj_list $base(exit $rc: $(head -n 1 "$err"))"
				continue
			fi
			# The record written reads back as itself.
			if crm-ingest -q --table docs --input-format jsonl \
			    "$out" >again 2>/dev/null && cmp -s "$out" again; then
				rt_ok=$((rt_ok + 1))
			else
				rt_list="$rt_list $base"
			fi
		else
			y_other=$((y_other + 1))
			if [ "$rc" = 66 ] && has_msg "$f" &&
			    grep -q "record is not a JSON object" "$err"; then
				y_other_ok=$((y_other_ok + 1))
			else
				y_other_list="$y_other_list $base(exit $rc)"
			fi
		fi
		;;
	i_*)
		i_total=$((i_total + 1))
		if [ "$rc" = 0 ] || has_msg "$f"; then
			i_ok=$((i_ok + 1))
		else
			i_list="$i_list $base(exit $rc)"
		fi
		;;
	esac
done

t_eq "JSONTestSuite: test_parsing files" 318 "$total"
t_eq "no crash or hang (exit 0, or 65/66: records rejected, within 10 s)" \
    "318 of 318" "$((total - crashed)) of $total$crash_list"
t_eq "n_ files rejected with a file:line message" \
    "185 of 185" "$n_rej of $n_total$n_list"
t_eq "n_ files with no JSON text: empty stream, exit 0, no output" \
    "3 of 3" "$e_ok of $e_total$e_list"
t_eq "y_ objects accepted" "12 of 12" "$y_obj_ok of $y_obj$y_obj_list"
t_eq "y_ objects written read back unchanged" \
    "12 of 12" "$rt_ok of $y_obj_ok$rt_list"
t_eq "y_ empty arrays: empty stream, exit 0, no output" \
    "2 of 2" "$a_ok of $a_total$a_list"
t_eq "y_ non-objects rejected: record is not a JSON object" \
    "81 of 81" "$y_other_ok of $y_other$y_other_list"
t_eq "i_ files accepted, or rejected with a file:line message" \
    "35 of 35" "$i_ok of $i_total$i_list"

t_done
