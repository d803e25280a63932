"""Bad input is set aside with a reason, answered OK, and never blocks the
queue; one bad item of a batch is set aside alone.  What is set aside is
the parsed line (redacted) when it parses, else only its length and HMAC
(see plugin/deliver/reject.h)."""
import base64
import json

from harness import (Plugin, Receiver, Tap, Workdir, compact, corpus_events,
                     eventlist, reject_input, same_as_source)

t = Tap()
wd = Workdir()
rx = Receiver(wd.socket)
# Each answer is checked against the reject file at once: answered means
# set aside only without --accept-ahead (when it is on, a line after a
# delivered one is answered once in the spool, set aside just after:
# tests/plugin/test_accept_ahead.py).
pl = Plugin(wd.path, wd.socket, ["--max-line", "4096", "--accept-ahead", "off"])
pl.answer()

good = corpus_events()[0][1]
deep = '{"a":' + "[" * 200 + "]" * 200 + "}"
cases = [
    ("not JSON", b"hello world", "invalid JSON"),
    ("truncated JSON", compact(eventlist([good]))[:-7].encode(), "invalid JSON"),
    ("trailing garbage", compact(good).encode() + b" x", "invalid JSON"),
    ("empty line", b"", "invalid JSON"),
    ("JSON scalar", b"42", "invalid JSON"),
    ("invalid UTF-8 outside a string", b'{"verb":\xff}', "invalid JSON"),
    ("not an audit event", b'{"kind":"Pod","apiVersion":"v1"}', "not an audit Event"),
    ("wrong apiVersion", compact(dict(good, apiVersion="v1")).encode(), "apiVersion"),
    ("wrong type: verb", compact(dict(good, verb=7)).encode(), "verb"),
    ("wrong type: user", compact(dict(good, user="bob")).encode(), "user"),
    ("wrong type: objectRef", compact(dict(good, objectRef=[1])).encode(), "objectRef"),
    ("pretty-printed non-event", b'{ "kind" : "Pod" }', "not an audit Event"),
    ("wrong type: annotation value",
     compact(dict(good, annotations={"a": 1})).encode(), "annotation"),
    ("nesting too deep, nothing else", deep.encode(), "auditID"),
    ("empty items", b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}',
     "no items"),
    ("items not an array", b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":{}}',
     "no items array"),
    ("empty array", b"[]", "empty array"),
    ("line over --max-line", compact(eventlist([good] * 10)).encode(), "--max-line"),
]

for i, (name, line, why) in enumerate(cases):
    before = len(pl.rejects())
    t.eq(pl.call(line), "OK", "%s: answered OK" % name)
    entries = pl.rejects()[before:]
    t.eq(len(entries), 1, "%s: one reject entry" % name)
    if entries:
        e = entries[0]
        t.ok(why in e["reason"], "%s: reason says %r" % (name, why), e["reason"])
        try:
            parsed = json.loads(line)
        except ValueError:
            parsed = None
        if "input_hmac" in e:
            t.eq(e.get("length"), len(line),
                 "%s: unparsable: its length and HMAC kept" % name)
            # A scalar root and an over-long line are never parsed.
            t.ok(parsed is None or name in ("JSON scalar",
                                            "line over --max-line"),
                 "%s: only input the plugin does not parse is hashed" % name)
        elif name == "nesting too deep, nothing else":
            # Taken apart down to where the marker stands (issue 21).
            a = json.loads(e["input"])["a"]
            while isinstance(a, list) and len(a) == 1:
                a = a[0]
            t.ok(isinstance(a, str) and a.startswith("[DROPPED "),
                 "%s: the deep part replaced by a marker" % name, a)
        else:
            t.eq(json.loads(reject_input(e)), parsed,
                 "%s: the parsed line kept whole" % name)
        t.ok("time" in e, "%s: entry has a time" % name)
    # Still serving: a good event goes through right after.
    n = rx.count()
    t.eq(pl.call(compact(good)), "OK", "%s: next line still served" % name)
    t.ok(rx.wait_count(n + 1, 5), "%s: next line delivered" % name)

t.ok(not any("input_base64" in e for e in pl.rejects()),
     "no raw bytes are kept")

# One bad item inside a batch: its siblings go through.
items = [corpus_events()[i][1] for i in range(5)]
batch = list(items)
batch[2] = {"kind": "Event", "verb": "get"}
n = rx.count()
before = len(pl.rejects())
t.eq(pl.call(compact(eventlist(batch))), "OK", "batch with a bad item: OK")
rx.wait_count(n + 4, 5)
got = [ev for _, ev in rx.events()[n:]]
t.eq(len(got), 4, "the four good siblings are delivered")
t.ok(len(got) == 4 and all(same_as_source(g, w) for g, w in
                          zip(got, [items[0], items[1], items[3], items[4]])),
     "siblings JSON-equal and in order")
entries = pl.rejects()[before:]
t.eq([e.get("item") for e in entries], [2], "the bad item alone is set aside, "
     "with its index")
t.ok(entries and json.loads(entries[0]["input"]) == batch[2],
     "the bad item is kept as it came")

t.eq(pl.close(), 0, "exits 0")
err = pl.stderr_text()
t.ok("set aside" in err, "a one-line reason goes to stderr")
t.ok("rejected_lines=%d rejected_events=1 " % len(cases) in err,
     "counters count the rejected lines", err[-400:])
rx.stop()
wd.cleanup()

# An auditID quoted in the log is the client's: its control characters are
# written escaped, so it cannot forge a log line of its own (a stats line
# `wazuh-k8s-audit-setup status` would replay) or a terminal escape (issue 21).
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
pl.answer()
forged = "x\x1b[2J\n2026-12-07T10:00:00Z wazuh-k8s-audit info: stats: lines=999999"
bad = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": forged}
t.eq(pl.call(compact(eventlist([bad]))), "OK", "control characters in an auditID: set aside, OK")
t.eq(pl.close(), 0, "control characters in an auditID: exits 0")
err = pl.stderr_text()
t.ok("\x1b" not in err and not any(l.startswith("2026-12-07T10:00:00Z") for l in err.splitlines())
     and "auditID x\\x1b[2J\\x0a2026" in err, "the auditID is logged escaped, on its own line",
     err[-600:])
rx.stop()
wd.cleanup()
t.done()
