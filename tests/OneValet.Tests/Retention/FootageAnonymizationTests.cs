using Azure.Storage.Blobs.Models;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OneValet.Tests.Retention;

/// <summary>
/// Anonymize-by-blur (O2, O7: "deleted or anonymized") in-process on real Azurite, SQLite and ffmpeg with a fake clock: a
/// building whose footage rule says Anonymize gets, at the deadline, the fully blurred form in place of the original
/// (no face detectable in any frame), the original gone, the record Anonymized, an audit entry and a ledger entry; footage
/// that cannot be decoded is deleted instead; a half-done anonymization is finished by the next pass; the blurred form is
/// deleted at its own deadline.
/// </summary>
public sealed class FootageAnonymizationTests(ITestOutputHelper output)
{
    private const string Building = "b-anon";

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["OneValet:Retention:SurveillanceFootage"] = "00:10:00",
        ["OneValet:Retention:AnonymizedFootage"] = "00:30:00",
        ["OneValet:Retention:AnonymizationsPerBatch"] = "1",
        [$"OneValet:Retention:Buildings:{Building}:FootageAction"] = "Anonymize",
    };

    [Fact]
    public async Task At_the_deadline_footage_is_replaced_by_its_blurred_form_the_original_goes_and_the_audit_says_anonymized()
    {
        await using var h = await PipelineHarness.StartAsync(Settings);
        var clip = FootageSamples.Mp4(4, FootageSamples.Left, FootageSamples.Right);
        var before = FootageSamples.FacesPerFrame(clip);
        Assert.All(before, faces => Assert.True(faces.Count >= 2, "the sample must show two detectable faces in every frame"));
        var good = new UploadName(Building, "door-1", "cap-good", "mp4");
        var bad = new UploadName(Building, "door-1", "cap-bad", "mp4");
        await IngestAsync(h, good, clip);
        await IngestAsync(h, bad, Hardware.Mp4(20_000, seed: 7));
        var record = (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, good.RecordId))!.Document;
        Assert.Equal(RetentionAction.Anonymize, record.Retention.Action);
        Assert.Equal("footage-default-600s-anonymize", record.Retention.RuleId);
        var bucket = Assert.Single(await h.Get<RetentionSchedule>().BucketsDueByAsync(h.Clock.GetUtcNow().AddHours(1), default));

        // Due: one anonymization per batch (AnonymizationsPerBatch = 1), so the bucket takes two batches.
        h.Clock.Advance(TimeSpan.FromMinutes(11));
        var enforcer = h.Get<RetentionEnforcer>();
        var first = await enforcer.EnforceBucketAsync(bucket.Key, includeHeld: false, default);
        Assert.Equal(1, first.Deleted);
        Assert.True(first.MorePending);
        var second = await enforcer.EnforceBucketAsync(bucket.Key, includeHeld: false, default);
        Assert.Equal(1, second.Deleted);
        Assert.False(second.MorePending);
        Assert.True(second.Closed);

        // The original: gone from recordings, with every version and snapshot.
        Assert.Empty(await ListAsync(h.Recordings, good.BlobName));
        Assert.Empty(await ListAsync(h.Recordings, bad.BlobName));

        // The blurred form: no face in any frame; the record describes it.
        var blurredBlob = h.Anonymized.GetBlobClient(good.BlobName);
        var blurred = (await blurredBlob.DownloadContentAsync()).Value.Content.ToArray();
        var after = FootageSamples.FacesPerFrame(blurred);
        output.WriteLine($"frames before {before.Count}, after {after.Count}; faces after: {after.Sum(f => f.Count)}");
        Assert.Equal(before.Count, after.Count);
        Assert.All(after, Assert.Empty);
        var anonymized = (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, good.RecordId))!.Document;
        Assert.Equal(RecordingStatus.Anonymized, anonymized.Status);
        Assert.Equal(Hardware.Sha256(blurred), anonymized.Sha256);
        Assert.Equal(blurred.Length, anonymized.SizeBytes);
        Assert.Equal(Hardware.Sha256(blurred), Assert.Single(anonymized.Versions).Sha256);
        Assert.Equal("anonymized-footage-1800s", anonymized.Retention.RuleId);
        Assert.Equal(record.CapturedAt.AddMinutes(30), anonymized.Deadline);

        // The undecodable clip could not be blurred: deleted instead, record and all.
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, bad.RecordId));
        Assert.False((await h.Anonymized.GetBlobClient(bad.BlobName).ExistsAsync()).Value);

        // The audit: what, rule, deadline, when, how; no content hash. The ledger keeps the original's hash.
        var audits = await h.AuditsAsync();
        var audit = Assert.Single(audits, a => a.ItemRef == $"recordingVersion/{Building}/{good.RecordId}/1");
        Assert.Equal("anonymized", audit.Action);
        Assert.Equal("completed", audit.Outcome);
        Assert.Equal("O2", audit.Obligation);
        Assert.Equal("footage-default-600s-anonymize", audit.RuleId);
        Assert.Equal(record.Deadline, audit.Deadline);
        Assert.Contains("The requester's face was not known: all", audit.How, StringComparison.Ordinal);
        Assert.Contains("original blob (all versions and snapshots) deleted", audit.How, StringComparison.Ordinal);
        Assert.DoesNotContain(record.Sha256, audit.How, StringComparison.Ordinal);
        var badAudit = Assert.Single(audits, a => a.ItemRef == $"recordingVersion/{Building}/{bad.RecordId}/1");
        Assert.Equal("deleted", badAudit.Action);
        Assert.StartsWith("not anonymized (undecodable), deleted instead", badAudit.How, StringComparison.Ordinal);
        var ledger = await h.Get<DeletionLedger>().FindAsync(Building, $"recordingVersion~{Building}~{good.RecordId}~1", default);
        Assert.Equal(record.Sha256, ledger!.Sha256);

        // A replay changes nothing; a restored copy of the original is recognised and deleted again at ingestion (O7).
        var etag = (await blurredBlob.GetPropertiesAsync()).Value.ETag;
        Assert.Equal(0, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.Equal(etag, (await blurredBlob.GetPropertiesAsync()).Value.ETag);
        await Hardware.UploadAsync(h.Recordings, good.BlobName, clip, Hardware.Metadata(h.Clock.GetUtcNow().AddMinutes(-11)));
        Assert.Equal(IngestionResult.Reenforced, (await h.Get<RecordingIngestor>().IngestAsync(good.BlobName, default)).Result);
        Assert.Empty(await ListAsync(h.Recordings, good.BlobName));

        // The blurred form at its own deadline (capture + 30 min): deleted with its record, audited under O7.
        h.Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(1, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.False((await blurredBlob.ExistsAsync()).Value);
        Assert.Null(await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, good.RecordId));
        var final = Assert.Single(await h.AuditsAsync(), a => a.ItemRef == $"anonymizedFootage/{Building}/{good.RecordId}/1");
        Assert.Equal(("deleted", "completed", "O7", "anonymized-footage-1800s"), (final.Action, final.Outcome, final.Obligation, final.RuleId));
    }

    [Fact]
    public async Task A_half_done_anonymization_is_finished_by_the_next_pass_and_never_leaves_the_original()
    {
        await using var h = await PipelineHarness.StartAsync(Settings);
        var clip = FootageSamples.Mp4(3, FootageSamples.Left);
        var name = new UploadName(Building, "door-2", "cap-half", "mp4");
        await IngestAsync(h, name, clip);
        var bucket = Assert.Single(await h.Get<RetentionSchedule>().BucketsDueByAsync(h.Clock.GetUtcNow().AddHours(1), default));
        h.Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        var anonymized = (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, name.RecordId))!.Document;

        // The state a crash leaves after the record switched to Anonymized and before the original went: the original still
        // there, and the item's schedule entry still open.
        await Hardware.UploadAsync(h.Recordings, name.BlobName, clip, Hardware.Metadata(h.Clock.GetUtcNow().AddMinutes(-11)));
        var entry = (await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, bucket.Key, $"recordingVersion~{Building}~{name.RecordId}~1"))!.Document;
        Assert.Equal(EntryStatus.Done, entry.Status);
        await h.Get<RetentionSchedule>().AddAsync(entry with { Status = EntryStatus.Pending }, default);

        h.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.Empty(await ListAsync(h.Recordings, name.BlobName));
        var finished = (await h.Store.ReadAsync<RecordingRecord>(Containers.Recordings, Building, name.RecordId))!.Document;
        Assert.Equal((RecordingStatus.Anonymized, anonymized.Sha256), (finished.Status, finished.Sha256));
        Assert.True((await h.Anonymized.GetBlobClient(name.BlobName).ExistsAsync()).Value);
        var audit = Assert.Single(await h.AuditsAsync(), a => a.ItemRef == $"recordingVersion/{Building}/{name.RecordId}/1");
        Assert.Equal(("anonymized", "completed"), (audit.Action, audit.Outcome));
        Assert.Contains("already anonymized; original blob (all versions and snapshots) deleted", audit.How, StringComparison.Ordinal);
    }

    private static async Task IngestAsync(PipelineHarness h, UploadName name, byte[] content)
    {
        await Hardware.UploadAsync(h.Recordings, name.BlobName, content, Hardware.Metadata(h.Clock.GetUtcNow().AddSeconds(-30)));
        Assert.Equal(IngestionResult.Catalogued, (await h.Get<RecordingIngestor>().IngestAsync(name.BlobName, default)).Result);
    }

    /// <summary>The blob and its snapshots under that name (Azurite keeps no versions; in Azure the deleter removes those too).</summary>
    private static async Task<List<string>> ListAsync(Azure.Storage.Blobs.BlobContainerClient container, string name)
    {
        var found = new List<string>();
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.Snapshots, name, default))
        {
            if (item.Name == name)
            {
                found.Add($"{item.Name} {item.Snapshot} {item.VersionId}");
            }
        }

        return found;
    }
}
