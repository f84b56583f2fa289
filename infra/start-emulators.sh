#!/usr/bin/env bash
# Starts the emulators on loopback, each unless something already answers on its port:
#   Azurite (blob 10000, queue 10001, table 10002) with a persistent data folder;
#   maildev, the SMTP catcher (SMTP 1025, web UI and REST API http://127.0.0.1:1080/), keeping the newest 1000 mails
#   in <data-dir>/maildev and relaying nothing anywhere.
# Logs and pid files sit in the data folder. Usage: infra/start-emulators.sh [data-dir]
# The Cosmos-protocol server is started by the tests that need it (it keeps nothing on disk).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:-$here/../.azurite}"
mkdir -p "$data"
chmod 700 "$data" # emulator data (queues with ids, mails with names) is the owner's alone
data="$(cd "$data" && pwd)"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME PORT...: waits up to 10 s until every port answers.
wait_for() {
  local name="$1"; shift
  for _ in $(seq 1 100); do
    local all=1
    for port in "$@"; do listening "$port" || { all=0; break; }; done
    if [ "$all" = 1 ]; then echo "$name: started (pid $(cat "$data/$name.pid"))"; return 0; fi
    sleep 0.1
  done
  echo "$name: did not start; see $data/$name.log" >&2
  return 1
}

if listening 10000; then
  echo "azurite: already listening on 127.0.0.1:10000"
else
  nohup "$here/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --location "$data" >"$data/azurite.log" 2>&1 &
  echo $! >"$data/azurite.pid"
  wait_for azurite 10000 10001 10002
fi

if listening 1025; then
  echo "maildev: already listening on 127.0.0.1:1025"
else
  # Run from the data folder: maildev reads a config file from its working directory and the folders above it.
  (cd "$data" && exec nohup "$here/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp 1025 --web-ip 127.0.0.1 --web 1080 \
    --mail-directory "$data/maildev" --max-emails 1000 >"$data/maildev.log" 2>&1) &
  echo $! >"$data/maildev.pid"
  wait_for maildev 1025 1080
fi
