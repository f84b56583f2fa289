#!/bin/sh
# Subscribes IngestRecording to BlobCreated on recordings/ (modules/blobSubscription.bicep).
#
# Run by postprovision.sh after the image is built and the app restarted on it, because the subscription's webhook needs the Functions host's blobs_extension
# system key, which the host creates only when it first runs with the blob extension (the Azure-Samples template
# functions-quickstart-dotnet-azd-eventgrid-blob subscribes from its postdeploy hook for the same reason).
# The key is never read here: this script only asks whether it exists; the template reads it inside the deployment.
# Needs the Azure CLI, signed in to the same subscription as azd (the deploy workflow signs in both).
# Idempotent: a second run updates the same subscription.
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME SERVICE_FUNCTIONS_URI EVENTGRID_SYSTEM_TOPIC_NAME \
  RECORDINGS_CONTAINER_NAME AZURE_STORAGE_ACCOUNT_NAME EVENTGRID_DEADLETTER_CONTAINER_NAME; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "subscribe-ingestion: $name is not set; run through azd (azd up / azd provision), which runs postprovision.sh." >&2
    exit 1
  fi
done
if ! command -v az >/dev/null 2>&1; then
  echo "subscribe-ingestion: the Azure CLI (az) is required to create the Event Grid subscription." >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)

# The host creates the key on start; a request wakes an app that scaled to zero. Up to 5 minutes.
attempt=0
until [ "$(az functionapp keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --query 'systemKeys.blobs_extension != null' --output tsv 2>/dev/null || true)" = "true" ]; do
  attempt=$((attempt + 1))
  if [ "$attempt" -gt 30 ]; then
    echo "subscribe-ingestion: the blobs_extension system key did not appear; is IngestRecording deployed and the host running?" >&2
    exit 1
  fi
  curl --silent --output /dev/null --max-time 10 "$SERVICE_FUNCTIONS_URI/api/health" || true
  sleep 10
done

az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name ingest-recording-subscription \
  --template-file "$here/../modules/blobSubscription.bicep" \
  --parameters \
    systemTopicName="$EVENTGRID_SYSTEM_TOPIC_NAME" \
    functionAppName="$AZURE_FUNCTION_APP_NAME" \
    recordingsContainerName="$RECORDINGS_CONTAINER_NAME" \
    deadLetterStorageName="$AZURE_STORAGE_ACCOUNT_NAME" \
    deadLetterContainerName="$EVENTGRID_DEADLETTER_CONTAINER_NAME" \
  --only-show-errors --output none
echo "subscribe-ingestion: IngestRecording subscribed to BlobCreated on $RECORDINGS_CONTAINER_NAME/."
