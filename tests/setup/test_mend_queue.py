"""contrib/mend-queue.sh on the Disk queue of a real rsyslogd (its own
index, its own files): what a kill between a queue write and the index
leaves is cut, files after the index's write file are removed, anything
else (other files, a symlink, an index it cannot read) is left as it is,
and the queue rsyslogd starts on afterwards delivers what comes next.
tests/e2e/test_durable.py case 4 has the same state with the receiver."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from e2e import RSYSLOGD, TOP_SRCDIR  # noqa: E402
from harness import Tap  # noqa: E402

t = Tap()
MEND = os.path.join(TOP_SRCDIR, "contrib", "mend-queue.sh")
NAME = "wka-q"
if not os.path.exists(RSYSLOGD):
    t.skip("mend-queue", "rsyslogd is not installed")
    t.done()

work = tempfile.mkdtemp(prefix="wka-mend-")
qdir = os.path.join(work, "q")
sock = os.path.join(work, "log.sock")
out = os.path.join(work, "out.log")
conf = os.path.join(work, "rsyslog.conf")
os.makedirs(os.path.join(work, "work"))
os.makedirs(qdir)
with open(conf, "w") as f:
    f.write("""\
global(workDirectory="%(w)s/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%(sock)s" ruleset="q")
ruleset(name="q" queue.type="Disk" queue.filename="%(name)s"
        queue.spoolDirectory="%(q)s" queue.checkpointInterval="1"
        queue.dequeueBatchSize="1" queue.saveOnShutdown="on") {
    action(type="omfile" file="%(out)s" template="RSYSLOG_FileFormat")
}
*.* action(type="omfile" file="%(w)s/internal.log")
""" % {"w": work, "sock": sock, "q": qdir, "name": NAME, "out": out})


procs = []


def rsyslogd():
    if os.path.exists(sock):
        os.unlink(sock)
    p = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i",
                          os.path.join(work, "pid")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 10
    while not os.path.exists(sock) and time.time() < end:
        time.sleep(0.05)
    procs.append(p)
    return p


def log(msg):
    subprocess.run(["logger", "-u", sock, msg], check=True)


def delivered(msg, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(out) and msg in open(out).read():
            return True
        time.sleep(0.1)
    return False


def mend(*args):
    """mend-queue.sh with args (default: the queue directory)."""
    return subprocess.run(["sh", MEND] + list(args or [qdir]),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def data_files():
    return sorted(f for f in os.listdir(qdir) if f[len(NAME) + 1:].isdigit())


try:
    # A queue that rsyslogd drained and was killed on: its index and file.
    p = rsyslogd()
    log("first " + "x" * 2000)
    t.ok(delivered("first "), "rsyslogd's Disk queue delivers")
    p.kill()
    p.wait()
    files = data_files()
    t.ok(os.path.exists(os.path.join(qdir, NAME + ".qi")) and files,
         "a kill leaves the queue's index and file", os.listdir(qdir))
    wfile = os.path.join(qdir, files[-1])
    size = os.path.getsize(wfile)

    r = mend()
    t.ok(r.returncode == 0 and r.stdout == "" and
         os.path.getsize(wfile) == size,
         "a queue its index describes: nothing to do, nothing said", r.stdout)

    # What the kill between a write and the index leaves: the file's own
    # bytes (rsyslogd's format) past the index's write offset, and the
    # next numbered file; beside them, a symlink numbered after it and an
    # older file, which the tool does not own.
    with open(wfile, "rb") as f:
        body = f.read()
    with open(wfile, "ab") as f:
        f.write(body)
    num = int(files[-1][len(NAME) + 1:])
    nxt = os.path.join(qdir, "%s.%08d" % (NAME, num + 1))
    with open(nxt, "wb") as f:
        f.write(body)
    link = os.path.join(qdir, "%s.%08d" % (NAME, num + 2))
    os.symlink(out, link)
    older = os.path.join(qdir, "%s.%08d" % (NAME, num - 1))
    with open(older, "wb") as f:
        f.write(b"older")
    r = mend()
    t.ok(r.returncode == 0, "mend-queue exits 0", r.stdout)
    t.ok(os.path.getsize(wfile) == size and
         "cut %d bytes written after the index was saved" % len(body)
         in r.stdout,
         "the write file is cut back to the index's offset, and says so",
         r.stdout)
    t.ok(not os.path.exists(nxt) and "%s: removed" % nxt in r.stdout,
         "a file numbered after the index's write file is removed", r.stdout)
    t.ok(os.path.islink(link) and "not a regular file" in r.stdout,
         "a symlink among the queue's files is left, and named", r.stdout)
    t.ok(os.path.exists(older), "a file before the write file is left "
         "(the reader's)")
    os.unlink(link)
    os.unlink(older)

    # Named queues only (a shared work directory): another queue's bytes
    # past its index stay, the named queue's are cut.
    with open(wfile, "ab") as f:
        f.write(body)
    r = mend(qdir, "another-queue")
    t.ok(r.returncode == 0 and r.stdout == "" and
         os.path.getsize(wfile) == size + len(body),
         "given other queues' names, this queue is left as it is", r.stdout)
    r = mend("-l", qdir, "another-queue", NAME)
    t.ok(r.returncode == 0 and os.path.getsize(wfile) == size and
         "cut %d bytes" % len(body) in r.stdout,
         "given its name among others, it is mended (-l: said on standard "
         "error too)", r.stdout)

    # The queue, mended, works on: the next message after the restart.
    p = rsyslogd()
    log("second")
    log("third " + "y" * 300)
    ok = delivered("second") and delivered("third ")
    internal = open(os.path.join(work, "internal.log")).read() \
        if os.path.exists(os.path.join(work, "internal.log")) else ""
    t.ok(ok and "qDeqDisk" not in internal and "emergency" not in internal,
         "rsyslogd on the mended queue delivers what comes next, still a "
         "Disk queue", internal[-2000:])
    p.kill()            # the index stays (a clean stop deletes an empty one)
    p.wait()

    # An index the tool cannot read is left alone, and so is its queue.
    qi = os.path.join(qdir, NAME + ".qi")
    with open(qi) as f:
        text = f.read()
    with open(qi, "w") as f:
        f.write(text.replace("+iCurrOffs:", "+iCurrOffsX:", 1))
    before = {f: os.path.getsize(os.path.join(qdir, f)) for f in data_files()}
    with open(wfile, "ab") as f:
        f.write(b"tail")
    before[os.path.basename(wfile)] += 4
    r = mend()
    t.ok(r.returncode == 0 and "left as it is" in r.stdout and
         before == {f: os.path.getsize(os.path.join(qdir, f))
                    for f in data_files()},
         "an index without its write offset: reported, nothing changed",
         r.stdout)

    r = mend(os.path.join(work, "none"))
    t.ok(r.returncode == 0 and r.stdout == "",
         "no queue directory yet: nothing to do")
    r = mend(conf)
    t.ok(r.returncode == 1 and "not a readable directory" in r.stdout,
         "a file given as the directory: exit 1", r.stdout)
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)
t.done()
