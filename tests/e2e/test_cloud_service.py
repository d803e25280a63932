"""The cloud endpoints as the packaged service runs them (issue 23): the
configuration contrib/render-cloud.sh renders from
rsyslog.d/cloud/wazuh-k8s-audit-cloud.env, run by a real rsyslogd with the
patched imhttp, real TLS without client certificates, the real plugin
and a stand-in analysisd.

Checked: the renderer refuses to start with no endpoint on; a server
certificate signed by an intermediate is served with its chain (the
clouds hold only root CAs); a Firehose request (gzip'd CloudWatch Logs
records) and a wrapped Pub/Sub push are delivered, shaped, each with its
k8s.source and k8s.cluster; a wrong access key is answered 401 before any
body byte was sent (the client sends the headers of a 1 MiB body and
nothing more); each endpoint has its own Disk queue and spool."""
import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (RSYSLOGD, TOP_SRCDIR, free_port,  # noqa: E402
                 firehose_request, require_pipeline, stop_rsyslogd)
from harness import Receiver, Tap, Workdir  # noqa: E402

t = Tap()
PLUGIN = os.environ.get("PLUGIN")
imhttp = require_pipeline(t, PLUGIN, "cloud service through rsyslogd")
RENDER = os.path.join(TOP_SRCDIR, "contrib", "render-cloud.sh")
with open(os.path.join(TOP_SRCDIR, "tests/fixtures/eks/real-apiserver-events.jsonl")) as f:
    LINES = [l.rstrip("\n") for l in f if l.strip()][:12]
with open(os.path.join(TOP_SRCDIR, "tests/fixtures/gke/secret-get.json")) as f:
    ENTRY = json.load(f)
KEY = base64.b16encode(os.urandom(32)).decode().lower()
TOKEN = base64.b16encode(os.urandom(32)).decode().lower()


def wrong(secret):
    """secret with its last character changed"""
    return secret[:-1] + ("1" if secret[-1] == "0" else "0")



