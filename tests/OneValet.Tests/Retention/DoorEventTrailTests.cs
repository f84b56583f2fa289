using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Auditing;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using OneValet.Tests.Infrastructure;
using OneValet.Tests.Privacy;
using Xunit;
using static OneValet.Tests.Retention.RetentionEngineTests;

namespace OneValet.Tests.Retention;

/// <summary>
/// O4 (NYC TDPA) against the records that outlive a door event: once it is deleted at its 90 days, its deletion entries, its
/// done schedule entry and its ledger row name it by its building, never by the resident it was about, and the deletion
/// lists the holds in force instead (O6); entries scheduled before door events were named by building are still enforced,
/// and a hold listing an event by its old reference still keeps it. In-process on real Azurite and SQLite, fake clock.
/// </summary>
public sealed class DoorEventTrailTests
{
    private const string Building = "b-tdpa";

    [Fact]
    public async Task A_deleted_door_event_is_named_by_its_building_everywhere_it_is_remembered_and_its_deletion_lists_every_hold_in_force()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-tdpa-a", Building);
        await RegisterAsync(h, "r-tdpa-b", Building);
        var now = h.Clock.GetUtcNow();
        DoorEventInput[] events =
        [
            new("ev-1", "lobby", EntryMethod.Fob, "r-tdpa-a", now.AddMinutes(-10), true),
            new("ev-2", "lobby", EntryMethod.Face, "r-tdpa-b", now.AddMinutes(-9), true),
            new("ev-3", "garage", EntryMethod.Pin, null, now.AddMinutes(-8), true),
        ];
        var posted = await InvokeAsync(ctx => h.Get<DoorEventsApi>().PostAsync(Building, Json(ctx, JsonSerializer.Serialize(new DoorEventBatch(events), ApiJson.Options)), default));
        Assert.Equal(StatusCodes.Status202Accepted, posted.Status);

