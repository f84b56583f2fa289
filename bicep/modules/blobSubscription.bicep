// The Event Grid subscription that delivers BlobCreated on recordings/ to the IngestRecording function through the blob
// extension's webhook:
//   https://<app host>/runtime/webhooks/blobs?functionName=Host.Functions.IngestRecording&code=<blobs_extension key>
//
// Deployed on its own, after the image runs, by hooks/subscribe-ingestion.sh (from the azd postprovision hook), not from main.bicep. Why:
// the `blobs_extension` system key is created by the Functions host the first time it starts with the blob extension
// loaded, so it does not exist when `azd provision` runs on a new environment, and Event Grid validates the endpoint
// (a handshake the host answers) when the subscription is created. The Azure-Samples template
// functions-quickstart-dotnet-azd-eventgrid-blob does the same from a postdeploy hook (with `az eventgrid ...
// event-subscription create`); this template does it declaratively, so that the subscription is linted and tested like
// the rest of the infrastructure.
//
// The key is read inside the deployment (listKeys on the host) and written straight into the webhook URL, which Event
// Grid stores write-only (reads return only endpointBaseUrl). It never appears in a parameter, an output, a log or the
// hook's shell.

@description('Name of the Event Grid system topic of the data storage account.')
param systemTopicName string

@description('Name of the Function App.')
param functionAppName string

@description('Name of the function with the Event Grid blob trigger.')
param functionName string = 'IngestRecording'

@description('Container whose new blobs are delivered.')
param recordingsContainerName string = 'recordings'

@description('Name of the data storage account (dead-letter destination).')
param deadLetterStorageName string

@description('Container for undeliverable events.')
param deadLetterContainerName string

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// The host's keys (Microsoft.Web/sites/host has no Bicep type, so it is addressed by id).
var blobsExtensionKey = listKeys('${app.id}/host/default', app.apiVersion).systemKeys.blobs_extension

resource deadLetterStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: deadLetterStorageName
}

resource ingestRecording 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'ingest-recording'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${recordingsContainerName}/'
    }
    // Retried for a day with back-off (the host may be scaling from zero); then dead-lettered, never dropped (O2).
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}
