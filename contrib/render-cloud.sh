#!/bin/sh
# render-cloud.sh: write the cloud endpoints' rsyslogd configuration
# (wazuh-k8s-audit-cloud.service) from its template.
#
#   contrib/render-cloud.sh [-e ENVFILE] [-o OUTPUT] [-m] [KEY=VALUE ...]
#
#   -e ENVFILE  settings (default rsyslog.d/cloud/wazuh-k8s-audit-cloud.env
#               beside the template); KEY=VALUE arguments override single
#               settings. Files in ENVFILE's directory's cloud.d/*.conf are
#               included last.
#   -o OUTPUT   where the configuration goes (default: standard output)
#   -m          also create LOG_DIR and LIB_DIR/queue (mode 0750)
#
# Exit 1 with a message when no endpoint is on (FIREHOSE_PATH and
# PUBSUB_PATH empty: the service does not start) or a setting is invalid.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
me=render-cloud
. "$(dirname "$0")/render-lib.sh"
tmpl=$top/rsyslog.d/cloud/wazuh-k8s-audit-cloud.conf.in
envfile=$top/rsyslog.d/cloud/wazuh-k8s-audit-cloud.env
out=
mkdirs=no
while getopts e:o:mh opt; do
	case $opt in
	e) envfile=$OPTARG ;;
	o) out=$OPTARG ;;
	m) mkdirs=yes ;;
	h) sed -n '2,16p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -r "$envfile" ] || { echo "$me: cannot read $envfile" >&2; exit 1; }
[ -r "$tmpl" ] || { echo "$me: cannot read $tmpl" >&2; exit 1; }
etcdir=$(cd "$(dirname "$envfile")" && pwd)

keys="LISTEN IMHTTP_MODULE SERVER_PEM ALLOW_FROM MAX_CONN_PER_SOURCE THREADS
FIREHOSE_PATH FIREHOSE_KEY_FILE FIREHOSE_CLUSTER PUBSUB_PATH PUBSUB_KEY_FILE
PUBSUB_OIDC_KEYS_FILE PUBSUB_OIDC_AUDIENCE PUBSUB_OIDC_EMAIL PUBSUB_CLUSTER
MAX_MESSAGE_SIZE MAX_BODY PLUGIN PLUGIN_ARGS ANALYSISD_SOCKET STATE_FILE
LOG_DIR LIB_DIR QUEUE_MAX_DISK QUEUE_SYNC QUEUE_STATS_INTERVAL"

# settings: the file, then the command line; last one wins
settings=$(mktemp)
script=$(mktemp)
trap 'rm -f "$settings" "$script"' EXIT
read_settings "$envfile" "$@"
fail() { echo "$me: $*" >&2; exit 1; }
for k in $keys; do
	grep -q "^$k=" "$settings" || fail "$k is not set"
	# every value lands inside an rsyslog string
	case $(get "$k") in *[\"\\]*) fail "$k: no \" or \\ allowed" ;; esac
done

case $(get QUEUE_SYNC) in on|off) ;; *) fail "QUEUE_SYNC must be on or off" ;; esac
for k in THREADS MAX_CONN_PER_SOURCE QUEUE_STATS_INTERVAL; do
	case $(get $k) in ''|*[!0-9]*|0) fail "$k must be a positive number" ;; esac
done
[ "$(get THREADS)" -gt "$(get MAX_CONN_PER_SOURCE)" ] ||
	echo "$me: warning: THREADS is not above MAX_CONN_PER_SOURCE: one host that stalls its connections can hold every worker" >&2
acl=$(acl_list "$(get ALLOW_FROM)") || exit 1
disk=$(to_bytes "$(get QUEUE_MAX_DISK)") || exit 1
filesize=$(( disk / 16 ))
[ "$filesize" -ge 65536 ] || filesize=65536

# endpoint PATH NAME: PATH is off (empty) or a path of its own
endpoint() {
	case $1 in
	'') return 1 ;;
	/*[!A-Za-z0-9/_.-]*|/) fail "$2: a path of letters, digits, / _ . - (got '$1')" ;;
	/*) return 0 ;;
	*) fail "$2 must start with / (got '$1')" ;;
	esac
}
cluster() {
	case $1 in
	''|*[!a-zA-Z0-9_-]*) fail "$2: 1 or more of [A-Za-z0-9_-] (got '$1')" ;;
	esac
}
fh=no; ps=no
endpoint "$(get FIREHOSE_PATH)" FIREHOSE_PATH && fh=yes
endpoint "$(get PUBSUB_PATH)" PUBSUB_PATH && ps=yes
[ $fh = yes ] || [ $ps = yes ] ||
	fail "no endpoint is on (FIREHOSE_PATH and PUBSUB_PATH are empty): wazuh-k8s-audit-setup cloud-endpoint firehose|pubsub turns one on"
[ $fh = no ] || [ $ps = no ] || [ "$(get FIREHOSE_PATH)" != "$(get PUBSUB_PATH)" ] ||
	fail "FIREHOSE_PATH and PUBSUB_PATH are the same"
if [ $fh = yes ]; then
	[ -n "$(get FIREHOSE_KEY_FILE)" ] || fail "FIREHOSE_PATH is set but FIREHOSE_KEY_FILE is empty"
	cluster "$(get FIREHOSE_CLUSTER)" FIREHOSE_CLUSTER
fi
# Pub/Sub: the token (accessKeyFile), the OIDC set, or both
auth=
if [ $ps = yes ]; then
	cluster "$(get PUBSUB_CLUSTER)" PUBSUB_CLUSTER
	kf=$(get PUBSUB_KEY_FILE)
	[ -z "$kf" ] || auth=" accessKeyFile=\"$kf\""
	ok=$(get PUBSUB_OIDC_KEYS_FILE); oa=$(get PUBSUB_OIDC_AUDIENCE); oe=$(get PUBSUB_OIDC_EMAIL)
	if [ -n "$ok$oa$oe" ]; then
		[ -n "$ok" ] && [ -n "$oa" ] && [ -n "$oe" ] ||
			fail "PUBSUB_OIDC_KEYS_FILE, PUBSUB_OIDC_AUDIENCE and PUBSUB_OIDC_EMAIL go together"
		auth="$auth oidcKeysFile=\"$ok\" oidcAudience=\"$oa\" oidcEmail=\"$oe\""
	fi
	[ -n "$auth" ] ||
		fail "PUBSUB_PATH is set but neither PUBSUB_KEY_FILE nor the PUBSUB_OIDC_* settings are"
fi

# sed script: @KEY@ -> value (escape what sed's replacement treats specially)
for k in $keys; do
	printf 's|@%s@|%s|g\n' "$k" "$(esc "$(get "$k")")" >> "$script"
done
printf 's|@QUEUE_FILE_SIZE@|%s|g\n' "$filesize" >> "$script"
printf 's|@ALLOW_ACL@|%s|g\n' "$acl" >> "$script"
printf 's|@ETC_DIR@|%s|g\n' "$(esc "$etcdir")" >> "$script"
printf 's|@PUBSUB_AUTH@|%s|g\n' "$(esc "$auth")" >> "$script"
for e in FIREHOSE:$fh PUBSUB:$ps; do
	if [ "${e#*:}" = yes ]; then
		echo "/^#@${e%:*}_\\(BEGIN\\|END\\)@/d" >> "$script"
	else
		echo "/^#@${e%:*}_BEGIN@/,/^#@${e%:*}_END@/d" >> "$script"
	fi
done
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
