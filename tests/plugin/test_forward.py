"""wazuh-k8s-audit-forward (issue 22) as rsyslog's omprog runs it, against a
fake RELP server: a TLS listener in this file that parses RELP frames
(librelp doc/relp.md) and can be told to answer 200, answer 500, close
without answering, send "serverclose", answer a wrong transaction number or
stay silent.  The forwarder binary runs for real over pipes, with real TLS
(client certificate, server name checked) on real TCP sockets.

What must hold: a transaction is answered OK only once a manager
acknowledged every line of it; whatever breaks a session, every line is
sent again until acknowledged; the first target is preferred and returned
to; at a stop the lines held go to the spool and out first at the next
start; the command line is checked; waits write omprog's keep-alive dots."""
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

from harness import PLUGIN, Tap, Workdir, close_stdin

sys.path.insert(0, os.path.join(os.environ.get("TOP_SRCDIR", "."), "tests",
                                "e2e"))
from e2e import make_certs, make_node_certs  # noqa: E402

FORWARDER = os.path.join(os.path.dirname(PLUGIN), "wazuh-k8s-audit-forward")
HEADER = re.compile(rb"([0-9]{1,9}) ([A-Za-z]{1,32}) ([0-9]{1,9})([ \n])")
OPEN_OK = (b"200 OK\nrelp_version=0\nrelp_software=fake-relp,1\n"
           b"commands=syslog")


