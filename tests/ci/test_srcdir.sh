#!/bin/sh
# .ci/srcdir: CI's out-of-tree builds work on a source tree that was
# configured in-tree, so that `./contrib/quickstart.sh && bash .ci/run` (or
# the README's by-hand `./configure`, then .ci/run) passes (issue 16). On a
# scratch copy of the sources, as .ci/run does: configure in-tree; check that
# configure refuses an out-of-tree build of it (the failure users hit); then
# that the tree .ci/srcdir returns configures and builds out of tree. Both of
# its ways: a git work tree (uncommitted changes carried over) and a plain
# tree (a release tarball).
set -u
top=${TOP_SRCDIR:?TOP_SRCDIR unset (run by make check)}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { d=$1; shift; if "$@" >"$t/out" 2>&1; then ok "$d"; else notok "$d"; sed 's/^/# /' "$t/out" | tail -20; fi; }

# pristine DIR: an unconfigured copy of the sources with ./configure.
pristine() {
	mkdir -p "$1"
	tar -C "$top" --exclude='./_build*' --exclude=./.git -cf - . | tar -C "$1" -xf - &&
	chmod -R u+w "$1" &&
	(cd "$1" && { [ ! -f Makefile ] || make -s distclean; } &&
		{ [ -x configure ] || ./autogen.sh; }) >/dev/null 2>&1
}
# refused DIR: configure, run from a build directory, refuses DIR.
refused() {
	mkdir -p "$t/refused" && cd "$t/refused" &&
	! "$1/configure" -q >out 2>&1 && grep -q 'already configured' out
	r=$?; cd "$t"; return $r
}
# builds SRC BUILD: SRC configures and builds the plugin out of tree.
builds() {
	mkdir -p "$2" && cd "$2" && "$1/configure" -q >/dev/null &&
	make -s plugin/wazuh-k8s-audit >/dev/null 2>&1 && [ -x plugin/wazuh-k8s-audit ]
	r=$?; cd "$t"; return $r
}
# in_tree DIR: configure DIR in-tree, as the by-hand steps do.
in_tree() { (cd "$1" && ./configure -q >/dev/null); }

if command -v git >/dev/null 2>&1; then echo "1..10"; else echo "1..6"; fi

# A plain tree, as from a release tarball.
pristine "$t/plain" || { echo "Bail out! cannot copy $top"; exit 1; }
check "plain tree: .ci/srcdir gives the tree itself while it is not configured" \
	sh -c '[ "$(sh "$1/.ci/srcdir" "$2" "$3")" = "$2" ] && [ ! -e "$3" ]' _ "$top" "$t/plain" "$t/plain-copy"
check "plain tree: in-tree ./configure" in_tree "$t/plain"
check "plain tree: configure refuses an out-of-tree build of it" refused "$t/plain"
src=$(sh "$top/.ci/srcdir" "$t/plain" "$t/plain-copy" 2>/dev/null)
check "plain tree: .ci/srcdir gives a copy without config.status" \
	sh -c '[ "$1" = "$2" ] && [ -x "$1/configure" ] && [ ! -e "$1/config.status" ]' _ "$src" "$t/plain-copy"
check "plain tree: the copy builds out of tree" builds "$t/plain-copy" "$t/plain-build"
check "plain tree: the configured tree is left as it was" test -f "$t/plain/config.status"

command -v git >/dev/null 2>&1 || exit 0
# A git work tree with an uncommitted change and a new file.
pristine "$t/git" && (cd "$t/git" && git init -q && git add -A &&
	git -c user.name=t -c user.email=t@t commit -qm t) >/dev/null 2>&1 ||
	{ echo "Bail out! cannot make a git tree"; exit 1; }
echo "uncommitted" >> "$t/git/README.md"
echo "new" > "$t/git/NEW-FILE"
check "git tree: in-tree ./configure" in_tree "$t/git"
check "git tree: configure refuses an out-of-tree build of it" refused "$t/git"
src=$(sh "$top/.ci/srcdir" "$t/git" "$t/git-copy" 2>/dev/null)
check "git tree: the copy has the uncommitted change and the new file, not the build outputs" \
	sh -c '[ "$1" = "$2" ] && tail -n 1 "$1/README.md" | grep -qx uncommitted &&
		[ -f "$1/NEW-FILE" ] && [ ! -e "$1/config.status" ] && [ ! -e "$1/Makefile" ]' _ "$src" "$t/git-copy"
bootstrap_builds() { "$1/autogen.sh" >/dev/null 2>&1 && builds "$1" "$2"; }
check "git tree: the copy bootstraps and builds out of tree" \
	bootstrap_builds "$t/git-copy" "$t/git-build"
