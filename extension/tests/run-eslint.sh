#!/bin/sh
# meson test extension-eslint: lints the extension (src/ and tests/) with
# eslint and GNOME's conventions (extension/eslint.config.mjs).
#   run-eslint.sh EXTENSION_SOURCE_DIR
# eslint comes from extension/install-eslint.sh: $SHIFTD_ESLINT_DIR, else
# /usr/local/lib/shiftd-eslint. Exit 77 (skipped) when it is not installed.
set -u
src=$1
dir=${SHIFTD_ESLINT_DIR:-/usr/local/lib/shiftd-eslint}
eslint=$dir/node_modules/.bin/eslint
if [ ! -x "$eslint" ]; then
  echo "eslint is not installed in $dir: run extension/install-eslint.sh"
  exit 77
fi
export SHIFTD_ESLINT_DIR="$dir"
cd "$src" || exit 1
"$eslint" --version
exec "$eslint" --config eslint.config.mjs --max-warnings 0 --no-warn-ignored src tests
