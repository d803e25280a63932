"""Set-aside work is bounded per line (issue 21, class 4): a batch whose
items are each set aside costs one fdatasync of the reject file, not one
per item, and every entry is in the file when the line is answered OK.
Counted with strace (the number of calls, not a timing)."""
import os
import re
import shutil
import subprocess

from harness import PLUGIN, Tap, Workdir

t = Tap()
ITEMS = 2000

if shutil.which("strace") is None:
    t.skip("fdatasync per line", "strace is not installed")
    t.done()
    raise SystemExit(0)

wd = Workdir()
rej = os.path.join(wd.path, "rejected.jsonl")
trace = os.path.join(wd.path, "strace.out")
args = ["strace", "-f", "-qq", "-e", "trace=fdatasync,fsync", "-o", trace,
        PLUGIN, "--socket", wd.socket, "--reject-file", rej,
        "--spool-dir", os.path.join(wd.path, "spool"),
        "--key-file", os.path.join(wd.path, "hmac.key"),
        "--state-file", os.path.join(wd.path, "analysisd.state"),
        "--stats-interval", "0", "--max-eps", "0"]
if os.geteuid() == 0:
    args.append("--allow-root")
# Sanitizer builds: LeakSanitizer cannot ptrace a process strace traces.
env = dict(os.environ, ASAN_OPTIONS=":".join(
    x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if x))
proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, env=env)
t.eq(proc.stdout.readline().strip(), b"OK", "handshake")
line = (b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' +
        b",".join([b"1"] * ITEMS) + b"]}\n")
proc.stdin.write(line)
proc.stdin.flush()
t.eq(proc.stdout.readline().strip().lstrip(b"."), b"OK",
     "a batch of %d items that are not events: answered OK" % ITEMS)
with open(rej, "rb") as f:
    n = sum(1 for x in f if b'"item":' in x)
t.eq(n, ITEMS, "each item has its entry when the line is answered")
proc.stdin.close()
t.eq(proc.wait(60), 0, "exits 0")
with open(trace) as f:
    calls = [x for x in f if re.search(r"\bfdatasync\(", x)]
t.ok(len(calls) <= 2, "the reject file synced once for the line, not per "
     "item (%d fdatasync calls)" % len(calls))
wd.cleanup()
t.done()
