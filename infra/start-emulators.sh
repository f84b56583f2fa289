#!/usr/bin/env bash
# Starts Azurite (blob 10000, queue 10001, table 10002) on loopback with a persistent data folder,
# unless one already answers. Usage: infra/start-emulators.sh [data-dir]
# The Cosmos-protocol server is started by the tests that need it (it keeps nothing on disk).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:-$here/../.azurite}"
mkdir -p "$data"
if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
  echo "azurite: already listening on 127.0.0.1:10000"
  exit 0
fi
nohup "$here/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --location "$data" >"$data/azurite.log" 2>&1 &
echo $! >"$data/azurite.pid"
for _ in $(seq 1 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then echo "azurite: started (pid $(cat "$data/azurite.pid"))"; exit 0; fi
  sleep 0.1
done
echo "azurite: did not start; see $data/azurite.log" >&2
exit 1
