// Azure AI Face (kind Face): Facial Entry's reference faces (one large person group per building of its enrolled residents,
// O3, O5) and the identification of door captures against their building's group (O4). Keys are disabled
// (disableLocalAuth): the app calls it with its identity's Entra token only, which needs the custom subdomain. The groups
// are data, each created by the app on its building's first enrollment (ids: OneValet:Faces:LargePersonGroupPrefix, '-',
// a hash of the building id).
// Identification (returnFaceId) is a Limited Access feature: the subscription must be approved for it
// (https://aka.ms/facerecognition) before Facial Entry can verify anyone; without it detect with faceIds fails and
// captures stay unchecked, never falsely verified.

@description('Name of the account; also its custom subdomain (https://<name>.cognitiveservices.azure.com/).')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Pricing tier. S0 for production; F0 allows 20 calls a minute and one resource per subscription.')
@allowed([
  'F0'
  'S0'
])
param skuName string = 'S0'

@description('Private network (main.bicep privateNetwork): public network access off; reached through a private endpoint.')
param privateNetwork bool = false

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'Face'
  sku: {
    name: skuName
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetwork ? 'Deny' : 'Allow'
    }
  }
}

@description('Name of the account.')
output name string = account.name

@description('Endpoint (OneValet:Faces:Endpoint).')
output endpoint string = account.properties.endpoint
