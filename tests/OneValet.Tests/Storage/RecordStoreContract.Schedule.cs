using Microsoft.Extensions.Options;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;
using Xunit;

namespace OneValet.Tests.Storage;

/// <summary>
/// O4 in both stores: a door event's schedule entry is named by its building, so its id is unique in the building: the
/// store's create conflict is what keeps another person's event from overwriting a live deadline, and an entry stored under
/// the id it had before (the person-partitioned reference) moves to its id by building when it is marked done.
/// </summary>
public abstract partial class RecordStoreContract
{
    [Fact]
    public async Task A_door_events_schedule_entry_is_unique_in_its_building_and_moves_off_its_person_partitioned_id_when_done()
    {
        var building = NewPartitionKey();
        var now = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        var schedule = new RetentionSchedule(Store, Options.Create(new RetentionOptions()), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now));
        ScheduleEntry Event(string partition, string id) => new()
        {
            Kind = ItemKind.DoorEvent, ItemPartition = partition, ItemId = id, SubjectId = partition, BuildingId = building, EventAt = now,
            Category = "authentication-data", Rule = new RetentionRule("tdpa-authentication-90d", "O4", TimeSpan.FromDays(90), RetentionAction.Delete),
            Deadline = now.AddDays(90),
        };

        var (bucket, added) = await schedule.AddUniqueAsync(Event("r-a", "ev-1"), default);
        Assert.True(added);
        Assert.True((await schedule.AddUniqueAsync(Event("r-a", "ev-1"), default)).Added); // the hardware resending it
        Assert.False((await schedule.AddUniqueAsync(Event("r-b", "ev-1"), default)).Added);
        Assert.Equal("r-a", (await schedule.ReadEntryAsync(bucket.Key, $"doorEvent~{building}~ev-1~0", default))!.Document.ItemPartition);

        // Stored before door events were named by building; marked done, it leaves its old id for the new one, without the person.
        var legacy = Event("r-old", "ev-2");
        await Store.UpsertAsync(Containers.Schedule, bucket.Key, "doorEvent~r-old~ev-2~0", legacy);
        var stored = (await schedule.ReadEntryAsync(bucket.Key, "doorEvent~r-old~ev-2~0", default))!;
        await schedule.MarkDoneAsync(bucket.Key, stored, legacy.Done(now.AddDays(90)), default);
        Assert.Null(await schedule.ReadEntryAsync(bucket.Key, "doorEvent~r-old~ev-2~0", default));
        var done = (await schedule.ReadEntryAsync(bucket.Key, $"doorEvent~{building}~ev-2~0", default))!.Document;
        Assert.Equal((EntryStatus.Done, null, building), (done.Status, done.SubjectId, done.ItemPartition));
    }
}
