#!/usr/bin/env python3
"""Restart a REAL Wazuh 4.x analysisd in the middle of a burst: count what is
lost and what comes twice, from its archives (issue 27).  Not run in CI.

    real_restart_check.py --prefix DIR [--plugin PATH] [--runs N]
        [--events N] [--down SECS] [--wdb-standin SCRIPT] [--extra ARGS]

DIR is a Wazuh manager installation whose ossec.conf has
<logall_json>yes</logall_json> (every event goes to
logs/archives/archives.json) and whose analysisd is NOT running: this
script runs DIR/bin/wazuh-analysisd -f itself (as root), and, with
--wdb-standin, first starts that wazuh-db stand-in (a private build without
wazuh-db, e.g. fakewdb.py SOCKET LOG) on DIR/queue/sockets/... .  Each run
starts the plugin ($PLUGIN or --plugin, default options plus --extra) with a
fresh spool, feeds it --events corpus events with unique auditIDs in
EventLists of 400 as rsyslog's omprog does (a line answered with an error
is sent again), SIGTERMs analysisd once half the lines are answered, starts
it again --down seconds later, waits for the rest, and counts each auditID
in the archives.  Prints one line per run and the totals; exit 1 if any
event was lost.
"""
import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
os.environ.setdefault("CORPUS", os.path.join(HERE, "..", "corpus", "k8s-audit"))
from harness import compact, corpus_events, eventlist  # noqa: E402

PER_LINE = 400


class Analysisd:
    def __init__(self, prefix):
        self.prefix = prefix
        self.sock = os.path.join(prefix, "queue", "sockets", "queue")
        self.log = open(os.path.join(tempfile.gettempdir(),
                                     "real_restart_analysisd.out"), "ab")
        self.proc = None

    def _ident(self):
        try:
            st = os.stat(self.sock)
            return (st.st_ino, st.st_ctime_ns)
        except FileNotFoundError:
            return None

    def start(self):
        before = self._ident()
        self.proc = subprocess.Popen(
            [os.path.join(self.prefix, "bin", "wazuh-analysisd"), "-f"],
            stdout=self.log, stderr=self.log)
        end = time.time() + 60
        while time.time() < end:
            if self._ident() not in (None, before):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                try:
                    s.connect(self.sock)
                    return
                except OSError:
                    pass
                finally:
                    s.close()
            time.sleep(0.05)
        raise SystemExit("analysisd did not start (see %s)" % self.log.name)

    def term(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


class Plugin:
    def __init__(self, path, analysisd, workdir, extra):
        self.stderr_path = os.path.join(workdir, "plugin.stderr")
        args = [path, "--socket", analysisd.sock,
                "--spool-dir", os.path.join(workdir, "spool"),
                "--reject-file", os.path.join(workdir, "rejected.jsonl"),
                "--key-file", os.path.join(workdir, "hmac.key"),
                "--state-file", os.path.join(analysisd.prefix, "var", "run",
                                             "wazuh-analysisd.state"),
                "--stats-interval", "0", "--retry-wait", "1"] + extra
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        self.answer()

    def answer(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                return None
            text = line.decode().strip().lstrip(".")
            if text:
                return text

    def deliver(self, line, answered):
        """As omprog: send until answered OK."""
        while True:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
            if self.answer() == "OK":
                answered.append(1)
                return
            time.sleep(0.5)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(60)
        self.stderr.close()
        with open(self.stderr_path) as f:
            text = f.read()
        stats = re.findall(r"final stats:.*", text)
        return stats[-1] if stats else ""


def archived(archives, start, tag):
    """The auditIDs of this run's events in the archives from offset start,
    one per event: its own, the first in its full_log (an alert of a
    frequency rule also quotes earlier events, in previous_output)."""
    pat = re.compile(r'"auditID":"(' + re.escape(tag) + r'-\d+)"')
    with open(archives, "rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    out = []
    for line in text.split("\n"):
        try:
            m = pat.search(json.loads(line).get("full_log", ""))
        except ValueError:
            continue
        if m:
            out.append(m.group(1))
    return out


def run(args, n, analysisd, events, archives):
    tag = "r27-%d-%d" % (os.getpid(), n)
    lines, ids = [], []
    for b in range(0, args.events, PER_LINE):
        evs = []
        for i in range(b, min(b + PER_LINE, args.events)):
            ev = dict(events[i % len(events)])
            ev["auditID"] = "%s-%d" % (tag, i)
            ids.append(ev["auditID"])
            evs.append(ev)
        lines.append(compact(eventlist(evs)))
    start = os.path.getsize(archives) if os.path.exists(archives) else 0
    with tempfile.TemporaryDirectory(prefix="wka-real-restart-") as wd:
        pl = Plugin(args.plugin, analysisd, wd, shlex.split(args.extra))
        answered = []

        def feed():
            for line in lines:
                pl.deliver(line, answered)

        th = threading.Thread(target=feed)
        th.start()
        while len(answered) < len(lines) // 2:
            time.sleep(0.005)
        analysisd.term()
        time.sleep(args.down)
        analysisd.start()
        th.join()
        want = set(ids)
        end = time.time() + 60
        while time.time() < end and not want <= set(
                archived(archives, start, tag)):
            time.sleep(0.5)
        time.sleep(2)      # late duplicates land too
        seen = archived(archives, start, tag)
        stats = pl.close()
    lost = len(want - set(seen))
    dups = len(seen) - len(set(seen) & want)
    m = re.search(r"resent=(\d+) resent_read=(\d+)", stats)
    print("run %2d: %d events, lost %d, duplicates %d, plugin resent=%s "
          "resent_read=%s" % (n, len(ids), lost, dups,
                              m.group(1) if m else "?",
                              m.group(2) if m else "?"))
    if lost:
        print("  lost: %s" % " ".join(sorted(want - set(seen))[:20]))
    sys.stdout.flush()
    return lost, dups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", default="/var/ossec")
    ap.add_argument("--plugin", default=os.environ.get("PLUGIN", ""))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--events", type=int, default=6000)
    ap.add_argument("--down", type=float, default=3.0)
    ap.add_argument("--wdb-standin")
    ap.add_argument("--extra", default="")
    args = ap.parse_args()
    if not args.plugin:
        raise SystemExit("--plugin or $PLUGIN: the plugin binary")
    archives = os.path.join(args.prefix, "logs", "archives", "archives.json")
    # One auditID each: an event that quotes another (an audit Event in
    # its requestObject) would be counted for the one it quotes.
    events = [ev for _, ev in corpus_events() if len(compact(ev)) < 60000
              and compact(ev).count('"auditID"') == 1]
    wdb = None
    if args.wdb_standin:
        wdb = subprocess.Popen([sys.executable, args.wdb_standin,
                                os.path.join(args.prefix, "queue", "db",
                                             "wdb"), os.devnull])
        time.sleep(0.5)
    analysisd = Analysisd(args.prefix)
    analysisd.start()
    total_lost = total_dups = 0
    try:
        for n in range(1, args.runs + 1):
            lost, dups = run(args, n, analysisd, events, archives)
            total_lost += lost
            total_dups += dups
    finally:
        analysisd.term()
        if wdb:
            wdb.terminate()
    print("total: %d runs, lost %d, duplicates %d" % (args.runs, total_lost,
                                                       total_dups))
    return 1 if total_lost else 0


if __name__ == "__main__":
    sys.exit(main())
