using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Api.Auth;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Authorization;

/// <summary>The authorizer's rules that the matrix cannot reach through today's table (agents, a route not in the table),
/// the Facial Entry enrollment routes spelled out, and the body limits of <see cref="RequestBody"/>.</summary>
public sealed class AuthorizerTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "authz-" + Guid.NewGuid().ToString("N") + ".db");
    private SqliteRecordStore _store = null!;

    private static readonly ApiRoute AgentRoute = new("AgentTest", "GET", "residents/{residentId}/requests", Roles.AuthorizedAgent | Roles.Resident, Scope.Subject, "test");

    public async Task InitializeAsync()
    {
        _store = new SqliteRecordStore(_file);
        await _store.UpsertAsync(Containers.Residents, "r-1", ResidentRecord.DocumentId, new ResidentRecord
        {
            ResidentId = "r-1", BuildingId = "b-1", UnitId = "u-1", MovedInAt = DateTimeOffset.UtcNow, Email = "r@x.test", Jurisdiction = "other",
        });
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_file);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_agent_reaches_only_the_verified_subject_it_acts_for()
    {
        var authorizer = new ApiAuthorizer(_store);
        var values = new Dictionary<string, string?> { ["residentId"] = "r-1" };
        Assert.Equal(AuthorizationOutcome.Allow, await authorizer.AuthorizeAsync(AgentRoute, Agent("r-1", verified: true), values, default));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(AgentRoute, Agent("r-1", verified: false), values, default));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(AgentRoute, Agent("r-2", verified: true), values, default));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(AgentRoute, Agent("r-9", verified: true), new Dictionary<string, string?> { ["residentId"] = "r-9" }, default));
    }

    [Fact]
    public async Task A_route_missing_from_the_table_is_refused_and_a_route_without_an_object_denies_by_default()
    {
        var authorizer = new ApiAuthorizer(_store);
        var officer = Caller.From(Principal(("roles", "privacy-officer")));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(null, officer, new Dictionary<string, string?>(), default));

        var noObject = new ApiRoute("NoObject", "GET", "privacy-requests/{requestId}", Roles.Resident | Roles.PrivacyOfficer, Scope.Subject, "test");
        Assert.Null(noObject.ScopeParameter);
        var resident = Caller.From(Principal(("roles", "resident"), ("sub", "r-1")));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(noObject, resident, new Dictionary<string, string?> { ["requestId"] = "q-1" }, default));
        Assert.Equal(AuthorizationOutcome.Allow, await authorizer.AuthorizeAsync(noObject, officer, new Dictionary<string, string?> { ["requestId"] = "q-1" }, default));
        Assert.Equal(AuthorizationOutcome.Unauthorized, await authorizer.AuthorizeAsync(noObject, null, new Dictionary<string, string?>(), default));
    }

    [Fact]
    public async Task A_facial_entry_enrollment_is_the_resident_s_own_only()
    {
        // Face images: the resident themself, nobody else (not their manager, not the office, not an agent, not a device).
        var authorizer = new ApiAuthorizer(_store);
        var values = new Dictionary<string, string?> { ["residentId"] = "r-1" };
        var self = Caller.From(Principal(("roles", "resident"), ("sub", "r-1"), ("building_ids", "b-1"), ("unit_id", "u-1")));
        var roommate = Caller.From(Principal(("roles", "resident"), ("sub", "r-2"), ("building_ids", "b-1"), ("unit_id", "u-1")));
        var manager = Caller.From(Principal(("roles", "property-manager"), ("sub", "m-1"), ("building_ids", "b-1")));
        var officer = Caller.From(Principal(("roles", "privacy-officer"), ("sub", "o-1")));
        var device = Caller.From(Principal(("roles", "device"), ("device_id", "d-1"), ("building_ids", "b-1")));
        foreach (var route in new[] { ApiRoutes.PutFacialEnrollment, ApiRoutes.DeleteFacialEnrollment })
        {
            Assert.Equal(AuthorizationOutcome.Allow, await authorizer.AuthorizeAsync(route, self, values, default));
            Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(route, roommate, values, default));
            Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, manager, values, default));
            Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, officer, values, default));
            Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, Agent("r-1", verified: true), values, default));
            Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, device, values, default));
            Assert.Equal(AuthorizationOutcome.Unauthorized, await authorizer.AuthorizeAsync(route, null, values, default));
        }
    }

    [Fact]
    public async Task A_visitors_photo_is_given_by_the_privacy_office_only()
    {
        // A face image of someone not on file (issue 15.4): no resident (even the one the request would be about), agent,
        // manager or device token gives it; a resident's token that also names the request id gets no further.
        var authorizer = new ApiAuthorizer(_store);
        var values = new Dictionary<string, string?> { ["requestId"] = "req-visitor", ["consent"] = "given" };
        var route = ApiRoutes.PutVisitorPhoto;
        Assert.Equal(AuthorizationOutcome.Allow, await authorizer.AuthorizeAsync(route, Caller.From(Principal(("roles", "privacy-officer"), ("sub", "o-1"))), values, default));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, Caller.From(Principal(("roles", "resident"), ("sub", "r-1"), ("building_ids", "b-1"), ("unit_id", "u-1"))), values, default));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, Caller.From(Principal(("roles", "property-manager"), ("sub", "m-1"), ("building_ids", "b-1"))), values, default));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, Agent("r-1", verified: true), values, default));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(route, Caller.From(Principal(("roles", "device"), ("device_id", "d-1"), ("building_ids", "b-1"))), values, default));
        Assert.Equal(AuthorizationOutcome.Unauthorized, await authorizer.AuthorizeAsync(route, null, values, default));
        Assert.Equal(["client|1.2.3.4", "upload|sub:o-1"], ApiRateLimits.PartitionsOf(route, Caller.From(Principal(("roles", "privacy-officer"), ("sub", "o-1"))), "1.2.3.4"));
    }

    [Fact]
    public async Task Several_roles_get_no_more_than_each_role_alone()
    {
        var authorizer = new ApiAuthorizer(_store);
        var r1 = new Dictionary<string, string?> { ["residentId"] = "r-1" };

        // An unverified agent reaches nothing of the person it acts for, whatever its other roles (issue 13).
        var residentAndUnverifiedAgent = Caller.From(Principal(("roles", "resident"), ("roles", "authorized-agent"), ("sub", "r-7"), ("acts_for", "r-1"), ("verified", "false")));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(ApiRoutes.GetResident, residentAndUnverifiedAgent, r1, default));
        var deviceAndUnverifiedAgent = Caller.From(Principal(("roles", "device"), ("roles", "authorized-agent"), ("device_id", "d-1"), ("building_ids", "b-1"), ("acts_for", "r-1"), ("verified", "false")));
        Assert.Equal(AuthorizationOutcome.Forbidden, await authorizer.AuthorizeAsync(AgentRoute, deviceAndUnverifiedAgent, r1, default)); // the agent is its only role here

        // An officer who also manages a building is no officer on a manager's route: PutResident is the manager's alone.
        var officerManager = Caller.From(Principal(("roles", "privacy-officer"), ("roles", "property-manager"), ("sub", "m-1"), ("building_ids", "b-1")))!;
        Assert.True(officerManager.CoversBuilding(ApiRoutes.PutResident, "b-1"));
        Assert.False(officerManager.CoversBuilding(ApiRoutes.PutResident, "b-2"));
        Assert.True(officerManager.CoversBuilding(ApiRoutes.RecordDisclosure, "b-2")); // the office may record any building's

        // A resident who is also a device: the device's building does not make the resident's own unit someone else's.
        var unit = new Dictionary<string, string?> { ["buildingId"] = "b-1", ["unitId"] = "u-1" };
        var self = Caller.From(Principal(("roles", "resident"), ("sub", "r-1")));
        Assert.Equal(AuthorizationOutcome.Allow, await authorizer.AuthorizeAsync(ApiRoutes.ChangeUnitSetting, self, unit, default));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(ApiRoutes.ChangeUnitSetting, self, new Dictionary<string, string?> { ["buildingId"] = "b-2", ["unitId"] = "u-1" }, default));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(ApiRoutes.ChangeUnitSetting, self, new Dictionary<string, string?> { ["buildingId"] = "b-1", ["unitId"] = "u-2" }, default));

        // A resident's unit is where the store says they live, not what a token claims.
        var claimsAnotherUnit = Caller.From(Principal(("roles", "resident"), ("sub", "r-1"), ("building_ids", "b-1"), ("unit_id", "u-2")));
        Assert.Equal(AuthorizationOutcome.NotFound, await authorizer.AuthorizeAsync(ApiRoutes.ChangeUnitSetting, claimsAnotherUnit, new Dictionary<string, string?> { ["buildingId"] = "b-1", ["unitId"] = "u-2" }, default));
    }

    [Theory]
    [InlineData("/API/holds", true)]
    [InlineData("/Api/Holds/", true)]
    [InlineData("//api//holds", true)]
    [InlineData("/api%2Fholds", true)]
    [InlineData("/%2561pi/holds", true)]
    [InlineData("/x/../api/holds", true)]
    [InlineData("/api/./holds", true)]
    [InlineData("\\api\\holds", true)]
    [InlineData("/api;v=1/holds", true)]
    [InlineData("/api./holds", true)]
    [InlineData("/ＡＰＩ/holds", true)]
    [InlineData("/api", true)]
    [InlineData("/apis/holds", false)]
    [InlineData("/health", false)]
    [InlineData("/api/../health", false)]
    public void Every_spelling_of_an_api_path_is_recognised(string path, bool underApi) =>
        Assert.Equal(underApi, ApiPaths.IsUnderApi(path));

    [Fact]
    public void Client_address_is_the_last_forwarded_entry_only_behind_a_trusted_front_end()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        context.Request.Headers["X-Forwarded-For"] = "6.6.6.6, 203.0.113.7:51234";
        Assert.Equal("127.0.0.1", ApiRateLimits.ClientAddressOf(context, new AuthOptions())); // local host: the connection
        Assert.Equal("203.0.113.7", ApiRateLimits.ClientAddressOf(context, new AuthOptions { ClientAddressHeader = "X-Forwarded-For" }));
        context.Request.Headers["X-Forwarded-For"] = "not-an-address";
        Assert.Equal("127.0.0.1", ApiRateLimits.ClientAddressOf(context, new AuthOptions { ClientAddressHeader = "X-Forwarded-For" }));
    }

    [Fact]
    public void Every_route_counts_against_its_principal_and_its_client_address()
    {
        var resident = Caller.From(Principal(("roles", "resident"), ("sub", "r-1")));
        Assert.Equal(["client|1.2.3.4", "read|sub:r-1"], ApiRateLimits.PartitionsOf(ApiRoutes.GetResident, resident, "1.2.3.4"));
        Assert.Equal(["client|1.2.3.4", "upload|sub:r-1"], ApiRateLimits.PartitionsOf(ApiRoutes.PutFacialEnrollment, resident, "1.2.3.4"));
        Assert.Equal(["client|1.2.3.4", "write|sub:r-1"], ApiRateLimits.PartitionsOf(ApiRoutes.WithdrawFacialEntryConsent, resident, "1.2.3.4"));
        Assert.Equal(["client|1.2.3.4", "anonymous|1.2.3.4"], ApiRateLimits.PartitionsOf(ApiRoutes.Health, null, "1.2.3.4"));
        Assert.Equal(["client|1.2.3.4", "anonymous|1.2.3.4"], ApiRateLimits.PartitionsOf(ApiRoutes.ListHolds, null, "1.2.3.4"));
    }

    [Theory]
    [InlineData("open")]
    [InlineData("dedupe")]
    [InlineData("buckets")]
    [InlineData("holds")]
    [InlineData("subject-r-1")]
    public void Ids_that_would_name_an_internal_partition_are_refused(string id)
    {
        Assert.False(Pipeline.Ingestion.UploadName.IsValidId(id));
        Assert.DoesNotContain(Partitions.OfBuilding("b-1"), new[] { id });
        Assert.False(Pipeline.Ingestion.UploadName.IsValidId(Partitions.OfBuilding(id))); // internal partitions are never ids
    }

    [Fact]
    public void Scope_parameters_default_from_the_template()
    {
        Assert.Equal("residentId", ApiRoutes.GetResident.ScopeParameter);
        Assert.Equal("buildingId", ApiRoutes.ChangeUnitSetting.ScopeParameter);
        Assert.Equal(["buildingId", "unitId"], ApiRoutes.ChangeUnitSetting.Parameters);
        Assert.Null(ApiRoutes.GetHold.ScopeParameter);
        Assert.Equal(ApiRoute.ScopeInBody, ApiRoutes.RecordDisclosure.ScopeParameter);
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(17, false)]
    public async Task Bodies_nest_at_most_16_deep(int depth, bool accepted)
    {
        var json = "{\"policyVersion\":\"v\",\"x\":" + new string('[', depth - 1) + new string(']', depth - 1) + "}";
        var (_, problem) = await RequestBody.ReadAsync<JsonDepthProbe>(Request(json), default);
        var status = (problem as Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult)?.StatusCode;
        Assert.Equal(accepted, problem is null);
        if (!accepted)
        {
            Assert.Equal(400, status);
        }
    }

    [Fact]
    public async Task Bodies_over_one_mebibyte_are_refused_with_413_with_or_without_a_content_length()
    {
        var json = "{\"x\":[\"" + new string('a', (int)RequestBody.MaxBytes) + "\"]}";
        var withLength = Request(json);
        var (_, declared) = await RequestBody.ReadAsync<JsonDepthProbe>(withLength, default);
        Assert.Equal(413, (declared as Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult)?.StatusCode);

        var chunked = Request(json);
        chunked.ContentLength = null;
        var (_, streamed) = await RequestBody.ReadAsync<JsonDepthProbe>(chunked, default);
        Assert.Equal(413, (streamed as Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult)?.StatusCode);
    }

    [Fact]
    public async Task A_card_number_anywhere_in_a_body_is_refused_with_its_path()
    {
        var (_, problem) = await RequestBody.ReadAsync<JsonDepthProbe>(Request("{\"x\":[[\"call me\"],[\"4111 1111 1111 1111\"]]}"), default);
        var result = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(problem);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("card-number-refused", result.ProblemDetails.Extensions["code"]);
        Assert.Equal("$.x[1][0]", result.ProblemDetails.Extensions["path"]);
    }

    public sealed record JsonDepthProbe(string? PolicyVersion, System.Text.Json.JsonElement? X);

    private static HttpRequest Request(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        return context.Request;
    }

    private static Caller Agent(string actsFor, bool verified) =>
        Caller.From(Principal(("roles", "authorized-agent"), ("sub", "agent-1"), ("acts_for", actsFor), ("verified", verified ? "true" : "false")))!;

    private static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));
}
