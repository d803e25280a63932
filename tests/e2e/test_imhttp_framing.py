"""imhttp's framing of a body into messages (contrib/imhttp/imhttp-k8s.patch
items 1, 2 and 12; issue 24 made the split memchr + block copies instead of
a byte loop), through a real rsyslogd with the patched imhttp writing each
message's raw bytes to a file.

The expected messages are computed here from the rules, not from a run:
  plain endpoint       every LF-delimited line is a message; a line longer
                       than maxMessageSize is cut into maxMessageSize pieces,
                       no byte lost; empty lines are no message; CR stays
  firehose endpoint    the whole body is one message (cut the same way), LF,
                       CR and TAB turned into spaces
  octet endpoint       (supportOctetCountedFraming="on") a message starting
                       with a digit is octet-counted ("5 hello"; above
                       maxMessageSize truncated), any other is framed as on
                       the plain endpoint
Bodies are shaped at the edges the split has: a line of exactly
maxMessageSize and one byte either side, line ends on either side of
imhttp's 16 KiB read boundaries (civetweb's mg_read fills the buffer but
for the body's last read), lines crossing them, a body of only LFs, CRLF,
then seeded random bodies; each sent plain and gzip-compressed (inflated
in 64 KiB blocks). Escaping of control characters is off, so that a
message's bytes arrive as imhttp made them."""
import gzip
import http.client
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import RSYSLOGD, free_port, require_pipeline, stop_rsyslogd  # noqa: E402
from harness import Tap, Workdir  # noqa: E402

LIMIT = 4096            # maxMessageSize
READ = 16384            # imhttp's read buffer (MAX_READ_BUFFER_SIZE)

t = Tap()
imhttp = require_pipeline(t, os.environ.get("PLUGIN"), "imhttp framing")
wd = Workdir(prefix="wka-e2e-framing-")
os.makedirs(os.path.join(wd.path, "work"))
KEY = "framing-test-key"
with open(os.path.join(wd.path, "access.key"), "w") as f:
    f.write(KEY + "\n")
port = free_port()
conf = os.path.join(wd.path, "rsyslog.conf")
with open(conf, "w") as f:
    f.write("""\
global(workDirectory="%(wd)s/work" processInternalMessages="on"
       maxMessageSize="%(limit)d" parser.escapeControlCharactersOnReceive="off")
main_queue(queue.workerThreads="1")
module(load="%(imhttp)s" ports="127.0.0.1:%(port)d"
       liboptions=["tcp_nodelay=1", "enable_keep_alive=yes"])
input(type="imhttp" endpoint="/plain" ruleset="plain")
input(type="imhttp" endpoint="/octet" ruleset="octet"
      supportOctetCountedFraming="on")
input(type="imhttp" endpoint="/firehose" ruleset="firehose"
      protocol="firehose" accessKeyFile="%(wd)s/access.key")
template(name="raw" type="string" string="%%rawmsg%%\\n")
ruleset(name="plain") { action(type="omfile" file="%(wd)s/plain.out" template="raw") }
ruleset(name="octet") { action(type="omfile" file="%(wd)s/octet.out" template="raw") }
ruleset(name="firehose") { action(type="omfile" file="%(wd)s/firehose.out" template="raw") }
*.* action(type="omfile" file="%(wd)s/internal.log")
""" % {"wd": wd.path, "imhttp": imhttp, "port": port, "limit": LIMIT})


def cut(data):
    """data in pieces of at most LIMIT bytes (none when data is empty)."""
    return [data[i:i + LIMIT] for i in range(0, len(data), LIMIT)]


def plain_messages(body):
    return [p for line in body.split(b"\n") for p in cut(line)]


def firehose_messages(body):
    return cut(body.translate(bytes.maketrans(b"\n\r\t", b"   ")))


