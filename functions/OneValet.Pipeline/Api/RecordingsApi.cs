using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Api;

/// <summary>The catalogue's read routes (<see cref="ApiRoutes.GetRecording"/>, <see cref="ApiRoutes.ListBuildingRecordings"/>).</summary>
public sealed class RecordingsApi(IRecordStore store)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public async Task<IResult> GetRecordingAsync(string buildingId, string doorId, string captureId, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(buildingId) || !UploadName.IsValidId(doorId) || !UploadName.IsValidId(captureId))
        {
            return Problems.BadRequest("Building, door and capture ids are 1 to 64 characters of a-z, 0-9 and '-'.");
        }

        var record = await store.ReadAsync<RecordingRecord>(Containers.Recordings, buildingId, RecordingRecord.IdFor(doorId, captureId), cancellationToken).ConfigureAwait(false);
        return record is null
            ? Problems.NotFound("No recording is catalogued under that name.")
            : TypedResults.Json(record.Document, ApiJson.Options);
    }

    public async Task<IResult> ListBuildingRecordingsAsync(string buildingId, string? from, string? to, string? pageSize, string? continuation, CancellationToken cancellationToken)
    {
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

        var size = DefaultPageSize;
        if (pageSize is not null && (!int.TryParse(pageSize, out size) || size < 1 || size > MaxPageSize))
        {
            return Problems.BadRequest($"'pageSize' is a whole number from 1 to {MaxPageSize}.");
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
            new RecordingPage([.. page.Items.Select(i => i.Document)], page.Continuation is null ? null : ContinuationTokens.Encode(page.Continuation)),
            ApiJson.Options);
    }

    private static bool TryParseBound(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!RecordingIngestor.TryParseUtc(text, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }
}

/// <summary>One page of a building's recordings; pass <see cref="Continuation"/> back for the next.</summary>
public sealed record RecordingPage(IReadOnlyList<RecordingRecord> Items, string? Continuation);
