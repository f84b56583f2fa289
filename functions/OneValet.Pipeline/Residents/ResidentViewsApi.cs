using Microsoft.AspNetCore.Http;
using OneValet.Pipeline.Api;
using OneValet.Pipeline.Ingestion;
using OneValet.Pipeline.Requests;
using OneValet.Pipeline.Retention;
using OneValet.Pipeline.Storage;

namespace OneValet.Pipeline.Residents;

/// <summary>A resident's Facial Entry consent and every grant and withdrawal of it (O3).</summary>
public sealed record ConsentHistory(bool Active, string? PolicyVersion, DateTimeOffset? GivenAt, DateTimeOffset? WithdrawnAt, IReadOnlyList<ConsentEvent> History);

/// <summary>One page of a resident's own door events; pass <see cref="Continuation"/> back for the next.</summary>
public sealed record DoorEventPage(IReadOnlyList<DoorEventRecord> Items, string? Continuation);

/// <summary>
/// What the resident app reads about the resident themselves (issue 20): their privacy requests, door events (paged),
/// message choices (O16), consent history (O3), and the Facial Entry policy text they consent to. The gate has already
/// held the caller to this resident (scope Subject).
/// </summary>
public sealed class ResidentViewsApi(IRecordStore store)
{
    /// <summary>A resident has at most a few requests a year (O8: twice per 12 months in California); one page holds them.</summary>
    public const int MaxRequests = 200;

    public async Task<IResult> GetMessagePreferencesAsync(string residentId, CancellationToken cancellationToken) =>
        await ReadAsync(residentId, cancellationToken).ConfigureAwait(false) switch
        {
            { Problem: { } problem } => problem,
            { Resident: { } resident } => TypedResults.Json(resident.Messages, ApiJson.Options),
            _ => Problems.NotFound("No such resident."),
        };

    public async Task<IResult> GetConsentsAsync(string residentId, CancellationToken cancellationToken) =>
        await ReadAsync(residentId, cancellationToken).ConfigureAwait(false) switch
        {
            { Problem: { } problem } => problem,
            { Resident: { } resident } => TypedResults.Json(
                new ConsentHistory(resident.FacialEntryActive, resident.FacialEntry?.PolicyVersion, resident.FacialEntry?.GivenAt, resident.FacialEntry?.WithdrawnAt, resident.FacialEntry?.History ?? []),
                ApiJson.Options),
            _ => Problems.NotFound("No such resident."),
        };

    /// <summary>The resident's privacy requests, newest first (O18: the record of each request, shown to its subject).</summary>
    public async Task<IResult> ListPrivacyRequestsAsync(string residentId, CancellationToken cancellationToken)
    {
        var (resident, problem) = await ReadAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (problem is not null || resident is null)
        {
            return problem ?? Problems.NotFound("No such resident.");
        }

        var page = await store.QueryAsync<RequestIndexEntry>(Containers.Requests, "subject-" + residentId, RecordQuery.All, MaxRequests, null, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(page.Items.Select(i => i.Document).OrderByDescending(e => e.ReceivedAt).ToList(), ApiJson.Options);
    }

    /// <summary>The resident's own door events (O4: each is gone 90 days after collection), paged.</summary>
    public async Task<IResult> ListDoorEventsAsync(string residentId, string? pageSize, string? continuation, CancellationToken cancellationToken)
    {
        var (resident, problem) = await ReadAsync(residentId, cancellationToken).ConfigureAwait(false);
        if (problem is not null || resident is null)
        {
            return problem ?? Problems.NotFound("No such resident.");
        }

        if (PageSizes.TryRead(pageSize, RecordingsApi.DefaultPageSize, RecordingsApi.MaxPageSize, out var size) is { } badSize)
        {
            return badSize;
        }

        string? inner = null;
        if (continuation is not null && !ContinuationTokens.TryDecode(continuation, out inner))
        {
            return Problems.BadRequest("'continuation' is not one this API handed out.");
        }

        RecordPage<DoorEventRecord> page;
        try
        {
            page = await store.QueryAsync<DoorEventRecord>(Containers.DoorEvents, DoorEventRecord.PartitionFor(residentId, resident.BuildingId), RecordQuery.All, size, inner, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return Problems.BadRequest("'continuation' is not one this API handed out.");
        }

        return TypedResults.Json(
            new DoorEventPage([.. page.Items.Select(i => i.Document)], page.Continuation is null ? null : ContinuationTokens.Encode(page.Continuation)),
            ApiJson.Options);
    }

    /// <summary>The Facial Entry policy: the version offered now, or the one named (a consent names one of these, O3).</summary>
    public static IResult GetFacialEntryPolicy(string? version)
    {
        if (version is null)
        {
            return TypedResults.Json(FacialEntryPolicies.Current, ApiJson.Options);
        }

        return FacialEntryPolicies.Find(version) is { } policy
            ? TypedResults.Json(policy, ApiJson.Options)
            : Problems.NotFound("No such version of the Facial Entry policy.");
    }

    private async Task<(ResidentRecord? Resident, IResult? Problem)> ReadAsync(string residentId, CancellationToken cancellationToken)
    {
        if (!UploadName.IsValidId(residentId))
        {
            return (null, Problems.BadRequest("Resident ids are 1 to 64 characters of a-z, 0-9 and '-'."));
        }

        var stored = await store.ReadAsync<ResidentRecord>(Containers.Residents, residentId, ResidentRecord.DocumentId, cancellationToken).ConfigureAwait(false);
        return (stored?.Document, null);
    }
}
