"""Pub/Sub push's OIDC token (issue 23), verified by the patched imhttp
(protocol="pubsub", oidcKeysFile/oidcAudience/oidcEmail,
contrib/imhttp/imhttp-k8s.patch item 11) in a real rsyslogd over real TLS,
the real plugin (--frame pubsub) and a stand-in analysisd.

Keys are made with openssl here, published as a JWKS file the way Google
publishes https://www.googleapis.com/oauth2/v3/certs, and tokens are signed
here with `openssl dgst -sha256 -sign` (RS256, RFC 7515/7518) carrying the
claims "Authentication for push subscriptions" (Pub/Sub documentation)
lists: iss accounts.google.com, aud, email, email_verified, iat, exp.

Each refused request is sent twice: once as headers announcing a 1 MB body
that never comes (the answer must arrive at once: the token was judged
before any of the body was read), once with its body (its entry must not
reach the stand-in)."""
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (RSYSLOGD, TOP_SRCDIR, free_port, make_certs,  # noqa: E402
                 require_pipeline, stop_rsyslogd)
from harness import Receiver, Tap, Workdir  # noqa: E402

t = Tap()
PLUGIN = os.environ.get("PLUGIN")
imhttp = require_pipeline(t, PLUGIN, "Pub/Sub OIDC through rsyslogd")
with open(os.path.join(TOP_SRCDIR, "tests/fixtures/gke/secret-get.json")) as f:
    ENTRY = json.load(f)
AUD = "https://wazuh.example.com/pubsub"
EMAIL = "pubsub-push@demo-project.iam.gserviceaccount.com"
TOKEN = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")

wd = Workdir(prefix="wka-e2e-oidc-")
certs = make_certs(os.path.join(wd.path, "certs"))
os.makedirs(os.path.join(wd.path, "work"))


