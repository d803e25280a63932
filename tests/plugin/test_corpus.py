"""Every corpus document through the plugin: each event arrives exactly once,
JSON-equal to its source; documents that are not audit events are set aside."""
import json
import os

from harness import (Plugin, Receiver, Tap, Workdir, compact, corpus_documents,
                     corpus_events, eventlist, is_audit_event, same_as_source)

t = Tap()
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)

t.eq(pl.answer()[0], "OK", "handshake: OK before the first line")

expected_events = 0
expected_rejects = 0
for name, doc in corpus_documents():
    if isinstance(doc, dict) and doc.get("kind") == "EventList":
        n = len(doc["items"])
    else:
        n = 1
    good = (n if is_audit_event(doc) or (isinstance(doc, dict) and
            doc.get("kind") == "EventList") else 0)
    before = rx.count()
    ans = pl.call(compact(doc))
    t.eq(ans, "OK", "%s: answered OK" % name)
    if good:
        expected_events += good
        rx.wait_count(before + good, 10)
    else:
        expected_rejects += 1

rx.settle()
received = [ev for _, ev in rx.events()]
sources = corpus_events()
rejects = pl.rejects()
set_aside = [json.loads(r["input"]) for r in rejects if "input" in r]


def account(sources, received, set_aside, label):
    """Each source event arrives once, equal to its source, in order, or
    (only when it cannot fit a datagram) is in the reject file: none lost."""
    got = iter(received)
    nxt = next(got, None)
    lost, unequal = [], []
    for src, ev in sources:
        if nxt is not None and nxt.get("auditID") == ev["auditID"] and \
                nxt.get("stage") == ev["stage"] and \
                nxt.get("requestURI") == ev["requestURI"]:
            if not same_as_source(nxt, ev):
                unequal.append(src)
            nxt = next(got, None)
        elif ev not in set_aside:
            lost.append(src)
    t.ok(not lost, "%s: no event lost" % label, lost[:5])
    t.ok(nxt is None, "%s: nothing extra or duplicated arrived" % label)
    t.ok(not unequal, "%s: every event JSON-equal to its source" % label,
         unequal[:5])


account(sources, received, set_aside, "corpus files")
t.ok(all(loc == "k8s" for loc, _ in rx.events()), "location is k8s")
too_big = [r for r in rejects if "does not fit" in r["reason"]]
t.eq(len(rejects) - len(too_big), expected_rejects,
     "non-events set aside, one entry each")
t.ok(any(v == {"kind": 0} for v in set_aside),
     "falco-fal_01_003.json is in the reject file")
t.diag("delivered %d of %d events, %d too big for a datagram" %
       (len(received), len(sources), len(too_big)))

# The whole corpus as batches of up to 400 events in one line each.
events = [ev for _, ev in sources]
batches = [events[i:i + 400] for i in range(0, len(events), 400)]
before = rx.count()
rejected_before = len(rejects)
for b in batches:
    t.eq(pl.call(compact(eventlist(b))), "OK", "batch of %d answered OK" % len(b))
rx.wait_count(before + len(received), 10)
rx.settle()
account(sources, [e for _, e in rx.events()[before:]],
        [json.loads(r["input"]) for r in pl.rejects()[rejected_before:]
         if "input" in r], "batched corpus")

t.eq(pl.close(), 0, "exits 0 at end of input")
t.ok("final stats: lines=" in pl.stderr_text(), "counters written at exit")
rx.stop()
wd.cleanup()
t.done()