class RelpServer:
    """A manager's RELP listener over TLS (client certificate required).

    script: one action per "syslog" frame received (over all sessions),
    then `default`: "ok" (200), "500", "noanswer" (read, not answered),
    "close" (drop the connection without answering), "serverclose" (RELP's
    hint, then drop), "badtxnr" (200 under another transaction number),
    "silent" (never answer, keep the connection).  delay: seconds before
    each 200, so that an answer given too early shows.  frames: (data,
    time received, session); acked: (data, time the 200 was written)."""

    def __init__(self, certs, port=0, script=(), default="ok", delay=0.0):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(os.path.join(certs, "server.crt"),
                                 os.path.join(certs, "server.key"))
        self.ctx.load_verify_locations(os.path.join(certs, "ca.crt"))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.script = list(script)
        self.default = default
        self.delay = delay
        self.lock = threading.Lock()
        self.frames, self.acked, self.opens = [], [], []
        self.accepts = 0
        self.conns = []
        self.running = True
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:    # stop() closes the listener under select()
                r, _, _ = select.select([self.lsock], [], [], 0.05)
                if not r or not self.running:
                    continue
                raw, _ = self.lsock.accept()
            except (OSError, ValueError):
                return
            with self.lock:
                self.accepts += 1
                self.conns.append(raw)
                sid = self.accepts
            threading.Thread(target=self._session, args=(raw, sid),
                             daemon=True).start()

    def _session(self, raw, sid):
        try:
            raw.settimeout(10)
            conn = self.ctx.wrap_socket(raw, server_side=True)
            self._serve(conn, sid)
        except (OSError, ValueError):
            pass    # a handshake refused, the peer gone, stop()
        finally:
            raw.close()

    def _serve(self, conn, sid):
        conn.settimeout(None)
        buf = b""
        while self.running:
            frame, buf = self._frame(conn, buf)
            if frame is None:
                return
            txnr, cmd, data = frame
            if cmd == b"open":
                with self.lock:
                    self.opens.append(data)
                conn.sendall(b"%d rsp %d %s\n" % (txnr, len(OPEN_OK),
                                                  OPEN_OK))
            elif cmd == b"close":
                conn.sendall(b"%d rsp 0\n" % txnr)
                return
            elif cmd == b"syslog":
                with self.lock:
                    self.frames.append((data, time.time(), sid))
                    act = self.script.pop(0) if self.script else self.default
                if not self._act(conn, txnr, data, act):
                    return
            else:
                return

    def _act(self, conn, txnr, data, act):
        """Answer one syslog frame; False ends the session."""
        if act == "ok":
            time.sleep(self.delay)
            # recorded before it goes: the forwarder may answer omprog
            # before this thread runs again
            with self.lock:
                self.acked.append((data, time.time()))
            conn.sendall(b"%d rsp 6 200 OK\n" % txnr)
        elif act == "500":
            conn.sendall(b"%d rsp 17 500 queue is full\n" % txnr)
        elif act == "badtxnr":
            conn.sendall(b"%d rsp 6 200 OK\n" % (txnr + 1000))
        elif act == "serverclose":
            conn.sendall(b"0 serverclose 0\n")
            return False
        elif act == "close":
            return False
        return True     # noanswer, silent

    @staticmethod
    def _frame(conn, buf):
        """One frame, TXNR SP COMMAND SP DATALEN [SP DATA] LF:
        ((txnr, command, data), rest), or (None, b"") at the end of the
        session or on bytes that are not RELP."""
        try:
            while True:
                m = HEADER.match(buf)
                if m:
                    break
                if len(buf) > 64:   # no header is this long
                    return None, b""
                buf += RelpServer._recv(conn)
            txnr, cmd, datalen = int(m[1]), m[2], int(m[3])
            if (m[4] == b"\n") != (datalen == 0):
                return None, b""
            end = m.end() + datalen + (1 if datalen else 0)
            while len(buf) < end:
                buf += RelpServer._recv(conn)
            if datalen and buf[end - 1:end] != b"\n":
                return None, b""
            return (txnr, cmd, buf[m.end():m.end() + datalen]), buf[end:]
        except (EOFError, OSError):
            return None, b""

    @staticmethod
    def _recv(conn):
        chunk = conn.recv(1 << 16)
        if not chunk:
            raise EOFError
        return chunk

    def got(self):
        with self.lock:
            return [d for d, _, _ in self.frames]

    def sessions(self):
        with self.lock:
            return len(self.opens)

    def wait_frames(self, n, timeout=10):
        end = time.time() + timeout
        while time.time() < end and len(self.got()) < n:
            time.sleep(0.01)
        return len(self.got()) >= n

    def stop(self):
        self.running = False
        self.lsock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Forwarder:
    """The forwarder as omprog runs it: lines in, answers (after any
    keep-alive dots) out."""

    def __init__(self, wd, targets, spool=None, extra=()):
        self.stderr_path = os.path.join(wd.path, "forward-%d.stderr" %
                                        time.monotonic_ns())
        self.spool = spool or os.path.join(wd.path, "spool")
        args = [FORWARDER]
        for host_port, name in targets:
            args += ["--target", host_port] + (["--name", name] if name else [])
        args += ["--ca", os.path.join(CERTS, "ca.crt"),
                 "--cert", NODE_CRT, "--key", NODE_KEY,
                 "--spool-dir", self.spool, "--timeout", "5"] + list(extra)
        # --timeout 5: connect and TLS (acknowledgements have their own,
        # --ack-timeout); as root it would become a user who cannot use
        # this work directory
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        self.buf = b""

    def send(self, line):
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def answer(self, timeout=15):
        """(answer without its dots, dots, time it was read), or
        (None, dots so far, None) on timeout or EOF."""
        end = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = end - time.time()
            r = select.select([fd], [], [], left)[0] if left > 0 else []
            chunk = os.read(fd, 65536) if r else b""
            if not chunk:
                return None, self.buf.count(b"."), None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode("utf-8", "replace")
        return text.lstrip("."), len(text) - len(text.lstrip(".")), time.time()

    def until_dot(self, timeout):
        """What the forwarder writes until its first '.' or timeout."""
        end = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while b"." not in self.buf and time.time() < end:
            if select.select([fd], [], [], max(0, end - time.time()))[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.buf += chunk
        return self.buf

    def call(self, line, timeout=15):
        self.send(line)
        return self.answer(timeout)[0]

    def transaction(self, lines):
        """BEGIN, the lines, COMMIT; (answers to BEGIN and lines, the
        COMMIT's answer, the time it was read)."""
        answers = [self.call(b"BEGIN TRANSACTION")]
        answers += [self.call(l) for l in lines]
        self.send(b"COMMIT TRANSACTION")
        ans, _, when = self.answer()
        return answers, ans, when

    def stop(self, signo=signal.SIGTERM, timeout=10):
        """Signal; (exit status, seconds it took), None status if it hung."""
        start = time.time()
        self.proc.send_signal(signo)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.stderr.close()
        return rc, time.time() - start

    def close(self):
        """EOF on stdin, as rsyslog at shutdown; the exit status."""
        return close_stdin(self.proc, self.stderr, 10)

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def closed_port():
    """A local port nothing listens on (connections refused)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def at(server, name="localhost"):
    return ("127.0.0.1:%d" % server.port, name)


def lines_of(tag, n):
    return [(b'{"kind":"Event","auditID":"%s-%d","note":"tab\\t caf\xc3\xa9 '
             b'\xe2\x9c\x93 \\"q\\""}' % (tag.encode(), i)) for i in range(n)]


def missing(want, got):
    return [l for l in want if l not in got]


def spooled(spool):
    """The lines in the spool's <seq>.line files, oldest first (each file
    is a one-line header, then the line)."""
    if not os.path.isdir(spool):
        return []
    out = []
    for name in sorted(f for f in os.listdir(spool) if f.endswith(".line")):
        with open(os.path.join(spool, name), "rb") as f:
            out.append(f.read().split(b"\n", 1)[1])
    return out


t = Tap()
wd = Workdir()
CERTS = make_certs(os.path.join(wd.path, "certs"), "localhost", "127.0.0.1")
make_node_certs(CERTS, "c1:n1")
NODE_CRT = os.path.join(CERTS, "nodes", "c1", "n1.crt")
NODE_KEY = os.path.join(CERTS, "nodes", "c1", "n1.key")
began = time.time()


def case_basic():
    """1, 2: the transaction and a lone line, acknowledged before OK."""
    srv = RelpServer(CERTS, delay=0.1)
    fw = Forwarder(wd, [at(srv)])
    t.eq(fw.answer()[0], "OK", "start: the initial OK")
    # a line past the 256 KiB write buffer goes out another way
    lines = lines_of("basic", 4) + [b"x" * 300000, b"  spaces \t at the ends "]
    answers, ans, when = fw.transaction(lines)
    got, acked = srv.got(), list(srv.acked)
    t.eq(answers[0], "OK", "BEGIN TRANSACTION answered OK")
    t.eq(answers[1:], ["DEFER_COMMIT"] * len(lines),
         "each line of a transaction answered DEFER_COMMIT")
    t.eq(ans, "OK", "COMMIT TRANSACTION answered OK")
    t.ok(got == lines, "the server got every line, in order, byte-exact, "
         "before the COMMIT's OK", "got %d frame(s): %r" %
         (len(got), [g[:50] for g in got]))
    t.ok(len(acked) == len(lines) and when is not None and
         all(a < when for _, a in acked),
         "COMMIT answered only after the server acknowledged every line",
         "%d acknowledged before the OK, of %d" % (len(acked), len(lines)))
    t.ok(srv.opens and b"relp_version=0" in srv.opens[0] and
         b"commands=syslog" in srv.opens[0],
         "RELP open offers relp_version=0 and commands=syslog",
         srv.opens[:1])

    lone = b'{"kind":"Event","auditID":"lone"}'
    fw.send(lone)
    ans, _, when = fw.answer()
    acked = [a for d, a in srv.acked if d == lone]
    t.eq(ans, "OK", "a line outside a transaction answered OK")
    t.ok(len(acked) == 1 and acked[0] < when,
         "...only after the server acknowledged it", srv.got()[-1:])
    t.eq(fw.close(), 0, "EOF: exit status 0")
    t.eq(spooled(fw.spool), [], "EOF with everything acknowledged: spool empty")
    srv.stop()


def broken_session(script, what, min_sessions=2):
    """One transaction against a server that misbehaves per `script`: the
    commit still ends OK and every line arrives.  Returns the server."""
    srv = RelpServer(CERTS, script=script)
    fw = Forwarder(wd, [at(srv)])
    fw.answer()
    lines = lines_of(what.split()[0], 5)
    _, ans, _ = fw.transaction(lines)
    got = srv.got()
    t.eq(ans, "OK", "%s: COMMIT answered OK" % what)
    t.eq(missing(lines, got), [], "%s: every line arrived" % what)
    t.ok(srv.sessions() >= min_sessions, "%s: a new session took over" % what,
         "%d session(s)" % srv.sessions())
    t.diag("%s: %d frame(s) for %d lines (%d duplicate(s)), %d session(s)" %
           (what, len(got), len(lines), len(got) - len(set(got)),
            srv.sessions()))
    fw.close()
    srv.stop()
    return srv, lines


def case_broken():
    """3, 4, 5: a session that breaks; every line is sent again."""
    broken_session(["noanswer", "noanswer", "close"],
                   "close mid-transaction without answering")
    broken_session(["ok", "serverclose"], "serverclose mid-transaction")
    srv, lines = broken_session(["ok", "500"], "500 for the second line")
    second = [w for d, w, _ in srv.frames if d == lines[1]]
    t.ok(len(second) >= 2 and second[1] - second[0] >= 0.9,
         "500: the refused line is sent again, about 1 s later",
         "sent at %s" % second)
    srv, lines = broken_session(["ok", "badtxnr"], "wrong txnr in a response")
    t.ok(srv.got().count(lines[1]) >= 2,
         "wrong txnr: the line it 'acknowledged' is sent again",
         srv.got())


def case_failover():
    """6: the first target refuses; the second takes over; back to the
    first once it answers (--return-after 1)."""
    port1 = closed_port()
    second = RelpServer(CERTS)
    fw = Forwarder(wd, [("127.0.0.1:%d" % port1, "localhost"), at(second)],
                   extra=["--return-after", "1"])
    fw.answer()
    tx1 = lines_of("fail1", 3)
    _, ans, _ = fw.transaction(tx1)
    t.eq(ans, "OK", "failover: COMMIT OK with the first target refusing")
    t.eq(second.got(), tx1, "failover: the second target got the lines")
    first = RelpServer(CERTS, port=port1)
    time.sleep(1.5)
    tx2 = lines_of("fail2", 3)
    _, ans, _ = fw.transaction(tx2)
    t.eq(ans, "OK", "return: COMMIT OK")
    t.eq(first.got(), tx2, "return: after --return-after the next "
         "transaction goes to the first target")
    t.eq(missing(tx2, second.got()), tx2,
         "return: the second target got none of it")
    fw.close()
    first.stop()
    second.stop()


def case_wrong_name():
    """7: a certificate without the --name is refused."""
    wrong, right = RelpServer(CERTS), RelpServer(CERTS)
    fw = Forwarder(wd, [at(wrong, "manager.example"), at(right)])
    fw.answer()
    lines = lines_of("name", 3)
    _, ans, _ = fw.transaction(lines)
    t.eq(ans, "OK", "wrong name: COMMIT OK through the second target")
    t.ok(wrong.accepts >= 1 and wrong.got() == [] and wrong.sessions() == 0,
         "wrong name: the first target was tried, no session, no line",
         "accepts %d, sessions %d, frames %d" %
         (wrong.accepts, wrong.sessions(), len(wrong.got())))
    t.eq(right.got(), lines, "wrong name: the second target got the lines")
    t.ok("hostname mismatch" in fw.log(),
         "wrong name: the refusal is logged", fw.log()[-400:])
    fw.close()
    wrong.stop()
    right.stop()


def case_stop():
    """8: SIGTERM while no acknowledgement comes: prompt exit, no OK, the
    lines in the spool, sent first at the next start."""
    silent = RelpServer(CERTS, default="silent")
    spool = os.path.join(wd.path, "spool-stop")
    fw = Forwarder(wd, [at(silent)], spool=spool)
    fw.answer()
    lines = lines_of("stop", 3)
    for l in [b"BEGIN TRANSACTION"] + lines:
        fw.call(l)
    fw.send(b"COMMIT TRANSACTION")
    t.ok(silent.wait_frames(3), "stop: the silent server got the lines")
    rc, took = fw.stop()
    t.ok(rc == 0 and took < 3, "stop while the server is silent: exit 0 "
         "within 3 s", "status %s after %.1f s" % (rc, took))
    ans = fw.answer(timeout=1)[0]
    t.eq(ans, None, "stop: the COMMIT is not answered")
    t.eq(spooled(spool), lines, "stop: the spool holds the held lines")
    silent.stop()

    # absent: the process waits in its connect loop, not on a session
    spool2 = os.path.join(wd.path, "spool-absent")
    fw = Forwarder(wd, [("127.0.0.1:%d" % closed_port(), "localhost")],
                   spool=spool2)
    fw.answer()
    absent = lines_of("absent", 2)
    for l in [b"BEGIN TRANSACTION"] + absent:
        fw.call(l)
    fw.send(b"COMMIT TRANSACTION")
    time.sleep(0.5)
    rc, took = fw.stop()
    t.ok(rc == 0 and took < 3, "stop while no server answers: exit 0 "
         "within 3 s", "status %s after %.1f s" % (rc, took))
    t.eq(spooled(spool2), absent, "stop with no server: spool holds the lines")

    srv = RelpServer(CERTS)
    fw = Forwarder(wd, [at(srv)], spool=spool)
    ans = fw.answer()[0]
    got = srv.got()
    t.eq(ans, "OK", "restart with a spool: the initial OK")
    t.eq(got, lines, "restart: the spooled lines were delivered before the "
         "initial OK")
    t.eq(spooled(spool), [], "restart: the spool is empty once acknowledged")
    fw.close()
    srv.stop()


def case_usage():
    """9: bad command lines exit 2 with a message."""
    files = ["--ca", os.path.join(CERTS, "ca.crt"), "--cert", NODE_CRT,
             "--key", NODE_KEY]
    for args, want, what in (
            (files, "--target", "no --target"),
            (["--target", "127.0.0.1:6514"] + files, "--name",
             "an address without --name"),
            (["--target", "localhost:6514", "--bogus"] + files, "bogus",
             "an unknown option")):
        p = subprocess.run([FORWARDER] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=10)
        err = p.stderr.decode("utf-8", "replace")
        t.ok(p.returncode == 2 and want in err and p.stdout == b"",
             "usage: %s exits 2 and says so" % what,
             "status %d, stderr %r" % (p.returncode, err))


def case_keepalive():
    """10: while waiting for a manager (none reachable; one that never
    answers), dots before the COMMIT's answer."""
    silent = RelpServer(CERTS, default="silent")
    waiting = {
        "no manager reachable": Forwarder(
            wd, [("127.0.0.1:%d" % closed_port(), "localhost")],
            spool=os.path.join(wd.path, "spool-alive1")),
        "a manager that never answers": Forwarder(
            wd, [at(silent)], spool=os.path.join(wd.path, "spool-alive2"))}
    for fw in waiting.values():     # both wait at once: one 5 s pause
        fw.answer()
        fw.call(b"BEGIN TRANSACTION")
        fw.call(b'{"kind":"Event","auditID":"alive"}')
        fw.send(b"COMMIT TRANSACTION")
    for what, fw in waiting.items():
        out = fw.until_dot(7)
        t.ok(out.startswith(b"."), "keep-alive, %s: a '.' within 7 s, "
             "before any answer to the COMMIT" % what, out)
        fw.stop()
    silent.stop()


