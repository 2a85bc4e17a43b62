"""bench_common.py: what the Python sides of the peer benchmarks share.

Set NAME (the benchmark's name in messages) before calling progress().
"""

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
