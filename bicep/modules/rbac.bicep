// Every role assignment of the deployment, in one place to review. Least privilege, on the narrowest scope that works:
//
// | principal            | role                                   | scope                                        | why |
// |----------------------|----------------------------------------|----------------------------------------------|-----|
// | app identity         | Storage Blob Data Owner                | host storage account                         | Functions host storage (keys, leases, receipts, containers it creates), deployment package |
// | app identity         | Storage Queue Data Contributor         | host storage account                         | blob trigger's internal queues, durable control and work-item queues |
// | app identity         | Storage Table Data Contributor         | host storage account                         | durable task hub (history, instances) |
// | app identity         | Storage Blob Data Contributor          | each data container (recordings, quarantine, exports, anonymized, facial-references) | read, write, delete what the pipeline owns; nothing else in the account |
// | app identity         | Storage Queue Data Contributor         | the data account's blob-trigger poison queue | failed blobs' messages (Connection = "Recordings") |
// | app identity         | Storage Blob Delegator                 | data storage account                         | GetUserDelegationKey for export links (O8); the key signs SAS no wider than the identity's own data rights |
// | app identity         | Azure Service Bus Data Sender          | Service Bus namespace                        | send to the queues |
// | app identity         | Azure Service Bus Data Receiver        | Service Bus namespace                        | receive from the queues |
// | app identity         | Key Vault Secrets User                 | vault                                        | read secrets; no writes, no keys |
// | app identity         | Monitoring Metrics Publisher           | Application Insights component               | Entra-authenticated telemetry (local auth is off) |
// | app identity         | Cosmos DB Built-in Data Contributor    | database onevalet (SQL role)                 | read and write items; no account or container management |
// | app identity         | Cognitive Services User                | the Azure AI Face account                    | Facial Entry: enroll (persons, faces, training), detect, identify; keys are off |
// | app identity         | AcrPull                                | the container registry                       | pull the worker's image (no admin user, no anonymous pull) |
// | Event Grid topic     | Storage Blob Data Contributor          | dead-letter container                        | write undeliverable events |
//
// Not granted, on purpose: Owner, Contributor, User Access Administrator, Storage Account Contributor (the Event Grid
// blob source needs no management rights: the subscription is made by the deployer, not the app). Every assignment is
// named guid(scope id, principal id, role definition id): stable across deployments, unique per grant.

@description('Object id of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Object id of the Event Grid system topic\'s identity.')
param eventGridPrincipalId string

@description('Name of the host storage account.')
param hostStorageName string

@description('Name of the data storage account.')
param dataStorageName string

@description('Data containers the app may use.')
param dataContainerNames string[]

@description('Name of the blob trigger\'s poison queue in the data account.')
param poisonQueueName string

@description('Name of the Event Grid dead-letter container in the data account.')
param deadLetterContainerName string

@description('Name of the Service Bus namespace.')
param serviceBusName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Name of the Cosmos DB account.')
param cosmosAccountName string

@description('Name of the Cosmos DB database.')
param cosmosDatabaseName string

@description('Name of the Azure AI Face account.')
param faceAccountName string

@description('Name of the container registry of the worker\'s image.')
param registryName string

resource storageBlobDataOwner 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
}

resource storageBlobDataContributor 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}

resource storageQueueDataContributor 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
}

resource storageTableDataContributor 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource serviceBusDataSender 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
}

resource serviceBusDataReceiver 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
}

resource keyVaultSecretsUser 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource monitoringMetricsPublisher 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Facial Entry enrolls (create and delete persons, add faces, train) as well as identifies. Cognitive Services Face
// Recognizer allows detect, verify and identify only ("does not allow create or delete operations"), so the least
// built-in role that does both is Cognitive Services User, granted on the Face account alone. Its listkeys right is
// void there: the account's keys are disabled (face.bicep).
resource cognitiveServicesUser 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'a97b65f3-24c7-4388-baec-2e87135dc908'
}

