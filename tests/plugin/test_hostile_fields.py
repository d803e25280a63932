"""Issue 21, classes 2 and 3 through the real plugin: a patch's decoy
pod-spec member hides nothing from the rule fields, a Secret recognised by
its kind (or its list's, or the request's) is redacted wherever it is, and
whatever line is set aside reaches the reject file redacted."""
import json

from harness import Plugin, Receiver, Tap, Workdir, compact, eventlist

PLANTED = "PLANTED-i21-s3cr3t"

t = Tap()
wd = Workdir()
rx = Receiver(wd.socket)
# The reject file is read right after the answers: answered means set
# aside only without --accept-ahead (when it is on, a line after a delivered
# one is answered once in the spool, set aside just after:
# tests/plugin/test_accept_ahead.py).
pl = Plugin(wd.path, wd.socket, ["--accept-ahead", "off"])
t.eq(pl.answer()[0], "OK", "handshake")

serial = [0]


def event(verb, resource, uri, req=None, resp=None, sub=None,
          level="RequestResponse"):
    serial[0] += 1
    ref = {"resource": resource, "namespace": "default", "name": "x"}
    if sub:
        ref["subresource"] = sub
    ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level,
          "auditID": "i21-%d" % serial[0], "stage": "ResponseComplete",
          "requestURI": uri, "verb": verb,
          "user": {"username": "mallory", "groups": ["system:authenticated"]},
          "sourceIPs": ["10.1.2.3"], "objectRef": ref,
          "responseStatus": {"metadata": {}, "code": 200},
          "requestReceivedTimestamp": "2026-12-07T04:00:00.000000Z",
          "stageTimestamp": "2026-12-07T04:00:00.100000Z"}
    if req is not None:
        ev["requestObject"] = req
    if resp is not None:
        ev["responseObject"] = resp
    return ev


def deliver(events, what):
    n = len(rx.datagrams)
    t.eq(pl.call(compact(eventlist(events))), "OK", "%s: answered OK" % what)
    rx.wait_count(n + len(events), 10)
    rx.settle()
    with rx.lock:
        raw = b"".join(rx.datagrams[n:])
    got = [ev for _, ev in rx.events()[n:]]
    t.eq(len(got), len(events), "%s: every event delivered" % what)
    t.ok(PLANTED.encode() not in raw, "%s: no planted secret sent" % what)
    return got


def k8s(ev):
    return ev.get("k8s", {})


# Class 2: a real strategic-merge PATCH of a Deployment logged at Request
# level, with and without the decoy; a JSON patch; a CronJob's template.
tpl = {"hostPID": True,
       "volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}],
       "containers": [{"name": "c", "securityContext": {
           "capabilities": {"add": ["SYS_ADMIN"]}}}]}
uri = "/apis/apps/v1/namespaces/default/deployments/x"
bodies = [
    ("deployments", "strategic merge, decoy",
     {"spec": {"hostNetwork": False, "template": {"spec": tpl}}}),
    ("deployments", "strategic merge, no decoy",
     {"spec": {"template": {"spec": tpl}}}),
    ("daemonsets", "JSON patch, decoy",
     [{"op": "add", "path": "/spec/hostNetwork", "value": False},
      {"op": "add", "path": "/spec/template/spec/hostPID", "value": True},
      {"op": "add", "path": "/spec/template/spec/volumes/-",
       "value": tpl["volumes"][0]},
      {"op": "add", "path": "/spec/template/spec/containers/0/securityContext",
       "value": tpl["containers"][0]["securityContext"]}]),
    ("cronjobs", "CronJob merge, decoys",
     {"spec": {"hostNetwork": False, "template": {"spec": {"hostIPC": False}},
               "jobTemplate": {"spec": {"template": {"spec": tpl}}}}}),
]
evs = [event("patch", r, uri, req=b, level="Request") for r, _, b in bodies]
got = deliver(evs, "class 2 patches")
for (r, what, _), ev in zip(bodies, got):
    k = k8s(ev)
    t.eq((k.get("host_pid"), k.get("host_paths"), k.get("capabilities_added"),
          k.get("host_network")),
         (True, "/var/run/docker.sock", "SYS_ADMIN", None),
         "%s (%s): rule fields from what the patch writes" % (what, r))

# Class 3: Secrets inside other objects.
last_applied = ('{"kind":"Secret","apiVersion":"v1","stringData":{"pw":"%s\\u0000"}}'
                % PLANTED)
secret = {"kind": "Secret", "apiVersion": "v1",
          "metadata": {"name": "db", "annotations": {
              "kubectl.kubernetes.io/last-applied-configuration": last_applied}},
          "type": "Opaque"}
table = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
         "columnDefinitions": [{"name": "Name", "type": "string"}],
         "rows": [{"cells": ["db", "Opaque", 1], "object": secret},
                  {"cells": ["db2"], "object": {"metadata": {"name": "db2"},
                                                 "stringData": {"pw": PLANTED}}}]}
template = {"kind": "Template", "apiVersion": "template.openshift.io/v1",
            "objects": [secret]}
deliver([event("list", "secrets", "/api/v1/namespaces/default/secrets?"
               "includeObject=Object", resp=table),
         event("create", "templates", "/apis/template.openshift.io/v1/"
               "namespaces/default/templates", req=template, resp=template),
         event("create", "pods", "/api/v1/namespaces/default/pods/x/exec?"
               "command=sh&command=-c&command=mysql+%27-p" + PLANTED +
               "%27&container=c&stdout=true", sub="exec")],
        "class 3 nested Secrets and exec")

# Class 3: lines set aside (not audit events) are redacted whole.
lines = [
    ("kubectl get secret -o json", compact({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "data": {"pw": PLANTED}})),
    ("AdmissionReview", compact({
        "kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1",
        "request": {"uid": "u", "object": {"kind": "Secret",
                                           "stringData": {"pw": PLANTED}}}})),
    ("misrouted webhook batch", compact(eventlist([
        {"kind": "Secret", "apiVersion": "v1", "stringData": {"pw": PLANTED}}]))),
]
before = len(pl.rejects())
for what, line in lines:
    t.eq(pl.call(line), "OK", "%s: answered OK" % what)
rej = pl.rejects()[before:]
t.eq(len(rej), len(lines), "every line set aside")
with open(pl.reject_file, "rb") as f:
    t.ok(PLANTED.encode() not in f.read(), "no planted secret in the reject file")

t.eq(pl.close(), 0, "plugin exits cleanly")
rx.stop()
wd.cleanup()
t.done()
