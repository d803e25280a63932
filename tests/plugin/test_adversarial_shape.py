"""Issue 12, findings 3, 4, 5, 9 and 10 through the real plugin: events an
attacker shaped to hide from the rules or to leak a secret arrive at the
stand-in analysisd with the facts the rules need, and no planted secret
reaches a datagram or the reject file."""
import json

from harness import Plugin, Receiver, Tap, Workdir, compact, eventlist

PLANTED = "PLANTED-adv-s3cr3t"

t = Tap()
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
t.eq(pl.answer()[0], "OK", "handshake")

serial = [0]


def event(verb, resource, uri, req=None, resp=None, sub=None, **extra):
    serial[0] += 1
    ref = {"resource": resource, "namespace": "default", "name": "x",
           "apiVersion": "v1"}
    if sub:
        ref["subresource"] = sub
    ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1",
          "level": "RequestResponse", "auditID": "adv-%d" % serial[0],
          "stage": "ResponseComplete", "requestURI": uri, "verb": verb,
          "user": {"username": "mallory", "groups": ["system:authenticated"]},
          "sourceIPs": ["10.1.2.3"], "userAgent": "kubectl/v1.28.0",
          "objectRef": ref, "responseStatus": {"metadata": {}, "code": 200},
          "requestReceivedTimestamp": "2026-11-30T04:00:00.000000Z",
          "stageTimestamp": "2026-11-30T04:00:00.100000Z",
          "annotations": {"authorization.k8s.io/decision": "allow",
                          "authorization.k8s.io/reason": ""}}
    if req is not None:
        ev["requestObject"] = req
    if resp is not None:
        ev["responseObject"] = resp
    ev.update(extra)
    return ev


def deliver(events, what):
    """Send one EventList line; return the datagrams (raw, parsed) it made."""
    n = len(rx.datagrams)
    t.eq(pl.call(compact(eventlist(events))), "OK", "%s: answered OK" % what)
    rx.wait_count(n + len(events), 10)
    rx.settle()
    with rx.lock:
        raw = list(rx.datagrams[n:])
    got = [ev for _, ev in rx.events()[n:]]
    t.eq(len(got), len(events), "%s: every event delivered" % what)
    return raw, got


def k8s(ev):
    return ev.get("k8s", {})


# Finding 3: a 67 kB X-Forwarded-For (6,001 sourceIPs) on a hostPID pod
# and on a cluster-admin binding.
ips = ["10.%d.%d.%d" % (i // 65536, i // 256 % 256, i % 256) for i in range(6000)]
ips.append("192.0.2.7")
pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x"},
       "spec": {"hostPID": True, "containers": [{"name": "c", "image": "busybox"}],
                "volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}]}}
crb = {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
       "metadata": {"name": "x"},
       "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                   "name": "cluster-admin"},
       "subjects": [{"kind": "User", "name": "mallory"}]}
padded = [event("create", "pods", "/api/v1/namespaces/default/pods", req=pod,
                sourceIPs=ips),
          event("create", "clusterrolebindings",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                req=crb, sourceIPs=ips)]
t.ok(len(compact(padded[0]["sourceIPs"])) > 67000, "the sourceIPs are 67 kB")
_, got = deliver(padded, "6,001 sourceIPs")
if len(got) == 2:
    p, b = got
    t.eq(k8s(p).get("host_pid"), True, "padded pod: k8s.host_pid")
    t.eq(k8s(p).get("host_paths"), "/var/run/docker.sock", "padded pod: k8s.host_paths")
    t.eq(k8s(b).get("role_ref_name"), "cluster-admin", "padded binding: k8s.role_ref_name")
    for name, e in (("pod", p), ("binding", b)):
        t.eq(e.get("sourceIPs"), ips[:1] + ips[-4:],
             "padded %s: first and last four source IPs kept" % name)
        t.eq(k8s(e).get("source_ips_dropped"), 5996,
             "padded %s: k8s.source_ips_dropped" % name)
        t.eq(k8s(e).get("source_ip"), "192.0.2.7",
             "padded %s: k8s.source_ip is the address the apiserver saw" % name)
        t.ok("requestObject" in e, "padded %s: the request body stays" % name)

# Finding 4: a strategic-merge patch with a decoy field; the response shows
# what was stored.  Without a response, the field says where the spec is from.
decoy = {"spec": {"hostNetwork": False, "template": {"spec": {
    "hostPID": True,
    "volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock"}}],
    "containers": [{"name": "c", "securityContext": {
        "capabilities": {"add": ["SYS_ADMIN"]}}}]}}}}
stored = {"kind": "Deployment", "apiVersion": "apps/v1",
          "metadata": {"name": "x", "namespace": "default"},
          "spec": {"replicas": 1, "template": {"spec": {
              "hostPID": True,
              "volumes": [{"name": "d", "hostPath": {"path": "/var/run/docker.sock",
                                                     "type": ""}}],
              "containers": [{"name": "c", "image": "busybox",
                              "securityContext": {"capabilities": {
                                  "add": ["SYS_ADMIN"]}}}]}}}}
uri = "/apis/apps/v1/namespaces/default/deployments/x"
_, got = deliver([event("patch", "deployments", uri, req=decoy, resp=stored),
                  event("patch", "deployments", uri, req=decoy)], "decoy patch")
