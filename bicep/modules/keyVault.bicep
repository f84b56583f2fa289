// Key Vault for the secrets the pipeline may come to need (e.g. a mail relay's credential for notifications, O14/O16).
// RBAC mode only (no access policies); the app's identity may read secrets (Key Vault Secrets User, rbac.bicep) and
// nothing else. Purge protection is on: a deleted secret cannot be purged before its soft-delete period ends, so no one
// can destroy a secret for good by mistake or malice; the price is that `azd down --purge` cannot purge the vault
// (see bicep/README.md).

@description('Name of the vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Days a deleted vault or secret stays recoverable (7 is the minimum).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

@description('Private network (main.bicep privateNetwork): public network access off; reached through a private endpoint.')
param privateNetwork bool = false

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enablePurgeProtection: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetwork ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

@description('Name of the vault.')
output name string = vault.name

@description('Vault URI, e.g. https://kv-x.vault.azure.net/.')
output uri string = vault.properties.vaultUri
