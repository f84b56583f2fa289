// The Event Grid system topic of the data storage account: the source of BlobCreated events for ingestion
// (REFERENCE: the polling blob trigger lags and can miss blobs; the Event Grid source is the reliable one).
// The subscription that delivers those events to the IngestRecording function is NOT made here: its webhook URL needs
// the Functions host's `blobs_extension` system key, which exists only once the app's code runs. It is deployed after
// the image by the azd postprovision hook (hooks/postprovision.sh -> hooks/subscribe-ingestion.sh -> blobSubscription.bicep).
// The topic has a system-assigned identity so that the subscription can dead-letter undeliverable events into the data
// account with an Entra token (no storage key); rbac.bicep grants it access to that one container.

@description('Name of the system topic.')
param name string

@description('Azure region (the storage account\'s).')
param location string

@description('Tags for every resource.')
param tags object

@description('Name of the storage account whose events the topic publishes.')
param storageAccountName string

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

@description('Name of the system topic (hooks/subscribe-ingestion.sh subscribes to it).')
output name string = topic.name

@description('Object id of the topic\'s identity (dead-lettering).')
output principalId string = topic.identity.principalId
