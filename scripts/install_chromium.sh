#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests. Idempotent; needs root and apt.
set -euo pipefail
if command -v chromium >/dev/null || [ -x /usr/bin/chromium ]; then
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
