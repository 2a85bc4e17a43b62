# Input as users have it (issue 16): the encodings, delimiters and JSON
# arrays that spreadsheets, databases and other tools write, each read as
# it is or refused with a message that names what was seen and the
# option that fixes it.  The files and how they were made:
# testdata/ingest/README.
. "$TOP/tests/lib.sh"
t_use ingest

# Encodings: GB18030 guessed (and said), UTF-16 by its byte-order mark
# (an Excel "Unicode text" file is UTF-16LE and tab-separated), Latin-1
# refused with the hint, then read with --encoding.
t_run in-gbk 0 -- crm-ingest in/gbk.csv
t_run in-gbk-given 0 -- crm-ingest --encoding GBK in/gbk.csv
t_run in-utf16le 0 -- crm-ingest in/utf16le.txt
t_run in-utf16be 0 -- crm-ingest in/utf16be.csv
t_run in-utf16-nobom 66 -- crm-ingest in/utf16le-nobom.csv
t_run in-latin1 66 -- crm-ingest in/latin1.csv
t_run in-latin1-given 0 -- crm-ingest --encoding latin1 in/latin1.csv
t_run in-gbk-stdin 0 --stdin in/gbk.csv -- crm-ingest -q

# The GB18030 guess needs both judges (lib/sniff.c): the shape of Chinese
# text, and uchardet naming GB18030.  Longer Chinese text is read; one
# pair of accented cp1252 letters (F6 DF, "Gößmann") is no Chinese word;
# Japanese, Korean and Big5 are refused with uchardet's name for them,
# and each name it gives reads the file; one short Chinese row is too
# little for uchardet and is refused, GB18030 named first.
t_run in-gbk-reviews 0 -- crm-ingest in/gbk-reviews.csv
t_run in-gbk-one 66 -- crm-ingest in/gbk-one.csv
t_run in-gbk-one-given 0 -- crm-ingest --encoding GB18030 in/gbk-one.csv
t_run in-gossmann 66 -- crm-ingest in/gossmann.csv
t_run in-cp1252 66 -- crm-ingest in/cp1252.csv
t_run in-cp1252-given 0 -- crm-ingest --encoding WINDOWS-1252 in/cp1252.csv
t_run in-eucjp-kanji 66 -- crm-ingest in/eucjp-kanji.csv
t_run in-eucjp-kanji-given 0 -- crm-ingest --encoding EUC-JP \
    in/eucjp-kanji.csv
t_run in-eucjp-kana 66 -- crm-ingest in/eucjp-kana.csv
t_run in-euckr 66 -- crm-ingest in/euckr.csv
t_run in-euckr-given 0 -- crm-ingest --encoding UHC in/euckr.csv
t_run in-big5 66 -- crm-ingest in/big5.csv
t_run in-big5-given 0 -- crm-ingest --encoding BIG5 in/big5.csv
t_run in-encoding-unknown 64 -- crm-ingest --encoding klingon in/gbk.csv

# A bad byte after the first 64 KiB (what the guess looks at) rejects its
# record, at its line, in the encoding the file was read in.
awk 'BEGIN { print "customer_id,name,email,city"
	for (i = 1; i <= 2500; i++)
		printf "G%d,张伟,zw%d@example.com,北京\n", i, i }' |
    iconv -f UTF-8 -t GBK >late.csv
printf 'G9999,\377,x@example.com,x\n' >>late.csv
printf 'G10000,王芳,wf@example.cn,上海\n' | iconv -f UTF-8 -t GBK >>late.csv
set +e
crm-ingest late.csv >late.out 2>late.err
rc=$?
set -e
t_eq "GBK: a bad byte past the window: exit status" 65 "$rc"
t_eq "GBK: a bad byte past the window: the guess, then its line and byte" \
    "crm-ingest: late.csv: not UTF-8; read as GB18030 (Chinese text); give --encoding to say otherwise
crm-ingest: late.csv:2502: field 'name': invalid GB18030 at byte 1 (0xFF); give --encoding NAME if the file is not GB18030
crm-ingest: read 2502, written 2501, rejected 1" "$(cat late.err)"
t_eq "GBK: a bad byte past the window: the rest read" 2502 \
    "$(wc -l <late.out | tr -d ' ')"

# Delimiters: sniffed from the header and the first lines, or given.
t_run in-semicolon 0 -- crm-ingest in/semicolon.csv
t_run in-semicolon-given 0 -- crm-ingest --delimiter ';' in/semicolon.csv
t_run in-pipe 0 -- crm-ingest in/pipe.txt
t_run in-pipe-given 0 -- crm-ingest --delimiter '|' in/pipe.txt
t_run in-comma-semi 0 -- crm-ingest in/comma-semi.csv
t_run in-ambiguous 0 -- crm-ingest in/ambiguous.csv
t_run in-ambiguous-given 0 -- crm-ingest --delimiter '|' --table people \
    in/ambiguous.csv
t_run in-delimiter-bad 64 -- crm-ingest --delimiter : in/pipe.txt
t_run in-delimiter-tsv 64 -- crm-ingest --input-format tsv \
    --delimiter ';' in/semicolon.csv
t_run in-delimiter-tab 0 -- crm-ingest --input-format csv --delimiter tab \
    in/utf16le.txt

# JSON arrays: sqlite3 -json's, minified on one line, pretty-printed; a
# bad element, a missing ',' or ']' and trailing text name their lines.
t_run in-array-sqlite 0 -- crm-ingest in/array-sqlite.json
t_run in-array-min 0 -- crm-ingest --output-format csv in/array-min.json
t_run in-array-pretty 0 -- crm-ingest in/array-pretty.json
t_run in-array-bad 65 -- crm-ingest --rejects rej.csv in/array-bad.json
t_run in-array-bad-rejects 0 -- cat rej.csv
t_run in-array-junk 65 -- crm-ingest in/array-junk.json
# A pretty-printed array's nested value: its line breaks dropped, so each
# record is one line in every output format.
t_run in-array-nested 0 -- crm-ingest in/array-nested.json
t_run in-array-nested-csv 0 -- crm-ingest --output-format csv \
    in/array-nested.json

# A long array on one line is read element by element (test_read.c
# shows one longer than the record limit read whole).
awk 'BEGIN { printf "["
	for (i = 1; i <= 4000; i++)
		printf "%s{\"customer_id\":\"K%d\",\"note\":\"%0500d\"}",
		    (i > 1 ? "," : ""), i, 0
	printf "]" }' >long.json
crm-ingest -q --output-format jsonl long.json >long.out
t_eq "a 2 MB array on one line: every element" 4000 \
    "$(wc -l <long.out | tr -d ' ')"
t_eq "a 2 MB array on one line: the last one" K4000 \
    "$(tail -n 1 long.out | sed 's/.*"customer_id":"\([^"]*\)".*/\1/')"

t_done
