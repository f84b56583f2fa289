using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Ingestion;

/// <summary>
/// O1, O2, O4: an upload whose BlobCreated event was lost in Azure (dead-lettered by Event Grid, or poisoned after the
/// trigger's 5 tries) is still catalogued, with its retention deadline, by the daily reconciliation, so nothing outlives
/// its rule for want of an event; a bad one is still refused to quarantine with its reason; one already catalogued is
/// left as it is. In-process on real Azurite and SQLite with a fake clock; the uploads are made the way a console makes
/// them and never given to the ingestor, as when their events are lost.
/// </summary>
public sealed class UploadReconcilerTests
{
    private const string Building = "b-lost";

    [Fact]
    public async Task An_upload_whose_event_was_lost_is_catalogued_with_its_deadline_and_deleted_at_it()
    {
        await using var h = await PipelineHarness.StartAsync();
        var lost = new UploadName(Building, "door-1", "cap-lost", "mp4");
        var refused = new UploadName(Building, "door-1", "cap-refused", "mp4");
        var seen = new UploadName(Building, "door-1", "cap-seen", "mp4");
        await Hardware.UploadAsync(h.Recordings, lost.BlobName, Hardware.Mp4(20_000, seed: 1), Hardware.Metadata(h.Clock.GetUtcNow().AddSeconds(-30)));
        await Hardware.UploadAsync(h.Recordings, refused.BlobName, Hardware.Mp4(20_000, seed: 2), Hardware.Metadata(h.Clock.GetUtcNow().AddDays(1)));
        await Hardware.UploadAsync(h.Recordings, seen.BlobName, Hardware.Mp4(20_000, seed: 3), Hardware.Metadata(h.Clock.GetUtcNow().AddSeconds(-30)));
        Assert.Equal(IngestionResult.Catalogued, (await h.Get<RecordingIngestor>().IngestAsync(seen.BlobName, default)).Result);

        // Within the hour its event may still come: not touched yet.
        var early = await h.Get<UploadReconciler>().RunAsync(null, default);
        Assert.Equal((0, 0, 0), (early.Listed, early.Recovered, early.Failed));
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, lost.BuildingId, lost.RecordId));

        // The next day's pass: the lost one is catalogued with its rule's deadline, the bad one refused with its reason,
        // the one already catalogued left alone.
        h.Clock.Advance(TimeSpan.FromHours(2));
        var pass = await h.Get<UploadReconciler>().RunAsync(null, default);
        Assert.Equal((3, 2, 0), (pass.Listed, pass.Recovered, pass.Failed));
        var record = Assert.IsType<RecordingRecord>((await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, lost.BuildingId, lost.RecordId))?.Document);
        Assert.Single(record.Versions);
        Assert.False((await h.Recordings.GetBlobClient(refused.BlobName).ExistsAsync()).Value);
        Assert.NotNull(await h.Store.ReadAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(Building), QuarantinedUpload.IdFor(refused.BlobName)));
        Assert.Contains(await h.AuditsAsync(), a => a.Action == "quarantined");

        // A second pass finds nothing new.
        var again = await h.Get<UploadReconciler>().RunAsync(null, default);
        Assert.Equal((2, 0, 0), (again.Listed, again.Recovered, again.Failed));

        // And the recovered upload goes at its deadline by the one audited path, like any other.
        h.Clock.Advance(record.Deadline - h.Clock.GetUtcNow() + TimeSpan.FromMinutes(2));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.False((await h.Recordings.GetBlobClient(lost.BlobName).ExistsAsync()).Value);
        Assert.Contains(await Audits.AroundAsync(h.Store, h.Clock.GetUtcNow()), a => a.Action == "deleted" && a.Outcome == "completed");
    }
}
