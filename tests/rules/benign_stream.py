"""A deterministic stream of ordinary cluster traffic for the noise budget (noise_budget.py).

No kube-apiserver can run here (its Go modules cannot be fetched), so this generates the
audit Events one would log in 30 minutes of a quiet three-node cluster, shaped like the
corpus' real events (tests/corpus/k8s-audit: kubelet lease updates, controller status
writes, operator reads, OpenShift's mixed log) and like what the project's audit policy
keeps (docs/kubernetes.md: Metadata for reads, RequestResponse for pod-spec writes):

- kubelets of three nodes: Lease renewals every 10 s, node status patches every minute,
  pod status patches, secret/configmap reads for their pods;
- control plane: the apiserver's bootstrap (default ClusterRoleBindings, including
  cluster-admin for system:masters and system:public-info-viewer for anonymous, plus
  FlowSchemas and PriorityClasses), controller-manager and scheduler Lease updates every 2 s,
  scheduler bindings, controllers' status and EndpointSlice writes, Jobs and Pods created
  by the cronjob/job/replicaset controllers, kube-proxy pods created by the DaemonSet
  controller in kube-system (privileged, hostNetwork);
- operators: cert-manager renewing a certificate Secret, CoreDNS watches, an application
  operator (shop:shop-operator) reconciling its ConfigMaps;
- a person (alice) using kubectl at human pace: gets, describes, logs, one apply, one scale;
- a person's scripted read-only use (bob): python-requests polling pods every 2 s for
  10 minutes and curl reading a ConfigMap every 30 s.

events(seed) returns the list of Events (dicts) in time order; the same seed gives the
same stream.  Nothing here is an attack: every alert the rules raise on it is noise.
"""

import datetime
import random

T0 = datetime.datetime(2026, 11, 20, 12, 0, 0, tzinfo=datetime.timezone.utc)
DURATION = 30 * 60
NODES = ["node-a", "node-b", "node-c"]
KUBELET_UA = "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819"
KCM_UA = "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819"
SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:%s", "system:authenticated"]


def _ts(sec):
    t = T0 + datetime.timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _group_of(resource):
    return {"leases": ("coordination.k8s.io", "v1"), "endpointslices": ("discovery.k8s.io", "v1"),
            "replicasets": ("apps", "v1"), "deployments": ("apps", "v1"), "daemonsets": ("apps", "v1"),
            "jobs": ("batch", "v1"), "cronjobs": ("batch", "v1"),
            "certificates": ("cert-manager.io", "v1"),
            "clusterrolebindings": ("rbac.authorization.k8s.io", "v1"),
            "flowschemas": ("flowcontrol.apiserver.k8s.io", "v1"),
            "priorityclasses": ("scheduling.k8s.io", "v1")}.get(resource, ("", "v1"))


class _Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)
        self.out = []
        self.n = 0

    def ev(self, t, user, groups, ua, verb, resource, ns=None, name=None, code=200, sub=None,
           level="Metadata", body=None, ip="10.0.0.10", query=""):
        self.n += 1
        group, ver = _group_of(resource)
        path = ("/apis/%s/%s" % (group, ver)) if group else "/api/v1"
        if ns:
            path += "/namespaces/" + ns
        path += "/" + resource
        if name and verb not in ("create", "list", "watch"):
            path += "/" + name
        if sub:
            path += "/" + sub
        ref = {"resource": resource, "apiVersion": ver}
        if group:
            ref["apiGroup"] = group
        if ns:
            ref["namespace"] = ns
        if name:
            ref["name"] = name
        if sub:
            ref["subresource"] = sub
        e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level,
             "auditID": "bea19000-0000-4000-8000-%012x" % self.n, "stage": "ResponseComplete",
             "requestURI": path + query, "verb": verb,
             "user": {"username": user, "groups": groups}, "sourceIPs": [ip], "userAgent": ua,
             "objectRef": ref, "responseStatus": {"metadata": {}, "code": code}}
        if body is not None:
            e["requestObject"] = body
        ms = self.rnd.randint(2, 40)
        e["requestReceivedTimestamp"] = _ts(t)
        e["stageTimestamp"] = _ts(t + ms / 1000.0)
        e["annotations"] = {"authorization.k8s.io/decision": "forbid" if code == 403 else "allow",
                            "authorization.k8s.io/reason": ""}
        self.out.append((t, self.n, e))


