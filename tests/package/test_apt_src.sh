#!/bin/sh
# test_apt_src.sh: `make deb` and build-imhttp.sh get the rsyslog and civetweb
# source packages on a machine with no deb-src entry, before and after a
# system `apt-get update`, and leave the machine's apt configuration as they
# found it (issue 20). TAP on stdout. Root: it runs the system's apt-get update.
#
# make-deb.sh runs for real up to its package build: it is given an empty
# orig tarball, so it stops right after fetching the sources, with its
# "does not unpack" error.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (runs apt-get update)"; exit 0; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
# A fresh private apt cache: the first run on a new machine.
export APT_SRC_CACHE=$t/apt
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@" >"$t/out" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/# /' "$t/out"; fi; }

# /etc/apt, byte for byte (names, modes, contents); and no Sources index in
# the system's lists (only a deb-src entry makes apt fetch one).
etc_apt() { find /etc/apt -printf '%p %m %l\n' | sort; find /etc/apt -type f -exec sha256sum {} + | sort; }
sys_sources() { find /var/lib/apt/lists -name '*Sources*' | sort; }
no_system_src() { ! apt-cache showsrc rsyslog >/dev/null 2>&1; }

ver=$(dpkg-parsechangelog -l "$top/contrib/debian/changelog" -S Version | sed 's/-[^-]*$//')
rs_up=$(dpkg-query -W -f='${Version}' rsyslog | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//')

# round NAME: fetch through both scripts, check the machine is unchanged
round() {
	etc_apt > "$t/etc.before"
	sys_sources > "$t/src.before"
	check "$1: build-imhttp.sh --check-only finds rsyslog $rs_up and civetweb sources" \
		sh "$top/contrib/imhttp/build-imhttp.sh" -c "$t/imhttp-$1" --check-only
	out=$t/deb-$1
	mkdir -p "$out" && tar -cJf "$out/wazuh-k8s-audit-$ver.tar.xz" -T /dev/null
	LINTIAN=no sh "$top/contrib/debian/make-deb.sh" "$top" "$out" "$out/wazuh-k8s-audit-$ver.tar.xz" >"$t/mk" 2>&1
	if [ -f "$out/sources/rsyslog-$rs_up/contrib/imhttp/imhttp.c" ] &&
	   [ -f "$out/sources/civetweb/src/civetweb.c" ] && grep -q 'does not unpack' "$t/mk"; then
		ok "$1: make-deb.sh fetched and unpacked both source packages"
	else
		not_ok "$1: make-deb.sh fetched and unpacked both source packages"
		sed 's/^/# /' "$t/mk"
	fi
	etc_apt > "$t/etc.after"
	check "$1: /etc/apt unchanged" diff "$t/etc.before" "$t/etc.after"
	sys_sources > "$t/src.after"
	check "$1: no Sources index added to /var/lib/apt/lists" diff "$t/src.before" "$t/src.after"
	check "$1: the system's apt still has no deb-src entry" no_system_src
}

if no_system_src; then ok "start: apt-cache showsrc rsyslog fails (no deb-src entry)"
else ok "start: # SKIP this machine has deb-src entries: the fresh-machine case is not what runs"
fi
round "as found"
check "system apt-get update" sh "$top/contrib/apt-install.sh" --update
round "after apt-get update"
echo "1..$n"
[ "$failed" -eq 0 ]