def case_hammer():
    """A manager that takes every session and drops it at the first
    frame: the line stays held, and the manager is not hammered."""
    srv = RelpServer(CERTS, default="close")
    spool = os.path.join(wd.path, "spool-hammer")
    fw = Forwarder(wd, [at(srv)], spool=spool)
    fw.answer()
    line = b'{"kind":"Event","auditID":"hammer"}'
    for l in (b"BEGIN TRANSACTION", line):
        fw.call(l)
    fw.send(b"COMMIT TRANSACTION")
    time.sleep(3)
    n = srv.sessions()
    rc, _ = fw.stop()
    t.ok(rc == 0 and spooled(spool) == [line],
         "sessions dropped at every frame: the line is held, then spooled")
    # sessions that acknowledge nothing are retried after 1 s, 2 s, ...
    t.ok(n <= 5, "sessions dropped at every frame: reconnects paced "
         "(at most 5 sessions in 3 s)", "%d sessions" % n)
    srv.stop()


for case in (case_usage, case_basic, case_broken, case_failover,
             case_wrong_name, case_stop, case_keepalive, case_hammer):
    t0 = time.time()
    try:
        case()
    except Exception as e:  # a crash in one case must not hide the others
        t.ok(False, "%s ran to the end" % case.__name__, repr(e))
    t.diag("%s: %.1f s" % (case.__name__, time.time() - t0))
t.diag("total %.1f s" % (time.time() - began))
wd.cleanup()
t.done()
