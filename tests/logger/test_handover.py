"""The logger hand-over loses nothing (issue 20, item 3).

Two real rsyslogd instances: the "system" one runs the packaged
contrib/systemd/59-wazuh-k8s-audit-logger.conf (its port and work directory
made private), the "service" one listens with imptcp as the service's
rsyslog.conf does and writes what it receives to a file.  `logger -t
k8s-audit` lines are sent while the service is up, stopped (a restart, an
upgrade, a removal not yet purged) and started again, and while the system
logger itself restarts with lines waiting: every line must arrive.

LOGGER_DROPIN=<file> runs the same against another drop-in (the numbers of
the report: lines lost before and after)."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

from harness import Tap

TOP_SRCDIR = os.environ.get("TOP_SRCDIR") or \
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RSYSLOGD = "/usr/sbin/rsyslogd"
DROPIN = os.environ.get("LOGGER_DROPIN") or os.path.join(
    TOP_SRCDIR, "contrib", "systemd", "59-wazuh-k8s-audit-logger.conf")
N = 200
# The drop-in retries every few seconds; a line may take this long.
ARRIVE_S = 60

t = Tap()
if not os.access(RSYSLOGD, os.X_OK):
    print("1..0 # SKIP rsyslogd is not installed")
    raise SystemExit(0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Instance:
    """One rsyslogd: config text, its own work directory and pid file."""

    def __init__(self, wd, name, conf, port=None):
        self.wd = os.path.join(wd, name)
        os.makedirs(os.path.join(self.wd, "work"))
        self.conf = os.path.join(self.wd, "rsyslog.conf")
        self.port = port
        with open(self.conf, "w") as f:
            f.write(conf % {"wd": self.wd})
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", self.conf, "-i",
             os.path.join(self.wd, "pid")], cwd=self.wd,
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.wd, "out"), "ab"),
            stderr=subprocess.STDOUT)
        end = time.time() + 20
        while time.time() < end:
            if self.port is None:
                if os.path.exists(os.path.join(self.wd, "log.sock")):
                    return
            else:
                try:
                    socket.create_connection(("127.0.0.1", self.port),
                                             0.2).close()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("rsyslogd %s did not start" % self.wd)

    def crash(self):
        """SIGKILL, as the OOM killer does."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        """SIGTERM, as systemctl stop does."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        self.proc = None


def render(dropin, port, wd):
    """The packaged drop-in with a private port and queue directory."""
    with open(dropin) as f:
        text = f.read()
    text, n = re.subn(r'port="10514"', 'port="%d"' % port, text)
    assert n == 1, "the drop-in forwards to port 10514 once"
    out = os.path.join(wd, "59-logger.conf")
    with open(out, "w") as f:
        f.write(text)
    return out


wd = tempfile.mkdtemp(prefix="wka-logger-")
port = free_port()
dropin = render(DROPIN, port, wd)
# The system logger as Debian configures it: imuxsock (here on a private
# socket), a work directory, the drop-ins, then the usual files.
system = Instance(wd, "system", """\
global(workDirectory="%%(wd)s/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%%(wd)s/log.sock")
include(file="%s")
*.* action(type="omfile" file="%%(wd)s/syslog")
""" % dropin)
# The service's instance as contrib/systemd/rsyslog.conf has it (imptcp on
# loopback); what reaches it is written out.
service = Instance(wd, "service", """\
global(workDirectory="%%(wd)s/work")
module(load="imptcp")
input(type="imptcp" address="127.0.0.1" port="%d")
template(name="m" type="string" string="%%%%msg%%%%\\n")
if $programname == "k8s-audit" then
    action(type="omfile" file="%%(wd)s/received" template="m")
""" % port, port)

p = subprocess.run([RSYSLOGD, "-N1", "-f", system.conf],
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
t.ok(p.returncode == 0, "the drop-in passes rsyslogd -N1",
     p.stdout.decode(errors="replace")[-800:])

sock = os.path.join(system.wd, "log.sock")
sent = []


def log(tag, first, count):
    for i in range(first, first + count):
        msg = "%s-%04d" % (tag, i)
        subprocess.run(["logger", "-u", sock, "-t", "k8s-audit", msg],
                       check=True)
        sent.append(msg)


def received():
    path = os.path.join(service.wd, "received")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


def wait_all(timeout=ARRIVE_S):
    end = time.time() + timeout
    while time.time() < end:
        if set(sent) <= set(received()):
            return True
        time.sleep(0.5)
    return set(sent) <= set(received())


def lost(what, first, allowed=0, why=""):
    """The lines sent since sent[first]: all arrived but `allowed`?"""
    mine = sent[first:]
    missing = sorted(set(mine) - set(received()))
    t.ok(len(missing) <= allowed, "%s: every line arrived%s" % (what, why),
         "%d of %d lost, e.g. %s" % (len(missing), len(mine), missing[:3]))
    print("# %s: lines sent %d, lost %d" % (what, len(mine), len(missing)))


service.start()
system.start()
try:
    # 1. The service restarts (systemctl restart, an upgrade): lines before,
    #    during the downtime and after.
    first = len(sent)
    log("restart", 0, N // 2)
    time.sleep(1)
    service.stop()
    log("down", 0, N)
    time.sleep(1)
    service.start()
    log("after", 0, N // 2)
    wait_all()
    lost("service restart", first)

    # 2. The service is down (removed, not purged) and the system logger
    #    restarts meanwhile (its own upgrade, a reboot): waiting lines kept.
    first = len(sent)
    service.stop()
    log("removed", 0, N)
    time.sleep(1)
    held = [f for f in os.listdir(os.path.join(system.wd, "work"))
            if f.startswith("wazuh-k8s-audit-logger-handover")]
    t.ok(held, "service down: the lines wait in the system logger's work "
         "directory", "no wazuh-k8s-audit-logger-handover.* file")
    system.stop()
    system.start()
    log("removed2", 0, N // 2)
    time.sleep(1)
    service.start()
    wait_all()
    lost("service down across a system logger restart", first, 1,
         " but the one the system logger was retrying as it stopped "
         "(rsyslog drops it)")

    # 3. The same when the system logger is killed (-9) instead.
    first = len(sent)
    service.stop()
    log("killed", 0, N)
    time.sleep(1)
    system.crash()
    system.start()
    time.sleep(1)
    service.start()
    wait_all()
    lost("service down across a system logger kill -9", first, 1,
         " but the one "
         "the system logger was retrying as it died")

    # 4. Nothing of it in the system's own log files.
    syslog = os.path.join(system.wd, "syslog")
    leaked = []
    if os.path.exists(syslog):
        with open(syslog) as f:
            leaked = [l for l in f if "k8s-audit" in l]
    t.eq(len(leaked), 0, "no logger event written to the system's syslog")
finally:
    system.stop()
    service.stop()
subprocess.run(["rm", "-rf", wd])
t.done()
