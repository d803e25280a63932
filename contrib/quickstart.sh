#!/bin/sh
# quickstart.sh: the whole pipeline on loopback, in one command, on Debian 12.
#
#   sh contrib/quickstart.sh [--keep] [--system] [--standin] [--dir DIR] [--batches N]
#
# 1. installs the packages that are missing, and only those (no upgrades;
#    waits for another apt's lock: contrib/apt-install.sh)
# 2. builds the plugin out of tree in _build-quickstart/ (the source tree stays
#    unconfigured, so `bash .ci/run` and `make distcheck` work next; a tree
#    already configured in-tree by hand is built in place) and the patched
#    imhttp
# 3. makes a CA, a server and a client certificate (contrib/certs)
# 4. starts a recorder on a Unix datagram socket: it writes every datagram
#    to received.log and, when a Wazuh manager is installed
#    (/var/ossec/queue/sockets/queue), passes it on to analysisd; without
#    one it is the stand-in analysisd
# 5. runs a private rsyslogd with the drop-in on 127.0.0.1:8080: imhttp over
#    mutual TLS -> omprog -> wazuh-k8s-audit -> recorder (-> analysisd)
# 6. posts N (default 3) EventList batches built from tests/corpus with curl
#    and the client certificate, as kube-apiserver would, and one event with
#    logger, and waits until every event has arrived
# 7. a short summary of what analysisd received: events by user and verb,
#    the few a rule looks at (privileged or host access, RBAC escalation,
#    exec, impersonation, denials) with the k8s object the plugin adds to
#    one of them, and where every event is; with a manager, the alerts these
#    events raised by rule (alerts.json, this run's only); then the next step
#
#   --keep     leave rsyslogd (and the recorder) running; prints how to stop
#   --system   use the system's rsyslogd instead of a private one: installs
#              the plugin (/usr/local/bin), imhttp (rsyslog's module dir),
#              certificates (/etc/wazuh-k8s-audit/certs) and
#              /etc/rsyslog.d/60-wazuh-k8s-audit.conf (listening on
#              127.0.0.1:8080), then restarts rsyslog
#   --standin  use the stand-in even when a Wazuh manager is installed (no
#              test events, no alerts on that manager)
#   --dir DIR  working directory (default /tmp/wazuh-k8s-audit-quickstart)
#   --batches N  the corpus's events in N batches (default 3)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=/tmp/wazuh-k8s-audit-quickstart
keep=no
system=no
standin_only=no
batches=3
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=yes ;;
	--system) system=yes ;;
	--standin) standin_only=yes ;;
	--dir) dir=${2:?}; shift ;;
	--batches) batches=${2:?}; shift ;;
	-h|--help) sed -n '2,35p' "$0"; exit 0 ;;
	*) echo "quickstart: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
step() { printf '\n== %s\n' "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (apt-get, rsyslogd)"
# quiet: COMMAND...: run it, its output shown only when it fails.
quiet() { out=$("$@" 2>&1) || { printf '%s\n' "$out" | tail -n 30 >&2; return 1; }; }
# gone PID: wait (polling, at most 15 s) until process PID has exited.
gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -lt 150 ] || return 1
		sleep 0.1; i=$((i + 1))
	done
}

step "1. packages"
sh "$top/contrib/apt-install.sh" build-essential autoconf automake \
	pkg-config libjansson-dev libssl-dev libsystemd-dev libseccomp-dev zlib1g-dev rsyslog curl \
	openssl python3 ca-certificates dpkg-dev bsdutils ||
	die "could not install the packages"
echo "packages: all there"

step "2. build: plugin and patched imhttp"
cd "$top"
[ -x configure ] || quiet ./autogen.sh || die "autogen.sh failed"
if [ -f config.status ]; then
	build=$top
	echo "the source tree is configured in-tree: building there"
else
	build=$top/_build-quickstart
	mkdir -p "$build"
	[ -f "$build/Makefile" ] || (cd "$build" && quiet "$top/configure") ||
		die "configure failed (see $build/config.log)"
fi
quiet make -C "$build" -j"$(nproc)" || die "make failed"
plugin=$build/plugin/wazuh-k8s-audit
[ -x "$plugin" ] || die "plugin not built"
echo "plugin: $plugin"
sh contrib/imhttp/build-imhttp.sh -o "$build/_build-imhttp"
imhttp=$build/_build-imhttp/imhttp.so

mkdir -p "$dir"
if [ "$system" = yes ]; then certs=/etc/wazuh-k8s-audit/certs; else certs=$dir/certs; fi
step "3. certificates in $certs"
sh contrib/certs/make-certs.sh -d "$certs" localhost 127.0.0.1 ::1

