using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneValet.Functions;
using OneValet.Tests.Infrastructure;

namespace OneValet.Tests.Deployment;

/// <summary>
/// The app settings the Functions app reads in Azure, derived from its code (not a hand-kept list), by these rules:
/// <list type="number">
/// <item>Options. Every options type of the product (OneValet.* assemblies) the Functions app binds from configuration: those for which
/// <see cref="FunctionsApp.AddFunctionsApp"/> registers an <see cref="IOptionsChangeTokenSource{TOptions}"/> (what
/// <c>BindConfiguration</c> adds), each through its <c>public const string Section</c>. A public settable property of a
/// scalar type (string, Uri, number, bool, enum, TimeSpan, ...) is required in Azure when it carries [Required] or has
/// no default (it is null on a new instance); its setting is <c>Section__Property</c>, ':' turned into '__'. A property
/// with a default is optional (the default is the production value); collections and nested objects are optional
/// overrides (e.g. OneValet:Retention:Buildings). A property named *ConnectionString is for the emulator only: it is
/// listed in <see cref="EmulatorOnly"/> and must NOT be set in Azure, where shared keys are disabled.</item>
/// <item>Connections. Every <c>Connection = "X"</c> of a trigger or binding attribute in OneValet.Functions (found by
/// reflection) needs X's identity-based settings: <c>X__credential</c> (managedidentity), <c>X__clientId</c>, and the
/// endpoint of its service: blob: <c>X__blobServiceUri</c>, plus <c>X__queueServiceUri</c> for a blob trigger (failed
/// blobs go to a poison queue on that account); storage queue: <c>X__queueServiceUri</c>; table:
/// <c>X__tableServiceUri</c>; Service Bus and Event Hubs: <c>X__fullyQualifiedNamespace</c>; Cosmos DB:
/// <c>X__accountEndpoint</c>. An attribute of another kind fails the test until this rule learns it.</item>
/// <item>Host storage. <c>AzureWebJobsStorage__blobServiceUri</c> always; <c>__queueServiceUri</c> when a blob trigger
/// exists or Durable Functions use the Azure Storage provider (root host.json); <c>__tableServiceUri</c> for that
/// provider; and <c>__credential</c>, <c>__clientId</c>.</item>
/// </list>
/// </summary>
internal static class CodeSettings
{
    public static IReadOnlyList<Type> BoundOptionsTypes { get; } = FindBoundOptionsTypes();

    public static IReadOnlyList<ConnectionUse> Connections { get; } = FindConnections();

    private static readonly (Dictionary<string, string> Required, List<string> EmulatorOnly) Derived = Derive();

    /// <summary>Settings the app must have in Azure, with the rule that asks for each.</summary>
    public static IReadOnlyDictionary<string, string> Required => Derived.Required;

    /// <summary>Settings the code reads only against emulators; they must be absent in Azure.</summary>
    public static IReadOnlyList<string> EmulatorOnly => Derived.EmulatorOnly;

    /// <summary>The connection names that use identity-based settings (each needs __credential and __clientId).</summary>
    public static IReadOnlyList<string> IdentityConnections =>
        [.. Connections.Select(c => c.Name).Append("AzureWebJobsStorage").Distinct(StringComparer.Ordinal)];

