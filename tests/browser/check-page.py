#!/usr/bin/python3
"""check-page.py HTML PNG NAME [TABLE:COLUMN]: open HTML in headless
Chromium, offline, and print what a reader of crm-report's page gets (the
browser test, t131).

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ended by NUL on file descriptors
3 and 4), so no port is opened and no client library is needed.  The
script loads the page, waits until its script has settled every chart
(<body data-charts="done">, lib/report_page.js), and prints, one fact a
line, in a fixed order so that the test compares them exactly:

    console errors: N       console.error, uncaught exceptions, and the
                            browser's own errors (a failed load, ...)
    console warnings: N     console.warn and the browser's warnings
    requests: file N, other N   what the page fetched (other: the network)
    chart ID: rows N (K without a value), marks N   per chart: its
                            table's rows in the DOM, those with a null
                            in a number or date it plots (Vega-Lite
                            leaves them out), and the marks Vega drew
                            (data-marks)
    charts drawn N, failed N
    cells reading NAME: N   table cells whose text is NAME (argv[3])
    chart labels reading NAME: N   SVG text elements whose text is NAME
    elements <b>: N, scripts: N
    TABLE by column N ascending: A | B | ...  with TABLE:N, the first
    TABLE by column N descending: ...         column of table TABLE after
                                              a click on heading N (from
                                              1), then after a second

then each error or warning's text on a line of its own after "# ", and
writes a screenshot of the whole page to PNG.  It exits 1 when a chart
drew no mark, or not one for each row with a value, or the page had an
error, whatever the expected output says.  CHROMIUM (environment)
names the browser (chromium); the run stops after TIMEOUT seconds (60).
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, exe, profile):
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        # Above 3 and 4, so that dup2 in the child makes new descriptors.
        to_r_hi = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
        from_w_hi = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
        os.close(to_r)
        os.close(from_w)

        def child():
            os.dup2(to_r_hi, 3)
            os.dup2(from_w_hi, 4)

        args = [exe, "--headless", "--disable-gpu",
                "--remote-debugging-pipe", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-breakpad",
                "--hide-scrollbars", "--user-data-dir=" + profile,
                "--window-size=1280,900"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses root without
        args.append("about:blank")
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="disabled:")
        self.log = open(os.path.join(profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=self.log, preexec_fn=child, pass_fds=(3, 4), env=env)
        os.close(to_r_hi)
        os.close(from_w_hi)
        self.w, self.r = to_w, from_r
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method,
               "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.w, data):]
        return self.next_id

    def read(self, deadline):
        """The next message, or None once deadline has passed."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                return None
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise SystemExit("check-page: chromium exited")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, deadline, method, params=None, session=None):
        """Send a command and wait for its answer; keep the events."""
        want = self.send(method, params, session)
        while True:
            msg = self.read(deadline)
            if msg is None:
                raise SystemExit("check-page: no answer to " + method)
            if msg.get("id") == want:
                if "error" in msg:
                    raise SystemExit("check-page: %s: %s" %
                                     (method, msg["error"]))
                return msg["result"]
            if "method" in msg:
                self.events.append(msg)

    def close(self):
        try:
            self.send("Browser.close")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# What the page's script wrote and what a reader sees, read in the page.
FACTS = """(function (name) {
  function rows(id) {
    var a = document.getElementById('t-' + id);
    return a ? a.querySelectorAll('table tbody tr').length : -1;
  }
  // Per table id: its rows with no value in a field the chart plots as
  // a number or a date, which Vega-Lite leaves out (no bar for a mean of
  // nothing); every other row must be a mark.
  var blank = {};
  JSON.parse(document.getElementById('crm-report-data').textContent)
      .sections.forEach(function (s) { s.tables.forEach(function (t) {
    if (t.chart === null)
      return;
    var plotted = [t.chart.x, t.chart.y, t.chart.color].map(function (n) {
      for (var j = 0; j < t.columns.length; j++)
        if (t.columns[j].name === n && t.columns[j].type !== 'text')
          return j;
      return -1;
    }).filter(function (j) { return j >= 0; });
    blank[t.id] = t.rows.filter(function (r) {
      return plotted.some(function (j) { return r[j] === null; });
    }).length;
  }); });
  var charts = Array.prototype.map.call(
      document.querySelectorAll('div.chart'), function (el) {
    var id = el.id.replace(/^c-/, '');
    return { id: id, rows: rows(id), blank: blank[id] || 0,
             marks: el.getAttribute('data-marks'),
             error: el.getAttribute('data-error') };
  });
  function reading(sel) {
    return Array.prototype.filter.call(document.querySelectorAll(sel),
        function (e) { return e.textContent === name; }).length;
  }
  return JSON.stringify({
    charts: charts,
    drawn: document.body.getAttribute('data-drawn'),
    failed: document.body.getAttribute('data-failed'),
    cells: reading('td'), labels: reading('svg text'),
    b: document.getElementsByTagName('b').length,
    scripts: document.scripts.length });
})(%s)"""


