// The Function App as a container on Azure Container Apps (the Microsoft.Web model: `kind` functionapp on a managed
// environment), .NET isolated worker on .NET 10 in the image container/Dockerfile builds: the Functions host, Debian's
// ffmpeg and the published app with its face model, so redaction runs in Azure (bicep/README.md, "Where redaction runs",
// says why this and not Flex Consumption or a separate worker). The image is pulled by the user-assigned identity
// (AcrPull on the registry, rbac.bicep); the registry has no admin user.
//
// Every app setting is written out literally below, so that a reader (and the test that derives the required settings
// from the code) sees each one. Connections are identity-based: `<Connection>__<service>Uri` or
// `__fullyQualifiedNamespace`, `__credential=managedidentity`, `__clientId=<the user-assigned identity>`. There is no
// key, SAS or connection string among them.

@description('Name of the Function App.')
param name string

@description('Resource id of the Container Apps environment (containerEnvironment.bicep).')
param environmentId string

@description('Login server of the registry holding the image, e.g. crxyz.azurecr.io.')
param registryLoginServer string

@description('Repository and tag of the image in the registry; built and pushed by bicep/hooks/postprovision.sh.')
param image string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

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

@description('Name of the host storage account (AzureWebJobsStorage).')
param hostStorageName string

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

@description('Upper bound of replicas the app scales out to (Container Apps allows up to 1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Replicas always running. At least 1: Durable Functions on the Azure Storage provider does not scale from zero on Container Apps (only the MSSQL provider does), and the durable timers of the deadlines (O4, O5, O14) must fire.')
@minValue(1)
param minimumInstanceCount int = 1

@description('CPU cores and memory of each replica: redaction decodes, searches and re-encodes video (FaceRedactor).')
param cpu string = '2.0'

@description('Memory of each replica (Consumption profile: 2 GiB per core).')
param memory string = '4Gi'

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: hostStorageName
}

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux,container,azurecontainerapps'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environmentId
    workloadProfileName: 'Consumption'
    resourceConfig: {
      cpu: json(cpu)
      memory: memory
    }
    httpsOnly: true
    // Key Vault references in app settings resolve with the same identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'DOCKER|${registryLoginServer}/${image}'
      // Pulled with the user-assigned identity (AcrPull); the registry has no admin user and no anonymous pull.
      acrUseManagedIdentityCreds: true
      acrUserManagedIdentityID: identityClientId
      minimumElasticInstanceCount: minimumInstanceCount
      functionAppScaleLimit: maximumInstanceCount
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // The runtime of the image (container/Dockerfile: the Functions host for .NET isolated workers).
        {
          name: 'FUNCTIONS_EXTENSION_VERSION'
          value: '~4'
        }
        {
          name: 'FUNCTIONS_WORKER_RUNTIME'
          value: 'dotnet-isolated'
        }
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
        // Redaction (FaceRedactor): Debian's ffmpeg in the image (container/install-ffmpeg.sh); the model ships in the
        // app folder (OneValet:Faces:ModelPath's default), checked at build and again by the image's own check.
        {
          name: 'OneValet__Faces__FFmpegFolder'
          value: '/usr/bin'
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

// No publishing credentials or SCM site: on Container Apps the image from the registry is the only way code arrives.

@description('Name of the Function App.')
output name string = app.name

@description('Default host name, e.g. func-x.azurewebsites.net.')
output defaultHostName string = app.properties.defaultHostName
