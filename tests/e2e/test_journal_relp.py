#!/usr/bin/env python3
"""kube-apiserver's stdout through journald, over RELP/TLS (issue 22).

Real parts: a journal file a real systemd 252 journald wrote
(tests/fixtures/journal/journal.xz, recorded by tests/journal/
record_journal.py: no journald runs as a service on this machine, so the
file is given to imjournal in a mount namespace, as /var/log/journal/
<machine-id> with that machine id); a node rsyslogd running the rendered
node drop-in with JOURNAL_UNIT (imjournal, the envelope template, its Disk
queue, wazuh-k8s-audit-forward sending RELP over TLS with a node
certificate); a manager rsyslogd with the rendered manager drop-in (imrelp
over TLS, Disk queue, the real plugin with --frame journal); a stand-in
analysisd socket.

The journal holds, from unit kube-apiserver.service: a 3 MB RequestResponse
event in 65 entries (_LINE_BREAK=line-max, one shortened by journald), two
330 KB events whose entries interleave (two streams), the unit's own log
line, lines cut where spaces are, and a line the unit never ended
(_LINE_BREAK=eof). Checks: the three events arrive once each, whole or
reduced with k8s.dropped, never cut; nothing else arrives; the truncated
line is set aside.
"""
import json
import lzma
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from harness import PLUGIN, Receiver, Tap, Workdir  # noqa: E402
from test_relp import Node, wait_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures", "journal")
sys.path.insert(0, os.path.join(HERE, "..", "journal"))
import bigevent  # noqa: E402

MODS = "/usr/lib/x86_64-linux-gnu/rsyslog/"


class JournalNode(Node):
    """The node rsyslogd, its imjournal reading the recorded journal: in a
    mount namespace where /var/log/journal holds it and /etc/machine-id
    names it (sd_journal_open reads the local machine's directory)."""

    def __init__(self, wd, journal_dir, machine_id, drop, *args):
        super().__init__(wd, *args)
        self.journal_dir, self.machine_id = journal_dir, machine_id
        self.args += ["JOURNAL_UNIT=kube-apiserver.service", "JOURNAL_LOAD=yes"]
        self.render()
        if drop:
            # an entry lost before the drop-in sees it (rate limit, vacuum)
            conf = open(self.conf).read()
            open(self.conf, "w").write(drop + "\n" + conf)

    def start(self):
        self.proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c",
             'mount --bind "$1" /var/log/journal && mount --bind "$2" /etc/machine-id && '
             'shift 2 && exec "$@"', "sh", self.journal_dir, self.machine_id,
             e2e.RSYSLOGD, "-n", "-f", self.conf, "-i", self.pidfile],
            cwd=self.wd, stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.wd, "rsyslogd.out"), "ab"),
            stderr=subprocess.STDOUT)


def journal_files(d):
    """The recorded journal under d/<machine-id>/; (dir, machine-id file)."""
    mid = open(os.path.join(FIX, "machine-id")).read().strip()
    os.makedirs(os.path.join(d, "journal", mid))
    with open(os.path.join(d, "journal", mid, "system@recorded.journal"), "wb") as f:
        f.write(lzma.decompress(open(os.path.join(FIX, "journal.xz"), "rb").read()))
    with open(os.path.join(d, "machine-id"), "w") as f:
        f.write(mid + "\n")
    return os.path.join(d, "journal"), os.path.join(d, "machine-id")


def stream_of(audit_id):
    """The _STREAM_ID of the recorded line of that auditID."""
    envs = lzma.decompress(open(os.path.join(FIX, "envelopes.jsonl.xz"), "rb").read())
    for line in envs.split(b"\n"):
        if b'auditID\\":\\"%s\\"' % audit_id.encode() in line:
            return json.loads(line.decode("utf-8", "surrogateescape"))["stream"]
    raise RuntimeError("no recorded line of " + audit_id)


