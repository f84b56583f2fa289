using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Api;

/// <summary>
/// The catalogue's read routes (<see cref="ApiRoutes.GetRecording"/>, <see cref="ApiRoutes.ListBuildingRecordings"/>).
/// Who a Facial Entry check matched (<see cref="FaceCheck.ResidentId"/>) is shown to the privacy officer only: a property
/// manager sees that a capture was verified, not whose face it was (O3, O4: authentication data, and the "limited number of
/// people with special access rights").
/// </summary>
public sealed class RecordingsApi(IRecordStore store)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public async Task<IResult> GetRecordingAsync(string buildingId, string doorId, string captureId, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(buildingId) || !UploadName.IsValidId(doorId) || !UploadName.IsValidId(captureId))
        {
            return Problems.BadRequest("Building, door and capture ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var record = await store.ReadAsync<RecordingRecord>(Containers.Recordings, buildingId, RecordingRecord.IdFor(doorId, captureId), cancellationToken).ConfigureAwait(false);
        return record is null
            ? Problems.NotFound("No recording is catalogued under that name.")
            : TypedResults.Json(ViewFor(Auth.Caller.OfRequest(request), ApiRoutes.GetRecording, record.Document), ApiJson.Options);
    }

    public async Task<IResult> ListBuildingRecordingsAsync(string buildingId, string? from, string? to, string? pageSize, string? continuation, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!UploadName.IsValidId(buildingId))
        {
            return Problems.BadRequest("Building ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        if (!TryParseBound(from, out var fromAt) || !TryParseBound(to, out var toAt))
        {
            return Problems.BadRequest("'from' and 'to' are ISO-8601 times with a UTC offset, e.g. 2026-11-26T00:00:00Z.");
        }

        if (fromAt is not null && toAt is not null && fromAt >= toAt)
        {
            return Problems.BadRequest("'from' must be before 'to'.");
        }

        if (PageSizes.TryRead(pageSize, DefaultPageSize, MaxPageSize, out var size) is { } badSize)
        {
            return badSize;
        }

        string? inner = null;
        if (continuation is not null && !ContinuationTokens.TryDecode(continuation, out inner))
        {
            return Problems.BadRequest("'continuation' is not one this API handed out.");
        }

        var conditions = new List<FieldCondition>();
        if (fromAt is { } f)
        {
            conditions.Add(new FieldCondition("capturedAt", FieldOperator.GreaterThanOrEqual, System.Text.Json.Nodes.JsonValue.Create(RecordJson.Timestamp(f))));
        }

        if (toAt is { } t)
        {
            conditions.Add(new FieldCondition("capturedAt", FieldOperator.LessThan, System.Text.Json.Nodes.JsonValue.Create(RecordJson.Timestamp(t))));
        }

        RecordPage<RecordingRecord> page;
        try
        {
            page = await store.QueryAsync<RecordingRecord>(Containers.Recordings, buildingId, new RecordQuery(conditions), size, inner, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return Problems.BadRequest("'continuation' is not one this API handed out.");
        }

        return TypedResults.Json(
            new RecordingPage([.. page.Items.Select(i => ViewFor(Auth.Caller.OfRequest(request), ApiRoutes.ListBuildingRecordings, i.Document))], page.Continuation is null ? null : ContinuationTokens.Encode(page.Continuation)),
            ApiJson.Options);
    }

    /// <summary>
    /// The record as this caller may see it: the matched resident's id only for a caller acting as privacy officer on the
    /// route; for anyone else (a property manager, or an in-process call that went through no gate) the check keeps its
    /// status, time, confidence and face rectangle, without whose face it was.
    /// </summary>
    public static RecordingRecord ViewFor(Auth.Caller? caller, ApiRoute route, RecordingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // O3's consent reference names a resident too (the matched one, or one consenting resident of the building).
        return record.FaceCheck is { } check && (check.ResidentId is not null || check.ConsentOf is not null) && caller?.On(route).HasFlag(Roles.PrivacyOfficer) != true
            ? record with { FaceCheck = check with { ResidentId = null, ConsentOf = null, ConsentGivenAt = null } }
            : record;
    }

    private static bool TryParseBound(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!QueryTimes.TryParse(text, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }
}

/// <summary>One page of a building's recordings; pass <see cref="Continuation"/> back for the next.</summary>
public sealed record RecordingPage(IReadOnlyList<RecordingRecord> Items, string? Continuation);
