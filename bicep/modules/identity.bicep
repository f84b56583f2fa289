// The one identity of the Function App. User-assigned, so that it exists (and its role assignments have propagated)
// before the app starts, and so that it outlives a re-created app. Every connection the app makes (host storage, data
// storage, Cosmos DB, Service Bus, Key Vault, Application Insights) authenticates as this identity; no key is issued.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity (assigned to the Function App).')
output id string = identity.id

@description('Client id: the app settings name it (`__clientId`, OneValet:Storage:ManagedIdentityClientId).')
output clientId string = identity.properties.clientId

@description('Object id of the service principal: the role assignments grant to it.')
output principalId string = identity.properties.principalId
