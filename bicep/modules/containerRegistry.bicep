// The registry of the worker's image (container/Dockerfile), which Azure Container Registry builds itself from the
// folder container/stage.sh makes (az acr build, run by bicep/hooks/postprovision.sh): no container engine on the build
// machine. No admin user and no anonymous pull (off by default, and a Basic registry cannot turn it on): the app pulls with its user-assigned identity (AcrPull, rbac.bicep); the
// deploy identity pushes through the build it schedules (its Contributor on the resource group covers ACR Tasks).
// Public network access stays on because ACR Tasks' shared agents reach the registry over it; the image holds the app
// and no personal data. Premium with a private endpoint and a dedicated agent pool is the step after (bicep/README.md).

@description('Name of the registry (5-50 letters and digits).')
@minLength(5)
@maxLength(50)
param name string

@description('Azure region.')
param location string

@description('Tags of every resource.')
param tags object

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    dataEndpointEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

@description('Name of the registry.')
output name string = registry.name

@description('Login server, e.g. crxyz.azurecr.io.')
output loginServer string = registry.properties.loginServer
