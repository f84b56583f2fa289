using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OneValet.Pipeline.Faces;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Residents;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Requests;

/// <summary>
/// The recordings that concern one person: their Facial Entry captures verified as them (<see cref="FaceCheck"/>), and
/// entry-camera footage captured at the doors of their door events and verified captures within
/// <see cref="RequestOptions.FootageWindow"/> of each; catalogued items only. One answer for every use: the access answer
/// (O8), the deletion answer (O9: captures deleted, footage listed as kept and until when) and holds on the person (O6:
/// a subject hold, or an open request, keeps their recordings too). All reads are single-partition queries.
/// </summary>
public sealed class PersonRecordings(IRecordStore store, IOptions<RequestOptions> options)
{
    public const string VerifiedCapture = "facial-entry-verified-as-you";
    public const string AtDoorEvent = "camera-at-your-door-event";
    public const string AtVerifiedCapture = "camera-at-your-facial-entry";
    public const string InYourWindow = "recorded-where-and-when-you-said-you-were";

    /// <summary>How many doors' searches run at once (<see cref="FindAllAsync(string, DateTimeOffset?, Action{JsonElement}?, Action?, CancellationToken)"/>).</summary>
    private const int DoorsAtOnce = 4;

    /// <summary>Every recording of the person captured at or after <paramref name="from"/> (everything when null), with
    /// its deadline, in no defined order.</summary>
    public async Task<IReadOnlyList<PersonRecording>> FindAsync(string subjectId, DateTimeOffset? from, CancellationToken cancellationToken) =>
        (await FindAllAsync(subjectId, from, cancellationToken).ConfigureAwait(false)).Recordings;

    /// <summary>The person's recordings, and the refused uploads in quarantine that claim to be from their doors and times
    /// (a quarantined item is never face-checked, so only its claimed door and capture time can link it).</summary>
    public Task<PersonData> FindAllAsync(string subjectId, DateTimeOffset? from, CancellationToken cancellationToken) =>
        FindAllAsync(subjectId, from, null, null, cancellationToken);

    /// <summary>
    /// As <see cref="FindAllAsync(string, DateTimeOffset?, CancellationToken)"/>, handing each door event of the person
    /// (at or after <paramref name="from"/>) to <paramref name="doorEvent"/> as stored, while they are read for the footage
    /// search: the access answer lists the events it read here instead of reading the partition again (issue 15.7).
    /// <paramref name="doorEventsRead"/> is called once the last event was handed over, before the recordings are searched.
    /// </summary>
    public async Task<PersonData> FindAllAsync(string subjectId, DateTimeOffset? from, Action<JsonElement>? doorEvent, Action? doorEventsRead, CancellationToken cancellationToken)
    {
        var window = options.Value.FootageWindow;
        var moments = new List<(string Building, string Door, DateTimeOffset At, string Why)>();
        var eventQuery = from is null ? RecordQuery.All : RecordQuery.Where(Since("at", from.Value));
        // As JsonElement: reading three fields of it costs nothing more, where a JsonObject builds every node on first access.
        await foreach (var e in PagesAsync<JsonElement>(Containers.DoorEvents, subjectId, eventQuery, cancellationToken).ConfigureAwait(false))
        {
            moments.Add((e.GetProperty("buildingId").GetString()!, e.GetProperty("doorId").GetString()!, e.GetProperty("at").GetDateTimeOffset(), AtDoorEvent));
            doorEvent?.Invoke(e);
        }

        doorEventsRead?.Invoke();
        var buildings = moments.Select(m => m.Building).ToHashSet(StringComparer.Ordinal);
        if ((await store.ReadAsync<ResidentRecord>(Containers.Residents, subjectId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false))?.Document is { } resident)
        {
            buildings.Add(resident.BuildingId);
        }

        var found = new Dictionary<string, PersonRecording>(StringComparer.Ordinal);
        foreach (var building in buildings.Order(StringComparer.Ordinal))
        {
            var conditions = new List<FieldCondition>
            {
                Is("kind", RecordingKind.FacialEntry),
                Is("status", RecordingStatus.Catalogued),
                Is("faceCheck.status", FaceVerificationStatus.Verified),
                new("faceCheck.residentId", FieldOperator.Equal, JsonValue.Create(subjectId)),
            };
            if (from is not null)
            {
                conditions.Add(Since("capturedAt", from.Value));
            }

            await foreach (var capture in PagesAsync<RecordingRecord>(Containers.Recordings, building, new RecordQuery(conditions), cancellationToken).ConfigureAwait(false))
            {
                found[building + "/" + capture.Id] = new PersonRecording(building, capture, VerifiedCapture);
                moments.Add((building, capture.DoorId, capture.CapturedAt, AtVerifiedCapture));
            }
        }

        // Footage and refused uploads at each door: one query each over the span of the person's moments there, then each
        // item matched to the nearest moment within the window (one scan of a door instead of one query per moment). The
        // doors are searched a few at once (issue 15.7: one after another they were 17 round trips in a row for 8 doors),
        // and their findings merged in door order, so the result does not depend on which answered first.
        var doors = moments
            .GroupBy(m => (m.Building, m.Door))
            .OrderBy(g => g.Key.Building, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Door, StringComparer.Ordinal)
            .Select(g => new DoorMoments(g.Key.Building, g.Key.Door, [.. g.Select(m => (m.At, m.Why)).OrderBy(m => m.At)]))
            .ToList();
        var atDoors = new (List<PersonRecording> Footage, List<QuarantinedUpload> Quarantined)[doors.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, doors.Count),
            new ParallelOptions { MaxDegreeOfParallelism = DoorsAtOnce, CancellationToken = cancellationToken },
            async (i, ct) => atDoors[i] = await SearchDoorAsync(doors[i], from, window, ct).ConfigureAwait(false)).ConfigureAwait(false);

