#!/bin/sh
# azd postprovision hook (azd up, azd provision; the deploy workflow runs azd provision): puts the code in Azure.
#  1. stages the worker's image context: the published Functions app (the release flavour when ServiceBusExtension=true is
#     in the environment, as in the workflow) and the recipe (container/stage.sh);
#  2. has Azure Container Registry build the image remotely (az acr build): no container engine runs here. The
#     Dockerfile's check stage redacts a clip with the published app, Debian's ffmpeg and the model before the image
#     exists (container/check-image.sh), so a broken image is never pushed;
#  3. restarts the Function App, which already names this tag (main.bicep imageTag), so that it pulls the new image with
#     its identity (AcrPull);
#  4. subscribes IngestRecording to BlobCreated (subscribe-ingestion.sh), which needs the host running.
# Needs the Azure CLI signed in to the same subscription as azd (the deploy workflow signs in both) and the .NET SDK.
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME AZURE_CONTAINER_REGISTRY_NAME FUNCTIONS_IMAGE; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postprovision: $name is not set; run through azd (azd up / azd provision)." >&2
    exit 1
  fi
done
if ! command -v az >/dev/null 2>&1; then
  echo "postprovision: the Azure CLI (az) is required to build the image and subscribe to blob events." >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sh "$root/container/stage.sh" "$work/image"
az acr build \
  --registry "$AZURE_CONTAINER_REGISTRY_NAME" \
  --image "$FUNCTIONS_IMAGE" \
  --file "$work/image/container/Dockerfile" \
  --only-show-errors \
  "$work/image"
az functionapp restart --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" --only-show-errors
sh "$here/subscribe-ingestion.sh"
