// The Function App on the Flex Consumption plan, .NET isolated worker on .NET 10 (the project's TargetFramework; Flex
// Consumption runs 'dotnet-isolated' '10.0', and a test checks that the two agree).
//
// Every app setting is written out literally below, so that a reader (and the test that derives the required settings
// from the code) sees each one. Connections are identity-based: `<Connection>__<service>Uri` or
// `__fullyQualifiedNamespace`, `__credential=managedidentity`, `__clientId=<the user-assigned identity>`. There is no
// key, SAS or connection string among them. FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are absent on
// purpose: Flex Consumption takes the runtime from functionAppConfig.runtime and rejects those settings.

@description('Name of the Function App.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('azd service name (azure.yaml services.<name>); azd finds the app by this tag.')
param serviceName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Subnet of the VNet integration (private network); empty for none.')
param appSubnetId string = ''

@description('Client id of the API\'s Entra ID app registration: the audience of its v2.0 access tokens (bicep/README.md, "Entra ID").')
param apiClientId string

@description('Application ID URI of the API\'s app registration: the audience of v1.0 tokens, accepted only when acceptV1.')
param apiAppIdUri string = ''

@description('Also accept v1.0 access tokens (issuer sts.windows.net, audience apiAppIdUri). Off: the registration asks for v2.')
param acceptV1 bool = false

@description('Client id of the console\'s single-page-application registration (Entra ID, authorization code with PKCE); empty for no console sign-in.')
param consoleClientId string = ''

@description('The delegated scope of the API the console asks for (e.g. api://onevalet-api/access_as_user).')
param consoleScope string = ''

@description('Name of the host storage account (AzureWebJobsStorage, deployment package).')
param hostStorageName string

@description('Container of the deployment package in the host storage account.')
param deploymentContainerName string

@description('Name of the data storage account (recordings, quarantine, exports, anonymized).')
param dataStorageName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Cosmos DB document endpoint.')
param cosmosEndpoint string

@description('Cosmos DB database name.')
param cosmosDatabaseName string

@description('Service Bus namespace host name.')
param serviceBusFullyQualifiedNamespace string

@description('Key Vault holding the secrets "smtp-password" and "request-secret-key".')
param keyVaultName string

@description('SMTP relay host.')
param smtpHost string

@description('SMTP port (STARTTLS).')
param smtpPort int

@description('SMTP user name.')
param smtpUserName string

@description('Sender address of notifications.')
param emailFromAddress string

@description('The privacy office mailbox.')
param privacyOfficerAddress string

@description('Property management\'s default mailbox for correction tasks (O11); empty: they go to the privacy office.')
param propertyManagementAddress string = ''

@description('Endpoint of the Azure AI Face account (OneValet:Faces:Endpoint).')
param faceEndpoint string

@description('The prefix of the buildings\' large person groups of enrolled residents (OneValet:Faces:LargePersonGroupPrefix, at most 31 characters).')
@maxLength(31)
param faceLargePersonGroupPrefix string

@description('Upper bound of instances the plan scales out to (Flex Consumption allows up to 1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: hostStorageName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Private network: outbound traffic through the VNet, where the services' private endpoints resolve.
    virtualNetworkSubnetId: empty(appSubnetId) ? null : appSubnetId
    // Key Vault references in app settings (if one is ever added) resolve with the same identity.
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage (blob receipts, keys, leases, durable task hub 'onevalet' of host.json).
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: hostStorage.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: hostStorage.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: hostStorage.properties.primaryEndpoints.table
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        // Connection = "Recordings" of the IngestRecording blob trigger (Event Grid source). The queue endpoint is
        // required for blob triggers: failed blobs go to the poison queue of this account.
        {
          name: 'Recordings__blobServiceUri'
          value: dataStorage.properties.primaryEndpoints.blob
        }
        {
          name: 'Recordings__queueServiceUri'
          value: dataStorage.properties.primaryEndpoints.queue
        }
        {
          name: 'Recordings__credential'
          value: 'managedidentity'
        }
        {
          name: 'Recordings__clientId'
          value: identityClientId
        }
        // Connection = "ServiceBus" of the Service Bus triggers (built with -p:ServiceBusExtension=true).
        {
          name: 'ServiceBus__fullyQualifiedNamespace'
          value: serviceBusFullyQualifiedNamespace
        }
        {
          name: 'ServiceBus__credential'
          value: 'managedidentity'
        }
        {
          name: 'ServiceBus__clientId'
          value: identityClientId
        }
        // OneValet:Storage (StorageOptions). ConnectionString is for the emulator only and must stay unset here.
        {
          name: 'OneValet__Storage__BlobServiceUri'
          value: dataStorage.properties.primaryEndpoints.blob
        }
        {
          name: 'OneValet__Storage__ManagedIdentityClientId'
          value: identityClientId
        }
        // OneValet:ServiceBus (ServiceBusOptions): the pipeline's own senders.
        {
          name: 'OneValet__ServiceBus__FullyQualifiedNamespace'
          value: serviceBusFullyQualifiedNamespace
        }
        // O4/O5: the TDPA allows 90 days; deleted bytes stay recoverable for up to 4 more days here (soft delete 1 day,
        // previous versions 1 day, lifecycle runs within 2 days: dataStorage.bicep), so the pipeline deletes by day 85.
        {
          name: 'OneValet__Retention__AuthenticationData'
          value: '85.00:00:00'
        }
        {
          name: 'OneValet__Retention__ReferenceDataAfterExit'
          value: '85.00:00:00'
        }
        // OneValet:Email (EmailOptions): the password is a Key Vault reference resolved with the user-assigned identity
        // (keyVaultReferenceIdentity), never a value in the template.
        {
          name: 'OneValet__Email__SmtpHost'
          value: smtpHost
        }
        {
          name: 'OneValet__Email__SmtpPort'
          value: string(smtpPort)
        }
        {
          name: 'OneValet__Email__UseTls'
          value: 'true'
        }
        {
          name: 'OneValet__Email__UserName'
          value: smtpUserName
        }
        {
          name: 'OneValet__Email__Password'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=smtp-password)'
        }
        {
          name: 'OneValet__Email__FromAddress'
          value: emailFromAddress
        }
        {
          name: 'OneValet__Email__PrivacyOfficerAddress'
          value: privacyOfficerAddress
        }
        {
          name: 'OneValet__Email__PropertyManagementAddress'
          value: propertyManagementAddress
        }
        // OneValet:Requests (RequestOptions): the secret of privacy-request intake's keyed hashes (email index, caps,
        // one-time codes), a Key Vault reference like the SMTP password: never in the record store, the template or an output.
        {
          name: 'OneValet__Requests__SecretKey'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=request-secret-key)'
        }
        // OneValet:Auth (AuthOptions): Entra ID access tokens of this tenant (v2: issuer per tenant, audience the API's
        // client id; v1 only by setting), keys from its OpenID Connect metadata; the subject is the claims-mapped
        // resident_id (EntraAccessTokens).
        {
          name: 'OneValet__Auth__TenantId'
          value: tenant().tenantId
        }
        {
          name: 'OneValet__Auth__Issuer'
          value: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        {
          name: 'OneValet__Auth__Audience'
          value: apiClientId
        }
        {
          name: 'OneValet__Auth__AcceptV1'
          value: string(acceptV1)
        }
        {
          name: 'OneValet__Auth__V1Audience'
          value: apiAppIdUri
        }
        // OneValet:Console (ConsoleOptions): the privacy office's console, served by this app at /api/console, signs in
        // with Entra ID as its own public client (authorization code with PKCE) and asks for this scope of the API.
        {
          name: 'OneValet__Console__ClientId'
          value: consoleClientId
        }
        {
          name: 'OneValet__Console__Scope'
          value: consoleScope
        }
        // OneValet:Cosmos (CosmosOptions).
        {
          name: 'OneValet__Cosmos__AccountEndpoint'
          value: cosmosEndpoint
        }
        {
          name: 'OneValet__Cosmos__DatabaseName'
          value: cosmosDatabaseName
        }
        // OneValet:Faces (FaceOptions): Facial Entry on Azure AI Face, by the identity's token (keys are disabled).
        {
          name: 'OneValet__Faces__Endpoint'
          value: faceEndpoint
        }
        {
          name: 'OneValet__Faces__LargePersonGroupPrefix'
          value: faceLargePersonGroupPrefix
        }
        // Telemetry by Entra token of the identity; local auth is off on the component (monitoring.bicep).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
      ]
    }
  }
}

// No publishing with user names and passwords: azd deploys with an Entra token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Name of the Function App.')
output name string = app.name

@description('Default host name, e.g. func-x.azurewebsites.net.')
output defaultHostName string = app.properties.defaultHostName
