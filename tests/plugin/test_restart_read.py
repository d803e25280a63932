"""analysisd stopped (SIGTERM) with events it had read but not finished
(issue 27): a stand-in that reads ahead into its own queue and dies with
part of it unprocessed.  The plugin's read window sends those again to the
next one: nothing lost, the duplicates counted and bounded; no duplicate
when it was not restarted.  With --read-window 0 (the old behaviour) the
same run loses events: the stand-in does lose what it held."""
import os
import re
import signal
import subprocess
import sys
import time

from harness import Plugin, Tap, Workdir, compact, corpus_events, eventlist

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "..", "lib", "queued_standin.py")

t = Tap()
source = [ev for _, ev in corpus_events() if len(compact(ev)) < 8000][:400]
LINES, PER_LINE = 5, 400


def batches(tag):
    """LINES EventLists of PER_LINE events, each with its own auditID."""
    out, ids = [], []
    for b in range(LINES):
        evs = []
        for i in range(PER_LINE):
            ev = dict(source[i % len(source)])
            ev["auditID"] = "%s-%d-%03d" % (tag, b, i)
            ids.append(ev["auditID"])
            evs.append(ev)
        out.append(compact(eventlist(evs)))
    return out, ids


class Standin:
    def __init__(self, wd, n, delay):
        self.out = os.path.join(wd.path, "standin-%d.out" % n)
        self.proc = subprocess.Popen([sys.executable, STANDIN, wd.socket,
                                      self.out, str(delay)])
        end = time.time() + 10
        while time.time() < end and not (
                os.path.exists(wd.socket) and os.path.exists(self.out)):
            time.sleep(0.01)

    def written(self):
        with open(self.out, "rb") as f:
            return [l for l in f.read().split(b"\n") if l]

    def term(self):
        """SIGTERM: returns (read, written) as it counted them."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        with open(self.out + ".count") as f:
            read, written, _ = (int(x) for x in f.read().split())
        return read, written

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def audit_ids(datagrams):
    ids = []
    for d in datagrams:
        m = re.search(rb'"auditID":"([^"]+)"', d)
        ids.append(m.group(1).decode() if m else None)
    return ids


def final_stat(pl, name):
    m = re.findall(r"final stats:.* %s=(\d+)" % name, pl.stderr_text())
    return int(m[-1]) if m else None


def restart_under_load(tag, extra):
    """Send LINES lines, SIGTERM the stand-in while its queue is full, start
    another: (answers, ids, everything written by both, first's read and
    written, the plugin's final resent_read)."""
    wd = Workdir()
    first = Standin(wd, 1, 0.002)
    pl = Plugin(wd.path, wd.socket, extra)
    pl.answer()
    lines, ids = batches(tag)
    answers = [pl.call(l, 30) for l in lines]
    end = time.time() + 20
    while time.time() < end and len(first.written()) < 300:
        time.sleep(0.01)
    read, written = first.term()
    time.sleep(0.5)
    second = Standin(wd, 2, 0)
    # The plugin notices the new analysisd while idle; a new line comes
    # after what it sends again in any case.
    time.sleep(3)
    tail, tail_ids = batches(tag + "-after")
    answers.append(pl.call(tail[0], 30))
    ids += tail_ids[:PER_LINE]
    end = time.time() + 20
    want = set(ids)
    while time.time() < end and not want <= set(
            audit_ids(first.written() + second.written())):
        time.sleep(0.1)
    pl.close()
    got = audit_ids(first.written() + second.written())
    rr = final_stat(pl, "resent_read")
    second.kill()
    wd.cleanup()
    return answers, ids, got, read, written, rr


# 1. The window: nothing lost, each datagram the dead one finished comes
#    once more at most.
answers, ids, got, read, written, rr = restart_under_load("w", [])
t.ok(all(a == "OK" for a in answers), "window: every line answered OK")
t.ok(read == len(ids) - PER_LINE and written < read,
     "window: the stand-in read all %d and died with %d unprocessed"
     % (read, read - written))
lost = set(ids) - set(got)
t.eq(len(lost), 0, "window: no event lost (%d of %d missing)"
     % (len(lost), len(ids)))
dups = len(got) - len(set(got))
t.ok(rr is not None and read - written <= rr <= read,
     "window: resent_read=%s covers the %d unprocessed, at most the %d read"
     % (rr, read - written, read))
t.ok(dups <= written and dups == len(got) - len(ids),
     "window: %d duplicates, at most the %d the dead one finished"
     % (dups, written))
t.ok([g for g in got if got.count(g) > 2] == [],
     "window: nothing arrived more than twice")

# 2. Control: without the window the same run loses what the stand-in held.
answers, ids, got, read, written, rr = restart_under_load(
    "c", ["--read-window", "0"])
lost = set(ids) - set(got)
t.ok(written < read and len(lost) > 0,
     "no window: the %d the stand-in held unprocessed are lost (%d)"
     % (read - written, len(lost)))

# 3. The plugin stops too (rsyslog restarted with the manager): its window
#    is saved in the spool and goes to the next analysisd from the next
#    process; had analysisd not restarted, nothing would (4.).
wd = Workdir()
first = Standin(wd, 1, 0.002)
pl = Plugin(wd.path, wd.socket)
pl.answer()
lines, ids = batches("p")
answers = [pl.call(l, 30) for l in lines]
pl.close()
read, written = first.term()
second = Standin(wd, 2, 0)
pl = Plugin(wd.path, wd.socket)
pl.answer()
end = time.time() + 20
while time.time() < end and not set(ids) <= set(
        audit_ids(first.written() + second.written())):
    time.sleep(0.1)
pl.close()
got = audit_ids(first.written() + second.written())
t.ok(all(a == "OK" for a in answers) and written < read,
     "plugin restart: the stand-in died with %d unprocessed"
     % (read - written))
t.eq(len(set(ids) - set(got)), 0, "plugin restart: no event lost")
t.ok(final_stat(pl, "resent_read") == read and
     len(got) - len(ids) <= written,
     "plugin restart: the saved window went again (%s), %d duplicates"
     % (final_stat(pl, "resent_read"), len(got) - len(ids)))
second.kill()
wd.cleanup()

# 4. No restart: nothing sent twice, the window notwithstanding, by the
#    same process or by the next one.
wd = Workdir()
sd = Standin(wd, 1, 0)
pl = Plugin(wd.path, wd.socket)
pl.answer()
lines, ids = batches("n")
answers = [pl.call(l, 30) for l in lines[:2]]
time.sleep(1)
answers.append(pl.call(lines[2], 30))
pl.close()
pl = Plugin(wd.path, wd.socket)
pl.answer()
answers.append(pl.call(lines[3], 30))
end = time.time() + 20
while time.time() < end and len(sd.written()) < 4 * PER_LINE:
    time.sleep(0.05)
pl.close()
got = audit_ids(sd.written())
rr = final_stat(pl, "resent_read")
t.ok("had read before the last stop held" in pl.stderr_text(),
     "no restart: the next process held the saved window")
t.ok(all(a == "OK" for a in answers), "no restart: answered OK")
t.eq(sorted(got), sorted(ids[:4 * PER_LINE]),
     "no restart: each event exactly once")
t.eq(rr, 0, "no restart: resent_read=0")
sd.kill()
wd.cleanup()
t.done()
