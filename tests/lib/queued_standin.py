"""A stand-in analysisd that reads ahead of what it finishes, as analysisd does.

    python3 queued_standin.py SOCKET OUTFILE DELAY [QUEUE]

Binds the Unix datagram socket SOCKET (replacing its file, as analysisd's
StartMQ does: a new inode).  One thread reads every datagram at once into an
internal queue of at most QUEUE (default 16384, analysisd's
decode_event_queue_size; a full queue drops, as analysisd's does); another
takes them one by one, sleeps DELAY seconds ("decodes and matches rules")
and only then appends the datagram to OUTFILE, one a line, flushed (the
archives).  On SIGTERM it exits at once, whatever is still queued, as
analysisd's HandleSIG does (exit(1): its queues die with it).  The reader
never lags: the plugin sees every datagram consumed from the socket.
Writes "<read> <written> <dropped>" to OUTFILE.count at exit.
"""
import collections
import os
import signal
import socket
import sys
import threading
import time


def main():
    path, out, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cap = int(sys.argv[4]) if len(sys.argv) > 4 else 16384
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    queue = collections.deque()
    ready = threading.Condition()
    counts = {"read": 0, "written": 0, "dropped": 0}
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def stop(signo, frame):
        os.write(os.open(out + ".count", os.O_WRONLY | os.O_CREAT |
                         os.O_TRUNC, 0o600),
                 b"%d %d %d\n" % (counts["read"], counts["written"],
                                  counts["dropped"]))
        os._exit(1)

    def work():
        while True:
            with ready:
                while not queue:
                    ready.wait()
                data = queue.popleft()
            time.sleep(delay)
            os.write(fd, data + b"\n")
            counts["written"] += 1

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=work, daemon=True).start()
    while True:
        data = sock.recv(1 << 17)
        counts["read"] += 1
        with ready:
            if len(queue) >= cap:
                counts["dropped"] += 1
                continue
            queue.append(data)
            ready.notify()


if __name__ == "__main__":
    main()
