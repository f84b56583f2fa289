// OneValet Serverless on Azure: `azd up` provisions this template, then its postprovision hook has the registry build the
// worker's image (container/), restarts the app on it and subscribes the ingestion function to BlobCreated events
// (modules/blobSubscription.bicep).
// One module per concern; see README.md beside this file for what each makes and for tearing it down.

// Resource-group scope (azd's resource-group scoped deployment): the operator creates the group, and the deploy identity
// holds its roles on that group only, never on the subscription (README.md, "Deploying from GitHub"). azd deploys into
// the group named by AZURE_RESOURCE_GROUP.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment (e.g. dev, prod); seeds the names of all resources.')
param environmentName string

@minLength(1)
@description('Azure region of every resource. It must offer Azure Container Apps with workload profiles.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Days a deleted blob stays recoverable; with the version lifecycle it bounds when a deletion is real (modules/dataStorage.bicep).')
@minValue(1)
@maxValue(30)
param blobSoftDeleteRetentionDays int = 1

@description('Upper bound of Function App replicas (Container Apps).')
@minValue(1)
@maxValue(1000)
param functionAppMaximumInstanceCount int = 100

@description('Client id of the API\'s Entra ID app registration (the audience of its access tokens); created by the operator, see README.md "Entra ID".')
@minLength(36)
@maxLength(36)
param apiClientId string

@description('Application ID URI of the API\'s app registration (e.g. api://onevalet-api); the audience of v1.0 tokens.')
param apiAppIdUri string = ''

@description('Also accept v1.0 access tokens (audience apiAppIdUri).')
param acceptV1 bool = false

@description('Client id of the console\'s own Entra ID app registration (single-page application, redirect URI https://<app>/api/console); empty: the console offers no sign-in. See README.md "The console".')
param consoleClientId string = ''

@description('The delegated scope the console asks for, e.g. api://onevalet-api/access_as_user.')
param consoleScope string = ''

@description('production or development: production turns the private network on by default.')
@allowed([
  'production'
  'development'
])
param environmentType string = 'production'

@description('Storage, Cosmos DB, Service Bus, Key Vault and Face behind private endpoints with public access off, the app on VNet integration, private DNS zones linked (modules/network.bicep). On by default for production.')
param privateNetwork bool = environmentType == 'production'

@description('Public CIDR ranges of the buildings\' entry consoles, which upload recordings to the data account; empty: consoles reach it through the network (VPN).')
param uploadAddressRanges string[] = []

@description('SMTP relay the notification dispatcher sends through (O13, O14), e.g. smtp.sendgrid.net.')
param smtpHost string

@description('SMTP port (STARTTLS).')
param smtpPort int = 587

@description('SMTP user name; its password is the Key Vault secret "smtp-password" (set it after provisioning).')
param smtpUserName string

@description('Sender address of every notification.')
param emailFromAddress string

@description('The privacy office mailbox: bounces, escalations and hold reviews go there.')
param privacyOfficerAddress string

@description('Property management\'s default mailbox for correction tasks (O11; per building: app setting OneValet__Email__PropertyManagementByBuilding__{buildingId}). Empty: the privacy office.')
param propertyManagementAddress string = ''

@description('Tag of the worker\'s image in the registry (container/Dockerfile), built and pushed by bicep/hooks/postprovision.sh: the commit in the deploy workflow.')
param imageTag string = 'latest-main'

