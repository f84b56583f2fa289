// The Azure Container Apps environment the Function App runs in (functionApp.bicep): workload profiles, the serverless
// Consumption profile. With the private network its infrastructure sits in the VNet's app subnet (network.bicep,
// delegated to Microsoft.App/environments), so the app reaches the services' private endpoints. Logs go to Azure Monitor
// (diagnostic settings), not to a workspace by its shared key: no key is handled anywhere in the deployment.

@description('Name of the environment.')
param name string

@description('Azure region.')
param location string

@description('Tags of every resource.')
param tags object

@description('Subnet of the environment\'s infrastructure (private network); empty for none.')
param infrastructureSubnetId string = ''

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    vnetConfiguration: empty(infrastructureSubnetId) ? null : {
      infrastructureSubnetId: infrastructureSubnetId
      internal: false
    }
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    zoneRedundant: false
  }
}

@description('Resource id of the environment.')
output id string = environment.id
