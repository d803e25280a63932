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
grep -E '^[A-Z_]+=' "$envfile" > "$settings" || true
for kv in "$@"; do
	case $kv in
	[A-Z]*=*) printf '%s\n' "$kv" >> "$settings" ;;
	*) echo "render-dropin: not KEY=VALUE: $kv" >&2; exit 2 ;;
	esac
done
get() { sed -n "s/^$1=//p" "$settings" | tail -n 1; }
# settings added later have defaults, so older env files still render
grep -q '^QUEUE_STATS_INTERVAL=' "$settings" || echo 'QUEUE_STATS_INTERVAL=60' >> "$settings"
grep -q '^QUEUE_SYNC=' "$settings" || echo 'QUEUE_SYNC=off' >> "$settings"
grep -q '^ALLOW_FROM=' "$settings" ||
	echo 'ALLOW_FROM=127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,::1,fc00::/7' >> "$settings"
grep -q '^MAX_CONN_PER_SOURCE=' "$settings" || echo 'MAX_CONN_PER_SOURCE=16' >> "$settings"
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

# acl_entry NET: civetweb's "+NET", or an error for what civetweb would
# reject at start or (an IPv4 network with host bits set) never match
acl_entry() {
	case $1 in
	*[!0-9a-fA-F.:/]*|'') echo "render-dropin: ALLOW_FROM: not an address or network: '$1'" >&2; return 1 ;;
	*:*) printf '+%s' "$1"; return 0 ;;
	esac
	addr=${1%/*}; bits=32
	[ "$addr" = "$1" ] || bits=${1#*/}
	oldifs=$IFS; IFS=.; set -- $addr; IFS=$oldifs
	[ $# -eq 4 ] && [ -n "$bits" ] && [ "$bits" -le 32 ] 2>/dev/null ||
		{ echo "render-dropin: ALLOW_FROM: not an IPv4 address or network: '$addr/$bits'" >&2; return 1; }
	for o in "$@"; do
		case $o in ''|*[!0-9]*) echo "render-dropin: ALLOW_FROM: bad IPv4 address '$addr'" >&2; return 1 ;; esac
		[ "$o" -le 255 ] || { echo "render-dropin: ALLOW_FROM: bad IPv4 address '$addr'" >&2; return 1; }
	done
	ip=$(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 ))
	host=$(( bits == 32 ? 0 : (1 << (32 - bits)) - 1 ))
	[ $(( ip & host )) -eq 0 ] ||
		{ echo "render-dropin: ALLOW_FROM: $addr/$bits has host bits set (the network is written with them zero)" >&2; return 1; }
	printf '+%s' "$addr/$bits"
}
allow=$(get ALLOW_FROM)
[ "$allow" != any ] || allow=0.0.0.0/0,::/0
acl=
for net in $(printf '%s' "$allow" | tr ',' ' '); do
	e=$(acl_entry "$net") || exit 1
	acl="${acl:+$acl,}$e"
done
[ -n "$acl" ] || { echo "render-dropin: ALLOW_FROM is empty (use 'any' to admit every address)" >&2; exit 1; }

# sed script: @KEY@ -> value (escape what sed's replacement treats specially)
script=$(mktemp)
trap 'rm -f "$settings" "$script"' EXIT
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
for k in $keys; do
	printf 's|@%s@|%s|g\n' "$k" "$(esc "$(get "$k")")" >> "$script"
done
# rsyslog frees a disk queue's space only when it deletes a whole file:
# with files as large as the budget, a full queue would never free any.
# Files of 1/16 of QUEUE_MAX_DISK (at least 64 KiB) free space as batches
# are delivered.
to_bytes() {
	case $1 in
	*[kK]) echo $(( ${1%[kK]} * 1024 )) ;;
	*[mM]) echo $(( ${1%[mM]} * 1024 * 1024 )) ;;
	*[gG]) echo $(( ${1%[gG]} * 1024 * 1024 * 1024 )) ;;
	*[!0-9]*|'') echo "render-dropin: QUEUE_MAX_DISK: not a size: $1" >&2; exit 1 ;;
	*) echo "$1" ;;
	esac
}
disk=$(to_bytes "$(get QUEUE_MAX_DISK)") || exit 1
filesize=$(( disk / 16 ))
[ "$filesize" -ge 65536 ] || filesize=65536
printf 's|@QUEUE_FILE_SIZE@|%s|g\n' "$filesize" >> "$script"
printf 's|@VERIFY_PEER@|%s|g\n' "$verify" >> "$script"
printf 's|@ALLOW_ACL@|%s|g\n' "$acl" >> "$script"
printf 's|@BASICAUTH_PARAM@|%s|g\n' "$(esc "$basic")" >> "$script"
if [ -z "$(get LOGGER_TAG)" ]; then
	echo '/^#@LOGGER_BEGIN@/,/^#@LOGGER_END@/d' >> "$script"
else
	echo '/^#@LOGGER_\(BEGIN\|END\)@/d' >> "$script"
fi
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
