"""Cloud envelopes through the real plugin into a stand-in analysisd (issue
23): Firehose HTTP endpoint requests of EKS audit logs (--frame firehose)
and Pub/Sub pushes of GKE LogEntries (--frame pubsub).  Fixtures:
tests/fixtures/eks (real kube-apiserver events, wrapped here as AWS's
published formats say) and tests/fixtures/gke (LogEntries to Google's
formats); each README says where the formats come from.

Every Event a Firehose request carries is delivered once and shaped and
redacted exactly as the same Event sent by the webhook; a damaged record is
set aside alone; a request interrupted by analysisd's absence resumes where
it stopped."""
import base64
import collections
import glob
import gzip
import json
import re
import os

import subprocess

from harness import PLUGIN, Plugin, Receiver, Tap, Workdir, compact

t = Tap()
TOP = os.environ.get("TOP_SRCDIR", ".")
EKS = os.path.join(TOP, "tests/fixtures/eks/real-apiserver-events.jsonl")
with open(EKS, "rb") as f:
    LINES = [l.rstrip(b"\n").decode("utf-8") for l in f if l.strip()]


def subscription(messages, group="/aws/eks/prod-1/cluster", kind="DATA_MESSAGE"):
    """CloudWatch Logs subscription filter payload (JSON text)."""
    return json.dumps({
        "messageType": kind, "owner": "123456789012", "logGroup": group,
        "logStream": "kube-apiserver-audit-2f6e0c1d8b7a4e3f",
        "subscriptionFilters": ["wazuh-k8s-audit"],
        "logEvents": [{"id": "3765%051d" % i, "timestamp": 1764929668000 + i,
                       "message": m} for i, m in enumerate(messages)]})


def record(payload, gz=True):
    data = payload.encode("utf-8")
    return {"data": base64.b64encode(gzip.compress(data) if gz else data).decode()}


def firehose(records, rid="ed4acda5-034f-9f42-bba1-f29aea6d7d8f"):
    return json.dumps({"requestId": rid, "timestamp": 1764929669000,
                       "records": records}, separators=(",", ":"))


def without_channel(ev):
    ev = json.loads(json.dumps(ev))
    ev.get("k8s", {}).pop("source", None)
    ev.get("k8s", {}).pop("cluster", None)
    return ev


def run(lines, extra, receiver_up=True):
    wd = Workdir()
    rx = Receiver(wd.socket)
    pl = Plugin(wd.path, wd.socket, extra)
    pl.answer()
    answers = [pl.call(l) for l in lines]
    rx.settle()
    code = pl.close()
    got = [e for _, e in rx.events()]
    rejects = pl.rejects()
    err = pl.stderr_text()
    rx.stop()
    wd.cleanup()
    return answers, got, rejects, code, err


# 1. The webhook path, as the reference: the same Events as one EventList.
webhook = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[%s]}' % \
    ",".join(LINES)
_, ref, _, _, _ = run([webhook], ["--source", "webhook", "--cluster", "c"])
t.eq(len(ref), len(LINES), "webhook path: every Event delivered (reference)")

# 2. Firehose: the Events in three gzip'd records of several logEvents,
# one uncompressed (Firehose's decompression on), a CONTROL_MESSAGE and a
# garbage record among them.
thirds = [LINES[:30], LINES[30:70], LINES[70:]]
req = firehose([record(subscription(thirds[0])),
                record(subscription([], group="testLogGroup",
                                    kind="CONTROL_MESSAGE")),
                {"data": "this is not base64!"},
                record(subscription(thirds[1]), gz=False),
                record(subscription(thirds[2]))])
answers, got, rejects, code, err = run(
    [req], ["--frame", "firehose", "--source", "firehose", "--cluster", "c"])
t.eq(answers, ["OK"], "Firehose request answered OK")
t.eq(len(got), len(LINES), "every Event of the request delivered once")
t.ok([e["auditID"] for e in got] == [json.loads(l)["auditID"] for l in LINES],
     "in the order of the records and their logEvents")
t.ok(all(e["k8s"].get("source") == "firehose" for e in got),
     "k8s.source firehose on every event")
same = [without_channel(a) == without_channel(b) for a, b in zip(got, ref)]
t.ok(len(same) == len(LINES) and all(same),
     "shaped and redacted exactly as on the webhook path",
     [got[i]["auditID"] for i, s in enumerate(same) if not s][:3])
