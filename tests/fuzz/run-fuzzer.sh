#!/bin/sh
# Runs one libFuzzer target as a meson test: on a fresh copy of its kept seed
# corpus (libFuzzer writes what it learns into its corpus folder; the source
# tree must stay as it is), for a bounded time. A crash, leak, timeout or
# out-of-memory makes libFuzzer exit non-zero and so fails the test; the input
# that did it is left in WORK_DIR/artifacts with a command that replays it.
# Usage: run-fuzzer.sh FUZZER SEED_DIR WORK_DIR [libFuzzer options...]
set -eu
fuzzer=$1 seeds=$2 work=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
status=0
# libFuzzer's own default failure status is 77, which meson reads as "skipped".
"$fuzzer" -artifact_prefix="$work/artifacts/" -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
  "$@" "$work/corpus" || status=$?
[ "$status" -eq 77 ] && status=1
if [ "$status" -ne 0 ]; then
  for f in "$work"/artifacts/*; do
    [ -e "$f" ] && echo "fuzz: $(basename "$fuzzer") failed on $f; replay it with: $fuzzer $f" >&2
  done
fi
exit "$status"
