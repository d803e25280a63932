#!/usr/bin/env python3
"""Memory over a long run: the plugin's peak RSS after N and after 10 x N events.

The plugin gets the same EventList lines (bench/mkbatches.py) over and over,
the way omprog hands them over (one line, then wait for its answer), until
--events have gone through, while a counting receiver takes the datagrams.
VmHWM (the high-water mark of resident memory, from /proc) is read at every
checkpoint; a plugin whose memory stays flat shows the same peak at the
first checkpoint and at the last.  The largest line is printed beside it,
since the plugin holds one line at a time.
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--mix", default="corpus")
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--checkpoints", type=int, default=10)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    work = tempfile.mkdtemp(prefix="wka-mem-")
    try:
        run(a, here, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, here, work):
    lines_path = os.path.join(work, "lines.jsonl")
    # One pass of batches: a tenth of the run, so that every checkpoint
    # has seen every line at least once.
    per_pass = max(1, a.events // a.checkpoints)
    subprocess.run([sys.executable, os.path.join(here, "mkbatches.py"),
                    "--corpus", a.corpus, "--mix", a.mix,
                    "--events", str(per_pass), lines_path], check=True)
    with open(lines_path, "rb") as f:
        lines = f.readlines()
    counts = [line.count(b'"auditID"') for line in lines]
    sock = os.path.join(work, "queue")
    rx = subprocess.Popen([os.path.join(a.builddir, "bench", "counter"), sock],
                          stdout=subprocess.PIPE, text=True)
    rx.stdout.readline()
    proc = subprocess.Popen(
        [os.path.join(a.builddir, "plugin", "wazuh-k8s-audit"),
         "--max-eps", "0", "--stats-interval", "0",
         "--reject-file", os.path.join(work, "rej.jsonl"),
         "--spool-dir", os.path.join(work, "spool"),
         "--key-file", os.path.join(work, "key"),
         "--state-file", os.path.join(work, "state"),
         "--socket", sock] + (["--allow-root"] if os.geteuid() == 0 else []),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL)
    assert proc.stdout.readline().strip() == b"OK"
    print("mix: %s, largest line %.1f MB, %d lines per pass" % (
        a.mix, max(len(x) for x in lines) / 1e6, len(lines)))
    print("| events | VmHWM MB | VmRSS MB |")
    print("|---:|---:|---:|")
    done = 0
    for _ in range(a.checkpoints):
        for line, n in zip(lines, counts):
            proc.stdin.write(line)
            proc.stdin.flush()
            if proc.stdout.readline().strip().lstrip(b".") != b"OK":
                raise SystemExit("unexpected answer")
            done += n
        print("| %d | %.1f | %.1f |" % (
            done, status_kb(proc.pid, "VmHWM") / 1024.0,
            status_kb(proc.pid, "VmRSS") / 1024.0))
        sys.stdout.flush()
    proc.stdin.close()
    proc.wait()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"", sock)
    s.close()
    print("<!-- receiver: %s -->" % rx.stdout.readline().strip())
    rx.wait()


if __name__ == "__main__":
    main()
