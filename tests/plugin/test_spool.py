"""Nothing lost at shutdown: a line handed over but not delivered when stdin
closes is saved, delivered first at the next start, and not delivered twice
when rsyslog resends it."""
import os
import re
import time

from harness import Plugin, Receiver, Tap, Workdir, compact, corpus_events, eventlist

t = Tap()
events = [ev for _, ev in corpus_events() if len(compact(ev)) < 60000]
line1 = compact(eventlist(events[:40]))
line2 = compact(eventlist(events[40:60]))
line3 = compact(eventlist(events[60:100]))


def keys(evs):
    return [(e["auditID"], e["stage"], e["requestURI"]) for e in evs]


def spool_files(wd):
    d = os.path.join(wd.path, "spool")
    return sorted(f for f in os.listdir(d) if f.endswith(".line"))


# 1. analysisd down, EOF with line1 held -> spooled.
wd = Workdir()
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "0"])
pl.answer()
ans = pl.call(line1)
t.ok(ans is not None and ans.startswith("error:"), "down: error answer")
t.eq(pl.close(), 0, "EOF with an undelivered line: exits 0")
t.eq(len(spool_files(wd)), 1, "the undelivered line is in the spool")
t.ok("spooled=1" in pl.stderr_text(), "spooled line counted")

# 2. A second run, still down, is handed line2 and stops: both kept, in order.
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "0"])
t.eq(pl.answer(5)[0], "OK", "handshake answered at once despite the spool")
ans = pl.call(line2)
t.ok(ans is not None and ans.startswith("error:"), "still down: error")
pl.close()
t.eq(len(spool_files(wd)), 2, "restart while down: both lines spooled")

# 3. analysisd back: the next line comes after the spooled ones.
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
pl.answer()
t.eq(pl.call(line3), "OK", "new line answered OK")
rx.settle()
t.ok(keys([e for _, e in rx.events()]) ==
     keys(events[:40] + events[40:60] + events[60:100]),
     "spooled lines delivered first, in order, then the new line")
t.eq(spool_files(wd), [], "spool empty once delivered")
# rsyslog resends line1 and line2 (it had kept them): not delivered twice.
n = rx.count()
t.eq(pl.call(line1), "OK", "resent spooled line answered OK")
t.eq(pl.call(line2), "OK", "second resent spooled line answered OK")
rx.settle()
t.eq(rx.count(), n, "resent lines are not delivered twice")
pl.close()
t.ok("duplicates=60" in pl.stderr_text(), "skipped duplicates counted")
rx.stop()
wd.cleanup()

# 4. Progress is kept: 150 of 400 delivered, then EOF; the next start sends
#    only the other 250, with no input from rsyslog at all.
wd = Workdir()
big = (events * 3)[:400]
rx = Receiver(wd.socket, break_after=150)
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "1"])
pl.answer()
pl.call(compact(eventlist(big)), 30)
first = [e for _, e in rx.events()]
pl.close()
t.eq(len(spool_files(wd)), 1, "partly delivered line spooled")
rx2 = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
pl.answer()
t.ok(rx2.wait_count(400 - len(first), 15), "spool drained while idle")
rx2.settle()
rest = [e for _, e in rx2.events()]
pl.close()
# the last process's final stats (both write to the same file)
m = re.findall(r"final stats:.* resent=(\d+)", pl.stderr_text())
r = int(m[-1]) if m else -1
t.ok(r >= 0 and keys(first + rest[r:]) == keys(big), "only the undelivered "
     "%d events sent after the restart, after the %d the dead receiver may "
     "not have read" % (400 - len(first), r))
t.ok(r > 0 and keys(rest[:r]) == keys(first[len(first) - r:]),
     "those %d, saved at EOF (unread file), are the newest it was sent" % r)
t.eq(spool_files(wd), [], "spool empty")
t.ok(not os.path.exists(os.path.join(wd.path, "spool", "unread")),
     "unread file removed once sent again")
rx2.stop()
wd.cleanup()

# 5. rsyslog alternates between two lines while analysisd is away (seen
#    with a real rsyslogd): each is delivered exactly once when it returns.
wd = Workdir()
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "0"])
pl.answer()
for ln in (line1, line2, line1, line2, line1):
    ans = pl.call(ln)
    t.ok(ans is not None and ans.startswith("error:"), "alternating while "
         "down: error answer")
rx = Receiver(wd.socket)
t.eq(pl.call(line2), "OK", "alternating: back, first line OK")
t.eq(pl.call(line1), "OK", "alternating: back, second line OK")
rx.settle()
got = sorted(keys([e for _, e in rx.events()]))
want = sorted(keys(events[:40] + events[40:60]))
t.ok(got == want, "alternating: every event exactly once",
     "got %d events, want %d" % (len(got), len(want)))
t.eq(spool_files(wd), [], "alternating: spool empty")
pl.close()
rx.stop()
wd.cleanup()

# 6. SIGKILL mid-line: rsyslog resends the line to a new process; nothing lost.
wd = Workdir()
rx = Receiver(wd.socket, rcvbuf=4096)
rx.pause()
pl = Plugin(wd.path, wd.socket)
pl.answer()
pl.send(compact(eventlist(big)))
time.sleep(0.5)
pl.kill()
rx.resume()
pl = Plugin(wd.path, wd.socket)
pl.answer()
t.eq(pl.call(compact(eventlist(big)), 30), "OK", "after SIGKILL: resend OK")
rx.settle()
got = set(keys([e for _, e in rx.events()]))
t.ok(got >= set(keys(big)), "after SIGKILL: every event arrived (at least once)")
pl.close()
rx.stop()
wd.cleanup()

t.done()
