#!/usr/bin/env bash
# Install the labeling editor (Label Studio Frontend) from npm, version pinned and checked.
# Idempotent: does nothing when the files are already in place. Needs npm (Node 20).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE=@heartexlabs/label-studio
VERSION=1.4.0
# sha512 of the npm tarball (the registry's "integrity" of this version, in base64).
SHA512=NczF2gDF/Whq7+xI3tYZLrAk8Pq6hacXhYEDmWfHAQIZ0eiieyrMxxHz4KIU7wnagComaGv+QJ2Zc6SBcBmuCg==
DEST=lsplug/static/editor/$VERSION
if [ -f "$DEST/js/main.js" ] && [ -f "$DEST/css/main.css" ] && [ -f "$DEST/LICENSE" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install_editor: npm is needed to fetch $PACKAGE@$VERSION (install Node.js 20)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tarball=$(ls "$work"/*.tgz)
actual=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
if [ "$actual" != "$SHA512" ]; then
  echo "install_editor: $PACKAGE@$VERSION has sha512-$actual, expected sha512-$SHA512" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/build/static package/LICENSE
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp/js" "$DEST.tmp/css"
cp "$work"/package/build/static/js/main.js "$work"/package/build/static/js/main.js.map "$DEST.tmp/js/"
cp "$work"/package/build/static/js/main.js.LICENSE.txt "$DEST.tmp/js/"
cp "$work"/package/build/static/css/main.css "$work"/package/build/static/css/main.css.map "$DEST.tmp/css/"
cp "$work"/package/LICENSE "$DEST.tmp/LICENSE"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "installed: $PACKAGE@$VERSION into $DEST"
