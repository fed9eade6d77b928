#!/usr/bin/env bash
# PostgreSQL's programs for the tests, which start their own server in a temporary folder
# (tests/pgserver.py). Idempotent: installs Debian's package only when initdb is missing.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL is missing: run 'sudo apt-get install -y postgresql'" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
echo "installed: PostgreSQL"