        // While the events live, their schedule entries keep the partition (the deleter needs it) under ids by building.
        var rule = h.Get<RetentionPolicy>().ForAuthenticationEvent();
        var buckets = events.ToDictionary(e => e.EventId, e => h.Get<RetentionSchedule>().BucketFor(e.At + rule.Period).Key);
        var live = (await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, buckets["ev-1"], $"doorEvent~{Building}~ev-1~0"))!.Document;
        Assert.Equal(("r-tdpa-a", "r-tdpa-a", $"doorEvent/{Building}/ev-1/0"), (live.ItemPartition, live.SubjectId, live.ItemRef));

        // Holds in force at the deadline that keep none of these: another resident, another building's window (O6).
        var holds = h.Get<HoldRegistry>();
        await holds.PlaceAsync(Hold("hold-other-resident", new HoldScope { SubjectId = "r-elsewhere" }, h.Clock.GetUtcNow()), default);
        await holds.PlaceAsync(Hold("hold-other-building", new HoldScope { BuildingId = "b-other", From = now.AddDays(-1), To = now }, h.Clock.GetUtcNow()), default);

        h.Clock.Advance(rule.Period + TimeSpan.FromMinutes(5));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, "r-tdpa-a", "ev-1"));

        var audits = await h.AuditsAsync();
        foreach (var e in events)
        {
            var itemRef = $"doorEvent/{Building}/{e.EventId}/0";
            var deleted = Assert.Single(audits, a => a is { Action: "deleted", Outcome: "completed" } && a.ItemRef == itemRef);
            Assert.Equal((null, Building), (deleted.SubjectId, deleted.BuildingId));
            Assert.Equal(["hold-other-building", "hold-other-resident"], deleted.HoldsInForce);
            Assert.DoesNotContain(audits, a => a.ItemRef.StartsWith("doorEvent/", StringComparison.Ordinal) && JsonSerializer.Serialize(a, RecordJson.Options).Contains("r-tdpa", StringComparison.Ordinal));

            var done = (await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, buckets[e.EventId], itemRef.Replace('/', '~')))!.Document;
            Assert.Equal((EntryStatus.Done, null, Building), (done.Status, done.SubjectId, done.ItemPartition));
            var row = await h.Services.GetRequiredKeyedService<IRecordStore>(DeletionLedger.StoreKey).ReadAsync<LedgerEntry>(Containers.Ledger, Building, itemRef.Replace('/', '~'));
            Assert.Equal(itemRef, row!.Document.ItemRef);
        }

        // The same, as the privacy check of the simulation reads it (through the catalogue entry).
        var ledger = h.Services.GetRequiredKeyedService<IRecordStore>(DeletionLedger.StoreKey);
        var found = await DeletedAuthenticationTrail.AssertNoPersonAsync(h.Store, ledger, now.AddDays(-1), h.Clock.GetUtcNow().AddDays(1), ["r-tdpa-a", "r-tdpa-b"]);
        Assert.Equal(3, found.DoorEvents);
    }

    [Fact]
    public async Task A_door_event_scheduled_under_its_person_before_the_change_is_still_enforced_and_an_item_hold_naming_it_so_still_keeps_it()
    {
        await using var h = await PipelineHarness.StartAsync();
        var now = h.Clock.GetUtcNow();
        var schedule = h.Get<RetentionSchedule>();
        var rule = h.Get<RetentionPolicy>().ForAuthenticationEvent();

        // As stored before: the entry's id is the person-partitioned reference (doorEvent~r-old~...), in its bucket.
        async Task<(string Bucket, ScheduleEntry Entry)> LegacyAsync(string eventId)
        {
            var record = new DoorEventRecord
            {
                EventId = eventId, BuildingId = Building, DoorId = "lobby", Method = EntryMethod.Fob, SubjectId = "r-old", At = now.AddMinutes(-5), Granted = true,
                DataCategory = "authentication-data", Purpose = "keyless entry", Retention = rule, Deadline = now.AddMinutes(-5) + rule.Period,
            };
            await h.Store.UpsertAsync(Containers.DoorEvents, "r-old", eventId, record);
            var entry = new ScheduleEntry
            {
                Kind = ItemKind.DoorEvent, ItemPartition = "r-old", ItemId = eventId, SubjectId = "r-old", BuildingId = Building, EventAt = record.At,
                Category = record.DataCategory, Rule = rule, Deadline = record.Deadline,
            };
            var (bucket, dueAt) = schedule.BucketFor(entry.Deadline);
            await h.Store.UpsertAsync(Containers.Schedule, bucket, $"doorEvent~r-old~{eventId}~0", entry);
            await h.Store.UpsertAsync(Containers.Schedule, RetentionSchedule.BucketsPartition, bucket, new BucketRecord(bucket, dueAt));
            return (bucket, entry);
        }

        var (bucket, _) = await LegacyAsync("ev-old-1");
        await LegacyAsync("ev-old-2");
        await h.Get<HoldRegistry>().PlaceAsync(Hold("hold-old-ref", new HoldScope { Items = ["doorEvent/r-old/ev-old-2/0"] }, now), default);

        h.Clock.Advance(rule.Period + TimeSpan.FromMinutes(5));
        await h.Get<RetentionSweep>().EnforceDueAsync(default);

        // The first: deleted, audited by building, its entry moved to its id by building and marked done without the person.
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, "r-old", "ev-old-1"));
        Assert.Null(await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, bucket, "doorEvent~r-old~ev-old-1~0"));
        var done = (await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, bucket, $"doorEvent~{Building}~ev-old-1~0"))!.Document;
        Assert.Equal((EntryStatus.Done, null, Building), (done.Status, done.SubjectId, done.ItemPartition));
        var audits = await h.AuditsAsync();
        Assert.Contains(audits, a => a is { Action: "deleted", Outcome: "completed" } && a.ItemRef == $"doorEvent/{Building}/ev-old-1/0");

        // The second: the hold lists it by its old reference, and keeps it (O6); the held entry names it by its building.
        Assert.NotNull(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, "r-old", "ev-old-2"));
        var held = Assert.Single(audits, a => a.Action == "held");
        Assert.Equal(($"doorEvent/{Building}/ev-old-2/0", null), (held.ItemRef, held.SubjectId));
        Assert.Equal(["hold-old-ref"], held.HoldsInForce);
        Assert.DoesNotContain(audits, a => a.Action != "hold-placed" && JsonSerializer.Serialize(a, RecordJson.Options).Contains("r-old", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_id_is_unique_in_its_building_so_another_persons_event_never_overwrites_a_deadline()
    {
        await using var h = await PipelineHarness.StartAsync();
        await RegisterAsync(h, "r-tdpa-a", Building);
        await RegisterAsync(h, "r-tdpa-b", Building);
        var at = h.Clock.GetUtcNow().AddMinutes(-10);
        Task<(int Status, string Body)> PostAsync(params DoorEventInput[] events) =>
            InvokeAsync(ctx => h.Get<DoorEventsApi>().PostAsync(Building, Json(ctx, JsonSerializer.Serialize(new DoorEventBatch(events), ApiJson.Options)), default));

        Assert.Equal(StatusCodes.Status202Accepted, (await PostAsync(new DoorEventInput("ev-1", "lobby", EntryMethod.Fob, "r-tdpa-a", at, true))).Status);
        // The hardware resending it is recognised; the same id in one batch for two people is refused, so is the id of a
        // stored event of another person (its deadline would be overwritten and the first event never deleted, O4).
        Assert.Equal(StatusCodes.Status202Accepted, (await PostAsync(new DoorEventInput("ev-1", "lobby", EntryMethod.Fob, "r-tdpa-a", at, true))).Status);
        Assert.Equal(StatusCodes.Status400BadRequest, (await PostAsync(
            new DoorEventInput("ev-2", "lobby", EntryMethod.Fob, "r-tdpa-a", at, true), new DoorEventInput("ev-2", "lobby", EntryMethod.Fob, "r-tdpa-b", at, true))).Status);
        var taken = await PostAsync(new DoorEventInput("ev-1", "garage", EntryMethod.Fob, "r-tdpa-b", at, true));
        Assert.Equal(StatusCodes.Status409Conflict, taken.Status);
        Assert.Contains("event-id-taken", taken.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("r-tdpa", taken.Body, StringComparison.Ordinal);
        Assert.Null(await h.Store.ReadAsync<DoorEventRecord>(Containers.DoorEvents, "r-tdpa-b", "ev-1"));

        var bucket = h.Get<RetentionSchedule>().BucketFor(at + h.Get<RetentionPolicy>().ForAuthenticationEvent().Period).Key;
        var entry = (await h.Store.ReadAsync<ScheduleEntry>(Containers.Schedule, bucket, $"doorEvent~{Building}~ev-1~0"))!.Document;
        Assert.Equal(("r-tdpa-a", EntryStatus.Pending), (entry.ItemPartition, entry.Status));
    }

    private static HoldRecord Hold(string id, HoldScope scope, DateTimeOffset now) => new()
    {
        HoldId = id, Reason = HoldReason.SecurityIncident, Scope = scope, Owner = "office@tdpa.test", ReviewBy = now.AddDays(400), PlacedAt = now,
    };

    private static async Task RegisterAsync(PipelineHarness h, string residentId, string buildingId)
    {
        var put = await InvokeAsync(ctx => h.Get<ResidentsApi>().PutResidentAsync(residentId, Json(ctx, $$"""
            {"buildingId":"{{buildingId}}","unitId":"u-1","movedInAt":"2026-01-01T00:00:00Z","email":"{{residentId}}@example.com"}
            """), default));
        Assert.Equal(StatusCodes.Status201Created, put.Status);
    }
}
