# crm-ingest reads every csv-spectrum case (testdata/ingest/csv-spectrum,
# from max-mapper/csv-spectrum) to exactly the records of its expected
# JSON: quoted commas, escaped quotes, embedded LF and CRLF, CRLF line
# ends, empty fields, UTF-8.  Every field is --type raw, so that the
# values come out exactly as parsed, and the output is JSONL, so that the
# comparison is byte for byte with expected/NAME.jsonl (made once from
# json/NAME.json by gen-expected.py; see the README there).
. "$TOP/tests/lib.sh"
t_use ingest

sp=in/csv-spectrum

# spectrum NAME: crm-ingest csvs/NAME.csv must exit 0, say nothing on
# stderr, and write exactly expected/NAME.jsonl.
spectrum() {
	name=$1
	csv=$sp/csvs/$name.csv
	# One --type NAME=raw per header field (these headers are plain:
	# no quotes, no commas inside names).
	set --
	hdr=$(head -n 1 "$csv" | tr -d '\r')
	while [ -n "$hdr" ]; do
		field=${hdr%%,*}
		set -- "$@" --type "$field=raw"
		case $hdr in
		*,*) hdr=${hdr#*,} ;;
		*) hdr= ;;
		esac
	done
	set +e
	crm-ingest -q --table spectrum "$@" --output-format jsonl "$csv" \
	    >"$name.out" 2>"$name.err"
	rc=$?
	set -e
	if [ "$rc" = 0 ] && [ ! -s "$name.err" ] &&
	    cmp -s "$sp/expected/$name.jsonl" "$name.out"; then
		t_pass "csv-spectrum $name"
		return 0
	fi
	t_fail "csv-spectrum $name"
	printf '#   command: crm-ingest -q --table spectrum'
	printf " '%s'" "$@"
	printf ' --output-format jsonl %s\n' "$csv"
	echo "#   exit status: want 0, got $rc"
	sed 's/^/#   stderr: /' "$name.err"
	diff -u "$sp/expected/$name.jsonl" "$name.out" | sed 's/^/#   /' || true
}

n=0
for csv in "$T_DATA"/csv-spectrum/csvs/*.csv; do
	spectrum "$(basename "$csv" .csv)"
	n=$((n + 1))
done
t_eq "csv-spectrum: all 12 cases were run" 12 "$n"

t_done