var resourceToken = toLower(uniqueString(resourceGroup().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// Names are computed here, from parameters only, so that every module knows the names of what it references when the
// deployment starts (what-if can then predict the whole deployment).
var names = {
  identity: 'id-${resourceToken}'
  workspace: 'log-${resourceToken}'
  appInsights: 'appi-${resourceToken}'
  hostStorage: 'sthost${take(resourceToken, 17)}'
  dataStorage: 'stdata${take(resourceToken, 17)}'
  eventGridTopic: 'evgt-${resourceToken}'
  serviceBus: 'sb-${resourceToken}'
  cosmos: 'cosmos-${resourceToken}'
  keyVault: 'kv-${take(resourceToken, 21)}'
  face: 'face-${resourceToken}'
  vnet: 'vnet-${resourceToken}'
  registry: 'cr${resourceToken}'
  containerEnvironment: 'cae-${resourceToken}'
  functionApp: 'func-${resourceToken}'
}
var imageRepository = 'onevalet-functions'
var deadLetterContainerName = 'eventgrid-deadletter'
var cosmosDatabaseName = 'onevalet'

// The blob containers the code uses: StorageOptions' defaults (RecordingsContainer, QuarantineContainer,
// ExportsContainer, AnonymizedContainer). tests/OneValet.Tests/Deployment checks that this list equals them.
var quarantineContainerName = 'quarantine'
var dataContainerNames = [
  'recordings'
  quarantineContainerName
  'exports'
  'anonymized'
  'facial-references'
  'request-documents'
]

// The prefix of Facial Entry's large person groups, one per building (OneValet:Faces:LargePersonGroupPrefix); the app
// creates each on its building's first enrollment.
var faceLargePersonGroupPrefix = 'onevalet-residents'

// The blob trigger's poison queue (the blob extension's fixed name).
var poisonQueueName = 'webjobs-blobtrigger-poison'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module hostStorage 'modules/hostStorage.bicep' = {
  name: 'hostStorage'
  params: {
    name: names.hostStorage
    location: location
    tags: tags
    privateNetwork: privateNetwork
  }
}

module dataStorage 'modules/dataStorage.bicep' = {
  name: 'dataStorage'
  params: {
    name: names.dataStorage
    location: location
    tags: tags
    softDeleteRetentionDays: blobSoftDeleteRetentionDays
    dataContainerNames: dataContainerNames
    quarantineContainerName: quarantineContainerName
    deadLetterContainerName: deadLetterContainerName
    poisonQueueName: poisonQueueName
    privateNetwork: privateNetwork
    uploadAddressRanges: uploadAddressRanges
  }
}

module eventGrid 'modules/eventGrid.bicep' = {
  name: 'eventGrid'
  dependsOn: [
    dataStorage
  ]
  params: {
    name: names.eventGridTopic
    location: location
    tags: tags
    storageAccountName: names.dataStorage
  }
}

module serviceBus 'modules/serviceBus.bicep' = {
  name: 'serviceBus'
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    privateNetwork: privateNetwork
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: names.cosmos
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    privateNetwork: privateNetwork
  }
}

module face 'modules/face.bicep' = {
  name: 'face'
  params: {
    name: names.face
    location: location
    tags: tags
    privateNetwork: privateNetwork
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    privateNetwork: privateNetwork
  }
}

// The private network: one endpoint per data-plane service the app calls, each in its private DNS zone.
var storageSuffix = environment().suffixes.storage
module network 'modules/network.bicep' = if (privateNetwork) {
  name: 'network'
  dependsOn: [
    hostStorage
    dataStorage
    serviceBus
    cosmos
    keyVault
    face
  ]
  params: {
    name: names.vnet
    location: location
    tags: tags
    endpoints: [
      {
        name: '${names.hostStorage}-blob'
        resourceType: 'Microsoft.Storage/storageAccounts'
        resourceName: names.hostStorage
        groupId: 'blob'
        zone: 'privatelink.blob.${storageSuffix}'
      }
      {
        name: '${names.hostStorage}-queue'
        resourceType: 'Microsoft.Storage/storageAccounts'
        resourceName: names.hostStorage
        groupId: 'queue'
        zone: 'privatelink.queue.${storageSuffix}'
      }
      {
        name: '${names.hostStorage}-table'
        resourceType: 'Microsoft.Storage/storageAccounts'
        resourceName: names.hostStorage
        groupId: 'table'
        zone: 'privatelink.table.${storageSuffix}'
      }
      {
        name: '${names.dataStorage}-blob'
        resourceType: 'Microsoft.Storage/storageAccounts'
        resourceName: names.dataStorage
        groupId: 'blob'
        zone: 'privatelink.blob.${storageSuffix}'
      }
      {
        name: '${names.dataStorage}-queue'
        resourceType: 'Microsoft.Storage/storageAccounts'
        resourceName: names.dataStorage
        groupId: 'queue'
        zone: 'privatelink.queue.${storageSuffix}'
      }
      {
        name: names.cosmos
        resourceType: 'Microsoft.DocumentDB/databaseAccounts'
        resourceName: names.cosmos
        groupId: 'Sql'
        zone: 'privatelink.documents.azure.com'
      }
      {
        name: names.serviceBus
        resourceType: 'Microsoft.ServiceBus/namespaces'
        resourceName: names.serviceBus
        groupId: 'namespace'
        zone: 'privatelink.servicebus.windows.net'
      }
      {
        name: names.keyVault
        resourceType: 'Microsoft.KeyVault/vaults'
        resourceName: names.keyVault
        groupId: 'vault'
        zone: 'privatelink.vaultcore.azure.net'
      }
      {
        name: names.face
        resourceType: 'Microsoft.CognitiveServices/accounts'
        resourceName: names.face
        groupId: 'account'
        zone: 'privatelink.cognitiveservices.azure.com'
      }
    ]
  }
}

// Alerts to the privacy office: overdue deletions, dead letters (modules/alerts.bicep).
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  dependsOn: [
    monitoring
    serviceBus
    eventGrid
  ]
  params: {
    location: location
    tags: tags
    privacyOfficerAddress: privacyOfficerAddress
    workspaceName: names.workspace
    serviceBusName: names.serviceBus
    eventGridTopicName: names.eventGridTopic
  }
}