t.ok(len(rejects) == 1 and "base64" in rejects[0].get("reason", "") and
     rejects[0].get("item") == 30,
     "the garbage record set aside alone, with its reason and place",
     rejects)
t.ok(code == 0, "plugin exits 0")

# 3. --envelope-cluster: k8s.cluster from the log group.
req = firehose([record(subscription(LINES[:3]))])
_, got, _, _, _ = run([req], ["--frame", "firehose", "--cluster", "fallback",
                              "--envelope-cluster"])
t.ok(len(got) == 3 and all(e["k8s"].get("cluster") == "prod-1" for e in got),
     "--envelope-cluster: k8s.cluster prod-1 from /aws/eks/prod-1/cluster",
     [e["k8s"].get("cluster") for e in got])
_, got, _, _, _ = run([req], ["--frame", "firehose", "--cluster", "fallback"])
t.ok(len(got) == 3 and all(e["k8s"].get("cluster") == "fallback" for e in got),
     "without it: --cluster")

# 4. Not a Firehose request: set aside whole, answered OK (retrying cannot
# help); the next request is delivered.
answers, got, rejects, _, _ = run(
    ["{\"records\":[]}", "garbage", firehose([record(subscription(LINES[:2]))])],
    ["--frame", "firehose"])
t.eq(answers, ["OK", "OK", "OK"], "bad envelopes answered OK (set aside)")
t.ok(len(rejects) == 2 and len(got) == 2, "both set aside, the good one "
     "delivered", [r.get("reason") for r in rejects])

# CloudWatch's CONTROL_MESSAGE alone (sent when the subscription is made):
# nothing to deliver, nothing set aside, answered OK.
answers, got, rejects, _, _ = run(
    [firehose([record(subscription([], group="testLogGroup",
                                   kind="CONTROL_MESSAGE"))])],
    ["--frame", "firehose"])
t.ok(answers == ["OK"] and not got and not rejects,
     "a lone CONTROL_MESSAGE: OK, nothing delivered or set aside")

# Damage inside a message costs only the damaged member, as on the
# webhook path: a requestObject nested 100 deep is replaced and named.
deep = {}
cur = deep
for _ in range(100):
    cur["a"] = {}
    cur = cur["a"]
ev = dict(json.loads(LINES[0]), auditID="deep-1", requestObject=deep)
answers, got, rejects, _, _ = run(
    [firehose([record(subscription([json.dumps(ev)]))])], ["--frame", "firehose"])
t.ok(answers == ["OK"] and len(got) == 1 and not rejects and
     got[0]["k8s"].get("dropped") == "requestObject:invalid",
     "a message nested too deep: delivered, its requestObject replaced",
     got[0]["k8s"] if got else rejects)

# Bytes a cluster user can put in an audited field (here a label) that are
# not UTF-8, raw in one logEvent of a record: only that Event pays, reduced
# as on the webhook path; its neighbours in the same record are delivered
# (the whole record was set aside before: a hiding attack).
ev = json.loads(LINES[2])
ev = dict(ev, auditID="utf8-1", requestObject={
    "kind": "Pod", "metadata": {"name": "p", "labels": {"x": "@RAW@"}}})
text = subscription([LINES[0], json.dumps(ev), LINES[1]]).encode()
raw = {"data": base64.b64encode(gzip.compress(
    text.replace(b"@RAW@", b"\xff\xfe"))).decode()}
answers, got, rejects, _, _ = run([firehose([raw])], ["--frame", "firehose"])
ids = [e["auditID"] for e in got]
t.ok(answers == ["OK"] and not rejects and ids == [
     json.loads(LINES[0])["auditID"], "utf8-1", json.loads(LINES[1])["auditID"]],
     "invalid UTF-8 in one logEvent: all three Events of the record delivered",
     (ids, [r.get("reason") for r in rejects]))
t.ok(len(got) == 3 and "requestObject" in got[1]["k8s"].get("dropped", "") and
     got[1]["verb"] == ev["verb"] and "requestObject" not in got[0]["k8s"].get(
         "dropped", ""),
     "the damaged one reduced (k8s.dropped names its member), its metadata "
     "kept", got[1]["k8s"] if len(got) == 3 else None)

# 5. A decompression bomb among good records.
bomb = {"data": base64.b64encode(gzip.compress(b"\0" * (64 << 20))).decode()}
answers, got, rejects, _, _ = run(
    [firehose([record(subscription(LINES[:2])), bomb,
               record(subscription(LINES[2:4]))])], ["--frame", "firehose"])
