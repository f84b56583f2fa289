using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using OneValet.Functions;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Messaging;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Deployment;

/// <summary>
/// Reads the ARM JSON that bicep compiles (main.json with every module nested, and the post-deploy
/// blobSubscription.json) and checks it against the code and the security rules. Nothing is deployed; ARM expressions
/// are matched as text, or evaluated only as far as <see cref="ArmExpression"/> can without Azure.
/// </summary>
[Collection(CompiledBicepCollection.Name)]
public sealed partial class DeploymentTemplateTests(CompiledBicep compiled)
{
    /// <summary>Least-privilege built-in roles a role assignment may grant (Azure RBAC role definition ids).</summary>
    private static readonly Dictionary<string, string> AllowedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner (host storage only)",
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
        ["2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"] = "Storage Blob Data Reader",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"] = "Azure Service Bus Data Sender",
        ["4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"] = "Azure Service Bus Data Receiver",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",

        // Get User Delegation Key only (export links); on the data account only (checked below).
        ["db58b8e5-c6ad-4a2a-8342-4190687cbf4a"] = "Storage Blob Delegator (the data account only)",

        // Facial Entry creates and deletes persons as well as identifying, which Cognitive Services Face Recognizer does
        // not allow; granted on the Face account only (checked below), whose keys are disabled.
        ["a97b65f3-24c7-4388-baec-2e87135dc908"] = "Cognitive Services User (the Face account only)",