        var quarantined = new List<QuarantinedUpload>();
        foreach (var (footage, refused) in atDoors)
        {
            foreach (var clip in footage)
            {
                found.TryAdd(clip.Key, clip);
            }

            quarantined.AddRange(refused);
        }

        return new PersonData([.. found.Values], quarantined);
    }

    private sealed record DoorMoments(string Building, string Door, List<(DateTimeOffset At, string Why)> Times);

    private async Task<(List<PersonRecording> Footage, List<QuarantinedUpload> Quarantined)> SearchDoorAsync(DoorMoments door, DateTimeOffset? from, TimeSpan window, CancellationToken cancellationToken)
    {
        var times = door.Times;
        var footage = SearchFootageAsync();
        var quarantined = SearchQuarantineAsync();
        return (await footage.ConfigureAwait(false), await quarantined.ConfigureAwait(false));

        async Task<List<PersonRecording>> SearchFootageAsync()
        {
            var start = times[0].At - window;
            if (from is not null && start < from.Value)
            {
                start = from.Value;
            }

            var query = new RecordQuery(
            [
                Is("kind", RecordingKind.Surveillance),
                new("doorId", FieldOperator.Equal, JsonValue.Create(door.Door)),
                Since("capturedAt", start),
                new("capturedAt", FieldOperator.LessThanOrEqual, JsonValue.Create(RecordJson.Timestamp(times[^1].At + window))),
            ]);
            var result = new List<PersonRecording>();
            await foreach (var clip in PagesAsync<RecordingRecord>(Containers.Recordings, door.Building, query, cancellationToken).ConfigureAwait(false))
            {
                if (clip.Status == RecordingStatus.Deleted)
                {
                    continue;
                }

                var near = times.Where(m => (m.At - clip.CapturedAt).Duration() <= window).OrderBy(m => (m.At - clip.CapturedAt).Duration()).ToList();
                if (near.Count > 0)
                {
                    result.Add(new PersonRecording(door.Building, clip, near[0].Why));
                }
            }

            return result;
        }

        async Task<List<QuarantinedUpload>> SearchQuarantineAsync()
        {
            var query = new RecordQuery(
            [
                new("doorId", FieldOperator.Equal, JsonValue.Create(door.Door)),
                Since("claimedCapturedAt", times[0].At - window),
                new("claimedCapturedAt", FieldOperator.LessThanOrEqual, JsonValue.Create(RecordJson.Timestamp(times[^1].At + window))),
            ]);
            var result = new List<QuarantinedUpload>();
            await foreach (var item in PagesAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(door.Building), query, cancellationToken).ConfigureAwait(false))
            {
                if (times.Any(m => (m.At - item.ClaimedCapturedAt!.Value).Duration() <= window))
                {
                    result.Add(item);
                }
            }

            return result;
        }
    }

    /// <summary>
    /// What concerns a person not on file (O8–O10): the catalogued recordings of <paramref name="buildingId"/> (at
    /// <paramref name="doorId"/> when given) captured from <paramref name="from"/> to <paramref name="to"/>, entry-camera
    /// footage and Facial Entry captures alike (nobody's match says who is in them), and the refused uploads in quarantine
    /// that claim that place and time. Single-partition queries of the building.
    /// </summary>
    public async Task<PersonData> FindInWindowAsync(string buildingId, string? doorId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var conditions = new List<FieldCondition>
        {
            Is("status", RecordingStatus.Catalogued),
            Since("capturedAt", from),
            new("capturedAt", FieldOperator.LessThanOrEqual, JsonValue.Create(RecordJson.Timestamp(to))),
        };
        if (doorId is not null)
        {
            conditions.Add(new("doorId", FieldOperator.Equal, JsonValue.Create(doorId)));
        }

        var found = new List<PersonRecording>();
        await foreach (var clip in PagesAsync<RecordingRecord>(Containers.Recordings, buildingId, new RecordQuery(conditions), cancellationToken).ConfigureAwait(false))
        {
            found.Add(new PersonRecording(buildingId, clip, InYourWindow));
        }

        var quarantineConditions = new List<FieldCondition>
        {
            Since("claimedCapturedAt", from),
            new("claimedCapturedAt", FieldOperator.LessThanOrEqual, JsonValue.Create(RecordJson.Timestamp(to))),
        };
        if (doorId is not null)
        {
            quarantineConditions.Add(new("doorId", FieldOperator.Equal, JsonValue.Create(doorId)));
        }

        var quarantined = new List<QuarantinedUpload>();
        await foreach (var item in PagesAsync<QuarantinedUpload>(Containers.Recordings, QuarantinedUpload.PartitionFor(buildingId), new RecordQuery(quarantineConditions), cancellationToken).ConfigureAwait(false))
        {
            quarantined.Add(item);
        }

        return new PersonData(found, quarantined);
    }

    private static FieldCondition Is<TEnum>(string field, TEnum value)
        where TEnum : struct, Enum =>
        new(field, FieldOperator.Equal, JsonValue.Create(JsonNamingPolicy.CamelCase.ConvertName(value.ToString())));

    private static FieldCondition Since(string field, DateTimeOffset from) =>
        new(field, FieldOperator.GreaterThanOrEqual, JsonValue.Create(RecordJson.Timestamp(from)));

    private async IAsyncEnumerable<T> PagesAsync<T>(string container, string partition, RecordQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await store.QueryAsync<T>(container, partition, query, 500, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item.Document;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }
}

/// <summary>What concerns a person among recordings: catalogued ones, and refused uploads in quarantine.</summary>
public sealed record PersonData(IReadOnlyList<PersonRecording> Recordings, IReadOnlyList<QuarantinedUpload> Quarantined)
{
    /// <summary>"partition/id" of every item, as schedule entries name them.</summary>
    public IEnumerable<string> Keys => Recordings.Select(r => r.Key).Concat(Quarantined.Select(q => QuarantinedUpload.PartitionFor(q.BuildingId) + "/" + QuarantinedUpload.IdFor(q.BlobName)));
}

/// <summary>One recording that concerns a person: its building, its catalogue record, and why it concerns them.</summary>
public sealed record PersonRecording(string BuildingId, RecordingRecord Record, string Why)
{
    /// <summary>"building/recordId", as hold scopes and schedule entries name a recording (partition and id).</summary>
    public string Key => BuildingId + "/" + Record.Id;
}
