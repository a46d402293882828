#!/usr/bin/env bash
# Debian packages the workers need: Chromium (camera portal, consent scans), ffmpeg
# (yt-dlp merges, video assembly), espeak-ng (voice), Node and npm (the consent
# engine, installed from package.json). Installs them when run as root; otherwise
# prints the one command to run and fails.
set -euo pipefail
packages=(chromium ffmpeg espeak-ng)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from elsewhere than Debian (its own npm included): any node and npm
# on PATH will do, and Debian's npm package would conflict with such a node.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}. Run this once, then try again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
