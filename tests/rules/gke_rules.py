"""GKE conversion against the rules (issue 23): each LogEntry of
tests/fixtures/gke, pushed wrapped through the real plugin (--frame pubsub),
must raise the rule -- and level -- that a native audit Event of the same
action raises in tests/rules/cases.json, through the approximate engine
(k8srules.py).  With LOGTEST_SOCKET naming a real analysisd's logtest socket
(`make check-rules` passes it), each converted Event and the native case's
events also go through that analysisd, one logtest session each, and must
raise the same rule at the same level there."""
import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k8srules as K  # noqa: E402
from logtest_check import Logtest  # noqa: E402
from harness import Plugin, Receiver, Tap, Workdir  # noqa: E402

TOP = os.environ.get("TOP_SRCDIR", os.path.join(HERE, "..", ".."))
# fixture -> the native case (cases.json) of the same action
TABLE = [
    ("pod-create-privileged", "110110 falco-create_nginx_pod_privileged.json"),
    ("clusterrolebinding-cluster-admin", "110220 falco-attach_cluster_admin_role.json"),
    ("secret-get", "110181 secret-get-curl.json"),
    ("pod-exec", "110150 exec-ls.json"),
    ("secret-list-denied", "110270 forbidden-list-secrets.json"),
    ("clusterrole-wildcard-verbs", "110222 falco-create_cluster_role_wildcard_verbs.json"),
    ("clusterrole-escalate", "110224 role-escalate.json"),
    ("clusterrolebinding-anonymous", "110221 binding-anonymous.json"),
    ("serviceaccount-token", "110184 sa-token-request.json"),
    ("nodes-proxy", "110155 nodes-proxy-exec.json"),
    ("anonymous-create-namespace", "110272 falco-anonymous_creates_namespace_foo.json"),
    ("mutatingwebhook-create", "110300 webhook-create.json"),
    ("namespace-delete", "110342 falco-delete_namespace_foo.json"),
]

t = Tap()
cases = {c["name"]: c for c in K.load_cases()}
rules, lists = K.load_rules(), K.load_lists()
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket, ["--frame", "pubsub", "--envelope-cluster"])
pl.answer()
ids = []
for name, _ in TABLE:
    with open(os.path.join(TOP, "tests/fixtures/gke", name + ".json")) as f:
        entry = json.load(f)
    ids.append(entry["insertId"])
    body = json.dumps({"message": {"data": base64.b64encode(
        json.dumps(entry).encode()).decode(), "messageId": "1",
        "publishTime": entry["timestamp"]}, "subscription": "projects/p/subscriptions/s"})
    t.eq(pl.call(body), "OK", "%s: push answered OK" % name)
rx.settle()
pl.close()
payloads = {}
for g in rx.datagrams:
    _, payload = K.split_datagram(g.decode())
    payloads[json.loads(payload)["auditID"]] = payload
rx.stop()
wd.cleanup()
for (name, native), aid in zip(TABLE, ids):
    want = cases[native]["expect"]
    if aid not in payloads:
        t.ok(False, "%s: delivered" % name)
        continue
    r, ev = K.Engine(rules, lists).process(payloads[aid])
    got = (r.id, r.level) if r else (None, None)
    t.ok(got == (want["rule"], want["level"]),
         "%s: rule %s level %s, as the native event of the same action" %
         (name, want["rule"], want["level"]),
         "got %s: %s" % (got, K.expand_description(r, ev["fields"]) if r else ""))

LOGTEST = os.environ.get("LOGTEST_SOCKET")
if LOGTEST and os.path.exists(LOGTEST):
    lt = Logtest(LOGTEST)

    def analysisd(payloads):
        """(rule, level, description) analysisd gives the last of payloads,
        all in one logtest session."""
        token, got = None, (None, None, "no datagram")
        for p in payloads:
            token, rid, lvl, desc, _ = lt.process(p, token)
            got = (rid, lvl, desc)
        if token:
            lt.close(token)
        return got

    runner = K.PluginRunner()
    try:
        for (name, native), aid in zip(TABLE, ids):
            want = []
            for spec in cases[native]["events"]:
                for line in K.event_lines(spec):
                    want += [K.split_datagram(d)[1] for d in runner.send(line)]
            nat = analysisd(want)
            gke = analysisd([payloads[aid]]) if aid in payloads else (None, None, "")
            t.diag("analysisd: %s: GKE %s/%s (%s); native %s/%s (%s)" %
                   (name, gke[0], gke[1], gke[2], nat[0], nat[1], nat[2]))
            t.ok(gke[:2] == nat[:2], "%s: analysisd raises %s/%s for the GKE "
                 "entry as for the native event" % (name, nat[0], nat[1]),
                 "GKE %s/%s %s" % gke)
    finally:
        runner.close()
else:
    t.skip("the converted entries through a real analysisd",
           "LOGTEST_SOCKET not set (make check-rules sets it)")
t.done()
