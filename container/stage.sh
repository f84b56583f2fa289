#!/bin/sh
# Makes the build context of the worker's image in <folder>: the published Functions app in app/ (with the face model,
# its licence and attribution, checked by the Pipeline's build) and this recipe in container/. The deploy hook sends
# that folder to Azure Container Registry (az acr build), which builds the image remotely: no container engine runs here.
#   stage.sh <folder> [dotnet publish arguments...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: stage.sh <folder> [dotnet publish arguments...]}
shift
rm -rf "$out"
mkdir -p "$out/container"
dotnet publish "$root/functions/OneValet.Functions/OneValet.Functions.csproj" -c Release -o "$out/app" -nologo "$@"
cp "$root/container/Dockerfile" "$root/container/versions.env" "$root/container/install-ffmpeg.sh" "$root/container/check-image.sh" "$out/container/"
echo "stage: $out"