def phase(t, so, d, drop):
    """One node and one manager from scratch in d; (events by auditID,
    manager, plugin log, reject reasons)."""
    certs = e2e.make_certs(os.path.join(d, "certs"), "localhost", "127.0.0.1")
    e2e.make_node_certs(certs, "alpha:cp-1")
    recv = Receiver(os.path.join(d, "a.sock"))
    port = e2e.free_port()
    m = e2e.Rsyslog(os.path.join(d, "m"), so, PLUGIN, recv.path, certs,
                    settings=["RELP_LISTEN=127.0.0.1", "RELP_CLUSTERS=alpha:%d" % port])
    os.makedirs(os.path.join(d, "audit"))
    jdir, mid = journal_files(d)
    node = JournalNode(os.path.join(d, "node"), jdir, mid, drop, certs, "alpha", "cp-1",
                       os.path.join(d, "audit"), "localhost:%d" % port)
    try:
        m.start()
        if not t.ok(e2e.wait_port(port), "the manager's RELP listener is up", m.internal_log()):
            return {}, m, "", [], []
        start = time.time()
        node.start()
        got = wait_all([recv], "journal", 2 if drop else 3, 60, idle=5)
        t.diag("delivered in %.1f s" % (time.time() - start))
        recv.settle(quiet=1)
        all_ids = [ev.get("auditID") for _, ev in recv.events()]
    finally:
        node.stop()
        m.stop()
        recv.stop()
        if t.failed:
            t.diag("node: " + node.internal_log())
            t.diag("manager: " + m.internal_log())
    rej = []
    rf = os.path.join(m.log_dir, "rejected.jsonl")
    if os.path.exists(rf):
        rej = [json.loads(line).get("reason", "") for line in open(rf) if line.strip()]
    lf = os.path.join(m.log_dir, "plugin-relp-alpha.log")
    log = open(lf, errors="replace").read() if os.path.exists(lf) else ""
    return got, m, log, rej, all_ids


def main():
    t = Tap()
    so = e2e.require_pipeline(t, PLUGIN, "journald pipeline")
    for mod in ("imrelp.so", "imjournal.so"):
        if not os.path.exists(MODS + mod) and os.environ.get("CI") != "true":
            t.skip("journald pipeline", "%s is not installed (contrib/install-deps.sh)" % mod)
            t.done()
    if os.geteuid() != 0 or not shutil.which("unshare"):
        t.skip("journald pipeline", "needs root and unshare(1) for a mount namespace")
        t.done()
    w = Workdir("wka-journal-relp-")
    src = json.loads(bigevent.big_event("journal-big", 3 << 20))

    # 1. the journal as recorded
    got, m, log, rej, all_ids = phase(t, so, os.path.join(w.path, "1"), None)
    n = {k: len(v) for k, v in got.items()}
    t.eq(n, {"journal-big": 1, "journal-a": 1, "journal-b": 1},
         "the 3 MB event and both interleaved 330 KB events arrive once each")
    for aid, evs in sorted(got.items()):
        e = evs[0][1]
        whole = e.get("requestObject", {}).get("data") is not None
        dropped = "requestObject" in str(e.get("k8s", {}).get("dropped", ""))
        t.ok(whole or dropped, "%s: whole or its requestObject named in k8s.dropped" % aid,
             e.get("k8s"))
        t.ok(all(e.get(k) == src[k] for k in ("verb", "user", "objectRef", "requestURI")),
             "%s: its audit metadata as the apiserver wrote it" % aid)
        t.ok(e["k8s"].get("cluster") == "alpha" and e["k8s"].get("source") == "relp",
             "%s: k8s.cluster from the listener, k8s.source relp" % aid)
    t.ok(len(all_ids) == 3, "nothing else arrives: not the line the unit never ended "
         "(_LINE_BREAK=eof), nor the lines of spaces", all_ids)
    t.ok(any("invalid JSON" in r for r in rej), "the line the unit never ended is set aside "
         "(rejected.jsonl)", rej)
    t.ok("trailing spaces journald stripped from its pieces put back" in log,
         "the space journald stripped from the 3 MB event's piece is put back")
    t.ok("journal_other=1 " in log, "the unit's own log line is counted, not delivered",
         [x for x in log.splitlines() if "journal_" in x])

    # 2. the last entry of b's line lost on the node (its stream is b's alone)
    sid = stream_of("journal-b")
    drop = 'if $!_STREAM_ID == "%s" and $!_LINE_BREAK == "" then stop' % sid
    got, m, log, rej, all_ids = phase(t, so, os.path.join(w.path, "2"), drop)
    t.eq({k: len(v) for k, v in got.items()}, {"journal-big": 1, "journal-a": 1},
         "b's last piece lost: the others arrive, nothing of b")
    parts = [f for f in os.listdir(os.path.join(m.lib_dir, "spool-relp-alpha"))
             if f.endswith(".part")]
    t.ok(parts == ["journal-%s.part" % sid],
         "b's 6 pieces are held on disk, waiting for the rest (set aside after 10,000 "
         "envelopes of other streams: tests/plugin/test_journal.py)", parts)
    if not t.failed:
        w.cleanup()
    t.done()


if __name__ == "__main__":
    main()
