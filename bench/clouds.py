#!/usr/bin/env python3
"""Benchmark: what the cloud frames cost (issue 23).

The same real kube-apiserver Events (tests/fixtures/eks) go through the
plugin three ways: webhook EventLists of --batch events, Firehose requests
of the same events (records of 100 logEvents, gzip'd, base64), and -- per
event, as Pub/Sub pushes one message per request -- GKE LogEntries
(tests/fixtures/gke, repeated) as wrapped pushes.  Runs alternate; the
median run of each is reported (events/s, CPU s per 100k events, peak RSS).
"""
import argparse
import base64
import glob
import gzip
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import run_once  # noqa: E402


def lines_of(top, kind, events, batch):
    with open(os.path.join(top, "tests/fixtures/eks/real-apiserver-events.jsonl")) as f:
        base = [json.loads(l) for l in f if l.strip()]
    evs = []
    for i in range(events):
        ev = dict(base[i % len(base)])
        ev["auditID"] = "bench-%08d" % i
        evs.append(json.dumps(ev, separators=(",", ":")))
    out = []
    for at in range(0, events, batch):
        part = evs[at:at + batch]
        if kind == "webhook":
            out.append('{"kind":"EventList","apiVersion":"audit.k8s.io/v1",'
                       '"items":[%s]}' % ",".join(part))
            continue
        records = []
        for r in range(0, len(part), 100):
            sub = json.dumps({"messageType": "DATA_MESSAGE", "owner": "1",
                              "logGroup": "/aws/eks/bench/cluster",
                              "logStream": "kube-apiserver-audit-1",
                              "subscriptionFilters": ["b"],
                              "logEvents": [{"id": str(j), "timestamp": j,
                                             "message": m}
                                            for j, m in enumerate(part[r:r + 100])]})
            records.append({"data": base64.b64encode(
                gzip.compress(sub.encode())).decode()})
        out.append(json.dumps({"requestId": "r%d" % at, "timestamp": 1,
                               "records": records}))
    return out


def pubsub_lines(top, events):
    entries = []
    for p in sorted(glob.glob(os.path.join(top, "tests/fixtures/gke/*.json"))):
        with open(p) as f:
            entries.append(json.load(f))
    out = []
    for i in range(events):
        e = dict(entries[i % len(entries)], insertId="bench-%08d" % i)
        data = base64.b64encode(json.dumps(e).encode()).decode()
        out.append(json.dumps({"message": {"data": data, "messageId": str(i),
                                           "publishTime": "2026-11-30T10:00:00Z"},
                               "subscription": "projects/p/subscriptions/s"}))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--top", required=True)
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    b = a.builddir
    counter = os.path.join(b, "bench", "counter")
    work = tempfile.mkdtemp(prefix="wka-bench-clouds-")
    root = ["--allow-root"] if os.geteuid() == 0 else []
    try:
        cases = []
        for name, frame, lines in (
                ("webhook EventList", "webhook",
                 lines_of(a.top, "webhook", a.events, a.batch)),
                ("firehose (gzip records)", "firehose",
                 lines_of(a.top, "firehose", a.events, a.batch)),
                ("pubsub (1 LogEntry/push)", "pubsub",
                 pubsub_lines(a.top, a.events))):
            path = os.path.join(work, frame + ".lines")
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            cmd = [os.path.join(b, "plugin", "wazuh-k8s-audit"), "--frame",
                   frame] + root + [
                "--max-eps", "0", "--stats-interval", "0",
                "--reject-file", os.path.join(work, "rej.jsonl"),
                "--spool-dir", os.path.join(work, "spool-" + frame),
                "--key-file", os.path.join(work, "key"),
                "--state-file", os.path.join(work, "state"), "--socket"]
            cases.append((name, cmd, path))
        results = {name: [] for name, _, _ in cases}
        for _ in range(a.runs):
            for name, cmd, path in cases:
                results[name].append(run_once(cmd, path, counter, work))
        print("%d events, median of %d runs, %d cores" %
              (a.events, a.runs, os.cpu_count()))
        print("| frame | events/s | CPU s/100k events | peak RSS MB | delivered |")
        print("|---|---:|---:|---:|---:|")
        for name, runs in results.items():
            r = sorted(runs, key=lambda x: x["wall"])[len(runs) // 2]
            print("| %s | %.0f | %.2f | %.1f | %s |" % (
                name, a.events / r["wall"], r["cpu"] * 100000 / a.events,
                r["rss_mb"], r["counter"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
