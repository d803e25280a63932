#!/bin/sh
# render-node-dropin.sh: write a control-plane node's rsyslog drop-in (its
# audit log files -> RELP/TLS -> the manager) from its template.
#
#   contrib/render-node-dropin.sh [-e ENVFILE] [-o OUTPUT] [KEY=VALUE ...]
#
#   -e ENVFILE  settings (default rsyslog.d/node/wazuh-k8s-audit-node.env
#               beside the template); KEY=VALUE arguments override
#   -o OUTPUT   where the .conf goes (default: standard output), e.g.
#               /etc/rsyslog.d/58-wazuh-k8s-audit-node.conf
#
# See the comments in wazuh-k8s-audit-node.env for every setting.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
me=render-node-dropin
. "$(dirname "$0")/render-lib.sh"
tmpl=$top/rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in
envfile=$top/rsyslog.d/node/wazuh-k8s-audit-node.env
out=
while getopts e:o:h opt; do
	case $opt in
	e) envfile=$OPTARG ;;
	o) out=$OPTARG ;;
	h) sed -n '2,12p' "$0"; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
die() { echo "$me: $*" >&2; exit 1; }
[ -r "$envfile" ] || die "cannot read $envfile"
[ -r "$tmpl" ] || die "cannot read $tmpl"

settings=$(mktemp)
script=$(mktemp)
inputs=$(mktemp)
trap 'rm -f "$settings" "$script" "$inputs"' EXIT
read_settings "$envfile" "$@"
keys="CLUSTER AUDIT_LOGS JOURNAL_UNIT JOURNAL_LOAD MANAGER MANAGER_NAME
MANAGER2 MANAGER2_NAME CA_FILE NODE_CERT NODE_KEY QUEUE_DIR QUEUE_MAX_DISK
MAX_MESSAGE_SIZE"
for k in $keys; do
	grep -q "^$k=" "$settings" || die "$k is not set"
done

# A value goes between double quotes in rsyslog's config: no quote, no
# backslash, no line break.
for k in $keys; do
	case $(get "$k") in *[\"\\]*) die "$k: no \" or \\ allowed" ;; esac
done
cluster=$(get CLUSTER)
case $cluster in
''|-*|*-|*[!a-z0-9-]*) die "CLUSTER: expected a DNS label (a-z 0-9 -), got '$cluster'" ;;
esac

# host:port -> host, port ([v6]:port too)
hostport() {
	case $1 in
	\[*\]:*) h=${1%]:*}; h=${h#\[}; p=${1##*]:} ;;
	*:*) h=${1%:*}; p=${1##*:} ;;
	*) die "$2: expected host:port, got '$1'" ;;
	esac
	case $p in ''|*[!0-9]*) die "$2: bad port in '$1'" ;; esac
	[ -n "$h" ] || die "$2: no host in '$1'"
}
# peer_name HOST NAME KEY: the name the manager's certificate must carry.
# The forwarder checks a DNS name (SAN, then CN), never an address, and
# refuses to start with an address for a name: say so here, at rendering.
peer_name() {
	if [ -n "$2" ]; then printf '%s' "$2"; return; fi
	case $1 in
	*:*|*[0-9].*[0-9].*[0-9].*[0-9]) case $1 in *[!0-9a-fA-F:.]*) ;; *)
		die "$3: $1 is an address: set ${3}_NAME to the DNS name in the manager's certificate" ;; esac ;;
	esac
	printf '%s' "$1"
}
[ -n "$(get MANAGER)" ] || die "MANAGER is not set (host:port of the manager's RELP listener)"
hostport "$(get MANAGER)" MANAGER
m1n=$(peer_name "$h" "$(get MANAGER_NAME)" MANAGER) || exit 1

sub() { printf 's|@%s@|%s|g\n' "$1" "$(esc "$2")" >> "$script"; }
for k in CA_FILE NODE_CERT NODE_KEY QUEUE_DIR QUEUE_MAX_DISK MAX_MESSAGE_SIZE JOURNAL_UNIT; do
	sub "$k" "$(get "$k")"
done

# the forwarder's targets, in order of preference: MANAGER, then MANAGER2
targets="--target $(get MANAGER) --name $m1n"
if [ -n "$(get MANAGER2)" ]; then
	hostport "$(get MANAGER2)" MANAGER2
	m2n=$(peer_name "$h" "$(get MANAGER2_NAME)" MANAGER2) || exit 1
	targets="$targets --target $(get MANAGER2) --name $m2n"
fi
case $targets in *[!A-Za-z0-9.:_\[\]\ -]*) die "MANAGER, MANAGER2 and their names: letters, digits, . : - _ [ ] only" ;; esac
sub TARGETS "$targets"
# settings an older env file may lack: their defaults
forwarder=$(get FORWARDER); [ -n "$forwarder" ] || forwarder=/usr/bin/wazuh-k8s-audit-forward
logfile=$(get LOG_FILE); [ -n "$logfile" ] || logfile=/var/log/wazuh-k8s-audit-forward.log
# omprog splits its binary= at spaces: the paths on it have none
for k in FORWARDER LOG_FILE CA_FILE NODE_CERT NODE_KEY QUEUE_DIR; do
	case $k in FORWARDER) v=$forwarder ;; LOG_FILE) v=$logfile ;; *) v=$(get $k) ;; esac
	case $v in /*) ;; *) die "$k: an absolute path, got '$v'" ;; esac
	case $v in *[[:space:]]*) die "$k: no space allowed: '$v'" ;; esac
done
sub FORWARDER "$forwarder"; sub LOG_FILE "$logfile"

if [ -n "$(get JOURNAL_UNIT)" ]; then
	echo '/^#@JOURNAL_\(BEGIN\|END\)@/d' >> "$script"
	case $(get JOURNAL_LOAD) in
	yes) echo 's|^#@JOURNAL_LOAD@||' >> "$script" ;;
	no) echo '/^#@JOURNAL_LOAD@/d' >> "$script" ;;
	*) die "JOURNAL_LOAD must be yes or no" ;;
	esac
else
	echo '/^#@JOURNAL_BEGIN@/,/^#@JOURNAL_END@/d' >> "$script"
fi

# rsyslog frees disk queue space only by deleting a whole file: files of
# 1/16 of the budget (at least 64 KiB), as on the manager
disk=$(to_bytes "$(get QUEUE_MAX_DISK)") || exit 1
filesize=$(( disk / 16 ))
[ "$filesize" -ge 65536 ] || filesize=65536
sub QUEUE_FILE_SIZE "$filesize"

# one imfile input per glob
n=0
for g in $(get AUDIT_LOGS | sed 's/\*/\\*/g'); do
	g=$(printf '%s' "$g" | sed 's/\\\*/*/g')
	case $g in /*) ;; *) die "AUDIT_LOGS: not an absolute path: $g" ;; esac
	n=$((n + 1))
	cat >> "$inputs" <<EOT
input(type="imfile" file="$g" tag="k8s-audit"
      ruleset="wazuh-k8s-audit-node" addMetadata="off"
      persistStateAfterSubmission="on" discardTruncatedMsg="on"
      reopenOnTruncate="on")
EOT
done
[ "$n" -gt 0 ] || [ -n "$(get JOURNAL_UNIT)" ] || die "neither AUDIT_LOGS nor JOURNAL_UNIT is set: nothing to forward"
printf '/^#@FILE_INPUTS@$/{\nr %s\nd\n}\n' "$inputs" >> "$script"

if [ -n "$out" ]; then
	sed -f "$script" "$tmpl" > "$out.tmp" && mv "$out.tmp" "$out"
else
	sed -f "$script" "$tmpl"
fi
