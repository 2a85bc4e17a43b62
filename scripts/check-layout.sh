#!/bin/sh
# check-layout.sh: the shape of the tree (README.md, "How the code is
# laid out"), checked by `make check`:
#   - cmd/*.c are option tables and wiring: no sqlite3_* call, no
#     crm_store_db(), no SQL text, and none over 500 lines;
#   - lib/ never ends the process or prints to standard output: no exit,
#     crm_die, crm_usage_error, crm_bad_option, printf, puts or putchar,
#     except in lib/cli.c, the one place lib errors become exits (and the
#     end of lib/msvm.c's forked workers, which are not the process);
#   - no banned call in cmd/ or lib/ (STYLE: strcpy, strcat,
#     sprintf, vsprintf, strtok, atoi, atof, gets, gmtime, localtime; the
#     bounded and _r forms instead).
# Prints what it finds and exits 1, or prints one line and exits 0.
cd "$(dirname "$0")/.." || exit 2
bad=0

hits=$(grep -n -E 'sqlite3_|crm_store_db' cmd/*.c)
if [ -n "$hits" ]; then
	echo "check-layout: SQLite called from cmd/ (move it to its lib owner):"
	echo "$hits"
	bad=1
fi
# SQL in a string literal: an upper-case SQL keyword inside quotes.
hits=$(grep -n -E '"[^"]*\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK|REPLACE INTO)\b' cmd/*.c)
if [ -n "$hits" ]; then
	echo "check-layout: SQL text in cmd/:"
	echo "$hits"
	bad=1
fi
for f in cmd/*.c; do
	n=$(wc -l <"$f")
	if [ "$n" -gt 500 ]; then
		echo "check-layout: $f has $n lines (at most 500: its pipeline belongs in lib/)"
		bad=1
	fi
done
hits=$(grep -n -E '(^|[^a-z_])(exit|_exit|crm_die|crm_usage_error|crm_bad_option|printf|puts|putchar)[[:space:]]*\(|fprintf[[:space:]]*\([[:space:]]*stdout|(fwrite|fputs|fputc|putc)[[:space:]]*\([^;]*stdout' \
    $(ls lib/*.c | grep -v '^lib/cli\.c$') | grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*)' |
    grep -v -E '^lib/msvm\.c:[0-9]+:[[:space:]]*_exit\(worker\(')
if [ -n "$hits" ]; then
	echo "check-layout: lib/ exits or prints to stdout (return a struct crm_err):"
	echo "$hits"
	bad=1
fi
hits=$(grep -n -E '(^|[^a-z_.>])(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atof|gets|gmtime|localtime)[[:space:]]*\(' \
    cmd/*.c lib/*.c lib/*.h |
    grep -v -E '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*)')
if [ -n "$hits" ]; then
	echo "check-layout: banned calls (../shared/STYLE.md):"
	echo "$hits"
	bad=1
fi
[ "$bad" = 0 ] && echo "check-layout: cmd/ is wiring only, lib/ neither exits nor prints, no banned calls"
exit "$bad"
