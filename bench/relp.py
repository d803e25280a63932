#!/usr/bin/env python3
"""RELP benchmark: audit log file on a node -> datagrams at the stand-in.

The node: a private rsyslogd with the rendered node drop-in (imfile, Disk
queue, wazuh-k8s-audit-forward sending RELP over TLS with a node
certificate). The manager: a private
rsyslogd with the rendered manager drop-in (imrelp over TLS, its ruleset
Direct: a frame is answered once the real plugin, --max-eps 0, delivered
its event) into a counting stand-in analysisd.
N events of the real kube-apiserver mix (shared/real-apiserver beside the
clone, else the corpus) are appended to the audit log at full speed;
reported: events/s from the first line written to the last datagram, and
the CPU seconds per 100k events of the node's rsyslogd and forwarder, the
manager's rsyslogd and the plugin. Beside it, in the same run, the webhook path's
figure (bench/e2e.py's "disk" configuration: 400-event batches over one
mutual-TLS keep-alive connection) with the same events.

    python3 bench/relp.py --builddir _build [--events 50000] [--rounds 3]

With --outage SECONDS (`make soak-relp`: 120 s), the manager's outage
instead: events appended at --rate events/s for --before s, while the
manager is away (stopped; killed -9 with --kill) for SECONDS, and --after
s once it is back; then, when all arrived (or none came for 30 s), each
event's deliveries counted: lost, duplicates (RELP sends again what the
manager had not acknowledged: at most the node's window, 512, per broken
connection), how long the node's backlog took to drain, its peak size on
disk.

    python3 bench/relp.py --builddir _build --outage 120 [--rate 1000]
"""
import argparse
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time

import rig


def run_relp(env, so, certs, lines, copies, per_copy):
    """One round: events/s and CPU s per 100k events of the node's rsyslogd
    and forwarder, the manager's rsyslogd and its plugin."""
    be, e2e, tr = env["bench"], env["e2e"], env["relp"]
    wd = tempfile.mkdtemp(prefix="wka-bench-relp-")
    counter = be.Counter(os.path.join(wd, "queue"))
    counter.start()
    port = e2e.free_port()
    m = e2e.Rsyslog(os.path.join(wd, "m"), so, env["plugin"],
                    os.path.join(wd, "queue"), certs, settings=[be.plugin_args(),
                                     "RELP_LISTEN=127.0.0.1",
                                     "RELP_CLUSTERS=bench:%d" % port])
    logs = os.path.join(wd, "audit")
    os.makedirs(logs)
    node = tr.Node(os.path.join(wd, "node"), certs, "bench", "cp-1", logs,
                   "localhost:%d" % port)
    try:
        m.start()
        if not e2e.wait_port(port):
            raise SystemExit("no RELP listener: " + m.internal_log())
        node.start()
        path = os.path.join(logs, "audit.log")
        with open(path, "ab") as f:            # warm-up: TLS, plugin start
            f.write(b"\n".join(e2e.tagged(lines, "warm", 200)) + b"\n")
        counter.expect(1)
        if not counter.reached.wait(60):
            raise SystemExit("relp: warm-up: nothing arrived\n" +
                             node.internal_log() + m.internal_log())
        counter.quiet(1.0)
        base = counter.n
        target = base + copies * per_copy
        counter.expect(target)
        data = [b"\n".join(e2e.tagged(lines, "b%d" % c, len(lines))) + b"\n"
                for c in range(copies)]
        n0, f0 = be.cpu_sample(node.proc.pid)
        m0, p0 = be.cpu_sample(m.proc.pid)
        t0 = time.perf_counter()
        with open(path, "ab") as f:
            for chunk in data:
                f.write(chunk)
        if not counter.reached.wait(600):
            raise SystemExit("relp: only %d of %d events arrived" %
                             (counter.n - base, target - base))
        total = counter.when - t0
        n1, f1 = be.cpu_sample(node.proc.pid)
        m1, p1 = be.cpu_sample(m.proc.pid)
        per100k = 1e5 / (target - base)
        return {"eps": (target - base) / total,
                "cpu_node": (n1 - n0) * per100k,
                "cpu_forward": (f1 - f0) * per100k,
                "cpu_manager": (m1 - m0) * per100k,
                "cpu_plugin": (p1 - p0) * per100k}
    finally:
        node.stop()
        m.stop()
        subprocess.run(["rm", "-rf", wd])


