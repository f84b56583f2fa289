using System.Text.Json.Nodes;
using OneValet.Pipeline.Api;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20, versioning: the document carries <c>info.version</c>; compared with the last released document kept in the
/// repository, a breaking change fails unless the major number is raised. The crafted pairs start from the real document.
/// </summary>
public sealed class OpenApiVersioningTests
{
    public static string ReleasedPath { get; } = Path.Combine(RepositoryPaths.Root, "functions", "OneValet.Pipeline", "Api", "openapi.released.json");

    private static JsonObject Released() => JsonNode.Parse(File.ReadAllText(ReleasedPath))!.AsObject();

    private static JsonObject Schema(JsonObject document, string name) => document["components"]!["schemas"]![name]!.AsObject();

    [Fact]
    public void The_generated_document_keeps_the_released_contract_or_raises_the_major_version()
    {
        var verdict = OpenApiCompatibility.Verdict(Released(), OpenApiDocument.Build());
        Assert.True(verdict is null, verdict + "\nRaise OpenApiDocument.Version's major number, or keep the contract.");
    }

    [Fact]
    public void The_generated_document_carries_a_semantic_version_at_least_the_released_one()
    {
        var version = OpenApiDocument.Build()["info"]!["version"]!.GetValue<string>();
        Assert.Matches(@"^[0-9]+\.[0-9]+\.[0-9]+$", version);
        Assert.True(Version.Parse(version) >= Version.Parse(Released()["info"]!["version"]!.GetValue<string>()));
    }

