"""The receiver under a connection flood (issue 21, class 6): a real rsyslogd
running the rendered drop-in with the patched imhttp, real mutual TLS.

While these run on loopback (each from its own source address, each
reconnecting as soon as the receiver drops it, all stopping by themselves):
  - IDLE TCP connections that send one byte of a ClientHello and nothing
    more, from an address outside the allow-list (ALLOW_FROM),
  - IDLE such connections from an allowed address,
  - IDLE such connections spread over 23 allowed addresses (fewer from
    each than the per-source cap),
  - IDLE connections that send a real ClientHello and then stall, spread
    over 23 other allowed addresses,
  - SLOW connections that complete mutual TLS with a valid client
    certificate and then send request headers at 1 byte/s, from another
    allowed address,
a legitimate mutual-TLS POST from 127.0.0.1 must be answered 200 within 1 s
of the unloaded baseline, several times over the attack, and its events
must reach the stand-in analysisd.
"""
import os
import select
import selectors
import socket
import ssl
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Tap, Receiver, Workdir, corpus_events, eventlist, \
    compact  # noqa: E402
import e2e  # noqa: E402
from e2e import tag_events, wait_delivered  # noqa: E402

IDLE = 230          # idle connections per idle source
SLOW = 50           # authenticated slow-header connections
OUTSIDE = "127.0.0.2"   # not in ALLOW_FROM
IDLE_SRC = "127.0.0.3"  # allowed, sends nothing
SLOW_SRC = "127.0.0.4"  # allowed, authenticated, 1 byte/s
SPREAD = ["127.0.1.%d" % i for i in range(1, 24)]   # allowed, 10 each
HELLO = ["127.0.2.%d" % i for i in range(1, 24)]    # allowed, 10 each
ALLOW = "127.0.0.1,%s,%s,127.0.1.0/24,127.0.2.0/24" % (IDLE_SRC, SLOW_SRC)
PROBES_AT = (1.5, 5.0, 11.0)   # seconds into the attack
SLACK = 1.0         # a probe may take this much longer than the baseline
ATTACK_MAX = 40.0   # the attackers stop by themselves after this anyway

t = Tap()
wd = Workdir(prefix="wka-flood-")
rs = None
recv = None
stop = threading.Event()