def b64u(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def genkey(name):
    """(PEM private key path, JWK of its public half) of a new RSA key."""
    path = os.path.join(wd.path, name + ".pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", path], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = subprocess.run(["openssl", "rsa", "-in", path, "-noout", "-modulus"],
                         check=True, stdout=subprocess.PIPE).stdout.decode()
    n = bytes.fromhex(out.strip().split("=", 1)[1])
    return path, {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": name,
                  "n": b64u(n), "e": b64u((65537).to_bytes(3, "big"))}


def sign(key, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                          input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def jwt(key=None, kid="k1", alg="RS256", sig=None, **over):
    """A compact JWS of Google's push claims, `over` replacing or (None)
    removing claims; signed with `key` (default k1's) unless sig given."""
    now = int(time.time())
    claims = {"aud": AUD, "azp": "113774264463038321964", "email": EMAIL,
              "email_verified": True, "iat": now - 5, "exp": now + 3600,
              "iss": "https://accounts.google.com",
              "sub": "113774264463038321964"}
    for k, v in over.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    head = {"alg": alg, "kid": kid, "typ": "JWT"}
    signing = (b64u(json.dumps(head).encode()) + "." +
               b64u(json.dumps(claims).encode())).encode()
    if sig is None:
        sig = sign(key or K1, signing)
    return signing.decode() + "." + b64u(sig)


K1, JWK1 = genkey("k1")
K2, JWK2 = genkey("k2")
OTHER, _ = genkey("other")   # not in the keys file
with open(os.path.join(wd.path, "jwks.json"), "w") as f:
    json.dump({"keys": [JWK1, {"kty": "EC", "crv": "P-256", "kid": "ec",
                               "x": "AA", "y": "AA"}, JWK2]}, f)
with open(os.path.join(wd.path, "pubsub.key"), "w") as f:
    f.write(TOKEN + "\n")



def config_error(inp, want, why):
    """rsyslogd -N1 on a config with input `inp` must log `want`."""
    path = os.path.join(wd.path, "check.conf")
    with open(path, "w") as f:
        f.write('module(load="%s" ports="127.0.0.1:0")\n%s\n'
                'action(type="omfile" file="%s/x")\n' % (imhttp, inp, wd.path))
    p = subprocess.run([RSYSLOGD, "-N1", "-f", path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    t.ok(want in p.stdout.decode(errors="replace"), "refused at start: " + why,
         p.stdout.decode(errors="replace")[-600:])


W = wd.path
EP = 'input(type="imhttp" endpoint="/p" '
with open(os.path.join(W, "ec.json"), "w") as f:
    json.dump({"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec", "x": "AA",
                         "y": "AA"}]}, f)
small = os.path.join(W, "small.pem")
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:1024", "-out", small], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
mod = subprocess.run(["openssl", "rsa", "-in", small, "-noout", "-modulus"],
                     check=True, stdout=subprocess.PIPE).stdout.decode()
with open(os.path.join(W, "small.json"), "w") as f:
    json.dump({"keys": [dict(JWK1, kid="small", n=b64u(bytes.fromhex(
        mod.strip().split("=", 1)[1])))]}, f)
config_error(EP + 'protocol="pubsub" oidcKeysFile="%s/jwks.json")' % W,
             "go together", "oidcKeysFile without oidcAudience")
config_error(EP + 'protocol="firehose" accessKeyFile="%s/pubsub.key" '
             'oidcKeysFile="%s/jwks.json" oidcAudience="a")' % (W, W),
             "go together", "OIDC settings on a firehose endpoint")
config_error(EP + 'protocol="pubsub")', "needs accessKeyFile",
             "pubsub with neither token= key nor OIDC keys")
config_error(EP + 'protocol="pubsub" oidcKeysFile="%s/ec.json" '
             'oidcAudience="a")' % W, "holds no RSA signing key",
             "a keys file without an RSA key")
config_error(EP + 'protocol="pubsub" oidcKeysFile="%s/small.json" '
             'oidcAudience="a")' % W, "2048 to 4096 bits", "a 1024-bit key")
config_error(EP + 'protocol="pubsub" oidcKeysFile="%s/none.json" '
             'oidcAudience="a")' % W, "must be a JWKS", "no keys file")

port = free_port()
rx = Receiver(wd.socket)
conf = os.path.join(wd.path, "rsyslog.conf")
root = " --allow-root" if os.geteuid() == 0 else ""
with open(conf, "w") as f:
    f.write("""\
global(workDirectory="%(wd)s/work" processInternalMessages="on"
       maxMessageSize="1m")
module(load="omprog")
module(load="%(imhttp)s" ports="127.0.0.1:%(port)ds"
       liboptions=["ssl_certificate=%(wd)s/certs/server.pem",
                   "ssl_verify_peer=no", "ssl_protocol_version=4",
                   "tcp_nodelay=1", "enable_keep_alive=yes"])
input(type="imhttp" endpoint="/pubsub" ruleset="pubsub" protocol="pubsub"
      oidcKeysFile="%(wd)s/jwks.json" oidcAudience="%(aud)s"
      oidcEmail="%(email)s")
input(type="imhttp" endpoint="/both" ruleset="pubsub" protocol="pubsub"
      accessKeyFile="%(wd)s/pubsub.key"
      oidcKeysFile="%(wd)s/jwks.json" oidcAudience="%(aud)s")
input(type="imhttp" endpoint="/nokeys" ruleset="pubsub" protocol="pubsub"
      oidcKeysFile="%(wd)s/missing.json" oidcAudience="%(aud)s")
input(type="imhttp" endpoint="/tokennokeys" ruleset="pubsub" protocol="pubsub"
      accessKeyFile="%(wd)s/pubsub.key"
      oidcKeysFile="%(wd)s/missing.json" oidcAudience="%(aud)s")
input(type="imhttp" endpoint="/noaudience" ruleset="pubsub" protocol="pubsub"
      oidcKeysFile="%(wd)s/jwks.json")
template(name="raw" type="string" string="%%rawmsg%%\\n")
ruleset(name="pubsub" queue.type="Disk" queue.filename="pubsub-in"
        queue.spoolDirectory="%(wd)s/work" queue.checkpointInterval="1"
        queue.dequeueBatchSize="1" queue.timeoutEnqueue="1000") {
    action(type="omprog" binary="%(plugin)s --socket %(sock)s --frame pubsub --source pubsub --envelope-cluster --reject-file %(wd)s/rejected.jsonl --spool-dir %(wd)s/spool --key-file %(wd)s/hmac.key --state-file %(wd)s/state --stats-interval 0 --max-eps 0%(root)s"
           template="raw" confirmMessages="on" forceSingleInstance="on"
           output="%(wd)s/plugin.log" queue.type="Direct"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
*.* action(type="omfile" file="%(wd)s/internal.log")
""" % {"wd": wd.path, "imhttp": imhttp, "port": port, "plugin": PLUGIN,
       "sock": wd.socket, "root": root, "aud": AUD, "email": EMAIL})
proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i",
                         os.path.join(wd.path, "rsyslogd.pid")],
                        stdout=open(os.path.join(wd.path, "out.log"), "ab"),
                        stderr=subprocess.STDOUT)
