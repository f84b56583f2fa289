// Storage of the Functions host itself (AzureWebJobsStorage: keys, leases, blob receipts, the durable task hub).
// Kept apart from the data account on purpose: the host needs Storage Blob Data Owner on its storage (it creates its
// own containers for keys, leases, blob receipts and the durable task hub), and that role must not reach recordings.
// Holds no personal data: orchestrations get ids only (REFERENCE, Durable Functions facts).

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Private network (main.bicep privateNetwork): public network access off; reached through a private endpoint.')
param privateNetwork bool = false

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetwork ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

@description('Name of the host storage account.')
output name string = storage.name

@description('Blob endpoint (AzureWebJobsStorage__blobServiceUri).')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Queue endpoint (AzureWebJobsStorage__queueServiceUri: blob trigger and durable queues).')
output queueEndpoint string = storage.properties.primaryEndpoints.queue

@description('Table endpoint (AzureWebJobsStorage__tableServiceUri: durable task hub).')
output tableEndpoint string = storage.properties.primaryEndpoints.table
