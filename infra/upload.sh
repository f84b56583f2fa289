#!/usr/bin/env bash
# Uploads a file to the local recordings container as an entry console would.
# Usage: infra/upload.sh FILE BUILDING/DOOR/CAPTURE.mp4|jpg [--kind surveillance|facial-entry] [--device ID] [--captured ISO-8601]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec dotnet run --project "$root/functions/OneValet.Local" -c Release -- upload "$@"
