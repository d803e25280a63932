"""Large audit events for the journald tests, made the same way every time
from a real kube-apiserver event (tests/fixtures/eks/real-apiserver-events.jsonl,
line 26: a RequestResponse `create namespaces`), so that a recording and a
test that replays it agree byte for byte."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "..", "fixtures", "eks", "real-apiserver-events.jsonl")
BASE_LINE = 25


def base_event():
    with open(BASE, "rb") as f:
        return json.loads(f.read().split(b"\n")[BASE_LINE])


def big_event(audit_id, size):
    """One compact JSON line (bytes, no newline) of about `size` bytes: the
    real event with auditID `audit_id` and its requestObject's data grown
    with entries of two-byte UTF-8 text, as Go's encoder writes them (so
    that journald's byte-counted splits fall inside characters)."""
    ev = base_event()
    ev["auditID"] = audit_id
    ro = dict(ev["requestObject"])
    data = {}
    i = 0
    text = "значение-%d " * 40
    while len(json.dumps(data, ensure_ascii=False).encode()) < size:
        for _ in range(200):
            data["key-%06d" % i] = text.replace("%d", str(i))
            i += 1
    ro["data"] = data
    ev["requestObject"] = ro
    return json.dumps(ev, ensure_ascii=False, separators=(",", ":")).encode()
