#!/bin/sh
# Build the shaping fuzz target with clang's libFuzzer (ASan + UBSan) and run
# it for a bounded time (FUZZ_SECONDS, default 60) from the corpus events.
# TAP: 1 = it builds, 2 = the run finds nothing.  Skipped only without clang.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=${CORPUS:-$top/tests/corpus/k8s-audit}
secs=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}

echo "1..2"
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "ok 1 - build the fuzz target # SKIP clang is not installed"
	echo "ok 2 - fuzz shaping # SKIP clang is not installed"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz_shape.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

p=$top/plugin
src="$p/cred.c $p/fingerprint.c $p/k8sobj.c $p/derive.c $p/derive_pod.c
  $p/derive_rbac.c $p/derive_exec.c $p/derive_service.c $p/derive_configmap.c
  $p/redact.c $p/redact_text.c $p/fit.c $p/shape.c $p/needles.c"
# shellcheck disable=SC2086
if "$CLANG" -g -O1 -std=c11 -D_GNU_SOURCE -I"$p" \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    $(pkg-config --cflags jansson libcrypto) "$top/tests/fuzz/fuzz_shape.c" $src \
    $(pkg-config --libs jansson libcrypto) -o "$work/fuzz" >"$work/build.log" 2>&1
then
	echo "ok 1 - build the fuzz target with $CLANG -fsanitize=fuzzer,address,undefined"
else
	echo "not ok 1 - build the fuzz target"
	sed 's/^/# /' "$work/build.log"
	echo "not ok 2 - fuzz shaping # not built"
	exit 1
fi

# Seeds: every corpus event on its own, behind two bytes of limits.
mkdir "$work/seeds" "$work/found"
n=0
for f in "$corpus"/*.json "$corpus"/*.jsonl; do
	[ -f "$f" ] || continue
	case $f in
	*.jsonl)
		while IFS= read -r line; do
			n=$((n + 1))
			{ printf '\377\000'; printf '%s' "$line"; } >"$work/seeds/s$n"
			n=$((n + 1))
			{ printf '\010\377'; printf '%s' "$line"; } >"$work/seeds/s$n"
		done <"$f" ;;
	*)
		n=$((n + 1))
		{ printf '\377\000'; cat "$f"; } >"$work/seeds/s$n" ;;
	esac
done

start=$(date +%s)
"$work/fuzz" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -dict="$top/tests/fuzz/shape.dict" -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/found" "$work/seeds" >"$work/run.log" 2>&1
rc=$?
end=$(date +%s)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/run.log")
if [ "$rc" -eq 0 ]; then
	echo "ok 2 - fuzz shaping: ${execs:-?} executions in $((end - start)) s from $n seeds, no finding"
else
	echo "not ok 2 - fuzz shaping found a problem (exit $rc)"
	tail -n 60 "$work/run.log" | sed 's/^/# /'
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -f "$a" ] || continue
		keep=${TOP_BUILDDIR:-.}/$(basename "$a")
		cp "$a" "$keep" && echo "# input kept as $keep"
	done
	exit 1
fi
