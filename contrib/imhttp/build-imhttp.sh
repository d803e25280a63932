#!/bin/sh
# build-imhttp.sh: build rsyslog's imhttp input module, with our patch
# (imhttp-k8s.patch) and civetweb compiled in, for the rsyslogd installed here.
#
#   contrib/imhttp/build-imhttp.sh [options]
#
#   -o DIR          copy the built imhttp.so into DIR (tests use a private copy)
#   --install       copy it into rsyslog's module directory (next to omprog.so)
#   -c DIR          cache/build directory (default: $IMHTTP_CACHE, else
#                   /var/cache/wazuh-k8s-audit/imhttp as root, else
#                   ~/.cache/wazuh-k8s-audit/imhttp); a re-run with the same
#                   rsyslog version, patch and script reuses the build
#   --rsyslog-src DIR   use an unpacked rsyslog source tree (e.g. from a
#                   source RPM, see below) instead of `apt-get source`
#   --civetweb-src DIR  same for civetweb
#   --no-apt        never call apt-get (no deb-src entry, no build deps)
#   --check-only    say whether the sources can be had; build nothing
#
# Why build at all: Debian's and Ubuntu's rsyslog packages do not ship imhttp.
# Why civetweb compiled in: Debian 12's libcivetweb1 dlopen()s libssl and calls
# SSL_get_peer_certificate, which OpenSSL 3 removed: rsyslogd crashes on the
# first TLS connection. Built from source with -DNO_SSL_DL -DOPENSSL_API_3_0 it
# links OpenSSL 3 properly; -DNO_CGI and -DNO_FILES leave out the CGI and file
# server (imhttp needs neither; with NO_FILES civetweb even refuses to start if
# a document root is configured).
# Why the same upstream version: a module uses rsyslogd's internal structures;
# it must be built from the same release (Debian revisions may differ: the
# +deb12u2 source is not served, a module from +deb12u1 loads into +deb12u2).
# rsyslog is configured with --disable-debug: debug builds change struct
# layouts.
#
# Debian/Ubuntu: the sources come from `apt-get source` run by
# contrib/apt-src.sh with a private apt configuration (deb-src twins of the
# machine's entries, its own lists): no deb-src entry needed, /etc/apt and
# /var/lib/apt untouched. Build dependencies are installed with apt-get
# (libestr-dev libfastjson-dev zlib1g-dev uuid-dev libaprutil1-dev libssl-dev
# pkg-config bison flex make gcc dpkg-dev).
#
# Rocky/RHEL (not automated, untested here):
#   dnf install -y dnf-plugins-core rpm-build && dnf builddep -y rsyslog
#   dnf download --source rsyslog-$(rpm -q --qf '%{VERSION}' rsyslog)
#   rpm2cpio rsyslog-*.src.rpm | cpio -idm && tar xf rsyslog-*.tar.gz
#   (apply the distribution's own patches from rsyslog.spec if you want them)
#   civetweb: not in RHEL; unpack the civetweb 1.15 release tarball.
#   dnf install -y apr-util-devel openssl-devel libestr-devel libfastjson-devel
#   build-imhttp.sh --no-apt --rsyslog-src ./rsyslog-X --civetweb-src ./civetweb-1.15 --install
set -eu

here=$(cd "$(dirname "$0")" && pwd)
patchfile=$here/imhttp-k8s.patch
outdir=
install=no
use_apt=yes
check_only=no
rs_src=
cw_src=
if [ -n "${IMHTTP_CACHE:-}" ]; then cache=$IMHTTP_CACHE
elif [ "$(id -u)" = 0 ]; then cache=/var/cache/wazuh-k8s-audit/imhttp
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/wazuh-k8s-audit/imhttp
fi

die() { echo "build-imhttp: $*" >&2; exit 1; }
say() { echo "build-imhttp: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	-o) outdir=${2:?-o needs a directory}; shift ;;
	--install) install=yes ;;
	-c) cache=${2:?-c needs a directory}; shift ;;
	--rsyslog-src) rs_src=${2:?}; shift ;;
	--civetweb-src) cw_src=${2:?}; shift ;;
	--no-apt) use_apt=no ;;
	--check-only) check_only=yes ;;
	-h|--help) sed -n '2,50p' "$0"; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done

# --- which rsyslog is installed -------------------------------------------
command -v rsyslogd >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
command -v rsyslogd >/dev/null 2>&1 || die "rsyslogd is not installed (apt-get install rsyslog)"
rs_ver=$(rsyslogd -v 2>/dev/null | awk 'NR == 1 { print $2 }')
case $rs_ver in [0-9]*.[0-9]*) ;; *) die "cannot read rsyslogd's version from 'rsyslogd -v'" ;; esac

