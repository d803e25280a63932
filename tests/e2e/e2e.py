"""End-to-end helpers: a private rsyslogd with the real drop-in, the patched
imhttp, the real plugin, curl as the webhook client over mutual TLS.

Nothing here touches the system's rsyslog: the private instance has its own
config, work directory, pid file, loopback port and imuxsock socket.
"""
import base64
import gzip
import json
import os
import re
import signal
import socket
import subprocess
import time

TOP_SRCDIR = os.environ.get("TOP_SRCDIR") or \
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("TOP_BUILDDIR") or TOP_SRCDIR
RSYSLOGD = "/usr/sbin/rsyslogd"
AID = re.compile(rb'"auditID":"[^"]*"')


def build_imhttp():
    """(path of imhttp.so, None) or (None, why it cannot be had)."""
    out = os.path.join(TOP_BUILDDIR, "_build-imhttp")
    script = os.path.join(TOP_SRCDIR, "contrib", "imhttp", "build-imhttp.sh")
    if not os.path.exists(RSYSLOGD):
        return None, "rsyslogd is not installed"
    p = subprocess.run(["sh", script, "-o", out], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    so = os.path.join(out, "imhttp.so")
    if p.returncode != 0 or not os.path.exists(so):
        lines = p.stdout.decode(errors="replace").strip().splitlines()
        return None, lines[-1] if lines else "build-imhttp.sh failed"
    return so, None


def mend_queue(queue_dir, log_path):
    """contrib/mend-queue.sh on queue_dir, as the services run it before
    each start (ExecStartPre); what it says is appended to log_path."""
    with open(log_path, "ab") as log:
        subprocess.run(["sh", os.path.join(TOP_SRCDIR, "contrib",
                                           "mend-queue.sh"), queue_dir],
                       stdout=log, stderr=log, check=True)


def require_pipeline(t, plugin, what):
    """The patched imhttp.so for tap `t`, or end the test: a missing plugin
    binary fails; an imhttp that cannot be built skips `what`, except in CI
    (CI=true), where it fails."""
    if not plugin or not os.access(plugin, os.X_OK):
        t.ok(False, "plugin binary $PLUGIN exists", plugin)
        t.done()
    so, why = build_imhttp()
    if so is None:
        if os.environ.get("CI") == "true":
            t.ok(False, "patched imhttp built", why)
        else:
            t.skip(what, "imhttp cannot be built: %s" % why)
        t.done()
    return so


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20):
    """True once 127.0.0.1:port accepts a connection, False after timeout s."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def make_certs(directory, *sans):
    subprocess.run(["sh", os.path.join(TOP_SRCDIR, "contrib", "certs",
                                       "make-certs.sh"), "-d", directory]
                   + list(sans or ("localhost", "127.0.0.1")),
                   check=True, stdout=subprocess.DEVNULL)
    return directory


def make_node_certs(directory, *names):
    """Node certificates for names CLUSTER:NODE in directory (made by
    make_certs): nodes/CLUSTER/NODE.crt and .key, signed by its CA."""
    for name in names:
        subprocess.run(["sh", os.path.join(TOP_SRCDIR, "contrib", "certs",
                                           "make-certs.sh"), "-d", directory,
                        "-n", name], check=True, stdout=subprocess.DEVNULL)


class Rsyslog:
    """A private rsyslogd running the rendered drop-in."""

    def __init__(self, wd, imhttp, plugin, socket_path, certs, settings=()):
        """settings: KEY=VALUE overrides for render-dropin.sh."""
        self.wd = wd
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.certs = certs
        self.logsock = os.path.join(wd, "log.sock")
        self.internal = os.path.join(wd, "internal.log")
        self.pidfile = os.path.join(wd, "rsyslogd.pid")
        self.conf = os.path.join(wd, "rsyslog.conf")
        self.dropin = os.path.join(wd, "60-wazuh-k8s-audit.conf")
        self.log_dir = os.path.join(wd, "log")
        self.lib_dir = os.path.join(wd, "lib")
        self.mend_log = os.path.join(wd, "mend-queue.log")
        self.proc = None
        os.makedirs(os.path.join(wd, "work"), exist_ok=True)
        subprocess.run(
            ["sh", os.path.join(TOP_SRCDIR, "contrib", "render-dropin.sh"),
             "-m", "-o", self.dropin,
             "LISTEN=127.0.0.1:%d" % self.port,
             "IMHTTP_MODULE=" + imhttp,
             "SERVER_PEM=" + os.path.join(certs, "server.pem"),
             "CA_FILE=" + os.path.join(certs, "ca.crt"),
             "PLUGIN=" + plugin,
             # As root the plugin would become a user that cannot use this
             # root work directory: stay root, confined (test_confinement.py
             # covers the drop).
             "PLUGIN_ARGS=--stats-interval 0 --max-eps 0 --retry-wait 1" +
             (" --allow-root" if os.geteuid() == 0 else ""),
             "ANALYSISD_SOCKET=" + socket_path,
             "STATE_FILE=" + os.path.join(wd, "analysisd.state"),
             "LOG_DIR=" + self.log_dir, "LIB_DIR=" + self.lib_dir,
             "QUEUE_MAX_DISK=1g", "LOGGER_TAG=k8s-audit"] + list(settings),
            check=True)
        with open(self.conf, "w") as f:
            f.write("""\