// Export links (O8) are user-delegation SAS: obtaining the key (Get User Delegation Key) is an action at the storage
// account, which the container-scoped data roles cannot grant. Storage Blob Delegator holds that action and nothing else.
resource storageBlobDelegator 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: hostStorageName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }

  resource queueService 'queueServices' existing = {
    name: 'default'

    resource poisonQueue 'queues' existing = {
      name: poisonQueueName
    }
  }
}

resource dataContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [
  for containerName in dataContainerNames: {
    parent: dataStorage::blobService
    name: containerName
  }
]

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource face 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: faceAccountName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName

  // Cosmos DB Built-in Data Contributor (a data-plane role of the account, not an Azure RBAC role).
  resource dataContributor 'sqlRoleDefinitions' existing = {
    name: '00000000-0000-0000-0000-000000000002'
  }
}

// ---- Host storage: what the Functions host needs for AzureWebJobsStorage (identity-based).

resource hostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, storageBlobDataOwner.id)
  scope: hostStorage
  properties: {
    roleDefinitionId: storageBlobDataOwner.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource hostQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, storageQueueDataContributor.id)
  scope: hostStorage
  properties: {
    roleDefinitionId: storageQueueDataContributor.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource hostTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, storageTableDataContributor.id)
  scope: hostStorage
  properties: {
    roleDefinitionId: storageTableDataContributor.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Data storage: the pipeline's own containers only.

resource dataContainerContributors 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (containerName, i) in dataContainerNames: {
    name: guid(dataContainers[i].id, appPrincipalId, storageBlobDataContributor.id)
    scope: dataContainers[i]
    properties: {
      roleDefinitionId: storageBlobDataContributor.id
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource exportLinkDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage.id, appPrincipalId, storageBlobDelegator.id)
  scope: dataStorage
  properties: {
    roleDefinitionId: storageBlobDelegator.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource poisonQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage::queueService::poisonQueue.id, appPrincipalId, storageQueueDataContributor.id)
  scope: dataStorage::queueService::poisonQueue
  properties: {
    roleDefinitionId: storageQueueDataContributor.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage::blobService::deadLetterContainer.id, eventGridPrincipalId, storageBlobDataContributor.id)
  scope: dataStorage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: storageBlobDataContributor.id
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Service Bus: send and receive on the namespace's queues (no manage rights).

resource serviceBusSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, appPrincipalId, serviceBusDataSender.id)
  scope: serviceBus
  properties: {
    roleDefinitionId: serviceBusDataSender.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource serviceBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(serviceBus.id, appPrincipalId, serviceBusDataReceiver.id)
  scope: serviceBus
  properties: {
    roleDefinitionId: serviceBusDataReceiver.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Key Vault: read secrets.

resource vaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, appPrincipalId, keyVaultSecretsUser.id)
  scope: keyVault
  properties: {
    roleDefinitionId: keyVaultSecretsUser.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Application Insights: publish telemetry with an Entra token.

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, monitoringMetricsPublisher.id)
  scope: appInsights
  properties: {
    roleDefinitionId: monitoringMetricsPublisher.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Cosmos DB: data-plane read and write on the one database.

// The scope of a Cosmos SQL role assignment is a data-plane path: <account id>/dbs/<database>.
var cosmosDatabaseScope = '${cosmos.id}/dbs/${cosmosDatabaseName}'

resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmosDatabaseScope, appPrincipalId, cosmos::dataContributor.id)
  properties: {
    roleDefinitionId: cosmos::dataContributor.id
    principalId: appPrincipalId
    scope: cosmosDatabaseScope
  }
}

// ---- Azure AI Face: Facial Entry enrollment and identification, on the one account.

resource faceUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(face.id, appPrincipalId, cognitiveServicesUser.id)
  scope: face
  properties: {
    roleDefinitionId: cognitiveServicesUser.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- The container registry: the app pulls its own image, nothing more (no push, no delete).

resource acrPull 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {
  scope: subscription()
  name: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource imagePull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, appPrincipalId, acrPull.id)
  scope: registry
  properties: {
    roleDefinitionId: acrPull.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}
