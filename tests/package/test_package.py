"""The .debs on this machine: install, files, the service's command line
receiving over mutual TLS, the setup tool, upgrade, remove, purge.

Real parts: the packages `make deb` built, installed with dpkg on this
(throwaway, root) machine; rsyslogd started with the unit file's own
ExecStartPre/ExecStart lines as user wazuh-k8s-audit (systemd is not PID 1
here); curl over TLS with the certificates `wazuh-k8s-audit-setup certs`
made; a stand-in analysisd datagram socket of group wazuh. What Wazuh itself
would do is played by a stand-in /var/ossec tree whose bin/wazuh-analysisd is
tests/package/stand-in-wazuh-analysisd (a checker of the files and ossec.conf,
clearly not Wazuh).

It refuses to run where it would change what it did not create (package or
user already there) and leaves the machine as found: packages purged, the
user and a group wazuh it created deleted. Run by `make check-package`
(`.ci/run` does, after the suite, never in parallel with it).

Environment: DEB_DIR (the .debs), TOP_SRCDIR, PYTHONPATH (tests/lib).
"""
import collections
import glob
import json
import os
import pwd
import grp
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from harness import Tap, Receiver

TOP = os.environ.get("TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
from e2e import free_port  # noqa: E402
DEB_DIR = os.environ.get("DEB_DIR", "")
USER = "wazuh-k8s-audit"
PKGS = ["wazuh-k8s-audit", "wazuh-k8s-audit-imhttp"]
UNIT = "/lib/systemd/system/wazuh-k8s-audit.service"
CLOUD_UNIT = "/lib/systemd/system/wazuh-k8s-audit-cloud.service"
CLOUD_ENV = "/etc/wazuh-k8s-audit/cloud.env"
ENV = "/etc/wazuh-k8s-audit/wazuh-k8s-audit.env"
RUN = "/run/wazuh-k8s-audit"
SETUP = "/usr/sbin/wazuh-k8s-audit-setup"

t = Tap()


def sh(cmd, **kw):
    """Run cmd (list), return CompletedProcess with text output."""
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def stat_of(path):
    try:
        st = os.lstat(path)
    except OSError as e:
        return str(e)
    return (oct(st.st_mode & 0o7777), pwd.getpwuid(st.st_uid).pw_name,
            grp.getgrgid(st.st_gid).gr_name)


def installed(pkg):
    r = sh(["dpkg-query", "-W", "-f=${Status} ${Version}", pkg])
    return r.stdout if r.returncode == 0 else ""


def debs(version=None):
    out = []
    for p in PKGS:
        pat = os.path.join(DEB_DIR, "%s_%s_*.deb" % (p, version or "*"))
        found = sorted(glob.glob(pat))
        out += found[-1:]
    return out


# --- preconditions -------------------------------------------------------------
if os.geteuid() != 0 or not shutil.which("dpkg"):
    t.skip("package tests", "needs root and dpkg")
    t.done()
if not debs():
    t.ok(False, "the .debs are in DEB_DIR=%s" % DEB_DIR)
    t.done()
for p in PKGS:
    if installed(p):
        t.ok(False, "%s is not installed before the test (it would be purged)" % p)
        t.done()
try:
    pwd.getpwnam(USER)
    t.ok(False, "user %s does not exist before the test" % USER)
    t.done()
except KeyError:
    pass
if socket.socket().connect_ex(("127.0.0.1", 10514)) == 0:
    t.skip("package tests", "127.0.0.1:10514 (the logger handover port) is busy")
    t.done()

work = tempfile.mkdtemp(prefix="pkgtest-")
os.chmod(work, 0o755)
made_group = False
procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    sh(["pkill", "-u", USER])
    for p in PKGS + ["pkgtest-standin-wazuh-manager"]:
        if installed(p):
            sh(["dpkg", "--purge", p])
    try:
        pwd.getpwnam(USER)
        sh(["deluser", "--quiet", "--system", USER])
    except KeyError:
        pass
    try:
        grp.getgrnam(USER)
        sh(["delgroup", "--quiet", "--system", USER])
    except KeyError:
        pass
    if made_group:
        sh(["groupdel", "wazuh"])
    shutil.rmtree(RUN, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


def main():
    global made_group
    deps_check()

    # the manager's group: when this machine has none, install first, then
    # play a Wazuh manager arriving later (a package shipping /var/ossec):
    # the file trigger must add our user to the new group
    try:
        grp.getgrnam("wazuh")
        have_group = True
    except KeyError:
        have_group = False
    r = sh(["dpkg", "-i"] + debs())
    if not t.ok(r.returncode == 0, "dpkg -i installs %s" % " ".join(os.path.basename(d) for d in debs()), r.stdout):
        return
    if have_group:
        t.skip("a manager installed later: the trigger adds the group", "group wazuh exists on this machine already")
    else:
        t.ok("no group wazuh or ossec yet" in r.stdout, "postinst says the manager's group is not there yet", r.stdout)
        t.ok(sh(["groupadd", "--system", "wazuh"]).returncode == 0, "group wazuh (stand-in manager) created")
        made_group = True
        mgr = standin_manager_package()
        r = sh(["dpkg", "-i", mgr])
        t.ok(r.returncode == 0 and "wazuh" in sh(["id", "-nG", USER]).stdout.split(),
             "a package installing into /var/ossec later: the trigger adds %s to group wazuh" % USER, r.stdout)
        r = sh(["dpkg", "--purge", "pkgtest-standin-wazuh-manager"])
        t.ok(r.returncode == 0 and not os.path.exists("/var/ossec"), "the stand-in manager package purged", r.stdout)
    files_and_modes()
    unit_score()
    certs()
    version = installed("wazuh-k8s-audit").split()[-1]
    ossec = standin_ossec()
    rules_install_remove(ossec)
    rules_real_analysisd()
    marker = service_roundtrip()
    upgrade(version, marker)
    remove_purge(marker)


# --- dpkg's view of the module's pin --------------------------------------------
def deps_check():
    imhttp = [d for d in debs() if "-imhttp_" in d][0]
    dep = sh(["dpkg-deb", "-f", imhttp, "Depends"]).stdout.strip()
    t.diag("wazuh-k8s-audit-imhttp Depends: " + dep)
    dep = ", ".join(c.strip() for c in dep.split(",") if c.strip().startswith("rsyslog "))
    rs = sh(["dpkg-query", "-W", "-f=${Version}", "rsyslog"]).stdout.strip()
    up = re.sub(r"-[^-]*$", "", re.sub(r"^\d+:", "", rs))
    script = ("use Dpkg::Deps; my $d = deps_parse($ARGV[0]); "
              "my $f = Dpkg::Deps::KnownFacts->new(); "
              "$f->add_installed_package('rsyslog', $ARGV[1], 'amd64', 'no'); "
              "print $d->get_evaluation($f) ? 'yes' : 'no';")
    cases = [(rs, "yes"), (up + "-1", "yes"), (up + "-1+deb12u9", "yes"),
             (up + "-0.1", "yes")]
    major, _, rest = up.partition(".")
    nxt = "%s.%d.0" % (major, int(rest.split(".")[0]) + 4)
    cases += [(nxt + "-1", "no"), (up + ".1-1", "no"), (up + "+dfsg-1", "yes"),
              ("8.2210.0-2", "no"), (up + "~rc1-1", "no")]
    for v, want in cases:
        got = sh(["perl", "-e", script, dep, v]).stdout.strip()
        t.eq(got, want, "Depends %s rsyslog %s" % ("accepts" if want == "yes" else "refuses", v))

    # apt's view once installed: a dummy rsyslog of the next release can only
    # come in by removing our packages (unattended upgrades never remove)
    global dummy_rsyslog
    d = os.path.join(work, "dummy-rsyslog")
    os.makedirs(os.path.join(d, "DEBIAN"))
    with open(os.path.join(d, "DEBIAN", "control"), "w") as f:
        f.write("Package: rsyslog\nVersion: %s-1\nArchitecture: %s\n"
                "Maintainer: test <test@example.org>\nDescription: stand-in rsyslog of another release\n"
                % (nxt, sh(["dpkg", "--print-architecture"]).stdout.strip()))
    dummy_rsyslog = os.path.join(work, "rsyslog_%s-1.deb" % nxt)
    sh(["dpkg-deb", "-b", d, dummy_rsyslog])


def apt_refuses_other_rsyslog():
    r = sh(["apt-get", "-s", "-o", "Debug::NoLocking=1", "install", dummy_rsyslog])
    t.ok("Remv wazuh-k8s-audit-imhttp" in r.stdout,
         "apt: rsyslog of another release only by removing wazuh-k8s-audit-imhttp (simulated)", r.stdout)


# --- what dpkg put where ----------------------------------------------------------------
def standin_manager_package():
    """A package that is NOT Wazuh: it only puts a file under /var/ossec."""
    d = os.path.join(work, "standin-manager")
    os.makedirs(os.path.join(d, "DEBIAN"))
    os.makedirs(os.path.join(d, "var/ossec/etc"))
    open(os.path.join(d, "var/ossec/etc/pkgtest-standin"), "w").write("stand-in\n")
    with open(os.path.join(d, "DEBIAN", "control"), "w") as f:
        f.write("Package: pkgtest-standin-wazuh-manager\nVersion: 1\nArchitecture: all\n"
                "Maintainer: test <test@example.org>\nDescription: stand-in, ships /var/ossec/etc/pkgtest-standin\n")
    out = os.path.join(work, "standin-manager.deb")
    sh(["dpkg-deb", "-b", "--root-owner-group", d, out])
    return out


def files_and_modes():
    want = {
        "/usr/bin/wazuh-k8s-audit": ("0o755", "root", "root"),
        "/usr/sbin/wazuh-k8s-audit-setup": ("0o755", "root", "root"),
        "/usr/lib/wazuh-k8s-audit/rsyslog/imhttp.so": ("0o644", "root", "root"),
        "/usr/lib/wazuh-k8s-audit/bin/render-dropin.sh": ("0o755", "root", "root"),
        "/usr/lib/wazuh-k8s-audit/bin/mend-queue.sh": ("0o755", "root", "root"),
        "/usr/lib/wazuh-k8s-audit/rsyslog.d/60-wazuh-k8s-audit.conf.in": ("0o644", "root", "root"),
        "/usr/share/wazuh-k8s-audit/rules/0950-k8s_audit_rules.xml": ("0o644", "root", "root"),
        ENV: ("0o644", "root", "root"),
        "/etc/wazuh-k8s-audit/rsyslog.conf": ("0o644", "root", "root"),
        "/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf": ("0o644", "root", "root"),
        "/etc/logrotate.d/wazuh-k8s-audit": ("0o644", "root", "root"),
        UNIT: ("0o644", "root", "root"),
        "/lib/systemd/system/rsyslog.service.d/wazuh-k8s-audit.conf": ("0o644", "root", "root"),
        CLOUD_UNIT: ("0o644", "root", "root"),
        CLOUD_ENV: ("0o644", "root", "root"),
        "/usr/lib/wazuh-k8s-audit/bin/render-cloud.sh": ("0o755", "root", "root"),
        "/var/lib/wazuh-k8s-audit-cloud": ("0o750", USER, USER),
        "/var/log/wazuh-k8s-audit-cloud": ("0o750", USER, USER),
        "/etc/wazuh-k8s-audit/certs": ("0o750", "root", USER),
        "/var/lib/wazuh-k8s-audit": ("0o750", USER, USER),
        "/var/log/wazuh-k8s-audit": ("0o750", USER, USER),
    }
    for path, mode in want.items():
        t.eq(stat_of(path), mode, "%s %s" % (path, " ".join(mode)))
    pw = pwd.getpwnam(USER)
    t.ok(pw.pw_uid < 1000 and pw.pw_shell.endswith("nologin"),
         "user %s is a system user without a shell" % USER, pw)
    groups = sh(["id", "-nG", USER]).stdout.split()
    t.ok("wazuh" in groups, "user %s is in group wazuh (the manager's)" % USER, groups)
    conff = sh(["dpkg-query", "-W", "-f=${Conffiles}", "wazuh-k8s-audit"]).stdout
    for c in [ENV, "/etc/wazuh-k8s-audit/rsyslog.conf", "/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf",
              "/etc/logrotate.d/wazuh-k8s-audit", CLOUD_ENV]:
        t.ok(c in conff, "%s is a conffile" % c, conff)
    env = open(ENV).read()
    t.ok("PLUGIN=/usr/bin/wazuh-k8s-audit\n" in env and
         "IMHTTP_MODULE=/usr/lib/wazuh-k8s-audit/rsyslog/imhttp.so\n" in env,
         "the settings name the packaged plugin and module")
    r = sh(["rsyslogd", "-N1", "-f", "/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf"])
    t.ok(r.returncode == 0, "the system-logger handover drop-in passes rsyslogd -N1", r.stdout)
    apt_refuses_other_rsyslog()


def unit_score():
    failing = []
    for u in (UNIT, CLOUD_UNIT):
        r = sh(["systemd-analyze", "security", "--offline=true", "--json=short", u])
        try:
            failing.append({x["name"] for x in json.loads(r.stdout) if x["set"] is False})
        except ValueError:
            failing.append({"(no JSON)"})
    extra = failing[1] - failing[0] - {"AmbientCapabilities=",
                                       "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)"}
    t.ok(not extra, "the cloud unit passes every check the webhook unit passes, but for CAP_NET_BIND_SERVICE",
         sorted(extra))
    r = sh(["systemd-analyze", "verify", CLOUD_UNIT])
    t.ok(r.returncode == 0, "systemd-analyze verify %s" % CLOUD_UNIT, r.stdout)
    r = sh(["systemd-analyze", "security", "--offline=true", UNIT])
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    score = float(m.group(1)) if m else 99.0
    print("# systemd-analyze security --offline=true %s: %s" % (UNIT, m.group(1) if m else "?"))
    t.ok(score <= 2.0, "unit exposure %.1f <= 2.0" % score, r.stdout[-2000:])
    r = sh(["systemd-analyze", "verify", UNIT])
    t.ok(r.returncode == 0, "systemd-analyze verify %s" % UNIT, r.stdout)
    unit = open(UNIT).read()
    t.ok(re.search(r"^Restart=always$", unit, re.M) and re.search(r"^User=%s$" % USER, unit, re.M),
         "unit: Restart=always, User=%s" % USER)


def certs():
    r = sh([SETUP, "certs", "localhost", "127.0.0.1"])
    t.ok(r.returncode == 0, "wazuh-k8s-audit-setup certs", r.stdout)
    d = "/etc/wazuh-k8s-audit/certs"
    t.eq(stat_of(d + "/server.pem"), ("0o640", "root", USER), "server.pem root:%s 0640" % USER)
    for k in ("ca.key", "client.key", "server.key"):
        t.eq(stat_of(os.path.join(d, k))[:2], ("0o600", "root"), "%s root-only" % k)


# --- rules into a stand-in manager tree ---------------------------------------
OSSEC_CONF = """<!--
  Wazuh - Manager - Default configuration (abridged)
-->

<ossec_config>
  <global>
    <jsonout_output>yes</jsonout_output>
  </global>
</ossec_config>

<ossec_config>
  <ruleset>
    <!-- Default ruleset -->
    <decoder_dir>ruleset/decoders</decoder_dir>
    <rule_dir>ruleset/rules</rule_dir>
    <rule_exclude>0215-policy_rules.xml</rule_exclude>
    <list>etc/lists/audit-keys</list>

    <!-- User-defined ruleset -->
    <decoder_dir>etc/decoders</decoder_dir>
    <rule_dir>etc/rules</rule_dir>
  </ruleset>
</ossec_config>"""  # no final newline: a byte-exact round trip must keep that too


def standin_ossec():
    o = os.path.join(work, "ossec")
    for d in ("etc/rules", "etc/lists", "etc/decoders", "bin", "logs"):
        os.makedirs(os.path.join(o, d))
    with open(os.path.join(o, "etc/ossec.conf"), "w") as f:
        f.write(OSSEC_CONF)
    os.chmod(os.path.join(o, "etc/ossec.conf"), 0o660)
    shutil.chown(os.path.join(o, "etc/ossec.conf"), "root", "wazuh")
    with open(os.path.join(o, "etc/lists/audit-keys"), "w") as f:
        f.write("x:y\n")
    os.chmod(os.path.join(o, "etc/lists/audit-keys"), 0o640)
    shutil.chown(os.path.join(o, "etc/lists/audit-keys"), "root", "wazuh")
    open(os.path.join(o, "logs/ossec.log"), "w").close()
    shutil.copy(os.path.join(TOP, "tests/package/stand-in-wazuh-analysisd"),
                os.path.join(o, "bin/wazuh-analysisd"))
    os.chmod(os.path.join(o, "bin/wazuh-analysisd"), 0o755)
    return o


def rules_install_remove(o):
    conf = os.path.join(o, "etc/ossec.conf")
    orig = open(conf, "rb").read()
    setup = [SETUP, "--wazuh-dir", o]
    r = sh(setup + ["rules", "install"])
    t.ok(r.returncode == 0, "setup rules install", r.stdout)
    after = open(conf, "rb").read()
    lists = sorted(os.listdir(os.path.join(TOP, "rules/lists")))
    for l in lists:
        t.ok(after.count(b"<list>etc/lists/%s</list>" % l.encode()) == 1, "ossec.conf declares %s once" % l)
        t.eq(stat_of(os.path.join(o, "etc/lists", l)), ("0o640", "root", "wazuh"), "lists/%s root:wazuh 0640" % l)
    t.eq(stat_of(os.path.join(o, "etc/rules/0950-k8s_audit_rules.xml")), ("0o640", "root", "wazuh"),
         "rules/0950-k8s_audit_rules.xml root:wazuh 0640")
    t.eq(stat_of(conf), ("0o660", "root", "wazuh"), "ossec.conf keeps its owner and mode")
    t.eq(open(conf + ".wazuh-k8s-audit.bak", "rb").read(), orig, "backup of ossec.conf")
    r = sh(setup + ["rules", "install"])
    t.ok(r.returncode == 0 and open(conf, "rb").read() == after, "rules install again: ossec.conf unchanged", r.stdout)
    r = sh(setup + ["rules", "remove"])
    t.ok(r.returncode == 0, "setup rules remove", r.stdout)
    t.ok(open(conf, "rb").read() == orig, "after remove ossec.conf is byte-identical to before install")
    left = sorted(os.listdir(os.path.join(o, "etc/lists"))) + os.listdir(os.path.join(o, "etc/rules"))
    t.eq(left, ["audit-keys"], "remove leaves only the manager's own rule and list files")

    # the manager refuses: everything rolled back
    env = dict(os.environ, STANDIN_ANALYSISD_FAIL="1")
    r = subprocess.run(setup + ["rules", "install"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env)
    t.ok(r.returncode == 1 and "rolled back" in r.stdout, "analysisd -t fails: exit 1, rolled back", r.stdout)
    t.ok(open(conf, "rb").read() == orig, "after the rollback ossec.conf is byte-identical")
    left = sorted(os.listdir(os.path.join(o, "etc/lists"))) + os.listdir(os.path.join(o, "etc/rules"))
    t.eq(left, ["audit-keys"], "after the rollback no file of ours is left")
    # exit 0 with a warning in the log about our rules: refused too (BRIEF §6)
    env = dict(os.environ, STANDIN_ANALYSISD_WARN="1")
    r = subprocess.run(setup + ["rules", "install"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env)
    t.ok(r.returncode == 1 and open(conf, "rb").read() == orig,
         "analysisd -t exits 0 but logs a duplicated rule ID: refused, rolled back", r.stdout)


def rules_real_analysisd():
    """The same against a real wazuh-analysisd -t, in a copy of the manager
    installed on this machine (never the manager itself)."""
    real = "/var/ossec/bin/wazuh-analysisd"
    if not os.access(real, os.X_OK) or not os.path.exists("/var/ossec/etc/ossec.conf"):
        t.skip("rules install/remove with a real wazuh-analysisd -t", "no Wazuh manager in /var/ossec here")
        return
    o = os.path.join(work, "real-ossec")
    sh(["cp", "-a", "/var/ossec", o])
    conf = os.path.join(o, "etc/ossec.conf")
    # a manager that never had our lists: drop k8s <list> lines, rules, lists
    with open(conf, "r+") as f:
        text = re.sub(r"(?m)^[ \t]*<list>etc/lists/k8s-[^<]*</list>\n", "", f.read())
        f.seek(0)
        f.write(text)
        f.truncate()
    for f in glob.glob(os.path.join(o, "etc/lists/k8s-*")) + glob.glob(os.path.join(o, "etc/rules/*k8s*")):
        os.unlink(f)
    orig = open(conf, "rb").read()
    setup = [SETUP, "--wazuh-dir", o]
    r = sh(setup + ["rules", "install"])
    ver = (sh([real, "-V"]).stdout.strip().splitlines() or ["?"])[0]
    t.ok(r.returncode == 0 and "wazuh-analysisd -t: OK" in r.stdout,
         "real wazuh-analysisd -t (%s) accepts what rules install did" % ver, r.stdout)
    t.ok(sh(setup + ["rules", "install"]).returncode == 0, "real: rules install again")
    r = sh(setup + ["rules", "remove"])
    t.ok(r.returncode == 0 and open(conf, "rb").read() == orig, "real: after remove ossec.conf is byte-identical", r.stdout)

    # an admin's rule already uses one of our IDs: analysisd -t exits 0 with
    # a warning; install must refuse and roll back
    ours = open(os.path.join(TOP, "rules/0950-k8s_audit_rules.xml")).read()
    rid = re.search(r'<rule id="(\d+)"', ours).group(1)
    clash = os.path.join(o, "etc/rules/local_clash.xml")
    with open(clash, "w") as f:
        f.write('<group name="local,">\n  <rule id="%s" level="3">\n    <match>clash</match>\n'
                '    <description>an admin rule with an ID of ours</description>\n  </rule>\n</group>\n' % rid)
    shutil.chown(clash, "root", "wazuh")
    os.chmod(clash, 0o640)
    r = sh(setup + ["rules", "install"])
    t.ok(r.returncode == 1 and "rolled back" in r.stdout and open(conf, "rb").read() == orig
         and not os.path.exists(os.path.join(o, "etc/rules/0950-k8s_audit_rules.xml")),
         "real: rule ID %s already taken: refused, rolled back, ossec.conf byte-identical" % rid, r.stdout)


# --- the service's command line, as its user ---------------------------------------
def unit_commands():
    pre, start = [], None
    for line in open(UNIT):
        line = line.strip()
        if line.startswith("ExecStartPre="):
            pre.append(shlex.split(line.split("=", 1)[1]))
        elif line.startswith("ExecStart="):
            start = shlex.split(line.split("=", 1)[1])
    return pre, start


def as_user(cmd):
    return ["setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups",
            "--no-new-privs", "--"] + cmd


def eventlist(n):
    items = []
    for path in sorted(glob.glob(os.path.join(TOP, "tests/corpus/k8s-audit/*.jsonl"))):
        for line in open(path):
            if line.strip():
                items.append(json.loads(line))
            if len(items) == n:
                break
        if len(items) == n:
            break
    for i, e in enumerate(items):
        e["auditID"] = "pkgtest-%04d" % i
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": items}


def curl(port, body, cert=True):
    d = "/etc/wazuh-k8s-audit/certs"
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
           "--cacert", d + "/ca.crt", "-H", "Content-Type: application/json",
           "--data-binary", "@-", "https://127.0.0.1:%d/k8s-audit" % port]
    if cert:
        cmd[1:1] = ["--cert", d + "/client.crt", "--key", d + "/client.key"]
    r = subprocess.run(cmd, input=json.dumps(body), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return r.stdout.strip()


def wait_for_line(path, needle, port, timeout=10):
    """Post a one-event batch every half second until path holds needle."""
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and needle in open(path, errors="replace").read():
            return True
        curl(port, eventlist(1))
        time.sleep(0.5)
    return False


def start_service(start, port):
    """ExecStart as the service user; returns once it listens on port (or died)."""
    p = subprocess.Popen(as_user(start), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(p)
    for _ in range(100):
        if socket.socket().connect_ex(("127.0.0.1", port)) == 0 or p.poll() is not None:
            break
        time.sleep(0.1)
    return p


def service_diag():
    """The service's logs and state directories, for a failure's detail."""
    out = []
    for f in ("plugin.log", "rsyslogd.log"):
        path = "/var/log/wazuh-k8s-audit/" + f
        if os.path.exists(path):
            out += ["--- " + f] + open(path, errors="replace").read().splitlines()[-15:]
    out += ["--- state"] + sh(["find", "/var/lib/wazuh-k8s-audit", "-ls"]).stdout.splitlines()
    return "\n".join(out)


def stop_service(p):
    p.terminate()
    try:
        p.wait(timeout=30)
        return True
    except subprocess.TimeoutExpired:
        return False


def service_roundtrip():
    # the stand-in analysisd: a datagram socket of group wazuh, 0660, in a
    # directory only root and that group may enter (as /var/ossec/queue/sockets)
    qdir = os.path.join(work, "queue")
    os.mkdir(qdir)
    shutil.chown(qdir, "root", "wazuh")
    os.chmod(qdir, 0o750)
    qpath = os.path.join(qdir, "queue")
    recv = Receiver(qpath)
    shutil.chown(qpath, "root", "wazuh")
    os.chmod(qpath, 0o660)
    state = os.path.join(qdir, "wazuh-analysisd.state")
    with open(state, "w") as f:
        f.write("# State file\nevents_received='0'\nevents_dropped='0'\nevent_queue_usage='0.00'\n")
    os.chmod(state, 0o640)
    shutil.chown(state, "root", "wazuh")

    # the admin's edits to the conffile (kept across upgrades, checked there)
    port = free_port()
    env = open(ENV).read()
    env = re.sub(r"(?m)^LISTEN=.*$", "LISTEN=127.0.0.1:%d" % port, env)
    env = re.sub(r"(?m)^ANALYSISD_SOCKET=.*$", "ANALYSISD_SOCKET=" + qpath, env)
    env = re.sub(r"(?m)^STATE_FILE=.*$", "STATE_FILE=" + state, env)
    env = re.sub(r"(?m)^THREADS=.*$", "THREADS=2", env)
    env = re.sub(r"(?m)^PLUGIN_ARGS=.*$", "PLUGIN_ARGS=--stats-interval 1", env)
    with open(ENV, "w") as f:
        f.write(env)

    # what systemd does before ExecStartPre: RuntimeDirectory= (State- and
    # LogsDirectory= exist from postinst)
    os.makedirs(RUN, exist_ok=True)
    shutil.chown(RUN, USER, USER)
    os.chmod(RUN, 0o750)
    pre, start = unit_commands()
    t.ok(start is not None and start[0] == "/usr/sbin/rsyslogd" and len(pre) >= 1,
         "unit has ExecStartPre (render, check) and ExecStart rsyslogd", (pre, start))
    for cmd in pre:
        r = sh(as_user(cmd))
        if not t.ok(r.returncode == 0, "ExecStartPre as %s: %s" % (USER, " ".join(cmd)), r.stdout):
            return None
    t.eq(stat_of("/var/lib/wazuh-k8s-audit/queue"), ("0o750", USER, USER),
         "ExecStartPre made rsyslog's queue directory, the service user's")
    p = start_service(start, port)
    if not t.ok(p.poll() is None, "ExecStart as %s listens on 127.0.0.1:%d" % (USER, port),
                p.stdout.read() if p.poll() is not None else None):
        return None
    owners = sh(["ps", "-o", "user=,comm=", "-u", USER]).stdout
    t.ok("rsyslogd" in owners and sh(["pgrep", "-u", "root", "-f", "rsyslog.conf -i " + RUN]).returncode != 0,
         "rsyslogd runs as %s, not root" % USER, owners)

    body = eventlist(25)
    t.eq(curl(port, body), "200", "POST of 25 events with the client certificate: 200")
    t.ok(recv.wait_count(25, timeout=30), "all 25 events reach the stand-in analysisd (group wazuh, 0660)",
         "got %d" % recv.count())
    ids = sorted(e["auditID"] for _, e in recv.events())
    t.eq(ids, ["pkgtest-%04d" % i for i in range(25)], "each event once, as sent")
    t.ok(all(loc == "k8s" for loc, _ in recv.events()), "location k8s")
    t.ok(sh(["pgrep", "-u", USER, "-x", "wazuh-k8s-audit"]).returncode == 0,
         "the plugin runs as %s (child of the instance)" % USER)
    t.ok(curl(port, body, cert=False) != "200", "no client certificate: refused")

    # logger handover: a system-like rsyslogd (root, imuxsock on a private
    # socket) with the package's /etc/rsyslog.d drop-in; `logger -t k8s-audit`
    # into it reaches analysisd through the service, and not its syslog file
    sysd = os.path.join(work, "syslog")
    os.mkdir(sysd)
    with open(os.path.join(sysd, "rsyslog.conf"), "w") as f:
        f.write('global(workDirectory="%s")\n'
                'module(load="imuxsock" SysSock.Use="off")\n'
                'input(type="imuxsock" Socket="%s/log.sock")\n'
                'include(file="/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf")\n'
                'action(type="omfile" file="%s/syslog")\n' % (sysd, sysd, sysd))
    sysp = subprocess.Popen(["rsyslogd", "-n", "-f", sysd + "/rsyslog.conf", "-i", sysd + "/pid"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(sysp)
    for _ in range(50):
        if os.path.exists(sysd + "/log.sock"):
            break
        time.sleep(0.1)
    ev = eventlist(26)["items"][25]
    ev["auditID"] = "pkgtest-logger"
    sh(["logger", "-u", sysd + "/log.sock", "-t", "k8s-audit", "--size", "200000", json.dumps(ev)])
    sh(["logger", "-u", sysd + "/log.sock", "-t", "other", "an ordinary line"])
    got = recv.wait_count(26, timeout=30) and recv.events()[-1][1]["auditID"] == "pkgtest-logger"
    t.ok(got, "logger -t k8s-audit into the system logger reaches analysisd through the service")
    time.sleep(0.5)
    text = open(sysd + "/syslog").read() if os.path.exists(sysd + "/syslog") else ""
    t.ok("an ordinary line" in text and "pkgtest-logger" not in text,
         "the system logger keeps its other lines and not the event", text[-500:])
    sysp.terminate()
    sysp.wait(timeout=20)

    r = sh([SETUP, "status"])
    t.ok(r.returncode == 0 and "all good" in r.stdout, "setup status: all good while it runs", r.stdout)
    print("# " + "\n# ".join(r.stdout.splitlines()))

    # a batch that is not JSON: set aside, and status names the reason
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                        "--cacert", "/etc/wazuh-k8s-audit/certs/ca.crt",
                        "--cert", "/etc/wazuh-k8s-audit/certs/client.crt",
                        "--key", "/etc/wazuh-k8s-audit/certs/client.key",
                        "--data-binary", "{not json", "https://127.0.0.1:%d/k8s-audit" % port],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rej = "/var/log/wazuh-k8s-audit/rejected.jsonl"
    for _ in range(100):
        if os.path.exists(rej) and os.path.getsize(rej) > 0:
            break
        time.sleep(0.1)
    t.ok(os.path.exists(rej) and os.path.getsize(rej) > 0, "a body that is not JSON lands in rejected.jsonl")
    # counters reach plugin.log (--stats-interval 1): post until a line is there
    plog = "/var/log/wazuh-k8s-audit/plugin.log"
    wait_for_line(plog, " lines=", port)
    r = sh([SETUP, "status"])
    t.ok(r.returncode == 0 and re.search(r"info  plugin: .* lines=\d+", r.stdout)
         and re.search(r"info  last rejected input: \S+", r.stdout),
         "setup status: the plugin's counters and the last rejected input's reason", r.stdout)
    print("# " + "\n# ".join(r.stdout.splitlines()))

    # logrotate renames, its postrotate HUPs rsyslogd through the pid file,
    # and both omprog's plugin.log and omfile's rsyslogd.log start anew
    before = open(plog).read()
    lr = os.path.join(work, "logrotate.state")
    r = sh(["logrotate", "-f", "-s", lr, "/etc/logrotate.d/wazuh-k8s-audit"])
    t.ok(r.returncode == 0 and os.path.exists(plog + ".1") and os.path.exists(
        "/var/log/wazuh-k8s-audit/rsyslogd.log.1"), "logrotate -f renames the logs",
        r.stdout + " ".join(sorted(os.listdir("/var/log/wazuh-k8s-audit"))))
    t.ok(open(plog + ".1").read().startswith(before), "plugin.log.1 holds every line plugin.log had")
    t.ok(wait_for_line(plog, " lines=", port), "after postrotate's HUP the counters go to a new plugin.log")
    t.eq(stat_of(plog)[1:], (USER, USER), "the new plugin.log belongs to %s" % USER)
    t.ok(os.path.exists("/var/log/wazuh-k8s-audit/rsyslogd.log") and
         "HUP" in open("/var/log/wazuh-k8s-audit/rsyslogd.log").read(),
         "rsyslogd.log reopened by the same HUP")

    # analysisd away while a batch arrives, the service restarted meanwhile:
    # the batch waits in the package's state directory and arrives afterwards
    recv.stop(unlink=False)
    n0 = recv.count()
    t.eq(curl(port, eventlist(10)), "200", "analysisd stopped: the batch is still taken (200)")
    time.sleep(2)
    # the plugin holds that batch: in the disk queue (it leaves it only once
    # delivered) or, accepted ahead (analysisd kept up with the batch
    # before), in the plugin's spool; the next one waits behind it in the
    # queue: two batches waiting, each in one place
    queued = eventlist(1)
    queued["items"][0]["auditID"] = "pkgtest-queued"
    t.eq(curl(port, queued), "200", "analysisd stopped: a second batch is taken (200)")
    r = sh([SETUP, "status"])
    t.ok(r.returncode == 1 and ("rsyslog queue: 2 batch(es) waiting" in r.stdout or (
        "rsyslog queue: 1 batch(es) waiting" in r.stdout and "plugin spool: 1 line(s)" in r.stdout)),
         "setup status: both batches waiting, in the disk queue or the first in the plugin's spool, exit 1",
         r.stdout)
    stopped = stop_service(p)
    p = start_service(start, port)
    t.ok(stopped and p.poll() is None, "service stopped and started again while analysisd is away")
    read_before = collections.Counter(e["auditID"] for _, e in recv.events())
    recv = Receiver(qpath)
    shutil.chown(qpath, "root", "wazuh")
    os.chmod(qpath, 0o660)
    # omprog starts the plugin with the first message after the restart (the
    # apiserver posts a batch every 5-10 s even when idle): the plugin then
    # delivers the line it spooled at the stop, and this one
    nxt = eventlist(1)
    nxt["items"][0]["auditID"] = "pkgtest-next"
    t.eq(curl(port, nxt), "200", "the next batch after the restart: 200")
    got = recv.wait_count(12, timeout=60)
    recv.settle()
    ids = sorted(e["auditID"] for _, e in recv.events())
    # A new analysisd also gets the read window again: what the old one had
    # read (docs/production.md, "What a manager restart may take"), no more.
    want = collections.Counter(["pkgtest-%04d" % i for i in range(10)] + ["pkgtest-next", "pkgtest-queued"])
    extra = collections.Counter(ids) - want
    t.ok(got and not want - collections.Counter(ids) and not extra - read_before,
         "analysisd back: the 10 events, the queued and the next one arrive; besides them only the read "
         "window, %d of the %d events the old analysisd read" % (sum(extra.values()), n0),
         "got %d: %s\n%s" % (recv.count(), ids, service_diag()))
    stopped = stop_service(p)
    t.ok(stopped, "rsyslogd stops on SIGTERM")
    r = sh([SETUP, "status"])
    t.ok(r.returncode == 1 and "receiver not running" in r.stdout, "setup status: exit 1, receiver not running", r.stdout)
    recv.stop()
    marker = "/var/lib/wazuh-k8s-audit/spool/pkgtest-marker"
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    with open(marker, "w") as f:
        f.write("spooled line\n")
    return marker


# --- upgrade, remove, purge --------------------------------------------------------
def bumped(version):
    """The built .debs repacked as VERSION with the next Debian revision."""
    up, rev = version.rsplit("-", 1)
    newv = "%s-%d" % (up, int(rev.split("+")[0].split(".")[0]) + 1)
    out = []
    for deb in debs(version):
        d = os.path.join(work, "repack-" + os.path.basename(deb))
        sh(["dpkg-deb", "-R", deb, d])
        ctl = os.path.join(d, "DEBIAN", "control")
        c = open(ctl).read()
        c = re.sub(r"(?m)^Version: .*$", "Version: " + newv, c)
        c = c.replace("wazuh-k8s-audit-imhttp (= %s)" % version, "wazuh-k8s-audit-imhttp (= %s)" % newv)
        open(ctl, "w").write(c)
        new = os.path.join(work, os.path.basename(deb).replace("_%s_" % version, "_%s_" % newv))
        sh(["dpkg-deb", "-b", "--root-owner-group", d, new])
        out.append(new)
    return newv, out


def upgrade(version, marker):
    env_before = open(ENV).read()
    r = sh(["dpkg", "-i"] + debs(version))
    t.ok(r.returncode == 0, "reinstall of %s over itself" % version, r.stdout)
    t.eq(open(ENV).read(), env_before, "reinstall keeps the edited conffile")
    t.ok(marker is None or os.path.exists(marker), "reinstall keeps the spool")
    newv, files = bumped(version)
    r = sh(["dpkg", "-i"] + files)
    t.ok(r.returncode == 0 and installed("wazuh-k8s-audit").endswith(newv),
         "upgrade to %s" % newv, r.stdout)
    t.ok("dpkg-new" not in " ".join(glob.glob("/etc/wazuh-k8s-audit/*")) and open(ENV).read() == env_before,
         "upgrade keeps the edited conffile (no prompt, no .dpkg-new)")
    t.ok(marker is None or os.path.exists(marker), "upgrade keeps the spool")
    t.eq(stat_of("/etc/wazuh-k8s-audit/certs/server.pem"), ("0o640", "root", USER), "upgrade keeps the certificates")


def remove_purge(marker):
    r = sh(["dpkg", "--remove"] + PKGS)
    t.ok(r.returncode == 0, "dpkg --remove", r.stdout)
    t.ok(not os.path.exists("/usr/bin/wazuh-k8s-audit") and os.path.exists(ENV)
         and (marker is None or os.path.exists(marker)),
         "remove: program gone; conffiles and state kept")
    r = sh(["dpkg", "--purge"] + PKGS)
    t.ok(r.returncode == 0, "dpkg --purge", r.stdout)
    left = [p for p in ["/etc/wazuh-k8s-audit", "/var/lib/wazuh-k8s-audit", "/var/log/wazuh-k8s-audit",
                        "/usr/lib/wazuh-k8s-audit", "/usr/share/wazuh-k8s-audit", "/usr/share/doc/wazuh-k8s-audit",
                        "/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf", "/etc/logrotate.d/wazuh-k8s-audit",
                        UNIT, "/usr/sbin/wazuh-k8s-audit-setup", CLOUD_UNIT,
                        "/var/lib/wazuh-k8s-audit-cloud", "/var/log/wazuh-k8s-audit-cloud"] if os.path.lexists(p)]
    t.eq(left, [], "purge leaves no file of ours")
    t.eq(installed("wazuh-k8s-audit") + installed("wazuh-k8s-audit-imhttp"), "", "dpkg knows neither package")


try:
    main()
finally:
    cleanup()
try:
    pwd.getpwnam(USER)
    t.ok(False, "cleanup removed user %s" % USER)
except KeyError:
    t.ok(True, "cleanup removed user %s: the machine is as found" % USER)
t.done()
