"""A stand-in analysisd in its own process, so that it can die as analysisd
does (SIGKILL: the datagrams queued on its socket die with it).

    python3 standin.py SOCKET OUTFILE [DELAY]

Binds the Unix datagram socket SOCKET (replacing a stale file), appends
every datagram it reads to OUTFILE, one a line (our datagrams hold compact
JSON: no raw newline), and sleeps DELAY seconds after each (a slow reader).
Exits on SIGTERM; SIGKILL it to simulate a crash.
"""
import json
import os
import socket
import subprocess
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    while True:
        data = sock.recv(1 << 17)
        os.write(fd, data + b"\n")
        if delay:
            time.sleep(delay)


def read(out):
    """The datagrams a stand-in wrote to OUTFILE (missing: none)."""
    try:
        with open(out, "rb") as f:
            return [l for l in f.read().split(b"\n") if l]
    except FileNotFoundError:
        return []


class Standin:
    """Start/kill a stand-in process; every run appends to its own file."""

    def __init__(self, path, outdir, delay=0.0):
        self.path, self.outdir, self.delay = path, outdir, delay
        self.proc = None
        self.runs = 0

    def start(self, delay=None):
        self.runs += 1
        d = self.delay if delay is None else delay
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), self.path,
             os.path.join(self.outdir, "standin-%d.out" % self.runs), str(d)])
        end = time.time() + 10
        while not os.path.exists(self.path) and time.time() < end:
            time.sleep(0.01)

    def kill(self, unlink=False):
        """SIGKILL: what it had not read is lost with it."""
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if unlink and os.path.exists(self.path):
            os.unlink(self.path)

    def datagrams(self):
        out = []
        for n in range(1, self.runs + 1):
            out += read(os.path.join(self.outdir, "standin-%d.out" % n))
        return out

    def audit_ids(self):
        """auditID -> times delivered, over every run."""
        got = {}
        for g in self.datagrams():
            _head, _, body = g.partition(b":{")
            try:
                ev = json.loads(b"{" + body)
            except ValueError:
                continue
            aid = ev.get("auditID")
            got[aid] = got.get(aid, 0) + 1
        return got

if __name__ == "__main__":
    main()
