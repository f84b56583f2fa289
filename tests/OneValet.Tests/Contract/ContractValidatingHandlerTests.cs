using System.Net.Http.Headers;
using OneValet.Client;
using OneValet.Pipeline.Api;
using Xunit;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20.2: the check every end-to-end response goes through (<see cref="ContractValidatingHandler"/>) finds what a
/// drifted API would answer, and the generated client is the one of the document the code builds now.
/// </summary>
public sealed class ContractValidatingHandlerTests
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly MediaTypeHeaderValue Problem = new("application/problem+json");

    private const string Resident = """
        {"residentId":"r-1","buildingId":"b-1","unitId":"u-1","movedInAt":"2025-01-01T00:00:00+00:00","email":"r-1@example.test","jurisdiction":"other",
         "minor":false,"messages":{"informational":true,"offers":true},"facialEntryActive":false,
         "facialEntryStatus":{"enrolled":false,"active":false,"verification":"not-configured","note":"n"}}
        """;

    [Fact]
    public void The_client_was_generated_from_the_document_the_code_builds()
    {
        using var stream = typeof(OneValetClient).Assembly.GetManifestResourceStream("openapi.json");
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);
        Assert.Equal(OpenApiDocument.Text, reader.ReadToEnd());
    }

    [Theory]
    [InlineData("GET", "/api/residents/r-1", "GetResident")]
    [InlineData("get", "/API/Residents/r-1/", "GetResident")] // ASP.NET Core routing: case and a trailing slash do not matter
    [InlineData("GET", "/%61pi/residents/r-%31", "GetResident")] // percent-encoded letters are the same path
    [InlineData("GET", "/api/residents%2Fr-1", null)] // an encoded slash is not a separator
    [InlineData("GET", "/x/%2E%2E/api/./residents/r-1", "GetResident")] // dot segments, encoded or not, are resolved
    [InlineData("GET", "/api/facial-entry/policy", "GetFacialEntryPolicy")]
    [InlineData("POST", "/api/privacy-requests/req-1/verification", "VerifyPrivacyRequest")]
    [InlineData("GET", "/api/residents/r-1/nothing", null)]
    [InlineData("PATCH", "/api/residents/r-1", null)]
    [InlineData("GET", "/health", null)]
    public void A_request_path_finds_its_operation(string method, string path, string? name)
    {
        var expected = name is null ? null : ApiRoutes.All.Single(r => r.Name == name);
        Assert.Equal(expected, ContractValidatingHandler.Find(method, path));
    }

    [Fact]
    public void A_response_that_keeps_the_document_passes()
    {
        Assert.Empty(ContractValidatingHandler.Check("GET", "/api/residents/r-1", 200, Json, Resident));
        Assert.Empty(ContractValidatingHandler.Check("GET", "/api/residents/r-1", 404, Problem, """{"title":"Not found.","status":404}"""));
        Assert.Empty(ContractValidatingHandler.Check("GET", "/api/no-such-route", 404, null, string.Empty)); // an attack's path: refused, no body
    }

    [Theory]
    [InlineData(200, "application/json", """{"residentId":"r-1"}""", "required, missing")]                  // a member gone
    [InlineData(200, "application/json", "RESIDENT_WITH:\"ssn\":\"1\"", "not declared")]                   // a member nobody declared
    [InlineData(200, "application/json", "RESIDENT_WITH:\"name\":1", "integer, declared string")]             // a type changed
    [InlineData(200, "text/plain", "RESIDENT", "media type text/plain")]                                    // another media type
    [InlineData(200, "application/json", "not json", "not JSON")]
    [InlineData(202, "application/json", "RESIDENT", "declares no 202 response")]                           // a status not in the document
    [InlineData(500, "application/problem+json", """{"title":"x","status":500}""", "declares no 500")]     // never a 500
    [InlineData(400, "application/problem+json", """{"status":400}""", "title: required, missing")]          // a problem without its title
    public void A_drifted_response_is_found(int status, string mediaType, string body, string expected)
    {
        body = body == "RESIDENT" ? Resident : body.StartsWith("RESIDENT_WITH:", StringComparison.Ordinal) ? Resident.TrimEnd()[..^1] + "," + body["RESIDENT_WITH:".Length..] + "}" : body;
        var found = ContractValidatingHandler.Check("GET", "/api/residents/r-1", status, new MediaTypeHeaderValue(mediaType), body);
        Assert.Contains(found, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_path_outside_the_document_may_only_be_refused()
    {
        Assert.NotEmpty(ContractValidatingHandler.Check("GET", "/api/residents/r-1/secrets", 200, Json, "{}"));
        Assert.NotEmpty(ContractValidatingHandler.Check("GET", "/api/residents/r-1/secrets", 404, Json, "{}"));
        Assert.Empty(ContractValidatingHandler.Check("GET", "/api/residents/r-1/secrets", 404, Problem, """{"title":"Not found.","status":404}"""));
    }
}