step "4. analysisd"
wazuh=/var/ossec/queue/sockets/queue
alerts=/var/ossec/logs/alerts/alerts.json
manager=no
[ -S "$wazuh" ] && [ "$standin_only" = no ] && manager=yes
if [ -s "$dir/standin.pid" ] && kill -0 "$(cat "$dir/standin.pid")" 2>/dev/null; then
	kill "$(cat "$dir/standin.pid")"
	gone "$(cat "$dir/standin.pid")" || die "the previous recorder does not stop"
fi
standin=
if [ "$system" = yes ] && [ "$manager" = yes ]; then
	# The system's drop-in talks to analysisd itself: nothing recorded.
	sock=$wazuh
	echo "Wazuh manager found: events go to $sock"
else
	sock=$dir/queue
	fwd=
	[ "$manager" = no ] || fwd=$wazuh
	rm -f "$dir/received.log" "$sock"
	# One datagram = one line in received.log; with a manager, passed on to
	# its analysisd (a blocking send: a busy analysisd slows the recorder,
	# which the plugin sees as a full socket and waits).
	python3 - "$sock" "$dir/received.log" "$fwd" > "$dir/standin.out" 2>&1 <<'EOF' &
import os, socket, sys
path, out, fwd = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)  # the plugin runs as an unprivileged user
to = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if fwd else None
with open(out, "ab", buffering=0) as f:
    while True:
        d = s.recv(1 << 17)
        f.write(d + b"\n")
        if to is not None:
            try:
                to.sendto(d, fwd)
            except OSError as e:
                print("not passed on to %s: %s" % (fwd, e), flush=True)
EOF
	standin=$!
	echo $standin > "$dir/standin.pid"
	i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$sock" ] || die "the recorder did not start: $(cat "$dir/standin.out")"
	if [ "$manager" = yes ]; then
		echo "Wazuh manager found: the recorder (pid $standin) on $sock passes events on to $wazuh"
	else
		echo "no Wazuh manager here (or --standin): stand-in analysisd (pid $standin) on $sock"
	fi
fi

step "5. rsyslogd with the drop-in"
if [ "$system" = yes ]; then
	install -m 0755 "$plugin" /usr/local/bin/wazuh-k8s-audit
	sh contrib/imhttp/build-imhttp.sh --install
	sh contrib/render-dropin.sh -m -o /etc/rsyslog.d/60-wazuh-k8s-audit.conf \
		LISTEN=127.0.0.1:8080 ANALYSISD_SOCKET="$sock"
	quiet rsyslogd -N1 || die "rsyslogd -N1 rejects the configuration"
	systemctl restart rsyslog 2>/dev/null || service rsyslog restart
	pluginlog=/var/log/wazuh-k8s-audit/plugin.log
	logger_sock=/dev/log
	rsyslog_log="/var/log/syslog or journalctl -u rsyslog"
else
	if [ -s "$dir/rsyslogd.pid" ] && kill -0 "$(cat "$dir/rsyslogd.pid")" 2>/dev/null; then
		kill "$(cat "$dir/rsyslogd.pid")"
		gone "$(cat "$dir/rsyslogd.pid")" || die "the previous private rsyslogd does not stop"
	fi
	# Each run from an empty queue and spool: the plugin would send the last
	# run's read window again to this run's recorder, to it another
	# analysisd (docs/production.md, "What a manager restart may take").
	rm -rf "$dir/lib"
	mkdir -p "$dir/work"
	sh contrib/render-dropin.sh -m -o "$dir/60-wazuh-k8s-audit.conf" \
		LISTEN=127.0.0.1:8080 IMHTTP_MODULE="$imhttp" \
		SERVER_PEM="$certs/server.pem" CA_FILE="$certs/ca.crt" \
		PLUGIN="$plugin" ANALYSISD_SOCKET="$sock" \
		STATE_FILE=/var/ossec/var/run/wazuh-analysisd.state \
		LOG_DIR="$dir/log" LIB_DIR="$dir/lib"
	cat > "$dir/rsyslog.conf" <<EOF
# private instance: own work dir, pid file, log socket; nothing of the system's
global(workDirectory="$dir/work" processInternalMessages="on")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$dir/log.sock")
include(file="$dir/60-wazuh-k8s-audit.conf")
*.* action(type="omfile" file="$dir/rsyslogd.log")
EOF
	# Refuse to post to whatever else may listen there.
	rc=0; curl -s -o /dev/null --connect-timeout 2 http://127.0.0.1:8080/ || rc=$?
	[ $rc -eq 7 ] || die "127.0.0.1:8080 is already in use (a --keep run? kill \$(cat $dir/rsyslogd.pid))"
	quiet rsyslogd -N1 -f "$dir/rsyslog.conf" || die "rsyslogd -N1 rejects $dir/rsyslog.conf"
	# The log's tail below is this run's, not an earlier one's.
	rm -f "$dir/log/plugin.log"
	rsyslogd -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid"
	pluginlog=$dir/log/plugin.log
	logger_sock=$dir/log.sock
	rsyslog_log=$dir/rsyslogd.log
