#!/usr/bin/env bash
# Install Azurite 3 (the Azure Storage emulator used by tests/etl_generator/cloud/test_azure.py)
# into .cache/node/ when Node and npm are present. Idempotent; exits 0 without Node (the Azure
# tests then skip locally, and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.cache/node
BIN="$DEST/node_modules/.bin/azurite-blob"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-azurite: node/npm not found; skipping (Azure tests will skip, or fail under CI=true)"
    exit 0
fi
if [ -x "$BIN" ]; then
    version=$(node -p "require('./$DEST/node_modules/azurite/package.json').version" 2>/dev/null || echo "?")
    echo "install-azurite: azurite $version already installed in $DEST"
    exit 0
fi
mkdir -p "$DEST"
[ -f "$DEST/package.json" ] || echo '{"private": true}' > "$DEST/package.json"
echo "install-azurite: installing azurite@3 into $DEST (npm install)..."
npm install --prefix "$DEST" --no-audit --no-fund --loglevel=error "azurite@3"
version=$(node -p "require('./$DEST/node_modules/azurite/package.json').version")
echo "install-azurite: installed azurite $version ($BIN)"
