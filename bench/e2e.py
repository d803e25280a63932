#!/usr/bin/env python3
"""End-to-end benchmark: what a durable 200 costs.

400-event EventList batches are POSTed one after the other over one mutual
TLS keep-alive connection (as kube-apiserver's webhook backend does) to a
private rsyslogd running the drop-in with the patched imhttp, the real
plugin (--max-eps 0: no pacing) and a counting stand-in analysisd.  Two
configurations, alternating round by round so that noise hits both alike:

  disk     the drop-in as shipped (QUEUE_SYNC=off): Disk ruleset queue,
           Direct action; a 200 is answered once the batch is written to
           the queue file (the kernel has it: survives rsyslogd's death)
  sync     the same with QUEUE_SYNC=on: answered once fdatasync'ed (a
           power cut too)
  memory   the drop-in before issue 13: in-memory ruleset queue, disk-
           assisted action queue (a 200 is answered from memory)

Reported per configuration (median round): events/s from the first POST to
the last event at the stand-in, POST latency p50/p99, the CPU seconds per
100k events of rsyslogd and of the plugin (user+system, /proc, over the
timed posts), and fsync+fdatasync calls of rsyslogd per batch (a separate,
untimed pass under strace -c -f).

`--before BINARY` adds a configuration `disk (before)`: the drop-in as
shipped with an older build of the plugin, in the same alternation (given
again, `disk (before 2)` and so on: BINARY may be a script that runs the
plugin with other options, e.g. `exec PLUGIN "$@" --accept-sync on`).
`--imhttp-before SO` adds `disk (old imhttp)`: the drop-in as shipped with
another build of imhttp.so (e.g. one built from an older
contrib/imhttp/imhttp-k8s.patch with build-imhttp.sh -c DIR -o DIR).
`--stages` samples rsyslogd with `perf record` during the first round's
posts of `disk` (and of `disk (old imhttp)`) and prints where its CPU time goes: the civetweb worker
(TLS: libssl/libcrypto; imhttp's body handling: imhttp.so; the queue
file's write: its kernel time) and the queue worker (the Disk queue's
read-back and deserialisation: rsyslogd's own code; the file read and the
omprog pipe: its kernel time).

Run as root, the plugin is given --allow-root (as the e2e tests do): it
would otherwise drop to a user that cannot reach the stand-in's socket in
this root-only temp dir.  A configuration where no event arrives stops the
bench with an error instead of reporting a figure.

    python3 bench/e2e.py --builddir _build [--batches 200] [--rounds 3]
        [--before OLD/plugin/wazuh-k8s-audit] [--imhttp-before OLD/imhttp.so]
        [--stages]
"""
import argparse
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# The in-memory receive path of the drop-in before issue 13, applied to the
# rendered drop-in as substitutions (so both runs share everything else).
MEMORY_RULESET = ('queue.type="LinkedList" queue.size="64" '
                  'queue.filename="wazuh-k8s-audit-in" '
                  'queue.spoolDirectory="{lib}/queue" '
                  'queue.saveOnShutdown="on" queue.timeoutEnqueue="3600000")')
MEMORY_ACTION = ('queue.type="LinkedList" queue.filename="wazuh-k8s-audit" '
                 'queue.spoolDirectory="{lib}/queue" '
                 'queue.saveOnShutdown="on" queue.dequeueBatchSize="1" '
                 'queue.size="200" queue.highWatermark="20" '
                 'queue.lowWatermark="10" queue.maxDiskSpace="1g" '
                 'queue.maxFileSize="64m" queue.checkpointInterval="1" '
                 'queue.timeoutEnqueue="3600000" queue.workerThreads="1"')


def make_memory(dropin, lib):
    text = open(dropin).read()
    start = text.index('ruleset(name="wazuh-k8s-audit"')
    head_end = text.index(") {", start)
    text = (text[:start] + 'ruleset(name="wazuh-k8s-audit"\n        ' +
            MEMORY_RULESET.format(lib=lib) + text[head_end + 1:])
    text = text.replace('queue.type="Direct"', MEMORY_ACTION.format(lib=lib),
                        1)
    with open(dropin, "w") as f:
        f.write(text)


