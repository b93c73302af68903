#!/bin/sh
# Installs eslint and the plugins that lint the GNOME Shell extension, at the
# versions pinned in extension/lint/package-lock.json, into DIR:
#
#   extension/install-eslint.sh [DIR]
#
# DIR defaults to $SHIFTD_ESLINT_DIR, else /usr/local/lib/shiftd-eslint, which
# is where the meson test extension-eslint looks (it skips, exit 77, when
# eslint is not there). Needs node and npm (Debian: apt-get install nodejs npm).
# Safe to run again: with the same lock file it does nothing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${SHIFTD_ESLINT_DIR:-/usr/local/lib/shiftd-eslint}}

if ! command -v npm >/dev/null 2>&1; then
  echo "install-eslint.sh: npm is not installed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [ -x "$dir/node_modules/.bin/eslint" ] && cmp -s "$here/lint/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
mkdir -p "$dir"
cp "$here/lint/package.json" "$here/lint/package-lock.json" "$dir/"
# npm ci: exactly what the lock file says, with its checksums.
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
echo "eslint installed in $dir: $("$dir/node_modules/.bin/eslint" --version)"
