#!/bin/sh
# The image's check of itself, run while it is built (container/Dockerfile, stage "check") and by the tests on the
# build machine against the same published app:
#   check-image.sh <app folder> <photo with one face>
# 1. ffmpeg and ffprobe are where the app looks (OneValet__Faces__FFmpegFolder, default /usr/bin), with libx264;
# 2. the face model in the published folder has the pinned SHA-256, with its licence and attribution beside it;
# 3. a 1-second 640x360 clip made from the photo is redacted by the published app itself (RedactionSmoke: the worker's
#    FaceRedactor with its own ffmpeg arguments and model path), which must blur a face, and ffprobe reads every frame of
#    the result.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "${VERSIONS_FILE:-$here/versions.env}"
app=${1:?usage: check-image.sh <app folder> <photo>}
photo=${2:?usage: check-image.sh <app folder> <photo>}
ff=${OneValet__Faces__FFmpegFolder:-/usr/bin}
dotnet=${DOTNET:-dotnet}

fail() { echo "check-image: $*" >&2; exit 1; }

[ -x "$ff/ffmpeg" ] || fail "no ffmpeg in $ff"
[ -x "$ff/ffprobe" ] || fail "no ffprobe in $ff"
"$ff/ffmpeg" -hide_banner -version | head -n 1
"$ff/ffprobe" -hide_banner -version | head -n 1
"$ff/ffmpeg" -hide_banner -encoders 2>/dev/null | grep -q ' libx264 ' || fail "ffmpeg has no libx264 encoder"

model="$app/$MODEL_FILE"
[ -f "$model" ] || fail "no face model at $MODEL_FILE"
actual=$(sha256sum "$model" | cut -d ' ' -f 1)
[ "$actual" = "$MODEL_SHA256" ] || fail "face model SHA-256 is $actual, pinned $MODEL_SHA256"
model_folder=$(dirname "$model")
[ -f "$model_folder/LICENSE" ] && [ -f "$model_folder/NOTICE.md" ] || fail "the model's LICENSE or NOTICE.md is missing"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ff/ffmpeg" -hide_banner -loglevel error -y -loop 1 -framerate 25 -i "$photo" -frames:v 25 \
  -vf "scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2" \
  -c:v libx264 -pix_fmt yuv420p "$work/clip.mp4"
"$dotnet" "$app/OneValet.Functions.dll" --redaction-smoke "$work/clip.mp4" "$work/redacted.mp4" || fail "the app did not redact the clip"
frames=$("$ff/ffprobe" -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/redacted.mp4")
[ "$frames" = 25 ] || fail "the redacted clip has $frames frames, not 25"
echo "check-image: ffmpeg, model and redaction OK"
