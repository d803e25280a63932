"""Issue 21, class 1, through the real plugin: an event padded past one
analysisd datagram, or with damaged metadata, still delivers its
who/what/when. Padded metadata arrays are cut to a head with a count,
damaged metadata values become markers, a padded query string costs itself
before a body; and the fast path and the reference measure the same bytes
(3,000 `\\u0026` in a requestURI)."""
import json

from harness import Plugin, Receiver, Tap, Workdir, compact, eventlist

t = Tap()
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
t.eq(pl.answer()[0], "OK", "handshake")

serial = [0]
POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x"},
       "spec": {"hostPID": True,
                "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [{"name": "d", "hostPath":
                             {"path": "/var/run/docker.sock"}}]}}


def event(uri="/api/v1/namespaces/default/pods", req=None, **extra):
    serial[0] += 1
    ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1",
          "level": "RequestResponse", "auditID": "pad-%d" % serial[0],
          "stage": "ResponseComplete", "requestURI": uri, "verb": "create",
          "user": {"username": "mallory", "groups": ["system:authenticated"]},
          "sourceIPs": ["10.1.2.3"], "userAgent": "kubectl/v1.28.0",
          "objectRef": {"resource": "pods", "namespace": "default",
                        "name": "x", "apiVersion": "v1"},
          "responseStatus": {"metadata": {}, "code": 201},
          "requestReceivedTimestamp": "2026-12-07T04:00:00.000000Z",
          "stageTimestamp": "2026-12-07T04:00:00.100000Z",
          "annotations": {"authorization.k8s.io/decision": "allow",
                          "authorization.k8s.io/reason": ""}}
    if req is not None:
        ev["requestObject"] = req
    ev.update(extra)
    return ev


def deliver_lines(lines, what):
    """Send raw lines (one event each); return the events they made."""
    n = rx.count()
    for line in lines:
        t.eq(pl.call(line), "OK", "%s: answered OK" % what)
    rx.wait_count(n + len(lines), 10)
    rx.settle()
    got = [ev for _, ev in rx.events()[n:]]
    t.eq(len(got), len(lines), "%s: delivered, not set aside" % what)
    return got


def deliver(events, what):
    return deliver_lines([compact(eventlist([e])) for e in events], what)


def k8s(ev):
    return ev.get("k8s", {})


def who_what_when(ev, what, auditid):
    t.eq((ev.get("auditID"), k8s(ev).get("user"), ev.get("verb"),
          ev.get("requestReceivedTimestamp") is not None),
         (auditid, "mallory", "create", True), "%s: who/what/when" % what)


def groups(n, prefix):
    return ["%s-%04d" % (prefix, i) for i in range(n)]


# 1,200 Impersonate-Group headers (80 kB) on a hostPID + docker.sock pod,
# the last of them system:masters.
imp = event(req=POD, impersonatedUser={
    "username": "bob",
    "groups": groups(1199, "padding-group-to-push-the-event-out-of-one-datagram-xxxxxxxxxxx")
    + ["system:masters"]})
t.ok(len(compact(imp["impersonatedUser"])) > 80000,
     "impersonatedUser.groups are 80 kB")
got = deliver([imp], "1,200 Impersonate-Group headers")
if got:
    e = got[0]
    who_what_when(e, "impersonated groups", imp["auditID"])
    t.eq((k8s(e).get("host_pid"), k8s(e).get("host_paths"),
          k8s(e).get("impersonated_user")),
         (True, "/var/run/docker.sock", "bob"),
         "impersonated groups: k8s.host_pid, host_paths, impersonated_user")
    g = e["impersonatedUser"]["groups"]
    t.ok(len(g) < 40 and g[-1] == "[DROPPED %d entries]" % (1200 - (len(g) - 1))
         and "system:masters" in g,
         "impersonated groups: a head, system:masters, a count", g[-3:])
    t.eq(k8s(e).get("dropped"), "longArrays",
         "impersonated groups: named in k8s.dropped, the request kept")
    t.ok("requestObject" in e, "impersonated groups: requestObject kept")

# 80 kB of directory groups; 90 kB of responseStatus.details.causes.
dirgroups = event(req=POD, user={"username": "mallory", "groups": groups(
    1500, "cn=directory-group,ou=groups,dc=example,dc=com")})
causes = event(req=POD, responseStatus={
    "metadata": {}, "status": "Failure", "code": 422, "reason": "Invalid",
    "details": {"kind": "pods", "name": "x", "causes": [
        {"reason": "FieldValueInvalid", "field": "spec.containers[%d]" % i,
         "message": "Invalid value: padding padding padding padding"}
        for i in range(1100)]}})
t.ok(len(compact(dirgroups["user"])) > 80000 and
     len(compact(causes["responseStatus"])) > 90000,
     "user.groups are 80 kB, the causes 90 kB")