def _pod(ns, name, image, sa="default", **spec):
    s = {"serviceAccountName": sa, "containers": [{"name": name.split("-")[0], "image": image}]}
    s.update(spec)
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": ns}, "spec": s}


def _sa(ns, name):
    return "system:serviceaccount:%s:%s" % (ns, name), [g % ns if "%s" in g else g for g in SA_GROUPS]


def _kubelets(g):
    for i, node in enumerate(NODES):
        user, groups = "system:node:" + node, ["system:nodes", "system:authenticated"]
        ip = "10.0.1.%d" % (11 + i)
        for t in range(i, DURATION, 10):
            g.ev(t + 0.1, user, groups, KUBELET_UA, "update", "leases", "kube-node-lease", node, ip=ip,
                 query="?timeout=10s")
        for t in range(20 + i, DURATION, 60):
            g.ev(t + 0.3, user, groups, KUBELET_UA, "patch", "nodes", None, node, sub="status", ip=ip)
            g.ev(t + 0.5, user, groups, KUBELET_UA, "patch", "pods", "shop", "checkout-7d9c-%s" % node,
                 sub="status", ip=ip)
            g.ev(t + 0.7, user, groups, KUBELET_UA, "get", "secrets", "shop", "checkout-tls", ip=ip)
            g.ev(t + 0.8, user, groups, KUBELET_UA, "get", "configmaps", "kube-system", "kube-root-ca.crt", ip=ip)


def _crb(name, role, subjects):
    return {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                         "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": s} for s in subjects]}


def _bootstrap(g):
    """What the apiserver writes as system:apiserver when it starts on a fresh etcd."""
    ua = "kube-apiserver/v1.29.2 (linux/amd64) kubernetes/4b8e819"
    who = ("system:apiserver", ["system:masters"])
    t = 0.5
    for name, role, subjects in (("cluster-admin", "cluster-admin", ["system:masters"]),
                                 ("system:public-info-viewer", "system:public-info-viewer",
                                  ["system:authenticated", "system:unauthenticated"]),
                                 ("system:discovery", "system:discovery", ["system:authenticated"]),
                                 ("system:basic-user", "system:basic-user", ["system:authenticated"]),
                                 ("system:monitoring", "system:monitoring", ["system:monitoring"])):
        g.ev(t, who[0], who[1], ua, "create", "clusterrolebindings", None, name, code=201,
             level="RequestResponse", body=_crb(name, role, subjects), ip="::1")
        t += 0.05
    for name in ("exempt", "catch-all", "system-leader-election", "workload-leader-election"):
        g.ev(t, who[0], who[1], ua, "create", "flowschemas", None, name, code=201, ip="::1")
        t += 0.05
    for name in ("system-node-critical", "system-cluster-critical"):
        g.ev(t, who[0], who[1], ua, "create", "priorityclasses", None, name, code=201, ip="::1")
        t += 0.05


