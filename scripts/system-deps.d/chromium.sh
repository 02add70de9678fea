#!/usr/bin/env bash
# Debian's chromium for the browser tests (HTML drift reports), driven by Playwright for
# Python with executable_path=/usr/bin/chromium. Never `playwright install`: the browser
# comes from the distribution's package, updated with the system.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium
