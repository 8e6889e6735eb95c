#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time as a meson test (suite 'fuzz').
#   run-fuzz.sh TARGET SEED_DIR DICT|- ARTIFACT_DIR
# libFuzzer writes the inputs it finds into its first corpus directory, so it
# gets a scratch copy of the seeds and the repository stays untouched. Seconds
# per target: MINQING_FUZZ_SECONDS (default 15). A crash is kept as
# ARTIFACT_DIR/<target>-crash-<sha1>; minimise it with
#   TARGET -minimize_crash=1 -runs=100000 ARTIFACT
set -euo pipefail

target=$1 seeds=$2 dict=$3 artifacts=$4
secs=${MINQING_FUZZ_SECONDS:-15}
case $secs in
	'' | *[!0-9]*) echo "MINQING_FUZZ_SECONDS must be whole seconds: '$secs'" >&2; exit 2 ;;
esac
name=$(basename "$target")

scratch=$(mktemp -d "${TMPDIR:-/tmp}/minqing-$name-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp -R "$seeds"/. "$scratch"/
mkdir -p "$artifacts"

args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
      -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1
      -artifact_prefix="$artifacts/$name-")
[ "$dict" = - ] || args+=(-dict="$dict")

# UBSan must stop at the first report for libFuzzer to keep the input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1

# The hard limit is a backstop for a hang outside any one input (start-up,
# corpus loading); the fuzzer's own time limit normally ends the run.
rc=0
timeout -k 10 $((secs + 120)) "$target" "${args[@]}" "$scratch" "$seeds" || rc=$?
if [ "$rc" -ne 0 ]; then
	# meson would take libFuzzer's 77 for "skipped" and 99 for a harness error.
	echo "$name failed (exit $rc); inputs are kept in $artifacts" >&2
	exit 1
fi
