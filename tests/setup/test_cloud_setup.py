"""wazuh-k8s-audit-setup cloud-endpoint firehose|pubsub (issue 23): an
endpoint of the cloud service turned on with a generated credential (shown
once, root-owned, readable by the service's group), the admin's certificate
and key installed, the configuration rendered and checked by a real
rsyslogd -N1 with the patched imhttp; a check that fails changes nothing;
the OIDC settings rendered as imhttp's oidcKeysFile/oidcAudience/oidcEmail;
`status` shows the endpoints. Runs from the source tree in a temporary
layout shaped as the package installs it (paths from the environment)."""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from e2e import TOP_SRCDIR, make_certs, require_pipeline  # noqa: E402
from harness import Tap  # noqa: E402

t = Tap()
SETUP = os.path.join(TOP_SRCDIR, "contrib/setup/wazuh-k8s-audit-setup")
if os.geteuid() != 0:
    t.skip("cloud-endpoint tests", "need root (the tool refuses otherwise)")
    t.done()
imhttp = require_pipeline(t, os.environ.get("PLUGIN"), "setup cloud-endpoint")

work = tempfile.mkdtemp(prefix="wka-cloudsetup-")
etc, lib = os.path.join(work, "etc"), os.path.join(work, "lib")
for src, dst in (("contrib/render-cloud.sh", "bin/render-cloud.sh"),
                 ("contrib/render-lib.sh", "bin/render-lib.sh"),
                 ("rsyslog.d/cloud/wazuh-k8s-audit-cloud.conf.in",
                  "rsyslog.d/cloud/wazuh-k8s-audit-cloud.conf.in")):
    os.makedirs(os.path.dirname(os.path.join(lib, dst)), exist_ok=True)
    shutil.copy(os.path.join(TOP_SRCDIR, src), os.path.join(lib, dst))
os.makedirs(etc)
cloudenv = os.path.join(etc, "cloud.env")
# the packaged cloud.env: the project's defaults with the module's path
with open(os.path.join(TOP_SRCDIR, "rsyslog.d/cloud/wazuh-k8s-audit-cloud.env")) as f:
    pristine = re.sub(r"(?m)^IMHTTP_MODULE=.*$", "IMHTTP_MODULE=" + imhttp, f.read())
with open(cloudenv, "w") as f:
    f.write(pristine)
shutil.copy(os.path.join(TOP_SRCDIR, "rsyslog.d/wazuh-k8s-audit.env"),
            os.path.join(etc, "wazuh-k8s-audit.env"))
# the service's user: an existing one with a group of the same name
ENV = dict(os.environ, WAZUH_K8S_AUDIT_ETC=etc, WAZUH_K8S_AUDIT_LIB=lib,
           WAZUH_K8S_AUDIT_USER="daemon")


def setup(*args):
    p = subprocess.run([SETUP] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=ENV)
    return p.returncode, p.stdout.decode(errors="replace")


def snapshot():
    """every file under etc/ with its bytes and mode"""
    out = {}
    for d, _, files in os.walk(etc):
        for n in files:
            p = os.path.join(d, n)
            out[p] = (open(p, "rb").read(), os.stat(p).st_mode)
    return out


def env_of(key):
    return re.findall(r"(?m)^%s=(.*)$" % key, open(cloudenv).read())[-1]


certs = make_certs(os.path.join(work, "certs"), "audit.example.org")
other = make_certs(os.path.join(work, "other"), "audit.example.org")
crt, key = os.path.join(certs, "server.crt"), os.path.join(certs, "server.key")
other_key = os.path.join(other, "server.key")

before = snapshot()
rc, out = setup("cloud-endpoint", "firehose")
t.ok(rc == 1 and "give --cert and --key" in out and snapshot() == before,
     "firehose without a certificate: refused, nothing changed", out)
rc, out = setup("cloud-endpoint", "firehose", "--cert", crt, "--key", other_key)
t.ok(rc == 1 and "is not the key of" in out and snapshot() == before,
     "a key that is not the certificate's: refused, nothing changed", out)
with open(cloudenv, "w") as f:
    f.write(pristine.replace("IMHTTP_MODULE=" + imhttp, "IMHTTP_MODULE=" + imhttp + ".missing"))
before_bad = snapshot()
rc, out = setup("cloud-endpoint", "firehose", "--cert", crt, "--key", key)
t.ok(rc == 1 and "rsyslogd -N1 refuses" in out and snapshot() == before_bad and
     not os.path.exists(os.path.join(etc, "cloud", "firehose.key")),
     "rsyslogd -N1 fails (no such imhttp module): nothing changed, no key kept", out)
with open(cloudenv, "w") as f:
    f.write(pristine)

rc, out = setup("cloud-endpoint", "firehose", "--cert", crt, "--key", key,
                "--cluster", "prod-eks")
t.ok(rc == 0, "cloud-endpoint firehose", out)
kf = os.path.join(etc, "cloud", "firehose.key")
secret = open(kf).read().strip() if os.path.exists(kf) else ""
t.ok(re.fullmatch(r"[0-9a-f]{64}", secret) is not None,
     "a 256-bit key generated, 64 hex digits")
t.ok(secret and out.count(secret) == 1, "the key printed once", out)
st = os.stat(kf)
t.ok(st.st_uid == 0 and st.st_gid == 1 and st.st_mode & 0o777 == 0o640,
     "its file: root:<service group> 0640", oct(st.st_mode))
d = os.stat(os.path.join(etc, "cloud"))
t.ok(d.st_uid == 0 and d.st_gid == 1 and d.st_mode & 0o777 == 0o750,
     "its directory: root:<service group> 0750", oct(d.st_mode))
