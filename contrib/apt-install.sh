#!/bin/sh
# apt-install.sh: install the named Debian/Ubuntu packages that are missing,
# and only those; say what that adds. Run as root.
#
#   contrib/apt-install.sh PKG...    install the missing ones of PKG...
#   contrib/apt-install.sh --update  only `apt-get update` (waiting for the lock)
#
# Installed packages are left alone: no upgrades (`--no-upgrade`), and no
# `apt-get update` at all when nothing is missing. A fresh cloud VM often runs
# unattended-upgrades at boot, holding apt's and dpkg's locks for minutes:
# this waits for them, up to APT_LOCK_TIMEOUT seconds (default 600), saying
# so, instead of failing at once.
set -eu

timeout=${APT_LOCK_TIMEOUT:-600}
say() { echo "apt-install: $*" >&2; }
die() { say "$*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (it calls apt-get)"
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
left() { echo $((timeout - ($(date +%s) - start))); }

# locked CMD...: run an apt-get command, its output hidden unless it fails;
# while another apt or dpkg holds a lock, retry every 3 s. One loop for
# every lock: apt's DPkg::Lock::Timeout (apt >= 1.9.11) waits for dpkg's
# frontend lock only, not for the lists lock `apt-get update` takes.
locked() {
	waited=no
	while ! err=$("$@" 2>&1 >/dev/null); do
		case $err in *"Could not get lock"*) ;; *)
			printf '%s\n' "$err" >&2; return 1 ;;
		esac
		[ "$(left)" -gt 0 ] || die "apt's lock is still held after ${timeout}s (another apt-get, or unattended-upgrades): try again later"
		[ "$waited" = yes ] || say "another apt/dpkg holds its lock (unattended-upgrades?): waiting up to ${timeout}s"
		waited=yes
		sleep 3
	done
}
update() { locked apt-get update -qq || die "apt-get update failed"; }

if [ "${1:-}" = --update ]; then update; exit 0; fi

missing=
for p in "$@"; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || s=
	[ "$s" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

say "missing:$missing"
update
# What apt will do, before it does it: the new packages, and the installed
# ones a missing package needs in a newer version.
apt-get -s install --no-upgrade --no-install-recommends $missing 2>/dev/null | awk '
	/^Inst / { if ($3 ~ /^\[/) up = up " " $2; else add = add " " $2 }
	END {
		if (add != "") print "apt-install: adds:" add > "/dev/stderr"
		if (up != "") print "apt-install: upgrades (needed by the above):" up > "/dev/stderr"
	}'
locked apt-get install -y -qq --no-upgrade --no-install-recommends $missing ||
	die "apt-get install failed"
