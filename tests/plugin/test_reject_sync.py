"""Set-aside work is bounded per line (issue 21, class 4): a batch whose
items are each set aside costs one fdatasync of the reject file, not one
per item, and every entry is in the file when the line is answered OK.
Counted with strace (the number of calls, not a timing)."""
import json
import os
import re
import shutil
import subprocess

from harness import PLUGIN, Receiver, Tap, Workdir

t = Tap()
ITEMS = 2000

if shutil.which("strace") is None:
    t.skip("fdatasync per line", "strace is not installed")
    t.done()
    raise SystemExit(0)

wd = Workdir()
rej = os.path.join(wd.path, "rejected.jsonl")
trace = os.path.join(wd.path, "strace.out")
args = ["strace", "-f", "-qq", "-e", "trace=fdatasync,fsync", "-o", trace,
        PLUGIN, "--socket", wd.socket, "--reject-file", rej,
        "--spool-dir", os.path.join(wd.path, "spool"),
        "--key-file", os.path.join(wd.path, "hmac.key"),
        "--state-file", os.path.join(wd.path, "analysisd.state"),
        "--stats-interval", "0", "--max-eps", "0",
        # answered means in the file only without --accept-ahead (when it
        # is on, a line after a delivered one is answered once in the
        # spool, set aside just after: tests/plugin/test_accept_ahead.py)
        "--accept-ahead", "off"]
if os.geteuid() == 0:
    args.append("--allow-root")
# Sanitizer builds: LeakSanitizer cannot ptrace a process strace traces.
env = dict(os.environ, ASAN_OPTIONS=":".join(
    x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if x))
proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, env=env)
t.eq(proc.stdout.readline().strip(), b"OK", "handshake")
line = (b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' +
        b",".join([b"1"] * ITEMS) + b"]}\n")
proc.stdin.write(line)
proc.stdin.flush()
t.eq(proc.stdout.readline().strip().lstrip(b"."), b"OK",
     "a batch of %d items that are not events: answered OK" % ITEMS)


def read_entries():
    with open(rej, "rb") as f:
        return [json.loads(x) for x in f]


def items_of(entries):
    """(index, input) of each item the entries stand for, in file order."""
    out = []
    for e in entries:
        n = e.get("items", 1)
        inputs = json.loads(e["inputs"]) if n > 1 else [json.loads(e["input"])]
        if len(inputs) != n:
            return None
        out += zip(range(e["item"], e["item"] + n), inputs)
    return out


entries = read_entries()
t.eq(items_of(entries), [(i, 1) for i in range(ITEMS)],
     "every item is in the file, in order, when the line is answered")
# Consecutive items with one reason share an entry (issue 21, class 4):
# one ~100-byte entry per 2-byte item cost 50x the line in writes.
t.ok(len(entries) <= 10, "the %d items share a few entries (%d)"
     % (ITEMS, len(entries)))

# Scalars the plugin writes back as sent (integers, literals) and those it
# takes through jansson (strings, reals, arrays) in one run, as jansson
# writes them; an event in between ends the run.
mixed = [1, "a", None, True, -7, 1.5, 2.5e10, [2], 0, False]
ev = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
      "auditID": "a-1", "stage": "ResponseComplete", "verb": "get",
      "requestURI": "/api", "user": {"username": "u"}}
rx = Receiver(wd.socket)
proc.stdin.write(json.dumps({"kind": "EventList",
                             "apiVersion": "audit.k8s.io/v1",
                             "items": mixed + [ev, 5, 6]},
                            separators=(",", ":")).encode() + b"\n")
proc.stdin.flush()
t.eq(proc.stdout.readline().strip().lstrip(b"."), b"OK", "a mixed batch: OK")
more = read_entries()[len(entries):]
t.eq(items_of(more), list(enumerate(mixed)) + [(11, 5), (12, 6)],
     "each scalar item with its value, the event's neighbours apart")
t.eq([(e["item"], e.get("items", 1)) for e in more], [(0, 10), (11, 2)],
     "two entries: items 0-9 and 11-12")
t.ok(rx.wait_count(1, 15), "the event between them delivered")
proc.stdin.close()
t.eq(proc.wait(60), 0, "exits 0")
with open(trace) as f:
    calls = [x for x in f if re.search(r"\bfdatasync\(", x)]
t.ok(len(calls) <= 3, "the reject file synced once per line, not per "
     "item (%d fdatasync calls for 2 lines)" % len(calls))
rx.stop()
wd.cleanup()
t.done()