fi
# Ready once imhttp answers an authenticated request (any HTTP status).
i=0
until curl -s -o /dev/null --cacert "$certs/ca.crt" --cert "$certs/client.crt" \
	--key "$certs/client.key" https://127.0.0.1:8080/ 2>/dev/null; do
	[ $i -lt 150 ] || die "nothing answers on 127.0.0.1:8080 after 15 s (rsyslogd's messages: $rsyslog_log)"
	sleep 0.1; i=$((i + 1))
done

step "6. posting $batches batches over mutual TLS"
if [ "$system" = yes ]; then rejfile=/var/log/wazuh-k8s-audit/rejected.jsonl
else rejfile=$dir/log/rejected.jsonl; fi
# Where this run's rejects and alerts start.
rej0=$(cat "$rejfile" 2>/dev/null | wc -l)
al0=$(stat -c %s "$alerts" 2>/dev/null || echo 0)
posted=$(python3 - "$top/tests/corpus/k8s-audit" "$dir" "$batches" <<'EOF'
import json, os, sys
corpus, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = []
for name in sorted(os.listdir(corpus)):
    p = os.path.join(corpus, name)
    docs = []
    if name.endswith(".jsonl"):
        docs = [json.loads(l) for l in open(p, encoding="utf-8-sig") if l.strip()]
    elif name.endswith(".json"):
        docs = [json.load(open(p, encoding="utf-8-sig"))]
    for d in docs:
        items = d.get("items", []) if d.get("kind") == "EventList" else [d]
        events += [e for e in items if isinstance(e, dict) and "auditID" in e and "stage" in e]
per = max(1, len(events) // n)
for i in range(n):
    b = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
         "items": events[i * per:(i + 1) * per]}
    with open(os.path.join(out, "batch%d.json" % i), "w") as f:
        json.dump(b, f, separators=(",", ":"))
print(per * n)
EOF
)
echo "$posted corpus events in $batches batches"
i=0
while [ $i -lt "$batches" ]; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$certs/ca.crt" \
		--cert "$certs/client.crt" --key "$certs/client.key" \
		-H 'Content-Type: application/json' --data-binary @"$dir/batch$i.json" \
		https://127.0.0.1:8080/k8s-audit)
	echo "POST batch$i.json ($(wc -c < "$dir/batch$i.json") bytes): HTTP $code"
	i=$((i + 1))
done
echo "and one event through syslog: logger -t k8s-audit"
logger -u "$logger_sock" -t k8s-audit --size 200000 \
	'{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"quickstart-logger-1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"quickstart"},"sourceIPs":["127.0.0.1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-01-01T00:00:00.000000Z","stageTimestamp":"2024-01-01T00:00:00.001000Z"}'

step "7. what analysisd received"
# Waits (polling) until every posted event and the logger's has arrived or
# been set aside, then shows them; with a manager, waits for its alerts.
status=0
[ -n "$standin" ] || echo "(no recorder with --system and a manager: alerts only)"
python3 - "${standin:+$dir/received.log}" "$((posted + 1))" "$rejfile" "$rej0" \
	"$([ "$manager" = yes ] && echo "$alerts")" "$al0" <<'EOF' || status=1
import json, os, sys, time
received, expected, rejfile, rej0, alerts, al0 = sys.argv[1:7]
expected, rej0, al0 = int(expected), int(rej0), int(al0)

def lines(path, start=0):
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < start:
                start = 0  # rotated
            f.seek(start)
            return f.read().splitlines()
    except FileNotFoundError:
        return []

# What a rule looks at in the k8s object the plugin adds (rules/), by finding.
FINDINGS = (
    ("privileged or host access", ("privileged", "host_pid", "host_ipc", "host_network",
     "host_paths", "capabilities_added", "allow_privilege_escalation", "proc_mount_unmasked")),
    ("RBAC wildcards or escalation", ("rbac_wildcard_verbs", "rbac_wildcard_resources",
     "rbac_sensitive_verbs")),
    ("exec into a pod", ("command",)),
    ("impersonation", ("impersonated_user",)),
    ("credentials in a ConfigMap", ("credential_value_keys",)),
)