    [Fact]
    public void The_unchanged_document_has_no_breaking_change()
    {
        Assert.Empty(OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), OpenApiDocument.Build()));
    }

    [Fact]
    public void A_removed_operation_breaks()
    {
        var current = OpenApiDocument.Build();
        current["paths"]!["/api/holds"]!.AsObject().Remove("get");
        Assert.Contains(OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current), c => c.StartsWith("GET /api/holds: operation removed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_removed_path_breaks_every_operation_on_it()
    {
        var current = OpenApiDocument.Build();
        current["paths"]!.AsObject().Remove("/api/holds/{holdId}");
        var changes = OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current);
        Assert.Contains("GET /api/holds/{holdId}: operation removed", changes);
        Assert.Contains("DELETE /api/holds/{holdId}: operation removed", changes);
    }

    [Fact]
    public void A_removed_response_field_breaks_wherever_the_type_is_returned()
    {
        var current = OpenApiDocument.Build();
        Schema(current, "HoldRecord")["properties"]!.AsObject().Remove("itemsHeld");
        var changes = OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current);
        Assert.Contains("GET /api/holds/{holdId} response 200: field itemsHeld removed", changes);
        Assert.Contains("GET /api/holds response 200[]: field itemsHeld removed", changes);
    }

    [Fact]
    public void A_removed_success_response_breaks_a_removed_refusal_does_not()
    {
        var current = OpenApiDocument.Build();
        current["paths"]!["/api/holds"]!["post"]!["responses"]!.AsObject().Remove("201");
        current["paths"]!["/api/holds/{holdId}"]!["get"]!["responses"]!.AsObject().Remove("429");
        var changes = OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current);
        Assert.Equal(["POST /api/holds: response 201 removed"], changes);
    }

    [Fact]
    public void A_new_required_request_field_breaks_a_new_optional_one_does_not()
    {
        var optional = OpenApiDocument.Build();
        Schema(optional, "HoldInput")["properties"]!["ticket"] = new JsonObject { ["type"] = new JsonArray("string", "null") };
        Assert.Empty(OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), optional));

        var required = OpenApiDocument.Build();
        Schema(required, "HoldInput")["properties"]!["ticket"] = new JsonObject { ["type"] = "string" };
        Schema(required, "HoldInput")["required"]!.AsArray().Add("ticket");
        Assert.Equal(["POST /api/holds request: field ticket is newly required"], OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), required));
    }

    [Fact]
    public void A_field_made_required_in_a_nested_request_object_breaks()
    {
        var current = OpenApiDocument.Build();
        Schema(current, "HoldInput")["properties"]!["scope"]!["required"] = new JsonArray("buildingId");
        Assert.Equal(["POST /api/holds request.scope: field buildingId is newly required"], OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current));
    }

    [Fact]
    public void A_narrowed_enum_breaks_a_widened_request_enum_does_not()
    {
        var narrowed = OpenApiDocument.Build();
        var reasons = Schema(narrowed, "HoldInput")["properties"]!["reason"]!["enum"]!.AsArray();
        reasons.RemoveAt(reasons.Select(v => v!.GetValue<string>()).ToList().IndexOf("debugging"));
        Assert.Equal(["POST /api/holds request.reason: enum value \"debugging\" removed"], OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), narrowed));

        var widened = OpenApiDocument.Build();
        Schema(widened, "HoldInput")["properties"]!["reason"]!["enum"]!.AsArray().Add("audit");
        Assert.Empty(OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), widened));
    }

    [Fact]
    public void A_changed_type_breaks_in_a_request_and_in_a_response()
    {
        var current = OpenApiDocument.Build();
        Schema(current, "HoldInput")["properties"]!["owner"]!["type"] = "integer";
        Schema(current, "HoldRecord")["properties"]!["owner"]!["type"] = "integer";
        var changes = OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current);
        Assert.Contains("POST /api/holds request.owner: type changed from [string] to [integer]", changes);
        Assert.Contains("GET /api/holds/{holdId} response 200.owner: type changed from [string] to [integer]", changes);
    }

    [Fact]
    public void A_response_field_that_may_now_be_null_breaks_a_request_field_that_may_now_be_null_does_not()
    {
        var response = OpenApiDocument.Build();
        Schema(response, "HoldRecord")["properties"]!["owner"]!["type"] = new JsonArray("string", "null");
        Assert.Contains("GET /api/holds/{holdId} response 200.owner: type changed from [string] to [null,string]", OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), response));

        var request = OpenApiDocument.Build();
        Schema(request, "HoldInput")["properties"]!["owner"]!["type"] = new JsonArray("string", "null");
        Assert.Empty(OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), request));
    }

    [Fact]
    public void A_new_required_query_parameter_breaks()
    {
        var current = OpenApiDocument.Build();
        current["paths"]!["/api/holds"]!["get"]!["parameters"] = new JsonArray(new JsonObject
        {
            ["name"] = "buildingId", ["in"] = "query", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" },
        });
        Assert.Equal(["GET /api/holds: parameter query:buildingId is newly required"], OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current));
    }

    [Fact]
    public void Added_routes_response_fields_and_refusals_do_not_break()
    {
        var current = OpenApiDocument.Build();
        current["paths"]!["/api/holds/{holdId}/notes"] = current["paths"]!["/api/holds/{holdId}"]!.DeepClone();
        Schema(current, "HoldRecord")["properties"]!["ticket"] = new JsonObject { ["type"] = "string" };
        Schema(current, "HoldRecord")["required"]!.AsArray().Add("ticket");
        current["paths"]!["/api/holds"]!["get"]!["responses"]!["409"] = current["paths"]!["/api/holds"]!["get"]!["responses"]!["429"]!.DeepClone();
        Assert.Empty(OpenApiCompatibility.BreakingChanges(OpenApiDocument.Build(), current));
    }

    [Theory]
    [InlineData("1.0.0", "1.1.0", false)]
    [InlineData("1.0.0", "1.0.1", false)]
    [InlineData("1.4.2", "2.0.0", true)]
    [InlineData("2.0.0", "1.9.0", false)]
    public void A_breaking_change_passes_only_with_a_higher_major_version(string released, string current, bool passes)
    {
        var before = OpenApiDocument.Build();
        before["info"]!["version"] = released;
        var after = OpenApiDocument.Build();
        after["info"]!["version"] = current;
        after["paths"]!.AsObject().Remove("/api/holds");
        Assert.Equal(passes, OpenApiCompatibility.Verdict(before, after) is null);
    }

    [Fact]
    public void A_non_breaking_change_passes_without_a_new_version()
    {
        var current = OpenApiDocument.Build();
        current["paths"]!["/api/holds/{holdId}/notes"] = current["paths"]!["/api/holds/{holdId}"]!.DeepClone();
        Assert.Null(OpenApiCompatibility.Verdict(OpenApiDocument.Build(), current));
    }
}
