#!/usr/bin/env python3
"""Benchmark: what checking Pub/Sub push's OIDC token costs the receiver
(issue 23, contrib/imhttp/imhttp-k8s.patch item 11).

A private rsyslogd with the patched imhttp has two pubsub endpoints, one
checking the token= key, one the OIDC token (RS256, 2048-bit key); its
action writes to /dev/null, so only the receiver is measured.  curl sends
--pushes wrapped pushes of 2 KB over one TLS keep-alive connection to each,
alternating, --runs times; the median run of each is reported: pushes/s and
rsyslogd's CPU time (user+system, /proc) per push.

  bench/pubsub_auth.py --builddir DIR [--pushes N] [--runs R]
"""
import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KEY = "bench0123456789abcdefghijklmnopq"


def b64u(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def cpu_s(pid):
    st = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default=TOP)
    ap.add_argument("--pushes", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("TOP_SRCDIR", TOP)
    os.environ.setdefault("TOP_BUILDDIR", os.path.abspath(args.builddir))
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    import e2e
    so, why = e2e.build_imhttp()
    if so is None:
        raise SystemExit("imhttp: %s" % why)
    w = tempfile.mkdtemp(prefix="wka-bench-oidc-")
    os.makedirs(os.path.join(w, "work"))
    e2e.make_certs(os.path.join(w, "certs"))
    key = os.path.join(w, "k1.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", key], check=True,
                   capture_output=True)
    mod = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"],
                         check=True, capture_output=True).stdout.decode()
    with open(os.path.join(w, "jwks.json"), "w") as f:
        json.dump({"keys": [{"kty": "RSA", "kid": "k1", "e": "AQAB", "n": b64u(
            bytes.fromhex(mod.strip().split("=", 1)[1]))}]}, f)
    with open(os.path.join(w, "push.key"), "w") as f:
        f.write(KEY + "\n")
    now = int(time.time())
    signing = b64u(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode()) \
        + "." + b64u(json.dumps({
            "aud": "https://bench/pubsub", "iss": "https://accounts.google.com",
            "email": "push@p.iam.gserviceaccount.com", "email_verified": True,
            "iat": now, "exp": now + 3600}).encode())
    token = signing + "." + b64u(subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(),
        check=True, capture_output=True).stdout)
    port = e2e.free_port()
    conf = os.path.join(w, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write("""\
global(workDirectory="%(w)s/work" maxMessageSize="1m")
module(load="%(so)s" ports="127.0.0.1:%(port)ds"
       liboptions=["ssl_certificate=%(w)s/certs/server.pem",
                   "ssl_verify_peer=no", "tcp_nodelay=1", "enable_keep_alive=yes"])
input(type="imhttp" endpoint="/oidc" protocol="pubsub"
      oidcKeysFile="%(w)s/jwks.json" oidcAudience="https://bench/pubsub"
      oidcEmail="push@p.iam.gserviceaccount.com")
input(type="imhttp" endpoint="/key" protocol="pubsub" accessKeyFile="%(w)s/push.key")
action(type="omfile" file="/dev/null")
""" % {"w": w, "so": so, "port": port})
    body = os.path.join(w, "body.json")
    with open(body, "w") as f:
        json.dump({"message": {"data": base64.b64encode(b"x" * 1500).decode(),
                               "messageId": "1"}, "subscription": "s"}, f)
    proc = subprocess.Popen(["/usr/sbin/rsyslogd", "-n", "-f", conf, "-i",
                             os.path.join(w, "pid")])
    ways = (("token= key", "/key?token=" + KEY, []),
            ("OIDC token", "/oidc", ["-H", "Authorization: Bearer " + token]))
    res = {name: [] for name, _, _ in ways}
    try:
        time.sleep(2)
        for _ in range(args.runs):
            for name, path, hdr in ways:
                c0, t0 = cpu_s(proc.pid), time.time()
                out = subprocess.run(
                    ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n",
                     "--cacert", os.path.join(w, "certs", "ca.crt"),
                     "--data-binary", "@" + body] + hdr +
                    ["https://127.0.0.1:%d%s" % (port, path)] * args.pushes,
                    capture_output=True).stdout.decode().split()
                dt, cpu = time.time() - t0, cpu_s(proc.pid) - c0
                if out.count("200") != args.pushes:
                    raise SystemExit("%s: %d of %d answered 200" %
                                     (name, out.count("200"), args.pushes))
                res[name].append((args.pushes / dt, cpu / args.pushes * 1e6))
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["rm", "-rf", w])
    for name, runs in res.items():
        print("%-10s %d pushes x %d runs: median %.0f pushes/s, rsyslogd CPU "
              "%.0f us/push" % (name, args.pushes, args.runs,
                                statistics.median(r[0] for r in runs),
                                statistics.median(r[1] for r in runs)))


if __name__ == "__main__":
    main()
