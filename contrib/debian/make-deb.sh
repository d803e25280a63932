#!/bin/sh
# make-deb.sh: build the wazuh-k8s-audit and wazuh-k8s-audit-imhttp .debs
# with dpkg-buildpackage (what `make deb` runs).
#
#   contrib/debian/make-deb.sh SRCDIR OUTDIR DIST_TARBALL
#
#   SRCDIR        the source tree (contrib/debian/ becomes the package's debian/)
#   OUTDIR        where the source package, the .debs and the .changes go
#   DIST_TARBALL  `make dist`'s wazuh-k8s-audit-VERSION.tar.xz: the orig tarball
#
# The imhttp module is built from the rsyslog and civetweb source packages of
# this distribution: they are fetched first (apt-get source through
# contrib/apt-src.sh, which needs no deb-src entry and leaves /etc/apt alone)
# into OUTDIR/sources and shipped as the component tarballs orig-rsyslog and
# orig-civetweb, so the package build itself needs no network. rsyslog's
# source must be the installed rsyslog's upstream version.
#
# Environment: DPKG_BUILDPACKAGE_FLAGS (default "-us -uc": source and binary,
# unsigned), IMHTTP_CACHE (see debian/rules), LINTIAN=no to skip lintian.
set -eu

die() { echo "make-deb: $*" >&2; exit 1; }
say() { echo "make-deb: $*" >&2; }

[ $# -eq 3 ] || die "usage: $0 SRCDIR OUTDIR DIST_TARBALL"
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
tarball=$3
[ -f "$tarball" ] || die "$tarball missing (make dist)"
for t in dpkg-buildpackage dh dpkg-source; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install dpkg-dev debhelper)"
done

ver=$(basename "$tarball" | sed -n 's/^wazuh-k8s-audit-\(.*\)\.tar\.xz$/\1/p')
[ -n "$ver" ] || die "$tarball is not wazuh-k8s-audit-VERSION.tar.xz"
debver=$(dpkg-parsechangelog -l "$src/contrib/debian/changelog" -S Version)
case $debver in
"$ver"-*) ;;
*) die "contrib/debian/changelog is at $debver but the source is $ver: add a changelog entry (dch -c contrib/debian/changelog -v $ver-1)" ;;
esac

# --- the rsyslog and civetweb sources ----------------------------------------
rs_ver=$(dpkg-query -W -f='${Version}' rsyslog 2>/dev/null) || die "rsyslog is not installed (the module is built for the installed one)"
rs_up=$(echo "$rs_ver" | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//')
srcs=$out/sources
mkdir -p "$srcs"

# fetch NAME DIR [UPSTREAM]: unpack source package NAME (of upstream version
# UPSTREAM) into $srcs/DIR, through contrib/apt-src.sh's private apt
# configuration: no deb-src entry needed, /etc/apt untouched.
fetch() {
	[ -d "$srcs/$2" ] && return 0
	sh "$src/contrib/apt-src.sh" fetch "$1" "$srcs/$2" ${3:+"$3"} || die "no $1 source package"
}
fetch rsyslog "rsyslog-$rs_up" "$rs_up"
fetch civetweb civetweb

# --- the source tree ------------------------------------------------------------
base=wazuh-k8s-audit_$ver
cp "$tarball" "$out/$base.orig.tar.xz"
# component tarballs: rebuilt only when their source changed
component() {
	t=$out/$base.orig-$1.tar.gz
	if [ ! -s "$t" ] || [ "$srcs/$2" -nt "$t" ]; then
		say "component tarball $(basename "$t")"
		tar -C "$srcs" --transform "s|^$2|$1|" --exclude-vcs --owner=0 --group=0 \
			-czf "$t.tmp" "$2" && mv "$t.tmp" "$t"
	fi
}
component rsyslog "rsyslog-$rs_up"
component civetweb civetweb

tree=$out/wazuh-k8s-audit-$ver
rm -rf "$tree"
tar -C "$out" -xJf "$out/$base.orig.tar.xz"
[ -d "$tree" ] || die "$tarball does not unpack to wazuh-k8s-audit-$ver/"
for c in rsyslog civetweb; do
	mkdir "$tree/$c" && tar -C "$tree/$c" --strip-components=1 -xzf "$out/$base.orig-$c.tar.gz"
done
mkdir "$tree/debian"
(cd "$src/contrib/debian" && tar --exclude=make-deb.sh -cf - .) | tar -C "$tree/debian" -xf -

# --- build ------------------------------------------------------------------------
say "dpkg-buildpackage ${DPKG_BUILDPACKAGE_FLAGS:--us -uc} in $tree"
# shellcheck disable=SC2086
(cd "$tree" && dpkg-buildpackage ${DPKG_BUILDPACKAGE_FLAGS:--us -uc}) > "$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log" >&2; die "dpkg-buildpackage failed, see $out/build.log"; }
arch=$(dpkg --print-architecture)
changes=$(ls -t "$out"/wazuh-k8s-audit_"$(echo "$debver" | sed 's/^[0-9]*://')"_*.changes | head -1)
say "built: $(cd "$out" && ls wazuh-k8s-audit*_"$(echo "$debver" | sed 's/^[0-9]*://')"_"$arch".deb | tr '\n' ' ')"
if [ "${LINTIAN:-yes}" != no ] && command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error "$changes" > "$out/lintian.log" 2>&1 && rc=0 || rc=$?
	cat "$out/lintian.log" >&2
	[ "$rc" -eq 0 ] || die "lintian found errors (see $out/lintian.log)"
	say "lintian: no errors ($(grep -c '^W:' "$out/lintian.log" || true) warnings, see $out/lintian.log)"
fi
