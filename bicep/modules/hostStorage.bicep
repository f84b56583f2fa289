// Storage of the Functions host itself (AzureWebJobsStorage) and of the Flex Consumption deployment package.
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

@description('Container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

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

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

@description('Name of the host storage account.')
output name string = storage.name

@description('Blob endpoint (AzureWebJobsStorage__blobServiceUri, deployment package).')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Queue endpoint (AzureWebJobsStorage__queueServiceUri: blob trigger and durable queues).')
output queueEndpoint string = storage.properties.primaryEndpoints.queue

@description('Table endpoint (AzureWebJobsStorage__tableServiceUri: durable task hub).')
output tableEndpoint string = storage.properties.primaryEndpoints.table
