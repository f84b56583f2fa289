// Log Analytics workspace and a workspace-based Application Insights component.
// Local (instrumentation-key) authentication is disabled on both: telemetry is accepted only with an Entra token of the
// app's identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING), which holds the Monitoring Metrics Publisher role on the
// component (rbac.bicep). The component's connection string still contains the instrumentation key, but with local auth
// off that key only names the component and grants nothing; it is read by reference into the app settings and is never
// an output.

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Days logs are kept. Logs carry no personal data by design (STYLE: none in logs); 30 days bounds the damage if one slips in.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
    RetentionInDays: retentionInDays
  }
}

@description('Name of the Application Insights component (the app reads its connection string by reference).')
output appInsightsName string = appInsights.name
