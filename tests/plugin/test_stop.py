"""Stop signals (issue 20): SIGTERM, SIGINT and SIGHUP stop the plugin as
the end of its input does.  The line it holds is saved to the spool, the
final counters are written, the exit status is 0, and the next start
delivers the rest of the line exactly once.  systemd sends SIGTERM to every
process of the unit, omprog sends it before closing stdin (signalOnClose):
before this, the plugin died mid-line and rsyslog handed the whole line
over again (duplicates)."""
import collections
import os
import re
import signal
import time

from harness import Plugin, Receiver, Tap, Workdir, compact, corpus_events, eventlist

t = Tap()
events = [ev for _, ev in corpus_events() if len(compact(ev)) < 60000]
big = (events * 5)[:400]
line = compact(eventlist(big))
# omprog's closeTimeout in our drop-in is 15 s; the unit's TimeoutStopSec 60.
STOP_WITHIN = 10


def keys(evs):
    return [(e["auditID"], e["stage"], e["requestURI"]) for e in evs]


def spool_files(wd):
    d = os.path.join(wd.path, "spool")
    return sorted(f for f in os.listdir(d) if f.endswith(".line"))


def stop(pl, signo):
    """Send signo; the exit status and the seconds it took (None, None if
    it did not exit within STOP_WITHIN)."""
    start = time.time()
    pl.proc.send_signal(signo)
    try:
        rc = pl.proc.wait(STOP_WITHIN)
    except Exception:
        pl.kill()
        return None, None
    pl.stderr.close()
    return rc, time.time() - start


# 1. Idle: each stop signal ends the process at once, status 0, counters out.
for signo in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    name = signal.Signals(signo).name
    wd = Workdir()
    rx = Receiver(wd.socket)
    pl = Plugin(wd.path, wd.socket)
    t.eq(pl.answer()[0], "OK", "%s idle: handshake" % name)
    rc, took = stop(pl, signo)
    t.eq(rc, 0, "%s while idle: exit status 0" % name)
    t.ok(took is not None and took < 2, "%s while idle: stopped at once" % name,
         "took %s s" % took)
    err = pl.stderr_text()
    t.ok("final stats:" in err, "%s while idle: final counters written" % name)
    t.ok("signal %d" % signo in err, "%s while idle: the stop is logged" % name)
    rx.stop()
    wd.cleanup()

# 2. analysisd stalled mid-line (50 events read, then its socket full):
#    SIGTERM -> the line is spooled with its progress, exit 0.  analysisd
#    then restarts and so does the plugin, handed the same line again by
#    rsyslog: every event arrives, and none twice beyond the documented
#    resend of the datagrams analysisd may not have read (docs/plugin.md,
#    "Nothing lost when analysisd dies": at least once for those, by design).
wd = Workdir()
rx = Receiver(wd.socket, rcvbuf=4096, delay=0.005)
pl = Plugin(wd.path, wd.socket)
pl.answer()
pl.send(line)
t.ok(rx.wait_count(50, 20), "mid-line: analysisd read the first 50 events")
rx.pause()                      # ... then stalls
time.sleep(0.5)
rc, took = stop(pl, signal.SIGTERM)
t.eq(rc, 0, "SIGTERM mid-line: exit status 0")
t.ok(took is not None and took < STOP_WITHIN, "SIGTERM mid-line: stopped "
     "within %d s" % STOP_WITHIN, "took %s s" % took)
err = pl.stderr_text()
t.eq(len(spool_files(wd)), 1, "SIGTERM mid-line: the line is in the spool")
t.ok("saved an undelivered line" in err, "SIGTERM mid-line: the save is logged")
t.ok("spooled=1" in err and "final stats:" in err,
     "SIGTERM mid-line: final counters written with spooled=1")
rx.stop()                       # analysisd restarts
first = [e for _, e in rx.events()]
rx2 = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
pl.answer()
t.eq(pl.call(line, 30), "OK", "next start: rsyslog's resend of the line OK")
rx2.settle()
t.eq(pl.close(), 0, "next start: EOF exit status 0")
got = collections.Counter(keys(first + [e for _, e in rx2.events()]))
want = collections.Counter(keys(big))
m = re.findall(r"final stats:.* resent=(\d+)", pl.stderr_text())
resent = int(m[-1]) if m else 0
extra = sum((got - want).values())
t.ok(not (want - got), "next start: every event of the line arrived",
     "%d missing" % sum((want - got).values()))
t.ok(extra <= resent, "next start: no duplicate beyond the %d unread "
     "datagrams sent again" % resent, "%d extra events" % extra)
t.eq(spool_files(wd), [], "next start: spool empty")
rx2.stop()
wd.cleanup()

# 3. analysisd down, the plugin in its --retry-wait pauses: SIGINT ends the
#    wait at once (not after 30 s) and the line is spooled.  Strict
#    confinement: a system call the seccomp list lacks would kill it.
wd = Workdir()
pl = Plugin(wd.path, wd.socket, ["--retry-wait", "30",
                                 "--confinement", "strict"])
pl.answer()
pl.send(line)
time.sleep(0.5)
rc, took = stop(pl, signal.SIGINT)
t.eq(rc, 0, "SIGINT in --retry-wait: exit status 0")
t.ok(took is not None and took < 5, "SIGINT in --retry-wait: the wait ends "
     "at once", "took %s s" % took)
t.eq(len(spool_files(wd)), 1, "SIGINT in --retry-wait: line spooled")
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
pl.answer()
t.ok(rx.wait_count(len(big), 20), "next start: the spooled line delivered")
rx.settle()
t.ok(collections.Counter(keys([e for _, e in rx.events()])) ==
     collections.Counter(keys(big)), "next start: each event once")
t.eq(pl.close(), 0, "next start: exit 0")
rx.stop()
wd.cleanup()

# 4. A second signal while saving does not kill it.
wd = Workdir()
rx = Receiver(wd.socket, rcvbuf=4096)
pl = Plugin(wd.path, wd.socket)
pl.answer()
rx.pause()
pl.send(line)
time.sleep(1.0)
pl.proc.send_signal(signal.SIGTERM)
time.sleep(0.2)
rc, took = stop(pl, signal.SIGTERM)
t.eq(rc, 0, "two SIGTERMs: exit status 0")
t.eq(len(spool_files(wd)), 1, "two SIGTERMs: the line is in the spool")
rx.stop()
wd.cleanup()

t.done()
