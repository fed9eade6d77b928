#!/usr/bin/env bash
# Set up .venv/ with the core, the bundled plugins and the test tools. Idempotent: a
# second run only re-checks. Needs python3 (3.11+) with venv; installs nothing system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.lsplug-installed
inputs=$(cat pyproject.toml plugins/*/pyproject.toml | sha1sum | cut -c1-16)
bash scripts/install_editor.sh
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
  exit 0
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
plugins=()
for dir in plugins/*/; do plugins+=(-e "$dir"); done
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]" "${plugins[@]}"
echo "$inputs" > "$stamp"
echo "installed: .venv/bin/lsplug"
