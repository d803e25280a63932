#!/bin/sh
# render-dropin.sh: write the rsyslog drop-in from its template.
#
#   contrib/render-dropin.sh [-e ENVFILE] [-o OUTPUT] [-m] [KEY=VALUE ...]
#
#   -e ENVFILE  settings (default rsyslog.d/wazuh-k8s-audit.env beside the
#               template); KEY=VALUE arguments override single settings
#   -o OUTPUT   where the .conf goes (default: standard output), e.g.
#               /etc/rsyslog.d/60-wazuh-k8s-audit.conf
#   -m          also create LOG_DIR and LIB_DIR/queue (mode 0750)
#
# Every path and port of the drop-in comes from the settings; see the
# comments in wazuh-k8s-audit.env.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
me=render-dropin
. "$(dirname "$0")/render-lib.sh"
tmpl=$top/rsyslog.d/60-wazuh-k8s-audit.conf.in
envfile=$top/rsyslog.d/wazuh-k8s-audit.env
out=
mkdirs=no
while getopts e:o:mh opt; do
	case $opt in
	e) envfile=$OPTARG ;;
	o) out=$OPTARG ;;
	m) mkdirs=yes ;;
	h) sed -n '2,14p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -r "$envfile" ] || { echo "render-dropin: cannot read $envfile" >&2; exit 1; }
[ -r "$tmpl" ] || { echo "render-dropin: cannot read $tmpl" >&2; exit 1; }

keys="LISTEN ENDPOINT IMHTTP_MODULE THREADS CLIENT_AUTH SERVER_PEM CA_FILE
BASICAUTH_FILE MAX_MESSAGE_SIZE MAX_BODY PLUGIN PLUGIN_ARGS ANALYSISD_SOCKET
STATE_FILE LOG_DIR LIB_DIR QUEUE_MAX_DISK QUEUE_SYNC QUEUE_STATS_INTERVAL
LOGGER_TAG ALLOW_FROM MAX_CONN_PER_SOURCE"

# settings: the file, then the command line; last one wins
settings=$(mktemp)
trap 'rm -f "$settings"' EXIT
read_settings "$envfile" "$@"
# settings added later have defaults, so older env files still render
grep -q '^QUEUE_STATS_INTERVAL=' "$settings" || echo 'QUEUE_STATS_INTERVAL=60' >> "$settings"
grep -q '^QUEUE_SYNC=' "$settings" || echo 'QUEUE_SYNC=off' >> "$settings"
grep -q '^ALLOW_FROM=' "$settings" ||
	echo 'ALLOW_FROM=127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,::1,fc00::/7' >> "$settings"
grep -q '^MAX_CONN_PER_SOURCE=' "$settings" || echo 'MAX_CONN_PER_SOURCE=16' >> "$settings"
grep -q '^RELP_LISTEN=' "$settings" || echo 'RELP_LISTEN=' >> "$settings"
grep -q '^RELP_CLUSTERS=' "$settings" || echo 'RELP_CLUSTERS=' >> "$settings"
grep -q '^SYSLOG_LISTEN=' "$settings" || echo 'SYSLOG_LISTEN=' >> "$settings"
grep -q '^SYSLOG_CLUSTERS=' "$settings" || echo 'SYSLOG_CLUSTERS=' >> "$settings"
case $(get QUEUE_SYNC) in on|off) ;; *) echo "render-dropin: QUEUE_SYNC must be on or off" >&2; exit 1 ;; esac
for k in $keys; do
	grep -q "^$k=" "$settings" || { echo "render-dropin: $k is not set" >&2; exit 1; }
done

