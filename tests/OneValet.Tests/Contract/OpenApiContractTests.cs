using System.Text.Json;
using System.Text.Json.Nodes;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Retention;
using Xunit;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20: the document says, for every row of the route table, what the gate and the handler do: who may call it
/// (bearer JWT, roles), its ids' pattern, its body, and each status it answers; and any new row gets the same.
/// </summary>
public sealed class OpenApiContractTests
{
    private static readonly JsonObject Document = OpenApiDocument.Build();

    private static JsonObject Operation(ApiRoute route) => Document["paths"]![route.Path]![route.Method.ToLowerInvariant()]!.AsObject();

    public static TheoryData<string> Routes() => [.. ApiRoutes.All.Select(r => r.Name)];

    private static ApiRoute Route(string name) => ApiRoutes.All.Single(r => r.Name == name);

    [Fact]
    public void Every_row_is_one_operation_and_nothing_else_is()
    {
        var operations = Document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => (p.Key, m.Key, m.Value!["operationId"]!.GetValue<string>()))).ToList();
        Assert.Equal(ApiRoutes.All.Select(r => (r.Path, r.Method.ToLowerInvariant(), r.Name)).Order(), operations.Order());
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void Each_operation_names_its_roles_its_security_and_every_refusal_of_the_gate(string name)
    {
        var route = Route(name);
        var operation = Operation(route);
        var responses = operation["responses"]!.AsObject().Select(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        Assert.Contains(429, responses); // rate limits on every route
        if (route.Scope == Scope.Anonymous)
        {
            Assert.Empty(operation["security"]!.AsArray());
            Assert.Empty(operation["x-roles"]!.AsArray());
        }
        else
        {
            Assert.Null(operation["security"]); // the document's: bearer
            Assert.Superset(new HashSet<int> { 401, 403, 404 }, responses);
            var roles = operation["x-roles"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
            Assert.Equal(route.Callers.ToString().Split(", ").Length, roles.Count);
            Assert.All(roles, r => Assert.Contains(r, operation["description"]!.GetValue<string>(), StringComparison.Ordinal));
            Assert.All(roles, r => Assert.True(route.Callers.HasFlag(OneValet.Pipeline.Api.Auth.AuthClaims.RoleNames[r])));
        }

        Assert.Contains(responses, s => s is >= 200 and < 300);
        Assert.DoesNotContain(responses, s => s >= 500 && s != 503 && !route.Refuses.Contains(s));
        Assert.Contains(503, responses); // either host, when a service the route needs did not answer (DependencyFailures)
        Assert.NotNull(operation["responses"]!["503"]!["headers"]?["Retry-After"]);
        foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key[0] is '4' or '5'))
        {
            Assert.Equal("#/components/schemas/Problem", response!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>());
        }

        foreach (var parameter in (operation["parameters"]?.AsArray() ?? []).Where(p => p!["in"]!.GetValue<string>() == "path"))
        {
            Assert.Equal(OpenApiDocument.IdPattern, parameter!["schema"]!["pattern"]!.GetValue<string>());
        }

        if (route.Body is not null)
        {
            Assert.Superset(new HashSet<int> { 400, 413, 415 }, responses);
            Assert.True(operation["requestBody"]!["required"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void The_bearer_scheme_is_a_jwt_and_applies_by_default()
    {
        Assert.Equal("bearer", Document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal("JWT", Document["components"]!["securitySchemes"]!["bearer"]!["bearerFormat"]!.GetValue<string>());
        Assert.Equal("""[{"bearer":[]}]""", Document["security"]!.ToJsonString());
    }

    [Fact]
    public void Schemas_follow_the_wire_shape_kebab_case_enums_camel_case_members_unknown_request_fields_refused()
    {
        var schemas = Document["components"]!["schemas"]!;
        var reasons = schemas["HoldInput"]!["properties"]!["reason"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Equal(Enum.GetValues<HoldReason>().Select(r => JsonSerializer.Serialize(r, ApiJson.Options).Trim('"')), reasons);
        Assert.Contains("security-incident", reasons);
        Assert.False(schemas["HoldInput"]!["additionalProperties"]!.GetValue<bool>());
        Assert.Contains("reviewBy", schemas["HoldInput"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.DoesNotContain("note", schemas["HoldInput"]!["required"]!.AsArray().Select(v => v!.GetValue<string>())); // string? may be left out
        Assert.Equal("date-time", schemas["HoldRecord"]!["properties"]!["placedAt"]!["format"]!.GetValue<string>());
    }

    [Fact]
    public void The_statuses_the_handlers_answer_are_declared_202_for_accepted_work_201_for_created()
    {
        Assert.Equal(["202"], Operation(ApiRoutes.PostDoorEvents)["responses"]!.AsObject().Select(r => r.Key).Where(k => k[0] == '2'));
        Assert.Equal(["202"], Operation(ApiRoutes.SubmitPrivacyRequest)["responses"]!.AsObject().Select(r => r.Key).Where(k => k[0] == '2'));
        Assert.Equal(["201"], Operation(ApiRoutes.PlaceHold)["responses"]!.AsObject().Select(r => r.Key).Where(k => k[0] == '2'));
        Assert.Equal(["200", "201"], Operation(ApiRoutes.PutResident)["responses"]!.AsObject().Select(r => r.Key).Where(k => k[0] == '2'));
        Assert.Contains("422", Operation(ApiRoutes.RecordDisclosure)["responses"]!.AsObject().Select(r => r.Key));
        Assert.Equal("image/jpeg", Operation(ApiRoutes.PutFacialEnrollment)["requestBody"]!["content"]!.AsObject().Single().Key);
    }

    /// <summary>A row another change adds (its own types, a query parameter) gets its schemas without touching the generator.</summary>
    public sealed record AuditorQuery(string Subject, DateTimeOffset Since, HoldReason? Reason);

    public sealed record AuditorAnswer(IReadOnlyList<string> Items, int Count);

    [Fact]
    public void Any_row_that_declares_its_types_gets_request_response_and_query_schemas()
    {
        var row = new ApiRoute("AuditorReport", "POST", "reports/{reportId}", Roles.PrivacyOfficer, Scope.Global, "A report.")
        {
            Query = ["buildingId", "from", "format"],
            QueryPatterns = new Dictionary<string, string> { ["format"] = "^(csv|json)$" },
            Body = typeof(AuditorQuery),
            BodyExample = new AuditorQuery("r-1", DateTimeOffset.UnixEpoch, HoldReason.Debugging),
            Returns = [(201, typeof(AuditorAnswer))],
            Refuses = [409],
        };
        var document = OpenApiDocument.Build([row]);
        var operation = document["paths"]!["/api/reports/{reportId}"]!["post"]!;
        Assert.Equal("#/components/schemas/AuditorQuery", operation["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("debugging", operation["requestBody"]!["content"]!["application/json"]!["example"]!["reason"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/AuditorAnswer", operation["responses"]!["201"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal(["201", "400", "401", "403", "404", "409", "413", "415", "429", "503"], operation["responses"]!.AsObject().Select(r => r.Key).Order());
        var parameters = operation["parameters"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["schema"]!);
        Assert.Equal(OpenApiDocument.IdPattern, parameters["reportId"]!["pattern"]!.GetValue<string>());
        Assert.Equal(OpenApiDocument.IdPattern, parameters["buildingId"]!["pattern"]!.GetValue<string>());
        Assert.Equal("date-time", parameters["from"]!["format"]!.GetValue<string>());
        Assert.Equal("^(csv|json)$", parameters["format"]!["pattern"]!.GetValue<string>());
        Assert.Equal(["count", "items"], document["components"]!["schemas"]!["AuditorAnswer"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()).Order());
    }

    [Fact]
    public void The_served_document_is_the_generated_one()
    {
        Assert.True(JsonNode.DeepEquals(Document, JsonNode.Parse(OpenApiDocument.Text)));
    }
}
