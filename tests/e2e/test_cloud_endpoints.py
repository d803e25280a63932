"""The cloud endpoints (issue 23), Firehose HTTP endpoint and Pub/Sub push,
through a real rsyslogd with the
patched imhttp (protocol="firehose", contrib/imhttp/imhttp-k8s.patch item
9), real TLS without client certificates (Firehose presents none), the real
plugin (--frame firehose) and a stand-in analysisd.

Checked against "Understand HTTP endpoint delivery request and response
specifications" (Amazon Data Firehose developer guide): the access key in
X-Amz-Firehose-Access-Key, compared before the body is read; every answer a
JSON body {"requestId": <X-Amz-Firehose-Request-Id>, "timestamp": <ms>}, plus
"errorMessage" on failure; Content-Encoding gzip bodies.  Pub/Sub push
(protocol="pubsub", item 10): the secret as the URL's token parameter,
wrapped push bodies of GKE LogEntries (tests/fixtures/gke).

This is the endpoint alone, in a config of its own: the packaged drop-in
does not render it yet (its mTLS webhook listener shares imhttp's one
civetweb server, whose ssl_verify_peer is global; see docs/clouds.md)."""
import base64
import gzip
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (RSYSLOGD, TOP_SRCDIR, free_port, make_certs,  # noqa: E402
                 firehose_request, require_pipeline, stop_rsyslogd)
from harness import Receiver, Tap, Workdir  # noqa: E402

t = Tap()
PLUGIN = os.environ.get("PLUGIN")
imhttp = require_pipeline(t, PLUGIN, "Firehose endpoint through rsyslogd")
with open(os.path.join(TOP_SRCDIR, "tests/fixtures/eks/real-apiserver-events.jsonl")) as f:
    LINES = [l.rstrip("\n") for l in f if l.strip()][:20]
KEY = "k3y-" + base64.b64encode(os.urandom(24)).decode()
TOKEN = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")


def wrong(secret):
    """secret with its last character changed (never equal to it)"""
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


with open(os.path.join(TOP_SRCDIR, "tests/fixtures/gke/secret-get.json")) as f:
    ENTRY = json.load(f)

wd = Workdir(prefix="wka-e2e-firehose-")
certs = make_certs(os.path.join(wd.path, "certs"))
os.makedirs(os.path.join(wd.path, "work"))
with open(os.path.join(wd.path, "access.key"), "w") as f:
    f.write(KEY + "\n")
with open(os.path.join(wd.path, "pubsub.key"), "w") as f:
    f.write(TOKEN + "\n")
port = free_port()
rx = Receiver(wd.socket)
conf = os.path.join(wd.path, "rsyslog.conf")
root = " --allow-root" if os.geteuid() == 0 else ""
with open(conf, "w") as f:
    f.write("""\
global(workDirectory="%(wd)s/work" processInternalMessages="on"
       maxMessageSize="16m")
module(load="omprog")
module(load="%(imhttp)s" ports="127.0.0.1:%(port)ds"
       liboptions=["ssl_certificate=%(wd)s/certs/server.pem",
                   "ssl_verify_peer=no", "ssl_protocol_version=4",
                   "tcp_nodelay=1", "enable_keep_alive=yes"])
input(type="imhttp" endpoint="/firehose" ruleset="firehose"
      protocol="firehose" accessKeyFile="%(wd)s/access.key")
input(type="imhttp" endpoint="/pubsub" ruleset="pubsub"
      protocol="pubsub" accessKeyFile="%(wd)s/pubsub.key")
template(name="raw" type="string" string="%%rawmsg%%\\n")
ruleset(name="pubsub" queue.type="Disk" queue.filename="pubsub-in"
        queue.spoolDirectory="%(wd)s/work" queue.checkpointInterval="1"
        queue.dequeueBatchSize="1" queue.timeoutEnqueue="1000") {
    action(type="omprog" binary="%(plugin)s --socket %(sock)s --frame pubsub --source pubsub --envelope-cluster --reject-file %(wd)s/rejected-pubsub.jsonl --spool-dir %(wd)s/spool-pubsub --key-file %(wd)s/hmac.key --state-file %(wd)s/state --stats-interval 0 --max-eps 0%(root)s"
           template="raw" confirmMessages="on" forceSingleInstance="on"
           output="%(wd)s/plugin-pubsub.log" queue.type="Direct"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
ruleset(name="firehose" queue.type="Disk" queue.filename="firehose-in"
        queue.spoolDirectory="%(wd)s/work" queue.checkpointInterval="1"
        queue.dequeueBatchSize="1" queue.timeoutEnqueue="1000") {
    action(type="omprog" binary="%(plugin)s --socket %(sock)s --frame firehose --source firehose --cluster c --envelope-cluster --reject-file %(wd)s/rejected.jsonl --spool-dir %(wd)s/spool --key-file %(wd)s/hmac.key --state-file %(wd)s/state --stats-interval 0 --max-eps 0%(root)s"
           template="raw" confirmMessages="on" forceSingleInstance="on"
           output="%(wd)s/plugin.log" queue.type="Direct"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
*.* action(type="omfile" file="%(wd)s/internal.log")
""" % {"wd": wd.path, "imhttp": imhttp, "port": port, "plugin": PLUGIN,
       "sock": wd.socket, "root": root})
proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i",
                         os.path.join(wd.path, "rsyslogd.pid")],
                        stdout=open(os.path.join(wd.path, "out.log"), "ab"),
                        stderr=subprocess.STDOUT)


def post(body, key=KEY, rid="ed4acda5-034f-9f42-bba1-f29aea6d7d8f", gz=False):
    """(HTTP status, JSON answer or raw bytes) of one Firehose-shaped POST."""
    data = gzip.compress(body) if gz else body
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time",
            "30", "--cacert", os.path.join(certs, "ca.crt"),
            "-H", "Content-Type: application/json",
            "-H", "X-Amz-Firehose-Protocol-Version: 1.0",
            "-H", "X-Amz-Firehose-Request-Id: " + rid,
            "-H", "X-Amz-Firehose-Source-Arn: arn:aws:firehose:us-east-1:"
            "123456789012:deliverystream/eks-audit",
            "--data-binary", "@-",
            "https://127.0.0.1:%d/firehose" % port]
    if key is not None:
        args[-3:-3] = ["-H", "X-Amz-Firehose-Access-Key: " + key]
    if gz:
        args[-3:-3] = ["-H", "Content-Encoding: gzip"]
    p = subprocess.run(args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    out, _, code = p.stdout.rpartition(b"\n")
    try:
        return int(code), json.loads(out)
    except ValueError:
        return int(code or 0), out


def push(entry, query, indent=None):
    """(HTTP status, body) of a wrapped Pub/Sub push to /pubsub?<query>;
    pretty-printed with `indent` and CRLF line ends when it is given."""
    body = json.dumps({"message": {
        "data": base64.b64encode(json.dumps(entry).encode()).decode(),
        "attributes": {"logging.googleapis.com/timestamp": entry["timestamp"]},
        "messageId": "9512538210416441",
        "publishTime": "2026-11-30T10:00:02.001Z"},
        "subscription": "projects/demo-project/subscriptions/wazuh"},
        indent=indent).encode()
    if indent is not None:
        body = body.replace(b"\n", b"\r\n")
    p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                        "--max-time", "30", "--cacert",
                        os.path.join(certs, "ca.crt"), "-H",
                        "Content-Type: application/json", "--data-binary", "@-",
                        "https://127.0.0.1:%d/pubsub%s" % (port, query)],
                       input=body, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return int(p.stdout or 0)


def request(lines, rid, indent=None):
    return firehose_request(lines, rid, "/aws/eks/prod-1/cluster",
                            "kube-apiserver-audit-1", indent)


def answer_ok(ans, rid, error):
    """The answer's fields as the specification lists them."""
    if not isinstance(ans, dict):
        return False
    keys = {"requestId", "timestamp"} | ({"errorMessage"} if error else set())
    return (set(ans) == keys and ans["requestId"] == rid and
            isinstance(ans["timestamp"], int) and
            abs(ans["timestamp"] - time.time() * 1000) < 60000)