        // The app pulls its own image; on the registry only (checked below). Never AcrPush or AcrDelete.
        ["7f951dda-4ed3-4680-a7ca-43fe172d538d"] = "AcrPull (the container registry only)",
    };

    /// <summary>Broad roles that must never appear, named so that a failure says what went wrong.</summary>
    private static readonly Dictionary<string, string> ForbiddenRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] = "Owner",
        ["b24988ac-6180-42a0-ab88-20f7382dd24c"] = "Contributor",
        ["18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"] = "User Access Administrator",
        ["f58310d9-a9f6-439a-9e8d-f62e7b41a168"] = "Role Based Access Control Administrator",
        ["17d1049b-9a84-46fb-8f53-869881c3d3ab"] = "Storage Account Contributor",
        ["de139f84-1756-47ae-9be6-808fbbe84772"] = "Website Contributor",
        ["090c5cfd-751d-490a-894a-3ce6f1109419"] = "Azure Service Bus Data Owner",
        ["8311e382-0749-4cb8-b61a-304f252e45ec"] = "AcrPush",
        ["c2f4ef07-c644-48eb-af81-4b1b4947fb11"] = "AcrDelete",
    };

    /// <summary>Cosmos DB built-in data-plane roles: Data Reader (…01) and Data Contributor (…02).</summary>
    private static readonly string[] AllowedCosmosRoles = ["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"];

    [Fact]
    public void The_settings_derived_from_the_code_are_what_the_code_binds()
    {
        // Sanity of the derivation itself, so that an empty derivation cannot pass the next test.
        Assert.Contains(typeof(StorageOptions), CodeSettings.BoundOptionsTypes);
        Assert.Contains(typeof(CosmosOptions), CodeSettings.BoundOptionsTypes);
        Assert.Contains(CodeSettings.Connections, c => c.Name == "Recordings" && c.IsBlobTrigger);
        Assert.Contains("OneValet__Cosmos__AccountEndpoint", CodeSettings.Required.Keys);
        Assert.Contains("OneValet__Storage__BlobServiceUri", CodeSettings.Required.Keys);
        Assert.Contains("OneValet__Storage__ConnectionString", CodeSettings.EmulatorOnly);
    }

    [Fact]
    public void Every_setting_the_code_reads_has_an_app_setting_and_emulator_only_settings_are_absent()
    {
        var settings = AppSettings();
        var missing = CodeSettings.Required.Where(r => !settings.ContainsKey(r.Key)).Select(r => $"{r.Key} ({r.Value})").ToList();
        Assert.True(missing.Count == 0, "App settings missing from functionApp.bicep:\n" + string.Join('\n', missing));

        foreach (var setting in CodeSettings.EmulatorOnly)
        {
            Assert.False(settings.ContainsKey(setting), $"{setting} is for the emulator only and must not be set in Azure.");
        }

        foreach (var connection in CodeSettings.IdentityConnections)
        {
            // A bare "X" setting would be a connection string.
            Assert.False(settings.ContainsKey(connection), $"{connection} must connect by identity (X__...), not by a connection string.");
            Assert.Equal("managedidentity", settings[$"{connection}__credential"]);
            Assert.Contains("clientid", settings[$"{connection}__clientId"], StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void No_key_SAS_or_connection_string_is_emitted()
    {
        foreach (var (file, template) in new[] { ("main.json", compiled.Main), ("blobSubscription.json", compiled.BlobSubscription) })
        {
            var text = template.ToJsonString();
            // Split so that this list of forbidden patterns is not itself mistaken for a committed key by secret scanners.
            foreach (var secret in new[] { "Account" + "Key=", "SharedAccess" + "Key", "InstrumentationKey=", "listConnectionStrings(", "listAccountSas(", "listServiceSas(" })
            {
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{file} contains {secret}");
            }

            foreach (var (name, output) in ArmTemplate.Outputs(template))
            {
                Assert.False(SecretLikeName().IsMatch(name.Replace("KEY_VAULT", string.Empty, StringComparison.OrdinalIgnoreCase)), $"{file}: output {name} is named like a secret.");
                Assert.DoesNotContain("list", output["value"]?.ToJsonString() ?? string.Empty, StringComparison.OrdinalIgnoreCase);
                Assert.NotEqual("securestring", output["type"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
            }
        }

        foreach (var (name, value) in AppSettings())
        {
            Assert.DoesNotContain("list", value, StringComparison.OrdinalIgnoreCase);
            Assert.False(name.EndsWith("CONNECTION_STRING", StringComparison.OrdinalIgnoreCase) && name != "APPLICATIONINSIGHTS_CONNECTION_STRING", $"{name} looks like a connection string setting.");
            // A secret-named setting may only hold a Key Vault reference (resolved by the identity), never a value.
            Assert.False(SecretLikeName().IsMatch(name) && name != "APPLICATIONINSIGHTS_CONNECTION_STRING" && !value.Contains("@Microsoft.KeyVault(", StringComparison.Ordinal), $"App setting {name} is named like a secret and is not a Key Vault reference.");
        }

        // The one key the deployment handles: the host's blobs_extension key, read inside the post-deploy template and
        // written only into the Event Grid webhook URL (write-only in Event Grid).
        var listKeyUses = Regex.Matches(compiled.Main.ToJsonString(), "listKeys", RegexOptions.IgnoreCase);
        Assert.Empty(listKeyUses);
        var subscription = Assert.Single(ArmTemplate.OfType(compiled.BlobSubscription, "Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        var endpoint = subscription.Properties["destination"]!["properties"]!["endpointUrl"]!.GetValue<string>();
        Assert.Contains("listKeys(", endpoint, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(compiled.BlobSubscription.ToJsonString(), "listKeys", RegexOptions.IgnoreCase));
    }

    [Fact]
    public void Application_Insights_accepts_only_Entra_authenticated_telemetry_from_the_identity()
    {
        var component = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Insights/components"));
        Assert.True(component.Properties["DisableLocalAuth"]!.GetValue<bool>());
        var settings = AppSettings();
        Assert.StartsWith("[", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"], StringComparison.Ordinal); // by reference, never literal
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_role_assignment_grants_a_least_privilege_role_on_a_resource_and_is_named_by_scope_principal_and_role()
    {
        var assignments = ArmTemplate.OfType(compiled.Main, "Microsoft.Authorization/roleAssignments");
        Assert.NotEmpty(assignments);
        foreach (var assignment in assignments)
        {
            var role = assignment.Properties["roleDefinitionId"]!.GetValue<string>();
            var guids = Guids().Matches(role).Select(m => m.Value).ToList();
            var id = Assert.Single(guids);
            Assert.False(ForbiddenRoles.TryGetValue(id, out var forbidden), $"Role assignment grants {forbidden}: {role}");
            Assert.True(AllowedRoles.ContainsKey(id), $"Role {id} is not on the least-privilege allow-list.");

            // Scoped to a resource (not the resource group or subscription), named guid(scope, principal, role).
            var scope = assignment.Json["scope"]?.GetValue<string>();
            Assert.False(string.IsNullOrEmpty(scope), $"Role assignment of {AllowedRoles[id]} has no resource scope.");
            var name = assignment.Json["name"]!.GetValue<string>();
            var scopeExpression = scope![1..^1];
            Assert.StartsWith($"[guid({scopeExpression}, parameters('", name, StringComparison.Ordinal);
            Assert.Contains("PrincipalId'), ", name, StringComparison.Ordinal);
            Assert.EndsWith($"{role[1..^1]})]", name, StringComparison.Ordinal);
            Assert.Equal("ServicePrincipal", assignment.Properties["principalType"]!.GetValue<string>());
        }

        // Storage Blob Data Owner is for the Functions host's own storage account only, never the data account.
        foreach (var owner in assignments.Where(a => a.Properties["roleDefinitionId"]!.GetValue<string>().Contains("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", StringComparison.Ordinal)))
        {
            Assert.Contains("parameters('hostStorageName')", owner.Json["scope"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Cognitive Services User reaches every Cognitive Services data action: only ever on the Face account.
        var cognitive = Assert.Single(assignments, a => a.Properties["roleDefinitionId"]!.GetValue<string>().Contains("a97b65f3-24c7-4388-baec-2e87135dc908", StringComparison.Ordinal));
        Assert.Contains("Microsoft.CognitiveServices/accounts', parameters('faceAccountName')", cognitive.Json["scope"]!.GetValue<string>(), StringComparison.Ordinal);

        // #16.2: export links are user-delegation SAS; GetUserDelegationKey is an action on the storage account, so the
        // app's identity holds Storage Blob Delegator at exactly the data account (not a container: 403 there; not the
        // resource group: more than needed), and nowhere else.
        var delegator = Assert.Single(assignments, a => a.Properties["roleDefinitionId"]!.GetValue<string>().Contains("db58b8e5-c6ad-4a2a-8342-4190687cbf4a", StringComparison.Ordinal));
        Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('dataStorageName'))]", delegator.Json["scope"]!.GetValue<string>());
        Assert.Equal("[parameters('appPrincipalId')]", delegator.Properties["principalId"]!.GetValue<string>());

        // #16.3: a device's upload grant is a user-delegation SAS with create permission on recordings, and a SAS grants no
        // more than its signer's own data rights: the same identity holds Storage Blob Data Contributor on the recordings
        // container itself (container scope, one copy per data container), or every grant would be a 403 on first use.
        var containerContributor = Assert.Single(assignments, a =>
            a.Properties["roleDefinitionId"]!.GetValue<string>().Contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe", StringComparison.Ordinal)
            && a.Properties["principalId"]!.GetValue<string>() == "[parameters('appPrincipalId')]"
            && a.Json["scope"]!.GetValue<string>().Contains("blobServices/containers', parameters('dataStorageName')", StringComparison.Ordinal));
        Assert.Contains("parameters('dataContainerNames')[copyIndex()]", containerContributor.Json["scope"]!.GetValue<string>(), StringComparison.Ordinal);
        var containerNames = containerContributor.Evaluate(JsonValue.Create("[parameters('dataContainerNames')]"))
            .SelectMany(text => JsonNode.Parse(text)!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("recordings", containerNames);

        // #17.3: AcrPull for the app's identity, exactly on the registry of its image (not the group: other registries).
        var pull = Assert.Single(assignments, a => a.Properties["roleDefinitionId"]!.GetValue<string>().Contains("7f951dda-4ed3-4680-a7ca-43fe172d538d", StringComparison.Ordinal));
        Assert.Equal("[resourceId('Microsoft.ContainerRegistry/registries', parameters('registryName'))]", pull.Json["scope"]!.GetValue<string>());
        Assert.Equal("[parameters('appPrincipalId')]", pull.Properties["principalId"]!.GetValue<string>());

        var cosmos = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments"));
        var cosmosRole = Assert.Single(Guids().Matches(cosmos.Properties["roleDefinitionId"]!.GetValue<string>()).Select(m => m.Value));
        Assert.Contains(cosmosRole, AllowedCosmosRoles);
        Assert.Contains("guid(", cosmos.Json["name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("/dbs/", string.Join(' ', cosmos.Evaluate(cosmos.Properties["scope"])), StringComparison.Ordinal);
    }

    /// <summary>#16.1: the app accepts Entra v2 access tokens of the deployment's tenant, for the API's client id (not an
    /// App ID URI, which a v2 token's aud never is); v1 only by an explicit parameter.</summary>
    [Fact]
    public void The_app_accepts_Entra_v2_access_tokens_of_its_tenant_for_the_APIs_client_id()
    {
        var settings = AppSettings();
        Assert.Equal("[tenant().tenantId]", settings["OneValet__Auth__TenantId"]);
        Assert.Matches(@"^\[format\('\{0\}\{1\}/v2\.0', environment\(\)\.authentication\.loginEndpoint, tenant\(\)\.tenantId\)\]$", settings["OneValet__Auth__Issuer"]);
        Assert.Equal("[parameters('apiClientId')]", settings["OneValet__Auth__Audience"]);
        Assert.Equal("[string(parameters('acceptV1'))]", settings["OneValet__Auth__AcceptV1"]);

        // The client id comes from the operator (no default, exactly a GUID's length); v1 is off unless asked for.
        var parameters = compiled.Main["parameters"]!.AsObject();
        Assert.Null(parameters["apiClientId"]!["defaultValue"]);
        Assert.Equal(36, parameters["apiClientId"]!["minLength"]!.GetValue<int>());
        Assert.False(parameters["acceptV1"]!["defaultValue"]!.GetValue<bool>());
        var file = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.BicepFolder, "main.parameters.json")))!;
        Assert.Equal("${ONEVALET_API_CLIENT_ID}", file["parameters"]!["apiClientId"]!["value"]!.GetValue<string>());
    }

    /// <summary>Issue 19: the console is served by the Functions app (same origin as the API, so no CORS and one gate) and
    /// signs in with Entra ID as its own public client: the app settings carry its client id and scope from parameters
    /// the operator sets (main.parameters.json, the workflow's variables), and the deployment outputs its redirect URI.</summary>
    [Fact]
    public void The_console_is_served_by_the_app_and_signs_in_with_the_console_registration()
    {
        var settings = AppSettings();
        Assert.Equal("[parameters('consoleClientId')]", settings["OneValet__Console__ClientId"]);
        Assert.Equal("[parameters('consoleScope')]", settings["OneValet__Console__Scope"]);
        Assert.DoesNotContain("OneValet__Console__DevTokens", settings.Keys);
        var file = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.BicepFolder, "main.parameters.json")))!;
        Assert.Equal("${ONEVALET_CONSOLE_CLIENT_ID}", file["parameters"]!["consoleClientId"]!["value"]!.GetValue<string>());
        Assert.Equal("${ONEVALET_CONSOLE_SCOPE}", file["parameters"]!["consoleScope"]!["value"]!.GetValue<string>());
        var url = compiled.Main["outputs"]!["CONSOLE_URL"]!["value"]!.GetValue<string>();
        Assert.Contains("/api/console", url, StringComparison.Ordinal);
        Assert.Equal("/api/" + OneValet.Pipeline.Api.ApiRoutes.Console.Template, OneValet.Pipeline.Api.ApiRoutes.Console.Path);
    }

    /// <summary>#16.6: with privateNetwork (on by default for production) every data-plane service the app calls is
    /// reached through a private endpoint registered in its linked private DNS zone, turns public access off (the data
    /// account keeps only trusted services and listed console ranges), and the app runs on VNet integration.</summary>
    [Fact]
    public void The_private_network_is_on_for_production_and_puts_every_service_behind_a_private_endpoint()
    {
        var parameters = compiled.Main["parameters"]!.AsObject();
        Assert.Equal("production", parameters["environmentType"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal("[equals(parameters('environmentType'), 'production')]", parameters["privateNetwork"]!["defaultValue"]!.GetValue<string>());

        var network = ArmTemplate.Frames(compiled.Main).Single(f => f.Deployment?["name"]?.GetValue<string>() == "network");
        Assert.Equal("[parameters('privateNetwork')]", network.Deployment!["condition"]!.GetValue<string>());
        var endpoints = network.Deployment["properties"]!["parameters"]!["endpoints"]!["value"]!.AsArray()
            .Select(e => (Type: e!["resourceType"]!.GetValue<string>(), Group: e["groupId"]!.GetValue<string>(), Resource: e["resourceName"]!.GetValue<string>(), Zone: e["zone"]!.GetValue<string>()))
            .ToList();
        string[] expected =
        [
            "Microsoft.Storage/storageAccounts blob hostStorage", "Microsoft.Storage/storageAccounts queue hostStorage", "Microsoft.Storage/storageAccounts table hostStorage",
            "Microsoft.Storage/storageAccounts blob dataStorage", "Microsoft.Storage/storageAccounts queue dataStorage",
            "Microsoft.DocumentDB/databaseAccounts Sql cosmos", "Microsoft.ServiceBus/namespaces namespace serviceBus",
            "Microsoft.KeyVault/vaults vault keyVault", "Microsoft.CognitiveServices/accounts account face",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), endpoints.Select(e => $"{e.Type} {e.Group} {e.Resource.Replace("[variables('names').", string.Empty, StringComparison.Ordinal).TrimEnd(']')}").Order(StringComparer.Ordinal));
        var zoneOf = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["blob"] = "[format('privatelink.blob.{0}', variables('storageSuffix'))]",
            ["queue"] = "[format('privatelink.queue.{0}', variables('storageSuffix'))]",
            ["table"] = "[format('privatelink.table.{0}', variables('storageSuffix'))]",
            ["Sql"] = "privatelink.documents.azure.com",
            ["namespace"] = "privatelink.servicebus.windows.net",
            ["vault"] = "privatelink.vaultcore.azure.net",
            ["account"] = "privatelink.cognitiveservices.azure.com",
        };
        Assert.All(endpoints, e => Assert.Equal(zoneOf[e.Group], e.Zone));

        // Inside the module: one zone per distinct zone, each linked to the network; one endpoint and one zone group per
        // entry, the endpoint in the endpoint subnet; the app subnet delegated as a Container Apps environment needs.
        var module = network.Template["resources"]!.AsObject();
        Assert.Equal("[length(variables('zones'))]", module["dnsZones"]!["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("[length(variables('zones'))]", module["dnsLinks"]!["copy"]!["count"]!.GetValue<string>());
        Assert.Contains("virtualNetworks', parameters('name'))", module["dnsLinks"]!["properties"]!["virtualNetwork"]!["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[length(parameters('endpoints'))]", module["privateEndpoints"]!["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("[length(parameters('endpoints'))]", module["zoneGroups"]!["copy"]!["count"]!.GetValue<string>());
        Assert.Contains("'private-endpoints')", module["privateEndpoints"]!["properties"]!["subnet"]!["id"]!.GetValue<string>(), StringComparison.Ordinal);
        var vnet = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Network/virtualNetworks"));
        var appSubnet = vnet.Properties["subnets"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "app")!;
        Assert.Equal("Microsoft.App/environments", appSubnet["properties"]!["delegations"]![0]!["properties"]!["serviceName"]!.GetValue<string>());

        // Each service turns public access off with the switch, and gets the switch from main.
        const string Switched = "[if(parameters('privateNetwork'), 'Disabled', 'Enabled')]";
        foreach (var type in new[] { "Microsoft.DocumentDB/databaseAccounts", "Microsoft.ServiceBus/namespaces", "Microsoft.KeyVault/vaults", "Microsoft.CognitiveServices/accounts" })
        {
            var resource = Assert.Single(ArmTemplate.OfType(compiled.Main, type));
            Assert.Equal(Switched, resource.Properties["publicNetworkAccess"]!.GetValue<string>());
            Assert.Equal("[parameters('privateNetwork')]", resource.Frame.Deployment!["properties"]!["parameters"]!["privateNetwork"]!["value"]!.GetValue<string>());
        }

        var accounts = ArmTemplate.OfType(compiled.Main, "Microsoft.Storage/storageAccounts");
        var host = accounts.Single(a => a.Frame.Deployment!["name"]!.GetValue<string>() == "hostStorage");
        Assert.Equal(Switched, host.Properties["publicNetworkAccess"]!.GetValue<string>());
        var data = accounts.Single(a => a.Frame.Deployment!["name"]!.GetValue<string>() == "dataStorage");
        Assert.Equal("[if(and(parameters('privateNetwork'), empty(parameters('uploadAddressRanges'))), 'Disabled', 'Enabled')]", data.Properties["publicNetworkAccess"]!.GetValue<string>());
        foreach (var account in accounts)
        {
            Assert.Equal("[if(parameters('privateNetwork'), 'Deny', 'Allow')]", account.Properties["networkAcls"]!["defaultAction"]!.GetValue<string>());
            Assert.Equal("[parameters('privateNetwork')]", account.Frame.Deployment!["properties"]!["parameters"]!["privateNetwork"]!["value"]!.GetValue<string>());
        }

        // Private endpoints need Service Bus Premium.
        var bus = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.ServiceBus/namespaces"));
        Assert.StartsWith("[if(parameters('privateNetwork'), createObject('name', 'Premium'", bus.Json["sku"]!.GetValue<string>(), StringComparison.Ordinal);

        // The app: its Container Apps environment sits in the module's subnet whenever the network exists.
        var environment = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.App/managedEnvironments"));
        Assert.Equal("[if(empty(parameters('infrastructureSubnetId')), null(), createObject('infrastructureSubnetId', parameters('infrastructureSubnetId'), 'internal', false()))]", environment.Properties["vnetConfiguration"]!.GetValue<string>());
        Assert.Equal("[if(parameters('privateNetwork'), createObject('value', reference('network').outputs.appSubnetId.value), createObject('value', ''))]", environment.Frame.Deployment!["properties"]!["parameters"]!["infrastructureSubnetId"]!.GetValue<string>());
    }

    /// <summary>#16.4: the alerts reach the privacy office and watch what the code measures: the query alerts name the
    /// meters' instruments as the code creates them, the broker alerts the platforms' dead-letter metrics.</summary>
    [Fact]
    public void Alerts_on_overdue_deletions_and_dead_letters_go_to_the_privacy_office()
    {
        var group = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Insights/actionGroups"));
        Assert.Equal("[parameters('privacyOfficerAddress')]", group.Properties["emailReceivers"]![0]!["emailAddress"]!.GetValue<string>());
        Assert.Equal("[parameters('privacyOfficerAddress')]", group.Frame.Deployment!["properties"]!["parameters"]!["privacyOfficerAddress"]!["value"]!.GetValue<string>());

        using var retention = new OneValet.Pipeline.Retention.RetentionMetrics();
        using var pipeline = new OneValet.Pipeline.Telemetry.PipelineMetrics();
        var queries = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Insights/scheduledQueryRules"));
        var variables = queries.Frame.Template["variables"]!["queries"]!.AsArray().Select(q => q!["query"]!.GetValue<string>()).ToList();
        Assert.Contains(variables, q => q.Contains($"Name == \"{retention.DeletionLag.Name}\" and Max > 0", StringComparison.Ordinal));
        Assert.Contains(variables, q => q.Contains($"Name == \"{pipeline.DeadLettered.Name}\"", StringComparison.Ordinal));

        // Requests within 5 days of due and past it (D1), breach campaigns that escalated (O14): the instruments the code creates.
        foreach (var instrument in new Instrument[] { pipeline.RequestsNearDue, pipeline.RequestsOverdue, pipeline.BreachEscalations })
        {
            Assert.Contains(variables, q => q.Contains($"Name == \"{instrument.Name}\"", StringComparison.Ordinal));
        }

        Assert.Contains("actionGroups', 'ag-privacy-office')", queries.Properties["actions"]!["actionGroups"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var metricAlerts = ArmTemplate.OfType(compiled.Main, "Microsoft.Insights/metricAlerts");
        foreach (var (metric, scope) in new[] { ("DeadletteredMessages", "Microsoft.ServiceBus/namespaces"), ("DeadLetteredCount", "Microsoft.EventGrid/systemTopics") })
        {
            var alert = Assert.Single(metricAlerts, a => a.Properties["criteria"]!["allOf"]![0]!["metricName"]!.GetValue<string>() == metric);
            Assert.Contains(scope, alert.Properties["scopes"]![0]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(0, alert.Properties["criteria"]!["allOf"]![0]!["threshold"]!.GetValue<int>());
            Assert.Contains("ag-privacy-office", alert.Properties["actions"]![0]!["actionGroupId"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_face_account_is_kind_Face_with_keys_disabled_and_the_app_reaches_it_by_its_endpoint()
    {
        var face = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.CognitiveServices/accounts"));
        Assert.Equal("Face", face.Json["kind"]!.GetValue<string>());
        Assert.True(face.Properties["disableLocalAuth"]!.GetValue<bool>());
        Assert.False(string.IsNullOrEmpty(face.Properties["customSubDomainName"]?.ToJsonString())); // Entra tokens need it

        var settings = AppSettings();
        Assert.StartsWith("[", settings["OneValet__Faces__Endpoint"], StringComparison.Ordinal); // the account's output, not a literal
        Assert.True(settings.ContainsKey("OneValet__Faces__LargePersonGroupPrefix"));
    }

    [Fact]
    public void Cosmos_containers_equal_Containers_All_each_partitioned_on_the_code_partition_key()
    {
        var containers = ArmTemplate.OfType(compiled.Main, "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers");
        Assert.Equal(Containers.All.Order(StringComparer.Ordinal), containers.SelectMany(c => c.OwnNames).Order(StringComparer.Ordinal));
        foreach (var container in containers)
        {
            var partitionKey = container.Properties["resource"]!["partitionKey"]!;
            Assert.Equal([Containers.PartitionKeyPath], partitionKey["paths"]!.AsArray().Select(p => p!.GetValue<string>()));
            Assert.Equal(container.OwnNames, container.Evaluate(container.Properties["resource"]!["id"]));
        }

        // The recordings catalogue is queried by capture time within a building: that path must be indexed.
        var recordings = containers.Single(c => c.OwnNames.Contains(Containers.Recordings));
        var included = recordings.Properties["resource"]!["indexingPolicy"]!["includedPaths"]!.AsArray().Select(p => p!["path"]!.GetValue<string>());
        Assert.Contains("/capturedAt/?", included);
        var database = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.DocumentDB/databaseAccounts/sqlDatabases"));
        Assert.Equal([new CosmosOptions().DatabaseName], database.OwnNames);
    }

    [Fact]
    public void Service_Bus_queues_equal_Queues_All_with_dead_lettering_duplicate_detection_and_bounded_delivery()
    {
        var queues = ArmTemplate.OfType(compiled.Main, "Microsoft.ServiceBus/namespaces/queues");
        Assert.Equal(Queues.All.Order(StringComparer.Ordinal), queues.SelectMany(q => q.OwnNames).Order(StringComparer.Ordinal));
        foreach (var queue in queues)
        {
            Assert.True(queue.Properties["deadLetteringOnMessageExpiration"]!.GetValue<bool>());
            Assert.True(queue.Properties["requiresDuplicateDetection"]!.GetValue<bool>());
            Assert.False(string.IsNullOrEmpty(queue.Properties["duplicateDetectionHistoryTimeWindow"]?.GetValue<string>()));
            Assert.InRange(queue.Properties["maxDeliveryCount"]!.GetValue<int>(), 1, 10);
        }
    }

    [Fact]
    public void Local_authentication_is_disabled_on_every_data_service()
    {
        var accounts = ArmTemplate.OfType(compiled.Main, "Microsoft.Storage/storageAccounts");
        Assert.Equal(2, accounts.Count); // host storage and data storage, kept apart
        foreach (var account in accounts)
        {
            Assert.False(account.Properties["allowSharedKeyAccess"]!.GetValue<bool>());
            Assert.False(account.Properties["allowBlobPublicAccess"]!.GetValue<bool>());
            Assert.Equal("TLS1_2", account.Properties["minimumTlsVersion"]!.GetValue<string>());
            Assert.True(account.Properties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        }

        foreach (var type in new[] { "Microsoft.DocumentDB/databaseAccounts", "Microsoft.ServiceBus/namespaces" })
        {
            var resource = Assert.Single(ArmTemplate.OfType(compiled.Main, type));
            Assert.True(resource.Properties["disableLocalAuth"]!.GetValue<bool>(), $"{type} allows keys");
        }

        var cosmos = ArmTemplate.OfType(compiled.Main, "Microsoft.DocumentDB/databaseAccounts").Single();
        Assert.Contains(cosmos.Properties["capabilities"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "EnableServerless");
        var vault = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.KeyVault/vaults"));
        Assert.True(vault.Properties["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(vault.Properties["enablePurgeProtection"]!.GetValue<bool>());
        foreach (var policy in ArmTemplate.OfType(compiled.Main, "Microsoft.Web/sites/basicPublishingCredentialsPolicies"))
        {
            Assert.False(policy.Properties["allow"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void Data_containers_equal_the_storage_options_and_a_deletion_becomes_real_within_a_bounded_time()
    {
        var defaults = new StorageOptions();
        var expected = new[] { defaults.RecordingsContainer, defaults.QuarantineContainer, defaults.ExportsContainer, defaults.AnonymizedContainer, defaults.FacialReferencesContainer, defaults.RequestDocumentsContainer };
        var containers = ArmTemplate.OfType(compiled.Main, "Microsoft.Storage/storageAccounts/blobServices/containers").SelectMany(c => c.OwnNames).ToList();
        Assert.All(expected, name => Assert.Contains(name, containers));

        // Versioning on; deleted versions and blobs are soft-deleted for a bounded time; previous versions expire.
        var dataBlobService = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Storage/storageAccounts/blobServices"), s => s.Properties["isVersioningEnabled"]?.GetValue<bool>() == true);
        var softDelete = dataBlobService.Properties["deleteRetentionPolicy"]!;
        Assert.True(softDelete["enabled"]!.GetValue<bool>());
        Assert.NotNull(softDelete["days"]);
        var lifecycle = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Storage/storageAccounts/managementPolicies"));
        Assert.Contains(lifecycle.Properties["policy"]!["rules"]!.AsArray(), rule => rule!["definition"]!["actions"]!["version"]?["delete"] is not null);

        // Quarantine's backstop (O4): refused uploads go within the TDPA period even if the engine never ran. The rule
        // names the quarantine container the code uses, and its days plus lifecycle's daily run stay inside 90.
        var quarantine = Assert.Single(lifecycle.Properties["policy"]!["rules"]!.AsArray(), rule => rule!["name"]!.GetValue<string>() == "expire-quarantine")!;
        Assert.Equal([defaults.QuarantineContainer + "/"], lifecycle.Evaluate(quarantine["definition"]!["filters"]!["prefixMatch"]));
        var days = int.Parse(Assert.Single(lifecycle.Evaluate(quarantine["definition"]!["actions"]!["baseBlob"]!["delete"]!["daysAfterCreationGreaterThan"])), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(days + 2, 3, (int)OneValet.Pipeline.Retention.RetentionOptions.TdpaMaximum.TotalDays);
    }

    /// <summary>#17.3: the app is the worker's image on Azure Container Apps (redaction needs ffmpeg, which Flex
    /// Consumption's image lacks), pulled from its own registry by its identity: no admin user, no registry password among
    /// the settings, the runtime the project targets, and at least one replica (Durable Functions on the Azure Storage
    /// provider does not scale from zero on Container Apps; its timers must fire).</summary>
    [Fact]
    public void The_function_app_runs_the_projects_image_on_container_apps_pulled_by_its_identity()
    {
        var app = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Web/sites"));
        Assert.Equal("functionapp,linux,container,azurecontainerapps", app.Json["kind"]!.GetValue<string>());
        Assert.Empty(ArmTemplate.OfType(compiled.Main, "Microsoft.Web/serverfarms"));
        Assert.Equal("[parameters('environmentId')]", app.Properties["managedEnvironmentId"]!.GetValue<string>());
        Assert.Equal("UserAssigned", app.Json["identity"]!["type"]!.GetValue<string>());

        var site = app.Properties["siteConfig"]!;
        Assert.Equal("[format('DOCKER|{0}/{1}', parameters('registryLoginServer'), parameters('image'))]", site["linuxFxVersion"]!.GetValue<string>());
        Assert.True(site["acrUseManagedIdentityCreds"]!.GetValue<bool>());
        Assert.Equal("[parameters('identityClientId')]", site["acrUserManagedIdentityID"]!.GetValue<string>());
        Assert.Equal("[parameters('minimumInstanceCount')]", site["minimumElasticInstanceCount"]!.GetValue<string>());
        Assert.Equal(1, app.Frame.Template["parameters"]!["minimumInstanceCount"]!["minValue"]!.GetValue<int>());

        // The image is the repository the hook builds, at the tag main.bicep takes (the commit, in the workflow).
        var frame = app.Frame.Deployment!["properties"]!["parameters"]!;
        Assert.Equal("[format('{0}:{1}', variables('imageRepository'), parameters('imageTag'))]", frame["image"]!["value"]!.GetValue<string>());
        Assert.Equal("[reference('registry').outputs.loginServer.value]", frame["registryLoginServer"]!["value"]!.GetValue<string>());
        Assert.Equal("onevalet-functions", compiled.Main["variables"]!["imageRepository"]!.GetValue<string>());

        var registry = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.ContainerRegistry/registries"));
        Assert.False(registry.Properties["adminUserEnabled"]!.GetValue<bool>());
        Assert.NotEqual(true, registry.Properties["anonymousPullEnabled"]?.GetValue<bool>());

        var framework = typeof(FunctionsApp).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName; // ".NETCoreApp,Version=v10.0"
        var version = framework[(framework.IndexOf("Version=v", StringComparison.Ordinal) + "Version=v".Length)..];
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "container", "Dockerfile"));
        Assert.Contains($"FROM mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated{version} AS runtime", dockerfile, StringComparison.Ordinal);
        var settings = AppSettings();
        Assert.Equal("dotnet-isolated", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("~4", settings["FUNCTIONS_EXTENSION_VERSION"]);
        Assert.Equal("/usr/bin", settings["OneValet__Faces__FFmpegFolder"]);
        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("DOCKER_REGISTRY_SERVER", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_event_grid_blob_trigger_is_subscribed_to_blob_created_on_its_container_through_the_blobs_extension_webhook()
    {
        var triggers = CodeSettings.Connections.Where(c => c.Instance is BlobTriggerAttribute { Source: BlobTriggerSource.EventGrid }).ToList();
        var trigger = Assert.Single(triggers); // one subscription template serves one function; a second needs its own
        var container = ((BlobTriggerAttribute)trigger.Instance).BlobPath.Split('/')[0];

        var subscription = Assert.Single(ArmTemplate.OfType(compiled.BlobSubscription, "Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        var destination = subscription.Properties["destination"]!;
        Assert.Equal("WebHook", destination["endpointType"]!.GetValue<string>());
        var url = Assert.Single(subscription.Evaluate(destination["properties"]!["endpointUrl"]));
        Assert.Matches($"^https://{Regex.Escape(ArmExpression.Unknown)}/runtime/webhooks/blobs\\?functionName=Host\\.Functions\\.{trigger.Function}&code={Regex.Escape(ArmExpression.Unknown)}$", url);
        var filter = subscription.Properties["filter"]!;
        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal([$"/blobServices/default/containers/{container}/"], subscription.Evaluate(filter["subjectBeginsWith"]));
        Assert.NotNull(subscription.Properties["deadLetterWithResourceIdentity"]);

        // The system topic exists in main.json, on the data account.
        var topic = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.EventGrid/systemTopics"));
        Assert.Equal("Microsoft.Storage.StorageAccounts", topic.Properties["topicType"]!.GetValue<string>());
    }

    /// <summary>The Function App's settings, name to value (the value as written in the template: literal or expression).</summary>
    private Dictionary<string, string> AppSettings()
    {
        var app = Assert.Single(ArmTemplate.OfType(compiled.Main, "Microsoft.Web/sites"));
        Assert.Empty(ArmTemplate.OfType(compiled.Main, "Microsoft.Web/sites/config")); // all settings in one place
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var setting in app.Properties["siteConfig"]!["appSettings"]!.AsArray())
        {
            var name = setting!["name"]!.GetValue<string>();
            Assert.DoesNotMatch(@"^\[", name); // names are literal, so that they can be checked
            Assert.True(settings.TryAdd(name, setting["value"]!.GetValue<string>()), $"{name} is set twice.");
        }

        return settings;
    }

    [GeneratedRegex("key|secret|password|token|sas|connectionstring|connection_string", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.IgnoreCase)]
    private static partial Regex Guids();
}
