#!/bin/sh
# Builds shiftd and runs the whole test suite (meson test) on private buses.
# Usage: scripts/test.sh [meson test arguments...]
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build
exec meson test -C build --print-errorlogs "$@"