def line(n, tag):
    """n bytes of printable text starting with tag (no LF, CR or TAB; tags
    start with a letter: not octet-counted on the octet endpoint)."""
    base = (tag + "-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 8).encode()
    return (base * (n // len(base) + 1))[:n]


def ending_at(offset, tag):
    """A line whose LF is at body offset `offset` (from the body's start)."""
    return line(offset, tag) + b"\n"


def random_body(rng, size, tag):
    out = bytearray()
    while len(out) < size:
        r = rng.random()
        n = (rng.randrange(0, 8) if r < 0.2 else
             rng.randrange(LIMIT - 2, LIMIT + 3) if r < 0.4 else
             rng.randrange(0, 3 * LIMIT))
        out += line(n, tag + str(len(out)))
        if rng.random() < 0.2:
            out += b"\r"
        out += b"\n" * rng.choice((1, 1, 1, 2, 5))
    return bytes(out[:size])


def bodies():
    """(name, body) pairs for the plain endpoint."""
    out = [
        ("lines of LIMIT-1, LIMIT, LIMIT+1, 2*LIMIT, 2*LIMIT+1 bytes",
         b"".join(line(n, "len%d" % n) + b"\n"
                  for n in (LIMIT - 1, LIMIT, LIMIT + 1, 2 * LIMIT,
                            2 * LIMIT + 1))),
        ("only LFs", b"\n" * 40000),
        ("CRLF line ends", b"".join(line(n, "crlf%d" % n) + b"\r\n"
                                    for n in (1, 100, LIMIT - 1, LIMIT,
                                              LIMIT + 5))),
        ("a last line of exactly LIMIT bytes, no LF", line(LIMIT, "lastfull")),
        ("a 100 KB line across read boundaries", line(100000, "long") + b"\n"),
    ]
    # a line ending on either side of the first read boundary (and its LF
    # the read's first or last byte), then lines crossing later ones
    for off in (READ - 2, READ - 1, READ, READ + 1):
        lead = b"\n" * (off - LIMIT) + line(LIMIT, "edge%d" % off)
        out.append(("LF at body offset %d" % off,
                    lead + b"\n" + line(3 * READ, "after%d" % off) + b"\n" +
                    line(LIMIT, "tail")))
    out.append(("LIMIT-byte lines packed so that LFs fall on read boundaries",
                b"".join(line(LIMIT - 1, "pk%d" % i) + b"\n"
                         for i in range(4 * READ // LIMIT * 3))))
    rng = random.Random(24)
    for i in range(6):
        out.append(("random body %d" % i,
                    random_body(rng, rng.randrange(1, 200000), "r%d-" % i)))
    return out


def size_of(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def read_out(path, start, want_n, timeout=30):
    """The messages in path after byte offset start (omfile keeps the file
    open: it is never truncated), once want_n are there (or the timeout)
    and nothing more arrived for a moment."""
    end = time.time() + timeout
    msgs = None
    while time.time() < end:
        last = msgs
        msgs = []
        if os.path.exists(path):
            with open(path, "rb") as f:
                f.seek(start)
                msgs = f.read().split(b"\n")[:-1]
        if len(msgs) >= want_n and msgs == last:
            break
        time.sleep(0.3)
    return msgs


def first_difference(got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return "message %d: got %d bytes %r..., want %d bytes %r..." % (
                i, len(g), g[:60], len(w), w[:60])
    return "got %d messages, want %d" % (len(got), len(want))


def check(endpoint, out, name, body, expect, headers):
    """POST body (plain, then gzip) to endpoint; the messages in out must be
    expect(body), twice, each exactly."""
    path = os.path.join(wd.path, out)
    start = size_of(path)
    codes = []
    for data, enc in ((body, {}), (gzip.compress(body),
                                   {"Content-Encoding": "gzip"})):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", endpoint, data, dict(headers, **enc))
            r = conn.getresponse()
            r.read()
            codes.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            codes.append(repr(e))   # no answer (a hung worker times out)
        conn.close()
    want = expect(body) * 2
    got = read_out(path, start, len(want))
    t.ok(codes == [200, 200] and got == want,
         "%s %s: %d messages as framed, plain and gzip" %
         (endpoint, name, len(want) // 2),
         "answers %s; %s" % (codes, first_difference(got, want)))


proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i",
                         os.path.join(wd.path, "rsyslogd.pid")],
                        stdout=open(os.path.join(wd.path, "out.log"), "ab"),
                        stderr=subprocess.STDOUT)
try:
    end = time.time() + 20
    while time.time() < end:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.connect()
            probe.close()
            break
        except OSError:
            time.sleep(0.2)
    for name, body in bodies():
        for endpoint in ("/plain", "/octet"):
            check(endpoint, endpoint[1:] + ".out", name, body, plain_messages,
                  {"Content-Type": "text/plain"})
    check("/octet", "octet.out", "octet-counted frames between LF-framed lines",
          b"5 hellolineA\n10 two lines.lineB\r\n\n3 endtail",
          lambda _b: [b"hello", b"lineA", b"two lines.", b"lineB\r", b"end",
                      b"tail"], {"Content-Type": "text/plain"})
    # above maxMessageSize an octet-counted frame is truncated (patch item
    # 14); its worker used to spin on the rest for good
    check("/octet", "octet.out", "octet-counted frame over LIMIT, then a line",
          b"%d " % (LIMIT + 904) + line(LIMIT + 904, "big") + b"after\n",
          lambda _b: [line(LIMIT, "big"), b"after"],
          {"Content-Type": "text/plain"})
    fh = {"Content-Type": "application/json",
          "X-Amz-Firehose-Access-Key": KEY,
          "X-Amz-Firehose-Request-Id": "framing"}
    pretty = b'{\r\n\t"records": [\r\n\t\t{"data": "' + line(300, "x") + \
        b'"}\r\n\t]\r\n}\r\n'
    check("/firehose", "firehose.out", "pretty-printed body (CRLF, TAB)",
          pretty, firehose_messages, fh)
    check("/firehose", "firehose.out", "body over LIMIT with LFs at the cut",
          b"\n" * (LIMIT - 1) + b"\r\n\t" + line(READ * 2, "fhlong") + b"\n",
          firehose_messages, fh)
finally:
    stop_rsyslogd(t, proc, os.path.join(wd.path, "internal.log"))
    wd.cleanup()
t.done()
