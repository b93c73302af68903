#!/bin/sh
# Installs the MCP servers that the integration test test_mcp.py runs
# (@modelcontextprotocol/server-filesystem and server-everything), at the
# versions pinned in tests/mcp-servers/package-lock.json, into DIR:
#
#   scripts/install-mcp-servers.sh [DIR]
#
# DIR defaults to $SHIFTD_MCP_SERVERS_DIR, else /usr/local/lib/shiftd-mcp-servers,
# which is where test_mcp.py looks. Needs node and npm (Debian: apt-get install
# nodejs npm). Safe to run again: with the same lock file it does nothing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src="$here/../tests/mcp-servers"
dir=${1:-${SHIFTD_MCP_SERVERS_DIR:-/usr/local/lib/shiftd-mcp-servers}}

if ! command -v npm >/dev/null 2>&1; then
  echo "install-mcp-servers.sh: npm is not installed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if [ -f "$dir/node_modules/@modelcontextprotocol/server-everything/package.json" ] &&
  [ -f "$dir/node_modules/@modelcontextprotocol/server-filesystem/package.json" ] &&
  cmp -s "$src/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
mkdir -p "$dir"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
# npm ci: exactly what the lock file says, with its checksums.
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
echo "MCP servers installed in $dir"