# Click heading col of table id, then read its first column.
SORT = """(function (id, col) {
  var t = document.querySelector('#t-' + id + ' table');
  t.tHead.rows[0].cells[col - 1].querySelector('button').click();
  return Array.prototype.map.call(t.tBodies[0].rows, function (tr) {
    return tr.cells[0].textContent; }).join(' | ');
})(%s, %d)"""


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: check-page.py HTML PNG NAME [TABLE:COLUMN]")
    html, png, name = sys.argv[1:4]
    sort = sys.argv[4].rsplit(":", 1) if len(sys.argv) == 5 else None
    sorted_by = []
    timeout = float(os.environ.get("TIMEOUT", "60"))
    deadline = time.monotonic() + timeout
    exe = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if exe is None:
        sys.exit("check-page: no chromium (scripts/install-deps.sh)")
    profile = tempfile.mkdtemp(prefix="check-page.")
    b = Browser(exe, profile)
    try:
        target = b.call(deadline, "Target.createTarget",
                        {"url": "about:blank"})["targetId"]
        s = b.call(deadline, "Target.attachToTarget",
                   {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            b.call(deadline, domain + ".enable", session=s)
        b.call(deadline, "Emulation.setDeviceMetricsOverride",
               {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                "mobile": False}, session=s)
        b.call(deadline, "Page.navigate",
               {"url": "file://" + os.path.abspath(html)}, session=s)
        state = None
        while state != "done":
            if time.monotonic() > deadline:
                sys.exit("check-page: the charts did not settle in %gs"
                         % timeout)
            time.sleep(0.1)
            state = b.call(deadline, "Runtime.evaluate", {
                "expression": "document.body && "
                              "document.body.getAttribute('data-charts')",
                "returnByValue": True}, session=s)["result"].get("value")
        facts = json.loads(b.call(deadline, "Runtime.evaluate", {
            "expression": FACTS % json.dumps(name),
            "returnByValue": True}, session=s)["result"]["value"])
        for order in ("ascending", "descending") if sort else ():
            sorted_by.append("%s by column %s %s: %s" % (
                sort[0], sort[1], order, b.call(deadline, "Runtime.evaluate", {
                    "expression": SORT % (json.dumps(sort[0]), int(sort[1])),
                    "returnByValue": True}, session=s)["result"]["value"]))
        size = b.call(deadline, "Page.getLayoutMetrics",
                      session=s)["cssContentSize"]
        shot = b.call(deadline, "Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"],
                     "height": min(size["height"], 16000), "scale": 1}},
            session=s)
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        # Messages that came after the last answer.
        while True:
            msg = b.read(time.monotonic() + 0.2)
            if msg is None:
                break
            if "method" in msg:
                b.events.append(msg)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)

    errors, warnings, files, other = [], [], 0, 0
    for ev in b.events:
        m, p = ev["method"], ev.get("params", {})
        if m == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in p.get("args", []))
            if p["type"] in ("error", "assert"):
                errors.append("console." + p["type"] + ": " + text)
            elif p["type"] == "warning":
                warnings.append("console.warn: " + text)
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            errors.append("exception: " + d.get("exception", {}).get(
                "description", d.get("text", "")))
        elif m == "Log.entryAdded":
            e = p["entry"]
            if e["level"] == "error":
                errors.append("log: " + e["text"])
            elif e["level"] == "warning":
                warnings.append("log: " + e["text"])
        elif m == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if url.startswith(("file:", "data:", "about:")):
                files += 1
            else:
                other += 1
                errors.append("network: " + url)
    print("console errors: %d" % len(errors))
    print("console warnings: %d" % len(warnings))
    print("requests: file %d, other %d" % (files, other))
    wrong = []
    for c in facts["charts"]:
        print("chart %s: rows %d%s, marks %s%s" % (
            c["id"], c["rows"],
            " (%d without a value)" % c["blank"] if c["blank"] else "",
            c["marks"], ", error " + c["error"] if c["error"] else ""))
        if c["marks"] in (None, "0") or \
                int(c["marks"]) != c["rows"] - c["blank"]:
            wrong.append(c["id"])
    print("charts drawn %s, failed %s" % (facts["drawn"], facts["failed"]))
    print("cells reading %s: %d" % (name, facts["cells"]))
    print("chart labels reading %s: %d" % (name, facts["labels"]))
    print("elements <b>: %d, scripts: %d" % (facts["b"], facts["scripts"]))
    for line in sorted_by:
        print(line)
    for line in errors + warnings:
        print("# " + line.replace("\n", " "))
    if wrong:
        print("# charts without a mark for each row with a value: " +
              " ".join(wrong))
    # A chart with no mark, or not one a row, fails whatever is expected.
    sys.exit(1 if wrong or errors else 0)


if __name__ == "__main__":
    main()
