#!/usr/bin/env bash
# Stops the Azurite started by start-emulators.sh (its data folder stays).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:-$here/../.azurite}"
if [ -f "$data/azurite.pid" ]; then
  kill "$(cat "$data/azurite.pid")" 2>/dev/null || true
  rm -f "$data/azurite.pid"
fi
