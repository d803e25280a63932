#!/usr/bin/env python3
"""Benchmark: the plugin's cost on hostile lines against the corpus mix.

Each worst case of issue 12 grows one dimension of a real event (a cluster
role binding from the corpus) at two sizes, 4x apart: top-level members,
keys of a body, nesting depth (past the 64 levels the plugin builds),
string escapes, numbers jansson cannot hold, damaged events in a batch,
a line of control characters; and (issue 21) a batch of items that are
not events, each set aside, and events with damaged metadata.  The plugin reads each line as omprog hands
it over (line, then wait for the answer); the median of the runs gives MB/s
of input, compared with the corpus mix's MB/s (mkbatches.py).  Linear cost
means MB/s that does not fall as the size grows, and within 2x of the mix.
Damaged events come with their undamaged twins: per byte, small events cost
more than the mix's (4.5 kB on average) whatever their damage.

Issue 21 added what redaction can be made to do per byte (ConfigMap
`password=` lines and credential keys, credential-named env variables,
exec `--password=` arguments, `\\u`-escaped body keys) and the plugin's peak
RSS per case.  `--before BINARY` measures an older build beside this one,
case by case in the same run, each against its own mix.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def base_event(corpus):
    with open(os.path.join(corpus, "falco-create_clusterrolebinding.json"),
              encoding="utf-8-sig") as f:
        ev = json.load(f)
    ev["requestObject"]["roleRef"]["name"] = "cluster-admin"
    return ev


def compact(v):
    return json.dumps(v, separators=(",", ":")).encode()


def with_body(ev, body_bytes):
    """The event with its requestObject's text replaced by body_bytes."""
    ev = dict(ev, requestObject="__BODY__")
    return compact(ev).replace(b'"__BODY__"', body_bytes, 1)


def cases(ev):
    """(name, size, line) for each worst case at two sizes."""
    out = []
    for n in (50000, 200000):
        out.append(("top-level members", n, compact(ev)[:-1] + b"".join(
            b',"k%d":%d' % (i, i) for i in range(n)) + b"}"))
    for n in (50000, 200000):
        out.append(("body keys", n, with_body(ev, b"{" + b",".join(
            b'"k%d":%d' % (i, i) for i in range(n)) + b"}")))
    for n in (100000, 400000):
        out.append(("nesting depth", n, with_body(ev, b"[" * n + b"]" * n)))
    for n in (200000, 800000):
        out.append(("escapes", n, with_body(ev, b'{"s":"' +
                                             b"\\u0041" * n + b'"}')))
    for n in (50000, 200000):
        out.append(("unholdable numbers", n, with_body(ev, b"[" + b",".join(
            [b"1e999"] * n) + b"]")))
    # Damaged events are small: their undamaged twins, of the same size,
    # show what any event of that size costs.
    for name, body in (("damaged events", b'{"s":"\\ud800","n":1e999}'),
                       ("  the same, undamaged", b'{"s":"\\u0041","n":1e99}')):
        for n in (100, 400):
            items = []
            for i in range(n):
                e = dict(ev, auditID="d-%d" % i)
                items.append(with_body(e, body))
            out.append((name, n,
                        b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1",'
                        b'"items":[' + b",".join(items) + b"]}"))
    # Issue 21: damage in the metadata (user.extra, an annotation), which
    # the reference path took a jansson tree of the whole event for.
    for name, bad in (("damaged metadata", b'"\\ud800"'),
                      ("  the same, metadata undamaged", b'"\\u0041"')):
        for n in (100, 400):
            items = []
            for i in range(n):
                e = dict(ev, auditID="m-%d" % i,
                         user=dict(ev["user"], extra={"scopes": ["__BAD__"]}),
                         annotations={"a": "__BAD__"})
                items.append(compact(e).replace(b'"__BAD__"', bad))
            out.append((name, n,
                        b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1",'
                        b'"items":[' + b",".join(items) + b"]}"))
    for n in (2 << 20, 8 << 20):
        out.append(("control characters", n, b"\x01" * n))
    # Items that are not events, each set aside on its own (issue 21): the
    # reject file is synced once per line, not once per item.  The long
    # lines show the scanner's memory: bounded, not a record per item.
    for n in (5000, 20000, 2 << 20, 8 << 20):
        out.append(("set-aside items [1,...]", n,
                    b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1",'
                    b'"items":[' + b",".join([b"1"] * n) + b"]}"))
    return out + redaction_cases(ev)


def on(ev, resource, uri, sub=None):
    """The event made a request on `resource` (and `sub`) at `uri`."""
    ref = {"resource": resource, "namespace": "default", "name": "x",
           "apiVersion": "v1"}
    if sub:
        ref["subresource"] = sub
    return dict(ev, objectRef=ref, requestURI=uri)


def redaction_cases(ev):
    """Issue 21, class 4: what redaction may be made to do, per byte."""
    out = []
    cm = on(ev, "configmaps", "/api/v1/namespaces/default/configmaps")
    for n in (30000, 120000):
        out.append(("ConfigMap password= lines", n, with_body(cm, compact({
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "x"},
            "data": {"app.conf": "".join("password=p%d\n" % i
                                         for i in range(n))}}))))
    for n in (30000, 120000):
        out.append(("ConfigMap credential keys", n, with_body(cm, compact({
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "x"},
            "data": {"DB_PASSWORD_%d" % i: "p%d" % i for i in range(n)}}))))
    pod = on(ev, "pods", "/api/v1/namespaces/default/pods")
    for n in (20000, 80000):
        out.append(("credential-named env vars", n, with_body(pod, compact({
            "kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "c", "image": "i", "env": [
                {"name": "DB_PASSWORD_%d" % i, "value": "p%d" % i}
                for i in range(n)]}]}}))))
    for n in (20000, 80000):
        uri = ("/api/v1/namespaces/default/pods/x/exec?container=c&" +
               "&".join("command=--password%%3Dp%d" % i for i in range(n)))
        out.append(("exec --password= args", n, compact(
            on(ev, "pods", uri, sub="exec"))))
    for n in (3 << 20, 12 << 20):
        # Keys spelled with \u escapes, about n bytes of them.
        key = b"\\u0061" * 8
        k = n // (len(key) + 8)
        out.append(("\\u-escaped body keys", n, with_body(ev, b"{" + b",".join(
            b'"' + key + b'%d":1' % i for i in range(k)) + b"}")))
    return out


