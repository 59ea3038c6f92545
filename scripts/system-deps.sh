#!/usr/bin/env bash
# Install the Debian tools gkarchive uses (config/debian-packages.txt) when run as root with
# apt; otherwise name what is missing. Idempotent: does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t pins < <(grep -Ev '^\s*(#|$)' config/debian-packages.txt)
missing=()
for pin in "${pins[@]}"; do
  name=${pin%%=*}
  if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pin")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages (install them as root): ${missing[*]%%=*}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "pinned versions not available; installing the current ones" >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]%%=*}"
fi
