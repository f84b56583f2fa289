// Alerts to the privacy office (action group by email): overdue deletions (O4, O5, O7: the deletion-lag histogram of
// RetentionMetrics, exported by OpenTelemetry to Application Insights), dead letters (the handlers' own meter, and the
// Service Bus and Event Grid platform metrics for what the brokers set aside), requests within 5 days of their due date
// and past it (D1: the gauges of the hourly sweep), and breach campaigns that escalated (O14).

@description('Azure region.')
param location string

@description('Tags of every resource.')
param tags object

@description('The privacy office mailbox.')
param privacyOfficerAddress string

@description('Name of the Log Analytics workspace behind Application Insights.')
param workspaceName string

@description('Name of the Service Bus namespace.')
param serviceBusName string

@description('Name of the Event Grid system topic of the data account.')
param eventGridTopicName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusName
}

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' existing = {
  name: eventGridTopicName
}

resource privacyOffice 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-privacy-office'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'privacy'
    enabled: true
    emailReceivers: [
      {
        name: 'privacy-office'
        emailAddress: privacyOfficerAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

// Product meters, as Application Insights stores them in the workspace (AppMetrics, one row per metric and interval).
var queries = [
  {
    name: 'overdue-deletions'
    description: 'A deletion happened after its deadline (deletion lag above zero): O4/O5 90-day TDPA deadlines, O7.'
    severity: 1
    query: 'AppMetrics | where Name == "onevalet.retention.deletion_lag" and Max > 0 | summarize Late = sum(ItemCount)'
    column: 'Late'
  }
  {
    name: 'dead-letters'
    description: 'A queue handler set a message aside as unprocessable (onevalet.messages.dead_lettered).'
    severity: 2
    query: 'AppMetrics | where Name == "onevalet.messages.dead_lettered" | summarize DeadLettered = sum(Sum)'
    column: 'DeadLettered'
  }
  {
    name: 'requests-near-due'
    description: 'Open privacy requests within 5 days of their due date at the last hourly sweep (D1: 45 days, Canada 30; onevalet.requests.near_due).'
    severity: 2
    query: 'AppMetrics | where Name == "onevalet.requests.near_due" | summarize NearDue = max(Max)'
    column: 'NearDue'
  }
  {
    name: 'requests-overdue'
    description: 'Open privacy requests past their due date at the last hourly sweep (D1; onevalet.requests.overdue).'
    severity: 1
    query: 'AppMetrics | where Name == "onevalet.requests.overdue" | summarize Overdue = max(Max)'
    column: 'Overdue'
  }
  {
    name: 'breach-escalation'
    description: 'Breach notices still undelivered near the ten-business-day deadline: the campaign escalated (O14; onevalet.breaches.escalated).'
    severity: 1
    query: 'AppMetrics | where Name == "onevalet.breaches.escalated" | summarize Escalated = sum(Sum)'
    column: 'Escalated'
  }
]

resource queryAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in queries: {
    name: 'alert-${alert.name}'
    location: location
    tags: tags
    properties: {
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        workspace.id
      ]
      evaluationFrequency: 'PT15M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Total'
            metricMeasureColumn: alert.column
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          privacyOffice.id
        ]
      }
    }
  }
]

resource serviceBusDeadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-servicebus-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages in a Service Bus dead-letter queue (deliveries exhausted, expiry, or a handler\'s verdict).'
    severity: 2
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricName: 'DeadletteredMessages'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: privacyOffice.id
      }
    ]
  }
}

resource eventGridDeadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-eventgrid-dead-letters'
  location: 'global'
  tags: tags
  properties: {
    description: 'An upload event could not be delivered to IngestRecording and was dead-lettered (a recording not catalogued, O2).'
    severity: 1
    enabled: true
    scopes: [
      topic.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'dead-lettered'
          metricName: 'DeadLetteredCount'
          metricNamespace: 'Microsoft.EventGrid/systemTopics'
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: [
      {
        actionGroupId: privacyOffice.id
      }
    ]
  }
}