pem = os.path.join(etc, "cloud", "server.pem")
t.ok(os.path.exists(pem) and open(pem).read() == open(key).read() + open(crt).read()
     and os.stat(pem).st_mode & 0o777 == 0o640,
     "server.pem: the admin's key then certificate (with its chain), 0640")
t.ok(env_of("FIREHOSE_PATH") == "/firehose" and env_of("FIREHOSE_CLUSTER") == "prod-eks"
     and env_of("FIREHOSE_KEY_FILE") == kf and env_of("SERVER_PEM") == pem
     and env_of("PUBSUB_PATH") == "",
     "cloud.env: the Firehose endpoint on, Pub/Sub still off")
t.eq(sorted(n for n in os.listdir(os.path.join(etc, "cloud")) if n.startswith(".")), [],
     "no temporary file left")

rc, out = setup("cloud-endpoint", "firehose")
t.ok(rc == 0 and open(kf).read().strip() == secret and secret not in out
     and "unchanged" in out, "run again: the key kept and not shown again", out)
rc, out = setup("cloud-endpoint", "firehose", "--new-key")
new = open(kf).read().strip()
t.ok(rc == 0 and new != secret and out.count(new) == 1, "--new-key: a new key, shown once", out)

rc, out = setup("cloud-endpoint", "pubsub", "--path", "/gke-push")
tok = open(os.path.join(etc, "cloud", "pubsub.key")).read().strip()
t.ok(rc == 0 and "https://<this host's public name>/gke-push?token=<it>" in out
     and out.count(tok) == 1 and env_of("PUBSUB_PATH") == "/gke-push",
     "cloud-endpoint pubsub: a token for the push URL, the certificate kept", out)

def rsa_jwks(path):
    """a JWKS of one fresh 2048-bit RSA key, as Google publishes its keys"""
    pem = subprocess.run(["openssl", "genrsa", "2048"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout
    hexn = subprocess.run(["openssl", "rsa", "-noout", "-modulus"], input=pem,
                          stdout=subprocess.PIPE, check=True).stdout.decode()
    n = bytes.fromhex(hexn.strip().split("=", 1)[1])
    b64 = base64.urlsafe_b64encode(n).decode().rstrip("=")
    with open(path, "w") as f:
        json.dump({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256",
                             "use": "sig", "n": b64, "e": "AQAB"}]}, f)


jwks = os.path.join(work, "google.jwks")
rsa_jwks(jwks)
rc, out = setup("cloud-endpoint", "pubsub", "--oidc-keys", jwks, "--oidc-audience",
                "https://audit.example.org/gke-push")
t.ok(rc == 1 and "go together" in out, "--oidc-keys without --oidc-email: refused", out)
# A keys file imhttp cannot use (no RSA key of 2048 bits or more): its
# -N1 check refuses, and nothing changes.
bad = os.path.join(work, "bad.jwks")
with open(bad, "w") as f:
    f.write('{"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "n": "AQAB", "e": "AQAB"}]}\n')
envsnap = open(cloudenv).read()
rc, out = setup("cloud-endpoint", "pubsub", "--oidc-keys", bad, "--oidc-audience",
                "https://audit.example.org/gke-push", "--oidc-email",
                "push@demo.iam.gserviceaccount.com")
t.ok(rc != 0 and "rsyslogd -N1 refuses" in out and open(cloudenv).read() == envsnap,
     "--oidc-keys without a usable RSA key: refused by -N1, nothing changed", out)
rc, out = setup("cloud-endpoint", "pubsub", "--oidc-keys", jwks, "--oidc-audience",
                "https://audit.example.org/gke-push", "--oidc-email",
                "push@demo.iam.gserviceaccount.com")
rendered = subprocess.run(
    ["sh", os.path.join(lib, "bin/render-cloud.sh"), "-e", cloudenv,
     "PUBSUB_KEY_FILE=", "PUBSUB_OIDC_KEYS_FILE=/k.json",
     "PUBSUB_OIDC_AUDIENCE=https://audit.example.org/gke-push",
     "PUBSUB_OIDC_EMAIL=push@demo.iam.gserviceaccount.com"],
    stdout=subprocess.PIPE, text=True).stdout
t.ok('protocol="pubsub" oidcKeysFile="/k.json" oidcAudience="https://audit.example.org/gke-push"'
     ' oidcEmail="push@demo.iam.gserviceaccount.com")' in rendered,
     "the OIDC settings rendered as imhttp's oidcKeysFile, oidcAudience, oidcEmail",
     rendered[-1500:])
t.ok(rc == 0 and env_of("PUBSUB_OIDC_EMAIL") == "push@demo.iam.gserviceaccount.com" and
     env_of("PUBSUB_KEY_FILE") == "" and
     os.path.exists(os.path.join(etc, "cloud", "google-oidc-keys.json")),
     "--oidc-*: the keys installed, cloud.env switched to OIDC", out)

r = subprocess.run([SETUP, "status"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   env=ENV).stdout.decode(errors="replace")
t.ok("ok    cloud endpoint firehose on 0.0.0.0:443/firehose (access key %s)" % kf in r
     and "cloud endpoint pubsub on 0.0.0.0:443/gke-push" in r
     and "cloud certificate %s" % pem in r,
     "status shows both endpoints and the certificate", r)
rc, out = setup("cloud-endpoint", "firehose", "off")
t.ok(rc == 0 and env_of("FIREHOSE_PATH") == "" and os.path.exists(kf),
     "cloud-endpoint firehose off: off, its key kept", out)
shutil.rmtree(work)
t.done()
