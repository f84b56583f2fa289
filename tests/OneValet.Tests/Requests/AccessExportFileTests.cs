using System.Text.Json;
using System.Text.Json.Nodes;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Retention;
using Xunit;

namespace OneValet.Tests.Requests;

/// <summary>
/// The access answer's file (O8) when the person's door events fill several blocks (issue 15.7): each event read once, as
/// stored, staged while read, the last block staged while the doors are searched (several at once), and the head and tail
/// around them. What an auditor checks: every event is in the file exactly as stored and in the store's order, nothing else
/// sits between head and tail, the footage found at many doors is the same whichever door's search answers first.
/// </summary>
public sealed class AccessExportFileTests
{
    private const string Subject = "r-blocks";
    private const int Events = 4_000;
    private const int Doors = 12;

    [Fact]
    public async Task An_export_of_several_blocks_holds_every_door_event_as_stored_in_order_and_the_footage_of_every_door()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        await DeletionPathTests.ResidentAsync(h, Subject, movedOut: false, building: "b-blocks");
        var rule = new RetentionRule("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete);
        var store = (SqliteRecordStore)h.Store;

        // Text that must survive being copied as it is: quotes, a backslash, non-ASCII, a line break.
        await store.ImportAsync(Containers.DoorEvents, Enumerable.Range(0, Events).Select(i => (Subject, "e-" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), new DoorEventRecord
        {
            EventId = "e-" + i, BuildingId = i % 2 == 0 ? "b-blocks" : "b-other", DoorId = "d-" + (i % Doors), Method = EntryMethod.Fob, SubjectId = Subject,
            At = now.AddMinutes(-10 * (i + 1)), Granted = i % 7 != 0, DataCategory = "authentication-data",
            Purpose = i == 1234 ? "keyless \"entry\" \\ caf\u00e9\nline" : "keyless entry", Retention = rule, Deadline = now.AddMinutes(-10 * (i + 1)) + rule.Period,
        })));

        // Footage near one event at each of the twelve doors (and one clip at a door far from any event of the person).
        var footageRule = new RetentionRule("footage-30d", "O2", TimeSpan.FromDays(30), RetentionAction.Delete);
        for (var door = 0; door < Doors; door++)
        {
            var building = door % 2 == 0 ? "b-blocks" : "b-other";
            var at = now.AddMinutes(-10 * (door + 1)).AddSeconds(20);
            await h.Store.UpsertAsync(Containers.Recordings, building, RecordingRecord.IdFor("d-" + door, "c-" + door), Clip(building, "d-" + door, "c-" + door, at, footageRule));
        }

        await h.Store.UpsertAsync(Containers.Recordings, "b-blocks", RecordingRecord.IdFor("d-0", "c-far"), Clip("b-blocks", "d-0", "c-far", now.AddYears(-2), footageRule));

        const string requestId = "req-blocks";
        await h.Store.CreateAsync(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId, new PrivacyRequestRecord
        {
            RequestId = requestId, Type = RequestType.Access, Jurisdiction = "canada", Channel = "app", SubjectId = Subject,
            ReceivedAt = now, AcknowledgeBy = now.AddDays(10), DueAt = now.AddDays(30), Status = RequestStatus.AwaitingVerification,
        });
        var work = await h.Get<RequestWork>().RunAsync(requestId, default);
        var plan = (await h.Get<AccessFootage>().ReadPlanAsync(requestId, default))!;
        Assert.Equal(Events, plan.DoorEvents);
        Assert.True(plan.DoorEventBlocks!.Count >= 3, $"{plan.DoorEventBlocks.Count} blocks: the events should fill several");
        Assert.Equal(Doors, work.FootageItems);
        Assert.Equal(
            Enumerable.Range(0, Doors).Select(d => $"{(d % 2 == 0 ? "b-blocks" : "b-other")}/d-{d}/c-{d}").Order(StringComparer.Ordinal),
            plan.Items.Select(i => $"{i.BuildingId}/{i.DoorId}/{i.CaptureId}").Order(StringComparer.Ordinal));
        Assert.All(plan.Items, i => Assert.Equal(AccessFootage.AtDoorEvent, i.Why));

        Assert.Equal(RequestStatus.Completed, (await h.Get<RequestWork>().CompleteAccessAsync(requestId, default)).Status);
        var text = (await h.Exports.GetBlobClient(AccessExport.BlobNameFor(requestId)).DownloadContentAsync()).Value.Content.ToString();
        var file = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(
            ["requestId", "generatedAt", "lookbackFrom", "identifiers", "facialEntryEnrollment", "hardwareUsage", "disclosures", "requests", "recordings", "quarantinedUploads"],
            file.Select(p => p.Key));
        var exported = file["hardwareUsage"]!["doorEvents"]!.AsArray();
        var stored = new List<JsonObject>();
        string? continuation = null;
        do
        {
            var page = await h.Store.QueryAsync<JsonObject>(Containers.DoorEvents, Subject, RecordQuery.All, 500, continuation);
            stored.AddRange(page.Items.Select(i => i.Document));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        Assert.Equal(Events, exported.Count);
        for (var i = 0; i < Events; i++)
        {
            Assert.True(JsonNode.DeepEquals(stored[i], exported[i]), $"event {i} differs from the stored one");
        }

        Assert.Contains(exported, e => e!["purpose"]!.GetValue<string>() == "keyless \"entry\" \\ caf\u00e9\nline");
        Assert.Equal(Doors, file["recordings"]!["items"]!.AsArray().Count);
        var outcome = (await h.Store.ReadAsync<PrivacyRequestRecord>(Containers.Requests, requestId, PrivacyRequestRecord.DocumentId))!.Document.Outcome!;
        Assert.Contains($"{Events} door events", outcome.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_door_event_can_follow_once_the_events_are_complete_and_finishing_twice_gives_the_same_blocks()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        using var events = await h.Get<AccessExport>().OpenDoorEventsAsync("req-complete", Subject, now, now.AddDays(7), default);
        using var one = JsonDocument.Parse("""{"eventId":"e-1"}""");
        events.Add(one.RootElement);
        events.Complete();
        events.Complete();
        Assert.Throws<InvalidOperationException>(() => events.Add(one.RootElement));
        var blocks = await events.FinishAsync();
        Assert.Equal(blocks, await events.FinishAsync());
        Assert.Single(blocks);
        Assert.Equal(1, events.Count);
    }

    private static RecordingRecord Clip(string building, string door, string capture, DateTimeOffset captured, RetentionRule rule) => new()
    {
        BuildingId = building, DoorId = door, CaptureId = capture, BlobName = $"{building}/{door}/{capture}.mp4", Kind = RecordingKind.Surveillance, DeviceId = "camera-" + door,
        CapturedAt = captured, SizeBytes = 10, Sha256 = "00", ContentType = "video/mp4", DataCategory = "sensory-data", Purpose = "security",
        Source = "entry-camera", Retention = rule, Deadline = captured + rule.Period, Status = RecordingStatus.Catalogued, CataloguedAt = captured,
        Versions = [new RecordingVersion(1, "00", 10, captured, "camera-" + door, captured, captured + rule.Period, null, [])],
    };
}
