"""omprog protocol details: transactions, options, location escaping."""
import fcntl
import subprocess

from harness import (PLUGIN, Plugin, Receiver, Tap, Workdir, compact,
                     corpus_events, same_as_source)

t = Tap()
events = [ev for _, ev in corpus_events()][:3]

# Transaction mode: BEGIN/COMMIT answered OK, each line committed on OK.
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
t.eq(pl.answer()[0], "OK", "handshake")
# A 1 MB batch crosses omprog's pipe in one write, not in 64 KiB steps
# that each put rsyslogd's queue worker to sleep.
t.eq(fcntl.fcntl(pl.proc.stdin.fileno(), fcntl.F_GETPIPE_SZ), 1 << 20,
     "the plugin widened its input pipe to 1 MiB")
t.eq(pl.call("BEGIN TRANSACTION"), "OK", "BEGIN TRANSACTION -> OK")
for ev in events:
    t.eq(pl.call(compact(ev)), "OK", "message inside a transaction -> OK")
t.eq(pl.call("COMMIT TRANSACTION"), "OK", "COMMIT TRANSACTION -> OK")
rx.wait_count(3, 5)
got = [e for _, e in rx.events()]
t.ok(len(got) == 3 and all(same_as_source(g, w) for g, w in zip(got, events)),
     "transaction's events delivered")
t.eq(pl.call("BEGIN TRANSACTION"), "OK", "second transaction begins")
t.eq(pl.call("COMMIT TRANSACTION"), "OK", "empty transaction commits")
pl.close()
t.ok("lines=3 " in pl.stderr_text(), "markers are not counted as lines")
rx.stop()
wd.cleanup()

# Location escaped as Wazuh does: ':' -> '|:', '|' -> '||'.
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket, ["--location", "k8s:prod|eu"])
pl.answer()
pl.call(compact(events[0]))
rx.wait_count(1, 5)
t.ok(rx.datagrams[0].startswith(b"1:k8s|:prod||eu:{"), "location escaped",
     rx.datagrams[0][:40])
pl.close()
rx.stop()
wd.cleanup()

# --help documents every option with its default; bad options exit 2.
out = subprocess.run([PLUGIN, "--help"], capture_output=True, text=True)
t.eq(out.returncode, 0, "--help exits 0")
for opt in ("--socket", "--location", "--reject-file", "--spool-dir",
            "--max-line", "--max-eps", "--state-file", "--retry-wait",
            "--stats-interval", "--log", "--cluster", "--stages",
            "--max-fields", "--key-file", "--target", "--wazuh-dir"):
    t.ok(opt in out.stdout, "--help documents %s" % opt)
t.ok(out.stdout.count("default") >= 12, "--help gives defaults")
for counter in ("resent=", "cut_lines=", "paced_waits=",
                "agent_disconnected_waits="):
    t.ok(counter in out.stdout, "--help explains the %s counter" % counter)
for bad in (["--max-eps", "-1"], ["--max-line", "12x"], ["--log", "syslog"],
            ["--stages", "Nope"], ["--bogus"], ["extra"], ["--socket", ""],
            ["--target", "both"], ["--wazuh-dir", ""]):
    r = subprocess.run([PLUGIN] + bad, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    t.eq(r.returncode, 2, "usage error exits 2: %s" % " ".join(bad))
    t.ok(r.stderr.strip() != "" and r.stdout == "",
         "usage error explained on stderr: %s" % " ".join(bad))

# A reject file that cannot be opened: clear error, exit 1, before "OK".
wd = Workdir()
r = subprocess.run([PLUGIN, "--reject-file", "/proc/nope/rejected.jsonl",
                    "--spool-dir", wd.path + "/spool", "--key-file",
                    wd.path + "/key", "--socket", wd.socket],
                   capture_output=True, text=True, stdin=subprocess.DEVNULL)
t.eq(r.returncode, 1, "unusable reject file: exit 1")
t.ok("reject file" in r.stderr, "unusable reject file: says so", r.stderr)
wd.cleanup()

# rsyslogd SIGKILLed while writing a line: EOF after a partial line (no
# newline).  Not bad input: dropped and counted, not delivered, not set
# aside (raw audit data stays out of the reject file); rsyslogd's queue
# hands the whole line over again.  The whole line before it is delivered.
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket)
pl.answer()
t.eq(pl.call(compact(events[0])), "OK", "cut line: the line before is OK")
cut = compact(events[1]).encode("utf-8")
pl.proc.stdin.write(cut[:len(cut) // 2])
pl.proc.stdin.flush()
t.eq(pl.close(), 0, "cut line: exits 0")
rx.settle()
text = pl.stderr_text()
t.eq(rx.count(), 1, "cut line: only the whole line delivered")
t.eq(pl.rejects(), [], "cut line: nothing set aside")
t.ok("input ended inside a line" in text and "cut_lines=1" in text,
     "cut line: logged and counted", text)
t.ok("invalid JSON" not in text and "saved" not in text,
     "cut line: not called invalid, not spooled", text)
rx.stop()
wd.cleanup()

# Counters every --stats-interval seconds.
wd = Workdir()
rx = Receiver(wd.socket)
pl = Plugin(wd.path, wd.socket, ["--stats-interval", "1"])
pl.answer()
pl.call(compact(events[0]))
import time
time.sleep(2.3)
pl.close()
text = pl.stderr_text()
t.ok(text.count("info: stats: lines=") >= 1, "periodic counters line", text)
rx.stop()
wd.cleanup()

t.done()
