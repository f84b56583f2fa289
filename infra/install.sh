#!/usr/bin/env bash
# Installs everything the local host, the tests and the benchmarks need on a fresh Debian machine
# with the .NET SDK and Node.js: the emulators and the SMTP catcher (from infra/package-lock.json) and the apt packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -x node_modules/.bin/azurite ] || [ ! -x node_modules/.bin/cosmosdb-server ] || [ ! -x node_modules/.bin/maildev ] || [ ! -x node_modules/.bin/redocly ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Faces (step 7). The app needs only ffmpeg (video redaction); its face detector (BlazeFace, ONNX Runtime, SkiaSharp) comes
# from the npm lock above and NuGet, with no OpenCV and no GTK. The TESTS and the benchmark also need OpenCV's Haar
# cascade (opencv-data: the independent verifier of redaction), the sample images (opencv-doc) and the native libraries
# the tests' libOpenCvSharpExtern.so needs (GTK 3 for highgui and what it links: check with `ldd`). Installed only when
# missing; the package lists are refreshed only then.
# The console's browser tests (issue 19) drive Debian's Chromium through Playwright's ExecutablePath (/usr/bin/chromium):
# Playwright's own browser download is never used.
apt_packages=(ffmpeg opencv-data opencv-doc libgtk-3-0 libfreetype6 libharfbuzz0b libdrm2 libatomic1 chromium)
missing=()
for package in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
