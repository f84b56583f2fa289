using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.Retention;

/// <summary>
/// Quarantine under the retention engine (O1, O2, O4, O6): a refused upload is catalogued as quarantined with its reason
/// and the rule of what it claims to be, from the earlier of its claimed capture and its upload; deleted by the one audited
/// path at that deadline; seen by deletion and access requests when it claims the person's door and time. In-process on
/// real Azurite and SQLite with a fake clock.
/// </summary>
public sealed class QuarantineRetentionTests
{
    private const string Building = "b-q";

    [Fact]
    public async Task A_facial_entry_capture_refused_as_too_old_goes_90_days_after_its_claimed_capture_by_the_audited_path()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        var claimed = now.AddDays(-10);
        var outcome = await UploadAsync(h, $"{Building}/lobby/face-old.jpg", Hardware.Jpeg(4_000), Hardware.Metadata(claimed, "facial-entry"));
        Assert.Equal((IngestionResult.Quarantined, "capture-too-old"), (outcome.Result, outcome.ReasonCode));

        var record = await QuarantineRecordAsync(h, $"{Building}/lobby/face-old.jpg");
        Assert.Equal(("capture-too-old", "facial-entry", "quarantined-tdpa-authentication-90d", "O4"), (record.ReasonCode, record.ClaimedKind, record.Retention.RuleId, record.Retention.Obligation));
        Assert.Equal(Truncate(claimed).AddDays(90), record.Deadline);
        Assert.Equal(Pipeline.Ingestion.DataCategories.FacialEntryAuthentication, record.DataCategory);
        var audit = Assert.Single(await h.AuditsAsync(), a => a.Action == "quarantined");
        Assert.Equal((record.Retention.RuleId, record.Deadline), (audit.RuleId, audit.Deadline));