class IdCounter(threading.Thread):
    """The stand-in analysisd of the outage run: deliveries of each event
    prefix-N (N < n), read from the datagram's auditID."""

    def __init__(self, path, prefix, n):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(path)
        self.pat = re.compile(rb'"auditID":"' + prefix.encode() +
                              rb'-([0-9]+)"')
        self.counts = bytearray(n)      # deliveries, up to 255
        self.total = 0                  # datagrams
        self.last = time.time()         # when the last one came

    def run(self):
        buf = bytearray(1 << 17)
        while True:
            k = self.sock.recv_into(buf)
            self.total += 1
            self.last = time.time()
            m = self.pat.search(buf, 0, k)
            if m and int(m.group(1)) < len(self.counts):
                i = int(m.group(1))
                self.counts[i] = min(255, self.counts[i] + 1)

    def delivered(self):
        return len(self.counts) - self.counts.count(0)


def du(path):
    """Bytes of the files under path."""
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _, fs in os.walk(path) for f in fs
               if os.path.exists(os.path.join(d, f)))


def run_outage(env, so, certs, lines, args):
    """The manager away args.outage seconds while the node's audit log
    grows at args.rate events/s: a dict of what happened."""
    e2e, tr = env["e2e"], env["relp"]
    wd = tempfile.mkdtemp(prefix="wka-soak-relp-")
    n = int(args.rate * (args.before + args.outage + args.after))
    recv = IdCounter(os.path.join(wd, "queue"), "soak", n)
    recv.start()
    port = e2e.free_port()
    m = e2e.Rsyslog(os.path.join(wd, "m"), so, env["plugin"],
                    os.path.join(wd, "queue"), certs,
                    settings=[env["bench"].plugin_args(),
                              "RELP_LISTEN=127.0.0.1",
                              "RELP_CLUSTERS=bench:%d" % port])
    logs = os.path.join(wd, "audit")
    node = tr.Node(os.path.join(wd, "node"), certs, "bench", "cp-1", logs,
                   "localhost:%d" % port)
    # room for the whole outage's events (the default 256m would make
    # imfile wait: a test of a full queue, not of an outage)
    node.render("QUEUE_MAX_DISK=%dm" % max(256, n * 8 // 1000))
    # kube-apiserver's --audit-log-maxsize is in MB (100 is common)
    tr.ROTATE_AT = 100 << 20
    log = tr.AuditLog(logs)
    out = {"events": n, "rate": args.rate, "outage_s": args.outage,
           "how": "kill -9" if args.kill else "stop"}
    try:
        m.start()
        if not e2e.wait_port(port):
            raise SystemExit("no RELP listener: " + m.internal_log())
        node.start()
        t0 = time.time()
        written = [0]

        def write():
            per_tick = max(1, args.rate // 100)
            for i in range(0, n, per_tick):
                due = t0 + i / args.rate
                if due > time.time():
                    time.sleep(due - time.time())
                # tagged as e2e.tagged does, a tick at a time (all of
                # them at once would take GBs)
                log.write([e2e.AID.sub(b'"auditID":"soak-%d"' % j,
                                       lines[j % len(lines)], count=1)
                           for j in range(i, min(n, i + per_tick))])
                written[0] = min(n, i + per_tick)
        wr = threading.Thread(target=write)
        wr.start()
        time.sleep(args.before)
        out["delivered_before"] = recv.delivered()
        if args.kill:
            m.crash()
        else:
            m.stop()
        down = time.time()
        peak = 0
        while time.time() < down + args.outage:
            peak = max(peak, du(os.path.join(node.wd, "queue")))
            time.sleep(1)
        out["delivered_while_away"] = recv.delivered() - \
            out["delivered_before"]
        m.start()
        back = time.time()
        if not e2e.wait_port(port):
            raise SystemExit("no RELP listener: " + m.internal_log())
        # drained: delivered caught up with what was written (within
        # half a second of writing); the rest waited for until all came
        # or none for 30 s since the return
        backlog = written[0] - recv.delivered()
        drained = None
        while recv.delivered() < n and \
                time.time() - max(recv.last, back) < 30:
            if drained is None and \
                    recv.delivered() >= written[0] - args.rate // 2:
                drained = time.time() - back
            time.sleep(0.2)
        wr.join()
        out["ran_s"] = round(time.time() - t0, 1)
        out["node_queue_peak_mb"] = round(peak / 1e6, 1)
        out["backlog_at_return"] = backlog
        out["backlog_drained_s"] = None if drained is None else \
            round(drained, 1)
        time.sleep(2)       # late duplicates
        lost = [i for i in range(n) if recv.counts[i] == 0]
        out["lost"] = len(lost)
        out["lost_first"] = ["soak-%d" % i for i in lost[:10]]
        out["duplicates"] = sum(c - 1 for c in recv.counts if c > 1)
        if lost:
            out["node_log"] = node.internal_log()[-1500:]
            out["manager_log"] = m.internal_log()[-1500:]
        return out
    finally:
        node.stop()
        m.stop()
        subprocess.run(["rm", "-rf", wd])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.path.join(rig.TOP, "_build"))
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--outage", type=int, default=0,
                    help="seconds the manager is away (the outage run)")
    ap.add_argument("--rate", type=int, default=1000,
                    help="outage run: events/s appended")
    ap.add_argument("--before", type=int, default=20,
                    help="outage run: seconds before the outage")
    ap.add_argument("--after", type=int, default=20,
                    help="outage run: seconds of writing after it")
    ap.add_argument("--kill", action="store_true",
                    help="outage run: kill -9 the manager, not stop it")
    args = ap.parse_args()
    builddir = os.path.abspath(args.builddir)
    e2e, be, so, certs = rig.setup(builddir)
    import harness
    tr = rig.load("test_relp", os.path.join(rig.TOP, "tests", "e2e",
                                            "test_relp.py"))
    plugin = os.path.join(builddir, "plugin", "wazuh-k8s-audit")
    # the node drop-in's program, from this build (not from $PLUGIN)
    tr.FORWARDER = os.path.join(builddir, "plugin", "wazuh-k8s-audit-forward")
    # "before": bench/e2e.py's other plugin builds per configuration: none
    env = {"e2e": e2e, "plugin": plugin, "bench": be, "relp": tr,
           "before": {}}
    lines, origin = e2e.real_lines()
    if args.outage:
        r = run_outage(env, so, certs, lines, args)
        print("events: %s; manager %s for %d s, %d events/s appended "
              "throughout" % (origin, "killed -9 and away" if args.kill
                              else "stopped", args.outage, args.rate))
        print("| events | lost | duplicates | node queue peak | backlog "
              "at return | drained after |")
        print("|---:|---:|---:|---:|---:|---:|")
        print("| %d | %d | %d | %.0f MB | %d | %s |" % (
            r["events"], r["lost"], r["duplicates"],
            r["node_queue_peak_mb"], r["backlog_at_return"],
            "never" if r["backlog_drained_s"] is None else
            "%.0f s" % r["backlog_drained_s"]))
        print(json.dumps(r))
        raise SystemExit(1 if r["lost"] else 0)
    copies = max(1, args.events // len(lines))

    # events one copy of the lines becomes at the stand-in (shaping may
    # filter some): measured through the webhook path, not assumed
    evs = [json.loads(l) for l in lines]
    per = 400
    body_of = [harness.compact(harness.eventlist(
        e2e.tag_events(evs[i:i + per], "w%d" % i))).encode()
        for i in range(0, len(evs), per)]
    per_copy = sum(be.measure_per_batch(env, so, certs, b) for b in body_of)
    bodies = [harness.compact(harness.eventlist(e2e.tag_events(
        evs[i:i + per], "c%d-%d" % (c, i)))).encode()
        for c in range(copies) for i in range(0, len(evs), per)]

    relp, hook = [], []
    for _ in range(args.rounds):
        relp.append(run_relp(env, so, certs, lines, copies, per_copy))
        # webhook: run_config wants one events-per-batch figure; batches
        # of this mix differ, so give it the mean and count the target by
        # the total (run_config waits for len(bodies) * per_batch)
        hook.append(be.run_config("disk", env, so, certs, bodies,
                                  copies * per_copy / len(bodies), False))
    r, h = rig.median(relp), rig.median(hook)
    print("events: %s, %d per round (%d copies x %d lines), %d rounds" %
          (origin, copies * per_copy, copies, len(lines), args.rounds))
    print("| path | events/s | CPU s per 100k events |")
    print("|---|---:|---|")
    print("| file -> node rsyslogd -> forwarder -> RELP/TLS -> manager | %.0f "
          "| node rsyslogd %.2f + forwarder %.2f, manager rsyslogd %.2f, "
          "plugin %.2f |" % (r["eps"], r["cpu_node"], r["cpu_forward"],
                             r["cpu_manager"], r["cpu_plugin"]))
    print("| webhook (400-event batches, mTLS keep-alive) | %.0f | "
          "rsyslogd %.2f, plugin %.2f |" %
          (h["eps"], h["cpu_rsyslogd"], h["cpu_plugin"]))
    print(json.dumps({"relp": relp, "webhook": hook}))


if __name__ == "__main__":
    main()
