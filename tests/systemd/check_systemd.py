"""The .debs under a real systemd: a Debian 12 container booted with
systemd-nspawn, the package used as an admin would use it.

Real parts: systemd 252 as PID 1 of a Debian 12 rootfs (mmdebstrap, cached
as a tarball keyed on its package list), the .debs `make deb` built,
installed with dpkg inside, the unit started by `systemctl`, curl over
mutual TLS, `logger` into the container's own system rsyslog, logrotate.
What Wazuh would do is played by a stand-in package named wazuh-manager
(built here with dpkg-deb, clearly not Wazuh): group and user wazuh,
/var/ossec, and tests/systemd/stand-in-recorder bound to analysisd's queue
socket, recording every datagram to /var/ossec/logs/recorded.

The checks: install, the dpkg trigger when the manager comes later,
`systemctl enable --now` reaching READY, the processes' users and
confinement, where the service can write (against docs/security.md), an mTLS
POST delivered and a cert-less one refused, the logger path (also while the
service is stopped, and after a kill -9 of the system logger that left
bytes past its handover queue's index), logrotate, the cloud service
(wazuh-k8s-audit-cloud: off until `setup cloud-endpoint firehose`, then
bound to port 443 as the service user with CAP_NET_BIND_SERVICE alone, a
Firehose request delivered and a wrong key refused, its exposure score no
failing no check of systemd-analyze security the webhook unit passes
but for that capability), `systemctl restart` during a stalled
delivery (rsyslogd stops first; no duplicate beyond the documented resend of
unread datagrams; `setup status` all good after the spool replay), `kill -9`
of rsyslogd, an upgrade with events queued, the node role (below), remove
and purge.

The node role, in the same container: the service gets a RELP listener
for cluster alpha (RELP_LISTEN, RELP_CLUSTERS), `setup node-cert alpha
cp-1` makes the node's certificate, and the container's own system
rsyslog.service becomes a control-plane node's (`setup node-dropin`:
imfile on /var/log/kubernetes/audit/audit*.log, imjournal for a unit's
stdout, wazuh-k8s-audit-forward sending RELP over TLS to 127.0.0.1).
Audit lines appended with a rename-and-create rotation arrive each once
with k8s.cluster alpha and k8s.source relp; the manager's service restarted mid-stream loses none;
a 200 KB line on a transient unit's stdout, split by the real journald
(LineMax 48K), arrives once, whole or reduced with k8s.dropped.

Prints TAP. Skips (a `# SKIP` line) only when not root or when
systemd-nspawn cannot run a container on this machine at all; anything
else that goes wrong is a `not ok`. Run by `make check-systemd`.

Environment: DEB_DIR (the .debs), TOP_SRCDIR, PYTHONPATH (tests/lib);
ROOTFS_CACHE (default /var/cache/wazuh-k8s-audit/rootfs); KEEP_ROOTFS=1
leaves the container's tree behind (its path is printed).
"""
import base64
import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import Tap

TOP = os.environ.get("TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DEB_DIR = os.environ.get("DEB_DIR", "")
CACHE = os.environ.get("ROOTFS_CACHE", "/var/cache/wazuh-k8s-audit/rootfs")
SUITE = "bookworm"
# What the container needs besides the .debs' own dependencies: systemd as
# init, the system logger (the logger path), the tools the checks use.
# rsyslog-relp: the manager's RELP listener (imrelp).
BASE_PKGS = ["systemd", "systemd-sysv", "dbus", "rsyslog", "python3", "curl", "openssl",
             "ca-certificates", "logrotate", "adduser", "iproute2", "procps", "rsyslog-relp"]
PKGS = ["wazuh-k8s-audit", "wazuh-k8s-audit-imhttp"]
USER = "wazuh-k8s-audit"
UNIT = "wazuh-k8s-audit.service"
CLOUD_UNIT = "wazuh-k8s-audit-cloud.service"
ENV = "/etc/wazuh-k8s-audit/wazuh-k8s-audit.env"
CERTS = "/etc/wazuh-k8s-audit/certs"
LOGS = "/var/log/wazuh-k8s-audit"
PORT = 8443
T = "/root/systemd-test"          # the test's files inside the container
RECORDED = "/var/ossec/logs/recorded"
# nspawn's own seccomp filter refuses Landlock, which the plugin confines
# itself with: allowed by name. The machine name is this run's: nspawn keeps
# a directory of that name in /run/systemd/nspawn/propagate/ (removed at
# the end).
MACHINE = "wka-check-%d" % os.getpid()
NSPAWN = ["systemd-nspawn", "--register=no", "--keep-unit", "--private-network",
          "--console=passive", "--machine=" + MACHINE,
          "--system-call-filter=landlock_create_ruleset landlock_add_rule landlock_restrict_self"]

t = Tap()


def sh(cmd, timeout=600, **kw):
    """Run cmd (list) on the host; CompletedProcess with text output."""
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, **kw)


def debs(version=None):
    """The newest .deb of each of our packages in DEB_DIR (of VERSION)."""
    out = []
    for p in PKGS:
        found = sorted(glob.glob(os.path.join(DEB_DIR, "%s_%s_*.deb" % (p, version or "*"))))
        out += found[-1:]
    return out


# --- the rootfs ------------------------------------------------------------------
def deb_depends(files):
    """Package names the .debs depend on (first alternatives), ours left out."""
    names = set()
    for f in files:
        dep = sh(["dpkg-deb", "-f", f, "Depends"]).stdout
        for clause in dep.split(","):
            name = clause.split("|")[0].strip().split(" ")[0].split(":")[0]
            if name and not name.startswith("wazuh-k8s-audit"):
                names.add(name)
    return names


def mirror_file(work):
    """The machine's Debian mirror entries (binary ones only) as a deb822
    file for mmdebstrap; None: mmdebstrap's default mirror."""
    src = "/etc/apt/sources.list.d/debian.sources"
    if not os.path.exists(src):
        return None
    keep = []
    for stanza in re.split(r"\n\s*\n", open(src).read()):
        fields = dict(re.findall(r"(?m)^([A-Za-z-]+):[ \t]*(.*)$", stanza))
        if "deb" not in fields.get("Types", "").split() or fields.get("Enabled", "yes") == "no":
            continue
        keep.append(re.sub(r"(?m)^Types:.*$", "Types: deb", stanza.strip()))
    if not keep:
        return None
    path = os.path.join(work, "mirror.sources")
    with open(path, "w") as f:
        f.write("\n\n".join(keep) + "\n")
    return path


def rootfs_tarball(pkgs, work):
    """The cached rootfs tarball for pkgs, built with mmdebstrap when
    missing. Returns (path, seconds spent building or None, output)."""
    key = hashlib.sha256(("%s important %s" % (SUITE, " ".join(sorted(pkgs)))).encode()).hexdigest()[:16]
    path = os.path.join(CACHE, "%s-%s.tar" % (SUITE, key))
    if os.path.exists(path):
        return path, None, ""
    os.makedirs(CACHE, exist_ok=True)
    # built under another name, then renamed: a concurrent run or an
    # interrupted build never leaves a partial tarball under the key
    tmp = os.path.join(CACHE, ".%s-%s.%d.tar" % (SUITE, key, os.getpid()))
    cmd = ["mmdebstrap", "--variant=important", "--format=tar",
           "--include=" + ",".join(sorted(pkgs)), SUITE, tmp]
    m = mirror_file(work)
    if m:
        cmd.append(m)
    start = time.time()
    try:
        r = sh(["nice"] + cmd, timeout=900)
    except subprocess.TimeoutExpired as e:
        r = subprocess.CompletedProcess(cmd, 1, str(e.stdout), None)
    if r.returncode != 0 or not os.path.exists(tmp):
        if os.path.exists(tmp):
            os.unlink(tmp)
        return None, None, r.stdout
    os.rename(tmp, path)
    # older tarballs (another package list) go: one is enough
    for old in glob.glob(os.path.join(CACHE, "%s-*.tar" % SUITE)):
        if old != path:
            os.unlink(old)
    return path, time.time() - start, r.stdout