case $(get CLIENT_AUTH) in
mtls) verify=yes; basic= ;;
basic) verify=no; basic=" basicAuthFile=\"$(get BASICAUTH_FILE)\"" ;;
*) echo "render-dropin: CLIENT_AUTH must be mtls or basic" >&2; exit 1 ;;
esac
case $(get ENDPOINT) in /*) ;; *) echo "render-dropin: ENDPOINT must start with /" >&2; exit 1 ;; esac
for k in THREADS MAX_CONN_PER_SOURCE; do
	case $(get $k) in ''|*[!0-9]*|0) echo "render-dropin: $k must be a positive number" >&2; exit 1 ;; esac
done
[ "$(get THREADS)" -gt "$(get MAX_CONN_PER_SOURCE)" ] ||
	echo "render-dropin: warning: THREADS is not above MAX_CONN_PER_SOURCE: one host that stalls its connections can hold every worker" >&2

acl=$(acl_list "$(get ALLOW_FROM)") || exit 1

# cluster_port KEY NAME:PORT: one entry of KEY (RELP_CLUSTERS,
# SYSLOG_CLUSTERS) into $name and $port, or an error: NAME a DNS label
# (it goes into certificate names), PORT digits
cluster_port() {
	name=${2%%:*} port=${2#*:}
	case $name in
	''|-*|*-|*[!a-z0-9-]*) echo "$me: $1: bad cluster name '$name' (a DNS label: a-z 0-9 -)" >&2; return 1 ;;
	esac
	[ ${#name} -le 63 ] || { echo "$me: $1: cluster name longer than 63: $name" >&2; return 1; }
	case $port in ''|*[!0-9]*) echo "$me: $1: $2: expected NAME:PORT" >&2; return 1 ;; esac
}

# relp_block ADDRESS "NAME:PORT ...": the rsyslog text of one RELP listener
# per cluster. Why one per cluster: imrelp gives the ruleset no property
# naming the client certificate, so the listener a message came in on is
# what says who sent it. Each listener accepts only certificates named
# *.<NAME>.nodes.wazuh-k8s-audit and has its own Disk queue and plugin
# instance started with --cluster NAME: the cluster an event claims is
# never read (the plugin replaces any `k8s` member of an event).
relp_block() {
	cat <<EOT
# RELP from control-plane nodes (RELP_LISTEN, RELP_CLUSTERS). imrelp answers
# a frame only after the plugin answered OK for its event, so acknowledged =
# delivered: the ruleset runs Direct, in imrelp's thread (rsyslog's
# onSyslogRcv -> submitMsg2 -> the action; librelp sends "200 OK" when that
# returns: librelp 1.11 src/scsyslog.c). The plugin's OK means the event is
# in analysisd's socket queue, and what analysisd has not read is saved in
# the plugin's spool when rsyslogd dies (docs/plugin.md, "Nothing lost
# when analysisd dies"); a frame not answered is sent again by the node. No Disk
# queue here: its index (.qi), rewritten and renamed at every message, cost
# the manager 30 s of CPU per 100k events (docs/production.md, section 8).
# While the plugin retries (analysisd away), imrelp's one thread waits: the
# nodes keep their events in their own Disk queues.
#  tls.authMode="name"       the client certificate must be signed by
#                            CA_FILE and carry a permitted name
#  tls.permittedPeer         *.<cluster>.nodes.wazuh-k8s-audit: a node of
#                            another cluster is refused in the handshake
#  maxDataSize               one event per frame, up to MAX_MESSAGE_SIZE;
#  oversizeMode="truncate"   a longer one arrives cut, the plugin sets it
#                            aside (rejected.jsonl), the session goes on
#  --cluster NAME            k8s.cluster from the listener, not the event
#  --source relp             k8s.source of these events
#  --frame journal           a node's journald envelope (a line journald
#                            split is put back together); other lines are
#                            audit lines as the webhook's
module(load="imrelp" tls.tlslib="openssl")
EOT
	for cp in $2; do
		cluster_port RELP_CLUSTERS "$cp" || return 1
		cat <<EOT
input(type="imrelp" name="k8s-relp-$name" address="$1" port="$port"
      ruleset="wazuh-k8s-audit-relp-$name" keepAlive="on"
      maxDataSize="$(get MAX_MESSAGE_SIZE)" oversizeMode="truncate"
      tls="on" tls.cacert="$(get CA_FILE)"
      tls.mycert="$(get SERVER_PEM)" tls.myprivkey="$(get SERVER_PEM)"
      tls.authMode="name" tls.permittedPeer=["*.$name.nodes.wazuh-k8s-audit"])
ruleset(name="wazuh-k8s-audit-relp-$name" queue.type="Direct") {
    action(type="omprog" name="wazuh-k8s-audit-relp-$name"
           binary="$(get PLUGIN) --socket $(get ANALYSISD_SOCKET) --state-file $(get STATE_FILE) --reject-file $(get LOG_DIR)/rejected.jsonl --spool-dir $(get LIB_DIR)/spool-relp-$name --key-file $(get LIB_DIR)/hmac.key $(get PLUGIN_ARGS) --source relp --frame journal --cluster $name"
           template="wazuh-k8s-audit-raw"
           confirmMessages="on" confirmTimeout="60000"
           forceSingleInstance="on"
           closeTimeout="15000" killUnresponsive="on"
           output="$(get LOG_DIR)/plugin-relp-$name.log" fileCreateMode="0640"
           queue.type="Direct"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
EOT
	done
}

# syslog_block ADDRESS "NAME:PORT ...": the rsyslog text of one syslog
# (imtcp over TLS) listener per cluster, for forwarders that speak syslog
# (OpenShift's ClusterLogForwarder): as relp_block, one listener per
# cluster because the ruleset cannot see the client certificate.
syslog_block() {
	frame=$(to_bytes "$(get MAX_MESSAGE_SIZE)") || return 1
	cat <<EOT
# syslog over TLS from forwarders (SYSLOG_LISTEN, SYSLOG_CLUSTERS). Plain
# syslog has no acknowledgement: what a sender had written to a connection
# that broke may be lost (RELP, above, has none of that).
#  streamDriver "gtls"       TLS 1.2 or 1.3 (rsyslog-gnutls). Not "ossl":
#                            imtcp with ossl lets any name through x509/name
#                            (rsyslog#6350; measured with 8.2302)
#  authMode="x509/name"      the client certificate must be signed by
#                            CA_FILE, carry the clientAuth purpose
#                            (CheckExtendedKeyPurpose) and a name
#  permittedPeer             *.<cluster>.nodes.wazuh-k8s-audit: a forwarder
#                            of another cluster is refused
#  octet-counted and LF      both framings (RFC 6587 3.4.1 / RFC 5425 and
#                            3.4.2): a frame whose length comes first, else
#                            a line
#  maxFrameSize              octet-counted frames up to MAX_MESSAGE_SIZE
#                            (imtcp's default, 200000, would turn a larger
#                            frame into LF-framed garbage)
#  discardTruncatedMsg       a message over MAX_MESSAGE_SIZE arrives cut,
#                            the plugin sets it aside, and its rest is
#                            dropped instead of read as more messages
#  queue.timeoutEnqueue      a full queue slows the sender (TCP), it does
#                            not discard: there is no 503 to answer
#  --frame syslog            the Event is the MSG (after the RFC 5424 or
#                            RFC 3164 header); OpenShift's envelope fields
#                            are left out (docs/production.md, section 8)
#  --cluster NAME            k8s.cluster from the listener, not the event
#  --source syslog           k8s.source of these events
module(load="imtcp")
EOT
	for cp in $2; do
		cluster_port SYSLOG_CLUSTERS "$cp" || return 1
		cat <<EOT
input(type="imtcp" name="k8s-syslog-$name" address="$1" port="$port"
      ruleset="wazuh-k8s-audit-syslog-$name" keepAlive="on"
      streamDriver.name="gtls" streamDriver.mode="1"
      streamDriver.authMode="x509/name"
      permittedPeer=["*.$name.nodes.wazuh-k8s-audit"]
      streamDriver.CheckExtendedKeyPurpose="on"
      streamDriver.CAFile="$(get CA_FILE)"
      streamDriver.CertFile="$(get SERVER_PEM)"
      streamDriver.KeyFile="$(get SERVER_PEM)"
      gnutlsPriorityString="NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
      supportOctetCountedFraming="on" maxFrameSize="$frame"
      discardTruncatedMsg="on")
ruleset(name="wazuh-k8s-audit-syslog-$name"
        queue.type="Disk" queue.filename="wazuh-k8s-audit-syslog-$name"
        queue.spoolDirectory="$(get LIB_DIR)/queue"
        queue.syncQueueFiles="$(get QUEUE_SYNC)" queue.checkpointInterval="1"
        queue.maxDiskSpace="$(get QUEUE_MAX_DISK)" queue.maxFileSize="$filesize"
        queue.size="100000" queue.dequeueBatchSize="1"
        queue.saveOnShutdown="on" queue.timeoutEnqueue="3600000"
        queue.workerThreads="1") {
    action(type="omprog" name="wazuh-k8s-audit-syslog-$name"
           binary="$(get PLUGIN) --socket $(get ANALYSISD_SOCKET) --state-file $(get STATE_FILE) --reject-file $(get LOG_DIR)/rejected.jsonl --spool-dir $(get LIB_DIR)/spool-syslog-$name --key-file $(get LIB_DIR)/hmac.key --accept-sync $(get QUEUE_SYNC) $(get PLUGIN_ARGS) --frame syslog --source syslog --cluster $name"
           template="wazuh-k8s-audit-raw"
           confirmMessages="on" confirmTimeout="60000"
           forceSingleInstance="on"
           closeTimeout="15000" killUnresponsive="on"
           output="$(get LOG_DIR)/plugin-syslog-$name.log" fileCreateMode="0640"
           queue.type="Direct"
           action.resumeRetryCount="-1" action.resumeInterval="1")
}
EOT
	done
}

# The RELP listeners (RELP_LISTEN, RELP_CLUSTERS): one input, ruleset and
# plugin instance per cluster, written by relp_block below.
relp=$(mktemp)
trap 'rm -f "$settings" "$relp"' EXIT
# check_listen KIND: KIND_LISTEN (RELP, SYSLOG) is off (empty) or an
# address with KIND_CLUSTERS set; exit 1 otherwise
check_listen() {
	l=$(get "$1_LISTEN")
	if [ -n "$l" ] && [ -z "$(get "$1_CLUSTERS")" ]; then
		echo "$me: $1_LISTEN is set but $1_CLUSTERS is empty" >&2; exit 1
	fi
	case $l in *[!0-9A-Za-z.:_-]*) echo "$me: $1_LISTEN: not an address: $l" >&2; exit 1 ;; esac
}
check_listen RELP
check_listen SYSLOG
relp_listen=$(get RELP_LISTEN) relp_clusters=$(get RELP_CLUSTERS)
syslog_listen=$(get SYSLOG_LISTEN) syslog_clusters=$(get SYSLOG_CLUSTERS)

# sed script: @KEY@ -> value (escape what sed's replacement treats specially)
script=$(mktemp)
trap 'rm -f "$settings" "$relp" "$script"' EXIT
for k in $keys; do
	printf 's|@%s@|%s|g\n' "$k" "$(esc "$(get "$k")")" >> "$script"
done
# rsyslog frees a disk queue's space only when it deletes a whole file:
# with files as large as the budget, a full queue would never free any.
# Files of 1/16 of QUEUE_MAX_DISK (at least 64 KiB) free space as batches
# are delivered.
disk=$(to_bytes "$(get QUEUE_MAX_DISK)") || exit 1
filesize=$(( disk / 16 ))
[ "$filesize" -ge 65536 ] || filesize=65536
if [ -n "$relp_listen" ]; then
	relp_block "$relp_listen" "$relp_clusters" > "$relp" || exit 1
fi
if [ -n "$syslog_listen" ]; then
	syslog_block "$syslog_listen" "$syslog_clusters" >> "$relp" || exit 1
fi
printf 's|@QUEUE_FILE_SIZE@|%s|g\n' "$filesize" >> "$script"
printf 's|@VERIFY_PEER@|%s|g\n' "$verify" >> "$script"
printf 's|@ALLOW_ACL@|%s|g\n' "$acl" >> "$script"
printf 's|@BASICAUTH_PARAM@|%s|g\n' "$(esc "$basic")" >> "$script"
if [ -z "$(get LOGGER_TAG)" ]; then
	echo '/^#@LOGGER_BEGIN@/,/^#@LOGGER_END@/d' >> "$script"
else
	echo '/^#@LOGGER_\(BEGIN\|END\)@/d' >> "$script"
fi
# the listener blocks (RELP, syslog; already substituted) replace the marker
printf '/^#@RELP@$/{\nr %s\nd\n}\n' "$relp" >> "$script"
# a doubled space where PLUGIN_ARGS is empty is harmless; tidy it anyway
echo 's|  *"$|"|' >> "$script"

if [ "$mkdirs" = yes ]; then
	install -d -m 0750 "$(get LOG_DIR)" "$(get LIB_DIR)" "$(get LIB_DIR)/queue"
fi
if [ -n "$out" ]; then
	sed -f "$script" "$tmpl" > "$out.tmp" && mv "$out.tmp" "$out"
else
	sed -f "$script" "$tmpl"
fi
