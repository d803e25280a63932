#!/usr/bin/env python3
"""Syslog over TLS into the manager (issue 22): imtcp listeners per cluster.

Real parts: a manager rsyslogd running the rendered drop-in with
SYSLOG_LISTEN/SYSLOG_CLUSTERS (imtcp, rsyslog-openssl, Disk queue, the real
plugin with --frame syslog) into a stand-in analysisd socket; a node
rsyslogd forwarding an audit log file (imfile) over omfwd TCP+TLS with
octet-counted RFC 5424 frames and a node certificate; LF-framed senders
written here with Python's ssl (RFC 5424 with BOM, RFC 3164, OpenShift's
ClusterLogForwarder records as its Vector collector writes them). The events
are the real kube-apiserver's lines (shared/real-apiserver beside the clone,
else the project's corpus), each with a unique auditID.

Checks: every event delivered once, as the apiserver wrote it, with
k8s.cluster from the listener and k8s.source syslog; OpenShift's envelope
left out and its audit level kept; a 3 MB event through the node delivered
reduced with k8s.dropped, a message over maxMessageSize never delivered cut
and the next one delivered; after a manager restart what is sent arrives
once (what the restart lost is reported: plain syslog has no
acknowledgement); no client certificate, or one of another cluster,
delivers nothing.
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import check_once, delivered, real_lines, tagged, wait_port  # noqa: E402
from harness import PLUGIN, Receiver, Tap, Workdir  # noqa: E402

TOP = e2e.TOP_SRCDIR
MODDIR = "/usr/lib/x86_64-linux-gnu/rsyslog"
BOM = b"\xef\xbb\xbf"
# Members OpenShift's collector adds to an audit Event (ViaQ data model).
ENVELOPE = ("@timestamp", "timestamp", "hostname", "log_type", "log_source",
            "k8s_audit_level", "openshift_audit_level", "openshift", "tag")


def openshift_record(line, old):
    """What OpenShift's collector sends for kube-apiserver audit line
    `line`: the Event merged into its ViaQ record (cluster-logging-operator,
    viaq pipeline), keys sorted as Vector's serde_json writes them, in an
    RFC 5424 message (app-name and msgid log_source, procid the auditID,
    facility security, severity info). `old`: logging 5's level "default"."""
    ev = json.loads(line)
    rec = dict(ev)
    rec.update({"@timestamp": "2026-12-07T14:00:00.123456Z",
                "timestamp": "2026-12-07T14:00:00.123456Z",
                "hostname": "master-0", "log_type": "audit",
                "log_source": "kubeAPI", "k8s_audit_level": ev["level"],
                "openshift": {"cluster_id":
                              "d24a392b-dd87-4eb8-a1a9-7384423567e3",
                              "sequence": 1765116000123456789,
                              "labels": {"env": "prod"}},
                # what no collector writes, but a record could carry
                "k8s": {"cluster": "beta", "source": "webhook"}})
    if old:
        rec["level"] = "default"
        rec["tag"] = ".k8s-audit.log"
    body = json.dumps(rec, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()
    return b"<110>1 2026-12-07T14:00:00.123Z master-0 kubeAPI %s kubeAPI - " \
        % ev["auditID"].encode() + body


class Sender:
    """A TLS client of a syslog listener, as Python's ssl makes one."""

    def __init__(self, port, certs, cert=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(certs, "ca.crt"))
        if cert:
            ctx.load_cert_chain(os.path.join(certs, cert + ".crt"),
                                os.path.join(certs, cert + ".key"))
        raw = socket.create_connection(("127.0.0.1", port), 10)
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")

    def lf(self, messages):
        """LF framing (RFC 6587 section 3.4.2)."""
        self.s.sendall(b"".join(m + b"\n" for m in messages))

    def octets(self, messages):
        """Octet counting (RFC 6587 section 3.4.1, RFC 5425 section 4.3)."""
        self.s.sendall(b"".join(b"%d %s" % (len(m), m) for m in messages))

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class Node(e2e.Node):
    """A node rsyslogd: imfile on an audit log, omfwd over TCP+TLS with
    octet-counted RFC 5424 (RSYSLOG_SyslogProtocol23Format)."""

    def __init__(self, wd, certs, cert, port, log):
        super().__init__(wd)
        os.makedirs(os.path.join(wd, "work"), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("""\
global(workDirectory="%(wd)s/work" processInternalMessages="on"
       maxMessageSize="4m")
module(load="imfile")
input(type="imfile" file="%(log)s" tag="kube-apiserver-audit"
      ruleset="fwd")
ruleset(name="fwd" queue.type="LinkedList" queue.size="100000") {
    action(type="omfwd" target="127.0.0.1" port="%(port)d" protocol="tcp"
           tcp_framing="octet-counted"
           template="RSYSLOG_SyslogProtocol23Format"
           streamDriver="gtls" streamDriverMode="1"
           streamDriverAuthMode="x509/name"
           streamDriverPermittedPeers="localhost"
           streamDriver.CAFile="%(ca)s"
           streamDriver.CertFile="%(crt)s" streamDriver.KeyFile="%(key)s"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
*.* action(type="omfile" file="%(internal)s")
""" % {"wd": wd, "log": log, "port": port, "internal": self.internal,
                "ca": os.path.join(certs, "ca.crt"),
                "crt": os.path.join(certs, cert + ".crt"),
                "key": os.path.join(certs, cert + ".key")})


def wait_all(recv, prefix, n, timeout, idle=10):
    """Wait for n events of that prefix, at most timeout seconds, or until
    some arrived and none more for idle seconds."""
    e2e.wait_quiet(lambda: len(delivered(recv, prefix)), n, timeout, idle)
    recv.settle(quiet=0.5)
    return delivered(recv, prefix)


def same_as_line(ev, line):
    """The delivered event carries the source line's audit content."""
    src = json.loads(line)
    return all(ev.get(k) == src.get(k) for k in
               ("level", "stage", "verb", "requestURI", "user", "objectRef",
                "sourceIPs"))


def labelled(got, cluster):
    return bool(got) and all(e["k8s"].get("cluster") == cluster and
                             e["k8s"].get("source") == "syslog"
                             for v in got.values() for e in v)


def main():
    t = Tap()
    if not os.path.exists(os.path.join(MODDIR, "lmnsd_gtls.so")) and \
            os.environ.get("CI") != "true":
        t.skip("syslog listener", "rsyslog-gnutls is not installed "
               "(contrib/install-deps.sh)")
        t.done()
    so = e2e.require_pipeline(t, PLUGIN, "syslog pipeline")
    lines, origin = real_lines()
    t.diag("events from %s (%d lines)" % (origin, len(lines)))
    w = Workdir("wka-syslog-")
    d = w.path
    certs = e2e.make_certs(os.path.join(d, "certs"), "localhost", "127.0.0.1")
    e2e.make_node_certs(certs, "alpha:cp-1", "beta:cp-1")
    alpha, beta = "nodes/alpha/cp-1", "nodes/beta/cp-1"
    render = os.path.join(TOP, "contrib", "render-dropin.sh")
    for bad, why in (("SYSLOG_CLUSTERS=Alpha:1", "bad cluster name"),
                     ("SYSLOG_CLUSTERS=", "SYSLOG_CLUSTERS is empty"),
                     ("SYSLOG_CLUSTERS=alpha", "expected NAME:PORT")):
        p = subprocess.run(["sh", render, "SYSLOG_LISTEN=0.0.0.0", bad],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t.ok(p.returncode != 0 and why in p.stderr.decode(),
             "render-dropin refuses %s" % bad, p.stderr.decode())
    recv = Receiver(os.path.join(d, "analysisd.sock"))
    pa, pb = e2e.free_port(), e2e.free_port()
    m = e2e.Rsyslog(os.path.join(d, "m"), so, PLUGIN, recv.path, certs,
                    settings=["SYSLOG_LISTEN=127.0.0.1",
                              "SYSLOG_CLUSTERS=alpha:%d beta:%d" % (pa, pb)])
    ok, out = m.check_config()
    if not t.ok(ok, "manager drop-in with syslog listeners passes "
                "rsyslogd -N1", out):
        t.done()
    logs = os.path.join(d, "audit")
    os.makedirs(logs)
    audit = os.path.join(logs, "audit.log")
    open(audit, "wb").close()
    node = Node(os.path.join(d, "node"), certs, alpha, pa, audit)
    senders = []
    try:
        m.start()
        if not t.ok(wait_port(pa) and wait_port(pb),
                    "the syslog listeners listen", m.internal_log()):
            raise RuntimeError("no syslog listener")

        # 1. a node rsyslogd: imfile -> omfwd, octet-counted RFC 5424, TLS
        node.start()
        n = 600
        with open(audit, "ab") as f:
            f.write(b"".join(l + b"\n" for l in tagged(lines, "node", n)))
        got = wait_all(recv, "node", n, 40)
        check_once(t, got, n, "node rsyslogd, octet-counted RFC 5424")
        t.ok(labelled(got, "alpha"), "node events: k8s.cluster alpha (the "
             "listener) and k8s.source syslog",
             [e["k8s"] for v in list(got.values())[:1] for e in v])
        src = tagged(lines, "node", n)
        t.ok(got and all(same_as_line(v[0], src[int(a.split("-")[1])])
                         for a, v in got.items()),
             "node events carry the apiserver's audit content")

        # 2. LF framing from a Python TLS client: RFC 5424 with a BOM, RFC
        #    3164 with a TAG, OpenShift's records (logging 6 and 5)
        s = Sender(pa, certs, alpha)
        senders.append(s)
        bom = tagged(lines, "bom", 100)
        bsd = tagged(lines, "bsd", 100)
        ocp = tagged(lines, "ocp", 100)
        s.lf([b"<110>1 2026-12-07T14:00:00Z cp-1 kube-apiserver - - - " +
              BOM + l for l in bom])
        s.lf([b"<110>Dec  7 14:00:00 cp-1 kube-apiserver: " + l for l in bsd])
        s.lf([openshift_record(l, i % 2 == 1) for i, l in enumerate(ocp)])
        for prefix, src in (("bom", bom), ("bsd", bsd), ("ocp", ocp)):
            got = wait_all(recv, prefix, len(src), 20)
            check_once(t, got, len(src), "LF-framed %s" % prefix)
            t.ok(labelled(got, "alpha") and
                 all(same_as_line(v[0], src[int(a.split("-")[1])])
                     for a, v in got.items()),
                 "LF-framed %s: the apiserver's content, k8s.cluster alpha, "
                 "k8s.source syslog" % prefix)
        got = delivered(recv, "ocp")
        evs = [e for v in got.values() for e in v]
        left = sorted({k for e in evs for k in e if k in ENVELOPE})
        t.ok(evs and not left, "OpenShift records: the envelope members are "
             "left out (%s)" % left)
        t.ok(evs and all(e["level"] in ("Metadata", "Request",
                                        "RequestResponse", "None")
                         for e in evs),
             "OpenShift records: the audit level, also where logging 5 wrote "
             "level \"default\"")
        t.ok(evs and all(e["k8s"]["cluster"] == "alpha" for e in evs),
             "OpenShift records claiming k8s.cluster beta: labelled alpha")

        # 3. a 3 MB RequestResponse event through the node (an octet-counted
        #    frame 15 times imtcp's default maxFrameSize), then one over
        #    maxMessageSize (12m) by LF, then a small one
        rr = next(json.loads(l) for l in lines
                  if b'"level":"RequestResponse"' in l and
                  b'"requestObject"' in l)
        big = dict(rr, auditID="big-0")
        big["requestObject"] = {"data": {"blob-%d" % i: "y" * 1000
                                         for i in range(3000)}}
        bl = json.dumps(big, separators=(",", ":")).encode()
        with open(audit, "ab") as f:
            f.write(bl + b"\n")
        got = wait_all(recv, "big", 1, 30)
        t.diag("big event: %d bytes" % len(bl))
        t.ok(len(got.get("big-0", [])) == 1, "the 3 MB event is delivered, "
             "once", m.internal_log()[-1500:])
        for e in got.get("big-0", [])[:1]:
            t.ok(e["k8s"].get("dropped") and "requestObject" in
                 e["k8s"]["dropped"], "the 3 MB event is reduced and says so "
                 "in k8s.dropped (%s)" % e["k8s"].get("dropped"))
            t.ok(e["verb"] == big["verb"] and e["user"] == big["user"] and
                 e["k8s"]["cluster"] == "alpha",
                 "the 3 MB event keeps its audit metadata and cluster")
        huge = dict(rr, auditID="huge-0")
        huge["requestObject"] = {"data": {"blob": "z" * (13 << 20)}}
        after = dict(rr, auditID="after-0")
        s.lf([b"<110>1 - cp-1 kube-apiserver - - - " +
              json.dumps(x, separators=(",", ":")).encode()
              for x in (huge, after)])
        got = wait_all(recv, "after", 1, 30)
        t.ok("after-0" in got, "the event after one over maxMessageSize is "
             "delivered")
        t.ok(not delivered(recv, "huge"), "the event over maxMessageSize is "
             "not delivered cut")
        rej = os.path.join(m.log_dir, "rejected.jsonl")
        txt = open(rej, errors="replace").read() if os.path.exists(rej) else ""
        t.ok("invalid JSON" in txt, "the cut message is set aside in "
             "rejected.jsonl", txt[-300:])
        t.ok(all(len(g) <= 65535 for g in recv.datagrams),
             "every datagram fits analysisd's 65,535 bytes")

        # 4. the manager restarted while the node
        #    forwards. Plain syslog has no acknowledgement: what the node
        #    wrote into the dying connection may be lost (stated); what it
        #    sends once the manager is back arrives, and nothing twice.
        def paced(prefix, n):
            with open(audit, "ab") as f:
                for l in tagged(lines, prefix, n):
                    f.write(l + b"\n")
                    f.flush()
                    time.sleep(0.01)
        wr = threading.Thread(target=paced, args=("rst", 300))
        wr.start()
        time.sleep(1.0)
        m.stop()
        m.start()
        wr.join()
        paced("back", 100)
        got = wait_all(recv, "back", 100, 40)
        check_once(t, got, 100, "after a manager restart")
        got = wait_all(recv, "rst", 300, 20, idle=5)
        dup = sum(len(v) - 1 for v in got.values())
        t.diag("manager restarted while the node forwarded: %d of 300 lost "
               "(no acknowledgement in plain syslog)" % (300 - len(got)))
        t.ok(dup == 0, "across the restart nothing arrives twice (%d)" % dup)

        # 5. no client certificate; a certificate of cluster beta on alpha's
        #    listener: nothing delivered; beta's on beta's: labelled beta
        def attempt(port, cert, prefix, claim):
            evs = tagged(lines, prefix, 5)
            if claim:
                evs = [json.dumps(dict(json.loads(l), k8s={"cluster": claim}),
                                  separators=(",", ":")).encode() for l in evs]
            try:
                c = Sender(port, certs, cert)
                senders.append(c)
                c.lf([b"<110>1 - cp-1 kube-apiserver - - - " + l
                      for l in evs])
                c.s.settimeout(3)
                c.s.recv(1)     # the server's close, or its alert
            except (OSError, ssl.SSLError) as e:
                return "refused: %s" % e
            return "accepted"
        how = attempt(pa, None, "nocert", None)
        t.diag("without a client certificate: %s" % how)
        how = attempt(pa, beta, "evil", "alpha")
        t.diag("beta's certificate on alpha's listener: %s" % how)
        how = attempt(pb, beta, "betaok", "alpha")
        got = wait_all(recv, "betaok", 5, 20)
        t.ok(len(got) == 5 and labelled(got, "beta"), "beta's certificate "
             "on beta's listener: delivered, labelled beta whatever the "
             "events claim", [e["k8s"] for v in got.values() for e in v][:2])
        t.ok(not delivered(recv, "nocert"), "a peer without a client "
             "certificate delivers nothing")
        t.ok(not delivered(recv, "evil"), "a certificate of cluster beta "
             "delivers nothing to alpha's listener")
        t.ok(not any(e["k8s"]["cluster"] == "alpha"
                     for _, e in recv.events()
                     if e.get("auditID", "").startswith(("evil", "betaok"))),
             "no event sent with beta's certificate is labelled alpha")
        refusals = [l for l in m.internal_log().splitlines()
                    if "not permitted" in l]
        for l in refusals:
            t.diag("manager: " + l[l.find("rsyslogd"):][:200])
        t.ok(any("cp-1.beta.nodes.wazuh-k8s-audit" in l for l in refusals),
             "alpha's listener logs the refused certificate name")
        t.ok(any("certificate" in l and "beta" not in l for l in refusals),
             "alpha's listener logs the peer without a certificate")
    except (RuntimeError, OSError) as e:
        t.ok(False, "pipeline ran", repr(e))
    finally:
        for s in senders:
            s.close()
        node.stop()
        m.stop()
        recv.stop()
        if t.failed:
            t.diag("node: " + node.internal_log())
            t.diag("manager: " + m.internal_log())
            for f in sorted(os.listdir(m.log_dir)) if os.path.isdir(
                    m.log_dir) else []:
                if f.startswith("plugin-syslog"):
                    t.diag(f + ": " + open(os.path.join(m.log_dir, f),
                                           errors="replace").read()[-1500:])
        else:
            w.cleanup()
    t.done()


if __name__ == "__main__":
    main()
