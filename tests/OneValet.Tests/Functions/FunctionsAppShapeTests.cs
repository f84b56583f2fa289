using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using OneValet.Functions.Api;
using OneValet.Pipeline.Api;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Functions;

/// <summary>
/// No Functions host runs on this machine, so the app is tested through its code and through the functions metadata the
/// Worker SDK generates at build time (what the Functions host reads to bind triggers in Azure).
/// </summary>
public sealed class FunctionsAppShapeTests
{
    private static readonly Assembly App = typeof(HttpFunctions).Assembly;

    [Fact]
    public void Every_route_of_the_table_has_exactly_one_http_trigger_with_the_same_name_method_and_route()
    {
        var triggers = App.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Function: m.GetCustomAttribute<FunctionAttribute>(), Http: m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(x => x.Function is not null && x.Http is not null)
            .ToList();

        Assert.Equal(ApiRoutes.All.Count, triggers.Count);
        foreach (var route in ApiRoutes.All)
        {
            var trigger = Assert.Single(triggers, t => t.Function!.Name == route.Name);
            Assert.Equal(route.Template, trigger.Http!.Route);
            Assert.Equal([route.Method.ToLowerInvariant()], trigger.Http.Methods ?? []);
        }
    }

    [Fact]
    public void The_generated_metadata_binds_ingestion_to_event_grid_blob_created_on_recordings_by_identity_connection()
    {
        var function = Metadata().Single(f => f["name"]!.GetValue<string>() == "IngestRecording");
        var trigger = function["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "blobTrigger")!;
        Assert.Equal("recordings/{name}", trigger["path"]!.GetValue<string>());
        Assert.Equal("EventGrid", trigger["source"]!.GetValue<string>());
        Assert.Equal("Recordings", trigger["connection"]!.GetValue<string>());
    }

    [Fact]
    public void The_generated_metadata_has_every_http_route_as_an_anonymous_http_trigger()
    {
        var functions = Metadata();
        foreach (var route in ApiRoutes.All)
        {
            var function = functions.Single(f => f["name"]!.GetValue<string>() == route.Name);
            var trigger = function["bindings"]!.AsArray().Single(b => b!["type"]!.GetValue<string>() == "httpTrigger")!;
            Assert.Equal(route.Template, trigger["route"]!.GetValue<string>());
            Assert.Equal("Anonymous", trigger["authLevel"]!.GetValue<string>(), ignoreCase: true);
        }
    }

    [Fact]
    public void The_root_host_json_is_the_one_shipped_with_the_app()
    {
        var shipped = File.ReadAllText(RepositoryPaths.ProjectOutput("OneValet.Functions", "host.json"));
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")), shipped);
        var hostJson = JsonNode.Parse(shipped)!;
        Assert.Equal("api", hostJson["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
    }

    private static List<JsonNode> Metadata()
    {
        var path = RepositoryPaths.ProjectOutput("OneValet.Functions", "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata not generated at {path}");
        return [.. JsonNode.Parse(File.ReadAllText(path))!.AsArray().Select(n => n!)];
    }
}
