#!/bin/sh
# Installs what shiftd needs to build and test on Debian 12 (as root), or says
# what is missing (otherwise). Safe to run again: it installs only what is missing.
#  - Debian packages (PACKAGES);
#  - node and npm, from Debian, unless an npm is already on PATH;
#  - eslint for the extension's lint test, pinned by extension/lint, in
#    /usr/local/lib/shiftd-eslint (extension/install-eslint.sh; needs the network
#    once, then does nothing);
#  - the MCP servers test_mcp.py runs, pinned by tests/mcp-servers, in
#    /usr/local/lib/shiftd-mcp-servers (scripts/install-mcp-servers.sh; likewise).
set -eu
here=$(cd "$(dirname "$0")" && pwd)

PACKAGES="meson ninja-build pkg-config gcc libc6-dev
libsystemd-dev libcurl4-openssl-dev libglib2.0-dev libglib2.0-bin libjson-glib-dev
libnotify-dev libsqlite3-dev libseccomp-dev bubblewrap
dbus-daemon systemd python3 python3-gi python3-dbusmock gjs util-linux procps tzdata strace
clang libclang-rt-14-dev llvm scdoc groff-base mandoc
librsvg2-common gettext bash-completion zsh
redis-server python3-celery python3-redis"
# With what Debian recommends: the headless Shell test runs against that.
FULL_PACKAGES="gnome-shell"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=""
for p in $PACKAGES; do
  installed "$p" || missing="$missing $p"
done
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
missing_full=""
for p in $FULL_PACKAGES; do
  installed "$p" || missing_full="$missing_full $p"
done

if [ "$(id -u)" -ne 0 ]; then
  if [ -n "$missing$missing_full" ]; then
    echo "shiftd needs these Debian packages:$missing$missing_full" >&2
    echo "Install them with: sudo apt-get install$missing$missing_full" >&2
    exit 1
  fi
  [ -x /usr/local/lib/shiftd-eslint/node_modules/.bin/eslint ] ||
    echo "note: eslint for the extension's lint test is missing: sudo extension/install-eslint.sh" >&2
  [ -f /usr/local/lib/shiftd-mcp-servers/package-lock.json ] ||
    echo "note: the MCP servers for test_mcp.py are missing: sudo scripts/install-mcp-servers.sh" >&2
  exit 0
fi

if [ -n "$missing$missing_full" ]; then
  echo "Installing:$missing$missing_full"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  [ -z "$missing" ] || apt-get install -y -qq --no-install-recommends $missing >/dev/null
  # shellcheck disable=SC2086
  [ -z "$missing_full" ] || apt-get install -y -qq $missing_full >/dev/null
fi
# Without it only the lint test skips (exit 77), so a registry that cannot be
# reached does not stop the build.
"$here/../extension/install-eslint.sh" ||
  echo "warning: eslint was not installed; the test extension-eslint will skip" >&2
"$here/install-mcp-servers.sh" ||
  echo "warning: the MCP servers were not installed; the test mcp will fail" >&2
