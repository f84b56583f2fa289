#!/bin/sh
# Debian's ffmpeg at the version pinned in versions.env, on the Debian release pinned there.
#   install-ffmpeg.sh install   apt-get installs exactly those packages at exactly that version (the image's build)
#   install-ffmpeg.sh verify    fails unless this system is that release and has exactly that version of each package
# The tests run "verify" on the build machine (Debian bookworm, where the pin was read) and against a wrong pin.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "${VERSIONS_FILE:-$here/versions.env}"

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != "$DEBIAN_CODENAME" ]; then
  echo "install-ffmpeg: the base image is '${VERSION_CODENAME:-unknown}', the pin is for Debian $DEBIAN_CODENAME; change both together." >&2
  exit 1
fi

case "${1:-}" in
  install)
    pinned=""
    for package in $FFMPEG_PACKAGES; do pinned="$pinned $package=$FFMPEG_VERSION"; done
    apt-get update
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pinned
    rm -rf /var/lib/apt/lists/*
    sh "$0" verify
    ;;
  verify)
    for package in $FFMPEG_PACKAGES; do
      installed=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)
      if [ "$installed" != "$FFMPEG_VERSION" ]; then
        echo "install-ffmpeg: $package is '${installed:-not installed}', pinned $FFMPEG_VERSION." >&2
        exit 1
      fi
    done
    echo "install-ffmpeg: Debian $DEBIAN_CODENAME, ffmpeg $FFMPEG_VERSION"
    ;;
  *)
    echo "usage: install-ffmpeg.sh install|verify" >&2
    exit 2
    ;;
esac