wd = Workdir(prefix="wka-e2e-cloudsvc-")
w = wd.path


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def chain_certs(d):
    """root CA -> intermediate -> server (127.0.0.1); server.pem as setup
    writes it: key, server certificate, intermediate."""
    os.makedirs(d)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    with open(p("ca.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
    with open(p("srv.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    for n in ("root", "int", "srv"):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", p(n + ".key"))
    openssl("req", "-x509", "-new", "-key", p("root.key"), "-subj", "/CN=test root",
            "-days", "2", "-out", p("root.crt"), "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign")
    for n, signer, ext in (("int", "root", "ca.ext"), ("srv", "int", "srv.ext")):
        openssl("req", "-new", "-key", p(n + ".key"), "-subj", "/CN=" + n,
                "-out", p(n + ".csr"))
        openssl("x509", "-req", "-in", p(n + ".csr"), "-CA", p(signer + ".crt"),
                "-CAkey", p(signer + ".key"), "-CAcreateserial", "-days", "2",
                "-extfile", p(ext), "-out", p(n + ".crt"))
    with open(p("server.pem"), "w") as out:
        for n in ("srv.key", "srv.crt", "int.crt"):
            out.write(open(p(n)).read())
    return p("server.pem"), p("root.crt")


pem, root_ca = chain_certs(os.path.join(w, "certs"))
for name, val in (("firehose.key", KEY), ("pubsub.key", TOKEN)):
    with open(os.path.join(w, name), "w") as f:
        f.write(val + "\n")
    os.chmod(os.path.join(w, name), 0o600)
port = free_port()
rx = Receiver(wd.socket)
conf = os.path.join(w, "rsyslog.conf")
envfile = os.path.join(w, "cloud.env")
with open(os.path.join(TOP_SRCDIR, "rsyslog.d/cloud/wazuh-k8s-audit-cloud.env")) as src:
    with open(envfile, "w") as dst:
        dst.write(src.read())
common = ["LISTEN=127.0.0.1:%d" % port, "IMHTTP_MODULE=" + imhttp,
          "SERVER_PEM=" + pem, "PLUGIN=" + PLUGIN,
          "PLUGIN_ARGS=--stats-interval 0 --max-eps 0" +
          (" --allow-root" if os.geteuid() == 0 else ""),
          "ANALYSISD_SOCKET=" + wd.socket,
          "STATE_FILE=" + os.path.join(w, "analysisd.state"),
          "LOG_DIR=" + os.path.join(w, "log"), "LIB_DIR=" + os.path.join(w, "lib"),
          "FIREHOSE_KEY_FILE=" + os.path.join(w, "firehose.key"),
          "PUBSUB_KEY_FILE=" + os.path.join(w, "pubsub.key")]


def render(*extra):
    return subprocess.run(["sh", RENDER, "-m", "-e", envfile, "-o", conf]
                          + common + list(extra), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


r = render()
t.ok(r.returncode == 1 and "no endpoint is on" in r.stdout and
     not os.path.exists(conf),
     "the packaged settings (no endpoint on): nothing rendered, the service "
     "would not start", r.stdout)
r = render("PUBSUB_PATH=/pubsub", "PUBSUB_KEY_FILE=",
           "PUBSUB_OIDC_AUDIENCE=https://x.example/pubsub")
t.ok(r.returncode == 1 and "go together" in r.stdout,
     "Pub/Sub with part of the OIDC set and no token: refused", r.stdout)
r = render("FIREHOSE_PATH=/firehose", "PUBSUB_PATH=/pubsub")
if not t.ok(r.returncode == 0, "both endpoints rendered", r.stdout):
    t.done()
n1 = subprocess.run([RSYSLOGD, "-N1", "-f", conf], stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True)
t.ok(n1.returncode == 0 and "error" not in n1.stdout.lower(),
     "rsyslogd -N1 accepts the rendered configuration, no error line", n1.stdout)
proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i", os.path.join(w, "pid")],
                        stdout=open(os.path.join(w, "out.log"), "ab"),
                        stderr=subprocess.STDOUT)
ctx = ssl.create_default_context(cafile=root_ca)


def https(path, body, headers):
    """(status, body bytes) of one POST over TLS checked against the root
    CA alone (so the intermediate must come from the server)."""
    with socket.create_connection(("127.0.0.1", port), 10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            head = "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n" \
                   "Connection: close\r\n" % (path, len(body))
            head += "".join("%s: %s\r\n" % kv for kv in headers) + "\r\n"
            s.sendall(head.encode() + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def firehose_body(lines, rid):
    return firehose_request(lines, rid, "/aws/eks/prod-eks/cluster",
                            "kube-apiserver-audit-0a1b")


def fh_headers(key, rid):
    return [("Content-Type", "application/json"),
            ("X-Amz-Firehose-Protocol-Version", "1.0"),
            ("X-Amz-Firehose-Request-Id", rid),
            ("X-Amz-Firehose-Access-Key", key)]


try:
    up = False
    end = time.time() + 20
    while time.time() < end and not up:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            up = True
        except OSError:
            time.sleep(0.2)
    t.ok(up, "the rendered service listens")

    # the wrong key, and no body at all behind headers announcing 1 MiB
    with socket.create_connection(("127.0.0.1", port), 10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            t.ok(len(s.getpeercert(binary_form=False) or {}) > 0,
                 "TLS verified against the root CA alone: the chain was served")
            head = "POST /firehose HTTP/1.1\r\nHost: localhost\r\n" \
                   "Content-Length: 1048576\r\n" + "".join(
                       "%s: %s\r\n" % kv for kv in fh_headers(wrong(KEY), "r-bad")) + "\r\n"
            start = time.time()
            s.sendall(head.encode())
            s.settimeout(4)
            try:
                ans = s.recv(65536)
            except socket.timeout:
                ans = b""
            took = time.time() - start
    t.ok(ans.startswith(b"HTTP/1.1 401") and took < 3,
         "wrong access key: 401 before any body byte was sent (%.2f s)" % took, ans[:200])
    body = ans.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in ans else b""
    try:
        j = json.loads(body)
    except ValueError:
        j = {}
    t.ok(j.get("requestId") == "r-bad" and "errorMessage" in j,
         "its answer is Firehose's JSON with the request id and an errorMessage", body)

    rid = "6a2b3c4d-0000-4000-8000-0123456789ab"
    code, body = https("/firehose", firehose_body(LINES, rid), fh_headers(KEY, rid))
    j = json.loads(body) if code == 200 else {}
    t.ok(code == 200 and j.get("requestId") == rid and isinstance(j.get("timestamp"), int),
         "Firehose request with the key: 200 and the JSON answer", (code, body))
    push = json.dumps({"message": {
        "data": base64.b64encode(json.dumps(dict(ENTRY, insertId="svc-1")).encode()).decode(),
        "attributes": {}, "messageId": "1", "publishTime": "2026-12-07T10:00:00Z"},
        "subscription": "projects/demo/subscriptions/wazuh"}).encode()
    code, _ = https("/pubsub?token=" + wrong(TOKEN), push,
                    [("Content-Type", "application/json")])
    t.eq(code, 401, "Pub/Sub push with a wrong token: 401")
    code, _ = https("/pubsub?token=" + TOKEN, push, [("Content-Type", "application/json")])
    t.eq(code, 200, "Pub/Sub push with the token: 200")

    got = []
    end = time.time() + 30
    while time.time() < end and len(got) < len(LINES) + 1:
        got = [e for _, e in rx.events()]
        time.sleep(0.2)
    eks = [e for e in got if e.get("k8s", {}).get("source") == "firehose"]
    gke = [e for e in got if e.get("k8s", {}).get("source") == "pubsub"]
    t.ok(sorted(e["auditID"] for e in eks) ==
         sorted(json.loads(l)["auditID"] for l in LINES),
         "every Event of the Firehose request delivered once", len(eks))
    t.ok(eks and all(e["k8s"].get("cluster") == "prod-eks" for e in eks),
         "k8s.cluster from the log group /aws/eks/prod-eks/cluster")
    t.ok([e["auditID"] for e in gke] == ["svc-1"] and
         gke[0]["k8s"].get("cluster") == "gke-prod",
         "the push delivered once, converted, k8s.cluster from resource.labels",
         [e.get("auditID") for e in gke])
    t.eq(len(got), len(LINES) + 1, "nothing else delivered (no refused request)")
    lib = os.path.join(w, "lib")
    t.ok(os.path.isdir(os.path.join(lib, "spool-firehose")) and
         os.path.isdir(os.path.join(lib, "spool-pubsub")),
         "each endpoint's plugin has its own spool", sorted(os.listdir(lib)))
    qi = sorted(os.listdir(os.path.join(lib, "queue")))
    t.ok(any(q.startswith("wazuh-k8s-audit-firehose") for q in qi) and
         any(q.startswith("wazuh-k8s-audit-pubsub") for q in qi),
         "each endpoint has its own Disk queue", qi)
finally:
    stop_rsyslogd(t, proc, os.path.join(w, "log", "rsyslogd.log"))
    rx.stop()
    wd.cleanup()
t.done()
