using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Contract;

/// <summary>
/// Issue 20, what the resident app missed: the resident's own requests, door events (paged), message choices (O16),
/// consent history (O3), and the Facial Entry policy a consent must name. Real services on Azurite and SQLite; each body
/// is checked against the schema the document declares for it.
/// </summary>
public sealed class ResidentReadsTests
{
    [Theory]
    [InlineData("2024-01")]
    [InlineData("")]
    [InlineData("2022-06-29 ")]
    [InlineData("2022-06-30")]
    [InlineData("latest")]
    public async Task A_consent_naming_no_published_policy_version_is_refused_and_nothing_is_recorded(string version)
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-a", "b-1");
        var given = await InvokeAsync(ctx => h.Get<ResidentsApi>().GiveFacialEntryConsentAsync("r-a", Json(ctx, JsonSerializer.Serialize(new { policyVersion = version })), default));
        Assert.Equal(StatusCodes.Status400BadRequest, given.Status);
        Assert.Equal("unknown-policy-version", JsonDocument.Parse(given.Body).RootElement.GetProperty("code").GetString());
        Assert.Empty(SchemaConformance.Check(ApiRoutes.GiveFacialEntryConsent, 400, given.Body));
        var history = await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetConsentsAsync("r-a", default));
        Assert.Equal("""{"active":false,"history":[]}""", history.Body);
    }

    [Fact]
    public async Task The_consent_history_keeps_each_grant_and_withdrawal_with_the_policy_version_offered()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-a", "b-1");
        var policy = await InvokeAsync(_ => Task.FromResult(ResidentViewsApi.GetFacialEntryPolicy(null)));
        Assert.Equal(StatusCodes.Status200OK, policy.Status);
        Assert.Empty(SchemaConformance.Check(ApiRoutes.GetFacialEntryPolicy, 200, policy.Body));
        var version = JsonDocument.Parse(policy.Body).RootElement.GetProperty("version").GetString()!;
        Assert.Equal(FacialEntryPolicies.Current.Version, version);
        Assert.Contains("90 days", JsonDocument.Parse(policy.Body).RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);

        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(ctx => h.Get<ResidentsApi>().GiveFacialEntryConsentAsync("r-a", Json(ctx, JsonSerializer.Serialize(new { policyVersion = version })), default))).Status);
        Assert.Equal(StatusCodes.Status200OK, (await InvokeAsync(_ => h.Get<ResidentsApi>().WithdrawFacialEntryConsentAsync("r-a", default))).Status);
        var history = await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetConsentsAsync("r-a", default));
        Assert.Equal(StatusCodes.Status200OK, history.Status);
        Assert.Empty(SchemaConformance.Check(ApiRoutes.GetConsents, 200, history.Body));
        var root = JsonDocument.Parse(history.Body).RootElement;
        Assert.False(root.GetProperty("active").GetBoolean());
        Assert.Equal(version, root.GetProperty("policyVersion").GetString());
        Assert.Equal(["given", "withdrawn"], root.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(version, root.GetProperty("history")[0].GetProperty("policyVersion").GetString());
    }

    [Fact]
    public async Task An_unknown_policy_version_is_not_found_and_a_named_one_is_served()
    {
        var unknown = await InvokeAsync(_ => Task.FromResult(ResidentViewsApi.GetFacialEntryPolicy("1999-01-01")));
        Assert.Equal(StatusCodes.Status404NotFound, unknown.Status);
        var named = await InvokeAsync(_ => Task.FromResult(ResidentViewsApi.GetFacialEntryPolicy(FacialEntryPolicies.All[0].Version)));
        Assert.Equal(StatusCodes.Status200OK, named.Status);
    }

    [Fact]
    public async Task Message_choices_read_back_what_was_set_and_unknown_or_malformed_residents_are_refused()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-a", "b-1");
        var before = await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetMessagePreferencesAsync("r-a", default));
        Assert.Equal("""{"informational":true,"offers":false}""", before.Body);
        await InvokeAsync(ctx => h.Get<ResidentsApi>().PutMessagePreferencesAsync("r-a", Json(ctx, """{"informational":false,"offers":true}"""), default));
        var after = await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetMessagePreferencesAsync("r-a", default));
        Assert.Equal("""{"informational":false,"offers":true}""", after.Body);
        Assert.Empty(SchemaConformance.Check(ApiRoutes.GetMessagePreferences, 200, after.Body));
        Assert.Equal(StatusCodes.Status404NotFound, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetMessagePreferencesAsync("r-nobody", default))).Status);
        Assert.Equal(StatusCodes.Status400BadRequest, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetMessagePreferencesAsync("R-A", default))).Status);
        // An id may not name an internal partition (a subject's request index is "subject-{id}").
        Assert.Equal(StatusCodes.Status400BadRequest, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().GetConsentsAsync("subject-r-a", default))).Status);
    }

    [Fact]
    public async Task Own_door_events_page_through_the_residents_events_only()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-a", "b-1");
        await RegisterAsync(h, "r-b", "b-1");
        var now = h.Clock.GetUtcNow();
        var events = Enumerable.Range(0, 5).Select(i => new DoorEventInput($"ev-a-{i}", "door-1", EntryMethod.Fob, "r-a", now.AddMinutes(-10 - i), true))
            .Concat(Enumerable.Range(0, 2).Select(i => new DoorEventInput($"ev-b-{i}", "door-1", EntryMethod.Face, "r-b", now.AddMinutes(-5 - i), true)))
            .ToList();
        var posted = await InvokeAsync(ctx => h.Get<DoorEventsApi>().PostAsync("b-1", Json(ctx, JsonSerializer.Serialize(new DoorEventBatch(events), ApiJson.Options)), default));
        Assert.Equal(StatusCodes.Status202Accepted, posted.Status);

        var seen = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await InvokeAsync(_ => h.Get<ResidentViewsApi>().ListDoorEventsAsync("r-a", "2", continuation, default));
            Assert.Equal(StatusCodes.Status200OK, page.Status);
            Assert.Empty(SchemaConformance.Check(ApiRoutes.ListOwnDoorEvents, 200, page.Body));
            var root = JsonDocument.Parse(page.Body).RootElement;
            Assert.True(root.GetProperty("items").GetArrayLength() <= 2);
            seen.AddRange(root.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("eventId").GetString()!));
            continuation = root.TryGetProperty("continuation", out var c) ? c.GetString() : null;
        }
        while (continuation is not null && ++pages < 10);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"ev-a-{i}").Order(), seen.Order());
        Assert.Equal(StatusCodes.Status400BadRequest, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().ListDoorEventsAsync("r-a", "0", null, default))).Status);
        Assert.Equal(StatusCodes.Status400BadRequest, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().ListDoorEventsAsync("r-a", "2", "not base64!", default))).Status);
        Assert.Equal(StatusCodes.Status404NotFound, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().ListDoorEventsAsync("r-nobody", null, null, default))).Status);
    }

    [Fact]
    public async Task Own_privacy_requests_are_the_residents_only_newest_first()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-a", "b-1");
        await RegisterAsync(h, "r-b", "b-1");
        var now = h.Clock.GetUtcNow();

        // The index entries the intake writes for a subject (PrivacyRequestsApi.SubmitAsync): one per request.
        await h.Store.UpsertAsync(Containers.Requests, "subject-r-a", "q-1", new RequestIndexEntry("q-1", RequestType.Access, now.AddDays(-40), now.AddDays(5), "closed"));
        await h.Store.UpsertAsync(Containers.Requests, "subject-r-a", "q-2", new RequestIndexEntry("q-2", RequestType.Deletion, now.AddDays(-1), now.AddDays(44), "verifying"));
        await h.Store.UpsertAsync(Containers.Requests, "subject-r-b", "q-3", new RequestIndexEntry("q-3", RequestType.Access, now, now.AddDays(45), "verifying"));
        var listed = await InvokeAsync(_ => h.Get<ResidentViewsApi>().ListPrivacyRequestsAsync("r-a", default));
        Assert.Equal(StatusCodes.Status200OK, listed.Status);
        Assert.Empty(SchemaConformance.Check(ApiRoutes.ListOwnPrivacyRequests, 200, listed.Body));
        Assert.Equal(["q-2", "q-1"], JsonDocument.Parse(listed.Body).RootElement.EnumerateArray().Select(e => e.GetProperty("requestId").GetString()));
        Assert.Equal(StatusCodes.Status404NotFound, (await InvokeAsync(_ => h.Get<ResidentViewsApi>().ListPrivacyRequestsAsync("r-c", default))).Status);
    }

    private static async Task RegisterAsync(PipelineHarness h, string residentId, string buildingId)
    {
        var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(residentId, Json(ctx, $$"""
            {"buildingId":"{{buildingId}}","unitId":"u-1","movedInAt":"2026-01-01T00:00:00Z","email":"{{residentId}}@example.com"}
            """), default));
        Assert.Equal(StatusCodes.Status201Created, put.Status);
    }
}