got = deliver([dirgroups, causes], "80 kB user.groups, 90 kB causes")
if len(got) == 2:
    who_what_when(got[0], "user.groups", dirgroups["auditID"])
    t.ok(got[0]["user"]["groups"][-1].startswith("[DROPPED ") and
         k8s(got[0]).get("host_pid") is True and
         k8s(got[0]).get("dropped") == "longArrays",
         "user.groups: cut, named, k8s.host_pid derived", k8s(got[0]))
    who_what_when(got[1], "causes", causes["auditID"])
    rs = got[1]["responseStatus"]
    t.ok(rs["code"] == 422 and rs["details"]["causes"][-1].startswith(
        "[DROPPED ") and k8s(got[1]).get("dropped") == "longArrays",
         "causes: cut, the code kept", k8s(got[1]))

# Damage inside user.extra, objectRef, an annotation and responseStatus.
damaged = [
    ("user.extra", b'"user":{"username":"mallory","extra":{"scopes":["a","\xff"]}}',
     "user.extra.scopes[1]:invalid"),
    ("objectRef", b'"objectRef":{"resource":"pods","namespace":"default",'
     b'"name":"\\ud800"}', "objectRef.name:invalid"),
    ("an annotation", b'"annotations":{"authorization.k8s.io/decision":"allow",'
     b'"x":1e999}', "annotations.x:invalid"),
    ("responseStatus", b'"responseStatus":{"code":403,"message":"\\ud800"}',
     "responseStatus.message:invalid"),
]
lines = []
for what, member, _ in damaged:
    ev = event(req=POD)
    name = member[1:member.index(b'"', 1)].decode()
    del ev[name]
    body = compact(eventlist([ev])).encode()
    at = body.index(b'"requestObject"')
    lines.append(body[:at] + member + b"," + body[at:])
got = deliver_lines(lines, "damaged metadata")
for (what, _, named), e in zip(damaged, got):
    who_what_when(e, what, e.get("auditID"))
    t.eq(k8s(e).get("dropped"), named, "%s: damaged value named" % what)
    t.eq(k8s(e).get("host_pid"), True, "%s: k8s.host_pid derived" % what)
if len(got) == 4:
    t.ok(got[0]["user"]["extra"]["scopes"] == ["a", "[DROPPED 3 bytes: invalid UTF-8]"],
         "user.extra: only the damaged value is a marker", got[0]["user"])
    t.eq(got[1]["objectRef"]["resource"], "pods", "objectRef: resource kept")
    t.eq(k8s(got[2]).get("decision"), "allow", "annotation: decision kept")
    t.eq(k8s(got[3]).get("summary", "").endswith("-> 403"), True,
         "responseStatus: the code kept")

# A 70 kB padded query string on a 20 kB request: the URI is shortened,
# the request kept.
req = dict(POD, metadata={"name": "x", "annotations": {"a": "v" * 20000}})
longuri = event(uri="/api/v1/namespaces/default/pods?fieldManager=" + "a" * 70000,
                req=req)
got = deliver([longuri], "70 kB query string")
if got:
    e = got[0]
    t.ok(e["requestURI"].startswith("/api/v1/namespaces/default/pods?") and
         e["requestURI"].endswith(" bytes]") and len(e["requestURI"]) <= 1024,
         "long query: the URI keeps its path", e["requestURI"][-60:])
    t.eq((k8s(e).get("dropped"), "requestObject" in e), ("requestURI", True),
         "long query: the URI shortened, the request kept")

# 3,000 `\u0026` in a requestURI (18 kB of text, 3 kB decoded) and a 50 kB
# request: the fast path (a compact line) and the reference (the same line
# with whitespace) send the same event, the request kept.
esc = event(uri="/api/v1/namespaces/default/pods?x=" + "&" * 3000,
            req=dict(POD, metadata={"name": "x", "annotations": {
                "a": "z" * 50000}}))
fast = compact(eventlist([esc])).replace("&", "\\u0026")
slow = json.dumps(eventlist([esc]), separators=(", ", ": ")).replace(
    "&", "\\u0026")
t.ok(len(fast) > 65535, "the escaped line (%d bytes) is longer than a datagram" % len(fast))
got = deliver_lines([fast, slow], "3,000 \\u0026")
if len(got) == 2:
    t.ok(got[0] == got[1], "\\u0026: both paths send the same event",
         (k8s(got[0]).get("dropped"), k8s(got[1]).get("dropped")))
    t.eq(("requestObject" in got[0], k8s(got[0]).get("dropped")), (True, None),
         "\\u0026: nothing dropped, the request kept")

t.eq(pl.close(), 0, "exits 0")
t.eq([e.get("reason") for e in pl.rejects()], [], "nothing set aside")
rx.stop()
wd.cleanup()
t.done()
