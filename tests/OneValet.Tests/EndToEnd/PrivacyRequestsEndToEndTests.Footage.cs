using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Faces;
using OneValet.Tests.Infrastructure;
using Xunit;
using Models = OneValet.Client.Models;

namespace OneValet.Tests.EndToEnd;

/// <summary>
/// Redacted recordings in an access answer (O8; PIPEDA s.9(1)), end to end on the real local host: footage at the door and
/// time of the person's door event is exported with every face blurred (no face detectable in any frame of the copy), a
/// Facial Entry capture verified as them keeps their face and blurs the other, a clip that cannot be decoded is withheld
/// with its reason, recordings at other doors, other times or of other people are left out, the originals are unchanged,
/// and each copy is scheduled for deletion with the export.
/// </summary>
public sealed partial class PrivacyRequestsEndToEndTests
{
    [Fact]
    public async Task An_access_answer_includes_the_persons_recordings_redacted_withholds_what_cannot_be_decoded_and_leaves_the_originals_alone()
    {
        await using var mail = await MailDevProcess.StartAsync();
        await using var host = await StartAsync("access-footage", mail);
        await ResidentAsync(host, "gus", "b-v", "gus@requests.test", "california");
        var at = DateTimeOffset.UtcNow.AddMinutes(-3);
        at = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMillisecond)); // capture times are uploaded to the millisecond
        await DoorEventsAsync(host, "b-v", new Models.DoorEventBatch_events { EventId = "e-g", DoorId = "lobby", Method = Models.DoorEventBatch_events_method.Fob, SubjectId = "gus", At = at, Granted = true });

        var clip = FootageSamples.Mp4(4, FootageSamples.Left, FootageSamples.Right);
        var capture = FootageSamples.Jpeg(FootageSamples.Left, FootageSamples.Right);
        var recordings = new BlobContainerClient(AzuriteFixture.ConnectionString, host.RecordingsContainer);
        var uploads = new (string Name, byte[] Content, DateTimeOffset At, string Kind)[]
        {
            ("b-v/lobby/cap-clip.mp4", clip, at.AddSeconds(30), "surveillance"),
            ("b-v/lobby/cap-bad.mp4", Hardware.Mp4(20_000, seed: 3), at.AddSeconds(-30), "surveillance"),
            ("b-v/lobby/cap-face.jpg", capture, at, "facial-entry"),
            ("b-v/lobby/cap-early.mp4", clip, at.AddMinutes(-10), "surveillance"), // outside the window
            ("b-v/garage/cap-garage.mp4", clip, at, "surveillance"), // another door
            ("b-v/side/cap-someone.jpg", capture, at.AddMinutes(-20), "facial-entry"), // someone else's verified capture
        };
        foreach (var (name, content, capturedAt, kind) in uploads)
        {
            await Hardware.UploadAsync(recordings, name, content, Hardware.Metadata(capturedAt, kind));
        }

        var store = host.OpenStore();
        await host.WaitUntilAsync(async () => (await Task.WhenAll(uploads.Select(u => RecordAsync(store, u.Name)))).All(r => r is not null), Wait);

        // Facial Entry verification runs only with a Face API (Azure): the checks are written as it would write them, with
        // the matched face's rectangle (here the detector's box of the left face).
        var requesterFace = FootageSamples.Faces(capture).First(f => FootageSamples.Inside(FootageSamples.TileAt(FootageSamples.Left), f));
        await SetFaceCheckAsync(store, "b-v/lobby/cap-face.jpg", new FaceCheck(FaceVerificationStatus.Verified, DateTimeOffset.UtcNow, 0.93, "gus", requesterFace));
        await SetFaceCheckAsync(store, "b-v/side/cap-someone.jpg", new FaceCheck(FaceVerificationStatus.Verified, DateTimeOffset.UtcNow, 0.91, "someone-else", requesterFace));

        var id = await SubmitAsync(host, Request(Models.PrivacyRequestInput_type.Access, "california", "app", "gus"));
        await VerifyAsync(host, id, await CodeAsync(mail, "gus@requests.test", id, 1));
        // Three more durable steps than other answers (one activity per recording, then the assembly): a longer wait on a busy machine.
        Models.PrivacyRequestStatus? status = null;
        await host.WaitUntilAsync(async () => (status = await StatusAsync(host, id)).Request!.Closed == true, TimeSpan.FromMinutes(2));
        Assert.Equal(Models.PrivacyRequestStatus_request_status.Completed, status!.Request!.Status);
        var outcome = status.Request.Outcome!;
        Assert.Contains("2 recordings of you with other people's faces blurred, 1 withheld", outcome.Summary, StringComparison.Ordinal);

        using var download = new HttpClient();
        var export = JsonDocument.Parse(await download.GetStringAsync(new Uri(status.ExportLink!))).RootElement.GetProperty("recordings");
        Assert.False(export.GetProperty("capped").GetBoolean());
        var items = export.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("captureId").GetString()!);
        Assert.Equal(["cap-bad", "cap-clip", "cap-face"], items.Keys.Order(StringComparer.Ordinal));

        var footage = items["cap-clip"];
        Assert.Equal(("surveillance", "lobby", "redacted", AccessFootage.AtDoorEvent), (Text(footage, "kind"), Text(footage, "doorId"), Text(footage, "status"), Text(footage, "why")));
        Assert.Equal(RecordJson.Timestamp(at.AddSeconds(30)), Text(footage, "capturedAt"));
        Assert.StartsWith("The requester's face was not known: all", Text(footage, "redaction"), StringComparison.Ordinal);
        Assert.False(footage.GetProperty("requesterFaceKept").GetBoolean());
        var face = items["cap-face"];
        Assert.Equal(("facial-entry", "redacted", AccessFootage.VerifiedCapture), (Text(face, "kind"), Text(face, "status"), Text(face, "why")));
        Assert.True(face.GetProperty("requesterFaceKept").GetBoolean());
        var bad = items["cap-bad"];
        Assert.Equal(("withheld", BlobRedaction.Undecodable), (Text(bad, "status"), Text(bad, "reasonCode")));
        Assert.False(bad.TryGetProperty("blob", out _));

        // The copies, through the answer's own links: no face left in any frame of the footage; only the requester's in the capture.
        var links = status.FileLinks!.ToDictionary(l => l.Blob!, l => new Uri(l.Link!));
        Assert.Equal([Text(footage, "blob"), Text(face, "blob")], links.Keys.Order(StringComparer.Ordinal));
        Assert.Equal($"{id}/recordings/b-v/lobby/cap-clip.mp4", Text(footage, "blob"));
        var frames = FootageSamples.FacesPerFrame(await download.GetByteArrayAsync(links[Text(footage, "blob")]));
        Assert.Equal(4, frames.Count);
        Assert.All(frames, Assert.Empty);
        var redactedCapture = FootageSamples.Faces(await download.GetByteArrayAsync(links[Text(face, "blob")]));
        Assert.NotEmpty(redactedCapture);
        Assert.All(redactedCapture, f => Assert.True(FootageSamples.Inside(FootageSamples.TileAt(FootageSamples.Left), f), $"a face other than the requester's survived: {f}"));

        // The originals are untouched.
        Assert.Equal(Hardware.Sha256(clip), Hardware.Sha256((await recordings.GetBlobClient("b-v/lobby/cap-clip.mp4").DownloadContentAsync()).Value.Content.ToArray()));
        Assert.Equal(Hardware.Sha256(capture), Hardware.Sha256((await recordings.GetBlobClient("b-v/lobby/cap-face.jpg").DownloadContentAsync()).Value.Content.ToArray()));

        // Every copy is scheduled for deletion with the export (O8, 7 days); the plan (doors and times) is gone from the request.
        var bucket = new RetentionSchedule(store, Options.Create(new RetentionOptions { BucketWidth = TimeSpan.FromSeconds(1) }), TimeProvider.System).BucketFor(outcome.ExportExpiresAt!.Value).Key;
        var entries = (await store.QueryAsync<ScheduleEntry>(Containers.Schedule, bucket, RecordQuery.All, 50, null)).Items.Select(e => e.Document).Where(e => e.ItemPartition == id).ToList();
        Assert.Equal(links.Keys.Append($"{id}/data.json").Order(StringComparer.Ordinal), entries.Select(e => e.BlobName!).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal((ItemKind.Export, "export-7d", outcome.ExportExpiresAt), (e.Kind, e.Rule.RuleId, e.Deadline)));
        Assert.InRange(outcome.ExportExpiresAt.Value, status.Request.ReceivedAt!.Value.AddDays(7), DateTimeOffset.UtcNow.AddDays(7));
        Assert.Null(await store.ReadAsync<JsonElement>(Containers.Requests, id, FootagePlan.DocumentId));
    }

    private static string Text(JsonElement item, string property) => item.GetProperty(property).GetString()!;

    private static async Task<StoredRecord<RecordingRecord>?> RecordAsync(SqliteRecordStore store, string blobName)
    {
        Assert.True(UploadName.TryParse(blobName, out var name));
        return await store.ReadAsync<RecordingRecord>(Containers.Recordings, name.BuildingId, name.RecordId);
    }

    /// <summary>Writes a capture's Facial Entry check, and again if anything in the host writes over it, until it stays.</summary>
    private static async Task SetFaceCheckAsync(SqliteRecordStore store, string blobName, FaceCheck check)
    {
        for (var stable = 0; stable < 2;)
        {
            var stored = (await RecordAsync(store, blobName))!;
            if (stored.Document.FaceCheck == check)
            {
                stable++;
            }
            else
            {
                stable = 0;
                try
                {
                    await store.ReplaceAsync(Containers.Recordings, stored.PartitionKey, stored.Id, stored.Document with { FaceCheck = check }, stored.ETag);
                }
                catch (RecordPreconditionFailedException)
                {
                }
            }

            await Task.Delay(300);
        }
    }
}