try:
    end = time.time() + 20
    while time.time() < end:
        code, _ = post(b"{}", key="x")
        if code:
            break
        time.sleep(0.2)
    code, ans = post(request(LINES[:5], "r-nokey"), key=None, rid="r-nokey")
    t.ok(code == 401 and answer_ok(ans, "r-nokey", True),
         "no access key: 401 with requestId, timestamp, errorMessage", (code, ans))
    code, ans = post(request(LINES[:5], "r-bad"), key=wrong(KEY), rid="r-bad")
    t.ok(code == 401 and answer_ok(ans, "r-bad", True),
         "wrong access key: 401", (code, ans))
    code, ans = post(request(LINES[:5], "r-bad"), key=KEY + "x", rid="r-bad")
    t.ok(code == 401, "the key and one more byte: 401", code)
    code, ans = post(b"{}", key=None, rid='x"},"evil":"1')
    t.ok(code == 401 and isinstance(ans, dict) and ans.get("requestId") == "",
         "a request id that is no plain token is not echoed", ans)
    t.eq(rx.count(), 0, "nothing unauthenticated delivered")

    rid = "ed4acda5-034f-9f42-bba1-f29aea6d7d8f"
    code, ans = post(request(LINES[:10], rid), rid=rid)
    t.ok(code == 200 and answer_ok(ans, rid, False),
         "good request: 200 with exactly requestId and timestamp", (code, ans))
    code, ans = post(request(LINES[10:20], "r-gz"), rid="r-gz", gz=True)
    t.ok(code == 200 and answer_ok(ans, "r-gz", False),
         "Content-Encoding gzip body: 200", (code, ans))
    got = []
    end = time.time() + 30
    while time.time() < end and len(got) < 20:
        got = [e for _, e in rx.events()]
        time.sleep(0.2)
    want = [json.loads(l)["auditID"] for l in LINES[:20]]
    t.ok(sorted(e["auditID"] for e in got) == sorted(want),
         "every Event of both requests delivered once", len(got))
    t.ok(all(e["k8s"].get("source") == "firehose" and
             e["k8s"].get("cluster") == "prod-1" for e in got),
         "k8s.source firehose, k8s.cluster from the log group")

    for query, why in (("", "no token"), ("?token=" + wrong(TOKEN),
                                          "wrong token"),
                       ("?token=" + TOKEN + "x", "token and one more byte"),
                       ("?x=" + TOKEN, "the token under another name")):
        t.eq(push(dict(ENTRY, insertId="denied"), query), 401,
             "Pub/Sub push with %s: 401" % why)
    t.eq(push(dict(ENTRY, insertId="gke-1"), "?token=" + TOKEN), 200,
         "Pub/Sub push with the token: 200")
    t.eq(push(dict(ENTRY, insertId="gke-2"), "?a=b&token=" + TOKEN + "&c=d"),
         200, "the token among other parameters: 200")
    end = time.time() + 30
    gke = []
    while time.time() < end and len(gke) < 2:
        gke = [e for _, e in rx.events() if e.get("k8s", {}).get("source") ==
               "pubsub"]
        time.sleep(0.2)
    t.ok(sorted(e["auditID"] for e in gke) == ["gke-1", "gke-2"],
         "the two authenticated pushes delivered, none of the refused",
         [e["auditID"] for e in gke])
    t.ok(all(e["k8s"].get("cluster") == "gke-prod" and e["verb"] == "get"
             for e in gke), "converted: verb get, k8s.cluster gke-prod")

    # Pretty-printed bodies (neither specification promises compact JSON):
    # imhttp item 12 makes each body one message, line breaks and tabs
    # included; without it each line was a message, set aside as not JSON.
    pretty = [json.dumps(dict(json.loads(l), auditID="pretty-%d" % i))
              for i, l in enumerate(LINES[:3])]
    body = request(pretty, "r-pretty", indent=2)
    code, ans = post(body, rid="r-pretty")
    t.ok(code == 200 and answer_ok(ans, "r-pretty", False) and
         body.count(b"\n") > 5, "pretty-printed Firehose request (%d line "
         "feeds): 200" % body.count(b"\n"), (code, ans))
    t.eq(push(dict(ENTRY, insertId="gke-pretty"), "?token=" + TOKEN,
              indent="\t"), 200, "pretty-printed push (tabs, CRLF): 200")
    end = time.time() + 30
    whole = []
    while time.time() < end and len(whole) < 4:
        whole = sorted(e["auditID"] for _, e in rx.events()
                       if e["auditID"] in ("pretty-0", "pretty-1", "pretty-2",
                                           "gke-pretty"))
        time.sleep(0.2)
    rejected = []
    for name in ("rejected.jsonl", "rejected-pubsub.jsonl"):
        path = os.path.join(wd.path, name)
        if os.path.exists(path):
            with open(path) as f:
                rejected += [json.loads(l).get("reason") for l in f]
    t.ok(whole == ["gke-pretty", "pretty-0", "pretty-1", "pretty-2"] and
         not rejected, "both pretty-printed bodies delivered whole, nothing "
         "set aside", (whole, rejected[:3]))
finally:
    stop_rsyslogd(t, proc, os.path.join(wd.path, "internal.log"))
    rx.stop()
    wd.cleanup()
t.done()
