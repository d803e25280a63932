#!/bin/sh
# quickstart.sh: the whole pipeline on loopback, in one command, on Debian 12.
#
#   sh contrib/quickstart.sh [--keep] [--system] [--dir DIR] [--batches N]
#
# 1. installs what is needed (apt-get; as root)
# 2. builds the plugin (autogen/configure/make) and the patched imhttp
# 3. makes a CA, a server and a client certificate (contrib/certs)
# 4. starts a stand-in analysisd (a Unix datagram socket that prints what it
#    gets) unless a Wazuh manager's socket /var/ossec/queue/sockets/queue exists
# 5. runs a private rsyslogd with the drop-in on 127.0.0.1:8080: imhttp over
#    mutual TLS -> omprog -> wazuh-k8s-audit -> analysisd
# 6. posts N (default 3) EventList batches built from tests/corpus with curl
#    and the client certificate, as kube-apiserver would, then shows what
#    analysisd received
#
#   --keep     leave rsyslogd (and the stand-in) running; prints how to stop
#   --system   use the system's rsyslogd instead of a private one: installs
#              the plugin (/usr/local/bin), imhttp (rsyslog's module dir),
#              certificates (/etc/wazuh-k8s-audit/certs) and
#              /etc/rsyslog.d/60-wazuh-k8s-audit.conf (listening on
#              127.0.0.1:8080), then restarts rsyslog
#   --dir DIR  working directory (default /tmp/wazuh-k8s-audit-quickstart)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=/tmp/wazuh-k8s-audit-quickstart
keep=no
system=no
batches=3
while [ $# -gt 0 ]; do
	case $1 in
	--keep) keep=yes ;;
	--system) system=yes ;;
	--dir) dir=${2:?}; shift ;;
	--batches) batches=${2:?}; shift ;;
	-h|--help) sed -n '2,26p' "$0"; exit 0 ;;
	*) echo "quickstart: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
step() { printf '\n== %s\n' "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (apt-get, rsyslogd)"

step "1. packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential autoconf automake \
	libtool pkg-config libjansson-dev libssl-dev libsystemd-dev libseccomp-dev \
	rsyslog curl \
	openssl python3 ca-certificates dpkg-dev bsdutils >/dev/null

step "2. build: plugin and patched imhttp"
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc)" >/dev/null
plugin=$top/plugin/wazuh-k8s-audit
[ -x "$plugin" ] || die "plugin not built"
sh contrib/imhttp/build-imhttp.sh -o "$top/_build-imhttp"
imhttp=$top/_build-imhttp/imhttp.so

mkdir -p "$dir"
if [ "$system" = yes ]; then certs=/etc/wazuh-k8s-audit/certs; else certs=$dir/certs; fi
step "3. certificates in $certs"
sh contrib/certs/make-certs.sh -d "$certs" localhost 127.0.0.1 ::1

step "4. analysisd"
sock=/var/ossec/queue/sockets/queue
standin=
if [ -S "$sock" ]; then
	echo "Wazuh manager found: events go to $sock (see /var/ossec/logs/alerts/alerts.json)"
else
	sock=$dir/queue
	rm -f "$dir/received.log"
	# a stand-in analysisd: one datagram = one line in received.log
	python3 - "$sock" "$dir/received.log" > "$dir/standin.out" 2>&1 <<'EOF' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)  # the plugin runs as an unprivileged user
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(1 << 17) + b"\n")
EOF
	standin=$!
	echo $standin > "$dir/standin.pid"
	i=0; while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	echo "no Wazuh manager here: stand-in analysisd (pid $standin) on $sock"
fi

step "5. rsyslogd with the drop-in"
if [ "$system" = yes ]; then
	install -m 0755 "$plugin" /usr/local/bin/wazuh-k8s-audit
	sh contrib/imhttp/build-imhttp.sh --install
	sh contrib/render-dropin.sh -m -o /etc/rsyslog.d/60-wazuh-k8s-audit.conf \
		LISTEN=127.0.0.1:8080 ANALYSISD_SOCKET="$sock"
	rsyslogd -N1 >/dev/null || die "rsyslogd -N1 rejects the configuration"
	systemctl restart rsyslog 2>/dev/null || service rsyslog restart
	pluginlog=/var/log/wazuh-k8s-audit/plugin.log
	logger_sock=/dev/log
else
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
	if [ -s "$dir/rsyslogd.pid" ] && kill -0 "$(cat "$dir/rsyslogd.pid")" 2>/dev/null; then
		kill "$(cat "$dir/rsyslogd.pid")"; sleep 2
	fi
	rsyslogd -N1 -f "$dir/rsyslog.conf" >/dev/null || die "rsyslogd -N1 rejects $dir/rsyslog.conf"
	# The log's tail below is this run's, not an earlier one's.
	rm -f "$dir/log/plugin.log"
	rsyslogd -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid"
	pluginlog=$dir/log/plugin.log
	logger_sock=$dir/log.sock
fi
i=0; until curl -s -o /dev/null --cacert "$certs/ca.crt" https://127.0.0.1:8080/ 2>/dev/null || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done

step "6. posting $batches batches over mutual TLS"
python3 - "$top/tests/corpus/k8s-audit" "$dir" "$batches" <<'EOF'
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
print("%d corpus events in %d batches" % (per * n, n))
EOF
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
sleep 3

step "7. what analysisd received"
if [ -n "$standin" ]; then
	n=$(wc -l < "$dir/received.log")
	echo "$n datagrams; the first 3 and the last (cut at 300 bytes):"
	head -n 3 "$dir/received.log" | cut -c1-300
	echo ...
	tail -n 1 "$dir/received.log" | cut -c1-300
else
	echo "sent to the real analysisd; alerts: tail /var/ossec/logs/alerts/alerts.json"
fi

if [ "$keep" = yes ] || [ "$system" = yes ]; then
	echo
	[ "$system" = yes ] || echo "rsyslogd left running: kill \$(cat $dir/rsyslogd.pid)"
	[ -z "$standin" ] || echo "stand-in left running: kill $standin   (received: $dir/received.log)"
else
	kill "$(cat "$dir/rsyslogd.pid")" 2>/dev/null || true
	[ -z "$standin" ] || kill "$standin" 2>/dev/null || true
	echo "stopped the private rsyslogd and the stand-in (files kept in $dir)"
fi
echo
# After the stop: the plugin writes its final stats as it exits.
sleep 1
echo "plugin log: $pluginlog"
tail -n 3 "$pluginlog" 2>/dev/null || true