        // The day before its deadline it is there; just past it, the sweep deletes blob and record with an audit entry.
        h.Clock.Advance(record.Deadline - h.Clock.GetUtcNow() - TimeSpan.FromDays(1));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.True((await Quarantine(h).GetBlobClient($"{Building}/lobby/face-old.jpg").ExistsAsync()).Value);
        h.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await h.Get<RetentionSweep>().EnforceDueAsync(default)).Deleted);
        Assert.False((await Quarantine(h).GetBlobClient($"{Building}/lobby/face-old.jpg").ExistsAsync()).Value);
        Assert.Null(await h.Store.ReadAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(Building), QuarantinedUpload.IdFor($"{Building}/lobby/face-old.jpg")));
        var deleted = Assert.Single(await Audits.AroundAsync(h.Store, record.Deadline), a => a.Action == "deleted" && a.Outcome == "completed");
        Assert.Equal(("quarantined-tdpa-authentication-90d", "O4"), (deleted.RuleId, deleted.Obligation));
        Assert.Contains("quarantined blob", deleted.How, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_capture_whose_claim_is_already_past_the_tdpa_period_is_deleted_at_ingestion()
    {
        await using var h = await PipelineHarness.StartAsync();
        var name = $"{Building}/lobby/face-ancient.jpg";
        Assert.Equal("capture-too-old", (await UploadAsync(h, name, Hardware.Jpeg(2_000), Hardware.Metadata(h.Clock.GetUtcNow().AddDays(-100), "facial-entry"))).ReasonCode);
        Assert.False((await Quarantine(h).GetBlobClient(name).ExistsAsync()).Value);
        Assert.Null(await h.Store.ReadAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(Building), QuarantinedUpload.IdFor(name)));
        Assert.Contains(await Audits.AroundAsync(h.Store, h.Clock.GetUtcNow().AddDays(-10)), a => a.Action == "deleted" && a.Outcome == "completed" && a.RuleId == "quarantined-tdpa-authentication-90d");
    }

    [Theory]
    [InlineData("facial-entry", "not-a-time", "invalid-capturedat", 90)] // no readable claim: from the upload
    [InlineData("facial-entry", "+2d", "captured-in-future", 90)] // a claim after the upload: from the upload
    [InlineData("surveillance", "+2d", "captured-in-future", 3)] // footage: the building's rule, from the upload
    [InlineData("", "-1d", "missing-kind", 3)] // claims neither kind: the shorter rule, from the claimed capture
    public async Task The_rule_is_that_of_the_claim_from_the_earlier_of_claimed_capture_and_upload(string kind, string capturedAt, string reason, int days)
    {
        await using var h = await PipelineHarness.StartAsync(new Dictionary<string, string?> { [$"OneValet:Retention:Buildings:{Building}:SurveillanceFootage"] = "3.00:00:00" });
        var now = h.Clock.GetUtcNow();
        var metadata = Hardware.Metadata(now);
        metadata["capturedat"] = capturedAt switch
        {
            "+2d" => now.AddDays(2).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            "-1d" => now.AddDays(-1).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            _ => capturedAt,
        };
        if (kind.Length == 0)
        {
            metadata.Remove("kind");
        }
        else
        {
            metadata["kind"] = kind;
        }

        var name = $"{Building}/side/cap-{reason}.jpg";
        Assert.Equal(reason, (await UploadAsync(h, name, Hardware.Jpeg(3_000), metadata)).ReasonCode);
        var record = await QuarantineRecordAsync(h, name);
        var start = capturedAt == "-1d" ? now.AddDays(-1) : record.UploadedAt;
        Assert.True((record.Deadline - start.AddDays(days)).Duration() < TimeSpan.FromSeconds(1), $"deadline {record.Deadline:O}, expected {start.AddDays(days):O}");
        Assert.True(record.UploadedAt <= now);
    }

    [Fact]
    public async Task A_refused_upload_with_no_valid_name_still_has_a_rule_and_a_deadline()
    {
        await using var h = await PipelineHarness.StartAsync();
        const string name = "Not A Valid Name.bin";
        Assert.Equal("invalid-name", (await UploadAsync(h, name, Hardware.Mp4(2_000), Hardware.Metadata(h.Clock.GetUtcNow()))).ReasonCode);
        var stored = await h.Store.ReadAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(null), QuarantinedUpload.IdFor(name));
        Assert.NotNull(stored);
        Assert.Null(stored.Document.BuildingId);
        Assert.Equal("quarantined-footage-default-30d", stored.Document.Retention.RuleId);
    }

    [Fact]
    public async Task Deletion_and_access_requests_see_quarantined_uploads_at_the_persons_doors_and_times()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        const string subject = "r-q";
        await DeletionPathTests.ResidentAsync(h, subject, movedOut: false, building: Building);
        var rule = h.Get<RetentionPolicy>().ForAuthenticationEvent();
        await h.Store.UpsertAsync(Containers.DoorEvents, subject, "e-1", new DoorEventRecord
        {
            EventId = "e-1", BuildingId = Building, DoorId = "lobby", Method = EntryMethod.Face, SubjectId = subject, At = now.AddDays(-9), Granted = true,
            DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = now.AddDays(81),
        });
        await UploadAsync(h, $"{Building}/lobby/face-late.jpg", Hardware.Jpeg(3_000), Hardware.Metadata(now.AddDays(-9).AddSeconds(20), "facial-entry"));
        var footageMeta = Hardware.Metadata(now.AddDays(-9).AddSeconds(-30));
        footageMeta["deviceid"] = "Console 7!";
        await UploadAsync(h, $"{Building}/lobby/clip-bad.mp4", Hardware.Mp4(3_000), footageMeta);
        await UploadAsync(h, $"{Building}/garage/face-other.jpg", Hardware.Jpeg(3_000), Hardware.Metadata(now.AddDays(-9), "facial-entry"));

        var access = await RunAsync(h, "req-q-access", RequestType.Access, subject);
        var items = await h.Get<RequestWork>().CompleteAccessAsync("req-q-access", default);
        Assert.Equal(RequestStatus.Completed, items.Status);
        var export = JsonDocument.Parse((await h.Exports.GetBlobClient("req-q-access/data.json").DownloadContentAsync()).Value.Content.ToString()).RootElement;
        var listed = export.GetProperty("quarantinedUploads").EnumerateArray().Select(e => (e.GetProperty("doorId").GetString(), e.GetProperty("claimedKind").GetString(), e.GetProperty("reasonCode").GetString())).ToList();
        Assert.Equal([("lobby", "surveillance", "invalid-deviceid"), ("lobby", "facial-entry", "capture-too-old")], listed);
        Assert.Equal(RequestStatus.InProgress, access.Status);

        // The access answer is in; the deletion deletes the refused capture and says the refused footage is kept, until when.
        await h.Store.DeleteAsync(Containers.Requests, "open", "req-q-access");
        await RunAsync(h, "req-q-delete", RequestType.Deletion, subject);
        var outcome = (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, "req-q-delete", PrivacyRequestRecord.DocumentId))!.Document.Outcome!;
        Assert.Contains("refused Facial Entry captures in quarantine at your doors and times: 1", outcome.Deleted);
        Assert.False((await Quarantine(h).GetBlobClient($"{Building}/lobby/face-late.jpg").ExistsAsync()).Value);
        Assert.True((await Quarantine(h).GetBlobClient($"{Building}/garage/face-other.jpg").ExistsAsync()).Value);
        var kept = Assert.Single(outcome.Kept, k => k.Category.Contains("refused entry-camera uploads", StringComparison.Ordinal));
        Assert.Equal((await QuarantineRecordAsync(h, $"{Building}/lobby/clip-bad.mp4")).Deadline, kept.Until);
    }

    private static async Task<WorkResult> RunAsync(PipelineHarness h, string requestId, RequestType type, string subject)
    {
        var now = h.Clock.GetUtcNow();
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = requestId, Type = type, Jurisdiction = "canada", Channel = "app", SubjectId = subject,
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(30), Status = RequestStatus.AwaitingVerification,
        });
        if (type == RequestType.Access)
        {
            await h.Store.UpsertAsync(Containers.Requests, "open", requestId, new RequestIndexEntry(requestId, type, now, now.AddDays(30), "InProgress"));
        }

        return await h.Get<RequestWork>().RunAsync(requestId, default);
    }

    private static DateTimeOffset Truncate(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    private static BlobContainerClient Quarantine(PipelineHarness h) =>
        h.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("qua" + h.Suffix);

    private static async Task<IngestionOutcome> UploadAsync(PipelineHarness h, string name, byte[] bytes, IDictionary<string, string> metadata)
    {
        await Hardware.UploadAsync(h.Recordings, name, bytes, metadata);
        return await h.Get<RecordingIngestor>().IngestAsync(name, default);
    }

    private static async Task<QuarantinedUpload> QuarantineRecordAsync(PipelineHarness h, string name)
    {
        var building = name.Split('/')[0];
        var stored = await h.Store.ReadAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(building), QuarantinedUpload.IdFor(name));
        Assert.NotNull(stored);
        return stored.Document;
    }
}