def summary(events, received):
    by_user = {}
    for _, ev in events:
        user = ev.get("k8s", {}).get("user") or ev.get("user", {}).get("username", "?")
        verbs = by_user.setdefault(user, {})
        verbs[ev.get("verb", "?")] = verbs.get(ev.get("verb", "?"), 0) + 1
    print("\nby user and verb:")
    users = sorted(by_user.items(), key=lambda u: -sum(u[1].values()))
    for user, verbs in users[:6]:
        top = sorted(verbs.items(), key=lambda v: -v[1])
        # service accounts' long prefix shortened, so their names fit
        name = user.replace("system:serviceaccount:", "sa:")
        print("  %-48s %4d  %s" % (name[:48], sum(verbs.values()),
                                    ", ".join("%s %d" % v for v in top[:5])))
    if len(users) > 6:
        print("  ... %d more users" % (len(users) - 6))
    flagged, found = [], {}
    for _, ev in events:
        k = ev.get("k8s", {})
        why = [name for name, fields in FINDINGS if any(k.get(f) for f in fields)]
        if ev.get("responseStatus", {}).get("code") in (401, 403):
            why.append("denied (401/403)")
        for name in why:
            found.setdefault(name, []).append(k)
        if why:
            flagged.append((k, why))
    print("\nwhat a rule looks at (%d events), with one example each:" % len(flagged))
    for name in [n for n, _ in FINDINGS] + ["denied (401/403)"]:
        if name in found:
            print("  %-30s %3d  e.g. %s" % (name, len(found[name]),
                                          str(found[name][0].get("summary", "?"))[:70]))
    if flagged:
        short = [f for f in flagged if len(json.dumps(f[0])) <= 1200] or flagged
        k = max(short, key=lambda f: (len(f[1]), len(f[0])))[0]
        print("\nthe k8s object the plugin adds, for one of them:")
        print("  " + json.dumps(k, indent=2, ensure_ascii=False).replace("\n", "\n  "))
    print("\nevery event as analysisd got it (1:k8s:<event json>, one a line): %s" % received)

status = 0
events = []
if received:
    deadline = time.monotonic() + 60
    while True:
        got = lines(received)
        rejected = max(0, len(lines(rejfile)) - rej0)
        if len(got) + rejected >= expected:
            break
        if time.monotonic() > deadline:
            print("only %d of %d events arrived after 60 s (%d set aside)"
                  % (len(got), expected, rejected))
            status = 1
            break
        time.sleep(0.1)
    for d in got:
        prefix, _, body = d.partition(b":{")
        events.append((prefix.decode(), json.loads(b"{" + body)))
    print("%d datagrams (%d events posted, 1 logged), %d set aside in %s; all in %s"
          % (len(events), expected - 1, rejected, rejfile, received))
    if events:
        summary(events, received)

if alerts:
    ids = {ev.get("auditID") for _, ev in events}
    def ours():
        out = []
        for l in lines(alerts, al0):
            try:
                a = json.loads(l)
            except ValueError:
                continue
            if a.get("location") != "k8s":
                continue
            if ids and a.get("data", {}).get("auditID") not in ids:
                continue  # another sender's k8s events
            out.append(a)
        return out
    # analysisd writes alerts a moment after it reads the events: wait until
    # their number holds for a second (at most 15 s).
    deadline = time.monotonic() + 15
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = len(ours())
        if n != last:
            last, since = n, time.monotonic()
        elif n > 0 and time.monotonic() - since >= 1:
            break
        time.sleep(0.2)
    found = ours()
    print("\n%d alerts from these events in %s, by rule:" % (len(found), alerts))
    rules = {}
    for a in found:
        r = a.get("rule", {})
        key = (int(r.get("level", 0)), str(r.get("id")), str(r.get("description")))
        rules[key] = rules.get(key, 0) + 1
    for (level, rid, desc), n in sorted(rules.items(), key=lambda r: (-r[0][0], r[0][1]))[:12]:
        print("  %4d x rule %s (level %d) %s" % (n, rid, level, desc[:80]))
    if len(rules) > 12:
        print("  ... %d more rules" % (len(rules) - 12))
    if not found:
        print("  none: are rules/0950-k8s_audit_rules.xml and rules/lists/ installed (README, Rules)?")
sys.exit(status)
EOF

if [ "$keep" = yes ] || [ "$system" = yes ]; then
	echo
	[ "$system" = yes ] || echo "rsyslogd left running: kill \$(cat $dir/rsyslogd.pid)"
	[ -z "$standin" ] || echo "recorder left running: kill $standin   (received: $dir/received.log)"
else
	# The plugin writes its final stats as it exits: rsyslogd stops it first.
	kill "$(cat "$dir/rsyslogd.pid")" 2>/dev/null || true
	gone "$(cat "$dir/rsyslogd.pid")" || echo "the private rsyslogd is slow to stop"
	[ -z "$standin" ] || kill "$standin" 2>/dev/null || true
	echo "stopped the private rsyslogd and the recorder (files kept in $dir)"
fi
echo
echo "plugin log: $pluginlog"
grep -E ' error: |final stats: ' "$pluginlog" 2>/dev/null | tail -n 3 || true
echo
echo "next: install it on a Wazuh manager with the packages (make deb; README.md,"
echo "\"Install on a Wazuh manager\"; details in docs/production.md) and point"
echo "kube-apiserver at it (contrib/kubernetes/)."
exit $status