class IdleFlood(threading.Thread):
    """Keeps `n` TCP connections from the addresses `srcs` (in turn) open,
    sending `first` (maybe nothing) and then nothing more; each one the
    receiver closes is opened again (at most every 0.5 s)."""

    def __init__(self, srcs, port, n, first=b""):
        super().__init__(daemon=True)
        self.srcs, self.port, self.n, self.first = srcs, port, n, first
        self.opened = self.closed_by_peer = 0
        self.lifetimes = []     # seconds a dropped connection had lived
        self.last = 0.0         # when dropped ones were last reopened

    def connect(self, sel):
        s = socket.socket()
        s.setblocking(False)
        s.bind((self.srcs[self.opened % len(self.srcs)], 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        if self.first:
            select.select([], [s], [], 1)
            try:
                s.send(self.first)
            except OSError:
                pass
        sel.register(s, selectors.EVENT_READ, time.monotonic())
        self.opened += 1

    def run(self):
        sel = selectors.DefaultSelector()
        end = time.monotonic() + ATTACK_MAX
        for _ in range(self.n):
            self.connect(sel)
        due = 0
        while not stop.is_set() and time.monotonic() < end:
            for key, _ev in sel.select(0.1):
                try:
                    data = key.fileobj.recv(64)
                except OSError:
                    data = b""
                if not data:
                    self.closed_by_peer += 1
                    self.lifetimes.append(time.monotonic() - key.data)
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
                    due += 1
            if due and time.monotonic() - self.last >= 0.5:
                self.last = time.monotonic()
                for _ in range(due):
                    self.connect(sel)
                due = 0
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


class SlowHeaders(threading.Thread):
    """One connection from `src` that completes mutual TLS with a valid
    client certificate, then sends a request's headers at 1 byte/s; when
    the receiver drops it, it reconnects after 0.5 s."""

    HEADER = (b"POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/json\r\nX-Pad: " + b"a" * 200)

    def __init__(self, src, port, certs):
        super().__init__(daemon=True)
        self.src, self.port = src, port
        self.ctx = ssl.create_default_context(
            cafile=os.path.join(certs, "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(certs, "client.crt"),
                                 os.path.join(certs, "client.key"))
        self.ctx.check_hostname = False
        self.handshakes = self.bytes_sent = 0

    def once(self, end):
        raw = socket.socket()
        raw.bind((self.src, 0))
        raw.settimeout(3)
        try:
            raw.connect(("127.0.0.1", self.port))
            s = self.ctx.wrap_socket(raw)
            self.handshakes += 1
            for i in range(len(self.HEADER)):
                if stop.is_set() or time.monotonic() > end:
                    break
                s.send(self.HEADER[i:i + 1])
                self.bytes_sent += 1
                if stop.wait(1.0):
                    break
        except (OSError, ssl.SSLError):
            pass
        finally:
            raw.close()

    def run(self):
        end = time.monotonic() + ATTACK_MAX
        while not stop.is_set() and time.monotonic() < end:
            self.once(end)
            stop.wait(0.5)


def client_hello():
    """The bytes of a real TLS ClientHello (what a client sends first)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_side=False)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def timed_post(events, timeout):
    body = os.path.join(wd.path, "body-%s.json" % events[0]["auditID"])
    with open(body, "wb") as f:
        f.write(compact(eventlist(events)).encode())
    t0 = time.monotonic()
    rc, status, _ = rs.curl(data=body, timeout=timeout)
    return time.monotonic() - t0, rc, status


def main():
    global rs, recv
    so = e2e.require_pipeline(t, harness.PLUGIN, "receiver flood")
    certs = e2e.make_certs(os.path.join(wd.path, "certs"))
    recv = Receiver(wd.socket)
    rs = e2e.Rsyslog(wd.path, so, harness.PLUGIN, wd.socket, certs,
                     settings=["ALLOW_FROM=" + ALLOW])
    ok, out = rs.check_config()
    t.ok(ok, "rsyslogd -N1 accepts the drop-in with ALLOW_FROM", out)
    rs.start()
    pool = [ev for _s, ev in corpus_events()
            if len(compact(ev).encode()) < 8000][:5]

    # --- baseline: no attack --------------------------------------------
    base = []
    for i in range(4):
        dt, rc, status = timed_post(tag_events(pool, "base%d" % i), 30)
        t.eq(status, 200, "baseline POST %d answered 200" % i)
        base.append(dt)
    baseline = statistics.median(base[1:])   # the first one warms up
    t.diag("baseline: %s s, median %.3f s" %
           (" ".join("%.3f" % b for b in base), baseline))
    got = wait_delivered(recv, "base3", len(pool), 30)
    t.eq(len(got), len(pool), "baseline events delivered")

    # --- the attack -----------------------------------------------------
    outside = IdleFlood([OUTSIDE], rs.port, IDLE, first=b"\x16")
    idle = IdleFlood([IDLE_SRC], rs.port, IDLE)
    spread = IdleFlood(SPREAD, rs.port, 10 * len(SPREAD))
    hello = IdleFlood(HELLO, rs.port, 10 * len(HELLO), first=client_hello())
    slow = [SlowHeaders(SLOW_SRC, rs.port, certs) for _ in range(SLOW)]
    floods = [outside, idle, spread, hello] + slow
    start = time.monotonic()
    for th in floods:
        th.start()
    probes = []
    for n, at in enumerate(PROBES_AT):
        delay = start + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        events = tag_events(pool, "probe%d" % n)
        dt, rc, status = timed_post(events, 20)
        probes.append((at, dt, rc, status, events))
        t.diag("probe at +%.1f s: %.3f s, curl exit %d, status %d" %
               (at, dt, rc, status))
    stop.set()
    for th in floods:
        th.join(10)
    t.diag("outside the allow-list: %d opened, %d dropped by the receiver, "
           "longest lived %.2f s" % (outside.opened, outside.closed_by_peer,
                                     max(outside.lifetimes or [0])))
    t.diag("idle, allowed: %d opened, %d dropped by the receiver" %
           (idle.opened, idle.closed_by_peer))
    t.diag("idle, %d allowed hosts: %d opened, %d dropped by the receiver" %
           (len(SPREAD), spread.opened, spread.closed_by_peer))
    t.diag("ClientHello then nothing, %d allowed hosts: %d opened, %d "
           "dropped by the receiver" %
           (len(HELLO), hello.opened, hello.closed_by_peer))
    t.diag("slow, authenticated: %d handshakes, %d header bytes sent" %
           (sum(s.handshakes for s in slow), sum(s.bytes_sent for s in slow)))
    t.ok(outside.closed_by_peer >= IDLE and
         max(outside.lifetimes or [99]) < 1.0,
         "connections from outside the allow-list are dropped at once",
         "%d of %d dropped, longest lived %.2f s" %
         (outside.closed_by_peer, IDLE, max(outside.lifetimes or [0])))
    t.ok(idle.opened > IDLE, "the idle flooder kept reconnecting (the "
         "attack kept up)", idle.opened)
    t.ok(sum(s.handshakes for s in slow) >= 1,
         "some slow-header connections completed mutual TLS")

    for at, dt, rc, status, events in probes:
        t.ok(status == 200 and dt <= baseline + SLACK,
             "POST at +%.1f s into the flood answered 200 within %.1f s of "
             "the baseline" % (at, SLACK),
             "took %.3f s (baseline %.3f s), curl exit %d, status %d" %
             (dt, baseline, rc, status))
        got = wait_delivered(recv, events[0]["auditID"].rsplit("-", 1)[0],
                             len(events), 20)
        t.eq(len(got), len(events),
             "POST at +%.1f s: its events delivered" % at)

    # --- afterwards -----------------------------------------------------
    dt, rc, status = timed_post(tag_events(pool, "after"), 30)
    t.ok(status == 200 and dt <= baseline + SLACK,
         "after the flood: POST answered 200 within %.1f s" % SLACK,
         "%.3f s, status %d" % (dt, status))


try:
    main()
except Exception:  # a crash is a failure, with the logs to see why
    import traceback
    t.ok(False, "flood run completed", traceback.format_exc() +
         (rs.internal_log() if rs else ""))
finally:
    stop.set()
    if rs:
        rs.stop()
    if recv:
        try:
            recv.stop()
        except Exception:
            pass
    if os.environ.get("E2E_KEEP"):
        t.diag("kept " + wd.path)
    else:
        wd.cleanup()
t.done()
