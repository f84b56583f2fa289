#!/usr/bin/env bash
# Stops the Azurite and the maildev started by start-emulators.sh (their data folders stay).
# Usage: infra/stop-emulators.sh [data-dir]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:-$here/../.azurite}"
for name in azurite maildev; do
  if [ -f "$data/$name.pid" ]; then
    kill "$(cat "$data/$name.pid")" 2>/dev/null || true
    rm -f "$data/$name.pid"
  fi
done
