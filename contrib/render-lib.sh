# render-lib.sh: shell functions shared by render-dropin.sh (the webhook's
# drop-in), render-cloud.sh (the cloud endpoints' configuration) and
# render-node-dropin.sh (a control-plane node's drop-in); sourced, not run.
# Messages start with "$me: " (set by the caller).

# read_settings ENVFILE [KEY=VALUE ...]: ENVFILE's KEY=VALUE lines, then the
# arguments, into the file named by $settings (the caller's temporary file);
# the last of a key wins (see get). Exit 2 on an argument not KEY=VALUE.
read_settings() {
	grep -E '^[A-Z0-9_]+=' "$1" > "$settings" || true
	shift
	for kv in "$@"; do
		case $kv in
		[A-Z]*=*) printf '%s\n' "$kv" >> "$settings" ;;
		*) echo "$me: not KEY=VALUE: $kv" >&2; exit 2 ;;
		esac
	done
}

# get KEY: the value of KEY's last line in $settings (empty if none)
get() { sed -n "s/^$1=//p" "$settings" | tail -n 1; }

# esc VALUE: VALUE escaped for a sed replacement delimited by |
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# acl_entry NET: civetweb's "+NET", or an error for what civetweb would
# reject at start or (an IPv4 network with host bits set) never match
acl_entry() {
	case $1 in
	*[!0-9a-fA-F.:/]*|'') echo "$me: ALLOW_FROM: not an address or network: '$1'" >&2; return 1 ;;
	*:*) printf '+%s' "$1"; return 0 ;;
	esac
	addr=${1%/*}; bits=32
	[ "$addr" = "$1" ] || bits=${1#*/}
	oldifs=$IFS; IFS=.; set -- $addr; IFS=$oldifs
	[ $# -eq 4 ] && [ -n "$bits" ] && [ "$bits" -le 32 ] 2>/dev/null ||
		{ echo "$me: ALLOW_FROM: not an IPv4 address or network: '$addr/$bits'" >&2; return 1; }
	for o in "$@"; do
		case $o in ''|*[!0-9]*) echo "$me: ALLOW_FROM: bad IPv4 address '$addr'" >&2; return 1 ;; esac
		[ "$o" -le 255 ] || { echo "$me: ALLOW_FROM: bad IPv4 address '$addr'" >&2; return 1; }
	done
	ip=$(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 ))
	host=$(( bits == 32 ? 0 : (1 << (32 - bits)) - 1 ))
	[ $(( ip & host )) -eq 0 ] ||
		{ echo "$me: ALLOW_FROM: $addr/$bits has host bits set (the network is written with them zero)" >&2; return 1; }
	printf '+%s' "$addr/$bits"
}

# acl_list ALLOW_FROM: civetweb's access_control_list for the comma-separated
# addresses and networks ("any": everyone), or an error
acl_list() {
	allow=$1
	[ "$allow" != any ] || allow=0.0.0.0/0,::/0
	acl=
	for net in $(printf '%s' "$allow" | tr ',' ' '); do
		e=$(acl_entry "$net") || return 1
		acl="${acl:+$acl,}$e"
	done
	[ -n "$acl" ] || { echo "$me: ALLOW_FROM is empty (use 'any' to admit every address)" >&2; return 1; }
	printf '%s' "$acl"
}

# to_bytes SIZE: SIZE (a number, or with k/m/g) in bytes, or an error
to_bytes() {
	case $1 in
	*[kK]) echo $(( ${1%[kK]} * 1024 )) ;;
	*[mM]) echo $(( ${1%[mM]} * 1024 * 1024 )) ;;
	*[gG]) echo $(( ${1%[gG]} * 1024 * 1024 * 1024 )) ;;
	*[!0-9]*|'') echo "$me: QUEUE_MAX_DISK: not a size: $1" >&2; return 1 ;;
	*) echo "$1" ;;
	esac
}
