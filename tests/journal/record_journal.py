#!/usr/bin/env python3
"""Record what a real journald 252 and a real rsyslog imjournal make of
audit lines longer than journald's LineMax (issue 22).

Boots the cached Debian 12 rootfs of tests/systemd/check_systemd.py
(systemd 252, rsyslog 8.2302) with systemd-nspawn and, inside:
- runs rsyslogd with imjournal and the node drop-in's journald part
  (its envelope template and filter, taken from
  rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in, through a Disk-queue
  ruleset as on a node), writing each envelope to a file instead of RELP;
- starts a transient unit kube-apiserver.service (systemd-run; its stdout
  and stderr are one journal stream) whose processes print, in turn:
  a 3 MB RequestResponse event line (bigevent.big_event) on stdout;
  at once, a 330 KB event on stdout and another through systemd-cat (a
  second stream of the same unit), 16 KB at a time, so that the two
  streams' pieces interleave in the journal;
  a log line on stderr (the unit's own log: not an audit line);
  three lines with spaces where journald cuts them (two before a cut, two
  after one, a whole piece of spaces);
  the first 120 KB of an event and no newline, then the unit ends
  (journald ends that line with _LINE_BREAK=eof: a truncated line).
Writes tests/fixtures/journal/envelopes.jsonl.xz (the envelopes as rsyslog
wrote them), tests/fixtures/journal/journal.xz (the journal file journald
wrote, rotated out around the unit's run) and machine-id, and prints what
journald recorded (piece sizes, _LINE_BREAK, _STREAM_ID).

Usage (root): record_journal.py [ROOTFS_TAR]
"""
import glob
import lzma
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
import bigevent  # noqa: E402

CACHE = "/var/cache/wazuh-k8s-audit/rootfs"
FIX = os.path.join(TOP, "tests", "fixtures", "journal")
OUT = os.path.join(FIX, "envelopes.jsonl.xz")
NODE_CONF = os.path.join(TOP, "rsyslog.d", "node", "58-wazuh-k8s-audit-node.conf.in")
MACHINE = "wka-journal-%d" % os.getpid()
NSPAWN = ["systemd-nspawn", "--register=no", "--keep-unit", "--private-network",
          "--console=passive", "--machine=" + MACHINE]
R = "/root/rec"

# The unit: every writer in turn, a and b at once (stdout and stderr).
UNIT_SH = """set -e
w="python3 %(r)s/writer.py"
$w %(r)s/big.line 1073741824 0
$w %(r)s/a.line 16384 0.01 & systemd-cat -t kube-apiserver $w %(r)s/b.line 16384 0.01 & wait
echo 'I1207 10:14:28.000000 1 controller.go:1] not an audit line' >&2
$w %(r)s/ws.line 1073741824 0
$w %(r)s/cut.line 1073741824 0
""" % {"r": R}

# Prints a file's bytes to stdout: whole, or CHUNK bytes every DELAY s.
WRITER = r"""import os, sys, time
data = open(sys.argv[1], "rb").read()
chunk, delay = int(sys.argv[2]), float(sys.argv[3])
for i in range(0, len(data), chunk):
    os.write(1, data[i:i + chunk])
    time.sleep(delay)
"""


def journal_part():
    """The node drop-in's journald template and filter, for this rsyslog."""
    s = open(NODE_CONF).read()
    tmpl = re.search(r'template\(name="wazuh-k8s-audit-journal".*?"\)\n', s, re.S).group(0)
    filt = re.search(r'if \$!_SYSTEMD_UNIT == .*?\n}\n', s, re.S).group(0)
    filt = filt.replace('@JOURNAL_UNIT@', 'kube-apiserver.service')
    return tmpl, filt


def rsyslog_conf():
    tmpl, filt = journal_part()
    return """global(maxMessageSize="64m" workDirectory="%(r)s/work")
module(load="imjournal" StateFile="rec-imjournal.state")
%(tmpl)s
template(name="wazuh-k8s-audit-line" type="string" string="%%$.line%%\\n")
ruleset(name="wazuh-k8s-audit-node" queue.type="Disk" queue.filename="rec"
        queue.spoolDirectory="%(r)s/work" queue.saveOnShutdown="on") {
    if $.line == "" then set $.line = $msg;
    action(type="omfile" file="%(r)s/envelopes.jsonl" template="wazuh-k8s-audit-line")
}
%(filt)s
""" % {"r": R, "tmpl": tmpl, "filt": filt}