class Counter(threading.Thread):
    """The stand-in analysisd: counts datagrams, notes when it reached a
    target."""

    def __init__(self, path):
        super().__init__(daemon=True)
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(path)
        self.n = 0
        self.target = None
        self.reached = threading.Event()
        self.when = None

    def run(self):
        buf = bytearray(1 << 17)
        while True:
            self.sock.recv_into(buf)
            self.n += 1
            if self.target is not None and self.n >= self.target and \
                    not self.reached.is_set():
                self.when = time.perf_counter()
                self.reached.set()

    def expect(self, target):
        self.reached.clear()
        self.when = None
        self.target = target
        if self.n >= target:
            self.when = time.perf_counter()
            self.reached.set()

    def quiet(self, secs=0.5, timeout=60):
        end = time.time() + timeout
        last = -1
        while time.time() < end and self.n != last:
            last = self.n
            time.sleep(secs)
        return self.n


class Client:
    def __init__(self, port, certs):
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        ctx.load_cert_chain(os.path.join(certs, "client.crt"),
                            os.path.join(certs, "client.key"))
        self.conn = http.client.HTTPSConnection("127.0.0.1", port,
                                                context=ctx, timeout=60)

    def post(self, body):
        self.conn.request("POST", "/k8s-audit", body,
                          {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit("POST answered %d" % r.status)

    def close(self):
        self.conn.close()


def plugin_args():
    """PLUGIN_ARGS for the drop-in: no pacing, no stats; stay root if root."""
    return ("PLUGIN_ARGS=--stats-interval 0 --max-eps 0" +
            (" --allow-root" if os.geteuid() == 0 else ""))


def cpu_seconds(pid):
    """user+system CPU seconds of pid (all its threads), from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """PIDs of pid's children (of every thread: omprog forks from a worker)."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def cpu_sample(rs_pid):
    """(rsyslogd's CPU s, its children's (the plugin's) CPU s) now."""
    kids = 0.0
    for c in children(rs_pid):
        try:
            kids += cpu_seconds(c)
        except OSError:
            pass
    return cpu_seconds(rs_pid), kids


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def strace_fsyncs(pid, fn):
    """fsync + fdatasync calls of pid (all threads) while fn() runs."""
    out = tempfile.mktemp(prefix="wka-strace-")
    st = subprocess.Popen(["strace", "-f", "-c", "-e",
                           "trace=fsync,fdatasync", "-p", str(pid),
                           "-o", out], stderr=subprocess.DEVNULL)
    time.sleep(1.0)                 # attached to every thread
    fn()
    time.sleep(1.0)
    st.send_signal(signal.SIGINT)
    st.wait()
    calls = 0
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?"
                         r"(fsync|fdatasync)\s*$", line)
            if m:
                calls += int(m.group(1))
    os.unlink(out)
    return calls


def perf_stages(data):
    """Shares of rsyslogd's samples in `data`, by thread and object."""
    out = subprocess.run(["perf", "report", "-i", data, "--no-children",
                          "-g", "none", "--sort", "comm,dso", "--stdio"],
                         capture_output=True, text=True).stdout
    shares = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)", line)
        if m:
            thread = ("queue worker" if m.group(2).startswith("rs:")
                      else m.group(2))
            shares[thread + " " + m.group(3)] = float(m.group(1))
    return shares


def drop_unknown_options(dropin, plugin):
    """The drop-in passes options (--accept-ahead, --accept-sync) an older
    plugin (--before) does not know: leave them out for it."""
    helptext = subprocess.run([plugin, "--help"], capture_output=True,
                              text=True).stdout
    if "--accept-sync" in helptext:
        return
    with open(dropin) as f:
        text = f.read()
    with open(dropin, "w") as f:
        f.write(re.sub(r" --accept-(ahead|sync) (on|off)", "", text))


