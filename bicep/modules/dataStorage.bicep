// The data account: what entry consoles upload (recordings), what ingestion sets aside (quarantine), what access
// requests produce (exports) and footage anonymized at its deadline (anonymized: faces blurred). O2, O4, O7, O8.
//
// When is a deletion real? Versioning is on (an overwrite never destroys the earlier bytes silently), so deleting a
// blob turns its current version into a previous version. Then:
//   1. the lifecycle rule below deletes previous versions and snapshots older than `previousVersionDays` (1 by
//      default); lifecycle policies run about once a day, so allow up to 2 more days for that step;
//   2. blob soft delete keeps a deleted version recoverable for `softDeleteRetentionDays` (1 by default: the shortest Azure allows), then it is
//      gone for good.
// So bytes the pipeline deletes at time T are unrecoverable by T + previousVersionDays + 2 days + softDeleteRetentionDays,
// with the defaults T + 1 + 2 + 1 = T + 4 days at the latest.
// A retention sweep that must meet a hard legal deadline (TDPA: 90 days, O4/O5) deletes that much earlier.
// Deleted containers are kept for the same soft-delete period.

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Redundancy. Zone-redundant by default: recordings may be evidence (O6) and are written once.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_ZRS'

@description('Days a deleted blob, version or container stays recoverable. Bounds when a deletion becomes real (see above).')
@minValue(1)
@maxValue(30)
param softDeleteRetentionDays int = 1

@description('Days a previous version (an overwritten or deleted blob) is kept before the lifecycle rule deletes it. Versioning is a guard against accidental overwrites, not an archive: the pipeline cannot delete previous versions itself (Storage Blob Data Contributor lacks deleteBlobVersion), so this bounds them.')
@minValue(1)
@maxValue(30)
param previousVersionDays int = 1

@description('The containers the pipeline uses (recordings, quarantine, exports, anonymized).')
param dataContainerNames string[]

@description('The container refused uploads are moved to (a member of dataContainerNames).')
param quarantineContainerName string

@description('Backstop for quarantine: days after a refused upload was moved there before the lifecycle rule deletes it, whatever the retention engine did. The engine deletes each one by the rule of what it claims to be (at most the TDPA 90 days from its claimed capture or upload for a Facial Entry capture, O4); lifecycle runs about once a day, so 85 + 2 stays inside 90.')
@minValue(1)
@maxValue(88)
param quarantineBackstopDays int = 85

@description('Container where Event Grid writes BlobCreated events it could not deliver (dead letters).')
param deadLetterContainerName string

@description('Queue where the blob trigger puts a blob it failed on 5 times (on the trigger connection\'s account).')
param poisonQueueName string

@description('Private network (main.bicep privateNetwork): only the private endpoint, trusted Azure services (Event Grid dead-lettering) and the entry consoles\' addresses reach the account.')
param privateNetwork bool = false

@description('Public addresses (CIDR) of the buildings\' entry consoles, which upload recordings; with privateNetwork and none listed, consoles must reach the account through the network (VPN).')
param uploadAddressRanges string[] = []

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // With the private network, public access is off unless consoles upload from listed addresses; trusted Azure
    // services (the Event Grid topic's dead-lettering, by its identity) pass either way.
    publicNetworkAccess: privateNetwork && empty(uploadAddressRanges) ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetwork ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
      ipRules: [for range in uploadAddressRanges: { value: range, action: 'Allow' }]
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
      allowPermanentDelete: false
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

resource dataContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for containerName in dataContainerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: storage
  name: 'default'
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = {
  parent: queueService
  name: poisonQueueName
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-previous-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
            }
            actions: {
              version: {
                delete: {
                  daysAfterCreationGreaterThan: previousVersionDays
                }
              }
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: previousVersionDays
                }
              }
            }
          }
        }
        {
          // Backstop for quarantine (O4, O7): a refused upload is deleted by the retention engine under the rule of what
          // it claims to be; should the engine fail, this rule still removes it inside the TDPA period.
          name: 'expire-quarantine'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${quarantineContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: quarantineBackstopDays
                }
              }
            }
          }
        }
        {
          // Dead-lettered events name a blob (building/door/capture ids); kept long enough to replay, then dropped.
          name: 'expire-dead-letters'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${deadLetterContainerName}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: 30
                }
              }
            }
          }
        }
      ]
    }
  }
}

@description('Name of the data storage account.')
output name string = storage.name

@description('Blob endpoint (OneValet:Storage:BlobServiceUri, Recordings__blobServiceUri).')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Queue endpoint (Recordings__queueServiceUri: the blob trigger\'s poison queue).')
output queueEndpoint string = storage.properties.primaryEndpoints.queue