CTX = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))


def body(insert_id):
    entry = dict(ENTRY, insertId=insert_id)
    return json.dumps({"message": {
        "data": base64.b64encode(json.dumps(entry).encode()).decode(),
        "messageId": "9512538210416441",
        "publishTime": "2026-11-30T10:00:02.001Z"},
        "subscription": "projects/demo-project/subscriptions/wazuh"}).encode()


def post(path, auth, data, send_body=True, timeout=10):
    """(status, raw head) of one POST over TLS; with send_body False the
    headers announce 1,000,000 bytes and none is sent."""
    head = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1",
            "Content-Type: application/json",
            "Content-Length: %d" % (len(data) if send_body else 1000000)]
    if auth is not None:
        head.append("Authorization: " + auth)
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + (data if send_body else b"")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            with CTX.wrap_socket(s, server_hostname="localhost") as c:
                c.sendall(raw)
                got = b""
                while b"\r\n\r\n" not in got:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    got += chunk
    except (OSError, ssl.SSLError) as e:
        return 0, str(e)
    try:
        return int(got.split(b" ", 2)[1]), got.decode(errors="replace")
    except (IndexError, ValueError):
        return 0, got.decode(errors="replace")


def refused(why, want, path, auth, bearer=True):
    """A push `auth` must get `want` before its body is read, and with its
    body must not be delivered (its insertId is 'refused-<n>').  bearer:
    refused for its OIDC token (a 401 then says WWW-Authenticate: Bearer)."""
    refused.n += 1
    start = time.time()
    code, head = post(path, auth, b"", send_body=False, timeout=5)
    t.ok(code == want and time.time() - start < 4,
         "%s: %d before any of the body is sent" % (why, want), (code, head))
    if want == 401 and bearer:
        t.ok("WWW-Authenticate: Bearer" in head, "%s: WWW-Authenticate: Bearer"
             % why, head)
    code, head = post(path, auth, body("refused-%d" % refused.n))
    t.eq(code, want, "%s: %d with the body" % (why, want))


refused.n = 0

