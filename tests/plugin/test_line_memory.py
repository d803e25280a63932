"""The plugin's memory for a line is bounded by the line (issue 21, class
4): a 16 MiB EventList of 8M one-byte items (each set aside: they are not
events) must not need a record per item.  The scanner once kept 56 bytes
for each 2-byte item: about 500 MB of peak RSS for this line, 1 GB for one
at the 32 MiB --max-line default.  Measured as the process's peak RSS
(VmHWM), not a time."""
import os
import re

from harness import PLUGIN, Plugin, Receiver, Tap, Workdir

t = Tap()
ITEMS = 8 << 20
MB = 1 << 20


def peak_rss(pid):
    """VmHWM of `pid`, in bytes."""
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
                   .group(1)) * 1024


def sanitized():
    """AddressSanitizer's shadow memory and quarantine are no measure."""
    with open(PLUGIN, "rb") as f:
        return b"__asan_init" in f.read()


wd = Workdir()
rx = Receiver(wd.socket)
# The peak is read when the big line is answered: delivered by then only
# without --accept-ahead (which answers once it is in the spool).
pl = Plugin(wd.path, wd.socket, ["--accept-ahead", "off"])
t.eq(pl.answer()[0], "OK", "handshake")
# A small line first, so the base holds what any line costs.
t.eq(pl.call(b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1",'
             b'"items":[1,2]}'), "OK", "a small line of two items")
base = peak_rss(pl.proc.pid)
line = (b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' +
        b",".join([b"1"] * ITEMS) + b"]}")
t.eq(pl.call(line, timeout=120), "OK",
     "a line of %d items (%.1f MB) answered OK" % (ITEMS, len(line) / 1e6))
peak = peak_rss(pl.proc.pid)
# The line is read into a buffer and may be copied once (held for a
# retry): three times its size is room for both and the reject run.
if sanitized():
    t.skip("peak RSS bounded by the line", "sanitizer build")
else:
    t.ok(peak - base <= 3 * len(line),
         "peak RSS grew by %.0f MB for a %.0f MB line (at most 3x: %.0f MB)"
         % ((peak - base) / MB, len(line) / MB, 3 * len(line) / MB))
entries = pl.rejects()
t.eq(sum(e.get("items", 1) for e in entries), ITEMS + 2,
     "every item is set aside (%d entries)" % len(entries))
# Past the scanner's window (16384 events at a time), events are found by
# scanning their part of the line again: all of them, in order.
n = 40000
ev = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata",'
      '"auditID":"w-%d","stage":"ResponseComplete","verb":"get",'
      '"requestURI":"/api","user":{"username":"u"}}')
items = [(ev % i).encode() if i % 997 == 0 else b"1" for i in range(n)]
t.eq(pl.call(b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1",'
             b'"items":[' + b",".join(items) + b"]}"), "OK",
     "a line of %d items, every 997th an event" % n)
want = ["w-%d" % i for i in range(0, n, 997)]
rx.wait_count(len(want))
t.eq([e.get("auditID") for _, e in rx.events()], want,
     "its %d events delivered, in order" % len(want))
t.eq(pl.close(), 0, "clean exit")
rx.stop()
wd.cleanup()
t.done()
