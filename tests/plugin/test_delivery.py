"""Transient failures: analysisd absent, stopped, busy, or dying mid-batch.
Error answers while it is away, keep-alive dots while it is busy, and every
event delivered exactly once in the end."""
import os
import re
import time

from harness import Plugin, Receiver, Tap, Workdir, compact, corpus_events, eventlist

t = Tap()
events = [ev for _, ev in corpus_events() if len(compact(ev)) < 60000]
batch = (events * 3)[:400]
line = compact(eventlist(batch))


def delivered(rx, start=0):
    rx.settle()
    return [ev for _, ev in rx.events()[start:]]


def resent(pl):
    """The final stats' resent counter, or None."""
    m = re.findall(r"final stats:.* resent=(\d+)", pl.stderr_text())
    return int(m[-1]) if m else None


def same_events(got, want):
    return [(e["auditID"], e["stage"], e["requestURI"]) for e in got] == \
        [(e["auditID"], e["stage"], e["requestURI"]) for e in want]


# 1. No socket file (ENOENT), then a socket file nobody listens on
#    (ECONNREFUSED): error answers after --retry-wait; then it comes back.
for kind in ("missing socket file", "stale socket file"):
    wd = Workdir()
    if kind == "stale socket file":
        Receiver(wd.socket).stop(unlink=False)
    pl = Plugin(wd.path, wd.socket, ["--retry-wait", "1"])
    pl.answer()
    t0 = time.time()
    pl.send(line)
    ans, dots = pl.answer(10)
    took = time.time() - t0
    t.ok(ans is not None and ans.startswith("error:"),
         "%s: answered with an error" % kind, ans)
    t.ok(ans is not None and "unavailable" in ans and wd.socket in ans,
         "%s: the error names the socket" % kind, ans)
    t.ok(took >= 0.9, "%s: after the bounded wait (%.1fs)" % (kind, took))
    again = pl.call(line, 10)
    t.ok(again is not None and again.startswith("error:"),
         "%s: a retry fails again while it is away" % kind)
    rx = Receiver(wd.socket)
    t.eq(pl.call(line, 20), "OK", "%s: retry after it returns: OK" % kind)
    t.ok(same_events(delivered(rx), batch),
         "%s: every event delivered once, in order" % kind)
    t.eq(pl.close(), 0, "%s: exits 0" % kind)
    err = pl.stderr_text()
    t.ok("unavailable" in err and "is back" in err,
         "%s: outage and recovery logged" % kind)
    t.ok(err.count("unavailable") == 1, "%s: the outage is logged once" % kind)
    rx.stop()
    wd.cleanup()

# 2. Busy receiver: tiny buffer, slow reader -> keep-alive dots, nothing lost.
wd = Workdir()
rx = Receiver(wd.socket, rcvbuf=4096)
rx.pause()
pl = Plugin(wd.path, wd.socket)
pl.answer()
pl.send(line)
time.sleep(2.5)
rx.resume()
ans, dots = pl.answer(60)
t.eq(ans, "OK", "busy receiver: answered OK once it drains")
t.ok(dots >= 2, "busy receiver: keep-alive dots while waiting (%d)" % dots)
t.ok(same_events(delivered(rx), batch), "busy receiver: nothing lost, no "
     "duplicates")
pl.close()
t.ok("retries=0" not in pl.stderr_text(), "busy receiver: retries counted")
rx.stop()
wd.cleanup()

# 3. analysisd dies after 150 of 400 events: the retry sends only the rest,
#    after what the dead one may not have read.  This stand-in reads what
#    was queued before it goes (a real analysisd loses it: case 5), so each
#    datagram resent shows up twice here, and only those.
wd = Workdir()
rx = Receiver(wd.socket, break_after=150)
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "1"])
pl.answer()
ans = pl.call(line, 30)
t.ok(ans is not None and ans.startswith("error:"),
     "break mid-batch: answered with an error", ans)
first = delivered(rx)
t.ok(150 <= len(first) < 400, "break mid-batch: part delivered (%d)" % len(first))
rx2 = Receiver(wd.socket)
t.eq(pl.call(line, 30), "OK", "break mid-batch: retry answered OK")
rest = delivered(rx2)
pl.close()
r = resent(pl)
t.ok(r is not None and len(first) + len(rest) == 400 + r,
     "break mid-batch: 400 events in all, plus the %s resent" % r)
t.ok(r is not None and same_events(first + rest[r:], batch),
     "break mid-batch: nothing lost, in order, no other duplicate")
t.ok(r is not None and same_events(rest[:r], first[len(first) - r:]),
     "break mid-batch: the resent are the newest the dead one was sent")
rx2.stop()
wd.cleanup()

# 5. analysisd dies with datagrams queued that it never read (as a real
#    one does: its socket queue dies with it): they are sent again to the
#    next one, so every event arrives, here exactly once.
wd = Workdir()
rx = Receiver(wd.socket)
rx.pause()
time.sleep(0.2)                 # its loop has seen the pause
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "1"])
pl.answer()
pl.send(line)
time.sleep(1.0)                 # the plugin fills the socket queue, waits
rx.stop(unlink=False)           # dies: the queued datagrams are gone
ans, _dots = pl.answer(30)
t.ok(ans is not None and ans.startswith("error:"),
     "death with a full queue: answered with an error", ans)
t.eq(rx.count(), 0, "death with a full queue: the dead one read nothing")
rx2 = Receiver(wd.socket)
t.eq(pl.call(line, 30), "OK", "death with a full queue: retry answered OK")
got = delivered(rx2)
pl.close()
r = resent(pl)
t.ok(r is not None and r > 0, "death with a full queue: %s resent" % r)
t.ok(same_events(got, batch),
     "death with a full queue: all 400 delivered once, in order")
rx2.stop()
wd.cleanup()

# 4. --max-eps holds delivery under the ceiling (a lower bound on time only:
#    a slow machine makes it slower, never faster).
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket, ["--max-eps", "100"])
pl.answer()
t0 = time.time()
ans = pl.call(compact(eventlist(batch[:200])), 30)
took = time.time() - t0
t.eq(ans, "OK", "paced: answered OK")
t.ok(took >= 1.8, "paced: 200 events at 100/s take at least 1.8 s (%.2fs)"
     % took)
t.ok(rx.wait_count(200, 10), "paced: all delivered")
pl.close()
rx.stop()
wd.cleanup()

# 6. analysisd dies while the plugin is idle, with datagrams it never read:
#    the plugin notices without any new line (its file is gone or refuses)
#    and sends them again to the next one.
wd = Workdir()
rx = Receiver(wd.socket)
rx.pause()
time.sleep(0.2)                 # its loop has seen the pause
pl = Plugin(wd.path, wd.socket)
pl.answer()
few = batch[:5]
t.eq(pl.call(compact(eventlist(few)), 30), "OK", "idle death: answered OK")
rx.stop()                       # dies unread, its file removed
time.sleep(0.5)                 # the plugin idles
rx2 = Receiver(wd.socket)
t.ok(rx2.wait_count(5, 10), "idle death: the 5 unread sent again to the "
     "next analysisd with no new line (%d arrived)" % rx2.count())
t.ok(same_events(delivered(rx2), few), "idle death: once each, in order")
pl.close()
rx2.stop()
wd.cleanup()

t.done()