# --- the container -----------------------------------------------------------------
class Container:
    """A directory booted with systemd-nspawn --boot; commands run inside
    with nsenter into all of PID 1's namespaces."""

    def __init__(self, root, log):
        self.root = root
        self.log = log
        self.proc = None
        self.pid1 = None
        self.state = "not started"

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def boot(self, timeout=90):
        """Start it; True once `systemctl is-system-running` settled."""
        logf = open(self.log, "w")
        self.proc = subprocess.Popen(NSPAWN + ["-D", self.root, "--boot"], stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        end = time.time() + timeout
        while self.pid1 is None and time.time() < end and self.proc.poll() is None:
            self.pid1 = self._find_pid1()
            time.sleep(0.1)
        if self.pid1 is None:
            return False
        # systemd's bus comes up a moment after PID 1 exists
        while True:
            r = self.run("systemctl is-system-running --wait", timeout=max(1, end - time.time()))
            self.state = r.stdout.strip()
            if "Failed to connect to bus" not in self.state or time.time() > end:
                break
            time.sleep(0.2)
        return self.state in ("running", "degraded")

    def _find_pid1(self):
        """The container's init: nspawn's child that is PID 1 in its namespace."""
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                status = open("/proc/%s/status" % d).read()
            except OSError:
                continue
            ppid = re.search(r"^PPid:\s*(\d+)", status, re.M)
            nspid = re.search(r"^NSpid:\s*(.*)$", status, re.M)
            if ppid and int(ppid.group(1)) == self.proc.pid and nspid and nspid.group(1).split()[-1] == "1":
                return int(d)
        return None

    def run(self, cmd, timeout=60, input=None):
        """Shell command inside; CompletedProcess (stdout and stderr merged)."""
        full = ["nsenter", "-t", str(self.pid1), "-a", "env", "-i",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "sh", "-c", cmd]
        try:
            return subprocess.run(full, input=input, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            return subprocess.CompletedProcess(full, 124, out + "\n(timed out after %ds)" % timeout, None)

    def show(self, unit, *props):
        r = self.run("systemctl show %s -p %s" % (unit, ",".join(props)))
        return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)

    def shutdown(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        # SIGTERM: nspawn asks the container's systemd to power off
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --- events and the stand-in manager -------------------------------------------------
def templates():
    """Small ResponseComplete events of the corpus, to be copied."""
    out = []
    for p in sorted(glob.glob(os.path.join(TOP, "tests/corpus/k8s-audit/*.jsonl"))):
        for line in open(p):
            if line.strip() and len(line) < 4096:
                e = json.loads(line)
                if e.get("stage") == "ResponseComplete":
                    out.append(e)
    return out


TEMPLATES = templates()


def eventlist(prefix, n, first=0):
    items = []
    for i in range(first, first + n):
        e = dict(TEMPLATES[i % len(TEMPLATES)])
        e["auditID"] = "%s-%04d" % (prefix, i)
        items.append(e)
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": items}


def recorded(c, prefix=None):
    """(location, auditID) of each datagram the stand-in analysisd read."""
    out = []
    try:
        data = open(c.path(RECORDED), "rb").read()
    except OSError:
        return out
    for line in data.splitlines():
        m = re.match(rb"1:([^:]*):(.*)$", line)
        if not m:
            out.append(("?", line[:60].decode(errors="replace")))
            continue
        try:
            aid = json.loads(m.group(2)).get("auditID", "?")
        except ValueError:
            aid = "?"
        if prefix is None or str(aid).startswith(prefix + "-"):
            out.append((m.group(1).decode(), aid))
    return out


def wait_ids(c, prefix, n, timeout=60):
    """Wait until n distinct auditIDs of prefix arrived, then until nothing
    more arrives for a second; the datagrams of prefix."""
    end = time.time() + timeout
    while time.time() < end and len({a for _, a in recorded(c, prefix)}) < n:
        time.sleep(0.2)
    last = -1
    while time.time() < end:
        got = len(recorded(c))
        if got == last:
            break
        last = got
        time.sleep(1)
    return recorded(c, prefix)


def post(c, name, body, cert=True):
    """POST body from inside the container; the HTTP status (000: refused)."""
    with open(c.path("%s/%s.json" % (T, name)), "w") as f:
        json.dump(body, f)
    auth = "--cert %s/client.crt --key %s/client.key " % (CERTS, CERTS) if cert else ""
    r = c.run("curl -sS -o /dev/null -w '%%{http_code}' --max-time 30 --cacert %s/ca.crt %s"
              "-H 'Content-Type: application/json' --data-binary @%s/%s.json https://127.0.0.1:%d/k8s-audit"
              % (CERTS, auth, T, name, PORT), timeout=60)
    return r.stdout.strip()[-3:]


def standin_manager(work):
    """The stand-in wazuh-manager .deb (NOT Wazuh): group and user wazuh,
    /var/ossec with analysisd's state file, and the recorder as
    wazuh-manager.service."""
    d = os.path.join(work, "wazuh-manager")
    for sub in ("DEBIAN", "var/ossec/bin", "lib/systemd/system"):
        os.makedirs(os.path.join(d, sub))
    shutil.copy(os.path.join(TOP, "tests/systemd/stand-in-recorder"), os.path.join(d, "var/ossec/bin/stand-in-recorder"))
    os.chmod(os.path.join(d, "var/ossec/bin/stand-in-recorder"), 0o755)
    with open(os.path.join(d, "lib/systemd/system/wazuh-manager.service"), "w") as f:
        f.write("[Unit]\nDescription=STAND-IN wazuh-manager: records analysisd's queue datagrams (not Wazuh)\n\n"
                "[Service]\nUser=wazuh\nGroup=wazuh\nExecStart=/var/ossec/bin/stand-in-recorder\n\n"
                "[Install]\nWantedBy=multi-user.target\n")
    with open(os.path.join(d, "DEBIAN/control"), "w") as f:
        f.write("Package: wazuh-manager\nVersion: 0.0.0~standin\nArchitecture: all\n"
                "Maintainer: test <test@example.org>\nDepends: python3, adduser\n"
                "Description: STAND-IN for the systemd test, not Wazuh\n"
                " Group wazuh, /var/ossec and a recorder on analysisd's queue socket.\n")
    with open(os.path.join(d, "DEBIAN/postinst"), "w") as f:
        f.write("#!/bin/sh\nset -e\n[ \"$1\" = configure ] || exit 0\n"
                "getent group wazuh >/dev/null || addgroup --system --quiet wazuh\n"
                "getent passwd wazuh >/dev/null || adduser --system --quiet --ingroup wazuh "
                "--home /var/ossec --no-create-home wazuh\n"
                "install -d -o root -g wazuh -m 0750 /var/ossec /var/ossec/queue /var/ossec/var\n"
                "install -d -o wazuh -g wazuh -m 0770 /var/ossec/queue/sockets /var/ossec/var/run /var/ossec/logs\n"
                "printf \"# State file\\nevents_received='0'\\nevents_dropped='0'\\nevent_queue_usage='0.00'\\n\" "
                "> /var/ossec/var/run/wazuh-analysisd.state\n"
                "chown wazuh:wazuh /var/ossec/var/run/wazuh-analysisd.state\n"
                "chmod 0640 /var/ossec/var/run/wazuh-analysisd.state\n"
                "systemctl daemon-reload\n")
    os.chmod(os.path.join(d, "DEBIAN/postinst"), 0o755)
    out = os.path.join(work, "wazuh-manager_0.0.0~standin_all.deb")
    r = sh(["dpkg-deb", "-b", "--root-owner-group", d, out])
    return out if r.returncode == 0 else None


def bumped(version, work):
    """Our .debs repacked (dpkg-deb -R) as the next Debian revision."""
    up, rev = version.rsplit("-", 1)
    newv = "%s-%d" % (up, int(re.match(r"\d+", rev).group(0)) + 1)
    out = []
    for deb in debs(version):
        d = os.path.join(work, "repack-" + os.path.basename(deb))
        sh(["dpkg-deb", "-R", deb, d])
        ctl = os.path.join(d, "DEBIAN", "control")
        text = open(ctl).read()
        text = re.sub(r"(?m)^Version: .*$", "Version: " + newv, text)
        text = text.replace("wazuh-k8s-audit-imhttp (= %s)" % version, "wazuh-k8s-audit-imhttp (= %s)" % newv)
        open(ctl, "w").write(text)
        new = os.path.join(work, os.path.basename(deb).replace("_%s_" % version, "_%s_" % newv))
        sh(["dpkg-deb", "-b", "--root-owner-group", d, new])
        out.append(new)
    return newv, out


# --- the checks, in the order an admin meets them ------------------------------------
def install(c):
    names = " ".join("%s/debs/%s" % (T, os.path.basename(d)) for d in debs())
    r = c.run("dpkg -i " + names, timeout=120)
    if not t.ok(r.returncode == 0, "dpkg -i %s" % names, r.stdout):
        return False
    t.ok("no group wazuh or ossec yet" in r.stdout, "postinst: the manager's group is not there yet", r.stdout)
    r = c.run("systemctl is-enabled %s; systemctl is-active %s" % (UNIT, UNIT))
    t.eq(r.stdout.split(), ["disabled", "inactive"], "installed, not enabled nor started (no certificates yet)")
    return True


def manager_later(c):
    r = c.run("dpkg -i %s/wazuh-manager_0.0.0~standin_all.deb" % T, timeout=120)
    groups = c.run("id -nG " + USER).stdout.split()
    t.ok(r.returncode == 0 and "wazuh" in groups,
         "dpkg trigger: the stand-in wazuh-manager installed later adds %s to group wazuh" % USER,
         r.stdout + "\ngroups: %s" % groups)
    r = c.run("systemctl start wazuh-manager && for i in $(seq 50); do "
              "[ -S /var/ossec/queue/sockets/queue ] && exit 0; sleep 0.1; done; exit 1")
    return t.ok(r.returncode == 0, "stand-in analysisd listens on /var/ossec/queue/sockets/queue", r.stdout)


def configure(c):
    r = c.run("wazuh-k8s-audit-setup certs localhost 127.0.0.1")
    t.ok(r.returncode == 0, "wazuh-k8s-audit-setup certs", r.stdout)
    # the admin's edits to the conffile (kept across the upgrade)
    env = open(c.path(ENV)).read()
    env = re.sub(r"(?m)^LISTEN=.*$", "LISTEN=127.0.0.1:%d" % PORT, env)
    env = re.sub(r"(?m)^PLUGIN_ARGS=.*$", "PLUGIN_ARGS=--stats-interval 1", env)
    with open(c.path(ENV), "w") as f:
        f.write(env)
    return env


def enable_now(c):
    r = c.run("systemctl enable --now " + UNIT, timeout=90)
    s = c.show(UNIT, "ActiveState", "SubState", "Type", "MainPID", "NRestarts")
    comm = c.run("cat /proc/%s/comm" % s.get("MainPID", "0")).stdout.strip()
    return t.ok(r.returncode == 0 and s.get("ActiveState") == "active" and s.get("SubState") == "running"
                and s.get("Type") == "notify" and comm == "rsyslogd",
                "systemctl enable --now: active (running), Type=notify READY, main process rsyslogd",
                "%s\n%s\n%s" % (r.stdout, s, c.run("journalctl -u %s -n 30 --no-pager" % UNIT).stdout))


def security_score(c):
    r = c.run("systemd-analyze security %s" % UNIT)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    t.diag("systemd-analyze security %s (online): %s" % (UNIT, m.group(1) if m else "?"))
    t.ok(m is not None and float(m.group(1)) <= 2.0, "systemd-analyze security online: exposure <= 2.0",
         r.stdout[-1500:])


def deliver_mtls(c):
    code = post(c, "mtls", eventlist("sd-mtls", 25))
    t.eq(code, "200", "POST of 25 events with the client certificate: 200")
    got = wait_ids(c, "sd-mtls", 25, timeout=30)
    t.eq(sorted(a for _, a in got), ["sd-mtls-%04d" % i for i in range(25)],
         "the 25 events reach the stand-in analysisd, each once")
    t.ok(got and all(loc == "k8s" for loc, _ in got), "location k8s")
    code = post(c, "nocert", eventlist("sd-nocert", 1), cert=False)
    time.sleep(1)
    t.ok(code != "200" and not recorded(c, "sd-nocert"), "POST without a client certificate: refused (%s), "
         "nothing delivered" % code)


def unit_pids(c):
    """The unit's processes, from its cgroup (v2, or the hybrid layout's
    unified or systemd hierarchy: the container's follows the host's)."""
    cg = c.show(UNIT, "ControlGroup").get("ControlGroup", "")
    r = c.run("for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do "
              "[ -f $d%s/cgroup.procs ] && exec cat $d%s/cgroup.procs; done" % (cg, cg))
    return r.stdout.split()


def processes(c):
    seen = {}
    for pid in unit_pids(c):
        st = c.run("cat /proc/%s/status" % pid).stdout
        f = dict(re.findall(r"(?m)^(\w+):[ \t]*(.*)$", st))
        if f:
            seen[pid] = (f.get("Name"), f.get("Uid", "").split()[:1], f.get("NoNewPrivs"),
                         f.get("Seccomp"), f.get("CapEff"))
    uid = c.run("id -u " + USER).stdout.strip()
    names = sorted(v[0] for v in seen.values())
    t.ok("rsyslogd" in names and "wazuh-k8s-audit" in names, "the unit runs rsyslogd and the plugin", seen)
    t.ok(seen and all(v[1] == [uid] for v in seen.values()), "every process of the unit runs as %s" % USER, seen)
    t.ok(seen and all(v[2] == "1" and v[3] == "2" and v[4] == "0000000000000000" for v in seen.values()),
         "every process: NoNewPrivs 1, Seccomp 2 (filter), CapEff 0", seen)


# What docs/security.md says the service can write ("What the service can
# write"): its State-, Logs- and RuntimeDirectory, and its private /tmp.
WRITABLE = ["/run/wazuh-k8s-audit", "/tmp", "/var/lib/wazuh-k8s-audit", "/var/log/wazuh-k8s-audit", "/var/tmp"]
# systemd-analyze security's checks the cloud unit fails for binding 443
CLOUD_CAPABILITY_CHECKS = {"AmbientCapabilities=", "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)"}
WRITABLE_CLOUD = ["/run/wazuh-k8s-audit-cloud", "/tmp", "/var/lib/wazuh-k8s-audit-cloud",
                  "/var/log/wazuh-k8s-audit-cloud", "/var/tmp"]
# Run as the service user in the service's mount namespace: every directory
# where it can create a file (/proc and /sys are not files).
PROBE = r"""
import os
out = set()
for top, dirs, files in os.walk("/"):
    if top in ("/proc", "/sys"):
        dirs[:] = []
        continue
    p = os.path.join(top, ".wka-write-probe")
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(p)
        out.add(top)
    except OSError:
        pass
print("\n".join(sorted(out)))
"""


def writable(c, unit=UNIT, want=WRITABLE):
    """The directories the service can write, tried in its own view of the
    files (as rsyslogd and the plugin see them), against the docs."""
    pid = c.show(unit, "MainPID").get("MainPID", "0")
    r = c.run("nsenter -t %s -m -- setpriv --reuid=%s --regid=%s --init-groups --no-new-privs python3 -"
              % (pid, USER, USER), timeout=120, input=PROBE)
    got = r.stdout.split()
    # a directory below a writable one says nothing new
    tops = [d for d in got if not any(d.startswith(w + "/") for w in got if w != d)]
    t.eq(tops, want, "%s can create files only where docs/security.md says (its own directories, "
         "its private /tmp)" % unit)


def firehose_request(prefix, n):
    """A Firehose HTTP endpoint request body: one gzip'd CloudWatch Logs
    record of n audit Events of cluster sd-eks."""
    sub = {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/eks/sd-eks/cluster",
           "logStream": "kube-apiserver-audit-1", "subscriptionFilters": ["wazuh"],
           "logEvents": [{"id": str(i), "timestamp": i, "message": json.dumps(e)}
                         for i, e in enumerate(eventlist(prefix, n)["items"])]}
    data = base64.b64encode(gzip.compress(json.dumps(sub).encode())).decode()
    return {"requestId": prefix, "timestamp": int(time.time() * 1000), "records": [{"data": data}]}


def firehose_post(c, name, body, key):
    """POST a Firehose request to the cloud service on 127.0.0.1:443; the
    HTTP status and the answer's body."""
    with open(c.path("%s/%s.json" % (T, name)), "w") as f:
        json.dump(body, f)
    r = c.run("curl -sS -w '\\n%%{http_code}' --max-time 30 --cacert %s/ca.crt -H 'Content-Type: application/json' "
              "-H 'X-Amz-Firehose-Request-Id: %s' -H 'X-Amz-Firehose-Access-Key: %s' --data-binary @%s/%s.json "
              "https://localhost/firehose" % (CERTS, body["requestId"], key, T, name), timeout=60)
    ans, _, code = r.stdout.rpartition("\n")
    return code.strip(), ans


def cloud_service(c):
    """The second service: off until an endpoint is turned on, then on port
    443 as the service user with CAP_NET_BIND_SERVICE alone."""
    r = c.run("systemctl is-enabled %s; systemctl start %s" % (CLOUD_UNIT, CLOUD_UNIT), timeout=60)
    t.ok(r.stdout.startswith("disabled") and r.returncode != 0 and
         c.run("systemctl is-active " + CLOUD_UNIT).stdout.strip() != "active",
         "cloud service: disabled after install, refuses to start with no endpoint on", r.stdout)
    r = c.run("wazuh-k8s-audit-setup cloud-endpoint firehose --cert %s/server.crt --key %s/server.key"
              % (CERTS, CERTS), timeout=120)
    key = open(c.path("/etc/wazuh-k8s-audit/cloud/firehose.key")).read().strip() \
        if os.path.exists(c.path("/etc/wazuh-k8s-audit/cloud/firehose.key")) else ""
    s = c.show(CLOUD_UNIT, "ActiveState", "SubState", "MainPID", "UnitFileState")
    t.ok(r.returncode == 0 and key and key in r.stdout and s.get("ActiveState") == "active"
         and s.get("UnitFileState") == "enabled",
         "setup cloud-endpoint firehose: key shown, the service enabled and active",
         r.stdout + str(s) + c.run("journalctl -u %s -n 30 --no-pager" % CLOUD_UNIT).stdout)
    pid = s.get("MainPID", "0")
    st = dict(re.findall(r"(?m)^(\w+):[ \t]*(.*)$", c.run("cat /proc/%s/status" % pid).stdout))
    uid = c.run("id -u " + USER).stdout.strip()
    listen = c.run("ss -Hltnp 'sport = :443'").stdout
    t.ok(st.get("Uid", "").split()[:1] == [uid] and "rsyslogd" in listen and
         st.get("CapEff") == "0000000000000400" and st.get("CapBnd") == "0000000000000400",
         "rsyslogd listens on port 443 as %s, CapEff and CapBnd = CAP_NET_BIND_SERVICE only" % USER,
         "%s\n%s" % (listen, st))
    code, ans = firehose_post(c, "fh-good", firehose_request("sd-fh", 5), key)
    got = wait_ids(c, "sd-fh", 5, timeout=30)
    t.ok(code == "200" and '"requestId":"sd-fh"' in ans.replace(" ", ""),
         "Firehose request with the key: 200 and the JSON answer",
         "%s %s\n%s" % (code, ans, c.run("grep -n 'input(\\|endpoint' /run/wazuh-k8s-audit-cloud/rsyslog.conf; "
                                          "tail -n 5 /var/log/wazuh-k8s-audit-cloud/rsyslogd.log").stdout))
    t.eq(sorted(a for _, a in got), ["sd-fh-%04d" % i for i in range(5)],
         "its 5 Events reach the stand-in analysisd, each once")
    code, ans = firehose_post(c, "fh-bad", firehose_request("sd-fhbad", 1), key[:-1] + ("1" if key[-1] == "0" else "0"))
    time.sleep(1)
    t.ok(code == "401" and not recorded(c, "sd-fhbad"), "a wrong access key: 401, nothing delivered", (code, ans))
    procs = {}
    cg = c.show(CLOUD_UNIT, "ControlGroup").get("ControlGroup", "")
    for p in c.run("cat /sys/fs/cgroup%s/cgroup.procs /sys/fs/cgroup/unified%s/cgroup.procs 2>/dev/null"
                   % (cg, cg)).stdout.split():
        f = dict(re.findall(r"(?m)^(\w+):[ \t]*(.*)$", c.run("cat /proc/%s/status" % p).stdout))
        if f:
            procs[p] = (f.get("Name"), f.get("NoNewPrivs"), f.get("Seccomp"), f.get("CapEff"), f.get("CapAmb"))
    plugins = [v for v in procs.values() if v[0] == "wazuh-k8s-audit"]
    # the plugin inherits CAP_NET_BIND_SERVICE (ambient) and cannot drop it
    # (capset is filtered); its own seccomp filter has no bind() or listen()
    t.ok(plugins and all(v[1] == "1" and v[2] == "2" and v[3] == "0000000000000400" for v in plugins),
         "its plugin: NoNewPrivs, seccomp, no capability but CAP_NET_BIND_SERVICE", procs)
    # systemd-analyze's checks that fail: the cloud unit's are the webhook
    # unit's but for the one capability it must have (port 443)
    failing, scores = [], []
    for u in (UNIT, CLOUD_UNIT):
        r = c.run("systemd-analyze security --json=short " + u)
        try:
            failing.append({x["name"] for x in json.loads(r.stdout) if x["set"] is False})
        except ValueError:
            failing.append({"(no JSON: %s)" % r.stdout[-300:]})
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", c.run("systemd-analyze security " + u).stdout)
        scores.append(m.group(1) if m else "?")
    t.diag("systemd-analyze security (online): %s %s, %s %s" % (UNIT, scores[0], CLOUD_UNIT, scores[1]))
    allowed = failing[0] | CLOUD_CAPABILITY_CHECKS
    t.ok(failing[1] <= allowed, "the cloud unit passes every check the webhook unit passes, but for "
         "CAP_NET_BIND_SERVICE", sorted(failing[1] - allowed))
    writable(c, CLOUD_UNIT, WRITABLE_CLOUD)


def logger_path(c):
    ev = eventlist("sd-logger", 1)["items"][0]
    with open(c.path(T + "/logger.json"), "w") as f:
        json.dump(ev, f)
    r = c.run("logger -t k8s-audit -f %s/logger.json" % T)
    got = wait_ids(c, "sd-logger", 1, timeout=30)
    t.eq([a for _, a in got], ["sd-logger-0000"], "logger -t k8s-audit inside: the event reaches analysisd, once")
    if not got:
        t.diag(r.stdout + c.run("systemctl status rsyslog --no-pager -n 20").stdout)
        return
    # lines logged while the service is stopped (a restart, an upgrade) wait
    # in the system logger's queue and arrive once it is back
    n = 20
    c.run("systemctl stop %s" % UNIT, timeout=90)
    for i, ev in enumerate(eventlist("sd-logstop", n)["items"]):
        with open(c.path("%s/logstop-%d.json" % (T, i)), "w") as f:
            json.dump(ev, f)
    c.run("for i in $(seq 0 %d); do logger -t k8s-audit -f %s/logstop-$i.json; done" % (n - 1, T))
    c.run("systemctl start %s" % UNIT, timeout=90)
    got = wait_ids(c, "sd-logstop", n, timeout=40)
    uniq = {a for _, a in got}
    t.diag("logger path across a stop: %d lines logged while stopped, %d arrived (%d distinct)"
           % (n, len(got), len(uniq)))
    t.eq(len(uniq), n, "logger lines logged while the service is stopped arrive once it is back, none lost")


def logger_queue_killed(c):
    """The system logger killed with bytes past its handover queue's index
    (what a kill between a queue write and the index leaves): the package's
    rsyslog.service drop-in cuts them before the restart, and the lines
    logged after it arrive, each of them (docs/production.md section 6)."""
    r = c.run("systemctl show rsyslog -p DropInPaths -p ExecStartPre --no-pager")
    t.ok("rsyslog.service.d/wazuh-k8s-audit.conf" in r.stdout and "mend-queue.sh" in r.stdout,
         "rsyslog.service has the package's drop-in: mend-queue.sh before it starts", r.stdout)
    spool = c.path("/var/spool/rsyslog")
    files = sorted(f for f in os.listdir(spool) if f.startswith("wazuh-k8s-audit-logger-handover.")
                   and f.rsplit(".", 1)[1].isdigit())
    if not t.ok(files and os.path.exists(os.path.join(spool, "wazuh-k8s-audit-logger-handover.qi")),
                "the handover queue (drained by logger_path) has its index and file", os.listdir(spool)):
        return
    # The queue is idle and drained: its reader reads next where its writer
    # writes next, the case where rsyslogd takes the old bytes for a line.
    wfile = os.path.join(spool, files[-1])
    with open(wfile, "rb") as f:
        body = f.read()
    with open(wfile, "ab") as f:
        f.write(body)
    pid = c.run("systemctl show rsyslog -p MainPID --value").stdout.strip()
    c.run("systemctl kill -s KILL rsyslog")
    end = time.time() + 30
    while time.time() < end:
        now = c.run("systemctl show rsyslog -p MainPID --value").stdout.strip()
        if now not in ("", "0", pid) and c.run("systemctl is-active rsyslog").stdout.strip() == "active":
            break
        time.sleep(0.3)
    n = 3
    for i, ev in enumerate(eventlist("sd-logkill", n)["items"]):
        with open(c.path("%s/logkill-%d.json" % (T, i)), "w") as f:
            json.dump(ev, f)
        c.run("logger -t k8s-audit -f %s/logkill-%d.json" % (T, i))
        time.sleep(0.3)
    got = wait_ids(c, "sd-logkill", n, timeout=30)
    mended = c.run("journalctl -b -t mend-queue --no-pager -o cat").stdout
    t.ok("cut %d bytes" % len(body) in mended, "the restart after kill -9 cut the %d bytes past the "
         "handover queue's index" % len(body), mended)
    errors = c.run("journalctl -u rsyslog -b --no-pager -o cat | grep -E 'qDeqDisk|emergency switch'").stdout
    t.ok(len({a for _, a in got}) == n and not errors,
         "the %d lines logged after the restart arrive, the handover queue still a Disk queue" % n,
         "%s\n%s" % (sorted({a for _, a in got}), errors))


def logrotate(c):
    plog, rlog = c.path(LOGS + "/plugin.log"), c.path(LOGS + "/rsyslogd.log")
    r = c.run("logrotate -f /etc/logrotate.d/wazuh-k8s-audit")
    t.ok(r.returncode == 0 and os.path.exists(plog + ".1") and os.path.exists(rlog + ".1"),
         "logrotate -f renames plugin.log and rsyslogd.log", r.stdout + str(os.listdir(c.path(LOGS))))
    post(c, "rotate", eventlist("sd-rotate", 1))
    end = time.time() + 15
    while time.time() < end and not (os.path.exists(plog) and os.path.getsize(plog) > 0):
        time.sleep(0.3)
    own = c.run("stat -c %%U %s/plugin.log %s/rsyslogd.log" % (LOGS, LOGS)).stdout.split()
    t.ok(os.path.exists(plog) and os.path.getsize(plog) > 0 and os.path.exists(rlog)
         and "HUP" in open(rlog, errors="replace").read() and own == [USER, USER],
         "after logrotate's HUP new plugin.log and rsyslogd.log are written, owned by %s" % USER,
         "%s %s" % (sorted(os.listdir(c.path(LOGS))), own))


def plugin_unread_bytes(c):
    """Bytes the plugin sent that the stand-in analysisd has not read: its
    socket's send queue (ss -xmp: skmem t, wmem_alloc)."""
    out = c.run("ss -xmp").stdout
    total, found = 0, False
    for block in re.split(r"\n(?=\S)", out):
        if '"wazuh-k8s-audit"' in block:
            m = re.search(r"skmem:\([^)]*\bt(\d+)", block)
            if m:
                total += int(m.group(1))
                found = True
    return total if found else None


def stall_recorder(c):
    return c.run("systemctl kill -s SIGSTOP wazuh-manager").returncode == 0


def resume_recorder(c):
    return c.run("systemctl kill -s SIGCONT wazuh-manager").returncode == 0


def wait_stalled(c, timeout=60):
    """Until the plugin's unread bytes grew and stopped growing: it is
    blocked mid-batch on the full socket. The bytes, or 0."""
    end, last, same = time.time() + timeout, -1, 0
    while time.time() < end:
        n = plugin_unread_bytes(c) or 0
        same = same + 1 if n == last and n > 0 else 0
        if same >= 4:
            return n
        last = n
        time.sleep(0.25)
    return 0


def resent_unread(c, since):
    """Datagrams the plugin logged it sends again as possibly unread, in
    plugin.log lines after offset `since`."""
    text = open(c.path(LOGS + "/plugin.log"), errors="replace").read()[since:]
    return sum(int(n) for n in re.findall(r"(\d+) datagram\(s\) analysisd may not have read", text)), text


def log_size(c):
    try:
        return os.path.getsize(c.path(LOGS + "/plugin.log"))
    except OSError:
        return 0


def restart_stalled(c):
    """systemctl restart while the plugin is blocked mid-batch: rsyslogd and
    the plugin must stop without handing a half-delivered line over again."""
    n, size = 1000, 250
    since = log_size(c)
    stall_recorder(c)
    codes = [post(c, "restart-%d" % i, eventlist("sd-restart", size, i * size)) for i in range(n // size)]
    t.eq(codes, ["200"] * (n // size), "analysisd stalled: %d events in %d batches taken (200)" % (n, n // size))
    unread = wait_stalled(c)
    t.ok(unread > 0, "the plugin is blocked mid-batch on the stalled socket (%d bytes unread)" % unread)
    before = len(recorded(c, "sd-restart"))
    pid = c.show(UNIT, "MainPID").get("MainPID")
    start = time.time()
    r = c.run("systemctl restart " + UNIT, timeout=120)
    took = time.time() - start
    s = c.show(UNIT, "ActiveState", "MainPID")
    t.ok(r.returncode == 0 and s.get("ActiveState") == "active" and s.get("MainPID") != pid,
         "systemctl restart during the stalled delivery (%.1f s)" % took, r.stdout)
    resume_recorder(c)
    got = wait_ids(c, "sd-restart", n, timeout=60)
    ids = [a for _, a in got]
    uniq = set(ids)
    resent, text = resent_unread(c, since)
    dup = len(ids) - len(uniq)
    t.diag("restart during a stalled delivery: %d events posted, %d datagrams, %d distinct, %d duplicates; "
           "the plugin resent %d as unread; %d read before the restart" % (n, len(ids), len(uniq), dup, resent, before))
    t.eq(len(uniq), n, "after the restart every one of the %d events arrives" % n)
    # omprog's word on how the plugin ended: "terminated; will be restarted"
    # means it lost its plugin while rsyslogd was still running (the plugin
    # got SIGTERM first) and started another one in the middle of the stop
    ends = c.run("journalctl -u %s -S @%d --no-pager -o cat | grep -F \"program '/usr/bin/wazuh-k8s-audit'\""
                 % (UNIT, int(start) - 1)).stdout
    if ends:
        t.diag("omprog during the restart:\n" + ends)
    t.ok("will be restarted" not in ends and "terminated by signal" not in ends,
         "restart: rsyslogd stops first and closes the plugin's input; omprog neither loses nor restarts it", ends)
    most = max(ids.count(a) for a in uniq) if uniq else 0
    detail = ends + "\n".join(l for l in text.splitlines() if "lines=" not in l)[-3000:]
    t.ok(dup <= resent and most <= 2, "restart: no duplicate beyond the documented resend of unread datagrams "
         "(%d duplicates, %d resent as unread, at most %d copies of an event)" % (dup, resent, most), detail)


def restart_last_batch(c):
    """systemctl restart while the plugin is blocked on the last batch, no
    batch after it: the plugin has it (accepted ahead, or held and spooled
    at the stop), not rsyslog's queue, and omprog starts the plugin only
    with a message: rsyslogd's start message wakes it, and the batch
    arrives without another POST."""
    n = 250
    stall_recorder(c)
    t.eq(post(c, "last", eventlist("sd-last", n)), "200", "last batch: taken while analysisd is stalled (200)")
    unread = wait_stalled(c)
    r = c.run("systemctl restart " + UNIT, timeout=120)
    resume_recorder(c)
    got = {a for _, a in wait_ids(c, "sd-last", n, timeout=30)}
    t.ok(unread > 0 and r.returncode == 0 and len(got) == n,
         "restart on the last batch (plugin blocked, %d bytes unread): all %d events arrive with no batch "
         "after it (%d)" % (unread, n, len(got)), c.run("tail -5 /var/log/wazuh-k8s-audit/plugin.log").stdout)


def status_after_replay(c):
    """After the restart's spool replay everything is delivered: the setup
    tool's status must say so (spool/delivered is no backlog)."""
    r = c.run("wazuh-k8s-audit-setup status")
    t.ok(r.returncode == 0 and "all good" in r.stdout,
         "wazuh-k8s-audit-setup status after the spool replay: all good, exit 0", r.stdout)


def kill9(c):
    """rsyslogd SIGKILLed with batches in flight: back within 5 s, no loss."""
    stall_recorder(c)
    codes = [post(c, "kill-%d" % i, eventlist("sd-kill", 100, i * 100)) for i in range(2)]
    wait_stalled(c, timeout=20)
    pid = c.show(UNIT, "MainPID").get("MainPID")
    start = time.time()
    c.run("kill -9 %s" % pid)
    back = None
    while time.time() - start < 15:
        s = c.show(UNIT, "ActiveState", "MainPID")
        if s.get("ActiveState") == "active" and s.get("MainPID") not in (pid, "0") and \
                c.run("ss -Hltn 'sport = :%d' | grep -q LISTEN" % PORT).returncode == 0:
            back = time.time() - start
            break
        time.sleep(0.1)
    t.ok(back is not None and back <= 5.0, "kill -9 of rsyslogd: the service is back and listening within 5 s "
         "(%s)" % ("%.1f s" % back if back is not None else "not back in 15 s"))
    codes.append(post(c, "kill-2", eventlist("sd-kill", 100, 200)))
    resume_recorder(c)
    t.eq(codes, ["200"] * 3, "kill -9: the batches before and after taken (200)")
    got = wait_ids(c, "sd-kill", 300, timeout=45)
    uniq = {a for _, a in got}
    t.diag("kill -9 of rsyslogd: 300 events posted, %d datagrams, %d distinct" % (len(got), len(uniq)))
    t.eq(len(uniq), 300, "kill -9: nothing lost, all 300 events arrive (at least once)")


def upgrade(c, work, env):
    """Upgrade to a repacked higher version while events wait in the queue."""
    version = c.run("dpkg-query -W -f='${Version}' wazuh-k8s-audit").stdout.strip()
    newv, files = bumped(version, work)
    for f in files:
        shutil.copy(f, c.path(T + "/debs/"))
    c.run("systemctl stop wazuh-manager")
    code = post(c, "upgrade", eventlist("sd-upgrade", 50))
    t.eq(code, "200", "analysisd stopped: a batch of 50 is taken and queued (200)")
    time.sleep(1)
    pid = c.show(UNIT, "MainPID").get("MainPID")
    r = c.run("dpkg -i " + " ".join("%s/debs/%s" % (T, os.path.basename(f)) for f in files), timeout=180)
    v = c.run("dpkg-query -W -f='${Version}' wazuh-k8s-audit").stdout.strip()
    s = c.show(UNIT, "ActiveState", "MainPID")
    t.ok(r.returncode == 0 and v == newv and s.get("ActiveState") == "active" and s.get("MainPID") != pid,
         "upgrade %s -> %s: the service restarted, active" % (version, newv), r.stdout)
    left = glob.glob(c.path("/etc/wazuh-k8s-audit/*.dpkg-*"))
    t.ok(open(c.path(ENV)).read() == env and not left, "upgrade keeps the edited conffile (no prompt, no .dpkg-*)",
         left)
    c.run("systemctl start wazuh-manager")
    # omprog starts the plugin with the next batch (kube-apiserver posts one
    # every few seconds): a line the plugin spooled at the stop goes first
    code = post(c, "upgrade-next", eventlist("sd-upgrade", 1, 50))
    got = wait_ids(c, "sd-upgrade", 51, timeout=45)
    t.eq(sorted(a for _, a in got), ["sd-upgrade-%04d" % i for i in range(51)],
         "after the upgrade the 50 queued events and the next one (%s) arrive, each once" % code)


OURS = ["/etc/wazuh-k8s-audit", "/var/lib/wazuh-k8s-audit", "/var/log/wazuh-k8s-audit", "/run/wazuh-k8s-audit",
        "/usr/lib/wazuh-k8s-audit", "/usr/share/wazuh-k8s-audit", "/usr/share/doc/wazuh-k8s-audit",
        "/usr/share/doc/wazuh-k8s-audit-imhttp", "/usr/bin/wazuh-k8s-audit", "/usr/sbin/wazuh-k8s-audit-setup",
        "/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf", "/etc/logrotate.d/wazuh-k8s-audit",
        "/lib/systemd/system/" + UNIT, "/etc/systemd/system/multi-user.target.wants/" + UNIT,
        "/var/lib/systemd/deb-systemd-helper-enabled/" + UNIT + ".dsh-also",
        "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/" + UNIT,
        "/var/lib/wazuh-k8s-audit-cloud", "/var/log/wazuh-k8s-audit-cloud", "/run/wazuh-k8s-audit-cloud",
        "/lib/systemd/system/" + CLOUD_UNIT, "/etc/systemd/system/multi-user.target.wants/" + CLOUD_UNIT,
        "/var/lib/systemd/deb-systemd-helper-enabled/" + CLOUD_UNIT + ".dsh-also",
        "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/" + CLOUD_UNIT]


# --- the node role: the container's own rsyslog as a control-plane node's ---------------
RELP_PORT = 2514
AUDIT_DIR = "/var/log/kubernetes/audit"
NODE_DIR = "/etc/wazuh-k8s-audit/node"
NODE_DROPIN = "/etc/rsyslog.d/58-wazuh-k8s-audit-node.conf"
NODE_ENV = "/etc/wazuh-k8s-audit/wazuh-k8s-audit-node.env"
APISERVER_UNIT = "sd-kube-apiserver.service"   # the journald check's transient unit
RELP_WINDOW = 512                               # the node drop-in's forwarder --window


def recorded_events(c, prefix):
    """The Events of prefix the stand-in analysisd read, parsed ({} for a
    datagram that is not JSON)."""
    out = []
    try:
        data = open(c.path(RECORDED), "rb").read()
    except OSError:
        return out
    for line in data.splitlines():
        m = re.match(rb"1:[^:]*:(.*)$", line)
        try:
            e = json.loads(m.group(1)) if m else {}
        except ValueError:
            e = {}
        if str(e.get("auditID", "")).startswith(prefix + "-"):
            out.append(e)
    return out


def append_audit(c, events, name="audit.log"):
    """Append events, one JSON line each, to the audit log as kube-apiserver
    does (the host writes the container's file: inotify sees it alike)."""
    with open(c.path("%s/%s" % (AUDIT_DIR, name)), "a") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")


def rotate_audit(c, stamp):
    """kube-apiserver's rotation: the full file renamed audit-<time>.log,
    a new audit.log created."""
    live = c.path(AUDIT_DIR + "/audit.log")
    os.rename(live, c.path("%s/audit-%s.log" % (AUDIT_DIR, stamp)))
    open(live, "w").close()


def node_setup(c):
    """Manager: a RELP listener for cluster alpha and a node certificate;
    node: the certificate copied, `setup node-dropin`, rsyslog restarted."""
    env = open(c.path(ENV)).read()
    env = re.sub(r"(?m)^RELP_LISTEN=.*$", "RELP_LISTEN=127.0.0.1", env)
    env = re.sub(r"(?m)^RELP_CLUSTERS=.*$", "RELP_CLUSTERS=alpha:%d" % RELP_PORT, env)
    with open(c.path(ENV), "w") as f:
        f.write(env)
    r = c.run("systemctl restart %s && for i in $(seq 100); do ss -Hltn 'sport = :%d' | grep -q LISTEN && exit 0; "
              "sleep 0.1; done; exit 1" % (UNIT, RELP_PORT), timeout=120)
    if not t.ok(r.returncode == 0, "manager: RELP_LISTEN and RELP_CLUSTERS=alpha:%d set, the service restarted "
                "and listening" % RELP_PORT, r.stdout + c.run("journalctl -u %s -n 30 --no-pager" % UNIT).stdout):
        return False
    r = c.run("wazuh-k8s-audit-setup node-cert alpha cp-1 && install -d -m 0700 {n} && "
              "install -m 0644 {d}/ca.crt {n}/ca.crt && install -m 0644 {d}/nodes/alpha/cp-1.crt {n}/node.crt && "
              "install -m 0600 {d}/nodes/alpha/cp-1.key {n}/node.key".format(d=CERTS, n=NODE_DIR))
    if not t.ok(r.returncode == 0, "setup node-cert alpha cp-1, copied to the node's %s" % NODE_DIR, r.stdout):
        return False
    os.makedirs(c.path(AUDIT_DIR), exist_ok=True)
    open(c.path(AUDIT_DIR + "/audit.log"), "w").close()
    r = c.run("wazuh-k8s-audit-setup node-dropin CLUSTER=alpha MANAGER=127.0.0.1:%d MANAGER_NAME=localhost "
              "'AUDIT_LOGS=%s/audit*.log' JOURNAL_UNIT=%s && systemctl restart rsyslog"
              % (RELP_PORT, AUDIT_DIR, APISERVER_UNIT), timeout=120)
    # rsyslog's word on the configuration (e.g. a global() set twice)
    warn = c.run("journalctl -u rsyslog -n 30 --no-pager -o cat | grep -F 'error during parsing'").stdout
    if warn:
        t.diag("node: rsyslogd on the configuration:\n" + warn)
    return t.ok(r.returncode == 0 and c.run("systemctl is-active rsyslog").stdout.strip() == "active",
                "node: setup node-dropin (127.0.0.1:%d, %s/audit*.log, JOURNAL_UNIT), rsyslog.service restarted"
                % (RELP_PORT, AUDIT_DIR), r.stdout + c.run("journalctl -u rsyslog -n 20 --no-pager").stdout)


def node_files(c):
    """Audit log lines with a rename-and-create rotation in the middle:
    every event once, k8s.cluster alpha from the listener, k8s.source relp."""
    n = 300
    evs = eventlist("sd-node", n)["items"]
    append_audit(c, evs[:100])
    time.sleep(0.5)
    append_audit(c, evs[100:150])
    rotate_audit(c, "2026-12-07T16-00-00.000")
    append_audit(c, evs[150:])
    wait_ids(c, "sd-node", n, timeout=60)
    got = recorded_events(c, "sd-node")
    ids = [e["auditID"] for e in got]
    t.diag("node files: %d events written across a rotation, %d datagrams, %d distinct" % (n, len(ids), len(set(ids))))
    want = ["sd-node-%04d" % i for i in range(n)]
    t.ok(sorted(ids) == want,
         "node: the %d audit log events, across a rename-and-create rotation, reach analysisd each once" % n,
         "missing %s\n%s" % (sorted(set(want) - set(ids))[:10],
                             c.run("journalctl -u rsyslog -n 20 --no-pager; tail -n 5 %s/plugin.log" % LOGS).stdout))
    bad = [e.get("k8s") for e in got if e.get("k8s", {}).get("cluster") != "alpha"
           or e.get("k8s", {}).get("source") != "relp"]
    t.ok(got and not bad, "node: every event has k8s.cluster alpha and k8s.source relp", bad[:3])


def node_big_line(c):
    """A 1 MB audit line through the file on a host that is also the
    receiver (the package's logger drop-in sets a smaller maxMessageSize):
    it arrives once, reduced with k8s.dropped, never cut."""
    ev = dict(eventlist("sd-big", 1)["items"][0])
    ev["requestObject"] = {"kind": "ConfigMap", "apiVersion": "v1", "data": {"blob": "x" * (1 << 20)}}
    append_audit(c, [ev])
    wait_ids(c, "sd-big", 1, timeout=45)
    got = recorded_events(c, "sd-big")
    t.ok(len(got) == 1 and "requestObject" in str(got[0].get("k8s", {}).get("dropped", ""))
         and all(got[0].get(k) == ev[k] for k in ("verb", "user", "objectRef", "requestURI")),
         "node: a 1 MB audit line arrives once, reduced with k8s.dropped (not cut at the logger's 256k)",
         c.run("grep -h 'too long\\|more than once' /var/log/syslog 2>/dev/null | tail -n 3; "
               "tail -n 3 %s/rejected.jsonl 2>/dev/null | cut -c1-300" % LOGS).stdout)


def node_manager_restart(c):
    """The manager's service restarted while the node's file grows: 0 lost,
    duplicates no more than RELP resends (its window)."""
    n, chunk = 600, 20
    evs = eventlist("sd-noderst", n)["items"]
    start = time.time()
    restarted = None
    for i in range(0, n, chunk):
        append_audit(c, evs[i:i + chunk])
        time.sleep(0.05)
        if i == n // 2:
            r = c.run("systemctl restart " + UNIT, timeout=120)
            restarted = r.returncode == 0
    t.ok(restarted, "manager: systemctl restart %s mid-stream (%.1f s of writing)" % (UNIT, time.time() - start))
    wait_ids(c, "sd-noderst", n, timeout=60)
    ids = [e["auditID"] for e in recorded_events(c, "sd-noderst")]
    uniq = set(ids)
    dup = len(ids) - len(uniq)
    t.diag("manager restarted mid-stream: %d events written, %d datagrams, %d distinct, %d duplicates"
           % (n, len(ids), len(uniq), dup))
    t.ok(len(uniq) == n, "manager restarted mid-stream: every one of the %d events arrives (0 lost)" % n,
         "%d lost\n%s" % (n - len(uniq), c.run("journalctl -u rsyslog -n 20 --no-pager").stdout))
    t.ok(dup <= RELP_WINDOW, "manager restarted mid-stream: duplicates (%d) within RELP's resend window (%d)"
         % (dup, RELP_WINDOW))


def node_journal(c):
    """kube-apiserver's stdout (--audit-log-path=-) through the node's real
    journald: a line above LineMax (48K) is split into entries; the event
    arrives once, whole or reduced with k8s.dropped, never cut."""
    ev = dict(eventlist("sd-journal", 1)["items"][0])
    ev["requestObject"] = {"kind": "ConfigMap", "apiVersion": "v1", "data": {"blob": "x" * (200 << 10)}}
    line = json.dumps(ev, separators=(",", ":"))
    with open(c.path(T + "/journal-event.json"), "w") as f:
        f.write(line + "\n")
    r = c.run("systemd-run --unit=%s --wait --collect -q cat %s/journal-event.json" % (APISERVER_UNIT, T), timeout=60)
    pieces = c.run("journalctl -u %s -o export --no-pager | grep -ac '^_LINE_BREAK=line-max'" % APISERVER_UNIT).stdout
    t.ok(r.returncode == 0 and int(pieces.strip() or 0) > 0,
         "journald: a %d KB audit line on %s's stdout, split into entries (%s marked line-max)"
         % (len(line) >> 10, APISERVER_UNIT, pieces.strip()), r.stdout)
    wait_ids(c, "sd-journal", 1, timeout=45)
    got = recorded_events(c, "sd-journal")
    t.ok(len(got) == 1, "journald: the event arrives once (%d times)" % len(got),
         c.run("journalctl -u rsyslog -n 20 --no-pager; tail -n 5 %s/plugin.log" % LOGS).stdout)
    if not got:
        return
    e = got[0]
    whole = e.get("requestObject") == ev["requestObject"]
    reduced = "requestObject" not in e and "requestObject" in str(e.get("k8s", {}).get("dropped", ""))
    t.diag("journald: the event arrived %s" % ("whole" if whole else "reduced" if reduced else "cut"))
    t.ok(whole or reduced, "journald: whole, or its requestObject left out and named in k8s.dropped (never cut)",
         {"k8s": e.get("k8s"), "requestObject": str(e.get("requestObject"))[:200]})
    t.ok(e.get("k8s", {}).get("cluster") == "alpha" and e.get("k8s", {}).get("source") == "relp"
         and all(e.get(k) == ev[k] for k in ("verb", "user", "objectRef", "requestURI")),
         "journald: its metadata as written, k8s.cluster alpha, k8s.source relp", e.get("k8s"))


def node_role(c):
    """The node side on the container's system rsyslog, then undone (the
    node's files are the admin's, not the package's: purge leaves them)."""
    if node_setup(c):
        node_files(c)
        node_big_line(c)
        node_manager_restart(c)
        node_journal(c)
    # the drop-in goes first, then rsyslog restarts without it: the old
    # rsyslogd writes imjournal's state file as it stops (and syslog.socket
    # may start rsyslog again at any time), so its files go after
    c.run("rm -rf %s %s %s %s; systemctl restart rsyslog; rm -rf /var/spool/rsyslog/wazuh-k8s-audit-node* "
          "/var/spool/rsyslog/wazuh-k8s-audit-imjournal* /var/spool/rsyslog/wazuh-k8s-audit-forward "
          "/var/log/wazuh-k8s-audit-forward.log" % (NODE_DROPIN, NODE_ENV, NODE_DIR, AUDIT_DIR), timeout=60)


def remove_purge(c):
    r = c.run("dpkg --remove " + " ".join(PKGS), timeout=120)
    procs = c.run("pgrep -u %s" % USER).stdout.split()
    t.ok(r.returncode == 0 and c.run("systemctl is-active " + UNIT).stdout.strip() != "active" and not procs,
         "dpkg --remove: the service stopped, no process of %s left" % USER, r.stdout + str(procs))
    t.ok(os.path.exists(c.path(ENV)) and os.path.isdir(c.path("/var/lib/wazuh-k8s-audit")),
         "remove keeps the conffiles and the state")
    r = c.run("dpkg --purge " + " ".join(PKGS), timeout=120)
    t.ok(r.returncode == 0, "dpkg --purge", r.stdout)
    left = [p for p in OURS if os.path.lexists(c.path(p))]
    # the system logger's queue of logger lines for the service
    left += [p[len(c.root):] for p in glob.glob(c.path("/var/spool/rsyslog/wazuh-k8s-audit*"))]
    t.eq(left, [], "purge leaves no file of ours")
    r = c.run("systemctl daemon-reload; systemctl list-unit-files --no-legend %s; "
              "dpkg-query -W -f='${db:Status-Abbrev}\\n' %s 2>/dev/null" % (UNIT + " " + CLOUD_UNIT, " ".join(PKGS)))
    t.eq(r.stdout.strip(), "", "systemd and dpkg know nothing of ours after the purge")
    t.eq(c.run("systemctl is-active rsyslog").stdout.strip(), "active", "the system rsyslog still runs")


# --- the run -------------------------------------------------------------------------
def can_nspawn(root):
    """systemd-nspawn runs a plain command in the tree: '' or why not."""
    r = sh(NSPAWN + ["--quiet", "-D", root, "/bin/true"], timeout=60)
    return "" if r.returncode == 0 else (r.stdout.strip().splitlines() or ["exit %d" % r.returncode])[-1]


def main(work):
    if not debs() or len(debs()) != len(PKGS):
        t.ok(False, "the .debs are in DEB_DIR=%s" % DEB_DIR)
        return
    missing = [x for x in ("mmdebstrap", "systemd-nspawn") if not shutil.which(x)]
    if missing:
        r = sh(["sh", os.path.join(TOP, "contrib/apt-install.sh"), "mmdebstrap", "systemd-container"])
        missing = [x for x in ("mmdebstrap", "systemd-nspawn") if not shutil.which(x)]
        if not t.ok(not missing, "mmdebstrap and systemd-nspawn installed (apt)", r.stdout):
            return
    pkgs = set(BASE_PKGS) | deb_depends(debs())
    tar, built, out = rootfs_tarball(pkgs, work)
    if not t.ok(tar is not None, "a Debian 12 rootfs (mmdebstrap %s, %d packages asked)" % (SUITE, len(pkgs)), out[-3000:]):
        return
    t.diag("rootfs %s: %s" % (tar, "built in %.0f s" % built if built is not None else "cached"))
    start = time.time()
    root = os.path.join(work, "rootfs")
    os.mkdir(root)
    r = sh(["tar", "-C", root, "--numeric-owner", "-xpf", tar])
    if not t.ok(r.returncode == 0, "rootfs unpacked (%.0f s)" % (time.time() - start), r.stdout):
        return
    why = can_nspawn(root)
    if why:
        t.skip("the package under a real systemd", "systemd-nspawn cannot run a container here: " + why)
        return

    # the files the test uses inside, in place before the boot
    os.makedirs(os.path.join(root, T.lstrip("/"), "debs"))
    for d in debs():
        shutil.copy(d, os.path.join(root, T.lstrip("/"), "debs"))
    mgr = standin_manager(work)
    if not t.ok(mgr is not None, "the stand-in wazuh-manager package built"):
        return
    shutil.copy(mgr, os.path.join(root, T.lstrip("/")))

    c = Container(root, os.path.join(work, "nspawn.log"))
    try:
        start = time.time()
        booted = c.boot()
        if not t.ok(booted, "systemd boots in the container (%s, %.1f s)" % (c.state, time.time() - start),
                    open(c.log, errors="replace").read()[-3000:] +
                    (c.run("systemctl --failed --no-pager").stdout if c.pid1 else "")):
            return
        t.diag(c.run("systemctl --version | head -1").stdout.strip())
        start = time.time()
        if not install(c) or not manager_later(c):
            return
        env = configure(c)
        if not enable_now(c):
            return
        t.diag("install to running: %.0f s" % (time.time() - start))
        steps = [(security_score, ()), (deliver_mtls, ()), (processes, ()), (writable, ()),
                 (cloud_service, ()), (logger_path, ()), (logger_queue_killed, ()),
                 (logrotate, ()), (restart_stalled, ()), (restart_last_batch, ()), (status_after_replay, ()), (kill9, ()), (upgrade, (work, env)),
                 (node_role, ()), (remove_purge, ())]
        took = []
        for fn, args in steps:
            start = time.time()
            fn(c, *args)
            took.append("%s %.0f s" % (fn.__name__, time.time() - start))
        t.diag("took: " + ", ".join(took))
    finally:
        start = time.time()
        c.shutdown()
        t.diag("shutdown: %.0f s" % (time.time() - start))


if os.geteuid() != 0:
    t.skip("the package under a real systemd", "needs root (systemd-nspawn, dpkg in the container)")
    t.done()
os.makedirs("/var/tmp", exist_ok=True)
workdir = tempfile.mkdtemp(prefix="wazuh-k8s-audit-systemd-", dir="/var/tmp")
t0 = time.time()
try:
    main(workdir)
finally:
    if os.environ.get("KEEP_ROOTFS"):
        t.diag("left in %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        os.rmdir("/run/systemd/nspawn/propagate/" + MACHINE)
    except OSError:
        pass
t.diag("check-systemd took %.0f s" % (time.time() - t0))
print("1..%d" % t.n)
sys.exit(1 if t.failed else 0)
