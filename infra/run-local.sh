#!/usr/bin/env bash
# README's run command: the whole pipeline on this machine, on loopback, with no cloud account.
# Installs the emulators, starts Azurite (data in .azurite/), then the local host (records in .data/) serving
# http://127.0.0.1:7071/api/. Ctrl+C stops the host; Azurite keeps running (infra/stop-emulators.sh stops it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash infra/install.sh
bash infra/start-emulators.sh "$root/.azurite"
exec dotnet run --project functions/OneValet.Local -c Release -- --Local:DataDirectory="$root/.data" "$@"
