#!/usr/bin/env bash
# README's test command: installs and starts what the tests need, builds the solution (warnings are errors) and runs
# every test. The tests start the servers they talk to (Azurite, the Cosmos-protocol server, the local host) themselves
# when they are not running; starting Azurite here only saves each test run a second.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash infra/install.sh
bash infra/start-emulators.sh "${AZURITE_DATA:-$root/.azurite}"
dotnet build OneValet.Serverless.sln -c Release -nologo -clp:NoSummary
log="$(mktemp)"
set +e
dotnet test OneValet.Serverless.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over the test projects ("N passed, N failed").
awk '/^Total tests: [0-9]+/ { t += $3 }
     /^ +Passed: [0-9]+/ { p += $2 }
     /^ +Failed: [0-9]+/ { f += $2 }
     /^ +Skipped: [0-9]+/ { s += $2 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
