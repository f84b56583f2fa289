// Cosmos DB (NoSQL API, serverless): the record store of the Azure host (CosmosRecordStore).
// One container per entry of OneValet.Pipeline.Storage.Containers.All, all partitioned on Containers.PartitionKeyPath
// ('/pk'); a test checks both against the code. Keys are disabled (disableLocalAuth): the app reaches the data plane
// only through its identity's Cosmos SQL role assignment (rbac.bicep), and no one can change databases or containers
// with a key either (disableKeyBasedMetadataWriteAccess).
// Backups: periodic, every 4 hours, each kept 8 hours (the shortest Cosmos allows), so a deleted item is gone from
// backups within about 12 hours (O7: deleted data lingers in backups only as briefly as possible).

@description('Name of the account.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Name of the database (OneValet:Cosmos:DatabaseName).')
param databaseName string

@description('Private network (main.bicep privateNetwork): public network access off; reached through a private endpoint.')
param privateNetwork bool = false

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
    backupPolicy: {
      type: 'Periodic'
      periodicModeProperties: {
        backupIntervalInMinutes: 240
        backupRetentionIntervalInHours: 8
        backupStorageRedundancy: 'Local'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// Catalogue of recordings (O2, O4); partition = building id. Queries are always within one building and filter on
// capture time (GET /buildings/{id}/recordings?from&to); retention sweeps filter on deadline and status. Only those
// paths are indexed, which keeps the RU cost of every ingestion write low (the rest of the document is never queried).
resource recordings 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'recordings'
  properties: {
    resource: {
      id: 'recordings'
      partitionKey: {
        paths: [
          '/pk'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/capturedAt/?'
          }
          {
            path: '/deadline/?'
          }
          {
            path: '/status/?'
          }
          {
            path: '/kind/?'
          }
        ]
        excludedPaths: [
          {
            path: '/*'
          }
        ]
      }
    }
  }
}

// Audit trail (no personal data); partition = UTC day. Default indexing: audits are read rarely and by any field.
resource audit 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'audit'
  properties: {
    resource: {
      id: 'audit'
      partitionKey: {
        paths: [
          '/pk'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/*'
          }
        ]
      }
    }
  }
}

// The other containers (Storage/Containers.cs), partition key /pk, default indexing (each is queried by a few fields):
//   schedule   retention deadlines by due bucket, and the bucket index (partition "buckets")
//   holds      holds (partition "holds")
//   ledger     the deletion ledger (partition = deleted item's partition). Keep it out of any point-in-time restore of the
//              data: restore into a new account, then copy only the data containers back; the live ledger stays.
//   residents  residents, consents, enrollments (partition = resident id)
//   door-events door authentication events (partition = resident id, or building-{id})
//   occupancy  building -> residents (partition = building id), for roommates and breach fan-out
//   deliveries delivery of each notification (partition = campaign)
//   disclosures the sharing ledger (partition = resident id, or building-{id})
//   incidents  breach incidents, kept 24 months (partition = incident id)
//   requests   privacy requests, kept 24 months (partition = request id; subject-{id}, open, dedupe, intake-caps)
//   resident-emails  privacy-request intake's lookup (partition = HMAC-SHA256 of the normalized email, keyed by the
//              Key Vault secret request-secret-key; id = resident id): one point query per request, no building scan
//   devices    the device registry (partition = building id, id = device id; device:{id} holds the device's one building)
var defaultIndexedContainers = [
  'schedule'
  'holds'
  'ledger'
  'residents'
  'door-events'
  'occupancy'
  'deliveries'
  'disclosures'
  'incidents'
  'requests'
  'resident-emails'
  'devices'
]

resource others 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for containerName in defaultIndexedContainers: {
    parent: database
    name: containerName
    properties: {
      resource: {
        id: containerName
        partitionKey: {
          paths: [
            '/pk'
          ]
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: {
          indexingMode: 'consistent'
          automatic: true
          includedPaths: [
            {
              path: '/*'
            }
          ]
        }
      }
    }
  }
]

@description('Name of the account.')
output name string = account.name

@description('Document endpoint (OneValet:Cosmos:AccountEndpoint).')
output endpoint string = account.properties.documentEndpoint

@description('Name of the database.')
output databaseName string = database.name

@description('Names of the containers.')
output containerNames string[] = concat([recordings.name, audit.name], defaultIndexedContainers)
