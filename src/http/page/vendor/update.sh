#!/usr/bin/env bash
# Refreshes vendor/ from npm: installs exactly what package-lock.json pins (integrity-checked by npm) in a
# temporary directory and copies the decoder and its licence here. Run after changing package.json:
#   npm install --package-lock-only --ignore-scripts && vendor/update.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
cp "$work/node_modules/jsqr/dist/jsQR.js" vendor/jsQR.js
cp "$work/node_modules/jsqr/LICENSE" vendor/jsQR.LICENSE
echo "vendor/ now holds jsqr $(node -p "require('$work/node_modules/jsqr/package.json').version")"