try:
    end = time.time() + 20
    while time.time() < end and post("/pubsub", None, b"{}")[0] == 0:
        time.sleep(0.2)

    code, head = post("/pubsub", "Bearer " + jwt(), body("good-1"))
    t.eq(code, 200, "a valid token signed by key k1: 200")
    code, head = post("/pubsub", "bearer  " + jwt(key=K2, kid="k2"),
                      body("good-2"))
    t.eq(code, 200, "a valid token signed by k2 (scheme case-insensitive): 200")
    code, head = post("/both?token=" + TOKEN, "Bearer " + jwt(), body("good-3"))
    t.eq(code, 200, "token= and OIDC both configured and both right: 200")

    now = int(time.time())
    refused("no Authorization header", 401, "/pubsub", None)
    refused("Basic credentials", 401, "/pubsub", "Basic dXNlcjpwYXNz")
    refused("expired token", 401, "/pubsub",
            "Bearer " + jwt(iat=now - 7200, exp=now - 3600))
    refused("token issued in the future", 401, "/pubsub",
            "Bearer " + jwt(iat=now + 600, exp=now + 4200))
    refused("token without exp", 401, "/pubsub", "Bearer " + jwt(exp=None))
    refused("signed by a key not in the file, kid k1", 401, "/pubsub",
            "Bearer " + jwt(key=OTHER))
    good = jwt().split(".")
    evil = b64u(json.dumps({"aud": AUD, "email": EMAIL, "email_verified": True,
                            "iat": now, "exp": now + 3600, "iss":
                            "https://accounts.google.com", "x": 1}).encode())
    refused("claims changed after signing", 401, "/pubsub",
            "Bearer " + ".".join([good[0], evil, good[2]]))
    refused("unknown kid", 401, "/pubsub",
            "Bearer " + jwt(key=OTHER, kid="other"))
    refused("kid of a non-RSA key in the file", 401, "/pubsub",
            "Bearer " + jwt(kid="ec"))
    refused("alg none, no signature", 401, "/pubsub",
            "Bearer " + jwt(alg="none", sig=b""))
    pub = subprocess.run(["openssl", "pkey", "-in", K1, "-pubout"], check=True,
                         stdout=subprocess.PIPE).stdout
    signing = jwt(alg="HS256", sig=b"")[:-1]
    hs = signing + "." + b64u(hmac.new(pub, signing.encode(),
                                       hashlib.sha256).digest())
    refused("HS256 keyed with the public key", 401, "/pubsub", "Bearer " + hs)
    refused("another audience", 401, "/pubsub",
            "Bearer " + jwt(aud="https://other.example.com/push"))
    refused("another issuer", 401, "/pubsub",
            "Bearer " + jwt(iss="https://evil.example.com"))
    refused("another service account", 403, "/pubsub",
            "Bearer " + jwt(email="attacker@evil.iam.gserviceaccount.com"))
    refused("email_verified false", 403, "/pubsub",
            "Bearer " + jwt(email_verified=False))
    refused("oversized token (a valid signature over 9 KB of claims)", 401,
            "/pubsub", "Bearer " + jwt(pad="x" * 9000))
    refused("a JWS with four parts", 401, "/pubsub", "Bearer " + jwt() + ".e30")
    refused("token= right but no OIDC token on /both", 401,
            "/both?token=" + TOKEN, None)
    refused("OIDC token right but no token= on /both", 401, "/both",
            "Bearer " + jwt(), bearer=False)

    # rsyslogd starts even when an input's settings are refused: such an
    # endpoint must still refuse everyone
    refused("keys file missing (rsyslogd started anyway)", 401, "/nokeys",
            "Bearer " + jwt())
    refused("keys file missing, token= right", 401,
            "/tokennokeys?token=" + TOKEN, "Bearer " + jwt(), bearer=False)
    refused("no oidcAudience (rsyslogd started anyway)", 401, "/noaudience",
            "Bearer " + jwt())

    end = time.time() + 30
    got = []
    while time.time() < end and len(got) < 3:
        got = [e["auditID"] for _, e in rx.events()]
        time.sleep(0.2)
    time.sleep(1)
    got = sorted(e["auditID"] for _, e in rx.events())
    t.eq(got, ["good-1", "good-2", "good-3"],
         "the three authenticated pushes delivered once, none of the refused")
    with open(os.path.join(wd.path, "internal.log"), errors="replace") as f:
        log = f.read()
    t.ok("token alg is not RS256" in log and "token signature invalid" in log
         and "token email is not oidcEmail" in log,
         "each refusal logged with its reason", log[-2000:])
finally:
    stop_rsyslogd(t, proc, os.path.join(wd.path, "internal.log"))
    rx.stop()
    wd.cleanup()
t.done()