class Container:
    def __init__(self, root, log):
        self.root, self.log, self.proc, self.pid1 = root, log, None, None

    def boot(self, timeout=90):
        self.proc = subprocess.Popen(NSPAWN + ["-D", self.root, "--boot"], stdin=subprocess.DEVNULL,
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.time() + timeout
        while self.pid1 is None and time.time() < end:
            for d in os.listdir("/proc"):
                try:
                    st = open("/proc/%s/status" % d).read()
                except OSError:
                    continue
                pp = re.search(r"^PPid:\s*(\d+)", st, re.M)
                ns = re.search(r"^NSpid:\s*(.*)$", st, re.M)
                if pp and int(pp.group(1)) == self.proc.pid and ns and ns.group(1).split()[-1] == "1":
                    self.pid1 = int(d)
            time.sleep(0.1)
        while time.time() < end:
            r = self.run("systemctl is-system-running --wait")
            if "Failed to connect" not in r.stdout:
                return r.stdout.strip()
            time.sleep(0.2)
        return "timeout"

    def run(self, cmd, timeout=120):
        return subprocess.run(["nsenter", "-t", str(self.pid1), "-a", "env", "-i",
                               "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_PAGER=", "sh", "-c", cmd],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", timeout=timeout)

    def shutdown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def main():
    tars = sys.argv[1:] or sorted(glob.glob(os.path.join(CACHE, "bookworm-*.tar")))
    if not tars:
        sys.exit("no rootfs tarball in %s: run make check-systemd once" % CACHE)
    work = tempfile.mkdtemp(prefix="wka-journal-", dir="/var/tmp")
    root = os.path.join(work, "rootfs")
    os.mkdir(root)
    subprocess.run(["tar", "-C", root, "--numeric-owner", "-xpf", tars[-1]], check=True)
    rec = os.path.join(root, R.lstrip("/"))
    os.makedirs(os.path.join(rec, "work"))
    events = {"big": bigevent.big_event("journal-big", 3 << 20),
              "a": bigevent.big_event("journal-a", 300 << 10),
              "b": bigevent.big_event("journal-b", 300 << 10),
              "cut": bigevent.big_event("journal-cut", 200 << 10)[:120 << 10],
              "ws": b"x" * 49150 + b"  " + b"y" * 10 + b"\n" + b"x" * 49152 + b"  y\n" +
              b"x" * 49152 + b" " * 49152 + b"z"}
    for name, line in events.items():
        with open(os.path.join(rec, name + ".line"), "wb") as f:
            f.write(line + (b"" if name == "cut" else b"\n"))
    open(os.path.join(rec, "writer.py"), "w").write(WRITER)
    open(os.path.join(rec, "unit.sh"), "w").write(UNIT_SH)
    open(os.path.join(rec, "rec.conf"), "w").write(rsyslog_conf())
    c = Container(root, os.path.join(work, "nspawn.log"))
    try:
        print("boot:", c.boot())
        print(c.run("systemctl --version | head -1; rsyslogd -v | head -1").stdout)
        print(c.run("systemctl stop rsyslog.service syslog.socket; "
                    "rsyslogd -N1 -f %s/rec.conf 2>&1 | tail -3; "
                    "systemd-run --unit=recsyslog rsyslogd -n -f %s/rec.conf -i /run/rec.pid" % (R, R)).stdout)
        time.sleep(2)
        # the unit's entries alone in one journal file: rotated before and after
        c.run("journalctl --flush; journalctl --rotate")
        c.run("systemd-run --wait --unit=kube-apiserver sh %s/unit.sh" % R, timeout=120)
        time.sleep(2)
        out = os.path.join(rec, "envelopes.jsonl")
        size = -1
        for _ in range(60):
            time.sleep(1)
            s = os.path.getsize(out) if os.path.exists(out) else 0
            if s == size and s > 0:
                break
            size = s
        c.run("journalctl --flush; journalctl --rotate")
        time.sleep(1)
        exp = c.run("journalctl --all -o json _SYSTEMD_UNIT=kube-apiserver.service _TRANSPORT=stdout | "
                    "python3 -c 'import json,sys\nfor l in sys.stdin:\n e=json.loads(l); m=e[\"MESSAGE\"]\n"
                    " n=len(m) if isinstance(m,list) else len(m.encode())\n"
                    " print(e[\"__SEQNUM\"] if \"__SEQNUM\" in e else \"\", e[\"_STREAM_ID\"][:8], "
                    "e.get(\"_LINE_BREAK\",\"-\"), n)'", timeout=60).stdout
        print("journal entries of kube-apiserver.service (seqnum, stream, _LINE_BREAK, MESSAGE bytes):")
        print(exp)
        files = c.run("ls -t /var/log/journal/*/system@*.journal /run/log/journal/*/system@*.journal "
                      "2>/dev/null").stdout.split()
        mid = c.run("cat /etc/machine-id").stdout.strip()
        # the newest archived file: the unit's run
        with open(os.path.join(root, files[0].lstrip("/")), "rb") as f:
            jdata = f.read()
        with open(os.path.join(FIX, "journal.xz"), "wb") as f:
            f.write(lzma.compress(jdata, preset=9 | lzma.PRESET_EXTREME))
        with open(os.path.join(FIX, "machine-id"), "w") as f:
            f.write(mid + "\n")
        print("journal file %s: %d bytes -> journal.xz (%d bytes)" % (
            files[0], len(jdata), os.path.getsize(os.path.join(FIX, "journal.xz"))))
        print(c.run("journalctl -u recsyslog --no-pager | tail -5").stdout)
        data = open(out, "rb").read()
        os.makedirs(os.path.dirname(OUT), exist_ok=True)
        with open(OUT, "wb") as f:
            f.write(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
        print("%d envelopes, %d bytes -> %s (%d bytes)" % (data.count(b"\n"), len(data), OUT,
                                                          os.path.getsize(OUT)))
    finally:
        c.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
