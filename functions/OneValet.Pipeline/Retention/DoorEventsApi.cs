using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Configuration;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Storage;
using Microsoft.Extensions.Options;

namespace OneValet.Pipeline.Retention;

/// <summary>How a keyless entry door authenticated someone.</summary>
public enum EntryMethod
{
    Face,
    Fob,
    Pin,
    Mobile,
}

/// <summary>One door authentication event as hardware posts it.</summary>
public sealed record DoorEventInput(string EventId, string DoorId, EntryMethod Method, string? SubjectId, DateTimeOffset At, bool Granted);

/// <summary>Body of <c>POST /api/buildings/{buildingId}/door-events</c>.</summary>
public sealed record DoorEventBatch(IReadOnlyList<DoorEventInput> Events);

/// <summary>A stored door event (container <c>door-events</c>): TDPA authentication data, gone 90 days after collection (O4).</summary>
public sealed record DoorEventRecord
{
    public required string EventId { get; init; }

    public required string BuildingId { get; init; }

    public required string DoorId { get; init; }

    public required EntryMethod Method { get; init; }

    public string? SubjectId { get; init; }

    public required DateTimeOffset At { get; init; }

    public required bool Granted { get; init; }

    public required string DataCategory { get; init; }

    public required string Purpose { get; init; }

    /// <summary>O1: where it came from (older records have none).</summary>
    public string? Source { get; init; }

    public required RetentionRule Retention { get; init; }

    public required DateTimeOffset Deadline { get; init; }

    public static string PartitionFor(string? subjectId, string buildingId) => subjectId ?? Partitions.OfBuilding(buildingId);
}

/// <summary>What a batch post did.</summary>
public sealed record DoorEventBatchResult(int Accepted, int Duplicates);

/// <summary>
/// Hardware posts batches of door authentication events (O4). Each becomes a record with its rule and deadline
/// (collection + 90 days) and a schedule entry. A resent event (same id) is recognised and not stored twice.
/// </summary>
public sealed class DoorEventsApi(IRecordStore store, RetentionSchedule schedule, RetentionPolicy policy, Auditing.AuditLog audit, IOptions<IngestionOptions> ingestion, TimeProvider time)
{
    public const int MaxBatch = 500;

    /// <summary>O1: a door event's source (the policy's "building hardware").</summary>
    public const string Source = "building hardware: keyless entry door";

    public async Task<IResult> PostAsync(string buildingId, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(buildingId))
        {
            return Problems.BadRequest("Building ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var (batch, problem) = await RequestBody.ReadAsync<DoorEventBatch>(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (batch!.Events is not { Count: > 0 and <= MaxBatch })
        {
            return Problems.BadRequest($"'events' holds 1 to {MaxBatch} events.");
        }

        if (Api.Auth.Caller.OfRequest(request) is { } device && device.On(ApiRoutes.PostDoorEvents).HasFlag(Api.Roles.Device) && batch.Events.Any(e => e is null || !device.DoorIds.Contains(e.DoorId)))
        {
            return Problems.NotFound("No such door."); // a device posts only for its own doors
        }

        var now = time.GetUtcNow();
        var options = ingestion.Value;
        for (var i = 0; i < batch.Events.Count; i++)
        {
            var e = batch.Events[i];
            if (e is null || !UploadName.IsValidId(e.EventId) || !UploadName.IsValidId(e.DoorId) || (e.SubjectId is not null && !UploadName.IsValidId(e.SubjectId)))
            {
                return Problems.BadRequest($"events[{i}]: 'eventId', 'doorId' and 'subjectId' are 1 to 64 characters of a-z, 0-9 and '-'.");
            }

            if (e.At > now + options.ClockSkew || e.At < now - options.MaxAge)
            {
                return Problems.BadRequest($"events[{i}]: 'at' is in the future or older than the accepted age.");
            }

            // An event is named by its building and id (O4: never by its person), so an id is unique in its building.
            if (batch.Events.Take(i).Any(x => x.EventId == e.EventId))
            {
                return Problems.BadRequest($"events[{i}]: 'eventId' appears twice in the batch.");
            }
        }

        // A console vouches only for people of its own building: a subject it names must be a resident of this building as
        // the store has it (the right person at the wrong building is refused like an unknown one, and nothing is written).
        var checkedSubjects = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Events.Count; i++)
        {
            if (batch.Events[i].SubjectId is { } subjectId && checkedSubjects.Add(subjectId)
                && (await store.ReadAsync<ResidentRecord>(Containers.Residents, subjectId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document.BuildingId != buildingId)
            {
                return Problems.NotFound($"events[{i}]: no such person in this building.");
            }
        }

        var rule = policy.ForAuthenticationEvent();
        int accepted = 0, duplicates = 0;

        // The deadlines go in first, then the batch's one catalogue entry (O1), then the records: a crash between leaves
        // harmless entries, never a record without its deadline or missing from the catalogue.
        var records = new List<(DoorEventRecord Record, string Partition)>();
        var catalogued = new List<CataloguedItem>();
        foreach (var e in batch.Events)
        {
            var record = new DoorEventRecord
            {
                EventId = e.EventId,
                BuildingId = buildingId,
                DoorId = e.DoorId,
                Method = e.Method,
                SubjectId = e.SubjectId,
                At = e.At,
                Granted = e.Granted,
                DataCategory = "authentication-data",
                Purpose = "keyless entry",
                Source = Source,
                Retention = rule,
                Deadline = policy.Deadline(rule, e.At, buildingId),
            };
            var partition = DoorEventRecord.PartitionFor(e.SubjectId, buildingId);

            var entry = new ScheduleEntry
            {
                Kind = ItemKind.DoorEvent,
                ItemPartition = partition,
                ItemId = e.EventId,
                SubjectId = e.SubjectId,
                BuildingId = buildingId,
                EventAt = e.At,
                Category = record.DataCategory,
                Purpose = record.Purpose,
                Source = record.Source,
                Rule = rule,
                Deadline = record.Deadline,
            };
            var (bucket, added) = await schedule.AddUniqueAsync(entry, cancellationToken).ConfigureAwait(false);
            if (!added)
            {
                // Entries written before stay (harmless: a deadline whose item is absent is closed as "already gone").
                return Problems.Conflict($"'{e.EventId}' is the id of another stored event of this building; event ids are unique per building.", "event-id-taken", "Event id taken.");
            }

            catalogued.Add(CataloguedItem.Of(entry, bucket.Key));
            records.Add((record, partition));
        }

        var ids = string.Join(',', batch.Events.Select(e => e.EventId + "@" + (e.SubjectId is null ? "b" : Auditing.AuditLog.IdFor(e.SubjectId))));
        await audit.WriteAsync(Auditing.AuditLog.IdFor(Catalogue.Action, buildingId, ids), Catalogue.Entry(
            "door-events/" + buildingId, catalogued, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{catalogued.Count} door event(s) stored under {rule.RuleId}"), now, now), cancellationToken).ConfigureAwait(false);
        foreach (var (record, partition) in records)
        {
            try
            {
                await store.CreateAsync(Containers.DoorEvents, partition, record.EventId, record, cancellationToken).ConfigureAwait(false);
                accepted++;
            }
            catch (RecordConflictException)
            {
                duplicates++;
            }
        }

        return TypedResults.Json(new DoorEventBatchResult(accepted, duplicates), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }
}