if len(got) == 2:
    k = k8s(got[0])
    t.eq((k.get("host_pid"), k.get("host_paths"), k.get("capabilities_added"),
          k.get("spec_source")),
         (True, "/var/run/docker.sock", "SYS_ADMIN", "response"),
         "decoy patch: pod-spec risks derived from the stored object")
    t.eq(k8s(got[1]).get("spec_source"), "request",
         "patch without a response: k8s.spec_source says request")

# Finding 5: parameter names escaped as Go's net/url decodes them.
uri = ("/api/v1/namespaces/default/pods/x/exec?comm%61nd=sh&comm%61nd=-c&"
       "comm%61nd=id&container=c&stdin=true&stdout=true")
_, got = deliver([event("create", "pods", uri, sub="exec")], "escaped exec")
if got:
    t.eq(k8s(got[0]).get("command"), "sh -c id", "escaped names: k8s.command")

# Finding 9: credentials the plugin lists must not travel in clear.
cm = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}, "data": {
    "sa.json": json.dumps({"type": "service_account", "private_key":
                           "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n"
                           % PLANTED, "client_email": "a@p"}),
    "tls": "-----BEGIN RSA PRIVATE KEY----- %s -----END RSA PRIVATE KEY-----" % PLANTED,
    "gpg": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n%s\n-----END PGP PRIVATE KEY BLOCK-----"
           % PLANTED,
    "db.json": '{"user":"app","password":"%s"}' % PLANTED,
    "db.yaml": "db: {user: app, password: %s}" % PLANTED,
    "DATABASE_URL": "postgres://app:%s@db:5432/app" % PLANTED,
    "config.json": '{"auths":{"r.io":{"auth":"%s"}}}' % PLANTED,
    "probe.txt": "GET / HTTP/1.1\nAuthorization: Bearer %s\n" % PLANTED,
    "color": "red"}}
env_pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x"},
           "spec": {"containers": [{"name": "c", "image": "i", "env": [
               {"name": "MODE", "value": "fast"},
               {"name": "DB_PASSWORD", "value": PLANTED}]}]}}
raw, got = deliver([event("create", "configmaps", "/api/v1/namespaces/default/configmaps",
                          req=cm, resp=cm),
                    event("create", "pods", "/api/v1/namespaces/default/pods",
                          req=env_pod)], "credentials")
t.ok(raw and not any(PLANTED.encode() in g for g in raw),
     "credentials: no planted value in any datagram")
if len(got) == 2:
    listed = set(k8s(got[0]).get("credential_value_keys", "").split(",")) | \
        set(k8s(got[0]).get("credential_keys", "").split(","))
    t.eq(sorted(set(cm["data"]) - {"color"} - listed), [],
         "credentials: every planted key is listed")
    t.eq(got[0]["requestObject"]["data"]["color"], "red", "credentials: the rest stays")
    t.eq(got[1]["requestObject"]["spec"]["containers"][0]["env"][0]["value"], "fast",
         "env: a plain variable stays")

# Finding 9, exec: a password typed on the command line.
uri = ("/api/v1/namespaces/default/pods/x/exec?command=sh&command=-c&"
       "command=mysql+-uroot+-p%s+db&command=PGPASSWORD%%3D%s&container=c" %
       (PLANTED, PLANTED))
raw, got = deliver([event("create", "pods", uri, sub="exec")], "exec password")
t.ok(raw and not any(PLANTED.encode() in g for g in raw),
     "exec password: not in requestURI nor k8s.command")
if got:
    t.ok(k8s(got[0]).get("command", "").startswith("sh -c mysql -uroot -p[REDACTED hmac-sha256:"),
         "exec password: k8s.command keeps the command, marker in place",
         k8s(got[0]).get("command"))

# Finding 10: a client's K8s cannot shadow ours; Secret annotation patches
# and deeply nested last-applied annotations are redacted.
forged = event("create", "pods", "/api/v1/namespaces/default/pods", req=pod)
forged["K8s"] = {"host_pid": False, "privileged": False}
forged["k8s.host_pid"] = False
patch = [{"op": "add", "path": "/metadata/annotations/openshift.io~1token-secret.value",
          "value": PLANTED}]
inner = {"kind": "Secret", "apiVersion": "v1", "stringData": {"k": PLANTED}}
for _ in range(7):
    inner = {"kind": "Widget", "metadata": {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(inner)}}}
raw, got = deliver([forged,
                    event("patch", "secrets", "/api/v1/namespaces/default/secrets/x",
                          req=patch),
                    event("create", "widgets", "/apis/x/v1/widgets", req=inner)],
                   "low findings")
t.ok(raw and not any(PLANTED.encode() in g for g in raw),
     "low findings: no planted value in any datagram")
if got:
    keys = [k for k in got[0] if k.lower() == "k8s" or k.lower().startswith("k8s.")]
    t.eq(keys, ["k8s"], "forged K8s: ours is the only k8s member")
    t.eq((k8s(got[0]).get("host_pid"), k8s(got[0]).get("forged_k8s")), (True, 2),
         "forged K8s: our host_pid, and the forged members counted")

t.eq(pl.close(), 0, "exits 0")
t.eq([e.get("reason") for e in pl.rejects()], [], "nothing set aside")
rx.stop()
wd.cleanup()
t.done()