def _control_plane(g):
    for t in range(0, DURATION, 2):
        g.ev(t + 0.05, "system:kube-controller-manager", ["system:authenticated"], KCM_UA, "update",
             "leases", "kube-system", "kube-controller-manager", query="?timeout=5s")
        g.ev(t + 0.06, "system:kube-scheduler", ["system:authenticated"],
             "kube-scheduler/v1.29.2 (linux/amd64) kubernetes/4b8e819/leader-election", "update",
             "leases", "kube-system", "kube-scheduler", query="?timeout=5s")
    eps, epg = _sa("kube-system", "endpointslice-controller")
    rss, rsg = _sa("kube-system", "replicaset-controller")
    for t in range(3, DURATION, 5):
        g.ev(t + 0.2, eps, epg, KCM_UA + "/system:serviceaccount:kube-system:endpointslice-controller",
             "update", "endpointslices", "shop", "checkout-%05d" % (t % 7), level="Metadata")
    for t in range(7, DURATION, 15):
        g.ev(t + 0.4, rss, rsg, KCM_UA + "/system:serviceaccount:kube-system:replicaset-controller",
             "update", "replicasets", "shop", "checkout-7d9c", sub="status")
    cjs, cjg = _sa("kube-system", "cronjob-controller")
    jbs, jbg = _sa("kube-system", "job-controller")
    for k, t in enumerate(range(60, DURATION, 300)):
        job = "report-%d" % (29000000 + k)
        g.ev(t + 0.1, cjs, cjg, KCM_UA + "/system:serviceaccount:kube-system:cronjob-controller", "create",
             "jobs", "shop", job, code=201, level="RequestResponse",
             body={"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": job, "namespace": "shop"},
                   "spec": {"template": {"spec": {"containers": [
                       {"name": "report", "image": "ghcr.io/example/report:1.4"}], "restartPolicy": "Never"}}}})
        g.ev(t + 0.3, jbs, jbg, KCM_UA + "/system:serviceaccount:kube-system:job-controller", "create",
             "pods", "shop", job + "-x7k2p", code=201, level="RequestResponse",
             body=_pod("shop", job + "-x7k2p", "ghcr.io/example/report:1.4", restartPolicy="Never"))
        g.ev(t + 0.5, "system:kube-scheduler", ["system:authenticated"],
             "kube-scheduler/v1.29.2 (linux/amd64) kubernetes/4b8e819/scheduler", "create", "pods", "shop",
             job + "-x7k2p", sub="binding", code=201)
    dss, dsg = _sa("kube-system", "daemon-set-controller")
    g.ev(900.2, dss, dsg, KCM_UA + "/system:serviceaccount:kube-system:daemon-set-controller", "create",
         "pods", "kube-system", "kube-proxy-q8w2z", code=201, level="RequestResponse",
         body=_pod("kube-system", "kube-proxy-q8w2z", "registry.k8s.io/kube-proxy:v1.29.2", sa="kube-proxy",
                   hostNetwork=True, containers=[{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.29.2",
                                                  "securityContext": {"privileged": True}}],
                   volumes=[{"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                            {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock"}}]))


def _operators(g):
    cms, cmg = _sa("cert-manager", "cert-manager")
    for t in range(11, DURATION, 30):
        g.ev(t + 0.2, cms, cmg, "cert-manager-certificates/v1.14.4 (linux/amd64) cert-manager/2b3a",
             "get", "certificates", "shop", "checkout-tls")
    g.ev(1200.4, cms, cmg, "cert-manager-certificates/v1.14.4 (linux/amd64) cert-manager/2b3a",
         "update", "secrets", "shop", "checkout-tls")
    cds, cdg = _sa("kube-system", "coredns")
    for t in range(13, DURATION, 120):
        g.ev(t + 0.1, cds, cdg, "coredns/v1.11.1 (linux/amd64) kubernetes/4b8e819", "watch",
             "endpointslices", None, None, query="?watch=true")
    ops, opg = _sa("shop", "shop-operator")
    for t in range(17, DURATION, 20):
        g.ev(t + 0.3, ops, opg, "shop-operator/0.9.2", "get", "configmaps", "shop", "shop-settings")
        g.ev(t + 0.4, ops, opg, "shop-operator/0.9.2", "update", "leases", "shop", "shop-operator-leader")
    for t in range(300, DURATION, 600):
        g.ev(t + 0.5, ops, opg, "shop-operator/0.9.2", "update", "configmaps", "shop", "shop-settings")


ALICE = ("alice@example.com", ["system:authenticated", "oidc:platform-team"])
KUBECTL = "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819"


