#!/usr/bin/env bash
# A real Label Studio ML backend for the tests, in its own environment, as a user runs it:
# label-studio-ml 1.0.9 (it imports rq and redis without declaring them). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.cache/lsml-venv
PY=${PYTHON:-python3}
if [ -x "$VENV/bin/label-studio-ml" ]; then
  exit 0
fi
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  'label-studio-ml==1.0.9' 'rq<2' redis
echo "installed: $VENV/bin/label-studio-ml"
