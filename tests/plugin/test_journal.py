"""--frame journal (issue 22): the envelopes a real rsyslog imjournal made
of the entries a real journald 252 split (tests/fixtures/journal, recorded
by tests/journal/record_journal.py) through the real plugin.

Real parts: the plugin, its spool, a Unix datagram stand-in. The lines are
the recorded ones, byte for byte: a 3 MB RequestResponse event in 65
pieces (one of them shortened by journald, which strips an entry's
trailing spaces), two 330 KB events whose pieces interleave (stdout and
stderr of one unit), the unit's own log line, lines of spaces at the cuts,
and a line the unit never ended (_LINE_BREAK=eof).

Checks: every event whole or reduced (k8s.dropped), never cut, each once;
the truncated line set aside, not delivered; pieces held across a plugin
stop and a kill -9; a line whose last piece never comes set aside after
10,000 envelopes of other streams; a line past --max-line set aside and
named; an audit line that is no envelope delivered as the webhook's.
"""
import json
import lzma
import os
import sys

from harness import Plugin, Receiver, Tap, Workdir

TOP = os.environ.get("TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(TOP, "tests", "fixtures", "journal")
sys.path.insert(0, os.path.join(TOP, "tests", "journal"))
import bigevent  # noqa: E402

t = Tap()
ENVS = lzma.decompress(open(os.path.join(FIX, "envelopes.jsonl.xz"), "rb").read()).split(b"\n")[:-1]


def env(line):
    return json.loads(line.decode("utf-8", "surrogateescape"))


def lines_of():
    """{auditID, else the first 8 bytes: [its envelope lines]}: the
    recorded pieces grouped into the lines they are parts of (a line of a
    stream ends at a piece that is not line-max)."""
    out, open_ = {}, {}
    for line in ENVS:
        e = env(line)
        if e["stream"] not in open_:
            m = e["msg"]
            i = m.find('"auditID":"')
            open_[e["stream"]] = m[i + 11:m.index('"', i + 11)] if i >= 0 else m[:8]
        out.setdefault(open_[e["stream"]], []).append(line)
        if e["line_break"] != "line-max":
            del open_[e["stream"]]
    return out


S = lines_of()
t.diag("recorded: %d envelopes; lines: %s" % (len(ENVS), ", ".join(
    "%s (%d)" % (k, len(v)) for k, v in S.items())))
BIG = bigevent.big_event("journal-big", 3 << 20)
SRC = json.loads(BIG)


def run(lines, extra=(), spool=None, wd=None):
    """Send lines to a plugin; (answers, delivered events, plugin, wd)."""
    wd = wd or Workdir("wka-journal-")
    rx = Receiver(wd.socket)
    pl = Plugin(wd.path, wd.socket, ["--frame", "journal", "--source", "relp",
                                     "--cluster", "alpha"] + list(extra), spool=spool)
    pl.answer()
    answers = []
    for i in range(0, len(lines), 500):
        chunk = lines[i:i + 500]
        for line in chunk:
            pl.send(line)
        answers += [pl.answer()[0] for _ in chunk]
    rx.settle()
    code = pl.close()
    got = [e for _, e in rx.events()]
    rx.stop()
    return answers, got, pl, wd, code


def ids(got):
    out = {}
    for e in got:
        out[e.get("auditID")] = out.get(e.get("auditID"), 0) + 1
    return out


def check_big(e, what):
    whole = e.get("requestObject") == SRC["requestObject"]
    dropped = "requestObject" in str(e.get("k8s", {}).get("dropped", ""))
    t.ok(whole or dropped, "%s: the 3 MB event whole or its requestObject named in k8s.dropped" % what,
         e.get("k8s"))
    t.ok(all(e.get(k) == SRC[k] for k in ("verb", "user", "objectRef", "stage", "requestURI")),
         "%s: the 3 MB event keeps its audit metadata" % what)


# 1. everything recorded, in the journal's order
answers, got, pl, wd, code = run(ENVS)
t.ok(answers == ["OK"] * len(ENVS), "every envelope answered OK", [a for a in answers if a != "OK"][:3])
n = ids(got)
t.eq(n, {"journal-big": 1, "journal-a": 1, "journal-b": 1},
     "the 3 MB event and both interleaved events delivered once each, nothing else")
for e in got:
    if e.get("auditID") == "journal-big":
        check_big(e, "recorded order")
    t.ok(e["k8s"].get("cluster") == "alpha" and e["k8s"].get("source") == "relp",
         "%s: k8s.cluster and k8s.source from the options" % e.get("auditID"))
rej = pl.rejects()
reasons = [r.get("reason", "") for r in rej]
t.ok(not any(e.get("auditID") == "journal-cut" for e in got) and len(rej) >= 1,
     "the line the unit never ended (_LINE_BREAK=eof) is set aside, not delivered", reasons)
err = pl.stderr_text()
t.ok("trailing spaces journald stripped from its pieces put back" in err,
     "the space journald stripped from a piece of the 3 MB event is put back (logged)")
t.ok("journal_other=" in err and "journal_other=0 " not in err,
     "the unit's own log line counted, not delivered nor set aside",
     [l for l in err.splitlines() if "journal_" in l])
t.ok(code == 0 and not [f for f in os.listdir(pl.spool_dir) if f.endswith(".part")],
     "exit 0, no .part file left")
wd.cleanup()

# 2. pieces held across a plugin stop (EOF, as rsyslogd's restart) and a kill -9
big = S["journal-big"]
wd = Workdir("wka-journal-")
answers, got, pl, wd, _ = run(big[:30], wd=wd)
parts = [f for f in os.listdir(pl.spool_dir) if f.endswith(".part")]
t.ok(answers == ["OK"] * 30 and not got and len(parts) == 1,
     "30 pieces answered, nothing delivered, one .part file in the spool", parts)
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket, ["--frame", "journal", "--cluster", "alpha"])
pl.answer()
a = [pl.call(line) for line in big[30:50]]
pl.kill()
pl = Plugin(wd.path, wd.socket, ["--frame", "journal", "--cluster", "alpha"])
pl.answer()
a += [pl.call(line) for line in big[50:]]
rx.settle()
pl.close()
got = [e for _, e in rx.events()]
rx.stop()
t.ok(a == ["OK"] * (len(big) - 30), "the rest answered by two more processes (one killed -9)")
if t.eq(ids(got), {"journal-big": 1}, "the 3 MB event delivered once after a stop and a kill -9"):
    check_big(got[0], "across restarts")