def _alice(g):
    """A person's working session: a kubectl command every 20-60 s, 1-3 requests each."""
    user, groups = ALICE
    t = 120.0
    n = 0
    while t < DURATION - 120:
        n += 1
        pick = g.rnd.random()
        ip = "198.51.100.23"
        if pick < 0.35:
            g.ev(t, user, groups, KUBECTL, "list", "pods", "shop", ip=ip)
        elif pick < 0.55:
            g.ev(t, user, groups, KUBECTL, "get", "pods", "shop", "checkout-7d9c-node-a", ip=ip)
            g.ev(t + 0.2, user, groups, KUBECTL, "list", "events", "shop", ip=ip)
        elif pick < 0.7:
            g.ev(t, user, groups, KUBECTL, "get", "pods", "shop", "checkout-7d9c-node-b", sub="log", ip=ip)
        elif pick < 0.8:
            g.ev(t, user, groups, KUBECTL, "list", "deployments", "shop", ip=ip)
        elif pick < 0.9:
            g.ev(t, user, groups, KUBECTL, "get", "configmaps", "shop", "shop-settings", ip=ip)
        else:
            g.ev(t, user, groups, KUBECTL, "list", "services", "shop", ip=ip)
        t += g.rnd.uniform(20, 60)
    g.ev(700.0, user, groups, KUBECTL, "patch", "deployments", "shop", "checkout", level="RequestResponse",
         body={"spec": {"template": {"spec": {"containers": [
             {"name": "checkout", "image": "registry.k8s.io/e2e-test-images/agnhost:2.45"}]}}}},
         ip="198.51.100.23")
    g.ev(760.0, user, groups, KUBECTL, "patch", "deployments", "shop", "checkout", sub="scale",
         ip="198.51.100.23")


def _bob(g):
    """A person's read-only script: python-requests polling pods, curl reading a ConfigMap."""
    user, groups = "bob@example.com", ["system:authenticated", "oidc:developers"]
    for t in range(400, 400 + 600, 2):
        g.ev(t + 0.5, user, groups, "python-requests/2.31.0", "list", "pods", "shop", ip="198.51.100.42")
    for t in range(300, DURATION - 60, 30):
        g.ev(t + 0.9, user, groups, "curl/8.5.0", "get", "configmaps", "shop", "shop-settings", ip="198.51.100.42")


def _secret_loop(g):
    """A person's shell loop re-reading one Secret every second for 2 minutes
    (`while sleep 1; do kubectl get secret db-credentials -n shop; done`)."""
    user, groups = "carol@example.com", ["system:authenticated", "oidc:developers"]
    for t in range(600, 600 + 120):
        g.ev(t + 0.2, user, groups, KUBECTL, "get", "secrets", "shop", "db-credentials", ip="198.51.100.61")


def _app_secret_poll(g):
    """An application's sidecar re-reading its own Secret every second for 2 minutes with
    python-requests (a scripting client: 110181)."""
    user, groups = _sa("shop", "checkout")
    for t in range(1200, 1200 + 120):
        g.ev(t + 0.4, user, groups, "python-requests/2.31.0", "get", "secrets", "shop", "checkout-db",
             ip="10.0.2.31")


def _forbidden_loop(g):
    """A person's misconfigured client hammering an endpoint it may not read: curl listing the
    Secrets of another namespace twice a second for 2 minutes, every request denied (403)."""
    user, groups = "dave@example.com", ["system:authenticated", "oidc:developers"]
    for k in range(240):
        g.ev(900 + k * 0.5, user, groups, "curl/8.5.0", "list", "secrets", "billing", code=403,
             ip="198.51.100.77")


def repetitions(seed=15):
    """The repetition scenarios (noise_budget.py replays them apart from events()): one
    person's loop re-reading the same Secret, an application polling its Secret with a
    scripting client, another person's client hammering a forbidden endpoint.
    Their burst summaries (level 10) are expected; their volume per minute is what is bounded."""
    g = _Gen(seed)
    for part in (_secret_loop, _app_secret_poll, _forbidden_loop):
        part(g)
    g.out.sort(key=lambda x: (x[0], x[1]))
    return [e for _t, _n, e in g.out]


def events(seed=15):
    g = _Gen(seed)
    for part in (_bootstrap, _kubelets, _control_plane, _operators, _alice, _bob):
        part(g)
    g.out.sort(key=lambda x: (x[0], x[1]))
    return [e for _t, _n, e in g.out]
