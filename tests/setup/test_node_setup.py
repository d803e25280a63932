"""wazuh-k8s-audit-setup node-cert and node-dropin (issue 22): a node
certificate named after its cluster, signed by the manager's CA; the node
drop-in rendered, checked by rsyslogd -N1, and refused for a certificate of
another cluster. Runs from the source tree in a temporary layout shaped as
the package installs it (the tool's paths come from the environment).
"""
import os
import shutil
import subprocess
import tempfile

from harness import Tap

t = Tap()
TOP = os.environ.get("TOP_SRCDIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
SETUP = os.path.join(TOP, "contrib/setup/wazuh-k8s-audit-setup")
if os.geteuid() != 0:
    t.skip("node setup tests", "need root (the tool refuses otherwise)")
    t.done()

work = tempfile.mkdtemp(prefix="wka-nodesetup-")
etc, lib = os.path.join(work, "etc"), os.path.join(work, "lib")
for src, dst in (("contrib/certs/make-certs.sh", "bin/make-certs.sh"),
                 ("contrib/render-node-dropin.sh", "bin/render-node-dropin.sh"),
                 ("contrib/render-lib.sh", "bin/render-lib.sh"),
                 ("rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in",
                  "rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in"),
                 ("rsyslog.d/node/wazuh-k8s-audit-node.env",
                  "rsyslog.d/node/wazuh-k8s-audit-node.env")):
    os.makedirs(os.path.dirname(os.path.join(lib, dst)), exist_ok=True)
    shutil.copy(os.path.join(TOP, src), os.path.join(lib, dst))
nodeenv = os.path.join(etc, "wazuh-k8s-audit-node.env")
dropin = os.path.join(work, "58-wazuh-k8s-audit-node.conf")
ENV = dict(os.environ, WAZUH_K8S_AUDIT_ETC=etc, WAZUH_K8S_AUDIT_LIB=lib,
           WAZUH_K8S_AUDIT_NODE_ENV=nodeenv,
           WAZUH_K8S_AUDIT_NODE_DROPIN=dropin)


def setup(*args):
    p = subprocess.run([SETUP] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=ENV)
    return p.returncode, p.stdout.decode(errors="replace")


certs = os.path.join(etc, "certs")
rc, out = setup("node-cert", "alpha", "cp-1")
t.ok(rc == 1 and "run 'wazuh-k8s-audit-setup certs' first" in out,
     "node-cert without a CA: a clear error", out)
subprocess.run(["sh", os.path.join(lib, "bin/make-certs.sh"), "-d", certs],
               check=True, stdout=subprocess.DEVNULL)
rc, out = setup("node-cert", "alpha", "cp-1")
t.ok(rc == 0, "node-cert alpha cp-1", out)
crt = os.path.join(certs, "nodes/alpha/cp-1.crt")
key = os.path.join(certs, "nodes/alpha/cp-1.key")
v = subprocess.run(["openssl", "verify", "-CAfile",
                    os.path.join(certs, "ca.crt"), crt],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
t.ok(v.returncode == 0, "the node certificate is signed by the CA",
     v.stdout.decode())
san = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-ext",
                      "subjectAltName"], stdout=subprocess.PIPE).stdout
t.ok(b"DNS:cp-1.alpha.nodes.wazuh-k8s-audit" in san,
     "its name carries node and cluster", san)
t.ok(os.stat(key).st_mode & 0o077 == 0, "its key is private")
rc, out = setup("node-cert", "Alpha;x", "cp-1")
t.ok(rc != 0 and not os.path.exists(os.path.join(certs, "nodes/Alpha;x")),
     "node-cert refuses a cluster name that is not a DNS label", out)

common = ["MANAGER=wazuh.example.org:2514",
          "CA_FILE=" + os.path.join(certs, "ca.crt"), "NODE_CERT=" + crt,
          "NODE_KEY=" + key, "QUEUE_DIR=" + work]
rc, out = setup("node-dropin", "CLUSTER=beta", *common)
t.ok(rc == 1 and "not a certificate of cluster 'beta'" in out
     and not os.path.exists(dropin),
     "node-dropin refuses an alpha certificate for cluster beta", out)
rc, out = setup("node-dropin", "CLUSTER=alpha", *common)
t.ok(rc == 0 and os.path.exists(dropin), "node-dropin for cluster alpha", out)
text = open(dropin).read() if os.path.exists(dropin) else ""
t.ok("--target wazuh.example.org:2514 --name wazuh.example.org " in text and
     "--cert %s " % crt in text and "--key %s " % key in text and
     'useTransactions="on" confirmMessages="on"' in text,
     "the drop-in sends to the manager with the node certificate, "
     "answering rsyslog's transactions once acknowledged")
t.ok("CLUSTER=alpha" in open(nodeenv).read(),
     "the settings given are kept in the node's settings file")
rc, out = setup("node-dropin", "MANAGER=10.0.0.5:2514")
t.ok(rc == 1 and "set MANAGER_NAME" in out,
     "node-dropin refuses a manager address without its certificate name "
     "(the forwarder checks DNS names only)", out)
t.ok("MANAGER=wazuh.example.org:2514" in open(nodeenv).read(),
     "a refused node-dropin leaves the settings as they were")
rc, out = setup("node-dropin", "NO_SUCH=1")
t.ok(rc == 1 and "unknown setting NO_SUCH" in out,
     "node-dropin refuses an unknown setting", out)

shutil.rmtree(work)
t.done()
