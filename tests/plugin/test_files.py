"""Files opened as root before the privilege drop (issue 21, class 5): what
the dropped user (or anyone who could write the spool) plants at the reject
file's path or in the spool is never followed, handed over, waited on or
delivered.  Run as root, the plugin really drops (no --allow-root) where the
attack needs it; each start must answer or stop within seconds (a FIFO must
not hang it)."""
import os
import pwd
import subprocess

from harness import PLUGIN, Plugin, Receiver, Tap, Workdir, compact, \
    corpus_events, eventlist

t = Tap()
ROOT = os.geteuid() == 0
START_S = 10


def drop_user():
    for name in ("wazuh-k8s-audit", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    return None


USER = drop_user()


def start(wd, extra=None, spool=None, allow_root=True):
    """The plugin and its first answer (None: it stopped or hung)."""
    pl = Plugin(wd.path, wd.socket, extra, spool=spool, allow_root=allow_root)
    first = pl.answer(START_S)[0]
    return pl, first


def stop(pl):
    """Exit code; a plugin still running (hung) is killed: None."""
    try:
        pl.proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        return pl.proc.wait(START_S)
    except subprocess.TimeoutExpired:
        pl.kill()
        return None


def decoy(wd, name="decoy"):
    path = os.path.join(wd.path, name)
    with open(path, "w") as f:
        f.write("root only\n")
    os.chmod(path, 0o600)
    return path


def intact(path):
    st = os.lstat(path)
    with open(path) as f:
        return st.st_uid == 0 and f.read() == "root only\n"


def user_dir(wd, name):
    """A directory the dropped user owns (as packaged: 0750), reachable."""
    os.chmod(wd.path, 0o711)
    d = os.path.join(wd.path, name)
    os.mkdir(d, 0o750)
    os.chown(d, USER.pw_uid, USER.pw_gid)
    return d


if not ROOT or USER is None:
    t.skip("files opened as root", "not root or no user to drop to")
    t.done()
    raise SystemExit(0)

# 1. A symbolic link at the reject file's path, planted by the user that
#    owns its directory, to a root-only file: refused, the file untouched.
for kind in ("symlink", "hardlink"):
    wd = Workdir()
    d = user_dir(wd, "log")
    target = decoy(wd)
    rej = os.path.join(d, "rejected.jsonl")
    if kind == "symlink":
        os.symlink(target, rej)
    else:
        os.link(target, rej)
    pl, first = start(wd, ["--reject-file", rej], allow_root=False)
    t.ok(first != "OK", "%s at the reject path: not started" % kind, first)
    t.ok(stop(pl) not in (0, None), "%s: exits non-zero at once" % kind)
    t.ok(intact(target), "%s: the root-only file keeps its owner and "
         "content" % kind, os.stat(target).st_uid)
    t.ok("refusing to open reject file" in pl.stderr_text(),
         "%s: says why" % kind, pl.stderr_text()[-300:])
    wd.cleanup()

# 2. A reject file found in place (not created by the plugin) is not handed
#    over: only what the plugin creates becomes the user's.
wd = Workdir()
d = user_dir(wd, "log")
rej = os.path.join(d, "rejected.jsonl")
with open(rej, "w"):
    pass
pl, first = start(wd, ["--reject-file", rej], allow_root=False)
t.eq(first, "OK", "an existing reject file: started")
stop(pl)
t.eq(os.stat(rej).st_uid, 0, "an existing reject file keeps its owner")
os.unlink(rej)
pl, first = start(wd, ["--reject-file", rej], allow_root=False)
t.eq(first, "OK", "no reject file: started")
stop(pl)
t.eq(os.stat(rej).st_uid, USER.pw_uid, "the one it creates is the user's")
wd.cleanup()

# 3. The spool directory a symbolic link to a root directory: refused,
#    nothing in it handed over.
wd = Workdir()
victim = os.path.join(wd.path, "victim")
os.mkdir(victim, 0o700)
target = decoy(wd, "victim/secret")
os.chmod(wd.path, 0o711)
spool = os.path.join(wd.path, "spool")
os.symlink(victim, spool)
pl, first = start(wd, spool=spool, allow_root=False)
t.ok(first != "OK", "symlinked spool directory: not started", first)
t.ok(stop(pl) not in (0, None), "symlinked spool: exits non-zero")
t.ok(intact(target) and os.stat(victim).st_uid == 0,
     "symlinked spool: the directory it names and its files keep root")
t.ok("refusing to open spool" in pl.stderr_text(), "symlinked spool: says "
     "why", pl.stderr_text()[-300:])
wd.cleanup()

# 4. FIFOs where root reads or writes at start: no hang.  At the reject
#    path: refused at once.  In the spool: skipped (an entry, the recent
#    list) or logged (unread), and the plugin starts.
wd = Workdir()
os.mkfifo(os.path.join(wd.path, "rejected.jsonl"))
pl, first = start(wd)
code = stop(pl)
t.ok(code is not None, "FIFO at the reject path: no hang")
t.ok(first != "OK" and code not in (0, None) and "refusing to open reject "
     "file" in pl.stderr_text(), "FIFO at the reject path: refused, said",
     pl.stderr_text()[-300:])
wd.cleanup()
for name in ("unread", "delivered", "0000000000000001.line"):
    wd = Workdir()
    spool = os.path.join(wd.path, "spool")
    os.mkdir(spool, 0o700)
    os.mkfifo(os.path.join(spool, name))
    pl, first = start(wd)
    t.eq(first, "OK", "FIFO as the spool's %s: started, no hang" % name)
    t.eq(stop(pl), 0, "FIFO as the spool's %s: exits 0" % name)
    wd.cleanup()

# 5. Forged datagrams in the spool's unread file (another location, no MAC or
#    a wrong one): set aside, never delivered; a spool anyone can write is
#    refused outright.
FORGED = b"1:sshd:Accepted password for root from 203.0.113.9 port 22 ssh2"
for label, text, why in (
        ("version 1 file, another location", b"wka-unread 1 1\n%d\n%s" %
         (len(FORGED), FORGED), "for another location"),
        ("wrong MAC", b"wka-unread 2 1\n%d %s\n%s" %
         (len(FORGED), b"0" * 64, FORGED), "without a valid HMAC")):
    wd = Workdir()
    rx = Receiver(wd.socket)
    spool = os.path.join(wd.path, "spool")
    os.mkdir(spool, 0o700)
    with open(os.path.join(spool, "unread"), "wb") as f:
        f.write(text)
    pl, first = start(wd)
    t.eq(first, "OK", "forged unread (%s): started" % label)
    ev = [e for _, e in corpus_events()][:2]
    t.eq(pl.call(compact(eventlist(ev))), "OK", "%s: a real line OK" % label)
    rx.settle()
    with rx.lock:
        grams = list(rx.datagrams)
    t.ok(not any(b"sshd" in g for g in grams) and len(grams) == 2,
         "%s: not delivered, the real events are" % label,
         [g[:40] for g in grams])
    stop(pl)
    rej = pl.rejects()
    t.ok(any("unread" in e.get("reason", "") for e in rej),
         "%s: set aside in the reject file" % label, rej[:2])
    t.ok(why in pl.stderr_text(), "%s: logged" % label)
    rx.stop()
    wd.cleanup()

# An upgrade: the unread file an older plugin wrote (version 1, no MAC) in
# a private spool is delivered, once, not set aside.
OURS = b'1:k8s:{"kind":"Event","auditID":"written-by-0.1"}'
wd = Workdir()
rx = Receiver(wd.socket)
spool = os.path.join(wd.path, "spool")
os.mkdir(spool, 0o700)
with open(os.path.join(spool, "unread"), "wb") as f:
    f.write(b"wka-unread 1 1\n%d\n%s" % (len(OURS), OURS))
pl, first = start(wd)
t.eq(first, "OK", "version 1 unread of our location: started")
t.eq(pl.call(compact(eventlist([e for _, e in corpus_events()][:1]))), "OK",
     "version 1 unread: a real line OK")
rx.settle()
with rx.lock:
    grams = list(rx.datagrams)
t.eq(sum(1 for g in grams if g == OURS), 1,
     "version 1 unread of our location: delivered once (an upgrade loses "
     "nothing)")
stop(pl)
rx.stop()
wd.cleanup()

wd = Workdir()
rx = Receiver(wd.socket)
spool = os.path.join(wd.path, "spool")
os.mkdir(spool)
os.chmod(spool, 0o777)
with open(os.path.join(spool, "unread"), "wb") as f:
    f.write(b"wka-unread 1 1\n%d\n%s" % (len(FORGED), FORGED))
pl, first = start(wd)
t.ok(first != "OK", "0777 spool: not started", first)
if first == "OK":
    # Where a plugin does start, a line makes it send what it holds.
    pl.call(compact(eventlist([e for _, e in corpus_events()][:1])))
t.ok(stop(pl) not in (0, None), "0777 spool: exits non-zero")
rx.settle()
t.eq(rx.count(), 0, "0777 spool: nothing delivered from it")
t.ok("refusing to open spool" in pl.stderr_text() and "not writable by "
     "group or others" in pl.stderr_text(), "0777 spool: says why",
     pl.stderr_text()[-300:])
rx.stop()
wd.cleanup()

# 6. The key file a symbolic link to a root-only file (its bytes would be
#    the key, known to whoever chose the file): refused.
wd = Workdir()
target = os.path.join(wd.path, "known")
with open(target, "wb") as f:
    f.write(b"k" * 64)
os.chmod(target, 0o600)
os.symlink(target, os.path.join(wd.path, "hmac.key"))
pl, first = start(wd)
t.ok(first != "OK", "symlinked key file: not started", first)
t.ok(stop(pl) not in (0, None) and "cannot load key file" in
     pl.stderr_text(), "symlinked key file: exits non-zero, says why",
     pl.stderr_text()[-300:])
wd.cleanup()

# 7. Descriptors inherited from the parent do not survive into the
#    confined process.
wd = Workdir()
inherited = os.open(decoy(wd), os.O_RDONLY)
args = [PLUGIN, "--socket", wd.socket,
        "--reject-file", os.path.join(wd.path, "rejected.jsonl"),
        "--spool-dir", os.path.join(wd.path, "spool"),
        "--key-file", os.path.join(wd.path, "hmac.key"),
        "--state-file", os.path.join(wd.path, "analysisd.state"),
        "--stats-interval", "0", "--allow-root"]
proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, pass_fds=(inherited,))
t.eq(proc.stdout.readline().strip(), b"OK", "inherited descriptor: started")
targets = []
for fd in os.listdir("/proc/%d/fd" % proc.pid):
    try:
        targets.append(os.readlink("/proc/%d/fd/%s" % (proc.pid, fd)))
    except OSError:
        pass
t.ok(not any(x.endswith("/decoy") for x in targets),
     "the inherited descriptor is closed", targets)
proc.stdin.close()
proc.wait(30)
os.close(inherited)
wd.cleanup()

t.done()
