"""wazuh-k8s-audit-setup against a manager tree group wazuh can write
(issue 21 class 8) and its status report (issue 20): links it did not
create are never followed, ossec.conf is never cut, control characters in
what it replays are shown escaped, spool/delivered is not backlog.

Runs from the source tree on a stand-in manager directory in a temporary
directory (the tool's paths and group come from the environment); the
stand-in wazuh-analysisd -t accepts everything. Root: the tool refuses
`rules` otherwise.
"""
import os
import shutil
import subprocess
import tempfile

from harness import Tap

t = Tap()
TOP = os.environ.get("TOP_SRCDIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETUP = os.path.join(TOP, "contrib/setup/wazuh-k8s-audit-setup")
BEGIN = "<!-- wazuh-k8s-audit: begin (wazuh-k8s-audit-setup rules install) -->"
END = "<!-- wazuh-k8s-audit: end -->"
CONF = """<ossec_config>
  <global>
    <jsonout_output>yes</jsonout_output>
  </global>
  <ruleset>
    <decoder_dir>ruleset/decoders</decoder_dir>
    <rule_dir>ruleset/rules</rule_dir>
    <list>etc/lists/audit-keys</list>
  </ruleset>
</ossec_config>
"""

if os.geteuid() != 0:
    t.skip("setup tool tests", "need root (rules install refuses otherwise)")
    t.done()

work = tempfile.mkdtemp(prefix="wka-setup-")
share = os.path.join(work, "share")
shutil.copytree(os.path.join(TOP, "rules"), os.path.join(share, "rules"),
                ignore=shutil.ignore_patterns("*.mk"))
ENV = dict(os.environ, WAZUH_K8S_AUDIT_SHARE=share, WAZUH_GROUP="root",
           WAZUH_K8S_AUDIT_USER="wka-test-no-such-user",
           WAZUH_K8S_AUDIT_RUN=os.path.join(work, "run"))


def manager(name):
    """A fresh stand-in manager tree: ossec.conf, rules/, lists/, logs/."""
    o = os.path.join(work, name)
    for d in ("etc/rules", "etc/lists", "logs", "bin"):
        os.makedirs(os.path.join(o, d))
    with open(os.path.join(o, "etc/ossec.conf"), "w") as f:
        f.write(CONF)
    open(os.path.join(o, "logs/ossec.log"), "w").close()
    with open(os.path.join(o, "bin/wazuh-analysisd"), "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(os.path.join(o, "bin/wazuh-analysisd"), 0o755)
    return o


def setup(o, *args, env=None):
    return subprocess.run([SETUP, "--wazuh-dir", o] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, env=env or ENV)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def decoy(name):
    """A root-only file a link will point at."""
    p = os.path.join(work, name)
    with open(p, "w") as f:
        f.write("root's own file\n")
    os.chmod(p, 0o600)
    return p


# --- links planted by group wazuh ------------------------------------------------
o = manager("links")
conf = os.path.join(o, "etc/ossec.conf")
bak = conf + ".wazuh-k8s-audit.bak"
d = decoy("decoy-bak")
os.symlink(d, bak)
r = setup(o, "rules", "install")
t.ok(r.returncode == 0, "rules install with a link planted at the .bak", r.stdout.decode())
t.eq(read(d), b"root's own file\n", "install: the link's target is not written")
t.ok(not os.path.islink(bak) and read(bak) == CONF.encode(), "install: the .bak is a new file holding ossec.conf")
installed = read(conf)
os.unlink(bak)
os.symlink(d, bak)
r = setup(o, "rules", "remove")
t.ok(r.returncode == 0 and read(conf) == CONF.encode(), "rules remove with a link at the .bak", r.stdout.decode())
t.eq(read(d), b"root's own file\n", "remove: the link's target is not written")
t.ok(not os.path.islink(bak) and read(bak) == installed, "remove: the .bak is a new file holding ossec.conf")
t.eq(sorted(f for f in os.listdir(os.path.join(o, "etc")) if f.startswith(".")), [],
     "no temporary file left in etc/")

# a dangling link where a list goes: nothing created through it
gone = os.path.join(work, "created-through-link")
lst = os.path.join(o, "etc/lists/k8s-admin-users")
os.symlink(gone, lst)
r = setup(o, "rules", "install")
t.ok(not os.path.exists(gone), "install: a dangling link at a list's path is not followed", r.stdout.decode())
setup(o, "rules", "remove")

# ossec.conf itself a link: refused, its target untouched
o = manager("conf-link")
conf = os.path.join(o, "etc/ossec.conf")
real = os.path.join(work, "conf-link-target.conf")
shutil.move(conf, real)
os.symlink(real, conf)
r = setup(o, "rules", "install")
t.ok(r.returncode == 1 and read(real) == CONF.encode() and b"symbolic link" in r.stdout,
     "ossec.conf a link: install refused, the file it points to unchanged", r.stdout.decode())

# --- markers: never cut ossec.conf ---------------------------------------------
o = manager("markers")
conf = os.path.join(o, "etc/ossec.conf")
t.ok(setup(o, "rules", "install").returncode == 0, "markers: rules install")
good = read(conf).decode()
for desc, text in [
        ("end marker deleted by the admin", good.replace(END, "")),
        ("begin marker deleted", good.replace(BEGIN, "")),
        ("end before begin", good.replace(BEGIN, "@@").replace(END, BEGIN).replace("@@", END)),
        ("our block twice", good.replace("  </ruleset>", "    %s\n    %s\n  </ruleset>" % (BEGIN, END)))]:
    with open(conf, "w") as f:
        f.write(text)
    for cmd in ("remove", "install"):
        r = setup(o, "rules", cmd)
        t.ok(r.returncode == 1 and read(conf) == text.encode() and b"markers" in r.stdout,
             "%s: rules %s refuses, ossec.conf unchanged (%d bytes)" % (desc, cmd, len(text)),
             r.stdout.decode() + "\nossec.conf now %d bytes" % len(read(conf)))

# --- status ------------------------------------------------------------------------
st = os.path.join(work, "status")
lib, logs = os.path.join(st, "lib"), os.path.join(st, "log")
for dd in (lib + "/spool", lib + "/queue", logs, st + "/etc"):
    os.makedirs(dd)
envfile = os.path.join(st, "etc/wazuh-k8s-audit.env")
with open(envfile, "w") as f:
    f.write("LISTEN=127.0.0.1:1\nENDPOINT=/k8s-audit\nSERVER_PEM=%s/server.pem\n"
            "ANALYSISD_SOCKET=%s/queue\nSTATE_FILE=%s/state\nLOG_DIR=%s\nLIB_DIR=%s\n"
            % (st, st, st, logs, lib))


def status():
    r = subprocess.run([SETUP, "--env", envfile, "status"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=ENV)
    return r.stdout


# the plugin's record of delivered lines is not backlog
with open(lib + "/spool/delivered", "w") as f:
    f.write("%s 3 100\n" % ("ab" * 32))
out = status()
t.ok(b"ok    plugin spool: empty" in out, "status: spool/delivered alone is an empty spool", out.decode())
for i in (1, 2):
    with open(lib + "/spool/%016d.line" % i, "w") as f:
        f.write("wka-spool 1 0 %s\n{}\n" % ("cd" * 32))
with open(lib + "/spool/unread", "w") as f:
    f.write("wka-unread 1 3\n1\na1\nb1\nc")
out = status()
t.ok(b"FAIL  plugin spool: 2 line(s) and 3 datagram(s) to resend" in out,
     "status: two spooled lines and three unread datagrams are backlog", out.decode())

# control characters and forged counters from plugin.log and the reject file
esc = "\x1b]0;owned\x07\x1b[2J"
with open(logs + "/plugin.log", "w") as f:
    f.write("2026-12-07T10:00:00Z wazuh-k8s-audit info: stats: lines=7 events=7 bytes=1\n")
    f.write("2026-12-07T10:00:02Z wazuh-k8s-audit info: stats: lines=8 events=8 bytes=2%s\n" % esc)
    f.write("2026-12-07T10:00:03Z wazuh-k8s-audit warning: line (auditID x%s stats: lines=999999 "
            "events=0) set aside: damaged\n" % esc)
with open(logs + "/rejected.jsonl", "w") as f:
    f.write('{"time": "2026%s", "reason": "bad%s"}\n' % (esc, esc))
out = status()
t.ok(b"\x1b" not in out and b"\x07" not in out, "status: no raw escape or BEL reaches the terminal", repr(out))
t.ok(b"info  plugin: 2026-12-07T10:00:02Z wazuh-k8s-audit info: stats: lines=8 " in out
     and b"999999" not in out, "status: the plugin's last stats line, not a warning quoting one",
     out.decode(errors="replace"))
t.ok(b"^[[2J" in out, "status: escapes shown as ^[", repr(out))

# --- an agent host (issue 26) -----------------------------------------------------
ag = os.path.join(work, "agent")
for d in ("bin", "etc", "var/run"):
    os.makedirs(os.path.join(ag, d))
open(os.path.join(ag, "bin/wazuh-agentd"), "w").close()
AGENT_CONF = ("<ossec_config>\n  <client>\n    <server><address>m</address></server>\n"
              "  </client>\n  <client_buffer>\n    <disabled>no</disabled>\n"
              "    <queue_size>5000</queue_size>\n    <events_per_second>800"
              "</events_per_second>\n  </client_buffer>\n</ossec_config>\n")
with open(os.path.join(ag, "etc/ossec.conf"), "w") as f:
    f.write(AGENT_CONF)
r = setup(ag, "rules", "install")
t.ok(r.returncode == 1 and b"manager-side step" in r.stdout and b"agent" in r.stdout,
     "agent host: rules install refused with a clear message", r.stdout.decode())
t.ok(read(os.path.join(ag, "etc/ossec.conf")) == AGENT_CONF.encode(),
     "agent host: the agent's ossec.conf untouched")


def agent_state(status, buffered):
    # the layout of Wazuh 4.14.7 src/client-agent/state.c
    with open(os.path.join(ag, "var/run/wazuh-agentd.state"), "w") as f:
        f.write("# State file for wazuh-agentd\n\nstatus='%s'\n\nlast_keepalive=''\n\n"
                "last_ack=''\n\nmsg_count='10'\n\nmsg_sent='10'\n\n"
                "# Number of events currently buffered\nmsg_buffer='%s'\n" % (status, buffered))


def agent_status_out():
    return subprocess.run([SETUP, "--wazuh-dir", ag, "--env", envfile, "status"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV).stdout


agent_state("connected", 12)
out = agent_status_out()
t.ok(b"ok    agent connected, buffer 12/5000 events" in out and b"at most 800 events/s" in out
     and b"analysisd state" not in out and b"agent (wazuh-agentd) socket" in out,
     "agent host: status reads the agent's state and EPS, not analysisd's", out.decode())
agent_state("disconnected", 12)
out = agent_status_out()
t.ok(b"FAIL  agent disconnected: delivery is held" in out,
     "agent host: a disconnected agent is a problem", out.decode())
agent_state("connected", 4800)
out = agent_status_out()
t.ok(b"FAIL  agent buffer 4800/5000 events: nearly full" in out,
     "agent host: a nearly full buffer is a problem", out.decode())

shutil.rmtree(work)
t.done()