moddir=
for d in /usr/lib/*/rsyslog /usr/lib64/rsyslog /usr/lib/rsyslog; do
	[ -e "$d/omprog.so" ] && { moddir=$d; break; }
done

# The cache key: what the build depends on (this script from its build
# section on, the patch), not how the sources are fetched.
key=$( (sed -n '/^# --- build dependencies/,$p' "$0"; cat "$patchfile") | sha256sum | cut -c1-12)
work=$cache/rsyslog-$rs_ver-$key
so=$work/imhttp.so

deliver() {
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir"
		cp "$so" "$outdir/imhttp.so.tmp" && mv "$outdir/imhttp.so.tmp" "$outdir/imhttp.so"
		say "imhttp.so for rsyslog $rs_ver in $outdir"
	fi
	if [ "$install" = yes ]; then
		[ -n "$moddir" ] || die "rsyslog's module directory (with omprog.so) not found"
		install -m 0644 "$so" "$moddir/imhttp.so"
		say "installed $moddir/imhttp.so"
	fi
	[ -n "$outdir" ] || [ "$install" = yes ] || say "built $so (use -o DIR or --install)"
}

if [ -s "$so" ] && [ "$check_only" = no ]; then
	say "cached build for rsyslog $rs_ver: $so"
	deliver
	exit 0
fi

# --- sources -------------------------------------------------------------
# contrib/apt-src.sh fetches them through a private apt configuration: no
# deb-src entry needed, /etc/apt untouched.
aptsrc() { sh "$here/../apt-src.sh" "$@"; }
mkdir -p "$work"
cd "$work"
if [ -z "$rs_src" ] || [ -z "$cw_src" ]; then
	[ "$use_apt" = yes ] || die "--no-apt given: pass --rsyslog-src DIR and --civetweb-src DIR"
	command -v apt-get >/dev/null 2>&1 || die "no apt-get here: pass --rsyslog-src DIR (see --help for RPM systems)"
fi
if [ "$check_only" = yes ]; then
	[ -n "$rs_src" ] || [ -n "$(aptsrc versions rsyslog "$rs_ver")" ] ||
		die "apt serves no rsyslog source of version $rs_ver (a module must be built from the installed upstream version)"
	[ -n "$cw_src" ] || [ -n "$(aptsrc versions civetweb)" ] || die "apt serves no civetweb source"
	say "sources available"
	exit 0
fi
if [ -z "$rs_src" ]; then
	[ -d rsyslog-src ] || aptsrc fetch rsyslog "$work/rsyslog-src" "$rs_ver" || die "no rsyslog $rs_ver source"
	rs_src=$work/rsyslog-src
fi
if [ -z "$cw_src" ]; then
	[ -d civetweb-src ] || aptsrc fetch civetweb "$work/civetweb-src" || die "no civetweb source"
	cw_src=$work/civetweb-src
fi

[ -f "$rs_src/contrib/imhttp/imhttp.c" ] || die "$rs_src is not an rsyslog source tree"
[ -f "$cw_src/src/civetweb.c" ] || die "$cw_src is not a civetweb source tree"
src_ver=$(sed -n 's/^AC_INIT(\[rsyslog\],\[\([^]]*\)\].*/\1/p' "$rs_src/configure.ac")
[ "$src_ver" = "$rs_ver" ] || die "source tree is rsyslog $src_ver but rsyslogd $rs_ver is installed: refusing"

# --- build dependencies --------------------------------------------------
if ! pkg-config --exists apr-util-1 libestr libfastjson zlib uuid openssl 2>/dev/null ||
   ! command -v gcc >/dev/null || ! command -v make >/dev/null; then
	[ "$use_apt" = yes ] && [ "$(id -u)" = 0 ] || die "build dependencies missing: apr-util, libestr, libfastjson, zlib, uuid, openssl dev packages, pkg-config, gcc, make"
	say "installing build dependencies"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		libestr-dev libfastjson-dev zlib1g-dev uuid-dev libaprutil1-dev libssl-dev \
		pkg-config bison flex make gcc libc6-dev dpkg-dev >/dev/null || die "apt-get install of build dependencies failed"
fi

# --- build ---------------------------------------------------------------
# A private copy of imhttp's directory gets the patch; the tree itself is only
# configured (config.h, Makefiles), never built: imhttp needs headers only.
cd "$rs_src"
if [ ! -f config.status ]; then
	say "configuring rsyslog $rs_ver (takes a minute or two)"
	./configure -q --enable-imhttp --disable-debug --disable-generate-man-pages \
		--disable-libgcrypt --disable-fmhttp --disable-liblogging-stdlog \
		CPPFLAGS="-I$cw_src/include" > "$work/configure.log" 2>&1 ||
		die "configure failed, see $work/configure.log"
fi
cd contrib/imhttp
if [ ! -f imhttp.c.orig ]; then cp imhttp.c imhttp.c.orig; fi
cp imhttp.c.orig imhttp.c
patch -s -p3 < "$patchfile" || die "$patchfile does not apply to rsyslog $rs_ver"
rm -f civetweb.lo imhttp.la
say "compiling civetweb and imhttp"
../../libtool --quiet --tag=CC --mode=compile ${CC:-gcc} -O2 -g -fPIC \
	-DNDEBUG -DNO_SSL_DL -DOPENSSL_API_3_0 -DNO_CGI -DNO_FILES -DUSE_IPV6 \
	-I"$cw_src/include" -c "$cw_src/src/civetweb.c" -o civetweb.lo > "$work/build.log" 2>&1 ||
	die "civetweb did not compile, see $work/build.log"
make -s CIVETWEB_LIBS="civetweb.lo -lssl -lcrypto -ldl -lpthread" \
	CPPFLAGS="-I$cw_src/include" >> "$work/build.log" 2>&1 ||
	die "imhttp did not build, see $work/build.log"

# --- check that rsyslogd loads it ----------------------------------------
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cat > "$t/check.conf" <<EOC
module(load="$rs_src/contrib/imhttp/.libs/imhttp.so" ports="127.0.0.1:0")
input(type="imhttp" endpoint="/check")
action(type="omfile" file="$t/out")
EOC
rsyslogd -N1 -f "$t/check.conf" > "$t/n1.log" 2>&1 || { cat "$t/n1.log" >&2; die "rsyslogd $rs_ver does not load the built module"; }
cp .libs/imhttp.so "$so.tmp" && mv "$so.tmp" "$so"
say "built imhttp.so for rsyslog $rs_ver"
deliver
