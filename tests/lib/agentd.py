"""A stand-in wazuh-agentd: what the plugin sees of a Wazuh agent.

As Wazuh 4.14.7 does (src/client-agent/event-forward.c, buffer.c, state.c):
- a Unix datagram socket whose reader puts every datagram into a bounded
  buffer (<client_buffer><queue_size>) and drops it when the buffer is full;
- a message over OS_MAXSTR - OS_HEADER_SIZE (65,408 bytes) is refused when
  it is sent on ("Incorrect message size", src/os_crypto/shared/msgs.c);
- a dispatcher that takes one event at a time and sleeps 1/events_per_second
  after each, and takes none while the agent is not connected (os_wait);
- a state file rewritten every `interval` seconds (agent.state_interval,
  5 by default) through a temporary file and a rename, in agentd's format.
"""
import collections
import os
import select
import socket
import threading
import time

STATE_TEXT = """# State file for wazuh-agentd

# Agent status:
# - pending:      waiting to get connected.
# - connected:    connection established with manager in the last 10 seconds.
# - disconnected: connection lost or no ACK received in the last 60 seconds.
status='{status}'

# Last time a keepalive was sent
last_keepalive='{now}'

# Last time a control message was received
last_ack='{now}'

# Number of generated events
msg_count='{count}'

# Number of messages (events + control messages) sent to the manager
msg_sent='{sent}'

# Number of events currently buffered
# Empty if anti-flooding mechanism is disabled
msg_buffer='{buffered}'
"""

CONF_TEXT = """<ossec_config>
  <client>
    <server><address>manager.example</address><port>1514</port></server>
  </client>
  <client_buffer>
    <!-- Agent buffer options -->
    <disabled>no</disabled>
    <queue_size>{queue_size}</queue_size>
    <events_per_second>{eps}</events_per_second>
  </client_buffer>
</ossec_config>
"""


MAX_MESSAGE = 65536 - 128


class Agentd:
    """A Wazuh installation at `root` (etc/ossec.conf, var/run, bin/
    wazuh-agentd) whose agentd reads root/queue/sockets/queue."""

    def __init__(self, root, eps=500, queue_size=5000, interval=5.0):
        self.root = root
        self.eps = eps
        self.queue_size = queue_size
        self.interval = interval
        for d in ("etc", "bin", "var/run", "queue/sockets"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        with open(os.path.join(root, "etc/ossec.conf"), "w") as f:
            f.write(CONF_TEXT.format(queue_size=queue_size, eps=eps))
        open(os.path.join(root, "bin/wazuh-agentd"), "w").close()
        self.socket_path = os.path.join(root, "queue/sockets/queue")
        self.state_path = os.path.join(root, "var/run/wazuh-agentd.state")
        self.lock = threading.Lock()
        self.buffer = collections.deque()
        self.forwarded = []             # datagrams sent to the "manager"
        self.arrivals = []              # time of every datagram read
        self.dropped = 0                # datagrams the full buffer refused
        self.refused = 0                # too long to send to the manager
        self.count = 0                  # msg_count
        self.status = "connected"
        self.writes = []                # (time, status) of each state write
        self.running = True
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        self.threads = [threading.Thread(target=f, daemon=True) for f in
                        (self._read, self._dispatch, self._state)]
        for th in self.threads:
            th.start()

    def _read(self):
        while self.running:
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if not r:
                continue
            data = self.sock.recv(1 << 17)
            with self.lock:
                self.arrivals.append(time.monotonic())
                self.count += 1
                if len(self.buffer) >= self.queue_size:
                    self.dropped += 1
                else:
                    self.buffer.append(data)

    def _dispatch(self):
        pause = 1.0 / self.eps
        while self.running:
            with self.lock:
                data = self.buffer.popleft() if self.buffer and \
                    self.status == "connected" else None
                if data is not None and len(data) > MAX_MESSAGE:
                    self.refused += 1
                elif data is not None:
                    self.forwarded.append(data)
            # agentd sleeps 1/EPS after each event it sends (buffer.c).
            time.sleep(pause if data is not None else 0.01)

    def write_state(self):
        with self.lock:
            text = STATE_TEXT.format(
                status=self.status, now=time.strftime("%Y-%m-%d %H:%M:%S"),
                count=self.count, sent=len(self.forwarded),
                buffered=len(self.buffer))
            self.writes.append((time.monotonic(), self.status))
        tmp = self.state_path + ".temp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.state_path)

    def _state(self):
        while self.running:
            self.write_state()
            end = time.monotonic() + self.interval
            while self.running and time.monotonic() < end:
                time.sleep(0.05)

    def set_status(self, status):
        """The link changes now; the file says so at its next rewrite."""
        with self.lock:
            self.status = status

    def first_write(self, status, after=0.0):
        """When the state file first said `status` at or after `after`."""
        with self.lock:
            return next((t for t, s in self.writes if s == status and
                         t >= after), None)

    def arrived_between(self, a, b):
        with self.lock:
            return sum(1 for t in self.arrivals if a <= t <= b)

    def max_in_window(self, seconds):
        """Most datagrams read in any window of `seconds`."""
        with self.lock:
            ts = list(self.arrivals)
        best, j = 0, 0
        for i, t in enumerate(ts):
            while ts[j] < t - seconds:
                j += 1
            best = max(best, i - j + 1)
        return best

    def wait_forwarded(self, n, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.forwarded) + self.dropped + self.refused >= n and \
                        not self.buffer:
                    return True
            time.sleep(0.1)
        return False

    def stop(self):
        self.running = False
        for th in self.threads:
            th.join(2)
        self.sock.close()
