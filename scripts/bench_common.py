#!/usr/bin/python3
"""bench_common.py: what the Python sides of the peer benchmarks share.

Set NAME (the benchmark's name in messages) before calling progress().
Run as a script with --self-test, it checks check_figure() on figures that
agree and on figures that do not (tests/cli/t046-bench-selftest.sh).
"""

import contextlib
import io
import re
import sys

NAME = "bench"


def progress(msg):
    print(NAME + ": " + msg, file=sys.stderr, flush=True)


def die(msg):
    progress(msg)
    sys.exit(1)


def eval_figure(line, key, tool):
    """The text and the value of key=... on tool's eval line, and half a
    unit of its last printed digit (how far rounding may have moved it)."""
    m = re.search(r"(?:^|\s)" + key + r"=([0-9.eE+-]+)(?:\s|$)", line)
    if not m:
        die(f"no {key}= on the {tool} eval line: {line}")
    text = m.group(1)
    mantissa, _, exp = text.lower().partition("e")
    digits = len(mantissa.partition(".")[2])
    return text, float(text), 0.5 * 10.0 ** (int(exp or 0) - digits)


def check_figure(line, key, tool, mine, source, slack=0.0):
    """Return mine, a figure computed here from tool's own output (source
    says from what, e.g. "its lists give"), when it equals the figure key=
    on tool's eval line to the digits printed there, give or take slack
    (how far the output's own rounding may move mine: probabilities
    printed with six decimals); otherwise stop the benchmark (exit 1): a
    figure that the tool's own output does not bear out must not be
    reported.  A NaN on either side is a disagreement."""
    text, theirs, rounding = eval_figure(line, key, tool)
    if not abs(theirs - mine) <= max(1e-9, rounding) + slack:
        die(f"{tool} eval {key}={text}, but {source} {mine:.10f}: "
            f"crmkit's own figure disagrees with the independent "
            f"recomputation, so the benchmark stops")
    return mine


def self_test():
    """check_figure() on agreeing and altered figures; exit 1 on a
    failure.  Prints one line per case: "ok CASE: ..." or "FAIL CASE: ..."."""
    global NAME
    NAME = "bench-selftest"
    line = "n=100 accuracy=0.8731 macro_f1=0.86 auc=1.2e-03"
    # (case, key, value computed here, should it stop the benchmark?)
    cases = [
        ("equal", "accuracy", 0.8731, False),
        ("within rounding", "accuracy", 0.87314, False),
        ("within rounding, 2 digits", "macro_f1", 0.8551, False),
        ("exponent", "auc", 0.00124, False),
        ("altered by one unit", "accuracy", 0.8732, True),
        ("just past rounding", "accuracy", 0.87316, True),
        ("altered figure", "macro_f1", 0.91, True),
        ("exponent altered", "auc", 0.0013, True),
        ("not a number here", "accuracy", float("nan"), True),
        ("key missing", "recall", 0.5, True),
        ("within rounding and slack", "accuracy", 0.8731505, False, 1e-6),
        ("past rounding and slack", "accuracy", 0.873152, True, 1e-6),
    ]
    bad = 0
    for name, key, mine, want_stop, *slack in cases:
        err = io.StringIO()
        stopped, status = False, None
        with contextlib.redirect_stderr(err):
            try:
                got = check_figure(line, key, "crm-x", mine, "its output gives",
                                   *slack)
            except SystemExit as e:
                stopped, status = True, e.code
        msg = err.getvalue().strip()
        if want_stop:
            ok = stopped and status == 1 and msg.startswith(NAME + ": ")
        else:
            ok = not stopped and got == mine and msg == ""
        bad += not ok
        print(f"{'ok' if ok else 'FAIL'} {name}: {key} {mine!r} "
              f"{'stops' if stopped else 'passes'} (status {status})"
              + (f": {msg}" if msg else ""))
    sys.exit(1 if bad else 0)


def dispatch(argv, commands, doc):
    """Run the sub-command argv[1] from commands, a dict of name ->
    (function, number of arguments); print doc and exit 64 on anything
    else."""
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    fn, nargs = commands.get(cmd, (None, -1))
    if fn is None or len(args) != nargs:
        print(doc, file=sys.stderr)
        sys.exit(64)
    fn(*args)


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.dont_write_bytecode = True
        self_test()
    print("usage: bench_common.py --self-test", file=sys.stderr)
    sys.exit(64)