t.ok(answers == ["OK"] and len(got) == 4 and len(rejects) == 1 and
     "bomb" in rejects[0].get("reason", ""),
     "a gzip bomb record set aside, its neighbours delivered",
     [r.get("reason") for r in rejects])

# 6. analysisd away in the middle: the error answer, then rsyslog's retry
# of the same request sends only what is left.
wd = Workdir()
rx = Receiver(wd.socket, break_after=25)
pl = Plugin(wd.path, wd.socket, ["--frame", "firehose", "--retry-wait", "0"])
pl.answer()
req = firehose([record(subscription(LINES[:30])),
                record(subscription(LINES[30:60]))])
first = pl.call(req)
# An auditID is shared by an event's stages: (auditID, stage) names one.
before = [(e["auditID"], e["stage"]) for _, e in rx.events()]
rx.stop()
rx = Receiver(wd.socket)
second = pl.call(req)
rx.settle()
pl.close()
after = [(e["auditID"], e["stage"]) for _, e in rx.events()]
want = [(json.loads(l)["auditID"], json.loads(l)["stage"]) for l in LINES[:60]]
t.ok(first and first.startswith("error"), "analysisd gone: error answer "
     "(rsyslog retries)", first)
t.ok(second == "OK", "the retried request answered OK", second)
t.ok(set(before) | set(after) == set(want), "every Event delivered across "
     "the retry", sorted(set(want) - set(before) - set(after))[:3])
# The retry sends again, first, the datagrams the dead analysisd may not
# have read (the final stats' resent: those this stand-in did read show
# twice), then only what the first try had not sent.  The capture holds two
# events twice over: what was sent is a multiset union, a resent datagram
# counted once whether or not the dead one read it.
m = re.findall(r"final stats:.* resent=(\d+)", pl.stderr_text())
r = int(m[-1]) if m else None
seen = collections.Counter(before) | collections.Counter(after[:r or 0])
rest = []
for w in want:
    if seen[w] > 0:
        seen[w] -= 1
    else:
        rest.append(w)
t.ok(r is not None and len(before) + len(after) - len(want) <= r and
     after[r:] == rest,
     "the retry resumed where it stopped (%d sent before, %d after, %s "
     "resent)" % (len(before), len(after), r))
rx.stop()
wd.cleanup()

# 7. Pub/Sub: the GKE LogEntries, wrapped and unwrapped.
entries = {}
for path in sorted(glob.glob(os.path.join(TOP, "tests/fixtures/gke/*.json"))):
    with open(path) as f:
        entries[os.path.basename(path)[:-5]] = compact(json.load(f))


def push(entry):
    return json.dumps({"message": {
        "data": base64.b64encode(entry.encode()).decode(),
        "attributes": {"logging.googleapis.com/timestamp": "2026-11-30T10:00:00Z"},
        "messageId": "9512538210416441", "publishTime": "2026-11-30T10:00:02Z"},
        "subscription": "projects/demo-project/subscriptions/wazuh"})


other = compact({"insertId": "x1", "protoPayload": {
    "serviceName": "compute.googleapis.com",
    "methodName": "v1.compute.instances.insert"}})
lines = [push(e) for e in entries.values()] + [entries["secret-get"]]
answers, got, rejects, _, _ = run(
    lines + [push(other)],
    ["--frame", "pubsub", "--source", "pubsub", "--envelope-cluster"])
t.ok(len(rejects) == 1 and "not a Kubernetes audit entry" in
     rejects[0].get("reason", ""), "a LogEntry of another service set aside",
     rejects)
t.eq(answers, ["OK"] * (len(lines) + 1), "every push answered OK")
t.eq(len(got), len(lines), "one Event per LogEntry, wrapped or unwrapped")
t.ok(all(e["k8s"].get("cluster") == "gke-prod" and
         e["k8s"].get("source") == "pubsub" for e in got),
     "k8s.cluster from resource.labels, k8s.source pubsub")
byid = {e["auditID"]: e for e in got}
denied = byid.get("a1b2c3d4-0005", {})
t.ok(denied.get("responseStatus", {}).get("code") == 403,
     "the denied list: responseStatus.code 403", denied.get("responseStatus"))

# The frame is the action's choice: an unknown one is a usage error.
p = subprocess.run([PLUGIN, "--frame", "auto"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
t.ok(p.returncode == 2 and b"frame" in p.stderr,
     "--frame auto refused (exit 2, says why)", p.stderr[:200])
t.done()
