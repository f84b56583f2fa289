using Azure.Storage.Blobs;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Anonymize-by-blur on the real local host (O2, O7): footage of a building whose rule says Anonymize is uploaded as the
/// hardware does, catalogued by the poller, and at its deadline (seconds here) the host's own retention replaces it with
/// the blurred form: no face in any frame, the original gone, the record Anonymized, the audit entry written.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class FootageAnonymizationEndToEndTests
{
    [Fact]
    public async Task The_local_host_anonymizes_footage_at_its_deadline()
    {
        await AzuriteFixture.EnsureRunningAsync();
        await using var host = new LocalHostProcess("anonymize", new Dictionary<string, string>
        {
            ["OneValet:Retention:SurveillanceFootage"] = "00:00:04",
            ["OneValet:Retention:AnonymizedFootage"] = "01:00:00",
            ["OneValet:Retention:Buildings:b-an:FootageAction"] = "Anonymize",
            ["OneValet:Retention:BucketWidth"] = "00:00:01",
            ["OneValet:Retention:PlanInterval"] = "00:00:01",
            ["OneValet:Retention:PlanningHorizon"] = "00:02:00",
            ["OneValet:Retention:SweepInterval"] = "00:00:02",
        });
        await host.StartAsync();
        var clip = FootageSamples.Mp4(3, FootageSamples.Left, FootageSamples.Right);
        var recordings = new BlobContainerClient(AzuriteFixture.ConnectionString, host.RecordingsContainer);
        var capturedAt = DateTimeOffset.UtcNow;
        await Hardware.UploadAsync(recordings, "b-an/door-1/cap-1.mp4", clip, Hardware.Metadata(capturedAt));

        var store = host.OpenStore();
        await host.WaitUntilAsync(
            async () => (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-an", "door-1_cap-1"))?.Document.Status == RecordingStatus.Anonymized,
            TimeSpan.FromMinutes(2));

        var blurred = (await new BlobContainerClient(AzuriteFixture.ConnectionString, host.AnonymizedContainer).GetBlobClient("b-an/door-1/cap-1.mp4").DownloadContentAsync()).Value.Content.ToArray();
        var frames = FootageSamples.FacesPerFrame(blurred);
        Assert.Equal(3, frames.Count);
        Assert.All(frames, Assert.Empty);
        await host.WaitUntilAsync(async () => !(await recordings.GetBlobClient("b-an/door-1/cap-1.mp4").ExistsAsync()).Value, TimeSpan.FromSeconds(30));
        var record = (await store.ReadAsync<RecordingRecord>(Containers.Recordings, "b-an", "door-1_cap-1"))!.Document;
        Assert.Equal(Hardware.Sha256(blurred), record.Sha256);

        // The audit entry is in the partition of the day of the deadline (capture + 4 s).
        var audit = (await store.ReadAsync<AuditRecord>(Containers.Audit, AuditLog.PartitionFor(record.CapturedAt.AddSeconds(4)), AuditLog.IdFor("anonymized", "recordingVersion/b-an/door-1_cap-1/1")))!.Document;
        Assert.Equal(("anonymized", "completed", "O2"), (audit.Action, audit.Outcome, audit.Obligation));
    }
}
