"""Test harness: TAP output, a stand-in analysisd, the plugin as rsyslog runs it.

Everything here drives real processes and real sockets: the plugin binary
over pipes (playing rsyslog's omprog side) and a Unix datagram socket bound
in a temporary directory (playing analysisd).
"""
import base64
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

PLUGIN = os.environ.get("PLUGIN", "")
CORPUS = os.environ.get("CORPUS", "")


class Tap:
    """Counts assertions and prints TAP; the plan comes last."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, detail=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, desc))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, desc))
            if detail is not None:
                for line in str(detail).splitlines()[:40]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, "got:  %r\nwant: %r" % (got, want))

    def known(self, cond, desc, why, detail=None):
        """ok(cond, desc), except that a failure is a known limit (a TAP
        TODO: `why`), not counted as failed. Only a failure is marked: an
        "ok ... # TODO" would read as an unexpected pass (XPASS)."""
        if cond:
            return self.ok(True, desc, detail)
        self.ok(False, "%s # TODO %s" % (desc, why), detail)
        self.failed -= 1
        return False

    def skip(self, desc, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, why))

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(0)


class Receiver:
    """A stand-in analysisd: a Unix datagram socket that records what arrives.

    rcvbuf shrinks the kernel buffer (a busy analysisd); delay sleeps after
    each datagram (a slow reader); stop()/start() remove and recreate the
    socket file (analysisd stopped and restarted).
    """

    def __init__(self, path, rcvbuf=None, delay=0.0, start=True,
                 break_after=None):
        self.path = path
        self.break_after = break_after
        self.rcvbuf = rcvbuf
        self.delay = delay
        self.datagrams = []
        self.lock = threading.Lock()
        self.sock = None
        self.thread = None
        self.running = False
        self.paused = threading.Event()
        if start:
            self.start()

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if self.rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.bind(self.path)
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        sock = self.sock
        while self.running:
            if self.paused.is_set():
                time.sleep(0.01)
                continue
            r, _, _ = select.select([sock], [], [], 0.05)
            if not r:
                continue
            try:
                data = sock.recv(1 << 20)
            except OSError:
                break
            with self.lock:
                self.datagrams.append(data)
                n = len(self.datagrams)
            if self.break_after is not None and n >= self.break_after:
                self._break()
                return
            if self.delay:
                time.sleep(self.delay)

    def _break(self):
        """analysisd dies: refuse new datagrams at once (senders get EPIPE),
        keep what the kernel already queued (the sender counted it as sent),
        then close and remove the socket file."""
        self.sock.shutdown(socket.SHUT_RD)
        self.sock.setblocking(False)
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except (BlockingIOError, OSError):
                break
            with self.lock:
                self.datagrams.append(data)
        self.running = False
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.break_after = None

    def stop(self, unlink=True):
        """analysisd stops: nobody reads; the socket file goes (unlink) or
        stays behind with no listener (ECONNREFUSED)."""
        self.running = False
        if self.thread:
            self.thread.join()
        try:
            self.sock.close()
        except OSError:
            pass
        if unlink and os.path.exists(self.path):
            os.unlink(self.path)

    def pause(self):
        self.paused.set()

    def resume(self):
        self.paused.clear()

    def count(self):
        with self.lock:
            return len(self.datagrams)

    def wait_count(self, n, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            if self.count() >= n:
                return True
            time.sleep(0.02)
        return self.count() >= n

    def settle(self, quiet=0.3, timeout=10):
        """Wait until nothing has arrived for `quiet` seconds: datagrams
        the sender already counted may still sit in the kernel's queue."""
        end = time.time() + timeout
        last = -1
        while time.time() < end:
            n = self.count()
            if n == last:
                return n
            last = n
            time.sleep(quiet)
        return self.count()

    def events(self):
        """Parse every datagram: list of (location, event dict)."""
        out = []
        with self.lock:
            grams = list(self.datagrams)
        for g in grams:
            assert g.startswith(b"1:"), g[:40]
            rest = g[2:]
            i = 0
            loc = bytearray()
            while rest[i:i + 1] != b":":
                if rest[i:i + 1] == b"|":
                    i += 1
                loc += rest[i:i + 1]
                i += 1
            out.append((loc.decode(), json.loads(rest[i + 1:].decode("utf-8"))))
        return out


def close_stdin(proc, stderr, timeout):
    """End an omprog program's input as rsyslog does at shutdown, wait up
    to `timeout` s (then kill it) and close its stderr file: the exit
    code, or None when it had to be killed."""
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None
    finally:
        stderr.close()


