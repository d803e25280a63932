#!/usr/bin/env python3
"""Run every case of tests/rules/cases.json through a REAL Wazuh 4.x analysisd.

Each case's events pass through the plugin ($PLUGIN or --plugin) exactly as in production;
each datagram's payload is then sent to analysisd's logtest socket (the protocol
wazuh-logtest uses: 4-byte little-endian length + JSON request, location "k8s"), one
logtest session per case so that frequency/sequence rules see only that case's events.
Every mismatch between the case's expected rule id/level and what analysisd answered is
reported.  The rules and lists under test must be installed on that manager (docs/rules.md).

Then the noise-budget replay (the corpus' benign cases, benign_stream.py's stream and its
repetition scenarios, about 4,400 events, and the shared real-apiserver capture when found) goes through ONE logtest session and, event by event, through the evaluator
(k8srules.Engine) with the same wall clock, so the evaluator's context memory (frequency,
same_field, ignore, lists, ordering) is compared with the real engine's on a long stream.
logtest applies ignore="N" differently from analysisd (docs/rules.md "Alert volume"): a
match inside the window is answered with alert=false where analysisd, and the evaluator,
alert as the parent rule; such events are counted apart, any other difference is a mismatch.

  logtest_check.py [--socket PATH | --prefix DIR] [--plugin PATH] [--cases FILE] [--no-stream]
                   [--location LOC] [-v]

--prefix DIR uses DIR/queue/sockets/logtest (default /var/ossec).  Exit 0: all match;
1: mismatches; 77: no logtest socket (no Wazuh manager here).
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benign_stream  # noqa: E402
import k8srules as K  # noqa: E402
import noise_budget  # noqa: E402


class Logtest:
    def __init__(self, path, location="k8s"):
        self.path = path
        self.location = location

    def _call(self, req):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.path)
        data = json.dumps(req).encode()
        s.sendall(struct.pack("<I", len(data)) + data)
        hdr = self._recv(s, 4)
        size = struct.unpack("<I", hdr)[0]
        body = self._recv(s, size)
        s.close()
        return json.loads(body)

    @staticmethod
    def _recv(s, n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("logtest closed the connection")
            buf += chunk
        return buf

    def process(self, payload, token=None, location=None):
        params = {"event": payload, "log_format": "syslog", "location": location or self.location}
        if token:
            params["token"] = token
        ans = self._call({"version": 1, "command": "log_processing", "parameters": params})
        if ans.get("error"):
            raise RuntimeError("logtest error %s: %s" % (ans.get("error"), ans.get("message")))
        data = ans["data"]
        rule = (data.get("output") or {}).get("rule") or {}
        rid = int(rule["id"]) if "id" in rule else None
        lvl = int(rule["level"]) if "level" in rule else None
        return data.get("token"), rid, lvl, rule.get("description", ""), data

    def close(self, token):
        try:
            self._call({"version": 1, "command": "remove_session", "parameters": {"token": token}})
        except Exception:
            pass


def replay_stream(lt, runner, verbose):
    """Noise-budget stream and repetition scenarios through one logtest session and the
    evaluator; returns mismatches."""
    events = noise_budget.corpus_events() + benign_stream.events() + benign_stream.repetitions()
    capture = noise_budget.capture_path()
    if capture and os.path.isfile(capture):
        with open(capture, encoding="utf-8") as f:
            events += [json.loads(line) for line in f if line.strip()]
        print("stream: with the real-apiserver capture %s" % capture)
    payloads = []
    for i in range(0, len(events), noise_budget.BATCH):
        payloads += [K.split_datagram(d)[1] for d in runner.send_batch(events[i:i + noise_budget.BATCH])]
    eng = K.Engine(K.load_rules(), K.load_lists())
    token = None
    same = ignored = bad = 0
    for i, p in enumerate(payloads):
        token, rid, lvl, desc, data = lt.process(p, token)
        final, ev = eng.process(p, now=int(time.time()))
        got = (final.id, final.level) if final else (None, None)
        if (rid, lvl) == got:
            same += 1
            continue
        rule = eng.rules.get(rid)
        if data.get("alert") is False and rule is not None and rule.ignore_time and final is not None \
                and final.id in rule.if_sid:
            ignored += 1
            if verbose:
                print("ignore-window %d: logtest %s/%s alert=false, evaluator %s/%s" % (i, rid, lvl, got[0], got[1]))
            continue
        bad += 1
        print("MISMATCH stream event %d: analysisd %s/%s (%s), evaluator %s/%s" % (i, rid, lvl, desc, got[0], got[1]))
    if token:
        lt.close(token)
    print("stream: %d events, %d identical, %d differ only by logtest's ignore= handling, %d mismatches"
          % (len(payloads), same, ignored, bad))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket")
    ap.add_argument("--prefix", default=os.environ.get("WAZUH_PREFIX", "/var/ossec"))
    ap.add_argument("--plugin")
    ap.add_argument("--cases", default=os.path.join(K.HERE, "cases.json"))
    ap.add_argument("--json", help="write every answer to this file")
    ap.add_argument("--no-stream", action="store_true", help="skip the noise-budget stream replay")
    ap.add_argument("-v", action="store_true")
    # Events that came through a Wazuh agent: remoted's location (issue 26).
    ap.add_argument("--location", default="k8s",
                    help="location analysisd sees, e.g. '[001] (k8s-agent) any->k8s'")
    a = ap.parse_args()
    path = a.socket or os.path.join(a.prefix, "queue", "sockets", "logtest")
    if not os.path.exists(path):
        print("SKIP: no logtest socket at %s (no Wazuh manager here)" % path)
        return 77
    lt = Logtest(path, a.location)
    cases = K.load_cases(a.cases)
    runner = K.PluginRunner(a.plugin)
    mismatches = 0
    total = 0
    log = []
    try:
        for c in cases:
            payloads = []
            for spec in c["events"]:
                ps = []
                for line in K.event_lines(spec):
                    dg = runner.send(line)
                    ps += [K.split_datagram(d)[1] for d in dg]
                payloads += ps * spec.get("repeat", 1)
            token = None
            results = []
            for p in payloads:
                token, rid, lvl, desc, data = lt.process(p, token)
                results.append((rid, lvl, desc))
                log.append({"case": c["name"], "rule": rid, "level": lvl, "description": desc})
            if token:
                lt.close(token)
            if c.get("kind") == "benign":
                for i, (exp, got) in enumerate(zip(c["expect_each"], results)):
                    total += 1
                    if [got[0], got[1]] != exp:
                        mismatches += 1
                        print("MISMATCH %s event %d: analysisd %s/%s (%s), expected %s/%s"
                              % (c["name"], i, got[0], got[1], got[2], exp[0], exp[1]))
                    elif a.v:
                        print("ok %s event %d: %s/%s %s" % (c["name"], i, got[0], got[1], got[2]))
                if len(results) != len(c["expect_each"]):
                    mismatches += 1
                    print("MISMATCH %s: %d events, %d expectations" % (c["name"], len(results), len(c["expect_each"])))
                continue
            total += 1
            got = results[-1] if results else (None, None, "no datagram")
            exp = (c["expect"]["rule"], c["expect"]["level"])
            if (got[0], got[1]) != exp:
                mismatches += 1
                print("MISMATCH %s: analysisd %s/%s (%s), expected %s/%s"
                      % (c["name"], got[0], got[1], got[2], exp[0], exp[1]))
            elif a.v:
                print("ok %s: %s/%s %s" % (c["name"], got[0], got[1], got[2]))
        if not a.no_stream:
            mismatches += replay_stream(lt, runner, a.v)
    finally:
        runner.close()
    if a.json:
        json.dump(log, open(a.json, "w"), indent=1)
    print("%d of %d expectations match analysisd at %s" % (total - mismatches, total, path))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
