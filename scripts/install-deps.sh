#!/bin/sh
# Installs what shiftd needs to build and test on Debian 12 (as root), or says
# what is missing (otherwise). Safe to run again: it installs only what is missing.
set -eu

PACKAGES="meson ninja-build pkg-config gcc libc6-dev
libsystemd-dev libcurl4-openssl-dev libglib2.0-dev libglib2.0-bin libjson-glib-dev
libnotify-dev libsqlite3-dev libseccomp-dev bubblewrap
dbus-daemon systemd python3 python3-gi python3-dbusmock gjs util-linux procps tzdata
clang libclang-rt-14-dev llvm scdoc groff-base mandoc"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "shiftd needs these Debian packages:$missing" >&2
  echo "Install them with: sudo apt-get install$missing" >&2
  exit 1
fi