    private static (Dictionary<string, string> Required, List<string> EmulatorOnly) Derive()
    {
        var required = new Dictionary<string, string>(StringComparer.Ordinal);
        var emulatorOnly = new List<string>();
        foreach (var type in BoundOptionsTypes)
        {
            var section = type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field
                ? (string)field.GetRawConstantValue()!
                : throw new InvalidOperationException($"{type.Name} is bound from configuration but has no public const string Section.");
            var fresh = Activator.CreateInstance(type);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true && IsScalar(p.PropertyType)))
            {
                var setting = section.Replace(":", "__", StringComparison.Ordinal) + "__" + property.Name;
                if (property.Name.EndsWith("ConnectionString", StringComparison.Ordinal))
                {
                    emulatorOnly.Add(setting);
                }
                else if (property.GetCustomAttribute<RequiredAttribute>() is not null)
                {
                    required[setting] = $"{type.Name}.{property.Name} is [Required]";
                }
                else if (property.GetValue(fresh) is null)
                {
                    required[setting] = $"{type.Name}.{property.Name} has no default";
                }
            }
        }

        foreach (var connection in Connections)
        {
            foreach (var suffix in connection.EndpointSettings)
            {
                required[$"{connection.Name}__{suffix}"] = $"Connection = \"{connection.Name}\" of {connection.Attribute} on {connection.Function}";
            }
        }

        required["AzureWebJobsStorage__blobServiceUri"] = "the Functions host's storage";
        var durableOnAzureStorage = DurableUsesAzureStorage();
        if (durableOnAzureStorage || Connections.Any(c => c.IsBlobTrigger))
        {
            required["AzureWebJobsStorage__queueServiceUri"] = "blob trigger or durable (Azure Storage provider) queues";
        }

        if (durableOnAzureStorage)
        {
            required["AzureWebJobsStorage__tableServiceUri"] = "durable task hub (Azure Storage provider)";
        }

        foreach (var name in IdentityConnections)
        {
            required[$"{name}__credential"] = $"identity-based connection {name}";
            required[$"{name}__clientId"] = $"identity-based connection {name} (user-assigned identity)";
        }

        return (required, emulatorOnly);
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(Uri) || t == typeof(decimal)
            || t == typeof(TimeSpan) || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Guid);
    }

    private static List<Type> FindBoundOptionsTypes()
    {
        var services = new ServiceCollection();
        services.AddFunctionsApp(new ConfigurationBuilder().Build());
        return [.. services
            .Where(d => d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(IOptionsChangeTokenSource<>))
            .Select(d => d.ServiceType.GetGenericArguments()[0])
            .Where(t => t.Assembly.GetName().Name?.StartsWith("OneValet.", StringComparison.Ordinal) == true) // not libraries' own (e.g. OpenTelemetry's logger options)
            .Distinct()
            .OrderBy(t => t.FullName, StringComparer.Ordinal)];
    }

    private static List<ConnectionUse> FindConnections()
    {
        var uses = new List<ConnectionUse>();
        foreach (var method in typeof(FunctionsApp).Assembly.GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }

            var returnType = method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
                ? method.ReturnType.GetGenericArguments()[0]
                : method.ReturnType;
            var attributes = method.GetCustomAttributes()
                .Concat(method.GetParameters().SelectMany(p => p.GetCustomAttributes()))
                .Concat(returnType.GetProperties().SelectMany(p => p.GetCustomAttributes()));
            foreach (var attribute in attributes)
            {
                if (attribute.GetType().GetProperty("Connection")?.GetValue(attribute) is string { Length: > 0 } connection)
                {
                    uses.Add(new ConnectionUse(connection, attribute.GetType().Name, function.Name, attribute));
                }
            }
        }

        return uses;
    }

    private static bool DurableUsesAzureStorage()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")))!;
        if (host["extensions"]?["durableTask"] is not JsonObject durable)
        {
            return false;
        }

        // The Azure Storage provider is the default when host.json names none.
        var provider = durable["storageProvider"]?["type"]?.GetValue<string>() ?? "AzureStorage";
        return string.Equals(provider, "AzureStorage", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>One <c>Connection = "Name"</c> of a trigger or binding attribute.</summary>
internal sealed record ConnectionUse(string Name, string Attribute, string Function, Attribute Instance)
{
    public bool IsBlobTrigger => Instance is BlobTriggerAttribute;

    /// <summary>The endpoint settings (after "Name__") an identity-based connection of this kind needs.</summary>
    public IReadOnlyList<string> EndpointSettings => Attribute switch
    {
        _ when Attribute.Contains("ServiceBus", StringComparison.Ordinal) => ["fullyQualifiedNamespace"],
        _ when Attribute.Contains("EventHub", StringComparison.Ordinal) => ["fullyQualifiedNamespace"],
        _ when Attribute.Contains("CosmosDB", StringComparison.Ordinal) => ["accountEndpoint"],
        _ when Attribute.Contains("Blob", StringComparison.Ordinal) => IsBlobTrigger ? ["blobServiceUri", "queueServiceUri"] : ["blobServiceUri"],
        _ when Attribute.Contains("Queue", StringComparison.Ordinal) => ["queueServiceUri"],
        _ when Attribute.Contains("Table", StringComparison.Ordinal) => ["tableServiceUri"],
        _ => throw new InvalidOperationException($"Connection \"{Name}\" of {Attribute} on {Function}: teach CodeSettings which endpoint setting it needs."),
    };
}
