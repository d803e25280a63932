#!/usr/bin/env python3
"""Benchmark: the plugin against the jansson floor and the raw limit, one run.

Each program reads the same EventList lines the way omprog hands them over
(one line, then wait for its answer) and sends each event to a counting
receiver.  Runs alternate between the programs (A B A B ...) so that noise
hits both alike; the median run of each is reported with events/s, MB/s of
input, CPU seconds per 100k events and peak RSS, and the ratio to the floor.
`--before BINARY` (repeatable) runs an older build of the plugin beside this
one, in the same alternation, for a before/after from one run.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import socket


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """User + system CPU seconds a live process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(cmd, lines_path, counter, workdir):
    sock = os.path.join(workdir, "queue")
    # Each run is a new receiver: a spool left by the last run would send
    # its read window (issue 27) to it again, which is not throughput.
    shutil.rmtree(os.path.join(workdir, "spool"), ignore_errors=True)
    rx = subprocess.Popen([counter, sock], stdout=subprocess.PIPE, text=True)
    rx.stdout.readline()
    proc = subprocess.Popen(cmd + [sock],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    out = proc.stdout
    assert out.readline().strip() == b"OK"
    nbytes = 0
    start = time.perf_counter()
    with open(lines_path, "rb") as f:
        for line in f:
            proc.stdin.write(line)
            proc.stdin.flush()
            nbytes += len(line)
            ans = out.readline().strip().lstrip(b".")
            if ans != b"OK":
                raise SystemExit("unexpected answer %r" % ans)
    wall = time.perf_counter() - start
    # ru_maxrss would count the forked Python before exec; VmHWM is the
    # program's own high-water mark (a new one at exec).
    hwm_kb = vm_hwm_kb(proc.pid)
    # What the input cost, before the stop's own work: the plugin saves
    # its read window then (up to 128 MiB, once per restart, not per event).
    running = cpu_s(proc.pid)
    proc.stdin.close()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = status
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"", sock)
    s.close()
    got = rx.stdout.readline().strip()
    rx.wait()
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "running": running,
            "rss_mb": hwm_kb / 1024.0, "bytes": nbytes, "counter": got}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mix", default="corpus,metadata")
    ap.add_argument("--confinement", default="on,off",
                    help="plugin --confinement modes to run side by side")
    ap.add_argument("--before", action="append", default=[],
                    help="an older plugin binary (or a script running one) "
                    "to run beside this build's, in the same alternation; "
                    "may be given more than once")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    b = a.builddir
    counter = os.path.join(b, "bench", "counter")
    work = tempfile.mkdtemp(prefix="wka-bench-")
    try:
        programs = [
            ("floor (jansson parse+dump+send)", [os.path.join(b, "bench", "floor")]),
            ("raw limit (byte spans+send)", [os.path.join(b, "bench", "limit")]),
        ]
        # As root the plugin would drop to a user that cannot use this
        # work directory: stay root (still confined by Landlock/seccomp).
        root = ["--allow-root"] if os.geteuid() == 0 else []
        builds = [("", os.path.join(b, "plugin", "wazuh-k8s-audit"))]
        for i, old in enumerate(a.before):
            label = "before: " if len(a.before) == 1 else \
                "before %d (%s): " % (i + 1, os.path.basename(old))
            builds.insert(i, (label, os.path.abspath(old)))
        for (label, binary), mode in [(x, m) for x in builds
                                      for m in a.confinement.split(",")]:
            programs.append(
                ("%splugin (confinement=%s)" % (label, mode),
                 [binary, "--confinement", mode] + root +
                 ["--max-eps", "0", "--stats-interval", "0",
                  "--reject-file", os.path.join(work, "rej.jsonl"),
                  "--spool-dir", os.path.join(work, "spool"),
                  "--key-file", os.path.join(work, "key"),
                  "--state-file", os.path.join(work, "state"),
                  "--socket"]))
        print("machine: %s, %d cores" % (os.uname().machine, os.cpu_count()))
        for mix in a.mix.split(","):
            lines = os.path.join(work, mix + ".jsonl")
            subprocess.run([sys.executable, os.path.join(here, "mkbatches.py"),
                            "--corpus", a.corpus, "--mix", mix,
                            "--events", str(a.events), lines], check=True)
            results = {name: [] for name, _ in programs}
            for _ in range(a.runs):
                for name, cmd in programs:
                    results[name].append(run_once(cmd, lines, counter, work))
            print_table(mix, a.events, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(mix, events, results):
    print("\nmix: %s, %d events, median of %d runs" %
          (mix, events, len(next(iter(results.values())))))
    print("| program | events/s | MB/s | CPU s/100k events | of which "
          "at the stop | peak RSS MB | x floor | x limit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    eps_of = {}
    for name, runs in results.items():
        r = sorted(runs, key=lambda x: x["wall"])[len(runs) // 2]
        eps_of[name] = events / r["wall"]
    floor_eps, limit_eps = list(eps_of.values())[:2]
    for name, runs in results.items():
        r = sorted(runs, key=lambda x: x["wall"])[len(runs) // 2]
        eps = eps_of[name]
        print("| %s | %.0f | %.1f | %.2f | %.2f | %.1f | %.2f | %.3f |" % (
            name, eps, r["bytes"] / r["wall"] / 1e6, r["cpu"] / events * 1e5,
            (r["cpu"] - r["running"]) / events * 1e5,
            max(x["rss_mb"] for x in runs), eps / floor_eps,
            eps / limit_eps))
        print("<!-- %s: %s -->" % (name, r["counter"]))
    names = ["plugin (confinement=%s)" % m for m in ("on", "off")]
    if all(n in results for n in names):
        cpu = [sorted(x["cpu"] for x in results[n])[len(results[n]) // 2]
               for n in names]
        print("\nconfinement on / off: %.3f of the events/s, %.3f of the "
              "CPU time (medians)" % (eps_of[names[0]] / eps_of[names[1]],
                                      cpu[0] / cpu[1]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
