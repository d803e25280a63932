#!/bin/sh
# apt-src.sh: Debian/Ubuntu source packages on a machine with no deb-src
# entry, without changing the machine's apt configuration or state.
#
#   contrib/apt-src.sh versions NAME [UPSTREAM]
#       the versions of source package NAME apt serves (of upstream version
#       UPSTREAM only, if given), newest first, one a line
#   contrib/apt-src.sh fetch NAME DIR [UPSTREAM]
#       unpack the newest of those that can be downloaded into DIR (which
#       must not exist); older revisions are tried when the newest is not
#       served any more (e.g. +deb12u2 listed, only +deb12u1 on the mirror)
#
# Why private: `apt-get source` needs deb-src entries, which a stock Debian 12
# or Ubuntu LTS does not have. Adding one to /etc/apt changes the admin's
# machine, and removing it again (or any later `apt-get update`) drops the
# Sources indexes. So apt runs here with its own configuration, kept in
# $APT_SRC_CACHE (default /var/cache/wazuh-k8s-audit/apt as root, else
# ~/.cache/wazuh-k8s-audit/apt):
#   sources.list, sources.list.d/twins.sources  a deb-src twin of each of the
#       machine's deb (and deb-src) entries, one-line and deb822 formats
#   lists/, cache/  its own indexes, filled by its own `apt-get update` when
#       the twins change or the indexes are a day old
# Everything else (keys, proxies, apt.conf.d) is the machine's; /etc/apt and
# /var/lib/apt are only read. Needs apt-get, dpkg-source (dpkg-dev), flock.
set -eu

die() { echo "apt-src: $*" >&2; exit 1; }
say() { echo "apt-src: $*" >&2; }

if [ -n "${APT_SRC_CACHE:-}" ]; then c=$APT_SRC_CACHE
elif [ "$(id -u)" = 0 ]; then c=/var/cache/wazuh-k8s-audit/apt
else c=${XDG_CACHE_HOME:-$HOME/.cache}/wazuh-k8s-audit/apt
fi
command -v apt-get >/dev/null 2>&1 || die "no apt-get here"
etc=$(eval "$(apt-config shell E Dir::Etc/d)"; echo "${E%/}")
mkdir -p "$c/sources.list.d" "$c/lists/partial" "$c/cache/archives/partial"
c=$(cd "$c" && pwd)
# One run at a time per cache: apt-get update replaces the lists.
exec 9>"$c/lock"
flock 9

# apt_priv CMD ARGS...: apt-get or apt-cache with the private configuration.
apt_priv() {
	"$@" -o Dir::Etc::SourceList="$c/sources.list" \
		-o Dir::Etc::SourceParts="$c/sources.list.d" \
		-o Dir::State::Lists="$c/lists" -o Dir::Cache="$c/cache"
}

# twins: write the deb-src twins of the machine's entries; refresh the
# private indexes when they changed or are older than a day.
twins() {
	for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] && sed -n 's/^[[:space:]]*deb\(-src\)\{0,1\}\([[:space:]]\)/deb-src\2/p' "$f"
	done | sort -u > "$c/sources.list.new"
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# stanzas are separated by blank lines; only those with a deb type
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		     /(^|\n)Types:[^\n]*(^|[ \t])deb(-src)?([ \t]|\n|$)/ {
		         sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f"
	done > "$c/sources.list.d/twins.sources.new"
	[ -s "$c/sources.list.new" ] || [ -s "$c/sources.list.d/twins.sources.new" ] ||
		die "no deb entry in $etc/sources.list or $etc/sources.list.d: nothing to make deb-src twins of"
	stale=no
	for f in sources.list sources.list.d/twins.sources; do
		cmp -s "$c/$f.new" "$c/$f" || stale=yes
		mv "$c/$f.new" "$c/$f"
	done
	[ -f "$c/updated" ] && [ -z "$(find "$c/updated" -mmin +1440)" ] || stale=yes
	[ "$stale" = yes ] && update
	return 0
}
update() {
	say "fetching source indexes into $c (deb-src twins of the machine's entries)"
	rm -f "$c/updated"
	if apt_priv apt-get update -qq >"$c/update.log" 2>&1; then
		touch "$c/updated"
		return 0
	fi
	# A repository that serves no sources (or is down) must not stop the
	# others: go on; the next run tries again.
	sed 's/^/  /' "$c/update.log" >&2
	say "apt-get update with the private lists in $c reported errors (above): going on"
}

# versions NAME [UPSTREAM]
versions() {
	apt_priv apt-cache showsrc "$1" 2>/dev/null |
		awk -v n="$1" '/^Package:/ { p = $2 } /^Version:/ && p == n { print $2 }' |
		sort -ru | while read -r v; do
			up=$(echo "$v" | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//')
			[ -z "${2:-}" ] || [ "$up" = "$2" ] && echo "$v"
		done
	return 0
}

# fetch NAME DIR [UPSTREAM]
fetch() {
	[ ! -e "$2" ] || die "$2 exists"
	vers=$(versions "$1" "${3:-}")
	[ -n "$vers" ] || die "apt serves no source package $1${3:+ of upstream version $3} (served: $(versions "$1" | tr '\n' ' '))"
	dl=$2.dl
	for v in $vers; do
		rm -rf "$dl" && mkdir -p "$dl"
		if (cd "$dl" && apt_priv apt-get source -qq "$1=$v" >/dev/null 2>&1); then
			mv "$dl/$1"-*/ "$2" && rm -rf "$dl"
			say "source $1 $v in $2"
			return 0
		fi
		say "source $1=$v could not be fetched, trying the next"
	done
	rm -rf "$dl"
	die "no source package $1${3:+ of upstream version $3} could be fetched (listed: $(echo $vers))"
}

case ${1:-} in
versions) [ $# -ge 2 ] || die "usage: $0 versions NAME [UPSTREAM]"; twins; versions "$2" "${3:-}" ;;
fetch) [ $# -ge 3 ] || die "usage: $0 fetch NAME DIR [UPSTREAM]"; twins; fetch "$2" "$3" "${4:-}" ;;
*) die "usage: $0 versions NAME [UPSTREAM] | fetch NAME DIR [UPSTREAM]" ;;
esac
