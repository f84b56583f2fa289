using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Breaches;
using OneValet.Pipeline.Notifications;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Retention;
using Xunit;

namespace OneValet.Tests.Evidence;

/// <summary>
/// <c>GET /api/incidents</c> (issue 18.1): every declared incident, newest first, paged by an opaque continuation, each
/// with its campaign's figures read from its delivery records (O14); bad paging refused with problem details; an incident
/// the retention engine deletes after 24 months leaves the list with its records (O14, PIPEDA s.10.3).
/// </summary>
public sealed class IncidentListTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Incidents_are_listed_newest_first_with_their_figures_paged_and_deleted_with_their_records()
    {
        await using var h = await PipelineHarness.StartAsync(now: Monday);
        var api = h.Get<IncidentsApi>();
        for (var i = 0; i < 5; i++)
        {
            await SeedAsync(h, $"inc-list-{i}", Monday.AddHours(-10 + i));
        }

        // inc-list-4's campaign: 3 queued, one sent, one bounced: 1 pending.
        await h.Store.UpsertAsync(Containers.Incidents, "inc-list-4", "page-a", new FanOutPage("b-1", 3, Monday));
        await h.Store.UpsertAsync(Containers.Deliveries, "breach-inc-list-4", "n-1", new DeliveryRecord { NotificationId = "n-1", Campaign = "breach-inc-list-4", RecipientId = "r-1", Status = DeliveryStatus.Sent, SentAt = Monday, UpdatedAt = Monday });
        await h.Store.UpsertAsync(Containers.Deliveries, "breach-inc-list-4", "n-2", new DeliveryRecord { NotificationId = "n-2", Campaign = "breach-inc-list-4", RecipientId = "r-2", Status = DeliveryStatus.Bounced, UpdatedAt = Monday });

        var (status, body) = await RetentionEngineTests.InvokeAsync(_ => api.ListAsync("2", null, default));
        Assert.Equal(StatusCodes.Status200OK, status);
        var first = JsonDocument.Parse(body).RootElement;
        Assert.Equal(["inc-list-4", "inc-list-3"], Ids(first));
        var newest = first.GetProperty("items")[0];
        Assert.Equal(3, newest.GetProperty("affected").GetInt32());
        Assert.Equal(1, newest.GetProperty("sent").GetInt32());
        Assert.Equal(1, newest.GetProperty("bounced").GetInt32());
        Assert.Equal(1, newest.GetProperty("pending").GetInt32());
        Assert.Equal(newest.GetProperty("incident").GetProperty("deadline").GetDateTimeOffset() - TimeSpan.FromDays(2), newest.GetProperty("escalateAt").GetDateTimeOffset());

        var pages = new List<string>(Ids(first));
        var continuation = first.GetProperty("continuation").GetString();
        while (continuation is not null)
        {
            var page = JsonDocument.Parse((await RetentionEngineTests.InvokeAsync(_ => api.ListAsync("2", continuation, default))).Body).RootElement;
            pages.AddRange(Ids(page));
            continuation = page.TryGetProperty("continuation", out var c) ? c.GetString() : null;
        }

        Assert.Equal(["inc-list-4", "inc-list-3", "inc-list-2", "inc-list-1", "inc-list-0"], pages);

        // Bad paging: problem details, never a 500.
        foreach (var (size, token) in new (string?, string?)[] { ("0", null), ("101", null), ("-1", null), ("2x", null), (null, "not-base64!"), (null, "LTE"), (null, "eA"), (null, "") })
        {
            Assert.Equal(StatusCodes.Status400BadRequest, (await RetentionEngineTests.InvokeAsync(_ => api.ListAsync(size, token, default))).Status);
        }

        // 24 months later the retention engine deletes inc-list-0 with its records: it leaves the list too.
        var deleted = await h.Get<ItemDeleter>().DeleteAsync(new ScheduleEntry
        {
            Kind = ItemKind.Incident,
            ItemPartition = "inc-list-0",
            ItemId = IncidentRecord.DocumentId,
            BuildingId = "b-1",
            EventAt = Monday,
            Category = "breach-record",
            Rule = new RetentionRule("breach-record-24m", "O14", TimeSpan.FromDays(730), RetentionAction.Delete),
            Deadline = Monday.AddDays(730),
        }, default);
        Assert.Contains("list entry deleted", deleted, StringComparison.Ordinal);
        var all = JsonDocument.Parse((await RetentionEngineTests.InvokeAsync(_ => api.ListAsync("100", null, default))).Body).RootElement;
        Assert.Equal(["inc-list-4", "inc-list-3", "inc-list-2", "inc-list-1"], Ids(all));
        Assert.False(all.TryGetProperty("continuation", out _));
    }

    private static async Task SeedAsync(PipelineHarness h, string id, DateTimeOffset declared)
    {
        var incident = new IncidentRecord
        {
            IncidentId = id,
            DiscoveredAt = declared.AddHours(-1),
            Buildings = ["b-1"],
            DataCategories = ["identifiers"],
            WindowFrom = declared.AddDays(-3),
            WindowTo = declared.AddHours(-2),
            Description = "seeded",
            DeclaredAt = declared,
            Deadline = declared.AddDays(14),
        };
        await h.Store.CreateAsync(Containers.Incidents, id, IncidentRecord.DocumentId, incident);
        await h.Store.UpsertAsync(Containers.Incidents, IncidentsApi.IndexPartition, id, new IncidentIndexEntry(id, declared, incident.Deadline));
    }

    private static List<string> Ids(JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("incident").GetProperty("incidentId").GetString()!)];
}
