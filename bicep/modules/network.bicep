// The private network (main.bicep's privateNetwork, on by default for production): a virtual network with a subnet for
// the Container Apps environment the Function App runs in (delegated to Microsoft.App/environments, as a workload-profiles environment requires) and one for
// private endpoints; a private endpoint for each data-plane service the app calls (both storage accounts' blob, queue and
// table endpoints as used, Cosmos DB, Service Bus, Key Vault, Face), each registered in the matching private DNS zone,
// and every zone linked to the network so the app resolves the services' names to private addresses. The services
// themselves turn public network access off (their modules' privateNetwork parameter).

@description('Name of the virtual network.')
param name string

@description('Azure region.')
param location string

@description('Tags of every resource.')
param tags object

@description('Address space of the network.')
param addressPrefix string = '10.40.0.0/16'

@description('Subnet of the Container Apps environment (at least /27).')
param appSubnetPrefix string = '10.40.0.0/24'

@description('Subnet of the private endpoints.')
param endpointSubnetPrefix string = '10.40.1.0/24'

@description('Private endpoints to make: the resource (type and name, in this resource group), its sub-resource (group id) and private DNS zone.')
param endpoints { name: string, resourceType: string, resourceName: string, groupId: string, zone: string }[]

var zones = union(map(endpoints, e => e.zone), [])

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: endpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }

  resource appSubnet 'subnets' existing = {
    name: 'app'
  }

  resource endpointSubnet 'subnets' existing = {
    name: 'private-endpoints'
  }
}

resource dnsZones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in zones: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in zones: {
    parent: dnsZones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in endpoints: {
    name: 'pe-${endpoint.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: vnet::endpointSubnet.id
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: resourceId(endpoint.resourceType, endpoint.resourceName)
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(endpoint.zone, '.', '-')
          properties: {
            privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', endpoint.zone)
          }
        }
      ]
    }
    dependsOn: [
      dnsZones
    ]
  }
]

@description('Resource id of the subnet of the Function App\'s VNet integration.')
output appSubnetId string = vnet::appSubnet.id
