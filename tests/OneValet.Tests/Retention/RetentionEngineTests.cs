using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>
/// The retention engine in-process on real Azurite and SQLite with a fake clock (O2, O4, O6, O7): every deletion audited
/// once, replays harmless, holds honoured, a restored backup re-enforced.
/// </summary>
public sealed class RetentionEngineTests
{
    private static readonly Dictionary<string, string?> Minutes = new()
    {
        ["OneValet:Retention:SurveillanceFootage"] = "00:10:00",
        ["OneValet:Retention:AuthenticationData"] = "00:20:00",
    };

    [Fact]
    public async Task Due_items_are_deleted_once_with_a_completed_audit_and_a_ledger_entry_and_a_replay_does_nothing()
    {
        await using var h = await PipelineHarness.StartAsync(Minutes);
        var names = await UploadAndIngestAsync(h, "b-1", 3);
        var schedule = h.Get<RetentionSchedule>();
        var buckets = await schedule.BucketsDueByAsync(h.Clock.GetUtcNow().AddHours(1), default);
        var bucket = Assert.Single(buckets);
        Assert.Empty(await schedule.BucketsDueByAsync(h.Clock.GetUtcNow(), default));

        h.Clock.Advance(TimeSpan.FromMinutes(11));
        var enforcer = h.Get<RetentionEnforcer>();
        var first = await enforcer.EnforceBucketAsync(bucket.Key, includeHeld: false, default);
        var replay = await enforcer.EnforceBucketAsync(bucket.Key, includeHeld: false, default);

        Assert.Equal(3, first.Deleted);
        Assert.True(first.Closed);
        Assert.Equal(0, replay.Deleted);
        foreach (var name in names)
        {
            Assert.False((await h.Recordings.GetBlobClient(name.BlobName).ExistsAsync()).Value);
            Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, name.BuildingId, name.RecordId));
        }

        var audits = await DeletionAuditsAsync(h);
        Assert.Equal(3, audits.Count);
        Assert.All(audits, a =>
        {
            Assert.Equal("completed", a.Outcome);
            Assert.Equal("O2", a.Obligation);
            Assert.Equal("footage-default-600s", a.RuleId);
            Assert.NotNull(a.Deadline);
            Assert.InRange(a.LagSeconds!.Value, 0, 120);
            Assert.StartsWith("recordingVersion/b-1/", a.ItemRef, StringComparison.Ordinal);
            Assert.Contains("blob (all versions and snapshots) and catalogue record deleted", a.How, StringComparison.Ordinal);
        });
        Assert.Empty(await schedule.BucketsDueByAsync(h.Clock.GetUtcNow().AddDays(1), default));
    }

    [Fact]
    public async Task A_hold_keeps_what_it_covers_and_reports_it_and_its_release_lets_the_sweep_delete()
    {
        await using var h = await PipelineHarness.StartAsync(Minutes);
        var held = await UploadAndIngestAsync(h, "b-held", 2);
        var free = await UploadAndIngestAsync(h, "b-free", 1);
        var holds = h.Get<HoldsApi>();
        var placed = await InvokeAsync(ctx => holds.PlaceAsync(Json(ctx, $$"""
            {"reason":"security-incident","scope":{"buildingId":"b-held","from":"{{Iso(h.Clock.GetUtcNow().AddHours(-1))}}","to":"{{Iso(h.Clock.GetUtcNow().AddHours(1))}}"},
             "owner":"privacy.office@example.com","reviewBy":"{{Iso(h.Clock.GetUtcNow().AddDays(30))}}"}
            """), default));
        Assert.Equal(StatusCodes.Status201Created, placed.Status);
        var holdId = System.Text.Json.JsonDocument.Parse(placed.Body).RootElement.GetProperty("holdId").GetString()!;

        h.Clock.Advance(TimeSpan.FromMinutes(11));
        var sweep = h.Get<RetentionSweep>();
        var first = await sweep.EnforceDueAsync(default);
        Assert.Equal(1, first.Deleted);
        Assert.Equal(2, first.Held);
        foreach (var name in held)
        {
            Assert.True((await h.Recordings.GetBlobClient(name.BlobName).ExistsAsync()).Value);
        }

        Assert.False((await h.Recordings.GetBlobClient(free[0].BlobName).ExistsAsync()).Value);
        var hold = await h.Get<HoldRegistry>().ReadAsync(holdId, default);
        Assert.Equal(2, hold!.Document.ItemsHeld);

        // A second sweep while held changes nothing and counts nothing twice.
        var second = await sweep.EnforceDueAsync(default);
        Assert.Equal((1, 0, 2), second);
        Assert.Equal(2, (await h.Get<HoldRegistry>().ReadAsync(holdId, default))!.Document.ItemsHeld);

        await h.Get<HoldRegistry>().UpdateAsync(holdId, x => x with { ReleasedAt = h.Clock.GetUtcNow() }, default);
        var released = await sweep.EnforceDueAsync(default);
        Assert.Equal(2, released.Deleted);
        foreach (var name in held)
        {
            Assert.False((await h.Recordings.GetBlobClient(name.BlobName).ExistsAsync()).Value);
        }

        var audits = await h.AuditsAsync();
        Assert.Equal(2, audits.Count(a => a.Action == "held"));
        Assert.Contains(audits, a => a.Action == "hold-placed");
    }

    [Fact]
    public async Task A_hold_past_its_review_date_alerts_its_owner_once_a_day()
    {
        await using var h = await PipelineHarness.StartAsync(Minutes);
        var registry = h.Get<HoldRegistry>();
        await registry.CreateAsync(new HoldRecord
        {
            HoldId = "hold-review",
            Reason = HoldReason.Debugging,
            Scope = new HoldScope { SubjectId = "r-1" },
            Owner = "owner@example.com",
            ReviewBy = h.Clock.GetUtcNow().AddHours(1),
            PlacedAt = h.Clock.GetUtcNow(),
        }, default);
        var sweep = h.Get<RetentionSweep>();
        Assert.Equal(0, await sweep.AlertOverdueReviewsAsync(default));
        h.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await sweep.AlertOverdueReviewsAsync(default));
        Assert.Equal(0, await sweep.AlertOverdueReviewsAsync(default));
        h.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await sweep.AlertOverdueReviewsAsync(default));

        var queue = h.Get<Azure.Storage.Queues.QueueServiceClient>().GetQueueClient($"q{h.Suffix}-notifications");
        var messages = (await queue.ReceiveMessagesAsync(10)).Value;
        Assert.Equal(2, messages.Length);
        Assert.All(messages, m => Assert.DoesNotContain("owner@example.com", m.Body.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Items_restored_from_an_old_backup_of_the_store_are_deleted_again_and_the_audit_says_so()
    {
        var names = new List<UploadName>();
        string folder;
        await using (var h = await PipelineHarness.StartAsync(Minutes))
        {
            folder = h.Folder;
            names.AddRange(await UploadAndIngestAsync(h, "b-r", 2));
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var backup = Path.Combine(h.Folder, "backup");
            Directory.CreateDirectory(backup);
            Backup(h.Folder, backup);

            h.Clock.Advance(TimeSpan.FromMinutes(11));
            var sweep = h.Get<RetentionSweep>();
            Assert.Equal(2, (await sweep.EnforceDueAsync(default)).Deleted);

            // Restore the old records store (not the ledger: it is kept apart so it outlives restores).
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Restore(backup, h.Folder);
            foreach (var name in names)
            {
                Assert.NotNull(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, name.BuildingId, name.RecordId));
            }

            var again = await sweep.EnforceDueAsync(default);
            Assert.Equal(2, again.Deleted);
            foreach (var name in names)
            {
                Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, name.BuildingId, name.RecordId));
            }

            var audits = await DeletionAuditsAsync(h);
            Assert.Equal(2, audits.Count);
            Assert.All(audits, a => Assert.Contains("re-enforced", a.How, StringComparison.Ordinal));

            // A restored blob (bytes the ledger saw deleted) is refused at ingestion and deleted again.
            var content = Hardware.Mp4(20_000, seed: 0);
            await Hardware.UploadAsync(h.Recordings, names[0].BlobName, content, Hardware.Metadata(h.Clock.GetUtcNow().AddMinutes(-12)));
            var outcome = await h.Get<RecordingIngestor>().IngestAsync(names[0].BlobName, default);
            Assert.Equal(IngestionResult.Reenforced, outcome.Result);
            Assert.False((await h.Recordings.GetBlobClient(names[0].BlobName).ExistsAsync()).Value);
        }

        Assert.False(Directory.Exists(folder));
    }

    internal static async Task<List<UploadName>> UploadAndIngestAsync(PipelineHarness h, string building, int count)
    {
        var names = new List<UploadName>();
        for (var i = 0; i < count; i++)
        {
            var name = new UploadName(building, "door-1", $"cap-{i}", "mp4");
            await Hardware.UploadAsync(h.Recordings, name.BlobName, Hardware.Mp4(20_000, seed: i), Hardware.Metadata(h.Clock.GetUtcNow().AddSeconds(-30)));
            Assert.Equal(IngestionResult.Catalogued, (await h.Get<RecordingIngestor>().IngestAsync(name.BlobName, default)).Result);
            names.Add(name);
        }

        return names;
    }

    private static async Task<List<AuditRecord>> DeletionAuditsAsync(PipelineHarness h) =>
        [.. (await h.AuditsAsync()).Where(a => a.Action == "deleted")];

    private static void Backup(string folder, string backup)
    {
        foreach (var file in Directory.GetFiles(folder, "records.db*"))
        {
            File.Copy(file, Path.Combine(backup, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static void Restore(string backup, string folder)
    {
        foreach (var file in Directory.GetFiles(folder, "records.db*"))
        {
            File.Delete(file);
        }

        foreach (var file in Directory.GetFiles(backup, "records.db*"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
    }

    private static string Iso(DateTimeOffset at) => RecordJson.Timestamp(at);

    internal static HttpRequest Json(HttpContext context, string body)
    {
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return context.Request;
    }

    internal static async Task<(int Status, string Body)> InvokeAsync(Func<HttpContext, Task<IResult>> handler)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        var body = new MemoryStream();
        context.Response.Body = body;
        var result = await handler(context);
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(body.ToArray()));
    }
}
