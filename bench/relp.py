#!/usr/bin/env python3
"""RELP benchmark: audit log file on a node -> datagrams at the stand-in.

The node: a private rsyslogd with the rendered node drop-in (imfile, Disk
queue, omrelp over TLS with a node certificate). The manager: a private
rsyslogd with the rendered manager drop-in (imrelp over TLS, its ruleset
Direct: a frame is answered once the real plugin, --max-eps 0, delivered
its event) into a counting stand-in analysisd.
N events of the real kube-apiserver mix (shared/real-apiserver beside the
clone, else the corpus) are appended to the audit log at full speed;
reported: events/s from the first line written to the last datagram, and
the CPU seconds per 100k events of the node's rsyslogd, the manager's
rsyslogd and the plugin. Beside it, in the same run, the webhook path's
figure (bench/e2e.py's "disk" configuration: 400-event batches over one
mutual-TLS keep-alive connection) with the same events.

    python3 bench/relp.py --builddir _build [--events 50000] [--rounds 3]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import rig


def run_relp(env, so, certs, lines, copies, per_copy):
    """One round: (events/s, cpu node, cpu manager, cpu plugin per 100k)."""
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
        n0 = be.cpu_seconds(node.proc.pid)
        m0, p0 = be.cpu_sample(m.proc.pid)
        t0 = time.perf_counter()
        with open(path, "ab") as f:
            for chunk in data:
                f.write(chunk)
        if not counter.reached.wait(600):
            raise SystemExit("relp: only %d of %d events arrived" %
                             (counter.n - base, target - base))
        total = counter.when - t0
        n1 = be.cpu_seconds(node.proc.pid)
        m1, p1 = be.cpu_sample(m.proc.pid)
        per100k = 1e5 / (target - base)
        return {"eps": (target - base) / total,
                "cpu_node": (n1 - n0) * per100k,
                "cpu_manager": (m1 - m0) * per100k,
                "cpu_plugin": (p1 - p0) * per100k}
    finally:
        node.stop()
        m.stop()
        subprocess.run(["rm", "-rf", wd])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.path.join(rig.TOP, "_build"))
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    builddir = os.path.abspath(args.builddir)
    e2e, be, so, certs = rig.setup(builddir)
    import harness
    tr = rig.load("test_relp", os.path.join(rig.TOP, "tests", "e2e",
                                            "test_relp.py"))
    plugin = os.path.join(builddir, "plugin", "wazuh-k8s-audit")
    env = {"e2e": e2e, "plugin": plugin, "bench": be, "relp": tr}
    lines, origin = e2e.real_lines()
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
    print("| file -> node rsyslogd -> RELP/TLS -> manager | %.0f | node "
          "rsyslogd %.2f, manager rsyslogd %.2f, plugin %.2f |" %
          (r["eps"], r["cpu_node"], r["cpu_manager"], r["cpu_plugin"]))
    print("| webhook (400-event batches, mTLS keep-alive) | %.0f | "
          "rsyslogd %.2f, plugin %.2f |" %
          (h["eps"], h["cpu_rsyslogd"], h["cpu_plugin"]))
    print(json.dumps({"relp": relp, "webhook": hook}))


if __name__ == "__main__":
    main()
