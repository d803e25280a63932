#!/usr/bin/env python3
"""Syslog benchmark: a TLS syslog sender -> manager -> the stand-in.

The manager: a private rsyslogd with the rendered drop-in's syslog listener
(imtcp over TLS with a client certificate, Disk queue, the real plugin with
--frame syslog --max-eps 0) into a counting stand-in analysisd. The sender:
one TLS connection written as fast as it takes (Python's ssl), N events of
the real kube-apiserver mix (shared/real-apiserver beside the clone, else
the corpus) as (a) octet-counted RFC 5424 messages of the Event, (b)
LF-framed RFC 5424 messages of OpenShift's record of it (the envelope the
plugin leaves out). Reported per shape: events/s from the first byte sent
to the last datagram, CPU seconds per 100k events of the manager's rsyslogd
and of the plugin.

    python3 bench/syslog.py --builddir _build [--events 20000] [--rounds 1]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import rig


def messages(ts, lines, n, shape):
    """n framed messages of the mix, auditIDs unique per shape."""
    evs = ts.tagged(lines, shape, n)
    if shape == "openshift":
        return b"".join(ts.openshift_record(l, False) + b"\n" for l in evs)
    msgs = [b"<110>1 2026-12-07T14:00:00Z cp-1 kube-apiserver - - - " + l
            for l in evs]
    return b"".join(b"%d %s" % (len(m), m) for m in msgs)


def run_round(env, so, certs, lines, n, shape):
    """One round: {eps, cpu_manager, cpu_plugin} (CPU per 100k events)."""
    be, e2e, ts = env["bench"], env["e2e"], env["ts"]
    wd = tempfile.mkdtemp(prefix="wka-bench-syslog-")
    counter = be.Counter(os.path.join(wd, "queue"))
    counter.start()
    port = e2e.free_port()
    m = e2e.Rsyslog(os.path.join(wd, "m"), so, env["plugin"],
                    os.path.join(wd, "queue"), certs,
                    settings=[be.plugin_args(), "SYSLOG_LISTEN=127.0.0.1",
                              "SYSLOG_CLUSTERS=bench:%d" % port])
    try:
        m.start()
        if not e2e.wait_port(port):
            raise SystemExit("no syslog listener: " + m.internal_log())
        s = ts.Sender(port, certs, "nodes/bench/cp-1")
        s.s.sendall(messages(ts, lines, 200, "warm"))   # TLS, plugin start
        counter.expect(1)
        if not counter.reached.wait(60):
            raise SystemExit("warm-up: nothing arrived\n" + m.internal_log())
        counter.quiet(1.0)
        base = counter.n
        data = messages(ts, lines, n, shape)
        # events that become datagrams (shaping filters none of this mix
        # today; counted, not assumed: one datagram per event)
        counter.expect(base + n)
        m0, p0 = be.cpu_sample(m.proc.pid)
        t0 = time.perf_counter()
        s.s.sendall(data)
        if not counter.reached.wait(600):
            raise SystemExit("only %d of %d events arrived" %
                             (counter.n - base, n))
        total = counter.when - t0
        m1, p1 = be.cpu_sample(m.proc.pid)
        s.close()
        per100k = 1e5 / n
        return {"eps": n / total, "cpu_manager": (m1 - m0) * per100k,
                "cpu_plugin": (p1 - p0) * per100k}
    finally:
        m.stop()
        subprocess.run(["rm", "-rf", wd])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=os.path.join(rig.TOP, "_build"))
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    builddir = os.path.abspath(args.builddir)
    e2e, be, so, certs = rig.setup(builddir)
    ts = rig.load("test_syslog", os.path.join(rig.TOP, "tests", "e2e",
                                              "test_syslog.py"))
    env = {"e2e": e2e, "bench": be, "ts": ts,
           "plugin": os.path.join(builddir, "plugin", "wazuh-k8s-audit")}
    lines, origin = e2e.real_lines()
    results = {}
    for shape in ("rfc5424", "openshift"):
        results[shape] = [run_round(env, so, certs, lines, args.events, shape)
                          for _ in range(args.rounds)]
    print("events: %s, %d per round, %d rounds" % (origin, args.events,
                                                  args.rounds))
    print("| sender (one TLS connection) | events/s | CPU s per 100k events |")
    print("|---|---:|---|")
    for shape, what in (("rfc5424", "octet-counted RFC 5424 of the Event"),
                        ("openshift", "LF-framed OpenShift records")):
        r = rig.median(results[shape])
        print("| %s | %.0f | manager rsyslogd %.2f, plugin %.2f |" %
              (what, r["eps"], r["cpu_manager"], r["cpu_plugin"]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
