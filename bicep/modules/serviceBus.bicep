// Service Bus namespace with one queue per entry of OneValet.Pipeline.Messaging.Queues.All (a test checks the list).
// Standard tier: queues with duplicate detection and dead-lettering; no SAS keys (local auth disabled), so only Entra
// identities with a data role (rbac.bicep: Sender and Receiver to the app's identity) can send or receive.
// Messages may carry a recipient's email (notifications): they expire after 14 days, and an expired message goes to the
// dead-letter queue, which operations must drain (O7: kept only while needed).

@description('Name of the namespace.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Private network (main.bicep privateNetwork): public network access off, Premium tier (private endpoints need it).')
param privateNetwork bool = false

// Must equal Queues.All (functions/OneValet.Pipeline/Messaging/Queues.cs).
var queueNames = [
  'notifications'
  'setting-changes'
]

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: privateNetwork
    ? {
        name: 'Premium'
        tier: 'Premium'
        capacity: 1
      }
    : {
        name: 'Standard'
        tier: 'Standard'
      }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queueName in queueNames: {
    parent: namespace
    name: queueName
    properties: {
      maxDeliveryCount: 10
      lockDuration: 'PT1M'
      defaultMessageTimeToLive: 'P14D'
      deadLetteringOnMessageExpiration: true
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: 'PT10M'
      requiresSession: false
      enablePartitioning: false
      enableBatchedOperations: true
      maxSizeInMegabytes: 1024
    }
  }
]

@description('Name of the namespace.')
output name string = namespace.name

@description('Host name of the namespace (ServiceBus__fullyQualifiedNamespace), e.g. sb-x.servicebus.windows.net.')
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]

@description('Names of the queues.')
output queueNames string[] = [for (queueName, i) in queueNames: queues[i].name]
