#!/usr/bin/env bash
# Installs everything the local host, the tests and the benchmarks need on a fresh Debian machine
# with the .NET SDK and Node.js: the emulators and the SMTP catcher (from infra/package-lock.json) and the apt packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -x node_modules/.bin/azurite ] || [ ! -x node_modules/.bin/cosmosdb-server ] || [ ! -x node_modules/.bin/maildev ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
