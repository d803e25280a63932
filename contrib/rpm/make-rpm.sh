#!/bin/sh
# make-rpm.sh: build the wazuh-k8s-audit RPMs with rpmbuild (`make rpm`).
#
#   contrib/rpm/make-rpm.sh SRCDIR OUTDIR DIST_TARBALL [RSYSLOG_SRC CIVETWEB_SRC]
#
# RSYSLOG_SRC / CIVETWEB_SRC: unpacked source trees of the installed rsyslog's
# release and of civetweb (default: what `make deb` fetched into
# ../_build-deb/sources, on Debian). On an RPM system: unpack
# `dnf download --source rsyslog` and civetweb 1.15 and pass them.
# Where the build dependencies are not in the RPM database (rpmbuild on
# Debian), rpmbuild runs with --nodeps.
set -eu

die() { echo "make-rpm: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: $0 SRCDIR OUTDIR DIST_TARBALL [RSYSLOG_SRC CIVETWEB_SRC]"
command -v rpmbuild >/dev/null 2>&1 || die "rpmbuild not found"
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
tarball=$3
rs_ver=$(rsyslogd -v 2>/dev/null | awk 'NR == 1 { print $2 }')
[ -n "$rs_ver" ] || die "rsyslogd is not installed"
rs_src=${4:-$out/../_build-deb/sources/rsyslog-$rs_ver}
cw_src=${5:-$out/../_build-deb/sources/civetweb}
[ -f "$rs_src/contrib/imhttp/imhttp.c" ] || die "$rs_src: no rsyslog $rs_ver source tree (make deb fetches one on Debian)"
[ -f "$cw_src/src/civetweb.c" ] || die "$cw_src: no civetweb source tree"

mkdir -p "$out/SOURCES" "$out/SPECS"
cp "$tarball" "$out/SOURCES/"
tar -C "$(dirname "$rs_src")" --transform "s|^$(basename "$rs_src")|rsyslog-$rs_ver|" -czf "$out/SOURCES/rsyslog-$rs_ver.tar.gz" "$(basename "$rs_src")"
tar -C "$(dirname "$cw_src")" --transform "s|^$(basename "$cw_src")|civetweb|" -czf "$out/SOURCES/civetweb.tar.gz" "$(basename "$cw_src")"
cp "$src/contrib/rpm/wazuh-k8s-audit.spec" "$out/SPECS/"
case $(rpm --eval '%{?systemd_post:yes}') in
yes) ;;
*) echo "make-rpm: no systemd RPM macros here (systemd-rpm-macros): the service scriptlets stay unexpanded; build on the target distribution for RPMs to install" >&2 ;;
esac
nodeps=
rpm -q rsyslog >/dev/null 2>&1 || nodeps=--nodeps
rpmbuild -bb $nodeps --define "_topdir $out" --define "rs_ver $rs_ver" \
	"$out/SPECS/wazuh-k8s-audit.spec" > "$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; die "rpmbuild failed, see $out/build.log"; }
find "$out/RPMS" -name '*.rpm' -print