def start(builddir, work, counter, plugin=None):
    sock = os.path.join(work, "queue")
    rx = subprocess.Popen([counter, sock], stdout=subprocess.PIPE, text=True)
    rx.stdout.readline()
    # As root the plugin would drop to a user that cannot use this work
    # directory: stay root (still confined by Landlock/seccomp).
    root = ["--allow-root"] if os.geteuid() == 0 else []
    proc = subprocess.Popen(
        [plugin or os.path.join(builddir, "plugin", "wazuh-k8s-audit"),
         "--max-eps", "0", "--stats-interval", "0",
         "--reject-file", os.path.join(work, "rej.jsonl"),
         "--spool-dir", os.path.join(work, "spool"),
         "--key-file", os.path.join(work, "key"),
         "--state-file", os.path.join(work, "state"), "--socket", sock]
        + root,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL)
    assert proc.stdout.readline().strip() == b"OK"
    return proc, rx


def peak_rss_reset(proc):
    """The plugin's peak RSS in MB so far; then start a new peak."""
    with open("/proc/%d/status" % proc.pid) as f:
        kb = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    with open("/proc/%d/clear_refs" % proc.pid, "w") as f:
        f.write("5")
    return kb / 1024


def timed(proc, lines):
    """Seconds to have every line answered, and the bytes sent."""
    nbytes = 0
    t0 = time.perf_counter()
    for line in lines:
        proc.stdin.write(line + b"\n")
        proc.stdin.flush()
        nbytes += len(line)
        ans = proc.stdout.readline().strip().lstrip(b".")
        if ans != b"OK":
            raise SystemExit("unexpected answer %r" % ans)
    return time.perf_counter() - t0, nbytes


def median(xs):
    return sorted(xs)[len(xs) // 2]


class Subject:
    """One plugin binary under test, with its own work directory."""

    def __init__(self, builddir, work, counter, plugin):
        os.mkdir(work)
        self.proc, self.rx = start(builddir, work, counter, plugin)
        self.ref = None

    def mix(self, lines, runs):
        """The corpus mix's MB/s (median of `runs`), the reference."""
        ts = [timed(self.proc, lines) for _ in range(runs)]
        wall, nbytes = median([r[0] for r in ts]), ts[0][1]
        self.ref = nbytes / wall / 1e6
        return wall, nbytes, peak_rss_reset(self.proc)

    def case(self, line, runs):
        """(seconds, MB/s, x mix, peak RSS MB) of one worst case."""
        t = median([timed(self.proc, [line])[0] for _ in range(runs)])
        mbs = len(line) / t / 1e6
        return t, mbs, mbs / self.ref, peak_rss_reset(self.proc)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait()
        self.rx.terminate()
        self.rx.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--events", type=int, default=20000,
                    help="events of the corpus mix measured for reference")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="",
                    help="only the worst cases whose names start so "
                    "(prefixes separated by commas)")
    ap.add_argument("--before", help="another binary (an older build) "
                    "measured beside the build's, case by case, in the "
                    "same run")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    counter = os.path.join(a.builddir, "bench", "counter")
    work = tempfile.mkdtemp(prefix="wka-hostile-")
    subjects = []
    try:
        mix = os.path.join(work, "corpus.jsonl")
        subprocess.run([sys.executable, os.path.join(here, "mkbatches.py"),
                        "--corpus", a.corpus, "--mix", "corpus",
                        "--events", str(a.events), mix], check=True)
        with open(mix, "rb") as f:
            mix_lines = [x.rstrip(b"\n") for x in f]
        names = (["before"] if a.before else []) + ["now"]
        for i, binary in enumerate(([a.before] if a.before else []) + [None]):
            subjects.append(Subject(a.builddir, os.path.join(work, str(i)),
                                    counter, binary))
        for name, sub in zip(names, subjects):
            wall, nbytes, rss = sub.mix(mix_lines, a.runs)
            print("%s: corpus mix: %d events, %.1f MB, %.2f s: %.1f MB/s "
                  "(median of %d), peak RSS %.0f MB" % (
                      name, a.events, nbytes / 1e6, wall, sub.ref, a.runs,
                      rss))
        # "x mix": MB/s over the mix's; 0.33 is 3x its time per MB.
        cols = "".join(" %s: MB/s | %s: x mix | %s: peak RSS MB |" % (
            (n,) * 3) for n in names)
        print("\n| worst case | size | line MB |" + cols)
        print("|---|---:|---:|" + "---:|---:|---:|" * len(names))
        for name, size, line in cases(base_event(a.corpus)):
            if not any(name.startswith(p) for p in a.only.split(",")):
                continue
            row = "| %s | %d | %.2f |" % (name, size, len(line) / 1e6)
            for sub in subjects:
                _, mbs, ratio, rss = sub.case(line, a.runs)
                row += " %.1f | %.2f | %.0f |" % (mbs, ratio, rss)
            print(row)
            sys.stdout.flush()
    finally:
        for sub in subjects:
            sub.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