def run_config(name, env, so, certs, bodies, per_batch, strace,
               stages=False):
    wd = tempfile.mkdtemp(prefix="wka-bench-e2e-")
    sock = os.path.join(wd, "queue")
    counter = Counter(sock)
    counter.start()
    plugin = env["before"].get(name, env["plugin"])
    if name == "disk (old imhttp)":
        so = env["imhttp_before"]
    rs = env["e2e"].Rsyslog(wd, so, plugin, sock, certs,
                            settings=[plugin_args(),
                                      "QUEUE_SYNC=" +
                                      ("on" if name == "sync" else "off")])
    if name == "memory":
        make_memory(rs.dropin, rs.lib_dir)
    drop_unknown_options(rs.dropin, plugin)
    rs.start()
    cl = Client(rs.port, certs)
    try:
        for b in bodies[:5]:            # warm-up: TLS, plugin start
            cl.post(b)
        counter.expect(5 * per_batch)
        if not counter.reached.wait(120):
            raise SystemExit("%s: warm-up: only %d of %d events arrived" %
                             (name, counter.n, 5 * per_batch))
        counter.quiet()
        base = counter.n
        counter.expect(base + len(bodies) * per_batch)
        lat = []
        if stages:
            data = os.path.join(wd, "perf.data")
            rec = subprocess.Popen(["perf", "record", "-F", "999", "-p",
                                    str(rs.proc.pid), "-o", data],
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            time.sleep(1.0)             # attached to every thread
        cpu0 = cpu_sample(rs.proc.pid)
        t0 = time.perf_counter()
        for b in bodies:
            s = time.perf_counter()
            cl.post(b)
            lat.append(time.perf_counter() - s)
        posted = time.perf_counter() - t0
        if not counter.reached.wait(300):
            raise SystemExit("%s: only %d of %d events arrived" %
                             (name, counter.n - base, len(bodies) * per_batch))
        total = counter.when - t0
        cpu1 = cpu_sample(rs.proc.pid)
        if stages:
            rec.send_signal(signal.SIGINT)
            rec.wait()
        per100k = 1e5 / (len(bodies) * per_batch)
        res = {"eps": len(bodies) * per_batch / total,
               "cpu_rsyslogd": (cpu1[0] - cpu0[0]) * per100k,
               "cpu_plugin": (cpu1[1] - cpu0[1]) * per100k,
               "post_s": posted, "p50": pct(lat, 50) * 1000,
               "p99": pct(lat, 99) * 1000}
        if stages:
            res["stages"] = perf_stages(data)
        if strace and shutil.which("strace"):
            n = 20
            res["fsyncs"] = strace_fsyncs(
                rs.proc.pid, lambda: [cl.post(b) for b in bodies[:n]]) / n
        return res
    finally:
        cl.close()
        rs.stop()
        subprocess.run(["rm", "-rf", wd])


def before_name(i):
    """The configuration of the i-th --before binary."""
    return "disk (before)" if i == 0 else "disk (before %d)" % (i + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.path.join(TOP, "_build"))
    ap.add_argument("--corpus",
                    default=os.path.join(TOP, "tests", "corpus", "k8s-audit"))
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--per", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", action="append", default=[],
                    help="an older plugin binary, run as `disk (before)` in "
                    "the same alternation (repeatable: `disk (before 2)`...)")
    ap.add_argument("--imhttp-before", help="an older imhttp.so, run as "
                    "`disk (old imhttp)` in the same alternation")
    ap.add_argument("--stages", action="store_true",
                    help="perf record rsyslogd in the first disk round (and "
                    "the first disk (old imhttp) round)")
    args = ap.parse_args()
    if args.stages and shutil.which("perf") is None:
        raise SystemExit("--stages needs perf (linux-perf)")

    builddir = os.path.abspath(args.builddir)
    os.environ.setdefault("TOP_SRCDIR", TOP)
    os.environ.setdefault("TOP_BUILDDIR", builddir)
    os.environ.setdefault("CORPUS", os.path.abspath(args.corpus))
    sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    import e2e
    import harness
    plugin = os.path.join(builddir, "plugin", "wazuh-k8s-audit")
    so, why = e2e.build_imhttp()
    if so is None:
        raise SystemExit("imhttp: %s" % why)
    certs = e2e.make_certs(tempfile.mkdtemp(prefix="wka-bench-certs-"))
    atexit.register(shutil.rmtree, certs, True)

    pool = [ev for _s, ev in harness.corpus_events()
            if len(harness.compact(ev).encode()) < 48000]
    # the same 400 events in every batch (each its own auditIDs), so that
    # every batch becomes as many datagrams as the first
    base = (pool * (args.per // len(pool) + 1))[:args.per]
    bodies = [harness.compact(harness.eventlist(
        e2e.tag_events(base, "bench%d" % i))).encode()
        for i in range(args.batches)]
    env = {"e2e": e2e, "plugin": plugin,
           "before": {before_name(i): os.path.abspath(b)
                      for i, b in enumerate(args.before)},
           "imhttp_before": (os.path.abspath(args.imhttp_before)
                             if args.imhttp_before else None)}

    # events each batch becomes (shaping filters some): measured, not assumed
    per_batch = measure_per_batch(env, so, certs, bodies[0])

    names = tuple(before_name(i) for i in range(len(args.before))) + \
        (("disk (old imhttp)",) if args.imhttp_before else ()) + \
        ("disk", "sync", "memory")
    sampled = ("disk", "disk (old imhttp)")
    results = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names:
            results[name].append(run_config(
                name, env, so, certs, bodies, per_batch, strace=(r == 0),
                stages=args.stages and r == 0 and name in sampled))
    mb = sum(len(b) for b in bodies) / len(bodies) / 1e6
    print("| %d batches x %d events (%.2f MB each), %d rounds | events/s | "
          "POST p50 | POST p99 | CPU s per 100k events: rsyslogd + plugin | "
          "fsync+fdatasync per batch |" %
          (args.batches, args.per, mb, args.rounds))
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        rs = sorted(results[name], key=lambda x: x["eps"])
        med = rs[len(rs) // 2]
        fs = results[name][0].get("fsyncs")
        print("| %s | %.0f | %.1f ms | %.1f ms | %.2f + %.2f = %.2f | %s |" %
              (name, med["eps"], med["p50"], med["p99"],
               med["cpu_rsyslogd"], med["cpu_plugin"],
               med["cpu_rsyslogd"] + med["cpu_plugin"],
               "n/a (no strace)" if fs is None else "%.1f" % fs))
    for name in (n for n in sampled if args.stages and n in results):
        print("\nrsyslogd's CPU samples during the first %s round's posts "
              "(perf record -F 999), by thread and object:" % name)
        for k, v in sorted(results[name][0]["stages"].items(),
                           key=lambda kv: -kv[1]):
            print("  %5.1f %%  %s" % (v, k))
    print(json.dumps(results))


def measure_per_batch(env, so, certs, body):
    wd = tempfile.mkdtemp(prefix="wka-bench-e2e-")
    sock = os.path.join(wd, "queue")
    counter = Counter(sock)
    counter.start()
    rs = env["e2e"].Rsyslog(wd, so, env["plugin"], sock, certs,
                            settings=[plugin_args()])
    rs.start()
    cl = Client(rs.port, certs)
    try:
        cl.post(body)
        counter.quiet(1.0)
        if counter.n == 0:
            log = os.path.join(rs.log_dir, "plugin.log")
            tail = open(log).read()[-2000:] if os.path.exists(log) else ""
            raise SystemExit("no event of a batch reached the stand-in; "
                             "the plugin's log ends:\n" + tail)
        return counter.n
    finally:
        cl.close()
        rs.stop()
        subprocess.run(["rm", "-rf", wd])


if __name__ == "__main__":
    main()
