#!/bin/sh
# Build the fuzz targets with clang's libFuzzer (ASan + UBSan) and run each
# for a bounded time (FUZZ_SECONDS, default 60) from the corpus events:
#   fuzz_shape     shaping of any JSON object under fuzzed limits;
#   fuzz_fastpath  the fast path against the reference path, line by line.
# TAP, per target: it builds, then its run finds nothing.  Skipped only
# without clang.  A finding's input is copied to TOP_BUILDDIR (or .).
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=${CORPUS:-$top/tests/corpus/k8s-audit}
secs=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}

echo "1..4"
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "ok 1 - build fuzz_shape # SKIP clang is not installed"
	echo "ok 2 - fuzz shaping # SKIP clang is not installed"
	echo "ok 3 - build fuzz_fastpath # SKIP clang is not installed"
	echo "ok 4 - fuzz the fast path against the reference # SKIP clang is not installed"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
failed=0

p=$top/plugin
incs=
for d in "$p" "$p"/*/; do incs="$incs -I${d%/}"; done
shape_src="$p/redact/cred.c $p/redact/fingerprint.c $p/shape/k8sobj.c
  $p/derive/pick.c $p/derive/derive.c $p/derive/derive_pod.c $p/derive/derive_rbac.c
  $p/derive/derive_exec.c $p/derive/derive_service.c
  $p/derive/derive_configmap.c $p/redact/redact.c $p/redact/redact_text.c
  $p/redact/redact_exec.c $p/shape/fit.c $p/shape/shape.c $p/json/needles.c
  $p/json/jsonout.c $p/json/jsonspan.c $p/json/jsonscan.c $p/json/base64.c
  $p/shape/head.c"
fast_src="$shape_src $p/shape/fastpath.c $p/shape/prune.c $p/frame/eventlist.c"

# build NAME SOURCES: tests/fuzz/NAME.c with SOURCES into $work/NAME/fuzz.
build() {
	mkdir "$work/$1"
	# shellcheck disable=SC2046,SC2086
	"$CLANG" -g -O1 -std=c11 -D_GNU_SOURCE $incs \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(pkg-config --cflags jansson libcrypto) "$top/tests/fuzz/$1.c" $2 \
	    $(pkg-config --libs jansson libcrypto) -o "$work/$1/fuzz" \
	    >"$work/$1/build.log" 2>&1
}

# run TAPNUM NAME WHAT NSEEDS: fuzz $work/NAME/fuzz from $work/NAME/seeds.
run() {
	rd=$work/$2
	mkdir "$rd/found"
	start=$(date +%s)
	"$rd/fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -dict="$top/tests/fuzz/shape.dict" -print_final_stats=1 \
	    -artifact_prefix="$rd/" "$rd/found" "$rd/seeds" >"$rd/run.log" 2>&1
	rc=$?
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$rd/run.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$rd/run.log")
	if [ "$rc" -eq 0 ]; then
		echo "ok $1 - $3: ${execs:-?} executions (${rate:-?}/s) in" \
		    "$((end - start)) s from $4 seeds, no finding"
		return 0
	fi
	echo "not ok $1 - $3 found a problem (exit $rc)"
	tail -n 60 "$rd/run.log" | sed 's/^/# /'
	for a in "$rd"/crash-* "$rd"/leak-* "$rd"/timeout-* "$rd"/oom-*; do
		[ -f "$a" ] || continue
		keep=${TOP_BUILDDIR:-.}/$2-$(basename "$a")
		cp "$a" "$keep" && echo "# input kept as $keep"
	done
	return 1
}

# fuzz_shape.  Seeds: every corpus event on its own, behind two bytes of
# limits.
if build fuzz_shape "$shape_src"; then
	echo "ok 1 - build fuzz_shape with $CLANG -fsanitize=fuzzer,address,undefined"
	mkdir "$work/fuzz_shape/seeds"
	n=0
	for f in "$corpus"/*.json "$corpus"/*.jsonl; do
		[ -f "$f" ] || continue
		case $f in
		*.jsonl)
			# The last line may lack its newline.
			while IFS= read -r line || [ -n "$line" ]; do
				n=$((n + 1))
				{ printf '\377\000'; printf '%s' "$line"; } \
				    >"$work/fuzz_shape/seeds/s$n"
				n=$((n + 1))
				{ printf '\010\377'; printf '%s' "$line"; } \
				    >"$work/fuzz_shape/seeds/s$n"
			done <"$f" ;;
		*)
			n=$((n + 1))
			{ printf '\377\000'; cat "$f"; } >"$work/fuzz_shape/seeds/s$n" ;;
		esac
	done
	run 2 fuzz_shape "fuzz shaping" "$n" || failed=1
else
	echo "not ok 1 - build fuzz_shape"
	sed 's/^/# /' "$work/fuzz_shape/build.log"
	echo "not ok 2 - fuzz shaping # not built"
	failed=1
fi

# fuzz_fastpath.  Seeds, written by the target's seed writer: each corpus
# file as it is, each line of a JSON lines file as it is, and each event as
# jansson renders it compact, alone and as an EventList of one.
d=$work/fuzz_fastpath
# shellcheck disable=SC2046
if build fuzz_fastpath "$fast_src" &&
    "$CLANG" -O1 -std=c11 -D_GNU_SOURCE -DFUZZ_FASTPATH_SEEDS \
    $(pkg-config --cflags jansson) "$top/tests/fuzz/fuzz_fastpath.c" \
    $(pkg-config --libs jansson) -o "$d/seed-writer" >>"$d/build.log" 2>&1
then
	echo "ok 3 - build fuzz_fastpath with $CLANG -fsanitize=fuzzer,address,undefined"
	mkdir "$d/seeds"
	set --
	for f in "$corpus"/*.json "$corpus"/*.jsonl; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	if n=$("$d/seed-writer" "$d/seeds" "$@" 2>"$d/seeds.log"); then
		run 4 fuzz_fastpath "fuzz the fast path against the reference" \
		    "$n" || failed=1
	else
		echo "not ok 4 - fuzz the fast path: cannot write its seeds"
		sed 's/^/# /' "$d/seeds.log"
		failed=1
	fi
else
	echo "not ok 3 - build fuzz_fastpath"
	sed 's/^/# /' "$d/build.log"
	echo "not ok 4 - fuzz the fast path against the reference # not built"
	failed=1
fi
exit "$failed"