class Plugin:
    """The plugin as omprog runs it: lines on stdin, answers on stdout."""

    def __init__(self, workdir, socket_path, extra=None, spool=None,
                 allow_root=True):
        self.workdir = workdir
        self.reject_file = os.path.join(workdir, "rejected.jsonl")
        self.spool_dir = spool or os.path.join(workdir, "spool")
        self.stderr_path = os.path.join(workdir, "plugin.stderr")
        args = [PLUGIN, "--socket", socket_path,
                "--reject-file", self.reject_file,
                "--spool-dir", self.spool_dir,
                "--key-file", os.path.join(workdir, "hmac.key"),
                "--state-file", os.path.join(workdir, "analysisd.state"),
                "--stats-interval", "0", "--max-eps", "0"]
        args += extra or []
        # Root (CI) would drop to an unprivileged user who cannot use this
        # root-owned work directory; the plugin stays root but confined.
        # test_confinement.py covers the drop itself (allow_root=False).
        if allow_root and os.geteuid() == 0 and "--allow-root" not in args:
            args.append("--allow-root")
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.buf = b""

    def send(self, line):
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def answer(self, timeout=30):
        """Read one answer line: (answer without dots, number of dots)."""
        end = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                return (None, 0)
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return (None, 0)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode("utf-8", "replace")
        dots = len(text) - len(text.lstrip("."))
        return (text.lstrip("."), dots)

    def call(self, line, timeout=30):
        self.send(line)
        return self.answer(timeout)[0]

    def close(self, timeout=30):
        """Close stdin as rsyslog does at shutdown; return the exit code."""
        return close_stdin(self.proc, self.stderr, timeout)

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.stderr.close()

    def rejects(self):
        if not os.path.exists(self.reject_file):
            return []
        with open(self.reject_file, "rb") as f:
            return [json.loads(l) for l in f if l.strip()]

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def reject_input(entry):
    """The raw bytes a reject-file entry holds."""
    if "input" in entry:
        return entry["input"].encode("utf-8")
    return base64.b64decode(entry["input_base64"])


class Workdir:
    def __init__(self, prefix="wka-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.socket = os.path.join(self.path, "queue")

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def corpus_documents():
    """Every JSON document of the corpus as (file name, parsed value)."""
    docs = []
    for name in sorted(os.listdir(CORPUS)):
        path = os.path.join(CORPUS, name)
        if name.endswith(".jsonl"):
            with open(path, encoding="utf-8-sig") as f:
                for n, line in enumerate(f):
                    if line.strip():
                        docs.append(("%s:%d" % (name, n + 1), json.loads(line)))
        elif name.endswith(".json"):
            with open(path, encoding="utf-8-sig") as f:
                docs.append((name, json.load(f)))
    return docs


def is_audit_event(doc):
    return isinstance(doc, dict) and doc.get("kind", "Event") == "Event" and \
        all(isinstance(doc.get(k), str) for k in
            ("auditID", "stage", "verb", "requestURI", "level")) and \
        isinstance(doc.get("user"), dict)


def corpus_events():
    """(source, event) for every audit event in the corpus."""
    out = []
    for name, doc in corpus_documents():
        items = doc.get("items") if isinstance(doc, dict) and \
            doc.get("kind") == "EventList" else [doc]
        for i, ev in enumerate(items):
            if is_audit_event(ev):
                out.append(("%s#%d" % (name, i), ev))
    return out


def eventlist(events):
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1",
            "metadata": {}, "items": events}


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def without_k8s(event):
    """The event as the plugin received it: shaping adds the top-level `k8s`
    object; compare the rest."""
    return {k: v for k, v in event.items() if k != "k8s"}


REDACTION_PREFIX = "[REDACTED"


def same_as_source(got, src):
    """True when `got` (an event as delivered) is `src` with only the changes
    shaping is allowed to make: the added `k8s` object, values replaced by a
    redaction marker, and parts named in k8s.dropped removed."""
    k8s = got.get("k8s", {}) if isinstance(got, dict) else {}
    dropped = set(filter(None, str(k8s.get("dropped", "")).split(",")))
    return _same(without_k8s(got), src, dropped)


def _redacted_match(got, src):
    """A string in which shaping replaced parts (credentials inside a text
    value) by markers: the rest must be the source's."""
    import re
    parts = re.split(r"\[REDACTED [^\]]*\]", got)
    pattern = "(?s)" + ".+?".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, src) is not None


def _same(got, src, dropped):
    if isinstance(got, str) and got.startswith(REDACTION_PREFIX):
        return True
    if isinstance(got, str) and isinstance(src, str) and \
            REDACTION_PREFIX in got:
        return _redacted_match(got, src)
    if isinstance(src, dict):
        if not isinstance(got, dict) or set(got) - set(src):
            return False
        for key, value in src.items():
            if key not in got:
                if key in dropped or "annotations" in dropped or \
                        any(d.endswith(key) for d in dropped):
                    continue
                return False
            if not _same(got[key], value, dropped):
                return False
        return True
    if isinstance(src, list):
        return isinstance(got, list) and len(got) == len(src) and \
            all(_same(g, s, dropped) for g, s in zip(got, src))
    return got == src and type(got) == type(src)
