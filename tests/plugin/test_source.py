"""k8s.source (issue 21, class 7): the channel an event came by, from
--source, in every event the plugin delivers, by the fast path and by the
reference path alike, so that rules can tell a logger-injected event from
a webhook one.  Without --source there is no such field."""
import json
import subprocess

from harness import PLUGIN, Plugin, Receiver, Tap, Workdir, compact, corpus_events, eventlist

t = Tap()
events = [ev for _, ev in corpus_events() if len(compact(ev)) < 60000][:60]
# A member given twice: the fast path leaves the event to the reference
# path (jansson keeps the last value).
ref = compact(dict(events[0], auditID="reference-1"))
ref = ref.replace('"auditID":', '"level":"Metadata","auditID":', 1)
ref_line = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[%s]}' % ref

def run(extra):
    wd = Workdir()
    rx = Receiver(wd.socket)
    pl = Plugin(wd.path, wd.socket, extra)
    pl.answer()
    a = pl.call(compact(eventlist(events)))
    b = pl.call(ref_line)
    rx.settle()
    pl.close()
    got = [e for _, e in rx.events()]
    rx.stop()
    wd.cleanup()
    return a, b, got


for name in ("logger", "webhook"):
    a, b, got = run(["--source", name])
    t.ok(a == "OK" and b == "OK", "--source %s: lines answered OK" % name)
    t.eq(len(got), len(events) + 1, "--source %s: every event delivered" % name)
    t.ok(all(e.get("k8s", {}).get("source") == name for e in got),
         "--source %s: k8s.source in every event" % name,
         [e.get("auditID") for e in got if e.get("k8s", {}).get("source") != name][:5])
    ref = [e for e in got if e.get("auditID") == "reference-1"]
    t.ok(len(ref) == 1 and ref[0]["k8s"].get("source") == name,
         "--source %s: also by the reference path" % name,
         ref[0]["k8s"] if ref else "not delivered")

a, b, got = run([])
t.ok(got and not any("source" in e.get("k8s", {}) for e in got),
     "no --source: no k8s.source field")

for bad in ("", "two words", "x" * 33, "web\"hook"):
    p = subprocess.run([PLUGIN, "--source", bad], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t.ok(p.returncode == 2 and b"source" in p.stderr,
         "--source %r refused (exit 2, says why)" % bad,
         p.stderr.decode(errors="replace")[:200])
t.done()