t.ok("kept from the last run" in pl.stderr_text(), "the start says which pieces it kept")
t.ok(not [f for f in os.listdir(pl.spool_dir) if f.endswith(".part")], "its .part file is gone")
wd.cleanup()

# 2a. a piece written in part (the plugin killed inside its append, the
#     piece never answered, so rsyslog sends it again), and a .part name
#     that is no file: the whole pieces are used, the other is left alone
wd = Workdir("wka-journal-")
answers, got, pl, wd, _ = run(big[:4], wd=wd)
part = [f for f in os.listdir(pl.spool_dir) if f.endswith(".part")][0]
with open(os.path.join(pl.spool_dir, part), "r+b") as f:
    f.truncate(os.path.getsize(os.path.join(pl.spool_dir, part)) - 1000)
os.mkdir(os.path.join(pl.spool_dir, "journal-%s.part" % ("e" * 32)))
answers, got, pl, wd, code = run(big[3:], wd=wd)
t.ok(answers == ["OK"] * (len(big) - 3), "after a damaged .part file: every piece answered")
t.eq(ids(got), {"journal-big": 1}, "the 3 MB event delivered once: the damaged piece "
     "dropped from the file, taken again from rsyslog")
for e in got:
    check_big(e, "after a damaged .part file")
t.ok("cannot read" in pl.stderr_text() and "left where it is" in pl.stderr_text(),
     "a .part name that is no file is logged and left alone, the plugin runs")
wd.cleanup()

# 2b. analysisd away when the last piece comes: the whole line is held,
#     spooled at the stop (its .part file goes), delivered at the next start
wd = Workdir("wka-journal-")
pl = Plugin(wd.path, wd.socket, ["--frame", "journal", "--retry-wait", "0"])
pl.answer()
a = [pl.call(line) for line in big]
pl.close()
spool = os.listdir(pl.spool_dir)
t.ok(a[:-1] == ["OK"] * (len(big) - 1) and a[-1] not in ("OK", None),
     "analysisd away: the pieces answered OK, the last one an error (rsyslog keeps it)", a[-1])
t.ok(not [f for f in spool if f.endswith(".part")] and [f for f in spool if f.endswith(".line")],
     "at the stop the whole line is in the spool, the .part file gone", spool)
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket, ["--frame", "journal"])
pl.answer()
rx.wait_count(1, 30)
rx.settle()
pl.close()
got = [e for _, e in rx.events()]
rx.stop()
t.eq(ids(got), {"journal-big": 1}, "the next start delivers it from the spool, once")
wd.cleanup()

# 3. interleaved, and a line whose last piece never comes
a_lines, b_lines = S["journal-a"], S["journal-b"]
inter = [l for l in ENVS if l in a_lines[:-1] or l in b_lines]
other = env(next(l for l in ENVS if not env(l)["msg"].startswith(("{", "x", " ", "y", "z"))
                 and env(l)["line_break"] == ""))
filler = []
for i in range(10001):
    o = dict(other, msg="I1207 log line %d" % i, stream="f" * 32)
    filler.append(json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode())
answers, got, pl, wd, _ = run(inter + filler)
t.eq(ids(got), {"journal-b": 1}, "b, interleaved with a, delivered whole; nothing of a")
rej = [r.get("reason", "") for r in pl.rejects()]
t.ok(any("its last piece never came" in r and "%d pieces" % (len(a_lines) - 1) in r for r in rej),
     "a, its last piece missing, set aside after 10,000 envelopes of other streams, named", rej[:3])
wd.cleanup()
# the same stream goes on with a new line instead: what it makes is broken
answers, got, pl, wd, _ = run(a_lines[:-1] + S["I1207 10"])
rej = [r.get("reason", "") for r in pl.rejects()]
t.ok(not got and len(rej) == 1 and "invalid JSON" in rej[0],
     "a, its last piece missing, then another line of its stream: set aside as broken JSON, "
     "nothing delivered", rej[:3])
wd.cleanup()

# 4. past --max-line: set aside and named, the others unharmed
answers, got, pl, wd, _ = run(ENVS, ["--max-line", str(1 << 20)])
t.eq(ids(got), {"journal-a": 1, "journal-b": 1}, "--max-line 1 MiB: the 3 MB event not delivered, a and b are")
rej = [r.get("reason", "") for r in pl.rejects()]
t.ok(any("longer than --max-line" in r and "kube-apiserver.service" in r for r in rej),
     "the 3 MB line set aside, named with its unit", rej[:3])
t.ok(not [f for f in os.listdir(pl.spool_dir) if f.endswith(".part")], "no .part file left")
wd.cleanup()

# 5. an audit line that is no envelope: the webhook's way (imfile's lines)
line = json.dumps(dict(SRC, auditID="plain-1", requestObject={}), separators=(",", ":"))
answers, got, pl, wd, _ = run([line])
t.eq(ids(got), {"plain-1": 1}, "a plain audit line on the same listener is delivered")
wd.cleanup()
t.done()