global(workDirectory="%(wd)s/work" processInternalMessages="on")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(sock)s")
include(file="%(dropin)s")
*.* action(type="omfile" file="%(internal)s")
""" % {"wd": wd, "sock": self.logsock, "dropin": self.dropin,
                "internal": self.internal})

    def check_config(self):
        p = subprocess.run([RSYSLOGD, "-N1", "-f", self.conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return p.returncode == 0, p.stdout.decode(errors="replace")

    def start(self, timeout=20):
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        mend_queue(os.path.join(self.lib_dir, "queue"), self.mend_log)
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", self.conf, "-i", self.pidfile],
            cwd=self.wd, stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.wd, "rsyslogd.out"), "ab"),
            stderr=subprocess.STDOUT)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("rsyslogd exited: %s" % self.internal_log())
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("rsyslogd did not listen: %s" % self.internal_log())

    def stop(self, timeout=60):
        """SIGTERM and wait, as `systemctl stop rsyslog` does."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def crash(self):
        """SIGKILL, as the OOM killer or a crashing module does."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def plugin_pids(self, spool_suffix="/spool"):
        """pids of the plugin processes rsyslogd runs with that spool dir."""
        out = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self.proc and ppid == self.proc.pid and b"--spool-dir" in argv:
                spool = argv[argv.index(b"--spool-dir") + 1].decode()
                if spool.endswith(spool_suffix):
                    out.append(int(pid))
        return out

    def internal_log(self, tail=4000):
        """The end of rsyslogd's own log (tail=None: all of it)."""
        try:
            with open(self.internal, errors="replace") as f:
                text = f.read()
        except OSError:
            return "(no internal log)"
        return text if tail is None else text[-tail:]

    def plugin_log(self):
        try:
            with open(os.path.join(self.log_dir, "plugin.log"),
                      errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return "(no plugin log)"

    def curl(self, path="/k8s-audit", data=None, cert="client", ca=None,
             scheme="https", headers=(), method=None, timeout=60,
             extra=()):
        """(exit code, HTTP status or 0, response body) of one curl run.
        data: bytes or a file path (str)."""
        certs = self.certs
        args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}",
                "--max-time", str(timeout)]
        if scheme == "https":
            args += ["--cacert", ca or os.path.join(certs, "ca.crt")]
            if cert:
                d = cert if os.path.isabs(cert) else certs
                name = "client"
                args += ["--cert", os.path.join(d, name + ".crt"),
                         "--key", os.path.join(d, name + ".key")]
        for h in headers:
            args += ["-H", h]
        if method:
            args += ["-X", method]
        stdin = None
        if data is not None:
            args += ["-H", "Content-Type: application/json"]
            if isinstance(data, bytes):
                args += ["--data-binary", "@-"]
                stdin = data
            else:
                args += ["--data-binary", "@" + data]
        args += list(extra)
        args.append("%s://127.0.0.1:%d%s" % (scheme, self.port, path))
        p = subprocess.run(args, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        body, _, code = p.stdout.rpartition(b"\n")
        try:
            status = int(code)
        except ValueError:
            status = 0
        return p.returncode, status, body


def tag_events(events, prefix):
    """Copies of the events with unique auditIDs (prefix-N), so every
    delivered event can be matched to exactly one source."""
    out = []
    for n, ev in enumerate(events):
        ev = json.loads(json.dumps(ev))
        ev["auditID"] = "%s-%d" % (prefix, n)
        out.append(ev)
    return out


def delivered(receiver, prefix):
    """auditID -> list of delivered events, for auditIDs with that prefix."""
    got = {}
    for _loc, ev in receiver.events():
        aid = ev.get("auditID", "") if isinstance(ev, dict) else ""
        if aid.startswith(prefix + "-"):
            got.setdefault(aid, []).append(ev)
    return got


def wait_delivered(receiver, prefix, n, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if len(delivered(receiver, prefix)) >= n:
            time.sleep(0.3)   # let duplicates, if any, show up too
            break
        time.sleep(0.1)
    return delivered(receiver, prefix)


def real_lines():
    """(lines, where from): the real apiserver's audit lines
    (shared/real-apiserver/audit-benign.jsonl beside the clone), else the
    project's corpus events, one compact JSON a line."""
    from harness import corpus_events   # tests/lib, on the tests' path
    for up in ("..", os.path.join("..", "..")):
        p = os.path.join(TOP_SRCDIR, up, "shared", "real-apiserver",
                         "audit-benign.jsonl")
        if os.path.exists(p):
            with open(p, "rb") as f:
                return [l for l in f.read().split(b"\n") if l], p
    evs = [ev for _src, ev in corpus_events()]
    return [json.dumps(e, separators=(",", ":")).encode() for e in evs], \
        "tests/corpus (real-apiserver not found)"


def tagged(lines, prefix, n):
    """n lines (cycling), the auditID of line i replaced by prefix-i and
    every other byte left as the apiserver wrote it."""
    return [AID.sub(b'"auditID":"%s-%d"' % (prefix.encode(), i),
                    lines[i % len(lines)], count=1) for i in range(n)]


def wait_quiet(count, n, timeout, idle=10):
    """Poll count() until it reaches n, timeout seconds pass, or it is above
    0 and has not changed for idle seconds (the rest is not coming)."""
    end = time.time() + timeout
    last, since = -1, time.time()
    while time.time() < end:
        k = count()
        if k >= n:
            return
        if k != last:
            last, since = k, time.time()
        elif k > 0 and time.time() - since > idle:
            return
        time.sleep(0.2)


def check_once(t, got, n, what, max_dup=0):
    """On tap t: every one of n events is in got (auditID -> deliveries) and
    at most max_dup deliveries are duplicates; returns the duplicates."""
    lost = n - len(got)
    dup = sum(len(v) - 1 for v in got.values())
    t.ok(lost == 0, "%s: all %d events delivered (lost %d)" % (what, n, lost))
    t.ok(dup <= max_dup, "%s: %d duplicates (allowed %d)" % (what, dup, max_dup))
    return dup


class Node:
    """A private node rsyslogd running self.conf in working directory wd:
    what a subclass writes there is its business; this starts, stops and
    reads its internal log (wd/internal.log)."""

    def __init__(self, wd):
        self.wd = wd
        self.internal = os.path.join(wd, "internal.log")
        self.pidfile = os.path.join(wd, "rsyslogd.pid")
        self.conf = os.path.join(wd, "rsyslog.conf")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", self.conf, "-i", self.pidfile],
            cwd=self.wd, stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.wd, "rsyslogd.out"), "ab"),
            stderr=subprocess.STDOUT)

    def stop(self):
        """SIGTERM and wait (60 s at the most)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        self.proc = None

    def crash(self):
        """SIGKILL, as the OOM killer does."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def internal_log(self):
        try:
            with open(self.internal, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return "(none)"


def firehose_request(lines, rid, log_group, log_stream, indent=None):
    """The body of an Amazon Data Firehose HTTP endpoint request (requestId
    rid, one record) whose record is what a CloudWatch Logs subscription
    filter sends: a DATA_MESSAGE of log_group/log_stream with lines as its
    logEvents, gzipped, base64 in the record's data. indent: the JSON's."""
    sub = json.dumps({"messageType": "DATA_MESSAGE", "owner": "123456789012",
                      "logGroup": log_group, "logStream": log_stream,
                      "subscriptionFilters": ["wazuh"],
                      "logEvents": [{"id": str(i), "timestamp": i, "message": m}
                                    for i, m in enumerate(lines)]})
    return json.dumps({"requestId": rid, "timestamp": int(time.time() * 1000),
                       "records": [{"data": base64.b64encode(
                           gzip.compress(sub.encode())).decode()}]},
                      indent=indent).encode()


def stop_rsyslogd(t, proc, log):
    """End a test's own rsyslogd proc (SIGTERM; SIGKILL if it still runs
    after 30 s) and diag on tap t the last 5 lines of its log file, if any."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            t.diag("rsyslogd: " + " | ".join(f.read().splitlines()[-5:]))