// Role assignments before the app: the host starts with its identity's rights already in place.
module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  dependsOn: [
    registry
    hostStorage
    dataStorage
    serviceBus
    cosmos
    keyVault
    monitoring
    face
  ]
  params: {
    // A role assignment's name includes the principal id (so that a re-created identity gets a new assignment instead
    // of a conflict); principal ids exist only once the identities do, so what-if cannot predict these names.
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
    #disable-next-line what-if-short-circuiting
    eventGridPrincipalId: eventGrid.outputs.principalId
    hostStorageName: names.hostStorage
    dataStorageName: names.dataStorage
    dataContainerNames: dataContainerNames
    poisonQueueName: poisonQueueName
    deadLetterContainerName: deadLetterContainerName
    serviceBusName: names.serviceBus
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
    cosmosAccountName: names.cosmos
    cosmosDatabaseName: cosmosDatabaseName
    faceAccountName: names.face
    registryName: names.registry
  }
}

module registry 'modules/containerRegistry.bicep' = {
  name: 'registry'
  params: {
    name: names.registry
    location: location
    tags: tags
  }
}

module containerEnvironment 'modules/containerEnvironment.bicep' = {
  name: 'containerEnvironment'
  params: {
    name: names.containerEnvironment
    location: location
    tags: tags
    infrastructureSubnetId: privateNetwork ? network!.outputs.appSubnetId : ''
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  dependsOn: [
    rbac
    hostStorage
    dataStorage
    monitoring
  ]
  params: {
    name: names.functionApp
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    environmentId: containerEnvironment.outputs.id
    registryLoginServer: registry.outputs.loginServer
    image: '${imageRepository}:${imageTag}'
    hostStorageName: names.hostStorage
    dataStorageName: names.dataStorage
    appInsightsName: names.appInsights
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmosDatabaseName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    maximumInstanceCount: functionAppMaximumInstanceCount
    keyVaultName: names.keyVault
    smtpHost: smtpHost
    smtpPort: smtpPort
    smtpUserName: smtpUserName
    emailFromAddress: emailFromAddress
    privacyOfficerAddress: privacyOfficerAddress
    propertyManagementAddress: propertyManagementAddress
    faceEndpoint: face.outputs.endpoint
    faceLargePersonGroupPrefix: faceLargePersonGroupPrefix
    apiClientId: apiClientId
    apiAppIdUri: apiAppIdUri
    acceptV1: acceptV1
    consoleClientId: consoleClientId
    consoleScope: consoleScope
  }
}

// Outputs: names and endpoints that azd, the postprovision hooks and an operator need. Never a key or connection string.

@description('Region of the deployment.')
output AZURE_LOCATION string = location

@description('The privacy office console (issue 19), served by the Functions app: the SPA registration\'s redirect URI.')
output CONSOLE_URL string = 'https://${functionApp.outputs.defaultHostName}/api/console'

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group holding everything.')
output AZURE_RESOURCE_GROUP string = resourceGroup().name

@description('Name of the Function App.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the API (routes under /api/).')
output SERVICE_FUNCTIONS_URI string = 'https://${functionApp.outputs.defaultHostName}'

@description('Client id of the app\'s managed identity.')
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Name of the data storage account (recordings, quarantine, exports, anonymized).')
output AZURE_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name

@description('Blob endpoint of the data storage account (where entry consoles upload).')
output AZURE_STORAGE_BLOB_ENDPOINT string = dataStorage.outputs.blobEndpoint

@description('Cosmos DB document endpoint.')
output AZURE_COSMOS_ENDPOINT string = cosmos.outputs.endpoint

@description('Cosmos DB database name.')
output AZURE_COSMOS_DATABASE string = cosmos.outputs.databaseName

@description('Service Bus namespace host name.')
output AZURE_SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace

@description('Azure AI Face endpoint (Facial Entry).')
output AZURE_FACE_ENDPOINT string = face.outputs.endpoint

@description('Key Vault URI.')
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri

@description('Event Grid system topic of the data account (hooks/subscribe-ingestion.sh subscribes to it).')
output EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name

@description('Container of the entry consoles\' uploads (the subscription\'s subject filter).')
output RECORDINGS_CONTAINER_NAME string = dataContainerNames[0]

@description('Container for Event Grid dead letters.')
output EVENTGRID_DEADLETTER_CONTAINER_NAME string = deadLetterContainerName

@description('Name of the container registry of the worker\'s image (az acr build in the postprovision hook).')
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name

@description('Login server of the container registry.')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer

@description('The image the Function App runs (repository:tag in the registry).')
output FUNCTIONS_IMAGE string = '${imageRepository}:${imageTag}'
