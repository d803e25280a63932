"""End to end: curl (kube-apiserver's part) -> mutual TLS -> patched imhttp in
a private rsyslogd running the real drop-in -> omprog -> the plugin -> a
stand-in analysisd on a Unix datagram socket. Also the logger path.

Every batch carries events with unique auditIDs; a case passes when each of
them arrives exactly once (or, where a kill makes duplicates legitimate, at
least once) and equal to its source (harness.same_as_source: shaping may add
`k8s` and redact values).
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Tap, Receiver, Workdir, corpus_events, eventlist, \
    compact, same_as_source  # noqa: E402
import e2e  # noqa: E402
from e2e import tag_events, wait_delivered, delivered  # noqa: E402

t = Tap()
wd = Workdir(prefix="wka-e2e-")
rs = None
recv = None


def check_batch(name, prefix, events, status, timeout=60):
    """status 200, each event once, equal to its source."""
    t.eq(status, 200, "%s: imhttp answers 200" % name)
    got = wait_delivered(recv, prefix, len(events), timeout)
    missing = [e["auditID"] for e in events if e["auditID"] not in got]
    dups = sorted(a for a, v in got.items() if len(v) > 1)
    t.ok(not missing and len(got) == len(events),
         "%s: all %d events delivered" % (name, len(events)),
         "missing %d: %s\n%s" % (len(missing), missing[:5], rs.plugin_log()))
    t.ok(not dups, "%s: each exactly once" % name,
         "%d duplicated: %s" % (len(dups), dups[:20]))
    src = {e["auditID"]: e for e in events}
    bad = [a for a, v in got.items() if not same_as_source(v[0], src[a])]
    t.ok(not bad, "%s: JSON-equal to the source events" % name,
         bad[:3] and json.dumps(got[bad[0]][0])[:600])


def post_json(value, path="/k8s-audit", **kw):
    body = compact(value).encode("utf-8")
    f = os.path.join(wd.path, "body.json")
    with open(f, "wb") as fh:
        fh.write(body)
    return rs.curl(path, data=f, **kw), len(body)


def batch_of_size(events, prefix, min_bytes):
    """Cycle through the corpus until the EventList has min_bytes."""
    items, size, n = [], 0, 0
    while size < min_bytes:
        items.append(events[n % len(events)])
        size += len(compact(items[-1])) + 1
        n += 1
    return tag_events(items, prefix)


class Stream(threading.Thread):
    """Posts `count` batches of `per` events, one every `gap` seconds."""

    def __init__(self, pool, prefix, count, per, gap):
        super().__init__(daemon=True)
        self.batches = [tag_events(pool[(i * per) % len(pool):][:per] or
                                   pool[:per], "%s%d" % (prefix, i))
                        for i in range(count)]
        self.events = [e for b in self.batches for e in b]
        self.gap, self.statuses = gap, []

    def run(self):
        for b in self.batches:
            (rc, status, _), _n = post_json(eventlist(b))
            self.statuses.append(status)
            time.sleep(self.gap)


def check_stream(name, stream, exactly_once=True, timeout=90):
    if stream.ident is not None:
        stream.join()
    t.ok(all(s == 200 for s in stream.statuses),
         "%s: every POST answered 200" % name, stream.statuses)
    want = {e["auditID"] for e in stream.events}
    end = time.time() + timeout
    got = {}
    while time.time() < end:
        got = {}
        for b in stream.batches:
            got.update(delivered(recv, b[0]["auditID"].rsplit("-", 1)[0]))
        if want <= set(got):
            time.sleep(0.5)
            break
        time.sleep(0.2)
    got = {}
    for b in stream.batches:
        got.update(delivered(recv, b[0]["auditID"].rsplit("-", 1)[0]))
    missing = sorted(want - set(got))
    t.ok(not missing, "%s: nothing lost (%d events)" % (name, len(want)),
         "missing %d, e.g. %s\n%s\n%s" % (len(missing), missing[:5],
                                          rs.plugin_log(), rs.internal_log()))
    dups = sorted(a for a, v in got.items() if len(v) > 1)
    if exactly_once:
        t.ok(not dups, "%s: each exactly once" % name,
             "%d duplicated: %s" % (len(dups), dups[:20]))
    else:
        t.diag("%s: %d duplicates (at-least-once after a kill)" %
               (name, len(dups)))
    return got


def main():
    global rs, recv
    so = e2e.require_pipeline(t, harness.PLUGIN, "end-to-end pipeline")
    t.ok(True, "patched imhttp built: %s" % so)

    certs = e2e.make_certs(os.path.join(wd.path, "certs"))
    other = e2e.make_certs(os.path.join(wd.path, "other-ca"))
    recv = Receiver(wd.socket)
    rs = e2e.Rsyslog(wd.path, so, harness.PLUGIN, wd.socket, certs)
    ok, out = rs.check_config()
    t.ok(ok, "rsyslogd -N1 accepts the rendered drop-in", out)
    rs.start()

    # events that fit one analysisd datagram whole: bigger ones are the
    # plugin's business (set aside or trimmed), not this pipeline's
    allev = [ev for _src, ev in corpus_events()]
    pool = [ev for ev in allev if len(compact(ev).encode()) < 48000]
    t.diag("corpus: %d events, %d small enough for one datagram" %
           (len(allev), len(pool)))

    # --- sizes ----------------------------------------------------------
    ev1 = tag_events(pool[:1], "one")
    (rc, status, _), n = post_json(eventlist(ev1))
    check_batch("1-event batch (%d bytes)" % n, "one", ev1, status)

    ev400 = tag_events((pool * (400 // len(pool) + 1))[:400], "b400")
    t0 = time.time()
    (rc, status, _), n = post_json(eventlist(ev400))
    check_batch("400-event batch (%d bytes)" % n, "b400", ev400, status)
    t.diag("400-event batch: POST to last event delivered %.2f s" %
           (time.time() - t0))

    big = batch_of_size(pool, "big", 2 * 1024 * 1024 + 100000)
    (rc, status, _), n = post_json(eventlist(big))
    t.ok(n >= 2 * 1024 * 1024, "big batch is over 2 MiB (%d bytes, %d "
         "events)" % (n, len(big)))
    check_batch("2 MiB batch", "big", big, status)

    # --- refusals ---------------------------------------------------------
    probe = tag_events(pool[:1], "refused")
    rc, status, _ = rs.curl(data=compact(eventlist(probe)).encode(), cert=None)
    t.ok(rc != 0 and status == 0, "no client certificate: handshake refused",
         (rc, status))
    rc, status, _ = rs.curl(data=compact(eventlist(probe)).encode(),
                            cert=other)
    t.ok(rc != 0 and status == 0,
         "client certificate from another CA: refused", (rc, status))
    rc, status, _ = rs.curl(data=compact(eventlist(probe)).encode(),
                            scheme="http", timeout=5)
    t.ok(not 200 <= status < 300, "plain HTTP: refused", (rc, status))
    for path in ("/k8s-auditx", "/k8s-audit/x", "/k8s-audit/../k8s-auditx",
                 "/", "/other"):
        rc, status, _ = rs.curl(path, data=compact(eventlist(probe)).encode())
        t.ok(rc == 0 and status == 404, "POST %s: 404" % path, (rc, status))
    secret = open(rs.conf, "rb").read()
    for path in ("/", "/rsyslog.conf", "/certs/server.pem", "/k8s-audit",
                 "/../../etc/passwd", "/internal.log"):
        rc, status, body = rs.curl(path)
        t.ok(status in (404, 405) and b"omfile" not in body and
             b"PRIVATE KEY" not in body and b"root:" not in body and
             secret not in body,
             "GET %s: %d, no file content" % (path, status), body[:200])

    rss0 = rs.rss_kib()
    rc, status, _ = rs.curl(
        data=b"{}", headers=("Content-Length: 1500000000",), timeout=10)
    rss1 = rs.rss_kib()
    t.eq(status, 413, "lying Content-Length of 1.5 GB: 413")
    t.ok(rss1 - rss0 < 64 * 1024,
         "no large allocation (rsyslogd RSS %d -> %d KiB)" % (rss0, rss1))
    # announced a bit more than it sends, then gives up: nothing submitted
    short = tag_events(pool[:1], "short")
    body = compact(eventlist(short)).encode()
    rc, status, _ = rs.curl(
        data=body, headers=("Content-Length: %d" % (len(body) + 1000),),
        timeout=2)
    # over the size limit with a true Content-Length: 413, nothing delivered
    huge = os.path.join(wd.path, "huge.json")
    with open(huge, "wb") as f:
        f.write(b"x" * (12 * 1024 * 1024 + 1))
    rc, status, _ = rs.curl(data=huge)
    t.eq(status, 413, "body over maxRequestBodySize (12m): 413")
    time.sleep(2)
    t.ok(not delivered(recv, "refused") and not delivered(recv, "short"),
         "nothing of the refused or incomplete requests was delivered")

    # --- logger path ------------------------------------------------------
    lg = tag_events(pool[1:4], "logger")
    subprocess.run(["logger", "-u", rs.logsock, "-t", "k8s-audit",
                    "--size", "200000", compact(lg[0])], check=True)
    f = os.path.join(wd.path, "events.jsonl")
    with open(f, "w") as fh:
        fh.write("\n".join(compact(e) for e in lg[1:]) + "\n")
    subprocess.run(["logger", "-u", rs.logsock, "-t", "k8s-audit",
                    "--size", "200000", "-f", f], check=True)
    check_batch("logger -t k8s-audit (one event, then a file of two)",
                "logger", lg, 200)

    # --- throughput (figure for the report, not a pass/fail) ---------------
    batches = [tag_events((pool * (400 // len(pool) + 1))[:400], "perf%d" % i)
               for i in range(10)]
    files = []
    for i, b in enumerate(batches):
        files.append(os.path.join(wd.path, "perf%d.json" % i))
        with open(files[-1], "w") as fh:
            fh.write(compact(eventlist(b)))
    tls = ["-sS", "-o", "/dev/null", "-H", "Content-Type: application/json",
           "--cacert", os.path.join(certs, "ca.crt"),
           "--cert", os.path.join(certs, "client.crt"),
           "--key", os.path.join(certs, "client.key")]
    args = ["curl"]
    for i, fn in enumerate(files):   # one curl: one keep-alive connection
        args += (["--next"] if i else []) + tls + \
            ["--data-binary", "@" + fn, rs.url + "/k8s-audit"]
    base = recv.count()
    t0 = time.time()
    subprocess.run(args, check=True)
    post = time.time() - t0
    recv.wait_count(base + 4000, 120)
    total = time.time() - t0
    ok = all(len(delivered(recv, "perf%d" % i)) == 400 for i in range(10))
    t.ok(ok, "throughput run: 10 x 400 events delivered")
    t.diag("throughput: 4000 events in batches of 400 over one mTLS "
           "connection: POSTs done in %.2f s, all delivered after %.2f s "
           "(%.0f events/s end to end; plugin --max-eps 0)" %
           (post, total, 4000 / total))

    # --- analysisd down for 30 s during a stream --------------------------
    s = Stream(pool, "down", count=40, per=10, gap=1.0)
    s.start()
    time.sleep(4)
    recv.stop(unlink=False)        # analysisd stopped: ECONNREFUSED
    time.sleep(30)
    recv.start()
    # at least once: what the stand-in read just before it stopped, the
    # plugin could not know it had read, and sends again (issue 13)
    check_stream("stand-in down 30 s during a stream of 40 batches", s,
                 exactly_once=False)

    # --- rsyslogd restarted while analysisd is down -----------------------
    recv.stop(unlink=True)         # socket file gone: ENOENT
    s = Stream(pool, "restart", count=12, per=10, gap=0.1)
    s.run()
    time.sleep(3)                  # the plugin now holds one line, failing
    t0 = time.time()
    rs.stop()
    t.diag("rsyslogd stop with analysisd down took %.1f s" %
           (time.time() - t0))
    rs.start()
    s2 = Stream(pool, "restart2-", count=5, per=10, gap=0.1)
    s2.run()
    time.sleep(2)
    rs.stop()
    rs.start()
    recv.start()
    # the issue asks "nothing lost" here; duplicates are reported
    check_stream("rsyslogd restarted twice while the stand-in was down", s,
                 exactly_once=False, timeout=120)
    check_stream("... and the batches posted between the restarts", s2)

    # --- the plugin SIGKILLed mid-stream ----------------------------------
    s = Stream(pool, "kill", count=30, per=20, gap=0.1)
    s.start()
    time.sleep(1.0)
    pids = rs.plugin_pids("/spool")
    t.ok(len(pids) == 1, "one webhook plugin process runs", pids)
    for pid in pids:
        os.kill(pid, 9)
    got = check_stream("plugin SIGKILLed mid-stream", s, exactly_once=False)
    src = {e["auditID"]: e for e in s.events}
    bad = [a for a, v in got.items() if not same_as_source(v[0], src[a])]
    t.ok(not bad, "plugin SIGKILLed: delivered events equal their sources")

    rs.stop()
    # paths are left out: a checkout's own path may hold "imhttp"
    errors = [l for l in rs.internal_log().splitlines()
              if "imhttp" in l.replace(e2e.TOP_BUILDDIR, "").replace(
                  e2e.TOP_SRCDIR, "") and "refused" not in l and
              "incomplete" not in l and "exceeds" not in l]
    t.ok(not errors, "no unexpected imhttp errors in rsyslog's log", errors)


try:
    main()
except Exception as exc:  # a crash is a failure, with the logs to see why
    import traceback
    t.ok(False, "e2e run completed", traceback.format_exc() +
         (rs.internal_log() if rs else ""))
finally:
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
