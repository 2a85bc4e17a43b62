# t131-report-browser: crm-report's HTML in a browser.  A report with a
# chart of every mark (bar, line, heatmap, stacked), CJK text, a
# customer named "</script><b>x" and a flag that is an <img> tag, written
# by crm_report_html (test_report_html --write), is opened offline by
# headless Chromium, driven over the DevTools protocol on a pipe
# (tests/browser/check-page.py): no console error or warning, no request
# but the file itself, every chart drawn with as many marks as its table
# has rows, the hostile name shown as text in its cell and its chart, a
# click on a heading sorting numbers as numbers (3 before 45 before
# 1,200), a second click the other way; a screenshot of the whole page is
# written to BUILD/report.png.
. "$TOP/tests/lib.sh"
t_use report-browser

o=$(dirname "$BIN")
png=$o/report.png
rm -f "$png"
t_ok "the sample report's HTML" "$o/tests/test_report_html" \
    --write report.html
t_run page 0 -- /usr/bin/python3 "$TOP/tests/browser/check-page.py" \
    report.html "$png" '</script><b>x' customers-by-country:2
t_eq "a screenshot in $(basename "$o")/report.png" \
    "89504e470d0a1a0a" "$(od -An -tx1 -N8 "$png" 2>/dev/null | tr -d ' \n')"
t_done
